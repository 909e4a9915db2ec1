"""Geography units (ZIP areas, counties, states, any polygon layer) as an extra layer of meaning on a plan.

What accounts follow stays the per-account assignment of each scenario, so every measure, map and export keeps
working as before. A unit layer adds: the unit each account lies in, per scenario the territory of each unit
(set explicitly, or derived from its accounts' majority), and the named accounts that are exceptions (they keep
their own territory when their unit moves). A plan without a layer (`plan.units is None`) is exactly as before.

Geometries are shapely objects in WGS84/NAD83 longitude/latitude (the two differ by about a metre, far below
the 1:500k boundaries' accuracy). Accounts are addressed by project-file id here, not by row: a re-import that
adds or removes accounts never misaligns the placement; an account added after the layer was set is simply
"not placed yet".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import shapely

from desktop_planner.core.geo import haversine_km, lonlat_to_equal_area_km
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario

NOT_PLACED = -1
# Accounts just outside every unit (a coastal account in the water of a generalised 1:500k coastline, a town on
# a river border) go to the nearest unit when it is this close; farther ones are listed as not placed.
DEFAULT_SNAP_KM = 5.0
# How an account found its unit (stored per account, shown in reports).
BY_POSTCODE, BY_LOCATION, BY_NEAREST = "postcode", "location", "nearest"


class UnitLayer:
    """The units of one layer: ids (text), names, optional parent code (the state of a county or ZIP), polygons
    in lon/lat (built on first use from WKB when loaded from a project), areas in km²."""

    def __init__(self, kind: str, source: str, ids, names, geometries, area_km2=None, parents=None,
                 approximate: bool = False, id_column: str | None = None, name_column: str | None = None) -> None:
        self.kind, self.source, self.approximate = kind, source, bool(approximate)
        self.id_column, self.name_column = id_column, name_column
        self.ids = np.asarray(ids, dtype=object)
        self.names = np.asarray(names, dtype=object)
        n = len(self.ids)
        self.parents = np.full(n, None, dtype=object) if parents is None else np.asarray(parents, dtype=object)
        self._geometries: np.ndarray | Callable[[], np.ndarray] = geometries
        if len(self.names) != n or len(self.parents) != n:
            raise ValueError("unit ids, names and parents differ in length")
        if len(set(self.ids.tolist())) != n:
            raise ValueError("unit ids are not unique")
        self._area = None if area_km2 is None else np.asarray(area_km2, dtype=np.float64)
        self._index: dict[str, int] | None = None
        self._tree: shapely.STRtree | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def geometries(self) -> np.ndarray:
        if callable(self._geometries):
            self._geometries = np.asarray(self._geometries(), dtype=object)
        return self._geometries

    @property
    def area_km2(self) -> np.ndarray:
        if self._area is None:
            self._area = polygon_area_km2(self.geometries)
        return self._area

    @property
    def label(self) -> str:
        """What a report calls the layer, with the approximation said out loud."""
        return f"{self.kind} ({self.source}){', approximate' if self.approximate else ''}"

    def index_of(self, unit_id: str) -> int:
        """Position of a unit id (KeyError if the layer has none)."""
        if self._index is None:
            self._index = {str(u): i for i, u in enumerate(self.ids.tolist())}
        return self._index[str(unit_id)]

    def has(self, unit_id: str) -> bool:
        try:
            self.index_of(unit_id)
            return True
        except KeyError:
            return False

    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.geometries)
        return self._tree


def polygon_area_km2(geometries: np.ndarray) -> np.ndarray:
    """Areas in km² measured in the Lambert cylindrical equal-area projection (true at every latitude)."""
    projected = shapely.transform(np.asarray(geometries, dtype=object),
                                  lambda xy: lonlat_to_equal_area_km(xy[:, 0], xy[:, 1]))
    return shapely.area(projected)


# -- placing accounts ---------------------------------------------------------------------------------------------

@dataclass
class Placement:
    """Per account (in the order given): unit index or NOT_PLACED, how it was found, and why not where not."""
    unit: np.ndarray
    how: np.ndarray  # object: BY_POSTCODE, BY_LOCATION, BY_NEAREST or None
    problems: dict[int, str] = field(default_factory=dict)  # row -> reason it is not placed

    @property
    def placed(self) -> int:
        return int((self.unit != NOT_PLACED).sum())


def place_accounts(layer: UnitLayer, lon: np.ndarray, lat: np.ndarray, postcodes: np.ndarray | None = None,
                   postcode_of: Callable[[object], str | None] | None = None,
                   snap_km: float = DEFAULT_SNAP_KM) -> Placement:
    """The unit of each account: by postcode first when `postcode_of` maps a postcode to a unit id of the layer
    (a ZIP layer), else the polygon holding its location, else the nearest unit within `snap_km`. Accounts
    outside every unit are kept with the reason."""
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    n = len(lon)
    unit = np.full(n, NOT_PLACED, dtype=np.int64)
    how = np.full(n, None, dtype=object)
    if postcodes is not None and postcode_of is not None:
        for row, code in enumerate(postcodes.tolist()):
            key = postcode_of(code) if code is not None else None
            if key is not None and layer.has(key):
                unit[row] = layer.index_of(key)
                how[row] = BY_POSTCODE
    todo = np.flatnonzero(unit == NOT_PLACED)
    problems: dict[int, str] = {}
    if len(todo) == 0 or len(layer) == 0:
        problems.update({int(r): "the layer has no units" for r in todo})
        return Placement(unit, how, problems)
    points = shapely.points(lon[todo], lat[todo])
    # The points go in the tree and the polygons are the queries: shapely prepares each query geometry, so a
    # state's thousands of vertices are indexed once rather than walked per point (100k accounts in the
    # states: 0.3 s instead of 4.5 s).
    unit_idx, point_idx = shapely.STRtree(points).query(layer.geometries, predicate="intersects")
    if len(point_idx):
        # A point on a shared border touches two units: the lower index wins, so placement is reproducible.
        order = np.lexsort((unit_idx, point_idx))
        point_idx, unit_idx = point_idx[order], unit_idx[order]
        first = np.r_[True, point_idx[1:] != point_idx[:-1]]
        unit[todo[point_idx[first]]] = unit_idx[first]
        how[todo[point_idx[first]]] = BY_LOCATION
    outside = todo[unit[todo] == NOT_PLACED]
    if len(outside):
        near_point, near_unit = layer.tree().query_nearest(shapely.points(lon[outside], lat[outside]),
                                                           all_matches=False)
        rows = outside[near_point]
        # Distance to the nearest point of the unit's outline, measured on the sphere.
        lines = shapely.shortest_line(shapely.points(lon[rows], lat[rows]), layer.geometries[near_unit])
        ends = shapely.get_coordinates(shapely.get_point(lines, 1)).reshape(-1, 2)
        km = haversine_km(lon[rows], lat[rows], ends[:, 0], ends[:, 1])
        close = km <= snap_km
        unit[rows[close]] = near_unit[close]
        how[rows[close]] = BY_NEAREST
        for row, u, d in zip(rows[~close].tolist(), near_unit[~close].tolist(), km[~close].tolist()):
            problems[row] = (f"outside every unit: the nearest is {layer.ids[u]} {layer.names[u]} at {d:,.1f} km "
                             f"(more than {snap_km:g} km)")
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    for row in np.flatnonzero(bad & (unit == NOT_PLACED)).tolist():
        problems[row] = "no usable location"
    return Placement(unit, how, problems)


# -- adjacency ---------------------------------------------------------------------------------------------------

def unit_adjacency(layer: UnitLayer, touch_deg: float = 1e-6) -> np.ndarray:
    """Edges (i < j, shape (m, 2)) between units that share a border, plus one link from every island (or
    group of islands) to the nearest unit outside it, so the graph is connected. `touch_deg` forgives the
    rounding gaps between neighbours digitised separately (1e-6 degrees is about 0.1 m)."""
    n = len(layer)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    a, b = layer.tree().query(layer.geometries, predicate="dwithin", distance=touch_deg)
    keep = a < b
    edges = np.column_stack((a[keep], b[keep])).astype(np.int64)
    # Units that only meet at a corner count as neighbours too (a point contact): harmless for contiguity.
    return np.unique(np.vstack([edges, _island_links(layer, edges)]), axis=0)


def _island_links(layer: UnitLayer, edges: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree
    n = len(layer)
    links: list[tuple[int, int]] = []
    points = shapely.get_coordinates(shapely.point_on_surface(layer.geometries))
    xy = lonlat_to_equal_area_km(points[:, 0], points[:, 1])
    tree = cKDTree(xy)
    all_edges = edges
    while True:
        graph = coo_matrix((np.ones(len(all_edges)), (all_edges[:, 0], all_edges[:, 1])), shape=(n, n))
        count, label = connected_components(graph, directed=False)
        if count <= 1:
            break
        sizes = np.bincount(label)
        smallest = int(np.argmin(sizes))
        members = np.flatnonzero(label == smallest)
        best = (np.inf, -1, -1)
        k = min(n, len(members) + 16)
        distances, neighbours = tree.query(xy[members], k=k)
        for row, (ds, ns) in enumerate(zip(np.atleast_2d(distances), np.atleast_2d(neighbours))):
            for d, j in zip(ds, ns):
                if label[j] != smallest and d < best[0]:
                    best = (d, int(members[row]), int(j))
                    break
        if best[1] < 0:  # every near neighbour is inside: fall back to all units outside
            outside = np.flatnonzero(label != smallest)
            d = np.linalg.norm(xy[outside][:, None, :] - xy[members][None, :, :], axis=2)
            o, m = np.unravel_index(int(np.argmin(d)), d.shape)
            best = (d[o, m], int(members[m]), int(outside[o]))
        link = (min(best[1], best[2]), max(best[1], best[2]))
        links.append(link)
        all_edges = np.vstack([all_edges, np.array([link], dtype=np.int64)])
    return np.array(links, dtype=np.int64).reshape(-1, 2)


# -- unit assignment per scenario -----------------------------------------------------------------------------------

@dataclass
class ScenarioUnits:
    """A scenario's unit territories (per unit: territory id or UNASSIGNED) and its exception accounts (sorted
    project-file account ids)."""
    territory: np.ndarray
    exceptions: np.ndarray

    def copy(self) -> "ScenarioUnits":
        return ScenarioUnits(self.territory.copy(), self.exceptions.copy())


@dataclass
class UnitState:
    """The active layer of a plan, where each account lies, and the unit assignment of the scenarios that have
    one (a scenario without: derived from the scenario it was copied from, else from its accounts' majority)."""
    layer: UnitLayer
    account_ids: np.ndarray  # int64 project-file ids, sorted
    account_unit: np.ndarray  # unit index per account id above, NOT_PLACED where none
    how: np.ndarray  # object per account id: how it was placed
    problems: dict[int, str]  # account id -> why it is not placed
    scenarios: dict[int, ScenarioUnits] = field(default_factory=dict)

    def unit_of_rows(self, plan: Plan) -> np.ndarray:
        """Unit index per account row of the plan (NOT_PLACED for accounts not placed, or added since)."""
        ids = plan.accounts.ids
        if len(self.account_ids) == 0:
            return np.full(len(ids), NOT_PLACED, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.account_ids, ids), 0, len(self.account_ids) - 1)
        return np.where(self.account_ids[pos] == ids, self.account_unit[pos], NOT_PLACED)

    def exception_rows(self, plan: Plan, scenario: Scenario) -> np.ndarray:
        """bool per account row: a named exception of this scenario."""
        return np.isin(plan.accounts.ids, self.of(plan, scenario).exceptions)

    def of(self, plan: Plan, scenario: Scenario) -> ScenarioUnits:
        """The scenario's unit assignment as it stands: units of a territory deleted since read as unassigned
        (a copy then; the stored entry keeps the id, so undoing the deletion brings them back)."""
        known = self.stored(plan, scenario)
        gone = (known.territory != UNASSIGNED) & ~np.isin(known.territory, scenario.territory_ids())
        if not gone.any():
            return known
        return ScenarioUnits(np.where(gone, UNASSIGNED, known.territory), known.exceptions)

    def stored(self, plan: Plan, scenario: Scenario) -> ScenarioUnits:
        """The scenario's entry, which commands change in place. A scenario made after the layer was set as a
        plain copy takes over its source's, territories matched by name; any other (an auto-balance result)
        gets each unit's majority territory."""
        known = self.scenarios.get(scenario.id)
        if known is None:
            source = plan.scenarios.get(scenario.based_on) if scenario.based_on is not None else None
            if source is not None and source.id in self.scenarios and _same_alignment(source, scenario):
                known = _mapped(self.scenarios[source.id], source, scenario)
            else:
                known = ScenarioUnits(majority_territory(self.unit_of_rows(plan), scenario.assignment,
                                                         plan.accounts.potential, len(self.layer)),
                                      np.empty(0, dtype=np.int64))
            self.scenarios[scenario.id] = known
        return known


def _same_alignment(source: Scenario, target: Scenario) -> bool:
    """Whether every account is in the territory of the same name in both scenarios."""
    if len(source.assignment) != len(target.assignment):
        return False
    by_name = {t.name: t.id for t in target.territories.values()}
    top = max([int(source.assignment.max(initial=0))] + list(source.territories))
    lut = np.full(top + 2, -2, dtype=np.int64)  # -2: a territory with no namesake in the target
    for tid, t in source.territories.items():
        lut[tid] = by_name.get(t.name, -2)
    converted = np.where(source.assignment == UNASSIGNED, UNASSIGNED, lut[np.maximum(source.assignment, 0)])
    return bool(np.array_equal(converted, target.assignment))


def _mapped(source_units: ScenarioUnits, source: Scenario, target: Scenario) -> ScenarioUnits:
    by_name = {t.name: t.id for t in target.territories.values()}
    lut = {tid: by_name.get(t.name, UNASSIGNED) for tid, t in source.territories.items()}
    territory = np.array([lut.get(int(t), UNASSIGNED) for t in source_units.territory.tolist()], dtype=np.int64)
    return ScenarioUnits(territory, source_units.exceptions.copy())


def majority_territory(unit_of: np.ndarray, assignment: np.ndarray, potential: np.ndarray,
                       n_units: int) -> np.ndarray:
    """Per unit, the territory holding most of its accounts (ties: more potential, then the lower id);
    UNASSIGNED for units without accounts or whose accounts are mostly unassigned."""
    result = np.full(n_units, UNASSIGNED, dtype=np.int64)
    placed = unit_of != NOT_PLACED
    if not placed.any():
        return result
    units, terr = unit_of[placed], assignment[placed]
    pot = np.nan_to_num(np.asarray(potential, dtype=np.float64)[placed])
    keys, inverse = np.unique(np.column_stack((units, terr)), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    counts = np.bincount(inverse, minlength=len(keys))
    pots = np.bincount(inverse, weights=pot, minlength=len(keys))
    # Best first within each unit: most accounts, most potential, lowest territory id.
    order = np.lexsort((keys[:, 1], -pots, -counts, keys[:, 0]))
    first = np.r_[True, keys[order[1:], 0] != keys[order[:-1], 0]]
    winners = keys[order[first]]
    result[winners[:, 0]] = winners[:, 1]
    return result


def followers_off_unit(state: UnitState, plan: Plan, scenario: Scenario) -> np.ndarray:
    """Rows of placed, non-exception accounts whose territory differs from their unit's: what `follow` moves."""
    unit_of = state.unit_of_rows(plan)
    units = state.of(plan, scenario)
    placed = unit_of != NOT_PLACED
    target = np.where(placed, units.territory[np.where(placed, unit_of, 0)], UNASSIGNED)
    off = placed & (scenario.assignment != target) & ~state.exception_rows(plan, scenario)
    return np.flatnonzero(off)


def unit_targets(state: UnitState, plan: Plan, scenario: Scenario) -> np.ndarray:
    """Per account row the territory of its unit (UNASSIGNED where not placed)."""
    unit_of = state.unit_of_rows(plan)
    territory = state.of(plan, scenario).territory
    return np.where(unit_of != NOT_PLACED, territory[np.maximum(unit_of, 0)], UNASSIGNED)


def new_unit_state(plan: Plan, layer: UnitLayer, placement: Placement,
                   follow_scenario_id: int | None = None, fill_edges: np.ndarray | None = None) -> UnitState:
    """The state for a layer just placed: each scenario's units take their accounts' majority territory; an
    account elsewhere becomes a named exception, so nothing moves, except in the scenario `follow_scenario_id`
    where it gets no mark (and `followers_off_unit` then says which accounts to move to their unit). With
    `fill_edges` (the layer's adjacency), units without accounts take the territory around them
    (fill_empty_units), so that every unit routes somewhere."""
    order = np.argsort(plan.accounts.ids, kind="stable")
    ids = plan.accounts.ids[order]
    problems = {int(plan.accounts.ids[row]): reason for row, reason in placement.problems.items()}
    state = UnitState(layer, ids, placement.unit[order], placement.how[order], problems)
    placed_units = placement.unit[placement.unit != NOT_PLACED]
    empty = np.bincount(placed_units, minlength=len(layer)) == 0
    for scenario in plan.scenarios.values():
        territory = majority_territory(placement.unit, scenario.assignment, plan.accounts.potential, len(layer))
        if fill_edges is not None:
            closed = [tid for tid, t in scenario.territories.items() if t.locked]
            territory = fill_empty_units(territory, fill_edges, empty, closed)
        placed = placement.unit != NOT_PLACED
        target = np.where(placed, territory[np.maximum(placement.unit, 0)], UNASSIGNED)
        off = placed & (scenario.assignment != target)
        follow = scenario.id == follow_scenario_id
        exceptions = np.empty(0, dtype=np.int64) if follow else np.sort(plan.accounts.ids[off])
        state.scenarios[scenario.id] = ScenarioUnits(territory, exceptions)
    return state


def layer_command(plan: Plan, layer: UnitLayer, placement: Placement, scenario: Scenario, follow: bool,
                  fill_empty: bool = True, edges: np.ndarray | None = None):
    """The one undo step that makes `layer` the plan's unit layer, and how many accounts it moves: with `follow`,
    the scenario's accounts off their unit's majority territory move to it (else they stay, as named
    exceptions); with `fill_empty`, units without accounts take the territory around them (on `edges`, the
    layer's unit_adjacency, computed here when not given: ~1 s for every US ZIP area)."""
    from desktop_planner.core.commands import Composite, SetAssignment, SetUnitLayer
    if fill_empty and edges is None:
        edges = unit_adjacency(layer)
    state = new_unit_state(plan, layer, placement, scenario.id if follow else None, edges if fill_empty else None)
    command = SetUnitLayer(state)
    if not follow:
        return command, 0
    rows = followers_off_unit(state, plan, scenario)
    moves = SetAssignment(scenario.id, rows, unit_targets(state, plan, scenario)[rows], "Accounts follow their unit",
                          "units")
    return Composite([command, moves], f"Set unit layer {layer.kind}, accounts follow", "units"), len(rows)


def fill_empty_units(territory: np.ndarray, edges: np.ndarray, empty: np.ndarray, closed=()) -> np.ndarray:
    """Unassigned units without accounts (`empty`) get the territory of the nearest assigned unit in steps of the
    adjacency `edges` (a front grown from every territory at once; where two meet, the one a unit borders most,
    then the lower id). Locked territories (`closed`) do not grow; units no front reaches stay unassigned."""
    result = np.asarray(territory, dtype=np.int64).copy()
    if not len(edges):
        return result
    pairs = np.vstack([edges, edges[:, ::-1]])  # both directions: (from, to)
    todo = np.asarray(empty, dtype=bool) & (result == UNASSIGNED)
    growing = (result != UNASSIGNED) & ~np.isin(result, np.asarray(list(closed), dtype=np.int64))
    while True:
        step = pairs[growing[pairs[:, 0]] & todo[pairs[:, 1]]]
        if not len(step):
            return result
        offers = np.column_stack((step[:, 1], result[step[:, 0]]))  # (unit, territory) once per bordering unit
        keys, counts = np.unique(offers, axis=0, return_counts=True)
        order = np.lexsort((keys[:, 1], -counts, keys[:, 0]))  # per unit: most borders, then the lower id
        first = np.r_[True, keys[order[1:], 0] != keys[order[:-1], 0]]
        won = keys[order[first]]
        result[won[:, 0]] = won[:, 1]
        todo[won[:, 0]] = False
        growing = np.zeros_like(growing)
        growing[won[:, 0]] = True


def pieces_per_territory(territory: np.ndarray, edges: np.ndarray) -> dict[int, int]:
    """Per territory (not UNASSIGNED), how many connected pieces its units form on the unit adjacency."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    territory = np.asarray(territory, dtype=np.int64)
    n = len(territory)
    inner = edges[(territory[edges[:, 0]] == territory[edges[:, 1]])] if len(edges) else edges
    graph = coo_matrix((np.ones(len(inner)), (inner[:, 0], inner[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    owned = territory != UNASSIGNED
    pairs = np.unique(np.column_stack((territory[owned], label[owned])), axis=0)
    tids, counts = np.unique(pairs[:, 0], return_counts=True)
    return dict(zip(tids.tolist(), counts.tolist()))


@dataclass(frozen=True)
class UnitCounts:
    units: int
    assigned_units: int
    placed: int
    not_placed: int
    exceptions: int
    off_unit: int  # placed non-exception accounts not in their unit's territory


def unit_counts(state: UnitState, plan: Plan, scenario: Scenario) -> UnitCounts:
    unit_of = state.unit_of_rows(plan)
    units = state.of(plan, scenario)
    return UnitCounts(len(state.layer), int((units.territory != UNASSIGNED).sum()),
                      int((unit_of != NOT_PLACED).sum()), int((unit_of == NOT_PLACED).sum()),
                      int(state.exception_rows(plan, scenario).sum()),
                      len(followers_off_unit(state, plan, scenario)))


def unit_totals(state: UnitState, plan: Plan, weights: np.ndarray) -> np.ndarray:
    """Sum of a per-account figure per unit (accounts not placed left out)."""
    unit_of = state.unit_of_rows(plan)
    placed = unit_of != NOT_PLACED
    return np.bincount(unit_of[placed], weights=np.asarray(weights, dtype=np.float64)[placed],
                       minlength=len(state.layer))


def accounts_following(state: UnitState, plan: Plan, scenario: Scenario, units: np.ndarray) -> np.ndarray:
    """Rows of the accounts that move with these units (placed in them, not named exceptions); locks are the
    caller's to respect."""
    in_units = np.isin(state.unit_of_rows(plan), np.asarray(units, dtype=np.int64))
    return np.flatnonzero(in_units & ~state.exception_rows(plan, scenario)).astype(np.int64)
