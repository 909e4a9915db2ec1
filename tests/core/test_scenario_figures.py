"""Comparing scenarios, the change report, region roll-up and coverage checks on a small hand-made case."""

import csv

import numpy as np
import pytest

from desktop_planner.core.commands import EditTerritory, Reassign
from desktop_planner.core.compare import account_moves, compare_scenarios
from desktop_planner.core.coverage import outliers, unassigned_accounts
from desktop_planner.core.history import History
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.core.model import UNASSIGNED, Accounts, Plan, Scenario, Territory
from desktop_planner.core.rollup import region_rollup
from desktop_planner.core.scenario_commands import AddScenario, copy_scenario
from desktop_planner.io.export import export_change_report


def small_plan():
    # Six accounts: three near (0, 0) in North, three near (1, 0) in South; potential 10, 20, ... 60.
    accounts = Accounts.from_columns(lon=[0, 0.01, 0.02, 1, 1.01, 1.02], lat=[0, 0.01, 0, 0, 0.01, 0],
                                     potential=[10, 20, 30, 40, 50, 60], external_id=list("ABCDEF"),
                                     name=[f"Acc {c}" for c in "ABCDEF"])
    territories = {1: Territory(1, "North", rep_name="Ann", region="East", home_lon=0, home_lat=0),
                   2: Territory(2, "South", rep_name="Bo", region="West", home_lon=1, home_lat=0)}
    base = Scenario(1, "Today", territories, np.array([1, 1, 1, 2, 2, 2]), np.zeros(6, dtype=bool))
    plan = Plan(accounts, {1: base}, 1)
    option = copy_scenario(plan, base, "Option")
    History(plan).do(AddScenario(option))
    south = option.territory_by_name("South").id
    History(plan).do(Reassign(option.id, [2], south))  # C: North -> South
    History(plan).do(Reassign(option.id, [5], UNASSIGNED))  # F: South -> nobody
    return plan, base, option


def test_compare_per_territory_and_moves():
    plan, base, option = small_plan()
    rows = {r.name: r for r in compare_scenarios(plan, base, option, MeasureEngine(plan))}
    assert rows["North"].before["potential"] == 60 and rows["North"].after["potential"] == 30
    assert rows["South"].before["potential"] == 150 and rows["South"].after["potential"] == 120
    assert (rows["North"].accounts_gained, rows["North"].accounts_lost) == (0, 1)
    assert (rows["South"].accounts_gained, rows["South"].accounts_lost) == (1, 1)
    moves = account_moves(base, option)
    assert [(m.row, m.from_territory, m.to_territory) for m in moves] == [(2, "North", "South"), (5, "South", None)]


def test_change_report_csv(tmp_path):
    plan, base, option = small_plan()
    assert export_change_report(plan, base, option, tmp_path / "r.csv") == 2
    with open(tmp_path / "r.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["account_id"] == "C" and rows[0]["from_rep"] == "Ann" and rows[0]["to_rep"] == "Bo"
    assert float(rows[0]["potential"]) == 30
    assert rows[1]["to_territory"] == "(unassigned)" and float(rows[1]["workload_hours"]) == 0


def test_region_rollup():
    plan, base, _ = small_plan()
    m = MeasureEngine(plan).measures(base.id)
    regions = {r.region: r for r in region_rollup(base, m)}
    assert regions["East"].values["potential"] == 60 and regions["West"].values["potential"] == 150
    assert regions["East"].deviation["potential"] == pytest.approx(60 / 105 - 1)
    History(plan).do(EditTerritory(base.id, 2, region="East"))
    regions = region_rollup(base, MeasureEngine(plan).measures(base.id))
    assert [r.region for r in regions] == ["East"] and regions[0].deviation["potential"] == pytest.approx(0)


def test_coverage_finds_unassigned_and_far_outliers():
    plan, base, option = small_plan()
    assert unassigned_accounts(option).tolist() == [5]
    rng = np.random.default_rng(0)
    n = 60
    lon = np.concatenate((rng.normal(0, 0.05, n - 1), [3.0]))  # the last account sits ~330 km away
    lat = rng.normal(0, 0.05, n)
    accounts = Accounts.from_columns(lon=lon, lat=lat, potential=np.ones(n))
    scenario = Scenario(1, "s", {1: Territory(1, "Only", home_lon=0, home_lat=0)}, np.ones(n, dtype=np.int64),
                        np.zeros(n, dtype=bool))
    found = outliers(scenario, MeasureEngine(Plan(accounts, {1: scenario}, 1)).measures())
    assert [o.row for o in found] == [n - 1]
    assert found[0].distance_km > 300
