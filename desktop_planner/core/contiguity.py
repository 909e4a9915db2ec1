"""Contiguity: a territory is contiguous when its accounts form one connected piece of the account graph.

The account graph is the Delaunay triangulation of all account locations (DESIGN.md) without its edges that
are much longer than the edges around them. Plain Delaunay joins accounts across 400-500 km of sea or empty
country along its outer hull and across bays and deserts, so a territory "connected" only through such an
edge (Ashland, Maine to Atlantic City; El Paso to Laredo) is a snake on the map; a planner would call it two
pieces. A minimum spanning tree of the triangulation is kept, so that every account has a neighbour and
sparse country stays connected. The graph depends only on the accounts, so it is built once per plan (and
cached in the project file)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, QhullError

from desktop_planner.core.geo import chord_to_km
from desktop_planner.core.model import Accounts, territory_index
from desktop_planner.core.rows import unique_rows

LONG_EDGE = 2.5  # an edge longer than this times the median edge at both its ends is not a neighbour


def delaunay_edges(accounts: Accounts) -> np.ndarray:
    """Undirected edges (m, 2) of account row indices.

    Accounts at the same spot (same postcode, same building) are joined to each other directly: qhull would
    otherwise drop the duplicates and leave them out of the graph.
    """
    n = len(accounts)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    points = np.column_stack((accounts.x, accounts.y))
    unique, first, inverse = unique_rows(points, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    rows = np.arange(n)
    # Every duplicate is linked to the first account at its spot.
    dup_edges = np.column_stack((first[inverse], rows))[first[inverse] != rows]
    if len(unique) >= 3:
        try:
            simplices = Delaunay(unique).simplices
            tri_edges = np.concatenate((simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]))
        except QhullError:  # all spots on one line: chain them in order along it
            tri_edges = _chain(unique)
    elif len(unique) == 2:
        tri_edges = np.array([[0, 1]])
    else:
        tri_edges = np.empty((0, 2), dtype=np.int64)
    tri_edges = first[np.sort(tri_edges, axis=1)]
    edges = np.concatenate((tri_edges, dup_edges)).astype(np.int64)
    return unique_rows(np.sort(edges, axis=1))


def edge_lengths_km(xyz: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    diff = xyz[a] - xyz[b]
    # Accounts at one spot are 0 km apart; a tiny length keeps the edge (scipy drops explicit zeros).
    return np.maximum(chord_to_km(np.sqrt(np.einsum("ij,ij->i", diff, diff))), 1e-6)


def short_edges(xyz: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The Delaunay edges that count as neighbours: not much longer than the typical edge at either end
    (Delaunay also joins accounts across empty country, a bay, a lake or a desert: El Paso to Laredo, Nantucket
    to Atlantic City), plus a minimum spanning tree so that nothing is cut off."""
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    n = len(xyz)
    if len(edges) == 0:
        return edges
    a, b = edges[:, 0], edges[:, 1]
    length = edge_lengths_km(xyz, a, b)
    ends = np.concatenate((a, b))
    lengths = np.concatenate((length, length))
    order = np.lexsort((lengths, ends))
    first = np.searchsorted(ends[order], np.arange(n + 1))
    count = np.diff(first)
    median = np.full(n, np.inf)
    has = count > 0
    median[has] = lengths[order][first[:-1][has] + count[has] // 2]
    keep = length <= LONG_EDGE * np.minimum(median[a], median[b])
    tree = minimum_spanning_tree(coo_matrix((length, (a, b)), shape=(n, n))).tocoo()
    in_tree = np.zeros(len(a), dtype=bool)
    key = a.astype(np.int64) * n + b
    tree_key = np.concatenate((tree.row.astype(np.int64) * n + tree.col, tree.col.astype(np.int64) * n + tree.row))
    in_tree[np.isin(key, tree_key)] = True
    return edges[keep | in_tree]


def account_graph(accounts: Accounts) -> np.ndarray:
    """The account graph's undirected edges (m, 2): Delaunay neighbours without the long edges."""
    return short_edges(accounts.xyz, delaunay_edges(accounts))


def _chain(points: np.ndarray) -> np.ndarray:
    order = np.lexsort((points[:, 1], points[:, 0]))
    return np.column_stack((order[:-1], order[1:]))


class ContiguityChecker:
    def __init__(self, accounts: Accounts, edges: np.ndarray | None = None) -> None:
        """`edges`: the account graph when already known (the project file caches it)."""
        self.accounts = accounts
        self._edges = edges

    @property
    def edges(self) -> np.ndarray:
        if self._edges is None:
            self._edges = account_graph(self.accounts)
        return self._edges

    def pieces(self, territory_ids: np.ndarray, assignment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per territory the number of connected pieces, and per account a piece label (-1 unassigned).

        Labels are global: two accounts share a label exactly when they are in the same piece.
        """
        n = len(assignment)
        tidx = territory_index(territory_ids, assignment)
        e = self.edges
        keep = (tidx[e[:, 0]] == tidx[e[:, 1]]) & (tidx[e[:, 0]] >= 0)
        a, b = e[keep, 0], e[keep, 1]
        graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        labels = np.where(tidx >= 0, labels, -1)
        counts = np.zeros(len(territory_ids), dtype=np.int64)
        assigned = tidx >= 0
        if assigned.any():
            # distinct (territory, label) pairs, counted per territory
            pairs = unique_rows(np.column_stack((tidx[assigned], labels[assigned])))
            counts = np.bincount(pairs[:, 0], minlength=len(territory_ids))
        return counts, labels

    def contiguous(self, territory_ids: np.ndarray, assignment: np.ndarray) -> np.ndarray:
        """Per territory: True when its accounts form one piece (an empty territory counts as contiguous)."""
        counts, _ = self.pieces(territory_ids, assignment)
        return counts <= 1
