"""Geography unit layers (issue 12): building each built-in layer for the whole US, and placing 100,000 accounts
(the US-wide demo) in its counties and in its ZIP areas. Milliseconds (most take well under a second); the
issue sets no target for these.

us-zip is timed twice: its first build, into an empty cache folder (the cells of every state are made from the
ZIP centroids and the counties, then stored), and loaded from that cache, which is what every later project on
the machine pays. The user's own cache folder is never touched.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from desktop_planner.core.units import NOT_PLACED, place_accounts
from desktop_planner.io.geocode import normalise_us_postcode
from desktop_planner.io.unit_layers import load_unit_layer
from desktop_planner.store.project import ProjectFile
from tests.benchmarks.projects import bench_project

N_ACCOUNTS = 100_000


def run(bench) -> None:
    cache = Path(tempfile.mkdtemp(prefix="bench_unit_layers_"))
    try:
        _layers(bench, cache)
        _placing(bench, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _layers(bench, cache: Path) -> None:
    for spec in ("us-states", "us-counties"):
        bench.record(f"layer {spec}: build (all states)", bench.median_ms(lambda: load_unit_layer(spec), repeat=3))
    # One run: a second "first build" would find the cache the first one filled.
    started = time.perf_counter()
    layer = load_unit_layer("us-zip", cache_dir=cache)
    bench.record(f"layer us-zip: first build, empty cache ({len(layer):,} cells)",
                 (time.perf_counter() - started) * 1000.0)
    bench.record("layer us-zip: load from the cache",
                 bench.median_ms(lambda: load_unit_layer("us-zip", cache_dir=cache), repeat=3))


def _placing(bench, cache: Path) -> None:
    with ProjectFile.open(bench_project(N_ACCOUNTS, 50), read_only=True) as project:
        accounts = project.load_plan().accounts
    for spec, by_zip in (("us-counties", False), ("us-zip", True)):
        layers = []

        def fresh(spec=spec):
            # A layer just built, as `units` has it: no spatial index of the polygons made yet.
            layers.append(load_unit_layer(spec, cache_dir=cache))

        def place(by_zip=by_zip):
            return place_accounts(layers[-1], accounts.lon, accounts.lat, accounts.postcode if by_zip else None,
                                  normalise_us_postcode if by_zip else None)
        ms = bench.median_ms(place, repeat=3, setup=fresh)
        bench.record(f"place {len(accounts):,} accounts in {spec} ({len(layers[-1]):,} units)", ms)
        placement = place()
        ways, counts = np.unique(placement.how[placement.unit != NOT_PLACED].astype(str), return_counts=True)
        print(f"    placed {placement.placed:,} of {len(accounts):,} ("
              + ", ".join(f"{c:,} by {w}" for w, c in zip(ways.tolist(), counts.tolist())) + ")", flush=True)
