"""Contiguity: a territory is contiguous when its accounts form one connected piece of the Delaunay graph of
all account locations (DESIGN.md). The graph depends only on the accounts, so it is built once per plan."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, QhullError

from desktop_planner.core.model import Accounts, territory_index


def delaunay_edges(accounts: Accounts) -> np.ndarray:
    """Undirected edges (m, 2) of account row indices.

    Accounts at the same spot (same postcode, same building) are joined to each other directly: qhull would
    otherwise drop the duplicates and leave them out of the graph.
    """
    n = len(accounts)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    points = np.column_stack((accounts.x, accounts.y))
    unique, first, inverse = np.unique(points, axis=0, return_index=True, return_inverse=True)
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
    return np.unique(np.sort(edges, axis=1), axis=0)


def _chain(points: np.ndarray) -> np.ndarray:
    order = np.lexsort((points[:, 1], points[:, 0]))
    return np.column_stack((order[:-1], order[1:]))


class ContiguityChecker:
    def __init__(self, accounts: Accounts, edges: np.ndarray | None = None) -> None:
        """`edges`: the accounts' Delaunay edges when already known (the project file caches them)."""
        self.accounts = accounts
        self._edges = edges

    @property
    def edges(self) -> np.ndarray:
        if self._edges is None:
            self._edges = delaunay_edges(self.accounts)
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
            pairs = np.unique(np.column_stack((tidx[assigned], labels[assigned])), axis=0)
            counts = np.bincount(pairs[:, 0], minlength=len(territory_ids))
        return counts, labels

    def contiguous(self, territory_ids: np.ndarray, assignment: np.ndarray) -> np.ndarray:
        """Per territory: True when its accounts form one piece (an empty territory counts as contiguous)."""
        counts, _ = self.pieces(territory_ids, assignment)
        return counts <= 1
