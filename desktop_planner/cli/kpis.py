"""`desktop-planner kpis`: how each territory and the whole plan do after go-live, period by period (core.kpis), as a
table per period or, with --json, one object for scripts; with --cohorts, the holdout's cohorts compared instead
(cli/cohorts.py). Reads only: the project is opened read-only and no byte changes."""

from __future__ import annotations

import json
import math
from pathlib import Path

from desktop_planner.cli.common import EXIT_OK, BadInput, add_team_argument, open_project, pick_scenario

# Columns of the text table: (heading, column, format); formats as core.kpis.KPI_FORMATS names them.
TABLE = (("Accounts", "accounts", "count"), ("Bookings", "bookings", "money"), ("Quota", "quota", "money"),
         ("Attain.", "quota_attainment", "percent"), ("Growth", "growth", "percent"),
         ("Penetr.", "penetration", "percent"), ("Cov. acc", "coverage_accounts", "percent"),
         ("Cov. pot", "coverage_potential", "percent"), ("Overlap", "overlap_rate", "percent"),
         ("Top unvisited", "unattended_high_score", "count"))
NAME_WIDTH = 28


def add_parser(sub) -> None:
    p = sub.add_parser("kpis", help="KPIs per territory and period after go-live: quota attainment, revenue, growth, "
                       "penetration, visit coverage, overlap, unvisited top accounts (from imported actuals and "
                       "quotas)")
    p.add_argument("project", type=Path)
    p.add_argument("--period", metavar="P", help="one period (2026-Q3, 2026-07), a comma-separated list, or a range "
                   "FROM..TO (default: every period with actuals)")
    add_team_argument(p)
    p.add_argument("--scenario", help="the scenario whose territories the accounts are counted for when their owner "
                   "at the time is not known (default: the active one)")
    p.add_argument("--json", action="store_true", help="print one JSON object: the figures per territory and period "
                   "and the whole plan's per period")
    p.add_argument("--cohorts", action="store_true", help="compare the moved, held-out and unchanged accounts of the "
                   "scenario's holdout before and after go-live instead")
    p.add_argument("--metric", choices=("bookings", "visits"), help="with --cohorts: only this figure")
    p.add_argument("--seed", type=int, help="with --cohorts: the bootstrap's seed (default 0)")


def _periods(text: str | None, known: list[str]) -> list[str] | None:
    """--period as a list of periods (None: every period with actuals)."""
    from desktop_planner.core.periods import PeriodError, select_periods
    try:
        return select_periods(text, known)
    except PeriodError as exc:
        raise BadInput(f"--period {exc}") from None


def _plain(value):
    """A figure as JSON takes it: NaN as null, numpy numbers as Python's."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def format_figure(kind: str, value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "money":
        return f"{value:,.0f}"
    return f"{value:,.0f}"


def run_kpis(args) -> int:
    from desktop_planner.core.kpis import KPI_FORMATS, KPI_LABELS, KPI_NAMES, actual_periods, compute_kpis
    from desktop_planner.core.periods import PeriodError
    project, plan = open_project(args.project, read_only=True, team=args.team)
    with project:
        if args.cohorts:
            try:
                from desktop_planner.cli.cohorts import run_cohorts
            except ImportError:
                raise BadInput("cohort comparison is not available in this installation") from None
            return run_cohorts(args, project, plan)
        scenario = pick_scenario(plan, args.scenario)
        try:
            result = compute_kpis(plan, _periods(args.period, actual_periods(plan)), scenario=scenario)
        except PeriodError as exc:
            raise BadInput(f"--period: {exc}") from None
    team = plan.team.name if plan.team is not None else None
    if args.json:
        print(json.dumps({
            "project": str(args.project), "team": team, "scenario": scenario.name, "periods": result.periods,
            "kpis": {k: {"label": KPI_LABELS[k], "format": KPI_FORMATS[k]} for k in KPI_NAMES},
            "territories": [{k: _plain(v) for k, v in row.items()}
                            for row in result.by_territory.to_dict("records")],
            "plan": [{k: _plain(v) for k, v in row.items()} for row in result.plan.to_dict("records")],
        }, ensure_ascii=False))
        return EXIT_OK
    if not result.periods:
        print(f"{args.project}: no actuals yet (import them with desktop-planner import {args.project} --actuals "
              f"FILE)")
        return EXIT_OK
    print(f"{args.project}: KPIs of {scenario.name!r}" + (f", team {team}" if team else "")
          + f", {len(result.periods)} period{'s' if len(result.periods) != 1 else ''}")
    _print_tables(result)
    return EXIT_OK


def _print_tables(result) -> None:
    widths = [max(len(h), 11) for h, _, _ in TABLE]
    head = f"{'Territory':<{NAME_WIDTH}} {'Rep':<20} " + " ".join(f"{h:>{w}}" for (h, _, _), w in zip(TABLE, widths))
    for period in result.periods:
        rows = result.by_territory[result.by_territory["period"] == period]
        whole = result.plan[result.plan["period"] == period].iloc[0]
        base = whole["growth_base"]
        print()
        print(f"{period}" + (f" (growth against {base})" if isinstance(base, str) and base else ""))
        print(head)
        for _, row in rows.iterrows():
            name = str(row["territory"])[:NAME_WIDTH]
            rep = str(row["rep"] or "")[:20]
            print(f"{name:<{NAME_WIDTH}} {rep:<20} " + " ".join(
                f"{format_figure(kind, row[col]):>{w}}" for (_, col, kind), w in zip(TABLE, widths)))
        print(f"{'Whole plan':<{NAME_WIDTH}} {'':<20} " + " ".join(
            f"{format_figure(kind, whole[col]):>{w}}" for (_, col, kind), w in zip(TABLE, widths)))
