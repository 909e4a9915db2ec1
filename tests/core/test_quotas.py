"""Quotas (core.quotas): a period's total split by potential within a floor and a cap, water-filled so the total is
kept; edits; reps found by id, e-mail, name or territory name; one undoable step each."""

import numpy as np
import pytest

from desktop_planner.core.history import History
from desktop_planner.core.model import Accounts, Plan, Scenario, Territory
from desktop_planner.core.quotas import (QuotaError, edited_quotas, put_quotas, quotas_of, rep_key, rep_lookup,
                                         resolve_rep, round_keeping_total, suggest_quotas, water_fill)
from desktop_planner.core.settings import Settings


def plan_with(potentials: list[float]) -> Plan:
    """One account per territory, with the given potentials; territory k's rep is 'Rep k' with id 'u<k>'."""
    k = len(potentials)
    accounts = Accounts.from_columns(lon=[-83.0 + 0.1 * i for i in range(k)], lat=[40.0] * k, potential=potentials,
                                     external_id=[f"a{i}" for i in range(k)])
    territories = {i: Territory(i, f"T{i}", rep_name=f"Rep {i}", rep_id=f"u{i}", rep_email=f"rep{i}@x.com")
                   for i in range(1, k + 1)}
    scenario = Scenario(1, "Current", territories, np.arange(1, k + 1), np.zeros(k, dtype=bool))
    return Plan(accounts, {1: scenario}, 1, Settings(), name="Quotas")


def test_water_filling_keeps_the_total_within_floor_and_cap():
    # Total 1,000 over 4 territories: equal share 250, floor 0.5 -> 125, cap 2.0 -> 500.
    # Potentials 1, 1, 2, 96: proportional shares 10, 10, 20, 960. The big one is capped at 500; the other three
    # share the remaining 500 in proportion 1:1:2 -> 125, 125, 250, all at or above the floor of 125.
    shares = water_fill(1000.0, np.array([1.0, 1.0, 2.0, 96.0]), 125.0, 500.0)
    assert shares == pytest.approx([125.0, 125.0, 250.0, 500.0])
    assert shares.sum() == pytest.approx(1000.0)
    # Without binding bounds the split is proportional.
    assert water_fill(100.0, np.array([1.0, 3.0]), 0.0, 1e9) == pytest.approx([25.0, 75.0])
    # Potentials 0, 1, 1 with floor 20 and cap 60 of 90: the empty one gets the floor, the rest 35 each.
    assert water_fill(90.0, np.array([0.0, 1.0, 1.0]), 20.0, 60.0) == pytest.approx([20.0, 35.0, 35.0])
    # Nothing has potential: an even split.
    assert water_fill(90.0, np.zeros(3), 10.0, 60.0) == pytest.approx([30.0, 30.0, 30.0])
    with pytest.raises(QuotaError, match="cannot be split"):
        water_fill(100.0, np.ones(2), 60.0, 80.0)


@pytest.mark.parametrize("seed", range(20))
def test_water_filling_always_keeps_total_and_bounds(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    weights = rng.lognormal(0, 2, n) * (rng.random(n) > 0.2)
    total = float(rng.uniform(1e3, 1e7))
    floor, cap = float(rng.uniform(0, 1)), float(rng.uniform(1, 4))
    shares = water_fill(total, weights, floor * total / n, cap * total / n)
    assert shares.sum() == pytest.approx(total, rel=1e-9)
    assert (shares >= floor * total / n - 1e-6).all()
    if (weights > 0).all():
        assert (shares <= cap * total / n + 1e-6).all()


def test_rounding_keeps_the_total_to_the_cent():
    values = np.array([100 / 3, 100 / 3, 100 / 3])
    rounded = round_keeping_total(values, 100.0)
    assert rounded.tolist() == [33.34, 33.33, 33.33] and round(rounded.sum(), 2) == 100.0


def test_suggestion_for_a_period():
    plan = plan_with([1.0, 1.0, 2.0, 96.0])
    rows = suggest_quotas(plan, "2026-q3", 1000.0, floor=0.5, cap=2.0)
    assert rows.columns.tolist() == ["team_id", "rep", "period", "quota", "origin"]
    assert rows["rep"].tolist() == ["u1", "u2", "u3", "u4"]  # kept under the rep id
    assert rows["quota"].tolist() == [125.0, 125.0, 250.0, 500.0]
    assert set(rows["period"]) == {"2026-Q3"} and set(rows["origin"]) == {"suggested"} and set(rows["team_id"]) == {0}
    # Cents that do not divide: the total is still kept exactly.
    rows = suggest_quotas(plan_with([1.0, 1.0, 1.0]), "2026-Q3", 100.0)
    assert rows["quota"].tolist() == [33.34, 33.33, 33.33]


def test_a_rep_with_two_territories_gets_both_shares():
    plan = plan_with([1.0, 1.0, 2.0])
    territories = plan.active.territories
    territories[2] = territories[2].with_changes(rep_name="Rep 1", rep_id="u1")
    rows = suggest_quotas(plan, "2026-Q3", 400.0, floor=0.0, cap=4.0)
    assert dict(zip(rows["rep"], rows["quota"])) == {"u1": 200.0, "u3": 200.0}


@pytest.mark.parametrize("kwargs, message", [
    ({"total": -5.0}, "positive number"), ({"total": float("nan")}, "positive number"),
    ({"floor": 1.5}, "floor"), ({"cap": 0.5}, "cap"), ({"period": "next"}, "'next' is not a period")])
def test_bad_requests_are_refused(kwargs, message):
    arguments = {"period": "2026-Q3", "total": 100.0, **kwargs}
    with pytest.raises(QuotaError, match=message):
        suggest_quotas(plan_with([1.0, 2.0]), arguments.pop("period"), **arguments)


def test_reps_are_found_by_id_email_name_or_territory():
    plan = plan_with([1.0, 2.0])
    assert [resolve_rep(plan, t) for t in ("u1", "REP1@X.COM", "rep 1", "t1", " Rep 2 ")] == ["u1"] * 4 + ["u2"]
    with pytest.raises(QuotaError, match="no territory has the rep 'Nobody'"):
        resolve_rep(plan, "Nobody")
    # An id wins over another territory's name.
    territories = [Territory(1, "u2", rep_name="Ann"), Territory(2, "T2", rep_name="Bob", rep_id="u2")]
    assert rep_lookup(territories)["u2"] == 2
    assert rep_key(Territory(3, "T3")) == "T3" and rep_key(Territory(4, "T4", rep_name="Dee")) == "Dee"


def test_suggest_then_edit_as_undoable_steps():
    plan = plan_with([1.0, 1.0, 2.0, 96.0])
    history = History(plan)
    history.do(put_quotas(plan, edited_quotas(plan, "2026-Q3", {"Rep 4": 9.0})))
    assert quotas_of(plan, "2026-Q3")[["rep", "quota", "origin"]].values.tolist() == [["u4", 9.0, "edited"]]
    command = put_quotas(plan, suggest_quotas(plan, "2026-Q3", 1000.0), replace_period="2026-Q3")
    assert command.label == "Suggest quotas 2026-Q3"
    history.do(command)
    assert quotas_of(plan, "2026-Q3")["quota"].sum() == pytest.approx(1000.0)
    history.do(put_quotas(plan, edited_quotas(plan, "2026-Q3", {"rep4@x.com": 450.0})))
    table = quotas_of(plan, "2026-Q3").set_index("rep")
    assert table.loc["u4", "quota"] == 450.0 and table.loc["u4", "origin"] == "edited"
    assert len(table) == 4  # replaced, not added
    history.undo()
    assert quotas_of(plan, "2026-Q3").set_index("rep").loc["u4", "quota"] == 500.0
    history.undo()
    assert quotas_of(plan, "2026-Q3")[["rep", "quota"]].values.tolist() == [["u4", 9.0]]
    with pytest.raises(QuotaError, match="at least 0"):
        edited_quotas(plan, "2026-Q3", {"u1": -1.0})


def test_a_suggestion_replaces_the_quotas_of_reps_gone_from_the_period():
    plan = plan_with([1.0, 3.0])
    history = History(plan)
    history.do(put_quotas(plan, suggest_quotas(plan, "2026-Q1", 100.0)))
    history.do(put_quotas(plan, suggest_quotas(plan, "2026-Q2", 100.0)))
    plan.active.territories[2] = plan.active.territories[2].with_changes(rep_id="u9", rep_name="New rep")
    command = put_quotas(plan, suggest_quotas(plan, "2026-Q2", 200.0), replace_period="2026-Q2")
    assert command.delete == [(0, "u2", "2026-Q2")]
    history.do(command)
    assert quotas_of(plan, "2026-Q2")["rep"].tolist() == ["u1", "u9"]
    assert quotas_of(plan, "2026-Q2")["quota"].sum() == pytest.approx(200.0)
    assert len(quotas_of(plan, "2026-Q1")) == 2  # other periods stay
