"""The docks that review a plan: the History (audit trail), territory locks, regions, coverage."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop_planner.core.commands import EditTerritory, Reassign
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.rollup import region_rollup
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.panel.balance_panel import swatch
from desktop_planner.ui.review.history_dock import fetch_changes
from tests.conftest import make_plan
from tests.ui.windows import shown_window

pytestmark = pytest.mark.usefixtures("messages")  # every message box is captured


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "plan.tplan"
    ProjectFile.create(path, make_plan(200, 4, seed=5, unassigned=3)).close()
    return path


@pytest.fixture
def window(qtbot, path):
    return shown_window(qtbot, path)


def test_an_undo_is_a_change_of_its_own_in_the_audit_trail(window, qtbot, path):
    plan = window.session.plan
    s = plan.active
    target = list(s.territories)[1]
    moved = np.flatnonzero(s.assignment == list(s.territories)[0])[:4]
    window.controller.do(Reassign(s.id, moved, target, action="lasso"))
    window.named_actions["undo"].trigger()
    rows = fetch_changes(window.session.project.conn, s.id, "")
    assert [r[2] for r in rows] == ["undo"] * 4 + ["lasso"] * 4  # newest first
    assert len({r[1] for r in rows}) == 2, "the undo is a step of its own"
    assert {r[4] for r in rows[:4]} == {"T2"} and {r[5] for r in rows[:4]} == {"T1"}  # it moves them back

    dock = window.history_dock
    dock.show()
    qtbot.waitUntil(lambda: dock.model.rowCount() == 8)
    assert dock.model.data(dock.model.index(0, 2)) == "undo"
    assert dock.model.data(dock.model.index(0, 0), Qt.FontRole).italic()

    account = plan.accounts.external_id[moved[0]]
    dock.filter.setText(account)
    qtbot.waitUntil(lambda: dock.model.rowCount() == 2)
    dock.table.doubleClicked.emit(dock.model.index(0, 3))  # shows the account on the map
    assert window.controller.selection.tolist() == [moved[0]]
    dock.filter.setText("T2")
    qtbot.waitUntil(lambda: dock.model.rowCount() == 8)
    dock.filter.setText("no such thing")
    qtbot.waitUntil(lambda: dock.model.rowCount() == 0)

    window.close()  # the trail is in the file: a new session shows it
    again = shown_window(qtbot, path)
    again.history_dock.show()
    qtbot.waitUntil(lambda: again.history_dock.model.rowCount() == 8)


def test_a_locked_territory_shows_and_holds(window):
    plan = window.session.plan
    s = plan.active
    first, second = list(s.territories)[:2]
    window.controller.set_active(first)
    window.named_actions["territory_lock"].trigger()
    assert s.territories[first].locked and window.named_actions["territory_lock"].isChecked()
    model = window.panel.model
    assert model.data(model.index(0, 0), Qt.DecorationRole) is swatch(window.controller._colors[0], True)
    members = s.assignment == first
    assert (window.map._dots._locked_rows == (s.locked | members)).all()

    window.controller.set_active(second)
    before = s.assignment.copy()
    window.map.gestureFinished.emit(np.flatnonzero(members)[:10], "lasso", False)  # out of a locked territory
    assert (s.assignment == before).all()
    window.controller.set_active(first)
    window.map.gestureFinished.emit(np.flatnonzero(s.assignment == second)[:10], "lasso", False)  # into it
    assert (s.assignment == before).all()

    window.named_actions["territory_lock"].trigger()
    assert not s.territories[first].locked
    assert (window.map._dots._locked_rows == s.locked).all()


def test_regions_roll_up_and_colour_the_map(window, qtbot):
    plan = window.session.plan
    s = plan.active
    ids = list(s.territories)
    for tid, region in zip(ids, ("North", "North", "South", "South")):
        window.controller.do(EditTerritory(s.id, tid, region=region))
    dock = window.region_view
    dock.show()
    qtbot.waitUntil(lambda: dock.table.rowCount() == 2)
    rollup = {r.region: r for r in region_rollup(s, window.session.engine.measures())}
    assert dock.table.item(0, 0).text() == "North"
    assert dock.table.item(0, 2).text() == f"{rollup['North'].values['accounts']:,.0f}"

    dock.colour_action.setChecked(True)
    colours = window.map._dots._colors
    assert colours[ids[0]] == colours[ids[1]] != colours[ids[2]] == colours[ids[3]]
    assert [name for name, _ in window.map._legend.entries()] == ["North", "South"]
    window.map.selectionPreview.emit(np.flatnonzero(s.assignment == ids[0])[:5])  # a preview keeps the scheme
    assert window.map._dots._colors == colours
    dock.colour_action.setChecked(False)
    assert len(set(window.map._dots._colors.values())) == 4


def test_coverage_lists_and_zooms_to_an_account(window, qtbot):
    plan = window.session.plan
    s = plan.active
    far_row = int(np.flatnonzero(s.assignment == list(s.territories)[0])[0])
    window.controller.do(Reassign(s.id, [far_row], list(s.territories)[1], action="click"))
    dock = window.coverage_dock
    dock.show()
    qtbot.waitUntil(lambda: dock.unassigned.rowCount() == 3)
    assert dock.tabs.tabText(0) == "Unassigned (3)"
    row = dock.unassigned.item(0, 0).data(Qt.UserRole)
    assert s.assignment[row] == UNASSIGNED
    dock.unassigned.cellClicked.emit(0, 0)
    assert window.controller.selection.tolist() == [row]
    x0, y0, x1, y1 = window.map.view_range_mercator()
    assert x0 < plan.accounts.x[row] < x1 and y0 < plan.accounts.y[row] < y1
    assert x1 - x0 <= 25_000 * 1.01 or y1 - y0 <= 25_000 * 1.01

    window.controller.do(Reassign(s.id, np.flatnonzero(s.assignment == UNASSIGNED), list(s.territories)[0]))
    qtbot.waitUntil(lambda: dock.unassigned.rowCount() == 0)
    outliers = [dock.outliers.item(i, 0).data(Qt.UserRole) for i in range(dock.outliers.rowCount())]
    assert far_row in outliers  # a Columbus account now in the Cleveland territory
