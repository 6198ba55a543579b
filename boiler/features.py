"""Line features, computed for every line of a batch of pages at once.

All features are declared in :data:`FEATURES` (name, group, description), in column order, so a
reason can name them. Lines with no word character ("nothing to judge") get no row: they are
described instead by the blank-line gaps of their neighbours.

The hot path is vectorised: the non-blank lines of the whole batch are joined into one string,
its characters classified with numpy, and each regular expression runs once over the joined text,
its matches mapped back to lines with ``searchsorted``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Feature",
    "FEATURES",
    "FEATURE_NAMES",
    "CONTEXT_FEATURES",
    "CONTEXT_OFFSETS",
    "LineBatch",
    "extract",
    "context_window",
    "line_tokens",
    "batch_tokens",
    "normalise_line",
    "has_word",
    "DATE_PATTERN",
    "TIME_PATTERN",
]

#: A line with at least this many words is a "long" line (a candidate paragraph).
LONG_LINE_WORDS = 12
#: A line with at most this many words is "short": its words feed the learned word evidence.
SHORT_LINE_WORDS = 6
#: Paragraph lines separated by at most this many other lines belong to the same run of text.
MAIN_RUN_GAP = 3
#: More blank lines than this between two paragraph lines break the run of text.
MAIN_RUN_BLANKS = 3
#: This many blank lines or more start a new segment (a block of lines read together).
SEGMENT_GAP = 2
#: Neighbours (within ``REPEAT_NEAR`` lines) with the same text mark a repeated-headline list.
REPEAT_NEAR = 3
#: Blank-line gaps are capped at this many lines.
GAP_CAP = 5
#: Share of a line's characters covered by dates and times above which it is "only a date".
DATE_ONLY_SHARE = 0.6


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    group: str
    description: str


def _f(name: str, group: str, description: str) -> Feature:
    return Feature(name, group, description)


#: The per-line features, in column order.
FEATURES: tuple[Feature, ...] = (
    _f("chars", "length", "length in characters (log)"),
    _f("words", "length", "length in words (log)"),
    _f("mean_word_len", "length", "mean word length"),
    _f("long_line", "length", f"at least {LONG_LINE_WORDS} words"),
    _f("len_vs_page_max", "length", "length relative to the page's longest line"),
    _f("len_vs_page_median", "length", "length relative to the page's median line (log ratio)"),
    _f("alpha_share", "characters", "share of letters"),
    _f("digit_share", "characters", "share of digits"),
    _f("punct_share", "characters", "share of punctuation and symbols"),
    _f("upper_share", "letter case", "share of upper-case letters"),
    _f("title_share", "letter case", "share of words starting with a capital"),
    _f("starts_upper", "letter case", "starts with a capital letter"),
    _f("ends_sentence", "punctuation", "ends with sentence punctuation"),
    _f("ends_ellipsis", "punctuation", "ends with an ellipsis (a truncated teaser)"),
    _f("ends_colon", "punctuation", "ends with a colon"),
    _f("sentences", "punctuation", "number of sentence ends (log)"),
    _f("comma_rate", "punctuation", "commas per word"),
    _f("starts_bullet", "punctuation", "starts with a bullet, arrow or pipe"),
    _f("separators", "punctuation", "menu separators such as | · • » (log count)"),
    _f("paren_count", "punctuation", "ends with a count in parentheses, like (29)"),
    _f("has_url", "punctuation", "contains a web address or e-mail"),
    _f("copyright", "punctuation", "contains ©, ® or (c)"),
    _f("has_date", "date", "contains a date"),
    _f("has_time", "date", "contains a time of day"),
    _f("has_year", "date", "contains a year"),
    _f("date_share", "date", "share of the line that is dates and times"),
    _f("date_only", "date", "the line is only a date or time"),
    _f("number_word", "date", "a short number-and-word line, like '3 hours ago' or '12 comments'"),
    _f("repeats", "repetition", "other lines on the page with the same text (log)"),
    _f("repeat_near", "repetition", f"the same text within {REPEAT_NEAR} lines (a headline list)"),
    _f("gap_before", "block", "blank lines before"),
    _f("gap_after", "block", "blank lines after"),
    _f("run_short", "block", "length of the run of short lines around it (log)"),
    _f("run_long", "block", "length of the run of long lines around it (log)"),
    _f("long_nearby", "block", "long lines within 5 lines"),
    _f("seg_lines", "block", "lines in its segment (lines between runs of blank lines; log)"),
    _f("seg_sentence_share", "block", "share of its segment's lines that end a sentence"),
    _f("seg_long_share", "block", "share of its segment's lines that are long"),
    _f("seg_pos", "block", "relative position within its segment"),
    _f("in_main", "block", "inside the page's main run of paragraphs"),
    _f("before_main", "block", "lines before the main run (log)"),
    _f("after_main", "block", "lines after the main run (log)"),
    _f("pos_rel", "position", "relative position on the page"),
    _f("from_start", "position", "lines from the start (log)"),
    _f("from_end", "position", "lines from the end (log)"),
    _f("char_pos", "position", "share of the page's text before the line"),
    _f("long_share_before", "position", "share of the page's long-line text before the line"),
    _f("page_lines", "page", "lines on the page (log)"),
    _f("page_long_share", "page", "share of the page's lines that are long"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
_COL = {name: i for i, name in enumerate(FEATURE_NAMES)}

#: Features repeated for the neighbours in the context window (with the learned word evidence).
CONTEXT_FEATURES: tuple[str, ...] = (
    "chars", "words", "ends_sentence", "ends_ellipsis", "title_share", "digit_share",
    "date_only", "has_date", "repeats", "repeat_near", "long_line", "gap_before",
)
#: Neighbour offsets of the context window (in non-blank lines).
CONTEXT_OFFSETS: tuple[int, ...] = (-2, -1, 1, 2)

# Regular expressions: immutable, compiled once.
_LETTERS = r"[^\W\d_]"
# Written for speed, matching as the plain forms in the comments do: the one word boundary checked
# once before the alternatives, letter runs possessive (a letter after them can never match), and
# a pattern that starts with a digit written as ``\d(?<!\w\d)`` (a digit with no word character
# before it, i.e. ``\b\d``), so the regex engine skips ahead to the next digit.
_DATE = re.compile(
    r"\b(?=\w)(?:"
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b"  # 2024-11-18
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"  # 21.10.2011, 04/08/05
    rf"|\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+{_LETTERS}{{3,12}}+\.?,?\s+\d{{4}}\b"  # 18 Nov, 2024
    rf"|{_LETTERS}{{3,12}}+\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"  # October 21, 2011
    rf"|\d{{4}}\s*年\s*\d{{1,2}}\s*月(?:\s*\d{{1,2}}\s*日)?"  # 2011年10月21日
    r")"
)
#: ``\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\b\.?)?``
_TIME = re.compile(r"\d(?<!\w\d)\d?:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\b\.?)?")
#: ``\b(?:1[89]|20)\d{2}\b``
#: Public names of the date and time patterns (site templates mask them in line shapes).
DATE_PATTERN, TIME_PATTERN = _DATE, _TIME
_YEAR = re.compile(r"[12](?<!\w[12])(?:(?<=1)[89]|(?<=2)0)\d{2}\b")
_URL_MARKS = ("://", "www.", "@", ".com", ".org", ".net", "WWW.", ".COM")
_COPYRIGHT_MARKS = ("©", "®", "(c)", "(C)")
_PAREN_COUNT = re.compile(r"\(\d+\)\s*$", re.MULTILINE)
_NUMBER_WORD = re.compile(rf"^\W*\d[\d,.]*\s*{_LETTERS}+(?:\s+{_LETTERS}+)?\W*$", re.MULTILINE)
_SENTENCE_END = re.compile(r"[.!?。！？](?=[\s\"'”’)\]»]|$)", re.MULTILINE)
_CLOSERS = "\"'”’)]»›*"
_SENTENCE_PUNCT = frozenset(".!?。！？")
_BULLETS = frozenset("•·-–—*»›>|▪►◦●■□+~")
_SEPARATORS = re.compile(r"\s[|·•»›/]\s|\s-\s")
_WORD_RE = re.compile(r"\w+")
_DIGITS = re.compile(r"\d")
_DIGIT_FOLD = str.maketrans("123456789", "000000000")
_DIGIT_RUN = re.compile(r"\d+")

# Character classes for the numpy classifier.
_C_OTHER, _C_LETTER, _C_UPPER, _C_DIGIT, _C_PUNCT, _C_SPACE = range(6)


@functools.cache
def _class_table() -> np.ndarray:
    """Class of each BMP code point (other code points count as letters)."""
    table = np.zeros(0x10000, dtype=np.uint8)
    for cp in range(0x10000):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat == "Lu" or cat == "Lt":
            table[cp] = _C_UPPER
        elif cat[0] == "L" or cat[0] == "M":
            table[cp] = _C_LETTER
        elif cat == "Nd":
            table[cp] = _C_DIGIT
        elif cat[0] in "PS":
            table[cp] = _C_PUNCT
        elif ch.isspace():
            table[cp] = _C_SPACE
    return table


def normalise_line(line: str) -> str:
    """Case, digits and spacing folded: the key under which repeated lines are counted."""
    low = line.lower()
    if _DIGITS.search(low) is not None:  # most lines have no digit: skip the (slow) translate
        low = low.translate(_DIGIT_FOLD)
    return " ".join(low.split())


def _token_words(text: str) -> list[str]:
    """Lower-case words, each run of digits folded to one ``0`` (so '45 comments' and '167 comments' agree)."""
    text = text.lower()
    if _DIGITS.search(text):
        text = _DIGIT_RUN.sub("0", text)
    return _WORD_RE.findall(text)


def line_tokens(line: str, n_words: int | None = None) -> list[str]:
    """Tokens for the learned word evidence: first and last word; all words and the whole line if short.

    ``n_words`` (when known) lets a long line skip the full tokenisation.
    """
    if n_words is not None and n_words > SHORT_LINE_WORDS + 2:
        parts = line.split()
        head = _token_words(parts[0]) or _token_words(" ".join(parts[:3]))
        tail = _token_words(parts[-1]) or _token_words(" ".join(parts[-3:]))
        if head and tail:
            return ["f:" + head[0], "l:" + tail[-1]]
    words = _token_words(line)
    if not words:
        return []
    toks = ["f:" + words[0], "l:" + words[-1]]
    if len(words) <= SHORT_LINE_WORDS:
        toks.extend("w:" + w for w in words)
        toks.append("L:" + " ".join(words))
    return toks


_FIRST_WORD = re.compile(r"^[^\w\n]*(\w*)", re.MULTILINE)


def _folded(parts: list[str]) -> str:
    """``parts`` joined by newlines, lower-cased and digit-folded as :func:`_token_words` does."""
    return _DIGIT_RUN.sub("0", "\n".join(parts).lower())


def batch_tokens(texts: Sequence[str], n_words: Sequence[int]) -> list[list[str]]:
    """``[line_tokens(t, n) for t, n in zip(texts, n_words)]``, with the string work done per batch.

    Long lines need only their first and last words: those of all long lines are found by one
    regular expression over the joined first (and, reversed, last) whitespace-separated parts.
    Short lines are lower-cased and digit-folded together, then split into words line by line.
    """
    out: list[list[str] | None] = [None] * len(texts)
    if any("\n" in t for t in texts):  # the joined passes below need one line per text
        return [line_tokens(t, n) for t, n in zip(texts, n_words)]
    long_rows = [k for k, n in enumerate(n_words) if n > SHORT_LINE_WORDS + 2]
    if long_rows:
        long_texts = [texts[k] for k in long_rows]
        heads = _FIRST_WORD.findall(_folded([t.split(None, 1)[0] for t in long_texts]))
        # last words: the first words of the folded last parts read backwards (lines in reverse order)
        tails = _FIRST_WORD.findall(_folded([t.rsplit(None, 1)[-1] for t in long_texts])[::-1])[::-1]
        for k, head, tail in zip(long_rows, heads, tails):
            if head and tail:
                out[k] = ["f:" + head, "l:" + tail[::-1]]
            else:  # the first or last part has no word: look further in, as line_tokens does
                out[k] = line_tokens(texts[k], n_words[k])
    short_rows = [k for k, n in enumerate(n_words) if n <= SHORT_LINE_WORDS + 2]
    if short_rows:
        folded = _folded([texts[k] for k in short_rows]).split("\n")
        findall = _WORD_RE.findall
        for k, line in zip(short_rows, folded):
            words = findall(line)
            if not words:
                out[k] = []
            elif len(words) <= SHORT_LINE_WORDS:
                out[k] = ["f:" + words[0], "l:" + words[-1], *["w:" + w for w in words], "L:" + " ".join(words)]
            else:
                out[k] = ["f:" + words[0], "l:" + words[-1]]
    return out  # type: ignore[return-value]


@dataclass(slots=True)
class LineBatch:
    """Features of the non-blank lines of a batch of pages.

    ``X[k]`` describes line ``line_index[k]`` of page ``page_index[k]``; ``texts[k]`` is that line.
    ``page_start[p]:page_start[p+1]`` are the rows of page ``p``.
    """

    X: np.ndarray
    page_index: np.ndarray
    line_index: np.ndarray
    page_start: np.ndarray
    texts: list[str]
    n_lines: list[int]

    @property
    def n_rows(self) -> int:
        return len(self.texts)


def _per_line_counts(pattern: re.Pattern, text: str, starts: np.ndarray, n: int) -> np.ndarray:
    """How many matches of ``pattern`` start on each line of the joined text."""
    pos = [m.start() for m in pattern.finditer(text)]
    if not pos:
        return np.zeros(n, dtype=np.float32)
    idx = np.searchsorted(starts, np.asarray(pos), side="right") - 1
    return np.bincount(idx, minlength=n).astype(np.float32)


def _per_line_span(pattern: re.Pattern, text: str, starts: np.ndarray, n: int) -> np.ndarray:
    """How many characters of each line are covered by matches of ``pattern``."""
    spans = [(m.start(), m.end()) for m in pattern.finditer(text)]
    if not spans:
        return np.zeros(n, dtype=np.float32)
    arr = np.asarray(spans)
    idx = np.searchsorted(starts, arr[:, 0], side="right") - 1
    return np.bincount(idx, weights=arr[:, 1] - arr[:, 0], minlength=n).astype(np.float32)


def _per_line_substrings(marks: Sequence[str], text: str, starts: np.ndarray, n: int) -> np.ndarray:
    """How many occurrences of any of ``marks`` start on each line (``str.find`` runs at memchr speed)."""
    pos: list[int] = []
    for mark in marks:
        i = text.find(mark)
        while i >= 0:
            pos.append(i)
            i = text.find(mark, i + 1)
    if not pos:
        return np.zeros(n, dtype=np.float32)
    idx = np.searchsorted(starts, np.asarray(pos), side="right") - 1
    return np.bincount(idx, minlength=n).astype(np.float32)


def _runs(flag: np.ndarray, page: np.ndarray) -> np.ndarray:
    """Length of the run of equal ``flag`` values (within a page) that each row belongs to."""
    n = len(flag)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    new = np.ones(n, dtype=bool)
    new[1:] = (flag[1:] != flag[:-1]) | (page[1:] != page[:-1])
    run_id = np.cumsum(new) - 1
    return np.bincount(run_id)[run_id].astype(np.float32)


def _main_run(para: np.ndarray, chars: np.ndarray, rank: np.ndarray, page: np.ndarray,
              line_index: np.ndarray, n_rows_page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last row rank of each page's main run: paragraph lines at most MAIN_RUN_GAP rows
    and MAIN_RUN_BLANKS blank lines apart, with the most text."""
    n_pages = len(n_rows_page)
    first = np.full(n_pages, -1, dtype=np.int64)
    last = np.full(n_pages, -1, dtype=np.int64)
    li = np.flatnonzero(para)
    if len(li) == 0:
        return first, last
    lp, lr, ll = page[li], rank[li], line_index[li]
    new = np.ones(len(li), dtype=bool)
    row_gap = lr[1:] - lr[:-1]
    blanks = (ll[1:] - ll[:-1]) - row_gap
    new[1:] = (lp[1:] != lp[:-1]) | (row_gap > MAIN_RUN_GAP + 1) | (blanks > MAIN_RUN_BLANKS)
    gid = np.cumsum(new) - 1
    gsum = np.bincount(gid, weights=chars[li])
    gpage = lp[new]
    gfirst = lr[new]
    glast = np.zeros(len(gsum), dtype=np.int64)
    glast[gid] = lr  # rows are in order, so the last write per group wins
    # best group per page: sort by (page, -sum) and take the first of each page
    order = np.lexsort((-gsum, gpage))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = gpage[order][1:] != gpage[order][:-1]
    best = order[keep]
    first[gpage[best]] = gfirst[best]
    last[gpage[best]] = glast[best]
    return first, last


def _shift(values: np.ndarray, page: np.ndarray, offset: int, fill: float) -> np.ndarray:
    """``values`` of the row ``offset`` away in the same page (``fill`` past the page's edge)."""
    out = np.full_like(values, fill)
    n = len(values)
    if offset > 0 and offset < n:
        same = page[offset:] == page[:-offset]
        out[:-offset][same] = values[offset:][same]
    elif offset < 0 and -offset < n:
        k = -offset
        same = page[:-k] == page[k:]
        out[k:][same] = values[:-k][same]
    return out


def context_window(M: np.ndarray, page: np.ndarray, offsets: Sequence[int], fill: float = -1.0) -> np.ndarray:
    """Columns of ``M`` for the rows at each offset (same page), side by side: shape (n, len(offsets)*k)."""
    if M.ndim == 1:
        M = M[:, None]
    return np.hstack([_shift(M, page, off, fill) for off in offsets]) if offsets else M[:, :0]


def extract(pages: Sequence[Sequence[str]]) -> LineBatch:
    """Features of every non-blank line of ``pages`` (each a sequence of lines)."""
    texts: list[str] = []
    page_index: list[np.ndarray] = []
    line_index: list[np.ndarray] = []
    gap_before: list[np.ndarray] = []
    gap_after: list[np.ndarray] = []
    repeats: list[int] = []
    repeat_near: list[int] = []
    page_start = [0]
    for p, lines in enumerate(pages):
        stripped = [line.strip() for line in lines]
        keep = [i for i, s in enumerate(stripped) if s and (s[0].isalnum() or _WORD_RE.search(s))]
        kept = [stripped[i] for i in keep]
        texts.extend(kept)
        idx = np.asarray(keep, dtype=np.int64)
        line_index.append(idx)
        page_index.append(np.full(len(keep), p, dtype=np.int64))
        bounds = np.concatenate(([-1], idx, [len(lines)]))
        gaps = np.minimum(np.diff(bounds) - 1, GAP_CAP)
        gap_before.append(gaps[:-1])
        gap_after.append(gaps[1:])
        keys = [s.lower() for s in kept]
        counts = Counter(keys)
        if len(counts) == len(keys):
            repeats.extend([0] * len(keys))
            repeat_near.extend([0] * len(keys))
        else:
            repeats.extend(counts[k] - 1 for k in keys)
            repeat_near.extend(
                1 if counts[k] > 1 and keys[max(0, j - REPEAT_NEAR):j + REPEAT_NEAR + 1].count(k) > 1 else 0
                for j, k in enumerate(keys))
        page_start.append(len(texts))

    n = len(texts)
    X = np.zeros((n, len(FEATURES)), dtype=np.float32)
    page = np.concatenate(page_index) if page_index else np.zeros(0, dtype=np.int64)
    lines_idx = np.concatenate(line_index) if line_index else np.zeros(0, dtype=np.int64)
    starts_arr = np.asarray(page_start, dtype=np.int64)
    if n == 0:
        return LineBatch(X, page, lines_idx, starts_arr, texts, [len(p) for p in pages])

    joined = "\n".join(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    starts[1:] = np.cumsum(lengths[:-1] + 1)

    # A lone surrogate (possible in a str, not in text read from a file) is a code point of class "other".
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _class_table()
    cls = np.where(cps < 0x10000, table[np.minimum(cps, 0xFFFF)], _C_LETTER)
    is_upper = cls == _C_UPPER
    is_letter = (cls == _C_LETTER) | is_upper
    is_digit = cls == _C_DIGIT
    is_word = is_letter | is_digit
    word_start = is_word.copy()
    word_start[1:] &= ~is_word[:-1]
    cap_start = word_start & is_upper

    line_of_char = np.repeat(np.arange(n + 1), np.append(lengths + 1, 0))[: len(cls)]
    by_class = np.bincount(line_of_char * 8 + cls, minlength=8 * n).reshape(n, 8).astype(np.float32)
    n_upper = by_class[:, _C_UPPER]
    n_letters = by_class[:, _C_LETTER] + n_upper
    n_digits = by_class[:, _C_DIGIT]
    n_punct = by_class[:, _C_PUNCT]
    n_wordchars = n_letters + n_digits
    n_words = np.bincount(line_of_char[word_start], minlength=n).astype(np.float32)
    n_caps = np.bincount(line_of_char[cap_start], minlength=n).astype(np.float32)
    chars = lengths.astype(np.float32)
    safe_words = np.maximum(n_words, 1)

    col = _COL
    X[:, col["chars"]] = np.log1p(chars)
    X[:, col["words"]] = np.log1p(n_words)
    X[:, col["mean_word_len"]] = n_wordchars / safe_words
    long_line = n_words >= LONG_LINE_WORDS
    X[:, col["long_line"]] = long_line
    X[:, col["alpha_share"]] = n_letters / chars
    X[:, col["digit_share"]] = n_digits / chars
    X[:, col["punct_share"]] = n_punct / chars
    X[:, col["upper_share"]] = n_upper / np.maximum(n_letters, 1)
    X[:, col["title_share"]] = n_caps / safe_words

    first_chars = [t[0] for t in texts]
    tails = [t.rstrip(_CLOSERS) or t for t in texts]
    X[:, col["starts_upper"]] = [c.isupper() for c in first_chars]
    X[:, col["starts_bullet"]] = [c in _BULLETS for c in first_chars]
    X[:, col["ends_sentence"]] = [t[-1] in _SENTENCE_PUNCT and not t.endswith("...") for t in tails]
    X[:, col["ends_ellipsis"]] = [t.endswith(("...", "…")) for t in tails]
    X[:, col["ends_colon"]] = [t[-1] == ":" for t in tails]

    X[:, col["sentences"]] = np.log1p(_per_line_counts(_SENTENCE_END, joined, starts, n))
    X[:, col["comma_rate"]] = np.fromiter((t.count(",") for t in texts), dtype=np.float32, count=n) / safe_words
    X[:, col["separators"]] = np.log1p(_per_line_counts(_SEPARATORS, joined, starts, n))
    X[:, col["has_url"]] = _per_line_substrings(_URL_MARKS, joined, starts, n) > 0
    X[:, col["copyright"]] = _per_line_substrings(_COPYRIGHT_MARKS, joined, starts, n) > 0

    # Dates, times and numbers: only lines with a digit can match, so scan just those.
    with_digit = np.flatnonzero(n_digits > 0)
    if len(with_digit):
        d_texts = [texts[k] for k in with_digit]
        d_joined = "\n".join(d_texts)
        d_len = lengths[with_digit]
        d_starts = np.zeros(len(d_texts), dtype=np.int64)
        d_starts[1:] = np.cumsum(d_len[:-1] + 1)
        m = len(d_texts)
        date_chars = _per_line_span(_DATE, d_joined, d_starts, m)
        time_chars = _per_line_span(_TIME, d_joined, d_starts, m)
        X[with_digit, col["has_date"]] = date_chars > 0
        X[with_digit, col["has_time"]] = time_chars > 0
        X[with_digit, col["has_year"]] = _per_line_counts(_YEAR, d_joined, d_starts, m) > 0
        date_share = np.minimum((date_chars + time_chars) / d_len, 1.0)
        X[with_digit, col["date_share"]] = date_share
        X[with_digit, col["date_only"]] = date_share >= DATE_ONLY_SHARE
        X[with_digit, col["number_word"]] = _per_line_counts(_NUMBER_WORD, d_joined, d_starts, m) > 0
        X[with_digit, col["paren_count"]] = _per_line_counts(_PAREN_COUNT, d_joined, d_starts, m) > 0

    X[:, col["repeats"]] = np.log1p(np.asarray(repeats, dtype=np.float32))
    X[:, col["repeat_near"]] = repeat_near
    X[:, col["gap_before"]] = np.concatenate(gap_before)
    X[:, col["gap_after"]] = np.concatenate(gap_after)

    # Position and page-level features.
    rows_per_page = np.diff(starts_arr)
    rank = np.arange(n) - starts_arr[page]
    n_page = rows_per_page[page].astype(np.float32)
    X[:, col["pos_rel"]] = rank / np.maximum(n_page - 1, 1)
    X[:, col["from_start"]] = np.log1p(rank)
    X[:, col["from_end"]] = np.log1p(n_page - 1 - rank)
    X[:, col["page_lines"]] = np.log1p(n_page)

    # Running sums over the batch in integers, so a page's features do not depend on the pages before
    # it in the batch (float32 sums lose whole characters past 16 million).
    cum_chars = np.cumsum(lengths) - lengths
    page_chars = np.bincount(page, weights=chars, minlength=len(rows_per_page))
    page_first_cum = cum_chars[np.minimum(starts_arr[:-1], n - 1)]
    X[:, col["char_pos"]] = (cum_chars - page_first_cum[page]) / np.maximum(page_chars[page], 1)

    long_chars = lengths * long_line
    cum_long = np.cumsum(long_chars) - long_chars
    page_long = np.bincount(page, weights=long_chars, minlength=len(rows_per_page))
    X[:, col["long_share_before"]] = (cum_long - cum_long[np.minimum(starts_arr[:-1], n - 1)][page]) / \
        np.maximum(page_long[page], 1)
    page_long_count = np.bincount(page, weights=long_line, minlength=len(rows_per_page))
    X[:, col["page_long_share"]] = page_long_count[page] / n_page

    page_max = np.zeros(len(rows_per_page), dtype=np.float32)
    np.maximum.at(page_max, page, chars)
    X[:, col["len_vs_page_max"]] = chars / np.maximum(page_max[page], 1)
    order = np.lexsort((chars, page))
    mid = starts_arr[:-1] + rows_per_page // 2
    medians = np.where(rows_per_page > 0, chars[order][np.minimum(mid, n - 1)], 1)
    X[:, col["len_vs_page_median"]] = np.log(chars / np.maximum(medians[page], 1))

    X[:, col["run_short"]] = np.log1p(np.where(long_line, 0, _runs(long_line, page)))
    X[:, col["run_long"]] = np.log1p(np.where(long_line, _runs(long_line, page), 0))
    csum_long = np.concatenate(([0], np.cumsum(long_line)))
    lo = np.maximum(np.arange(n) - 5, starts_arr[page])
    hi = np.minimum(np.arange(n) + 6, starts_arr[page + 1])
    X[:, col["long_nearby"]] = csum_long[hi] - csum_long[lo] - long_line

    ends_sentence = X[:, col["ends_sentence"]] > 0
    para = long_line & (X[:, col["sentences"]] > 0)
    first, last = _main_run(para, chars, rank, page, lines_idx, rows_per_page)
    f, l_ = first[page], last[page]
    has_main = f >= 0
    X[:, col["in_main"]] = has_main & (rank >= f) & (rank <= l_)
    X[:, col["before_main"]] = np.where(has_main, np.log1p(np.maximum(f - rank, 0)), -1)
    X[:, col["after_main"]] = np.where(has_main, np.log1p(np.maximum(rank - l_, 0)), -1)

    # Segments: runs of lines between SEGMENT_GAP or more blank lines.
    new_seg = (X[:, col["gap_before"]] >= SEGMENT_GAP) | (rank == 0)
    seg = np.cumsum(new_seg) - 1
    seg_n = np.bincount(seg).astype(np.float32)
    seg_first = np.flatnonzero(new_seg)
    X[:, col["seg_lines"]] = np.log1p(seg_n[seg])
    X[:, col["seg_sentence_share"]] = (np.bincount(seg, weights=ends_sentence) / seg_n)[seg]
    X[:, col["seg_long_share"]] = (np.bincount(seg, weights=long_line) / seg_n)[seg]
    X[:, col["seg_pos"]] = (np.arange(n) - seg_first[seg]) / np.maximum(seg_n[seg] - 1, 1)

    return LineBatch(X, page, lines_idx, starts_arr, texts, [len(p) for p in pages])


def has_word(s: str) -> bool:
    """The (stripped, non-empty) line has a word character: something to judge."""
    # Fast path: most lines start with a letter or digit.
    return s[0].isalnum() or _WORD_RE.search(s) is not None
