"""The DTDP solver on a real benchmark instance, briefly: a balanced plan whose reported diameter is the real
one, deterministic for a seed."""

import numpy as np
import pytest

from desktop_planner.optimize.dtdp import diameters, infeasibility, solve_dtdp
from tests.benchmarks.dtdp_adapter import INSTANCES, read_instance

pytestmark = pytest.mark.skipif(not INSTANCES.exists(), reason="benchmark data ../shared/benchmarks not present")


def test_short_run_gives_a_feasible_plan_with_its_true_diameter():
    inst = read_instance("planar500_G0")
    assert inst.n == 500 and inst.activity.shape == (500, 3)
    result = solve_dtdp(inst, time_limit=2.0, seed=1)
    assert result.feasible and infeasibility(inst, result.assignment) == 0.0
    assert result.diameter == pytest.approx(diameters(inst, result.assignment).max())
    assert len(np.unique(result.assignment)) == 10
    assert result.diameter < 50.0  # the published VNS runs average 48


def test_shortest_paths_are_symmetric_and_respect_edges():
    inst = read_instance("planar500_G0")
    assert np.allclose(inst.dist, inst.dist.T)
    assert np.isfinite(inst.dist).all()  # the planar graph is connected


def test_same_seed_and_move_budget_same_plan():
    inst = read_instance("planar500_G1")
    one = solve_dtdp(inst, time_limit=60, seed=3, max_moves=1500)
    two = solve_dtdp(inst, time_limit=60, seed=3, max_moves=1500)
    assert one.iterations == two.iterations == 1500
    assert np.array_equal(one.assignment, two.assignment) and one.diameter == two.diameter
