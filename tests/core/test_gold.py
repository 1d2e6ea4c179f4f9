"""Gold items: strict gold specs, a worker's result scored per field (labels, IoU of shapes, text similarity), a
worker's running accuracy, and the payload a worker's page may see."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.results import agreement
from workbench.study import geometry, gold

SECRET = "zq-secret-answer-7f3a"


def _box(x, y, w=1, h=1, label="a"):
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def _square_polygon(x, y, label="a"):
    return {"points": [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1]], "label": label}


def _gold(expected, **tolerance):
    return gold.parse_gold({"expected": expected, "tolerance": tolerance})


def test_the_geometry_moved_down_and_agreement_still_offers_it():
    assert agreement.box_iou is geometry.box_iou and agreement.shape_iou is geometry.shape_iou
    assert agreement.outline is geometry.outline


@pytest.mark.parametrize("shape, offset", [(_box, _box(0.5, 0)), (_square_polygon, _square_polygon(0.5, 0))])
def test_two_unit_squares_offset_by_half(shape, offset):
    # intersection 1/2, union 1 + 1 - 1/2 = 3/2: IoU 1/3, below the default 0.5
    field = "boxes" if shape is _box else "polygons"
    scored = gold.score({field: [offset]}, gold.parse_gold({"expected": {field: [shape(0, 0)]}}))
    assert scored.score == pytest.approx(1 / 3) and not scored.passed
    assert scored.fields[field].kind == "iou"
    assert scored.fields[field].detail.startswith("0 of 1 expected shapes matched at IoU >= 0.5")
    lenient = gold.score({field: [offset]}, _gold({field: [shape(0, 0)]}, **{field: {"kind": "iou", "min": 0.3}}))
    assert lenient.score == pytest.approx(1 / 3) and lenient.passed


def test_shapes_match_one_to_one_and_extra_shapes_fail_unless_allowed():
    expected = {"boxes": [_box(0, 0), _box(10, 0)]}
    given = {"boxes": [_box(10.5, 0), _box(0, 0), _box(20, 0)]}  # exact, offset by half, one too many
    # IoUs 1 and 1/3: mean (1 + 1/3) / 2 = 2/3
    strict = gold.score(given, _gold(expected))
    assert strict.score == pytest.approx(2 / 3) and not strict.passed
    assert "1 given shapes unmatched (0 allowed)" in strict.fields["boxes"].detail
    low = gold.score(given, _gold(expected, boxes={"kind": "iou", "min": 0.3}))
    assert low.score == pytest.approx(2 / 3) and not low.passed  # the extra box still fails it
    allowed = gold.score(given, _gold(expected, boxes={"kind": "iou", "min": 0.3, "extra": 1}))
    assert allowed.score == pytest.approx(2 / 3) and allowed.passed


def test_a_shape_of_another_label_is_no_match():
    scored = gold.score({"boxes": [_box(0, 0, label="dog")]}, _gold({"boxes": [_box(0, 0, label="cat")]}))
    assert scored.score == 0.0 and not scored.passed


def test_no_expected_shapes_pass_with_none_given_or_within_extra():
    spec = {"boxes": {"kind": "iou", "extra": 1}}
    assert gold.score({"boxes": []}, _gold({"boxes": []}, **spec)).score == 1.0
    assert gold.score({"boxes": [_box(0, 0)]}, _gold({"boxes": []}, **spec)).passed
    two = gold.score({"boxes": [_box(0, 0), _box(5, 5)]}, _gold({"boxes": []}, **spec))
    assert two.score == 0.0 and not two.passed


def test_labels_compare_as_sets():
    expected = _gold({"labels": ["cat", "dog"]})
    assert expected.tolerance["labels"] == gold.Tolerance("equal", 1.0)
    same = gold.score({"labels": ["dog", "cat", "cat"]}, expected)  # order and repeats do not count
    assert same.score == 1.0 and same.passed and "compared as sets" in same.fields["labels"].detail
    fewer = gold.score({"labels": ["cat", "bird"]}, expected)
    assert fewer.score == 0.0 and not fewer.passed
    assert fewer.fields["labels"].detail == "labels differ: 1 missing, 1 not expected (compared as sets)"


def test_other_values_compare_as_json_values():
    assert gold.score({"answer": 1.0}, _gold({"answer": 1})).passed
    assert not gold.score({"answer": True}, _gold({"answer": 1})).passed  # true is not 1 in JSON
    assert not gold.score({"answer": "Cat"}, _gold({"answer": "cat"})).passed  # one word: exact equality


def test_text_similarity_by_hand():
    # "kitten" against "sitting": the matching blocks are "itt" and "n", 4 characters; both hold 6 + 7 = 13,
    # so the ratio is 2 * 4 / 13 = 8/13
    spec = {"text": {"kind": "text", "min": 0.6}}
    scored = gold.score({"text": "sitting"}, _gold({"text": "kitten"}, **spec))
    assert scored.score == pytest.approx(0.6153846153846154) and scored.passed
    assert scored.fields["text"].detail == "text similarity 0.615 (casefolded, whitespace collapsed)"
    assert not gold.score({"text": "sitting"}, _gold({"text": "kitten"}, text={"kind": "text"})).passed  # 0.8
    # casefolded, runs of whitespace one space, ends trimmed: the same text
    assert gold.score({"text": "  A  RED\nsquare "}, _gold({"text": "a red square"})).score == 1.0


def test_long_text_is_not_cut_down_by_autojunk():
    sentence = "a red square above a green triangle and a blue circle to the left of them."  # 74 characters
    text = " ".join([sentence] * 5)  # 5 * 74 + 4 spaces = 374 characters
    # "red" -> "rod" changes one character in each of 5 places: 369 of 374 match, 2 * 369 / 748 = 738/748
    scored = gold.score({"text": text.replace("red", "rod")}, _gold({"text": text}))
    assert scored.fields["text"].kind == "text" and scored.score == pytest.approx(738 / 748) and scored.passed


@pytest.mark.parametrize("result, field, detail", [
    ("junk", "labels", "the result is not an object"),
    (None, "labels", "the result is not an object"),
    ([{"labels": ["cat"]}], "labels", "the result is not an object"),
    ({}, "labels", "missing from the result"),
    ({"labels": "cat"}, "labels", "is not a list of labels (strings)"),
    ({"labels": [1]}, "labels", "is not a list of labels (strings)"),
    ({"boxes": "x"}, "boxes", "is not a list of boxes or polygons"),
    ({"boxes": [1]}, "boxes", "shape 0: is not a box {x, y, w, h} or a polygon {points}"),
    ({"boxes": [_box(0, 0), {"x": math.nan, "y": 0, "w": 1, "h": 1}]}, "boxes",
     "shape 1: x, y, w and h must be finite numbers"),
    ({"boxes": [{"x": 0, "y": 0, "w": "1", "h": 1}]}, "boxes", "shape 0: x, y, w and h must be finite numbers"),
    ({"boxes": [_box(0, 0, w=-1)]}, "boxes", "shape 0: w and h must be above 0"),
    ({"boxes": [{"points": [[0, 0], [1, 1]]}]}, "boxes", "shape 0: points must be 3 or more [x, y] pairs"),
    ({"boxes": [{"points": [[0, 0], [1, 1], [1, "a"]]}]}, "boxes", "shape 0: points must be 3 or more"),
    ({"boxes": [_box(0, 0)] * 201}, "boxes", "holds more than 200 shapes"),
    ({"text": 5}, "text", "is not text"),
    ({"text": "x" * 2_000_000}, "text", "is too long to score"),
])
def test_a_malformed_result_scores_0_and_says_why(result, field, detail):
    spec = _gold({"labels": ["cat"], "boxes": [_box(0, 0)], "text": "a red square"})
    scored = gold.score(result, spec)
    assert not scored.passed and scored.fields[field].score == 0.0 and not scored.fields[field].passed
    assert scored.fields[field].detail.startswith(detail)


def test_a_polygon_too_costly_to_measure_scores_0():
    # 2,000 vertices against a box: (2000 + 4)^3, about 8e9 units of work, over gold.MAX_WORK (1e7)
    zigzag = [[i * 0.05, (i % 2) * 1.0] for i in range(1999)] + [[0, 1]]
    scored = gold.score({"boxes": [{"points": zigzag, "label": "a"}]}, _gold({"boxes": [_box(0, 0)]}))
    assert scored.score == 0.0 and scored.fields["boxes"].detail.startswith("is too complex to score")


def test_details_never_quote_the_expected_answer():
    spec = _gold({"labels": [SECRET], "boxes": [_box(0, 0, label=SECRET)], "text": SECRET + " and more",
                  "code": SECRET})
    for result in ({"labels": ["cat"], "boxes": [_box(3, 3)], "text": "no", "code": "x"}, {}, "junk"):
        assert SECRET not in json.dumps(asdict(gold.score(result, spec)))


@pytest.mark.parametrize("spec, field", [
    (None, "gold"),
    ([], "gold"),
    ({"expected": {"labels": ["cat"]}, "answer": 1}, "gold.answer"),
    ({}, "gold.expected"),
    ({"expected": {}}, "gold.expected"),
    ({"expected": ["cat"]}, "gold.expected"),
    ({"expected": {"labels": ["cat"]}, "tolerance": []}, "gold.tolerance"),
    ({"expected": {"labels": ["cat"]}, "tolerance": {"boxes": {"kind": "iou"}}}, "gold.tolerance.boxes"),
    ({"expected": {"labels": ["cat"]}, "tolerance": {"labels": "equal"}}, "gold.tolerance.labels"),
    ({"expected": {"labels": ["cat"]}, "tolerance": {"labels": {}}}, "gold.tolerance.labels.kind"),
    ({"expected": {"labels": ["cat"]}, "tolerance": {"labels": {"kind": "exact"}}}, "gold.tolerance.labels.kind"),
    ({"expected": {"labels": ["cat"]}, "tolerance": {"labels": {"kind": "equal", "max": 1}}},
     "gold.tolerance.labels.max"),
    ({"expected": {"boxes": [_box(0, 0)]}, "tolerance": {"boxes": {"kind": "iou", "min": 1.5}}},
     "gold.tolerance.boxes.min"),
    ({"expected": {"boxes": [_box(0, 0)]}, "tolerance": {"boxes": {"kind": "iou", "min": -0.1}}},
     "gold.tolerance.boxes.min"),
    ({"expected": {"boxes": [_box(0, 0)]}, "tolerance": {"boxes": {"kind": "iou", "min": "0.5"}}},
     "gold.tolerance.boxes.min"),
    ({"expected": {"boxes": [_box(0, 0)]}, "tolerance": {"boxes": {"kind": "iou", "min": math.nan}}},
     "gold.tolerance.boxes.min"),
    ({"expected": {"boxes": [_box(0, 0)]}, "tolerance": {"boxes": {"kind": "iou", "min": True}}},
     "gold.tolerance.boxes.min"),
    ({"expected": {"boxes": [_box(0, 0)]}, "tolerance": {"boxes": {"kind": "iou", "extra": -1}}},
     "gold.tolerance.boxes.extra"),
    ({"expected": {"boxes": [_box(0, 0)]}, "tolerance": {"boxes": {"kind": "iou", "extra": 1.5}}},
     "gold.tolerance.boxes.extra"),
    ({"expected": {"text": "a b"}, "tolerance": {"text": {"kind": "text", "extra": 1}}}, "gold.tolerance.text.extra"),
    ({"expected": {"labels": ["cat"]}, "tolerance": {"labels": {"kind": "text"}}}, "gold.expected.labels"),
    ({"expected": {"labels": ["cat"]}, "tolerance": {"labels": {"kind": "iou"}}}, "gold.expected.labels[0]"),
    ({"expected": {"boxes": "x"}, "tolerance": {"boxes": {"kind": "iou"}}}, "gold.expected.boxes"),
    ({"expected": {"boxes": [_box(0, 0), _box(0, 0, w=0)]}}, "gold.expected.boxes[1]"),
    ({"expected": {"polygons": [{"points": [[0, 0], [1, 1], [2, 2]]}]}}, "gold.expected.polygons[0]"),  # no area
    ({"expected": {"polygons": [{"points": [[0, 0], [1, 1]]}]}}, "gold.expected.polygons[0]"),
])
def test_a_bad_gold_spec_is_refused_naming_the_field(spec, field):
    with pytest.raises(ValidationError) as caught:
        gold.parse_gold(spec)
    assert caught.value.field == field


def test_tolerances_default_by_the_expected_value():
    parsed = gold.parse_gold({"expected": {"labels": ["cat"], "word": "cat", "text": "a red square",
                                           "boxes": [_box(0, 0)], "polygons": [_square_polygon(0, 0)], "n": 3}})
    assert {name: (t.kind, t.min) for name, t in parsed.tolerance.items()} == {
        "labels": ("equal", 1.0), "word": ("equal", 1.0), "text": ("text", 0.8), "boxes": ("iou", 0.5),
        "polygons": ("iou", 0.5), "n": ("equal", 1.0)}


def test_gold_of_a_payload():
    assert gold.gold_of({"text": "Which?"}) is None and gold.gold_of(None) is None
    assert gold.gold_of({"gold": {"expected": {"labels": ["cat"]}}}).expected == {"labels": ["cat"]}
    with pytest.raises(ValidationError) as caught:
        gold.gold_of({"gold": {"expected": {"labels": ["cat"]}, "tolerance": {"labels": {"kind": "equal", "min": 2}}}})
    assert caught.value.field == "gold.tolerance.labels.min"


def test_redact_removes_gold_from_a_deep_copy():
    payload = {"text": "Which?", "gold": {"expected": {"labels": [SECRET]}}, "options": {"shown": ["a", "b"]}}
    before = json.dumps(payload, sort_keys=True)
    shown = gold.redact(payload)
    assert shown == {"text": "Which?", "options": {"shown": ["a", "b"]}}
    assert SECRET not in json.dumps(shown)
    shown["options"]["shown"].append("c")  # the copy shares nothing with the stored payload
    assert json.dumps(payload, sort_keys=True) == before
    assert gold.redact(None) == {} and gold.redact({"text": "x"}) == {"text": "x"}


def test_accuracy_counts_passes():
    passed = gold.score({"labels": ["cat"]}, _gold({"labels": ["cat"]}))
    failed = gold.score({"labels": ["dog"]}, _gold({"labels": ["cat"]}))
    record = gold.accuracy([passed, failed, True, True])
    assert (record.correct, record.count, record.rate) == (3, 4, 0.75)  # 3 of 4
    assert gold.accuracy([]) == gold.Accuracy(0, 0) and gold.accuracy([]).rate is None
    assert gold.Accuracy().plus(False).plus(True).rate == 0.5  # running: 1 of 2
    with pytest.raises(ValidationError) as caught:
        gold.accuracy([1])
    assert caught.value.field == "scores"


# -- properties -------------------------------------------------------------------------------------------------

coordinate = st.floats(0, 1000, allow_nan=False)
size = st.floats(0.5, 100, allow_nan=False)
label = st.sampled_from(["a", "b", ""])
boxes = st.lists(st.builds(_box, coordinate, coordinate, size, size, label), max_size=6)


def _star(cx, cy, radii, name):
    """A star-shaped polygon (non-convex in general) of positive area around (cx, cy)."""
    n = len(radii)
    return {"points": [[cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n)]
                       for i, r in enumerate(radii)], "label": name}


polygons = st.lists(st.builds(_star, coordinate, coordinate, st.lists(st.floats(1, 50), min_size=3, max_size=12),
                              label), min_size=1, max_size=4)
expected_results = st.fixed_dictionaries({}, optional={
    "labels": st.lists(st.text(min_size=1, max_size=8), max_size=5),
    "boxes": boxes.filter(bool),
    "polygons": polygons,
    "text": st.text(max_size=60),
    "answer": st.one_of(st.integers(), st.booleans(), st.none()),
}).filter(bool)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=20)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)
near_shapes = st.lists(st.one_of(
    st.builds(_box, st.floats(), st.floats(), st.floats(), st.floats(), label), json_values,
    st.fixed_dictionaries({"points": st.lists(st.lists(st.floats(), min_size=2, max_size=2), max_size=6)})), max_size=5)
SPEC = _gold({"labels": ["cat", "dog"], "boxes": [_box(0, 0), _box(3, 3, label="b")],
              "polygons": [_square_polygon(0, 0)], "text": "a red square above a circle", "answer": 3},
             boxes={"kind": "iou", "min": 0.7, "extra": 1})


@settings(max_examples=300, deadline=None)
@given(result=st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "labels": st.one_of(json_values, st.lists(st.sampled_from(["cat", "dog", "bird"]))),
    "boxes": st.one_of(near_shapes, boxes), "polygons": st.one_of(near_shapes, polygons),
    "text": st.one_of(json_values, st.text()), "answer": json_values})))
def test_any_result_scores_within_0_and_1_and_never_raises(result):
    scored = gold.score(result, SPEC)
    assert 0.0 <= scored.score <= 1.0
    assert all(0.0 <= f.score <= 1.0 for f in scored.fields.values())
    assert scored.passed == all(f.passed for f in scored.fields.values())


@settings(max_examples=200, deadline=None)
@given(expected=expected_results)
def test_the_expected_result_itself_scores_1_and_passes(expected):
    scored = gold.score(json.loads(json.dumps(expected)), gold.parse_gold({"expected": expected}))
    assert scored.score == pytest.approx(1.0) and scored.passed


# -- recorded with the annotation (annotations.submit) ---------------------------------------------------------------

def test_an_annotation_of_a_gold_task_records_its_score_and_one_of_another_task_none(study):
    from workbench.study import annotations, tasks

    with study.store.transaction() as s:
        gold_task = tasks.create(s, "cats", study.definition.id,
                                 payload={"gold": {"expected": {"labels": ["cat"]}}}).id
        plain_task = tasks.create(s, "cats", study.definition.id, payload={"text": "Which?"}).id
        right = annotations.submit(s, gold_task, {"labels": ["cat"]}, actor="W1").annotation
        wrong = annotations.submit(s, gold_task, {"labels": ["dog"]}, actor="W2").annotation
        plain = annotations.submit(s, plain_task, {"labels": ["dog"]}, actor="W1").annotation
        # label equality: the same set scores 1 and passes, another scores 0 and fails
        assert (right.gold_score, right.gold_passed) == (1.0, True)
        assert (wrong.gold_score, wrong.gold_passed) == (0.0, False)
        assert (plain.gold_score, plain.gold_passed) == (None, None)


def test_a_gold_spec_stored_before_specs_were_checked_never_refuses_a_workers_answer(study):
    from sqlalchemy import update

    from workbench.store.models import Task
    from workbench.study import annotations, tasks

    with study.store.transaction() as s:
        task_id = tasks.create(s, "cats", study.definition.id, payload={"text": "Which?"}).id
        s.execute(update(Task).where(Task.id == task_id).values(payload={"gold": {"answer": "cat"}}))
        stored = annotations.submit(s, task_id, {"labels": ["cat"]}, actor="W1").annotation
        assert (stored.gold_score, stored.gold_passed) == (None, None)
