"""Training data: the corpora a model learns from, read into labeled pages."""

from __future__ import annotations

import glob
import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import InputError
from .evaluate import PageCounts, Scores, group_of, page_counts, score_pages, site_folds
from .formats import Failure, Page, read_inputs
from .html import HtmlPage, parse_html
from .model import LineClassifier, stage1_feature_names, stage2_feature_names
from .modelio import save_model
from .templates import SiteTemplate, learn_template

__all__ = ["Corpus", "Evaluation", "load_corpus", "corpus_list", "fit_model", "cross_validate", "cross_validate_modes",
           "fold_models",
           "site_templates", "evaluate_pages", "train_and_save", "DEFAULT_CORPUS_LIST",
           "HtmlCorpus", "load_html_corpus", "fit_html_model", "cross_validate_html", "train_html_and_save",
           "DEFAULT_HTML_CORPUS_LIST"]

log = logging.getLogger(__name__)

#: The list of corpora the default model is trained on, relative to the project root.
DEFAULT_CORPUS_LIST = "training_data/corpora.txt"
#: The list of HTML corpora (pages with gold text) the default HTML model is trained on.
DEFAULT_HTML_CORPUS_LIST = "training_data/html_corpora.txt"


@dataclass(slots=True)
class Corpus:
    """Labeled pages, with the name of the set each came from, and the failures met reading them."""

    pages: list[Page]
    sets: list[str]
    failures: list[Failure]

    def counts(self) -> dict[str, int]:
        return set_counts(self.sets)


def set_counts(sets: Iterable[str]) -> dict[str, int]:
    """Pages per dataset name."""
    out: dict[str, int] = {}
    for s in sets:
        out[s] = out.get(s, 0) + 1
    return out


def set_name(path: str) -> str:
    """The dataset name of a corpus path: a folder's own name; for a file, the name of its folder."""
    p = Path(path)
    return p.name if p.is_dir() else (p.parent.name or p.stem)


def corpus_list(path: str | os.PathLike) -> list[str]:
    """Corpus paths (globs expanded, relative to the list's folder's parent) from a corpus list file."""
    path = Path(path)
    try:
        rows = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from None
    root = path.parent.parent
    out: list[str] = []
    for row in rows:
        row = row.split("#", 1)[0].strip()
        if not row:
            continue
        pattern = str(root / row) + ("/" if row.endswith("/") else "")  # "data/*/": folders only
        matches = sorted(glob.glob(pattern)) or sorted(glob.glob(row))
        if not matches:
            raise InputError(str(path), f"no file matches {row!r}")
        out.extend(matches)
    return out


def _read_corpus(paths: Iterable[str], exclude_sites: Iterable[str], problem: Callable[[Page], str | None]
                 ) -> tuple[list[Page], list[str], list[Failure]]:
    """Pages of the given files and folders with their set names, leaving out excluded sites; a record
    that cannot be read, or that ``problem`` finds unusable (its message), is a failure instead."""
    exclude = set(exclude_sites)
    pages: list[Page] = []
    sets: list[str] = []
    failures: list[Failure] = []
    for path in paths:
        name = set_name(path)
        for item in read_inputs([path], labeled=True):
            if not isinstance(item, Failure):
                message = problem(item)
                if message is None:
                    if item.site not in exclude:
                        pages.append(item)
                        sets.append(name)
                    continue
                item = Failure(item.source, item.record, message, item.id)
            failures.append(item)
            log.info("%s", item)  # returned with the corpus: its caller reports it
    return pages, sets, failures


def load_corpus(paths: Iterable[str], exclude_sites: Iterable[str] = ()) -> Corpus:
    """Labeled pages from the given files and folders; unlabeled pages are skipped with a warning."""
    return Corpus(*_read_corpus(paths, exclude_sites,
                                lambda p: None if p.labels is not None else "page has no labels, not used for training"))


@dataclass(slots=True)
class HtmlCorpus:
    """HTML pages with gold text, turned into labeled lines (:class:`Page`, labels from aligning the
    lines with the gold) and their DOM evidence (:class:`HtmlPage`, one per page)."""

    pages: list[Page]
    html: list[HtmlPage]
    sets: list[str]
    failures: list[Failure]

    def counts(self) -> dict[str, int]:
        return set_counts(self.sets)

    def subset(self, idx: Sequence[int]) -> HtmlCorpus:
        return HtmlCorpus([self.pages[i] for i in idx], [self.html[i] for i in idx], [self.sets[i] for i in idx], [])


def html_page_labels(item: Page) -> tuple[Page, HtmlPage]:
    """An HTML page with gold text as labeled lines and DOM evidence (lines labeled by the aligner)."""
    from .align import align_lines

    hp = parse_html(item.html, item.source, paths=False)  # (training reads no tag path)
    result = align_lines(hp.lines, item.gold)
    page = Page(hp.lines, result.labels, id=item.id, url=item.url, site=item.site, gold=item.gold,
                source=item.source, meta=result.as_dict(), record=item.record)
    return page, hp


def _html_item(item: Page) -> tuple[Page, HtmlPage] | Failure:
    try:
        return html_page_labels(item)
    except InputError as exc:
        return Failure(item.source, item.record, exc.message, item.id)


def load_html_corpus(paths: Iterable[str], exclude_sites: Iterable[str] = (), n_jobs: int = 1) -> HtmlCorpus:
    """HTML pages with gold text (``pages.jsonl`` records with ``html`` and ``gold``) from the given files,
    parsed and labeled by aligning their lines with the gold; records without both are failures."""
    from joblib import Parallel, delayed

    items, names, failures = _read_corpus(
        paths, exclude_sites,
        lambda p: None if p.html is not None and p.gold is not None else "record has no 'html' with a 'gold' text")
    done = Parallel(n_jobs=n_jobs, batch_size=16)(delayed(_html_item)(it) for it in items) if n_jobs != 1 \
        else [_html_item(it) for it in items]
    corpus = HtmlCorpus([], [], [], failures)
    for name, res in zip(names, done):
        if isinstance(res, Failure):
            failures.append(res)
            log.info("%s", res)
            continue
        corpus.pages.append(res[0])
        corpus.html.append(res[1])
        corpus.sets.append(name)
    return corpus


# -- fitting, cross-validation, evaluation ---------------------------------------------------

@dataclass(slots=True)
class Evaluation:
    """Text-track scores of labeled pages, per dataset and per site, with the page counts behind them."""

    per_set: dict[str, Scores]
    per_site: dict[str, Scores]
    overall: Scores

    def as_dict(self) -> dict:
        return {"overall": self.overall.as_dict(),
                "per_set": {k: v.as_dict() for k, v in sorted(self.per_set.items())},
                "per_site": {k: v.as_dict() for k, v in sorted(self.per_site.items())}}


def page_groups(pages: Sequence[Page]) -> list[str]:
    return [group_of(p.site, p.id) for p in pages]


#: Page weight of hand-labeled pages (one ``.lines.txt`` file a page: ours in ``training_data/``, and
#: an outlet's pages a person corrected) beside the shared corpora's bulk JSONL: they are few, and hold
#: the conventions we want (the seeds' layouts, the new outlet's chrome), so each counts as several pages.
OWN_PAGE_WEIGHT = 10.0
#: Names of files holding one hand-labeled page.
HAND_LABELED_SUFFIXES = (".lines.txt", ".lines.txt.gz")


def site_templates(pages: Sequence[Page]) -> list[SiteTemplate | None]:
    """For each page, a template of its site learned from all the site's pages in ``pages`` (unlabeled;
    the template leaves each page out of its own features), or None for a page alone on its site."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pages):
        if p.site:
            by_site[p.site].append(i)
    out: list[SiteTemplate | None] = [None] * len(pages)
    for site, idx in by_site.items():
        if len(idx) >= 2:
            t = learn_template([pages[i].lines for i in idx], site, prune=False)
            for i in idx:
                out[i] = t
    return out


#: In training, every this-many-th page of a site with a template is shown without it, so the model
#: learns both regimes: a page of a site with a template, and the same kind of page alone (a new
#: site), where it must do as well as a model that never saw templates.
TEMPLATE_DROPOUT_EVERY = 2


def training_templates(pages: Sequence[Page], dropout_every: int = TEMPLATE_DROPOUT_EVERY) -> list[SiteTemplate | None]:
    """:func:`site_templates`, with every ``dropout_every``-th page of each site (in input order) left
    without its template (the template still counts that page, as another page of the site)."""
    out = site_templates(pages)
    seen: dict[str, int] = defaultdict(int)
    for i, (p, t) in enumerate(zip(pages, out)):
        if t is not None:
            seen[p.site] += 1
            if dropout_every and seen[p.site] % dropout_every == 0:
                out[i] = None
    return out


def fit_model(pages: Sequence[Page], page_weight: Sequence[float] | None = None,
              template_dropout_every: int = TEMPLATE_DROPOUT_EVERY, **params) -> LineClassifier:
    """A :class:`LineClassifier` fitted on labeled pages, grouped by site, with leave-one-page-out
    templates of every site with several pages (some pages shown without, see TEMPLATE_DROPOUT_EVERY;
    0: none)."""
    model = LineClassifier(**params)
    templates = training_templates(pages, template_dropout_every) if model.uses_templates else None
    return model.fit([p.lines for p in pages], [p.labels for p in pages], page_groups(pages), page_weight, templates)


#: ``page_balance`` of the HTML model's recipe: its pages are not balanced (the text model's
#: :data:`~boiler.model.PAGE_BALANCE` was measured on the text track only; the HTML model, its folds
#: and the pages-track figures are fitted without it).
HTML_PAGE_BALANCE = 0.0
#: ``anchor_confirm`` of the HTML model's recipe: none (:data:`~boiler.templates.ANCHOR_CONFIRM_ROWS` was
#: measured on the text track only; the HTML model, its folds and the pages-track figures are fitted
#: without it).
HTML_ANCHOR_CONFIRM = 0


def fit_html_model(corpus: HtmlCorpus, template_dropout_every: int = TEMPLATE_DROPOUT_EVERY,
                   **params) -> LineClassifier:
    """An HTML model (:class:`LineClassifier` with ``dom=True``, pages weighted as
    :data:`HTML_PAGE_BALANCE` says and template anchors as :data:`HTML_ANCHOR_CONFIRM` does, unless
    ``params`` say otherwise) fitted on an :class:`HtmlCorpus`, with site templates as :func:`fit_model`
    has them."""
    model = LineClassifier(**{"page_balance": HTML_PAGE_BALANCE, "anchor_confirm": HTML_ANCHOR_CONFIRM, **params,
                              "dom": True})
    templates = training_templates(corpus.pages, template_dropout_every) if model.uses_templates else None
    return model.fit([p.lines for p in corpus.pages], [p.labels for p in corpus.pages], page_groups(corpus.pages),
                     None, templates, corpus.html)


def own_page_weights(pages: Sequence[Page], own_weight: float = OWN_PAGE_WEIGHT) -> list[float]:
    """``own_weight`` for hand-labeled pages (read from ``.lines.txt`` files), 1 for the rest."""
    return [own_weight if p.source.lower().endswith(HAND_LABELED_SUFFIXES) else 1.0 for p in pages]


def _evaluation(pages: Sequence[Page], sets: Sequence[str], predicted: Sequence[Sequence[bool | None]]) -> Evaluation:
    by_set: dict[str, list[PageCounts]] = defaultdict(list)
    by_site: dict[str, list[PageCounts]] = defaultdict(list)
    every: list[PageCounts] = []
    for page, name, pred in zip(pages, sets, predicted):
        c = page_counts(page.lines, page.labels, pred)
        by_set[name].append(c)
        by_site[page.site or "(unknown)"].append(c)
        every.append(c)
    return Evaluation({k: score_pages(v) for k, v in by_set.items()},
                      {k: score_pages(v) for k, v in by_site.items()}, score_pages(every))


def evaluate_pages(labeler, pages: Sequence[Page], sets: Sequence[str]) -> Evaluation:
    """Score ``labeler`` on labeled pages."""
    results = labeler.label_pages([p.lines for p in pages])
    return _evaluation(pages, sets, [[r.is_body for r in res] for res in results])


def fold_models(corpus: Corpus, n_folds: int = 5, seed: int = 0, params: dict | None = None,
                page_weight: Sequence[float] | None = None) -> Iterator[tuple[LineClassifier, list[int]]]:
    """For each of ``n_folds`` folds grouped by site: a model trained on the other folds, and the fold's pages."""
    groups = page_groups(corpus.pages)
    weights = list(page_weight) if page_weight is not None else [1.0] * len(corpus.pages)
    for tr, te in site_folds(groups, n_folds, seed):
        yield fit_model([corpus.pages[i] for i in tr], [weights[i] for i in tr], **(params or {})), list(te)


def cross_validate_modes(corpus: Corpus, n_folds: int = 5, seed: int = 0, params: dict | None = None,
                         on_fold: Callable[[int, int], None] | None = None,
                         page_weight: Sequence[float] | None = None,
                         with_templates: bool = True) -> dict[str, Evaluation]:
    """Scores of models trained with whole sites held out (``n_folds`` folds grouped by site), labeling
    each held-out page two ways: ``"alone"``, and ``"site_templates"``, with a template of its site learned
    (unlabeled) from the site's other held-out pages, as a corpus pass with ``--learn-templates`` does.
    ``with_templates=False`` labels pages alone only (``"site_templates"`` then holds the same scores)."""
    alone: list[list[bool | None]] = [[] for _ in corpus.pages]
    with_tpl: list[list[bool | None]] = [[] for _ in corpus.pages]
    for k, (model, te) in enumerate(fold_models(corpus, n_folds, seed, params, page_weight)):
        test = [corpus.pages[i] for i in te]
        lines = [p.lines for p in test]
        for i, pred in zip(te, model.predict_pages(lines)):
            alone[i] = pred
        if with_templates and model.uses_templates:
            for i, pred in zip(te, model.predict_pages(lines, site_templates(test))):
                with_tpl[i] = pred
        else:
            for i in te:
                with_tpl[i] = alone[i]
        if on_fold:
            on_fold(k + 1, n_folds)
    return {"alone": _evaluation(corpus.pages, corpus.sets, alone),
            "site_templates": _evaluation(corpus.pages, corpus.sets, with_tpl)}


def cross_validate(corpus: Corpus, n_folds: int = 5, seed: int = 0, params: dict | None = None,
                   on_fold: Callable[[int, int], None] | None = None,
                   page_weight: Sequence[float] | None = None, templates: bool = False) -> Evaluation:
    """:func:`cross_validate_modes`, one of its modes: pages alone, or with site templates (``templates``)."""
    modes = cross_validate_modes(corpus, n_folds, seed, params, on_fold, page_weight, with_templates=templates)
    return modes["site_templates" if templates else "alone"]


def _report_failures(corpus: Corpus | HtmlCorpus, on_failure: Callable[[Failure], None] | None) -> None:
    """Tell ``on_failure`` (else the log, as warnings) of each record the corpus could not use."""
    for f in corpus.failures:
        if on_failure is not None:
            on_failure(f)
        else:
            log.warning("%s", f)


def train_and_save(paths: Sequence[str], out: str | os.PathLike, cv_folds: int = 0,
                   params: dict | None = None, exclude_sites: Iterable[str] = (),
                   own_weight: float = OWN_PAGE_WEIGHT, on_failure: Callable[[Failure], None] | None = None) -> dict:
    """Train on the corpora in ``paths``, optionally cross-validate, and save model and metadata to ``out``.
    Records that cannot be used are left out, each told to ``on_failure`` (else logged), and counted in
    the metadata's ``failures``."""
    corpus = load_corpus(paths, exclude_sites)
    _report_failures(corpus, on_failure)
    if not corpus.pages:
        raise InputError(", ".join(paths) or "(no input)", "no labeled pages to train on")
    params = params or {}
    started = time.time()
    weights = own_page_weights(corpus.pages, own_weight)
    model = fit_model(corpus.pages, weights, **params)
    meta = _model_meta(model, corpus, paths, exclude_sites, started, own_page_weight=own_weight,
                       failures=len(corpus.failures))
    if cv_folds:
        modes = cross_validate_modes(corpus, cv_folds, params=params, page_weight=weights)
        ev, tpl = modes["alone"], modes["site_templates"]
        meta["cross_validation"] = {"folds": cv_folds, "grouped_by": "site",
                                    "per_set": {k: v.as_dict() for k, v in sorted(ev.per_set.items())},
                                    "overall": ev.overall.as_dict(),
                                    "with_site_templates": {
                                        "note": "each held-out page labeled with a template learned, without labels, "
                                                "from its site's other held-out pages",
                                        "per_set": {k: v.as_dict() for k, v in sorted(tpl.per_set.items())},
                                        "overall": tpl.overall.as_dict()}}
    save_model(model, out, meta)
    return meta


def cross_validate_html(corpus: HtmlCorpus, n_folds: int = 5, seed: int = 0, params: dict | None = None,
                        on_fold: Callable[[int, int], None] | None = None) -> tuple[Evaluation, list[list[bool | None]]]:
    """Text-track scores (against the aligned labels) of HTML models trained with whole sites held out,
    and every page's held-out prediction (for the pages track, see ``bench/extract.py``)."""
    predicted: list[list[bool | None]] = [[] for _ in corpus.pages]
    for k, (tr, te) in enumerate(site_folds(page_groups(corpus.pages), n_folds, seed)):
        model = fit_html_model(corpus.subset(tr), **(params or {}))
        test = corpus.subset(te)
        for i, pred in zip(te, model.predict_pages([p.lines for p in test.pages], html=test.html)):
            predicted[i] = pred
        if on_fold:
            on_fold(k + 1, n_folds)
    return _evaluation(corpus.pages, corpus.sets, predicted), predicted


def train_html_and_save(paths: Sequence[str], out: str | os.PathLike, cv_folds: int = 0,
                        params: dict | None = None, exclude_sites: Iterable[str] = (), n_jobs: int = 1,
                        on_failure: Callable[[Failure], None] | None = None) -> dict:
    """Train an HTML model on HTML pages with gold text (``pages.jsonl``), optionally cross-validate,
    and save model and metadata to ``out`` (the default model's is its ``html/`` folder). Records that
    cannot be used are told to ``on_failure`` and counted, as :func:`train_and_save` does."""
    corpus = load_html_corpus(paths, exclude_sites, n_jobs=n_jobs)
    _report_failures(corpus, on_failure)
    if not corpus.pages:
        raise InputError(", ".join(paths) or "(no input)", "no HTML pages with gold text to train on")
    params = params or {}
    started = time.time()
    model = fit_html_model(corpus, **params)
    meta = _model_meta(model, corpus, paths, exclude_sites, started, input="html",
                       labels="each page's lines aligned with its gold text (boiler.align)",
                       failures=len(corpus.failures))
    if cv_folds:
        ev, _ = cross_validate_html(corpus, cv_folds, params=params)
        meta["cross_validation"] = {"folds": cv_folds, "grouped_by": "site", "labels": "aligned with gold",
                                    "per_set": {k: v.as_dict() for k, v in sorted(ev.per_set.items())},
                                    "overall": ev.overall.as_dict()}
    save_model(model, out, meta)
    return meta


def _model_meta(model: LineClassifier, corpus: Corpus | HtmlCorpus, paths: Sequence[str],
                exclude_sites: Iterable[str], started: float, **extra) -> dict:
    """A fitted model's metadata: when, from what, with which parameters and features (``extra`` added)."""
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_sets": dict(sorted(corpus.counts().items())),
        "training_files": [_display_path(p) for p in paths],
        "excluded_sites": sorted(set(exclude_sites)),
        "pages": len(corpus.pages),
        **extra,
        "params": model.get_params(),
        "threshold": model.threshold,
        "stage1_features": [f.name for f in stage1_feature_names(model.uses_templates, model.uses_dom)],
        "stage2_features": [f.name for f in stage2_feature_names(model.uses_templates, model.uses_dom, model.uses_page_best,
                                                                   model.uses_dom_context,
                                                                   model.uses_main_block_columns,
                                                                   model.uses_dated_context)],
        "fit_seconds": round(time.time() - started, 1),
    }


def _display_path(path: str) -> str:
    """A training file as recorded in metadata: relative to the project's parent when below it."""
    try:
        return os.path.relpath(path, Path(__file__).resolve().parent.parent)
    except ValueError:
        return path
