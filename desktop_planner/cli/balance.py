"""`desktop-planner balance`: auto-balance a scenario into a new one, or chart the balance/travel trade-off.

Heavy modules (numpy, scipy, the optimizer) are imported inside the handler, so other commands never pay
for them.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from desktop_planner.cli.common import add_team_argument


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 0.05, got {text!r}") from None
    if not (0 <= value <= 1):
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1 (0.05 = 5 %), got {value}")
    return value


def _shares(text: str) -> list[float]:
    values = [_share(part.strip()) for part in text.split(",") if part.strip()]
    if not values or any(v <= 0 or v >= 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected tolerances between 0 and 1 such as 0.05,0.1,0.2, got {text!r}")
    return values


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (0 < value <= 86400):
        raise argparse.ArgumentTypeError(f"the time limit must be between 0 and 86400 seconds, got {value}")
    return value


def add_parser(sub, positive_int) -> None:
    bal = sub.add_parser("balance", help="balance a scenario's territories automatically and write the result as "
                         "a new scenario (--into), or chart balance against travel (--tradeoff)")
    bal.add_argument("project", type=Path)
    add_team_argument(bal)
    bal.add_argument("--into", metavar="NEW_SCENARIO", help="name of the scenario to create")
    bal.add_argument("--tradeoff", action="store_true",
                     help="balance at several tolerances and print largest deviation against travel for each; "
                     "writes nothing to the project")
    bal.add_argument("--tolerances", type=_shares, metavar="T1,T2,...",
                     help="tolerances of --tradeoff (default 0.05,0.1,0.15,0.2,0.3,0.5)")
    bal.add_argument("--out", type=Path, metavar="CURVE.csv", help="with --tradeoff: also write the curve as CSV")
    bal.add_argument("--scenario", help="scenario to start from (default: the active one)")
    bal.add_argument("--territories", type=positive_int, metavar="K", help="number of territories (headcount "
                     "what-if): the least loaded are removed, new ones get no rep home")
    bal.add_argument("--measure", action="append", metavar="NAME[=TOL]",
                     help="measure to balance: workload (default), potential, accounts, service; repeat for "
                     "several, each optionally with its own tolerance, e.g. --measure potential=0.1")
    bal.add_argument("--tolerance", type=_share, help="tolerance of the measures given without one (default: the "
                     "project's setting, ±10 %% unless changed)")
    bal.add_argument("--max-disruption", type=_share, metavar="SHARE", help="largest share of accounts that may "
                     "change territory")
    bal.add_argument("--max-disruption-potential", type=_share, metavar="SHARE",
                     help="largest share of potential that may change territory")
    bal.add_argument("--objective", choices=("travel", "max_distance"), default="travel",
                     help="least visit-weighted distance to home (default) or least longest distance to home")
    bal.add_argument("--homes", choices=("fixed", "optimize"), default="fixed",
                     help="keep the reps' homes (default) or let the optimizer choose them")
    bal.add_argument("--contiguous", action=argparse.BooleanOptionalAction, default=None,
                     help="every territory in one piece (default with the travel objective; --no-contiguous "
                     "allows pieces)")
    bal.add_argument("--within", choices=("state", "region"), help="with a unit layer: keep every territory "
                     "inside one state (the state of its rep's home), or inside its sales region (the units its "
                     "region's territories hold now; every territory needs a region)")
    bal.add_argument("--by-account", action="store_true", help="with a unit layer: balance single accounts "
                     "instead of whole units")
    bal.add_argument("--time-limit", type=_seconds, default=60.0, metavar="SECONDS")
    bal.add_argument("--seed", type=int, default=0)
    bal.add_argument("--json", action="store_true", help="print the report (or the curve) as one JSON object")


def _measures(args, default_tolerance: float, bad_input) -> dict[str, float]:
    from desktop_planner.optimize.plan_model import canonical_measure
    measures: dict[str, float] = {}
    for item in args.measure or ["workload"]:
        name, _, tol = item.partition("=")
        try:
            tolerance = _share(tol) if tol else default_tolerance
            measures[canonical_measure(name.strip())] = tolerance
        except (ValueError, argparse.ArgumentTypeError) as exc:
            raise bad_input(f"--measure {item}: {exc}") from None
        if not 0 < tolerance < 1:
            raise bad_input(f"--measure {item}: the tolerance must be more than 0 and less than 1")
    return measures


def run_balance(args, bad_input, open_project, pick_scenario) -> int:
    from desktop_planner.optimize.balance import BalanceSettings, balance
    from desktop_planner.optimize.territories import with_territory_count

    if args.tradeoff == bool(args.into):
        raise bad_input("balance needs either --into NEW_SCENARIO (write a balanced scenario) or --tradeoff "
                        "(chart balance against travel)")
    if args.into is not None and not args.into.strip():
        raise bad_input("--into needs a scenario name")
    if args.tolerance is not None and args.tolerance <= 0:
        raise bad_input("--tolerance must be more than 0")
    project, plan = open_project(args.project, read_only=bool(args.tradeoff), team=args.team)  # --into writes: the writer lock
    with project:
        tolerance = args.tolerance if args.tolerance is not None else plan.settings.tolerance
        measures = _measures(args, tolerance, bad_input)
        source = pick_scenario(plan, args.scenario)
        if args.into and any(s.name == args.into.strip() for s in plan.scenarios.values()):
            raise bad_input(f"{args.project}: a scenario named {args.into!r} already exists (choose another "
                            "--into name)")
        work = source
        if args.territories is not None and args.territories != len(source.territories):
            try:
                work = with_territory_count(plan, source, args.territories)
            except ValueError as exc:
                raise bad_input(str(exc)) from None
        whose = f"{args.project}" + (f", team {plan.team.name!r}" if plan.team is not None else "")
        if len(plan.accounts) == 0:
            hint = " (its rule covers none: see `desktop-planner teams PROJECT`)" if plan.team is not None else ""
            raise bad_input(f"{whose}: no accounts to balance{hint}")
        if not work.territories:
            raise bad_input(f"{whose}: scenario {source.name!r} has no territories; give their number with "
                            "--territories N")
        settings = BalanceSettings(measures=measures, objective=args.objective, homes=args.homes,
                                   max_disruption_accounts=args.max_disruption,
                                   max_disruption_potential=args.max_disruption_potential,
                                   require_contiguous=args.contiguous, time_limit_s=args.time_limit, seed=args.seed,
                                   within=args.within, use_units=not args.by_account)
        if args.within is not None and (plan.units is None or args.by_account):
            raise bad_input(f"--within {args.within} needs whole units: set a unit layer first (`desktop-planner "
                            "units PROJECT --layer us-counties`) and leave out --by-account")
        edges = project.contiguity_checker(plan).edges
        try:
            if args.tradeoff:
                return _tradeoff(args, plan, work, settings, edges, bad_input)
            result = balance(plan, work, settings, baseline=source, graph_edges=edges)
        except ValueError as exc:
            raise bad_input(str(exc)) from None
        created = _write_scenario(args, project, plan, source, work, result, measures, bad_input)
    report = result.report
    if args.json:
        print(json.dumps({"scenario": created.name, "based_on": source.name, **report.to_dict()},
                         ensure_ascii=False))
    else:
        print(f"{args.project}: scenario {created.name!r} written ({len(created.territories)} territories, "
              f"balanced from {source.name!r})")
        print(report.format_text())
    return 0


def _write_scenario(args, project, plan, source, work, result, measures, bad_input):
    """The result as a new scenario, added through the History (one transaction, in the audit trail)."""
    from desktop_planner.core.commands import CommandError
    from desktop_planner.core.history import History
    from desktop_planner.core.model import Scenario
    from desktop_planner.core.scenario_commands import AddScenario, copy_scenario
    from desktop_planner.store.opening import ProjectError

    balanced = Scenario(source.id, source.name, result.territories, result.assignment, work.locked)
    created = copy_scenario(plan, balanced, args.into.strip(), notes=f"Auto-balance of {source.name!r}: "
                            + ", ".join(f"{m} ±{t:.0%}" for m, t in measures.items()))
    command = AddScenario(created)
    if result.unit_territory is not None:
        from desktop_planner.optimize.units_balance import new_scenario_command
        command = new_scenario_command(plan, source, balanced, created, result)
    try:
        History(plan, project).do(command)
    except (CommandError, ProjectError) as exc:
        raise bad_input(str(exc)) from None
    return created


def _tradeoff(args, plan, work, settings, edges, bad_input) -> int:
    from desktop_planner.optimize.tradeoff import format_table, tradeoff_curve

    points = tradeoff_curve(plan, work, settings, args.tolerances, graph_edges=edges)
    rows = [p.to_row() for p in points]
    if args.out is not None:
        try:
            with open(args.out, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["tolerance"])
                writer.writeheader()
                writer.writerows(rows)
        except OSError as exc:
            raise bad_input(f"{args.out}: cannot write the curve ({exc.strerror or exc})") from None
    if args.json:
        print(json.dumps({"scenario": work.name, "measure": next(iter(settings.measures)), "points": rows}))
    else:
        print(f"{args.project}: balance against travel for scenario {work.name!r} "
              f"({settings.time_limit_s:.0f} s shared by {len(points)} tolerances)")
        print(format_table(points))
        if args.out is not None:
            print(f"{args.out}: {len(rows)} rows")
    return 0
