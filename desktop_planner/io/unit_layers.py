"""Geography unit layers: built-in US states and counties, approximate US ZIP areas, or any polygon layer.

    layer = load_unit_layer("us-counties")                       # Census 2016 cartographic boundaries, 1:500k
    layer = load_unit_layer("us-zip", states={"NY", "NJ"})       # Voronoi cells of ZIP centroids (approximate)
    layer = load_unit_layer("bricks.gpkg", id_column="BRICK", name_column="NAME")

The US states and counties come from the Census cartographic boundary shapefiles that the `plotly-geo` package
ships (MIT licence; NAD83 longitude/latitude, no .prj beside them). Every failure is a `UnitLayerError` whose
message names the file and the reason, listing the columns there are when one asked for is missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from desktop_planner.core.regions import polygonal
from desktop_planner.core.units import UnitLayer, polygon_area_km2
from desktop_planner.io.polygon_files import NO_CRS, first_polygon_layer, library_reason, may_be_lonlat

BUILT_IN = ("us-states", "us-counties", "us-zip")
CENSUS_SOURCE = "US Census cartographic boundaries 2016, 1:500k"
STATE_FILE, COUNTY_FILE = "cb_2016_us_state_500k.shp", "cb_2016_us_county_500k.shp"
ID_GUESSES = ("id", "code", "geoid", "fips", "zip", "zcta5ce10", "zcta5ce20", "postcode", "unit_id", "unit")
NAME_GUESSES = ("name", "label", "title", "unit_name", "namelsad", "name_en")


class UnitLayerError(ValueError):
    """The layer cannot be used; the message is meant for the user."""


def census_folder() -> Path:
    try:
        import _plotly_geo
    except ImportError:
        raise UnitLayerError("the built-in US layers need the plotly-geo package (pip install plotly-geo)") from None
    return Path(_plotly_geo.__file__).parent / "package_data"


def _read_census(name: str, columns: list[str]):
    import pyogrio
    path = census_folder() / name
    try:
        frame = pyogrio.read_dataframe(path, columns=columns)
    except Exception as exc:  # pyogrio raises several types; the message is what matters
        raise UnitLayerError(f"{path}: cannot be read ({exc})") from None
    # The shapefiles have no .prj: they are NAD83 longitude/latitude, which is WGS84 to about a metre.
    return frame.set_crs("EPSG:4269", allow_override=True)


def state_codes() -> dict[str, str]:
    """State FIPS code -> postal abbreviation ('36' -> 'NY')."""
    frame = _read_census(STATE_FILE, ["STATEFP", "STUSPS"])
    return dict(zip(frame["STATEFP"], frame["STUSPS"]))


def _keep_states(frame, states: set[str] | None, column: str):
    if states is None:
        return frame
    return frame[frame[column].isin(states)].reset_index(drop=True)


def us_states(states: set[str] | None = None) -> UnitLayer:
    """The 50 states, DC and the territories in the file; id = postal code ('NY'), name = 'New York'."""
    frame = _keep_states(_read_census(STATE_FILE, ["STUSPS", "NAME", "STATEFP"]), states, "STUSPS")
    geometries = shapely.make_valid(np.asarray(frame.geometry.array, dtype=object))
    return UnitLayer("us-states", CENSUS_SOURCE, frame["STUSPS"].to_numpy(object), frame["NAME"].to_numpy(object),
                     geometries, polygon_area_km2(geometries), parents=frame["STUSPS"].to_numpy(object),
                     id_column="STUSPS", name_column="NAME")


def us_counties(states: set[str] | None = None) -> UnitLayer:
    """About 3,230 counties and equivalents; id = 5-digit FIPS ('36047'), name = 'Kings, NY'."""
    frame = _read_census(COUNTY_FILE, ["GEOID", "NAME", "STATEFP"])
    codes = state_codes()
    frame["STUSPS"] = frame["STATEFP"].map(codes)
    frame = _keep_states(frame, states, "STUSPS").sort_values("GEOID").reset_index(drop=True)
    geometries = shapely.make_valid(np.asarray(frame.geometry.array, dtype=object))
    names = (frame["NAME"] + ", " + frame["STUSPS"].fillna("")).to_numpy(object)
    return UnitLayer("us-counties", CENSUS_SOURCE, frame["GEOID"].to_numpy(object), names, geometries,
                     polygon_area_km2(geometries), parents=frame["STUSPS"].to_numpy(object),
                     id_column="GEOID", name_column="NAME")


def load_unit_layer(spec: str | Path, id_column: str | None = None, name_column: str | None = None,
                    states: set[str] | None = None, cache_dir: Path | None = None,
                    layer_name: str | None = None) -> UnitLayer:
    """A built-in layer by name (optionally only the units of some states, by postal code) or a file."""
    text = str(spec)
    if text == "us-states":
        return us_states(states)
    if text == "us-counties":
        return us_counties(states)
    if text == "us-zip":
        from desktop_planner.io.zip_cells import us_zip_layer
        return us_zip_layer(states, cache_dir=cache_dir)
    return read_polygon_layer(Path(spec), id_column, name_column, layer_name)


def describe_layer_file(path: Path, layer_name: str | None = None) -> tuple[list[str], str, list[str]]:
    """The file's layer names, the layer chosen (`layer_name`, else the first polygon layer) and its columns,
    from the file's description only (milliseconds)."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError
    path = Path(path)
    if not path.exists():
        raise UnitLayerError(f"{path}: no such file")
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise UnitLayerError(f"{path}: is a folder, not a map layer")
    try:
        layers = pyogrio.list_layers(path)
        layer = layer_name if layer_name is not None else first_polygon_layer(layers)
        if layer is None:
            raise UnitLayerError(f"{path}: the file has no layers")
        info = pyogrio.read_info(path, layer=layer)
    except UnitLayerError:
        raise
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise UnitLayerError(f"{path}: cannot be read as a map layer ({library_reason(exc, path)})") from None
    return [str(name) for name, _ in layers], str(layer), [str(f) for f in info["fields"]]


def read_polygon_layer(path: Path, id_column: str | None = None, name_column: str | None = None,
                       layer_name: str | None = None) -> UnitLayer:
    """Polygons of a GeoPackage, Shapefile, GeoJSON (anything GDAL reads), reprojected to lon/lat. Rows without
    an id or a polygon are refused with their numbers; a repeated id is an error (a unit must be one row)."""
    import pyogrio
    _, layer, fields = describe_layer_file(path, layer_name)
    id_column = _column(path, fields, id_column, ID_GUESSES, "id")
    name_column = _column(path, fields, name_column, NAME_GUESSES, "name", fallback=id_column)
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, columns=sorted({id_column, name_column}),
                                       on_invalid="ignore")
    except Exception as exc:
        raise UnitLayerError(f"{path}: cannot be read as a map layer ({library_reason(exc, path)})") from None
    if frame.crs is None:
        if not may_be_lonlat(frame.total_bounds if len(frame) else (0, 0, 0, 0)):
            raise UnitLayerError(f"{path}: {NO_CRS}")
        frame = frame.set_crs("EPSG:4326")
    try:
        frame = frame.to_crs("EPSG:4326")
    except Exception as exc:
        raise UnitLayerError(f"{path}: cannot be reprojected to longitude/latitude ({library_reason(exc, path)})") from None
    ids = [_id_text(v) for v in frame[id_column].tolist()]
    geometries = np.asarray(frame.geometry.array, dtype=object)
    valid = shapely.make_valid(geometries)
    polygons = np.array([_polygonal(g) for g in valid], dtype=object)
    problems = [f"row {i + 1}: no {id_column}" for i, v in enumerate(ids) if v is None]
    problems += [f"row {i + 1} ({ids[i]}): not a polygon" for i, g in enumerate(polygons) if g is None]
    seen: dict[str, int] = {}
    for i, v in enumerate(ids):
        if v is not None and v in seen:
            problems.append(f"row {i + 1}: {id_column} {v!r} repeats row {seen[v] + 1}")
        elif v is not None:
            seen[v] = i
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise UnitLayerError(f"{path}: {len(problems)} features cannot be units ({shown})")
    if not len(ids):
        raise UnitLayerError(f"{path}: the layer has no features")
    names = [_id_text(v) or ids[i] for i, v in enumerate(frame[name_column].tolist())]
    return UnitLayer("file", str(path.name), ids, names, polygons, polygon_area_km2(polygons),
                     id_column=id_column, name_column=name_column)


def _column(path: Path, fields: list[str], chosen: str | None, guesses: tuple[str, ...], what: str,
            fallback: str | None = None) -> str:
    listing = ", ".join(fields) if fields else "none"
    if chosen is not None:
        if chosen in fields:
            return chosen
        folded = [f for f in fields if f.lower() == chosen.lower()]
        if len(folded) == 1:
            return folded[0]
        raise UnitLayerError(f"{path}: no column {chosen!r} for the unit {what} (the layer has: {listing})")
    for guess in guesses:
        folded = [f for f in fields if f.lower() == guess]
        if folded:
            return folded[0]
    if fallback is not None:
        return fallback
    raise UnitLayerError(f"{path}: choose the column holding the unit {what} with --{what}-column (the layer "
                         f"has: {listing})")


def _id_text(value) -> str | None:
    """Ids as text: 7.0 read from a float column is '7'; empty and missing are None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _polygonal(geometry):
    """The polygons of a (made valid) geometry, or None when it has none."""
    found = polygonal(geometry)
    return None if found.is_empty else found
