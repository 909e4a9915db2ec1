"""Auto-balance that keeps every territory in one piece by construction (the default).

1. Grow: territories grow from their reps' homes along the account graph (short edges only), with offsets
   tuned towards balance (growth.py): contiguous and compact, roughly balanced.
2. Balance: load moves along the graph of touching territories as a min-cost flow, carried out by handing
   over boundary accounts that do not split their territory (flow_repair.py).
3. Improve: local search whose moves never split a territory (an account may only join a territory it
   touches; a batch move that splits its old territory is undone) lowers travel inside the bands; the BHH hop
   lengths and the medoids of territories without a rep home are refreshed between rounds, and the flow
   repair runs again when a refresh pushed a territory out of its band.

Every step keeps each territory one piece, so no repair of pieces is ever needed; the best plan seen (least
band violation, then least travel) is returned, also when the time limit or Cancel ends the run.
"""

from __future__ import annotations

import numpy as np

from desktop_planner.core.geo import chord_to_km
from desktop_planner.optimize.engine import (MARGIN, Outcome, Start, ids_of, objective_and_bound, objective_name,
                                             travel_start, rebuild)
from desktop_planner.optimize.flow_repair import Adjacency, repair
from desktop_planner.optimize.growth import GraphGrowth, grow_balanced, seed_accounts
from desktop_planner.optimize.plan_model import PlanModel, ProblemOptions, build_problem
from desktop_planner.optimize.problem import AssignmentProblem, targets, violation
from desktop_planner.optimize.search import Graph, local_search

ROUNDS = 6  # refreshes of hop lengths and medoids between searches
# Starts tried while time allows, as (share of the tolerance the growth aims at, share the flow repair aims
# at): a repair that aims further inside the band moves more accounts but leaves the search more room to
# trade balance for travel; the best plan of all (least violation, then least travel) is kept.
# A start "lp" is the balanced plan without contiguity (the transportation LP), each territory cut back to
# its piece around the home and the rest grown back along the graph: right-sized territories, which helps
# most where balance needs load to travel through many territories.
VARIANTS = (("grow", 0.8, 0.6), ("lp", 0.0, 0.6), ("grow", 0.8, 0.9), ("grow", 0.5, 0.3), ("lp", 0.0, 0.9),
            ("grow", 1.0, 0.75))


def optimise(model: PlanModel, options: ProblemOptions, current: np.ndarray, clock, settings,
             edges: np.ndarray) -> Outcome:
    """`edges`: the account graph (core.contiguity.account_graph); every step keeps each territory one piece of
    it, which is one piece of the full Delaunay graph too."""
    notes: list[str] = []
    n = len(model.plan.accounts)
    graph = Graph.from_edges(edges, n)
    problem = build_problem(model, options, current)
    if not problem.free.any() or not problem.constrained.any():
        notes.append("nothing to optimise: every account or every territory is locked")
        return Outcome(problem.fixed_terr.copy(), objective_name(options), 0.0, None, "none", notes)
    balancer = _Balancer(model, problem, edges, options)
    free = problem.free
    best: tuple | None = None  # (pieces, violation, cost, assignment, problem, solution)
    attempts = 0
    for attempt, (start_kind, growth_margin, repair_margin) in enumerate(VARIANTS):
        clock.step(0.05 + 0.8 * attempt / len(VARIANTS), "Growing territories from the homes")
        violation_, cost, terr, problem, sol = _attempt(
            balancer, model, options, current, graph, free, clock, notes if attempt == 0 else [], start_kind,
            growth_margin, repair_margin)
        attempts += 1
        # Pieces first: the steps keep territories whole, and this keeps that promise even if one did not.
        split = int((graph.pieces(terr, model.k)[0] > 1).sum())
        if best is None or (split, violation_, cost) < best[:3]:
            best = (split, violation_, cost, terr, problem, sol)
        # Later variants only while they have time: each takes about as long as the first.
        if clock.stop() or clock.remaining() < 1.5 * clock.elapsed() / attempts:
            break
    terr, problem, sol = best[3:]
    if clock.remaining() > 1.0:  # the bound is for the plan's own hop lengths: refresh them first
        model.refresh_hops(ids_of(model, terr))
        problem, sol = rebuild(model, options, current, terr, free, graph)
    clock.step(0.9, "Computing the lower bound")
    start = Start(sol.arc.copy(), None, "territories grown from the homes along the account graph, balanced "
                  f"by flows between touching territories, contiguity-preserving local search ({attempts} "
                  f"start{'s' if attempts > 1 else ''})", problem)
    objective, bound = objective_and_bound(problem, model, sol, start, clock, False, notes, options)
    return Outcome(sol.terr.copy(), objective_name(options), objective, bound, start.method, notes)


def _attempt(balancer, model, options, current, graph, free, clock, notes, start_kind, growth_margin,
             repair_margin):
    """One run of start -> (repair -> search -> refresh) rounds: (violation, cost, assignment, problem,
    solution) of its best round. With a disruption budget the run starts from the current plan instead."""
    if balancer.budgets:
        terr = balancer.current_plan(current)
    elif start_kind == "lp":
        terr = balancer.lp_start(clock, notes)
    else:
        terr = balancer.grow(clock, notes, growth_margin)
    best: tuple | None = None  # (violation, cost, assignment, problem, solution) of the best round
    for round_no in range(ROUNDS):
        terr = balancer.repair(terr, clock, repair_margin)
        problem, sol = rebuild(model, options, current, terr, free, graph)
        local_search(sol, clock.deadline, graph, improve=True, tolerance_scale=MARGIN, should_stop=clock.stop)
        terr = sol.terr.copy()
        key = (round(float(violation(problem, sol.load).sum()), 9), sol.cost)
        improved = best is None or key < best[:2]
        if improved:
            best = (*key, terr.copy(), problem, sol)
        if clock.stop():
            break
        model.refresh_hops(ids_of(model, terr))
        moved = model.refresh_centres(terr, "potential") if (~model.home_fixed).any() else 0
        if (not improved and not moved) or (key[0] <= 0 and not moved and round_no > 0):
            break
    return best


class _Balancer:
    """The growth and the flow repair over one plan model, with the loads and targets of its problem."""

    def __init__(self, model: PlanModel, problem: AssignmentProblem, edges: np.ndarray,
                 options: ProblemOptions) -> None:
        self.model, self.problem = model, problem
        xyz = model.plan.accounts.xyz
        self.growth = GraphGrowth(xyz, edges, problem.free)
        self.adjacency = Adjacency(len(xyz), self.growth.rows, self.growth.cols)
        self.seeds = seed_accounts(xyz, model.home_xyz, problem.free)
        self.seeds[~problem.constrained] = -1  # locked territories keep what they have and grow nowhere
        self.measure = problem.measure_names.index(
            "workload_hours" if "workload_hours" in problem.measure_names else problem.measure_names[0])
        self.tolerance = float(problem.tolerance[self.measure])
        self.rows = np.arange(len(xyz))
        self.budgets = bool(len(problem.move_budget))

    def load_of(self, terr: np.ndarray) -> np.ndarray:
        self.model.refresh_hops(ids_of(self.model, terr))
        assigned = terr >= 0
        _, weights = self.problem.evaluate(self.rows[assigned], terr[assigned])
        return np.bincount(terr[assigned], weights=np.atleast_2d(weights)[self.measure], minlength=self.model.k)

    def target_of(self, load: np.ndarray) -> np.ndarray:
        full = np.zeros((self.problem.m, self.model.k))
        full[self.measure] = load
        return targets(self.problem, full)[self.measure]

    def nearest(self, rows: np.ndarray) -> np.ndarray:
        return self.model.nearest_territories(rows, 1, only=self.problem.constrained)[:, 0]

    def grow(self, clock, notes: list[str], margin: float) -> np.ndarray:
        result = grow_balanced(self.growth, self.seeds, self.load_of, self.target_of, margin * self.tolerance, self.problem.fixed_terr, self.nearest, clock.stop)
        if result.unreachable:
            notes.append(f"{result.unreachable} accounts cut off from every home by locked accounts went to the "
                         "nearest territory")
        return result.terr

    def lp_start(self, clock, notes: list[str]) -> np.ndarray:
        """The LP's balanced plan, each territory cut back to its piece around the seed, the rest regrown."""
        p = self.problem
        start = travel_start(p, self.model, clock, notes)
        terr = start.problem.fixed_terr.copy()
        on_arc = start.arc >= 0
        terr[on_arc] = start.problem.arcs.terr[start.arc[on_arc]]
        graph = Graph(self.growth.rows, self.growth.cols, len(terr))
        _, labels = graph.pieces(terr, self.model.k)
        keep = ~p.free.copy()
        for j in range(self.model.k):
            members = np.flatnonzero(terr == j)
            if not members.size:
                continue
            seed = self.seeds[j]
            piece = labels[seed] if seed >= 0 and terr[seed] == j else np.bincount(labels[members]).argmax()
            keep[members[labels[members] == piece]] = True
        kept = np.flatnonzero(keep & p.free)
        filled, _ = self.growth.grow_from(kept, terr[kept], np.zeros(kept.size))
        out = np.where(keep, terr, filled)
        lost = np.flatnonzero((out < 0) & p.free)
        if lost.size:
            out[lost] = self.nearest(lost)
        return out

    def current_plan(self, current: np.ndarray) -> np.ndarray:
        """Free accounts in their baseline territory where it is open, else the nearest open territory."""
        p = self.problem
        terr = p.fixed_terr.copy()
        keep = p.free & (current >= 0) & p.constrained[np.maximum(current, 0)]
        terr[keep] = current[keep]
        rest = np.flatnonzero(p.free & ~keep)
        if rest.size:
            terr[rest] = self.nearest(rest)
        # A territory with nothing (a new one of a headcount what-if) starts from its seed, so it can grow.
        counts = np.bincount(terr[terr >= 0], minlength=self.model.k)
        for j in np.flatnonzero((counts == 0) & (self.seeds >= 0)):
            donor = terr[self.seeds[j]]
            if donor < 0 or counts[donor] > 1:
                counts[max(donor, 0)] -= donor >= 0
                terr[self.seeds[j]] = j
                counts[j] = 1
        return terr

    def repair(self, terr: np.ndarray, clock, margin: float) -> np.ndarray:
        model, p = self.model, self.problem
        weight, spent = p.move_weight, np.zeros(len(p.move_budget))
        if len(p.move_budget):
            current = p.current
            spent = (weight * ((terr != current) & p.free)[None, :]).sum(axis=1)
        limit = p.budget_left()

        def may_move(row, src, dst):
            if not len(limit):
                return True
            change = weight[:, row] * (float(dst != p.current[row]) - float(src != p.current[row]))
            if (spent + change > limit + 1e-12).any():
                return False
            spent[:] = spent + change
            return True

        def move_cost(rows, src, dst):
            # The objective's own change: travel, plus the disruption weight's price for leaving (or
            # returning to) the baseline territory.
            into, _ = p.evaluate(rows, np.full(len(rows), dst))
            out, _ = p.evaluate(rows, np.full(len(rows), src))
            return into - out

        def work_in(rows, k):
            _, weights = self.problem.evaluate(rows, np.full(len(rows), k))
            return np.atleast_2d(weights)[self.measure]
        homes = model.home_xyz
        between = chord_to_km(np.sqrt(((homes[:, None, :] - homes[None, :, :]) ** 2).sum(axis=2)))
        repaired, _ = repair(terr, self.adjacency, self.seeds, self.problem.free, self.problem.constrained,
                             self.load_of, self.target_of, margin * self.tolerance, move_cost, between,
                             work_in, clock.stop, may_move=may_move)
        return repaired
