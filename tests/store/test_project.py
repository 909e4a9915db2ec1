"""Saving and loading plans, and every committed command written in one transaction with its audit rows."""

import numpy as np
import pytest

from desktop_planner.core.commands import DeleteTerritory, EditTerritory, Reassign, SetLock
from desktop_planner.core.history import History
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


def assert_same_plan(a, b):
    for name in ("ids", "external_id", "name", "segment", "postcode"):
        assert getattr(a.accounts, name).tolist() == getattr(b.accounts, name).tolist()
    for name in ("lon", "lat", "potential", "visits_per_year", "visit_minutes"):
        np.testing.assert_array_equal(getattr(a.accounts, name), getattr(b.accounts, name))
    assert a.scenarios.keys() == b.scenarios.keys()
    for sid, s in a.scenarios.items():
        t = b.scenarios[sid]
        assert s.name == t.name
        assert s.territories == t.territories
        assert list(s.territories) == list(t.territories)
        assert s.assignment.tolist() == t.assignment.tolist()
        assert s.locked.tolist() == t.locked.tolist()
    assert a.settings == b.settings
    assert a.active_scenario_id == b.active_scenario_id


def test_round_trip(project_path):
    plan = make_plan(n=100, unassigned=5)
    plan.accounts.visits_per_year[3] = 7.5
    with ProjectFile.create(project_path, plan) as project:
        assert_same_plan(plan, project.load_plan())


def test_every_command_persists_and_undo_restores_the_file(project_path):
    plan = make_plan(n=100)
    ProjectFile.create(project_path, plan).close()
    project = ProjectFile.open(project_path)
    live = project.load_plan()
    history = History(live, project)
    history.do(Reassign(1, np.arange(10), 2, action="lasso"))
    history.do(SetLock(1, [20, 21], True))
    history.do(EditTerritory(1, 3, name="Renamed", home_lon=-82.0, home_lat=40.1))
    history.do(DeleteTerritory(1, 1))
    assert_same_plan(live, ProjectFile.open(project_path).load_plan())
    while history.undo():
        pass
    assert_same_plan(plan, ProjectFile.open(project_path).load_plan())
    project.close()


def test_changes_table_records_each_step(project_path):
    plan = make_plan(n=50)
    project = ProjectFile.create(project_path, plan)
    live = project.load_plan()
    history = History(live, project)
    target = 3
    moving = np.flatnonzero(live.active.assignment != target)[:4]
    history.do(Reassign(1, moving, target, action="paint"))
    history.undo()
    rows = project.conn.execute(
        "SELECT account_id, from_territory_id, to_territory_id, action, step FROM changes ORDER BY id").fetchall()
    assert len(rows) == 8
    assert [r[3] for r in rows] == ["paint"] * 4 + ["undo"] * 4
    assert {r[4] for r in rows[:4]} == {1} and {r[4] for r in rows[4:]} == {2}
    assert all(r[2] == target for r in rows[:4]) and all(r[1] == target for r in rows[4:])
    assert sorted(r[0] for r in rows[:4]) == sorted(live.accounts.ids[moving].tolist())
    project.close()


def test_unassigned_is_null_in_the_file(project_path):
    plan = make_plan(n=30)
    project = ProjectFile.create(project_path, plan)
    live = project.load_plan()
    History(live, project).do(Reassign(1, [0, 1], UNASSIGNED))
    nulls = project.conn.execute("SELECT COUNT(*) FROM assignments WHERE territory_id IS NULL").fetchone()[0]
    assert nulls == 2
    project.close()


def test_a_write_that_fails_keeps_plan_and_file_unchanged(project_path):
    plan = make_plan(n=30)
    project = ProjectFile.create(project_path, plan)
    live = project.load_plan()
    history = History(live, project)
    project.conn.execute("CREATE TRIGGER no_changes BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'read-only "
                         "medium'); END")
    before = live.active.assignment.copy()
    with pytest.raises(ProjectError, match="could not be saved"):
        history.do(Reassign(1, [0, 1, 2], 3))
    assert live.active.assignment.tolist() == before.tolist()
    project.conn.execute("DROP TRIGGER no_changes")
    assert ProjectFile.open(project_path).load_plan().active.assignment.tolist() == before.tolist()
    project.close()


def test_settings_saved(project_path):
    plan = make_plan()
    project = ProjectFile.create(project_path, plan)
    plan.settings.speed_kmh = 45.0
    project.save_settings(plan.settings)
    project.close()
    assert ProjectFile.open(project_path).load_plan().settings.speed_kmh == 45.0


def test_settings_command_persists_and_undoes(project_path):
    from desktop_planner.core.commands import CommandError, SetSettings
    project = ProjectFile.create(project_path, make_plan())
    live = project.load_plan()
    history = History(live, project)
    history.do(SetSettings(stops_per_day=4.0, circuity=1.2))
    assert ProjectFile.open(project_path).load_plan().settings.stops_per_day == 4.0
    with pytest.raises(CommandError, match="speed_kmh must be a positive number"):
        history.do(SetSettings(speed_kmh=0))
    history.undo()
    reloaded = ProjectFile.open(project_path).load_plan().settings
    assert (reloaded.stops_per_day, reloaded.circuity) == (5.0, 1.3)
    project.close()
