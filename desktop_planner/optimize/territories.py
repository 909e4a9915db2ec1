"""Headcount what-if: a working copy of a scenario with K territories, before balancing it.

Removing territories takes the unlocked ones with the least workload (their accounts become unassigned and
the optimizer places them); added territories have no rep home (the optimizer chooses their centre).
"""

from __future__ import annotations

import numpy as np

from desktop_planner.core.measures import MeasureEngine
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario, Territory
from desktop_planner.core.palette import territory_palette
from desktop_planner.optimize.report import private_plan


def with_territory_count(plan: Plan, scenario: Scenario, k: int, first_new_id: int | None = None) -> Scenario:
    """A copy of `scenario` with exactly k territories (ValueError if that would remove a locked one)."""
    if k < 1:
        raise ValueError("a plan needs at least one territory")
    territories = dict(scenario.territories)
    assignment = scenario.assignment.copy()
    current = len(territories)
    if k < current:
        engine = MeasureEngine(private_plan(plan, scenario))
        try:
            workload = engine.measures().values["workload_hours"]
        finally:
            engine.close()
        tids = scenario.territory_ids()
        removable = [i for i in np.argsort(workload, kind="stable") if not territories[int(tids[i])].locked]
        if len(removable) < current - k:
            raise ValueError(f"cannot go down to {k} territories: {current - len(removable)} are locked")
        for i in removable[:current - k]:
            tid = int(tids[i])
            del territories[tid]
            assignment[assignment == tid] = UNASSIGNED
    elif k > current:
        next_id = first_new_id if first_new_id is not None else plan.next_territory_id()
        used = {t.name for t in territories.values()}
        colors = territory_palette(k)[current:]
        number = 1
        for i in range(k - current):
            while f"New territory {number}" in used:
                number += 1
            name = f"New territory {number}"
            used.add(name)
            territories[next_id + i] = Territory(id=next_id + i, name=name, color=colors[i])
    return Scenario(scenario.id, scenario.name, territories, assignment, scenario.locked.copy(),
                    scenario.created_at, scenario.based_on, scenario.notes)
