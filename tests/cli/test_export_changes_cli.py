"""`export --what changes` reads a scenario against the one it was made from; `--what audit` is the change log;
`--what crm` writes the plan for a CRM."""

from __future__ import annotations

import csv
import importlib.util

import pytest

from desktop_planner.core.compare import account_moves
from tests.cli.test_report_cli import run, two_scenarios


def rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def project(tmp_path):
    return two_scenarios(tmp_path)


def test_changes_default_to_the_scenario_it_was_made_from(project, tmp_path, capsys):
    path, plan = project
    out = tmp_path / "moved.csv"
    code, printed, err = run(capsys, "export", path, "--scenario", "Proposal", "--what", "changes", "--out", out)
    assert code == 0 and err == ""
    moves = account_moves(plan.scenarios[1], plan.scenarios[2])
    assert f"{len(moves):,} rows (changes from 'Current plan')" in printed
    written = rows(out)
    assert len(written) == len(moves) and {r["to_territory"] for r in written} == {"T2"}


def test_without_a_scenario_to_compare_changes_is_the_change_log_and_says_so(project, tmp_path, capsys):
    path, _ = project
    out = tmp_path / "log.csv"
    code, _, err = run(capsys, "export", path, "--what", "changes", "--out", out)  # Current plan: made from none
    assert code == 0
    assert "'Current plan' was not made from another scenario" in err and "--what audit" in err
    assert "change_id" in out.read_text(encoding="utf-8").splitlines()[0]
    code, printed, err = run(capsys, "export", path, "--what", "audit", "--out", out)
    assert code == 0 and err == "" and "(audit)" in printed
    assert "change_id" in out.read_text(encoding="utf-8").splitlines()[0]


def test_crm_options_belong_to_the_crm_export(project, tmp_path, capsys):
    path, _ = project
    out = tmp_path / "crm.csv"
    cases = [(("--what", "assignments", "--model-id", "0MC1"), "belong to --what crm"),
             (("--what", "crm"), "--format salesforce-etm"),
             (("--what", "crm", "--format", "dynamics"), "invalid choice")]
    for args, message in cases:
        code, _, err = run(capsys, "export", path, "--out", out, *args)
        assert code == 2 and message in err, (args, err)
    assert not out.exists()


@pytest.mark.skipif(importlib.util.find_spec("desktop_planner.io.crm_export") is None,
                    reason="io/crm_export.py is not there yet")
def test_crm_export_for_salesforce_territory_management(project, tmp_path, capsys):
    path, _ = project
    out = tmp_path / "etm.csv"
    code, _, err = run(capsys, "export", path, "--scenario", "Proposal", "--what", "crm", "--format",
                       "salesforce-etm", "--model-id", "0MC000000000001", "--type-id", "0M5000000000001",
                       "--out", out)
    assert code == 0, err
    assert out.exists()
