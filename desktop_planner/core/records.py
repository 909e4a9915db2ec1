"""Project tables the plan does not keep as arrays: what comes back after go-live (actuals, quotas, holdouts,
reps' reviews). They can be large (an account a period a rep) and most work never needs them, so `Records` reads a
table on first use through the reader the store gives it, then keeps it in step with the commands that change it.

Every change to them is a command like any other: `PutRows` puts rows in place (replacing those of the same key)
and deletes rows by key, and its inverse puts back exactly what was there; the store writes its `TableEffect` in
the command's transaction. Tables, their columns and their keys are those of the project file (store.schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from desktop_planner.core.commands import Applied, Command, CommandError
from desktop_planner.core.events import RecordsChanged

# table -> (columns, key columns), as in the project file
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "actuals": (("account_id", "period", "rep", "owner", "bookings", "visits", "source"),
                ("account_id", "period", "rep")),
    "quotas": (("team_id", "rep", "period", "quota", "origin"), ("team_id", "rep", "period")),
    "holdouts": (("id", "at", "team_id", "scenario_id", "baseline_id", "go_live", "seed", "size", "strata",
                  "movers"), ("id",)),
    "holdout_accounts": (("holdout_id", "account_id", "cohort", "stratum", "from_territory", "to_territory"),
                         ("holdout_id", "account_id")),
    "reviews": (("id", "account_id", "external_id", "scenario_id", "rep", "territory", "change", "verdict",
                 "comment", "source", "imported_at", "decision", "decided_at", "decided_by"), ("id",)),
}


@dataclass(frozen=True)
class TableEffect:
    """Rows of one table to delete (by key) and then to put in place (insert or replace), in that order."""
    table: str
    delete: tuple[tuple, ...]  # key tuples
    put: pd.DataFrame  # every column of the table


class Records:
    """The record tables of one project, each read once (an empty frame without a reader: a plan not in a file)."""

    def __init__(self, reader: Callable[[str], pd.DataFrame] | None = None) -> None:
        self._reader = reader
        self._tables: dict[str, pd.DataFrame] = {}

    def table(self, name: str) -> pd.DataFrame:
        """The table as a frame (do not modify it: change it with PutRows)."""
        if name not in TABLES:
            raise KeyError(f"no record table {name!r}")
        if name not in self._tables:
            columns = list(TABLES[name][0])
            frame = self._reader(name) if self._reader is not None else None
            self._tables[name] = frame[columns].reset_index(drop=True) if frame is not None else \
                pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return self._tables[name]

    def next_id(self, name: str) -> int:
        """An id above every one in the table (tables keyed by `id`)."""
        ids = self.table(name)["id"]
        return int(ids.max()) + 1 if len(ids) else 1

    def _set(self, name: str, frame: pd.DataFrame) -> None:
        self._tables[name] = frame.reset_index(drop=True)


def _keys(frame: pd.DataFrame, key_columns: tuple[str, ...]) -> list[tuple]:
    return list(frame[list(key_columns)].itertuples(index=False, name=None))


class PutRows(Command):
    """Put `rows` into `table` (a row whose key is there already replaces it) and delete the rows whose keys are
    in `delete`, as one step; the inverse restores the table's rows exactly."""

    def __init__(self, table: str, rows: pd.DataFrame | None = None, delete: list[tuple] | None = None,
                 label: str = "Change records", action: str = "records") -> None:
        if table not in TABLES:
            raise CommandError(f"no record table {table!r}")
        columns, key_columns = TABLES[table]
        rows = rows if rows is not None else pd.DataFrame(columns=list(columns))
        missing = [c for c in columns if c not in rows.columns]
        if missing:
            raise CommandError(f"{table}: rows lack the columns {', '.join(missing)}")
        rows = rows[list(columns)].reset_index(drop=True)
        if rows.duplicated(list(key_columns)).any():
            raise CommandError(f"{table}: the same key is given twice")
        self.table, self.rows, self.delete = table, rows, [tuple(k) for k in (delete or [])]
        self.label, self.action = label, action

    def apply(self, plan) -> Applied:
        columns, key_columns = TABLES[self.table]
        current = plan.records.table(self.table)
        current_keys = _keys(current, key_columns)
        gone = set(self.delete) | set(_keys(self.rows, key_columns))
        touched = np.fromiter((k in gone for k in current_keys), dtype=bool, count=len(current_keys))
        before = current.loc[touched]  # what the inverse puts back
        kept = current.loc[~touched]
        after = pd.concat([kept, self.rows], ignore_index=True) if len(self.rows) else kept
        plan.records._set(self.table, after)
        plan.events.emit(RecordsChanged(self.table))
        new_keys = _keys(self.rows, key_columns)
        inverse = PutRows(self.table, before, delete=new_keys, label=self.label, action=self.action)
        return Applied(inverse, [TableEffect(self.table, tuple(self.delete) + tuple(new_keys), self.rows)])
