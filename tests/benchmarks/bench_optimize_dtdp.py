"""DTDP planar instances (30): least largest diameter at ±5 % on three activities, next to the published VNS
and LNS figures. Environment: DTDP_TIME_LIMIT seconds per instance (default 10; the published LNS had 60),
DTDP_INSTANCES = all (default), a count (the first N) or names separated by commas, DTDP_SEED (default 0)."""

from __future__ import annotations

import csv
import os
import statistics
import tempfile
import time
from pathlib import Path

from desktop_planner.optimize.dtdp import diameters, infeasibility, solve_dtdp
from tests.benchmarks.dtdp_adapter import INSTANCES, instance_names, published, read_instance

LNS60_MEAN, LNS600_MEAN, BEST_KNOWN_MEAN = 45.58, 42.98, 42.94


def selected() -> list[str]:
    names = instance_names()
    choice = os.environ.get("DTDP_INSTANCES", "all").strip()
    if choice in ("", "all"):
        return names
    if choice.isdigit():
        return names[:int(choice)]
    wanted = [c.strip() for c in choice.split(",") if c.strip()]
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise SystemExit(f"DTDP_INSTANCES: unknown instances {unknown}")
    return wanted


def run(bench) -> None:
    if not INSTANCES.exists():
        print(f"   skipped: {INSTANCES} not found")
        return
    limit = float(os.environ.get("DTDP_TIME_LIMIT", "10"))
    seed = int(os.environ.get("DTDP_SEED", "0"))
    names = selected()
    pub = published()
    out = Path(tempfile.gettempdir()) / "desktop_planner_bench" / f"dtdp_{int(limit)}s_seed{seed}.csv"
    out.parent.mkdir(exist_ok=True)
    rows = []
    print(f"   {'instance':<14} {'feasible':>8} {'ours':>8} {'time s':>7} {'VNS low':>8} {'LNS 60s':>8} "
          f"{'LNS 600s':>8} {'best':>8}")
    for name in names:
        inst = read_instance(name)
        started = time.perf_counter()
        result = solve_dtdp(inst, time_limit=limit, seed=seed)
        seconds = time.perf_counter() - started
        # checked independently of the solver's own bookkeeping
        infeas = infeasibility(inst, result.assignment)
        diameter = float(diameters(inst, result.assignment).max())
        p = pub[name]
        rows.append({"instance": name, "feasible": infeas <= 1e-9, "objective": diameter, "infeasibility": infeas,
                     "seconds": seconds, "vns_low": p["vns_low_obj"], "lns60": p["lns60_obj"],
                     "lns600": p["lns600_obj"], "best_known": p["best_known"]})
        print(f"   {name:<14} {'yes' if infeas <= 1e-9 else 'NO':>8} {diameter:>8.3f} {seconds:>7.1f} "
              f"{p['vns_low_obj']:>8.3f} {p['lns60_obj']:>8.3f} {p['lns600_obj']:>8.3f} {p['best_known']:>8.3f}",
              flush=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    mean = statistics.mean(r["objective"] for r in rows)
    label = f"{len(rows)} instances, {limit:g} s each"
    print(f"   means over these instances: ours {mean:.3f}, LNS 60 s "
          f"{statistics.mean(r['lns60'] for r in rows):.3f}, LNS 600 s {statistics.mean(r['lns600'] for r in rows):.3f}, "
          f"best known {statistics.mean(r['best_known'] for r in rows):.3f}  (table: {out})")
    bench.record(f"DTDP infeasible plans ({label})", sum(not r["feasible"] for r in rows), "plans", 0)
    bench.record(f"DTDP mean largest diameter ({label}; LNS 60 s: {LNS60_MEAN})", mean, "", LNS60_MEAN)
    bench.record(f"DTDP mean largest diameter, moonshot ({label}; LNS 600 s: {LNS600_MEAN})", mean, "", 43.0)
    bench.record(f"DTDP mean time per instance ({label})", statistics.mean(r["seconds"] for r in rows), "s", 60)
