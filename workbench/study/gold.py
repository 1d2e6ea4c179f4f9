"""Gold tasks: a task's expected result with a tolerance per field, a worker's result scored against it, and a
worker's running accuracy.

A task is gold when its payload holds a gold spec under ``GOLD_KEY``::

    {"gold": {"expected": {"boxes": [{"x": 10, "y": 10, "w": 40, "h": 30, "label": "cat"}]},
              "tolerance": {"boxes": {"kind": "iou", "min": 0.7, "extra": 1}}}}

``expected`` is a result as the task's plugin produces it (``{"labels": [...]}``, ``{"boxes": [...]}``,
``{"polygons": [...]}``, ``{"text": "..."}``; see ``workbench.results.exports.shapes``). ``tolerance`` says per
field how to compare (``KINDS``) and the score the field needs to pass (``min``); a field without one takes a
default by its expected value (``default_tolerance``). Only the fields ``expected`` names are scored; others in
a worker's result are left alone.

The spec never leaves the server: ``redact`` is what of a payload may reach a worker's page. A score's
``detail`` never quotes the expected values, so a score may be shown to its worker as feedback.

Scoring is pure and deterministic, and never raises on a worker's result: a field that is missing or malformed
scores 0 with a detail saying why. A worker's result is outside input, scored on the submission path (one worker's
odd answer must not hold up a batch of others), so what it may cost is bounded (``MAX_SHAPES``, ``MAX_WORK``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from workbench.errors import ValidationError

from . import geometry

#: The key of a task's payload that holds its gold spec; ``redact`` removes it.
GOLD_KEY = "gold"
#: How a field compares: ``equal`` (labels as sets, any other value as is), ``iou`` (boxes and polygons matched
#: one-to-one), ``text`` (similarity of normalised text).
KINDS = ("equal", "iou", "text")
#: The score a field needs to pass when its tolerance gives no ``min``.
DEFAULT_MIN = {"equal": 1.0, "iou": 0.5, "text": 0.8}
#: Bounds on a worker's result beyond which a field scores 0 instead of being measured: the shapes in a field, and
#: the work of comparing it. IoU work counts the cube of the vertices of each pair of shapes compared
#: (``geometry.shape_iou`` is cubic in them at worst, for self-crossing outlines); text work, the product of the two
#: texts' lengths (``SequenceMatcher`` is quadratic at worst). 10 million lets a polygon of 200 vertices meet a
#: box, 100 boxes meet 100 overlapping ones, or 2,000 characters meet 5,000, and keeps the worst case under a second.
MAX_SHAPES = 200
MAX_WORK = 10_000_000

_TOLERANCE_KEYS = ("kind", "min", "extra")
_SPEC_KEYS = ("expected", "tolerance")


@dataclass(frozen=True)
class Tolerance:
    """How one field compares, and what passes: a score >= ``min``; for ``iou``, also at most ``extra`` given
    shapes left over once every expected shape has taken its match (a worker may draw a box or two more than
    the gold holds when the researcher allows it; 0 by default)."""

    kind: str
    min: float
    extra: int = 0


@dataclass(frozen=True)
class Gold:
    """A parsed gold spec: the expected result, and a tolerance for each of its fields."""

    expected: dict[str, Any]
    tolerance: dict[str, Tolerance]


@dataclass(frozen=True)
class FieldScore:
    """One field's score in [0, 1], whether it passed, how it was compared, and why, in words."""

    score: float
    passed: bool
    kind: str
    detail: str


@dataclass(frozen=True)
class GoldScore:
    """A result against its gold: the mean of its fields' scores; passed when every field passed."""

    score: float
    passed: bool
    fields: dict[str, FieldScore]


@dataclass(frozen=True)
class Accuracy:
    """A worker's gold record: ``correct`` passed of ``count`` scored; ``rate`` is their ratio, None before any."""

    correct: int = 0
    count: int = 0
    rate: float | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", self.correct / self.count if self.count else None)

    def plus(self, scored: GoldScore | bool) -> Accuracy:
        """The record with one more gold task scored (a GoldScore, or whether it passed)."""
        if isinstance(scored, GoldScore):
            scored = scored.passed
        if not isinstance(scored, bool):
            raise ValidationError("scores", f"holds a {type(scored).__name__}, not a GoldScore or true/false")
        return Accuracy(self.correct + scored, self.count + 1)


def accuracy(scores: Iterable[GoldScore | bool]) -> Accuracy:
    """A worker's running accuracy over their scored gold tasks, with its count."""
    record = Accuracy()
    for scored in scores:
        record = record.plus(scored)
    return record


def redact(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """What of a task's payload may reach a worker's page: a deep copy without ``GOLD_KEY``.

    A copy, so that the page never shares an object with the stored task; only the top-level key is removed,
    for that is where a gold spec lives.
    """
    return {key: copy.deepcopy(value) for key, value in (payload or {}).items() if key != GOLD_KEY}


def gold_of(payload: Mapping[str, Any] | None) -> Gold | None:
    """The parsed gold spec of a task's payload; None when the task is not gold."""
    spec = (payload or {}).get(GOLD_KEY)
    return None if spec is None else parse_gold(spec)


def grade(payload: Mapping[str, Any] | None, result: Any) -> dict[str, Any]:
    """The annotation columns of ``result`` for a task with ``payload``: ``gold_score`` and ``gold_passed`` for a gold
    task, nothing for another, nor for one whose gold (stored before gold specs were checked) does not read as a
    spec: a worker's submission is never refused for the researcher's gold."""
    try:
        spec = gold_of(payload)
    except ValidationError:
        spec = None
    if spec is None:
        return {}
    scored = score(result, spec)
    return {"gold_score": scored.score, "gold_passed": scored.passed}


def parse_gold(spec: Any) -> Gold:
    """A gold spec checked strictly; ValidationError naming the field (``gold.tolerance.boxes.min``) and why."""
    if not isinstance(spec, dict):
        raise ValidationError("gold", 'must be an object such as {"expected": {"labels": ["cat"]}}')
    for key in spec:
        if key not in _SPEC_KEYS:
            raise ValidationError(f"gold.{key}", "is not part of a gold spec; use expected and tolerance")
    expected = spec.get("expected")
    if not isinstance(expected, dict) or not expected:
        raise ValidationError("gold.expected", "must be a result object with at least one field")
    given = spec.get("tolerance", {})
    if not isinstance(given, dict):
        raise ValidationError("gold.tolerance", 'must be an object such as {"boxes": {"kind": "iou", "min": 0.5}}')
    for name in given:
        if name not in expected:
            raise ValidationError(f"gold.tolerance.{name}", "names no field of gold.expected")
    tolerance = {name: _parse_tolerance(given[name], f"gold.tolerance.{name}") if name in given
                 else default_tolerance(value) for name, value in expected.items()}
    for name, value in expected.items():
        _check_expected(value, tolerance[name].kind, f"gold.expected.{name}")
    return Gold(copy.deepcopy(expected), tolerance)


def default_tolerance(value: Any) -> Tolerance:
    """A field's tolerance when the spec gives none: a list of boxes or polygons by IoU (0.5, the PASCAL VOC
    threshold), text of several words by similarity (0.8), anything else (labels, one word) by equality."""
    if isinstance(value, list) and value and all(isinstance(s, dict) and ("points" in s or "x" in s) for s in value):
        return Tolerance("iou", DEFAULT_MIN["iou"])
    if isinstance(value, str) and " " in _normalised(value):
        return Tolerance("text", DEFAULT_MIN["text"])
    return Tolerance("equal", DEFAULT_MIN["equal"])


def _parse_tolerance(value: Any, where: str) -> Tolerance:
    if not isinstance(value, dict):
        raise ValidationError(where, 'must be an object such as {"kind": "iou", "min": 0.5}')
    for key in value:
        if key not in _TOLERANCE_KEYS:
            raise ValidationError(f"{where}.{key}", f"is not part of a tolerance; use {', '.join(_TOLERANCE_KEYS)}")
    kind = value.get("kind")
    if kind not in KINDS:
        raise ValidationError(f"{where}.kind", f"must be one of {', '.join(KINDS)}")
    low = value.get("min", DEFAULT_MIN[kind])
    if not _finite(low) or not 0 <= low <= 1:
        raise ValidationError(f"{where}.min", "must be a number from 0 to 1")
    extra = value.get("extra", 0)
    if "extra" in value and kind != "iou":
        raise ValidationError(f"{where}.extra", "applies to kind iou only (shapes beyond the expected ones)")
    if isinstance(extra, bool) or not isinstance(extra, int) or extra < 0:
        raise ValidationError(f"{where}.extra", "must be a whole number, 0 or more")
    return Tolerance(kind, float(low), extra)


def _check_expected(value: Any, kind: str, where: str) -> None:
    """Refuse an expected value its kind cannot compare: shapes for iou, a string for text."""
    if kind == "text" and not isinstance(value, str):
        raise ValidationError(where, "must be a string for kind text")
    if kind == "iou":
        if not isinstance(value, list) or len(value) > MAX_SHAPES:
            raise ValidationError(where, f"must be a list of at most {MAX_SHAPES} boxes or polygons for kind iou")
        for index, shape in enumerate(value):
            try:
                points = _outline(shape)
            except ValueError as exc:
                raise ValidationError(f"{where}[{index}]", str(exc)) from None
            if geometry.shape_iou(points, points) == 0:  # no union with itself: the shape has no area
                raise ValidationError(f"{where}[{index}]", "encloses no area")


def score(result: Any, gold: Gold) -> GoldScore:
    """``result`` (a worker's, as stored) against ``gold``; never raises on the result's content."""
    fields = {}
    for name, tolerance in gold.tolerance.items():
        if not isinstance(result, dict):
            fields[name] = FieldScore(0.0, False, tolerance.kind, "the result is not an object")
        elif name not in result:
            fields[name] = FieldScore(0.0, False, tolerance.kind, "missing from the result")
        else:
            fields[name] = _score_field(result[name], gold.expected[name], tolerance)
    total = sum(f.score for f in fields.values()) / len(fields)
    return GoldScore(total, all(f.passed for f in fields.values()), fields)


def _score_field(given: Any, expected: Any, tolerance: Tolerance) -> FieldScore:
    try:
        value, passed, detail = _SCORERS[tolerance.kind](given, expected, tolerance)
    except ValueError as exc:  # the scorers' own word for a malformed value
        return FieldScore(0.0, False, tolerance.kind, str(exc))
    # float rounding aside, IoUs and ratios lie in [0, 1] already; max() also turns a NaN from overflowing
    # coordinates into 0
    return FieldScore(min(1.0, max(0.0, value)), passed, tolerance.kind, detail)


def _equal(given: Any, expected: Any, tolerance: Tolerance) -> tuple[float, bool, str]:
    """Labels (a list of strings) compare as sets: order and repeats do not count. Any other value must be the
    same JSON value (strings exactly, true never equal to 1)."""
    if _is_labels(expected):
        if not _is_labels(given):
            raise ValueError("is not a list of labels (strings)")
        missing, extra = len(set(expected) - set(given)), len(set(given) - set(expected))
        value = float(not missing and not extra)
        detail = "the same labels" if value else f"labels differ: {missing} missing, {extra} not expected"
        return value, value >= tolerance.min, detail + " (compared as sets)"
    value = float(_same(given, expected))
    return value, value >= tolerance.min, "equal" if value else "not equal"


def _iou(given: Any, expected: Any, tolerance: Tolerance) -> tuple[float, bool, str]:
    """Expected shapes matched one-to-one to given shapes of the same label (none counts as ""), greedily by
    descending IoU (as agreement matches raters). The score is the mean IoU over the expected shapes, an unmatched one counting 0
    (with none expected: 1, or 0 beyond ``extra`` shapes). Passing needs every expected shape matched at
    IoU >= min, and at most ``extra`` given shapes left unmatched."""
    if not isinstance(given, list):
        raise ValueError("is not a list of boxes or polygons")
    if len(given) > MAX_SHAPES:
        raise ValueError(f"holds more than {MAX_SHAPES} shapes")
    mine = []
    for index, shape in enumerate(given):
        try:
            mine.append(_outline(shape))
        except ValueError as exc:
            raise ValueError(f"shape {index}: {exc}") from None
    theirs = [_outline(shape) for shape in expected]
    candidates = [(i, j) for i, p in enumerate(theirs) for j, q in enumerate(mine)
                  if _label(expected[i]) == _label(given[j]) and geometry.bboxes_overlap(p, q)]
    if sum((len(theirs[i]) + len(mine[j])) ** 3 for i, j in candidates) > MAX_WORK:
        raise ValueError(f"is too complex to score (more than {MAX_WORK} units of work; see gold.MAX_WORK)")
    scored = ((geometry.shape_iou(theirs[i], mine[j]), i, j) for i, j in candidates)
    pairs = geometry.one_to_one(t for t in scored if t[0] > 0)
    ious = [0.0] * len(theirs)
    for i, _, iou in pairs:
        ious[i] = iou
    left_over = len(mine) - len(pairs)
    good = sum(iou >= tolerance.min for iou in ious)
    passed = good == len(ious) and left_over <= tolerance.extra
    detail = (f"{good} of {len(ious)} expected shapes matched at IoU >= {tolerance.min:g}; "
              f"{left_over} given shapes unmatched ({tolerance.extra} allowed)")
    if not ious:
        return float(passed), passed, detail
    return sum(ious) / len(ious), passed, detail


def _text(given: Any, expected: Any, tolerance: Tolerance) -> tuple[float, bool, str]:
    """``difflib.SequenceMatcher(None, expected, given, autojunk=False).ratio()`` (standard library,
    deterministic: 2 * matching characters / both texts' characters) of the texts casefolded, with runs of
    whitespace made one space and the ends trimmed.

    ``autojunk`` is off because its heuristic, meant for diffing long files, treats every character more
    frequent than 1% of a text of 200 or more as junk: a text of 374 characters with one letter changed in 5
    places would score 0.008 instead of 738/748.
    """
    if not isinstance(given, str):
        raise ValueError("is not text")
    a, b = _normalised(expected), _normalised(given)
    if len(a) * len(b) > MAX_WORK:
        raise ValueError(f"is too long to score ({len(b)} characters; see gold.MAX_WORK)")
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
    return ratio, ratio >= tolerance.min, f"text similarity {ratio:.3f} (casefolded, whitespace collapsed)"


_SCORERS = {"equal": _equal, "iou": _iou, "text": _text}


def _outline(shape: Any) -> list[geometry.Point]:
    """A box ``{x, y, w, h}`` or polygon ``{points: [[x, y], ...]}`` as its vertices; ValueError saying why a
    value is neither (finite numbers, a box of positive size, at least 3 points)."""
    if not isinstance(shape, dict):
        raise ValueError("is not a box {x, y, w, h} or a polygon {points}")
    if "points" in shape:
        points = shape["points"]
        if not isinstance(points, list) or len(points) < 3 or not all(
                isinstance(p, list) and len(p) == 2 and all(_finite(c) for c in p) for p in points):
            raise ValueError("points must be 3 or more [x, y] pairs of finite numbers")
    elif all(key in shape for key in "xywh"):
        if not all(_finite(shape[key]) for key in "xywh"):
            raise ValueError("x, y, w and h must be finite numbers")
        if shape["w"] <= 0 or shape["h"] <= 0:
            raise ValueError("w and h must be above 0")
    else:
        raise ValueError("is not a box {x, y, w, h} or a polygon {points}")
    return geometry.outline(shape)


def _label(shape: dict[str, Any]) -> Any:
    return shape.get("label", "")


def _is_labels(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: Python's, except that true and false are not the numbers 1 and 0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
