"""Inter-annotator agreement: Krippendorff's alpha for labels, IoU and matching for boxes and polygons.

Both start from (rater, unit, value) triples, the long table of ``workbench.results.exports``:
several workers who did the same task are the raters of one unit. Alpha itself, at every level
of measurement, lives in ``workbench.results.alpha`` and is re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Hashable

from workbench.errors import ValidationError

from .alpha import (  # noqa: F401 - re-exported
    LEVELS, Alpha, RaterAgreement, alpha_by_condition, alpha_by_rater, alpha_ci, krippendorff_alpha,
    krippendorff_alpha_nominal)
from .exports import shapes


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two [x, y, w, h] boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def box_set_iou(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> float:
    """How well two raters' box sets agree: boxes matched one-to-one, greedily by IoU.

    The sum of the matched IoUs over the larger set's size, so a box one rater drew and
    the other did not counts as zero. Two empty sets agree fully.
    """
    if not a and not b:
        return 1.0
    scored = ((box_iou(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b))
    return sum(iou for _, _, iou in _one_to_one(t for t in scored if t[0] > 0)) / max(len(a), len(b))


def mean_pairwise_iou(triples: Iterable[tuple[Hashable, Hashable, Sequence[Sequence[float]]]]) -> tuple[float | None, int]:
    """The mean box-set IoU over every pair of raters of every unit; and the number of pairs."""
    units: dict[Hashable, dict[Hashable, Sequence[Sequence[float]]]] = defaultdict(dict)
    for rater, unit, boxes in triples:
        units[unit][rater] = boxes
    scores = [box_set_iou(x, y) for by_rater in units.values() for x, y in combinations(by_rater.values(), 2)]
    return (sum(scores) / len(scores) if scores else None), len(scores)


Point = tuple[float, float]


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


def outline(shape: Any) -> list[Point]:
    """A box or polygon as its vertices.

    Takes a box as [x, y, w, h] or {x, y, w, h}, a polygon as [[x, y], ...] or {points: [...]},
    the forms of ``shapes.regions`` and the plugins' results.
    """
    if isinstance(shape, dict):
        shape = shape["points"] if "points" in shape else [shape[k] for k in ("x", "y", "w", "h")]
    if len(shape) == 4 and all(not isinstance(c, (list, tuple)) for c in shape):
        x, y, w, h = (float(c) for c in shape)
        return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    if len(shape) < 3:
        raise ValidationError("points", f"a polygon needs at least 3 points, got {len(shape)}")
    return [(float(x), float(y)) for x, y in shape]


def shape_iou(a: Any, b: Any) -> float:
    """Intersection over union of two boxes or polygons (convex or not), in any of ``outline``'s forms."""
    p, q = outline(a), outline(b)
    if not _bboxes_overlap(p, q):
        return 0.0
    area_p, area_q, common = _areas(p, q)
    union = area_p + area_q - common
    return common / union if union > 0 else 0.0


def match_shapes(a: Sequence[Any], b: Sequence[Any], threshold: float = 0.5) -> ShapeMatch:
    """Match two raters' shapes one-to-one, greedily by descending IoU, keeping pairs with IoU >= threshold.

    Greedy rather than optimal (Hungarian) matching: the two differ only where shapes crowd
    each other closely enough for one to pass the threshold with several, and the Hungarian
    method would bring scipy, which is not a dependency.
    """
    if not 0 < threshold <= 1:
        raise ValidationError("threshold", f"must lie in (0, 1], got {threshold!r}")
    scored = ((shape_iou(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b))
    pairs = _one_to_one(t for t in scored if t[0] >= threshold)
    mean = sum(iou for _, _, iou in pairs) / len(pairs) if pairs else None
    f1 = 2 * len(pairs) / (len(a) + len(b)) if a or b else 1.0
    return ShapeMatch(pairs, mean, f1)


def _one_to_one(scored: Iterable[tuple[float, int, int]]) -> list[tuple[int, int, float]]:
    """(i, j, IoU) matches from (IoU, i, j) candidates, greedily by descending IoU, each i and j used once."""
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for iou, i, j in sorted(scored, reverse=True):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j, iou))
    return pairs


def _bboxes_overlap(p: list[Point], q: list[Point]) -> bool:
    return (min(x for x, _ in p) < max(x for x, _ in q) and min(x for x, _ in q) < max(x for x, _ in p)
            and min(y for _, y in p) < max(y for _, y in q) and min(y for _, y in q) < max(y for _, y in p))


def _areas(p: list[Point], q: list[Point]) -> tuple[float, float, float]:
    """The areas of p, of q, and of their intersection, for any simple polygons, convex or not.

    The plane is cut into vertical slabs at every vertex and every crossing of two edges. No
    edges cross inside a slab, so their vertical order is the same all across it, and the
    length of a vertical line lying inside p (or q, or both) is linear in x there: its value at
    the slab's middle times the slab's width is the slab's area, exactly. Inside means an odd
    number of edges below (the even-odd rule). O(e^2) for e edges in all, with no rasterising.
    """
    edges = [(a, b, who) for who, polygon in enumerate((p, q))
             for a, b in zip(polygon, polygon[1:] + polygon[:1]) if a[0] != b[0]]
    xs = sorted({x for x, _ in p + q} | set(_crossings(edges)))
    totals = [0.0, 0.0, 0.0]
    for left, right in zip(xs, xs[1:]):
        middle = (left + right) / 2
        ys = sorted((y1 + (middle - x1) * (y2 - y1) / (x2 - x1), who)
                    for (x1, y1), (x2, y2), who in edges if min(x1, x2) < middle < max(x1, x2))
        inside = [False, False]
        below = None
        for y, who in ys:
            if below is not None:
                height = (y - below) * (right - left)
                totals[0] += height if inside[0] else 0.0
                totals[1] += height if inside[1] else 0.0
                totals[2] += height if inside[0] and inside[1] else 0.0
            inside[who] = not inside[who]
            below = y
    return totals[0], totals[1], totals[2]


def _crossings(edges: list[tuple[Point, Point, int]]) -> Iterable[float]:
    """The x of every point where two edges cross (edges sharing a line do not cross).

    Edges of the same polygon count too, so that a self-crossing outline is read by the even-odd rule.
    """
    for ((x1, y1), (x2, y2), _), ((x3, y3), (x4, y4), _) in combinations(edges, 2):
        denominator = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
        if denominator == 0:
            continue
        t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / denominator
        u = ((x1 - x3) * (y1 - y2) - (y1 - y3) * (x1 - x2)) / denominator
        if 0 < t < 1 and 0 < u < 1:
            yield x1 + t * (x2 - x1)


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
