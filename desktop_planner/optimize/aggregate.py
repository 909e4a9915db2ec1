"""Micro-units: free accounts grouped into small, compact cells so that the LP stays small.

The LP of 100,000 accounts and 200 territories did not finish in 120 s with HiGHS on the 2-core machine, while
its size at 10,000 accounts solves in about 3 s. Cells of a dozen neighbouring accounts of the same current
territory (a k-d split: halve the longer side at the median until a cell is small enough) keep the
disruption exact and lose little: the LP's duals then price every account individually (`lagrange.py`).
"""

from __future__ import annotations

import numpy as np

from desktop_planner.core.rows import unique_rows
from desktop_planner.optimize.problem import Arcs, AssignmentProblem


def kd_cells(points: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """A cell label per point (-1 where group < -1): cells never mix groups and hold at most `size` points."""
    labels = np.full(len(points), -1)
    next_label = 0
    order = np.argsort(groups, kind="stable")
    cuts = np.flatnonzero(np.diff(groups[order])) + 1
    stack = [part for part in np.split(order, cuts) if len(part) and groups[part[0]] >= -1]
    while stack:
        part = stack.pop()
        if len(part) <= size:
            labels[part] = next_label
            next_label += 1
            continue
        xy = points[part]
        axis = int(np.argmax(xy.max(axis=0) - xy.min(axis=0)))
        half = len(part) // 2
        split = np.argpartition(xy[:, axis], half)
        stack.append(part[split[half:]])
        stack.append(part[split[:half]])
    return labels


def aggregate(problem: AssignmentProblem, points: np.ndarray, size: int):
    """The problem over cells of free units; returns it, the cell of every unit (-1: not free) and the
    (unit, territory) pairs that are arcs of the cell but not of the unit."""
    p, arcs = problem, problem.arcs
    groups = np.where(p.free, p.current, -2)
    cell = kd_cells(points, groups, size)
    n_cells = int(cell.max()) + 1
    # A cell may use every territory one of its members may; the members then get that arc too (the caller
    # adds the returned pairs to the problem), so that each can follow the LP.
    pairs = unique_rows(np.column_stack((cell[arcs.unit], arcs.terr))[p.free[arcs.unit]])
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(n_cells + 1))
    cu, ct = pairs[:, 0], pairs[:, 1]
    sizes = bounds[cu + 1] - bounds[cu]
    rep = np.repeat(np.arange(len(pairs)), sizes)
    offsets = np.arange(len(rep)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    members = order[bounds[cu][rep] + offsets]
    cost, weights = p.evaluate(members, ct[rep])
    weights = np.atleast_2d(weights)
    leave = p.move_weight[:, members] * (ct[rep] != p.current[members])[None, :]

    def summed(values):
        return np.bincount(rep, weights=values, minlength=len(pairs))
    agg_arcs = Arcs(unit=cu, terr=ct, cost=summed(cost), weights=np.array([summed(w) for w in weights]),
                    start=np.searchsorted(cu, np.arange(n_cells + 1)),
                    leave=np.array([summed(w) for w in leave]).reshape(len(leave), len(pairs)))
    if arcs.length is not None:
        length = np.zeros(len(pairs))
        found = p.arcs.find(members, ct[rep])
        np.maximum.at(length, rep, np.where(found >= 0, p.arcs.length[np.maximum(found, 0)], np.inf))
        agg_arcs.length = length
    free_units = np.flatnonzero(cell >= 0)
    current = np.full(n_cells, -1)
    current[cell[free_units]] = p.current[free_units]
    move_weight = np.array([np.bincount(cell[free_units], weights=w[free_units], minlength=n_cells)
                            for w in p.move_weight]).reshape(len(p.move_weight), n_cells)
    agg = AssignmentProblem(
        n=n_cells, k=p.k, arcs=agg_arcs, measure_names=p.measure_names, tolerance=p.tolerance, target=p.target, share=p.share,
        free=np.ones(n_cells, dtype=bool), fixed_terr=np.full(n_cells, -1), constrained=p.constrained,
        current=current, move_weight=move_weight, move_budget=p.move_budget)
    agg.fixed_load = p.fixed_load.copy()
    missing = p.arcs.find(members, ct[rep]) < 0
    return agg, cell, (members[missing], ct[rep][missing])
