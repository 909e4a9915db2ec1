import numpy as np

from desktop_planner.core.contiguity import ContiguityChecker, delaunay_edges
from desktop_planner.core.model import Accounts


def grid(nx=6, ny=4):
    lon, lat = np.meshgrid(np.arange(nx, dtype=float), np.arange(ny, dtype=float))
    return Accounts.from_columns(lon=lon.ravel(), lat=lat.ravel())


def test_left_and_right_halves_are_contiguous():
    accounts = grid()
    assignment = np.where(accounts.lon < 3, 1, 2)
    assert ContiguityChecker(accounts).contiguous(np.array([1, 2]), assignment).tolist() == [True, True]


def test_a_territory_split_by_another_is_flagged_with_its_pieces():
    accounts = grid()
    # territory 1 holds the first and last columns, territory 2 everything between
    assignment = np.where((accounts.lon == 0) | (accounts.lon == 5), 1, 2)
    checker = ContiguityChecker(accounts)
    counts, labels = checker.pieces(np.array([1, 2]), assignment)
    assert counts.tolist() == [2, 1]
    left, right = labels[accounts.lon == 0], labels[accounts.lon == 5]
    assert len(set(left)) == 1 and len(set(right)) == 1 and left[0] != right[0]


def test_duplicate_locations_are_connected():
    accounts = Accounts.from_columns(lon=[0.0, 0.0, 0.0, 1.0, 2.0], lat=[0.0, 0.0, 0.0, 1.0, 0.0])
    edges = {tuple(e) for e in delaunay_edges(accounts).tolist()}
    assert (0, 1) in edges and (0, 2) in edges
    assignment = np.array([1, 1, 1, 2, 2])
    assert ContiguityChecker(accounts).contiguous(np.array([1, 2]), assignment).tolist() == [True, True]


def test_collinear_and_tiny_inputs():
    line = Accounts.from_columns(lon=[0.0, 1.0, 2.0, 3.0], lat=[0.0, 0.0, 0.0, 0.0])
    assignment = np.array([1, 2, 1, 1])
    counts, _ = ContiguityChecker(line).pieces(np.array([1, 2]), assignment)
    assert counts.tolist() == [2, 1]
    one = Accounts.from_columns(lon=[5.0], lat=[5.0])
    assert ContiguityChecker(one).contiguous(np.array([1, 2]), np.array([1])).tolist() == [True, True]
