"""What a printed map draws besides the dots, made the way the window makes it and drawn by the window's own
layers, so that a picture looks like the app's map:

- territory regions: core.regions.RegionMap built for the scenario (as RegionsController does, clipped to the
  project's study area, the cells read from the project file's cache when it holds them), filled by RegionFills;
- territory names at the regions' label points (RegionMarks: larger territories first, none over a home);
- reps' homes (HomesLayer; hollow where the medoid stands in for a home not set);
- with a unit layer, the units coloured by their territory (UnitsView) instead of the regions' fills;
- the Alaska and Hawaii insets (render_places), when asked for.

It is derived once (`plan_contents`) and drawn in any number of views (`show_contents`): the map and its insets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from PySide6.QtCore import QRectF

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.core.model import Plan, Scenario
from desktop_planner.core.regions import RegionMap
from desktop_planner.core.unit_shapes import UnitShapes
from desktop_planner.ui.map.homes_layer import Home, HomesLayer
from desktop_planner.ui.map.regions_layer import RegionFills, RegionMarks, geometry_path
from desktop_planner.ui.map.render_places import Inset, find_insets
from desktop_planner.ui.window.controller import territory_colors


@dataclass
class MapContents:
    """What plan_contents derived, in Web Mercator metres."""
    regions: dict[int, shapely.Geometry]  # territory id -> its region (Web Mercator)
    labels: list[tuple[int, float, float, str, float]]  # territory id, x, y, name, area (the larger's name wins)
    homes: list[Home]
    spacing: float = 0.0  # metres: the regions reach about this far past the outermost accounts
    units: UnitShapes | None = None  # drawn instead of the regions' fills
    unit_territory: np.ndarray | None = None  # territory id per unit
    units_note: str = ""  # "Units: US counties", beside the basemap's attribution
    insets: list[Inset] = field(default_factory=list)


def plan_contents(plan: Plan, scenario: Scenario, study_area: shapely.Geometry | None = None, cache=None,
                  units: UnitShapes | None = None, insets: bool = False) -> MapContents:
    """Regions, names and homes of `scenario`; `units` (the plan's unit layer's shapes, store.unit_map_shapes)
    coloured by the scenario's unit territories; the Alaska and Hawaii insets with `insets`. `cache` is a
    store.derived_cache.FileCache of the project file (read only), which spares computing the Voronoi cells."""
    accounts = plan.accounts
    found = find_insets(accounts.lon, accounts.lat) if insets and len(accounts) else []
    contents = MapContents({}, [], _homes(plan, scenario), insets=found)
    if found:
        # Each map's regions of its own accounts: one study area around Ohio and Oahu is a strip across the
        # Pacific, which the main map would show.
        main = ~np.logical_or.reduce([inset.rows for inset in found])
        groups = [(main, None)] + [(inset.rows, None) for inset in found]
    else:
        groups = [(np.ones(len(accounts), dtype=bool), cache)]
    for i, (rows, group_cache) in enumerate(groups):
        spacing = _add_regions(contents, plan, scenario, rows, study_area, group_cache)
        if i == 0:
            contents.spacing = spacing
    if units is not None and plan.units is not None:
        contents.units = units
        contents.unit_territory = plan.units.of(plan, scenario).territory
        contents.units_note = f"Units: {plan.units.layer.label}"
    return contents


def _add_regions(contents: MapContents, plan: Plan, scenario: Scenario, rows: np.ndarray,
                 study_area: shapely.Geometry | None, cache) -> float:
    """The regions and label points of the accounts `rows`, added to `contents`; returns their spacing (m)."""
    if not rows.any():
        return 0.0
    accounts = plan.accounts
    region_map = RegionMap.of_xy(accounts.x[rows], accounts.y[rows], study_area)
    if cache is not None:
        cache.use_columns(accounts.ids, accounts.lon, accounts.lat)
    region_map.prepare(cache)  # what it derives for the cache stays in cache.pending: a picture writes nothing
    regions = region_map.build(scenario.territory_ids(), scenario.assignment[rows])
    for tid, region in regions.items():
        if not region.is_empty:
            before = contents.regions.get(tid)
            contents.regions[tid] = region if before is None else shapely.union(before, region)
    names = {t.id: t.name for t in scenario.territories.values()}
    points = region_map.label_points()
    areas = dict(zip(points, shapely.area(np.array([regions[tid] for tid in points], dtype=object)).tolist()))
    contents.labels += [(tid, x, y, names[tid], areas[tid]) for tid, (x, y) in points.items() if tid in names]
    return region_map.spacing


def _homes(plan: Plan, scenario: Scenario) -> list[Home]:
    """Each territory's home as the panel figures it (the medoid of its accounts where none is set)."""
    engine = MeasureEngine(plan)
    try:
        measures = engine.measures(scenario.id)
    finally:
        engine.close()
    territories = list(scenario.territories.values())
    colors = dict(zip((t.id for t in territories), territory_colors(territories)))
    x, y = lonlat_to_mercator(measures.home_lon, measures.home_lat)
    return [Home(tid, float(x[i]), float(y[i]), colors.get(tid, "#888888"), bool(measures.home_is_medoid[i]))
            for i, tid in enumerate(measures.territory_ids.tolist())
            if np.isfinite(x[i]) and np.isfinite(y[i])]  # an empty territory has no medoid


class PrintedMarks(RegionMarks):
    """The window's names, less those the map's edge would cut: on screen a pan reveals the rest of a name, on
    paper "3 Los Angeles" at an inset's edge reads as a fault."""

    def drawn_labels(self) -> list:
        rect = self.boundingRect()
        return [(name, box) for name, box in super().drawn_labels() if rect.contains(box)]


class ContentLayers:
    """The window's layers in an offscreen MapView, showing `contents`. `covered` is the rectangle of the view
    (its own pixels) drawn over later (the insets, the scale bar), where no territory name is placed."""

    def __init__(self, view, contents: MapContents, colors: dict[int, str], highlight: int | None) -> None:
        self.covered = QRectF()
        box = view.view_box
        self.fills = None
        if contents.units is not None:
            view.set_units(contents.units, contents.units_note)
            view.units.set_territories(contents.unit_territory, colors)
        elif contents.regions:
            self.fills = RegionFills(box)
            self.fills.set_colors(colors)
            self.fills.set_paths({tid: geometry_path(region) for tid, region in contents.regions.items()},
                                 replace=True)
        self.homes = HomesLayer(box)
        self.homes.set_homes(contents.homes)
        self.homes.set_active(highlight)
        self.marks = PrintedMarks(box)
        points = [(h.x, h.y) for h in contents.homes]
        self.marks.avoid(lambda: points)
        self.marks.set_covered(lambda: self.covered)
        # The highlighted territory's name always shows, as the active one's does in the window.
        self.marks.set_labels([(x, y, name, math.inf if tid == highlight else area)
                               for tid, x, y, name, area in contents.labels])
