"""A user's study area: the polygons of a GIS layer (GeoPackage, Shapefile, GeoJSON, anything GDAL reads),
reprojected to the map's Web Mercator (EPSG:3857) and merged into one shape for `RegionMap(study_area=...)`.

    area = read_study_area("sales_regions.gpkg", layer=None)   # Polygon | MultiPolygon, map metres

Every failure is a `StudyAreaError` whose message names the file and the reason. Lines and points in the layer
are ignored; invalid polygons (self-intersecting rings, as digitised by hand) are repaired.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyogrio.errors import CRSError, DataLayerError, DataSourceError, FeatureError, FieldError, GeometryError

from desktop_planner.core.geo import MAX_MERCATOR_LAT
from desktop_planner.core.regions import polygonal
from desktop_planner.io.polygon_files import NO_CRS, first_polygon_layer, library_reason, may_be_lonlat

READ_ERRORS = (DataSourceError, DataLayerError, CRSError, FeatureError, FieldError, GeometryError, OSError)


class StudyAreaError(ValueError):
    """The layer cannot serve as a study area; the message is meant for the user."""


def read_study_area(path: str | Path, layer: str | int | None = None) -> shapely.Geometry:
    """The union of the polygons of `layer` (default: the file's first polygon layer) in EPSG:3857."""
    path = Path(path)
    if not path.exists():
        raise StudyAreaError(f"{path}: no such file")
    try:
        if layer is None:
            layer = first_polygon_layer(pyogrio.list_layers(path))
            if layer is None:
                raise StudyAreaError(f"{path}: the file has no layers")
        frame = pyogrio.read_dataframe(path, layer=layer, columns=[], on_invalid="ignore")
    except READ_ERRORS as exc:
        raise StudyAreaError(f"{path}: cannot be read as a map layer ({library_reason(exc, path)})") from None
    geometries = shapely.make_valid(np.asarray(frame.geometry.array, dtype=object))
    polygons = [g for g in map(polygonal, geometries) if not g.is_empty]
    if not polygons:
        raise StudyAreaError(f"{path}: the layer has no polygons (a study area must be an area, not points or lines)")
    crs = frame.crs
    if crs is None:
        if not may_be_lonlat(shapely.total_bounds(polygons)):
            raise StudyAreaError(f"{path}: {NO_CRS}")
        crs = "EPSG:4326"  # what GeoJSON means by default, and the only guess coordinates like these allow
    try:
        lonlat = gpd.GeoSeries(polygons, crs=crs).to_crs("EPSG:4326")
        # Web Mercator is undefined at the poles: a layer reaching them (a world map) is cut at the map's limit.
        band = lonlat.clip_by_rect(-180.0, -MAX_MERCATOR_LAT, 180.0, MAX_MERCATOR_LAT)
        mercator = shapely.make_valid(np.asarray(band.set_crs("EPSG:4326").to_crs("EPSG:3857").array, dtype=object))
    except Exception as exc:  # pyproj raises several types for an unusable CRS definition
        raise StudyAreaError(f"{path}: cannot be reprojected to the map ({library_reason(exc, path)})") from None
    area = polygonal(shapely.union_all(mercator))
    if area.is_empty:
        raise StudyAreaError(f"{path}: the layer's polygons lie outside the map (beyond ±85° latitude)")
    return area
