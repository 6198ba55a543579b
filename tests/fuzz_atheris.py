"""Coverage-guided fuzzing of the cheap untrusted-input entry points with atheris (libFuzzer).

    python tests/fuzz_atheris.py -runs=20000 -seed=1        # bounded, as tests/test_fuzz.py runs it
    python tests/fuzz_atheris.py -max_total_time=600        # a longer hunt, by hand

The first byte of each input picks the entry point; the rest is its input. Any exception other than
the documented ``InputError`` is a crash: libFuzzer prints the input and exits non-zero.
"""

from __future__ import annotations

import io
import sys

import atheris

# Only boiler is instrumented: numpy, scikit-learn and lxml are imported (uninstrumented) first.
import html_text  # noqa: F401
import numpy  # noqa: F401

with atheris.instrument_imports(include=["boiler"]):
    from boiler import formats
    from boiler.errors import InputError
    from boiler.formats import Failure, Page, page_from_record, read_lines_txt, split_lines
    from boiler.html import decode_html, html_to_lines


def _jsonl(data: bytes) -> None:
    for item in formats._iter_jsonl("-", io.BufferedReader(io.BytesIO(data))):
        assert isinstance(item, (Page, Failure)), item
        assert item.source == "-"


def _record(data: bytes) -> None:
    import json

    try:
        rec = json.loads(data.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return
    try:
        page = page_from_record(rec, "in.jsonl", 1)
    except InputError as exc:
        assert exc.source == "in.jsonl" and exc.record == 1
        return
    assert all(isinstance(x, str) for x in page.lines)


def _lines_txt(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        page = read_lines_txt(text, "in.lines.txt")
    except InputError as exc:
        assert exc.source == "in.lines.txt"
        return
    assert len(page.lines) == len(page.labels)


def _split(data: bytes) -> None:
    lines = split_lines(data.decode("utf-8", "replace"))
    assert not any("\n" in line or "\r" in line for line in lines)


def _html(data: bytes) -> None:
    assert isinstance(decode_html(data), str)
    try:
        lines = html_to_lines(data, "in.html")
    except InputError as exc:
        assert exc.source == "in.html"
        return
    assert all(isinstance(line, str) for line in lines)


TARGETS = (_jsonl, _record, _lines_txt, _split, _html)


def test_one_input(data: bytes) -> None:
    if data:
        TARGETS[data[0] % len(TARGETS)](data[1:])


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
