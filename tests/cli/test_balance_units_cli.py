"""`desktop-planner balance` on a project with a unit layer: whole counties, `--within state` and `--within
region`, the new scenario carries its units and exceptions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop_planner.cli import main
from desktop_planner.core.commands import EditTerritory
from desktop_planner.core.history import History
from desktop_planner.core.units import NOT_PLACED
from desktop_planner.store.project import ProjectFile

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo_northeast.tplan"


@pytest.fixture()
def project(counties_copy) -> Path:
    return counties_copy


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def scenario_named(plan, name):
    return next(s for s in plan.scenarios.values() if s.name == name)


def test_balance_into_a_new_scenario_on_counties(project, capsys):
    code, out, _ = run(capsys, "units", project)
    code, out, err = run(capsys, "balance", project, "--into", "Counties", "--time-limit", "6", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert any(n.startswith("balanced 360 units of us-counties") for n in report["notes"]), report["notes"]
    assert report["non_contiguous_after"] == 0
    with capsys.disabled():
        print(f"CLI counties: max deviation {report['measures']['workload_hours']['max_abs_deviation_after']:.1%}")
    with ProjectFile.open(project, read_only=True) as pf:
        plan = pf.load_plan()
        source, created = plan.active, scenario_named(plan, "Counties")
        state = plan.units
        units = state.of(plan, created)
        # The new scenario keeps the source's named exceptions and gives every county a territory.
        assert np.array_equal(units.exceptions, state.of(plan, source).exceptions)
        assert (units.territory >= 0).all()
        unit_of = state.unit_of_rows(plan)
        exception = state.exception_rows(plan, created)
        follow = (unit_of != NOT_PLACED) & ~exception
        assert np.array_equal(created.assignment[follow], units.territory[unit_of[follow]])
        assert np.array_equal(created.assignment[exception], source.assignment[exception]) or \
            {created.territories[t].name for t in created.assignment[exception].tolist()} == \
            {source.territories[t].name for t in source.assignment[exception].tolist()}
    code, out, _ = run(capsys, "units", project, "--scenario", "Counties", "--json")
    shown = json.loads(out)
    assert shown["units_assigned"] == 360 and shown["off_unit"] == 0


def test_balance_text_report_says_units_and_within_state(project, capsys):
    code, out, err = run(capsys, "balance", project, "--into", "By state", "--within", "state", "--time-limit", "6")
    assert code == 0, err
    assert "balanced 360 units" in out and "each territory within one state" in out
    assert "no territory has its home in" in out  # the Northeast demo has states without a rep
    with ProjectFile.open(project, read_only=True) as pf:
        plan = pf.load_plan()
        created = scenario_named(plan, "By state")
        state = plan.units
        parents = np.asarray(state.layer.parents).astype(str)
        territory = state.of(plan, created).territory
        homed = set()
        import shapely
        for t in created.territories.values():
            hit = state.layer.tree().query(shapely.points(t.home_lon, t.home_lat), predicate="intersects")
            homed.add(parents[int(hit.min())])
        for tid in created.territories:
            got = set(parents[territory == tid].tolist())
            assert len(got & homed) == 1, (created.territories[tid].name, got)


def test_balance_within_region_keeps_each_region_on_its_units(project, capsys):
    with ProjectFile.open(project, read_only=True) as pf:
        plan = pf.load_plan()
        source = plan.active
        regions = {t.name: t.region for t in source.territories.values()}
        held = plan.units.of(plan, source).territory
        area = np.array([source.territories[t].region if t >= 0 else "" for t in held.tolist()])
    assert len(set(regions.values())) == 3  # the demo's West, Central and East
    code, out, err = run(capsys, "balance", project, "--into", "By region", "--within", "region", "--time-limit",
                         "6", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert any("each territory within its region" in n for n in report["notes"]), report["notes"]
    assert report["non_contiguous_after"] == 0
    with ProjectFile.open(project, read_only=True) as pf:
        plan = pf.load_plan()
        created = scenario_named(plan, "By region")
        territory = plan.units.of(plan, created).territory
    after = np.array([regions[created.territories[t].name] for t in territory.tolist()])
    assert np.array_equal(after[area != ""], area[area != ""])


def test_within_region_is_refused_for_territories_without_one(project, capsys):
    with ProjectFile.open(project) as pf:
        plan = pf.load_plan()
        scenario = plan.active
        history = History(plan, pf)
        names = []
        for tid in scenario.territory_ids()[[2, 6]].tolist():
            history.do(EditTerritory(scenario.id, tid, region=None))
            names.append(scenario.territories[tid].name)
    code, _, err = run(capsys, "balance", project, "--into", "R", "--within", "region")
    assert code == 2
    assert f"territories {names[0]}, {names[1]} have no region: set one, or balance --within state" in err, err


def test_within_is_refused_without_a_layer(project, tmp_path, capsys):
    plain = tmp_path / "plain.tplan"
    shutil.copyfile(DEMO, plain)
    code, _, err = run(capsys, "balance", plain, "--into", "S", "--within", "state")
    assert code == 2 and "unit layer" in err
    code, _, err = run(capsys, "balance", project, "--into", "S", "--within", "state", "--by-account")
    assert code == 2


def test_headcount_what_if_on_units_leaves_nobody_unassigned(project, capsys):
    code, out, err = run(capsys, "balance", project, "--into", "Ten", "--territories", "10", "--time-limit", "5",
                         "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["unassigned_after"] == 0 and report["non_contiguous_after"] == 0
    code, out, _ = run(capsys, "units", project, "--scenario", "Ten", "--json")
    shown = json.loads(out)
    assert shown["units_assigned"] == 360 and shown["off_unit"] == 0
