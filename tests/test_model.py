import numpy as np

from boiler import features as F
from boiler.model import EVIDENCE_FEATURES, LineClassifier, WordEvidence, stage1_feature_names, stage2_matrix
from boiler.training import fit_model


def test_word_evidence_keeps_tokens_seen_on_enough_sites():
    toks = [["L:all news"]] * 6 + [["L:private menu"]] * 6 + [["L:body words"]] * 6
    y = np.array([0] * 6 + [0] * 6 + [1] * 6)
    groups = ["s1", "s2", "s3", "s1", "s2", "s3"] + ["only"] * 6 + ["s1", "s2", "s3"] * 2
    we = WordEvidence(min_count=3, min_sites=3).fit(toks, y, groups)
    assert set(we.tokens_.tolist()) == {"L:all news", "L:body words"}
    ev = we.transform([["f:x", "l:y", "L:all news"], ["f:x", "l:y", "L:body words"], []])
    assert ev.shape == (3, len(EVIDENCE_FEATURES))
    assert ev[0, 5] < 0 < ev[1, 5] and not ev[2].any()


def test_stage_matrices_match_declared_names():
    b = F.extract([["Home", "A sentence of the article that ends here.", "Share"]])
    X1 = LineClassifier.stage1_matrix(b, np.zeros((b.n_rows, len(EVIDENCE_FEATURES)), dtype=np.float32))
    assert X1.shape[1] == len(stage1_feature_names())
    from boiler.model import stage2_feature_names

    assert stage2_matrix(b, np.full(b.n_rows, 0.5, dtype=np.float32)).shape[1] == len(stage2_feature_names())


def test_fit_follows_sklearn_conventions_and_is_deterministic(own_pages):
    params = dict(n_folds=2, stage1_iter=10, stage2_iter=5)
    m = LineClassifier(**params)
    assert m.get_params()["stage1_iter"] == 10 and not hasattr(m, "stage1_")
    a = fit_model(own_pages.pages, **params)
    b = fit_model(own_pages.pages, **params)
    pages = [p.lines for p in own_pages.pages[:5]]
    for pa, pb in zip(a.predict_proba_pages(pages), b.predict_proba_pages(pages)):
        np.testing.assert_array_equal(pa, pb)


def test_small_model_learns_our_pages(small_model, own_pages):
    # trained on them: a sanity check that the two stages fit, not a quality claim
    right = total = 0
    for page, probs in zip(own_pages.pages, small_model.predict_proba_pages([p.lines for p in own_pages.pages])):
        for lab, p in zip(page.labels, probs):
            if lab != " ":
                right += (p >= 0.5) == (lab == "+")
                total += 1
    assert right / total > 0.9


def test_blank_lines_get_nan_and_empty_pages_work(small_model):
    probs = small_model.predict_proba_pages([["", "A line of text that ends.", "   "], []])
    assert np.isnan(probs[0][0]) and not np.isnan(probs[0][1]) and np.isnan(probs[0][2])
    assert len(probs[1]) == 0


def test_a_page_scores_the_same_whatever_batch_it_is_in(small_model, own_pages):
    """Running sums restart at each page: no precision lost to the pages before it in the batch."""
    pages = [p.lines for p in own_pages.pages[:6]]
    huge = ["A line of filler text, with some words, as in a long forum thread."] * 300_000  # 20 M characters
    alone = [small_model.predict_proba_pages([p])[0] for p in pages]
    batched = small_model.predict_proba_pages([huge] + pages)[1:]
    for a, b in zip(alone, batched):
        np.testing.assert_array_equal(a, b)
