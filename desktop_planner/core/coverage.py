"""Coverage checks: accounts nobody covers, and accounts far outside the area of the territory they are in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_planner.core.measures import Measures
from desktop_planner.core.model import UNASSIGNED, Scenario

OUTLIER_FACTOR = 3.0  # how many times the territory's typical spread counts as "far outside"
MIN_OUTLIER_KM = 25.0  # never flag an account closer than this to its territory's home


@dataclass(frozen=True)
class Outlier:
    row: int
    territory_id: int
    distance_km: float
    typical_km: float  # the territory's 90th-percentile account distance without the outliers


def unassigned_accounts(scenario: Scenario) -> np.ndarray:
    return np.flatnonzero(scenario.assignment == UNASSIGNED)


def outliers(scenario: Scenario, measures: Measures) -> list[Outlier]:
    """Accounts much farther from their territory's home than the territory's accounts usually are.

    Robust to the outliers themselves: the spread is the median distance plus three times the median absolute
    deviation, and an account counts when it is beyond OUTLIER_FACTOR times the 90th percentile of the others.
    """
    result = []
    distance = measures.account_distance_km
    tidx = scenario.territory_index()
    order = np.argsort(tidx, kind="stable")
    bounds = np.searchsorted(tidx[order], np.arange(measures.k + 1))
    for i, tid in enumerate(measures.territory_ids.tolist()):
        members = order[bounds[i]:bounds[i + 1]]
        if len(members) < 5:
            continue
        d = distance[members]
        median = np.median(d)
        mad = np.median(np.abs(d - median))
        usual = d[d <= median + 3 * 1.4826 * mad]
        typical = float(np.percentile(usual, 90)) if len(usual) else float(median)
        limit = max(OUTLIER_FACTOR * typical, MIN_OUTLIER_KM)
        for row in members[d > limit].tolist():
            result.append(Outlier(int(row), tid, float(distance[row]), typical))
    result.sort(key=lambda o: -o.distance_km / max(o.typical_km, 1e-9))
    return result
