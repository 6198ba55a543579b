"""The aligner against the shared corpora's own labels.

The shared sets' ``lines.jsonl.gz`` were made from their ``pages.jsonl.gz`` with html-text
(guess_layout) and an alignment with ``gold``. This script turns each page into lines the same way
(``boiler.html.html_to_lines``), labels them with ``boiler.align.align_lines`` and compares with the
shipped record of the same id:

* ``lines_identical``: share of pages whose line list is exactly the shipped one (labels are only
  compared on those);
* ``label_agreement``: share of word tokens whose line got the same label (token-weighted, over all
  compared pages), and ``pages_all_labels_equal``;
* ``pages_title_vs_headline``: pages whose labels differ only in where the gold's headline went (the
  shipped labels: the first line, which html-text takes from ``<title>``; ours: the headline above
  the text), and the token agreement when those are counted as agreeing;
* ``align_recall`` / ``align_precision``: ours and theirs, averaged over the compared pages;
* ``pages_per_s``: pages aligned per second (HTML parsing excluded, and included).

    OMP_NUM_THREADS=1 python bench/align.py [--limit N] [--json bench/results/align.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path

from boiler.align import align_lines
from boiler.evaluate import count_tokens
from boiler.html import HTML_TEXT_DROP, html_to_lines

_WORDS = re.compile(r"\w+")
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _records(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def _title_vs_headline(lines: list[str], ours: list[str], theirs: list[str]) -> bool:
    """Whether the labels differ only in where the gold's headline went: the shipped labels have the first
    line (html-text puts the <title> there) as body, ours a line further down whose words the title holds."""
    differ = [k for k, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    if not differ or differ[0] != 0 or ours[0] != "-" or theirs[0] != "+":
        return False
    title = set(_WORDS.findall(lines[0].casefold()))
    return all(ours[k] == "+" and theirs[k] == "-" and set(_WORDS.findall(lines[k].casefold())) <= title
               for k in differ[1:])


def run_set(folder: Path, limit: int | None, worst: int) -> dict:
    shipped = {r["id"]: r for r in _records(folder / "lines.jsonl.gz")}
    pages = compared = identical = all_equal = 0
    tokens = agree = 0
    ours_r = ours_p = theirs_r = theirs_p = 0.0
    t_align = t_html = 0.0
    title_pages = title_tokens = 0
    disagreements = []
    for rec in _records(folder / "pages.jsonl.gz"):
        if limit and pages >= limit:
            break
        ref = shipped.get(rec["id"])
        if ref is None:  # dropped by the corpus' own filter
            continue
        pages += 1
        t0 = time.perf_counter()
        lines = html_to_lines(rec["html"], rec["id"], drop=HTML_TEXT_DROP, drop_hidden=False)
        t1 = time.perf_counter()
        result = align_lines(lines, rec["gold"])
        t2 = time.perf_counter()
        t_html += t1 - t0
        t_align += t2 - t1
        if lines != ref["lines"]:
            continue
        identical += 1
        compared += 1
        page_tokens = page_agree = 0
        differ = 0
        for line, a, b in zip(lines, result.labels, ref["labels"]):
            w = count_tokens(line)
            page_tokens += w
            if a == b:
                page_agree += w
            else:
                differ += w
        tokens += page_tokens
        agree += page_agree
        all_equal += result.labels == ref["labels"]
        if differ and _title_vs_headline(lines, result.labels, ref["labels"]):
            title_pages += 1
            title_tokens += differ
        ours_r += result.align_recall
        ours_p += result.align_precision
        theirs_r += ref.get("align_recall", 0.0)
        theirs_p += ref.get("align_precision", 0.0)
        if differ:
            disagreements.append((differ, rec["id"]))
    disagreements.sort(reverse=True)
    c = max(compared, 1)
    return {
        "pages": pages,
        "lines_identical": round(identical / max(pages, 1), 4),
        "compared_pages": compared,
        "pages_all_labels_equal": round(all_equal / c, 4),
        "label_agreement_tokens": round(agree / max(tokens, 1), 5),
        "tokens_compared": tokens,
        "pages_title_vs_headline": title_pages,
        "label_agreement_tokens_but_title_vs_headline": round((agree + title_tokens) / max(tokens, 1), 5),
        "align_recall_ours": round(ours_r / c, 4),
        "align_recall_theirs": round(theirs_r / c, 4),
        "align_precision_ours": round(ours_p / c, 4),
        "align_precision_theirs": round(theirs_p / c, 4),
        "align_seconds": round(t_align, 3),
        "html_seconds": round(t_html, 3),
        "pages_per_s_align": round(pages / max(t_align, 1e-9), 1),
        "pages_per_s_with_html": round(pages / max(t_align + t_html, 1e-9), 1),
        "most_disagreeing": [{"id": i, "tokens": d} for d, i in disagreements[:worst]],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=SHARED / "data")
    ap.add_argument("--limit", type=int, default=None, help="Pages per set at most.")
    ap.add_argument("--sets", nargs="*", default=None)
    ap.add_argument("--worst", type=int, default=5, help="Most disagreeing pages to list per set.")
    ap.add_argument("--json", type=Path, default=None, help="Write the results here.")
    args = ap.parse_args()
    folders = sorted(p.parent for p in args.data.glob("*/pages.jsonl.gz"))
    if args.sets:
        folders = [f for f in folders if f.name in args.sets]
    results = {}
    for folder in folders:
        results[folder.name] = r = run_set(folder, args.limit, args.worst)
        print(f"{folder.name:16} pages {r['pages']:5}  lines identical {r['lines_identical']:.3f}  "
              f"labels agree {r['label_agreement_tokens']:.4f} (tokens), {r['pages_all_labels_equal']:.3f} (pages)  "
              f"recall ours {r['align_recall_ours']:.4f} theirs {r['align_recall_theirs']:.4f}  "
              f"precision ours {r['align_precision_ours']:.4f} theirs {r['align_precision_theirs']:.4f}  "
              f"{r['pages_per_s_align']:.0f} pages/s", file=sys.stderr)
    tot_tokens = sum(r["tokens_compared"] for r in results.values())
    pages = sum(r["pages"] for r in results.values())
    compared = sum(r["compared_pages"] for r in results.values())
    t_align = sum(r["align_seconds"] for r in results.values())
    t_html = sum(r["html_seconds"] for r in results.values())
    results["(all)"] = {
        "pages": pages,
        "lines_identical": round(compared / max(pages, 1), 4),
        "compared_pages": compared,
        "pages_all_labels_equal": round(sum(r["pages_all_labels_equal"] * r["compared_pages"]
                                            for r in results.values()) / max(compared, 1), 4),
        "label_agreement_tokens": round(sum(r["label_agreement_tokens"] * r["tokens_compared"]
                                            for r in results.values()) / max(tot_tokens, 1), 5),
        "pages_title_vs_headline": sum(r["pages_title_vs_headline"] for r in results.values()),
        "label_agreement_tokens_but_title_vs_headline": round(
            sum(r["label_agreement_tokens_but_title_vs_headline"] * r["tokens_compared"]
                for r in results.values()) / max(tot_tokens, 1), 5),
        "align_recall_ours": round(sum(r["align_recall_ours"] * r["compared_pages"]
                                       for r in results.values()) / max(compared, 1), 4),
        "align_recall_theirs": round(sum(r["align_recall_theirs"] * r["compared_pages"]
                                         for r in results.values()) / max(compared, 1), 4),
        "pages_per_s_align": round(pages / max(t_align, 1e-9), 1),
        "pages_per_s_with_html": round(pages / max(t_align + t_html, 1e-9), 1),
    }
    print(json.dumps(results["(all)"]), file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
