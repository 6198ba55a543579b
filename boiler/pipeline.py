"""Cleaning at corpus scale: every input record gives exactly one output record or one error record.

The unit of work is :func:`clean_batch`: a pure function of a labeler, a batch of pages and options,
with no global state, so it pickles to any executor. Runners keep a bounded number of batches in
flight (memory stays flat however long the stream) and yield results in input order:

* :func:`run_local`: in this process, or ``jobs`` worker processes (each loads the model once);
* :func:`run_on_executor`: any ``concurrent.futures``-style executor; a Dask ``Client`` is one
  (see :mod:`boiler.distributed`).

Output records (JSON objects):

* a cleaned page: ``id``, ``url``, ``site``, ``text`` (the body lines), ``lines_kept``,
  ``lines_dropped``, ``tokens_kept``, ``tokens_dropped``; with options, ``labels`` and ``p_body`` per
  line, and ``dropped`` (the chrome lines, for an audit side output);
* an error: ``id``, ``url``, ``source``, ``record`` and ``error`` (the reason), and no ``text``.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from .errors import InputError
from .evaluate import count_tokens
from .formats import Failure, Page
from .html import html_to_lines
from .labeler import BATCH_PAGES, Labeler
from .sites import site_of

__all__ = [
    "PAGE_TIME_LIMIT",
    "CleanOptions",
    "PageTimeout",
    "batches",
    "clean_batch",
    "error_record",
    "is_error",
    "run_local",
    "run_on_executor",
]

log = logging.getLogger(__name__)

#: Seconds a page may take to turn from HTML into lines before it is given up (an error record).
PAGE_TIME_LIMIT = 30.0
#: Batches in flight per worker: enough to keep every worker busy, few enough to keep memory flat.
IN_FLIGHT_PER_WORKER = 2

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


def _page_lines(page: Page, options: CleanOptions) -> list[str]:
    if page.html is not None and not page.lines:
        with _time_limit(options.time_limit):
            return html_to_lines(page.html, page.source)
    return page.lines


def clean_batch(labeler: Labeler, items: Sequence[Page | Failure], options: CleanOptions = CleanOptions()) -> list[dict]:
    """One output record per item, in order: the cleaned page, or an error record saying why not.

    Pure and picklable: the labeler, the items and the options are all it uses. The pages' text is
    labeled in one model call for the whole batch.
    """
    out: list[dict | None] = [None] * len(items)
    todo: list[tuple[int, Page, list[str]]] = []
    for i, item in enumerate(items):
        if isinstance(item, Failure):
            out[i] = error_record(item.source, item.record, item.message, record_id=item.id)
            continue
        record = item.record
        try:
            lines = _page_lines(item, options)
        except (InputError, PageTimeout) as exc:
            out[i] = error_record(item.source, record, getattr(exc, "message", str(exc)), item)
            continue
        except Exception as exc:  # a parser bug must cost one page, not the batch
            log.exception("%s: record %s", item.source, record)
            out[i] = error_record(item.source, record, f"could not be read ({type(exc).__name__}: {exc})", item)
            continue
        if not any(line.strip() for line in lines):
            out[i] = error_record(item.source, record, "empty page: no text to clean", item)
            continue
        todo.append((i, item, lines))
    results = labeler.label_pages([lines for _, _, lines in todo]) if todo else []
    for (i, page, _), res in zip(todo, results):
        body = [r.text for r in res if r.is_body]
        chrome = [r.text for r in res if r.is_body is False]
        kept = sum(count_tokens(t) for t in body)
        rec = {"id": page.id, "url": page.url, "site": page.site or site_of(page.url), "text": "\n".join(body),
               "lines_kept": len(body), "lines_dropped": len(chrome),
               "tokens_kept": kept, "tokens_dropped": sum(count_tokens(t) for t in chrome)}
        if options.labels:
            rec["labels"] = [r.label for r in res]
            rec["p_body"] = [round(r.p_body, 4) for r in res]
        if options.dropped:
            rec["dropped"] = chrome
        out[i] = rec
    return out  # type: ignore[return-value]


def batches(items: Iterable[Page | Failure], size: int = BATCH_PAGES) -> Iterator[list[Page | Failure]]:
    """Consecutive batches of ``size`` items (the last may be shorter)."""
    chunk: list[Page | Failure] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_on_executor(submit: Callable[[list[Page | Failure]], object], chunks: Iterable[list[Page | Failure]],
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


def _worker_clean(items: list[Page | Failure], options: CleanOptions) -> list[dict]:
    assert _Worker.labeler is not None, "worker not initialised"
    return clean_batch(_Worker.labeler, items, options)


def run_local(items: Iterable[Page | Failure], labeler: Labeler, options: CleanOptions = CleanOptions(),
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
