"""`export --what review-sheets`, `import --reviews` and `reviews`: the round trip of the reps' review sheets on a
demo project, and the workshop's decisions from the command line, in the audit trail."""

from __future__ import annotations

import csv
import json
import shutil

import openpyxl
import pytest

from desktop_planner.store.project import ProjectFile
from tests.cli.test_report_cli import digest, run

VERDICT, COMMENT = 10, 11  # columns of a review sheet


@pytest.fixture(scope="module")
def balanced(tmp_path_factory):
    """A 600-account demo and its "Balanced" scenario (made from "Current plan"), built once."""
    from desktop_planner.cli import main
    path = tmp_path_factory.mktemp("reviews") / "demo.tplan"
    assert main(["demo", str(path), "--accounts", "600"]) == 0
    assert main(["balance", str(path), "--into", "Balanced"]) == 0
    return path


@pytest.fixture
def project(balanced, tmp_path):
    path = tmp_path / "demo.tplan"
    shutil.copyfile(balanced, path)
    return path


def answer(path, verdicts: dict[int, tuple[str, str]]) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for i, (verdict, comment) in verdicts.items():
        rows[i][VERDICT], rows[i][COMMENT] = verdict, comment
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def territory_of(path, external_id: str, scenario: str) -> str:
    with ProjectFile.open(path, read_only=True) as project:
        plan = project.load_plan()
        s = plan.scenario_by_name(scenario)
        return s.territories[int(s.assignment[plan.accounts.external_id.tolist().index(external_id)])].name


def test_sheets_go_out_come_back_and_a_dispute_is_decided(project, tmp_path, capsys):
    before = digest(project)
    code, out, err = run(capsys, "export", project, "--what", "review-sheets", "--scenario", "Balanced",
                         "--out", tmp_path / "sheets")
    assert code == 0, err
    assert digest(project) == before  # writing the sheets changes no byte of the project
    sheets = sorted((tmp_path / "sheets").glob("*.csv"))
    assert len(sheets) >= 2 and "review sheets for scenario 'Balanced' against 'Current plan'" in out
    first, second = sheets[0], sheets[1]
    with open(first, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    disputed = rows[1]
    answer(first, {1: ("dispute", "key relationship"), 2: ("agree", "")})
    answer(second, {1: ("✗", "too far"), 2: ("perhaps", "")})

    code, out, err = run(capsys, "import", project, "--reviews", first, second)  # the sheets name their scenario
    assert code == 0, err
    assert "matched" in out and "rejected 1" in out and "'perhaps' reads as neither agree nor dispute" in out
    code, out, _ = run(capsys, "reviews", project, "--scenario", "Balanced", "--json")
    listed = json.loads(out)
    assert listed["summary"]["disputes"] == 2 and listed["summary"]["open"] == 2
    review = next(r for r in listed["reviews"] if r["account_id"] == disputed[3])
    assert (review["verdict"], review["comment"], review["change"]) == ("dispute", "key relationship", disputed[5])
    assert (review["from_territory"], review["to_territory"]) == (disputed[6], disputed[7])

    code, out, err = run(capsys, "reviews", project, "--decide", review["id"], "--uphold", "--comment", "agreed")
    assert code == 0, err
    label = (f'Dispute upheld: {disputed[3]} back to {disputed[6]} ({disputed[1]}: "key relationship"; '
             'workshop: "agreed")')
    assert label in out
    assert territory_of(project, disputed[3], "Balanced") == disputed[6]
    code, out, _ = run(capsys, "reviews", project, "--scenario", "Balanced")
    assert "1 upheld" in out and "[workshop: agreed]" in out
    code, _, err = run(capsys, "reviews", project, "--decide", review["id"], "--reject")
    assert code == 2 and "already decided" in err

    audit = tmp_path / "audit.csv"
    assert run(capsys, "export", project, "--what", "audit", "--out", audit)[0] == 0
    with open(audit, newline="", encoding="utf-8") as fh:
        log = list(csv.DictReader(fh))
    assert any(r["description"] == label and r["account_id"] == disputed[3] for r in log)
    issues = tmp_path / "issues.csv"
    assert run(capsys, "export", project, "--what", "issues", "--out", issues)[0] == 0
    with open(issues, newline="", encoding="utf-8") as fh:
        kept = list(csv.DictReader(fh))
    assert [(r["source"], r["row_number"]) for r in kept] == [(second.name, "3")]


def test_xlsx_sheets_and_a_rejected_dispute(project, tmp_path, capsys):
    code, out, err = run(capsys, "export", project, "--what", "review-sheets", "--scenario", "Balanced",
                         "--format", "xlsx", "--out", tmp_path / "x")
    assert code == 0, err
    sheet = sorted((tmp_path / "x").glob("*.xlsx"))[0]
    book = openpyxl.load_workbook(sheet)
    page = book.worksheets[0]
    page.cell(row=2, column=VERDICT + 1).value = "dispute"
    page.cell(row=2, column=COMMENT + 1).value = "they call me weekly"
    external, moved_to = page.cell(row=2, column=4).value, page.cell(row=2, column=8).value
    book.save(sheet)
    code, out, err = run(capsys, "import", project, "--reviews", sheet, "--scenario", "Balanced")
    assert code == 0, err
    listed = json.loads(run(capsys, "reviews", project, "--scenario", "Balanced", "--json")[1])
    review = listed["reviews"][0]
    code, out, err = run(capsys, "reviews", project, "--decide", review["id"], "--reject", "--comment", "balance")
    assert code == 0 and "Dispute rejected" in out and '"balance"' in out
    assert territory_of(project, external, "Balanced") == moved_to


def test_bad_arguments_say_why(project, tmp_path, capsys):
    code, _, err = run(capsys, "reviews", project, "--decide", "1")
    assert code == 2 and "--uphold" in err
    code, _, err = run(capsys, "reviews", project, "--uphold")
    assert code == 2 and "go with --decide" in err
    code, _, err = run(capsys, "export", project, "--what", "review-sheets", "--out", tmp_path / "s")
    assert code == 2 and "--baseline" in err  # the active scenario was made from none
    code, _, err = run(capsys, "export", project, "--what", "crm", "--format", "csv", "--out", tmp_path / "c.csv")
    assert code == 2 and "--format salesforce-etm" in err
    code, out, _ = run(capsys, "reviews", project, "--scenario", "Balanced")
    assert code == 0 and "no review answers imported yet" in out
    not_a_sheet = tmp_path / "x.csv"
    not_a_sheet.write_text("id,name\nACC-000001,x\n", encoding="utf-8")
    code, _, err = run(capsys, "import", project, "--reviews", not_a_sheet, "--scenario", "Balanced")
    assert code == 2 and "is it a review sheet?" in err
