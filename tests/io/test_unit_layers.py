"""Unit layers: the built-in Census states and counties, approximate ZIP cells, polygon files, and unit keys."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from desktop_planner.core.units import UnitLayer
from desktop_planner.io import zip_cells
from desktop_planner.io.unit_alignment import UnitKeys
from desktop_planner.io.unit_layers import UnitLayerError, load_unit_layer, us_counties, us_states


def test_states_and_counties_from_the_census_files():
    states = us_states()
    assert len(states) == 56 and states.has("NY") and states.names[states.index_of("NY")] == "New York"
    counties = us_counties({"RI", "CT"})
    assert len(counties) == 5 + 8
    kings = us_counties({"NY"})
    assert kings.names[kings.index_of("36047")] == "Kings, NY" and kings.parents[0] == "NY"
    # Rhode Island: about 3,140 km² of land and water in the 1:500k file's generalised outline.
    assert 2_500 < states.area_km2[states.index_of("RI")] < 3_500
    assert not states.approximate and kings.id_column == "GEOID"


def test_zip_cells_cover_their_counties_once_and_are_cached(tmp_path, monkeypatch):
    layer = load_unit_layer("us-zip", states={"RI"}, cache_dir=tmp_path)
    assert layer.approximate and layer.kind == "us-zip" and "approximate" in layer.label
    assert 60 < len(layer) < 90 and set(layer.parents.tolist()) == {"RI"} and layer.has("02903")
    counties = us_counties({"RI"})
    union = shapely.union_all(layer.geometries)
    # The cells tile the state's counties: no gap, no overlap.
    assert layer.area_km2.sum() == pytest.approx(counties.area_km2.sum(), rel=1e-3)
    assert shapely.area(union) == pytest.approx(shapely.area(shapely.union_all(counties.geometries)), rel=1e-3)
    # The second time comes from the cache: building again would fail here.
    monkeypatch.setattr(zip_cells, "build_zip_cells", lambda states: pytest.fail("rebuilt a cached state"))
    again = load_unit_layer("us-zip", states={"RI"}, cache_dir=tmp_path)
    assert again.ids.tolist() == layer.ids.tolist()


def _grid_frame(crs="EPSG:4326"):
    boxes = [shapely.box(-80 + i, 40, -79 + i, 41) for i in range(3)]
    return gpd.GeoDataFrame({"code": ["A1", "A2", "A3"], "label": ["West", "Middle", "East"], "other": [1, 2, 3]},
                            geometry=boxes, crs=crs)


def test_a_geopackage_layer_with_chosen_columns(tmp_path):
    path = tmp_path / "grid.gpkg"
    _grid_frame().to_crs("EPSG:3857").to_file(path, driver="GPKG")  # reprojected back to lon/lat on reading
    layer = load_unit_layer(path, id_column="code", name_column="label")
    assert layer.ids.tolist() == ["A1", "A2", "A3"] and layer.names.tolist() == ["West", "Middle", "East"]
    assert layer.geometries[0].bounds == pytest.approx((-80, 40, -79, 41), abs=1e-6)
    assert layer.kind == "file" and layer.source == "grid.gpkg"


def test_geojson_columns_are_guessed_and_shapefile_read(tmp_path):
    frame = _grid_frame().rename(columns={"code": "id", "label": "name"})
    frame.to_file(tmp_path / "grid.geojson", driver="GeoJSON")
    frame.to_file(tmp_path / "grid.shp")
    for name in ("grid.geojson", "grid.shp"):
        layer = load_unit_layer(tmp_path / name)
        assert layer.ids.tolist() == ["A1", "A2", "A3"] and layer.names[2] == "East"


def test_unknown_column_names_the_file_and_lists_the_columns(tmp_path):
    path = tmp_path / "grid.gpkg"
    _grid_frame().to_file(path, driver="GPKG")
    with pytest.raises(UnitLayerError, match=r"grid.gpkg: no column 'BRICK' for the unit id \(the layer has: "
                                             r"code, label, other\)"):
        load_unit_layer(path, id_column="BRICK")
    assert load_unit_layer(path).ids.tolist() == ["A1", "A2", "A3"]  # 'code' is taken for the id by itself
    _grid_frame().rename(columns={"code": "brick_no"}).to_file(tmp_path / "bricks.gpkg", driver="GPKG")
    with pytest.raises(UnitLayerError, match=r"bricks.gpkg: choose the column holding the unit id with --id-column "
                                             r"\(the layer has: brick_no, label, other\)"):
        load_unit_layer(tmp_path / "bricks.gpkg")


@pytest.mark.parametrize("content, reason", [(None, "no such file"), (b"not a map", "cannot be read as a map layer")])
def test_unreadable_layer_files(tmp_path, content, reason):
    path = tmp_path / "bad.gpkg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UnitLayerError, match=f"bad.gpkg: {reason}"):
        load_unit_layer(path, id_column="code")


def test_repeated_ids_and_points_are_refused_with_row_numbers(tmp_path):
    frame = _grid_frame()
    frame.loc[2, "code"] = "A1"
    frame.to_file(tmp_path / "dup.gpkg", driver="GPKG")
    with pytest.raises(UnitLayerError, match=r"row 3: code 'A1' repeats row 1"):
        load_unit_layer(tmp_path / "dup.gpkg", id_column="code")
    points = gpd.GeoDataFrame({"code": ["P"]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    points.to_file(tmp_path / "points.gpkg", driver="GPKG")
    with pytest.raises(UnitLayerError, match=r"row 1 \(P\): not a polygon"):
        load_unit_layer(tmp_path / "points.gpkg", id_column="code")


def _layer(ids, kind="us-zip", names=None):
    names = names or [f"Unit {i}" for i in ids]
    return UnitLayer(kind, "test", ids, names, np.array([shapely.box(0, 0, 1, 1)] * len(ids), dtype=object))


def test_zip_keys_that_lost_their_leading_zero_are_mended():
    keys = UnitKeys(_layer(["07201", "02139", "10001", "00501"]))
    assert keys.match("07201") == (0, None, None)
    assert keys.match("7201") == (0, "07201", None)  # Excel dropped the zero: only one ZIP fits
    assert keys.match("501") == (3, "00501", None)
    assert keys.match("7201.0") == (0, "07201", None)
    assert keys.match("02139-4307") == (1, None, None)
    unit, mended, problem = keys.match("99999")
    assert unit is None and "not a ZIP area" in problem
    assert keys.match("")[2] == "missing unit id"


def test_ambiguous_and_named_keys():
    keys = UnitKeys(_layer(["0123", "00123", "NY"], kind="file", names=["A", "B", "New York"]))
    unit, _, problem = keys.match("123")
    assert unit is None and "could be any of 0123, 00123" in problem  # flagged, not guessed
    assert keys.match("new york") == (2, None, None)
