"""What a realignment means unit by unit (ZIP areas, counties...): the units whose territory differs between two
scenarios, which is what a CRM that routes by unit has to change. Territories are matched by name, as in
core.compare, because every scenario has territory ids of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_planner.core.model import Plan, Scenario
from desktop_planner.core.units import NOT_PLACED, UnitState, unit_totals

UNIT_CHANGE_COLUMNS = ("unit_id", "unit_name", "from_territory", "from_rep", "to_territory", "to_rep", "accounts",
                       "potential")


@dataclass(frozen=True)
class UnitMove:
    unit: int  # position in the layer
    unit_id: str
    unit_name: str
    from_territory: str | None  # None: unassigned
    to_territory: str | None


def unit_territory_names(state: UnitState, plan: Plan, scenario: Scenario) -> np.ndarray:
    """Territory name per unit in the scenario (None for unassigned)."""
    names = {t.id: t.name for t in scenario.territories.values()}
    return np.array([names.get(t) for t in state.of(plan, scenario).territory.tolist()], dtype=object)


def unit_moves(plan: Plan, baseline: Scenario, scenario: Scenario) -> list[UnitMove]:
    """Every unit of the plan's layer (which must be set) whose territory, by name, differs; in layer order."""
    state = plan.units
    before = unit_territory_names(state, plan, baseline)
    after = unit_territory_names(state, plan, scenario)
    ids, names = state.layer.ids, state.layer.names
    return [UnitMove(u, str(ids[u]), str(names[u] or ""), before[u], after[u])
            for u in np.flatnonzero(before != after).tolist()]


def units_gained_lost(moves: list[UnitMove]) -> dict[str, tuple[list[UnitMove], list[UnitMove]]]:
    """Per territory name (sorted): the units it gains and the units it loses, each sorted by unit id."""
    result: dict[str, tuple[list[UnitMove], list[UnitMove]]] = {}
    for move in sorted(moves, key=lambda m: m.unit_id):
        if move.to_territory is not None:
            result.setdefault(move.to_territory, ([], []))[0].append(move)
        if move.from_territory is not None:
            result.setdefault(move.from_territory, ([], []))[1].append(move)
    return dict(sorted(result.items()))


def unit_change_rows(plan: Plan, baseline: Scenario, scenario: Scenario) -> list[tuple]:
    """One row (UNIT_CHANGE_COLUMNS) per unit that changes territory: both territories with the rep each has in
    its own scenario, and the number and potential of the accounts placed in the unit."""
    state = plan.units
    unit_of = state.unit_of_rows(plan)
    accounts = np.bincount(unit_of[unit_of != NOT_PLACED], minlength=len(state.layer))
    potential = unit_totals(state, plan, plan.accounts.potential)
    reps_before = {t.name: t.rep_name or "" for t in baseline.territories.values()}
    reps_after = {t.name: t.rep_name or "" for t in scenario.territories.values()}
    return [(m.unit_id, m.unit_name, m.from_territory or "(unassigned)", reps_before.get(m.from_territory, ""),
             m.to_territory or "(unassigned)", reps_after.get(m.to_territory, ""), int(accounts[m.unit]),
             round(float(potential[m.unit]), 2))
            for m in unit_moves(plan, baseline, scenario)]
