"""A plan's scenario as an AssignmentProblem: distances, the workload linearisation, locks, disruption.

An account's workload depends on the territory it is in (DESIGN.md: service + travel, the travel being a share
of a round trip from the territory's home plus one local hop of BHH length 0.7124 sqrt(A_k / n_k)). For a
given set of homes and hop lengths that contribution is a constant per (account, territory) pair, so the
problem stays linear; homes and hops are refreshed from the plan between rounds (`refresh`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from desktop_planner.core.geo import chord_to_km, lonlat_to_unit_xyz
from desktop_planner.core.geometry_stats import hull_area_km2, weighted_medoid
from desktop_planner.core.measures import BHH_CONSTANT, MeasureEngine
from desktop_planner.core.measures import capacity_shares
from desktop_planner.core.travel import land_mass, visit_is_flight, visit_travel_hours
from desktop_planner.core.model import Plan, Scenario, territory_index
from desktop_planner.optimize.hops import HopTerm
from desktop_planner.optimize.problem import Arcs, AssignmentProblem
from desktop_planner.optimize.report import private_plan

MEASURE_ALIASES = {"workload": "workload_hours", "service": "service_hours", "count": "accounts"}
BALANCEABLE = ("workload_hours", "potential", "accounts", "service_hours")
MAX_WORKLOAD_RATIO = 2.5  # an account's workload in a candidate territory, at most this times its nearest
SMALL_UNIT_SHARE = 0.005  # ... unless it is below this share of a territory's workload


def canonical_measure(name: str) -> str:
    name = MEASURE_ALIASES.get(name, name)
    if name not in BALANCEABLE:
        raise ValueError(f"cannot balance {name!r}: choose from {', '.join(BALANCEABLE)}")
    return name


@dataclass
class PlanModel:
    """What the optimizer needs of a plan, with territories in the scenario's order (index 0..K-1)."""

    plan: Plan
    scenario: Scenario
    tids: np.ndarray
    open: np.ndarray  # bool (K,): not locked
    home_xyz: np.ndarray  # (K, 3) current home or centre
    home_fixed: np.ndarray  # bool (K,): a rep home the optimizer must keep
    home_row: np.ndarray  # (K,) account row of an optimised centre (-1: a rep home)
    hop_km: np.ndarray  # (K,) BHH local hop per visit
    visits: np.ndarray
    service: np.ndarray
    weight: np.ndarray  # (n,) visits a year: the objective is the visit-weighted distance to home
    work_weight: np.ndarray  # (n,) workload at the nearest home: where optimised homes are pulled
    account_land: np.ndarray  # (n,) land mass of each account (flights: core/travel.py)
    average_workload: float = 0.0  # total workload / K of the last plan refresh_hops saw: reps without a
    # capacity stand for it in the capacity shares, as in MeasureEngine
    distance_matrix: np.ndarray | None = None  # (n, K) to each home, or (n, n) between accounts

    @classmethod
    def build(cls, plan: Plan, scenario: Scenario, homes: str = "fixed",
              distance_matrix: np.ndarray | None = None) -> "PlanModel":
        engine = MeasureEngine(private_plan(plan, scenario))
        try:
            measures = engine.measures()
        finally:
            engine.close()
        visits, service = engine.visits_and_service_hours()
        tids = scenario.territory_ids()
        territories = [scenario.territories[t] for t in tids.tolist()]
        k, n = len(tids), len(plan.accounts)
        has_home = np.array([t.has_home for t in territories], dtype=bool)
        home_fixed = has_home & (homes == "fixed")
        if distance_matrix is not None:
            distance_matrix = np.asarray(distance_matrix, dtype=np.float64)
            if distance_matrix.shape == (n, k):
                if not home_fixed.all():
                    raise ValueError("a distance matrix to the homes needs every territory to have a fixed home "
                                     "(homes='fixed'); give an account-to-account matrix to optimise homes")
            elif distance_matrix.shape != (n, n):
                raise ValueError(f"the distance matrix must be {n} x {k} (accounts to homes) or {n} x {n} "
                                 f"(accounts to accounts), got {distance_matrix.shape}")
        home_xyz = lonlat_to_unit_xyz(measures.home_lon, measures.home_lat)
        tidx = territory_index(tids, scenario.assignment)
        empty = np.bincount(tidx[tidx >= 0], minlength=k) == 0
        model = cls(plan, scenario, tids, np.array([not t.locked for t in territories], dtype=bool),
                    home_xyz, home_fixed, np.full(k, -1), np.zeros(k), visits, service, visits, np.zeros(n),
                    land_mass(plan.accounts.lon, plan.accounts.lat), distance_matrix=distance_matrix)
        xyz = plan.accounts.xyz
        if (~home_fixed).any():
            # Centres the optimizer may move start at an account: the nearest to the current centre, or for
            # an empty territory the account farthest from every other centre (k-means++-like, deterministic).
            tree = cKDTree(xyz)
            for j in np.flatnonzero(~home_fixed & ~empty):
                model.home_row[j] = int(tree.query(home_xyz[j])[1])
            for j in np.flatnonzero(~home_fixed & empty):
                others = model.home_xyz[~empty]
                gap = cKDTree(others).query(xyz)[0] if len(others) else np.ones(n)
                model.home_row[j] = int(np.argmax(gap * (service + 1e-9)))
                model.home_xyz[j] = xyz[model.home_row[j]]
                empty[j] = False
            model.home_xyz[~home_fixed] = xyz[model.home_row[~home_fixed]]
        model.refresh_hops(scenario.assignment)
        nearest = model.nearest_territories(np.arange(n), 1)[:, 0]
        model.work_weight = model.workload(np.arange(n), nearest)
        return model

    @property
    def k(self) -> int:
        return len(self.tids)

    @property
    def settings(self):
        return self.plan.settings

    # -- distances and contributions ------------------------------------------------------------------
    def great_circle(self, units: np.ndarray, terrs: np.ndarray) -> np.ndarray:
        diff = self.plan.accounts.xyz[units] - self.home_xyz[terrs]
        return chord_to_km(np.sqrt(np.einsum("ij,ij->i", diff, diff)))

    def distance(self, units: np.ndarray, terrs: np.ndarray) -> np.ndarray:
        """The objective's distance: the caller's matrix when given, else great-circle km."""
        if self.distance_matrix is None:
            return self.great_circle(units, terrs)
        if self.distance_matrix.shape[1] == self.k:
            return self.distance_matrix[units, terrs]
        rows = self.home_row[terrs]
        return np.where(rows >= 0, self.distance_matrix[units, np.maximum(rows, 0)],
                        self.great_circle(units, terrs))

    def workload(self, units: np.ndarray, terrs: np.ndarray) -> np.ndarray:
        """Hours of the account in that territory: service plus its visits' travel, by the same functions as
        MeasureEngine (overnight rule, flights)."""
        distance = self.great_circle(units, terrs)
        flight = visit_is_flight(None, None, None, None, distance, self.settings,
                                 account_land=self.account_land[units], home_land=self.home_land()[terrs])
        return self.service[units] + self.visits[units] * visit_travel_hours(distance, self.hop_km[terrs],
                                                                             self.settings, flight)

    def home_land(self) -> np.ndarray:
        """Land mass of each home (homes the optimizer places move, so this follows home_xyz; cached, as it
        is asked for on every workload evaluation)."""
        cached = getattr(self, "_home_land", None)
        if cached is None or not np.array_equal(cached[0], self.home_xyz):
            x, y, z = self.home_xyz.T
            land = land_mass(np.degrees(np.arctan2(y, x)), np.degrees(np.arcsin(np.clip(z, -1.0, 1.0))))
            self._home_land = cached = (self.home_xyz.copy(), land)
        return cached[1]

    def nearest_territories(self, units: np.ndarray, count: int, only: np.ndarray | None = None) -> np.ndarray:
        """(len(units), count) territory indices by increasing distance from each unit's location."""
        allowed = np.flatnonzero(np.ones(self.k, dtype=bool) if only is None else only)
        count = min(count, len(allowed))
        _, near = cKDTree(self.home_xyz[allowed]).query(self.plan.accounts.xyz[units], k=count)
        return allowed[np.asarray(near).reshape(len(units), count)]

    # -- refreshing between rounds ----------------------------------------------------------------------
    def refresh_hops(self, assignment: np.ndarray) -> None:
        tidx = territory_index(self.tids, assignment)
        ea = self.plan.accounts.ea_km
        order = np.argsort(tidx, kind="stable")
        bounds = np.searchsorted(tidx[order], np.arange(self.k + 1))
        for j in range(self.k):
            members = order[bounds[j]:bounds[j + 1]]
            area = hull_area_km2(ea[members])
            self.hop_km[j] = BHH_CONSTANT * np.sqrt(area / len(members)) if len(members) else 0.0
        assigned = np.flatnonzero(tidx >= 0)
        self.average_workload = float(self.workload(assigned, tidx[assigned]).sum()) / max(self.k, 1)

    def refresh_centres(self, terr: np.ndarray, by: str) -> int:
        """Move every movable centre to the weighted medoid of its accounts (Cooper's alternating
        location-allocation step); `by` 'workload' (optimised homes) or 'potential' (the measure's medoid).
        Returns how many centres moved."""
        xyz = self.plan.accounts.xyz
        weights = self.work_weight if by == "workload" else self.plan.accounts.potential
        order = np.argsort(terr, kind="stable")
        bounds = np.searchsorted(terr[order], np.arange(self.k + 1))
        moved = 0
        for j in np.flatnonzero(~self.home_fixed):
            members = order[bounds[j]:bounds[j + 1]]
            if len(members) == 0:
                continue
            row = int(members[weighted_medoid(xyz[members], weights[members])])
            if row != self.home_row[j]:
                moved += 1
                self.home_row[j] = row
                self.home_xyz[j] = xyz[row]
        return moved


@dataclass
class ProblemOptions:
    measures: dict[str, float]  # canonical measure -> tolerance
    candidates: int = 8
    objective: str = "travel"  # or "max_distance"
    max_disruption_accounts: float | None = None
    max_disruption_potential: float | None = None
    disruption_weight: float = 0.0


def build_problem(model: PlanModel, options: ProblemOptions, current: np.ndarray,
                  extra: tuple[np.ndarray, np.ndarray] | None = None) -> AssignmentProblem:
    """The problem for the model's present homes and hops. `current`: baseline territory index per account
    (-1: none); `extra`: more (unit, territory) arcs to include (contiguity repair, the previous solution)."""
    plan, scenario = model.plan, model.scenario
    n, k = len(plan.accounts), model.k
    tidx = territory_index(model.tids, scenario.assignment)
    locked_terr = ~model.open
    fixed = scenario.locked | ((tidx >= 0) & locked_terr[np.maximum(tidx, 0)])
    free = ~fixed
    fixed_terr = np.where(fixed, tidx, -1)
    names = list(options.measures)
    potential = plan.accounts.potential
    # A fixed per-account scale: potential and counts are measured in shares of the whole, so the LP is
    # well conditioned whatever the currency.
    scale = {"accounts": 1.0, "potential": 1.0 / max(float(np.abs(potential).mean()), 1e-12)}
    q_accounts = np.full(n, 1.0 / n)
    q_potential = potential / potential.sum() if potential.sum() > 0 else q_accounts
    cost_scale = penalty_scale = 1.0

    def contributions(units, terrs):
        rows = []
        for name in names:
            if name == "workload_hours":
                rows.append(model.workload(units, terrs))
            elif name == "service_hours":
                rows.append(model.service[units])
            elif name == "potential":
                rows.append(potential[units] * scale["potential"])
            else:
                rows.append(np.ones(len(units)))
        return np.array(rows).reshape(len(names), len(units))

    def evaluate(units, terrs):
        d = model.distance(units, terrs)
        cost = model.weight[units] * d / cost_scale
        if options.disruption_weight > 0:
            moved = terrs != current[units]
            cost = cost + options.disruption_weight * penalty_scale * np.where(moved, q_accounts[units], 0.0)
        return cost, contributions(units, terrs)

    units = np.flatnonzero(free)
    near = model.nearest_territories(units, options.candidates, only=model.open)
    cand_units, cand_terrs = np.repeat(units, near.shape[1]), near.ravel()
    if "workload_hours" in names and near.shape[1] > 2:
        # An account far from a home brings that territory mostly travel: a cheap way for an LP to fill an
        # underloaded territory, and a unit too big to round. Such arcs are left out (beyond the 2 nearest)
        # unless the account stays small there.
        nearest_work = model.workload(units, near[:, 0])
        rank = np.tile(np.arange(near.shape[1]), len(units))
        work = model.workload(cand_units, cand_terrs)
        mean_target = (float(nearest_work.sum()) + float(model.work_weight[~free].sum())) / max(k, 1)
        keep = ((rank < 2) | (work <= MAX_WORKLOAD_RATIO * np.repeat(nearest_work, near.shape[1]))
                | (work <= SMALL_UNIT_SHARE * mean_target))
        cand_units, cand_terrs = cand_units[keep], cand_terrs[keep]
    stays = units[(current[units] >= 0) & model.open[np.maximum(current[units], 0)]]
    arc_units = [cand_units, stays]
    arc_terrs = [cand_terrs, current[stays]]
    if extra is not None:
        keep = free[extra[0]] & model.open[extra[1]]
        arc_units.append(extra[0][keep])
        arc_terrs.append(extra[1][keep])
    # Costs in km: the visit-weighted mean distance of the free accounts. A disruption weight of 1 makes
    # moving every account cost as much as that mean distance with every account at its nearest home.
    cost_scale = max(float(model.weight[units].sum()), 1e-12)
    best = model.weight[units] * model.distance(units, near[:, 0]) if len(units) else np.zeros(0)
    penalty_scale = float(best.sum()) / cost_scale
    arcs = Arcs.build(n, np.concatenate(arc_units), np.concatenate(arc_terrs), evaluate)
    arcs.length = model.distance(arcs.unit, arcs.terr)
    budgets = []
    if options.max_disruption_accounts is not None:
        budgets.append((q_accounts, options.max_disruption_accounts))
    if options.max_disruption_potential is not None:
        budgets.append((q_potential, options.max_disruption_potential))
    target = np.full((len(names), k), np.nan)
    share = np.full((len(names), k), 1.0 / max(k, 1))
    if "workload_hours" in names:
        # Capacity is a share, not an absolute target: a team over capacity as a whole balances utilisation.
        capacity = np.array([scenario.territories[t].capacity_hours or np.nan for t in model.tids.tolist()])
        shares = capacity_shares(capacity, model.average_workload)
        if shares is not None:
            share[names.index("workload_hours")] = shares
    problem = AssignmentProblem(
        n=n, k=k, arcs=arcs, measure_names=names, tolerance=np.array([options.measures[m] for m in names]),
        target=target, share=share, free=free, fixed_terr=fixed_terr, constrained=model.open.copy(), current=current,
        move_weight=np.array([q for q, _ in budgets]).reshape(len(budgets), n),
        move_budget=np.array([b for _, b in budgets]), evaluate=evaluate)
    if "workload_hours" in names:
        problem.hop = HopTerm(names.index("workload_hours"), model.settings.circuity / model.settings.speed_kmh,
                              model.visits, plan.accounts.ea_km, model.hop_km.copy())
    problem.length_of = model.distance
    return problem
