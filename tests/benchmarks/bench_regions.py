"""Issue 4 speed targets: territory regions, the boundary drag preview and the heat layer at 100k / 50."""

from __future__ import annotations

import itertools

import numpy as np

from desktop_planner.core.border_drag import drag_preview
from desktop_planner.core.commands import preview_assignment
from desktop_planner.core.heat import density_grid
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.core.regions import RegionMap
from desktop_planner.store.project import ProjectFile
from tests.benchmarks.projects import bench_project


def run(bench) -> None:
    with ProjectFile.open(bench_project(100_000, 50)) as project:
        plan = project.load_plan()
    accounts, scenario = plan.accounts, plan.active
    tids = scenario.territory_ids()

    bench.record("default study area (buffered concave hull), 100k",
                 bench.median_ms(lambda: RegionMap(accounts).study_area, repeat=3), "ms")
    area = RegionMap(accounts).study_area
    bench.record("Voronoi cells incl. finding shared spots, 100k accounts (once per project)",
                 bench.median_ms(lambda: RegionMap(accounts, study_area=area).cells, repeat=3), "ms")

    def build():
        RegionMap(accounts).build(tids, scenario.assignment)
    bench.record("all regions from scratch (hull, cells, merge), 100k / 50", bench.median_ms(build, repeat=3),
                 "ms", 3000)

    regions = RegionMap(accounts)
    regions.build(tids, scenario.assignment)
    rebuild = lambda: regions.build(tids, scenario.assignment)  # noqa: E731 -- forgets borders and labels
    bench.record("borders of all territories, 100k / 50", bench.median_ms(regions.borders, repeat=3, setup=rebuild),
                 "ms")
    bench.record("label points of all territories, 100k / 50",
                 bench.median_ms(regions.label_points, repeat=3, setup=rebuild), "ms")

    # The border with the most accounts around its middle (in a city), so that the drag sweeps many.
    def crowd(border):
        mid = border.line.interpolate(0.5, normalized=True)
        return np.count_nonzero(np.hypot(accounts.x - mid.x, accounts.y - mid.y) < 4 * regions.spacing)
    border = max(regions.borders(), key=crowd)
    a, b = border.a, border.b
    members = np.flatnonzero(scenario.assignment == a)[:500]
    flips = itertools.count()
    edited = {}

    def edit():
        edited["assignment"] = scenario.assignment.copy()
        if next(flips) % 2 == 0:
            edited["assignment"][members] = b
    bench.record("update regions after a 500-account move between two territories",
                 bench.median_ms(lambda: regions.update(tids, edited["assignment"], {a, b}), repeat=10, setup=edit),
                 "ms", 100)
    regions.update(tids, scenario.assignment)

    engine = MeasureEngine(plan)
    engine.measures()
    grab = np.asarray(border.line.interpolate(0.5, normalized=True).coords[0])
    # A mouse path: out to 8 typical spacings on one side of the border, then across it to the other side.
    tangent = np.asarray(border.line.interpolate(0.51, normalized=True).coords[0]) - grab
    normal = np.array([-tangent[1], tangent[0]]) / np.hypot(*tangent)
    steps = np.concatenate((np.linspace(0.2, 8, 20), np.linspace(8, -8, 40)))
    path = itertools.cycle([tuple(grab + s * regions.spacing * normal) for s in steps])
    no_locks = np.zeros(len(accounts), bool)

    swept = []

    def drag_step():
        preview = drag_preview(regions, border, tuple(grab), next(path), scenario.assignment, scenario.locked,
                               [t for t, territory in scenario.territories.items() if territory.locked])
        engine.measures(assignment=preview_assignment(plan, scenario, preview.accounts, preview.into))
        swept.append(len(preview.accounts))
    step_ms = bench.median_ms(drag_step, repeat=60)
    bench.record(f"drag preview step + measures, 100k / 50 (sweeping {min(swept)}-{max(swept)} accounts)",
                 step_ms, "ms", 16)
    bench.record("  of which the drag preview alone",
                 bench.median_ms(lambda: drag_preview(regions, border, tuple(grab), next(path), scenario.assignment,
                                                      no_locks), repeat=60), "ms")

    x0, y0, x1, y1 = area.bounds
    extent = (x0, y0, x0 + max(x1 - x0, y1 - y0), y0 + max(x1 - x0, y1 - y0))
    bench.record("potential heat grid 512 x 512, 100k accounts",
                 bench.median_ms(lambda: density_grid(accounts.x, accounts.y, accounts.potential, extent,
                                                      (extent[2] - extent[0]) / 512), repeat=15), "ms", 30)
