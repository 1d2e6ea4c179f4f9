"""Inter-annotator agreement: Krippendorff's alpha for labels, mean pairwise IoU for boxes.

Both start from (rater, unit, value) triples, the long table of ``workbench.results.exports``:
several workers who did the same task are the raters of one unit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any, Hashable

from .exports import shapes


def krippendorff_alpha_nominal(triples: Iterable[tuple[Hashable, Hashable, Hashable]]) -> float | None:
    """Krippendorff's alpha for nominal data, from (rater, unit, value) triples.

    Built from the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's
    Alpha-Reliability"): each unit with m >= 2 values adds, for every ordered pair of its
    values from different raters, 1/(m-1) to o[c][k]. Then, with n_c the row sums and n
    their total, alpha = 1 - (n - 1) * sum_{c!=k} o[c][k] / sum_{c!=k} n_c n_k.
    Missing values are simply absent triples; a rater's later value for a unit replaces
    an earlier one. Returns None when it is undefined (fewer than two pairable values, or
    no variation at all).
    """
    units: dict[Hashable, dict[Hashable, Hashable]] = defaultdict(dict)
    for rater, unit, value in triples:
        if value is not None:
            units[unit][rater] = value
    coincidence: Counter[tuple[Hashable, Hashable]] = Counter()
    for values_by_rater in units.values():
        values = list(values_by_rater.values())
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_c - 1) if c == k else n_c * n_k
                if pairs:
                    coincidence[(c, k)] += pairs / (m - 1)
    totals: Counter[Hashable] = Counter()
    for (c, _k), weight in coincidence.items():
        totals[c] += weight
    n = sum(totals.values())
    if n <= 1:
        return None
    observed = sum(w for (c, k), w in coincidence.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if expected == 0:
        return None
    return 1.0 - (n - 1) * observed / expected


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
    scored = sorted(((box_iou(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)), reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    total = 0.0
    for iou, i, j in scored:
        if iou <= 0 or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        total += iou
    return total / max(len(a), len(b))


def mean_pairwise_iou(triples: Iterable[tuple[Hashable, Hashable, Sequence[Sequence[float]]]]) -> tuple[float | None, int]:
    """The mean box-set IoU over every pair of raters of every unit; and the number of pairs."""
    units: dict[Hashable, dict[Hashable, Sequence[Sequence[float]]]] = defaultdict(dict)
    for rater, unit, boxes in triples:
        units[unit][rater] = boxes
    scores = [box_set_iou(x, y) for by_rater in units.values() for x, y in combinations(by_rater.values(), 2)]
    return (sum(scores) / len(scores) if scores else None), len(scores)


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
