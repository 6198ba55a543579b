"""The labeling API: a :class:`Labeler` wraps a model and labels pages line by line.

>>> import boiler
>>> labeler = boiler.load()                              # the shipped default model
>>> results = labeler.label(text)                        # one LineResult per input line
>>> body = labeler.clean(text)                           # the body text

``label_pages`` and ``clean_pages`` take many pages and make one model call per batch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from . import features as F
from .formats import split_lines
from .html import html_to_lines
from .model import LineClassifier, Scores, stage1_feature_names
from .modelio import load_model
from .sites import site_of
from .templates import SiteTemplate, TemplateStore

__all__ = ["LineResult", "LineExplanation", "GroupEffect", "Labeler", "load", "default_model_path",
           "default_template_path"]

log = logging.getLogger(__name__)

#: A feature group must move a line's stage-1 log-odds by this much to be named in its reason.
REASON_MIN_EFFECT = 0.25
#: How many feature groups a reason names at most.
REASON_GROUPS = 2
#: How many feature groups an explanation (the debug report) lists per line.
EXPLAIN_GROUPS = 5
#: Pages per model call in batch methods.
BATCH_PAGES = 256
NOTHING_TO_JUDGE = "nothing to judge (no word characters)"


@dataclass(slots=True)
class LineResult:
    """The verdict on one line: ``is_body`` is None for a line with nothing to judge (p_body 0)."""

    text: str
    is_body: bool | None
    p_body: float
    reason: str = ""

    @property
    def label(self) -> str:
        return " " if self.is_body is None else ("+" if self.is_body else "-")


@dataclass(slots=True)
class GroupEffect:
    """How far one feature group moved a line's own log-odds (> 0: towards body), and its value in words."""

    group: str
    effect: float
    evidence: str


@dataclass(slots=True)
class LineExplanation:
    """A line's result with the evidence behind it: its own (stage-1) score and the strongest groups."""

    result: LineResult
    p_own: float | None = None
    groups: list[GroupEffect] = field(default_factory=list)


def default_model_path() -> Path:
    """The shipped default model: inside the installed package, or ``models/default`` of a checkout."""
    try:
        installed = Path(str(resources.files("boiler.models"))) / "default"
        if (installed / "model.json").is_file():
            return installed
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "models" / "default"


def default_template_path() -> Path:
    """The shipped site-template store: beside the default model (``models/templates``)."""
    return default_model_path().parent / "templates"


def load(path: str | os.PathLike | None = None, compiled: bool = True,
         templates: str | os.PathLike | TemplateStore | None = "default") -> Labeler:
    """A :class:`Labeler` with the model in ``path`` (a model folder), or the shipped default model.

    ``templates`` is the site-template store used when a page's site (or URL) is given: a folder, a
    :class:`~boiler.templates.TemplateStore`, ``"default"`` (the shipped ``models/templates``), or None.
    ``compiled=False`` predicts with scikit-learn instead of the compiled tree walk: the same
    probabilities, somewhat slower, about 100 MB less memory.
    """
    folder = Path(path) if path is not None else default_model_path()
    model, meta = load_model(folder)
    model.use_compiled_trees(compiled)
    if isinstance(templates, str) and templates == "default":
        templates = default_template_path()
    store = templates if isinstance(templates, TemplateStore) or templates is None else TemplateStore(templates)
    return Labeler(model, meta, source=str(folder), templates=store)


def _as_lines(text_or_lines: str | Sequence[str]) -> list[str]:
    return split_lines(text_or_lines) if isinstance(text_or_lines, str) else list(text_or_lines)


class Labeler:
    """Labels lines body or chrome with a fitted :class:`~boiler.model.LineClassifier`.

    Picklable, with no hidden state: safe to ship to joblib, multiprocessing or Dask workers.
    """

    def __init__(self, model: LineClassifier, meta: dict | None = None, source: str = "<memory>",
                 templates: TemplateStore | None = None):
        self.model = model
        self.meta = meta or {}
        self.source = source
        self.templates = templates

    # -- site templates -------------------------------------------------------------------
    def template_for(self, site: str | None = None, url: str | None = None) -> SiteTemplate | None:
        """The store's template of ``site`` (or of ``url``'s registered domain), if there is one."""
        if self.templates is None or not self.model.uses_templates:
            return None
        return self.templates.get(site or site_of(url))

    def _templates(self, n: int, sites: Sequence[str | None] | None, urls: Sequence[str | None] | None,
                   templates: Sequence[SiteTemplate | None] | None) -> list[SiteTemplate | None] | None:
        """One template (or None) per page: given ones first, else the store's for the page's site."""
        if templates is None and sites is None and urls is None:
            return None
        out: list[SiteTemplate | None] = []
        for k in range(n):
            t = templates[k] if templates is not None else None
            if t is None:
                t = self.template_for(sites[k] if sites is not None else None, urls[k] if urls is not None else None)
            out.append(t)
        return out

    @property
    def threshold(self) -> float:
        return float(self.model.threshold)

    # -- labeling -----------------------------------------------------------------------
    def label(self, text_or_lines: str | Sequence[str], site: str | None = None, url: str | None = None,
              reasons: bool = True, template: SiteTemplate | None = None) -> list[LineResult]:
        """One :class:`LineResult` per input line, in order.

        ``site`` (or else ``url``'s registered domain) selects the outlet's template from the store;
        ``template`` passes one explicitly. Without one, the page is labeled on its own.
        """
        return self.label_pages([_as_lines(text_or_lines)], reasons=reasons, sites=[site], urls=[url],
                                templates=[template])[0]

    def _scores(self, chunk: list[list[str]], lo: int, sites, urls, templates) -> Scores:
        hi = lo + len(chunk)
        tpls = self._templates(len(chunk), sites[lo:hi] if sites is not None else None,
                               urls[lo:hi] if urls is not None else None,
                               templates[lo:hi] if templates is not None else None)
        return self.model.score_pages(chunk, tpls)

    def label_pages(self, pages: Sequence[str | Sequence[str]], reasons: bool = False,
                    sites: Sequence[str | None] | None = None, urls: Sequence[str | None] | None = None,
                    templates: Sequence[SiteTemplate | None] | None = None) -> list[list[LineResult]]:
        """Label many pages (texts or line lists), one model call per batch of pages.

        ``sites``, ``urls`` and ``templates`` (one per page, each may be None) select site templates as
        :meth:`label` does."""
        out: list[list[LineResult]] = []
        for lo in range(0, len(pages), BATCH_PAGES):
            chunk = [_as_lines(p) for p in pages[lo:lo + BATCH_PAGES]]
            scores = self._scores(chunk, lo, sites, urls, templates)
            why = self._reasons(scores) if reasons else None
            out.extend(self._results(chunk, scores, why))
        return out

    def label_html(self, html: str | bytes, url: str | None = None, reasons: bool = True,
                   site: str | None = None, template: SiteTemplate | None = None) -> list[LineResult]:
        """Label the lines of an HTML page (converted as the shared corpora's text track was)."""
        return self.label(html_to_lines(html), site=site, url=url, reasons=reasons, template=template)

    def clean(self, text_or_lines: str | Sequence[str], site: str | None = None, url: str | None = None,
              template: SiteTemplate | None = None) -> str:
        """The body lines of a page, joined by newlines."""
        return self.clean_pages([text_or_lines], sites=[site], urls=[url], templates=[template])[0]

    def clean_pages(self, pages: Sequence[str | Sequence[str]], sites: Sequence[str | None] | None = None,
                    urls: Sequence[str | None] | None = None,
                    templates: Sequence[SiteTemplate | None] | None = None) -> list[str]:
        """The body text of many pages, one model call per batch (as :meth:`label_pages`, without
        building a :class:`LineResult` per line)."""
        out: list[str] = []
        for lo in range(0, len(pages), BATCH_PAGES):
            chunk = [_as_lines(p) for p in pages[lo:lo + BATCH_PAGES]]
            scores = self._scores(chunk, lo, sites, urls, templates)
            rows = np.flatnonzero(self.model.decide(scores))
            page = scores.batch.page_index[rows]
            lines = [chunk[p][i] for p, i in zip(page.tolist(), scores.batch.line_index[rows].tolist())]
            end = np.cumsum(np.bincount(page, minlength=len(chunk))).tolist()
            out.extend("\n".join(lines[a:b]) for a, b in zip([0, *end[:-1]], end))
        return out

    def clean_html(self, html: str | bytes, url: str | None = None, site: str | None = None,
                   template: SiteTemplate | None = None) -> str:
        return self.clean(html_to_lines(html), site=site, url=url, template=template)

    def explain_pages(self, pages: Sequence[str | Sequence[str]], sites: Sequence[str | None] | None = None,
                      urls: Sequence[str | None] | None = None,
                      templates: Sequence[SiteTemplate | None] | None = None) -> list[list[LineExplanation]]:
        """For each line of each page: its result with reason, and the evidence behind it (for reports)."""
        out: list[list[LineExplanation]] = []
        for lo in range(0, len(pages), BATCH_PAGES):
            chunk = [_as_lines(p) for p in pages[lo:lo + BATCH_PAGES]]
            scores = self._scores(chunk, lo, sites, urls, templates)
            keys, effect = self._group_effects(scores)
            why = self._reasons(scores, keys, effect)
            results = self._results(chunk, scores, why)
            rows = [[LineExplanation(r) for r in res] for res in results]
            names = stage1_feature_names(self.model.uses_templates)
            for k, (p, i) in enumerate(zip(scores.batch.page_index.tolist(), scores.batch.line_index.tolist())):
                e = rows[p][i]
                e.p_own = float(scores.p1[k])
                order = np.argsort(-np.abs(effect[k]))
                e.groups = [GroupEffect(keys[g], float(effect[k, g]),
                                        self._describe(keys[g], scores.X1[k], names, scores.batch.texts[k],
                                                       effect[k, g] > 0))
                            for g in order[:EXPLAIN_GROUPS]]
            out.extend(rows)
        return out

    # -- internals ----------------------------------------------------------------------
    def _results(self, pages: list[list[str]], scores: Scores, why: list[str] | None) -> list[list[LineResult]]:
        out = [[LineResult(line, None, 0.0, NOTHING_TO_JUDGE if why is not None else "") for line in lines]
               for lines in pages]
        p2 = scores.p2.tolist()
        body = self.model.decide(scores).tolist()
        for k, (p, i) in enumerate(zip(scores.batch.page_index.tolist(), scores.batch.line_index.tolist())):
            r = out[p][i]
            r.p_body = p2[k]
            r.is_body = body[k]
            if why is not None:
                r.reason = why[k]
        return out

    def _group_effects(self, s: Scores) -> tuple[list[str], np.ndarray]:
        """Feature groups, and how far each moved each line's stage-1 log-odds (> 0: towards body).

        Each group is set to a typical value (the training median) in turn; the effect is the change of
        the line's log-odds that undoing this causes. One model call for all groups and lines.
        """
        n = s.X1.shape[0]
        names = stage1_feature_names(self.model.uses_templates)
        groups: dict[str, list[int]] = {}
        for j, f in enumerate(names):
            groups.setdefault(f.group, []).append(j)
        keys = list(groups)
        if n == 0:
            return keys, np.zeros((0, len(keys)))
        ref = self.model.reference_
        X = np.repeat(s.X1, len(keys), axis=0)
        for g, key in enumerate(keys):
            cols = groups[key]
            X[g::len(keys)][:, cols] = ref[cols]
        p_without = self.model.p_stage1(X).reshape(n, len(keys))
        return keys, _logit(s.p1)[:, None] - _logit(p_without)

    def _reasons(self, s: Scores, keys: list[str] | None = None, effect: np.ndarray | None = None) -> list[str]:
        """Why each line got its label: the feature groups that moved its own score most, and context."""
        n = s.X1.shape[0]
        if n == 0:
            return []
        if keys is None or effect is None:
            keys, effect = self._group_effects(s)
        names = stage1_feature_names(self.model.uses_templates)
        cuts = self.model.cuts(s)
        out = []
        for k in range(n):
            body = bool(s.p2[k] >= cuts[k])
            sign = 1 if body else -1
            order = np.argsort(-sign * effect[k])
            parts = [f"{self._describe(keys[g], s.X1[k], names, s.batch.texts[k], effect[k, g] > 0)} → "
                     f"{'body' if effect[k, g] > 0 else 'chrome'}"
                     for g in order[:REASON_GROUPS] if sign * effect[k, g] >= REASON_MIN_EFFECT]
            own_body = s.p1[k] >= cuts[k]
            if own_body != body:
                parts.append(f"neighbours overrode its own score ({s.p1[k]:.2f} → {s.p2[k]:.2f})")
            if not parts:
                parts.append(f"no single feature decided; overall {'body' if body else 'chrome'}-like")
            out.append("; ".join(parts))
        return out

    def _describe(self, group: str, x: np.ndarray, names: list[F.Feature], text: str, to_body: bool) -> str:
        if group == "learned words":
            lookup = self.model.evidence_._lookup()
            scored = [(lookup[t], t) for t in F.line_tokens(text) if t in lookup]
            if scored:
                value, token = max(scored) if to_body else min(scored)
                kind = {"f": "first word", "l": "last word", "w": "word", "L": "line"}[token[0]]
                return f"{kind} '{token[2:]}' (learned)"
        return _describe(group, x, names)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _describe(group: str, x: np.ndarray, names: list[F.Feature]) -> str:
    """A group's evidence for one line, in words."""
    v = {f.name: float(x[j]) for j, f in enumerate(names)}
    words = int(round(np.expm1(v["words"])))
    if group == "length":
        return f"{'long' if v['long_line'] else 'short'} line ({words} word{'s' if words != 1 else ''})"
    if group == "punctuation":
        if v["ends_ellipsis"]:
            return "ends in an ellipsis, like a teaser"
        if v["ends_sentence"]:
            return "ends a sentence"
        if v["separators"] > 0:
            return "has menu separators"
        if v["paren_count"]:
            return "ends in a count like (29)"
        return "no sentence punctuation"
    if group == "date":
        if v["date_only"]:
            return "is a date or time"
        if v["has_date"] or v["has_time"]:
            return "contains a date or time"
        if v["number_word"]:
            return "is a number and a word"
        return "no date"
    if group == "repetition":
        rep = int(round(np.expm1(v["repeats"])))
        return f"repeated {rep + 1}× on the page" + (" nearby" if v["repeat_near"] else "") if rep else "not repeated"
    if group == "learned words":
        return "its words, as learned from training pages"
    if group == "letter case":
        return f"{v['title_share']:.0%} of words capitalised"
    if group == "characters":
        return f"{v['alpha_share']:.0%} letters, {v['digit_share']:.0%} digits"
    if group == "block":
        where = "inside" if v["in_main"] else "outside"
        return f"{where} the main run of text, in a block where {v['seg_sentence_share']:.0%} of lines end a sentence"
    if group == "position":
        return f"at {v['pos_rel']:.0%} of the page"
    if group == "page":
        return "the page's overall shape"
    if group == "site template":
        return _describe_template(v)
    if group == "previous lines":
        return "the lines before it"
    if group == "next lines":
        return "the lines after it"
    return group


def _describe_template(v: dict[str, float]) -> str:
    """The site-template evidence of one line, in words."""
    others = int(round(np.expm1(v["tpl_pages"])))
    if others == 0:
        return "no site template"
    seen = int(round(np.expm1(v["tpl_line_pages"])))
    if seen:
        return f"site template: on {seen} of the site's {others} other pages"
    if v["tpl_after_end"] >= 0.5:
        return "site template: below a line that follows the body on the site's pages"
    if v["tpl_before_start"] >= 0.5:
        return "site template: above a line that comes before the body on the site's pages"
    if v["tpl_shape_share"] > 0:
        return f"site template: its shape is on {v['tpl_shape_share']:.0%} of the site's pages"
    return f"site template: new to the site ({others} pages seen); the body covers this part on {v['tpl_span']:.0%}"
