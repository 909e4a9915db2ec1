"""Contiguous, compact, balanced territories by construction: territories grow from their reps' homes along the
account graph, each with an offset that is tuned until its workload meets its target.

Every account goes to the territory that reaches it first, where territory k reaches account i at
offset_k + (shortest path from k's seed to i along the account graph, in km). That is a Voronoi diagram of
the graph with additive weights, computed by one Dijkstra from a super-source joined to every seed. Its
regions are connected by construction: the predecessor of an account on its shortest path is reached first by
the same territory (offset_k + d_k(j) = offset_k + d_k(i) - |ij| <= offset_l + d_l(i) - |ij| <= offset_l +
d_l(j)), so each region is a shortest-path tree. Regions are also compact (they grow outward from the home)
and a remote rep's territory grows, connected, only as far as his offset lets it.

Balance: an overloaded territory's offset rises, an underloaded one's falls. A region is about a disc, its load
about its area, so the step is the radius change that would meet the target, damped per territory: more while
the deviation keeps its sign, less each time it flips (a bisection per territory, run for all at once). No
offset may let a territory reach another's seed (it would take that territory's whole region at once).
Locked accounts are not part of the growth graph (nothing grows through them); they keep their territory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from desktop_planner.core.contiguity import edge_lengths_km
from desktop_planner.core.geo import chord_to_km

MAX_STEPS = 120  # rounds of offset tuning; each is one Dijkstra over the graph
DAMPING = 0.5  # share of the estimated offset change taken at first; ...
STEP_GROWTH = 1.15  # ... more (up to all of it) while a territory's deviation keeps its sign, ...
STEP_SHRINK = 0.6  # ... less each time it changes sign (a bisection per territory)
MAX_REACH = 0.5  # an offset moves by at most this share of its region's radius a step
SEED_GUARD = 0.95  # offsets never let a territory reach another's seed (see keep_seeds)


@dataclass
class GrowthResult:
    terr: np.ndarray  # territory index per account (-1: unassigned)
    max_deviation: float  # largest |load / target - 1| over the open territories
    steps: int  # the tuning step that gave this partition
    unreachable: int  # free accounts no seed could reach along the graph (given to the nearest territory)


def seed_accounts(xyz: np.ndarray, home_xyz: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Per territory the allowed account nearest its home, no account used twice (two reps in one town get
    two neighbouring seeds); -1 where no account is allowed."""
    rows = np.flatnonzero(allowed)
    seeds = np.full(len(home_xyz), -1)
    if rows.size == 0:
        return seeds
    tree = cKDTree(xyz[rows])
    taken: set[int] = set()
    depth = min(len(rows), len(home_xyz) + 1)
    _, near = tree.query(home_xyz, k=depth)
    near = np.asarray(near).reshape(len(home_xyz), depth)
    for j in range(len(home_xyz)):
        for candidate in near[j]:
            row = int(rows[candidate])
            if row not in taken:
                seeds[j] = row
                taken.add(row)
                break
    return seeds


class GraphGrowth:
    """The growth graph of the free accounts and its weighted Voronoi partitions."""

    def __init__(self, xyz: np.ndarray, edges: np.ndarray, free: np.ndarray) -> None:
        n = len(xyz)
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        keep = free[edges[:, 0]] & free[edges[:, 1]]
        a, b = edges[keep, 0], edges[keep, 1]
        length = edge_lengths_km(xyz, a, b)
        self.n = n
        self.rows = np.concatenate((a, b))
        self.cols = np.concatenate((b, a))
        self.length = np.concatenate((length, length))
        self.xyz = xyz
        self.free = free

    def partition(self, seeds: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(territory index per account or -1 where no seed reaches it, the path length from the territory's
        seed). Territories with seed -1 take part in nothing."""
        active = np.flatnonzero(seeds >= 0)
        return self.grow_from(seeds[active], active, offsets[active])

    def grow_from(self, rows: np.ndarray, terr_of_row: np.ndarray, offsets: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Accounts `rows` start in territories `terr_of_row` at `offsets`; every other account goes to the
        territory that reaches it first along the graph. Returns (territory per account, -1 where none
        reaches; path length from the start account)."""
        n = self.n
        source = n  # the super-source: one extra node joined to every start account by its offset
        start = np.asarray(rows, dtype=np.int64)
        weights = np.asarray(offsets, dtype=np.float64) - (offsets.min() if len(offsets) else 0.0) + 1e-6
        graph = csr_matrix((np.concatenate((self.length, weights)),
                            (np.concatenate((self.rows, np.full(start.size, source))),
                             np.concatenate((self.cols, start)))), shape=(n + 1, n + 1))
        dist, pred = dijkstra(graph, directed=True, indices=source, return_predecessors=True)
        # Follow predecessors back to the start account (pointer jumping: log(depth) vectorised passes).
        root = pred.astype(np.int64)
        root[source] = source
        root[start] = start
        unreached = root < 0
        root[unreached] = np.flatnonzero(unreached)
        while True:
            nxt = root[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        label = np.full(n + 1, -1, dtype=np.int64)
        label[start] = terr_of_row
        offset_at = np.zeros(n + 1)
        offset_at[start] = weights
        terr = label[root][:n]
        terr[unreached[:n]] = -1
        path = np.where(terr >= 0, dist[:n] - offset_at[root][:n], np.inf)
        return terr, path


def _seed_gaps(xyz: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """(K, K) straight-line km between the seeds (inf for territories without one)."""
    k = len(seeds)
    gap = np.full((k, k), np.inf)
    ok = np.flatnonzero(seeds >= 0)
    if ok.size:
        p = xyz[seeds[ok]]
        chord = np.sqrt(np.maximum(((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=2), 0.0))
        gap[np.ix_(ok, ok)] = chord_to_km(chord)
    return gap


def keep_seeds(offsets: np.ndarray, seed_gap: np.ndarray, grows: np.ndarray) -> np.ndarray:
    """Raise offsets until no territory can reach another's seed before that territory does: territory l
    reaches k's seed at offset_l + path >= offset_l + straight line, so offset_k <= offset_l + 0.95 x gap is
    enough. A territory that took its neighbour's seed would take its whole region at once, and the tuning
    would never settle."""
    out = offsets.copy()
    for _ in range(len(out)):
        floor = (out[None, :] - SEED_GUARD * seed_gap).max(axis=1)  # offset_k >= offset_l - 0.95 gap_kl
        raised = grows & (floor > out + 1e-9)
        if not raised.any():
            break
        out[raised] = floor[raised]
    return out


def grow_balanced(growth: GraphGrowth, seeds: np.ndarray, load_of, target_of, tolerance: float,
                  fixed_terr: np.ndarray, nearest_terr, should_stop, max_steps: int = MAX_STEPS,
                  offsets: np.ndarray | None = None) -> GrowthResult:
    """Tune the offsets until every open territory's load is within `tolerance` of its target.

    `load_of(terr) -> (K,)` loads of a full assignment (locked accounts included); `target_of(load) -> (K,)`;
    `fixed_terr`: territory of each account that is not free (-1 for free ones); `nearest_terr(rows) ->
    territory index` for free accounts that no seed reaches; `should_stop()` ends the tuning early (the best
    partition so far is returned); `offsets`: where to start (default: all equal)."""
    k = len(seeds)
    grows = seeds >= 0
    seed_gap = _seed_gaps(growth.xyz, seeds)
    offsets = keep_seeds(np.zeros(k) if offsets is None else np.asarray(offsets, dtype=np.float64), seed_gap, grows)
    damping = np.full(k, DAMPING)
    last_sign = np.zeros(k)
    best: GrowthResult | None = None
    for steps in range(1, max_steps + 1):
        terr, path = growth.partition(seeds, offsets)
        unreached = np.flatnonzero((terr < 0) & growth.free)
        if unreached.size:
            terr[unreached] = nearest_terr(unreached)
        terr = np.where(growth.free, terr, fixed_terr)
        load = load_of(terr)
        target = target_of(load)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = np.where(target > 0, load / target - 1.0, 0.0)
        dev = np.where(grows, dev, 0.0)
        worst = float(np.abs(dev).max()) if k else 0.0
        if best is None or worst < best.max_deviation - 1e-12:
            best = GrowthResult(terr.copy(), worst, steps, int(unreached.size))
        if worst <= tolerance or should_stop():
            break
        # A region is about a disc of its largest path length r; its load grows about with the area, so
        # reaching the target takes a radius of r / sqrt(1 + dev): move the offset by the difference.
        reached = np.isfinite(path) & (terr >= 0) & growth.free
        radius = np.zeros(k)
        np.maximum.at(radius, terr[reached], path[reached])
        radius = np.maximum(radius, np.median(radius[grows]) * 0.1 if grows.any() else 1.0)
        sign = np.sign(dev)
        damping = np.where(sign * last_sign < 0, damping * STEP_SHRINK,
                           np.minimum(np.where(sign == last_sign, damping * STEP_GROWTH, damping), 1.0))
        last_sign = sign
        change = radius * np.clip(1.0 - 1.0 / np.sqrt(np.maximum(1.0 + dev, 1e-3)), -MAX_REACH, MAX_REACH)
        offsets = keep_seeds(offsets + damping * change, seed_gap, grows)
    return best

