"""Checking, creating and migrating project files. A file that is not a usable project is never modified."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
from pathlib import Path

from desktop_planner.store.schema import (APPLICATION_ID, DERIVED_CACHE_DDL, MIGRATIONS, REQUIRED_COLUMNS, SCHEMA,
                                          SCHEMA_VERSION)

SQLITE_HEADER = b"SQLite format 3\x00"


class ProjectError(Exception):
    """A project file cannot be opened or written; the message names the file and the reason."""


class ProjectDamaged(ProjectError):
    """The file is an SQLite database whose pages or records are damaged."""


# Opening checks the whole file: integrity_check (pages, records and that every index matches its table) up to
# this size, quick_check (the same without the index comparison, about 3.5 times faster) above it. Measured on
# a 1M-account project of 133 MB: integrity_check 1.0 s, quick_check 0.29 s, loading the plan 6.5 s. Of 60 copies
# with one bit flipped, quick_check let 6 through that integrity_check refuses (an index out of step).
FULL_CHECK_MAX_BYTES = 256 * 1024 * 1024
MAX_DETAIL = 300  # characters of SQLite's own description of the damage quoted in the message


def damaged(path: Path, detail: str) -> ProjectDamaged:
    """The message for a damaged file: what is wrong, that nothing was changed, and how to get the work back."""
    detail = " ".join(str(detail).split())
    if len(detail) > MAX_DETAIL:
        detail = detail[:MAX_DETAIL] + "…"
    backups = sorted(path.parent.glob(glob.escape(path.name) + ".*bak"), key=lambda p: p.stat().st_mtime)
    backup = (f"the backup copy beside it ({backups[-1].name})" if backups else
              "a backup copy of it, if you have one")
    return ProjectDamaged(
        f"{path}: the project file is damaged ({detail}). It was not opened and nothing in it was changed. To "
        f"recover, open {backup}, or rescue what is still readable into a new file with the sqlite3 tool: "
        f"sqlite3 \"{path.name}\" .recover | sqlite3 recovered.tplan")


def read_only_uri(path: Path) -> str:
    """A URI that opens the file without writing a byte: `mode=ro`, or `immutable=1` in a folder that cannot be
    written (SQLite could not create the shared-memory file a WAL database needs there) unless a write-ahead log
    with committed work lies beside it (immutable would not read it)."""
    uri = path.resolve().as_uri()
    wal = Path(f"{path}-wal")
    has_log = wal.exists() and wal.stat().st_size > 0
    if not os.access(path.parent, os.W_OK) and not has_log:
        return f"{uri}?immutable=1"
    return f"{uri}?mode=ro"


def connect_read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(read_only_uri(path), uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def sidecars_of(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]


def remove_new_sidecars(path: Path, existed: list[bool]) -> None:
    """A read-only connection to a WAL-mode file makes SQLite create empty -wal/-shm files it cannot delete
    itself; remove the ones a reader created so that reading leaves the folder as it was. Only while no writer
    holds the project (a writer uses them); holding the writer lock meanwhile so that none starts."""
    from desktop_planner.store.instance_lock import InstanceLock
    wal, shm = sidecars_of(path)
    if existed[0] or not wal.exists() or wal.stat().st_size > 0:
        return
    # Holding the lock here: this process is the writer and had no connection using them (one would have
    # kept the -wal in place).
    lock = InstanceLock.try_acquire(path, "reader")
    if lock is None:
        return  # a writer is at work: the files are its own
    try:
        wal.unlink(missing_ok=True)
        if not existed[1]:
            shm.unlink(missing_ok=True)
    finally:
        lock.release()


def check_project_file(path: Path, full: bool = True) -> int:
    """Return the schema version of a valid, undamaged project file, or raise ProjectError. Reads only.
    `full=False` leaves out the check of every page (for a file this process has open and checked already)."""
    if not path.exists():
        raise ProjectError(f"{path}: no such file")
    if path.is_dir():
        raise ProjectError(f"{path}: is a folder, not a project file")
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not header:
        raise ProjectError(f"{path}: the file is empty, so it is not a desktop_planner project")
    if header != SQLITE_HEADER:
        raise ProjectError(f"{path}: not a desktop_planner project (the file is not an SQLite database)")
    sidecars = sidecars_of(path)
    existed = [p.exists() for p in sidecars]
    try:
        conn = connect_read_only(path)
    except sqlite3.Error as exc:
        raise ProjectError(f"{path}: cannot be opened ({exc})") from None
    try:
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.OperationalError as exc:  # not damage: a lock, a missing shared-memory file, permissions
            raise ProjectError(f"{path}: cannot be read just now ({exc})") from None
        if "project" not in tables:
            raise ProjectError(f"{path}: an SQLite database, but not a desktop_planner project (it has no "
                               f"'project' table)")
        row = conn.execute("SELECT value FROM project WHERE key = 'schema_version'").fetchone()
        if row is None:
            raise ProjectError(f"{path}: not a desktop_planner project (no schema_version in its project table)")
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise damaged(path, f"schema_version is {row[0]!r}") from None
        if version > SCHEMA_VERSION:
            raise ProjectError(f"{path}: written by a newer desktop_planner (schema version {version}; this "
                               f"version reads up to {SCHEMA_VERSION}). Update the app to open it.")
        if version < 1:
            raise damaged(path, f"schema_version is {version}")
        if full:
            check = "integrity_check" if path.stat().st_size <= FULL_CHECK_MAX_BYTES else "quick_check"
            problems = [r[0] for r in conn.execute(f"PRAGMA {check}(20)").fetchall()]
            if problems != ["ok"]:
                raise damaged(path, "; ".join(map(str, problems)))
        _check_columns(conn, path)  # the columns of version 1, which every later version keeps
        return version
    except sqlite3.OperationalError as exc:
        if "malformed" in str(exc) or "corrupt" in str(exc):
            raise damaged(path, exc) from None
        raise ProjectError(f"{path}: cannot be read ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from None
    except (ValueError, OverflowError) as exc:  # text that is not UTF-8, a number out of range: flipped bits
        raise damaged(path, f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()
        remove_new_sidecars(path, existed)


def _check_columns(conn: sqlite3.Connection, path: Path) -> None:
    for table, required in REQUIRED_COLUMNS.items():
        columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
        if not columns:
            raise damaged(path, f"table {table!r} is missing")
        missing = required - columns
        if missing:
            raise damaged(path, f"table {table!r} lacks {', '.join(sorted(missing))}")
    # Reading a row of each table surfaces corrupt pages early, before the user starts working.
    for table in REQUIRED_COLUMNS:
        conn.execute(f'SELECT * FROM "{table}" LIMIT 1').fetchall()


def connect(path: Path) -> sqlite3.Connection:
    """Open an already checked project for reading and writing (WAL, foreign keys off, autocommit off)."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable at checkpoints, never corrupt
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)
    conn.execute(DERIVED_CACHE_DDL)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def backup_path(path: Path, version: int) -> Path:
    candidate = path.with_name(f"{path.name}.v{version}.bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.v{version}.{n}.bak")
    return candidate


def migrate(path: Path, version: int) -> Path | None:
    """Bring an older file to SCHEMA_VERSION: a backup copy first, then every step in one transaction.
    Returns the backup's path (None when nothing had to be done)."""
    if version == SCHEMA_VERSION:
        return None
    missing = [v for v in range(version, SCHEMA_VERSION) if v not in MIGRATIONS]
    if missing:
        raise ProjectError(f"{path}: schema version {version} cannot be upgraded by this version of the app")
    backup = backup_path(path, version)
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        # Committed work still in the write-ahead log: fold it into the file so the copy holds everything.
        conn = sqlite3.connect(str(path))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    shutil.copy2(path, backup)  # a byte-for-byte copy: what the user had, exactly
    conn = connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for v in range(version, SCHEMA_VERSION):
            MIGRATIONS[v](conn)
        conn.execute("UPDATE project SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        conn.execute("COMMIT")
    except Exception as exc:
        conn.execute("ROLLBACK")
        raise ProjectError(f"{path}: upgrading from schema version {version} failed ({exc}); the file is "
                           f"unchanged and a copy is at {backup}") from None
    finally:
        conn.close()
    return backup


def replace_atomically(tmp: Path, path: Path) -> None:
    """Move a freshly written file into place, so a crash never leaves half a project behind."""
    for suffix in ("-wal", "-shm"):
        leftover = Path(str(path) + suffix)
        if leftover.exists():
            leftover.unlink()
    os.replace(tmp, path)
