"""The project's travel and workload settings (DESIGN.md, "Measures"): stops a day, circuity, speed, the balance
tolerance, the visit defaults (per project and per segment), the overnight limit and flights.

The dialog shows the current values and checks every edit against the same rules as the project file
(Settings.validate): a value that cannot be used is named under the form and OK stays disabled until it is
fixed. OK applies the changed values as ONE SetSettings command, so a single undo restores them all.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from desktop_planner.core.commands import SetSettings
from desktop_planner.core.settings import Settings

# field, label, suffix, decimals, step, tooltip
FIELDS = (
    ("stops_per_day", "Stops a day", "", 1, 0.5, "Visits a rep makes in one day; the trip from home is shared by them"),
    ("circuity", "Circuity", " × straight line", 2, 0.05, "Road kilometres per straight-line kilometre"),
    ("speed_kmh", "Average speed", " km/h", 0, 5, "Average driving speed, stops excluded"),
    ("tolerance", "Balance tolerance", " %", 1, 1, "A territory is in balance within this deviation from target"),
    ("default_visits_per_year", "Visits a year", "", 1, 1, "Default for accounts without their own figure or segment"),
    ("default_visit_minutes", "Minutes a visit", " min", 0, 5, "Default for accounts without their own figure or segment"),
    ("overnight_km", "Overnight beyond", " road km", 0, 10,
     "One-way road distance (straight line × circuity) beyond which a visit is an overnight trip: its drive is "
     "charged as if at this distance and a night away is counted"),
    ("night_hours", "Hours per night away", " h", 1, 0.5, "Working hours charged per night away (0: counted only)"),
    ("flight_km", "Fly beyond", " km straight line", 0, 50,
     "Straight-line distance beyond which a visit is flown; visits across open water (Hawaii, Alaska, "
     "Puerto Rico) are flown at any distance"),
    ("flight_hours", "Hours per flown visit", " h", 1, 0.5, "Travel hours of one flown visit, instead of driving"),
)
PERCENT_FIELDS = ("tolerance",)  # shown in percent, stored as a fraction


class SettingsDialog(QDialog):
    def __init__(self, parent, settings: Settings, segments: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Travel and workload settings")
        self.settings = settings
        self.boxes: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout()
        for name, label, suffix, decimals, step, tip in FIELDS:
            box = QDoubleSpinBox(self)
            box.setRange(0.0, 100_000.0)  # the rules below, not the box, say what is allowed, and say why
            box.setDecimals(decimals)
            box.setSingleStep(step)
            box.setSuffix(suffix)
            box.setToolTip(tip)
            value = getattr(settings, name)
            box.setValue(value * 100 if name in PERCENT_FIELDS else value)
            box.valueChanged.connect(self._check)
            form.addRow(label, box)
            self.boxes[name] = box
        self._shown = {name: box.value() for name, box in self.boxes.items()}  # rounded to the box's decimals

        names = sorted(set(segments) | set(settings.segment_visits_per_year) | set(settings.segment_visit_minutes))
        self.segments = QTableWidget(len(names), 3, self)
        self.segments.setHorizontalHeaderLabels(["Segment", "Visits a year", "Minutes a visit"])
        self.segments.verticalHeader().setVisible(False)
        self.segments.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        for row, segment in enumerate(names):
            name_item = QTableWidgetItem(segment)
            name_item.setFlags(name_item.flags() & ~Qt.ItemIsEditable)
            self.segments.setItem(row, 0, name_item)
            for column, table in ((1, settings.segment_visits_per_year), (2, settings.segment_visit_minutes)):
                value = table.get(segment)
                self.segments.setItem(row, column, QTableWidgetItem("" if value is None else f"{value:.10g}"))
        self.segments.itemChanged.connect(self._check)

        self.error = QLabel(self)
        self.error.setStyleSheet("color: #a01c1c;")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Per segment (blank: the defaults above)", self))
        layout.addWidget(self.segments)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._check()

    def changes(self) -> dict:
        """The settings that differ from the current ones; raises ValueError naming a value that cannot be used."""
        # A value left alone keeps its stored precision, which the box may have rounded for display.
        values = {name: (box.value() / 100 if name in PERCENT_FIELDS else box.value())
                  if box.value() != self._shown[name] else getattr(self.settings, name)
                  for name, box in self.boxes.items()}
        values["segment_visits_per_year"] = self._segment_column(1, "visits a year")
        values["segment_visit_minutes"] = self._segment_column(2, "minutes a visit")
        replace(self.settings, **values)  # Settings.validate: the project file's own rules
        return {name: value for name, value in values.items() if value != getattr(self.settings, name)}

    def _segment_column(self, column: int, what: str) -> dict[str, float]:
        values = {}
        for row in range(self.segments.rowCount()):
            segment, text = self.segments.item(row, 0).text(), self.segments.item(row, column).text().strip()
            if not text:
                continue
            try:
                value = float(text.replace(",", "."))
            except ValueError:
                raise ValueError(f"{segment}: {what} must be a number, not {text!r}") from None
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{segment}: {what} must be a positive number, not {text!r}")
            values[segment] = value
        return values

    def command(self) -> SetSettings | None:
        """ONE command for every changed value, or None when nothing changed."""
        changes = self.changes()
        return SetSettings(**changes) if changes else None

    def _check(self, *_args) -> None:
        try:
            self.changes()
        except ValueError as exc:
            self.error.setText(str(exc).replace("setting ", "", 1))
            self.error.setVisible(True)
            self.buttons.button(QDialogButtonBox.Ok).setEnabled(False)
            return
        self.error.setVisible(False)
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(True)


def edit_settings(window) -> None:
    """Show the dialog for the window's project and apply what it changed."""
    plan = window.session.plan
    segments = [str(s) for s in np.unique(np.array([s for s in plan.accounts.segment if s], dtype=object))]
    dialog = SettingsDialog(window, plan.settings, segments)
    if dialog.exec() == QDialog.Accepted:
        command = dialog.command()
        if command is not None:
            window.controller.do(command)
