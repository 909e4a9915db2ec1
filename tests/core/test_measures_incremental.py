"""MeasureEngine's incremental paths against a computation from scratch.

A preview (`measures(assignment=...)`, `measures(homes=...)`) and the committed measures after an edit are
derived from the cached committed measures by recomputing the territories they change; the figures must be the
ones a fresh engine computes for the same plan. And the committed measures are cached until an event says the
scenario, the settings or the accounts changed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from desktop_planner.core.commands import (AddTerritory, DeleteTerritory, EditTerritory, Reassign, SetAssignment,
                                           SetSettings)
from desktop_planner.core.events import AccountsChanged
from desktop_planner.core.history import History
from desktop_planner.core.measures import MeasureEngine, Measures, weighted_quantile
from desktop_planner.core.model import UNASSIGNED, Accounts, Plan, Scenario, Territory
from desktop_planner.core.scenario_commands import AddScenario, DeleteScenario
from desktop_planner.core.settings import Settings

SEEDS = range(8)
ARRAY_FIELDS = ("territory_ids", "home_lon", "home_lat", "home_is_medoid", "account_distance_km",
                "account_workload_hours", "account_visits", "account_flight", "capacity_hours", "utilisation",
                "territory_compactness_km")


def random_plan(seed: int, n: int = 600, k: int = 10, whole_visits: bool = True) -> Plan:
    """Accounts around a few towns (some in Hawaii and Alaska: flights, some far: overnights), k territories
    with and without homes and capacities, one territory empty, some accounts unassigned."""
    rng = np.random.default_rng(seed)
    towns = np.array([[-83.0, 40.0], [-81.7, 41.5], [-84.5, 39.1], [-87.6, 41.9], [-157.9, 21.3], [-149.9, 61.2],
                      [-95.4, 29.8]])
    town = rng.choice(len(towns), n, p=[0.25, 0.2, 0.2, 0.15, 0.05, 0.05, 0.1])
    lon = towns[town, 0] + rng.normal(0, 0.3, n)
    lat = towns[town, 1] + rng.normal(0, 0.2, n)
    visits = rng.integers(1, 25, n).astype(float) if whole_visits else rng.uniform(0.5, 24, n).round(3)
    visits[rng.random(n) < 0.2] = np.nan  # the segment's default
    accounts = Accounts.from_columns(
        lon=lon, lat=lat, potential=rng.lognormal(10, 1, n).round(2), visits_per_year=visits,
        visit_minutes=np.where(rng.random(n) < 0.5, np.nan, rng.integers(15, 120, n)).astype(float),
        segment=rng.choice(["Enterprise", "Mid-market", "SMB", None], n).tolist())
    territories = {}
    for i in range(k):
        home = towns[i % len(towns)] if rng.random() < 0.5 else None
        capacity = float(rng.uniform(300, 3000)) if rng.random() < 0.4 else None
        territories[i + 1] = Territory(i + 1, f"T{i + 1}", home_lon=None if home is None else float(home[0]),
                                       home_lat=None if home is None else float(home[1]), capacity_hours=capacity)
    assignment = rng.integers(1, k, n).astype(np.int64)  # territory k stays empty
    # Mostly by town, so that territories have a shape; a share scattered.
    by_town = (town % (k - 1)) + 1
    assignment = np.where(rng.random(n) < 0.95, by_town, assignment)
    assignment[rng.random(n) < 0.05] = UNASSIGNED
    scenario = Scenario(1, "s", territories, assignment, np.zeros(n, dtype=bool))
    return Plan(accounts, {1: scenario}, 1, Settings(night_hours=2.0))


def fresh(plan: Plan, assignment=None, territories=None) -> Measures:
    """Measures from scratch of the active scenario, or of a copy with another assignment or territories."""
    s = plan.active
    copy = Scenario(s.id, s.name, dict(territories or s.territories),
                    (s.assignment if assignment is None else assignment).copy(), s.locked.copy())
    engine = MeasureEngine(Plan(plan.accounts, {s.id: copy}, s.id, plan.settings))
    try:
        return engine.measures()
    finally:
        engine.close()


def assert_same(got: Measures, want: Measures) -> None:
    """Every field equal, to the last bit: the incremental sums add the same rows in the same order."""
    def check(a, b, what):
        assert np.array_equal(a, b, equal_nan=True), (what, a, b)
    for name in ARRAY_FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.shape == b.shape, name
        check(a, b, name)
    for name in ("values", "targets", "deviations"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.keys() == b.keys(), name
        for key in a:
            check(a[key], b[key], f"{name}[{key}]")
    assert got.names == want.names
    assert (got.scenario_id, got.n_accounts, got.unassigned, got.tolerance) == \
        (want.scenario_id, want.n_accounts, want.unassigned, want.tolerance)
    assert got.compactness_km == want.compactness_km
    assert got.distance_p95_km == want.distance_p95_km  # exact: a quantile picks one account's distance
    assert got.reps_needed == pytest.approx(want.reps_needed, rel=1e-12) if want.reps_needed else \
        got.reps_needed is None


def random_preview(rng, plan: Plan) -> np.ndarray:
    """A lasso-like change: the accounts near a random point to one territory (or unassigned); sometimes a
    whole territory emptied into another, sometimes a handful of unassigned accounts picked up."""
    s = plan.active
    preview = s.assignment.copy()
    tids = s.territory_ids()
    kind = rng.integers(0, 4)
    if kind == 0:  # empty a territory
        source = rng.choice(tids[np.isin(tids, preview)])
        preview[preview == source] = rng.choice(tids[tids != source])
    elif kind == 1:  # pick up unassigned accounts
        idle = np.flatnonzero(preview == UNASSIGNED)
        preview[idle[: rng.integers(1, max(2, idle.size))]] = rng.choice(tids)
    else:  # a lasso around an account, taking from its territory only or from any
        centre = rng.integers(0, len(preview))
        near = np.argsort(np.linalg.norm(plan.accounts.xyz - plan.accounts.xyz[centre], axis=1))[: rng.integers(1, 80)]
        if kind == 3:
            near = near[preview[near] == preview[centre]]
        target = UNASSIGNED if kind == 2 and rng.random() < 0.3 else rng.choice(tids)
        preview[near] = target
    return preview


@pytest.mark.parametrize("seed", SEEDS)
def test_previews_equal_a_fresh_computation(seed, monkeypatch):
    plan = random_plan(seed, whole_visits=seed % 4 != 3)
    engine = MeasureEngine(plan)
    committed = engine.measures()
    assert_same(committed, fresh(plan))
    derived = []
    derive = MeasureEngine._derive
    monkeypatch.setattr(MeasureEngine, "_derive", lambda *args, **kw: derived.append(1) or derive(*args, **kw))
    rng = np.random.default_rng(100 + seed)
    for _ in range(10):
        preview = random_preview(rng, plan)
        assert_same(engine.measures(assignment=preview), fresh(plan, preview))
    assert len(derived) >= 6  # most were incremental (a lasso over many territories is computed whole)
    assert engine.measures() is committed  # previews leave the committed measures alone


@pytest.mark.parametrize("seed", SEEDS)
def test_home_drag_previews_equal_a_fresh_computation(seed):
    plan = random_plan(seed)
    engine = MeasureEngine(plan)
    engine.measures()
    rng = np.random.default_rng(seed)
    s = plan.active
    for tid in (1, 2, len(s.territories)):  # with a home, perhaps without (a medoid), the empty one
        lon, lat = float(rng.uniform(-90, -80)), float(rng.uniform(35, 45))
        territories = dict(s.territories)
        territories[tid] = territories[tid].with_changes(home_lon=lon, home_lat=lat)
        assert_same(engine.measures(homes={tid: (lon, lat)}), fresh(plan, territories=territories))
        # A home dragged during a preview of an assignment (the auto-balance dialog's case).
        preview = random_preview(rng, plan)
        assert_same(engine.measures(assignment=preview, homes={tid: (lon, lat)}),
                    fresh(plan, preview, territories))


@pytest.mark.parametrize("seed", SEEDS)
def test_committed_measures_after_edits_equal_a_fresh_computation(seed, monkeypatch):
    plan = random_plan(seed, whole_visits=seed % 4 != 3)
    engine = MeasureEngine(plan)
    calls = []
    for method in ("_compute", "_derive"):
        def counted(self, *args, _method=method, _original=getattr(MeasureEngine, method), **kw):
            if self is engine and kw["store"]:
                calls.append(_method)
            return _original(self, *args, **kw)
        monkeypatch.setattr(MeasureEngine, method, counted)
    history = History(plan)
    rng = np.random.default_rng(200 + seed)
    s = plan.active
    for step in range(10):
        before = engine.measures()
        preview = random_preview(rng, plan)
        previewed = engine.measures(assignment=preview)
        float(previewed.distance_p95_km)  # the panel asks: the preview's tail is built from the base's
        changed = np.flatnonzero(preview != s.assignment)
        action = rng.integers(0, 6)
        if action == 0 and history.can_undo:
            history.undo()
        elif action == 1:
            tid = int(rng.choice(s.territory_ids()))
            home = None if rng.random() < 0.5 else (float(rng.uniform(-90, -80)), float(rng.uniform(35, 45)))
            history.do(EditTerritory(s.id, tid, home_lon=home and home[0], home_lat=home and home[1]))
        elif action == 2:
            tid = int(rng.choice(s.territory_ids()))
            history.do(EditTerritory(s.id, tid, capacity_hours=float(rng.uniform(300, 3000))))
        elif changed.size:
            history.do(SetAssignment(s.id, changed, preview[changed]))
            if action == 3:  # two edits before anyone asks
                source, target = rng.choice(s.territory_ids(), 2, replace=False)
                history.do(Reassign(s.id, np.flatnonzero(s.assignment == source)[:20], int(target)))
        after = engine.measures()
        assert_same(after, fresh(plan))
        if action >= 3 and changed.size:
            assert after is not before
    # The first from scratch, and perhaps an edit over more than half the territories; the others derived.
    assert calls.count("_compute") <= 3 and calls.count("_derive") >= 5


def test_the_tail_answers_whole_number_visits_without_the_full_sort():
    plan = random_plan(0, n=3000)
    engine = MeasureEngine(plan)
    engine.measures()
    rng = np.random.default_rng(0)
    answered = 0
    for _ in range(10):
        preview = random_preview(rng, plan)
        m = engine.measures(assignment=preview)
        quick = m._p95()
        answered += quick is not None
        want = weighted_quantile(m.account_distance_km, m._distance_weights(), 0.95)
        assert quick is None or quick == want
    assert answered >= 8


def test_measures_of_other_scenarios_are_kept_apart():
    plan = random_plan(1)
    s = plan.active
    other = Scenario(2, "other", {109: Territory(109, "Solo", home_lon=-83.0, home_lat=40.0)},
                     np.full(len(s.assignment), 109, dtype=np.int64), np.zeros(len(s.assignment), dtype=bool))
    history = History(plan)
    history.do(AddScenario(other))
    engine = MeasureEngine(plan)
    a, b = engine.measures(1), engine.measures(2)
    assert engine.measures(1) is a and engine.measures(2) is b
    history.do(Reassign(1, np.arange(10), 2))
    assert engine.measures(2) is b and engine.measures(1) is not a


# -- the committed-measures cache ----------------------------------------------------------------------------

@pytest.fixture
def cached():
    plan = random_plan(5)
    engine = MeasureEngine(plan)
    yield plan, engine, History(plan)
    engine.close()


def test_committed_measures_are_cached_and_read_only(cached):
    plan, engine, _ = cached
    m = engine.measures()
    assert engine.measures() is m and engine.measures(plan.active.id) is m
    with pytest.raises(ValueError):
        m.account_distance_km[0] = 0.0
    with pytest.raises(ValueError):
        m.values["workload_hours"][0] = 0.0
    preview = engine.measures(assignment=random_preview(np.random.default_rng(1), plan))
    with pytest.raises(ValueError):
        preview.account_workload_hours[0] = 0.0


def test_cache_follows_a_reassign_and_its_undo(cached):
    plan, engine, history = cached
    m = engine.measures()
    history.do(Reassign(1, np.arange(0, 50), 3))
    after = engine.measures()
    assert after is not m and after.values["accounts"][2] != m.values["accounts"][2]
    assert_same(after, fresh(plan))
    history.undo()
    undone = engine.measures()
    assert_same(undone, m)
    assert engine.measures() is undone


def test_cache_follows_a_home_edit(cached):
    plan, engine, history = cached
    m = engine.measures()
    history.do(EditTerritory(1, 2, home_lon=-100.0, home_lat=45.0))
    moved = engine.measures()
    assert moved is not m and (moved.home_lon[1], moved.home_lat[1]) == (-100.0, 45.0)
    assert_same(moved, fresh(plan))
    history.do(EditTerritory(1, 2, home_lon=None, home_lat=None))  # back to the medoid
    assert moved.home_is_medoid[1] is np.False_ and engine.measures().home_is_medoid[1]
    assert_same(engine.measures(), fresh(plan))
    history.do(EditTerritory(1, 2, name="Renamed", capacity_hours=1234.0))
    assert engine.measures().names[1] == "Renamed" and engine.measures().capacity_hours[1] == 1234.0
    assert_same(engine.measures(), fresh(plan))


def test_cache_follows_settings(cached):
    plan, engine, history = cached
    m = engine.measures()
    history.do(SetSettings(speed_kmh=30.0, tolerance=0.2))
    slow = engine.measures()
    assert slow is not m and slow.tolerance == 0.2
    assert slow.values["travel_hours"].sum() > m.values["travel_hours"].sum()
    assert_same(slow, fresh(plan))
    history.undo()
    assert_same(engine.measures(), m)


def test_cache_follows_added_and_deleted_territories(cached):
    plan, engine, history = cached
    m = engine.measures()
    history.do(AddTerritory(1, Territory(99, "New", home_lon=-84.0, home_lat=40.0)))
    added = engine.measures()
    assert added.k == m.k + 1 and added.territory_ids[-1] == 99
    history.do(Reassign(1, np.arange(30), 99))
    assert_same(engine.measures(), fresh(plan))
    history.do(DeleteTerritory(1, 2))
    gone = engine.measures()
    assert 2 not in gone.territory_ids.tolist()
    assert_same(gone, fresh(plan))
    history.undo()
    history.undo()
    history.undo()
    assert_same(engine.measures(), m)


def test_cache_follows_accounts_and_scenarios(cached):
    plan, engine, history = cached
    m = engine.measures()
    plan.accounts.visits_per_year[:] = 3.0  # an import changes the accounts, then says so
    plan.events.emit(AccountsChanged(0, len(plan.accounts), 0))
    changed = engine.measures()
    assert changed is not m and changed.account_visits.tolist() == [3.0] * len(plan.accounts)
    assert_same(changed, fresh(plan))
    # A deleted scenario's measures are forgotten; a scenario put back (undo) is measured anew.
    other = Scenario(2, "copy", {50: Territory(50, "All")}, np.full(len(plan.accounts), 50, dtype=np.int64),
                     np.zeros(len(plan.accounts), dtype=bool))
    history.do(AddScenario(other))
    first = engine.measures(2)
    history.do(DeleteScenario(2))
    assert 2 not in engine._bases
    history.undo()
    again = engine.measures(2)
    assert again is not first
    assert_same(again, first)


def test_a_replaced_accounts_table_or_assignment_is_noticed(cached):
    plan, engine, _ = cached
    m = engine.measures()
    plan.active.assignment = plan.active.assignment.copy()  # as an import swaps arrays
    assert engine.measures() is not m
    accounts = plan.accounts
    plan.accounts = Accounts.from_columns(lon=accounts.lon, lat=accounts.lat, potential=accounts.potential * 2,
                                          visits_per_year=accounts.visits_per_year,
                                          visit_minutes=accounts.visit_minutes, segment=accounts.segment)
    assert engine.measures().values["potential"] == pytest.approx(2 * m.values["potential"])


def test_measures_fields_unchanged():
    """Every field of Measures is compared above (a new field should be added to assert_same)."""
    names = {f.name for f in dataclasses.fields(Measures)}
    assert names == set(ARRAY_FIELDS) | {"scenario_id", "names", "values", "targets", "deviations", "n_accounts",
                                         "unassigned", "tolerance", "_p95"}
