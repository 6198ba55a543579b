import pytest

from boiler.errors import InputError
from boiler.training import corpus_list, cross_validate, load_corpus, set_name

from conftest import DATA, ROOT, TRAINING_PAGES


def test_default_corpus_list_resolves():
    paths = corpus_list(ROOT / "training_data" / "corpora.txt")
    assert any(p.rstrip("/").endswith("training_data/pages") for p in paths)


def test_a_folders_only_glob_in_a_corpus_list_matches_folders_only(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "data" / "outlet").mkdir(parents=True)
    (tmp_path / "data" / "README.md").write_text("not a page")
    listing = tmp_path / "lists" / "corpora.txt"
    listing.write_text("data/*/\n")
    assert [p.rstrip("/") for p in corpus_list(listing)] == [str(tmp_path / "data" / "outlet")]


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


def test_load_html_corpus_labels_pages_by_their_gold_and_counts_bad_records(tmp_path):
    import gzip
    import json

    from boiler.training import load_html_corpus

    good = {"id": "a", "site": "x.com", "html": "<nav><a href='/'>Home</a></nav><p>The story itself, told in full.</p>",
            "gold": "The story itself, told in full."}
    no_gold = {"id": "b", "site": "x.com", "html": "<p>text</p>"}
    binary = {"id": "c", "site": "y.com", "html": "\x00\x01\x02\x03" * 500, "gold": "x"}
    path = tmp_path / "pages.jsonl.gz"
    with gzip.open(path, "wt") as f:
        for r in (good, no_gold, binary):
            f.write(json.dumps(r) + "\n")
        f.write('{"id": "d", "html": \n')
    corpus = load_html_corpus([str(path)])
    assert [p.id for p in corpus.pages] == ["a"]
    assert corpus.pages[0].lines == ["Home", "", "The story itself, told in full."]
    assert corpus.pages[0].labels == ["-", " ", "+"]
    assert corpus.html[0].lines == corpus.pages[0].lines
    assert len(corpus.failures) == 3
    assert any("binary data" in f.message for f in corpus.failures)


def test_the_html_recipe_does_not_balance_pages_unless_asked(monkeypatch):
    # the text recipe balances pages a little (PAGE_BALANCE, measured on the text track); the HTML
    # recipe, its fold models and the pages-track figures are fitted without it
    from boiler.model import PAGE_BALANCE, LineClassifier
    from boiler.training import HTML_PAGE_BALANCE, HtmlCorpus, fit_html_model

    monkeypatch.setattr(LineClassifier, "fit", lambda self, *a, **k: self)  # the recipe, not a fit
    corpus = HtmlCorpus([], [], [], [])
    assert LineClassifier().page_balance == PAGE_BALANCE > HTML_PAGE_BALANCE == 0.0
    model = fit_html_model(corpus, template_dropout_every=0)
    assert model.dom and model.page_balance == HTML_PAGE_BALANCE
    assert fit_html_model(corpus, template_dropout_every=0, page_balance=0.5).page_balance == 0.5
