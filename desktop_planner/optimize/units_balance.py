"""Auto-balance on geography units: when a plan has an active unit layer, every unit is one item.

The existing optimiser runs unchanged on a small stand-in plan whose "accounts" are items:
- one item per unit of the layer, carrying the figures of its movable accounts summed (visits, service hours,
  potential) at their visit-weighted centroid (a unit without accounts: its representative point, no work);
- one item per account that must stay where it is (a named exception, a locked account, an account of a locked
  territory, an account outside every unit), locked in the stand-in scenario, so its load counts as it is.
The item graph is the unit adjacency (units sharing a border; islands linked to their nearest unit), each fixed
item hanging off its unit, so the territories grown on it are whole, connected sets of units; units without
accounts get a territory too (they are items of no weight), which keeps territories whole areas.

`within="state"` drops the adjacency between units of different states (`layer.parents`) and balances each
state on its own with the territories homed in it (a territory's home state: the unit holding its home, else
where most of its accounts are): a territory homed in NY only gets NY units. Units of a state where no
territory is homed go to a neighbouring territory across the state line, and the report says so.
`within="region"` does the same with sales regions (`Territory.region`): a region's area is the units its
territories hold now, and its territories are balanced inside it. A region is a name, not a set of states
(the Northeast demo's Pennsylvania holds West and Central territories), so its area is read off the plan;
units that no territory of a region holds join the region of a neighbouring unit.

The result is expanded back to accounts (accounts follow their unit; the fixed ones stay), the report is built
on the real plan with the project's measures, and `BalanceResult.command` applies it as one AssignUnits step.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import shapely
from scipy.spatial import cKDTree

from desktop_planner.core.commands import Applied, AssignUnits, Command, Composite, SetAssignment
from desktop_planner.core.compare import assignment_names
from desktop_planner.core.geo import lonlat_to_unit_xyz
from desktop_planner.core.measures import MeasureEngine, filled_capacities
from desktop_planner.core.model import UNASSIGNED, Accounts, Plan, Scenario, territory_index
from desktop_planner.core.units import NOT_PLACED, majority_territory
from desktop_planner.optimize.report import build_report, private_plan, scenario_measures
from desktop_planner.optimize.units_graph import (UnitPieces, fill_from_neighbours, group_edges, layer_adjacency,
                                                  merge_homeless, region_groups, split_groups)

class _Items:
    """The items of one balance: which accounts each unit item carries, and the fixed single-account items."""

    def __init__(self, plan: Plan, scenario: Scenario, state) -> None:
        self.plan, self.scenario, self.state = plan, scenario, state
        layer = state.layer
        self.n_units = len(layer)
        self.unit_of = state.unit_of_rows(plan)
        self.exception = _exception_rows(state, plan, scenario)
        tidx = territory_index(scenario.territory_ids(), scenario.assignment)
        locked_terr = np.array([scenario.territories[t].locked for t in scenario.territory_ids().tolist()] + [False])
        in_locked = locked_terr[np.where(tidx >= 0, tidx, len(locked_terr) - 1)]
        # A named exception whose territory is gone (a headcount what-if removed it) follows its unit again.
        self.exception &= tidx >= 0
        self.fixed = self.exception | scenario.locked | in_locked | (self.unit_of == NOT_PLACED)
        self.fixed_rows = np.flatnonzero(self.fixed)
        self.free_rows = np.flatnonzero(~self.fixed)
        engine = MeasureEngine(private_plan(plan, scenario))
        try:
            self.visits, self.service = engine.visits_and_service_hours()
        finally:
            engine.close()

    def unit_territory(self, assignment: np.ndarray, fallback: np.ndarray | None = None) -> np.ndarray:
        """Per unit the majority territory of its movable accounts in `assignment`; units without any take
        `fallback` (per unit) where given."""
        unit_of = np.where(self.fixed, NOT_PLACED, self.unit_of)
        terr = majority_territory(unit_of, assignment, self.plan.accounts.potential, self.n_units)
        if fallback is not None:
            empty = np.bincount(self.unit_of[self.free_rows], minlength=self.n_units) == 0
            terr = np.where(empty, fallback, terr)
        return terr

    def accounts(self, unit_territory: np.ndarray, fixed_assignment: np.ndarray) -> np.ndarray:
        """Per account: its unit's territory, or its own (fixed accounts)."""
        out = fixed_assignment.copy()
        rows = self.free_rows
        out[rows] = unit_territory[self.unit_of[rows]]
        return out


def _exception_rows(state, plan: Plan, scenario: Scenario) -> np.ndarray:
    entry = state.scenarios.get(scenario.id)
    if entry is None and scenario.based_on is not None:
        entry = state.scenarios.get(scenario.based_on)
    if entry is None:
        return np.zeros(len(plan.accounts), dtype=bool)
    return np.isin(plan.accounts.ids, entry.exceptions)


def _unit_points(items: _Items) -> np.ndarray:
    """(U, 3) unit vectors: the visit-weighted centroid of each unit's movable accounts, else the unit's
    representative point."""
    layer = items.state.layer
    rep = shapely.get_coordinates(shapely.point_on_surface(layer.geometries))
    xyz = lonlat_to_unit_xyz(rep[:, 0], rep[:, 1])
    rows = items.free_rows
    if len(rows):
        weight = np.nan_to_num(items.visits[rows]) + 1e-6
        acc = items.plan.accounts.xyz[rows] * weight[:, None]
        summed = np.zeros((items.n_units, 3))
        np.add.at(summed, items.unit_of[rows], acc)
        norm = np.linalg.norm(summed, axis=1)
        has = norm > 0
        xyz[has] = summed[has] / norm[has, None]
    return xyz


def _xyz_to_lonlat(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0])), np.degrees(np.arcsin(np.clip(xyz[:, 2], -1.0, 1.0))))


def _sub_problem(items: _Items, unit_xyz: np.ndarray, edges: np.ndarray, units: np.ndarray,
                 territory_ids: np.ndarray, unit_current: np.ndarray, assignment: np.ndarray,
                 baseline_assignment: np.ndarray | None):
    """The stand-in plan and scenario for the given units and territories: (plan, scenario, baseline scenario
    or None, item edges, number of unit items). Items 0..len(units)-1 are the units."""
    plan, scenario = items.plan, items.scenario
    tset = set(territory_ids.tolist())
    fixed_rows = items.fixed_rows[np.isin(assignment[items.fixed_rows], territory_ids)]
    u = len(units)
    pos = np.full(items.n_units, -1)
    pos[units] = np.arange(u)
    rows = items.free_rows
    keep = pos[items.unit_of[rows]] >= 0
    rows = rows[keep]
    at = pos[items.unit_of[rows]]
    visits = np.bincount(at, weights=np.nan_to_num(items.visits[rows]), minlength=u)
    service = np.bincount(at, weights=np.nan_to_num(items.service[rows]), minlength=u)
    potential = np.bincount(at, weights=np.nan_to_num(plan.accounts.potential[rows]), minlength=u)
    with np.errstate(divide="ignore", invalid="ignore"):
        minutes = np.where(visits > 0, 60.0 * service / np.where(visits > 0, visits, 1.0), 0.0)
    lon, lat = _xyz_to_lonlat(unit_xyz[units])
    a = plan.accounts
    accounts = Accounts.from_columns(
        lon=np.concatenate((lon, a.lon[fixed_rows])), lat=np.concatenate((lat, a.lat[fixed_rows])),
        potential=np.concatenate((potential, a.potential[fixed_rows])),
        visits_per_year=np.concatenate((visits, np.nan_to_num(items.visits[fixed_rows]))),
        visit_minutes=np.concatenate((minutes, np.where(
            items.visits[fixed_rows] > 0, 60.0 * items.service[fixed_rows] / np.where(
                items.visits[fixed_rows] > 0, items.visits[fixed_rows], 1.0), 0.0))))
    # Unit-unit edges inside the chosen units. Fixed items get none: a fixed item hanging off a unit would join
    # its territory's piece count whenever that unit came to it, and a batch of moves could then trade a real
    # split for such a join; isolated, each is one constant piece of its own that no move changes.
    inside = (pos[edges[:, 0]] >= 0) & (pos[edges[:, 1]] >= 0)
    item_edges = [np.column_stack((pos[edges[inside, 0]], pos[edges[inside, 1]]))]
    item_edges = np.vstack(item_edges).astype(np.int64)
    item_edges = np.sort(item_edges, axis=1)
    item_edges = np.unique(item_edges[item_edges[:, 0] != item_edges[:, 1]], axis=0).reshape(-1, 2)
    territories = {t: scenario.territories[t] for t in scenario.territories if t in tset}
    locked = np.concatenate((np.zeros(u, dtype=bool), np.ones(len(fixed_rows), dtype=bool)))
    # Units whose territory is not among these (or that have none) start with a neighbour's: the stand-in's
    # current plan is then a whole one, which the optimiser may keep when it finds nothing better.
    start = np.where(np.isin(unit_current[units], territory_ids), unit_current[units], UNASSIGNED)
    fill_from_neighbours(start, item_edges)
    current = np.concatenate((start, assignment[fixed_rows])).astype(np.int64)
    work = Scenario(scenario.id, scenario.name, territories, current, locked)
    stand_in = Plan(accounts, {work.id: work}, work.id, plan.settings, name=plan.name)
    base = None
    if baseline_assignment is not None:
        base = baseline_assignment
    return stand_in, work, base, item_edges, u, fixed_rows


def _home_groups(items: _Items, group_of_unit: np.ndarray, unit_territory: np.ndarray) -> dict[int, object]:
    """The group (state) of each territory: where its home lies, else where most of its units are."""
    scenario, layer = items.scenario, items.state.layer
    result: dict[int, object] = {}
    tree = layer.tree()
    for tid, t in scenario.territories.items():
        group = None
        if t.has_home:
            hit = tree.query(shapely.points(t.home_lon, t.home_lat), predicate="intersects")
            if len(hit):
                group = group_of_unit[int(np.min(hit))]
            else:
                near = tree.query_nearest(shapely.points(t.home_lon, t.home_lat))
                group = group_of_unit[int(near[0])] if len(near) else None
        if group is None:
            mine = np.flatnonzero(unit_territory == tid)
            if len(mine):
                values, counts = np.unique(group_of_unit[mine].astype(str), return_counts=True)
                group = values[int(np.argmax(counts))]
        result[tid] = None if group is None else str(group)
    return result


WITHIN_NOTE = {"state": ", each territory within one state",
               "region": ", each territory within its region (the units its region's territories held)"}


def _groups(items: _Items, within: str | None, current_units: np.ndarray, edges: np.ndarray):
    """(group per unit, group per territory id, the groups balanced, notes): the parts balanced on their own."""
    scenario, layer = items.scenario, items.state.layer
    if within is None:
        return np.full(items.n_units, "").astype(str), {tid: "" for tid in scenario.territories}, [""], []
    if within == "region":
        return _region_groups(scenario, current_units, edges)
    parents = np.asarray(layer.parents, dtype=object)
    if any(p is None for p in parents.tolist()):
        raise ValueError(f"the unit layer {layer.label} does not say which state each unit is in, so "
                         "territories cannot be kept within states")
    group_of_unit = parents.astype(str)
    home_group = _home_groups(items, group_of_unit, current_units)
    groups = sorted({g for g in home_group.values() if g is not None})
    group_of_unit, merged = merge_homeless(group_of_unit, set(groups), edges)
    notes = []
    if merged:
        notes.append("no territory has its home in " + ", ".join(
            f"{state} (balanced with {into})" for state, into in sorted(merged.items()))
            + ": territories there cross the state line")
    return group_of_unit, home_group, groups, notes


def _region_groups(scenario: Scenario, current_units: np.ndarray, edges: np.ndarray):
    """`_groups` by sales region: a unit's region is that of the territory holding it now. Every open territory
    needs a region (which area would it be balanced in otherwise?); a locked one keeps what it has anyway."""
    region_of = {tid: (t.region or "").strip() for tid, t in scenario.territories.items()}
    missing = [t.name for tid, t in scenario.territories.items() if not region_of[tid] and not t.locked]
    if missing:
        raise ValueError(f"territor{'ies' if len(missing) > 1 else 'y'} {', '.join(missing)} "
                         f"{'have' if len(missing) > 1 else 'has'} no region: set one, or balance --within state")
    unit_region = np.array([region_of.get(t, "") for t in current_units.tolist()], dtype=str)
    group_of_unit, joined = region_groups(unit_region, edges)
    home_group = {tid: region_of[tid] or None for tid in scenario.territories}
    groups = sorted({g for g in home_group.values() if g is not None})
    notes = []
    if joined:
        notes.append(f"{joined} units that no territory of a region held joined the region of a neighbouring "
                     "unit")
    split = split_groups(edges, group_of_unit, groups)
    if split:  # the report counts pieces across such gaps as joined (the area cannot be otherwise)
        notes.append("the area of " + ", ".join(f"region {g} is in {c} pieces" for g, c in sorted(split.items()))
                     + ": a territory there may span the gap")
    empty = [g for g in groups if not (group_of_unit == g).any()]
    if empty:
        notes.append(f"no unit is held by a territory of region{'s' if len(empty) > 1 else ''} "
                     + ", ".join(empty) + ": the territories there get none")
    return group_of_unit, home_group, groups, notes


def balance_units(plan: Plan, scenario: Scenario, settings, progress=None, baseline: Scenario | None = None):
    """Auto-balance of `scenario` on the plan's unit layer (see the module docstring); a BalanceResult whose
    `unit_territory` holds each unit's territory."""
    from desktop_planner.optimize.balance import BalanceResult, Clock
    state = plan.units
    layer = state.layer
    clock = Clock(settings.time_limit_s, progress)
    clock.step(0.0, "Preparing the units")
    baseline = baseline or scenario
    items = _Items(plan, scenario, state)
    edges = layer_adjacency(layer)
    unit_xyz = _unit_points(items)
    known = np.isin(scenario.assignment, scenario.territory_ids())
    assignment = np.where(known, scenario.assignment, UNASSIGNED)
    stored = state.scenarios.get(scenario.id)
    fallback = None
    if stored is not None and len(stored.territory) == items.n_units:
        fallback = np.where(np.isin(stored.territory, scenario.territory_ids()), stored.territory, UNASSIGNED)
    current_units = items.unit_territory(assignment, fallback)
    group_of_unit, home_group, groups, notes = _groups(items, settings.within, current_units, edges)
    work_edges = edges if settings.within is None else group_edges(edges, group_of_unit, unit_xyz)
    context = (items, unit_xyz, work_edges, group_of_unit, home_group, groups, current_units, assignment,
               fallback, baseline)
    best = None  # (key, unit territories, territories, fields)
    attempts, factors = 0, None
    for scale, correct in ATTEMPTS:
        started = clock.elapsed()
        inner = replace(settings, use_units=False, within=None,
                        measures={m: t * scale for m, t in settings.measures.items()})
        # The first plan gets the larger share; later ones, each aimed by the last, share what is left.
        budget = clock.remaining() * (0.45 if attempts == 0 else 0.5)
        result_units, territories, fields = _solve(context, scenario, inner, clock, budget, attempts,
                                                   factors if correct else None)
        attempts += 1
        trial = items.accounts(result_units, assignment)
        key, deviation = _real_key(plan, scenario, territories, trial, settings.measures)
        if best is None or key < best[0]:
            best = (key, result_units, territories, fields)
        if deviation is not None:
            # Aim each territory's stand-in target against its real excess: over-loaded ones get less.
            factors = dict(factors or {})
            for tid, dev in deviation.items():
                factors[tid] = factors.get(tid, 1.0) * float(np.clip(1.0 / (1.0 + dev), 0.5, 2.0)) ** 0.8
        took = clock.elapsed() - started
        if clock.stop() or key[0] <= 0 or clock.remaining() < max(1.0, 0.1 * settings.time_limit_s, 0.3 * took):
            break
    _, result_units, territories, fields = best
    fixed_after = assignment
    filled = fill_from_neighbours(result_units, edges)
    empty_units = int((np.bincount(items.unit_of[items.free_rows], minlength=items.n_units) == 0).sum())
    after_assignment = items.accounts(result_units, fixed_after)
    stray = np.flatnonzero((items.unit_of == NOT_PLACED) & (after_assignment == UNASSIGNED) & ~scenario.locked)
    if len(stray):  # accounts outside every unit and without a territory: the nearest unit's
        _, near = cKDTree(unit_xyz).query(plan.accounts.xyz[stray])
        after_assignment[stray] = result_units[near]
        notes.append(f"{len(stray)} accounts outside every unit took the territory of the nearest unit")
    after = Scenario(scenario.id, scenario.name, territories, after_assignment, scenario.locked.copy())
    checker = UnitPieces(items, work_edges)  # the graph the territories were built on
    checker.remember(after_assignment, result_units)
    checker.remember(scenario.assignment, current_units)
    n_fixed = len(items.fixed_rows)
    notes.insert(0, f"balanced {items.n_units:,} units of {layer.label} ({items.n_units - empty_units:,} with "
                 f"accounts) instead of single accounts"
                 + (f"; {n_fixed:,} accounts stay where they are (exceptions, locked or not placed)" if n_fixed
                    else "") + WITHIN_NOTE.get(settings.within, ""))
    if filled:
        notes.append(f"{filled} units got the territory of a neighbouring unit")
    notes.extend(_granularity(items, layer, len(scenario.territories), settings.measures))
    notes.extend(fields.pop("notes", []))
    forced = _forced(plan, baseline, after)
    budgets = {"accounts": settings.max_disruption_accounts, "potential": settings.max_disruption_potential}
    if any(v is not None for v in budgets.values()):
        notes.append("disruption budgets were applied to units (each unit counts as one), not to accounts")
    fields.update(time_s=clock.elapsed(), cancelled=clock.cancelled, notes=notes)
    if len(groups) > 1:  # one objective for the whole plan: the measured visit-weighted mean distance
        fields.update(objective=_real_key(plan, scenario, territories, after_assignment, {})[0][-1],
                      lower_bound=None)
    fields.setdefault("objective_name", "travel")
    fields.setdefault("objective", 0.0)
    fields.setdefault("lower_bound", None)
    fields.setdefault("method", "none")
    report = build_report(plan, baseline, after, baseline, settings.measures, checker, budgets, forced,
                          settings.contiguous, **fields)
    if not report.improved:
        # The current plan is not on whole units, so it is not kept: say what the units cost instead.
        report.improved = True
        report.notes.append("on whole units this plan is no better balanced or shorter to drive than the current "
                            "one, which splits units")
    clock.step(1.0, "Done")
    return BalanceResult(after.assignment, after.territories, report, unit_territory=result_units,
                         units_fixed=items.fixed.copy())


# Stand-in figures differ from the project's measures (a unit's visits all travel to its centroid, the local
# hop is estimated from units rather than accounts): while time allows, the optimiser runs again, aiming each
# territory's target against the real excess of the last plan (through the stand-in's capacities) and at
# narrower bands, and the plan whose real measures are best balanced (then the shortest travel) is kept.
ATTEMPTS = ((1.0, False), (1.0, True), (0.7, True), (0.7, True), (0.5, True), (0.7, True), (0.5, True),
            (0.7, True))


def _solve(context, scenario: Scenario, inner, clock, budget: float, attempt: int, factors: dict | None):
    """One balance of every group: (territory per unit, territories, report fields). `factors`: per territory
    id, a multiplier of its share of the stand-in's workload."""
    from desktop_planner.optimize.balance import balance
    items, unit_xyz, work_edges, group_of_unit, home_group, groups, current_units, assignment, fallback, \
        baseline = context
    result_units = np.full(items.n_units, UNASSIGNED, dtype=np.int64)
    territories = dict(scenario.territories)
    fields: dict = {}
    total_units = sum(int((group_of_unit == g).sum()) for g in groups) or 1
    done, spent_before = 0, clock.elapsed()
    for g in groups:
        units = np.flatnonzero(group_of_unit == g)
        tids = np.array([t for t in scenario.territory_ids().tolist() if home_group[t] == g], dtype=np.int64)
        if not len(units) or not len(tids):
            continue
        share = len(units) / total_units
        left = budget - (clock.elapsed() - spent_before)
        limit = max(0.5, left * share / max(1e-9, 1 - done / total_units))
        base_share, done = done / total_units, done + len(units)

        def sub_progress(fraction, message, base=base_share, width=share):
            if attempt:
                return not clock.stop()
            return clock.step(0.02 + 0.8 * (base + width * fraction), message) is False
        stand_in, work, _, item_edges, u, fixed_rows = _sub_problem(
            items, unit_xyz, work_edges, units, tids, current_units, assignment, None)
        if factors:
            caps = np.array([work.territories[t].capacity_hours or np.nan for t in work.territories], dtype=float)
            filled = filled_capacities(caps)
            filled = np.ones(len(caps)) if filled is None else filled
            work.territories = {t: work.territories[t].with_changes(capacity_hours=float(c * factors.get(t, 1.0)))
                                for t, c in zip(list(work.territories), filled.tolist())}
        sub_base = None
        if baseline is not scenario:
            sub_base = _baseline_stand_in(items, baseline, work, units, fixed_rows, fallback)
        result = balance(stand_in, work, replace(inner, time_limit_s=limit), progress=sub_progress,
                         baseline=sub_base, graph_edges=item_edges)
        result_units[units] = result.assignment[:u]
        for tid, t in result.territories.items():  # the homes the optimiser chose, nothing else of the stand-in
            territories[tid] = scenario.territories[tid].with_changes(home_lon=t.home_lon, home_lat=t.home_lat)
        _merge(fields, result.report, g)
        if clock.cancelled:
            break
    return result_units, territories, fields


def _real_key(plan: Plan, scenario: Scenario, territories, assignment: np.ndarray, tolerances):
    """((largest excess over a band, summed excess, compactness), workload deviation per territory id or None)
    by the project's own measures, over the open territories."""
    trial = Scenario(scenario.id, scenario.name, territories, assignment, scenario.locked)
    measures = scenario_measures(plan, trial)
    tids = measures.territory_ids.tolist()
    open_ = np.array([not territories[t].locked for t in tids], dtype=bool)
    largest = summed = 0.0
    for name, tol in tolerances.items():
        excess = np.maximum(np.abs(np.asarray(measures.deviations[name], dtype=np.float64)) - tol, 0.0)[open_]
        largest, summed = max(largest, float(excess.max(initial=0.0))), summed + float(excess.sum())
    deviation = None
    if "workload_hours" in tolerances:
        dev = np.nan_to_num(np.asarray(measures.deviations["workload_hours"], dtype=np.float64))
        deviation = {t: float(d) for t, d, o in zip(tids, dev.tolist(), open_.tolist()) if o}
    return (round(largest, 4), round(summed, 6), float(measures.compactness_km)), deviation


def _granularity(items: _Items, layer, k: int, tolerances: dict) -> list[str]:
    """A note when single units are too big for the band: the service hours of the largest units against a
    territory's equal share (service alone; travel only adds to it)."""
    tol = tolerances.get("workload_hours", tolerances.get("service_hours"))
    rows = items.free_rows
    if tol is None or not len(rows) or k < 1:
        return []
    service = np.bincount(items.unit_of[rows], weights=np.nan_to_num(items.service[rows]),
                          minlength=items.n_units)
    share = float(np.nan_to_num(items.service).sum()) / k
    if share <= 0:
        return []
    big = np.flatnonzero(service > (1 + tol) * share)
    large = np.flatnonzero(service > 0.5 * share)
    notes = []
    if len(big):
        top = big[np.argsort(-service[big])][:3]
        notes.append("units too big for the band alone: " + ", ".join(
            f"{layer.names[u]} ({service[u] / share:.0%} of a territory's share of service hours)" for u in top)
            + (f" and {len(big) - 3} more" if len(big) > 3 else ""))
    elif len(large):
        notes.append(f"{len(large)} units each carry more than half a territory's service hours: whole units "
                     "leave coarse steps for the balance")
    return notes


def _baseline_stand_in(items: _Items, baseline: Scenario, work: Scenario, units: np.ndarray, fixed_rows,
                       fallback) -> Scenario:
    """The baseline read per item, with the stand-in's territories matched by name."""
    names = assignment_names(baseline)
    by_name = {t.name: t.id for t in work.territories.values()}
    base_assignment = np.array([by_name.get(nm, UNASSIGNED) if nm is not None else UNASSIGNED for nm in names],
                               dtype=np.int64)
    unit_terr = items.unit_territory(base_assignment)[units]
    current = np.concatenate((unit_terr, base_assignment[fixed_rows])).astype(np.int64)
    return Scenario(work.id, work.name, dict(work.territories), current, work.locked.copy())


def _merge(fields: dict, report, group: str) -> None:
    prefix = f"{group}: " if group else ""
    fields["objective_name"] = report.objective_name
    fields["objective"] = fields.get("objective", 0.0) + float(report.objective)
    bound = report.lower_bound
    if "lower_bound" not in fields:
        fields["lower_bound"] = bound
    elif fields["lower_bound"] is not None and bound is not None:
        fields["lower_bound"] += bound
    else:
        fields["lower_bound"] = None
    fields["method"] = report.method
    fields["time_limit_reached"] = fields.get("time_limit_reached", False) or report.time_limit_reached
    fields.setdefault("notes", []).extend(prefix + n for n in report.notes
                                          if "the best plan found was no better" not in n)


def _forced(plan: Plan, baseline: Scenario, after: Scenario) -> dict[str, float]:
    """Accounts that had to move whatever the plan: no baseline territory, or none of that name now open."""
    open_names = {t.name for t in after.territories.values() if not t.locked}
    names = assignment_names(baseline)
    forced = np.array([nm is None or nm not in open_names for nm in names], dtype=bool)
    forced &= ~after.locked & (after.assignment != UNASSIGNED)
    potential = plan.accounts.potential
    n = len(forced)
    return {"accounts": float(forced.sum() / n) if n else 0.0,
            "potential": float(potential[forced].sum() / potential.sum()) if potential.sum() > 0 else 0.0}



class ApplyUnitBalance(Command):
    """AssignUnits of every unit (accounts follow; exceptions and locked accounts stay), then the few accounts
    the balance kept elsewhere (those of locked territories) put back: one undoable step."""

    def __init__(self, scenario_id: int, unit_territory: np.ndarray, assignment: np.ndarray, label: str) -> None:
        self.scenario_id, self.unit_territory, self.assignment = scenario_id, unit_territory, assignment
        self.label, self.action = label, "balance"

    def apply(self, plan: Plan) -> Applied:
        units = np.arange(len(self.unit_territory))
        done = AssignUnits(self.scenario_id, units, self.unit_territory, self.label, action="balance").apply(plan)
        try:
            scenario = plan.scenarios[self.scenario_id]
            rows = np.flatnonzero(scenario.assignment != self.assignment)
            rest = SetAssignment(self.scenario_id, rows, self.assignment[rows], self.label, "balance").apply(plan)
        except Exception:
            done.inverse.apply(plan)
            raise
        return Applied(Composite([rest.inverse, done.inverse], self.label, "balance"), done.effects + rest.effects)


def unit_command(result, scenario: Scenario, label: str) -> Command:
    """The Command of a unit balance (BalanceResult.command)."""
    return ApplyUnitBalance(scenario.id, result.unit_territory, result.assignment, label)


def new_scenario_command(plan: Plan, source: Scenario, balanced: Scenario, created: Scenario, result) -> Command:
    """A unit balance written as a new scenario (`created`, a copy of `balanced` with new territory ids): the
    scenario, its units' territories and the source's named exceptions, in one undoable step."""
    from desktop_planner.core.commands import SetExceptions, SetUnitTerritories
    from desktop_planner.core.scenario_commands import AddScenario
    lut = dict(zip(balanced.territories, created.territories))
    territory = np.array([lut.get(int(t), UNASSIGNED) for t in result.unit_territory.tolist()], dtype=np.int64)
    steps: list[Command] = [AddScenario(created),
                            SetUnitTerritories(created.id, np.arange(len(territory)), territory, "Units of the "
                                               "balanced scenario")]
    # The source's exceptions, but for those whose territory the balance removed (they followed their unit).
    exceptions = _exception_rows(plan.units, plan, source) & np.isin(source.assignment, list(balanced.territories))
    steps.append(SetExceptions(created.id, np.arange(len(plan.accounts)), exceptions))
    return Composite(steps, f"New scenario {created.name} (auto-balance on units)", "balance")
