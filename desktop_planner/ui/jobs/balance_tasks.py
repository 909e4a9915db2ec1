"""What the auto-balance and trade-off processes run (no Qt: these run in the child, see process_job).

The child gets the project file's path, never the in-memory plan: every committed edit is already in the file
(DESIGN rule 4), and the file is opened READ-ONLY (SQLite `mode=ro`), without the writer lock the GUI holds, so
not a byte of it changes. The GUI sends a fingerprint of the scenario it shows; a file that does not hold that
state (an edit that failed to save, for instance) is refused rather than balanced.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from desktop_planner.core.model import Plan, Scenario
from desktop_planner.optimize.balance import BalanceResult, BalanceSettings, balance
from desktop_planner.store.derived_cache import GRAPH_KEY, accounts_fingerprint
from desktop_planner.store.loading import load_plan
from desktop_planner.store.opening import check_project_file


class PlanMismatch(Exception):
    """The project file does not hold the plan the window shows."""


def scenario_fingerprint(plan: Plan, scenario: Scenario) -> str:
    """What the balance reads of a scenario and the project, as a short digest (the GUI and the child compare)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(len(plan.accounts)).encode())
    digest.update(np.ascontiguousarray(scenario.assignment, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(scenario.locked, dtype=bool).tobytes())
    for tid in sorted(scenario.territories):
        t = scenario.territories[tid]
        digest.update(repr((tid, t.locked, t.home_lon, t.home_lat, t.capacity_hours)).encode())
    digest.update(repr(plan.settings).encode())
    return digest.hexdigest()


def open_plan_read_only(path: str | Path, scenario_id: int | None = None) -> tuple[Plan, np.ndarray | None]:
    """The project's plan (with teams: the view of the team `scenario_id` belongs to) and, when the file caches
    them for these accounts, their Delaunay edges."""
    path = Path(path)
    check_project_file(path)  # reads only; a file that is not a project is refused with its reason
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        plan = load_plan(conn, path, team=_team_of(conn, scenario_id))
        return plan, _cached_edges(conn, plan)
    finally:
        conn.close()


def _team_of(conn: sqlite3.Connection, scenario_id: int | None) -> str | None:
    if scenario_id is None or "teams" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}:
        return None
    row = conn.execute("SELECT t.name FROM scenarios s JOIN teams t ON t.id = s.team_id WHERE s.id = ?",
                       (scenario_id,)).fetchone()
    return row[0] if row else None


def _cached_edges(conn: sqlite3.Connection, plan: Plan) -> np.ndarray | None:
    """The file's cached account graph, if it matches the accounts. Unlike store.derived_cache this never
    computes and stores a missing one (that would write): balance() then computes it in this process."""
    try:
        row = conn.execute("SELECT fingerprint, data FROM derived_cache WHERE key = ?", (GRAPH_KEY,)).fetchone()
    except sqlite3.OperationalError:  # a file from before the cache existed
        return None
    if row is None or row[1] is None or row[0] != accounts_fingerprint(plan.accounts):
        return None
    return np.frombuffer(row[1], dtype="<i8").reshape(-1, 2).astype(np.int64)


def _load(path, scenario_id: int, fingerprint: str | None) -> tuple[Plan, Scenario, np.ndarray | None]:
    plan, edges = open_plan_read_only(path, scenario_id)
    if scenario_id not in plan.scenarios:
        raise PlanMismatch(f"{path}: scenario {scenario_id} is not in the project file")
    scenario = plan.scenarios[scenario_id]
    plan.active_scenario_id = scenario_id
    if fingerprint is not None and scenario_fingerprint(plan, scenario) != fingerprint:
        raise PlanMismatch(f"{path}: the project file does not hold the plan the window shows (an edit was not "
                           f"saved?); reopen the project and try again")
    return plan, scenario, edges


def balance_task(path: str, scenario_id: int, settings: BalanceSettings, fingerprint: str | None = None, *,
                 progress) -> BalanceResult:
    """Auto-balance of a scenario of a project file: the child side of Scenario > Auto-balance."""
    progress(0.0, "Reading the project")
    plan, scenario, edges = _load(path, scenario_id, fingerprint)
    return balance(plan, scenario, settings, progress=progress, graph_edges=edges)


def tradeoff_task(path: str, scenario_id: int, settings: BalanceSettings, tolerances: list[float] | None = None,
                  fingerprint: str | None = None, *, progress) -> list:
    """One balanced plan per tolerance (optimize.tradeoff.tradeoff_curve) of a scenario of a project file."""
    from desktop_planner.optimize.tradeoff import tradeoff_curve  # imported here: only this task needs it
    progress(0.0, "Reading the project")
    plan, scenario, edges = _load(path, scenario_id, fingerprint)
    return tradeoff_curve(plan, scenario, settings, tolerances, progress=progress, graph_edges=edges)
