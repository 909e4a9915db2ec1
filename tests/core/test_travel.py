"""The per-visit travel rules (core/travel.py) and their settings: day trips, the overnight cap, flights."""

import json
from dataclasses import replace

import numpy as np
import pytest

from desktop_planner.core.geo import haversine_km
from desktop_planner.core.settings import Settings
from desktop_planner.core.travel import (land_mass, overnight, visit_is_flight, visit_nights, visit_travel_hours,
                                         visit_travel_km)

LOS_ANGELES = (-118.2437, 34.0522)
SAN_DIEGO = (-117.1611, 32.7157)
HONOLULU = (-157.8583, 21.3069)
KAHULUI_MAUI = (-156.4700, 20.8893)
ANCHORAGE = (-149.9003, 61.2181)
SEATTLE = (-122.3321, 47.6062)
SAN_JUAN = (-66.1057, 18.4655)


def old_formula(d, hop, s: Settings):
    """The day-trip formula from before the overnight rule: c × (2 d / stops + hop)."""
    return s.circuity * (2 * d / s.stops_per_day + hop)


def test_day_trips_keep_the_old_formula_and_the_overnight_cap_is_monotone():
    s = Settings()
    limit = s.overnight_km / s.circuity  # straight-line km where the one-way road distance reaches 250 km
    d = np.linspace(0, 3 * limit, 2001)
    km = visit_travel_km(d, 4.0, s)
    below = d <= limit
    np.testing.assert_allclose(km[below], old_formula(d[below], 4.0, s), rtol=1e-12)
    assert np.all(np.diff(km) >= 0), "never cheaper to visit a farther account"
    # Beyond the limit the drive is charged as if at the limit: bounded, and continuous at the limit.
    np.testing.assert_allclose(km[~below], s.circuity * 4.0 + 2 * s.overnight_km / s.stops_per_day)
    assert visit_travel_km(np.array([limit * 1.0001]), 4.0, s)[0] == pytest.approx(old_formula(limit, 4.0, s))
    assert km.max() < old_formula(d.max(), 4.0, s)


def test_overnight_is_by_road_km_and_counts_a_night_per_visit_day():
    s = Settings(circuity=1.25, overnight_km=250.0, stops_per_day=4)
    d = np.array([0.0, 199.0, 200.0, 201.0, 900.0])  # 200 km straight line = 250 road km
    assert overnight(d, s).tolist() == [False, False, False, True, True]
    assert visit_nights(d, s).tolist() == [0, 0, 0, 0.25, 0.25]  # four visits a day: a quarter night each
    # Nights cost hours only when asked to.
    hours = visit_travel_hours(d, 0.0, s)
    np.testing.assert_allclose(hours, visit_travel_km(d, 0.0, s) / s.speed_kmh)
    priced = visit_travel_hours(d, 0.0, replace(s, night_hours=2.0))
    np.testing.assert_allclose(priced - hours, [0, 0, 0, 0.5, 0.5])


def flight(home, account, s=None):
    s = s or Settings()
    distance = haversine_km(account[0], account[1], home[0], home[1])
    return bool(visit_is_flight(account[0], account[1], home[0], home[1], distance, s)[0])


def test_flights_across_open_water_or_beyond_the_flight_distance():
    assert flight(LOS_ANGELES, HONOLULU)
    assert not flight(LOS_ANGELES, SAN_DIEGO)
    assert flight(HONOLULU, KAHULUI_MAUI), "Oahu to Maui is 160 km, but of sea"
    assert flight(SEATTLE, ANCHORAGE)
    assert flight(SAN_JUAN, LOS_ANGELES)
    # The land-mass rule alone: even with a huge flight distance, Alaska is not driven to from Seattle.
    assert flight(SEATTLE, ANCHORAGE, Settings(flight_km=1e5))
    assert not flight(LOS_ANGELES, (-73.9857, 40.7484), Settings(flight_km=1e5))  # New York: same land mass
    assert land_mass(*HONOLULU) != land_mass(*KAHULUI_MAUI) != 0 and land_mass(*SEATTLE) == 0


def test_a_flown_visit_costs_flight_hours_instead_of_road_km():
    s = Settings(flight_hours=8.0)
    d = np.array([100.0, 4100.0])
    flown = np.array([False, True])
    km = visit_travel_km(d, 2.0, s, flown)
    assert km[0] == pytest.approx(old_formula(100.0, 2.0, s)) and km[1] == 0.0
    hours = visit_travel_hours(d, 2.0, s, flown)
    assert hours.tolist() == pytest.approx([km[0] / s.speed_kmh, 8.0])


def test_pair_tables_broadcast():
    """The optimizer prices every (account, territory) pair: (n, 1) accounts against (1, k) homes."""
    s = Settings()
    acc = np.array([SAN_DIEGO, HONOLULU])
    homes = np.array([LOS_ANGELES, HONOLULU])
    distance = np.array([[float(haversine_km(a[0], a[1], h[0], h[1])[0]) for h in homes] for a in acc])
    flown = visit_is_flight(acc[:, :1], acc[:, 1:], homes[:, 0][None, :], homes[:, 1][None, :], distance, s)
    assert flown.tolist() == [[False, True], [True, False]]
    assert visit_travel_km(distance, np.zeros((1, 2)), s, flown).shape == (2, 2)


@pytest.mark.parametrize("name,value,wording", [
    ("overnight_km", 0, "positive"), ("overnight_km", float("nan"), "positive"), ("flight_km", -5, "positive"),
    ("flight_hours", -1, "non-negative"), ("night_hours", "two", "non-negative")])
def test_bad_travel_settings_are_refused_by_name(name, value, wording):
    with pytest.raises(ValueError, match=f"setting {name} must be a {wording} number"):
        Settings(**{name: value})


def test_travel_settings_are_stored_and_default_for_old_projects():
    s = Settings(overnight_km=300.0, night_hours=1.5, flight_km=800.0, flight_hours=6.0)
    assert Settings.from_json(s.to_json()) == s
    old = json.loads(Settings().to_json())
    for name in ("overnight_km", "night_hours", "flight_km", "flight_hours"):
        del old[name]
    defaults = Settings.from_json(json.dumps(old))
    assert (defaults.overnight_km, defaults.night_hours, defaults.flight_km, defaults.flight_hours) == \
        (250.0, 0.0, 1000.0, 8.0)
