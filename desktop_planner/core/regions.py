"""Territory regions for the map: Voronoi cells of the account locations, merged per territory, clipped to a
study area (DESIGN.md, "Map gestures").

API (all coordinates are map coordinates, Web Mercator metres):

    region_map = RegionMap(accounts, study_area=None)   # None: a buffered concave hull of the accounts
    region_map.build(territory_ids, assignment)         # -> {territory id: Polygon | MultiPolygon}, all of them
    region_map.update(territory_ids, assignment, changed=())   # -> only the regions that changed, recomputed
    region_map.regions, region_map.unassigned          # the current regions; the cells no territory owns
    region_map.label_points()                          # -> {territory id: (x, y)} inside its largest piece
    region_map.borders()                               # -> [Border(a, b, line)], a < b, shared by two territories
    region_map.nearest_border(x, y, max_distance)      # -> (Border, (x, y) on it) | None
    region_map.piece_outlines(labels)                  # -> {territory id: [piece, ...]} for split territories
    region_map.study_area, region_map.spacing          # the clip shape; a typical account spacing in metres

The boundary drag (border_drag.py) also reads `spots`, `spot_of_account`, `owners()` and `merged_cells()`.

Rules:
- Accounts at the same location share one cell. Its owner is the territory holding most of the accounts there
  (ties: the smaller territory id); unassigned accounts and ids not in `territory_ids` do not count.
- A cell with no owner belongs to no territory: together such cells form `unassigned` (empty if none), which
  the map may hatch. A territory without accounts has an empty region.
- Borders are only the lines two territories share: where a territory meets the study-area edge or an
  unassigned area there is nothing to drag.

The cells are computed once, on first use; an update re-merges only the territories whose cells changed owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import shapely

from desktop_planner.core.model import UNASSIGNED, Accounts, territory_index
from desktop_planner.core.rows import unique_rows

# GEOS concave hull by edge-length ratio: 0 is the tightest hull, 1 the convex hull. 0.1 cuts away large empty
# areas (the sea off a coast, the gap between two regions) without biting into thinly settled country, which
# 0.03 did on the demo data.
CONCAVE_HULL_RATIO = 0.1
# The hull is buffered by this many typical account spacings, so accounts on the edge get a cell of their
# own size instead of one that stops at the account.
MARGIN_SPACINGS = 1.0
FALLBACK_SPACING_M = 5_000.0  # one account, or all at one spot: no spacing to measure
EMPTY = shapely.Polygon()


@dataclass(frozen=True)
class Border:
    """The line territories `a` and `b` (a < b) share."""
    a: int
    b: int
    line: shapely.Geometry  # LineString | MultiLineString


def typical_spacing(hull: shapely.Geometry, n_spots: int) -> float:
    """A typical distance between neighbouring accounts: the side of the square each would own in the hull."""
    if hull.area > 0:
        return float(np.sqrt(hull.area / n_spots))
    if hull.length > 0:  # collinear accounts
        return float(hull.length / max(n_spots - 1, 1))
    return FALLBACK_SPACING_M


def default_study_area(spots: shapely.MultiPoint) -> tuple[shapely.Geometry, float]:
    """The buffered concave hull of the account locations, and the typical spacing it was built with."""
    hull = shapely.concave_hull(spots, ratio=CONCAVE_HULL_RATIO)
    spacing = typical_spacing(hull, shapely.get_num_geometries(spots))
    return shapely.buffer(hull, MARGIN_SPACINGS * spacing, quad_segs=4), spacing


def polygonal(geometry: shapely.Geometry | None) -> shapely.Geometry:
    """Only the polygons of an overlay result (it may add the points and lines where shapes touch)."""
    if geometry is None or geometry.is_empty:
        return EMPTY
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = shapely.get_parts(geometry)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]  # Polygon, MultiPolygon
    return shapely.union_all(parts) if len(parts) else EMPTY


class RegionMap:
    """Regions of a plan's territories. For another scenario of the same plan call build() again: the study
    area and the cells depend only on the accounts and are kept."""

    def __init__(self, accounts: Accounts, study_area: shapely.Geometry | None = None) -> None:
        points = np.column_stack((accounts.x, accounts.y))
        # One spot per distinct location; spot_of_account[i] is account i's spot.
        self.spots, self.spot_of_account = unique_rows(points, return_inverse=True)
        self.spot_of_account = self.spot_of_account.ravel()
        self._spot_size = np.bincount(self.spot_of_account, minlength=len(self.spots))
        self._rows_by_spot = np.argsort(self.spot_of_account, kind="stable")
        self._spot_start = np.concatenate(([0], np.cumsum(self._spot_size)[:-1]))
        self._study_area = study_area
        self._spacing: float | None = None
        self._cells: np.ndarray | None = None
        self._spots_geometry: shapely.MultiPoint | None = None
        self._territory_ids = np.empty(0, dtype=np.int64)
        self._assignment = np.full(len(points), UNASSIGNED, dtype=np.int64)
        self._owner = np.full(len(self.spots), UNASSIGNED, dtype=np.int64)
        self.regions: dict[int, shapely.Geometry] = {}
        self.unassigned: shapely.Geometry = EMPTY
        self._labels: dict[int, tuple[float, float]] = {}
        self._borders: dict[tuple[int, int], Border] = {}
        self._border_dirty: set[int] = set()
        self._border_tree: tuple[list[Border], shapely.STRtree] | None = None

    # -- the fixed geometry: study area and cells -------------------------------------------------------------

    @property
    def study_area(self) -> shapely.Geometry:
        """The area the regions fill (prepared: clipping tests it against every merged region)."""
        self._measure()
        return self._study_area

    @property
    def spacing(self) -> float:
        """Typical distance between neighbouring accounts (m); the drag sizes its bend with it."""
        self._measure()
        return self._spacing

    def _measure(self) -> None:
        if self._study_area is None:
            self._study_area, self._spacing = (default_study_area(self._multipoint()) if len(self.spots)
                                               else (EMPTY, FALLBACK_SPACING_M))
        elif self._spacing is None:  # a user's study area: measure on the convex hull, which is cheap
            hull = shapely.convex_hull(self._multipoint()) if len(self.spots) else EMPTY
            self._spacing = typical_spacing(hull, max(len(self.spots), 1))
        shapely.prepare(self._study_area)

    @property
    def cells(self) -> np.ndarray:
        """Unclipped Voronoi cell per spot, in spot order, reaching beyond the study area."""
        if self._cells is None:
            if len(self.spots) == 0:
                self._cells = np.empty(0, dtype=object)
            else:
                x0, y0, x1, y1 = shapely.total_bounds([self._multipoint(), self.study_area])
                pad = self.spacing
                frame = shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
                # ordered=True returns the cells in input order, so cell i belongs to spot i.
                diagram = shapely.voronoi_polygons(self._multipoint(), extend_to=frame, ordered=True)
                self._cells = shapely.get_parts(diagram)
        return self._cells

    def _multipoint(self) -> shapely.MultiPoint:
        if self._spots_geometry is None:
            self._spots_geometry = shapely.multipoints(self.spots)
        return self._spots_geometry

    def merged_cells(self, spots: np.ndarray) -> shapely.Geometry:
        """The union of the given spots' cells, clipped to the study area."""
        if len(spots) == 0:
            return EMPTY
        # Voronoi cells share their edges exactly, which is what coverage union needs; it is ~20x union_all.
        merged = shapely.coverage_union_all(self.cells[spots])
        if not shapely.contains_properly(self.study_area, merged):
            merged = shapely.intersection(merged, self.study_area)
        return polygonal(merged)

    # -- ownership ----------------------------------------------------------------------------------------------

    def owners(self, assignment: np.ndarray, spots: np.ndarray | None = None) -> np.ndarray:
        """The territory owning each spot (all spots when `spots` is None) under `assignment`."""
        spots = np.arange(len(self.spots)) if spots is None else np.asarray(spots, dtype=np.int64)

        def counted(rows: np.ndarray) -> np.ndarray:  # the accounts' territories, UNASSIGNED for unknown ids
            votes = assignment[rows]
            return np.where(territory_index(self._territory_ids, votes) >= 0, votes, UNASSIGNED)

        owner = np.full(len(spots), UNASSIGNED, dtype=np.int64)
        sizes = self._spot_size[spots]
        single = sizes == 1
        owner[single] = counted(self._rows_by_spot[self._spot_start[spots[single]]])
        shared = np.flatnonzero(~single)
        if shared.size:  # a handful of spots with several accounts: majority vote, ties to the smaller id
            group = np.repeat(shared, sizes[shared])
            offsets = np.arange(len(group)) - np.repeat(np.cumsum(sizes[shared]) - sizes[shared], sizes[shared])
            votes = counted(self._rows_by_spot[self._spot_start[spots[group]] + offsets])
            keep = votes != UNASSIGNED
            pairs, count = unique_rows(np.column_stack((group[keep], votes[keep])), return_counts=True)
            order = np.lexsort((pairs[:, 1], -count, pairs[:, 0]))
            pairs = pairs[order]
            winner = np.concatenate((np.ones(min(len(pairs), 1), dtype=bool), pairs[1:, 0] != pairs[:-1, 0]))
            owner[pairs[winner, 0]] = pairs[winner, 1]
        return owner

    # -- regions ------------------------------------------------------------------------------------------------

    def build(self, territory_ids: Iterable[int], assignment: np.ndarray) -> dict[int, shapely.Geometry]:
        """Every territory's region from scratch."""
        self._territory_ids = np.asarray(list(territory_ids), dtype=np.int64)
        self._assignment = np.asarray(assignment, dtype=np.int64).copy()
        self._owner = self.owners(self._assignment)
        self.regions = {}
        self._borders = {}
        self._labels = {}
        self._recompute(set(self._territory_ids.tolist()) | {UNASSIGNED})
        return dict(self.regions)

    def update(self, territory_ids: Iterable[int], assignment: np.ndarray,
               changed: Iterable[int] = ()) -> dict[int, shapely.Geometry]:
        """Recompute the regions of `changed` and of every territory whose cells changed owner, which is found
        by comparing owners (0.1 ms at 100k), so `changed` is only a hint. Returns the recomputed regions;
        territories no longer in `territory_ids` are dropped from `regions`."""
        ids = np.asarray(list(territory_ids), dtype=np.int64)
        removed = set(self.regions) - set(ids.tolist())
        added = set(ids.tolist()) - set(self.regions)
        self._territory_ids = ids
        self._assignment = np.asarray(assignment, dtype=np.int64).copy()
        owner = self.owners(self._assignment)
        moved = owner != self._owner
        dirty = set(np.unique(np.concatenate((owner[moved], self._owner[moved]))).tolist())
        self._owner = owner
        for tid in removed:
            del self.regions[tid]
            self._labels.pop(tid, None)
        self._borders = {pair: b for pair, b in self._borders.items() if not removed & {pair[0], pair[1]}}
        dirty = (dirty | added | set(changed)) & (set(ids.tolist()) | {UNASSIGNED})
        self._recompute(dirty)
        return {tid: self.regions[tid] for tid in dirty if tid != UNASSIGNED and tid in self.regions}

    def _recompute(self, territories: set[int]) -> None:
        for tid in territories:
            region = self.merged_cells(np.flatnonzero(self._owner == tid))
            if tid == UNASSIGNED:
                self.unassigned = region
            else:
                self.regions[tid] = region
                self._labels.pop(tid, None)
        self._border_dirty |= territories - {UNASSIGNED}
        self._border_tree = None

    def label_points(self) -> dict[int, tuple[float, float]]:
        """Per non-empty territory the centre of the largest circle inside its largest piece (a label there
        is never outside the region, unlike at a centroid of a crescent)."""
        missing = [tid for tid, region in self.regions.items() if tid not in self._labels and not region.is_empty]
        if missing:
            largest = []
            for tid in missing:
                parts = shapely.get_parts(self.regions[tid])
                largest.append(parts[np.argmax(shapely.area(parts))])
            largest = np.array(largest, dtype=object)
            # A hundredth of the piece's size is finer than any label needs and keeps this to milliseconds.
            circles = shapely.maximum_inscribed_circle(largest, tolerance=np.sqrt(shapely.area(largest)) / 100)
            centres = shapely.get_coordinates(shapely.get_point(circles, 0))
            self._labels.update({tid: (float(x), float(y)) for tid, (x, y) in zip(missing, centres)})
        return {tid: self._labels[tid] for tid in self.regions if tid in self._labels}

    # -- borders ------------------------------------------------------------------------------------------------

    def borders(self) -> list[Border]:
        """Every line shared by two territories; recomputed only for territories changed since the last call."""
        if self._border_dirty:
            self._refresh_borders()
        return list(self._borders.values())

    def _refresh_borders(self) -> None:
        dirty = self._border_dirty
        self._borders = {pair: b for pair, b in self._borders.items() if not dirty & {pair[0], pair[1]}}
        ids = [tid for tid, region in self.regions.items() if not region.is_empty]
        if len(ids) >= 2:
            geoms = np.array([self.regions[t] for t in ids], dtype=object)
            tree = shapely.STRtree(geoms)
            left, right = tree.query(geoms, predicate="intersects")
            ids_arr = np.array(ids)
            a, b = ids_arr[left], ids_arr[right]
            wanted = (a < b) & (np.isin(a, list(dirty)) | np.isin(b, list(dirty)))
            left, right = left[wanted], right[wanted]
            outlines = shapely.boundary(geoms)
            shared = shapely.intersection(outlines[left], outlines[right])
            for i, j, line in zip(ids_arr[left].tolist(), ids_arr[right].tolist(), shared):
                line = _lines_only(line)
                if not line.is_empty:
                    self._borders[(i, j)] = Border(i, j, line)
        self._border_dirty = set()
        self._border_tree = None

    def nearest_border(self, x: float, y: float, max_distance: float
                       ) -> tuple[Border, tuple[float, float]] | None:
        """The border nearest to (x, y) within max_distance, and the point of it closest to (x, y)."""
        if self._border_tree is None:  # dropped whenever a region changes
            borders = self.borders()
            self._border_tree = borders, shapely.STRtree([b.line for b in borders])
        borders, tree = self._border_tree
        if not borders:
            return None
        point = shapely.Point(x, y)
        hits = tree.query_nearest(point, max_distance=max_distance)
        if len(hits) == 0:
            return None
        border = borders[int(hits[0])]
        on_border = shapely.get_coordinates(shapely.shortest_line(border.line, point))[0]
        return border, (float(on_border[0]), float(on_border[1]))

    # -- split territories --------------------------------------------------------------------------------------

    def piece_outlines(self, labels: np.ndarray) -> dict[int, list[shapely.Geometry]]:
        """For each territory in several pieces, each piece's outline, largest first.

        `labels`: per account piece labels for the current assignment, from ContiguityChecker.pieces. A spot
        takes the label of its owner's accounts there (accounts at one spot are always one piece).
        """
        spot_label = np.full(len(self.spots), -1, dtype=np.int64)
        own = (self._assignment == self._owner[self.spot_of_account]) & (labels >= 0)
        spot_label[self.spot_of_account[own]] = labels[own]
        outlines: dict[int, list[shapely.Geometry]] = {}
        for tid in self.regions:
            spots = np.flatnonzero(self._owner == tid)
            pieces = np.unique(spot_label[spots])
            if len(pieces) < 2:
                continue
            shapes = [self.merged_cells(spots[spot_label[spots] == piece]) for piece in pieces]
            shapes = sorted((s for s in shapes if not s.is_empty), key=lambda s: -s.area)
            outlines[tid] = shapes
        return outlines


def _lines_only(geometry: shapely.Geometry) -> shapely.Geometry:
    """The linear part of a boundary intersection, merged into as few lines as possible (the points where two
    regions only touch are dropped)."""
    parts = shapely.get_parts(geometry)
    lines = parts[np.isin(shapely.get_type_id(parts), (1, 5))]  # LineString, MultiLineString
    if len(lines) == 0:
        return shapely.LineString()
    return shapely.line_merge(shapely.union_all(lines))
