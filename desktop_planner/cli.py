"""Command line: the GUI launch and the headless commands of DESIGN.md (also the automation contract).

Exit status 0 on success, 2 on bad arguments or bad input, with the reason on standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from desktop_planner import cli_balance, cli_import, cli_render, cli_units

EXIT_OK = 0
EXIT_BAD_INPUT = 2
COMMANDS = ("demo", "import", "export", "summary", "balance", "render", "units")
LATER: dict[str, str] = {}  # commands announced but not available yet


MAX_MESSAGE_CHARS = 2000  # a reason on standard error stays readable, whatever the input held


def clipped(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[:MAX_MESSAGE_CHARS] + f"… ({len(message) - MAX_MESSAGE_CHARS:,} more characters)"


class UsageError(Exception):
    pass


class BadInput(Exception):
    """Input that cannot be used (a bad file, an unknown scenario): reported, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every bad argument ends with exit status 2 and a reason."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1600x1000, got {text!r}") from None
    if not (200 <= w <= 10000 and 200 <= h <= 10000):
        raise argparse.ArgumentTypeError(f"size {text} is out of range (200 to 10000 pixels a side)")
    return w, h


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def gui_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="desktop-planner", description="Sales territory alignment, offline. Without a command: "
                "start the app. Commands: " + ", ".join(COMMANDS) + " (see `desktop-planner COMMAND --help`).")
    p.add_argument("project", nargs="?", type=Path, help="project file (default: the last one, else the demo)")
    p.add_argument("--screenshot", type=Path, metavar="OUT.png", help="render the main window to a PNG and exit")
    p.add_argument("--size", type=_size, default=None, metavar="WxH",
                   help="window size for --screenshot (default 1600x1000)")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    return p


def command_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="desktop-planner")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="create a demo project from real US postcode locations")
    demo.add_argument("project", type=Path)
    demo.add_argument("--accounts", type=_positive_int, default=5000)
    demo.add_argument("--territories", type=_positive_int, default=12)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--region", default="northeast", help="northeast, midwest, south, west or us")
    demo.add_argument("--force", action="store_true", help="overwrite an existing file")

    summary = sub.add_parser("summary", help="print every territory's measures and the plan's balance")
    summary.add_argument("project", type=Path)
    summary.add_argument("--scenario", help="scenario name (default: the active one)")
    summary.add_argument("--json", action="store_true", help="one JSON object, for scripts")

    export = sub.add_parser("export", help="write assignments, a territory summary, the audit log or rejected "
                            "import rows as CSV")
    export.add_argument("project", type=Path)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--scenario")
    export.add_argument("--what", choices=("assignments", "summary", "changes", "issues", "territories", "units",
                                           "unit-changes"),
                        default="assignments", help="territories: polygons with measures, to .gpkg or .geojson "
                        "(with a unit layer: the union of each territory's units); units: unit -> territory, the "
                        "CRM routing list; unit-changes: the units that change territory against --baseline (both "
                        "need a unit layer)")
    export.add_argument("--baseline", help="with --what assignments: add where each account was in this scenario; "
                        "with --what changes: the change report against it (else the audit log); with --what "
                        "unit-changes: the scenario compared against (required)")
    export.add_argument("--bom", action="store_true", help="start the file with a UTF-8 byte-order mark (Excel)")

    cli_import.add_parser(sub)
    cli_render.add_parser(sub, _size)

    cli_balance.add_parser(sub, _positive_int)
    cli_units.add_parser(sub)

    for name, what in LATER.items():
        later = sub.add_parser(name, help=f"{what} (not in this version yet)")
        later.add_argument("rest", nargs=argparse.REMAINDER)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            args = command_parser().parse_args(argv)
            return HANDLERS[args.command](args)
        args = gui_parser().parse_args(argv)
        if args.version:  # before anything heavy: numpy, Qt and the rest are never imported for it
            from desktop_planner import installed_version
            print(f"desktop-planner {installed_version()}")
            return EXIT_OK
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadInput as exc:
        print(f"desktop-planner: {clipped(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from desktop_planner.ui.app import run_app  # Qt is imported only for the GUI
    return run_app(args.project, screenshot=args.screenshot, size=args.size)


def _open(path: Path, read_only: bool = False):
    """The project and its plan. A writing command takes the project's writer lock (refused, exit 2, while
    another process writes it); a reading one opens the file read-only and changes no byte."""
    from desktop_planner.store.opening import ProjectError
    from desktop_planner.store.project import ProjectFile
    try:
        project = ProjectFile.open(path, read_only=read_only)
    except ProjectError as exc:
        raise BadInput(str(exc)) from None
    try:
        return project, project.load_plan()
    except ProjectError as exc:
        project.close()
        raise BadInput(str(exc)) from None


def _scenario(plan, name: str | None):
    if name is None:
        return plan.active
    try:
        return plan.scenario_by_name(name)
    except KeyError as exc:
        raise BadInput(exc.args[0]) from None


def run_demo(args) -> int:
    from desktop_planner.io.demo import build_demo_plan
    from desktop_planner.store.opening import ProjectError
    from desktop_planner.store.project import ProjectFile
    if args.project.exists() and not args.force:
        raise BadInput(f"{args.project}: already exists (use --force to overwrite it)")
    try:
        plan = build_demo_plan(args.accounts, args.territories, seed=args.seed, region=args.region)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    try:
        ProjectFile.create(args.project, plan, overwrite=args.force).close()
    except ProjectError as exc:
        raise BadInput(str(exc)) from None
    print(f"{args.project}: {len(plan.accounts):,} accounts, {len(plan.active.territories)} territories "
          f"({plan.name})")
    return EXIT_OK


def run_summary(args) -> int:
    from desktop_planner.core.summary import scenario_summary
    project, plan = _open(args.project, read_only=True)
    with project:
        summary = scenario_summary(plan, _scenario(plan, args.scenario), contiguity=project.contiguity_checker(plan))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(format_summary_table(summary))
    return EXIT_OK


def format_summary_table(summary: dict) -> str:
    """A readable table for a terminal: one line per territory, then the plan's balance figures."""
    head = (f"{'territory':<24} {'rep':<20} {'accts':>6} {'potential':>13} {'service h':>10} {'travel h':>9} "
            f"{'workload h':>10} {'util':>5} {'dev wl':>7} {'contig':>6}")
    lines = [f"{summary['project']} — scenario {summary['scenario']}", head, "-" * len(head)]
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


def run_export(args) -> int:
    from desktop_planner.io import export
    project, plan = _open(args.project, read_only=True)
    with project:
        scenario = _scenario(plan, args.scenario)
        try:
            if args.what == "assignments":
                baseline = _scenario(plan, args.baseline) if args.baseline else None
                count = export.export_assignments(plan, scenario, args.out, baseline=baseline, bom=args.bom)
            elif args.what == "summary":
                count = export.export_summary(plan, scenario, args.out, bom=args.bom,
                                              contiguity=project.contiguity_checker(plan))
            elif args.what == "changes" and args.baseline:
                count = export.export_change_report(plan, _scenario(plan, args.baseline), scenario, args.out,
                                                    bom=args.bom)
            elif args.what == "changes":
                scenario_id = scenario.id if args.scenario else None
                count = export.export_changes(project.conn, args.out, scenario_id, bom=args.bom)
            elif args.what == "units":
                _need_units(args, plan)
                count = export.export_units(plan, scenario, args.out, bom=args.bom)
            elif args.what == "unit-changes":
                from desktop_planner.core.unit_changes import UNIT_CHANGE_COLUMNS, unit_change_rows
                _need_units(args, plan)
                if not args.baseline:
                    raise BadInput("--what unit-changes compares two scenarios: name the one to compare against "
                                   "with --baseline NAME")
                rows = unit_change_rows(plan, _scenario(plan, args.baseline), scenario)
                count = export.write_csv(args.out, UNIT_CHANGE_COLUMNS, rows, bom=args.bom)
            elif args.what == "territories":
                from desktop_planner.io.territory_export import export_territories
                count = export_territories(plan, scenario, args.out, contiguity=project.contiguity_checker(plan))
            else:
                count = export.export_issues(project.conn, args.out, bom=args.bom)
        except export.ExportError as exc:
            raise BadInput(str(exc)) from None
    print(f"{args.out}: {count:,} rows ({args.what})")
    return EXIT_OK


def _need_units(args, plan) -> None:
    if plan.units is None:
        raise BadInput(f"{args.project}: has no unit layer (set one with `desktop-planner units {args.project} "
                       f"--layer ...`)")


def run_later(args) -> int:
    raise BadInput(f"'{args.command}' ({LATER[args.command]}) is not available in this version yet")


HANDLERS = {"demo": run_demo, "summary": run_summary, "export": run_export,
            "balance": lambda args: cli_balance.run_balance(args, BadInput, _open, _scenario),
            "import": lambda args: cli_import.run_import(args, BadInput),
            "render": lambda args: cli_render.run_render(args, BadInput),
            "units": lambda args: cli_units.run_units(args, BadInput, _open, _scenario),
            **{name: run_later for name in LATER}}
