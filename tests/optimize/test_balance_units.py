"""Auto-balance on geography units (issue 12, item 4) on the bundled Northeast demo with its counties."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from desktop_planner.core.commands import EditTerritory
from desktop_planner.core.history import History
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.units import NOT_PLACED, unit_adjacency
from desktop_planner.optimize.balance import BalanceSettings, balance
from desktop_planner.optimize.units_graph import region_groups
from desktop_planner.store.project import ProjectFile

TIME = 8.0


@pytest.fixture()
def project(counties_copy) -> Path:
    return counties_copy


def components(n: int, edges: np.ndarray, members: np.ndarray) -> int:
    """Connected components of the units `members` in the graph `edges` (an independent count)."""
    keep = np.isin(edges[:, 0], members) & np.isin(edges[:, 1], members)
    e = edges[keep]
    graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return len(np.unique(label[members]))


def check_whole_units(plan, scenario, unit_territory):
    """Every placed account that is not an exception or locked is in its unit's territory."""
    state = plan.units
    unit_of = state.unit_of_rows(plan)
    free = (unit_of != NOT_PLACED) & ~state.exception_rows(plan, scenario) & ~scenario.locked
    assert np.array_equal(scenario.assignment[free], unit_territory[unit_of[free]])
    per_unit = {}
    for u, t in zip(unit_of[free].tolist(), scenario.assignment[free].tolist()):
        per_unit.setdefault(u, set()).add(t)
    assert all(len(ts) == 1 for ts in per_unit.values())


def test_balance_on_counties_gives_whole_connected_counties_in_one_undo_step(project, capsys):
    with ProjectFile.open(project) as pf:
        plan = pf.load_plan()
        scenario = plan.active
        before = scenario.assignment.copy()
        exceptions = plan.units.exception_rows(plan, scenario)
        assert exceptions.any()  # the demo's current plan does not follow county lines
        result = balance(plan, scenario, BalanceSettings(time_limit_s=TIME))
        report = result.report
        layer = plan.units.layer
        n = len(layer)
        assert result.unit_territory is not None and len(result.unit_territory) == n
        assert (result.unit_territory != UNASSIGNED).all()  # counties without accounts get a territory too
        assert any(f"balanced {n:,} units" in note for note in report.notes)
        assert "balanced" in report.format_text() and "units" in report.format_text()
        edges = unit_adjacency(layer)
        for tid in scenario.territory_ids().tolist():
            members = np.flatnonzero(result.unit_territory == tid)
            assert len(members), f"territory {tid} got no county"
            assert components(n, edges, members) == 1, f"territory {tid} is in pieces"
        assert report.non_contiguous_after == 0
        dev = report.measures["workload_hours"].max_abs_deviation_after
        print(f"counties: max workload deviation {dev:.1%} (before "
              f"{report.measures['workload_hours'].max_abs_deviation_before:.1%}), {report.time_s:.1f} s")
        assert dev <= 0.25

        history = History(plan, pf)
        history.do(result.command(scenario))
        assert np.array_equal(scenario.assignment, result.assignment)
        # Exceptions stayed where they were, the rest follows its county.
        assert np.array_equal(scenario.assignment[exceptions], before[exceptions])
        check_whole_units(plan, scenario, result.unit_territory)
        assert np.array_equal(plan.units.of(plan, scenario).territory, result.unit_territory)
        assert history.undo_labels() == ["Auto-balance"]
        units_applied = plan.units.of(plan, scenario).territory.copy()
        history.undo()  # one step brings back the accounts and the units
        assert np.array_equal(scenario.assignment, before)
        assert not history.can_undo
        assert not np.array_equal(plan.units.of(plan, scenario).territory, units_applied)
    # Applied again and saved: the file holds it.
    with ProjectFile.open(project) as pf:
        plan = pf.load_plan()
        History(plan, pf).do(result.command(plan.active))
    with ProjectFile.open(project, read_only=True) as pf:
        plan = pf.load_plan()
        assert np.array_equal(plan.active.assignment, result.assignment)
        assert np.array_equal(plan.units.of(plan, plan.active).territory, result.unit_territory)


def test_within_state_keeps_every_territory_inside_its_home_state(project):
    with ProjectFile.open(project, read_only=True) as pf:
        plan = pf.load_plan()
        scenario = plan.active
        result = balance(plan, scenario, BalanceSettings(time_limit_s=TIME, within="state"))
    layer = plan.units.layer
    states = np.asarray(layer.parents).astype(str)
    homes_in = {}
    for tid, t in scenario.territories.items():
        hit = layer.tree().query(__import__("shapely").points(t.home_lon, t.home_lat), predicate="intersects")
        homes_in[tid] = states[int(hit.min())]
    homed = set(homes_in.values())
    for tid, home_state in homes_in.items():
        got = set(states[result.unit_territory == tid].tolist())
        # Only its home state, plus states where no rep lives (the report names them).
        assert home_state in got
        assert got - {home_state} <= set(states.tolist()) - homed, (tid, got)
    text = result.report.format_text()
    assert "within one state" in text
    assert "no territory has its home in" in text
    # No territory spans two states that both have reps.
    for tid in scenario.territories:
        got = set(states[result.unit_territory == tid].tolist())
        assert len(got & homed) == 1


def set_regions_by_longitude(plan, scenario) -> dict[int, str]:
    """Two sales regions, West and East, split at the median home longitude (through the commands)."""
    lons = sorted(t.home_lon for t in scenario.territories.values())
    cut = lons[len(lons) // 2 - 1]
    for tid, t in list(scenario.territories.items()):
        EditTerritory(scenario.id, tid, region="West" if t.home_lon <= cut else "East").apply(plan)
    return {tid: t.region for tid, t in scenario.territories.items()}


def test_within_region_keeps_every_territory_inside_its_regions_area(project):
    with ProjectFile.open(project, read_only=True) as pf:
        plan = pf.load_plan()
    scenario = plan.active
    regions = set_regions_by_longitude(plan, scenario)
    assert set(regions.values()) == {"West", "East"}
    # The area of a region as the project records it before the balance: the units its territories hold.
    held = plan.units.of(plan, scenario).territory.copy()
    area = np.array([regions.get(int(t), "") for t in held.tolist()])
    result = balance(plan, scenario, BalanceSettings(time_limit_s=TIME, within="region"))
    layer = plan.units.layer
    n = len(layer)
    after = np.array([regions[int(t)] for t in result.unit_territory.tolist()])
    had_region = area != ""
    assert np.array_equal(after[had_region], area[had_region])  # no unit changed region
    edges = unit_adjacency(layer)
    for tid in scenario.territory_ids().tolist():
        members = np.flatnonzero(result.unit_territory == tid)
        assert len(members), f"territory {tid} got no county"
        assert components(n, edges, members) == 1, f"territory {tid} is in pieces"
    notes = result.report.format_text()
    assert "within its region" in notes
    assert "joined the region of a neighbouring unit" in notes  # the demo has counties without accounts
    assert result.report.non_contiguous_after == 0


def test_within_needs_a_layer_and_region_needs_every_open_territory_to_have_one(project):
    with ProjectFile.open(project, read_only=True) as pf:
        plan = pf.load_plan()
    scenario = plan.active
    first, second, third = scenario.territory_ids()[:3].tolist()
    for tid in (first, second, third):
        EditTerritory(scenario.id, tid, region=None).apply(plan)
    EditTerritory(scenario.id, third, locked=True).apply(plan)  # a locked territory keeps what it has anyway
    names = f"{scenario.territories[first].name}, {scenario.territories[second].name}"
    with pytest.raises(ValueError, match=re.escape(f"territories {names} have no region: set one, or balance "
                                                   "--within state")):
        balance(plan, scenario, BalanceSettings(time_limit_s=2, within="region"))
    plan.units = None
    with pytest.raises(ValueError, match="unit layer"):
        balance(plan, scenario, BalanceSettings(time_limit_s=2, within="state"))


def test_by_account_ignores_the_layer(project):
    with ProjectFile.open(project, read_only=True) as pf:
        plan = pf.load_plan()
        result = balance(plan, plan.active, BalanceSettings(time_limit_s=3, use_units=False))
    assert result.unit_territory is None
    assert not any("units" in n for n in result.report.notes if n.startswith("balanced"))


def test_a_locked_territory_keeps_its_accounts_and_the_rest_stays_whole(project):
    with ProjectFile.open(project) as pf:
        plan = pf.load_plan()
        scenario = plan.active
        locked_tid = int(scenario.territory_ids()[0])
        scenario.territories[locked_tid] = scenario.territories[locked_tid].with_changes(locked=True)
        before = scenario.assignment.copy()
        result = balance(plan, scenario, BalanceSettings(time_limit_s=5))
        History(plan, pf).do(result.command(scenario))
        mine = before == locked_tid
        assert (scenario.assignment[mine] == locked_tid).all()
        assert ((scenario.assignment == locked_tid) == mine).all()
        state = plan.units
        unit_of = state.unit_of_rows(plan)
        follow = ~mine & ~state.exception_rows(plan, scenario) & (unit_of != NOT_PLACED)
        assert np.array_equal(scenario.assignment[follow], result.unit_territory[unit_of[follow]])


def test_each_patch_without_a_region_joins_the_region_it_borders():
    # A path: none | West | East | none. Apart, each patch joins its own neighbour (as one group, both would
    # have gone to the same region).
    groups, joined = region_groups(np.array(["", "West", "East", ""]), np.array([(0, 1), (1, 2), (2, 3)]))
    assert groups.tolist() == ["West", "West", "East", "East"] and joined == 2
    # A patch of two units bordering West twice and East once joins West, whole.
    regions = np.array(["West", "West", "", "", "East"])
    groups, joined = region_groups(regions, np.array([(0, 2), (1, 3), (2, 3), (3, 4)]))
    assert groups.tolist() == ["West", "West", "West", "West", "East"] and joined == 2
