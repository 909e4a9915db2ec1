"""`desktop-planner holdout`: keep a random, stratified holdout of the accounts a realignment would move where they
were, with its seed, strata and go-live stored, so that `kpis --cohorts` can later tell what the move did.

One command through the History (one transaction, in the audit trail, undoable in the app). Bad input ends with
exit status 2 and changes nothing.
"""

from __future__ import annotations

import argparse
import json
import secrets
from pathlib import Path

from desktop_planner.cli.common import (EXIT_OK, BadInput, add_team_argument, non_negative_int, open_project,
                                        pick_scenario, positive_int)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 0.1, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a share more than 0 and less than 1 (0.1 = 10 %), got {value}")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser("holdout", help="keep a random, stratified holdout of the accounts a realignment moves where "
                       "they were (seed stored), to compare moved and held-out accounts after go-live")
    p.add_argument("project", type=Path)
    add_team_argument(p)
    p.add_argument("--scenario", required=True, metavar="NEW", help="the realigned scenario")
    p.add_argument("--baseline", metavar="OLD", help="the scenario accounts move from (default: the one NEW was "
                   "based on)")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--size", type=positive_int, metavar="N", help="number of movers to hold out")
    size.add_argument("--share", type=_share, metavar="SHARE", help="share of the movers to hold out (0.1 = 10 %%)")
    p.add_argument("--strata", default="from_territory", metavar="S1,S2",
                   help="stratify by any of from_territory (default), to_territory, segment, tier, potential_band "
                   "(quintiles of potential), comma separated")
    p.add_argument("--seed", type=non_negative_int, help="seed of the draw (default: a random one, printed and stored)")
    p.add_argument("--go-live", required=True, metavar="PERIOD", help="first period under the new alignment, "
                   "e.g. 2026-Q3 or 2026-07")
    p.add_argument("--dry-run", action="store_true", help="show the draw without keeping it")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")


def _baseline(plan, scenario, name: str | None):
    if name is not None:
        return pick_scenario(plan, name)
    if scenario.based_on is not None and scenario.based_on in plan.scenarios:
        return plan.scenarios[scenario.based_on]
    raise BadInput(f"scenario {scenario.name!r} was not based on another scenario of this project: name the "
                   "scenario accounts move from with --baseline OLD")


def run_holdout(args) -> int:
    from desktop_planner.core.commands import CommandError
    from desktop_planner.core.history import History
    from desktop_planner.core.holdout_commands import KeepHoldout, check_period
    from desktop_planner.core.holdouts import choose_holdout, parse_strata
    from desktop_planner.store.opening import ProjectError

    try:
        go_live = check_period(args.go_live)
        strata = parse_strata(args.strata)
    except CommandError as exc:
        raise BadInput(str(exc)) from None
    seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)
    project, plan = open_project(args.project, read_only=args.dry_run, team=args.team)
    with project:
        scenario = pick_scenario(plan, args.scenario)
        baseline = _baseline(plan, scenario, args.baseline)
        try:
            choice = choose_holdout(plan, baseline, scenario, size=args.size, share=args.share, strata=strata,
                                    seed=seed)
            command = KeepHoldout(choice, go_live)
            if not args.dry_run:
                History(plan, project).do(command)
        except (CommandError, ProjectError) as exc:
            raise BadInput(f"{args.project}: {exc}") from None
    result = {"holdout_id": command.holdout_id, "kept": not args.dry_run, "scenario": scenario.name,
              "baseline": baseline.name, "go_live": go_live, "seed": choice.seed, "strata": list(choice.strata),
              "movers": int(len(choice.movers)), "eligible": int(choice.eligible.sum()), "size": choice.size,
              "by_stratum": choice.summary_rows()}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return EXIT_OK
    done = f"holdout {command.holdout_id} kept" if not args.dry_run else "holdout drawn (dry run, nothing kept)"
    print(f"{args.project}: {done} in scenario {scenario.name!r} against {baseline.name!r}: {choice.size:,} of "
          f"{len(choice.movers):,} movers held out, by {', '.join(choice.strata)}, seed {choice.seed}, "
          f"go-live {go_live}")
    print(format_strata(result["by_stratum"]))
    if result["eligible"] < result["movers"]:
        print(f"{result['movers'] - result['eligible']:,} movers cannot be held out: their old territory is not in "
              f"{scenario.name!r}")
    print(f"The seed ({choice.seed}) is stored with the holdout: the same scenarios, strata, size and seed give the "
          "same accounts.")
    return EXIT_OK


def format_strata(rows: list[dict]) -> str:
    width = max([len("stratum")] + [len(r["stratum"]) for r in rows])
    lines = [f"  {'stratum':<{width}} {'movers':>8} {'held out':>9}"]
    lines += [f"  {r['stratum']:<{width}} {r['movers']:>8,} {r['held_out']:>9,}" for r in rows]
    lines.append(f"  {'total':<{width}} {sum(r['movers'] for r in rows):>8,} "
                 f"{sum(r['held_out'] for r in rows):>9,}")
    return "\n".join(lines)
