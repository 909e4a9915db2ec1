"""`desktop-planner units`: set the project's geography unit layer (or show or remove it).

    desktop-planner units my.tplan --layer us-counties              # accounts follow their county's territory
    desktop-planner units my.tplan --layer us-zip --keep-exceptions # accounts stay; those off their unit are named
    desktop-planner units my.tplan --layer bricks.gpkg --id-column BRICK --name-column NAME
    desktop-planner units my.tplan                                  # what the project has now

Setting a layer gives each unit the territory of most of its accounts, and the accounts elsewhere follow their
unit (one undoable step): the issue's rule, "accounts follow their unit unless an account is an explicit
exception". With --keep-exceptions nobody moves and those accounts become named exceptions instead (listed and
counted); a balance keeps exceptions where they are, so hundreds of them leave territories in pieces on the map.
Units without accounts take the territory around them (the nearest in steps of the unit adjacency), so the
routing list sends every ZIP or county somewhere; --leave-empty leaves them unassigned. Heavy modules are
imported inside the handlers so other commands never pay for them.
"""

from __future__ import annotations

import json
from pathlib import Path

SHOWN = 5  # accounts not placed listed by name; the rest are counted


def add_parser(sub) -> None:
    p = sub.add_parser("units", help="set the geography unit layer (US states, counties, approximate ZIP areas or "
                       "any polygon file), place every account in its unit, and report")
    p.add_argument("project", type=Path)
    p.add_argument("--layer", metavar="us-states|us-counties|us-zip|FILE",
                   help="a built-in US layer, or a GeoPackage, Shapefile or GeoJSON of polygons")
    p.add_argument("--id-column", metavar="C", help="the file's column holding the unit id")
    p.add_argument("--name-column", metavar="N", help="the file's column holding the unit name")
    p.add_argument("--layer-name", metavar="L", help="which layer of a multi-layer file (default: the first "
                   "polygon layer)")
    p.add_argument("--scenario", help="scenario whose report is shown, and whose accounts follow their unit "
                   "(default: active)")
    p.add_argument("--follow", action="store_true", default=True, help="accounts outside their unit's majority "
                   "territory move to it, in one undoable step (the default)")
    p.add_argument("--keep-exceptions", dest="follow", action="store_false", help="move nobody: accounts outside "
                   "their unit's majority territory are kept as named exceptions")
    p.add_argument("--all-states", action="store_true", help="built-in layers: keep the units of every state, "
                   "not only of the states that hold accounts")
    p.add_argument("--snap-km", type=float, default=None, metavar="KM",
                   help="accounts outside every unit but this close to one are placed in it (default 5)")
    p.add_argument("--leave-empty", action="store_true", help="leave the units without accounts unassigned (by "
                   "default each takes the territory around it, so that every unit routes to a territory)")
    p.add_argument("--remove", action="store_true", help="remove the project's unit layer")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")


def run_units(args, bad_input, open_project, pick_scenario) -> int:
    if args.layer is None and not args.remove:
        return _show(args, bad_input, open_project, pick_scenario)
    if args.layer is not None and args.remove:
        raise bad_input("units: --layer and --remove cannot be used together")
    from desktop_planner.core.commands import CommandError, SetUnitLayer
    from desktop_planner.core.history import History
    from desktop_planner.core.units import DEFAULT_SNAP_KM, layer_command
    from desktop_planner.store.opening import ProjectError

    snap_km = DEFAULT_SNAP_KM if args.snap_km is None else args.snap_km
    if not 0 <= snap_km <= 100:
        raise bad_input(f"--snap-km must be between 0 and 100, got {snap_km:g}")
    project, plan = open_project(args.project)
    with project:
        scenario = pick_scenario(plan, args.scenario)
        history = History(plan, project)
        if args.remove:
            if plan.units is None:
                print(f"{args.project}: has no unit layer; nothing to remove")
                return 0
            _do(history, SetUnitLayer(None), bad_input)
            print(f"{args.project}: unit layer removed (accounts keep their territories)")
            return 0
        layer, placement = build_and_place(plan, args, snap_km, bad_input)
        command, moved = layer_command(plan, layer, placement, scenario, args.follow, not args.leave_empty)
        try:
            _do(history, command, bad_input)
        except (CommandError, ProjectError) as exc:
            raise bad_input(str(exc)) from None
        report = unit_report(plan, scenario, moved=moved if args.follow else None)
    _print(args, report)
    return 0


def _do(history, command, bad_input) -> None:
    from desktop_planner.core.commands import CommandError
    from desktop_planner.store.opening import ProjectError
    try:
        history.do(command)
    except (CommandError, ProjectError) as exc:
        raise bad_input(str(exc)) from None


def build_and_place(plan, args, snap_km: float, bad_input):
    """The layer (built-in US layers only for the states holding accounts, unless --all-states) and where each
    account lies in it."""
    from desktop_planner.io.unit_layers import BUILT_IN, UnitLayerError
    from desktop_planner.store.unit_layer_job import load_and_place
    spec = args.layer
    builtin = spec in BUILT_IN
    if builtin and (args.id_column or args.name_column or args.layer_name):
        raise bad_input(f"--id-column, --name-column and --layer-name are for a layer file, not {spec}")
    a = plan.accounts
    try:  # postcodes only for the ZIP layer: the column is read from the file on first use
        return load_and_place(spec, a.lon, a.lat, a.postcode if spec == "us-zip" else None, args.id_column,
                              args.name_column, args.layer_name, args.all_states, snap_km)
    except UnitLayerError as exc:
        raise bad_input(str(exc)) from None


def unit_report(plan, scenario, moved: int | None = None) -> dict:
    """What a planner needs to know about the layer: units, accounts placed and how, those not placed and why."""
    import numpy as np

    from desktop_planner.core.units import NOT_PLACED, unit_counts
    state = plan.units
    layer = state.layer
    counts = unit_counts(state, plan, scenario)
    unit_of = state.unit_of_rows(plan)
    ids = plan.accounts.ids
    placed_rows = np.flatnonzero(unit_of != NOT_PLACED)
    # Placed accounts are all in the state's sorted id list (that is how unit_of_rows found them).
    ways, per_way = np.unique(state.how[np.searchsorted(state.account_ids, ids[placed_rows])].astype(str),
                             return_counts=True)
    how = dict(zip(ways.tolist(), per_way.tolist()))
    missing_rows = np.flatnonzero(unit_of == NOT_PLACED).tolist()
    names = plan.accounts.name
    not_placed = [{"account_id": plan.accounts.external_id[r], "name": names[r],  # every one, for --json
                   "reason": state.problems.get(int(ids[r]), "added after the layer was set: set the layer again "
                                                             "to place it")} for r in missing_rows]
    return {"layer": layer.kind, "source": layer.source, "approximate": layer.approximate,
            "units": counts.units, "scenario": scenario.name, "units_assigned": counts.assigned_units,
            "accounts": len(ids), "placed": counts.placed, "placed_by": how, "not_placed": counts.not_placed,
            "not_placed_accounts": not_placed, "exceptions": counts.exceptions, "off_unit": counts.off_unit,
            "moved": moved}


def _print(args, report: dict) -> None:
    if args.json:
        print(json.dumps(report, ensure_ascii=False, default=str))
        return
    approx = " — APPROXIMATE areas, not the real ZIP boundaries" if report["approximate"] else ""
    print(f"{args.project}: unit layer {report['layer']} ({report['source']}){approx}")
    print(f"  {report['units']:,} units; {report['units_assigned']:,} assigned to a territory in scenario "
          f"{report['scenario']!r}")
    how = ", ".join(f"{n:,} by {k}" for k, n in sorted(report["placed_by"].items()))
    print(f"  accounts placed: {report['placed']:,} of {report['accounts']:,}" + (f" ({how})" if how else ""))
    if report["not_placed"]:
        print(f"  not placed: {report['not_placed']:,} (kept, with no unit):")
        for item in report["not_placed_accounts"][:SHOWN]:
            print(f"    {item['account_id']} {item['name'] or ''}: {item['reason']}")
        if report["not_placed"] > SHOWN:
            print(f"    … and {report['not_placed'] - SHOWN:,} more")
    if report["moved"] is not None:
        print(f"  {report['moved']:,} accounts moved to follow their unit's territory")
    print(f"  exceptions (named accounts keeping their own territory): {report['exceptions']:,}")
    if report["off_unit"]:
        print(f"  accounts not in their unit's territory and not marked as exceptions: {report['off_unit']:,}")


def _show(args, bad_input, open_project, pick_scenario) -> int:
    project, plan = open_project(args.project, read_only=True)
    with project:
        if plan.units is None:
            print(f"{args.project}: no unit layer (set one with --layer us-states|us-counties|us-zip|FILE)")
            return 0
        report = unit_report(plan, pick_scenario(plan, args.scenario))
    _print(args, report)
    return 0
