"""The one History through which every user change goes: do, undo, redo, each persisted before it returns.

The History knows no SQL. It hands every applied command's effects to a `PersistenceSink` (the store
implements it with one SQLite transaction per call). If persisting fails, the in-memory change is rolled back
with the inverse, so the plan and the file never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from desktop_planner.core.commands import Command, Effect
from desktop_planner.core.model import Plan


class PersistenceSink(Protocol):
    def commit(self, plan: Plan, effects: list[Effect], action: str, label: str) -> None:
        """Write the effects durably in one transaction, or raise and write nothing."""


class NullSink:
    """For plans that live only in memory (tests, previews, the optimizer's scratch copies)."""

    def commit(self, plan: Plan, effects: list[Effect], action: str, label: str) -> None:
        return None


@dataclass
class _Step:
    command: Command  # what redo applies
    inverse: Command  # what undo applies
    label: str


class History:
    def __init__(self, plan: Plan, sink: PersistenceSink | None = None, limit: int = 500) -> None:
        self.plan = plan
        self.sink = sink or NullSink()
        self.limit = limit
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        self._listeners: list[Callable[[], None]] = []

    # -- queries -----------------------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_labels(self) -> list[str]:
        """Labels of the undoable steps, most recent first (for the Edit menu)."""
        return [step.label for step in reversed(self._undo)]

    def redo_labels(self) -> list[str]:
        return [step.label for step in reversed(self._redo)]

    def peek(self, undo: bool = True) -> Command | None:
        """The command the next undo (or redo) would apply, so that a view can prepare for it: a step that
        deletes the scenario on screen needs the view to show another one first."""
        steps = self._undo if undo else self._redo
        if not steps:
            return None
        return steps[-1].inverse if undo else steps[-1].command

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    # -- changes -----------------------------------------------------------------------------------------
    def do(self, command: Command) -> None:
        applied = command.apply(self.plan)
        self._persist(applied.effects, command.action, command.label, rollback=applied.inverse)
        self._undo.append(_Step(command, applied.inverse, command.label))
        del self._undo[:-self.limit]
        self._redo.clear()
        self._notify()

    def undo(self) -> bool:
        if not self._undo:
            return False
        step = self._undo.pop()
        try:
            applied = step.inverse.apply(self.plan)
            self._persist(applied.effects, "undo", step.label, rollback=applied.inverse)
        except Exception:
            self._undo.append(step)
            raise
        # Redo re-applies the inverse's inverse: it restores exactly what the original command produced.
        self._redo.append(_Step(applied.inverse, step.inverse, step.label))
        self._notify()
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        step = self._redo.pop()
        try:
            applied = step.command.apply(self.plan)
            self._persist(applied.effects, "redo", step.label, rollback=applied.inverse)
        except Exception:
            self._redo.append(step)
            raise
        self._undo.append(_Step(step.command, applied.inverse, step.label))
        self._notify()
        return True

    def forget_redo(self) -> None:
        """Drop the redo steps: a change made elsewhere (another history of the same file) came after them."""
        if self._redo:
            self._redo.clear()
            self._notify()

    def clear(self) -> None:
        """Forget the steps (after switching project); nothing in the plan changes."""
        self._undo.clear()
        self._redo.clear()
        self._notify()

    def _persist(self, effects: list[Effect], action: str, label: str, rollback: Command) -> None:
        if not effects:
            return
        try:
            self.sink.commit(self.plan, effects, action, label)
        except Exception:
            rollback.apply(self.plan)
            raise

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()
