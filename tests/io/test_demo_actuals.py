"""The go-live demo (issue 17): four quarters of generated actuals, a realignment in the middle with a stratified
holdout (seed stored), owners that change at go-live except for the held-out accounts, quotas, a CSV copy, every
step in the audit trail, and a cohort comparison that finds the known cost of moving."""

import time

import numpy as np
import pandas as pd
import pytest

from desktop_planner.core.cohorts import compare_cohorts
from desktop_planner.core.compare import assignment_names
from desktop_planner.io.demo import build_demo_plan
from desktop_planner.io.demo_actuals import HOLDOUT_SHARE, MOVE_TARGET, add_demo_actuals
from desktop_planner.store.project import ProjectFile


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("go_live")
    path = folder / "demo.tplan"
    ProjectFile.create(path, build_demo_plan(2000, 12, seed=0)).close()
    start = time.perf_counter()
    result = add_demo_actuals(path, seed=0, csv_path=folder / "actuals.csv")
    return path, result, time.perf_counter() - start


def test_four_quarters_with_a_realignment_in_the_middle(demo):
    path, result, elapsed = demo
    assert elapsed < 10
    assert result.periods == ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4") and result.go_live == "2026-Q3"
    with ProjectFile.open(path, read_only=True) as project:
        plan = project.load_plan()
        base, new = plan.scenario_by_name("Current plan"), plan.scenario_by_name("Realigned")
        assert plan.active.name == "Realigned" and new.based_on == base.id
        holdout = plan.records.table("holdouts").iloc[0]
        members = plan.records.table("holdout_accounts")
        actuals = plan.records.table("actuals")
        quotas = plan.records.table("quotas")
        labels = [r[0] for r in project.conn.execute("SELECT label FROM changes GROUP BY step ORDER BY step")]
    n = len(plan.accounts)
    assert MOVE_TARGET[0] <= holdout["movers"] / n <= MOVE_TARGET[1]
    assert (holdout["scenario_id"], holdout["baseline_id"], holdout["go_live"]) == (new.id, base.id, "2026-Q3")
    assert holdout["strata"] == "from_territory" and holdout["seed"] is not None and holdout["seed"] >= 0
    assert holdout["size"] == round(HOLDOUT_SHARE * holdout["movers"]) == result.held_out
    assert members["cohort"].value_counts().to_dict() == {"moved": holdout["movers"] - holdout["size"],
                                                          "held_out": holdout["size"]}
    # every stratum (old territory) of two or more movers keeps at least one of them, and moves at least one
    held = members.groupby("stratum")["cohort"].agg(lambda c: (c == "held_out").sum())
    size = members.groupby("stratum")["cohort"].size()
    assert (held[size >= 2] >= 1).all() and (held[size >= 2] < size[size >= 2]).all()
    # held-out accounts stayed where they were; the realigned scenario keeps only the other movers moved
    moved_now = assignment_names(base) != assignment_names(new)
    assert moved_now.sum() == holdout["movers"] - holdout["size"]
    # the audit trail tells the story in order
    assert labels == ["Import actuals 2026-Q1 (demo)", "Import actuals 2026-Q2 (demo)",
                      "Quotas 2026-Q1..2026-Q2 (demo)", "New scenario Realigned",
                      f"Keep a holdout of {holdout['size']} of {holdout['movers']} movers in Realigned",
                      "Import actuals 2026-Q3 (demo)", "Import actuals 2026-Q4 (demo)", "Quotas 2026-Q3..2026-Q4 (demo)"]
    assert sorted(actuals["period"].unique()) == list(result.periods)
    assert sorted(quotas["period"].unique()) == list(result.periods) and set(quotas["origin"]) == {"suggested"}
    assert len(actuals) == result.actuals_rows


def test_owners_change_at_go_live_except_for_the_held_out(demo):
    path, _, _ = demo
    with ProjectFile.open(path, read_only=True) as project:
        plan = project.load_plan()
        base, new = plan.scenario_by_name("Current plan"), plan.scenario_by_name("Realigned")
        members = plan.records.table("holdout_accounts")
        actuals = plan.records.table("actuals")
    rep_of = {}
    for scenario in (base, new):
        reps = np.array([""] + [t.rep_name for t in scenario.territories.values()], dtype=object)
        rep_of[scenario.name] = dict(zip(plan.accounts.ids.tolist(), reps[scenario.territory_index() + 1]))
    owners = actuals[actuals["rep"] == actuals["owner"]].set_index(["account_id", "period"])["owner"]
    cohort = members.set_index("account_id")["cohort"]
    moved = int(cohort[cohort == "moved"].index[0])
    held = int(cohort[cohort == "held_out"].index[0])
    assert owners[(moved, "2026-Q1")] == rep_of["Current plan"][moved]
    assert owners[(moved, "2026-Q3")] == rep_of["Realigned"][moved] != rep_of["Current plan"][moved]
    assert owners[(held, "2026-Q4")] == owners[(held, "2026-Q2")] == rep_of["Current plan"][held]
    # former reps still visit some moved accounts in the go-live quarter
    overlap = actuals[actuals["rep"] != actuals["owner"]]
    assert len(overlap) > 0 and set(overlap["period"]) == {"2026-Q3"}
    assert set(overlap["account_id"]) <= set(cohort[cohort == "moved"].index)
    own = actuals[actuals["rep"] == actuals["owner"]]
    unvisited = (own["visits"] == 0).groupby(own["period"]).mean()
    assert ((unvisited > 0.05) & (unvisited < 0.2)).all()


def test_the_csv_holds_the_same_actuals(demo):
    path, result, _ = demo
    frame = pd.read_csv(result.csv_path)
    assert list(frame.columns) == ["external_id", "period", "rep", "owner", "bookings", "visits"]
    assert len(frame) == result.actuals_rows and frame["external_id"].str.startswith("ACC-").all()
    with ProjectFile.open(path, read_only=True) as project:
        actuals = project.load_plan().records.table("actuals")
    assert frame["bookings"].sum() == pytest.approx(actuals["bookings"].sum())


def test_the_cohort_comparison_finds_that_moving_cost_bookings(demo):
    path, _, _ = demo
    with ProjectFile.open(path, read_only=True) as project:
        plan = project.load_plan()
        result = compare_cohorts(plan, metric="bookings")
        visits = compare_cohorts(plan, metric="visits")
    assert result.figures("moved").growth < result.figures("held_out").growth
    assert result.figures("moved").growth < result.figures("unchanged").growth
    assert result.difference("moved", "held_out", "growth").value < 0
    assert visits.figures("moved").n == result.figures("moved").n


def test_a_second_run_is_refused(demo):
    path, _, _ = demo
    with pytest.raises(ValueError, match="already a scenario named 'Realigned'"):
        add_demo_actuals(path)
