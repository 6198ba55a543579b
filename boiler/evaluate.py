"""Scoring on the text track of FORMATS.md, and cross-validation grouped by site.

Per page, each line weighs its number of word tokens (``\\w+``). Precision is averaged over pages
where something was labeled body, recall over all pages (a page with no gold body tokens counts
recall 1: nothing was missed), and F1 is the harmonic mean of the two averages. Pooled
precision, recall and F1 over all lines are reported too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["PageCounts", "Scores", "page_counts", "score_pages", "site_folds", "group_of", "count_tokens"]

_TOKEN = re.compile(r"\w+")


def count_tokens(text: str) -> int:
    """Word tokens (``\\w+``) of a text: the weight of a line in every score and count boiler reports."""
    return len(_TOKEN.findall(text))


@dataclass(slots=True)
class PageCounts:
    """Token-weighted counts of one page: true positives, false positives, false negatives."""

    tp: int
    fp: int
    fn: int

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    @property
    def gold(self) -> int:
        return self.tp + self.fn


@dataclass(slots=True)
class Scores:
    """Macro (averaged over pages) and pooled precision, recall and F1."""

    pages: int
    precision: float
    recall: float
    f1: float
    pooled_precision: float
    pooled_recall: float
    pooled_f1: float
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"pages": self.pages, "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "pooled_precision": round(self.pooled_precision, 4),
                "pooled_recall": round(self.pooled_recall, 4), "pooled_f1": round(self.pooled_f1, 4)}


def page_counts(lines: Sequence[str], gold: Sequence[str], predicted: Sequence[bool | None]) -> PageCounts:
    """Token-weighted counts for one page. ``gold`` holds ``+``/``-``/`` ``; ``predicted`` True for body."""
    tp = fp = fn = 0
    for line, g, p in zip(lines, gold, predicted):
        if g == " " and not p:
            continue
        w = count_tokens(line)
        if g == "+":
            if p:
                tp += w
            else:
                fn += w
        elif p:
            fp += w
    return PageCounts(tp, fp, fn)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def score_pages(counts: Iterable[PageCounts]) -> Scores:
    """Macro and pooled scores over pages.

    Precision is averaged over pages with a non-empty prediction; recall over all pages, a page
    without gold body tokens counting 1.0 (nothing to find).
    """
    counts = list(counts)
    precs = [c.tp / c.predicted for c in counts if c.predicted > 0]
    recs = [c.tp / c.gold if c.gold > 0 else 1.0 for c in counts]
    p = float(np.mean(precs)) if precs else 0.0
    r = float(np.mean(recs)) if recs else 0.0
    tp = sum(c.tp for c in counts)
    fp = sum(c.fp for c in counts)
    fn = sum(c.fn for c in counts)
    pp = tp / (tp + fp) if tp + fp else 0.0
    pr = tp / (tp + fn) if tp + fn else 0.0
    return Scores(len(counts), p, r, _f1(p, r), pp, pr, _f1(pp, pr))


def group_of(site: str | None, page_id: str | None) -> str:
    """The cross-validation group of a page: its site, or its own id when the site is unknown."""
    return site or f"id:{page_id}"


def site_folds(groups: Sequence[str], n_folds: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test page indices of ``n_folds`` folds, no site in both; sites shuffled with ``seed``,
    then assigned largest first to the fold with fewest pages, so folds are balanced."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        by_site[g].append(i)
    rng = np.random.default_rng(seed)
    sites = list(by_site)
    rng.shuffle(sites)
    sites.sort(key=lambda s: -len(by_site[s]))  # stable: ties keep the shuffled order
    folds: list[list[int]] = [[] for _ in range(n_folds)]
    for s in sites:
        min(folds, key=len).extend(by_site[s])
    all_idx = np.arange(len(groups))
    out = []
    for f in folds:
        te = np.array(sorted(f), dtype=np.int64)
        tr = np.setdiff1d(all_idx, te)
        out.append((tr, te))
    return out
