"""The demo plan: realistic, reproducible, consistent with the model and the measures' defaults."""

import re
import time

import numpy as np
import pytest

from desktop_planner.core.geo import haversine_km
from desktop_planner.core.model import UNASSIGNED, Plan
from desktop_planner.core.settings import Settings
from desktop_planner.io import demo
from desktop_planner.io.demo import INDUSTRIES, REGIONS, SEGMENTS, build_demo_plan, region_postcodes

ACCOUNT_COLUMNS = ("ids", "external_id", "name", "lon", "lat", "potential", "visits_per_year", "visit_minutes",
                   "segment", "industry", "postcode")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_demo_plan(2000, 10, seed=3, region="northeast")


def assert_same_plan(a: Plan, b: Plan) -> None:
    for column in ACCOUNT_COLUMNS:
        np.testing.assert_array_equal(getattr(a.accounts, column), getattr(b.accounts, column), err_msg=column)
    assert a.scenarios.keys() == b.scenarios.keys()
    for sid in a.scenarios:
        assert a.scenarios[sid].territories == b.scenarios[sid].territories
        np.testing.assert_array_equal(a.scenarios[sid].assignment, b.scenarios[sid].assignment)
        np.testing.assert_array_equal(a.scenarios[sid].locked, b.scenarios[sid].locked)
    assert a.name == b.name


def test_same_arguments_give_identical_plans(plan):
    assert_same_plan(plan, build_demo_plan(2000, 10, seed=3, region="northeast"))


def test_different_seeds_give_different_plans(plan):
    other = build_demo_plan(2000, 10, seed=4, region="northeast")
    assert not np.array_equal(plan.accounts.lon, other.accounts.lon)
    assert not np.array_equal(plan.accounts.name, other.accounts.name)
    assert [t.rep_name for t in plan.active.territories.values()] != \
        [t.rep_name for t in other.active.territories.values()]


def test_accounts_lie_around_postcodes_of_the_region(plan):
    postcodes = region_postcodes("northeast")
    a = plan.accounts
    margin = 0.25  # degrees; the jitter is ~1.5 km
    assert postcodes["lon"].min() - margin <= a.lon.min() and a.lon.max() <= postcodes["lon"].max() + margin
    assert postcodes["lat"].min() - margin <= a.lat.min() and a.lat.max() <= postcodes["lat"].max() + margin
    by_zip = postcodes.set_index("zip_code")
    assert set(a.postcode) <= set(by_zip.index)
    centre = by_zip.loc[a.postcode]
    km = haversine_km(a.lon, a.lat, centre["lon"].to_numpy(), centre["lat"].to_numpy())
    assert km.max() < 10.0
    assert 0.5 < np.median(km) < 3.5


def test_accounts_are_denser_where_postcodes_are_dense():
    plan = build_demo_plan(20_000, 5, seed=1, region="northeast")
    postcodes = region_postcodes("northeast")
    state_of = dict(zip(postcodes["zip_code"], postcodes["state"]))
    states = np.array([state_of[z] for z in plan.accounts.postcode])
    weight = np.where(postcodes["standard"], 1.0, 0.5)
    for state in ("NY", "PA", "VT", "RI"):
        expected = weight[postcodes["state"] == state].sum() / weight.sum()
        assert abs((states == state).mean() - expected) < 0.02, state
    # Cell by cell (half a degree), the accounts follow the postcodes: dense in cities, sparse elsewhere.
    def cell_counts(lon, lat, weights=None):
        edges = (np.arange(-81.0, -66.0, 0.5), np.arange(39.0, 48.0, 0.5))
        return np.histogram2d(lon, lat, bins=edges, weights=weights)[0].ravel()
    accounts = cell_counts(plan.accounts.lon, plan.accounts.lat)
    expected = cell_counts(postcodes["lon"], postcodes["lat"], weight) * len(plan.accounts) / weight.sum()
    assert np.corrcoef(accounts, expected)[0, 1] > 0.97
    assert accounts.max() > 10 * np.median(accounts[accounts > 0])


def test_columns_and_shares(plan):
    a = plan.accounts
    n = len(a)
    np.testing.assert_array_equal(a.ids, np.arange(1, n + 1))
    assert len(set(a.external_id)) == n
    assert all(re.fullmatch(r"ACC-\d{6}", e) for e in a.external_id)
    assert a.external_id[0] == "ACC-000001"
    assert len(set(a.name)) == n and all(isinstance(s, str) and len(s.split()) >= 3 for s in a.name)
    assert set(SEGMENTS) == set(Settings().segment_visits_per_year) == set(Settings().segment_visit_minutes)
    shares = {s: np.mean(a.segment == s) for s in SEGMENTS}
    assert abs(shares["Enterprise"] - 0.05) < 0.02
    assert abs(shares["Mid-market"] - 0.25) < 0.04
    assert abs(shares["SMB"] - 0.70) < 0.04
    assert set(a.industry) == set(INDUSTRIES) and len(INDUSTRIES) == 10
    assert np.all(a.potential > 0)
    median = {s: np.median(a.potential[a.segment == s]) for s in SEGMENTS}
    assert median["Enterprise"] > 3 * median["Mid-market"] > 9 * median["SMB"]


def test_most_accounts_use_the_segment_defaults(plan):
    a = plan.accounts
    explicit = np.isfinite(a.visits_per_year)
    assert 0.01 < explicit.mean() < 0.06
    np.testing.assert_array_equal(explicit, np.isfinite(a.visit_minutes))
    assert np.all(a.visits_per_year[explicit] >= 1) and np.all(a.visits_per_year[explicit] <= 120)
    assert np.all(a.visit_minutes[explicit] % 15 == 0) and np.all(a.visit_minutes[explicit] >= 15)


def test_territories(plan):
    s = plan.active
    assert plan.active_scenario_id == 1 and s.id == 1 and s.name == "Current plan"
    territories = list(s.territories.values())
    assert [t.id for t in territories] == list(range(1, 11))
    assert all(re.fullmatch(r"NE-\d\d \S.*", t.name) for t in territories)
    assert len({t.name for t in territories}) == 10
    assert len({t.rep_name for t in territories}) == 10
    colors = [t.color for t in territories]
    assert len(set(colors)) == 10 and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colors)
    assert 2 <= len({t.region for t in territories}) <= 4
    assert sum(t.capacity_hours is not None for t in territories) <= 1
    assert all(t.capacity_hours is None or t.capacity_hours > 0 for t in territories)
    assert not any(t.locked for t in territories)
    lons = [t.home_lon for t in territories]
    assert lons == sorted(lons)  # ids run west to east, so sub-regions hold consecutive ids


def test_homes_are_distinct_real_postcodes_in_their_named_town(plan):
    postcodes = region_postcodes("northeast")
    places = {(lon, lat): city for lon, lat, city in zip(postcodes["lon"], postcodes["lat"], postcodes["city"])}
    homes = [(t.home_lon, t.home_lat) for t in plan.active.territories.values()]
    assert len(set(homes)) == len(homes)
    for t in plan.active.territories.values():
        assert (t.home_lon, t.home_lat) in places
        assert t.name.split(" ", 1)[1] == places[(t.home_lon, t.home_lat)]


def test_every_account_goes_to_the_nearest_home(plan):
    s = plan.active
    assert np.all(s.assignment != UNASSIGNED) and not s.locked.any()
    territories = list(s.territories.values())
    a = plan.accounts
    km = np.column_stack([haversine_km(a.lon, a.lat, t.home_lon, t.home_lat) for t in territories])
    own = km[np.arange(len(a)), s.territory_index()]
    np.testing.assert_allclose(own, km.min(axis=1), rtol=0, atol=1e-9)
    counts = np.bincount(s.territory_index(), minlength=len(territories))
    assert counts.min() > 0
    assert counts.max() > 1.5 * counts.min()  # nearest-home plans are unbalanced, as real ones are


def test_nearest_home_in_small_blocks_matches_one_block(monkeypatch):
    rng = np.random.default_rng(0)
    xyz = rng.normal(size=(1000, 3))
    xyz /= np.linalg.norm(xyz, axis=1, keepdims=True)
    homes = xyz[:17]
    whole = demo.nearest_home(xyz, homes)
    monkeypatch.setattr(demo, "_ASSIGN_CHUNK_CELLS", 50)
    np.testing.assert_array_equal(demo.nearest_home(xyz, homes), whole)
    np.testing.assert_array_equal(whole[:17], np.arange(17))


def test_plan_name():
    assert build_demo_plan(2000, 10).name == "Demo — US Northeast (2,000 accounts)"
    assert build_demo_plan(1000, 4, region="us", name="Workshop").name == "Workshop"


def test_regions():
    assert set(REGIONS) == {"northeast", "midwest", "south", "west", "us"}
    parts = [set(REGIONS[r]) for r in ("northeast", "midwest", "south", "west")]
    assert sum(map(len, parts)) == len(set.union(*parts)) == len(REGIONS["us"]) == 49
    assert "DC" in REGIONS["us"] and not {"AK", "HI", "PR"} & set(REGIONS["us"])


@pytest.mark.parametrize("region, prefix", [("northeast", "NE"), ("midwest", "MW"), ("south", "SO"),
                                            ("west", "WE"), ("us", "US")])
def test_every_region_builds(region, prefix):
    plan = build_demo_plan(1000, 5, seed=2, region=region)
    states = set(region_postcodes(region)["state"])
    assert states == set(REGIONS[region])
    assert all(t.name.startswith(prefix + "-0") for t in plan.active.territories.values())
    assert np.all(plan.active.assignment >= 1)


def test_smallest_and_a_moderate_plan():
    tiny = build_demo_plan(1, 1)
    assert len(tiny.accounts) == 1 and list(tiny.active.assignment) == [1]
    started = time.perf_counter()
    plan = build_demo_plan(100_000, 120, seed=5, region="us")
    assert time.perf_counter() - started < 20  # about half a second on the 2-core reference machine
    assert len(plan.accounts) == 100_000 and len(plan.active.territories) == 120
    assert re.fullmatch(r"US-\d{3} .+", plan.active.territories[1].name)
    assert len(set(plan.accounts.external_id)) == 100_000
    assert len(set(plan.accounts.name)) == 100_000
    assert len({t.color for t in plan.active.territories.values()}) == 120
    assert np.bincount(plan.active.assignment, minlength=121)[1:].min() > 0


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_accounts=0), "n_accounts must be between 1 and 5,000,000"),
    (dict(n_accounts=5_000_001), "n_accounts must be between"),
    (dict(n_accounts=2.5), "n_accounts must be an integer"),
    (dict(n_accounts=True), "n_accounts must be an integer"),
    (dict(n_territories=0), "n_territories must be between 1 and 1000"),
    (dict(n_territories=1001), "n_territories must be between 1 and 1000"),
    (dict(n_accounts=10, n_territories=11), "n_territories must be between 1 and 10"),
    (dict(seed=-1), "seed must be zero or a positive integer"),
    (dict(seed="x"), "seed must be an integer"),
    (dict(region="mars"), "unknown region 'mars'; valid regions are: northeast, midwest, south, west, us"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build_demo_plan(**kwargs)


def test_region_is_case_insensitive():
    assert_same_plan(build_demo_plan(500, 3, region=" West "), build_demo_plan(500, 3, region="west"))
