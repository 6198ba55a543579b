"""A self-contained HTML debug report: why each line of a page was kept or dropped.

One file, no external resources (inline CSS and a few lines of script for the filters), so it can
be mailed or attached to a bug. Each line is coloured by its label, with a shade for its
probability; hovering it (or focusing it with the keyboard) shows the reason, the model's own and
final scores and the feature groups that moved it most. A summary per page counts lines and word
tokens kept and dropped; on a labeled page (a ``.lines.txt``), lines where the model disagrees
with the gold label are marked.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from .evaluate import count_tokens
from .formats import Page
from .labeler import LineExplanation

__all__ = ["PageSummary", "render_report", "summarise"]

@dataclass(slots=True)
class PageSummary:
    """Lines and word tokens of a page kept (body) and dropped (chrome)."""

    lines: int
    lines_kept: int
    lines_dropped: int
    tokens_kept: int
    tokens_dropped: int

    @property
    def kept_share(self) -> float:
        total = self.tokens_kept + self.tokens_dropped
        return self.tokens_kept / total if total else 0.0


def summarise(rows: Sequence[LineExplanation]) -> PageSummary:
    kept = [r.result for r in rows if r.result.is_body]
    dropped = [r.result for r in rows if r.result.is_body is False]
    return PageSummary(len(rows), len(kept), len(dropped),
                       sum(count_tokens(r.text) for r in kept),
                       sum(count_tokens(r.text) for r in dropped))


_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header { padding: 12px 20px; background: #fff; border-bottom: 1px solid #ddd; position: sticky; top: 0; z-index: 2; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 6px; word-break: break-all; }
main { padding: 0 20px 40px; }
.meta, .legend { color: #555; font-size: 13px; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 6px; border-radius: 3px; }
.summary { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
.summary td, .summary th { border: 1px solid #ddd; padding: 2px 8px; text-align: right; }
.lines { font: 13px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; background: #fff; border: 1px solid #ddd; }
.line { display: flex; position: relative; border-bottom: 1px solid #f0f0f0; min-height: 1.5em; }
.line:focus { outline: 2px solid #36c; }
.no { flex: 0 0 4em; text-align: right; padding-right: 8px; color: #999; user-select: none; }
.lab { flex: 0 0 5.4em; font-weight: bold; white-space: nowrap; }
.gold { flex: 0 0 5.6em; color: #b00; font-weight: bold; white-space: nowrap; }
.p { flex: 0 0 3.6em; color: #444; }
.text { flex: 1; white-space: pre-wrap; word-break: break-word; }
.body { background: rgba(46, 160, 67, calc(0.12 + 0.30 * var(--p))); }
.chrome { background: rgba(218, 54, 51, calc(0.12 + 0.30 * (1 - var(--p)))); color: #555; }
.none { color: #aaa; }
.tip { display: none; position: absolute; left: 12em; top: 100%; z-index: 3; max-width: 46em; padding: 8px 10px;
       background: #222; color: #eee; border-radius: 4px; font: 12px/1.4 system-ui, sans-serif; white-space: normal; }
.tip table { border-collapse: collapse; margin-top: 4px; }
.tip td { padding: 0 6px 0 0; vertical-align: top; }
.line:hover .tip, .line:focus .tip { display: block; }
.hidden { display: none; }
.filters label { margin-right: 12px; }
"""

_SCRIPT = """
for (const box of document.querySelectorAll('.filters input')) {
  box.addEventListener('change', () => {
    for (const el of document.querySelectorAll('.line.' + box.value)) el.classList.toggle('hidden', !box.checked);
  });
}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _line(n: int, row: LineExplanation, gold: str | None) -> str:
    r = row.result
    kind = "none" if r.is_body is None else ("body" if r.is_body else "chrome")
    label = {"body": "+ body", "chrome": "− chrome", "none": ""}[kind]
    p = f"{r.p_body:.2f}" if r.is_body is not None else ""
    tip = ""
    if r.is_body is not None:
        groups = "".join(
            f"<tr><td>{'+' if g.effect > 0 else '−'}{abs(g.effect):.2f}</td><td>{_esc(g.group)}</td>"
            f"<td>{_esc(g.evidence)}</td></tr>" for g in row.groups)
        own = f"own score {row.p_own:.2f}, " if row.p_own is not None else ""
        path = f"<br><code>&lt;{_esc(r.path)}&gt;</code>" if r.path else ""
        tip = (f'<div class="tip" role="tooltip"><b>{_esc(label)}</b> ({own}final {r.p_body:.2f}){path}<br>'
               f"{_esc(r.reason)}"
               + (f"<table><tr><td colspan=3>strongest evidence (log-odds, + towards body):</td></tr>{groups}</table>"
                  if groups else "")
               + "</div>")
    title = f' title="{_esc(r.reason)}"' if r.reason else ""
    wrong = gold in ("+", "-") and r.label != gold
    wrong_attr = ' data-wrong="1"' if wrong else ""
    mark = f'<span class="gold">✗ gold {_esc(gold)}</span>' if wrong else ('<span class="gold"></span>' if gold else "")
    return (f'<div class="line {kind}" id="L{n}" tabindex="0" style="--p:{r.p_body:.3f}"'
            f' data-label="{_esc(r.label)}" data-p="{p}"{wrong_attr}{title}>'
            f'<span class="no">{n}</span><span class="lab">{label}</span><span class="p">{p}</span>{mark}'
            f'<span class="text">{_esc(r.text)}</span>{tip}</div>')


def _summary_table(s: PageSummary, wrong: int | None) -> str:
    return ("<table class=\"summary\"><tr><th></th><th>lines</th><th>word tokens</th></tr>"
            f"<tr><th>kept (body)</th><td>{s.lines_kept}</td><td>{s.tokens_kept}</td></tr>"
            f"<tr><th>dropped (chrome)</th><td>{s.lines_dropped}</td><td>{s.tokens_dropped}</td></tr>"
            f"<tr><th>nothing to judge</th><td>{s.lines - s.lines_kept - s.lines_dropped}</td><td>0</td></tr>"
            + (f"<tr><th>against the gold labels: wrong</th><td>{wrong}</td><td></td></tr>" if wrong is not None else "")
            + "</table>")


def render_report(pages: Sequence[tuple[Page, Sequence[LineExplanation]]], model: str = "",
                  title: str = "boiler report") -> str:
    """The report for ``pages`` (each with the explanations of its lines) as one HTML document."""
    sections = []
    for k, (page, rows) in enumerate(pages):
        s = summarise(rows)
        name = page.id or page.source
        gold = page.labels if page.labels is not None and len(page.labels) == len(rows) else None
        wrong = None if gold is None else sum(1 for g, row in zip(gold, rows)
                                               if g in ("+", "-") and row.result.label != g)
        meta = " · ".join(_esc(x) for x in (page.site, page.url) if x)
        sections.append(
            f'<section class="page" id="page{k}"><h2>{_esc(name)}</h2>'
            + (f'<div class="meta">{meta}</div>' if meta else "")
            + _summary_table(s, wrong)
            + '<div class="lines">'
            + "".join(_line(n, row, gold[n - 1] if gold else None) for n, row in enumerate(rows, start=1))
            + "</div></section>")
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{_esc(title)}</title><style>{_CSS}</style></head>
<body><header><h1>{_esc(title)}</h1>
<div class="meta">{len(pages)} page(s) · model {_esc(model)} · {made}</div>
<div class="legend"><span class="body" style="--p:1">+ body</span><span class="chrome" style="--p:0">− chrome</span>
the deeper the colour, the surer the model · hover or focus a line for its reason and evidence</div>
<div class="filters"><label><input type="checkbox" value="body" checked> body</label>
<label><input type="checkbox" value="chrome" checked> chrome</label>
<label><input type="checkbox" value="none" checked> blank</label></div></header>
<main>{"".join(sections)}</main>
<script>{_SCRIPT}</script></body></html>
"""
