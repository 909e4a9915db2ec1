"""`desktop-planner summary`: every territory's measures and the plan's balance, or the territories rolled up
by region or by rep, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_planner.cli.common import add_team_argument, EXIT_OK, open_project, pick_scenario


def add_parser(sub) -> None:
    summary = sub.add_parser("summary", help="print every territory's measures and the plan's balance")
    summary.add_argument("project", type=Path)
    add_team_argument(summary)
    summary.add_argument("--scenario", help="scenario name (default: the active one)")
    summary.add_argument("--by", choices=("territory", "region", "rep"), default="territory",
                         help="one line per territory (default), or per region or rep with its totals and the "
                         "largest deviation of its territories")
    summary.add_argument("--json", action="store_true", help="one JSON object, for scripts")


def run_summary(args) -> int:
    from desktop_planner.core.summary import rollup_summary, scenario_summary
    project, plan = open_project(args.project, read_only=True, team=args.team)
    with project:
        scenario = pick_scenario(plan, args.scenario)
        if args.by == "territory":
            summary = scenario_summary(plan, scenario, contiguity=project.contiguity_checker(plan))
        else:
            summary = rollup_summary(plan, scenario, by=args.by)
    if plan.team is not None:  # which team's territories these are: the key is absent without teams
        summary["team"] = plan.team.name
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    elif args.by == "territory":
        print(format_summary_table(summary))
    else:
        print(format_rollup_table(summary))
    return EXIT_OK


def format_rollup_table(summary: dict) -> str:
    """One line per region (or rep): its size, totals and workload deviations."""
    by, tolerance = summary["by"], summary["plan"]["tolerance"]
    head = (f"{by:<24} {'terrs':>5} {'accts':>7} {'potential':>14} {'workload h':>11} {'dev wl':>7} "
            f"{'largest':>8}")
    lines = [f"{summary['project']} — scenario {summary['scenario']}{_team(summary)}, by {by}", head,
             "-" * len(head)]
    for g in summary["groups"]:
        dev, largest = g["deviation"]["workload_hours"], g["largest_territory_deviation"]["workload_hours"]
        flag = "" if abs(largest) <= tolerance + 1e-12 else " *"
        lines.append(f"{g[by][:24]:<24} {len(g['territories']):>5} {g['accounts']:>7,} {g['potential']:>14,.0f} "
                     f"{g['workload_hours']:>11,.0f} {dev:>+7.1%} {largest:>+8.1%}{flag}")
    lines.append("-" * len(head))
    lines.append(f"dev wl: the {by}'s workload against as many average territories as it holds; largest: its "
                 f"territory furthest from target (* = beyond ±{tolerance:.0%})")
    return "\n".join(lines)


def format_summary_table(summary: dict) -> str:
    """A readable table for a terminal: one line per territory, then the plan's balance figures."""
    head = (f"{'territory':<24} {'rep':<20} {'accts':>6} {'potential':>13} {'service h':>10} {'travel h':>9} "
            f"{'workload h':>10} {'util':>5} {'dev wl':>7} {'contig':>6}")
    lines = [f"{summary['project']} — scenario {summary['scenario']}{_team(summary)}", head, "-" * len(head)]
    for t in summary["territories"]:
        dev = t["deviation"]["workload_hours"]
        util = t.get("utilisation")  # workload / capacity; blank without a capacity
        flag = "" if t["in_band"]["workload_hours"] else " *"
        lines.append(
            f"{t['name'][:24]:<24} {(t['rep_name'] or '')[:20]:<20} {t['accounts']:>6,} {t['potential']:>13,.0f} "
            f"{t['service_hours']:>10,.0f} {t['travel_hours']:>9,.0f} {t['workload_hours']:>10,.0f} "
            f"{'' if util is None else f'{util:.0%}':>5} "
            f"{'' if dev is None else f'{dev:+.1%}':>7} {'yes' if t['contiguous'] else 'no':>6}{flag}")
    p = summary["plan"]
    lines.append("-" * len(head))
    lines.append(f"accounts {p['accounts']:,}, unassigned {p['unassigned']:,}, territories {p['territories']}, "
                 f"tolerance ±{p['tolerance']:.0%} (* = out of band; util = workload / capacity)")
    for key in ("workload_hours", "potential", "accounts"):
        lines.append(f"{key:<15} largest deviation {p['max_abs_deviation'][key]:.1%}, CV {p['cv'][key]:.3f}")
    lines.append(f"compactness     {p['compactness_km']:.1f} km visit-weighted mean distance to home, "
                 f"95 % of visits within {p['distance_p95_km']:.1f} km (p95)")
    lines.append(f"away            {p['nights']:,.0f} nights a year, {p['flights']:,.0f} flown visits a year")
    if p.get("headcount_gap"):
        lines.append(f"headcount       {p['headcount_gap']}")
    elif p.get("reps_needed") is not None:
        lines.append(f"headcount       work for {p['reps_needed']:.1f} reps at capacity; you have {p['headcount']}")
    return "\n".join(lines)


def _team(summary: dict) -> str:
    return f" — team {summary['team']}" if summary.get("team") else ""
