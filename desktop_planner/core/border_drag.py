"""Boundary drag (DESIGN.md, "Map gestures"): bend the border between two territories through a dragged point.

    preview = drag_preview(region_map, border, grab_xy, drag_xy, assignment, locked, locked_territories)
    preview.accounts        row indices that change sides, all into `preview.into`
    preview.into            the territory that expands; `preview.from_territory` is the one that shrinks
    preview.tent            the swept area: the tent clipped to the two territories' regions
    preview.regions         {a: region, b: region} as they will look once the drag is committed

The grabbed point is snapped onto the border. The bent border runs from the border a little before the grab
point, through the drag point, back to the border a little after it; the stretch it replaces grows with the
drag distance (SPAN_PER_DRAG, between MIN_SPAN_SPACINGS and MAX_SPAN_SPACINGS typical account spacings) and
never leaves that border, so it ends at a corner where a third territory meets the two or at the study-area
edge. The tent is the area between the stretch and the bent border.

The border moves into the territory the drag point lies in (when it lies in neither, the one the tent covers
most), so dragging back across the original border reverses the direction. That territory loses its accounts
inside the tent to the other one; nothing else changes: a third territory's accounts stay even where the tent
reaches into it, and locked accounts or locked territories never move (the rule of commands.movable_accounts).
Commit with ONE `Reassign(scenario_id, preview.accounts, preview.into, action="drag")`.

The preview regions are made of the moved accounts' cells, so they are what `RegionMap.update` gives after the
commit; the tent is the smooth shape to draw over them. `region_map` must be up to date with `assignment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import shapely
from shapely.ops import substring

from desktop_planner.core.regions import EMPTY, Border, RegionMap, polygonal

# Half the replaced stretch per metre dragged: the bent border then rises at about 1 in 2, a gentle bend.
SPAN_PER_DRAG = 2.0
# Bounds of the half stretch, in typical account spacings: a short drag still bends a visible stretch, a long
# one does not swing a whole border around.
MIN_SPAN_SPACINGS = 0.5
MAX_SPAN_SPACINGS = 25.0


@dataclass(frozen=True)
class DragPreview:
    accounts: np.ndarray  # int64 row indices, sorted
    into: int  # the territory that expands and receives `accounts`
    from_territory: int  # the territory the border moved into, which loses them
    tent: shapely.Geometry  # Polygon | MultiPolygon (empty when the drag sweeps no area)
    regions: dict[int, shapely.Geometry]


def drag_preview(region_map: RegionMap, border: Border, grab_xy: tuple[float, float],
                 drag_xy: tuple[float, float], assignment: np.ndarray, locked: np.ndarray,
                 locked_territories: Iterable[int] = (), half_span: float | None = None) -> DragPreview:
    """What dragging `border` from `grab_xy` to `drag_xy` does (nothing is changed).

    `locked`: bool per account; `half_span`: the half length of the replaced stretch in metres, when the view
    wants its own (for instance a fixed number of screen pixels); by default it follows the drag distance.
    """
    a, b = border.a, border.b
    region_a, region_b = region_map.regions[a], region_map.regions[b]
    tent = _tent(border.line, grab_xy, drag_xy, half_span, region_map.spacing)
    from_territory = _territory_entered(drag_xy, tent, a, region_a, b, region_b)
    into = b if from_territory == a else a
    tent = polygonal(shapely.intersection(tent, shapely.union(region_a, region_b))) if not tent.is_empty else EMPTY
    regions = {a: region_a, b: region_b}
    if tent.is_empty or {a, b} & set(locked_territories):
        return DragPreview(np.empty(0, dtype=np.int64), into, from_territory, tent, regions)

    accounts = _accounts_inside(region_map, tent, np.flatnonzero((assignment == from_territory) & ~locked))
    if accounts.size:
        preview = assignment.copy()
        preview[accounts] = into
        spots = np.unique(region_map.spot_of_account[accounts])
        # A spot shared with accounts that stay may keep its owner, and with it its cell.
        handed_over = spots[(region_map.owners(preview, spots) == into)
                            & (region_map.owners(assignment, spots) == from_territory)]
        cells = region_map.merged_cells(handed_over)
        if not cells.is_empty:
            regions = {into: polygonal(shapely.union(regions[into], cells)),
                       from_territory: polygonal(shapely.difference(regions[from_territory], cells))}
    return DragPreview(accounts, into, from_territory, tent, regions)


def _tent(line: shapely.Geometry, grab_xy, drag_xy, half_span: float | None, spacing: float) -> shapely.Geometry:
    """The polygon between the stretch of `line` around the grab point and the bent border through drag_xy."""
    grab = shapely.Point(grab_xy)
    parts = shapely.get_parts(line)
    part = parts[np.argmin(shapely.distance(parts, grab))]
    length = part.length
    at = part.project(grab)
    if part.is_closed:
        # An enclave's border is a ring: walk it twice so that the stretch may run across the ring's start,
        # and bend at most half of it, so that the bend stays a bend of one side.
        coords = shapely.get_coordinates(part)
        part = shapely.LineString(np.concatenate((coords, coords[1:])))
        at += length
        limit = length / 4
    else:
        limit = np.inf
    snapped = np.asarray(part.interpolate(at).coords[0])
    drag = np.asarray(drag_xy, dtype=np.float64)
    distance = float(np.hypot(*(drag - snapped)))
    if half_span is None:
        half_span = np.clip(SPAN_PER_DRAG * distance, MIN_SPAN_SPACINGS * spacing, MAX_SPAN_SPACINGS * spacing)
    half_span = min(half_span, limit)
    if distance == 0 or half_span <= 0 or length == 0:
        return EMPTY
    stretch = substring(part, max(at - half_span, 0.0), min(at + half_span, part.length))
    ring = np.concatenate((shapely.get_coordinates(stretch), drag[None, :]))
    if len(ring) < 3:
        return EMPTY
    # Where the straight sides cross a winding border, the ring crosses itself; "structure" keeps every lobe.
    return polygonal(shapely.make_valid(shapely.Polygon(ring), method="structure", keep_collapsed=False))


def _territory_entered(drag_xy, tent, a: int, region_a, b: int, region_b) -> int:
    """The territory the border is being pushed into, which loses accounts."""
    x, y = drag_xy
    if shapely.contains_xy(region_a, x, y):
        return a
    if shapely.contains_xy(region_b, x, y):
        return b
    # Dragged out of both (into a third territory or off the study area): the side the tent mostly covers.
    if tent.is_empty:
        return a
    return a if shapely.intersection(tent, region_a).area >= shapely.intersection(tent, region_b).area else b


def _accounts_inside(region_map: RegionMap, tent: shapely.Geometry, candidates: np.ndarray) -> np.ndarray:
    """The candidates inside the tent: a bounding-box cut on the coordinate arrays first, so the exact test
    runs on the few accounts near the tent."""
    x, y = region_map.spots[region_map.spot_of_account[candidates]].T
    x0, y0, x1, y1 = tent.bounds
    near = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    shapely.prepare(tent)
    inside = shapely.contains_xy(tent, x[near], y[near])
    return candidates[near][inside]
