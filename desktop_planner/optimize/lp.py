"""The assignment problem as a linear program (or mixed-integer program) for HiGHS through scipy.

One variable per arc, x_a in [0, 1] (binary for the MIP), plus one variable per measure for the plan's total,
so that "an equal share of the total" stays linear when contributions depend on the territory:

    sum over a unit's arcs x_a = 1                                  (every free unit assigned once)
    t_m - sum_a w_ma x_a = fixed total of measure m
    (1 - tol) T_mk <= fixed_mk + sum over arcs into k of w_ma x_a <= (1 + tol) T_mk,   T_mk = t_m x share_k (1 / K, or a rep's capacity share)
    sum over arcs that leave the current territory of q_a x_a <= budget (+ forced moves)

The LP's optimum is a lower bound on every integer plan's cost; a basic optimum splits at most one unit per
band and disruption row, which is why rounding it and repairing the few split units works (Zoltners & Sinha
1983, and the location-allocation literature since Hess et al. 1965). The LP's dual values price the balance
rows: `lagrange.py` turns them into a bound and an assignment for problems too large for the LP itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix

from desktop_planner.optimize.problem import AssignmentProblem


@dataclass
class Duals:
    """Dual values of the non-assignment rows (reduced cost of an arc: c_a - sum_r y_r A_ra)."""

    upper: np.ndarray  # (m, K) <= 0, the band's upper rows
    lower: np.ndarray  # (m, K) >= 0, the band's lower rows
    total: np.ndarray  # (m,) free, the rows defining the totals
    budget: np.ndarray  # (r,) <= 0, the disruption rows


@dataclass
class LPResult:
    x: np.ndarray | None  # per arc (None when no solution was found)
    objective: float  # cost of x
    bound: float  # lower bound on the integer optimum (the LP value; the MIP's dual bound)
    status: str  # "optimal", "time_limit", "infeasible", "error"
    seconds: float
    duals: Duals | None = None

    @property
    def ok(self) -> bool:
        return self.x is not None


@dataclass
class Rows:
    matrix: csr_matrix
    lo: np.ndarray
    hi: np.ndarray
    upper_row: np.ndarray  # (m, K) row index, -1 where the territory is not constrained
    lower_row: np.ndarray
    total_row: np.ndarray  # (m,)
    budget_row: np.ndarray  # (r,)


def build_rows(problem: AssignmentProblem, tolerance_scale: float = 1.0, soft: bool = False) -> Rows:
    """The constraint rows; with `soft`, every band row gets a slack column (after the arcs and totals: one
    per band row, upper rows first) so that the program is always feasible."""
    p, arcs = problem, problem.arcs
    A, m, K = len(arcs), p.m, p.k
    n_band = 2 * m * int(p.constrained.sum())
    slack_col = A + m
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0

    def add(row_idx, col_idx, values):
        rows.append(np.asarray(row_idx))
        cols.append(np.asarray(col_idx))
        vals.append(np.asarray(values, dtype=np.float64))

    units = np.flatnonzero(p.free)
    unit_row = np.full(p.n, -1)
    unit_row[units] = np.arange(len(units))
    idx = np.flatnonzero(p.free[arcs.unit])
    add(unit_row[arcs.unit[idx]], idx, np.ones(len(idx)))
    lo.append(np.ones(len(units)))
    hi.append(np.ones(len(units)))
    r += len(units)

    total_row = np.arange(r, r + m)
    for j in range(m):
        add(np.full(len(idx) + 1, r), np.append(idx, A + j), np.append(-arcs.weights[j, idx], 1.0))
        total_fixed = float(p.fixed_load[j].sum())
        lo.append([total_fixed])
        hi.append([total_fixed])
        r += 1

    ks = np.flatnonzero(p.constrained)
    into = idx[p.constrained[arcs.terr[idx]]]
    upper_row = np.full((m, K), -1)
    lower_row = np.full((m, K), -1)
    for j in range(m):
        tol = float(p.tolerance[j]) * tolerance_scale
        share = np.isnan(p.target[j, ks])
        for side, table in ((+1, upper_row), (-1, lower_row)):
            table[j, ks] = r + np.arange(len(ks))
            add(table[j, arcs.terr[into]], into, arcs.weights[j, into])
            if soft:
                add(table[j, ks], slack_col + np.arange(len(ks)), np.full(len(ks), -float(side)))
                slack_col += len(ks)
            factor = 1 + side * tol
            add(table[j, ks[share]], np.full(int(share.sum()), A + j), -factor * p.share[j, ks[share]])
            rhs = np.where(share, 0.0, factor * np.nan_to_num(p.target[j, ks])) - p.fixed_load[j, ks]
            lo.append(np.full(len(ks), -np.inf) if side > 0 else rhs)
            hi.append(rhs if side > 0 else np.full(len(ks), np.inf))
            r += len(ks)

    budget_row = np.arange(r, r + len(p.move_budget))
    for j, budget in enumerate(p.budget_left()):
        leave = idx[arcs.leave[j, idx] > 0]
        add(np.full(len(leave), r), leave, arcs.leave[j, leave])
        lo.append([-np.inf])
        hi.append([budget + 1e-12])
        r += 1
    width = A + m + (n_band if soft else 0)
    matrix = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, width))
    return Rows(matrix, np.concatenate([np.asarray(v, dtype=float) for v in lo]),
                np.concatenate([np.asarray(v, dtype=float) for v in hi]), upper_row, lower_row, total_row,
                budget_row)


def solve(problem: AssignmentProblem, integral: bool = False, time_limit: float | None = None,
          arc_mask: np.ndarray | None = None, tolerance_scale: float = 1.0, cost: np.ndarray | None = None,
          mip_gap: float = 1e-6, soft_penalty: np.ndarray | None = None) -> LPResult:
    """Solve the relaxation (with dual values) or the MIP. `arc_mask` leaves arcs out (x_a = 0);
    `tolerance_scale` < 1 asks for a band narrower than the problem's, leaving room for rounding;
    `soft_penalty` (m, K): cost per unit of load outside the band instead of a hard band."""
    started = time.perf_counter()
    p, arcs = problem, problem.arcs
    A, m = len(arcs), p.m
    soft = soft_penalty is not None
    rows = build_rows(p, tolerance_scale, soft)
    width = rows.matrix.shape[1]
    c = np.zeros(width)
    c[:A] = arcs.cost if cost is None else cost
    if soft:
        ks = np.flatnonzero(p.constrained)
        c[A + m:] = np.concatenate([np.concatenate((soft_penalty[j, ks], soft_penalty[j, ks])) for j in range(m)])
    upper = np.ones(width)
    upper[A:] = np.inf
    if arc_mask is not None:
        upper[:A] = np.where(arc_mask, 1.0, 0.0)
    upper[:A] = np.where(p.free[arcs.unit], upper[:A], 0.0)
    lower = np.zeros(width)
    lower[A:A + m] = -np.inf
    options = {"disp": False, "presolve": True}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 0.01)
    if integral:
        options["mip_rel_gap"] = mip_gap
        res = milp(c, constraints=LinearConstraint(rows.matrix, rows.lo, rows.hi), bounds=Bounds(lower, upper),
                   integrality=np.concatenate((np.ones(A), np.zeros(width - A))), options=options)
        seconds = time.perf_counter() - started
        if res.x is None:
            status = "infeasible" if res.status == 2 else ("time_limit" if res.status == 1 else "error")
            return LPResult(None, float("inf"), float("inf") if status == "infeasible" else -float("inf"),
                            status, seconds)
        bound = getattr(res, "mip_dual_bound", None)
        return LPResult(np.clip(res.x[:A], 0, 1), float(res.fun), float(res.fun if bound is None else bound),
                        "optimal" if res.status == 0 else "time_limit", seconds)

    eq = rows.lo == rows.hi
    le = ~eq & np.isfinite(rows.hi)
    ge = ~eq & np.isfinite(rows.lo)
    matrix = rows.matrix
    from scipy.sparse import vstack
    a_ub = vstack((matrix[le], -matrix[ge])).tocsr()
    b_ub = np.concatenate((rows.hi[le], -rows.lo[ge]))
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=matrix[eq], b_eq=rows.lo[eq],
                  bounds=np.column_stack((lower, upper)), method="highs-ds", options=options)
    seconds = time.perf_counter() - started
    if res.status != 0 or res.x is None:
        status = "infeasible" if res.status == 2 else ("time_limit" if res.status == 1 else "error")
        return LPResult(None, float("inf"), float("inf") if status == "infeasible" else -float("inf"),
                        status, seconds)
    y = np.zeros(matrix.shape[0])
    y[eq] = res.eqlin.marginals
    y[le] += res.ineqlin.marginals[:int(le.sum())]
    y[ge] -= res.ineqlin.marginals[int(le.sum()):]

    def take(index):
        return np.where(index >= 0, y[np.maximum(index, 0)], 0.0)
    duals = Duals(upper=take(rows.upper_row), lower=take(rows.lower_row), total=take(rows.total_row),
                  budget=take(rows.budget_row))
    x = np.clip(res.x[:A], 0.0, 1.0)
    objective = float(c[:A] @ res.x[:A])  # without the soft bands' penalty
    return LPResult(x, objective, float(res.fun), "optimal", seconds, duals)
