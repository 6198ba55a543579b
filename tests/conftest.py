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
