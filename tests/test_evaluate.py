import numpy as np
import pytest

from boiler.evaluate import (
    ShingleCounts,
    page_counts,
    score_pages,
    score_shingle_pages,
    shingle_counts,
    shingles,
    site_folds,
    word_tokens,
)


def test_counts_are_token_weighted():
    lines = ["one two three", "four", "", "five six"]
    gold = ["+", "-", " ", "+"]
    c = page_counts(lines, gold, [True, True, None, False])
    assert (c.tp, c.fp, c.fn) == (3, 1, 2)


def test_macro_scores_average_pages():
    a = page_counts(["a b", "c"], ["+", "-"], [True, False])  # perfect
    b = page_counts(["a b", "c"], ["+", "-"], [False, True])  # all wrong
    s = score_pages([a, b])
    assert s.precision == pytest.approx(0.5)  # (1 + 0) / 2
    assert s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(0.5)


def test_precision_skips_pages_with_no_prediction_recall_counts_them():
    a = page_counts(["a b"], ["+"], [True])
    empty = page_counts(["a b"], ["+"], [False])
    s = score_pages([a, empty])
    assert s.precision == 1.0 and s.recall == 0.5


def test_page_without_gold_body_has_full_recall():
    s = score_pages([page_counts(["menu"], ["-"], [False])])
    assert s.recall == 1.0


def test_site_folds_never_split_a_site():
    groups = ["a"] * 10 + ["b"] * 3 + ["c"] * 7 + [f"s{i}" for i in range(20)]
    folds = site_folds(groups, 4, seed=1)
    seen = np.concatenate([te for _, te in folds])
    assert sorted(seen.tolist()) == list(range(len(groups)))
    for tr, te in folds:
        assert not {groups[i] for i in tr} & {groups[i] for i in te}
    assert max(len(te) for _, te in folds) - min(len(te) for _, te in folds) <= 10
    assert [te.tolist() for _, te in site_folds(groups, 4, seed=1)] == [te.tolist() for _, te in folds]


# -- pages track: word 4-gram shingles ---------------------------------------------------------

def test_tokens_keep_case_and_drop_punctuation():
    assert word_tokens("The cat's hat, 2024!") == ["The", "cat", "s", "hat", "2024"]
    assert word_tokens(None) == []


def test_shingles_are_overlapping_four_grams_across_lines():
    sh = shingles(word_tokens("a b c\nd e"))
    assert sh == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}


def test_short_text_is_one_shingle_of_its_whole_run():
    assert shingles(["a", "b"]) == {("a", "b"): 1}
    assert shingles([]) == {}
    c = shingle_counts("Hello world", "Hello world")
    assert (c.tp, c.fp, c.fn) == (1, 0, 0)


def test_counts_on_a_hand_made_page():
    gold = "one two three four five six"          # 3 shingles: 1234 2345 3456
    out = "menu one two three four five extra"    # 4 shingles: m123 1234 2345 345x
    c = shingle_counts(out, gold)
    assert (c.tp, c.fp, c.fn) == (2, 2, 1)
    assert c.precision == pytest.approx(0.5) and c.recall == pytest.approx(2 / 3)


def test_case_matters():
    c = shingle_counts("One two three four", "one two three four")
    assert (c.tp, c.fp, c.fn) == (0, 1, 1)


def test_repeated_shingles_count_as_a_multiset():
    gold = "a b c d"
    c = shingle_counts("a b c d. a b c d", gold)   # 5 shingles, "a b c d" twice; the gold has it once
    assert (c.tp, c.fp, c.fn) == (1, 4, 0)
    c = shingle_counts(gold, "a b c d x a b c d")   # the output finds one of the gold's two copies
    assert (c.tp, c.fp, c.fn) == (1, 0, 5)


def test_empty_output_is_left_out_of_precision_but_counts_in_recall():
    gold = "one two three four five"
    perfect = shingle_counts(gold, gold)
    empty = shingle_counts("", gold)
    punctuation_only = shingle_counts(" -- | ", gold)
    assert empty.precision is None and empty.recall == 0.0
    s = score_shingle_pages([perfect, empty, punctuation_only])
    assert s.precision == pytest.approx(1.0)          # 1 / 1, not 1 / 3
    assert s.recall == pytest.approx(1 / 3)           # (1 + 0 + 0) / 3
    assert s.f1 == pytest.approx(2 * 1 * (1 / 3) / (1 + 1 / 3))
    assert s.empty == 2 and s.pages == 3


def test_f1_is_the_harmonic_mean_of_the_averages_not_the_mean_of_page_f1s():
    a = ShingleCounts(tp=1, fp=0, fn=3)    # p 1.0, r 0.25
    b = ShingleCounts(tp=1, fp=3, fn=0)    # p 0.25, r 1.0
    s = score_shingle_pages([a, b])
    assert s.precision == pytest.approx(0.625) and s.recall == pytest.approx(0.625)
    assert s.f1 == pytest.approx(0.625)     # the mean of the pages' own F1s would be 0.4


def test_page_without_gold_text_has_full_recall():
    c = shingle_counts("stray words here now", "")
    assert c.recall == 1.0 and c.precision == 0.0
