# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The tree walks of :mod:`boiler.forest`, compiled: the sums of leaf values scikit-learn adds, in its order.

:mod:`boiler.forest` describes the node layouts (flat, and compact for float32 rows) and passes in
their constants, so that they stay declared there; tests/test_forest.py holds every walk here to
scikit-learn's probabilities, at, just above and just below every threshold, with missing values.
The loops run without the GIL, so threads may walk batches side by side.
"""

from libc.stdint cimport int32_t, int64_t


def walk(const double[:, ::1] X, const int32_t[::1] feature, const double[::1] threshold,
         const int32_t[::1] child, const unsigned char[::1] missing_left, const double[::1] value,
         const int64_t[::1] roots, double baseline, double[::1] out):
    """All trees for each row in turn (float64 rows, the model's own thresholds)."""
    cdef Py_ssize_t i, t, node
    cdef int32_t f
    cdef double acc, x
    with nogil:
        for i in range(X.shape[0]):
            acc = 0.0
            acc += baseline
            for t in range(roots.shape[0]):
                node = roots[t]
                f = feature[node]
                while f >= 0:
                    x = X[i, f]
                    if x <= threshold[node] or (x != x and missing_left[node]):
                        node = child[node]
                    else:
                        node = child[node] + 1
                    f = feature[node]
                acc += value[node]
            out[i] = acc


def walk_compact(const float[:, ::1] X, const float[::1] threshold, const int32_t[::1] node,
                 const double[::1] value, const int64_t[::1] roots, double baseline, double[::1] out,
                 int32_t leaf, int32_t missing_left, int child_shift):
    """All trees for each row in turn over the compact nodes (float32 rows and thresholds)."""
    cdef Py_ssize_t i, t, nd
    cdef int32_t m
    cdef float x
    cdef double acc
    with nogil:
        for i in range(X.shape[0]):
            acc = 0.0
            acc += baseline
            for t in range(roots.shape[0]):
                nd = roots[t]
                m = node[nd]
                while (m & leaf) != leaf:
                    x = X[i, m & leaf]
                    if x <= threshold[nd] or (x != x and (m & missing_left) != 0):
                        nd = m >> child_shift
                    else:
                        nd = (m >> child_shift) + 1
                    m = node[nd]
                acc += value[nd]
            out[i] = acc


def walk_compact8(const float[:, ::1] X, const float[::1] threshold, const int32_t[::1] node,
                  const double[::1] value, const int64_t[::1] roots, double baseline, double[::1] out,
                  int32_t leaf, int child_shift):
    """:func:`walk_compact` for rows without missing values, eight side by side (each row's leaf values
    still added in tree order); only the first multiple of eight rows (the caller walks the rest one by
    one). A node sends a row right when its value is above the threshold, with no branch."""
    cdef Py_ssize_t n = X.shape[0], i = 0, t
    cdef Py_ssize_t n0, n1, n2, n3, n4, n5, n6, n7
    cdef int32_t m0, m1, m2, m3, m4, m5, m6, m7
    cdef double a0, a1, a2, a3, a4, a5, a6, a7
    with nogil:
        while i + 8 <= n:
            a0 = 0.0
            a1 = 0.0
            a2 = 0.0
            a3 = 0.0
            a4 = 0.0
            a5 = 0.0
            a6 = 0.0
            a7 = 0.0
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
                while ((m0 & leaf) != leaf or (m1 & leaf) != leaf or (m2 & leaf) != leaf or (m3 & leaf) != leaf
                       or (m4 & leaf) != leaf or (m5 & leaf) != leaf or (m6 & leaf) != leaf or (m7 & leaf) != leaf):
                    if (m0 & leaf) != leaf:
                        n0 = (m0 >> child_shift) + (X[i, m0 & leaf] > threshold[n0])
                        m0 = node[n0]
                    if (m1 & leaf) != leaf:
                        n1 = (m1 >> child_shift) + (X[i + 1, m1 & leaf] > threshold[n1])
                        m1 = node[n1]
                    if (m2 & leaf) != leaf:
                        n2 = (m2 >> child_shift) + (X[i + 2, m2 & leaf] > threshold[n2])
                        m2 = node[n2]
                    if (m3 & leaf) != leaf:
                        n3 = (m3 >> child_shift) + (X[i + 3, m3 & leaf] > threshold[n3])
                        m3 = node[n3]
                    if (m4 & leaf) != leaf:
                        n4 = (m4 >> child_shift) + (X[i + 4, m4 & leaf] > threshold[n4])
                        m4 = node[n4]
                    if (m5 & leaf) != leaf:
                        n5 = (m5 >> child_shift) + (X[i + 5, m5 & leaf] > threshold[n5])
                        m5 = node[n5]
                    if (m6 & leaf) != leaf:
                        n6 = (m6 >> child_shift) + (X[i + 6, m6 & leaf] > threshold[n6])
                        m6 = node[n6]
                    if (m7 & leaf) != leaf:
                        n7 = (m7 >> child_shift) + (X[i + 7, m7 & leaf] > threshold[n7])
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


def has_nan(const float[:, ::1] X):
    """Whether any value of ``X`` is NaN (stopping at the first)."""
    cdef Py_ssize_t i, j
    cdef bint found = False
    with nogil:
        for i in range(X.shape[0]):
            for j in range(X.shape[1]):
                if X[i, j] != X[i, j]:
                    found = True
                    break
            if found:
                break
    return found
