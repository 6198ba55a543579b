"""Bad input, tried on purpose: property-based fuzz tests of every entry point that takes untrusted input.

The readers get random bytes, broken and truncated gzip, broken JSON, wrong types, huge numbers, deep
nesting and odd unicode; the HTML parser gets random bytes, tag soup, deep nesting and wrong declared
charsets; the labeler gets empty, blank, control-character, very long and very many lines. Each test
checks the documented contract, not only "no crash": a reader yields Page or Failure and a Failure
names its input; ``label`` gives one result per line, in order, with the line's text; round trips
give back what was written.

Hypothesis runs derandomized (CI sees the same inputs every run) and without its example database.
Each test adds the distinct inputs it generated to ``GENERATED``; conftest prints the total at the end
of the run ("fuzz: N generated inputs") and ``test_fuzz_budget`` checks it. The slowest input of each
entry point is kept in ``SLOWEST``; hypothesis' ``deadline`` is the hang check.
"""

from __future__ import annotations

import codecs
import encodings
import encodings.aliases
import gzip
import io
import json
import pkgutil
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boiler.errors import InputError
from boiler.formats import (
    Failure,
    Page,
    format_lines_txt,
    page_from_record,
    read_inputs,
    read_lines_txt,
    record_from_page,
    split_lines,
    write_jsonl,
)
from boiler.html import decode_html, html_to_lines
from boiler.labeler import NOTHING_TO_JUDGE, LineResult

pytestmark = pytest.mark.fuzz

#: The whole module must generate at least this many inputs in one run.
MIN_GENERATED = 100_000
#: Distinct inputs generated, per entry point.
GENERATED: Counter[str] = Counter()
#: The slowest input seen per entry point: (seconds, short description).
SLOWEST: dict[str, tuple[float, str]] = {}

FUZZ = settings(derandomize=True, database=None, deadline=2000, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])
#: The labeler's hang check: no example may take longer than this.
LABELER_DEADLINE_MS = 5000

_WORD = re.compile(r"\w")


def count(entry: str, inputs) -> int:
    """Add the distinct inputs of one example to the tally of ``entry``."""
    n = len(set(inputs))
    GENERATED[entry] += n
    return n


def timed(entry: str, what: str, fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    dt = time.perf_counter() - t
    if dt > SLOWEST.get(entry, (0.0, ""))[0]:
        SLOWEST[entry] = (dt, what)
    return out


def summary() -> str:
    lines = [f"fuzz: {sum(GENERATED.values())} generated inputs"]
    lines += [f"  {k}: {v}" for k, v in sorted(GENERATED.items())]
    lines += [f"  slowest {k}: {dt * 1000:.0f} ms ({what})" for k, (dt, what) in sorted(SLOWEST.items())]
    return "\n".join(lines)


def is_text(s: str) -> bool:
    """No lone surrogates: the string can be written out as UTF-8."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def describe(x) -> str:
    if isinstance(x, (list, tuple)):
        return f"{len(x)} lines, {sum(len(s) for s in x)} chars"
    return f"{len(x)} chars"


# -- strategies -------------------------------------------------------------------------------------
SPECIAL = ("\r\n\t\x00\x01\x08\x0b\x0c\x1b\x1c\x1e\x1f\x7f\x85\xa0\u2028\u2029\ufeff\u200b\u200d\u202e\u0301"
           "\ufffd\U0001f642|·•»…“”()[]©®年月日.!?:;,-+#_*/ 0123456789")
WORDS = ("the", "a", "of", "Home", "News", "Sport", "Share", "Read", "more", "All", "news", "Editorial", "said",
         "council", "river", "bridge", "18", "Nov,", "2024", "14:05", "October", "21,", "2011", "(29)", "|", "·",
         "»", "...", "…", "©", "www.example.com", "Москва", "Straße", "東京", "مرحبا", "comments", "ago", "3",
         "hours", "Tweet", "Login", "Subscribe", "engineers", "replaced", "piers.", "Why?", "Yes!", "“Quoted.”")


def _table(*parts: str) -> dict[int, str]:
    """A byte -> character table (for ``str.translate``) cycling through ``parts``: random bytes become
    random text over those characters, far cheaper to generate than text drawn character by character."""
    chars = "".join(parts)
    return {i: chars[i % len(chars)] for i in range(256)}


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789абвгдеж東京年月日مرحباßçéü"
_TEXT_TABLE = _table(_LETTERS, "     \n\n\n\r", SPECIAL)
_LINE_TABLE = {k: (" " if v in "\r\n" else v) for k, v in _TEXT_TABLE.items()}
#: Characters of the .lines.txt format, often.
_ROWS_TABLE = _table("\n\n\n+ - #: ", _LETTERS[:30], "\n+-  # :\r\t")

any_char = st.one_of(st.characters(codec="utf-8"), st.characters(max_codepoint=0x7F), st.sampled_from(SPECIAL))
line_char = st.one_of(st.characters(codec="utf-8", exclude_characters="\r\n"), st.sampled_from(SPECIAL[2:]))
#: Any text: hypothesis' own characters (astral, combining, controls), random BMP characters (UTF-16 code
#: units; lone surrogates become U+FFFD) and random text over letters, blanks, newlines and punctuation.
any_text = st.one_of(
    st.text(any_char, max_size=60),
    st.binary(max_size=300).map(lambda b: b.decode("utf-16-le", "replace")),
    st.binary(max_size=400).map(lambda b: b.decode("latin-1").translate(_TEXT_TABLE)),
)
plain_line = st.one_of(
    st.text(line_char, max_size=40),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1").translate(_LINE_TABLE)),
    st.binary(max_size=200).map(lambda b: b.decode("utf-16-le", "replace").replace("\n", " ").replace("\r", " ")),
)
word_line = st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)
long_line = st.builds(lambda s, k: s * k, st.text(line_char, min_size=1, max_size=20), st.integers(50, 3000))
blank_line = st.sampled_from(["", " ", "\t", "   ", "***", "—", "|", "\x00", "\x0c", "\u3000", "\ufeff", "..."])
#: One line: no ``\n`` or ``\r``, so it is one line in text too.
a_line = st.one_of(plain_line, word_line, word_line, blank_line, long_line)
lines_list = st.lists(a_line, max_size=40)
page_text = st.one_of(any_text, lines_list.map("\n".join), lines_list.map("\r\n".join))
#: A page as the labeler takes it: a text, or a list of lines (a list item may hold a newline).
label_page = st.one_of(page_text, lines_list, st.lists(st.one_of(a_line, any_text), max_size=20))


def _codec_names() -> list[str]:
    names = set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values())
    names |= {m.name for m in pkgutil.iter_modules(encodings.__path__)}
    names |= {"undefined", "idna", "punycode", "rot13", "base64", "hex", "zlib", "x-user-defined", "utf-8'",
              "UTF-8", "shift_jis", "windows-1251", "none", "unicode", "_"}
    return sorted(n for n in names if re.fullmatch(r"[A-Za-z0-9_.:-]+", n))


CODECS = _codec_names()


def _encode(text: str, codec: str) -> bytes:
    try:
        return codecs.encode(text, codec, "replace") if isinstance(codecs.encode("", codec), bytes) else b""
    except Exception:  # noqa: BLE001 - not every name is a text codec that encodes; any bytes will do
        return text.encode("utf-8", "surrogatepass")


TAGS = ("<p>", "</p>", "<div class='x'>", "</div>", "<br>", "<br/>", "<script>", "</script>", "<style>", "</style>",
        "<!--", "-->", "<li>", "<ul>", "</ul>", "<table><tr><td>", "</td>", "<a href='/x'>", "</a>", "<h1>", "</h1>",
        "<nav>", "</nav>", "<pre>", "</pre>", "<textarea>", "<title>", "</title>", "<svg>", "<math>", "<template>",
        "<noscript>", "<iframe>", "<select><option>", "<img src=x alt='alt text'>", "&amp;", "&#0;", "&#xd800;",
        "&#99999999;", "&nbsp;", "&bogus;", "<", ">", "</", "<![CDATA[", "]]>", "<!DOCTYPE html>",
        "<?xml version='1.0' encoding='utf-8'?>", "<meta charset='koi8-r'>", "<html>", "<body>", "</html>", "\x00",
        "<p\x00>", "<\ufeff>", "<b>", "<i>", "</b>", "<frameset>", "<plaintext>", "<xmp>", "<head>", "<base>")
tag_soup = st.lists(st.one_of(st.sampled_from(TAGS), st.sampled_from(TAGS), plain_line, word_line),
                    max_size=40).map("".join)
deep_html = st.builds(lambda tag, n, text: f"<{tag}>" * n + text + f"</{tag}>" * n,
                      st.sampled_from(["div", "b", "p", "table", "li", "span", "a", "svg", "ul", "td"]),
                      st.integers(0, 5000), word_line)
meta_html = st.builds(lambda cs, q, body: b"<html><head><meta charset=" + q + cs.encode() + q + b"></head>" + body,
                      st.sampled_from(CODECS), st.sampled_from([b'"', b"'", b""]),
                      st.one_of(st.binary(max_size=300), st.tuples(page_text, st.sampled_from(CODECS)).map(
                          lambda tc: _encode(*tc))))
html_str = st.one_of(tag_soup, deep_html, any_text, st.sampled_from(["", " ", "\n\t", "<html></html>", "<!-- -->"]))
html_bytes = st.one_of(
    st.binary(max_size=600),
    meta_html,
    html_str.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.tuples(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b""]), st.binary(max_size=200)).map(
        b"".join),
    st.tuples(tag_soup, st.sampled_from(CODECS)).map(lambda tc: _encode(*tc)),
)

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text)
json_value = st.recursive(json_scalar, lambda c: st.lists(c, max_size=4) | st.dictionaries(any_text, c, max_size=4),
                          max_leaves=10)
# Strings a JSON decoder can hand over: lone surrogates included ("\ud800" is valid JSON).
json_text = st.one_of(any_text, st.builds(lambda a, s, b: a + s + b, plain_line, st.characters(categories=["Cs"]),
                                          plain_line))
small_page_text = st.one_of(any_text, st.lists(a_line, max_size=8).map("\n".join))
label_value = st.sampled_from(["+", "-", " "])
record = st.one_of(
    json_value,
    st.fixed_dictionaries({}, optional={
        "id": st.one_of(json_text, json_value), "url": st.one_of(json_text, json_value),
        "site": st.one_of(json_text, json_value),
        "lines": st.one_of(st.lists(json_text, max_size=12), st.lists(json_value, max_size=5), json_value),
        "labels": st.one_of(st.lists(label_value, max_size=12), st.lists(json_value, max_size=5), json_value),
        "text": st.one_of(json_text, small_page_text, json_value),
        "html": st.one_of(tag_soup, json_text, json_value),
        "gold": st.one_of(json_text, json_value),
    }),
)


@st.composite
def labeled_lines(draw, min_size=0):
    lines = draw(st.lists(a_line, min_size=min_size, max_size=15))
    labels = draw(st.lists(st.sampled_from(["+", "-", " "]), min_size=len(lines), max_size=len(lines)))
    return lines, labels


# Metadata values as .lines.txt keeps them: one line, no surrounding blanks (they are stripped on reading).
meta_text = st.text(line_char, min_size=1, max_size=30).map(str.strip).filter(bool)
meta_key = meta_text.map(lambda s: s.replace(":", "_")).filter(lambda s: s not in ("site", "url", "id"))
no_control = st.text(st.one_of(st.characters(codec="utf-8", exclude_categories=["Cc"]), st.sampled_from("\n\t\r")),
                     max_size=200)


@st.composite
def pages_to_write(draw):
    """A page as the JSONL writer gets it: labeled lines (any text, newlines included) or HTML with gold."""
    meta = {key: draw(st.none() | any_text) for key in ("id", "url", "site")}
    if draw(st.booleans()):
        lines = draw(st.lists(st.one_of(a_line, any_text), max_size=12))
        labels = draw(st.none() | st.lists(label_value, min_size=len(lines), max_size=len(lines)))
        return Page(lines=lines, labels=labels, **meta)
    return Page(lines=[], html=draw(no_control), gold=draw(st.none() | no_control), **meta)


JSONL_LINES = st.one_of(
    record.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    record.map(lambda r: json.dumps(r).encode()),
    st.sampled_from([b"", b"   ", b"{", b"}", b"[]", b"null", b"{broken json", b'{"text": "a"', b'{"text": 1}',
                     b'{"lines": "abc"}', b'{"lines": ["a"], "labels": ["?"]}', b"\xff\xfe not utf8", b"\x00\x00",
                     b'{"text": "\\ud800"}', b'{"lines": ["\\udfff x"]}', b'{"id": NaN, "text": "x"}',
                     b'{"text": "x", "id": ' + b"9" * 5000 + b"}", b"[" * 100_000 + b"]" * 100_000,
                     b'{"text": "x", "id": ' + b"[" * 2000 + b"]" * 2000 + b"}", b'{"text": "a"}\r',
                     b'{"text": "' + b"word " * 20_000 + b'"}']),
    st.binary(max_size=100).filter(lambda b: b"\n" not in b),
)
jsonl_bytes = st.lists(JSONL_LINES, max_size=12).map(lambda ls: b"\n".join(ls) + b"\n")


def _truncate(data: bytes, cut: int) -> bytes:
    return data[: max(0, len(data) - cut)]


file_bytes = st.one_of(
    st.binary(max_size=1000),
    any_text.map(lambda s: s.encode("utf-8")),
    page_text.map(lambda s: ("\ufeff" + s).encode("utf-8")),
    page_text.map(lambda s: s.encode("utf-16")),
    jsonl_bytes,
    html_bytes,
    st.builds(lambda ls, meta: ("".join(f"# {k}: {v}\n" for k, v in meta) + "\n".join(ls)).encode("utf-8"),
              st.lists(st.tuples(st.sampled_from(["+ ", "- ", "  ", "", "+", "* ", "#", "# "]), plain_line).map(
                  "".join), max_size=20),
              st.lists(st.tuples(plain_line, plain_line), max_size=3)),
)
gzip_bytes = st.one_of(
    file_bytes.map(gzip.compress),
    st.tuples(file_bytes.map(gzip.compress), st.integers(1, 40)).map(lambda t: _truncate(*t)),
    st.tuples(file_bytes.map(gzip.compress), st.binary(min_size=1, max_size=20)).map(b"".join),
    st.binary(max_size=50).map(lambda b: b"\x1f\x8b" + b),
)
SUFFIXES = (".txt", ".lines.txt", ".html", ".htm", ".xhtml", ".jsonl", ".ndjson", ".JSONL", "", ".csv")
a_file = st.tuples(st.sampled_from(SUFFIXES), st.booleans(), st.one_of(file_bytes, gzip_bytes))


# -- split_lines, .lines.txt ------------------------------------------------------------------------
@settings(FUZZ, max_examples=3000)
@given(st.lists(any_text, min_size=10, max_size=40))
def test_split_lines(texts):
    for text in set(texts):
        lines = split_lines(text)
        assert all(isinstance(line, str) and "\n" not in line and "\r" not in line for line in lines)
        norm = text.replace("\r\n", "\n").replace("\r", "\n")
        assert "\n".join(lines) == norm.removesuffix("\n")
        assert len(lines) == norm.count("\n") + (0 if norm.endswith("\n") or not norm else 1)
    count("split_lines", texts)


lines_txt_text = st.one_of(
    any_text,
    st.binary(max_size=600).map(lambda b: b.decode("latin-1").translate(_ROWS_TABLE)),
    st.lists(st.tuples(st.sampled_from(["+ ", "- ", "  ", "", "+", "-", " ", "* ", "#", "# ", "+-", "\t"]),
                       plain_line).map("".join), max_size=12).map("\n".join),
)


@settings(FUZZ, max_examples=3000)
@given(st.lists(lines_txt_text, min_size=4, max_size=16))
def test_read_lines_txt_gives_a_page_or_an_error_naming_the_input(texts):
    for text in set(texts):
        try:
            page = read_lines_txt(text, "fuzz/page.lines.txt")
        except InputError as exc:
            assert exc.source == "fuzz/page.lines.txt" and str(exc).startswith("fuzz/page.lines.txt: line ")
            continue
        assert isinstance(page, Page) and len(page.lines) == len(page.labels) <= len(split_lines(text))
        assert set(page.labels) <= {"+", "-", " "}
        assert all("\n" not in line and "\r" not in line for line in page.lines)
        assert page.source == "fuzz/page.lines.txt" and isinstance(page.id, str)
    count("read_lines_txt", texts)


@settings(FUZZ, max_examples=1200)
@given(labeled_lines(), st.none() | meta_text, st.none() | meta_text,
       st.dictionaries(meta_key, meta_text, max_size=3))
def test_lines_txt_round_trip(lines_labels, site, url, meta):
    lines, labels = lines_labels
    page = Page(lines=lines, labels=labels, site=site, url=url, meta=dict(meta))
    text = format_lines_txt(page)
    back = read_lines_txt(text, "rt.lines.txt")
    assert back.lines == lines and back.labels == labels
    assert (back.site, back.url, back.meta) == (site, url, meta)
    assert format_lines_txt(back) == text
    count("lines.txt round trip", [text])


# -- JSON records -----------------------------------------------------------------------------------
def check_page(page: Page, source: str) -> None:
    """What every page a reader yields must be: strings where strings belong, all of them writable text."""
    assert isinstance(page, Page) and page.source == source
    assert isinstance(page.lines, list) and all(isinstance(x, str) and is_text(x) for x in page.lines)
    assert page.labels is None or (len(page.labels) == len(page.lines) and set(page.labels) <= {"+", "-", " "})
    for value in (page.id, page.url, page.site, page.html, page.gold):
        assert value is None or (isinstance(value, str) and is_text(value))
    assert page.html is None or page.lines == []


def check_failure(item: Failure, source: str) -> None:
    assert isinstance(item, Failure) and item.source == source
    assert isinstance(item.message, str) and item.message and str(item).startswith(source + ": ")
    assert item.record is None or (isinstance(item.record, int) and item.record >= 1)


@settings(FUZZ, max_examples=1500)
@given(st.lists(record, min_size=1, max_size=8))
def test_page_from_record_gives_a_page_or_an_error_naming_the_record(records):
    for rec in records:
        try:
            page = page_from_record(rec, "fuzz.jsonl", 3)
        except InputError as exc:
            assert (exc.source, exc.record) == ("fuzz.jsonl", 3) and str(exc).startswith("fuzz.jsonl: record 3: ")
            continue
        check_page(page, "fuzz.jsonl")
        again = page_from_record(json.loads(json.dumps(record_from_page(page))), "fuzz.jsonl", 3)
        assert (again.lines, again.labels, again.html, again.gold, again.id, again.url, again.site) == \
            (page.lines, page.labels, page.html, page.gold, page.id, page.url, page.site)
    count("page_from_record", [json.dumps(r, sort_keys=True, default=str) for r in records])


def _fresh_dir(root, name: str):
    d = root / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    return d


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(FUZZ, max_examples=1500)
@given(st.lists(pages_to_write(), max_size=8), st.booleans())
def test_jsonl_write_read_round_trip(fuzz_root, pages, gz):
    path = fuzz_root / ("rt.jsonl.gz" if gz else "rt.jsonl")
    with (gzip.open(path, "wt", encoding="utf-8") if gz else open(path, "w", encoding="utf-8")) as f:
        assert write_jsonl((record_from_page(p) for p in pages), f) == len(pages)
    back = list(read_inputs([path]))
    assert len(back) == len(pages)
    for page, got in zip(pages, back):
        check_page(got, str(path))
        assert (got.lines, got.labels, got.html, got.gold, got.id, got.url, got.site) == \
            (page.lines, page.labels, page.html, page.gold, page.id, page.url, page.site)
    count("jsonl round trip", [json.dumps(record_from_page(p)) for p in pages])


# -- read_inputs over files, folders and stdin ------------------------------------------------------
@settings(FUZZ, max_examples=1500)
@given(st.lists(a_file, min_size=1, max_size=6))
def test_read_inputs_yields_pages_and_failures_naming_their_file(fuzz_root, files):
    folder = _fresh_dir(fuzz_root, "in")
    paths = []
    for i, (suffix, gz, data) in enumerate(files):
        path = folder / f"{i:02d}{suffix}{'.gz' if gz else ''}"
        path.write_bytes(data)
        paths.append(str(path))
    items = timed("read_inputs", f"{len(files)} files", lambda: list(read_inputs([folder])))
    by_source: dict[str, list] = {p: [] for p in paths}
    for item in items:
        assert isinstance(item, (Page, Failure)), item
        assert item.source in by_source
        by_source[item.source].append(item)
    assert [item.source for item in items] == sorted(item.source for item in items)  # name order
    for path, (suffix, gz, data) in zip(paths, files):
        got = by_source[path]
        for item in got:
            check_failure(item, path) if isinstance(item, Failure) else check_page(item, path)
        if suffix.lower() in (".jsonl", ".ndjson"):
            # At most one item per record, in order; only the last may say the file is damaged.
            records = [item.record for item in got]
            assert None not in records and records == sorted(set(records)), records
            assert not any("damaged" in item.message for item in got[:-1] if isinstance(item, Failure))
        else:
            assert len(got) == 1
            # One path read on its own gives the same as within the folder.
            (alone,) = list(read_inputs([path]))
            assert type(alone) is type(got[0])
    count("read_inputs files", [(s, g, d) for s, g, d in files])


@settings(FUZZ, max_examples=800)
@given(st.one_of(file_bytes, gzip_bytes, jsonl_bytes), st.none() | st.booleans())
def test_read_inputs_from_stdin(data, html):
    stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(data)))
    with mock.patch("sys.stdin", stdin):
        items = list(read_inputs(["-"], html=html))
    if not data:
        assert items == []
    for item in items:
        check_failure(item, "-") if isinstance(item, Failure) else check_page(item, "-")
    count("read_inputs stdin", [data])


def test_missing_input_is_one_failure_naming_it(tmp_path):
    (item,) = list(read_inputs([tmp_path / "nope.jsonl"]))
    check_failure(item, str(tmp_path / "nope.jsonl"))


# -- HTML -------------------------------------------------------------------------------------------
@settings(FUZZ, max_examples=4000)
@given(st.lists(html_bytes, min_size=4, max_size=16))
def test_decode_html_always_gives_text(datas):
    for data in set(datas):
        text = decode_html(data, "fuzz.html")
        assert isinstance(text, str)
        if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            try:
                assert text == data.decode("utf-8")
            except UnicodeDecodeError:
                pass
    count("decode_html", datas)


@settings(FUZZ, max_examples=2500)
@given(st.one_of(html_str, html_bytes))
def test_html_to_lines_gives_lines_or_an_error_naming_the_page(html):
    try:
        lines = timed("html_to_lines", describe(html), html_to_lines, html, "fuzz/page.html")
    except InputError as exc:
        assert exc.source == "fuzz/page.html" and str(exc).startswith("fuzz/page.html: ")
    else:
        assert isinstance(lines, list)
        assert all(isinstance(line, str) and "\n" not in line and "\r" not in line for line in lines)
        if not (html.strip() if isinstance(html, str) else html.strip(b" \t\r\n\x0c")):
            assert lines == []
    count("html_to_lines", [html])


# -- the labeler ------------------------------------------------------------------------------------
LABELER = settings(FUZZ, deadline=LABELER_DEADLINE_MS)


@pytest.fixture(scope="module")
def labeler(default_labeler):
    """The default model, its trees predicting on one thread: on a loaded machine, OpenMP threads that
    wait for each other make small calls take seconds, which would trip the deadline for no fault of ours."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield default_labeler


def as_lines(page) -> list[str]:
    return split_lines(page) if isinstance(page, str) else list(page)


def check_results(lines: list[str], results: list[LineResult], reasons: bool) -> None:
    assert isinstance(results, list) and len(results) == len(lines)
    for line, r in zip(lines, results):
        assert isinstance(r, LineResult) and r.text == line
        assert r.is_body is None or type(r.is_body) is bool
        assert isinstance(r.p_body, float) and 0.0 <= r.p_body <= 1.0
        assert (r.is_body is None) == (_WORD.search(line) is None), line
        assert r.label == {None: " ", True: "+", False: "-"}[r.is_body]
        if r.is_body is None:
            assert r.p_body == 0.0
            assert r.reason == (NOTHING_TO_JUDGE if reasons else "")
        else:
            assert isinstance(r.reason, str) and bool(r.reason) == reasons


def _key(page) -> tuple:
    return (page,) if isinstance(page, str) else ("lines", *page)


@settings(LABELER, max_examples=1500)
@given(st.lists(label_page, min_size=1, max_size=16))
def test_label_pages_one_result_per_line(labeler, pages):
    results = timed("label_pages", f"{len(pages)} pages, {sum(len(as_lines(p)) for p in pages)} lines",
                    labeler.label_pages, pages)
    assert len(results) == len(pages)
    for page, res in zip(pages, results):
        check_results(as_lines(page), res, reasons=False)
    count("label_pages", [_key(p) for p in pages])


@settings(LABELER, max_examples=150)
@given(label_page)
def test_label_with_reasons(labeler, page):
    res = timed("label", describe(page), labeler.label, page, site="fuzz.example", url="https://fuzz.example/")
    check_results(as_lines(page), res, reasons=True)
    count("label", [_key(page)])


def _is_subsequence(part: list[str], whole: list[str]) -> bool:
    it = iter(whole)
    return all(any(x == y for y in it) for x in part)


@settings(LABELER, max_examples=300)
@given(st.lists(st.one_of(page_text, lines_list), min_size=1, max_size=16))
def test_clean_keeps_only_lines_of_the_input(labeler, pages):
    cleaned = timed("clean_pages", f"{len(pages)} pages", labeler.clean_pages, pages)
    assert len(cleaned) == len(pages)
    for page, text in zip(pages, cleaned):
        lines = as_lines(page)
        kept = text.split("\n") if text else []
        assert _is_subsequence(kept, lines), (kept, lines)
        assert all(_WORD.search(line) for line in kept)
    assert labeler.clean(pages[0]) == cleaned[0]
    count("clean", [_key(p) for p in pages])


@settings(LABELER, max_examples=30)
@given(st.lists(st.one_of(plain_line, word_line, blank_line), min_size=1, max_size=30), st.integers(100, 20_000))
def test_many_lines(labeler, base, n):
    lines = (base * (n // len(base) + 1))[:n]
    res = timed("label many lines", f"{n} lines", labeler.label_pages, [lines])
    check_results(lines, res[0], reasons=False)
    count("label many lines", [(n, *base)])


@settings(LABELER, max_examples=20)
@given(st.text(line_char, min_size=1, max_size=10), st.integers(1_000, 30_000), lines_list)
def test_very_long_line(labeler, unit, repeat, others):
    lines = [*others, unit * repeat, *others]
    res = timed("label long line", f"{len(unit) * repeat} chars", labeler.label, lines)
    check_results(lines, res, reasons=True)
    count("label long line", [(unit, repeat, *others)])


@settings(LABELER, max_examples=150)
@given(st.one_of(html_str, html_bytes))
def test_label_html_labels_the_lines_of_the_page(labeler, html):
    try:
        expected = html_to_lines(html)
    except InputError:
        with pytest.raises(InputError):
            labeler.label_html(html)
    else:
        res = timed("label_html", describe(html), labeler.label_html, html)
        check_results(expected, res, reasons=True)
    count("label_html", [html])


EXPECTED_ENTRIES = {"split_lines", "read_lines_txt", "lines.txt round trip", "page_from_record", "jsonl round trip",
                    "read_inputs files", "read_inputs stdin", "decode_html", "html_to_lines", "label_pages", "label",
                    "clean", "label many lines", "label long line", "label_html"}


ATHERIS_RUNS = 20_000


def test_atheris_harness():
    """The coverage-guided harness (tests/fuzz_atheris.py), bounded by a fixed number of runs and seed. Its
    runs are libFuzzer executions, not necessarily distinct inputs: they are not in GENERATED."""
    pytest.importorskip("atheris")
    harness = Path(__file__).with_name("fuzz_atheris.py")
    done = subprocess.run([sys.executable, str(harness), f"-runs={ATHERIS_RUNS}", "-seed=1", "-max_len=4096"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    assert f"Done {ATHERIS_RUNS} runs" in done.stderr


def test_fuzz_budget():
    """The whole module generated at least MIN_GENERATED inputs (checked when every fuzz test ran)."""
    missing = EXPECTED_ENTRIES - set(GENERATED)
    if missing:
        pytest.skip(f"only part of the fuzz tests ran (not: {', '.join(sorted(missing))})")
    assert sum(GENERATED.values()) >= MIN_GENERATED, summary()
