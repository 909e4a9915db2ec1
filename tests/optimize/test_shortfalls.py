"""The reasons a territory stays outside its band, computed from the accounts and homes alone."""

import numpy as np

from desktop_planner.core.measures import MeasureEngine
from desktop_planner.optimize.shortfalls import explain_shortfalls
from tests.conftest import make_plan


def test_an_underloaded_territory_is_told_how_far_its_work_reaches():
    plan = make_plan(n=120, k=3, seed=2)
    scenario = plan.active
    # T3 keeps only its 5 accounts nearest home: far below an equal share.
    tids = scenario.territory_ids()
    home = scenario.territories[3]
    d = np.hypot(plan.accounts.lon - home.home_lon, plan.accounts.lat - home.home_lat)
    mine = np.argsort(d)[:5]
    scenario.assignment[scenario.assignment == 3] = 1
    scenario.assignment[mine] = 3
    m = MeasureEngine(plan).measures()
    lines = explain_shortfalls(plan, scenario, m, "workload_hours", 0.10, np.ones(len(tids), dtype=bool))
    t3 = next(line for line in lines if line.startswith("T3"))
    reach = float(np.nanmax(m.account_distance_km[mine]))
    assert f"within {reach:,.0f} km of home" in t3
    # T1, which took T3's accounts, is overloaded: either its own home area is already too much, or its
    # neighbours cannot take more.
    t1 = next(line for line in lines if line.startswith("T1"))
    assert "already make" in t1 or "no room" in t1


def test_nothing_to_explain_when_every_territory_is_in_band():
    plan = make_plan(n=60, k=1, seed=1)
    m = MeasureEngine(plan).measures()
    assert explain_shortfalls(plan, plan.active, m, "workload_hours", 0.10, np.ones(1, dtype=bool)) == []
