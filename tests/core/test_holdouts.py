"""Holdouts (issue 17): movers between a baseline and a realigned scenario, a proportional stratified draw that is
exact on a small case and reproducible per seed, clear refusals, and KeepHoldout as one undoable step that records
the holdout and every mover's cohort."""

import numpy as np
import pytest

from desktop_planner.core.compare import assignment_names
from desktop_planner.core.history import History
from desktop_planner.core.holdout_commands import KeepHoldout
from desktop_planner.core.holdouts import HoldoutError, allocate, choose_holdout, movers, potential_bands
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.scenario_commands import AddScenario, copy_scenario
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan

# account rows moved: 10 from T1 to T2, 6 from T2 to T3, 4 from T3 to T1
MOVES = {1: (2, 10), 2: (3, 6), 3: (1, 4)}


def realigned_plan(n: int = 60):
    """A plan of 3 territories and a copy 'New' of its scenario in which 20 accounts move (see MOVES)."""
    plan = make_plan(n=n, k=3)
    base = plan.active
    new = copy_scenario(plan, base, "New")
    id_by_name = {t.name: tid for tid, t in new.territories.items()}
    for old, (to, count) in MOVES.items():
        rows = np.flatnonzero(base.assignment == old)[:count]
        assert len(rows) == count
        new.assignment[rows] = id_by_name[f"T{to}"]
    History(plan).do(AddScenario(new))
    return plan, base, new


def test_movers_are_the_accounts_whose_territory_name_differs():
    plan, base, new = realigned_plan()
    rows = movers(base, new)
    assert len(rows) == 20
    assert (assignment_names(base)[rows] != assignment_names(new)[rows]).all()


def test_the_draw_is_proportional_over_strata_and_exact_on_a_small_case():
    plan, base, new = realigned_plan()
    choice = choose_holdout(plan, base, new, size=10, strata=("from_territory",), seed=3)
    table = choice.summary.set_index("stratum")
    assert table["movers"].to_dict() == {"T1": 10, "T2": 6, "T3": 4}
    assert table["held_out"].to_dict() == {"T1": 5, "T2": 3, "T3": 2}  # 10 x 10/20, 10 x 6/20, 10 x 4/20
    assert choice.size == 10 and np.isin(choice.held_out, choice.movers).all()
    names = assignment_names(base)
    assert sorted(names[choice.held_out].tolist()).count("T1") == 5
    # each held-out account is kept in its baseline territory (by name) of the realigned scenario
    kept = [new.territories[t].name for t in choice.keep_territory]
    assert kept == names[choice.held_out].tolist()


def test_largest_remainder_and_at_least_one_per_stratum_of_two_or_more():
    assert allocate(np.array([10, 6, 4]), 10).tolist() == [5, 3, 2]
    # 4 over 10, 6, 2: exact 2.22, 1.33, 0.44 -> 2, 1, 1 by largest remainder
    assert allocate(np.array([10, 6, 2]), 4).tolist() == [2, 1, 1]
    # 4 over 10, 6, 3: exact 2.1, 1.26, 0.63 -> 2, 1, 1; over 20, 6, 3 with 3: 2, 1, 0 -> the third gets one from
    # the stratum most above its exact share
    assert allocate(np.array([20, 6, 3]), 3).tolist() == [1, 1, 1]
    # a stratum of a single mover gets no minimum: its only account stays a moved one
    assert allocate(np.array([10, 6, 1]), 4).tolist() == [2, 2, 0]
    assert allocate(np.array([3, 3, 3]), 2).tolist() == [1, 1, 0]  # fewer than the strata: ties to the first
    assert allocate(np.array([5, 0, 5]), 3).tolist() == [2, 0, 1]
    assert allocate(np.array([7, 2]), 9).tolist() == [7, 2]
    with pytest.raises(HoldoutError, match="larger than"):
        allocate(np.array([1, 1]), 3)


def test_the_draw_is_reproducible_for_a_seed():
    plan, base, new = realigned_plan(n=200)
    first = choose_holdout(plan, base, new, share=0.5, strata="from_territory,segment", seed=11)
    again = choose_holdout(plan, base, new, share=0.5, strata=("from_territory", "segment"), seed=11)
    other = choose_holdout(plan, base, new, share=0.5, strata="from_territory,segment", seed=12)
    assert np.array_equal(first.held_out, again.held_out)
    assert not np.array_equal(first.held_out, other.held_out)
    assert first.size == other.size == 10
    assert first.strata_text == "from_territory,segment"
    assert all(" / " in label for label in first.summary["stratum"])


def test_strata_of_every_kind():
    plan, base, new = realigned_plan(n=200)
    plan.accounts.tier[:] = np.where(plan.accounts.potential > np.median(plan.accounts.potential), "A", "B")
    for stratum in ("to_territory", "segment", "tier", "potential_band"):
        choice = choose_holdout(plan, base, new, size=5, strata=stratum, seed=0)
        assert choice.size == 5 and choice.summary["held_out"].sum() == 5
        assert (choice.summary["held_out"] >= 1).all() or len(choice.summary) > 5
    bands = choose_holdout(plan, base, new, size=5, strata="potential_band", seed=0).summary
    assert bands["stratum"].tolist() == ["P1", "P2", "P3", "P4", "P5"]
    assert bands["movers"].tolist() == [4, 4, 4, 4, 4] and bands["held_out"].tolist() == [1, 1, 1, 1, 1]
    assert potential_bands(np.array([5.0, 1.0, 1.0, 3.0, 9.0])).tolist() == [4, 1, 2, 3, 5]


def test_movers_that_cannot_stay_are_never_drawn():
    plan, base, new = realigned_plan()
    gone = next(tid for tid, t in base.territories.items() if t.name == "T3")
    # a baseline territory missing from the realigned scenario: its movers have nowhere to be kept
    for tid, t in list(new.territories.items()):
        if t.name == "T3":
            new.territories[tid] = t.with_changes(name="T3 new")
    choice = choose_holdout(plan, base, new, size=10, seed=0)
    from_t3 = assignment_names(base)[choice.movers] == base.territories[gone].name
    assert not choice.eligible[from_t3].any() and not np.isin(choice.movers[from_t3], choice.held_out).any()
    with pytest.raises(HoldoutError, match="larger than the"):
        choose_holdout(plan, base, new, size=len(choice.movers), seed=0)


def test_unassigned_baseline_accounts_are_held_out_unassigned():
    plan = make_plan(n=30, k=2, unassigned=5)
    base = plan.active
    new = copy_scenario(plan, base, "New")
    new.assignment[:5] = next(iter(new.territories))
    History(plan).do(AddScenario(new))
    choice = choose_holdout(plan, base, new, size=2, seed=0)
    assert len(choice.movers) == 5 and choice.keep_territory.tolist() == [UNASSIGNED, UNASSIGNED]


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 21}, "larger than the 20"),
    ({"size": 0}, "at least 1"),
    ({"share": 0.0}, "more than 0 and less than 1"),
    ({"share": 1.0}, "more than 0 and less than 1"),
    ({"share": 1.5}, "more than 0 and less than 1"),
    ({"size": 3, "share": 0.1}, "either a size"),
    ({}, "either a size"),
    ({"size": 3, "strata": "from_territory,region"}, "unknown stratum 'region'"),
    ({"size": 3, "strata": ""}, "at least one stratum"),
    ({"size": 3, "seed": -1}, "seed"),
])
def test_bad_requests_are_refused_clearly(kwargs, message):
    plan, base, new = realigned_plan()
    kwargs.setdefault("seed", 0)
    with pytest.raises(HoldoutError, match=message):
        choose_holdout(plan, base, new, **kwargs)


def test_no_movers_is_refused():
    plan = make_plan(n=30, k=2)
    same = copy_scenario(plan, plan.active, "Same")
    History(plan).do(AddScenario(same))
    with pytest.raises(HoldoutError, match="no account moves"):
        choose_holdout(plan, plan.active, same, size=1, seed=0)
    with pytest.raises(HoldoutError, match="same scenario"):
        choose_holdout(plan, plan.active, plan.active, size=1, seed=0)


def test_keeping_a_holdout_is_one_undoable_step_recorded_in_the_file(tmp_path):
    path = tmp_path / "p.tplan"
    plan, base, new = realigned_plan()
    ProjectFile.create(path, plan).close()
    with ProjectFile.open(path) as project:
        plan = project.load_plan()
        base, new = plan.scenario_by_name("Current plan"), plan.scenario_by_name("New")
        history = History(plan, project)
        choice = choose_holdout(plan, base, new, size=10, seed=5)
        command = KeepHoldout(choice, "2026-q3", at="2026-06-30T12:00:00+00:00")
        history.do(command)
        assert command.holdout_id == 1
        assert history.undo_labels() == ["Keep a holdout of 10 of 20 movers in New"]
        names_base, names_new = assignment_names(base), assignment_names(new)
        assert (names_new[choice.held_out] == names_base[choice.held_out]).all()
        assert len(movers(base, new)) == 10
    with ProjectFile.open(path) as project:  # as a later session reads it
        plan = project.load_plan()
        head = plan.records.table("holdouts").iloc[0]
        assert (head["id"], head["scenario_id"], head["baseline_id"], head["go_live"], head["seed"], head["size"],
                head["strata"], head["movers"], head["team_id"]) == (1, new.id, base.id, "2026-Q3", 5, 10,
                                                                     "from_territory", 20, 0)
        members = plan.records.table("holdout_accounts")
        assert len(members) == 20 and members["cohort"].value_counts().to_dict() == {"moved": 10, "held_out": 10}
        held_ids = set(plan.accounts.ids[choice.held_out].tolist())
        assert set(members.loc[members["cohort"] == "held_out", "account_id"]) == held_ids
        first = members.set_index("account_id").loc[int(plan.accounts.ids[choice.held_out[0]])]
        assert first["stratum"] == first["from_territory"] and first["to_territory"] != first["from_territory"]
        steps = project.conn.execute("SELECT DISTINCT action FROM changes WHERE label LIKE 'Keep a holdout%'")
        assert {r[0] for r in steps} == {"holdout", "holdouts", "holdout_accounts"}

        # a second holdout on the same scenario is refused; after an undo of the first it is allowed
        history = History(plan, project)
        new = plan.scenario_by_name("New")
        again = choose_holdout(plan, plan.scenario_by_name("Current plan"), new, size=3, seed=1)
        with pytest.raises(Exception, match="already has a holdout"):
            history.do(KeepHoldout(again, "2026-Q3"))
        assert len(plan.records.table("holdout_accounts")) == 20


def test_undo_takes_back_the_assignment_and_the_records_and_allows_another():
    plan, base, new = realigned_plan()
    before = new.assignment.copy()
    history = History(plan)
    history.do(KeepHoldout(choose_holdout(plan, base, new, size=4, seed=0), "2026-Q3"))
    assert len(plan.records.table("holdouts")) == 1
    history.undo()
    assert np.array_equal(new.assignment, before)
    assert len(plan.records.table("holdouts")) == 0 and len(plan.records.table("holdout_accounts")) == 0
    history.redo()
    assert len(plan.records.table("holdout_accounts")) == 20 and not np.array_equal(new.assignment, before)
    history.undo()
    second = KeepHoldout(choose_holdout(plan, base, new, size=6, seed=2), "2026-07")
    history.do(second)
    assert plan.records.table("holdouts")["size"].tolist() == [6]
    assert plan.records.table("holdouts")["go_live"].tolist() == ["2026-07"]


def test_a_stale_draw_or_a_bad_go_live_is_refused():
    plan, base, new = realigned_plan()
    choice = choose_holdout(plan, base, new, size=4, seed=0)
    with pytest.raises(Exception, match="is not a period"):
        KeepHoldout(choice, "Q3 2026")
    row = choice.movers[0]
    new.assignment[row] = new.territory_by_name(base.territories[base.assignment[row]].name).id  # moved back by hand
    history = History(plan)
    with pytest.raises(Exception, match="changed since the holdout was drawn"):
        history.do(KeepHoldout(choice, "2026-Q3"))
    assert len(plan.records.table("holdouts")) == 0
