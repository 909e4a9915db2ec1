"""`desktop-planner report`: the window's change report for the reps, written without a window."""

from __future__ import annotations

import hashlib

import pytest

from desktop_planner.cli import main
from desktop_planner.core.compare import account_moves
from desktop_planner.core.scenario_commands import copy_scenario
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan

MOVED = range(0, 80, 7)  # accounts the proposal hands to T2 (those already in T2 stay)


def two_scenarios(folder):
    """A project whose "Proposal" was made from "Current plan" and moves some accounts to T2."""
    plan = make_plan(n=80, k=3)
    proposal = copy_scenario(plan, plan.active, "Proposal")
    t2 = next(tid for tid, t in proposal.territories.items() if t.name == "T2")
    proposal.assignment[list(MOVED)] = t2
    plan.scenarios[proposal.id] = proposal
    path = folder / "p.tplan"
    ProjectFile.create(path, plan).close()
    return path, plan


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project(tmp_path):
    return two_scenarios(tmp_path)


def test_html_report_against_the_scenario_it_was_made_from(project, tmp_path, capsys):
    path, plan = project
    before = digest(path)
    out = tmp_path / "changes.html"
    code, printed, err = run(capsys, "report", path, "--scenario", "Proposal", "--out", out)
    assert code == 0, err
    moves = account_moves(plan.scenarios[1], plan.scenarios[2])
    assert moves
    assert f"{len(moves):,} accounts change territory" in printed
    text = out.read_text(encoding="utf-8")
    assert "Realignment: Current plan → Proposal" in text
    assert f"{len(moves):,} of 80 accounts change territory" in text
    losers = {m.from_territory for m in moves}
    for name in losers | {"T2"}:  # every territory that changes has its section, headed with its rep
        assert f"<h2>{name} · Rep {name[1:]}" in text
    assert f"<td>Account {moves[0].row}</td>" in text  # the moved accounts are listed by name
    assert "data:image/png;base64," in text  # the maps travel inside the one file
    assert digest(path) == before  # a report changes no byte of the project


def test_pdf_report_with_a_named_baseline(project, tmp_path, capsys):
    path, _ = project
    out = tmp_path / "changes.pdf"
    code, printed, err = run(capsys, "report", path, "--scenario", "Current plan", "--baseline", "Proposal",
                             "--out", out)
    assert code == 0, err
    assert "'Proposal' → 'Current plan'" in printed
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1024


def test_refusals_exit_2_with_the_reason_and_write_nothing(project, tmp_path, capsys):
    path, _ = project
    cases = [
        (("--scenario", "Proposal", "--out", tmp_path / "r.docx"), "use .pdf or .html"),
        (("--out", tmp_path / "r.html"), "--baseline (the others: 'Proposal')"),  # the active one was made from none
        (("--scenario", "Proposal", "--baseline", "Proposal", "--out", tmp_path / "r.html"), "compares two"),
        (("--scenario", "Nope", "--out", tmp_path / "r.html"), "no scenario named 'Nope'"),
    ]
    for args, message in cases:
        code, _, err = run(capsys, "report", path, *args)
        assert code == 2 and message in err, (args, err)
    assert not list(tmp_path.glob("r.*"))
