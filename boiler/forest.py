"""Fast prediction of a fitted binary :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.

scikit-learn walks each tree over all the rows it is given, one tree after another, so every row
is fetched from memory once per tree. :class:`Forest` holds the same trees as flat arrays and walks
all trees for one row before the next (compiled with numba), adding the leaf values in the same
order as scikit-learn: the probabilities are the same numbers.

For rows of float32 (both stages' matrices are), the nodes are also held compact, eight bytes each
(a float32 threshold and one int32 for feature, missing-value side and children), so that a model's
nodes mostly stay in the first-level cache; each threshold is the largest float32 at most the
model's float64 threshold, which sends every float32 value the same way. Rows without missing values
(no feature row of the corpora has one) are walked eight side by side without a branch per node, so that one
row's node fetches overlap the others'.

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
#: Rows walked side by side by :func:`_walk_compact8_py`.
LANES = 8
#: The compact node: feature in the low bits (LEAF marks a leaf), missing values go left, children.
_FEATURE_BITS = 12
LEAF = (1 << _FEATURE_BITS) - 1
_MISSING_LEFT = 1 << _FEATURE_BITS
_CHILD_SHIFT = _FEATURE_BITS + 1


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
    threshold32: np.ndarray | None = None
    node32: np.ndarray | None = None

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
        threshold32, node32 = _compact(feature, threshold, child, missing_left)
        return cls(feature, threshold, child, missing_left, value, roots, baseline, threshold32, node32)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The summed leaf values (log-odds) of each row of ``X``."""
        X = np.ascontiguousarray(X)
        if X.dtype != np.float32 and X.dtype != np.float64:
            X = X.astype(np.float64)
        out = np.empty(len(X), dtype=np.float64)
        if X.dtype == np.float32 and self.node32 is not None:
            one, side_by_side, has_nan = _compiled_compact_walks()
            done = 0
            if not has_nan(X):  # a missing value needs the walk that looks for one at every node
                done = len(X) - len(X) % LANES
                side_by_side(X[:done], self.threshold32, self.node32, self.value, self.roots, self.baseline, out[:done])
            one(X[done:], self.threshold32, self.node32, self.value, self.roots, self.baseline, out[done:])
            return out
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


def _compact(feature: np.ndarray, threshold: np.ndarray, child: np.ndarray,
             missing_left: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The nodes as float32 thresholds and packed int32 nodes (None if the model is too large for them).

    A float32 value x is at most a float64 threshold t exactly when it is at most the largest float32
    that is at most t (NaN is at most neither)."""
    if len(feature) and (feature.max() >= LEAF or child.max() >= 1 << (31 - _CHILD_SHIFT)):
        return None, None
    t32 = threshold.astype(np.float32)
    above = t32.astype(np.float64) > threshold
    t32[above] = np.nextafter(t32[above], np.float32(-np.inf))
    node = np.where(feature < 0, LEAF, feature).astype(np.int32) | (missing_left.astype(np.int32) << _FEATURE_BITS) \
        | (child.astype(np.int32) << _CHILD_SHIFT)
    return t32, node


def _walk_compact_py(X, threshold, node, value, roots, baseline, out):
    """:func:`_walk_py` over the compact nodes (float32 rows and thresholds)."""
    for i in range(X.shape[0]):
        acc = 0.0
        acc += baseline
        for t in range(roots.shape[0]):
            nd = roots[t]
            m = node[nd]
            while (m & LEAF) != LEAF:
                x = X[i, m & LEAF]
                if x <= threshold[nd] or (math.isnan(x) and (m & _MISSING_LEFT) != 0):
                    nd = m >> _CHILD_SHIFT
                else:
                    nd = (m >> _CHILD_SHIFT) + 1
                m = node[nd]
            acc += value[nd]
        out[i] = acc


def _walk_compact8_py(X, threshold, node, value, roots, baseline, out):
    """:func:`_walk_compact_py` for rows without missing values, eight rows side by side (each row's leaf
    values still added in tree order); only the first multiple of eight rows (the caller walks the rest
    one by one). A node sends a row right when its value is above the threshold, with no branch: eight
    independent paths keep the node fetches of one row overlapping those of the others."""
    n = X.shape[0]
    i = 0
    while i + 8 <= n:
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
        a0 += baseline
        a1 += baseline
        a2 += baseline
        a3 += baseline
        a4 += baseline
        a5 += baseline
        a6 += baseline
        a7 += baseline
        for t in range(roots.shape[0]):
            n0 = n1 = n2 = n3 = n4 = n5 = n6 = n7 = roots[t]
            m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = node[n0]
            while ((m0 & LEAF) != LEAF or (m1 & LEAF) != LEAF or (m2 & LEAF) != LEAF or (m3 & LEAF) != LEAF
                   or (m4 & LEAF) != LEAF or (m5 & LEAF) != LEAF or (m6 & LEAF) != LEAF or (m7 & LEAF) != LEAF):
                if (m0 & LEAF) != LEAF:
                    n0 = (m0 >> _CHILD_SHIFT) + (X[i, m0 & LEAF] > threshold[n0])
                    m0 = node[n0]
                if (m1 & LEAF) != LEAF:
                    n1 = (m1 >> _CHILD_SHIFT) + (X[i + 1, m1 & LEAF] > threshold[n1])
                    m1 = node[n1]
                if (m2 & LEAF) != LEAF:
                    n2 = (m2 >> _CHILD_SHIFT) + (X[i + 2, m2 & LEAF] > threshold[n2])
                    m2 = node[n2]
                if (m3 & LEAF) != LEAF:
                    n3 = (m3 >> _CHILD_SHIFT) + (X[i + 3, m3 & LEAF] > threshold[n3])
                    m3 = node[n3]
                if (m4 & LEAF) != LEAF:
                    n4 = (m4 >> _CHILD_SHIFT) + (X[i + 4, m4 & LEAF] > threshold[n4])
                    m4 = node[n4]
                if (m5 & LEAF) != LEAF:
                    n5 = (m5 >> _CHILD_SHIFT) + (X[i + 5, m5 & LEAF] > threshold[n5])
                    m5 = node[n5]
                if (m6 & LEAF) != LEAF:
                    n6 = (m6 >> _CHILD_SHIFT) + (X[i + 6, m6 & LEAF] > threshold[n6])
                    m6 = node[n6]
                if (m7 & LEAF) != LEAF:
                    n7 = (m7 >> _CHILD_SHIFT) + (X[i + 7, m7 & LEAF] > threshold[n7])
                    m7 = node[n7]
            a0 += value[n0]
            a1 += value[n1]
            a2 += value[n2]
            a3 += value[n3]
            a4 += value[n4]
            a5 += value[n5]
            a6 += value[n6]
            a7 += value[n7]
        out[i] = a0
        out[i + 1] = a1
        out[i + 2] = a2
        out[i + 3] = a3
        out[i + 4] = a4
        out[i + 5] = a5
        out[i + 6] = a6
        out[i + 7] = a7
        i += 8


def _has_nan_py(X):
    """Whether any value of ``X`` is NaN (stopping at the first)."""
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            if X[i, j] != X[i, j]:
                return True
    return False


@functools.cache
def _compiled_compact_walks():
    """The compact walks (one row; eight rows side by side) and the test for missing values that chooses
    between them, compiled by numba; None without numba."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    jit = numba.njit(nogil=True, cache=True)
    return jit(_walk_compact_py), jit(_walk_compact8_py), jit(_has_nan_py)


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
