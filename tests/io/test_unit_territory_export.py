"""Territories exported as the union of their units (with a unit layer), read back as QGIS would."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from desktop_planner.cli import main
from desktop_planner.core.commands import SetUnitTerritories
from desktop_planner.core.history import History
from desktop_planner.core.units import BY_LOCATION, BY_NEAREST, UnitLayer, new_unit_state, place_accounts
from desktop_planner.io.territory_export import export_territories
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan

COUNTIES = "us-counties (US Census cartographic boundaries 2016, 1:500k)"


@pytest.mark.parametrize("name", ["t.gpkg", "t.geojson"])
def test_territories_are_their_counties(counties_demo, tmp_path, capsys, name):
    assert main(["export", str(counties_demo), "--what", "territories", "--out", str(tmp_path / name)]) == 0
    assert "12 rows (territories)" in capsys.readouterr().out
    frame = gpd.read_file(tmp_path / name)
    with ProjectFile.open(counties_demo, read_only=True) as project:
        plan = project.load_plan()
    scenario, state = plan.active, plan.units
    territory = state.of(plan, scenario).territory
    assert frame.crs.to_epsg() == 4326 and frame.geometry.is_valid.all()
    assert set(frame["unit_layer"]) == {COUNTIES}
    assert frame["accounts"].sum() == 5000 and "workload_hours" in frame.columns  # the measures stay
    units = dict(zip(frame["territory"], frame["units"]))
    assert units["NE-07 New York"] == 26 and units["NE-12 New Limerick"] == 2
    assert sum(units.values()) == 219  # 141 counties of the layer have no account, hence no territory

    unit_of = state.unit_of_rows(plan)
    exception = state.exception_rows(plan, scenario)
    how = dict(zip(state.account_ids.tolist(), state.how.tolist()))
    placed_by = np.array([how[i] for i in plan.accounts.ids.tolist()], dtype=object)
    a = plan.accounts
    for tid, row in zip(scenario.territory_ids().tolist(), frame.itertuples()):
        counties = state.layer.geometries[territory == tid]
        assert row.units == len(counties)
        assert row.geometry.area == pytest.approx(shapely.union_all(counties).area, rel=1e-6)
        follows = (scenario.assignment == tid) & ~exception & (unit_of >= 0)
        inside = follows & (placed_by == BY_LOCATION)
        assert inside.any()
        assert shapely.contains_xy(row.geometry.buffer(1e-9), a.lon[inside], a.lat[inside]).all(), row.territory
        # Accounts on a generalised coastline were snapped to the nearest county, at most 5 km away.
        near = follows & (placed_by == BY_NEAREST)
        assert (shapely.distance(row.geometry, shapely.points(a.lon[near], a.lat[near])) < 0.07).all()
    # The 283 exceptions keep their own territory, so some lie in another territory's counties.
    outside = 0
    for tid, row in zip(scenario.territory_ids().tolist(), frame.itertuples()):
        mine = (scenario.assignment == tid) & exception
        outside += int((~shapely.contains_xy(row.geometry, a.lon[mine], a.lat[mine])).sum())
    assert outside > 0


def test_a_territory_without_units_keeps_its_row(counties_demo, tmp_path):
    with ProjectFile.open(counties_demo, read_only=True) as project:
        plan = project.load_plan()
    scenario, state = plan.active, plan.units
    ids = {t.name: t.id for t in scenario.territories.values()}
    # NE-12's two counties go to NE-11; its accounts stay (no account moves with SetUnitTerritories).
    mine = np.flatnonzero(state.of(plan, scenario).territory == ids["NE-12 New Limerick"])
    History(plan).do(SetUnitTerritories(scenario.id, mine, ids["NE-11 Augusta"]))
    assert export_territories(plan, scenario, tmp_path / "t.gpkg") == 12
    frame = gpd.read_file(tmp_path / "t.gpkg").set_index("territory")
    empty = frame.loc["NE-12 New Limerick"]
    assert empty["units"] == 0 and empty["accounts"] == 49
    assert empty.geometry is None or empty.geometry.is_empty
    assert frame.loc["NE-11 Augusta", "units"] == 16


def test_an_approximate_layer_says_so(tmp_path):
    plan = make_plan(n=200, k=3)
    # Half-degree cells over the three Ohio towns of the test plan, flagged approximate like the ZIP cells.
    cells = [shapely.box(x, y, x + 0.5, y + 0.5) for x in np.arange(-86, -80, 0.5) for y in np.arange(38, 43, 0.5)]
    layer = UnitLayer("grid", "test cells", [f"C{i}" for i in range(len(cells))], [f"Cell {i}" for i in
                      range(len(cells))], np.array(cells, dtype=object), approximate=True)
    placement = place_accounts(layer, plan.accounts.lon, plan.accounts.lat)
    assert placement.placed == 200
    plan.units = new_unit_state(plan, layer, placement)
    assert export_territories(plan, plan.active, tmp_path / "t.geojson") == 3
    frame = gpd.read_file(tmp_path / "t.geojson")
    assert set(frame["unit_layer"]) == {"grid (test cells), approximate"}
    assert frame["units"].sum() == len(np.unique(placement.unit))
    # Each territory is whole cells: its area is a multiple of a cell's (0.25 square degrees).
    areas = shapely.area(frame.geometry.values) / 0.25
    assert np.allclose(areas, areas.round()) and (areas >= 1).all()
