"""Commands that change the accounts themselves: a refresh from the CRM (re-import).

Accounts matched by external id are updated in place and keep their territory in every scenario; new accounts
arrive unassigned; accounts missing from the new data stay unless their removal was confirmed. The whole refresh
is one undoable step: undo brings back the previous accounts with their assignments and locks exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from desktop_planner.core.commands import Applied, Command, CommandError
from desktop_planner.core.events import AccountsChanged
from desktop_planner.core.model import ACCOUNT_COLUMNS, UNASSIGNED, Accounts, Plan

UPDATABLE = tuple(c for c in ACCOUNT_COLUMNS if c not in ("ids", "external_id"))


@dataclass(frozen=True)
class AccountsEffect:
    before: Accounts
    after: Accounts


@dataclass(frozen=True)
class RefreshSummary:
    added: np.ndarray  # external ids
    updated: np.ndarray
    unchanged: int
    missing: np.ndarray  # in the project, not in the new data
    removed: bool  # whether the missing accounts are removed


class _SwapAccounts(Command):
    """Put a given accounts table and per-scenario arrays in place; its inverse puts the previous ones back."""

    def __init__(self, accounts: Accounts, arrays: dict[int, tuple[np.ndarray, np.ndarray]], label: str,
                 counts: tuple[int, int, int]) -> None:
        self.accounts = accounts
        self.arrays = arrays
        self.label = label
        self.action = "import"
        self.counts = counts

    def apply(self, plan: Plan) -> Applied:
        if set(self.arrays) != set(plan.scenarios):
            raise CommandError("the scenarios changed since this import; it cannot be re-applied")
        before = plan.accounts
        before_arrays = {sid: (s.assignment, s.locked) for sid, s in plan.scenarios.items()}
        plan.accounts = self.accounts
        for sid, (assignment, locked) in self.arrays.items():
            scenario = plan.scenarios[sid]
            known = np.append(scenario.territory_ids(), UNASSIGNED)
            # A territory deleted after the import was first applied leaves its accounts unassigned.
            scenario.assignment = np.where(np.isin(assignment, known), assignment, UNASSIGNED)
            scenario.locked = locked.copy()
        added, updated, removed = self.counts
        inverse = _SwapAccounts(before, before_arrays, self.label, (removed, updated, added))
        plan.events.emit(AccountsChanged(added, updated, removed))
        return Applied(inverse, [AccountsEffect(before, self.accounts)])


def _member(values: np.ndarray, pool) -> np.ndarray:
    """values[i] in pool, for text ids. (numpy's isin on object arrays is quadratic: minutes at 100k.)"""
    pool = pool if isinstance(pool, (set, frozenset, dict)) else set(pool.tolist())
    return np.fromiter((v in pool for v in values.tolist()), dtype=bool, count=len(values))


def _same_value(a, b) -> bool:
    if a == b:
        return True
    try:
        return float(a) == float(b)  # 658700.0 kept as a number, "658700.0" as read from a file: the same figure
    except (TypeError, ValueError):
        return False


def _attrs_differ(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Per account, whether its other columns (attrs JSON) say something else: the same keys and values, numbers
    and the text of the same number alike, are no change (a CRM export read back is not 5,000 updates)."""
    differs = old != new
    for i in np.flatnonzero(differs):
        try:
            a = json.loads(old[i]) if old[i] else {}
            b = json.loads(new[i]) if new[i] else {}
        except (TypeError, ValueError):
            continue
        if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and \
                all(_same_value(a[k], b[k]) for k in a):
            differs[i] = False
    return differs


def plan_refresh(plan: Plan, columns: dict[str, np.ndarray], remove_missing: bool = False,
                 fields: Iterable[str] | None = None) -> RefreshSummary:
    """What a refresh with these columns would do, without doing it (for the confirmation dialog).
    `fields`: the account fields the new data carries (default: all); the others are left as they are."""
    old = plan.accounts
    incoming = np.asarray(columns["external_id"], dtype=object)
    old_position = {v: i for i, v in enumerate(old.external_id.tolist())}
    in_old = _member(incoming, old_position)
    missing = old.external_id[~_member(old.external_id, set(incoming.tolist()))]
    new_rows = np.flatnonzero(in_old)
    old_rows = np.array([old_position[v] for v in incoming[new_rows].tolist()], dtype=np.int64)
    differs = np.zeros(len(new_rows), dtype=bool)
    for name in _fields(fields):
        a = getattr(old, name)[old_rows]
        b = np.asarray(columns[name])[new_rows]
        if a.dtype.kind == "f":
            b = b.astype(np.float64)
            differs |= ~((a == b) | (np.isnan(a) & np.isnan(b)))
        elif name == "attrs":
            differs |= _attrs_differ(a, b)
        else:
            differs |= a != b
    updated = incoming[new_rows[differs]]
    return RefreshSummary(added=incoming[~in_old], updated=updated, unchanged=len(new_rows) - len(updated),
                          missing=missing, removed=remove_missing)


def _fields(fields: Iterable[str] | None) -> tuple[str, ...]:
    if fields is None:
        return UPDATABLE
    unknown = set(fields) - set(UPDATABLE) - {"external_id"}
    if unknown:
        raise CommandError(f"unknown account fields: {', '.join(sorted(unknown))}")
    return tuple(f for f in UPDATABLE if f in set(fields))


class RefreshAccounts(Command):
    """Bring the project's accounts in line with freshly imported columns (see the module docstring).

    `fields` are the account fields the import carries; matched accounts keep every other field as it was
    (re-importing a file without a segment column must not wipe the segments). New accounts take the columns
    as given."""

    def __init__(self, columns: dict[str, np.ndarray], remove_missing: bool = False, source: str = "import",
                 fields: Iterable[str] | None = None) -> None:
        self.columns = columns
        self.remove_missing = remove_missing
        self.fields = _fields(fields)
        self.label = f"Refresh accounts from {source}"
        self.action = "import"

    def apply(self, plan: Plan) -> Applied:
        old = plan.accounts
        incoming = np.asarray(self.columns["external_id"], dtype=object)
        if len(set(incoming.tolist())) != len(incoming):
            raise CommandError("the new data holds an account id twice")
        summary = plan_refresh(plan, self.columns, self.remove_missing, self.fields)
        position = {v: i for i, v in enumerate(incoming.tolist())}
        keep = _member(old.external_id, position) if self.remove_missing else np.ones(len(old), dtype=bool)
        kept = np.flatnonzero(keep)
        new_rows = np.flatnonzero(~_member(incoming, set(old.external_id.tolist())))
        # Where each kept account's fresh values are (-1: not in the new data, keeps its old values).
        source = np.array([position.get(v, -1) for v in old.external_id[kept].tolist()], dtype=np.int64)
        hit = source >= 0
        merged = {}
        for name in ACCOUNT_COLUMNS:
            if name == "ids":
                continue
            base = getattr(old, name)[kept].copy()
            fresh = np.asarray(self.columns[name])
            if name in self.fields:
                base[hit] = fresh[source[hit]]
            merged[name] = np.concatenate((base, fresh[new_rows].astype(base.dtype)))
        start = plan.next_account_id()  # above every id ever used: never one of a removed account
        merged["ids"] = np.concatenate((old.ids[kept], np.arange(start, start + len(new_rows), dtype=np.int64)))
        accounts = Accounts(**merged)
        arrays = {}
        for sid, s in plan.scenarios.items():
            arrays[sid] = (np.concatenate((s.assignment[kept], np.full(len(new_rows), UNASSIGNED, np.int64))),
                           np.concatenate((s.locked[kept], np.zeros(len(new_rows), dtype=bool))))
        counts = (len(new_rows), len(summary.updated), int((~keep).sum()))
        return _SwapAccounts(accounts, arrays, self.label, counts).apply(plan)
