"""A realistic, reproducible demo plan built in memory (saving it is the store's job).

Accounts are scattered around real US postcodes (the `zipcodes` package), so they cluster in cities and thin
out in the country the way real customer lists do. Reps live in real towns chosen by k-means over the
accounts, and the initial alignment gives every account to the nearest rep, which is deliberately unbalanced,
as real alignments are. Everything is vectorised with numpy so that a million accounts build in seconds, and
every random draw comes from streams derived from `seed`, so the same arguments give identical arrays.
"""

from __future__ import annotations

import operator
from functools import lru_cache

import numpy as np
import pandas as pd
import zipcodes
from scipy.spatial import ConvexHull, QhullError, cKDTree

from desktop_planner.core.geo import EARTH_RADIUS_KM, chord_to_km, lonlat_to_unit_xyz
from desktop_planner.core.model import Accounts, Plan, Scenario, Territory
from desktop_planner.core.palette import territory_palette
from desktop_planner.core.settings import Settings

# US Census regions, restricted to the contiguous states: Alaska and Hawaii would put territories across an
# ocean from their reps, which no straight-line travel estimate can model.
REGIONS: dict[str, tuple[str, ...]] = {
    "northeast": ("CT", "MA", "ME", "NH", "NJ", "NY", "PA", "RI", "VT"),
    "midwest": ("IA", "IL", "IN", "KS", "MI", "MN", "MO", "ND", "NE", "OH", "SD", "WI"),
    "south": ("AL", "AR", "DC", "DE", "FL", "GA", "KY", "LA", "MD", "MS", "NC", "OK", "SC", "TN", "TX", "VA", "WV"),
    "west": ("AZ", "CA", "CO", "ID", "MT", "NM", "NV", "OR", "UT", "WA", "WY"),
}
REGIONS["us"] = tuple(sorted(s for states in REGIONS.values() for s in states))
# Display label and territory-name prefix of each region.
REGION_LABELS = {"northeast": ("US Northeast", "NE"), "midwest": ("US Midwest", "MW"), "south": ("US South", "SO"),
                 "west": ("US West", "WE"), "us": ("Contiguous US", "US")}

MAX_ACCOUNTS = 5_000_000
MAX_TERRITORIES = 1000

# Segment names match the keys of Settings' per-segment defaults, so that NaN visits/minutes resolve there.
SEGMENTS = ("Enterprise", "Mid-market", "SMB")
SEGMENT_SHARES = (0.05, 0.25, 0.70)
# Lognormal potential per segment (median in currency units, sigma of the log): Enterprise dwarfs the rest.
SEGMENT_POTENTIAL = ((400_000.0, 0.7), (60_000.0, 0.6), (8_000.0, 0.8))
OVERRIDE_SHARE = 0.03  # accounts whose visit plan differs from their segment's default

# Industry -> (share of accounts, potential factor, the trade words that go into company names).
INDUSTRIES = {
    "Healthcare": (0.14, 1.2, "Dental|Medical|Health|Family Medicine|Orthopedics|Pharmacy|Veterinary|Home Care"),
    "Manufacturing": (0.12, 1.4, "Manufacturing|Machine Works|Plastics|Metalworks|Fabrication|Tool & Die|Industries"),
    "Retail": (0.16, 0.8, "Outfitters|Market|Hardware|Furniture|Home Goods|Grocers|Pet Supply|Apparel"),
    "Construction": (0.10, 1.0, "Construction|Builders|Roofing|Contractors|Electric|Plumbing|Concrete"),
    "Professional Services": (0.12, 0.9, "Consulting|Accounting|Law|Advisors|Engineering|Architects|Staffing"),
    "Hospitality": (0.10, 0.7, "Hotels|Inn|Restaurants|Catering|Hospitality|Resorts|Brewing"),
    "Technology": (0.07, 1.3, "Software|Systems|Data|Networks|Technologies|Digital|Labs"),
    "Logistics": (0.07, 1.1, "Logistics|Freight|Transport|Trucking|Distribution|Moving|Warehousing"),
    "Financial Services": (0.07, 1.2, "Financial|Capital|Wealth Management|Insurance|Investments|Lending"),
    "Education": (0.05, 0.8, "Academy|Learning|Tutoring|Montessori|Training|Institute"),
}

_NAME_WORDS = np.array((
    "Summit Harbor Pioneer Liberty Keystone Evergreen Granite Magnolia Juniper Bayview Cedar Maple Oak Pine "
    "Willow Birch Aspen Sterling Beacon Crescent Eagle Falcon Heritage Horizon Meridian Patriot Prairie Redwood "
    "Sierra Silver Golden Bluestone Greenleaf Ironwood Copper Brightwater Clearwater Fairview Greenfield Highland "
    "Sequoia Midland Northstar Oakwood Parkside Pinnacle Rockport Seaside Skyline Southport Stonebridge "
    "Sunrise Timber Trinity Westfield Windmill Apex Atlas Vanguard Allied United Premier Precision Reliable "
    "Superior Coastal Metro Capital Continental National American Empire Frontier Landmark Cornerstone Compass "
    "Anchor Lighthouse Tristate Valor").split(), dtype=object)
# A second place word for longer names; the trailing space lets names be joined without a branch.
_NAME_PLACES = np.array([w + " " for w in (
    "Ridge Creek Valley Point Bay Park Hill River Lake Bridge Field Rock Brook Grove Mountain Square Crossing "
    "Station Mill Springs Falls Gate Haven View Meadow Forest Island Commons").split()], dtype=object)
_NAME_SUFFIXES = np.array("Group|LLC|Inc.|Partners|Co.|Corp.|Holdings|Associates|Company|Enterprises".split("|"),
                          dtype=object)

_FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Carlos Karen Daniel Lisa Matthew Nancy Anthony Sandra Mark Ashley Steven Emily Andrew "
    "Michelle Kenji Amanda Brian Melissa Kevin Deborah Jason Stephanie Jose Rebecca Ryan Laura Jacob Sharon Nicholas "
    "Priya Eric Maria Jonathan Olivia Samuel Grace Omar Aisha Wei Mei Diego Sofia").split()
_LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera "
    "Campbell Mitchell Carter Roberts Patel Kim Chen Okafor Murphy O'Brien Kowalski Schmidt Rossi Sullivan").split()

_JITTER_SIGMA_KM = 1.5  # accounts sit around their postcode's centre, not on it
_KM_PER_DEGREE = np.pi * EARTH_RADIUS_KM / 180.0
_HOME_CITY_RADIUS_KM = 30.0  # a home may move this far from its k-means centre to live in a real town
_ASSIGN_CHUNK_CELLS = 4_000_000  # accounts x territories per block of the nearest-home search (32 MB)


def build_demo_plan(n_accounts: int = 5000, n_territories: int = 12, seed: int = 0, region: str = "northeast",
                    name: str | None = None) -> Plan:
    """A plan of `n_accounts` accounts in `region` and `n_territories` territories in one scenario."""
    n = _checked_int(n_accounts, "n_accounts")
    k = _checked_int(n_territories, "n_territories")
    seed = _checked_int(seed, "seed")
    if not 1 <= n <= MAX_ACCOUNTS:
        raise ValueError(f"n_accounts must be between 1 and {MAX_ACCOUNTS:,}, got {n:,}")
    if not 1 <= k <= min(MAX_TERRITORIES, n):
        raise ValueError(f"n_territories must be between 1 and {min(MAX_TERRITORIES, n)} "
                         f"(at most {MAX_TERRITORIES} and at most n_accounts), got {k}")
    if seed < 0:
        raise ValueError(f"seed must be zero or a positive integer, got {seed}")
    if not isinstance(region, str) or region.strip().lower() not in REGIONS:
        raise ValueError(f"unknown region {region!r}; valid regions are: {', '.join(REGIONS)}")
    region = region.strip().lower()

    # One independent stream per concern: changing how names are drawn never moves the accounts.
    place_rng, attr_rng, name_rng, home_rng, team_rng = (np.random.default_rng(s)
                                                        for s in np.random.SeedSequence(seed).spawn(5))
    postcodes = region_postcodes(region)
    accounts = _make_accounts(n, postcodes, place_rng, attr_rng, name_rng)
    homes = _choose_homes(accounts.xyz, k, postcodes, home_rng)
    home_xyz = lonlat_to_unit_xyz(homes["lon"].to_numpy(), homes["lat"].to_numpy())
    nearest = nearest_home(accounts.xyz, home_xyz)
    settings = Settings()
    territories = _make_territories(region, homes, accounts, nearest, home_xyz, settings, team_rng)
    label = REGION_LABELS[region][0]
    scenario = Scenario(
        id=1, name="Current plan", territories={t.id: t for t in territories},
        assignment=nearest.astype(np.int64) + 1,  # territory ids are 1..K in home order
        locked=np.zeros(n, dtype=bool),
        notes=f"Demo data ({label}, seed {seed}): every account assigned to the nearest rep's home.")
    return Plan(accounts, {1: scenario}, 1, settings, name or f"Demo — {label} ({n:,} accounts)")


def _checked_int(value, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{what} must be an integer, got {value!r}") from None


@lru_cache(maxsize=1)
def _all_postcodes() -> pd.DataFrame:
    """Active, non-military US postcodes with usable coordinates in the contiguous states."""
    frame = pd.DataFrame(zipcodes.list_all(), columns=["zip_code", "zip_code_type", "active", "city", "state",
                                                       "lat", "long"])
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    frame["lon"] = pd.to_numeric(frame.pop("long"), errors="coerce")
    # Some entries carry 0/0 or no coordinates; the box of the contiguous states rejects those.
    usable = (frame["active"].astype(bool) & (frame["zip_code_type"] != "MILITARY")
              & frame["lat"].between(24.0, 50.0) & frame["lon"].between(-125.0, -66.5))
    frame = frame[usable].reset_index(drop=True)
    frame["standard"] = frame.pop("zip_code_type") == "STANDARD"
    return frame[["zip_code", "city", "state", "lon", "lat", "standard"]]


def region_postcodes(region: str) -> pd.DataFrame:
    """The postcodes demo accounts of `region` are placed around: zip_code, city, state, lon, lat, standard."""
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; valid regions are: {', '.join(REGIONS)}")
    frame = _all_postcodes()
    return frame[frame["state"].isin(REGIONS[region])].reset_index(drop=True)


def _make_accounts(n: int, postcodes: pd.DataFrame, place_rng, attr_rng, name_rng) -> Accounts:
    # Uniform over postcodes, so accounts are dense where postcodes are dense (towns and cities). PO box and
    # single-organisation postcodes duplicate a town's centre, so they count half.
    weights = np.where(postcodes["standard"].to_numpy(), 1.0, 0.5)
    where = place_rng.choice(len(postcodes), size=n, p=weights / weights.sum())
    lat0 = postcodes["lat"].to_numpy()[where]
    lon0 = postcodes["lon"].to_numpy()[where]
    sigma_deg = _JITTER_SIGMA_KM / _KM_PER_DEGREE
    lat = np.round(lat0 + place_rng.normal(0.0, sigma_deg, n), 5)  # ~1 m: a geocoder's precision
    lon = np.round(lon0 + place_rng.normal(0.0, sigma_deg, n) / np.cos(np.radians(lat0)), 5)

    segment = attr_rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARES)
    shares = np.array([v[0] for v in INDUSTRIES.values()])
    industry = attr_rng.choice(len(INDUSTRIES), size=n, p=shares / shares.sum())
    median, sigma = (np.array(v)[segment] for v in zip(*SEGMENT_POTENTIAL))
    factor = np.array([v[1] for v in INDUSTRIES.values()])[industry]
    potential = np.maximum(np.round(attr_rng.lognormal(np.log(median), sigma) * factor, -2), 100.0)
    visits, minutes = _visit_overrides(segment, attr_rng)

    width = max(6, len(str(n)))
    return Accounts(
        ids=np.arange(1, n + 1, dtype=np.int64),
        external_id=np.array([f"ACC-{i:0{width}d}" for i in range(1, n + 1)], dtype=object),
        name=_company_names(industry, name_rng),
        lon=lon, lat=lat, potential=potential, visits_per_year=visits, visit_minutes=minutes,
        segment=np.array(SEGMENTS, dtype=object)[segment],
        industry=np.array(list(INDUSTRIES), dtype=object)[industry],
        postcode=postcodes["zip_code"].to_numpy(dtype=object)[where],
    )


def _visit_overrides(segment: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """NaN (use the segment default) except for a few accounts with a visit plan of their own."""
    n = len(segment)
    defaults = Settings()
    visits = np.full(n, np.nan)
    minutes = np.full(n, np.nan)
    chosen = np.flatnonzero(rng.random(n) < OVERRIDE_SHARE)
    seg = np.array(SEGMENTS)[segment[chosen]]
    base_visits = np.array([defaults.segment_visits_per_year[s] for s in seg])
    base_minutes = np.array([defaults.segment_visit_minutes[s] for s in seg])
    # Key accounts get more and longer visits, a few get fewer: whole visits, minutes in 15-minute slots.
    visits[chosen] = np.maximum(np.round(base_visits * rng.choice([0.5, 1.5, 2.0, 4.0], len(chosen))), 1.0)
    minutes[chosen] = np.maximum(np.round(base_minutes * rng.choice([0.5, 1.0, 1.5, 2.0], len(chosen)) / 15) * 15,
                                 15.0)
    return visits, minutes


def _company_names(industry: np.ndarray, rng) -> np.ndarray:
    """Names such as "Summit Dental Group" or "Harbor Bay Logistics LLC", unique while the word lists last.

    Within each industry, word combinations are drawn without replacement: about half of the names use one
    place word, the rest two, so short names stay common even for large plans.
    """
    names = np.empty(len(industry), dtype=object)
    for code, (_, _, trade_words) in enumerate(INDUSTRIES.values()):
        rows = np.flatnonzero(industry == code)
        if len(rows) == 0:
            continue
        trades = np.array(trade_words.split("|"), dtype=object)
        short_shape = (len(_NAME_WORDS), len(trades), len(_NAME_SUFFIXES))
        long_shape = (len(_NAME_WORDS), len(_NAME_PLACES), len(trades), len(_NAME_SUFFIXES))
        n_short = min(len(rows) // 2, int(np.prod(short_shape)))
        n_long = len(rows) - n_short
        long_space = int(np.prod(long_shape))
        short = np.unravel_index(rng.choice(int(np.prod(short_shape)), n_short, replace=False), short_shape)
        long = np.unravel_index(rng.choice(long_space, n_long, replace=n_long > long_space), long_shape)
        word = np.concatenate((_NAME_WORDS[short[0]], _NAME_WORDS[long[0]]))
        place = np.concatenate((np.full(n_short, "", dtype=object), _NAME_PLACES[long[1]]))
        trade = np.concatenate((trades[short[1]], trades[long[2]]))
        suffix = np.concatenate((_NAME_SUFFIXES[short[2]], _NAME_SUFFIXES[long[3]]))
        order = rng.permutation(len(rows))  # mix short and long names over the rows
        names[rows[order]] = [f"{w} {p}{t} {s}" for w, p, t, s in zip(word, place, trade, suffix)]
    return names


def nearest_home(xyz: np.ndarray, home_xyz: np.ndarray) -> np.ndarray:
    """Index of the nearest home (great-circle) for every point, in blocks to keep memory small.

    On unit vectors the largest dot product is the smallest great-circle distance, so one matrix product per
    block does the work.
    """
    out = np.empty(len(xyz), dtype=np.int64)
    step = max(1, _ASSIGN_CHUNK_CELLS // max(1, len(home_xyz)))
    for start in range(0, len(xyz), step):
        out[start:start + step] = np.argmax(xyz[start:start + step] @ home_xyz.T, axis=1)
    return out


def _choose_homes(xyz: np.ndarray, k: int, postcodes: pd.DataFrame, rng) -> pd.DataFrame:
    """k rep homes at distinct real postcodes near k-means centres of the accounts, ordered west to east."""
    # k-means on a sample is as good as on all accounts for placing k centres and keeps 1M accounts cheap.
    sample_size = min(len(xyz), max(20_000, 40 * k))
    sample = xyz[rng.choice(len(xyz), sample_size, replace=False)] if sample_size < len(xyz) else xyz
    centres, sizes = _spherical_kmeans(sample, k, rng)

    # Homes are in real towns: standard postcodes only, unless a tiny region has too few of them.
    pool = postcodes[postcodes["standard"]] if postcodes["standard"].sum() > k else postcodes
    pool = pool.reset_index(drop=True)
    pool_xyz = lonlat_to_unit_xyz(pool["lon"].to_numpy(), pool["lat"].to_numpy())
    town, town_names = pd.factorize(pool["city"] + "|" + pool["state"])
    # A town's number of postcodes stands in for its size: reps live in Rochester rather than in a hamlet.
    all_towns = postcodes["city"] + "|" + postcodes["state"]
    town_size = all_towns.value_counts().reindex(town_names).to_numpy()
    chord, neighbours = cKDTree(pool_xyz).query(centres, k=min(max(k + 1, 256), len(pool)))
    chord, neighbours = chord.reshape(len(centres), -1), neighbours.reshape(len(centres), -1)
    taken_postcode = np.zeros(len(pool), dtype=bool)
    taken_town = np.zeros(len(town_names), dtype=bool)
    chosen = np.empty(k, dtype=np.int64)
    # Biggest clusters choose first, so the busiest areas get their city. A home goes to the largest town
    # within reach that no other rep lives in (nearest postcode of it), else to the nearest free postcode:
    # two homes never share a postcode, so no two territories tie for the same accounts.
    for c in np.argsort(-sizes, kind="stable"):
        candidates = neighbours[c]
        free = ~taken_postcode[candidates]
        new_town = free & ~taken_town[town[candidates]] & (chord_to_km(chord[c]) <= _HOME_CITY_RADIUS_KM)
        if new_town.any():
            pick = candidates[np.argmax(np.where(new_town, town_size[town[candidates]], -1))]
        else:
            pick = candidates[np.argmax(free)]
        chosen[c] = pick
        taken_postcode[pick] = True
        taken_town[town[pick]] = True
    homes = pool.iloc[chosen].reset_index(drop=True)
    return homes.iloc[np.lexsort((homes["lat"].to_numpy(), homes["lon"].to_numpy()))].reset_index(drop=True)


def _spherical_kmeans(points: np.ndarray, k: int, rng, iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ then Lloyd iterations on unit vectors; returns unit centres and their cluster sizes."""
    # Incremental k-means++ (O(n k)): scipy's kmeans2 '++' start costs O(n k^2), too slow for 1000 territories.
    centres = np.empty((k, 3))
    centres[0] = points[rng.integers(len(points))]
    nearest_sq = np.einsum("ij,ij->i", points - centres[0], points - centres[0])
    for i in range(1, k):
        total = nearest_sq.sum()
        j = (int(np.searchsorted(np.cumsum(nearest_sq), rng.random() * total, side="right")) if total > 0
             else int(rng.integers(len(points))))
        centres[i] = points[min(j, len(points) - 1)]
        diff = points - centres[i]
        np.minimum(nearest_sq, np.einsum("ij,ij->i", diff, diff), out=nearest_sq)
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(iterations):
        labels = cKDTree(centres).query(points)[1]
        sizes = np.bincount(labels, minlength=k)
        sums = np.column_stack([np.bincount(labels, weights=points[:, d], minlength=k) for d in range(3)])
        filled = sizes > 0  # an empty cluster keeps its centre
        new = centres.copy()
        new[filled] = sums[filled] / np.linalg.norm(sums[filled], axis=1, keepdims=True)
        if np.allclose(new, centres, atol=1e-9):
            break
        centres = new
    return centres, np.bincount(labels, minlength=k)


def _make_territories(region: str, homes: pd.DataFrame, accounts: Accounts, nearest: np.ndarray,
                      home_xyz: np.ndarray, settings: Settings, rng) -> list[Territory]:
    k = len(homes)
    prefix = REGION_LABELS[region][1]
    width = max(2, len(str(k)))
    pairs = rng.choice(len(_FIRST_NAMES) * len(_LAST_NAMES), size=k, replace=False)  # unique rep names
    reps = [f"{_FIRST_NAMES[p // len(_LAST_NAMES)]} {_LAST_NAMES[p % len(_LAST_NAMES)]}" for p in pairs]
    colors = territory_palette(k)
    # Sub-regions by the homes' west-to-east order (homes are sorted that way): equal numbers of territories.
    subregions = {1: (REGION_LABELS[region][0],), 2: ("West", "East"), 3: ("West", "Central", "East"),
             4: ("West", "West Central", "East Central", "East")}[1 if k == 1 else 2 if k < 6 else 3 if k < 16 else 4]
    capacity = [None] * k
    if k >= 8:
        # One part-time rep (60 % of a full workload) shows what a capacity does to the balance figures.
        mean_workload = _estimated_workload_hours(accounts, nearest, home_xyz, settings).mean()
        capacity[int(rng.integers(k))] = float(np.round(0.6 * mean_workload, -1))
    return [Territory(id=i + 1, name=f"{prefix}-{i + 1:0{width}d} {home.city}", color=colors[i], rep_name=reps[i],
                      home_lon=float(home.lon), home_lat=float(home.lat), capacity_hours=capacity[i],
                      region=subregions[i * len(subregions) // k])
            for i, home in enumerate(homes.itertuples(index=False))]


def _estimated_workload_hours(accounts: Accounts, nearest: np.ndarray, home_xyz: np.ndarray,
                              settings: Settings) -> np.ndarray:
    """Workload hours per territory by the design's formula; only used to size the part-time capacity."""
    k = len(home_xyz)
    seg_visits = np.array([settings.segment_visits_per_year.get(s, settings.default_visits_per_year)
                           for s in SEGMENTS])
    seg_minutes = np.array([settings.segment_visit_minutes.get(s, settings.default_visit_minutes) for s in SEGMENTS])
    segment = pd.Categorical(accounts.segment, categories=SEGMENTS).codes
    visits = np.where(np.isnan(accounts.visits_per_year), seg_visits[segment], accounts.visits_per_year)
    minutes = np.where(np.isnan(accounts.visit_minutes), seg_minutes[segment], accounts.visit_minutes)
    diff = accounts.xyz - home_xyz[nearest]
    distance = chord_to_km(np.sqrt(np.einsum("ij,ij->i", diff, diff)))
    counts = np.bincount(nearest, minlength=k)
    area = np.zeros(k)
    order = np.argsort(nearest, kind="stable")
    for t, rows in enumerate(np.split(order, np.cumsum(counts)[:-1])):
        if len(rows) >= 3:
            try:
                area[t] = ConvexHull(accounts.ea_km[rows]).volume  # in 2-D, "volume" is the area
            except QhullError:  # all points on a line
                pass
    hop = 0.7124 * np.sqrt(area / np.maximum(counts, 1))
    travel_km = settings.circuity * np.bincount(
        nearest, weights=visits * (2 * distance / settings.stops_per_day + hop[nearest]), minlength=k)
    service = np.bincount(nearest, weights=visits * minutes / 60.0, minlength=k)
    return service + travel_km / settings.speed_kmh
