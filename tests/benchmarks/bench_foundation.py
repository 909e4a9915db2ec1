"""Issue 2 speed targets: summary, opening a 1M project, recomputing measures, committing a Reassign."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from desktop_planner.core.commands import Reassign
from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.history import History
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.store.project import ProjectFile
from tests.benchmarks.projects import bench_project


def run(bench) -> None:
    p100k = bench_project(100_000, 50)
    p1m = bench_project(1_000_000, 200)

    cmd = [sys.executable, "-m", "desktop_planner", "summary", str(p100k)]
    bench.record("summary, 100k accounts, whole process",
                 bench.median_ms(lambda: subprocess.run(cmd, check=True, capture_output=True), repeat=5), "ms", 1000)
    cmd_json = cmd + ["--json"]
    bench.record("summary --json, 100k accounts, whole process",
                 bench.median_ms(lambda: subprocess.run(cmd_json, check=True, capture_output=True), repeat=5),
                 "ms", 1000)

    def open_1m():
        with ProjectFile.open(p1m) as project:
            project.load_plan()
    bench.record("open a 1M-account project into memory", bench.median_ms(open_1m, repeat=3), "ms", 3000)

    project = ProjectFile.open(p100k)
    plan = project.load_plan()
    engine = MeasureEngine(plan)
    engine.measures()
    scenario = plan.active
    tids = scenario.territory_ids()
    a, b = int(tids[0]), int(tids[1])
    members_a = np.flatnonzero(scenario.assignment == a)

    bench.record("all measures, 100k / 50, cold (every territory's hull; homes set)",
                 bench.median_ms(lambda: MeasureEngine(plan).measures(), repeat=7), "ms")

    history = History(plan)  # in memory: the measure figure excludes the file write
    moves = iter(range(10**9))
    def edit():
        i = next(moves)
        history.do(Reassign(scenario.id, members_a[:500], b if i % 2 == 0 else a))
    bench.record("all measures, 100k / 50, after a 500-account move between two territories",
                 bench.median_ms(engine.measures, repeat=15, setup=edit), "ms", 5)

    preview = scenario.assignment.copy()
    preview[members_a[:500]] = b
    bench.record("all measures of a preview (two territories changed), 100k / 50",
                 bench.median_ms(lambda: engine.measures(assignment=preview), repeat=15), "ms", 5)

    checker = ContiguityChecker(plan.accounts)
    bench.record("contiguity graph (Delaunay), 100k, once per project",
                 bench.median_ms(lambda: ContiguityChecker(plan.accounts).edges, repeat=3), "ms")
    checker.edges
    bench.record("contiguity of every territory, 100k / 50",
                 bench.median_ms(lambda: checker.contiguous(tids, scenario.assignment), repeat=7), "ms")

    durable = History(plan, project)
    # 10k accounts from neither territory: every commit moves all of them, alternately into a and into b.
    pool = np.flatnonzero((scenario.assignment != a) & (scenario.assignment != b))[:10_000]
    flips = iter(range(10**9))
    def commit_10k():
        target = a if next(flips) % 2 == 0 else b
        durable.do(Reassign(scenario.id, pool, target, action="lasso"))
    moved = len(pool)
    bench.record(f"Reassign of {moved:,} accounts committed to the file (one transaction)",
                 bench.median_ms(commit_10k, repeat=7), "ms", 100)
    project.close()
