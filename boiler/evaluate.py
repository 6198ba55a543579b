"""Scoring on both tracks of FORMATS.md, and cross-validation grouped by site.

Text track: per page, each line weighs its number of word tokens (``\\w+``). Precision is averaged
over pages where something was labeled body, recall over all pages (a page with no gold body tokens
counts recall 1: nothing was missed), and F1 is the harmonic mean of the two averages. Pooled
precision, recall and F1 over all lines are reported too.

Pages (HTML) track: an extracted text against the page's gold text, by word 4-gram shingles
(:func:`shingle_counts`, :func:`score_shingle_pages`), the metric of the public article-extraction
benchmarks.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["PageCounts", "Scores", "page_counts", "score_pages", "site_folds", "group_of", "count_tokens",
           "SHINGLE_SIZE", "ShingleCounts", "ShingleScores", "word_tokens", "shingles", "shingle_counts",
           "score_shingle_pages"]

_TOKEN = re.compile(r"\w+")


def count_tokens(text: str) -> int:
    """Word tokens (``\\w+``) of a text: the weight of a line in every score and count boiler reports."""
    return len(_TOKEN.findall(text))


@dataclass(slots=True)
class PageCounts:
    """Counts of one page: true positives, false positives, false negatives (token-weighted lines on
    the text track, word shingles on the pages track: :data:`ShingleCounts`)."""

    tp: int
    fp: int
    fn: int

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    @property
    def gold(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        """Share of the output found in the gold; None for an empty output."""
        return self.tp / self.predicted if self.predicted else None

    @property
    def recall(self) -> float:
        """Share of the gold found in the output; 1.0 when the gold is empty (nothing to find)."""
        return self.tp / self.gold if self.gold else 1.0


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


def _macro(counts: Sequence[PageCounts]) -> tuple[float, float, int]:
    """Precision averaged over pages with output, recall over all pages, and how many pages had no
    output (the averaging both tracks of FORMATS.md share)."""
    precs = [c.precision for c in counts if c.predicted]
    p = float(np.mean(precs)) if precs else 0.0
    r = float(np.mean([c.recall for c in counts])) if counts else 0.0
    return p, r, len(counts) - len(precs)


def score_pages(counts: Iterable[PageCounts]) -> Scores:
    """Macro and pooled scores over pages.

    Precision is averaged over pages with a non-empty prediction; recall over all pages, a page
    without gold body tokens counting 1.0 (nothing to find).
    """
    counts = list(counts)
    p, r, _ = _macro(counts)
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


# -- pages track: word 4-gram shingles -------------------------------------------------------

#: Words per shingle on the pages track.
SHINGLE_SIZE = 4


#: Shingle counts of one page: the same record as the text track's, counting word shingles (multisets).
ShingleCounts = PageCounts


@dataclass(slots=True)
class ShingleScores:
    """Pages-track scores: precision averaged over pages with output, recall over all pages, F1 of
    the two averages; ``empty`` counts the pages whose output had no shingle."""

    pages: int
    precision: float
    recall: float
    f1: float
    empty: int

    def as_dict(self) -> dict:
        return {"pages": self.pages, "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "empty_outputs": self.empty}


def word_tokens(text: str | None) -> list[str]:
    """The word tokens (``\\w+``, case kept) of a text; none for None."""
    return _TOKEN.findall(text or "")


def shingles(tokens: Sequence[str], size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """The multiset of ``size``-word shingles of a token run. A run shorter than ``size`` (but not
    empty) is one shingle of all its tokens, so a very short text still counts; no tokens, no shingle."""
    if not tokens:
        return Counter()
    last = max(len(tokens) - size + 1, 1)
    return Counter(tuple(tokens[i:i + size]) for i in range(last))


def match_shingles(predicted: Counter, gold: Counter) -> ShingleCounts:
    """TP/FP/FN of two shingle multisets: a shingle found k times in the output and m times in the
    gold gives min(k, m) true positives and the excess to FP or FN."""
    tp = sum((predicted & gold).values())
    return ShingleCounts(tp, sum(predicted.values()) - tp, sum(gold.values()) - tp)


def shingle_counts(extracted: str | None, gold: str, size: int = SHINGLE_SIZE) -> ShingleCounts:
    """Shingle TP/FP/FN of one page's extracted text against its gold text (None: nothing extracted).
    Shingles run across line breaks: only the word sequence counts."""
    return match_shingles(shingles(word_tokens(extracted), size), shingles(word_tokens(gold), size))


def score_shingle_pages(counts: Iterable[ShingleCounts]) -> ShingleScores:
    """Pages-track scores: precision averaged over pages whose output has a shingle (an empty output
    is left out of it, but counts recall 0 when the gold has text), recall over all pages, F1 the
    harmonic mean of the two averages."""
    counts = list(counts)
    p, r, empty = _macro(counts)
    return ShingleScores(len(counts), p, r, _f1(p, r), empty)
