"""Fast prediction of a fitted binary :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.

scikit-learn walks each tree over all the rows it is given, one tree after another, so every row
is fetched from memory once per tree. :class:`Forest` holds the same trees as flat arrays and walks
all trees for one row before the next (compiled with numba), adding the leaf values in the same
order as scikit-learn: the probabilities are the same numbers.

Without numba, or for a model this cannot copy (categorical features, more than two classes),
:func:`predict_body` falls back to scikit-learn's own prediction in cache-sized blocks of rows.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = ["SKLEARN_BLOCK_ROWS", "Forest", "predict_body"]

#: Rows per scikit-learn prediction call in the fallback: a block that stays in the CPU cache is
#: several times faster than a whole batch at once.
SKLEARN_BLOCK_ROWS = 2048


@dataclass(frozen=True, slots=True)
class Forest:
    """The trees of a binary HistGradientBoostingClassifier as flat node arrays.

    Node ``j`` splits on feature ``feature[j]`` (-1 for a leaf) at ``threshold[j]``: a row goes to
    node ``child[j]`` if its value is at most the threshold (or missing and ``missing_left[j]``), else
    to ``child[j] + 1``. A leaf adds ``value[j]``. Tree ``t`` starts at node ``roots[t]``.
    """

    feature: np.ndarray
    threshold: np.ndarray
    child: np.ndarray
    missing_left: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    baseline: float

    @classmethod
    def of(cls, model: HistGradientBoostingClassifier) -> Forest | None:
        """The model's trees, or None where this cannot reproduce the model's predictions."""
        if _compiled_walk() is None or len(model.classes_) != 2 or model.is_categorical_ is not None:
            return None
        trees = [predictors[0].nodes for predictors in model._predictors]
        if any(t["is_categorical"].any() for t in trees):
            return None
        n = sum(len(t) for t in trees)
        feature = np.full(n, -1, dtype=np.int32)
        threshold = np.zeros(n, dtype=np.float64)
        child = np.zeros(n, dtype=np.int32)
        missing_left = np.zeros(n, dtype=np.bool_)
        value = np.zeros(n, dtype=np.float64)
        roots = np.zeros(len(trees), dtype=np.int64)
        free = 0
        for t, nodes in enumerate(trees):
            roots[t] = free
            free += 1
            todo = [(0, roots[t])]  # (node in the tree, its index here); children get adjacent indices
            while todo:
                src, dst = todo.pop()
                node = nodes[src]
                value[dst] = node["value"]
                if node["is_leaf"]:
                    continue
                feature[dst] = node["feature_idx"]
                threshold[dst] = node["num_threshold"]
                missing_left[dst] = node["missing_go_to_left"]
                child[dst] = free
                todo += [(int(node["left"]), free), (int(node["right"]), free + 1)]
                free += 2
        baseline = float(np.asarray(model._baseline_prediction).ravel()[0])
        return cls(feature, threshold, child, missing_left, value, roots, baseline)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The summed leaf values (log-odds) of each row of ``X``."""
        X = np.ascontiguousarray(X)
        if X.dtype != np.float32 and X.dtype != np.float64:
            X = X.astype(np.float64)
        out = np.empty(len(X), dtype=np.float64)
        _compiled_walk()(X, self.feature, self.threshold, self.child, self.missing_left, self.value, self.roots,
              self.baseline, out)
        return out

    def p_body(self, X: np.ndarray) -> np.ndarray:
        """P(class 1) of each row of ``X`` (float64), as the model's ``predict_proba(X)[:, 1]``."""
        return expit(self.raw(X))


def _walk_py(X, feature, threshold, child, missing_left, value, roots, baseline, out):
    """All trees for each row in turn; leaf values added in tree order, as scikit-learn does."""
    for i in range(X.shape[0]):
        acc = 0.0
        acc += baseline
        for t in range(roots.shape[0]):
            node = roots[t]
            f = feature[node]
            while f >= 0:
                x = X[i, f]
                if x <= threshold[node] or (math.isnan(x) and missing_left[node]):
                    node = child[node]
                else:
                    node = child[node] + 1
                f = feature[node]
            acc += value[node]
        out[i] = acc


@functools.cache
def _compiled_walk():
    """The tree walk compiled by numba, imported on first use (numba costs about 100 MB of memory, so a
    process that predicts with scikit-learn instead never loads it); None without numba."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency; the fallback keeps boiler usable
        return None
    return numba.njit(nogil=True, cache=True)(_walk_py)


def predict_body(model: HistGradientBoostingClassifier, forest: Forest | None, X: np.ndarray) -> np.ndarray:
    """P(class 1) of each row of ``X`` (float64): with ``forest`` if given, else scikit-learn in blocks."""
    if forest is not None:
        return forest.p_body(X)
    out = np.empty(len(X), dtype=np.float64)
    for lo in range(0, len(X), SKLEARN_BLOCK_ROWS):
        out[lo:lo + SKLEARN_BLOCK_ROWS] = model.predict_proba(X[lo:lo + SKLEARN_BLOCK_ROWS])[:, 1]
    return out
