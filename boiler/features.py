"""Line features, computed for every line of a batch of pages at once.

All features are declared in :data:`FEATURES` (name, group, description), in column order, so a
reason can name them. Lines with no word character ("nothing to judge") get no row: they are
described instead by the blank-line gaps of their neighbours.

The hot path is vectorised: the non-blank lines of the whole batch are joined into one string and
its characters classified with numpy (by table lookup of each code point). Sentence ends, menu
separators, the first and last characters, years, and where a date or time can begin are found from
these classes; the date and time patterns are then tried only at those places, and the few other
regular expressions run once over the joined text, their matches mapped back to lines with
``searchsorted``. Each of these gives exactly what the plain per-line or ``finditer`` form gives
over each page alone, its lines joined by newlines (tests/test_features.py checks them against it):
no scan runs from one page into the next, so a page gets the same features alone and in any batch.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CONTEXT_FEATURES",
    "CONTEXT_OFFSETS",
    "DATE_PATTERN",
    "FEATURES",
    "FEATURE_NAMES",
    "TIME_PATTERN",
    "Feature",
    "LineBatch",
    "TokenRows",
    "batch_tokens",
    "context_window",
    "extract",
    "has_word",
    "judged_lines",
    "line_tokens",
    "normalise_line",
]

#: A line with at least this many words is a "long" line (a candidate paragraph).
LONG_LINE_WORDS = 12
#: A line with at most this many words is "short": its words feed the learned word evidence.
SHORT_LINE_WORDS = 6
#: A long line's first word is looked for in its first this many whitespace-separated parts, its last
#: word in its last ones (as :func:`line_tokens` does).
END_PARTS = 3
#: Paragraph lines separated by at most this many other lines belong to the same run of text.
MAIN_RUN_GAP = 3
#: More blank lines than this between two paragraph lines break the run of text.
MAIN_RUN_BLANKS = 3
#: This many blank lines or more start a new segment (a block of lines read together).
SEGMENT_GAP = 2
#: Neighbours (within ``REPEAT_NEAR`` lines) with the same text mark a repeated-headline list.
REPEAT_NEAR = 3
#: Stands between two pages' lines where a scan over a batch's joined text must not run from one page
#: into the next (dates): neither whitespace nor a word character, so no pattern crosses it.
PAGE_BREAK = "\x00"
#: Blank-line gaps are capped at this many lines.
GAP_CAP = 5
#: Rows each side counted by ``long_nearby``.
NEARBY_ROWS = 5
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
    _f("long_nearby", "block", f"long lines within {NEARBY_ROWS} lines"),
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
        head = _token_words(parts[0]) or _token_words(" ".join(parts[:END_PARTS]))
        tail = _token_words(parts[-1]) or _token_words(" ".join(parts[-END_PARTS:]))
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


#: Kinds of token rows: no word; first and last word only; every word and the whole line too.
_T_NONE, _T_ENDS, _T_ALL = 0, 1, 2


class TokenRows(Sequence):
    """The word-evidence tokens of a batch's lines (what :func:`line_tokens` gives each line), held flat.

    Row ``k`` has no tokens (``kind[k] == 0``); its first and last word (``f:``, ``l:``; kind 1); or
    also each word and the whole line (``w:``, ``L:``; kind 2, a short line). ``first`` and ``last``
    hold each row's first and last word ("" for none); the rows of kind 2, in order, have
    ``counts`` words each in ``words`` and their whole line (words joined by a space) in ``lines``.
    :meth:`~boiler.model.WordEvidence.transform` reads these lists directly; indexing or iterating
    gives each row's token list.
    """

    __slots__ = ("_offsets", "counts", "first", "kind", "last", "lines", "words")

    def __init__(self, kind: np.ndarray, first: list[str], last: list[str], words: list[str],
                 counts: np.ndarray, lines: list[str]):
        self.kind = kind
        self.first = first
        self.last = last
        self.words = words
        self.counts = counts
        self.lines = lines
        self._offsets: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, rows: Sequence[Sequence[str]]) -> TokenRows:
        """The rows of token lists as made by :func:`line_tokens`."""
        kind = np.zeros(len(rows), dtype=np.int8)
        first, last, words, counts, lines = [""] * len(rows), [""] * len(rows), [], [], []
        for k, toks in enumerate(rows):
            if not toks:
                continue
            first[k], last[k] = toks[0][2:], toks[1][2:]
            if len(toks) > 2:
                kind[k] = _T_ALL
                words.extend(t[2:] for t in toks[2:-1])
                counts.append(len(toks) - 3)
                lines.append(toks[-1][2:])
            else:
                kind[k] = _T_ENDS
        return cls(kind, first, last, words, np.asarray(counts, dtype=np.int64), lines)

    def __len__(self) -> int:
        return len(self.kind)

    def _row(self, k: int) -> list[str]:
        kind = self.kind[k]
        if kind == _T_NONE:
            return []
        toks = ["f:" + self.first[k], "l:" + self.last[k]]
        if kind == _T_ALL:
            if self._offsets is None:
                rank = np.cumsum(self.kind == _T_ALL) - 1
                self._offsets = (rank, np.concatenate(([0], np.cumsum(self.counts))))
            rank, offsets = self._offsets
            j = int(rank[k])
            toks.extend("w:" + w for w in self.words[offsets[j]:offsets[j + 1]])
            toks.append("L:" + self.lines[j])
        return toks

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self._row(i) for i in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        return self._row(k)

    def __iter__(self):
        return (self._row(k) for k in range(len(self)))

    def __eq__(self, other) -> bool:
        if isinstance(other, (TokenRows, list, tuple)):
            return len(self) == len(other) and all(a == list(b) for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TokenRows({list(self)!r})"


def _long_line_tokens(line: str, n_words: int) -> list[str]:
    """``line_tokens(line, n_words)`` of a long line, splitting off only the first and last three parts."""
    head_parts, tail_parts = line.split(None, END_PARTS)[:END_PARTS], line.rsplit(None, END_PARTS)[-END_PARTS:]
    if head_parts:
        head = _token_words(head_parts[0]) or _token_words(" ".join(head_parts))
        tail = _token_words(tail_parts[-1]) or _token_words(" ".join(tail_parts))
        if head and tail:
            return ["f:" + head[0], "l:" + tail[-1]]
    return line_tokens(line, n_words)


def _long_line_ends(texts: list[str]) -> tuple[list[str], list[str]]:
    """The folded first word of each line's first whitespace-separated part, and the last word of its
    last part ("" where that part has none), by one regular expression over the joined parts (the
    last parts joined and read backwards)."""
    heads = _FIRST_WORD.findall(_folded([t.split(None, 1)[0] for t in texts]))
    tails = _FIRST_WORD.findall(_folded([t.rsplit(None, 1)[-1] for t in texts])[::-1])[::-1]
    return heads, [t[::-1] for t in tails]


def batch_tokens(texts: Sequence[str], n_words: Sequence[int]) -> TokenRows:
    """``[line_tokens(t, n) for t, n in zip(texts, n_words)]`` as :class:`TokenRows`: one loop over the
    lines' characters (:func:`boiler._scan.evidence_tokens`), or else :func:`_batch_tokens_np`."""
    scan = _compiled_scan()
    if scan is None:
        return _batch_tokens_np(texts, n_words)
    return TokenRows(*scan.evidence_tokens(list(texts), np.ascontiguousarray(n_words, dtype=np.int64),
                                           SHORT_LINE_WORDS, END_PARTS, _T_ENDS, _T_ALL))


def _batch_tokens_np(texts: Sequence[str], n_words: Sequence[int]) -> TokenRows:
    """:func:`batch_tokens` with the string work done per batch in numpy (the reference).

    Long lines (more than ``SHORT_LINE_WORDS + 2`` words by the features' count) need only their first
    and last words: those of all long lines are found by one regular expression over the joined first
    (and, reversed, last) whitespace-separated parts. Short lines are lower-cased together, split into
    words at once, and their word characters classified with numpy to count each line's words; a word
    with a digit is digit-folded on its own.
    """
    n = len(texts)
    kind = np.zeros(n, dtype=np.int8)
    first = np.full(n, "", dtype=object)
    last = np.full(n, "", dtype=object)
    if n == 0:
        return TokenRows.of([])
    n_words = np.asarray(n_words, dtype=np.int64)
    long_line = n_words > SHORT_LINE_WORDS + 2
    long_rows = np.flatnonzero(long_line)
    own: list[int] = []
    if len(long_rows):
        heads, tails = _long_line_ends([texts[k] for k in long_rows.tolist()])
        first[long_rows] = heads
        last[long_rows] = tails
        kind[long_rows] = _T_ENDS
        if "" in heads or "" in tails:  # the first or last part has no word: look further in, as line_tokens does
            own = [k for k, h, t in zip(long_rows.tolist(), heads, tails) if not h or not t]
    short_rows = np.flatnonzero(~long_line)
    words: list[str] = []
    counts = np.zeros(0, dtype=np.int64)
    full = np.zeros(0, dtype=bool)  # the short rows with all their words (none yet)
    if len(short_rows):
        low = "\n".join([texts[k] for k in short_rows.tolist()]).lower()
        if low.count("\n") != len(short_rows) - 1:  # a text holds a newline: the joined pass needs one line per text
            return TokenRows.of([line_tokens(t, k) for t, k in zip(texts, n_words.tolist())])
        cps = np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        bits = _flags(cps)
        is_word = (bits & _F_WORD) > 0
        start = is_word.copy()
        start[1:] &= ~is_word[:-1]
        w_start = np.flatnonzero(start)
        line_start = np.zeros(len(short_rows), dtype=np.int64)
        line_start[1:] = np.flatnonzero(cps == 10) + 1
        w_first = np.searchsorted(w_start, line_start)  # each line's first word
        count = np.append(w_first[1:], len(w_start)) - w_first
        # All words at once, digit-folded: every other character made a space, each run of digits a
        # single 0, and the text split at whitespace (no word character is whitespace).
        spaced = np.where(is_word, cps, np.uint32(0x20))
        digit = (bits & _F_DIGIT) > 0
        if digit.any():
            spaced[digit] = 0x30
            keep = np.ones(len(digit), dtype=bool)
            keep[1:] = ~(digit[1:] & digit[:-1])
            spaced = spaced[keep]
        found = spaced.tobytes().decode("utf-32-le", "surrogatepass").split()
        has = count > 0
        k_short = np.where(count <= SHORT_LINE_WORDS, _T_ALL, _T_ENDS)
        kind[short_rows[has]] = k_short[has]
        get = found.__getitem__
        first[short_rows[has]] = list(map(get, w_first[has].tolist()))
        last[short_rows[has]] = list(map(get, (w_first + count - 1)[has].tolist()))
        full = has & (k_short == _T_ALL)
        counts = count[full]
        before = np.cumsum(counts) - counts
        words = list(map(get, (np.repeat(w_first[full] - before, counts) + np.arange(int(counts.sum()))).tolist()))
    first_l, last_l = first.tolist(), last.tolist()
    if own:  # tokenised on their own (rare): their tokens as line_tokens gives them
        own_toks = {k: _long_line_tokens(texts[k], int(n_words[k])) for k in own}
        for k, toks in own_toks.items():
            kind[k] = _T_NONE if not toks else (_T_ALL if len(toks) > 2 else _T_ENDS)
            first_l[k], last_l[k] = (toks[0][2:], toks[1][2:]) if toks else ("", "")
        if any(kind[k] == _T_ALL for k in own):
            ends = np.cumsum(counts).tolist()
            by_row = dict(zip(short_rows[full].tolist(), (words[a:b] for a, b in zip([0, *ends[:-1]], ends))))
            by_row.update((k, [t[2:] for t in toks[2:-1]]) for k, toks in own_toks.items() if kind[k] == _T_ALL)
            per_row = [by_row[k] for k in np.flatnonzero(kind == _T_ALL).tolist()]
            counts = np.array([len(w) for w in per_row], dtype=np.int64)
            words = [w for row in per_row for w in row]
    ends = np.cumsum(counts).tolist()
    lines = list(map(" ".join, map(words.__getitem__, map(slice, [0, *ends[:-1]], ends))))
    return TokenRows(kind, first_l, last_l, words, counts, lines)


@dataclass(slots=True)
class LineBatch:
    """Features of the non-blank lines of a batch of pages.

    ``X[k]`` describes line ``line_index[k]`` of page ``page_index[k]``; ``texts[k]`` is that line.
    ``page_start[p]:page_start[p+1]`` are the rows of page ``p``. ``tokens[k]``: the line's word tokens
    (``\\w+``, as :func:`boiler.evaluate.count_tokens` counts them), the weight a pipeline reports.
    """

    X: np.ndarray
    page_index: np.ndarray
    line_index: np.ndarray
    page_start: np.ndarray
    texts: list[str]
    n_lines: list[int]
    tokens: np.ndarray

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


@functools.cache
def compiled_rows():
    """:mod:`boiler._rows` (row loops compiled with Cython), or None where it was not built (no C compiler
    at install): then numpy does the same (:func:`context_window`'s loop here; ``_page_cumsum_np`` and its
    kin in :mod:`boiler.model`)."""
    try:
        from . import _rows
    except ImportError:
        return None
    return _rows


def _gaps_and_repeats(page: np.ndarray, lines_idx: np.ndarray, sizes: np.ndarray,
                      code: np.ndarray) -> list[np.ndarray]:
    """Per row: the blank lines before and after it in its page (capped at :data:`GAP_CAP`), the other
    rows of its page with its ``code`` (its case-folded text), and whether one is within
    :data:`REPEAT_NEAR` rows. The compiled loop, or else :func:`_gaps_and_repeats_np`."""
    rows = compiled_rows()
    if rows is None:
        return _gaps_and_repeats_np(page, lines_idx, sizes, code)
    return rows.gaps_and_repeats(page, lines_idx, sizes, code, REPEAT_NEAR, GAP_CAP)


def _gaps_and_repeats_np(page: np.ndarray, lines_idx: np.ndarray, sizes: np.ndarray,
                         code: np.ndarray) -> list[np.ndarray]:
    n = len(page)
    same_page = page[1:] == page[:-1]
    before = np.full(n, -1, dtype=np.int64)
    before[1:] = np.where(same_page, lines_idx[:-1], -1)
    after = sizes[page]
    after[:-1] = np.where(same_page, lines_idx[1:], after[:-1])
    key = page * n + code
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    repeat_near = np.zeros(n, dtype=bool)
    for d in range(1, min(REPEAT_NEAR, n - 1) + 1):
        same = key[d:] == key[:-d]
        repeat_near[d:] |= same
        repeat_near[:-d] |= same
    return [np.minimum(lines_idx - before - 1, GAP_CAP), np.minimum(after - lines_idx - 1, GAP_CAP),
            counts[inverse.reshape(-1)] - 1, repeat_near]


def _runs(flag: np.ndarray, page: np.ndarray) -> np.ndarray:
    """Length of the run of equal ``flag`` values (within a page) that each row belongs to (float32):
    the compiled loop, or else numpy."""
    rows = compiled_rows()
    if rows is not None:
        return rows.runs(np.ascontiguousarray(flag, dtype=np.uint8), page)
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
    and MAIN_RUN_BLANKS blank lines apart, with the most text. The compiled loop, or else numpy."""
    n_pages = len(n_rows_page)
    rows = compiled_rows()
    if rows is not None:
        return rows.main_run(np.ascontiguousarray(para, dtype=np.uint8), np.ascontiguousarray(chars, dtype=np.float32),
                             rank, page, line_index, n_pages, MAIN_RUN_GAP, MAIN_RUN_BLANKS)
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


def _shift_into(out: np.ndarray, values: np.ndarray, page: np.ndarray, offset: int, fill: float) -> None:
    """``values`` of the row ``offset`` away in the same page, written into ``out``: a plain copy, then
    ``fill`` where that row is past the batch or in another page (only rows near a page's edge)."""
    n = len(values)
    k = abs(offset)
    if k >= n:
        out[...] = fill
        return
    if offset > 0:
        out[:n - k] = values[k:]
        out[n - k:] = fill
        other = np.flatnonzero(page[k:] != page[:n - k])
    elif offset < 0:
        out[k:] = values[:n - k]
        out[:k] = fill
        other = np.flatnonzero(page[:n - k] != page[k:]) + k
    else:  # (as before: the row itself is not a neighbour)
        out[...] = fill
        return
    if len(other):
        out[other] = fill


def context_window(M: np.ndarray, page: np.ndarray, offsets: Sequence[int], fill: float = -1.0,
                   out: np.ndarray | None = None) -> np.ndarray:
    """Columns of ``M`` for the rows at each offset (same page), side by side: shape (n, len(offsets)*k),
    written into ``out`` if given (a view of a larger matrix: each value cast to its dtype)."""
    if M.ndim == 1:
        M = M[:, None]
    k = M.shape[1]
    if out is None:
        out = np.empty((M.shape[0], len(offsets) * k), dtype=M.dtype)
    rows = compiled_rows()
    if rows is not None and out.dtype == M.dtype == np.float32 and page.dtype == np.int64:  # the loop below, compiled
        rows.context_window(out, M, page, np.asarray(offsets, dtype=np.int64), fill)
        return out
    for j, off in enumerate(offsets):
        _shift_into(out[:, j * k:(j + 1) * k], M, page, off, fill)
    return out


# Bits of the per-character flags (:func:`_flag_table`) that the punctuation, sentence, separator and
# date scans read instead of running regular expressions over the text.
_F_SPACE = 1 << 0  # \s (str.isspace)
_F_WORD = 1 << 1  # \w (str.isalnum() or the underscore)
_F_DIGIT = 1 << 2  # \d (str.isdecimal)
_F_SENT = 1 << 3  # a sentence end: . ! ? 。 ！ ？
_F_SENT_NEXT = 1 << 4  # may follow a sentence end besides whitespace: " ' ” ’ ) ] »
_F_SEP = 1 << 5  # a menu separator between spaces: | · • » › / -
_F_DATE_NEXT = 1 << 6  # may follow a date's leading digits besides whitespace: - / . s n r t e 年
_F_UPPER = 1 << 7  # str.isupper
_F_BULLET = 1 << 8  # in _BULLETS
_F_CLOSER = 1 << 9  # in _CLOSERS
_F_COMMA = 1 << 10  # ,
_F_URL = 1 << 11  # . : @ (every web-address mark has one)
_F_COPY = 1 << 12  # © ® ( (every copyright mark begins with one)
_CLASS_SHIFT = 13  # the character's class (_C_OTHER ... _C_SPACE) in the three bits above the flags
_SEP_CHARS = "|·•»›/-"
_SENT_NEXT_CHARS = "\"'”’)]»"
_DATE_NEXT_CHARS = "-/.snrte年"


def _char_flags(ch: str) -> int:
    return ((_F_SPACE if ch.isspace() else 0) | (_F_WORD if ch.isalnum() or ch == "_" else 0)
            | (_F_DIGIT if ch.isdecimal() else 0) | (_F_SENT if ch in _SENTENCE_PUNCT else 0)
            | (_F_SENT_NEXT if ch in _SENT_NEXT_CHARS else 0) | (_F_SEP if ch in _SEP_CHARS else 0)
            | (_F_DATE_NEXT if ch in _DATE_NEXT_CHARS else 0) | (_F_UPPER if ch.isupper() else 0)
            | (_F_BULLET if ch in _BULLETS else 0) | (_F_CLOSER if ch in _CLOSERS else 0)
            | (_F_COMMA if ch == "," else 0) | (_F_URL if ch in ".:@" else 0) | (_F_COPY if ch in "©®(" else 0))


@functools.cache
def _flag_table() -> np.ndarray:
    """:func:`_char_flags` of each BMP code point, with its class (:func:`_class_table`) in the top bits."""
    flags = np.fromiter((_char_flags(chr(cp)) for cp in range(0x10000)), dtype=np.uint16, count=0x10000)
    return flags | (_class_table().astype(np.uint16) << _CLASS_SHIFT)


def _flags(cps: np.ndarray, astral: np.ndarray | None = None) -> np.ndarray:
    """Flags of each code point, class in the top bits (code points past the BMP are letters);
    ``astral`` are the positions of those past the BMP (if known)."""
    out = _flag_table().take(cps, mode="clip")
    if astral is None:
        astral = np.flatnonzero(cps > 0xFFFF)
    if len(astral):
        values, inverse = np.unique(cps[astral], return_inverse=True)
        flags = [_char_flags(chr(cp)) | _C_LETTER << _CLASS_SHIFT for cp in values.tolist()]
        out[astral] = np.array(flags, dtype=np.uint16)[inverse]
    return out


def _true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each run of True in ``mask``."""
    edge = np.flatnonzero(np.diff(mask.view(np.int8), prepend=0, append=0))
    return edge[0::2], edge[1::2]


def _line_of(pos: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.searchsorted(starts, pos, side="right") - 1


def _verified_spans(pattern: re.Pattern, text: str, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The matches of ``pattern.finditer(text)``, given every position where one can start (and maybe
    more): each candidate is tried in order, as finditer tries every position, skipping those inside
    the last match."""
    begin: list[int] = []
    end: list[int] = []
    match = pattern.match
    after = 0
    for q in candidates.tolist():
        if q < after:
            continue
        m = match(text, q)
        if m is not None:
            after = m.end()
            begin.append(q)
            end.append(after)
    return np.asarray(begin, dtype=np.int64), np.asarray(end, dtype=np.int64)


def _sentence_ends(pos: np.ndarray, flags: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Matches of ``_SENTENCE_END`` on each line, given the positions ``pos`` of the sentence marks:
    those followed by whitespace, a closing quote or bracket, or the end of the text."""
    nxt = flags[np.minimum(pos + 1, len(flags) - 1)]
    pos = pos[(pos + 1 >= len(flags)) | ((nxt & (_F_SPACE | _F_SENT_NEXT)) > 0)]
    return np.bincount(_line_of(pos, starts), minlength=n).astype(np.float32)


def _separators(mid: np.ndarray, flags: np.ndarray, starts: np.ndarray, n: int,
                page_first: np.ndarray) -> np.ndarray:
    """Matches of ``_SEPARATORS`` starting on each line, given the positions ``mid`` of the separator
    characters: those with whitespace on both sides; of a chain of them that share a space (" | | "),
    every second, as ``finditer`` goes. Each page is matched on its own, as its lines joined by newlines
    and followed by one (``page_first``: the position of each page's first character): nothing before
    a page's first character, a newline after its last. The compiled loop
    (:func:`boiler._scan.separator_counts`), or else :func:`_separators_np`."""
    scan = _compiled_scan()
    if scan is None:
        return _separators_np(mid, flags, starts, n, page_first)
    return scan.separator_counts(mid, flags, starts, page_first, _F_SPACE)


def _separators_np(mid: np.ndarray, flags: np.ndarray, starts: np.ndarray, n: int,
                   page_first: np.ndarray) -> np.ndarray:
    """:func:`_separators` with numpy."""
    if len(page_first):  # not a page's first character (page_first is sorted: a lookup, not np.isin's sort)
        at = np.minimum(np.searchsorted(page_first, mid), len(page_first) - 1)
        mid = mid[page_first[at] != mid]  # (position 0 is the first page's first character)
    after = np.minimum(mid + 1, len(flags) - 1)
    mid = mid[((flags[mid - 1] & _F_SPACE) > 0) & ((mid + 1 == len(flags)) | ((flags[after] & _F_SPACE) > 0))]
    if len(mid) > 1:
        new = np.ones(len(mid), dtype=bool)
        new[1:] = np.diff(mid) != 2
        first = np.flatnonzero(new)
        mid = mid[(np.arange(len(mid)) - first[np.cumsum(new) - 1]) % 2 == 0]
    return np.bincount(_line_of(mid - 1, starts), minlength=n).astype(np.float32)


def _spells_np(cps: np.ndarray, pos: np.ndarray, word: str, k: int, seen: dict) -> np.ndarray:
    """Whether ``word`` begins ``k`` characters after each of ``pos`` in the code points ``cps`` (``seen``:
    the code points at each offset from ``pos`` already gathered, filled in)."""
    ok = np.ones(len(pos), dtype=bool)
    for j, ch in enumerate(word):
        c = seen.get(k + j)
        if c is None:  # the code point k + j after each position (0 past the text)
            q = pos + k + j
            c = seen[k + j] = np.where((q >= 0) & (q < len(cps)), cps.take(q, mode="clip"), 0)
        ok &= c == ord(ch)
    return ok


@functools.cache
def _code_points(word: str) -> np.ndarray:
    """A short word's code points (uint32), as the compiled scans take it."""
    return np.frombuffer(word.encode("utf-32-le"), dtype=np.uint32)


@functools.cache
def _compiled_scan():
    """:mod:`boiler._scan` (the scans compiled with Cython), or None where it was not built (no C compiler
    at install): then numpy does the same scans (``_date_candidates_np``, ``_marks_at_np``)."""
    try:
        from . import _scan
    except ImportError:
        return None
    return _scan


def _has_marks(cps: np.ndarray, at: np.ndarray, copy: np.ndarray, starts: np.ndarray,
               n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lines with a web-address mark (``_URL_MARKS``), and with a copyright mark (``_COPYRIGHT_MARKS``),
    given the positions of the characters one of which each mark has (``.:@``; ``©®(``)."""
    url, copyright_ = _marks_at(cps, at, copy)
    has_url = np.zeros(n, dtype=bool)
    has_url[_line_of(at[url], starts)] = True
    has_copyright = np.zeros(n, dtype=bool)
    has_copyright[_line_of(copy[copyright_], starts)] = True
    return has_url, has_copyright


@functools.cache
def _mark_tables() -> tuple[list[np.ndarray], list[int], list[np.ndarray], list[int]]:
    """The web-address marks as code points, each with the offset from its first character of ``.:@`` to
    its start; the copyright marks likewise, from their first character."""
    url = [(_code_points(m), -next(k for k, ch in enumerate(m) if ch in ".:@")) for m in _URL_MARKS]
    return [w for w, _ in url], [k for _, k in url], [_code_points(m) for m in _COPYRIGHT_MARKS], \
        [0] * len(_COPYRIGHT_MARKS)


def _marks_at(cps: np.ndarray, at: np.ndarray, copy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of the positions ``at`` (characters of ``.:@``) are in a web-address mark, and which of
    ``copy`` (characters of ``©®(``) begin a copyright mark: the compiled scan
    (:func:`boiler._scan.any_spelled`), or else :func:`_marks_at_np`."""
    scan = _compiled_scan()
    if scan is None:
        return _marks_at_np(cps, at, copy)
    url_words, url_offsets, copy_words, copy_offsets = _mark_tables()
    return scan.any_spelled(cps, at, url_words, url_offsets), scan.any_spelled(cps, copy, copy_words, copy_offsets)


def _marks_at_np(cps: np.ndarray, at: np.ndarray, copy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_marks_at` with numpy: each mark tried where its character of ``.:@`` is."""
    url = np.zeros(len(at), dtype=bool)
    marks = {"@": [], ":": [], ".": []}  # each mark by its character of .:@ and the offset of that
    for mark in _URL_MARKS:
        i = next(k for k, ch in enumerate(mark) if ch in marks)
        marks[mark[i]].append((mark, -i))
    ch = cps[at]
    for c, found in marks.items():
        sel = np.flatnonzero(ch == ord(c))
        hit = np.zeros(len(sel), dtype=bool)
        pos, seen = at[sel], {}
        for mark, k in found:
            hit |= _spells_np(cps, pos, mark, k, seen)
        url[sel] = hit
    copyright_ = np.zeros(len(copy), dtype=bool)
    seen = {}
    for mark in _COPYRIGHT_MARKS:
        copyright_ |= _spells_np(cps, copy, mark, 0, seen)
    return url, copyright_


def _date_features(text: str, cps: np.ndarray, flags: np.ndarray, starts: np.ndarray, n: int):
    """Date and time characters, and years, on each line of ``text`` (lines with a digit, joined by
    newlines): the spans of ``_DATE`` and ``_TIME`` as ``finditer`` finds them, each pattern tried only
    where the shape of the text lets a match begin (:func:`_date_candidates`), and the matches of
    ``_YEAR``, found by their shape."""
    date_at, time_at, year_at = _date_candidates(cps, flags)
    b, e = _verified_spans(_DATE, text, date_at)
    date_chars = np.bincount(_line_of(b, starts), weights=e - b, minlength=n).astype(np.float32)
    b, e = _verified_spans(_TIME, text, time_at)
    time_chars = np.bincount(_line_of(b, starts), weights=e - b, minlength=n).astype(np.float32)
    years = np.bincount(_line_of(year_at, starts), minlength=n)
    return date_chars, time_chars, years


def _date_candidates(cps: np.ndarray, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a date can begin (sorted, distinct), where a time can begin, and where a ``_YEAR`` is, in a
    text's code points and flags (0 where no pattern may cross): the compiled scan
    (:func:`boiler._scan.date_candidates`), or else :func:`_date_candidates_np`, the same places."""
    scan = _compiled_scan()
    if scan is None:
        return _date_candidates_np(cps, flags)
    return scan.date_candidates(cps, flags, _F_SPACE, _F_WORD, _F_DIGIT)


def _date_candidates_np(cps: np.ndarray, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_date_candidates` with numpy.

    Every date has a run of digits that begins a word: 1, 2 or 4 digits that begin it ("2024-11-18",
    "18 Nov, 2024", "2011年10月"), or 1 or 2 digits after its month ("October 21, 2011"). The shapes
    are checked from those runs on the few places they give, never over the whole text.
    """
    size = len(cps)

    def f_at(p):  # flags at each position (0 outside the text)
        return np.where((p >= 0) & (p < size), flags.take(p, mode="clip"), 0)

    def c_at(p):  # code point at each position (0 outside the text)
        return np.where((p >= 0) & (p < size), cps.take(p, mode="clip"), 0)

    def space(p):
        return (f_at(p) & _F_SPACE) > 0

    def letter(p):  # [^\W\d_]
        f = f_at(p)
        return ((f & _F_WORD) > 0) & ((f & _F_DIGIT) == 0) & (c_at(p) != 0x5F)

    def past_space(p, step=1):  # the first position from each of p on (or back) that is not whitespace
        while True:
            more = space(p)
            if not more.any():
                return p
            p = p + step * more

    pos = np.flatnonzero(flags & _F_DIGIT)
    brk = np.flatnonzero(np.diff(pos) != 1)
    d_start = pos[np.concatenate(([0], brk + 1))] if len(pos) else pos
    d_end = pos[np.concatenate((brk, [len(pos) - 1]))] + 1 if len(pos) else pos
    d_len = d_end - d_start
    lead = (f_at(d_start - 1) & _F_WORD) == 0  # runs of digits that begin a word (\b before them)

    def year_at(p):
        """A run of four digits at ``p`` that ends a word: the ``\\d{4}\\b`` closing a date."""
        if not len(d_start):
            return np.zeros(len(p), dtype=bool)
        i = np.minimum(np.searchsorted(d_start, p), len(d_start) - 1)
        return (d_start[i] == p) & (d_len[i] == 4) & ((f_at(p + 4) & _F_WORD) == 0)

    is_letter = ((flags & _F_WORD) > 0) & ((flags & _F_DIGIT) == 0) & (cps != 0x5F)
    l_start, l_end = _true_runs(is_letter)

    def letters(p, step):  # length of the run of letters from each of p on (or back), up to 13
        if not len(l_start):
            return np.zeros(len(p), dtype=np.int64)
        q = np.clip(p, 0, size - 1)
        run = np.maximum(np.searchsorted(l_start, q, side="right") - 1, 0)  # the run at or before q
        length = l_end[run] - q if step > 0 else q - l_start[run] + 1
        return np.where((p >= 0) & (p < size) & is_letter[q], np.minimum(length, 13), 0)

    short = lead & (d_len <= 2)
    four = lead & (d_len == 4)
    e = d_end
    c = c_at(e)
    # from a digit: "2024-11-18", "21.10.2011" (1, 2 or 4 digits, a separator, a digit)
    a12 = (short | four) & ((c == 0x2D) | (c == 0x2F) | (c == 0x2E)) & ((f_at(e + 1) & _F_DIGIT) > 0)
    # "2011年10月"
    a5 = four.copy()
    a5[four] = c_at(past_space(e[four])) == 0x5E74
    # "18 Nov, 2024", "18th November 2024": 1 or 2 digits, a suffix or a dot or neither, whitespace,
    # a word of 3 to 12 letters, an optional dot and comma, whitespace, a year
    a3 = short & ((c == 0x2E) | ((f_at(e) & _F_SPACE) > 0) | letter(e))
    p = e[a3]
    p = np.where(space(p), p, np.where(c_at(p) == 0x2E, p + 1, p + 2))
    ok = space(p)
    q = past_space(p[ok])
    length = letters(q, 1)
    a = q + length
    a = a + (c_at(a) == 0x2E)
    a = a + (c_at(a) == 0x2C)
    good = (length >= 3) & (length <= 12) & space(a)
    good[good] = year_at(past_space(a[good]))
    ok[ok] = good
    a3[a3] = ok
    date_digit = d_start[a12 | a5 | a3]
    # from a month: "October 21, 2011", "Nov 3rd 2024": a word of 3 to 12 letters, an optional dot,
    # whitespace, 1 or 2 digits (this run), a suffix or not, an optional comma, whitespace, a year
    sel = np.flatnonzero((d_len <= 2) & space(d_start - 1))
    b = past_space(d_start[sel] - 1, step=-1)
    b = b - (c_at(b) == 0x2E)
    length = letters(b, -1)
    first = b - length + 1
    ok = (length >= 3) & (length <= 12) & ((f_at(first - 1) & _F_WORD) == 0)
    sel, first = sel[ok], first[ok]
    r = d_end[sel]
    year = np.zeros(len(r), dtype=bool)
    for a in (r, r + 2):  # without or with a suffix
        a = a + (c_at(a) == 0x2C)
        year |= space(a) & year_at(past_space(a))
    date_letter = first[year]
    date_at = np.unique(np.concatenate((date_digit, date_letter)))
    # _TIME: 1 or 2 digits beginning a word, then a colon
    time_at = d_start[short & (c == 0x3A)]
    # _YEAR: a word of four digits, 18.., 19.. or 20..
    y = d_start[four & ((f_at(e) & _F_WORD) == 0)]
    c0, c1 = c_at(y), c_at(y + 1)
    y = y[((c0 == 0x31) & ((c1 == 0x38) | (c1 == 0x39))) | ((c0 == 0x32) & (c1 == 0x30))]
    return date_at, time_at.astype(np.int64), y.astype(np.int64)


def _number_word(text: str, flags: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Lines of ``text`` (lines with a digit, joined by newlines) that ``_NUMBER_WORD`` matches.

    Its match must begin at a line's start (``^``) and cannot run into the next line (that would need a
    line without a digit), so each line is tried once, and only one whose first character is a digit
    or no word character at all (``^\\W*\\d``)."""
    first = flags[starts]
    tried = starts[((first & _F_WORD) == 0) | ((first & _F_DIGIT) > 0)]
    match = _NUMBER_WORD.match
    out = np.zeros(len(starts), dtype=bool)
    out[np.searchsorted(starts, [q for q in tried.tolist() if match(text, q) is not None])] = True
    return out


#: Per class, the count fields it adds to (16 bits each: upper case, letters, digits, punctuation).
_CLASS_FIELDS = np.zeros(8, dtype=np.uint64)
_CLASS_FIELDS[_C_UPPER] = 1 | 1 << 16
_CLASS_FIELDS[_C_LETTER] = 1 << 16
_CLASS_FIELDS[_C_DIGIT] = 1 << 32
_CLASS_FIELDS[_C_PUNCT] = 1 << 48


def _class_counts(cls: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
    """Upper-case letters, letters, digits, punctuation, words and capitalised words of each line
    (float32), from the class of each character of the joined lines (``starts``: each line's first).

    Each character adds its class's fields of one 64-bit number, and one sum per line (``reduceat``)
    counts all four at once (a line of 65,535 characters or more is counted by ``bincount`` instead);
    words are counted by where their first characters fall."""
    is_upper = cls == _C_UPPER
    is_word = (cls == _C_LETTER) | is_upper | (cls == _C_DIGIT)
    word_start = is_word.copy()
    word_start[1:] &= ~is_word[:-1]
    n = len(starts)
    bounds = np.append(starts, len(cls))
    word_at = np.flatnonzero(word_start)
    n_words = np.diff(np.searchsorted(word_at, bounds)).astype(np.float32)
    n_caps = np.diff(np.searchsorted(word_at[is_upper[word_at]], bounds)).astype(np.float32)
    if lengths.max() < 0xFFFF:
        fields = np.add.reduceat(_CLASS_FIELDS.take(cls), starts)
        low16 = np.uint64(0xFFFF)
        counts = [((fields >> np.uint64(shift)) & low16).astype(np.float32) for shift in (0, 16, 32, 48)]
        return (*counts, n_words, n_caps)
    line_of_char = np.repeat(np.arange(n + 1), np.append(lengths + 1, 0))[: len(cls)]
    by_class = np.bincount(line_of_char * 8 + cls, minlength=8 * n).reshape(n, 8).astype(np.float32)
    n_upper = by_class[:, _C_UPPER]
    return (n_upper, by_class[:, _C_LETTER] + n_upper, by_class[:, _C_DIGIT], by_class[:, _C_PUNCT], n_words, n_caps)


@functools.cache
def _count_bits() -> dict:
    """What :func:`boiler._scan.line_counts` needs of this module's flag bits and classes."""
    return {"class_shift": _CLASS_SHIFT, "letter": _C_LETTER, "upper": _C_UPPER, "digit": _C_DIGIT,
            "punct": _C_PUNCT, "word": _F_WORD, "sent": _F_SENT, "comma": _F_COMMA, "space": _F_SPACE,
            "sent_next": _F_SENT_NEXT}


def _line_counts(flags: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """Per line of the joined lines: upper-case letters, letters, digits, punctuation, words and
    capitalised words (:func:`_class_counts`), ``\\w+`` runs (:func:`_token_counts`, int64), sentence ends
    (:func:`_sentence_ends`) and commas; float32 but for the runs. The compiled scan
    (:func:`boiler._scan.line_counts`, one pass over the characters), or else :func:`_line_counts_np`."""
    scan = _compiled_scan()
    if scan is None:
        return _line_counts_np(flags, starts, lengths)
    return scan.line_counts(flags, starts, lengths, _count_bits())


def _line_counts_np(flags: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    n = len(starts)
    cls = (flags >> _CLASS_SHIFT).astype(np.uint8)
    sentences = _sentence_ends(np.flatnonzero(flags & _F_SENT), flags, starts, n)
    commas = np.bincount(_line_of(np.flatnonzero(flags & _F_COMMA), starts), minlength=n).astype(np.float32)
    return [*_class_counts(cls, starts, lengths), _token_counts(flags, starts), sentences, commas]


def _token_counts(flags: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Runs of word characters (``\\w+`` matches) on each line of the joined lines, from the characters'
    flags (``starts``: each line's first character). No run crosses the newline between two lines."""
    word = (flags & _F_WORD) > 0
    begins = word.copy()
    begins[1:] &= ~word[:-1]
    return np.diff(np.searchsorted(np.flatnonzero(begins), np.append(starts, len(flags))))


def _page_columns(X: np.ndarray, page: np.ndarray, starts_arr: np.ndarray, lengths: np.ndarray,
                  long_line: np.ndarray, ends_sentence: np.ndarray, gap_before: np.ndarray) -> tuple[np.ndarray, ...]:
    """Write the position, page-share, nearby and segment columns of :func:`extract` that need no
    logarithm into ``X``; return each row's rank in its page, ``from_end`` before its logarithm, its
    page's rows and its segment's rows. The compiled loop, or else :func:`_page_columns_np`."""
    rows = compiled_rows()
    if rows is None:
        return _page_columns_np(X, page, starts_arr, lengths, long_line, ends_sentence, gap_before)
    return rows.page_columns(X, _COL, page, starts_arr, lengths, long_line.view(np.uint8), ends_sentence.view(np.uint8),
                             gap_before, SEGMENT_GAP, NEARBY_ROWS)


def _page_columns_np(X: np.ndarray, page: np.ndarray, starts_arr: np.ndarray, lengths: np.ndarray,
                     long_line: np.ndarray, ends_sentence: np.ndarray, gap_before: np.ndarray) -> tuple[np.ndarray, ...]:
    col = _COL
    n = len(page)
    chars = lengths.astype(np.float32)
    rows_per_page = np.diff(starts_arr)
    rank = np.arange(n) - starts_arr[page]
    n_page = rows_per_page[page].astype(np.float32)
    X[:, col["pos_rel"]] = rank / np.maximum(n_page - 1, 1)

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

    page_max = page_maxima(chars, starts_arr, 0.0)
    X[:, col["len_vs_page_max"]] = chars / np.maximum(page_max[page], 1)
    csum_long = np.concatenate(([0], np.cumsum(long_line)))
    lo = np.maximum(np.arange(n) - NEARBY_ROWS, starts_arr[page])
    hi = np.minimum(np.arange(n) + NEARBY_ROWS + 1, starts_arr[page + 1])
    X[:, col["long_nearby"]] = csum_long[hi] - csum_long[lo] - long_line

    # Segments: runs of lines between SEGMENT_GAP or more blank lines.
    new_seg = (gap_before >= SEGMENT_GAP) | (rank == 0)
    seg = np.cumsum(new_seg) - 1
    seg_n = np.bincount(seg).astype(np.float32)
    seg_first = np.flatnonzero(new_seg)
    X[:, col["seg_sentence_share"]] = (np.bincount(seg, weights=ends_sentence) / seg_n)[seg]
    X[:, col["seg_long_share"]] = (np.bincount(seg, weights=long_line) / seg_n)[seg]
    X[:, col["seg_pos"]] = (np.arange(n) - seg_first[seg]) / np.maximum(seg_n[seg] - 1, 1)
    return rank, n_page - 1 - rank, n_page, seg_n[seg]


def extract(pages: Sequence[Sequence[str]]) -> LineBatch:
    """Features of every non-blank line of ``pages`` (each a sequence of lines)."""
    n_pages = len(pages)
    n_lines = [len(p) for p in pages]
    sizes = np.asarray(n_lines, dtype=np.int64)
    texts, row, code = _judged_rows(list(itertools.chain.from_iterable(pages)))
    n = len(texts)
    page_end = np.cumsum(sizes)
    page = np.searchsorted(page_end, row, side="right")
    lines_idx = row - (page_end - sizes)[page] if n_pages else row
    starts_arr = np.searchsorted(page, np.arange(n_pages + 1)).astype(np.int64)
    X = np.zeros((n, len(FEATURES)), dtype=np.float32)
    if n == 0:
        return LineBatch(X, page, lines_idx, starts_arr, texts, n_lines, np.zeros(0, dtype=np.int64))

    # Blank-line gaps, capped; repeats: other lines of the page with the same text (case folded), and
    # any within REPEAT_NEAR.
    gap_before, gap_after, repeats, repeat_near = _gaps_and_repeats(page, lines_idx, sizes, code)

    joined = "\n".join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    starts[1:] = np.cumsum(lengths[:-1] + 1)
    ends = starts + lengths

    # A lone surrogate (possible in a str, not in text read from a file) is a code point of class "other".
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    astral = np.flatnonzero(cps > 0xFFFF)
    flags = _flags(cps, astral)
    n_upper, n_letters, n_digits, n_punct, n_words, n_caps, tokens, n_sentences, commas = \
        _line_counts(flags, starts, lengths)
    n_wordchars = n_letters + n_digits
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

    # The first character, and the last of the line without closing quotes and brackets (unless
    # that is all it has): ``t.rstrip(_CLOSERS) or t``.
    first = flags[starts]
    X[:, col["starts_upper"]] = (first & _F_UPPER) > 0
    X[:, col["starts_bullet"]] = (first & _F_BULLET) > 0
    tail = ends.copy()
    active = np.flatnonzero((flags[ends - 1] & _F_CLOSER) > 0)
    for _ in range(8):
        if not len(active):
            break
        tail[active] -= 1
        active = active[(tail[active] > starts[active]) & ((flags[tail[active] - 1] & _F_CLOSER) > 0)]
    for k in active.tolist():  # a long run of closers: as str.rstrip finds it
        tail[k] = starts[k] + len(texts[k].rstrip(_CLOSERS))
    tail = np.where(tail > starts, tail, ends)
    last = cps[tail - 1]
    dots = (tail - starts >= 3) & (last == 0x2E) & (cps[np.maximum(tail - 2, 0)] == 0x2E) & \
        (cps[np.maximum(tail - 3, 0)] == 0x2E)
    X[:, col["ends_sentence"]] = ((flags[tail - 1] & _F_SENT) > 0) & ~dots
    X[:, col["ends_ellipsis"]] = dots | (last == 0x2026)
    X[:, col["ends_colon"]] = last == 0x3A

    X[:, col["sentences"]] = np.log1p(n_sentences)
    X[:, col["comma_rate"]] = commas / safe_words
    # The few characters that separators and marks need, found in one pass.
    special = np.flatnonzero(flags & (_F_SEP | _F_URL | _F_COPY))
    kinds = flags[special]
    page_first = starts[starts_arr[:-1][np.diff(starts_arr) > 0]]
    X[:, col["separators"]] = np.log1p(_separators(special[(kinds & _F_SEP) > 0], flags, starts, n, page_first))
    has_url, has_copyright = _has_marks(cps, special[(kinds & _F_URL) > 0], special[(kinds & _F_COPY) > 0],
                                        starts, n)
    X[:, col["has_url"]] = has_url
    X[:, col["copyright"]] = has_copyright

    # Dates, times and numbers: only lines with a digit can match, so scan just those.
    has_digit = n_digits > 0
    with_digit = np.flatnonzero(has_digit)
    if len(with_digit):
        d_texts = [texts[k] for k in with_digit.tolist()]
        d_joined = "\n".join(d_texts)
        d_len = lengths[with_digit]
        d_starts = np.zeros(len(d_texts), dtype=np.int64)
        d_starts[1:] = np.cumsum(d_len[:-1] + 1)
        m = len(d_texts)
        in_digit_line = np.repeat(has_digit, lengths + 1)[: len(cps)]
        d_cps = cps[in_digit_line][: len(d_joined)]
        d_flags = flags[in_digit_line][: len(d_joined)]
        # A date cannot run from one page into the next: a character that no pattern crosses (not
        # whitespace, not a word character) stands between pages instead of their newline.
        d_page = page[with_digit]
        cut = d_starts[1:][d_page[1:] != d_page[:-1]] - 1  # the newlines between two pages
        date_text, date_flags = d_joined, d_flags
        if len(cut):
            edges = [-1, *cut.tolist(), len(d_joined)]
            date_text = PAGE_BREAK.join(d_joined[a + 1:b] for a, b in zip(edges, edges[1:]))
            date_flags = d_flags.copy()  # d_flags also serves the number words below (d_cps only dates)
            d_cps[cut], date_flags[cut] = ord(PAGE_BREAK), 0
        date_chars, time_chars, years = _date_features(date_text, d_cps, date_flags, d_starts, m)
        X[with_digit, col["has_date"]] = date_chars > 0
        X[with_digit, col["has_time"]] = time_chars > 0
        X[with_digit, col["has_year"]] = years > 0
        date_share = np.minimum((date_chars + time_chars) / d_len, 1.0)
        X[with_digit, col["date_share"]] = date_share
        X[with_digit, col["date_only"]] = date_share >= DATE_ONLY_SHARE
        X[with_digit, col["number_word"]] = _number_word(d_joined, d_flags, d_starts)
        X[with_digit, col["paren_count"]] = _per_line_counts(_PAREN_COUNT, d_joined, d_starts, m) > 0

    X[:, col["repeats"]] = np.log1p(repeats.astype(np.float32))
    X[:, col["repeat_near"]] = repeat_near
    X[:, col["gap_before"]] = gap_before
    X[:, col["gap_after"]] = gap_after

    # Position, page-level, nearby and segment columns (:func:`_page_columns`).
    rows_per_page = np.diff(starts_arr)
    ends_sentence = X[:, col["ends_sentence"]] > 0
    rank, from_end, n_page, seg_n = _page_columns(X, page, starts_arr, lengths, long_line, ends_sentence, gap_before)
    X[:, col["from_start"]] = np.log1p(rank)
    X[:, col["from_end"]] = np.log1p(from_end)
    X[:, col["page_lines"]] = np.log1p(n_page)
    X[:, col["seg_lines"]] = np.log1p(seg_n)

    # each page's middle length: the lengths sorted within pages (page number and the float32 bits of
    # a length, which order as the lengths do, in one int64)
    by_page = np.sort((page.astype(np.int64) << 32) | chars.view(np.uint32).astype(np.int64))
    mid = starts_arr[:-1] + rows_per_page // 2
    middle = (by_page[np.minimum(mid, n - 1)] & 0xFFFFFFFF).astype(np.uint32).view(np.float32)
    medians = np.where(rows_per_page > 0, middle, 1)
    X[:, col["len_vs_page_median"]] = np.log(chars / np.maximum(medians[page], 1))

    runs = _runs(long_line, page)  # each row's run of long or of short lines
    X[:, col["run_short"]] = np.log1p(np.where(long_line, 0, runs))
    X[:, col["run_long"]] = np.log1p(np.where(long_line, runs, 0))

    para = long_line & (X[:, col["sentences"]] > 0)
    first, last = _main_run(para, chars, rank, page, lines_idx, rows_per_page)
    f, l_ = first[page], last[page]
    has_main = f >= 0
    X[:, col["in_main"]] = has_main & (rank >= f) & (rank <= l_)
    X[:, col["before_main"]] = np.where(has_main, np.log1p(np.maximum(f - rank, 0)), -1)
    X[:, col["after_main"]] = np.where(has_main, np.log1p(np.maximum(rank - l_, 0)), -1)
    return LineBatch(X, page, lines_idx, starts_arr, texts, [len(p) for p in pages], tokens)


def page_maxima(values: np.ndarray, page_start: np.ndarray, initial: float) -> np.ndarray:
    """Each page's largest value, from ``initial`` (which a page without rows keeps), in ``values``'
    dtype: the numbers of ``np.maximum.at`` from ``initial``, by one ``reduceat`` over the pages' rows
    (``page_start[p]:page_start[p + 1]``; several times faster on one page)."""
    out = np.full(len(page_start) - 1, initial, dtype=values.dtype)
    filled = np.flatnonzero(page_start[1:] > page_start[:-1])
    if len(filled):
        out[filled] = np.maximum(out[filled], np.maximum.reduceat(values, page_start[filled]))
    return out


def _judged_rows(lines: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The lines with something to judge (:func:`has_word`), stripped; their positions in ``lines``; and
    a number per distinct text folded to lower case (the first row with that text): the compiled scan
    (:func:`boiler._scan.judged_rows`), or else :func:`_judged_rows_np`."""
    scan = _compiled_scan()
    if scan is None:
        return _judged_rows_np(lines)
    return scan.judged_rows(lines)


def _judged_rows_np(lines: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    stripped = list(map(str.strip, lines))
    search = _WORD_RE.search
    keep = [i for i, s in enumerate(stripped) if s and (s[0].isalnum() or search(s))]
    texts = list(map(stripped.__getitem__, keep))
    ids: dict[str, int] = {}
    code = np.fromiter(map(ids.setdefault, map(str.lower, texts), itertools.count()), dtype=np.int64, count=len(texts))
    return texts, np.asarray(keep, dtype=np.int64), code


def has_word(s: str) -> bool:
    """The (stripped, non-empty) line has a word character: something to judge."""
    # Fast path: most lines start with a letter or digit.
    return s[0].isalnum() or _WORD_RE.search(s) is not None


def judged_lines(lines: Iterable[str]) -> list[str]:
    """The lines with something to judge (:func:`has_word`), stripped, in order: the rows :func:`extract`
    keeps (the test inlined, as it runs on every line of every page)."""
    search = _WORD_RE.search
    return [s for s in map(str.strip, lines) if s and (s[0].isalnum() or search(s) is not None)]
