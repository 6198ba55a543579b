"""HTML pages to lines, the way the shared corpora's text track was made (html-text, guess_layout).

Using the same converter means an HTML page and the scraped text of the same page give the same
lines, so one model serves both.
"""

from __future__ import annotations

import re

from .errors import InputError
from .formats import split_lines

__all__ = ["html_to_lines", "decode_html"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode_html(data: bytes, source: str = "<memory>") -> str:
    """Decode HTML bytes: BOM, then strict UTF-8, then the declared charset, then cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET.search(data[:4096])
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"), errors="replace")
        except (LookupError, ValueError):  # unknown, not a text codec, or failing anyway ("undefined")
            pass
    return data.decode("cp1252", errors="replace")


def html_to_lines(html: str | bytes, source: str = "<memory>") -> list[str]:
    """The text lines of an HTML page (script, style and comments dropped; blocks become lines)."""
    import html_text

    if isinstance(html, bytes):
        html = decode_html(html, source)
    if not html.strip():
        return []
    try:
        text = html_text.extract_text(html, guess_layout=True)
    except (ValueError, TypeError) as exc:  # lxml refuses some inputs outright
        raise InputError(source, f"cannot parse as HTML ({exc})") from None
    return split_lines(text)
