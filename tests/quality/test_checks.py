"""Fast tests of the independent plan checks, the LP reference and the case builder (tests/quality)."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_planner.core.model import Accounts, Plan, Scenario, Territory
from desktop_planner.core.settings import Settings
from tests.quality import cases
from tests.quality.checks import (account_graph, assess, haversine_km, home_distances, longest_per_territory,
                                  moved_share, piece_sizes, territory_pieces, weighted_mean, weighted_quantile)
from tests.quality.lower_bound import account_workload_hours, hull_hops, lp_lower_bound, plan_lower_bound


def grid(rows: int, cols: int, step: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A slightly jittered grid of lon/lat around (-95, 35), row by row; jitter keeps Delaunay unambiguous."""
    rng = np.random.default_rng(seed)
    lon, lat = np.meshgrid(-95.0 + step * np.arange(cols), 35.0 + step * np.arange(rows))
    return (lon.ravel() + rng.uniform(-0.1, 0.1, lon.size) * step,
            lat.ravel() + rng.uniform(-0.1, 0.1, lat.size) * step)


# -- pieces ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("projection", ["mercator", "equal_area"])
def test_a_territory_cut_in_two_by_another_is_two_pieces(projection):
    lon, lat = grid(3, 7)
    col = np.tile(np.arange(7), 3)
    # Territory 2 is a dense wall down column 3, sticking out of the grid at both ends, so that neither a
    # triangle nor an edge of the convex hull can pass it by.
    wall = col == 3
    lon = np.concatenate((lon[~wall], np.full(9, -95.0 + 3 * 0.05)))
    lat = np.concatenate((lat[~wall], 35.0 + 0.025 * np.arange(-2, 7)))
    assignment = np.array([1] * 18 + [2] * 9)
    edges = account_graph(lon, lat, projection)
    assert territory_pieces(edges, assignment) == {1: 2, 2: 1}
    pieces, detached = piece_sizes(edges, assignment)
    assert detached == 9  # both halves hold 9 accounts: one of them counts as detached
    east = np.concatenate((col[~wall] > 3, np.ones(9, dtype=bool)))
    assert territory_pieces(edges, np.where(east, 2, 1)) == {1: 1, 2: 1}


def test_a_single_account_across_the_border_is_a_detached_piece():
    lon, lat = grid(4, 4)
    assignment = np.where(np.tile(np.arange(4), 4) < 2, 1, 2)
    assignment[15] = 1  # far corner of territory 2
    assert territory_pieces(account_graph(lon, lat), assignment) == {1: 2, 2: 1}
    assert piece_sizes(account_graph(lon, lat), assignment)[1] == 1


def test_accounts_at_one_spot_are_joined_to_each_other():
    lon, lat = grid(3, 3)
    # Three accounts in one building, far from the grid: qhull sees one point there.
    lon = np.concatenate((lon, [-94.0, -94.0, -94.0]))
    lat = np.concatenate((lat, [35.5, 35.5, 35.5]))
    edges = account_graph(lon, lat)
    assignment = np.array([1] * 9 + [2, 2, 2])
    assert territory_pieces(edges, assignment) == {1: 1, 2: 1}
    # and a duplicate inside the grid, in a territory of its own with its twin
    lon2 = np.concatenate((lon, [lon[4]]))
    lat2 = np.concatenate((lat, [lat[4]]))
    a2 = np.concatenate((assignment, [3]))
    a2[4] = 3
    assert territory_pieces(account_graph(lon2, lat2), a2) == {1: 1, 2: 1, 3: 1}
    assert {tuple(e) for e in account_graph(lon, lat).tolist()} >= {(9, 10), (9, 11)}


def test_collinear_accounts_and_unassigned_ones():
    lon = np.array([-95.0, -94.9, -94.8, -94.7])
    lat = np.full(4, 35.0)
    edges = account_graph(lon, lat)
    assert territory_pieces(edges, np.array([1, 1, 2, 1])) == {1: 2, 2: 1}
    assert territory_pieces(edges, np.array([1, -1, 1, 1])) == {1: 2}


def test_assess_flags_a_territory_joined_only_by_a_long_hull_edge():
    # Two towns 500 km apart, one territory each side of a third town in between; territory 1 holds both far
    # towns: one piece in the Delaunay graph only if a hull edge joins them, never without long edges.
    rng = np.random.default_rng(3)
    centres = np.array([[-100.0, 35.0], [-97.25, 36.0], [-94.5, 35.0]])  # the middle town lies off the line
    town = np.repeat([0, 1, 2], 10)
    lon = centres[town, 0] + rng.normal(0, 0.05, 30)
    lat = centres[town, 1] + rng.normal(0, 0.05, 30)
    accounts = Accounts.from_columns(lon=lon, lat=lat)
    territories = {1: Territory(1, "far", home_lon=-100.0, home_lat=35.0),
                   2: Territory(2, "middle", home_lon=-97.25, home_lat=36.0)}
    assignment = np.where(town == 1, 2, 1)
    plan = Plan(accounts, {1: Scenario(1, "s", territories, assignment, np.zeros(30, dtype=bool))}, 1)
    q = assess(plan, plan.active, baseline=assignment)
    assert q.in_pieces == 0  # the hull edge between the two far towns passes south of the middle one
    assert q.in_pieces_short_edges == 1
    assert q.longest_km == pytest.approx(haversine_km(-100.0, 35.0, -94.5, 35.0), abs=30)
    assert q.moved == 0.0


# -- distances and the rest -----------------------------------------------------------------------------------
def test_haversine_against_known_distances():
    assert haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.195, abs=0.01)
    # Dallas -> Houston, about 362 km
    assert haversine_km(-96.80667, 32.78306, -95.36327, 29.76328) == pytest.approx(362, abs=3)


def test_weighted_mean_and_quantile():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    assert weighted_quantile(v, np.array([1.0, 1.0, 1.0, 97.0]), 0.95) == 4.0
    assert weighted_quantile(v, np.array([97.0, 1.0, 1.0, 1.0]), 0.95) == 1.0
    assert weighted_quantile(v, np.ones(4), 0.5) == 2.0
    assert weighted_mean(np.array([1.0, np.nan, 3.0]), np.array([1.0, 5.0, 3.0])) == pytest.approx(2.5)


def test_home_distances_longest_and_moves():
    lon = np.array([-95.0, -95.0, -94.0, -90.0])
    lat = np.array([35.0, 36.0, 35.0, 35.0])
    assignment = np.array([1, 1, 2, -1])
    homes = {1: (-95.0, 35.0), 2: (-94.0, 35.0)}
    d = home_distances(lon, lat, assignment, homes)
    assert d[0] == 0.0 and d[2] == 0.0 and np.isnan(d[3])
    assert d[1] == pytest.approx(111.195, abs=0.01)
    assert longest_per_territory(d, assignment) == pytest.approx({1: d[1], 2: 0.0})
    assert moved_share(assignment, np.array([1, 2, 2, -1])) == 0.25


# -- the LP reference -----------------------------------------------------------------------------------------
def two_towns(n_a: int, n_b: int):
    """n_a accounts around home A, n_b around home B (100 km east), all with the same visit plan."""
    rng = np.random.default_rng(5)
    lon = np.concatenate((-95.0 + rng.normal(0, 0.05, n_a), -93.9 + rng.normal(0, 0.05, n_b)))
    lat = 35.0 + rng.normal(0, 0.05, n_a + n_b)
    return lon, lat, np.full(n_a + n_b, 12.0), np.full(n_a + n_b, 9.0)


def test_the_bound_equals_the_nearest_home_figure_when_that_plan_is_balanced():
    rng = np.random.default_rng(1)
    half_lon, half_lat = -95.0 + rng.normal(0, 0.1, 30), 35.0 + rng.normal(0, 0.1, 30)
    lon = np.concatenate((half_lon, -2 * 94.5 - half_lon))  # mirror image around -94.5: identical workloads
    lat = np.concatenate((half_lat, half_lat))
    visits, service = np.full(60, 12.0), np.full(60, 9.0)
    lb = lp_lower_bound(lon, lat, visits, service, [-95.0, -94.0], [35.0, 35.0], Settings(), 0.10)
    assert lb.status == "optimal"
    assert lb.mean_km == pytest.approx(lb.nearest_mean_km, rel=1e-6)


def test_balance_costs_distance_and_a_looser_band_costs_less():
    lon, lat, visits, service = two_towns(40, 8)
    run = lambda tol: lp_lower_bound(lon, lat, visits, service, [-95.0, -93.9], [35.0, 35.0], Settings(), tol)  # noqa
    tight, loose, free = run(0.05), run(0.30), run(0.95)
    assert tight.mean_km > loose.mean_km > tight.nearest_mean_km
    # ±95 %: the nearest-home plan (A has ~5/6 of the work, 1.67 x the mean) is within the band.
    assert free.mean_km == pytest.approx(free.nearest_mean_km, rel=1e-6)
    # Balanced to ±5 %, about a third of A's accounts must make the 100 km trip to B's home.
    assert 20 < tight.mean_km < 60


def test_an_impossible_band_is_reported_not_hidden():
    lon, lat, visits, service = two_towns(10, 10)
    # Every account pinned to home A: territory B stays empty, no band around the mean holds.
    lb = lp_lower_bound(lon, lat, visits, service, [-95.0, -93.9], [35.0, 35.0], Settings(), 0.10,
                        fixed=np.zeros(20, dtype=int))
    assert lb.mean_km is None and lb.status != "optimal"


# -- a small realistic case built by cases.py -----------------------------------------------------------------
@pytest.fixture(scope="module")
def small_regional(tmp_path_factory):
    from desktop_planner.store.project import ProjectFile
    path = cases.regional_case(tmp_path_factory.mktemp("quality") / "regional_400.tplan", accounts=400, seed=0)
    with ProjectFile.open(path) as project:
        return project.load_plan()


def test_the_regional_case_is_what_it_says(small_regional):
    plan = small_regional
    acc, scenario = plan.accounts, plan.active
    assert len(acc) == 400 and len(scenario.territories) == 12
    # Accounts sit in or right around TX, OK, LA, AR, NM.
    assert acc.lon.min() > -109.5 and acc.lon.max() < -88.5 and acc.lat.min() > 25.5 and acc.lat.max() < 37.5
    homes = {t.name.split(" ", 1)[1]: (t.home_lon, t.home_lat) for t in scenario.territories.values()}
    assert set(homes) == {name for name, _ in cases.REGIONAL_HOMES}
    assert haversine_km(*homes["El Paso"], -106.48693, 31.75872) < 5
    # The initial plan is the nearest-home plan, recomputed here by brute force.
    tids = np.array(list(scenario.territories))
    hl = np.array([scenario.territories[t].home_lon for t in tids])
    ha = np.array([scenario.territories[t].home_lat for t in tids])
    d = haversine_km(acc.lon[:, None], acc.lat[:, None], hl[None, :], ha[None, :])
    assert np.array_equal(scenario.assignment, tids[np.argmin(d, axis=1)])
    # Deterministic for the seed, and different for another seed.
    again = cases.build_regional_plan(400, seed=0).accounts
    other = cases.build_regional_plan(400, seed=1).accounts
    assert np.array_equal(again.lon, acc.lon) and np.array_equal(again.lat, acc.lat)
    assert not np.array_equal(other.lon, acc.lon)
    # Accounts follow population: Houston, Dallas and San Antonio hold more accounts than Little Rock.
    counts = np.bincount(np.argmin(d, axis=1), minlength=12)
    by_name = dict(zip([scenario.territories[t].name.split(" ", 1)[1] for t in tids], counts))
    assert min(by_name["Houston"], by_name["Dallas"], by_name["San Antonio"]) > by_name["Little Rock"]


def test_own_graph_matches_the_project_definition_on_the_case(small_regional):
    from desktop_planner.core.contiguity import ContiguityChecker, delaunay_edges
    plan = small_regional
    mine = account_graph(plan.accounts.lon, plan.accounts.lat)
    assert np.array_equal(mine, delaunay_edges(plan.accounts))
    scenario = plan.active
    # The project counts pieces on its account graph (Delaunay without edges far longer than those around
    # them): never fewer pieces than on the full Delaunay graph, so a plan whole there is whole here too.
    theirs, _ = ContiguityChecker(plan.accounts).pieces(scenario.territory_ids(), scenario.assignment)
    ours = territory_pieces(mine, scenario.assignment)
    assert all(t >= ours[tid] for t, tid in zip(theirs.tolist(), scenario.territory_ids().tolist()))


def test_nearest_home_plan_figures_and_bound(small_regional):
    plan = small_regional
    q = assess(plan, plan.active, baseline=plan.active.assignment)
    assert q.moved == 0.0 and q.territories == 12
    assert q.max_abs_deviation > 0.5 and q.outside_10 >= 6  # nearest home is far from balanced here
    assert 0 < q.mean_km < q.p95_km <= q.longest_km < 1000
    lb = plan_lower_bound(plan, tolerance=0.10)
    assert lb.status == "optimal"
    assert lb.nearest_mean_km == pytest.approx(q.mean_km, rel=1e-9)
    assert lb.mean_km > 1.05 * lb.nearest_mean_km


def test_workload_formula_is_the_project_one(small_regional):
    """account_workload_hours with the nearest-home plan's hull hops adds up to the project's workload per
    territory; when the project changes its travel formula (the overnight rule), this fails until the LP's
    formula follows."""
    from desktop_planner.core.measures import MeasureEngine
    from desktop_planner.core.visit_figures import effective_visits_and_minutes
    plan = small_regional
    scenario = plan.active
    m = MeasureEngine(plan).measures()
    visits, minutes = effective_visits_and_minutes(plan.accounts, plan.settings)
    pos = scenario.territory_index()
    tids = m.territory_ids.tolist()
    hl = np.array([scenario.territories[t].home_lon for t in tids])[pos]
    ha = np.array([scenario.territories[t].home_lat for t in tids])[pos]
    d = haversine_km(plan.accounts.lon, plan.accounts.lat, hl, ha)
    hop = hull_hops(plan.accounts.lon, plan.accounts.lat, pos, len(tids))
    w = account_workload_hours(visits * minutes / 60.0, visits, d, hop[pos], plan.settings)
    assert np.bincount(pos, weights=w, minlength=len(tids)) == pytest.approx(m.values["workload_hours"], rel=1e-6)


def test_capacity_sets_the_target_as_the_project_does():
    lon, lat, visits, service = two_towns(12, 12)
    accounts = Accounts.from_columns(lon=lon, lat=lat, visits_per_year=visits, visit_minutes=np.full(24, 45.0))
    # B's rep is part-time (half of A's capacity): B's target is a third of the work, so accounts of B's town
    # go to A in the LP. A capacity on B alone would change nothing (A counts with the mean capacity).
    territories = {1: Territory(1, "A", home_lon=-95.0, home_lat=35.0, capacity_hours=1200.0),
                   2: Territory(2, "B", home_lon=-93.9, home_lat=35.0, capacity_hours=600.0)}
    assignment = np.where(lon < -94.5, 1, 2)
    plan = Plan(accounts, {1: Scenario(1, "s", territories, assignment, np.zeros(24, dtype=bool))}, 1)
    lb = plan_lower_bound(plan, tolerance=0.10)
    even = lp_lower_bound(lon, lat, visits, visits * 45 / 60.0, [-95.0, -93.9], [35.0, 35.0], plan.settings, 0.10)
    assert lb.status == "optimal" and even.status == "optimal"
    assert even.mean_km == pytest.approx(even.nearest_mean_km, rel=1e-3)
    assert lb.mean_km > 2 * lb.nearest_mean_km
