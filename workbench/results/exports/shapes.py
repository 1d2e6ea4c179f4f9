"""What an annotation result holds, read the same way by the COCO export, the long table and agreement.

Results follow the plugins' schemas: ``{"labels": [...]}``, ``{"boxes": [{x, y, w, h, label}]}``,
``{"polygons": [{points: [[x, y], ...], label}]}``, ``{"text": "..."}``; any other key is kept as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def parse(result: Any) -> dict[str, Any]:
    """A result as a dict, whether it comes as JSON text (from a cursor) or already parsed."""
    if isinstance(result, str):
        result = json.loads(result)
    return result if isinstance(result, dict) else {"value": result}


def canonical(value: Any) -> str:
    """One comparable string per value: sorted labels joined by '|', text as is, the rest as sorted JSON."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "|".join(sorted(value))
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def fields(result: Any) -> Iterator[tuple[str, str]]:
    """(field, canonical value) for each top-level field of a result, in key order."""
    for key, value in sorted(parse(result).items()):
        yield key, canonical(value)


def polygon_area(points: list[list[float]]) -> float:
    """The shoelace formula: the area enclosed by the polygon's vertices, in pixels."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2.0


def polygon_bbox(points: list[list[float]]) -> list[float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def regions(result: Any) -> Iterator[dict[str, Any]]:
    """Each box or polygon of a result as {label, bbox [x, y, w, h], area, segmentation}."""
    data = parse(result)
    for box in data.get("boxes") or []:
        x, y, w, h = (float(box[k]) for k in ("x", "y", "w", "h"))
        yield {"label": str(box.get("label", "")), "bbox": [x, y, w, h], "area": w * h, "segmentation": []}
    for polygon in data.get("polygons") or []:
        points = [[float(x), float(y)] for x, y in polygon["points"]]
        yield {"label": str(polygon.get("label", "")), "bbox": polygon_bbox(points), "area": polygon_area(points),
               "segmentation": [[c for point in points for c in point]]}
