"""The 22-brick Pfizer case: least total distance and least disruption at the three workload bands, solved
exactly (HiGHS MIP through the optimizer's own LP builder), against the known optima of the data set's README."""

from __future__ import annotations

from tests.benchmarks.pfizer_adapter import DATA, KNOWN_OPTIMA, load_bricks, solve_band


def run(bench) -> None:
    if not DATA.exists():
        print(f"   skipped: {DATA} not found")
        return
    bricks = load_bricks()
    print(f"   {'band':<12} {'distance':>9} {'known':>8} {'disruption':>10} {'known':>8} {'dist. then':>10} {'ms':>6}")
    for band in sorted(KNOWN_OPTIMA, reverse=True):
        r = solve_band(bricks, band)
        distance, disruption = KNOWN_OPTIMA[band]
        ok = abs(r.distance - distance) < 0.005 and abs(r.disruption - disruption) < 0.00005
        print(f"   [{1 - band:.2f}, {1 + band:.2f}] {r.distance:>9.2f} {distance:>8.2f} {r.disruption:>10.4f} "
              f"{disruption:>8.4f} {r.distance_at_least_disruption:>10.2f} {1000 * r.seconds:>6.0f}"
              f"  {'equal' if ok else 'DIFFERENT'}")
        bench.record(f"Pfizer band ±{band:.2f}: |distance - known optimum|", abs(r.distance - distance), "km", 0.005)
        bench.record(f"Pfizer band ±{band:.2f}: |disruption - known optimum|", abs(r.disruption - disruption),
                     "index", 0.00005)
