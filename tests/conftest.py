"""Shared fixtures: paths to ../shared, hand-made pages, and a small model trained on our own pages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("BOILER_SHARED", ROOT.parent / "shared"))
DATA = Path(__file__).resolve().parent / "data"
TRAINING_PAGES = ROOT / "training_data" / "pages"


def shared_or_skip(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            raise FileNotFoundError(f"{path} is missing; CI must have ../shared beside the project")
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return shared_or_skip("seeds")


@pytest.fixture(scope="session")
def own_pages():
    from boiler.training import load_corpus

    corpus = load_corpus([str(TRAINING_PAGES), str(DATA)])
    assert not corpus.failures, corpus.failures
    return corpus


@pytest.fixture(scope="session")
def small_model(own_pages):
    """A quickly trained model on our own pages only (seconds): for API, CLI and I/O tests. Every page of
    a site with several pages is shown its site template (no dropout), so that this small model learns
    to use templates, and the template tests have something to see."""
    from boiler.training import fit_model

    return fit_model(own_pages.pages, template_dropout_every=0, n_folds=2, stage1_iter=30, stage2_iter=20)


@pytest.fixture(scope="session")
def small_model_dir(small_model, tmp_path_factory) -> Path:
    from boiler.modelio import save_model

    out = tmp_path_factory.mktemp("model")
    save_model(small_model, out, {"training_sets": {"own": 1}})
    return out


@pytest.fixture(scope="session")
def small_labeler(small_model):
    from boiler.labeler import Labeler

    return Labeler(small_model)


@pytest.fixture(scope="session")
def default_labeler():
    import boiler

    return boiler.load()


def pytest_terminal_summary(terminalreporter):
    """How many inputs the fuzz tests generated, and their slowest ones (counted in tests/test_fuzz.py)."""
    import sys

    fuzz = sys.modules.get("test_fuzz")
    if fuzz is not None and fuzz.GENERATED:
        terminalreporter.write_sep("-", "fuzz")
        terminalreporter.write_line(fuzz.summary())


def html_of(lines: list[str], labels: list[str], title: str = "") -> str:
    """An HTML page made from one of our labeled text pages, as a CMS would lay it out: chrome before the
    body in a header menu of links, the body as paragraphs of an article, chrome after it in an aside of
    related links and a footer; a caption-like chrome line inside the article becomes a figcaption."""
    first = next((i for i, lab in enumerate(labels) if lab == "+"), len(lines))
    last = max((i for i, lab in enumerate(labels) if lab == "+"), default=-1)
    esc = __import__("html").escape
    head = [f'<li><a href="/s{i}">{esc(ln)}</a></li>' for i, ln in enumerate(lines[:first]) if ln.strip()]
    body = []
    for ln, lab in zip(lines[first:last + 1], labels[first:last + 1]):
        if not ln.strip():
            continue
        body.append(f"<p>{esc(ln)}</p>" if lab == "+" else f'<figure><figcaption class="caption">{esc(ln)}</figcaption></figure>')
    tail = [f'<li><a href="/r{i}">{esc(ln)}</a></li>' for i, ln in enumerate(lines[last + 1:]) if ln.strip()]
    return (f"<html><head><title>{esc(title)}</title><script>track()</script></head><body>"
            f'<header class="site-header"><nav class="menu"><ul>{"".join(head)}</ul></nav></header>'
            f'<article class="story-body">{"".join(body)}</article>'
            f'<aside class="related-links"><ul>{"".join(tail)}</ul></aside>'
            f'<footer class="site-footer">© The outlet</footer></body></html>')


@pytest.fixture(scope="session")
def own_html_pages(own_pages):
    """Our own labeled pages as HTML pages with gold text (see :func:`html_of`)."""
    from boiler.formats import Page

    out = []
    for p in own_pages.pages:
        gold = "\n".join(ln for ln, lab in zip(p.lines, p.labels) if lab == "+")
        out.append(Page([], id=p.id, url=p.url, site=p.site, html=html_of(p.lines, p.labels), gold=gold,
                        source=p.source))
    return out


@pytest.fixture(scope="session")
def small_html_model(own_html_pages):
    """A quickly trained HTML model on our own pages as HTML (seconds)."""
    from boiler.training import HtmlCorpus, fit_html_model, html_page_labels

    done = [html_page_labels(p) for p in own_html_pages]
    corpus = HtmlCorpus([d[0] for d in done], [d[1] for d in done], ["own"] * len(done), [])
    return fit_html_model(corpus, template_dropout_every=0, n_folds=2, stage1_iter=30, stage2_iter=20)


@pytest.fixture(scope="session")
def small_html_model_dir(small_model, small_html_model, tmp_path_factory) -> Path:
    """A model folder holding the small text model and, in ``html/``, the small HTML model."""
    from boiler.labeler import HTML_MODEL_DIR
    from boiler.modelio import save_model

    out = tmp_path_factory.mktemp("model_html")
    save_model(small_model, out, {"training_sets": {"own": 1}})
    save_model(small_html_model, out / HTML_MODEL_DIR, {"training_sets": {"own": 1}, "input": "html"})
    return out
