"""Checking, creating and migrating project files. A file that is not a usable project is never modified."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from desktop_planner.store.schema import (APPLICATION_ID, DERIVED_CACHE_DDL, MIGRATIONS, REQUIRED_COLUMNS, SCHEMA_V1,
                                          SCHEMA_VERSION)

SQLITE_HEADER = b"SQLite format 3\x00"


class ProjectError(Exception):
    """A project file cannot be opened or written; the message names the file and the reason."""


def check_project_file(path: Path) -> int:
    """Return the schema version of a valid project file, or raise ProjectError. Reads only."""
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
    sidecars = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    existed = [p.exists() for p in sidecars]
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ProjectError(f"{path}: cannot be opened ({exc})") from None
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "project" not in tables:
            raise ProjectError(f"{path}: an SQLite database, but not a desktop_planner project (it has no "
                               f"'project' table)")
        row = conn.execute("SELECT value FROM project WHERE key = 'schema_version'").fetchone()
        if row is None:
            raise ProjectError(f"{path}: not a desktop_planner project (no schema_version in its project table)")
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise ProjectError(f"{path}: damaged project file (schema_version is {row[0]!r})") from None
        if version > SCHEMA_VERSION:
            raise ProjectError(f"{path}: written by a newer desktop_planner (schema version {version}; this "
                               f"version reads up to {SCHEMA_VERSION}). Update the app to open it.")
        if version < 1:
            raise ProjectError(f"{path}: damaged project file (schema_version is {version})")
        if version == SCHEMA_VERSION:
            _check_columns(conn, path)
        return version
    except sqlite3.DatabaseError as exc:
        raise ProjectError(f"{path}: damaged or unreadable project file ({exc})") from None
    finally:
        conn.close()
        _remove_new_sidecars(sidecars, existed)


def _remove_new_sidecars(sidecars: list[Path], existed: list[bool]) -> None:
    """A read-only look at a WAL-mode file makes SQLite create empty -wal/-shm files it cannot delete itself;
    remove the ones this check created so that a refused file's folder is left as it was."""
    wal, shm = sidecars
    if not existed[0] and wal.exists() and wal.stat().st_size == 0:
        wal.unlink(missing_ok=True)
        if not existed[1]:
            shm.unlink(missing_ok=True)


def _check_columns(conn: sqlite3.Connection, path: Path) -> None:
    for table, required in REQUIRED_COLUMNS.items():
        columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
        if not columns:
            raise ProjectError(f"{path}: damaged project file (table {table!r} is missing)")
        missing = required - columns
        if missing:
            raise ProjectError(f"{path}: damaged project file (table {table!r} lacks {', '.join(sorted(missing))})")
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
    conn.executescript(SCHEMA_V1)
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
