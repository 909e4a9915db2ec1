"""Measures against figures worked out by hand (DESIGN.md formulas)."""

import math

import numpy as np
import pytest

from desktop_planner.core.commands import EditTerritory, Reassign
from desktop_planner.core.geo import EARTH_RADIUS_KM
from desktop_planner.core.history import History
from desktop_planner.core.measures import BHH_CONSTANT, MeasureEngine, effective_visits_and_minutes
from desktop_planner.core.model import UNASSIGNED, Accounts, Plan, Scenario, Territory
from desktop_planner.core.settings import Settings
from tests.conftest import make_plan

KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180


def tiny_plan(capacity=None) -> Plan:
    # Territory A: home at (0, 0); accounts at (0, 0), (0, 1), (1, 0) -> a right triangle of hull area ~ half a
    # square degree. Territory B: no home (medoid), accounts at (10, 0) and (10, 2). One account unassigned.
    accounts = Accounts.from_columns(
        lon=[0.0, 0.0, 1.0, 10.0, 10.0, 5.0], lat=[0.0, 1.0, 0.0, 0.0, 2.0, 5.0],
        potential=[100.0, 200.0, 300.0, 50.0, 10.0, 999.0],
        visits_per_year=[10.0, 10.0, 10.0, 4.0, None, 1.0], visit_minutes=[60.0, 60.0, 60.0, 30.0, 30.0, 60.0],
        segment=[None, None, None, None, "SMB", None])
    territories = {1: Territory(1, "A", home_lon=0.0, home_lat=0.0, capacity_hours=capacity), 2: Territory(2, "B")}
    scenario = Scenario(1, "s", territories, np.array([1, 1, 1, 2, 2, UNASSIGNED]), np.zeros(6, dtype=bool))
    settings = Settings(stops_per_day=5, circuity=1.3, speed_kmh=60, segment_visits_per_year={"SMB": 6.0})
    return Plan(accounts, {1: scenario}, 1, settings)


def test_visits_fall_back_to_segment_then_project_default():
    plan = tiny_plan()
    visits, minutes = effective_visits_and_minutes(plan.accounts, plan.settings)
    assert visits.tolist() == [10, 10, 10, 4, 6, 1]  # account 4 has no figure: its segment's 6
    plan.accounts.segment[4] = "Unknown segment"
    visits, _ = effective_visits_and_minutes(plan.accounts, plan.settings)
    assert visits[4] == plan.settings.default_visits_per_year


def test_measures_match_hand_computation():
    plan = tiny_plan()
    m = MeasureEngine(plan).measures()
    a, b = 0, 1
    assert m.values["accounts"].tolist() == [3, 2]
    assert m.values["potential"].tolist() == [600, 60]
    assert m.values["service_hours"].tolist() == pytest.approx([30.0, (4 * 30 + 6 * 30) / 60])
    # Territory A: distances 0, 1 degree, 1 degree (on the equator and the meridian).
    d = KM_PER_DEGREE
    area = d * d / 2  # the triangle, in equal-area km^2 (exact to <0.1 % this close to the equator)
    hop = BHH_CONSTANT * math.sqrt(area / 3)
    travel_a = 1.3 * (2 * (10 * 0 + 10 * d + 10 * d) / 5 + hop * 30)
    assert m.values["travel_km"][a] == pytest.approx(travel_a, rel=2e-3)
    assert m.values["travel_hours"][a] == pytest.approx(travel_a / 60, rel=2e-3)
    # Territory B has no home: the potential-weighted medoid is the heavier account at (10, 0).
    assert m.home_is_medoid.tolist() == [False, True]
    assert (m.home_lon[b], m.home_lat[b]) == (10.0, 0.0)
    travel_b = 1.3 * (2 * (4 * 0 + 6 * 2 * d) / 5 + 0)  # two points: no hull area, no local hop
    assert m.values["travel_km"][b] == pytest.approx(travel_b, rel=1e-6)
    workload = m.values["service_hours"] + m.values["travel_hours"]
    assert m.values["workload_hours"] == pytest.approx(workload)
    assert m.unassigned == 1


def test_deviation_uses_mean_target_or_capacity():
    plan = tiny_plan()
    m = MeasureEngine(plan).measures()
    assert m.deviations["accounts"].tolist() == pytest.approx([0.2, -0.2])  # target 2.5
    wl = m.values["workload_hours"]
    assert m.deviations["workload_hours"] == pytest.approx(wl / wl.mean() - 1)
    plan = tiny_plan(capacity=100.0)
    m = MeasureEngine(plan).measures()
    assert m.targets["workload_hours"][0] == 100.0
    assert m.deviations["workload_hours"][0] == pytest.approx(m.values["workload_hours"][0] / 100 - 1)


def test_plan_balance_figures():
    plan = tiny_plan()
    m = MeasureEngine(plan).measures()
    assert m.max_abs_deviation("accounts") == pytest.approx(0.2)
    assert m.cv("accounts") == pytest.approx(np.std([3, 2]) / 2.5)
    assert m.max_min_ratio("accounts") == pytest.approx(1.5)
    assert m.in_band("accounts").tolist() == [False, False]  # 20 % off, tolerance 10 %
    # Compactness: workload-weighted mean of account-to-home distances.
    w, dist = m.account_workload_hours, np.nan_to_num(m.account_distance_km)
    assert m.compactness_km == pytest.approx((w * dist).sum() / w.sum())
    assert w[5] == 0 and math.isnan(m.account_distance_km[5])  # the unassigned account counts nowhere


def test_account_workloads_add_up_to_territory_workload():
    plan = make_plan(n=300, k=4, seed=3)
    m = MeasureEngine(plan).measures()
    per_territory = np.bincount(plan.active.territory_index(), weights=m.account_workload_hours, minlength=4)
    assert per_territory == pytest.approx(m.values["workload_hours"])


def test_preview_does_not_change_plan_and_matches_committed_result():
    plan = make_plan(n=200, k=3)
    engine = MeasureEngine(plan)
    before = engine.measures()
    accounts = np.arange(0, 60)
    preview = plan.active.assignment.copy()
    preview[accounts] = 2
    previewed = engine.measures(assignment=preview)
    assert engine.measures().values["accounts"].tolist() == before.values["accounts"].tolist()
    History(plan).do(Reassign(1, accounts, 2))
    after = engine.measures()
    for key in previewed.values:
        assert after.values[key] == pytest.approx(previewed.values[key])


def test_cached_geometry_follows_edits():
    """After commands, the engine's cached figures equal a fresh engine's."""
    plan = make_plan(n=300, k=3)
    engine = MeasureEngine(plan)
    engine.measures()
    history = History(plan)
    history.do(Reassign(1, np.arange(0, 100), 3, action="lasso"))
    history.do(Reassign(1, np.arange(50, 80), UNASSIGNED))
    history.undo()
    fresh = MeasureEngine(plan).measures()
    cached = engine.measures()
    for key in fresh.values:
        assert cached.values[key] == pytest.approx(fresh.values[key])


def test_empty_scenario_and_empty_territory():
    plan = tiny_plan()
    plan.active.assignment[:] = UNASSIGNED
    m = MeasureEngine(plan).measures()
    assert m.values["accounts"].tolist() == [0, 0]
    assert m.deviations["workload_hours"].tolist() == [0, 0]
    assert m.compactness_km == 0.0
    assert m.unassigned == 6


def test_home_override_previews_a_moved_home_without_changing_the_plan():
    plan = make_plan(n=200, k=3)
    engine = MeasureEngine(plan)
    before = engine.measures()
    moved = {1: (-80.0, 42.0)}  # far from territory 1's accounts: its travel must grow
    previewed = engine.measures(homes=moved)
    assert previewed.values["travel_hours"][0] > before.values["travel_hours"][0]
    assert previewed.values["travel_hours"][1:].tolist() == pytest.approx(before.values["travel_hours"][1:].tolist())
    assert (previewed.home_lon[0], previewed.home_lat[0]) == moved[1]
    assert plan.active.territories[1].home_lon != -80.0
    History(plan).do(EditTerritory(1, 1, home_lon=-80.0, home_lat=42.0))
    after = engine.measures()
    for key in previewed.values:
        assert after.values[key] == pytest.approx(previewed.values[key])
