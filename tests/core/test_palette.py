"""Territory colours: distinct, deterministic, stable when territories are added, never grey."""

import re

import numpy as np
import pytest

from desktop_planner.core.palette import OKABE_ITO, hex_to_rgb, territory_palette


def test_starts_with_okabe_ito_without_black():
    assert territory_palette(7) == list(OKABE_ITO)
    assert territory_palette(3) == list(OKABE_ITO[:3])
    assert "#000000" not in territory_palette(300)
    assert territory_palette(0) == []


@pytest.mark.parametrize("k", [1, 8, 12, 50, 300, 1000])
def test_k_distinct_hex_colours(k):
    colors = territory_palette(k)
    assert len(colors) == k == len(set(colors))
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colors)


def test_deterministic_and_prefix_stable():
    big = territory_palette(300)
    assert big == territory_palette(300)
    for k in (8, 12, 40, 299):
        assert territory_palette(k) == big[:k]


def test_beyond_the_coarse_grid_still_distinct():
    colors = territory_palette(3000)
    assert len(set(colors)) == 3000


def test_no_greys_and_no_near_black_or_white():
    rgb = hex_to_rgb(territory_palette(300))
    assert np.all(rgb.max(axis=1) - rgb.min(axis=1) > 0.08)  # some saturation: grey means "unassigned"
    assert np.all(rgb.max(axis=1) > 0.25) and np.all(rgb.min(axis=1) < 0.95)


def test_first_colours_are_far_apart():
    rgb = hex_to_rgb(territory_palette(12))
    gaps = np.linalg.norm(rgb[:, None, :] - rgb[None, :, :], axis=-1)
    np.fill_diagonal(gaps, np.inf)
    assert gaps.min() > 0.15


@pytest.mark.parametrize("bad", [-1, 2.0, "3", True, None])
def test_bad_count(bad):
    with pytest.raises(ValueError, match="number of colours"):
        territory_palette(bad)
