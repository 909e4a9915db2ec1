"""The fixed geometry of the territory regions (core/regions.py): the study area and the Voronoi cell of every
account spot, computed fast, kept compact, and cached.

- `spot_geometry(spots, study_area)` computes the default study area (a GEOS concave hull) and the cells (a GEOS
  Voronoi diagram) at the same time in two threads: both are single GEOS calls that release the GIL, and they
  are the two slow steps of a build (0.5-0.9 s each at 100k spots, ~10 s each at 1M). The cells do not wait for
  the hull: the Voronoi diagram is framed by the accounts' bounds padded by more than the hull's buffer (the
  concave hull lies inside the convex hull, so its typical spacing is at most the convex hull's), and a frame
  only decides how far the outermost cells reach, which the clip to the study area cuts off anyway.
- `CellStore` keeps the cells as one coordinate array and ring offsets (a cell is a convex polygon without holes)
  instead of a million geometry objects: it pickles as two arrays (so a build can run in a child process and
  hand its cells to the window), and `take(spots)` makes only the cells an update or a drag needs.
- `build_region_map(...)` is what the window's region process runs (no Qt here): the whole RegionMap of a plan,
  with its borders and label points, reading the study area and the cells through an optional `cache`
  (store.derived_cache.FileCache: `get(key, variant) -> bytes | None`, `put(key, bytes, variant)`, which only
  collects what to store in `cache.pending`: the window stores it from a thread of its own, since another
  process's write to the project file would read as another program's change).
- `account_pieces(...)` is the second process, after the regions are drawn: the account graph (from the cache
  when it matches) and every territory's pieces.
"""

from __future__ import annotations

import os
import pickle
import struct
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
import shapely

POLYGON = shapely.GeometryType.POLYGON
BACKGROUND_NICENESS = 10
STUDY_AREA_KEY = "study_area_v1"
CELLS_KEY = "voronoi_cells_v1"  # ~110 bytes a spot: 11 MB at 100k accounts, 110 MB at 1M


class Spilled:
    """A value handed between processes as the file it was saved to, not through the pipe: a pipe holds 64 KB,
    so a larger argument blocks the window until the child process has started and read it (~0.3-1 s), and at
    1M accounts a region map holds ~200 MB of arrays. An array is saved with np.save and loaded memory-mapped,
    read-only (nothing is copied up front); anything else is pickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def load(self):
        if self.path.endswith(".npy"):
            return np.load(self.path, mmap_mode="r")
        with open(self.path, "rb") as fh:
            return pickle.load(fh)


def spill(value, folder: str | None):
    """`value` saved in `folder` as a Spilled file (None: kept as it is, pickled whole)."""
    if folder is None:
        return value
    if isinstance(value, np.ndarray) and value.dtype != object:
        path = os.path.join(folder, f"{uuid.uuid4().hex}.npy")
        np.save(path, np.ascontiguousarray(value), allow_pickle=False)
    else:
        path = os.path.join(folder, f"{uuid.uuid4().hex}.pickle")
        with open(path, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return Spilled(path)


def unspill(value):
    return value.load() if isinstance(value, Spilled) else value


def multipoint(coords: np.ndarray) -> shapely.Geometry:
    """One MultiPoint of (n, 2) coordinates (from a ragged array: no Point object per row)."""
    coords = np.ascontiguousarray(coords, dtype=np.float64)
    return shapely.from_ragged_array(shapely.GeometryType.MULTIPOINT, coords, (np.array([0, len(coords)]),))[0]


class CellStore:
    """Voronoi cells (one convex polygon per spot, in spot order) as coordinates and ring offsets."""

    def __init__(self, coords: np.ndarray, offsets: np.ndarray) -> None:
        self.coords = coords  # (m, 2) float64, each ring closed
        self.offsets = offsets  # (n + 1,) int64: cell i is coords[offsets[i]:offsets[i + 1]]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def of(cls, cells: np.ndarray) -> "CellStore":
        if len(cells) and shapely.get_num_interior_rings(cells).max() > 0:
            raise ValueError("a Voronoi cell with a hole")
        coords, index = shapely.get_coordinates(cells, return_index=True)
        offsets = np.zeros(len(cells) + 1, dtype=np.int64)
        np.cumsum(np.bincount(index, minlength=len(cells)), out=offsets[1:])
        return cls(coords, offsets)

    def take(self, spots: np.ndarray) -> np.ndarray:
        """The cells of these spots as polygons (object array), in the order given."""
        spots = np.asarray(spots, dtype=np.int64)
        if len(spots) == 0:
            return np.empty(0, dtype=object)
        starts, sizes = self.offsets[spots], np.diff(self.offsets)[spots]
        ring_offsets = np.zeros(len(spots) + 1, dtype=np.int64)
        np.cumsum(sizes, out=ring_offsets[1:])
        rows = np.arange(ring_offsets[-1]) + np.repeat(starts - ring_offsets[:-1], sizes)
        return shapely.from_ragged_array(POLYGON, self.coords[rows], (ring_offsets, np.arange(len(spots) + 1)))

    def all(self) -> np.ndarray:
        return shapely.from_ragged_array(POLYGON, self.coords, (self.offsets, np.arange(len(self) + 1)))

    def to_bytes(self) -> bytes:
        return (struct.pack("<qq", len(self.offsets), len(self.coords)) + self.offsets.astype("<i8").tobytes()
                + self.coords.astype("<f8").tobytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> "CellStore":
        n, m = struct.unpack_from("<qq", data)
        offsets = np.frombuffer(data, dtype="<i8", count=n, offset=16).astype(np.int64)
        coords = np.frombuffer(data, dtype="<f8", count=2 * m, offset=16 + 8 * n).reshape(m, 2).astype(np.float64)
        return cls(coords, offsets)


def voronoi_frame(spots: np.ndarray, user_area: shapely.Geometry | None, pad: float) -> shapely.Geometry:
    """A box around the spots (and a user's study area) `pad` metres beyond them."""
    x0, y0 = spots.min(axis=0)
    x1, y1 = spots.max(axis=0)
    if user_area is not None and not user_area.is_empty:
        ax0, ay0, ax1, ay1 = user_area.bounds
        x0, y0, x1, y1 = min(x0, ax0), min(y0, ay0), max(x1, ax1), max(y1, ay1)
    return shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def voronoi_cells(points: shapely.Geometry, frame: shapely.Geometry) -> np.ndarray:
    # ordered=True returns the cells in input order, so cell i belongs to spot i.
    return shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame, ordered=True))


def spot_geometry(spots: np.ndarray, points: shapely.Geometry, frame_pad: float,
                  study_area: Callable[[], tuple[shapely.Geometry, float]] | None,
                  user_area: shapely.Geometry | None) -> tuple[tuple[shapely.Geometry, float] | None, np.ndarray]:
    """The study area and spacing (`study_area()`, when given, in a second thread) and the cells."""
    frame = voronoi_frame(spots, user_area, frame_pad)
    if study_area is None:
        return None, voronoi_cells(points, frame)
    with ThreadPoolExecutor(1, thread_name_prefix="study-area") as pool:
        area = pool.submit(study_area)  # reads `points`: the cells get a copy (no GEOS object in two threads)
        cells = voronoi_cells(multipoint(spots), frame)
        return area.result(), cells


def pack_study_area(area: shapely.Geometry, spacing: float) -> bytes:
    return struct.pack("<d", spacing) + shapely.to_wkb(area)


def unpack_study_area(data: bytes) -> tuple[shapely.Geometry, float]:
    return shapely.from_wkb(data[8:]), struct.unpack_from("<d", data)[0]


def background(niceness: int = BACKGROUND_NICENESS) -> None:
    """Lower this process's priority: with two cores, the window's own thread (its first paint after opening a
    project, ~100-200 ms at 100k accounts) must not wait for a core behind the build's two threads."""
    try:
        os.nice(niceness)
    except (AttributeError, OSError):  # no nice on Windows; the build simply runs at normal priority there
        pass


def build_region_map(x, y, study_area: shapely.Geometry | None, territory_ids: np.ndarray, assignment,
                     cache=None, spill_to: str | None = None, columns: tuple = (), progress=None):
    """A RegionMap built for this assignment, with its borders and label points computed, and the cache entries
    to store (run in a child process by the window; `progress` is the ProcessJob callback, unused: the build is
    not cancellable). Arrays may come as Spilled files; with `spill_to`, the map's large arrays go back so.
    `columns`: the accounts' ids, lon and lat, which key the cache entries (needed with a cache)."""
    from desktop_planner.core.regions import RegionMap
    background()
    x, y, study_area, assignment = unspill(x), unspill(y), unspill(study_area), np.asarray(unspill(assignment))
    if cache is not None:
        cache.use_columns(*(np.asarray(unspill(column)) for column in columns))
    region_map = RegionMap.of_xy(x, y, study_area)
    region_map.prepare(cache)
    region_map.build(territory_ids, assignment)
    region_map.borders()
    region_map.label_points()
    region_map.spill_to = spill_to
    return region_map, _entries(cache, spill_to)


def account_pieces(ids, lon, lat, territory_ids: np.ndarray, assignment, cache=None, spill_to: str | None = None,
                   region_map=None, max_outlined: int = 12, progress=None) -> tuple:
    """The account graph's edges (`cache.graph_edges(accounts)` or computed), per territory the number of pieces,
    the outlines of the pieces of the split territories when `region_map` is given (RegionMap.piece_outlines; not
    of those in more than `max_outlined` pieces: a scatter), the cache entries to store, and the territories'
    cells merged per tile (RegionMap.tile_pieces, for the window's first edits). Arrays may come as
    Spilled files; with `spill_to` the edges go back so."""
    from desktop_planner.core.contiguity import ContiguityChecker, account_graph
    from desktop_planner.core.model import Accounts
    background()
    ids, lon, lat, assignment = (np.asarray(unspill(a)) for a in (ids, lon, lat, assignment))
    region_map = unspill(region_map)
    if cache is not None:
        cache.use_columns(ids, lon, lat)
    n = len(ids)
    accounts = Accounts.from_columns(ids=ids, lon=lon, lat=lat, external_id=np.full(n, None, dtype=object))
    edges = cache.graph_edges(accounts) if cache is not None else account_graph(accounts)
    counts, labels = ContiguityChecker(accounts, edges).pieces(territory_ids, assignment)
    outlines = {}
    if region_map is not None:
        scattered = territory_ids[counts > max_outlined]
        if scattered.size:
            labels = np.where(np.isin(assignment, scattered), -1, labels)
        region_map.assign(territory_ids, assignment)
        outlines = region_map.piece_outlines(labels)
        tile_pieces = spill(region_map.tile_pieces(), spill_to)  # for the window's edits (RegionMap.update)
    else:
        tile_pieces = None
    return spill(edges, spill_to), counts, outlines, _entries(cache, spill_to), tile_pieces


def _entries(cache, spill_to: str | None) -> list:
    """The cache entries to store, their data as files (the account graph is 43 MB at 1M accounts)."""
    return [(key, fingerprint, spill(data, spill_to)) for key, fingerprint, data in
            (cache.pending if cache is not None else [])]
