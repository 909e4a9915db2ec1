"""Project files as older versions of the app wrote them, for the migration tests."""

from __future__ import annotations

import sqlite3

from desktop_planner.store import schema
from desktop_planner.store.project import _write_plan

SCRIPTS = {1: schema.SCHEMA_V1, 2: schema.SCHEMA_V2, 3: schema.SCHEMA_V3}


def write_old_version(path, plan, version: int, *statements: str) -> None:
    """`plan` in the schema of `version`, then `statements` (rows only an old file holds), in one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(SCRIPTS[version])
    conn.execute(schema.DERIVED_CACHE_DDL)
    # Today's writer fills the CRM key columns of version 4: they are there for the writing only.
    for column in schema.CRM_TERRITORY_COLUMNS:
        conn.execute(f"ALTER TABLE territories ADD COLUMN {column} TEXT")
    conn.execute("BEGIN")
    _write_plan(conn, plan)
    conn.execute("UPDATE project SET value = ? WHERE key = 'schema_version'", (str(version),))
    for statement in statements:
        conn.execute(statement)
    conn.execute("COMMIT")
    for column in schema.CRM_TERRITORY_COLUMNS:
        conn.execute(f"ALTER TABLE territories DROP COLUMN {column}")
    conn.close()
