import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boiler import features as F
from boiler.model import (
    EVIDENCE_FEATURES,
    PAGE_BALANCE,
    PAGE_BALANCE_FLOOR,
    LineClassifier,
    WordEvidence,
    stage1_feature_names,
    stage2_feature_names,
    stage2_matrix,
)
from boiler.templates import MIN_TEMPLATE_COVER, MIN_TEMPLATE_FIT, MIN_TEMPLATE_MATCH, TEMPLATE_FEATURES
from boiler.training import fit_model


def test_word_evidence_keeps_tokens_seen_on_enough_sites():
    toks = [["L:all news"]] * 6 + [["L:private menu"]] * 6 + [["L:body words"]] * 6
    y = np.array([0] * 6 + [0] * 6 + [1] * 6)
    groups = ["s1", "s2", "s3", "s1", "s2", "s3"] + ["only"] * 6 + ["s1", "s2", "s3"] * 2
    we = WordEvidence(min_count=3, min_sites=3).fit(toks, y, groups)
    assert set(we.tokens_.tolist()) == {"L:all news", "L:body words"}
    ev = we.transform([["f:x", "l:y", "L:all news"], ["f:x", "l:y", "L:body words"], []])
    assert ev.shape == (3, len(EVIDENCE_FEATURES))
    assert ev[0, 5] < 0 < ev[1, 5] and not ev[2].any()


@pytest.mark.parametrize("templates", [False, True])
@pytest.mark.parametrize("page_best", [False, True])
@pytest.mark.parametrize("dated", [False, True])
def test_stage_matrices_match_declared_names(templates, page_best, dated):
    b = F.extract([["Home", "A sentence of the article that ends here.", "Share"]])
    tpl = np.zeros((b.n_rows, len(TEMPLATE_FEATURES)), dtype=np.float32) if templates else None
    X1 = LineClassifier.stage1_matrix(b, np.zeros((b.n_rows, len(EVIDENCE_FEATURES)), dtype=np.float32), tpl)
    assert X1.shape[1] == len(stage1_feature_names(templates))
    p = np.full(b.n_rows, 0.5, dtype=np.float32)
    X2 = stage2_matrix(b, p, tpl, page_best, dated)
    names = [f.name for f in stage2_feature_names(templates, page_best=page_best, dated=dated)]
    assert X2.shape[1] == len(names)
    if page_best:  # the page's best (written by the compiled loop at a fixed place) where its name says
        assert X2[1, names.index("p_page_best")] == 0.5
    if dated:
        assert (X2[:, names.index("dated_before")] == 0).all()


def test_dated_columns_count_the_dated_lines_around_each_line_within_its_own_page():
    from boiler.model import DATED_WINDOW, dated_columns

    thread = ["A post about the river that ends here with a full stop."]
    for k in range(3):  # a comment thread: each comment under a name and a date
        thread += [f"Reader {k} on 8 February 2012 at 1:2{k} pm", "I liked this post a lot and would read more of it."]
    filler = ["A plain line"] * (DATED_WINDOW + 1)
    b = F.extract([thread, ["Posted 3 March 2013", *filler, "Updated 4 March 2013"]])
    cols = np.expm1(dated_columns(b))
    np.testing.assert_allclose(cols[:7], [[0, 3], [0, 2], [1, 2], [1, 1], [2, 1], [2, 0], [3, 0]], atol=1e-5)
    other = cols[7:]  # the next page counts its own lines only, and only within the window
    assert other[0, 0] == 0 and other[0, 1] == 0  # its first line's date lies beyond DATED_WINDOW lines
    assert other[1, 0] == 1 and other[-1, 0] == 0 and other[-2, 1] == 1


def test_a_model_without_template_features_ignores_templates(own_pages):
    from boiler.training import site_templates

    pages = own_pages.pages[:12]
    m = fit_model(pages, n_folds=2, stage1_iter=5, stage2_iter=5, templates=False)
    assert not m.uses_templates and m.n_features_in_ == len(stage1_feature_names(False))
    lines = [p.lines for p in pages]
    np.testing.assert_array_equal(np.concatenate(m.predict_proba_pages(lines)),
                                  np.concatenate(m.predict_proba_pages(lines, site_templates(pages))))


def test_template_features_change_scores_only_where_a_template_is_given(own_pages, monkeypatch):
    from boiler.training import site_templates

    pages = [p for p in own_pages.pages if p.site and p.site.startswith(("dawnlike", "asialike"))]
    m = fit_model(pages, n_folds=2, stage1_iter=10, stage2_iter=5)
    assert m.uses_templates and m.n_features_in_ == len(stage1_feature_names(True))
    lines = [p.lines for p in pages]
    tpls = site_templates(pages)
    alone = m.predict_proba_pages(lines)
    with_tpl = m.predict_proba_pages(lines, tpls)
    mixed = m.predict_proba_pages(lines, [None] + tpls[1:])
    np.testing.assert_array_equal(mixed[0], alone[0])  # a page without a template scores as alone
    np.testing.assert_array_equal(mixed[1], with_tpl[1])
    tpl_cols = slice(len(F.FEATURES) + len(EVIDENCE_FEATURES), len(F.FEATURES) + len(EVIDENCE_FEATURES) + len(TEMPLATE_FEATURES))
    assert not m.score_pages(lines).X1[:, tpl_cols].any()
    assert m.score_pages(lines, tpls).X1[:, tpl_cols].any()
    # the template gate: a share of known lines no page reaches keeps every template out; none lets all in
    assert not m.score_pages(lines, tpls, min_fit=1.01).X1[:, tpl_cols].any()
    assert not m.score_pages(lines, tpls, min_match=1e9).X1[:, tpl_cols].any()
    assert m.predict_pages(lines, tpls, min_fit=1.01) == m.predict_pages(lines)
    assert m.score_pages(lines, tpls, min_fit=0.0, min_match=0.0).X1[:, tpl_cols].any()
    np.testing.assert_array_equal(m.score_pages(lines, tpls).p2, m.score_pages(
        lines, tpls, min_fit=MIN_TEMPLATE_FIT, min_match=MIN_TEMPLATE_MATCH, min_cover=MIN_TEMPLATE_COVER).p2)
    monkeypatch.setattr("boiler.templates.SURE_TEMPLATE_FIT", 1.01)  # the core's share alone decides
    assert not m.score_pages(lines, tpls, min_fit=0.0, min_match=0.0, min_cover=1.01).X1[:, tpl_cols].any()
    assert m.score_pages(lines, tpls, min_fit=0.0, min_match=0.0, min_cover=0.0).X1[:, tpl_cols].any()


def test_fit_follows_sklearn_conventions_and_is_deterministic(own_pages):
    params = dict(n_folds=2, stage1_iter=10, stage2_iter=5)
    m = LineClassifier(**params)
    assert m.get_params()["stage1_iter"] == 10 and not hasattr(m, "stage1_")
    a = fit_model(own_pages.pages, **params)
    b = fit_model(own_pages.pages, **params)
    pages = [p.lines for p in own_pages.pages[:5]]
    for pa, pb in zip(a.predict_proba_pages(pages), b.predict_proba_pages(pages)):
        np.testing.assert_array_equal(pa, pb)


def test_small_model_learns_our_pages(small_model, own_pages):
    # trained on them: a sanity check that the two stages fit, not a quality claim
    right = total = 0
    for page, probs in zip(own_pages.pages, small_model.predict_proba_pages([p.lines for p in own_pages.pages])):
        for lab, p in zip(page.labels, probs):
            if lab != " ":
                right += (p >= 0.5) == (lab == "+")
                total += 1
    assert right / total > 0.9


def test_blank_lines_get_nan_and_empty_pages_work(small_model):
    probs = small_model.predict_proba_pages([["", "A line of text that ends.", "   "], []])
    assert np.isnan(probs[0][0]) and not np.isnan(probs[0][1]) and np.isnan(probs[0][2])
    assert len(probs[1]) == 0


def test_a_page_scores_the_same_whatever_batch_it_is_in(small_model, own_pages):
    """Running sums restart at each page: no precision lost to the pages before it in the batch."""
    pages = [p.lines for p in own_pages.pages[:6]]
    huge = ["A line of filler text, with some words, as in a long forum thread."] * 300_000  # 20 M characters
    alone = [small_model.predict_proba_pages([p])[0] for p in pages]
    batched = small_model.predict_proba_pages([huge] + pages)[1:]
    for a, b in zip(alone, batched):
        np.testing.assert_array_equal(a, b)


def test_an_html_model_has_the_dom_columns_in_both_stages(small_html_model, own_html_pages):
    from boiler.html import parse_html
    from boiler.model import stage1_feature_names, stage2_feature_names

    m = small_html_model
    assert m.uses_dom and m.n_features_in_ == len(stage1_feature_names(m.uses_templates, dom=True))
    assert m.uses_dom_context
    assert m.uses_main_block_columns
    assert m.uses_dated_context  # as a text model (recipe html-11)
    assert m.anchor_confirm == 0  # unlike a text model (HTML_ANCHOR_CONFIRM)
    assert m.stage2_.n_features_in_ == len(stage2_feature_names(m.uses_templates, dom=True, page_best=m.uses_page_best,
                                                                dom_context=True, main_block=True, dated=True))
    hp = parse_html(next(p.html for p in own_html_pages if '<li><a href="/s' in p.html))
    s = m.score_pages([hp.lines], html=[hp])
    names = [f.name for f in stage1_feature_names(m.uses_templates, dom=True)]
    assert s.X1[:, names.index("in_nav")].any() and s.X1[:, names.index("link_share")].any()
    with pytest.raises(ValueError, match="HTML model"):
        m.score_pages([hp.lines])


def test_stage2_pools_stage1_over_the_blocks_around_a_line():
    from boiler import features as F
    from boiler.html import parse_html
    from boiler.model import CONTAINER_FEATURES, container_columns, container_rows

    hp = parse_html("<body><nav><ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></nav>"
                    "<div class=story><p>One two three four.</p><ul><li>Five six</li><li>Seven</li></ul></div></body>")
    batch = F.extract([hp.lines])
    assert batch.texts == ["Home", "News", "One two three four.", "Five six", "Seven"]
    p1 = np.array([0.1, 0.3, 0.9, 0.2, 0.5])
    cols = container_columns(batch, p1, container_rows(batch, [hp]))
    assert cols.shape == (5, len(CONTAINER_FEATURES))
    words = np.array([1, 1, 4, 2, 1])
    # the menu's list: its two items; the story's list: its two items; the story: all three lines of it
    np.testing.assert_allclose(cols[:2, 0], (0.1 + 0.3) / 2)  # the menu's list
    np.testing.assert_allclose(cols[3:, 0], (0.2 * 2 + 0.5) / 3)  # the story's list
    np.testing.assert_allclose(cols[3:, 1], 3 / words.sum())
    story = (0.9 * 4 + 0.2 * 2 + 0.5) / 7
    np.testing.assert_allclose(cols[3:, 2], story, rtol=1e-6)  # the story, around the list
    np.testing.assert_allclose(cols[2, [0, 1]], [story, 7 / 9], rtol=1e-6)  # the story, around the paragraph
    np.testing.assert_allclose(cols[:2, 2], (0.1 + 0.3 + 3.6 + 0.4 + 0.5) / 9, rtol=1e-6)  # the page, around the menu
    np.testing.assert_allclose(cols[3:, 4], (0.1 + 0.3 + 3.6 + 0.4 + 0.5) / 9, rtol=1e-6)  # and around the story
    assert (cols[:3, 4:] == [-1, 0]).all()  # the menu and the paragraph have two enclosing blocks, not three
    # a page read without its blocks: none (-1), no share
    old = parse_html("<p>One two three four.</p>")
    old.blocks = old.containers = None
    b2 = F.extract([old.lines])
    cols = container_columns(b2, np.array([0.9]), container_rows(b2, [old]))
    assert (cols[:, 0::2] == -1).all() and (cols[:, 1::2] == 0).all()
    # the same page after another in a batch: the same columns
    b3 = F.extract([old.lines, hp.lines])
    both = container_columns(b3, np.concatenate([[0.9], p1]), container_rows(b3, [old, hp]))
    np.testing.assert_allclose(both[1:], container_columns(batch, p1, container_rows(batch, [hp])))


def test_the_main_block_is_the_enclosing_block_whose_lines_are_most_body_like():
    from boiler.html import parse_html
    from boiler.model import container_rows, main_block_rows

    hp = parse_html("<body><nav><ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></nav>"
                    "<div class=story><p>One two three four.</p><ul><li>Five six</li><li>Seven</li></ul></div>"
                    "<footer><p>Eight nine ten eleven twelve thirteen.</p></footer></body>")
    batch = F.extract([hp.lines])
    assert batch.texts == ["Home", "News", "One two three four.", "Five six", "Seven",
                           "Eight nine ten eleven twelve thirteen."]
    blocks = container_rows(batch, [hp])
    # the story's words lean body (4 x 0.4 - 2 x 0.2 - 0.1 = 1.1), the page's less (1.1 - 0.8 - 0.6)
    p = np.array([0.1, 0.1, 0.9, 0.3, 0.4, 0.4])
    assert main_block_rows(batch, p, blocks, 0.5).tolist() == [False, False, True, True, True, False]
    # the footer's long line outweighs the story: the page's <body>, around both, wins
    p = np.array([0.1, 0.1, 0.9, 0.3, 0.4, 0.9])
    assert main_block_rows(batch, p, blocks, 0.5).tolist() == [True] * 6
    # nothing comes out ahead: no main block
    assert not main_block_rows(batch, np.full(6, 0.2), blocks, 0.5).any()
    # after another page in a batch: the same rows, and the other page's own main block
    other = parse_html("<div><p>Alpha beta gamma.</p><p>Delta.</p></div><div><p>Epsilon zeta.</p></div>")
    both = F.extract([other.lines, hp.lines])
    p_other = np.array([0.9, 0.6, 0.1])
    got = main_block_rows(both, np.concatenate([p_other, p]), container_rows(both, [other, hp]), 0.5)
    assert got[3:].tolist() == [True] * 6
    assert got[:3].tolist() == [True, True, False]


def test_block_columns_of_a_page_are_the_same_numbers_alone_and_after_a_large_batch():
    """The sums over blocks restart at each page: a running sum over a whole batch (in float32 it was,
    when training on the corpora) gave a page different columns, and a different label, in a batch."""
    from boiler.html import parse_html
    from boiler.model import container_columns, container_rows, main_block_rows

    hp = parse_html("<body><nav><ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></nav>"
                    "<div class=story><p>One two three four.</p><ul><li>Five six</li><li>Seven</li></ul></div></body>")
    big = parse_html("<div>" + "".join(f"<p>Line {i} of a long page with a dozen words in each of them.</p>"
                                       for i in range(300)) + "</div>")
    rng = np.random.default_rng(0)
    pages = [big] * 200 + [hp]
    batch = F.extract([h.lines for h in pages])
    p1 = rng.random(batch.n_rows).astype(np.float32)
    alone = F.extract([hp.lines])
    mine = np.flatnonzero(batch.page_index == len(pages) - 1)
    np.testing.assert_array_equal(container_columns(batch, p1, container_rows(batch, pages))[mine],
                                  container_columns(alone, p1[mine], container_rows(alone, [hp])))
    np.testing.assert_array_equal(main_block_rows(batch, p1, container_rows(batch, pages), 0.5)[mine],
                                  main_block_rows(alone, p1[mine], container_rows(alone, [hp]), 0.5))


_TAGS = st.sampled_from(["div", "p", "ul", "li", "section", "span", "article"])


@st.composite
def _html_tree(draw, depth=0):
    """A small random HTML fragment: nested blocks with words in them."""
    if depth >= 3 or draw(st.booleans()):
        return " ".join(draw(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta"]), min_size=1, max_size=4)))
    tag = draw(_TAGS)
    inner = "".join(draw(st.lists(_html_tree(depth + 1), min_size=1, max_size=3)))
    return f"<{tag}>{inner}</{tag}>"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_html_tree(), min_size=1, max_size=4), min_size=1, max_size=3), st.data())
def test_main_block_rows_match_their_plain_form(pages, data):
    """The vectorised main block, as a loop over each page's enclosing blocks gives it."""
    from boiler.html import parse_html
    from boiler.model import container_rows, main_block_rows

    hps = [parse_html("<body>" + "".join(p) + "</body>") for p in pages]
    batch = F.extract([h.lines for h in hps])
    p = np.array(data.draw(st.lists(st.sampled_from([0.1, 0.3, 0.5, 0.6, 0.9]), min_size=batch.n_rows,
                                    max_size=batch.n_rows)), dtype=np.float32)
    own, ranges = container_rows(batch, hps)
    words = np.array([len(t.split()) for t in batch.texts], dtype=float)
    want = np.zeros(batch.n_rows, dtype=bool)
    for page in range(len(hps)):
        rows = np.flatnonzero(batch.page_index == page)
        best, where = 0.0, None
        for lo, hi in sorted({tuple(r) for k in rows for r in ranges[k].tolist() if r[0] >= 0}):
            v = sum(words[k] * (float(p[k]) - 0.5) for k in rows if lo <= own[k] < hi)
            if v > best + 1e-9:
                best, where = v, (lo, hi)
        if where is not None:
            want[rows] = (own[rows] >= where[0]) & (own[rows] < where[1])
    assert main_block_rows(batch, p, (own, ranges), 0.5).tolist() == want.tolist()


def test_stage2_sees_whether_a_line_is_in_the_main_block_and_its_share():
    from boiler.html import parse_html
    from boiler.model import MAIN_BLOCK_FEATURES, container_rows, main_block_columns

    hp = parse_html("<body><nav><ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></nav>"
                    "<div class=story><p>One two three four.</p><ul><li>Five six</li><li>Seven</li></ul></div></body>")
    batch = F.extract([hp.lines])
    p1 = np.array([0.1, 0.1, 0.9, 0.3, 0.4])
    cols = main_block_columns(batch, p1, container_rows(batch, [hp]), 0.5)
    assert cols.shape == (5, len(MAIN_BLOCK_FEATURES))
    assert cols[:, 0].tolist() == [0, 0, 1, 1, 1]  # the story
    np.testing.assert_allclose(cols[:, 1], 7 / 9)  # its words of the page's, on every line of the page
    # a page with no block ahead: none, no share
    cols = main_block_columns(batch, np.full(5, 0.1), container_rows(batch, [hp]), 0.5)
    assert (cols == 0).all()


def test_the_main_block_lifts_unsure_lines_but_not_captions():
    from boiler.html import parse_html
    from boiler.model import (
        MAIN_BLOCK_FLOOR,
        Scores,
        container_rows,
        main_block_may_lift,
        main_block_rows,
    )

    hp = parse_html("<body><nav><ul><li><a href=/>Home page</a></li></ul></nav><article>"
                    "<p>One two three four five six.</p><ul><li>Seven eight</li></ul>"
                    "<figure><figcaption>Nine ten</figcaption></figure><p>Eleven twelve thirteen.</p>"
                    "<ul><li><a href=/r>Related story</a></li></ul></article></body>")
    batch = F.extract([hp.lines])
    assert batch.texts == ["Home page", "One two three four five six.", "Seven eight", "Nine ten",
                           "Eleven twelve thirteen.", "Related story"]
    model = LineClassifier(dom=True)
    p2 = np.array([0.35, 0.9, 0.35, 0.35, 0.8, 0.35], dtype=np.float32)
    blocks = container_rows(batch, [hp])
    dom = np.vstack([hp.dom[i] for i in batch.line_index])
    assert main_block_may_lift(dom).tolist() == [False, True, True, False, True, False]  # links, a caption: not
    s = Scores(batch, np.zeros((6, 1), np.float32), p2, p2,
               main_block_rows(batch, p2, blocks, 0.5) & main_block_may_lift(dom))
    assert s.main_block.tolist() == [False, True, True, False, True, False]
    # the list item in the article is lifted; the menu item, the caption and the linked item, at the same
    # score, are not
    assert model.decide(s).tolist() == [False, True, True, False, True, False]
    np.testing.assert_allclose(model.cuts(s), [0.5, MAIN_BLOCK_FLOOR, MAIN_BLOCK_FLOOR, 0.5, MAIN_BLOCK_FLOOR, 0.5])
    assert model.decide(s).tolist() != LineClassifier(dom=True, main_block_floor=None).decide(s).tolist()
    assert model.cuts(s, main_block=False).tolist() == [0.5] * 6


def test_an_html_model_is_not_fitted_without_html():
    with pytest.raises(ValueError, match="html="):
        LineClassifier(dom=True).fit([["a line"]], [["+"]], ["s"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=8), st.data())
def test_stage2_page_sums_and_ranks_match_their_plain_forms(sizes, data):
    """The stage-2 page sums and ranks, as the plain loops give them."""
    import itertools

    from boiler import model as M

    page = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    n = len(page)
    values = st.sampled_from([0.0, 1.0, 0.5, 1e-30, 1e-45, 0.25, 0.7310586, 3e-8])
    p = np.array(data.draw(st.lists(values, min_size=n, max_size=n)), dtype=np.float32)
    sums = np.zeros(n + len(sizes))
    for k, (a, b) in enumerate(itertools.pairwise(starts)):
        sums[a + k + 1:b + k + 1] = np.cumsum(p[a:b], dtype=np.float64)
    assert np.array_equal(M._page_cumsum(p, starts), sums)
    rank = np.empty(n, dtype=np.float32)
    order = np.lexsort((p, page))
    rank[order] = np.arange(n) - starts[page[order]]
    assert np.array_equal(M._rank_in_page(p, page, starts), rank)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, np.nan]), max_size=5), min_size=1, max_size=5),
       st.sampled_from([0.0, -1.0]))
def test_page_maxima_give_the_numbers_of_maximum_at(pages, initial):
    values = np.array([v for p in pages for v in p], dtype=np.float32)
    page = np.repeat(np.arange(len(pages)), [len(p) for p in pages])
    starts = np.concatenate(([0], np.cumsum([len(p) for p in pages]))).astype(np.int64)
    want = np.full(len(pages), initial, dtype=np.float32)
    with np.errstate(invalid="ignore"):  # (a NaN among the values)
        np.maximum.at(want, page, values)
    got = F.page_maxima(values, starts, initial)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from([-np.inf, np.inf, np.nan, -2.0, 0.5, 1.0, 1.5, 3.0]), max_size=8),
                min_size=1, max_size=4))
def test_the_compiled_opener_columns_give_numpys(pages):
    from boiler import model as M

    score = np.array([v for p in pages for v in p], dtype=np.float32)
    page = np.repeat(np.arange(len(pages)), [len(p) for p in pages])
    starts = np.concatenate(([0], np.cumsum([len(p) for p in pages]))).astype(np.int64)
    running, distance = F.compiled_rows().opener_columns(score, starts, M.OPENER_STRONG, M.DISTANCE_CAP)
    with np.errstate(invalid="ignore"):  # (a NaN among the scores)
        want_running, want_distance = M._opener_columns_np(score, page, starts)
    assert running.tobytes() == want_running.astype(np.float64).tobytes()
    assert distance.tolist() == want_distance.tolist()


def test_page_best_columns_relate_each_line_to_its_own_pages_best():
    from boiler.model import PAGE_BEST_FLOOR, page_best_columns

    p1 = np.array([0.1, 0.4, 0.2, 0.9, 0.0], dtype=np.float32)
    page = np.array([0, 0, 0, 1, 1])
    cols = page_best_columns(p1, page, np.array([0, 3, 5]))
    np.testing.assert_allclose(cols[:, 0], [0.4, 0.4, 0.4, 0.9, 0.9], rtol=1e-6)
    np.testing.assert_allclose(cols[:, 1], [0.25, 1.0, 0.5, 1.0, 0.0], rtol=1e-6)
    # a page where nothing scores keeps finite shares
    assert np.isfinite(page_best_columns(np.zeros(3, np.float32), np.zeros(3, int), np.array([0, 3]))).all()
    # on a page of menu words (best far below the floor) no line is near the best: shares of the floor
    menu = page_best_columns(np.array([0.005, 0.004, 0.01], np.float32), np.zeros(3, int), np.array([0, 3]))
    np.testing.assert_allclose(menu[:, 1], np.array([0.005, 0.004, 0.01]) / PAGE_BEST_FLOOR, rtol=1e-6)


def test_page_balance_evens_out_the_pages_training_weight():
    body = "A long sentence about the things that happened in the city today, told at length."
    pages = [["Home", "News", body, "Share"] * 20,  # above PAGE_BALANCE_FLOOR, smaller than the next
             ["Menu", body] * 120,
             ["Home", "Tweet", "All news"]]  # below it: balanced as if it were that large
    batch = F.extract(pages)
    plain = LineClassifier(page_balance=0.0)._weights(batch)
    np.testing.assert_allclose(plain, np.maximum(np.expm1(batch.X[:, F.FEATURE_NAMES.index("words")]), 1) ** 0.5,
                               rtol=1e-6)
    plain_pages = np.bincount(batch.page_index, weights=plain)
    assert plain_pages[1] > plain_pages[0] > PAGE_BALANCE_FLOOR > plain_pages[2]
    per_page = {}
    for q in (0.5, 1.0):
        w = LineClassifier(page_balance=q)._weights(batch)
        assert w.sum() == pytest.approx(plain.sum())  # the same total: regularisation sees the same scale
        per_page[q] = np.bincount(batch.page_index, weights=w)
        ratio = w / plain  # within a page, lines keep their relative weights
        for p in range(3):
            assert np.ptp(ratio[batch.page_index == p]) < 1e-9
        # the tiny page is balanced as a page of the floor's size, not raised to the others' weight
        assert per_page[q][2] / per_page[q][0] == pytest.approx(
            plain_pages[2] / PAGE_BALANCE_FLOOR ** q / (plain_pages[0] / plain_pages[0] ** q))
    assert per_page[1.0][0] == pytest.approx(per_page[1.0][1])  # 1: every page above the floor the same
    assert plain_pages[1] / plain_pages[0] > per_page[0.5][1] / per_page[0.5][0] > 1.0
    assert LineClassifier().page_balance == PAGE_BALANCE == 0.25  # the text recipe (measured: README, Results)


# -- the compiled row loops against their numpy forms ------------------------------------------------

def test_the_compiled_row_loops_were_built():
    # setup.py builds them at install; without a C compiler numpy runs the same loops
    assert F.compiled_rows() is not None


_PAGE_SIZES = st.lists(st.integers(0, 9), min_size=1, max_size=6)
_VALUES = st.sampled_from([0.0, -0.0, 0.25, 0.5, 0.1, 1.0, -3.5, 1e-8, 0.7, 2.0 / 3.0])


@settings(max_examples=300, deadline=None)
@given(_PAGE_SIZES, st.data())
def test_the_compiled_row_loops_give_numpys_numbers(sizes, data):
    from boiler import model as M

    n = sum(sizes)
    page_start = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    page = np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)
    p = np.array(data.draw(st.lists(_VALUES, min_size=n, max_size=n)), dtype=np.float32)

    def same(a, b):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()  # to the bit

    cs = M._page_cumsum(p, page_start)
    assert same(cs, M._page_cumsum_np(p, page_start))
    for w in (1, 3):
        assert same(M._window_mean(p, page_start, page, w, cs), M._window_mean_np(cs, page_start, page, w))
    for forward in (False, True):
        assert same(M._distance_to_body(p >= 0.5, page, forward), M._distance_to_body_np(p >= 0.5, page, forward))
    M2 = np.stack([p, -p], axis=1)
    offsets = (-7, -1, 0, 1, 2, 12)
    out, ref = np.zeros((n, 2 * len(offsets) + 1), dtype=np.float32), np.zeros((n, 2 * len(offsets) + 1), dtype=np.float32)
    F.context_window(M2, page, offsets, out=out[:, 1:])  # into a view, as stage 1 writes its matrix
    for j, offset in enumerate(offsets):
        F._shift_into(ref[:, 1 + 2 * j:3 + 2 * j], M2, page, offset, -1.0)
    assert same(out, ref)


_PROBABILITIES = st.sampled_from([0.0, 1.0, 0.5, 0.49999997, 1e-45, 0.25, 0.7310586, 3e-8, 2.0 / 3.0])


@settings(max_examples=300, deadline=None)
@given(_PAGE_SIZES, st.data(), st.booleans(), st.booleans(), st.booleans())
def test_the_compiled_probability_columns_give_numpys_stage2_matrix(sizes, data, with_tpl, page_best, dated):
    # one loop for stage 2's columns of the stage-1 probabilities (and the page's best), to the bit;
    # ties (ranked in row order), pages without rows, values at the threshold, subnormals
    from boiler import model as M

    pages = [[f"line {k} of page {q}" for k in range(size)] for q, size in enumerate(sizes)]
    batch = F.extract(pages)
    n = batch.n_rows
    p = np.array(data.draw(st.lists(_PROBABILITIES, min_size=n, max_size=n)), dtype=np.float32)
    tpl = np.array(data.draw(st.lists(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=len(M.TEMPLATE_FEATURES),
                                               max_size=len(M.TEMPLATE_FEATURES)), min_size=n, max_size=n)),
                   dtype=np.float32).reshape(n, len(M.TEMPLATE_FEATURES)) if with_tpl else None
    rows = F.compiled_rows()

    class NumpyOnly:  # the compiled row loops but this one
        def __getattr__(self, name):
            return getattr(rows, name)

        def probability_columns(self, *args):
            return False

    compiled = M.stage2_matrix(batch, p, tpl, page_best, dated)
    F_compiled_rows = F.compiled_rows
    try:
        F.compiled_rows = lambda: NumpyOnly()
        plain = M.stage2_matrix(batch, p, tpl, page_best, dated)
    finally:
        F.compiled_rows = F_compiled_rows
    assert compiled.shape == plain.shape and compiled.tobytes() == plain.tobytes()
    if n:  # a negative value (never a probability) has no sort key in the loop: it leaves the matrix to numpy
        out = np.full((n, compiled.shape[1]), 7.0, dtype=np.float32)
        q = p.copy()
        q[-1] = -0.0
        assert not rows.probability_columns(out, q, batch.page_start, np.array(M.PROB_OFFSETS, dtype=np.int64),
                                            np.array(M.PROB_WINDOWS, dtype=np.int64), 0.5, M.DISTANCE_CAP, -1, 0.15)
        assert (out == 7.0).all()
    with pytest.raises(ValueError, match="do not fit"):  # a matrix too narrow is refused, never written past
        rows.probability_columns(np.zeros((n, 3), dtype=np.float32), p, batch.page_start,
                                 np.array(M.PROB_OFFSETS, dtype=np.int64), np.array(M.PROB_WINDOWS, dtype=np.int64),
                                 0.5, M.DISTANCE_CAP, -1, 0.15)


def test_without_the_compiled_row_loops_numpy_gives_the_same_scores(small_html_model, own_html_pages, monkeypatch):
    from boiler.html import parse_html

    m = small_html_model
    pages = [parse_html(p.html) for p in own_html_pages[:8]]
    lines = [hp.lines for hp in pages]

    def run():
        s = m.score_pages(lines, html=pages)
        batch = F.extract(lines)  # the stage-2 matrix itself: a column may differ where no tree splits on it
        X2 = m.stage2_full(batch, s.p1, m.template_matrix(batch, lines, None), m.dom_matrix(batch, pages),
                           m.container_matrix(batch, pages))
        return s, X2

    compiled, X2 = run()
    monkeypatch.setattr(F, "compiled_rows", lambda: None)
    plain, X2_plain = run()
    assert compiled.main_block.any() and not compiled.main_block.all()
    assert X2.tobytes() == X2_plain.tobytes() and compiled.main_block.tobytes() == plain.main_block.tobytes()
    assert compiled.X1.tobytes() == plain.X1.tobytes() and compiled.p2.tobytes() == plain.p2.tobytes()


_EVIDENCE_LINE = st.lists(st.sampled_from(["All", "news", "Read", "more", "45", "share", "ΟΔΟΣ", "unseen", "-", "|"]),
                         max_size=11).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_EVIDENCE_LINE, st.integers(0, 12)), max_size=10))
def test_the_compiled_word_evidence_gives_numpys_numbers(rows):
    ev = WordEvidence()
    ev.tokens_ = np.array(["f:all", "f:read", "l:news", "l:more", "w:all", "w:news", "w:0", "w:share", "L:all news",
                           "L:read more", "L:0"])
    ev.log_odds_ = np.array([-1.5, 0.25, -0.0, 1.1 / 3, 2.0, -4.0, 0.5, -0.0, -3.0, 1.0, 0.75], dtype=np.float32)
    ev.opener_tokens_, ev.opener_log_odds_ = np.array(["L:all news", "L:0"]), np.array([1.5, -0.5], dtype=np.float32)
    tokens = F.batch_tokens([t for t, _ in rows], [n for _, n in rows])
    got = ev.transform(tokens)
    want = ev._transform_rows_np(tokens)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    assert got.tobytes() == ev.transform([list(r) for r in tokens]).tobytes()  # the list path, line by line


def _nested_html(draw_tree) -> str:
    def render(node) -> str:
        tag, kids = node
        if isinstance(kids, str):
            return f"<{tag}>{kids}</{tag}>"
        return f"<{tag}>{''.join(render(k) for k in kids)}</{tag}>"

    return "<html><body>" + "".join(render(n) for n in draw_tree) + "</body></html>"


_TEXT = st.sampled_from(["Home", "A sentence of body text that goes on, and ends here.", "Share this",
                         "Another long paragraph with many words in it, as articles have."])
_TREE = st.recursive(st.tuples(st.sampled_from(["p", "li", "h2"]), _TEXT),
                     lambda kids: st.tuples(st.sampled_from(["div", "ul", "section", "article"]),
                                            st.lists(kids, min_size=1, max_size=4)), max_leaves=14)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_TREE, min_size=1, max_size=3), min_size=1, max_size=3), st.data())
def test_the_compiled_block_loops_give_numpys_main_block_and_columns(trees, data):
    from boiler import model as M
    from boiler.html import parse_html

    pages = [parse_html(_nested_html(t)) for t in trees]
    batch = F.extract([hp.lines for hp in pages])
    blocks = M.container_rows(batch, pages)
    p = np.array(data.draw(st.lists(st.sampled_from([0.05, 0.3, 0.5, 0.7, 0.95]), min_size=batch.n_rows,
                                    max_size=batch.n_rows)), dtype=np.float32)
    got = M.main_block_rows(batch, p, blocks, 0.5), M.container_columns(batch, p, blocks)
    with pytest.MonkeyPatch.context() as mp:  # (hypothesis runs a function-scoped fixture once, not per example)
        mp.setattr(F, "compiled_rows", lambda: None)
        want = M.main_block_rows(batch, p, blocks, 0.5), M.container_columns(batch, p, blocks)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


_PATH_WORDS = st.lists(st.sampled_from(["related", "story", "body", "nav", "unseen"]), max_size=5).map(tuple)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_PATH_WORDS, st.integers(0, 5)), max_size=12))
def test_the_compiled_class_word_evidence_gives_pythons_numbers(paths):
    from boiler.model import AttrEvidence

    ev = AttrEvidence()
    ev.tokens_, ev.log_odds_ = np.array(["related", "story", "body", "nav"]), np.array([-1.5, 0.7, 1.1 / 3, -0.0])
    attrs, near = [w for w, _ in paths], [min(k, len(w)) for w, k in paths]
    got = ev.transform(attrs, near)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(F, "compiled_rows", lambda: None)
        want = ev.transform(attrs, near)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
