"""The project file: open or create it, load the plan into memory, and persist every committed command.

`ProjectFile` is the History's persistence sink: each `commit` call is one SQLite transaction holding the
command's assignment, lock and territory rows together with its rows in `changes`.
"""

from __future__ import annotations

import getpass
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from desktop_planner.core.commands import AssignmentEffect, Effect, LockEffect, SettingsEffect, TerritoryEffect
from desktop_planner.core.account_commands import AccountsEffect
from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.scenario_commands import ScenarioEffect
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario, Territory
from desktop_planner.core.settings import Settings
from desktop_planner.store.account_rows import write_accounts_change
from desktop_planner.store.derived_cache import cached_graph_edges
from desktop_planner.store.loading import load_plan
from desktop_planner.store.opening import (ProjectError, check_project_file, connect, create_schema, migrate,
                                           replace_atomically)
from desktop_planner.store.schema import SCHEMA_VERSION

TERRITORY_COLUMNS = ("id", "scenario_id", "name", "color", "rep_name", "home_lon", "home_lat", "capacity_hours",
                     "region", "locked")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some sandboxes and services
        return "unknown"


def _null(value):
    """SQLite NULL for Python None and float NaN."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


class ProjectFile:
    def __init__(self, path: Path, conn: sqlite3.Connection, backup: Path | None = None) -> None:
        self.path = path
        self.conn = conn
        self.migrated_backup = backup
        self.user = current_user()

    @property
    def db(self):
        """The file as a sqlite-utils Database, for table-level work (imported on first use: it is slow to load
        and the command line's quick commands never need it)."""
        import sqlite_utils
        return sqlite_utils.Database(self.conn)

    # -- opening and creating ----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> "ProjectFile":
        path = Path(path)
        version = check_project_file(path)
        backup = migrate(path, version)
        try:
            return cls(path, connect(path), backup)
        except sqlite3.Error as exc:
            raise ProjectError(f"{path}: cannot be opened for writing ({exc})") from None

    @classmethod
    def create(cls, path: str | Path, plan: Plan, overwrite: bool = False) -> "ProjectFile":
        """Write a whole plan as a new project file (atomically: to a temporary file, then renamed)."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise ProjectError(f"{path}: already exists (choose another name or allow overwriting)")
        if path.is_dir():
            raise ProjectError(f"{path}: is a folder")
        tmp = path.with_name(f".{path.name}.creating")
        if tmp.exists():
            tmp.unlink()
        try:
            conn = sqlite3.connect(str(tmp), isolation_level=None)
            conn.execute("PRAGMA journal_mode = OFF")  # a fresh temporary file: no journal needed
            conn.execute("PRAGMA synchronous = OFF")
            create_schema(conn)  # executescript commits on its own
            conn.execute("BEGIN")
            _write_plan(conn, plan)
            conn.execute("COMMIT")
            conn.close()
            replace_atomically(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ProjectError(f"{path}: cannot be written ({exc.strerror or exc})") from None
        except sqlite3.Error as exc:
            tmp.unlink(missing_ok=True)
            raise ProjectError(f"{path}: cannot be written ({exc})") from None
        return cls.open(path)

    def close(self) -> None:
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass  # another reader holds the WAL: SQLite checkpoints later
        self.conn.close()

    def __enter__(self) -> "ProjectFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------------------
    def load_plan(self) -> Plan:
        try:
            return load_plan(self.conn, self.path)
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{self.path}: damaged or unreadable project file ({exc})") from None
        except ValueError as exc:
            raise ProjectError(f"{self.path}: {exc}") from None

    def contiguity_checker(self, plan: Plan) -> ContiguityChecker:
        """A checker whose account graph comes from the file's cache (computed and stored on first use)."""
        return ContiguityChecker(plan.accounts, cached_graph_edges(self.conn, plan.accounts))

    def project_value(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM project WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    # -- writing -------------------------------------------------------------------------------------------
    def set_project_value(self, key: str, value: str) -> None:
        with self._transaction():
            self.conn.execute("INSERT OR REPLACE INTO project (key, value) VALUES (?, ?)", (key, value))

    def record_import_issues(self, source: str, issues) -> None:
        """Keep every rejected row with its reason (`export --what issues` writes them out)."""
        at = now_iso()
        with self._transaction():
            self.conn.executemany(
                "INSERT INTO import_issues (at, source, row_number, raw, problem) VALUES (?, ?, ?, ?, ?)",
                ((at, source, i.row_number, i.raw, i.problem) for i in issues))

    def save_settings(self, settings: Settings) -> None:
        self.set_project_value("settings", settings.to_json())

    def commit(self, plan: Plan, effects: list[Effect], action: str, label: str) -> None:
        """Persistence sink of the History: all effects of one command in one transaction."""
        at = now_iso()
        ids = plan.accounts.ids
        with self._transaction():
            step = self.conn.execute("SELECT IFNULL(MAX(step), 0) + 1 FROM changes").fetchone()[0]
            for effect in effects:
                if isinstance(effect, AssignmentEffect):
                    self._write_assignment(effect, ids, at, action, label, step)
                elif isinstance(effect, LockEffect):
                    self._write_locks(plan, effect, ids, at, action, label, step)
                elif isinstance(effect, TerritoryEffect):
                    self._write_territory(effect, at, action, label, step)
                elif isinstance(effect, AccountsEffect):
                    write_accounts_change(self.conn, plan, effect, lambda account_ids: self.conn.executemany(
                        "INSERT INTO changes (at, account_id, action, user, step, label) VALUES (?, ?, ?, ?, ?, ?)",
                        ((at, a, action, self.user, step, label) for a in account_ids)))
                elif isinstance(effect, ScenarioEffect):
                    self._write_scenario_change(plan, effect)
                    self.conn.execute(
                        "INSERT INTO changes (at, scenario_id, action, user, step, label) VALUES (?, ?, ?, ?, ?, ?)",
                        (at, (effect.after or effect.before).id, action if action in ("undo", "redo") else "scenario",
                         self.user, step, label))
                elif isinstance(effect, SettingsEffect):
                    self.conn.execute("INSERT OR REPLACE INTO project (key, value) VALUES ('settings', ?)",
                                      (effect.after.to_json(),))
                    self.conn.execute(
                        "INSERT INTO changes (at, action, user, step, label) VALUES (?, ?, ?, ?, ?)",
                        (at, "settings" if action not in ("undo", "redo") else action, self.user, step, label))
                else:
                    raise TypeError(f"unknown effect {effect!r}")

    def _write_assignment(self, e: AssignmentEffect, ids, at, action, label, step) -> None:
        acc = ids[e.accounts].tolist()
        before = [None if t == UNASSIGNED else t for t in e.before.tolist()]
        after = [None if t == UNASSIGNED else t for t in e.after.tolist()]
        self.conn.executemany(
            "UPDATE assignments SET territory_id = ? WHERE scenario_id = ? AND account_id = ?",
            zip(after, [e.scenario_id] * len(acc), acc))
        self.conn.executemany(
            "INSERT INTO changes (at, scenario_id, account_id, from_territory_id, to_territory_id, action, user,"
            " step, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((at, e.scenario_id, a, b, t, action, self.user, step, label) for a, b, t in zip(acc, before, after)))

    def _write_locks(self, plan, e: LockEffect, ids, at, action, label, step) -> None:
        acc = ids[e.accounts].tolist()
        locked = e.locked.astype(int).tolist()
        self.conn.executemany("UPDATE assignments SET locked = ? WHERE scenario_id = ? AND account_id = ?",
                              zip(locked, [e.scenario_id] * len(acc), acc))
        territory = plan.scenarios[e.scenario_id].assignment[e.accounts]
        what = [("lock" if flag else "unlock") if action not in ("undo", "redo") else action for flag in locked]
        territory = [None if t == UNASSIGNED else t for t in territory.tolist()]
        self.conn.executemany(
            "INSERT INTO changes (at, scenario_id, account_id, from_territory_id, to_territory_id, action, user,"
            " step, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((at, e.scenario_id, a, t, t, w, self.user, step, label) for a, t, w in zip(acc, territory, what)))

    def _write_territory(self, e: TerritoryEffect, at, action, label, step) -> None:
        if e.after is None:
            self.conn.execute("DELETE FROM territories WHERE id = ?", (e.before.id,))
        else:
            self.conn.execute(
                f"INSERT OR REPLACE INTO territories ({', '.join(TERRITORY_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(TERRITORY_COLUMNS))})", _territory_row(e.scenario_id, e.after))
        self.conn.execute(
            "INSERT INTO changes (at, scenario_id, account_id, from_territory_id, to_territory_id, action, user,"
            " step, label) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)",
            (at, e.scenario_id, e.before.id if e.before else None, e.after.id if e.after else None,
             "territory" if action not in ("undo", "redo") else action, self.user, step, label))

    def _write_scenario_change(self, plan: Plan, e) -> None:
        if e.before is None:
            write_scenario(self.conn, plan, e.after)
        elif e.after is None:
            for table, column in (("assignments", "scenario_id"), ("territories", "scenario_id"),
                                  ("scenarios", "id")):
                self.conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (e.before.id,))
        else:
            self.conn.execute("UPDATE scenarios SET name = ?, notes = ? WHERE id = ?",
                              (e.after.name, e.after.notes, e.after.id))

    def set_active_scenario(self, scenario_id: int) -> None:
        """Which scenario the app shows on opening (a view setting, not an undoable edit)."""
        self.set_project_value("active_scenario", str(scenario_id))

    def _transaction(self):
        return _Transaction(self.conn, self.path)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK and a ProjectError naming the file."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def __enter__(self):
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise ProjectError(f"{self.path}: cannot write ({exc})") from None
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
                return False
            except sqlite3.Error as commit_error:
                exc = commit_error
        self.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise ProjectError(f"{self.path}: the change could not be saved ({exc}); nothing was written") from None
        return False


def _territory_row(scenario_id: int, t: Territory) -> tuple:
    return (t.id, scenario_id, t.name, t.color, t.rep_name, t.home_lon, t.home_lat, t.capacity_hours, t.region,
            int(t.locked))


def _write_plan(conn: sqlite3.Connection, plan: Plan) -> None:
    a = plan.accounts
    conn.executemany("INSERT INTO project (key, value) VALUES (?, ?)", [
        ("schema_version", str(SCHEMA_VERSION)), ("name", plan.name), ("created_at", now_iso()),
        ("active_scenario", str(plan.active_scenario_id)), ("settings", plan.settings.to_json())])
    conn.executemany(
        "INSERT INTO accounts (id, external_id, name, lon, lat, potential, visits_per_year, visit_minutes, segment,"
        " industry, postcode, attrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        zip(a.ids.tolist(), a.external_id.tolist(), a.name.tolist(), a.lon.tolist(), a.lat.tolist(),
            a.potential.tolist(), _nan_to_none(a.visits_per_year), _nan_to_none(a.visit_minutes),
            a.segment.tolist(), a.industry.tolist(), a.postcode.tolist(), a.attrs.tolist()))
    for scenario in plan.scenarios.values():
        write_scenario(conn, plan, scenario)


def write_scenario(conn: sqlite3.Connection, plan: Plan, scenario: Scenario) -> None:
    conn.execute("INSERT INTO scenarios (id, name, created_at, based_on, notes) VALUES (?, ?, ?, ?, ?)",
                 (scenario.id, scenario.name, scenario.created_at or now_iso(), scenario.based_on, scenario.notes))
    conn.executemany(f"INSERT INTO territories ({', '.join(TERRITORY_COLUMNS)}) "
                     f"VALUES ({', '.join('?' * len(TERRITORY_COLUMNS))})",
                     [_territory_row(scenario.id, t) for t in scenario.territories.values()])
    territory = np.where(scenario.assignment == UNASSIGNED, None, scenario.assignment.astype(object))
    conn.executemany("INSERT INTO assignments (scenario_id, account_id, territory_id, locked) VALUES (?, ?, ?, ?)",
                     zip([scenario.id] * len(territory), plan.accounts.ids.tolist(), territory.tolist(),
                         scenario.locked.astype(int).tolist()))


def _nan_to_none(values: np.ndarray) -> list:
    return np.where(np.isnan(values), None, values.astype(object)).tolist()
