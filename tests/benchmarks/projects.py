"""Benchmark projects, built once with the demo generator and kept in the system temp folder between runs."""

from __future__ import annotations

import tempfile
from pathlib import Path

from desktop_planner.io.demo import build_demo_plan
from desktop_planner.store.project import ProjectFile

CACHE = Path(tempfile.gettempdir()) / "desktop_planner_bench"


def bench_project(accounts: int, territories: int, region: str = "us", seed: int = 1) -> Path:
    """Path of a demo project of that size (built on first use; the generator is deterministic)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"demo_{region}_{accounts}_{territories}_{seed}.tplan"
    if not path.exists():
        print(f"   (building {path.name} once)", flush=True)
        plan = build_demo_plan(accounts, territories, seed=seed, region=region)
        ProjectFile.create(path, plan, overwrite=True).close()
    return path
