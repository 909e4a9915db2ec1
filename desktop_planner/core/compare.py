"""Comparing two scenarios of a plan. Territories of different scenarios are matched by name."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_planner.core.model import Plan, Scenario


def assignment_names(scenario: Scenario) -> np.ndarray:
    """Territory name per account (None for unassigned), so that scenarios can be compared."""
    names = np.array([None] + [t.name for t in scenario.territories.values()], dtype=object)
    return names[scenario.territory_index() + 1]


@dataclass(frozen=True)
class Disruption:
    accounts_moved: int
    account_share: float
    potential_moved: float
    potential_share: float
    moved: np.ndarray  # bool per account


def disruption(plan: Plan, baseline: Scenario, scenario: Scenario) -> Disruption:
    """Accounts (and their potential) whose territory differs between the baseline and the scenario."""
    moved = assignment_names(baseline) != assignment_names(scenario)
    n = len(moved)
    total_potential = float(plan.accounts.potential.sum())
    moved_potential = float(plan.accounts.potential[moved].sum())
    return Disruption(
        accounts_moved=int(moved.sum()),
        account_share=float(moved.sum() / n) if n else 0.0,
        potential_moved=moved_potential,
        potential_share=moved_potential / total_potential if total_potential > 0 else 0.0,
        moved=moved,
    )


@dataclass(frozen=True)
class TerritoryComparison:
    name: str
    before: dict[str, float]  # measure -> value in the baseline (0 when the territory is new)
    after: dict[str, float]
    accounts_gained: int
    accounts_lost: int


def compare_scenarios(plan: Plan, baseline: Scenario, scenario: Scenario, engine) -> list[TerritoryComparison]:
    """Per territory name (the union of both scenarios' names): every measure in both, and what moved."""
    from desktop_planner.core.measures import MEASURES
    m_base, m_new = engine.measures(baseline.id), engine.measures(scenario.id)
    before_names, after_names = assignment_names(baseline), assignment_names(scenario)
    moved = before_names != after_names
    names = list(dict.fromkeys(m_base.names + m_new.names))
    result = []
    for name in names:
        def values(m):
            if name not in m.names:
                return {k: 0.0 for k in MEASURES}
            i = m.names.index(name)
            return {k: float(m.values[k][i]) for k in MEASURES}
        result.append(TerritoryComparison(
            name=name, before=values(m_base), after=values(m_new),
            accounts_gained=int((moved & (after_names == name)).sum()),
            accounts_lost=int((moved & (before_names == name)).sum())))
    return result


@dataclass(frozen=True)
class AccountMove:
    row: int
    from_territory: str | None
    to_territory: str | None


def account_moves(baseline: Scenario, scenario: Scenario) -> list[AccountMove]:
    """Every account whose territory (by name) differs, in account order."""
    before, after = assignment_names(baseline), assignment_names(scenario)
    rows = np.flatnonzero(before != after)
    return [AccountMove(int(i), before[i], after[i]) for i in rows.tolist()]
