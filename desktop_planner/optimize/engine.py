"""The rounds of auto-balance: LP (exact or over micro-units) -> assignment -> local search -> refresh hops and
centres -> again, until the plan is balanced by the project's own measures and no centre moves."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from desktop_planner.optimize import lagrange, lp
from desktop_planner.optimize.aggregate import aggregate
from desktop_planner.optimize.plan_model import PlanModel, ProblemOptions, build_problem
from desktop_planner.optimize.problem import AssignmentProblem, Solution, soft_penalty, violation
from desktop_planner.optimize.rounding import round_lp
from desktop_planner.optimize.pieces import make_contiguous, tidy_islands
from desktop_planner.optimize.search import Graph, local_search

ARC_LIMIT = 100_000  # exact LP up to this many arcs: 10k accounts x 8 candidates solve in about 3 s
CELL_ARCS = 60_000  # above it, the LP over micro-units has about this many arcs
BOTTLENECK_ARCS = 15_000  # the many small LPs of the longest-distance search
# The LP aims at 80 % of each tolerance, leaving room for rounding its split units; the local search at 98 %:
# hop lengths and medoids move a little when territories change, and the report checks the full tolerance.
LP_MARGIN = 0.8
MARGIN = 0.98
MAX_ROUNDS = 6
SETTLE_ROUNDS = 5
RELOCATIONS = 1


@dataclass
class Outcome:
    terr: np.ndarray  # territory index per account, -1 unassigned
    objective_name: str
    objective: float
    bound: float | None
    method: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Start:
    arc: np.ndarray
    duals: lp.Duals | None
    method: str
    problem: AssignmentProblem | None = None  # the problem the arcs index (micro-units may add arcs)
    threshold: float | None = None  # longest-distance objective: the arcs allowed
    exact_threshold: bool = False


def optimise(model: PlanModel, options: ProblemOptions, current: np.ndarray, clock, settings,
             edges: np.ndarray | None) -> Outcome:
    """`edges`: the accounts' Delaunay edges; territories are then kept contiguous if settings ask for it,
    else only small detached pieces are tidied away at the end where the bands allow."""
    notes: list[str] = []
    n = len(model.plan.accounts)
    graph = Graph.from_edges(edges, n) if edges is not None and settings.require_contiguous else None
    edges_for_tidy = edges
    problem = build_problem(model, options, current)
    if not problem.free.any() or not problem.constrained.any():
        notes.append("nothing to optimise: every account or every territory is locked")
        return Outcome(problem.fixed_terr.copy(), objective_name(options), 0.0, None, "none", notes)
    bottleneck = options.objective == "max_distance"
    if settings.homes == "optimize" and (~model.home_fixed).any():
        clock.step(0.02, "Placing the homes")
        problem = _settle_homes(model, options, current, problem, clock)
    clock.step(0.05, "Solving the linear program")
    start = _bottleneck_start(problem, model, clock, notes) if bottleneck else travel_start(problem, model,
                                                                                           clock, notes)
    problem = start.problem
    sol = Solution(problem, start.arc)
    threshold = start.threshold
    search = _Search(clock, graph, bottleneck)
    threshold = search.run(sol, threshold)
    movable_centres = (~model.home_fixed).any()
    lp_margin = LP_MARGIN
    best = _Best(model, sol, start)
    relocate_homes = settings.homes == "optimize"
    relocations = 0
    for round_no in range(MAX_ROUNDS):
        feasible = float(violation(problem, sol.load).sum()) <= 1e-9
        if clock.stop() or (feasible and not movable_centres):
            break
        clock.step(0.3 + 0.1 * round_no, "Refreshing travel estimates")
        terr = sol.terr.copy()
        model.refresh_hops(ids_of(model, terr))
        # Homes the optimizer places move again at most RELOCATIONS times here (they were settled on a coarse
        # LP first); medoids of territories without a rep home always follow, as the measures do.
        if relocate_homes:
            moved = model.refresh_centres(terr, "workload") if relocations < RELOCATIONS \
                and clock.remaining() > 0.5 * settings.time_limit_s else 0
            relocations += 1
        else:
            moved = model.refresh_centres(terr, "potential") if movable_centres else 0
        if feasible and not moved:
            break
        problem, sol = rebuild(model, options, current, sol.terr, sol.problem.free, graph)
        relocate = moved and relocate_homes
        if moved and not relocate:  # medoids of territories without a rep home followed their accounts
            threshold = search.run(sol, threshold)
        feasible = float(violation(problem, sol.load).sum()) <= 1e-9
        if (feasible and not relocate) or bottleneck or clock.remaining() < 0.3 * settings.time_limit_s:
            if relocate:
                threshold = search.run(sol, threshold)
            best.offer(model, sol, start)
            continue
        # The LP again, with this plan's hop lengths and centres: a region whose territories all sit at the top
        # of the band needs accounts to flow out through all of them, which single moves cannot do; with new
        # homes, a new allocation (Cooper's alternating location-allocation).
        if not feasible and not relocate:
            lp_margin *= 0.75
        again = travel_start(problem, model, clock, notes, lp_margin, fallback=sol.arc)
        trial = Solution(again.problem, again.arc)
        search.run(trial, threshold)
        if relocate or _better(trial, sol):
            sol, start, problem = trial, again, again.problem
        best.offer(model, sol, start)
        if not relocate and sol is not trial:
            break
    if best.restore(model, sol):  # a later round (new homes) ended worse than an earlier plan
        problem, sol = rebuild(model, options, current, best.solution().terr, best.solution().problem.free, graph)
        start = best.start
    if graph is None and edges_for_tidy is not None and not clock.stop():
        clock.step(0.85, "Tidying detached pieces")
        tidied = tidy_islands(sol, Graph.from_edges(edges_for_tidy, n), bottleneck and threshold or None, MARGIN)
        if tidied:
            notes.append(f"{tidied} small detached pieces joined the territory around them")
    clock.step(0.9, "Computing the lower bound")
    objective, bound = objective_and_bound(problem, model, sol, start, clock, bottleneck, notes, options)
    method = start.method + (", contiguity-preserving moves" if graph is not None else "")
    return Outcome(sol.terr.copy(), objective_name(options), objective, bound, method, notes)


def _settle_homes(model: PlanModel, options: ProblemOptions, current: np.ndarray, problem: AssignmentProblem,
                  clock) -> AssignmentProblem:
    """Cooper's alternation on a coarse LP (micro-units of a few hundred arcs' worth): allocate, move every
    home to its territory's workload-weighted medoid, again, until few homes move. Cheap, and it leaves the
    expensive LP and search to run once for settled homes instead of once per move of the homes."""
    for _ in range(SETTLE_ROUNDS):
        if clock.remaining() < 0.6 * clock.limit:
            break
        lp_problem, cell, full = _lp_problem(problem, model, BOTTLENECK_ARCS)
        res = lp.solve(lp_problem, time_limit=max(1.0, 0.1 * clock.remaining()), tolerance_scale=LP_MARGIN,
                       soft_penalty=soft_penalty(lp_problem))
        if not res.ok:
            break
        arc = round_lp(full, res.x, cell, lp_problem, MARGIN, 1.0)
        terr = full.fixed_terr.copy()
        terr[arc >= 0] = full.arcs.terr[arc[arc >= 0]]
        model.refresh_hops(ids_of(model, terr))
        moved = model.refresh_centres(terr, "workload")
        problem = build_problem(model, options, current)
        if moved <= max(1, 0.02 * model.k):
            break
    return problem


class _Best:
    """The best plan over the rounds (least violation, then cost) with the centres it was made for."""

    def __init__(self, model: PlanModel, sol: Solution, start: Start) -> None:
        self.key = None
        self.offer(model, sol, start)

    def offer(self, model: PlanModel, sol: Solution, start: Start) -> None:
        key = (round(float(violation(sol.problem, sol.load).sum()), 9), sol.cost)
        if self.key is None or key < self.key:
            self.key, self.sol, self.start = key, sol.copy(), start
            self.home_row, self.home_xyz = model.home_row.copy(), model.home_xyz.copy()

    def restore(self, model: PlanModel, sol: Solution) -> bool:
        key = (round(float(violation(sol.problem, sol.load).sum()), 9), sol.cost)
        if key <= self.key:
            return False
        model.home_row[:], model.home_xyz[:] = self.home_row, self.home_xyz
        model.refresh_hops(ids_of(model, self.sol.terr))
        return True

    def solution(self) -> Solution:
        return self.sol


def rebuild(model: PlanModel, options: ProblemOptions, current: np.ndarray, terr: np.ndarray, free: np.ndarray,
            graph: Graph | None) -> tuple[AssignmentProblem, Solution]:
    """The problem for the model's present hops and centres, with the assignment `terr` carried over (its own
    arcs and, for contiguity repair, the territories each account touches are always arcs). `free`: bool per
    account."""
    is_free = free
    free = np.flatnonzero(free)
    extra_u, extra_t = [free], [terr[free]]
    if graph is not None:
        touching = is_free[graph.a] & (terr[graph.b] >= 0)
        extra_u.append(graph.a[touching])
        extra_t.append(terr[graph.b[touching]])
    problem = build_problem(model, options, current, (np.concatenate(extra_u), np.concatenate(extra_t)))
    arc = np.full(problem.n, -1)
    arc[free] = problem.arcs.find(free, terr[free])
    return problem, Solution(problem, arc)


def objective_name(options: ProblemOptions) -> str:
    if options.objective == "max_distance":
        return "longest distance to home (km)"
    return "visit-weighted mean distance to home (km)" + (
        " + disruption penalty" if options.disruption_weight > 0 else "")


def ids_of(model: PlanModel, terr: np.ndarray) -> np.ndarray:
    return np.where(terr >= 0, model.tids[np.maximum(terr, 0)], -1)


def _better(a: Solution, b: Solution) -> bool:
    va, vb = float(violation(a.problem, a.load).sum()), float(violation(b.problem, b.load).sum())
    if abs(va - vb) > 1e-9:
        return va < vb
    return a.cost < b.cost


class _Search:
    """Local search with contiguity repair, and for the longest-distance objective a threshold that grows
    until the bands can be met."""

    def __init__(self, clock, graph: Graph | None, bottleneck: bool) -> None:
        self.clock, self.graph, self.bottleneck = clock, graph, bottleneck

    def run(self, sol: Solution, threshold: float | None) -> float | None:
        p = sol.problem
        while True:
            mask = None if threshold is None else (p.arcs.length <= threshold + 1e-9)
            if mask is not None:
                _leave_masked_arcs(sol, mask)
            local_search(sol, self.clock.deadline, None, improve=True, arc_mask=mask,
                         tolerance_scale=MARGIN, should_stop=self.clock.stop)
            if self.graph is not None:
                make_contiguous(sol, self.graph, self.clock, mask, MARGIN)
            if threshold is None or self.clock.stop():
                return threshold
            if float(violation(p, sol.load, MARGIN).sum()) <= 1e-9:
                return threshold
            longer = p.arcs.length[p.arcs.length > threshold + 1e-9]
            if longer.size == 0:
                return threshold
            threshold = float(np.quantile(longer, 0.02)) if longer.size > 50 else float(longer.min())


def _leave_masked_arcs(sol: Solution, mask: np.ndarray) -> None:
    """Units on an arc the threshold forbids move to their allowed arc of least cost (if any)."""
    p = sol.problem
    bad = np.flatnonzero((sol.arc >= 0) & ~mask[np.maximum(sol.arc, 0)])
    if not bad.size:
        return
    a = p.arcs
    rc = np.where(mask, a.cost, np.inf)
    order = np.lexsort((rc, a.unit))
    first = np.ones(len(order), dtype=bool)
    first[1:] = a.unit[order[1:]] != a.unit[order[:-1]]
    best = np.full(p.n, -1)
    best[a.unit[order[first]]] = order[first]
    ok = bad[(best[bad] >= 0) & mask[np.maximum(best[bad], 0)]]
    sol.arc[ok] = best[ok]
    sol.refresh()


def _lp_problem(problem: AssignmentProblem, model: PlanModel, limit: int):
    """The problem itself when small enough, else the problem over micro-units; each unit's cell; and the
    problem with the arcs every member of a cell needs to follow it."""
    if len(problem.arcs) <= limit:
        return problem, None, problem
    free = int(problem.free.sum())
    cells = limit / (len(problem.arcs) / max(free, 1))
    size = max(2, math.ceil(1.4 * free / cells))  # k-d cells hold between half and all of `size`
    agg, cell, (units, terrs) = aggregate(problem, model.plan.accounts.ea_km, size)
    return agg, cell, problem.with_arcs(units, terrs)


def travel_start(problem: AssignmentProblem, model: PlanModel, clock, notes: list[str],
                  lp_margin: float = LP_MARGIN, fallback: np.ndarray | None = None) -> Start:
    original = problem
    lp_problem, cell, problem = _lp_problem(problem, model, ARC_LIMIT)
    # Soft bands: when no plan can be balanced (too little room on the candidate arcs, a budget too small)
    # the LP still answers with the least excess.
    res = lp.solve(lp_problem, time_limit=max(1.0, 0.5 * clock.remaining()), tolerance_scale=lp_margin,
                   soft_penalty=soft_penalty(lp_problem))
    what = (f"LP over {lp_problem.n:,} micro-units" if cell is not None
            else f"exact LP ({len(problem.arcs):,} arcs)")
    if not res.ok:
        if fallback is not None:
            return Start(fallback.copy(), None, "local search", original)
        notes.append(f"the {what} found no plan ({res.status}); local search from the current plan")
        return Start(_fallback_arcs(original), None, "local search", original)
    duals = lagrange.consistent(lp_problem, res.duals)
    arc = round_lp(problem, res.x, cell, lp_problem, MARGIN, min(5.0, max(0.5, 0.2 * clock.remaining())))
    return Start(arc, duals, f"{what} (HiGHS, {res.seconds:.1f} s), rounding + local search", problem)


def _fallback_arcs(problem: AssignmentProblem) -> np.ndarray:
    """Each free unit on its current territory's arc if it has one, else its cheapest arc."""
    a = problem.arcs
    keep = a.terr == problem.current[a.unit]
    order = np.lexsort((a.cost, ~keep, a.unit))
    first = np.ones(len(order), dtype=bool)
    first[1:] = a.unit[order[1:]] != a.unit[order[:-1]]
    arc = np.full(problem.n, -1)
    arc[a.unit[order[first]]] = order[first]
    arc[~problem.free] = -1
    return arc


def _bottleneck_start(problem: AssignmentProblem, model: PlanModel, clock, notes: list[str]) -> Start:
    """Least longest distance: the smallest threshold at which the LP with only the arcs no longer than it is
    feasible (binary search), then prices of that LP assign every account."""
    lp_problem, cell, problem = _lp_problem(problem, model, BOTTLENECK_ARCS)
    lengths = lp_problem.arcs.length
    least = np.full(lp_problem.n, np.inf)
    np.minimum.at(least, lp_problem.arcs.unit, lengths)
    values = np.unique(lengths[np.isfinite(lengths) & (lengths >= least[lp_problem.free].max())])
    lo, hi = 0, len(values) - 1
    best = None
    budget = 0.5 * clock.remaining()
    probe_limit = max(1.0, budget / 12)
    res_hi = lp.solve(lp_problem, time_limit=probe_limit, arc_mask=lengths <= values[hi])
    if not res_hi.ok:
        notes.append("no balanced plan even with every candidate arc; minimising travel instead")
        return travel_start(problem, model, clock, notes)
    best = (values[hi], res_hi)
    while lo < hi and clock.remaining() > budget * 0.2:
        mid = (lo + hi) // 2
        res = lp.solve(lp_problem, time_limit=probe_limit, arc_mask=lengths <= values[mid])
        if res.ok:
            best, hi = (values[mid], res), mid
        else:
            lo = mid + 1
    threshold, res = best
    duals = lagrange.consistent(lp_problem, res.duals)
    arc = round_lp(problem, res.x, cell, lp_problem, MARGIN, min(5.0, max(0.5, 0.2 * clock.remaining())))
    what = f"LP over {lp_problem.n:,} micro-units" if cell is not None else "exact LP"
    return Start(arc, duals, f"threshold search with the {what}, rounding + local search", problem, threshold,
                 exact_threshold=cell is None and lo >= hi)


def objective_and_bound(problem, model, sol, start: Start, clock, bottleneck, notes, options):
    units = np.flatnonzero(sol.terr >= 0)
    if bottleneck:
        objective = float(model.distance(units, sol.terr[units]).max()) if units.size else 0.0
        a = problem.arcs
        least = np.full(problem.n, np.inf)
        np.minimum.at(least, a.unit, a.length)
        fixed = np.flatnonzero(~problem.free & (problem.fixed_terr >= 0))
        trivial = max(float(least[problem.free].max(initial=0.0)),
                      float(model.distance(fixed, problem.fixed_terr[fixed]).max(initial=0.0)) if fixed.size else 0.0)
        bound = trivial
        if len(a) <= ARC_LIMIT and clock.remaining() > 1.0:
            # The smallest threshold at which the LP at this plan's hop lengths is feasible (hard bands).
            model.refresh_hops(ids_of(model, sol.terr))
            exact = build_problem(model, options, sol.problem.current,
                                  (np.flatnonzero(sol.problem.free), sol.terr[sol.problem.free]))
            values = np.unique(exact.arcs.length[(exact.arcs.length >= trivial - 1e-9)
                                                 & (exact.arcs.length <= objective + 1e-9)])
            lo, hi = 0, len(values) - 1
            while lo < hi and clock.remaining() > 0.5:
                mid = (lo + hi) // 2
                res = lp.solve(exact, time_limit=clock.remaining(), arc_mask=exact.arcs.length <= values[mid] + 1e-9)
                if res.ok:
                    hi = mid
                elif res.status == "infeasible":
                    lo = mid + 1
                else:
                    break
            if lo >= hi and len(values):
                bound = max(trivial, float(values[lo]))
        return objective, min(bound, objective)
    objective = sol.cost
    if clock.remaining() <= 1.0 and start.duals is None:
        return objective, None  # no time for the LP and no duals for the Lagrangian: no bound (cancelled)
    # The bound is for the linear model at this plan's own hop lengths and homes (in which the plan is
    # feasible, its loads being exact there): no plan with these hops, homes and candidate territories costs
    # less. The LP itself when it is small and there is time, else the Lagrangian at the LP's duals.
    model.refresh_hops(ids_of(model, sol.terr))
    problem = build_problem(model, options, sol.problem.current,
                            (np.flatnonzero(sol.problem.free), sol.terr[sol.problem.free]))
    bound = None
    if len(problem.arcs) <= ARC_LIMIT and clock.remaining() > 1.0:
        res = lp.solve(problem, time_limit=clock.remaining())
        if res.ok:
            bound = res.objective
    if bound is None and start.duals is not None:
        # Over each account's candidate territories: over every territory the relaxation may give a far
        # account to an underloaded territory for the travel it adds, which makes the bound useless.
        bound = lagrange.bound(problem, start.duals, every_territory=False)
    if bound is None:
        return objective, None
    return objective, min(bound, objective)
