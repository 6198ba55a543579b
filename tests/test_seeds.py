"""The shipped default model gets every line of both seed pages right (they are never trained on)."""

import pytest

from boiler.formats import read_lines_txt, split_lines

from conftest import shared_or_skip

SEEDS = ["000_03964a450d6fa33d", "004_8544147231d2fdeb"]


@pytest.mark.parametrize("name", SEEDS)
def test_default_model_labels_every_seed_line_right(default_labeler, name):
    seeds = shared_or_skip("seeds")
    gold = read_lines_txt((seeds / f"{name}.lines.txt").read_text(encoding="utf-8"), name)
    raw = (seeds / f"{name}.txt").read_text(encoding="utf-8")
    results = default_labeler.label(raw, site=gold.site)
    assert len(results) == len(split_lines(raw)) == len(gold.lines)
    wrong = [(i, g, r.label, round(r.p_body, 2), r.text[:60]) for i, (g, r) in enumerate(zip(gold.labels, results))
             if g != r.label]
    assert not wrong, wrong


def test_seeds_are_not_in_the_training_data():
    seeds = shared_or_skip("seeds")
    from conftest import ROOT

    own = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "training_data").rglob("*.lines.txt"))
    for name in SEEDS:
        gold = read_lines_txt((seeds / f"{name}.lines.txt").read_text(encoding="utf-8"))
        long_lines = [line for line in gold.lines if len(line.split()) >= 8]
        assert not [line for line in long_lines if line in own]
