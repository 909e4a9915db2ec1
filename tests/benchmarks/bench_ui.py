"""Main window responsiveness at 100k accounts and 50 territories: the lasso preview and the lasso release.

The window is the real one (map, panel, History persisting to a project file), and gestures are replayed by
handing the controller known hit sets, which is what the map does when a stroke moves or ends. Each figure is
reported twice: the handling alone (what the spec times) and with the repaint that follows it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication

from tests.benchmarks.windows import bench_window

N_ACCOUNTS, N_TERRITORIES = 100_000, 50
PREVIEW_TARGET_MS, RELEASE_TARGET_MS = 16.0, 50.0
LASSO_ACCOUNTS = 2_000  # a generous lasso: a metro area's worth of accounts


def lasso_hits(plan, centre_row: int, count: int) -> np.ndarray:
    """The `count` accounts a round lasso around one account encloses (sorted by row, as the map reports)."""
    x, y = plan.accounts.x, plan.accounts.y
    distance = (x - x[centre_row]) ** 2 + (y - y[centre_row]) ** 2
    return np.sort(np.argpartition(distance, count)[:count])


def run(bench) -> None:
    with bench_window(N_ACCOUNTS, N_TERRITORIES) as (window, _):
        _measure(bench, window)


def _measure(bench, window) -> None:
    plan, controller = window.session.plan, window.controller
    hits = lasso_hits(plan, centre_row=0, count=LASSO_ACCOUNTS)
    # The active territory is one the lasso's accounts are not in, so that every hit really moves.
    target = int(next(t for t in plan.active.territories if not np.any(plan.active.assignment[hits] == t)))
    assert not plan.active.locked[hits].any()
    controller.set_active(target)
    # Two nested hit sets, alternated, as a growing stroke produces (an unchanged hit set is free).
    strokes = [hits[: len(hits) * 2 // 3], hits]
    step = iter(range(10**9))

    def preview() -> None:
        controller.update_preview(strokes[next(step) % 2])

    def preview_and_paint() -> None:
        preview()
        QApplication.processEvents()

    n = len(hits)
    bench.record(f"ui: lasso preview update, {n:,} of 100k accounts", bench.median_ms(preview, repeat=15),
                 target=PREVIEW_TARGET_MS)
    bench.record("ui: lasso preview update incl. repaint", bench.median_ms(preview_and_paint, repeat=15))

    def reset() -> None:
        controller.update_preview(np.zeros(0, dtype=np.int64))
        if window.session.history.can_undo:
            controller.undo()
        QApplication.processEvents()

    def release() -> None:
        controller.on_gesture(hits, "lasso", False)

    def release_and_paint() -> None:
        release()
        QApplication.processEvents()

    bench.record(f"ui: lasso release (command, save, measures, panel, map), {n:,} accounts",
                 bench.median_ms(release, repeat=9, setup=reset), target=RELEASE_TARGET_MS)
    bench.record("ui: lasso release incl. repaint", bench.median_ms(release_and_paint, repeat=9, setup=reset))
    assert (plan.active.assignment[hits] == target).all()
