"""Approximate US ZIP areas: Voronoi cells of the ZIP centroids, each cut to its county.

No package ships ZIP (ZCTA) polygons, but `zipcodes` has a centroid for every ZIP. Within each county the
standard (delivery-area) ZIPs whose centroid lies there split the county into Voronoi cells; a county without
any such centroid joins the cell of the nearest one. The cells cover every county exactly once and follow county
lines, which real ZIP areas do not always do: the layer is marked approximate wherever it is shown or exported.
PO box, single-organisation and military ZIPs get no cell (they mostly share a town's centroid); an account
with such a postcode is placed by its location.

Building all of the US takes several seconds, so the cells are cached per machine (a small SQLite file in the
user's cache folder), state by state: a project in the Northeast never waits for California.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import numpy as np
import shapely

from desktop_planner.core.units import UnitLayer

ZIP_SOURCE = "the area nearest each ZIP code's centre, cut to its Census 2016 county"
CACHE_VERSION = 1  # bump when the construction changes: old cache files are then ignored


def default_cache_dir() -> Path:
    """The user's cache folder for this app (read when called, never at import)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "desktop_planner"


def us_zip_layer(states: set[str] | None = None, cache_dir: Path | None = None) -> UnitLayer:
    """The ZIP cells of the given states (postal codes; None: every state), from the cache where built before."""
    from desktop_planner.io.unit_layers import state_codes
    wanted = set(state_codes().values()) if states is None else set(states)
    rows = _Cache(cache_dir or default_cache_dir()).cells(wanted)
    rows.sort(key=lambda r: r[0])
    ids = [r[0] for r in rows]
    geometries = shapely.from_wkb([r[4] for r in rows]) if rows else np.empty(0, dtype=object)
    return UnitLayer("us-zip", ZIP_SOURCE, ids, [r[1] for r in rows], geometries, [r[3] for r in rows],
                     parents=[r[2] for r in rows], approximate=True, id_column="zip", name_column="city")


class _Cache:
    def __init__(self, folder: Path) -> None:
        self.path = folder / f"us_zip_cells_v{CACHE_VERSION}.sqlite"

    def cells(self, states: set[str]) -> list[tuple]:
        """(zip, name, state, area_km2, wkb) of the states, building (and caching) those not built yet."""
        conn = self._connect()
        if conn is None:  # no writable cache folder: build every time
            return [row for row in build_zip_cells(states)]
        try:
            built = {r[0] for r in conn.execute("SELECT state FROM built")}
            missing = states - built
            if missing:
                rows = build_zip_cells(missing)
                with conn:
                    conn.executemany("INSERT OR REPLACE INTO cells VALUES (?, ?, ?, ?, ?)", rows)
                    conn.executemany("INSERT OR REPLACE INTO built VALUES (?)", [(s,) for s in missing])
            marks = ", ".join("?" * len(states))
            return conn.execute(f"SELECT zip, name, state, area_km2, wkb FROM cells WHERE state IN ({marks})",
                                sorted(states)).fetchall()
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30)
            conn.execute("CREATE TABLE IF NOT EXISTS built (state TEXT PRIMARY KEY)")
            conn.execute("CREATE TABLE IF NOT EXISTS cells (zip TEXT PRIMARY KEY, name TEXT, state TEXT, "
                         "area_km2 REAL, wkb BLOB)")
            return conn
        except (OSError, sqlite3.Error):
            return None


def _zip_sites():
    """Active standard ZIPs with a centroid: zip, 'City, ST', lon, lat (one per distinct location)."""
    import zipcodes
    seen: set[tuple[float, float]] = set()
    out = []
    for e in zipcodes.list_all():
        if e.get("zip_code_type") != "STANDARD" or not e.get("active"):
            continue
        try:
            lon, lat = float(e["long"]), float(e["lat"])
        except (TypeError, ValueError, KeyError):
            continue
        if (lon, lat) in seen or not (lon or lat):
            continue  # two ZIPs at one point cannot both have a Voronoi cell; the first keeps it
        seen.add((lon, lat))
        out.append((e["zip_code"], f"{(e.get('city') or '').title()}, {e.get('state') or ''}", lon, lat))
    return out


def build_zip_cells(states: set[str]) -> list[tuple]:
    """(zip, name, state, area_km2, wkb) for every cell in the counties of `states`."""
    from desktop_planner.io.unit_layers import us_counties
    counties = us_counties()  # all of them: a centroid is matched to its county wherever that lies
    sites = _zip_sites()
    codes = np.array([s[0] for s in sites], dtype=object)
    names = np.array([s[1] for s in sites], dtype=object)
    xy = np.array([(s[2], s[3]) for s in sites], dtype=np.float64)
    county_of = _county_of_sites(counties, xy)
    in_states = np.isin(counties.parents.astype(str), sorted(states))
    result_zip, result_geom, result_county = [], [], []
    for c in np.flatnonzero(in_states).tolist():
        members = np.flatnonzero(county_of == c)
        if len(members) == 0:
            continue
        county = counties.geometries[c]
        if len(members) == 1:
            cells = [county]
        else:
            points = shapely.multipoints(xy[members])
            x0, y0, x1, y1 = county.bounds
            frame = shapely.box(x0 - 1, y0 - 1, x1 + 1, y1 + 1)
            # ordered=True: cell k belongs to point k, so no search is needed to match them.
            cells = list(shapely.voronoi_polygons(points, extend_to=frame, ordered=True).geoms)
        result_zip.extend(members.tolist())
        result_geom.extend(cells)
        result_county.extend([c] * len(members))
    if not result_zip:
        return []
    geoms = np.array(result_geom, dtype=object)
    county_geoms = counties.geometries[np.array(result_county)]
    single = geoms == county_geoms
    clipped = np.where(single, geoms, shapely.intersection(geoms, county_geoms, grid_size=None))
    clipped = shapely.make_valid(clipped)
    clipped = _absorb_empty_counties(counties, in_states, county_of, np.array(result_county), clipped, xy,
                                     np.array(result_zip))
    from desktop_planner.core.units import polygon_area_km2
    area = polygon_area_km2(clipped)
    site = np.array(result_zip)
    parents = counties.parents[np.array(result_county)]
    return list(zip(codes[site].tolist(), names[site].tolist(), parents.tolist(), area.tolist(),
                    shapely.to_wkb(clipped).tolist()))


def _county_of_sites(counties: UnitLayer, xy: np.ndarray) -> np.ndarray:
    """County index per ZIP centroid; a centroid in the water off a generalised coastline goes to the nearest
    county within 25 km, and beyond that (a ZIP of an island the boundaries leave out) to none."""
    points = shapely.points(xy)
    county_of = np.full(len(xy), -1, dtype=np.int64)
    c, p = shapely.STRtree(points).query(counties.geometries, predicate="intersects")  # prepared counties
    order = np.lexsort((c, p))
    p, c = p[order], c[order]
    first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.empty(0, dtype=bool)
    county_of[p[first]] = c[first]
    outside = np.flatnonzero(county_of < 0)
    if len(outside):
        (near_p, near_c) = counties.tree().query_nearest(points[outside], all_matches=False, max_distance=0.25)
        county_of[outside[near_p]] = near_c
    return county_of


def _absorb_empty_counties(counties: UnitLayer, in_states: np.ndarray, county_of: np.ndarray,
                           cell_county: np.ndarray, cells: np.ndarray, xy: np.ndarray, cell_site: np.ndarray):
    """A county of the chosen states without any ZIP centroid joins the cell of the nearest centroid of the same
    state, so the cells cover every county."""
    has_site = np.zeros(len(counties), dtype=bool)
    has_site[county_of[county_of >= 0]] = True
    empty = np.flatnonzero(in_states & ~has_site)
    if len(empty) == 0:
        return cells
    from scipy.spatial import cKDTree
    cells = cells.copy()
    for c in empty.tolist():
        same_state = np.flatnonzero(counties.parents[cell_county] == counties.parents[c])
        if len(same_state) == 0:
            continue
        anchor = shapely.get_coordinates(shapely.point_on_surface(counties.geometries[c]))[0]
        near = same_state[cKDTree(xy[cell_site[same_state]]).query(anchor)[1]]
        cells[near] = shapely.union(cells[near], counties.geometries[c])
    return cells
