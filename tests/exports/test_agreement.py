"""Krippendorff's alpha against the worked examples of its author; IoU of boxes; a study's agreement."""

from __future__ import annotations

import pytest

from workbench.results import agreement

from ..study_data import seed_study


def _triples(table):
    return [(rater, unit, value) for rater, values in table.items() for unit, value in enumerate(values)
            if value is not None]


def test_alpha_matches_krippendorffs_example_with_missing_values():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: nominal alpha = 0.743.
    n = None
    table = {"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
             "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
             "C": [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
             "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]}
    assert agreement.krippendorff_alpha_nominal(_triples(table)) == pytest.approx(0.743, abs=5e-4)


def test_alpha_matches_the_binary_two_coder_example():
    # Same paper, example A: two observers, ten units, binary: alpha = 0.095.
    table = {"A": [0, 1, 0, 0, 0, 0, 0, 0, 1, 0], "B": [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]}
    assert agreement.krippendorff_alpha_nominal(_triples(table)) == pytest.approx(0.095, abs=5e-4)


def test_alpha_is_one_for_perfect_agreement_and_undefined_without_variation():
    assert agreement.krippendorff_alpha_nominal(_triples({"a": ["x", "y"], "b": ["x", "y"]})) == 1.0
    assert agreement.krippendorff_alpha_nominal(_triples({"a": ["x", "x"], "b": ["x", "x"]})) is None


def test_box_iou_and_set_matching():
    assert agreement.box_iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1.0
    assert agreement.box_iou([0, 0, 10, 10], [5, 0, 10, 10]) == pytest.approx(50 / 150)
    assert agreement.box_iou([0, 0, 1, 1], [5, 5, 1, 1]) == 0.0
    assert agreement.box_set_iou([[0, 0, 10, 10]], [[0, 0, 10, 10], [50, 50, 5, 5]]) == 0.5
    assert agreement.box_set_iou([], []) == 1.0


def test_project_agreement(store, tmp_path):
    seed_study(store, tmp_path / "images")
    rows = {r["metric"]: r for r in agreement.project_agreement(store, "shapes")}
    alpha = rows["krippendorff_alpha_nominal"]
    assert alpha["units"] == 2 and alpha["raters"] == 3
    # circle x3 on unit 0; square, square, triangle on unit 1.
    expected = agreement.krippendorff_alpha_nominal(
        [("W1", 0, "circle"), ("W2", 0, "circle"), ("W3", 0, "circle"),
         ("W1", 1, "square"), ("W2", 1, "square"), ("W3", 1, "triangle")])
    assert alpha["value"] == pytest.approx(expected)
    iou = rows["mean_pairwise_iou"]
    assert iou["pairs"] == 6 and 0 < iou["value"] < 1
