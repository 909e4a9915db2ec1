"""`export --what unit-changes`: the units a realignment moves, for the CRM that routes by unit."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from desktop_planner.cli import main
from desktop_planner.core.history import History
from desktop_planner.store.project import ProjectFile
from tests.conftest import DEMO_PROJECT
from tests.core.test_unit_changes import OHIO_23, propose


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_unit_changes_against_a_baseline(counties_copy, tmp_path, capsys):
    with ProjectFile.open(counties_copy) as project:
        plan = project.load_plan()
        propose(plan, History(plan, project))
    out = tmp_path / "units.csv"
    code, printed, err = run(capsys, "export", counties_copy, "--what", "unit-changes", "--baseline",
                             "Current plan", "--scenario", "Proposal", "--out", out)
    assert code == 0, err
    assert "24 rows (unit-changes)" in printed
    rows = read(out)
    assert list(rows[0]) == ["unit_id", "unit_name", "from_territory", "from_rep", "to_territory", "to_rep",
                             "accounts", "potential"]
    assert rows[0] == {"unit_id": "36061", "unit_name": "New York, NY", "from_territory": "NE-07 New York",
                       "from_rep": "Michael Clark", "to_territory": "NE-09 Worcester", "to_rep": "Patricia Carter",
                       "accounts": "71", "potential": "3078000.0"}
    assert [r["unit_id"] for r in rows[1:]] == OHIO_23
    assert {(r["from_territory"], r["to_territory"], r["to_rep"], r["accounts"]) for r in rows[1:]} == {
        ("(unassigned)", "NE-12 New Limerick", "Sofia Hall", "0")}

    # The account change report agrees: the 71 accounts of New York County are what moves.
    accounts = tmp_path / "accounts.csv"
    assert run(capsys, "export", counties_copy, "--what", "changes", "--baseline", "Current plan", "--scenario",
               "Proposal", "--out", accounts)[0] == 0
    moved = read(accounts)
    assert len(moved) == 71 and {(r["from_territory"], r["to_territory"]) for r in moved} == {
        ("NE-07 New York", "NE-09 Worcester")}

    # Swapped, the same units come back.
    assert run(capsys, "export", counties_copy, "--what", "unit-changes", "--baseline", "Proposal", "--out",
               out)[0] == 0
    back = read(out)
    assert back[0]["from_territory"] == "NE-09 Worcester" and back[0]["to_territory"] == "NE-07 New York"
    assert len(back) == 24 and back[1]["to_territory"] == "(unassigned)"


def test_unit_changes_need_a_layer_and_a_baseline(counties_copy, tmp_path, capsys):
    out = tmp_path / "units.csv"
    code, _, err = run(capsys, "export", counties_copy, "--what", "unit-changes", "--out", out)
    assert code == 2 and "name the one to compare against with --baseline NAME" in err
    code, _, err = run(capsys, "export", counties_copy, "--what", "unit-changes", "--baseline", "Nope",
                       "--out", out)
    assert code == 2 and "Nope" in err
    plain = tmp_path / "plain.tplan"
    shutil.copyfile(DEMO_PROJECT, plain)
    code, _, err = run(capsys, "export", plain, "--what", "unit-changes", "--baseline", "Current plan",
                       "--out", out)
    assert code == 2 and "has no unit layer" in err
    assert not out.exists()
