"""Module-level functions the job tests run in a child process (no Qt here: the child must not need it)."""

from __future__ import annotations

import os
import signal
import sys
import time


from desktop_planner.optimize.balance import BalanceResult
from desktop_planner.optimize.report import BalanceReport
from desktop_planner.ui.jobs.balance_tasks import open_plan_read_only


def who_am_i(*, progress):
    progress(0.5, "looking")
    return {"pid": os.getpid(), "qt_loaded": any(name.startswith("PySide6") for name in sys.modules)}


def deaf(*args, progress, **kwargs):
    """Never asks whether to stop: Cancel has to end the process."""
    progress(0.1, "working without listening")
    time.sleep(60)
    return None


def listening(*args, progress, **kwargs):
    """Stops at once when asked, returning how far it got."""
    for i in range(6000):
        if progress(i / 6000, f"step {i}") is False:
            return ("stopped", i)
        time.sleep(0.01)
    return ("done", 6000)


def crash(*args, progress, **kwargs):
    progress(0.1, "about to crash")
    os.kill(os.getpid(), signal.SIGKILL)


def raises(*args, progress, **kwargs):
    raise ValueError("bad data in row 7")


def unpicklable(*, progress):
    return lambda: None


def worse_balance(path, scenario_id, settings, fingerprint=None, *, progress):
    """A "result" worse than the plan on both counts: the first territory's accounts all go to the last one."""
    plan, _ = open_plan_read_only(path)
    scenario = plan.scenarios[scenario_id]
    tids = list(scenario.territories)
    assignment = scenario.assignment.copy()
    assignment[assignment == tids[0]] = tids[-1]
    moved = int((assignment != scenario.assignment).sum())
    report = BalanceReport(
        measures={}, compactness_before_km=10.0, compactness_after_km=12.0, accounts_moved=moved,
        disruption_accounts=moved / len(assignment), disruption_potential=0.3, non_contiguous_before=0,
        non_contiguous_after=0, unassigned_after=0, feasible=False, problems=["made worse on purpose"],
        objective_name="test", objective=1.0, lower_bound=-5.0, time_s=0.1, method="test")
    return BalanceResult(assignment, dict(scenario.territories), report)
