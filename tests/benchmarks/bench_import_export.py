"""Issue 5 speed targets: importing a 1M-row accounts CSV (time and peak memory), exporting 1M assignments."""

from __future__ import annotations

import resource
import subprocess
import sys
import time

from desktop_planner.io.export import export_assignments
from desktop_planner.store.project import ProjectFile
from tests.benchmarks.projects import CACHE, bench_project


def _accounts_csv(rows: int):
    """A CRM-like export of the 1M demo accounts (written once, reused)."""
    path = CACHE / f"accounts_{rows}.csv"
    if not path.exists():
        with ProjectFile.open(bench_project(rows, 200)) as project:
            plan = project.load_plan()
        a = plan.accounts
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("Account ID,Account Name,Latitude,Longitude,Annual Revenue,Segment,Industry,Zip,Owner\n")
            for i in range(len(a)):
                fh.write(f"{a.external_id[i]},\"{a.name[i]}\",{a.lat[i]:.6f},{a.lon[i]:.6f},{a.potential[i]:.2f},"
                         f"{a.segment[i]},{a.industry[i]},{a.postcode[i]},rep{i % 97}\n")
    return path


def run(bench) -> None:
    rows = 1_000_000
    source = _accounts_csv(rows)
    target = CACHE / "imported_1m.tplan"
    target.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "desktop_planner", "import", str(target), str(source)], check=True,
                   capture_output=True)
    elapsed = (time.perf_counter() - start) * 1000
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    bench.record(f"import a {rows:,}-row accounts CSV into a new project (whole process)", elapsed, "ms", 30000)
    bench.record("   peak memory of that import", peak_mb, "MB", 4096)

    with ProjectFile.open(bench_project(rows, 200)) as project:
        plan = project.load_plan()
    out = CACHE / "assignments_1m.csv"
    bench.record(f"export {rows:,} assignments to CSV",
                 bench.median_ms(lambda: export_assignments(plan, plan.active, out), repeat=3), "ms", 10000)
