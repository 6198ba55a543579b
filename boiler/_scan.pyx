# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Character scans of :mod:`boiler.features`, compiled: where a date, a time or a year can begin, and
which places spell a mark, found in one loop instead of some hundred numpy calls on small arrays (the
fixed cost that one page per call pays).

The numpy forms in :mod:`boiler.features` (``_date_candidates_np``, ``_marks_at_np``) are the reference;
each function here follows its namesake step for step, and the tests hold both, and the plain regular
expressions, to the same columns. The flag bits are passed in by :mod:`boiler.features`, which stays
the one place they are declared.
"""

from libc.stdint cimport int64_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc

import numpy as np

cdef struct Text:
    const uint32_t *cps
    const uint16_t *flags
    Py_ssize_t size
    uint16_t space, word, digit


cdef inline uint16_t f_at(const Text *t, Py_ssize_t p) noexcept nogil:
    return t.flags[p] if 0 <= p < t.size else 0


cdef inline uint32_t c_at(const Text *t, Py_ssize_t p) noexcept nogil:
    return t.cps[p] if 0 <= p < t.size else 0


cdef inline bint space(const Text *t, Py_ssize_t p) noexcept nogil:
    return (f_at(t, p) & t.space) != 0


cdef inline bint letter(const Text *t, Py_ssize_t p) noexcept nogil:
    cdef uint16_t f = f_at(t, p)
    return (f & t.word) != 0 and (f & t.digit) == 0 and c_at(t, p) != 0x5F


cdef inline Py_ssize_t past_space(const Text *t, Py_ssize_t p, int step) noexcept nogil:
    while space(t, p):
        p += step
    return p


cdef inline Py_ssize_t letters(const Text *t, Py_ssize_t p, int step) noexcept nogil:
    """The run of letters from ``p`` on (or back), up to 13."""
    cdef Py_ssize_t n = 0
    while n < 13 and letter(t, p + step * n):
        n += 1
    return n


cdef inline bint is_digit(const Text *t, Py_ssize_t p) noexcept nogil:
    return (f_at(t, p) & t.digit) != 0


cdef inline bint year_at(const Text *t, Py_ssize_t p) noexcept nogil:
    """A run of exactly four digits begins at ``p`` and ends a word (``\\d{4}\\b`` closing a date)."""
    return (is_digit(t, p) and not is_digit(t, p - 1) and is_digit(t, p + 1) and is_digit(t, p + 2)
            and is_digit(t, p + 3) and (f_at(t, p + 4) & t.word) == 0)


def date_candidates(const uint32_t[::1] cps, const uint16_t[::1] flags, uint16_t f_space, uint16_t f_word,
                    uint16_t f_digit):
    """Where a date can begin (sorted, distinct), where a time can begin, and where a year is, in a
    text's code points and flags: as ``features._date_candidates_np``."""
    cdef Text t
    t.cps = &cps[0] if cps.shape[0] else NULL
    t.flags = &flags[0] if flags.shape[0] else NULL
    t.size = cps.shape[0]
    t.space, t.word, t.digit = f_space, f_word, f_digit
    dates, times, years = [], [], []
    cdef Py_ssize_t s = 0, e, length, p, q, a, b, first, k
    cdef uint32_t c, c0, c1
    cdef bint lead, short, four, found, year
    while s < t.size:
        if not is_digit(&t, s):
            s += 1
            continue
        e = s
        while e < t.size and is_digit(&t, e):
            e += 1
        length = e - s
        lead = (f_at(&t, s - 1) & t.word) == 0
        short = lead and length <= 2
        four = lead and length == 4
        c = c_at(&t, e)
        found = False
        # from a digit: "2024-11-18", "21.10.2011"
        if (short or four) and (c == 0x2D or c == 0x2F or c == 0x2E) and is_digit(&t, e + 1):
            found = True
        # "2011年10月"
        if not found and four and c_at(&t, past_space(&t, e, 1)) == 0x5E74:
            found = True
        # "18 Nov, 2024": 1 or 2 digits, a suffix or a dot or neither, whitespace, a word of 3 to 12
        # letters, an optional dot and comma, whitespace, a year
        if not found and short and (c == 0x2E or space(&t, e) or letter(&t, e)):
            p = e if space(&t, e) else (e + 1 if c == 0x2E else e + 2)
            if space(&t, p):
                q = past_space(&t, p, 1)
                k = letters(&t, q, 1)
                a = q + k
                a += c_at(&t, a) == 0x2E
                a += c_at(&t, a) == 0x2C
                if 3 <= k <= 12 and space(&t, a) and year_at(&t, past_space(&t, a, 1)):
                    found = True
        if found:
            dates.append(s)
        # from a month: "October 21, 2011": a word of 3 to 12 letters, an optional dot, whitespace,
        # 1 or 2 digits (this run), a suffix or not, an optional comma, whitespace, a year
        if length <= 2 and space(&t, s - 1):
            b = past_space(&t, s - 1, -1)
            b -= c_at(&t, b) == 0x2E
            k = letters(&t, b, -1)
            first = b - k + 1
            if 3 <= k <= 12 and (f_at(&t, first - 1) & t.word) == 0:
                year = False
                for a in (e, e + 2):  # without or with a suffix
                    a += c_at(&t, a) == 0x2C
                    if space(&t, a) and year_at(&t, past_space(&t, a, 1)):
                        year = True
                if year:
                    dates.append(first)
        # a time: 1 or 2 digits beginning a word, then a colon
        if short and c == 0x3A:
            times.append(s)
        # a year: a word of four digits, 18.., 19.. or 20..
        if four and (f_at(&t, e) & t.word) == 0:
            c0, c1 = c_at(&t, s), c_at(&t, s + 1)
            if (c0 == 0x31 and (c1 == 0x38 or c1 == 0x39)) or (c0 == 0x32 and c1 == 0x30):
                years.append(s)
        s = e
    return (np.unique(np.array(dates, dtype=np.int64)), np.array(times, dtype=np.int64),
            np.array(years, dtype=np.int64))


def any_spelled(const uint32_t[::1] cps, const int64_t[::1] pos, list words, list offsets):
    """Whether any of ``words`` (arrays of code points) begins its offset (of ``offsets``) characters
    after each of ``pos``: as ``features._marks_at_np`` asks, mark by mark."""
    out = np.zeros(pos.shape[0], dtype=np.bool_)
    cdef unsigned char[::1] hit = out
    cdef const uint32_t[::1] word
    cdef Py_ssize_t i, j, q, k, size = cps.shape[0]
    cdef bint ok
    for w in range(len(words)):
        word = words[w]
        k = offsets[w]
        for i in range(pos.shape[0]):
            if hit[i]:
                continue
            ok = True
            for j in range(word.shape[0]):
                q = pos[i] + k + j
                if q < 0 or q >= size or cps[q] != word[j]:
                    ok = False
                    break
            if ok:
                hit[i] = 1
    return out


def line_counts(const uint16_t[::1] flags, const int64_t[::1] starts, const int64_t[::1] lengths, dict bits):
    """Per line of the joined lines (``starts``, ``lengths``; a newline between two lines): upper-case
    letters, letters (upper case included), digits, punctuation, words (runs of letters and digits by
    class), capitalised words, ``\\w+`` runs, sentence ends (a sentence mark followed by whitespace, a
    closing mark or the end of the text) and commas, in one pass over the characters' flags. ``bits``:
    the flag bits and class numbers of :mod:`boiler.features`. The numpy form is the reference
    (``_line_counts_np``)."""
    cdef Py_ssize_t n = starts.shape[0], size = flags.shape[0], i, p, end
    cdef int shift = bits["class_shift"]
    cdef uint16_t c_letter = bits["letter"], c_upper = bits["upper"], c_digit = bits["digit"], c_punct = bits["punct"]
    cdef uint16_t f_word = bits["word"], f_sent = bits["sent"], f_comma = bits["comma"]
    cdef uint16_t f_after = bits["space"] | bits["sent_next"]
    cdef uint16_t f, cls
    cdef bint in_word, in_token, word
    cdef int64_t upper, letter, digit, punct, words, caps, tokens, sentences, commas
    out = [np.empty(n, dtype=np.float32) for _ in range(6)] + [np.empty(n, dtype=np.int64)] + \
        [np.empty(n, dtype=np.float32) for _ in range(2)]
    cdef float[::1] o_upper = out[0], o_letter = out[1], o_digit = out[2], o_punct = out[3], o_words = out[4]
    cdef float[::1] o_caps = out[5], o_sentences = out[7], o_commas = out[8]
    cdef int64_t[::1] o_tokens = out[6]
    for i in range(n):
        upper = letter = digit = punct = words = caps = tokens = sentences = commas = 0
        in_word = in_token = False  # the character before a line is the newline (or none)
        end = starts[i] + lengths[i]
        for p in range(starts[i], end):
            f = flags[p]
            cls = f >> shift
            word = cls == c_letter or cls == c_upper or cls == c_digit
            if cls == c_upper:
                upper += 1
            elif cls == c_letter:
                letter += 1
            elif cls == c_digit:
                digit += 1
            elif cls == c_punct:
                punct += 1
            if word and not in_word:
                words += 1
                caps += cls == c_upper
            in_word = word
            if f & f_word:
                tokens += not in_token
                in_token = True
            else:
                in_token = False
            if f & f_sent and (p + 1 >= size or flags[p + 1] & f_after):
                sentences += 1
            commas += (f & f_comma) != 0
        o_upper[i], o_letter[i], o_digit[i], o_punct[i] = upper, letter + upper, digit, punct
        o_words[i], o_caps[i], o_tokens[i], o_sentences[i], o_commas[i] = words, caps, tokens, sentences, commas
    return out


# -- word-evidence tokens -------------------------------------------------------------------------

cdef extern from "Python.h":
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch)
    bint Py_UNICODE_ISDECIMAL(Py_UCS4 ch)
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)


cdef inline bint _is_word(Py_UCS4 c) noexcept:
    """``\\w`` of a str pattern: alphanumeric (str.isalnum) or the underscore."""
    return c == 0x5F or Py_UNICODE_ISALNUM(c)


cdef str _folded_word(str low, Py_ssize_t a, Py_ssize_t b):
    """``low[a:b]`` (a run of word characters) with each run of decimal digits folded to one ``0``."""
    cdef Py_ssize_t p, n = 0
    cdef Py_UCS4 c
    cdef bint digits = False
    for p in range(a, b):
        if Py_UNICODE_ISDECIMAL(low[p]):
            digits = True
            break
    if not digits:
        return low[a:b]
    cdef Py_UCS4 *buf = <Py_UCS4 *> malloc((b - a) * sizeof(Py_UCS4))
    if buf == NULL:
        raise MemoryError()
    try:
        p = a
        while p < b:
            c = low[p]
            if Py_UNICODE_ISDECIMAL(c):
                buf[n] = 0x30
                while p < b and Py_UNICODE_ISDECIMAL(low[p]):
                    p += 1
            else:
                buf[n] = c
                p += 1
            n += 1
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n)
    finally:
        free(buf)


cdef bint _end_word(str low, Py_ssize_t size, Py_ssize_t parts, int step, Py_ssize_t *a, Py_ssize_t *b) noexcept:
    """The first run of word characters in the first ``parts`` whitespace-separated parts of ``low``
    (``step`` 1), or the last in the last ``parts`` (``step`` -1), into ``a``, ``b``; False where
    they have none."""
    cdef Py_ssize_t p = 0 if step > 0 else size - 1, q, seen = 0
    cdef bint in_part = False
    cdef Py_UCS4 c
    while 0 <= p < size:
        c = low[p]
        if Py_UNICODE_ISSPACE(c):
            in_part = False
        else:
            if not in_part:
                seen += 1
                if seen > parts:
                    return False
                in_part = True
            if _is_word(c):
                q = p
                while 0 <= q < size and _is_word(low[q]):
                    q += step
                if step > 0:
                    a[0], b[0] = p, q
                else:
                    a[0], b[0] = q + 1, p + 1
                return True
        p += step
    return False


def evidence_tokens(list texts, const int64_t[::1] n_words, Py_ssize_t short_words, Py_ssize_t end_parts,
                    int kind_ends, int kind_all):
    """The word-evidence tokens of each line (``features.line_tokens``, line by line) as the fields of a
    ``features.TokenRows``: each row's kind, first and last word, and the short lines' words, word
    counts and whole lines. A line of more than ``short_words + 2`` words (``n_words``, the features'
    count) needs only the first word of its first ``end_parts`` whitespace-separated parts and the last
    of its last ones; where either has none, and on every other line, all its words are found. Words
    are ``\\w+`` runs of the lower-cased line, each run of decimal digits folded to one ``0``."""
    cdef Py_ssize_t n = len(texts), i, p, size, count, a = 0, b = 0, first_a = 0, first_b = 0, last_a = 0, last_b = 0
    cdef Py_ssize_t a2 = 0, b2 = 0
    cdef str low
    kind = np.zeros(n, dtype=np.int8)
    cdef signed char[::1] k = kind
    first = [""] * n
    last = [""] * n
    words, counts, lines = [], [], []
    cdef list row
    for i in range(n):
        low = (<str> texts[i]).lower()
        size = len(low)
        if n_words[i] > short_words + 2 and _end_word(low, size, end_parts, 1, &a, &b) \
                and _end_word(low, size, end_parts, -1, &a2, &b2):
            first[i] = _folded_word(low, a, b)
            last[i] = _folded_word(low, a2, b2)
            k[i] = kind_ends
            continue
        row = []  # the words of a short line
        count = 0
        p = 0
        while p < size:
            if not _is_word(low[p]):
                p += 1
                continue
            a = p
            while p < size and _is_word(low[p]):
                p += 1
            count += 1
            if count == 1:
                first_a, first_b = a, p
            if count <= short_words:
                row.append(_folded_word(low, a, p))
            last_a, last_b = a, p
        if count == 0:
            continue
        if count <= short_words:
            first[i] = row[0]
            last[i] = row[count - 1]
            k[i] = kind_all
            words.extend(row)
            counts.append(count)
            lines.append(" ".join(row))
        else:
            first[i] = _folded_word(low, first_a, first_b)
            last[i] = _folded_word(low, last_a, last_b)
            k[i] = kind_ends
    return kind, first, last, words, np.array(counts, dtype=np.int64), lines


# -- the lines to judge ---------------------------------------------------------------------------

def judged_rows(list lines):
    """The lines with something to judge (a word character), stripped as ``str.strip`` strips them; their
    positions in ``lines``; and a number per distinct text folded to lower case (the first such text's
    rank among them), as ``features.extract`` numbers repeated lines."""
    cdef Py_ssize_t n = len(lines), i, a, b, p, m = 0
    cdef str s, t
    cdef bint word
    texts = []
    rows_arr = np.empty(n, dtype=np.int64)
    codes_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] rows = rows_arr, codes = codes_arr
    cdef dict ids = {}
    for i in range(n):
        s = lines[i]
        a, b = 0, len(s)
        while a < b and Py_UNICODE_ISSPACE(s[a]):
            a += 1
        while b > a and Py_UNICODE_ISSPACE(s[b - 1]):
            b -= 1
        word = False
        for p in range(a, b):
            if _is_word(s[p]):
                word = True
                break
        if not word:
            continue
        t = s[a:b]
        texts.append(t)
        rows[m] = i
        codes[m] = ids.setdefault(t.lower(), m)
        m += 1
    return texts, rows_arr[:m], codes_arr[:m]


def separator_counts(const int64_t[::1] mid, const uint16_t[::1] flags, const int64_t[::1] starts,
                     const int64_t[::1] page_first, uint16_t f_space):
    """:func:`boiler.features._separators_np` in one loop over the separator characters ``mid`` (sorted):
    per line, those that are not a page's first character, have whitespace on both sides (or the end
    of the text after them), and of a chain that shares a space (``" | | "``, two apart) every second."""
    cdef Py_ssize_t n = starts.shape[0], size = flags.shape[0], n_first = page_first.shape[0]
    cdef Py_ssize_t j, line = 0, pf = 0, chain = 0
    cdef int64_t q, last = -3  # the last character that passed the tests (none: not two before any)
    out = np.zeros(n, dtype=np.float32)
    cdef float[::1] o = out
    for j in range(mid.shape[0]):
        q = mid[j]
        if n_first:
            while pf < n_first - 1 and page_first[pf] < q:
                pf += 1
            if page_first[pf] == q:
                continue
        # (numpy's flags[q - 1] at q = 0 is the last flag; q = 0 is the first page's first character)
        if (flags[q - 1 if q > 0 else size - 1] & f_space) == 0:
            continue
        if q + 1 != size and (flags[q + 1 if q + 1 < size else size - 1] & f_space) == 0:
            continue
        chain = chain + 1 if q - last == 2 else 0
        last = q
        if chain % 2:
            continue
        while line + 1 < n and starts[line + 1] <= q - 1:
            line += 1
        o[line] += 1
    return out
