"""Prices from the LP's dual values: a lower bound for problems whose LP was solved over micro-units.

Relaxing the balance, total and disruption rows with multipliers y gives the Lagrangian function
L(y) = sum over free units of min over their arcs of the reduced cost c_a - sum_r y_r A_ra, plus sum_r y_r b_r.
For any y of the right signs it is a lower bound on the LP, hence on every integer plan; at the LP's own duals
it equals the LP optimum. Duals of a smaller LP (accounts aggregated into micro-units) are of the right signs
for the full problem as well, so they bound it without solving its LP. The arg-min of the reduced costs is an
assignment that is balanced up to the units the LP would split (Fisher 1981, "The Lagrangian relaxation method
for solving integer programming problems"); measured here, rounding the LP's own solution did better (rounding.py),
so the prices serve the bound.
"""

from __future__ import annotations

import numpy as np

from desktop_planner.optimize.lp import Duals
from desktop_planner.optimize.problem import AssignmentProblem

CHUNK = 2_000_000  # (unit, territory) pairs evaluated at once for the bound over every territory


def consistent(problem: AssignmentProblem, duals: Duals) -> Duals:
    """Choose the totals' (free) duals so that the total variables have zero reduced cost, which keeps the
    Lagrangian finite whatever the band duals are."""
    p = problem
    share = np.isnan(p.target) & p.constrained[None, :]
    tol = p.tolerance[:, None]
    total = (np.where(share, duals.upper * (1 + tol) + duals.lower * (1 - tol), 0.0) * p.share).sum(axis=1)
    return Duals(np.minimum(duals.upper, 0.0), np.maximum(duals.lower, 0.0), total, np.minimum(duals.budget, 0.0))


def reduced_costs(problem: AssignmentProblem, duals: Duals, units: np.ndarray, terrs: np.ndarray,
                  cost: np.ndarray, weights: np.ndarray, leave: np.ndarray) -> np.ndarray:
    band = np.where(problem.constrained[None, :], duals.upper + duals.lower, 0.0)  # (m, K)
    rc = cost.copy()
    for j in range(problem.m):
        rc -= (band[j, terrs] - duals.total[j]) * weights[j]
    for r in range(len(duals.budget)):
        rc -= duals.budget[r] * leave[r]
    return rc


def constant_term(problem: AssignmentProblem, duals: Duals) -> float:
    p = problem
    share = np.isnan(p.target)
    tol = p.tolerance[:, None]
    fixed_abs_up = np.where(share, 0.0, (1 + tol) * np.nan_to_num(p.target)) - p.fixed_load
    fixed_abs_lo = np.where(share, 0.0, (1 - tol) * np.nan_to_num(p.target)) - p.fixed_load
    mask = p.constrained[None, :]
    value = float(np.where(mask, duals.upper * fixed_abs_up + duals.lower * fixed_abs_lo, 0.0).sum())
    value += float((duals.total * p.fixed_load.sum(axis=1)).sum())
    value += float((duals.budget * p.budget_left()).sum())
    return value


def arc_reduced_costs(problem: AssignmentProblem, duals: Duals) -> np.ndarray:
    a = problem.arcs
    return reduced_costs(problem, duals, a.unit, a.terr, a.cost, a.weights, a.leave)


def bound(problem: AssignmentProblem, duals: Duals, every_territory: bool = True) -> float:
    """L(y): over the problem's arcs, or (every_territory) over every open territory for every free unit,
    which bounds the plan even against assignments to territories that are not among an account's arcs."""
    p = problem
    units = np.flatnonzero(p.free)
    if not every_territory or p.evaluate is None:
        rc = arc_reduced_costs(p, duals)
        least = np.full(p.n, np.inf)
        np.minimum.at(least, p.arcs.unit, rc)
        return float(least[units].sum()) + constant_term(p, duals)
    open_terr = np.flatnonzero(p.constrained | np.isin(np.arange(p.k), p.arcs.terr))
    total = 0.0
    step = max(1, CHUNK // max(len(open_terr), 1))
    for start in range(0, len(units), step):
        u = np.repeat(units[start:start + step], len(open_terr))
        t = np.tile(open_terr, len(units[start:start + step]))
        cost, weights = p.evaluate(u, t)
        leave = p.move_weight[:, u] * (t != p.current[u])[None, :]
        rc = reduced_costs(p, duals, u, t, cost, np.atleast_2d(weights), leave)
        total += float(rc.reshape(-1, len(open_terr)).min(axis=1).sum())
    return total + constant_term(p, duals)
