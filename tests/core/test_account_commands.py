"""Refreshing accounts from the CRM: matched accounts keep their territory, new ones arrive unassigned,
missing ones stay unless removal is confirmed; undo restores everything, in memory and in the file."""

import numpy as np
import pytest

from desktop_planner.core.account_commands import RefreshAccounts, plan_refresh
from desktop_planner.core.history import History
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan
from tests.store.test_project import assert_same_plan


def refreshed_columns(plan, drop=(), add=0, change=None):
    a = plan.accounts
    keep = np.array([i for i in range(len(a)) if a.external_id[i] not in drop])
    columns = {name: getattr(a, name)[keep].copy() for name in ("external_id", "name", "lon", "lat", "potential",
               "visits_per_year", "visit_minutes", "segment", "industry", "postcode", "attrs")}
    if change:
        for ext, field, value in change:
            columns[field][list(columns["external_id"]).index(ext)] = value
    if add:
        for name, column in columns.items():
            extra = {"external_id": [f"NEW{i}" for i in range(add)], "name": [f"New {i}" for i in range(add)],
                     "lon": [-83.0] * add, "lat": [40.0] * add, "potential": [5.0] * add}.get(name, [None] * add)
            if column.dtype.kind == "f":
                extra = [np.nan if v is None else v for v in extra]
            columns[name] = np.concatenate((column, np.array(extra, dtype=column.dtype)))
    return columns


def test_refresh_updates_adds_and_keeps_missing(project_path):
    plan = make_plan(n=30)
    project = ProjectFile.create(project_path, plan)
    live = project.load_plan()
    history = History(live, project)
    engine = MeasureEngine(live)
    engine.measures()
    territory_of_a3 = int(live.active.assignment[3])
    columns = refreshed_columns(live, drop=("A0001",), add=2, change=[("A0003", "potential", 999.0)])
    summary = plan_refresh(live, columns)
    assert summary.added.tolist() == ["NEW0", "NEW1"]
    assert summary.updated.tolist() == ["A0003"]
    assert summary.missing.tolist() == ["A0001"]
    history.do(RefreshAccounts(columns, remove_missing=False))
    assert len(live.accounts) == 32
    row = live.accounts.external_id.tolist().index("A0003")
    assert live.accounts.potential[row] == 999.0 and live.active.assignment[row] == territory_of_a3
    assert (live.active.assignment[-2:] == UNASSIGNED).all()
    assert "A0001" in live.accounts.external_id.tolist()
    assert engine.measures().unassigned == 2  # caches follow the new accounts
    assert_same_plan(live, ProjectFile.open(project_path).load_plan())
    history.undo()
    assert_same_plan(plan, live)
    assert_same_plan(plan, ProjectFile.open(project_path).load_plan())
    project.close()


def test_confirmed_removal_and_undo_brings_back_assignment_and_lock(project_path):
    from desktop_planner.core.commands import SetLock
    plan = make_plan(n=20)
    project = ProjectFile.create(project_path, plan)
    live = project.load_plan()
    history = History(live, project)
    history.do(SetLock(1, [1], True))
    before = ProjectFile.open(project_path).load_plan()
    history.do(RefreshAccounts(refreshed_columns(live, drop=("A0001", "A0002")), remove_missing=True))
    assert len(live.accounts) == 18 and "A0001" not in live.accounts.external_id.tolist()
    assert_same_plan(live, ProjectFile.open(project_path).load_plan())
    history.undo()
    assert_same_plan(before, live)
    assert_same_plan(before, ProjectFile.open(project_path).load_plan())
    assert live.active.locked[1]
    history.redo()
    assert_same_plan(live, ProjectFile.open(project_path).load_plan())
    project.close()


def test_duplicate_ids_in_new_data_are_refused(plan):
    from desktop_planner.core.commands import CommandError
    columns = refreshed_columns(plan)
    columns["external_id"][1] = columns["external_id"][0]
    with pytest.raises(CommandError, match="twice"):
        History(plan).do(RefreshAccounts(columns))


def test_refresh_leaves_fields_the_file_does_not_carry(plan):
    """Re-importing a file without a segment column must not wipe the segments (or anything else)."""
    segments = plan.accounts.segment.copy()
    columns = refreshed_columns(plan, change=[("A0003", "potential", 1.0)])
    columns["segment"] = np.full(len(columns["segment"]), None, dtype=object)  # the file has no segment column
    summary = plan_refresh(plan, columns, fields=("potential", "lat", "lon", "name"))
    assert summary.updated.tolist() == ["A0003"]
    History(plan).do(RefreshAccounts(columns, fields=("potential", "lat", "lon", "name")))
    assert plan.accounts.segment.tolist() == segments.tolist()
    assert plan.accounts.potential[3] == 1.0


def test_other_columns_read_back_as_text_are_no_update_but_a_new_figure_is(plan):
    plan.accounts.attrs[:] = '{"ARR": 658700.0, "Employees": 514}'  # as an earlier import or the demo kept them
    columns = refreshed_columns(plan)
    columns["attrs"][:] = '{"ARR": "658700.0", "Employees": "514"}'  # the same figures, as a CSV gives them back
    columns["attrs"][2] = '{"ARR": "900000", "Employees": "514"}'
    columns["attrs"][4] = '{"ARR": "658700.0"}'  # a column the file no longer has
    summary = plan_refresh(plan, columns, fields=("attrs",))
    assert summary.updated.tolist() == [plan.accounts.external_id[2], plan.accounts.external_id[4]]


def test_text_id_membership(plan):
    from desktop_planner.core.account_commands import _member
    values = np.array([f"ACC-{i:07d}" for i in range(1000)], dtype=object)
    found = _member(values, values[::2])
    assert found.tolist() == [i % 2 == 0 for i in range(1000)]
