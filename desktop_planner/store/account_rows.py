"""Writing a change of the accounts table (an import refresh, or its undo) as row-level SQL."""

from __future__ import annotations

import sqlite3

import numpy as np

from desktop_planner.core.account_commands import UPDATABLE, AccountsEffect
from desktop_planner.core.model import UNASSIGNED, Accounts, Plan

COLUMNS = ("id", "external_id") + UPDATABLE


class FileOutOfStep(Exception):
    """A write touched fewer rows than it meant to: the file does not hold what the plan says it holds."""


def expect(cursor: sqlite3.Cursor, wanted: int, what: str) -> None:
    if cursor.rowcount != wanted:
        raise FileOutOfStep(f"{what}: {cursor.rowcount} rows written where {wanted} were meant")


def _values(accounts: Accounts, rows: np.ndarray) -> list[tuple]:
    columns = [accounts.ids[rows].tolist(), accounts.external_id[rows].tolist()]
    for name in UPDATABLE:
        column = getattr(accounts, name)[rows]
        if column.dtype.kind == "f":
            column = np.where(np.isnan(column), None, column.astype(object))
        columns.append(column.tolist())
    return list(zip(*columns))


def _changed(before: Accounts, after: Accounts, rows_before: np.ndarray, rows_after: np.ndarray) -> np.ndarray:
    differs = np.zeros(len(rows_after), dtype=bool)
    for name in ("external_id",) + UPDATABLE:
        a, b = getattr(before, name)[rows_before], getattr(after, name)[rows_after]
        same = (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b
        differs |= ~same
    return rows_after[differs]


def write_accounts_change(conn: sqlite3.Connection, plan: Plan, effect: AccountsEffect, log) -> None:
    """Apply the difference between the two tables; `log(account_ids, external_ids)` records them in `changes`.
    Removing or updating an account that is not in the file is an error (FileOutOfStep), not a silent no-op."""
    before, after = effect.before, effect.after
    removed = np.setdiff1d(before.ids, after.ids)
    in_before = np.isin(after.ids, before.ids)  # integer ids: numpy sorts, fast
    added_rows = np.flatnonzero(~in_before)
    common_after = np.flatnonzero(in_before)
    common_before = np.searchsorted(before.ids, after.ids[common_after]) if np.all(np.diff(before.ids) > 0) \
        else np.array([before.index_of_id(i) for i in after.ids[common_after].tolist()], dtype=np.int64)
    updated_rows = _changed(before, after, common_before, common_after)
    removed_ids = [(int(i),) for i in removed.tolist()]
    conn.executemany("DELETE FROM assignments WHERE account_id = ?", removed_ids)
    expect(conn.executemany("DELETE FROM accounts WHERE id = ?", removed_ids), len(removed_ids), "removed accounts")
    placeholders = ", ".join("?" * len(COLUMNS))
    conn.executemany(f"INSERT INTO accounts ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                     _values(after, added_rows))
    assignments = ", ".join(f"{c} = ?" for c in COLUMNS[1:])
    expect(conn.executemany(f"UPDATE accounts SET {assignments} WHERE id = ?",
                            [row[1:] + row[:1] for row in _values(after, updated_rows)]),
           len(updated_rows), "updated accounts")
    for sid, scenario in plan.scenarios.items():
        territory = scenario.assignment[added_rows]
        # Upserted: a stray row of a scenario for this id (written by another tool) is overwritten, not kept.
        conn.executemany(
            "INSERT INTO assignments (scenario_id, account_id, territory_id, locked) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (scenario_id, account_id) DO UPDATE SET territory_id = excluded.territory_id, "
            "locked = excluded.locked",
            zip([sid] * len(added_rows), after.ids[added_rows].tolist(),
                [None if t == UNASSIGNED else t for t in territory.tolist()],
                scenario.locked[added_rows].astype(int).tolist()))
    _write_scores(conn, before, after, common_before, common_after, added_rows)
    removed_rows = np.searchsorted(before.ids, removed) if np.all(np.diff(before.ids) > 0) \
        else np.array([before.index_of_id(i) for i in removed.tolist()], dtype=np.int64)
    log([int(i) for i in after.ids[added_rows].tolist()] + [int(i) for i in after.ids[updated_rows].tolist()]
        + [int(i) for i in removed.tolist()],
        after.external_id[added_rows].tolist() + after.external_id[updated_rows].tolist()
        + before.external_id[removed_rows.astype(np.int64)].tolist())


def _write_scores(conn: sqlite3.Connection, before: Accounts, after: Accounts, common_before: np.ndarray,
                  common_after: np.ndarray, added_rows: np.ndarray) -> None:
    """Score and tier (derived, so not among the refreshed columns) where they differ or the account is new."""
    a, b = before.score[common_before], after.score[common_after]
    differs = ~((a == b) | (np.isnan(a) & np.isnan(b))) | (before.tier[common_before] != after.tier[common_after])
    rows = np.concatenate([common_after[differs], added_rows]).astype(np.int64)
    score = np.where(np.isnan(after.score[rows]), None, after.score[rows].astype(object))
    conn.executemany("UPDATE accounts SET score = ?, tier = ? WHERE id = ?",
                     zip(score.tolist(), after.tier[rows].tolist(), after.ids[rows].tolist()))
