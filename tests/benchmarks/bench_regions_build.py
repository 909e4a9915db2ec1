"""Territory regions after a project opens: the build in its child process step by step, then the real window
(bench_e2e's opening measure) on a fresh copy of the project (nothing cached) and on the same file opened again
(the study area and the account graph cached in it by the first opening).

100k accounts / 50 territories; E2E_1M=1 for 1M / 200 (add REGIONS_STEPS_ONLY=1 to skip the window).
"""

from __future__ import annotations

import os
import pickle
import time

from PySide6.QtWidgets import QApplication

from desktop_planner.core.region_cells import account_pieces, build_region_map
from desktop_planner.core.regions import RegionMap
from desktop_planner.store.derived_cache import FileCache
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.map import regions_controller
from desktop_planner.ui.map.regions_layer import geometry_path
from tests.benchmarks import bench_e2e
from tests.benchmarks.projects import bench_project
from tests.benchmarks.windows import bench_window

LARGE = os.environ.get("E2E_1M") == "1"
N_ACCOUNTS, N_TERRITORIES = (1_000_000, 200) if LARGE else (100_000, 50)
SIZE = "1M / 200" if LARGE else "100k / 50"


def run(bench) -> None:
    _measure_steps(bench)
    if os.environ.get("REGIONS_STEPS_ONLY") != "1":
        _measure_window(bench)


def _measure_steps(bench) -> None:
    path = bench_project(N_ACCOUNTS, N_TERRITORIES)
    with ProjectFile.open(path) as project:
        plan = project.load_plan()
    accounts, scenario = plan.accounts, plan.active
    tids, assignment = scenario.territory_ids(), scenario.assignment
    timings = {}

    def timed(name, fn):
        start = time.perf_counter()
        value = fn()
        timings[name] = (time.perf_counter() - start) * 1000
        return value

    region_map = timed("spots", lambda: RegionMap.of_xy(accounts.x, accounts.y))
    timed("study area and cells (two threads)", region_map.prepare)
    timed("merge per territory", lambda: region_map.build(tids, assignment))
    timed("borders", region_map.borders)
    timed("label points", region_map.label_points)
    payload = timed("pickle for the window", lambda: pickle.dumps(region_map, protocol=pickle.HIGHEST_PROTOCOL))
    timed("unpickle in the window", lambda: pickle.loads(payload))
    timed("paths (GUI thread)", lambda: {t: geometry_path(r) for t, r in region_map.regions.items()})
    total = sum(v for k, v in timings.items() if k not in ("paths (GUI thread)", "unpickle in the window"))
    bench.record(f"regions build in the child, {SIZE}, nothing cached", total)
    print("     " + " | ".join(f"{k} {v:.0f}" for k, v in timings.items())
          + f" | payload {len(payload) / 1e6:.1f} MB", flush=True)

    cache = FileCache(path, accounts.ids, accounts.lon, accounts.lat)
    columns = accounts.ids, accounts.lon, accounts.lat
    build_region_map(accounts.x, accounts.y, None, tids, assignment, cache, None, columns)  # fills cache.pending
    with ProjectFile.open(path) as project:
        for entry in cache.pending:
            project.store_derived(*entry)
    cached = FileCache(path, accounts.ids, accounts.lon, accounts.lat)
    start = time.perf_counter()
    build_region_map(accounts.x, accounts.y, None, tids, assignment, cached, None, columns)
    bench.record(f"regions build in the child, {SIZE}, study area and cells cached",
                 (time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    account_pieces(accounts.ids, accounts.lon, accounts.lat, tids, assignment, None)
    bench.record(f"pieces in the second child, {SIZE}, account graph not cached",
                 (time.perf_counter() - start) * 1000)


def _measure_window(bench) -> None:
    marks = {}
    controller = regions_controller.RegionsController
    original_rebuild, original_built, original_found = controller._rebuild, controller._built, controller._pieces_found

    def rebuild(controller):
        marks["build start"] = time.perf_counter()
        original_rebuild(controller)

    def built(controller, *args):
        marks.setdefault("build end", time.perf_counter())
        original_built(controller, *args)
    def found(controller, *args):
        marks.setdefault("pieces", time.perf_counter())
        original_found(controller, *args)
    controller._rebuild, controller._built, controller._pieces_found = rebuild, built, found
    try:
        with bench_window(N_ACCOUNTS, N_TERRITORIES, load=False) as (window, path):
            for label in ("fresh copy, nothing cached", "the same file again (study area, graph cached)"):
                print(f"   open: {label}", flush=True)
                marks.clear()
                probe = bench_e2e.Probe(window)
                try:
                    bench_e2e._measure_open(bench, window, path, probe)  # noqa: SLF001
                finally:
                    probe.restore()
                regions = window.view_options.regions
                while regions.is_checking():
                    QApplication.processEvents()
                    time.sleep(0.002)
                if "build end" in marks:
                    print(f"     regions process: {(marks['build end'] - marks['build start']) * 1000:.0f} ms from "
                          f"the build's start to its result in the window (the process starts "
                          f"{regions_controller.START_DELAY_MS} ms after it)", flush=True)
                if "pieces" in marks:
                    print(f"     split territories flagged {(marks['pieces'] - marks['build start']) * 1000:.0f} ms "
                          f"after the build's start", flush=True)

    finally:
        controller._rebuild, controller._built, controller._pieces_found = original_rebuild, original_built, \
            original_found

