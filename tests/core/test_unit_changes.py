"""Units that change territory between two scenarios, on the Northeast demo with its counties."""

from __future__ import annotations

import pytest

from desktop_planner.core.commands import AssignUnits, SetUnitTerritories
from desktop_planner.core.compare import disruption
from desktop_planner.core.history import History
from desktop_planner.core.model import UNASSIGNED, Scenario
from desktop_planner.core.scenario_commands import AddScenario, copy_scenario
from desktop_planner.core.unit_changes import unit_change_rows, unit_moves, units_gained_lost
from desktop_planner.store.project import ProjectFile

OHIO_23 = ["39001", "39003", "39005", "39007", "39009", "39011", "39013", "39015", "39017", "39019", "39021",
           "39023", "39025", "39027", "39029", "39031", "39033", "39035", "39037", "39039", "39041", "39043",
           "39045"]  # the first 23 Ohio counties by FIPS: no account and no territory in the demo


def propose(plan, history: History) -> Scenario:
    """A copy of the demo's plan, "Proposal", in which New York County (71 accounts, none an exception) goes
    from NE-07 New York to NE-09 Worcester, and 23 Ohio counties go to NE-12 New Limerick."""
    proposal = copy_scenario(plan, plan.active, "Proposal")
    history.do(AddScenario(proposal))
    layer = plan.units.layer
    ids = {t.name: t.id for t in proposal.territories.values()}
    history.do(AssignUnits(proposal.id, [layer.index_of("36061")], ids["NE-09 Worcester"]))
    history.do(AssignUnits(proposal.id, [layer.index_of(u) for u in OHIO_23], ids["NE-12 New Limerick"]))
    return proposal


@pytest.fixture()
def plan(counties_demo):
    with ProjectFile.open(counties_demo, read_only=True) as project:
        return project.load_plan()


def test_a_plain_copy_moves_no_unit(plan):
    copy = copy_scenario(plan, plan.active, "Copy")
    History(plan).do(AddScenario(copy))
    # The copy's territories have new ids; matched by name nothing moved.
    assert set(copy.territories).isdisjoint(plan.active.territories)
    assert unit_moves(plan, plan.active, copy) == []


def test_moves_gained_and_lost_by_territory_name(plan):
    history = History(plan)
    proposal = propose(plan, history)
    moves = unit_moves(plan, plan.active, proposal)
    assert len(moves) == 24
    new_york = moves[0]
    assert (new_york.unit_id, new_york.unit_name) == ("36061", "New York, NY")
    assert (new_york.from_territory, new_york.to_territory) == ("NE-07 New York", "NE-09 Worcester")
    assert all(m.from_territory is None and m.to_territory == "NE-12 New Limerick" for m in moves[1:])

    # Kings County given up: lost by NE-07, gained by nobody.
    kings = plan.units.layer.index_of("36047")
    history.do(SetUnitTerritories(proposal.id, [kings], UNASSIGNED))
    by_territory = units_gained_lost(unit_moves(plan, plan.active, proposal))
    assert list(by_territory) == ["NE-07 New York", "NE-09 Worcester", "NE-12 New Limerick"]
    gained, lost = by_territory["NE-07 New York"]
    assert gained == [] and [(m.unit_id, m.unit_name, m.to_territory) for m in lost] == [
        ("36047", "Kings, NY", None), ("36061", "New York, NY", "NE-09 Worcester")]
    assert [m.unit_id for m in by_territory["NE-12 New Limerick"][0]] == OHIO_23
    assert by_territory["NE-09 Worcester"] == ([new_york], [])


def test_rows_give_reps_and_what_the_unit_holds(plan):
    proposal = propose(plan, History(plan))
    rows = unit_change_rows(plan, plan.active, proposal)
    assert rows[0] == ("36061", "New York, NY", "NE-07 New York", "Michael Clark", "NE-09 Worcester",
                       "Patricia Carter", 71, 3078000.0)
    assert rows[1] == ("39001", "Adams, OH", "(unassigned)", "", "NE-12 New Limerick", "Sofia Hall", 0, 0.0)
    # The 71 accounts of New York County are exactly the accounts that change territory.
    assert disruption(plan, plan.active, proposal).accounts_moved == 71
