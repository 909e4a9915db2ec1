"""Commands: every change a user makes to a plan.

`apply(plan)` changes the in-memory plan, emits the model events and returns an `Applied`: the inverse
command (applying it restores the plan exactly) and the effects, a SQL-free description of what changed that
the History hands to the persistence sink. Commands validate before they touch anything, so a refused command
(`CommandError`) leaves the plan as it was.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace

import numpy as np

from desktop_planner.core.events import (AssignmentChanged, LocksChanged, SettingsChanged, TerritoriesChanged,
                                         UnitLayerChanged, UnitsChanged)
from desktop_planner.core.model import (CODE_MAX_CHARS, CODE_PATTERN, EDITABLE_TERRITORY_FIELDS, UNASSIGNED, Plan,
                                        Scenario, Territory, territory_codes)
from desktop_planner.core.settings import Settings

COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")  # plausible, not proof: the CRM knows its users


class CommandError(ValueError):
    """A command that cannot be applied; the message is meant for the user."""


@dataclass(frozen=True)
class AssignmentEffect:
    scenario_id: int
    accounts: np.ndarray  # row indices
    before: np.ndarray  # territory ids (UNASSIGNED = -1)
    after: np.ndarray


@dataclass(frozen=True)
class LockEffect:
    scenario_id: int
    accounts: np.ndarray
    locked: np.ndarray  # bool, the new state


@dataclass(frozen=True)
class TerritoryEffect:
    """before None: the territory was added; after None: it was deleted; both: edited."""
    scenario_id: int
    before: Territory | None
    after: Territory | None


@dataclass(frozen=True)
class SettingsEffect:
    before: Settings
    after: Settings


@dataclass(frozen=True)
class IssuesEffect:
    """Rejected rows of an import (objects with row_number, raw, problem), kept with the import they belong to."""
    source: str
    issues: tuple


Effect = AssignmentEffect | LockEffect | TerritoryEffect | SettingsEffect | IssuesEffect


@dataclass
class Applied:
    inverse: "Command"
    effects: list[Effect] = field(default_factory=list)


class Command(ABC):
    label = "Change"
    action = "edit"  # the `changes.action` recorded for assignment changes

    @abstractmethod
    def apply(self, plan: Plan) -> Applied:
        """Change the plan; return the inverse and the effects."""


def _scenario(plan: Plan, scenario_id: int) -> Scenario:
    try:
        return plan.scenarios[scenario_id]
    except KeyError:
        raise CommandError(f"scenario {scenario_id} does not exist") from None


def _territory(scenario: Scenario, territory_id: int) -> Territory:
    try:
        return scenario.territories[territory_id]
    except KeyError:
        raise CommandError(f"territory {territory_id} does not exist in scenario {scenario.name!r}") from None


def _as_indices(plan: Plan, accounts) -> np.ndarray:
    idx = np.unique(np.asarray(accounts, dtype=np.int64).ravel())
    if idx.size and (idx[0] < 0 or idx[-1] >= len(plan.accounts)):
        raise CommandError("account index out of range")
    return idx


class SetAssignment(Command):
    """Put each given account into the given territory (per account). Ignores locks: it is the exact
    inverse of other commands and the result of auto-balance, which already respects locks."""

    def __init__(self, scenario_id: int, accounts, territory_ids, label: str = "Set assignment",
                 action: str = "edit") -> None:
        self.scenario_id = scenario_id
        self.accounts = np.asarray(accounts, dtype=np.int64).ravel()
        self.territory_ids = np.broadcast_to(np.asarray(territory_ids, dtype=np.int64), self.accounts.shape).copy()
        self.label = label
        self.action = action

    def apply(self, plan: Plan) -> Applied:
        scenario = _scenario(plan, self.scenario_id)
        known = np.append(scenario.territory_ids(), UNASSIGNED)
        if not np.isin(self.territory_ids, known).all():
            raise CommandError(f"unknown territory in scenario {scenario.name!r}")
        if self.accounts.size and (self.accounts.min() < 0 or self.accounts.max() >= len(plan.accounts)):
            raise CommandError("account index out of range")
        before = scenario.assignment[self.accounts].copy()
        scenario.assignment[self.accounts] = self.territory_ids
        changed = before != self.territory_ids
        inverse = SetAssignment(self.scenario_id, self.accounts, before, label=self.label, action=self.action)
        moved = self.accounts[changed]
        touched = frozenset(int(t) for t in np.unique(np.concatenate((before[changed], self.territory_ids[changed])))
                            if t != UNASSIGNED)
        if moved.size:
            plan.events.emit(AssignmentChanged(self.scenario_id, moved, touched))
        effect = AssignmentEffect(self.scenario_id, moved, before[changed], self.territory_ids[changed])
        return Applied(inverse, [effect] if moved.size else [])


def movable_accounts(plan: Plan, scenario: Scenario, accounts: np.ndarray, target: int) -> np.ndarray:
    """The subset of `accounts` a gesture may move into `target`: not locked, not in a locked territory,
    not already there."""
    current = scenario.assignment[accounts]
    ok = ~scenario.locked[accounts] & (current != target)
    locked_territories = [tid for tid, t in scenario.territories.items() if t.locked]
    if locked_territories:
        ok &= ~np.isin(current, locked_territories)
    return accounts[ok]


def preview_assignment(plan: Plan, scenario: Scenario, accounts, target: int) -> np.ndarray:
    """The assignment a Reassign would produce, without changing anything (for live previews)."""
    result = scenario.assignment.copy()
    idx = _as_indices(plan, accounts)
    if target != UNASSIGNED and scenario.territories.get(target, Territory(0, "")).locked:
        return result
    result[movable_accounts(plan, scenario, idx, target)] = target
    return result


class Reassign(Command):
    """Move accounts into one territory (or out of any, with UNASSIGNED), as a gesture does: locked accounts
    and accounts of locked territories stay where they are."""

    def __init__(self, scenario_id: int, accounts, territory_id: int, action: str = "click",
                 label: str | None = None) -> None:
        self.scenario_id = scenario_id
        self.accounts = accounts
        self.territory_id = int(territory_id)
        self.action = action
        self._label = label

    def apply(self, plan: Plan) -> Applied:
        scenario = _scenario(plan, self.scenario_id)
        if self.territory_id != UNASSIGNED:
            target = _territory(scenario, self.territory_id)
            if target.locked:
                raise CommandError(f"territory {target.name!r} is locked")
        idx = movable_accounts(plan, scenario, _as_indices(plan, self.accounts), self.territory_id)
        self.label = self._label or self.describe(scenario, len(idx))
        return SetAssignment(self.scenario_id, idx, self.territory_id, self.label, self.action).apply(plan)

    def describe(self, scenario: Scenario, count: int) -> str:
        where = "unassigned" if self.territory_id == UNASSIGNED else scenario.territories[self.territory_id].name
        noun = "account" if count == 1 else "accounts"
        verb = self.action.capitalize() if self.action not in ("edit",) else "Move"
        return f"{verb} {count} {noun} to {where}"


class SetLock(Command):
    def __init__(self, scenario_id: int, accounts, locked) -> None:
        self.scenario_id = scenario_id
        self.accounts = accounts
        self.locked = locked
        state = np.asarray(locked)
        self.label = ("Lock" if state.all() else "Unlock" if not state.any() else "Set locks") + " accounts"

    def apply(self, plan: Plan) -> Applied:
        scenario = _scenario(plan, self.scenario_id)
        idx = np.asarray(self.accounts, dtype=np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= len(plan.accounts)):
            raise CommandError("account index out of range")
        new = np.broadcast_to(np.asarray(self.locked, dtype=bool), idx.shape).copy()
        before = scenario.locked[idx].copy()
        scenario.locked[idx] = new
        inverse = SetLock(self.scenario_id, idx, before)
        inverse.label = self.label
        changed = before != new
        if changed.any():
            plan.events.emit(LocksChanged(self.scenario_id, idx[changed]))
            return Applied(inverse, [LockEffect(self.scenario_id, idx[changed], new[changed])])
        return Applied(inverse, [])


def validate_territory(scenario: Scenario, territory: Territory) -> None:
    """Raise CommandError naming the first problem with a territory's fields."""
    if not isinstance(territory.name, str) or not territory.name.strip():
        raise CommandError("a territory needs a name")
    for other in scenario.territories.values():
        if other.id != territory.id and other.name == territory.name:
            raise CommandError(f"A territory named '{territory.name}' already exists in this scenario "
                               f"({scenario.name}); choose another name.")
    if territory.color is not None and not COLOR_PATTERN.match(territory.color):
        raise CommandError(f"colour must look like #1f77b4, got {territory.color!r}")
    if territory.capacity_hours is not None and not (
            isinstance(territory.capacity_hours, (int, float)) and math.isfinite(territory.capacity_hours)
            and territory.capacity_hours > 0):
        raise CommandError(f"capacity must be a positive number of hours, got {territory.capacity_hours!r}")
    if (territory.home_lon is None) != (territory.home_lat is None):
        raise CommandError("a home needs both longitude and latitude")
    if territory.has_home:
        if not (isinstance(territory.home_lon, (int, float)) and -180 <= territory.home_lon <= 180):
            raise CommandError(f"home longitude must be between -180 and 180, got {territory.home_lon!r}")
        if not (isinstance(territory.home_lat, (int, float)) and -90 <= territory.home_lat <= 90):
            raise CommandError(f"home latitude must be between -90 and 90, got {territory.home_lat!r}")
    _validate_crm_keys(scenario, territory)


def _validate_crm_keys(scenario: Scenario, territory: Territory) -> None:
    """The code, rep id and e-mail: what the CRM matches records by, so a typo there loses the link."""
    for field, what in (("code", "territory code"), ("rep_id", "rep id"), ("rep_email", "rep e-mail")):
        value = getattr(territory, field)
        if value is not None and (not isinstance(value, str) or not value.strip() or value != value.strip()):
            raise CommandError(f"the {what} must be text without spaces at either end (or none), got {value!r}")
    if territory.rep_email is not None and not EMAIL_PATTERN.fullmatch(territory.rep_email):
        raise CommandError(f"the rep e-mail {territory.rep_email!r} does not look like an e-mail address")
    code = territory.code
    if code is None:
        return
    if not CODE_PATTERN.fullmatch(code) or len(code) > CODE_MAX_CHARS:
        raise CommandError(f"the territory code {code!r} may hold only letters A-Z, digits and underscores, at most "
                           f"{CODE_MAX_CHARS} of them (e.g. NE_07_New_York)")
    for tid, other in territory_codes(scenario).items():
        if tid != territory.id and other.casefold() == code.casefold():
            raise CommandError(f"The territory code '{code}' is already used by '{scenario.territories[tid].name}' "
                               f"in this scenario ({scenario.name}); choose another code.")


def _put_territory(scenario: Scenario, territory: Territory) -> None:
    """Insert or replace, keeping display order = territory id order (stable across save and load)."""
    scenario.territories[territory.id] = territory
    scenario.territories = dict(sorted(scenario.territories.items()))


class EditTerritory(Command):
    def __init__(self, scenario_id: int, territory_id: int, **changes) -> None:
        unknown = set(changes) - set(EDITABLE_TERRITORY_FIELDS)
        if unknown:
            raise CommandError(f"territories have no field {', '.join(sorted(unknown))}")
        self.scenario_id = scenario_id
        self.territory_id = territory_id
        self.changes = changes
        what = "home" if {"home_lon", "home_lat"} & set(changes) else ", ".join(changes) or "nothing"
        self.label = f"Edit territory {what}"

    def apply(self, plan: Plan) -> Applied:
        scenario = _scenario(plan, self.scenario_id)
        before = _territory(scenario, self.territory_id)
        after = before.with_changes(**self.changes)
        validate_territory(scenario, after)
        _put_territory(scenario, after)
        inverse = EditTerritory(self.scenario_id, self.territory_id,
                                **{k: getattr(before, k) for k in self.changes})
        inverse.label = self.label
        plan.events.emit(TerritoriesChanged(self.scenario_id, frozenset({self.territory_id})))
        return Applied(inverse, [TerritoryEffect(self.scenario_id, before, after)])


class AddTerritory(Command):
    def __init__(self, scenario_id: int, territory: Territory) -> None:
        self.scenario_id = scenario_id
        self.territory = territory
        self.label = f"Add territory {territory.name}"

    def apply(self, plan: Plan) -> Applied:
        scenario = _scenario(plan, self.scenario_id)
        if any(self.territory.id in s.territories for s in plan.scenarios.values()):
            raise CommandError(f"territory id {self.territory.id} is already used")
        validate_territory(scenario, self.territory)
        _put_territory(scenario, self.territory)
        plan.events.emit(TerritoriesChanged(self.scenario_id, frozenset({self.territory.id})))
        inverse = DeleteTerritory(self.scenario_id, self.territory.id)
        return Applied(inverse, [TerritoryEffect(self.scenario_id, None, self.territory)])


class DeleteTerritory(Command):
    """Remove a territory; its accounts become unassigned. Undo brings back the territory and its accounts."""

    def __init__(self, scenario_id: int, territory_id: int) -> None:
        self.scenario_id = scenario_id
        self.territory_id = territory_id
        self.label = "Delete territory"

    def apply(self, plan: Plan) -> Applied:
        scenario = _scenario(plan, self.scenario_id)
        territory = _territory(scenario, self.territory_id)
        if territory.locked:
            raise CommandError(f"territory {territory.name!r} is locked")
        self.label = f"Delete territory {territory.name}"
        members = np.flatnonzero(scenario.assignment == self.territory_id)
        unassigned = SetAssignment(self.scenario_id, members, UNASSIGNED, self.label, "edit").apply(plan)
        del scenario.territories[self.territory_id]
        plan.events.emit(TerritoriesChanged(self.scenario_id, frozenset({self.territory_id})))
        inverse = Composite([AddTerritory(self.scenario_id, territory), unassigned.inverse], self.label)
        return Applied(inverse, unassigned.effects + [TerritoryEffect(self.scenario_id, territory, None)])


class SetSettings(Command):
    """Change workload, travel or balance parameters (stops a day, circuity, speed, tolerance, ...)."""

    def __init__(self, **changes) -> None:
        self.changes = changes
        self.label = "Change settings: " + ", ".join(name.replace("_", " ") for name in changes)

    def apply(self, plan: Plan) -> Applied:
        before = plan.settings
        try:
            after = replace(before, **self.changes)  # __post_init__ validates
        except TypeError as exc:
            raise CommandError(f"unknown setting ({exc})") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        plan.settings = after
        plan.events.emit(SettingsChanged())
        inverse = SetSettings(**{name: getattr(before, name) for name in self.changes})
        inverse.label = self.label
        return Applied(inverse, [SettingsEffect(before, after)])


class Composite(Command):
    """Several commands as one undoable step (e.g. auto-balance, a re-import)."""

    def __init__(self, commands: list[Command], label: str, action: str | None = None) -> None:
        self.commands = commands
        self.label = label
        if action is not None:
            self.action = action
        elif commands:
            self.action = commands[0].action

    def apply(self, plan: Plan) -> Applied:
        inverses: list[Command] = []
        effects: list[Effect] = []
        try:
            for command in self.commands:
                applied = command.apply(plan)
                inverses.append(applied.inverse)
                effects.extend(applied.effects)
        except Exception:
            for inverse in reversed(inverses):  # leave the plan as it was
                inverse.apply(plan)
            raise
        return Applied(Composite(list(reversed(inverses)), self.label, self.action), effects)


class RecordIssues(Command):
    """An import command together with the rows it rejected: both are saved in one transaction, so a crash never
    keeps the import without its rejected rows. Undo takes back the import; the rejected rows stay on record
    (like the audit trail), and redo does not record them twice (it re-applies the inner command only)."""

    def __init__(self, command: Command, source: str, issues) -> None:
        self.command = command
        self.source = source
        self.issues = tuple(issues)
        self.label = command.label
        self.action = command.action

    def apply(self, plan: Plan) -> Applied:
        applied = self.command.apply(plan)
        self.label = self.command.label  # some commands name themselves when applied
        effects = list(applied.effects)
        if self.issues:
            effects.append(IssuesEffect(self.source, self.issues))
        return Applied(applied.inverse, effects)


# -- geography units (core/units.py) --------------------------------------------------------------------------------
# The unit layer is extra meaning on top of the per-account assignment: what accounts follow is still
# `Scenario.assignment`, so these commands move accounts with SetAssignment and every existing view keeps working.

@dataclass(frozen=True)
class UnitLayerEffect:
    """The active layer was set, replaced or removed (before/after: UnitState or None), written whole."""
    before: object
    after: object


@dataclass(frozen=True)
class UnitAssignmentEffect:
    scenario_id: int
    units: np.ndarray  # unit positions in the layer
    before: np.ndarray  # territory ids (UNASSIGNED = -1)
    after: np.ndarray


@dataclass(frozen=True)
class ExceptionEffect:
    scenario_id: int
    accounts: np.ndarray  # rows
    flags: np.ndarray  # bool, the new state


class SetUnitLayer(Command):
    """Make `state` (a core.units.UnitState, or None to drop the layer) the plan's active unit layer."""

    def __init__(self, state, label: str | None = None) -> None:
        self.state = state
        self.label = label or ("Remove the unit layer" if state is None else f"Set unit layer {state.layer.kind}")
        self.action = "units"

    def apply(self, plan: Plan) -> Applied:
        before = getattr(plan, "units", None)
        plan.units = self.state
        if self.state is not None:
            for scenario in plan.scenarios.values():
                self.state.of(plan, scenario)  # settle derived unit assignments now: they are written whole
        inverse = SetUnitLayer(before, self.label)
        plan.events.emit(UnitLayerChanged())
        return Applied(inverse, [UnitLayerEffect(before, self.state)])


def _units_state(plan: Plan):
    state = getattr(plan, "units", None)
    if state is None:
        raise CommandError("the project has no unit layer (set one with `desktop-planner units`)")
    return state


class SetUnitTerritories(Command):
    """Give units to territories without moving any account (the inverse half of AssignUnits)."""

    def __init__(self, scenario_id: int, units, territory_ids, label: str = "Assign units") -> None:
        self.scenario_id = scenario_id
        self.units = np.asarray(units, dtype=np.int64).ravel()
        self.territory_ids = np.broadcast_to(np.asarray(territory_ids, dtype=np.int64), self.units.shape).copy()
        self.label = label
        self.action = "units"

    def apply(self, plan: Plan) -> Applied:
        state = _units_state(plan)
        scenario = _scenario(plan, self.scenario_id)
        known = np.append(scenario.territory_ids(), UNASSIGNED)
        if not np.isin(self.territory_ids, known).all():
            raise CommandError(f"unknown territory in scenario {scenario.name!r}")
        if self.units.size and (self.units.min() < 0 or self.units.max() >= len(state.layer)):
            raise CommandError("unit index out of range")
        units = state.stored(plan, scenario)
        before = units.territory[self.units].copy()
        units.territory[self.units] = self.territory_ids
        changed = before != self.territory_ids
        inverse = SetUnitTerritories(self.scenario_id, self.units, before, self.label)
        if not changed.any():
            return Applied(inverse, [])
        plan.events.emit(UnitsChanged(self.scenario_id, self.units[changed]))
        return Applied(inverse, [UnitAssignmentEffect(self.scenario_id, self.units[changed], before[changed],
                                                      self.territory_ids[changed])])


class AssignUnits(Command):
    """Give units to territories; their accounts follow, except named exceptions and locked accounts (counted
    in `kept_exceptions` and `kept_locked` once applied)."""

    def __init__(self, scenario_id: int, units, territory_ids, label: str = "Assign units",
                 action: str = "units") -> None:
        self.scenario_id = scenario_id
        self.units = np.asarray(units, dtype=np.int64).ravel()
        self.territory_ids = np.broadcast_to(np.asarray(territory_ids, dtype=np.int64), self.units.shape).copy()
        self.label = label
        self.action = action
        self.kept_exceptions = self.kept_locked = self.moved = 0

    def apply(self, plan: Plan) -> Applied:
        state = _units_state(plan)
        scenario = _scenario(plan, self.scenario_id)
        set_units = SetUnitTerritories(self.scenario_id, self.units, self.territory_ids, self.label).apply(plan)
        try:
            unit_of = state.unit_of_rows(plan)
            target_of_unit = np.full(len(state.layer), -2, dtype=np.int64)  # -2: not among the units given
            target_of_unit[self.units] = self.territory_ids
            target = np.where(unit_of >= 0, target_of_unit[np.maximum(unit_of, 0)], -2)
            members = target != -2
            exception = state.exception_rows(plan, scenario)
            self.kept_exceptions = int((members & exception).sum())
            self.kept_locked = int((members & ~exception & scenario.locked).sum())
            rows = np.flatnonzero(members & ~exception & ~scenario.locked)
            moved = SetAssignment(self.scenario_id, rows, target[rows], self.label, self.action).apply(plan)
        except Exception:
            set_units.inverse.apply(plan)
            raise
        self.moved = sum(len(e.accounts) for e in moved.effects if isinstance(e, AssignmentEffect))
        inverse = Composite([moved.inverse, set_units.inverse], self.label, self.action)
        return Applied(inverse, set_units.effects + moved.effects)


class SetExceptions(Command):
    """Mark accounts as named exceptions (they keep their own territory when their unit moves) or unmark them."""

    def __init__(self, scenario_id: int, accounts, flags) -> None:
        self.scenario_id = scenario_id
        self.accounts = np.asarray(accounts, dtype=np.int64).ravel()
        self.flags = np.broadcast_to(np.asarray(flags, dtype=bool), self.accounts.shape).copy()
        self.label = ("Mark" if self.flags.all() else "Unmark" if not self.flags.any() else "Set") + " exceptions"
        self.action = "units"

    def apply(self, plan: Plan) -> Applied:
        state = _units_state(plan)
        scenario = _scenario(plan, self.scenario_id)
        if self.accounts.size and (self.accounts.min() < 0 or self.accounts.max() >= len(plan.accounts)):
            raise CommandError("account index out of range")
        units = state.stored(plan, scenario)
        ids = plan.accounts.ids[self.accounts]
        before = np.isin(ids, units.exceptions)
        marked = set(units.exceptions.tolist())
        marked.difference_update(ids[~self.flags].tolist())
        marked.update(ids[self.flags].tolist())
        units.exceptions = np.array(sorted(marked), dtype=np.int64)
        inverse = SetExceptions(self.scenario_id, self.accounts, before)
        inverse.label = self.label
        changed = before != self.flags
        if not changed.any():
            return Applied(inverse, [])
        plan.events.emit(UnitsChanged(self.scenario_id, np.empty(0, dtype=np.int64)))
        return Applied(inverse, [ExceptionEffect(self.scenario_id, self.accounts[changed], self.flags[changed])])
