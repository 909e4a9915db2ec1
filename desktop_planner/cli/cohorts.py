"""`desktop-planner kpis --cohorts`: moved, held-out and unchanged accounts of a holdout compared over the same
periods, each difference with a bootstrap 95 % interval and what it means in plain words (core.cohorts).

cli/kpis.py opens the project and hands over; this module only reads."""

from __future__ import annotations

import json

from desktop_planner.cli.common import EXIT_OK, BadInput, pick_scenario


def _periods(plan, text: str | None):
    """--period: one period, a comma-separated list, or a range FROM..TO; None: every period."""
    from desktop_planner.core.periods import PeriodError, select_periods
    known = sorted(set(plan.records.table("actuals")["period"].astype(str)))
    try:
        return select_periods(text, known)
    except PeriodError as exc:
        raise BadInput(f"--period {exc}") from None


def run_cohorts(args, project, plan) -> int:
    """Print the cohort comparison of the holdout of args.scenario (default: the team's latest holdout), for
    bookings and visits (or args.metric), as text or, with args.json, one JSON object."""
    from desktop_planner.core.cohorts import METRICS, CohortError, compare_cohorts
    scenario_id = pick_scenario(plan, args.scenario).id if getattr(args, "scenario", None) else None
    periods = _periods(plan, getattr(args, "period", None))
    wanted = getattr(args, "metric", None)
    metrics = [wanted] if wanted in METRICS else list(METRICS)
    seed = getattr(args, "seed", None) or 0
    results, problems = {}, {}
    for metric in metrics:
        try:
            results[metric] = compare_cohorts(plan, metric=metric, scenario_id=scenario_id, periods=periods,
                                              seed=seed, n_boot=getattr(args, "n_boot", None) or 2000)
        except CohortError as exc:
            problems[metric] = str(exc)
    if not results:
        raise BadInput(f"{project.path}: {next(iter(problems.values()))}")
    first = next(iter(results.values()))
    scenario = plan.scenarios.get(first.scenario_id)
    if getattr(args, "json", False):
        print(json.dumps({"holdout_id": first.holdout_id, "scenario": scenario.name if scenario else None,
                          "go_live": first.go_live, "metrics": {m: r.to_dict() for m, r in results.items()},
                          "problems": problems}, ensure_ascii=False))
        return EXIT_OK
    name = repr(scenario.name) if scenario else f"{first.scenario_id} (no longer in the project)"
    print(f"{project.path}: cohorts of holdout {first.holdout_id} (scenario {name}, go-live {first.go_live})")
    for metric, result in results.items():
        print()
        print(result.format_text())
    for metric, problem in problems.items():
        print(f"\n{metric.capitalize()}: not compared ({problem})")
    return EXIT_OK
