"""Site templates: learning without labels, leave-one-page-out features, JSON and the store."""

import json
import math
import pickle

import numpy as np
import pytest

from boiler import features as F
from boiler import templates as T
from boiler.errors import InputError
from boiler.templates import (
    MAX_KEYS, MIN_TEMPLATE_FIT, MIN_TEMPLATE_MATCH, TEMPLATE_FEATURES, Region, SiteTemplate, TemplateStore, estimate_body_span, learn_template, line_key,
    page_fingerprint, profile_page, shape_key, template_features, template_from_json, template_to_json,
)

COL = {f.name: j for j, f in enumerate(TEMPLATE_FEATURES)}

ARTICLES = [
    ["The council approved a new budget for the harbour district on Tuesday after a long debate.",
     "Members said the plan would repair the old sea wall and add two new ferry stops by next summer.",
     "Opponents argued that the money should go to schools, but the vote passed by nine to four."],
    ["A heavy storm closed the mountain pass for most of the weekend, stranding dozens of lorries.",
     "Road crews worked through the night to clear fallen trees and repair a collapsed culvert.",
     "Police advised drivers to avoid the route until engineers have inspected the bridge supports."],
    ["The city library will stay open until midnight during the exam season, its director announced.",
     "Students had collected more than two thousand signatures asking for longer opening hours.",
     "Extra staff will be hired for the evenings, paid from a grant by the regional government."],
    ["Farmers in the valley expect a record apple harvest after a mild spring and a warm summer.",
     "Cooperatives are building new cold stores so that the fruit can be sold later in the winter.",
     "Exporters hope to reach new markets in the Gulf, where demand for fresh fruit keeps growing."],
    ["The national team named three new players for the autumn qualifiers against its neighbours.",
     "The coach said the young midfielders had earned their places with strong club performances.",
     "Tickets for the home match sold out within an hour of going on sale on Monday morning."],
    ["A new museum of local crafts opened in the old railway station, restored over five years.",
     "Its collection includes carpets, pottery and woodwork donated by families from the region.",
     "Entry will be free for schoolchildren, and guided tours are offered in three languages."],
]


def page(k: int) -> list[str]:
    """A page of a made-up outlet: menu, dateline, article, then an 'Opinion' list and a footer."""
    return ["Home | News | Sport | Opinion", "", f"Updated {k + 3} Nov, 2024", "", *ARTICLES[k], "",
            "Opinion", TEASERS[k],
            f"{k + 1} Nov, 2024", "© Harbour Gazette. All rights reserved."]


TEASERS = ["Why the ferry plan deserves a second look", "Storms, lorries and a missing bypass",
           "Libraries are more than quiet rooms", "The apple boom and its hidden costs",
           "Young players, old habits", "Crafts that outlived the railway"]
PAGES = [page(k) for k in range(len(ARTICLES))]


def rows_of(lines):
    return [s.strip() for s in lines if s.strip() and F.has_word(s.strip())]


def features_of(pages, templates):
    batch = F.extract(pages)
    return batch, template_features(batch, pages, templates)


def test_keys_fold_case_digits_and_dates():
    assert line_key("  All   NEWS 2024 ") == line_key("all news 1999")
    assert shape_key("Updated 17 Nov, 2024") == shape_key("Updated 3 Dec, 2023") == "updated <date>"
    assert shape_key("No digits here") is None
    assert shape_key("45 comments") == shape_key("167 comments")


def test_learns_recurring_lines_and_regions_without_labels():
    t = learn_template(PAGES, "gazette.example")
    assert t.n_pages == 6
    assert t.lines[line_key("Opinion")].pages == 6
    assert t.lines[line_key("Opinion")].after == 6
    assert t.lines[line_key("Home | News | Sport | Opinion")].before == 6
    assert t.shapes["updated <date>"].pages == 6
    openers, closers = t.regions()
    assert line_key("Opinion") in [k for k, _ in openers]
    assert line_key("Home | News | Sport | Opinion") in [k for k, _ in closers]
    lo, hi = t.body_span()
    assert 0.0 < lo < hi < 1.0
    # article lines are seen once: not kept by name, but counted as hashes for later updates
    assert all(line_key(a) not in t.lines for art in ARTICLES for a in art)
    assert len(t.once) > 0


def test_labels_give_the_body_span_when_known():
    labels = [["-", " ", "-", " ", "+", "+", "+", " ", "-", "-", "-", "-"] for _ in PAGES]
    t = learn_template(PAGES, "gazette.example", labels=labels)
    assert t.lines[line_key("Opinion")].after == 6
    unlabeled = learn_template(PAGES, "gazette.example")
    assert np.array_equal(t.span_cover, unlabeled.span_cover)


def test_body_span_estimate_skips_recurring_paragraphs():
    rows = ["Menu", "A paragraph that recurs on every page of the site, so it is not the body.",
            "This is the first real paragraph of the article, long enough to count.",
            "And this is the second real paragraph of the article, also long enough.", "Footer"]
    assert estimate_body_span(rows, [True, True, False, False, True]) == (2, 3)
    assert estimate_body_span(["short", "lines"], [False, False]) is None


def test_features_leave_the_page_itself_out():
    t = learn_template(PAGES, "gazette.example")
    batch, X = features_of([PAGES[0]], [t])
    rows = rows_of(PAGES[0])
    r_opinion, r_teaser = rows.index("Opinion"), rows.index(PAGES[0][-3])
    assert X[r_opinion, COL["tpl_line_share"]] == pytest.approx(1.0)  # on all 5 other pages
    assert X[r_opinion, COL["tpl_line_pages"]] == pytest.approx(np.log1p(5))
    assert X[0, COL["tpl_pages"]] == pytest.approx(np.log1p(5))
    # the teaser is new, but sits below the 'Opinion' opener: inside a learned chrome region
    assert X[r_teaser, COL["tpl_line_share"]] == 0
    assert X[r_teaser, COL["tpl_after_end"]] == pytest.approx(1.0)
    # article lines: neither recurring nor in a region; inside the typical body span
    r_body = rows.index(ARTICLES[0][1])
    assert X[r_body, COL["tpl_line_share"]] == 0 and X[r_body, COL["tpl_after_end"]] == 0
    assert X[r_body, COL["tpl_span"]] > 0.5
    # a template learned from the other pages only gives the same features
    t_others = learn_template(PAGES[1:], "gazette.example")
    _, X_others = features_of([PAGES[0]], [t_others])
    np.testing.assert_allclose(X, X_others)


def test_no_template_gives_zeros_and_batch_rows_line_up():
    t = learn_template(PAGES[1:], "gazette.example")
    batch, X = features_of([PAGES[0], ["Just one line of another site."], PAGES[2]], [None, None, t])
    assert X.shape == (batch.n_rows, len(TEMPLATE_FEATURES))
    a, b = batch.page_start[2], batch.page_start[3]
    assert not X[:a].any() and X[a:b].any()


def test_a_single_page_template_counts_nothing_for_that_page():
    t = learn_template(PAGES[:1], "gazette.example")
    _, X = features_of([PAGES[0]], [t])
    assert not X.any()


def test_updates_count_instead_of_starting_over():
    first = learn_template(PAGES[:3], "gazette.example")
    both = learn_template(PAGES[3:], "gazette.example", base=first)
    whole = learn_template(PAGES, "gazette.example")
    assert first.n_pages == 3  # the base is not modified
    assert both.n_pages == whole.n_pages == 6
    assert both.lines == whole.lines
    assert np.array_equal(both.span_cover, whole.span_cover)
    again = learn_template(PAGES, "gazette.example", base=both)  # pages seen before are not counted twice
    assert again.n_pages == 6
    # a line seen once in each half is counted on both pages
    extra = [p + ["Subscribe to our weekly letter"] for p in (PAGES[0], PAGES[4])]
    t = learn_template(extra[1:], "x", base=learn_template(extra[:1], "x"))
    assert t.lines[line_key("Subscribe to our weekly letter")].pages == 2


def test_kept_small():
    many = [[f"Unique line {i} of page {k} with words" for i in range(50)] + ["Shared footer"] for k in range(200)]
    t = learn_template(many, "big.example")
    assert len(t.lines) <= MAX_KEYS
    assert line_key("Shared footer") in t.lines
    assert len(template_to_json(t)) < 300_000


def test_json_round_trip_is_readable(tmp_path):
    t = learn_template(PAGES, "gazette.example")
    text = template_to_json(t)
    doc = json.loads(text)
    assert doc["site"] == "gazette.example" and doc["format"] == 1
    assert doc["lines"][0]["pages"] == 6 and doc["lines"][0]["example"]
    back = template_from_json(text, "mem")
    assert back.lines == t.lines and back.shapes == t.shapes and back.n_pages == t.n_pages
    assert template_to_json(back) == text


@pytest.mark.parametrize("text, message", [
    ("not json", "invalid JSON"),
    ('{"kind": "something else"}', "not a boiler site template"),
    ('{"kind": "boiler site template", "format": 99}', "newer"),
    ('{"kind": "boiler site template", "format": 1, "site": "a", "pages": 1}', "malformed"),
    ('[' * 100000, "invalid JSON"),
])
def test_bad_template_files_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        template_from_json(text, "t.json")


def test_counts_that_cannot_be_are_refused():
    doc = json.loads(template_to_json(learn_template(PAGES, "g.example")))
    doc["lines"][0]["after"] = 99
    with pytest.raises(InputError, match="bad counts"):
        template_from_json(json.dumps(doc), "t.json")


def test_store_saves_atomically_and_reads_lazily(tmp_path):
    store = TemplateStore(tmp_path / "store")
    assert store.sites() == [] and store.get("gazette.example") is None
    t = learn_template(PAGES, "gazette.example")
    path = store.save(t)
    assert path.name == "gazette.example.json"
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["gazette.example.json"]  # no temporary left
    fresh = TemplateStore(tmp_path / "store")
    assert fresh.sites() == ["gazette.example"]
    assert fresh._cache == {}  # nothing read until asked
    assert fresh.get("GAZETTE.example").n_pages == 6
    assert list(fresh._cache) == ["gazette.example"]
    (tmp_path / "store" / "broken.example.json").write_text("{")
    with pytest.raises(InputError, match="broken.example.json"):
        fresh.get("broken.example")


def test_store_of_many_sites_reads_only_the_sites_in_use(tmp_path):
    small = template_to_json(learn_template(PAGES[:2], "s.example"))
    for k in range(10_000):
        (tmp_path / f"site{k}.example.json").write_text(small.replace('"s.example"', f'"site{k}.example"'))
    fresh = TemplateStore(tmp_path)
    assert fresh.get("site1234.example").site == "site1234.example"
    assert len(fresh._cache) == 1


def test_fingerprint_ignores_blank_lines_and_spacing():
    assert page_fingerprint(["a line", "", "  another  "]) == page_fingerprint(["a line", "another"])
    assert page_fingerprint(["a line"]) != page_fingerprint(["another line"])


def test_region_enum_values_are_stable():
    # the JSON keeps the region of a line seen once as the enum's number: the numbers must not change
    assert [(r.name, r.value) for r in Region] == [("UNKNOWN", 0), ("BEFORE", 1), ("INSIDE", 2), ("AFTER", 3)]
    assert isinstance(SiteTemplate("x").span_cover, np.ndarray)


# -- the reference outlets: a Dawn-like daily and an Asia-Plus-like agency (our own pages) ----------

REFERENCE_OUTLETS = ("dawnlike", "asialike")


def _reference_pages(own_pages, outlet):
    return [p for p in own_pages.pages if p.site and p.site.startswith(outlet)]


def _chrome_after_body(page, pred):
    """(line, predicted) for the gold chrome lines after the page's last body line: the editorial list
    of the Dawn-like pages, the link footer of the Asia-Plus-like ones."""
    last = max(i for i, lab in enumerate(page.labels) if lab == "+")
    return [(page.lines[i], pred[i]) for i in range(last + 1, len(page.lines)) if page.labels[i] == "-"]


@pytest.mark.slow
@pytest.mark.parametrize("outlet", REFERENCE_OUTLETS)
def test_template_of_other_pages_catches_the_chrome_region_of_an_unseen_outlet(own_pages, outlet):
    """Trained without the outlet, a model given a template of the outlet's other pages (no labels)
    labels every line of the left-out page's editorial list or link footer chrome, teasers included."""
    from conftest import shared_or_skip

    from boiler.training import fit_model, load_corpus

    paths = [str(shared_or_skip("data", name, "lines.jsonl.gz")) for name in ("msv-big9", "cleanportaleval")]
    shared = load_corpus(paths).pages
    train = shared + [p for p in own_pages.pages if not (p.site or "").startswith(REFERENCE_OUTLETS)]
    weights = [1.0] * len(shared) + [10.0] * (len(train) - len(shared))
    model = fit_model(train, weights, n_folds=3, stage1_iter=100, stage2_iter=60)
    pages = _reference_pages(own_pages, outlet)
    assert len(pages) >= 8
    missed = []
    for k, page in enumerate(pages):
        others = [p.lines for j, p in enumerate(pages) if j != k]
        tpl = learn_template(others, page.site)
        pred = model.predict_pages([page.lines], [tpl])[0]
        region = _chrome_after_body(page, pred)
        assert len(region) >= 5
        missed += [(page.id, line[:60]) for line, p in region if p is not False]
    assert not missed, missed


@pytest.mark.parametrize("outlet", REFERENCE_OUTLETS)
def test_default_model_with_a_template_catches_the_chrome_region(default_labeler, own_pages, outlet):
    pages = _reference_pages(own_pages, outlet)
    for k, page in enumerate(pages):
        tpl = learn_template([p.lines for j, p in enumerate(pages) if j != k], page.site)
        results = default_labeler.label(page.lines, template=tpl, reasons=False)
        region = _chrome_after_body(page, [r.is_body for r in results])
        assert region and all(p is False for _, p in region), (page.id, [line for line, p in region if p])


def test_lines_seen_on_one_page_still_count_for_a_page_the_template_has_not_seen():
    t = learn_template(PAGES[1:3], "gazette.example")  # the teaser of page 1 is on one page only
    line = TEASERS[1]
    assert line_key(line) not in t.lines and t.line_pages(line_key(line)) == 1
    assert t.line_count(line_key(line)).after == 1  # and where it sat is kept with its hash
    _, X = features_of([PAGES[1][:6] + [line]], [learn_template(PAGES[2:4], "gazette.example")])
    assert X[-1, COL["tpl_line_pages"]] == 0
    _, X = features_of([PAGES[3][:6] + [line]], [t])
    assert X[-1, COL["tpl_line_pages"]] == pytest.approx(np.log1p(1))
    # a template that has seen the page: its own one-page lines are left out
    _, X = features_of([PAGES[1]], [t])
    assert X[rows_of(PAGES[1]).index(line), COL["tpl_line_pages"]] == 0


def test_a_template_that_fits_a_page_badly_is_not_used():
    t = learn_template(PAGES[1:], "gazette.example")
    other_layout = ["Completely different menu", "A new layout of the site after a redesign, with other words.",
                    "Another paragraph of the redesigned page that the old template never saw.", "Opinion"]
    batch = F.extract([other_layout])
    assert template_features(batch, [other_layout], [t]).any()  # 'Opinion' is known: 1 line of 4
    assert not template_features(batch, [other_layout], [t], min_fit=0.3).any()
    batch = F.extract([PAGES[0]])
    assert template_features(batch, [PAGES[0]], [t], min_fit=0.3).any()
    assert template_features(batch, [PAGES[0]], [t], min_fit=0.3, min_match=MIN_TEMPLATE_MATCH).any()


def test_a_template_of_another_layout_that_shares_a_few_lines_is_not_used():
    t = learn_template(PAGES[1:], "gazette.example")
    # menu, dateline, "Opinion", the list's date and the footer recur on every page
    assert t.recurring_per_page() == pytest.approx(5.0)
    redesign = ["Search the Harbour Gazette", "A new layout of the site after a redesign, with other words.",
                "Opinion", "© Harbour Gazette. All rights reserved."]
    batch = F.extract([redesign])
    assert template_features(batch, [redesign], [t], min_fit=MIN_TEMPLATE_FIT).any()  # half its lines are known
    assert not template_features(batch, [redesign], [t], min_fit=MIN_TEMPLATE_FIT, min_match=MIN_TEMPLATE_MATCH).any()
    assert SiteTemplate("new.example").recurring_per_page() == 0


def test_a_page_learned_with_labels_is_left_out_without_negative_counts():
    labels = [["+", " ", "+", " ", "+", "+", "+", " ", "+", "-", "-", "-"] for _ in PAGES]  # an odd labeling
    t = learn_template(PAGES, "gazette.example", labels=labels)
    _, X = features_of([PAGES[0]], [t])
    shares = [COL[n] for n in ("tpl_line_share", "tpl_shape_share", "tpl_line_inside", "tpl_after_end",
                                "tpl_before_start", "tpl_span")]
    assert (X >= 0).all() and (X[:, shares] <= 1).all() and X[:, COL["tpl_line_pages"]].any()


# -- the fast paths give what the plain forms give ---------------------------------------------

TRICKY_ROWS = [
    "ΟΔΟΣ ΣΤΑΣΙΣ", "Σ", "İstanbul 2024", "KELVIN \u212a 5", "Tab\tseparated\t\tcells", "non\u00a0breaking  spaces",
    "line\u2028separator and \x85 next", "Updated 17 Nov, 2024", "18TH November 2011 at 14:05 PM", "2024-11-18",
    "21.10.2011 and 04/08/05", "2011年10月21日", "٣ hours ago", "Page ١٢٣٤ of 9", "१२:३० बजे", "posted 3:45",
    "9.5 out of 10", "Call 555-0100", "nul \x00 char 12", "Plain words only.", "0000", "a-1/2.3",
    "October 21, 2011", "Ends with sigma ΧΑΟΣ", "x" * 3 + "Σ" + "\u0301", "Posted 04/08/05", "On 21.10.11 at noon",
    "Filed 3-4-05", "© 2011 Company", "Room 1001, floor 007", "Price 12,500 and 7", "9:7 and 12:30",
    "Tokyo 2011年10月21日", "発表(2011年10月21日)", "1999-2000 season",
]


@pytest.mark.parametrize("rows", [TRICKY_ROWS, TRICKY_ROWS[::-1], [r for r in TRICKY_ROWS if r.isascii()],
                                  ["one row"], [], ["a row with a\nline break 12", "12 Nov, 2024"],
                                  ["no\u00a0break", "é 12"], ["line\u2028separator"], ["x\ud800 y 12"], ["tab\tonly"]])
def test_page_keys_and_shapes_are_those_of_each_line(rows):
    rows = [r.strip() for r in rows]
    keys, other_digits = T._row_keys(rows)
    assert keys == [line_key(r) for r in rows]
    assert T._row_shapes(rows, keys, other_digits) == [shape_key(r) for r in rows]
    memo: dict = {}  # shapes met before (on another page of the site) are taken from the memo
    assert T._row_shapes(rows, keys, other_digits, memo) == T._row_shapes(rows, keys, other_digits, memo)
    assert memo == {r: shape_key(r) for r in rows if shape_key(r) is not None}
    prof = profile_page(rows)
    assert prof.keys == [line_key(r) for r in rows if r and F.has_word(r)]


def test_digits_other_than_ascii_are_noticed():
    assert T._row_keys(["Page ١٢٣ of 9"])[1] and T._row_keys(["१२:३०"])[1]
    assert not T._row_keys(["Plain 12, ‘quoted’ — text"])[1]
    # a date needs four digits in a row or digit, separator, digit: looked for in the key
    assert T._row_shapes(["Match 12 - 3 at 10:30"], [line_key("Match 12 - 3 at 10:30")], False) == ["match 0 - 0 at <time>"]


def test_regions_of_keys_before_inside_and_after_the_body():
    prof = T.PageProfile("f", ["a", "b", "c", "a", "d", "b", "e", "c"], [None, "s", None, "s", None, None, None, None],
                         np.zeros(8), ["x"] * 8, span=(2, 4))
    assert list(prof.regions().items()) == [("a", Region.INSIDE), ("b", Region.UNKNOWN), ("c", Region.INSIDE),
                                            ("d", Region.INSIDE), ("e", Region.AFTER)]
    assert prof.regions(shapes=True) == {"s": Region.INSIDE}
    prof.span = None
    assert list(prof.regions()) == ["a", "b", "c", "d", "e"] and set(prof.regions().values()) == {Region.UNKNOWN}


def test_row_counts_leave_the_page_out_and_never_go_below_zero():
    table = {"a": T.KeyCount(3, 0, 3, 0), "b": T.KeyCount(1, 1, 0, 0), "c": T.KeyCount(4, 1, 1, 2),
             "d": T.KeyCount(3, 2, 0, 1), "e": T.KeyCount(3, 3, 0, 0)}
    mine = {"a": Region.BEFORE, "b": Region.BEFORE, "x": Region.AFTER, "c": Region.AFTER, "d": Region.INSIDE,
            "e": Region.AFTER}
    present, counts = T._row_counts(["a", "b", "x", "c", None, "d", "e"], table, mine, once=lambda k: 1 / 0)
    assert present.tolist() == [True, False, False, True, False, True, True]  # b and x: on this page only
    assert counts[[0, 3, 5, 6]].tolist() == [[2, 0, 3, 0], [3, 1, 1, 1], [2, 2, 0, 1], [2, 3, 0, 0]]
    present, counts = T._row_counts(["a", "x"], table, None, once=lambda k: T.KeyCount(1, 0, 0, 1))
    assert present.tolist() == [True, True] and counts.tolist() == [[3, 0, 3, 0], [1, 0, 0, 1]]
    assert T._row_counts(["x"], table, None)[0].tolist() == [False]


def _reference_features(prof, rel_pos, tpl, own, confirm=T.ANCHOR_CONFIRM_ROWS):
    """The template features of one page, line by line as first written (the reference for the fast form),
    each anchor as strong as the strongest of the ``confirm`` lines below (above) it at most."""
    n = len(prof.keys)
    out = np.zeros((n, len(TEMPLATE_FEATURES)), dtype=np.float32)
    others = tpl.n_pages - (1 if own is not None else 0)
    if others < 1 or n == 0:
        return out
    own_lines = own.regions(False) if own is not None else {}
    own_shapes = own.regions(True) if own is not None else {}

    def counts(table, key, mine):
        if key is None:
            return None
        c = tpl.line_count(key) if table is tpl.lines else table.get(key)
        if c is None:
            return None
        region = mine.get(key)
        if region is None:
            return c
        c = T.KeyCount(c.pages, c.before, c.inside, c.after)
        c.add(region, -1)
        c.before, c.inside, c.after = max(c.before, 0), max(c.inside, 0), max(c.after, 0)
        return c if c.pages > 0 else None

    def anchor(c):
        return min(c.after / others, 1.0), min(c.before / others, 1.0)

    end = np.zeros(n, dtype=np.float32)
    start = np.zeros(n, dtype=np.float32)
    for r, (key, shape) in enumerate(zip(prof.keys, prof.shapes)):
        lc = counts(tpl.lines, key, own_lines)
        share = 0.0
        if lc is not None:
            share = min(lc.pages / others, 1.0)
            out[r, COL["tpl_line_share"]] = share
            out[r, COL["tpl_line_pages"]] = math.log1p(lc.pages)
            out[r, COL["tpl_line_inside"]] = min(lc.inside / lc.pages, 1.0)
            if lc.pages >= T.ANCHOR_MIN_PAGES:
                end[r], start[r] = anchor(lc)
        sc = counts(tpl.shapes, shape, own_shapes)
        if sc is not None:
            out[r, COL["tpl_shape_share"]] = max(share, min(sc.pages / others, 1.0))
            if sc.pages >= T.ANCHOR_MIN_PAGES:
                end_s, start_s = anchor(sc)
                end[r], start[r] = max(end[r], end_s), max(start[r], start_s)
        else:
            out[r, COL["tpl_shape_share"]] = share
    if confirm:
        end = np.array([min(end[r], max(end[r + d] if r + d < n else 1.0 for d in range(1, confirm + 1)))
                        for r in range(n)], dtype=np.float32)
        start = np.array([min(start[r], max(start[r - d] if r - d >= 0 else 1.0 for d in range(1, confirm + 1)))
                          for r in range(n)], dtype=np.float32)
    out[:, COL["tpl_pages"]] = math.log1p(others)
    out[:, COL["tpl_after_end"]] = np.maximum.accumulate(end)
    out[:, COL["tpl_before_start"]] = np.maximum.accumulate(start[::-1])[::-1]
    cover = tpl.span_cover - (own.span_bins() if own is not None else 0)
    bins = np.minimum((rel_pos * T.SPAN_BINS).astype(np.int64), T.SPAN_BINS - 1)
    out[:, COL["tpl_span"]] = np.clip(cover[bins] / others, 0.0, 1.0)
    return out


@pytest.mark.parametrize("prune", [True, False])
def test_page_features_are_those_computed_line_by_line(prune):
    # pages the template saw (left out), one it did not, and one learned with labels (its span recomputed)
    labels = [None, ["-", "", "-", "", "+", "+", "-", "", "-", "-", "-", "-"], None, None, None]
    tpl = learn_template(PAGES[:5], "gazette.example", labels=labels, prune=prune)
    # an unseen page, with a line of one page only (kept as a hash when pruned)
    unseen = PAGES[5] + ["Updated 9 Nov, 2024", "A line no page has, with 12 digits 2024-11-18", ARTICLES[0][0]]
    checked = 0
    for lines in [*PAGES, unseen]:
        prof = profile_page(lines)
        own = T.own_profile(lines, tpl, prof)
        rel = np.linspace(0.0, 0.95, len(prof.keys))
        got, line_pages = T._page_template_features(prof, rel, tpl, own)
        assert np.array_equal(np.log1p(line_pages).astype(np.float32), got[:, COL["tpl_line_pages"]])
        assert np.array_equal(got, _reference_features(prof, rel, tpl, own))
        assert np.array_equal(T._page_template_features(prof, rel, tpl, own, confirm=0)[0],
                              _reference_features(prof, rel, tpl, own, confirm=0))
        checked += bool(got[:, COL["tpl_line_share"]].any())
    assert checked == 7
    assert got[-1, COL["tpl_line_pages"]] == np.float32(math.log1p(1))  # the once-seen line counts


LONG_READ = ["Home | News | Sport | Opinion",
             "Our reporter spent a winter aboard the last working tugboat of the northern harbour.",
             "Its captain learned the trade from his grandmother, who steered barges through the floods.",
             "Every morning begins with coffee brewed on a stove older than anyone in the crew.",
             "The engine room smells of diesel and oranges, a habit nobody can quite explain.",
             "When fog rolls in, the crew navigates by bells, horns and long familiarity with the coast.",
             "Shipowners want to replace the vessel with a quieter electric model within two years.",
             "Sailors worry that the new boats will need fewer hands and lose the old seamanship.",
             "For now the tug keeps working, pulling freighters past the breakwater in all weathers.",
             "Opinion", "© Harbour Gazette. All rights reserved."]


def test_a_template_whose_core_a_page_lacks_is_not_used():
    live = "Live: the market report"  # on the long read and two other pages: core only counting the long read
    long_read = [*LONG_READ[:-2], live, *LONG_READ[-2:]]
    pages = [PAGES[0] + [live], PAGES[1] + [live], *PAGES[2:], long_read]
    plain, kept = learn_template(pages, "gazette.example"), learn_template(pages, "gazette.example", row_ids=10_000)
    assert plain.lines[line_key(live)].pages == 3
    batch = F.extract(pages)
    a, b = int(batch.page_start[6]), int(batch.page_start[7])
    # the long read: 4 of its 12 lines known elsewhere (below SURE_TEMPLATE_FIT), and 3 of the template's 5
    # core lines (menu, dateline, "Opinion", the list's date, footer: on at least half of the 6 other pages)
    assert 4 / 12 < T.SURE_TEMPLATE_FIT
    for cover, used in ((0.0, True), (0.6, True), (0.61, False)):
        fast = template_features(batch, pages, [kept] * 7, 0.0, 0.0, cover)
        slow = template_features(batch, pages, [plain] * 7, 0.0, 0.0, cover)
        assert fast.view(np.uint32).tolist() == slow.view(np.uint32).tolist()  # kept ids or lines alike
        assert bool(slow[a:b].any()) is used
        assert all(slow[batch.page_start[k]:batch.page_start[k + 1]].any() for k in range(6))  # 5 of 9 or 10 known
    # a page the template never saw: its lines hold no count of their own to take out
    unseen = learn_template(pages[:6], "gazette.example")
    batch = F.extract([long_read])
    assert template_features(batch, [long_read], [unseen], 0.0, 0.0, 0.6).any()
    assert not template_features(batch, [long_read], [unseen], 0.0, 0.0, 0.61).any()
    # the shipped gate (60% of the core is enough), and a template without a core (one page)
    assert template_features(batch, [long_read], [unseen], 0.0, 0.0, T.MIN_TEMPLATE_COVER).any()
    assert T._core_covers(np.array([1.0]), np.array([0]), [learn_template(PAGES[:1], "gazette.example")], [False]) == 1.0


def test_template_fit_says_why_a_template_is_not_used():
    t = learn_template(PAGES, "gazette.example")
    own = T.template_fit(PAGES[0], t)  # a page the template saw: left out of its counts, as in labeling
    assert (own.rows, own.matched) == (9, 5) and own.fit == pytest.approx(5 / 9) and own.why_not() is None
    assert own.used() and not own.used(min_fit=0.6)
    assert "56% of the page's lines occur on the site's other pages (60% needed)" in own.why_not(min_fit=0.6)
    redesign = ["Search the Harbour Gazette", "A new layout of the site after a redesign, with other words.",
                "Opinion", "© Harbour Gazette. All rights reserved."]
    assert "the page has 2 of the lines that recur on the site's pages, a page of the site typically 5" \
        in T.template_fit(redesign, t).why_not()
    fit = T.template_fit(LONG_READ, learn_template(PAGES, "gazette.example"))
    assert fit.cover == pytest.approx(3 / 5) and "60% of the template's core lines (61% needed" in fit.why_not(0.0, 0.0, 0.61)
    assert T.template_fit([], t).why_not() == "the page has no line to judge"


def test_row_ids_kept_from_learning_give_the_same_features():
    pages = [*PAGES, ["Home | News | Sport | Opinion", "A page\nwith a line break in a line.", "Opinion"]]
    plain = learn_template(pages, "gazette.example")
    kept = learn_template(pages, "gazette.example", row_ids=10_000)
    assert template_to_json(kept) == template_to_json(plain)
    assert kept.kept_rows() == sum(len(rows_of(p)) for p in PAGES)  # not the page whose fingerprint is ambiguous
    assert kept.row_ids(rows_of(PAGES[0]), page_fingerprint(PAGES[0])).by_id
    assert kept.row_ids(rows_of(PAGES[0])[1:], page_fingerprint(PAGES[0])) is None  # other rows: no ids
    assert plain.row_ids(rows_of(PAGES[0]), page_fingerprint(PAGES[0])) is None
    for page in PAGES:  # the body span kept from learning is the one found again from the template's counts
        prof = kept.row_ids(rows_of(page), page_fingerprint(page))
        assert prof.by_id
        assert prof.span == T.own_profile(page, plain).span
    batch = F.extract(pages)
    assert np.array_equal(template_features(batch, pages, [kept] * len(pages)),
                          template_features(batch, pages, [plain] * len(pages)))
    again = pickle.loads(pickle.dumps(kept))  # sent to worker processes with its ids
    assert again.kept_rows() == kept.kept_rows()
    assert np.array_equal(template_features(batch, pages, [again] * len(pages)),
                          template_features(batch, pages, [plain] * len(pages)))
    # a batch of two sites' pages, a line inside the body on most pages and after it on one, a line before
    # and after it on one page, a page of one site under the other's template, a page no template saw,
    # and the fit test: all the pages with kept ids at once give what the plain templates give page by page
    other = [[line.replace("Harbour Gazette", "Valley Post") for line in p] for p in PAGES[:4]]
    for p in other:
        p[5:5] = ["Reporting by the Valley Post newsroom, with additional material from wire services."]
    other[0][1:1] = ["Live: the market report"]
    other[1][-1:-1] = ["Live: the market report"]
    other[2][1:1], other[2][-1:-1] = ["Live: the market report"], ["Live: the market report"]
    other[3][5:6] = []
    other[3][-4:-4] = ["Reporting by the Valley Post newsroom, with additional material from wire services."]
    kept2, plain2 = learn_template(other, "post.example", row_ids=10_000), learn_template(other, "post.example")
    mixed = [*PAGES, *other, other[0], PAGES[0] + ["A line no page has"]]
    batch = F.extract(mixed)
    for fit, match in ((0.0, 0.0), (MIN_TEMPLATE_FIT, MIN_TEMPLATE_MATCH), (0.9, 0.0), (0.0, 1.5)):
        fast = template_features(batch, mixed, [kept] * 6 + [kept2] * 4 + [kept, kept], fit, match)
        slow = template_features(batch, mixed, [plain] * 6 + [plain2] * 4 + [plain, plain], fit, match)
        assert fast.view(np.uint32).tolist() == slow.view(np.uint32).tolist()
        assert fit or fast[batch.page_start[6]:].any()


def test_row_ids_are_capped_and_dropped_when_the_template_changes():
    few = learn_template(PAGES, "gazette.example", row_ids=len(rows_of(PAGES[0])) * 2)
    assert few.kept_rows() == len(rows_of(PAGES[0])) * 2
    assert learn_template(PAGES, "gazette.example", row_ids=5).kept_rows() == 0
    updated = learn_template(PAGES[5:], "gazette.example", base=few)
    assert updated.kept_rows() == 0  # ids of the old tables would be wrong in the new one
    few._prune()
    assert few.kept_rows() == 0


def test_lines_on_one_page_kept_as_hashes_as_when_counted_then_pruned():
    pages = [*PAGES, PAGES[0], [*PAGES[1], "Only here 12 Nov, 2024", "Opinion"]]  # a page twice, a line twice on one
    counted = learn_template(pages, "gazette.example", prune=False)
    counted._prune()
    direct = learn_template(pages, "gazette.example")
    assert direct.once and template_to_json(direct) == template_to_json(counted)


RECIPES = ["Pear and squash soup", "Coffee toffee", "Pumpkin dog biscuits", "Spaghetti squash with sriracha",
           "Brown butter apple pies"]


def recipe_page(k: int) -> list[str]:
    """A page of a made-up food blog: menu, the recipe's title and text, then the other recipes' titles."""
    return ["Home", "Recipes", "About us", RECIPES[k], *ARTICLES[k],
            "Recent posts", *[t for j, t in enumerate(RECIPES) if j != k], "Copyright Kitchen Notes"]


def test_an_article_title_listed_after_the_body_elsewhere_does_not_open_a_chrome_region():
    pages = [recipe_page(k) for k in range(len(RECIPES))]
    t = learn_template(pages[1:], "kitchen.example")
    rows = rows_of(pages[0])
    title, body, recent = rows.index(RECIPES[0]), rows.index(ARTICLES[0][1]), rows.index("Recent posts")
    before = template_features(F.extract(pages[:1]), pages[:1], [t], confirm=0)
    assert before[title, COL["tpl_after_end"]] == 1.0  # the title sat after the body of every other page...
    assert before[body, COL["tpl_after_end"]] == 1.0  # ... so the whole article read as a chrome region
    X = template_features(F.extract(pages[:1]), pages[:1], [t])
    assert X[title, COL["tpl_line_share"]] == 1.0  # the title still recurs
    assert X[title, COL["tpl_after_end"]] == 0 and X[body, COL["tpl_after_end"]] == 0  # but opens nothing
    # the list and the footer: a chrome region, its opener as sure as the titles under it (each after the
    # body on 3 of the 4 other pages), the footer surely so
    assert (X[recent:-1, COL["tpl_after_end"]] == 0.75).all() and X[-1, COL["tpl_after_end"]] == 1.0
    # a page's last lines count as confirmed: an opener that is the last line of its page still opens
    last = pages[0][:pages[0].index("Recent posts") + 1]
    assert template_features(F.extract([last]), [last], [t])[-1, COL["tpl_after_end"]] == 1.0
    # pages of one batch do not confirm each other's anchors: two pages a corpus pass learned from (kept by
    # id, so labeled together, not page by page), the footer ending the first and the menu opening the next
    kept = learn_template(pages, "kitchen.example", row_ids=10_000)
    pair = pages[1:3]
    assert kept.row_ids(rows_of(pair[0]), page_fingerprint(pair[0])).by_id
    both = template_features(F.extract(pair), pair, [kept, kept])
    alone = [template_features(F.extract([p]), [p], [kept]) for p in pair]
    np.testing.assert_array_equal(both, np.vstack(alone))
    assert both[len(rows_of(pair[0])) - 1, COL["tpl_after_end"]] == 1.0


def test_confirm_anchors_takes_the_strongest_of_the_next_rows_within_a_page():
    end = np.array([1.0, 0.0, 0.5, 1.0, 0.0, 1.0], dtype=np.float32)
    start = np.array([0.0, 1.0, 0.0, 0.0, 1.0, 0.25], dtype=np.float32)
    page = np.array([0, 0, 0, 0, 1, 1])
    e, s = T.confirm_anchors(end, start, page, rows=1)
    assert e.tolist() == [0.0, 0.0, 0.5, 1.0, 0.0, 1.0]  # row 3 and row 5 end their pages
    assert s.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 0.25]  # row 4 begins its page
    e, _ = T.confirm_anchors(end, start, page, rows=2)
    assert e.tolist() == [0.5, 0.0, 0.5, 1.0, 0.0, 1.0]
    assert T.confirm_anchors(end, start, page, rows=0)[0] is end


def test_the_package_exposes_template_learning():
    import boiler

    pages = [["Home", f"An article sentence number {k} that differs.", "All news"] for k in range(3)]
    tpl = boiler.learn_template(pages, site="x.com")
    assert isinstance(tpl, boiler.SiteTemplate) and tpl.n_pages == 3 and "learn_template" in boiler.__all__
    assert boiler.TemplateStore is T.TemplateStore
