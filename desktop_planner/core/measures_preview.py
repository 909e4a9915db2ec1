"""Helpers of MeasureEngine's incremental path (core/measures.py): what it keeps of a scenario's committed
measures (`Base`, `Pending`), and the distance percentile of a preview (`DistanceTail`).

`distance_p95_km` is a visit-weighted quantile over every account; a preview changes a few thousand of them.
`DistanceTail` keeps the committed plan's upper tail (the values above a cut, sorted) and answers the quantile
of a copy with some rows changed by merging the changed rows into that tail: linear in the tail, no sort of all
accounts. The answer is the one `weighted_quantile` gives, exactly: with whole-number weights (visits a year)
every sum is exact in floating point, so the cumulative weights are the same whatever the order of addition.
With fractional weights, and when the answer would lie at or under the cut, the tail says None and the caller
computes the quantile in full (weighted_quantile).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from desktop_planner.core.measures import Measures
    from desktop_planner.core.model import Accounts, Scenario
    from desktop_planner.core.settings import Settings

EXACT_LIMIT = 2.0 ** 52  # below it, sums of whole numbers are exact in float64


class DistanceTail:
    """The valid (finite value, positive weight) entries above `cut`, sorted by value, with their rows;
    `total` and `below` are the weights of all valid entries and of those at or under the cut."""

    def __init__(self, q: float, cut: float, total: float, below: float, values: np.ndarray, weights: np.ndarray,
                 rows: np.ndarray, exact: bool) -> None:
        self.q, self.cut, self.total, self.below = q, cut, total, below
        self.values, self.weights, self.rows, self.exact = values, weights, rows, exact

    @classmethod
    def build(cls, values: np.ndarray, weights: np.ndarray, q: float) -> "DistanceTail":
        keep = np.isfinite(values) & (weights > 0)
        rows = np.flatnonzero(keep)
        v, w = values[rows], weights[rows]
        total = float(w.sum())
        exact = bool(np.all(w == np.floor(w))) and total < EXACT_LIMIT
        # Three times the share above q, so that a preview may move a good part of the weight before the
        # answer falls under the cut.
        size = min(v.size, max(256, int(3 * (1 - q) * v.size) + 1))
        if size < v.size:
            cut = float(np.partition(v, v.size - size - 1)[v.size - size - 1])
        else:
            cut = -np.inf
        above = v > cut
        below = float(w[~above].sum())
        order = np.argsort(v[above], kind="stable")
        return cls(q, cut, total, below, v[above][order], w[above][order], rows[above][order], exact)

    def changed(self, n: int, rows: np.ndarray, old_values: np.ndarray, old_weights: np.ndarray,
                new_values: np.ndarray, new_weights: np.ndarray) -> "DistanceTail | None":
        """The tail of the same figures with `rows` (sorted, unique) changed from old to new values and
        weights; None with fractional weights (sums in another order could round differently)."""
        old_ok = np.isfinite(old_values) & (old_weights > 0)
        new_ok = np.isfinite(new_values) & (new_weights > 0)
        old_w, new_w = np.where(old_ok, old_weights, 0.0), np.where(new_ok, new_weights, 0.0)
        total = self.total - float(old_w.sum()) + float(new_w.sum())
        old_low = old_ok & (old_values <= self.cut)
        new_low = new_ok & (new_values <= self.cut)
        below = self.below - float(old_w[old_low].sum()) + float(new_w[new_low].sum())
        exact = self.exact and bool(np.all(new_w == np.floor(new_w))) and total < EXACT_LIMIT
        if not exact:
            return None  # fractional weights: the partial sums would differ in rounding from a fresh tail
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        keep = ~mask[self.rows]
        add = new_ok & ~new_low
        order = np.argsort(new_values[add], kind="stable")
        add_v, add_w, add_r = new_values[add][order], new_weights[add][order], rows[add][order]
        kept_v = self.values[keep]
        at = np.searchsorted(kept_v, add_v, side="right")
        return DistanceTail(self.q, self.cut, total, below, np.insert(kept_v, at, add_v),
                            np.insert(self.weights[keep], at, add_w), np.insert(self.rows[keep], at, add_r), exact)

    def quantile(self) -> float | None:
        """The q quantile (weighted_quantile's), or None when it lies at or under the cut."""
        if not self.exact:
            return None
        if self.total <= 0:
            return 0.0
        goal = self.q * self.total  # the same float weighted_quantile computes: the total is exact
        if self.below >= goal or not self.values.size:
            return None
        cumulative = self.below + np.cumsum(self.weights)
        position = int(np.searchsorted(cumulative, goal, side="left"))
        return float(self.values[min(position, self.values.size - 1)])


@dataclass
class Base:
    """A scenario's committed measures and what deriving a preview (or the next commit) from them needs."""
    measures: Measures
    scenario: Scenario
    settings: Settings
    accounts: Accounts
    assignment: np.ndarray  # the scenario's array (identity: an import replaces it)
    territories: tuple  # the Territory objects measured, in territory_ids order
    bins: np.ndarray  # per account: territory position + 1, 0 unassigned
    area: np.ndarray  # per territory: hull area
    visits_sum: np.ndarray  # per territory: visits
    vd: np.ndarray  # per territory: visits x distance
    tail: DistanceTail | None = None  # built when a preview first asks for the distance percentile


@dataclass
class Pending:
    """What changed in a scenario since its base: territory ids (members or fields) and moved rows."""
    territories: set
    rows: list


def read_only(m: Measures) -> Measures:
    """Flag every array of `m` read-only (Measures handed out are shared)."""
    for array in (m.territory_ids, m.home_lon, m.home_lat, m.home_is_medoid, m.account_distance_km,
                  m.account_workload_hours, m.account_visits, m.account_flight, m.capacity_hours, m.utilisation,
                  m.territory_compactness_km, *m.values.values(), *m.targets.values(), *m.deviations.values()):
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
    return m
