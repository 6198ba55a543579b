"""The pages track of FORMATS.md: boiler against HTML main-content extractors, on the same pages.

Every system gets each page's HTML (a ``str``) and returns its main text; the text is scored against
the page's gold by word 4-gram shingles (:func:`boiler.evaluate.shingle_counts`: precision averaged
over pages with output, recall over all pages, F1 of the two averages). Systems run in this one
process, one core, interleaved page by page (so a busy moment on the shared machine slows them all
alike); only the extraction call is timed, HTML string in, text out (parsing included). After
that run, the shipped model is timed once more the way ``boiler clean`` runs it, pages in batches
with one model call per batch, alternating batch by batch with trafilatura on the same pages
(:func:`batched_speed`), its texts checked against its own one by one.

* **boiler (held out)**: 5 folds grouped by site over the pages of all sets together
  (:func:`boiler.evaluate.site_folds` on :func:`boiler.evaluate.group_of`); each fold's pages are
  labeled by a model trained without any page of their sites: see :func:`boiler_fold_extractors`,
  the one place that says how boiler is trained and called: the HTML model (DOM evidence), trained
  as ``boiler train --html`` does, by ``bench/html_folds.py``.
* **boiler (shipped, not held out)**: ``boiler.load().clean_html``; the shipped model was trained on
  these very pages, so its F1 is not a fair comparison; its speed is.
* **trafilatura**: ``trafilatura.extract(html)``, default settings (comments and tables included,
  fallback extractors on, i.e. not ``fast``).
* **readability-lxml**: ``Document(html).summary()``, its text by html-text (as boiler's lines are).
* **resiliparse**: ``extract_plain_text(HTMLTree.parse(html), main_content=True)``, other settings
  default.
* **jusText**: the paragraphs not marked boilerplate, default settings, English stoplist (all sets
  are English but for a few dozen pages; jusText has no language detection). The HTML is given as
  UTF-8 bytes (lxml refuses a ``str`` with an encoding declaration).
* **boilerpy3**: ``ArticleExtractor().get_content(html)``, default settings.
* **all text (boiler's parsing step)**, a reference, not a peer: every line of the page as boiler
  sees it (``boiler.html.parse_html``, which also records each line's DOM evidence): the F1 of
  keeping everything, and the time boiler spends before its model.

A system that raises on a page gives an empty text for it (counted as a failure, and in the scores).

Peer outputs are cached under ``/tmp/boiler-bench-extract/peers`` (never in the project: they hold
corpus text), one folder per system and version; boiler's fold models under
``/tmp/boiler-bench-extract/html-folds`` (see ``bench/html_folds.py`` for the key), so a rerun
does not retrain. ``--fresh`` ignores the peer cache (every system timed in
this run); the results file says which systems were timed in it.

    python bench/extract.py [--sets dragnet ...] [--limit N] [--systems trafilatura ...] [--fresh]
                            [--json bench/results/extract.json]
"""

from __future__ import annotations

import os

# One core: set before numpy, scikit-learn or OpenMP are loaded.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

from boiler.evaluate import ShingleCounts, group_of, score_shingle_pages, shingle_counts, site_folds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CACHE = Path("/tmp/boiler-bench-extract")
N_FOLDS = 5
FOLD_SEED = 0
#: Parameters of boiler's held-out fold models (LineClassifier's; empty: its defaults, as ``boiler train``).
BOILER_PARAMS: dict = {}

Extractor = Callable[[str], str]

HELD_OUT = "boiler (held out)"
SHIPPED = "boiler (shipped, not held out)"


@dataclass(slots=True)
class HtmlPage:
    """One page of the pages track: its set, id, site, HTML and gold text."""

    set: str
    id: str
    url: str | None
    site: str | None
    html: str
    gold: str


@dataclass(slots=True)
class Output:
    """One system's output on one page and the time its extraction call took."""

    text: str
    seconds: float
    cpu_seconds: float
    error: str | None = None


@dataclass(slots=True)
class System:
    """A system under test: how to get its extractor for a page, what it is, whether it is cached."""

    name: str
    version: str
    settings: str
    extractor_for: Callable[[int], Extractor]
    extractors: list[Extractor]
    cached: bool = True

    def warm_up(self, html: str) -> None:
        """Call every extractor once, untimed: lazy imports, tables built on first use."""
        for fn in self.extractors:
            run_one(fn, html)


@dataclass(slots=True)
class Tally:
    """Scores and timings of one system on a group of pages."""

    counts: list[ShingleCounts] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    failures: int = 0

    def add(self, out: Output, gold: str) -> None:
        self.counts.append(shingle_counts(out.text, gold))
        self.seconds += out.seconds
        self.cpu_seconds += out.cpu_seconds
        self.failures += out.error is not None

    def as_dict(self) -> dict:
        n = len(self.counts)
        return {**score_shingle_pages(self.counts).as_dict(), "failures": self.failures,
                "seconds": round(self.seconds, 2), "pages_per_s": round(n / self.seconds, 1) if self.seconds else None,
                "pages_per_cpu_s": round(n / self.cpu_seconds, 1) if self.cpu_seconds else None}


# -- data ------------------------------------------------------------------------------------

def set_names(data: Path) -> list[str]:
    """The sets of the shared data: folders with a ``pages.jsonl.gz``."""
    return sorted(p.parent.name for p in data.glob("*/pages.jsonl.gz"))


def read_pages(data: Path, name: str, limit: int | None = None) -> list[HtmlPage]:
    """The first ``limit`` (all: None) pages of a set's ``pages.jsonl.gz``."""
    out: list[HtmlPage] = []
    with gzip.open(data / name / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            if limit is not None and len(out) >= limit:
                break
            r = json.loads(line)
            out.append(HtmlPage(name, r["id"], r.get("url"), r.get("site"), r["html"], r["gold"]))
    return out


def page_groups(data: Path) -> dict[str, str]:
    """Page id to cross-validation group for every page of every set (folds never depend on
    ``--sets`` or ``--limit``, so fold models are the same for a quick run and a full one)."""
    groups: dict[str, str] = {}
    for name in set_names(data):
        for p in read_pages(data, name):
            groups[p.id] = group_of(p.site, p.id)
    return groups


def fold_test_groups(groups: dict[str, str]) -> list[frozenset[str]]:
    """The site groups held out in each of the ``N_FOLDS`` folds, over the pages of all sets together."""
    ids = list(groups)
    folds = site_folds([groups[i] for i in ids], N_FOLDS, FOLD_SEED)
    return [frozenset(groups[ids[j]] for j in te) for _, te in folds]


# -- boiler, sites held out ------------------------------------------------------------------

# ============================================================================================
# SWAP POINT: how boiler is trained and called on the pages track.
# The HTML model (LineClassifier with DOM evidence), trained as ``boiler train --html`` trains the
# shipped one, on the HTML pages of every site the fold does not hold out (bench/html_folds.py), and
# Labeler.clean_html on each held-out page. (Until 2026-11-25 this was the text model on html-text
# lines: see the README for its figures.)
# ============================================================================================

def boiler_fold_extractors(data: Path, test_groups: Sequence[frozenset[str]],
                           params: dict | None = None, cache: Path = CACHE / "html-folds") -> list[Extractor]:
    """One extractor per fold (HTML string in, body text out), trained without the fold's sites: the
    HTML model of :func:`html_folds.html_fold_extractors` (fitted models cached under ``cache``),
    ``Labeler.clean_html``, each page alone (no site template)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from html_folds import html_fold_extractors

    return html_fold_extractors(data, test_groups, params, cache)

# ============================================================================================


# -- the peers -------------------------------------------------------------------------------

def trafilatura_extractor() -> Extractor:
    import trafilatura

    return lambda html: trafilatura.extract(html) or ""


def readability_extractor() -> Extractor:
    import html_text
    from readability import Document

    return lambda html: html_text.extract_text(Document(html).summary())


def resiliparse_extractor() -> Extractor:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    return lambda html: extract_plain_text(HTMLTree.parse(html), main_content=True)


def justext_extractor() -> Extractor:
    import justext

    stoplist = justext.get_stoplist("English")

    def extract(html: str) -> str:
        paragraphs = justext.justext(html.encode("utf-8"), stoplist, encoding="utf-8")
        return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    return extract


def boilerpy3_extractor() -> Extractor:
    from boilerpy3.extractors import ArticleExtractor

    extractor = ArticleExtractor()
    return extractor.get_content


PEERS: dict[str, tuple[str, str, Callable[[], Extractor]]] = {
    "trafilatura": ("trafilatura", "extract(html), default settings", trafilatura_extractor),
    "readability-lxml": ("readability-lxml", "Document(html).summary(), text by html-text", readability_extractor),
    "resiliparse": ("resiliparse", "extract_plain_text(HTMLTree.parse(html), main_content=True)",
                    resiliparse_extractor),
    "jusText": ("justext", "paragraphs not boilerplate, English stoplist, default settings", justext_extractor),
    "boilerpy3": ("boilerpy3", "ArticleExtractor().get_content(html), default settings", boilerpy3_extractor),
}
ALL_TEXT = "all text (boiler's parsing step)"
ALL_SYSTEMS = [HELD_OUT, SHIPPED, *PEERS, ALL_TEXT]


def all_text_system() -> System:
    """The reference: all of the page's text, as boiler's parsing step gives it (with its DOM evidence)."""
    from boiler.html import parse_html

    def fn(html: str) -> str:
        return "\n".join(parse_html(html).lines)

    return System(ALL_TEXT, version("boiler"), "boiler.html.parse_html(html): every line (and its DOM evidence), "
                  "boiler's parsing step alone", lambda i: fn, [fn], cached=False)


def peer_system(name: str) -> System:
    dist, settings, make = PEERS[name]
    fn = make()
    return System(name, version(dist), settings, lambda i: fn, [fn])


def held_out_system(data: Path, pages: Sequence[HtmlPage], test_groups: list[frozenset[str]],
                    params: dict) -> System:
    """boiler with each page labeled by the model of the fold that holds out its site."""
    extractors = boiler_fold_extractors(data, test_groups, params)
    fold = [next(k for k, g in enumerate(test_groups) if group_of(p.site, p.id) in g) for p in pages]
    return System(HELD_OUT, version("boiler"), f"{N_FOLDS} folds grouped by site; boiler_fold_extractors: "
                  "HTML model (bench/html_folds.py), Labeler.clean_html, pages alone", lambda i: extractors[fold[i]],
                  extractors, cached=False)


def shipped_system() -> System:
    import boiler

    fn = boiler.load(templates=None).clean_html
    return System(SHIPPED, version("boiler"), "boiler.load().clean_html (trained on these pages: F1 not held out)",
                  lambda i: fn, [fn], cached=False)


# -- running ---------------------------------------------------------------------------------

def run_one(fn: Extractor, html: str) -> Output:
    """Time one extraction call; an exception gives an empty text and its message."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        text, error = fn(html) or "", None
    except Exception as exc:  # noqa: BLE001 - a peer failing on a page is counted, not fatal
        text, error = "", f"{type(exc).__name__}: {exc}"[:200]
    return Output(text, time.perf_counter() - wall, time.process_time() - cpu, error)


class PeerCache:
    """Outputs of one system version per page id, in ``/tmp`` (they hold corpus text)."""

    def __init__(self, system: System, root: Path = CACHE / "peers"):
        self.path = root / f"{system.name}-{system.version}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.known: dict[str, Output] = {}
        if self.path.is_file():
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        r = json.loads(line)
                    except json.JSONDecodeError:  # a line cut by an interrupted run
                        continue
                    self.known[r["id"]] = Output(r["text"], r["seconds"], r["cpu_seconds"], r["error"])
        self.file = open(self.path, "a", encoding="utf-8")

    def put(self, page_id: str, out: Output) -> None:
        self.known[page_id] = out
        self.file.write(json.dumps({"id": page_id, "text": out.text, "seconds": out.seconds,
                                    "cpu_seconds": out.cpu_seconds, "error": out.error}) + "\n")

    def close(self) -> None:
        self.file.close()


def run_all(systems: list[System], pages: list[HtmlPage], fresh: bool) -> tuple[dict[str, list[Output]], set[str]]:
    """Every system on every page, page by page; the outputs per system, and the systems timed now."""
    caches = {s.name: PeerCache(s) for s in systems if s.cached}
    outputs: dict[str, list[Output]] = {s.name: [] for s in systems}
    timed_now: set[str] = set()
    for s in systems:
        s.warm_up(pages[0].html)
    started = time.perf_counter()
    for i, page in enumerate(pages):
        for s in systems:
            cache = caches.get(s.name)
            out = None if cache is None or fresh else cache.known.get(page.id)
            if out is None:
                out = run_one(s.extractor_for(i), page.html)
                timed_now.add(s.name)
                if cache is not None:
                    cache.put(page.id, out)
            outputs[s.name].append(out)
        if (i + 1) % 100 == 0 or i + 1 == len(pages):
            print(f"{i + 1}/{len(pages)} pages, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    for c in caches.values():
        c.close()
    return outputs, timed_now


def tally(systems: list[System], pages: list[HtmlPage], outputs: dict[str, list[Output]]) -> dict[str, dict[str, dict]]:
    """Scores and speeds per set (and over all pages, ``all``) per system."""
    sets = sorted({p.set for p in pages})
    out: dict[str, dict[str, dict]] = {}
    for group in [*sets, "all"]:
        out[group] = {}
        for s in systems:
            t = Tally()
            for page, o in zip(pages, outputs[s.name]):
                if group in ("all", page.set):
                    t.add(o, page.gold)
            out[group][s.name] = t.as_dict()
    return out


def batched_speed(pages: list[HtmlPage], one_by_one: list[Output] | None) -> dict:
    """The shipped labeler the way ``boiler clean`` runs it over a JSONL or WARC: pages in batches of
    ``boiler.pipeline.BATCH_PAGES``, parsed one by one, labeled with one model call per batch
    (``Labeler.clean_html_pages``), timed against trafilatura on the same pages in this same phase:
    each batch goes through boiler, then page by page through trafilatura, so both run in the same
    state of this process (after the interleaved run it holds every system's outputs, which slows
    Python's memory management for all). boiler's texts are checked against the shipped system's
    one by one, page by page (batching must not change a line)."""
    import boiler
    from boiler.pipeline import BATCH_PAGES

    lab = boiler.load(templates=None)
    peer = trafilatura_extractor()
    lab.clean_html_pages([p.html for p in pages[:BATCH_PAGES]])  # warm up, untimed
    texts: list[str] = []
    clock = {"boiler": [0.0, 0.0], "trafilatura": [0.0, 0.0]}  # wall and CPU seconds
    for lo in range(0, len(pages), BATCH_PAGES):
        chunk = [p.html for p in pages[lo:lo + BATCH_PAGES]]
        wall, cpu = time.perf_counter(), time.process_time()
        texts.extend(lab.clean_html_pages(chunk))
        clock["boiler"][0] += time.perf_counter() - wall
        clock["boiler"][1] += time.process_time() - cpu
        for html in chunk:  # run_one times each call, as in the interleaved run
            peer_out = run_one(peer, html)
            clock["trafilatura"][0] += peer_out.seconds
            clock["trafilatura"][1] += peer_out.cpu_seconds
    out = {"system": f"{SHIPPED}, batches of {BATCH_PAGES} (as boiler clean)", "pages": len(pages)}
    for name, (wall, cpu) in clock.items():
        out[name] = {"seconds": round(wall, 2), "pages_per_s": round(len(pages) / wall, 1),
                     "pages_per_cpu_s": round(len(pages) / cpu, 1)}
    out["ratio"] = round(clock["trafilatura"][0] / clock["boiler"][0], 2)
    if one_by_one is not None:
        out["pages_with_the_same_text_as_one_by_one"] = sum(t == o.text for t, o in zip(texts, one_by_one))
    return out


def failure_examples(systems: list[System], pages: list[HtmlPage], outputs: dict[str, list[Output]]) -> dict:
    """Per system, how many pages failed, by exception type (no messages: they may quote the page)."""
    out = {}
    for s in systems:
        errs = [(p.id, o.error) for p, o in zip(pages, outputs[s.name]) if o.error]
        if errs:
            kinds: dict[str, int] = {}
            for _, e in errs:
                kind = e.split(":", 1)[0]
                kinds[kind] = kinds.get(kind, 0) + 1
            out[s.name] = {"count": len(errs), "by_exception": kinds, "first_pages": [i for i, _ in errs[:5]]}
    return out


# -- reporting -------------------------------------------------------------------------------

def print_tables(results: dict[str, dict[str, dict]], names: list[str]) -> None:
    """Per set: P, R, F1, empty outputs, failures, pages/s; then F1 and speed side by side."""
    for group, by_system in results.items():
        n = next(iter(by_system.values()))["pages"]
        print(f"\n{group} ({n} pages)")
        print(f"  {'system':32s} {'P':>6s} {'R':>6s} {'F1':>6s} {'empty':>6s} {'fail':>5s} {'pages/s':>8s} {'/CPU-s':>8s}")
        for name in names:
            r = by_system[name]
            print(f"  {name:32s} {r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f} {r['empty_outputs']:6d} "
                  f"{r['failures']:5d} {r['pages_per_s'] or 0:8.1f} {r['pages_per_cpu_s'] or 0:8.1f}")
    groups = list(results)
    print("\n| system | " + " | ".join(groups) + " | pages/s (all) |")
    print("|---|" + "---:|" * (len(groups) + 1))
    for name in names:
        cells = [f"{results[g][name]['f1']:.3f}" for g in groups]
        print(f"| {name} | " + " | ".join(cells) + f" | {results['all'][name]['pages_per_s'] or 0:.1f} |")


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def build_systems(names: list[str], data: Path, pages: list[HtmlPage], params: dict) -> list[System]:
    systems = []
    for name in names:
        if name == HELD_OUT:
            systems.append(held_out_system(data, pages, fold_test_groups(page_groups(data)), params))
        elif name == SHIPPED:
            systems.append(shipped_system())
        elif name == ALL_TEXT:
            systems.append(all_text_system())
        else:
            systems.append(peer_system(name))
    return systems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the shared data folder (default: ../shared/data)")
    ap.add_argument("--sets", nargs="*", help="only these sets (default: all)")
    ap.add_argument("--limit", type=int, help="only the first N pages of each set")
    ap.add_argument("--systems", nargs="*", default=ALL_SYSTEMS, choices=ALL_SYSTEMS, metavar="SYSTEM",
                    help=f"systems to run (default: all): {', '.join(repr(s) for s in ALL_SYSTEMS)}")
    ap.add_argument("--fresh", action="store_true", help="ignore cached peer outputs: time every system now")
    ap.add_argument("--boiler-params", type=json.loads, default=BOILER_PARAMS, metavar="JSON",
                    help="parameters of the held-out fold models (default: the model's own defaults)")
    ap.add_argument("--json", type=Path, help="write scores and speeds (no corpus text) here")
    args = ap.parse_args()

    names = [s for s in ALL_SYSTEMS if s in args.systems]
    sets = args.sets or set_names(args.data)
    pages = [p for name in sets for p in read_pages(args.data, name, args.limit)]
    load_start = os.getloadavg()
    systems = build_systems(names, args.data, pages, args.boiler_params)
    outputs, timed_now = run_all(systems, pages, args.fresh)
    results = tally(systems, pages, outputs)
    print_tables(results, names)
    batched = batched_speed(pages, outputs.get(SHIPPED)) if SHIPPED in names else None
    if batched is not None:
        b, t = batched["boiler"], batched["trafilatura"]
        print(f"\n{batched['system']}: {b['pages_per_s']} pages/s ({b['pages_per_cpu_s']} per CPU-s); trafilatura in "
              f"the same phase {t['pages_per_s']} pages/s ({t['pages_per_cpu_s']}): {batched['ratio']}x; same text "
              f"as one by one on {batched.get('pages_with_the_same_text_as_one_by_one', '?')} of {batched['pages']} pages")
    if args.json:
        report = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": git_commit(),
            "command": " ".join(["python", "bench/extract.py", *sys.argv[1:]]),
            "metric": "word 4-gram shingles (\\w+, case kept); precision averaged over pages with output, "
                      "recall over all pages, F1 of the averages (boiler.evaluate.score_shingle_pages)",
            "timing": "one core, one process, systems interleaved page by page; wall time of the extraction "
                      "call (HTML str in, text out); pages_per_cpu_s from process CPU time",
            "load_average_start_end": [round(x, 2) for x in (*load_start[:1], *os.getloadavg()[:1])],
            "folds": {"n": N_FOLDS, "seed": FOLD_SEED, "grouped_by": "site (boiler.evaluate.group_of), all sets together",
                      "boiler_params": args.boiler_params},
            "systems": {s.name: {"version": s.version, "settings": s.settings, "timed_in_this_run": s.name in timed_now}
                        for s in systems},
            "failures": failure_examples(systems, pages, outputs),
            "results": results,
            "batched": batched,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
