"""Speed and memory of boiler on one core: pages and lines per second, peak memory, and memory
while streaming many pages.

Text pages are labeled through ``Labeler.clean_pages`` in batches (the library's batch path), the
model loaded beforehand (its load time is reported apart). Two inputs: the real pages of the shared
corpora, and the same lines cut into pages of 150 lines; the real pages also one page per call (what
a caller that does not batch gets). Each is timed ``--reps`` times: the median
(``pages_per_s``) and the fastest repetition (``pages_per_s_best``) are reported. ``--stream N`` then
cleans N generated pages lazily, batch by batch, and records the resident memory at every tenth, to
show it stays flat.

    python bench/speed.py [--model DIR] [--reps 3] [--stream 20000] [--json bench/results/speed.json]
"""

from __future__ import annotations

import os

# One core: set before numpy, scikit-learn or OpenMP are loaded.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import glob  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import boiler  # noqa: E402
from boiler.training import load_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BATCH = 256
PAGE_LINES = 150


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def windows(pages: list[list[str]], size: int) -> list[list[str]]:
    """Consecutive ``size``-line windows of the pages (a page shorter than ``size`` is skipped)."""
    return [p[i:i + size] for p in pages for i in range(0, len(p) - size + 1, size)]


def timed(labeler, pages: list[list[str]], reps: int, batch: int = BATCH) -> dict:
    runs, cpu_runs = [], []
    for _ in range(reps):
        start, cpu_start = time.perf_counter(), time.process_time()
        for i in range(0, len(pages), batch):
            labeler.clean_pages(pages[i:i + batch])
        runs.append(time.perf_counter() - start)
        cpu_runs.append(time.process_time() - cpu_start)
    sec, cpu = statistics.median(runs), statistics.median(cpu_runs)
    best = min(runs)
    lines = sum(len(p) for p in pages)
    return {"pages": len(pages), "lines": lines, "seconds": round(sec, 3),
            "pages_per_s": round(len(pages) / sec, 1), "lines_per_s": round(lines / sec),
            "cpu_seconds": round(cpu, 3), "pages_per_cpu_s": round(len(pages) / cpu, 1),
            # the fastest repetition: the least disturbed by other work on a shared machine
            "best_seconds": round(best, 3), "pages_per_s_best": round(len(pages) / best, 1),
            "lines_per_s_best": round(lines / best)}


def stream(labeler, pool: list[list[str]], n: int) -> list[dict]:
    """Clean ``n`` pages generated lazily from the pool; RSS after every tenth of the way."""
    gen = (pool[i % len(pool)][::-1] if (i // len(pool)) % 2 else pool[i % len(pool)] for i in range(n))
    marks, done, out = max(n // 10, 1), 0, []
    while True:
        chunk = list(itertools.islice(gen, BATCH))
        if not chunk:
            break
        labeler.clean_pages(chunk)
        before = done
        done += len(chunk)
        if done // marks > before // marks or done == n:
            out.append({"pages": done, "rss_mb": round(rss_mb(), 1)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--stream", type=int, default=0, help="also stream this many generated pages")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    corpus = load_corpus(sorted(glob.glob(str(SHARED / "data" / "*" / "lines.jsonl.gz"))))
    real = [p.lines for p in corpus.pages]
    short = windows(real, PAGE_LINES)
    del corpus
    start = time.perf_counter()
    labeler = boiler.load(args.model)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    labeler.clean_pages(real[:BATCH])  # warm-up: lazily built tables, compiled tree walk
    first_s = time.perf_counter() - start
    result = {"threads": 1, "model_load_s": round(load_s, 2), "first_batch_s": round(first_s, 2),
              "real_pages": timed(labeler, real, args.reps),
              f"pages_of_{PAGE_LINES}_lines": timed(labeler, short, args.reps),
              # a caller that hands boiler one page at a time pays the fixed cost of a call per page
              "real_pages_one_per_call": timed(labeler, real, args.reps, batch=1)}
    result["peak_rss_mb"] = round(peak_mb(), 1)
    if args.stream:
        result["stream"] = stream(labeler, short, args.stream)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
