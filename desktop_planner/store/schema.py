"""The project file's schema (DESIGN.md), version 6, and the migrations from older versions.

Version 2: ids of accounts, scenarios and territories are AUTOINCREMENT (never reused, so an audit row never
points at a different object), and each audit row also keeps the names as they were when it was written.
Version 3: geography units (at most one active layer): the layer, its units with WKB polygons, the unit of each
account, each scenario's unit territories, and the accounts that are exceptions (they keep their own territory
when their unit moves). A file without a layer has these tables empty and behaves as version 2 did.
Version 4: the CRM's keys on territories: the territory code and the rep's user id and e-mail address.
Version 5: teams. A scenario holds one alignment per team: a scenario row per (name, team), so every figure,
command and audit row that is keyed by scenario id works per team unchanged. team_id 0 is "no teams defined".
Also each account's score and tier, and the hand-overs of accounts between teams.
Version 6: what comes back after go-live: actuals, quotas, holdouts and reps' reviews (core.records).
"""

from __future__ import annotations

import sqlite3
from typing import Callable

SCHEMA_VERSION = 6
APPLICATION_ID = 0x54504C4E  # "TPLN" in the SQLite header: lets `file` and other tools recognise a project

SCHEMA_V1 = """
CREATE TABLE project (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    external_id TEXT UNIQUE NOT NULL,
    name TEXT,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    potential REAL NOT NULL DEFAULT 0,
    visits_per_year REAL,
    visit_minutes REAL,
    segment TEXT,
    industry TEXT,
    postcode TEXT,
    attrs TEXT
);
CREATE TABLE scenarios (
    id INTEGER PRIMARY KEY,
    name TEXT UNIQUE NOT NULL,
    created_at TEXT,
    based_on INTEGER,
    notes TEXT
);
CREATE TABLE territories (
    id INTEGER PRIMARY KEY,
    scenario_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    color TEXT,
    rep_name TEXT,
    home_lon REAL,
    home_lat REAL,
    capacity_hours REAL,
    region TEXT,
    locked INTEGER NOT NULL DEFAULT 0,
    UNIQUE (scenario_id, name)
);
CREATE TABLE assignments (
    scenario_id INTEGER,
    account_id INTEGER,
    territory_id INTEGER NULL,
    locked INTEGER DEFAULT 0,
    PRIMARY KEY (scenario_id, account_id)
) WITHOUT ROWID;
CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    at TEXT,
    scenario_id INTEGER,
    account_id INTEGER,
    from_territory_id INTEGER,
    to_territory_id INTEGER,
    action TEXT,
    user TEXT,
    step INTEGER,
    label TEXT
);
CREATE INDEX changes_by_scenario ON changes (scenario_id, id);
CREATE INDEX changes_by_account ON changes (account_id);
CREATE TABLE import_issues (
    id INTEGER PRIMARY KEY,
    at TEXT,
    source TEXT,
    row_number INTEGER,
    raw TEXT,
    problem TEXT
);
"""

AUDIT_NAME_COLUMNS = ("scenario_name", "account_external_id", "from_territory_name", "to_territory_name")
ID_TABLES = ("accounts", "scenarios", "territories")  # AUTOINCREMENT from version 2 on


def _v2(script: str) -> str:
    for table in ID_TABLES:
        script = script.replace(f"CREATE TABLE {table} (\n    id INTEGER PRIMARY KEY,",
                                f"CREATE TABLE {table} (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,")
    script = script.replace("    step INTEGER,\n    label TEXT\n);", "    step INTEGER,\n    label TEXT,\n"
                            + ",\n".join(f"    {c} TEXT" for c in AUDIT_NAME_COLUMNS) + "\n);")
    return script + CHANGES_BY_STEP + ";\n"


# Every commit numbers its audit rows with MAX(step) + 1: without this index that reads the whole audit trail,
# which grows by an auto-balance's tens of thousands of rows at a time.
CHANGES_BY_STEP = "CREATE INDEX IF NOT EXISTS changes_by_step ON changes (step)"


SCHEMA_V2 = _v2(SCHEMA_V1)

# Version 3. `unit_layers` has one row at most (the active layer). Account -> unit lives in its own table rather
# than in `accounts`, so the account writers need not know about units; an account without a row there is not
# placed yet (it arrived after the layer was set).
UNIT_TABLES = """
CREATE TABLE IF NOT EXISTS unit_layers (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    kind TEXT NOT NULL,
    source TEXT,
    id_column TEXT,
    name_column TEXT,
    approximate INTEGER NOT NULL DEFAULT 0,
    created_at TEXT
);
CREATE TABLE IF NOT EXISTS units (
    position INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    name TEXT,
    parent TEXT,
    area_km2 REAL,
    geometry BLOB
);
CREATE TABLE IF NOT EXISTS account_units (
    account_id INTEGER PRIMARY KEY,
    unit_id TEXT,
    how TEXT,
    problem TEXT
);
CREATE TABLE IF NOT EXISTS unit_assignments (
    scenario_id INTEGER,
    unit_id TEXT,
    territory_id INTEGER NULL,
    PRIMARY KEY (scenario_id, unit_id)
) WITHOUT ROWID;
"""
EXCEPTION_COLUMN = "unit_exception"  # in `assignments`: 1 = a named account that keeps its own territory


def _v3(script: str) -> str:
    script = script.replace("    locked INTEGER DEFAULT 0,\n    PRIMARY KEY (scenario_id, account_id)",
                            f"    locked INTEGER DEFAULT 0,\n    {EXCEPTION_COLUMN} INTEGER NOT NULL DEFAULT 0,\n"
                            "    PRIMARY KEY (scenario_id, account_id)")
    return script + UNIT_TABLES


SCHEMA_V3 = _v3(SCHEMA_V2)

# Version 4. NULL in `code` means "made from the name" (core.model.territory_codes), so files written before
# codes existed read the same as they always did. Codes are kept unique by the commands rather than by an index:
# one step may swap the codes of two territories, which a UNIQUE constraint would refuse half-way.
CRM_TERRITORY_COLUMNS = ("code", "rep_id", "rep_email")


def _v4(script: str) -> str:
    return script.replace("    locked INTEGER NOT NULL DEFAULT 0,\n    UNIQUE (scenario_id, name)",
                          "    locked INTEGER NOT NULL DEFAULT 0,\n"
                          + "".join(f"    {c} TEXT,\n" for c in CRM_TERRITORY_COLUMNS)
                          + "    UNIQUE (scenario_id, name)")


SCHEMA_V4 = _v4(SCHEMA_V3)

# Version 5. Scenario names are unique per team: the rows of one name form the scenario the user sees, one row
# per team (the views of store.team_views). Rows of a removed team keep a negative team_id, so that undoing the
# removal brings them back as they were.
TEAM_TABLES = """
CREATE TABLE IF NOT EXISTS teams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE NOT NULL,
    kind TEXT NOT NULL DEFAULT 'exclusive',
    rule TEXT NOT NULL DEFAULT '',
    include_ids TEXT,
    exclude_ids TEXT,
    settings TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TEXT
);
CREATE TABLE IF NOT EXISTS handovers (
    id INTEGER PRIMARY KEY,
    at TEXT,
    step INTEGER,
    account_id INTEGER,
    external_id TEXT,
    from_team TEXT,
    to_team TEXT,
    reason TEXT
);
"""
SCORE_COLUMNS = (("score", "REAL"), ("tier", "TEXT"))


def _v5(script: str) -> str:
    script = script.replace("    name TEXT UNIQUE NOT NULL,\n    created_at TEXT,\n    based_on INTEGER,\n    notes TEXT\n);",
                            "    name TEXT NOT NULL,\n    created_at TEXT,\n    based_on INTEGER,\n    notes TEXT,\n"
                            "    team_id INTEGER NOT NULL DEFAULT 0,\n    UNIQUE (name, team_id)\n);")
    script = script.replace("    postcode TEXT,\n    attrs TEXT\n);", "    postcode TEXT,\n    attrs TEXT,\n"
                            + ",\n".join(f"    {c} {kind}" for c, kind in SCORE_COLUMNS) + "\n);")
    return script + TEAM_TABLES


SCHEMA_V5 = _v5(SCHEMA_V4)

# Version 6: what comes back after go-live (core.records). Actuals per account, period and rep (who booked or
# visited; `owner` is the account's owner at the time); quotas per team, rep and period; holdouts kept back from
# a realignment with their seed and strata, and each account's cohort; reps' reviews of their changes, with the
# workshop's decision. Periods are 'YYYY-Qn' or 'YYYY-MM'.
RECORD_TABLES = """
CREATE TABLE IF NOT EXISTS actuals (
    account_id INTEGER NOT NULL,
    period TEXT NOT NULL,
    rep TEXT NOT NULL DEFAULT '',
    owner TEXT,
    bookings REAL,
    visits REAL,
    source TEXT,
    PRIMARY KEY (account_id, period, rep)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quotas (
    team_id INTEGER NOT NULL DEFAULT 0,
    rep TEXT NOT NULL,
    period TEXT NOT NULL,
    quota REAL NOT NULL,
    origin TEXT,
    PRIMARY KEY (team_id, rep, period)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS holdouts (
    id INTEGER PRIMARY KEY,
    at TEXT,
    team_id INTEGER NOT NULL DEFAULT 0,
    scenario_id INTEGER,
    baseline_id INTEGER,
    go_live TEXT,
    seed INTEGER,
    size INTEGER,
    strata TEXT,
    movers INTEGER
);
CREATE TABLE IF NOT EXISTS holdout_accounts (
    holdout_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    cohort TEXT NOT NULL,
    stratum TEXT,
    from_territory TEXT,
    to_territory TEXT,
    PRIMARY KEY (holdout_id, account_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY,
    account_id INTEGER,
    external_id TEXT,
    scenario_id INTEGER,
    rep TEXT,
    territory TEXT,
    change TEXT,
    verdict TEXT,
    comment TEXT,
    source TEXT,
    imported_at TEXT,
    decision TEXT,
    decided_at TEXT,
    decided_by TEXT
);
"""


def _v6(script: str) -> str:
    return script + RECORD_TABLES


SCHEMA_V6 = _v6(SCHEMA_V5)
SCHEMA = SCHEMA_V6  # what a new file gets

# Figures derived from the accounts that are slow to compute (the Delaunay graph of a million accounts takes
# seconds). Each entry carries a fingerprint of the data it was derived from and is ignored when that differs,
# so a file edited by another tool never shows stale results. Not listed as required: older files lack it.
DERIVED_CACHE_DDL = "CREATE TABLE IF NOT EXISTS derived_cache (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, data BLOB)"

# Tables (and the columns of each) that a file of the current version must have to be opened.
REQUIRED_COLUMNS = {
    "project": {"key", "value"},
    "accounts": {"id", "external_id", "name", "lon", "lat", "potential", "visits_per_year", "visit_minutes",
                 "segment", "industry", "postcode", "attrs"},
    "scenarios": {"id", "name", "created_at", "based_on", "notes"},
    "territories": {"id", "scenario_id", "name", "color", "rep_name", "home_lon", "home_lat", "capacity_hours",
                    "region"},
    "assignments": {"scenario_id", "account_id", "territory_id", "locked"},
    "changes": {"id", "at", "scenario_id", "account_id", "from_territory_id", "to_territory_id", "action", "user"},
    "import_issues": {"id", "at", "source", "row_number", "raw", "problem"},
}



def _table_ddl(script: str, table: str) -> str:
    start = script.index(f"CREATE TABLE {table} (")
    return script[start:script.index(");", start) + 2]


def raise_high_water(conn: sqlite3.Connection, table: str, value: int | None) -> None:
    """Make sure the next AUTOINCREMENT id of `table` is above `value`."""
    if value is None:
        return
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    if row is None:
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, int(value)))
    elif int(value) > row[0]:
        conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (int(value), table))


# Every id a version-1 file may still mention somewhere (the audit trail, stray rows), per table: the new
# high-water mark is above all of them, so no old audit row ever names a new object.
ID_MENTIONS = {
    "accounts": ("SELECT MAX(id) FROM accounts", "SELECT MAX(account_id) FROM assignments",
                 "SELECT MAX(account_id) FROM changes"),
    "scenarios": ("SELECT MAX(id) FROM scenarios", "SELECT MAX(based_on) FROM scenarios",
                  "SELECT MAX(scenario_id) FROM assignments", "SELECT MAX(scenario_id) FROM changes",
                  "SELECT MAX(scenario_id) FROM territories"),
    "territories": ("SELECT MAX(id) FROM territories", "SELECT MAX(territory_id) FROM assignments",
                    "SELECT MAX(from_territory_id) FROM changes", "SELECT MAX(to_territory_id) FROM changes"),
}


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Rebuild accounts, scenarios and territories with AUTOINCREMENT ids (SQLite cannot add it in place), keep
    any extra columns a user added, set each high-water mark above every id the file mentions, and add the
    audit trail's name columns."""
    for table in ID_TABLES:
        old_columns = [(r[1], r[2]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
        conn.execute(_table_ddl(SCHEMA_V2, table).replace(f"CREATE TABLE {table} (", f"CREATE TABLE {table}_v2 ("))
        new_names = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}_v2")')}
        for name, kind in old_columns:
            if name not in new_names:
                quoted = name.replace('"', '""')
                conn.execute(f'ALTER TABLE "{table}_v2" ADD COLUMN "{quoted}" {kind}')
        names = ", ".join('"' + name.replace('"', '""') + '"' for name, _ in old_columns)
        conn.execute(f'INSERT INTO "{table}_v2" ({names}) SELECT {names} FROM "{table}"')
        conn.execute(f'DROP TABLE "{table}"')
        conn.execute(f'ALTER TABLE "{table}_v2" RENAME TO "{table}"')
    have = {r[1] for r in conn.execute("PRAGMA table_info(changes)")}
    for column in ("step", "label") + AUDIT_NAME_COLUMNS:
        if column not in have:
            conn.execute(f"ALTER TABLE changes ADD COLUMN {column} {'INTEGER' if column == 'step' else 'TEXT'}")
    conn.execute(CHANGES_BY_STEP)
    for table, queries in ID_MENTIONS.items():
        values = [conn.execute(q).fetchone()[0] for q in queries]
        raise_high_water(conn, table, max((int(v) for v in values if isinstance(v, int)), default=None))


# MIGRATIONS[v] upgrades a file from schema version v to v + 1, inside the caller's transaction (after a backup
# copy has been written beside the file).
def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """The unit tables, and the exception mark on assignment rows (0 everywhere: no layer yet)."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(assignments)")}
    if EXCEPTION_COLUMN not in have:
        conn.execute(f"ALTER TABLE assignments ADD COLUMN {EXCEPTION_COLUMN} INTEGER NOT NULL DEFAULT 0")
    # One statement at a time: executescript would commit the caller's transaction.
    for statement in UNIT_TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v3_to_v4(conn: sqlite3.Connection) -> None:
    """The CRM key columns on territories, empty: every code is made from its territory's name until set."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(territories)")}
    for column in CRM_TERRITORY_COLUMNS:
        if column not in have:
            conn.execute(f"ALTER TABLE territories ADD COLUMN {column} TEXT")


def _v4_to_v5(conn: sqlite3.Connection) -> None:
    """Scenario names unique per team (SQLite cannot change a constraint in place: the table is rebuilt, its
    AUTOINCREMENT mark kept), the score and tier of each account, the team tables."""
    top = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'scenarios'").fetchone()
    old_columns = [r[1] for r in conn.execute("PRAGMA table_info(scenarios)")]
    conn.execute(_table_ddl(SCHEMA_V5, "scenarios").replace("CREATE TABLE scenarios (", "CREATE TABLE scenarios_v5 ("))
    new_columns = {r[1] for r in conn.execute("PRAGMA table_info(scenarios_v5)")}
    quoted = ['"' + name.replace('"', '""') + '"' for name in old_columns]
    for name, quoted_name in zip(old_columns, quoted):
        if name not in new_columns:  # a column a user added stays
            conn.execute(f"ALTER TABLE scenarios_v5 ADD COLUMN {quoted_name}")
    names = ", ".join(quoted)
    conn.execute(f"INSERT INTO scenarios_v5 ({names}) SELECT {names} FROM scenarios")
    conn.execute("DROP TABLE scenarios")
    conn.execute("ALTER TABLE scenarios_v5 RENAME TO scenarios")
    raise_high_water(conn, "scenarios", max(top[0] if top else 0,
                                            conn.execute("SELECT IFNULL(MAX(id), 0) FROM scenarios").fetchone()[0]))
    have = {r[1] for r in conn.execute("PRAGMA table_info(accounts)")}
    for column, kind in SCORE_COLUMNS:
        if column not in have:
            conn.execute(f"ALTER TABLE accounts ADD COLUMN {column} {kind}")
    for statement in TEAM_TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v5_to_v6(conn: sqlite3.Connection) -> None:
    """The tables of what comes back after go-live, empty."""
    for statement in RECORD_TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4,
                                                               4: _v4_to_v5, 5: _v5_to_v6}
