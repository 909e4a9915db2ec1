"""The main window end to end: gestures become commands, the panel follows, undo restores, bad files are refused.

Gestures are scripted by emitting the map's signals with known account indices, which is exactly what the map
does at the end of a real stroke.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QColorDialog, QDialog, QFileDialog, QInputDialog, QMessageBox, QProgressDialog, 
                               QPushButton)

from desktop_planner.core.commands import preview_assignment
from desktop_planner.core.measures import MeasureEngine, capacity_shares
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.window import main_window as main_window_module
from desktop_planner.ui.panel.balance_panel import COLUMNS, DEVIATION_COLUMN, format_number, format_percent
from desktop_planner.ui.window.main_window import MainWindow
from desktop_planner.ui.dialogs.territory_dialogs import HomeDialog
from tests.conftest import make_plan
from tests.ui.windows import shown_window


@pytest.fixture
def window(qtbot, tmp_path, messages):
    path = tmp_path / "plan.tplan"
    return shown_window(qtbot, path, make_plan(200, 4, seed=5))


def plan_of(win):
    return win.session.plan


def activate(win, row: int) -> int:
    win.panel.table.selectRow(row)
    return win.controller.active


def outside(win, territory_id: int, count: int) -> np.ndarray:
    return np.flatnonzero(plan_of(win).active.assignment != territory_id)[:count]


def assert_panel_shows(win, measures):
    model, measure = win.panel.model, win.panel.measure
    for row in range(model.rowCount()):
        for column, spec in enumerate(COLUMNS):
            shown = model.data(model.index(row, column)).split(" (")[0]  # a preview's change follows, "(+12)"
            if spec.measure:
                assert shown == format_number(measures.values[spec.measure][row]), (row, spec.title)
        deviation = model.data(model.index(row, DEVIATION_COLUMN)).split(" (")[0]
        assert deviation == format_percent(measures.deviations[measure][row])


def assert_map_shows(win, assignment):
    """Each dot is drawn in its territory's colour under this assignment."""
    colours = win.controller.color_map()
    expected = np.array([int(colours[t].lstrip("#"), 16) | 0xFF000000 for t in assignment.tolist()], dtype=np.uint32)
    np.testing.assert_array_equal(win.map._dots.row_colors(), expected)


def test_lasso_moves_exactly_those_accounts_and_panel_follows(window, qtbot):
    plan = plan_of(window)
    target = activate(window, 1)
    before = plan.active.assignment.copy()
    hit = outside(window, target, 25)

    window.map.selectionPreview.emit(hit)
    expected_preview = MeasureEngine(plan).measures(assignment=preview_assignment(plan, plan.active, hit, target))
    assert_panel_shows(window, expected_preview)
    assert window.panel.preview_label.isVisibleTo(window.panel)
    assert (before == plan.active.assignment).all(), "a preview must not change the plan"

    window.map.gestureFinished.emit(hit, "lasso", False)
    assert window.statusBar().currentMessage() == "Lasso 25 accounts to " + \
        plan.active.territories[target].name + ". Ctrl+Z undoes it."  # what happened, in words
    after = plan.active.assignment
    assert (after[hit] == target).all()
    untouched = np.setdiff1d(np.arange(len(after)), hit)
    assert (after[untouched] == before[untouched]).all()
    assert_panel_shows(window, MeasureEngine(plan).measures())
    assert not window.panel.preview_label.isVisibleTo(window.panel)
    with ProjectFile.open(window.session.project.path) as stored:  # committed to the file at once
        assert (stored.load_plan().active.assignment == after).all()

    assert window.named_actions["undo"].text().startswith("&Undo Lasso 25 accounts")
    assert_map_shows(window, after)
    window.named_actions["undo"].trigger()
    assert window.statusBar().currentMessage() == "Undone: Lasso 25 accounts to " + \
        plan.active.territories[target].name
    assert (plan.active.assignment == before).all()
    assert_panel_shows(window, MeasureEngine(plan).measures())
    assert_map_shows(window, before)  # the undo changed the plan's array in place: the dots follow all the same
    window.named_actions["redo"].trigger()
    assert (plan.active.assignment[hit] == target).all()
    assert_map_shows(window, plan.active.assignment)


def test_rectangle_stroke_on_the_real_map(window, qtbot):
    """The map's own gesture API, end to end: its preview reaches the panel, its release moves the accounts."""
    plan = plan_of(window)
    target = activate(window, 0)
    before = plan.active.assignment.copy()
    x, y = plan.accounts.x, plan.accounts.y
    (x0, x1), (y0, y1) = np.percentile(x, [10, 70]), np.percentile(y, [10, 70])
    strictly_inside = np.flatnonzero((x > x0) & (x < x1) & (y > y0) & (y < y1))
    window.map.set_tool("rect")
    window.map.tools.begin(QPointF(x0, y0))
    window.map.tools.move(QPointF(x1, y1))
    qtbot.waitUntil(lambda: window.panel.preview_label.isVisibleTo(window.panel))
    window.map.tools.finish(QPointF(x1, y1))
    moved = np.flatnonzero(plan.active.assignment != before)
    assert set(moved) == set(strictly_inside[before[strictly_inside] != target])
    assert not window.panel.preview_label.isVisibleTo(window.panel)
    assert_panel_shows(window, MeasureEngine(plan).measures())


def test_preview_ends_when_the_stroke_is_cancelled(window):
    target = activate(window, 0)
    window.map.selectionPreview.emit(outside(window, target, 10))
    window.map.selectionPreview.emit(np.zeros(0, dtype=np.int64))
    assert not window.panel.preview_label.isVisibleTo(window.panel)
    assert_panel_shows(window, MeasureEngine(plan_of(window)).measures())


def test_paint_assigns_and_click_only_selects(window):
    plan = plan_of(window)
    target = activate(window, 2)
    stroke = outside(window, target, 12)
    window.map.gestureFinished.emit(stroke, "paint", False)
    assert (plan.active.assignment[stroke] == target).all()
    assert window.session.history.undo_labels()[0].startswith("Paint 12 accounts")

    before = plan.active.assignment.copy()
    clicked = outside(window, target, 1)
    window.map.gestureFinished.emit(clicked, "click", False)
    assert (plan.active.assignment == before).all()
    assert window.controller.selection.tolist() == clicked.tolist()
    assert window.status_labels["selected"].text() == "1 selected"


def test_ctrl_lasso_selects_without_moving(window):
    plan = plan_of(window)
    before = plan.active.assignment.copy()
    hit = outside(window, activate(window, 0), 8)
    window.map.gestureFinished.emit(hit, "lasso", True)
    assert (plan.active.assignment == before).all()
    assert sorted(window.controller.selection.tolist()) == sorted(hit.tolist())


def test_locked_accounts_do_not_move(window):
    plan = plan_of(window)
    target = activate(window, 3)
    hit = outside(window, target, 20)
    window.map.gestureFinished.emit(hit[:5], "lasso", True)
    window.named_actions["lock"].trigger()
    assert plan.active.locked[hit[:5]].all()
    before = plan.active.assignment.copy()
    window.map.gestureFinished.emit(hit, "lasso", False)
    assert (plan.active.assignment[hit[:5]] == before[hit[:5]]).all()
    assert (plan.active.assignment[hit[5:]] == target).all()
    window.named_actions["undo"].trigger()
    window.named_actions["undo"].trigger()
    assert not plan.active.locked.any()


def test_delete_key_changes_nothing(window, qtbot):
    plan = plan_of(window)
    window.map.gestureFinished.emit(np.arange(10), "lasso", True)
    state = plan.copy_assignment_state()
    for widget in (window, window.map, window.panel.table):
        qtbot.keyClick(widget, Qt.Key_Delete)
    after = plan.copy_assignment_state()[1]
    assert (after[0] == state[1][0]).all() and after[2] == state[1][2]
    assert not window.session.history.can_undo


def test_tool_and_brush_shortcuts(window, qtbot):
    window.activateWindow()
    for key, tool in ((Qt.Key_R, "rect"), (Qt.Key_P, "paint"), (Qt.Key_S, "select"), (Qt.Key_L, "lasso")):
        qtbot.keyClick(window, key)
        assert window.map.tool() == tool
    radius = window.brush_radius
    qtbot.keyClick(window, Qt.Key_BracketRight)
    assert window.brush_radius > radius


def test_undo_redo_and_lock_keys(window, qtbot):
    plan = plan_of(window)
    window.activateWindow()
    hit = outside(window, activate(window, 1), 6)
    before = plan.active.assignment.copy()
    window.map.gestureFinished.emit(hit, "lasso", False)
    after = plan.active.assignment.copy()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert (plan.active.assignment == before).all()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert (plan.active.assignment == after).all()
    window.map.gestureFinished.emit(hit[:2], "click", False)
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    assert plan.active.locked[hit[:2]].all() and window.map.tool() == main_window_module.DEFAULT_TOOL
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier | Qt.ShiftModifier)
    assert not plan.active.locked.any()


def test_status_bar_names_hovered_account_and_active_territory(window):
    plan = plan_of(window)
    tid = activate(window, 2)
    window.map.hoverChanged.emit(7)
    assert plan.accounts.name[7] in window.status_labels["hover"].text()
    window.map.hoverChanged.emit(-1)
    assert window.status_labels["hover"].text() == ""
    assert window.status_labels["active"].text() == f"Active: {plan.active.territories[tid].name}"
    assert window.status_labels["accounts"].text() == "200 accounts"


def test_undo_history_menu_lists_the_steps(window):
    target = activate(window, 0)
    window.map.gestureFinished.emit(outside(window, target, 3), "lasso", False)
    window.map.gestureFinished.emit(outside(window, target, 2), "paint", False)
    window.undo_menu.aboutToShow.emit()
    labels = [a.text() for a in window.undo_menu.actions()]
    assert labels[0].startswith("Paint 2 accounts") and labels[1].startswith("Lasso 3 accounts")
    window.undo_menu.actions()[1].trigger()  # back two steps at once
    assert not window.session.history.can_undo


def test_territory_add_rename_recolour_delete_and_undo(window, monkeypatch):
    plan = plan_of(window)
    answers = iter(["North", "Northern"])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (next(answers), True))
    window.named_actions["territory_add"].trigger()
    added = plan.active.territory_by_name("North")
    assert window.controller.active == added.id and window.panel.model.rowCount() == 5

    window.named_actions["territory_rename"].trigger()
    assert plan.active.territories[added.id].name == "Northern"
    model = window.panel.model
    assert model.data(model.index(4, 0)) == "Northern"

    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#123abc"))
    window.named_actions["territory_recolour"].trigger()
    assert plan.active.territories[added.id].color == "#123abc"
    assert window.controller.color_map()[added.id] == "#123abc"

    activate(window, 0)
    first = list(plan.active.territories)[0]
    members = np.flatnonzero(plan.active.assignment == first)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    window.named_actions["territory_delete"].trigger()
    assert first not in plan.active.territories
    assert (plan.active.assignment[members] == -1).all()
    assert "Unassigned <b>" in window.panel.totals.text()

    window.named_actions["undo"].trigger()
    assert first in plan.active.territories and (plan.active.assignment[members] == first).all()
    for _ in range(3):
        window.named_actions["undo"].trigger()
    assert added.id not in plan.active.territories and window.panel.model.rowCount() == 4


def test_rep_capacity_and_typed_home(window, monkeypatch):
    plan = plan_of(window)
    tid = activate(window, 1)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Dana Reyes", True))
    window.named_actions["territory_rep"].trigger()
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (900.0, True))
    window.named_actions["territory_capacity"].trigger()

    def typed_home(dialog):
        dialog.lon.setValue(-82.5)
        dialog.lat.setValue(40.25)
        dialog.choice = "set"
        return QDialog.Accepted

    monkeypatch.setattr(HomeDialog, "exec", typed_home)
    window.named_actions["territory_home"].trigger()
    territory = plan.active.territories[tid]
    assert (territory.rep_name, territory.capacity_hours) == ("Dana Reyes", 900.0)
    assert (territory.home_lon, territory.home_lat) == (-82.5, 40.25)
    # Capacity is a share of the total workload (target = total x share), not an absolute target. One rep of
    # four has a capacity: fewer than half, so the other three are ordinary reps counting with the plan's
    # average workload (total / K), and this rep's share is 900 / (900 + 3 x total / 4).
    shown = window.panel.displayed()
    workload = shown.values["workload_hours"]
    total, k = float(workload.sum()), len(workload)
    index = shown.territory_ids.tolist().index(tid)
    capacities = np.full(k, np.nan)
    capacities[index] = 900.0
    shares = capacity_shares(capacities, total / k)
    assert shares[index] == pytest.approx(900.0 / (900.0 + (k - 1) * total / k))
    assert shown.targets["workload_hours"] == pytest.approx(total * shares)
    assert shown.utilisation[index] == pytest.approx(workload[index] / 900.0)
    others = np.arange(k) != index
    assert np.isnan(shown.utilisation[others]).all()


def test_home_picked_on_the_map(window, monkeypatch, qtbot):
    plan = plan_of(window)
    tid = activate(window, 0)

    def pick(dialog):
        dialog.choice = "pick"
        return QDialog.Accepted

    monkeypatch.setattr(HomeDialog, "exec", pick)
    window.named_actions["territory_home"].trigger()
    before = plan.active.assignment.copy()
    account = 17
    spot = window.map.map_to_viewport(plan.accounts.x[account], plan.accounts.y[account])
    qtbot.mouseClick(window.map.viewport(), Qt.LeftButton, pos=spot)
    territory = plan.active.territories[tid]
    # One pixel is at most a few hundred metres at this zoom: the home lands on the clicked spot.
    assert abs(territory.home_lon - plan.accounts.lon[account]) < 0.02
    assert abs(territory.home_lat - plan.accounts.lat[account]) < 0.02
    assert (plan.active.assignment == before).all() and not window.controller.selection.size
    assert window.session.history.undo_labels() == ["Edit territory home"]
    qtbot.mouseClick(window.map.viewport(), Qt.LeftButton, pos=spot)  # picking is over: a normal click
    assert window.controller.selection.tolist() == [account]


def test_refused_command_shows_its_message(window, monkeypatch, messages):
    plan = plan_of(window)
    second = plan.active.territories[list(plan.active.territories)[1]]
    activate(window, 0)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (second.name, True))
    window.named_actions["territory_rename"].trigger()
    assert messages and f"A territory named '{second.name}' already exists" in messages[-1]
    assert not window.session.history.can_undo


def test_bad_file_shows_the_store_message_and_keeps_the_project(window, tmp_path, messages):
    bad = tmp_path / "notes.tplan"
    bad.write_text("these are my notes, not a plan\n")
    plan = plan_of(window)
    assert not window.open_project(bad)
    assert len(messages) == 1 and "not an SQLite database" in messages[0] and "notes.tplan" in messages[0]
    assert plan_of(window) is plan and window.windowTitle().startswith("Test plan — plan.tplan")
    hit = outside(window, activate(window, 0), 3)
    window.map.gestureFinished.emit(hit, "lasso", False)  # still working
    assert window.session.history.can_undo


def test_open_recent_and_new_empty_project(window, tmp_path, monkeypatch):
    first = window.session.project.path
    empty = tmp_path / "empty.tplan"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(empty), ""))
    window.named_actions["new"].trigger()
    assert window.session.project.path == empty
    assert len(plan_of(window).accounts) == 0 and plan_of(window).active.name == "Current plan"
    assert window.panel.model.rowCount() == 0
    window.recent_menu.aboutToShow.emit()
    recent = [a.text() for a in window.recent_menu.actions()]
    assert recent == [str(empty.resolve()), str(first.resolve())]
    window.recent_menu.actions()[1].trigger()
    assert window.session.project.path == first


def test_new_demo_project_builds_off_the_gui_thread(window, tmp_path, monkeypatch, qtbot):
    target = tmp_path / "demo.tplan"

    def small(dialog):
        dialog.accounts.setValue(300)
        dialog.territories.setValue(5)
        return QDialog.Accepted

    monkeypatch.setattr(main_window_module.DemoOptionsDialog, "exec", small)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.named_actions["demo"].trigger()
    qtbot.waitUntil(lambda: window.session.project.path == target, timeout=60_000)
    assert len(plan_of(window).accounts) == 300 and window.panel.model.rowCount() == 5


def test_cancelled_demo_project_is_discarded(window, tmp_path, monkeypatch, qtbot):
    target = tmp_path / "cancelled.tplan"
    first = window.session.project.path
    monkeypatch.setattr(main_window_module.DemoOptionsDialog, "exec", lambda dialog: QDialog.Accepted)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.named_actions["demo"].trigger()
    progress = window.findChild(QProgressDialog)
    assert progress is not None and progress.isVisible()
    qtbot.mouseClick(progress.findChild(QPushButton), Qt.LeftButton)
    qtbot.waitUntil(lambda: not window._demo_jobs, timeout=60_000)
    assert window.session.project.path == first and not target.exists()


def test_export_assignments_csv(window, tmp_path, monkeypatch):
    out = tmp_path / "out.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.named_actions["export"].trigger()
    assert len(out.read_text(encoding="utf-8-sig").strip().splitlines()) == 201


def test_bad_basemap_is_reported_and_view_options_stick(window, tmp_path, monkeypatch, messages):
    bad = tmp_path / "tiles.mbtiles"
    bad.write_text("not tiles")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    window.named_actions["basemap_file"].trigger()
    assert messages and "tiles.mbtiles" in messages[-1]
    window.named_actions["basemap_none"].trigger()
    assert QSettings().value("basemap") == ""
    window.named_actions["size_by_potential"].trigger()
    window.named_actions["legend"].trigger()
    assert QSettings().value("view/size_by_potential", type=bool) is True
    assert QSettings().value("view/legend", type=bool) is False
    assert Path(QSettings().value("last_project")) == window.session.project.path.resolve()


def test_window_without_a_project_offers_only_project_commands(qtbot, messages):
    win = MainWindow()
    qtbot.addWidget(win)
    assert not any(win.named_actions[key].isEnabled() for key in ("undo", "redo", "export", "territory_add"))
    win.undo_menu.aboutToShow.emit()
    assert [a.text() for a in win.undo_menu.actions()] == ["Nothing to undo"]
    win.named_actions["cancel"].trigger()
    win.named_actions["tool_paint"].trigger()
    assert win.map.tool() == "paint" and not messages


def test_escape_ends_a_stroke_and_the_selection(window, qtbot):
    plan = plan_of(window)
    window.map.gestureFinished.emit(np.arange(4), "lasso", True)
    window.map.set_tool("lasso")
    x, y = plan.accounts.x, plan.accounts.y
    window.map.tools.begin(QPointF(x.min(), y.min()))
    assert window.map.tools.is_active()
    window.named_actions["cancel"].trigger()
    assert not window.map.tools.is_active() and not window.controller.selection.size
    assert window.map.tool() == "lasso"


def test_project_open_elsewhere_opens_read_only_and_refuses_changes(qtbot, tmp_path, monkeypatch):
    """A second instance is told who holds the project, may open it read-only, and nothing it does is saved."""
    import json

    from PySide6.QtWidgets import QMessageBox

    from desktop_planner.core.commands import Reassign
    from desktop_planner.store.instance_lock import lock_path
    from desktop_planner.store.project import ProjectFile
    from desktop_planner.ui.window.main_window import MainWindow
    from tests.conftest import make_plan
    from tests.store.test_instance_lock import hold_in_another_process

    path = tmp_path / "shared.tplan"
    ProjectFile.create(path, make_plan(n=30)).close()
    holder = hold_in_another_process(path)  # another instance, as user "ann", holding the writer lock
    try:
        asked = []
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.Yes)
        errors = []
        window = MainWindow()
        qtbot.addWidget(window)
        monkeypatch.setattr(window, "show_error", errors.append)
        assert window.open_project(path)
        assert "already open by ann" in asked[0]
        assert "(read-only)" in window.windowTitle()
        before = window.session.plan.active.assignment.copy()
        moving = [int(i) for i in (before != 2).nonzero()[0][:2]]
        assert not window.controller.do(Reassign(1, moving, 2))
        assert "read-only" in errors[0]
        assert window.session.plan.active.assignment.tolist() == before.tolist()
        window.close()
        assert json.loads(lock_path(path).read_text())["user"] == "ann"  # the other instance keeps its lock
    finally:
        holder.kill()
        holder.wait()


def test_editing_instance_holds_and_releases_the_lock(qtbot, tmp_path):
    from desktop_planner.store.instance_lock import lock_path
    from desktop_planner.store.project import ProjectFile
    from desktop_planner.ui.window.main_window import MainWindow
    from tests.conftest import make_plan

    path = tmp_path / "mine.tplan"
    ProjectFile.create(path, make_plan(n=30)).close()
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_project(path)
    assert lock_path(path).exists()
    window.close()
    assert not lock_path(path).exists()
