import numpy as np
import pytest

from desktop_planner.core.heat import density_grid


def test_one_point_spreads_its_weight_as_a_smooth_bump_around_its_pixel():
    grid = density_grid(np.array([5_500.0]), np.array([2_500.0]), np.array([4.0]), (0, 0, 10_000, 5_000), 1_000)
    assert grid.values.shape == (5, 10)  # rows, cols
    row, col = np.unravel_index(np.argmax(grid.values), grid.values.shape)
    assert (row, col) == (2, 5)  # row 0 is the top edge
    # the kernel reaches past the 10 x 5 km view, so not all of the weight (4 per km²-pixel) is inside
    assert 0 < grid.values.sum() < 4.0
    assert grid.vmax == grid.values.max() and grid.vmin == grid.values.min() >= 0


def test_weight_is_conserved_per_map_km2_when_the_view_holds_the_kernel():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(40_000, 60_000, 500), rng.uniform(40_000, 60_000, 500)
    weights = rng.random(500)
    grid = density_grid(x, y, weights, (0, 0, 100_000, 100_000), 500)
    assert grid.values.sum() * 0.5 ** 2 == pytest.approx(weights.sum(), rel=1e-5)


def test_points_just_outside_the_view_still_warm_its_edge():
    inside_only = density_grid(np.array([500.0]), np.array([500.0]), None, (0, 0, 10_000, 10_000), 100)
    with_outside = density_grid(np.array([500.0, -300.0]), np.array([500.0, 500.0]), None,
                                (0, 0, 10_000, 10_000), 100)
    assert with_outside.values[:, 0].sum() > inside_only.values[:, 0].sum()


def test_extent_is_rounded_to_whole_pixels_and_nan_weights_count_as_zero():
    grid = density_grid(np.array([1.0, 2.0]), np.array([1.0, 2.0]), np.array([np.nan, 1.0]), (0, 0, 950, 420),
                        100, bandwidth=0)
    assert grid.values.shape == (5, 10)
    assert grid.extent == (0, -80, 1000, 420)
    assert grid.values.sum() * 0.1 ** 2 == pytest.approx(1.0)


def test_a_bad_extent_is_refused():
    with pytest.raises(ValueError):
        density_grid(np.zeros(1), np.zeros(1), None, (0, 0, 0, 10), 1)
    with pytest.raises(ValueError):
        density_grid(np.zeros(1), np.zeros(1), None, (0, 0, 10, 10), 0)
