"""Scenarios: copies keep territory names with new ids, every scenario command persists and undoes."""

import numpy as np
import pytest

from desktop_planner.core.commands import CommandError, Reassign
from desktop_planner.core.compare import assignment_names, disruption
from desktop_planner.core.history import History
from desktop_planner.core.scenario_commands import AddScenario, DeleteScenario, EditScenario, copy_scenario
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan
from tests.store.test_project import assert_same_plan


def test_copy_has_same_names_new_ids_and_independent_arrays(plan):
    copy = copy_scenario(plan, plan.active, "Option B")
    assert [t.name for t in copy.territories.values()] == [t.name for t in plan.active.territories.values()]
    assert not set(copy.territories) & set(plan.active.territories)
    assert assignment_names(copy).tolist() == assignment_names(plan.active).tolist()
    original = plan.active.assignment.copy()
    History(plan).do(AddScenario(copy))
    target = list(copy.territories)[2]
    History(plan).do(Reassign(copy.id, [0, 1], target))
    assert (copy.assignment[[0, 1]] == target).all()
    assert plan.active.assignment.tolist() == original.tolist()  # the source scenario is untouched
    moved = int((original[[0, 1]] != list(plan.active.territories)[2]).sum())
    assert disruption(plan, plan.active, copy).accounts_moved == moved


def test_scenario_commands_persist_and_undo(project_path):
    plan = make_plan(n=40)
    project = ProjectFile.create(project_path, plan)
    live = project.load_plan()
    history = History(live, project)
    copy = copy_scenario(live, live.active, "Option B", notes="fewer reps")
    history.do(AddScenario(copy))
    history.do(Reassign(copy.id, np.arange(5), list(copy.territories)[0], action="lasso"))
    history.do(EditScenario(copy.id, name="Option B2", notes="revised"))
    assert_same_plan(live, ProjectFile.open(project_path).load_plan())
    reloaded = ProjectFile.open(project_path).load_plan()
    assert reloaded.scenarios[copy.id].name == "Option B2" and reloaded.scenarios[copy.id].notes == "revised"
    history.do(DeleteScenario(copy.id))
    assert copy.id not in ProjectFile.open(project_path).load_plan().scenarios
    history.undo()
    assert_same_plan(live, ProjectFile.open(project_path).load_plan())
    while history.undo():
        pass
    assert_same_plan(plan, ProjectFile.open(project_path).load_plan())
    project.close()


def test_refusals(plan):
    history = History(plan)
    with pytest.raises(CommandError, match="at least one"):
        history.do(DeleteScenario(1))
    history.do(AddScenario(copy_scenario(plan, plan.active, "B")))
    with pytest.raises(CommandError, match="switch to another"):
        history.do(DeleteScenario(plan.active_scenario_id))
    with pytest.raises(CommandError, match="already a scenario named"):
        history.do(AddScenario(copy_scenario(plan, plan.active, "B")))
    with pytest.raises(CommandError, match="needs a name"):
        history.do(EditScenario(2, name=" "))


def test_undo_of_notes_on_a_scenario_without_notes_clears_them():
    """Issue 13 defect: the inverse passed notes=None, which meant "unchanged", so undo left the notes."""
    plan = make_plan(n=20)
    assert plan.active.notes is None
    history = History(plan)
    history.do(EditScenario(plan.active.id, notes="keep the east together"))
    assert plan.active.notes == "keep the east together"
    history.undo()
    assert plan.active.notes is None
    history.redo()
    assert plan.active.notes == "keep the east together"
    history.do(EditScenario(plan.active.id, name="Renamed"))  # a rename leaves the notes alone
    assert plan.active.notes == "keep the east together" and plan.active.name == "Renamed"
    history.undo()
    assert plan.active.name == "Current plan" and plan.active.notes == "keep the east together"
