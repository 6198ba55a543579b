"""Per-outlet site templates: what recurs on a site's pages, learned from the pages alone.

A :class:`SiteTemplate` counts, over the pages of one site it has seen:

* how many pages contain each **line** (case, digits and spacing folded: :func:`line_key`), and each
  line **shape** (dates, times and numbers masked: "Updated 17 Nov, 2024" and "Updated 3 Dec, 2023"
  share the shape ``updated <date>``);
* for each, on how many pages it sat **before** the page's body, **inside** it, or **after** it. A
  line that sits after the body on most pages ("Opinion", "All news") opens a chrome region; one that
  sits before it on most pages (a dateline, a menu) closes one;
* how often the body covers each part of the page (the typical span of the body).

The body of a page is estimated without labels (:func:`estimate_body_span`: the longest run of
paragraph lines that recur on no other page); labels are used instead when a page has them.

:func:`template_features` turns a template into per-line features of the one classifier. A page the
template has seen (known by its fingerprint) is taken out of the counts first, so a page never sees
itself: that is how training computes the features leave-one-page-out, and why a corpus pass can
learn from a batch and then label the same batch.

Templates are human-readable JSON (:func:`template_to_json`), kept small (recurring lines only,
capped; a line seen on one page only is kept as a short hash with the number of its region, so that
learning from more pages later still counts it, and a page the template has not seen still finds it),
and stored one file per site by :class:`TemplateStore`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np

from . import features as F
from .errors import InputError
from .modelio import write_text_atomic

__all__ = [
    "SiteTemplate", "KeyCount", "Region", "TemplateStore", "TEMPLATE_FEATURES",
    "learn_template", "template_features", "line_key", "shape_key", "page_fingerprint",
    "estimate_body_span", "template_to_json", "template_from_json", "DEFAULT_TEMPLATE_DIR", "MIN_TEMPLATE_FIT",
    "MIN_TEMPLATE_MATCH", "MIN_TEMPLATE_COVER", "TemplateFit", "template_fit",
]

log = logging.getLogger(__name__)

#: Version of the JSON file format; files of a newer version are refused.
TEMPLATE_FORMAT = 1
#: The shipped template store, relative to the project root (inside the package when installed).
DEFAULT_TEMPLATE_DIR = "models/templates"
#: A line or shape on at least this many pages is kept by name (the rest as hashes, see MAX_ONCE).
RECUR_MIN_PAGES = 2
#: At most this many lines and this many shapes are kept by name per site (the most frequent).
MAX_KEYS = 3000
#: At most this many hashes of lines seen on one page only are kept (the most recent).
MAX_ONCE = 5000
#: At most this many page fingerprints are kept (the most recent).
MAX_PAGE_HASHES = 5000
#: A line with at least this many words and a sentence end is a paragraph (for the body estimate).
PARA_MIN_WORDS = 8
#: Paragraph lines at most this many non-blank lines apart belong to one run (the body estimate).
BODY_RUN_GAP = 4
#: A line is a region anchor only when the site's other pages hold it at least this often.
ANCHOR_MIN_PAGES = 2
#: A line that sat after the body on the site's other pages opens a chrome region on this page only as
#: strongly as one of the next this many lines sat there too (a line that sat before the body closes one
#: only as strongly as one of the lines just above it); the page's edge counts as sure. An article's own
#: headline sits in the "recent posts" list after the body of the site's other pages; on its own page it
#: is followed by its article, not by more of the list, and the whole article read as a chrome region
#: (whiteonricecouple.com in dragnet, 0.996 alone, 0.919 with a template). 0: any anchor counts alone, as
#: in models saved before (README, Results).
ANCHOR_CONFIRM_ROWS = 2
#: Labeling, a template is used only when at least this share of the page's lines occur on the site's
#: other pages: a template of another layout (the site redesigned since) fits a page badly and is
#: worse than none (in training every template is used, so that the model learns from all of them).
MIN_TEMPLATE_FIT = 0.3
#: ... and only when the page has at least this share of the recurring lines a page of the site
#: typically has (:meth:`SiteTemplate.recurring_per_page`). A page of another layout that shares its
#: menu words and footer with the template can pass the share above: msv-big9 pages with a template of
#: another crawl year were labeled worse than without one in 9 of 12 year pairs (by up to 0.010 F1),
#: and in 4 (by at most 0.0012) with this too, for the same gain on the sites' own pages (held-out
#: models, 2026-11-26); bench/templates.py with the shipped recipe: 5 of 12 before, 2 of 12 (by at
#: most 0.003) after (README, Results).
MIN_TEMPLATE_MATCH = 0.5
#: ... and only when the page has at least this share of the template's core lines (those on at least
#: CORE_SHARE of the site's other pages), unless at least SURE_TEMPLATE_FIT of its lines occur there: a
#: template of another layout has a core of its own that the page lacks (0: no such test). The two tests
#: above let another crawl year's template make msv-big9 pages worse than none in 2 of 12 year pairs
#: (by up to 0.009); with this, in none, for the same leave-one-page-out F1 over the 114 sites with at
#: least 5 pages (0.9066 -> 0.9065; bench/templates.py, 2026-11-26; 0.4 left 1 pair worse, 0.6 cost
#: 0.0006). Found on msv-big9 with a model that never saw it: of the page and other-year template pairs
#: that passed both tests, none had more than 62% of the template's core, half of the site's own
#: pages had more than 96%.
MIN_TEMPLATE_COVER = 0.5
#: A template's core lines are those on at least this share of the site's other pages (and on RECUR_MIN_PAGES).
CORE_SHARE = 0.5
#: A page of which at least this share of the lines occur on the template's other pages is of its layout,
#: whatever the share of the template's core it has (a page with a short menu and a long article of
#: a site whose other pages have long menus).
SURE_TEMPLATE_FIT = 0.5
#: Bins of the relative position on a page, for the typical span of the body.
SPAN_BINS = 20


class Region(IntEnum):
    """Where a line sat on one page, relative to the page's body."""

    UNKNOWN = 0  # no body found, or both before and after it
    BEFORE = 1
    INSIDE = 2
    AFTER = 3


_BEFORE, _INSIDE, _AFTER = Region.BEFORE, Region.INSIDE, Region.AFTER


#: The template features (all 0 when a page has no template).
TEMPLATE_FEATURES: tuple[F.Feature, ...] = (
    F.Feature("tpl_pages", "site template", "other pages of the site the template has seen (log)"),
    F.Feature("tpl_line_share", "site template", "share of the site's other pages with this line"),
    F.Feature("tpl_line_pages", "site template", "the site's other pages with this line (log)"),
    F.Feature("tpl_shape_share", "site template", "share of the site's other pages with this line's shape"),
    F.Feature("tpl_line_inside", "site template", "share of the pages with this line that had it inside the body"),
    F.Feature("tpl_after_end", "site template", "share of the site's pages on which a line at or above it comes after the body (the strongest)"),
    F.Feature("tpl_before_start", "site template", "share of the site's pages on which a line at or below it comes before the body (the strongest)"),
    F.Feature("tpl_span", "site template", "share of the site's pages whose body covers this part of the page"),
)
_T = {f.name: j for j, f in enumerate(TEMPLATE_FEATURES)}

_DIGIT_RUN = re.compile(r"\d+")
#: What every match of the date pattern holds (on a page whose digits are all 0 to 9, looked for in the
#: line keys, where each digit is 0: "0000", "0-0", "0/0", "0.0").
_DATE_NEEDS = re.compile(r"\d[-/.]\d|\d{4}")
_ZERO_RUN = re.compile(r"0+")
#: Whitespace that ``" ".join(line.split())`` changes in a stripped line, besides two spaces in a row: the
#: ASCII whitespace other than space and line break, and any other character that ``str.isspace``.
_ASCII_ODD_SPACE = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f"
_ASCII_BYTES = bytes(range(128))


# -- keys -------------------------------------------------------------------------------------

def line_key(line: str) -> str:
    """A line with case, digits and spacing folded (the key lines are counted under)."""
    return F.normalise_line(line)


def shape_key(line: str) -> str | None:
    """A line with its dates and times masked and number runs folded, or None for a line without
    digits (whose shape is its line key)."""
    if _DIGIT_RUN.search(line) is None:
        return None
    masked = F.DATE_PATTERN.sub(" <date> ", line)
    masked = F.TIME_PATTERN.sub(" <time> ", masked)
    masked = _DIGIT_RUN.sub("0", masked.lower())
    return " ".join(masked.split())


def _row_keys(rows: Sequence[str]) -> tuple[list[str], bool]:
    """``[line_key(r) for r in rows]`` for stripped rows (a page's lines), lowered in one go; and whether
    the rows have a digit other than 0 to 9 (``\\d`` matches any decimal digit)."""
    text = "\n".join(rows)
    if text.count("\n") != len(rows) - 1 or not rows:  # a row with a line break in it (or none)
        return [line_key(r) for r in rows], True
    low = text.lower()  # per character: no case rule reaches across a line break
    odd_space = "  " in low or any(c in low for c in _ASCII_ODD_SPACE)
    other_digits = False
    if not low.isascii():  # the page's other characters, few: ASCII bytes dropped from its UTF-8
        wide = set(low.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
        other_digits = any(c.isdecimal() for c in wide)  # what \d matches
        odd_space = odd_space or any(c.isspace() for c in wide)
    for d in "123456789":  # as features.normalise_line's translation
        low = low.replace(d, "0")
    if not odd_space:  # single spaces only: nothing to fold
        return low.split("\n"), other_digits
    return [" ".join(k.split()) for k in low.split("\n")], other_digits


def _row_shapes(rows: Sequence[str], keys: Sequence[str], other_digits: bool = True,
                memo: dict[str, str] | None = None) -> list[str | None]:
    """``[shape_key(r) for r in rows]``, given the rows' line keys.

    Unless the rows have digits other than 0 to 9 (``other_digits``), a row's digits are its key's 0s, so
    the key says whether the row has digits and whether it may hold a date (a year after a space or
    before 年, or digit, separator, digit); and the shape of a row without dates and times is its key
    with each run of 0s folded to one. Only the rows that may hold a date meet the date pattern, only
    those with a colon the time pattern (the slow parts). ``memo``: shapes of lines met before (as on
    other pages of the site), by line, filled in."""
    out: list[str | None] = [None] * len(rows)
    memo = memo if memo is not None else {}
    date_sub, time_sub = F.DATE_PATTERN.subn, F.TIME_PATTERN.subn
    for k, (row, key) in enumerate(zip(rows, keys)):
        if other_digits:
            if _DIGIT_RUN.search(row) is None:
                continue
            date = _DATE_NEEDS.search(row) is not None
        elif "0" not in key:
            continue
        if row in memo:
            out[k] = memo[row]
            continue
        if not other_digits:
            date = " 0000" in key or "0-0" in key or "0/0" in key or "0.0" in key or "年" in key
        masked, n = date_sub(" <date> ", row) if date else (row, 0)
        if ":" in masked:  # every time has one
            masked, m = time_sub(" <time> ", masked)
            n += m
        if n or other_digits:
            out[k] = memo[row] = " ".join(_DIGIT_RUN.sub("0", masked.lower()).split())
        else:
            out[k] = memo[row] = _ZERO_RUN.sub("0", key) if "00" in key else key
    return out


def _hash(text: str, size: int = 8) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=size).hexdigest()


def page_fingerprint(lines: Sequence[str]) -> str:
    """A fingerprint of a page's text (its non-blank lines): how a template knows a page it has seen."""
    return _hash("\n".join(F.judged_lines(lines)), 8)


# -- one page's contribution ------------------------------------------------------------------

@dataclass(slots=True)
class PageProfile:
    """One page as a template sees it: its non-blank lines' keys and shapes, and its body span.

    ``by_id``: the keys and shapes are the rows' places in the template's tables instead (-1: not there),
    and the span the one the page was counted with, as kept from learning (see :meth:`SiteTemplate.row_ids`)."""

    fingerprint: str
    keys: list  # list[str], or an array of places by_id
    shapes: list  # list[str | None], or an array of places by_id
    rel_pos: np.ndarray  # share of the page's characters before each line
    rows: list[str]  # the non-blank lines, stripped
    span: tuple[int, int] | None = None  # first and last row of the body, if found
    by_id: bool = False

    def regions(self, shapes: bool = False) -> dict:
        """Each distinct key's (or shape's) region on this page."""
        seq = self.shapes if shapes else self.keys
        if self.span is None:
            out = dict.fromkeys(seq, Region.UNKNOWN)
        else:  # inside the body if once inside it; before and after it: unknown (keys in order of first row)
            first, last = self.span
            out = dict.fromkeys(seq[:first], Region.BEFORE)
            out.update(dict.fromkeys(seq[first:last + 1], Region.INSIDE))
            get = out.get
            for k in seq[last + 1:]:
                was = get(k)
                if was is None:
                    out[k] = Region.AFTER
                elif was is Region.BEFORE:
                    out[k] = Region.UNKNOWN
        out.pop(None, None)  # type: ignore[call-overload]
        return out  # type: ignore[return-value]

    def span_bins(self) -> np.ndarray:
        """Which of the SPAN_BINS parts of the page the body covers (0/1)."""
        out = np.zeros(SPAN_BINS, dtype=np.int64)
        if self.span is None or not len(self.rel_pos):
            return out
        lo = self.rel_pos[self.span[0]]
        ends = np.append(self.rel_pos[1:], 1.0)
        hi = ends[self.span[1]]
        centres = (np.arange(SPAN_BINS) + 0.5) / SPAN_BINS
        out[(centres >= lo) & (centres <= hi)] = 1
        return out


def _rel_pos(rows: Sequence[str]) -> np.ndarray:
    """Share of the page's characters before each row."""
    lengths = np.fromiter(map(len, rows), dtype=np.float64, count=len(rows))
    total = max(float(lengths.sum()), 1.0)
    return (np.cumsum(lengths) - lengths) / total


def profile_page(lines: Sequence[str], rows: Sequence[str] | None = None,
                 shapes: dict[str, str] | None = None) -> PageProfile:
    """Keys, shapes and relative positions of a page's non-blank lines (the body span is set later).

    ``rows``: the page's non-blank lines, stripped, when already known (as a :class:`~boiler.features.LineBatch`
    holds them); ``shapes``: shapes of lines with digits met before (as on other pages of the site), by line,
    filled in."""
    rows = F.judged_lines(lines) if rows is None else list(rows)
    keys, other_digits = _row_keys(rows)
    return PageProfile(_hash("\n".join(rows), 8), keys, _row_shapes(rows, keys, other_digits, shapes),
                       _rel_pos(rows), rows)


_SENTENCE_ENDS = frozenset(".!?。！？")


def _paragraph_rows(rows: Sequence[str]) -> list[int]:
    """The rows that are paragraphs: a sentence end among the last three characters, and at least
    PARA_MIN_WORDS words (one loop over a page's rows, not a call per row: both passes of a corpus run
    ask it of every row)."""
    ends, words = _SENTENCE_ENDS.isdisjoint, PARA_MIN_WORDS
    # split at most into PARA_MIN_WORDS parts: as many as that exactly when the line has that many words
    return [row for row, line in enumerate(rows) if not ends(line[-3:]) and len(line.split(None, words - 1)) >= words]


def estimate_body_span(rows: Sequence[str], recurring: Sequence[bool]) -> tuple[int, int] | None:
    """First and last row of a page's body, without labels: the run of paragraph lines (at most
    BODY_RUN_GAP rows apart) that recur on no other page of the site, with the most text."""
    return _body_span(rows[:len(recurring)], recurring.__getitem__)


def _body_span(rows: Sequence[str], recurs: Callable[[int], bool]) -> tuple[int, int] | None:
    """:func:`estimate_body_span`, asking ``recurs(row)`` of paragraph rows only."""
    best: tuple[int, int] | None = None
    best_chars = 0
    start = last = -1
    chars = 0
    paragraphs = _paragraph_rows(rows)
    for row in paragraphs:
        if recurs(row):
            continue
        line = rows[row]
        if start >= 0 and row - last <= BODY_RUN_GAP:
            last, chars = row, chars + len(line)
        else:
            start, last, chars = row, row, len(line)
        if chars > best_chars:
            best, best_chars = (start, last), chars
    return best


def labeled_body_span(labels: Sequence[str], lines: Sequence[str]) -> tuple[int, int] | None:
    """First and last non-blank row labeled body."""
    rows = [lab for line, lab in zip(lines, labels) if line.strip() and F.has_word(line.strip())]
    body = [k for k, lab in enumerate(rows) if lab == "+"]
    return (body[0], body[-1]) if body else None


# -- the template -----------------------------------------------------------------------------

@dataclass(slots=True)
class KeyCount:
    """On how many pages a line (or shape) occurred, and where it sat relative to their body."""

    pages: int = 0
    before: int = 0
    inside: int = 0
    after: int = 0
    example: str = ""  # the line as written on one page, for people reading the template

    def add(self, region: Region, sign: int = 1) -> None:
        self.pages += sign
        if region == _BEFORE:  # (module names: a class attribute costs more, once per line of every page)
            self.before += sign
        elif region == _INSIDE:
            self.inside += sign
        elif region == _AFTER:
            self.after += sign


@dataclass(slots=True)
class SiteTemplate:
    """What recurs on the pages of one site (see the module docstring)."""

    site: str
    n_pages: int = 0
    lines: dict[str, KeyCount] = field(default_factory=dict)
    shapes: dict[str, KeyCount] = field(default_factory=dict)
    span_cover: np.ndarray = field(default_factory=lambda: np.zeros(SPAN_BINS, dtype=np.int64))
    once: list[str] = field(default_factory=list)  # lines seen on one page only: hash and region digit
    page_hashes: list[str] = field(default_factory=list)
    _once_index: dict[str, Region] | None = field(default=None, repr=False, compare=False)
    #: the row ids of pages it learned last (see :meth:`row_ids`), by page fingerprint; not saved
    _row_ids: dict[str, tuple[np.ndarray, np.ndarray, tuple[int, int] | None]] | None = field(
        default=None, repr=False, compare=False)
    _by_id: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    # -- reading --------------------------------------------------------------------------
    def once_index(self) -> dict[str, Region]:
        """Hash of each line seen on one page only, to the region it sat in (built on first use)."""
        if self._once_index is None:
            self._once_index = {e[:8]: _region_of_digit(e[8:]) for e in self.once}
        return self._once_index

    def recurring_per_page(self) -> float:
        """How many lines that recur on the site a page of it has, on average: the pages of each line
        seen on at least two, summed, per page learned."""
        if not self.n_pages:
            return 0.0
        pages = self.count_arrays()[0][:, 0]
        return float(pages[pages >= 2].sum()) / self.n_pages

    def count_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The line and shape tables as arrays of (pages, before, inside, after), a row per key in the
        tables' order (the places :meth:`row_ids` gives)."""
        if self._by_id is None:
            self._by_id = tuple(  # type: ignore[assignment]
                np.array([(c.pages, c.before, c.inside, c.after) for c in table.values()], dtype=np.int64).reshape(-1, 4)
                for table in (self.lines, self.shapes))
        return self._by_id  # type: ignore[return-value]

    def keep_row_ids(self, profiles: Iterable[PageProfile], max_rows: int) -> int:
        """Remember, for up to ``max_rows`` rows of ``profiles`` (pages this template has counted, as it is
        now, with the body spans it counted them with), the place of each row's key and shape in the
        tables, and the page's body span, so that labeling these pages need neither fold their lines nor
        find their body span again (:meth:`row_ids`). Returns the rows kept."""
        line_ids = {k: i for i, k in enumerate(self.lines)}
        shape_ids = {k: i for i, k in enumerate(self.shapes)}
        dtype = np.int16 if max(len(line_ids), len(shape_ids)) < np.iinfo(np.int16).max else np.int32
        kept = self._row_ids if self._row_ids is not None else {}
        seen = set(self.page_hashes)
        n = 0
        for prof in profiles:
            rows = len(prof.keys)
            if n + rows > max_rows:
                break
            if prof.by_id or prof.fingerprint not in seen or any("\n" in r for r in prof.rows):
                continue  # (a row with a line break: its fingerprint would not tell its rows apart)
            kept[prof.fingerprint] = (np.fromiter(map(line_ids.get, prof.keys, itertools.repeat(-1)), dtype, rows),
                                      np.fromiter(map(shape_ids.get, prof.shapes, itertools.repeat(-1)), dtype, rows),
                                      prof.span)
            n += rows
        self._row_ids = kept or None
        return n

    def kept_rows(self) -> int:
        """Rows whose ids are kept (:meth:`keep_row_ids`)."""
        return sum(len(ids[0]) for ids in self._row_ids.values()) if self._row_ids is not None else 0

    def row_ids(self, rows: Sequence[str], fingerprint: str) -> PageProfile | None:
        """The profile of a page whose row ids were kept (:meth:`keep_row_ids`), its keys and shapes as
        places in the tables (``by_id``), else None. ``rows``: the page's non-blank lines, stripped."""
        ids = self._row_ids.get(fingerprint) if self._row_ids is not None else None
        if ids is None or len(ids[0]) != len(rows):
            return None
        return PageProfile(fingerprint, ids[0], ids[1], _rel_pos(rows), list(rows), span=ids[2], by_id=True)

    def line_count(self, key: str) -> KeyCount | None:
        """The counts of a line: kept by name, or seen on one page only (kept as a hash)."""
        c = self.lines.get(key)
        if c is None and self.once:
            region = self.once_index().get(_hash(key, 4))
            if region is not None:
                c = KeyCount()
                c.add(region)
        return c

    def line_pages(self, key: str) -> int:
        c = self.line_count(key)
        return c.pages if c is not None else 0

    def regions(self, min_share: float = 0.5) -> tuple[list[tuple[str, KeyCount]], list[tuple[str, KeyCount]]]:
        """Lines that open chrome regions (after the body on at least ``min_share`` of the site's pages)
        and lines that close them (before the body), most frequent first: the strong anchors of
        :func:`template_features`."""
        need = max(ANCHOR_MIN_PAGES, min_share * self.n_pages)
        after = [(k, c) for k, c in self.lines.items() if c.after >= need]
        before = [(k, c) for k, c in self.lines.items() if c.before >= need]
        order = lambda kc: (-kc[1].pages, kc[0])  # noqa: E731
        return sorted(after, key=order), sorted(before, key=order)

    def body_span(self) -> tuple[float, float] | None:
        """The part of a page the body usually covers (bins covered on at least half the pages)."""
        if self.n_pages == 0:
            return None
        covered = np.flatnonzero(self.span_cover >= self.n_pages / 2)
        if not len(covered):
            return None
        return float(covered[0] / SPAN_BINS), float((covered[-1] + 1) / SPAN_BINS)

    # -- learning -------------------------------------------------------------------------
    def _add_profile(self, prof: PageProfile, rows: Sequence[str], once: dict[str, Region],
                     pages_with: tuple[Counter, Counter] | None = None,
                     lone: list[tuple[str, Region]] | None = None) -> None:
        """Count one more page (``once``: lines an earlier learning saw on one page, by hash).

        ``pages_with``: on how many of the pages being learned each line key and each shape occurs, when
        the template had no page before and will be pruned: then a line on this page only goes straight
        to ``lone`` with its region (:meth:`_prune` makes it a hash), and a shape on this page only is not
        counted (pruning would drop it)."""
        for table, regions, seq, on in ((self.lines, prof.regions(False), prof.keys, pages_with and pages_with[0]),
                                        (self.shapes, prof.regions(True), prof.shapes, pages_with and pages_with[1])):
            examples = None  # each key's row (the last with it), made when a key is new to the table
            get = table.get
            for k, region in regions.items():
                if on and on[k] == 1:
                    if lone is not None and table is self.lines:
                        lone.append((k, region))
                    continue
                c = get(k)
                if c is None:
                    if examples is None:
                        examples = dict(zip(seq, rows))
                    c = table[k] = KeyCount(example=examples.get(k, ""))
                    if table is self.lines and once:
                        earlier = once.get(_hash(k, 4))
                        if earlier is not None:  # seen on one earlier page
                            c.add(earlier)
                c.add(region)
        self.span_cover += prof.span_bins()
        self.n_pages += 1
        self._row_ids = self._by_id = None

    def _prune(self, lone: Sequence[tuple[str, Region]] = ()) -> None:
        """Keep what recurs (capped); lines seen once become hashes, so later pages still count them
        (``lone``: lines seen once that were not counted, with their region, see :meth:`_add_profile`)."""
        once = [k for k, c in self.lines.items() if c.pages < RECUR_MIN_PAGES]
        removed = {k: self.lines.pop(k) for k in once}
        if self.once:
            kept = {_hash(k, 4) for k in self.lines}  # a hash that became a counted line leaves the list
            self.once = [e for e in self.once if e[:8] not in kept]
        self.once = self.once + [_hash(k, 4) + str(int(_sole_region(removed[k]))) for k in once] + \
            [_hash(k, 4) + str(int(region)) for k, region in lone]
        self.once = self.once[-MAX_ONCE:]
        self._once_index = self._row_ids = self._by_id = None
        for k in [k for k, c in self.shapes.items() if c.pages < RECUR_MIN_PAGES]:
            del self.shapes[k]
        for table in (self.lines, self.shapes):
            if len(table) > MAX_KEYS:
                keep = sorted(table, key=lambda k: (-table[k].pages, k))[:MAX_KEYS]
                kept = {k: table[k] for k in keep}
                table.clear()
                table.update(kept)
        self.page_hashes = self.page_hashes[-MAX_PAGE_HASHES:]


def _recurring_counts(profiles: Sequence[PageProfile], base: SiteTemplate | None) -> Counter:
    """On how many pages (of ``profiles`` and the base template) each line key occurs."""
    counts: Counter = Counter()
    for prof in profiles:
        counts.update(set(prof.keys))
    if base is not None:
        for key in counts:
            counts[key] += base.line_pages(key)
    return counts


def learn_template(pages: Iterable[Sequence[str]], site: str, labels: Sequence[Sequence[str] | None] | None = None,
                   base: SiteTemplate | None = None, prune: bool = True, row_ids: int = 0) -> SiteTemplate:
    """A :class:`SiteTemplate` of ``site`` from its pages (each a sequence of lines); no labels needed.

    ``labels`` (one ``+``/``-`` sequence or None per page) give the body span where known. ``base``, a
    template learned before, is updated with the new pages (it is not modified); pages it has already
    seen are skipped. ``prune=False`` keeps every line (for templates held in memory, as in training).
    ``row_ids``: keep the row ids of up to this many rows of the pages (:meth:`SiteTemplate.keep_row_ids`),
    for a template that will not change before it labels them.
    """
    pages = [list(p) for p in pages]
    labels = list(labels) if labels is not None else [None] * len(pages)
    tpl = _copy(base) if base is not None else SiteTemplate(site)
    seen = set(tpl.page_hashes)
    profiles: list[PageProfile] = []
    kept: list[int] = []
    shapes_met: dict[str, str] = {}  # a site's pages share lines with digits (a footer's year, a menu)
    for k, lines in enumerate(pages):
        prof = profile_page(lines, shapes=shapes_met)
        if prof.fingerprint in seen:
            log.debug("%s: page %d already learned, skipped", site, k)
            continue
        seen.add(prof.fingerprint)
        profiles.append(prof)
        kept.append(k)
    counts = _recurring_counts(profiles, base)
    once = dict(tpl.once_index())
    # a new template, pruned: what only one page has is not counted, but kept as a hash (lines) or dropped
    pages_with: tuple[Counter, Counter] | None = None
    lone: list[tuple[str, Region]] = []
    if prune and base is None:
        shapes: Counter = Counter()
        for prof in profiles:
            shapes.update(set(prof.shapes))
        pages_with = counts, shapes
    for prof, k in zip(profiles, kept):
        if labels[k] is not None:
            prof.span = labeled_body_span(labels[k], pages[k])
        else:  # recurring: on at least one page besides this one
            keys = prof.keys
            prof.span = _body_span(prof.rows, lambda row: counts[keys[row]] >= 2)  # noqa: B023 - called here
        tpl._add_profile(prof, prof.rows, once, pages_with, lone)
        tpl.page_hashes.append(prof.fingerprint)
    if prune:
        tpl._prune(lone)
    if row_ids > 0:
        tpl.keep_row_ids(profiles, row_ids)
    return tpl


def _sole_region(c: KeyCount) -> Region:
    """The region of a line counted on one page."""
    if c.before:
        return Region.BEFORE
    if c.inside:
        return Region.INSIDE
    if c.after:
        return Region.AFTER
    return Region.UNKNOWN


def _region_of_digit(digit: str) -> Region:
    return Region(int(digit)) if digit in ("0", "1", "2", "3") else Region.UNKNOWN


def _copy(t: SiteTemplate) -> SiteTemplate:
    return template_from_json(template_to_json(t), f"template of {t.site}")


def own_profile(lines: Sequence[str], tpl: SiteTemplate, prof: PageProfile | None = None,
                seen: set[str] | None = None) -> PageProfile | None:
    """The page's contribution to ``tpl`` if the template has seen it (else None), recomputed as
    :func:`learn_template` computed it (``prof``: the page's :func:`profile_page`, and ``seen``: the set
    of the template's page fingerprints, if already made)."""
    prof = prof if prof is not None else profile_page(lines)
    if prof.fingerprint not in (seen if seen is not None else set(tpl.page_hashes)):
        return None
    if prof.by_id:  # kept from learning, with the span the page was counted with
        return prof
    # recurring: on another page than this one, so on two pages at least (a line kept only as a hash
    # was seen on one page)
    keys, counted = prof.keys, tpl.lines

    def recurs(row: int) -> bool:
        c = counted.get(keys[row])
        return c is not None and c.pages >= 2

    prof.span = _body_span(prof.rows, recurs)
    return prof


# -- features ---------------------------------------------------------------------------------

def _row_counts(keys: Sequence[str | None], table: dict[str, KeyCount], mine: dict[str, Region] | None,
                once: Callable[[str], KeyCount | None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each row, whether its key is counted in ``table``, and its counts (pages, before, inside, after)
    less this page's own (``mine``: the region of each of the page's keys, when the template has seen the
    page and must leave it out); a key counted on this page only is not counted. ``once``: how a key the
    table lacks is looked up (:meth:`SiteTemplate.line_count`, for lines; a key of the page itself need not
    be, since a line kept as a hash was seen on one page)."""
    n = len(keys)
    present = np.zeros(n, dtype=bool)
    counts = np.zeros((n, 4), dtype=np.int64)
    rows: list[int] = []
    vals: list[tuple[int, int, int, int]] = []
    get = table.get
    before, inside, after = Region.BEFORE, Region.INSIDE, Region.AFTER
    for r, key in enumerate(keys):
        c = get(key)  # type: ignore[arg-type]
        if c is None:
            if once is None or key is None or (mine is not None and key in mine):
                continue
            c = once(key)
            if c is None:
                continue
        region = mine.get(key) if mine is not None else None  # type: ignore[arg-type]
        if region is None:
            vals.append((c.pages, c.before, c.inside, c.after))
        else:
            if c.pages <= 1:
                continue
            # a page learned with its labels had a labeled body span, which the recomputed one may not
            # match: never let a region count go below zero (nor a share above one, below)
            vals.append((c.pages - 1, max(c.before - (region is before), 0), max(c.inside - (region is inside), 0),
                         max(c.after - (region is after), 0)))
        rows.append(r)
    if rows:
        present[rows] = True
        counts[rows] = vals
    return present, counts


def _log1p_ints(values: np.ndarray) -> np.ndarray:
    """``math.log1p`` of each (integer) value, as the scalar function gives it."""
    uniq, inverse = np.unique(values, return_inverse=True)
    return np.asarray([math.log1p(v) for v in uniq.tolist()], dtype=np.float64)[inverse]


def _count_columns(out: np.ndarray, has_l: np.ndarray, lc: np.ndarray, has_s: np.ndarray, sc: np.ndarray,
                   others: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The columns of the rows' line and shape counts (``has_l``/``lc``, ``has_s``/``sc``: as
    :func:`_row_counts` gives them), written into ``out``; ``others``: the site's other pages (one number,
    or one per row). Returns how strongly each row marks the end and the start of the body (float32)."""
    lc, sc = lc.astype(np.float64), sc.astype(np.float64)
    share = np.where(has_l, np.minimum(lc[:, 0] / others, 1.0), 0.0)
    out[:, _T["tpl_line_share"]] = share
    if has_l.any():
        out[has_l, _T["tpl_line_pages"]] = _log1p_ints(lc[has_l, 0])
        out[has_l, _T["tpl_line_inside"]] = np.minimum(lc[has_l, 2] / lc[has_l, 0], 1.0)
    # how strongly each line marks the end (the start) of the body: the share of the site's other pages on
    # which it sat after (before) the body. A line seen after the body on a few pages only (another
    # article's headline in a related list) is a weak anchor; a section heading on every page a strong one.
    anchor = has_l & (lc[:, 0] >= ANCHOR_MIN_PAGES)
    end = np.where(anchor, np.minimum(lc[:, 3] / others, 1.0), 0.0).astype(np.float32)
    start = np.where(anchor, np.minimum(lc[:, 1] / others, 1.0), 0.0).astype(np.float32)
    out[:, _T["tpl_shape_share"]] = np.where(has_s, np.maximum(share, np.minimum(sc[:, 0] / others, 1.0)), share)
    anchor = has_s & (sc[:, 0] >= ANCHOR_MIN_PAGES)
    end = np.where(anchor, np.maximum(end, np.minimum(sc[:, 3] / others, 1.0).astype(np.float32)), end)
    start = np.where(anchor, np.maximum(start, np.minimum(sc[:, 1] / others, 1.0).astype(np.float32)), start)
    return end, start


def _page_template_features(prof: PageProfile, rel_pos: np.ndarray, tpl: SiteTemplate,
                            own: PageProfile | None, confirm: int = ANCHOR_CONFIRM_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Template features of one page's non-blank lines (``prof``: the page's profile, its keys and shapes
    as lines; ``own``: the same with its body span, when the template has seen the page and must leave it
    out; ``confirm``: as :func:`confirm_anchors`), and on how many of the site's other pages each line
    occurs (0: none). Pages whose profiles are places in the tables (``by_id``) go through
    :func:`_id_template_features`."""
    n = len(prof.keys)
    out = np.zeros((n, len(TEMPLATE_FEATURES)), dtype=np.float32)
    others = tpl.n_pages - (1 if own is not None else 0)
    if others < 1 or n == 0:
        return out, np.zeros(n, dtype=np.int64)
    has_l, lc = _row_counts(prof.keys, tpl.lines, own.regions(False) if own is not None else None, tpl.line_count)
    has_s, sc = _row_counts(prof.shapes, tpl.shapes, own.regions(True) if own is not None else None)
    end, start = confirm_anchors(*_count_columns(out, has_l, lc, has_s, sc, others), np.zeros(n, dtype=np.int64), confirm)
    out[:, _T["tpl_pages"]] = math.log1p(others)
    out[:, _T["tpl_after_end"]] = np.maximum.accumulate(end)
    out[:, _T["tpl_before_start"]] = np.maximum.accumulate(start[::-1])[::-1]
    cover = tpl.span_cover - (own.span_bins() if own is not None else 0)
    bins = np.minimum((rel_pos * SPAN_BINS).astype(np.int64), SPAN_BINS - 1)
    out[:, _T["tpl_span"]] = np.clip(cover[bins] / others, 0.0, 1.0)
    return out, np.where(has_l, lc[:, 0], 0)


def template_features(batch: F.LineBatch, pages: Sequence[Sequence[str]],
                      templates: Sequence[SiteTemplate | None], min_fit: float = 0.0,
                      min_match: float = 0.0, min_cover: float = 0.0, *, confirm: int = ANCHOR_CONFIRM_ROWS) -> np.ndarray:
    """The :data:`TEMPLATE_FEATURES` of every row of ``batch`` (zeros for pages without a template).

    A page the template has seen is taken out of its counts first (leave-one-page-out). A page of
    which less than ``min_fit`` of the lines occur on the template's other pages, or which has fewer
    than ``min_match`` times the recurring lines of a typical page of the site, or less than ``min_cover``
    of the template's core lines (with less than SURE_TEMPLATE_FIT of its lines known), gets zeros (see
    MIN_TEMPLATE_FIT, MIN_TEMPLATE_MATCH and MIN_TEMPLATE_COVER).
    """
    out = np.zeros((batch.n_rows, len(TEMPLATE_FEATURES)), dtype=np.float32)
    char_pos = batch.X[:, F.FEATURE_NAMES.index("char_pos")]
    seen: dict[int, set[str]] = {}  # each template's page fingerprints, as a set once per batch
    by_id: list[tuple[int, int, SiteTemplate, PageProfile, PageProfile | None]] = []
    for p, tpl in enumerate(templates):
        if tpl is None or tpl.n_pages == 0:
            continue
        a, b = int(batch.page_start[p]), int(batch.page_start[p + 1])
        rows = batch.texts[a:b]  # the batch holds the page's non-blank lines
        prof = tpl.row_ids(rows, _hash("\n".join(rows), 8)) if tpl._row_ids is not None else None
        if prof is None:
            prof = profile_page(pages[p], rows)
        own = None
        if tpl.page_hashes:
            hashes = seen.get(id(tpl))
            if hashes is None:
                hashes = seen[id(tpl)] = set(tpl.page_hashes)
            own = own_profile(pages[p], tpl, prof, hashes)
        if prof.by_id and b > a:  # (the pages a corpus pass learned from): all at once, below
            by_id.append((a, b, tpl, prof, own))
            continue
        feats, line_pages = _page_template_features(prof, char_pos[a:b], tpl, own, confirm)
        if len(feats) and (min_fit > 0 or min_match > 0 or min_cover > 0):
            if not _page_fit(prof, line_pages, tpl, own is not None, min_cover > 0).used(min_fit, min_match, min_cover):
                continue  # the template does not fit this page: labeled as without one
        out[a:b] = feats
    if by_id:
        _id_template_features(by_id, char_pos, out, min_fit, min_match, min_cover, confirm)
    return out


@dataclass(slots=True)
class TemplateFit:
    """How a template fits one page: what its gates test (see :func:`template_fit`)."""

    rows: int  # the page's non-blank lines
    matched: int  # ... of which occur on the template's other pages
    typical: float  # the recurring lines a page of the site typically has
    cover: float  # the share of the template's core lines the page has (1: not measured, or no core)

    @property
    def fit(self) -> float:
        return self.matched / self.rows if self.rows else 0.0

    def used(self, min_fit: float = MIN_TEMPLATE_FIT, min_match: float = MIN_TEMPLATE_MATCH,
             min_cover: float = MIN_TEMPLATE_COVER) -> bool:
        """Whether the template is used on the page with these gates."""
        return self.rows > 0 and _fits(self.matched, self.rows, self.typical, min_fit, min_match, self.cover, min_cover)

    def why_not(self, min_fit: float = MIN_TEMPLATE_FIT, min_match: float = MIN_TEMPLATE_MATCH,
                min_cover: float = MIN_TEMPLATE_COVER) -> str | None:
        """Why the template is not used on the page, in words (None: it is)."""
        if self.used(min_fit, min_match, min_cover):
            return None
        if self.rows == 0:
            return "the page has no line to judge"
        if self.fit < min_fit:
            return f"{self.fit:.0%} of the page's lines occur on the site's other pages ({min_fit:.0%} needed)"
        if self.matched < min_match * self.typical:
            return (f"the page has {self.matched} of the lines that recur on the site's pages, a page of the site "
                    f"typically {self.typical:.0f} ({min_match:.0%} of that needed)")
        return (f"the page has {self.cover:.0%} of the template's core lines ({min_cover:.0%} needed, or "
                f"{SURE_TEMPLATE_FIT:.0%} of its own lines known: {self.fit:.0%})")


def _page_fit(prof: PageProfile, line_pages: np.ndarray, tpl: SiteTemplate, own: bool, cover: bool = True) -> TemplateFit:
    """:class:`TemplateFit` of a page from its profile and on how many of the site's other pages each of its
    lines occurs (:func:`_page_template_features`; ``own``: the template has seen the page; ``cover``:
    measure the core's share, else 1)."""
    share = 1.0
    if cover:  # the other pages holding each of the page's keys, once per key
        per_key = {k: c for k, c in zip(prof.keys, line_pages.tolist()) if c > 0}
        counts = np.fromiter(per_key.values(), dtype=np.float64, count=len(per_key))
        share = float(_core_covers(counts, np.zeros(len(counts), dtype=np.int64), [tpl], [own])[0])
    return TemplateFit(len(line_pages), int((line_pages > 0).sum()), tpl.recurring_per_page(), share)


def template_fit(lines: Sequence[str], tpl: SiteTemplate) -> TemplateFit:
    """How ``tpl`` fits a page (its lines): the figures the template gates test, for telling a person why a
    template was or was not used. A page the template has seen is left out of its counts, as in labeling."""
    prof = profile_page(lines)
    own = own_profile(lines, tpl, prof)
    _, line_pages = _page_template_features(prof, prof.rel_pos, tpl, own)
    return _page_fit(prof, line_pages, tpl, own is not None)


def _core_covers(counts: np.ndarray, page: np.ndarray, tpls: Sequence[SiteTemplate], own: np.ndarray) -> np.ndarray:
    """For each of ``len(tpls)`` pages, the share of its template's core lines (on at least CORE_SHARE of the
    site's other pages, and on RECUR_MIN_PAGES) that the page has; 1 for a template without a core.
    ``counts``: the number of other pages holding each of the pages' distinct known lines, ``page`` the
    page of each; ``own``: whether each page's template has seen it (its lines' table counts then hold
    the page itself)."""
    n = len(tpls)
    own = np.asarray(own, dtype=bool)
    need = np.maximum(RECUR_MIN_PAGES, CORE_SHARE * (np.array([t.n_pages for t in tpls], dtype=np.float64) - own))
    core = np.empty(n, dtype=np.float64)
    known: dict[tuple[int, float], int] = {}  # core sizes, once per template and need
    for k, (t, nd) in enumerate(zip(tpls, need.tolist())):
        size = known.get((id(t), nd))
        if size is None:
            size = known[(id(t), nd)] = int(np.count_nonzero(t.count_arrays()[0][:, 0] >= nd))
        core[k] = size
    nd = need[page]
    core -= np.bincount(page, weights=own[page] & (counts < nd) & (counts + 1 >= nd), minlength=n)  # core by itself
    covered = np.bincount(page, weights=counts >= nd, minlength=n)
    return np.where(core > 0, covered / np.maximum(core, 1.0), 1.0)


def _fits(matched: int, rows: int, typical: float, min_fit: float, min_match: float, cover: float = 1.0,
          min_cover: float = 0.0) -> bool:
    """Whether a template is used on a page of ``rows`` lines, ``matched`` of which occur on the template's
    other pages: at least ``min_fit`` of them, at least ``min_match`` times the recurring lines a page
    of the site typically has (``typical``: :meth:`SiteTemplate.recurring_per_page`), and either at least
    ``min_cover`` of the template's core lines (``cover``: :func:`_core_covers`) or SURE_TEMPLATE_FIT of
    its lines known."""
    fit = matched / rows
    return fit >= min_fit and matched >= min_match * typical and (cover >= min_cover or fit >= SURE_TEMPLATE_FIT)


def _id_template_features(pages: Sequence[tuple[int, int, SiteTemplate, PageProfile, PageProfile | None]],
                          char_pos: np.ndarray, out: np.ndarray, min_fit: float, min_match: float,
                          min_cover: float = 0.0, confirm: int = ANCHOR_CONFIRM_ROWS) -> None:
    """What :func:`_page_template_features` gives (and the fit test of :func:`template_features`), for many
    pages whose profiles are places in their templates' tables (``by_id``), all at once: each ``(a, b,
    template, profile, own)`` writes rows ``a:b`` of ``out``. The same numbers as the pages' lines give."""
    n_pages = len(pages)
    sizes = np.array([b - a for a, b, _, _, _ in pages], dtype=np.int64)
    at = np.concatenate([np.arange(a, b) for a, b, _, _, _ in pages])
    page = np.repeat(np.arange(n_pages), sizes)
    first_row = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.arange(len(at)) - first_row[page]
    has_own = np.array([own is not None for _, _, _, _, own in pages])
    others = np.array([t.n_pages for _, _, t, _, _ in pages], dtype=np.int64) - has_own
    # each template's tables once, one after another: a row's place becomes its place in the lot
    tables: dict[int, int] = {}
    line_parts, shape_parts, line_at, shape_at = [], [], [], []
    n_line = n_shape = 0
    for _, _, t, _, _ in pages:
        if id(t) not in tables:
            tables[id(t)] = len(line_at)
            lines, shapes = t.count_arrays()
            line_parts.append(lines)
            shape_parts.append(shapes)
            line_at.append(n_line)
            shape_at.append(n_shape)
            n_line += len(lines)
            n_shape += len(shapes)
    which = np.array([tables[id(t)] for _, _, t, _, _ in pages], dtype=np.int64)
    spans = np.array([own.span if own is not None and own.span is not None else (-1, -1)
                      for _, _, _, _, own in pages], dtype=np.int64).reshape(-1, 2)
    counted, places = [], []
    for ids, parts, offsets in ((np.concatenate([pr.keys for _, _, _, pr, _ in pages]), line_parts, line_at),
                                (np.concatenate([pr.shapes for _, _, _, pr, _ in pages]), shape_parts, shape_at)):
        ids = ids.astype(np.int64)
        present = ids >= 0
        place = np.where(present, ids + np.asarray(offsets, dtype=np.int64)[which][page], -1)
        table = np.concatenate(parts) if parts else np.zeros((0, 4), dtype=np.int64)
        counted.append(_ids_less_own(place, present, table, page, rank, has_own, spans))
        places.append(place)
    (has_l, lc), (has_s, sc) = counted
    per_row = np.maximum(others, 1)[page].astype(np.float64)
    feats = np.zeros((len(at), len(TEMPLATE_FEATURES)), dtype=np.float32)
    end, start = confirm_anchors(*_count_columns(feats, has_l, lc, has_s, sc, per_row), page, confirm)
    feats[:, _T["tpl_pages"]] = np.array([math.log1p(max(o, 0)) for o in others.tolist()])[page]
    feats[:, _T["tpl_after_end"]] = _page_cummax(end, page, rank, sizes)
    feats[:, _T["tpl_before_start"]] = _page_cummax(start, page, sizes[page] - 1 - rank, sizes)
    cover = np.stack([t.span_cover - (own.span_bins() if own is not None else 0) for _, _, t, _, own in pages])
    bins = np.minimum((char_pos[at] * SPAN_BINS).astype(np.int64), SPAN_BINS - 1)
    feats[:, _T["tpl_span"]] = np.clip(cover[page, bins] / per_row, 0.0, 1.0)
    keep = others >= 1
    if min_fit > 0 or min_match > 0 or min_cover > 0:
        matched = np.bincount(page, weights=feats[:, _T["tpl_line_pages"]] > 0, minlength=n_pages)
        core_share = np.ones(n_pages)
        if min_cover > 0:  # the other pages holding each of a page's lines, once per line (its place in the lot)
            known, line_place = np.flatnonzero(has_l), places[0]
            _, first = np.unique(page[known] * (int(line_place.max()) + 1) + line_place[known], return_index=True)
            distinct = known[first]
            core_share = _core_covers(lc[distinct, 0].astype(np.float64), page[distinct],
                                      [t for _, _, t, _, _ in pages], has_own)
        typical = {}
        for k, (_, _, t, _, _) in enumerate(pages):
            if id(t) not in typical:
                typical[id(t)] = t.recurring_per_page()
            keep[k] &= _fits(int(matched[k]), int(sizes[k]), typical[id(t)], min_fit, min_match, core_share[k], min_cover)
    rows = keep[page]
    out[at[rows]] = feats[rows]


def _ids_less_own(place: np.ndarray, present: np.ndarray, table: np.ndarray, page: np.ndarray, rank: np.ndarray,
                  has_own: np.ndarray, spans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_row_counts` of many pages whose keys (or shapes) are places in their templates' tables, all
    at once: ``place`` each row's place in ``table`` (-1: not there), ``page`` and ``rank`` its page and
    row in it, ``has_own`` whether each page's template has seen it, and ``spans`` the first and last body
    row it was counted with (-1, -1: none)."""
    counts = np.zeros((len(place), 4), dtype=np.int64)
    if len(table) and present.any():
        counts[present] = table[place[present]]
    sel = present & has_own[page]
    if not sel.any():
        return present, counts
    # each (page, place)'s region on its page: inside the body if once inside it, before and after it unknown
    first, last = spans[page, 0], spans[page, 1]
    known = first >= 0
    where = np.where(rank < first, int(Region.BEFORE), np.where(rank > last, int(Region.AFTER), int(Region.INSIDE)))
    region = np.full(len(place), int(Region.UNKNOWN))
    rows = np.flatnonzero(sel & known)
    if len(rows):
        key = page[rows] * (len(table) + 1) + place[rows]
        groups, row_group = np.unique(key, return_inverse=True)
        seen = {}
        for r in (Region.BEFORE, Region.INSIDE, Region.AFTER):
            seen[r] = np.zeros(len(groups), dtype=bool)
            seen[r][row_group[where[rows] == int(r)]] = True
        by_group = np.where(seen[Region.INSIDE], int(Region.INSIDE),
                            np.where(seen[Region.BEFORE] & seen[Region.AFTER], int(Region.UNKNOWN),
                                     np.where(seen[Region.BEFORE], int(Region.BEFORE), int(Region.AFTER))))
        region[rows] = by_group[row_group]
    counts[sel, 0] -= 1
    for col, r in ((1, Region.BEFORE), (2, Region.INSIDE), (3, Region.AFTER)):
        counts[sel, col] -= region[sel] == int(r)
    np.maximum(counts[:, 1:], 0, out=counts[:, 1:])
    own_pages = has_own[page]
    drop = own_pages & ~(present & (counts[:, 0] > 0))
    present = present & ~drop
    counts[drop] = 0
    return present, counts


def confirm_anchors(end: np.ndarray, start: np.ndarray, page: np.ndarray,
                    rows: int = ANCHOR_CONFIRM_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """How strongly each row opens a chrome region after the body (``end``) and closes one before it
    (``start``), each at most as strong as the strongest of the ``rows`` rows below it (above it, for
    ``start``) on its page (``page``: each row's page, the rows of a page in order); past the page's edge
    counts as 1 (ANCHOR_CONFIRM_ROWS; ``rows`` 0: unchanged)."""
    if rows <= 0 or not len(end):
        return end, start
    n = len(end)
    below, above = np.zeros_like(end), np.zeros_like(start)
    below[max(n - rows, 0):] = 1.0  # within ``rows`` of the last row, or of the first
    above[:rows] = 1.0
    for d in range(1, min(rows, n - 1) + 1):
        same = page[d:] == page[:-d]
        below[:-d] = np.maximum(below[:-d], np.where(same, end[d:], 1.0))
        above[d:] = np.maximum(above[d:], np.where(same, start[:-d], 1.0))
    return np.minimum(end, below), np.minimum(start, above)


def _page_cummax(values: np.ndarray, page: np.ndarray, rank: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The running maximum of ``values`` within each page, in the order ``rank`` gives each row there."""
    out = np.empty_like(values)
    width = int(sizes.max()) if len(sizes) else 0
    if len(sizes) * width <= 4 * len(values) + 4096:
        padded = np.zeros((len(sizes), width), dtype=values.dtype)
        padded[page, rank] = values
        out[:] = np.maximum.accumulate(padded, axis=1)[page, rank]
        return out
    for k in range(len(sizes)):
        sel = np.flatnonzero(page == k)
        order = sel[np.argsort(rank[sel])]
        out[order] = np.maximum.accumulate(values[order])
    return out


# -- JSON and the store -----------------------------------------------------------------------

def template_to_json(t: SiteTemplate) -> str:
    """The template as human-readable JSON: recurring lines with their counts, most frequent first."""
    def table(d: dict[str, KeyCount]) -> list:
        return [{"line": k, "pages": c.pages, "before": c.before, "inside": c.inside, "after": c.after,
                 "example": c.example}
                for k, c in sorted(d.items(), key=lambda kc: (-kc[1].pages, kc[0]))]

    doc = {"format": TEMPLATE_FORMAT, "kind": "boiler site template", "site": t.site, "pages": t.n_pages,
           "body_span_cover": t.span_cover.tolist(), "lines": table(t.lines), "shapes": table(t.shapes),
           "once": t.once, "page_hashes": t.page_hashes}
    return json.dumps(doc, ensure_ascii=False, indent=1)


def template_from_json(text: str | bytes, source: str) -> SiteTemplate:
    """A template from its JSON text; any malformed or foreign file is an :class:`InputError`."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(source, f"not a site template (invalid JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("kind") != "boiler site template":
        raise InputError(source, "not a boiler site template")
    fmt = doc.get("format")
    if not isinstance(fmt, int) or fmt > TEMPLATE_FORMAT:
        raise InputError(source, f"template format {fmt!r} is newer than this boiler reads ({TEMPLATE_FORMAT})")
    try:
        def table(rows) -> dict[str, KeyCount]:
            out = {}
            for r in rows:
                c = KeyCount(int(r["pages"]), int(r["before"]), int(r["inside"]), int(r["after"]), str(r.get("example", "")))
                if not isinstance(r["line"], str) or min(c.pages, c.before, c.inside, c.after) < 0 or \
                        c.before + c.inside + c.after > c.pages:
                    raise ValueError(f"bad counts for {r['line']!r}")
                out[r["line"]] = c
            return out

        cover = np.asarray([int(v) for v in doc["body_span_cover"]], dtype=np.int64)
        if cover.shape != (SPAN_BINS,):
            raise ValueError("body_span_cover has the wrong length")
        t = SiteTemplate(str(doc["site"]), int(doc["pages"]), table(doc["lines"]), table(doc["shapes"]), cover,
                         [str(h) for h in doc["once"]], [str(h) for h in doc["page_hashes"]])
        if t.n_pages < 0:
            raise ValueError("negative page count")
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise InputError(source, f"malformed site template ({exc})") from None
    return t


def _site_file(site: str) -> str:
    return quote(site.lower(), safe="") + ".json"


class TemplateStore:
    """A folder of site templates, one JSON file per site, read lazily (only the sites asked for)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._cache: dict[str, SiteTemplate | None] = {}

    def path(self, site: str) -> Path:
        return self.folder / _site_file(site)

    def get(self, site: str | None) -> SiteTemplate | None:
        """The template of ``site``, or None if the store has none."""
        if not site:
            return None
        site = site.lower()
        if site not in self._cache:
            path = self.path(site)
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                self._cache[site] = None
                return None
            except OSError as exc:
                raise InputError(str(path), exc.strerror or str(exc)) from None
            self._cache[site] = template_from_json(data, str(path))
        return self._cache[site]

    def sites(self) -> list[str]:
        """Sites with a template in the store, sorted."""
        if not self.folder.is_dir():
            return []
        return sorted(unquote(p.name[:-5]) for p in self.folder.glob("*.json"))

    def save(self, template: SiteTemplate) -> Path:
        """Write a template atomically (a temporary file renamed into place)."""
        path = self.path(template.site)
        write_text_atomic(path, template_to_json(template) + "\n")
        self._cache[template.site.lower()] = template
        return path

    def __iter__(self) -> Iterator[str]:
        return iter(self.sites())

    def __getstate__(self):  # pickled to workers without the loaded templates
        return {"folder": self.folder, "_cache": {}}

    def __setstate__(self, state):
        self.folder = state["folder"]
        self._cache = {}
