"""Why a territory is still outside its band after auto-balance, in words a planner can act on.

An underloaded territory: the work within its present reach is not enough ("every account within 412 km of
home gives 71 % of the target": filling it means driving farther, or a headcount change). An overloaded
one: the accounts nearer its home than any other rep's are already more than its share, and its neighbours
have no room. Both figures are computed from the accounts and homes alone, not from the optimizer, so they
hold whatever the search did.
"""

from __future__ import annotations

import numpy as np

from desktop_planner.core.geo import great_circle_km, lonlat_to_unit_xyz
from desktop_planner.core.measures import Measures
from desktop_planner.core.visit_figures import effective_visits_and_minutes
from desktop_planner.core.model import Plan, Scenario, territory_index
from desktop_planner.core.travel import visit_travel_hours

MAX_LINES = 8  # the report names at most this many territories; the rest are counted


def explain_shortfalls(plan: Plan, scenario: Scenario, measures: Measures, measure: str, tolerance: float,
                       open_: np.ndarray) -> list[str]:
    dev = measures.deviations[measure]
    out = np.flatnonzero(open_ & (np.abs(dev) > tolerance + 1e-9))
    if out.size == 0:
        return []
    accounts = plan.accounts
    home_xyz = lonlat_to_unit_xyz(measures.home_lon, measures.home_lat)
    tidx = territory_index(measures.territory_ids, scenario.assignment)
    visits, minutes = effective_visits_and_minutes(accounts, plan.settings)
    target = measures.targets[measure]
    lines = []
    for j in out[np.argsort(-np.abs(dev[out]))][:MAX_LINES].tolist():
        name = measures.names[j]
        rep = scenario.territories[int(measures.territory_ids[j])].rep_name
        who = f"{name}" + (f" ({rep})" if rep else "")
        if not np.isfinite(home_xyz[j]).all():
            lines.append(f"{who}: {dev[j]:+.1%} — it has no accounts and no rep home to grow from")
            continue
        distance = great_circle_km(accounts.xyz, home_xyz[j])
        if measure == "workload_hours":
            # The hop term is left out (it needs a territory's hull): these are "at most" figures for an
            # underloaded territory and "at least" for an overloaded one.
            each = visits * minutes / 60.0 + visits * visit_travel_hours(distance, 0.0, plan.settings)
        else:
            each = _per_account(plan, measure)
        members = tidx == j
        if dev[j] < 0:
            reach = float(np.nanmax(distance[members])) if members.any() else 0.0
            within = distance <= reach + 1e-9
            share = float(each[within].sum()) / target[j] if target[j] > 0 else 0.0
            if share < 1 - tolerance:
                why = (f"every account within {reach:,.0f} km of home gives {share:.0%} of the target; filling "
                       "it means driving farther, or fewer reps here")
            else:
                why = (f"the accounts within {reach:,.0f} km of home would give {share:.0%} of the target, but "
                       "its neighbours need them to stay in their own bands")
        else:
            nearest = _nearest_home(accounts.xyz, home_xyz) == j
            share = float(each[nearest].sum()) / target[j] if target[j] > 0 else 0.0
            why = (f"the accounts nearer its home than any other rep's already make {share:.0%} of the target"
                   if share > 1 + tolerance else
                   "its neighbours have no room for more, and handing accounts further on would split a territory")
        lines.append(f"{who}: {dev[j]:+.1%} — {why}")
    if out.size > MAX_LINES:
        lines.append(f"and {out.size - MAX_LINES} more territories outside ±{tolerance:.0%}")
    return lines


def _nearest_home(xyz: np.ndarray, home_xyz: np.ndarray) -> np.ndarray:
    """Index of the nearest home per account (territories without a home, e.g. empty ones, never nearest)."""
    from scipy.spatial import cKDTree
    valid = np.flatnonzero(np.isfinite(home_xyz).all(axis=1))
    if valid.size == 0:
        return np.full(len(xyz), -1)
    return valid[cKDTree(home_xyz[valid]).query(xyz)[1]]


def _per_account(plan: Plan, measure: str) -> np.ndarray:
    accounts = plan.accounts
    if measure == "potential":
        return accounts.potential
    if measure == "service_hours":
        visits, minutes = effective_visits_and_minutes(accounts, plan.settings)
        return visits * minutes / 60.0
    return np.ones(len(accounts))
