"""Auto-balance on geography units (issue 12): the counties of a demo region at 10,000 accounts and 30 territories
(`desktop-planner demo OUT --accounts 10000 --territories 30 --region R`, then `units --layer us-counties`).

Reports the time (target: 30 s for "a balance on the counties of a 10-state region"), territories in pieces of the
county adjacency counted independently of the optimiser (target 0), the largest workload deviation (the project's
measures, no target: 30 reps on a few hundred counties is coarse, and setting the layer with --keep-exceptions
keeps about a thousand accounts as named exceptions) and the accounts outside their county's territory that are
not named exceptions (target 0). Within regions (the demo's sales regions, 4 at 30 territories) also the counties
given to a territory of another region than the one holding them before (target 0), the regions whose area is
itself in pieces, the territories in pieces beyond such gaps (target 0), and the largest deviation from a
territory's share of its own region's workload (what a balance within regions can even out).

Cases: the Northeast (9 states: CT MA ME NH NJ NY PA RI VT) as set (with the exceptions), --within state, --within
region, and after `units --follow` (no exceptions); the Midwest (12 states, 1,055 counties: the demo has no region of
exactly 10, and the West's 11 states hold only 414 counties) after `units --follow`, plain, --within state and
--within region. The layer holds the counties of every state with an account, so some of the neighbouring states'
counties come too.

Environment: UNITS_BENCH_TIME_LIMIT (seconds given to the balancer, default 25).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from desktop_planner.cli import main as cli
from desktop_planner.core.units import NOT_PLACED, unit_adjacency
from desktop_planner.io.demo import REGIONS
from desktop_planner.optimize.balance import BalanceSettings, balance
from desktop_planner.store.project import ProjectFile


def territories_in_pieces(n_units: int, edges: np.ndarray, unit_territory: np.ndarray) -> int:
    pieces = 0
    for tid in np.unique(unit_territory[unit_territory >= 0]).tolist():
        members = np.flatnonzero(unit_territory == tid)
        keep = np.isin(edges[:, 0], members) & np.isin(edges[:, 1], members)
        e = edges[keep]
        graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n_units, n_units))
        _, label = connected_components(graph, directed=False)
        pieces += len(np.unique(label[members])) > 1
    return pieces


def run(bench) -> None:
    limit = float(os.environ.get("UNITS_BENCH_TIME_LIMIT", "25"))
    folder = Path(tempfile.mkdtemp(prefix="bench_balance_units_"))
    try:
        northeast = _demo(bench, folder, "northeast", "--keep-exceptions")
        # The same with the default `units`: accounts follow their county first, so no account is a named
        # exception.
        followed = _demo(bench, folder, "northeast", "--follow")
        midwest = _demo(bench, folder, "midwest", "--follow")
        for path, region, cases, label in ((northeast, "northeast", (None, "state", "region"), ""),
                                           (followed, "northeast", (None,), " (--follow)"),
                                           (midwest, "midwest", (None, "state", "region"), " (--follow)")):
            _balance_cases(bench, path, region, cases, limit, label)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _demo(bench, folder: Path, region: str, units_flag: str) -> Path:
    path = folder / f"{region}_10k{units_flag.replace('-', '_')}.tplan"
    assert cli(["demo", str(path), "--accounts", "10000", "--territories", "30", "--region", region,
                "--seed", "3"]) == 0
    started = time.perf_counter()
    assert cli(["units", str(path), "--layer", "us-counties", units_flag]) == 0
    bench.record(f"units: set us-counties {units_flag} on the {region.title()} demo 10k (place every account)",
                 (time.perf_counter() - started) * 1000.0)
    return path


def _balance_cases(bench, path: Path, region: str, cases, limit: float, label: str) -> None:
    with ProjectFile.open(path, read_only=True) as pf:
        plan = pf.load_plan()
    scenario = plan.active
    layer = plan.units.layer
    # Each county's sales region before the balance: that of the territory holding it ("" if none).
    held = plan.units.of(plan, scenario).territory
    area = np.array([scenario.territories[t].region or "" if t >= 0 else "" for t in held.tolist()])
    title = f"{region.title()} ({len(REGIONS[region])} states)"
    for within in cases:
        settings = BalanceSettings(measures={"workload_hours": plan.settings.tolerance}, time_limit_s=limit,
                                   within=within)
        started = time.perf_counter()
        result = balance(plan, scenario, settings)
        seconds = time.perf_counter() - started
        what = f"{title}: balance on {len(layer)} counties, {len(plan.accounts):,} accounts / " \
               f"{len(scenario.territories)}" + (f" within {within}s" if within else "") + label
        # Within states: the county adjacency plus the island links made inside a state (a state without a rep is
        # balanced with a neighbour, over the ordinary adjacency).
        edges = unit_adjacency(layer) if within != "state" else np.vstack([unit_adjacency(layer),
                                                                           _group_graph(layer, layer.parents)])
        pieces = territories_in_pieces(len(layer), edges, result.unit_territory)
        unit_of = plan.units.unit_of_rows(plan)
        follow = (unit_of != NOT_PLACED) & ~plan.units.exception_rows(plan, scenario) & ~scenario.locked
        off = int((result.assignment[follow] != result.unit_territory[unit_of[follow]]).sum())
        deviation = result.report.measures["workload_hours"].max_abs_deviation_after
        bench.record(f"{what}: time", seconds, unit="s", target=30.0)
        # Within regions a region's area may itself be in pieces (the Midwest's East holds a few counties of
        # Michigan's Upper Peninsula, across the water from the rest): no target for the plain count then, but
        # none across anything else, counted with the island links made inside each region's area.
        bench.record(f"{what}: territories in pieces (county adjacency)", pieces, unit="",
                     target=None if within == "region" else 0)
        if within == "region":
            _region_figures(bench, what, plan, area, result)
        bench.record(f"{what}: largest workload deviation", 100.0 * deviation, unit="%")
        bench.record(f"{what}: accounts off their county's territory", off, unit="", target=0)
        for note in result.report.notes:
            if note.startswith(("units too big", "no territory has its home", "no unit is held")) \
                    or "more than half" in note or "joined the region" in note or "pieces:" in note:
                print(f"    note: {note}")


def _region_figures(bench, what: str, plan, area: np.ndarray, result) -> None:
    """Counties moved out of their region, the pieces of the regions' areas and of the territories beyond those,
    and the largest deviation from a territory's share of its own region's workload (a balance within regions
    cannot move work between regions, so the whole plan's deviation keeps their difference)."""
    from desktop_planner.core.model import Scenario
    from desktop_planner.optimize.report import scenario_measures
    scenario, layer = plan.active, plan.units.layer
    after = np.array([scenario.territories[t].region or "" for t in result.unit_territory.tolist()])
    moved = int((after[area != ""] != area[area != ""]).sum())
    bench.record(f"{what}: counties moved to another region", moved, unit="", target=0)
    edges = unit_adjacency(layer)
    regions = sorted(set(area.tolist()) - {""})
    area_pieces = sum(territories_in_pieces(len(layer), edges, np.where(area == r, 0, -1)) for r in regions)
    bench.record(f"{what}: region areas in pieces before the balance", area_pieces, unit="")
    inside = _group_graph(layer, area)
    # Only the links inside real regions: counties without one are not an area whose gaps may be spanned.
    linked = np.vstack([edges, inside[area[inside[:, 0]] != ""]])
    pieces = territories_in_pieces(len(layer), linked, result.unit_territory)
    bench.record(f"{what}: territories in pieces beyond their region's gaps", pieces, unit="", target=0)
    balanced = Scenario(scenario.id, scenario.name, result.territories, result.assignment, scenario.locked)
    measures = scenario_measures(plan, balanced)
    values = np.asarray(measures.values["workload_hours"], dtype=np.float64)
    targets = np.asarray(measures.targets["workload_hours"], dtype=np.float64)
    region = np.array([balanced.territories[t].region for t in measures.territory_ids.tolist()])
    worst = 0.0
    for r in regions:
        mine = region == r
        share = targets[mine] * values[mine].sum() / targets[mine].sum()
        worst = max(worst, float(np.abs(values[mine] / share - 1.0).max()))
    bench.record(f"{what}: largest workload deviation from its region's own mean", 100.0 * worst, unit="%")


def _group_graph(layer, groups) -> np.ndarray:
    """The county adjacency inside groups (states, regions), with islands linked inside their group (what
    --within uses)."""
    from desktop_planner.optimize.units_graph import group_edges
    from desktop_planner.core.geo import lonlat_to_unit_xyz
    import shapely
    rep = shapely.get_coordinates(shapely.point_on_surface(layer.geometries))
    edges = unit_adjacency(layer)
    return group_edges(edges, np.asarray(groups).astype(str), lonlat_to_unit_xyz(rep[:, 0], rep[:, 1]))
