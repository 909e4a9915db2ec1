"""Membership-dependent figures of one territory: convex-hull area and default home (weighted medoid)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from desktop_planner.core.geo import chord_to_km
from desktop_planner.core.model import Accounts

MEDOID_CANDIDATES = 12
WEISZFELD_ITERATIONS = 12


@dataclass(frozen=True)
class TerritoryGeometry:
    hull_area_km2: float
    medoid_index: int  # account row index; -1 when the territory is empty or the medoid was not asked for
    medoid_lon: float
    medoid_lat: float
    has_medoid: bool = True

NAN = float("nan")
EMPTY = TerritoryGeometry(0.0, -1, NAN, NAN)


def hull_area_km2(points_km: np.ndarray) -> float:
    """Area of the convex hull of equal-area km coordinates; 0 for fewer than 3 distinct or collinear points."""
    if len(points_km) < 3:
        return 0.0
    try:
        return float(ConvexHull(points_km).volume)  # in 2-D qhull's "volume" is the area
    except QhullError:
        return 0.0  # all points on one line or one spot


def weighted_medoid(xyz: np.ndarray, weights: np.ndarray) -> int:
    """Position (into xyz) of the member minimising the weighted sum of great-circle distances to all others.

    An exact medoid costs O(n^2), too slow for territories of thousands of accounts during a live gesture.
    The weighted geometric median (Weiszfeld iterations on the unit sphere's chord metric) lies next to it, so
    only the few members nearest that median are evaluated exactly.
    """
    n = len(xyz)
    if n <= 2:
        return int(np.argmax(weights)) if n else -1
    w = weights if weights.sum() > 0 else np.ones(n)
    median = (w[:, None] * xyz).sum(axis=0) / w.sum()
    for _ in range(WEISZFELD_ITERATIONS):
        dist = np.sqrt(((xyz - median) ** 2).sum(axis=1))
        inv = w / np.maximum(dist, 1e-12)
        median = (inv[:, None] * xyz).sum(axis=0) / inv.sum()
    near = np.sqrt(((xyz - median) ** 2).sum(axis=1))
    count = min(MEDOID_CANDIDATES, n)
    candidates = np.argpartition(near, count - 1)[:count]
    # Great-circle km from every member to every candidate in one matrix product: chord^2 = 2 - 2 cos.
    chord = np.sqrt(np.clip(2.0 - 2.0 * (xyz @ xyz[candidates].T), 0.0, 4.0))
    costs = w @ chord_to_km(chord)
    return int(candidates[int(np.argmin(costs))])


def territory_geometry(accounts: Accounts, members: np.ndarray, with_medoid: bool = True) -> TerritoryGeometry:
    """Hull area, and the medoid only when asked: territories with a rep home never need it."""
    if len(members) == 0:
        return EMPTY
    area = hull_area_km2(accounts.ea_km[members])
    if not with_medoid:
        return TerritoryGeometry(area, -1, NAN, NAN, has_medoid=False)
    pos = weighted_medoid(accounts.xyz[members], accounts.potential[members])
    medoid = int(members[pos])
    return TerritoryGeometry(area, medoid, float(accounts.lon[medoid]), float(accounts.lat[medoid]))
