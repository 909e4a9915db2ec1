import numpy as np

from desktop_planner.core.contiguity import ContiguityChecker, account_graph, delaunay_edges
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


def _clusters():
    """Two towns 1,100 km apart (A at 0°E, B at 10°E) and one account between them further north (F)."""
    rng = np.random.default_rng(0)
    a = rng.normal(0, 0.05, (20, 2))
    b = rng.normal(0, 0.05, (20, 2)) + [10.0, 0.0]
    f = np.array([[5.0, 3.0]])
    pts = np.vstack((a, b, f))
    return Accounts.from_columns(lon=pts[:, 0], lat=pts[:, 1] + 40.0, external_id=[f"A{i}" for i in range(41)])


def test_towns_joined_only_by_a_long_hull_edge_are_two_pieces():
    """Delaunay joins the two towns directly along its hull; a planner sees two pieces, and so does the
    account graph (El Paso and Laredo are not one territory)."""
    accounts = _clusters()
    territory = np.array([1] * 40 + [2])
    tids = np.array([1, 2])
    plain = ContiguityChecker(accounts, delaunay_edges(accounts))
    assert plain.pieces(tids, territory)[0][0] == 1  # the old definition called it one piece
    assert ContiguityChecker(accounts).pieces(tids, territory)[0][0] == 2


def test_the_account_graph_keeps_everyone_connected():
    accounts = _clusters()
    edges = account_graph(accounts)
    everyone = np.ones(len(accounts), dtype=np.int64)
    assert ContiguityChecker(accounts, edges).pieces(np.array([1]), everyone)[0][0] == 1
    assert len(edges) < len(delaunay_edges(accounts))
