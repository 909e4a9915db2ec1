"""The window's "Unit layer…" dialog (ui/dialogs/unit_layer_dialog.py): a built-in layer or a polygon file set as one
undo step after a child process loads it and places the accounts, errors shown in the dialog with nothing
changed, Cancel leaving everything as it was, removal, and read-only projects refused."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PySide6.QtWidgets import QDialog, QLabel

from desktop_planner.ui.dialogs.unit_layer_dialog import UnitLayerDialog, choose_unit_layer
from tests.conftest import DEMO_PROJECT
from tests.ui import balance_job_targets as targets
from tests.ui.windows import shown_window

TIMEOUT = 60_000


@pytest.fixture
def demo_path(tmp_path):
    path = tmp_path / "demo.tplan"
    shutil.copyfile(DEMO_PROJECT, path)
    return path


@pytest.fixture
def demo_window(qtbot, demo_path, isolated_settings, messages):
    return shown_window(qtbot, demo_path)


def run(qtbot, dialog: UnitLayerDialog) -> None:
    """OK, then wait for the child process to answer."""
    dialog.ok.click()
    assert dialog.job is not None, dialog.error.text()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=TIMEOUT)


def undo_steps(win) -> int:
    return len(win.session.history.undo_labels())


def write_boxes(path, columns=("CODE", "LABEL")) -> list[str]:
    """Four boxes covering the demo's accounts (the Northeast, with the sea), columns `columns` and GROUP (two
    values, each repeated); a second, coarser layer after them. The CODEs, in order."""
    boxes = [shapely.box(x, y, x + 7.5, y + 5) for x in (-81.0, -73.5) for y in (38.0, 43.0)]
    codes = [f"B{i}" for i in range(len(boxes))]
    frame = {columns[0]: codes, columns[1]: [f"Box {i}" for i in range(len(boxes))], "GROUP": ["g1", "g2"] * 2}
    gpd.GeoDataFrame(frame, geometry=boxes, crs="EPSG:4326").to_file(path, layer="boxes", driver="GPKG")
    gpd.GeoDataFrame({"ZONE": ["all"]}, geometry=[shapely.box(-81, 38, -66, 48)], crs="EPSG:4326").to_file(
        path, layer="coarse", driver="GPKG")
    return codes


def test_us_counties_through_the_dialog_are_one_undo_step_and_drawn(demo_window, qtbot, messages):
    win = demo_window
    plan = win.session.plan
    assert plan.units is None
    dialog = choose_unit_layer(win)
    assert dialog.isVisible() and dialog.remove is None  # nothing to remove yet
    assert dialog.choice() == "us-counties" and dialog.follow.isChecked() and dialog.fill.isChecked()
    assert not dialog.path.isEnabled() and dialog.all_states.isEnabled()
    steps = undo_steps(win)
    run(qtbot, dialog)
    assert plan.units is not None and plan.units.layer.kind == "us-counties"
    assert undo_steps(win) == steps + 1
    assert "Accounts placed: 5,000 of 5,000" in messages[-1] and "Not placed" not in messages[-1]
    assert "accounts moved to follow their unit's territory" in messages[-1]
    assert messages[-1] == dialog.summary
    # Accounts follow their unit: no exceptions, and every placed account is in its county's territory.
    state = plan.units
    assert state.of(plan, plan.active).exceptions.size == 0
    qtbot.waitUntil(lambda: win.view_options.units.shapes is not None, timeout=TIMEOUT)
    assert len(win.view_options.units.shapes) == len(state.layer)
    win.controller.undo()
    assert plan.units is None and undo_steps(win) == steps
    qtbot.waitUntil(lambda: win.view_options.units.shapes is None, timeout=TIMEOUT)


def test_a_geopackage_with_chosen_columns(demo_window, qtbot, tmp_path, messages):
    win = demo_window
    plan = win.session.plan
    layer_file = tmp_path / "boxes.gpkg"
    codes = write_boxes(layer_file)
    dialog = UnitLayerDialog(win)
    dialog.show()
    assert dialog.set_file(layer_file)
    assert dialog.choice() == "file" and dialog.path.isEnabled() and not dialog.all_states.isEnabled()
    assert [dialog.layer_box.itemText(i) for i in range(dialog.layer_box.count())] == ["boxes", "coarse"]
    assert dialog.columns.isRowVisible(dialog.layer_box)  # two layers: which one is a choice
    assert (dialog.id_box.currentText(), dialog.name_box.currentText()) == ("CODE", "LABEL")  # guessed
    assert [dialog.id_box.itemText(i) for i in range(dialog.id_box.count())] == ["CODE", "LABEL", "GROUP"]
    dialog.follow.setChecked(False)  # accounts stay, as named exceptions
    run(qtbot, dialog)
    layer = plan.units.layer
    assert layer.kind == "file" and layer.source == "boxes.gpkg" and sorted(layer.ids.tolist()) == codes
    assert (layer.id_column, layer.name_column) == ("CODE", "LABEL") and "Box 0" in layer.names.tolist()
    assert "Accounts placed: 5,000 of 5,000" in messages[-1] and "moved" not in messages[-1]
    assert not dialog.isVisible()


def test_another_layer_of_the_file_and_its_columns(demo_window, qtbot, tmp_path):
    layer_file = tmp_path / "boxes.gpkg"
    write_boxes(layer_file, columns=("KEY", "TITLE"))
    dialog = UnitLayerDialog(demo_window)
    dialog.show()
    assert dialog.set_file(layer_file)
    assert dialog.id_box.currentIndex() == -1 and dialog.name_box.currentText() == "TITLE"  # no id guess
    dialog.ok.click()  # refused at once: no column chosen for the ids
    assert dialog.job is None and "choose the column holding the unit ids" in dialog.error.text()
    dialog.layer_box.setCurrentText("coarse")
    dialog.layer_box.activated.emit(dialog.layer_box.currentIndex())
    assert [dialog.id_box.itemText(i) for i in range(dialog.id_box.count())] == ["ZONE"]
    dialog.id_box.setCurrentText("ZONE")
    run(qtbot, dialog)
    plan = demo_window.session.plan
    assert plan.units.layer.ids.tolist() == ["all"] and plan.units.layer.names.tolist() == ["all"]


def test_errors_are_shown_in_the_dialog_and_nothing_changes(qtbot, counties_copy, tmp_path, isolated_settings,
                                                            messages):
    win = shown_window(qtbot, counties_copy)
    plan = win.session.plan
    before, steps = plan.units, undo_steps(win)
    assert before is not None
    layer_file = tmp_path / "boxes.gpkg"
    write_boxes(layer_file)
    dialog = UnitLayerDialog(win)
    dialog.show()
    # A column whose values repeat cannot hold the unit ids: the child process says so.
    assert dialog.set_file(layer_file)
    dialog.id_box.setCurrentText("GROUP")
    run(qtbot, dialog)
    text = dialog.error.text()
    assert dialog.isVisible() and str(layer_file) in text and "repeats row 1" in text, text
    assert "UnitLayerError" not in text and "Nothing in your plan changed" in text
    assert dialog.ok.isEnabled() and dialog.path.isEnabled()  # ready for another choice
    # The file changed after its columns were listed: the chosen column is gone.
    dialog.id_box.setCurrentText("CODE")
    write_boxes(layer_file, columns=("KEY", "TITLE"))
    run(qtbot, dialog)
    assert "no column 'CODE' for the unit id (the layer has: KEY, TITLE, GROUP)" in dialog.error.text()
    # A file that is no map layer, and one that is not there: said at once, no process started.
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"this is not a GeoPackage")
    assert not dialog.set_file(junk)
    assert f"{junk}: cannot be read as a map layer" in dialog.error.text()
    assert dialog.id_box.count() == 0
    dialog.ok.click()
    assert dialog.job is None and f"{junk}: cannot be read as a map layer" in dialog.error.text()
    dialog.path.setText(str(tmp_path / "missing.gpkg"))
    dialog.ok.click()
    assert dialog.job is None and "missing.gpkg: no such file" in dialog.error.text()
    assert plan.units is before and undo_steps(win) == steps and not messages


@pytest.mark.parametrize("target", [targets.listening, targets.deaf], ids=["answers", "ended"])
def test_cancel_leaves_everything_as_it_was(demo_window, qtbot, monkeypatch, messages, target):
    """The child stops when asked (or is ended when it does not answer): the plan, the history and the map are
    as they were, and the dialog closes."""
    monkeypatch.setattr(UnitLayerDialog, "task", staticmethod(target))
    win = demo_window
    plan = win.session.plan
    assignment, steps = plan.active.assignment.copy(), undo_steps(win)
    dialog = UnitLayerDialog(win)
    dialog.show()
    dialog.ok.click()
    assert dialog.job is not None and dialog.bar.isVisible() and not dialog.ok.isEnabled()
    qtbot.waitUntil(lambda: dialog.status.text() != "Starting…", timeout=TIMEOUT)  # the child reported
    dialog.buttons.rejected.emit()  # Cancel
    qtbot.waitUntil(lambda: dialog.job is None, timeout=TIMEOUT)
    assert dialog.result() == QDialog.Rejected and not dialog.isVisible()
    assert plan.units is None and undo_steps(win) == steps and np.array_equal(plan.active.assignment, assignment)
    assert win.view_options.units.shapes is None and not messages
    assert "nothing in your plan changed" in win.statusBar().currentMessage()


def test_remove_the_unit_layer_is_one_undo_step(qtbot, counties_copy, isolated_settings, messages):
    win = shown_window(qtbot, counties_copy)
    plan = win.session.plan
    before, steps = plan.units, undo_steps(win)
    dialog = choose_unit_layer(win)
    assert dialog.remove is not None
    assert any(label.text().startswith("Now: us-counties") for label in dialog.findChildren(QLabel))
    dialog.remove.click()
    assert plan.units is None and undo_steps(win) == steps + 1
    win.controller.undo()
    assert plan.units is before


def test_a_read_only_project_is_refused(qtbot, demo_path, isolated_settings, messages):
    win = shown_window(qtbot)
    win.load_project(demo_path, read_only=True)
    assert choose_unit_layer(win) is None
    assert "read-only" in messages[-1] and win.session.plan.units is None


def test_the_view_menu_opens_the_dialog(demo_window, qtbot):
    demo_window.named_actions["unit_layer"].trigger()
    qtbot.waitUntil(lambda: any(d.isVisible() for d in demo_window.findChildren(UnitLayerDialog)), timeout=2000)
    for dialog in demo_window.findChildren(UnitLayerDialog):
        dialog.reject()
