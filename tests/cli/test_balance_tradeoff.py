"""`desktop-planner balance --tradeoff`: the curve as a table and a CSV, nothing written to the project;
`--into` and `--tradeoff` are exclusive, and the project's tolerance is the default."""

import csv
import json

from desktop_planner.cli import main
from desktop_planner.store.project import ProjectFile
from tests.optimize.test_balance import unbalanced_plan


def _project(tmp_path):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, unbalanced_plan(n=240, k=4)).close()
    return path


def test_tradeoff_prints_the_curve_and_writes_csv(tmp_path, capsys):
    project = _project(tmp_path)
    out = tmp_path / "curve.csv"
    assert main(["balance", str(project), "--tradeoff", "--tolerances", "0.05,0.3", "--time-limit", "8",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "largest dev" in text and "travel km/yr" in text
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [float(r["tolerance"]) for r in rows] == [0.05, 0.3]
    assert all(int(r["territories_in_pieces"]) == 0 for r in rows)
    # A looser band costs no more travel than a tight one.
    assert float(rows[1]["mean_distance_km"]) <= float(rows[0]["mean_distance_km"]) + 1e-6
    with ProjectFile.open(project) as pf:
        assert [s.name for s in pf.load_plan().scenarios.values()] == ["Current plan"]  # nothing written


def test_tradeoff_json(tmp_path, capsys):
    project = _project(tmp_path)
    assert main(["balance", str(project), "--tradeoff", "--tolerances", "0.2", "--time-limit", "4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["measure"] == "workload_hours" and len(data["points"]) == 1


def test_into_or_tradeoff_is_required(tmp_path, capsys):
    project = _project(tmp_path)
    assert main(["balance", str(project)]) == 2
    assert "--into" in capsys.readouterr().err
    assert main(["balance", str(project), "--tradeoff", "--into", "X"]) == 2
    assert main(["balance", str(project), "--tradeoff", "--tolerances", "0,2"]) == 2
