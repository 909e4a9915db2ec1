"""Schema version 1 of the project file (DESIGN.md), and the migrations from older versions."""

from __future__ import annotations

import sqlite3
from typing import Callable

SCHEMA_VERSION = 1
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

# MIGRATIONS[v] upgrades a file from schema version v to v + 1, inside the caller's transaction.
# Version 1 is the first released schema, so there is nothing to migrate yet; the mechanism (backup, one
# transaction, version bump) is exercised by the store tests with a test migration.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}
