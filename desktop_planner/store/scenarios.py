"""Adding a whole scenario to a project file (the command line's `balance --into`): one transaction."""

from __future__ import annotations

import sqlite3

import numpy as np

from desktop_planner.core.model import UNASSIGNED, Plan, Scenario, Territory
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile, now_iso, write_scenario


def add_scenario(project: ProjectFile, plan: Plan, name: str, territories: dict[int, Territory],
                 assignment: np.ndarray, locked: np.ndarray, based_on: int | None = None,
                 notes: str | None = None) -> Scenario:
    """Write a new scenario with its territories and assignment (territory ids as in `territories`, which may
    be those of another scenario: they are given fresh ids here, territory ids being unique across scenarios)
    and add it to the in-memory plan. ProjectError if the name is taken or the file cannot be written."""
    name = name.strip()
    if not name:
        raise ProjectError(f"{project.path}: a scenario needs a name")
    taken = project.conn.execute("SELECT 1 FROM scenarios WHERE name = ?", (name,)).fetchone()
    if taken or any(s.name == name for s in plan.scenarios.values()):
        raise ProjectError(f"{project.path}: a scenario named {name!r} already exists")
    conn = project.conn
    scenario_id = max(int(conn.execute("SELECT IFNULL(MAX(id), 0) FROM scenarios").fetchone()[0]),
                      max(plan.scenarios, default=0)) + 1
    first_territory = max(int(conn.execute("SELECT IFNULL(MAX(id), 0) FROM territories").fetchone()[0]),
                          plan.next_territory_id() - 1) + 1
    new_id = {old: first_territory + i for i, old in enumerate(territories)}
    fresh = {new_id[old]: t.with_changes(id=new_id[old]) for old, t in territories.items()}
    lut = {**new_id, UNASSIGNED: UNASSIGNED}
    mapped = np.array([lut.get(int(t), UNASSIGNED) for t in np.asarray(assignment).tolist()], dtype=np.int64)
    scenario = Scenario(scenario_id, name, fresh, mapped, np.asarray(locked, dtype=bool).copy(),
                        created_at=now_iso(), based_on=based_on, notes=notes)
    with project._transaction() as db:
        try:
            write_scenario(db, plan, scenario)
        except sqlite3.IntegrityError as exc:
            raise ProjectError(f"{project.path}: the scenario could not be written ({exc})") from None
    plan.scenarios[scenario_id] = scenario
    return scenario
