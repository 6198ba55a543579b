"""Model files: data, never code.

A model is a folder with two files:

* ``model.json``: human-readable metadata (format version, boiler and library versions, feature
  names, training sets, cross-validated scores). Read first; a foreign or too-new file stops here.
* ``model.skops``: the fitted estimator in skops' format, which rebuilds objects from a schema
  instead of unpickling. Before loading, every type the file names is checked against an
  allow-list (:data:`ALLOWED_TYPES`); a file naming any other type is refused and nothing from it
  runs.

Both files are written to a temporary name and renamed into place, so a crash mid-write leaves the
old model intact.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import tempfile
import zipfile

import numpy as np
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from .errors import ModelFileError

__all__ = ["FORMAT", "FORMAT_VERSION", "ALLOWED_TYPES", "save_model", "load_model", "read_metadata",
           "atomic_write", "library_versions"]

log = logging.getLogger(__name__)

FORMAT = "boiler-model"
#: Bumped when a model file written by this version cannot be read by an older boiler.
FORMAT_VERSION = 1
META_NAME = "model.json"
ESTIMATOR_NAME = "model.skops"
#: Largest model file we agree to open (bytes).
MAX_MODEL_BYTES = 200 * 2**20

#: The only types a model file may contain (checked against every type its schema names).
ALLOWED_TYPES: frozenset[str] = frozenset({
    "boiler.model.LineClassifier",
    "boiler.model.WordEvidence",
    "boiler.model.AttrEvidence",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.int32",
    "numpy.uint64",
    "numpy.uint8",
    "numpy.random._generator.Generator",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
})
_LIBRARIES = ("boiler", "scikit-learn", "numpy", "scipy", "skops")


def library_versions() -> dict[str, str]:
    out = {}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)``, then rename the temporary file over ``path``."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a model or template is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_text(text: str) -> Callable[[str], None]:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    return write


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write(path, _write_text(text))


def save_model(model, folder: str | os.PathLike, meta: dict) -> None:
    """Write ``model`` and its metadata into ``folder`` (created if needed), atomically per file."""
    import skops.io as sio

    folder = Path(folder)
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "libraries": library_versions(), **meta}
    atomic_write(folder / ESTIMATOR_NAME, lambda tmp: sio.dump(model, tmp, compression=zipfile.ZIP_DEFLATED))
    atomic_write(folder / META_NAME, _write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n"))


def read_metadata(folder: str | os.PathLike) -> dict:
    """The checked metadata of the model in ``folder``."""
    path = Path(folder) / META_NAME
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(str(path), "no model metadata here (is this a boiler model folder?)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(str(path), f"unreadable model metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(str(path), "not a boiler model (wrong 'format')")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(str(path), f"model format version {version!r} is newer than this boiler "
                                        f"reads ({FORMAT_VERSION}); upgrade boiler")
    made = meta.get("libraries", {}).get("scikit-learn")
    here = library_versions()["scikit-learn"]
    if made and made.split(".")[:2] != here.split(".")[:2]:
        log.warning("%s was made with scikit-learn %s, this is %s; its predictions may differ", path, made, here)
    return meta


def _schema_types(data: bytes, where: str) -> set[str]:
    """Every type named in a skops file's schema (skops' own check trusts all of scikit-learn; ours is narrower)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            schema = json.loads(z.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise ModelFileError(where, f"damaged or not a skops file ({type(exc).__name__}: {exc})") from None
    types: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node or "__module__" in node:
                types.add(f"{node.get('__module__')}.{node.get('__class__')}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return types


def load_model(folder: str | os.PathLike, compiled: bool = True):
    """The estimator in ``folder`` and its metadata. Refuses files naming types outside the allow-list,
    and a model that cannot label a small page (:func:`_check_labels`): an estimator file altered inside
    (an attribute missing, of another type or shape) is refused here, not at its first page.
    ``compiled``: as :meth:`~boiler.model.LineClassifier.use_compiled_trees`."""
    import skops.io as sio

    meta = read_metadata(folder)
    path = Path(folder) / ESTIMATOR_NAME
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ModelFileError(str(path), exc.strerror or str(exc)) from None
    if size > MAX_MODEL_BYTES:
        raise ModelFileError(str(path), f"{size} bytes is larger than a model may be ({MAX_MODEL_BYTES})")
    data = path.read_bytes()
    types = _schema_types(data, str(path))
    refused = sorted(types - ALLOWED_TYPES)
    if refused:
        raise ModelFileError(str(path), f"refused: the file holds types boiler does not load: {', '.join(refused[:5])}")
    try:
        model = sio.load(io.BytesIO(data), trusted=sorted(types))
    except Exception as exc:
        made = meta.get("libraries", {})
        here = library_versions()
        differ = [f"{lib} {made[lib]} (this is {here[lib]})" for lib in ("scikit-learn", "skops", "numpy")
                  if made.get(lib) and made[lib] != here[lib]]
        hint = f"; it was made with {', '.join(differ)}: install those versions or retrain" if differ else ""
        raise ModelFileError(str(path), f"damaged model file ({type(exc).__name__}: {exc}){hint}") from None
    from .model import ADDED_PARAMS, LineClassifier

    if not isinstance(model, LineClassifier):
        raise ModelFileError(str(path), f"holds a {type(model).__name__}, not a boiler LineClassifier")
    for name, value in ADDED_PARAMS.items():  # a model made before the parameter existed
        model.__dict__.setdefault(name, value)
    model.use_compiled_trees(compiled)
    _check_labels(model, str(path))
    return model, meta


#: The page a model must label when it is loaded (:func:`_check_labels`): menu, article, share links.
CHECK_PAGE = ("<html><body><nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
              "<article><h1>A headline</h1><p>Updated 18 Nov, 2024</p><p>The first paragraph of the article, "
              "long enough to judge, ends here.</p><p>A second paragraph follows it, and ends too.</p></article>"
              "<footer><a href='/share'>Share</a> All news</footer></body></html>")


def _check_labels(model, where: str) -> None:
    """Label :data:`CHECK_PAGE` with ``model`` (as HTML when it takes DOM evidence, with a template of the
    page itself when it takes template evidence), or raise ModelFileError naming the file: what loading
    a file cannot tell, whether its estimator's parts fit together."""
    from .html import parse_html
    from .templates import learn_template

    page = parse_html(CHECK_PAGE)
    try:
        tpl = [learn_template([page.lines], "check.example")] if model.uses_templates else None
        scores = model.score_pages([page.lines], tpl, [page] if model.uses_dom else None)
        ok = len(scores.p2) == scores.batch.n_rows and bool(np.all(np.isfinite(scores.p2)))
    except Exception as exc:  # noqa: BLE001 - whatever a damaged estimator raises, the file is at fault
        raise ModelFileError(where, f"damaged model file: it cannot label a page ({type(exc).__name__}: "
                                    f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if not ok:
        raise ModelFileError(where, "damaged model file: its probabilities of a page are not numbers")
