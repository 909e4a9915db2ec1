"""Command line: the GUI launch and the headless commands of DESIGN.md (also the automation contract), one module
per command group in this package.

Exit status 0 on success, 2 on bad arguments or bad input, with the reason on standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop_planner.cli import (balance, demo, export, importing, render, report, scoring, settings, summary, teams,
                                 units)
from desktop_planner.cli import reviews
from desktop_planner.cli import holdout
from desktop_planner.cli import kpis, quotas
from desktop_planner.cli.common import (EXIT_BAD_INPUT, EXIT_OK, BadInput, Parser, UsageError, clipped, open_project,
                                        pick_scenario, positive_int, size_arg)

COMMANDS = ("demo", "import", "export", "summary", "report", "settings", "balance", "render", "units", "teams",
            "score", "reviews", "holdout", "quotas", "kpis")


def gui_parser() -> argparse.ArgumentParser:
    p = Parser(prog="desktop-planner", description="Sales territory alignment, offline. Without a command: "
               "start the app. Commands: " + ", ".join(COMMANDS) + " (see `desktop-planner COMMAND --help`).")
    p.add_argument("project", nargs="?", type=Path, help="project file (default: the last one, else the demo)")
    p.add_argument("--screenshot", type=Path, metavar="OUT.png", help="render the main window to a PNG and exit")
    p.add_argument("--size", type=size_arg, default=None, metavar="WxH",
                   help="window size for --screenshot (default 1600x1000)")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    return p


def command_parser() -> argparse.ArgumentParser:
    p = Parser(prog="desktop-planner")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    demo.add_parser(sub)
    summary.add_parser(sub)
    export.add_parser(sub)
    report.add_parser(sub)
    settings.add_parser(sub)
    importing.add_parser(sub)
    render.add_parser(sub, size_arg)
    balance.add_parser(sub, positive_int)
    units.add_parser(sub)
    teams.add_parser(sub)
    scoring.add_parser(sub)
    reviews.add_parser(sub)
    holdout.add_parser(sub)
    quotas.add_parser(sub)
    kpis.add_parser(sub)
    p.commands = sub.choices  # each command's own parser
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            # Intermixed: `settings PROJECT --team T KEY VALUE` reads KEY and VALUE after an option too.
            args = command_parser().commands[argv[0]].parse_intermixed_args(argv[1:])
            args.command = argv[0]
            try:
                return HANDLERS[args.command](args)
            except BrokenPipeError:
                # The reader stopped early (`| head`): not an error. Python's documented recipe: stdout to
                # devnull, so that the flush at exit does not raise again.
                import os
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return EXIT_OK
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


HANDLERS = {"demo": demo.run_demo, "summary": summary.run_summary, "export": export.run_export,
            "report": report.run_report, "settings": settings.run_settings,
            "balance": lambda args: balance.run_balance(args, BadInput, open_project, pick_scenario),
            "import": lambda args: importing.run_import(args, BadInput),
            "render": lambda args: render.run_render(args, BadInput),
            "units": lambda args: units.run_units(args, BadInput, open_project, pick_scenario),
            "teams": teams.run_teams, "score": scoring.run_score, "reviews": reviews.run_reviews,
            "holdout": holdout.run_holdout, "quotas": quotas.run_quotas, "kpis": kpis.run_kpis}
