"""`desktop-planner quotas`: show the team's quotas per rep and period, suggest a period's split of a total by
potential (core.quotas.suggest_quotas), or set single reps' quotas. A suggestion and the edits given with it are one
undoable step; showing opens the project read-only."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from desktop_planner.cli.common import EXIT_OK, BadInput, add_team_argument, open_project, pick_scenario

def amount(text: str) -> float:
    """A money amount as people type it: '1200000', '1,200,000', '1.2M', '250k' (core.rules.read_number)."""
    from desktop_planner.core.rules import read_number
    try:
        value = read_number(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an amount such as 1200000, 1,200,000 or 1.2M, got {text!r}") \
            from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected an amount of at least 0, got {text!r}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.5, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a number such as 0.5, got {text!r}")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser("quotas", help="show quotas per rep and period, suggest a period's split of a total by "
                       "potential (--suggest), or set reps' quotas (--set)")
    p.add_argument("project", type=Path)
    p.add_argument("--period", metavar="P", help="the period (2026-Q3, 2026-07); needed with --suggest and --set; "
                   "when showing, only this period")
    p.add_argument("--suggest", action="store_true", help="split --total among the territories' reps in proportion "
                   "to their potential, each share between --floor and --cap times the equal share; replaces the "
                   "period's quotas")
    p.add_argument("--total", type=amount, metavar="X", help="with --suggest: the period's total quota (1200000, "
                   "1.2M, 300k)")
    p.add_argument("--floor", type=fraction, default=0.5, help="with --suggest: the least share, as a fraction of the "
                   "equal share (default 0.5)")
    p.add_argument("--cap", type=fraction, default=2.0, help="with --suggest: the largest share, as a multiple of the "
                   "equal share (default 2.0)")
    p.add_argument("--set", action="append", default=[], metavar="REP=AMOUNT", help="set a rep's quota for --period "
                   "(rep by id, e-mail, name or territory name); repeatable")
    p.add_argument("--scenario", help="the scenario whose territories share the total and are listed (default: the "
                   "active one)")
    add_team_argument(p)
    p.add_argument("--json", action="store_true", help="print the quotas as JSON")


def _edits(items: list[str]) -> dict[str, float]:
    edits = {}
    for item in items:
        rep, sep, value = item.rpartition("=")
        if not sep or not rep.strip():
            raise BadInput(f"--set takes REP=AMOUNT, got {item!r}")
        try:
            edits[rep.strip()] = amount(value)
        except argparse.ArgumentTypeError as exc:
            raise BadInput(f"--set {item}: {exc}") from None
    return edits


def _rows(args, plan, scenario):
    """The quota rows to put and the period they replace (None when only setting some reps)."""
    from desktop_planner.core.quotas import edited_quotas, suggest_quotas
    import pandas as pd
    frames, replace = [], None
    if args.suggest:
        frames.append(suggest_quotas(plan, args.period, args.total, floor=args.floor, cap=args.cap,
                                     scenario=scenario))
        replace = args.period
    if args.set:
        edits = edited_quotas(plan, args.period, _edits(args.set), scenario=scenario)
        if frames:  # an edit given with the suggestion overrides that rep's suggested share
            frames[0] = frames[0][~frames[0]["rep"].isin(set(edits["rep"]))]
        frames.append(edits)
    return pd.concat(frames, ignore_index=True), replace


def run_quotas(args) -> int:
    from desktop_planner.core.commands import CommandError
    from desktop_planner.core.history import History
    from desktop_planner.core.periods import PeriodError, check_period, parse_period
    from desktop_planner.core.quotas import QuotaError, put_quotas
    from desktop_planner.store.opening import ProjectError

    changing = args.suggest or bool(args.set)
    if args.total is not None and not args.suggest:
        raise BadInput("--total goes with --suggest")
    if args.suggest and args.total is None:
        raise BadInput("--suggest needs --total (the period's total quota)")
    if changing and not args.period:
        raise BadInput("--suggest and --set need --period (e.g. --period 2026-Q3)")
    if args.period:
        try:
            args.period = check_period(parse_period(args.period))
        except PeriodError as exc:
            raise BadInput(f"--period: {exc}") from None
    if args.set:
        _edits(args.set)  # refused before the project is opened
    if changing:
        project, plan = open_project(args.project, team=args.team)
        with project:
            scenario = pick_scenario(plan, args.scenario)
            try:
                rows, replace = _rows(args, plan, scenario)
                command = put_quotas(plan, rows, replace_period=replace)
                History(plan, project).do(command)
            except (QuotaError, CommandError, ProjectError) as exc:
                raise BadInput(str(exc)) from None
        if not args.json:
            print(f"{args.project}: {command.label}: {len(rows):,} quotas, total {rows['quota'].sum():,.2f}"
                  + (f" ({len(command.delete)} others of the period removed)" if command.delete else ""))
    project, plan = open_project(args.project, read_only=True, team=args.team)
    with project:
        _show(args, plan, pick_scenario(plan, args.scenario))
    return EXIT_OK


def _show(args, plan, scenario) -> None:
    from desktop_planner.core.periods import period_sort_key
    from desktop_planner.core.quotas import quotas_of, rep_label, rep_lookup, territory_potential
    table = quotas_of(plan, args.period)
    lookup = rep_lookup(scenario.territories.values())
    territories = scenario.territories
    potential = territory_potential(plan, scenario)
    share = dict(zip(territories, potential / (potential.sum() or 1.0)))
    rows = []
    for r in table.to_dict("records"):
        tid = lookup.get(str(r["rep"]).strip().casefold())
        t = territories.get(tid) if tid is not None else None
        rows.append({"period": r["period"], "rep": r["rep"], "rep_name": rep_label(t) if t else None,
                     "territory": t.name if t else None,
                     "potential_share": float(share[tid]) if t else None,
                     "quota": None if r["quota"] is None or r["quota"] != r["quota"] else float(r["quota"]),
                     "origin": r["origin"]})
    order = {tid: k for k, tid in enumerate(territories)}
    rows.sort(key=lambda r: (period_sort_key(r["period"]), order.get(lookup.get(str(r["rep"]).casefold()), 1 << 30),
                             str(r["rep"])))
    totals: dict[str, float] = {}
    for r in rows:
        totals[r["period"]] = totals.get(r["period"], 0.0) + (r["quota"] or 0.0)
    team = plan.team.name if plan.team is not None else None
    if args.json:
        print(json.dumps({"team": team, "scenario": scenario.name, "quotas": rows, "totals": totals},
                         ensure_ascii=False))
        return
    if not rows:
        where = f" for {args.period}" if args.period else ""
        print(f"{args.project}: no quotas{where} (import them with --quotas FILE, or desktop-planner quotas "
              f"{args.project} --period P --suggest --total X)")
        return
    for period in sorted(totals, key=period_sort_key):
        print(f"{period}: total {totals[period]:,.2f}" + (f" (team {team})" if team else ""))
        for r in (r for r in rows if r["period"] == period):
            where = (f"{r['territory']}, {r['potential_share']:.1%} of potential" if r["territory"]
                     else f"no territory of {scenario.name!r}")
            name = r["rep_name"] or r["rep"]
            print(f"  {name:<28} {r['quota']:>16,.2f}  {r['origin']:<9} ({where})" if r["quota"] is not None else
                  f"  {name:<28} {'–':>16}  {r['origin']:<9} ({where})")
