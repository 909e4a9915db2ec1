"""The 22-brick Pfizer case: the exact MIP must reproduce the published optima at all three workload bands."""

import numpy as np
import pytest

from tests.benchmarks.pfizer_adapter import DATA, KNOWN_OPTIMA, load_bricks, solve_band

pytestmark = pytest.mark.skipif(not DATA.exists(), reason="benchmark data ../shared/benchmarks not present")


@pytest.mark.parametrize("band", sorted(KNOWN_OPTIMA))
def test_known_optima(band):
    bricks = load_bricks()
    result = solve_band(bricks, band)
    distance, disruption = KNOWN_OPTIMA[band]
    assert result.distance == pytest.approx(distance, abs=0.005)
    assert result.disruption == pytest.approx(disruption, abs=0.00005)
    assert np.all(np.abs(result.workloads - 1.0) <= band + 1e-9)


def test_todays_plan_and_the_tie_break_distance():
    bricks = load_bricks()
    today = bricks.distance[np.arange(len(bricks.value)), bricks.current].sum()
    assert today == pytest.approx(187.41, abs=0.005)
    assert solve_band(bricks, 0.20).distance_at_least_disruption == pytest.approx(188.95, abs=0.005)
