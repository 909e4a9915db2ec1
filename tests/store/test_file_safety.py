"""Issue 13: writes never silently do nothing, never come from a stale plan, and ids are never reused.

Each test reproduces one defect of the adversarial run (it failed before the fix) and checks the fix."""

import shutil
import sqlite3

import numpy as np
import pytest

from desktop_planner.core.account_commands import RefreshAccounts
from desktop_planner.core.commands import AddTerritory, DeleteTerritory, EditTerritory, Reassign, RecordIssues
from desktop_planner.core.history import History
from desktop_planner.core.model import Territory
from desktop_planner.core.scenario_commands import AddScenario, DeleteScenario, copy_scenario
from desktop_planner.io.account_import import ImportIssue
from desktop_planner.store import schema
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectChanged, ProjectFile
from tests.conftest import make_plan
from tests.store.old_versions import write_old_version


def opened(path):
    project = ProjectFile.open(path)
    return project, project.load_plan()


def fetch(path, sql, params=()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_edit_of_an_account_without_an_assignment_row_is_kept(project_path):
    """Defect: assignments were only UPDATEd, so an account without a row lost its edit (logged, then gone)."""
    ProjectFile.create(project_path, make_plan(n=30)).close()
    conn = sqlite3.connect(project_path)
    conn.execute("DELETE FROM assignments WHERE account_id = 5")
    conn.commit()
    conn.close()
    project, plan = opened(project_path)
    with project:
        History(plan, project).do(Reassign(1, [4], 2))
    with ProjectFile.open(project_path) as project:
        assert project.load_plan().active.assignment[4] == 2


def test_an_edit_of_a_territory_the_file_lacks_is_an_error(project_path):
    """Defect: INSERT OR REPLACE / UPDATE statements that touched no row (or the wrong one) passed silently."""
    ProjectFile.create(project_path, make_plan(n=30)).close()
    project, plan = opened(project_path)
    with project:
        project.conn.execute("DELETE FROM territories WHERE id = 2")  # behind the plan's back, same connection
        history = History(plan, project)
        with pytest.raises(ProjectChanged, match="does not hold what the plan"):
            history.do(EditTerritory(1, 2, rep_name="Zoe"))
        assert plan.active.territories[2].rep_name == "Rep 2"  # rolled back in memory too
        assert fetch(project_path, "SELECT COUNT(*) FROM changes WHERE label LIKE 'Edit territory%'") == [(0,)]


def test_adding_a_territory_whose_id_is_taken_is_refused_not_a_takeover(project_path):
    """Defect: a stale plan's INSERT OR REPLACE moved another scenario's territory into this one."""
    ProjectFile.create(project_path, make_plan(n=30)).close()
    project, plan = opened(project_path)
    with project:
        project.conn.execute("INSERT INTO scenarios (id, name) VALUES (7, 'Other')")
        project.conn.execute("INSERT INTO territories (id, scenario_id, name) VALUES (9, 7, 'Theirs')")
        with pytest.raises(ProjectError):
            History(plan, project).do(AddTerritory(1, Territory(id=9, name="Mine")))
    assert fetch(project_path, "SELECT scenario_id, name FROM territories WHERE id = 9") == [(7, "Theirs")]


def test_a_file_changed_underneath_refuses_the_write(project_path):
    """Defect: a process wrote from its stale plan after another process had changed the file."""
    ProjectFile.create(project_path, make_plan(n=30)).close()
    project, plan = opened(project_path)
    with project:
        other = sqlite3.connect(project_path)  # another program, outside the writer lock
        other.execute("UPDATE territories SET name = 'Renamed elsewhere' WHERE id = 3")
        other.commit()
        other.close()
        before = plan.active.assignment.copy()
        with pytest.raises(ProjectChanged, match="changed by another program"):
            History(plan, project).do(Reassign(1, [0, 1], 3))
        assert plan.active.assignment.tolist() == before.tolist()
    assert fetch(project_path, "SELECT COUNT(*) FROM changes") == [(0,)]


def test_a_sibling_connection_of_this_process_is_not_a_stranger(project_path):
    """The worker thread that caches the account graph writes through a connection of its own."""
    ProjectFile.create(project_path, make_plan(n=30)).close()
    project, plan = opened(project_path)
    with project:
        with ProjectFile.open(project_path) as helper:  # same process: the lock is shared
            helper.contiguity_checker(helper.load_plan())
        with ProjectFile.open(project_path) as reader:  # closing it does not checkpoint under the first one
            reader.load_plan()
        moving = np.flatnonzero(plan.active.assignment != 3)[:2]
        History(plan, project).do(Reassign(1, moving, 3))  # not refused


def test_ids_are_never_reused_after_a_delete(project_path):
    """Defect: ids came from max(id) + 1, so a new object took a deleted one's id and its audit rows."""
    ProjectFile.create(project_path, make_plan(n=30, k=3)).close()
    project, plan = opened(project_path)
    with project:
        history = History(plan, project)
        temp = Territory(id=plan.next_territory_id(), name="Temp T")
        history.do(AddTerritory(1, temp))
        history.do(Reassign(1, [0, 1], temp.id))
        history.do(DeleteTerritory(1, temp.id))
        copy = copy_scenario(plan, plan.active, "Scratch")
        history.do(AddScenario(copy))
        history.do(DeleteScenario(copy.id))
    project, plan = opened(project_path)  # the high-water marks come from the file
    with project:
        new = plan.next_territory_id()
        assert new > temp.id
        later = copy_scenario(plan, plan.active, "Next")
        assert later.id > copy.id and min(later.territories) > max(copy.territories)
        History(plan, project).do(AddTerritory(1, Territory(id=new, name="Brand new T")))
    rows = fetch(project_path, "SELECT DISTINCT to_territory_name FROM changes WHERE to_territory_id = ?", (temp.id,))
    assert rows == [("Temp T",)]  # the audit rows of the deleted territory still name it


def test_account_ids_are_never_reused(project_path):
    plan = make_plan(n=10)
    ProjectFile.create(project_path, plan).close()
    project, plan = opened(project_path)
    columns = {name: getattr(plan.accounts, name)[:9].copy() for name in
               ("external_id", "name", "lon", "lat", "potential", "visits_per_year", "visit_minutes", "segment",
                "industry", "postcode", "attrs")}
    with project:
        History(plan, project).do(RefreshAccounts(columns, remove_missing=True))  # account id 10 removed
    project, plan = opened(project_path)
    columns = {k: np.concatenate((v, v[:1])) for k, v in columns.items()}
    columns["external_id"][-1] = "NEW"
    with project:
        History(plan, project).do(RefreshAccounts(columns))
        assert plan.accounts.ids.tolist()[-1] == 11  # not 10
    assert fetch(project_path, "SELECT account_external_id FROM changes WHERE account_id = 10") == [("A0009",)]


def test_audit_rows_keep_names_as_they_were(project_path):
    ProjectFile.create(project_path, make_plan(n=30)).close()
    project, plan = opened(project_path)
    with project:
        history = History(plan, project)
        moving = int(np.flatnonzero(plan.active.assignment != 2)[0])
        history.do(Reassign(1, [moving], 2))
        history.do(EditTerritory(1, 2, name="North"))
    rows = fetch(project_path, "SELECT scenario_name, account_external_id, to_territory_name FROM changes "
                 "WHERE account_id IS NOT NULL")
    assert rows == [("Current plan", f"A{moving:04d}", "T2")]


def write_v1(path, plan):
    """A project file as version 1 wrote it (no AUTOINCREMENT, no name columns in the audit trail)."""
    write_old_version(path, plan, 1, "INSERT INTO changes (scenario_id, account_id, from_territory_id, "
                      "to_territory_id, action) VALUES (1, 99, 1, 12, 'click')")  # objects deleted long ago


def test_version_1_is_migrated_with_a_backup_to_autoincrement(tmp_path):
    path = tmp_path / "old.tplan"
    write_v1(path, make_plan(n=30, k=3))
    original = path.read_bytes()
    with ProjectFile.open(path, read_only=True) as reader:  # reading an old file changes nothing
        assert len(reader.load_plan().accounts) == 30
    assert path.read_bytes() == original
    project, plan = opened(path)
    with project:
        assert project.migrated_backup == tmp_path / "old.tplan.v1.bak"
        assert project.migrated_backup.read_bytes() == original
        assert project.project_value("schema_version") == str(schema.SCHEMA_VERSION)
        assert plan.next_territory_id() == 13 and plan.next_account_id() == 100  # above the old audit row's ids
        History(plan, project).do(Reassign(1, [0], 2))
    sql = fetch(path, "SELECT sql FROM sqlite_master WHERE name = 'territories'")[0][0]
    assert "AUTOINCREMENT" in sql
    assert fetch(path, "PRAGMA integrity_check") == [("ok",)]


def test_import_and_its_rejected_rows_are_one_transaction(project_path):
    """Defect: the import and its rejected rows were two transactions; a kill between them lost the rows."""
    ProjectFile.create(project_path, make_plan(n=10)).close()
    project, plan = opened(project_path)
    issues = [ImportIssue(3, "x,y", "bad"), ImportIssue(4, "z", "worse")]
    columns = {name: getattr(plan.accounts, name).copy() for name in
               ("external_id", "name", "lon", "lat", "potential", "visits_per_year", "visit_minutes", "segment",
                "industry", "postcode", "attrs")}
    columns["potential"] = columns["potential"] + 1
    with project:
        statements = []
        project.conn.set_trace_callback(statements.append)
        History(plan, project).do(RecordIssues(RefreshAccounts(columns, fields=["potential"]), "a.csv", issues))
        project.conn.set_trace_callback(None)
    commits = [s for s in statements if s.strip().upper() == "COMMIT"]
    assert len(commits) == 1
    assert fetch(project_path, "SELECT source, row_number, problem FROM import_issues") == \
        [("a.csv", 3, "bad"), ("a.csv", 4, "worse")]


def test_read_only_open_changes_no_byte(project_path):
    ProjectFile.create(project_path, make_plan(n=50)).close()
    before = project_path.read_bytes()
    files = sorted(p.name for p in project_path.parent.iterdir())
    with ProjectFile.open(project_path, read_only=True) as project:
        plan = project.load_plan()
        project.contiguity_checker(plan)  # computed, not stored
        moving = int(np.flatnonzero(plan.active.assignment != 2)[0])
        with pytest.raises(ProjectError, match="read-only"):
            History(plan, project).do(Reassign(1, [moving], 2))
    assert project_path.read_bytes() == before
    assert sorted(p.name for p in project_path.parent.iterdir()) == files  # no -wal, -shm or lock left behind


def test_damaged_file_is_refused_unchanged_with_the_way_to_recover(tmp_path):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=3000)).close()
    shutil.copy(path, tmp_path / "p.tplan.v1.bak")
    data = bytearray(path.read_bytes())
    page = 4096
    for at in range(page * 3 + 100, len(data) - page, page * 2):  # scribble over record bytes of many pages
        data[at:at + 40] = b"\x07" * 40
    path.write_bytes(bytes(data))
    for read_only in (True, False):
        with pytest.raises(ProjectError, match="damaged") as info:
            ProjectFile.open(path, read_only=read_only).load_plan()
        message = str(info.value)
        assert "p.tplan.v1.bak" in message and ".recover" in message and "nothing in it was changed" in message
    assert path.read_bytes() == bytes(data)


def test_a_value_no_project_holds_is_called_damage(project_path):
    """Defect: one refusal said "could not convert string to float: '@'" instead of naming the damage."""
    ProjectFile.create(project_path, make_plan(n=20)).close()
    conn = sqlite3.connect(project_path)
    conn.execute("UPDATE accounts SET lon = 999 WHERE id = 3")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError, match="damaged.*invalid coordinates.*recover"):
        ProjectFile.open(project_path, read_only=True).load_plan()
