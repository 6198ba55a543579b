"""``boiler templates learn / list / show``, ``--templates`` on label and clean, and ``clean --learn-templates``,
on the pages of a made-up outlet (the same menu and footer, different articles)."""

import json

import pytest
from typer.testing import CliRunner

from boiler.cli import EXIT_FAILED_RECORDS, EXIT_INPUT, app

runner = CliRunner()
SITE = "harbourgazette.co.uk"
MENU = ["Harbour Gazette", "Home | News | Sport | Opinion | Weather", "Subscribe"]
FOOTER = ["More from Harbour Gazette", "Ferry timetable changes announced for winter",
          "Council approves new car park on Quay Street", "© 2024 Harbour Gazette"]
ARTICLES = [
    ("Lifeboat crew rescues two walkers cut off by the tide",
     "Two walkers were rescued by the volunteer lifeboat crew on Sunday after the rising tide cut them off.",
     "The crew launched shortly after three o'clock and reached the pair within twenty minutes, the manager said."),
    ("Fish market reopens after six months of repairs",
     "The town's fish market reopened on Monday morning after six months of repairs to its roof and cold stores.",
     "Traders said the first day was busy, with restaurant owners queuing before the doors opened at five."),
    ("School choir wins regional competition",
     "The choir of St Anne's primary school won the regional competition in the city hall on Saturday evening.",
     "Forty pupils sang three songs, including one written by their music teacher about the old lighthouse."),
    ("New bus route links the harbour and the hospital",
     "A new bus route linking the harbour with the district hospital starts running next week, the operator said.",
     "Buses will run every half hour on weekdays and every hour at weekends, with the first leaving at six."),
    ("Storm damages sea wall along the promenade",
     "Last night's storm damaged a section of the sea wall along the promenade, and the path has been closed.",
     "Engineers will inspect the wall on Thursday and say how long the repairs are likely to take."),
    ("Library extends its opening hours in winter",
     "The town library will stay open until eight in the evening on weekdays from November, the council said.",
     "Staff said the longer hours were asked for by students who use the reading room to study after school."),
]


def page(k: int) -> list[str]:
    title, *paras = ARTICLES[k]
    return [*MENU, "", title, f"Published {k + 3} November 2024", "", paras[0], "", paras[1], "", *FOOTER]


def run(*args, input=None):
    r = runner.invoke(app, [str(a) for a in args], input=input)
    # an exception escaping the command would also exit 1: every exit here must be a deliberate one
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


@pytest.fixture()
def outlet(tmp_path):
    """Six text files of the outlet, one page each."""
    folder = tmp_path / "outlet"
    folder.mkdir()
    for k in range(len(ARTICLES)):
        (folder / f"story{k}.txt").write_text("\n".join(page(k)) + "\n", encoding="utf-8")
    return folder


@pytest.fixture()
def records(tmp_path):
    """The outlet's pages as JSONL records with URLs, a broken line, and a page with no site or URL."""
    rows = [json.dumps({"id": f"s{k}", "url": f"https://www.{SITE}/news/{k}", "text": "\n".join(page(k))})
            for k in range(len(ARTICLES))]
    rows.insert(3, '{"id": "broken"')
    rows.append(json.dumps({"id": "lone", "text": "A page of its own, with a sentence of text and no address."}))
    path = tmp_path / "pages.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def store(tmp_path, outlet):
    folder = tmp_path / "store"
    r = run("templates", "learn", outlet, "--site", SITE, "--store", folder)
    assert r.exit_code == 0, r.output
    return folder


def test_learn_list_show(outlet, store):
    assert [p.name for p in store.iterdir()] == [f"{SITE}.json"]
    r = run("templates", "list", "--store", store)
    assert r.exit_code == 0 and r.stdout == f"{SITE}\t6\n"
    r = run("templates", "show", SITE, "--store", store)
    assert r.exit_code == 0, r.output
    for text in ("pages seen: 6", "typical body", "region openers", "region closers", "More from Harbour Gazette",
                 "Home | News | Sport | Opinion | Weather", "published <date>"):
        assert text in r.stdout, text
    r = run("templates", "show", f"https://www.{SITE}/news/9", "--store", store, "--format", "json")
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert shown["site"] == SITE and shown["pages"] == 6 and shown["body_span"]
    assert {"More from Harbour Gazette", "© 2024 Harbour Gazette"} <= {x["line"] for x in shown["openers"]}
    assert {"Harbour Gazette", "Subscribe"} <= {x["line"] for x in shown["closers"]}
    footer = next(x for x in shown["lines"] if x["line"] == "Ferry timetable changes announced for winter")
    assert (footer["pages"], footer["before"], footer["inside"], footer["after"]) == (6, 0, 0, 6)
    # learning the same pages again changes nothing; a new page is added to the template
    r = run("templates", "learn", outlet, "--site", SITE, "--store", store)
    assert r.exit_code == 0 and "0 page(s) learned (6 seen before), 6 in all" in r.stderr
    (outlet / "story6.txt").write_text("\n".join([*MENU, "Harbour news in brief.", *FOOTER]) + "\n")
    r = run("templates", "learn", outlet / "story6.txt", "--site", SITE, "--store", store)
    assert r.exit_code == 0 and "1 page(s) learned, 7 in all" in r.stderr
    assert run("templates", "list", "--store", store).stdout == f"{SITE}\t7\n"


def test_learn_groups_records_by_site_and_reports_what_it_cannot_use(records, tmp_path):
    store = tmp_path / "store"
    r = run("templates", "learn", records, "--store", store)
    assert r.exit_code == EXIT_FAILED_RECORDS
    assert "record 4: invalid JSON" in r.stderr and "record 8: no site" in r.stderr
    assert f"{SITE}: 6 page(s) learned" in r.stderr and "6 page(s) read, 2 failed" in r.stderr
    assert run("templates", "list", "--store", store).stdout == f"{SITE}\t6\n"


def test_show_unknown_site_and_missing_store(store, tmp_path):
    r = run("templates", "show", "nowhere.example", "--store", store)
    assert r.exit_code == EXIT_INPUT and "no template of nowhere.example" in r.stderr
    r = run("templates", "list", "--store", tmp_path / "missing")
    assert r.exit_code == EXIT_INPUT and "no such folder" in r.stderr


def test_label_uses_the_sites_template(outlet, store, small_model_dir):
    story = outlet / "story2.txt"
    r = run("label", story, "--site", SITE, "--templates", store, "--model", small_model_dir)
    assert r.exit_code == 0, r.output
    assert f"({SITE}, template: 6 page(s))" in r.stdout and "not used" not in r.stdout
    assert "site template: on 5 of the site's 5 other pages" in r.stdout  # a reason names the template
    r = run("label", story, "--site", SITE, "--templates", store, "--model", small_model_dir, "-f", "jsonl")
    rec = json.loads(r.stdout)
    assert any("site template" in why for why in rec["reasons"])
    assert rec["template"] == {"site": SITE, "pages": 6, "used": True, "why_not": None}
    r = run("label", story, "--site", SITE, "--no-templates", "--model", small_model_dir)
    assert r.exit_code == 0 and "site template:" not in r.stdout
    # a page of another layout: the view says why the site's template was not used
    redesign = outlet / "redesign.txt"
    redesign.write_text("A new front page of the redesigned site, with a menu of other words.\n"
                        "Its first story tells of the harbour's new ferry, launched on Monday morning.\n"
                        "The second is about the library, open late all through the exam season.\n")
    r = run("label", redesign, "--site", SITE, "--templates", store, "--model", small_model_dir)
    assert r.exit_code == 0 and f"({SITE}, template: 6 page(s))" in r.stdout
    assert "site template not used on this page: 0% of the page's lines occur on the site's other pages" in r.stdout
    assert "site template: on" not in r.stdout
    r = run("label", redesign, "--site", SITE, "--templates", store, "--model", small_model_dir, "-f", "jsonl")
    assert json.loads(r.stdout)["template"]["used"] is False and "0% of the page's lines" in r.stdout
    r = run("label", redesign, "--model", small_model_dir, "-f", "jsonl")  # no site: no template, no key
    assert r.exit_code == 0 and "template" not in json.loads(r.stdout)
    r = run("label", story, "--templates", store, "--no-templates", "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT
    r = run("label", story, "--templates", store / "missing", "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT and "no such folder" in r.stderr


def test_clean_learn_templates_gives_one_record_per_input_and_drops_the_footer(records, small_model_dir, tmp_path):
    saved = tmp_path / "saved"
    r = run("clean", records, "-f", "jsonl", "--labels", "--learn-templates", "--save-templates", saved,
            "--no-templates", "--model", small_model_dir)
    assert r.exit_code == EXIT_FAILED_RECORDS, r.output
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in out] == ["s0", "s1", "s2", None, "s3", "s4", "s5", "lone"]
    assert "invalid JSON" in out[3]["error"] and "8 read, 7 written, 1 failed" in r.stderr
    for rec in out[:3] + out[4:7]:
        assert rec["site"] == SITE and rec["tokens_kept"] > 0
        assert not any(line in rec["text"].splitlines() for line in FOOTER), rec["text"]
    assert out[7]["lines_kept"] + out[7]["lines_dropped"] == 1  # alone on its site: cleaned without a template
    # the footer line is taken for chrome because of the template: without one it scores higher on every page
    plain = run("clean", records, "-f", "jsonl", "--labels", "--no-templates", "--model", small_model_dir)
    row = page(0).index(FOOTER[1])
    for with_tpl, without in zip(out, (json.loads(x) for x in plain.stdout.splitlines())):
        if with_tpl["id"] not in (None, "lone"):
            assert with_tpl["p_body"][row] < without["p_body"][row]
    assert "site templates learned for 1 site(s) from 6 page(s); 1 page(s) without a site" in r.stderr
    assert run("templates", "list", "--store", saved).stdout == f"{SITE}\t6\n"
    # stdin is read once, its pages spooled for the second pass; worker processes get the templates: the same output
    r2 = run("clean", "-", "-f", "jsonl", "--labels", "--learn-templates", "--no-templates", "--jobs", 2,
             "--model", small_model_dir, input=records.read_text(encoding="utf-8"))
    assert r2.exit_code == EXIT_FAILED_RECORDS
    assert r2.stdout == r.stdout.replace(json.dumps(str(records)), '"-"')  # the error record's source is stdin


def test_clean_learn_templates_on_a_full_disk_is_a_clear_error(records, small_model_dir, tmp_path, monkeypatch):
    import tempfile

    from boiler.pipeline import PageSpool

    # no room for the spool at all: TMPDIR is named, exit 2, nothing written
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    r = run("clean", records, "-f", "jsonl", "--learn-templates", "--no-templates", "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT and "gone: cannot make a temporary file" in r.stderr and "TMPDIR" in r.stderr
    assert r.stdout == ""
    monkeypatch.undo()

    # the disk fills up while the first pass writes (a spool that holds no page in memory, as with more
    # pages than it holds): the file it would have become is not written
    import boiler.cli

    monkeypatch.setattr(boiler.cli, "SPOOL_MEMORY_PAGES", 0)
    add = PageSpool.add

    def full_after_two(self, item):
        if self.count == 2:
            real, self._file = self._file, _FullDisk()
            try:
                return add(self, item)
            finally:
                self._file = real
        return add(self, item)

    monkeypatch.setattr(PageSpool, "add", full_after_two)
    out = tmp_path / "out.jsonl"
    r = run("clean", records, "-o", out, "--learn-templates", "--no-templates", "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT and "No space left on device" in r.stderr and "TMPDIR" in r.stderr
    assert not out.exists() and list(tmp_path.glob(".out.jsonl*")) == []
    monkeypatch.undo()

    # the spool is cut short before the second pass reads it back
    monkeypatch.setattr(boiler.cli, "SPOOL_MEMORY_PAGES", 0)

    def cut(self, item):
        add(self, item)
        self._file.truncate(0)

    monkeypatch.setattr(PageSpool, "add", cut)
    r = run("clean", records, "-o", out, "--learn-templates", "--no-templates", "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT and "cannot read page 1 of" in r.stderr and "TMPDIR" in r.stderr
    assert not out.exists()


class _FullDisk:
    """A file on a full disk: every write fails as the OS fails it."""

    def write(self, data):
        raise OSError(28, "No space left on device")


def test_clean_save_templates_needs_learn_templates(records, small_model_dir, tmp_path):
    r = run("clean", records, "--save-templates", tmp_path / "t", "--model", small_model_dir)
    assert r.exit_code == EXIT_INPUT and "--learn-templates" in r.stderr


def test_a_corrupt_template_is_a_clear_error(outlet, store, small_model_dir):
    (store / f"{SITE}.json").write_text('{"kind": "boiler site template", "format": 1, "site": ', encoding="utf-8")
    r = run("templates", "show", SITE, "--store", store)
    assert r.exit_code == EXIT_INPUT and f"{SITE}.json: not a site template" in r.stderr
    r = run("templates", "list", "--store", store)
    assert r.exit_code == EXIT_FAILED_RECORDS and f"{SITE}.json" in r.stderr and r.stdout == ""
    r = run("templates", "learn", outlet, "--site", SITE, "--store", store)
    assert r.exit_code == EXIT_INPUT and "remove the file" in r.stderr
    r = run("label", outlet / "story1.txt", "--site", SITE, "--templates", store, "--model", small_model_dir)
    assert r.exit_code == EXIT_FAILED_RECORDS and "its site template cannot be read" in r.stderr
    r = run("clean", outlet / "story1.txt", outlet / "story2.txt", "--site", SITE, "--templates", store,
            "-f", "jsonl", "--model", small_model_dir)
    assert r.exit_code == EXIT_FAILED_RECORDS
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == 2 and all("its site template cannot be read" in x["error"] for x in out)
