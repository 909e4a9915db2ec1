"""The outline of each territory of a scenario: the convex hull of its accounts on the map (Web Mercator metres).

Used to show another team's territories faintly under the team being edited: a hull says "this area is theirs"
without the cost of the regions' cells, and other teams' accounts are not on the map to be covered.
"""

from __future__ import annotations

import numpy as np
import shapely

from desktop_planner.core.model import Accounts, Scenario


def territory_hulls(accounts: Accounts, scenario: Scenario) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(territory id, xs, ys) of each territory's hull ring, closed; a territory of one or two accounts gives a
    point or a segment, which is drawn as such."""
    index = scenario.territory_index()
    out = []
    for position, tid in enumerate(scenario.territories):
        rows = np.flatnonzero(index == position)
        if not len(rows):
            continue
        hull = shapely.convex_hull(shapely.multipoints(np.column_stack((accounts.x[rows], accounts.y[rows]))))
        ring = hull.exterior if hull.geom_type == "Polygon" else hull
        coords = np.asarray(ring.coords)
        out.append((tid, coords[:, 0], coords[:, 1]))
    return out
