"""HTML pages to lines, with the structural evidence of each line (tag path, links, class words).

The lines are the ones a scraper's text would have: the walk reproduces html-text's
``guess_layout`` conversion (the one that made the shared corpora's text track), so an HTML page
and the scraped text of the same page give the same lines, and the text model and the HTML model
label the same units. While walking it records, for each line, what the DOM knew:

* the tags around the line's main text (the longest piece of text on the line): inside a ``nav``,
  ``header``, ``footer``, ``aside``, ``article``/``main``, a list item, a link, a heading, a figure,
  a table, a form (:data:`DOM_FLAGS`), its depth and its tag path (for people: ``div.story > p``);
* link density: the share of the line's characters inside links, and of its block's and of the
  block's parent's (a list of links is chrome even where one item is long);
* the block (the nearest line-making ancestor): its characters, its text per element (text
  density), and how many siblings share its tag and class (a list of teasers);
* the words of the ``class``, ``id``, ``role`` and ``itemprop`` attributes on the path, for the
  model's learned attribute evidence ("related", "sidebar", "caption", "articleBody"...);
* the blocks that enclose the line's block, each holding more text than the one inside it
  (:data:`CONTAINER_LEVELS` of them: a list item's list with the paragraphs around it, the article),
  so a model can pool what it thinks of the other lines in them (:attr:`HtmlPage.containers`).

The walk is compiled (:mod:`boiler._walk`, Cython over lxml's C API, built at install by
``setup.py``): it reads libxml2's nodes directly and gives the same lines and evidence as
:class:`_Walk`, the Python walk kept here as the reference and the fallback where no compiler was
found (the tests hold the two to the same output).

Script, style, noscript, template, comments and processing instructions are dropped, and so are
elements a browser does not show: with the ``hidden`` attribute, or an inline style of
``display: none`` or ``visibility: hidden`` (:func:`is_hidden`; never ``<html>`` or ``<body>``, which
pages hide until a script has run). A page is
bounded: at most :data:`MAX_HTML_CHARS` characters and :data:`MAX_PAGE_SECONDS` of walking; over
either, a clear :class:`~boiler.errors.InputError` names the page.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .features import Feature
from .formats import split_lines

logger = logging.getLogger(__name__)

__all__ = ["CONTAINER_LEVELS", "DOM_FEATURES", "DOM_FLAGS", "HTML_TEXT_DROP", "HtmlPage", "MAX_HTML_CHARS", "MAX_PAGE_SECONDS", "decode_html",
           "html_to_lines", "parse_html"]

#: Enclosing blocks recorded per line (:attr:`HtmlPage.containers`): the nearest that holds more text
#: than the line's own block, the nearest that holds more than that one, and so on.
CONTAINER_LEVELS = 3

#: Largest page (in characters, after decoding) that is parsed; larger pages are refused with an error.
MAX_HTML_CHARS = 30_000_000
#: Time allowed to walk one page's tree (seconds); a page that takes longer is refused with an error.
MAX_PAGE_SECONDS = 10.0
#: Elements walked between two looks at the clock (a power of two).
_CLOCK_EVERY = 2048
_CLOCK_MASK = _CLOCK_EVERY - 1
#: Attribute words kept per element, and per path.
ATTR_WORDS_PER_ELEMENT = 8
ATTR_WORDS_PER_PATH = 24
#: Components shown in a tag path.
PATH_DEPTH = 5

# As html-text (guess_layout): tags that end a line, and tags that leave a blank line around them.
NEWLINE_TAGS = frozenset(["article", "aside", "br", "dd", "details", "div", "dt", "fieldset", "figcaption",
                          "footer", "form", "header", "hr", "legend", "li", "main", "nav", "table", "tr"])
DOUBLE_NEWLINE_TAGS = frozenset(["blockquote", "dl", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p",
                                 "pre", "title", "ul"])
#: Elements whose content is never text (html-text's cleaner drops these too, except noscript and template;
#: neither drops the last five): a browser shows no text of them, or of a select list only the chosen option
#: (in the corpora, 8 of the 59,217 word 4-grams in dragnet's selects are in its gold text), of an iframe
#: the framed page, not its content, and of MathML the formula, not its annotations (TeX source).
KILL_TAGS = frozenset(["script", "style", "noscript", "template", "link", "meta", "applet", "frame", "frameset",
                       "noframes", "base", "svg", "select", "datalist", "iframe", "annotation", "annotation-xml"])
#: What html-text's cleaner drops (it keeps noscript, template and svg): for lines identical to the corpora's.
HTML_TEXT_DROP = frozenset(["script", "style", "link", "meta", "applet", "frame", "frameset", "noframes", "base"])
_BLOCK_TAGS = NEWLINE_TAGS | DOUBLE_NEWLINE_TAGS | {"td", "th", "section", "body", "html", "head"}
#: An inline style that hides its element (``display: none``, ``visibility: hidden``; any case, ASCII
#: spacing), as a declaration of its own: after the start, a semicolon or a space, and before the end,
#: a semicolon or ``!important``.
HIDDEN_STYLE = re.compile(r"(?:^|[;\s])(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*(?:$|[;!])", re.I | re.A)
#: Elements never dropped as hidden: pages hide the whole document until a script shows it.
NEVER_HIDDEN = frozenset(["html", "body"])

#: Structural flags: a line's main text is inside one of these tags.
DOM_FLAGS: tuple[tuple[str, frozenset[str], str], ...] = (
    ("in_nav", frozenset(["nav"]), "inside a <nav>"),
    ("in_header", frozenset(["header"]), "inside a <header>"),
    ("in_footer", frozenset(["footer"]), "inside a <footer>"),
    ("in_aside", frozenset(["aside"]), "inside an <aside>"),
    ("in_article", frozenset(["article", "main"]), "inside an <article> or <main>"),
    ("in_list", frozenset(["li", "dd", "dt"]), "inside a list item"),
    ("in_link", frozenset(["a"]), "inside a link"),
    ("in_heading", frozenset(["h1", "h2", "h3", "h4", "h5", "h6"]), "inside a heading"),
    ("in_p", frozenset(["p"]), "inside a <p>"),
    ("in_figure", frozenset(["figure", "figcaption"]), "inside a <figure> or caption"),
    ("in_table", frozenset(["table"]), "inside a table"),
    ("in_form", frozenset(["form", "button", "select", "label", "input", "textarea", "option"]), "inside a form"),
    ("in_quote", frozenset(["blockquote", "q"]), "inside a quotation"),
    ("in_pre", frozenset(["pre", "code"]), "inside <pre> or <code>"),
    ("in_head", frozenset(["head", "title"]), "the page's <title>"),
    ("in_time", frozenset(["time"]), "inside a <time>"),
    ("in_emphasis", frozenset(["strong", "b", "em", "i"]), "inside bold or italics"),
)
_FLAG_OF_TAG: dict[str, int] = {}
for _bit, (_name, _tags, _) in enumerate(DOM_FLAGS):
    for _t in _tags:
        _FLAG_OF_TAG[_t] = _FLAG_OF_TAG.get(_t, 0) | (1 << _bit)
_LINK_BIT = 1 << [n for n, _, _ in DOM_FLAGS].index("in_link")
_HEADING_BIT = 1 << [n for n, _, _ in DOM_FLAGS].index("in_heading")
_HEADING_LEVEL = {f"h{k}": k for k in range(1, 7)}

#: The DOM features of a line, in column order of :attr:`HtmlPage.dom`.
DOM_FEATURES: tuple[Feature, ...] = (
    Feature("link_share", "HTML links", "share of the line's characters inside links"),
    Feature("block_link_share", "HTML links", "share of the line's block's characters inside links"),
    Feature("parent_link_share", "HTML links", "share of the characters around the line's block that are inside links"),
    Feature("block_chars", "HTML block", "characters in the line's block (log)"),
    Feature("text_density", "HTML block", "characters per element in the line's block (log)"),
    Feature("same_siblings", "HTML block", "siblings of the line's block with the same tag and class (log)"),
    Feature("dom_depth", "HTML tags", "depth of the line's main text in the tree"),
    Feature("heading_level", "HTML tags", "heading level of the line (1-6; 0: not a heading)"),
    *(Feature(name, "HTML tags", desc) for name, _, desc in DOM_FLAGS),
)
DOM_FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in DOM_FEATURES)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_TRAILING_WS = re.compile(r"\s$").search
_PUNCT_AFTER = re.compile(r'^[,:;.!?")]').search
_OPEN_BRACKET_BEFORE = re.compile(r"\($").search
_ATTR_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


@dataclass(slots=True)
class HtmlPage:
    """An HTML page's lines with their structural evidence.

    ``dom`` has one row per line (:data:`DOM_FEATURES`; zeros for a blank line); ``attrs`` holds the
    attribute words on each line's tag path, nearest element's words first, and ``near`` how many of
    them belong to the nearest element that has any; ``paths`` the tag path of each line's main text
    ("" each for a page parsed without them).
    ``blocks`` holds each line's block (the nearest line-making element around its main text), as a
    number in document order (-1: none, a blank line); ``containers`` the blocks enclosing it, each
    holding more text than the one before (:data:`CONTAINER_LEVELS`, nearest first), each as the range
    ``[start, end)`` of the numbers of the blocks inside it (itself included; -1, -1: none), so the
    lines in an enclosing block are those whose block number falls in its range. None: not recorded
    (a page read before they were).
    """

    lines: list[str]
    dom: np.ndarray
    attrs: list[tuple[str, ...]] = field(default_factory=list)
    near: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    blocks: np.ndarray | None = None
    containers: np.ndarray | None = None


def decode_html(data: bytes, source: str = "<memory>") -> str:
    """Decode HTML bytes: BOM, then strict UTF-8, then the declared charset (if the bytes decode with it),
    then cp1252 (Windows Latin-1, the commonest wrong declaration's truth)."""
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
            return data.decode(m.group(1).decode("ascii"))
        except (LookupError, ValueError):  # unknown, not a text codec, or wrong: the bytes do not decode with it
            pass
    return data.decode("cp1252", errors="replace")


def parse_tree(html: str | bytes, source: str = "<memory>"):
    """The lxml tree of a page (parsed as html-text does: recovering, NULs removed), or None if empty."""
    import lxml.etree

    if isinstance(html, bytes):
        html = decode_html(html, source)
    if len(html) > MAX_HTML_CHARS:
        raise InputError(source, f"page too large to parse ({len(html):,} characters; the limit is {MAX_HTML_CHARS:,})")
    if _looks_binary(html):
        raise InputError(source, "binary data, not HTML (control characters in the first 4,096 characters)")
    # NULs removed from the UTF-8 bytes (the same bytes as from the text: NUL is one byte, in no other
    # character's), where a search for them is fast whatever the text's characters
    data = html.strip().encode("utf-8", errors="replace")
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
    if not data:
        return None
    for huge in (False, True):  # libxml2 stops at 256 levels of nesting, or 2,048 with huge_tree
        # collect_ids=False: no table of id attributes (nothing looks an element up by id; parsing is ~8% faster)
        parser = lxml.etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=huge, collect_ids=False)
        try:
            root = lxml.etree.fromstring(data, parser=parser)
        except (ValueError, TypeError, lxml.etree.LxmlError) as exc:  # lxml refuses some inputs outright
            raise InputError(source, f"cannot parse as HTML ({exc})") from None
        if not any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
            break
    else:
        raise InputError(source, "elements nested too deep to parse (libxml2's limit: 2,048 levels); "
                                 "the text beyond them would be lost")
    return root


#: A page whose first 4,096 characters hold more than this share of control characters is binary.
BINARY_SHARE = 0.1
#: Control characters (not tab, newline, vertical tab, form feed, carriage return) and U+FFFD.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")


def _looks_binary(text: str) -> bool:
    head = text[:4096]
    return bool(head) and len(_CONTROL.findall(head)) > BINARY_SHARE * len(head)


def attr_words(el, cache: dict | None = None) -> tuple[str, ...]:
    """Lower-case words of an element's class, id, role and itemprop (``storyBody-text`` → story, body, text).
    ``cache`` (a dict kept for one page) remembers the words of attribute values already seen."""
    get = el.get
    key = (get("class"), get("id"), get("role"), get("itemprop"))
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    words: list[str] = []
    for v in key:
        if v:
            for w in _ATTR_WORD.findall(v):
                if len(w) > 1:
                    w = w.lower()
                    if w not in words:
                        words.append(w)
    out = tuple(words[:ATTR_WORDS_PER_ELEMENT])
    if cache is not None:
        cache[key] = out
    return out


def is_hidden(el) -> bool:
    """Whether a browser hides an element (not ``<html>`` or ``<body>``, see :data:`NEVER_HIDDEN`): it
    has the ``hidden`` attribute, or its first ``style`` attribute hides it (:data:`HIDDEN_STYLE`)."""
    if el.tag in NEVER_HIDDEN:
        return False
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    return style is not None and HIDDEN_STYLE.search(style) is not None


class _Walk:
    """One pass over a tree in document order, building lines as html-text does (its spacing rules: no
    space before closing punctuation, none after an opening bracket), and recording for each piece of
    text its element, its tags and its block. Everything else about a line is looked up afterwards,
    from its main element only."""

    __slots__ = ("source", "drop", "drop_hidden", "deadline", "max_seconds", "adjacent", "lines", "line_chunks", "chunks", "prev", "blocks",
                 "n_chars", "n_elements")

    NL = 1
    NL2 = 2

    def __init__(self, source: str, max_seconds: float, drop: frozenset[str] = KILL_TAGS, drop_hidden: bool = True):
        self.source = source
        self.drop = drop
        self.drop_hidden = drop_hidden
        self.max_seconds = max_seconds
        self.deadline = time.monotonic() + max_seconds
        self.lines: list[str] = []
        # per line: its text pieces as (element, characters, flags, block, depth)
        self.line_chunks: list[list[tuple]] = [[]]
        self.chunks: list[str] = []  # the current line's text
        self.prev: int | str = self.NL2
        self.adjacent = False  # no element began or ended since the last text (a dropped one's tail joins it)
        # per block element: [element, parent block, characters before, link characters before, elements
        # before, the same three at its end, and the number of blocks at its end]
        self.blocks: list[list] = []
        self.n_chars = [0, 0]  # characters of text so far, and of them inside links
        self.n_elements = 0

    def _end_line(self) -> None:
        self.lines.append("".join(self.chunks))
        self.chunks = []
        self.line_chunks.append([])

    def newlines(self, tag: str) -> None:
        if self.prev == self.NL2:
            return
        if tag in DOUBLE_NEWLINE_TAGS:
            if self.prev != self.NL:
                self._end_line()
            self._end_line()
            self.prev = self.NL2
        elif tag in NEWLINE_TAGS:
            if self.prev != self.NL:
                self._end_line()
            self.prev = self.NL

    def text(self, raw: str, el, ctx: tuple, glue: bool = False) -> None:
        """Add a piece of text (not whitespace alone: :meth:`run` skips that, as it adds nothing)."""
        text = " ".join(raw.split())
        prev = self.prev
        if prev.__class__ is str:
            if glue and self.adjacent:  # joins the text before it (a dropped comment or script between them)
                space = bool(_TRAILING_WS(prev)) or raw[0].isspace()
            else:
                space = bool(_TRAILING_WS(prev)) or (not _PUNCT_AFTER(text) and not _OPEN_BRACKET_BEFORE(prev))
            if space:
                self.chunks.append(" ")
        self.chunks.append(text)
        n = len(text)
        flags = ctx[0]
        self.line_chunks[-1].append((el, n, flags, ctx[1], ctx[3]))
        self.adjacent = True
        self.n_chars[0] += n
        if flags & _LINK_BIT:
            self.n_chars[1] += n
        self.prev = raw

    def run(self, root) -> None:
        """Walk the tree (the hot loop: names bound locally, the layout rules of :meth:`newlines` and
        :meth:`text` inlined for elements; they are the reference for what happens)."""
        import lxml.etree

        # per open element: (flags, block, own block or -1, depth, tag, element); None for a dropped one
        stack: list[tuple | None] = []
        push, pop = stack.append, stack.pop
        root_ctx: tuple = (0, -1, -1, 0, "", root)
        top = root_ctx
        walker = lxml.etree.iterwalk(root, events=("start", "end", "comment", "pi"))
        skip = walker.skip_subtree
        blocks, counts, drop = self.blocks, self.n_chars, self.drop
        hide = self.drop_hidden
        flag_of, block_tags, layout = _FLAG_OF_TAG.get, _BLOCK_TAGS, _LAYOUT_TAGS
        text = self.text
        deadline, clock = self.deadline, time.monotonic
        n_el = 0
        steps = 0
        for event, el in walker:
            steps += 1
            if steps & _CLOCK_MASK == 0 and clock() > deadline:
                raise InputError(self.source, f"page took too long to read (over {self.max_seconds:g} s; "
                                              f"{n_el:,} elements walked)")
            if event == "start":
                tag = el.tag
                if tag.__class__ is not str or tag in drop or (hide and is_hidden(el)):
                    skip()
                    push(None)  # its "end" event still follows
                    continue
                n_el += 1
                self.adjacent = False
                flags = top[0] | flag_of(tag, 0)
                if tag in block_tags:
                    b = len(blocks)
                    blocks.append([el, top[1], counts[0], counts[1], n_el, 0, 0, 0, 0])
                    top = (flags, b, b, top[3] + 1, tag, el)
                else:
                    top = (flags, top[1], -1, top[3] + 1, tag, el)
                push(top)
                if tag in layout:
                    self.newlines(tag)
                t = el.text
                if t and not t.isspace():  # whitespace alone adds nothing (text() would drop it)
                    text(t, el, top)
            elif event == "end":
                ctx = pop()
                if ctx is None:  # a dropped element: its tail joins the text before it
                    if stack:
                        t = el.tail
                        if t and not t.isspace():
                            text(t, top[5], top, True)
                    continue
                tag = ctx[4]
                self.adjacent = False
                if tag in layout:
                    self.newlines(tag)
                if ctx[2] >= 0:
                    blk = blocks[ctx[2]]
                    blk[5], blk[6], blk[7], blk[8] = counts[0], counts[1], n_el, len(blocks)
                if stack:
                    top = stack[-1]
                    t = el.tail
                    if t and not t.isspace():
                        text(t, top[5], top)
                else:
                    top = root_ctx
            elif stack:  # a comment or processing instruction: dropped; its tail joins the text before it
                t = el.tail
                if t and not t.isspace():
                    text(t, top[5], top, True)
        self.n_elements = n_el
        self.lines.append("".join(self.chunks))

    # -- per-line evidence ---------------------------------------------------------------
    def page(self, paths: bool = True) -> HtmlPage:
        # html-text strips the whole text: drop leading and trailing blank lines (keeping chunk records aligned)
        lines, chunks = self.lines, self.line_chunks[:len(self.lines)]
        lo, hi = 0, len(lines)
        while lo < hi and not lines[lo]:
            lo += 1
        while hi > lo and not lines[hi - 1]:
            hi -= 1
        lines, chunks = lines[lo:hi], chunks[lo:hi]
        n = len(lines)
        dom = np.zeros((n, len(DOM_FEATURES)), dtype=np.float32)
        attrs: list[tuple[str, ...]] = [()] * n
        near = [0] * n
        line_paths = [""] * n
        blocks = self.blocks
        words_of: dict = {}
        shapes: dict = {}
        same_of: dict[int, int] = {}
        around_of: dict[int, tuple[int, ...]] = {}
        up_of: dict[int, int] = {}
        around: list[tuple[int, ...]] = []  # per line with text: its block, then each enclosing block's range
        rows: list[int] = []
        cols: list[tuple] = []  # per line with text: the eight numeric columns, then the flags
        for i, pieces in enumerate(chunks):
            if not pieces:
                continue
            main = max(pieces, key=_chunk_chars) if len(pieces) > 1 else pieces[0]
            el, _, flags, b, depth = main
            total = linked = 0
            for c in pieces:
                total += c[1]
                if c[2] & _LINK_BIT:
                    linked += c[1]
            share = linked / total if total else 0.0
            if b >= 0:
                blk = blocks[b]
                chars = blk[5] - blk[2]
                block_share = (blk[6] - blk[3]) / chars if chars else 0.0
                pb = blk[1]
                if pb >= 0:
                    par = blocks[pb]
                    pchars = par[5] - par[2]
                    parent_share = (par[6] - par[3]) / pchars if pchars else 0.0
                else:
                    parent_share = block_share
                density = chars / max(blk[7] - blk[4] + 1, 1)
                same = same_of.get(b)
                if same is None:
                    same = same_of[b] = _same_siblings(blk[0], shapes)
                ar = around_of.get(b)
                if ar is None:
                    ar = around_of[b] = _around(b, blocks, up_of)
            else:
                chars = block_share = parent_share = density = same = 0
                ar = _NOT_AROUND
            around.append(ar)
            rows.append(i)
            cols.append((share, block_share, parent_share, chars, density, same, depth,
                         _heading_level(el) if flags & _HEADING_BIT else 0, flags))
            attrs[i], near[i], path = _path_info(el, words_of)
            if paths:
                line_paths[i] = " > ".join(path)
        if rows:
            v = np.array(cols, dtype=np.float64)
            v[:, 3:6] = np.log1p(v[:, 3:6])
            bits = (v[:, 8].astype(np.int64)[:, None] >> np.arange(len(DOM_FLAGS))) & 1
            dom[rows] = np.hstack([v[:, :8], bits]).astype(np.float32)
        ids = np.full((n, 1 + 2 * CONTAINER_LEVELS), -1, dtype=np.int32)
        if rows:
            ids[rows] = np.array(around, dtype=np.int32)
        return HtmlPage(lines, dom, attrs, near, line_paths, ids[:, 0].copy(), ids[:, 1:].reshape(n, CONTAINER_LEVELS, 2))


_LAYOUT_TAGS = NEWLINE_TAGS | DOUBLE_NEWLINE_TAGS


def _chunk_chars(chunk: tuple) -> int:
    return chunk[1]


def _around(b: int, blocks: list[list], up_of: dict[int, int]) -> tuple[int, ...]:
    """Block ``b``, then the range of block numbers of each of the :data:`CONTAINER_LEVELS` blocks around
    it that hold more text than the one inside them (-1, -1: none): wrappers around one paragraph are
    passed over, up to the list, section or article with other lines in it. ``up_of`` remembers, for
    the page, the block found above each block."""
    out = [b]
    c = b
    for _ in range(CONTAINER_LEVELS):
        up = up_of.get(c)
        if up is None:
            chars = blocks[c][5] - blocks[c][2]
            up = blocks[c][1]
            while up >= 0 and blocks[up][5] - blocks[up][2] <= chars:
                up = blocks[up][1]
            up_of[c] = up
        if up < 0:
            out += [-1, -1] * (CONTAINER_LEVELS - (len(out) - 1) // 2)
            break
        out += [up, blocks[up][8]]
        c = up
    return tuple(out)


_NOT_AROUND = (-1,) * (1 + 2 * CONTAINER_LEVELS)


def _same_siblings(el, cache: dict) -> int:
    """How many other children of ``el``'s parent have its tag and class."""
    parent = el.getparent()
    if parent is None:
        return 0
    shapes = cache.get(parent)
    if shapes is None:
        shapes = cache[parent] = {}
        for c in parent:
            key = (c.tag, c.get("class"))
            shapes[key] = shapes.get(key, 0) + 1
    return shapes.get((el.tag, el.get("class")), 1) - 1


def _heading_level(el) -> int:
    """1-6 when the element or one of its three nearest ancestors is a heading, else 0."""
    for _ in range(4):
        if el is None:
            return 0
        level = _HEADING_LEVEL.get(el.tag) if el.tag.__class__ is str else None
        if level:
            return level
        el = el.getparent()
    return 0


def _path_info(el, cache: dict) -> tuple[tuple[str, ...], int, tuple[str, ...]]:
    """The attribute words on an element's path (nearest first), how many belong to the nearest element
    that has any, and its tag path (last :data:`PATH_DEPTH` elements). Ancestors are cached in ``cache``."""
    hit = cache.get(el)
    if hit is not None:
        return hit
    words = cache.setdefault(_WORDS_KEY, {})
    todo = [el]  # the element and its ancestors not yet in the cache, nearest first
    parent = el.getparent()
    while parent is not None and parent not in cache:
        todo.append(parent)
        parent = parent.getparent()
    out = _NO_PATH if parent is None else cache[parent]
    for e in reversed(todo):
        pwords, pnear, ppath = out
        own = attr_words(e, words) if e.attrib else ()
        tag = e.tag if e.tag.__class__ is str else "?"
        path = (*ppath[1 - PATH_DEPTH:], tag + "." + own[0] if own else tag)
        if own:
            words_ = (*own, *(w for w in pwords if w not in own))[:ATTR_WORDS_PER_PATH] if pwords else own
            out = (words_, len(own), path)
        else:
            out = (pwords, pnear, path)
        cache[e] = out
    return out


_WORDS_KEY = "attribute words"  # the entry of a path cache that caches attribute words
_NO_PATH: tuple[tuple[str, ...], int, tuple[str, ...]] = ((), 0, ())


def parse_html(html: str | bytes, source: str = "<memory>", max_seconds: float = MAX_PAGE_SECONDS,
               drop: frozenset[str] = KILL_TAGS, compiled: bool = True, drop_hidden: bool = True,
               paths: bool = True) -> HtmlPage:
    """An HTML page's lines (as html-text's guess_layout gives them) with each line's DOM evidence.

    ``drop``: the elements dropped with their content; ``drop_hidden``: also those a browser hides
    (:func:`is_hidden`). html-text keeps hidden elements: :data:`HTML_TEXT_DROP` and ``drop_hidden=False``
    give its lines.

    ``compiled``: walk the tree with the compiled walk where it was built (the same output; parsing
    takes about half the time); False walks it in Python (:class:`_Walk`, the reference).

    ``paths``: False leaves each line's tag path out ("" each; the compiled walk then takes about 15%
    less time), for callers that only keep or drop lines: the paths are for people reading a label.

    Raises :class:`~boiler.errors.InputError` naming ``source`` for a page over the size or time limit,
    or one lxml refuses outright; a page with no text gives no lines.
    """
    root = parse_tree(html, source)
    if root is None:
        return HtmlPage([], np.zeros((0, len(DOM_FEATURES)), dtype=np.float32), blocks=np.zeros(0, dtype=np.int32),
                        containers=np.zeros((0, CONTAINER_LEVELS, 2), dtype=np.int32))
    walk = _compiled_walk() if compiled else None
    if walk is not None:
        return HtmlPage(*walk(root, source, max_seconds, drop, drop_hidden, _walk_rules(), paths))
    walk = _Walk(source, max_seconds, drop, drop_hidden)
    walk.run(root)
    return walk.page(paths)


@functools.cache
def _compiled_walk():
    """:func:`boiler._walk.walk_page` (the walk compiled with Cython), or None where it was not built:
    then :class:`_Walk` does the same work in Python."""
    try:
        from ._walk import walk_page
    except (ImportError, ValueError) as exc:  # not built (no C compiler), or an lxml whose C types differ
        logger.info("the compiled walk is not available (%s); walking pages in Python", exc)
        return None
    return walk_page


@functools.cache
def _walk_rules() -> dict:
    """What the compiled walk needs of this module's declarations, so that they stay declared here."""
    return {"flag_of": dict(_FLAG_OF_TAG), "block_tags": _BLOCK_TAGS, "newline_tags": NEWLINE_TAGS,
            "double_newline_tags": DOUBLE_NEWLINE_TAGS, "link_bit": _LINK_BIT, "heading_bit": _HEADING_BIT,
            "heading_levels": dict(_HEADING_LEVEL), "clock_every": _CLOCK_EVERY, "error": InputError,
            "attr_word_findall": _ATTR_WORD.findall, "attr_word_pattern": _ATTR_WORD.pattern,
            "attr_words_per_element": ATTR_WORDS_PER_ELEMENT,
            "attr_words_per_path": ATTR_WORDS_PER_PATH, "path_depth": PATH_DEPTH,
            "container_levels": CONTAINER_LEVELS, "n_flags": len(DOM_FLAGS), "n_features": len(DOM_FEATURES),
            "hidden_style": HIDDEN_STYLE.search, "never_hidden": NEVER_HIDDEN}


def compiled_walk_available() -> bool:
    """Whether pages are walked by the compiled walk (:mod:`boiler._walk`) rather than in Python."""
    return _compiled_walk() is not None


def html_to_lines(html: str | bytes, source: str = "<memory>", drop: frozenset[str] = KILL_TAGS,
                  drop_hidden: bool = True) -> list[str]:
    """The text lines of an HTML page (script, style, noscript, comments, hidden elements... dropped;
    blocks become lines; ``drop`` and ``drop_hidden`` as :func:`parse_html`)."""
    return parse_html(html, source, drop=drop, drop_hidden=drop_hidden).lines


def _html_text_lines(html: str | bytes, source: str = "<memory>") -> list[str]:
    """html-text's own conversion, which made the shared corpora's lines (for comparing with ours)."""
    import html_text

    if isinstance(html, bytes):
        html = decode_html(html, source)
    if not html.strip():
        return []
    return split_lines(html_text.extract_text(html, guess_layout=True))
