"""Territory codes, rep ids and e-mails in the project file: schema 3 -> 4 with a backup, old files still read
read-only, edits saved, undone and refused like any other territory edit."""

import sqlite3

import pytest

from desktop_planner.core.commands import CommandError, EditTerritory
from desktop_planner.core.history import History
from desktop_planner.core.model import territory_codes
from desktop_planner.store import schema
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan
from tests.store.old_versions import write_old_version


def territory_columns(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[1] for r in conn.execute("PRAGMA table_info(territories)")}
    finally:
        conn.close()


def test_version_3_reads_as_before_and_is_migrated_with_a_backup(tmp_path):
    path = tmp_path / "old.tplan"
    write_old_version(path, make_plan(n=20, k=3), 3)
    original = path.read_bytes()
    with ProjectFile.open(path, read_only=True) as reader:  # read as it is: not migrated, not a byte changed
        plan = reader.load_plan()
    assert path.read_bytes() == original and "code" not in territory_columns(path)
    assert territory_codes(plan.active) == {1: "T1", 2: "T2", 3: "T3"}  # made from the names
    with ProjectFile.open(path) as project:
        assert project.migrated_backup == tmp_path / "old.tplan.v3.bak"
        assert project.migrated_backup.read_bytes() == original
        assert project.project_value("schema_version") == str(schema.SCHEMA_VERSION) == "6"
        assert {t.code for t in project.load_plan().active.territories.values()} == {None}
    assert set(schema.CRM_TERRITORY_COLUMNS) <= territory_columns(path)


def test_codes_and_rep_keys_are_saved_and_undone(tmp_path):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=20, k=3)).close()
    with ProjectFile.open(path) as project:
        plan = project.load_plan()
        history = History(plan, project)
        history.do(EditTerritory(1, 2, code="OH_CLE", rep_id="0055g0000User02AAA", rep_email="rep2@example.com"))
        history.do(EditTerritory(1, 3, rep_email="rep3@example.com"))
        history.undo()
    with ProjectFile.open(path, read_only=True) as reader:
        territories = reader.load_plan().active.territories
    assert (territories[2].code, territories[2].rep_id, territories[2].rep_email) == (
        "OH_CLE", "0055g0000User02AAA", "rep2@example.com")
    assert territories[3].rep_email is None


@pytest.mark.parametrize("changes, message", [
    ({"code": "t1"}, "already used by 'T1'"),  # T1's code is made from its name; codes ignore case
    ({"code": "NE-07"}, "only letters A-Z, digits and underscores"),
    ({"code": "X" * 81}, "at most 80"),
    ({"rep_email": "rep at example.com"}, "does not look like an e-mail address"),
    ({"rep_id": " 005"}, "without spaces at either end"),
])
def test_bad_codes_and_rep_keys_are_refused_and_nothing_is_written(tmp_path, changes, message):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=20, k=3)).close()
    with ProjectFile.open(path) as project:
        plan = project.load_plan()
        with pytest.raises(CommandError, match=message):
            History(plan, project).do(EditTerritory(1, 2, **changes))
        assert project.conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == 0
    assert plan.active.territories[2].code is None and plan.active.territories[2].rep_email is None
