"""Exceptions raised by boiler. Each names the input it is about, so a caller can print it as is."""

from __future__ import annotations

__all__ = ["BoilerError", "InputError", "ModelFileError"]


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
