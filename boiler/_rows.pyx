# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Row loops of :mod:`boiler.model` and :mod:`boiler.features`, compiled: running sums that restart at
each page, window means, the rows of the same page at given offsets, blank-line gaps and repeated
lines, positions and shares within the page and its segments, runs of long or short lines, each
page's main run of paragraphs, the distance to the nearest probable body row, the short lines' word
evidence, the opener columns, the class words' evidence, the enclosing blocks' columns, each
page's main block, and stage 2's columns of the stage-1 probabilities. Each is one loop over the
rows instead of tens of numpy calls on small arrays (the fixed cost that one page per call pays).

The numpy forms are the reference (``_page_cumsum_np``, ``_window_mean_np``, ``_distance_to_body_np``,
``_probability_columns_np`` with ``page_best_columns``, ``_main_block_rows_np``, ``_opener_columns_np``,
``WordEvidence._transform_rows_np`` and the loops of ``container_columns`` and ``AttrEvidence.transform`` in :mod:`boiler.model`; ``_gaps_and_repeats_np``, ``_page_columns_np``
and the loops of ``context_window``, ``_runs`` and ``_main_run`` in :mod:`boiler.features`): each
function here follows its namesake to the bit (sums in the same order, in float64, cast as numpy
casts), and the tests hold both to the same numbers.
"""

from libc.math cimport INFINITY, isfinite, isnan, log1p
from libc.stdlib cimport free, malloc, qsort
from libc.stdint cimport int64_t, uint8_t, uint32_t

import numpy as np


def page_cumsum(const double[::1] p, const int64_t[::1] page_start):
    """Inclusive running sums of ``p`` restarting at each page, with a 0 before each page: element
    ``i + page + 1`` holds the sum of the page's rows up to row ``i`` (as ``np.cumsum`` sums a page:
    from its first value, in order)."""
    cdef Py_ssize_t n_pages = page_start.shape[0] - 1
    out_arr = np.zeros(p.shape[0] + n_pages, dtype=np.float64)
    cdef double[::1] out = out_arr
    cdef Py_ssize_t k, i, a, b
    cdef double s
    for k in range(n_pages):
        a, b = page_start[k], page_start[k + 1]
        if b <= a:
            continue
        s = p[a]
        out[a + k + 1] = s
        for i in range(a + 1, b):
            s = s + p[i]
            out[i + k + 1] = s
    return out_arr


def window_mean(const double[::1] cs, const int64_t[::1] page_start, const int64_t[::1] page, Py_ssize_t w):
    """The mean of each row's window of ``w`` rows each side within its page (float32), from the
    page's running sums ``cs`` (:func:`page_cumsum`)."""
    cdef Py_ssize_t n = page.shape[0], i, lo, hi, pg
    out_arr = np.empty(n, dtype=np.float32)
    cdef float[::1] out = out_arr
    for i in range(n):
        pg = page[i]
        lo = i - w
        if lo < page_start[pg]:
            lo = page_start[pg]
        hi = i + w + 1
        if hi > page_start[pg + 1]:
            hi = page_start[pg + 1]
        out[i] = <float>((cs[hi + pg] - cs[lo + pg]) / <double>(hi - lo))
    return out_arr


def distance_to_body(const uint8_t[::1] is_body, const int64_t[::1] page, bint forward, int64_t cap):
    """Rows since the previous (or until the next) row of ``is_body`` in the same page, or ``cap`` if
    there is none (int64, not capped otherwise)."""
    cdef Py_ssize_t n = page.shape[0], i, near
    out_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out = out_arr
    if not forward:
        near = -1
        for i in range(n):
            if is_body[i]:
                near = i
            out[i] = i - near if near >= 0 and page[near] == page[i] else cap
    else:
        near = n
        for i in range(n - 1, -1, -1):
            if is_body[i]:
                near = i
            out[i] = near - i if near < n and page[near] == page[i] else cap
    return out_arr


cdef int _cmp_int64(const void *a, const void *b) noexcept nogil:
    cdef int64_t x = (<const int64_t *>a)[0], y = (<const int64_t *>b)[0]
    return (x > y) - (x < y)


def probability_columns(float[:, ::1] out, const float[::1] p1, const int64_t[::1] page_start,
                        const int64_t[::1] offsets, const int64_t[::1] windows, float threshold, int64_t cap,
                        Py_ssize_t best_col, double best_floor):
    """Stage 2's columns of the stage-1 probabilities ``p1``, written into ``out`` from column 0 as
    ``stage2_matrix`` writes them with numpy: ``p1``; its values at ``offsets`` in the same page (-1
    past the page); the means over ``windows`` (from running sums in float64); the page's mean; the
    row's rank by ``p1`` in its page (ties in row order) over the page's rows less one; the page's sum
    before the row over the page's sum; log1p of the rows since the previous and until the next row
    of at least ``threshold`` (``cap`` if none); and, if ``best_col`` >= 0, the page's best ``p1`` (from
    0) and the row's share of it (the best taken as at least ``best_floor``) at ``best_col``. Returns
    False, writing nothing, if a value is negative (-0.0 included) or NaN: the rank's sort key (the
    float's bits) orders only values that are neither."""
    cdef Py_ssize_t n = p1.shape[0], n_pages = page_start.shape[0] - 1
    cdef Py_ssize_t n_off = offsets.shape[0], n_win = windows.shape[0]
    cdef Py_ssize_t i, k, j, a, b, m, src, lo, hi, w, col, near, max_rows = 0
    cdef double s, total, best, base
    cdef int64_t d
    cdef int64_t *keys
    cdef double *cs
    cdef const uint32_t *bits = <const uint32_t *>&p1[0] if n else NULL
    col = 1 + n_off + n_win + 1  # the rank's column; the page's mean before it, three more after it
    if out.shape[0] != n or out.shape[1] < col + 4 or (best_col >= 0 and out.shape[1] < best_col + 2) \
            or page_start.shape[0] < 1 or page_start[0] != 0 or page_start[n_pages] != n:
        raise ValueError("probability_columns: out, p1 and page_start do not fit together")
    for i in range(n):
        if bits[i] >> 31 or isnan(p1[i]):
            return False
    for k in range(n_pages):
        if page_start[k + 1] - page_start[k] > max_rows:
            max_rows = page_start[k + 1] - page_start[k]
    keys = <int64_t *>malloc((max_rows + 1) * sizeof(int64_t))
    cs = <double *>malloc((max_rows + 1) * sizeof(double))
    if keys == NULL or cs == NULL:
        free(keys)
        free(cs)
        raise MemoryError()
    try:
        for k in range(n_pages):
            a, b = page_start[k], page_start[k + 1]
            m = b - a
            if m <= 0:
                continue
            cs[0] = 0.0  # cs[r]: the sum of the page's first r rows, added in order as np.cumsum adds them
            s = p1[a]
            cs[1] = s
            for i in range(a + 1, b):
                s = s + p1[i]
                cs[i - a + 1] = s
            total = s
            best = 0.0
            for i in range(a, b):
                if p1[i] > best:
                    best = p1[i]
                keys[i - a] = (<int64_t>bits[i] << 32) | (i - a)
            qsort(keys, m, sizeof(int64_t), _cmp_int64)
            for i in range(m):  # the rank, in column 0 for now (p1 is written over it below)
                src = a + <Py_ssize_t>(keys[i] & 0xFFFFFFFF)
                out[src, 0] = <float>(<double><float>i / <double>(m - 1 if m > 1 else 1))
            for i in range(a, b):
                out[i, col] = out[i, 0]
                out[i, 0] = p1[i]
                for j in range(n_off):
                    src = i + offsets[j]
                    out[i, 1 + j] = p1[src] if offsets[j] != 0 and a <= src < b else -1.0
                for j in range(n_win):
                    w = windows[j]
                    lo = i - w if i - w > a else a
                    hi = i + w + 1 if i + w + 1 < b else b
                    out[i, 1 + n_off + j] = <float>((cs[hi - a] - cs[lo - a]) / <double>(hi - lo))
                out[i, col - 1] = <float>(total / <double>m)
                out[i, col + 1] = <float>(cs[i - a] / (total if total > 1e-6 else 1e-6))
                if best_col >= 0:
                    out[i, best_col] = <float>best
                    base = best if best > best_floor else best_floor
                    out[i, best_col + 1] = <float>(p1[i] / base)
            near = -1
            for i in range(a, b):
                if p1[i] >= threshold:
                    near = i
                d = i - near if near >= 0 else cap
                out[i, col + 2] = <float>log1p(<double>(d if d < cap else cap))
            near = -1
            for i in range(b - 1, a - 1, -1):
                if p1[i] >= threshold:
                    near = i
                d = near - i if near >= 0 else cap
                out[i, col + 3] = <float>log1p(<double>(d if d < cap else cap))
    finally:
        free(keys)
        free(cs)
    return True


def context_window(float[:, :] out, const float[:, :] values, const int64_t[::1] page,
                   const int64_t[::1] offsets, float fill):
    """For each offset in turn, ``values`` of the row that far away in the same page, written into the
    next ``values.shape[1]`` columns of ``out`` (``fill`` where that row is past the batch or in another
    page; an offset of 0 is no neighbour: all ``fill``)."""
    cdef Py_ssize_t n = values.shape[0], k = values.shape[1], i, j, o, src, offset, col
    for o in range(offsets.shape[0]):
        offset = offsets[o]
        col = o * k
        for i in range(n):
            src = i + offset
            if offset != 0 and 0 <= src < n and page[src] == page[i]:
                for j in range(k):
                    out[i, col + j] = values[src, j]
            else:
                for j in range(k):
                    out[i, col + j] = fill


cdef inline Py_ssize_t lower_bound(const int64_t[::1] keys, int64_t x) noexcept nogil:
    """The first position of sorted ``keys`` holding ``x`` or more (``np.searchsorted``, side left)."""
    cdef Py_ssize_t lo = 0, hi = keys.shape[0], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def container_columns(const int64_t[::1] keys, const int64_t[:, :, :] ranges, const int64_t[::1] page,
                      const double[::1] sum_w, const double[::1] sum_wp, const double[::1] page_words):
    """Per row and enclosing block (``ranges``: each level's ``[start, end)`` of block numbers, -1 for
    none), the word-weighted mean of the rows in it and its share of the page's words (-1 and 0 where
    there is none), from the running sums of the words and of words times probability over the rows
    sorted by block (``keys``: their block numbers; a page's sums restart at its segment, ``page + 1``)."""
    cdef Py_ssize_t n = ranges.shape[0], levels = ranges.shape[1], i, k, hi, lo
    cdef double in_block
    out_arr = np.empty((n, 2 * levels), dtype=np.float32)
    cdef float[:, ::1] out = out_arr
    for i in range(n):
        for k in range(levels):
            out[i, 2 * k] = -1.0
            out[i, 2 * k + 1] = 0.0
            if ranges[i, k, 0] < 0:
                continue
            hi = lower_bound(keys, ranges[i, k, 1]) + page[i] + 1
            lo = lower_bound(keys, ranges[i, k, 0]) + page[i] + 1
            in_block = sum_w[hi] - sum_w[lo]
            if in_block > 0:
                out[i, 2 * k] = <float>((sum_wp[hi] - sum_wp[lo]) / in_block)
                out[i, 2 * k + 1] = <float>(in_block / page_words[i])
    return out_arr


def main_block_rows(const int64_t[::1] keys, const double[::1] sums, const int64_t[::1] own,
                    const int64_t[:, :, :] ranges, const int64_t[::1] page, Py_ssize_t n_pages, int64_t top):
    """Whether each row is in its page's main block: of the blocks enclosing the page's rows, the one
    whose rows' running sums (``sums``, over the rows sorted by block as in :func:`container_columns`)
    add up to the most, if more than 0; of equals, the outermost (the lowest number). ``top``: the
    blocks are numbered below it."""
    cdef Py_ssize_t n = own.shape[0], levels = ranges.shape[1], i, k, c
    cdef int64_t a, pg
    cdef double v
    end_arr = np.full(top + 1, -1, dtype=np.int64)
    page_arr = np.zeros(top + 1, dtype=np.int64)
    value_arr = np.zeros(top + 1, dtype=np.float64)
    best_arr = np.full(n_pages, -np.inf, dtype=np.float64)
    first_arr = np.full(n_pages, top, dtype=np.int64)
    inside_arr = np.zeros(n, dtype=np.bool_)
    cdef int64_t[::1] end_of = end_arr, page_of = page_arr, first = first_arr
    cdef double[::1] value = value_arr, best = best_arr
    cdef uint8_t[::1] inside = inside_arr.view(np.uint8)
    for i in range(n):  # each enclosing block once, by its number (a block's range starts at its number)
        for k in range(levels):
            a = ranges[i, k, 0]
            if a >= 0:
                end_of[a] = ranges[i, k, 1]
                page_of[a] = page[i]
    end_of[top] = -1
    for c in range(top):
        if end_of[c] < 0:
            continue
        pg = page_of[c]
        v = sums[lower_bound(keys, end_of[c]) + pg + 1] - sums[lower_bound(keys, c) + pg + 1]
        value[c] = v
        if v > best[pg]:
            best[pg] = v
    for c in range(top):
        if end_of[c] >= 0 and value[c] == best[page_of[c]] and value[c] > 0 and c < first[page_of[c]]:
            first[page_of[c]] = c
    for i in range(n):
        c = first[page[i]]
        inside[i] = own[i] >= c and own[i] < end_of[c]
    return inside_arr


def attr_evidence(list attrs, list near, dict log_odds):
    """Per line, from the class and id words on its tag path (``attrs``, nearest element's first; ``near``:
    how many are the nearest element's): the mean learned value of the nearest element's words (0 if
    none) and the min and max over the path (0, 0, 0 for a path without words; an unlearned word counts
    0). Each distinct path and count is worked out once; the mean is summed in order, as ``sum()``."""
    cdef Py_ssize_t n = len(attrs), i, j, k, m, c
    cdef double total, lo, hi, v
    cdef object words
    cdef dict code_of = {}
    out_arr = np.zeros((n, 3), dtype=np.float32)
    cdef float[:, ::1] out = out_arr
    for i in range(n):
        key = (attrs[i], near[i])
        found = code_of.get(key)
        if found is not None:
            c = found
            out[i, 0], out[i, 1], out[i, 2] = out[c, 0], out[c, 1], out[c, 2]
            continue
        code_of[key] = i  # the first line with this path holds its numbers
        words = attrs[i]
        m = len(words)
        if m == 0:
            continue
        k = near[i]
        total = 0.0
        lo = INFINITY
        hi = -INFINITY
        for j in range(m):
            v = log_odds.get(words[j], 0.0)
            if j < k:
                total = total + v
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        out[i, 0] = <float>(total / <double>k) if k else 0.0
        out[i, 1] = <float>lo
        out[i, 2] = <float>hi
    return out_arr


cdef inline double _value(dict lookup, object key):
    """``lookup.get(key, 0.0)`` as a C double."""
    cdef object v = lookup.get(key)
    return 0.0 if v is None else <double>v


def word_evidence(const signed char[::1] kind, list first, list last, list words, const int64_t[::1] counts,
                  list lines, dict by_first, dict by_last, dict by_word, dict by_line, dict by_opener,
                  int kind_all, Py_ssize_t n_columns):
    """``WordEvidence.transform`` of token rows (``features.TokenRows``'s fields): per row the learned
    value of its first and last word (columns 3, 4), and for a short line (``kind_all``) its whole
    line's and opener value (5, 6) and the mean, min and max of its words' values (0, 1, 2; summed in
    order from 0, float64), an unlearned token counting 0; float32, ``n_columns`` wide."""
    cdef Py_ssize_t n = kind.shape[0], i, j = 0, q, at = 0, c
    cdef double total, lo, hi, v
    out_arr = np.zeros((n, n_columns), dtype=np.float32)
    cdef float[:, ::1] out = out_arr
    for i in range(n):
        out[i, 3] = <float>_value(by_first, first[i])
        out[i, 4] = <float>_value(by_last, last[i])
        if kind[i] != kind_all:
            continue
        out[i, 5] = <float>_value(by_line, lines[j])
        out[i, 6] = <float>_value(by_opener, lines[j])
        c = counts[j]
        total = 0.0
        lo = INFINITY
        hi = -INFINITY
        for q in range(at, at + c):
            v = _value(by_word, words[q])
            total = total + v
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        out[i, 0] = <float>(total / <double>c)
        out[i, 1] = <float>lo
        out[i, 2] = <float>hi
        at += c
        j += 1
    return out_arr


def opener_columns(const float[::1] score, const int64_t[::1] page_start, double strong, int64_t cap):
    """Per row: the largest ``score`` of the rows before it on its page (-inf for none; a NaN carries
    on, as ``np.maximum.accumulate``), and the rows since the last row of its page, itself included,
    whose score is finite and above ``strong`` (at most ``cap``; ``cap`` for none)."""
    cdef Py_ssize_t n = score.shape[0], k, i, last
    cdef double m, v
    running_arr = np.empty(n, dtype=np.float64)
    dist_arr = np.empty(n, dtype=np.int64)
    cdef double[::1] running = running_arr
    cdef int64_t[::1] dist = dist_arr
    for k in range(page_start.shape[0] - 1):
        m = -INFINITY
        last = -1
        for i in range(page_start[k], page_start[k + 1]):
            running[i] = m
            v = score[i]
            if not (m >= v or isnan(m)):  # np.maximum(m, v)
                m = v
            if isfinite(v) and v > strong:
                last = i
            dist[i] = min(i - last, cap) if last >= 0 else cap
    return running_arr, dist_arr


def gaps_and_repeats(const int64_t[::1] page, const int64_t[::1] line, const int64_t[::1] sizes,
                     const int64_t[::1] code, Py_ssize_t near, int64_t gap_cap):
    """Per row (a non-blank line; ``line``: its number in its page, ``sizes``: each page's lines): the
    blank lines before and after it in its page, capped at ``gap_cap``; how many other rows of its page
    have its ``code`` (its case-folded text); and whether one within ``near`` rows does."""
    cdef Py_ssize_t n = page.shape[0], i, j, d, a, b
    out_arr = [np.empty(n, dtype=np.int64) for _ in range(3)] + [np.zeros(n, dtype=np.bool_)]
    cdef int64_t[::1] before = out_arr[0], after = out_arr[1], repeats = out_arr[2]
    cdef uint8_t[::1] close = out_arr[3].view(np.uint8)
    count_arr = np.zeros(n, dtype=np.int64)  # rows per code within the page at hand (codes are below n)
    cdef int64_t[::1] count = count_arr
    cdef int64_t g
    for i in range(n):
        g = line[i] - (line[i - 1] if i > 0 and page[i - 1] == page[i] else -1) - 1
        before[i] = g if g < gap_cap else gap_cap
        g = (line[i + 1] if i + 1 < n and page[i + 1] == page[i] else sizes[page[i]]) - line[i] - 1
        after[i] = g if g < gap_cap else gap_cap
        for d in range(1, near + 1):
            j = i + d
            if j < n and page[j] == page[i] and code[j] == code[i]:
                close[i] = close[j] = 1
    a = 0
    while a < n:  # page by page: count each code, read the counts, clear them
        b = a
        while b < n and page[b] == page[a]:
            count[code[b]] += 1
            b += 1
        for i in range(a, b):
            repeats[i] = count[code[i]] - 1
        for i in range(a, b):
            count[code[i]] = 0
        a = b
    return out_arr


def runs(const uint8_t[::1] flag, const int64_t[::1] page):
    """The length of the run of equal ``flag`` values within a page that each row belongs to (float32)."""
    cdef Py_ssize_t n = flag.shape[0], a = 0, b, i
    out_arr = np.empty(n, dtype=np.float32)
    cdef float[::1] out = out_arr
    while a < n:
        b = a + 1
        while b < n and flag[b] == flag[a] and page[b] == page[a]:
            b += 1
        for i in range(a, b):
            out[i] = <float>(b - a)
        a = b
    return out_arr


def main_run(const uint8_t[::1] para, const float[::1] chars, const int64_t[::1] rank, const int64_t[::1] page,
             const int64_t[::1] line, Py_ssize_t n_pages, int64_t max_gap, int64_t max_blanks):
    """First and last row rank of each page's main run (-1, -1: none): paragraph rows at most ``max_gap``
    rows and ``max_blanks`` blank lines apart, with the most characters (summed in order, float64; of
    equals, the first)."""
    cdef Py_ssize_t n = para.shape[0], i, prev = -1
    first_arr = np.full(n_pages, -1, dtype=np.int64)
    last_arr = np.full(n_pages, -1, dtype=np.int64)
    cdef int64_t[::1] first = first_arr, last = last_arr
    best_arr = np.full(n_pages, -INFINITY, dtype=np.float64)
    cdef double[::1] best = best_arr
    cdef double total = 0.0
    cdef int64_t g_first = 0, g_last = 0, g_page = -1, row_gap
    for i in range(n + 1):
        if i < n and not para[i]:
            continue
        if i < n and prev >= 0:
            row_gap = rank[i] - rank[prev]
            if page[i] == page[prev] and row_gap <= max_gap + 1 and (line[i] - line[prev]) - row_gap <= max_blanks:
                total = total + chars[i]  # the same group
                g_last = rank[i]
                prev = i
                continue
        if prev >= 0 and total > best[g_page]:  # a group ends: the page's best so far?
            best[g_page] = total
            first[g_page], last[g_page] = g_first, g_last
        if i == n:
            break
        total = 0.0 + chars[i]  # a new group
        g_first = g_last = rank[i]
        g_page = page[i]
        prev = i
    return first_arr, last_arr


def page_columns(float[:, ::1] X, dict col, const int64_t[::1] page, const int64_t[::1] starts,
                 const int64_t[::1] lengths, const uint8_t[::1] long_line, const uint8_t[::1] ends_sentence,
                 const int64_t[::1] gap_before, int64_t segment_gap, Py_ssize_t near_rows):
    """The position, page-share, nearby and segment columns of :func:`boiler.features.extract` that need
    no logarithm, written into ``X`` (columns by name in ``col``), each computed as its numpy form does
    (the same dtypes: an integer over a float32 is divided in float64). Returns each row's rank in its
    page (int64), what ``from_end`` takes the logarithm of (float64), its page's rows (float32) and its
    segment's rows (float32; a segment begins at the page's first row or after ``segment_gap`` or more
    blank lines)."""
    cdef Py_ssize_t n = page.shape[0], n_pages = starts.shape[0] - 1, i, j, a, b, s, e, t, lo, hi
    cdef Py_ssize_t c_pos = col["pos_rel"], c_char = col["char_pos"], c_long_before = col["long_share_before"]
    cdef Py_ssize_t c_long_share = col["page_long_share"], c_max = col["len_vs_page_max"]
    cdef Py_ssize_t c_nearby = col["long_nearby"], c_seg_sent = col["seg_sentence_share"]
    cdef Py_ssize_t c_seg_long = col["seg_long_share"], c_seg_pos = col["seg_pos"]
    rank_arr = np.empty(n, dtype=np.int64)
    from_end_arr = np.empty(n, dtype=np.float64)
    n_page_arr = np.empty(n, dtype=np.float32)
    seg_n_arr = np.empty(n, dtype=np.float32)
    cdef int64_t[::1] rank = rank_arr
    cdef double[::1] from_end = from_end_arr
    cdef float[::1] n_page = n_page_arr, seg_n = seg_n_arr
    cdef float rows_f, less, page_max, ch, seg_rows, seg_less
    cdef double page_chars, page_long, long_count, sent, longs
    cdef int64_t cum, cum_long, near_long
    for t in range(n_pages):
        a, b = starts[t], starts[t + 1]
        if b <= a:
            continue
        rows_f = <float>(b - a)
        less = rows_f - 1.0
        if less < 1.0:
            less = 1.0
        page_chars = page_long = long_count = 0.0
        page_max = 0.0
        for i in range(a, b):  # the page's sums, in row order (as bincount adds them)
            page_chars = page_chars + <double><float>lengths[i]
            page_long = page_long + <double>(lengths[i] * long_line[i])
            long_count = long_count + <double>long_line[i]
            ch = <float>lengths[i]
            if ch > page_max:
                page_max = ch
        if page_chars < 1.0:
            page_chars = 1.0
        if page_long < 1.0:
            page_long = 1.0
        if page_max < 1.0:
            page_max = 1.0
        cum = cum_long = 0
        for i in range(a, b):
            rank[i] = i - a
            n_page[i] = rows_f
            X[i, c_pos] = <float>(<double>(i - a) / <double>less)
            from_end[i] = <double>(rows_f - 1.0) - <double>(i - a)
            X[i, c_char] = <float>(<double>cum / page_chars)
            X[i, c_long_before] = <float>(<double>cum_long / page_long)
            X[i, c_long_share] = <float>(long_count / <double>rows_f)
            X[i, c_max] = <float>lengths[i] / page_max
            cum += lengths[i]
            cum_long += lengths[i] * long_line[i]
            lo = i - near_rows if i - near_rows > a else a
            hi = i + near_rows + 1 if i + near_rows + 1 < b else b
            near_long = 0
            for j in range(lo, hi):
                near_long += long_line[j]
            X[i, c_nearby] = <float>(near_long - long_line[i])
        s = a
        while s < b:  # segments: rows s to e (exclusive)
            e = s + 1
            while e < b and gap_before[e] < segment_gap:
                e += 1
            sent = longs = 0.0
            for i in range(s, e):
                sent = sent + <double>ends_sentence[i]
                longs = longs + <double>long_line[i]
            seg_rows = <float>(e - s)
            seg_less = seg_rows - 1.0 if seg_rows > 1.0 else 1.0
            for i in range(s, e):
                seg_n[i] = seg_rows
                X[i, c_seg_sent] = <float>(sent / <double>seg_rows)
                X[i, c_seg_long] = <float>(longs / <double>seg_rows)
                X[i, c_seg_pos] = <float>(<double>(i - s) / <double>seg_less)
            s = e
    return rank_arr, from_end_arr, n_page_arr, seg_n_arr
