"""The assignment problem every optimizer in this package solves, in plain arrays.

Units (accounts, bricks, basic areas) are assigned to territories 0..K-1. A unit may go only along one of its
*arcs*, the candidate (unit, territory) pairs; each arc has a cost (the objective) and, per balanced measure,
the unit's contribution to that territory's load. Contributions may depend on the territory (an account's
workload includes the travel from that territory's home), which is what makes balancing workload more than
splitting a fixed weight. A territory's load must lie within ±tolerance of its target: an absolute target
(rarely: a sub-problem's) or a share of the plan's total (which then depends on the assignment too): an equal
share, or a rep's capacity over the team's (DESIGN.md: target_k = total x cap_k / sum of cap).

Units that are not free (locked accounts, accounts of locked territories) keep their territory and count in
the loads as constants. The disruption constraint limits the summed move weight of the units that leave
their current territory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from desktop_planner.core.rows import unique_rows
from desktop_planner.optimize.hops import HopTerm, HullState

# (units, territories) -> (cost per pair, contributions per measure and pair (m, len))
Evaluator = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Arcs:
    """Candidate (unit, territory) pairs sorted by unit; `start[i]:start[i+1]` are unit i's arcs."""

    unit: np.ndarray
    terr: np.ndarray
    cost: np.ndarray
    weights: np.ndarray  # (m, A)
    start: np.ndarray  # (n + 1,)
    length: np.ndarray | None = None  # per arc distance, for the least-longest-distance objective
    leave: np.ndarray | None = None  # (r, A) move weight an arc adds to each disruption budget

    @classmethod
    def build(cls, n: int, unit: np.ndarray, terr: np.ndarray, evaluate: Evaluator) -> "Arcs":
        pairs = unique_rows(np.column_stack((unit, terr)).astype(np.int64))  # sorted by unit, no repeats
        unit, terr = pairs[:, 0], pairs[:, 1]
        cost, weights = evaluate(unit, terr)
        start = np.searchsorted(unit, np.arange(n + 1))
        return cls(unit, terr, np.asarray(cost, dtype=np.float64), np.atleast_2d(weights).astype(np.float64), start)

    def __len__(self) -> int:
        return len(self.unit)

    def find(self, unit: np.ndarray, terr: np.ndarray) -> np.ndarray:
        """Arc index of each (unit, territory) pair, -1 where the pair is not an arc."""
        if len(self.unit) == 0:
            return np.full(len(unit), -1)
        width = int(max(self.terr.max(), np.max(terr, initial=0))) + 1
        key = self.unit * width + self.terr  # sorted: arcs are sorted by (unit, territory)
        probe = np.asarray(unit) * width + np.asarray(terr)
        pos = np.minimum(np.searchsorted(key, probe), len(key) - 1)
        return np.where(key[pos] == probe, pos, -1)


@dataclass
class AssignmentProblem:
    n: int
    k: int
    arcs: Arcs
    measure_names: list[str]
    tolerance: np.ndarray  # (m,)
    target: np.ndarray  # (m, K): absolute target, NaN = the territory's share of the total
    free: np.ndarray  # bool (n,)
    fixed_terr: np.ndarray  # int (n,): territory of each unit that is not free (-1: stays unassigned)
    constrained: np.ndarray  # bool (K,): territories whose balance is enforced
    current: np.ndarray  # int (n,): territory in the baseline plan (-1: none, must move)
    move_weight: np.ndarray  # (r, n) disruption weights of each unit, one row per budget (shares of 1)
    move_budget: np.ndarray  # (r,) largest summed move weight of the units that change territory
    evaluate: Evaluator | None = None  # contributions of pairs that are not arcs (contiguity repair)
    skip_fixed: bool = False  # the caller sets fixed_load itself (sub-problems)
    hop: "HopTerm | None" = None  # the workload's BHH term, evaluated exactly by the search
    length_of: Evaluator | None = None  # (units, territories) -> distance, for the longest-distance objective
    share: np.ndarray | None = None  # (m, K) each territory's share of the total (None: 1 / K each)
    fixed_load: np.ndarray = field(init=False)  # (m, K) loads of the units that are not free

    def __post_init__(self) -> None:
        if self.share is None:
            self.share = np.full((len(self.measure_names), self.k), 1.0 / max(self.k, 1))
        if self.arcs.leave is None:
            a = self.arcs
            self.arcs.leave = self.move_weight[:, a.unit] * (a.terr != self.current[a.unit])[None, :]
        m = len(self.measure_names)
        self.fixed_load = np.zeros((m, self.k))
        units = np.flatnonzero(~self.free & (self.fixed_terr >= 0))
        if units.size and not self.skip_fixed:
            if self.evaluate is None:
                raise ValueError("a problem with fixed units needs an evaluator for their loads")
            _, w = self.evaluate(units, self.fixed_terr[units])
            for j in range(m):
                self.fixed_load[j] = np.bincount(self.fixed_terr[units], weights=np.atleast_2d(w)[j],
                                                 minlength=self.k)

    @property
    def m(self) -> int:
        return len(self.measure_names)

    def with_arcs(self, units: np.ndarray, terrs: np.ndarray) -> "AssignmentProblem":
        """The same problem with more arcs (evaluated by `evaluate`)."""
        if len(units) == 0:
            return self
        a = self.arcs
        arcs = Arcs.build(self.n, np.concatenate((a.unit, units)), np.concatenate((a.terr, terrs)), self.evaluate)
        if self.length_of is not None:
            arcs.length = self.length_of(arcs.unit, arcs.terr)
        problem = replace(self, arcs=arcs, skip_fixed=True)
        problem.fixed_load = self.fixed_load.copy()
        return problem

    def forced_moves(self) -> np.ndarray:
        """(r,) move weight of free units that cannot keep their current territory (it was removed, or it is
        locked): the budgets do not count them."""
        a = self.arcs
        least = np.full((len(self.move_budget), self.n), np.inf)
        for r in range(len(self.move_budget)):
            np.minimum.at(least[r], a.unit, a.leave[r])
        least[:, ~self.free] = 0.0
        return np.where(np.isfinite(least), least, 0.0).sum(axis=1)

    def budget_left(self) -> np.ndarray:
        """(r,) budgets including the forced moves."""
        return self.move_budget + self.forced_moves()


@dataclass
class Solution:
    """Per unit its arc (free units) and territory; loads per measure and territory; cost."""

    problem: AssignmentProblem
    arc: np.ndarray  # (n,) arc index, -1 for units that are not free
    terr: np.ndarray = field(init=False)
    lin: np.ndarray = field(init=False)  # (m, K) loads as the sum of the arcs' weights
    load: np.ndarray = field(init=False)  # (m, K) loads with the exact hop term (lin when there is none)
    hull: HullState | None = field(init=False)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        p, a = self.problem, self.problem.arcs
        self.terr = p.fixed_terr.copy()
        free = self.arc >= 0
        self.terr[free] = a.terr[self.arc[free]]
        self.lin = p.fixed_load.copy()
        arcs = self.arc[free]
        for j in range(p.m):
            self.lin[j] += np.bincount(a.terr[arcs], weights=a.weights[j, arcs], minlength=p.k)
        self.hull = HullState(p.hop, self.terr, p.k) if p.hop is not None else None
        self.sync(())

    def sync(self, territories) -> None:
        """Recompute the hulls of the given territories and the exact loads."""
        self.load = self.lin.copy()
        if self.hull is not None:
            self.hull.recompute(self.terr, territories)
            self.load[self.problem.hop.measure] += self.hull.correction()

    @property
    def cost(self) -> float:
        arcs = self.arc[self.arc >= 0]
        return float(self.problem.arcs.cost[arcs].sum())

    def moved_weight(self) -> np.ndarray:
        """(r,) summed move weight of the units that left their current territory."""
        arcs = self.arc[self.arc >= 0]
        return self.problem.arcs.leave[:, arcs].sum(axis=1)

    def copy(self) -> "Solution":
        return Solution(self.problem, self.arc.copy())


def targets(problem: AssignmentProblem, load: np.ndarray) -> np.ndarray:
    """(m, K) targets for the given loads: absolute where set, else the territory's share of the total."""
    share = load.sum(axis=1, keepdims=True) * problem.share
    return np.where(np.isnan(problem.target), share, problem.target)


def violation(problem: AssignmentProblem, load: np.ndarray, tolerance_scale: float = 1.0) -> np.ndarray:
    """(m, K) relative excess over the band of each constrained territory (0 inside the band)."""
    t = targets(problem, load)
    tol = problem.tolerance[:, None] * tolerance_scale
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.maximum(load - (1 + tol) * t, (1 - tol) * t - load) / np.where(t > 0, t, 1.0)
    return np.where(problem.constrained[None, :], np.maximum(excess, 0.0), 0.0)


def max_deviation(problem: AssignmentProblem, load: np.ndarray) -> np.ndarray:
    """(m,) largest |load - target| / target over the constrained territories."""
    t = targets(problem, load)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.abs(load - t) / np.where(t > 0, t, 1.0)
    dev = np.where(problem.constrained[None, :], dev, 0.0)
    return dev.max(axis=1) if dev.size else np.zeros(problem.m)


def soft_penalty(problem: AssignmentProblem, strength: float = 1_000.0) -> np.ndarray:
    """(m, K) cost per unit of load outside a band: `strength` times the cost of the cheapest assignment for a
    whole target's worth of excess, so a few percent of excess outweighs any saving."""
    a = problem.arcs
    least = np.full((problem.m, problem.n), np.inf)
    for j in range(problem.m):
        np.minimum.at(least[j], a.unit, a.weights[j])
    least = np.where(np.isfinite(least), least, 0.0)
    load = problem.fixed_load.sum(axis=1) + least.sum(axis=1)
    target = np.where(np.isnan(problem.target), load[:, None] * problem.share, problem.target)
    cheapest = np.full(problem.n, np.inf)
    np.minimum.at(cheapest, a.unit, a.cost)
    scale = float(np.abs(np.where(np.isfinite(cheapest), cheapest, 0.0)).sum()) + 1e-9
    return strength * scale / np.where(target > 0, target, 1.0)
