import pytest

from boiler.errors import InputError
from boiler.training import corpus_list, cross_validate, load_corpus, set_name

from conftest import DATA, ROOT, TRAINING_PAGES


def test_default_corpus_list_resolves():
    paths = corpus_list(ROOT / "training_data" / "corpora.txt")
    assert any(p.rstrip("/").endswith("training_data/pages") for p in paths)


def test_corpus_list_with_missing_entry_is_named(tmp_path):
    (tmp_path / "lists").mkdir()
    listing = tmp_path / "lists" / "corpora.txt"
    listing.write_text("# comment\nnot/there/*.jsonl.gz\n")
    with pytest.raises(InputError, match="no file matches"):
        corpus_list(listing)


def test_load_corpus_names_sets_and_excludes_sites():
    c = load_corpus([str(DATA), str(TRAINING_PAGES)], exclude_sites=["dawnlike.pk"])
    assert set(c.sets) == {"data", "pages"}
    assert all(p.site != "dawnlike.pk" for p in c.pages)
    assert set_name("/x/dragnet/lines.jsonl.gz") == "dragnet"


def test_unlabeled_pages_are_not_trained_on(tmp_path):
    (tmp_path / "plain.txt").write_text("just text\n")
    c = load_corpus([str(tmp_path)])
    assert not c.pages and "no labels" in c.failures[0].message


def test_cross_validation_scores_every_page_once(own_pages):
    ev = cross_validate(own_pages, n_folds=3, params=dict(n_folds=2, stage1_iter=5, stage2_iter=5))
    assert sum(s.pages for s in ev.per_set.values()) == len(own_pages.pages)
    assert 0 <= ev.overall.f1 <= 1
