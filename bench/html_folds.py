"""boiler's HTML model, sites held out: one model per fold of ``bench/extract.py``, trained as
``boiler train --html`` trains the shipped one (pages with gold text, lines labeled by aligning them
with the gold), on the HTML pages of every site the fold does not hold out.

``bench/extract.py`` calls :func:`html_fold_extractors` at its swap point; run this file alone to fit
(and cache) the fold models ahead of a benchmark run, and to print their text-track scores against
the aligned labels:

    python bench/html_folds.py [--jobs 2]

Fold models are cached under ``/tmp/boiler-bench-extract/html-folds``, keyed by the training
parameters, the data files' contents, :data:`RECIPE` and the held-out sites (never in the project). The
training code is not in the key (a speed-up that changes no number must not retrain): bump
:data:`RECIPE` when a change to the code changes what is learned. Decoding parameters (how probabilities
become labels, :data:`boiler.model.DECODE_PARAMS`) are not in the key either: a cached model takes the
values asked for, or a new model's defaults (:func:`load_fold_model`).

    python bench/html_folds.py --json bench/results/html_folds.json [--params '{"main_block_floor": null}']
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CACHE = Path("/tmp/boiler-bench-extract") / "html-folds"
#: The training recipe's version: part of the cache key; bump it when the code learns something else
#: (html-2 was LineClassifier(page_best=True) before PAGE_BEST_FLOOR; html-3: page_best with the
#: floor, the default of a new model since 2026-11-26; html-4: and stage 2 sees the blocks enclosing
#: each line, ``dom_context``; html-5: and whether it is inside the page's main block, ``main_block_columns``;
#: html-6: the same columns with the block sums fixed, per page in float64, not over the batch in float32;
#: html-7: the line features independent of the other pages of the batch, 7aadd6d; html-8: pages
#: without the elements a browser does not show, 9050a4f, nor select lists, iframe content and MathML
#: annotations; html-11 (html-9 and html-10 were tried and not kept, README): stage 2 counts the
#: dated lines around each line, ``dated_context``, as the text model's does).
RECIPE = "html-11"

Extractor = Callable[[str], str]


def html_paths(data: Path) -> list[str]:
    """What ``boiler train --html`` learns from: every set's ``pages.jsonl.gz``."""
    return [str(p) for p in sorted(data.glob("*/pages.jsonl.gz"))]


def fingerprint(data: Path, params: dict) -> str:
    from boiler.model import DECODE_PARAMS

    fitted = {k: v for k, v in params.items() if k not in DECODE_PARAMS}  # decoding changes no fitted model
    h = hashlib.sha256(json.dumps(fitted, sort_keys=True).encode() + RECIPE.encode())
    for path in html_paths(data):  # by content: a fresh copy of the same data keeps its fold models
        h.update(Path(path).name.encode() + Path(path).parent.name.encode())
        with open(path, "rb") as f:
            h.update(hashlib.file_digest(f, "sha256").digest())
    return h.hexdigest()[:16]


def fold_folders(data: Path, test_groups: Sequence[frozenset[str]], params: dict, cache: Path = CACHE) -> list[Path]:
    key = fingerprint(data, params)
    return [cache / (key + "-" + hashlib.sha256("\n".join(sorted(g)).encode()).hexdigest()[:12]) for g in test_groups]


def fit_html_folds(data: Path, test_groups: Sequence[frozenset[str]], params: dict | None = None,
                   cache: Path = CACHE, n_jobs: int = 1) -> list[Path]:
    """Fit (or find in the cache) one HTML model per fold, trained without the fold's site groups."""
    from boiler.evaluate import group_of
    from boiler.modelio import save_model
    from boiler.training import fit_html_model, load_html_corpus

    params = dict(params or {})
    folders = fold_folders(data, test_groups, params, cache)
    corpus = None
    for k, (folder, held_out) in enumerate(zip(folders, test_groups)):
        if (folder / "model.json").is_file():
            continue
        if corpus is None:
            started = time.perf_counter()
            corpus = load_html_corpus(html_paths(data), n_jobs=n_jobs)
            print(f"parsed and aligned {len(corpus.pages)} pages in {time.perf_counter() - started:.0f} s "
                  f"({len(corpus.failures)} failures)", file=sys.stderr, flush=True)
        keep = [i for i, p in enumerate(corpus.pages) if group_of(p.site, p.id) not in held_out]
        print(f"HTML fold {k + 1}/{len(folders)}: training on {len(keep)} of {len(corpus.pages)} pages",
              file=sys.stderr, flush=True)
        started = time.perf_counter()
        model = fit_html_model(corpus.subset(keep), **params)
        save_model(model, folder, {"bench": "html_folds.py fold model", "fold": k, "params": params,
                                   "pages": len(keep), "fit_seconds": round(time.perf_counter() - started, 1)})
    return folders


def load_fold_model(folder: Path, params: dict | None = None):
    """A fold model and its metadata, decoding as ``params`` say or as a new model does
    (:data:`~boiler.model.DECODE_PARAMS`: a cached model fitted before a decoding change takes it)."""
    from boiler.model import DECODE_PARAMS, LineClassifier
    from boiler.modelio import load_model

    model, meta = load_model(folder)
    defaults = LineClassifier().get_params()
    for name in DECODE_PARAMS:
        setattr(model, name, (params or {}).get(name, defaults[name]))
    return model, meta


def html_fold_extractors(data: Path, test_groups: Sequence[frozenset[str]], params: dict | None = None,
                         cache: Path = CACHE) -> list[Extractor]:
    """One extractor per fold (HTML string in, body text out): ``Labeler.clean_html`` with the fold's
    HTML model, each page alone (no site template)."""
    from boiler.labeler import Labeler

    out = []
    for folder in fit_html_folds(data, test_groups, params, cache):
        model, meta = load_fold_model(folder, params)
        out.append(Labeler(model, meta, str(folder)).clean_html)
    return out


def text_track_scores(data: Path, test_groups: Sequence[frozenset[str]], folders: Sequence[Path],
                      n_jobs: int = 1, params: dict | None = None) -> dict:
    """Text-track F1 (FORMATS.md) of each held-out page's lines as its fold's HTML model labels them,
    against the labels the aligner gives those lines from the gold, per set and overall."""
    from boiler.evaluate import group_of
    from boiler.training import _evaluation, load_html_corpus

    corpus = load_html_corpus(html_paths(data), n_jobs=n_jobs)
    predicted: list = [None] * len(corpus.pages)
    for folder, held_out in zip(folders, test_groups):
        model, _ = load_fold_model(folder, params)
        idx = [i for i, p in enumerate(corpus.pages) if group_of(p.site, p.id) in held_out]
        sub = corpus.subset(idx)
        for i, pred in zip(idx, model.predict_pages([p.lines for p in sub.pages], html=sub.html)):
            predicted[i] = pred
    ev = _evaluation(corpus.pages, corpus.sets, predicted)
    return {"per_set": {k: v.as_dict() for k, v in sorted(ev.per_set.items())}, "overall": ev.overall.as_dict()}


def main() -> int:
    sys.path.insert(0, str(ROOT / "bench"))
    from extract import fold_test_groups, page_groups

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--jobs", type=int, default=1, help="processes for parsing and aligning")
    ap.add_argument("--json", type=Path, help="also score the text track of the held-out pages into this file")
    ap.add_argument("--params", type=json.loads, default={}, metavar="JSON",
                    help="LineClassifier parameters of the fold models (default: a new model's); decoding "
                         "parameters (boiler.model.DECODE_PARAMS) are set on the cached models, the others fit new ones")
    args = ap.parse_args()
    groups = fold_test_groups(page_groups(args.data))
    folders = fit_html_folds(args.data, groups, args.params, n_jobs=args.jobs)
    if args.json:
        scores = text_track_scores(args.data, groups, folders, args.jobs, args.params)
        for name, sc in scores["per_set"].items():
            print(f"{name:16s} F1 {sc['f1']:.3f}  P {sc['precision']:.3f}  R {sc['recall']:.3f}  pages {sc['pages']}")
        args.json.write_text(json.dumps({"command": "python bench/html_folds.py " + " ".join(sys.argv[1:]),
                                         "labels": "the held-out pages' lines labeled by aligning them with the gold",
                                         "folds": "bench/extract.py's (5, grouped by site)", **scores}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
