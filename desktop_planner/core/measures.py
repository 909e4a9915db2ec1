"""The measures of DESIGN.md, vectorised: potential, service and travel, workload, balance, compactness.

A visit's travel (day trip, overnight cap, flights) comes from core/travel.py, which the optimizer calls too;
workload targets under capacities come from `capacity_shares`, for the same reason.

`MeasureEngine` keeps, per scenario, the committed `Measures` (handed out again until an event changes the
scenario, the settings or the accounts) and, per territory, the parts that depend only on its membership
(convex-hull area and the default home, a weighted medoid). Every per-account figure depends on the account
and its territory only (the territory's home, hop length and land mass), and every per-territory figure on its
members only; so a preview, or the commit of an edit, recomputes only the territories whose membership (or
home) it changes, "dirty" ones, at their accounts' rows, and patches copies of the committed arrays. The sums
run over the same rows in the same order as a full computation: the figures are the same to the last bit.
`Measures` handed out are shared: treat their arrays as read-only (they are flagged so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from typing import Callable

import numpy as np

from desktop_planner.core.events import (AccountsChanged, AssignmentChanged, Event, ScenariosChanged,
                                        SettingsChanged, TerritoriesChanged)
from desktop_planner.core.geometry_stats import TerritoryGeometry, territory_geometry
from desktop_planner.core.geo import great_circle_km, lonlat_to_unit_xyz
from desktop_planner.core.measures_preview import Base, DistanceTail, Pending, read_only
from desktop_planner.core.model import Plan, Scenario, Territory, territory_index
from desktop_planner.core.visit_figures import effective_visits_and_minutes
from desktop_planner.core.travel import (land_mass, visit_is_flight, visit_nights, visit_travel_hours,
                                         visit_travel_km)

BHH_CONSTANT = 0.7124
MEASURES = ("accounts", "potential", "service_hours", "travel_km", "travel_hours", "workload_hours")
DEVIATION_MEASURES = ("accounts", "potential", "service_hours", "travel_hours", "workload_hours")


def capacity_shares(capacities: np.ndarray, stand_in: float | None = None) -> np.ndarray | None:
    """Each territory's share of the total workload under the capacity rule (DESIGN.md, "balance"): capacity
    over total capacity. None when no territory has a capacity (NaN, or not positive): the target is then an
    equal share. The optimizer uses this same function, so that its workload targets are the panel's.

    A territory without a capacity counts with:

    - `stand_in`, when fewer than half of the territories have a capacity. The set ones are then the
      exceptions (part-timers, a manager's own patch) and the others are ordinary full-time reps, whose
      workload is the plan's average: callers pass total workload / K as `stand_in`. (With the mean of the
      set capacities instead, one part-timer at 60 % of an average workload would make every share equal,
      and the reduced capacity would silently be ignored.)
    - the mean of the set capacities, when half or more of the territories have one, or when `stand_in` is
      None (or not a positive number).
    """
    filled = filled_capacities(capacities, stand_in)
    return None if filled is None else filled / filled.sum()


def filled_capacities(capacities: np.ndarray, stand_in: float | None = None) -> np.ndarray | None:
    """Capacities with the missing ones filled in by the rule of `capacity_shares`; None when none is set."""
    cap = np.asarray(capacities, dtype=np.float64)
    known = np.isfinite(cap) & (cap > 0)
    if not known.any():
        return None
    use_stand_in = (stand_in is not None and np.isfinite(stand_in) and stand_in > 0
                    and 2 * int(known.sum()) < cap.size)
    fill = float(stand_in) if use_stand_in else float(cap[known].mean())
    return np.where(known, cap, fill)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches q of the total (the inverted-CDF quantile, which
    with equal weights is numpy's method="inverted_cdf"); NaN values and non-positive weights are ignored,
    and 0.0 is returned when nothing is left."""
    keep = np.isfinite(values) & (weights > 0)
    v, w = values[keep], weights[keep]
    if not v.size:
        return 0.0
    goal = q * float(w.sum())
    # The panel asks for this on every preview step, and a full sort of 100k distances is most of a frame:
    # for a high q, only the tail above a cut found by an O(n) partition is sorted, when the weight below
    # the cut is short of the goal (so the answer lies above it); else the whole array is.
    base = 0.0
    tail = min(v.size, max(64, int(2 * (1 - q) * v.size) + 1))
    if tail < v.size:
        cut = np.partition(v, v.size - tail - 1)[v.size - tail - 1]
        below = v <= cut
        weight_below = float(w[below].sum())
        if weight_below < goal:
            v, w, base = v[~below], w[~below], weight_below
    order = np.argsort(v, kind="stable")
    cumulative = base + np.cumsum(w[order])
    position = np.searchsorted(cumulative, goal, side="left")
    return float(v[order[min(position, v.size - 1)]])


@dataclass
class Measures:
    """Figures of one scenario (or one preview of it). Per-territory arrays follow `territory_ids` order.

    `values` holds the additive per-territory figures: the MEASURES, plus `nights` (nights away a year) and
    `flights` (flown visits a year)."""

    scenario_id: int
    territory_ids: np.ndarray
    names: list[str]
    values: dict[str, np.ndarray]  # measure -> per territory
    targets: dict[str, np.ndarray]
    deviations: dict[str, np.ndarray]  # fractions: 0.05 = 5 %
    home_lon: np.ndarray
    home_lat: np.ndarray
    home_is_medoid: np.ndarray  # bool: no rep home set, the medoid stands in
    account_distance_km: np.ndarray  # per account: great-circle km to its territory's home (NaN unassigned)
    account_workload_hours: np.ndarray  # per account share of its territory's workload (0 unassigned)
    n_accounts: int
    unassigned: int
    tolerance: float
    # Per account visits a year: the weights of compactness. Shared with the engine's cache: do not modify.
    account_visits: np.ndarray | None = None
    account_flight: np.ndarray | None = None  # bool per account: visits flown (False unassigned)
    capacity_hours: np.ndarray | None = None  # per territory, NaN without a capacity
    utilisation: np.ndarray | None = None  # per territory workload / capacity, NaN without a capacity
    territory_compactness_km: np.ndarray | None = None  # per territory visit-weighted mean distance to home
    # Set by MeasureEngine on previews: answers distance_p95_km from the committed plan's sorted tail (or None).
    _p95: Callable[[], float | None] | None = field(default=None, repr=False, compare=False)

    @property
    def k(self) -> int:
        return len(self.territory_ids)

    def max_abs_deviation(self, measure: str) -> float:
        dev = self.deviations[measure]
        return float(np.max(np.abs(dev))) if dev.size else 0.0

    def cv(self, measure: str) -> float:
        """Coefficient of variation across territories (population standard deviation / mean)."""
        v = self.values[measure]
        mean = float(v.mean()) if v.size else 0.0
        return float(v.std() / mean) if mean > 0 else 0.0

    def max_min_ratio(self, measure: str) -> float | None:
        v = self.values[measure]
        if not v.size:
            return None
        low = float(v.min())
        return float(v.max()) / low if low > 0 else None

    def in_band(self, measure: str) -> np.ndarray:
        return np.abs(self.deviations[measure]) <= self.tolerance + 1e-12

    def _distance_weights(self) -> np.ndarray:
        """Visits of the assigned accounts (the unassigned have no distance), for the distance figures."""
        visits = self.account_visits if self.account_visits is not None else np.ones(self.n_accounts)
        return np.where(np.isnan(self.account_distance_km), 0.0, visits)

    @cached_property
    def compactness_km(self) -> float:
        """Visit-weighted mean great-circle distance from accounts to their territory's home. Not weighted by
        workload: travel inflates workload, so a plan with longer trips would look more compact."""
        w = self._distance_weights()
        total = float(w.sum())
        if total <= 0:
            return 0.0
        return float((w * np.nan_to_num(self.account_distance_km)).sum() / total)

    @cached_property
    def distance_p95_km(self) -> float:
        """95th percentile of the visit-weighted distance to home: 95 % of visits are at most this far.
        Cached: it sorts every account's tail, and the panel asks once per redraw. A preview's comes from its
        committed plan's sorted tail with the changed rows merged in (core/measures_preview.py)."""
        if self._p95 is not None:
            value = self._p95()
            if value is not None:
                return value
        return weighted_quantile(self.account_distance_km, self._distance_weights(), 0.95)

    @property
    def headcount(self) -> int:
        return self.k

    @property
    def reps_needed(self) -> float | None:
        """Total workload over the mean capacity: how many reps the work needs at capacity (None unless at
        least half the reps have a capacity; the others count with the mean one)."""
        cap = self.capacity_hours
        known = np.isfinite(cap) & (cap > 0) if cap is not None else np.zeros(0, dtype=bool)
        # Only when most reps have a capacity: a few part-timers among reps without one say nothing about
        # the team's capacity (the others stand for an average workload, so the figure would be circular).
        if not known.any() or 2 * int(known.sum()) < len(known):
            return None
        total = float(self.values["workload_hours"].sum())
        filled = filled_capacities(cap)
        return total / float(filled.mean())


def headcount_gap_text(measures: Measures) -> str | None:
    """"Work for 15.6 reps at capacity; you have 12." when the work exceeds the total capacity (territories
    without a capacity counting as in the capacity shares); None when it fits or no capacity is set."""
    needed = measures.reps_needed
    if needed is None or needed <= measures.headcount + 1e-9:
        return None
    return f"Work for {needed:.1f} reps at capacity; you have {measures.headcount}."


P95 = 0.95


class MeasureEngine:
    """Computes `Measures` for a plan's scenarios, caching the committed ones and per-territory geometry."""

    # Beyond this share of territories dirty, a preview is computed whole (an auto-balance result).
    INCREMENTAL_SHARE = 0.5

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._geometry: dict[int, dict[int, TerritoryGeometry]] = {}
        self._per_account: tuple[np.ndarray, np.ndarray] | None = None  # visits, service hours
        self._land: np.ndarray | None = None
        self._bases: dict[int, Base] = {}
        self._pending: dict[int, Pending] = {}
        self._unsubscribe = plan.events.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, AssignmentChanged):
            cache = self._geometry.get(event.scenario_id)
            if cache:
                for tid in event.territories:
                    cache.pop(tid, None)
            if event.scenario_id in self._bases:
                pending = self._pending.setdefault(event.scenario_id, Pending(set(), []))
                pending.territories |= event.territories
                pending.rows.append(np.asarray(event.accounts, dtype=np.int64))
        elif isinstance(event, TerritoriesChanged):
            # Fields (home, capacity, name) or the territory set: the territories are compared when asked.
            if event.scenario_id in self._bases:
                self._pending.setdefault(event.scenario_id, Pending(set(), [])).territories |= event.territories
        elif isinstance(event, ScenariosChanged):
            for sid in event.scenarios:
                self._forget(sid)
                self._geometry.pop(sid, None)
        elif isinstance(event, SettingsChanged):
            self._per_account = None
            self._bases.clear()
            self._pending.clear()
        elif isinstance(event, AccountsChanged):
            self.invalidate()

    def _forget(self, scenario_id: int) -> None:
        self._bases.pop(scenario_id, None)
        self._pending.pop(scenario_id, None)

    def invalidate(self) -> None:
        """Forget every cache (after the accounts themselves changed)."""
        self._geometry.clear()
        self._per_account = None
        self._land = None
        self._bases.clear()
        self._pending.clear()

    def _land_masses(self) -> np.ndarray:
        """Land-mass code per account (core/travel.py); depends on the accounts only."""
        if self._land is None:
            self._land = land_mass(self.plan.accounts.lon, self.plan.accounts.lat)
        return self._land

    def visits_and_service_hours(self) -> tuple[np.ndarray, np.ndarray]:
        if self._per_account is None:
            visits, minutes = effective_visits_and_minutes(self.plan.accounts, self.plan.settings)
            self._per_account = visits, visits * minutes / 60.0
        return self._per_account

    def measures(self, scenario_id: int | None = None, assignment: np.ndarray | None = None,
                 homes: dict[int, tuple[float, float]] | None = None) -> Measures:
        """Measures of a scenario; with `assignment`, of a preview of it; with `homes` (territory id ->
        (lon, lat)), as if those territories' homes were there (a home marker being dragged). The committed
        measures (neither argument) are the same object until the scenario, the settings or the accounts
        change; a preview is derived from them, recomputing only the territories it changes. Read-only."""
        scenario = self.plan.scenario(scenario_id)
        base = self._committed(scenario)
        homes = {t: h for t, h in (homes or {}).items() if t in scenario.territories}
        if assignment is None and not homes:
            return base.measures
        assignment = scenario.assignment if assignment is None else np.asarray(assignment)
        tids = base.measures.territory_ids
        territories = self._territories(scenario, tids, homes)
        if assignment is scenario.assignment:
            changed = np.zeros(0, dtype=np.int64)
            new_bins = changed
        else:
            changed = np.flatnonzero(assignment != scenario.assignment)
            new_bins = territory_index(tids, assignment[changed]) + 1
        dirty = np.union1d(base.bins[changed], new_bins)
        dirty = dirty[dirty > 0] - 1
        moved = dirty.copy()  # territories whose membership changes
        if homes:
            dirty = np.union1d(dirty, territory_index(tids, np.fromiter(homes, dtype=np.int64)))
        if dirty.size > max(1, self.INCREMENTAL_SHARE * len(tids)):
            cache = {t: g for t, g in self._geometry.setdefault(scenario.id, {}).items()
                     if t not in set(tids[moved].tolist())}
            return self._compute(scenario, territories, tids, territory_index(tids, assignment) + 1, cache,
                                 store=False).measures
        return self._derive(base, scenario, territories, dirty, moved, changed, new_bins, store=False).measures

    # -- the committed measures --------------------------------------------------------------------------
    def _committed(self, scenario: Scenario) -> Base:
        """The scenario's base, brought up to date: as it was, derived from it for the territories an edit
        changed, or computed whole."""
        base = self._bases.get(scenario.id)
        pending = self._pending.pop(scenario.id, None)
        tids = scenario.territory_ids()
        if base is not None and (base.scenario is not scenario or base.settings is not self.plan.settings
                                 or base.accounts is not self.plan.accounts
                                 or base.assignment is not scenario.assignment
                                 or not np.array_equal(base.measures.territory_ids, tids)):
            base = None
        territories = self._territories(scenario, tids, {})
        # Territory fields compared by identity (they are frozen, an edit replaces them): a cheap safety net
        # besides the TerritoriesChanged events.
        edited = base is not None and any(a is not b for a, b in zip(territories, base.territories))
        if base is not None and (pending is not None or edited):
            pending = pending or Pending(set(), [])
            positions = {t: i for i, t in enumerate(tids.tolist())}
            dirty = np.array(sorted({positions[t] for t in pending.territories if t in positions}
                                    | {i for i, (a, b) in enumerate(zip(territories, base.territories)) if a != b}),
                             dtype=np.int64)
            if dirty.size > max(1, self.INCREMENTAL_SHARE * len(tids)):
                base = None
            else:
                rows = np.unique(np.concatenate(pending.rows)) if pending.rows else np.zeros(0, dtype=np.int64)
                new_bins = territory_index(tids, scenario.assignment[rows]) + 1
                moved = np.union1d(base.bins[rows], new_bins)
                moved = moved[moved > 0] - 1
                base = self._derive(base, scenario, territories, np.union1d(dirty, moved), moved, rows, new_bins,
                                    store=True)
                self._bases[scenario.id] = base
        if base is None:
            bins = territory_index(tids, scenario.assignment) + 1
            base = self._compute(scenario, territories, tids, bins, self._geometry.setdefault(scenario.id, {}),
                                 store=True)
            self._bases[scenario.id] = base
        return base

    @staticmethod
    def _territories(scenario: Scenario, tids: np.ndarray, homes: dict) -> list[Territory]:
        territories = [scenario.territories[t] for t in tids.tolist()]
        if homes:
            territories = [t.with_changes(home_lon=homes[t.id][0], home_lat=homes[t.id][1]) if t.id in homes else t
                           for t in territories]
        return territories

    # -- computing ---------------------------------------------------------------------------------------
    def _compute(self, scenario: Scenario, territories: list[Territory], tids: np.ndarray, bins: np.ndarray,
                 cache: dict, store: bool) -> Base:
        """Every figure from scratch. `bins`: territory position + 1 per account (0 unassigned)."""
        accounts = self.plan.accounts
        k = len(tids)
        visits, service_each = self.visits_and_service_hours()

        def per_territory(weights=None):
            return np.bincount(bins, weights=weights, minlength=k + 1)[1:]
        count = per_territory().astype(np.float64)
        sums = {"count": count, "potential": per_territory(accounts.potential),
                "service": per_territory(service_each), "visits": per_territory(visits)}
        has_home = np.array([t.has_home for t in territories], dtype=bool)
        geometry = self._geometry_for(tids, bins - 1, cache, store, need_medoid=~has_home)
        area = np.array([geometry[t].hull_area_km2 for t in tids.tolist()], dtype=np.float64)
        home_lon = np.array([t.home_lon if t.has_home else geometry[t.id].medoid_lon for t in territories],
                            dtype=np.float64)
        home_lat = np.array([t.home_lat if t.has_home else geometry[t.id].medoid_lat for t in territories],
                            dtype=np.float64)
        each = self._account_figures(slice(None), bins, home_lon, home_lat, area, count)
        for name, weights in each.items():
            if name not in ("distance", "work", "flight"):
                sums[name] = per_territory(weights)
        measures = self._assemble(scenario, territories, tids, sums, area, home_lon, home_lat,
                                  each["distance"], each["work"], each["flight"])
        base = Base(read_only(measures), scenario, self.plan.settings, accounts, scenario.assignment,
                     tuple(territories), bins, area, sums["visits"], sums["vd"])
        measures._p95 = lambda: self._tail_of(base).quantile()
        return base

    def _account_figures(self, rows, bins: np.ndarray, home_lon: np.ndarray, home_lat: np.ndarray,
                         area: np.ndarray, count: np.ndarray) -> dict[str, np.ndarray]:
        """Per-account figures of `rows` (a slice or sorted row indices; `bins` are theirs) from the
        per-territory homes, hull areas and counts: elementwise, so the same for a row wherever computed.
        Returns the per-account arrays ("distance", "work", "flight") and the weights of the per-territory
        sums (the other keys)."""
        settings = self.plan.settings
        visits, service_each = self.visits_and_service_hours()
        visits, service_each = visits[rows], service_each[rows]
        # Row 0 stands for "no territory": its distances are set to NaN below.
        home_xyz = np.vstack((np.zeros((1, 3)), lonlat_to_unit_xyz(home_lon, home_lat)))
        distance = great_circle_km(self.plan.accounts.xyz[rows], home_xyz[bins])
        distance[bins == 0] = np.nan
        known = np.nan_to_num(distance)  # an empty territory's medoid is NaN as well
        hop = np.where(count > 0, BHH_CONSTANT * np.sqrt(area / np.maximum(count, 1)), 0.0)
        hop_each = np.concatenate(([0.0], hop))[bins]
        # Per visit, with the functions the optimizer prices arcs with (core/travel.py): the same figures.
        home_land = np.concatenate(([0], land_mass(home_lon, home_lat)))[bins]  # codes of k homes, not n
        flight = visit_is_flight(None, None, None, None, known, settings, account_land=self._land_masses()[rows],
                                 home_land=home_land)
        flight &= bins > 0
        visit_hours = visit_travel_hours(known, hop_each, settings, flight)
        # Bin 0 (unassigned) is dropped from the per-territory sums, so these need no masking for them.
        return {"distance": distance, "work": np.where(bins == 0, 0.0, service_each + visits * visit_hours),
                "flight": flight, "vd": visits * known,
                "travel_km": visits * visit_travel_km(known, hop_each, settings, flight),
                "travel_hours": visits * visit_hours, "nights": visits * visit_nights(known, settings),
                "flights": visits * flight}

    def _assemble(self, scenario: Scenario, territories: list[Territory], tids: np.ndarray, sums: dict,
                  area: np.ndarray, home_lon: np.ndarray, home_lat: np.ndarray, distance: np.ndarray,
                  work: np.ndarray, flight: np.ndarray, p95=None) -> Measures:
        """The Measures from the per-territory sums and per-account arrays (k-sized work besides)."""
        settings = self.plan.settings
        k, n = len(tids), len(self.plan.accounts)
        count = sums["count"]
        workload = sums["service"] + sums["travel_hours"]
        values = {"accounts": count, "potential": sums["potential"], "service_hours": sums["service"],
                  "travel_km": sums["travel_km"], "travel_hours": sums["travel_hours"], "workload_hours": workload,
                  "nights": sums["nights"], "flights": sums["flights"]}
        capacity = np.array([t.capacity_hours or np.nan for t in territories], dtype=np.float64)
        # Territories without a capacity stand for an average workload of this plan (see capacity_shares).
        shares = capacity_shares(capacity, float(workload.sum()) / k if k else None)
        targets: dict[str, np.ndarray] = {}
        deviations: dict[str, np.ndarray] = {}
        for measure in DEVIATION_MEASURES:
            v = values[measure]
            if measure == "workload_hours" and shares is not None:
                target = v.sum() * shares  # capacity is a share of the work, not an absolute target
            else:
                target = np.full(k, v.sum() / k if k else 0.0)
            targets[measure] = target
            with np.errstate(divide="ignore", invalid="ignore"):
                deviations[measure] = np.where(target > 0, (v - target) / target, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            utilisation = workload / capacity  # NaN where no capacity
            compactness = np.where(sums["visits"] > 0, sums["vd"] / sums["visits"], 0.0)
        return Measures(
            scenario_id=scenario.id, territory_ids=tids, names=[t.name for t in territories],
            values=values, targets=targets, deviations=deviations,
            home_lon=home_lon, home_lat=home_lat,
            home_is_medoid=np.array([not t.has_home for t in territories], dtype=bool),
            account_distance_km=distance, account_workload_hours=work,
            n_accounts=n, unassigned=int(n - count.sum()), tolerance=settings.tolerance,
            account_visits=self.visits_and_service_hours()[0], account_flight=flight, capacity_hours=capacity,
            utilisation=utilisation, territory_compactness_km=compactness, _p95=p95,
        )

    def _derive(self, base: Base, scenario: Scenario, territories: list[Territory], dirty: np.ndarray,
                moved: np.ndarray, changed: np.ndarray, new_bins: np.ndarray, store: bool) -> Base:
        """The measures of `base` with the territories at positions `dirty` recomputed: `changed` rows (sorted)
        moved to `new_bins`, the territories at `moved` changing membership thereby; the others' homes (or
        fields) may differ. Every row of a dirty territory, before or after, is recomputed."""
        accounts = self.plan.accounts
        old = base.measures
        k, d = len(old.territory_ids), len(dirty)
        dirty_lut = np.zeros(k + 1, dtype=bool)
        dirty_lut[dirty + 1] = True
        in_rows = dirty_lut[base.bins]
        in_rows[changed] = True
        rows = np.flatnonzero(in_rows)
        bins = base.bins[rows]
        bins[np.searchsorted(rows, changed)] = new_bins
        local_lut = np.zeros(k + 1, dtype=np.int64)
        local_lut[dirty + 1] = np.arange(1, d + 1)
        local = local_lut[bins]  # every row is in a dirty territory or unassigned

        def patched(full: np.ndarray, part: np.ndarray) -> np.ndarray:
            out = full.copy()
            out[dirty] = part
            return out

        def per_dirty(weights=None):
            return np.bincount(local, weights=weights, minlength=d + 1)[1:]
        visits, service_each = self.visits_and_service_hours()
        count = patched(old.values["accounts"], per_dirty().astype(np.float64))
        sums = {"count": count, "potential": patched(old.values["potential"], per_dirty(accounts.potential[rows])),
                "service": patched(old.values["service_hours"], per_dirty(service_each[rows])),
                "visits": patched(base.visits_sum, per_dirty(visits[rows]))}
        # Geometry: fresh for the territories whose members change (kept when committing), cached else.
        cache = self._geometry.setdefault(scenario.id, {})
        moved_set = set(old.territory_ids[moved].tolist())
        area, home_lon, home_lat = base.area.copy(), old.home_lon.copy(), old.home_lat.copy()
        for j, i in enumerate(dirty.tolist()):
            t = territories[i]
            geometry = None if (t.id in moved_set and not store) else cache.get(t.id)
            if geometry is None or (not t.has_home and not geometry.has_medoid):
                geometry = territory_geometry(accounts, rows[local == j + 1], with_medoid=not t.has_home)
                if store:
                    cache[t.id] = geometry
            area[i] = geometry.hull_area_km2
            home_lon[i] = t.home_lon if t.has_home else geometry.medoid_lon
            home_lat[i] = t.home_lat if t.has_home else geometry.medoid_lat
        each = self._account_figures(rows, bins, home_lon, home_lat, area, count)
        for name, weights in each.items():
            if name not in ("distance", "work", "flight"):
                sums[name] = patched(base.vd if name == "vd" else old.values[name], per_dirty(weights))
        per_account = {}
        for name, full in (("distance", old.account_distance_km), ("work", old.account_workload_hours),
                           ("flight", old.account_flight)):
            per_account[name] = full.copy()
            per_account[name][rows] = each[name]
        measures = read_only(self._assemble(scenario, territories, old.territory_ids, sums, area, home_lon,
                                             home_lat, per_account["distance"], per_account["work"],
                                             per_account["flight"]))
        all_bins = base.bins
        if store:
            all_bins = base.bins.copy()
            all_bins[rows] = bins
        derived = Base(measures, scenario, self.plan.settings, accounts, scenario.assignment, tuple(territories),
                        all_bins, area, sums["visits"], sums["vd"])

        def p95() -> float | None:
            # A commit's tail is the previous one with the rows merged in (when that one was built) and is kept
            # for the next previews; a preview's is thrown away with it.
            if store and base.tail is None:
                return self._tail_of(derived).quantile()
            tail = self._changed_tail(base, rows, per_account["distance"])
            if store and tail is not None:
                derived.tail = tail
            return None if tail is None else tail.quantile()
        measures._p95 = p95
        return derived

    def _tail_of(self, base: Base) -> DistanceTail:
        if base.tail is None:
            m = base.measures
            base.tail = DistanceTail.build(m.account_distance_km, m._distance_weights(), P95)
        return base.tail

    def _changed_tail(self, base: Base, rows: np.ndarray, distance: np.ndarray) -> DistanceTail | None:
        """The distance tail of `base` with `rows` changed to `distance` (None when it cannot say exactly)."""
        self._tail_of(base)
        old_d, new_d = base.measures.account_distance_km[rows], distance[rows]
        # Only the rows whose distance changed (the moved ones, unless a home moved): the weight is the visits
        # of an assigned account, so it changes only with the distance's NaN-ness.
        differ = (old_d != new_d) & ~(np.isnan(old_d) & np.isnan(new_d))
        rows, old_d, new_d = rows[differ], old_d[differ], new_d[differ]
        visits = self.visits_and_service_hours()[0][rows]
        return base.tail.changed(len(distance), rows, old_d, np.where(np.isnan(old_d), 0.0, visits), new_d,
                                 np.where(np.isnan(new_d), 0.0, visits))

    def _geometry_for(self, tids, tidx, cache, store, need_medoid) -> dict[int, TerritoryGeometry]:
        missing = [i for i, t in enumerate(tids.tolist())
                   if t not in cache or (need_medoid[i] and not cache[t].has_medoid)]
        if not missing:
            return cache
        result = dict(cache)
        accounts = self.plan.accounts
        if len(missing) > 4:
            # Many territories at once (first load, auto-balance): group every account with one sort.
            order = np.argsort(tidx, kind="stable")
            bounds = np.searchsorted(tidx[order], np.arange(len(tids) + 1))
            members_of = lambda i: order[bounds[i]:bounds[i + 1]]  # noqa: E731
        else:
            members_of = lambda i: np.flatnonzero(tidx == i)  # noqa: E731
        for i in missing:
            geometry = territory_geometry(accounts, members_of(i), with_medoid=bool(need_medoid[i]))
            result[int(tids[i])] = geometry
            if store:
                cache[int(tids[i])] = geometry
        return result
