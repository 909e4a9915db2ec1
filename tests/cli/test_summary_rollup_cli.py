"""`summary --by region` and `--by rep`: the territories rolled up, each group with the largest deviation of its
territories."""

from __future__ import annotations

import json

import pytest

from desktop_planner.cli import main
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


@pytest.fixture
def project(tmp_path):
    """Four territories: T1-T3 in East (T1 and T3 held by one rep), T4 in West."""
    plan = make_plan(n=120, k=4, seed=3)
    territories = plan.active.territories
    territories[4] = territories[4].with_changes(region="West")
    territories[3] = territories[3].with_changes(rep_name="Rep 1")
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, plan).close()
    return path


def summary(capsys, *args) -> dict:
    assert main(["summary", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_by_region_sums_the_territories_and_names_the_worst_one(project, capsys):
    territories = {t["name"]: t for t in summary(capsys, project)["territories"]}
    data = summary(capsys, project, "--by", "region")
    groups = {g["region"]: g for g in data["groups"]}
    assert {name: g["territories"] for name, g in groups.items()} == {"East": ["T1", "T2", "T3"], "West": ["T4"]}
    for g in groups.values():
        members = [territories[name] for name in g["territories"]]
        assert g["accounts"] == sum(t["accounts"] for t in members)
        assert g["potential"] == pytest.approx(sum(t["potential"] for t in members))
        assert g["workload_hours"] == pytest.approx(sum(t["workload_hours"] for t in members))
        worst = max((t["deviation"]["workload_hours"] for t in members), key=abs)
        assert g["largest_territory_deviation"]["workload_hours"] == pytest.approx(worst)
    assert sum(g["accounts"] for g in groups.values()) == data["plan"]["accounts"] == 120

    assert main(["summary", str(project), "--by", "region"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("East", "West"))]
    assert len(rows) == 2 and rows[0].split()[1:3] == ["3", f"{groups['East']['accounts']:,}"]
    assert "largest: its territory furthest from target" in out


def test_by_rep_puts_a_reps_territories_together(project, capsys):
    groups = {g["rep"]: g["territories"] for g in summary(capsys, project, "--by", "rep")["groups"]}
    assert groups == {"Rep 1": ["T1", "T3"], "Rep 2": ["T2"], "Rep 4": ["T4"]}
    assert main(["summary", str(project), "--by", "rep"]) == 0
    rep_1 = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Rep 1 "))
    assert rep_1.split()[2] == "2"  # territories
