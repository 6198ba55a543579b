"""Reading and writing pages: plain text, labeled lines (``.lines.txt`` and JSONL) and pages JSONL.

The formats are those of ``FORMATS.md``. Readers never raise on a bad record inside a batch: they
yield a :class:`Failure` that names the input and record, so a caller can report it, count it and
go on. A whole input that cannot be opened raises :class:`~boiler.errors.InputError`.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import logging
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from .errors import InputError

__all__ = [
    "Label",
    "Page",
    "Failure",
    "RecordFields",
    "check_text",
    "split_lines",
    "label_for_line",
    "read_inputs",
    "read_lines_txt",
    "read_lines_txt_pages",
    "failed_record_id",
    "format_lines_txt",
    "page_from_record",
    "record_from_page",
    "write_jsonl",
    "open_output",
    "atomic_output",
]

log = logging.getLogger(__name__)

#: Share of control characters (other than tab, CR, LF, FF) above which text is taken for binary.
BINARY_CONTROL_SHARE = 0.05
#: How many leading characters are inspected for the binary check.
BINARY_SNIFF_CHARS = 4096
#: Suffixes read as HTML pages.
HTML_SUFFIXES = (".html", ".htm", ".xhtml")

_WORD = re.compile(r"\w")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class Label(str, Enum):
    """A line's label, as written in the labeled-lines format."""

    BODY = "+"
    CHROME = "-"
    NONE = " "


@dataclass(slots=True)
class Page:
    """One page: its lines and, where known, their labels and the page's metadata."""

    lines: list[str]
    labels: list[str] | None = None
    id: str | None = None
    url: str | None = None
    site: str | None = None
    html: str | None = None
    gold: str | None = None
    source: str = "<memory>"
    meta: dict[str, str] = field(default_factory=dict)
    record: int | None = None


@dataclass(slots=True)
class Failure:
    """A record that could not be read; the batch goes on without it."""

    source: str
    record: int | None
    message: str
    id: str | None = None  # the record's id, when the record was read far enough to have one

    def __str__(self) -> str:
        where = f"{self.source}: record {self.record}" if self.record is not None else self.source
        return f"{where}: {self.message}"


@dataclass(slots=True, frozen=True)
class RecordFields:
    """Names of the fields of a JSONL record that hold the page (for JSONL other than the shared formats)."""

    id: str = "id"
    url: str = "url"
    site: str = "site"
    text: str = "text"
    html: str = "html"


DEFAULT_FIELDS = RecordFields()


def split_lines(text: str) -> list[str]:
    """Split page text into lines on ``\\n`` (``\\r\\n`` and ``\\r`` too); a final newline ends the last line."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def label_for_line(line: str) -> Label | None:
    """``Label.NONE`` for a line with nothing to judge (no word character), else None."""
    return None if _WORD.search(line) else Label.NONE


def check_text(text: str, source: str, record: int | None = None) -> None:
    sample = text[:BINARY_SNIFF_CHARS]
    if "\x00" in sample or (sample and len(_CONTROL.findall(sample)) > BINARY_CONTROL_SHARE * len(sample)):
        raise InputError(source, "looks like binary data, not text", record)


def _decode(data: bytes, source: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(source, f"invalid UTF-8 at byte {exc.start}") from None
    check_text(text, source)
    return text


def _stdin() -> io.BufferedIOBase:
    """Standard input as a binary stream that can ``peek`` (some wrappers, such as test runners', cannot)."""
    buf = getattr(sys.stdin, "buffer", sys.stdin)
    return buf if hasattr(buf, "peek") else io.BufferedReader(buf)


def _read_bytes(path: str, stdin: io.BufferedIOBase | None = None) -> bytes:
    """The bytes of a file (``-`` is stdin), decompressed where it is gzip or zstd."""
    try:
        if path == "-":
            data = (stdin or _stdin()).read()
        else:
            data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None
    stream, kind = _decompressed(io.BufferedReader(io.BytesIO(data)), path)
    try:
        return stream.read()
    except _compression_errors() as exc:
        raise InputError(path, f"damaged or truncated {kind} ({exc})") from None


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _compression_errors() -> tuple[type[BaseException], ...]:
    """What a damaged or truncated gzip or zstd stream raises."""
    import zstandard

    return (EOFError, OSError, zlib.error, zstandard.ZstdError)


class _ZstdReader(io.RawIOBase):
    """The zstd frames of a stream, decompressed as they are read. A stream cut inside a frame raises
    ``EOFError``, as a cut gzip stream does (zstandard's own stream reader ends quietly there: the
    records after the cut would be lost without a word)."""

    def __init__(self, raw: io.BufferedIOBase):
        import zstandard

        self._raw = raw
        self._new_frame = zstandard.ZstdDecompressor().decompressobj
        self._frame = None  # the frame being decompressed (None: between frames)
        self._out = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._out:
            data = self._raw.read(1 << 16)
            if not data:
                if self._frame is not None:
                    raise EOFError("zstd stream ended inside a frame")
                return 0
            pieces = []
            while data:
                if self._frame is None:
                    self._frame = self._new_frame()
                pieces.append(self._frame.decompress(data))
                data = b""
                if self._frame.eof:  # the frame is complete: what follows it starts the next one
                    data, self._frame = self._frame.unused_data, None
            self._out = b"".join(pieces)
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


def _decompressed(raw: io.BufferedIOBase, path: str) -> tuple[io.BufferedIOBase, str]:
    """``raw`` decompressed, by the name's suffix (``.gz``, ``.zst``) or the stream's magic bytes, and the
    name of its compression ("gzip", "zstd" or "" for none), for error messages."""
    head = raw.peek(4)[:4] if hasattr(raw, "peek") else b""
    if path.endswith(".zst") or head == _ZSTD_MAGIC:
        return io.BufferedReader(_ZstdReader(raw)), "zstd"
    if path.endswith(".gz") or head[:2] == b"\x1f\x8b":
        return gzip.open(raw), "gzip"
    return raw, ""


def read_lines_txt(text: str, source: str = "<memory>") -> Page:
    """Parse one page in the ``.lines.txt`` format (metadata lines, then ``L line`` rows)."""
    pages = read_lines_txt_pages(text, source)
    if len(pages) > 1:
        raise InputError(source, f"holds {len(pages)} pages (each after the first opens with '# ' metadata "
                                 "lines); read it with read_lines_txt_pages")
    return pages[0]


def read_lines_txt_pages(text: str, source: str = "<memory>") -> list[Page]:
    """Parse the pages of a ``.lines.txt`` text: one, or several written one after the other (as ``boiler
    label --format lines`` writes several pages to one stream), where metadata lines after a page's
    rows open the next page. Always at least one page (an empty text is one empty page)."""
    rows = split_lines(text)
    pages: list[Page] = []
    i = 0
    while i < len(rows) or not pages:
        page = Page(lines=[], labels=[], source=source)
        while i < len(rows) and rows[i].startswith("# ") and ":" in rows[i]:
            key, _, value = rows[i][2:].partition(":")
            page.meta[key.strip()] = value.strip()
            i += 1
        for n in range(i, len(rows)):
            row = rows[n] or "  "
            if row.startswith("# ") and ":" in row:
                break  # the next page's metadata
            label, sep = row[0], row[1:2]
            if label not in "+- " or sep not in (" ", ""):
                raise InputError(source, f"line {n + 1}: expected '+', '-' or ' ' then a space, got {row[:20]!r}")
            page.lines.append(row[2:])
            page.labels.append(label)
            i = n + 1
        page.site = page.meta.pop("site", None) or None
        page.url = page.meta.pop("url", None) or None
        name = Path(source).name.removesuffix(".lines.txt")
        page.id = page.meta.pop("id", None) or (name if not pages else f"{name}#{len(pages) + 1}")
        pages.append(page)
    return pages


def format_lines_txt(page: Page) -> str:
    """The page in the ``.lines.txt`` format (labels must be set). A line break inside a line (which a
    JSONL record can hold) or a metadata value (an id made from a file name) is written as a space, so
    that the file reads back with one row per line and the same words."""
    if page.labels is None or len(page.labels) != len(page.lines):
        raise ValueError("format_lines_txt needs one label per line")
    out = []
    for key, value in (("site", page.site), ("url", page.url), *page.meta.items()):
        if value:
            out.append(f"# {key}: {_one_row(str(value))}")
    for label, line in zip(page.labels, page.lines):
        out.append(f"{label or ' '} {_one_row(line)}")
    return "".join(row + "\n" for row in out)  # a page with no lines and no metadata is empty


def _one_row(text: str) -> str:
    """``text`` with its line breaks (``\\r\\n``, ``\\r``, ``\\n``) as spaces."""
    if "\n" in text or "\r" in text:
        return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return text


def _str_or_none(rec: dict, key: str, source: str, record: int | None) -> str | None:
    """A record's id, URL or site: a string, or a whole number (an id) as one; anything else is refused."""
    value = rec.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InputError(source, f"'{key}' must be a string, not {type(value).__name__}", record)


def failed_record_id(rec: object, key: str = DEFAULT_FIELDS.id) -> str | None:
    """The id of a record that could not be read, as far as it can be shown: a lone surrogate escaped
    (it cannot be written as UTF-8), a number as a string, anything else left out."""
    rid = rec.get(key) if isinstance(rec, dict) else None
    if isinstance(rid, int) and not isinstance(rid, bool):
        return str(rid)
    return rid.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(rid, str) else None


def _check_unicode(strings: list[str], what: str, source: str, record: int | None) -> None:
    """Refuse strings with a lone UTF-16 surrogate: JSON can spell one ("\\ud800"), but it is not text and
    cannot be labeled or written out as UTF-8."""
    joined = "".join(strings)
    if not joined.isascii():
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = joined[exc.start]
            raise InputError(source, f"{what} holds a lone surrogate ({bad!r}), not text", record) from None


def page_from_record(rec: object, source: str = "<memory>", record: int | None = None,
                     fields: RecordFields = DEFAULT_FIELDS) -> Page:
    """A :class:`Page` from one JSON record of either format (or ``{"text": ...}``).

    ``fields`` names the fields that hold the id, URL, site, text and HTML in records of other shapes.
    Raises :class:`InputError` naming the source and record when the record is not one.
    """
    if not isinstance(rec, dict):
        raise InputError(source, f"expected a JSON object, got {type(rec).__name__}", record)
    common = dict(id=_str_or_none(rec, fields.id, source, record), url=_str_or_none(rec, fields.url, source, record),
                  site=_str_or_none(rec, fields.site, source, record), source=source, record=record)
    _check_unicode([v for v in (common["id"], common["url"], common["site"]) if v], "'id', 'url' or 'site'",
                   source, record)
    if "lines" in rec:
        lines, labels = rec["lines"], rec.get("labels")
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            raise InputError(source, "'lines' must be a list of strings", record)
        _check_unicode(lines, "'lines'", source, record)
        if labels is not None:
            if not isinstance(labels, list) or len(labels) != len(lines):
                raise InputError(source, f"'labels' must be a list as long as 'lines' ({len(lines)})", record)
            bad = [x for x in labels if x not in ("+", "-", " ")]
            if bad:
                raise InputError(source, f"label {bad[0]!r} is not '+', '-' or ' '", record)
        return Page(lines=list(lines), labels=labels, **common)
    for kind, key in (("html", fields.html), ("text", fields.text)):
        if key in rec:
            value = rec[key]
            if not isinstance(value, str):
                raise InputError(source, f"'{key}' must be a string", record)
            _check_unicode([value], f"'{key}'", source, record)
            check_text(value, source, record)
            if kind == "html":
                gold = rec.get("gold")
                if isinstance(gold, str):
                    _check_unicode([gold], "'gold'", source, record)
                return Page(lines=[], html=value, gold=gold if isinstance(gold, str) else None, **common)
            return Page(lines=split_lines(value), **common)
    raise InputError(source, f"record has none of 'lines', '{fields.html}' or '{fields.text}'", record)


def record_from_page(page: Page) -> dict:
    """The page as a record of the labeled-lines JSONL format (or pages format when it has HTML)."""
    rec: dict = {"id": page.id, "url": page.url, "site": page.site}
    if page.html is not None and not page.lines:
        rec["html"] = page.html
        if page.gold is not None:
            rec["gold"] = page.gold
        return rec
    rec["lines"] = page.lines
    if page.labels is not None:
        rec["labels"] = page.labels
    return rec


def _iter_jsonl(path: str, stdin: io.BufferedIOBase | None = None,
                fields: RecordFields = DEFAULT_FIELDS) -> Iterator[Page | Failure]:
    """Records of a JSONL file, streamed. A bad record is a Failure; a damaged file ends the stream with one."""
    try:
        if path == "-":
            raw: io.BufferedIOBase = stdin or _stdin()
        else:
            raw = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        yield Failure(path, None, "no such file")
        return
    except OSError as exc:
        yield Failure(path, None, exc.strerror or str(exc))
        return
    n = 0
    kind = ""
    try:
        stream, kind = _decompressed(raw, path)
        for n, raw_line in enumerate(stream, start=1):
            if not raw_line.strip():
                continue
            try:
                text = raw_line.decode("utf-8-sig" if n == 1 else "utf-8")  # a byte order mark may open the file
            except UnicodeDecodeError as exc:
                yield Failure(path, n, f"invalid UTF-8 at byte {exc.start}")
                continue
            try:
                rec = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Failure(path, n, f"invalid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})")
                continue
            except ValueError as exc:  # an integer too long to convert
                yield Failure(path, n, f"invalid JSON ({str(exc).split(';')[0]})")
                continue
            except RecursionError:
                yield Failure(path, n, "invalid JSON (nested too deeply)")
                continue
            try:
                yield page_from_record(rec, path, n, fields)
            except InputError as exc:
                yield Failure(path, n, exc.message, failed_record_id(rec, fields.id))
            except RecursionError:  # str() of an 'id' nested almost as deep as json.loads allows
                yield Failure(path, n, "invalid record (nested too deeply)")
    except _compression_errors() as exc:
        yield Failure(path, n + 1, f"damaged or truncated {kind or 'file'} ({exc}); the rest of the file is unread")
    finally:
        if path != "-":
            raw.close()


def _is_jsonl(name: str) -> bool:
    return name.endswith(tuple(base + z for base in (".jsonl", ".ndjson") for z in ("", ".gz", ".zst")))


def _strip_compression(name: str) -> str:
    return name.removesuffix(".gz").removesuffix(".zst")


def _read_one_file(path: str, html: bool | None, stdin: io.BufferedIOBase | None = None,
                   fields: RecordFields = DEFAULT_FIELDS, lines_txt: bool = False) -> Iterator[Page | Failure]:
    name = path.lower()
    if _is_jsonl(name):
        yield from _iter_jsonl(path, stdin, fields)
        return
    from .warc import is_warc, iter_warc

    if is_warc(name):
        yield from iter_warc(path, stdin)
        return
    try:
        data = _read_bytes(path, stdin)
        bare = _strip_compression(name)
        lines_txt = lines_txt or bare.endswith(".lines.txt")
        if html or (html is None and not lines_txt
                    and (bare.endswith(HTML_SUFFIXES) or looks_like_html(data))):
            from .html import decode_html  # HTML is decoded by its own rules: BOM, meta charset, fallback

            yield Page(lines=[], html=decode_html(data, path), source=path,
                       id=None if path == "-" else Path(path).name)
            return
        text = _decode(data, path)
        if lines_txt:
            yield from read_lines_txt_pages(text, path)
        else:
            yield Page(lines=split_lines(text), source=path, id=None if path == "-" else Path(path).name)
    except InputError as exc:
        yield Failure(path, exc.record, exc.message)


_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|div|p)\b",
                         re.IGNORECASE | re.DOTALL)


def looks_like_html(data: str | bytes) -> bool:
    """Whether a page starts like HTML (a doctype or a common tag, after blanks and comments)."""
    head = data[:2048]
    if isinstance(head, str):
        head = head.encode("utf-8", errors="replace")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return bool(_HTML_START.match(head))


def _expand(paths: Iterable[str | os.PathLike]) -> Iterator[str]:
    for p in paths:
        p = os.fspath(p)
        if p != "-" and os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith("."):
                        yield os.path.join(root, f)
        else:
            yield p


def read_inputs(paths: Iterable[str | os.PathLike], html: bool | None = None,
                fields: RecordFields = DEFAULT_FIELDS, stdin: io.BufferedIOBase | None = None,
                labeled: bool = False) -> Iterator[Page | Failure]:
    """Stream pages from files, folders (recursively, in name order) and ``-`` (stdin).

    The kind of each file follows its name: ``*.jsonl`` holds records of either shared format (or
    ``{"text": ...}``, field names per ``fields``), ``*.warc`` and ``*.wet`` hold WARC or WET records
    (see :mod:`boiler.warc`), ``*.lines.txt`` labeled pages (one, or several one after the other:
    :func:`read_lines_txt_pages`), ``*.html`` one HTML page, anything else
    one plain-text page; each may end in ``.gz`` or ``.zst``. ``html=True`` reads plain files as HTML.
    Stdin, decompressed first if it is gzip or zstd, is read as JSONL when its first character is ``{``,
    as WARC when it starts with ``WARC/``, else as one page; with ``labeled`` (a caller that wants
    labeled pages), stdin that starts as a ``.lines.txt`` text does (``# ``, or a label and a space) is
    read as one. ``stdin`` is the binary stream read for ``-`` (one that can ``peek``, such as a
    spooled copy of standard input); default: standard input.
    """
    for path in _expand(paths):
        if path == "-":
            stdin = stdin or _stdin()
            try:
                stdin, head = _stdin_text(stdin)
            except _compression_errors() as exc:
                yield Failure(path, None, f"damaged or truncated compressed input ({exc})")
                continue
            if not head:  # nothing on stdin: no page
                continue
            start = head.removeprefix(b"\xef\xbb\xbf")  # (after a byte order mark)
            if start[:1] == b"{" and html is None:
                yield from _iter_jsonl(path, stdin, fields)
                continue
            if head == b"WARC/":
                from .warc import iter_warc

                yield from iter_warc(path, stdin)
                continue
            if labeled and start[:2] in (b"# ", b"+ ", b"- ", b"  "):
                yield from _read_one_file(path, html, stdin, fields, lines_txt=True)
                continue
        yield from _read_one_file(path, html, stdin, fields)


def _stdin_text(stdin: io.BufferedIOBase) -> tuple[io.BufferedIOBase, bytes]:
    """Stdin and the first five bytes of its text, decompressed where it is gzip or zstd (by its magic
    bytes): what tells JSONL and WARC from a page is the text's start. A gzip stream is left as it is
    (its head decompressed from a peek; the readers and warcio decompress it themselves); a zstd stream
    is decompressed as it is read (warcio cannot)."""
    head = stdin.peek(5)[:5]
    if head[:4] == _ZSTD_MAGIC:
        stdin = _decompressed(stdin, "-")[0]
        return stdin, stdin.peek(5)[:5]
    if head[:2] == b"\x1f\x8b":
        try:
            return stdin, zlib.decompressobj(wbits=31).decompress(stdin.peek(1 << 16), 5)
        except zlib.error:  # damaged: read as it is, and the reader reports the damage
            pass
    return stdin, head


def open_output(path: str | None):
    """A text stream for ``path`` (``None`` or ``-``: stdout), compressed where the name ends in ``.gz`` or ``.zst``."""
    if path in (None, "-"):
        return sys.stdout
    if path.endswith(".gz"):
        return gzip.open(path, "wt", encoding="utf-8")
    if path.endswith(".zst"):
        import zstandard

        return zstandard.open(path, "wt", encoding="utf-8")
    return open(path, "w", encoding="utf-8")


@contextlib.contextmanager
def atomic_output(path: str | None) -> Iterator:
    """A text stream that becomes ``path`` only when the block ends without error (written to a temporary
    name beside it, then renamed): an interrupted run leaves the old file, never a half-written one.
    ``None`` or ``-`` is stdout, written as it goes."""
    if path in (None, "-"):
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", path)
    suffix = next((s for s in (".gz", ".zst") if target.name.endswith(s)), "")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial{suffix}")
    try:
        stream = open_output(str(tmp))
    except OSError as exc:  # no such folder, no permission: named by the output, not the temporary file
        raise OSError(exc.errno, exc.strerror, path) from None
    try:
        yield stream
        stream.close()
        os.replace(tmp, target)
    except BaseException:
        stream.close()
        tmp.unlink(missing_ok=True)
        raise


def write_jsonl(records: Iterable[dict], stream) -> int:
    """Write records one per line; returns how many were written."""
    n = 0
    for rec in records:
        stream.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    return n
