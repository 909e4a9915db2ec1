"""MeasureEngine speed during a lasso and after commits: a realistic preview (two territories changed, the
accounts of one nearest the other's centre moved), the repeated committed-measures request, the commit itself.

`python -m tests.benchmarks.harness measures_preview` runs 100k / 50; set BENCH_1M=1 to add 1M / 50 (building
that project takes minutes the first time).
"""

from __future__ import annotations

import itertools
import os

import numpy as np

from desktop_planner.core.commands import Reassign
from desktop_planner.core.history import History
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.store.project import ProjectFile
from tests.benchmarks.projects import bench_project


def lasso(plan, moved: int) -> tuple[np.ndarray, int, int]:
    """Rows of the largest territory nearest the centre of its nearest neighbour, and both territory ids."""
    scenario = plan.active
    accounts = plan.accounts
    tids, counts = np.unique(scenario.assignment[scenario.assignment >= 0], return_counts=True)
    a = int(tids[np.argmax(counts)])
    centres = {int(t): accounts.xyz[scenario.assignment == t].mean(axis=0) for t in tids}
    b = min((t for t in centres if t != a), key=lambda t: float(np.linalg.norm(centres[t] - centres[a])))
    members = np.flatnonzero(scenario.assignment == a)
    near = np.argsort(np.linalg.norm(accounts.xyz[members] - centres[b], axis=1))
    return np.sort(members[near[:min(moved, int(0.6 * len(members)))]]), a, b


def run_size(bench, n: int, k: int, moved: int, target_preview: float, target_commit: float) -> None:
    with ProjectFile.open(bench_project(n, k)) as project:
        plan = project.load_plan()
    label = f"{n // 1000}k / {k}" if n < 1_000_000 else f"{n // 1_000_000}M / {k}"
    engine = MeasureEngine(plan)
    bench.record(f"measures from scratch (new engine), {label}",
                 bench.median_ms(lambda: MeasureEngine(plan).measures(), repeat=3), "ms")
    engine.measures()
    rows, a, b = lasso(plan, moved)
    scenario = plan.active
    # A lasso grows: each step adds a few accounts, so consecutive previews differ.
    steps = [rows[:max(1, len(rows) * i // 10)] for i in range(5, 11)]
    step = itertools.cycle(steps)
    previews = {}

    def make_preview():
        p = scenario.assignment.copy()
        p[next(step)] = b
        previews["p"] = p
    bench.record(f"preview measures(assignment=...), {len(rows)} accounts {a}->{b}, {label}",
                 bench.median_ms(lambda: engine.measures(assignment=previews["p"]), repeat=15, setup=make_preview),
                 "ms", target_preview)

    def preview_with_figures():
        m = engine.measures(assignment=previews["p"])
        return m.distance_p95_km, m.compactness_km
    bench.record(f"preview measures + p95 + compactness (what the panel asks), {label}",
                 bench.median_ms(preview_with_figures, repeat=15, setup=make_preview), "ms")
    bench.record(f"committed measures() asked again, no change, {label}",
                 bench.median_ms(engine.measures, repeat=50), "ms", 0.1)

    history = History(plan)
    flips = itertools.count()

    def commit():
        if next(flips) % 2 == 0:
            engine.measures(assignment=previews["p"])  # the gesture's last preview
            history.do(Reassign(scenario.id, rows, b, action="lasso"))
        else:
            history.undo()
    bench.record(f"committed measures() after a lasso / undo of {len(rows)} accounts, {label}",
                 bench.median_ms(lambda: engine.measures().distance_p95_km, repeat=10, setup=commit), "ms",
                 target_commit)
    engine.close()


def run(bench) -> None:
    run_size(bench, 100_000, 50, 1500, 2.0, 4.0)
    if os.environ.get("BENCH_1M"):
        run_size(bench, 1_000_000, 50, 20_000, 20.0, 40.0)
