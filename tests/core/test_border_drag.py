import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings, strategies as st

from desktop_planner.core.border_drag import drag_preview
from desktop_planner.core.commands import Reassign, movable_accounts
from desktop_planner.core.model import UNASSIGNED, Accounts
from desktop_planner.core.regions import RegionMap
from tests.conftest import make_plan

STEP = 0.1  # degrees between grid accounts, about 11 km


def grid(nx=10, ny=7):
    lon, lat = np.meshgrid(np.arange(nx) * STEP, np.arange(ny) * STEP)
    return Accounts.from_columns(lon=lon.ravel(), lat=lat.ravel())


def halves(nx=10, ny=7):
    """Territory 1 west of lon 0.45, territory 2 east of it, and their regions."""
    accounts = grid(nx, ny)
    assignment = np.where(accounts.lon < 0.45, 1, 2).astype(np.int64)
    region_map = RegionMap(accounts)
    region_map.build([1, 2], assignment)
    [border] = region_map.borders()
    return accounts, assignment, region_map, border


def at(accounts, lon, lat):
    return int(np.flatnonzero(np.isclose(accounts.lon, lon) & np.isclose(accounts.lat, lat))[0])


def xy(accounts, i):
    return float(accounts.x[i]), float(accounts.y[i])


def apply(assignment, preview):
    result = assignment.copy()
    result[preview.accounts] = preview.into
    return result


def test_dragging_into_a_territory_hands_its_accounts_in_the_tent_to_the_other():
    accounts, assignment, region_map, border = halves()
    grab = region_map.nearest_border(*xy(accounts, at(accounts, 0.4, 0.3)), 1e6)[1]
    target = xy(accounts, at(accounts, 0.6, 0.3))
    preview = drag_preview(region_map, border, grab, (target[0] + 500, target[1]), assignment,
                           np.zeros(len(accounts), bool))
    assert (preview.into, preview.from_territory) == (1, 2)
    assert {at(accounts, 0.5, 0.3), at(accounts, 0.6, 0.3)} <= set(preview.accounts.tolist())
    assert (assignment[preview.accounts] == 2).all()
    assert (accounts.lon[preview.accounts] < 0.65).all()
    # the bend spans twice the drag distance on either side: a row or two above and below
    assert set(np.round(accounts.lat[preview.accounts], 1)) <= {0.1, 0.2, 0.3, 0.4, 0.5}
    # the preview regions are what a rebuild after the commit gives
    committed = RegionMap(accounts)
    committed.build([1, 2], apply(assignment, preview))
    for tid in (1, 2):
        assert shapely.symmetric_difference(preview.regions[tid], committed.regions[tid]).area < 1e-6 * \
            committed.regions[tid].area


def test_dragging_back_across_the_border_reverses_the_direction():
    accounts, assignment, region_map, border = halves()
    grab = region_map.nearest_border(*xy(accounts, at(accounts, 0.4, 0.3)), 1e6)[1]
    west = xy(accounts, at(accounts, 0.3, 0.3))
    preview = drag_preview(region_map, border, grab, (west[0] - 500, west[1]), assignment,
                           np.zeros(len(accounts), bool))
    assert (preview.into, preview.from_territory) == (2, 1)
    assert at(accounts, 0.4, 0.3) in preview.accounts and (assignment[preview.accounts] == 1).all()
    back = drag_preview(region_map, border, grab, grab, assignment, np.zeros(len(accounts), bool))
    assert back.accounts.size == 0 and back.tent.is_empty


def test_locked_accounts_and_locked_territories_never_move():
    accounts, assignment, region_map, border = halves()
    grab = region_map.nearest_border(*xy(accounts, at(accounts, 0.4, 0.3)), 1e6)[1]
    target = xy(accounts, at(accounts, 0.7, 0.3))
    locked = np.zeros(len(accounts), bool)
    locked[at(accounts, 0.5, 0.3)] = True
    preview = drag_preview(region_map, border, grab, target, assignment, locked)
    assert preview.accounts.size and not locked[preview.accounts].any()
    # the locked account keeps its cell in the preview regions
    assert preview.regions[2].contains(shapely.Point(xy(accounts, at(accounts, 0.5, 0.3))))
    for locked_territory in (1, 2):
        preview = drag_preview(region_map, border, grab, target, assignment, locked, {locked_territory})
        assert preview.accounts.size == 0


def test_at_a_three_territory_corner_the_third_territory_stays_put():
    accounts = grid(12, 12)
    assignment = np.where(accounts.lat >= 0.55, 3, np.where(accounts.lon < 0.55, 1, 2)).astype(np.int64)
    region_map = RegionMap(accounts)
    region_map.build([1, 2, 3], assignment)
    border = next(b for b in region_map.borders() if (b.a, b.b) == (1, 2))
    corner = shapely.intersection_all([b.line for b in region_map.borders()])
    grab = corner.coords[0]
    # dragged into territory 3: the tent leans over 2's side of the 1|2 border, so 2 gives way
    target = xy(accounts, at(accounts, 0.8, 0.7))
    preview = drag_preview(region_map, border, grab, target, assignment, np.zeros(len(accounts), bool))
    assert (preview.into, preview.from_territory) == (1, 2)
    assert preview.accounts.size and (assignment[preview.accounts] == 2).all()
    assert preview.tent.difference(shapely.union(region_map.regions[1], region_map.regions[2])).area < 1.0
    # the stretch ends at the corner: nothing above it is swept
    assert (accounts.lat[preview.accounts] < 0.55).all()


def test_at_the_study_area_edge_the_tent_stays_inside_it():
    accounts, assignment, region_map, border = halves()
    line = border.line
    bottom = min(line.coords, key=lambda c: c[1])
    grab = line.interpolate(line.project(shapely.Point(bottom)) + 3000).coords[0]
    outside = (bottom[0] + 20000, bottom[1] - 30000)
    assert not region_map.study_area.contains(shapely.Point(outside))
    preview = drag_preview(region_map, border, grab, outside, assignment, np.zeros(len(accounts), bool))
    assert preview.tent.difference(region_map.study_area).area < 1.0
    assert {preview.into, preview.from_territory} == {1, 2}
    assert set(assignment[preview.accounts].tolist()) <= {preview.from_territory}


def test_two_accounts_and_one_spot_of_several_accounts():
    accounts = Accounts.from_columns(lon=[0.0, 0.1, 0.1, 0.1], lat=[0.0, 0.0, 0.0, 0.0])
    assignment = np.array([1, 2, 2, 2])
    region_map = RegionMap(accounts)
    region_map.build([1, 2], assignment)
    [border] = region_map.borders()
    grab = region_map.nearest_border(*xy(accounts, 0), 1e6)[1]
    preview = drag_preview(region_map, border, grab, (accounts.x[1] + 2000, accounts.y[1]), assignment,
                           np.array([False, False, True, False]))
    # the accounts at the spot move together, except the locked one
    assert preview.accounts.tolist() == [1, 3] and preview.into == 1
    # two of three now vote for 1: the cell changes hands
    assert preview.regions[2].is_empty


def test_collinear_accounts():
    accounts = Accounts.from_columns(lon=[0.0, 0.1, 0.2], lat=[0.0, 0.0, 0.0])
    assignment = np.array([1, 2, 2])
    region_map = RegionMap(accounts)
    region_map.build([1, 2], assignment)
    [border] = region_map.borders()
    grab = region_map.nearest_border(accounts.x[1], accounts.y[1], 1e6)[1]
    preview = drag_preview(region_map, border, grab, (accounts.x[1] + 3000, accounts.y[1]), assignment,
                           np.zeros(3, bool))
    assert preview.accounts.tolist() == [1] and preview.into == 1


def test_an_enclave_border_is_a_ring_and_bends_too():
    accounts = grid(9, 9)
    assignment = np.where(np.isclose(accounts.lon, 0.4) & np.isclose(accounts.lat, 0.4), 2, 1)
    region_map = RegionMap(accounts)
    region_map.build([1, 2], assignment)
    [border] = region_map.borders()
    assert border.line.is_ring
    start = np.array(border.line.coords[0])  # a corner of the enclave's square cell
    centre = np.array(xy(accounts, at(accounts, 0.4, 0.4)))
    preview = drag_preview(region_map, border, start, 3 * start - 2 * centre, assignment,
                           np.zeros(len(accounts), bool))
    assert preview.into == 2 and not preview.tent.is_empty
    # the account diagonally beyond that corner joins the enclave
    beyond = np.argmin(np.hypot(accounts.x - (2 * start - centre)[0], accounts.y - (2 * start - centre)[1]))
    assert preview.accounts.tolist() == [beyond]


def test_a_drag_commits_as_one_reassign_of_exactly_the_previewed_accounts():
    plan = make_plan(200, 3, unassigned=10)
    scenario = plan.active
    scenario.locked[::7] = True
    region_map = RegionMap(plan.accounts)
    region_map.build(scenario.territory_ids(), scenario.assignment)
    border = max(region_map.borders(), key=lambda b: b.line.length)
    grab = border.line.interpolate(0.5, normalized=True).coords[0]
    # drag past the nearest movable account of territory b
    candidates = np.flatnonzero((scenario.assignment == border.b) & ~scenario.locked)
    nearest = candidates[np.argmin(np.hypot(plan.accounts.x[candidates] - grab[0],
                                            plan.accounts.y[candidates] - grab[1]))]
    drag = (1.5 * plan.accounts.x[nearest] - 0.5 * grab[0], 1.5 * plan.accounts.y[nearest] - 0.5 * grab[1])
    preview = drag_preview(region_map, border, grab, drag, scenario.assignment, scenario.locked)
    assert nearest in preview.accounts and preview.into == border.a
    assert np.array_equal(movable_accounts(plan, scenario, preview.accounts, preview.into), preview.accounts)
    expected = apply(scenario.assignment, preview)
    applied = Reassign(scenario.id, preview.accounts, preview.into, action="drag").apply(plan)
    assert np.array_equal(scenario.assignment, expected)
    assert np.array_equal(applied.effects[0].accounts, preview.accounts)


@st.composite
def drags(draw):
    """Accounts scattered over a square (some sharing a spot), territories around random seeds, some locks."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(3, 80))
    k = draw(st.integers(2, 4))
    lonlat = rng.random((n, 2))
    shared = rng.random(n) < 0.1
    lonlat[shared] = lonlat[rng.integers(0, n, shared.sum())]
    accounts = Accounts.from_columns(lon=lonlat[:, 0], lat=lonlat[:, 1])
    seeds = rng.random((k, 2))
    assignment = np.argmin(np.hypot(*(lonlat[:, None, :] - seeds[None, :, :]).transpose(2, 0, 1)), axis=1) + 1
    assignment[rng.random(n) < 0.05] = UNASSIGNED
    locked = rng.random(n) < draw(st.sampled_from([0.0, 0.2, 0.6]))
    locked_territories = set(draw(st.lists(st.integers(1, k), max_size=1)))
    # Uniform draws here: hypothesis would mostly try the ends of the border and the shortest drags.
    where, direction, distance = rng.random(), rng.uniform(0, 2 * np.pi), rng.uniform(0, 4)  # distance: spacings
    pick = draw(st.integers(0, 100))
    return accounts, np.arange(1, k + 1), assignment, locked, locked_territories, where, direction, distance, pick


@given(drags())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_drags_keep_every_invariant(case):
    accounts, tids, before, locked, locked_territories, where, direction, distance, pick = case
    region_map = RegionMap(accounts)
    region_map.build(tids, before)
    borders = region_map.borders()
    if not borders:
        return
    border = borders[pick % len(borders)]
    grab = border.line.interpolate(where, normalized=True).coords[0]
    step = distance * region_map.spacing
    drag = (grab[0] + step * np.cos(direction), grab[1] + step * np.sin(direction))
    preview = drag_preview(region_map, border, grab, drag, before, locked, locked_territories)

    assert {preview.into, preview.from_territory} == {border.a, border.b}
    moved = preview.accounts
    assert len(np.unique(moved)) == len(moved)
    if {border.a, border.b} & locked_territories:
        assert moved.size == 0
    else:
        # exactly the accounts inside the tent among the losing territory's movable ones
        candidates = np.flatnonzero((before == preview.from_territory) & ~locked)
        inside = shapely.contains_xy(preview.tent, accounts.x[candidates], accounts.y[candidates]) \
            if not preview.tent.is_empty else np.zeros(len(candidates), bool)
        assert np.array_equal(moved, candidates[inside])
    after = apply(before, preview)
    # every account is in exactly one known territory or unassigned, before and after
    assert np.isin(after, np.append(tids, UNASSIGNED)).all()
    changed = np.flatnonzero(after != before)
    assert np.array_equal(changed, moved)
    assert set(before[changed].tolist()) <= {border.a, border.b} and not locked[changed].any()
    # the tent stays within the two territories, whose preview regions still cover exactly what they covered
    pair = shapely.union(region_map.regions[border.a], region_map.regions[border.b])
    assert preview.tent.difference(pair).area <= 1e-9 * pair.area
    pair_after = preview.regions[border.a].area + preview.regions[border.b].area
    assert pair_after == pytest.approx(pair.area, rel=1e-9)
    assert preview.regions[border.a].intersection(preview.regions[border.b]).area <= 1e-9 * pair.area
