"""Auto-balance as a planner sees it: every account placed once, locks kept, the bands and the disruption
budget met whenever the report says so, and a report whose figures are the project's own measures."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_planner.core.measures import MeasureEngine
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario
from desktop_planner.optimize.balance import BalanceSettings, balance
from desktop_planner.optimize.report import private_plan
from tests.conftest import make_plan


def unbalanced_plan(n: int = 400, k: int = 4, seed: int = 3) -> Plan:
    plan = make_plan(n=n, k=k, seed=seed)
    # Everyone in territory 1 except a few: far out of balance.
    a = plan.active.assignment
    a[np.arange(n) % 5 != 0] = 1
    return plan


def measures_of(plan: Plan, scenario: Scenario, assignment: np.ndarray, territories=None):
    s = Scenario(scenario.id, scenario.name, territories or scenario.territories, assignment, scenario.locked)
    engine = MeasureEngine(private_plan(plan, s))
    return engine.measures()


def test_balances_workload_within_the_tolerance():
    plan = unbalanced_plan()
    before = MeasureEngine(plan).measures()
    assert before.max_abs_deviation("workload_hours") > 0.5
    result = balance(plan, plan.active, BalanceSettings(measures={"workload_hours": 0.05}, time_limit_s=20))
    after = measures_of(plan, plan.active, result.assignment)
    assert result.report.feasible, result.report.format_text()
    assert after.max_abs_deviation("workload_hours") <= 0.05 + 1e-9
    # the report's figures are the measures' own
    assert result.report.measures["workload_hours"].max_abs_deviation_after == pytest.approx(
        after.max_abs_deviation("workload_hours"))
    assert result.report.compactness_after_km == pytest.approx(after.compactness_km)
    # every account in exactly one existing territory; the input scenario untouched
    assert np.isin(result.assignment, plan.active.territory_ids()).all()
    assert (plan.active.assignment[np.arange(400) % 5 != 0] == 1).all()


def test_lower_bound_is_below_the_objective():
    plan = unbalanced_plan()
    report = balance(plan, plan.active, BalanceSettings(time_limit_s=20)).report
    assert report.lower_bound is not None
    assert report.lower_bound <= report.objective + 1e-9
    assert 0 <= report.gap < 0.25


def test_locked_accounts_and_locked_territories_stay_put():
    plan = unbalanced_plan()
    sc = plan.active
    sc.locked[:50] = True
    locked_territory = 3
    sc.territories[locked_territory] = sc.territories[locked_territory].with_changes(locked=True)
    in_locked = sc.assignment == locked_territory
    result = balance(plan, sc, BalanceSettings(time_limit_s=20))
    assert (result.assignment[:50] == sc.assignment[:50]).all()
    assert (result.assignment[in_locked] == locked_territory).all()
    assert not ((result.assignment == locked_territory) & ~in_locked).any()


def test_unassigned_and_removed_territory_accounts_get_a_territory():
    plan = unbalanced_plan()
    sc = plan.active
    sc.assignment[:30] = UNASSIGNED
    sc.assignment[sc.assignment == 2] = 99  # a territory that no longer exists
    result = balance(plan, sc, BalanceSettings(time_limit_s=20))
    assert np.isin(result.assignment, sc.territory_ids()).all()


def test_disruption_budget_is_respected():
    plan = unbalanced_plan(seed=5)
    budget = 0.15
    result = balance(plan, plan.active, BalanceSettings(max_disruption_accounts=budget, time_limit_s=20))
    moved = float(np.mean(result.assignment != plan.active.assignment))
    assert moved <= budget + 1e-9
    assert result.report.disruption_accounts == pytest.approx(moved)
    if result.report.feasible:
        assert result.report.measures["workload_hours"].max_abs_deviation_after <= 0.05 + 1e-9
    else:
        assert result.report.problems


def test_potential_budget_and_disruption_weight_reduce_moves():
    plan = unbalanced_plan(seed=6)
    free = balance(plan, plan.active, BalanceSettings(time_limit_s=20)).report
    weighted = balance(plan, plan.active, BalanceSettings(disruption_weight=2.0, time_limit_s=20)).report
    assert weighted.disruption_accounts <= free.disruption_accounts + 1e-9
    capped = balance(plan, plan.active, BalanceSettings(max_disruption_potential=0.3, time_limit_s=20)).report
    assert capped.disruption_potential <= 0.3 + 1e-9


def test_several_measures_each_with_its_tolerance():
    plan = unbalanced_plan(n=500, seed=7)
    settings = BalanceSettings(measures={"workload": 0.05, "potential": 0.10, "accounts": 0.10}, time_limit_s=20)
    result = balance(plan, plan.active, settings)
    after = measures_of(plan, plan.active, result.assignment)
    assert set(result.report.measures) == {"workload_hours", "potential", "accounts"}
    if result.report.feasible:
        assert after.max_abs_deviation("workload_hours") <= 0.05 + 1e-9
        assert after.max_abs_deviation("potential") <= 0.10 + 1e-9
        assert after.max_abs_deviation("accounts") <= 0.10 + 1e-9
    assert after.max_abs_deviation("potential") < measures_of(plan, plan.active,
                                                              plan.active.assignment).max_abs_deviation("potential")


def test_same_seed_same_plan():
    plan = unbalanced_plan()
    one = balance(plan, plan.active, BalanceSettings(seed=4, time_limit_s=20))
    two = balance(plan, plan.active, BalanceSettings(seed=4, time_limit_s=20))
    assert np.array_equal(one.assignment, two.assignment)


def test_cancel_returns_a_complete_plan_flagged_cancelled():
    plan = unbalanced_plan()
    calls = []

    def progress(fraction, message):
        calls.append((fraction, message))
        return len(calls) < 3  # cancel at the third report

    result = balance(plan, plan.active, BalanceSettings(time_limit_s=20), progress=progress)
    assert result.cancelled and result.report.cancelled
    assert np.isin(result.assignment, plan.active.territory_ids()).all()
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and all(0 <= f <= 1 for f in fractions)


def test_progress_reaches_one_when_not_cancelled():
    plan = unbalanced_plan()
    seen = []
    balance(plan, plan.active, BalanceSettings(time_limit_s=20), progress=lambda f, m: seen.append(f) or True)
    assert seen[-1] == 1.0


def test_optimised_homes_move_and_the_report_uses_them():
    plan = unbalanced_plan()
    result = balance(plan, plan.active, BalanceSettings(homes="optimize", time_limit_s=20))
    moved = result.changed_homes(plan.active)
    assert moved  # at least one rep's home was moved
    after = measures_of(plan, plan.active, result.assignment, result.territories)
    assert result.report.measures["workload_hours"].max_abs_deviation_after == pytest.approx(
        after.max_abs_deviation("workload_hours"))
    assert result.report.feasible, result.report.format_text()


def test_least_longest_distance_shortens_the_longest_trip():
    plan = unbalanced_plan()
    travel = balance(plan, plan.active, BalanceSettings(time_limit_s=20))
    longest = balance(plan, plan.active, BalanceSettings(objective="max_distance", time_limit_s=20))
    d_travel = np.nanmax(measures_of(plan, plan.active, travel.assignment).account_distance_km)
    d_longest = np.nanmax(measures_of(plan, plan.active, longest.assignment).account_distance_km)
    assert longest.report.feasible, longest.report.format_text()
    assert d_longest <= d_travel + 1e-6
    assert longest.report.objective == pytest.approx(d_longest, rel=1e-6)
    assert longest.report.lower_bound <= longest.report.objective + 1e-9


def test_distance_matrix_drives_the_objective():
    plan = unbalanced_plan()
    tids = plan.active.territory_ids()
    n, k = len(plan.accounts), len(tids)
    # A matrix in which territory index 0's home is 1,000 km from everyone: it gets the fewest accounts it can.
    base = MeasureEngine(plan).measures()
    matrix = np.full((n, k), 10.0)
    matrix[:, 0] = 1000.0
    result = balance(plan, plan.active, BalanceSettings(measures={"accounts": 0.05}, time_limit_s=20),
                     distance_matrix=matrix)
    counts = np.array([(result.assignment == t).sum() for t in tids])
    assert counts[0] <= 0.95 * n / k + 2
    assert base.k == k


def test_contiguous_option_gives_one_piece_territories():
    plan = unbalanced_plan(n=300, k=3)
    result = balance(plan, plan.active, BalanceSettings(measures={"accounts": 0.10}, require_contiguous=True,
                                                        time_limit_s=20))
    report = result.report
    if report.feasible:
        assert report.non_contiguous_after == 0
    else:
        assert any("contiguous" in p or "outside" in p for p in report.problems)


def test_bad_settings_are_refused_with_a_reason():
    plan = unbalanced_plan(n=50)
    for bad, words in ((BalanceSettings(measures={"happiness": 0.1}), "happiness"),
                       (BalanceSettings(measures={"workload": 1.5}), "tolerance"),
                       (BalanceSettings(objective="fastest"), "objective"),
                       (BalanceSettings(max_disruption_accounts=2.0), "max_disruption_accounts")):
        with pytest.raises(ValueError, match=words):
            balance(plan, plan.active, bad)


def test_result_is_one_undoable_command():
    from desktop_planner.core.history import History
    plan = unbalanced_plan()
    before = plan.active.assignment.copy()
    before_homes = dict(plan.active.territories)
    result = balance(plan, plan.active, BalanceSettings(homes="optimize", time_limit_s=20))
    history = History(plan)
    history.do(result.command(plan.active))
    assert np.array_equal(plan.active.assignment, result.assignment)
    assert plan.active.territories == result.territories
    assert history.undo_labels()[-1] == "Auto-balance"
    history.undo()
    assert np.array_equal(plan.active.assignment, before)
    assert plan.active.territories == before_homes
    assert not history.can_undo
