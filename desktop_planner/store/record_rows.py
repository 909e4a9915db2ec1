"""The record tables (core.records: actuals, quotas, holdouts, reviews) in the project file: read whole into a
frame on first use, and the rows a command puts or deletes written in its transaction."""

from __future__ import annotations

import sqlite3

import pandas as pd

from desktop_planner.core.records import TABLES, TableEffect


def read_record_table(conn: sqlite3.Connection, table: str) -> pd.DataFrame | None:
    """The table's rows in key order; None when the file predates it (opened read-only, not migrated)."""
    columns, key_columns = TABLES[table]
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is None:
        return None
    rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(key_columns)}").fetchall()
    return pd.DataFrame.from_records(rows, columns=list(columns))


def _plain(value):
    """A frame's cell as SQLite takes it: numpy scalars as Python numbers, NaN and NA as NULL."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def write_table_effect(conn: sqlite3.Connection, effect: TableEffect) -> None:
    columns, key_columns = TABLES[effect.table]
    where = " AND ".join(f"{c} = ?" for c in key_columns)
    conn.executemany(f"DELETE FROM {effect.table} WHERE {where}",
                     [tuple(_plain(v) for v in key) for key in effect.delete])
    if len(effect.put):
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT OR REPLACE INTO {effect.table} ({', '.join(columns)}) VALUES ({marks})",
                         [tuple(_plain(v) for v in row)
                          for row in effect.put[list(columns)].itertuples(index=False, name=None)])
