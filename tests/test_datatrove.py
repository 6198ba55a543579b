"""boiler as a datatrove pipeline step."""

import pickle

import pytest

pytest.importorskip("datatrove")

from datatrove.data import Document

from boiler.datatrove import BoilerFilter
from boiler.formats import Page
from boiler.pipeline import clean_batch

ARTICLE = ("Home | News | Sport\n"
           "The Mill Lane footbridge reopened on Friday morning, five months after the river tore away two of "
           "its supports, and the council thanked residents for their patience.\n"
           "Engineers replaced the damaged piers with concrete footings set a metre deeper than the originals, "
           "the council said in a statement on its website.\nShare\nRead more")


class _Collect:
    """An exclusion writer that keeps what it is given (datatrove's writers are context managers)."""

    def __init__(self):
        self.docs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, doc, rank=0):
        self.docs.append(doc)


def test_documents_keep_their_body_and_failures_are_excluded_with_a_reason(small_model_dir, small_labeler):
    excluded = _Collect()
    step = BoilerFilter(model=str(small_model_dir), exclusion_writer=excluded, batch_size=2)
    docs = [Document(text=ARTICLE, id="a", metadata={"url": "https://www.example.co.uk/a"}),
            Document(text="", id="empty"),
            Document(text="\x00\x01\x02 binary \x03", id="bin"),
            Document(text=ARTICLE, id="b")]
    kept = list(step.run(iter(docs)))
    expected = clean_batch(small_labeler, [Page(lines=ARTICLE.split("\n"), id="a")])[0]
    assert [d.id for d in kept] == (["a", "b"] if expected["text"] else [])
    for d in kept:
        assert d.text == expected["text"] and d.metadata["boiler_lines_kept"] == expected["lines_kept"]
    reasons = {d.id: (d.metadata.get("filter_reason"), d.metadata.get("boiler_error")) for d in excluded.docs}
    assert reasons["empty"][0] == "boiler_error" and "empty page" in reasons["empty"][1]
    assert reasons["bin"][0] == "boiler_error"
    assert len(kept) + len(excluded.docs) == len(docs)  # nothing dropped silently


def test_the_step_pickles_without_its_model(small_model_dir):
    step = BoilerFilter(model=str(small_model_dir))
    step.filter(Document(text=ARTICLE, id="x"))
    assert step._labeler is not None
    clone = pickle.loads(pickle.dumps(step))
    assert clone._labeler is None and clone.model == str(small_model_dir)
