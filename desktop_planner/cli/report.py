"""`desktop-planner report`: the window's change report (a section per territory that changes, with its map, its
figures before and after and the accounts it gains and loses) as an HTML file or an A4 PDF, without a window.

The report is drawn by the window's own code (ui/review/change_report.py), so Qt is imported only inside the
handler, after the offscreen platform is chosen where there is no display.
"""

from __future__ import annotations

from pathlib import Path

from desktop_planner.cli.common import add_team_argument, EXIT_OK, BadInput, open_project, pick_scenario

FORMATS = (".html", ".htm", ".pdf")


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write the change report of a scenario against its baseline, for the reps: "
                       "HTML (one file with the maps) or PDF (a page per territory)")
    p.add_argument("project", type=Path)
    add_team_argument(p)
    p.add_argument("--out", type=Path, required=True, metavar="REPORT.pdf|REPORT.html")
    p.add_argument("--scenario", help="the scenario reported (default: the active one)")
    p.add_argument("--baseline", help="the scenario compared against (default: the one the scenario was made "
                   "from)")


def run_report(args) -> int:
    if args.out.suffix.lower() not in FORMATS:
        raise BadInput(f"{args.out}: unsupported report type {args.out.suffix or '(none)'!r}; use .pdf or .html")
    project, plan = open_project(args.project, read_only=True, team=args.team)  # a report changes no byte of the project
    with project:
        scenario = pick_scenario(plan, args.scenario)
        baseline = pick_scenario(plan, args.baseline) if args.baseline else _made_from(plan, scenario)
        from desktop_planner.store.team_rows import team_handovers
        handovers = team_handovers(project.conn, plan, baseline)
    if baseline.id == scenario.id:
        raise BadInput(f"a change report compares two scenarios: --baseline names {scenario.name!r}, the scenario "
                       "reported")

    from desktop_planner.cli.render import use_offscreen_without_display
    use_offscreen_without_display()
    from desktop_planner.core.compare import disruption
    from desktop_planner.core.measures import MeasureEngine
    from desktop_planner.io.export import ExportError
    from desktop_planner.ui.app import ensure_app
    from desktop_planner.ui.review.change_report import render_maps, territory_changes, write_report

    ensure_app()
    changes = territory_changes(plan, baseline, scenario, MeasureEngine(plan))
    try:
        write_report(args.out, plan, baseline, scenario, changes, render_maps(plan, scenario, changes), handovers)
    except ExportError as exc:
        raise BadInput(str(exc)) from None
    moved = disruption(plan, baseline, scenario).accounts_moved  # the report's own headline figure
    affected = sum(1 for c in changes if c.changed)
    print(f"{args.out}: change report {baseline.name!r} → {scenario.name!r}: {moved:,} accounts change "
          f"territory, {affected} of {len(changes)} territories affected")
    return EXIT_OK


def _made_from(plan, scenario):
    """The scenario this one was copied from: the baseline a realignment is read against."""
    source = plan.scenarios.get(scenario.based_on) if scenario.based_on is not None else None
    if source is None:
        others = ", ".join(repr(s.name) for s in plan.scenarios.values() if s.id != scenario.id)
        listed = f"the others: {others}" if others else "it is the project's only scenario"
        raise BadInput(f"scenario {scenario.name!r} was not made from another scenario of this project: name the "
                       f"one to compare against with --baseline ({listed})")
    return source
