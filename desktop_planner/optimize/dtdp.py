"""Delivery territory design with the least largest diameter (the DTDP benchmark of Aly, Gabor & Sleptchenko
2024 and Pereira & Vilà's LNS): K territories, each within ±tolerance of the mean on every activity, and the
largest shortest-path distance between two units of one territory as small as possible.

Method: a balanced start from the general machinery (location-allocation LP over K dispersed centres, rounding,
band repair), then a threshold tabu search. For a threshold tau every pair of units farther apart than tau in
one territory is a conflict; the search minimises conflicts + lambda * infeasibility (the papers' measure) by
moving one unit at a time (all n x K moves evaluated at once with numpy; the conflict counts per unit and
territory are kept up to date in O(n) per move), with a tabu tenure against moving a unit back and an adaptive
lambda (strategic oscillation). Each time both reach zero the plan is feasible with diameter <= tau, and tau
drops to the next smaller distance. Deterministic for a seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from desktop_planner.optimize import lp
from desktop_planner.optimize.problem import Arcs, AssignmentProblem, Solution
from desktop_planner.optimize.rounding import round_lp
from desktop_planner.optimize.search import local_search


@dataclass(frozen=True)
class TabuTuning:
    """The search's knobs, with the defaults the DTDP benchmark was measured with (30/30 feasible, mean
    largest diameter 43.30 at 60 s per instance)."""

    stall: int = 500  # moves without a new best before a restart
    kick: float = 0.01  # share of units a restart moves at random (more after each failed restart)
    swaps: bool = True  # also try exchanging two units once the plan is balanced
    fresh: int = 30  # failed restarts before a fresh balanced start from other centres


@dataclass
class DTDPInstance:
    name: str
    xy: np.ndarray  # (n, 2)
    activity: np.ndarray  # (n, m): customers, demand, workload
    dist: np.ndarray  # (n, n) shortest-path distances
    k: int = 10
    tolerance: float = 0.05
    edges: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.xy)


@dataclass
class DTDPResult:
    assignment: np.ndarray  # territory 0..K-1 per unit
    diameter: float
    infeasibility: float
    seconds: float
    iterations: int
    history: list[tuple[float, float]] = field(default_factory=list)  # (seconds, diameter) of each new best

    @property
    def feasible(self) -> bool:
        return self.infeasibility <= 1e-9


def infeasibility(inst: DTDPInstance, terr: np.ndarray) -> float:
    """The papers' measure: summed relative excess over the bands of every territory and activity."""
    loads = np.array([np.bincount(terr, weights=inst.activity[:, a], minlength=inst.k)
                      for a in range(inst.activity.shape[1])])
    mu = inst.activity.sum(axis=0)[:, None] / inst.k
    excess = np.maximum(np.maximum(loads - (1 + inst.tolerance) * mu, (1 - inst.tolerance) * mu - loads), 0.0)
    return float((excess / mu).sum())


def diameters(inst: DTDPInstance, terr: np.ndarray) -> np.ndarray:
    out = np.zeros(inst.k)
    for t in range(inst.k):
        members = np.flatnonzero(terr == t)
        if len(members) > 1:
            out[t] = inst.dist[np.ix_(members, members)].max()
    return out


def balanced_start(inst: DTDPInstance, rng: np.random.Generator, deadline: float) -> np.ndarray:
    """K dispersed centres (farthest-first from a random unit), the balance LP with squared distance to the
    centre as cost, rounding, band repair; then centres move to each territory's 1-centre and again."""
    n, k = inst.n, inst.k
    centres = [int(rng.integers(n))]
    for _ in range(k - 1):
        centres.append(int(np.argmax(inst.dist[:, centres].min(axis=1))))
    centres = np.array(centres)
    best = None
    for _ in range(4):
        units, terrs = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)

        def evaluate(u, t, c=centres):
            return inst.dist[u, c[t]] ** 2, inst.activity[u].T

        problem = AssignmentProblem(
            n=n, k=k, arcs=Arcs.build(n, units, terrs, evaluate), measure_names=["customers", "demand", "workload"],
            tolerance=np.full(inst.activity.shape[1], inst.tolerance), target=np.full((inst.activity.shape[1], k), np.nan),
            free=np.ones(n, dtype=bool), fixed_terr=np.full(n, -1), constrained=np.ones(k, dtype=bool),
            current=np.full(n, -1), move_weight=np.zeros((0, n)), move_budget=np.zeros(0), evaluate=evaluate)
        res = lp.solve(problem, tolerance_scale=0.6)
        if not res.ok:
            break
        sol = Solution(problem, round_lp(problem, res.x, None, problem, 1.0, 2.0))
        local_search(sol, min(deadline, time.perf_counter() + 2.0), improve=True)
        terr = sol.terr.copy()
        score = (infeasibility(inst, terr), diameters(inst, terr).max())
        if best is None or score < best[0]:
            best = (score, terr)
        # 1-centres: the member with the least largest distance to the others
        new = centres.copy()
        for t in range(k):
            members = np.flatnonzero(terr == t)
            if len(members):
                new[t] = members[int(np.argmin(inst.dist[np.ix_(members, members)].max(axis=1)))]
        if np.array_equal(new, centres) or time.perf_counter() > deadline:
            break
        centres = new
    return best[1]


class ThresholdTabu:
    """The tabu search at a threshold tau (see the module docstring)."""

    def __init__(self, inst: DTDPInstance, terr: np.ndarray, rng: np.random.Generator,
                 swaps: bool = True) -> None:
        self.inst, self.rng, self.swaps = inst, rng, swaps
        self.terr = terr.copy()
        self.k = inst.k
        self.w = inst.activity  # (n, m)
        self.mu = inst.activity.sum(axis=0) / inst.k  # (m,)
        self.lo, self.hi = (1 - inst.tolerance) * self.mu, (1 + inst.tolerance) * self.mu
        self.load = np.array([np.bincount(self.terr, weights=self.w[:, a], minlength=self.k)
                              for a in range(self.w.shape[1])]).T  # (K, m)
        self.lam = 50.0
        self.tabu = np.zeros((inst.n, self.k), dtype=np.int64)
        self.iteration = 0
        self.values = np.unique(inst.dist[np.triu_indices(inst.n, 1)])

    def set_threshold(self, tau: float) -> None:
        self.tau = tau
        self.far = (self.inst.dist > tau).astype(np.int32)
        onehot = np.zeros((self.inst.n, self.k), dtype=np.int32)
        onehot[np.arange(self.inst.n), self.terr] = 1
        self.cnt = self.far @ onehot  # (n, K) conflicts of unit u with territory t's members

    def conflicts(self) -> int:
        return int(self.cnt[np.arange(self.inst.n), self.terr].sum()) // 2

    def _viol(self, load):
        return (np.maximum(np.maximum(load - self.hi, self.lo - load), 0.0) / self.mu).sum(axis=-1)

    def infeasibility(self) -> float:
        return float(self._viol(self.load).sum())

    def step(self, conflicts: int, infeas: float) -> tuple[int, float]:
        n, k = self.inst.n, self.k
        own_all = self.terr
        own_conf = self.cnt[np.arange(n), own_all]
        # TabuCol's critical moves: units in a conflict; every unit while a band is violated.
        units = np.flatnonzero(own_conf > 0) if infeas <= 1e-9 else np.arange(n)
        if units.size == 0:
            units = np.arange(n)
        own = own_all[units]
        d_conf = self.cnt[units] - own_conf[units][:, None]  # (c, K)
        base = self._viol(self.load)  # (K,)
        w = self.w[units]
        out = self._viol(self.load[own] - w) - base[own]  # (c,)
        into = self._viol(self.load[None, :, :] + w[:, None, :]) - base[None, :]  # (c, K)
        d_inf = out[:, None] + into
        rows = np.arange(len(units))
        score = d_conf + self.lam * d_inf
        score[rows, own] = np.inf
        new_conf, new_inf = conflicts + d_conf, infeas + d_inf
        aspiration = (new_conf == 0) & (new_inf <= 1e-9)
        score = np.where((self.tabu[units] > self.iteration) & ~aspiration, np.inf, score)
        best = score.min()
        tenure = int(0.6 * len(units)) if infeas <= 1e-9 else 0
        if self.swaps and infeas <= 1e-9 and len(units) < n:
            swap = self._best_swap(units, conflicts, infeas)
            if swap is not None and swap[0] < best - 1e-9:
                _, u, v, dc, di = swap
                a, b = int(self.terr[u]), int(self.terr[v])
                self.move(u, b, tenure)
                self.move(v, a, tenure)
                return int(conflicts + dc), float(max(infeas + di, 0.0))
        if not np.isfinite(best):
            self.iteration += 1
            return conflicts, infeas
        ties = np.flatnonzero(score.ravel() <= best + 1e-9)
        pick = int(ties[self.rng.integers(len(ties))]) if len(ties) > 1 else int(ties[0])
        r, t = divmod(pick, k)
        u = int(units[r])
        self.move(u, t, tenure)
        return int(conflicts + d_conf[r, t]), float(max(infeas + d_inf[r, t], 0.0))

    def _best_swap(self, units: np.ndarray, conflicts: int, infeas: float):
        """The best exchange of a conflicting unit u with a unit v of another territory (balance kept by the
        exchange), as (score, u, v, change in conflicts, change in infeasibility)."""
        terr = self.terr
        a = terr[units][:, None]  # (c, 1)
        b = terr[None, :]  # (1, n)
        other = a != b
        cnt = self.cnt
        far_uv = self.far[units]  # (c, n)
        d_conf = (cnt[units[:, None], b] - cnt[units, terr[units]][:, None] - far_uv
                  + cnt[np.arange(self.inst.n)[None, :], a] - cnt[np.arange(self.inst.n), terr][None, :] - far_uv)
        wu, wv = self.w[units][:, None, :], self.w[None, :, :]
        base = self._viol(self.load)
        la = self.load[terr[units]][:, None, :] - wu + wv
        lb = self.load[terr][None, :, :] + wu - wv
        d_inf = self._viol(la) + self._viol(lb) - base[terr[units]][:, None] - base[terr][None, :]
        score = np.where(other, d_conf + self.lam * d_inf, np.inf)
        tabu = (self.tabu[units[:, None], b] > self.iteration) | (self.tabu[np.arange(self.inst.n)[None, :], a]
                                                                  > self.iteration)
        aspiration = (conflicts + d_conf == 0) & (infeas + d_inf <= 1e-9)
        score = np.where(tabu & ~aspiration, np.inf, score)
        flat = int(np.argmin(score))
        best = float(score.ravel()[flat])
        if not np.isfinite(best):
            return None
        r, v = divmod(flat, self.inst.n)
        return best, int(units[r]), int(v), int(d_conf[r, v]), float(d_inf[r, v])

    def move(self, u: int, t: int, tenure: int = 0) -> None:
        a = int(self.terr[u])
        self.terr[u] = t
        self.load[a] -= self.w[u]
        self.load[t] += self.w[u]
        col = self.far[:, u]
        self.cnt[:, a] -= col
        self.cnt[:, t] += col
        self.tabu[u, a] = self.iteration + 7 + tenure + int(self.rng.integers(10))
        self.iteration += 1


def solve_dtdp(inst: DTDPInstance, time_limit: float = 60.0, seed: int = 0,
               progress: Callable[[float, str], bool] | None = None, max_moves: int | None = None,
               tuning: TabuTuning = TabuTuning()) -> DTDPResult:
    """Best plan found within `time_limit` seconds, or exactly `max_moves` tabu moves (then the result depends on
    the seed only: reproducible on any machine; the time limit still stops the run)."""
    started = time.perf_counter()
    deadline = started + max(0.1, time_limit - 0.25)  # the last batch of moves and the result fit in the limit
    moves = 0

    def out_of_budget() -> bool:
        return time.perf_counter() >= deadline or (max_moves is not None and moves >= max_moves)

    def plenty_left() -> bool:
        if max_moves is not None:
            return max_moves - moves > 0.15 * max_moves
        return deadline - time.perf_counter() > 0.15 * time_limit
    rng = np.random.default_rng(seed)
    terr = balanced_start(inst, rng, started + min(0.2 * time_limit, 10.0) if max_moves is None else float("inf"))
    best_terr = terr.copy()
    best_inf = infeasibility(inst, terr)
    best_diam = float(diameters(inst, terr).max())
    history = [(time.perf_counter() - started, best_diam)]
    search = ThresholdTabu(inst, terr, rng, tuning.swaps)
    values = search.values

    def next_tau(diameter: float) -> float:
        i = int(np.searchsorted(values, diameter - 1e-9)) - 1
        return float(values[max(i, 0)])

    # The descent's own best (restarts go back to it) and the run's best (what is returned).
    run_terr, run_inf, run_diam = best_terr.copy(), best_inf, best_diam
    # Until the start is balanced, aim at its own diameter (tau = it): only balance can conflict then.
    search.set_threshold(run_diam if run_inf > 1e-9 else next_tau(run_diam))
    conflicts, infeas = search.conflicts(), search.infeasibility()
    since, failures = 0, 0
    while not out_of_budget():
        for _ in range(200 if max_moves is None else min(200, max_moves - moves)):
            conflicts, infeas = search.step(conflicts, infeas)
            since += 1
            moves += 1
            if conflicts == 0 and infeas <= 1e-9:
                diameter = float(diameters(inst, search.terr).max())
                if run_inf > 1e-9 or diameter < run_diam - 1e-9:
                    run_terr, run_inf, run_diam = search.terr.copy(), 0.0, diameter
                    failures = 0
                    if best_inf > 1e-9 or diameter < best_diam - 1e-9:
                        best_terr, best_inf, best_diam = search.terr.copy(), 0.0, diameter
                        history.append((time.perf_counter() - started, best_diam))
                search.set_threshold(next_tau(diameter))
                conflicts, infeas = search.conflicts(), search.infeasibility()
                since = 0
            if search.iteration % 10 == 0:
                # Strategic oscillation: stress balance while infeasible, relax it while balanced.
                search.lam = min(search.lam * 1.1, 1e3) if infeas > 1e-9 else max(search.lam / 1.1, 1.0)
        if progress is not None and progress(min(1.0, (time.perf_counter() - started) / time_limit),
                                             f"diameter {best_diam:.3f}") is False:
            break
        if since > tuning.stall:
            failures += 1
            if failures > tuning.fresh and plenty_left():
                # Many restarts without progress: a fresh balanced start from other centres.
                run_terr = balanced_start(inst, rng, time.perf_counter() + 2.0 if max_moves is None else float("inf"))
                run_inf, run_diam = infeasibility(inst, run_terr), float(diameters(inst, run_terr).max())
                search = ThresholdTabu(inst, run_terr, rng, tuning.swaps)
                search.set_threshold(run_diam if run_inf > 1e-9 else next_tau(run_diam))
                failures = 0
            else:
                # Back to the descent's best plan, perturbed by random moves (more after each failure).
                search = ThresholdTabu(inst, run_terr, rng, tuning.swaps)
                search.set_threshold(next_tau(run_diam))
                kick = min(0.1, tuning.kick * (1 + failures / 10))
                for u in rng.choice(inst.n, size=max(3, int(inst.n * kick)), replace=False):
                    search.move(int(u), int(rng.integers(inst.k)))
            conflicts, infeas = search.conflicts(), search.infeasibility()
            since = 0
    return DTDPResult(best_terr, best_diam, best_inf, time.perf_counter() - started, moves, history)
