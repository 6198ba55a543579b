"""Corpus tests: train on some sites of the shared data, hold a quality floor on unseen sites (slow)."""

import pytest

from boiler.evaluate import group_of
from boiler.training import evaluate_pages, fit_model, load_corpus
from boiler.labeler import Labeler

from conftest import shared_or_skip

#: The sets the floor tests read, and the sites they hold out (every site of the sets but these is trained on).
FLOOR_SETS = ("msv-big9", "cleanportaleval")
HELD_OUT_SITES = {"cnn.com", "nypost.com", "wsj.com"}

#: Token-weighted body F1 on held-out sites, measured with these settings (see bench/ for full CV).
FLOORS = {"msv-big9": 0.90, "cleanportaleval": 0.88}


@pytest.mark.slow
def test_quality_floor_on_unseen_sites():
    paths = [str(shared_or_skip("data", name, "lines.jsonl.gz")) for name in FLOOR_SETS]
    corpus = load_corpus(paths)
    train = [p for p in corpus.pages if p.site not in HELD_OUT_SITES]
    test = [(p, s) for p, s in zip(corpus.pages, corpus.sets) if p.site in HELD_OUT_SITES]
    assert train and test
    assert not {group_of(p.site, p.id) for p in train} & {group_of(p.site, p.id) for p, _ in test}
    model = fit_model(train, n_folds=3, stage1_iter=100, stage2_iter=60)
    ev = evaluate_pages(Labeler(model), [p for p, _ in test], [s for _, s in test])
    for name, floor in FLOORS.items():
        assert ev.per_set[name].f1 >= floor, (name, ev.per_set[name].as_dict())


#: Pages-track shingle F1 (FORMATS.md) of the HTML model on held-out sites, measured with these settings.
HTML_FLOORS = {"msv-big9": 0.93, "cleanportaleval": 0.90}


@pytest.mark.slow
def test_html_model_quality_floor_on_unseen_sites():
    from boiler.evaluate import score_shingle_pages, shingle_counts
    from boiler.training import fit_html_model, load_html_corpus

    paths = [str(shared_or_skip("data", name, "pages.jsonl.gz")) for name in FLOOR_SETS]
    corpus = load_html_corpus(paths)
    train = [i for i, p in enumerate(corpus.pages) if p.site not in HELD_OUT_SITES]
    test = [i for i, p in enumerate(corpus.pages) if p.site in HELD_OUT_SITES]
    assert train and test and not corpus.failures
    model = fit_html_model(corpus.subset(train), n_folds=3, stage1_iter=100, stage2_iter=60)
    held = corpus.subset(test)
    texts = Labeler(model).clean_html_pages(held.html)
    for name, floor in HTML_FLOORS.items():
        counts = [shingle_counts(t, p.gold) for t, p, s in zip(texts, held.pages, held.sets) if s == name]
        score = score_shingle_pages(counts)
        print(name, score)
        assert counts and score.f1 >= floor, (name, score)

