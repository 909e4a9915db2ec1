"""Project files as older versions of the app wrote them, for the migration tests."""

from __future__ import annotations

import sqlite3

from desktop_planner.store import schema
from desktop_planner.store.project import _write_plan

SCRIPTS = {1: schema.SCHEMA_V1, 2: schema.SCHEMA_V2, 3: schema.SCHEMA_V3, 4: schema.SCHEMA_V4,
           5: schema.SCHEMA_V5}


def write_old_version(path, plan, version: int, *statements: str) -> None:
    """`plan` in the schema of `version`, then `statements` (rows only an old file holds), in one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(SCRIPTS[version])
    conn.execute(schema.DERIVED_CACHE_DDL)
    # Today's writer fills the CRM key columns of version 4 and the score columns of version 5: they are there for
    # the writing only.
    added = [("territories", c, "TEXT") for c in schema.CRM_TERRITORY_COLUMNS if version < 4]
    if version < 5:
        added += [("accounts", c, kind) for c, kind in schema.SCORE_COLUMNS] + [("scenarios", "team_id", "INTEGER")]
    for table, column, kind in added:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    conn.execute("BEGIN")
    _write_plan(conn, plan)
    conn.execute("UPDATE project SET value = ? WHERE key = 'schema_version'", (str(version),))
    for statement in statements:
        conn.execute(statement)
    conn.execute("COMMIT")
    for table, column, _kind in added:
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.close()
