"""The in-memory plan: accounts as numpy arrays, scenarios with their territories and assignment.

Everything here is plain Python/numpy so that the measures, the commands and the optimizer can run headless.
Accounts are addressed by their *row index* (0..n-1) in memory; the project file's `accounts.id` is kept in
`Accounts.ids` for persistence. Territories are addressed by their project-file id, which is unique across
scenarios; an assignment vector holds territory ids, with UNASSIGNED (-1) for accounts without a territory.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Callable, Iterable

import numpy as np

from desktop_planner.core.events import EventBus
from desktop_planner.core.geo import lonlat_to_mercator, lonlat_to_unit_xyz, lonlat_to_equal_area_km
from desktop_planner.core.settings import Settings

UNASSIGNED = -1


def territory_index(territory_ids: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """Map territory ids to positions in `territory_ids` (-1 for UNASSIGNED or unknown ids).

    Vectorised through a lookup table indexed by territory id, so it costs one gather per call.
    """
    if len(territory_ids) == 0:
        return np.full(len(assignment), -1, dtype=np.int64)
    top = int(territory_ids.max())
    lut = np.full(top + 2, -1, dtype=np.int64)
    lut[territory_ids] = np.arange(len(territory_ids))
    # UNASSIGNED and ids beyond the table read the last slot, which is always -1.
    return lut[np.where((assignment >= 0) & (assignment <= top), assignment, top + 1)]


ACCOUNT_COLUMNS = ("ids", "external_id", "name", "lon", "lat", "potential", "visits_per_year", "visit_minutes",
                   "segment", "industry", "postcode", "attrs")
# Text only needed for tooltips, exports and search. They may be given as a loader (a callable returning the
# array) and are read on first use: a million accounts then open in a fraction of the time.
LAZY_COLUMNS = ("name", "industry", "postcode", "attrs")
ColumnLoader = Callable[[], np.ndarray]


def _lazy_column(name: str) -> property:
    def get(self: "Accounts") -> np.ndarray:
        value = self._lazy[name]
        if callable(value):
            value = np.asarray(value(), dtype=object)
            if len(value) != len(self):
                raise ValueError(f"accounts column {name!r} has {len(value)} rows, expected {len(self)}")
            self._lazy[name] = value
        return value
    return property(get, doc=f"accounts.{name} per account (object array; None where empty)")


class Accounts:
    """Column arrays, one entry per account, all of the same length.

    ids int64 (project-file ids); external_id, segment object (str or None); lon, lat float64 (WGS84);
    potential float64; visits_per_year, visit_minutes float64 (NaN: use the segment default); name, industry,
    postcode, attrs object (attrs: JSON text of other imported columns). Derived on construction: Web Mercator
    metres x, y (the map), unit vectors xyz (great-circle distances), equal-area km ea_km (hull areas).
    """

    name = _lazy_column("name")
    industry = _lazy_column("industry")
    postcode = _lazy_column("postcode")
    attrs = _lazy_column("attrs")

    def __init__(self, ids, external_id, name, lon, lat, potential, visits_per_year, visit_minutes, segment,
                 industry, postcode, attrs=None, score=None, tier=None) -> None:
        n = len(ids)
        # The account's score (0..100, NaN: none) and tier (None: none), from the project's score definition
        # (core.scoring). Not imported columns: they are derived, so a refresh recomputes rather than updates them.
        self.score = np.full(n, np.nan) if score is None else np.asarray(score, dtype=np.float64)
        self.tier = np.full(n, None, dtype=object) if tier is None else np.asarray(tier, dtype=object)
        self.ids, self.external_id, self.segment = ids, external_id, segment
        self.lon, self.lat, self.potential = lon, lat, potential
        self.visits_per_year, self.visit_minutes = visits_per_year, visit_minutes
        self._lazy: dict[str, np.ndarray | ColumnLoader] = {
            "name": name, "industry": industry, "postcode": postcode,
            "attrs": np.full(n, None, dtype=object) if attrs is None else attrs}
        for column in ACCOUNT_COLUMNS:
            value = self._lazy[column] if column in LAZY_COLUMNS else getattr(self, column)
            if not callable(value) and len(value) != n:
                raise ValueError(f"accounts column {column!r} has {len(value)} rows, expected {n}")
        self.x, self.y = lonlat_to_mercator(self.lon, self.lat)
        self.xyz = lonlat_to_unit_xyz(self.lon, self.lat)
        self.ea_km = lonlat_to_equal_area_km(self.lon, self.lat)
        self._index_of_id: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_columns(cls, **columns: Iterable) -> "Accounts":
        """Build from any sequences; missing optional columns are filled with None/NaN."""
        n = len(columns["lon"])
        def obj(name):
            values = columns.get(name)
            return np.full(n, None, dtype=object) if values is None else np.asarray(values, dtype=object)
        def num(name, default):
            values = columns.get(name)
            if values is None:
                return np.full(n, default, dtype=np.float64)
            return np.array([default if v is None else v for v in values], dtype=np.float64) \
                if isinstance(values, list) else np.asarray(values, dtype=np.float64)
        ids = columns.get("ids")
        return cls(
            ids=np.arange(1, n + 1, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64),
            external_id=obj("external_id") if columns.get("external_id") is not None
            else np.array([str(i) for i in range(1, n + 1)], dtype=object),
            name=obj("name"),
            lon=num("lon", np.nan),
            lat=num("lat", np.nan),
            potential=num("potential", 0.0),
            visits_per_year=num("visits_per_year", np.nan),
            visit_minutes=num("visit_minutes", np.nan),
            segment=obj("segment"),
            industry=obj("industry"),
            postcode=obj("postcode"),
            attrs=obj("attrs"),
        )

    def subset(self, rows: np.ndarray) -> "Accounts":
        """The accounts at `rows` (ascending), as a table of their own: a team's accounts. Text columns not read
        yet stay unread until the subset needs them."""
        rows = np.asarray(rows, dtype=np.int64)
        lazy = {name: (lambda name=name: getattr(self, name)[rows]) if callable(self._lazy[name])
                else self._lazy[name][rows] for name in LAZY_COLUMNS}
        return Accounts(ids=self.ids[rows], external_id=self.external_id[rows], lon=self.lon[rows],
                        lat=self.lat[rows], potential=self.potential[rows],
                        visits_per_year=self.visits_per_year[rows], visit_minutes=self.visit_minutes[rows],
                        segment=self.segment[rows], score=self.score[rows], tier=self.tier[rows], **lazy)

    def index_of_id(self, account_id: int) -> int:
        """Row index of a project-file account id (KeyError if unknown)."""
        if self._index_of_id is None:
            self._index_of_id = {int(a): i for i, a in enumerate(self.ids)}
        return self._index_of_id[int(account_id)]


@dataclass(frozen=True)
class Territory:
    id: int
    name: str
    color: str | None = None
    rep_name: str | None = None
    home_lon: float | None = None
    home_lat: float | None = None
    capacity_hours: float | None = None
    region: str | None = None
    locked: bool = False
    # The CRM's keys. code: the territory's key there (Salesforce's DeveloperName); None: derived from the name
    # (territory_codes). rep_id, rep_email: the rep's user id and address, from the reps file.
    code: str | None = None
    rep_id: str | None = None
    rep_email: str | None = None

    @property
    def has_home(self) -> bool:
        return self.home_lon is not None and self.home_lat is not None

    def with_changes(self, **changes) -> "Territory":
        return replace(self, **changes)


EDITABLE_TERRITORY_FIELDS = ("name", "color", "rep_name", "home_lon", "home_lat", "capacity_hours", "region", "locked",
                             "code", "rep_id", "rep_email")
CODE_PATTERN = re.compile(r"[A-Za-z0-9_]+")
CODE_MAX_CHARS = 80  # Salesforce's limit for a DeveloperName, the tightest of the CRMs' territory keys


def code_from_name(name: str) -> str:
    """A territory code made from a name: "NE-07 New York" -> "NE_07_New_York". Accents are dropped and every run
    of other characters becomes one underscore; it starts with a letter and has at most 80 characters, so that
    Salesforce takes it as a DeveloperName unchanged."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    code = re.sub(r"[^A-Za-z0-9]+", "_", plain).strip("_")
    if not code:
        return "Territory"
    if not code[0].isalpha():
        code = "T_" + code
    return code[:CODE_MAX_CHARS].rstrip("_")


def territory_codes(scenario: "Scenario") -> dict[int, str]:
    """Each territory's code: its own when set, else made from its name, with _2, _3 … added where it would
    repeat another code of the scenario (compared ignoring case, as CRMs compare their keys)."""
    codes = {tid: t.code for tid, t in scenario.territories.items() if t.code}
    taken = {code.casefold() for code in codes.values()}
    for tid, t in scenario.territories.items():
        if tid in codes:
            continue
        base = code = code_from_name(t.name)
        n = 1
        while code.casefold() in taken:
            n += 1
            code = f"{base[:CODE_MAX_CHARS - len(str(n)) - 1].rstrip('_')}_{n}"
        taken.add(code.casefold())
        codes[tid] = code
    return {tid: codes[tid] for tid in scenario.territories}


@dataclass
class Scenario:
    id: int
    name: str
    territories: dict[int, Territory]  # insertion order = display order
    assignment: np.ndarray  # int64 territory id per account, UNASSIGNED = -1
    locked: np.ndarray  # bool per account
    created_at: str | None = None
    based_on: int | None = None
    notes: str | None = None

    def territory_ids(self) -> np.ndarray:
        return np.fromiter(self.territories.keys(), dtype=np.int64, count=len(self.territories))

    def territory_by_name(self, name: str) -> Territory:
        for t in self.territories.values():
            if t.name == name:
                return t
        raise KeyError(f"scenario {self.name!r} has no territory named {name!r}")

    def territory_index(self, assignment: np.ndarray | None = None) -> np.ndarray:
        """Territory position (0..K-1, display order) per account; -1 for unassigned accounts."""
        return territory_index(self.territory_ids(), self.assignment if assignment is None else assignment)


class Plan:
    """A whole project in memory: the accounts, every scenario, the active one, the settings."""

    def __init__(self, accounts: Accounts, scenarios: dict[int, Scenario], active_scenario_id: int,
                 settings: Settings | None = None, name: str = "Untitled") -> None:
        if active_scenario_id not in scenarios:
            raise ValueError(f"active scenario {active_scenario_id} is not in the plan")
        self.accounts = accounts
        self.scenarios = scenarios
        self.active_scenario_id = active_scenario_id
        self.settings = settings or Settings()
        self.name = name
        self.events = EventBus()
        # The highest ids ever used (the project file's AUTOINCREMENT high-water marks, set by the store): new
        # objects get ids above them, so an id is never reused and the audit trail never points at another object.
        self.id_floor = {"scenarios": 0, "territories": 0, "accounts": 0}
        # The active geography unit layer (core.units.UnitState), or None: then the plan is exactly as without
        # units. It only adds meaning; what accounts follow is still each scenario's assignment.
        self.units = None
        # Teams (core.teams.Team, in display order; empty: one team, as before teams existed). A plan loaded from
        # a project with teams is one team's view: the accounts that team covers, its scenarios and settings.
        # team_id: the team whose scenarios the plan holds (0: no teams). all_accounts: the plan holds every
        # account rather than the team's (the view imports and scoring work on; never measured or drawn).
        self.teams: tuple = ()
        self.team_id = 0
        self.all_accounts = False
        self.scoring = None  # the score definition (core.scoring.ScoreDefinition) or None
        from desktop_planner.core.records import Records  # records build on commands, which build on the model
        self.records = Records()  # actuals, quotas, holdouts, reviews: read from the file on first use
        # The highest team id the project ever gave, removed teams included: a new team gets a higher one, so that
        # it never takes over the alignment a removed team left for an undo.
        self.team_ids_used = 0

    @property
    def team(self):
        """The team this plan shows (core.teams.Team), or None."""
        return next((t for t in self.teams if t.id == self.team_id), None)

    @property
    def active(self) -> Scenario:
        return self.scenarios[self.active_scenario_id]

    def scenario(self, scenario_id: int | None = None) -> Scenario:
        return self.active if scenario_id is None else self.scenarios[scenario_id]

    def scenario_by_name(self, name: str) -> Scenario:
        for s in self.scenarios.values():
            if s.name == name:
                return s
        names = ", ".join(sorted(s.name for s in self.scenarios.values()))
        raise KeyError(f"no scenario named {name!r} (the project has: {names})")

    def next_territory_id(self) -> int:
        used = [tid for s in self.scenarios.values() for tid in s.territories]
        return max(max(used, default=0), self.id_floor["territories"]) + 1

    def next_scenario_id(self) -> int:
        return max(max(self.scenarios, default=0), self.id_floor["scenarios"]) + 1

    def next_account_id(self) -> int:
        top = int(self.accounts.ids.max()) if len(self.accounts) else 0
        return max(top, self.id_floor["accounts"]) + 1

    def copy_assignment_state(self) -> dict[int, tuple[np.ndarray, np.ndarray, dict[int, Territory]]]:
        """A deep snapshot of every scenario's mutable state, for equality checks in tests and undo audits."""
        return {sid: (s.assignment.copy(), s.locked.copy(), dict(s.territories)) for sid, s in self.scenarios.items()}
