"""`desktop-planner render`: the map of a scenario as a PNG or a one-page PDF, without a window.

Qt is imported only inside the handler: the other commands never pay for it, and the offscreen platform must
be chosen before the first Qt import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FORMATS = (".png", ".pdf")


def add_parser(sub, size_type) -> None:
    p = sub.add_parser("render", help="draw the map of a scenario to a PNG picture or an A4 PDF page")
    p.add_argument("project", type=Path)
    p.add_argument("--out", type=Path, required=True, metavar="MAP.png|MAP.pdf")
    p.add_argument("--scenario", help="scenario name (default: the active one)")
    p.add_argument("--size", type=size_type, default=(1600, 1000), metavar="WxH",
                   help="picture size in pixels for a PNG (default 1600x1000); a PDF is an A4 page, landscape "
                        "unless the size is taller than wide")
    p.add_argument("--title", help="title above the map (default: the project's name)")


def use_offscreen_without_display() -> None:
    """Render without a window system on a headless Linux machine (a server, CI). Must run before Qt loads;
    an explicit QT_QPA_PLATFORM wins."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def run_render(args, bad_input) -> int:
    from desktop_planner.store.opening import ProjectError
    from desktop_planner.store.project import ProjectFile

    if args.out.suffix.lower() not in FORMATS:
        raise bad_input(f"{args.out}: unsupported picture type {args.out.suffix or '(none)'!r}; use .png or .pdf")
    try:
        project = ProjectFile.open(args.project, read_only=True)  # a picture changes no byte of the project
        with project:
            plan = project.load_plan()
    except ProjectError as exc:
        raise bad_input(str(exc)) from None
    try:
        scenario = plan.active if args.scenario is None else plan.scenario_by_name(args.scenario)
    except KeyError as exc:
        raise bad_input(exc.args[0]) from None

    use_offscreen_without_display()
    from desktop_planner.ui.app import ensure_app
    from desktop_planner.ui.map.map_render import RenderError, save_map

    ensure_app()
    try:
        save_map(args.out, plan, scenario, size=args.size, title=args.title)
    except RenderError as exc:
        raise bad_input(str(exc)) from None
    print(f"{args.out}: map of scenario {scenario.name!r} ({len(plan.accounts):,} accounts, "
          f"{len(scenario.territories)} territories)")
    return 0
