"""Teams in the project file: schema 4 -> 5 with a backup, a one-team project exactly as before, each team's view,
scenarios kept in step across teams, removed teams and deleted scenarios brought back by an undo."""

import json
import sqlite3

import numpy as np
import pytest

from desktop_planner.core.commands import AddTerritory, SetAssignment
from desktop_planner.core.history import History
from desktop_planner.core.model import Territory
from desktop_planner.core.scenario_commands import AddScenario, DeleteScenario, EditScenario, copy_scenario
from desktop_planner.core.team_commands import SetTeams
from desktop_planner.core.teams import Team
from desktop_planner.store import schema
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan
from tests.store.old_versions import write_old_version

ENTERPRISE = Team(1, "Enterprise", rule="potential >= 5000")
SMB = Team(2, "SMB", rule="potential < 5000")


def scenario_rows(path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, team_id FROM scenarios ORDER BY id").fetchall()
    finally:
        conn.close()


def test_version_4_is_migrated_with_a_backup_and_reads_exactly_as_before(tmp_path):
    path = tmp_path / "old.tplan"
    plan = make_plan(n=30, k=3)
    write_old_version(path, plan, 4)
    original = path.read_bytes()
    with ProjectFile.open(path, read_only=True) as reader:  # read as it is, not a byte changed
        old = reader.load_plan()
    assert path.read_bytes() == original
    with ProjectFile.open(path) as project:
        assert project.migrated_backup == tmp_path / "old.tplan.v4.bak"
        assert project.migrated_backup.read_bytes() == original
        assert project.project_value("schema_version") == str(schema.SCHEMA_VERSION)
        new = project.load_plan()
        assert new.teams == () and new.team_id == 0 and new.scoring is None
        assert np.array_equal(new.active.assignment, old.active.assignment)
        assert new.active.territories == old.active.territories
        # A new scenario still gets an id above every one used before (the rebuilt table kept its mark).
        History(new, project).do(AddScenario(copy_scenario(new, new.active, "Copy")))
    assert scenario_rows(path) == [("Current plan", 0), ("Copy", 0)]


def write_two_teams(path):
    ProjectFile.create(path, make_plan(n=60, k=3)).close()
    with ProjectFile.open(path) as project:
        whole = project.load_plan(all_accounts=True)
        History(whole, project).do(SetTeams((ENTERPRISE, SMB)))


def test_introducing_teams_gives_today_s_alignment_to_the_first_team_and_views_hold_their_own_accounts(tmp_path):
    path = tmp_path / "p.tplan"
    write_two_teams(path)
    assert scenario_rows(path) == [("Current plan", 1), ("Current plan", 2)]
    with ProjectFile.open(path, read_only=True) as project:
        first, smb = project.load_plan(), project.load_plan(team="smb")  # the name, case ignored
        whole = project.load_plan(all_accounts=True)
        assert first.team.name == "Enterprise" and smb.team.name == "SMB"
        assert len(first.accounts) + len(smb.accounts) == len(whole.accounts) == 60
        assert (first.accounts.potential >= 5000).all() and (smb.accounts.potential < 5000).all()
        assert len(first.active.territories) == 3 and smb.active.territories == {}
        with pytest.raises(ProjectError, match="no team named 'Field'.*Enterprise, SMB"):
            project.load_plan(team="Field")


def test_a_scenario_made_in_one_team_is_made_for_every_team_and_follows_renames_and_deletes(tmp_path):
    path = tmp_path / "p.tplan"
    write_two_teams(path)
    with ProjectFile.open(path) as project:
        smb = project.load_plan(team="SMB")
        history = History(smb, project)
        tid = smb.next_territory_id()
        history.do(AddTerritory(smb.active.id, Territory(tid, "SMB-1")))
        history.do(SetAssignment(smb.active.id, np.arange(len(smb.accounts)), tid))
        history.do(AddScenario(copy_scenario(smb, smb.active, "Option B")))
        option = smb.scenario_by_name("Option B")
        enterprise = project.load_plan(team="Enterprise")
        copied = enterprise.scenario_by_name("Option B")  # the Enterprise rows, copied from its own Current
        assert [t.name for t in copied.territories.values()] == [t.name for t in enterprise.active.territories.values()]
        assert set(copied.territories).isdisjoint(enterprise.active.territories)  # new territory ids
        assert np.array_equal(enterprise.active.territory_index(), copied.territory_index())
        history.do(EditScenario(option.id, name="Option C"))
        assert sorted(scenario_rows(path)) == [("Current plan", 1), ("Current plan", 2), ("Option C", 1), ("Option C", 2)]
        history.do(DeleteScenario(option.id))
        assert sorted(r for r in scenario_rows(path) if r[1] > 0) == [("Current plan", 1), ("Current plan", 2)]
        history.undo()  # the deletion: the Enterprise rows come back as they were, not as a new copy
        again = project.load_plan(team="Enterprise").scenario_by_name("Option C")
        assert again.id == copied.id and again.territories == copied.territories


def test_removing_a_team_keeps_its_territories_for_an_undo(tmp_path):
    path = tmp_path / "p.tplan"
    write_two_teams(path)
    with ProjectFile.open(path) as project:
        whole = project.load_plan(all_accounts=True)
        history = History(whole, project)
        history.do(SetTeams((SMB.with_changes(rule=""),)))  # SMB alone, covering every account
        only = project.load_plan()
        assert only.team.name == "SMB" and len(only.accounts) == 60 and only.active.territories == {}
        history.undo()
        back = project.load_plan(team="Enterprise")
        assert len(back.active.territories) == 3 and back.active.territory_index().min() >= 0


def test_a_team_added_later_never_takes_the_alignment_a_removed_team_left(tmp_path):
    path = tmp_path / "p.tplan"
    write_two_teams(path)
    with ProjectFile.open(path) as project:
        History(project.load_plan(all_accounts=True), project).do(SetTeams((SMB.with_changes(rule=""),)))
    with ProjectFile.open(path) as project:  # a later session: only SMB is known, and 1 looks free
        whole = project.load_plan(all_accounts=True)
        history = History(whole, project)
        history.do(SetTeams(whole.teams + (Team(1, "Field", rule="potential >= 9000"),)))
        field = next(t for t in whole.teams if t.name == "Field")
        assert field.id not in (ENTERPRISE.id, SMB.id)
        assert project.load_plan(team="Field").active.territories == {}  # a new team starts empty
        history.undo()
        history.redo()
        assert [t.id for t in project.load_plan().teams] == [SMB.id, field.id]


def test_a_new_team_put_first_in_place_of_the_first_starts_empty_and_undo_brings_the_old_back(tmp_path):
    path = tmp_path / "p.tplan"
    write_two_teams(path)
    with ProjectFile.open(path) as project:
        history = History(project.load_plan(all_accounts=True), project)
        history.do(SetTeams((Team(9, "Key accounts", rule="potential >= 5000"), SMB)))
        assert project.load_plan(team="Key accounts").active.territories == {}
        history.undo()
        assert len(project.load_plan(team="Enterprise").active.territories) == 3


def test_team_settings_are_the_team_s_own(tmp_path):
    from desktop_planner.core.commands import SetSettings
    path = tmp_path / "p.tplan"
    write_two_teams(path)
    with ProjectFile.open(path) as project:
        smb = project.load_plan(team="SMB")
        History(smb, project).do(SetSettings(balance_measure="potential", stops_per_day=30.0))
        assert project.load_plan(team="SMB").settings.stops_per_day == 30.0
        assert project.load_plan(team="Enterprise").settings.stops_per_day == 5.0
        assert json.loads(project.project_value("settings"))["stops_per_day"] == 5.0
