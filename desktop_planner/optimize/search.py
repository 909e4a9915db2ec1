"""Local search on boundary units: repair the balance, then lower the cost without leaving the bands.

Every round evaluates every alternative arc of every free unit at once (numpy): the change in band violation
(summed relative excess over the bands, exact for the two territories a move touches) and in cost. It then
applies a batch of the best moves in which no territory appears twice, so the moves do not interact and the
batch's effect is the sum of theirs. Repair ranks moves by cost per unit of violation removed; improvement by
cost saved, among moves that keep every band. Disruption budgets are never exceeded by a move. With a unit
graph, moves keep territories contiguous: a unit may only join a territory it touches, and a batch move that
splits its old territory is undone and not tried again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from desktop_planner.core.rows import unique_rows
from desktop_planner.optimize.problem import AssignmentProblem, Solution, targets

EPS = 1e-12
STALL_ROUNDS = 25  # rounds without a new best state before the search stops


@dataclass
class SearchStats:
    rounds: int = 0
    moves: int = 0
    reverted: int = 0
    stopped: str = ""


@dataclass
class Graph:
    """Undirected unit adjacency as both directions of every edge."""

    a: np.ndarray
    b: np.ndarray
    n: int

    @classmethod
    def from_edges(cls, edges: np.ndarray, n: int) -> "Graph":
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        return cls(np.concatenate((edges[:, 0], edges[:, 1])), np.concatenate((edges[:, 1], edges[:, 0])), n)

    def pieces(self, terr: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Per territory the number of connected pieces; per unit a piece label (-1 unassigned)."""
        keep = (terr[self.a] == terr[self.b]) & (terr[self.a] >= 0)
        g = coo_matrix((np.ones(int(keep.sum()), dtype=np.int8), (self.a[keep], self.b[keep])),
                       shape=(self.n, self.n))
        _, labels = connected_components(g, directed=False)
        assigned = terr >= 0
        counts = np.zeros(k, dtype=np.int64)
        if assigned.any():
            pairs = unique_rows(np.column_stack((terr[assigned], labels[assigned])))
            counts = np.bincount(pairs[:, 0], minlength=k)
        return counts, np.where(assigned, labels, -1)

    def touching(self, terr: np.ndarray, k: int) -> np.ndarray:
        """Sorted keys unit * (k + 1) + territory of every (unit, territory of a neighbour) pair."""
        t = terr[self.b]
        ok = t >= 0
        return np.unique(self.a[ok] * (k + 1) + t[ok])


def band_limits(problem: AssignmentProblem, load: np.ndarray, tolerance_scale: float = 1.0):
    t = targets(problem, load)
    tol = problem.tolerance[:, None] * tolerance_scale
    hi = np.where(problem.constrained[None, :], (1 + tol) * t, np.inf)
    lo = np.where(problem.constrained[None, :], (1 - tol) * t, -np.inf)
    return lo, hi, np.where(t > 0, t, 1.0)


def _excess(x, lo, hi, scale):
    return (np.maximum(np.maximum(x - hi, lo - x), 0.0) / scale).sum(axis=0)


def _square(x, mid, scale):
    with np.errstate(invalid="ignore"):
        return (((x - mid) / scale) ** 2).sum(axis=0)


def local_search(sol: Solution, deadline: float, graph: Graph | None = None, improve: bool = True,
                 arc_mask: np.ndarray | None = None, max_rounds: int = 100_000, tolerance_scale: float = 1.0,
                 should_stop: Callable[[], bool] | None = None, tabu: set | None = None) -> SearchStats:
    """Repair, then (if `improve`) improve `sol` in place until no move helps, the deadline passes or
    `should_stop()` says so. `arc_mask` leaves arcs out (the longest-distance objective); `tolerance_scale`
    < 1 aims inside the bands."""
    p, arcs = sol.problem, sol.problem.arcs
    stats = SearchStats()
    tabu = set() if tabu is None else tabu
    allowed = p.free[arcs.unit] if arc_mask is None else (arc_mask & p.free[arcs.unit])
    pieces_now = graph.pieces(sol.terr, p.k)[0] if graph is not None else None
    best: tuple[float, float, np.ndarray] | None = None
    stall = 0
    while stats.rounds < max_rounds:
        if time.perf_counter() > deadline:
            stats.stopped = "time limit"
            break
        if should_stop is not None and should_stop():
            stats.stopped = "stopped"
            break
        stats.rounds += 1
        lo, hi, scale = band_limits(p, sol.load, tolerance_scale)
        violation = float(_excess(sol.load, lo, hi, scale).sum())
        # The exact hop makes a move's effect differ a little from its estimate (a removal is assumed to keep
        # the hull), so the search can go round in circles: keep the best state and stop when it stalls.
        cost = sol.cost
        if best is None or violation < best[0] - 1e-12 or (violation <= best[0] + 1e-12 and cost < best[1] - 1e-12):
            best, stall = (violation, cost, sol.arc.copy()), 0
        else:
            stall += 1
            if stall > STALL_ROUNDS:
                stats.stopped = "stalled"
                break
        repairing = violation > 1e-9
        if not repairing and not improve:
            stats.stopped = "balanced"
            break
        slack = p.budget_left() - sol.moved_weight()
        moves = _candidates(sol, allowed, lo, hi, scale, slack, repairing, graph, tabu)
        if moves is None:
            stats.stopped = "no improving move" if not repairing else "no repairing move"
            break
        units, new_arcs, keys, dleave = moves
        applied = _apply_batch(sol, units, new_arcs, keys, dleave, slack, tabu)
        if not applied:
            stats.stopped = "no move left"
            break
        touched = {k for _, _, k in applied} | {int(sol.terr[u]) for u, _, _ in applied}
        sol.sync(touched)
        if graph is not None:
            pieces_after = graph.pieces(sol.terr, p.k)[0]
            undo = [(u, old) for u, old, k in applied if pieces_after[k] > pieces_now[k]]
            for u, old in undo:
                tabu.add((u, int(arcs.terr[sol.arc[u]])))
                _move(sol, u, old)
            if undo:
                sol.sync(touched)
            stats.reverted += len(undo)
            if undo:
                pieces_after = graph.pieces(sol.terr, p.k)[0]
            pieces_now = pieces_after
            stats.moves += len(applied) - len(undo)
        else:
            stats.moves += len(applied)
    if best is not None and not np.array_equal(best[2], sol.arc):
        lo, hi, scale = band_limits(p, sol.load, tolerance_scale)
        now = float(_excess(sol.load, lo, hi, scale).sum())
        if now > best[0] + 1e-12 or (now >= best[0] - 1e-12 and sol.cost > best[1] + 1e-12):
            sol.arc[:] = best[2]
            sol.refresh()
    return stats


def _candidates(sol: Solution, allowed, lo, hi, scale, slack, repairing, graph, tabu):
    p, arcs = sol.problem, sol.problem.arcs
    unit = arcs.unit
    current = sol.arc[unit]
    cand = np.flatnonzero(allowed & (current >= 0) & (arcs.terr != sol.terr[unit]))
    if repairing:
        bad = (_excess(sol.load, lo, hi, scale) > 1e-12)
        cand = cand[bad[sol.terr[unit[cand]]] | bad[arcs.terr[cand]]]
    if graph is not None and cand.size:
        keys = graph.touching(sol.terr, p.k)
        probe = unit[cand] * (p.k + 1) + arcs.terr[cand]
        pos = np.minimum(np.searchsorted(keys, probe), max(len(keys) - 1, 0))
        cand = cand[(len(keys) > 0) & (keys[pos] == probe)] if len(keys) else cand[:0]
    if tabu and cand.size:
        banned = np.array([u * (p.k + 1) + t for u, t in tabu])
        cand = cand[~np.isin(unit[cand] * (p.k + 1) + arcs.terr[cand], banned)]
    if cand.size == 0:
        return None
    b = current[cand]
    dc = arcs.cost[cand] - arcs.cost[b]
    if not repairing:  # only moves that save cost can improve
        keep = dc < -1e-12
        cand, b, dc = cand[keep], b[keep], dc[keep]
        if cand.size == 0:
            return None
    k, l = sol.terr[unit[cand]], arcs.terr[cand]
    load_k, load_l = sol.load[:, k], sol.load[:, l]
    new_k = load_k - arcs.weights[:, b]
    new_l = load_l + arcs.weights[:, cand]
    if sol.hull is not None:
        j = p.hop.measure
        new_k[j] += sol.hull.delta_remove(unit[cand], k)
        new_l[j] += sol.hull.delta_add(unit[cand], l)
    lo_k, hi_k, sc_k, lo_l, hi_l, sc_l = lo[:, k], hi[:, k], scale[:, k], lo[:, l], hi[:, l], scale[:, l]
    dv = (_excess(new_k, lo_k, hi_k, sc_k) + _excess(new_l, lo_l, hi_l, sc_l)
          - _excess(load_k, lo_k, hi_k, sc_k) - _excess(load_l, lo_l, hi_l, sc_l))
    dleave = arcs.leave[:, cand] - arcs.leave[:, b]
    ok = (dleave <= slack[:, None] + EPS).all(axis=0) if len(slack) else np.ones(len(cand), dtype=bool)
    if repairing:
        # Violation first; among moves that do not add to it, those that even out the loads (sum of squared
        # deviations): overload then flows through full territories to ones with room, as chains of moves.
        mid_k, mid_l = (lo_k + hi_k) / 2, (lo_l + hi_l) / 2
        dq = (_square(new_k, mid_k, sc_k) + _square(new_l, mid_l, sc_l)
              - _square(load_k, mid_k, sc_k) - _square(load_l, mid_l, sc_l))
        dq = np.where(np.isfinite(dq), dq, 0.0)
        gain = -(dv + dq)
        ok &= (dv <= 1e-12) & (gain > 1e-12)
        key = dc / np.maximum(gain, 1e-12)
    else:
        ok &= (dv <= 1e-12) & (dc < -1e-12)
        key = dc
    if not ok.any():
        return None
    cand, key, dleave = cand[ok], key[ok], dleave[:, ok]
    pair = sol.terr[unit[cand]] * p.k + arcs.terr[cand]
    order = np.lexsort((key, pair))
    first = np.ones(len(order), dtype=bool)
    first[1:] = pair[order[1:]] != pair[order[:-1]]
    best = order[first]
    best = best[np.argsort(key[best], kind="stable")]
    return unit[cand[best]], cand[best], key[best], dleave[:, best]


def _apply_batch(sol, units, new_arcs, keys, dleave, slack, tabu) -> list[tuple[int, int, int]]:
    arcs = sol.problem.arcs
    used: set[int] = set()
    spent = np.zeros(len(slack))
    applied = []
    for i in range(len(units)):
        u, a = int(units[i]), int(new_arcs[i])
        k, l = int(sol.terr[u]), int(arcs.terr[a])
        if k in used or l in used:
            continue
        if len(slack) and (spent + dleave[:, i] > slack + EPS).any():
            continue
        used.update((k, l))
        spent += dleave[:, i] if len(slack) else 0.0
        old = int(sol.arc[u])
        _move(sol, u, a)
        applied.append((u, old, k))
    return applied


def _move(sol: Solution, u: int, a: int) -> None:
    arcs = sol.problem.arcs
    b = int(sol.arc[u])
    k, l = int(arcs.terr[b]), int(arcs.terr[a])
    sol.lin[:, k] -= arcs.weights[:, b]
    sol.lin[:, l] += arcs.weights[:, a]
    sol.arc[u] = a
    sol.terr[u] = l
