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
