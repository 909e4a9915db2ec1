"""After go-live in the real window, on the demo at 20,000 accounts with four quarters of actuals (about 80,000
rows), a realignment at Q3 and a holdout: the KPIs dock's recomputation and redraw (what follows every edit while it
is open), colouring the map by a KPI, and the holdout cohorts tab (a bootstrap of every account), each timed to
the end of the repaint that follows.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication

from desktop_planner.io.demo import build_demo_plan
from desktop_planner.io.demo_actuals import add_demo_actuals
from desktop_planner.store.project import ProjectFile
from tests.benchmarks.windows import bench_window

ACCOUNTS, TERRITORIES = 20_000, 25
KPI_TARGET_MS, COLOUR_TARGET_MS, COHORT_TARGET_MS = 500.0, 300.0, 2000.0


def _repainted(window) -> None:
    QApplication.processEvents()
    window.grab()


def run(bench) -> None:
    def build(path) -> None:
        ProjectFile.create(path, build_demo_plan(ACCOUNTS, TERRITORIES, seed=1)).close()
        started = time.perf_counter()
        add_demo_actuals(path, seed=1)
        bench.record(f"go-live: generate 4 quarters of actuals, realignment and holdout ({ACCOUNTS:,} accounts)",
                     (time.perf_counter() - started) * 1000, target=None)

    with bench_window(build=build) as (window, _path):
        _repainted(window)
        _measure(bench, window)


def _measure(bench, window) -> None:
    dock = window.kpi_dock
    dock.show()
    _repainted(window)

    def recompute() -> None:
        dock.refresh()
        _repainted(window)

    recompute()
    bench.record("go-live: KPIs dock recomputed and redrawn (8 charts, table) incl. repaint",
                 bench.median_ms(recompute, repeat=5), target=KPI_TARGET_MS)
    kpis = iter(range(10**9))
    choices = [dock.colour_by.findData("quota_attainment"), dock.colour_by.findData("coverage_accounts")]

    def colour() -> None:
        dock.colour_by.setCurrentIndex(choices[next(kpis) % 2])
        dock.colour_by.activated.emit(dock.colour_by.currentIndex())
        _repainted(window)

    bench.record("go-live: colour the map by another KPI incl. repaint", bench.median_ms(colour, repeat=7),
                 target=COLOUR_TARGET_MS)

    def cohorts() -> None:
        dock._cohorts_for = None
        dock.tabs.setCurrentIndex(2)
        dock._show_cohorts()
        _repainted(window)

    bench.record("go-live: holdout cohorts tab (1,000 bootstrap resamples) incl. repaint",
                 bench.median_ms(cohorts, repeat=3), target=COHORT_TARGET_MS)
