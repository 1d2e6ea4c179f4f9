"""Plane geometry of annotation shapes: IoU of boxes and of polygons (convex or not), and one-to-one matching.

Low in the layers (``workbench.study``) so that both the submission path, scoring a worker against gold
(``workbench.study.gold``), and agreement between raters (``workbench.results.agreement``, which re-exports
these names) measure shapes the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

from workbench.errors import ValidationError


Point = tuple[float, float]


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two [x, y, w, h] boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def outline(shape: Any) -> list[Point]:
    """A box or polygon as its vertices.

    Takes a box as [x, y, w, h] or {x, y, w, h}, a polygon as [[x, y], ...] or {points: [...]},
    the forms of ``workbench.results.exports.shapes.regions`` and the plugins' results.
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
    if not bboxes_overlap(p, q):
        return 0.0
    area_p, area_q, common = _areas(p, q)
    union = area_p + area_q - common
    return common / union if union > 0 else 0.0


def one_to_one(scored: Iterable[tuple[float, int, int]]) -> list[tuple[int, int, float]]:
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


def bboxes_overlap(p: list[Point], q: list[Point]) -> bool:
    """Whether the bounding boxes of two outlines overlap with some area (a shared edge is no overlap)."""
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
