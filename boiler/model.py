"""The line classifier: learned word evidence, then two stacked gradient-boosted stages.

* :class:`WordEvidence` learns, from labeled lines, how strongly each word of a short line (and
  the first and last word of any line, and a short line as a whole) points to body or chrome, as
  smoothed log-odds. Only tokens seen on several sites are kept, so it learns "Share" and "All news",
  not one site's menu.
* Stage 1 scores each line from its own features, the word evidence, and a window of its
  neighbours' features.
* Stage 2 re-scores each line from the stage-1 probabilities of a wider window of neighbours and a
  few of its own features: a line between chrome lines is probably chrome.

Training is stacked: the word evidence seen by stage 1 and the stage-1 probabilities seen by stage
2 are computed out of fold, with folds grouped by site, so neither stage learns to trust an
upstream score that has seen its own labels.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from . import features as F

__all__ = ["WordEvidence", "LineClassifier", "EVIDENCE_FEATURES", "stage1_feature_names",
           "stage2_feature_names", "PROB_OFFSETS"]

log = logging.getLogger(__name__)

#: Columns produced by :class:`WordEvidence`.
EVIDENCE_FEATURES: tuple[F.Feature, ...] = (
    F.Feature("words_mean", "learned words", "mean evidence of the words of a short line"),
    F.Feature("words_min", "learned words", "most chrome-like word of a short line"),
    F.Feature("words_max", "learned words", "most body-like word of a short line"),
    F.Feature("first_word", "learned words", "evidence of the first word"),
    F.Feature("last_word", "learned words", "evidence of the last word"),
    F.Feature("whole_line", "learned words", "evidence of the whole (short) line"),
)
#: Stage-1 probability offsets seen by stage 2.
PROB_OFFSETS: tuple[int, ...] = (-6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6)
#: Half-widths of the centred windows whose mean stage-1 probability stage 2 sees.
PROB_WINDOWS: tuple[int, ...] = (1, 3, 7, 15)
#: Own features that stage 2 sees beside the probabilities.
STAGE2_OWN: tuple[str, ...] = (
    "words", "long_line", "ends_sentence", "ends_ellipsis", "date_only", "repeats", "repeat_near",
    "gap_before", "gap_after", "pos_rel", "in_main", "title_share",
)
#: Probability above which a line counts as body.
DEFAULT_THRESHOLD = 0.5


def stage1_feature_names() -> list[F.Feature]:
    """The stage-1 columns: own features, word evidence, then the neighbour window."""
    ctx = [f for f in F.FEATURES if f.name in F.CONTEXT_FEATURES] + list(EVIDENCE_FEATURES)
    out = list(F.FEATURES) + list(EVIDENCE_FEATURES)
    for off in F.CONTEXT_OFFSETS:
        side = "previous" if off < 0 else "next"
        group = f"{side} lines"
        out += [F.Feature(f"{f.name}@{off:+d}", group, f"{f.description}, {abs(off)} line(s) {'before' if off < 0 else 'after'}")
                for f in ctx]
    return out


def stage2_feature_names() -> list[F.Feature]:
    out = [F.Feature("p_self", "own score", "stage-1 probability of the line")]
    out += [F.Feature(f"p@{o:+d}", "neighbours", f"stage-1 probability {abs(o)} line(s) {'before' if o < 0 else 'after'}")
            for o in PROB_OFFSETS]
    out += [F.Feature(f"p_mean{w}", "neighbours", f"mean stage-1 probability within {w} lines") for w in PROB_WINDOWS]
    out += [F.Feature("p_page_mean", "page", "mean stage-1 probability on the page"),
            F.Feature("p_rank", "page", "rank of the line's probability on the page"),
            F.Feature("body_before", "neighbours", "share of the page's probable body before the line"),
            F.Feature("dist_body_before", "neighbours", "lines since the last probable body line (log)"),
            F.Feature("dist_body_after", "neighbours", "lines to the next probable body line (log)")]
    by_name = {f.name: f for f in F.FEATURES}
    out += [by_name[n] for n in STAGE2_OWN]
    return out


class WordEvidence(BaseEstimator):
    """Smoothed log-odds of tokens for body vs chrome, kept when seen on ``min_sites`` sites."""

    def __init__(self, min_count: int = 5, min_sites: int = 3, prior: float = 4.0, clip: float = 4.0):
        self.min_count = min_count
        self.min_sites = min_sites
        self.prior = prior
        self.clip = clip

    def fit(self, tokens: Sequence[Sequence[str]], y: np.ndarray, groups: Sequence[str]) -> WordEvidence:
        body: dict[str, float] = defaultdict(float)
        total: dict[str, float] = defaultdict(float)
        sites: dict[str, set] = defaultdict(set)
        for toks, label, g in zip(tokens, y, groups):
            for t in set(toks):
                total[t] += 1
                body[t] += label
                sites[t].add(g)
        base = float(np.clip(np.mean(y), 1e-3, 1 - 1e-3)) if len(y) else 0.5
        a = self.prior
        keep = sorted(t for t, c in total.items() if c >= self.min_count and len(sites[t]) >= self.min_sites)
        b = np.array([body[t] for t in keep], dtype=np.float64)
        c = np.array([total[t] for t in keep], dtype=np.float64)
        lo = np.log((b + a * base) / (c - b + a * (1 - base))) - np.log(base / (1 - base))
        self.tokens_ = np.array(keep, dtype=str)
        self.log_odds_ = np.clip(lo, -self.clip, self.clip).astype(np.float32)
        return self

    def _lookup(self) -> dict[str, float]:
        # Built on first use after fit or load; a cache of fitted state, not a parameter.
        lookup = getattr(self, "_lookup_cache", None)
        if lookup is None:
            lookup = dict(zip(self.tokens_.tolist(), self.log_odds_.tolist()))
            self._lookup_cache = lookup
        return lookup

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_lookup_cache", None)
        return state

    def transform(self, tokens: Sequence[Sequence[str]]) -> np.ndarray:
        get = self._lookup().get
        out = np.zeros((len(tokens), len(EVIDENCE_FEATURES)), dtype=np.float32)
        for i, toks in enumerate(tokens):
            if not toks:
                continue
            out[i, 3] = get(toks[0], 0.0)
            out[i, 4] = get(toks[1], 0.0)
            if len(toks) > 2:  # a short line: its words, then the whole line
                out[i, 5] = get(toks[-1], 0.0)
                vals = [get(t, 0.0) for t in toks[2:-1]]
                if vals:
                    out[i, 0] = sum(vals) / len(vals)
                    out[i, 1] = min(vals)
                    out[i, 2] = max(vals)
        return out


@dataclass(slots=True)
class Scores:
    """Scores of a batch's non-blank lines: stage-1 matrix and probability, final probability."""

    batch: F.LineBatch
    X1: np.ndarray
    p1: np.ndarray
    p2: np.ndarray


def _hgb(max_iter: int, max_leaf_nodes: int, learning_rate: float, random_state: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=max_iter, max_leaf_nodes=max_leaf_nodes, learning_rate=learning_rate,
        l2_regularization=1.0, min_samples_leaf=40, early_stopping=False, random_state=random_state,
    )


def _window_mean(p: np.ndarray, page_start: np.ndarray, page: np.ndarray, w: int) -> np.ndarray:
    n = len(p)
    cs = np.concatenate(([0.0], np.cumsum(p, dtype=np.float64)))
    idx = np.arange(n)
    lo = np.maximum(idx - w, page_start[page])
    hi = np.minimum(idx + w + 1, page_start[page + 1])
    return ((cs[hi] - cs[lo]) / (hi - lo)).astype(np.float32)


def _distance_to_body(is_body: np.ndarray, page: np.ndarray, forward: bool) -> np.ndarray:
    """Rows since the previous (or until the next) probable body row in the same page; capped."""
    n = len(is_body)
    cap = 50
    idx = np.arange(n)
    if not forward:
        prev = np.maximum.accumulate(np.where(is_body, idx, -1))
        same = (prev >= 0) & (page[np.maximum(prev, 0)] == page)
        d = np.where(same, idx - prev, cap)
    else:
        nxt = np.minimum.accumulate(np.where(is_body, idx, n)[::-1])[::-1]
        same = (nxt < n) & (page[np.minimum(nxt, n - 1)] == page)
        d = np.where(same, nxt - idx, cap)
    return np.log1p(np.minimum(d, cap)).astype(np.float32)


def stage2_matrix(batch: F.LineBatch, p1: np.ndarray) -> np.ndarray:
    """Stage-2 features from the stage-1 probabilities of a batch."""
    page, starts = batch.page_index, batch.page_start
    n = len(p1)
    cols = [p1[:, None], F.context_window(p1[:, None], page, PROB_OFFSETS, fill=-1.0)]
    cols += [_window_mean(p1, starts, page, w)[:, None] for w in PROB_WINDOWS]
    n_pages = len(starts) - 1
    page_sum = np.bincount(page, weights=p1, minlength=n_pages)
    rows = np.maximum(np.diff(starts), 1)
    cols.append((page_sum / rows)[page][:, None])
    order = np.lexsort((p1, page))
    rank = np.empty(n, dtype=np.float32)
    rank[order] = np.arange(n) - starts[page[order]]
    cols.append((rank / np.maximum(rows[page] - 1, 1))[:, None])
    cum = np.cumsum(p1) - p1
    first = cum[np.minimum(starts[:-1], max(n - 1, 0))] if n else np.zeros(0)
    cols.append(((cum - first[page]) / np.maximum(page_sum[page], 1e-6))[:, None])
    is_body = p1 >= DEFAULT_THRESHOLD
    cols.append(_distance_to_body(is_body, page, forward=False)[:, None])
    cols.append(_distance_to_body(is_body, page, forward=True)[:, None])
    own = [F.FEATURE_NAMES.index(nm) for nm in STAGE2_OWN]
    cols.append(batch.X[:, own])
    return np.hstack(cols).astype(np.float32)


class LineClassifier(ClassifierMixin, BaseEstimator):
    """Labels the lines of pages body (1) or chrome (0); see the module docstring."""

    def __init__(self, n_folds: int = 4, stage1_iter: int = 250, stage2_iter: int = 120,
                 max_leaf_nodes: int = 31, learning_rate: float = 0.1, weight_power: float = 0.5,
                 threshold: float = DEFAULT_THRESHOLD, random_state: int = 0):
        self.n_folds = n_folds
        self.stage1_iter = stage1_iter
        self.stage2_iter = stage2_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.learning_rate = learning_rate
        self.weight_power = weight_power
        self.threshold = threshold
        self.random_state = random_state

    # -- matrices -----------------------------------------------------------------------
    @staticmethod
    def tokens(batch: F.LineBatch) -> list[list[str]]:
        words = np.rint(np.expm1(batch.X[:, F.FEATURE_NAMES.index("words")])).astype(int).tolist()
        return [F.line_tokens(t, w) for t, w in zip(batch.texts, words)]

    @staticmethod
    def stage1_matrix(batch: F.LineBatch, evidence: np.ndarray) -> np.ndarray:
        ctx_cols = [F.FEATURE_NAMES.index(nm) for nm in F.CONTEXT_FEATURES]
        ctx = np.hstack([batch.X[:, ctx_cols], evidence])
        window = F.context_window(ctx, batch.page_index, F.CONTEXT_OFFSETS, fill=-1.0)
        return np.hstack([batch.X, evidence, window]).astype(np.float32)

    # -- training -----------------------------------------------------------------------
    def _weights(self, batch: F.LineBatch) -> np.ndarray:
        words = np.expm1(batch.X[:, F.FEATURE_NAMES.index("words")])
        return np.power(np.maximum(words, 1.0), self.weight_power)

    def fit(self, pages: Sequence[Sequence[str]], labels: Sequence[Sequence[str]],
            groups: Sequence[str]) -> LineClassifier:
        """Fit on pages of lines with their ``+``/``-``/`` `` labels; ``groups`` (one per page) are sites."""
        batch = F.extract(pages)
        y = np.array([labels[p][i] == "+" for p, i in zip(batch.page_index, batch.line_index)], dtype=np.int8)
        row_groups = np.asarray(groups, dtype=object)[batch.page_index]
        tokens = self.tokens(batch)
        w = self._weights(batch)
        n_groups = len(set(groups))
        folds = list(GroupKFold(n_splits=min(self.n_folds, n_groups)).split(batch.X, y, row_groups)) \
            if n_groups >= 2 else []
        log.info("training on %d lines of %d pages (%d sites), %d folds", len(y), len(pages), n_groups, len(folds))

        # Word evidence, out of fold for the stage-1 training matrix.
        evidence = np.zeros((len(y), len(EVIDENCE_FEATURES)), dtype=np.float32)
        for tr, te in folds:
            we = WordEvidence().fit([tokens[i] for i in tr], y[tr], row_groups[tr])
            evidence[te] = we.transform([tokens[i] for i in te])
        self.evidence_ = WordEvidence().fit(tokens, y, row_groups)
        if not folds:
            evidence = self.evidence_.transform(tokens)
        X1 = self.stage1_matrix(batch, evidence)

        # Stage 1, out of fold for stage 2.
        p1 = np.zeros(len(y), dtype=np.float32)
        for k, (tr, te) in enumerate(folds):
            m = _hgb(self.stage1_iter, self.max_leaf_nodes, self.learning_rate, self.random_state + k)
            m.fit(X1[tr], y[tr], sample_weight=w[tr])
            p1[te] = m.predict_proba(X1[te])[:, 1]
        self.stage1_ = _hgb(self.stage1_iter, self.max_leaf_nodes, self.learning_rate, self.random_state)
        self.stage1_.fit(X1, y, sample_weight=w)
        if not folds:
            p1 = self.stage1_.predict_proba(X1)[:, 1].astype(np.float32)

        X2 = stage2_matrix(batch, p1)
        self.stage2_ = _hgb(self.stage2_iter, 15, self.learning_rate, self.random_state)
        self.stage2_.fit(X2, y, sample_weight=w)
        self.classes_ = np.array([0, 1])
        self.reference_ = np.median(X1, axis=0).astype(np.float32)
        self.n_features_in_ = X1.shape[1]
        return self

    # -- prediction ---------------------------------------------------------------------
    def score_batch(self, batch: F.LineBatch) -> Scores:
        """Stage-1 and final probabilities of a batch's non-blank lines: one model call per stage."""
        if batch.n_rows == 0:
            z = np.zeros(0, dtype=np.float32)
            return Scores(batch, np.zeros((0, self.n_features_in_), dtype=np.float32), z, z)
        evidence = self.evidence_.transform(self.tokens(batch))
        X1 = self.stage1_matrix(batch, evidence)
        p1 = self.stage1_.predict_proba(X1)[:, 1].astype(np.float32)
        p2 = self.stage2_.predict_proba(stage2_matrix(batch, p1))[:, 1].astype(np.float32)
        return Scores(batch, X1, p1, p2)

    def predict_proba_pages(self, pages: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """P(body) for every line of every page; NaN for lines with nothing to judge."""
        s = self.score_batch(F.extract(pages))
        out = [np.full(len(p), np.nan, dtype=np.float32) for p in pages]
        for k, (p, i) in enumerate(zip(s.batch.page_index, s.batch.line_index)):
            out[p][i] = s.p2[k]
        return out
