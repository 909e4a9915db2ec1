"""Turning imported accounts into a project: a new one, or a refresh of an existing one."""

from __future__ import annotations

import numpy as np

from desktop_planner.core.model import UNASSIGNED, Accounts, Plan, Scenario
from desktop_planner.core.settings import Settings
from desktop_planner.io.account_import import AccountsImport


def plan_from_import(imported: AccountsImport, name: str) -> Plan:
    """A new plan holding the accepted accounts, all unassigned, in one scenario without territories."""
    columns = dict(imported.columns)
    n = len(columns["external_id"])
    accounts = Accounts(ids=np.arange(1, n + 1, dtype=np.int64), **columns)
    scenario = Scenario(1, "Current plan", {}, np.full(n, UNASSIGNED, dtype=np.int64), np.zeros(n, dtype=bool))
    return Plan(accounts, {1: scenario}, 1, Settings(), name=name)
