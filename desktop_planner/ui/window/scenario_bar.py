"""The scenario bar: which scenario the map and panel show, and the commands that make and edit scenarios.

Switching is a view choice (`GestureController.switch_scenario`), not an undo step, so it is instant and never
fills the undo history. Creating, duplicating, renaming, annotating and deleting are each one undoable command
from core.scenario_commands, saved like any edit. The bar's actions also fill the Scenario menu, where the
compare, report and workshop views add theirs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QInputDialog, QLabel, QLineEdit,
                               QMenu, QMessageBox, QPlainTextEdit, QToolBar, QToolButton)

from desktop_planner.core.events import ScenariosChanged, ScenarioSwitched
from desktop_planner.core.model import Plan
from desktop_planner.core.scenario_commands import AddScenario, DeleteScenario, EditScenario, copy_scenario


def unique_name(plan: Plan, base: str) -> str:
    """`base`, or `base 2`, `base 3`... whichever no scenario has yet."""
    names = {s.name for s in plan.scenarios.values()}
    if base not in names:
        return base
    return next(f"{base} {i}" for i in range(2, len(names) + 3) if f"{base} {i}" not in names)



def fill_scenario_combo(combo: QComboBox, plan: Plan, current: int, notes: bool = False) -> None:
    """Every scenario of the plan in `combo` (data: its id; with `notes`, its notes as the item's tooltip),
    `current` chosen, without emitting the combo's signals (a refill is not the user's choice)."""
    blocked = combo.blockSignals(True)
    combo.clear()
    for scenario in plan.scenarios.values():
        combo.addItem(scenario.name, scenario.id)
        if notes:
            combo.setItemData(combo.count() - 1, scenario.notes or "", Qt.ToolTipRole)
    combo.setCurrentIndex(combo.findData(current))
    combo.blockSignals(blocked)

class NewScenarioDialog(QDialog):
    """Name and notes of a new scenario."""

    def __init__(self, parent, name: str, notes: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("New scenario")
        self.name = QLineEdit(name, self)
        self.notes = QPlainTextEdit(notes, self)
        self.notes.setPlaceholderText("What this scenario tries, who asked for it…")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QFormLayout(self)
        layout.addRow("Name", self.name)
        layout.addRow("Notes", self.notes)
        layout.addRow(buttons)
        self.name.selectAll()


class ScenarioBar(QToolBar):
    def __init__(self, window) -> None:
        super().__init__("Scenarios", window)
        self.setObjectName("scenarios")
        self.window_ = window
        self.previous_id: int | None = None  # the scenario shown before the current one (Ctrl+Tab goes back)
        self._shown: int | None = None
        self._unsubscribe = None
        self.combo = QComboBox(self)
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.combo.setMinimumContentsLength(16)
        self.combo.activated.connect(lambda index: self.switch_to(self.combo.itemData(index)))
        self.addWidget(QLabel(" Scenario ", self))
        self.addWidget(self.combo)

        self.menu = QMenu("&Scenario", window)
        self.actions_by_key: dict[str, QAction] = {}
        for key, text, slot, shortcut, tip in (
                ("new", "&New from current…", self.create_from_current, "Ctrl+Shift+N",
                 "Copy the scenario shown into a new one and work on the copy"),
                ("duplicate", "&Duplicate", self.duplicate, None,
                 "Keep a copy of the scenario shown as it is now, and go on working on this one"),
                ("rename", "&Rename…", self.rename, None, "Rename the scenario shown"),
                ("notes", "N&otes…", self.edit_notes, None, "Notes of the scenario shown"),
                ("delete", "De&lete…", self.delete, None, "Delete the scenario shown (undo brings it back)"),
                ("previous", "Switch to &previous scenario", self.switch_to_previous, "Ctrl+Tab",
                 "Back to the scenario shown before this one")):
            action = QAction(text, window)
            action.setStatusTip(tip)
            action.setToolTip(tip)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            window.addAction(action)  # the shortcut works wherever the focus is
            self.menu.addAction(action)
            self.actions_by_key[key] = action
        self.menu.addSeparator()
        # The tool row is already long: the bar shows the chooser and "New", the rest is one click away.
        self.actions_by_key["new"].setIconText("New…")
        self.addAction(self.actions_by_key["new"])
        more = QToolButton(self)
        more.setText("More")
        more.setMenu(self.menu)
        more.setPopupMode(QToolButton.InstantPopup)
        more.setToolTip("Duplicate, rename, notes, delete, compare, change report")
        self.addWidget(more)
        window.menuBar().insertMenu(window.menus["view"].menuAction(), self.menu)
        window.sessionChanged.connect(self.attach)

    # -- following the plan ----------------------------------------------------------------------------------
    def attach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        plan = self.window_.session.plan
        self._unsubscribe = plan.events.subscribe(self._on_event)
        self.previous_id, self._shown = None, plan.active_scenario_id
        self.refresh()

    def _on_event(self, event) -> None:
        if isinstance(event, ScenarioSwitched):
            if event.scenario_id != self._shown:
                self.previous_id, self._shown = self._shown, event.scenario_id
            self.refresh()
        elif isinstance(event, ScenariosChanged):
            self.refresh()

    def refresh(self) -> None:
        plan = self.window_.session.plan
        fill_scenario_combo(self.combo, plan, plan.active_scenario_id, notes=True)
        self.combo.setToolTip(plan.active.notes or "No notes (Scenario > Notes…)")
        several = len(plan.scenarios) > 1
        self.actions_by_key["delete"].setEnabled(several)
        self.actions_by_key["previous"].setEnabled(self.previous_id in plan.scenarios)

    # -- actions -------------------------------------------------------------------------------------------
    @property
    def plan(self) -> Plan:
        return self.window_.session.plan

    def switch_to(self, scenario_id: int | None) -> None:
        if scenario_id is not None and self.window_.controller is not None:
            self.window_.controller.switch_scenario(int(scenario_id))

    def switch_to_previous(self) -> None:
        if self.previous_id in self.plan.scenarios:
            self.switch_to(self.previous_id)

    def add_copy(self, name: str, notes: str | None = None, switch: bool = False) -> int | None:
        """Copy the scenario shown as `name` (one undoable step); returns the new id, None if refused."""
        scenario = copy_scenario(self.plan, self.plan.active, name, notes)
        if not self.window_.controller.do(AddScenario(scenario)):
            return None
        if switch:
            self.switch_to(scenario.id)
        return scenario.id

    def create_from_current(self) -> None:
        current = self.plan.active
        dialog = NewScenarioDialog(self.window_, unique_name(self.plan, f"{current.name} – alternative"),
                                   f"Based on “{current.name}”.")
        if dialog.exec() == QDialog.Accepted:
            self.add_copy(dialog.name.text().strip(), dialog.notes.toPlainText().strip() or None, switch=True)

    def duplicate(self) -> None:
        current = self.plan.active
        if self.add_copy(unique_name(self.plan, f"{current.name} (copy)"), current.notes) is not None:
            self.window_.statusBar().showMessage(f"Kept a copy of “{current.name}”; still working on it.", 6000)

    def rename(self) -> None:
        current = self.plan.active
        name, ok = QInputDialog.getText(self.window_, "Rename scenario", "Name", text=current.name)
        if ok and name.strip() and name.strip() != current.name:
            self.window_.controller.do(EditScenario(current.id, name=name.strip()))

    def edit_notes(self) -> None:
        current = self.plan.active
        notes, ok = QInputDialog.getMultiLineText(self.window_, "Scenario notes", f"Notes on “{current.name}”",
                                                  current.notes or "")
        if ok and notes != (current.notes or ""):
            self.window_.controller.do(EditScenario(current.id, notes=notes))

    def delete(self) -> None:
        plan = self.plan
        current = plan.active
        if len(plan.scenarios) < 2:
            self.window_.show_error("A project keeps at least one scenario.")
            return
        answer = QMessageBox.question(
            self.window_, "Delete scenario",
            f"Delete scenario “{current.name}” with its territories and assignment?\n\nUndo brings it back.",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        if answer != QMessageBox.Yes:
            return
        # The scenario shown cannot be deleted: show the one it was based on (or the one before) first.
        others = [sid for sid in plan.scenarios if sid != current.id]
        fallback = next((sid for sid in (current.based_on, self.previous_id) if sid in others), others[0])
        self.switch_to(fallback)
        self.window_.controller.do(DeleteScenario(current.id))


def install(window) -> ScenarioBar:
    bar = ScenarioBar(window)
    window.addToolBar(bar)
    return bar
