"""Krippendorff's alpha at the four levels of measurement, with why it is undefined, a bootstrap
interval, and breakdowns by rater and by condition.

Everything follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": values
pairable within a unit fill a coincidence matrix o, its row sums n_c are the marginals, and
alpha = 1 - (n - 1) * sum o_ck d2_ck / sum n_c n_k d2_ck, with d2 the level's squared difference.
The input is (rater, unit, value) triples, the long table of ``workbench.results.exports``.
"""

from __future__ import annotations

import math
import numbers
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np

from workbench.errors import ValidationError

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

NO_PAIRS = "fewer than two pairable values: no unit has values from two raters"
NO_VARIATION = "no variation: every value is the same"

Units = dict[Hashable, dict[Hashable, Any]]

# How many numbers one array of a bootstrap batch may hold: resamples go through numpy together,
# in batches that keep memory to some tens of megabytes.
_BATCH_ENTRIES = 2_000_000


@dataclass(frozen=True)
class Alpha:
    """An alpha and what it rests on.

    ``value`` is None when alpha is undefined, and ``reason`` then says why. ``n_units`` counts
    the units with values from at least two raters (the only ones alpha uses), ``n_pairable``
    the values in them. ``ci`` is a bootstrap percentile interval, when one was asked for.
    """

    value: float | None
    level: str
    n_units: int
    n_pairable: int
    reason: str | None = None
    ci: tuple[float, float] | None = None


@dataclass(frozen=True)
class RaterAgreement:
    """One rater's part in the agreement.

    ``alpha_without`` is alpha over everyone else's values: above the overall alpha, this rater
    pulls agreement down. ``pairwise_agreement`` is the share of pairs (this rater and another on
    the same unit) with equal values, over ``pairs`` such pairs; None when there are none.
    """

    rater: Hashable
    alpha_without: Alpha
    pairwise_agreement: float | None
    pairs: int


def krippendorff_alpha(triples: Iterable[tuple[Hashable, Hashable, Any]], level: Level = "nominal") -> Alpha:
    """Krippendorff's alpha of (rater, unit, value) triples at a level of measurement.

    None and NaN values are missing (a pandas frame's empty cell is NaN); a rater's later value
    for a unit replaces an earlier one. At the ordinal, interval and ratio levels a value must
    be a number or a string holding one (the long table stores values as text), and at the ratio
    level not negative: anything else raises a ValidationError on the field ``value``.
    """
    return _alpha(_Table.of(_collect(triples, level), level))


def krippendorff_alpha_nominal(triples: Iterable[tuple[Hashable, Hashable, Hashable]]) -> float | None:
    """Krippendorff's alpha for nominal data, or None when it is undefined."""
    return krippendorff_alpha(triples, "nominal").value


def alpha_ci(triples: Iterable[tuple[Hashable, Hashable, Any]], level: Level = "nominal", n_boot: int = 1000,
             confidence: float = 0.95, seed: int = 0) -> Alpha:
    """Alpha with a bootstrap percentile interval from resampling units with replacement.

    Units, not values, are resampled because a unit's values are not independent of each other.
    The same seed gives the same interval. A resample whose alpha is undefined (it drew only
    units with one and the same value) is left out of the interval.
    """
    if not 0 < confidence < 1:
        raise ValidationError("confidence", f"must lie between 0 and 1, got {confidence!r}")
    if n_boot < 1:
        raise ValidationError("n_boot", f"must be at least 1, got {n_boot!r}")
    table = _Table.of(_collect(triples, level), level)
    point = _alpha(table)
    if point.value is None:
        return point
    rng = np.random.default_rng(seed)
    n_units = len(table.m)
    at_once = max(1, _BATCH_ENTRIES // max(len(table.pair_unit), len(table.values)))
    batches = []
    for start in range(0, n_boot, at_once):
        k = min(at_once, n_boot - start)
        draws = rng.integers(0, n_units, (k, n_units)) + n_units * np.arange(k)[:, None]
        batches.append(table.alphas(np.bincount(draws.ravel(), minlength=k * n_units).reshape(k, n_units)))
    alphas = np.concatenate(batches)
    alphas = alphas[~np.isnan(alphas)]
    if not len(alphas):
        return point
    tail = (1 - confidence) / 2
    low, high = np.quantile(alphas, [tail, 1 - tail])
    return Alpha(point.value, level, point.n_units, point.n_pairable, ci=(float(low), float(high)))


def alpha_by_rater(triples: Iterable[tuple[Hashable, Hashable, Any]], level: Level = "nominal") -> list[RaterAgreement]:
    """For each rater, alpha without them and their rate of agreement with the others."""
    units = _collect(triples, level)
    raters = list(dict.fromkeys(rater for by_rater in units.values() for rater in by_rater))
    out = []
    for rater in raters:
        without = {unit: {r: v for r, v in by_rater.items() if r != rater} for unit, by_rater in units.items()}
        same = [by_rater[rater] == value for by_rater in units.values() if rater in by_rater
                for r, value in by_rater.items() if r != rater]
        rate = sum(same) / len(same) if same else None
        out.append(RaterAgreement(rater, _alpha(_Table.of(without, level)), rate, len(same)))
    return out


def alpha_by_condition(triples: Iterable[tuple[Hashable, Hashable, Any]], condition_of: Mapping[Hashable, Hashable],
                       level: Level = "nominal") -> dict[Hashable, Alpha]:
    """Alpha within each condition, given each unit's condition.

    Units the mapping does not name are grouped under None rather than dropped, so that none
    goes missing unseen.
    """
    groups: dict[Hashable, Units] = defaultdict(dict)
    for unit, by_rater in _collect(triples, level).items():
        groups[condition_of.get(unit)][unit] = by_rater
    return {condition: _alpha(_Table.of(units, level)) for condition, units in groups.items()}


def _collect(triples: Iterable[tuple[Hashable, Hashable, Any]], level: Level) -> Units:
    """unit -> rater -> value, the values checked (and made numbers) for the level."""
    if level not in LEVELS:
        raise ValidationError("level", f"must be one of {', '.join(LEVELS)}, got {level!r}")
    units: Units = defaultdict(dict)
    for rater, unit, value in triples:
        if value is None or (isinstance(value, numbers.Real) and math.isnan(value)):
            continue
        units[unit][rater] = value if level == "nominal" else _number(value, level, rater, unit)
    return units


def _number(value: Any, level: str, rater: Hashable, unit: Hashable) -> float:
    number = None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
    if number is None or not math.isfinite(number):
        raise ValidationError("value", f"{level} alpha needs numbers, got {value!r}", rater=str(rater), unit=str(unit))
    if level == "ratio" and number < 0:
        raise ValidationError("value", f"ratio alpha needs values of 0 or more, got {value!r}",
                              rater=str(rater), unit=str(unit))
    return number


def _alpha(table: _Table) -> Alpha:
    n_units, n_pairable = len(table.m), int(table.m.sum())
    if n_units == 0:
        return Alpha(None, table.level, 0, 0, NO_PAIRS)
    value = table.alphas(np.ones((1, n_units)))[0]
    if np.isnan(value):
        return Alpha(None, table.level, n_units, n_pairable, NO_VARIATION)
    return Alpha(float(value), table.level, n_units, n_pairable)


@dataclass(frozen=True)
class _Table:
    """The pairable values in a form that weightings of the units can be summed over.

    A cell is one distinct value within a unit, with how many raters gave it; a pair is two
    different cells of one unit, weighted 2 n_c n_k / (m_u - 1) as in the coincidence matrix
    (o_ck and o_kc at once; equal values add nothing to a disagreement). Alpha for a batch of
    weightings of the units (all ones, or bootstraps' draw counts) is then a few array sums
    over cells and pairs, never a rebuild from the triples.
    """

    level: str
    values: np.ndarray  # the distinct values, sorted at the numeric levels
    m: np.ndarray  # per unit, its number of values
    cell_unit: np.ndarray  # cells are in the order of their values
    cell_value: np.ndarray
    cell_count: np.ndarray
    pair_unit: np.ndarray
    pair_i: np.ndarray
    pair_j: np.ndarray
    pair_weight: np.ndarray
    ratio_d2: np.ndarray | None  # at the ratio level, d2 of every two values (V x V), which no sum shortens

    @classmethod
    def of(cls, units: Units, level: str) -> _Table:
        counted = []
        for by_rater in units.values():
            if len(by_rater) >= 2:
                counts: dict[Any, int] = defaultdict(int)
                for value in by_rater.values():
                    counts[value] += 1
                counted.append(counts)
        distinct = list(dict.fromkeys(v for counts in counted for v in counts))
        if level != "nominal":
            distinct.sort()
        index = {v: i for i, v in enumerate(distinct)}
        cells, pairs = [], []
        for u, counts in enumerate(counted):
            m = sum(counts.values())
            unit_cells = [(index[v], u, n) for v, n in counts.items()]
            cells += unit_cells
            pairs += [(u, i, j, 2 * n_i * n_j / (m - 1)) for (i, _, n_i), (j, _, n_j) in combinations(unit_cells, 2)]
        cells.sort()
        cell_columns = np.array(cells, dtype=float).reshape(-1, 3).T
        pair_columns = np.array(pairs, dtype=float).reshape(-1, 4).T
        values = np.array(distinct if level != "nominal" else range(len(distinct)), dtype=float)
        return cls(level, values, np.array([sum(c.values()) for c in counted], dtype=float),
                   cell_columns[1].astype(int), cell_columns[0].astype(int), cell_columns[2],
                   pair_columns[0].astype(int), pair_columns[1].astype(int), pair_columns[2].astype(int),
                   pair_columns[3], _ratio_d2(values[:, None], values[None, :]) if level == "ratio" else None)

    def alphas(self, weights: np.ndarray) -> np.ndarray:
        """Alpha for each row of weights (unit u counted weights[r, u] times); NaN without variation."""
        weighted = weights[:, self.cell_unit] * self.cell_count
        starts = np.flatnonzero(np.diff(self.cell_value, prepend=-1))
        totals = np.add.reduceat(weighted, starts, axis=1)  # n_c for each row
        n = totals.sum(axis=1)
        d2 = self._d2(totals, self.pair_i, self.pair_j)
        observed = (weights[:, self.pair_unit] * self.pair_weight * d2).sum(axis=1)
        expected = self._expected(totals)
        varied = np.count_nonzero(totals, axis=1) >= 2
        return np.where(varied, 1.0 - (n - 1) * observed / np.where(varied, expected, 1.0), np.nan)

    def _positions(self, totals: np.ndarray) -> np.ndarray:
        """Where the values sit for the interval and ordinal differences, which are squared distances.

        Ordinal: the d of values c < k is sum_{g=c..k} n_g - (n_c + n_k)/2, which is
        x_k - x_c for x_g = (n_1 + ... + n_g) - n_g/2, so the ordinal level is the interval one on x.
        """
        if self.level == "ordinal":
            return np.cumsum(totals, axis=1) - totals / 2
        return np.broadcast_to(self.values, totals.shape)

    def _d2(self, totals: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The level's squared difference between the values at positions i and j, for each row of totals."""
        if self.level == "nominal":
            return (i != j).astype(float)
        if self.level == "ratio":
            return _ratio_d2(self.values[i], self.values[j])
        x = self._positions(totals)
        return (x[:, i] - x[:, j]) ** 2

    def _expected(self, totals: np.ndarray) -> np.ndarray:
        """sum_c sum_k n_c n_k d2_ck for each row: the disagreement the marginals alone would give."""
        n = totals.sum(axis=1)
        if self.level == "nominal":
            return n * n - (totals * totals).sum(axis=1)
        if self.level == "ratio":
            return ((totals @ self.ratio_d2) * totals).sum(axis=1)
        # a sum of squared distances over all pairs, taken about the mean so that large values lose no digits
        x = self._positions(totals)
        centred = x - ((totals * x).sum(axis=1) / np.where(n > 0, n, 1.0))[:, None]
        return 2 * n * (totals * centred * centred).sum(axis=1)


def _ratio_d2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """((a - b) / (a + b))^2, and 0 for two zeros."""
    total = a + b
    return np.divide(a - b, total, out=np.zeros(np.shape(total)), where=total != 0) ** 2
