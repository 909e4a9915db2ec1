import numpy as np
import pytest

from desktop_planner.core.compare import disruption
from desktop_planner.core.model import UNASSIGNED, Scenario, Territory


def test_disruption_matches_territories_by_name(plan):
    base = plan.active
    # Same names, other ids: a copy of the scenario as a new scenario would have.
    territories = {tid + 100: Territory(tid + 100, t.name) for tid, t in base.territories.items()}
    other = Scenario(2, "Copy", territories, base.assignment + 100, base.locked.copy())
    assert disruption(plan, base, other).accounts_moved == 0
    other.assignment[[0, 1]] = UNASSIGNED
    moved_potential = plan.accounts.potential[[0, 1]].sum()
    d = disruption(plan, base, other)
    assert d.accounts_moved == 2
    assert d.account_share == pytest.approx(2 / len(plan.accounts))
    assert d.potential_share == pytest.approx(moved_potential / plan.accounts.potential.sum())
    assert np.flatnonzero(d.moved).tolist() == [0, 1]
