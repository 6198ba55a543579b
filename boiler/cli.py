"""The ``boiler`` command: a thin layer over the library. Data goes to stdout, diagnostics to stderr.

Exit codes: 0 all went well; 1 some records failed (the rest were processed); 2 bad usage or an
input that cannot be read at all; 3 the model cannot be loaded; 4 a regression (diff --fail-on-regression).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from . import __version__
from .errors import BoilerError, InputError, ModelFileError, SpoolError
from .formats import (
    DEFAULT_FIELDS,
    Failure,
    Page,
    RecordFields,
    format_lines_txt,
    open_output,
    read_inputs,
    record_from_page,
)
from .html import HtmlPage, parse_html
from .labeler import (
    BATCH_PAGES,
    Labeler,
    LineResult,
    default_model_path,
    default_template_path,
    load,
)
from .modelio import atomic_write
from .pipeline import SPOOL_MEMORY_PAGES, PageSpool, batches, page_site
from .sites import normal_site
from .templates import SiteTemplate, TemplateStore, template_fit

class _Commands(typer.core.TyperGroup):
    """The command group: a file-system error that no command handled (an output path that is a folder,
    in no folder, or not writable; a full disk) ends the run with one line naming the path, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.filename is None:
                raise
            raise _fail(f"{exc.filename}: {exc.strerror or exc}", EXIT_INPUT) from None


app = typer.Typer(cls=_Commands, add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Label each line of scraped pages as article body or site chrome.")
templates_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                            help="Site templates: what recurs on an outlet's pages, learned from the pages alone.")
app.add_typer(templates_app, name="templates")

EXIT_OK, EXIT_FAILED_RECORDS, EXIT_INPUT, EXIT_MODEL, EXIT_REGRESSIONS = 0, 1, 2, 3, 4
#: Pages per batch with ``clean --low-memory``.
LOW_MEMORY_BATCH = 32


class LabelFormat(str, Enum):
    pretty = "pretty"
    jsonl = "jsonl"
    lines = "lines"


class CleanFormat(str, Enum):
    text = "text"
    jsonl = "jsonl"


class DiffFormat(str, Enum):
    pretty = "pretty"
    jsonl = "jsonl"


class ShowFormat(str, Enum):
    pretty = "pretty"
    json = "json"


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(message: str, code: int) -> typer.Exit:
    _err().print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"boiler {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details to stderr."),
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


def _load(model: Path | str | None, compiled: bool = True, templates: Path | str | None = "default") -> Labeler:
    if model is not None and str(model) == "default":
        model = None
    try:
        labeler = load(model, compiled=compiled, templates=templates)
        labeler.html_labeler()  # the HTML model too, so that a damaged one stops the run here, not mid-batch
        return labeler
    except ModelFileError as exc:
        raise _fail(str(exc), EXIT_MODEL) from None


_TEMPLATES_HELP = "Folder of site templates used for pages whose site or URL is known (default: the shipped store)."
_NO_TEMPLATES_HELP = "Label every page on its own, without site templates."


def _template_choice(templates: Path | None, no_templates: bool) -> Path | str | None:
    """What ``--templates DIR`` / ``--no-templates`` ask for, as :func:`boiler.load` takes it."""
    if templates is not None and no_templates:
        raise _fail("--templates and --no-templates exclude each other", EXIT_INPUT)
    if no_templates:
        return None
    if templates is None:
        return "default"
    if not templates.is_dir():
        raise _fail(f"{templates}: no such folder (--templates takes a folder of site templates)", EXIT_INPUT)
    return templates


def _skipped(console: Console, message: object) -> None:
    console.print(f"[yellow]skipped:[/] {message}", markup=True, soft_wrap=True, highlight=False)


def _where(page: Page) -> str:
    return page.source + (f": record {page.record}" if page.record is not None else "")


class _Batch:
    """Reads pages, turns HTML into lines, and counts what failed; yields chunks of pages."""

    def __init__(self, inputs: list[str], html: bool | None, site: str | None, url: str | None,
                 fields: RecordFields = DEFAULT_FIELDS):
        self.inputs = inputs or ["-"]
        self.html = html
        self.site, self.url = site, url
        self.fields = fields
        self.read = 0
        self.failed = 0
        self._parsed: dict[int, HtmlPage] = {}  # HTML pages of the current chunk, by id() of their Page

    def pages(self) -> Iterator[Page]:
        console = _err()
        for item in read_inputs(self.inputs, html=self.html, fields=self.fields):
            if isinstance(item, Failure):
                self.fail(console, item)
                continue
            if item.html is not None and not item.lines:
                try:
                    hp = parse_html(item.html, item.source)
                except InputError as exc:
                    self.fail(console, exc)
                    continue
                item.lines = hp.lines
                self._parsed[id(item)] = hp
            item.site = self.site or item.site
            item.url = self.url or item.url
            self.read += 1
            yield item

    def fail(self, console: Console, message: object) -> None:
        """Report one record that could not be read, and count it."""
        self.failed += 1
        _skipped(console, message)

    def reject(self, console: Console, message: object) -> None:
        """Report a page that was read but cannot be used, and count it as failed instead."""
        self.read -= 1
        self.fail(console, message)

    def chunks(self) -> Iterator[list[Page]]:
        for chunk in batches(self.pages(), BATCH_PAGES):
            yield chunk
            self._parsed.clear()

    def take_parsed(self, page: Page) -> HtmlPage | None:
        """The parsed HTML of a page :meth:`pages` yielded, handed over (kept no longer): for a caller
        that reads pages one by one rather than by :meth:`chunks`."""
        return self._parsed.pop(id(page), None)

    def parsed(self, pages: list[Page]) -> list[HtmlPage | None]:
        """The parsed HTML of each page of the current chunk (None for a text page)."""
        return [self._parsed.get(id(p)) for p in pages]

    def finish(self, what: str) -> None:
        console = _err()
        if self.failed or self.read != 1:
            console.print(f"{self.read} page(s) {what}, {self.failed} failed", highlight=False)
        if self.failed:
            raise typer.Exit(EXIT_FAILED_RECORDS)
        if self.read == 0:
            raise _fail(_no_pages(self.inputs), EXIT_INPUT)


def _no_pages(inputs: list[str] | None) -> str:
    """The error of a run that found no page, naming where it looked (an empty folder, empty stdin)."""
    names = [("stdin" if x == "-" else str(x)) for x in (inputs or ["-"])]
    return "no pages in " + (", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else ""))


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=_err(), transient=True, disable=not enabled)


def _pretty(console: Console, page: Page, results: list[LineResult], template: SiteTemplate | None = None,
            why_not: str | None = None) -> None:
    """One page's lines, coloured, with their probabilities and reasons; ``why_not``: why the site's
    ``template`` was not used on the page (:meth:`~boiler.templates.TemplateFit.why_not`), if it was not."""
    title = page.id or page.source
    about = [page.site or (template.site if template is not None else None)]
    if template is not None:
        about.append(f"template: {template.n_pages} page(s)")
    about = [a for a in about if a]
    console.rule(f"{title}" + (f"  ({', '.join(about)})" if about else ""))
    if why_not:  # a page of another layout, most often: the site redesigned since
        console.print(Text(f"site template not used on this page: {why_not}", style="yellow"), soft_wrap=True)
    for r in results:
        if r.is_body is None:
            console.print(Text("      ", style="dim") + Text(r.text, style="dim"))
            continue
        style = "green" if r.is_body else "red"
        line = Text(f"{r.label} {r.p_body:4.2f} ", style=f"bold {style}")
        line.append(r.text, style=style if r.is_body else "dim red")
        console.print(line, soft_wrap=True)
        if r.path:
            console.print(Text(f"         <{r.path}>", style="magenta"), soft_wrap=True)
        if r.reason:
            console.print(Text(f"         {r.reason}", style="italic cyan"), soft_wrap=True)


@app.command()
def label(
    inputs: list[str] = typer.Argument(None, help="Text, .lines.txt, .html or JSONL files, folders, or - for stdin."),
    site: str = typer.Option(None, help="The outlet (registered domain) of the pages."),
    url: str = typer.Option(None, help="The address of the page."),
    fmt: LabelFormat = typer.Option(LabelFormat.pretty, "--format", "-f",
                                    help="pretty: coloured per-line view; jsonl: one record per page; "
                                         "lines: the .lines.txt format, to correct and train on."),
    output: str = typer.Option(None, "--output", "-o",
                               help="Output file (default stdout); with --format lines, a folder gets one file per page."),
    model: Path = typer.Option(None, help="Model folder (default: the shipped model)."),
    html: bool = typer.Option(None, "--html/--text", help="Read plain files as HTML (or as text); default by name."),
    reasons: bool = typer.Option(True, "--reasons/--no-reasons", help="Say why each line got its label."),
    templates: Path = typer.Option(None, "--templates", help=_TEMPLATES_HELP),
    no_templates: bool = typer.Option(False, "--no-templates", help=_NO_TEMPLATES_HELP),
) -> None:
    """Label every line of each page body (+) or chrome (-), with a probability and a reason.

    With --site or --url (or records that carry them), the site's template from the store is used."""
    labeler = _load(model, templates=_template_choice(templates, no_templates))
    batch = _Batch(inputs, html, site, url)
    to_folder = fmt is LabelFormat.lines and output and (output.endswith(os.sep) or Path(output).is_dir())
    stream = None if to_folder else open_output(output)
    names: set[str] = set()  # the file names given so far (to_folder), case folded
    written = 0
    console = Console(file=stream, highlight=False, force_terminal=None) if fmt is LabelFormat.pretty else None
    try:
        for chunk in batch.chunks():
            chunk, tpls = _with_templates(labeler, chunk, batch)
            results = labeler.label_mixed([p.lines for p in chunk], batch.parsed(chunk), reasons=reasons, templates=tpls)
            for page, res, tpl in zip(chunk, results, tpls):
                page.labels = [r.label for r in res]
                # whether the page passed the site template's gates, and if not why, for the two views that say
                why_not = template_fit(page.lines, tpl).why_not() if tpl is not None and fmt is not LabelFormat.lines else None
                if fmt is LabelFormat.pretty:
                    _pretty(console, page, res, tpl, why_not)
                elif fmt is LabelFormat.jsonl:
                    rec = record_from_page(page)
                    rec["site"] = page_site(page)  # given, or the URL's registered domain (as boiler clean says)
                    rec["p_body"] = [round(r.p_body, 4) for r in res]
                    if reasons:
                        rec["reasons"] = [r.reason for r in res]
                    if any(r.path for r in res):
                        rec["paths"] = [r.path for r in res]
                    if tpl is not None:
                        rec["template"] = {"site": tpl.site, "pages": tpl.n_pages, "used": why_not is None,
                                           "why_not": why_not}
                    stream.write(json.dumps(rec, ensure_ascii=False) + "\n")
                elif to_folder:
                    name = _unique_name(_safe_name(page.id or Path(page.source).name or "page"), page, names)
                    if page.id and name != page.id.removesuffix(".txt") + ".lines.txt":
                        page.meta["id"] = page.id  # the file name alone would not give the id back
                    text = format_lines_txt(page)
                    atomic_write(Path(output) / name, lambda tmp, t=text: Path(tmp).write_text(t, encoding="utf-8"))
                else:
                    if page.id and (page.record is not None or written):
                        page.meta["id"] = page.id  # a record's id: kept for whoever reads the file back
                    elif written and not (page.site or page.url or page.meta):
                        page.meta["source"] = page.source  # a metadata line opens each page after the first
                    stream.write(format_lines_txt(page))
                written += 1
    finally:
        if stream not in (None, sys.stdout):
            stream.close()
    batch.finish("labeled")


def _unique_name(stem: str, page: Page, taken: set[str]) -> str:
    """``stem.lines.txt``, or where a page of this run already has that name (the same id twice, or ids
    that differ only where a file name cannot, or in case), ``stem.N.lines.txt`` (N the page's record
    number, or a count): no page's file overwrites another's."""
    name = stem + ".lines.txt"
    k = page.record or 2
    while name.casefold() in taken:
        name = f"{stem}.{k}.lines.txt"
        k += 1
    taken.add(name.casefold())
    return name


def _with_templates(labeler: Labeler, chunk: list[Page], batch: _Batch) -> tuple[list[Page], list[SiteTemplate | None]]:
    """The chunk's pages with their sites' templates; a page whose template file cannot be read is
    reported, counted and left out."""
    pages, tpls = [], []
    for page in chunk:
        try:
            tpls.append(labeler.template_for(page.site, page.url))
        except InputError as exc:
            batch.reject(_err(), f"{_where(page)}: its site template cannot be read: {exc}")
            continue
        pages.append(page)
    return pages, tpls


def _safe_name(name: str) -> str:
    name = name.removesuffix(".lines.txt").removesuffix(".txt")
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "page"


class Engine(str, Enum):
    local = "local"
    dask = "dask"


def _known_total(inputs: list[str]) -> int | None:
    """How many pages the inputs hold, when that is known without reading them: one page a file."""
    from .formats import _expand, _is_jsonl
    from .warc import is_warc

    if not inputs or "-" in inputs:
        return None
    files = list(_expand(inputs))
    if any(_is_jsonl(f.lower()) or is_warc(f) for f in files):
        return None
    return len(files)


@app.command()
def clean(
    inputs: list[str] = typer.Argument(None, help="Text, .html, JSONL, WARC or WET files (.gz, .zst), folders, or - for stdin."),
    fmt: CleanFormat = typer.Option(CleanFormat.text, "--format", "-f",
                                    help="text: the body text, pages separated by a blank line; "
                                         "jsonl: one record per input record, cleaned page or error."),
    output: str = typer.Option(None, "--output", "-o",
                               help="Output file (default stdout; .gz or .zst compresses); written to a "
                                    "temporary name and renamed at the end, so an interrupted run leaves no half file."),
    model: Path = typer.Option(None, help="Model folder (default: the shipped model)."),
    html: bool = typer.Option(None, "--html/--text", help="Read plain files as HTML (or as text); default by name."),
    site: str = typer.Option(None, help="The outlet (registered domain) of the pages."),
    url: str = typer.Option(None, help="The address of the page."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes (local engine)."),
    engine: Engine = typer.Option(Engine.local, help="local: this machine; dask: a Dask cluster (--scheduler)."),
    scheduler: str = typer.Option(None, help="Address of the Dask scheduler, such as tcp://10.0.0.5:8786."),
    labels: bool = typer.Option(False, "--labels", help="JSONL: add each line's label and probability."),
    dropped: str = typer.Option(None, "--dropped", help="Also write the dropped lines of each page here (JSONL), for audit."),
    errors: str = typer.Option(None, "--errors", help="Write error records here instead of into the JSONL output."),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds a page may take to parse (0: no limit)."),
    text_field: str = typer.Option("text", help="JSONL field holding a page's text."),
    html_field: str = typer.Option("html", help="JSONL field holding a page's HTML."),
    url_field: str = typer.Option("url", help="JSONL field holding a page's URL."),
    id_field: str = typer.Option("id", help="JSONL field holding a page's id."),
    progress: bool = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr (default: when it is a terminal)."),
    low_memory: bool = typer.Option(False, "--low-memory",
                                    help=f"Batches of {LOW_MEMORY_BATCH} pages and scikit-learn's tree walk instead of "
                                         "the compiled one: under 300 MB, somewhat slower."),
    templates: Path = typer.Option(None, "--templates", help=_TEMPLATES_HELP),
    no_templates: bool = typer.Option(False, "--no-templates", help=_NO_TEMPLATES_HELP),
    learn_templates: bool = typer.Option(False, "--learn-templates",
                                         help="Corpus mode: first learn a template per site from the input's own pages "
                                              "(sites with at least two pages), then clean each page with its site's "
                                              "template, which leaves the page itself out. Reads the input twice "
                                              "(stdin is spooled to a temporary file)."),
    save_templates: Path = typer.Option(None, "--save-templates",
                                        help="With --learn-templates: also write the learned templates to this folder "
                                             "(replacing templates of the same sites there)."),
) -> None:
    """Keep only the body lines of each page. Every input record gives one output record or one error record."""
    from .formats import atomic_output
    from .pipeline import CleanOptions, is_error, run_local

    if engine is Engine.dask and not scheduler:
        raise _fail("--engine dask needs --scheduler ADDRESS", EXIT_INPUT)
    if save_templates is not None and not learn_templates:
        raise _fail("--save-templates needs --learn-templates", EXIT_INPUT)
    labeler = _load(model, compiled=not low_memory, templates=_template_choice(templates, no_templates))
    batch_pages = LOW_MEMORY_BATCH if low_memory else BATCH_PAGES
    options = CleanOptions(labels=labels, dropped=dropped is not None, time_limit=time_limit or None)
    fields = RecordFields(id=id_field, url=url_field, text=text_field, html=html_field)

    def items():
        for item in read_inputs(inputs or ["-"], html=html, fields=fields):
            if isinstance(item, Page):
                item.site = site or item.site
                item.url = url or item.url
            yield item

    counts = {"read": 0, "written": 0, "failed": 0}
    console = _err()
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with contextlib.ExitStack() as stack:
            source = items()
            if learn_templates:  # the first pass reads (and parses) each page once, into a spool the second reads
                spool = stack.enter_context(PageSpool(memory_pages=0 if low_memory else SPOOL_MEMORY_PAGES))
                labeler = _learn_corpus_templates(labeler, source, options, save_templates, spool)
                source = iter(spool)
            if engine is Engine.dask:
                from .distributed import run_dask

                results = run_dask(source, labeler, scheduler, options, batch_pages=batch_pages)
            else:
                results = run_local(source, labeler, options, jobs=jobs, batch_pages=batch_pages)
            out = stack.enter_context(atomic_output(output))
            side = stack.enter_context(atomic_output(dropped)) if dropped else None
            err_out = stack.enter_context(atomic_output(errors)) if errors else None
            bar = stack.enter_context(Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                               TextColumn("{task.fields[rate]} pages/s · {task.fields[failed]} failed"),
                                               TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                                               transient=True, disable=not show))
            task = bar.add_task("cleaning", total=_known_total(inputs or ["-"]), rate="0", failed=0)
            started = time.perf_counter()
            first = True
            for chunk in results:
                for rec in chunk:
                    counts["read"] += 1
                    if is_error(rec):
                        counts["failed"] += 1
                        where = rec["source"] + (f": record {rec['record']}" if rec.get("record") is not None else "")
                        console.print(f"[yellow]failed:[/] {where}: {rec['error']}", markup=True, soft_wrap=True,
                                      highlight=False)
                        if err_out is not None:
                            err_out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                        elif fmt is CleanFormat.jsonl:
                            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                        continue
                    counts["written"] += 1
                    if side is not None:
                        side.write(json.dumps({"id": rec["id"], "url": rec["url"], "dropped": rec.pop("dropped")},
                                              ensure_ascii=False) + "\n")
                    if fmt is CleanFormat.text:
                        out.write(("" if first else "\n") + (rec["text"] + "\n" if rec["text"] else ""))
                        first = False
                    else:
                        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                elapsed = max(time.perf_counter() - started, 1e-9)
                bar.update(task, completed=counts["read"], rate=f"{counts['read'] / elapsed:.0f}", failed=counts["failed"])
    except SpoolError as exc:  # either pass could not keep or read back its pages: an output file is not written
        raise _spool_failed(exc, counts["read"]) from None
    if counts["read"] == 0:
        raise _fail(_no_pages(inputs), EXIT_INPUT)
    if counts["failed"] or counts["read"] != 1:
        console.print(f"{counts['read']} read, {counts['written']} written, {counts['failed']} failed", highlight=False)
    if counts["failed"]:
        raise typer.Exit(EXIT_FAILED_RECORDS)


def _spool_failed(exc: SpoolError, done: int = 0) -> typer.Exit:
    """The error of a corpus pass whose spool failed; ``done``: records the second pass had already output
    (on stdout they stay written; an output file is never written)."""
    stopped = f" (stopped after {done} record(s))" if done else ""
    return _fail(f"cannot keep the pages read for the second pass in a temporary file ({exc}){stopped}; "
                 "set TMPDIR to a folder with room", EXIT_INPUT)


def _learn_corpus_templates(labeler: Labeler, items: Iterator, options, save: Path | None,
                            spool: PageSpool | None = None) -> Labeler:
    """The first pass of ``clean --learn-templates``: a template per site of the input, held by the labeler."""
    from .pipeline import learn_batch_templates, with_templates

    console = _err()
    learned, no_site = learn_batch_templates(items, options, spool=spool)  # a SpoolError: see clean()
    console.print(f"site templates learned for {len(learned)} site(s) from "
                  f"{sum(t.n_pages for t in learned.values())} page(s)"
                  + (f"; {no_site} page(s) without a site or URL get none" if no_site else ""), highlight=False,
                  soft_wrap=True)
    if not labeler.model.uses_templates:
        console.print(f"[yellow]warning:[/] the model {labeler.source} has no site-template features: "
                      "the learned templates do not change its labels", markup=True, highlight=False, soft_wrap=True)
    if save is not None:
        store = TemplateStore(save)
        try:
            for t in learned.values():
                store.save(t)
        except OSError as exc:
            raise _fail(f"{save}: cannot write templates ({exc.strerror or exc})", EXIT_INPUT) from None
        console.print(f"{len(learned)} template(s) written to {save}", highlight=False, soft_wrap=True)
    return with_templates(labeler, learned)


def _corpus_paths(corpora: list[str] | None, corpus_list: Path | None) -> list[str]:
    from .training import DEFAULT_CORPUS_LIST
    from .training import corpus_list as read_list

    if corpora:
        return list(corpora)
    listing = corpus_list or Path(__file__).resolve().parent.parent / DEFAULT_CORPUS_LIST
    return read_list(listing)


@app.command()
def train(
    corpora: list[str] = typer.Argument(None, help="Labeled pages: lines JSONL, .lines.txt files or folders "
                                                   "(default: the list in training_data/corpora.txt)."),
    corpus_list: Path = typer.Option(None, "--corpus-list", help="A file listing corpora, one path or glob a line."),
    output: Path = typer.Option(None, "--output", "-o", help="Model folder to write (default: the shipped model's)."),
    cv: int = typer.Option(0, help="Also cross-validate with this many folds grouped by site, into the metadata."),
    exclude_site: list[str] = typer.Option(None, "--exclude-site", help="Leave this site's pages out (repeatable)."),
    own_weight: float = typer.Option(None, "--own-weight",
                                     help="Weight of each page from training_data/ against a corpus page (default 10)."),
    html: bool = typer.Option(False, "--html", help="Train the HTML model on HTML pages with gold text (pages JSONL; "
                                                    "default: the list in training_data/html_corpora.txt), into the "
                                                    "model folder's html/."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Processes for parsing and aligning HTML pages."),
) -> None:
    """Train a model on labeled pages and save it with its metadata."""
    from .labeler import HTML_MODEL_DIR
    from .training import DEFAULT_HTML_CORPUS_LIST, OWN_PAGE_WEIGHT, train_and_save, train_html_and_save

    try:
        if html:
            paths = _corpus_paths(corpora, corpus_list or Path(__file__).resolve().parent.parent / DEFAULT_HTML_CORPUS_LIST)
            out = output or (default_model_path() / HTML_MODEL_DIR)
        else:
            paths = _corpus_paths(corpora, corpus_list)
            out = output or default_model_path()
        with _progress(sys.stderr.isatty()) as progress:
            progress.add_task("training", total=None)
            skipped = functools.partial(_skipped, _err())
            if html:
                meta = train_html_and_save(paths, out, cv_folds=cv, exclude_sites=exclude_site or (), n_jobs=jobs,
                                           on_failure=skipped)
            else:
                meta = train_and_save(paths, out, cv_folds=cv, exclude_sites=exclude_site or (),
                                      own_weight=OWN_PAGE_WEIGHT if own_weight is None else own_weight,
                                      on_failure=skipped)
    except BoilerError as exc:
        raise _fail(str(exc), EXIT_INPUT) from None
    failed = meta.get("failures", 0)
    _err().print(f"model written to {out}: {meta['pages']} pages, {meta['fit_seconds']} s"
                 + (f"; {failed} record(s) could not be used" if failed else ""), highlight=False, soft_wrap=True)
    if "cross_validation" in meta:
        _scores_table({k: v for k, v in meta["cross_validation"]["per_set"].items()}, "cross-validated, sites held out")
    if failed:
        raise typer.Exit(EXIT_FAILED_RECORDS)


def _scores_table(rows: dict[str, dict], title: str) -> None:
    table = Table(title=title)
    for col in ("", "pages", "precision", "recall", "F1", "pooled F1"):
        table.add_column(col, justify="left" if not col else "right")
    for name, s in rows.items():
        table.add_row(name, str(s["pages"]), f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}",
                      f"{s['pooled_f1']:.3f}")
    Console().print(table)


@app.command(name="eval")
def eval_(
    data: list[str] = typer.Argument(..., help="Labeled pages: lines JSONL, .lines.txt files or folders."),
    model: Path = typer.Option(None, help="Model folder (default: the shipped model)."),
    by: str = typer.Option("set", help="Group the scores by 'set' (dataset) or 'site'."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Score a model on labeled pages: token-weighted precision, recall and F1 of the body lines."""
    from .training import evaluate_pages, load_corpus

    if by not in ("set", "site"):
        raise _fail("--by takes 'set' or 'site'", EXIT_INPUT)
    labeler = _load(model)
    corpus = load_corpus(data)
    for f in corpus.failures:
        _skipped(_err(), f)
    if not corpus.pages:
        raise _fail("no labeled pages in " + ", ".join(data), EXIT_INPUT)
    if corpus.failures:
        _err().print(f"{len(corpus.pages)} page(s) scored, {len(corpus.failures)} could not be used", highlight=False)
    ev = evaluate_pages(labeler, corpus.pages, corpus.sets)
    if as_json:
        typer.echo(json.dumps(ev.as_dict(), indent=2))
    else:
        rows = {k: v.as_dict() for k, v in sorted((ev.per_set if by == "set" else ev.per_site).items())}
        rows["(all)"] = ev.overall.as_dict()
        _scores_table(rows, f"{labeler.source}, by {by}")
    if corpus.failures:
        raise typer.Exit(EXIT_FAILED_RECORDS)


_KIND_STYLE = {"regression": "bold red", "fix": "bold green", "change": "yellow"}


@app.command()
def diff(
    model_a: str = typer.Argument(..., help="The old model folder ('default' for the shipped model)."),
    model_b: str = typer.Argument(..., help="The new model folder ('default' for the shipped model)."),
    data: list[str] = typer.Argument(..., help="Pages to compare on: labeled (lines JSONL, .lines.txt) or not."),
    fmt: DiffFormat = typer.Option(DiffFormat.pretty, "--format", "-f",
                                   help="pretty: summary and changed lines; jsonl: one record per changed line."),
    limit: int = typer.Option(50, help="Changed lines to show in the pretty view (0: all)."),
    html: bool = typer.Option(None, "--html/--text", help="Read plain files as HTML (or as text); default by name."),
    fail_on_regression: bool = typer.Option(False, "--fail-on-regression",
                                            help=f"Exit {EXIT_REGRESSIONS} when any labeled line got worse."),
) -> None:
    """List the lines whose label changed between two models: regressions first, then fixes."""
    from .diff import ChangeKind, diff_models

    a, b = _load(model_a), _load(model_b)
    batch = _Batch(data, html, None, None)
    result = diff_models(a, b, batch.pages(), parsed=batch.take_parsed)
    if batch.read == 0:  # nothing to compare: the error (or the failures) alone, nothing on stdout
        batch.finish("compared")
    if fmt is DiffFormat.jsonl:
        for change in result.changes:
            typer.echo(json.dumps(change.as_dict(), ensure_ascii=False))
        _err().print(json.dumps(result.summary()), highlight=False, soft_wrap=True)
    else:
        _diff_pretty(result, a.source, b.source, limit)
    batch.finish("compared")
    if fail_on_regression and result.count(ChangeKind.REGRESSION):
        raise typer.Exit(EXIT_REGRESSIONS)


def _diff_pretty(result, source_a: str, source_b: str, limit: int) -> None:
    from .diff import ChangeKind

    console = Console(highlight=False)
    console.print(f"A = {source_a}\nB = {source_b}")
    console.print(f"{result.pages} page(s), {result.lines} lines ({result.labeled_pages} page(s) labeled): "
                  f"{len(result.changes)} line(s) changed: "
                  + ", ".join(f"{result.count(k)} {k.plural} ({result.tokens(k)} tokens)" for k in ChangeKind))
    if result.scores_a is not None and result.scores_b is not None:
        table = Table(title="scores on the labeled pages")
        for col in ("model", "precision", "recall", "F1", "pooled F1"):
            table.add_column(col, justify="left" if col == "model" else "right")
        for name, sc in (("A", result.scores_a), ("B", result.scores_b)):
            table.add_row(name, f"{sc.precision:.4f}", f"{sc.recall:.4f}", f"{sc.f1:.4f}", f"{sc.pooled_f1:.4f}")
        console.print(table)
    shown = result.changes if limit <= 0 else result.changes[:limit]
    for c in shown:
        head = Text(f"{c.kind.value:<10} ", style=_KIND_STYLE[c.kind.value])
        head.append(f"{c.page}:{c.line}  gold {c.gold or '?'}  A {c.label_a} {c.p_a:.2f} → B {c.label_b} {c.p_b:.2f}  ")
        head.append(c.text if len(c.text) <= 160 else c.text[:157] + "...", style="dim")
        console.print(head, soft_wrap=True)
    if len(shown) < len(result.changes):
        console.print(f"... and {len(result.changes) - len(shown)} more (--limit 0 shows all, --format jsonl lists all)")


@app.command()
def report(
    inputs: list[str] = typer.Argument(None, help="Pages: text, .lines.txt, .html or JSONL files, folders, or -."),
    output: Path = typer.Option(..., "--output", "-o", help="The HTML file to write."),
    model: Path = typer.Option(None, help="Model folder (default: the shipped model)."),
    html: bool = typer.Option(None, "--html/--text", help="Read plain files as HTML (or as text); default by name."),
    site: str = typer.Option(None, help="The outlet (registered domain) of the pages."),
    url: str = typer.Option(None, help="The address of the page."),
    max_pages: int = typer.Option(50, "--max-pages", min=1, help="Pages in the report at most (the rest are counted)."),
    templates: Path = typer.Option(None, "--templates", help=_TEMPLATES_HELP),
    no_templates: bool = typer.Option(False, "--no-templates", help=_NO_TEMPLATES_HELP),
) -> None:
    """Write a self-contained HTML report: each line coloured by label, its reason and evidence on hover."""
    from .report import render_report

    labeler = _load(model, templates=_template_choice(templates, no_templates))
    batch = _Batch(inputs, html, site, url)
    pages: list = []
    skipped = 0
    for chunk in batch.chunks():
        room = max(max_pages - len(pages), 0)
        skipped += max(len(chunk) - room, 0)
        chunk, tpls = _with_templates(labeler, chunk[:room], batch)
        if chunk:
            pages.extend(zip(chunk, labeler.explain_mixed([p.lines for p in chunk], batch.parsed(chunk), templates=tpls)))
    if pages:
        document = render_report(pages, model=labeler.source)
        atomic_write(output, lambda tmp: Path(tmp).write_text(document, encoding="utf-8"))
        _err().print(f"report written to {output}: {len(pages)} page(s)"
                     + (f", {skipped} more not included (--max-pages)" if skipped else ""), highlight=False)
    batch.finish("reported")


@app.command()
def align(
    page: str = typer.Argument(None, help="The page: an .html/.htm file (HTML), or any other file (its text lines)."),
    gold: str = typer.Argument(None, help="The page's gold main text: a plain-text file, one paragraph a line."),
    pages: str = typer.Option(None, "--pages", help="A pages JSONL (html and gold per record, FORMATS.md §1) "
                                                    "to align record by record, instead of PAGE GOLD."),
    output: str = typer.Option(None, "--output", "-o",
                               help="Output file (default stdout): .lines.txt for one page, labeled-lines JSONL "
                                    "for --pages (.gz or .zst compresses); written to a temporary name and renamed."),
    html: bool = typer.Option(None, "--html/--text", help="Read PAGE as HTML (or as text); default by its name."),
    progress: bool = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr (default: when it is a terminal)."),
) -> None:
    """Label a page's lines from its gold text: a line is body when at least half of its words align with the gold."""
    from .align import align_files, align_records
    from .formats import atomic_output, write_jsonl

    if pages is not None and (page is not None or gold is not None):
        raise _fail("give either PAGE GOLD or --pages FILE, not both", EXIT_INPUT)
    if pages is None:
        if page is None or gold is None:
            raise _fail("give PAGE and GOLD (or --pages FILE)", EXIT_INPUT)
        try:
            labeled = align_files(page, gold, is_html=html)
        except InputError as exc:
            raise _fail(str(exc), EXIT_INPUT) from None
        with atomic_output(output) as out:
            out.write(format_lines_txt(labeled))
        return
    if pages != "-" and not Path(pages).is_file():
        raise _fail(f"{pages}: no such file", EXIT_INPUT)
    console = _err()
    counts = {"read": 0, "failed": 0}
    show = sys.stderr.isatty() if progress is None else progress

    def records():
        for item in align_records(read_inputs([pages])):
            counts["read"] += 1
            if isinstance(item, Failure):
                counts["failed"] += 1
                _skipped(console, item)
            else:
                yield item
            bar.update(task, completed=counts["read"], failed=counts["failed"])

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(), console=console,
                  transient=True, disable=not show) as bar, atomic_output(output) as out:
        task = bar.add_task("aligning", total=None, failed=0)
        written = write_jsonl(records(), out)
    if counts["read"] == 0:
        raise _fail(_no_pages([pages]), EXIT_INPUT)
    console.print(f"{counts['read']} read, {written} written, {counts['failed']} failed", highlight=False)
    if counts["failed"]:
        raise typer.Exit(EXIT_FAILED_RECORDS)


# -- site templates ---------------------------------------------------------------------------

_STORE_HELP = "Folder of site templates (default: the shipped store, models/templates)."


def _store(folder: Path | None, must_exist: bool = True) -> TemplateStore:
    """The store ``--store`` names (default: the shipped one); a named folder must exist unless it is to be written."""
    if folder is None:
        return TemplateStore(default_template_path())
    if folder.exists() and not folder.is_dir():
        raise _fail(f"{folder}: not a folder (--store takes a folder of site templates)", EXIT_INPUT)
    if must_exist and not folder.is_dir():
        raise _fail(f"{folder}: no such folder (--store takes a folder of site templates)", EXIT_INPUT)
    return TemplateStore(folder)


def _site_name(site: str) -> str:
    """A site as given (a registered domain, a host name or a URL), as templates are keyed."""
    return normal_site(site) or site


@templates_app.command("learn")
def templates_learn(
    inputs: list[str] = typer.Argument(None, help="Pages of one site (text, .lines.txt, .html files, folders) or "
                                                  "of many (JSONL, WARC, WET), or - for stdin."),
    site: str = typer.Option(None, help="The site of all the pages (default: each page's own site, or its URL's "
                                        "registered domain)."),
    store: Path = typer.Option(None, "--store", help=_STORE_HELP),
    html: bool = typer.Option(None, "--html/--text", help="Read plain files as HTML (or as text); default by name."),
    text_field: str = typer.Option("text", help="JSONL field holding a page's text."),
    html_field: str = typer.Option("html", help="JSONL field holding a page's HTML."),
    url_field: str = typer.Option("url", help="JSONL field holding a page's URL."),
    id_field: str = typer.Option("id", help="JSONL field holding a page's id."),
) -> None:
    """Learn each site's template from its pages (no labels needed; labeled pages give their labels) and save
    it to the store, updating the template already there."""
    from .pipeline import TemplateLearner

    target = _store(store, must_exist=False)
    fields = RecordFields(id=id_field, url=url_field, text=text_field, html=html_field)
    batch = _Batch(inputs, html, _site_name(site) if site else None, None, fields)
    learner = TemplateLearner(bases=target.get)
    console = _err()
    try:
        for page in batch.pages():
            where = page_site(page)
            if where is None:
                batch.reject(console, f"{_where(page)}: no site (give --site, or pages with a 'site' or 'url')")
                continue
            learner.add(where, page.lines, page.labels)
        learned = learner.finish()
    except InputError as exc:  # a template in the store cannot be read
        raise _fail(f"{exc} (remove the file to learn the site anew)", EXIT_INPUT) from None
    for name, t in sorted(learned.items()):
        try:
            path = target.save(t)
        except OSError as exc:
            raise _fail(f"{target.path(name)}: cannot write ({exc.strerror or exc})", EXIT_INPUT) from None
        new = learner.learned(name)
        seen = learner.read[name] - new
        console.print(f"{name}: {new} page(s) learned" + (f" ({seen} seen before)" if seen else "")
                      + f", {t.n_pages} in all, {len(t.lines)} recurring line(s) → {path}", highlight=False,
                      soft_wrap=True)
    batch.finish("read")


@templates_app.command("list")
def templates_list(store: Path = typer.Option(None, "--store", help=_STORE_HELP)) -> None:
    """The sites with a template in the store and the pages each has seen, one per line."""
    source = _store(store)
    console = _err()
    failed = 0
    for name in source.sites():
        try:
            t = source.get(name)
        except InputError as exc:
            failed += 1
            _skipped(console, exc)
            continue
        if t is not None:
            typer.echo(f"{name}\t{t.n_pages}")
    if not source.sites():
        console.print(f"no site templates in {source.folder}", highlight=False)
    if failed:
        raise typer.Exit(EXIT_FAILED_RECORDS)


def _template_summary(t: SiteTemplate, limit: int = 15) -> dict:
    """What ``boiler templates show`` shows: pages seen, the typical body span, the lines that open chrome
    regions (after the body on most pages) and close them (before it), and the most frequent lines and shapes."""
    def row(key: str, c) -> dict:
        return {"line": c.example or key, "key": key, "pages": c.pages, "before": c.before, "inside": c.inside,
                "after": c.after}

    def top(table: dict) -> list[dict]:
        return [row(k, c) for k, c in sorted(table.items(), key=lambda kc: (-kc[1].pages, kc[0]))[:limit]]

    openers, closers = t.regions()
    span = t.body_span()
    return {"site": t.site, "pages": t.n_pages, "body_span": list(span) if span else None,
            "openers": [row(k, c) for k, c in openers[:limit]], "closers": [row(k, c) for k, c in closers[:limit]],
            "lines": top(t.lines), "shapes": top(t.shapes)}


@templates_app.command("show")
def templates_show(
    site: str = typer.Argument(..., help="The site (registered domain, or a URL of it)."),
    store: Path = typer.Option(None, "--store", help=_STORE_HELP),
    fmt: ShowFormat = typer.Option(ShowFormat.pretty, "--format", "-f", help="pretty: tables; json: the same as data."),
    limit: int = typer.Option(15, help="Lines shown in each list at most."),
) -> None:
    """What a site's template holds: pages seen, where the body lies, region openers and closers, and the
    lines that recur most, with where they sat (before, inside or after the body)."""
    source = _store(store)
    name = _site_name(site)
    try:
        t = source.get(name)
    except InputError as exc:
        raise _fail(str(exc), EXIT_INPUT) from None
    if t is None:
        raise _fail(f"no template of {name} in {source.folder} ('boiler templates list' shows the sites there)",
                    EXIT_INPUT)
    summary = _template_summary(t, max(limit, 0))
    if fmt is ShowFormat.json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
        return
    _show_pretty(Console(highlight=False), summary)


def _show_pretty(console: Console, s: dict) -> None:
    console.rule(f"site template of {s['site']}")
    console.print(f"pages seen: {s['pages']}")
    if s["body_span"]:
        lo, hi = s["body_span"]
        console.print(f"typical body: from {lo:.0%} to {hi:.0%} of the page (the part it covers on at least half "
                      "the pages)")
    else:
        console.print("typical body: not known (no body found on half the pages)")

    for title, rows, col in (("region openers: after the body on most pages (chrome below them)", s["openers"], "after"),
                             ("region closers: before the body on most pages (chrome above them)", s["closers"], "before")):
        if not rows:
            console.print(f"{title.split(':')[0]}: none")
            continue
        table = Table(title=title, title_justify="left")
        table.add_column("line", overflow="fold")
        table.add_column("pages", justify="right")
        table.add_column(col, justify="right")
        for r in rows:
            table.add_row(r["line"], str(r["pages"]), f"{r[col] / r['pages']:.0%}")
        console.print(table)
    for title, rows in (("most frequent lines", s["lines"]), ("most frequent shapes (dates, times, numbers masked)",
                                                              s["shapes"])):
        if not rows:
            console.print(f"{title}: none")
            continue
        table = Table(title=title, title_justify="left")
        table.add_column("shape" if "shapes" in title else "line", overflow="fold")
        for col in ("pages", "share", "before", "inside", "after"):
            table.add_column(col, justify="right")
        for r in rows:
            table.add_row(r["key"] if "shapes" in title else r["line"], str(r["pages"]),
                          f"{r['pages'] / max(s['pages'], 1):.0%}", str(r["before"]), str(r["inside"]), str(r["after"]))
        console.print(table)
