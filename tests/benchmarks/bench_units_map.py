"""Geography units in the real window (issue 12): the ~30k approximate US ZIP areas of a 20k-account, 50-territory
contiguous-US demo (`units --layer us-zip --all-states`), drawn in the shown MainWindow (offscreen, 1600x1000).

- open: from the project shown to the units drawn (their shapes are built in a child process);
- repaint of the whole map with every ZIP area in view: the unit pictures drawn anew (what a zoom costs), and
  blitted (what every other repaint costs); target 16 ms for the first;
- pan: a real mouse drag with the Select tool, each move until painted; zoom: real wheel steps until painted;
- lasso release over ~5,000 ZIP areas (zoomed on the Northeast), from the mouse release to the repaint; target
  50 ms; and its steps.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop_planner.cli import main as cli
from desktop_planner.ui.app import ensure_app
from desktop_planner.ui.window.main_window import MainWindow
from tests.benchmarks.bench_e2e import Probe, Step, _breakdown, _idle, _ring, _stroke
from tests.benchmarks.projects import CACHE, bench_project

ACCOUNTS, TERRITORIES = 20_000, 50
REPAINT_TARGET_MS = 16.0
RELEASE_TARGET_MS = 50.0
LASSO_UNITS = 5_000
LASSO_RADIUS_PX = 140


def units_project() -> Path:
    """A working copy of the demo with the US ZIP areas set (built once, kept beside the other bench projects)."""
    pristine = CACHE / f"units_zip_{ACCOUNTS}_{TERRITORIES}.tplan"
    if not pristine.exists():
        print("   (setting the us-zip layer once)", flush=True)
        built = bench_project(ACCOUNTS, TERRITORIES)
        assert cli(["units", str(built), "--layer", "us-zip", "--all-states"]) == 0
        built.replace(pristine)
    copy = Path(tempfile.mkdtemp(prefix="desktop_planner_bench_units_")) / pristine.name
    copy.write_bytes(pristine.read_bytes())
    return copy


def _wait(condition, timeout: float = 300.0) -> float:
    start = time.perf_counter()
    while not condition():
        QApplication.processEvents()
        time.sleep(0.002)
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the window never got there")
    return (time.perf_counter() - start) * 1000


def _repaint_ms(window, fresh: bool) -> float:
    units = window.map.units
    viewport = window.map.viewport()
    if fresh:
        units.fills.redraw_all()
        units.borders.redraw_all()
    start = time.perf_counter()
    viewport.repaint()
    return (time.perf_counter() - start) * 1000


def _wheel(viewport, point: QPoint, steps: int) -> None:
    event = QWheelEvent(QPointF(point), QPointF(viewport.mapToGlobal(point)), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, event)


def run(bench) -> None:
    ensure_app()
    path = units_project()
    with tempfile.TemporaryDirectory() as folder:
        QSettings.setDefaultFormat(QSettings.IniFormat)
        QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, folder)
        window = MainWindow()
        window.resize(1600, 1000)
        window.show()
        start = time.perf_counter()
        window.load_project(path)
        units = window.view_options.units
        _wait(lambda: units.shapes is not None and not window.view_options.regions.is_building())
        bench.record(f"units: open to {len(units.shapes):,} ZIP areas drawn", (time.perf_counter() - start) * 1000)
        try:
            _measure(bench, window)
        finally:
            window.close()


def _measure(bench, window) -> None:
    viewport = window.map.viewport()
    shapes = window.view_options.units.shapes
    window.map.fit_to_accounts()
    _idle(0.2)
    in_view = len(shapes.units_in(*window.map.view_range_mercator()))
    fresh = [_repaint_ms(window, True) for _ in range(7)]
    blits = [_repaint_ms(window, False) for _ in range(7)]
    bench.record(f"units: map repaint, {in_view:,} ZIP areas in view, pictures drawn anew",
                 statistics.median(fresh), target=REPAINT_TARGET_MS)
    bench.record("units: map repaint, unit pictures blitted", statistics.median(blits))
    # A planner mostly works on a region: the Northeast's ZIP areas fill the view.
    x, y = np.array([-80.6, -66.9]), np.array([39.6, 47.5])
    from desktop_planner.core.geo import lonlat_to_mercator
    (x0, x1), (y0, y1) = lonlat_to_mercator(x, y)
    window.map.show_area(x0, y0, x1, y1)
    _idle(0.2)
    in_view = len(shapes.units_in(*window.map.view_range_mercator()))
    fresh = [_repaint_ms(window, True) for _ in range(7)]
    bench.record(f"units: map repaint, the Northeast ({in_view:,} ZIP areas in view), drawn anew",
                 statistics.median(fresh), target=REPAINT_TARGET_MS)
    window.map.fit_to_accounts()
    _idle(0.2)

    probe = Probe(window)
    probe.attach_session()
    probe.wrap(window.map.units.fills, "paint", "  unit fills")
    probe.wrap(window.map.units.borders, "paint", "  unit borders")
    probe.wrap(window.map.units, "set_preview", "units.set_preview")
    probe.wrap(window.map.units, "set_territories", "units.set_territories", after=lambda: probe.mark("committed"))
    window.map.view_box.sigTransformChanged.connect(lambda *_: probe.mark("moved"))
    step = Step(probe)
    window.named_actions["tool_select"].trigger()
    centre = QPoint(viewport.width() // 2, viewport.height() // 2)
    QTest.mouseMove(viewport, centre)
    _idle(0.02)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    for i in range(1, 21):
        _idle(0.012)
        moved = centre + QPoint(12 * i, 4 * i)
        step(lambda p=moved: QTest.mouseMove(viewport, p), lambda: probe.marks.get("moved"))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(240, 80))
    pans = [s["busy"] for s in step.samples[2:]]
    bench.record(f"units: pan step (mouse move to painted, median of {len(pans)})", statistics.median(pans),
                 target=REPAINT_TARGET_MS)
    _breakdown(step.samples[2:], ("map paint",))

    zooms = Step(probe)
    for _ in range(6):
        _idle(0.05)
        zooms(lambda: _wheel(viewport, centre, 1), lambda: probe.marks.get("moved"))
    bench.record("units: wheel zoom step to painted (median of 6)", statistics.median(s["busy"] for s in zooms.samples))
    _breakdown(zooms.samples, ("map paint",))
    _measure_lasso(bench, window, probe)


def _measure_lasso(bench, window, probe) -> None:
    """Zoom on the Northeast so that a ring of LASSO_RADIUS_PX holds about LASSO_UNITS ZIP areas, then lasso them."""
    viewport = window.map.viewport()
    shapes = window.view_options.units.shapes
    plan = window.session.plan
    # Around New York City, the view half-width that puts ~LASSO_UNITS inside the ring.
    cx, cy = shapes.points[int(np.argmin(np.hypot(shapes.points[:, 0] + 8_236_000, shapes.points[:, 1] - 4_970_000)))]
    distance = np.sort(np.hypot(shapes.points[:, 0] - cx, shapes.points[:, 1] - cy))
    radius_m = distance[min(LASSO_UNITS, len(distance) - 1)]
    metres_per_pixel = radius_m / LASSO_RADIUS_PX
    half_w, half_h = viewport.width() / 2 * metres_per_pixel, viewport.height() / 2 * metres_per_pixel
    window.map.show_area(cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    _idle(0.3)
    centre = window.map.map_to_viewport(cx, cy)
    units_now = plan.units.of(plan, plan.active).territory.copy()  # commands change the stored one in place
    inside = np.hypot(shapes.points[:, 0] - cx, shapes.points[:, 1] - cy) < radius_m
    ids, counts = np.unique(units_now[inside], return_counts=True)
    window.controller.set_active(int(ids[np.argsort(counts)[-2]]))  # the second largest there: many units change
    window.named_actions["tool_lasso"].trigger()
    steps, releases = Step(probe), Step(probe)
    ring = _ring(centre, LASSO_RADIUS_PX, 61)
    for _ in range(3):
        _stroke(probe, viewport, ring, steps, "previewed")
        releases(lambda: QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                                            ring[-1]),
                 lambda: probe.marks.get("committed"))
        picked = int(np.count_nonzero(plan.units.of(plan, plan.active).territory != units_now))
        window.controller.undo()
        _idle(0.1)
    samples = [s for s in steps.samples if "measures" in s] or steps.samples
    bench.record(f"units: lasso step over ZIP areas (busy, median of {len(samples)})",
                 statistics.median(s["busy"] for s in samples), target=REPAINT_TARGET_MS)
    _breakdown(samples, ("hit test", "measures", "panel"))
    bench.record(f"units: lasso release, {int(inside.sum()):,} ZIP areas in the ring ({picked:,} change), to "
                 f"repainted", statistics.median(s["wall"] for s in releases.samples), target=RELEASE_TARGET_MS)
    _breakdown(releases.samples, ("command (apply, glue)", "save (SQLite)", "measures", "panel"))
