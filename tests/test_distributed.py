"""boiler on a real Dask cluster: a LocalCluster of two worker processes on loopback."""

import json

import pytest
from conftest import TRAINING_PAGES
from typer.testing import CliRunner

from boiler.cli import EXIT_FAILED_RECORDS, app
from boiler.formats import read_inputs
from boiler.pipeline import clean_batch

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c:
        yield c


@pytest.fixture()
def pages_jsonl(tmp_path):
    """Our own pages as text records, with a broken record and an empty page among them."""
    path = tmp_path / "pages.jsonl"
    rows = [json.dumps({"id": p.id, "url": p.url, "text": "\n".join(p.lines)}) for p in read_inputs([TRAINING_PAGES])]
    rows.insert(5, "{broken")
    rows.insert(9, json.dumps({"id": "empty", "text": ""}))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_dask_run_equals_the_local_run_byte_for_byte(cluster, pages_jsonl, small_model_dir, tmp_path):
    runner = CliRunner()
    local, remote = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    common = ["clean", str(pages_jsonl), "--format", "jsonl", "--labels", "--model", str(small_model_dir)]
    r1 = runner.invoke(app, common + ["-o", str(local)])
    r2 = runner.invoke(app, common + ["-o", str(remote), "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert r1.exit_code == r2.exit_code == EXIT_FAILED_RECORDS, r2.output  # the broken and the empty record
    assert local.read_bytes() == remote.read_bytes()
    records = [json.loads(x) for x in local.read_text().splitlines()]
    assert len(records) == len(pages_jsonl.read_text().splitlines())  # one per input record
    assert sum("error" in r for r in records) == 2


def test_clean_bag_gives_one_record_per_input(cluster, small_labeler):
    import dask.bag as db
    from distributed import Client

    records = [{"id": str(k), "text": f"Menu\nA line of the article number {k}, long enough to read as text.\n"}
               for k in range(30)] + [{"id": "bad", "text": 42}, "not a record"]
    with Client(cluster) as client:
        bag = db.from_sequence(records, npartitions=4)
        from boiler.distributed import clean_bag

        out = clean_bag(bag, small_labeler).compute(scheduler=client.get)
    assert len(out) == len(records)
    assert [r["id"] for r in out[:30]] == [str(k) for k in range(30)]
    assert "error" in out[30] and "must be a string" in out[30]["error"] and "error" in out[31]
    # an error record keeps the record's id, and says where it was: its partition and its place there
    parts = [part.compute(scheduler="sync") for part in bag.to_delayed()]
    assert out[30]["id"] == "bad" and out[31]["id"] is None
    assert out[31]["source"] == f"<bag partition {len(parts) - 1}>" and out[31]["record"] == len(parts[-1])
    from boiler.formats import page_from_record

    expected = clean_batch(small_labeler, [page_from_record(r, "<bag>", k + 1) for k, r in enumerate(records[:30])])
    assert [r["text"] for r in out[:30]] == [r["text"] for r in expected]


def test_learned_templates_reach_the_dask_workers(cluster, pages_jsonl, small_model_dir, tmp_path):
    runner = CliRunner()
    local, remote = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    common = ["clean", str(pages_jsonl), "--format", "jsonl", "--labels", "--learn-templates", "--no-templates",
              "--model", str(small_model_dir)]
    r1 = runner.invoke(app, common + ["-o", str(local)])
    r2 = runner.invoke(app, common + ["-o", str(remote), "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert r1.exit_code == r2.exit_code == EXIT_FAILED_RECORDS, r2.output
    assert "site templates learned for" in r2.stderr and local.read_bytes() == remote.read_bytes()
    plain = runner.invoke(app, ["clean", str(pages_jsonl), "--format", "jsonl", "--labels", "--no-templates",
                                "--model", str(small_model_dir)])
    assert plain.stdout != local.read_text()  # the templates changed some scores
