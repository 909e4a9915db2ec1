"""Project issue 11: the workshop readable from 3 m, the heat overlay visible over 100k dots, and the map and the
panel in step right after undoing a large reassignment."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_planner.core.commands import Reassign
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.ui.workshop import workshop_mode as workshop
from desktop_planner.ui.panel.balance_panel import COLUMNS, DEVIATION_COLUMN
from desktop_planner.ui.map.accounts_layer import argb
from desktop_planner.ui.map.heat_layer import Z as HEAT_Z
from desktop_planner.ui.map.regions_layer import FADED_OPACITY
from tests.conftest import make_plan
from tests.ui.windows import open_window
from tests.ui.test_scenarios_ui import with_proposal


@pytest.fixture
def window(qtbot, tmp_path, messages):
    plan = make_plan(3000, 12, seed=5)
    # Twelve territories with accounts: bands of longitude, so that each is one area.
    order = np.argsort(np.argsort(plan.accounts.lon))
    plan.active.assignment[:] = order * 12 // len(order) + 1
    return open_window(qtbot, tmp_path / "plan.tplan", plan)


def test_workshop_type_is_large_dev_column_shows_and_the_badge_names_the_scenario(window, qtbot):
    plan, mode, panel = window.session.plan, window.workshop, window.panel
    base, proposal, _ = with_proposal(window)
    normal_table = panel.table.font().pointSizeF()
    legend, marks = window.map.legend(), window.view_options.regions.marks
    normal_legend, normal_label = legend.font().pointSizeF(), marks.font().pointSizeF()

    area = window.map.view_range_mercator()
    mode.action.trigger()  # F11
    window.setGeometry(0, 0, 1366, 768)
    qtbot.wait(50)
    shown = window.map.view_range_mercator()  # the same territories in view, fitted into the smaller map
    slack = 0.01 * (area[2] - area[0])
    assert shown[0] <= area[0] + slack and shown[1] <= area[1] + slack
    assert shown[2] >= area[2] - slack and shown[3] >= area[3] - slack
    panel.table.ensurePolished()
    assert panel.table.font().pointSizeF() >= workshop.WORKSHOP_POINTS > normal_table
    assert legend.font().pointSizeF() >= 1.5 * normal_legend
    assert marks.font().pointSizeF() >= 1.5 * normal_label
    # Dev % is shown, and within the table's viewport (not scrolled off to the right).
    assert not panel.table.isColumnHidden(DEVIATION_COLUMN)
    x = panel.table.columnViewportPosition(DEVIATION_COLUMN)
    assert 0 <= x and x + panel.table.columnWidth(DEVIATION_COLUMN) <= panel.table.viewport().width()
    # The badge: large, and says which of A and B is on screen.
    badge = mode.badge
    assert badge.isVisibleTo(window)
    assert badge.text().strip() == f"A: {plan.scenarios[proposal].name}"
    assert badge.fontInfo().pointSizeF() >= workshop.BADGE_POINTS - 1
    mode.swap_action.trigger()  # T
    assert plan.active_scenario_id == base
    assert badge.text().strip() == f"B: {plan.scenarios[base].name}"

    mode.action.trigger()  # leave
    panel.table.ensurePolished()
    assert panel.table.font().pointSizeF() == pytest.approx(normal_table)
    assert legend.font().pointSizeF() == pytest.approx(normal_legend)
    assert marks.font().pointSizeF() == pytest.approx(normal_label)
    assert all(not panel.table.isColumnHidden(i) for i, c in enumerate(COLUMNS) if c.title != "Util %")


def test_heat_on_draws_over_the_dots_and_fades_the_region_fills(window):
    fills = window.view_options.regions.fills
    heat = window.view_options.overlays.heat
    dots_z = window.map._dots.zValue()
    assert fills.opacity() == 1.0
    window.view_options.set_heat("potential")
    assert heat.image.isVisible()
    assert heat.group.zValue() == HEAT_Z > dots_z > fills.zValue()  # over the fills and the dots
    assert fills.opacity() == pytest.approx(FADED_OPACITY)
    window.view_options.set_heat("off")
    assert fills.opacity() == 1.0


def test_right_after_undoing_a_large_reassign_dots_and_panel_show_the_plan(window, qtbot):
    plan, controller = window.session.plan, window.controller
    scenario = plan.active
    territories = list(scenario.territories)
    rows = np.flatnonzero(scenario.assignment != territories[0])
    assert controller.do(Reassign(scenario.id, rows, territories[0], action="lasso"))  # 11 territories change
    regions = window.view_options.regions
    settled = lambda: not regions._refresh_pending and not regions.is_building() and not regions.fills.is_stale()  # noqa: E731
    qtbot.waitUntil(settled, timeout=10_000)
    assert (regions._assignment == scenario.assignment).all()  # the regions show the reassignment

    window.activateWindow()
    QTest.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # Ctrl+Z, no event loop turn after it
    assert (scenario.assignment[rows] != territories[0]).any(), "the undo happened"
    colors = controller.color_map()
    expected = np.array([argb(colors[t]) for t in scenario.assignment.tolist()], dtype=np.uint32)
    assert np.array_equal(window.map._dots.row_colors(), expected)
    fresh = MeasureEngine(plan).measures()  # the active scenario's figures, computed anew
    shown = window.panel.displayed()
    assert list(shown.territory_ids) == list(fresh.territory_ids)
    for name in ("accounts", "potential", "workload_hours"):
        assert np.allclose(shown.values[name], fresh.values[name])
    assert regions.fills.is_stale()  # the old regions are dimmed until they follow
    qtbot.waitUntil(settled, timeout=10_000)  # and then they follow, no longer dimmed
    assert (regions._assignment == scenario.assignment).all()
