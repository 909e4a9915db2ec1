"""Measures against figures worked out by hand (DESIGN.md formulas)."""

import math

import numpy as np
import pytest

from desktop_planner.core.commands import EditTerritory, Reassign
from desktop_planner.core.geo import EARTH_RADIUS_KM
from desktop_planner.core.history import History
from desktop_planner.core.geometry_stats import territory_geometry
from desktop_planner.core.measures import (BHH_CONSTANT, MeasureEngine, capacity_shares, headcount_gap_text,
                                           weighted_quantile)
from desktop_planner.core.visit_figures import effective_visits_and_minutes
from desktop_planner.core.model import UNASSIGNED, Accounts, Plan, Scenario, Territory
from desktop_planner.core.settings import Settings
from desktop_planner.core.travel import visit_travel_hours, visit_travel_km
from tests.conftest import make_plan

KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180


def tiny_plan(capacity=None, capacity_b=None, **settings) -> Plan:
    # Territory A: home at (0, 0); accounts at (0, 0), (0, 1), (1, 0) -> a right triangle of hull area ~ half a
    # square degree. Territory B: no home (medoid), accounts at (10, 0) and (10, 2). One account unassigned.
    accounts = Accounts.from_columns(
        lon=[0.0, 0.0, 1.0, 10.0, 10.0, 5.0], lat=[0.0, 1.0, 0.0, 0.0, 2.0, 5.0],
        potential=[100.0, 200.0, 300.0, 50.0, 10.0, 999.0],
        visits_per_year=[10.0, 10.0, 10.0, 4.0, None, 1.0], visit_minutes=[60.0, 60.0, 60.0, 30.0, 30.0, 60.0],
        segment=[None, None, None, None, "SMB", None])
    territories = {1: Territory(1, "A", home_lon=0.0, home_lat=0.0, capacity_hours=capacity),
                   2: Territory(2, "B", capacity_hours=capacity_b)}
    scenario = Scenario(1, "s", territories, np.array([1, 1, 1, 2, 2, UNASSIGNED]), np.zeros(6, dtype=bool))
    defaults = {"stops_per_day": 5, "circuity": 1.3, "speed_kmh": 60, "segment_visits_per_year": {"SMB": 6.0}}
    settings = Settings(**{**defaults, **settings})
    return Plan(accounts, {1: scenario}, 1, settings)


def test_visits_fall_back_to_segment_then_project_default():
    plan = tiny_plan()
    visits, minutes = effective_visits_and_minutes(plan.accounts, plan.settings)
    assert visits.tolist() == [10, 10, 10, 4, 6, 1]  # account 4 has no figure: its segment's 6
    plan.accounts.segment[4] = "Unknown segment"
    visits, _ = effective_visits_and_minutes(plan.accounts, plan.settings)
    assert visits[4] == plan.settings.default_visits_per_year


def test_a_score_tier_s_visits_come_before_the_segment_s_and_after_the_account_s_own():
    plan = tiny_plan(tier_visits_per_year={"A": 24.0}, tier_visit_minutes={"A": 90.0})
    plan.accounts.tier[:] = ["A", "A", None, None, "A", "B"]
    plan.accounts.visits_per_year[0] = np.nan
    visits, minutes = effective_visits_and_minutes(plan.accounts, plan.settings)
    assert visits.tolist() == [24, 10, 10, 4, 24, 1]  # own figure > tier A > segment SMB's 6 > default
    assert minutes.tolist() == [60, 60, 60, 30, 30, 60]  # every account has its own minutes


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
    # Two points: no hull area, no local hop. The account at (10, 2) is 2 degrees (222 km, 289 road km) from
    # home, beyond the 250 road km overnight limit: its drive is charged as if at the limit, 2 * 250 / 5 km a
    # visit, and each of its 6 visits is a fifth of a night away.
    assert 1.3 * 2 * d > 250
    travel_b = 4 * 0 + 6 * (2 * 250 / 5)
    assert m.values["travel_km"][b] == pytest.approx(travel_b, rel=1e-9)
    assert m.values["nights"].tolist() == pytest.approx([0.0, 6 / 5])
    assert m.values["flights"].tolist() == [0, 0]
    workload = m.values["service_hours"] + m.values["travel_hours"]
    assert m.values["workload_hours"] == pytest.approx(workload)
    assert m.unassigned == 1


def test_deviation_uses_mean_target_or_capacity_share():
    plan = tiny_plan()
    m = MeasureEngine(plan).measures()
    assert m.deviations["accounts"].tolist() == pytest.approx([0.2, -0.2])  # target 2.5
    wl = m.values["workload_hours"]
    assert m.deviations["workload_hours"] == pytest.approx(wl / wl.mean() - 1)
    assert np.isnan(m.utilisation).all() and m.reps_needed is None
    # Capacities split the total work 1:3; they are shares, not absolute targets (was: target = capacity).
    m = MeasureEngine(tiny_plan(capacity=100.0, capacity_b=300.0)).measures()
    total = m.values["workload_hours"].sum()
    assert m.targets["workload_hours"] == pytest.approx([total / 4, total * 3 / 4])
    assert m.deviations["workload_hours"][0] == pytest.approx(m.values["workload_hours"][0] / (total / 4) - 1)
    assert m.utilisation == pytest.approx(m.values["workload_hours"] / [100.0, 300.0])
    # One capacity alone: the other territory counts with the mean capacity, so the shares are equal.
    m = MeasureEngine(tiny_plan(capacity=100.0)).measures()
    assert m.targets["workload_hours"] == pytest.approx([total / 2, total / 2])
    assert m.utilisation[0] == pytest.approx(m.values["workload_hours"][0] / 100) and np.isnan(m.utilisation[1])


def test_plan_balance_figures():
    plan = tiny_plan()
    m = MeasureEngine(plan).measures()
    assert m.max_abs_deviation("accounts") == pytest.approx(0.2)
    assert m.cv("accounts") == pytest.approx(np.std([3, 2]) / 2.5)
    assert m.max_min_ratio("accounts") == pytest.approx(1.5)
    assert m.in_band("accounts").tolist() == [False, False]  # 20 % off, tolerance 10 %
    # Compactness: visit-weighted mean of account-to-home distances (was workload-weighted).
    d = KM_PER_DEGREE
    visits = np.array([10, 10, 10, 4, 6])  # the unassigned account (1 visit) counts nowhere
    distance = np.array([0, d, d, 0, 2 * d])
    assert m.compactness_km == pytest.approx((visits * distance).sum() / visits.sum(), rel=1e-6)
    assert m.territory_compactness_km == pytest.approx([20 * d / 30, 12 * d / 10], rel=1e-6)
    assert m.account_workload_hours[5] == 0 and math.isnan(m.account_distance_km[5])


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


# -- capacity as a share, headcount ---------------------------------------------------------------------------

def test_capacity_shares_fill_missing_with_the_mean_capacity():
    assert capacity_shares(np.array([np.nan, np.nan])) is None
    np.testing.assert_allclose(capacity_shares(np.array([1000.0, 3000.0])), [0.25, 0.75])
    # No capacity for the middle one: it counts with the mean of the others, 2000.
    np.testing.assert_allclose(capacity_shares(np.array([1000.0, np.nan, 3000.0])), [1 / 6, 2 / 6, 3 / 6])



def test_capacity_shares_a_few_exceptions_stand_against_average_reps():
    # The demo's case: 12 reps, one part-timer at 60 % of an average workload (total / K). The other eleven
    # are ordinary full-time reps: they count with the stand-in, the average workload, not with the one set
    # capacity (which would give every rep an equal share and ignore the part-time).
    total, k = 12_000.0, 12
    average = total / k
    capacities = np.full(k, np.nan)
    capacities[4] = 0.6 * average
    shares = capacity_shares(capacities, total / k)
    expected = np.full(k, 1.0 / 11.6)
    expected[4] = 0.6 / 11.6
    np.testing.assert_allclose(shares, expected, rtol=1e-12)
    assert shares.sum() == pytest.approx(1.0)
    assert shares[4] * total == pytest.approx(total * 0.6 / 11.6)  # about 620.7 hours of 12,000
    # Without a stand-in: the mean of the set capacities, so equal shares.
    np.testing.assert_allclose(capacity_shares(capacities), np.full(k, 1 / k))
    # Fewer than half set (5 of 12): the stand-in still fills the rest.
    capacities[:5] = [400.0, 500.0, 600.0, 700.0, 800.0]
    np.testing.assert_allclose(capacity_shares(capacities, 1000.0),
                               np.r_[400.0, 500.0, 600.0, 700.0, 800.0, [1000.0] * 7] / 10_000.0)


def test_capacity_shares_half_or_more_set_use_the_mean_capacity():
    # Exactly half set (2 of 4): the set ones are the rule, the others count with their mean, 2000.
    np.testing.assert_allclose(capacity_shares(np.array([1000.0, np.nan, 3000.0, np.nan]), 5000.0),
                               np.array([1000.0, 2000.0, 3000.0, 2000.0]) / 8000.0)
    # More than half (2 of 3), and 1 of 2, likewise.
    np.testing.assert_allclose(capacity_shares(np.array([1000.0, np.nan, 3000.0]), 5000.0), [1 / 6, 2 / 6, 3 / 6])
    np.testing.assert_allclose(capacity_shares(np.array([100.0, np.nan]), 5000.0), [0.5, 0.5])
    # None set: equal shares (None), whatever the stand-in; a stand-in that is not a positive number is ignored.
    assert capacity_shares(np.array([np.nan, 0.0, -1.0]), 5000.0) is None
    for bad in (0.0, -3.0, float("nan")):
        np.testing.assert_allclose(capacity_shares(np.array([600.0, np.nan, np.nan]), bad), [1 / 3] * 3)


def test_engine_targets_use_the_plan_average_as_stand_in():
    plan = make_plan(n=300, k=3, seed=4)
    engine = MeasureEngine(plan)
    total = float(engine.measures().values["workload_hours"].sum())
    average = total / 3
    History(plan).do(EditTerritory(1, 2, capacity_hours=0.6 * average))  # one part-timer of three
    m = engine.measures()
    assert float(m.values["workload_hours"].sum()) == pytest.approx(total)
    assert m.targets["workload_hours"] == pytest.approx(total * np.array([1.0, 0.6, 1.0]) / 2.6)
    assert m.utilisation[1] == pytest.approx(m.values["workload_hours"][1] / (0.6 * average))
    assert np.isnan(m.utilisation[[0, 2]]).all()

def test_headcount_sentence_when_the_work_outgrows_capacity():
    m = MeasureEngine(tiny_plan()).measures()
    assert headcount_gap_text(m) is None  # no capacities: nothing to say
    total = m.values["workload_hours"].sum()
    # Capacities of a fifth of the work each, on average: work for 2.5 reps... with 2.
    m = MeasureEngine(tiny_plan(capacity=total * 0.3, capacity_b=total * 0.5)).measures()
    assert m.headcount == 2 and m.reps_needed == pytest.approx(2.5)
    assert headcount_gap_text(m) == "Work for 2.5 reps at capacity; you have 2."
    assert m.utilisation == pytest.approx(m.values["workload_hours"] / [total * 0.3, total * 0.5])
    m = MeasureEngine(tiny_plan(capacity=total)).measures()  # room to spare (B counts with A's capacity)
    assert m.reps_needed == pytest.approx(1.0) and headcount_gap_text(m) is None


# -- compactness and the distance percentile ------------------------------------------------------------------

def sprawl_plan(speed_kmh: float) -> Plan:
    """One territory, home at (0, 0): three quick-visit accounts at the home, two all-day accounts 0.8 degrees
    away. The near ones pay the local hop of the wide hull, so slower driving weighs them more."""
    accounts = Accounts.from_columns(
        lon=[0.0, 0.01, 0.0, 0.8, 0.8], lat=[0.0, 0.0, 0.01, 0.0, 0.8], potential=[1.0] * 5,
        visits_per_year=[12.0] * 5, visit_minutes=[15.0, 15.0, 15.0, 480.0, 480.0], segment=[None] * 5)
    scenario = Scenario(1, "s", {1: Territory(1, "A", home_lon=0.0, home_lat=0.0)}, np.ones(5, dtype=np.int64),
                        np.zeros(5, dtype=bool))
    return Plan(accounts, {1: scenario}, 1, Settings(speed_kmh=speed_kmh))


def test_compactness_is_visit_weighted_so_more_travel_does_not_look_more_compact():
    fast, slow = (MeasureEngine(sprawl_plan(speed)).measures() for speed in (60.0, 20.0))
    assert slow.values["travel_hours"][0] == pytest.approx(3 * fast.values["travel_hours"][0])
    # Weighted by workload, the slower plan would look MORE compact: its extra travel hours sit on the near
    # accounts' local hops. Weighted by visits, the distances, which did not change, give the same figure.
    def by_workload(m):
        return (m.account_workload_hours * m.account_distance_km).sum() / m.account_workload_hours.sum()
    assert by_workload(slow) < by_workload(fast) - 5
    assert slow.compactness_km == fast.compactness_km
    assert fast.compactness_km == pytest.approx(np.mean(fast.account_distance_km))  # equal visits


def test_distance_p95_is_the_visit_weighted_95th_percentile():
    m = MeasureEngine(sprawl_plan(60.0)).measures()
    d = m.account_distance_km
    # Equal visits: 95 % of the visits are within the farthest account's distance, not the next one's.
    assert m.distance_p95_km == pytest.approx(d.max())
    plan = sprawl_plan(60.0)
    plan.accounts.visits_per_year[:] = [10.0, 10.0, 10.0, 100.0, 1.0]  # 130 of 131 visits within the 4th's
    m = MeasureEngine(plan).measures()
    assert d[4] > d[3] and m.distance_p95_km == pytest.approx(d[3])
    assert m.compactness_km == pytest.approx((plan.accounts.visits_per_year * d).sum() / 131.0)


def test_weighted_quantile_matches_numpy_and_repetition():
    rng = np.random.default_rng(4)
    values = rng.exponential(50, 5000)
    assert weighted_quantile(values, np.ones(5000), 0.95) == np.quantile(values, 0.95, method="inverted_cdf")
    weights = rng.integers(0, 5, 5000).astype(float)
    expanded = np.repeat(values, weights.astype(int))
    for q in (0.05, 0.5, 0.95, 1.0):
        assert weighted_quantile(values, weights, q) == np.quantile(expanded, q, method="inverted_cdf")
    # Heavy weights at the bottom: the answer is below the tail the fast path looks at first.
    weights[values < np.quantile(values, 0.5)] = 1000.0
    expanded = np.repeat(values, weights.astype(int))
    assert weighted_quantile(values, weights, 0.95) == np.quantile(expanded, 0.95, method="inverted_cdf")
    assert weighted_quantile(np.array([np.nan]), np.ones(1), 0.95) == 0.0


# -- overnight visits and flights in the territory figures ----------------------------------------------------

def west_coast_plan(**settings) -> Plan:
    """A Los Angeles rep with accounts in Los Angeles, San Diego, Las Vegas (370 km: overnight) and Honolulu."""
    accounts = Accounts.from_columns(
        lon=[-118.2437, -117.1611, -115.1398, -157.8583], lat=[34.0522, 32.7157, 36.1699, 21.3069],
        potential=[1.0] * 4, visits_per_year=[10.0, 10.0, 10.0, 4.0], visit_minutes=[60.0] * 4, segment=[None] * 4)
    territory = Territory(1, "West", home_lon=-118.2437, home_lat=34.0522)
    scenario = Scenario(1, "s", {1: territory}, np.ones(4, dtype=np.int64), np.zeros(4, dtype=bool))
    return Plan(accounts, {1: scenario}, 1, Settings(**settings))


def test_nights_and_flights_per_territory_use_the_travel_rules():
    plan = west_coast_plan()
    s = plan.settings
    m = MeasureEngine(plan).measures()
    assert m.account_flight.tolist() == [False, False, False, True]
    assert m.values["flights"][0] == 4  # Honolulu's four visits are flown
    assert m.values["nights"][0] == pytest.approx((10 + 4) / s.stops_per_day)  # Las Vegas and Honolulu
    # Exactly the per-visit functions the optimizer uses, summed over visits.
    d = m.account_distance_km
    hop = BHH_CONSTANT * math.sqrt(territory_geometry(plan.accounts, np.arange(4)).hull_area_km2 / 4)
    flown = np.array([False, False, False, True])
    visits = plan.accounts.visits_per_year
    assert m.values["travel_km"][0] == pytest.approx((visits * visit_travel_km(d, hop, s, flown)).sum(), rel=1e-12)
    assert m.values["travel_hours"][0] == pytest.approx(
        (visits * visit_travel_hours(d, hop, s, flown)).sum(), rel=1e-12)
    assert m.values["travel_hours"][0] == pytest.approx(m.values["travel_km"][0] / s.speed_kmh + 4 * s.flight_hours)
    # Pricing a night and a flight moves the workload by exactly that.
    priced = MeasureEngine(west_coast_plan(night_hours=3.0, flight_hours=10.0)).measures()
    extra = priced.values["workload_hours"][0] - m.values["workload_hours"][0]
    assert extra == pytest.approx(3.0 * m.values["nights"][0] + 4 * (10.0 - 8.0))
