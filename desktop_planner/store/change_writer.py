"""Writing one command's effects as row-level SQL, inside the caller's transaction.

Every write says how many rows it means to touch and checks that it did: an edit of a territory that is not in
the file, or a delete of a scenario that is gone, is an error (the transaction is rolled back) rather than a
statement that silently does nothing. Assignment rows are upserted, so an account without a row in a scenario
(a file written by another tool) still gets its edit. Each audit row keeps the names of the scenario, account
and territories as they were when it was written.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from desktop_planner.core.account_commands import AccountsEffect
from desktop_planner.core.commands import (AssignmentEffect, Effect, ExceptionEffect, IssuesEffect, LockEffect,
                                           SettingsEffect, TerritoryEffect, UnitAssignmentEffect, UnitLayerEffect)
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario, Territory
from desktop_planner.core.records import TableEffect
from desktop_planner.core.scenario_commands import ScenarioEffect
from desktop_planner.core.team_commands import HandoverEffect, ScoringEffect, TeamsEffect
from desktop_planner.store.account_rows import FileOutOfStep, expect, write_accounts_change
from desktop_planner.store.record_rows import write_table_effect
from desktop_planner.store.team_rows import (add_to_other_teams, delete_from_other_teams, rename_in_other_teams,
                                             write_handovers, write_scoring, write_teams)

TERRITORY_COLUMNS = ("id", "scenario_id", "name", "color", "rep_name", "home_lon", "home_lat", "capacity_hours",
                     "region", "locked", "code", "rep_id", "rep_email")
CHANGE_COLUMNS = ("at", "scenario_id", "account_id", "from_territory_id", "to_territory_id", "action", "user", "step",
                  "label", "scenario_name", "account_external_id", "from_territory_name", "to_territory_name")
INSERT_CHANGE = (f"INSERT INTO changes ({', '.join(CHANGE_COLUMNS)}) "
                 f"VALUES ({', '.join('?' * len(CHANGE_COLUMNS))})")
UPSERT_TERRITORY = ("INSERT INTO assignments (scenario_id, account_id, territory_id, locked) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (scenario_id, account_id) DO UPDATE SET territory_id = excluded.territory_id")
UPSERT_LOCK = ("INSERT INTO assignments (scenario_id, account_id, territory_id, locked) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (scenario_id, account_id) DO UPDATE SET locked = excluded.locked")


expect_rows = expect
__all__ = ["ChangeWriter", "FileOutOfStep", "record_issues", "territory_row", "write_scenario"]


def _none(values) -> list:
    return [None if t == UNASSIGNED else int(t) for t in values]


class ChangeWriter:
    """Writes the effects of one command (one `step` of the audit trail)."""

    def __init__(self, conn: sqlite3.Connection, plan: Plan, effects: list[Effect], action: str, label: str,
                 user: str, at: str) -> None:
        self.conn, self.plan, self.effects = conn, plan, effects
        self.action, self.label, self.user, self.at = action, label, user, at
        self.step = conn.execute("SELECT IFNULL(MAX(step), 0) + 1 FROM changes").fetchone()[0]
        # Names as they are now, plus those of objects this very command removes from the plan.
        self.territory_names = {tid: t.name for s in plan.scenarios.values() for tid, t in s.territories.items()}
        self.scenario_names = {sid: s.name for sid, s in plan.scenarios.items()}
        for e in effects:
            if isinstance(e, TerritoryEffect):
                for t in (e.before, e.after):
                    if t is not None:
                        self.territory_names.setdefault(t.id, t.name)
            elif isinstance(e, ScenarioEffect):
                for s in (e.before, e.after):
                    if s is not None:
                        self.scenario_names.setdefault(s.id, s.name)
                for tid, t in (e.before.territories.items() if e.before is not None else ()):
                    self.territory_names.setdefault(tid, t.name)

    def _what(self, kind: str) -> str:
        return kind if self.action not in ("undo", "redo") else self.action

    def _log(self, rows) -> None:
        """rows: (scenario_id, account_id, account_external_id, from_id, to_id, action)."""
        self.conn.executemany(INSERT_CHANGE, (
            (self.at, sid, acc, b, t, what, self.user, self.step, self.label, self.scenario_names.get(sid), ext,
             self.territory_names.get(b), self.territory_names.get(t)) for sid, acc, ext, b, t, what in rows))

    def write(self) -> None:
        for effect in self.effects:
            if isinstance(effect, AssignmentEffect):
                self._assignment(effect)
            elif isinstance(effect, LockEffect):
                self._locks(effect)
            elif isinstance(effect, TerritoryEffect):
                self._territory(effect)
            elif isinstance(effect, AccountsEffect):
                write_accounts_change(self.conn, self.plan, effect, self._log_accounts)
            elif isinstance(effect, ScenarioEffect):
                self._scenario(effect)
            elif isinstance(effect, SettingsEffect):
                if self.plan.team_id:  # each team has its own settings
                    expect_rows(self.conn.execute("UPDATE teams SET settings = ? WHERE id = ?",
                                                  (effect.after.to_json(), self.plan.team_id)), 1, "team settings")
                else:
                    self.conn.execute("INSERT OR REPLACE INTO project (key, value) VALUES ('settings', ?)",
                                      (effect.after.to_json(),))
                self._log([(None, None, None, None, None, self._what("settings"))])
            elif isinstance(effect, TeamsEffect):
                write_teams(self.conn, effect.before, effect.after, self.at, self.step)
                self._log([(None, None, None, None, None, self._what("teams"))])
            elif isinstance(effect, ScoringEffect):
                write_scoring(self.conn, effect.after)
                self._log([(None, None, None, None, None, self._what("scoring"))])
            elif isinstance(effect, HandoverEffect):
                write_handovers(self.conn, effect.handovers, self.at, self.step)
            elif isinstance(effect, IssuesEffect):
                record_issues(self.conn, effect.source, effect.issues, self.at)
            elif isinstance(effect, UnitLayerEffect):
                write_unit_layer(self.conn, self.plan, effect.after, self.at)
                self._log([(None, None, None, None, None, self._what("units"))])
            elif isinstance(effect, UnitAssignmentEffect):
                self._unit_assignment(effect)
            elif isinstance(effect, TableEffect):
                write_table_effect(self.conn, effect)
                self._log([(None, None, None, None, None, self._what(effect.table))])
            elif isinstance(effect, ExceptionEffect):
                self._exceptions(effect)
            else:
                raise TypeError(f"unknown effect {effect!r}")

    def _external_ids(self, rows: np.ndarray) -> list:
        return self.plan.accounts.external_id[rows].tolist()

    def _log_accounts(self, account_ids: list[int], external_ids: list) -> None:
        self._log((None, a, x, None, None, self.action) for a, x in zip(account_ids, external_ids))

    def _assignment(self, e: AssignmentEffect) -> None:
        ids = self.plan.accounts.ids
        acc = ids[e.accounts].tolist()
        before, after = _none(e.before.tolist()), _none(e.after.tolist())
        locked = self.plan.scenarios[e.scenario_id].locked[e.accounts].astype(int).tolist() \
            if e.scenario_id in self.plan.scenarios else [0] * len(acc)
        cursor = self.conn.executemany(UPSERT_TERRITORY, zip([e.scenario_id] * len(acc), acc, after, locked))
        expect_rows(cursor, len(acc), f"assignments of scenario {e.scenario_id}")
        self._log(zip([e.scenario_id] * len(acc), acc, self._external_ids(e.accounts), before, after,
                      [self.action] * len(acc)))

    def _locks(self, e: LockEffect) -> None:
        acc = self.plan.accounts.ids[e.accounts].tolist()
        locked = e.locked.astype(int).tolist()
        territory = _none(self.plan.scenarios[e.scenario_id].assignment[e.accounts].tolist())
        cursor = self.conn.executemany(UPSERT_LOCK, zip([e.scenario_id] * len(acc), acc, territory, locked))
        expect_rows(cursor, len(acc), f"locks of scenario {e.scenario_id}")
        what = [self._what("lock" if flag else "unlock") for flag in locked]
        self._log(zip([e.scenario_id] * len(acc), acc, self._external_ids(e.accounts), territory, territory, what))

    def _territory(self, e: TerritoryEffect) -> None:
        if e.before is None:  # added: a plain INSERT, so an id already in the file is an error, not a takeover
            self.conn.execute(f"INSERT INTO territories ({', '.join(TERRITORY_COLUMNS)}) "
                              f"VALUES ({', '.join('?' * len(TERRITORY_COLUMNS))})",
                              territory_row(e.scenario_id, e.after))
        elif e.after is None:
            cursor = self.conn.execute("DELETE FROM territories WHERE id = ? AND scenario_id = ?",
                                       (e.before.id, e.scenario_id))
            expect_rows(cursor, 1, f"territory {e.before.name!r}")
        else:
            columns = TERRITORY_COLUMNS[2:]
            cursor = self.conn.execute(
                f"UPDATE territories SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ? AND scenario_id = ?",
                territory_row(e.scenario_id, e.after)[2:] + (e.after.id, e.scenario_id))
            expect_rows(cursor, 1, f"territory {e.before.name!r}")
        self._log([(e.scenario_id, None, None, e.before.id if e.before else None, e.after.id if e.after else None,
                    self._what("territory"))])

    def _scenario(self, e: ScenarioEffect) -> None:
        """A scenario added, deleted or renamed in this view; the other teams' rows of it follow."""
        team = self.plan.team_id
        if e.before is None:
            write_scenario(self.conn, self.plan, e.after, self.at)
            base = self.plan.scenarios.get(e.after.based_on) if e.after.based_on is not None else None
            add_to_other_teams(self.conn, team, e.after.name, base.name if base else None,
                               e.after.created_at or self.at, e.after.notes)
        elif e.after is None:
            delete_from_other_teams(self.conn, team, e.before.name, self.step)
            cursor = self.conn.execute("DELETE FROM scenarios WHERE id = ?", (e.before.id,))
            expect_rows(cursor, 1, f"scenario {e.before.name!r}")
            self.conn.execute("DELETE FROM territories WHERE scenario_id = ?", (e.before.id,))
            self.conn.execute("DELETE FROM assignments WHERE scenario_id = ?", (e.before.id,))
            self.conn.execute("DELETE FROM unit_assignments WHERE scenario_id = ?", (e.before.id,))
        else:
            cursor = self.conn.execute("UPDATE scenarios SET name = ?, notes = ? WHERE id = ?",
                                       (e.after.name, e.after.notes, e.after.id))
            expect_rows(cursor, 1, f"scenario {e.before.name!r}")
            rename_in_other_teams(self.conn, team, e.before.name, e.after.name, e.after.notes)
        self._log([((e.after or e.before).id, None, None, None, None, self._what("scenario"))])


    def _unit_assignment(self, e: UnitAssignmentEffect) -> None:
        ids = self.plan.units.layer.ids[e.units].tolist()
        self.conn.executemany(UPSERT_UNIT, zip([e.scenario_id] * len(ids), ids, _none(e.after.tolist())))
        # One audit row per territory a unit left or joined, naming how many units moved (the unit ids are in
        # the label's step; accounts that followed have rows of their own).
        pairs: dict[tuple, int] = {}
        for b, a in zip(_none(e.before.tolist()), _none(e.after.tolist())):
            pairs[(b, a)] = pairs.get((b, a), 0) + 1
        self._log((e.scenario_id, None, None, b, a, self._what("units")) for (b, a) in pairs)

    def _exceptions(self, e: ExceptionEffect) -> None:
        acc = self.plan.accounts.ids[e.accounts].tolist()
        scenario = self.plan.scenarios[e.scenario_id]
        territory = _none(scenario.assignment[e.accounts].tolist())
        locked = scenario.locked[e.accounts].astype(int).tolist()
        flags = e.flags.astype(int).tolist()
        cursor = self.conn.executemany(UPSERT_EXCEPTION, zip([e.scenario_id] * len(acc), acc, territory, locked, flags))
        expect_rows(cursor, len(acc), f"exceptions of scenario {e.scenario_id}")
        what = [self._what("exception" if f else "follows unit") for f in flags]
        self._log(zip([e.scenario_id] * len(acc), acc, self._external_ids(e.accounts), territory, territory, what))


UPSERT_UNIT = ("INSERT INTO unit_assignments (scenario_id, unit_id, territory_id) VALUES (?, ?, ?) "
               "ON CONFLICT (scenario_id, unit_id) DO UPDATE SET territory_id = excluded.territory_id")
UPSERT_EXCEPTION = ("INSERT INTO assignments (scenario_id, account_id, territory_id, locked, unit_exception) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (scenario_id, account_id) DO UPDATE SET "
                    "unit_exception = excluded.unit_exception")


def write_unit_layer(conn: sqlite3.Connection, plan: Plan, state, at: str) -> None:
    """Replace whatever layer the file holds by `state` (None: no layer), with every scenario's unit assignment."""
    import shapely
    for table in ("unit_layers", "units", "account_units", "unit_assignments"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("UPDATE assignments SET unit_exception = 0 WHERE unit_exception <> 0")
    if state is None:
        return
    layer = state.layer
    conn.execute("INSERT INTO unit_layers (id, kind, source, id_column, name_column, approximate, created_at) "
                 "VALUES (1, ?, ?, ?, ?, ?, ?)", (layer.kind, layer.source, layer.id_column, layer.name_column,
                                                  int(layer.approximate), at))
    conn.executemany("INSERT INTO units (position, id, name, parent, area_km2, geometry) VALUES (?, ?, ?, ?, ?, ?)",
                     zip(range(len(layer)), layer.ids.tolist(), layer.names.tolist(), layer.parents.tolist(),
                         layer.area_km2.tolist(), shapely.to_wkb(layer.geometries).tolist()))
    unit_ids = [None if u < 0 else layer.ids[u] for u in state.account_unit.tolist()]
    conn.executemany("INSERT INTO account_units (account_id, unit_id, how, problem) VALUES (?, ?, ?, ?)",
                     zip(state.account_ids.tolist(), unit_ids, state.how.tolist(),
                         [state.problems.get(a) for a in state.account_ids.tolist()]))
    for scenario in plan.scenarios.values():
        write_scenario_units(conn, plan, scenario)


def write_scenario_units(conn: sqlite3.Connection, plan: Plan, scenario: Scenario) -> None:
    """A scenario's unit territories and exception marks (nothing when the plan has no layer)."""
    state = getattr(plan, "units", None)
    if state is None:
        return
    units = state.of(plan, scenario)
    conn.executemany(UPSERT_UNIT, zip([scenario.id] * len(state.layer), state.layer.ids.tolist(),
                                      _none(units.territory.tolist())))
    rows = np.flatnonzero(np.isin(plan.accounts.ids, units.exceptions))
    conn.executemany(UPSERT_EXCEPTION, zip([scenario.id] * len(rows), plan.accounts.ids[rows].tolist(),
                                           _none(scenario.assignment[rows].tolist()),
                                           scenario.locked[rows].astype(int).tolist(), [1] * len(rows)))


def record_issues(conn: sqlite3.Connection, source: str, issues, at: str) -> None:
    conn.executemany("INSERT INTO import_issues (at, source, row_number, raw, problem) VALUES (?, ?, ?, ?, ?)",
                     ((at, source, i.row_number, i.raw, i.problem) for i in issues))


def territory_row(scenario_id: int, t: Territory) -> tuple:
    return (t.id, scenario_id, t.name, t.color, t.rep_name, t.home_lon, t.home_lat, t.capacity_hours, t.region,
            int(t.locked), t.code, t.rep_id, t.rep_email)


def write_scenario(conn: sqlite3.Connection, plan: Plan, scenario: Scenario, created_at: str | None = None) -> None:
    """A whole scenario: plain INSERTs, so ids already in the file are an error rather than overwritten."""
    conn.execute("INSERT INTO scenarios (id, name, created_at, based_on, notes, team_id) VALUES (?, ?, ?, ?, ?, ?)",
                 (scenario.id, scenario.name, scenario.created_at or created_at, scenario.based_on, scenario.notes,
                  plan.team_id))
    conn.executemany(f"INSERT INTO territories ({', '.join(TERRITORY_COLUMNS)}) "
                     f"VALUES ({', '.join('?' * len(TERRITORY_COLUMNS))})",
                     [territory_row(scenario.id, t) for t in scenario.territories.values()])
    territory = np.where(scenario.assignment == UNASSIGNED, None, scenario.assignment.astype(object))
    cursor = conn.executemany(
        "INSERT INTO assignments (scenario_id, account_id, territory_id, locked) VALUES (?, ?, ?, ?)",
        zip([scenario.id] * len(territory), plan.accounts.ids.tolist(), territory.tolist(),
            scenario.locked.astype(int).tolist()))
    expect_rows(cursor, len(territory), f"assignments of scenario {scenario.name!r}")
    write_scenario_units(conn, plan, scenario)
