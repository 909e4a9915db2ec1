"""Opening files: anything that is not a usable project is refused with a clear message and left untouched."""

import hashlib
import sqlite3

import pytest

from desktop_planner.store import schema
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(path, match):
    before = digest(path) if path.exists() and path.is_file() else None
    with pytest.raises(ProjectError, match=match) as info:
        ProjectFile.open(path)
    assert str(path) in str(info.value)
    if before is not None:
        assert digest(path) == before
    assert not (path.parent / (path.name + "-wal")).exists()


def test_missing_empty_and_foreign_files(tmp_path):
    refused(tmp_path / "nope.tplan", "no such file")
    empty = tmp_path / "empty.tplan"
    empty.write_bytes(b"")
    refused(empty, "empty")
    text = tmp_path / "notes.tplan"
    text.write_text("account,lat,lon\n1,2,3\n")
    refused(text, "not an SQLite database")
    refused(tmp_path, "folder")


def test_other_sqlite_database(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (a)")
    conn.commit()
    conn.close()
    refused(other, "not a desktop_planner project")


def test_newer_schema_version(tmp_path, plan):
    path = tmp_path / "future.tplan"
    ProjectFile.create(path, plan).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE project SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    refused(path, "newer desktop_planner")


def test_corrupt_file(tmp_path, plan):
    path = tmp_path / "broken.tplan"
    ProjectFile.create(path, plan).close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2:] = b"\xff" * (len(data) - page * 2)  # wipe everything after the first pages
    path.write_bytes(bytes(data))
    refused(path, "damaged|malformed|not a desktop_planner")


def test_missing_table_is_damage(tmp_path, plan):
    path = tmp_path / "partial.tplan"
    ProjectFile.create(path, plan).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE changes")
    conn.commit()
    conn.close()
    refused(path, "table 'changes' is missing")


def test_create_refuses_to_overwrite(tmp_path, plan):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, plan).close()
    with pytest.raises(ProjectError, match="already exists"):
        ProjectFile.create(path, plan)


def test_schema_is_exactly_design_v2(tmp_path, plan):
    path = tmp_path / "p.tplan"
    with ProjectFile.create(path, plan) as project:
        assert project.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        for table, columns in schema.REQUIRED_COLUMNS.items():
            have = {row[1] for row in project.conn.execute(f"PRAGMA table_info({table})")}
            assert columns <= have
        assert project.project_value("schema_version") == str(schema.SCHEMA_VERSION) == "6"
        for table in ("accounts", "scenarios", "territories"):  # ids never reused
            sql = project.conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
            assert "AUTOINCREMENT" in sql
        pk = [r[1] for r in project.conn.execute("PRAGMA table_info(assignments)") if r[5]]
        assert pk == ["scenario_id", "account_id"]


def test_older_version_is_migrated_after_a_backup(tmp_path, plan, monkeypatch):
    """The migration path: a backup copy beside the file, then all steps in one transaction."""
    path = tmp_path / "old.tplan"
    ProjectFile.create(path, plan).close()
    original = digest(path)

    def add_column(conn):
        conn.execute("ALTER TABLE territories ADD COLUMN quota REAL")
    now = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "SCHEMA_VERSION", now + 1)
    monkeypatch.setitem(schema.MIGRATIONS, now, add_column)
    monkeypatch.setattr("desktop_planner.store.opening.SCHEMA_VERSION", now + 1)
    monkeypatch.setattr("desktop_planner.store.opening.MIGRATIONS", schema.MIGRATIONS)
    with ProjectFile.open(path) as project:
        assert project.migrated_backup == tmp_path / f"old.tplan.v{now}.bak"
        assert project.project_value("schema_version") == str(now + 1)
        assert "quota" in {r[1] for r in project.conn.execute("PRAGMA table_info(territories)")}
    assert digest(project.migrated_backup) == original


def test_failed_migration_leaves_file_as_it_was(tmp_path, plan, monkeypatch):
    path = tmp_path / "old.tplan"
    ProjectFile.create(path, plan).close()

    def broken(conn):
        conn.execute("ALTER TABLE territories ADD COLUMN quota REAL")
        raise RuntimeError("step failed")
    now = schema.SCHEMA_VERSION
    monkeypatch.setattr("desktop_planner.store.opening.SCHEMA_VERSION", now + 1)
    monkeypatch.setattr("desktop_planner.store.opening.MIGRATIONS", {now: broken})
    with pytest.raises(ProjectError, match=f"upgrading from schema version {now} failed"):
        ProjectFile.open(path)
    conn = sqlite3.connect(path)
    assert "quota" not in {r[1] for r in conn.execute("PRAGMA table_info(territories)")}
    assert conn.execute("SELECT value FROM project WHERE key='schema_version'").fetchone()[0] == str(now)
