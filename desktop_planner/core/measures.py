"""The measures of DESIGN.md, vectorised: potential, service and travel, workload, balance, compactness.

`MeasureEngine` keeps, per scenario and territory, the parts that depend only on a territory's membership
(convex-hull area and the default home, a weighted medoid). They are recomputed only for territories whose
accounts changed, which is what keeps a live preview during a gesture cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_planner.core.events import AccountsChanged, AssignmentChanged, Event, SettingsChanged
from desktop_planner.core.geometry_stats import TerritoryGeometry, territory_geometry
from desktop_planner.core.geo import great_circle_km, lonlat_to_unit_xyz
from desktop_planner.core.model import Accounts, Plan, Scenario, territory_index
from desktop_planner.core.settings import Settings

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


@dataclass
class Measures:
    """Figures of one scenario (or one preview of it). Per-territory arrays follow `territory_ids` order."""

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

    @property
    def compactness_km(self) -> float:
        """Workload-weighted mean distance from accounts to their territory's home."""
        w = self.account_workload_hours
        total = float(w.sum())
        if total <= 0:
            return 0.0
        d = np.nan_to_num(self.account_distance_km)
        return float((w * d).sum() / total)


class MeasureEngine:
    """Computes `Measures` for a plan's scenarios, caching per-territory geometry between edits."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._geometry: dict[int, dict[int, TerritoryGeometry]] = {}
        self._per_account: tuple[np.ndarray, np.ndarray] | None = None  # visits, service hours
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
        c, s, speed = settings.circuity, settings.stops_per_day, settings.speed_kmh
        travel_km = c * (2.0 * vd / s + hop * visits_sum)
        travel_hours = travel_km / speed
        workload = service + travel_hours

        hop_each = np.concatenate(([0.0], hop))[bins]
        account_work = service_each + (c / speed) * visits * (2.0 * known / s + hop_each)
        account_work[bins == 0] = 0.0

        values = {"accounts": count, "potential": potential, "service_hours": service, "travel_km": travel_km,
                  "travel_hours": travel_hours, "workload_hours": workload}
        targets: dict[str, np.ndarray] = {}
        deviations: dict[str, np.ndarray] = {}
        for measure in DEVIATION_MEASURES:
            v = values[measure]
            target = np.full(k, v.sum() / k if k else 0.0)
            if measure == "workload_hours":
                capacity = np.array([t.capacity_hours or np.nan for t in territories], dtype=np.float64)
                target = np.where(np.isnan(capacity), target, capacity)
            targets[measure] = target
            with np.errstate(divide="ignore", invalid="ignore"):
                deviations[measure] = np.where(target > 0, (v - target) / target, 0.0)
        return Measures(
            scenario_id=scenario.id, territory_ids=tids, names=[t.name for t in territories],
            values=values, targets=targets, deviations=deviations,
            home_lon=home_lon, home_lat=home_lat, home_is_medoid=~has_home,
            account_distance_km=distance, account_workload_hours=account_work,
            n_accounts=n, unassigned=int(n - count.sum()), tolerance=settings.tolerance,
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
