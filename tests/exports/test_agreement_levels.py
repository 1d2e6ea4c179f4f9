"""Krippendorff's alpha at every level (against its author's worked example and the krippendorff
package), its bootstrap interval, its breakdowns, and IoU matching of boxes and polygons."""

from __future__ import annotations

import math
import random
import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.results import agreement
from workbench.results.exports import shapes

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 coders, 12 units, missing values.
EXAMPLE_C = {"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
             "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
             "C": [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
             "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N]}
# The same paper's results for example C at each level.
EXAMPLE_C_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def _triples(table):
    return [(rater, unit, value) for rater, values in table.items() for unit, value in enumerate(values)
            if value is not None]


def _reliability_data(table):
    """The raters x units matrix the krippendorff package takes, NaN for a missing value."""
    return np.array([[np.nan if v is None else v for v in values] for values in table.values()], dtype=float)


def _reference(table, level):
    """The krippendorff package's alpha, or None where it refuses or gives NaN (alpha undefined)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = krippendorff.alpha(reliability_data=_reliability_data(table), level_of_measurement=level)
    except ValueError:
        return None
    return None if math.isnan(value) else float(value)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_example_c_at_each_level(level):
    alpha = agreement.krippendorff_alpha(_triples(EXAMPLE_C), level)
    assert alpha.value == pytest.approx(EXAMPLE_C_ALPHA[level], abs=5e-4)
    assert alpha.value == pytest.approx(_reference(EXAMPLE_C, level), abs=1e-12)
    # unit 11 has one value only, so 11 units and 40 pairable values (the paper's n..)
    assert (alpha.level, alpha.n_units, alpha.n_pairable, alpha.reason, alpha.ci) == (level, 11, 40, None, None)


def test_the_nominal_shortcut_still_gives_a_float_or_none():
    assert agreement.krippendorff_alpha_nominal(_triples(EXAMPLE_C)) == pytest.approx(0.743, abs=5e-4)
    assert agreement.krippendorff_alpha_nominal([("a", 1, "x"), ("b", 1, "x")]) is None


@st.composite
def tables(draw):
    """2-6 raters x 2-40 units, values from a few numbers (some not whole), about a third missing."""
    domain = draw(st.lists(st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 2)) | st.integers(0, 9),
                           min_size=1, max_size=6, unique=True))
    raters, units = draw(st.integers(2, 6)), draw(st.integers(2, 40))
    cell = st.none() | st.sampled_from(domain) | st.sampled_from(domain)
    return {f"r{i}": draw(st.lists(cell, min_size=units, max_size=units)) for i in range(raters)}


@settings(max_examples=150, deadline=None)
@given(table=tables())
def test_agrees_with_the_krippendorff_package_on_random_tables(table):
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ours = agreement.krippendorff_alpha(_triples(table), level).value
        theirs = _reference(table, level)
        if theirs is None:
            assert ours is None, level
        else:
            assert ours == pytest.approx(theirs, abs=1e-9), level


def test_bootstrap_interval_on_example_c():
    for level in ("nominal", "ordinal", "interval", "ratio"):
        alpha = agreement.alpha_ci(_triples(EXAMPLE_C), level, n_boot=1000, seed=0)
        low, high = alpha.ci
        assert low <= alpha.value <= high, level
        assert alpha.value == pytest.approx(EXAMPLE_C_ALPHA[level], abs=5e-4)
    again = agreement.alpha_ci(_triples(EXAMPLE_C), "interval", n_boot=1000, seed=0)
    assert again.ci == agreement.alpha_ci(_triples(EXAMPLE_C), "interval", n_boot=1000, seed=0).ci
    assert again.ci != agreement.alpha_ci(_triples(EXAMPLE_C), "interval", n_boot=1000, seed=1).ci


def test_bootstrap_of_perfect_agreement_is_one_to_one():
    table = {"a": [1, 2, 3, 4, 5, 1], "b": [1, 2, 3, 4, 5, 1], "c": [1, 2, N, 4, 5, 1]}
    alpha = agreement.alpha_ci(_triples(table), "ordinal", n_boot=200)
    assert (alpha.value, alpha.ci) == (1.0, (1.0, 1.0))


def _noisy(n_units, seed):
    """Three raters who mostly give the unit's true 1-5 rating and sometimes one off."""
    rng = random.Random(seed)
    truth = [rng.randint(1, 5) for _ in range(n_units)]
    return [(r, u, t + rng.choice([0, 0, 0, -1, 1])) for u, t in enumerate(truth) for r in ("a", "b", "c")]


def test_bootstrap_interval_narrows_as_units_grow():
    widths = []
    for n_units in (20, 200, 2000):
        low, high = agreement.alpha_ci(_noisy(n_units, seed=7), "interval", n_boot=500).ci
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2] > 0


def test_undefined_alpha_says_why():
    lonely = agreement.krippendorff_alpha([("a", 1, "x"), ("b", 2, "y")])
    assert lonely.value is None and "fewer than two pairable values" in lonely.reason
    assert (lonely.n_units, lonely.n_pairable) == (0, 0)
    same = agreement.krippendorff_alpha([("a", 1, 3), ("b", 1, 3), ("a", 2, 3), ("b", 2, 3)], "interval")
    assert same.value is None and same.reason.startswith("no variation")
    assert (same.n_units, same.n_pairable) == (2, 4)
    assert agreement.alpha_ci([("a", 1, 3), ("b", 1, 3)], "interval").ci is None
    assert agreement.krippendorff_alpha([]).reason.startswith("fewer than two pairable values")


def test_numeric_levels_refuse_what_is_not_a_number():
    with pytest.raises(ValidationError) as error:
        agreement.krippendorff_alpha([("a", 1, 2), ("b", 1, "tall")], "interval")
    assert error.value.field == "value" and "interval" in error.value.reason and "'tall'" in error.value.reason
    with pytest.raises(ValidationError) as error:
        agreement.krippendorff_alpha([("a", 1, 2), ("b", 1, -1)], "ratio")
    assert error.value.field == "value"
    with pytest.raises(ValidationError) as error:
        agreement.krippendorff_alpha([("a", 1, 2)], "cardinal")
    assert error.value.field == "level"
    # the long table holds values as text: "3" is the number 3, and NaN (a frame's empty cell) is missing
    as_text = agreement.krippendorff_alpha(
        [("a", 1, "3"), ("b", 1, 3), ("a", 2, "1.5"), ("b", 2, 1.5), ("c", 2, float("nan"))], "interval")
    assert (as_text.value, as_text.n_pairable) == (1.0, 4)


def test_alpha_by_rater_finds_the_one_who_disagrees():
    # A, B and C agree on every unit; D only on the first three.
    table = {"A": [1, 2, 3, 1, 2, 3], "B": [1, 2, 3, 1, 2, 3], "C": [1, 2, 3, 1, 2, 3], "D": [1, 2, 3, 3, 1, 2]}
    overall = agreement.krippendorff_alpha(_triples(table)).value
    by_rater = {r.rater: r for r in agreement.alpha_by_rater(_triples(table))}
    assert by_rater["D"].alpha_without.value == 1.0 > overall
    assert by_rater["A"].alpha_without.value < overall
    # D: 3 equal units x 3 others of 6 x 3 pairs; A: 6 + 6 + 3 of 18.
    assert (by_rater["D"].pairwise_agreement, by_rater["D"].pairs) == (0.5, 18)
    assert by_rater["A"].pairwise_agreement == pytest.approx(15 / 18)


def test_leaving_out_a_random_rater_raises_alpha():
    rng = random.Random(11)  # not _noisy's seed, which would replay its true ratings
    triples = _noisy(60, seed=3) + [("random", u, rng.randint(1, 5)) for u in range(60)]
    overall = agreement.krippendorff_alpha(triples, "ordinal").value
    by_rater = {r.rater: r for r in agreement.alpha_by_rater(triples, "ordinal")}
    assert by_rater["random"].alpha_without.value > overall
    assert all(by_rater[r].alpha_without.value < overall for r in ("a", "b", "c"))
    assert by_rater["random"].pairwise_agreement < min(by_rater[r].pairwise_agreement for r in ("a", "b", "c"))


def test_alpha_by_condition():
    easy = [(r, u, u % 3) for u in range(6) for r in ("a", "b")]
    hard = [("a", 10, 0), ("b", 10, 1), ("a", 11, 1), ("b", 11, 0), ("a", 12, 2), ("b", 12, 2)]
    stray = [("a", 99, 1), ("b", 99, 1)]
    condition_of = {u: "easy" for u in range(6)} | {10: "hard", 11: "hard", 12: "hard"}
    groups = agreement.alpha_by_condition(easy + hard + stray, condition_of)
    assert set(groups) == {"easy", "hard", None}
    assert groups["easy"].value == 1.0 and groups["easy"].n_units == 6
    assert groups["hard"].value == pytest.approx(_reference({"a": [0, 1, 2], "b": [1, 0, 2]}, "nominal"), abs=1e-12)
    assert groups[None].value is None and groups[None].reason.startswith("no variation")


L_SHAPE = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]  # a 2x2 square without its top-right quarter; area 3


def test_shape_iou_by_hand():
    unit = [[0, 0], [1, 0], [1, 1], [0, 1]]
    # unit squares offset by half: intersection 1/2, union 3/2
    assert agreement.shape_iou([0, 0, 1, 1], [0.5, 0, 1, 1]) == pytest.approx(1 / 3)
    assert agreement.shape_iou(unit, [[0.5, 0], [1.5, 0], [1.5, 1], [0.5, 1]]) == pytest.approx(1 / 3)
    assert agreement.shape_iou(unit, unit) == pytest.approx(1.0)
    assert agreement.shape_iou(unit, [[5, 5], [6, 5], [6, 6]]) == 0.0
    assert agreement.shape_iou(unit, [1, 0, 1, 1]) == 0.0  # touching along an edge
    # the triangle (0,0) (2,0) (0,2), area 2, holds the unit square
    assert agreement.shape_iou([[0, 0], [2, 0], [0, 2]], unit) == pytest.approx(0.5)


def test_shape_iou_of_non_convex_polygons_by_hand():
    assert agreement.shape_iou(L_SHAPE, L_SHAPE) == pytest.approx(1.0)
    assert agreement.shape_iou(L_SHAPE, [0, 0, 2, 2]) == pytest.approx(3 / 4)
    # a unit square centred on the notch's corner: 3/4 of it inside, union 3 + 1 - 3/4
    assert agreement.shape_iou(L_SHAPE, {"x": 0.5, "y": 0.5, "w": 1, "h": 1}) == pytest.approx(3 / 13)
    assert agreement.shape_iou(L_SHAPE, [1, 1, 1, 1]) == 0.0  # the notch itself
    # the L without its top-left quarter instead: they share 2 of the 4 quarters
    other_l = {"points": [[0, 0], [2, 0], [2, 2], [1, 2], [1, 1], [0, 1]]}
    assert agreement.shape_iou(L_SHAPE, other_l) == pytest.approx(1 / 2)
    with pytest.raises(ValidationError):
        agreement.shape_iou([[0, 0], [1, 1]], L_SHAPE)


box = st.tuples(st.floats(-50, 50), st.floats(-50, 50), st.floats(0.5, 40), st.floats(0.5, 40)).map(list)


@settings(max_examples=200, deadline=None)
@given(a=box, b=box)
def test_shape_iou_of_boxes_is_box_iou(a, b):
    assert agreement.shape_iou(a, b) == pytest.approx(agreement.box_iou(a, b), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(radii=st.lists(st.floats(0.1, 1.0), min_size=3, max_size=30))
def test_shape_iou_of_a_star_in_a_box_is_its_shoelace_area_over_the_boxs(radii):
    # a star-shaped polygon (non-convex in general) inside the box [-1, 1]^2 of area 4
    points = [[r * math.cos(2 * math.pi * i / len(radii)), r * math.sin(2 * math.pi * i / len(radii))]
              for i, r in enumerate(radii)]
    assert agreement.shape_iou(points, [-1, -1, 2, 2]) == pytest.approx(shapes.polygon_area(points) / 4, abs=1e-9)


def _square(x, y):
    return [x, y, 1, 1]


def test_match_shapes():
    a = [_square(0, 0), _square(10, 10), _square(20, 20)]
    b = [_square(0.5, 10), _square(0.1, 0)]
    match = agreement.match_shapes(a, b)
    # offset by 0.1: intersection 0.9, union 1.1; offset by half (1/3) falls under the threshold
    assert match.pairs == [(0, 1, pytest.approx(9 / 11))]
    assert (match.mean_iou, match.f1) == (pytest.approx(9 / 11), pytest.approx(2 / 5))
    looser = agreement.match_shapes(a, [_square(10.5, 10), _square(0.1, 0)], threshold=0.3)
    assert sorted(i for i, _, _ in looser.pairs) == [0, 1]
    assert (looser.mean_iou, looser.f1) == (pytest.approx((9 / 11 + 1 / 3) / 2), pytest.approx(4 / 5))
    # one shape near two: the better overlap wins, the other is left unmatched
    greedy = agreement.match_shapes([_square(0, 0)], [_square(0.3, 0), _square(0.1, 0)])
    assert [(i, j) for i, j, _ in greedy.pairs] == [(0, 1)] and greedy.f1 == pytest.approx(2 / 3)
    assert agreement.match_shapes([], []) == agreement.ShapeMatch([], None, 1.0)
    assert agreement.match_shapes([L_SHAPE], []).f1 == 0.0
    with pytest.raises(ValidationError) as error:
        agreement.match_shapes(a, b, threshold=0)
    assert error.value.field == "threshold"
