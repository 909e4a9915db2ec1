"""The measures of DESIGN.md, vectorised: potential, service and travel, workload, balance, compactness.

A visit's travel (day trip, overnight cap, flights) comes from core/travel.py, which the optimizer calls too;
workload targets under capacities come from `capacity_shares`, for the same reason.

`MeasureEngine` keeps, per scenario and territory, the parts that depend only on a territory's membership
(convex-hull area and the default home, a weighted medoid). They are recomputed only for territories whose
accounts changed, which is what keeps a live preview during a gesture cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from desktop_planner.core.events import AccountsChanged, AssignmentChanged, Event, SettingsChanged
from desktop_planner.core.geometry_stats import TerritoryGeometry, territory_geometry
from desktop_planner.core.geo import great_circle_km, lonlat_to_unit_xyz
from desktop_planner.core.model import Accounts, Plan, Scenario, territory_index
from desktop_planner.core.settings import Settings
from desktop_planner.core.travel import (land_mass, visit_is_flight, visit_nights, visit_travel_hours,
                                         visit_travel_km)

BHH_CONSTANT = 0.7124
MEASURES = ("accounts", "potential", "service_hours", "travel_km", "travel_hours", "workload_hours")
DEVIATION_MEASURES = ("accounts", "potential", "service_hours", "travel_hours", "workload_hours")


def effective_visits_and_minutes(accounts: Accounts, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Per account visits a year and minutes a visit: the account's own figure, else its segment's default,
    else the project default."""
    seg_visits = _per_segment(accounts.segment, settings.segment_visits_per_year)
    seg_minutes = _per_segment(accounts.segment, settings.segment_visit_minutes)
    visits = np.where(np.isnan(accounts.visits_per_year),
                      np.where(np.isnan(seg_visits), settings.default_visits_per_year, seg_visits),
                      accounts.visits_per_year)
    minutes = np.where(np.isnan(accounts.visit_minutes),
                       np.where(np.isnan(seg_minutes), settings.default_visit_minutes, seg_minutes),
                       accounts.visit_minutes)
    return visits, minutes


def _per_segment(segments: np.ndarray, defaults: dict[str, float]) -> np.ndarray:
    """The segment's default per account, NaN where the segment has none."""
    get = defaults.get
    nan = float("nan")
    return np.fromiter((get(s, nan) if s is not None else nan for s in segments), dtype=np.float64,
                       count=len(segments))


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

    @property
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
        Cached: it sorts every account, and the panel asks once per redraw."""
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


class MeasureEngine:
    """Computes `Measures` for a plan's scenarios, caching per-territory geometry between edits."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._geometry: dict[int, dict[int, TerritoryGeometry]] = {}
        self._per_account: tuple[np.ndarray, np.ndarray] | None = None  # visits, service hours
        self._land: np.ndarray | None = None
        self._unsubscribe = plan.events.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, AssignmentChanged):
            cache = self._geometry.get(event.scenario_id)
            if cache:
                for tid in event.territories:
                    cache.pop(tid, None)
        elif isinstance(event, SettingsChanged):
            self._per_account = None
        elif isinstance(event, AccountsChanged):
            self.invalidate()

    def invalidate(self) -> None:
        """Forget every cache (after the accounts themselves changed)."""
        self._geometry.clear()
        self._per_account = None
        self._land = None

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
        """Measures of a scenario; with `assignment`, of a preview of it (caches are read, not written, for
        the territories whose membership the preview changes); with `homes` (territory id -> (lon, lat)), as if
        those territories' homes were there (a home marker being dragged)."""
        scenario = self.plan.scenario(scenario_id)
        cache = self._geometry.setdefault(scenario.id, {})
        if assignment is None:
            return self._compute(scenario, scenario.assignment, cache, store=True, homes=homes)
        changed = np.flatnonzero(assignment != scenario.assignment)
        if changed.size:
            dirty = set(np.unique(np.concatenate((assignment[changed], scenario.assignment[changed]))).tolist())
            cache = {tid: g for tid, g in cache.items() if tid not in dirty}
        return self._compute(scenario, assignment, cache, store=False, homes=homes)

    def _compute(self, scenario: Scenario, assignment: np.ndarray, cache: dict, store: bool,
                 homes: dict[int, tuple[float, float]] | None = None) -> Measures:
        accounts = self.plan.accounts
        settings = self.plan.settings
        tids = scenario.territory_ids()
        territories = [scenario.territories[t] for t in tids.tolist()]
        if homes:
            territories = [t.with_changes(home_lon=homes[t.id][0], home_lat=homes[t.id][1]) if t.id in homes else t
                           for t in territories]
        k = len(tids)
        n = len(accounts)
        # Bin 0 collects the unassigned accounts, so every per-account array is used whole (no masking).
        bins = territory_index(tids, assignment) + 1
        visits, service_each = self.visits_and_service_hours()

        def per_territory(weights=None):
            return np.bincount(bins, weights=weights, minlength=k + 1)[1:]
        count = per_territory().astype(np.float64)
        potential = per_territory(accounts.potential)
        service = per_territory(service_each)
        visits_sum = per_territory(visits)

        has_home = np.array([t.has_home for t in territories], dtype=bool)
        geometry = self._geometry_for(tids, bins - 1, cache, store, need_medoid=~has_home)
        area = np.array([geometry[t].hull_area_km2 for t in tids.tolist()], dtype=np.float64)
        home_lon = np.array([t.home_lon if t.has_home else geometry[t.id].medoid_lon for t in territories],
                            dtype=np.float64)
        home_lat = np.array([t.home_lat if t.has_home else geometry[t.id].medoid_lat for t in territories],
                            dtype=np.float64)
        # Row 0 stands for "no territory": its distances are set to NaN below.
        home_xyz = np.vstack((np.zeros((1, 3)), lonlat_to_unit_xyz(home_lon, home_lat)))
        distance = great_circle_km(accounts.xyz, home_xyz[bins])
        distance[bins == 0] = np.nan
        known = np.nan_to_num(distance)  # an empty territory's medoid is NaN as well
        vd = per_territory(visits * known)
        hop = np.where(count > 0, BHH_CONSTANT * np.sqrt(area / np.maximum(count, 1)), 0.0)
        hop_each = np.concatenate(([0.0], hop))[bins]

        # Per visit, with the functions the optimizer prices arcs with (core/travel.py): the same figures.
        home_land = np.concatenate(([0], land_mass(home_lon, home_lat)))[bins]  # codes of k homes, not n
        flight = visit_is_flight(None, None, None, None, known, settings, account_land=self._land_masses(),
                                 home_land=home_land)
        flight &= bins > 0
        visit_km = visit_travel_km(known, hop_each, settings, flight)
        visit_hours = visit_travel_hours(known, hop_each, settings, flight)
        nights_each = visit_nights(known, settings)
        # Bin 0 (unassigned) is dropped by per_territory, so these need no masking for the totals.
        travel_km = per_territory(visits * visit_km)
        travel_hours = per_territory(visits * visit_hours)
        workload = service + travel_hours
        account_work = np.where(bins == 0, 0.0, service_each + visits * visit_hours)

        values = {"accounts": count, "potential": potential, "service_hours": service, "travel_km": travel_km,
                  "travel_hours": travel_hours, "workload_hours": workload,
                  "nights": per_territory(visits * nights_each), "flights": per_territory(visits * flight)}
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
            compactness = np.where(visits_sum > 0, vd / visits_sum, 0.0)
        return Measures(
            scenario_id=scenario.id, territory_ids=tids, names=[t.name for t in territories],
            values=values, targets=targets, deviations=deviations,
            home_lon=home_lon, home_lat=home_lat, home_is_medoid=~has_home,
            account_distance_km=distance, account_workload_hours=account_work,
            n_accounts=n, unassigned=int(n - count.sum()), tolerance=settings.tolerance,
            account_visits=visits, account_flight=flight, capacity_hours=capacity, utilisation=utilisation,
            territory_compactness_km=compactness,
        )

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
