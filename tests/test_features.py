import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boiler import features as F


def col(batch, name):
    return batch.X[:, F.FEATURE_NAMES.index(name)]


def test_features_are_declared_once_with_groups():
    assert len(F.FEATURE_NAMES) == len(set(F.FEATURE_NAMES))
    assert all(f.group and f.description for f in F.FEATURES)
    assert set(F.CONTEXT_FEATURES) <= set(F.FEATURE_NAMES)


def test_blank_and_punctuation_lines_get_no_row_but_count_as_gaps():
    b = F.extract([["Menu", "", "  ", "***", "A paragraph of text.", ""]])
    assert b.texts == ["Menu", "A paragraph of text."]
    assert b.line_index.tolist() == [0, 4]
    assert col(b, "gap_after").tolist() == [3, 1]
    assert col(b, "gap_before").tolist() == [0, 3]


@pytest.mark.parametrize("line", ["18 Nov, 2024", "Updated 17 Nov, 2024", "October 21, 2011", "2024-11-18",
                                  "21.10.2011", "04/08/05", "14:05", "2011年10月21日", "21. Oktober 2011"])
def test_date_only_lines(line):
    b = F.extract([[line]])
    assert col(b, "has_date")[0] or col(b, "has_time")[0]
    assert col(b, "date_only")[0] == 1


def test_date_inside_a_sentence_is_not_date_only():
    b = F.extract([["The meeting on September 18, 2011 lasted three and a half hours in New York."]])
    assert col(b, "has_date")[0] == 1 and col(b, "date_only")[0] == 0


def test_number_word_and_counts():
    b = F.extract([["3 hours ago", "12 comments", "March 2012 (29)", "Plain words here"]])
    assert col(b, "number_word").tolist()[:2] == [1, 1]
    assert col(b, "paren_count").tolist() == [0, 0, 1, 0]


def test_punctuation_and_case():
    b = F.extract([["When medicine fails", "WHO would have thought that the medicine would be overpowered by the very...",
                    "It ended here.", "“A quoted sentence.”", "Sections: | News | Sport |"]])
    assert col(b, "ends_ellipsis").tolist() == [0, 1, 0, 0, 0]
    assert col(b, "ends_sentence").tolist() == [0, 0, 1, 1, 0]
    assert col(b, "title_share")[0] == pytest.approx(1 / 3)
    assert col(b, "separators")[4] > 0


def test_repeated_headline_list():
    lines = ["Editorial", "Nawaz on India", "18 Nov, 2024", "", "Nawaz on India", "", "Teaser text...",
             "State of abuse", "18 Nov, 2024", "", "State of abuse"]
    b = F.extract([lines])
    rep = dict(zip(b.texts, col(b, "repeat_near")))
    assert rep["Nawaz on India"] == 1 and rep["State of abuse"] == 1 and rep["Editorial"] == 0
    assert col(b, "repeats")[b.texts.index("18 Nov, 2024")] == pytest.approx(np.log1p(1))


def test_repeats_are_counted_within_a_page_only():
    b = F.extract([["Same line", "Other"], ["Same line"]])
    assert col(b, "repeats").tolist() == [0, 0, 0]


def test_position_and_main_run():
    long = "This is a long line of running text with many words in it, as a paragraph has."
    lines = ["Home", "News", long, long + " Two.", long + " Three.", "Share", "Related"]
    b = F.extract([lines])
    assert col(b, "in_main").tolist() == [0, 0, 1, 1, 1, 0, 0]
    assert col(b, "pos_rel")[0] == 0 and col(b, "pos_rel")[-1] == 1
    assert col(b, "before_main")[0] == pytest.approx(np.log1p(2))
    assert col(b, "after_main")[-1] == pytest.approx(np.log1p(2))


def test_batch_equals_pages_one_by_one():
    pages = [["Home", "A sentence that ends.", "18 Nov, 2024"], [], ["", "Only"], ["x y z", "x y z"]]
    together = F.extract(pages)
    for p, page in enumerate(pages):
        alone = F.extract([page])
        rows = together.page_index == p
        np.testing.assert_allclose(together.X[rows], alone.X)


def test_context_window_stops_at_page_edges():
    b = F.extract([["a one", "b two"], ["c three"]])
    w = F.context_window(np.arange(3, dtype=np.float32), b.page_index, (-1, 1), fill=-1)
    assert w.tolist() == [[-1, 1], [0, -1], [-1, -1]]


def test_unicode_and_astral_characters():
    b = F.extract([["Привет, мир! 😀 Это строка.", "日本語のテキストです。"]])
    assert col(b, "alpha_share")[0] > 0.5 and col(b, "ends_sentence").tolist() == [1, 1]


def test_line_tokens():
    assert F.line_tokens("All news") == ["f:all", "l:news", "w:all", "w:news", "L:all news"]
    toks = F.line_tokens("Read the full story of 2024 here, in twelve words or maybe more", 13)
    assert toks == ["f:read", "l:more"]
    assert F.line_tokens("18 Nov, 2024")[-1] == "L:0 nov 0"
    assert F.line_tokens("{ 167 comments }")[-1] == F.line_tokens("45 Comments")[-1] == "L:0 comments"
    assert F.normalise_line("  Updated 17  Nov, 2024 ") == "updated 00 nov, 0000"


def test_lone_surrogate_is_a_character_like_any_other():
    b = F.extract([["a\ud800b word", "\udfff"]])
    assert b.texts == ["a\ud800b word"] and b.X.shape[0] == 1


_TOKEN_TEXT = st.lists(st.sampled_from(list("aZ9 ,.-_ΟΔΣσςİß\u2028\x85\t²٣\u0307") + ["ΟΔΟΣ", "45", "Read"]),
                      min_size=1, max_size=40).map(lambda parts: "".join(parts).strip()).filter(bool)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TOKEN_TEXT, st.integers(0, 14)), min_size=1, max_size=8))
def test_batch_tokens_equal_line_tokens(rows):
    texts, n_words = [t for t, _ in rows], [n for _, n in rows]
    want = [F.line_tokens(t, n) for t, n in rows]
    compiled, plain = F.batch_tokens(texts, n_words), F._batch_tokens_np(texts, n_words)
    assert compiled == want and plain == want
    for name in ("kind", "first", "last", "words", "counts", "lines"):  # the flat fields too, not just the rows
        a, b = getattr(compiled, name), getattr(plain, name)
        assert (a.dtype, a.tolist()) == (b.dtype, b.tolist()) if isinstance(a, np.ndarray) else a == b, name
    assert all(F._long_line_tokens(t, n) == F.line_tokens(t, n) for t, n in rows if n > F.SHORT_LINE_WORDS + 2)


def test_batch_tokens_fold_case_per_line():
    texts = ["ΟΔΟΣ one two three four five six seven eight nine ΟΔΟΣ", "ΟΔΟΣ", "a\nb"]
    want = [F.line_tokens(t, n) for t, n in zip(texts, [11, 1, 2])]
    assert F.batch_tokens(texts, [11, 1, 2]) == F._batch_tokens_np(texts, [11, 1, 2]) == want
    assert want[0] == ["f:οδος", "l:οδος"] and want[2] == ["f:a", "l:b", "w:a", "w:b", "L:a b"]


def test_long_line_tokens_come_from_three_end_parts_at_most():
    line = "-- ** 2024-11-18 begins here and the line goes on for words and words -- !! ## ends"
    assert F.batch_tokens([line], [14]) == [["f:0", "l:ends"]]
    bare = "-- ** ## begins - - - - - - - - ends"  # no word in the first three parts: all its words are read
    assert F.batch_tokens([bare], [12]) == F._batch_tokens_np([bare], [12]) == [F.line_tokens(bare, 12)]
    assert F.line_tokens(bare, 12) == ["f:begins", "l:ends", "w:begins", "w:ends", "L:begins ends"]


_L = r"[^\W\d_]"
#: The plain forms of the date, time and year patterns that features.py writes for speed.
_PLAIN = {
    "_DATE": re.compile(
        r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+{_L}{{3,12}}\.?,?\s+\d{{4}}\b"
        rf"|\b{_L}{{3,12}}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
        rf"|\b\d{{4}}\s*年\s*\d{{1,2}}\s*月(?:\s*\d{{1,2}}\s*日)?"),
    "_TIME": re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\b\.?)?"),
    "_YEAR": re.compile(r"\b(?:1[89]|20)\d{2}\b"),
}
_DATE_TEXT = st.lists(st.sampled_from(list("0129 ./-:,_aAmpPMNovOctoberst年月日\n٣")
                                      + ["2011", "1999", "Nov", "October", "12:30", "pm"]),
                      max_size=30).map("".join)


@settings(max_examples=500, deadline=None)
@given(_DATE_TEXT)
def test_fast_date_patterns_match_as_the_plain_forms(text):
    for name, plain in _PLAIN.items():
        fast = getattr(F, name)
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


# -- the vectorised scans against the plain per-line and regular-expression forms ----------------

_PAGE_TEXT = st.lists(st.sampled_from(
    list("aZe sntr9 0 12\t\u00a0.,!?:;-/|·•»›\"'”’)]*>+~…_年月日٣ΣİßÅ\u0301😀𝟘\ud800")
    + ["2011", "1999", "2024-11-18", "04/08/05", "21.10.2011", "18 Nov, 2024", "October 21, 2011",
       "14:05", "3:30 pm", "12th", " | ", " - ", "...", "www.", "@", "(29)", "(c)", "©", "Nov ", "News", "://", ".COM", "WWW", "(C", "ww", ".co", "®",
       "2011年10月21日", "3 hours ago", "  ", "\u2028", "3rd ", "21st", "June "]),
    max_size=25).map("".join)


def _plain_columns(pages):
    """The columns that extract finds by numpy scans, computed the plain way (as before the scans)."""
    from collections import Counter
    out, texts = {}, []
    reps, near, gb, ga = [], [], [], []
    page_texts = []
    for lines in pages:
        stripped = [line.strip() for line in lines]
        keep = [i for i, s in enumerate(stripped) if s and (s[0].isalnum() or re.search(r"\w", s))]
        kept = [stripped[i] for i in keep]
        texts += kept
        page_texts.append(kept)
        bounds = np.concatenate(([-1], np.asarray(keep, dtype=np.int64), [len(lines)]))
        gaps = np.minimum(np.diff(bounds) - 1, F.GAP_CAP)
        gb += gaps[:-1].tolist()
        ga += gaps[1:].tolist()
        keys = [s.lower() for s in kept]
        counts = Counter(keys)
        reps += [counts[k] - 1 for k in keys]
        near += [int(counts[k] > 1 and keys[max(0, j - F.REPEAT_NEAR):j + F.REPEAT_NEAR + 1].count(k) > 1)
                 for j, k in enumerate(keys)]
    n = len(texts)

    def per_line(pattern, text, st_, m, span=False):
        out_ = np.zeros(m)
        for mt in pattern.finditer(text):
            out_[np.searchsorted(st_, mt.start(), side="right") - 1] += (mt.end() - mt.start()) if span else 1
        return out_

    def per_page_line(pattern, parts_of_pages, span=False, newline_after=True):
        """``per_line`` over each page alone: its parts joined by newlines (and followed by one)."""
        outs = [np.zeros(0)]
        for parts in parts_of_pages:
            if not parts:
                continue
            st_ = np.zeros(len(parts), dtype=np.int64)
            st_[1:] = np.cumsum([len(t) + 1 for t in parts[:-1]])
            outs.append(per_line(pattern, "\n".join(parts) + ("\n" if newline_after else ""), st_, len(parts), span))
        return np.concatenate(outs)

    tails = [t.rstrip(F._CLOSERS) or t for t in texts]
    out["starts_upper"] = [t[0].isupper() for t in texts]
    out["starts_bullet"] = [t[0] in F._BULLETS for t in texts]
    out["ends_sentence"] = [t[-1] in F._SENTENCE_PUNCT and not t.endswith("...") for t in tails]
    out["ends_ellipsis"] = [t.endswith(("...", "…")) for t in tails]
    out["ends_colon"] = [t[-1] == ":" for t in tails]
    out["sentences"] = np.log1p(per_page_line(F._SENTENCE_END, page_texts).astype(np.float32))
    out["separators"] = np.log1p(per_page_line(F._SEPARATORS, page_texts).astype(np.float32))
    out["repeats"] = np.log1p(np.asarray(reps, dtype=np.float32))
    out["repeat_near"], out["gap_before"], out["gap_after"] = near, gb, ga
    out["has_url"] = [any(mark in t for mark in F._URL_MARKS) for t in texts]
    out["copyright"] = [any(mark in t for mark in F._COPYRIGHT_MARKS) for t in texts]
    # lines with a digit as the character classes see it (code points past the BMP count as letters)
    digit_rows = [k for k, t in enumerate(texts) if any(ch.isdecimal() and ord(ch) < 0x10000 for ch in t)]
    for name in ("has_date", "has_time", "has_year", "date_share", "number_word"):
        out[name] = np.zeros(n)
    if digit_rows:
        d_texts = [texts[k] for k in digit_rows]
        d_joined = "\n".join(d_texts)
        d_starts = np.zeros(len(d_texts), dtype=np.int64)
        d_starts[1:] = np.cumsum([len(t) + 1 for t in d_texts[:-1]])
        # dates and times: each page's lines with a digit alone (a date never runs into another page)
        digit_set = set(digit_rows)
        d_pages, at = [], 0
        for kept in page_texts:
            d_pages.append([t for k, t in enumerate(kept, at) if k in digit_set])
            at += len(kept)
        date = per_page_line(F._DATE, d_pages, span=True, newline_after=False).astype(np.float32)
        time_ = per_page_line(F._TIME, d_pages, span=True, newline_after=False).astype(np.float32)
        out["has_date"][digit_rows] = date > 0
        out["has_time"][digit_rows] = time_ > 0
        out["has_year"][digit_rows] = per_line(F._YEAR, d_joined, d_starts, len(d_texts)) > 0
        out["number_word"][digit_rows] = per_line(F._NUMBER_WORD, d_joined, d_starts, len(d_texts)) > 0
        out["date_share"][digit_rows] = np.minimum((date + time_) / np.array([len(t) for t in d_texts]), 1.0)
    return texts, out


def _assert_plain_columns(pages):
    b = F.extract(pages)
    texts, plain = _plain_columns(pages)
    assert b.texts == texts
    for name, values in plain.items():
        assert np.array_equal(col(b, name), np.asarray(values, dtype=np.float32)), name
    words = np.rint(np.expm1(col(b, "words"))).astype(int).tolist()
    assert F.batch_tokens(b.texts, words) == [F.line_tokens(t, k) for t, k in zip(b.texts, words)]
    assert b.tokens.tolist() == [len(re.findall(r"\w+", t)) for t in texts]  # (count_tokens)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(_PAGE_TEXT, max_size=12), min_size=1, max_size=4))
def test_vectorised_scans_match_the_plain_forms(pages):
    _assert_plain_columns(pages)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_PAGE_TEXT, max_size=8), min_size=2, max_size=4))
def test_a_page_has_the_same_features_alone_and_in_a_batch(pages):
    batch = F.extract(pages)
    for p, lines in enumerate(pages):
        a, b = batch.page_start[p], batch.page_start[p + 1]
        assert np.array_equal(F.extract([lines]).X, batch.X[a:b])


def test_a_date_or_separator_never_runs_into_the_next_page():
    # "March." ends one page, "10" and "2007" open the next: one text, "March.\n10\n2007", is a date
    pages = [["A fight in 2009 over a blueprint issued in March."], ["10", "2007 2008 2012"]]
    batch = F.extract(pages)
    assert col(batch, "has_date")[0] == 0 == col(F.extract(pages[:1]), "has_date")[0]
    assert col(F.extract([pages[0] + pages[1]]), "has_date")[0] == 1  # within a page, as trained
    # a separator that ends a page counts as if a newline followed, alone or not; one that opens a page
    # has nothing before it
    pages = [["Home |"], ["| News"]]
    batch = F.extract(pages)
    assert col(batch, "separators").tolist() == [np.log1p(1).astype(np.float32), 0.0]
    assert col(F.extract(pages[:1]), "separators")[0] == col(batch, "separators")[0]


def test_vectorised_scans_on_crafted_lines():
    _assert_plain_columns([[
        "Nav | News | Sport | | More", " - a - - b - ", "Published 18 Nov, 2024 14:05 pm", "x",
        "18th\nNovember 2024", "Nov", "21, 2011", "“Quoted.”)))", "))))))))))))", "Read more...”", "Wait…",
        "Title:", "2011年 10 月 21日", "٣ hours ago 1999", "A_1999 2020x 1850", "ΣΑΣ news", "ΣΑΣ NEWS",
        "ΣΑΣ News", "", "  ", "Ⓐ starts upper", "ǅ title case", "😀 2024", "a\ud800b 2024", "© 2024 (c) www.x.com",
        "Nov 3rd 2024", "March 1st, 2020 and 22nd. Mai 2021", "on 5th\tJune\u00a0 1999",
        "Abcdefghijkl 5, 2024", "Abcdefghijklm 5, 2024", "Ab 5 2024", "Abc. 5 2024", "x.Abc 5 2024",
        "5 Abcdefghijkl 2024", "5 Abcdefghijklm 2024", "5 Ab 2024", "5. Abc., 2024", "5th Abc 20245",
        "1 2 3 4 2024-1-1 11/22/3333 2024年 2月", "_Nov 5 2024", "Nov_ 5 2024", "12:30:45 am.", "1:2",
        "- 12 comments -", "1,200.5 people read", "«3 hours ago»", "x 3 hours", "3 hours ago now", "3",
    ], ["18 Nov,", "2024", "Nov 3", "rd, 2024", "12", "comments", "Updated 17 Nov, 2024 | 2:05"]])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=8), st.data())
def test_context_window_matches_its_plain_form(sizes, data):
    """context_window as the plain loop gives it."""
    page = np.repeat(np.arange(len(sizes)), sizes)
    n = len(page)
    values = st.sampled_from([0.0, 1.0, 0.5, 1e-30, 1e-45, 0.25, 0.7310586, 3e-8])
    p = np.array(data.draw(st.lists(values, min_size=n, max_size=n)), dtype=np.float32)
    offsets = tuple(data.draw(st.lists(st.integers(-7, 7), max_size=4)))
    plain = np.full((n, len(offsets)), -1.0, dtype=np.float32)
    for j, off in enumerate(offsets):
        for i in range(n):
            if off and 0 <= i + off < n and page[i + off] == page[i]:
                plain[i, j] = p[i + off]
    assert np.array_equal(F.context_window(p, page, offsets, fill=-1.0), plain)


@pytest.mark.parametrize("long_line", [0, 70_000])
def test_class_counts_match_counting_each_line(long_line):
    rng = np.random.default_rng(long_line)
    lengths = rng.integers(1, 300, 400)
    if long_line:
        lengths[7] = long_line  # past the 16-bit fields: counted the other way
    starts = np.concatenate(([0], np.cumsum(lengths[:-1] + 1)))
    cls = rng.integers(0, 6, int(lengths.sum() + len(lengths) - 1)).astype(np.uint8)
    cls[starts[1:] - 1] = F._C_SPACE  # the newline between lines
    got = F._class_counts(cls, starts, lengths)
    for k, (a, n) in enumerate(zip(starts, lengths)):
        c = cls[a:a + n]
        upper, word = c == F._C_UPPER, (c == F._C_UPPER) | (c == F._C_LETTER) | (c == F._C_DIGIT)
        start = word & ~np.concatenate(([False], word[:-1]))
        plain = (upper.sum(), upper.sum() + (c == F._C_LETTER).sum(), (c == F._C_DIGIT).sum(),
                 (c == F._C_PUNCT).sum(), start.sum(), (start & upper).sum())
        assert tuple(g[k] for g in got) == plain


# -- the compiled scans against their numpy forms ------------------------------------------------

def test_the_compiled_scans_were_built():
    # setup.py builds them at install; without a C compiler numpy scans the same places
    assert F._compiled_scan() is not None


@settings(max_examples=500, deadline=None)
@given(st.one_of(_DATE_TEXT, _PAGE_TEXT, st.lists(_PAGE_TEXT, max_size=6).map("\n".join)))
def test_the_compiled_scans_find_the_places_numpy_finds(text):
    scan = F._compiled_scan()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags = F._flags(cps)
    expected = F._date_candidates_np(cps, flags)
    found = scan.date_candidates(cps, flags, F._F_SPACE, F._F_WORD, F._F_DIGIT)
    for a, b in zip(expected, found):
        assert a.dtype == b.dtype and a.tolist() == b.tolist()
    at = np.flatnonzero(np.isin(cps, [ord(c) for c in ".:@"])).astype(np.int64)
    copy = np.flatnonzero(np.isin(cps, [ord(c) for c in "©®("])).astype(np.int64)
    for a, b in zip(F._marks_at(cps, at, copy), F._marks_at_np(cps, at, copy)):
        assert a.dtype == b.dtype and a.tolist() == b.tolist()


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_DATE_TEXT, _PAGE_TEXT, _TOKEN_TEXT), min_size=1, max_size=6))
def test_the_compiled_line_counts_give_numpys(lines):
    lines = [ln.replace("\n", " ") or "x" for ln in lines]  # (extract passes no blank line)
    joined = "\n".join(lines)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags = F._flags(cps)
    lengths = np.array([len(ln) for ln in lines], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths[:-1] + 1))).astype(np.int64)
    got = F._compiled_scan().line_counts(flags, starts, lengths, F._count_bits())
    for a, b in zip(got, F._line_counts_np(flags, starts, lengths), strict=True):
        assert a.dtype == b.dtype and a.tolist() == b.tolist()


_SEPARATOR_TEXT = st.text(alphabet=st.sampled_from("|·•/-–— \n\tab"), min_size=1, max_size=30)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.one_of(_SEPARATOR_TEXT, _PAGE_TEXT), min_size=0, max_size=5), min_size=1, max_size=4))
def test_the_compiled_separators_give_numpys(pages):
    # the batch's lines joined by newlines, as extract joins them; page_first: where each page begins
    lines = [ln.replace("\n", " ") or "x" for page in pages for ln in page]
    if not lines:
        return
    sizes = np.array([len(page) for page in pages], dtype=np.int64)
    joined = "\n".join(lines)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    flags = F._flags(cps)
    lengths = np.array([len(ln) for ln in lines], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths[:-1] + 1))).astype(np.int64)
    page_rows = np.concatenate(([0], np.cumsum(sizes)))
    page_first = starts[page_rows[:-1][sizes > 0]]
    mid = np.flatnonzero(flags & F._F_SEP)
    got = F._compiled_scan().separator_counts(mid, flags, starts, page_first, F._F_SPACE)
    want = F._separators_np(mid, flags, starts, len(lines), page_first)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_TOKEN_TEXT, st.sampled_from(["", " ", "\u2028 ", " -- ", "\t_\x85", " Read ", "READ", "read"])),
                max_size=12))
def test_the_compiled_judged_rows_give_pythons(lines):
    texts, rows, codes = F._judged_rows(lines)
    want_texts, want_rows, want_codes = F._judged_rows_np(lines)
    assert texts == want_texts == F.judged_lines(lines)
    assert (rows.dtype, rows.tolist()) == (want_rows.dtype, want_rows.tolist())
    assert (codes.dtype, codes.tolist()) == (want_codes.dtype, want_codes.tolist())
    assert [codes[k] == codes[j] for k in range(len(texts)) for j in range(k)] == \
        [texts[k].lower() == texts[j].lower() for k in range(len(texts)) for j in range(k)]


_ROW_LINE = st.sampled_from(["", "", "Home", "home", "Share", "18 Nov, 2024",
                             "A long line of the article, with more than twelve words in it, which ends here.",
                             "Another paragraph of body text that goes on for a while and then it ends.",
                             "A headline in a list of them"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_ROW_LINE, max_size=25), min_size=1, max_size=4))
def test_the_compiled_row_loops_give_numpys_columns(pages):
    compiled = F.extract(pages)
    with pytest.MonkeyPatch.context() as mp:  # (hypothesis runs a function-scoped fixture once, not per example)
        mp.setattr(F, "compiled_rows", lambda: None)
        plain = F.extract(pages)
    assert compiled.X.tobytes() == plain.X.tobytes()


def test_without_the_compiled_scans_numpy_gives_the_same_columns(monkeypatch):
    pages = [["Published 18 Nov, 2024 14:05 pm | www.x.com", "October 21, 2011 (c) 1999", "2011年 10 月 21日",
              "x 12:30 and 04/08/05 in 1850", "Nov 3rd 2024 © News"], ["10", "2007 2008 2012", "@ home"]]
    compiled = F.extract(pages)
    monkeypatch.setattr(F, "_compiled_scan", lambda: None)
    assert np.array_equal(F.extract(pages).X, compiled.X)
    _assert_plain_columns(pages)
