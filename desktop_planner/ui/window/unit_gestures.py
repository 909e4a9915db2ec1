"""Gestures that pick geography units (issue 12): the preview of giving the units under a stroke to the active
territory (the units recoloured, their accounts with them, the panel's figures), and on release one AssignUnits
command, one undo step. A click, or Ctrl, selects the units' accounts and says what the unit holds.

With a unit layer, accounts moved by hand (unit picking off) become named exceptions where they leave their
unit's territory, and stop being ones where they return to it, in the same undo step: otherwise the next move of
their unit would silently take them back."""

from __future__ import annotations

import numpy as np

from desktop_planner.core.commands import (AssignUnits, Command, Composite, Reassign, SetExceptions,
                                           movable_accounts, preview_assignment)
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.units import NOT_PLACED, accounts_following, unit_targets


class UnitGestures:
    def __init__(self, controller) -> None:
        self.c = controller

    def _state(self):
        return self.c.plan.units

    def preview(self, units: np.ndarray) -> None:
        c = self.c
        plan, scenario = c.plan, c.plan.active
        state = self._state()
        territory = state.of(plan, scenario).territory.copy()
        territory[units] = c.active
        rows = accounts_following(state, plan, scenario, units)
        assignment = preview_assignment(plan, scenario, rows, c.active)
        c.panel.show_measures(c.session.engine.measures(assignment=assignment), c._territories, c._colors,
                              preview=True)
        c.map.set_preview(assignment)
        c.map.units.set_preview(territory)

    def finish(self, units: np.ndarray, action: str, select_only: bool) -> None:
        c = self.c
        plan, scenario = c.plan, c.plan.active
        state = self._state()
        if action == "click" or select_only or c.active is None:
            c.set_selection(np.flatnonzero(np.isin(state.unit_of_rows(plan), units)).astype(np.int64))
            if c._previewed is not None:
                c._show_committed()
            if len(units):
                c.message.emit(self.describe(units))
            if c.active is None and action != "click" and not select_only:
                c.message.emit("Choose a territory in the panel to give it units.")
            return
        target = scenario.territories[c.active]
        current = state.of(plan, scenario).territory[units]
        rows = accounts_following(state, plan, scenario, units)
        if not len(units) or ((current == c.active).all() and (scenario.assignment[rows] == c.active).all()):
            c.message.emit(f"Nothing to change: those units are already in {target.name}.")
            if c._previewed is not None:
                c._show_committed()
            return
        layer = state.layer
        label = (f"Assign {layer.ids[units[0]]} {layer.names[units[0]]} to {target.name}" if len(units) == 1
                 else f"Assign {len(units):,} units to {target.name}")
        command = AssignUnits(scenario.id, units, c.active, label=label, action=action)
        if c.do(command):
            kept = [f"{n:,} {what} kept" for n, what in ((command.kept_exceptions, "named exceptions"),
                                                         (command.kept_locked, "locked accounts")) if n]
            c.message.emit(f"{label}: {command.moved:,} accounts moved" + (f", {', '.join(kept)}" if kept else "")
                           + ". Ctrl+Z undoes it.")
        elif c._previewed is not None:
            c._show_committed()

    def describe(self, units: np.ndarray) -> str:
        """What the picked units are: for one, its id, name, territory and accounts."""
        c = self.c
        plan, scenario = c.plan, c.plan.active
        state = self._state()
        layer = state.layer
        counts = np.bincount(np.maximum(state.unit_of_rows(plan), 0)[state.unit_of_rows(plan) >= 0],
                             minlength=len(layer))
        if len(units) == 1:
            u = int(units[0])
            tid = int(state.of(plan, scenario).territory[u])
            where = "no territory" if tid == UNASSIGNED else scenario.territories[tid].name
            n = int(counts[u])
            return f"{layer.ids[u]} {layer.names[u]}: {n:,} account{'' if n == 1 else 's'}, {where}"
        return f"{len(units):,} units selected: {int(counts[units].sum()):,} accounts"

    def account_command(self, rows: np.ndarray, territory_id: int, action: str) -> Command:
        """Reassign the accounts, marking as exceptions those that leave their unit's territory (and unmarking
        those that go back to it)."""
        c = self.c
        plan, scenario = c.plan, c.plan.active
        state = self._state()
        moving = movable_accounts(plan, scenario, rows, territory_id)
        label = Reassign(scenario.id, rows, territory_id, action=action).describe(scenario, len(moving))
        reassign = Reassign(scenario.id, rows, territory_id, action=action, label=label)
        placed = moving[state.unit_of_rows(plan)[moving] != NOT_PLACED]
        flags = unit_targets(state, plan, scenario)[placed] != territory_id
        was = state.exception_rows(plan, scenario)[placed]
        if not (flags != was).any():
            return reassign
        return Composite([reassign, SetExceptions(scenario.id, placed, flags)], label, action)
