"""The unit layer in the project file: schema 2 -> 3 with a backup, the layer saved and loaded, undo, copies."""

from __future__ import annotations

import sqlite3

import numpy as np

from desktop_planner.core.commands import AssignUnits, SetExceptions, SetUnitLayer
from desktop_planner.core.history import History
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.scenario_commands import AddScenario, copy_scenario
from desktop_planner.core.units import new_unit_state, place_accounts
from desktop_planner.store import schema
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan
from tests.core.test_units import grid_layer
from tests.store.old_versions import write_old_version


def write_v2(path, plan) -> None:
    """A project file as version 2 wrote it: no unit tables, no exception mark on assignment rows."""
    write_old_version(path, plan, 2)


def tables(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def test_version_2_is_migrated_to_3_with_a_backup(tmp_path):
    path = tmp_path / "old.tplan"
    plan = make_plan(n=30, k=3)
    write_v2(path, plan)
    original = path.read_bytes()
    with ProjectFile.open(path, read_only=True) as reader:  # reading an old file changes nothing
        assert reader.load_plan().units is None
    assert path.read_bytes() == original and "units" not in tables(path)
    with ProjectFile.open(path) as project:
        assert project.migrated_backup == tmp_path / "old.tplan.v2.bak"
        assert project.migrated_backup.read_bytes() == original
        assert project.project_value("schema_version") == str(schema.SCHEMA_VERSION)
        loaded = project.load_plan()
        assert loaded.units is None  # no layer: the project is as it was
        assert np.array_equal(loaded.active.assignment, plan.active.assignment)
    assert {"unit_layers", "units", "account_units", "unit_assignments"} <= tables(path)
    conn = sqlite3.connect(path)
    assert "unit_exception" in {r[1] for r in conn.execute("PRAGMA table_info(assignments)")}
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def _with_layer(path):
    plan = make_plan(n=60, k=3)
    ProjectFile.create(path, plan).close()
    project = ProjectFile.open(path)
    plan = project.load_plan()
    layer = grid_layer()
    state = new_unit_state(plan, layer, place_accounts(layer, plan.accounts.lon, plan.accounts.lat))
    history = History(plan, project)
    history.do(SetUnitLayer(state))
    return project, plan, history


def test_the_layer_and_unit_assignment_are_saved_and_undone(tmp_path):
    path = tmp_path / "p.tplan"
    project, plan, history = _with_layer(path)
    with project:
        scenario = plan.active
        unit = int(np.bincount(plan.units.unit_of_rows(plan)).argmax())
        history.do(SetExceptions(scenario.id, [0], True))
        history.do(AssignUnits(scenario.id, [unit], 2))
        expected_units = plan.units.of(plan, scenario).territory.copy()
        expected_exceptions = plan.units.of(plan, scenario).exceptions.copy()
        expected_assignment = scenario.assignment.copy()
    with ProjectFile.open(path, read_only=True) as reader:
        loaded = reader.load_plan()
    state = loaded.units
    assert state.layer.ids.tolist() == plan.units.layer.ids.tolist()
    assert state.layer.geometries[3].equals(plan.units.layer.geometries[3])
    assert np.allclose(state.layer.area_km2, plan.units.layer.area_km2)
    assert np.array_equal(state.unit_of_rows(loaded), plan.units.unit_of_rows(plan))
    assert np.array_equal(state.of(loaded, loaded.active).territory, expected_units)
    assert np.array_equal(state.of(loaded, loaded.active).exceptions, expected_exceptions)
    assert np.array_equal(loaded.active.assignment, expected_assignment)

    with ProjectFile.open(path) as project:  # a new session: set the layer again, then undo it
        plan = project.load_plan()
        history = History(plan, project)
        history.do(SetUnitLayer(None))
        with ProjectFile.open(path, read_only=True) as reader:
            assert reader.load_plan().units is None
        history.undo()
    with ProjectFile.open(path, read_only=True) as reader:
        again = reader.load_plan()
    assert np.array_equal(again.units.of(again, again.active).territory, expected_units)
    assert np.array_equal(again.units.of(again, again.active).exceptions, expected_exceptions)


def test_a_scenario_copy_is_saved_with_its_units(tmp_path):
    path = tmp_path / "p.tplan"
    project, plan, history = _with_layer(path)
    with project:
        history.do(AddScenario(copy_scenario(plan, plan.active, "Copy")))
    with ProjectFile.open(path, read_only=True) as reader:
        loaded = reader.load_plan()
    source, copy = loaded.active, loaded.scenario_by_name("Copy")
    names = lambda s: [s.territories[t].name if t != UNASSIGNED else None  # noqa: E731
                       for t in loaded.units.of(loaded, s).territory.tolist()]
    assert copy.id in loaded.units.scenarios  # read from the file, not derived
    assert names(copy) == names(source)
