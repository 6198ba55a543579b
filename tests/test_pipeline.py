import json

import pytest
from conftest import DATA

from boiler.formats import Failure, Page, atomic_output, read_inputs, read_lines_txt
from boiler.pipeline import (
    CleanOptions,
    PageSpool,
    ReadPage,
    TemplateLearner,
    batches,
    clean_batch,
    is_error,
    learn_batch_templates,
    read_page,
    run_local,
    with_templates,
)
from boiler.templates import template_from_json, template_to_json

NEWS = read_lines_txt((DATA / "handmade_news.lines.txt").read_text(encoding="utf-8")).lines
HTML = ("<html><body><nav><a href='/'>Home</a> | <a href='/news'>News</a></nav><article><p>"
        + "The council approved the new budget for the river footbridge on Tuesday evening after a long debate. " * 3
        + "</p></article></body></html>")


#: A page too large to parse within a short time limit.
HUGE = "<html><body>" + "<div><p>Some words in a paragraph of text.</p></div>" * 200_000 + "</body></html>"


def _items():
    return [Page(lines=NEWS, id="text", url="https://www.rivertown-herald.co.uk/news/1", source="a.txt"),
            Failure("b.jsonl", 7, "invalid JSON"),
            Page(lines=[], html=HTML, id="html", url="http://news.example.co.uk/x", source="c.html"),
            Page(lines=["", "   "], id="blank", source="d.txt", record=3)]


def test_one_record_per_item_in_order(small_labeler):
    out = clean_batch(small_labeler, _items())
    assert [is_error(r) for r in out] == [False, True, False, True]
    text, failure, html, blank = out
    res = small_labeler.label(NEWS, reasons=False)
    assert text["text"] == "\n".join(r.text for r in res if r.is_body)
    assert text["lines_kept"] == sum(r.is_body is True for r in res)
    assert text["lines_dropped"] == sum(r.is_body is False for r in res)
    assert text["tokens_kept"] > 0 and text["site"] == "rivertown-herald.co.uk"
    assert failure == {"id": None, "url": None, "source": "b.jsonl", "record": 7, "error": "invalid JSON"}
    assert html["site"] == "example.co.uk"
    assert html["lines_kept"] + html["lines_dropped"] == 2  # the menu and the paragraph, parsed from the HTML
    assert blank["record"] == 3 and "empty page" in blank["error"] and "text" not in blank


def test_options_add_labels_and_dropped_lines(small_labeler):
    out = clean_batch(small_labeler, _items()[:1], CleanOptions(labels=True, dropped=True))[0]
    res = small_labeler.label(NEWS, reasons=False)
    assert out["labels"] == [r.label for r in res]
    assert out["p_body"] == [round(r.p_body, 4) for r in res]
    assert out["dropped"] == [r.text for r in res if r.is_body is False]


def test_a_page_over_the_time_limit_is_an_error_record_and_the_batch_goes_on(small_labeler):
    items = [Page(lines=[], html=HUGE, id="huge", source="huge.html"), _items()[0]]
    out = clean_batch(small_labeler, items, CleanOptions(time_limit=0.05))
    assert is_error(out[0]) and "per-page limit" in out[0]["error"] and out[0]["id"] == "huge"
    assert not is_error(out[1])


def test_batches_keep_order_and_sizes():
    chunks = list(batches(range(7), 3))
    assert chunks == [[0, 1, 2], [3, 4, 5], [6]]


def test_two_worker_processes_give_the_local_result(small_labeler):
    items = [Page(lines=NEWS[k:] or ["x"], id=str(k), source="s") for k in range(40)] + [Failure("f", 1, "bad")]
    one = [r for chunk in run_local(items, small_labeler, jobs=1, batch_pages=7) for r in chunk]
    two = [r for chunk in run_local(items, small_labeler, jobs=2, batch_pages=7) for r in chunk]
    assert json.dumps(one) == json.dumps(two)
    assert [r["id"] for r in one[:40]] == [str(k) for k in range(40)]


def test_atomic_output_keeps_the_old_file_when_interrupted(tmp_path):
    path = tmp_path / "out.txt.gz"
    with atomic_output(str(path)) as f:
        f.write("old\n")
    with pytest.raises(KeyboardInterrupt), atomic_output(str(path)) as f:
        f.write("half of the new\n")
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt.gz"]
    assert [p.lines for p in read_inputs([path])] == [["old"]]


def _outlet_pages(n: int) -> list[list[str]]:
    """Pages of one outlet: the same menu and footer, a different article each."""
    topics = ["the harbour", "a new school", "the river bridge", "winter storms", "the town budget", "a choir",
              "the old mill"]
    return [["Home | World | Sport", "Markets", f"A story about {topics[k]}",
             f"The reporter wrote about {topics[k]} this week, and the paragraph ended with a full stop as usual.",
             "Most read on the site", "Terms of use"] for k in range(n)]


def test_template_learner_learns_a_site_in_parts_as_in_one_go():
    pages = _outlet_pages(7)
    whole = TemplateLearner()
    parts = TemplateLearner(site_pages=3)
    for lines in pages:
        whole.add("Outlet.example", lines)
        parts.add("outlet.example", lines)
    a, b = whole.finish()["outlet.example"], parts.finish()["outlet.example"]
    assert a.n_pages == b.n_pages == 7 and parts.learned("outlet.example") == 7
    assert {k: c.pages for k, c in a.lines.items()} == {k: c.pages for k, c in b.lines.items()}
    assert a.lines["terms of use"].pages == 7


def test_template_learner_passes_over_small_sites_and_keeps_the_row_ids_of_final_templates():
    learner = TemplateLearner(min_pages=2, row_ids=1000)
    for lines in _outlet_pages(3):
        learner.add("outlet.example", lines)
    learner.add("lone.example", ["A page alone on its site, with a sentence."])
    got = learner.finish()
    assert list(got) == ["outlet.example"]  # the lone site is not learned at all
    assert got["outlet.example"].kept_rows() == 18 and learner.row_ids == 1000 - 18
    every = TemplateLearner()
    every.add("lone.example", ["A page alone on its site, with a sentence."])
    assert every.finish()["lone.example"].n_pages == 1 and every.finish()["lone.example"].kept_rows() == 0
    parts = TemplateLearner(site_pages=2, row_ids=1000)  # the part learned first may change: no ids kept
    for lines in _outlet_pages(3):
        parts.add("outlet.example", lines)
    assert parts.templates["outlet.example"].kept_rows() == 0
    assert parts.finish()["outlet.example"].kept_rows() == 6  # the last part's page
    few = TemplateLearner(row_ids=10)  # a budget for fewer rows than the site's: the pages that fit
    for lines in _outlet_pages(3):
        few.add("outlet.example", lines)
    assert few.finish()["outlet.example"].kept_rows() == 6 and few.row_ids == 4


def test_learn_batch_templates_skips_lone_sites_failures_and_pages_without_a_site():
    items = [Page(lines=lines, url=f"https://www.outlet.example.com/{k}", source="a") for k, lines in
             enumerate(_outlet_pages(4))]
    items += [Page(lines=["A page alone on its site, with a sentence."], url="https://lone.example.org/", source="b"),
              Page(lines=["No address at all on this page."], source="c"), Failure("d", 1, "bad"),
              Page(lines=["", " "], url="https://www.outlet.example.com/blank", source="e")]
    learned, no_site = learn_batch_templates(items)
    assert list(learned) == ["example.com"] and learned["example.com"].n_pages == 4 and no_site == 1


def test_with_templates_labels_with_the_learned_ones_and_pickles(small_labeler):
    import pickle

    pages = _outlet_pages(5)
    items = [Page(lines=lines, id=str(k), url=f"https://outlet.example.com/{k}", source="a")
             for k, lines in enumerate(pages)]
    learned, _ = learn_batch_templates(items)
    labeler = pickle.loads(pickle.dumps(with_templates(small_labeler, learned)))
    assert labeler.template_for(url="https://outlet.example.com/9").n_pages == 5
    assert labeler.template_for(site="elsewhere.org") is None
    plain = clean_batch(small_labeler, items, CleanOptions(labels=True))
    tpl = clean_batch(labeler, items, CleanOptions(labels=True))
    assert [r["id"] for r in tpl] == [str(k) for k in range(5)]
    assert tpl != plain  # the template changed the scores (each page left out of its own template)
    expected = labeler.label_pages(pages, templates=[learned["example.com"]] * 5)
    assert [r["p_body"] for r in tpl] == [[round(x.p_body, 4) for x in res] for res in expected]
    # the learned templates keep their pages' row ids; without them (as read back from JSON), the same records
    assert learned["example.com"].kept_rows() == 30
    bare = {s: template_from_json(template_to_json(t), s) for s, t in learned.items()}
    assert bare["example.com"].kept_rows() == 0
    assert clean_batch(with_templates(small_labeler, bare), items, CleanOptions(labels=True)) == tpl


def test_a_read_page_cleans_as_the_page_it_was_read_from(small_labeler):
    items = _items()
    read = [item if isinstance(item, Failure) else read_page(item) for item in items]
    assert isinstance(read[2], ReadPage) and read[2].html is not None and read[2].page.html is None
    assert clean_batch(small_labeler, read) == clean_batch(small_labeler, items)


def test_a_page_that_cannot_be_read_keeps_its_error_for_the_cleaning_pass(small_labeler):
    page = Page(lines=[], html=HUGE, id="huge", source="huge.html", record=4)
    read = read_page(page, CleanOptions(time_limit=0.05))
    assert read.error is not None and "per-page limit" in read.error and read.lines == []
    out = clean_batch(small_labeler, [read])[0]
    assert is_error(out) and out["id"] == "huge" and out["record"] == 4 and out["error"] == read.error


def test_the_learning_pass_spools_every_item_read_once_in_order(small_labeler, monkeypatch):
    import boiler.pipeline as P

    calls = []
    parse = P.parse_html
    monkeypatch.setattr(P, "parse_html", lambda *a, **k: calls.append(1) or parse(*a, **k))
    items = _items() + [Page(lines=lines, id=str(k), url=f"https://outlet.example.com/{k}", source="o")
                        for k, lines in enumerate(_outlet_pages(3))]
    with PageSpool(memory_pages=3) as spool:  # the first three held as read, the rest written to its file
        learned, _ = learn_batch_templates(items, spool=spool)
        assert len(calls) == 1 and spool.count == len(items) and len(spool._held) == 3
        again = list(spool)
        labeler = with_templates(small_labeler, learned)
        assert clean_batch(labeler, again) == clean_batch(labeler, items) == clean_batch(labeler, list(spool))
    assert len(calls) == 2  # cleaning the items parsed the HTML page again; cleaning the spool, never
    assert [type(x).__name__ for x in again] == ["ReadPage", "Failure"] + ["ReadPage"] * 5


class _FullDisk:
    """A file on a full disk: every write fails as the OS fails it."""

    def write(self, data):
        raise OSError(28, "No space left on device")


def test_a_spool_that_cannot_be_made_written_or_read_back_is_a_spool_error_naming_its_folder(tmp_path):
    from boiler.errors import SpoolError

    with pytest.raises(SpoolError, match=r"missing: cannot make a temporary file"):
        PageSpool(str(tmp_path / "missing"))
    read = ReadPage(Page(lines=NEWS, id="a", source="s"), NEWS)
    with PageSpool(str(tmp_path), memory_pages=0) as spool:
        real, spool._file = spool._file, _FullDisk()
        with pytest.raises(SpoolError, match=r"cannot write to a temporary file \(No space left on device\)") as err:
            spool.add(read)
        assert err.value.folder == str(tmp_path) and spool.count == 0
        spool._file = real
        spool.add(read)
        spool.add(read)
        size = spool._file.tell()
        spool._file.truncate(size - 10)  # the second page cut short under us
        spool._file.seek(0, 2)
        it = iter(spool)
        assert next(it).page.id == "a"
        with pytest.raises(SpoolError, match=r"cannot read page 2 of 2 back"):
            next(it)


def test_with_templates_keeps_the_html_model(small_model, small_html_model, small_model_dir, tmp_path):
    # corpus mode over HTML: the learned templates' labeler labels HTML pages with the HTML model, as
    # the labeler it came from does (with no template of the site, the same records)
    from boiler.labeler import Labeler

    labeler = Labeler(small_model, html_model=small_html_model)
    items = [Page(lines=[], html=HTML, id="h", url="http://news.example.co.uk/x", source="c.html")]
    plain = clean_batch(labeler, items, CleanOptions(labels=True))
    learned = with_templates(labeler, {})
    assert learned.html_labeler().model is small_html_model
    assert clean_batch(learned, items, CleanOptions(labels=True)) == plain
    assert clean_batch(Labeler(small_model), items, CleanOptions(labels=True)) != plain  # (the text model's)
    # an HTML model loaded from its folder is not loaded again, and the copy pickles without it
    from boiler.modelio import save_model

    save_model(small_html_model, tmp_path / "html", {})
    from_disk = Labeler(small_model, html_model=str(tmp_path / "html"))
    loaded = from_disk.html_labeler().model
    copy = with_templates(from_disk, {})
    assert copy.html_labeler().model is loaded and copy.html_labeler().templates is copy.templates
    import pickle

    assert pickle.loads(pickle.dumps(copy)).html_labeler().model is not loaded
