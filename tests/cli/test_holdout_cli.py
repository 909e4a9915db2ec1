"""`desktop-planner holdout` and the cohort report of `kpis --cohorts` (issue 17): the per-stratum table and the
seed, JSON, a dry run that changes no byte, exit status 2 with the reason and nothing changed on bad input, and
`demo --actuals` followed by the cohort comparison."""

import argparse
import hashlib
import json
import sqlite3

import numpy as np
import pytest

from desktop_planner import cli
from desktop_planner.cli.cohorts import run_cohorts
from desktop_planner.cli.common import BadInput, open_project
from desktop_planner.core.history import History
from desktop_planner.core.model import Scenario
from desktop_planner.core.scenario_commands import AddScenario, copy_scenario
from desktop_planner.io.demo import build_demo_plan
from desktop_planner.io.demo_actuals import realign
from desktop_planner.store.project import ProjectFile


@pytest.fixture
def project(tmp_path):
    """A demo of 600 accounts with a scenario 'Realigned' based on 'Current plan' (no holdout yet)."""
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, build_demo_plan(600, 6, seed=1)).close()
    with ProjectFile.open(path) as p:
        plan = p.load_plan()
        base = plan.active
        draft = Scenario(base.id, base.name, base.territories, realign(plan, base, np.random.default_rng(0)),
                         base.locked)
        History(plan, p).do(AddScenario(copy_scenario(plan, draft, "Realigned")))
    return path


def content(path) -> tuple:
    """What a change would touch: the holdout tables, the assignments and the audit trail."""
    conn = sqlite3.connect(path)
    try:
        rows = [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                for t in ("holdouts", "holdout_accounts", "assignments", "changes")]
    finally:
        conn.close()
    return tuple(hashlib.sha256(repr(r).encode()).hexdigest() for r in rows)


def test_a_holdout_is_kept_and_its_table_and_seed_printed(project, capsys):
    assert cli.main(["holdout", str(project), "--scenario", "Realigned", "--share", "0.2", "--seed", "7",
                     "--go-live", "2026-q3"]) == 0
    out = capsys.readouterr().out
    assert "holdout 1 kept in scenario 'Realigned' against 'Current plan'" in out
    assert "by from_territory, seed 7, go-live 2026-Q3" in out
    assert "stratum" in out and "held out" in out and "\n  total" in out and "seed (7) is stored" in out
    with ProjectFile.open(project, read_only=True) as p:
        plan = p.load_plan()
        head = plan.records.table("holdouts").iloc[0]
        assert (head["seed"], head["go_live"], head["strata"]) == (7, "2026-Q3", "from_territory")
        assert len(plan.records.table("holdout_accounts")) == head["movers"]


def test_json_output_and_strata(project, capsys):
    assert cli.main(["holdout", str(project), "--scenario", "Realigned", "--baseline", "Current plan", "--size",
                     "12", "--strata", "from_territory,segment", "--seed", "3", "--go-live", "2026-07",
                     "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["holdout_id"], result["kept"], result["seed"], result["size"]) == (1, True, 3, 12)
    assert result["strata"] == ["from_territory", "segment"] and result["go_live"] == "2026-07"
    assert sum(r["held_out"] for r in result["by_stratum"]) == 12
    assert sum(r["movers"] for r in result["by_stratum"]) == result["movers"]


def test_a_seed_is_chosen_and_stored_when_none_is_given(project, capsys):
    assert cli.main(["holdout", str(project), "--scenario", "Realigned", "--size", "5", "--go-live", "2026-Q3",
                     "--json"]) == 0
    seed = json.loads(capsys.readouterr().out)["seed"]
    with ProjectFile.open(project, read_only=True) as p:
        assert p.load_plan().records.table("holdouts")["seed"].tolist() == [seed]


def test_a_dry_run_changes_no_byte_and_draws_the_same_accounts(project, capsys):
    before = project.read_bytes()
    args = ["holdout", str(project), "--scenario", "Realigned", "--size", "9", "--seed", "4", "--go-live",
            "2026-Q3", "--json"]
    assert cli.main(args + ["--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["kept"] is False and dry["holdout_id"] is None
    assert project.read_bytes() == before
    assert cli.main(args) == 0
    kept = json.loads(capsys.readouterr().out)
    assert kept["by_stratum"] == dry["by_stratum"]


@pytest.mark.parametrize("extra, message", [
    (["--scenario", "Realigned", "--size", "100000", "--go-live", "2026-Q3"], "larger than the"),
    (["--scenario", "Realigned", "--size", "5", "--strata", "from_territory,colour", "--go-live", "2026-Q3"],
     "unknown stratum 'colour'"),
    (["--scenario", "Realigned", "--size", "5", "--go-live", "2026-Q5"], "is not a period"),
    (["--scenario", "Nowhere", "--size", "5", "--go-live", "2026-Q3"], "no scenario named 'Nowhere'"),
    (["--scenario", "Current plan", "--size", "5", "--go-live", "2026-Q3"], "with --baseline OLD"),
    (["--scenario", "Realigned", "--baseline", "Realigned", "--size", "5", "--go-live", "2026-Q3"],
     "same scenario"),
    (["--scenario", "Realigned", "--size", "5", "--share", "0.1", "--go-live", "2026-Q3"], "not allowed with"),
    (["--scenario", "Realigned", "--share", "1.5", "--go-live", "2026-Q3"], "less than 1"),
    (["--scenario", "Realigned", "--size", "5"], "--go-live"),
    (["--scenario", "Realigned", "--go-live", "2026-Q3"], "--size --share"),
])
def test_bad_input_exits_2_with_the_reason_and_changes_nothing(project, capsys, extra, message):
    before = content(project)
    assert cli.main(["holdout", str(project)] + extra) == 2
    assert message in capsys.readouterr().err
    assert content(project) == before


def test_a_second_holdout_on_the_same_scenario_is_refused(project, capsys):
    args = ["holdout", str(project), "--scenario", "Realigned", "--size", "5", "--go-live", "2026-Q3"]
    assert cli.main(args) == 0
    before = content(project)
    assert cli.main(args + ["--seed", "2"]) == 2
    assert "already has a holdout (number 1, go-live 2026-Q3); undo it first" in capsys.readouterr().err
    assert content(project) == before


def test_demo_with_actuals_then_the_cohort_report(tmp_path, capsys):
    path = tmp_path / "demo.tplan"
    assert cli.main(["demo", str(path), "--accounts", "1500", "--actuals-csv", str(tmp_path / "a.csv")]) == 0
    out = capsys.readouterr().out
    assert "scenario 'Realigned'" in out and "go-live 2026-Q3" in out and (tmp_path / "a.csv").exists()
    project, plan = open_project(path, read_only=True)
    with project:
        args = argparse.Namespace(json=True, period=None, scenario=None, team=None)
        assert run_cohorts(args, project, plan) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["scenario"] == "Realigned" and report["go_live"] == "2026-Q3"
        bookings = {c["cohort"]: c for c in report["metrics"]["bookings"]["cohorts"]}
        assert bookings["moved"]["growth"] < bookings["held_out"]["growth"]
        assert set(report["metrics"]) == {"bookings", "visits"}
        first = report["metrics"]["bookings"]["differences"][0]
        assert (first["first"], first["second"], first["measure"]) == ("moved", "held_out", "change")
        assert first["ci_low"] <= first["value"] <= first["ci_high"]

        args = argparse.Namespace(json=False, period="2026-Q2..2026-Q3", scenario="Realigned", team=None)
        assert run_cohorts(args, project, plan) == 0
        text = capsys.readouterr().out
        assert "cohorts of holdout 1 (scenario 'Realigned', go-live 2026-Q3)" in text
        assert "(2026-Q2) and from it (2026-Q3)" in text and "95 % CI" in text
        assert "moved accounts grew" in text

        with pytest.raises(BadInput, match="has no holdout"):
            run_cohorts(argparse.Namespace(json=False, period=None, scenario="Current plan", team=None),
                        project, plan)
        with pytest.raises(BadInput, match="--period"):
            run_cohorts(argparse.Namespace(json=False, period="last year", scenario=None, team=None),
                        project, plan)
