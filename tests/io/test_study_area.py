import geopandas as gpd
import numpy as np
import pytest
import shapely

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.io.study_area import StudyAreaError, read_study_area

SQUARE = shapely.box(-80.0, 40.0, -79.0, 41.0)  # lon/lat


def mercator_box(lon0, lat0, lon1, lat1):
    (x0, x1), (y0, y1) = lonlat_to_mercator([lon0, lon1], [lat0, lat1])
    return shapely.box(x0, y0, x1, y1)


@pytest.mark.parametrize("name, driver", [("area.gpkg", "GPKG"), ("area.shp", "ESRI Shapefile"),
                                          ("area.geojson", "GeoJSON")])
def test_polygons_are_read_merged_and_reprojected(tmp_path, name, driver):
    halves = [shapely.box(-80.0, 40.0, -79.5, 41.0), shapely.box(-79.5, 40.0, -79.0, 41.0)]
    gpd.GeoDataFrame({"name": ["west", "east"]}, geometry=halves, crs="EPSG:4326").to_file(
        tmp_path / name, driver=driver)
    area = read_study_area(tmp_path / name)
    assert area.geom_type == "Polygon"
    assert shapely.symmetric_difference(area, mercator_box(-80, 40, -79, 41)).area < 1e-6 * area.area


def test_a_projected_layer_is_reprojected(tmp_path):
    frame = gpd.GeoDataFrame(geometry=[SQUARE], crs="EPSG:4326").to_crs("EPSG:32617")  # UTM 17N
    frame.to_file(tmp_path / "utm.gpkg")
    area = read_study_area(tmp_path / "utm.gpkg")
    # UTM straight edges are slightly curved in Mercator: compare areas and position loosely
    expected = mercator_box(-80, 40, -79, 41)
    assert area.area == pytest.approx(expected.area, rel=0.01)
    assert area.centroid.distance(expected.centroid) < 1_000


def test_the_first_polygon_layer_is_taken_and_invalid_rings_repaired(tmp_path):
    path = tmp_path / "many.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Point(-79.5, 40.5)], crs="EPSG:4326").to_file(path, layer="stores")
    bowtie = shapely.Polygon([(-80, 40), (-79, 41), (-79, 40), (-80, 41)])
    gpd.GeoDataFrame(geometry=[bowtie], crs="EPSG:4326").to_file(path, layer="regions")
    area = read_study_area(path)
    assert area.is_valid and area.geom_type == "MultiPolygon" and area.area > 0


def test_a_polar_polygon_is_cut_at_the_mercator_limit(tmp_path):
    gpd.GeoDataFrame(geometry=[shapely.box(-10, 60, 10, 90)], crs="EPSG:4326").to_file(tmp_path / "pole.geojson")
    area = read_study_area(tmp_path / "pole.geojson")
    assert area.is_valid and np.isfinite(area.bounds).all()
    assert area.bounds[3] == pytest.approx(20_037_508, rel=1e-4)  # the top of the Web Mercator world


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(StudyAreaError, match=r"nowhere\.gpkg: no such file"):
        read_study_area(tmp_path / "nowhere.gpkg")


def test_an_unreadable_file_is_named_with_the_reason(tmp_path):
    path = tmp_path / "notes.gpkg"
    path.write_text("this is not a GeoPackage")
    with pytest.raises(StudyAreaError, match=r"notes\.gpkg: cannot be read as a map layer"):
        read_study_area(path)


def test_a_layer_without_polygons_is_refused(tmp_path):
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(-79.5, 40.5), shapely.LineString([(-80, 40), (-79, 41)])],
                     crs="EPSG:4326").to_file(path)
    with pytest.raises(StudyAreaError, match=r"points\.geojson: the layer has no polygons"):
        read_study_area(path)


def test_an_unknown_layer_name_is_named(tmp_path):
    path = tmp_path / "area.gpkg"
    gpd.GeoDataFrame(geometry=[SQUARE], crs="EPSG:4326").to_file(path, layer="regions")
    with pytest.raises(StudyAreaError, match=r"area\.gpkg: cannot be read"):
        read_study_area(path, layer="territories")


def test_a_shapefile_without_prj(tmp_path):
    gpd.GeoDataFrame(geometry=[SQUARE], crs="EPSG:4326").to_file(tmp_path / "lonlat.shp")
    (tmp_path / "lonlat.prj").unlink()
    area = read_study_area(tmp_path / "lonlat.shp")  # coordinates that can only be lon/lat are taken as such
    assert area.area == pytest.approx(mercator_box(-80, 40, -79, 41).area, rel=1e-6)
    projected = gpd.GeoDataFrame(geometry=[SQUARE], crs="EPSG:4326").to_crs("EPSG:32617")
    projected.to_file(tmp_path / "utm.shp")
    (tmp_path / "utm.prj").unlink()
    with pytest.raises(StudyAreaError, match=r"utm\.shp: the layer has no coordinate reference system"):
        read_study_area(tmp_path / "utm.shp")
