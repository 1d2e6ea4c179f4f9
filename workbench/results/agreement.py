"""Inter-annotator agreement: Krippendorff's alpha for labels, IoU and matching for boxes and polygons.

Both start from (rater, unit, value) triples, the long table of ``workbench.results.exports``:
several workers who did the same task are the raters of one unit. Alpha itself, at every level
of measurement, lives in ``workbench.results.alpha``, and the IoU of two shapes in
``workbench.study.geometry`` (low enough for scoring against gold on submission); both are re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Hashable

from workbench.errors import ValidationError
from workbench.study.geometry import Point, box_iou, one_to_one, outline, shape_iou  # noqa: F401 - re-exported

from .alpha import (  # noqa: F401 - re-exported
    LEVELS, Alpha, RaterAgreement, alpha_by_condition, alpha_by_rater, alpha_ci, krippendorff_alpha,
    krippendorff_alpha_nominal)
from .exports import shapes


def box_set_iou(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> float:
    """How well two raters' box sets agree: boxes matched one-to-one, greedily by IoU.

    The sum of the matched IoUs over the larger set's size, so a box one rater drew and
    the other did not counts as zero. Two empty sets agree fully.
    """
    if not a and not b:
        return 1.0
    scored = ((box_iou(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b))
    return sum(iou for _, _, iou in one_to_one(t for t in scored if t[0] > 0)) / max(len(a), len(b))


def mean_pairwise_iou(triples: Iterable[tuple[Hashable, Hashable, Sequence[Sequence[float]]]]) -> tuple[float | None, int]:
    """The mean box-set IoU over every pair of raters of every unit; and the number of pairs."""
    units: dict[Hashable, dict[Hashable, Sequence[Sequence[float]]]] = defaultdict(dict)
    for rater, unit, boxes in triples:
        units[unit][rater] = boxes
    scores = [box_set_iou(x, y) for by_rater in units.values() for x, y in combinations(by_rater.values(), 2)]
    return (sum(scores) / len(scores) if scores else None), len(scores)


@dataclass(frozen=True)
class ShapeMatch:
    """Two raters' shapes on one unit, matched one-to-one.

    ``pairs`` holds (index in a, index in b, IoU) for each match; ``mean_iou`` is their mean
    (None without matches); ``f1`` is 2 * matches / (len(a) + len(b)), the share of shapes both
    raters drew, and 1.0 when neither drew any.
    """

    pairs: list[tuple[int, int, float]]
    mean_iou: float | None
    f1: float


def match_shapes(a: Sequence[Any], b: Sequence[Any], threshold: float = 0.5) -> ShapeMatch:
    """Match two raters' shapes one-to-one, greedily by descending IoU, keeping pairs with IoU >= threshold.

    Greedy rather than optimal (Hungarian) matching: the two differ only where shapes crowd
    each other closely enough for one to pass the threshold with several, and the Hungarian
    method would bring scipy, which is not a dependency.
    """
    if not 0 < threshold <= 1:
        raise ValidationError("threshold", f"must lie in (0, 1], got {threshold!r}")
    scored = ((shape_iou(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b))
    pairs = one_to_one(t for t in scored if t[0] >= threshold)
    mean = sum(iou for _, _, iou in pairs) / len(pairs) if pairs else None
    f1 = 2 * len(pairs) / (len(a) + len(b)) if a or b else 1.0
    return ShapeMatch(pairs, mean, f1)


def project_agreement(store, project: str | None) -> list[dict[str, Any]]:
    """Agreement per task type and result field, over tasks that several raters did.

    ``labels`` fields get Krippendorff's alpha (nominal; a multi-label answer is one
    category), ``boxes`` fields the mean pairwise IoU. Holds one value per annotation of
    the fields measured, in memory.
    """
    # the reader brings pyarrow (heavy); loaded only when a project's agreement is measured
    from .exports.source import annotation_rows

    labels: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    boxes: dict[str, list[tuple[str, int, list[list[float]]]]] = defaultdict(list)
    for row in annotation_rows(store, project):
        result = shapes.parse(row["result"])
        if "labels" in result:
            labels[row["task_type"]].append((row["rater"], row["task_id"], shapes.canonical(result["labels"])))
        if "boxes" in result:
            boxes[row["task_type"]].append(
                (row["rater"], row["task_id"], [[float(b[k]) for k in ("x", "y", "w", "h")] for b in result["boxes"]]))
    out = []
    for task_type, triples in sorted(labels.items()):
        units = _shared_units(triples)
        out.append({"task_type": task_type, "field": "labels", "metric": "krippendorff_alpha_nominal",
                    "value": krippendorff_alpha_nominal(t for t in triples if t[1] in units),
                    "units": len(units), "raters": len({t[0] for t in triples if t[1] in units})})
    for task_type, triples in sorted(boxes.items()):
        units = _shared_units(triples)
        value, pairs = mean_pairwise_iou(t for t in triples if t[1] in units)
        out.append({"task_type": task_type, "field": "boxes", "metric": "mean_pairwise_iou", "value": value,
                    "units": len(units), "raters": len({t[0] for t in triples if t[1] in units}), "pairs": pairs})
    return out


def _shared_units(triples: Sequence[tuple[Any, Any, Any]]) -> set[Any]:
    """Units that at least two different raters did."""
    raters: dict[Any, set[Any]] = defaultdict(set)
    for rater, unit, _ in triples:
        raters[unit].add(rater)
    return {unit for unit, who in raters.items() if len(who) >= 2}
