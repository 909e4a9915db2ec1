"""The BHH local hop of DESIGN.md's travel, exactly: each visit of territory k adds 0.7124 sqrt(A_k / n_k) km,
A_k being the convex-hull area of its accounts. One far account can double a territory's hull and with it the
hop of every visit there, so a search that took the hop as a per-account constant drifted out of band again
after every refresh (10k / 50 demo: 4.7 % in the model, 10-14 % by the measures). The search therefore keeps
every territory's hull and evaluates a move with the exact area it adds (the fan of triangles from the new
point to the hull edges it sees); a removal keeps the area (the hull is recomputed after each batch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from desktop_planner.core.measures import BHH_CONSTANT

CHUNK = 50_000


@dataclass
class HopTerm:
    measure: int  # which measure's contributions contain the hop (workload)
    kappa: float  # hours per visit-km of hop: circuity / speed
    visits: np.ndarray  # (n,)
    points: np.ndarray  # (n, 2) equal-area km
    estimate: np.ndarray  # (K,) hop km already inside the arcs' weights and the fixed loads


def hop_km(area, count):
    count = np.asarray(count, dtype=np.float64)
    return np.where(count > 0, BHH_CONSTANT * np.sqrt(np.maximum(area, 0.0) / np.maximum(count, 1.0)), 0.0)


class HullState:
    """Per territory: summed visits, account count, hull area and hull polygon (counter-clockwise)."""

    def __init__(self, hop: HopTerm, terr: np.ndarray, k: int) -> None:
        self.hop, self.k = hop, k
        self.visits = np.zeros(k)
        self.count = np.zeros(k)
        self.area = np.zeros(k)
        self.polygons: list[np.ndarray] = [np.zeros((0, 2))] * k
        self._edges: np.ndarray | None = None
        self.recompute(terr, range(k))

    def recompute(self, terr: np.ndarray, territories) -> None:
        territories = list(territories)
        if not territories:
            return
        wanted = np.zeros(self.k, dtype=bool)
        wanted[territories] = True
        rows = np.flatnonzero((terr >= 0) & wanted[np.maximum(terr, 0)])
        order = rows[np.argsort(terr[rows], kind="stable")]
        t_sorted = terr[order]
        for t in territories:
            lo, hi = np.searchsorted(t_sorted, [t, t + 1])
            members = order[lo:hi]
            self.visits[t] = float(self.hop.visits[members].sum())
            self.count[t] = len(members)
            self.area[t], self.polygons[t] = _hull(self.hop.points[members])
        self._edges = None

    def correction(self) -> np.ndarray:
        """(K,) exact hop hours minus the estimate inside the linear loads."""
        return self.hop.kappa * (hop_km(self.area, self.count) - self.hop.estimate) * self.visits

    def _edge_table(self) -> np.ndarray:
        if self._edges is None:
            h = max(3, max(len(p) for p in self.polygons))
            table = np.zeros((self.k, h, 4))
            for t, poly in enumerate(self.polygons):
                if len(poly) >= 3:
                    nxt = np.roll(poly, -1, axis=0)
                    table[t, :len(poly)] = np.column_stack((poly, nxt))
                    table[t, len(poly):] = table[t, len(poly) - 1]
                    table[t, len(poly):, 2:] = table[t, len(poly):, :2]  # padding: zero-length edges
            self._edges = table
        return self._edges

    def added_area(self, units: np.ndarray, terrs: np.ndarray) -> np.ndarray:
        """Area each unit's point would add to the territory's hull (0 inside it). Territories of fewer than
        three hull points get the triangle the point makes with their first two."""
        out = np.zeros(len(units))
        table = self._edge_table()
        for s in range(0, len(units), CHUNK):
            u, t = units[s:s + CHUNK], terrs[s:s + CHUNK]
            p = self.hop.points[u][:, None, :]
            e = table[t]
            a, b = e[:, :, :2], e[:, :, 2:]
            cross = (b[..., 0] - a[..., 0]) * (p[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (p[..., 0] - a[..., 0])
            out[s:s + CHUNK] = np.maximum(-cross, 0.0).sum(axis=1) / 2.0
        small = np.array([len(self.polygons[t]) < 3 for t in range(self.k)])[terrs]
        if small.any():
            out[small] = [self._small_area(int(t), int(u)) for u, t in zip(units[small], terrs[small])]
        return out

    def _small_area(self, t: int, u: int) -> float:
        pts = np.vstack((self.polygons[t], self.hop.points[u][None, :]))
        return _hull(pts)[0] - self.area[t]

    def delta_add(self, units: np.ndarray, terrs: np.ndarray) -> np.ndarray:
        """Change of the hop part of territory terrs' load when units join it (beyond the estimate in the
        arcs' weights)."""
        h = self.hop
        v = h.visits[units]
        V, n, A = self.visits[terrs], self.count[terrs], self.area[terrs]
        new = (V + v) * hop_km(A + self.added_area(units, terrs), n + 1) - V * hop_km(A, n)
        return h.kappa * (new - v * h.estimate[terrs])

    def delta_remove(self, units: np.ndarray, terrs: np.ndarray) -> np.ndarray:
        h = self.hop
        v = h.visits[units]
        V, n, A = self.visits[terrs], self.count[terrs], self.area[terrs]
        new = (V - v) * hop_km(A, n - 1) - V * hop_km(A, n)
        return h.kappa * (new + v * h.estimate[terrs])


def _hull(points: np.ndarray) -> tuple[float, np.ndarray]:
    unique = np.unique(points, axis=0) if len(points) <= 3 else points
    if len(unique) < 3:
        return 0.0, unique
    try:
        hull = ConvexHull(points)
    except QhullError:
        return 0.0, np.zeros((0, 2))
    return float(hull.volume), points[hull.vertices]  # 2-D: counter-clockwise vertices, volume = area
