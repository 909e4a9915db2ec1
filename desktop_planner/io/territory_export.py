"""Territories as polygons with their measures, for GIS tools: GeoPackage or GeoJSON (WGS84 lon/lat)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from desktop_planner.core.measures import MEASURES
from desktop_planner.core.model import Plan, Scenario
from desktop_planner.core.regions import RegionMap
from desktop_planner.core.summary import SUMMARY_DEVIATIONS, scenario_summary
from desktop_planner.io.export import ExportError

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def territories_frame(plan: Plan, scenario: Scenario, region_map: RegionMap | None = None,
                      contiguity=None) -> gpd.GeoDataFrame:
    """One row per territory: its region (Voronoi cells of its accounts) and every figure of the summary."""
    region_map = region_map or RegionMap(plan.accounts)
    regions = region_map.build(scenario.territory_ids(), scenario.assignment)
    summary = scenario_summary(plan, scenario, contiguity=contiguity)
    rows, geometries = [], []
    for t in summary["territories"]:
        row = {"territory": t["name"], "rep": t["rep_name"], "region": t["region"], "color": t["color"],
               "locked": t["locked"], "capacity_hours": t["capacity_hours"], "home_lon": t["home_lon"],
               "home_lat": t["home_lat"], "contiguous": t["contiguous"], "pieces": t["pieces"]}
        row.update({m: t[m] for m in MEASURES})
        row.update({f"deviation_{k}": t["deviation"][k] for k in SUMMARY_DEVIATIONS})
        rows.append(row)
        geometries.append(shapely.make_valid(regions.get(t["id"], shapely.Polygon())))
    frame = gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:3857")
    return frame.to_crs("EPSG:4326")


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
