"""boiler on a Dask cluster: the same per-batch function as the local runner, on Dask's workers.

* :func:`run_dask` streams pages to a cluster (``boiler clean --engine dask --scheduler ADDRESS``):
  the model is sent to every worker once, batches are submitted with a bounded number in flight,
  and results come back in input order, so the output equals the local run's byte for byte.
* :func:`clean_bag` takes a ``dask.bag`` of pages (``Page`` objects, or records of either shared
  format or ``{"text": ...}``) and returns a bag of output records, for pipelines already on Dask.

Dask is an optional dependency (``pip install "boiler[dask]"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .errors import InputError
from .formats import Failure, Page, failed_record_id, page_from_record
from .labeler import BATCH_PAGES, Labeler
from .pipeline import IN_FLIGHT_PER_WORKER, CleanOptions, Item, batches, clean_batch, run_on_executor

__all__ = ["clean_bag", "run_dask"]


def run_dask(items: Iterable[Item], labeler: Labeler, scheduler: str | object,
             options: CleanOptions = CleanOptions(), batch_pages: int = BATCH_PAGES) -> Iterator[list[dict]]:
    """Clean a stream of pages on the Dask cluster at ``scheduler`` (an address, or a ``Client``)."""
    from distributed import Client

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        model = client.scatter(labeler, broadcast=True, hash=False)
        yield from run_on_executor(lambda chunk: client.submit(clean_batch, model, chunk, options, pure=False),
                                   batches(items, batch_pages), workers * IN_FLIGHT_PER_WORKER)
    finally:
        if own:
            client.close()


def _as_item(rec: object, source: str, n: int) -> Page | Failure:
    if isinstance(rec, (Page, Failure)):
        return rec
    try:
        return page_from_record(rec, source, n)
    except InputError as exc:
        return Failure(source, n, exc.message, failed_record_id(rec))


def _clean_partition(records: Iterable[object], labeler: Labeler, options: CleanOptions, partition: int) -> list[dict]:
    source = f"<bag partition {partition}>"
    out: list[dict] = []
    for chunk in batches((_as_item(r, source, n) for n, r in enumerate(records, start=1)), BATCH_PAGES):
        out.extend(clean_batch(labeler, chunk, options))
    return out


def clean_bag(bag, labeler: Labeler, options: CleanOptions = CleanOptions()):
    """A ``dask.bag`` of output records (cleaned pages or error records), one per input, in order. A
    record that cannot be read gives an error record with its id, and as its place the partition
    (``source``: ``<bag partition K>``, from 0) and its number in it (``record``, from 1)."""
    import dask
    import dask.bag

    model = dask.delayed(labeler, pure=True)
    clean = dask.delayed(_clean_partition, pure=True)
    return dask.bag.from_delayed([clean(part, model, options, k) for k, part in enumerate(bag.to_delayed())])
