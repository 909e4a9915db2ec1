"""`desktop-planner balance` as a script uses it: a new scenario in the file, the report, exit status 2 with a
reason on bad input."""

import json

import numpy as np
import pytest

from desktop_planner.cli import main
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.optimize.territories import with_territory_count
from desktop_planner.store.project import ProjectFile
from tests.optimize.test_balance import unbalanced_plan


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, unbalanced_plan(n=300, k=4)).close()
    return path


def test_balance_writes_a_new_balanced_scenario(project, capsys):
    assert main(["balance", str(project), "--into", "Balanced", "--time-limit", "20"]) == 0
    out = capsys.readouterr().out
    assert "scenario 'Balanced' written" in out and "FEASIBLE" in out and "lower bound" in out
    with ProjectFile.open(project) as pf:
        plan = pf.load_plan()
    balanced = plan.scenario_by_name("Balanced")
    original = plan.scenario_by_name("Current plan")
    assert len(balanced.territories) == 4
    assert not set(balanced.territories) & set(original.territories)  # fresh territory ids
    assert (balanced.assignment != -1).all()
    m = MeasureEngine(plan).measures(balanced.id)
    # Without --tolerance the project's own tolerance applies (±10 % unless the project says otherwise).
    assert m.max_abs_deviation("workload_hours") <= plan.settings.tolerance + 1e-9
    # the source scenario is unchanged
    assert (original.assignment == unbalanced_plan(n=300, k=4).active.assignment).all()


def test_balance_json_headcount_and_budget(project, capsys):
    assert main(["balance", str(project), "--into", "Five", "--territories", "5", "--max-disruption", "0.5",
                 "--measure", "workload", "--measure", "accounts=0.2", "--json", "--time-limit", "20"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["scenario"] == "Five" and report["based_on"] == "Current plan"
    assert set(report["measures"]) == {"workload_hours", "accounts"}
    assert report["lower_bound"] is None or report["lower_bound"] <= report["objective"] + 1e-9
    with ProjectFile.open(project) as pf:
        five = pf.load_plan().scenario_by_name("Five")
    assert len(five.territories) == 5 and len(np.unique(five.assignment)) == 5


@pytest.mark.parametrize("args, words", [
    (["--into", "Current plan"], "already exists"),
    (["--into", "X", "--scenario", "Nope"], "Nope"),
    (["--into", "X", "--measure", "happiness"], "happiness"),
    (["--into", "X", "--tolerance", "3"], "between 0 and 1"),
    (["--into", "X", "--max-disruption", "-0.1"], "between 0 and 1"),
    (["--into", "X", "--time-limit", "0"], "time limit"),
    ([], "--into"),
])
def test_bad_input_exits_2_with_a_reason(project, capsys, args, words):
    assert main(["balance", str(project), *args]) == 2
    assert words in capsys.readouterr().err
    with ProjectFile.open(project) as pf:
        assert len(pf.load_plan().scenarios) == 1  # nothing written


def test_not_a_project_exits_2(tmp_path, capsys):
    bad = tmp_path / "x.tplan"
    bad.write_text("hello")
    assert main(["balance", str(bad), "--into", "X"]) == 2
    assert "x.tplan" in capsys.readouterr().err


def test_the_new_scenario_is_in_the_audit_trail(project, capsys):
    assert main(["balance", str(project), "--into", "Audited", "--time-limit", "5"]) == 0
    with ProjectFile.open(project) as pf:
        rows = pf.conn.execute("SELECT action, label FROM changes WHERE action = 'scenario'").fetchall()
    assert rows == [("scenario", "New scenario Audited")]


def test_territory_count_what_if():
    plan = unbalanced_plan(n=200, k=4)
    fewer = with_territory_count(plan, plan.active, 3)
    assert len(fewer.territories) == 3
    removed = set(plan.active.territories) - set(fewer.territories)
    assert not np.isin(fewer.assignment, list(removed)).any()
    more = with_territory_count(plan, plan.active, 6)
    assert len(more.territories) == 6 and len(plan.active.territories) == 4
    new = [t for tid, t in more.territories.items() if tid not in plan.active.territories]
    assert all(not t.has_home for t in new)
    locked = plan.active
    for tid in list(locked.territories)[:3]:
        locked.territories[tid] = locked.territories[tid].with_changes(locked=True)
    with pytest.raises(ValueError, match="locked"):
        with_territory_count(plan, locked, 2)
