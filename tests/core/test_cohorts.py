"""Cohorts after go-live (issue 17): moved, held-out and unchanged accounts over the same periods, figures that can be
checked by hand, bootstrap intervals that exclude 0 for a real difference and include it for none, reproducible per
seed and fast enough for 20,000 accounts."""

import time

import numpy as np
import pandas as pd
import pytest

from desktop_planner.core.cohorts import CohortError, bootstrap_sums, compare_cohorts
from desktop_planner.core.history import History
from desktop_planner.core.records import TABLES, PutRows
from tests.conftest import make_plan

PERIODS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")


def with_holdout(n_moved: int, n_held: int, n_unchanged: int, values, go_live: str = "2026-Q3", visits=None):
    """A plan whose first accounts moved, the next were held out, the rest unchanged; `values(cohort, rng, n)`
    gives each cohort's bookings per period (n accounts x len(PERIODS))."""
    n = n_moved + n_held + n_unchanged
    plan = make_plan(n=n, k=3)
    ids = plan.accounts.ids
    cohort = np.array(["moved"] * n_moved + ["held_out"] * n_held + ["unchanged"] * n_unchanged)
    history = History(plan)
    history.do(PutRows("holdouts", pd.DataFrame([{
        "id": 1, "at": "2026-06-30", "team_id": 0, "scenario_id": 1, "baseline_id": 1, "go_live": go_live,
        "seed": 7, "size": n_held, "strata": "from_territory", "movers": n_moved + n_held}])))
    listed = cohort != "unchanged"
    history.do(PutRows("holdout_accounts", pd.DataFrame({
        "holdout_id": 1, "account_id": ids[listed], "cohort": cohort[listed], "stratum": "T1",
        "from_territory": "T1", "to_territory": "T2"})))
    rng = np.random.default_rng(42)
    rows = []
    for name in ("moved", "held_out", "unchanged"):
        members = np.flatnonzero(cohort == name)
        table = values(name, rng, len(members))
        for j, period in enumerate(PERIODS):
            rows.append(pd.DataFrame({"account_id": ids[members], "period": period, "rep": "Rep", "owner": "Rep",
                                      "bookings": table[:, j],
                                      "visits": 1.0 if visits is None else visits(name, j, len(members)),
                                      "source": "test"}))
    history.do(PutRows("actuals", pd.concat(rows, ignore_index=True)[list(TABLES["actuals"][0])]))
    return plan


def test_figures_per_cohort_are_means_per_account_and_period():
    exact = {"moved": [100, 100, 80, 90], "held_out": [100, 100, 110, 110], "unchanged": [50, 50, 55, 55]}
    plan = with_holdout(2, 2, 2, lambda name, rng, n: np.tile(exact[name], (n, 1)).astype(float))
    result = compare_cohorts(plan, n_boot=200)
    moved, held, unchanged = (result.figures(c) for c in ("moved", "held_out", "unchanged"))
    assert (moved.n, moved.before, moved.after, moved.change) == (2, 100.0, 85.0, -15.0)
    assert moved.growth == pytest.approx(-0.15) and held.growth == pytest.approx(0.10)
    assert unchanged.growth == pytest.approx(0.10)
    assert result.periods_before == ["2026-Q1", "2026-Q2"] and result.periods_after == ["2026-Q3", "2026-Q4"]
    d = result.difference("moved", "held_out", "growth")
    assert d.value == pytest.approx(-25.0) and d.low == pytest.approx(-25.0) and d.high == pytest.approx(-25.0)
    assert result.difference("moved", "held_out", "change").value == pytest.approx(-25.0)


def test_a_real_difference_has_an_interval_that_excludes_zero():
    def values(name, rng, n):
        base = rng.lognormal(9, 1, n)[:, None]
        effect = 0.85 if name == "moved" else 1.05
        factor = np.array([1.0, 1.0, effect, effect])
        return base * factor * rng.lognormal(0, 0.1, (n, 4))
    result = compare_cohorts(with_holdout(200, 60, 400, values), seed=1)
    d = result.difference("moved", "held_out", "growth")
    assert d.value < 0 and d.high < 0 and d.clear
    assert d.value == pytest.approx(-20, abs=6)
    assert "moved accounts grew" in d.reading and "points less than held-out ones (95 % CI −" in d.reading
    assert d.reading.endswith("the move cost revenue")
    assert result.difference("moved", "held_out", "change").high < 0
    held_vs_rest = result.difference("held_out", "unchanged", "growth")
    assert held_vs_rest.low <= 0 <= held_vs_rest.high and "no clear difference" in held_vs_rest.reading


def test_no_difference_has_an_interval_that_includes_zero():
    def values(name, rng, n):
        return rng.lognormal(9, 1, n)[:, None] * np.array([1.0, 1.0, 1.05, 1.05]) * rng.lognormal(0, 0.2, (n, 4))
    result = compare_cohorts(with_holdout(150, 50, 300, values), seed=3)
    for first, second in (("moved", "held_out"), ("moved", "unchanged"), ("held_out", "unchanged")):
        for measure in ("change", "growth"):
            d = result.difference(first, second, measure)
            assert d.low <= 0 <= d.high and not d.clear
            assert d.reading.endswith("the interval includes 0: no clear difference")


def test_the_bootstrap_is_reproducible_per_seed():
    def values(name, rng, n):
        return rng.lognormal(9, 1, n)[:, None] * rng.lognormal(0, 0.3, (n, 4))
    plan = with_holdout(80, 30, 100, values)
    a, b, c = (compare_cohorts(plan, seed=s, n_boot=500) for s in (5, 5, 6))
    assert [(d.low, d.high) for d in a.differences] == [(d.low, d.high) for d in b.differences]
    assert [(d.low, d.high) for d in a.differences] != [(d.low, d.high) for d in c.differences]
    assert a.to_dict()["differences"][0]["value"] == c.to_dict()["differences"][0]["value"]


def test_only_periods_every_cohort_has_count_and_visits_are_compared_too():
    def values(name, rng, n):
        return np.full((n, 4), 10.0)
    plan = with_holdout(5, 5, 5, values, visits=lambda name, j, n: 2.0 if (name == "moved" and j >= 2) else 4.0)
    # a period before go-live with actuals of the moved accounts only does not count
    extra = pd.DataFrame({"account_id": plan.accounts.ids[:5], "period": "2025-Q4", "rep": "Rep", "owner": "Rep",
                          "bookings": 999.0, "visits": 9.0, "source": "old"})
    History(plan).do(PutRows("actuals", extra))
    result = compare_cohorts(plan, metric="visits", n_boot=200)
    assert result.periods_before == ["2026-Q1", "2026-Q2"]
    assert result.figures("moved").growth == pytest.approx(-0.5)
    assert result.difference("moved", "held_out", "growth").reading.startswith(
        "moved accounts' visits grew 50.0 points less than held-out ones")
    only = compare_cohorts(plan, metric="bookings", n_boot=200, periods=["2026-Q2", "2026-Q3"])
    assert (only.periods_before, only.periods_after) == (["2026-Q2"], ["2026-Q3"])
    assert "Visits per account and period" in result.format_text()


def test_comparisons_that_cannot_be_made_are_refused_clearly():
    plan = make_plan(n=10, k=2)
    with pytest.raises(CohortError, match="no holdout"):
        compare_cohorts(plan)
    values = lambda name, rng, n: np.ones((n, 4))  # noqa: E731
    with pytest.raises(CohortError, match="from go-live 2027-Q1"):
        compare_cohorts(with_holdout(3, 3, 3, values, go_live="2027-Q1"))
    with pytest.raises(CohortError, match="unknown metric"):
        compare_cohorts(with_holdout(3, 3, 3, values), metric="margin")
    with pytest.raises(CohortError, match="no holdout number 9"):
        compare_cohorts(with_holdout(3, 3, 3, values), holdout_id=9)


def test_a_cohort_without_accounts_is_left_out_with_a_note():
    plan = with_holdout(20, 5, 0, lambda name, rng, n: rng.lognormal(5, 1, (n, 4)))
    result = compare_cohorts(plan, n_boot=200)
    assert [(d.first, d.second) for d in result.differences] == [("moved", "held_out")] * 2
    assert any("no unchanged accounts" in note for note in result.notes)


def test_the_bootstrap_of_20000_accounts_takes_seconds_at_most():
    rng = np.random.default_rng(0)
    values = rng.lognormal(9, 1, (20_000, 2))
    start = time.perf_counter()
    sums = bootstrap_sums(values, 2000, np.random.default_rng(1))
    elapsed = time.perf_counter() - start
    assert sums.shape == (2000, 2)
    assert np.allclose(sums.mean(axis=0), values.sum(axis=0), rtol=0.01)
    assert elapsed < 10, f"bootstrap of 20,000 accounts x 2,000 resamples took {elapsed:.1f} s"
