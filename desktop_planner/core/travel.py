"""Travel of one visit (DESIGN.md, "Measures"): the day-trip formula, the overnight rule and flights.

The measures (core/measures.py) and the optimizer both price a visit with these functions, for every account
of a territory or every (account, territory) pair, so that the two agree to the last digit. Everything is
vectorised and broadcasts: pass (n, 1) accounts against (1, k) homes for a pair table.

The rules, with the settings they read (core/settings.py):

- Day trip. A visit at great-circle distance d from home shares a round trip among `stops_per_day` stops
  and adds one local hop h (BHH estimate): road km = c * (2 d / s + h), c = `circuity`.
- Overnight. When the ONE-WAY ROAD distance c * d is beyond `overnight_km` (road km, because the limit is
  about how far a rep drives out and back in a day), the rep drives out once for a multi-day trip and sleeps
  away instead of repeating the round trip. The visit's share of the long drive is then charged as if the
  account were at the limit: road km = c * h + 2 * min(c * d, overnight_km) / s. That equals the day-trip
  formula up to the limit, is continuous and never decreases with d, and is bounded above it. Each
  overnight visit is 1/s of a day away, so it counts 1/s night; a night costs `night_hours` working hours
  (default 0: nights are counted and shown, the hours are in the capped drive).
- Flights. A visit is flown when home and account are more than `flight_km` apart in a straight line, or
  on different land masses (boxes below). A flown visit costs `flight_hours` instead of any road km (the
  local getting around is in that figure).
"""

from __future__ import annotations

import numpy as np

# Land masses that cannot be driven to from each other, as lon/lat boxes (degrees); everything outside
# every box, the contiguous US with Canada and Mexico among it, is land mass 0. The boxes are coarse: they
# only have to separate places that are hundreds of km of sea apart (or, for Alaska, of roadless country:
# a lower-48 home is beyond `flight_km` from Alaska anyway; the boxes still catch a raised `flight_km`).
# Each main Hawaiian island is its own land mass (Oahu to Maui is a flight); the other islands share one box.
# Where boxes overlap, the first listed wins.
LAND_MASSES = (
    # code, name, lon min, lon max, lat min, lat max
    (1, "Hawaii: Kauai and Niihau", -160.40, -159.10, 21.70, 22.40),
    (2, "Hawaii: Oahu", -158.40, -157.50, 21.15, 21.80),
    (3, "Hawaii: Molokai", -157.40, -156.70, 21.00, 21.30),
    (4, "Hawaii: Lanai", -157.10, -156.78, 20.70, 20.95),
    (5, "Hawaii: Maui and Kahoolawe", -156.70, -155.90, 20.45, 21.10),
    (6, "Hawaii: the Big Island", -156.10, -154.70, 18.85, 20.30),
    (7, "Hawaii: other islands", -179.50, -154.00, 18.50, 29.00),
    (8, "Alaska", -180.00, -141.00, 51.00, 72.00),  # west of the 141st meridian, the Yukon border
    (8, "Alaska: the panhandle", -141.00, -130.00, 54.60, 59.90),  # also takes in a corner of British Columbia
    (8, "Alaska: western Aleutians", 172.00, 180.00, 51.00, 56.00),
    (9, "Puerto Rico", -68.00, -65.15, 17.80, 18.60),
    (10, "US Virgin Islands", -65.10, -64.50, 17.60, 18.45),
)


def land_mass(lon, lat) -> np.ndarray:
    """Land-mass code per point (0 for the mainland and anything outside the boxes); same shape as lon."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    code = np.zeros(np.broadcast(lon, lat).shape, dtype=np.int8)
    # Reversed, so the first box listed wins where boxes overlap (the islands inside "other islands").
    for number, _name, lon0, lon1, lat0, lat1 in reversed(LAND_MASSES):
        code[(lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)] = number
    return code


def visit_is_flight(account_lon, account_lat, home_lon, home_lat, distance_km, settings,
                    account_land: np.ndarray | None = None, home_land: np.ndarray | None = None) -> np.ndarray:
    """True where a visit is flown: straight-line `distance_km` beyond `flight_km`, or home and account on
    different land masses. Broadcasts. `account_land` and `home_land` (from `land_mass`, shaped like the
    coordinates they replace) save recomputing the codes when the same points are priced many times."""
    if account_land is None:
        account_land = land_mass(account_lon, account_lat)
    if home_land is None:
        home_land = land_mass(home_lon, home_lat)
    return (np.asarray(distance_km, dtype=np.float64) > settings.flight_km) | (account_land != home_land)


def overnight(distance_km, settings) -> np.ndarray:
    """True where the one-way road distance (great-circle km × circuity) is beyond `overnight_km`."""
    return settings.circuity * np.asarray(distance_km, dtype=np.float64) > settings.overnight_km


def visit_travel_km(distance_km: np.ndarray, hop_km: np.ndarray | float, settings,
                    flight: np.ndarray | None = None) -> np.ndarray:
    """Road km attributed to ONE visit of an account at great-circle `distance_km` from its home, with local
    hop `hop_km` (BHH): circuity and the overnight cap included. `flight` (from `visit_is_flight`) zeroes the
    road km of flown visits; without it every visit is driven, and the result never decreases with distance."""
    c, s = settings.circuity, settings.stops_per_day
    road = c * np.asarray(distance_km, dtype=np.float64)
    km = c * np.asarray(hop_km, dtype=np.float64) + 2.0 * np.minimum(road, settings.overnight_km) / s
    return km if flight is None else np.where(flight, 0.0, km)


def visit_nights(distance_km, settings) -> np.ndarray:
    """Nights away per visit: 1/stops_per_day for an overnight visit (a day of s visits ends in one night)."""
    return overnight(distance_km, settings) / settings.stops_per_day


def visit_travel_hours(distance_km: np.ndarray, hop_km: np.ndarray | float, settings,
                       flight: np.ndarray | None = None) -> np.ndarray:
    """Travel hours of ONE visit: its road km at `speed_kmh`, `flight_hours` if flown, `night_hours` per
    night away. This is what workload adds per visit."""
    hours = visit_travel_km(distance_km, hop_km, settings, flight) / settings.speed_kmh
    if settings.night_hours:
        hours = hours + settings.night_hours * visit_nights(distance_km, settings)
    if flight is not None:
        hours = hours + np.where(flight, settings.flight_hours, 0.0)
    return hours
