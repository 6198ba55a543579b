"""Baselines on the text track: the same lines and metric as boiler, three simple labelers.

* ``all_body``: every line with a word character is body.
* ``c4_rules``: the line filter of the C4 corpus (Raffel et al., 2020, section 2.2, and the
  ``c4_utils`` of TensorFlow Datasets): a line is kept when it ends in terminal punctuation (. ! ?
  or a closing quote), has at least 3 words, and does not contain "javascript" or the
  cookie/terms/privacy-policy phrases. C4's page-level rules (dropping whole pages with fewer than
  5 sentences, a curly bracket, "lorem ipsum" or bad words) are not applied: they filter a corpus,
  not lines, and would score such a page as all chrome.
* ``justext``: jusText 3's paragraph classifier (English stoplist, default settings) over the page's
  lines, each non-blank line given to it as one ``<p>``.

    python bench/baselines.py [--json bench/results/baselines.json]
"""

from __future__ import annotations

import argparse
import glob
import html
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from boiler.evaluate import page_counts, score_pages
from boiler.training import load_corpus

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
C4_MIN_WORDS = 3
C4_TERMINAL = (".", "!", "?", '"', "”", "’", "'")
C4_BAD_PHRASES = ("javascript", "terms of use", "privacy policy", "cookie policy", "uses cookies",
                  "use of cookies", "use cookies")
_WORD = re.compile(r"\w")


def all_body(lines: list[str]) -> list[bool]:
    return [bool(_WORD.search(line)) for line in lines]


def c4_rules(lines: list[str]) -> list[bool]:
    out = []
    for line in lines:
        s = line.strip()
        low = s.lower()
        out.append(s.endswith(C4_TERMINAL) and len(s.split()) >= C4_MIN_WORDS
                   and not any(p in low for p in C4_BAD_PHRASES))
    return out


def justext_lines(lines: list[str], stoplist: frozenset) -> list[bool]:
    import justext

    idx = [i for i, line in enumerate(lines) if _WORD.search(line)]
    if not idx:
        return [False] * len(lines)
    doc = "<html><body>" + "".join(f"<p>{html.escape(lines[i].strip())}</p>" for i in idx) + "</body></html>"
    paragraphs = justext.justext(doc.encode("utf-8"), stoplist, encoding="utf-8")
    out = [False] * len(lines)
    if len(paragraphs) != len(idx):  # jusText merged or dropped something: align by text, in order
        texts = [" ".join(lines[i].split()) for i in idx]
        j = 0
        for p in paragraphs:
            while j < len(texts) and texts[j] != " ".join(p.text.split()):
                j += 1
            if j < len(texts):
                out[idx[j]] = not p.is_boilerplate
                j += 1
        return out
    for i, p in zip(idx, paragraphs):
        out[i] = not p.is_boilerplate
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    import justext

    stoplist = justext.get_stoplist("English")
    corpus = load_corpus(sorted(glob.glob(str(SHARED / "data" / "*" / "lines.jsonl.gz"))))
    methods = {"all_body": all_body, "c4_rules": c4_rules,
               "justext": lambda lines: justext_lines(lines, stoplist)}
    counts: dict[str, dict[str, list]] = {m: defaultdict(list) for m in methods}
    for page, name in zip(corpus.pages, corpus.sets):
        for m, fn in methods.items():
            counts[m][name].append(page_counts(page.lines, page.labels, fn(page.lines)))
    f1 = {m: {s: round(score_pages(c).f1, 4) for s, c in sorted(by.items())} for m, by in counts.items()}
    sets = sorted(counts["all_body"])
    print(f"{'baseline':10s} " + " ".join(f"{s:>16s}" for s in sets))
    for m in methods:
        print(f"{m:10s} " + " ".join(f"{f1[m][s]:16.3f}" for s in sets))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"f1": f1}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
