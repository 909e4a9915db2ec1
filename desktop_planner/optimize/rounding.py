"""From the LP's fractional optimum to an assignment: units the LP assigns whole keep that arc; the few it
splits (at most one per tight band row in a basic optimum) are rounded together by a small MIP with soft bands,
so that the rounding errors of neighbouring territories do not pile up in one of them.

With micro-units, an integral cell gives its arc to every member that has it, and the members of split cells
(and of cells whose arc a member lacks) are the units the MIP rounds.
"""

from __future__ import annotations

import numpy as np

from desktop_planner.optimize import lp
from desktop_planner.optimize.problem import Arcs, AssignmentProblem, Solution, targets

PENALTY = 1_000.0  # cost of one target's worth of load outside the band, in multiples of the mean arc cost
WHOLE = 1.0 - 1e-6


def round_lp(problem: AssignmentProblem, x: np.ndarray, cell: np.ndarray | None, lp_problem: AssignmentProblem,
             tolerance_scale: float, time_limit: float) -> np.ndarray:
    """Arc per unit (-1 for units that are not free)."""
    a = problem.arcs
    arc = np.full(problem.n, -1)
    if cell is not None:
        return _split_cells(problem, x, cell, lp_problem)
    whole = x >= WHOLE
    arc[a.unit[whole]] = np.flatnonzero(whole)
    if not (problem.free & (arc < 0)).any():
        return arc
    # The units left may use any of their arcs: the LP's side for a big unit may be the wrong one.
    open_arcs = problem.free[a.unit] & (arc[a.unit] < 0)
    return _mip_round(problem, arc, open_arcs, tolerance_scale, time_limit)


def _split_cells(problem: AssignmentProblem, x: np.ndarray, cell: np.ndarray,
                 lp_problem: AssignmentProblem) -> np.ndarray:
    """Members of a cell the LP assigns whole go with it; a split cell's members are shared out in the LP's
    proportions, each territory taking the members that prefer it most (cost relative to the others)."""
    a, la = problem.arcs, lp_problem.arcs
    arc = np.full(problem.n, -1)
    used = x > 1e-6
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(lp_problem.n + 1))
    first_used = np.flatnonzero(used)
    per_cell = np.bincount(la.unit[first_used], minlength=lp_problem.n)
    # Whole cells, vectorised.
    whole = first_used[per_cell[la.unit[first_used]] == 1]
    cell_terr = np.full(lp_problem.n, -1)
    cell_terr[la.unit[whole]] = la.terr[whole]
    free = np.flatnonzero(problem.free & (cell >= 0))
    target = cell_terr[cell[free]]
    has = target >= 0
    found = np.full(len(free), -1)
    found[has] = a.find(free[has], target[has])
    arc[free[found >= 0]] = found[found >= 0]
    # Split cells, one by one (at most about one per band row).
    for c in np.unique(la.unit[first_used][per_cell[la.unit[first_used]] > 1]):
        members = order[bounds[c]:bounds[c + 1]]
        options = first_used[la.unit[first_used] == c]
        options = options[np.argsort(-x[options], kind="stable")]
        terrs = la.terr[options]
        weight_of = {}
        costs = np.full((len(members), len(terrs)), np.inf)
        for t_i, t in enumerate(terrs):
            idx = a.find(members, np.full(len(members), t))
            ok = idx >= 0
            costs[ok, t_i] = a.cost[idx[ok]]
            weight_of[t_i] = (idx, ok)
        finite = np.isfinite(costs)
        mean = np.where(finite, costs, 0.0).sum(axis=1) / np.maximum(finite.sum(axis=1), 1)
        relative = costs - mean[:, None]
        total = float(la.weights[0, options] @ x[options]) if len(options) else 0.0
        left = np.ones(len(members), dtype=bool)
        for t_i in range(len(terrs)):
            idx, ok = weight_of[t_i]
            want = x[options[t_i]] * total
            candidates = np.flatnonzero(left & ok)
            candidates = candidates[np.argsort(relative[candidates, t_i], kind="stable")]
            got = 0.0
            for m_i in candidates:
                if got >= want - 1e-12 and t_i < len(terrs) - 1:
                    break
                arc[members[m_i]] = idx[m_i]
                got += a.weights[0, idx[m_i]]
                left[m_i] = False
    # Members without any of their cell's arcs: their cheapest arc.
    rest = np.flatnonzero(problem.free & (arc < 0))
    if rest.size:
        cheapest = np.full(problem.n, -1)
        order_c = np.lexsort((a.cost, a.unit))
        first = np.ones(len(order_c), dtype=bool)
        first[1:] = a.unit[order_c[1:]] != a.unit[order_c[:-1]]
        cheapest[a.unit[order_c[first]]] = order_c[first]
        arc[rest] = cheapest[rest]
    return arc


def _mip_round(problem: AssignmentProblem, arc: np.ndarray, open_arcs: np.ndarray, tolerance_scale: float,
               time_limit: float) -> np.ndarray:
    a = problem.arcs
    selected = problem.free & (arc < 0)
    fixed_load = problem.fixed_load.copy()
    placed = arc >= 0
    for j in range(problem.m):
        fixed_load[j] += np.bincount(a.terr[arc[placed]], weights=a.weights[j, arc[placed]], minlength=problem.k)
    idx = np.flatnonzero(open_arcs)
    sub_arcs = Arcs(unit=a.unit[idx], terr=a.terr[idx], cost=a.cost[idx], weights=a.weights[:, idx],
                    start=np.searchsorted(a.unit[idx], np.arange(problem.n + 1)), leave=a.leave[:, idx])
    sub = AssignmentProblem(
        n=problem.n, k=problem.k, arcs=sub_arcs, measure_names=problem.measure_names, tolerance=problem.tolerance,
        target=problem.target, share=problem.share, free=selected, fixed_terr=np.where(selected, -1, 0), constrained=problem.constrained,
        current=problem.current, move_weight=problem.move_weight, move_budget=np.zeros(len(problem.move_budget)),
        skip_fixed=True)
    sub.fixed_load = fixed_load
    moved = a.leave[:, arc[placed]].sum(axis=1) if placed.any() else np.zeros(len(problem.move_budget))
    sub.move_budget = problem.budget_left() - moved - sub.forced_moves()
    scale = targets(problem, fixed_load)  # a little low: the open units' loads are not in yet
    scale = np.where(scale > 0, scale, 1.0)
    penalty = PENALTY * (float(np.abs(a.cost).mean()) + 1e-9) * problem.n / scale
    res = lp.solve(sub, integral=True, time_limit=time_limit, tolerance_scale=tolerance_scale,
                   soft_penalty=penalty, mip_gap=1e-3)
    out = arc.copy()
    if res.ok:
        take = res.x > 0.5
        out[sub_arcs.unit[take]] = idx[take]
    rest = np.flatnonzero(selected & (out < 0))
    if rest.size:  # no MIP answer in time: greedy, largest units first, least resulting excess
        out = _greedy(problem, out, open_arcs, rest)
    return out


def _greedy(problem: AssignmentProblem, arc: np.ndarray, open_arcs: np.ndarray, rest: np.ndarray) -> np.ndarray:
    a = problem.arcs
    sol = Solution(problem, np.where(arc >= 0, arc, -1))
    load = sol.load.copy()
    size = np.zeros(problem.n)
    np.maximum.at(size, a.unit, a.weights[0])
    for u in rest[np.argsort(-size[rest], kind="stable")]:
        options = np.arange(a.start[u], a.start[u + 1])
        options = options[open_arcs[options]] if open_arcs[options].any() else options
        t = targets(problem, load)
        tol = problem.tolerance[:, None]
        best, best_key = options[0], np.inf
        for o in options:
            k = a.terr[o]
            new = load[:, k] + a.weights[:, o]
            key = float(np.maximum(new - (1 + tol[:, 0]) * t[:, k], 0).sum() / max(t[0, k], 1e-12)) * 1e6 + a.cost[o]
            if key < best_key:
                best, best_key = o, key
        arc[u] = best
        load[:, a.terr[best]] += a.weights[:, best]
    return arc
