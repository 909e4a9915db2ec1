"""KPIs per territory and period (core.kpis), every one checked on a case small enough to work out by hand.

Six accounts, two territories, two quarters. T1 (rep Ann, id u1, ann@x.com) has a1..a3, T2 (rep Bob, id u2,
bob@x.com) has a4..a6 in the active scenario.

  account  potential  visits/yr  required a quarter = max(1, floor(visits/yr x 0.25))
  a1       1,000      4          1
  a2       2,000      12         3
  a3       8,000      8          2
  a4       4,000      2          1   (floor(0.5) = 0, at least 1)
  a5       3,000      12         3
  a6       6,000      4          1
Without a score the high-score accounts are the top fifth by potential: ceil(6 / 5) = 2 accounts, a3 and a6.

2026-Q1: a1 Ann 200 (1 visit), a2 Ann 300 (2), a3 Ann 1,000 (0 visits), a4 booked by 'u2' (Bob by id) for owner
'BOB' 400 (1), a5 Bob 500 (3) and Ann 0 (1 visit: a second rep), a6 no rows. Quotas: 'u1' 2,000, 'bob@x.com' 1,800.
2026-Q2: the owner of a3 is Bob now (it counts for T2, whatever the active scenario says); a1 Ann 250 (1), a2 Ann
300 (3), a3 Bob 1,200 (2), a4 no rows, a5 Bob 600 (3), a6 Bob 800 (1) and 'Zed' (no rep of the plan) 0 (2 visits).
Quota: 'Ann' 1,000.
"""

import math

import numpy as np
import pandas as pd
import pytest

from desktop_planner.core.kpis import KPI_FORMATS, KPI_LABELS, KPI_NAMES, NO_OWNER, compute_kpis, \
    high_score_accounts
from desktop_planner.core.model import UNASSIGNED, Accounts, Plan, Scenario, Territory
from desktop_planner.core.records import PutRows
from desktop_planner.core.scoring import ScoreDefinition, Tier, parse_component
from desktop_planner.core.settings import Settings


def small_plan() -> Plan:
    accounts = Accounts.from_columns(
        lon=[-83.0, -83.1, -83.2, -81.7, -81.8, -81.9], lat=[40.0, 40.1, 40.2, 41.5, 41.4, 41.3],
        potential=[1000.0, 2000.0, 8000.0, 4000.0, 3000.0, 6000.0], visits_per_year=[4.0, 12.0, 8.0, 2.0, 12.0, 4.0],
        external_id=[f"a{i}" for i in range(1, 7)])
    territories = {1: Territory(1, "T1", rep_name="Ann", rep_id="u1", rep_email="ann@x.com"),
                   2: Territory(2, "T2", rep_name="Bob", rep_id="u2", rep_email="bob@x.com")}
    scenario = Scenario(1, "Current", territories, np.array([1, 1, 1, 2, 2, 2]), np.zeros(6, dtype=bool))
    return Plan(accounts, {1: scenario}, 1, Settings(), name="KPI case")


def actuals(rows) -> pd.DataFrame:
    return pd.DataFrame([(a, p, r, o, b, v, "test") for a, p, r, o, b, v in rows],
                        columns=["account_id", "period", "rep", "owner", "bookings", "visits", "source"])


def quotas(rows) -> pd.DataFrame:
    return pd.DataFrame([(0, r, p, q, "imported") for r, p, q in rows],
                        columns=["team_id", "rep", "period", "quota", "origin"])


Q1 = [(1, "2026-Q1", "Ann", "Ann", 200.0, 1.0), (2, "2026-Q1", "Ann", "Ann", 300.0, 2.0),
      (3, "2026-Q1", "Ann", "Ann", 1000.0, 0.0), (4, "2026-Q1", "u2", "BOB", 400.0, 1.0),
      (5, "2026-Q1", "Bob", "Bob", 500.0, 3.0), (5, "2026-Q1", "Ann", "Bob", 0.0, 1.0)]
Q2 = [(1, "2026-Q2", "Ann", "Ann", 250.0, 1.0), (2, "2026-Q2", "Ann", "Ann", 300.0, 3.0),
      (3, "2026-Q2", "Bob", "Bob", 1200.0, 2.0), (5, "2026-Q2", "Bob", "Bob", 600.0, 3.0),
      (6, "2026-Q2", "Bob", "Bob", 800.0, 1.0), (6, "2026-Q2", "Zed", "Bob", 0.0, 2.0)]


@pytest.fixture
def case() -> Plan:
    plan = small_plan()
    PutRows("actuals", actuals(Q1 + Q2)).apply(plan)
    PutRows("quotas", quotas([("u1", "2026-Q1", 2000.0), ("bob@x.com", "2026-Q1", 1800.0),
                              ("Ann", "2026-Q2", 1000.0)])).apply(plan)
    return plan


def row(result, period, territory_id):
    frame = result.by_territory
    found = frame[(frame["period"] == period) & (frame["territory_id"] == territory_id)]
    assert len(found) == 1
    return found.iloc[0]


def plan_row(result, period):
    return result.plan[result.plan["period"] == period].iloc[0]


def test_the_api_the_dock_is_built_against():
    assert KPI_NAMES == ("quota_attainment", "revenue", "growth", "penetration", "coverage_accounts",
                         "coverage_potential", "overlap_rate", "unattended_high_score")
    assert set(KPI_LABELS) == set(KPI_NAMES) == set(KPI_FORMATS)
    assert set(KPI_FORMATS.values()) <= {"percent", "money", "count"}
    result = compute_kpis(small_plan())
    assert result.periods == [] and result.territories == [(1, "T1"), (2, "T2")]
    for column in ("period", "territory_id", "territory", "rep", "accounts", "bookings", "quota", "visits",
                   "growth_base", *KPI_NAMES):
        assert column in result.by_territory.columns
    assert {"period", "growth_base", *KPI_NAMES} <= set(result.plan.columns)


def test_first_quarter_by_territory(case):
    result = compute_kpis(case)
    assert result.periods == ["2026-Q1", "2026-Q2"]
    assert result.territories == [(1, "T1"), (2, "T2")]  # nobody is without an owner: no "No owner" line
    t1 = row(result, "2026-Q1", 1)
    assert (t1["territory"], t1["rep"], t1["accounts"]) == ("T1", "Ann", 3)
    assert t1["bookings"] == t1["revenue"] == 1500.0  # 200 + 300 + 1,000
    assert t1["visits"] == 3.0  # 1 + 2 + 0
    assert t1["quota"] == 2000.0  # given by rep id 'u1'
    assert t1["quota_attainment"] == pytest.approx(0.75)  # 1,500 / 2,000
    assert t1["penetration"] == pytest.approx(1500 / (11000 * 0.25))  # 0.5454...
    assert t1["coverage_accounts"] == pytest.approx(1 / 3)  # a1 (1 >= 1); a2 2 < 3, a3 0 < 2
    assert t1["coverage_potential"] == pytest.approx(1000 / 11000)
    assert t1["overlap_rate"] == 0.0
    assert t1["unattended_high_score"] == 1  # a3: top fifth, no visit
    assert math.isnan(t1["growth"]) and pd.isna(t1["growth_base"])  # nothing to compare with
    t2 = row(result, "2026-Q1", 2)
    assert t2["accounts"] == 3  # a4 (owner 'BOB': case ignored), a5, a6 (no rows: its territory in the scenario)
    assert t2["bookings"] == 900.0  # 400 + 500 + 0
    assert t2["visits"] == 5.0  # 1 + 3 + Ann's 1 on a5: visits count for the account's territory
    assert t2["quota"] == 1800.0  # given by e-mail
    assert t2["quota_attainment"] == pytest.approx(0.5)
    assert t2["penetration"] == pytest.approx(900 / (13000 * 0.25))
    assert t2["coverage_accounts"] == pytest.approx(2 / 3)  # a4 1 >= 1, a5 4 >= 3; a6 0
    assert t2["coverage_potential"] == pytest.approx(7000 / 13000)
    assert t2["overlap_rate"] == pytest.approx(1 / 3)  # a5 visited by Bob and Ann
    assert t2["unattended_high_score"] == 1  # a6


def test_first_quarter_whole_plan(case):
    whole = plan_row(compute_kpis(case), "2026-Q1")
    assert whole["accounts"] == 6 and whole["bookings"] == whole["revenue"] == 2400.0 and whole["visits"] == 8.0
    assert whole["quota"] == 3800.0
    assert whole["quota_attainment"] == pytest.approx(2400 / 3800)
    assert whole["penetration"] == pytest.approx(2400 / (24000 * 0.25))
    assert whole["coverage_accounts"] == pytest.approx(3 / 6)
    assert whole["coverage_potential"] == pytest.approx(8000 / 24000)  # a1, a4, a5
    assert whole["overlap_rate"] == pytest.approx(1 / 6)
    assert whole["unattended_high_score"] == 2
    assert math.isnan(whole["growth"])


def test_second_quarter_follows_the_owner_at_the_time(case):
    result = compute_kpis(case)
    t1, t2 = row(result, "2026-Q2", 1), row(result, "2026-Q2", 2)
    assert t1["accounts"] == 2 and t2["accounts"] == 4  # a3's owner is Bob now
    assert t1["bookings"] == 550.0 and t2["bookings"] == 2600.0  # 250 + 300; 1,200 + 0 + 600 + 800
    assert t1["quota_attainment"] == pytest.approx(0.55)  # 550 / 1,000 ('Ann' by name)
    assert math.isnan(t2["quota"]) and math.isnan(t2["quota_attainment"])  # no quota for Bob in Q2
    assert t1["growth"] == pytest.approx(550 / 1500 - 1) and t1["growth_base"] == "2026-Q1"  # the quarter before
    assert t2["growth"] == pytest.approx(2600 / 900 - 1)
    assert t1["penetration"] == pytest.approx(550 / (3000 * 0.25))
    assert t2["penetration"] == pytest.approx(2600 / (21000 * 0.25))
    assert t1["coverage_accounts"] == 1.0 and t1["coverage_potential"] == 1.0  # a1 1 >= 1, a2 3 >= 3
    assert t2["coverage_accounts"] == pytest.approx(3 / 4)  # a3 2 >= 2, a5, a6 (1 + 2 >= 1); a4 none
    assert t2["coverage_potential"] == pytest.approx(17000 / 21000)
    assert t2["overlap_rate"] == 0.0  # Zed is no rep of the plan's territories
    assert t1["unattended_high_score"] == 0 and t2["unattended_high_score"] == 0  # a3 and a6 were visited
    assert t2["visits"] == 8.0  # 2 + 0 + 3 + 1 + 2
    whole = plan_row(result, "2026-Q2")
    assert whole["bookings"] == 3150.0 and whole["quota"] == 1000.0
    assert whole["quota_attainment"] == pytest.approx(3.15)
    assert whole["growth"] == pytest.approx(3150 / 2400 - 1) and whole["growth_base"] == "2026-Q1"
    assert whole["coverage_accounts"] == pytest.approx(5 / 6)
    assert whole["coverage_potential"] == pytest.approx(20000 / 24000)
    assert whole["overlap_rate"] == 0.0 and whole["unattended_high_score"] == 0
    assert whole["penetration"] == pytest.approx(3150 / 6000)


def test_growth_compares_with_the_same_quarter_a_year_before_when_there_are_actuals_then(case):
    PutRows("actuals", actuals([(1, "2025-Q2", "Ann", "Ann", 500.0, 1.0)])).apply(case)
    result = compute_kpis(case, periods=["2026-q2"])
    assert result.periods == ["2026-Q2"]
    t1, t2 = row(result, "2026-Q2", 1), row(result, "2026-Q2", 2)
    assert t1["growth_base"] == "2025-Q2" and t1["growth"] == pytest.approx(550 / 500 - 1)
    assert math.isnan(t2["growth"])  # T2 booked nothing in 2025-Q2
    whole = plan_row(result, "2026-Q2")
    assert whole["growth_base"] == "2025-Q2" and whole["growth"] == pytest.approx(3150 / 500 - 1)
    assert list(result.by_territory["period"].unique()) == ["2026-Q2"]  # the base period is not listed


def test_a_month_takes_its_share_of_a_year():
    plan = small_plan()
    # a2 plans 12 visits a year: one a month is enough; a4 plans 2: still at least one.
    PutRows("actuals", actuals([(2, "2026-03", "Ann", "Ann", 100.0, 1.0), (4, "2026-03", "Bob", "Bob", 0.0, 1.0)])
            ).apply(plan)
    result = compute_kpis(plan)
    t1 = row(result, "2026-03", 1)
    assert t1["coverage_accounts"] == pytest.approx(1 / 3)
    assert t1["penetration"] == pytest.approx(100 / (11000 / 12))
    assert row(result, "2026-03", 2)["coverage_accounts"] == pytest.approx(1 / 3)


def test_unassigned_accounts_without_a_known_owner_have_no_owner():
    plan = small_plan()
    plan.active.assignment[0] = UNASSIGNED
    PutRows("actuals", actuals([(1, "2026-Q1", "Someone", "Someone", 70.0, 0.0),
                                (2, "2026-Q1", "Ann", "Ann", 30.0, 0.0)])).apply(plan)
    result = compute_kpis(plan)
    assert result.territories == [(1, "T1"), (2, "T2"), NO_OWNER]
    nobody = row(result, "2026-Q1", -1)
    assert nobody["accounts"] == 1 and nobody["bookings"] == 70.0 and nobody["rep"] == ""
    assert row(result, "2026-Q1", 1)["accounts"] == 2


def test_the_top_tier_are_the_high_score_accounts():
    plan = small_plan()
    plan.scoring = ScoreDefinition(components=(parse_component("potential:1"),),
                                   tiers=(Tier("A", 70.0), Tier("B", 0.0)))
    plan.accounts.tier = np.array(["A", "A", "B", "B", "B", "A"], dtype=object)
    assert high_score_accounts(plan).tolist() == [True, True, False, False, False, True]
    PutRows("actuals", actuals([(1, "2026-Q1", "Ann", "Ann", 10.0, 1.0)])).apply(plan)
    result = compute_kpis(plan)
    assert row(result, "2026-Q1", 1)["unattended_high_score"] == 1  # a2 (a1 was visited)
    assert row(result, "2026-Q1", 2)["unattended_high_score"] == 1  # a6
    assert plan_row(result, "2026-Q1")["unattended_high_score"] == 2


def test_other_scenarios_and_accounts_outside_the_plan():
    plan = small_plan()
    other = Scenario(2, "Other", {3: Territory(3, "Everything", rep_name="Cy")}, np.full(6, 3),
                     np.zeros(6, dtype=bool))
    plan.scenarios[2] = other
    PutRows("actuals", actuals([(1, "2026-Q1", "Ann", "Ann", 10.0, 1.0),
                                (99, "2026-Q1", "Ann", "Ann", 1e6, 1.0)])).apply(plan)  # another team's account
    result = compute_kpis(plan, scenario=other)
    assert result.territories == [(3, "Everything")]
    everything = row(result, "2026-Q1", 3)
    assert everything["accounts"] == 6 and everything["bookings"] == 10.0  # Ann is no rep of "Other"


def test_a_period_with_no_actuals_can_be_asked_for():
    result = compute_kpis(small_plan(), periods=["2026-Q4"])
    assert result.periods == ["2026-Q4"]
    t1 = row(result, "2026-Q4", 1)
    assert t1["bookings"] == 0.0 and t1["coverage_accounts"] == 0.0 and t1["unattended_high_score"] == 1


def test_an_account_counts_for_the_owner_most_of_its_rows_name():
    plan = small_plan()
    # a1 (T1 in the scenario) in Q1: three rows, two of which name Bob as the owner: it counts for T2.
    PutRows("actuals", actuals([(1, "2026-Q1", "Ann", "Ann", 10.0, 1.0), (1, "2026-Q1", "Bob", "bob", 20.0, 1.0),
                                (1, "2026-Q1", "u2", "Bob", 30.0, 0.0)])).apply(plan)
    result = compute_kpis(plan)
    t1, t2 = row(result, "2026-Q1", 1), row(result, "2026-Q1", 2)
    assert (t1["accounts"], t2["accounts"]) == (2, 4)
    assert t2["bookings"] == 60.0 and t2["overlap_rate"] == pytest.approx(1 / 4)  # Ann and Bob visited a1
