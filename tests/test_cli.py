"""The command line as a script would use it: exit codes, messages on stderr, files written."""

import csv
import json

import pytest

from desktop_planner.cli import main
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=80, k=3)).close()
    return path


def test_demo_creates_a_project(tmp_path, capsys):
    path = tmp_path / "demo.tplan"
    assert main(["demo", str(path), "--accounts", "1500", "--territories", "5", "--seed", "3"]) == 0
    assert "1,500 accounts" in capsys.readouterr().out
    plan = ProjectFile.open(path).load_plan()
    assert len(plan.accounts) == 1500 and len(plan.active.territories) == 5
    assert main(["demo", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["demo", str(tmp_path / "x.tplan"), "--region", "mars"]) == 2
    assert "mars" in capsys.readouterr().err


def test_summary_json_has_the_contract_keys(project, capsys):
    assert main(["summary", str(project), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario"] == "Current plan"
    t = data["territories"][0]
    for key in ("name", "rep_name", "region", "accounts", "potential", "service_hours", "travel_km", "travel_hours",
                "workload_hours", "contiguous"):
        assert key in t
    assert set(t["deviation"]) >= {"accounts", "potential", "workload_hours"}
    p = data["plan"]
    assert p["accounts"] == 80 and p["unassigned"] == 0
    assert set(p["max_abs_deviation"]) >= {"accounts", "potential", "workload_hours"}
    assert set(p["cv"]) >= {"accounts", "potential", "workload_hours"}
    assert p["compactness_km"] > 0
    assert sum(t["accounts"] for t in data["territories"]) == 80


def test_summary_table_is_readable(project, capsys):
    assert main(["summary", str(project)]) == 0
    out = capsys.readouterr().out
    assert "T1" in out and "largest deviation" in out


@pytest.mark.parametrize("what,rows", [("assignments", 80), ("summary", 3), ("changes", 0)])
def test_export(project, tmp_path, capsys, what, rows):
    out = tmp_path / f"{what}.csv"
    assert main(["export", str(project), "--out", str(out), "--what", what]) == 0
    with open(out, newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == rows


def test_bad_inputs_exit_2_with_a_reason(project, tmp_path, capsys):
    not_a_project = tmp_path / "notes.tplan"
    not_a_project.write_text("hello")
    cases = [
        (["summary", str(not_a_project)], "not an SQLite database"),
        (["summary", str(tmp_path / "missing.tplan")], "no such file"),
        (["summary", str(project), "--scenario", "Nope"], "no scenario named 'Nope'"),
        (["export", str(project)], "--out"),
        (["export", str(project), "--out", str(tmp_path / "a.csv"), "--what", "everything"], "invalid choice"),
        (["demo", str(tmp_path / "d.tplan"), "--accounts", "0"], "at least 1"),
        (["balance", str(project), "--into", "Current plan"], "already exists"),
        ([str(project), "--size", "12"], "size must look like"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err, argv
