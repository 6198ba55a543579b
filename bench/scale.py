"""boiler as a preprocessing step at corpus scale: workers, a long stream, injected faults, Dask.

Each part runs ``boiler clean`` as a user would (a subprocess of this interpreter's ``boiler``), on
the real pages of the shared corpora (their text; cycled with new ids where more pages are needed):

* ``throughput``: pages/s with ``--jobs 1`` and ``--jobs 2`` on the same input (model load included
  in neither: the time of an empty run is subtracted), and the speed-up.
* ``stream``: ``--stream N`` pages generated on the fly into ``boiler clean -`` (stdin to stdout),
  resident memory sampled every half second with the number of pages fed so far; peak memory.
  ``stream_low_memory``: the same with ``boiler clean --low-memory``.
* ``faults``: a clean input and the same input with faults injected (a truncated WARC record, a
  broken JSON line, binary bytes as text, an empty page, a 20 MB page); every input record must give
  one output record, every fault one error record, and the other records must equal the clean run's.
* ``dask``: the same input on a two-worker Dask LocalCluster on loopback; the output must equal the
  local run's byte for byte.

    python bench/scale.py [--parts throughput,stream,stream_low_memory,faults,dask] [--pages 3000] [--stream 100000]
                          [--json bench/results/scale.json]
"""

from __future__ import annotations

import argparse
import gzip
import io
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SETS = ("dragnet", "msv-big9", "cleanportaleval", "cleaneval", "readability")
ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def corpus_records() -> list[dict]:
    out = []
    for name in SETS:
        with gzip.open(SHARED / "data" / name / "lines.jsonl.gz", "rt", encoding="utf-8") as f:
            for row in f:
                rec = json.loads(row)
                out.append({"id": rec["id"], "url": rec.get("url"), "text": "\n".join(rec["lines"])})
    return out


def cycled(records: list[dict], n: int):
    for k, rec in zip(range(n), itertools.cycle(records)):
        yield {**rec, "id": f"{rec['id']}#{k}"}


def write_jsonl(path: Path, records) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n


def boiler_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "boiler", "clean", *map(str, args)]


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - started, done


# -- parts ------------------------------------------------------------------------------------

def throughput(records: list[dict], work: Path, n_pages: int) -> dict:
    src = work / "throughput.jsonl"
    write_jsonl(src, cycled(records, n_pages))
    tiny = work / "one.jsonl"
    write_jsonl(tiny, cycled(records, 1))
    out = {"pages": n_pages}
    for jobs in (1, 2):
        base, _ = timed(boiler_cmd(tiny, "--format", "jsonl", "-o", work / "o.jsonl", "--jobs", jobs), ONE_CORE)
        took, done = timed(boiler_cmd(src, "--format", "jsonl", "-o", work / f"jobs{jobs}.jsonl", "--jobs", jobs),
                           ONE_CORE)
        if done.returncode != 0:
            sys.exit(done.stderr)
        out[f"jobs{jobs}"] = {"seconds": round(took, 2), "startup_seconds": round(base, 2),
                              "pages_per_second": round(n_pages / max(took - base, 1e-9), 1)}
        print(f"throughput --jobs {jobs}: {out[f'jobs{jobs}']}", file=sys.stderr)
    out["speedup"] = round(out["jobs2"]["pages_per_second"] / out["jobs1"]["pages_per_second"], 2)
    same = (work / "jobs1.jsonl").read_bytes() == (work / "jobs2.jsonl").read_bytes()
    out["outputs_identical"] = same
    return out


def _rss_kb(pid: int) -> tuple[int, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def stream(records: list[dict], n_pages: int, *extra: str) -> dict:
    proc = subprocess.Popen(boiler_cmd("-", "--format", "jsonl", *extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **ONE_CORE})
    fed = [0]
    out_bytes = [0]

    def drain():
        while chunk := proc.stdout.read(1 << 20):
            out_bytes[0] += len(chunk)

    def feed():
        w = io.TextIOWrapper(proc.stdin, encoding="utf-8")
        for rec in cycled(records, n_pages):
            w.write(json.dumps(rec, ensure_ascii=False) + "\n")
            fed[0] += 1
        w.close()

    threads = [threading.Thread(target=drain, daemon=True), threading.Thread(target=feed, daemon=True)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    samples = []
    while proc.poll() is None:
        try:
            rss, hwm = _rss_kb(proc.pid)
        except (FileNotFoundError, ProcessLookupError, KeyError):
            break
        samples.append((fed[0], rss, hwm))
        time.sleep(0.5)
    proc.wait()
    took = time.perf_counter() - started
    for t in threads:
        t.join()
    err = proc.stderr.read().decode()
    peak = max(s[2] for s in samples) / 1024
    tenths = []
    for k in range(1, 11):
        mark = n_pages * k / 10
        near = [s for s in samples if s[0] <= mark]
        tenths.append(round(near[-1][1] / 1024, 1) if near else None)
    return {"pages": n_pages, "exit_code": proc.returncode, "seconds": round(took, 1),
            "pages_per_second": round(n_pages / took, 1), "output_mb": round(out_bytes[0] / 2**20, 1),
            "peak_rss_mb": round(peak, 1), "rss_mb_at_each_tenth": tenths, "stderr_tail": err[-300:]}


def _warc(path: Path, pages: list[dict]) -> None:
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        for rec in pages:
            w.write_record(w.create_warc_record(rec["url"] or f"http://example.com/{rec['id']}", "conversion",
                                                payload=io.BytesIO(rec["text"].encode("utf-8")),
                                                warc_content_type="text/plain"))


def faults(records: list[dict], work: Path) -> dict:
    pages = list(cycled(records, 400))
    clean_dir, faulty_dir = work / "clean", work / "faulty"
    clean_dir.mkdir()
    faulty_dir.mkdir()
    # the clean input: two JSONL shards and a WET file
    write_jsonl(clean_dir / "a.jsonl", pages[:150])
    write_jsonl(clean_dir / "b.jsonl", pages[150:300])
    _warc(clean_dir / "c.warc.wet.gz", pages[300:400])
    # the faulty input: the same, with faults injected
    rows_a = [json.dumps(r, ensure_ascii=False) for r in pages[:150]]
    rows_a.insert(40, '{"id": "broken", "text": "a line cut sh')  # a broken JSON line
    rows_a.insert(80, json.dumps({"id": "binary", "text": "\x00\x01\x02\x03\x04 binary \x05\x06" * 50}))
    rows_a.insert(120, json.dumps({"id": "empty", "text": ""}))
    (faulty_dir / "a.jsonl").write_text("\n".join(rows_a) + "\n", encoding="utf-8")
    rows_b = [json.dumps(r, ensure_ascii=False) for r in pages[150:300]]
    big = "\n".join(itertools.islice(itertools.cycle(" ".join(r["text"].split("\n")[:3]) for r in pages), 80_000))
    big = (big * (20 * 2**20 // max(len(big), 1) + 1))[: 20 * 2**20]
    rows_b.insert(75, json.dumps({"id": "huge", "text": big}))
    (faulty_dir / "b.jsonl").write_text("\n".join(rows_b) + "\n", encoding="utf-8")
    data = (clean_dir / "c.warc.wet.gz").read_bytes()  # the same records (and record ids) as the clean run
    (faulty_dir / "c.warc.wet.gz").write_bytes(data[: len(data) - 200])  # the last record truncated

    results = {}
    for name, folder in (("clean", clean_dir), ("faulty", faulty_dir)):
        took, done = timed(boiler_cmd(folder, "--format", "jsonl", "-o", work / f"{name}.jsonl"), ONE_CORE)
        recs = [json.loads(x) for x in (work / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
        results[name] = {"exit_code": done.returncode, "seconds": round(took, 1), "records": recs,
                         "summary": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""}
    clean, faulty = results["clean"]["records"], results["faulty"]["records"]
    errors = [r for r in faulty if "error" in r]
    good = {r["id"]: r for r in faulty if "error" not in r}
    same = sum(1 for r in clean if good.get(r["id"]) == r)
    huge = next((r for r in faulty if r.get("id") == "huge"), None)
    # inputs of the faulty run: 400 pages + broken + binary + empty + huge = 404 records
    return {
        "input_records_faulty": 404,
        "output_records_faulty": len(faulty),
        "error_records": [{k: r.get(k) for k in ("id", "source", "record", "error")} for r in errors],
        "clean_pages_identical_to_clean_run": f"{same} of {len(clean)}",
        "huge_page": "error: " + huge["error"] if huge and "error" in huge else
                     (f"cleaned: {huge['lines_kept']} lines kept, {huge['lines_dropped']} dropped" if huge else "missing"),
        "exit_codes": {"clean": results["clean"]["exit_code"], "faulty": results["faulty"]["exit_code"]},
        "seconds": {"clean": results["clean"]["seconds"], "faulty": results["faulty"]["seconds"]},
        "summaries": {"clean": results["clean"]["summary"], "faulty": results["faulty"]["summary"]},
    }


def dask_run(records: list[dict], work: Path) -> dict:
    from distributed import LocalCluster

    src = work / "dask_in.jsonl"
    write_jsonl(src, cycled(records, 1000))
    t_local, _ = timed(boiler_cmd(src, "--format", "jsonl", "-o", work / "local.jsonl"), ONE_CORE)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        t_dask, done = timed(boiler_cmd(src, "--format", "jsonl", "-o", work / "dask.jsonl", "--engine", "dask",
                                        "--scheduler", cluster.scheduler_address), ONE_CORE)
    same = (work / "local.jsonl").read_bytes() == (work / "dask.jsonl").read_bytes()
    return {"pages": 1000, "exit_code": done.returncode, "identical": same,
            "seconds": {"local_1_process": round(t_local, 1), "dask_2_workers": round(t_dask, 1)}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="throughput,stream,faults,dask")
    ap.add_argument("--pages", type=int, default=3000, help="pages for the throughput part")
    ap.add_argument("--stream", type=int, default=100_000, help="pages for the stream part")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    records = corpus_records()
    parts = args.parts.split(",")
    out: dict = {}
    if args.json and args.json.exists():
        out = json.loads(args.json.read_text())
    with tempfile.TemporaryDirectory(prefix="boiler-scale-") as tmp:
        work = Path(tmp)
        if "throughput" in parts:
            out["throughput"] = throughput(records, work, args.pages)
        if "faults" in parts:
            out["faults"] = faults(records, work)
        if "dask" in parts:
            out["dask"] = dask_run(records, work)
        if "stream" in parts:
            out["stream"] = stream(records, args.stream)
        if "stream_low_memory" in parts:
            out["stream_low_memory"] = stream(records, args.stream, "--low-memory")
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
