import pickle

import pytest

from boiler.labeler import NOTHING_TO_JUDGE, Labeler, LineResult, default_model_path

PAGE = """Home | News | Sport
Rivertown Herald

The Mill Lane footbridge reopened on Friday morning, five months after the river tore away two of its supports.
Engineers replaced the damaged piers with concrete footings set a metre deeper than the originals, the council said.
---
Share
Read more
"""


def test_one_result_per_line_in_order(small_labeler):
    lines = PAGE.split("\n")[:-1]
    res = small_labeler.label(PAGE)
    assert [r.text for r in res] == lines
    assert all(isinstance(r, LineResult) for r in res)
    blank = [r for r in res if r.text in ("", "---")]
    assert all(r.is_body is None and r.label == " " and r.reason == NOTHING_TO_JUDGE for r in blank)
    judged = [r for r in res if r.is_body is not None]
    assert all(0.0 <= r.p_body <= 1.0 and r.reason for r in judged)
    page_cut = min(small_labeler.threshold, small_labeler.model.relative_threshold * max(r.p_body for r in judged))
    assert all(r.is_body == (r.p_body >= page_cut) for r in judged)


def test_text_and_lines_give_the_same(small_labeler):
    a = small_labeler.label(PAGE, reasons=False)
    b = small_labeler.label(PAGE.split("\n")[:-1], site="rivertown-herald.example", url="https://x", reasons=False)
    assert [(r.is_body, r.p_body) for r in a] == [(r.is_body, r.p_body) for r in b]


def test_batch_equals_single_pages(small_labeler, own_pages):
    pages = [p.lines for p in own_pages.pages[:7]]
    batch = small_labeler.label_pages(pages)
    for page, res in zip(pages, batch):
        single = small_labeler.label(page, reasons=False)
        assert [r.p_body for r in single] == pytest.approx([r.p_body for r in res], abs=1e-6)


def test_clean_returns_body_lines(small_labeler):
    res = small_labeler.label(PAGE, reasons=False)
    assert small_labeler.clean(PAGE) == "\n".join(r.text for r in res if r.is_body)
    assert small_labeler.clean_pages([PAGE, ""]) == [small_labeler.clean(PAGE), ""]


def test_reasons_name_features_in_words(small_labeler):
    res = small_labeler.label("Share\n" + "A long line of running text that is the article, with many words in it. " * 2)
    assert any(word in res[0].reason for word in ("short line", "words", "lines", "page", "chrome", "body"))


def test_label_html(small_labeler):
    res = small_labeler.label_html("<html><body><nav><a>Home</a></nav><p>A paragraph of text that ends.</p></body></html>")
    assert [r.text for r in res if r.is_body is not None] == ["Home", "A paragraph of text that ends."]
    assert small_labeler.clean_html(b"<p>Only text.</p>") in ("Only text.", "")


def test_labeler_is_picklable(small_labeler):
    clone = pickle.loads(pickle.dumps(small_labeler))
    assert [r.p_body for r in clone.label(PAGE)] == [r.p_body for r in small_labeler.label(PAGE)]


def test_default_model_is_found_in_the_checkout():
    path = default_model_path()
    assert (path / "model.json").is_file() and (path / "model.skops").is_file()


def test_load_default_model(default_labeler):
    assert isinstance(default_labeler, Labeler)
    assert default_labeler.meta["training_sets"]
