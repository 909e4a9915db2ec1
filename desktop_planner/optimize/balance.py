"""Auto-balance: `balance(plan, scenario, settings)` returns a new assignment and a report. Pure: it reads the
in-memory plan and changes nothing; the GUI applies the result as one SetAssignment command, the command line
writes it as a new scenario.

Method (chosen by measurement, see tests/benchmarks/bench_optimize_demo.py): location-allocation with balance
constraints as a transportation LP solved by HiGHS, exactly for up to ~100k arcs and over micro-units of
neighbouring accounts above that, whose dual prices then assign every account; then local search on boundary
accounts repairs the few split units and the linearisation error and lowers the cost; the BHH hop lengths and
any movable centres are refreshed from the plan between rounds, and every figure of the report comes from the
project's own measures. The LP (or the Lagrangian at its duals) gives a lower bound on the objective.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from desktop_planner.core.commands import Command, Composite, EditTerritory, SetAssignment
from desktop_planner.core.compare import assignment_names
from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario, Territory
from desktop_planner.optimize import contiguous, engine
from desktop_planner.optimize.plan_model import PlanModel, ProblemOptions, canonical_measure
from desktop_planner.optimize.report import BalanceReport, build_report

Progress = Callable[[float, str], bool]  # (fraction done, message) -> False to cancel
OBJECTIVES = ("travel", "max_distance")
REPORT_RESERVE = 0.06  # share of the time limit kept for the final figures and the report
HOMES = ("fixed", "optimize")


@dataclass
class BalanceSettings:
    # measure -> tolerance; DESIGN's default band (the app and the CLI pass the project's own tolerance)
    measures: dict[str, float] = field(default_factory=lambda: {"workload_hours": 0.10})
    objective: str = "travel"  # least visit-weighted distance to home, or "max_distance": least longest
    homes: str = "fixed"  # keep rep homes, or "optimize": choose each territory's home among its accounts
    max_disruption_accounts: float | None = None  # share of accounts that may change territory
    max_disruption_potential: float | None = None  # share of potential that may change territory
    disruption_weight: float = 0.0  # cost of moving every account, in units of the nearest-home mean distance
    # Every territory one piece of the account graph, by construction. None: yes for the travel objective;
    # the longest-distance objective keeps its own method (contiguity there is a repair, asked for with True).
    require_contiguous: bool | None = None
    time_limit_s: float = 60.0
    seed: int = 0
    candidates: int = 8  # territories (nearest homes, plus the current one) an account may go to
    # With an active unit layer (plan.units): balance whole units on their adjacency (units_balance.py), or
    # single accounts as without a layer (False). `within`: "state" keeps each territory inside one state,
    # "region" inside the units its sales region's territories hold now.
    use_units: bool = True
    within: str | None = None

    @property
    def contiguous(self) -> bool:
        """Whether the plan must be contiguous (what the report checks)."""
        return self.require_contiguous if self.require_contiguous is not None else self.objective == "travel"

    def validated(self) -> "BalanceSettings":
        """A copy with canonical measure names; ValueError with a message for the user if anything is wrong."""
        if not self.measures:
            raise ValueError("choose at least one measure to balance")
        measures = {}
        for name, tol in self.measures.items():
            if not (isinstance(tol, (int, float)) and 0 < tol < 1):
                raise ValueError(f"the tolerance of {name} must be a fraction between 0 and 1, got {tol!r}")
            measures[canonical_measure(name)] = float(tol)
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if self.homes not in HOMES:
            raise ValueError(f"homes must be one of {', '.join(HOMES)}, got {self.homes!r}")
        for what in ("max_disruption_accounts", "max_disruption_potential"):
            value = getattr(self, what)
            if value is not None and not (0 <= value <= 1):
                raise ValueError(f"{what} must be a share between 0 and 1, got {value!r}")
        if not (math.isfinite(self.disruption_weight) and self.disruption_weight >= 0):
            raise ValueError("disruption_weight must be zero or positive")
        if not (self.time_limit_s > 0):
            raise ValueError("the time limit must be positive")
        if int(self.candidates) < 1:
            raise ValueError("candidates must be at least 1")
        if self.within not in (None, "state", "region"):
            raise ValueError(f"within must be 'state' or 'region', got {self.within!r}")
        return replace(self, measures=measures, candidates=int(self.candidates))


@dataclass
class BalanceResult:
    assignment: np.ndarray  # territory id per account (UNASSIGNED = -1), same order as the plan's accounts
    territories: dict[int, Territory]  # the scenario's territories, homes moved when homes="optimize"
    report: BalanceReport
    unit_territory: np.ndarray | None = None  # balanced on units: territory id per unit of plan.units.layer
    units_fixed: np.ndarray | None = None  # bool per account: kept where it was (exception, locked, not placed)

    @property
    def cancelled(self) -> bool:
        return self.report.cancelled

    def changed_accounts(self, scenario: Scenario) -> np.ndarray:
        """Row indices whose territory differs from the scenario's: the accounts of the SetAssignment."""
        return np.flatnonzero(self.assignment != scenario.assignment)

    def changed_homes(self, scenario: Scenario) -> dict[int, Territory]:
        return {tid: t for tid, t in self.territories.items() if scenario.territories.get(tid) != t}

    def command(self, scenario: Scenario, label: str = "Auto-balance") -> Command:
        """The result as ONE undoable command for the History: a SetAssignment (action "balance") of the
        accounts that change, with the moved homes (homes="optimize") in the same Composite step. Balanced on
        units: an AssignUnits of every unit (accounts follow, exceptions and locked accounts stay) instead."""
        changed = self.changed_accounts(scenario)
        assign = SetAssignment(scenario.id, changed, self.assignment[changed], label=label, action="balance")
        if self.unit_territory is not None:
            from desktop_planner.optimize.units_balance import unit_command
            assign = unit_command(self, scenario, label)
        homes = [EditTerritory(scenario.id, tid, home_lon=t.home_lon, home_lat=t.home_lat)
                 for tid, t in self.changed_homes(scenario).items() if tid in scenario.territories]
        return Composite([assign, *homes], label, action="balance") if homes else assign


class Clock:
    """Time limit and progress; `stop()` is true once the caller cancelled or the time is up."""

    def __init__(self, limit_s: float, progress: Progress | None) -> None:
        self.started = time.perf_counter()
        # The search stops a little early: the final rebuild and the report (measures, pieces, reasons) take
        # a few seconds at 100k accounts, and the whole run is to end within the limit the planner set.
        self.deadline = self.started + limit_s * (1.0 - REPORT_RESERVE)
        self.limit = limit_s
        self.progress = progress
        self.cancelled = False
        self._last = 0.0
        self.fraction = 0.0

    def remaining(self) -> float:
        """Seconds left; none once cancelled, so that every phase that sizes its work by it stops too."""
        return 0.0 if self.cancelled else max(0.0, self.deadline - time.perf_counter())

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def step(self, fraction: float, message: str) -> bool:
        self.fraction = max(self.fraction, fraction)
        if self.progress is not None and not self.cancelled:
            if self.progress(min(self.fraction, 1.0), message) is False:
                self.cancelled = True
        return self.cancelled

    def stop(self) -> bool:
        now = time.perf_counter()
        if now - self._last > 0.2:
            self._last = now
            share = min(0.95, 0.3 + 0.65 * (now - self.started) / self.limit)
            self.step(share, "Improving the plan")
        return self.cancelled or now > self.deadline


def balance(plan: Plan, scenario: Scenario, settings: BalanceSettings | None = None,
            distance_matrix: np.ndarray | None = None, progress: Progress | None = None,
            baseline: Scenario | None = None, graph_edges: np.ndarray | None = None) -> BalanceResult:
    """Balance `scenario` (its territories as they are: add or remove territories first for a headcount
    what-if; accounts of territories not in it are reassigned). `baseline` (default: the scenario) is what
    disruption is measured against, by territory name. `distance_matrix`: (accounts x territories, in the
    scenario's territory order) or (accounts x accounts) distances for the objective; great-circle km when
    None (workload always follows the project's measures). `graph_edges`: the account graph
    (core.contiguity.account_graph) when known (the project file caches it). `progress(fraction, message)` returning False cancels: the result
    is then the best plan found so far, flagged `cancelled`."""
    settings = (settings or BalanceSettings()).validated()
    if getattr(plan, "units", None) is not None and settings.use_units:
        from desktop_planner.optimize.units_balance import balance_units
        if distance_matrix is not None:
            raise ValueError("a distance matrix is per account: balance on units without one, or set "
                             "use_units=False")
        return balance_units(plan, scenario, settings, progress, baseline)
    if settings.within is not None:
        raise ValueError(f"keeping territories within a {settings.within} needs a unit layer (set one with "
                         "`desktop-planner units PROJECT --layer us-counties`)")
    clock = Clock(settings.time_limit_s, progress)
    clock.step(0.0, "Preparing")
    baseline = baseline or scenario
    work = Scenario(scenario.id, scenario.name, dict(scenario.territories), scenario.assignment.copy(),
                    scenario.locked.copy(), scenario.created_at, scenario.based_on, scenario.notes)
    known = np.isin(work.assignment, work.territory_ids())
    work.assignment[~known] = UNASSIGNED
    checker = ContiguityChecker(plan.accounts, graph_edges)
    model = PlanModel.build(plan, work, settings.homes, distance_matrix)
    current = _baseline_index(baseline, model)
    options = ProblemOptions(settings.measures, settings.candidates, settings.objective,
                             settings.max_disruption_accounts, settings.max_disruption_potential,
                             settings.disruption_weight)
    if settings.objective == "travel" and settings.require_contiguous is not False:
        outcome = contiguous.optimise(model, options, current, clock, settings, checker.edges)
    else:
        outcome = engine.optimise(model, options, current, clock, settings, checker.edges)
    clock.step(0.97, "Checking the result")
    after = Scenario(work.id, work.name, _territories_with_homes(model, work, settings.homes), work.assignment.copy(),
                     work.locked.copy())
    after.assignment = np.where(outcome.terr >= 0, model.tids[np.maximum(outcome.terr, 0)], UNASSIGNED)
    forced = _forced_shares(plan, model, current, after)
    fields = dict(objective_name=outcome.objective_name, objective=outcome.objective, lower_bound=outcome.bound,
                  time_s=clock.elapsed(), cancelled=clock.cancelled,
                  time_limit_reached=not clock.cancelled and clock.remaining() <= 0, method=outcome.method,
                  notes=outcome.notes)
    budgets = {"accounts": settings.max_disruption_accounts, "potential": settings.max_disruption_potential}
    report = build_report(plan, baseline, after, baseline, settings.measures, checker, budgets, forced,
                          settings.contiguous, **fields)
    if not report.improved and set(work.territories) == set(baseline.territories):
        # Never offer a worse plan as a result: keep the one the planner has, and say so.
        after = Scenario(work.id, work.name, dict(scenario.territories), scenario.assignment.copy(),
                         work.locked.copy())
        report = build_report(plan, baseline, after, baseline, settings.measures, checker, budgets, forced,
                              settings.contiguous, **{**fields, "notes": outcome.notes + [
                                  "the best plan found was no better balanced and no shorter to drive than the "
                                  "current one"]})
        report.improved = False
    clock.step(1.0, "Done")
    return BalanceResult(after.assignment, after.territories, report)


def _baseline_index(baseline: Scenario, model: PlanModel) -> np.ndarray:
    """The baseline's territory per account as an index into the model's territories (by name; -1: none)."""
    names = assignment_names(baseline)
    index = {model.scenario.territories[t].name: i for i, t in enumerate(model.tids.tolist())}
    return np.array([index.get(name, -1) if name is not None else -1 for name in names], dtype=np.int64)


def _territories_with_homes(model: PlanModel, work: Scenario, homes: str) -> dict[int, Territory]:
    territories = dict(work.territories)
    if model.home_fixed.all():
        return territories
    lon, lat = model.plan.accounts.lon, model.plan.accounts.lat
    for j, tid in enumerate(model.tids.tolist()):
        t = territories[tid]
        # homes="optimize": every territory's home is where the optimizer put it. homes="fixed": territories
        # without a rep home keep none (the measures use their medoid, which the optimizer followed).
        if not model.home_fixed[j] and (t.has_home or homes == "optimize") and model.home_row[j] >= 0:
            territories[tid] = t.with_changes(home_lon=float(lon[model.home_row[j]]),
                                              home_lat=float(lat[model.home_row[j]]))
    return territories


def _forced_shares(plan: Plan, model: PlanModel, current: np.ndarray, after: Scenario) -> dict[str, float]:
    """Accounts that had to move whatever the plan: no baseline territory, or one that is not open."""
    forced = (current < 0) | ~model.open[np.maximum(current, 0)]
    forced &= ~after.locked & (after.assignment != UNASSIGNED)
    potential = plan.accounts.potential
    n = len(forced)
    return {"accounts": float(forced.sum() / n) if n else 0.0,
            "potential": float(potential[forced].sum() / potential.sum()) if potential.sum() > 0 else 0.0}


__all__ = ["BalanceSettings", "BalanceResult", "BalanceReport", "balance"]
