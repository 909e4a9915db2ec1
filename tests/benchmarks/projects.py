"""Benchmark projects, built once with the demo generator and kept in the system temp folder between runs.

Benchmarks commit commands (a lasso, a 10k-account Reassign, drags), which the project file saves; so every call
hands out a fresh working copy and the built file stays exactly as the generator made it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from desktop_planner.io.demo import build_demo_plan
from desktop_planner.store.project import ProjectFile
from desktop_planner.store.schema import SCHEMA_VERSION

CACHE = Path(tempfile.gettempdir()) / "desktop_planner_bench"
_work: Path | None = None


def _work_folder() -> Path:
    global _work
    if _work is None:
        _work = Path(tempfile.mkdtemp(prefix="desktop_planner_bench_work_"))
        atexit.register(shutil.rmtree, _work, True)
    return _work


def bench_project(accounts: int, territories: int, region: str = "us", seed: int = 1) -> Path:
    """A fresh copy of a demo project of that size (built once per machine; the generator is deterministic)."""
    CACHE.mkdir(exist_ok=True)
    name = f"demo_{region}_{accounts}_{territories}_{seed}_v{SCHEMA_VERSION}.tplan"
    pristine = CACHE / name
    stem = f"demo_{region}_{accounts}_{territories}_{seed}"
    older = sorted([*CACHE.glob(f"{stem}.tplan"), *CACHE.glob(f"{stem}_v*.tplan")])
    if not pristine.exists() and older:
        # Built for an older schema: migrated once here, not on every working copy's first open (~8 s at 1M).
        print(f"   (migrating {older[-1].name} to schema {SCHEMA_VERSION} once)", flush=True)
        shutil.copyfile(older[-1], pristine)
        ProjectFile.open(pristine).close()
        for backup in CACHE.glob(f"{pristine.name}*.bak"):
            backup.unlink()
    if not pristine.exists():
        print(f"   (building {name} once)", flush=True)
        plan = build_demo_plan(accounts, territories, seed=seed, region=region)
        ProjectFile.create(pristine, plan, overwrite=True).close()
    copy = _work_folder() / name
    n = 1
    while copy.exists():
        n += 1
        copy = _work_folder() / f"{n}_{name}"
    shutil.copyfile(pristine, copy)
    return copy
