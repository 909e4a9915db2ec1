"""A proposed plan drawn over the committed one (auto-balance and trade-off previews).

What it draws, reusing the scenario comparison's layers (compare_view.MovedRings / MoveArrows): each moved
account gets a ring in its CURRENT territory's colour around its dot, whose fill the window's dot preview
(MapView.set_preview) shows in the proposed territory's colour; arrows between territory centres as wide as the
potential that moves; and, when the regions are shown, the proposed regions of the territories that change
(computed in a worker thread: shapely releases the GIL). `clear()` removes all of it, leaving the map as it was.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.ui.review.compare_view import MoveArrows, MovedRings
from desktop_planner.ui.map.accounts_layer import UNASSIGNED_COLOR
from desktop_planner.ui.map.regions_layer import geometry_path

# Fewer arrows than a scenario comparison draws: a balance moves accounts between most neighbours, and over the
# proposed regions two dozen arrows hide the map (the rings still mark every moved account).
MAX_ARROWS = 12


def moved_rings(before: np.ndarray, after: np.ndarray, colors: dict[int, str]) -> dict[str, np.ndarray]:
    """Current colour -> rows of the accounts that move."""
    rows = np.flatnonzero(before != after)
    rings: dict[str, list[np.ndarray]] = defaultdict(list)
    for tid in np.unique(before[rows]).tolist():
        rings[colors.get(tid, UNASSIGNED_COLOR)].append(rows[before[rows] == tid])
    return {color: np.concatenate(parts) for color, parts in rings.items()}


def move_arrows(before: np.ndarray, after: np.ndarray, potential: np.ndarray, centres: dict[int, tuple[float, float]]):
    """(x0, y0, x1, y1, potential, count) per flow between territories, largest potential first."""
    rows = np.flatnonzero((before != after) & (before != UNASSIGNED) & (after != UNASSIGNED))
    if not rows.size:
        return []
    pairs, inverse = np.unique(np.column_stack((before[rows], after[rows])), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    moved = np.bincount(inverse, weights=potential[rows], minlength=len(pairs))
    counts = np.bincount(inverse, minlength=len(pairs))
    arrows = [(*centres[a], *centres[b], float(p), int(c))
              for (a, b), p, c in zip(pairs.tolist(), moved.tolist(), counts.tolist()) if a in centres and b in centres]
    return sorted(arrows, key=lambda a: -a[4])[:MAX_ARROWS]


def centres_of(measures) -> dict[int, tuple[float, float]]:
    x, y = lonlat_to_mercator(measures.home_lon, measures.home_lat)
    return {int(tid): (float(cx), float(cy)) for tid, cx, cy in zip(measures.territory_ids.tolist(), x, y)
            if np.isfinite(cx) and np.isfinite(cy)}


class _RegionSignals(QObject):
    done = Signal(int, object)  # generation, {territory id: QPainterPath}


class _RegionPreviewJob(QRunnable):
    def __init__(self, generation: int, region_map, before: np.ndarray, after: np.ndarray) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = _RegionSignals()
        self.args = (generation, region_map, before, after)

    def run(self) -> None:
        generation, region_map, before, after = self.args
        try:
            old, new = region_map.owners(before), region_map.owners(after)
            changed = set(np.unique(np.concatenate((old[old != new], new[old != new]))).tolist()) - {UNASSIGNED}
            paths = {tid: geometry_path(region_map.merged_cells(np.flatnonzero(new == tid))) for tid in changed}
        except Exception:  # the regions are a nicety of the preview; the dots and rings still show it
            paths = {}
        try:
            self.signals.done.emit(generation, paths)
        except RuntimeError:
            pass  # the window closed meanwhile


class PlanPreviewOverlay(QObject):
    """Draws a proposed assignment over the map; `regions` is the window's RegionsController (or None)."""

    def __init__(self, map_view, regions=None) -> None:
        super().__init__(map_view)
        self.map = map_view
        self.regions = regions
        self.rings = MovedRings(map_view.view_box)
        self.arrows = MoveArrows(map_view.view_box)
        self._positions_of = None
        self._generation = 0
        self._jobs: list[_RegionPreviewJob] = []
        self.shown = False

    def show(self, accounts, before: np.ndarray, after: np.ndarray, colors: dict[int, str], before_measures,
             after_measures) -> None:
        """Rings, arrows and (when shown) regions of `after` over the committed `before`. The dots' own preview
        is the GestureController's (show_preview), which also fills the panel with the proposed figures."""
        if self._positions_of is not accounts:
            self.rings.set_positions(accounts.x, accounts.y)
            self._positions_of = accounts
        centres = centres_of(before_measures)
        centres.update(centres_of(after_measures))  # the proposed plan's centre wins (homes="optimize")
        self.rings.set_rings(moved_rings(before, after, colors))
        self.arrows.set_arrows(move_arrows(before, after, accounts.potential, centres))
        self.shown = True
        self._generation += 1
        regions = self.regions
        if regions is not None and regions.draggable and regions.region_map is not None:
            job = _RegionPreviewJob(self._generation, regions.region_map, before.copy(), after.copy())
            job.signals.done.connect(self._regions_done)
            self._jobs.append(job)
            QThreadPool.globalInstance().start(job)
        elif regions is not None:
            regions.fills.set_preview(None)

    def _regions_done(self, generation: int, paths: dict) -> None:
        self._jobs = [job for job in self._jobs if job.args[0] != generation]
        if generation == self._generation and self.shown and self.regions is not None:
            self.regions.fills.set_preview(paths)

    def clear(self) -> None:
        self._generation += 1  # a region job still running reports to nobody
        self.shown = False
        self.rings.set_rings({})
        self.arrows.set_arrows([])
        if self.regions is not None:
            self.regions.fills.set_preview(None)
