"""The project file: open or create it, load the plan into memory, and persist every committed command.

`ProjectFile` is the History's persistence sink: each `commit` call is one SQLite transaction holding the
command's assignment, lock and territory rows together with its rows in `changes`.

A writer (`open(path)`, `create`) holds the project's writer lock until it closes, so a second writer is refused
with the holder's name; a reader (`open(path, read_only=True)`) takes no lock, opens the file read-only and
changes no byte. A writer never writes from a stale plan: when the file changed underneath it since it was
loaded (SQLite's `data_version`, by a process outside the lock such as the sqlite3 tool), the write is refused.
"""

from __future__ import annotations

import getpass
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from desktop_planner.core.commands import Effect
from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.model import Plan
from desktop_planner.core.settings import Settings
from desktop_planner.store.change_writer import (ChangeWriter, FileOutOfStep, record_issues, write_scenario,
                                                write_unit_layer)
from desktop_planner.store.derived_cache import cached_graph_edges, store_entry
from desktop_planner.store.instance_lock import InstanceLock, held_here
from desktop_planner.store.loading import UnknownTeam, load_plan
from desktop_planner.store.opening import (ProjectError, check_project_file, connect, connect_read_only, create_schema,
                                           damaged, migrate, remove_new_sidecars, replace_atomically, sidecars_of)
from desktop_planner.store.schema import ID_TABLES, SCHEMA_VERSION

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


class ProjectChanged(ProjectError):
    """The file was changed by another program since this process loaded it; nothing was written."""


# Per project (resolved path): how many commits this process made through any of its connections. A sibling
# connection of the same process (the worker that caches the account graph) changes `data_version` too; this
# tells such a change from one made by another process.
_local_commits: dict[str, int] = {}
# Projects this process has open read-only (per resolved path, counted). A writer open of the same project in
# the same process while it does not hold the writer lock (a helper thread of a read-only window) reads only.
_read_only_opens: dict[str, int] = {}
# ProjectFiles open in this process per project, read-only or not. Each checked every page when it opened; a
# helper opening the same file again while one is open (the region worker) skips that second full check.
_open_here: dict[str, int] = {}


def _count(counts: dict[str, int], key: str, step: int) -> None:
    value = counts.get(key, 0) + step
    if value > 0:
        counts[key] = value
    else:
        counts.pop(key, None)


def _key(path: Path) -> str:
    return str(path.resolve())


class ProjectFile:
    def __init__(self, path: Path, conn: sqlite3.Connection, backup: Path | None = None, read_only: bool = False,
                 lock: InstanceLock | None = None, sidecars_existed: list[bool] | None = None) -> None:
        self.path = path
        self.conn = conn
        self.migrated_backup = backup
        self.read_only = read_only
        self.lock = lock
        self._sidecars_existed = sidecars_existed
        self.user = current_user()
        self._key = _key(path)
        _count(_open_here, self._key, +1)
        self._seen = self._state()  # data_version and this process's commits when the plan was last in step

    @property
    def db(self):
        """The file as a sqlite-utils Database, for table-level work (imported on first use: it is slow to load
        and the command line's quick commands never need it)."""
        import sqlite_utils
        return sqlite_utils.Database(self.conn)

    # -- opening and creating ----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, read_only: bool = False) -> "ProjectFile":
        """Open for writing (taking the writer lock: ProjectInUse names the holder) or, with read_only, for
        reading only: no lock, no migration, no cache written, not a byte changed."""
        path = Path(path)
        if not read_only and path.exists() and _read_only_opens.get(_key(path)) and not held_here(path):
            read_only = True  # this process shows the project read-only: its helpers do not write it either
        if read_only:
            return cls._open_read_only(path)
        if not path.is_file():
            check_project_file(path)  # raises with the reason (no such file, a folder)
        return cls._open_writer(path, full_check=not _open_here.get(_key(path)))

    @classmethod
    def _open_writer(cls, path: Path, full_check: bool) -> "ProjectFile":
        lock = InstanceLock.acquire(path, current_user())
        try:
            version = check_project_file(path, full=full_check)
            backup = migrate(path, version)
            try:
                return cls(path, connect(path), backup, lock=lock)
            except sqlite3.Error as exc:
                raise ProjectError(f"{path}: cannot be opened for writing ({exc})") from None
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _open_read_only(cls, path: Path) -> "ProjectFile":
        existed = [p.exists() for p in sidecars_of(path)]
        check_project_file(path, full=not _open_here.get(_key(path)))
        try:
            conn = connect_read_only(path)
        except sqlite3.Error as exc:
            raise ProjectError(f"{path}: cannot be opened for reading ({exc})") from None
        _count(_read_only_opens, _key(path), +1)
        return cls(path, conn, read_only=True, sidecars_existed=existed)

    @classmethod
    def create(cls, path: str | Path, plan: Plan, overwrite: bool = False, issues=None) -> "ProjectFile":
        """Write a whole plan as a new project file (atomically: to a temporary file, then renamed), holding the
        writer lock (a project open elsewhere is not replaced). `issues`: (source, rejected rows) of the import
        the plan came from, written in the same transaction."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise ProjectError(f"{path}: already exists (choose another name or allow overwriting)")
        if path.is_dir():
            raise ProjectError(f"{path}: is a folder")
        lock = InstanceLock.acquire(path, current_user())
        try:
            cls._write_new(path, plan, issues)
            return cls._open_writer(path, full_check=False)  # just written whole: no page to doubt
        finally:
            lock.release()  # open() took its own count of the lock

    @staticmethod
    def _write_new(path: Path, plan: Plan, issues) -> None:
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
            if issues is not None:
                record_issues(conn, issues[0], issues[1], now_iso())
            conn.execute("COMMIT")
            conn.close()
            replace_atomically(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ProjectError(f"{path}: cannot be written ({exc.strerror or exc})") from None
        except sqlite3.Error as exc:
            tmp.unlink(missing_ok=True)
            raise ProjectError(f"{path}: cannot be written ({exc})") from None

    def close(self) -> None:
        if self.conn is None:
            return
        if not self.read_only and _open_here.get(self._key, 0) <= 1:
            # The last connection of this process folds the log into the file. (While another one is open, a
            # checkpoint here would look to it like a change by another program: SQLite's data_version moves.)
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # another reader holds the WAL: SQLite checkpoints later
        self.conn.close()
        self.conn = None
        _count(_open_here, self._key, -1)
        if self.read_only:
            _count(_read_only_opens, self._key, -1)
            remove_new_sidecars(self.path, self._sidecars_existed or [True, True])
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def __enter__(self) -> "ProjectFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------------------
    def load_plan(self, team: str | None = None, all_accounts: bool = False) -> Plan:
        """The whole plan, read in one read transaction; the writes that follow are checked against it. With
        teams, one team's view (store.loading.load_plan); an unknown team is a ProjectError naming the teams."""
        try:
            self.conn.execute("BEGIN")
            try:
                self._seen = self._state()
                try:
                    plan = load_plan(self.conn, self.path, team=team, all_accounts=all_accounts)
                except UnknownTeam as exc:
                    raise ProjectError(f"{self.path}: {exc}") from None
                plan.id_floor.update(self.high_water())
            finally:
                self.conn.execute("COMMIT")
            return plan
        except sqlite3.OperationalError as exc:
            if "malformed" in str(exc) or "corrupt" in str(exc):
                raise damaged(self.path, exc) from None
            raise ProjectError(f"{self.path}: cannot be read just now ({exc})") from None  # busy, not damaged
        except sqlite3.DatabaseError as exc:
            raise damaged(self.path, exc) from None
        except (ValueError, IndexError, KeyError, TypeError, OverflowError) as exc:
            # A value no project holds (a flipped bit in a record): text that is not UTF-8, a number that is text.
            raise damaged(self.path, f"{exc}") from None

    def high_water(self) -> dict[str, int]:
        """The highest id ever given out per table (AUTOINCREMENT), or the highest present in an older file."""
        marks = {table: 0 for table in ID_TABLES}
        try:
            marks.update(dict(self.conn.execute(
                f"SELECT name, seq FROM sqlite_sequence WHERE name IN ({', '.join('?' * len(ID_TABLES))})",
                ID_TABLES).fetchall()))
        except sqlite3.OperationalError:
            pass  # a version-1 file opened read-only: no sequences
        for table in ID_TABLES:
            top = self.conn.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0]
            marks[table] = max(int(marks[table] or 0), int(top or 0))
        return marks

    def contiguity_checker(self, plan: Plan) -> ContiguityChecker:
        """A checker whose account graph comes from the file's cache (computed on first use, and stored only
        by a writer: reading commands change no byte)."""
        edges, stored = cached_graph_edges(self.conn, plan.accounts, store=not self.read_only)
        if stored:
            self._count_local_commit()
        return ContiguityChecker(plan.accounts, edges)

    def store_derived(self, key: str, fingerprint: str, data: bytes) -> bool:
        """Keep a derived figure (regions' cells, study area) in the file's cache, counted as this process's own
        commit so that the window never takes it for another program's change. False when the file is read-only
        or busy: the entry stays a miss, which only costs time."""
        if self.read_only or not store_entry(self.conn, key, fingerprint, data):
            return False
        self._count_local_commit()
        return True

    def project_value(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM project WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    # -- writing -------------------------------------------------------------------------------------------
    def set_project_value(self, key: str, value: str) -> None:
        with self._transaction():
            self.conn.execute("INSERT OR REPLACE INTO project (key, value) VALUES (?, ?)", (key, value))

    def record_import_issues(self, source: str, issues) -> None:
        """Keep every rejected row with its reason (`export --what issues` writes them out). An import's own
        rejected rows go with the import instead (core.commands.RecordIssues): one transaction for both."""
        with self._transaction():
            record_issues(self.conn, source, issues, now_iso())

    def save_settings(self, settings: Settings) -> None:
        with self._transaction(plan_based=True):
            self.conn.execute("INSERT OR REPLACE INTO project (key, value) VALUES (?, ?)",
                              ("settings", settings.to_json()))

    def commit(self, plan: Plan, effects: list[Effect], action: str, label: str) -> None:
        """Persistence sink of the History: all effects of one command in one transaction."""
        with self._transaction(plan_based=True):
            ChangeWriter(self.conn, plan, effects, action, label, self.user, now_iso()).write()
        plan.id_floor.update(self.high_water())

    def set_active_scenario(self, scenario_id: int) -> None:
        """Which scenario the app shows on opening (a view setting, not an undoable edit)."""
        self.set_project_value("active_scenario", str(scenario_id))

    # -- staleness ----------------------------------------------------------------------------------------
    def _state(self) -> tuple[int, int]:
        return self.conn.execute("PRAGMA data_version").fetchone()[0], _local_commits.get(self._key, 0)

    def _count_local_commit(self) -> None:
        _local_commits[self._key] = _local_commits.get(self._key, 0) + 1
        self._seen = (self._seen[0], _local_commits[self._key])

    def check_in_step(self) -> None:
        """Raise ProjectChanged when another process committed to the file since the plan was loaded."""
        version, local = self._state()
        if version != self._seen[0] and local == self._seen[1]:
            raise ProjectChanged(
                f"{self.path}: the file was changed by another program since it was opened, so the plan shown is "
                f"out of date; nothing was written. Open the project again to see the current plan, then redo "
                f"the change.")
        self._seen = (version, local)

    def _transaction(self, plan_based: bool = False):
        if self.read_only:
            raise ProjectError(f"{self.path}: opened read-only; nothing can be written")
        return _Transaction(self, plan_based)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK and a ProjectError naming the file. A write that depends on the
    loaded plan first checks that the file is still the one the plan was loaded from."""

    def __init__(self, project: ProjectFile, plan_based: bool) -> None:
        self.project = project
        self.conn = project.conn
        self.path = project.path
        self.plan_based = plan_based

    def __enter__(self):
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise ProjectError(f"{self.path}: cannot write ({exc})") from None
        if self.plan_based:
            try:
                self.project.check_in_step()
            except ProjectError:
                self.conn.execute("ROLLBACK")
                raise
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
                self.project._count_local_commit()
                return False
            except sqlite3.Error as commit_error:
                exc = commit_error
        self.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise ProjectError(f"{self.path}: the change could not be saved ({exc}); nothing was written") from None
        if isinstance(exc, FileOutOfStep):
            raise ProjectChanged(f"{self.path}: the file does not hold what the plan shown says ({exc}); nothing "
                                 f"was written. Open the project again to see the current plan.") from None
        return False


def _write_plan(conn: sqlite3.Connection, plan: Plan) -> None:
    a = plan.accounts
    conn.executemany("INSERT INTO project (key, value) VALUES (?, ?)", [
        ("schema_version", str(SCHEMA_VERSION)), ("name", plan.name), ("created_at", now_iso()),
        ("active_scenario", str(plan.active_scenario_id)), ("settings", plan.settings.to_json())])
    conn.executemany(
        "INSERT INTO accounts (id, external_id, name, lon, lat, potential, visits_per_year, visit_minutes, segment,"
        " industry, postcode, attrs, score, tier) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        zip(a.ids.tolist(), a.external_id.tolist(), a.name.tolist(), a.lon.tolist(), a.lat.tolist(),
            a.potential.tolist(), _nan_to_none(a.visits_per_year), _nan_to_none(a.visit_minutes),
            a.segment.tolist(), a.industry.tolist(), a.postcode.tolist(), a.attrs.tolist(), _nan_to_none(a.score),
            a.tier.tolist()))
    for scenario in plan.scenarios.values():
        write_scenario(conn, plan, scenario, now_iso())
    if getattr(plan, "units", None) is not None:
        write_unit_layer(conn, plan, plan.units, now_iso())


def _nan_to_none(values: np.ndarray) -> list:
    return np.where(np.isnan(values), None, values.astype(object)).tolist()
