"""Quality of boiler's recipe by cross-validation grouped by site (no site in both train and test).

Trains exactly as ``boiler train`` does (the corpora of ``training_data/corpora.txt``, our own pages
weighted as in training) on four fifths of the sites and scores the held-out fifth, five times, so
every page is scored once by a model that never saw its site. Prints the text-track scores of
FORMATS.md per dataset, beside the baselines of ``bench/baselines.py`` when their results exist.

    python bench/quality.py [--folds 5] [--params '{"stage1_iter": 150}'] [--json bench/results/quality.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from boiler.training import DEFAULT_CORPUS_LIST, corpus_list, cross_validate, load_corpus, own_page_weights

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
#: The HTML-extractor figures to beat on each set (issue 2: readability-lxml or trafilatura, mapped to lines).
TARGETS = {"dragnet": 0.905, "msv-big9": 0.961, "cleanportaleval": 0.959, "cleaneval": 0.916}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--params", default="{}", help="JSON of LineClassifier parameters")
    ap.add_argument("--sets", default="", help="comma-separated dataset names to keep (default: all)")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()

    paths = corpus_list(ROOT / DEFAULT_CORPUS_LIST)
    corpus = load_corpus(paths)
    if args.sets:
        keep = set(args.sets.split(","))
        rows = [i for i, s in enumerate(corpus.sets) if s in keep]
        corpus.pages = [corpus.pages[i] for i in rows]
        corpus.sets = [corpus.sets[i] for i in rows]
    started = time.time()

    def on_fold(k: int, n: int) -> None:
        print(f"fold {k}/{n} done at {time.time() - started:.0f} s", file=sys.stderr, flush=True)

    ev = cross_validate(corpus, args.folds, args.seed, json.loads(args.params), on_fold,
                        page_weight=own_page_weights(corpus.pages))
    baselines = {}
    if (RESULTS / "baselines.json").exists():
        baselines = json.loads((RESULTS / "baselines.json").read_text()).get("f1", {})
    print(f"{'dataset':18s} {'pages':>5s} {'P':>6s} {'R':>6s} {'F1':>6s} {'pooled':>7s} {'target':>7s}  baselines (F1)")
    for name, s in sorted(ev.per_set.items()):
        base = "  ".join(f"{b}: {v[name]:.3f}" for b, v in baselines.items() if name in v)
        target = f"{TARGETS[name]:.3f}" if name in TARGETS else ""
        print(f"{name:18s} {s.pages:5d} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.pooled_f1:7.3f} {target:>7s}  {base}")
    if args.json:
        out = {"folds": args.folds, "seed": args.seed, "params": json.loads(args.params),
               "seconds": round(time.time() - started), "targets": TARGETS,
               "per_set": {k: v.as_dict() for k, v in sorted(ev.per_set.items())},
               "per_site": {k: v.as_dict() for k, v in sorted(ev.per_site.items())}}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
