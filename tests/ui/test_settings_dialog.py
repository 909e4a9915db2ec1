"""The travel and workload settings dialog: current values shown, bad values named inline, ONE SetSettings."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.dialogs import settings_dialog
from desktop_planner.ui.dialogs.settings_dialog import SettingsDialog
from tests.ui.windows import WEST, window  # noqa: F401


def travel_of(win, territory_id: int) -> float:
    m = win.panel.displayed()
    return float(m.values["travel_hours"][list(m.territory_ids).index(territory_id)])


def segment_row(dialog: SettingsDialog, name: str) -> int:
    return next(r for r in range(dialog.segments.rowCount()) if dialog.segments.item(r, 0).text() == name)


def test_the_dialog_shows_the_current_settings(window):
    settings = window.session.plan.settings
    dialog = SettingsDialog(window, settings, ["Enterprise", "SMB"])
    assert dialog.boxes["stops_per_day"].value() == settings.stops_per_day
    assert dialog.boxes["circuity"].value() == pytest.approx(settings.circuity)
    assert dialog.boxes["speed_kmh"].value() == settings.speed_kmh
    assert dialog.boxes["tolerance"].value() == pytest.approx(settings.tolerance * 100)
    row = segment_row(dialog, "Enterprise")
    assert float(dialog.segments.item(row, 1).text()) == settings.segment_visits_per_year["Enterprise"]
    assert dialog.command() is None  # nothing changed, nothing to undo


def test_bad_values_are_named_inline_and_block_ok(window):
    dialog = SettingsDialog(window, window.session.plan.settings, ["SMB"])
    ok = dialog.buttons.button(QDialogButtonBox.Ok)
    dialog.boxes["speed_kmh"].setValue(0)
    assert not ok.isEnabled() and "speed_kmh" in dialog.error.text()
    dialog.boxes["speed_kmh"].setValue(50)
    assert ok.isEnabled() and dialog.error.isHidden()
    dialog.segments.item(segment_row(dialog, "SMB"), 2).setText("half an hour")
    assert not ok.isEnabled() and "SMB" in dialog.error.text() and "half an hour" in dialog.error.text()


def test_applying_is_one_undoable_set_settings_and_the_figures_follow(window, monkeypatch):
    plan = window.session.plan
    before_travel = travel_of(window, WEST)
    steps = len(window.session.history.undo_labels())

    def edit_and_accept(dialog):
        dialog.boxes["stops_per_day"].setValue(3)
        dialog.boxes["speed_kmh"].setValue(45)
        dialog.boxes["tolerance"].setValue(7.5)
        dialog.segments.item(segment_row(dialog, "SMB"), 1).setText("4")
        return QDialog.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", edit_and_accept)
    window.named_actions["settings"].trigger()
    settings = plan.settings
    assert (settings.stops_per_day, settings.speed_kmh, settings.tolerance) == (3, 45, pytest.approx(0.075))
    assert settings.segment_visits_per_year["SMB"] == 4
    assert settings.circuity == 1.3  # untouched
    assert len(window.session.history.undo_labels()) == steps + 1
    assert travel_of(window, WEST) > before_travel  # fewer stops, slower: more travel
    with ProjectFile.open(window.session.project.path) as saved:
        assert saved.load_plan().settings.stops_per_day == 3  # in the project file, not only on screen
    window.controller.undo()
    assert (plan.settings.stops_per_day, plan.settings.speed_kmh, plan.settings.tolerance) == (5, 60, 0.10)
    assert travel_of(window, WEST) == pytest.approx(before_travel)


def test_cancel_changes_nothing(window, monkeypatch):
    steps = len(window.session.history.undo_labels())
    monkeypatch.setattr(SettingsDialog, "exec", lambda dialog: QDialog.Rejected)
    settings_dialog.edit_settings(window)
    assert len(window.session.history.undo_labels()) == steps


def test_overnight_and_flight_settings_are_edited_and_checked(window):
    settings = window.session.plan.settings
    dialog = SettingsDialog(window, settings, ["SMB"])
    assert dialog.boxes["overnight_km"].value() == settings.overnight_km == 250.0
    assert dialog.boxes["flight_km"].value() == settings.flight_km
    assert dialog.boxes["flight_hours"].value() == settings.flight_hours
    dialog.boxes["overnight_km"].setValue(0)
    assert not dialog.buttons.button(QDialogButtonBox.Ok).isEnabled() and "overnight_km" in dialog.error.text()
    dialog.boxes["overnight_km"].setValue(300)
    dialog.boxes["night_hours"].setValue(2)
    command = dialog.command()
    assert command.changes == {"overnight_km": 300.0, "night_hours": 2.0}
    window.controller.do(command)
    assert (window.session.plan.settings.overnight_km, window.session.plan.settings.night_hours) == (300.0, 2.0)
