# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The walk of :mod:`boiler.html`, compiled: the same lines and the same DOM evidence, read from
libxml2's nodes directly instead of through lxml's Python element objects.

:meth:`boiler.html._Walk.run` and :meth:`boiler.html._Walk.page` are the reference; this module
follows them step for step (their comments explain the rules), and the tests hold the two to the
same output on hand-made and generated pages. Everything the rules depend on (tag sets, flags,
limits, the spacing patterns, the error to raise) is passed in by :mod:`boiler.html`, which stays
the one place they are declared. Loading a page never runs code from it: this reads the parsed
tree's structs, nothing else.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, strcmp, strlen
from lxml.includes cimport tree
from lxml.includes.etreepublic cimport _Element, import_lxml__etree

import time

import numpy as np

import_lxml__etree()

cdef enum:
    PREV_TEXT = 0
    PREV_NL = 1
    PREV_NL2 = 2

# Per tag, what the walk needs to know (bits of a kind): dropped, a block, a line break, a blank line,
# never hidden.
cdef enum:
    K_DROP = 1
    K_BLOCK = 2
    K_NL = 4
    K_NL2 = 8
    K_SHOWN = 16  # never dropped as hidden (boiler.html.NEVER_HIDDEN)


cdef enum:
    TAG_SLOTS = 64


cdef struct Ctx:
    long flags
    int block
    int own
    int depth
    int kind
    int eid  # the element's number (in document order, elements not dropped; -1 above the root)
    tree.xmlNode* el
    bint dropped


cdef struct Chunk:
    tree.xmlNode* el
    int eid
    Py_ssize_t n
    long flags
    int block
    int depth
    int line


cdef struct Block:
    tree.xmlNode* el
    int parent
    Py_ssize_t c0
    Py_ssize_t l0
    Py_ssize_t e0
    Py_ssize_t c1
    Py_ssize_t l1
    Py_ssize_t e1
    int nb_end


cdef inline bint _is_element_like(tree.xmlNode* c) noexcept nogil:
    # lxml's _isElement: what iterwalk and iteration over children visit
    return (c.type == tree.XML_ELEMENT_NODE or c.type == tree.XML_COMMENT_NODE
            or c.type == tree.XML_ENTITY_REF_NODE or c.type == tree.XML_PI_NODE)


cdef inline tree.xmlNode* _next_element_like(tree.xmlNode* c) noexcept nogil:
    while c is not NULL and not _is_element_like(c):
        c = c.next
    return c


cdef inline tree.xmlNode* _text_node_or_skip(tree.xmlNode* c) noexcept nogil:
    while c is not NULL:
        if c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
            return c
        elif c.type == tree.XML_XINCLUDE_START or c.type == tree.XML_XINCLUDE_END:
            c = c.next
        else:
            return NULL
    return NULL


cdef inline str _utf8(const char* s):
    return PyUnicode_DecodeUTF8(s, strlen(s), NULL)


cdef inline bint _ascii_space(const char* s) noexcept nogil:
    """Whether ``s`` holds nothing but ASCII characters that ``str.isspace`` counts (none at all: True)."""
    while s[0] != 0:
        if not (s[0] == 32 or 9 <= s[0] <= 13 or 28 <= s[0] <= 31):
            return False
        s += 1
    return True


cdef object _collect_text(tree.xmlNode* c):
    """lxml's .text (from the first child) or .tail (from the next sibling): the run of text nodes;
    None for a run of whitespace (ASCII; other whitespace is decoded), which has no text to add, as for
    no run at all (:func:`_has_text` is False for both)."""
    cdef tree.xmlNode* start = _text_node_or_skip(c)
    cdef tree.xmlNode* cur = start
    cdef int count = 0
    cdef const char* last = NULL
    cdef bint blank = True
    while cur is not NULL:
        if cur.content is not NULL and (<const char*>cur.content)[0] != 0:
            last = <const char*>cur.content
            if blank and not _ascii_space(last):
                blank = False
        count += 1
        cur = _text_node_or_skip(cur.next)
    if last is NULL or blank:
        return None
    if count == 1:
        return _utf8(last)
    parts = []
    cur = start
    while cur is not NULL:
        if cur.content is not NULL:
            parts.append(_utf8(<const char*>cur.content))
        cur = _text_node_or_skip(cur.next)
    return "".join(parts)


cdef object _tag_of(tree.xmlNode* c):
    """lxml's tag of an element node (namespaced as {uri}name when it has a namespace)."""
    if c.ns is not NULL and c.ns.href is not NULL:
        return "{" + _utf8(<const char*>c.ns.href) + "}" + _utf8(<const char*>c.name)
    return _utf8(<const char*>c.name)


cdef inline tree.xmlNode* _parent_element(tree.xmlNode* c) noexcept nogil:
    cdef tree.xmlNode* p = c.parent
    if p is NULL or not _is_element_like(p):
        return NULL
    return p


cdef class _State:
    """The growing C arrays of one walk (freed with it, also when the walk raises)."""
    cdef Ctx* stack
    cdef int stack_cap
    cdef Chunk* chunks
    cdef Py_ssize_t n_chunks
    cdef Py_ssize_t chunks_cap
    cdef Block* blocks
    cdef int n_blocks
    cdef int blocks_cap
    # Per element walked (not dropped), by its number: its node, its parent's number, its tag.
    cdef tree.xmlNode** el_node
    cdef int* el_parent
    cdef list el_tag
    cdef int n_els
    cdef int els_cap
    cdef char* key  # scratch for an element's attribute values (:func:`_attr_words`)
    cdef Py_ssize_t key_cap

    def __cinit__(self):
        self.stack_cap = 64
        self.stack = <Ctx*>malloc(self.stack_cap * sizeof(Ctx))
        self.chunks_cap = 256
        self.chunks = <Chunk*>malloc(self.chunks_cap * sizeof(Chunk))
        self.blocks_cap = 128
        self.blocks = <Block*>malloc(self.blocks_cap * sizeof(Block))
        self.els_cap = 256
        self.el_node = <tree.xmlNode**>malloc(self.els_cap * sizeof(tree.xmlNode*))
        self.el_parent = <int*>malloc(self.els_cap * sizeof(int))
        self.el_tag = []
        self.key_cap = 256
        self.key = <char*>malloc(self.key_cap)
        if self.stack is NULL or self.chunks is NULL or self.blocks is NULL or self.el_node is NULL \
                or self.el_parent is NULL or self.key is NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.stack)
        free(self.chunks)
        free(self.blocks)
        free(self.el_node)
        free(self.el_parent)
        free(self.key)

    cdef int grow_stack(self) except -1:
        self.stack = <Ctx*>_doubled(self.stack, self.stack_cap * sizeof(Ctx))
        self.stack_cap *= 2
        return 0

    cdef int grow_chunks(self) except -1:
        self.chunks = <Chunk*>_doubled(self.chunks, self.chunks_cap * sizeof(Chunk))
        self.chunks_cap *= 2
        return 0

    cdef int grow_blocks(self) except -1:
        self.blocks = <Block*>_doubled(self.blocks, self.blocks_cap * sizeof(Block))
        self.blocks_cap *= 2
        return 0

    cdef int add_element(self, tree.xmlNode* node, int parent, object tag) except -1:
        """Number an element walked (returned), with its parent's number and its tag."""
        if self.n_els == self.els_cap:
            self.el_node = <tree.xmlNode**>_doubled(self.el_node, self.els_cap * sizeof(tree.xmlNode*))
            self.el_parent = <int*>_doubled(self.el_parent, self.els_cap * sizeof(int))
            self.els_cap *= 2
        self.el_node[self.n_els] = node
        self.el_parent[self.n_els] = parent
        self.el_tag.append(tag)
        self.n_els += 1
        return self.n_els - 1

    cdef Py_ssize_t put_key(self, Py_ssize_t at, const char* s) except -1:
        """Copy ``s`` into the key scratch at ``at``; the new end."""
        cdef Py_ssize_t n = strlen(s)
        while at + n + 1 > self.key_cap:
            self.key = <char*>_doubled(self.key, self.key_cap)
            self.key_cap *= 2
        memcpy(self.key + at, s, n)
        return at + n


cdef void* _doubled(void* p, size_t n_bytes) except NULL:
    """``p`` (of ``n_bytes``) reallocated to twice its size; MemoryError if it cannot be (``p`` stays valid)."""
    cdef void* q = realloc(p, 2 * n_bytes)
    if q is NULL:
        raise MemoryError()
    return q


cdef class _Lines:
    """The lines being built, with html-text's spacing rules (:meth:`boiler.html._Walk.text`)."""
    cdef list lines
    cdef list parts
    cdef object prev
    cdef int prev_kind
    cdef bint adjacent
    cdef int line
    cdef Py_ssize_t n_chars
    cdef Py_ssize_t n_linked

    def __cinit__(self):
        self.lines = []
        self.parts = []
        self.prev = None
        self.prev_kind = PREV_NL2
        self.adjacent = False
        self.line = 0
        self.n_chars = 0
        self.n_linked = 0

    cdef inline void end_line(self):
        self.lines.append("".join(self.parts))
        self.parts = []
        self.line += 1

    cdef inline void newlines(self, int kind):
        if self.prev_kind == PREV_NL2:
            return
        if kind & K_NL2:
            if self.prev_kind != PREV_NL:
                self.end_line()
            self.end_line()
            self.prev_kind = PREV_NL2
        elif kind & K_NL:
            if self.prev_kind != PREV_NL:
                self.end_line()
            self.prev_kind = PREV_NL

    cdef int text(self, _State st, str raw, tree.xmlNode* el, Ctx* ctx, long link_bit, bint glue) except -1:
        cdef str text = " ".join(raw.split())
        cdef bint space
        cdef Chunk* ch
        cdef str prev
        cdef Py_UCS4 last
        if self.prev_kind == PREV_TEXT:
            # html.py's patterns, as character tests: prev (raw text, never whitespace alone) ends in
            # whitespace (``\s$``); text starts with closing punctuation (``^[,:;.!?")]``); prev ends
            # with "(" (``\($``; its other match, "(" before a final newline, is whitespace already)
            prev = <str>self.prev
            last = prev[len(prev) - 1]
            if glue and self.adjacent:
                space = last.isspace() or raw[0].isspace()
            else:
                space = last.isspace() or (text[0] not in ',:;.!?")' and last != '(')
            if space:
                self.parts.append(" ")
        self.parts.append(text)
        if st.n_chunks == st.chunks_cap:
            st.grow_chunks()
        ch = &st.chunks[st.n_chunks]
        st.n_chunks += 1
        ch.el = el
        ch.eid = ctx.eid
        ch.n = len(text)
        ch.flags = ctx.flags
        ch.block = ctx.block
        ch.depth = ctx.depth
        ch.line = self.line
        self.adjacent = True
        self.n_chars += ch.n
        if ctx.flags & link_bit:
            self.n_linked += ch.n
        self.prev = raw
        self.prev_kind = PREV_TEXT
        return 0


cdef inline bint _has_text(object t):
    return t is not None and len(<str>t) > 0 and not (<str>t).isspace()


def walk_page(_Element root, str source, double max_seconds, frozenset drop, bint drop_hidden, dict rules,
              bint paths=True):
    """The walk and the per-line evidence of :class:`boiler.html._Walk` for the tree under ``root``:
    the fields of an :class:`~boiler.html.HtmlPage` (lines, dom, attrs, near, paths, blocks,
    containers), as a tuple. ``rules`` carries :mod:`boiler.html`'s declarations; ``paths``: False
    leaves the tag paths out ("" each)."""
    cdef _State st = _State()
    cdef _Lines out = _Lines()
    cdef dict flag_of = rules["flag_of"]
    cdef frozenset block_tags = rules["block_tags"], nl_tags = rules["newline_tags"], nl2_tags = rules["double_newline_tags"]
    cdef long link_bit = rules["link_bit"]
    cdef int clock_mask = rules["clock_every"] - 1
    cdef double deadline = time.monotonic() + max_seconds
    cdef dict kinds = {}  # tag -> (kind bits, flag bits, tag)
    cdef object hidden_style = rules["hidden_style"]
    cdef frozenset never_hidden = rules["never_hidden"]
    cdef const unsigned char* slot_name[TAG_SLOTS]  # a cache of kinds by name address (no namespace)
    cdef list slot_kv = [None] * TAG_SLOTS
    cdef size_t slot
    cdef Ctx root_ctx
    cdef Ctx* top
    cdef Ctx* c
    cdef int sp = 0  # stack size
    cdef tree.xmlNode* node = root._c_node
    cdef tree.xmlNode* nxt
    cdef tree.xmlNode* rnode = root._c_node
    cdef long steps = 0
    cdef Py_ssize_t n_el = 0
    cdef int kind
    cdef long fl
    cdef int b
    cdef Block* blk
    cdef bint descend
    root_ctx.flags = 0
    root_ctx.block = -1
    root_ctx.own = -1
    root_ctx.depth = 0
    root_ctx.kind = 0
    root_ctx.el = rnode
    root_ctx.eid = -1
    for slot in range(TAG_SLOTS):
        slot_name[slot] = NULL
    root_ctx.dropped = False
    top = &root_ctx
    while True:
        # -- the node's "start" (or its only event, for a comment or processing instruction)
        steps += 1
        if steps & clock_mask == 0 and time.monotonic() > deadline:
            raise rules["error"](source, f"page took too long to read (over {max_seconds:g} s; "
                                         f"{n_el:,} elements walked)")
        descend = False
        if node.type == tree.XML_ELEMENT_NODE or node.type == tree.XML_ENTITY_REF_NODE:
            if node.type == tree.XML_ELEMENT_NODE:
                # the tag's entry, by the address of its name first (libxml2 keeps one copy of each name)
                slot = ((<size_t>node.name >> 3) ^ (<size_t>node.name >> 9)) & (TAG_SLOTS - 1)
                if node.ns is NULL and slot_name[slot] == node.name:
                    kv = slot_kv[slot]
                else:
                    tag = _tag_of(node)
                    kv = kinds.get(tag)
                    if kv is None:
                        kind = (K_DROP if tag in drop else 0) | (K_BLOCK if tag in block_tags else 0) \
                            | (K_NL if tag in nl_tags else 0) | (K_NL2 if tag in nl2_tags else 0) \
                            | (K_SHOWN if tag in never_hidden else 0)
                        kv = kinds[tag] = (kind, flag_of.get(tag, 0), tag)  # one tag object per page
                    if node.ns is NULL:
                        slot_name[slot] = node.name
                        slot_kv[slot] = kv
                kind = kv[0]
                if drop_hidden and not (kind & (K_DROP | K_SHOWN)) and node.properties is not NULL \
                        and _hides(st, node, hidden_style):
                    kind = K_DROP  # as boiler.html.is_hidden: an element a browser does not show
            else:  # not an element for lxml's tag: dropped with its content
                kind = K_DROP
            if sp == st.stack_cap:
                st.grow_stack()
                top = &root_ctx if sp == 0 else &st.stack[sp - 1]
            c = &st.stack[sp]
            sp += 1
            if kind & K_DROP:
                c.dropped = True
                c.el = node
            else:
                n_el += 1
                out.adjacent = False
                fl = top.flags | <long>kv[1]
                c.dropped = False
                c.flags = fl
                c.depth = top.depth + 1
                c.kind = kind
                c.el = node
                c.eid = st.add_element(node, top.eid, kv[2])
                if kind & K_BLOCK:
                    if st.n_blocks == st.blocks_cap:
                        st.grow_blocks()
                    b = st.n_blocks
                    st.n_blocks += 1
                    blk = &st.blocks[b]
                    blk.el = node
                    blk.parent = top.block
                    blk.c0 = out.n_chars
                    blk.l0 = out.n_linked
                    blk.e0 = n_el
                    blk.c1 = blk.l1 = blk.e1 = 0
                    blk.nb_end = 0
                    c.block = b
                    c.own = b
                else:
                    c.block = top.block
                    c.own = -1
                top = c
                if kind & (K_NL | K_NL2):
                    out.newlines(kind)
                t = _collect_text(node.children)
                if _has_text(t):
                    out.text(st, t, node, top, link_bit, False)
                descend = True
        else:  # a comment or processing instruction: dropped; its tail joins the text before it
            if sp > 0:
                t = _collect_text(node.next)
                if _has_text(t):
                    out.text(st, t, top.el, top, link_bit, True)
        if descend:
            nxt = _next_element_like(node.children)
            if nxt is not NULL:
                node = nxt
                continue
        # -- "end" events, up the tree until a next sibling
        while True:
            if node.type == tree.XML_ELEMENT_NODE or node.type == tree.XML_ENTITY_REF_NODE:
                sp -= 1
                c = &st.stack[sp]
                if c.dropped:
                    if sp > 0:
                        t = _collect_text(node.next)
                        if _has_text(t):
                            out.text(st, t, top.el, top, link_bit, True)
                else:
                    out.adjacent = False
                    if c.kind & (K_NL | K_NL2):
                        out.newlines(c.kind)
                    if c.own >= 0:
                        blk = &st.blocks[c.own]
                        blk.c1 = out.n_chars
                        blk.l1 = out.n_linked
                        blk.e1 = n_el
                        blk.nb_end = st.n_blocks
                    if sp > 0:
                        top = &st.stack[sp - 1]
                        t = _collect_text(node.next)
                        if _has_text(t):
                            out.text(st, t, top.el, top, link_bit, False)
                    else:
                        top = &root_ctx
            if node is rnode:
                break
            nxt = _next_element_like(node.next)
            if nxt is not NULL:
                node = nxt
                break
            node = node.parent
        if node is rnode and sp == 0:
            break
    out.lines.append("".join(out.parts))
    return _page(st, out, rules, paths)


cdef int _heading_level(tree.xmlNode* el, dict levels):
    cdef int k
    for k in range(4):
        if el is NULL:
            return 0
        if el.type == tree.XML_ELEMENT_NODE:
            level = levels.get(_tag_of(el))
            if level:
                return level
        el = _parent_element(el)
    return 0


cdef bytes _shape_key(_State st, tree.xmlNode* el):
    """An element's shape, (tag, class) as bytes: its tag as lxml spells it, a NUL, then (if it has a
    class attribute, the first, as ``get``) a 1 and the class's value."""
    cdef Py_ssize_t at = 0
    cdef tree.xmlAttr* a = el.properties
    if el.ns is not NULL and el.ns.href is not NULL:
        at = st.put_key(at, b"{")
        at = st.put_key(at, <const char*>el.ns.href)
        at = st.put_key(at, b"}")
    at = st.put_key(at, <const char*>el.name)
    st.key[at] = 0  # put_key leaves room for one more byte
    at += 1
    while a is not NULL:
        if a.type == tree.XML_ATTRIBUTE_NODE and a.ns is NULL and strcmp(<const char*>a.name, b"class") == 0:
            at = st.put_key(at, b"\x01")
            at = _put_value(st, at, a)
            break
        a = a.next
    return PyBytes_FromStringAndSize(st.key, at)


cdef int _same_siblings(_State st, tree.xmlNode* el, dict cache):
    """How many other element children of ``el``'s parent have its tag and class."""
    cdef tree.xmlNode* parent = _parent_element(el)
    cdef tree.xmlNode* ch
    if parent is NULL:
        return 0
    key = <size_t>parent
    shapes = cache.get(key)
    if shapes is None:
        shapes = cache[key] = {}
        ch = parent.children
        while ch is not NULL:
            if ch.type == tree.XML_ELEMENT_NODE:  # comments and others never share an element's shape
                k = _shape_key(st, ch)
                shapes[k] = shapes.get(k, 0) + 1
            ch = ch.next
    return shapes.get(_shape_key(st, el), 1) - 1


cdef bint _hides(_State st, tree.xmlNode* el, object style_search) except -1:
    """:func:`boiler.html.is_hidden` of an element with attributes (its tag not one never hidden): an
    attribute ``hidden``, or a first ``style`` attribute whose value ``style_search`` finds hiding."""
    cdef tree.xmlAttr* a = el.properties
    cdef Py_ssize_t at
    cdef bint style_seen = False
    while a is not NULL:
        if a.type == tree.XML_ATTRIBUTE_NODE and a.ns is NULL:
            if strcmp(<const char*>a.name, b"hidden") == 0:
                return True
            if not style_seen and strcmp(<const char*>a.name, b"style") == 0:
                style_seen = True
                at = _put_value(st, 0, a)
                if style_search(PyUnicode_DecodeUTF8(st.key, at, NULL)) is not None:
                    return True
        a = a.next
    return False


cdef Py_ssize_t _put_value(_State st, Py_ssize_t at, tree.xmlAttr* a) except -1:
    """An attribute's value into the key scratch at ``at``: the bytes of lxml's ``get`` (its children's
    contents one after another; none for an attribute without a value)."""
    cdef tree.xmlNode* t = a.children
    while t is not NULL:
        if t.content is not NULL:
            at = st.put_key(at, <const char*>t.content)
        t = t.next
    return at


#: The pattern of class words (:data:`boiler.html._ATTR_WORD`) that :func:`_ascii_words` implements.
NATIVE_ATTR_WORD = r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])"


cdef inline bint _lower(char c) noexcept nogil:
    return b'a' <= c <= b'z'


cdef inline bint _upper(char c) noexcept nogil:
    return b'A' <= c <= b'Z'


cdef int _ascii_words(const char* s, Py_ssize_t n, list words, int limit) except -1:
    """The words of :data:`NATIVE_ATTR_WORD` in the UTF-8 bytes ``s`` (its letters are ASCII: any
    other byte parts words), as ``findall`` finds them, those of two letters or more, lower-cased,
    appended to ``words`` unless there already, until it holds ``limit``."""
    cdef Py_ssize_t i = 0, j, k
    cdef char buf[64]
    while i < n and len(words) < limit:
        if _lower(s[i]) or (_upper(s[i]) and i + 1 < n and _lower(s[i + 1])):  # [A-Z]?[a-z]+
            j = i + 1
            while j < n and _lower(s[j]):
                j += 1
        elif _upper(s[i]):  # [A-Z]+(?![a-z]): the run of capitals, less its last if a small letter follows
            j = i + 1
            while j < n and _upper(s[j]):
                j += 1
            if j < n and _lower(s[j]):
                j -= 1
        else:
            i += 1
            continue
        if j - i > 1:
            if j - i <= 64:
                for k in range(j - i):
                    buf[k] = s[i + k] + 32 if _upper(s[i + k]) else s[i + k]
                w = PyUnicode_DecodeUTF8(buf, j - i, NULL)
            else:
                w = PyUnicode_DecodeUTF8(s + i, j - i, NULL).lower()
            if w not in words:
                words.append(w)
        i = j
    return 0


cdef tuple _attr_words(_State st, tree.xmlNode* el, dict cache, dict value_words, object findall, int per_element):
    """:func:`boiler.html.attr_words`: the four attributes read in one pass (the first of each name,
    as ``get``). The words of each combination of values are remembered for the page (``cache``, by
    the values' bytes: an absent attribute and an empty one give the same words), and those of each
    value (``value_words``)."""
    cdef tree.xmlAttr* a = el.properties
    cdef tree.xmlAttr* found[4]
    cdef const char* name
    cdef Py_ssize_t at = 0
    cdef int k
    found[0] = found[1] = found[2] = found[3] = NULL
    while a is not NULL:
        if a.type == tree.XML_ATTRIBUTE_NODE and a.ns is NULL:
            name = <const char*>a.name
            if found[0] is NULL and strcmp(name, b"class") == 0:
                found[0] = a
            elif found[1] is NULL and strcmp(name, b"id") == 0:
                found[1] = a
            elif found[2] is NULL and strcmp(name, b"role") == 0:
                found[2] = a
            elif found[3] is NULL and strcmp(name, b"itemprop") == 0:
                found[3] = a
        a = a.next
    for k in range(4):  # the values, each followed by a NUL (which no value holds)
        if found[k] is not NULL:
            at = _put_value(st, at, found[k])
        st.key[at] = 0
        at += 1
    key = PyBytes_FromStringAndSize(st.key, at)
    hit = cache.get(key)
    if hit is not None:
        return hit
    words = []
    if findall is None:  # the pattern _ascii_words implements: over the values' bytes at once (NUL parts words)
        _ascii_words(st.key, at, words, per_element)
        out = tuple(words)
        cache[key] = out
        return out
    for value in key.split(b"\0")[:4]:  # another pattern: each value decoded from the key
        v = value.decode("utf-8")
        if v:
            got = value_words.get(v)
            if got is None:
                got = value_words[v] = [w.lower() for w in findall(v) if len(w) > 1]
            for w in got:
                if w not in words:
                    words.append(w)
    out = tuple(words[:per_element])
    cache[key] = out
    return out


cdef int _path_info(_State st, int eid, list el_words, int* el_near, list el_path, int* todo, dict words,
                    dict value_words, object findall, int per_element, int per_path, int depth,
                    bint want_path) except -1:
    """The class words, the nearest element's word count and the tag path (its parts; None unless
    ``want_path``) of element ``eid``, into ``el_words``, ``el_near`` and ``el_path``, worked out once
    per element from its parent's (``todo``: scratch for the elements above it not yet worked out)."""
    cdef int k = eid, n = 0, j
    cdef tree.xmlNode* e
    cdef list merged
    while k >= 0 and el_words[k] is None:
        todo[n] = k
        n += 1
        k = st.el_parent[k]
    if k < 0:
        pwords, pnear, ppath = (), 0, ()
    else:
        pwords, pnear, ppath = el_words[k], el_near[k], el_path[k]
    for j in range(n - 1, -1, -1):
        k = todo[j]
        e = st.el_node[k]
        own = _attr_words(st, e, words, value_words, findall, per_element) if e.properties is not NULL else ()
        if want_path:
            tag = st.el_tag[k]
            path = (*ppath[1 - depth:], tag + "." + own[0] if own else tag)
        else:
            path = None
        if own:
            if pwords:  # own words first, then the path's others: (*own, *others)[:per_path]
                merged = list(own)
                for w in pwords:
                    if len(merged) >= per_path:
                        break
                    if w not in own:
                        merged.append(w)
                pwords = tuple(merged)
            else:
                pwords = own
            pnear = len(own)
        el_words[k] = pwords
        el_near[k] = pnear
        el_path[k] = ppath = path
    return 0


cdef void _around(int b, Block* blocks, int* up_of, int levels, int* out) noexcept:
    """:func:`boiler.html._around` into ``out`` (1 + 2 * levels ints)."""
    cdef int c = b, up, k = 1
    cdef Py_ssize_t chars
    out[0] = b
    for _ in range(levels):
        up = up_of[c]
        if up == -2:
            chars = blocks[c].c1 - blocks[c].c0
            up = blocks[c].parent
            while up >= 0 and blocks[up].c1 - blocks[up].c0 <= chars:
                up = blocks[up].parent
            up_of[c] = up
        if up < 0:
            break
        out[k] = up
        out[k + 1] = blocks[up].nb_end
        k += 2
        c = up
    while k < 1 + 2 * levels:
        out[k] = -1
        k += 1


cdef tuple _page(_State st, _Lines out, dict rules, bint want_paths):
    cdef list lines = out.lines
    cdef Py_ssize_t lo = 0, hi = len(lines), n, i, k, j, first, last, r = 0
    cdef int levels = rules["container_levels"], n_flags = rules["n_flags"], n_features = rules["n_features"]
    cdef int width = 1 + 2 * levels
    cdef long heading_bit = rules["heading_bit"], link_bit = rules["link_bit"]
    cdef Chunk* chunks = st.chunks
    cdef Chunk* main
    cdef Block* blocks = st.blocks
    cdef Block* blk
    cdef Block* par
    cdef Py_ssize_t total, linked, chars, pchars
    cdef double share, block_share, parent_share, density
    cdef int b, pb, same, e
    cdef int* up_of = NULL
    cdef int* same_of = NULL
    cdef int* around_of = NULL  # per block: its row of ids, computed once (-3 in the first: not yet)
    cdef int* el_near = NULL
    cdef int* todo = NULL
    cdef int per_element = rules["attr_words_per_element"], per_path = rules["attr_words_per_path"]
    cdef int path_depth = rules["path_depth"]
    while lo < hi and not lines[lo]:
        lo += 1
    while hi > lo and not lines[hi - 1]:
        hi -= 1
    lines = lines[lo:hi]
    n = hi - lo
    dom = np.zeros((n, n_features), dtype=np.float32)
    attrs = [()] * n
    near = [0] * n
    paths = [""] * n
    words_of = {}
    value_words = {}
    shapes = {}
    el_words = [None] * st.n_els  # per element: its path's class words (None: not worked out yet)
    el_path = [None] * st.n_els  # its tag path's parts
    el_joined = [None] * st.n_els  # its tag path as shown
    levels_of = rules["heading_levels"]
    # None: class words by _ascii_words, which implements the declared pattern
    findall = None if rules["attr_word_pattern"] == NATIVE_ATTR_WORD else rules["attr_word_findall"]
    ids_arr = np.full((n, width), -1, dtype=np.int32)
    cols_arr = np.zeros((n, 9), dtype=np.float64)
    rows_arr = np.zeros(n, dtype=np.intp)
    cdef int[:, ::1] ids = ids_arr
    cdef double[:, ::1] cols = cols_arr
    cdef Py_ssize_t[::1] rows = rows_arr
    up_of = <int*>malloc((st.n_blocks + 1) * sizeof(int))
    same_of = <int*>malloc((st.n_blocks + 1) * sizeof(int))
    around_of = <int*>malloc((st.n_blocks + 1) * width * sizeof(int))
    el_near = <int*>malloc((st.n_els + 1) * sizeof(int))
    todo = <int*>malloc((st.n_els + 1) * sizeof(int))
    if up_of is NULL or same_of is NULL or around_of is NULL or el_near is NULL or todo is NULL:
        free(up_of)
        free(same_of)
        free(around_of)
        free(el_near)
        free(todo)
        raise MemoryError()
    try:
        for k in range(st.n_blocks):
            up_of[k] = -2
            same_of[k] = -1
            around_of[k * width] = -3
        j = 0
        while j < st.n_chunks and chunks[j].line < lo:
            j += 1
        while j < st.n_chunks and chunks[j].line < hi:
            first = j
            i = chunks[j].line
            while j < st.n_chunks and chunks[j].line == i:
                j += 1
            last = j
            main = &chunks[first]
            total = linked = 0
            for k in range(first, last):
                if chunks[k].n > main.n:
                    main = &chunks[k]
                total += chunks[k].n
                if chunks[k].flags & link_bit:
                    linked += chunks[k].n
            share = linked / <double>total if total else 0.0
            b = main.block
            cols[r, 0] = share
            if b >= 0:
                blk = &blocks[b]
                chars = blk.c1 - blk.c0
                block_share = (blk.l1 - blk.l0) / <double>chars if chars else 0.0
                pb = blk.parent
                if pb >= 0:
                    par = &blocks[pb]
                    pchars = par.c1 - par.c0
                    parent_share = (par.l1 - par.l0) / <double>pchars if pchars else 0.0
                else:
                    parent_share = block_share
                density = chars / <double>max(blk.e1 - blk.e0 + 1, 1)
                same = same_of[b]
                if same < 0:
                    same = same_of[b] = _same_siblings(st, blk.el, shapes)
                if around_of[b * width] == -3:
                    _around(b, blocks, up_of, levels, &around_of[b * width])
                for k in range(width):
                    ids[i - lo, k] = around_of[b * width + k]
                cols[r, 1] = block_share
                cols[r, 2] = parent_share
                cols[r, 3] = chars
                cols[r, 4] = density
                cols[r, 5] = same
            cols[r, 6] = main.depth
            cols[r, 7] = _heading_level(main.el, levels_of) if main.flags & heading_bit else 0
            cols[r, 8] = main.flags
            rows[r] = i - lo
            r += 1
            e = main.eid
            if e >= 0:
                if el_joined[e] is None:
                    if el_words[e] is None:
                        _path_info(st, e, el_words, el_near, el_path, todo, words_of, value_words, findall,
                                   per_element, per_path, path_depth, want_paths)
                    el_joined[e] = " > ".join(el_path[e]) if want_paths else ""
                attrs[i - lo] = el_words[e]
                near[i - lo] = el_near[e]
                paths[i - lo] = el_joined[e]
    finally:
        free(up_of)
        free(same_of)
        free(around_of)
        free(el_near)
        free(todo)
    if r:
        v = cols_arr[:r]
        v[:, 3:6] = np.log1p(v[:, 3:6])
        bits = (v[:, 8].astype(np.int64)[:, None] >> np.arange(n_flags)) & 1
        dom[rows_arr[:r]] = np.hstack([v[:, :8], bits]).astype(np.float32)
    return lines, dom, attrs, near, paths, ids_arr[:, 0].copy(), ids_arr[:, 1:].reshape(n, levels, 2)
