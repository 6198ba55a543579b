"""Aligning a page with its gold main text: line labels for the text track (FORMATS.md).

A line is body when at least half of its word tokens align with the gold. The alignment is an
order-preserving matching of word tokens (``\\w+``, case-folded, NFKC for non-ASCII), so line
breaks, case, punctuation and spacing do not matter, and a gold paragraph may span several lines
or a line several paragraphs. It works like a patience diff on words:

1. **Anchors**: word 3-grams that occur once on the page and once in the gold; failing those,
   3-grams that occur at most :data:`MAX_REPEATS` times on each side (a page that holds its
   article twice), then single words unique on both sides (:data:`ANCHOR_STAGES`).
2. **Chain**: the longest chain of anchors in the same order on both sides (a longest increasing
   subsequence, O(k log k)), turned into matched runs of words. A headline repeated in a
   "related" list after the article cannot take the gold's words: it is out of order.
3. **Gaps**: each gap between two long runs (:data:`MIN_CHAIN_RUN`) is aligned the same way, on
   its own words: first the words next to each run while they agree (extending it), then the
   gap's own anchors; a gap with no anchor is matched with difflib when small, keeping blocks of
   at least :data:`MIN_GAP_RUN` words. In the gap before the first run, only the page start
   bounds it, so of equal matches the one nearest the run is taken: the headline above the
   text, not the ``<title>`` line (html-text's first line) that repeats it.

Deterministic; a 2,000-line page aligns in about 30 ms (``bench/align.py`` measures it).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from .errors import InputError
from .formats import Failure, Label, Page, looks_like_html, split_lines

__all__ = [
    "ANCHOR_NGRAM",
    "BODY_SHARE",
    "Alignment",
    "align_files",
    "align_lines",
    "align_page",
    "align_records",
    "align_tokens",
    "looks_like_html",
]

log = logging.getLogger(__name__)

#: A line is body when at least this share of its word tokens align with the gold.
BODY_SHARE = 0.5
#: Length in words of the n-grams used as anchors (then single words inside gaps).
ANCHOR_NGRAM = 3
#: An n-gram is an anchor candidate when it occurs at most this often on the page and in the gold (a page
#: that holds its article twice, or a phrase the gold repeats, still aligns; the chain picks one pairing).
MAX_REPEATS = 3
#: Anchors tried in turn on a page range (then on each gap between the matched runs): n-grams unique on
#: both sides, n-grams rare on both sides, single words unique on both sides.
ANCHOR_STAGES = ((ANCHOR_NGRAM, 1), (ANCHOR_NGRAM, MAX_REPEATS), (1, 1))
#: Matched runs shorter than this (in words) are left to the gaps' own alignment when the chain has longer
#: ones: there, words next to a long run match first, so of two copies of a headline the one above the
#: text is taken (a chain alone would take either).
MIN_CHAIN_RUN = 6
#: Gaps with no unique word left are matched with difflib only when len(page gap) * len(gold gap) is at most this.
GAP_DIFF_LIMIT = 400_000
#: Matching blocks shorter than this many words found by difflib inside a gap are not kept (stray words
#: such as "the" or "news" in a menu would otherwise turn short chrome lines into body).
MIN_GAP_RUN = 2

_TOKEN = re.compile(r"\w+")


@dataclass(slots=True)
class Alignment:
    """Line labels from aligning a page with its gold text, and how well they cover the gold.

    ``align_recall``: share of the gold's word tokens aligned to a token of a body line (1.0 when the
    gold has none). ``align_precision``: share of the body lines' tokens aligned to the gold (1.0 when
    no line is body).
    """

    labels: list[str]
    align_recall: float
    align_precision: float
    gold_tokens: int
    body_tokens: int
    aligned_tokens: int  # gold tokens aligned to any page token
    line_aligned: list[int]  # per line, how many of its tokens align

    def as_dict(self) -> dict:
        return {"align_recall": round(self.align_recall, 4), "align_precision": round(self.align_precision, 4)}


def _norm(token: str) -> str:
    if not token.isascii():
        token = unicodedata.normalize("NFKC", token)
    return token.casefold()


def _tokens(text: str) -> list[str]:
    if text.isascii():  # lower-casing ASCII keeps every token whole, so one pass will do
        return _TOKEN.findall(text.lower())
    return [_norm(t) for t in _TOKEN.findall(text)]


def _grams(S: Sequence[str], lo: int, hi: int, n: int) -> list:
    """The n-grams of S[lo:hi] in order (the tokens themselves for n = 1)."""
    if n == 1:
        return list(S[lo:hi])
    return list(zip(*(S[lo + k:hi] for k in range(n))))


def _anchors(P: Sequence[str], plo: int, phi: int, G: Sequence[str], glo: int, ghi: int,
             n: int, repeats: int) -> list[tuple[int, int]]:
    """Anchor points (page position, gold position): the n-grams shared by P[plo:phi] and G[glo:ghi]
    that are rare on both sides (at most ``repeats`` times each), every pairing of their
    occurrences, sorted by page position (and by gold position, descending, within one)."""
    if phi - plo < n or ghi - glo < n:
        return []
    pg, gg = _grams(P, plo, phi, n), _grams(G, glo, ghi, n)
    pc, gc = Counter(pg), Counter(gg)
    rare = {k for k, c in gc.items() if c <= repeats and pc.get(k, repeats + 1) <= repeats}
    if not rare:
        return []
    gpos: dict = {}
    for j in range(len(gg) - 1, -1, -1):
        if gg[j] in rare:
            gpos.setdefault(gg[j], []).append(j + glo)
    return [(i + plo, g) for i, k in enumerate(pg) if k in rare for g in gpos[k]]


def _chain(points: Sequence[tuple[int, int]], n: int, late: bool = False) -> list[tuple[int, int, int]]:
    """The longest chain of anchor points increasing on both sides (a longest increasing subsequence of
    their gold positions, O(k log k)), as disjoint matched token runs (page start, gold start, length).

    Points one diagonal apart by at most n make one run (their n-grams overlap or touch); a run that
    would overlap the previous one is cut at its start, or dropped when nothing is left. Of chains of
    equal length, the one of the earliest points is taken (``late``: the latest), deterministically.
    """
    if not late:  # the chain is built greedily from the end: walk the points backwards to prefer early ones
        points = [(-p, -g) for p, g in reversed(points)]
    tails: list[int] = []  # tails[k]: the smallest gold position ending a chain of k + 1 points
    tail_at: list[int] = []
    prev = [-1] * len(points)
    for i, (_, g) in enumerate(points):
        k = bisect_left(tails, g)
        if k == len(tails):
            tails.append(g)
            tail_at.append(i)
        else:
            tails[k] = g
            tail_at[k] = i
        prev[i] = tail_at[k - 1] if k else -1
    chain = []
    i = tail_at[-1] if tail_at else -1
    while i != -1:
        chain.append(points[i])
        i = prev[i]
    if late:
        chain.reverse()
    else:
        chain = [(-p, -g) for p, g in chain]
    runs: list[list[int]] = []
    for p, g in chain:
        if runs:
            rp, rg, length = runs[-1]
            if p - g == rp - rg and p <= rp + length:  # same diagonal, overlapping or touching: extend
                runs[-1][2] = p + n - rp
                continue
            cut = max(rp + length - p, rg + length - g, 0)
            if cut >= n:
                continue
            runs.append([p + cut, g + cut, n - cut])
        else:
            runs.append([p, g, n])
    return [(p, g, length) for p, g, length in runs]


def align_tokens(P: Sequence[str], G: Sequence[str]) -> list[int]:
    """For each page token, the index of the gold token it aligns with, or -1 (order-preserving)."""
    match = [-1] * len(P)
    stack: list[tuple[int, int, int, int]] = [(0, len(P), 0, len(G))]
    while stack:
        plo, phi, glo, ghi = stack.pop()
        # before the first matched run only the page start bounds the gap: of equal alignments, take the
        # one nearest the run (the headline above the text, not the <title> line that repeats it). On the
        # whole page, the earliest chain is taken (an article the page holds twice: its first copy).
        open_start = plo == 0
        late = open_start and phi < len(P)
        while plo < phi and glo < ghi and P[plo] == G[glo] and not open_start:
            match[plo] = glo
            plo += 1
            glo += 1
        while plo < phi and glo < ghi and P[phi - 1] == G[ghi - 1]:
            phi -= 1
            ghi -= 1
            match[phi] = ghi
        if plo >= phi or glo >= ghi:
            continue
        for n, repeats in ANCHOR_STAGES:
            anchors = _anchors(P, plo, phi, G, glo, ghi, n, repeats)
            if anchors:
                break
        else:
            _diff_gap(P, plo, phi, G, glo, ghi, open_start, match)
            continue
        runs = _chain(anchors, n, late)
        long_runs = [r for r in runs if r[2] >= MIN_CHAIN_RUN]
        p0, g0 = plo, glo
        for p, g, k in long_runs or runs:
            for t in range(k):
                match[p + t] = g + t
            stack.append((p0, p, g0, g))
            p0, g0 = p + k, g + k
        stack.append((p0, phi, g0, ghi))
    return match


def _diff_gap(P: Sequence[str], plo: int, phi: int, G: Sequence[str], glo: int, ghi: int, late: bool,
              match: list[int]) -> None:
    """Align a gap with no rare word with difflib; keep blocks of at least MIN_GAP_RUN words."""
    if (phi - plo) * (ghi - glo) > GAP_DIFF_LIMIT:
        log.debug("gap of %d page and %d gold tokens left unaligned", phi - plo, ghi - glo)
        return
    a, b = list(P[plo:phi]), list(G[glo:ghi])
    if late:  # difflib takes the earliest of equal matches: reversed, that is the latest
        a.reverse()
        b.reverse()
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    for i, j, size in blocks:
        if size < MIN_GAP_RUN:
            continue
        for t in range(size):
            if late:
                match[phi - 1 - (i + t)] = ghi - 1 - (j + t)
            else:
                match[plo + i + t] = glo + j + t


def align_lines(lines: Sequence[str], gold: str) -> Alignment:
    """Label each line body (``+``), chrome (``-``) or nothing to judge (`` ``) by aligning it with ``gold``:
    a line is body when at least :data:`BODY_SHARE` of its word tokens align."""
    P: list[str] = []
    owner: list[int] = []
    counts: list[int] = []
    for k, line in enumerate(lines):
        toks = _tokens(line)
        P.extend(toks)
        owner.extend([k] * len(toks))
        counts.append(len(toks))
    G = _tokens(gold)
    match = align_tokens(P, G) if P and G else [-1] * len(P)
    line_aligned = [0] * len(lines)
    for i, g in enumerate(match):
        if g >= 0:
            line_aligned[owner[i]] += 1
    labels: list[str] = []
    body_tokens = body_aligned = 0
    for k in range(len(lines)):
        if counts[k] == 0:  # no word character: nothing to judge
            labels.append(Label.NONE.value)
        elif line_aligned[k] >= BODY_SHARE * counts[k]:
            labels.append(Label.BODY.value)
            body_tokens += counts[k]
            body_aligned += line_aligned[k]
        else:
            labels.append(Label.CHROME.value)
    aligned = sum(line_aligned)
    return Alignment(
        labels=labels,
        align_recall=body_aligned / len(G) if G else 1.0,
        align_precision=body_aligned / body_tokens if body_tokens else 1.0,
        gold_tokens=len(G),
        body_tokens=body_tokens,
        aligned_tokens=aligned,
        line_aligned=line_aligned,
    )


def align_page(html_or_text: str | bytes, gold: str, url: str | None = None, site: str | None = None,
               is_html: bool | None = None, source: str = "<memory>") -> Page:
    """A labeled :class:`Page` from a page (HTML or text) and its gold text.

    ``is_html`` None guesses from the content (a tag near the start). HTML is turned into lines with
    :func:`boiler.html.html_to_lines`, as the shared corpora were. The page's ``meta`` holds
    ``align_recall`` and ``align_precision``.
    """
    if is_html is None:
        is_html = looks_like_html(html_or_text)
    if is_html:
        from .html import html_to_lines

        lines = html_to_lines(html_or_text, source)
    else:
        text = html_or_text.decode("utf-8", errors="replace") if isinstance(html_or_text, bytes) else html_or_text
        lines = split_lines(text)
    result = align_lines(lines, gold)
    meta = {k: f"{v:.4f}" for k, v in (("align_recall", result.align_recall),
                                        ("align_precision", result.align_precision))}
    return Page(lines=lines, labels=result.labels, url=url, site=site, gold=gold, source=source, meta=meta)


def align_files(page_path: str, gold_path: str, is_html: bool | None = None) -> Page:
    """A labeled page from a page file (HTML by its name, ``.html``/``.htm``, unless ``is_html`` says) and a
    gold text file. Raises :class:`~boiler.errors.InputError` naming the file that cannot be read."""
    from .formats import HTML_SUFFIXES, _decode, _read_bytes, _strip_compression

    data = _read_bytes(page_path)
    gold = _decode(_read_bytes(gold_path), gold_path)
    if is_html is None:
        is_html = _strip_compression(page_path.lower()).endswith(HTML_SUFFIXES)
    page = align_page(data if is_html else _decode(data, page_path), gold, is_html=is_html, source=page_path)
    page.id = Path(page_path).name
    return page


def align_records(items: Iterable[Page | Failure]) -> Iterator[dict | Failure]:
    """Labeled-lines records (FORMATS.md §2, with ``align_recall`` / ``align_precision``) for pages records
    with ``html`` and ``gold``; a record that cannot be aligned gives a :class:`Failure` instead, in order."""
    from .html import html_to_lines

    for item in items:
        if isinstance(item, Failure):
            yield item
            continue
        if item.gold is None:
            yield Failure(item.source, item.record, "record has no 'html' with a 'gold' text", item.id)
            continue
        try:
            lines = html_to_lines(item.html, item.source) if item.html is not None else item.lines
        except InputError as exc:
            yield Failure(item.source, item.record, exc.message, item.id)
            continue
        result = align_lines(lines, item.gold)
        yield {"id": item.id, "url": item.url, "site": item.site, "lines": lines, "labels": result.labels,
               **result.as_dict()}
