"""The balance report: every figure recomputed with the project's own measures (MeasureEngine), not the
optimizer's linearised model, so that what the report says is what the planner will see in the app."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from desktop_planner.core.compare import disruption
from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.measures import MeasureEngine, Measures, headcount_gap_text
from desktop_planner.core.model import Plan, Scenario
from desktop_planner.optimize.shortfalls import explain_shortfalls


@dataclass
class MeasureBalance:
    measure: str
    tolerance: float
    max_abs_deviation_before: float
    max_abs_deviation_after: float
    cv_before: float
    cv_after: float
    in_band: bool  # after: every territory the optimizer may change is within the tolerance
    locked_out_of_band: int = 0  # locked territories outside the band (the optimizer cannot change them)


@dataclass
class BalanceReport:
    measures: dict[str, MeasureBalance]
    compactness_before_km: float  # visit-weighted mean distance from accounts to their rep's home
    compactness_after_km: float
    accounts_moved: int
    disruption_accounts: float  # share of accounts whose territory changed
    disruption_potential: float  # share of potential whose territory changed
    non_contiguous_before: int  # territories in more than one piece
    non_contiguous_after: int
    unassigned_after: int
    feasible: bool
    problems: list[str]  # why not feasible (empty when feasible)
    objective_name: str
    objective: float
    lower_bound: float | None
    time_s: float
    cancelled: bool = False
    time_limit_reached: bool = False
    method: str = ""
    notes: list[str] = field(default_factory=list)
    distance_p95_before_km: float = 0.0  # visit-weighted 95th percentile of the same distances
    distance_p95_after_km: float = 0.0
    shortfalls: list[str] = field(default_factory=list)  # territories outside their band, and why
    headcount: str | None = None  # "Work for 15.6 reps at capacity; you have 12."
    improved: bool = True  # better than the plan it started from on the balanced measures, or on travel

    @property
    def gap(self) -> float | None:
        """(objective - bound) / objective: how far the plan can be from the best possible, at most. None when
        there is no usable bound (a bound must be positive and below the objective to say anything)."""
        if (self.lower_bound is None or not np.isfinite(self.lower_bound) or self.lower_bound <= 0
                or self.objective <= 0 or self.lower_bound > self.objective * (1 + 1e-9)):
            return None
        return max(0.0, (self.objective - self.lower_bound) / self.objective)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["gap"] = self.gap
        return data

    def format_text(self) -> str:
        lines = [f"{'measure':<16} {'tolerance':>9} {'max dev before':>15} {'after':>8} {'CV before':>10} "
                 f"{'after':>7}  in band"]
        for m in self.measures.values():
            lines.append(f"{m.measure:<16} {m.tolerance:>9.1%} {m.max_abs_deviation_before:>15.1%} "
                         f"{m.max_abs_deviation_after:>8.1%} {m.cv_before:>10.3f} {m.cv_after:>7.3f}  "
                         f"{'yes' if m.in_band else 'NO'}"
                         + (f" ({m.locked_out_of_band} locked territories out of band)" if m.locked_out_of_band
                            else ""))
        lines.append(f"compactness      {self.compactness_before_km:.1f} km -> {self.compactness_after_km:.1f} km "
                     f"(visit-weighted mean distance to home; 95th percentile {self.distance_p95_before_km:.0f} "
                     f"-> {self.distance_p95_after_km:.0f} km)")
        lines.append(f"disruption       {self.accounts_moved:,} accounts moved: {self.disruption_accounts:.1%} of "
                     f"accounts, {self.disruption_potential:.1%} of potential")
        lines.append(f"contiguity       territories in several pieces: {self.non_contiguous_before} -> "
                     f"{self.non_contiguous_after}")
        objective = f"objective        {self.objective_name} {self.objective:.3f}"
        if self.gap is not None:
            objective += f", lower bound {self.lower_bound:.3f} (gap at most {self.gap:.1%})"
        lines.append(objective)
        state = "cancelled, best plan so far" if self.cancelled else (
            "time limit reached" if self.time_limit_reached else "done")
        lines.append(f"time             {self.time_s:.1f} s ({state}; {self.method})")
        if not self.improved:
            lines.append("result           NO BETTER PLAN FOUND: the current plan is kept")
        lines.append("result           " + ("FEASIBLE: every balanced measure within its tolerance"
                                            if self.feasible else "NOT FEASIBLE: " + "; ".join(self.problems)))
        lines.extend(f"short            {line}" for line in self.shortfalls)
        if self.headcount:
            lines.append(f"headcount        {self.headcount}")
        lines.extend(f"note             {n}" for n in self.notes)
        return "\n".join(lines)


def private_plan(plan: Plan, scenario: Scenario) -> Plan:
    """A plan holding only this scenario (possibly a working copy), sharing the accounts and settings."""
    return Plan(plan.accounts, {scenario.id: scenario}, scenario.id, plan.settings, name=plan.name)


def scenario_measures(plan: Plan, scenario: Scenario) -> Measures:
    engine = MeasureEngine(private_plan(plan, scenario))
    try:
        return engine.measures()
    finally:
        engine.close()


def build_report(plan: Plan, before: Scenario, after: Scenario, baseline: Scenario, tolerances: dict[str, float],
                 checker: ContiguityChecker, budgets: dict[str, float | None], forced: dict[str, float],
                 require_contiguous: bool, **fields) -> BalanceReport:
    """`forced`: share of accounts / potential that had to move whatever the plan (their territory was removed,
    or they were unassigned): the disruption budgets do not count them."""
    mb, ma = scenario_measures(plan, before), scenario_measures(plan, after)
    open_after = np.array([not after.territories[t].locked for t in ma.territory_ids.tolist()], dtype=bool)
    measures, problems = {}, []
    for name, tol in tolerances.items():
        dev = np.abs(ma.deviations[name])
        ok = dev <= tol + 1e-9
        measures[name] = MeasureBalance(
            name, tol, mb.max_abs_deviation(name), ma.max_abs_deviation(name), mb.cv(name), ma.cv(name),
            bool(ok[open_after].all()), int((~ok & ~open_after).sum()))
        if not measures[name].in_band:
            problems.append(f"{name} outside ±{tol:.1%} in {int((~ok & open_after).sum())} territories "
                            f"(largest deviation {float(dev[open_after].max()):.1%})")
    d = disruption(private_plan(plan, after), baseline, after)
    for what, share in (("accounts", d.account_share), ("potential", d.potential_share)):
        budget = budgets.get(what)
        if budget is not None and share - forced.get(what, 0.0) > budget + 1e-9:
            problems.append(f"disruption of {what} {share - forced.get(what, 0.0):.1%} exceeds the budget "
                            f"{budget:.1%}")
    pieces_before = int((~checker.contiguous(mb.territory_ids, before.assignment)).sum())
    split_after = ~checker.contiguous(ma.territory_ids, after.assignment)
    pieces_after = int(split_after.sum())
    if require_contiguous and pieces_after:
        # Named: usually locked accounts that hold a territory apart, which only the planner can change.
        names = ", ".join(np.asarray(ma.names, dtype=object)[split_after][:6].tolist())
        problems.append(f"{pieces_after} territories are not contiguous ({names}"
                        + (", …" if pieces_after > 6 else "") + "; locked accounts may hold them apart)")
    movable_unassigned = int(((after.assignment == -1) & ~after.locked).sum())
    if movable_unassigned:
        problems.append(f"{movable_unassigned} accounts are unassigned")
    shortfalls = []
    for name, tol in tolerances.items():
        shortfalls += explain_shortfalls(plan, after, ma, name, tol, open_after)
        out = int((np.abs(ma.deviations[name]) > tol + 1e-9)[open_after].sum())
        if out > max(2, 0.25 * int(open_after.sum())):
            # Many short at once is not a few remote reps: the team is deployed away from the work.
            shortfalls.append(f"{out} of {int(open_after.sum())} territories are outside ±{tol:.0%}: the reps' homes "
                              "do not follow the work. Try letting the optimizer place the homes, a looser tolerance "
                              "(Trade-off…), or more reps where the work is")
    improved = any(m.max_abs_deviation_after < m.max_abs_deviation_before - 1e-3 for m in measures.values()) or (
        all(m.max_abs_deviation_after <= m.max_abs_deviation_before + 1e-9 for m in measures.values())
        and ma.compactness_km < mb.compactness_km - 1e-6)
    return BalanceReport(
        distance_p95_before_km=mb.distance_p95_km, distance_p95_after_km=ma.distance_p95_km, shortfalls=shortfalls,
        headcount=headcount_gap_text(ma), improved=improved,
        measures=measures, compactness_before_km=mb.compactness_km, compactness_after_km=ma.compactness_km,
        accounts_moved=d.accounts_moved, disruption_accounts=d.account_share, disruption_potential=d.potential_share,
        non_contiguous_before=pieces_before, non_contiguous_after=pieces_after, unassigned_after=ma.unassigned,
        feasible=not problems, problems=problems, **fields)
