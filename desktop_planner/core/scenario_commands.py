"""Scenarios as undoable commands: create (a copy of another), rename, edit notes, delete.

Each scenario owns its territories (ids unique across the project) and its assignment, so a copy gets fresh
territory ids with the same names: comparisons match territories by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from desktop_planner.core.commands import Applied, Command, CommandError
from desktop_planner.core.events import ScenariosChanged
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario


@dataclass(frozen=True)
class ScenarioEffect:
    """before None: added; after None: deleted; both: renamed or notes edited."""
    before: Scenario | None
    after: Scenario | None


def copy_scenario(plan: Plan, source: Scenario, name: str, notes: str | None = None) -> Scenario:
    """A new scenario with the source's territories (new ids, same names) and assignment and locks."""
    first = max(plan.next_territory_id(), 1)
    mapping = {old: first + i for i, old in enumerate(source.territories)}
    territories = {mapping[old]: t.with_changes(id=mapping[old]) for old, t in source.territories.items()}
    lut = np.full(max(mapping, default=0) + 2, UNASSIGNED, dtype=np.int64)
    for old, new in mapping.items():
        lut[old] = new
    assignment = np.where(source.assignment >= 0, lut[np.clip(source.assignment, 0, len(lut) - 1)], UNASSIGNED)
    return Scenario(id=plan.next_scenario_id(), name=name, territories=territories,
                    assignment=assignment.astype(np.int64), locked=source.locked.copy(),
                    created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), based_on=source.id,
                    notes=notes)


def _check_name(plan: Plan, name: str, scenario_id: int | None) -> None:
    if not isinstance(name, str) or not name.strip():
        raise CommandError("a scenario needs a name")
    for other in plan.scenarios.values():
        if other.name == name and other.id != scenario_id:
            raise CommandError(f"there is already a scenario named {name!r}")


class AddScenario(Command):
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.label = f"New scenario {scenario.name}"
        self.action = "scenario"

    def apply(self, plan: Plan) -> Applied:
        s = self.scenario
        if s.id in plan.scenarios:
            raise CommandError(f"scenario id {s.id} is already used")
        _check_name(plan, s.name, None)
        used = {tid for other in plan.scenarios.values() for tid in other.territories}
        if used & set(s.territories):
            raise CommandError("the new scenario's territory ids are already used")
        if len(s.assignment) != len(plan.accounts):
            raise CommandError("the scenario does not cover the project's accounts")
        plan.scenarios[s.id] = s
        plan.events.emit(ScenariosChanged(frozenset({s.id})))
        return Applied(DeleteScenario(s.id), [ScenarioEffect(None, s)])


class DeleteScenario(Command):
    """Remove a scenario (not the active one, not the last one). Undo brings it back whole."""

    def __init__(self, scenario_id: int) -> None:
        self.scenario_id = scenario_id
        self.label = "Delete scenario"
        self.action = "scenario"

    def apply(self, plan: Plan) -> Applied:
        scenario = plan.scenarios.get(self.scenario_id)
        if scenario is None:
            raise CommandError(f"scenario {self.scenario_id} does not exist")
        if len(plan.scenarios) == 1:
            raise CommandError("a project keeps at least one scenario")
        if self.scenario_id == plan.active_scenario_id:
            raise CommandError(f"scenario {scenario.name!r} is the one shown; switch to another before deleting it")
        self.label = f"Delete scenario {scenario.name}"
        del plan.scenarios[self.scenario_id]
        plan.events.emit(ScenariosChanged(frozenset({self.scenario_id})))
        inverse = AddScenario(scenario)
        inverse.label = self.label
        return Applied(inverse, [ScenarioEffect(scenario, None)])


UNCHANGED = object()  # EditScenario: leave this field as it is (None is a value: notes cleared)


class EditScenario(Command):
    """Rename a scenario or edit its notes. A field left out (UNCHANGED) stays; notes=None clears the notes."""

    def __init__(self, scenario_id: int, name=UNCHANGED, notes=UNCHANGED) -> None:
        self.scenario_id = scenario_id
        self.name = UNCHANGED if name is None else name  # a scenario always has a name: None means unchanged
        self.notes = notes
        self.label = "Rename scenario" if self.name is not UNCHANGED else "Edit scenario notes"
        self.action = "scenario"

    def apply(self, plan: Plan) -> Applied:
        scenario = plan.scenarios.get(self.scenario_id)
        if scenario is None:
            raise CommandError(f"scenario {self.scenario_id} does not exist")
        if self.name is not UNCHANGED:
            _check_name(plan, self.name, self.scenario_id)
        before = Scenario(scenario.id, scenario.name, {}, np.empty(0), np.empty(0), notes=scenario.notes)
        # The inverse names exactly the fields this edit changes, with their old values (None included).
        inverse = EditScenario(self.scenario_id, name=scenario.name if self.name is not UNCHANGED else UNCHANGED,
                               notes=scenario.notes if self.notes is not UNCHANGED else UNCHANGED)
        inverse.label = self.label
        if self.name is not UNCHANGED:
            scenario.name = self.name
        if self.notes is not UNCHANGED:
            scenario.notes = self.notes
        plan.events.emit(ScenariosChanged(frozenset({self.scenario_id})))
        return Applied(inverse, [ScenarioEffect(before, scenario)])
