"""A reference for travel: the balanced plan without contiguity, as an LP relaxation (scipy linprog, HiGHS).

Variables x_ik in [0, 1] for account i and territory k among the account's `candidates` (default 10) nearest
rep homes (great-circle); the sum over k of x_ik is 1. The workload of territory k is sum_i x_ik w_ik with

    w_ik = service_i + v_i * t(d_ik, hop_k)                                   (DESIGN.md "Measures")

with t the travel hours of one visit: the day trip (c / speed) * (2 d / s + hop), its shared round trip capped
at the one-way road limit (overnight rule: road km = c * hop + 2 * min(c * d, overnight_km) / s, plus
night_hours / s for a night away), or flight_hours when flown (straight-line d beyond flight_km, or home and
account on different land masses). `account_workload_hours` is the one place this formula lives, written from
DESIGN.md and the settings' documentation, not imported from the optimizer; settings without the overnight
fields (older code) mean the plain day-trip formula. Only the land-mass table is the project's
(desktop_planner.core.travel.land_mass), when it exists.

Approximations, all documented here:
- hop_k = 0.7124 * sqrt(A_k / n_k) is frozen at its value in the nearest-home plan (A_k the convex-hull area of
  the territory's accounts there, equal-area km^2; 0 for a territory with fewer than 3 accounts). In the real
  measures the hop follows the plan's hulls, which makes workload non-linear.
- target_k = share_k * T as DESIGN.md "balance" defines it: share_k = 1 / K, or with capacities
  cap_k / sum cap (missing capacities filled by the project's rule, the nearest-home average standing in). T is the
  plan's own total workload, a variable T = sum_ik x_ik w_ik of the LP (so the band is exact, not approximated
  by the nearest-home total): (1 - tol) target_k <= W_k <= (1 + tol) target_k.
- Only the `candidates` nearest homes are allowed. Strictly the LP then bounds the plans that respect that
  restriction (the balancer itself uses 8 candidates by default); `at_last_candidate` reports the share of
  visits the LP sends to the farthest allowed home, a sign that the restriction binds when it is not ~0.
- Accounts locked in the scenario, and the accounts of locked territories, stay where they are; no other
  account may join a locked territory.

The objective is sum_ik v_i d_ik x_ik (visit-weighted great-circle km); the bound is returned as the
visit-weighted MEAN (divided by sum v_i), comparable with checks.PlanQuality.mean_km. Since the nearest home
minimises every account's distance, the bound is >= the nearest-home plan's mean, with equality when the
nearest-home plan is already in balance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.spatial import ConvexHull, QhullError, cKDTree

from tests.quality.checks import equal_area_xy, haversine_km, project_measures, territory_homes

BHH_CONSTANT = 0.7124


def account_workload_hours(service_h, visits, distance_km, hop_km, settings, other_land=False) -> np.ndarray:
    """Hours an account adds to a territory whose home is `distance_km` (great-circle) away: its service hours
    plus, per visit, the day trip, capped by the overnight rule, or a flight (see the module docstring).
    `other_land`: True where home and account are on different land masses (always flown)."""
    c, s, speed = settings.circuity, settings.stops_per_day, settings.speed_kmh
    overnight_km = getattr(settings, "overnight_km", np.inf)
    night_hours = getattr(settings, "night_hours", 0.0)
    flight_km = getattr(settings, "flight_km", np.inf)
    flight_hours = getattr(settings, "flight_hours", 0.0)
    d = np.asarray(distance_km, dtype=float)
    road = c * d
    hours = (c * hop_km + 2.0 * np.minimum(road, overnight_km) / s) / speed
    hours = hours + night_hours * (road > overnight_km) / s
    flown = (d > flight_km) | np.asarray(other_land, dtype=bool)
    hours = np.where(flown, flight_hours + night_hours * (road > overnight_km) / s, hours)
    return service_h + visits * hours


def land_masses(lon, lat) -> np.ndarray:
    """The project's land-mass code per point (0 everywhere when the project has no such table)."""
    try:
        from desktop_planner.core.travel import land_mass
    except ImportError:
        return np.zeros(np.shape(lon), dtype=np.int8)
    return land_mass(lon, lat)


def capacity_shares(capacity: np.ndarray, stand_in: float) -> np.ndarray:
    """Each territory's share of the total workload: 1 / K, or the project's capacity rule (a definition, like
    the workload, so it is taken from core.measures rather than restated)."""
    from desktop_planner.core.measures import capacity_shares as project_rule
    cap = np.asarray(capacity, dtype=float)
    shares = project_rule(cap, stand_in)
    return np.full(len(cap), 1.0 / len(cap)) if shares is None else shares


def hull_hops(lon, lat, labels: np.ndarray, k: int) -> np.ndarray:
    """BHH local hop per territory 0..k-1 of an assignment given as positions (labels)."""
    xy = equal_area_xy(lon, lat)
    hop = np.zeros(k)
    for t in range(k):
        rows = np.flatnonzero(labels == t)
        if len(rows) >= 3:
            try:
                hop[t] = BHH_CONSTANT * np.sqrt(ConvexHull(xy[rows]).volume / len(rows))
            except QhullError:  # all on a line: no area
                pass
    return hop


def _unit_xyz(lon, lat) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


@dataclass
class LowerBound:
    mean_km: float | None  # the LP bound on the visit-weighted mean distance (None: infeasible / failed)
    nearest_mean_km: float  # the nearest-home plan's visit-weighted mean distance
    status: str
    candidates: int
    at_last_candidate: float  # share of visits the LP sends to the farthest allowed home
    seconds: float
    hop_km: np.ndarray  # per territory (scenario order), from the nearest-home plan
    rounded: np.ndarray | None = None  # per account the territory position of its largest x_ik (a reference plan)

    @property
    def ratio_to_nearest(self) -> float | None:
        return None if self.mean_km is None else self.mean_km / self.nearest_mean_km


def lp_lower_bound(lon, lat, visits, service_h, home_lon, home_lat, settings, tolerance: float,
                   capacity: np.ndarray | None = None, candidates: int = 10, fixed: np.ndarray | None = None,
                   closed: np.ndarray | None = None) -> LowerBound:
    """The LP of the module docstring. Homes and capacities (NaN: none) are per territory position 0..K-1;
    `lon`, `lat`, `visits`, `service_h` per account;
    `fixed`: per account a territory position it must keep, or -1; `closed`: per territory, True when no
    account may join it (a locked territory)."""
    started = time.perf_counter()
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    n, k = len(lon), len(home_lon)
    capacity = np.full(k, np.nan) if capacity is None else np.asarray(capacity, float)
    fixed = np.full(n, -1) if fixed is None else np.asarray(fixed)
    closed = np.zeros(k, dtype=bool) if closed is None else np.asarray(closed, bool)
    home_xyz = _unit_xyz(np.asarray(home_lon, float), np.asarray(home_lat, float))
    xyz = _unit_xyz(lon, lat)
    nearest = np.argmax(xyz @ home_xyz.T, axis=1)
    d_near = haversine_km(lon, lat, np.asarray(home_lon)[nearest], np.asarray(home_lat)[nearest])
    nearest_mean = float((visits * d_near).sum() / visits.sum())
    hop = hull_hops(lon, lat, nearest, k)

    open_rows = np.flatnonzero(~closed)
    L = min(candidates, len(open_rows))
    _, cand = cKDTree(home_xyz[open_rows]).query(xyz, k=L)
    cand = open_rows[np.asarray(cand).reshape(n, L)]
    pinned = fixed >= 0
    cand[pinned] = fixed[pinned][:, None]  # one real candidate, repeated; the repeats are forced to 0 below
    d = haversine_km(np.repeat(lon, L), np.repeat(lat, L), np.asarray(home_lon)[cand.ravel()],
                     np.asarray(home_lat)[cand.ravel()])
    other_land = np.repeat(land_masses(lon, lat), L) != land_masses(home_lon, home_lat)[cand.ravel()]
    w = account_workload_hours(np.repeat(service_h, L), np.repeat(visits, L), d, hop[cand.ravel()], settings,
                               other_land)
    nv = n * L
    t_var = nv  # the plan's total workload
    var_terr = cand.ravel()

    # Equalities: every account once; T = total workload.
    eq_rows = np.concatenate((np.repeat(np.arange(n), L), np.full(nv, n), [n]))
    eq_cols = np.concatenate((np.arange(nv), np.arange(nv), [t_var]))
    eq_vals = np.concatenate((np.ones(nv), w, [-1.0]))
    a_eq = coo_matrix((eq_vals, (eq_rows, eq_cols)), shape=(n + 1, nv + 1)).tocsr()
    b_eq = np.concatenate((np.ones(n), [0.0]))

    # Band per territory: rows 2k (W_k <= upper) and 2k+1 (-W_k <= -lower).
    # Reps without a capacity stand for an average workload (the project's rule); the LP's total is a
    # variable, so the nearest-home plan's average stands in for it here (a documented approximation).
    share = capacity_shares(capacity, float(w.reshape(n, L)[:, 0].sum()) / k)
    terr = np.arange(k)
    ub_rows = np.concatenate((2 * var_terr, 2 * var_terr + 1, 2 * terr, 2 * terr + 1))
    ub_cols = np.concatenate((np.arange(nv), np.arange(nv), np.full(2 * k, t_var)))
    ub_vals = np.concatenate((w, -w, -(1 + tolerance) * share, (1 - tolerance) * share))
    a_ub = coo_matrix((ub_vals, (ub_rows, ub_cols)), shape=(2 * k, nv + 1)).tocsr()
    b_ub = np.zeros(2 * k)

    upper = np.ones(nv)
    if pinned.any():
        upper.reshape(n, L)[pinned, 1:] = 0.0
    bounds = np.column_stack((np.zeros(nv + 1), np.append(upper, np.inf)))
    cost = np.append(np.repeat(visits, L) * d, 0.0)
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    seconds = time.perf_counter() - started
    if res.status != 0:
        return LowerBound(None, nearest_mean, res.message, L, float("nan"), seconds, hop)
    x = res.x[:nv].reshape(n, L)
    at_last = float((visits * x[:, -1]).sum() / visits.sum()) if L > 1 else 0.0
    rounded = cand[np.arange(n), np.argmax(x, axis=1)]  # a vertex solution splits at most ~2K accounts
    return LowerBound(float(res.fun / visits.sum()), nearest_mean, "optimal", L, at_last, seconds, hop, rounded)


def plan_lower_bound(plan, scenario=None, tolerance: float = 0.10, candidates: int = 10) -> LowerBound:
    """The LP bound of a project's scenario: its accounts, rep homes, capacities, locks and settings."""
    from desktop_planner.core.visit_figures import effective_visits_and_minutes
    scenario = scenario or plan.active
    visits, minutes = effective_visits_and_minutes(plan.accounts, plan.settings)
    homes = territory_homes(scenario, project_measures(plan, scenario))
    tids = list(scenario.territories)
    territories = [scenario.territories[t] for t in tids]
    position = {t: i for i, t in enumerate(tids)}
    current = np.array([position.get(int(t), -1) for t in scenario.assignment])
    locked_terr = np.array([t.locked for t in territories], dtype=bool)
    fixed = np.where(scenario.locked | ((current >= 0) & locked_terr[np.maximum(current, 0)]), current, -1)
    return lp_lower_bound(
        plan.accounts.lon, plan.accounts.lat, visits, visits * minutes / 60.0,
        np.array([homes[t][0] for t in tids]), np.array([homes[t][1] for t in tids]), plan.settings, tolerance,
        capacity=np.array([np.nan if t.capacity_hours is None else t.capacity_hours for t in territories]),
        candidates=candidates, fixed=fixed, closed=locked_terr)
