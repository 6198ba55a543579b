import pytest

from boiler.diff import ChangeKind, diff_models
from boiler.evaluate import page_counts, score_pages
from boiler.formats import Page
from boiler.labeler import Labeler
from boiler.training import fit_model


@pytest.fixture(scope="module")
def weaker_labeler(own_pages):
    """A second model, trained on fewer pages with fewer trees: it labels some lines differently."""
    return Labeler(fit_model(own_pages.pages[::3], n_folds=2, stage1_iter=8, stage2_iter=5), source="weaker")


def test_a_model_against_itself_changes_nothing(small_labeler, own_pages):
    d = diff_models(small_labeler, small_labeler, own_pages.pages[:10])
    assert d.changes == [] and d.pages == 10 and d.labeled_pages == 10
    assert d.scores_a.as_dict() == d.scores_b.as_dict()


def test_changes_are_exactly_the_lines_labeled_differently(small_labeler, weaker_labeler, own_pages):
    pages = own_pages.pages
    d = diff_models(weaker_labeler, small_labeler, pages)
    ra = weaker_labeler.label_pages([p.lines for p in pages])
    rb = small_labeler.label_pages([p.lines for p in pages])
    expected = {(p.id, i + 1) for p, a, b in zip(pages, ra, rb) for i, (x, y) in enumerate(zip(a, b))
                if x.label != y.label}
    assert expected, "the two models should disagree somewhere"
    assert {(c.page, c.line) for c in d.changes} == expected
    assert d.lines == sum(len(p.lines) for p in pages)
    # the scores are those of the text-track metric for each model
    sa = score_pages([page_counts(p.lines, p.labels, [r.is_body for r in res]) for p, res in zip(pages, ra)])
    assert d.scores_a.f1 == pytest.approx(sa.f1)


def test_regressions_first_then_fixes_each_largest_first(small_labeler, weaker_labeler, own_pages):
    d = diff_models(small_labeler, weaker_labeler, own_pages.pages)
    kinds = [c.kind for c in d.changes]
    assert ChangeKind.REGRESSION in kinds
    order = {ChangeKind.REGRESSION: 0, ChangeKind.FIX: 1, ChangeKind.CHANGE: 2}
    assert [order[k] for k in kinds] == sorted(order[k] for k in kinds)
    for kind in ChangeKind:
        tokens = [c.tokens for c in d.changes if c.kind is kind]
        assert tokens == sorted(tokens, reverse=True)
    for c in d.changes:
        if c.kind is ChangeKind.REGRESSION:
            assert c.label_a == c.gold != c.label_b
        elif c.kind is ChangeKind.FIX:
            assert c.label_b == c.gold != c.label_a
    summary = d.summary()
    assert summary["regressions"] == kinds.count(ChangeKind.REGRESSION)
    assert summary["changed_lines"] == len(d.changes)


def test_unlabeled_pages_give_plain_changes(small_labeler, weaker_labeler, own_pages):
    pages = [Page(lines=p.lines, id=p.id) for p in own_pages.pages]
    d = diff_models(small_labeler, weaker_labeler, pages)
    assert d.changes and {c.kind for c in d.changes} == {ChangeKind.CHANGE}
    assert d.labeled_pages == 0 and d.scores_a is None
    assert all(c.gold is None for c in d.changes)


def test_html_pages_are_labeled_as_boiler_label_labels_them(small_model, small_html_model):
    from boiler.html import parse_html

    html = ("<html><body><nav><a href='/'>Home</a> <a href='/n'>News</a></nav><article><h1>A headline</h1>"
            "<p>The first paragraph of the story, long enough to judge, ends here.</p><p>Share</p></article>"
            "<footer>All news</footer></body></html>")
    with_html = Labeler(small_model, html_model=small_html_model, source="with html model")
    text_only = Labeler(small_model, source="text model")
    d = diff_models(with_html, text_only, [Page(lines=[], html=html, id="p")])
    a = with_html.label_html(html)
    b = text_only.label_pages([parse_html(html).lines])[0]
    differ = {i + 1 for i, (x, y) in enumerate(zip(a, b)) if x.label != y.label}
    assert differ, "the HTML model and the text model should disagree somewhere on this page"
    assert d.lines == len(a) and {c.line for c in d.changes} == differ
    assert [c.label_a for c in d.changes] == [a[c.line - 1].label for c in d.changes]
