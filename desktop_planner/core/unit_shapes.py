"""Geography units ready to draw and to pick on the map: their polygons in map coordinates (Web Mercator metres) at
a few levels of detail, the lines each pair of neighbours shares, and a representative point per unit.

Why levels: the US ZIP areas hold 1.2M vertices and the counties 1.0M; filling them all takes ~100 ms a paint,
yet a whole-country view shows a pixel for every 3-4 km. Each level is simplified to a tolerance in metres and the
map draws the coarsest level whose tolerance stays under a pixel, so the vertices drawn stay about as many as the
pixels they fall on, whatever the zoom (plus culling to the view when zoomed in).

Why shared lines: a territory border is where two neighbouring units belong to different territories. With the
line each neighbouring pair shares kept per level, the borders of any assignment (a preview included) are a
selection of lines, not a dissolve of polygons (which takes ~20 ms a territory).

Everything is flat arrays ("ragged" by unit or by neighbour pair): drawing a set of units gathers their slices,
and the child process that builds them hands them over as files (core.region_cells.spill), memory-mapped here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import shapely

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.core.region_cells import spill, unspill
from desktop_planner.core.units import UnitLayer, unit_adjacency

# Tolerances of the simplified levels, coarse to fine, in metres; the finest level is the layer as it is. A factor
# of 4 between levels keeps the vertices drawn within a factor of 4 of the ideal.
LEVEL_TOLERANCES_M = (8000.0, 2000.0, 500.0, 125.0)
LABEL_TOLERANCE_M = 125.0
SHARED_REACH_M = 2.0
SHAPES_VERSION = 3  # bump when what build_unit_shapes makes changes: shapes kept in the cache are then built anew
LINE_TYPES = (1, 2)  # shapely type ids: LineString, LinearRing


@dataclass
class Ragged:
    """Vertices of many polylines grouped by owner: owner k's vertices are xy[start[k]:start[k + 1]]; `connect[i]`
    is 0 where vertex i ends a ring or a line (pyqtgraph's arrayToQPath convention), else 1."""
    xy: np.ndarray  # (n, 2) float64
    connect: np.ndarray  # (n,) int32
    start: np.ndarray  # (owners + 1,) int64

    def gather(self, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x, y and connect of the owners given, one after the other."""
        owners = np.asarray(owners, dtype=np.int64)
        lengths = self.start[owners + 1] - self.start[owners]
        total = int(lengths.sum())
        if total == 0:
            empty = np.empty(0)
            return empty, empty, np.empty(0, dtype=np.int32)
        # Index of every vertex of every owner: a running count, shifted at each owner's first vertex.
        first = np.cumsum(lengths) - lengths
        index = np.arange(total, dtype=np.int64) + np.repeat(self.start[owners] - first, lengths)
        connect = self.connect[index].copy()
        ends = np.cumsum(lengths[lengths > 0]) - 1
        connect[ends] = 0  # never join one owner's last vertex to the next owner's first
        return self.xy[index, 0], self.xy[index, 1], connect


def _ragged(geometries: np.ndarray, owner_count: int, polygons: bool) -> Ragged:
    """Polygon rings (holes included) or lines of each geometry, as a Ragged by geometry."""
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    if polygons:
        pieces, piece_part = shapely.get_rings(parts, return_index=True)
    else:
        kinds = shapely.get_type_id(parts)
        piece_part = np.flatnonzero(np.isin(kinds, LINE_TYPES))
        pieces = parts[piece_part]
    piece_owner = part_owner[piece_part]
    coords, piece_of_vertex = shapely.get_coordinates(pieces, return_index=True)
    connect = np.ones(len(coords), dtype=np.int32)
    if len(coords):
        connect[np.flatnonzero(np.diff(piece_of_vertex))] = 0
        connect[-1] = 0
    owner_of_vertex = piece_owner[piece_of_vertex]
    start = np.searchsorted(owner_of_vertex, np.arange(owner_count + 1)).astype(np.int64)
    return Ragged(np.ascontiguousarray(coords, dtype=np.float64), connect, start)


@dataclass
class UnitShapes:
    """A unit layer ready for the map. `fills[k]`/`lines[k]` are the units' rings and the neighbours' shared lines at
    `tolerances[k]` metres (0 for the last, the layer itself)."""
    ids: np.ndarray  # object: unit ids, for labels
    names: np.ndarray  # object
    tolerances: tuple[float, ...]
    fills: list[Ragged]
    lines: list[Ragged]
    edges: np.ndarray  # (m, 2) neighbouring units, lines[k] owner j is edges[j]
    points: np.ndarray  # (n, 2) a point inside each unit (for labels, the lasso and the brush)
    radius: np.ndarray  # (n,) metres: the unit's largest inscribed circle around `points`, the room for a name
    bounds: np.ndarray  # (n, 4) xmin, ymin, xmax, ymax

    def __len__(self) -> int:
        return len(self.ids)

    def level_for(self, metres_per_pixel: float) -> int:
        """The coarsest level whose simplification stays under a pixel."""
        for level, tolerance in enumerate(self.tolerances):
            if tolerance <= metres_per_pixel:
                return level
        return len(self.tolerances) - 1

    def units_in(self, x_min: float, y_min: float, x_max: float, y_max: float) -> np.ndarray:
        """Units whose bounding box meets the rectangle (a vectorised test: ~0.1 ms for 30k units)."""
        b = self.bounds
        return np.flatnonzero((b[:, 0] <= x_max) & (b[:, 2] >= x_min) & (b[:, 1] <= y_max) & (b[:, 3] >= y_min))

    def unit_at(self, x: float, y: float) -> int:
        """The unit whose polygon (at full detail) holds the point, or -1: a crossing-number test over the rings of
        the few units whose box holds it (holes are rings too, so the even-odd rule leaves them out)."""
        exact = self.fills[-1]
        for unit in self.units_in(x, y, x, y).tolist():
            ring = exact.xy[exact.start[unit]:exact.start[unit + 1]]
            joined = exact.connect[exact.start[unit]:exact.start[unit + 1] - 1] == 1
            (ax, ay), (bx, by) = ring[:-1][joined].T, ring[1:][joined].T
            spans = (ay > y) != (by > y)
            crossing = ax[spans] + (y - ay[spans]) * (bx[spans] - ax[spans]) / (by[spans] - ay[spans])
            if np.count_nonzero(crossing > x) % 2:
                return int(unit)
        return -1

    def border_edges(self, territory: np.ndarray) -> np.ndarray:
        """Neighbour pairs (indices into `edges`) whose units are in different territories: the borders."""
        return np.flatnonzero(territory[self.edges[:, 0]] != territory[self.edges[:, 1]])


def build_unit_shapes(layer: UnitLayer, progress: Callable[[float, str], None] | None = None,
                      tolerances: tuple[float, ...] = LEVEL_TOLERANCES_M) -> UnitShapes:
    """The layer's shapes for the map (~4 s for the 3,233 US counties, ~8 s for the ~30k ZIP areas)."""
    report = progress or (lambda _fraction, _text: None)
    n = len(layer)
    report(0.0, "Projecting the units")
    exact = shapely.transform(np.asarray(layer.geometries, dtype=object),
                              lambda xy: np.column_stack(lonlat_to_mercator(xy[:, 0], xy[:, 1])))
    exact = shapely.orient_polygons(exact)  # exteriors one way, holes the other: a winding fill keeps holes open
    report(0.1, "Finding neighbouring units")
    edges = unit_adjacency(layer)
    # The line two neighbours share: the part of one's outline within SHARED_REACH_M of the other. Intersecting
    # the two outlines would only find vertex-identical stretches, and ZIP areas cut to different counties (or
    # any layer digitised unit by unit) share borders that differ by centimetres: a sixth of the ZIP borders
    # between territories came out with gaps.
    boundaries = shapely.boundary(exact)
    reach = shapely.buffer(exact, SHARED_REACH_M, quad_segs=1)
    shared = shapely.line_merge(shapely.intersection(boundaries[edges[:, 0]], reach[edges[:, 1]]))
    levels = tuple(tolerances) + (0.0,)
    fills, lines, fill_shapes = [], [], []
    for k, tolerance in enumerate(levels):
        report(0.3 + 0.7 * k / len(levels), f"Simplifying the units for the map ({k + 1} of {len(levels)})")
        if tolerance > 0:
            polygons = shapely.orient_polygons(_simplified_coverage(exact, tolerance))
            borders = shapely.simplify(shared, tolerance, preserve_topology=False)
        else:
            polygons, borders = exact, shared
        fills.append(_ragged(polygons, n, polygons=True))
        fill_shapes.append(polygons)
        lines.append(_ragged(borders, len(edges), polygons=False))
    # The middle of each unit's largest inscribed circle: where its name goes, and the point the lasso and the
    # rectangle test. The circle's radius says how long a name fits (two names never overlap when each stays in
    # its own circle). Found on a level a little finer than a name is large (~1-2 s for the ZIP areas).
    label_level = next((k for k, t in enumerate(levels) if t <= LABEL_TOLERANCE_M), len(levels) - 1)
    circles = shapely.maximum_inscribed_circle(fill_shapes[label_level], tolerance=LABEL_TOLERANCE_M)
    centres = shapely.get_point(circles, 0)
    points = np.column_stack((shapely.get_x(centres), shapely.get_y(centres)))  # NaN for a unit without a shape
    radius = np.nan_to_num(shapely.length(circles), nan=0.0)
    report(1.0, "Units ready")
    return UnitShapes(np.asarray(layer.ids, dtype=object), np.asarray(layer.names, dtype=object), levels, fills,
                      lines, edges, points, radius, shapely.bounds(exact))


def _simplified_coverage(polygons: np.ndarray, tolerance: float) -> np.ndarray:
    """Neighbours simplified together, each shared edge once, so that no sliver of basemap shows between two
    units (simplified one by one they leave hairline gaps all over a country of ZIP areas). A layer that is not
    a clean coverage (overlaps) is simplified unit by unit instead."""
    try:
        return shapely.coverage_simplify(polygons, tolerance)
    except shapely.errors.GEOSException:
        return shapely.simplify(polygons, tolerance, preserve_topology=True)


def spill_shapes(shapes: UnitShapes, folder: str | None) -> UnitShapes:
    """The shapes with every large array saved to `folder` (see region_cells.spill); `unspill_shapes` reverses."""
    def ragged(r: Ragged) -> Ragged:
        return Ragged(spill(r.xy, folder), spill(r.connect, folder), spill(r.start, folder))
    return replace(shapes, fills=[ragged(r) for r in shapes.fills], lines=[ragged(r) for r in shapes.lines],
                   edges=spill(shapes.edges, folder), points=spill(shapes.points, folder),
                   radius=spill(shapes.radius, folder),
                   bounds=spill(shapes.bounds, folder))


def unspill_shapes(shapes: UnitShapes) -> UnitShapes:
    def ragged(r: Ragged) -> Ragged:
        return Ragged(unspill(r.xy), unspill(r.connect), unspill(r.start))
    return replace(shapes, fills=[ragged(r) for r in shapes.fills], lines=[ragged(r) for r in shapes.lines],
                   edges=unspill(shapes.edges), points=unspill(shapes.points), radius=unspill(shapes.radius),
                   bounds=unspill(shapes.bounds))
