"""The unit graph of a balance on units: the layer's adjacency (cached), the adjacency inside states or regions
(with islands linked inside their group), states without a rep (or units outside every region) merged into a
neighbour, units filled from their neighbours, and the pieces of territories made of units (the contiguity the
report counts)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from desktop_planner.core.model import UNASSIGNED, territory_index
from desktop_planner.core.units import unit_adjacency


def layer_adjacency(layer) -> np.ndarray:
    """The layer's unit adjacency, computed once per layer object."""
    cached = getattr(layer, "_balance_adjacency", None)
    if cached is None:
        cached = unit_adjacency(layer)
        layer._balance_adjacency = cached
    return cached


def fill_from_neighbours(unit_territory: np.ndarray, edges: np.ndarray) -> int:
    """Units still unassigned take the territory of a neighbouring unit (breadth first); returns how many."""
    filled = 0
    while True:
        todo = unit_territory == UNASSIGNED
        if not todo.any():
            return filled
        a, b = edges[:, 0], edges[:, 1]
        grow = np.concatenate((np.column_stack((a, b)), np.column_stack((b, a))))
        grow = grow[todo[grow[:, 0]] & ~todo[grow[:, 1]]]
        if not len(grow):
            return filled
        target, source = grow[:, 0], grow[:, 1]
        first = np.unique(target, return_index=True)[1]
        unit_territory[target[first]] = unit_territory[source[first]]
        filled += len(first)


def merge_homeless(group_of_unit: np.ndarray, homed: set, edges: np.ndarray) -> tuple[np.ndarray, dict]:
    """Units of a state where no territory is homed join the neighbouring state they share most borders with
    (repeatedly, so a chain of such states reaches one that has homes); returns the groups and what merged."""
    group = group_of_unit.copy()
    merged: dict[str, str] = {}
    while True:
        homeless = sorted(set(group.tolist()) - homed)
        changed = False
        for state in homeless:
            a, b = group[edges[:, 0]], group[edges[:, 1]]
            across = np.concatenate((b[(a == state) & (b != state)], a[(b == state) & (a != state)]))
            across = across[np.isin(across, sorted(homed))]
            if not len(across):
                continue
            values, counts = np.unique(across, return_counts=True)
            into = str(values[int(np.argmax(counts))])
            group[group == state] = into
            merged[state] = into
            changed = True
        if not changed:
            return group, {s: _final(merged, s) for s in merged}


def region_groups(unit_region: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, int]:
    """The region of every unit (a region name per unit, "" for a unit that no territory of a region holds)
    with the units without one joined to a neighbouring region; returns the groups and how many units joined.

    Each connected patch of units without a region joins the region it shares most borders with, on its own:
    merged as one group, patches far apart would all go to the region that one of them happens to border."""
    group = np.asarray(unit_region).astype(str)
    none = group == ""
    if not none.any():
        return group, 0
    inside = edges[none[edges[:, 0]] & none[edges[:, 1]]]
    n = len(group)
    graph = coo_matrix((np.ones(len(inside)), (inside[:, 0], inside[:, 1])), shape=(n, n))
    _, patch = connected_components(graph, directed=False)
    # "\0" cannot start a region name typed by a user, so patch labels never meet a real region.
    labelled = np.where(none, np.char.add("\0", patch.astype(str)), group).astype(str)
    homed = set(group[~none].tolist())
    merged_group, _ = merge_homeless(labelled, homed, edges)
    joined = int((none & np.isin(merged_group, sorted(homed))).sum())
    return merged_group, joined


def _final(merged: dict, state: str) -> str:
    while state in merged:
        state = merged[state]
    return state


def group_edges(edges: np.ndarray, group: np.ndarray, unit_xyz: np.ndarray) -> np.ndarray:
    """The adjacency inside each group, with every piece of a group cut off inside it (an island whose nearest
    unit was across the line) linked to the nearest unit of the rest of its group."""
    inside, label = _inside_pieces(edges, group)
    links = []
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        pieces = np.unique(label[members])
        if len(pieces) < 2:
            continue
        sizes = [(int((label[members] == p).sum()), int(p)) for p in pieces]
        main = max(sizes)[1]
        main_units = members[label[members] == main]
        tree = cKDTree(unit_xyz[main_units])
        for _, p in sizes:
            if p == main:
                continue
            part = members[label[members] == p]
            d, j = tree.query(unit_xyz[part])
            best = int(np.argmin(d))
            links.append((int(part[best]), int(main_units[j[best]])))
    if links:
        inside = np.vstack([inside, np.sort(np.array(links, dtype=np.int64), axis=1)])
    return inside


def split_groups(edges: np.ndarray, group: np.ndarray, groups) -> dict[str, int]:
    """The pieces of each of `groups` that is in more than one on the adjacency `edges`."""
    _, label = _inside_pieces(edges, group)
    counts = {str(g): len(np.unique(label[group == g])) for g in groups}
    return {g: c for g, c in counts.items() if c > 1}


def _inside_pieces(edges: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The edges inside groups and the connected piece of every unit on them."""
    inside = edges[group[edges[:, 0]] == group[edges[:, 1]]]
    n = len(group)
    graph = coo_matrix((np.ones(len(inside)), (inside[:, 0], inside[:, 1])), shape=(n, n))
    return inside, connected_components(graph, directed=False)[1]


class UnitPieces:
    """A contiguity checker on the unit adjacency (what the report counts as pieces): an account assignment is
    read per unit by its movable accounts' majority; units without accounts take the territory recorded for
    that assignment (`remember`)."""

    def __init__(self, items, edges: np.ndarray) -> None:
        self.items, self.edges = items, edges
        self._known: list[tuple[np.ndarray, np.ndarray]] = []

    def remember(self, assignment: np.ndarray, unit_territory: np.ndarray) -> None:
        self._known.append((assignment, unit_territory))

    def unit_territory(self, assignment: np.ndarray) -> np.ndarray:
        for known, terr in self._known:
            if known.shape == assignment.shape and np.array_equal(known, assignment):
                return terr
        return self.items.unit_territory(assignment)

    def pieces(self, territory_ids: np.ndarray, assignment: np.ndarray):
        terr = territory_index(territory_ids, self.unit_territory(assignment))
        return unit_pieces(terr, self.edges, len(territory_ids)), None

    def contiguous(self, territory_ids: np.ndarray, assignment: np.ndarray) -> np.ndarray:
        return self.pieces(territory_ids, assignment)[0] <= 1


def unit_pieces(terr_index: np.ndarray, edges: np.ndarray, k: int) -> np.ndarray:
    """Per territory (index 0..k-1) the number of connected pieces of its units in the graph `edges`."""
    n = len(terr_index)
    same = (terr_index[edges[:, 0]] == terr_index[edges[:, 1]]) & (terr_index[edges[:, 0]] >= 0)
    e = edges[same]
    graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    assigned = terr_index >= 0
    pairs = np.unique(np.column_stack((terr_index[assigned], labels[assigned])), axis=0)
    return np.bincount(pairs[:, 0], minlength=k) if len(pairs) else np.zeros(k, dtype=np.int64)
