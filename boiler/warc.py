"""Pages from WARC and WET files (Common Crawl's formats), streamed with warcio.

* WET ``conversion`` records are text pages: their target URI is the page's URL.
* WARC ``response`` records whose HTTP payload is HTML are HTML pages (decoded by BOM, the HTTP
  header's charset, the page's declared charset, then a fallback).
* Other records (``warcinfo``, ``request``, ``metadata``, responses that are not HTML) are not
  pages; how many were passed over is logged.

A record that cannot be read is a :class:`~boiler.formats.Failure` naming the file and the record
number; a damaged file (a truncated gzip member) ends its stream with one, after every good record
before the damage was yielded.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Iterator

from .errors import InputError
from .formats import Failure, Page, check_text, split_lines
from .html import decode_html
from .sites import site_of

__all__ = ["WARC_SUFFIXES", "is_warc", "iter_warc"]

log = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz", ".warc.wet", ".warc.wet.gz")
#: Content types of HTTP responses read as HTML pages.
HTML_TYPES = ("text/html", "application/xhtml+xml")
#: Payloads larger than this are reported, not read (bytes).
MAX_RECORD_BYTES = 50 * 2**20


def is_warc(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def _read_payload(record, source: str, n: int, rid: str) -> bytes:
    """The record's payload; an error when it is larger than we read, or shorter than its header says."""
    data = record.content_stream().read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        raise InputError(source, f"record {rid} is larger than {MAX_RECORD_BYTES} bytes", n)
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise InputError(source, f"record {rid} is truncated ({missing} bytes missing)", n)
    return data


def _passed_over(record, source: str, n: int, rid: str) -> None:
    """A record that is not a page: read past it, and fail if it was cut short (it may have been one)."""
    while record.raw_stream.read(1 << 16):
        pass
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise InputError(source, f"record {rid} is truncated ({missing} bytes missing)", n)


def _page(record, source: str, n: int) -> Page | Failure | None:
    kind = record.rec_type
    url = record.rec_headers.get_header("WARC-Target-URI")
    rid = record.rec_headers.get_header("WARC-Record-ID") or f"{source}#{n}"
    declared = (record.rec_headers.get_header("Content-Length") or "").strip()
    if record.length is None or not declared.isdigit():
        return Failure(source, n, f"record {rid} is truncated or damaged (no valid Content-Length)")
    if kind == "conversion":
        data = _read_payload(record, source, n, rid)
        text = data.decode("utf-8", errors="replace")
        check_text(text, source, n)
        return Page(lines=split_lines(text), id=rid, url=url, site=site_of(url), source=source, record=n)
    if kind == "response":
        http = record.http_headers
        ctype = (http.get_header("Content-Type") if http is not None else None) or ""
        if not ctype.lower().startswith(HTML_TYPES):
            _passed_over(record, source, n, rid)
            return None
        data = _read_payload(record, source, n, rid)
        charset = _charset(ctype)
        html = None
        if charset:
            try:
                html = data.decode(charset)
            except (LookupError, UnicodeDecodeError):
                html = None
        if html is None:
            html = decode_html(data, source)
        check_text(html, source, n)
        return Page(lines=[], html=html, id=rid, url=url, site=site_of(url), source=source, record=n)
    _passed_over(record, source, n, rid)
    return None


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unread_bytes(raw, parsed_to: int) -> int:
    """Bytes the stream held past the end of the last record parsed (0 where the stream cannot tell)."""
    try:
        return max(raw.tell() - parsed_to, 0)
    except (OSError, AttributeError, ValueError):
        return 0


def iter_warc(path: str, stream: io.BufferedIOBase | None = None) -> Iterator[Page | Failure]:
    """Pages of a WARC or WET file (plain or gzip), streamed; ``stream`` instead of opening ``path``."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        raw = stream if stream is not None else open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        yield Failure(path, None, exc.strerror or str(exc))
        return
    n = 0
    passed_over = 0
    try:
        archive = ArchiveIterator(raw, arc2warc=True)
        archive.INC_RECORD = ""  # warcio writes this warning to stderr itself: logged below, naming the file
        records = iter(archive)
        while True:
            warned = archive.err_count
            try:
                record = next(records)
            except StopIteration:
                unread = _unread_bytes(raw, archive.offset)
                if unread:
                    yield Failure(path, n + 1, f"{unread} bytes after record {n} hold no whole record "
                                               "(a truncated or damaged record)")
                break
            except Exception as exc:  # warcio raises many kinds on damaged bytes: each ends the file cleanly
                yield Failure(path, n + 1, f"damaged WARC record ({type(exc).__name__}: {_one_line(exc)}); "
                                           "the rest of the file is unread")
                break
            n += 1
            if archive.err_count > warned:  # found while reading up to this record: the one before ran wrong
                log.warning("%s: record %d is not followed by a blank line where its Content-Length ends (a "
                            "wrong Content-Length?): its page may be cut short or run on", path, n - 1)
            try:
                item = _page(record, path, n)
            except InputError as exc:
                item = Failure(path, n, exc.message)
            except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as exc:
                item = Failure(path, n, f"damaged WARC record ({type(exc).__name__}: {_one_line(exc)})")
            if item is None:
                passed_over += 1
                continue
            yield item
    finally:
        if stream is None:
            raw.close()
    if passed_over:
        log.info("%s: %d record(s) that are not pages (warcinfo, request, metadata, non-HTML) passed over",
                 path, passed_over)
