"""Independent checks of a plan, the way a sales VP looks at it.

Nothing here comes from the optimizer (desktop_planner.optimize) or from the project's contiguity module
(desktop_planner.core.contiguity): the account graph, the pieces, the distances and the disruption are computed
from scratch. Only what the project *defines* is taken from it: visits per account (segment defaults) and the
workload per territory (DESIGN.md "Measures", computed by desktop_planner.core.measures, the numbers that
`desktop-planner summary --json` prints as territories[].deviation.workload_hours).

- pieces: a territory's accounts, in the Delaunay triangulation of all account locations (Web Mercator x/y as
  the project defines it, and Lambert equal-area x/y as a second opinion; accounts at the same spot joined to
  each other), counted as connected components of the induced graph;
- distance: great-circle (haversine) km from each account to its territory's home, visit-weighted mean and
  95th percentile, and the longest home-to-account distance per territory ("snakes");
- bridges: pieces again without graph edges longer than SHORT_EDGE_KM (convex-hull edges over sea);
- balance: largest |workload deviation| and the territories outside ±10 % and ±15 %;
- disruption: share of accounts whose territory differs from a baseline assignment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, QhullError

EARTH_RADIUS_KM = 6371.0088
UNASSIGNED = -1
# The Delaunay graph includes its convex hull's edges, hundreds of km across the sea or a foreign country (the
# Northeast demo: Nantucket to Atlantic City, 432 km): a territory can be "one piece" only through them.
# Counting pieces without edges longer than this exposes such bridges (median edge there: 5 km).
SHORT_EDGE_KM = 200.0


# -- geometry -------------------------------------------------------------------------------------------------
def equal_area_xy(lon, lat) -> np.ndarray:
    """Lambert cylindrical equal-area x/y in km, shape (n, 2)."""
    lam, phi = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    return np.column_stack((EARTH_RADIUS_KM * lam, EARTH_RADIUS_KM * np.sin(phi)))


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def mercator_xy(lon, lat) -> np.ndarray:
    """Web Mercator x/y in km (the projection of the map and of the project's own contiguity graph)."""
    lam = np.radians(np.asarray(lon, dtype=float))
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -85.05112878, 85.05112878))
    return np.column_stack((6378.137 * lam, 6378.137 * np.log(np.tan(np.pi / 4 + phi / 2))))


PROJECTIONS = {"mercator": mercator_xy, "equal_area": equal_area_xy}


def account_graph(lon, lat, projection: str = "mercator") -> np.ndarray:
    """Undirected edges (m, 2) of the Delaunay triangulation of the account locations in `projection`.

    A Delaunay triangulation is not invariant under projection: in sparse country the Web Mercator and the
    equal-area graphs differ in about a tenth of their edges, so a territory can be one piece in one and two in
    the other. "mercator" is the graph of the project's definition (DESIGN.md "contiguity"; the map's
    projection), "equal_area" a second opinion.

    qhull keeps one of several identical points only, so the triangulation is built on the distinct spots and
    every account at a spot is joined to the first account there. All spots on one line: chained along it.
    """
    points = PROJECTIONS[projection](lon, lat)
    n = len(points)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    spots, first, inverse = np.unique(points, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    same_spot = np.column_stack((first[inverse], np.arange(n)))
    same_spot = same_spot[same_spot[:, 0] != same_spot[:, 1]]
    if len(spots) >= 3:
        try:
            tri = Delaunay(spots).simplices
            spot_edges = np.concatenate((tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]))
        except QhullError:  # collinear
            order = np.lexsort((spots[:, 1], spots[:, 0]))
            spot_edges = np.column_stack((order[:-1], order[1:]))
    elif len(spots) == 2:
        spot_edges = np.array([[0, 1]])
    else:
        spot_edges = np.empty((0, 2), dtype=np.int64)
    edges = np.concatenate((first[spot_edges].reshape(-1, 2), same_spot)).astype(np.int64)
    edges = np.sort(edges, axis=1)
    return np.unique(edges, axis=0)


def territory_pieces(edges: np.ndarray, assignment: np.ndarray) -> dict[int, int]:
    """Per territory id (every id in `assignment` but UNASSIGNED) its number of connected pieces."""
    return piece_sizes(edges, assignment)[0]


def piece_sizes(edges: np.ndarray, assignment: np.ndarray) -> tuple[dict[int, int], int]:
    """Pieces per territory id, and the accounts outside the largest piece of their territory (detached)."""
    assignment = np.asarray(assignment)
    n = len(assignment)
    a, b = edges[:, 0], edges[:, 1]
    keep = (assignment[a] == assignment[b]) & (assignment[a] != UNASSIGNED)
    graph = coo_matrix((np.ones(int(keep.sum()), dtype=np.int8), (a[keep], b[keep])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    assigned = assignment != UNASSIGNED
    pairs, size = np.unique(np.column_stack((assignment[assigned], labels[assigned])), axis=0,
                            return_counts=True)
    tids, counts = np.unique(pairs[:, 0], return_counts=True)
    largest = np.maximum.reduceat(size, np.r_[0, np.cumsum(counts)[:-1]]) if len(size) else np.zeros(0)
    return dict(zip(tids.tolist(), counts.tolist())), int(size.sum() - largest.sum())


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    ok = ~np.isnan(values)
    total = float(weights[ok].sum())
    return float((values[ok] * weights[ok]).sum() / total) if total > 0 else 0.0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value v such that accounts with values <= v carry at least q of the total weight."""
    ok = ~np.isnan(values) & (weights > 0)
    if not ok.any():
        return 0.0
    order = np.argsort(values[ok], kind="stable")
    v, w = values[ok][order], weights[ok][order]
    cum = np.cumsum(w)
    return float(v[min(int(np.searchsorted(cum, q * cum[-1] - 1e-9 * cum[-1])), len(v) - 1)])


def home_distances(lon, lat, assignment: np.ndarray, homes: dict[int, tuple[float, float]]) -> np.ndarray:
    """Great-circle km from every account to its territory's home (NaN when unassigned)."""
    out = np.full(len(assignment), np.nan)
    if not homes:
        return out
    tids = np.array(sorted(homes), dtype=np.int64)
    home_lon = np.array([homes[t][0] for t in tids.tolist()])
    home_lat = np.array([homes[t][1] for t in tids.tolist()])
    pos = np.searchsorted(tids, assignment)
    pos = np.clip(pos, 0, len(tids) - 1)
    known = (assignment != UNASSIGNED) & (tids[pos] == assignment)
    out[known] = haversine_km(lon[known], lat[known], home_lon[pos[known]], home_lat[pos[known]])
    return out


def longest_per_territory(distance: np.ndarray, assignment: np.ndarray) -> dict[int, float]:
    """The farthest account from home, per territory (km)."""
    ok = ~np.isnan(distance)
    out: dict[int, float] = {}
    for t, d in zip(assignment[ok].tolist(), distance[ok].tolist()):
        if d > out.get(t, -1.0):
            out[t] = d
    return out


def moved_share(assignment: np.ndarray, baseline: np.ndarray) -> float:
    """Share of accounts whose territory differs from the baseline's (same territory ids)."""
    n = len(assignment)
    return float((np.asarray(assignment) != np.asarray(baseline)).sum() / n) if n else 0.0


# -- the project's own definitions ----------------------------------------------------------------------------
def visits_per_account(plan) -> np.ndarray:
    from desktop_planner.core.visit_figures import effective_visits_and_minutes
    return effective_visits_and_minutes(plan.accounts, plan.settings)[0]


def project_measures(plan, scenario):
    """The project's measures (desktop_planner.core.measures) of `scenario`, which need not be in the plan."""
    from desktop_planner.core.measures import MeasureEngine
    from desktop_planner.core.model import Plan
    alone = Plan(plan.accounts, {scenario.id: scenario}, scenario.id, plan.settings, plan.name)
    engine = MeasureEngine(alone)
    try:
        return engine.measures()
    finally:
        engine.close()


def territory_homes(scenario, measures=None) -> dict[int, tuple[float, float]]:
    """Rep home per territory id; a territory without one gets the stand-in the project's measures use."""
    homes = {}
    for i, (tid, t) in enumerate(scenario.territories.items()):
        if t.has_home:
            homes[tid] = (float(t.home_lon), float(t.home_lat))
        elif measures is not None:
            j = int(np.flatnonzero(measures.territory_ids == tid)[0])
            homes[tid] = (float(measures.home_lon[j]), float(measures.home_lat[j]))
    return homes


# -- everything at once ---------------------------------------------------------------------------------------
@dataclass
class PlanQuality:
    territories: int
    in_pieces: int  # territories of more than one piece
    detached_pieces: int  # pieces beyond the first, summed over territories
    detached_accounts: int  # accounts outside their territory's largest piece
    in_pieces_equal_area: int  # territories of more than one piece in the equal-area graph (second opinion)
    in_pieces_short_edges: int  # ... in the Mercator graph without its edges longer than SHORT_EDGE_KM
    max_abs_deviation: float  # workload, fraction
    outside_10: int
    outside_15: int
    mean_km: float  # visit-weighted mean great-circle distance account -> home
    p95_km: float  # visit-weighted 95th percentile of that distance
    longest_km: float  # the longest home-to-account distance of the plan
    moved: float | None  # share of accounts moved against the baseline
    pieces: dict[int, int] = field(default_factory=dict)
    longest: dict[int, float] = field(default_factory=dict)
    deviations: dict[int, float] = field(default_factory=dict)


def assess(plan, scenario, baseline: np.ndarray | None = None, edges: np.ndarray | None = None,
           visits: np.ndarray | None = None, edges_equal_area: np.ndarray | None = None) -> PlanQuality:
    """Every check of `scenario` (its assignment and territories) over `plan`'s accounts. `edges`: the Mercator
    account graph (account_graph), `edges_equal_area` the equal-area one, when already built."""
    acc = plan.accounts
    assignment = np.asarray(scenario.assignment, dtype=np.int64)
    edges = account_graph(acc.lon, acc.lat) if edges is None else edges
    if edges_equal_area is None:
        edges_equal_area = account_graph(acc.lon, acc.lat, "equal_area")
    visits = visits_per_account(plan) if visits is None else visits
    m = project_measures(plan, scenario)
    deviation = dict(zip(m.territory_ids.tolist(), m.deviations["workload_hours"].tolist()))
    dev = np.abs(np.array(list(deviation.values()))) if deviation else np.zeros(0)
    pieces, detached = piece_sizes(edges, assignment)
    pieces_ea = territory_pieces(edges_equal_area, assignment)
    length = haversine_km(acc.lon[edges[:, 0]], acc.lat[edges[:, 0]], acc.lon[edges[:, 1]], acc.lat[edges[:, 1]])
    pieces_short = territory_pieces(edges[length <= SHORT_EDGE_KM], assignment)
    distance = home_distances(acc.lon, acc.lat, assignment, territory_homes(scenario, m))
    longest = longest_per_territory(distance, assignment)
    return PlanQuality(
        territories=len(scenario.territories),
        in_pieces=sum(1 for p in pieces.values() if p > 1),
        detached_pieces=sum(p - 1 for p in pieces.values()), detached_accounts=detached,
        in_pieces_equal_area=sum(1 for p in pieces_ea.values() if p > 1),
        in_pieces_short_edges=sum(1 for p in pieces_short.values() if p > 1),
        max_abs_deviation=float(dev.max()) if dev.size else 0.0,
        outside_10=int((dev > 0.10 + 1e-9).sum()), outside_15=int((dev > 0.15 + 1e-9).sum()),
        mean_km=weighted_mean(distance, visits), p95_km=weighted_quantile(distance, visits, 0.95),
        longest_km=max(longest.values(), default=0.0),
        moved=None if baseline is None else moved_share(assignment, baseline),
        pieces=pieces, longest=longest, deviations=deviation)
