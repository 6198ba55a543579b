import io
import json
import os
import pickle

import pytest

from boiler.errors import ModelFileError
from boiler.modelio import ESTIMATOR_NAME, FORMAT_VERSION, META_NAME, atomic_write, load_model, read_metadata, save_model


def test_round_trip_keeps_predictions(small_model, small_model_dir):
    model, meta = load_model(small_model_dir)
    pages = [["Home", "", "A paragraph of an article that ends with a full stop.", "Share"]]
    assert (model.predict_proba_pages(pages)[0][2] == small_model.predict_proba_pages(pages)[0][2])
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["libraries"]["scikit-learn"] and meta["training_sets"] == {"own": 1}


def _copy(src, dst):
    dst.mkdir()
    for name in (META_NAME, ESTIMATOR_NAME):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(ModelFileError, match="no model metadata"):
        load_model(tmp_path / "nowhere")


@pytest.mark.parametrize("meta, message", [
    ({"format": "something-else", "format_version": 1}, "not a boiler model"),
    ({"format": "boiler-model", "format_version": FORMAT_VERSION + 1}, "newer than this boiler"),
    ("not json at all {", "unreadable model metadata"),
])
def test_foreign_or_too_new_metadata_is_refused(small_model_dir, tmp_path, meta, message):
    d = _copy(small_model_dir, tmp_path / "m")
    (d / META_NAME).write_text(meta if isinstance(meta, str) else json.dumps(meta))
    with pytest.raises(ModelFileError, match=message) as exc:
        read_metadata(d)
    assert str(d) in str(exc.value)


def test_truncated_model_file_is_refused(small_model_dir, tmp_path):
    d = _copy(small_model_dir, tmp_path / "m")
    data = (d / ESTIMATOR_NAME).read_bytes()
    (d / ESTIMATOR_NAME).write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelFileError, match="damaged"):
        load_model(d)


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_pickle_that_would_run_code_is_refused_and_nothing_runs(small_model_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = _copy(small_model_dir, tmp_path / "m")
    (d / ESTIMATOR_NAME).write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(ModelFileError):
        load_model(d)
    assert not (tmp_path / "PWNED").exists()


def test_skops_file_naming_other_types_is_refused(small_model_dir, tmp_path):
    import skops.io as sio

    from sklearn.linear_model import LogisticRegression

    d = _copy(small_model_dir, tmp_path / "m")
    # skops itself trusts scikit-learn's estimators; boiler's allow-list is narrower
    sio.dump({"x": LogisticRegression()}, d / ESTIMATOR_NAME)
    with pytest.raises(ModelFileError, match="refused: .*LogisticRegression"):
        load_model(d)


def test_other_estimator_is_refused(small_model_dir, tmp_path):
    import numpy as np
    import skops.io as sio

    d = _copy(small_model_dir, tmp_path / "m")
    sio.dump(np.zeros(3), d / ESTIMATOR_NAME)
    with pytest.raises(ModelFileError, match="not a boiler LineClassifier"):
        load_model(d)


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "file.json"
    target.write_text("old")

    def crash(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise RuntimeError("disk died")

    with pytest.raises(RuntimeError):
        atomic_write(target, crash)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]


def test_save_writes_both_files(small_model, tmp_path):
    save_model(small_model, tmp_path / "new", {"note": "x"})
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == sorted([ESTIMATOR_NAME, META_NAME])


def test_a_model_that_fails_to_load_names_the_library_versions_it_was_made_with(small_model_dir, tmp_path):
    d = _copy(small_model_dir, tmp_path / "m")
    meta = json.loads((d / "model.json").read_text())
    meta["libraries"]["scikit-learn"] = "0.1.0"
    (d / "model.json").write_text(json.dumps(meta))
    import zipfile

    src = zipfile.ZipFile(io.BytesIO((d / ESTIMATOR_NAME).read_bytes()))
    with zipfile.ZipFile(d / ESTIMATOR_NAME, "w") as dst:  # a valid archive whose arrays are gone
        for name in src.namelist():
            if not name.endswith(".npy"):
                dst.writestr(name, src.read(name))
    with pytest.raises(ModelFileError, match=r"made with scikit-learn 0\.1\.0 \(this is") as exc:
        load_model(d)
    assert str(d / ESTIMATOR_NAME) in str(exc.value)


def test_a_model_made_before_newer_parameters_loads_with_what_it_behaves_as(small_model, tmp_path):
    import copy

    from boiler.model import ADDED_PARAMS

    old = copy.deepcopy(small_model)
    for name in ADDED_PARAMS:
        old.__dict__.pop(name, None)
    save_model(old, tmp_path / "old", {})
    model, _ = load_model(tmp_path / "old")
    params = model.get_params()  # raised AttributeError before the parameters were filled in
    assert {k: params[k] for k in ADDED_PARAMS} == ADDED_PARAMS
    assert not model.uses_templates and not model.uses_dom and not model.uses_page_best and not model.uses_dated_context
    assert model.anchor_confirm == 0
    assert "LineClassifier" in repr(model)


def _rewrite_schema(folder, change) -> None:
    """Rewrite the skops file's schema.json in place with ``change(schema)`` (a file altered inside)."""
    import zipfile

    path = folder / ESTIMATOR_NAME
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            if item.filename == "schema.json":
                schema = json.loads(zin.read(item))
                change(schema["content"]["content"])
                zout.writestr(item, json.dumps(schema))
            else:
                zout.writestr(item, zin.read(item))


@pytest.mark.parametrize("change", [lambda c: c.pop("stage1_"), lambda c: c.__setitem__("evidence_", c["stage2_"])])
def test_a_model_file_altered_inside_is_refused_at_load_not_at_its_first_page(change, small_model_dir, tmp_path):
    d = _copy(small_model_dir, tmp_path / "m")
    _rewrite_schema(d, change)
    with pytest.raises(ModelFileError, match="damaged model file: it cannot label a page"):
        load_model(d)
