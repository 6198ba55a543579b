import gzip
import json

import pytest
from typer.testing import CliRunner

from boiler.align import align_lines, align_page, align_records, align_tokens
from boiler.cli import EXIT_FAILED_RECORDS, EXIT_INPUT, app
from boiler.formats import Failure, Page, read_lines_txt

runner = CliRunner()

BODY = [
    "A strong storm hit the coast on Monday, cutting power to thousands of homes.",
    "Officials said repairs to the lines would take several days.",
    "Schools in the county will stay closed until Wednesday.",
]
NEWS_PAGE = [
    "Storm hits coast - The Rivertown Herald",  # html-text's first line: the <title>
    "",
    "Home | News | Sport",
    "Storm hits coast",
    "By Jane Doe, 3 March 2024",
    *BODY,
    "",
    "Related stories",
    "Storm hits coast",
    "Rain expected again on Friday",
    "Share this story",
]
NEWS_GOLD = "Storm hits coast\n" + "\n".join(BODY) + "\n"


def judged(labels):
    """The labels of lines with words (html-text puts blank lines between blocks)."""
    return [label for label in labels if label != " "]


def labels_of(lines, gold):
    return align_lines(lines, gold).labels


def test_a_repeated_headline_goes_to_the_copy_above_the_text():
    labels = labels_of(NEWS_PAGE, NEWS_GOLD)
    assert labels == ["-", " ", "-", "+", "-", "+", "+", "+", " ", "-", "-", "-", "-"]


def test_a_headline_in_the_related_list_does_not_take_the_gold():
    page = ["Menu", *BODY, "More news", "Storm hits coast", "Rain expected again on Friday"]
    gold = "\n".join(BODY) + "\nStorm hits coast"  # the gold's headline comes last: only an in-order copy counts
    assert labels_of(page, gold) == ["-", "+", "+", "+", "-", "+", "-"]
    gold = "Storm hits coast\n" + "\n".join(BODY)  # the headline before the text: the list's copy is out of order
    assert labels_of(page, gold) == ["-", "+", "+", "+", "-", "-", "-"]


def test_gold_that_merges_two_lines_or_splits_one():
    page = ["Weather", "A strong storm hit the coast on Monday,", "cutting power to thousands of homes.", "Contact"]
    assert labels_of(page, "A strong storm hit the coast on Monday, cutting power to thousands of homes.") == \
        ["-", "+", "+", "-"]
    page = ["Weather", " ".join(BODY), "Contact"]
    assert labels_of(page, "\n\n".join(BODY)) == ["-", "+", "-"]


def test_case_punctuation_spacing_and_unicode_do_not_matter():
    page = ["Don’t   miss: the FINAL café-crème!", "Subscribe now"]
    gold = "don't miss the ﬁnal CAFÉ crème"  # ligature, straight quote, case, no punctuation
    result = align_lines(page, gold)
    assert result.labels == ["+", "-"]
    assert result.align_recall == 1.0 and result.align_precision == 1.0
    assert labels_of(["Ｔｏｋｙｏ ２０２４ games open"], "Tokyo 2024 games open") == ["+"]  # full-width forms


def test_a_line_is_body_when_at_least_half_of_its_words_align():
    gold = "alpha beta gamma delta"
    assert labels_of(["alpha beta zeta eta", "epsilon zeta eta", "gamma delta theta iota kappa"], gold) == \
        ["+", "-", "-"]


def test_lines_without_words_are_blank_labels_and_measures():
    page = ["", "   ", "* * *", "Menu", *BODY, "---"]
    result = align_lines(page, "\n".join(BODY[:2]))
    assert result.labels == [" ", " ", " ", "-", "+", "+", "-", " "]
    body = sum(len(line.split()) for line in BODY[:2])
    assert result.gold_tokens == body and result.body_tokens == body
    assert result.align_recall == 1.0 and result.align_precision == 1.0
    assert result.as_dict() == {"align_recall": 1.0, "align_precision": 1.0}


def test_precision_counts_the_unaligned_words_of_body_lines():
    result = align_lines(["one two three four five six", "seven eight"], "one two three four nine ten")
    assert result.labels == ["+", "-"]
    assert result.align_precision == pytest.approx(4 / 6)
    assert result.align_recall == pytest.approx(4 / 6)


def test_empty_gold_makes_every_line_chrome_and_an_empty_page_no_labels():
    result = align_lines(NEWS_PAGE, "")
    assert set(result.labels) == {"-", " "}
    assert result.align_recall == 1.0 and result.align_precision == 1.0
    assert align_lines(NEWS_PAGE, "  \n\n").labels == result.labels
    empty = align_lines([], NEWS_GOLD)
    assert empty.labels == [] and empty.align_recall == 0.0


def test_a_page_that_holds_its_article_twice_labels_one_copy():
    page = ["Menu", *BODY, "Print version", *BODY, "Footer"]
    labels = labels_of(page, "\n".join(BODY))
    assert labels == ["-", "+", "+", "+", "-", "-", "-", "-", "-"]


def test_words_the_page_lacks_or_moves_are_left_out():
    page = ["Intro text here about nothing", *BODY]
    gold = "\n".join(BODY) + "\nA closing remark the page never had."
    result = align_lines(page, gold)
    assert result.labels == ["-", "+", "+", "+"]
    assert result.align_recall == pytest.approx(result.aligned_tokens / result.gold_tokens)
    assert result.align_recall < 1.0


def test_alignment_is_order_preserving_and_one_to_one():
    P = ["a", "b", "c", "x", "a", "b", "c", "y", "a", "b", "c"]
    G = ["a", "b", "c", "y"]
    match = align_tokens(P, G)
    pairs = [(i, g) for i, g in enumerate(match) if g >= 0]
    assert [g for _, g in pairs] == sorted({g for _, g in pairs})  # increasing, each gold word once
    assert pairs[-1] == (7, 3)  # 'y', and the 'a b c' just before it


def test_a_2000_line_page_aligns_right_and_deterministically():
    # how fast is bench/align.py's to measure (DEVELOPERS.md: no timed assertions in tests)
    chrome = [f"menu item {k % 40} of section {k % 7}" for k in range(1400)]
    body = [f"Paragraph {k} tells of event {k * 7} in the town of Rivertown {k % 13} and more." for k in range(600)]
    page = chrome[:700] + body + chrome[700:]
    gold = "\n".join(body)
    result = align_lines(page, gold)
    assert result.labels == ["-"] * 700 + ["+"] * 600 + ["-"] * 700
    assert align_lines(page, gold) == result


def test_align_page_takes_html_or_text():
    html = ("<html><head><title>Storm hits coast - Herald</title></head><body>"
            "<ul><li>Home</li><li>News</li></ul><h1>Storm hits coast</h1>"
            + "".join(f"<p>{p}</p>" for p in BODY)
            + "<h3>Related</h3><ul><li>Storm hits coast</li><li>Rain expected</li></ul></body></html>")
    page = align_page(html, NEWS_GOLD, url="https://herald.example/storm", site="herald.example")
    assert page.lines[0] == "Storm hits coast - Herald"
    body = [line for line, label in zip(page.lines, page.labels) if label == "+"]
    assert body == ["Storm hits coast", *BODY]
    assert page.site == "herald.example" and page.url == "https://herald.example/storm"
    assert page.meta == {"align_recall": "1.0000", "align_precision": "1.0000"}
    text = align_page("\n".join(NEWS_PAGE), NEWS_GOLD)
    assert text.lines == NEWS_PAGE and text.labels == labels_of(NEWS_PAGE, NEWS_GOLD)
    assert align_page(html.encode("cp1252"), NEWS_GOLD, is_html=True).labels == page.labels


def test_align_records_reports_records_it_cannot_align():
    items = [Page(lines=[], html="<p>" + BODY[0] + "</p><p>Menu</p>", gold=BODY[0], id="a"),
             Page(lines=["text only"], id="b", source="x.jsonl", record=2),
             Failure("x.jsonl", 3, "invalid JSON")]
    out = list(align_records(items))
    assert judged(out[0]["labels"]) == ["+", "-"] and out[0]["align_recall"] == 1.0
    assert isinstance(out[1], Failure) and out[1].record == 2 and "gold" in out[1].message
    assert out[2] is items[2]


# -- the command ------------------------------------------------------------------------------

def run(*args):
    return runner.invoke(app, ["align", *map(str, args)])


@pytest.fixture()
def files(tmp_path):
    page = tmp_path / "storm.html"
    page.write_text("<title>Storm - Herald</title><p>Menu</p>" + "".join(f"<p>{p}</p>" for p in BODY),
                    encoding="utf-8")
    gold = tmp_path / "storm.gold.txt"
    gold.write_text("\n".join(BODY) + "\n", encoding="utf-8")
    return page, gold


def test_cli_one_page_to_stdout_and_to_a_file(files, tmp_path):
    page, gold = files
    r = run(page, gold)
    assert r.exit_code == 0, r.output
    labeled = read_lines_txt(r.stdout)
    assert judged(labeled.labels) == ["-", "-", "+", "+", "+"]
    assert labeled.meta["align_recall"] == "1.0000"
    out = tmp_path / "storm.lines.txt"
    r = run(page, gold, "-o", out)
    assert r.exit_code == 0, r.output
    assert read_lines_txt(out.read_text(encoding="utf-8")).labels == labeled.labels
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
    text = tmp_path / "storm.txt"
    text.write_text("Menu\n" + "\n".join(BODY) + "\n", encoding="utf-8")
    assert read_lines_txt(run(text, gold).stdout).labels == ["-", "+", "+", "+"]


def test_cli_missing_files_and_bad_usage_exit_2(files, tmp_path):
    page, gold = files
    for args in [(tmp_path / "nope.html", gold), (page, tmp_path / "nope.txt"), (page,), (),
                 (page, gold, "--pages", tmp_path / "p.jsonl"), ("--pages", tmp_path / "nope.jsonl")]:
        r = run(*args)
        assert r.exit_code == EXIT_INPUT, (args, r.output)
        assert "Traceback" not in r.output
    r = run(tmp_path / "nope.html", gold)
    assert "nope.html: no such file" in r.output


def test_cli_pages_jsonl_reports_bad_records_and_goes_on(tmp_path):
    src = tmp_path / "pages.jsonl.gz"
    good = {"id": "set/1", "url": "https://x.example/1", "site": "x.example",
            "html": "<p>Menu</p>" + "".join(f"<p>{p}</p>" for p in BODY), "gold": "\n".join(BODY)}
    rows = [json.dumps(good), "{not json", json.dumps({"id": "set/2", "html": "<p>no gold</p>"}),
            json.dumps({**good, "id": "set/3"})]
    with gzip.open(src, "wt", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    out = tmp_path / "lines.jsonl.gz"
    r = run("--pages", src, "-o", out)
    assert r.exit_code == EXIT_FAILED_RECORDS, r.output
    assert "record 2" in r.output and "record 3" in r.output and "2 failed" in r.output
    with gzip.open(out, "rt", encoding="utf-8") as f:
        recs = [json.loads(line) for line in f]
    assert [rec["id"] for rec in recs] == ["set/1", "set/3"]
    assert judged(recs[0]["labels"]) == ["-", "+", "+", "+"] and recs[0]["align_recall"] == 1.0
    assert set(recs[0]) == {"id", "url", "site", "lines", "labels", "align_recall", "align_precision"}
    src.write_bytes(gzip.compress(b""))
    assert run("--pages", src, "-o", out).exit_code == EXIT_INPUT
