import dataclasses
import re

import pytest

from boiler.html import decode_html


@pytest.mark.parametrize("charset", ["undefined", "idna", "punycode", "rot13", "base64", "no-such-charset"])
def test_a_declared_charset_that_cannot_decode_falls_back_to_cp1252(charset):
    data = b'<meta charset="' + charset.encode() + b'"><p>caf\xe9</p>'
    assert decode_html(data).endswith("<p>café</p>")


def test_declared_charset_is_used_when_not_utf8():
    assert decode_html('<meta charset="koi8-r"><p>Привет</p>'.encode("koi8-r")).endswith("<p>Привет</p>")


# -- lines and DOM evidence -------------------------------------------------------------------------

from html import escape as html_escape  # noqa: E402

import numpy as np  # noqa: E402

from boiler.errors import InputError  # noqa: E402
from boiler.html import (CONTAINER_LEVELS, DOM_FEATURE_NAMES, HTML_TEXT_DROP, _html_text_lines, html_to_lines,  # noqa: E402
                         parse_html)

PAGE = """<html><head><title>Storm hits coast</title><script>var x = 1;</script></head>
<body>
<nav class="main-menu"><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<article itemprop="articleBody">
<h1>Storm hits coast</h1>
<p>The storm reached the coast on Monday, <a href="/x">officials said</a>, and <!-- ad -->closed the port.</p>
<figure><img src="a.jpg"><figcaption class="caption">Waves at the port. Photo: AP</figcaption></figure>
<p>Fishing boats stayed in harbour.</p>
</article>
<aside class="related-news"><h3>Related</h3><ul>
<li><a href="/1">Flood warning for the north</a></li><li><a href="/2">Rain to continue</a></li>
<li><a href="/3">Port reopens</a></li></ul></aside>
<noscript>Please enable JavaScript</noscript>
<footer id="site-footer">&copy; 2024 The Daily</footer>
</body></html>"""


def _row(page, line):
    i = page.lines.index(line)
    return dict(zip(DOM_FEATURE_NAMES, page.dom[i].tolist())), page.attrs[i], page.paths[i]


def test_lines_are_html_texts_lines_with_noscript_dropped():
    page = parse_html(PAGE)
    ours = [ln for ln in page.lines]
    theirs = _html_text_lines(PAGE)
    assert "Please enable JavaScript" in theirs and "Please enable JavaScript" not in ours
    assert [ln for ln in theirs if ln != "Please enable JavaScript"] == ours
    assert parse_html(PAGE, drop=HTML_TEXT_DROP, drop_hidden=False).lines == theirs
    assert "The storm reached the coast on Monday, officials said, and closed the port." in ours
    assert page.dom.shape == (len(ours), len(DOM_FEATURE_NAMES))


def test_a_comment_between_words_joins_them_as_html_text_does():
    html = "<p>foo<!-- c -->bar <b>x</b><!-- c -->, y</p>"
    assert html_to_lines(html) == _html_text_lines(html) == ["foobar x, y"]


def test_dom_evidence_of_menu_article_caption_and_related_list():
    page = parse_html(PAGE)
    menu, words, path = _row(page, "Home")
    assert menu["in_nav"] == 1 and menu["in_link"] == 1 and menu["in_list"] == 1
    assert menu["link_share"] == 1 and menu["block_link_share"] == 1 and menu["same_siblings"] > 0
    assert words[:2] == ("main", "menu") and path.endswith("nav.main > ul > li > a")
    body, words, _ = _row(page, "The storm reached the coast on Monday, officials said, and closed the port.")
    assert body["in_article"] == 1 and body["in_p"] == 1 and body["in_nav"] == 0
    assert 0.1 < body["link_share"] < 0.4  # "officials said" of the whole sentence
    assert "article" in words and "body" in words
    cap, words, _ = _row(page, "Waves at the port. Photo: AP")
    assert cap["in_figure"] == 1 and words[0] == "caption"
    head, _, _ = _row(page, "Related")
    assert head["heading_level"] == 3 and head["in_aside"] == 1
    rel, words, _ = _row(page, "Flood warning for the north")
    assert rel["in_aside"] == 1 and rel["parent_link_share"] > 0.8 and words[:2] == ("related", "news")
    foot, words, _ = _row(page, "© 2024 The Daily")
    assert foot["in_footer"] == 1 and words == ("site", "footer")
    title, _, _ = _row(page, "Storm hits coast")
    assert title["in_head"] == 1


def test_each_line_knows_its_block_and_the_blocks_around_it_that_hold_more_text():
    page = parse_html("<body><nav><ul><li><a href=/>Home</a></li></ul></nav><div id=app><div class=story><div>"
                      "<p>One two three four.</p></div><ul><li>Five six</li><li>Seven</li></ul></div></div></body>")
    row = {ln: i for i, ln in enumerate(page.lines) if ln}
    para, item, other, home = (row[t] for t in ("One two three four.", "Five six", "Seven", "Home"))
    assert page.blocks.shape == (len(page.lines),) and page.containers.shape == (len(page.lines), CONTAINER_LEVELS, 2)

    def inside(line, k):  # the lines whose block is in the line's k-th enclosing block
        lo, hi = page.containers[line, k]
        return {page.lines[i] for i in range(len(page.lines)) if lo <= page.blocks[i] < hi}

    # the paragraph's wrapper holds no more text than the paragraph: passed over, up to the story
    assert inside(para, 0) == {"One two three four.", "Five six", "Seven"}
    assert inside(item, 0) == inside(other, 0) == {"Five six", "Seven"}
    assert inside(item, 1) == inside(para, 0)  # the story (the #app wrapper holds no more): then the page
    everything = {ln for ln in page.lines if ln}
    assert inside(item, 2) == inside(para, 1) == everything
    # the menu item's list and nav hold no more than the item: its nearest enclosing block is the page
    assert inside(home, 0) == everything and list(page.containers[home, 1]) == [-1, -1]
    blank = [i for i, ln in enumerate(page.lines) if not ln]
    assert (page.blocks[blank] == -1).all() and (page.containers[blank] == -1).all()


def test_blank_lines_have_no_evidence():
    page = parse_html(PAGE)
    blank = [i for i, ln in enumerate(page.lines) if not ln]
    assert blank and not np.any(page.dom[blank])


def test_an_empty_or_textless_page_has_no_lines():
    assert parse_html("").lines == [] and parse_html(b"  \n ").lines == []
    assert parse_html("<html><body><script>x()</script></body></html>").lines == []


def test_bytes_are_decoded_by_their_declared_charset():
    html = '<meta charset="windows-1251"><p>Привет, мир</p>'.encode("cp1251")
    assert parse_html(html).lines == ["Привет, мир"]


def test_binary_sent_as_html_is_an_error_naming_the_page():
    with pytest.raises(InputError, match="junk.html: binary data"):
        parse_html(bytes(range(256)) * 100, source="junk.html")


def test_nesting_beyond_the_parsers_limit_is_an_error_not_lost_text():
    deep = "<div>" * 100_000 + "deep text" + "</div>" * 100_000
    with pytest.raises(InputError, match="deep.html: elements nested too deep"):
        parse_html(deep, source="deep.html")
    assert parse_html("<div>" * 1000 + "deep text" + "</div>" * 1000).lines == ["deep text"]


def test_a_page_over_the_time_limit_is_an_error_naming_it():
    many = "<ul>" + "<li><a href=x>item</a></li>" * 20_000 + "</ul>"
    with pytest.raises(InputError, match="slow.html: page took too long"):
        parse_html(many, source="slow.html", max_seconds=0.0)
    assert len(parse_html(many).lines) == 20_000


def test_broken_markup_still_gives_lines():
    assert parse_html("<p>one<p>two</div></span><li>three").lines == ["one", "", "two", "", "three"]


# -- the compiled walk (boiler/_walk.pyx) against the Python walk, the reference ------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from boiler.html import compiled_walk_available  # noqa: E402

_OPEN = ["p", "div", "span", "a", "li", "ul", "h2", "nav", "article", "aside", "figure", "figcaption", "table",
         "tr", "td", "b", "em", "time", "form", "button", "section", "br", "blockquote", "pre", "o:p"]
_ATTRS = ["", " class='storyBody-text'", " class=related", " class", " id='mainNav' role=navigation",
          " itemprop=articleBody class='x y'", " class='caption'", " CLASS='Share-Bar'", " class='a' class='b'",
          " style='display:none'", " hidden", " style='color: red; VISIBILITY : hidden !important'",
          " style='display:nones'", " style='x' style='display:none'", " HIDDEN=no style=''"]
_piece = st.one_of(
    st.tuples(st.sampled_from(_OPEN), st.sampled_from(_ATTRS)).map(lambda t: f"<{t[0]}{t[1]}>"),
    st.sampled_from(_OPEN).map(lambda t: f"</{t}>"),
    st.sampled_from(["<!-- c -->", "<?pi x?>", "<script>var a = '<p>';</script>", "<style>p {}</style>",
                     "<noscript>no</noscript>", "<![CDATA[cd]]>", "&amp;", "&nbsp;", "&bogus;", " ", "\n", "\t\n "]),
    st.text(alphabet=st.sampled_from("ab (),.:;!?\"') \u00a0é\u2003"), min_size=1, max_size=12),
)
_soup = st.one_of(st.just(""), st.sampled_from(["<body style='display: none'>", "<html hidden>"])).flatmap(
    lambda head: st.lists(_piece, max_size=60).map(lambda pieces: head + "".join(pieces)))


def _same_page(a, b) -> None:
    assert a.lines == b.lines
    assert a.attrs == b.attrs and a.near == b.near and a.paths == b.paths
    for name in ("dom", "blocks", "containers"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name


def test_the_compiled_walk_was_built():
    # setup.py builds it at install; without a C compiler the Python walk stands in (same output)
    assert compiled_walk_available()


@pytest.mark.parametrize("html", [PAGE, "<p>foo<!-- c -->bar <b>x</b><!-- c -->, y</p>",
                                  "<p>one<p>two</div></span><li>three", "", "<html></html>", "<script>x</script>",
                                  "<div>" * 300 + "deep <a>text</a>" + "</div>" * 300,
                                  "<p>pick <select><option>one<option selected>two</select> then<iframe>no frames</iframe> go</p>"])
def test_the_compiled_walk_gives_the_python_walks_page(html):
    _same_page(parse_html(html, compiled=False), parse_html(html))
    _same_page(parse_html(html, compiled=False, drop=HTML_TEXT_DROP), parse_html(html, drop=HTML_TEXT_DROP))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_soup)
def test_the_compiled_walk_gives_the_python_walks_page_on_generated_markup(html):
    page = parse_html(html)
    _same_page(parse_html(html, compiled=False), page)
    _same_page(parse_html(html, compiled=False, drop_hidden=False), parse_html(html, drop_hidden=False))
    without = parse_html(html, paths=False)  # everything but the tag paths, which are left out
    assert without.paths == [""] * len(page.lines)
    _same_page(dataclasses.replace(page, paths=without.paths), without)
    _same_page(parse_html(html, compiled=False, paths=False), without)


_attr_value = st.text(alphabet=st.sampled_from("aAbBzZ-_ 1é\u00c9&;"), max_size=30) | \
    st.sampled_from(["HTMLParser", "storyBody-text", "a" * 70, "X" * 70 + "y", "ABCDef GHi jKLMNo", "Z"])
_element_attrs = st.lists(st.tuples(st.sampled_from(["class", "id", "role", "itemprop", "ID", "title"]), _attr_value),
                          max_size=5)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.lists(_element_attrs, min_size=1, max_size=6))
def test_the_compiled_walk_finds_the_class_words_the_pattern_finds(nested):
    # the compiled walk splits class words itself (boiler._walk._ascii_words), not with the pattern
    def element(attrs):
        return "<div" + "".join(f' {k}="{html_escape(v)}"' for k, v in attrs) + ">"
    page = "".join(element(a) for a in nested) + "some text <p>more</p>" + "</div>" * len(nested)
    _same_page(parse_html(page, compiled=False), parse_html(page))


HIDDEN_PAGE = """<html><body style="display:none">
<p>Kept, as the body is only hidden until a script shows the page.</p>
<div style="display: none">A modal window's text<p>and its button</p></div>tail of the modal, shown
<p hidden>Hidden by the attribute.</p>
<span style="color: red; Visibility:hidden !important">hidden by visibility</span>
<p style="display:nonexistent">An invalid value hides nothing.</p>
<p style="width: 2px;display :none;">Hidden after another declaration.</p>
<p data-style="display:none">Not a style attribute.</p>
</body></html>"""


def test_elements_a_browser_does_not_show_are_dropped_with_their_content_but_not_their_tail():
    page = parse_html(HIDDEN_PAGE)
    text = "\n".join(page.lines)
    for shown in ("Kept, as the body", "tail of the modal, shown", "An invalid value hides nothing.", "Not a style attribute."):
        assert shown in text
    for hidden in ("modal window's text", "and its button", "Hidden by the attribute.", "hidden by visibility",
                   "Hidden after another declaration."):
        assert hidden not in text
    kept = parse_html(HIDDEN_PAGE, drop_hidden=False).lines
    assert "Hidden by the attribute." in kept and "Hidden after another declaration." in kept
    assert html_to_lines(HIDDEN_PAGE) == page.lines
    for drop_hidden in (True, False):
        _same_page(parse_html(HIDDEN_PAGE, compiled=False, drop_hidden=drop_hidden),
                   parse_html(HIDDEN_PAGE, drop_hidden=drop_hidden))


def test_select_lists_iframe_content_and_math_annotations_are_dropped():
    page = parse_html("<p>Sort by <select><option>date<option selected>name</select> or"
                      "<iframe>Your browser does not show frames</iframe> not.</p>"
                      "<p>A matrix <math><semantics><mi>A</mi><annotation encoding='application/x-tex'>"
                      "{\\displaystyle A}</annotation></semantics></math> is square.</p>")
    assert page.lines == ["Sort by or not.", "", "A matrix A is square."]


def test_nul_characters_are_removed_before_parsing():
    assert parse_html("<p>sp\x00lit</p><p>caf\u00e9\x00 \u2003ok</p>").lines == ["split", "", "café ok"]
    assert parse_html(" " * 40 + "\x00\n" + " " * 40).lines == []  # nothing but whitespace and a NUL


def test_the_compiled_walk_calls_the_pattern_when_html_declares_another():
    # _walk_rules passes the pattern; a pattern the compiled splitter does not implement is called instead
    from boiler._walk import walk_page

    from boiler import html as H

    page = "<body><div class='HTMLParser storyBody-text' id='x_y' role=main><p>words here</p></div></body>"
    rules = dict(H._walk_rules())
    rules["attr_word_pattern"] = "[a-z]+"  # not the declared one: the compiled walk must call findall
    rules["attr_word_findall"] = re.compile("[a-z]+").findall
    got = walk_page(H.parse_tree(page), "<memory>", H.MAX_PAGE_SECONDS, H.KILL_TAGS, True, rules)
    assert got[0] == ["words here"]
    assert got[2] == [("arser", "story", "ody", "text", "main")]
    assert parse_html(page).attrs == [("html", "parser", "story", "body", "text", "main")]
