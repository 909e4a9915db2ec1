"""Keeping a holdout as one undoable step: the held-out accounts go back to their baseline territory in the realigned
scenario, and the holdout (its seed, size, strata and go-live) and every mover's cohort are recorded with it.
Undo takes all of it back, so a holdout that was undone never blocks another one."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd

from desktop_planner.core.commands import Applied, Command, CommandError, Composite, SetAssignment
from desktop_planner.core.holdouts import HoldoutChoice, movers
from desktop_planner.core import periods
from desktop_planner.core.model import Plan
from desktop_planner.core.records import TABLES, PutRows

def check_period(text: str) -> str:
    """A period as the record tables keep it ('YYYY-Qn' or 'YYYY-MM'); a CommandError naming the text otherwise."""
    try:
        return periods.check_period(text)
    except periods.PeriodError as exc:
        raise CommandError(str(exc)) from None


def holdout_of_scenario(plan: Plan, scenario_id: int) -> pd.Series | None:
    """The holdout kept for a scenario, if any (the latest)."""
    table = plan.records.table("holdouts")
    rows = table[table["scenario_id"].astype("float") == float(scenario_id)] if len(table) else table
    return rows.sort_values("id").iloc[-1] if len(rows) else None


class KeepHoldout(Command):
    """Keep the drawn holdout: held-out accounts back to their baseline territory in the realigned scenario, a
    `holdouts` row and a `holdout_accounts` row per mover (cohort 'moved' or 'held_out'), as one step."""

    def __init__(self, choice: HoldoutChoice, go_live: str, at: str | None = None) -> None:
        self.choice = choice
        self.go_live = check_period(go_live)
        self.at = at
        self.holdout_id: int | None = None  # set when applied
        self.label = f"Keep a holdout of {choice.size:,} accounts"
        self.action = "holdout"

    def apply(self, plan: Plan) -> Applied:
        c = self.choice
        scenario = plan.scenarios.get(c.scenario_id)
        baseline = plan.scenarios.get(c.baseline_id)
        if scenario is None or baseline is None:
            raise CommandError("the scenarios of the holdout are no longer in the plan")
        existing = holdout_of_scenario(plan, scenario.id)
        if existing is not None:
            raise CommandError(f"scenario {scenario.name!r} already has a holdout (number {int(existing['id'])}, "
                               f"go-live {existing['go_live']}); undo it first to draw another")
        now = movers(baseline, scenario)
        if not np.array_equal(now, c.movers):
            raise CommandError(f"scenario {scenario.name!r} changed since the holdout was drawn; draw it again")
        self.label = f"Keep a holdout of {c.size:,} of {len(c.movers):,} movers in {scenario.name}"
        holdout_id = plan.records.next_id("holdouts")
        held = np.isin(c.movers, c.held_out)
        team_id = int(getattr(plan, "team_id", 0) or 0)
        at = self.at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        head = pd.DataFrame([{"id": holdout_id, "at": at, "team_id": team_id, "scenario_id": scenario.id,
                              "baseline_id": baseline.id, "go_live": self.go_live, "seed": c.seed, "size": c.size,
                              "strata": c.strata_text, "movers": int(len(c.movers))}],
                            columns=list(TABLES["holdouts"][0]))
        accounts = pd.DataFrame({
            "holdout_id": holdout_id, "account_id": plan.accounts.ids[c.movers].astype(np.int64),
            "cohort": np.where(held, "held_out", "moved"), "stratum": c.stratum.astype(object),
            "from_territory": c.from_names, "to_territory": c.to_names})
        steps = Composite([
            SetAssignment(scenario.id, c.held_out, c.keep_territory, self.label, self.action),
            PutRows("holdouts", head, label=self.label, action=self.action),
            PutRows("holdout_accounts", accounts, label=self.label, action=self.action)], self.label, self.action)
        applied = steps.apply(plan)
        self.holdout_id = holdout_id
        return applied
