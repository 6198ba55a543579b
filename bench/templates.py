"""What site templates buy: leave-one-page-out F1 per site, F1 against pages seen, drift, and cost.

Models are trained as ``boiler train`` trains (``training_data/corpora.txt``, own pages weighted) in
five folds grouped by site, so a site's pages are only ever labeled by a model that never saw the
site. For each held-out page:

* **none**: labeled alone (no template);
* **others**: with a template learned, without labels, from all the site's other pages;
* **k pages** (sites with more than 20 pages): with a template learned from k random other pages of
  the site, k in 1, 2, 5, 10, 20;
* **drift** (msv-big9, which holds each site in 2005, 2009, 2013 and 2017): with a template learned
  from the site's pages of each crawl year (the same year: its other pages).

Scores are the text-track F1 of FORMATS.md per site; the figures are averages over the sites with
at least 5 pages. "Recurring chrome" counts the chrome lines that occur on at least 3 other pages of
their site, and how many of them are labeled chrome.

Cost: ``boiler clean`` over every page of the corpora (JSONL on disk, one process) with and without
``--learn-templates``, wall time of each: the two runs alternate, ``--reps`` times each, and the medians
are compared (the machine is shared, so both figures come from the same window; the load average is
recorded). ``--cost-only`` measures only that; ``--html`` makes it the HTML pages of the shared sets
(``../shared/data/*/pages.jsonl.gz``, read in place), cleaned with the HTML model.

    python bench/templates.py [--folds 5] [--json bench/results/templates.json]
    python bench/templates.py --cost-only [--html] [--reps 5] [--model DIR] [--json bench/results/templates_cost.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from boiler.evaluate import page_counts, score_pages
from boiler.formats import record_from_page
from boiler.templates import MIN_TEMPLATE_COVER, MIN_TEMPLATE_FIT, MIN_TEMPLATE_MATCH, learn_template, line_key
from boiler.training import DEFAULT_CORPUS_LIST, corpus_list, fold_models, load_corpus, own_page_weights, site_templates

ROOT = Path(__file__).resolve().parent.parent
MIN_PAGES = 5
CURVE = (1, 2, 5, 10, 20)
RECUR_OTHERS = 3
#: Repetitions of each corpus pass (plain and --learn-templates, alternating) for the cost figure.
COST_REPS = 3


def year_of(page) -> str | None:
    """msv-big9's crawl year, from the page id (``big5-05`` is 2005)."""
    for yy in ("05", "09", "13", "17"):
        if f"big5-{yy}" in (page.id or ""):
            return "20" + yy
    return None


def site_f1(pages, preds) -> dict[str, float]:
    by = defaultdict(list)
    for p, pred in zip(pages, preds):
        by[p.site].append(page_counts(p.lines, p.labels, pred))
    return {s: score_pages(c).f1 for s, c in by.items()}


def summary(f1: dict[str, float], sites: list[str]) -> float:
    return float(np.mean([f1[s] for s in sites])) if sites else float("nan")


#: A site's F1 with a template counts as changed when it moves by more than this.
CHANGE_TOL = 0.001


def site_changes(f_none: dict[str, float], f_template: dict[str, float], sites: list[str],
                 tol: float = CHANGE_TOL, worst: int = 10) -> dict:
    """How many sites a template made better, worse, or left as they were (within ``tol``), the mean
    loss of the worse ones, and the ``worst`` of them with their two F1s: a template must not make a
    site worse."""
    delta = {s: f_template[s] - f_none[s] for s in sites}
    worse = sorted((s for s in sites if delta[s] < -tol), key=delta.get)
    return {"tolerance": tol, "better": sum(d > tol for d in delta.values()), "worse": len(worse),
            "same": sum(abs(d) <= tol for d in delta.values()),
            "mean_loss_of_worse": float(np.mean([-delta[s] for s in worse])) if worse else 0.0,
            "worst": [{"site": s, "none": round(f_none[s], 4), "template": round(f_template[s], 4)} for s in worse[:worst]]}


YEARS = ("2005", "2009", "2013", "2017")


def drift_table(pages, pred_none, drift_pred) -> dict[str, dict[str, float]]:
    """Mean site F1 of msv-big9's pages of each crawl year: alone (``none``), and with a template of
    the site learned from each year's pages (``drift_pred``, by page and year)."""
    drift: dict[str, dict[str, float]] = {}
    msv = [i for i in range(len(pages)) if year_of(pages[i])]
    msv_sites = sorted({pages[i].site for i in msv})
    for y in YEARS:
        rows = [i for i in msv if year_of(pages[i]) == y]
        base = site_f1([pages[i] for i in rows], [pred_none[i] for i in rows])
        drift[y] = {"none": summary(base, msv_sites)}
        for ty in YEARS:
            f = site_f1([pages[i] for i in rows], [drift_pred[(i, ty)] for i in rows])
            drift[y][ty] = summary(f, msv_sites)
    return drift


def drift_cells_worse(drift: dict[str, dict[str, float]]) -> int:
    """In how many of the 12 pairs of a crawl year's pages and another year's template (:func:`drift_table`)
    the template made the pages worse than none, by more than CHANGE_TOL."""
    return sum(drift[y][ty] < drift[y]["none"] - CHANGE_TOL for y in YEARS for ty in YEARS if ty != y)


def write_corpus_jsonl(pages, path: Path) -> None:
    """The pages as the input of a corpus pass: pages JSONL without their labels."""
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for p in pages:
            rec = record_from_page(p)
            rec.pop("labels", None)
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def corpus_pass_seconds(src: list[Path], out: Path, learn: bool, model: Path | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user and system) of one ``boiler clean SRC... -f jsonl`` run (a fresh
    process, model load included). On a shared machine the CPU time varies less than the wall time."""
    cmd = [sys.executable, "-m", "boiler", "clean", *map(str, src), "-o", str(out), "--format", "jsonl"]
    if model is not None:
        cmd += ["--model", str(model)]
    if learn:
        cmd.append("--learn-templates")
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)


def corpus_pass_cost(pages, reps: int = COST_REPS, model: Path | None = None,
                     html_sources: list[Path] | None = None) -> dict:
    """Plain and ``--learn-templates`` corpus passes, alternating, ``reps`` of each: every time, the
    medians (wall and CPU), the overhead of learning, and the load average before and after. The input
    is ``pages`` as pages JSONL, or the HTML pages JSONL files ``html_sources`` as they are."""
    times: dict[str, list[float]] = {"plain": [], "learn_templates": []}
    cpu: dict[str, list[float]] = {"plain": [], "learn_templates": []}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        if html_sources:
            src = list(html_sources)
        else:
            src = [Path(tmp) / "pages.jsonl.gz"]
            write_corpus_jsonl(pages, src[0])
        for r in range(reps):
            for name, learn in (("plain", False), ("learn_templates", True)) if r % 2 == 0 else \
                    (("learn_templates", True), ("plain", False)):
                wall, used = corpus_pass_seconds(src, Path(tmp) / "out.jsonl", learn, model)
                times[name].append(wall)
                cpu[name].append(used)
                print(f"  {name}: {wall:.1f} s ({used:.1f} CPU-s)", file=sys.stderr, flush=True)
    plain, learned = float(np.median(times["plain"])), float(np.median(times["learn_templates"]))
    plain_cpu, learned_cpu = float(np.median(cpu["plain"])), float(np.median(cpu["learn_templates"]))
    return {"input": "html" if html_sources else "text", "pages": len(pages), "reps": reps,
            "plain": round(plain, 2), "learn_templates": round(learned, 2),
            "added": round(learned / plain - 1, 3),
            "cpu": {"plain": round(plain_cpu, 2), "learn_templates": round(learned_cpu, 2),
                    "added": round(learned_cpu / plain_cpu - 1, 3)},
            "runs": {k: [round(t, 2) for t in v] for k, v in times.items()},
            "cpu_runs": {k: [round(t, 2) for t in v] for k, v in cpu.items()},
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def print_cost(cost: dict) -> None:
    cpu = cost["cpu"]
    print(f"{cost['input']} corpus pass over {cost['pages']} pages (median of {cost['reps']}, alternating): {cost['plain']:.1f} s plain, "
          f"{cost['learn_templates']:.1f} s with --learn-templates (+{cost['added']:.0%}); CPU {cpu['plain']:.1f} and "
          f"{cpu['learn_templates']:.1f} s (+{cpu['added']:.0%}); "
          f"load average {cost['load_average'][0]:.2f} before, {cost['load_average'][1]:.2f} after")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--params", default="{}", help="JSON of LineClassifier parameters")
    ap.add_argument("--no-cost", action="store_true", help="skip the corpus-pass timing")
    ap.add_argument("--cost-only", action="store_true", help="only the corpus-pass timing (no folds)")
    ap.add_argument("--reps", type=int, default=COST_REPS, help="corpus passes of each kind, alternating")
    ap.add_argument("--model", type=Path, help="model folder for the corpus passes (default: the shipped model)")
    ap.add_argument("--html", action="store_true", help="with --cost-only: the corpus pass over the shared sets' HTML pages")
    ap.add_argument("--gates", default="", help="other template gates to score as well, as MIN_FIT:MIN_MATCH or "
                    "MIN_FIT:MIN_MATCH:MIN_COVER separated by commas (the default gate is "
                    "MIN_TEMPLATE_FIT:MIN_TEMPLATE_MATCH:MIN_TEMPLATE_COVER)")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    if args.cost_only and args.no_cost:
        ap.error("--cost-only and --no-cost exclude each other")

    try:
        gates = [tuple(float(v) for v in g.split(":")) for g in args.gates.split(",") if g.strip()]
    except ValueError:
        gates = [()]
    if any(len(g) not in (2, 3) for g in gates):
        ap.error(f"--gates takes MIN_FIT:MIN_MATCH[:MIN_COVER] numbers separated by commas, not {args.gates!r}")
    gates = [g if len(g) == 3 else (*g, MIN_TEMPLATE_COVER) for g in gates]
    shipped = (MIN_TEMPLATE_FIT, MIN_TEMPLATE_MATCH, MIN_TEMPLATE_COVER)
    scored = [shipped, *dict.fromkeys(g for g in gates if g != shipped)]  # each gate's labels made once
    if args.html and not args.cost_only:
        ap.error("--html goes with --cost-only")
    if args.html:
        sources = sorted((ROOT.parent / "shared" / "data").glob("*/pages.jsonl.gz"))
        pages = [None] * sum(1 for path in sources for _ in gzip.open(path, "rt", encoding="utf-8"))
    else:
        sources = None
        corpus = load_corpus(corpus_list(ROOT / DEFAULT_CORPUS_LIST))
        pages = corpus.pages
    if args.cost_only:
        cost = corpus_pass_cost(pages, args.reps, args.model, sources)
        print_cost(cost)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"corpus_pass_seconds": cost}, indent=1) + "\n")
        return 0
    rng = random.Random(args.seed)
    started = time.time()
    pred_none: list = [None] * len(pages)
    curve_pred: dict[int, dict[int, list]] = {k: {} for k in CURVE}
    gate_all: dict[tuple, list] = {g: [None] * len(pages) for g in scored}  # with the site's template, by gate
    gate_drift: dict[tuple, dict[tuple[int, str], list]] = {g: {} for g in scored}  # with each year's, by gate
    pred_all, drift_pred = gate_all[shipped], gate_drift[shipped]
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pages):
        if p.site:
            by_site[p.site].append(i)
    big = {s for s, idx in by_site.items() if len(idx) > max(CURVE)}
    for k, (model, te) in enumerate(fold_models(corpus, args.folds, args.seed, json.loads(args.params),
                                                own_page_weights(pages))):
        test = [pages[i] for i in te]
        lines = [p.lines for p in test]
        for i, pred in zip(te, model.predict_pages(lines)):
            pred_none[i] = pred
        test_tpls = site_templates(test)
        for g in scored:
            for i, pred in zip(te, model.predict_pages(lines, test_tpls, min_fit=g[0], min_match=g[1], min_cover=g[2])):
                gate_all[g][i] = pred
        # F1 against the number of pages the template saw
        for n in CURVE:
            rows, tpls = [], []
            for i in te:
                if pages[i].site in big:
                    others = [j for j in by_site[pages[i].site] if j != i]
                    seen = rng.sample(others, n)
                    rows.append(i)
                    tpls.append(learn_template([pages[j].lines for j in seen], pages[i].site))
            for i, pred in zip(rows, model.predict_pages([pages[i].lines for i in rows], tpls)):
                curve_pred[n][i] = pred
        # drift: templates of each crawl year
        rows, tpls, keys = [], [], []
        for i in te:
            y = year_of(pages[i])
            if y is None:
                continue
            for ty in YEARS:
                src = [j for j in by_site[pages[i].site] if year_of(pages[j]) == ty and j != i]
                rows.append(i)
                keys.append((i, ty))
                tpls.append(learn_template([pages[j].lines for j in src], pages[i].site))
        for g in scored:
            for key, pred in zip(keys, model.predict_pages([pages[i].lines for i in rows], tpls, min_fit=g[0],
                                                           min_match=g[1], min_cover=g[2])):
                gate_drift[g][key] = pred
        print(f"fold {k + 1}/{args.folds} done at {time.time() - started:.0f} s", file=sys.stderr, flush=True)

    multi = sorted(s for s, idx in by_site.items() if len(idx) >= MIN_PAGES)
    f_none, f_all = site_f1(pages, pred_none), site_f1(pages, pred_all)
    none, alls = summary(f_none, multi), summary(f_all, multi)
    set_sites = {name: sorted({pages[i].site for i, s in enumerate(corpus.sets) if s == name and pages[i].site in multi})
                 for name in sorted(set(corpus.sets))}
    set_sites = {name: sites for name, sites in set_sites.items() if sites}
    per_set = {name: {"sites": len(sites), "none": summary(f_none, sites), "template": summary(f_all, sites)}
               for name, sites in set_sites.items()}
    # recurring chrome lines
    tpls = site_templates(pages)
    total = chrome = 0
    for p, pred, t in zip(pages, pred_all, tpls):
        if t is None:
            continue
        for line, lab, pr in zip(p.lines, p.labels, pred):
            if lab == "-" and t.line_pages(line_key(line)) - 1 >= RECUR_OTHERS:
                total += 1
                chrome += pr is False
    # curve
    curve = {}
    for n in CURVE:
        idx = sorted(curve_pred[n])
        f = site_f1([pages[i] for i in idx], [curve_pred[n][i] for i in idx])
        sites = sorted(f)
        alone = site_f1([pages[i] for i in idx], [pred_none[i] for i in idx])
        curve[n] = {"sites": len(sites), "template": summary(f, sites), "none": summary(alone, sites)}
    drift = drift_table(pages, pred_none, drift_pred)

    print(f"sites with at least {MIN_PAGES} pages: {len(multi)}")
    print(f"  mean site F1 without template {none:.4f}, with a template of the site's other pages {alls:.4f}; "
          f"error {1 - none:.4f} -> {1 - alls:.4f} ({(1 - alls) / max(1 - none, 1e-9):.0%} of before)")
    for name, r in per_set.items():
        print(f"  {name:16s} {r['sites']:4d} sites  {r['none']:.4f} -> {r['template']:.4f}")
    changes = site_changes(f_none, f_all, multi)
    print(f"  sites a template made better / worse / left (within {CHANGE_TOL}): {changes['better']} / "
          f"{changes['worse']} / {changes['same']}; mean loss of the worse {changes['mean_loss_of_worse']:.4f}; worst: "
          + ", ".join(f"{w['site']} {w['none']:.3f} -> {w['template']:.3f}" for w in changes["worst"][:5]))
    print(f"recurring chrome (on >= {RECUR_OTHERS} other pages) labeled chrome: {chrome}/{total} = {chrome / max(total, 1):.4%}")
    print("F1 against pages the template saw (sites with more than 20 pages):")
    for n, r in curve.items():
        print(f"  {n:2d} pages: {r['template']:.4f}  (none {r['none']:.4f}, {r['sites']} sites)")
    print("drift (msv-big9, rows: year labeled, columns: year the template was learned on):")
    print("         none   2005   2009   2013   2017")
    for y, r in drift.items():
        print(f"  {y}  {r['none']:.4f} " + " ".join(f"{r[ty]:.4f}" for ty in YEARS))
    print(f"  another year's template worse than none (by more than {CHANGE_TOL}): {drift_cells_worse(drift)} of 12")
    other_gates = {}
    for g in gates:
        f_gate = site_f1(pages, gate_all[g])
        gated = summary(f_gate, multi)
        other_gates[":".join(map(str, g))] = r = {
            "f1_template": gated, "error_ratio": (1 - gated) / max(1 - none, 1e-9),
            "per_set": {name: summary(f_gate, sites) for name, sites in set_sites.items()},
            "site_changes": site_changes(f_none, f_gate, multi), "drift": drift_table(pages, pred_none, gate_drift[g])}
        print(f"gate {':'.join(map(str, g))}: mean site F1 with a template {gated:.4f} (error {r['error_ratio']:.0%} of before); "
              f"sites better / worse {r['site_changes']['better']} / {r['site_changes']['worse']}; drift: "
              f"{drift_cells_worse(r['drift'])} of 12 "
              "year pairs worse; " + ", ".join(f"{y}: " + " ".join(f"{r['drift'][y][ty]:.4f}" for ty in YEARS)
                                              for y in YEARS))
    out = {"folds": args.folds, "seed": args.seed, "min_pages": MIN_PAGES, "sites": len(multi),
           "f1_none": none, "f1_template": alls, "error_ratio": (1 - alls) / max(1 - none, 1e-9),
           "per_set": per_set, "site_changes": changes, "per_site": {s: {"pages": len(by_site[s]), "none": f_none[s], "template": f_all[s]} for s in multi},
           "recurring_chrome": {"lines": total, "labeled_chrome": chrome}, "curve": curve, "drift": drift,
           "train_and_label_seconds": round(time.time() - started)}
    if gates:
        out["other_gates"] = other_gates
    if not args.no_cost:
        out["corpus_pass_seconds"] = cost = corpus_pass_cost(pages, args.reps, args.model)
        print_cost(cost)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
