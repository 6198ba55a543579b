"""What changed between two models: the lines of some pages whose label differs.

Checking a retrain before it ships: label the same pages with the old model (A) and the new one
(B) and list every line whose label changed. Where the pages carry gold labels, a change is a
**regression** (A was right, B is wrong) or a **fix** (the other way round), and the two models'
scores are compared; on unlabeled pages it is just a **change**. Regressions come first, the
largest (by word tokens) first within each kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from .errors import InputError
from .evaluate import PageCounts, Scores, count_tokens, page_counts, score_pages
from .formats import Page
from .html import HtmlPage, parse_html
from .labeler import BATCH_PAGES, Labeler
from .templates import SiteTemplate

log = logging.getLogger(__name__)

__all__ = ["ChangeKind", "LineChange", "ModelDiff", "diff_models"]

class ChangeKind(str, Enum):
    """How a changed line fares against the gold label (when the page has one)."""

    REGRESSION = "regression"
    FIX = "fix"
    CHANGE = "change"

    @property
    def plural(self) -> str:
        return "fixes" if self is ChangeKind.FIX else f"{self.value}s"


#: Order in which kinds are listed: the ones to look at first, first.
KIND_ORDER = {ChangeKind.REGRESSION: 0, ChangeKind.FIX: 1, ChangeKind.CHANGE: 2}


@dataclass(slots=True)
class LineChange:
    """One line labeled differently by model A and model B (``line`` counts from 1)."""

    page: str
    site: str | None
    line: int
    text: str
    gold: str | None
    label_a: str
    label_b: str
    p_a: float
    p_b: float
    kind: ChangeKind
    tokens: int

    def as_dict(self) -> dict:
        return {"page": self.page, "site": self.site, "line": self.line, "kind": self.kind.value,
                "gold": self.gold, "label_a": self.label_a, "label_b": self.label_b,
                "p_a": round(self.p_a, 4), "p_b": round(self.p_b, 4), "tokens": self.tokens, "text": self.text}


@dataclass(slots=True)
class ModelDiff:
    """The changed lines of a set of pages, in the order to review them, and the scores where known."""

    pages: int
    lines: int
    labeled_pages: int
    changes: list[LineChange] = field(default_factory=list)
    scores_a: Scores | None = None
    scores_b: Scores | None = None

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)

    def tokens(self, kind: ChangeKind) -> int:
        return sum(c.tokens for c in self.changes if c.kind is kind)

    def summary(self) -> dict:
        out = {"pages": self.pages, "lines": self.lines, "labeled_pages": self.labeled_pages,
               "changed_lines": len(self.changes)}
        for kind in ChangeKind:
            out[kind.plural] = self.count(kind)
            out[f"{kind.value}_tokens"] = self.tokens(kind)
        if self.scores_a is not None and self.scores_b is not None:
            out["scores_a"] = self.scores_a.as_dict()
            out["scores_b"] = self.scores_b.as_dict()
        return out


def _kind(gold: str | None, label_a: str, label_b: str) -> ChangeKind:
    if gold not in ("+", "-"):
        return ChangeKind.CHANGE
    if label_a == gold:
        return ChangeKind.REGRESSION
    if label_b == gold:
        return ChangeKind.FIX
    return ChangeKind.CHANGE


def diff_models(a: Labeler, b: Labeler, pages: Iterable[Page],
                parsed: Callable[[Page], HtmlPage | None] | None = None) -> ModelDiff:
    """Label ``pages`` with both models (one model call per batch each) and collect the changed lines.

    Each page is labeled as ``boiler label`` labels it: an HTML page (one with ``html``) by each model
    folder's HTML model with its DOM evidence, and with its site's template from each labeler's store
    when the page's site or URL names one. ``parsed`` gives a page's parsed HTML where the caller has
    it already (else the page is parsed here). Raises InputError for an HTML page that cannot be parsed."""
    diff = ModelDiff(pages=0, lines=0, labeled_pages=0)
    counts_a: list[PageCounts] = []
    counts_b: list[PageCounts] = []
    chunk: list[Page] = []

    def flush() -> None:
        html = [_parsed(p, parsed) for p in chunk]
        lines = [hp.lines if hp is not None else p.lines for p, hp in zip(chunk, html)]
        ra, rb = (lab.label_mixed(lines, html, templates=_templates(lab, chunk)) for lab in (a, b))
        for page, page_lines, x, y in zip(chunk, lines, ra, rb):
            _compare(diff, page if page.lines == page_lines else replace(page, lines=page_lines), x, y,
                     counts_a, counts_b)
        chunk.clear()

    for page in pages:
        chunk.append(page)
        if len(chunk) >= BATCH_PAGES:
            flush()
    if chunk:
        flush()
    if counts_a:
        diff.scores_a, diff.scores_b = score_pages(counts_a), score_pages(counts_b)
    diff.changes.sort(key=lambda c: (KIND_ORDER[c.kind], -c.tokens))
    return diff


def _parsed(page: Page, given: Callable[[Page], HtmlPage | None] | None) -> HtmlPage | None:
    """An HTML page's parsed form (the caller's, else parsed here); None for a text page."""
    if page.html is None:
        return None
    hp = given(page) if given is not None else None
    return hp if hp is not None else parse_html(page.html, page.source, paths=False)


def _templates(labeler: Labeler, pages: Sequence[Page]) -> list[SiteTemplate | None]:
    """Each page's site template in the labeler's store (None: none, or a file that cannot be read,
    which is logged: the diff goes on without it)."""
    out: list[SiteTemplate | None] = []
    for page in pages:
        try:
            out.append(labeler.template_for(page.site, page.url))
        except InputError as exc:
            log.warning("%s; its pages are compared without it", exc)
            out.append(None)
    return out


def _compare(diff: ModelDiff, page: Page, ra: Sequence, rb: Sequence,
             counts_a: list[PageCounts], counts_b: list[PageCounts]) -> None:
    diff.pages += 1
    diff.lines += len(page.lines)
    gold = page.labels if page.labels is not None and len(page.labels) == len(page.lines) else None
    if gold is not None:
        diff.labeled_pages += 1
        counts_a.append(page_counts(page.lines, gold, [r.is_body for r in ra]))
        counts_b.append(page_counts(page.lines, gold, [r.is_body for r in rb]))
    name = page.id or page.source
    for i, (x, y) in enumerate(zip(ra, rb)):
        if x.label == y.label:
            continue
        g = gold[i] if gold is not None else None
        diff.changes.append(LineChange(name, page.site, i + 1, x.text, g, x.label, y.label, x.p_body, y.p_body,
                                       _kind(g, x.label, y.label), count_tokens(x.text)))
