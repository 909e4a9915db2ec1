"""Reading a whole project file into an in-memory Plan, fast enough for a million accounts."""

from __future__ import annotations

import itertools
import sqlite3

from pathlib import Path

import numpy as np

from desktop_planner.core.model import LAZY_COLUMNS, UNASSIGNED, Accounts, Plan, Scenario, Territory
from desktop_planner.core.settings import Settings
from desktop_planner.store.opening import read_only_uri, remove_new_sidecars, sidecars_of
from desktop_planner.core.teams import NO_TEAM, team_coverage
from desktop_planner.store.schema import CRM_TERRITORY_COLUMNS, SCORE_COLUMNS
from desktop_planner.core.records import Records
from desktop_planner.store.record_rows import read_record_table
from desktop_planner.store.team_rows import read_scoring, read_teams, team_ids_used

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


def _score_columns(conn: sqlite3.Connection, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Each account's score and tier (schema version 5; none in an older file opened read-only)."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(accounts)")}
    if not all(c in have for c, _ in SCORE_COLUMNS) or not len(ids):
        return {}
    rows = conn.execute("SELECT id, score, tier FROM accounts WHERE score IS NOT NULL OR tier IS NOT NULL").fetchall()
    if not rows:
        return {}
    score, tier = np.full(len(ids), np.nan), np.full(len(ids), None, dtype=object)
    at = np.searchsorted(ids, np.array([r[0] for r in rows], dtype=np.int64))
    score[at] = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64)
    tier[at] = [r[2] for r in rows]
    return {"score": score, "tier": tier}


def load_accounts(conn: sqlite3.Connection, path: Path | None = None) -> Accounts:
    """All accounts; with the file's path, the rarely used text columns are read on first use."""
    c = _column_arrays(conn, path)
    c.update(_score_columns(conn, c["ids"]))
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


class UnknownTeam(ValueError):
    """A team name the project does not have."""


def pick_team(teams, name: str | None):
    """The team named `name` (case ignored), the first team without a name, None when there are no teams."""
    if not teams:
        if name is not None:
            raise UnknownTeam(f"the project has no teams, so there is no team {name!r}")
        return None
    if name is None:
        return teams[0]
    for team in teams:
        if team.name.casefold() == name.strip().casefold():
            return team
    raise UnknownTeam(f"no team named {name!r} (the project has: {', '.join(t.name for t in teams)})")


def load_plan(conn: sqlite3.Connection, path: Path | None = None, team: str | None = None,
              all_accounts: bool = False) -> Plan:
    """The project as one team's view (see core.model.Plan.teams): `team` by name, the first team by default.
    `all_accounts`: every account rather than the team's (for imports and scoring, never to be measured)."""
    values = dict(conn.execute("SELECT key, value FROM project").fetchall())
    accounts = load_accounts(conn, path)
    teams = read_teams(conn)
    scoring = read_scoring(conn)
    shown = pick_team(teams, team)
    if shown is not None and not all_accounts:
        accounts = accounts.subset(np.flatnonzero(team_coverage(accounts, teams).covered[shown.id]))
    team_id = shown.id if shown is not None else NO_TEAM
    scenarios = {}
    crm_columns = _crm_columns(conn)
    has_teams = "team_id" in {r[1] for r in conn.execute("PRAGMA table_info(scenarios)")}
    rows = conn.execute("SELECT id, name, created_at, based_on, notes FROM scenarios "
                        + ("WHERE team_id = ? ORDER BY id" if has_teams else "ORDER BY id"),
                        (team_id,) if has_teams else ()).fetchall()
    for row in rows:
        scenarios[row[0]] = load_scenario(conn, row, accounts.ids, crm_columns)
    if not scenarios:
        raise ValueError("the project has no scenario" + (f" for team {shown.name!r}" if shown else ""))
    try:
        active = int(values.get("active_scenario") or 0)
    except ValueError:
        active = 0
    if active not in scenarios and has_teams:
        # The active scenario is kept as one team's row: the same scenario in this team is the row of its name.
        name = conn.execute("SELECT name FROM scenarios WHERE id = ?", (active,)).fetchone()
        active = next((sid for sid, s in scenarios.items() if name and s.name == name[0]), active)
    if active not in scenarios:
        active = next(iter(scenarios))
    settings = Settings.from_json(shown.settings_json if shown is not None and shown.settings_json
                                  else values.get("settings"))
    plan = Plan(accounts, scenarios, active, settings, name=values.get("name") or "Untitled")
    plan.teams, plan.team_id, plan.scoring, plan.all_accounts = teams, team_id, scoring, all_accounts
    plan.team_ids_used = team_ids_used(conn)
    plan.records = Records(lambda table: read_record_table(conn, table))
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
