"""The labeling API: a :class:`Labeler` wraps a model and labels pages line by line.

>>> import boiler
>>> labeler = boiler.load()                              # the shipped default model
>>> results = labeler.label(text)                        # one LineResult per input line
>>> body = labeler.clean(text)                           # the body text
>>> body = labeler.clean_html(html, url=url)             # an HTML page, with its DOM evidence

``label_pages`` and ``clean_pages`` (``label_html_pages``, ``clean_html_pages``) take many pages and
make one model call per batch.

Text and HTML are labeled by two models of the same kind (:class:`~boiler.model.LineClassifier`): the
text model sees lines alone; the HTML model (``dom=True``, in the model folder's ``html/``) sees the
same line features plus each line's DOM evidence. Two models rather than one with missing DOM columns:
each is trained on exactly the input it will see, the text model stays as good as it was on text, and
the HTML model's trees never spend splits telling the two kinds of input apart.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from . import features as F
from .formats import split_lines
from .html import HtmlPage, parse_html
from .model import DISTANCE_CAP, OPENER_STRONG, LineClassifier, Scores, stage1_feature_names
from .modelio import load_model
from .sites import normal_site, site_of
from .templates import SiteTemplate, TemplateStore

__all__ = ["LineResult", "LineExplanation", "GroupEffect", "Labeler", "PageVerdicts", "load", "default_model_path",
           "default_template_path"]

log = logging.getLogger(__name__)

#: A feature group must move a line's stage-1 log-odds by this much to be named in its reason.
REASON_MIN_EFFECT = 0.25
#: How many feature groups a reason names at most.
REASON_GROUPS = 2
#: How many feature groups an explanation (the debug report) lists per line.
EXPLAIN_GROUPS = 5
#: A reason quotes at most this many characters of another line.
QUOTE_CHARS = 40
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
    path: str = ""  # HTML input: the tag path of the line's main text (``div.story > p``)

    @property
    def label(self) -> str:
        return " " if self.is_body is None else ("+" if self.is_body else "-")


#: The labels of :class:`PageVerdicts`: a body line, a chrome line, a line with nothing to judge.
BODY, CHROME, NOTHING = 1, 0, -1


@dataclass(slots=True)
class PageVerdicts:
    """The verdicts on one page's lines as arrays (what :class:`LineResult` holds, without an object per
    line): ``label`` is BODY (1), CHROME (0) or NOTHING (-1, nothing to judge); ``p_body`` is
    P(body), 0 for a line with nothing to judge; ``tokens`` the line's word tokens (``\\w+``, as
    :func:`boiler.evaluate.count_tokens` counts them; 0 for a line with nothing to judge)."""

    label: np.ndarray  # int8, one per line
    p_body: np.ndarray  # float32, one per line
    tokens: np.ndarray  # int64, one per line

    def token_count(self, label: int) -> int:
        """The word tokens of the lines with the label ``label``."""
        return int(self.tokens[self.label == label].sum())

    def lines(self, lines: Sequence[str], label: int) -> list[str]:
        """The lines of the page (as given) with the label ``label``, in order."""
        return [lines[i] for i in np.flatnonzero(self.label == label).tolist()]

    def marks(self) -> list[str]:
        """Each line's mark in the labeled-lines format: "+" body, "-" chrome, " " nothing to judge."""
        return list(map(_MARKS.__getitem__, (self.label + 1).tolist()))


#: A line's mark by its verdict label plus one (NOTHING, CHROME, BODY; see :attr:`LineResult.label`).
_MARKS = " -+"


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
    probabilities, somewhat slower, about 100 MB less memory. The folder's HTML model (``html/``), if
    any, is loaded on first use (:meth:`Labeler.html_labeler`), and raises ModelFileError then.
    """
    folder = Path(path) if path is not None else default_model_path()
    model, meta = load_model(folder, compiled)
    if isinstance(templates, str) and templates == "default":
        templates = default_template_path()
    store = templates if isinstance(templates, TemplateStore) or templates is None else TemplateStore(templates)
    html_folder = folder / HTML_MODEL_DIR
    return Labeler(model, meta, source=str(folder), templates=store,
                   html_model=str(html_folder) if (html_folder / "model.json").is_file() else None,
                   compiled=compiled)


#: The HTML model's folder inside a model folder.
HTML_MODEL_DIR = "html"


def _as_lines(text_or_lines: str | Sequence[str]) -> list[str]:
    """A page's lines: a text split, or a sequence of lines as a list. Anything else (bytes, a record
    as a dict, lines that are not strings) is a TypeError saying what a page is, not a wrong result."""
    if isinstance(text_or_lines, str):
        return split_lines(text_or_lines)
    if isinstance(text_or_lines, (bytes, bytearray, Mapping)):
        raise TypeError(f"a page is a str or a sequence of str (its lines), not {type(text_or_lines).__name__}"
                        + (": decode it (or use label_html for HTML)" if not isinstance(text_or_lines, Mapping)
                           else ": pass its text (boiler.formats.page_from_record reads a record)"))
    lines = list(text_or_lines)
    if not all(map(isinstance, lines, itertools.repeat(str))):  # (in C: a few microseconds a page)
        bad = next(line for line in lines if not isinstance(line, str))
        raise TypeError(f"a page's lines must be str, not {type(bad).__name__}")
    return lines


class Labeler:
    """Labels lines body or chrome with a fitted :class:`~boiler.model.LineClassifier`.

    Picklable, with no hidden state: safe to ship to joblib, multiprocessing or Dask workers.
    """

    def __init__(self, model: LineClassifier, meta: dict | None = None, source: str = "<memory>",
                 templates: TemplateStore | None = None, html_model: LineClassifier | str | None = None,
                 compiled: bool = True):
        self.model = model
        self.meta = meta or {}
        self.source = source
        self.templates = templates
        self.html_model = html_model  # the HTML model, or its folder (loaded on first use), or None
        self.compiled = compiled

    def html_labeler(self) -> Labeler:
        """The labeler of HTML pages: over the HTML model when there is one (loaded on first use), else
        this one (HTML pages are then labeled from their lines alone)."""
        if self.html_model is None:
            return self
        cached = self.__dict__.get("_html_labeler")
        if cached is None:
            model, meta = self.html_model, {}
            if not isinstance(model, LineClassifier):
                model, meta = load_model(model, self.compiled)
            cached = self.__dict__["_html_labeler"] = Labeler(model, meta, str(self.html_model), self.templates)
        return cached

    def with_store(self, templates: TemplateStore | None) -> Labeler:
        """This labeler with another template store, for text and HTML pages alike: the same models (an
        HTML model already loaded is not loaded again)."""
        out = Labeler(self.model, self.meta, self.source, templates, self.html_model, self.compiled)
        loaded = self.__dict__.get("_html_labeler")
        if loaded is not None and loaded is not self:
            out.__dict__["_html_labeler"] = Labeler(loaded.model, loaded.meta, loaded.source, templates)
        return out

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_html_labeler", None)
        return state

    # -- site templates -------------------------------------------------------------------
    def template_for(self, site: str | None = None, url: str | None = None) -> SiteTemplate | None:
        """The store's template of ``site`` (or of ``url``'s registered domain), if there is one."""
        if self.templates is None or not self.model.uses_templates:
            return None
        return self.templates.get(normal_site(site) or site_of(url))

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

    def _scores(self, chunk: list[list[str]], lo: int, sites, urls, templates,
                html: Sequence[HtmlPage] | None = None) -> Scores:
        hi = lo + len(chunk)
        tpls = self._templates(len(chunk), sites[lo:hi] if sites is not None else None,
                               urls[lo:hi] if urls is not None else None,
                               templates[lo:hi] if templates is not None else None)
        dom = html[lo:hi] if html is not None and self.model.uses_dom else None
        return self.model.score_pages(chunk, tpls, dom)

    def label_pages(self, pages: Sequence[str | Sequence[str]], reasons: bool = False,
                    sites: Sequence[str | None] | None = None, urls: Sequence[str | None] | None = None,
                    templates: Sequence[SiteTemplate | None] | None = None,
                    html: Sequence[HtmlPage] | None = None) -> list[list[LineResult]]:
        """Label many pages (texts or line lists), one model call per batch of pages.

        ``sites``, ``urls`` and ``templates`` (one per page, each may be None) select site templates as
        :meth:`label` does. ``html`` (parsed HTML pages whose lines the pages are) gives each line its
        tag path, and an HTML model its DOM evidence: use :meth:`label_html_pages`."""
        self._check_html(html)
        out: list[list[LineResult]] = []
        for lo in range(0, len(pages), BATCH_PAGES):
            chunk = [_as_lines(p) for p in pages[lo:lo + BATCH_PAGES]]
            scores = self._scores(chunk, lo, sites, urls, templates, html)
            chunk_html = html[lo:lo + BATCH_PAGES] if html is not None else None
            why = self._reasons(scores, attrs=_row_attrs(scores, chunk_html)) if reasons else None
            out.extend(self._results(chunk, scores, why, chunk_html))
        return out

    def _check_html(self, html: Sequence[HtmlPage] | None) -> None:
        if self.model.uses_dom and html is None:
            raise TypeError(f"{self.source} is an HTML model: it labels HTML pages (label_html, clean_html)")

    def label_html(self, html: str | bytes, url: str | None = None, reasons: bool = True,
                   site: str | None = None, template: SiteTemplate | None = None,
                   source: str = "<memory>") -> list[LineResult]:
        """Label the lines of an HTML page (its lines as a scraper's text has them, see :mod:`boiler.html`),
        with the HTML model and each line's DOM evidence; each result carries its tag ``path``.
        Raises :class:`~boiler.errors.InputError` naming ``source`` for a page that cannot be read."""
        return self.label_html_pages([html], reasons, [site], [url], [template], [source])[0]

    def label_html_pages(self, htmls: Sequence[str | bytes | HtmlPage], reasons: bool = False,
                         sites: Sequence[str | None] | None = None, urls: Sequence[str | None] | None = None,
                         templates: Sequence[SiteTemplate | None] | None = None,
                         sources: Sequence[str] | None = None) -> list[list[LineResult]]:
        """:meth:`label_html` of many pages (HTML, or pages parsed with :func:`boiler.html.parse_html`),
        one model call per batch."""
        parsed = self._parse(htmls, sources, paths=True)
        lab = self.html_labeler()
        return lab.label_pages([hp.lines for hp in parsed], reasons, sites, urls, templates, parsed)

    def clean_html_pages(self, htmls: Sequence[str | bytes | HtmlPage], sites: Sequence[str | None] | None = None,
                         urls: Sequence[str | None] | None = None,
                         templates: Sequence[SiteTemplate | None] | None = None,
                         sources: Sequence[str] | None = None) -> list[str]:
        """The body text of many HTML pages, one model call per batch."""
        parsed = self._parse(htmls, sources, paths=False)
        return self.html_labeler().clean_pages([hp.lines for hp in parsed], sites, urls, templates, parsed)

    def label_mixed(self, pages: Sequence[Sequence[str]], html: Sequence[HtmlPage | None], reasons: bool = False,
                    templates: Sequence[SiteTemplate | None] | None = None) -> list[list[LineResult]]:
        """Label pages of both kinds at once: a page with an :class:`HtmlPage` (its lines are that page's)
        by the HTML labeler with its DOM evidence, the others by the text model; in order."""
        return self._mixed("label_pages", pages, html, templates, reasons=reasons)

    def explain_mixed(self, pages: Sequence[Sequence[str]], html: Sequence[HtmlPage | None],
                      templates: Sequence[SiteTemplate | None] | None = None) -> list[list[LineExplanation]]:
        """:meth:`explain_pages` of pages of both kinds (see :meth:`label_mixed`)."""
        return self._mixed("explain_pages", pages, html, templates)

    def _mixed(self, method: str, pages, html, templates, **kw) -> list:
        out: list = [None] * len(pages)
        is_html = [h is not None for h in html]
        for want in (False, True):
            idx = [i for i, h in enumerate(is_html) if h is want]
            if not idx:
                continue
            lab = self.html_labeler() if want else self  # the HTML model is loaded only for HTML pages
            tpls = [templates[i] for i in idx] if templates is not None else None
            res = getattr(lab, method)([pages[i] for i in idx], templates=tpls,
                                       html=[html[i] for i in idx] if want else None, **kw)
            for i, r in zip(idx, res):
                out[i] = r
        return out

    @staticmethod
    def _parse(htmls: Sequence[str | bytes | HtmlPage], sources: Sequence[str] | None, paths: bool) -> list[HtmlPage]:
        """The pages parsed (``paths``: with each line's tag path, which only a labeled line shows)."""
        return [h if isinstance(h, HtmlPage) else parse_html(h, sources[k] if sources is not None else "<memory>",
                                                             paths=paths)
                for k, h in enumerate(htmls)]

    def clean(self, text_or_lines: str | Sequence[str], site: str | None = None, url: str | None = None,
              template: SiteTemplate | None = None) -> str:
        """The body lines of a page, joined by newlines."""
        return self.clean_pages([text_or_lines], sites=[site], urls=[url], templates=[template])[0]

    def clean_pages(self, pages: Sequence[str | Sequence[str]], sites: Sequence[str | None] | None = None,
                    urls: Sequence[str | None] | None = None,
                    templates: Sequence[SiteTemplate | None] | None = None,
                    html: Sequence[HtmlPage] | None = None) -> list[str]:
        """The body text of many pages, one model call per batch (as :meth:`label_pages`, without
        building a :class:`LineResult` per line)."""
        self._check_html(html)
        out: list[str] = []
        for lo in range(0, len(pages), BATCH_PAGES):
            chunk = [_as_lines(p) for p in pages[lo:lo + BATCH_PAGES]]
            scores = self._scores(chunk, lo, sites, urls, templates, html)
            rows = np.flatnonzero(self.model.decide(scores))
            page = scores.batch.page_index[rows]
            lines = [chunk[p][i] for p, i in zip(page.tolist(), scores.batch.line_index[rows].tolist())]
            end = np.cumsum(np.bincount(page, minlength=len(chunk))).tolist()
            out.extend("\n".join(lines[a:b]) for a, b in zip([0, *end[:-1]], end))
        return out

    def verdict_pages(self, pages: Sequence[str | Sequence[str]], sites: Sequence[str | None] | None = None,
                      urls: Sequence[str | None] | None = None,
                      templates: Sequence[SiteTemplate | None] | None = None,
                      html: Sequence[HtmlPage] | None = None) -> list[PageVerdicts]:
        """The labels and probabilities of :meth:`label_pages` as one :class:`PageVerdicts` per page (no
        reasons, no object per line): what a pipeline that keeps or drops lines needs, one model call per batch."""
        self._check_html(html)
        out: list[PageVerdicts] = []
        for lo in range(0, len(pages), BATCH_PAGES):
            chunk = [_as_lines(p) for p in pages[lo:lo + BATCH_PAGES]]
            scores = self._scores(chunk, lo, sites, urls, templates, html)
            sizes = np.array([len(p) for p in chunk], dtype=np.int64)
            first = np.concatenate(([0], np.cumsum(sizes)))
            at = first[scores.batch.page_index] + scores.batch.line_index
            label = np.full(first[-1], NOTHING, dtype=np.int8)
            label[at] = self.model.decide(scores)
            p_body = np.zeros(first[-1], dtype=np.float32)
            p_body[at] = scores.p2
            tokens = np.zeros(first[-1], dtype=np.int64)
            tokens[at] = scores.batch.tokens
            out.extend(PageVerdicts(label[a:b], p_body[a:b], tokens[a:b])
                       for a, b in zip(first[:-1].tolist(), first[1:].tolist()))
        return out

    def verdict_mixed(self, pages: Sequence[Sequence[str]], html: Sequence[HtmlPage | None],
                      templates: Sequence[SiteTemplate | None] | None = None) -> list[PageVerdicts]:
        """:meth:`verdict_pages` of pages of both kinds (see :meth:`label_mixed`)."""
        return self._mixed("verdict_pages", pages, html, templates)

    def clean_html(self, html: str | bytes, url: str | None = None, site: str | None = None,
                   template: SiteTemplate | None = None, source: str = "<memory>") -> str:
        """The body lines of an HTML page, joined by newlines (see :meth:`label_html`)."""
        return self.clean_html_pages([html], [site], [url], [template], [source])[0]

    def explain_pages(self, pages: Sequence[str | Sequence[str]], sites: Sequence[str | None] | None = None,
                      urls: Sequence[str | None] | None = None,
                      templates: Sequence[SiteTemplate | None] | None = None,
                      html: Sequence[HtmlPage] | None = None) -> list[list[LineExplanation]]:
        """For each line of each page: its result with reason, and the evidence behind it (for reports)."""
        self._check_html(html)
        out: list[list[LineExplanation]] = []
        for lo in range(0, len(pages), BATCH_PAGES):
            chunk = [_as_lines(p) for p in pages[lo:lo + BATCH_PAGES]]
            scores = self._scores(chunk, lo, sites, urls, templates, html)
            keys, effect = self._group_effects(scores)
            chunk_html = html[lo:lo + BATCH_PAGES] if html is not None else None
            attrs = _row_attrs(scores, chunk_html)
            why = self._reasons(scores, keys, effect, attrs)
            results = self._results(chunk, scores, why, chunk_html)
            rows = [[LineExplanation(r) for r in res] for res in results]
            names = stage1_feature_names(self.model.uses_templates, self.model.uses_dom)
            for k, (p, i) in enumerate(zip(scores.batch.page_index.tolist(), scores.batch.line_index.tolist())):
                e = rows[p][i]
                e.p_own = float(scores.p1[k])
                order = np.argsort(-np.abs(effect[k]))
                e.groups = [GroupEffect(keys[g], float(effect[k, g]),
                                        self._describe(keys[g], scores, k, names, effect[k, g] > 0, attrs[k]))
                            for g in order[:EXPLAIN_GROUPS]]
            out.extend(rows)
        return out

    # -- internals ----------------------------------------------------------------------
    def _results(self, pages: list[list[str]], scores: Scores, why: list[str] | None,
                 html: Sequence[HtmlPage] | None = None) -> list[list[LineResult]]:
        """One result per line of each page; ``html`` (the pages' parsed HTML) gives each its tag path."""
        nothing = NOTHING_TO_JUDGE if why is not None else ""
        out = [[LineResult(line, None, 0.0, nothing) for line in lines] for lines in pages] if html is None else \
            [[LineResult(line, None, 0.0, nothing, path) for line, path in zip(lines, hp.paths)]
             for lines, hp in zip(pages, html)]
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
        names = stage1_feature_names(self.model.uses_templates, self.model.uses_dom)
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

    def _reasons(self, s: Scores, keys: list[str] | None = None, effect: np.ndarray | None = None,
                 attrs: Sequence[tuple[str, ...]] | None = None) -> list[str]:
        """Why each line got its label: the feature groups that moved its own score most, and context.
        ``attrs`` (each row's class words, :func:`_row_attrs`) lets a reason name the class word that decided."""
        n = s.X1.shape[0]
        if n == 0:
            return []
        if keys is None or effect is None:
            keys, effect = self._group_effects(s)
        if attrs is None:
            attrs = _row_attrs(s, None)
        names = stage1_feature_names(self.model.uses_templates, self.model.uses_dom)
        cuts = self.model.cuts(s)
        lifted = s.p2 < self.model.cuts(s, main_block=False)  # body only because its page's main block lifts it
        out = []
        for k in range(n):
            body = bool(s.p2[k] >= cuts[k])
            sign = 1 if body else -1
            order = np.argsort(-sign * effect[k])
            parts = [f"{self._describe(keys[g], s, k, names, effect[k, g] > 0, attrs[k])} → "
                     f"{'body' if effect[k, g] > 0 else 'chrome'}"
                     for g in order[:REASON_GROUPS] if sign * effect[k, g] >= REASON_MIN_EFFECT]
            own_body = s.p1[k] >= cuts[k]
            if own_body != body:
                parts.append(f"neighbours overrode its own score ({s.p1[k]:.2f} → {s.p2[k]:.2f})")
            if body and lifted[k]:
                parts.append(f"inside the page's main block, where {cuts[k]:.2f} is enough ({s.p2[k]:.2f})")
            if not parts:
                parts.append(f"no single feature decided; overall {'body' if body else 'chrome'}-like")
            out.append("; ".join(parts))
        return out

    def _describe(self, group: str, s: Scores, k: int, names: list[F.Feature], to_body: bool,
                  attrs: Sequence[str] = ()) -> str:
        """Group ``group``'s evidence for row ``k`` of ``s``, in words (``to_body``: the way it pushed)."""
        x, text = s.X1[k], s.batch.texts[k]
        if group == "HTML class words" and not attrs:
            return "no class or id words on its tag path"
        if group == "HTML class words":
            lookup = self.model.attr_evidence_._lookup()
            scored = [(lookup[w], w) for w in attrs if w in lookup]
            if scored:
                value, word = max(scored) if to_body else min(scored)
                return f"class/id word '{word}' on its tag path (learned)"
        if group == "learned words":
            lookup = self.model.evidence_._lookup()
            scored = [(lookup[t], t) for t in F.line_tokens(text) if t in lookup]
            if scored:
                value, token = max(scored) if to_body else min(scored)
                kind = {"f": "first word", "l": "last word", "w": "word", "L": "line"}[token[0]]
                return f"{kind} '{token[2:]}' (learned)"
        if group == "sections":
            return _describe_sections(s, k, names)
        return _describe(group, x, names)


def _unlog(value: float) -> int:
    """The count behind a feature stored as ``log1p`` of it (words, lines, pages, siblings)."""
    return int(round(np.expm1(value)))


def _count(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless ``n`` is 1 ("1 line", "4 lines")."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _describe_sections(s: Scores, k: int, names: list[F.Feature]) -> str:
    """The chrome-section evidence of row ``k`` (:func:`boiler.model.opener_features`), in words: the line
    above it that chrome usually follows (readers' comments after "45 comments"), if there is one."""
    v = {f.name: float(s.X1[k, j]) for j, f in enumerate(names) if f.group == "sections"}
    if v["opener"] > OPENER_STRONG:
        return "a line that chrome usually follows (learned)"
    d = _unlog(v["opener_dist"])
    at = k - d
    if 0 < d < DISTANCE_CAP and s.batch.page_index[at] == s.batch.page_index[k]:
        line = s.batch.texts[at]
        line = line if len(line) <= QUOTE_CHARS else line[:QUOTE_CHARS - 1] + "…"
        return f"{_count(d, 'line')} below '{line}', which chrome usually follows (learned)"
    return "no line that chrome usually follows since the main text began"


def _row_attrs(s: Scores, html: Sequence[HtmlPage] | None) -> list[tuple[str, ...]]:
    """The class/id words on the tag path of each scored row (empty without HTML)."""
    if html is None:
        return [()] * s.X1.shape[0]
    return [html[p].attrs[i] for p, i in zip(s.batch.page_index.tolist(), s.batch.line_index.tolist())]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _describe(group: str, x: np.ndarray, names: list[F.Feature]) -> str:
    """A group's evidence for one line, in words."""
    v = {f.name: float(x[j]) for j, f in enumerate(names)}
    words = _unlog(v["words"])
    if group == "length":
        return f"{'long' if v['long_line'] else 'short'} line ({_count(words, 'word')})"
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
        rep = _unlog(v["repeats"])
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
        lines = _unlog(v["page_lines"])
        return f"a page of {_count(lines, 'line')}, {v['page_long_share']:.0%} of them long"
    if group == "site template":
        return _describe_template(v)
    if group == "HTML links":
        return f"{v['link_share']:.0%} of it in links ({v['block_link_share']:.0%} of its block)"
    if group == "HTML tags":
        return _describe_tags(v)
    if group == "HTML block":
        same = _unlog(v["same_siblings"])
        return f"a block of {_unlog(v['block_chars'])} characters" + \
            (f" among {_count(same, 'sibling')} of its shape" if same else "")
    if group == "HTML class words":
        return "class and id words on its tag path, as learned from training pages"  # none of them learned
    if group == "previous lines":
        return "the lines before it"
    if group == "next lines":
        return "the lines after it"
    return group


def _describe_tags(v: dict[str, float]) -> str:
    """The tags around a line, in words: the flags it has (``inside a <nav>, inside a list item``)."""
    from .html import DOM_FLAGS

    level = int(v.get("heading_level", 0))
    parts = [f"a level-{level} heading"] if level else []
    parts += [desc for name, _, desc in DOM_FLAGS if v.get(name) and name != "in_heading"]
    return ", ".join(parts[:3]) if parts else "outside any telling tag"


def _describe_template(v: dict[str, float]) -> str:
    """The site-template evidence of one line, in words."""
    others = _unlog(v["tpl_pages"])
    if others == 0:
        return "no site template"
    seen = _unlog(v["tpl_line_pages"])
    if seen:
        return f"site template: on {seen} of the site's {others} other pages"
    if v["tpl_after_end"] >= 0.5:
        return "site template: below a line that follows the body on the site's pages"
    if v["tpl_before_start"] >= 0.5:
        return "site template: above a line that comes before the body on the site's pages"
    if v["tpl_shape_share"] > 0:
        return f"site template: its shape is on {v['tpl_shape_share']:.0%} of the site's pages"
    return f"site template: new to the site ({others} pages seen); the body covers this part on {v['tpl_span']:.0%}"
