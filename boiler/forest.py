"""Fast prediction of a fitted binary :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.

scikit-learn walks each tree over all the rows it is given, one tree after another, so every row
is fetched from memory once per tree. :class:`Forest` holds the same trees as flat arrays and walks
all trees for one row before the next (compiled: :mod:`boiler._trees`), adding the leaf values in
the same order as scikit-learn: the probabilities are the same numbers.

Node ``j`` splits on feature ``feature[j]`` (-1 for a leaf) at ``threshold[j]``: a row goes to node
``child[j]`` if its value is at most the threshold (or missing and ``missing_left[j]``), else to
``child[j] + 1``. A leaf adds ``value[j]``; each row's sum starts from the baseline and adds its leaf
of each tree in tree order.

For rows of float32 (both stages' matrices are), the nodes are also held compact, eight bytes each
(a float32 threshold, and one int32 with the feature in its low ``_FEATURE_BITS`` bits, ``LEAF``
there for a leaf, the missing-value side in the next bit and the children above), so that a model's
nodes mostly stay in the first-level cache; each threshold is the largest float32 at most the
model's float64 threshold, which sends every float32 value the same way. Rows without missing values
(no feature row of the corpora has one) are walked ``LANES`` side by side without a branch per node,
so that one row's node fetches overlap the others'.

Where the compiled module was not built (no C compiler at install), or for a model this cannot copy
(categorical features, more than two classes), :func:`predict_body` falls back to scikit-learn's own
prediction in cache-sized blocks of rows: the same probabilities, several times slower.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = ["SKLEARN_BLOCK_ROWS", "Forest", "predict_body"]

logger = logging.getLogger(__name__)

#: Rows per scikit-learn prediction call in the fallback: a block that stays in the CPU cache is
#: several times faster than a whole batch at once.
SKLEARN_BLOCK_ROWS = 2048
#: Rows walked side by side by :func:`boiler._trees.walk_compact8`.
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
        if _compiled_walks() is None or len(model.classes_) != 2 or model.is_categorical_ is not None:
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
        trees = _compiled_walks()
        X = np.ascontiguousarray(X)
        out = np.empty(len(X), dtype=np.float64)
        if X.dtype == np.float32 and self.node32 is not None:
            done = 0
            if not trees.has_nan(X):  # a missing value needs the walk that looks for one at every node
                done = len(X) - len(X) % LANES
                trees.walk_compact8(X[:done], self.threshold32, self.node32, self.value, self.roots, self.baseline,
                                    out[:done], LEAF, _CHILD_SHIFT)
            trees.walk_compact(X[done:], self.threshold32, self.node32, self.value, self.roots, self.baseline,
                               out[done:], LEAF, _MISSING_LEFT, _CHILD_SHIFT)
            return out
        # a float32 value compares with a float64 threshold as its float64 copy does
        trees.walk(X.astype(np.float64, copy=False), self.feature, self.threshold, self.child,
                   self.missing_left.view(np.uint8), self.value, self.roots, self.baseline, out)
        return out

    def p_body(self, X: np.ndarray) -> np.ndarray:
        """P(class 1) of each row of ``X`` (float64), as the model's ``predict_proba(X)[:, 1]``."""
        return expit(self.raw(X))


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


@functools.cache
def _compiled_walks():
    """:mod:`boiler._trees` (the walks compiled with Cython), or None where it was not built (no C
    compiler at install): then :func:`predict_body` asks scikit-learn, with the same probabilities."""
    try:
        from . import _trees
    except ImportError as exc:
        logger.info("the compiled tree walks are not available (%s); predicting with scikit-learn", exc)
        return None
    return _trees


def predict_body(model: HistGradientBoostingClassifier, forest: Forest | None, X: np.ndarray) -> np.ndarray:
    """P(class 1) of each row of ``X`` (float64): with ``forest`` if given, else scikit-learn in blocks."""
    if forest is not None:
        return forest.p_body(X)
    out = np.empty(len(X), dtype=np.float64)
    for lo in range(0, len(X), SKLEARN_BLOCK_ROWS):
        out[lo:lo + SKLEARN_BLOCK_ROWS] = model.predict_proba(X[lo:lo + SKLEARN_BLOCK_ROWS])[:, 1]
    return out
