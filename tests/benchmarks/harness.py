"""The benchmark harness run by `make bench`: every `bench_*.py` module beside this file exposes `run(bench)`.

Figures are medians of repeated runs, printed next to their targets; nothing here fails a build. A figure over
its target is marked so that it stands out in the closing notes.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent


class Bench:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, str, float | None]] = []

    @staticmethod
    def median_ms(fn: Callable[[], object], repeat: int = 7, setup: Callable[[], object] | None = None) -> float:
        """Median wall time in ms of fn() over `repeat` runs (setup, if given, runs untimed before each)."""
        times = []
        for _ in range(repeat):
            if setup is not None:
                setup()
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000.0)
        return statistics.median(times)

    def record(self, name: str, value: float, unit: str = "ms", target: float | None = None) -> None:
        self.rows.append((name, value, unit, target))
        mark = "" if target is None else ("  ok" if value <= target else "  OVER TARGET")
        goal = "" if target is None else f"  (target < {target:g} {unit})"
        print(f"{name:<70} {value:>10.1f} {unit}{goal}{mark}", flush=True)


def main(argv: list[str]) -> int:
    selected = argv[1:]
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if selected:
        modules = [m for m in modules if any(s in m for s in selected)]
    bench = Bench()
    sys.path.insert(0, str(HERE.parent.parent))
    for name in modules:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"tests.benchmarks.{name}")
        module.run(bench)
    over = [r for r in bench.rows if r[3] is not None and r[1] > r[3]]
    print(f"\n{len(bench.rows)} figures, {len(over)} over target")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
