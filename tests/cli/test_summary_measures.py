"""`summary` reports capacity use, headcount, visit-weighted distances, nights and flights (DESIGN.md, Measures)."""

import json

import pytest

from desktop_planner.cli import main
from desktop_planner.core.visit_figures import effective_visits_and_minutes
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


def write(tmp_path, capacities=None, honolulu=False):
    plan = make_plan(n=60, k=3, seed=2)
    if honolulu:  # the first account moves to Honolulu: its rep (in Ohio) flies there
        a = plan.accounts
        lon, lat = a.lon.copy(), a.lat.copy()
        lon[0], lat[0] = -157.8583, 21.3069
        plan.accounts = type(a).from_columns(lon=lon, lat=lat, potential=a.potential, external_id=a.external_id,
                                             name=a.name, segment=list(a.segment))
    for tid, capacity in (capacities or {}).items():
        plan.active.territories[tid] = plan.active.territories[tid].with_changes(capacity_hours=capacity)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, plan).close()
    return path


def honolulu_visits() -> float:
    plan = make_plan(n=60, k=3, seed=2)
    return float(effective_visits_and_minutes(plan.accounts, plan.settings)[0][0])


def summary(path, capsys) -> dict:
    assert main(["summary", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_without_capacities_utilisation_and_reps_needed_are_null(tmp_path, capsys):
    data = summary(write(tmp_path), capsys)
    p = data["plan"]
    assert p["headcount"] == 3 and p["reps_needed"] is None and p["headcount_gap"] is None
    assert all(t["utilisation"] is None for t in data["territories"])
    assert 0 < p["compactness_km"] <= p["distance_p95_km"]
    assert all(t["compactness_km"] > 0 for t in data["territories"])
    assert p["nights"] == 0 and p["flights"] == 0  # three Ohio towns: day trips
    assert main(["summary", str(tmp_path / "p.tplan")]) == 0
    out = capsys.readouterr().out
    assert "visit-weighted mean distance to home" in out and "(p95)" in out
    assert "reps at capacity" not in out


def test_capacities_give_utilisation_shares_and_the_headcount_sentence(tmp_path, capsys):
    path = write(tmp_path, {1: 100.0, 2: 300.0})  # territory 3 counts with the mean, 200
    data = summary(path, capsys)
    rows = {t["id"]: t for t in data["territories"]}
    total = sum(t["workload_hours"] for t in rows.values())
    assert rows[1]["utilisation"] == pytest.approx(rows[1]["workload_hours"] / 100.0, rel=1e-5)
    assert rows[3]["utilisation"] is None
    # Targets are shares of the total by capacity: territory 2 is measured against half the work.
    assert rows[2]["deviation"]["workload_hours"] == pytest.approx(rows[2]["workload_hours"] / (total / 2) - 1,
                                                                   rel=1e-5)
    p = data["plan"]
    assert p["reps_needed"] == pytest.approx(total / 200.0, rel=1e-5) and p["headcount"] == 3
    assert p["headcount_gap"] == f"Work for {total / 200.0:.1f} reps at capacity; you have 3."
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert p["headcount_gap"] in out
    assert f"{rows[1]['utilisation']:.0%}" in out


def test_a_honolulu_account_is_a_flight_with_nights(tmp_path, capsys):
    ohio = summary(write(tmp_path / "ohio"), capsys)["plan"]
    data = summary(write(tmp_path / "hawaii", honolulu=True), capsys)
    p = data["plan"]
    # Every visit to Honolulu is flown, and is a fifth of a night away (five visits a day).
    assert p["flights"] == honolulu_visits() and p["nights"] == pytest.approx(p["flights"] / 5)
    assert sum(t["flights"] for t in data["territories"]) == pytest.approx(p["flights"])
    # One account 7,000 km away pulls the mean distance up; the 95th percentile still describes the rest.
    assert p["compactness_km"] > ohio["compactness_km"] + 50
    assert p["distance_p95_km"] < 200
