import pickle

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from boiler.forest import Forest, predict_body


def test_forest_gives_the_probabilities_of_scikit_learn_with_missing_values():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    X[rng.random(X.shape) < 0.1] = np.nan  # missing values go the side the fit chose
    model = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, random_state=0).fit(X, y)
    forest = Forest.of(model)
    assert forest is not None
    Xt = rng.normal(size=(300, 6)).astype(np.float32)
    Xt[rng.random(Xt.shape) < 0.1] = np.nan
    expected = model.predict_proba(Xt)[:, 1]
    assert np.array_equal(forest.p_body(Xt), expected)
    assert np.array_equal(predict_body(model, None, Xt), expected)  # the fallback, in blocks
    assert forest.p_body(Xt[:0]).shape == (0,)


def test_fast_trees_are_a_cache_not_saved_state(small_model):
    small_model.predict_proba_pages([["A line of text that ends here, as body text does."]])
    assert "_forest_cache" in small_model.__dict__
    copy = pickle.loads(pickle.dumps(small_model))
    assert "_forest_cache" not in copy.__dict__
    assert "_forest_cache" not in small_model.__getstate__()


def test_compact_trees_send_float32_rows_as_scikit_learn_does():
    """The float32 walks, one row at a time and eight side by side, against
    scikit-learn: values at, just above and just below the thresholds, missing values, infinities."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from boiler.forest import Forest

    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] - X[:, 3] > 0).astype(int)
    X[rng.random(X.shape) < 0.05] = np.nan
    for leaves in (31, 7):
        model = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=leaves, random_state=0).fit(X, y)
        forest = Forest.of(model)
        assert forest is not None
        inner = forest.feature >= 0
        t = forest.threshold[inner]
        for x in (t.astype(np.float32), np.nextafter(t.astype(np.float32), np.float32(np.inf)),
                  np.nextafter(t.astype(np.float32), np.float32(-np.inf))):  # each node sends them as before
            assert np.array_equal(x <= forest.threshold32[inner], x.astype(np.float64) <= t)
        cols = forest.feature[inner]
        rows = np.tile(rng.normal(size=(1, 5)).astype(np.float32), (3 * len(t) + 7, 1))
        near = np.concatenate([t.astype(np.float32), np.nextafter(t.astype(np.float32), np.float32(np.inf)),
                               np.nextafter(t.astype(np.float32), np.float32(-np.inf))])
        rows[np.arange(len(near)), np.tile(cols, 3)] = near
        rows[-7:] = [[np.nan] * 5, [np.inf] * 5, [-np.inf] * 5, [0] * 5, [-0.0] * 5, [1e38] * 5, [-1e-45] * 5]
        expected = model.predict_proba(rows)[:, 1]
        assert rows.dtype == np.float32
        for k in (len(rows), len(rows) - 1, 3):  # with a missing value: one row at a time
            assert np.array_equal(forest.p_body(rows[:k]), expected[:k])
        whole = np.isfinite(rows).all(axis=1) | np.isinf(rows).all(axis=1)  # every row but the missing values
        assert whole.sum() == len(rows) - 1
        for k in (whole.sum(), whole.sum() - 1, 17, 8, 7):  # eight at a time, and the rows left over
            assert np.array_equal(forest.p_body(rows[whole][:k]), expected[whole][:k])
        assert np.array_equal(forest.p_body(rows.astype(np.float64)), expected)  # the float64 walk


def test_the_compiled_tree_walks_were_built():
    # setup.py builds them at install; without a C compiler scikit-learn predicts (same probabilities)
    from boiler.forest import _compiled_walks

    assert _compiled_walks() is not None


def test_without_the_compiled_walks_scikit_learn_predicts_the_same(monkeypatch, small_model):
    import boiler.forest as forest_module

    pages = [["Menu", "A line of text that ends here, as body text does.", "Share", "© 2024 Example"]]
    expected = small_model.predict_proba_pages(pages)
    copy = pickle.loads(pickle.dumps(small_model))
    monkeypatch.setattr(forest_module, "_compiled_walks", lambda: None)
    assert copy._forests() == (None, None)
    for a, b in zip(copy.predict_proba_pages(pages), expected):
        assert np.array_equal(a, b, equal_nan=True)


def test_rows_of_other_types_are_walked_as_float64():
    rng = np.random.default_rng(2)
    X = rng.integers(-3, 4, size=(400, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=10, max_leaf_nodes=7, random_state=0).fit(X, y)
    forest = Forest.of(model)
    expected = model.predict_proba(X)[:, 1]
    for rows in (X, X.astype(np.int32), X.astype(np.float32), np.asfortranarray(X.astype(np.float64))):
        assert np.array_equal(forest.p_body(rows), expected)
