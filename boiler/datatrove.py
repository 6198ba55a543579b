"""boiler as one step of a datatrove pipeline (``pip install "boiler[datatrove]"``).

``BoilerFilter`` replaces each document's text with its body lines, in batches (one model call per
batch), and records the counts in the document's metadata. A document with no body left, or one
that could not be read (its HTML over the time limit, binary bytes), is dropped with a reason,
counted in datatrove's stats and written to the ``exclusion_writer`` when one is given: nothing is
dropped silently.

    from datatrove.pipeline.readers import JsonlReader
    from boiler.datatrove import BoilerFilter

    pipeline = [JsonlReader("crawl/"), BoilerFilter(), JsonlWriter("clean/")]
"""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from .errors import InputError
from .formats import Failure, Page, check_text, split_lines
from .labeler import BATCH_PAGES, Labeler, load
from .pipeline import PAGE_TIME_LIMIT, CleanOptions, clean_batch, is_error

__all__ = ["BoilerFilter"]


class BoilerFilter(BaseFilter):
    """Keep each document's body lines (``html=True``: its text is HTML, turned into lines first)."""

    name = "boiler"

    def __init__(self, model: str | None = None, html: bool = False, time_limit: float | None = PAGE_TIME_LIMIT,
                 exclusion_writer=None, batch_size: int = BATCH_PAGES):
        super().__init__(exclusion_writer, batch_size)
        self.model = model
        self.html = html
        self.options = CleanOptions(time_limit=time_limit)
        self._labeler: Labeler | None = None

    @property
    def labeler(self) -> Labeler:
        """The model, loaded on first use in the process that runs the step (not pickled with it)."""
        if self._labeler is None:
            self._labeler = load(self.model)
        return self._labeler

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_labeler"] = None
        return state

    def _page(self, doc: Document) -> Page | Failure:
        url = doc.metadata.get("url")
        try:
            check_text(doc.text, f"document {doc.id}")
        except InputError as exc:
            return Failure(exc.source, None, exc.message)
        if self.html:
            return Page(lines=[], html=doc.text, id=str(doc.id), url=url, source="datatrove")
        return Page(lines=split_lines(doc.text), id=str(doc.id), url=url, source="datatrove")

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        records = clean_batch(self.labeler, [self._page(doc) for doc in batch], self.options)
        out: list[bool | tuple[bool, str]] = []
        for doc, rec in zip(batch, records):
            if is_error(rec):
                doc.metadata["boiler_error"] = rec["error"]
                out.append((False, "boiler_error"))
                continue
            doc.text = rec["text"]
            for key in ("lines_kept", "lines_dropped", "tokens_kept", "tokens_dropped"):
                doc.metadata[f"boiler_{key}"] = rec[key]
            out.append(True if rec["text"] else (False, "boiler_no_body"))
        return out

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]
