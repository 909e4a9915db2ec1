"""Territories as polygons with their measures, for GIS tools: GeoPackage or GeoJSON (WGS84 lon/lat). With a unit
layer a territory is the union of its units (what the CRM routes by), else the Voronoi region of its accounts."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from desktop_planner.core.measures import MEASURES
from desktop_planner.core.model import Plan, Scenario
from desktop_planner.core.regions import RegionMap
from desktop_planner.core.summary import SUMMARY_DEVIATIONS, scenario_summary
from desktop_planner.core.units import UnitState
from desktop_planner.io.export import ExportError

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def territories_frame(plan: Plan, scenario: Scenario, region_map: RegionMap | None = None,
                      contiguity=None) -> gpd.GeoDataFrame:
    """One row per territory with every figure of the summary. Its polygon is the union of its units when the
    plan has a unit layer (with columns `units` and `unit_layer`), else the Voronoi cells of its accounts."""
    summary = scenario_summary(plan, scenario, contiguity=contiguity)
    rows, ids = [], []
    for t in summary["territories"]:
        row = {"territory": t["name"], "rep": t["rep_name"], "region": t["region"], "color": t["color"],
               "locked": t["locked"], "capacity_hours": t["capacity_hours"], "home_lon": t["home_lon"],
               "home_lat": t["home_lat"], "contiguous": t["contiguous"], "pieces": t["pieces"]}
        row.update({m: t[m] for m in MEASURES})
        row.update({f"deviation_{k}": t["deviation"][k] for k in SUMMARY_DEVIATIONS})
        rows.append(row)
        ids.append(t["id"])
    if plan.units is not None:
        geometries, counts = unit_polygons(plan.units, plan, scenario, ids)
        for row, count in zip(rows, counts):
            row["units"] = count
            row["unit_layer"] = plan.units.layer.label  # says "approximate" for ZIP cells built from centroids
        return gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4326")
    region_map = region_map or RegionMap(plan.accounts)
    regions = region_map.build(scenario.territory_ids(), scenario.assignment)
    geometries = [shapely.make_valid(regions.get(tid, shapely.Polygon())) for tid in ids]
    return gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:3857").to_crs("EPSG:4326")


def unit_polygons(state: UnitState, plan: Plan, scenario: Scenario,
                  territory_ids: list[int]) -> tuple[list, list[int]]:
    """Per territory (lon/lat) the union of the polygons of its units, empty when it has none, and their number."""
    territory = state.of(plan, scenario).territory
    geometries = state.layer.geometries
    shapes, counts = [], []
    for tid in territory_ids:
        members = geometries[territory == tid]
        counts.append(len(members))
        shapes.append(shapely.make_valid(dissolve(members)) if len(members) else shapely.Polygon())
    return shapes, counts


def dissolve(polygons) -> shapely.Geometry:
    """The union of polygons that tile the ground. A clean layer (the Census files, the ZIP cells) is a coverage,
    whose union only drops the shared edges: exact and many times faster than a general union. A layer whose
    neighbours overlap or do not share vertices (a user's file) makes the coverage union raise or come out
    invalid, and the general union then does the work: repairing the invalid result instead would drop the
    overlaps as holes."""
    try:
        union = shapely.coverage_union_all(polygons)
        if shapely.is_valid(union):
            return union
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(polygons)


def export_territories(plan: Plan, scenario: Scenario, path: str | Path, region_map: RegionMap | None = None,
                       contiguity=None) -> int:
    """Write the territories to .gpkg (layer 'territories') or .geojson; returns the number of territories."""
    path = Path(path)
    driver = DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise ExportError(f"{path}: choose a .gpkg or .geojson file name for territories")
    if path.exists() and not path.is_file():
        raise ExportError(f"{path}: is not a file; choose a .gpkg or .geojson file name")
    frame = territories_frame(plan, scenario, region_map, contiguity)
    tmp = path.with_name(f".{path.name}.partial{path.suffix}")
    try:
        tmp.unlink(missing_ok=True)
        pyogrio.write_dataframe(frame, tmp, driver=driver, layer="territories" if driver == "GPKG" else None)
        tmp.replace(path)
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{path}: cannot be written ({exc})") from None
    return len(frame)
