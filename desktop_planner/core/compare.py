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
