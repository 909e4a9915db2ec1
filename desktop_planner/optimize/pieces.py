"""Detached pieces of territories: joining small ones to the territory around them when the bands allow
(always, at the end), and making every territory one piece (when the planner requires contiguity)."""

from __future__ import annotations

import numpy as np

from desktop_planner.optimize.problem import Solution, violation
from desktop_planner.optimize.search import Graph, local_search

ISLAND_SHARE = 0.05  # detached pieces up to this share of their territory's accounts are tidied away


def tidy_islands(sol: Solution, graph: Graph, threshold: float | None, tolerance_scale: float,
                 island_share: float = ISLAND_SHARE) -> int:
    """Give each small detached piece of a territory to the neighbour it touches most, when that keeps every
    band (at the search's margin) and, for the longest-distance objective, the threshold. Returns how many."""
    p = sol.problem
    counts, labels = graph.pieces(sol.terr, p.k)
    if (counts <= 1).all():
        return 0
    assigned = labels >= 0
    size = np.bincount(labels[assigned], minlength=int(labels.max()) + 1)
    territory_size = np.bincount(sol.terr[assigned], minlength=p.k)
    piece_terr = np.full(len(size), -1)
    piece_terr[labels[assigned]] = sol.terr[assigned]
    main = np.full(p.k, -1)
    for piece in np.argsort(-size, kind="stable"):
        if piece_terr[piece] >= 0 and main[piece_terr[piece]] < 0:
            main[piece_terr[piece]] = piece
    minor = [int(c) for c in np.argsort(size, kind="stable") if piece_terr[c] >= 0 and main[piece_terr[c]] != c
             and size[c] <= island_share * territory_size[piece_terr[c]]]
    if not minor:
        return 0
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(len(size) + 1))
    tidied = 0
    for piece in minor:
        members = order[bounds[piece]:bounds[piece + 1]]
        if not p.free[members].all():
            continue
        home = int(sol.terr[members[0]])
        touching = np.isin(graph.a, members)
        neighbour = sol.terr[graph.b[touching]]
        neighbour = neighbour[(neighbour >= 0) & (neighbour != home)]
        if neighbour.size == 0:
            continue
        dest = int(np.bincount(neighbour).argmax())
        arcs = p.arcs.find(members, np.full(len(members), dest))
        if (arcs < 0).any() or (threshold is not None and (p.arcs.length[arcs] > threshold + 1e-9).any()):
            continue
        before = float(violation(p, sol.load, tolerance_scale).sum())
        old = sol.arc[members].copy()
        budget_ok = (sol.moved_weight() + p.arcs.leave[:, arcs].sum(axis=1) - p.arcs.leave[:, old].sum(axis=1)
                     <= p.budget_left() + 1e-12).all()
        if not budget_ok:
            continue
        set_arcs(sol, members, arcs, (home, dest))
        if float(violation(p, sol.load, tolerance_scale).sum()) > before + 1e-12:
            set_arcs(sol, members, old, (home, dest))
        else:
            tidied += 1
    return tidied


def set_arcs(sol: Solution, units: np.ndarray, arcs: np.ndarray, touched) -> None:
    a = sol.problem.arcs
    for j in range(sol.problem.m):
        np.subtract.at(sol.lin[j], a.terr[sol.arc[units]], a.weights[j, sol.arc[units]])
        np.add.at(sol.lin[j], a.terr[arcs], a.weights[j, arcs])
    sol.arc[units] = arcs
    sol.terr[units] = a.terr[arcs]
    sol.sync(touched)


def make_contiguous(sol: Solution, graph: Graph, clock, mask, tolerance_scale: float) -> None:
    """Give every detached piece of a territory to the neighbour it touches most, then repair the balance
    with moves that keep territories in one piece."""
    p = sol.problem
    for _ in range(6):
        counts, labels = graph.pieces(sol.terr, p.k)
        if (counts[p.constrained] <= 1).all() or clock.stop():
            break
        # the main piece of a territory: the one with the most units
        assigned = labels >= 0
        size = np.bincount(labels[assigned], minlength=int(labels.max()) + 1)
        main = np.full(p.k, -1)
        order = np.lexsort((-size[labels[assigned]], sol.terr[assigned]))
        units = np.flatnonzero(assigned)[order]
        first = np.ones(len(units), dtype=bool)
        first[1:] = sol.terr[units[1:]] != sol.terr[units[:-1]]
        main[sol.terr[units[first]]] = labels[units[first]]
        minor = assigned & (labels != main[np.maximum(sol.terr, 0)]) & p.free
        cross = minor[graph.a] & (sol.terr[graph.b] >= 0) & (sol.terr[graph.b] != sol.terr[graph.a])
        if not cross.any():
            break
        pair_piece, pair_terr = labels[graph.a[cross]], sol.terr[graph.b[cross]]
        keys, votes = np.unique(pair_piece * (p.k + 1) + pair_terr, return_counts=True)
        piece, terr = keys // (p.k + 1), keys % (p.k + 1)
        best = np.lexsort((-votes, piece))
        keep = np.ones(len(best), dtype=bool)
        keep[1:] = piece[best[1:]] != piece[best[:-1]]
        target = dict(zip(piece[best[keep]].tolist(), terr[best[keep]].tolist()))
        movers = np.flatnonzero(minor)
        dest = np.array([target.get(int(lbl), -1) for lbl in labels[movers]], dtype=np.int64)
        ok = dest >= 0
        arcs = p.arcs.find(movers[ok], dest[ok])
        good = arcs >= 0
        sol.arc[movers[ok][good]] = arcs[good]
        sol.refresh()
        local_search(sol, clock.deadline, graph, improve=False, arc_mask=mask, tolerance_scale=tolerance_scale,
                     should_stop=clock.stop)
    local_search(sol, clock.deadline, graph, improve=True, arc_mask=mask, tolerance_scale=tolerance_scale,
                 should_stop=clock.stop)
