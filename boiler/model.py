"""The line classifier: learned word evidence, then two stacked gradient-boosted stages.

* :class:`WordEvidence` learns, from labeled lines, how strongly each word of a short line (and
  the first and last word of any line, and a short line as a whole) points to body or chrome, as
  smoothed log-odds. Only tokens seen on several sites are kept, so it learns "Share" and "All news",
  not one site's menu.
* Stage 1 scores each line from its own features, the word evidence, and a window of its
  neighbours' features.
* Stage 2 re-scores each line from the stage-1 probabilities of a wider window of neighbours and a
  few of its own features: a line between chrome lines is probably chrome. With ``page_best`` (the
  default of a new model; older models load without it) it also sees the page's best stage-1
  probability and the line's share of it, a share of at least PAGE_BEST_FLOOR. With ``dated_context``
  (the text recipe's default) it also sees how many lines near the line hold a date or a time (comment
  threads, lists of other stories). An HTML model with
  ``dom_context`` (the default of a new one) also sees, for each of the blocks enclosing the line
  (:attr:`~boiler.html.HtmlPage.containers`), what stage 1 thinks of the text in it: a list or a
  caption inside an article is body, the same list inside a sidebar chrome. With
  ``main_block_columns`` (also the default) it sees whether the line is inside the page's main block
  by stage 1 (:func:`main_block_rows`) and that block's share of the page; and when it decides, the
  main block by the final scores lowers the bar inside it to ``main_block_floor``.

Training weighs a line by its words, and evens out the pages' weights a little, as ``page_balance``
says (a page of hundreds of comment lines would otherwise outweigh dozens of short ones).

Training is stacked: the word evidence seen by stage 1 and the stage-1 probabilities seen by stage
2 are computed out of fold, with folds grouped by site, so neither stage learns to trust an
upstream score that has seen its own labels.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from . import features as F
from .forest import Forest, predict_body
from .html import CONTAINER_LEVELS, DOM_FEATURE_NAMES, DOM_FEATURES, HtmlPage
from .templates import (
    ANCHOR_CONFIRM_ROWS,
    MIN_TEMPLATE_COVER,
    MIN_TEMPLATE_FIT,
    MIN_TEMPLATE_MATCH,
    TEMPLATE_FEATURES,
    SiteTemplate,
    template_features,
)

__all__ = ["WordEvidence", "AttrEvidence", "LineClassifier", "ATTR_FEATURES", "EVIDENCE_FEATURES", "stage1_feature_names",
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
    F.Feature("opener", "sections", "learned evidence that chrome follows this (short) line, like '45 comments'"),
    F.Feature("opener_since_main", "sections", "strongest chrome-section opener between the main text's start and the line"),
    F.Feature("opener_dist", "sections", "lines since a strong chrome-section opener after the main text began (log)"),
)
#: Non-blank lines after a line whose labels teach the section-opener evidence.
OPENER_WINDOW = 8
#: Opener evidence above this marks the start of a chrome section.
OPENER_STRONG = 1.0
#: Cap of distances, in lines.
DISTANCE_CAP = 50
#: Stage-1 probability offsets seen by stage 2.
PROB_OFFSETS: tuple[int, ...] = (-6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6)
#: Half-widths of the centred windows whose mean stage-1 probability stage 2 sees.
PROB_WINDOWS: tuple[int, ...] = (1, 3, 7, 15)
#: Own features that stage 2 sees beside the probabilities.
STAGE2_OWN: tuple[str, ...] = (
    "words", "long_line", "ends_sentence", "ends_ellipsis", "date_only", "repeats", "repeat_near",
    "gap_before", "gap_after", "pos_rel", "in_main", "title_share",
)
#: Template features repeated for the neighbours in the stage-1 window.
TEMPLATE_CONTEXT: tuple[str, ...] = ("tpl_line_share", "tpl_shape_share")
#: Template features stage 2 sees beside the probabilities.
TEMPLATE_STAGE2: tuple[str, ...] = ("tpl_pages", "tpl_line_share", "tpl_after_end", "tpl_before_start", "tpl_span")
#: Half-widths of the centred windows whose mean template line share stage 2 sees.
TEMPLATE_WINDOWS: tuple[int, ...] = (2, 5)
_TPL = {f.name: j for j, f in enumerate(TEMPLATE_FEATURES)}
#: Columns produced by :class:`AttrEvidence` (HTML input only).
ATTR_FEATURES: tuple[F.Feature, ...] = (
    F.Feature("attr_near", "HTML class words", "learned evidence of the class/id words of the line's nearest element that has any"),
    F.Feature("attr_min", "HTML class words", "most chrome-like class/id word on the line's tag path"),
    F.Feature("attr_max", "HTML class words", "most body-like class/id word on the line's tag path"),
)
#: DOM features (and class-word evidence) repeated for the neighbours in the stage-1 window.
DOM_CONTEXT: tuple[str, ...] = ("link_share", "block_link_share", "in_list", "heading_level", "attr_near")
#: DOM features stage 2 sees beside the probabilities.
DOM_STAGE2: tuple[str, ...] = ("link_share", "block_link_share", "parent_link_share", "in_article", "in_p",
                               "attr_near", "attr_min")
_DOM = {n: j for j, n in enumerate((*DOM_FEATURE_NAMES, *(f.name for f in ATTR_FEATURES)))}
#: Stage-2 columns relating a line to its page's best line (models with ``page_best``): a page whose
#: article scores low everywhere still has its article as its best text. Sites held out, the text
#: model gained 0.928 -> 0.934 on cleaneval, 0.861 -> 0.865 on dragnet, 0.865 -> 0.881 on readability
#: (README, Results). A first refit lifted lines that score ~0 in stage 1 to body on tiny pages
#: ("Home / Share / Tweet / All news"): the share of a near-zero best is ~1. Hence PAGE_BEST_FLOOR.
PAGE_BEST_FEATURES: tuple[F.Feature, ...] = (
    F.Feature("p_page_best", "page", "best stage-1 probability on the page"),
    F.Feature("p_of_best", "page", "the line's stage-1 probability as a share of the page's best"),
)
#: The share of the page's best is taken of at least this much: on a page where nothing scores (a
#: menu alone) a line near the best is still near nothing.
PAGE_BEST_FLOOR = 0.15
#: Training weighs each line by its words to the ``weight_power``, divided by its page's total of
#: those to this power (``page_balance``): at 0 a page of 800 lines weighs as much as forty of 20,
#: while the text-track F1 averages over pages. Sites held out (``python bench/quality.py``, README,
#: Results), against 0: 0.5 gave all pages +0.002 to +0.004 over two seeds (dragnet 0.864 -> 0.868 and
#: 0.872), but a model of it trained without our Asia-Plus-like outlet missed two teasers of its link
#: footer (tests/test_templates.py, the reference outlets): it raised our short pages' share of the
#: weight from 0.167 to 0.263. 0.25 (0.212) catches that footer and gave all pages 0.8982 -> 0.9010
#: (dragnet 0.864 -> 0.869). The HTML recipe keeps 0 (:data:`boiler.training.HTML_PAGE_BALANCE`).
PAGE_BALANCE = 0.25
#: A page's total is taken as at least this (the 5th percentile of the corpora's pages, about 50
#: lines), so that balancing evens out the large pages without raising a few tiny ones (a four-line
#: page of menu words) far above the rest: without it a balanced model kept "Tweet" on such a page.
PAGE_BALANCE_FLOOR = 100.0
#: Stage-2 columns of a model with ``dated_context`` (the text recipe): how many of the lines near the line
#: hold a date or a time. A thread of readers' comments ("by Kris on February 8, 2012 at 1:26 pm. Reply")
#: and a list of other stories ("4/7/2017 at 4:33 p.m. What We Know About ...", then its teaser) are full
#: of them, and their long lines read like body line by line; an article has its dateline. Sites held out
#: (the five folds of bench/quality.py; README, Results): all pages 0.9019 -> 0.9049, dragnet 0.870 ->
#: 0.877, readability 0.882 -> 0.899, cleaneval 0.932 -> 0.929. The HTML recipe has them too since
#: bench/html_folds.py's recipe html-11 (pages track held out, all pages 0.928 -> 0.930).
DATED_WINDOW = DISTANCE_CAP
DATED_FEATURES: tuple[F.Feature, ...] = (
    F.Feature("dated_before", "neighbours", f"lines with a date or time among the {DATED_WINDOW} before the line (log)"),
    F.Feature("dated_after", "neighbours", f"lines with a date or time among the {DATED_WINDOW} after the line (log)"),
)
#: Stage-2 columns of an HTML model with ``dom_context``: for each block enclosing the line
#: (:data:`~boiler.html.CONTAINER_LEVELS`, nearest first), the mean stage-1 probability of its text
#: (weighted by words) and its share of the page's words.
_LEVEL_NAMES = ("nearest", "second", "third", "fourth", "fifth")
CONTAINER_FEATURES: tuple[F.Feature, ...] = tuple(itertools.chain.from_iterable(
    (F.Feature(f"p_block{k + 1}", "HTML block", f"mean stage-1 probability of the text in the {_LEVEL_NAMES[k]} block "
                                                "enclosing the line's (by words; -1: none)"),
     F.Feature(f"block{k + 1}_share", "HTML block", f"share of the page's words in the {_LEVEL_NAMES[k]} block "
                                                    "enclosing the line's"))
    for k in range(CONTAINER_LEVELS)))
#: Stage-2 columns of an HTML model with ``main_block_columns``: whether the line is inside its page's
#: main block as stage 1 sees it (:func:`main_block_rows` of the stage-1 probabilities), and that block's
#: share of the page's words.
MAIN_BLOCK_FEATURES: tuple[F.Feature, ...] = (
    F.Feature("in_main_block", "HTML block", "inside the page's main block (the enclosing block whose words are "
                                             "most body-like on balance, by stage-1 probabilities)"),
    F.Feature("main_block_share", "HTML block", "share of the page's words in its main block"),
)
#: Parameters added to :class:`LineClassifier` after models were shipped without them, with the value
#: that such a model behaves as (not the default of a new model): set on loading, so its parameters read.
ADDED_PARAMS: dict[str, object] = {"templates": False, "dom": False, "page_best": False, "dom_context": False,
                                   "main_block_floor": None, "main_block_columns": False, "page_balance": 0.0,
                                   "dated_context": False, "anchor_confirm": 0}
#: Parameters that only decide how probabilities become labels: no fitted attribute depends on them, so a
#: fitted model can take other values (a benchmark's cached fold models take the current defaults).
DECODE_PARAMS: tuple[str, ...] = ("threshold", "relative_threshold", "main_block_floor")
#: Probability above which a line counts as body.
DEFAULT_THRESHOLD = 0.5
#: On a page whose best line scores below the threshold, lines within this share of the page's best
#: score count as body: the most body-like text of a page with a short article is usually the article.
RELATIVE_THRESHOLD = 0.6
#: ... unless the page's best score is below this: then nothing on the page looks like body.
RELATIVE_MIN_BEST = 0.15
#: HTML pages: inside the page's main block (:func:`main_block_rows`) a line is body from this probability
#: on, not from the threshold. Readability's idea, keep the best block's text, as a vote for the lines
#: the model is unsure of: a list or a subheading between an article's paragraphs. None: off.
MAIN_BLOCK_FLOOR = 0.3
#: Lines the main block does not lift: captions and form controls (the corpora disagree on captions;
#: a form's options are not text). Names of :data:`~boiler.html.DOM_FLAGS`.
MAIN_BLOCK_EXCEPT: tuple[str, ...] = ("in_figure", "in_form")
#: ... and lines with at least this share of their characters inside links: a list of links in the
#: article's block (related stories, tags) is the site's, as Readability's link density says.
MAIN_BLOCK_MAX_LINK_SHARE = 0.5


def dom_feature_list() -> list[F.Feature]:
    """The DOM columns of an HTML model: the page's DOM features, then the learned class-word evidence."""
    return [*DOM_FEATURES, *ATTR_FEATURES]


def stage1_feature_names(templates: bool = True, dom: bool = False) -> list[F.Feature]:
    """The stage-1 columns: own features, word evidence, site template, DOM, then the neighbour window."""
    ctx = [f for f in F.FEATURES if f.name in F.CONTEXT_FEATURES] + list(EVIDENCE_FEATURES)
    out = list(F.FEATURES) + list(EVIDENCE_FEATURES)
    if templates:
        ctx += [f for f in TEMPLATE_FEATURES if f.name in TEMPLATE_CONTEXT]
        out += list(TEMPLATE_FEATURES)
    if dom:
        ctx += [f for f in dom_feature_list() if f.name in DOM_CONTEXT]
        out += dom_feature_list()
    for off in F.CONTEXT_OFFSETS:
        side = "previous" if off < 0 else "next"
        group = f"{side} lines"
        out += [F.Feature(f"{f.name}@{off:+d}", group, f"{f.description}, {abs(off)} line(s) {'before' if off < 0 else 'after'}")
                for f in ctx]
    return out


def stage2_feature_names(templates: bool = True, dom: bool = False, page_best: bool = False,
                         dom_context: bool = False, main_block: bool = False, dated: bool = False) -> list[F.Feature]:
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
    if templates:
        out += [TEMPLATE_FEATURES[_TPL[n]] for n in TEMPLATE_STAGE2]
        out += [F.Feature(f"tpl_share_mean{w}", "site template", f"mean share of the site's other pages with the lines within {w} lines")
                for w in TEMPLATE_WINDOWS]
    if dated:
        out += list(DATED_FEATURES)
    if page_best:
        out += list(PAGE_BEST_FEATURES)
    if dom:
        by_name = {f.name: f for f in dom_feature_list()}
        out += [by_name[n] for n in DOM_STAGE2]
        if dom_context:
            out += list(CONTAINER_FEATURES)
            if main_block:
                out += list(MAIN_BLOCK_FEATURES)
    return out


class WordEvidence(BaseEstimator):
    """Smoothed log-odds of tokens for body vs chrome, kept when seen on ``min_sites`` sites."""

    def __init__(self, min_count: int = 5, min_sites: int = 3, prior: float = 4.0, clip: float = 4.0):
        self.min_count = min_count
        self.min_sites = min_sites
        self.prior = prior
        self.clip = clip

    def _log_odds(self, tokens, y, groups, select=None) -> tuple[np.ndarray, np.ndarray]:
        body: dict[str, float] = defaultdict(float)
        total: dict[str, float] = defaultdict(float)
        sites: dict[str, set] = defaultdict(set)
        for toks, label, g in zip(tokens, y, groups):
            for t in set(toks) if select is None else [t for t in toks if t.startswith(select)]:
                total[t] += 1
                body[t] += label
                sites[t].add(g)
        base = float(np.clip(np.mean(y), 1e-3, 1 - 1e-3)) if len(y) else 0.5
        a = self.prior
        keep = sorted(t for t, c in total.items() if c >= self.min_count and len(sites[t]) >= self.min_sites)
        b = np.array([body[t] for t in keep], dtype=np.float64)
        c = np.array([total[t] for t in keep], dtype=np.float64)
        lo = np.log((b + a * base) / (c - b + a * (1 - base))) - np.log(base / (1 - base))
        return np.array(keep, dtype=str), np.clip(lo, -self.clip, self.clip).astype(np.float32)

    def fit(self, tokens: Sequence[Sequence[str]], y: np.ndarray, groups: Sequence[str],
            next_body: np.ndarray | None = None) -> WordEvidence:
        """Learn token log-odds of body vs chrome; with ``next_body`` (the share of the following
        lines that are body), also whole-line log-odds that a chrome section follows."""
        self.tokens_, self.log_odds_ = self._log_odds(tokens, y, groups)
        if next_body is not None:
            toks, lo = self._log_odds(tokens, next_body, groups, select="L:")
            self.opener_tokens_, self.opener_log_odds_ = toks, -lo  # > 0: chrome follows
        else:
            self.opener_tokens_, self.opener_log_odds_ = np.array([], dtype=str), np.zeros(0, dtype=np.float32)
        return self

    def _cached(self, cache: str, tokens: np.ndarray, values: np.ndarray) -> dict[str, float]:
        """A token-to-value dict, built on first use after fit or load: a cache of fitted state."""
        lookup = self.__dict__.get(cache)
        if lookup is None:
            lookup = self.__dict__[cache] = dict(zip(tokens.tolist(), values.tolist()))
        return lookup

    def _lookup(self) -> dict[str, float]:
        return self._cached("_lookup_cache", self.tokens_, self.log_odds_)

    def _opener_lookup(self) -> dict[str, float]:
        return self._cached("_opener_cache", self.opener_tokens_, self.opener_log_odds_)

    def _by_kind(self) -> dict[str, dict[str, float]]:
        """The token values split by kind (``f``, ``l``, ``w``, ``L``, and ``opener`` for the opener
        evidence), keyed by the bare word or line: a cache of fitted state, built on first use."""
        split = self.__dict__.get("_kind_cache")
        if split is None:
            split = {"f": {}, "l": {}, "w": {}, "L": {}, "opener": {}}
            for t, v in self._lookup().items():
                split.setdefault(t[:1], {})[t[2:]] = v
            split["opener"] = {t[2:]: v for t, v in self._opener_lookup().items() if t.startswith("L:")}
            self.__dict__["_kind_cache"] = split
        return split

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_lookup_cache", None)
        state.pop("_opener_cache", None)
        state.pop("_kind_cache", None)
        return state

    def _transform_rows(self, tokens: F.TokenRows) -> np.ndarray:
        """:meth:`transform` of tokens held flat, in one loop over the rows (:func:`boiler._rows.word_evidence`),
        or else :meth:`_transform_rows_np`: the same numbers."""
        rows = F.compiled_rows()
        if rows is not None:
            by = self._by_kind()
            return rows.word_evidence(np.ascontiguousarray(tokens.kind), tokens.first, tokens.last, tokens.words,
                                      np.ascontiguousarray(tokens.counts, dtype=np.int64), tokens.lines, by["f"],
                                      by["l"], by["w"], by["L"], by["opener"], F._T_ALL, len(EVIDENCE_FEATURES))
        return self._transform_rows_np(tokens)

    def _transform_rows_np(self, tokens: F.TokenRows) -> np.ndarray:
        """:meth:`_transform_rows` in numpy (the reference): each kind of token looked up in one pass over
        its list, the short lines' mean, min and max taken column by column."""
        by = self._by_kind()
        n = len(tokens)
        out = np.zeros((n, len(EVIDENCE_FEATURES)), dtype=np.float32)
        if n == 0:
            return out
        zero = itertools.repeat(0.0)
        out[:, 3] = list(map(by["f"].get, tokens.first, zero))  # "" (a row with no word) is no token
        out[:, 4] = list(map(by["l"].get, tokens.last, zero))
        short = np.flatnonzero(tokens.kind == 2)
        if len(short):
            out[short, 5] = list(map(by["L"].get, tokens.lines, zero))
            out[short, 6] = list(map(by["opener"].get, tokens.lines, zero))
            vals = np.array(list(map(by["w"].get, tokens.words, zero)), dtype=np.float64)
            out[short, 0], out[short, 1], out[short, 2] = _short_line_stats(vals, tokens.counts)
        return out

    def transform(self, tokens: Sequence[Sequence[str]]) -> np.ndarray:
        """Evidence columns of :data:`EVIDENCE_FEATURES` that depend on the line alone (the page-level
        opener columns are filled by :func:`opener_features`)."""
        if isinstance(tokens, F.TokenRows):
            return self._transform_rows(tokens)
        get = self._lookup().get
        opener = self._opener_lookup().get
        out = np.zeros((len(tokens), len(EVIDENCE_FEATURES)), dtype=np.float32)
        for i, toks in enumerate(tokens):
            if not toks:
                continue
            out[i, 3] = get(toks[0], 0.0)
            out[i, 4] = get(toks[1], 0.0)
            if len(toks) > 2:  # a short line: its words, then the whole line
                out[i, 5] = get(toks[-1], 0.0)
                out[i, 6] = opener(toks[-1], 0.0)
                vals = [get(t, 0.0) for t in toks[2:-1]]
                if vals:
                    total = 0.0
                    for v in vals:  # summed in order (Python 3.12's sum() compensates: other numbers)
                        total += v
                    out[i, 0] = total / len(vals)
                    out[i, 1] = min(vals)
                    out[i, 2] = max(vals)
        return out


def _short_line_stats(vals: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean, min and max of each short line's word values (``counts`` of them each, one line after
    another in ``vals``; float64), as the list path of :meth:`WordEvidence.transform` takes them."""
    start = np.cumsum(counts) - counts
    total = np.zeros(len(counts), dtype=np.float64)
    low = np.full(len(counts), np.inf)
    high = np.full(len(counts), -np.inf)
    for j in range(int(counts.max(initial=0))):  # word by word, as the loop of the list path goes
        rows = np.flatnonzero(counts > j)
        v = vals[start[rows] + j]
        total[rows] += v
        low[rows] = np.where(v < low[rows], v, low[rows])  # as min(): the first of equal values
        high[rows] = np.where(v > high[rows], v, high[rows])
    return total / counts, low, high


class AttrEvidence(WordEvidence):
    """Smoothed log-odds of the class/id words on a line's tag path for body vs chrome ("related",
    "sidebar", "caption", "articleBody"), kept when seen on ``min_sites`` sites: learned, not listed."""

    def fit(self, attrs: Sequence[Sequence[str]], y: np.ndarray, groups: Sequence[str]) -> AttrEvidence:
        self.tokens_, self.log_odds_ = self._log_odds(attrs, y, groups)
        return self

    def transform(self, attrs: Sequence[Sequence[str]], near: Sequence[int]) -> np.ndarray:
        """:data:`ATTR_FEATURES` of each line: its nearest element's words' mean, and the path's min and max."""
        n = len(attrs)
        if n == 0:
            return np.zeros((0, len(ATTR_FEATURES)), dtype=np.float32)
        rows = F.compiled_rows()
        if rows is not None:  # the loop below, compiled
            return rows.attr_evidence(list(attrs), list(near), self._lookup())
        get = self._lookup().get
        # Lines of one element share its path's words: each distinct (words, near) is worked out once.
        # Codes by first sight (a counter that also counts repeats: distinct, not consecutive).
        code_of: dict[tuple, int] = {}
        codes = np.fromiter(map(code_of.setdefault, zip(attrs, near), itertools.count()), dtype=np.int64, count=n)
        table = np.zeros((n, len(ATTR_FEATURES)), dtype=np.float32)
        for (words, k), c in code_of.items():
            if words:
                vals = [get(w, 0.0) for w in words]
                table[c] = (sum(vals[:k]) / k if k else 0.0, min(vals), max(vals))
        return table[codes]


def _html_rows_of(batch: F.LineBatch, html: Sequence[HtmlPage]) -> np.ndarray:
    """Where each row of a batch is among its HTML pages' lines, the pages' lines one after another."""
    sizes = np.array([len(h.lines) for h in html], dtype=np.int64)
    return np.concatenate([[0], np.cumsum(sizes)])[batch.page_index] + batch.line_index


def html_rows(batch: F.LineBatch, html: Sequence[HtmlPage]) -> tuple[np.ndarray, list, list]:
    """The DOM matrix, class words and nearest-element word counts of a batch's rows (its pages' lines
    must be the HTML pages' lines)."""
    rows = _html_rows_of(batch, html)
    dom = np.vstack([h.dom for h in html]) if len(html) else np.zeros((0, len(DOM_FEATURES)), np.float32)
    attrs = list(itertools.chain.from_iterable(h.attrs for h in html))
    near = list(itertools.chain.from_iterable(h.near for h in html))
    rows_l = rows.tolist()
    return dom[rows], list(map(attrs.__getitem__, rows_l)), list(map(near.__getitem__, rows_l))


def container_rows(batch: F.LineBatch, html: Sequence[HtmlPage]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's block and the ranges of its enclosing blocks (:attr:`HtmlPage.blocks`, ``containers``;
    -1 where a page has none), numbered across the batch: the pages' numbers follow one another."""
    own, ranges, shift = [], [], 0
    for h in html:
        n = len(h.lines)
        if h.blocks is None or h.containers is None:
            own.append(np.full(n, -1, dtype=np.int64))
            ranges.append(np.full((n, CONTAINER_LEVELS, 2), -1, dtype=np.int64))
            continue
        b = h.blocks.astype(np.int64)
        r = h.containers.astype(np.int64)
        own.append(np.where(b >= 0, b + shift, -1))
        ranges.append(np.where(r >= 0, r + shift, -1))
        shift += int(max(b.max(initial=-1), r.max(initial=-1))) + 1
    if not own:
        return np.zeros(0, dtype=np.int64), np.zeros((0, CONTAINER_LEVELS, 2), dtype=np.int64)
    rows = _html_rows_of(batch, html)
    return np.concatenate(own)[rows], np.concatenate(ranges)[rows]


def _row_words(batch: F.LineBatch) -> np.ndarray:
    """Words of each row of a batch (at least 1, float64), from its ``words`` column (log1p)."""
    return np.maximum(np.rint(np.expm1(batch.X[:, F.FEATURE_NAMES.index("words")].astype(np.float64))), 1.0)


@dataclass(frozen=True, slots=True)
class _BlockOrder:
    """A batch's rows sorted by block number (:func:`container_rows`), in segments: the rows without a
    block, then each page's rows (the pages' block numbers follow one another). Sums over a range of
    blocks restart at their page's segment, so that a page's sums are the same numbers, to the bit,
    alone or anywhere in a batch of any size (a running sum over the whole batch is not: in float32
    over a corpus it was off by a few hundredths on small blocks)."""

    order: np.ndarray
    keys: np.ndarray
    seg_start: np.ndarray

    @classmethod
    def of(cls, batch: F.LineBatch, own: np.ndarray) -> _BlockOrder:
        order = np.argsort(own, kind="stable")
        keys = own[order]
        n_none = int(np.searchsorted(keys, 0))
        per_page = np.bincount(batch.page_index[own >= 0], minlength=len(batch.page_start) - 1)
        return cls(order, keys, np.concatenate([[0, n_none], n_none + np.cumsum(per_page)]).astype(np.int64))

    def running_sums(self, values: np.ndarray) -> np.ndarray:
        """The running sums of ``values`` (one per row, in row order) for :meth:`range_sums`."""
        return _page_cumsum(np.asarray(values, dtype=np.float64)[self.order], self.seg_start)

    def range_sums(self, sums: np.ndarray, lo_block: np.ndarray, hi_block: np.ndarray,
                   page: np.ndarray) -> np.ndarray:
        """Per query, the sum of the values (:meth:`running_sums`) of the rows whose block is in
        ``[lo_block, hi_block)``, blocks of page ``page`` (float64)."""
        hi, lo = self.range_bounds(lo_block, hi_block, page)
        return sums[hi] - sums[lo]

    def range_bounds(self, lo_block: np.ndarray, hi_block: np.ndarray, page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where :meth:`range_sums` reads its running sums for each query (the end, then the start), to
        read several sums over the same ranges."""
        seg = page + 1
        return np.searchsorted(self.keys, hi_block) + seg, np.searchsorted(self.keys, lo_block) + seg


def container_columns(batch: F.LineBatch, p1: np.ndarray, blocks: tuple[np.ndarray, np.ndarray],
                      order: _BlockOrder | None = None) -> np.ndarray:
    """:data:`CONTAINER_FEATURES` of each row: per enclosing block, the word-weighted mean stage-1
    probability of the rows in it (-1 for none) and its share of the page's words. ``blocks``: the rows'
    blocks and their enclosing blocks' ranges (:func:`container_rows`); ``order``: the rows sorted by
    block, if the caller has it (``_BlockOrder.of(batch, blocks[0])``). The compiled loop, or else numpy."""
    own, ranges = blocks
    n = len(p1)
    words = _row_words(batch)
    page_words = np.bincount(batch.page_index, weights=words, minlength=len(batch.page_start) - 1)[batch.page_index]
    by_block = order if order is not None else _BlockOrder.of(batch, own)
    w = np.where(own >= 0, words, 0.0)
    sum_w, sum_wp = by_block.running_sums(w), by_block.running_sums(w * p1)
    rows = F.compiled_rows()
    if rows is not None:  # the loop below, compiled
        return rows.container_columns(by_block.keys, ranges, batch.page_index, sum_w, sum_wp, page_words)
    out = np.empty((n, 2 * ranges.shape[1]), dtype=np.float32)
    for k in range(ranges.shape[1]):
        have = ranges[:, k, 0] >= 0
        hi, lo = by_block.range_bounds(ranges[:, k, 0], ranges[:, k, 1], batch.page_index)
        in_block = sum_w[hi] - sum_w[lo]
        ok = have & (in_block > 0)
        safe = np.where(ok, in_block, 1.0)
        out[:, 2 * k] = np.where(ok, (sum_wp[hi] - sum_wp[lo]) / safe, -1.0)
        out[:, 2 * k + 1] = np.where(ok, in_block / page_words, 0.0)
    return out


def main_block_rows(batch: F.LineBatch, p: np.ndarray, blocks: tuple[np.ndarray, np.ndarray],
                    threshold: float, words: np.ndarray | None = None, order: _BlockOrder | None = None) -> np.ndarray:
    """Whether each row is inside its page's main block: of the blocks enclosing the page's lines
    (:func:`container_rows`), the one whose lines' words are most body-like on balance (each line's
    words weigh ``p - threshold``: body-like lines add, chrome-like ones subtract). A page where no
    block comes out ahead has none. Vectorised over the batch: one sort, one cumulative sum. ``words``:
    the rows' words (:func:`_row_words`), and ``order`` the rows sorted by block, if the caller has them.
    The compiled loop, or else :func:`_main_block_rows_np`."""
    own, ranges = blocks
    top = int(ranges[:, :, 1].max(initial=-1))  # blocks are numbered below this, batch-wide
    if len(p) == 0 or top <= 0:
        return np.zeros(len(p), dtype=bool)
    if words is None:
        words = _row_words(batch)
    gain = np.where(own >= 0, words * (p.astype(np.float64) - threshold), 0.0)
    by_block = order if order is not None else _BlockOrder.of(batch, own)
    sums = by_block.running_sums(gain)
    rows = F.compiled_rows()
    if rows is not None:
        return rows.main_block_rows(by_block.keys, sums, own, ranges, batch.page_index, len(batch.page_start) - 1, top)
    return _main_block_rows_np(batch, blocks, top, by_block, sums)


def _main_block_rows_np(batch: F.LineBatch, blocks: tuple[np.ndarray, np.ndarray], top: int, by_block: _BlockOrder,
                        sums: np.ndarray) -> np.ndarray:
    """:func:`main_block_rows` with numpy, from the running sums of the rows' gains over ``by_block``."""
    own, ranges = blocks
    inside = np.zeros(len(own), dtype=bool)
    flat = ranges.reshape(-1, 2)
    # each enclosing block once, by its number (a block's range starts at its own number); the rows'
    # "none" (-1) land in the spare last slot
    end_of = np.full(top + 1, -1, dtype=np.int64)
    end_of[flat[:, 0]] = flat[:, 1]
    end_of[top] = -1
    page_of = np.empty(top + 1, dtype=np.int64)
    page_of[flat[:, 0]] = np.repeat(batch.page_index, ranges.shape[1])
    starts = np.flatnonzero(end_of >= 0)
    if len(starts) == 0:
        return inside
    cand_page = page_of[starts]
    value = by_block.range_sums(sums, starts, end_of[starts], cand_page)
    best = np.full(len(batch.page_start) - 1, -np.inf)
    np.maximum.at(best, cand_page, value)
    at_best = (value == best[cand_page]) & (value > 0)
    lo = np.full(len(best), top, dtype=np.int64)  # top: no main block (end_of[top] is -1)
    np.minimum.at(lo, cand_page[at_best], starts[at_best])  # of equals, the outermost
    lo = lo[batch.page_index]
    return (own >= lo) & (own < end_of[lo])


def main_block_columns(batch: F.LineBatch, p1: np.ndarray, blocks: tuple[np.ndarray, np.ndarray],
                       threshold: float, order: _BlockOrder | None = None) -> np.ndarray:
    """:data:`MAIN_BLOCK_FEATURES` of each row: inside its page's main block by the stage-1
    probabilities (1 or 0), and the share of the page's words in that block (0: none)."""
    words = _row_words(batch)
    inside = main_block_rows(batch, p1, blocks, threshold, words, order)
    n_pages = len(batch.page_start) - 1
    page_words = np.bincount(batch.page_index, weights=words, minlength=n_pages)
    main_words = np.bincount(batch.page_index, weights=words * inside, minlength=n_pages)
    share = main_words / np.maximum(page_words, 1.0)
    return np.column_stack([inside, share[batch.page_index]]).astype(np.float32)


def main_block_may_lift(dom: np.ndarray) -> np.ndarray:
    """Rows (of a :meth:`LineClassifier.dom_matrix`) that their page's main block may lift: not in a
    caption or a form (:data:`MAIN_BLOCK_EXCEPT`), under :data:`MAIN_BLOCK_MAX_LINK_SHARE` in links."""
    return ~dom[:, [DOM_FEATURE_NAMES.index(f) for f in MAIN_BLOCK_EXCEPT]].any(axis=1) \
        & (dom[:, DOM_FEATURE_NAMES.index("link_share")] < MAIN_BLOCK_MAX_LINK_SHARE)


def opener_features(batch: F.LineBatch, evidence: np.ndarray) -> None:
    """Fill the page-level opener columns: the strongest opener since the main run began, and the
    distance to the last strong one (in place)."""
    n = batch.n_rows
    if n == 0:
        return
    col = F.FEATURE_NAMES.index
    page, starts = batch.page_index, batch.page_start
    in_main = batch.X[:, col("in_main")] > 0
    before = batch.X[:, col("before_main")]
    # main run has begun at or before this row: inside it, or after it (before_main == 0 and has a main run)
    begun = in_main | ((before == 0) & (batch.X[:, col("after_main")] > 0))
    score = np.where(begun, evidence[:, 6], -np.inf)
    rows = F.compiled_rows()
    if rows is None:
        running, distance = _opener_columns_np(score, page, starts)
    else:
        running, distance = rows.opener_columns(np.ascontiguousarray(score, dtype=np.float32),
                                                np.ascontiguousarray(starts, dtype=np.int64), OPENER_STRONG, DISTANCE_CAP)
    evidence[:, 7] = np.where(np.isfinite(running), running, 0.0)
    evidence[:, 8] = np.log1p(distance)


def _opener_columns_np(score: np.ndarray, page: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the largest score of the earlier rows of its page (-inf: none), and the rows since the
    last strong opener of its page, capped (:func:`boiler._rows.opener_columns` in numpy, the reference)."""
    n = len(score)
    running = np.full(n, -np.inf, dtype=np.float64)
    for a, b in zip(starts[:-1].tolist(), starts[1:].tolist()):
        if b - a > 1:
            running[a + 1:b] = np.maximum.accumulate(score[a:b - 1])
    strong = np.isfinite(score) & (score > OPENER_STRONG)
    idx = np.arange(n)
    last = np.maximum.accumulate(np.where(strong, idx, -1))
    same = (last >= 0) & (page[np.maximum(last, 0)] == page)
    return running, np.where(same, np.minimum(idx - last, DISTANCE_CAP), DISTANCE_CAP)


def next_body_share(y: np.ndarray, page: np.ndarray, window: int = OPENER_WINDOW) -> np.ndarray:
    """For each row, the share of the next ``window`` rows of its page that are body (1.0 past the end)."""
    n = len(y)
    total = np.zeros(n, dtype=np.float64)
    count = np.zeros(n, dtype=np.float64)
    for k in range(1, window + 1):
        if k >= n:
            break
        same = page[k:] == page[:-k]
        total[:-k] += np.where(same, y[k:], 0)
        count[:-k] += same
    return np.where(count > 0, total / np.maximum(count, 1), 1.0)


@dataclass(slots=True)
class Scores:
    """Scores of a batch's non-blank lines: stage-1 matrix and probability, final probability."""

    batch: F.LineBatch
    X1: np.ndarray
    p1: np.ndarray
    p2: np.ndarray
    #: Rows inside their page's main block that it may lift (:func:`main_block_rows`); None: not HTML,
    #: or a model without ``main_block_floor``.
    main_block: np.ndarray | None = None


def _hgb(max_iter: int, max_leaf_nodes: int, learning_rate: float, random_state: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=max_iter, max_leaf_nodes=max_leaf_nodes, learning_rate=learning_rate,
        l2_regularization=1.0, min_samples_leaf=40, early_stopping=False, random_state=random_state,
    )


def _page_cumsum(p: np.ndarray, page_start: np.ndarray) -> np.ndarray:
    """Inclusive running sums of ``p`` that start again at each page (float64), with a 0 before each page:
    element ``i + page + 1`` holds the sum of the page's rows up to row ``i``. Summed page by page, so a
    page's sums do not depend on the pages before it in the batch. The compiled loop, or else
    :func:`_page_cumsum_np`."""
    rows = F.compiled_rows()
    if rows is None:
        return _page_cumsum_np(p, page_start)
    return rows.page_cumsum(np.ascontiguousarray(p, dtype=np.float64), np.ascontiguousarray(page_start, dtype=np.int64))


def _page_cumsum_np(p: np.ndarray, page_start: np.ndarray) -> np.ndarray:
    """:func:`_page_cumsum` with numpy: all pages at once as the rows of a zero-padded matrix, each summed
    in order as ``np.cumsum`` sums one page."""
    out = np.zeros(len(p) + len(page_start) - 1, dtype=np.float64)
    rows = np.diff(page_start)
    n_pages = len(rows)
    if not len(p) or not (p.any() or np.signbit(p).any()):  # all +0 (no template): sums of zeros
        return out
    width = int(rows.max())
    if n_pages * width <= 4 * len(p) + 4096:
        page = np.repeat(np.arange(n_pages), rows)
        rank = np.arange(len(p)) - page_start[page]
        padded = np.zeros((n_pages, width), dtype=np.float64)
        padded[page, rank] = p
        out[np.arange(len(p)) + page + 1] = np.cumsum(padded, axis=1)[page, rank]
        return out
    for k, (a, b) in enumerate(zip(page_start[:-1].tolist(), page_start[1:].tolist())):
        out[a + k + 1:b + k + 1] = np.cumsum(p[a:b], dtype=np.float64)
    return out


def _window_mean(p: np.ndarray, page_start: np.ndarray, page: np.ndarray, w: int,
                 cs: np.ndarray | None = None) -> np.ndarray:
    """The mean of ``p`` over each row's window of ``w`` rows each side within its page (float32);
    ``cs``: :func:`_page_cumsum` of ``p``, if the caller has it. The compiled loop, or else numpy."""
    cs = _page_cumsum(p, page_start) if cs is None else cs
    rows = F.compiled_rows()
    if rows is None:
        return _window_mean_np(cs, page_start, page, w)
    return rows.window_mean(cs, np.ascontiguousarray(page_start, dtype=np.int64),
                            np.ascontiguousarray(page, dtype=np.int64), w)


def _window_mean_np(cs: np.ndarray, page_start: np.ndarray, page: np.ndarray, w: int) -> np.ndarray:
    n = len(page)
    idx = np.arange(n)
    lo = np.maximum(idx - w, page_start[page])
    hi = np.minimum(idx + w + 1, page_start[page + 1])
    return ((cs[hi + page] - cs[lo + page]) / (hi - lo)).astype(np.float32)


def _distance_to_body(is_body: np.ndarray, page: np.ndarray, forward: bool) -> np.ndarray:
    """Rows since the previous (or until the next) probable body row in the same page; capped at
    :data:`DISTANCE_CAP` (log1p, float32). The compiled loop, or else :func:`_distance_to_body_np`."""
    rows = F.compiled_rows()
    if rows is None:
        return _distance_to_body_np(is_body, page, forward)
    d = rows.distance_to_body(np.ascontiguousarray(is_body, dtype=np.uint8), np.ascontiguousarray(page, dtype=np.int64),
                              forward, DISTANCE_CAP)
    return np.log1p(np.minimum(d, DISTANCE_CAP)).astype(np.float32)


def _distance_to_body_np(is_body: np.ndarray, page: np.ndarray, forward: bool) -> np.ndarray:
    n = len(is_body)
    cap = DISTANCE_CAP
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


def _rank_in_page(p1: np.ndarray, page: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each row's rank by ``p1`` within its page (ties in row order), as ``np.lexsort((p1, page))`` orders
    them: one stable sort of the page and the probability's bits (the same order for probabilities)."""
    n = len(p1)
    if p1.dtype == np.float32 and not (np.signbit(p1).any() or np.isnan(p1).any()):
        key = (page.astype(np.int64) << 32) | p1.view(np.uint32).astype(np.int64)
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((p1, page))
    rank = np.empty(n, dtype=np.float32)
    rank[order] = np.arange(n) - starts[page[order]]
    return rank


def page_best_columns(p1: np.ndarray, page: np.ndarray, page_start: np.ndarray,
                      floor: float = PAGE_BEST_FLOOR) -> np.ndarray:
    """:data:`PAGE_BEST_FEATURES`: the page's best stage-1 probability, and each line's share of it (a
    page whose article scores low everywhere still has its article as its best text), the best taken
    as at least ``floor``. ``page``: each row's page; ``page_start``: where each page's rows begin."""
    best = F.page_maxima(p1.astype(np.float64), page_start, 0.0)
    line_best = best[page]
    return np.column_stack([line_best, p1 / np.maximum(line_best, max(floor, 1e-6))])


def dated_columns(batch: F.LineBatch) -> np.ndarray:
    """:data:`DATED_FEATURES`: for each row, how many rows of its page hold a date or time among the
    :data:`DATED_WINDOW` rows before it, and among as many after it (log), as float32 columns."""
    col = F.FEATURE_NAMES.index
    dated = (batch.X[:, col("has_date")] > 0) | (batch.X[:, col("has_time")] > 0)
    cs = np.concatenate([[0], np.cumsum(dated, dtype=np.int64)])
    k = np.arange(batch.n_rows)
    page = batch.page_index
    lo = np.maximum(batch.page_start[page], k - DATED_WINDOW)
    hi = np.minimum(batch.page_start[page + 1], k + DATED_WINDOW + 1)
    return np.log1p(np.column_stack([cs[k] - cs[lo], cs[hi] - cs[k + 1]])).astype(np.float32)


def stage2_matrix(batch: F.LineBatch, p1: np.ndarray, tpl: np.ndarray | None = None,
                  page_best: bool = False, dated: bool = False) -> np.ndarray:
    """Stage-2 features from the stage-1 probabilities of a batch (``dated``: with :data:`DATED_FEATURES`,
    before ``page_best``'s columns)."""
    page, starts = batch.page_index, batch.page_start
    n = len(p1)
    n_prob = 1 + len(PROB_OFFSETS) + len(PROB_WINDOWS) + 5  # the columns of p1 alone (_probability_columns_np)
    n_cols = n_prob + len(STAGE2_OWN)
    if tpl is not None:
        n_cols += len(TEMPLATE_STAGE2) + len(TEMPLATE_WINDOWS)
    if dated:
        n_cols += len(DATED_FEATURES)
    if page_best:
        n_cols += len(PAGE_BEST_FEATURES)
    out = np.empty((n, n_cols), dtype=np.float32)  # each column cast to float32 as it is written
    j = 0

    def put(values: np.ndarray) -> None:
        nonlocal j
        width = 1 if values.ndim == 1 else values.shape[1]
        out[:, j:j + width] = values if values.ndim > 1 else values[:, None]
        j += width

    best_col = n_cols - len(PAGE_BEST_FEATURES) if page_best else -1
    rows_c = F.compiled_rows()
    compiled = rows_c is not None and p1.dtype == np.float32 and p1.flags.c_contiguous and rows_c.probability_columns(
        out, p1, starts, np.asarray(PROB_OFFSETS, dtype=np.int64), np.asarray(PROB_WINDOWS, dtype=np.int64),
        DEFAULT_THRESHOLD, DISTANCE_CAP, best_col, max(PAGE_BEST_FLOOR, 1e-6))
    if compiled:  # the probability columns, and the page's best, in one loop (as below, to the bit)
        j = n_prob
    else:
        _probability_columns_np(put, batch, p1)
    own = [F.FEATURE_NAMES.index(nm) for nm in STAGE2_OWN]
    put(batch.X[:, own])
    if tpl is not None:
        put(tpl[:, [_TPL[n] for n in TEMPLATE_STAGE2]])
        share = tpl[:, _TPL["tpl_line_share"]]
        cs_share = _page_cumsum(share, starts)
        for w in TEMPLATE_WINDOWS:
            put(_window_mean(share, starts, page, w, cs_share))
    if dated:
        put(dated_columns(batch))
    if page_best and not compiled:
        put(page_best_columns(p1, page, starts))
    return out


def _probability_columns_np(put: Callable[[np.ndarray], None], batch: F.LineBatch, p1: np.ndarray) -> None:
    """The first columns of :func:`stage2_matrix`, each passed to ``put`` in turn: ``p1``, its neighbours
    (:data:`PROB_OFFSETS`), window means (:data:`PROB_WINDOWS`), the page's mean, the row's rank in its
    page, the page's share before the row, the distances to the nearest probable body row. The numpy
    form of the compiled :func:`boiler._rows.probability_columns`, and the reference it is tested against."""
    page, starts = batch.page_index, batch.page_start
    put(p1)
    put(F.context_window(p1[:, None], page, PROB_OFFSETS, fill=-1.0))
    cs = _page_cumsum(p1, starts)
    for w in PROB_WINDOWS:
        put(_window_mean(p1, starts, page, w, cs))
    n_pages = len(starts) - 1
    page_sum = np.bincount(page, weights=p1, minlength=n_pages)
    rows = np.maximum(np.diff(starts), 1)
    put((page_sum / rows)[page])
    rank = _rank_in_page(p1, page, starts)
    put(rank / np.maximum(rows[page] - 1, 1))
    before = cs[np.arange(len(p1)) + page]  # the page's sum of the rows before each row
    put(before / np.maximum(page_sum[page], 1e-6))
    is_body = p1 >= DEFAULT_THRESHOLD
    put(_distance_to_body(is_body, page, forward=False))
    put(_distance_to_body(is_body, page, forward=True))


class LineClassifier(ClassifierMixin, BaseEstimator):
    """Labels the lines of pages body (1) or chrome (0); see the module docstring."""

    def __init__(self, n_folds: int = 3, stage1_iter: int = 150, stage2_iter: int = 120,
                 max_leaf_nodes: int = 31, learning_rate: float = 0.1, weight_power: float = 0.5,
                 threshold: float = DEFAULT_THRESHOLD, relative_threshold: float = RELATIVE_THRESHOLD,
                 templates: bool = True, dom: bool = False, page_best: bool = True, dom_context: bool = True,
                 main_block_floor: float | None = MAIN_BLOCK_FLOOR, main_block_columns: bool = True,
                 page_balance: float = PAGE_BALANCE, dated_context: bool = True,
                 anchor_confirm: int = ANCHOR_CONFIRM_ROWS, random_state: int = 0):
        self.n_folds = n_folds
        self.stage1_iter = stage1_iter
        self.stage2_iter = stage2_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.learning_rate = learning_rate
        self.weight_power = weight_power
        self.threshold = threshold
        self.relative_threshold = relative_threshold
        self.templates = templates
        self.dom = dom
        self.page_best = page_best
        self.dom_context = dom_context
        self.main_block_floor = main_block_floor
        self.main_block_columns = main_block_columns
        self.page_balance = page_balance
        self.dated_context = dated_context
        self.anchor_confirm = anchor_confirm
        self.random_state = random_state

    # -- matrices -----------------------------------------------------------------------
    @staticmethod
    def tokens(batch: F.LineBatch) -> F.TokenRows:
        words = np.rint(np.expm1(batch.X[:, F.FEATURE_NAMES.index("words")])).astype(np.int64)
        return F.batch_tokens(batch.texts, words)

    @property
    def uses_templates(self) -> bool:
        """Whether the model has site-template features (models made before templates have none)."""
        return bool(getattr(self, "templates", False))

    @property
    def uses_dom(self) -> bool:
        """Whether the model reads HTML pages' DOM evidence (an HTML model) or lines alone."""
        return bool(getattr(self, "dom", False))

    @property
    def uses_page_best(self) -> bool:
        """Whether stage 2 sees the page's best line (:data:`PAGE_BEST_FEATURES`; older models do not)."""
        return bool(getattr(self, "page_best", False))

    @property
    def uses_dated_context(self) -> bool:
        """Whether stage 2 sees how many lines near each line hold a date (:data:`DATED_FEATURES`; older models do not)."""
        return bool(getattr(self, "dated_context", False))

    @property
    def uses_dom_context(self) -> bool:
        """Whether stage 2 of an HTML model sees its lines' enclosing blocks (:data:`CONTAINER_FEATURES`)."""
        return self.uses_dom and bool(getattr(self, "dom_context", False))

    @property
    def uses_main_block_columns(self) -> bool:
        """Whether stage 2 of an HTML model sees its page's main block (:data:`MAIN_BLOCK_FEATURES`)."""
        return self.uses_dom_context and bool(getattr(self, "main_block_columns", False))

    def container_matrix(self, batch: F.LineBatch, html: Sequence[HtmlPage] | None) -> tuple[np.ndarray, np.ndarray] | None:
        """The enclosing blocks of a batch's rows (:func:`container_rows`), or None for a model without them."""
        if not self.uses_dom_context or html is None:
            return None
        return container_rows(batch, html)

    def dom_matrix(self, batch: F.LineBatch, html: Sequence[HtmlPage] | None) -> np.ndarray | None:
        """The DOM columns of a batch (:func:`dom_feature_list`), or None for a text model."""
        if not self.uses_dom:
            return None
        if html is None:
            raise ValueError("this is an HTML model: it labels HTML pages (label_html), not lines alone")
        dom, attrs, near = html_rows(batch, html)
        return np.hstack([dom, self.attr_evidence_.transform(attrs, near)]).astype(np.float32, copy=False)

    def template_matrix(self, batch: F.LineBatch, pages: Sequence[Sequence[str]],
                        templates: Sequence[SiteTemplate | None] | None, min_fit: float = MIN_TEMPLATE_FIT,
                        min_match: float = MIN_TEMPLATE_MATCH, min_cover: float = MIN_TEMPLATE_COVER) -> np.ndarray | None:
        """The template features of a batch (zeros for pages without one, or whose template fits less than
        ``min_fit`` of their lines, or that have less than ``min_match`` of a typical page's recurring
        lines, or less than ``min_cover`` of the template's core lines: :func:`~boiler.templates.template_features`),
        or None for a model without them."""
        if not self.uses_templates:
            return None
        if templates is None or not any(t is not None for t in templates):
            return np.zeros((batch.n_rows, len(TEMPLATE_FEATURES)), dtype=np.float32)
        return template_features(batch, pages, templates, min_fit, min_match, min_cover, confirm=self.anchor_confirm)

    @staticmethod
    def stage1_matrix(batch: F.LineBatch, evidence: np.ndarray, tpl: np.ndarray | None = None,
                      dom: np.ndarray | None = None) -> np.ndarray:
        ctx_cols = [F.FEATURE_NAMES.index(nm) for nm in F.CONTEXT_FEATURES]
        parts = [batch.X[:, ctx_cols], evidence]
        own = [batch.X, evidence]
        if tpl is not None:
            parts.append(tpl[:, [_TPL[n] for n in TEMPLATE_CONTEXT]])
            own.append(tpl)
        if dom is not None:
            parts.append(dom[:, [_DOM[n] for n in DOM_CONTEXT]])
            own.append(dom)
        ctx = np.hstack(parts)
        n_own = sum(a.shape[1] for a in own)
        # One float32 matrix, each part written into its columns (as hstack then astype, without the copies).
        out = np.empty((batch.n_rows, n_own + len(F.CONTEXT_OFFSETS) * ctx.shape[1]), dtype=np.float32)
        j = 0
        for a in own:
            out[:, j:j + a.shape[1]] = a
            j += a.shape[1]
        F.context_window(ctx, batch.page_index, F.CONTEXT_OFFSETS, fill=-1.0, out=out[:, n_own:])
        return out

    def stage2_full(self, batch: F.LineBatch, p1: np.ndarray, tpl: np.ndarray | None = None,
                    dom: np.ndarray | None = None, blocks: tuple[np.ndarray, np.ndarray] | None = None,
                    order: _BlockOrder | None = None) -> np.ndarray:
        """The stage-2 matrix: :func:`stage2_matrix`, then the DOM columns of an HTML model, then (with
        ``dom_context``) its enclosing blocks' columns from ``blocks`` (:meth:`container_matrix`;
        ``order``: its rows sorted by block, if the caller has them)."""
        X2 = stage2_matrix(batch, p1, tpl, self.uses_page_best, self.uses_dated_context)
        if dom is None:
            return X2
        parts = [X2, dom[:, [_DOM[n] for n in DOM_STAGE2]]]
        if self.uses_dom_context:
            if blocks is None:
                blocks = (np.full(len(p1), -1, dtype=np.int64), np.full((len(p1), CONTAINER_LEVELS, 2), -1, dtype=np.int64))
                order = None
            if order is None:
                order = _BlockOrder.of(batch, blocks[0])
            parts.append(container_columns(batch, p1, blocks, order))
            if self.uses_main_block_columns:
                parts.append(main_block_columns(batch, p1, blocks, self.threshold, order))
        return np.hstack(parts).astype(np.float32, copy=False)

    # -- training -----------------------------------------------------------------------
    def _weights(self, batch: F.LineBatch) -> np.ndarray:
        """Each line's training weight: its words to the ``weight_power``, divided by its page's total
        of those (at least :data:`PAGE_BALANCE_FLOOR`) to the ``page_balance`` (0: pages weigh what their
        lines do; 1: every page the same, as the text-track F1 averages over pages), scaled so that the
        weights sum to what they would at 0."""
        words = np.expm1(batch.X[:, F.FEATURE_NAMES.index("words")])
        w = np.power(np.maximum(words, 1.0), self.weight_power)
        balance = self.page_balance  # set by __init__, and on loading for models saved before it (ADDED_PARAMS)
        if balance and len(w):
            page_total = np.maximum(np.bincount(batch.page_index, weights=w), PAGE_BALANCE_FLOOR)[batch.page_index]
            balanced = w / np.power(page_total, balance)
            w = balanced * (w.sum() / balanced.sum())
        return w

    def fit(self, pages: Sequence[Sequence[str]], labels: Sequence[Sequence[str]],
            groups: Sequence[str], page_weight: Sequence[float] | None = None,
            site_templates: Sequence[SiteTemplate | None] | None = None,
            html: Sequence[HtmlPage] | None = None) -> LineClassifier:
        """Fit on pages of lines with their ``+``/``-``/`` `` labels; ``groups`` (one per page) are sites.

        ``page_weight`` multiplies the sample weight of every line of a page (default 1).
        ``site_templates`` (one per page, or None) are templates of the pages' sites; a template that
        has seen the page leaves it out of its counts (see :mod:`boiler.templates`).
        ``html`` (one per page, for an HTML model: ``dom=True``) holds the pages' DOM evidence; each
        page's lines are its HTML page's lines.
        """
        if self.uses_dom and html is None:
            raise ValueError("an HTML model (dom=True) is trained on HTML pages: pass html=")
        batch = F.extract(pages)
        tpl = self.template_matrix(batch, pages, site_templates, min_fit=0.0, min_match=0.0, min_cover=0.0)
        y = np.array([labels[p][i] == "+" for p, i in zip(batch.page_index, batch.line_index)], dtype=np.int8)
        row_groups = np.asarray(groups, dtype=object)[batch.page_index]
        tokens = self.tokens(batch)
        w = self._weights(batch)
        if page_weight is not None:
            w = w * np.asarray(page_weight, dtype=np.float64)[batch.page_index]
        n_groups = len(set(groups))
        folds = list(GroupKFold(n_splits=min(self.n_folds, n_groups)).split(batch.X, y, row_groups)) \
            if n_groups >= 2 else []
        log.info("training on %d lines of %d pages (%d sites), %d folds", len(y), len(pages), n_groups, len(folds))

        # Word evidence, out of fold for the stage-1 training matrix.
        nxt = next_body_share(y, batch.page_index)
        evidence = np.zeros((len(y), len(EVIDENCE_FEATURES)), dtype=np.float32)
        for tr, te in folds:
            we = WordEvidence().fit([tokens[i] for i in tr], y[tr], row_groups[tr], nxt[tr])
            evidence[te] = we.transform([tokens[i] for i in te])
        self.evidence_ = WordEvidence().fit(tokens, y, row_groups, nxt)
        if not folds:
            evidence = self.evidence_.transform(tokens)
        opener_features(batch, evidence)
        dom = None
        if self.uses_dom:  # class-word evidence too is out of fold for the stage-1 training matrix
            dom_cols, attrs, near = html_rows(batch, html)
            attr_ev = np.zeros((len(y), len(ATTR_FEATURES)), dtype=np.float32)
            for tr, te in folds:
                ae = AttrEvidence().fit([attrs[i] for i in tr], y[tr], row_groups[tr])
                attr_ev[te] = ae.transform([attrs[i] for i in te], [near[i] for i in te])
            self.attr_evidence_ = AttrEvidence().fit(attrs, y, row_groups)
            if not folds:
                attr_ev = self.attr_evidence_.transform(attrs, near)
            dom = np.hstack([dom_cols, attr_ev]).astype(np.float32)
        X1 = self.stage1_matrix(batch, evidence, tpl, dom)

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

        X2 = self.stage2_full(batch, p1, tpl, dom, self.container_matrix(batch, html))
        self.stage2_ = _hgb(self.stage2_iter, 15, self.learning_rate, self.random_state)
        self.stage2_.fit(X2, y, sample_weight=w)
        self.classes_ = np.array([0, 1])
        self.reference_ = np.median(X1, axis=0).astype(np.float32)
        self.n_features_in_ = X1.shape[1]
        self.__dict__.pop("_forest_cache", None)
        return self

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_forest_cache", None)
        return state

    def use_compiled_trees(self, enabled: bool = True) -> LineClassifier:
        """Walk the trees with the compiled function (the default: fastest), or with scikit-learn's own
        prediction in blocks (the same probabilities, several times slower)."""
        self.__dict__["_compiled_trees"] = bool(enabled)
        self.__dict__.pop("_forest_cache", None)
        return self

    def _forests(self) -> tuple[Forest | None, Forest | None]:
        """Both stages' trees as flat arrays, built on first use after fit or load: a cache of fitted state."""
        forests = self.__dict__.get("_forest_cache")
        if forests is None:
            forests = (Forest.of(self.stage1_), Forest.of(self.stage2_)) \
                if self.__dict__.get("_compiled_trees", True) else (None, None)
            self.__dict__["_forest_cache"] = forests
        return forests

    def p_stage1(self, X1: np.ndarray) -> np.ndarray:
        """Stage-1 P(body) of the rows of a stage-1 matrix (float64)."""
        return predict_body(self.stage1_, self._forests()[0], X1)

    def p_stage2(self, X2: np.ndarray) -> np.ndarray:
        """Stage-2 P(body) of the rows of a stage-2 matrix (float64)."""
        return predict_body(self.stage2_, self._forests()[1], X2)

    # -- prediction ---------------------------------------------------------------------
    def score_batch(self, batch: F.LineBatch, tpl: np.ndarray | None = None, dom: np.ndarray | None = None,
                    blocks: tuple[np.ndarray, np.ndarray] | None = None) -> Scores:
        """Stage-1 and final probabilities of a batch's non-blank lines: one model call per stage.

        ``tpl`` is the batch's :meth:`template_matrix` (None: no page has a template); ``dom`` its
        :meth:`dom_matrix` and ``blocks`` its :meth:`container_matrix` (an HTML model only)."""
        if tpl is None and self.uses_templates:
            tpl = np.zeros((batch.n_rows, len(TEMPLATE_FEATURES)), dtype=np.float32)
        if batch.n_rows == 0:
            z = np.zeros(0, dtype=np.float32)
            return Scores(batch, np.zeros((0, self.n_features_in_), dtype=np.float32), z, z)
        evidence = self.evidence_.transform(self.tokens(batch))
        opener_features(batch, evidence)
        X1 = self.stage1_matrix(batch, evidence, tpl, dom)
        p1 = self.p_stage1(X1).astype(np.float32)
        order = _BlockOrder.of(batch, blocks[0]) if blocks is not None and dom is not None else None  # sorted once
        p2 = self.p_stage2(self.stage2_full(batch, p1, tpl, dom, blocks, order)).astype(np.float32)
        main = None
        if getattr(self, "main_block_floor", None) is not None and blocks is not None and dom is not None:
            main = main_block_rows(batch, p2, blocks, self.threshold, order=order) & main_block_may_lift(dom)
        return Scores(batch, X1, p1, p2, main)

    def cuts(self, scores: Scores, main_block: bool = True) -> np.ndarray:
        """The probability each scored row must reach to be body: the threshold, lowered on a page whose
        best line is below it to ``relative_threshold`` of that best (if the best reaches RELATIVE_MIN_BEST,
        and so does the best line's own stage-1 score: a page of menu words that its neighbours lift a
        little keeps nothing); and inside an HTML page's main block to ``main_block_floor``
        (``main_block``: False leaves that out)."""
        page, starts = scores.batch.page_index, scores.batch.page_start
        best = F.page_maxima(scores.p2, starts, 0.0)
        best_own = F.page_maxima(scores.p1, starts, 0.0)
        relative = (best >= RELATIVE_MIN_BEST) & (best_own >= RELATIVE_MIN_BEST)
        cut = np.where(relative, np.minimum(self.threshold, self.relative_threshold * best), self.threshold)[page]
        floor = getattr(self, "main_block_floor", None)
        if main_block and floor is not None and scores.main_block is not None:
            cut = np.where(scores.main_block, np.minimum(cut, floor), cut)
        return cut

    def decide(self, scores: Scores) -> np.ndarray:
        """Body (True) or chrome for each scored row (see :meth:`cuts`)."""
        return scores.p2 >= self.cuts(scores)

    def score_pages(self, pages: Sequence[Sequence[str]],
                    site_templates: Sequence[SiteTemplate | None] | None = None,
                    html: Sequence[HtmlPage] | None = None, *, min_fit: float = MIN_TEMPLATE_FIT,
                    min_match: float = MIN_TEMPLATE_MATCH, min_cover: float = MIN_TEMPLATE_COVER) -> Scores:
        """:meth:`score_batch` of pages of lines, with their sites' templates (one per page, or None)
        and, for an HTML model, the HTML pages the lines come from. ``min_fit``, ``min_match``, ``min_cover``:
        when a template is used (see :meth:`template_matrix`)."""
        batch = F.extract(pages)
        return self.score_batch(batch, self.template_matrix(batch, pages, site_templates, min_fit, min_match, min_cover),
                                self.dom_matrix(batch, html), self.container_matrix(batch, html))

    def predict_pages(self, pages: Sequence[Sequence[str]],
                      site_templates: Sequence[SiteTemplate | None] | None = None,
                      html: Sequence[HtmlPage] | None = None, *, min_fit: float = MIN_TEMPLATE_FIT,
                      min_match: float = MIN_TEMPLATE_MATCH, min_cover: float = MIN_TEMPLATE_COVER) -> list[list[bool | None]]:
        """Body (True), chrome (False) or nothing to judge (None) for every line of every page (``min_fit``,
        ``min_match``, ``min_cover``: as :meth:`score_pages`)."""
        s = self.score_pages(pages, site_templates, html, min_fit=min_fit, min_match=min_match, min_cover=min_cover)
        body = self.decide(s).tolist()
        out: list[list[bool | None]] = [[None] * len(p) for p in pages]
        for k, (p, i) in enumerate(zip(s.batch.page_index.tolist(), s.batch.line_index.tolist())):
            out[p][i] = body[k]
        return out

    def predict_proba_pages(self, pages: Sequence[Sequence[str]],
                            site_templates: Sequence[SiteTemplate | None] | None = None,
                            html: Sequence[HtmlPage] | None = None) -> list[np.ndarray]:
        """P(body) for every line of every page; NaN for lines with nothing to judge."""
        s = self.score_pages(pages, site_templates, html)
        out = [np.full(len(p), np.nan, dtype=np.float32) for p in pages]
        for k, (p, i) in enumerate(zip(s.batch.page_index, s.batch.line_index)):
            out[p][i] = s.p2[k]
        return out
