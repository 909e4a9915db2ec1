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

The cells are computed once, on first use (or by `prepare()`, at the same time as the study area, from a cache when
given); an update re-merges only the territories whose cells changed owner. A RegionMap pickles compactly (its
cells as a CellStore), so the window builds it in a child process (region_cells.build_region_map).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import shapely

from desktop_planner.core.model import UNASSIGNED, Accounts, territory_index
from desktop_planner.core.region_cells import (CELLS_KEY, STUDY_AREA_KEY, CellStore, Spilled, multipoint,
                                               pack_study_area, spill,
                                               spot_geometry, unpack_study_area, unspill, voronoi_cells,
                                               voronoi_frame)
from desktop_planner.core.rows import unique_rows

# GEOS concave hull by edge-length ratio: 0 is the tightest hull, 1 the convex hull. 0.1 cuts away large empty
# areas (the sea off a coast, the gap between two regions) without biting into thinly settled country, which
# 0.03 did on the demo data.
CONCAVE_HULL_RATIO = 0.1
# The hull is buffered by this many typical account spacings, so accounts on the edge get a cell of their
# own size instead of one that stops at the account.
MARGIN_SPACINGS = 1.0
FALLBACK_SPACING_M = 5_000.0  # one account, or all at one spot: no spacing to measure
PARALLEL_MERGES = 8  # more territories to merge than this (a build) go to MERGE_THREADS threads
MERGE_THREADS = 2
TILE_SPOTS = 256  # an edited territory is re-merged from pieces of this many spots' cells (see _merge_by_tiles)
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


class _XY:
    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y


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


_FIXED_ARRAYS = ("spots", "spot_of_account", "_spot_size", "_rows_by_spot", "_spot_start", "_tile_of_spot")
_LARGE_ARRAYS = _FIXED_ARRAYS + ("_assignment", "_owner")


class RegionMap:
    """Regions of a plan's territories. For another scenario of the same plan call build() again: the study
    area and the cells depend only on the accounts and are kept."""

    def __init__(self, accounts: Accounts, study_area: shapely.Geometry | None = None) -> None:
        """`accounts`: anything with x and y columns (of_xy)."""
        points = np.column_stack((accounts.x, accounts.y))
        # One spot per distinct location; spot_of_account[i] is account i's spot.
        self.spots, self.spot_of_account = unique_rows(points, return_inverse=True)
        self.spot_of_account = self.spot_of_account.ravel()
        self._spot_size = np.bincount(self.spot_of_account, minlength=len(self.spots))
        self._rows_by_spot = np.argsort(self.spot_of_account, kind="stable")
        self._spot_start = np.concatenate(([0], np.cumsum(self._spot_size)[:-1]))
        self._study_area = study_area
        self._given_area = study_area is not None
        self._spacing: float | None = None
        self._cells: np.ndarray | None = None
        self._cell_store: CellStore | None = None
        self.spill_to: str | None = None  # a folder: pickled, the large arrays are saved there (region_cells.spill)
        self._sources: dict[str, Spilled] = {}
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
        self._tile_of_spot: np.ndarray | None = None
        self._tile_pieces: dict[int, dict[int, np.ndarray]] = {}  # territory -> tile -> its merged cells there

    @classmethod
    def of_xy(cls, x: np.ndarray, y: np.ndarray, study_area: shapely.Geometry | None = None) -> "RegionMap":
        return cls(_XY(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)), study_area)

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
            self._spacing = self._convex_spacing()
        shapely.prepare(self._study_area)

    def _convex_spacing(self) -> float:
        hull = shapely.convex_hull(self._multipoint()) if len(self.spots) else EMPTY
        return typical_spacing(hull, max(len(self.spots), 1))

    def _frame_pad(self) -> float:
        """How far beyond the spots the Voronoi diagram must reach: past the default study area, which is the
        concave hull (inside the convex hull, so of a smaller spacing) buffered by MARGIN_SPACINGS spacings."""
        return (MARGIN_SPACINGS + 1.0) * self._convex_spacing()

    def _user_area(self) -> shapely.Geometry | None:
        return self._study_area if self._given_area else None

    def prepare(self, cache=None) -> None:
        """Compute the study area and the cells now, the two at the same time (both are single GEOS calls that
        release the GIL). The default study area is read from `cache` when it holds it, else handed to it
        (`cache.put`) once computed."""
        if len(self.spots) == 0 or self._cells is not None or self._cell_store is not None:
            self._measure()
            return
        area_key = f"{STUDY_AREA_KEY}:{CONCAVE_HULL_RATIO}:{MARGIN_SPACINGS}"
        pad = self._frame_pad()
        # The cells depend on the spots (the accounts' fingerprint) and on how far the diagram reaches.
        frame = f"{voronoi_frame(self.spots, self._user_area(), pad).bounds!r}"
        if self._study_area is None and cache is not None:
            data = cache.get(area_key)
            if data is not None:
                self._study_area, self._spacing = unpack_study_area(data)
        data = cache.get(CELLS_KEY, frame) if cache is not None else None
        if data is not None:
            self._cell_store = CellStore.from_bytes(data)
            if len(self._cell_store) == len(self.spots):
                if self._study_area is None:
                    self._measure()
                    cache.put(area_key, pack_study_area(self._study_area, self._spacing))
                self._measure()
                return
            self._cell_store = None
        compute_area = (lambda: default_study_area(self._multipoint())) if self._study_area is None else None
        area, self._cells = spot_geometry(self.spots, self._multipoint(), pad, compute_area, self._user_area())
        if area is not None:
            self._study_area, self._spacing = area
            if cache is not None:
                cache.put(area_key, pack_study_area(*area))
        self._measure()
        if cache is not None and len(self._cells) == len(self.spots):
            self._cell_store = CellStore.of(self._cells)
            cache.put(CELLS_KEY, self._cell_store.to_bytes(), frame)

    @property
    def cells(self) -> np.ndarray:
        """Unclipped Voronoi cell per spot, in spot order, reaching beyond the study area."""
        if self._cells is None:
            if len(self.spots) == 0:
                self._cells = np.empty(0, dtype=object)
            elif self._cell_store is not None:
                self._cells = self._cell_store.all()
            else:
                pad = self._frame_pad()
                self._cells = voronoi_cells(self._multipoint(), voronoi_frame(self.spots, self._user_area(), pad))
        return self._cells

    def _cells_of(self, spots: np.ndarray) -> np.ndarray:
        if self._cells is None and self._cell_store is not None:
            return self._cell_store.take(spots)
        return self.cells[spots]

    def _multipoint(self) -> shapely.MultiPoint:
        if self._spots_geometry is None:
            self._spots_geometry = multipoint(self.spots)
        return self._spots_geometry

    def __getstate__(self) -> dict:
        """Cells as a CellStore (two arrays, not a million pickled polygons); no trees or prepared shapes. With
        `spill_to` set, the large arrays go as files (region_cells.Spilled), not through the pipe: the fixed ones
        (spots, cells) as the files they came from, when the map came from files."""
        state = dict(self.__dict__)
        if self._cell_store is None and self._cells is not None and len(self._cells):
            state["_cell_store"] = CellStore.of(self._cells)
        state["_cells"] = None if state["_cell_store"] is not None else self._cells
        state["_spots_geometry"] = None
        state["_border_tree"] = None
        sources = state.pop("_sources", {})
        folder = state.pop("spill_to", None)
        if folder is not None:
            for name in _LARGE_ARRAYS:
                if state[name] is not None:
                    state[name] = sources[name] if name in sources else spill(state[name], folder)
            store = state["_cell_store"]
            if store is not None:
                state["_cell_store"] = CellStore(sources.get("coords") or spill(store.coords, folder),
                                                 sources.get("offsets") or spill(store.offsets, folder))
            # The tile pieces go to the window as a file it reads on the first edit, not on arrival; a map that
            # came from files (the window's, handed to the pieces process) does not need them.
            pieces = state["_tile_pieces"]
            state["_tile_pieces"] = {} if sources else (spill(pieces, folder) if pieces else {})
        return state

    def __setstate__(self, state: dict) -> None:
        sources = {name: state[name] for name in _FIXED_ARRAYS if isinstance(state[name], Spilled)}
        for name in _LARGE_ARRAYS:  # plain views of the mapped files: np.memmap indexing is slower
            if state[name] is not None:
                state[name] = np.asarray(unspill(state[name]))
        store = state["_cell_store"]
        if store is not None:
            sources.update({name: value for name, value in (("coords", store.coords), ("offsets", store.offsets))
                            if isinstance(value, Spilled)})
            state["_cell_store"] = CellStore(np.asarray(unspill(store.coords)), np.asarray(unspill(store.offsets)))
        self.__dict__.update(state)
        self._sources = sources  # the files of the arrays that never change, to hand them on without a copy
        self.spill_to = None
        if self._study_area is not None:
            shapely.prepare(self._study_area)

    def assign(self, territory_ids: Iterable[int], assignment: np.ndarray) -> None:
        """Take a plan's territories and assignment without merging any region (for piece_outlines)."""
        self._territory_ids = np.asarray(list(territory_ids), dtype=np.int64)
        self._assignment = np.asarray(assignment, dtype=np.int64).copy()
        self._owner = self.owners(self._assignment)

    def merged_cells(self, spots: np.ndarray, study_area: shapely.Geometry | None = None) -> shapely.Geometry:
        """The union of the given spots' cells, clipped to the study area (`study_area`: a copy of it, for a
        thread of its own: a GEOS geometry, prepared ones above all, must not be used by two threads at once)."""
        if len(spots) == 0:
            return EMPTY
        area = self.study_area if study_area is None else study_area
        # Voronoi cells share their edges exactly, which is what coverage union needs; it is ~20x union_all.
        merged = shapely.coverage_union_all(self._cells_of(spots))
        if not shapely.contains_properly(area, merged):
            merged = shapely.intersection(merged, area)
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
        self._tile_pieces = {}
        self._recompute(set(self._territory_ids.tolist()) | {UNASSIGNED})
        return dict(self.regions)

    def update(self, territory_ids: Iterable[int], assignment: np.ndarray,
               changed: Iterable[int] = ()) -> dict[int, shapely.Geometry]:
        """Recompute the regions of `changed` and of every territory whose cells changed owner, which is found
        by comparing owners (only of the spots of the accounts that changed territory, when the territories are
        the same), so `changed` is only a hint. Returns the recomputed regions; territories no longer in
        `territory_ids` are dropped from `regions`."""
        if isinstance(self._tile_pieces, Spilled):  # as the build's process left them: read on the first edit
            self._tile_pieces = self._tile_pieces.load()
        ids = np.asarray(list(territory_ids), dtype=np.int64)
        removed = set(self.regions) - set(ids.tolist())
        added = set(ids.tolist()) - set(self.regions)
        assignment = np.asarray(assignment, dtype=np.int64)
        same = np.array_equal(ids, self._territory_ids) and len(assignment) == len(self._assignment)
        self._territory_ids = ids
        if same:  # the owners change only where accounts moved
            spots = np.unique(self.spot_of_account[np.flatnonzero(assignment != self._assignment)])
            before, after = self._owner[spots], self.owners(assignment, spots)
            moved = after != before
            owner = np.array(self._owner)
            owner[spots] = after
            dirty = set(np.unique(np.concatenate((after[moved], before[moved]))).tolist())
            dirty_tiles = set(self._tiles()[spots[moved]].tolist())
        else:
            self._tile_pieces, dirty_tiles = {}, None
            owner = self.owners(assignment)
            moved = owner != self._owner
            dirty = set(np.unique(np.concatenate((owner[moved], self._owner[moved]))).tolist())
        self._assignment = assignment.copy()
        self._owner = owner
        for tid in removed:
            del self.regions[tid]
            self._labels.pop(tid, None)
        self._borders = {pair: b for pair, b in self._borders.items() if not removed & {pair[0], pair[1]}}
        dirty = (dirty | added | set(changed)) & (set(ids.tolist()) | {UNASSIGNED})
        for tid in removed | added:
            self._tile_pieces.pop(tid, None)
        self._recompute(dirty, dirty_tiles)
        return {tid: self.regions[tid] for tid in dirty if tid != UNASSIGNED and tid in self.regions}

    def _recompute(self, territories: set[int], dirty_tiles: set[int] | None = None) -> None:
        """Merge the regions of `territories`; after an edit (`dirty_tiles`: the tiles where cells changed
        owner), from the kept per-tile pieces of each territory, of which only the dirty ones are merged anew."""
        wanted = np.array(sorted(territories), dtype=np.int64)
        spots_of = self._spots_by_owner(wanted)
        tids = wanted.tolist()
        by_tiles = dirty_tiles is not None and len(tids) <= PARALLEL_MERGES
        if not by_tiles:
            for tid in tids:  # merged whole: their pieces, if any, are out of date
                self._tile_pieces.pop(tid, None)
        if by_tiles:
            merged = [self._merge_by_tiles(tid, spots, dirty_tiles) for tid, spots in zip(tids, spots_of)]
        elif len(tids) > PARALLEL_MERGES:  # a build: GEOS merges in threads (it releases the GIL)
            if self._cells is None and self._cell_store is None:
                self.cells  # noqa: B018 -- made once, here, not by two threads at once
            area_wkb = shapely.to_wkb(self.study_area)
            own = threading.local()

            def merge(spots: np.ndarray) -> shapely.Geometry:
                if not hasattr(own, "area"):  # each thread its own prepared copy of the study area
                    own.area = shapely.from_wkb(area_wkb)
                    shapely.prepare(own.area)
                return self.merged_cells(spots, own.area)
            with ThreadPoolExecutor(MERGE_THREADS, thread_name_prefix="merge") as pool:
                merged = list(pool.map(merge, spots_of))
        else:
            merged = [self.merged_cells(spots) for spots in spots_of]
        for tid, region in zip(tids, merged):
            if tid == UNASSIGNED:
                self.unassigned = region
            else:
                self.regions[tid] = region
                self._labels.pop(tid, None)
        self._border_dirty |= territories - {UNASSIGNED}
        self._border_tree = None

    def _tiles(self) -> np.ndarray:
        """Each spot's tile: TILE_SPOTS spots consecutive along a Z-order curve, so a tile is small where the
        accounts are dense (a city) and large where they are sparse."""
        if self._tile_of_spot is None:
            n = len(self.spots)
            low = self.spots.min(axis=0) if n else np.zeros(2)
            span = np.maximum(self.spots.max(axis=0) - low, 1e-9) if n else np.ones(2)
            q = np.minimum(((self.spots - low) / span * 65536).astype(np.uint64), 65535)
            code = np.zeros(n, dtype=np.uint64)
            for bit in range(16):  # interleave the bits of x and y
                one = np.uint64(1)
                code |= ((q[:, 0] >> np.uint64(bit)) & one) << np.uint64(2 * bit)
                code |= ((q[:, 1] >> np.uint64(bit)) & one) << np.uint64(2 * bit + 1)
            rank = np.empty(n, dtype=np.int64)
            rank[np.argsort(code, kind="stable")] = np.arange(n)
            self._tile_of_spot = rank // TILE_SPOTS
        return self._tile_of_spot

    def _merge_by_tiles(self, tid: int, spots: np.ndarray, dirty_tiles: set[int],
                        study_area: shapely.Geometry | None = None) -> shapely.Geometry:
        """merged_cells(spots) for a territory after an edit: its cells are kept merged per tile (pieces whose
        edges are cell edges, so they form a coverage as the cells do); the tiles where cells changed owner are
        merged anew, then the pieces (a few dozen, not thousands of cells)."""
        if len(spots) == 0:
            self._tile_pieces.pop(tid, None)
            return EMPTY
        tiles = self._tiles()[spots]
        pieces = self._tile_pieces.get(tid)
        if pieces is None:
            pieces, redo = {}, np.unique(tiles)
        else:
            redo = np.array(sorted(dirty_tiles), dtype=np.int64)
        order = np.argsort(tiles, kind="stable")
        ordered = tiles[order]
        lo, hi = np.searchsorted(ordered, redo, "left"), np.searchsorted(ordered, redo, "right")
        for tile, a, b in zip(redo.tolist(), lo.tolist(), hi.tolist()):
            if b > a:
                pieces[tile] = shapely.get_parts(shapely.coverage_union_all(self._cells_of(spots[order[a:b]])))
            else:
                pieces.pop(tile, None)
        self._tile_pieces[tid] = pieces
        merged = shapely.coverage_union_all(np.concatenate(list(pieces.values())))
        area = self.study_area if study_area is None else study_area
        if not shapely.contains_properly(area, merged):
            merged = shapely.intersection(merged, area)
        return polygonal(merged)

    def tile_pieces(self) -> dict[int, dict[int, np.ndarray]]:
        """Every territory's cells merged per tile (for the window: the pieces process makes them after a build,
        so that the first edit of a territory re-merges a few tiles, not all its cells; see _merge_by_tiles)."""
        tids = np.array(sorted(set(self._territory_ids.tolist()) | {UNASSIGNED}), dtype=np.int64)
        pieces: dict[int, dict[int, np.ndarray]] = {}
        tiles_of = self._tiles()
        for tid, spots in zip(tids.tolist(), self._spots_by_owner(tids)):
            tiles = tiles_of[spots]
            order = np.argsort(tiles, kind="stable")
            ordered = tiles[order]
            cuts = np.flatnonzero(np.diff(ordered)) + 1
            groups = np.split(order, cuts) if len(order) else []
            pieces[tid] = {int(tiles[g[0]]): shapely.get_parts(shapely.coverage_union_all(self._cells_of(spots[g])))
                           for g in groups}
        return pieces

    def use_tile_pieces(self, pieces) -> None:
        """Take tile_pieces() made elsewhere for this very assignment, or a Spilled file of them (read on the
        first edit), unless pieces are kept here already."""
        if not isinstance(self._tile_pieces, Spilled) and not self._tile_pieces:
            self._tile_pieces = pieces

    def _spots_by_owner(self, territory_ids: np.ndarray) -> list[np.ndarray]:
        """The spots each of `territory_ids` owns (one grouping pass, not one scan of all spots per territory)."""
        if len(territory_ids) <= 4:
            return [np.flatnonzero(self._owner == tid) for tid in territory_ids.tolist()]
        order = np.argsort(self._owner, kind="stable")
        owners = self._owner[order]
        lo = np.searchsorted(owners, territory_ids, side="left")
        hi = np.searchsorted(owners, territory_ids, side="right")
        return [order[a:b] for a, b in zip(lo.tolist(), hi.tolist())]

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
        # Only the territories whose spots carry two labels or more are split: found in one pass over the spots.
        labelled = np.flatnonzero((spot_label >= 0) & (self._owner != UNASSIGNED))
        pairs = unique_rows(np.column_stack((self._owner[labelled], spot_label[labelled])))
        tids, counts = np.unique(pairs[:, 0], return_counts=True) if len(pairs) else (np.empty(0, np.int64), [])
        known = set(self._territory_ids.tolist())
        split = [int(t) for t, c in zip(tids, counts) if c >= 2 and int(t) in known]
        outlines: dict[int, list[shapely.Geometry]] = {}
        for tid, spots in zip(split, self._spots_by_owner(np.array(split, dtype=np.int64))):
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
