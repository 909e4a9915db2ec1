"""Reading a whole project file into an in-memory Plan, fast enough for a million accounts."""

from __future__ import annotations

import itertools
import sqlite3

from pathlib import Path

import numpy as np

from desktop_planner.core.model import LAZY_COLUMNS, UNASSIGNED, Accounts, Plan, Scenario, Territory
from desktop_planner.core.settings import Settings
from desktop_planner.store.opening import read_only_uri, remove_new_sidecars, sidecars_of
from desktop_planner.store.schema import CRM_TERRITORY_COLUMNS

DENSE_NUMBERS = ("lon", "lat", "potential")
SPARSE_NUMBERS = ("visits_per_year", "visit_minutes")  # mostly NULL: the segment default applies
TEXT_COLUMNS = ("external_id", "name", "segment", "industry", "postcode", "attrs")
# Python's sqlite3 builds one object per value fetched, which dominates loading a million accounts. Whole
# columns are therefore pulled as one string built by SQLite's group_concat and parsed by numpy or str.split:
# exact for integers and text; floats go through printf('%!.17g'), which round-trips a double exactly.
SEPARATOR, NULL_MARK = "\x1f", "\x1e"


def _int_column(conn: sqlite3.Connection, sql: str, params=()) -> np.ndarray:
    text = conn.execute(f"SELECT group_concat(v) FROM ({sql})", params).fetchone()[0]
    return np.fromstring(text, dtype=np.int64, sep=",") if text else np.empty(0, dtype=np.int64)


def read_text_column(conn: sqlite3.Connection, column: str, n: int) -> np.ndarray:
    """One text column (NULL -> None) in id order."""
    values = None
    try:
        joined = conn.execute(f"SELECT group_concat(IFNULL(v, char(30)), char(31)) FROM (SELECT {column} AS v "
                              f"FROM accounts ORDER BY id)").fetchone()[0]
        values = joined.split(SEPARATOR) if joined is not None else []
    except sqlite3.DataError:  # longer than SQLite's largest string: read row by row below
        pass
    if values is None or len(values) != n:
        # A value holding the separator character: the exact but slower row-by-row read.
        values = [row[0] for row in conn.execute(f"SELECT {column} FROM accounts ORDER BY id")]
    array = np.empty(n, dtype=object)
    array[:] = values
    if NULL_MARK in values:
        array[array == NULL_MARK] = None
    return array


def _lazy_text_loader(path: Path, column: str, n: int):
    """Reads the column on first use through a connection of its own, so it works after the project closed."""
    def load() -> np.ndarray:
        existed = [p.exists() for p in sidecars_of(path)]
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            return read_text_column(conn, column, n)
        finally:
            conn.close()
            remove_new_sidecars(path, existed)  # reading leaves the folder as it was
    return load


def _column_arrays(conn: sqlite3.Connection, path: Path | None) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {"ids": _int_column(conn, "SELECT id AS v FROM accounts ORDER BY id")}
    n = len(columns["ids"])
    rows = conn.execute(f"SELECT {', '.join(DENSE_NUMBERS)} FROM accounts ORDER BY id").fetchall()
    dense = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.float64, count=n * len(DENSE_NUMBERS))
    dense = dense.reshape(n, len(DENSE_NUMBERS))
    for i, name in enumerate(DENSE_NUMBERS):
        columns[name] = np.ascontiguousarray(dense[:, i])
    for name in SPARSE_NUMBERS:
        column = np.full(n, np.nan)
        ids_and_values = conn.execute(
            f"SELECT group_concat(id), group_concat(printf('%!.17g', {name})) FROM accounts "
            f"WHERE {name} IS NOT NULL").fetchone()
        if ids_and_values[0]:
            ids = np.fromstring(ids_and_values[0], dtype=np.int64, sep=",")
            column[np.searchsorted(columns["ids"], ids)] = np.fromstring(ids_and_values[1], sep=",")
        columns[name] = column
    for name in TEXT_COLUMNS:
        if name in LAZY_COLUMNS and path is not None:
            columns[name] = _lazy_text_loader(path, name, n)
        else:
            columns[name] = read_text_column(conn, name, n)
    return columns


def load_accounts(conn: sqlite3.Connection, path: Path | None = None) -> Accounts:
    """All accounts; with the file's path, the rarely used text columns are read on first use."""
    c = _column_arrays(conn, path)
    bad = ~(np.isfinite(c["lon"]) & np.isfinite(c["lat"]) & (np.abs(c["lon"]) <= 180) & (np.abs(c["lat"]) <= 90))
    if bad.any():
        first = int(c["ids"][np.flatnonzero(bad)[0]])
        raise ValueError(f"{int(bad.sum())} accounts have invalid coordinates (first: account id {first})")
    return Accounts(**c)


def _crm_columns(conn: sqlite3.Connection) -> str:
    """The territories' CRM key columns to select: NULL for those a file older than version 4 lacks (opened
    read-only, it is not migrated), which then reads as a file without codes."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(territories)")}
    return ", ".join(c if c in have else "NULL" for c in CRM_TERRITORY_COLUMNS)


def load_scenario(conn: sqlite3.Connection, scenario_row: tuple, account_ids: np.ndarray,
                  crm_columns: str) -> Scenario:
    sid, name, created_at, based_on, notes = scenario_row
    territories = {}
    for row in conn.execute(
            "SELECT id, name, color, rep_name, home_lon, home_lat, capacity_hours, region, locked, "
            f"{crm_columns} FROM territories WHERE scenario_id = ? ORDER BY id", (sid,)):
        territories[row[0]] = Territory(id=row[0], name=row[1], color=row[2], rep_name=row[3], home_lon=row[4],
                                        home_lat=row[5], capacity_hours=row[6], region=row[7],
                                        locked=bool(row[8]), code=row[9], rep_id=row[10], rep_email=row[11])
    row = conn.execute("SELECT group_concat(account_id), group_concat(IFNULL(territory_id, -1)), "
                       "group_concat(IFNULL(locked, 0)) FROM assignments WHERE scenario_id = ?", (sid,)).fetchone()
    assignment = np.full(len(account_ids), UNASSIGNED, dtype=np.int64)
    locked = np.zeros(len(account_ids), dtype=bool)
    if row[0]:
        data = np.column_stack([np.fromstring(text, dtype=np.int64, sep=",") for text in row])
        pos = np.searchsorted(account_ids, data[:, 0])
        pos_ok = (pos < len(account_ids)) & (account_ids[np.minimum(pos, len(account_ids) - 1)] == data[:, 0])
        # Rows of deleted accounts or of territories that are gone are ignored rather than trusted.
        territory = np.where(np.isin(data[:, 1], list(territories)), data[:, 1], UNASSIGNED)
        assignment[pos[pos_ok]] = territory[pos_ok]
        locked[pos[pos_ok]] = data[pos_ok, 2] != 0
    return Scenario(id=sid, name=name, territories=territories, assignment=assignment, locked=locked,
                    created_at=created_at, based_on=based_on, notes=notes)


def load_plan(conn: sqlite3.Connection, path: Path | None = None) -> Plan:
    values = dict(conn.execute("SELECT key, value FROM project").fetchall())
    accounts = load_accounts(conn, path)
    scenarios = {}
    crm_columns = _crm_columns(conn)
    for row in conn.execute("SELECT id, name, created_at, based_on, notes FROM scenarios ORDER BY id").fetchall():
        scenarios[row[0]] = load_scenario(conn, row, accounts.ids, crm_columns)
    if not scenarios:
        raise ValueError("the project has no scenario")
    try:
        active = int(values.get("active_scenario") or 0)
    except ValueError:
        active = 0
    if active not in scenarios:
        active = next(iter(scenarios))
    plan = Plan(accounts, scenarios, active, Settings.from_json(values.get("settings")),
                name=values.get("name") or "Untitled")
    plan.units = load_units(conn, plan)
    return plan


def read_unit_layer(conn: sqlite3.Connection):
    """The project's active unit layer (core.units.UnitLayer), polygons parsed from WKB on first use; or None."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "unit_layers" not in tables:
        return None
    head = conn.execute("SELECT kind, source, id_column, name_column, approximate FROM unit_layers").fetchone()
    if head is None:
        return None
    from desktop_planner.core.units import UnitLayer
    rows = conn.execute("SELECT id, name, parent, area_km2, geometry FROM units ORDER BY position").fetchall()
    blobs = [r[4] for r in rows]

    def geometries():
        import shapely
        return shapely.from_wkb(blobs)
    return UnitLayer(head[0], head[1], [r[0] for r in rows], [r[1] for r in rows], geometries,
                     [r[3] for r in rows], parents=[r[2] for r in rows], approximate=bool(head[4]),
                     id_column=head[2], name_column=head[3])


def load_units(conn: sqlite3.Connection, plan: Plan):
    """The active unit layer with its placement and every scenario's unit assignment, or None (no layer, or a
    file older than schema version 3 opened read-only). Polygons are parsed from WKB on first use."""
    layer = read_unit_layer(conn)
    if layer is None:
        return None
    from desktop_planner.core.units import NOT_PLACED, ScenarioUnits, UnitState
    placed = conn.execute("SELECT account_id, unit_id, how, problem FROM account_units ORDER BY account_id").fetchall()
    account_ids = np.array([r[0] for r in placed], dtype=np.int64)
    index = {u: i for i, u in enumerate(layer.ids.tolist())}
    account_unit = np.array([index.get(r[1], NOT_PLACED) for r in placed], dtype=np.int64)
    how = np.array([r[2] for r in placed], dtype=object)
    problems = {r[0]: r[3] for r in placed if r[3] is not None}
    state = UnitState(layer, account_ids, account_unit, how, problems)
    for sid, scenario in plan.scenarios.items():
        unit_rows = conn.execute("SELECT unit_id, IFNULL(territory_id, -1) FROM unit_assignments "
                                 "WHERE scenario_id = ?", (sid,)).fetchall()
        if not unit_rows:
            continue  # a scenario written by other means: derived when first asked for (UnitState.of)
        territory = np.full(len(layer), UNASSIGNED, dtype=np.int64)
        for unit_id, tid in unit_rows:
            if unit_id in index and tid in scenario.territories:
                territory[index[unit_id]] = tid
        exceptions = _int_column(conn, "SELECT account_id AS v FROM assignments WHERE scenario_id = ? AND "
                                 "unit_exception <> 0 ORDER BY account_id", (sid,))
        state.scenarios[sid] = ScenarioUnits(territory, exceptions)
    return state
