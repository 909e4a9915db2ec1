"""Record tables (actuals, quotas, holdouts, reviews) in the project file: schema 5 -> 6 with a backup, rows put
and deleted as one undoable step each, read back by a later opening."""

import numpy as np
import pandas as pd
import pytest

from desktop_planner.core.commands import CommandError
from desktop_planner.core.history import History
from desktop_planner.core.records import PutRows
from desktop_planner.store import schema
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan
from tests.store.old_versions import write_old_version


def actuals(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["account_id", "period", "rep", "owner", "bookings", "visits", "source"])


def test_version_5_is_migrated_with_a_backup_and_has_empty_record_tables(tmp_path):
    path = tmp_path / "old.tplan"
    plan = make_plan(n=20, k=2)
    write_old_version(path, plan, 5)
    original = path.read_bytes()
    with ProjectFile.open(path, read_only=True) as reader:  # an old file read as it is: no tables, no rows
        assert len(reader.load_plan().records.table("actuals")) == 0
    assert path.read_bytes() == original
    with ProjectFile.open(path) as project:
        assert project.migrated_backup == tmp_path / "old.tplan.v5.bak"
        assert project.project_value("schema_version") == str(schema.SCHEMA_VERSION)
        new = project.load_plan()
        assert np.array_equal(new.active.assignment, plan.active.assignment)
        for table in ("actuals", "quotas", "holdouts", "holdout_accounts", "reviews"):
            assert len(new.records.table(table)) == 0


def test_rows_are_put_replaced_and_deleted_as_undoable_steps(tmp_path):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=20, k=2)).close()
    with ProjectFile.open(path) as project:
        plan = project.load_plan()
        ids = plan.accounts.ids.tolist()
        history = History(plan, project)
        history.do(PutRows("actuals", actuals([(ids[0], "2026-Q1", "Ann", "Ann", 100.0, 2.0, "q1.csv"),
                                               (ids[1], "2026-Q1", "Bob", "Bob", 50.0, None, "q1.csv")]),
                           label="Import actuals"))
        history.do(PutRows("actuals", actuals([(ids[0], "2026-Q1", "Ann", "Ann", 120.0, 3.0, "fix.csv")]),
                           delete=[(ids[1], "2026-Q1", "Bob")], label="Correct actuals"))
    with ProjectFile.open(path) as project:  # as a later session reads it
        table = project.load_plan().records.table("actuals")
        assert table[["account_id", "bookings", "source"]].values.tolist() == [[ids[0], 120.0, "fix.csv"]]
        plan = project.load_plan()
        history = History(plan, project)
        history.do(PutRows("actuals", None, delete=[(ids[0], "2026-Q1", "Ann")], label="Remove"))
        assert len(plan.records.table("actuals")) == 0
        history.undo()
        assert plan.records.table("actuals")["bookings"].tolist() == [120.0]
        assert len(project.load_plan().records.table("actuals")) == 1
        rows = project.conn.execute("SELECT action, label FROM changes ORDER BY id DESC LIMIT 1").fetchall()
        assert rows == [("undo", "Remove")]


def test_a_key_given_twice_or_a_missing_column_is_refused():
    with pytest.raises(CommandError, match="same key"):
        PutRows("actuals", actuals([(1, "2026-Q1", "", None, 1.0, 1.0, ""), (1, "2026-Q1", "", None, 2.0, 1.0, "")]))
    with pytest.raises(CommandError, match="lack the columns visits"):
        PutRows("actuals", actuals([(1, "2026-Q1", "", None, 1.0, 1.0, "")]).drop(columns=["visits"]))
