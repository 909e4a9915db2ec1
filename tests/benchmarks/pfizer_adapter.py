"""The 22-brick Pfizer Turkey case (Köksalan & Batun) as an AssignmentProblem, solved exactly with HiGHS.

Data: ../shared/benchmarks/pfizer22/bricks.csv (relative to the project's root). Four representatives with
fixed offices; each brick's workload index value counts the same whoever serves it; a band around 1.0 per
representative. Two objectives: least total distance, and least disruption (index value moved), the latter
with least total distance as the tie-break.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_planner.optimize import lp
from desktop_planner.optimize.problem import Arcs, AssignmentProblem

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "pfizer22" / "bricks.csv"
# band -> (least total distance, least disruption) as listed in the data set's README
KNOWN_OPTIMA = {0.20: (154.60, 0.1696), 0.15: (160.32, 0.2529), 0.10: (162.43, 0.2529)}


@dataclass
class Bricks:
    value: np.ndarray  # (22,) workload index
    distance: np.ndarray  # (22, 4) km to each representative's office
    current: np.ndarray  # (22,) representative today, 0-based


def load_bricks(path: Path = DATA) -> Bricks:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return Bricks(value=np.array([float(r["index_value"]) for r in rows]),
                  distance=np.array([[float(r[f"dist_sr{j}"]) for j in range(1, 5)] for r in rows]),
                  current=np.array([int(r["current_sr"]) - 1 for r in rows]))


def problem(bricks: Bricks, band: float, objective: str = "distance",
            max_moved: float | None = None) -> AssignmentProblem:
    """`max_moved`: the largest index value that may change representative."""
    n, k = bricks.distance.shape

    def evaluate(units, terrs):
        if objective == "distance":
            cost = bricks.distance[units, terrs]
        else:  # disruption: the index value of a brick that changes representative
            cost = np.where(terrs != bricks.current[units], bricks.value[units], 0.0)
        return cost, bricks.value[units][None, :]

    units, terrs = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
    return AssignmentProblem(
        n=n, k=k, arcs=Arcs.build(n, units, terrs, evaluate), measure_names=["workload index"],
        tolerance=np.array([band]), target=np.full((1, k), np.nan), free=np.ones(n, dtype=bool),
        fixed_terr=np.full(n, -1), constrained=np.ones(k, dtype=bool), current=bricks.current,
        move_weight=(bricks.value / bricks.value.sum())[None, :] if max_moved is not None else np.zeros((0, n)),
        move_budget=np.array([max_moved / bricks.value.sum()]) if max_moved is not None else np.zeros(0),
        evaluate=evaluate)


@dataclass
class PfizerResult:
    band: float
    distance: float
    disruption: float
    distance_at_least_disruption: float
    workloads: np.ndarray
    seconds: float


def solve_band(bricks: Bricks, band: float) -> PfizerResult:
    """Least total distance, then least disruption (ties broken by distance), both exact MIPs."""
    p = problem(bricks, band, "distance")
    best = lp.solve(p, integral=True)
    assignment = _assignment(p, best.x)
    workloads = np.bincount(assignment, weights=bricks.value, minlength=p.k)
    q = problem(bricks, band, "disruption")
    least = lp.solve(q, integral=True)
    # Tie-break: least distance among the plans that move exactly that much index value.
    q = problem(bricks, band, "disruption", max_moved=least.objective)
    tie = lp.solve(q, integral=True, cost=p.arcs.cost)
    distance_then = float(bricks.distance[np.arange(len(bricks.value)), _assignment(q, tie.x)].sum())
    return PfizerResult(band, best.objective, least.objective, distance_then, workloads,
                        best.seconds + least.seconds + tie.seconds)


def _assignment(p: AssignmentProblem, x: np.ndarray) -> np.ndarray:
    chosen = x > 0.5
    out = np.full(p.n, -1)
    out[p.arcs.unit[chosen]] = p.arcs.terr[chosen]
    return out
