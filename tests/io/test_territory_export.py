"""Territories as GeoPackage and GeoJSON, read back with geopandas as QGIS would."""

import geopandas as gpd
import pytest

from desktop_planner.cli import main
from desktop_planner.io.export import ExportError
from desktop_planner.io.territory_export import export_territories
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


@pytest.mark.parametrize("name", ["t.gpkg", "t.geojson"])
def test_polygons_with_measures_read_back(tmp_path, name):
    plan = make_plan(n=200, k=3)
    assert export_territories(plan, plan.active, tmp_path / name) == 3
    frame = gpd.read_file(tmp_path / name)
    assert frame.crs.to_epsg() == 4326
    assert frame["territory"].tolist() == ["T1", "T2", "T3"]
    assert frame["accounts"].sum() == 200
    assert {"workload_hours", "deviation_workload_hours", "contiguous"} <= set(frame.columns)
    assert not {"units", "unit_layer"} & set(frame.columns)  # without a unit layer: the Voronoi regions as ever
    assert (frame.to_crs(3857).geometry.area > 0).all() and frame.geometry.is_valid.all()
    # every account lies in (or on) its own territory's polygon
    a = plan.accounts
    for i, row in frame.iterrows():
        members = plan.active.assignment == plan.active.territory_ids()[i]
        points = gpd.points_from_xy(a.lon[members], a.lat[members], crs=4326)
        assert row.geometry.buffer(1e-6).contains(points).all()


def test_bad_extension(tmp_path):
    plan = make_plan(n=50)
    with pytest.raises(ExportError, match=".gpkg or .geojson"):
        export_territories(plan, plan.active, tmp_path / "t.shp.zip")


def test_cli(tmp_path, capsys):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=60)).close()
    assert main(["export", str(path), "--what", "territories", "--out", str(tmp_path / "t.gpkg")]) == 0
    assert "3 rows" in capsys.readouterr().out
