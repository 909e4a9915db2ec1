"""Dialogs that edit territories. Each returns one command (or None when the user cancels); the caller runs
it through the History, so every edit is undoable and saved like a gesture."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QColorDialog, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QInputDialog,
                               QLabel, QLineEdit, QMessageBox, QVBoxLayout, QWidget)

from desktop_planner.core.commands import AddTerritory, Command, DeleteTerritory, EditTerritory
from desktop_planner.core.model import Plan, Territory
from desktop_planner.core.palette import territory_palette

PICK_ON_MAP = "pick"  # edit_home's answer when the user wants to click the home on the map


def unused_color(plan: Plan) -> str:
    """The first palette colour no territory of the active scenario uses yet."""
    used = {t.color for t in plan.active.territories.values()}
    palette = territory_palette(len(used) + 8)
    return next(c for c in palette if c not in used)


def unused_name(plan: Plan) -> str:
    names = {t.name for t in plan.active.territories.values()}
    return next(f"Territory {i}" for i in range(len(names) + 1, len(names) + 1000) if f"Territory {i}" not in names)


def _ask_text(parent: QWidget, title: str, label: str, value: str) -> str | None:
    text, ok = QInputDialog.getText(parent, title, label, QLineEdit.Normal, value)
    return text.strip() if ok else None


def add_territory(parent: QWidget, plan: Plan) -> Command | None:
    name = _ask_text(parent, "Add territory", "Name of the new territory:", unused_name(plan))
    if not name:
        return None
    territory = Territory(id=plan.next_territory_id(), name=name, color=unused_color(plan))
    return AddTerritory(plan.active.id, territory)


def rename_territory(parent: QWidget, plan: Plan, territory: Territory) -> Command | None:
    name = _ask_text(parent, "Rename territory", f"New name for {territory.name}:", territory.name)
    if not name or name == territory.name:
        return None
    return EditTerritory(plan.active.id, territory.id, name=name)


def recolour_territory(parent: QWidget, plan: Plan, territory: Territory) -> Command | None:
    initial = QColor(territory.color or "#888888")
    color = QColorDialog.getColor(initial, parent, f"Colour of {territory.name}")
    if not color.isValid() or color.name() == (territory.color or "").lower():
        return None
    return EditTerritory(plan.active.id, territory.id, color=color.name())


def set_rep_name(parent: QWidget, plan: Plan, territory: Territory) -> Command | None:
    name = _ask_text(parent, "Sales rep", f"Rep of {territory.name} (empty for none):", territory.rep_name or "")
    if name is None or name == (territory.rep_name or ""):
        return None
    return EditTerritory(plan.active.id, territory.id, rep_name=name or None)


def set_capacity(parent: QWidget, plan: Plan, territory: Territory) -> Command | None:
    hours, ok = QInputDialog.getDouble(
        parent, "Capacity", f"Workload capacity of {territory.name} in hours a year\n"
        "(0 = none: the target is an equal share of the total):", territory.capacity_hours or 0.0, 0.0, 1e6, 0)
    if not ok:
        return None
    capacity = hours if hours > 0 else None
    if capacity == territory.capacity_hours:
        return None
    return EditTerritory(plan.active.id, territory.id, capacity_hours=capacity)


def delete_territory(parent: QWidget, plan: Plan, territory: Territory) -> Command | None:
    members = int((plan.active.assignment == territory.id).sum())
    answer = QMessageBox.question(
        parent, "Delete territory",
        f"Delete {territory.name}? Its {members:,} accounts become unassigned.\n(Edit ▸ Undo brings it back.)",
        QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
    if answer != QMessageBox.Yes:
        return None
    return DeleteTerritory(plan.active.id, territory.id)


class HomeDialog(QDialog):
    """Typed longitude/latitude, or a request to pick the home on the map, or clearing it."""

    def __init__(self, parent: QWidget, territory: Territory) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Home of {territory.name}")
        self.choice: str | None = None
        self.lon = QDoubleSpinBox(self)
        self.lat = QDoubleSpinBox(self)
        for box, limit, value in ((self.lon, 180.0, territory.home_lon), (self.lat, 90.0, territory.home_lat)):
            box.setRange(-limit, limit)
            box.setDecimals(5)
            box.setValue(value if value is not None else 0.0)
        form = QFormLayout()
        form.addRow("Longitude", self.lon)
        form.addRow("Latitude", self.lat)
        hint = "" if territory.has_home else "No home set: travel is measured from the territory's centre.\n"
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.addButton("Pick on map", QDialogButtonBox.ActionRole).clicked.connect(lambda: self._done("pick"))
        buttons.addButton("No home", QDialogButtonBox.ResetRole).clicked.connect(lambda: self._done("clear"))
        buttons.accepted.connect(lambda: self._done("set"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(hint + "Type the rep's home, or pick it on the map.", self))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _done(self, choice: str) -> None:
        self.choice = choice
        self.accept()


def edit_home(parent: QWidget, plan: Plan, territory: Territory) -> Command | str | None:
    """An EditTerritory for a typed or cleared home, PICK_ON_MAP, or None."""
    dialog = HomeDialog(parent, territory)
    if dialog.exec() != QDialog.Accepted or dialog.choice is None:
        return None
    if dialog.choice == "pick":
        return PICK_ON_MAP
    if dialog.choice == "clear":
        return EditTerritory(plan.active.id, territory.id, home_lon=None, home_lat=None)
    return EditTerritory(plan.active.id, territory.id, home_lon=dialog.lon.value(), home_lat=dialog.lat.value())
