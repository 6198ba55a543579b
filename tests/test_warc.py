import gzip
import io

import pytest

from boiler.formats import Failure, Page, read_inputs
from boiler.warc import iter_warc

ARTICLE = "<html><body><nav>Home | News</nav><p>Привет, это статья о погоде в городе.</p></body></html>"


def _warc(path, gzip_records=True):
    """A small WARC made with warcio's writer: every kind of record a crawl holds."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=gzip_records)
        w.write_record(w.create_warcinfo_record("crawl.warc", {"software": "test"}))
        req = StatusAndHeaders("GET /a HTTP/1.1", [("Host", "www.example.ru")], is_http_request=True)
        w.write_record(w.create_warc_record("https://www.example.ru/a", "request", http_headers=req))
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=windows-1251")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://www.example.ru/a", "response",
                                            payload=io.BytesIO(ARTICLE.encode("cp1251")), http_headers=http))
        png = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://www.example.ru/logo.png", "response",
                                            payload=io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(100)), http_headers=png))
        w.write_record(w.create_warc_record("https://news.example.co.uk/b", "conversion",
                                            payload=io.BytesIO(b"Menu\nThe article's text.\n"),
                                            warc_content_type="text/plain"))
    return path


@pytest.mark.parametrize("compressed", [True, False])
def test_pages_of_a_warc(tmp_path, compressed):
    path = _warc(tmp_path / ("crawl.warc.gz" if compressed else "crawl.warc"), compressed)
    pages = list(read_inputs([path]))
    assert all(isinstance(p, Page) for p in pages) and len(pages) == 2
    html, text = pages
    assert html.html == ARTICLE and html.lines == []  # decoded by the HTTP header's charset
    assert (html.url, html.site, html.record) == ("https://www.example.ru/a", "example.ru", 3)
    assert html.id.startswith("<urn:uuid:")
    assert text.lines == ["Menu", "The article's text."] and text.site == "example.co.uk" and text.html is None


def test_a_truncated_warc_yields_what_came_before_and_one_failure(tmp_path):
    path = _warc(tmp_path / "crawl.warc.gz")
    data = path.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) - 40])
    items = list(iter_warc(str(cut)))
    assert isinstance(items[0], Page) and items[0].url == "https://www.example.ru/a"
    assert isinstance(items[-1], Failure) and "cut.warc.gz" in str(items[-1])
    assert sum(isinstance(x, Failure) for x in items) == 1


def test_garbage_named_warc_gives_failures_only(tmp_path):
    path = tmp_path / "junk.warc.gz"
    path.write_bytes(gzip.compress(b"this is not a WARC file\r\n\r\n" * 3))
    items = list(read_inputs([path]))
    assert items and all(isinstance(x, Failure) and "junk.warc.gz" in str(x) and "\n" not in str(x) for x in items)


def test_warc_on_stdin(tmp_path, monkeypatch):
    path = _warc(tmp_path / "crawl.warc", gzip_records=False)
    from boiler import formats

    monkeypatch.setattr(formats, "_stdin", lambda: io.BufferedReader(io.BytesIO(path.read_bytes())))
    pages = list(read_inputs(["-"]))
    assert [p.url for p in pages] == ["https://www.example.ru/a", "https://news.example.co.uk/b"]


def test_a_wrong_content_length_is_logged_naming_the_file_not_written_raw(tmp_path, caplog, capsys):
    import re

    data = _warc(tmp_path / "crawl.warc", gzip_records=False).read_bytes()
    lengths = list(re.finditer(rb"Content-Length: (\d+)", data))
    m = next(x for x in lengths if int(x.group(1)) > len(ARTICLE) // 2)  # the response record's own
    bad = tmp_path / "bad.warc"
    bad.write_bytes(data[:m.start(1)] + str(int(m.group(1)) - 5).encode() + data[m.end(1):])
    with caplog.at_level("WARNING", logger="boiler.warc"):
        items = list(iter_warc(str(bad)))
    assert items and "Record not followed by newline" not in capsys.readouterr().err
    assert any("bad.warc: record" in r.getMessage() and "Content-Length" in r.getMessage() for r in caplog.records)
