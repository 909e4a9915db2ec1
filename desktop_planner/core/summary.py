"""The per-territory and plan figures of a scenario as plain data: for `summary --json`, CSV and reports."""

from __future__ import annotations

import math

from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.measures import MEASURES, MeasureEngine, Measures, headcount_gap_text
from desktop_planner.core.model import Plan, Scenario
from desktop_planner.core.rollup import NO_REGION, group_rollup

SUMMARY_DEVIATIONS = ("accounts", "potential", "service_hours", "travel_hours", "workload_hours")
NO_REP = "(no rep)"
ROLLUPS = {"region": lambda t: t.region or NO_REGION, "rep": lambda t: t.rep_name or NO_REP}  # group per territory


def _number(value: float) -> float | None:
    """JSON has no NaN or infinity: such figures are reported as null."""
    value = float(value)
    return value if math.isfinite(value) else None


def scenario_summary(plan: Plan, scenario: Scenario | None = None, engine: MeasureEngine | None = None,
                     contiguity: ContiguityChecker | None = None) -> dict:
    scenario = scenario or plan.active
    engine = engine or MeasureEngine(plan)
    m = engine.measures(scenario.id)
    contiguity = contiguity or ContiguityChecker(plan.accounts)
    pieces, _ = contiguity.pieces(m.territory_ids, scenario.assignment)
    territories = []
    for i, tid in enumerate(m.territory_ids.tolist()):
        t = scenario.territories[tid]
        row = {"id": tid, "name": t.name, "rep_name": t.rep_name, "region": t.region, "color": t.color,
               "locked": t.locked, "capacity_hours": t.capacity_hours,
               "home_lon": _number(m.home_lon[i]), "home_lat": _number(m.home_lat[i]),
               "home_is_medoid": bool(m.home_is_medoid[i])}
        for measure in MEASURES:
            value = m.values[measure][i]
            row[measure] = int(value) if measure == "accounts" else round(float(value), 6)
        row["nights"] = round(float(m.values["nights"][i]), 6)  # nights away a year
        row["flights"] = round(float(m.values["flights"][i]), 6)  # flown visits a year
        row["utilisation"] = _maybe_round(_number(m.utilisation[i]))  # workload / capacity; null: no capacity
        row["compactness_km"] = round(float(m.territory_compactness_km[i]), 6)  # visit-weighted mean distance
        row["contiguous"] = bool(pieces[i] <= 1)
        row["pieces"] = int(pieces[i])
        row["deviation"] = {k: _number(round(m.deviations[k][i], 6)) for k in SUMMARY_DEVIATIONS}
        row["in_band"] = {k: bool(m.in_band(k)[i]) for k in SUMMARY_DEVIATIONS}
        territories.append(row)
    return {
        "project": plan.name,
        "scenario": scenario.name,
        "territories": territories,
        "plan": plan_figures(m),
    }


def rollup_summary(plan: Plan, scenario: Scenario | None = None, by: str = "region",
                   engine: MeasureEngine | None = None) -> dict:
    """The scenario's territories rolled up by region or by rep (ROLLUPS): the group's totals, its deviation
    from as many average territories as it holds, and the largest deviation of one of its territories."""
    scenario = scenario or plan.active
    engine = engine or MeasureEngine(plan)
    m = engine.measures(scenario.id)
    groups = []
    for g in group_rollup(scenario, m, ROLLUPS[by]):
        row = {by: g.region, "territories": [scenario.territories[tid].name for tid in g.territories]}
        for measure in MEASURES:
            value = g.values[measure]
            row[measure] = int(value) if measure == "accounts" else round(value, 6)
        row["deviation"] = {k: _number(round(g.deviation[k], 6)) for k in SUMMARY_DEVIATIONS}
        row["largest_territory_deviation"] = {k: _number(round(g.largest_deviation[k], 6))
                                              for k in SUMMARY_DEVIATIONS}
        groups.append(row)
    return {"project": plan.name, "scenario": scenario.name, "by": by, "groups": groups, "plan": plan_figures(m)}


def plan_figures(m: Measures) -> dict:
    return {
        "accounts": m.n_accounts,
        "unassigned": m.unassigned,
        "territories": m.k,
        "tolerance": m.tolerance,
        "totals": {k: round(float(m.values[k].sum()), 6) for k in MEASURES},
        "max_abs_deviation": {k: round(m.max_abs_deviation(k), 6) for k in SUMMARY_DEVIATIONS},
        "cv": {k: round(m.cv(k), 6) for k in SUMMARY_DEVIATIONS},
        "max_min_ratio": {k: _maybe_round(m.max_min_ratio(k)) for k in SUMMARY_DEVIATIONS},
        "in_band_territories": {k: int(m.in_band(k).sum()) for k in SUMMARY_DEVIATIONS},
        # Distances to home, weighted by visits (not workload: travel would inflate the weights).
        "compactness_km": round(m.compactness_km, 6),
        "distance_p95_km": round(m.distance_p95_km, 6),
        "nights": round(float(m.values["nights"].sum()), 6),
        "flights": round(float(m.values["flights"].sum()), 6),
        # Headcount against capacity: reps_needed (and the sentence) are null when no capacity is set.
        "headcount": m.headcount,
        "reps_needed": _maybe_round(m.reps_needed),
        "headcount_gap": headcount_gap_text(m),
    }


def _maybe_round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
