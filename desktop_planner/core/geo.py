"""Coordinate transforms and distances, vectorised with numpy.

Distances are great-circle distances on a sphere of the mean Earth radius; hull areas are computed in the
Lambert cylindrical equal-area projection so that km^2 are true at every latitude.
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088
MERCATOR_RADIUS_M = 6378137.0
MAX_MERCATOR_LAT = 85.05112878


def lonlat_to_mercator(lon, lat):
    """WGS84 degrees -> Web Mercator (EPSG:3857) metres."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.clip(np.asarray(lat, dtype=np.float64), -MAX_MERCATOR_LAT, MAX_MERCATOR_LAT)
    x = np.radians(lon) * MERCATOR_RADIUS_M
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * MERCATOR_RADIUS_M
    return x, y


def mercator_to_lonlat(x, y):
    lon = np.degrees(np.asarray(x, dtype=np.float64) / MERCATOR_RADIUS_M)
    lat = np.degrees(2 * np.arctan(np.exp(np.asarray(y, dtype=np.float64) / MERCATOR_RADIUS_M)) - np.pi / 2)
    return lon, lat


def lonlat_to_unit_xyz(lon, lat) -> np.ndarray:
    """Unit vectors on the sphere, shape (n, 3); the chord between two gives the great-circle distance."""
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def lonlat_to_equal_area_km(lon, lat) -> np.ndarray:
    """Lambert cylindrical equal-area coordinates in km, shape (n, 2)."""
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    return np.column_stack((EARTH_RADIUS_KM * lam, EARTH_RADIUS_KM * np.sin(phi)))


def chord_to_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle km from the straight-line distance between unit vectors (numerically stable for short hops)."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord * 0.5, 0.0, 1.0))


def great_circle_km(xyz_a: np.ndarray, xyz_b: np.ndarray) -> np.ndarray:
    """Row-wise great-circle distance between two (n, 3) arrays of unit vectors (or one broadcast (3,))."""
    diff = xyz_a - xyz_b
    return chord_to_km(np.sqrt(np.einsum("...i,...i->...", diff, diff)))


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle km between lon/lat pairs (degrees), for callers without precomputed unit vectors."""
    return great_circle_km(lonlat_to_unit_xyz(lon1, lat1), lonlat_to_unit_xyz(lon2, lat2))
