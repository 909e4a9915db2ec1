"""Scenarios at 100k accounts and 50 territories: switching between two, and comparing them, in the real window.

The second scenario is a copy of the first in which a tenth of the accounts moved (as an auto-balance might
move them). Switching is timed with the redraw of map and panel that follows it; comparing with the compare
dock's table, summary and the moves drawn on the map.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication

from desktop_planner.core.commands import SetAssignment
from tests.benchmarks.windows import bench_window

SWITCH_TARGET_MS, COMPARE_TARGET_MS = 200.0, 500.0
MOVED_SHARE = 0.10


def run(bench) -> None:
    with bench_window(100_000, 50) as (window, _):
        _measure(bench, window)


def _measure(bench, window) -> None:
    plan, controller = window.session.plan, window.controller
    first = plan.active_scenario_id
    second = window.scenario_bar.add_copy("Proposal", switch=True)
    rng = np.random.default_rng(1)
    rows = np.sort(rng.choice(len(plan.accounts), int(MOVED_SHARE * len(plan.accounts)), replace=False))
    territories = plan.active.territory_ids()
    controller.do(SetAssignment(second, rows, rng.choice(territories, len(rows)), label="Rebalance"))
    pair = iter(range(10**9))

    def switch() -> None:
        controller.switch_scenario(first if next(pair) % 2 == 0 else second)
        QApplication.processEvents()

    switch(), switch()  # both scenarios' measures computed once, as after a first look at each
    bench.record("scenarios: switch between two 100k-account scenarios incl. redraw",
                 bench.median_ms(switch, repeat=11), target=SWITCH_TARGET_MS)

    controller.switch_scenario(second)
    dock = window.compare_view
    dock.show()
    QApplication.processEvents()
    dock.set_baseline(first)

    def compare() -> None:
        dock.compare_now()
        QApplication.processEvents()

    bench.record("scenarios: compare them (table, summary, moves on the map) incl. repaint",
                 bench.median_ms(compare, repeat=7), target=COMPARE_TARGET_MS)
    assert dock.comparison.accounts_moved > 0.8 * len(rows)  # a few moves land in the territory they left
