"""Adding an outlet, end to end, on a real outlet of the shared corpora, through the real CLI.

The outlet is left out of every corpus (as a new outlet is unknown to the default model). Then,
as README's "Adding an outlet" says:

1. ``boiler train`` on the corpora without the outlet: model A, the "before".
2. ``boiler label --format lines -o training_data/<site>/`` pre-labels ``--train-pages`` pages of the
   outlet with model A, one ``.lines.txt`` file a page.
3. A person corrects the ``+``/``-`` characters. Here the gold labels stand in for the person (the
   number of lines they had to change is reported: the effort of the correction).
4. ``boiler train`` again, with the corrected folder added to the corpus list: model B.
5. ``boiler eval`` of A and B on the outlet's other pages (held out), and ``boiler diff A B``.

Everything is written to a scratch folder (default: a new temporary one); nothing from ../shared
lands in the project.

    python bench/new_outlet.py [--site nfl.com] [--train-pages 10] [--json bench/results/new_outlet.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SETS = ("dragnet", "msv-big9", "cleanportaleval", "cleaneval", "readability")


def boiler(*args: str | Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run the ``boiler`` command of this interpreter's environment; return the result and its wall time."""
    cmd = [sys.executable, "-m", "boiler", *map(str, args)]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return done, took


def split_corpora(site: str, work: Path, n_train: int, seed: int) -> tuple[int, int]:
    """Write the shared corpora without ``site``, the outlet's pages to label (no labels) and its held-out pages."""
    outlet: list[dict] = []
    for name in SETS:
        out = work / "corpora" / name / "lines.jsonl.gz"
        out.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(SHARED / "data" / name / "lines.jsonl.gz", "rt", encoding="utf-8") as src, \
                gzip.open(out, "wt", encoding="utf-8") as dst:
            for row in src:
                rec = json.loads(row)
                if rec.get("site") == site:
                    outlet.append(rec)
                else:
                    dst.write(row)
    if len(outlet) <= n_train:
        sys.exit(f"{site} has {len(outlet)} pages; need more than --train-pages {n_train}")
    outlet.sort(key=lambda r: r["id"])
    random.Random(seed).shuffle(outlet)
    to_label, held_out = outlet[:n_train], outlet[n_train:]
    (work / "outlet").mkdir(exist_ok=True)
    with open(work / "outlet" / "pages.jsonl", "w", encoding="utf-8") as f:
        for rec in to_label:  # what a person has: the pages' text, no labels
            f.write(json.dumps({k: rec[k] for k in ("id", "url", "site", "lines")}, ensure_ascii=False) + "\n")
    with open(work / "outlet" / "gold.jsonl", "w", encoding="utf-8") as f:
        for rec in to_label:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    (work / "heldout").mkdir(exist_ok=True)
    with open(work / "heldout" / "lines.jsonl", "w", encoding="utf-8") as f:
        for rec in held_out:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return len(to_label), len(held_out)


def correct(folder: Path, gold_path: Path) -> tuple[int, int]:
    """Play the person: set each pre-labeled line's character to the gold label. Returns (changed, judged)."""
    sys.path.insert(0, str(ROOT))
    from boiler.formats import format_lines_txt, read_lines_txt

    gold = {}
    for row in gold_path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(row)
        gold[rec["id"]] = rec["labels"]
    changed = judged = 0
    for path in sorted(folder.glob("*.lines.txt")):
        page = read_lines_txt(path.read_text(encoding="utf-8"), str(path))
        want = gold[page.id]
        assert len(want) == len(page.labels), path
        changed += sum(a != b for a, b in zip(page.labels, want))
        judged += sum(g != " " for g in want)
        page.labels = list(want)
        path.write_text(format_lines_txt(page), encoding="utf-8")
    return changed, judged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", default="nfl.com")
    ap.add_argument("--train-pages", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, help="scratch folder (default: a new temporary folder)")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="boiler-new-outlet-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"scratch folder: {work}", file=sys.stderr)

    n_train, n_held = split_corpora(args.site, work, args.train_pages, args.seed)
    lists = work / "lists"
    lists.mkdir(exist_ok=True)
    base = [str(p) for p in sorted((work / "corpora").glob("*/lines.jsonl.gz"))] + [str(ROOT / "training_data" / "pages")]
    outlet_dir = work / "training_data" / args.site
    (lists / "before.txt").write_text("\n".join(base) + "\n")
    (lists / "after.txt").write_text("\n".join(base + [str(outlet_dir)]) + "\n")

    _, fit_a = boiler("train", "--corpus-list", lists / "before.txt", "-o", work / "model_before")
    outlet_dir.mkdir(parents=True)
    boiler("label", work / "outlet" / "pages.jsonl", "--format", "lines", "-o", str(outlet_dir) + "/",
           "--model", work / "model_before", "--no-reasons")
    changed, judged = correct(outlet_dir, work / "outlet" / "gold.jsonl")
    _, fit_b = boiler("train", "--corpus-list", lists / "after.txt", "-o", work / "model_after")

    scores = {}
    for name in ("before", "after"):
        done, _ = boiler("eval", work / "heldout", "--model", work / f"model_{name}", "--json")
        scores[name] = json.loads(done.stdout)["overall"]
    done, _ = boiler("diff", work / "model_before", work / "model_after", work / "heldout", "--format", "jsonl")
    summary = json.loads(done.stderr.strip().splitlines()[0])

    result = {
        "site": args.site, "pages_labeled": n_train, "pages_held_out": n_held, "seed": args.seed,
        "lines_corrected": changed, "lines_judged": judged,
        "retrain_seconds": {"before": round(fit_a, 1), "after": round(fit_b, 1)},
        "held_out": scores,
        "diff_on_held_out": {k: summary[k] for k in ("changed_lines", "regressions", "fixes", "regression_tokens",
                                                       "fix_tokens")},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
