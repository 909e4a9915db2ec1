import copy
import csv

import pytest

from desktop_planner.core.commands import Reassign
from desktop_planner.core.history import History
from desktop_planner.io.export import (ExportError, export_assignments, export_changes, export_summary,
                                       spreadsheet_safe)
from desktop_planner.store.project import ProjectFile


def read(path, encoding="utf-8"):
    with open(path, newline="", encoding=encoding) as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell):
    assert spreadsheet_safe(cell) == "'" + cell


def test_plain_cells_and_numbers_pass():
    assert spreadsheet_safe("Acme") == "Acme"
    assert spreadsheet_safe(-5) == -5


def test_assignments_one_row_per_account_with_moved_from(plan, tmp_path):
    plan.accounts.name[0] = "=cmd|' /C calc'!A0"
    baseline = plan.active
    moved = copy.deepcopy(baseline)
    moved.id, moved.name = 2, "Moved"
    plan.scenarios[2] = moved
    History(plan).do(Reassign(2, [0, 1], 3))
    count = export_assignments(plan, moved, tmp_path / "a.csv", baseline=baseline, bom=True)
    rows = read(tmp_path / "a.csv", encoding="utf-8-sig")
    assert count == len(rows) == len(plan.accounts)
    assert rows[0]["name"].startswith("'=")
    assert rows[0]["territory"] == "T3"
    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    was = {r["account_id"]: r["moved_from"] for r in rows}
    assert was["A0000"] in ("T1", "T2", "")
    assert sum(1 for r in rows if r["moved_from"]) <= 2


def test_summary_one_row_per_territory(plan, tmp_path):
    export_summary(plan, plan.active, tmp_path / "s.csv")
    rows = read(tmp_path / "s.csv")
    assert [r["territory"] for r in rows] == ["T1", "T2", "T3"]
    assert sum(int(float(r["accounts"])) for r in rows) == len(plan.accounts)
    assert {"workload_hours", "deviation_workload_hours", "contiguous"} <= set(rows[0])


def test_changes_log(plan, tmp_path):
    project = ProjectFile.create(tmp_path / "p.tplan", plan)
    live = project.load_plan()
    history = History(live, project)
    history.do(Reassign(1, [0], 3 if live.active.assignment[0] != 3 else 2, action="click"))
    history.undo()
    export_changes(project.conn, tmp_path / "c.csv")
    rows = read(tmp_path / "c.csv")
    assert [r["action"] for r in rows] == ["click", "undo"]
    assert rows[0]["account_id"] == "A0000" and rows[0]["to_territory"] == rows[1]["from_territory"]
    project.close()


def test_unwritable_destination(plan, tmp_path):
    with pytest.raises(ExportError, match="cannot be written"):
        export_assignments(plan, plan.active, tmp_path / "no" / "such" / "folder.csv")


def test_assignments_carry_the_crm_keys_and_locks(plan, tmp_path):
    """What the CRM matches by: the territory's code (set, or made from its name) and the rep's id and e-mail."""
    scenario = plan.active
    scenario.territories[1] = scenario.territories[1].with_changes(code="OH_CMH", rep_id="0055g0000User01AAA",
                                                                   rep_email="rep1@example.com")
    scenario.territories[2] = scenario.territories[2].with_changes(name="Cleveland / Akron")
    scenario.locked[:3] = True
    export_assignments(plan, scenario, tmp_path / "a.csv")
    rows = read(tmp_path / "a.csv")
    assert list(rows[0]) == ["account_id", "name", "territory", "territory_code", "rep", "rep_id", "rep_email",
                             "region", "locked"]
    by_territory = {r["territory"]: (r["territory_code"], r["rep"], r["rep_id"], r["rep_email"]) for r in rows}
    assert by_territory["T1"] == ("OH_CMH", "Rep 1", "0055g0000User01AAA", "rep1@example.com")
    assert by_territory["Cleveland / Akron"] == ("Cleveland_Akron", "Rep 2", "", "")
    assert [r["locked"] for r in rows[:4]] == ["1", "1", "1", "0"]
