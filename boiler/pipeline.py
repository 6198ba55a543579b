"""Cleaning at corpus scale: every input record gives exactly one output record or one error record.

The unit of work is :func:`clean_batch`: a pure function of a labeler, a batch of pages and options,
with no global state, so it pickles to any executor. Runners keep a bounded number of batches in
flight (memory stays flat however long the stream) and yield results in input order:

* :func:`run_local`: in this process, or ``jobs`` worker processes (each loads the model once);
* :func:`run_on_executor`: any ``concurrent.futures``-style executor; a Dask ``Client`` is one
  (see :mod:`boiler.distributed`).

A corpus pass (``boiler clean --learn-templates``) first learns a template per site from the pages
themselves (:class:`TemplateLearner`, in bounded memory), then cleans with a labeler that holds them
(:func:`with_templates`): the templates travel with the labeler, sent to each worker once. A page
the template has seen is left out of its counts, so no page is labeled with its own lines.

Output records (JSON objects):

* a cleaned page: ``id``, ``url``, ``site``, ``text`` (the body lines), ``lines_kept``,
  ``lines_dropped``, ``tokens_kept``, ``tokens_dropped``; with options, ``labels`` and ``p_body`` per
  line, and ``dropped`` (the chrome lines, for an audit side output);
* an error: ``id``, ``url``, ``source``, ``record`` and ``error`` (the reason), and no ``text``.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from .errors import InputError, SpoolError
from .formats import Failure, Page
from .html import MAX_PAGE_SECONDS, HtmlPage, parse_html
from .labeler import BATCH_PAGES, BODY, CHROME, Labeler
from .sites import normal_site, site_of
from .templates import SiteTemplate, TemplateStore, learn_template

__all__ = [
    "PAGE_TIME_LIMIT",
    "SPOOL_MEMORY_PAGES",
    "CleanOptions",
    "LearnedTemplates",
    "PageSpool",
    "PageTimeout",
    "ReadPage",
    "TemplateLearner",
    "batches",
    "clean_batch",
    "error_record",
    "is_error",
    "learn_batch_templates",
    "page_site",
    "read_page",
    "run_local",
    "run_on_executor",
    "with_templates",
]

log = logging.getLogger(__name__)

#: Seconds a page may take to turn from HTML into lines before it is given up (an error record).
PAGE_TIME_LIMIT = 30.0
#: Batches in flight per worker: enough to keep every worker busy, few enough to keep memory flat.
IN_FLIGHT_PER_WORKER = 2
#: Learning templates, a site's pages are held until this many, then counted into its template.
LEARN_SITE_PAGES = 2000
#: Learning templates, at most this many pages are held in all (the largest site's are counted first).
LEARN_HELD_PAGES = 20000
#: A corpus pass gives a site a template only when the batch holds at least this many of its pages.
CORPUS_MIN_PAGES = 2
#: A corpus pass's spool holds this many pages as read, in memory, before it writes any to its file
#: (pickling a parsed HTML page and reading it back costs about 0.5 ms; holding one, its lines and DOM
#: evidence, some tens of KB). ``clean --low-memory`` holds none.
SPOOL_MEMORY_PAGES = 2048
#: A corpus pass keeps, for at most this many lines of the pages it learned from, where each line's key
#: and shape sit in its site's template (2 or 4 bytes each), so that the cleaning pass need not fold
#: those lines again; the lines of further pages are folded again.
CORPUS_ROW_IDS = 10_000_000

@dataclass(slots=True, frozen=True)
class CleanOptions:
    """What each output record carries, and the per-page time limit (None: no limit)."""

    labels: bool = False
    dropped: bool = False
    time_limit: float | None = PAGE_TIME_LIMIT


class PageTimeout(Exception):
    """A page took longer than the per-page time limit."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`PageTimeout` in this block after ``seconds`` (in the main thread of a process, where
    signals can be delivered; elsewhere, as in a Dask worker's threads, the block runs unlimited)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise PageTimeout(f"took longer than the per-page limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def error_record(source: str, record: int | None, error: str, page: Page | None = None,
                 record_id: str | None = None) -> dict:
    """The record that stands for an input that could not be cleaned (its id from ``page`` or ``record_id``)."""
    return {"id": page.id if page else record_id, "url": page.url if page else None, "source": source,
            "record": record, "error": error}


def is_error(record: dict) -> bool:
    return "error" in record


def _page_lines(page: Page, options: CleanOptions) -> tuple[list[str], HtmlPage | None]:
    """A page's lines, and for an HTML page its parsed form (its DOM evidence, for the HTML model)."""
    if page.html is not None and not page.lines:
        with _time_limit(options.time_limit):
            hp = parse_html(page.html, page.source, max_seconds=options.time_limit or MAX_PAGE_SECONDS,
                            paths=False)  # (a pipeline keeps or drops lines: no tag path is shown)
        return hp.lines, hp
    return page.lines, None


@dataclass(slots=True)
class ReadPage:
    """A page turned into lines (:func:`read_page`): its lines and, for an HTML page, its parsed form;
    or why it could not be (``error``). The page keeps its metadata, not its HTML."""

    page: Page
    lines: list[str]
    html: HtmlPage | None = None
    error: str | None = None


def read_page(page: Page, options: CleanOptions = CleanOptions()) -> ReadPage:
    """A page's lines (an HTML page parsed, within the options' time limit), or the error that stops it."""
    try:
        lines, hp = _page_lines(page, options)
    except (InputError, PageTimeout) as exc:
        return ReadPage(page, [], error=getattr(exc, "message", str(exc)))
    except Exception as exc:  # a parser bug must cost one page, not the batch
        log.exception("%s: record %s", page.source, page.record)
        return ReadPage(page, [], error=f"could not be read ({type(exc).__name__}: {exc})")
    if hp is not None:  # parsed: the HTML is not needed again
        page = replace(page, html=None, lines=[])
    return ReadPage(page, lines, hp)


#: What the cleaning functions take: a page, a page already read, or a record that could not be read.
Item = Page | ReadPage | Failure


def page_site(page: Page) -> str | None:
    """The site a page belongs to: its own ``site``, else its URL's registered domain (lower case)."""
    return normal_site(page.site) or site_of(page.url)


def clean_batch(labeler: Labeler, items: Sequence[Item], options: CleanOptions = CleanOptions()) -> list[dict]:
    """One output record per item, in order: the cleaned page, or an error record saying why not.

    Pure and picklable: the labeler, the items and the options are all it uses. The pages' text is
    labeled in one model call for the whole batch, each page with its site's template when the
    labeler has one (a template file that cannot be read makes an error record of the page).
    """
    out: list[dict | None] = [None] * len(items)
    todo: list[tuple[int, Page, list[str]]] = []
    parsed: list[HtmlPage | None] = []
    templates: list[SiteTemplate | None] = []
    for i, item in enumerate(items):
        if isinstance(item, Failure):
            out[i] = error_record(item.source, item.record, item.message, record_id=item.id)
            continue
        read = item if isinstance(item, ReadPage) else read_page(item, options)
        page, lines = read.page, read.lines
        if read.error is not None:
            out[i] = error_record(page.source, page.record, read.error, page)
            continue
        if not any(line.strip() for line in lines):
            out[i] = error_record(page.source, page.record, "empty page: no text to clean", page)
            continue
        try:
            template = labeler.template_for(page.site, page.url)
        except InputError as exc:
            out[i] = error_record(page.source, page.record, f"its site template cannot be read: {exc}", page)
            continue
        todo.append((i, page, lines))
        parsed.append(read.html)
        templates.append(template)
    verdicts = labeler.verdict_mixed([lines for _, _, lines in todo], parsed, templates=templates) if todo else []
    for (i, page, lines), v in zip(todo, verdicts):
        body, chrome = v.lines(lines, BODY), v.lines(lines, CHROME)
        rec = {"id": page.id, "url": page.url, "site": page_site(page), "text": "\n".join(body),
               "lines_kept": len(body), "lines_dropped": len(chrome),
               "tokens_kept": v.token_count(BODY), "tokens_dropped": v.token_count(CHROME)}
        if options.labels:
            rec["labels"] = v.marks()
            rec["p_body"] = [round(p, 4) for p in v.p_body.tolist()]
        if options.dropped:
            rec["dropped"] = chrome
        out[i] = rec
    return out  # type: ignore[return-value]


# -- site templates of a corpus ---------------------------------------------------------------

class TemplateLearner:
    """Learns site templates from a stream of pages, site by site, in bounded memory.

    :meth:`add` holds a site's pages until it has ``site_pages`` of them (or ``held_pages`` pages are
    held in all, when the site with most waits no longer), then counts them into the site's template
    (:func:`~boiler.templates.learn_template` with the template so far as its base). A site learned in
    one go (most sites) gets exactly the template of all its pages at once; a larger one is learned in
    parts, its earlier parts' bodies estimated from fewer pages. ``bases`` gives a site's template
    learned before (as from a :class:`~boiler.templates.TemplateStore`), to be updated. A site given fewer
    than ``min_pages`` pages in all, and no base, is not learned (its template would not be used).
    ``row_ids``: the templates learned last (by :meth:`finish`) keep the row ids of up to this many lines
    of the pages they learned (:meth:`~boiler.templates.SiteTemplate.keep_row_ids`), for labeling them.
    """

    def __init__(self, bases: Callable[[str], SiteTemplate | None] | None = None,
                 site_pages: int = LEARN_SITE_PAGES, held_pages: int = LEARN_HELD_PAGES, min_pages: int = 1,
                 row_ids: int = 0):
        self.bases = bases
        self.site_pages = max(site_pages, 1)
        self.held_pages = max(held_pages, 1)
        self.min_pages = min_pages
        self.row_ids = row_ids  # rows whose ids the templates may still keep (see SiteTemplate.keep_row_ids)
        self.templates: dict[str, SiteTemplate] = {}
        self.read: dict[str, int] = {}  # pages given per site
        self.base_pages: dict[str, int] = {}  # pages the site's base template had seen
        self._held: dict[str, list[tuple[list[str], list[str] | None]]] = {}
        self._n_held = 0

    def add(self, site: str, lines: Sequence[str], labels: Sequence[str] | None = None) -> None:
        """One page of ``site`` (its lines, and their labels if known)."""
        site = site.lower()
        held = self._held.setdefault(site, [])
        held.append((list(lines), list(labels) if labels is not None else None))
        self.read[site] = self.read.get(site, 0) + 1
        self._n_held += 1
        if len(held) >= self.site_pages:
            self._learn(site)
        elif self._n_held >= self.held_pages:
            self._learn(max(self._held, key=lambda s: len(self._held[s])))

    def _learn(self, site: str, row_ids: bool = False) -> None:
        held = self._held.pop(site)
        self._n_held -= len(held)
        base = self.templates.get(site)
        if base is None and site not in self.base_pages:
            base = self.bases(site) if self.bases is not None else None
            self.base_pages[site] = base.n_pages if base is not None else 0
        t = learn_template([lines for lines, _ in held], site, [lab for _, lab in held], base=base,
                           row_ids=self.row_ids if row_ids else 0)
        self.row_ids -= t.kept_rows()
        self.templates[site] = t

    def finish(self) -> dict[str, SiteTemplate]:
        """The template of every site given (but those too small, see ``min_pages``), by site (lower case)."""
        for site in list(self._held):
            if self.read[site] < self.min_pages and self.bases is None:
                self._n_held -= len(self._held.pop(site))  # too few pages for a template: not learned
                continue
            self._learn(site, row_ids=True)  # the site's template is final: it may keep its row ids
        return self.templates

    def learned(self, site: str) -> int:
        """Pages of ``site`` counted into its template that it had not seen before."""
        return self.templates[site].n_pages - self.base_pages.get(site, 0)


class PageSpool:
    """Pages as read by one pass, kept for the next to read back in order: a corpus pass reads its input
    and parses its HTML once, not once per pass. The first ``memory_pages`` are held as they are; the
    rest go to a temporary file (removed on :meth:`close`), one pickle each, written and read one at a
    time, so memory stays bounded whatever the number of pages. The file is this process's own, never input.

    A file that cannot be made, written or read back raises :class:`~boiler.errors.SpoolError` naming
    its folder (``folder``, by default the temporary folder: ``TMPDIR``)."""

    def __init__(self, folder: str | None = None, memory_pages: int = SPOOL_MEMORY_PAGES):
        self.folder = folder or tempfile.gettempdir()
        self.memory_pages = memory_pages
        self.count = 0
        self._held: list[ReadPage | Failure] = []
        try:
            self._file = tempfile.TemporaryFile(prefix="boiler-spool-", dir=self.folder)  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise self._error("cannot make a temporary file", exc) from None

    def _error(self, what: str, exc: Exception) -> SpoolError:
        return SpoolError(self.folder, f"{what} ({getattr(exc, 'strerror', None) or exc or 'cut short'})")

    def add(self, item: ReadPage | Failure) -> None:
        if self.count == len(self._held) < self.memory_pages:  # (none written yet: the order stays)
            self._held.append(item)
            self.count += 1
            return
        try:  # one pickle each: nothing shared, memory flat
            pickle.dump(item, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            raise self._error("cannot write to a temporary file", exc) from None
        self.count += 1

    def __iter__(self) -> Iterator[ReadPage | Failure]:
        try:
            self._file.flush()
            self._file.seek(0)
        except OSError as exc:
            raise self._error("cannot write to a temporary file", exc) from None
        yield from self._held
        for k in range(len(self._held), self.count):
            try:
                item = pickle.load(self._file)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:  # lost or cut short under us
                raise self._error(f"cannot read page {k + 1} of {self.count} back from a temporary file", exc) from None
            yield item

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> PageSpool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def learn_batch_templates(items: Iterable[Page | Failure], options: CleanOptions = CleanOptions(),
                          min_pages: int = CORPUS_MIN_PAGES,
                          spool: PageSpool | None = None) -> tuple[dict[str, SiteTemplate], int]:
    """The first pass of a corpus run: a template per site from the batch's own pages (no labels used),
    for each site with at least ``min_pages`` distinct pages; and how many pages had no site.

    Failures, pages that cannot be read or are empty are passed over here (the cleaning pass reports
    them); an HTML page is parsed with the options' time limit. ``spool``: every item, read (an HTML
    page parsed, or its error kept), is added to it, for the cleaning pass to take in order.
    """
    learner = TemplateLearner(min_pages=min_pages, row_ids=CORPUS_ROW_IDS)
    no_site = 0
    for item in items:
        if isinstance(item, Failure):
            if spool is not None:
                spool.add(item)
            continue
        read = read_page(item, options)
        if spool is not None:
            spool.add(read)
        if read.error is not None:
            log.debug("%s: record %s not learned from: %s", item.source, item.record, read.error)
            continue
        if not any(line.strip() for line in read.lines):
            continue
        site = page_site(item)
        if site is None:
            no_site += 1
            continue
        learner.add(site, read.lines)
    learned = {site: t for site, t in learner.finish().items() if t.n_pages >= min_pages}
    return learned, no_site


class LearnedTemplates:
    """Site templates held in memory (as a corpus pass learns them), looked up as a
    :class:`~boiler.templates.TemplateStore` is; a site it lacks is looked up in ``fallback``."""

    def __init__(self, templates: Mapping[str, SiteTemplate], fallback: TemplateStore | LearnedTemplates | None = None):
        self.templates = {site.lower(): t for site, t in templates.items()}
        self.fallback = fallback

    def get(self, site: str | None) -> SiteTemplate | None:
        if not site:
            return None
        t = self.templates.get(site.lower())
        if t is None and self.fallback is not None:
            return self.fallback.get(site)
        return t

    def sites(self) -> list[str]:
        return sorted(self.templates)

    def __len__(self) -> int:
        return len(self.templates)


def with_templates(labeler: Labeler, templates: Mapping[str, SiteTemplate], fallback: bool = True) -> Labeler:
    """A labeler like ``labeler`` (its text and HTML models) that labels each page with ``templates``'
    template of its site; sites without one use ``labeler``'s own store (``fallback=False``: none)."""
    return labeler.with_store(LearnedTemplates(templates, labeler.templates if fallback else None))  # type: ignore[arg-type]


def batches(items: Iterable[Item], size: int = BATCH_PAGES) -> Iterator[list[Item]]:
    """Consecutive batches of ``size`` items (the last may be shorter)."""
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_on_executor(submit: Callable[[list[Item]], object], chunks: Iterable[list[Item]],
                    in_flight: int) -> Iterator[list[dict]]:
    """Submit each batch (``submit`` returns a future with ``.result()``), at most ``in_flight`` at once,
    and yield the results in submission order."""
    pending: deque = deque()
    for chunk in chunks:
        pending.append(submit(chunk))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


# -- worker processes ------------------------------------------------------------------------

class _Worker:
    """The state of one worker process: its labeler, loaded once when the process starts."""

    labeler: Labeler | None = None


def _init_worker(labeler: Labeler) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one core per worker: the processes are the parallelism
    _Worker.labeler = labeler


def _worker_clean(items: list[Item], options: CleanOptions) -> list[dict]:
    assert _Worker.labeler is not None, "worker not initialised"
    return clean_batch(_Worker.labeler, items, options)


def run_local(items: Iterable[Item], labeler: Labeler, options: CleanOptions = CleanOptions(),
              jobs: int = 1, batch_pages: int = BATCH_PAGES) -> Iterator[list[dict]]:
    """Clean a stream of pages in this process (``jobs=1``) or in ``jobs`` worker processes, yielding the
    output records batch by batch, in input order."""
    chunks = batches(items, batch_pages)
    if jobs <= 1:
        for chunk in chunks:
            yield clean_batch(labeler, chunk, options)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may already run OpenMP threads, which a forked child would inherit broken
    with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                             initargs=(labeler,)) as pool:
        yield from run_on_executor(lambda chunk: pool.submit(_worker_clean, chunk, options), chunks,
                                   jobs * IN_FLIGHT_PER_WORKER)
