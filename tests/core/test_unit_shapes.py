"""Units ready for the map: levels of detail, picking the unit under a point, shared borders, ragged gathering."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.core.unit_shapes import Ragged, build_unit_shapes, spill_shapes, unspill_shapes
from desktop_planner.core.units import UnitLayer
from desktop_planner.io.unit_layers import load_unit_layer


@pytest.fixture(scope="module")
def new_england():
    layer = load_unit_layer("us-counties", states={"CT", "RI", "MA"})
    return layer, build_unit_shapes(layer)


def xy(lon, lat):
    x, y = lonlat_to_mercator(np.array([lon]), np.array([lat]))
    return float(x[0]), float(y[0])


def test_the_unit_under_a_point_is_the_county_that_holds_it(new_england):
    layer, shapes = new_england
    for (lon, lat), name in (((-71.06, 42.36), "Suffolk"), ((-72.68, 41.76), "Hartford"),
                             ((-71.41, 41.82), "Providence"), ((-70.07, 41.28), "Nantucket")):
        unit = shapes.unit_at(*xy(lon, lat))
        assert unit >= 0 and layer.names[unit].split(",")[0] == name
    assert shapes.unit_at(*xy(-69.5, 42.0)) == -1  # the Atlantic


def test_levels_get_coarser_with_zoom_and_keep_every_unit(new_england):
    layer, shapes = new_england
    counts = [len(level.xy) for level in shapes.fills]
    assert counts == sorted(counts) and counts[0] < counts[-1] / 5
    for level in shapes.fills:
        assert len(level.start) == len(layer) + 1 and (np.diff(level.start) >= 4).all()  # every unit keeps a ring
    assert shapes.level_for(3000.0) == 1 and shapes.level_for(10.0) == len(shapes.fills) - 1
    x, y, connect = shapes.fills[-1].gather(np.arange(len(layer)))
    exact = shapely.get_coordinates(shapely.get_rings(shapely.get_parts(layer.geometries)))
    assert len(x) == len(exact)


def test_borders_are_the_lines_between_units_of_different_territories(new_england):
    layer, shapes = new_england
    state = np.array([str(p) for p in layer.parents])
    territory = np.unique(state, return_inverse=True)[1]
    borders = shapes.border_edges(territory)
    a, b = shapes.edges[borders].T
    assert (state[a] != state[b]).all() and len(borders) > 5
    # The shared lines of the MA|CT border run along the state line: near the 42.0 degree parallel there.
    lines = shapes.lines[-1]
    ma_ct = [j for j in borders if {state[shapes.edges[j, 0]], state[shapes.edges[j, 1]]} == {"MA", "CT"}]
    ys = np.concatenate([lines.xy[lines.start[j]:lines.start[j + 1], 1] for j in ma_ct])
    assert abs(xy(-72.5, 42.03)[1] - np.median(ys)) < 5_000


def test_gather_joins_no_two_units():
    ragged = Ragged(np.arange(14, dtype=np.float64).reshape(7, 2), np.array([1, 1, 0, 1, 1, 1, 0], dtype=np.int32),
                    np.array([0, 3, 3, 7]))
    x, y, connect = ragged.gather(np.array([2, 1, 0]))
    assert x.tolist() == [6, 8, 10, 12, 0, 2, 4] and connect.tolist() == [1, 1, 1, 0, 1, 1, 0]
    assert len(ragged.gather(np.array([1]))[0]) == 0


def test_a_unit_with_a_hole_does_not_hold_the_hole(tmp_path):
    ring = shapely.Polygon([(-1, -1), (1, -1), (1, 1), (-1, 1)], holes=[[(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5),
                                                                         (-0.5, 0.5)]])
    inner = shapely.box(-0.5, -0.5, 0.5, 0.5)
    layer = UnitLayer("test", "hand-made", ["ring", "inner"], ["Ring", "Inner"], np.array([ring, inner]))
    shapes = unspill_shapes(spill_shapes(build_unit_shapes(layer), str(tmp_path)))
    assert shapes.unit_at(*xy(0.0, 0.0)) == 1 and shapes.unit_at(*xy(0.8, 0.0)) == 0
    assert shapes.edges.tolist() == [[0, 1]]
