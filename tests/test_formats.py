import gzip
import io
import json
import re

import pytest

from boiler.errors import InputError
from boiler.formats import (Failure, Page, format_lines_txt, page_from_record, read_inputs, read_lines_txt,
                            read_lines_txt_pages, record_from_page, split_lines, write_jsonl)

from conftest import DATA


def test_split_lines_handles_crlf_and_final_newline():
    assert split_lines("a\r\nb\rc\n") == ["a", "b", "c"]
    assert split_lines("a\n\nb") == ["a", "", "b"]
    assert split_lines("") == []


def test_lines_txt_round_trip():
    text = (DATA / "handmade_news.lines.txt").read_text(encoding="utf-8")
    page = read_lines_txt(text, "x.lines.txt")
    assert page.site == "rivertown-herald.example"
    assert page.url.endswith("/news/4412")
    assert len(page.lines) == len(page.labels)
    assert page.labels[0] == "-" and "+" in page.labels and " " in page.labels
    assert format_lines_txt(page) == text


def test_lines_txt_blank_row_is_a_blank_line():
    page = read_lines_txt("- Menu\n\n+ Body text here.\n")
    assert page.lines == ["Menu", "", "Body text here."]
    assert page.labels == ["-", " ", "+"]


def test_lines_txt_rejects_bad_label():
    with pytest.raises(InputError, match="line 2"):
        read_lines_txt("+ fine\n* bad\n", "bad.lines.txt")


def test_lines_jsonl_round_trip(tmp_path):
    page = Page(lines=["Home", "", "A paragraph."], labels=["-", " ", "+"], id="p1", url="https://a.example/x",
                site="a.example")
    path = tmp_path / "lines.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        write_jsonl([record_from_page(page)], f)
    (back,) = list(read_inputs([path]))
    assert (back.lines, back.labels, back.id, back.url, back.site) == (page.lines, page.labels, "p1",
                                                                       page.url, page.site)


def test_pages_format_record_keeps_html_and_gold():
    page = page_from_record({"id": "a", "url": None, "site": "x.example", "html": "<p>Hi</p>", "gold": "Hi"})
    assert page.html == "<p>Hi</p>" and page.gold == "Hi" and page.lines == []
    assert record_from_page(page) == {"id": "a", "url": None, "site": "x.example", "html": "<p>Hi</p>", "gold": "Hi"}


@pytest.mark.parametrize("rec, message", [
    ([1, 2], "expected a JSON object"),
    ({"lines": "abc"}, "'lines' must be a list"),
    ({"lines": ["a"], "labels": ["+", "-"]}, "as long as 'lines'"),
    ({"lines": ["a"], "labels": ["x"]}, "is not '+'"),
    ({"id": "nothing"}, "none of 'lines', 'html' or 'text'"),
    ({"text": "\x00\x01\x02binary"}, "binary"),
])
def test_bad_records_are_named(rec, message):
    with pytest.raises(InputError, match=re.escape(message)) as exc:
        page_from_record(rec, "in.jsonl", 7)
    assert str(exc.value).startswith("in.jsonl: record 7:")


def test_batch_reports_bad_records_and_goes_on(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"text": "first page"}\n{broken json\n\xff\xfe not utf8\n{"lines": ["x"], "labels": ["?"]}\n'
                     b'{"text": "last page"}\n')
    items = list(read_inputs([path]))
    pages = [i for i in items if isinstance(i, Page)]
    failures = [i for i in items if isinstance(i, Failure)]
    assert [p.lines for p in pages] == [["first page"], ["last page"]]
    assert [f.record for f in failures] == [2, 3, 4]
    assert "invalid JSON" in failures[0].message and "UTF-8" in failures[1].message


def test_truncated_gzip_is_reported_after_the_good_records(tmp_path):
    data = gzip.compress(b"".join(json.dumps({"text": f"page {i} " * 50}).encode() + b"\n" for i in range(200)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    items = list(read_inputs([path]))
    assert isinstance(items[-1], Failure) and "truncated" in items[-1].message
    assert all(isinstance(i, Page) for i in items[:-1]) and len(items) > 1


@pytest.mark.parametrize("name, content, message", [
    ("missing.txt", None, "no such file"),
    ("junk.txt", bytes(range(256)) * 4, "UTF-8"),
    ("nul.txt", b"text\x00\x00\x00 more", "binary"),
    ("cut.txt.gz", gzip.compress(b"hello world " * 100)[:30], "gzip"),
])
def test_unreadable_files_give_one_failure_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    (item,) = list(read_inputs([path]))
    assert isinstance(item, Failure) and message in item.message and name in str(item)


def test_folder_is_read_recursively_in_name_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("two\n")
    (tmp_path / "1.txt").write_text("one\n")
    (tmp_path / ".hidden.txt").write_text("no\n")
    assert [p.lines for p in read_inputs([tmp_path])] == [["one"], ["two"]]


def test_stdin_jsonl_and_plain(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(b'{"text": "a\\nb"}\n'))))
    assert [p.lines for p in read_inputs(["-"])] == [["a", "b"]]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(b"plain\ntext\n"))))
    assert [p.lines for p in read_inputs(["-"])] == [["plain", "text"]]


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))


def test_stdin_compressed_is_told_by_its_text(monkeypatch):
    import zstandard

    records = b'{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n'
    for data in (gzip.compress(records), zstandard.ZstdCompressor().compress(records), b"\xef\xbb\xbf" + records):
        _stdin(monkeypatch, data)
        assert [p.id for p in read_inputs(["-"])] == ["a", "b"]
    _stdin(monkeypatch, gzip.compress(b"plain\ntext\n"))
    assert [p.lines for p in read_inputs(["-"])] == [["plain", "text"]]


def test_stdin_in_the_lines_format_is_labeled_pages_for_who_wants_them(monkeypatch):
    text = b"# site: x.com\n- Menu\n+ Body text.\n# id: two\n+ More.\n"
    _stdin(monkeypatch, text)
    pages = list(read_inputs(["-"], labeled=True))
    assert [(p.site, p.labels) for p in pages] == [("x.com", ["-", "+"]), (None, ["+"])]
    _stdin(monkeypatch, text)
    (page,) = read_inputs(["-"])  # a page of text to label, as it always was
    assert page.labels is None and page.lines[0] == "# site: x.com"


def test_a_cut_zstd_stream_is_reported_not_ended_quietly(tmp_path):
    import zstandard

    data = zstandard.ZstdCompressor().compress("".join(
        json.dumps({"id": str(k), "text": f"page {k} " * 50}) + "\n" for k in range(300)).encode())
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(data[: len(data) // 2])
    items = list(read_inputs([path]))
    assert isinstance(items[-1], Failure) and "truncated zstd" in items[-1].message
    path.write_bytes(data + zstandard.ZstdCompressor().compress(b'{"id": "last", "text": "z"}\n'))  # two frames
    assert [p.id for p in read_inputs([path])][-2:] == ["299", "last"]


def test_a_byte_order_mark_does_not_cost_the_first_record(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n')
    assert [p.id for p in read_inputs([path])] == ["a", "b"]


def test_ids_urls_and_sites_are_text_or_whole_numbers():
    assert page_from_record({"id": 7, "text": "x"}).id == "7"
    for bad in ({"id": ["x"]}, {"site": {"a": 1}}, {"url": 1.5}, {"id": True}):
        with pytest.raises(InputError, match="must be a string"):
            page_from_record({**bad, "text": "x"}, "in.jsonl", 3)


def test_a_failed_record_id_with_a_lone_surrogate_is_escaped(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "\\ud800x", "text": "x"}\n')
    (item,) = read_inputs([path])
    assert isinstance(item, Failure) and item.id == "\\ud800x"
    item.id.encode("utf-8")  # writable


def test_several_pages_in_one_lines_file():
    text = "- Menu\n+ First page.\n# id: p2\n# site: x.com\n+ Second page.\n# id: p3\n"
    pages = read_lines_txt_pages(text, "all.lines.txt")
    assert [p.id for p in pages] == ["all", "p2", "p3"] and [p.lines for p in pages] == [["Menu", "First page."],
                                                                                            ["Second page."], []]
    assert pages[1].site == "x.com"
    with pytest.raises(InputError, match="3 pages"):
        read_lines_txt(text, "all.lines.txt")
    assert len(read_lines_txt_pages("")) == 1


def test_line_breaks_inside_a_line_are_written_as_spaces():
    page = Page(lines=["one\ntwo", "three\r\nfour"], labels=["+", "-"], url="http://x.com/a\nb")
    back = read_lines_txt(format_lines_txt(page))
    assert back.lines == ["one two", "three four"] and back.labels == ["+", "-"] and back.url == "http://x.com/a b"


def test_shared_formats_are_read_as_they_are():
    from conftest import shared_or_skip

    seeds = shared_or_skip("seeds")
    for path in sorted(seeds.glob("*.lines.txt")):
        page = read_lines_txt(path.read_text(encoding="utf-8"), str(path))
        raw = (seeds / path.name.replace(".lines.txt", ".txt")).read_text(encoding="utf-8")
        assert page.lines == split_lines(raw)
        assert page.site
    lines_file = shared_or_skip("data", "cleanportaleval", "lines.jsonl.gz")
    first = next(iter(read_inputs([lines_file])))
    assert isinstance(first, Page) and len(first.lines) == len(first.labels) > 0
    pages_file = shared_or_skip("data", "cleanportaleval", "pages.jsonl.gz")
    first = next(iter(read_inputs([pages_file])))
    assert isinstance(first, Page) and first.html and first.gold


def test_empty_page_formats_as_an_empty_file():
    assert format_lines_txt(Page(lines=[], labels=[])) == ""
    assert read_lines_txt("").lines == []
    back = read_lines_txt(format_lines_txt(Page(lines=[], labels=[], site="a.example")))
    assert (back.lines, back.site) == ([], "a.example")


@pytest.mark.parametrize("line, message", [
    (b'{"text": "x", "id": ' + b"9" * 5000 + b"}", "integer string conversion"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"text": "a\\ud800b"}', "'text' holds a lone surrogate ('\\ud800')"),
])
def test_json_that_python_refuses_is_a_failure_naming_the_record(tmp_path, line, message):
    path = tmp_path / "odd.jsonl"
    path.write_bytes(line + b'\n{"text": "next page"}\n')
    first, second = list(read_inputs([path]))
    assert isinstance(first, Failure) and first.record == 1 and message in first.message
    assert isinstance(second, Page) and second.lines == ["next page"]


@pytest.mark.parametrize("rec", [{"lines": ["ok", "\udc00"]}, {"html": "<p>\ud800</p>"}, {"text": "x", "id": "\ud800"},
                                 {"html": "<p>x</p>", "gold": "\udfff"}])
def test_lone_surrogates_are_refused_where_a_record_keeps_text(rec):
    with pytest.raises(InputError, match="lone surrogate"):
        page_from_record(rec, "in.jsonl", 1)


def test_surrogate_pairs_are_text():
    assert page_from_record(json.loads('{"text": "\\ud83d\\ude42 ok"}')).lines == ["\U0001f642 ok"]


def test_a_failed_record_keeps_its_id_when_it_has_one(tmp_path):
    from boiler.formats import Failure, read_inputs

    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "bin", "text": "\\u0000\\u0001\\u0002 binary \\u0003"}\n{"id": 5, "text": 7}\n{"no": "id"}\n'
                    '{"id": ["x"], "text": 7}\n')
    items = list(read_inputs([path]))
    assert all(isinstance(x, Failure) for x in items)
    # a whole number is an id (as in a good record); a list is not one
    assert [x.id for x in items] == ["bin", "5", None, None] and [x.record for x in items] == [1, 2, 3, 4]
