"""Auto-balance on geography units (issue 12): the counties of the Northeast demo at 10,000 accounts and 30
territories (`desktop-planner demo OUT --accounts 10000 --territories 30 --region northeast`, then `units
--layer us-counties`). Reports the time (target: 30 s), territories in pieces of the county adjacency counted
independently of the optimiser (target 0), the largest workload deviation (the project's measures, no target: 30 reps on
299 counties is coarse, and setting the layer with --keep-exceptions keeps 1,051 accounts as named exceptions) and the
accounts outside their county's territory that are not named exceptions (target 0). Cases: as set (with the
exceptions), --within state, and after `units --follow` (no exceptions).

Environment: UNITS_BENCH_TIME_LIMIT (seconds given to the balancer, default 25).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from desktop_planner.cli import main as cli
from desktop_planner.core.units import NOT_PLACED, unit_adjacency
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
    path = folder / "northeast_10k.tplan"
    assert cli(["demo", str(path), "--accounts", "10000", "--territories", "30", "--region", "northeast",
                "--seed", "3"]) == 0
    started = time.perf_counter()
    assert cli(["units", str(path), "--layer", "us-counties", "--keep-exceptions"]) == 0
    bench.record("units: set us-counties on the Northeast demo 10k (place every account)",
                 (time.perf_counter() - started) * 1000.0, target=None)
    # The same with the default `units`: accounts follow their county first, so no account is a named exception.
    followed = folder / "northeast_10k_follow.tplan"
    assert cli(["demo", str(followed), "--accounts", "10000", "--territories", "30", "--region", "northeast",
                "--seed", "3"]) == 0
    assert cli(["units", str(followed), "--layer", "us-counties", "--follow"]) == 0
    for project, cases in ((path, (None, "state")), (followed, (None,))):
        _balance_cases(bench, project, cases, limit, " (--follow)" if project == followed else "")


def _balance_cases(bench, path: Path, cases, limit: float, label: str) -> None:
    with ProjectFile.open(path, read_only=True) as pf:
        plan = pf.load_plan()
        scenario = plan.active
        layer = plan.units.layer
        for within in cases:
            settings = BalanceSettings(measures={"workload_hours": plan.settings.tolerance}, time_limit_s=limit,
                                       within=within)
            started = time.perf_counter()
            result = balance(plan, scenario, settings)
            seconds = time.perf_counter() - started
            what = f"balance on {len(layer)} counties, {len(plan.accounts):,} accounts / {len(scenario.territories)}" \
                   + (" within states" if within else "") + label
            # Within states: the county adjacency plus the island links made inside a state (a state without
            # a rep is balanced with a neighbour, over the ordinary adjacency).
            edges = unit_adjacency(layer) if within is None else np.vstack([unit_adjacency(layer),
                                                                             _state_graph(layer)])
            pieces = territories_in_pieces(len(layer), edges, result.unit_territory)
            unit_of = plan.units.unit_of_rows(plan)
            follow = (unit_of != NOT_PLACED) & ~plan.units.exception_rows(plan, scenario) & ~scenario.locked
            off = int((result.assignment[follow] != result.unit_territory[unit_of[follow]]).sum())
            deviation = result.report.measures["workload_hours"].max_abs_deviation_after
            bench.record(f"{what}: time", seconds, unit="s", target=30.0)
            bench.record(f"{what}: territories in pieces (county adjacency)", pieces, unit="", target=0)
            bench.record(f"{what}: largest workload deviation", 100.0 * deviation, unit="%")
            bench.record(f"{what}: accounts off their county's territory", off, unit="", target=0)
            for note in result.report.notes:
                if note.startswith(("units too big", "no territory has its home")) or "more than half" in note:
                    print(f"    note: {note}")


def _state_graph(layer) -> np.ndarray:
    """The county adjacency inside states, with islands linked inside their state (what --within uses)."""
    from desktop_planner.optimize.units_graph import group_edges
    from desktop_planner.core.geo import lonlat_to_unit_xyz
    import shapely
    rep = shapely.get_coordinates(shapely.point_on_surface(layer.geometries))
    edges = unit_adjacency(layer)
    return group_edges(edges, np.asarray(layer.parents).astype(str), lonlat_to_unit_xyz(rep[:, 0], rep[:, 1]))
