"""Commands: what a gesture may move, exact inverses, validation that leaves the plan untouched."""

import numpy as np
import pytest

from desktop_planner.core.commands import (AddTerritory, CommandError, DeleteTerritory, EditTerritory, Reassign,
                                           SetLock, preview_assignment)
from desktop_planner.core.events import AssignmentChanged
from desktop_planner.core.history import History
from desktop_planner.core.model import UNASSIGNED, Territory


def snapshot(plan):
    return {sid: (a.tolist(), l.tolist(), t) for sid, (a, l, t) in plan.copy_assignment_state().items()}


def test_reassign_moves_accounts_and_undo_restores(plan):
    history = History(plan)
    before = snapshot(plan)
    history.do(Reassign(1, [0, 1, 2], 2, action="lasso"))
    assert (plan.active.assignment[[0, 1, 2]] == 2).all()
    assert history.undo_labels()[0].startswith("Lasso")
    history.undo()
    assert snapshot(plan) == before
    history.redo()
    assert (plan.active.assignment[[0, 1, 2]] == 2).all()


def test_locked_accounts_and_locked_territories_never_move(plan):
    history = History(plan)
    history.do(SetLock(1, [0], True))
    source = int(plan.active.assignment[1])
    history.do(EditTerritory(1, source, locked=True))
    target = next(t for t in plan.active.territories if t != source)
    original = plan.active.assignment.copy()
    history.do(Reassign(1, [0, 1, 5], target))
    assert plan.active.assignment[0] == original[0]  # locked account
    assert plan.active.assignment[1] == source  # its territory is locked
    assert plan.active.assignment[5] == target or original[5] in (source, target)
    with pytest.raises(CommandError, match="locked"):
        history.do(Reassign(1, [2], source))


def test_preview_matches_reassign(plan):
    history = History(plan)
    history.do(SetLock(1, [3], True))
    preview = preview_assignment(plan, plan.active, [1, 2, 3, 4], 3)
    history.do(Reassign(1, [1, 2, 3, 4], 3))
    assert preview.tolist() == plan.active.assignment.tolist()


def test_assignment_event_names_changed_accounts_and_territories(plan):
    seen = []
    plan.events.subscribe(seen.append)
    old = int(plan.active.assignment[7])
    new = 1 if old != 1 else 2
    History(plan).do(Reassign(1, [7], new))
    event = seen[-1]
    assert isinstance(event, AssignmentChanged)
    assert event.accounts.tolist() == [7]
    assert event.territories == {old, new}


def test_edit_territory_validates_without_changing_anything(plan):
    history = History(plan)
    before = snapshot(plan)
    for bad in ({"name": ""}, {"name": "T2"}, {"color": "red"}, {"capacity_hours": -5}, {"home_lon": 200.0,
                "home_lat": 1.0}, {"home_lon": None}):
        with pytest.raises(CommandError):
            history.do(EditTerritory(1, 1, **bad))
    assert snapshot(plan) == before
    assert not history.can_undo
    with pytest.raises(CommandError, match="no field"):
        EditTerritory(1, 1, size=3)


def test_edit_territory_and_undo(plan):
    history = History(plan)
    history.do(EditTerritory(1, 1, name="North", rep_name="Ann", color="#112233", capacity_hours=1600.0,
                             home_lon=-80.0, home_lat=40.5))
    t = plan.active.territories[1]
    assert (t.name, t.rep_name, t.color, t.capacity_hours, t.home_lon) == ("North", "Ann", "#112233", 1600.0, -80.0)
    history.undo()
    assert plan.active.territories[1].name == "T1"


def test_delete_territory_unassigns_and_undo_brings_all_back(plan):
    history = History(plan)
    before = snapshot(plan)
    members = np.flatnonzero(plan.active.assignment == 2)
    history.do(DeleteTerritory(1, 2))
    assert 2 not in plan.active.territories
    assert (plan.active.assignment[members] == UNASSIGNED).all()
    history.undo()
    assert snapshot(plan) == before
    assert list(plan.active.territories) == [1, 2, 3]  # display order kept


def test_add_territory(plan):
    history = History(plan)
    history.do(AddTerritory(1, Territory(plan.next_territory_id(), "New", color="#abcdef")))
    assert plan.active.territories[4].name == "New"
    with pytest.raises(CommandError, match="already exists in this scenario"):
        history.do(AddTerritory(1, Territory(plan.next_territory_id(), "New")))
    history.undo()
    assert 4 not in plan.active.territories


def test_new_command_clears_redo(plan):
    history = History(plan)
    history.do(Reassign(1, [0], 2))
    history.undo()
    assert history.can_redo
    history.do(Reassign(1, [1], 2))
    assert not history.can_redo


def test_failed_persistence_rolls_back(plan):
    class BrokenSink:
        def commit(self, *args):
            raise OSError("disk full")
    history = History(plan, BrokenSink())
    before = snapshot(plan)
    with pytest.raises(OSError):
        history.do(Reassign(1, [0, 1, 2, 3], 3))
    assert snapshot(plan) == before
    assert not history.can_undo
