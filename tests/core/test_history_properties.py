"""Property: any sequence of commands, undos and redos keeps the plan, its measures and the file consistent."""

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_planner.core.commands import (AddTerritory, CommandError, DeleteTerritory, EditTerritory, Reassign,
                                           SetLock)
from desktop_planner.core.history import History
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.core.model import UNASSIGNED, Territory
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan
from tests.store.test_project import assert_same_plan

N = 60

accounts = st.lists(st.integers(0, N - 1), min_size=1, max_size=15)
steps = st.lists(st.one_of(
    st.tuples(st.just("reassign"), accounts, st.integers(-1, 5), st.sampled_from(["click", "lasso", "paint"])),
    st.tuples(st.just("lock"), accounts, st.booleans()),
    st.tuples(st.just("edit"), st.integers(1, 5), st.sampled_from(["name", "home", "capacity", "lock"])),
    st.tuples(st.just("add")),
    st.tuples(st.just("delete"), st.integers(1, 5)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
), max_size=25)


def command_for(step, plan, counter):
    kind = step[0]
    if kind == "reassign":
        return Reassign(1, step[1], step[2] if step[2] in plan.active.territories else UNASSIGNED, action=step[3])
    if kind == "lock":
        return SetLock(1, step[1], step[2])
    if kind == "edit":
        field = {"name": {"name": f"Edited {counter}"}, "home": {"home_lon": -82.5, "home_lat": 40.5},
                 "capacity": {"capacity_hours": 500.0}, "lock": {"locked": counter % 2 == 0}}[step[2]]
        return EditTerritory(1, step[1], **field)
    if kind == "add":
        return AddTerritory(1, Territory(plan.next_territory_id(), f"Added {counter}"))
    return DeleteTerritory(1, step[1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_random_command_sequences_stay_consistent(sequence):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.tplan"
        original = make_plan(n=N, k=3, seed=5)
        project = ProjectFile.create(path, original)
        plan = project.load_plan()
        engine = MeasureEngine(plan)
        history = History(plan, project)
        for counter, step in enumerate(sequence):
            if step[0] == "undo":
                history.undo()
            elif step[0] == "redo":
                history.redo()
            else:
                try:
                    history.do(command_for(step, plan, counter))
                except CommandError:
                    pass  # refused commands (locked, unknown territory) must change nothing: checked below
            # every account is in exactly one existing territory or unassigned
            known = set(plan.active.territories) | {UNASSIGNED}
            assert set(np.unique(plan.active.assignment).tolist()) <= known
            # the file holds exactly the plan in memory
            assert_same_plan(plan, ProjectFile.open(path).load_plan())
            # the incrementally cached measures equal a fresh computation
            cached, fresh = engine.measures(), MeasureEngine(plan).measures()
            for key in fresh.values:
                np.testing.assert_allclose(cached.values[key], fresh.values[key], rtol=1e-9)
            assert cached.values["accounts"].sum() + cached.unassigned == N
        while history.undo():
            pass
        assert_same_plan(original, plan)
        assert_same_plan(original, ProjectFile.open(path).load_plan())
        project.close()
