"""Geography units in the core: placement, adjacency, majority territories, and the unit commands with undo."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from desktop_planner.core.commands import AssignUnits, CommandError, SetExceptions, SetUnitLayer
from desktop_planner.core.history import History
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.scenario_commands import AddScenario, copy_scenario
from desktop_planner.core.units import (BY_LOCATION, BY_NEAREST, BY_POSTCODE, NOT_PLACED, UnitLayer,
                                        followers_off_unit, majority_territory, new_unit_state, place_accounts,
                                        unit_adjacency, unit_counts)
from tests.conftest import make_plan


def grid_layer(x0=-85.0, y0=38.5, size=1.0, nx=4, ny=4, island=True) -> UnitLayer:
    """nx by ny one-degree squares over the test plan's Ohio towns, plus a small island far out in Lake Erie."""
    ids, names, geoms = [], [], []
    for i in range(nx):
        for j in range(ny):
            ids.append(f"G{i}{j}")
            names.append(f"Square {i},{j}")
            geoms.append(shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size))
    if island:
        ids.append("ISL")
        names.append("Island")
        geoms.append(shapely.box(-80.0, 42.5, -79.9, 42.6))
    return UnitLayer("file", "grid", ids, names, np.array(geoms, dtype=object))


def test_layer_basics():
    layer = grid_layer()
    assert len(layer) == 17 and layer.index_of("G11") == 5 and layer.has("ISL") and not layer.has("nope")
    # A one-degree square near 40° N is about 111 km × 85 km.
    assert 8_000 < layer.area_km2[layer.index_of("G11")] < 10_500
    with pytest.raises(ValueError, match="not unique"):
        UnitLayer("file", "x", ["A", "A"], ["a", "b"], np.array([shapely.box(0, 0, 1, 1)] * 2, dtype=object))


def test_placement_by_location_postcode_nearest_and_outside():
    layer = grid_layer(nx=2, ny=2, island=False)  # covers -85..-83, 38.5..40.5
    lon = np.array([-84.5, -83.5, -82.98, -70.0, -84.9, np.nan])
    lat = np.array([39.0, 40.0, 39.2, 40.0, 39.0, np.nan])
    postcodes = np.array([None, None, None, None, "Z10", None], dtype=object)
    place = place_accounts(layer, lon, lat, postcodes, postcode_of=lambda c: {"Z10": "G10"}.get(c), snap_km=5)
    assert place.unit[0] == layer.index_of("G00") and place.how[0] == BY_LOCATION
    assert place.unit[1] == layer.index_of("G11")
    assert place.unit[2] == layer.index_of("G10") and place.how[2] == BY_NEAREST  # 1.7 km east of the edge
    assert place.unit[4] == layer.index_of("G10") and place.how[4] == BY_POSTCODE  # the postcode wins
    assert place.unit[3] == NOT_PLACED and "nearest is G1" in place.problems[3] and "km" in place.problems[3]
    assert place.unit[5] == NOT_PLACED and place.problems[5] == "no usable location"
    assert place.placed == 4 and set(place.problems) == {3, 5}  # listed, never dropped


def test_adjacency_links_shared_borders_and_islands():
    layer = grid_layer()
    edges = {tuple(e) for e in unit_adjacency(layer).tolist()}
    g = layer.index_of
    assert (g("G00"), g("G01")) in edges and (g("G00"), g("G10")) in edges
    assert (g("G00"), g("G22")) not in edges and (g("G00"), g("G11")) in edges  # a corner counts
    island = [e for e in edges if g("ISL") in e]
    assert len(island) == 1  # linked once, to the nearest square (the north-east one)
    assert g("G33") in island[0]


def test_majority_territory_counts_then_potential_then_id():
    unit_of = np.array([0, 0, 0, 1, 1, 2, NOT_PLACED])
    assignment = np.array([5, 5, 7, 7, 5, UNASSIGNED, 9])
    potential = np.array([1, 1, 1, 10, 1, 1, 1], dtype=float)
    result = majority_territory(unit_of, assignment, potential, 4)
    assert result.tolist() == [5, 7, UNASSIGNED, UNASSIGNED]


def _plan_with_units(follow=False):
    plan = make_plan(n=60, k=3)
    layer = grid_layer()
    placement = place_accounts(layer, plan.accounts.lon, plan.accounts.lat)
    state = new_unit_state(plan, layer, placement, plan.active.id if follow else None)
    return plan, state


def test_setting_a_layer_moves_nothing_and_marks_exceptions():
    plan, state = _plan_with_units()
    before = plan.active.assignment.copy()
    history = History(plan)
    history.do(SetUnitLayer(state))
    assert plan.units is state and np.array_equal(plan.active.assignment, before)
    counts = unit_counts(state, plan, plan.active)
    assert counts.placed == 60 and counts.off_unit == 0
    # Every account outside its unit's majority territory is a named exception.
    unit_of = state.unit_of_rows(plan)
    target = state.of(plan, plan.active).territory[unit_of]
    assert counts.exceptions == int((target != plan.active.assignment).sum())
    history.undo()
    assert plan.units is None


def test_assign_units_accounts_follow_except_exceptions_and_locked():
    plan, state = _plan_with_units(follow=True)
    history = History(plan)
    history.do(SetUnitLayer(state))
    scenario = plan.active
    unit_of = state.unit_of_rows(plan)
    u = int(np.bincount(unit_of).argmax())  # the busiest square
    members = np.flatnonzero(unit_of == u)
    history.do(SetExceptions(scenario.id, members[:1], True))
    scenario.locked[members[1]] = True
    snapshot = plan.copy_assignment_state()
    territory = state.of(plan, scenario).territory.copy()
    target = next(t for t in scenario.territories if t != territory[u])
    command = AssignUnits(scenario.id, [u], target)
    history.do(command)
    assert state.of(plan, scenario).territory[u] == target
    assert (scenario.assignment[members[2:]] == target).all()
    assert scenario.assignment[members[0]] == snapshot[scenario.id][0][members[0]]  # the exception stays
    assert scenario.assignment[members[1]] == snapshot[scenario.id][0][members[1]]  # the locked one too
    assert command.kept_exceptions == 1 and command.kept_locked == 1
    history.undo()
    assert np.array_equal(scenario.assignment, snapshot[scenario.id][0])
    assert np.array_equal(state.of(plan, scenario).territory, territory)
    history.redo()
    assert (scenario.assignment[members[2:]] == target).all()


def test_follow_moves_only_off_unit_accounts():
    plan, state = _plan_with_units(follow=True)
    plan.units = state
    rows = followers_off_unit(state, plan, plan.active)
    unit_of = state.unit_of_rows(plan)
    target = state.of(plan, plan.active).territory[unit_of]
    assert set(rows.tolist()) == set(np.flatnonzero(target != plan.active.assignment).tolist())


def test_unit_commands_need_a_layer_and_known_territories():
    plan = make_plan()
    with pytest.raises(CommandError, match="no unit layer"):
        AssignUnits(plan.active.id, [0], 1).apply(plan)
    plan2, state = _plan_with_units()
    History(plan2).do(SetUnitLayer(state))
    with pytest.raises(CommandError, match="unknown territory"):
        AssignUnits(plan2.active.id, [0], 999).apply(plan2)


def test_a_copied_scenario_takes_over_its_sources_units_by_name():
    plan, state = _plan_with_units()
    history = History(plan)
    history.do(SetUnitLayer(state))
    source = plan.active
    history.do(AddScenario(copy_scenario(plan, source, "Copy")))
    copy = plan.scenario_by_name("Copy")
    names = lambda s, units: [s.territories[t].name if t != UNASSIGNED else None  # noqa: E731
                              for t in units.territory.tolist()]
    assert names(copy, state.of(plan, copy)) == names(source, state.of(plan, source))
    assert np.array_equal(state.of(plan, copy).exceptions, state.of(plan, source).exceptions)


def test_a_balanced_copy_derives_its_units_from_its_own_accounts():
    plan, state = _plan_with_units(follow=True)
    history = History(plan)
    history.do(SetUnitLayer(state))
    copy = copy_scenario(plan, plan.active, "Balanced")
    first = next(iter(copy.territories))
    copy.assignment[:] = first  # what an auto-balance could return: everything moved
    history.do(AddScenario(copy))
    assert (state.of(plan, copy).territory[np.unique(state.unit_of_rows(plan))] == first).all()


def test_units_of_a_deleted_territory_read_unassigned_and_come_back_on_undo():
    from desktop_planner.core.commands import DeleteTerritory
    plan, state = _plan_with_units()
    history = History(plan)
    history.do(SetUnitLayer(state))
    scenario = plan.active
    before = state.of(plan, scenario).territory.copy()
    victim = int(before[before != UNASSIGNED][0])
    history.do(DeleteTerritory(scenario.id, victim))
    after = state.of(plan, scenario).territory
    assert victim not in after.tolist() and (after[before == victim] == UNASSIGNED).all()
    history.undo()
    assert np.array_equal(state.of(plan, scenario).territory, before)


def test_empty_units_take_the_territory_around_them_and_locked_territories_do_not_grow():
    from desktop_planner.core.units import fill_empty_units
    # A row of 7 units: 0 is A, 6 is B, 3 has accounts but none assigned; the rest are empty.
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6]])
    territory = np.array([1, -1, -1, -1, -1, -1, 2])
    empty = np.array([False, True, True, False, True, True, False])
    filled = fill_empty_units(territory, edges, empty)
    assert filled.tolist() == [1, 1, 1, -1, 2, 2, 2]  # 3 is a real gap (unassigned accounts): left for the planner
    assert fill_empty_units(territory, edges, empty, closed=[2]).tolist() == [1, 1, 1, -1, -1, -1, 2]
    # Where two fronts meet on one unit, the territory it borders more wins.
    star = np.array([[0, 3], [1, 3], [2, 3]])
    assert fill_empty_units(np.array([5, 5, 4, -1]), star, np.array([False, False, False, True]))[3] == 5


def test_pieces_of_territories_on_the_unit_adjacency():
    from desktop_planner.core.units import pieces_per_territory
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    assert pieces_per_territory(np.array([7, 7, 8, 7, -1]), edges) == {7: 2, 8: 1}
    assert pieces_per_territory(np.array([7, 7, 7, 7, 7]), edges) == {7: 1}
