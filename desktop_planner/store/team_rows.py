"""Teams, the score definition and hand-overs in the project file, and the scenario rows of every team.

A scenario the user sees is the set of `scenarios` rows of one name, one per team (schema version 5). A team's view
of the project (store.loading) holds its own rows only; what is done to a scenario there (added, renamed,
deleted) is done here to the rows of the other teams too, so that every team always has every scenario.
"""

from __future__ import annotations

import json
import sqlite3

from desktop_planner.core.scoring import ScoreDefinition, definition_from_json
from desktop_planner.core.teams import NO_TEAM, Handover, Team

SCORING_KEY = "scoring"  # project key: the score definition as JSON
DELETED_MARK = "\x1f"  # name of a removed row: the name, this mark and the step that removed it


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def read_teams(conn: sqlite3.Connection) -> tuple[Team, ...]:
    if "teams" not in _tables(conn):
        return ()
    rows = conn.execute("SELECT id, name, kind, rule, include_ids, exclude_ids, settings FROM teams "
                        "ORDER BY position, id").fetchall()
    return tuple(Team(id=r[0], name=r[1], kind=r[2], rule=r[3] or "", include=frozenset(json.loads(r[4] or "[]")),
                      exclude=frozenset(json.loads(r[5] or "[]")), settings_json=r[6]) for r in rows)


def team_ids_used(conn: sqlite3.Connection) -> int:
    """The highest team id in the file, of the teams and of the rows removed teams set aside."""
    if "teams" not in _tables(conn):
        return 0
    row = conn.execute("SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM teams "
                       "UNION ALL SELECT MAX(-team_id) FROM scenarios WHERE team_id < 0)").fetchone()
    return int(row[0] or 0)


def read_scoring(conn: sqlite3.Connection) -> ScoreDefinition | None:
    row = conn.execute("SELECT value FROM project WHERE key = ?", (SCORING_KEY,)).fetchone()
    return definition_from_json(row[0]) if row else None


def write_scoring(conn: sqlite3.Connection, definition: ScoreDefinition | None) -> None:
    if definition is None:
        conn.execute("DELETE FROM project WHERE key = ?", (SCORING_KEY,))
    else:
        conn.execute("INSERT OR REPLACE INTO project (key, value) VALUES (?, ?)", (SCORING_KEY, definition.to_json()))


def write_handovers(conn: sqlite3.Connection, handovers: tuple[Handover, ...], at: str, step: int) -> None:
    ids = dict(conn.execute("SELECT external_id, id FROM accounts").fetchall()) if handovers else {}
    conn.executemany(
        "INSERT INTO handovers (at, step, account_id, external_id, from_team, to_team, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(at, step, ids.get(h.external_id), h.external_id, h.from_team, h.to_team, h.reason) for h in handovers])


def read_handovers(conn: sqlite3.Connection, since: str | None = None, team: str | None = None) -> list[dict]:
    """Hand-overs recorded (after `since`, an ISO time), oldest first; with `team`, those into or out of it."""
    if "handovers" not in _tables(conn):
        return []
    sql = "SELECT at, external_id, from_team, to_team, reason FROM handovers WHERE 1 = 1"
    params: list = []
    if since:
        sql += " AND at >= ?"
        params.append(since)
    if team:
        sql += " AND (from_team = ? OR to_team = ?)"
        params += [team, team]
    keys = ("at", "external_id", "from_team", "to_team", "reason")
    return [dict(zip(keys, r)) for r in conn.execute(sql + " ORDER BY id", params)]


def team_handovers(conn: sqlite3.Connection | None, plan, baseline) -> list[dict]:
    """The hand-overs into or out of the team `plan` shows since `baseline` (a Scenario) was made; none without
    teams. What a change report of that team lists."""
    if conn is None or plan.team is None:
        return []
    return read_handovers(conn, since=baseline.created_at, team=plan.team.name)


# -- the team list ---------------------------------------------------------------------------------------------

def write_teams(conn: sqlite3.Connection, before: tuple[Team, ...], after: tuple[Team, ...], at: str,
                step: int) -> None:
    """Put the team list in place. The first team's rows take over the rows of "no teams" (team_id 0) when teams
    are introduced, and give them back when the last team goes; a removed team's rows are set aside (negative
    team_id), and a team that comes back (an undo) takes them back; a new team gets an empty alignment in every
    scenario."""
    after_ids = {t.id for t in after}
    for team in before:
        if team.id not in after_ids:
            conn.execute("DELETE FROM teams WHERE id = ?", (team.id,))
    for position, team in enumerate(after):
        conn.execute(
            "INSERT INTO teams (id, name, kind, rule, include_ids, exclude_ids, settings, position, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
            "kind = excluded.kind, rule = excluded.rule, include_ids = excluded.include_ids, "
            "exclude_ids = excluded.exclude_ids, settings = excluded.settings, position = excluded.position",
            (team.id, team.name, team.kind, team.rule, json.dumps(sorted(team.include)),
             json.dumps(sorted(team.exclude)), team.settings_json, position, at))
    first_before = before[0].id if before else NO_TEAM
    first_after = after[0].id if after else NO_TEAM
    before_ids = {t.id for t in before}
    # The rows of "no teams" become the first team's when teams are introduced, and the first team's become those
    # of "no teams" when the last team goes. A new team put first otherwise starts empty like any new team (the
    # team it replaces keeps its rows for an undo), and a team that comes back (an undo) takes back its own.
    moved = first_before != first_after and NO_TEAM in (first_before, first_after)
    if moved:
        _move_rows(conn, first_before, first_after)
    for team in before:
        if team.id not in after_ids and not (moved and team.id == first_before):
            _set_aside(conn, team.id, step)
    for team in after:
        if team.id in before_ids or (moved and team.id == first_after):
            continue
        if not _take_back(conn, team.id):
            _empty_rows(conn, team.id, _scenario_names(conn, step))


def _scenario_names(conn: sqlite3.Connection, step: int) -> list[tuple]:
    """(name, created_at, notes) of every scenario a team must have: those of a team that has rows, or when every
    team was just replaced, those the replaced teams set aside at this step."""
    rows = conn.execute("SELECT name, created_at, notes FROM scenarios WHERE team_id = (SELECT MIN(team_id) FROM "
                        "scenarios WHERE team_id >= 0) ORDER BY id").fetchall()
    if rows:
        return rows
    mark = f"{DELETED_MARK}{step}"
    rows = conn.execute("SELECT name, created_at, notes FROM scenarios WHERE team_id < 0 AND name LIKE ? "
                        "ORDER BY id", (f"%{mark}",)).fetchall()
    unique = {name[:-len(mark)]: (name[:-len(mark)], created, notes) for name, created, notes in rows}
    return list(unique.values())


def _move_rows(conn: sqlite3.Connection, from_team: int, to_team: int) -> None:
    conn.execute("UPDATE scenarios SET team_id = ? WHERE team_id = ?", (to_team, from_team))


def _set_aside(conn: sqlite3.Connection, team_id: int, step: int) -> None:
    conn.execute("UPDATE scenarios SET team_id = ?, name = name || ? || ? WHERE team_id = ?",
                 (-team_id, DELETED_MARK, str(step), team_id))


def _take_back(conn: sqlite3.Connection, team_id: int) -> bool:
    """Rows set aside for this team, from the latest step that set them aside: back in place."""
    rows = conn.execute("SELECT id, name FROM scenarios WHERE team_id = ?", (-team_id,)).fetchall()
    if not rows:
        return False
    latest = max(int(name.rsplit(DELETED_MARK, 1)[1]) for _, name in rows)
    for sid, name in rows:
        base, _, step = name.rpartition(DELETED_MARK)
        if int(step) == latest:
            conn.execute("UPDATE scenarios SET team_id = ?, name = ? WHERE id = ?", (team_id, base, sid))
    return True


def _empty_rows(conn: sqlite3.Connection, team_id: int, scenarios: list[tuple]) -> None:
    """A scenario row for the team for every scenario name it lacks, without territories."""
    have = {r[0] for r in conn.execute("SELECT name FROM scenarios WHERE team_id = ?", (team_id,))}
    for name, created_at, notes in scenarios:
        if name not in have:
            conn.execute("INSERT INTO scenarios (name, created_at, notes, team_id) VALUES (?, ?, ?, ?)",
                         (name, created_at, notes, team_id))


# -- scenarios across teams ----------------------------------------------------------------------------------------

def other_team_ids(conn: sqlite3.Connection, team_id: int) -> list[int]:
    if team_id == NO_TEAM or "teams" not in _tables(conn):
        return []
    return [r[0] for r in conn.execute("SELECT id FROM teams WHERE id <> ? ORDER BY position, id", (team_id,))]


def copy_scenario_rows(conn: sqlite3.Connection, source_id: int | None, name: str, team_id: int,
                       created_at: str | None, notes: str | None) -> int:
    """A new scenario row for `team_id` named `name`: a copy of `source_id`'s territories (new ids) and
    assignment, or empty without a source. Returns the new row's id."""
    sid = conn.execute("INSERT INTO scenarios (name, created_at, based_on, notes, team_id) VALUES (?, ?, ?, ?, ?)",
                       (name, created_at, source_id, notes, team_id)).lastrowid
    if source_id is None:
        return sid
    columns = [r[1] for r in conn.execute("PRAGMA table_info(territories)") if r[1] not in ("id", "scenario_id")]
    listed = ", ".join(f'"{c}"' for c in columns)
    mapping = {}
    for (old,) in conn.execute("SELECT id FROM territories WHERE scenario_id = ? ORDER BY id", (source_id,)).fetchall():
        mapping[old] = conn.execute(f"INSERT INTO territories (scenario_id, {listed}) SELECT ?, {listed} FROM "
                                    f"territories WHERE id = ?", (sid, old)).lastrowid
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS territory_map (old INTEGER PRIMARY KEY, new INTEGER)")
    conn.execute("DELETE FROM territory_map")
    conn.executemany("INSERT INTO territory_map VALUES (?, ?)", mapping.items())
    conn.execute("INSERT INTO assignments (scenario_id, account_id, territory_id, locked, unit_exception) "
                 "SELECT ?, a.account_id, m.new, a.locked, a.unit_exception FROM assignments a "
                 "LEFT JOIN territory_map m ON m.old = a.territory_id WHERE a.scenario_id = ?", (sid, source_id))
    conn.execute("INSERT INTO unit_assignments (scenario_id, unit_id, territory_id) SELECT ?, u.unit_id, m.new "
                 "FROM unit_assignments u LEFT JOIN territory_map m ON m.old = u.territory_id "
                 "WHERE u.scenario_id = ?", (sid, source_id))
    return sid


def add_to_other_teams(conn: sqlite3.Connection, team_id: int, name: str, based_on_name: str | None,
                       created_at: str | None, notes: str | None) -> None:
    """A scenario added in one team's view: every other team gets its row too, a copy of that team's row of the
    scenario it was based on (or, after an undo of a deletion, the rows the deletion set aside)."""
    for other in other_team_ids(conn, team_id):
        if conn.execute("SELECT 1 FROM scenarios WHERE team_id = ? AND name = ?", (other, name)).fetchone():
            continue
        aside = conn.execute("SELECT id, name FROM scenarios WHERE team_id = ? AND name LIKE ? ESCAPE '!' "
                             "ORDER BY id DESC", (-other, _like_prefix(name + DELETED_MARK))).fetchone()
        if aside is not None:
            conn.execute("UPDATE scenarios SET team_id = ?, name = ? WHERE id = ?", (other, name, aside[0]))
            continue
        source = conn.execute("SELECT id FROM scenarios WHERE team_id = ? AND name = ?",
                              (other, based_on_name)).fetchone() if based_on_name else None
        copy_scenario_rows(conn, source[0] if source else None, name, other, created_at, notes)


def _like_prefix(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def delete_from_other_teams(conn: sqlite3.Connection, team_id: int, name: str, step: int) -> None:
    """A scenario deleted in one team's view: the other teams' rows of it are set aside (an undo takes them back)."""
    for other in other_team_ids(conn, team_id):
        conn.execute("UPDATE scenarios SET team_id = ?, name = name || ? || ? WHERE team_id = ? AND name = ?",
                     (-other, DELETED_MARK, str(step), other, name))


def rename_in_other_teams(conn: sqlite3.Connection, team_id: int, old: str, new: str, notes: str | None) -> None:
    for other in other_team_ids(conn, team_id):
        conn.execute("UPDATE scenarios SET name = ?, notes = ? WHERE team_id = ? AND name = ?", (new, notes, other, old))
