"""The trade-off between balance and travel: the plan auto-balance makes at each of a range of tolerances, with
its largest deviation and its travel, so the planner can pick the point (a tight band costs driving; a remote
rep's territory cannot be filled without it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from desktop_planner.core.model import Plan, Scenario
from desktop_planner.optimize.balance import BalanceSettings, Progress, balance
from desktop_planner.optimize.report import scenario_measures

DEFAULT_TOLERANCES = (0.05, 0.10, 0.15, 0.20, 0.30, 0.50)


@dataclass
class TradeoffPoint:
    tolerance: float  # the band asked for
    max_deviation: float  # the largest |deviation| of the balanced measure reached (0.05 = 5 %)
    travel_km: float  # total road km a year over every territory
    mean_distance_km: float  # visit-weighted mean distance from an account to its rep's home
    pieces: int  # territories in more than one piece
    in_band: int  # territories within the tolerance
    seconds: float
    assignment: np.ndarray  # territory id per account: the plan itself, to preview or apply

    def to_row(self) -> dict:
        return {"tolerance": self.tolerance, "max_deviation": self.max_deviation, "travel_km": self.travel_km,
                "mean_distance_km": self.mean_distance_km, "territories_in_pieces": self.pieces,
                "territories_in_band": self.in_band, "seconds": self.seconds}


def tradeoff_curve(plan: Plan, scenario: Scenario, settings: BalanceSettings,
                   tolerances: list[float] | None = None, progress: Progress | None = None,
                   graph_edges: np.ndarray | None = None) -> list[TradeoffPoint]:
    """One balanced plan per tolerance (of the first balanced measure), each given an equal share of
    `settings.time_limit_s`. Cancelling (progress returns False) returns the points finished so far."""
    tolerances = sorted(float(t) for t in (tolerances or DEFAULT_TOLERANCES))
    if not tolerances or any(not (0 < t < 1) for t in tolerances):
        raise ValueError("trade-off tolerances must be fractions between 0 and 1, e.g. 0.05 0.1 0.2")
    settings = settings.validated()
    measure = next(iter(settings.measures))
    each = settings.time_limit_s / len(tolerances)
    points: list[TradeoffPoint] = []
    for i, tol in enumerate(tolerances):
        cancelled = False

        def part(fraction: float, message: str, i=i, tol=tol) -> bool:
            nonlocal cancelled
            if progress is None:
                return True
            ok = progress((i + fraction) / len(tolerances), f"±{tol:.0%}: {message}") is not False
            cancelled = cancelled or not ok
            return ok
        started = time.perf_counter()
        run = replace(settings, measures={**settings.measures, measure: tol}, time_limit_s=each)
        result = balance(plan, scenario, run, progress=part, graph_edges=graph_edges)
        if cancelled:
            break
        after = Scenario(scenario.id, scenario.name, result.territories, result.assignment, scenario.locked)
        m = scenario_measures(plan, after)
        dev = np.abs(m.deviations[measure])
        points.append(TradeoffPoint(
            tol, float(dev.max()) if dev.size else 0.0, float(m.values["travel_km"].sum()), m.compactness_km,
            result.report.non_contiguous_after, int((dev <= tol + 1e-9).sum()), time.perf_counter() - started,
            result.assignment))
    return points


def format_table(points: list[TradeoffPoint]) -> str:
    lines = [f"{'tolerance':>9} {'largest dev':>11} {'travel km/yr':>13} {'mean km':>8} {'in band':>8} "
             f"{'in pieces':>9} {'seconds':>7}"]
    for p in points:
        lines.append(f"{p.tolerance:>9.0%} {p.max_deviation:>11.1%} {p.travel_km:>13,.0f} "
                     f"{p.mean_distance_km:>8.1f} {p.in_band:>8} {p.pieces:>9} {p.seconds:>7.1f}")
    return "\n".join(lines)
