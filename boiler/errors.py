"""Exceptions raised by boiler. Each names the input it is about, so a caller can print it as is."""

from __future__ import annotations

__all__ = ["BoilerError", "InputError", "ModelFileError", "SpoolError"]


class BoilerError(Exception):
    """Base class of boiler's own errors."""


class InputError(BoilerError):
    """A page, file or record cannot be read. The message names the input (and the record)."""

    def __init__(self, source: str, message: str, record: int | None = None):
        self.source = source
        self.record = record
        where = f"{source}: record {record}" if record is not None else source
        super().__init__(f"{where}: {message}")
        self.message = message


class ModelFileError(BoilerError):
    """A model file is missing, damaged, foreign, too new, or holds types we do not load."""

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}")


class SpoolError(BoilerError):
    """The temporary file that keeps a corpus pass's pages for its second pass cannot be made, written
    or read back (a full or vanished TMPDIR). The message names the folder."""

    def __init__(self, folder: str, message: str):
        self.folder = folder
        super().__init__(f"{folder}: {message}")
