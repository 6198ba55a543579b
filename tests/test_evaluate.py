import numpy as np
import pytest

from boiler.evaluate import page_counts, score_pages, site_folds


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
