"""`desktop-planner render`: the map of a scenario as a PNG or a one-page PDF, without a window.

It draws what the app's map draws: the territory regions (or the units, with a unit layer), their names, the reps'
homes and the dots, with the legend beside the map; Alaska and Hawaii get insets when they hold accounts.

Qt is imported only inside the handler: the other commands never pay for it, and the offscreen platform must
be chosen before the first Qt import.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from desktop_planner.cli.common import add_team_argument


# The regions of io.demo.REGIONS, named here so that starting the command line loads no numpy.
REGION_NAMES = ("northeast", "midwest", "south", "west", "us")
FORMATS = (".png", ".pdf")
MAX_LAT = 85.0  # Web Mercator's edge (85.05°), rounded in
REGION_PAD = 0.03  # of a region's width and height, on each side
BOX_LIKE = re.compile(r"^-[\d.]+(,\s*-?[\d.]+)*$")


def add_parser(sub, size_type) -> None:
    p = sub.add_parser("render", help="draw the map of a scenario to a PNG picture or an A4 PDF page")
    p.add_argument("project", type=Path)
    add_team_argument(p)
    p.add_argument("--out", type=Path, required=True, metavar="MAP.png|MAP.pdf")
    p.add_argument("--scenario", help="scenario name (default: the active one)")
    p.add_argument("--size", type=size_type, default=(1600, 1000), metavar="WxH",
                   help="picture size in pixels for a PNG (default 1600x1000); a PDF is an A4 page, landscape "
                        "unless the size is taller than wide")
    p.add_argument("--title", help="title above the map (default: the project's name)")
    p.add_argument("--extent", metavar="LON0,LAT0,LON1,LAT1|REGION",
                   help="the part of the map to show: a box in degrees (e.g. -80.5,38.9,-66.9,47.5) or a region: "
                        f"{', '.join(REGION_NAMES)} (default: all the accounts)")
    # argparse takes "-80.5,38.9,..." for an option (it knows only plain negative numbers as values), and
    # "--extent -80.5,38.9,-66.9,47.5" would fail with "expected one argument": a box of numbers is a value here.
    p._negative_number_matcher = BOX_LIKE


def parse_extent(text: str) -> tuple[float, float, float, float] | str:
    """A box (lon0, lat0, lon1, lat1) in degrees, or the name of a region of io.demo.REGIONS. Raises ValueError
    saying what is wrong and what is expected."""
    expected = ("give LON0,LAT0,LON1,LAT1 in degrees (e.g. -80.5,38.9,-66.9,47.5) or a region: "
                + ", ".join(REGION_NAMES))
    name = text.strip().lower()
    if name in REGION_NAMES:
        return name
    parts = text.split(",")
    try:
        if len(parts) != 4:
            raise ValueError
        lon0, lat0, lon1, lat1 = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"--extent {text!r} is neither a box nor a region; {expected}") from None
    if not all(math.isfinite(v) for v in (lon0, lat0, lon1, lat1)):
        raise ValueError(f"--extent {text!r}: the corners must be numbers; {expected}")
    if not (-180 <= lon0 < lon1 <= 180):
        raise ValueError(f"--extent {text!r}: longitudes must run west to east within -180..180 (LON0 < LON1)")
    if not (-MAX_LAT <= lat0 < lat1 <= MAX_LAT):
        raise ValueError(f"--extent {text!r}: latitudes must run south to north within -{MAX_LAT:g}..{MAX_LAT:g} "
                         "(LAT0 < LAT1)")
    return lon0, lat0, lon1, lat1


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
        extent = None if args.extent is None else parse_extent(args.extent)
    except ValueError as exc:
        raise bad_input(str(exc)) from None
    use_offscreen_without_display()
    from desktop_planner.ui.window.view_options import STUDY_AREA_KEY
    try:
        project = ProjectFile.open(args.project, read_only=True)  # a picture changes no byte of the project
        with project:
            plan = project.load_plan(team=args.team)
            stored_area = project.project_value(STUDY_AREA_KEY)
    except ProjectError as exc:
        raise bad_input(str(exc)) from None
    try:
        scenario = plan.active if args.scenario is None else plan.scenario_by_name(args.scenario)
    except KeyError as exc:
        raise bad_input(exc.args[0]) from None

    from desktop_planner.ui.app import ensure_app
    from desktop_planner.ui.map.map_render import RenderError, save_map

    ensure_app()
    folder = tempfile.mkdtemp(prefix="desktop_planner_render_")  # the unit shapes' arrays while they are drawn
    try:
        contents, box = _contents(args.project, plan, scenario, stored_area, extent, folder)
        save_map(args.out, plan, scenario, size=args.size, title=args.title, extent=box, contents=contents)
    except RenderError as exc:
        raise bad_input(str(exc)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.out}: map of scenario {scenario.name!r} ({len(plan.accounts):,} accounts, "
          f"{len(scenario.territories)} territories)")
    return 0


def _contents(path: Path, plan, scenario, stored_area: str | None, extent, folder: str):
    """What the map draws (render_contents.MapContents) and the Web Mercator box to show (None: the accounts).
    The insets are for a map of the country: the whole plan or --extent us."""
    import numpy as np
    import shapely

    from desktop_planner.core.geo import lonlat_to_mercator
    from desktop_planner.store.derived_cache import FileCache
    from desktop_planner.store.opening import remove_new_sidecars, sidecars_of
    from desktop_planner.ui.map.render_contents import plan_contents
    from desktop_planner.ui.map.render_places import region_box

    study_area = None
    if stored_area:
        try:
            study_area = shapely.from_wkb(stored_area)
        except shapely.errors.GEOSException:  # damaged by hand: the accounts' outline will do, as in the window
            print(f"{path}: the stored study area cannot be read; the accounts' outline is used", file=sys.stderr)
    existed = [p.exists() for p in sidecars_of(path)]
    try:
        contents = plan_contents(plan, scenario, study_area, FileCache(path), _unit_shapes(path, plan, folder),
                                 insets=extent in (None, "us"))
    finally:
        remove_new_sidecars(path, existed)  # the cache's reads leave the folder as it was
    if extent is None:
        return contents, None
    lon0, lat0, lon1, lat1 = region_box(extent) if isinstance(extent, str) else extent
    (x0, x1), (y0, y1) = lonlat_to_mercator(np.array([lon0, lon1]), np.array([lat0, lat1]))
    # A region is its states' outline exactly: a margin keeps the accounts on its coasts off the picture's edge.
    # A box given in degrees is shown as given.
    pad = REGION_PAD if isinstance(extent, str) else 0.0
    pad_x, pad_y = pad * (x1 - x0), pad * (y1 - y0)
    return contents, (float(x0 - pad_x), float(y0 - pad_y), float(x1 + pad_x), float(y1 + pad_y))


def _unit_shapes(path: Path, plan, folder: str):
    """The unit layer's map shapes (kept in the user's cache folder, as the window keeps them), or None: without
    a layer, or when it cannot be drawn (said on standard error; the regions are drawn instead)."""
    if plan.units is None:
        return None
    from desktop_planner.core.unit_shapes import unspill_shapes
    from desktop_planner.store.unit_map_shapes import map_shapes
    try:
        shapes = map_shapes(str(path), folder)
    except Exception as exc:  # noqa: BLE001 -- any failure only costs the units: the regions show the territories
        print(f"{path}: the unit layer cannot be drawn ({exc}); the territory regions are drawn instead",
              file=sys.stderr)
        return None
    return None if shapes is None else unspill_shapes(shapes)
