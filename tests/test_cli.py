import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boiler import __version__
from boiler.cli import EXIT_FAILED_RECORDS, EXIT_INPUT, EXIT_MODEL, EXIT_REGRESSIONS, app
from boiler.formats import read_lines_txt

from conftest import DATA, TRAINING_PAGES

runner = CliRunner()
NEWS = DATA / "handmade_news.lines.txt"


@pytest.fixture()
def text_page(tmp_path):
    page = read_lines_txt(NEWS.read_text(encoding="utf-8"))
    path = tmp_path / "news.txt"
    path.write_text("\n".join(page.lines) + "\n", encoding="utf-8")
    return path


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_version_and_help():
    r = run("--version")
    assert r.exit_code == 0 and __version__ in r.stdout
    r = run("--help")
    assert r.exit_code == 0 and all(cmd in r.stdout for cmd in ("label", "clean", "train", "eval"))


def test_label_lines_format_is_ready_to_correct(text_page, small_model_dir):
    r = run("label", text_page, "--format", "lines", "--model", small_model_dir, "--site", "rivertown-herald.example")
    assert r.exit_code == 0, r.output
    page = read_lines_txt(r.stdout)
    assert page.site == "rivertown-herald.example"
    assert page.lines == read_lines_txt(NEWS.read_text(encoding="utf-8")).lines
    assert set(page.labels) <= {"+", "-", " "}


def test_label_lines_to_a_folder(text_page, small_model_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    r = run("label", text_page, "--format", "lines", "-o", out, "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    assert [p.name for p in out.iterdir()] == ["news.lines.txt"]


def test_label_records_to_a_folder_keeps_their_ids(small_model_dir, tmp_path):
    src = tmp_path / "pages.jsonl"
    src.write_text("\n".join(json.dumps({"id": f"set/R{k}", "site": "x.com", "text": "Menu\nSome text."})
                             for k in range(3)) + "\n")
    out = tmp_path / "out"
    r = run("label", src, "--format", "lines", "-o", str(out) + "/", "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    pages = [read_lines_txt(p.read_text(), str(p)) for p in sorted(out.iterdir())]
    assert [p.id for p in pages] == ["set/R0", "set/R1", "set/R2"] and {p.site for p in pages} == {"x.com"}


def test_label_jsonl_from_stdin(small_model_dir):
    r = run("label", "-", "--format", "jsonl", "--model", small_model_dir,
            input='{"id": "a", "text": "Home\\n\\nA sentence of an article that ends here."}\n')
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout)
    assert rec["id"] == "a" and rec["labels"][1] == " " and len(rec["p_body"]) == 3 and len(rec["reasons"]) == 3


def test_label_pretty_shows_probabilities_and_reasons(text_page, small_model_dir):
    r = run("label", text_page, "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    assert "Footbridge reopens after flood repairs" in r.stdout
    assert any(w in r.stdout for w in ("→ body", "→ chrome"))


def test_clean_text_and_jsonl(text_page, small_model_dir, tmp_path):
    r = run("clean", text_page, "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    out = tmp_path / "out.jsonl.gz"
    r = run("clean", text_page, "--format", "jsonl", "-o", out, "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    (rec,) = [json.loads(x) for x in gzip.open(out, "rt")]
    assert rec["lines_kept"] + rec["lines_dropped"] == sum(1 for x in read_lines_txt(NEWS.read_text()).labels if x != " ")
    assert rec["tokens_kept"] > 0 and rec["text"]


def test_clean_html_pages_jsonl(tmp_path, small_model_dir):
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps({"id": "h", "url": None, "site": None, "html": "<p>A sentence of text here.</p>",
                                "gold": "x"}) + "\n")
    r = run("clean", path, "--format", "jsonl", "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["id"] == "h"


def test_bad_record_is_reported_counted_and_the_rest_goes_on(tmp_path, small_model_dir):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "1", "text": "First page text."}\n{oops\n{"id": "3", "text": "Third page."}\n')
    r = run("clean", path, "--format", "jsonl", "--model", small_model_dir)
    assert r.exit_code == EXIT_FAILED_RECORDS
    records = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in records] == ["1", None, "3"]  # one record per input record, in order
    assert records[1]["record"] == 2 and "invalid JSON" in records[1]["error"] and "text" not in records[1]
    assert "record 2" in r.stderr and "3 read, 2 written, 1 failed" in r.stderr
    errors = tmp_path / "errors.jsonl"
    r = run("clean", path, "--format", "jsonl", "--model", small_model_dir, "--errors", errors)
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == ["1", "3"]
    assert [json.loads(x)["record"] for x in errors.read_text().splitlines()] == [2]


@pytest.mark.parametrize("content", [None, b"\x00\x01\x02\x03binary"])
def test_unreadable_input_is_one_clear_line(tmp_path, small_model_dir, content):
    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    r = run("label", path, "--model", small_model_dir)
    assert r.exit_code == EXIT_FAILED_RECORDS
    assert "input.txt" in r.stderr and "Traceback" not in r.output


def test_empty_input_is_an_error(small_model_dir):
    r = run("clean", "-", "--model", small_model_dir, input="")
    assert r.exit_code == EXIT_INPUT and "no pages" in r.stderr


def test_bad_model_folder_exits_3(tmp_path, text_page):
    r = run("label", text_page, "--model", tmp_path)
    assert r.exit_code == EXIT_MODEL and "no model metadata" in r.stderr


def test_train_and_eval(tmp_path):
    model = tmp_path / "m"
    r = run("train", DATA, "-o", model)
    assert r.exit_code == 0, r.output
    meta = json.loads((model / "model.json").read_text())
    assert meta["pages"] == len(list(DATA.glob("*.lines.txt"))) and "stage1_features" in meta
    r = run("eval", DATA, "--model", model, "--json")
    assert r.exit_code == 0, r.output
    scores = json.loads(r.stdout)
    assert 0 <= scores["overall"]["f1"] <= 1 and "data" in scores["per_set"]
    r = run("eval", DATA, "--model", model, "--by", "site")
    assert r.exit_code == 0 and "rivertown-herald.example" in r.stdout


def test_train_and_eval_report_each_unusable_record_once_and_exit_1(tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "bad.lines.txt").write_text("+ fine\n* not a label\n", encoding="utf-8")
    r = run("train", data, "-o", tmp_path / "m")
    assert r.exit_code == EXIT_FAILED_RECORDS, r.output
    assert r.stderr.count("bad.lines.txt") == 1 and "1 record(s) could not be used" in r.stderr
    assert json.loads((tmp_path / "m" / "model.json").read_text())["failures"] == 1
    r = run("eval", data, "--model", tmp_path / "m")
    assert r.exit_code == EXIT_FAILED_RECORDS and r.stderr.count("bad.lines.txt") == 1


def test_train_with_nothing_to_learn_is_an_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("train", empty, "-o", tmp_path / "m")
    assert r.exit_code == EXIT_INPUT and "no labeled pages" in r.stderr


@pytest.fixture(scope="module")
def weaker_model_dir(own_pages, tmp_path_factory):
    from boiler.modelio import save_model
    from boiler.training import fit_model

    out = tmp_path_factory.mktemp("weaker")
    save_model(fit_model(own_pages.pages[::3], n_folds=2, stage1_iter=8, stage2_iter=5), out, {})
    return out


def test_diff_of_a_model_with_itself(small_model_dir):
    r = run("diff", small_model_dir, small_model_dir, DATA)
    assert r.exit_code == 0, r.output
    assert "0 line(s) changed" in r.stdout and "scores on the labeled pages" in r.stdout


def test_diff_lists_regressions_first_and_can_fail_on_them(small_model_dir, weaker_model_dir):
    r = run("diff", small_model_dir, weaker_model_dir, TRAINING_PAGES, "--format", "jsonl")
    assert r.exit_code == 0, r.output
    changes = [json.loads(line) for line in r.stdout.splitlines()]
    kinds = [c["kind"] for c in changes]
    assert kinds and kinds[0] == "regression"
    assert kinds == sorted(kinds, key=["regression", "fix", "change"].index)
    summary = json.loads(r.stderr.strip().splitlines()[0])
    assert summary["changed_lines"] == len(changes) and summary["regressions"] == kinds.count("regression")
    r = run("diff", small_model_dir, weaker_model_dir, TRAINING_PAGES, "--fail-on-regression", "--limit", "3")
    assert r.exit_code == EXIT_REGRESSIONS
    assert r.stdout.count("regression ") == 3 and "more (--limit 0 shows all" in r.stdout
    r = run("diff", weaker_model_dir, small_model_dir, TRAINING_PAGES, "--format", "jsonl")
    assert sorted(json.loads(x)["kind"] for x in r.stdout.splitlines()).count("fix") == kinds.count("regression")


def test_diff_with_a_bad_model_exits_3(small_model_dir, tmp_path):
    r = run("diff", small_model_dir, tmp_path, DATA)
    assert r.exit_code == EXIT_MODEL and str(tmp_path) in r.stderr


def test_report_writes_one_html_file(small_model_dir, text_page, tmp_path):
    out = tmp_path / "report.html"
    r = run("report", text_page, DATA / "handmade_news.lines.txt", "-o", out, "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    doc = out.read_text(encoding="utf-8")
    assert doc.startswith("<!DOCTYPE html>") and doc.count('<section class="page"') == 2
    assert not any(ref in doc for ref in ("src=", "href=", "<link", "@import", "url("))  # self-contained


def test_report_goes_on_past_a_bad_file_and_needs_an_output(small_model_dir, text_page, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00binary\x00")
    out = tmp_path / "report.html"
    r = run("report", bad, text_page, "-o", out, "--model", small_model_dir)
    assert r.exit_code == EXIT_FAILED_RECORDS and "bad.txt" in r.stderr
    assert out.read_text(encoding="utf-8").count('<section class="page"') == 1
    r = run("report", text_page, "--model", small_model_dir)
    assert r.exit_code == 2 and "--output" in r.output


def test_clean_in_two_processes_with_side_outputs_equals_one(small_model_dir, tmp_path):
    src = tmp_path / "in.jsonl.zst"
    import zstandard

    rows = [json.dumps({"id": str(k), "text": f"Menu\nA paragraph of text number {k}, long enough to keep."})
            for k in range(20)] + ['{"id": "cut"']
    src.write_bytes(zstandard.ZstdCompressor().compress(("\n".join(rows) + "\n").encode()))
    outs = {}
    for jobs in (1, 2):
        out, dropped = tmp_path / f"out{jobs}.jsonl.gz", tmp_path / f"dropped{jobs}.jsonl"
        r = run("clean", src, "-f", "jsonl", "-o", out, "--dropped", dropped, "--jobs", jobs, "--progress",
                "--model", small_model_dir)
        assert r.exit_code == EXIT_FAILED_RECORDS and "21 read, 20 written, 1 failed" in r.stderr
        outs[jobs] = (gzip.decompress(out.read_bytes()), dropped.read_bytes())
        assert len(dropped.read_text().splitlines()) == 20
    assert outs[1] == outs[2]
    assert [json.loads(x)["id"] for x in outs[1][0].decode().splitlines()] == [str(k) for k in range(20)] + [None]


def test_clean_dask_engine_needs_a_scheduler(small_model_dir, text_page):
    r = run("clean", text_page, "--engine", "dask", "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT and "--scheduler" in r.stderr


def test_clean_low_memory_gives_the_same_output(text_page, small_model_dir):
    a = run("clean", text_page, "-f", "jsonl", "--model", small_model_dir)
    b = run("clean", text_page, "-f", "jsonl", "--model", small_model_dir, "--low-memory")
    assert a.exit_code == b.exit_code == 0 and a.stdout == b.stdout


# -- HTML input -------------------------------------------------------------------------------------

NEWS_HTML = ("<!DOCTYPE html><html><head><title>Council passes budget</title></head><body>"
             "<nav class='menu'><ul><li><a href='/'>Home</a></li><li><a href='/w'>World</a></li></ul></nav>"
             "<article class='story-body'><p>The council approved the new budget on Tuesday after a long debate, "
             "and the mayor said the money would go to schools and roads.</p></article>"
             "<footer class='site-footer'>© The outlet</footer></body></html>")


def test_label_html_pretty_shows_each_lines_tag_path(tmp_path, small_html_model_dir):
    page = tmp_path / "page.html"
    page.write_text(NEWS_HTML)
    r = run("label", page, "--model", small_html_model_dir)
    assert r.exit_code == 0, r.output
    assert "<body > nav.menu > ul > li > a>" in r.output
    assert "article.story > p>" in r.output


def test_label_html_from_stdin_is_recognised_and_gives_paths_in_jsonl(small_html_model_dir):
    r = run("label", "-", "--format", "jsonl", "--model", small_html_model_dir, input=NEWS_HTML)
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout.splitlines()[0])
    assert rec["lines"][0] == "Council passes budget" and rec["paths"][0].endswith("head > title")


def test_hostile_html_pages_give_a_result_or_a_clear_error_and_the_batch_goes_on(tmp_path, small_html_model_dir):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a_good.html").write_text(NEWS_HTML)
    (folder / "b_big.html").write_text("<html><body>" + "<p>A paragraph of some words that goes on for a while.</p>" * 360_000
                                       + "</body></html>")  # 20 MB
    (folder / "c_deep.html").write_text("<div>" * 100_000 + "deep" + "</div>" * 100_000)
    (folder / "d_broken.html").write_text("<p>Unclosed <b>bold <i>and italic</p></div></span><li>item<td>cell")
    (folder / "e_charset.html").write_bytes('<meta charset="utf-8"><p>Café au lait, crème brûlée</p>'.encode("cp1252"))
    (folder / "f_empty.html").write_text("<html><body><script>x()</script></body></html>")
    (folder / "g_binary.html").write_bytes(bytes(range(256)) * 200)
    out = tmp_path / "out.jsonl"
    r = run("clean", folder, "--format", "jsonl", "-o", out, "--model", small_html_model_dir)
    assert r.exit_code == 1, r.output  # some records failed: reported and counted
    recs = {Path(rec["source"] if "error" in rec else rec["id"]).name: rec for rec in map(json.loads, out.read_text().splitlines())}
    assert len(recs) == 7
    assert "council approved" in recs["a_good.html"]["text"]
    assert recs["b_big.html"]["lines_kept"] + recs["b_big.html"]["lines_dropped"] == 360_000
    assert "nested too deep" in recs["c_deep.html"]["error"]
    assert "error" not in recs["d_broken.html"]
    assert "Café au lait" in "".join(_all_lines(recs["e_charset.html"]))
    assert "empty page" in recs["f_empty.html"]["error"]
    assert "binary data" in recs["g_binary.html"]["error"]
    assert "7 page(s)" not in r.stderr and "failed" in r.stderr


def _all_lines(rec):
    return [rec.get("text", "")] + rec.get("dropped", [])


def test_a_damaged_html_model_stops_the_run_with_exit_3(tmp_path, small_html_model_dir, text_page):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(small_html_model_dir, folder)
    (folder / "html" / "model.skops").write_bytes(b"not a model")
    r = run("label", text_page, "--model", folder)
    assert r.exit_code == 3
    assert "model.skops" in r.stderr and "Traceback" not in r.output


def test_label_records_to_a_folder_never_overwrite_each_other(small_model_dir, tmp_path):
    # the same id twice, ids that one file name stands for, and records without an id (named after the file)
    ids = ["same", "same", "a/b", "a_b", None, None]
    src = tmp_path / "dup.jsonl"
    src.write_text("\n".join(json.dumps({"id": i, "text": f"Menu\nSome text of page {k}."}) for k, i in enumerate(ids)) + "\n")
    out = tmp_path / "out"
    r = run("label", src, "--format", "lines", "-o", str(out) + "/", "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    pages = [read_lines_txt(p.read_text(), str(p)) for p in out.iterdir()]
    assert len(pages) == len(ids)
    assert sorted(p.lines[1] for p in pages) == [f"Some text of page {k}." for k in range(len(ids))]
    assert sorted(p.id for p in pages if p.id in ("same", "a/b", "a_b")) == ["a/b", "a_b", "same", "same"]


def test_label_lines_of_several_pages_to_one_stream_read_back(text_page, small_model_dir, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("Home\nAnother page of text that ends here.\n", encoding="utf-8")
    r = run("label", text_page, other, "--format", "lines", "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    both = tmp_path / "both.lines.txt"
    both.write_text(r.stdout, encoding="utf-8")
    from boiler.formats import read_inputs

    pages = list(read_inputs([both]))
    assert [p.id for p in pages] == ["both", "other.txt"]  # the first page is named by the file, as one alone
    assert pages[1].lines == ["Home", "Another page of text that ends here."]
    r = run("eval", both, "--model", small_model_dir, "--json")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("command", [["clean"], ["label", "--format", "jsonl"], ["report"]])
def test_an_output_path_that_is_a_folder_is_one_clear_error(command, text_page, small_model_dir, tmp_path):
    r = run(*command, text_page, "-o", tmp_path, "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT
    assert str(tmp_path) in r.output and "Traceback" not in r.output and ".partial" not in r.output
    r = run("clean", text_page, "-o", tmp_path / "no" / "such" / "folder.txt", "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT and "folder.txt" in r.output and ".partial" not in r.output


def test_report_needs_at_least_one_page(text_page, small_model_dir, tmp_path):
    r = run("report", text_page, "-o", tmp_path / "r.html", "--max-pages", "0", "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT and not (tmp_path / "r.html").exists()


def test_label_jsonl_names_the_site_of_the_url(text_page, small_model_dir):
    r = run("label", text_page, "--format", "jsonl", "--url", "https://www.example.co.uk/news/1", "--model",
            small_model_dir)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["site"] == "example.co.uk"


def test_clean_reports_a_record_whose_id_is_not_text_and_goes_on(small_model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "One sentence of text."}\n{"id": "\\ud800x", "text": "Two."}\n'
                   '{"id": 3, "site": ["x"], "text": "Three."}\n{"id": 4, "text": "Four sentences of text."}\n')
    out = tmp_path / "out.jsonl"
    r = run("clean", src, "-f", "jsonl", "-o", out, "--model", small_model_dir)
    assert r.exit_code == EXIT_FAILED_RECORDS, r.output
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r.get("id") for r in recs] == ["a", "\\ud800x", "3", "4"]
    assert ["error" in r for r in recs] == [False, True, True, False] and "'site' must be a string" in recs[2]["error"]


def test_gzip_jsonl_on_stdin_is_read_record_by_record(small_model_dir):
    data = gzip.compress(b'{"id": "a", "text": "One sentence of text."}\n{"id": "b", "text": "Two sentences."}\n')
    r = runner.invoke(app, ["clean", "-", "-f", "jsonl", "--model", str(small_model_dir)], input=data)
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == ["a", "b"]


def test_no_pages_names_where_it_looked(small_model_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("clean", empty, "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT and f"no pages in {empty}" in r.output
    r = run("label", "-", "--model", small_model_dir, input="")
    assert r.exit_code == EXIT_INPUT and "no pages in stdin" in r.output


def test_a_site_given_as_a_host_name_finds_and_makes_the_outlets_template(small_model_dir, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    for k in range(3):
        (pages / f"p{k}.txt").write_text(f"Home\nNews\nA story number {k} of the outlet, told at length.\nShare\n")
    store = tmp_path / "store"
    r = run("templates", "learn", pages, "--site", "www.Example.co.uk", "--store", store)
    assert r.exit_code == 0, r.output
    assert [p.name for p in store.iterdir()] == ["example.co.uk.json"]
    r = run("templates", "show", "www.example.co.uk", "--store", store)
    assert r.exit_code == 0, r.output
    r = run("label", pages / "p0.txt", "-f", "jsonl", "--site", "www.example.co.uk", "--templates", store,
            "--model", small_model_dir)
    rec = json.loads(r.stdout)
    assert r.exit_code == 0 and rec["site"] == "example.co.uk" and rec["template"]["site"] == "example.co.uk"


def test_diff_with_nothing_to_compare_writes_nothing_to_stdout(small_model_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("diff", small_model_dir, small_model_dir, empty)
    assert r.exit_code == EXIT_INPUT and r.stdout == "" and "no pages in" in r.stderr


def test_diff_of_an_html_page_uses_each_folders_html_model(small_model_dir, small_html_model_dir, tmp_path):
    from boiler import load
    from boiler.html import parse_html

    html = ("<html><body><nav><a href='/'>Home</a> <a href='/n'>News</a></nav><article><h1>A headline</h1>"
            "<p>The first paragraph of the story, long enough to judge, ends here.</p><p>Share</p></article>"
            "<footer>All news</footer></body></html>")
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    r = run("diff", small_html_model_dir, small_model_dir, page, "-f", "jsonl")
    assert r.exit_code == 0, r.output
    a = load(small_html_model_dir, templates=None).label_html(html)
    b = load(small_model_dir, templates=None).label_pages([parse_html(html).lines])[0]
    changed = [json.loads(x) for x in r.stdout.splitlines()]
    assert changed, "the HTML model and the text model should disagree somewhere on this page"
    assert {c["line"] for c in changed} == {i + 1 for i, (x, y) in enumerate(zip(a, b)) if x.label != y.label}
