"""What reading a polygon file (GeoPackage, Shapefile, GeoJSON) needs wherever the app reads one: the study area
(io/study_area.py) and unit layers (io/unit_layers.py). Each reader raises its own error with these answers."""

from __future__ import annotations

from pathlib import Path


def first_polygon_layer(layers) -> str | None:
    """The first layer declared as polygons, else the first layer (a GeoJSON of mixed features declares none);
    None when the file has no layers. `layers`: pyogrio.list_layers(path)."""
    if len(layers) == 0:
        return None
    for name, geometry_type in layers:
        if geometry_type and "polygon" in str(geometry_type).lower():
            return name
    return layers[0][0]


def may_be_lonlat(bounds) -> bool:
    """Whether coordinates without a reference system can only be longitude/latitude (then they are taken as
    EPSG:4326, what GeoJSON means by default); `bounds`: (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = bounds
    return -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90


NO_CRS = ("the layer has no coordinate reference system (for a shapefile, the .prj file is missing) and its "
          "coordinates are not longitude/latitude")


def library_reason(exc: Exception, path: Path) -> str:
    """The library's message, without the path that our message already starts with."""
    return str(exc).replace(str(path), "the file").strip() or type(exc).__name__
