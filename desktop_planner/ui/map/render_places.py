"""Places a printed map is framed on: the US regions of the demo data (`render --extent northeast`) and the
Alaska and Hawaii insets, both from the states' outlines (io.unit_layers.us_states, Census 1:500k).

A region's box is the union of its states' bounding boxes. An inset holds the accounts within INSET_REACH_DEG of
its state (its coast included: geocoded accounts sit on piers and islets the 1:500k outline leaves out), and
shows the parts of the state those accounts are on: the Hawaii inset shows the main islands, not the whole
1,500 km chain out to Kure Atoll.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import shapely

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.io.demo import REGIONS

INSET_STATES = (("AK", "Alaska"), ("HI", "Hawaii"))
INSET_REACH_DEG = 0.3
INSET_PAD = 0.08  # of the inset's extent, on each side
INSET_MIN_SPAN_M = 250_000.0  # one account alone is shown with its surroundings, not as a pinpoint
# Alaska's Aleutians cross the antimeridian: its outline is kept west of it, which holds all but a few islets.
WESTERN_HEMISPHERE = (-180.0, -90.0, 0.0, 90.0)


@dataclass(frozen=True)
class Inset:
    name: str  # "Alaska"
    extent: tuple[float, float, float, float]  # Web Mercator (xmin, ymin, xmax, ymax) the inset shows
    rows: np.ndarray  # bool per account: drawn in this inset, left out of the main map's frame


@functools.lru_cache(maxsize=1)
def _states() -> dict[str, shapely.Geometry]:
    from desktop_planner.io.unit_layers import us_states
    layer = us_states()
    return {str(code): shapely.clip_by_rect(geometry, *WESTERN_HEMISPHERE)
            for code, geometry in zip(layer.ids, layer.geometries)}


def region_box(name: str) -> tuple[float, float, float, float]:
    """(lon0, lat0, lon1, lat1) around the states of a region of io.demo.REGIONS ("northeast", "us", ...).
    Raises ValueError naming the regions for another name."""
    key = name.strip().lower()
    if key not in REGIONS:
        raise ValueError(f"unknown region {name!r}; the regions are: {', '.join(REGIONS)}")
    states = _states()
    bounds = np.array([states[code].bounds for code in REGIONS[key] if code in states])
    return (float(bounds[:, 0].min()), float(bounds[:, 1].min()), float(bounds[:, 2].max()),
            float(bounds[:, 3].max()))


def find_insets(lon: np.ndarray, lat: np.ndarray) -> list[Inset]:
    """An inset for Alaska and one for Hawaii when accounts are there and others are elsewhere (a plan of
    Alaska alone is simply mapped, not inset)."""
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    states = _states()
    insets, inside = [], np.zeros(len(lon), dtype=bool)
    for code, name in INSET_STATES:
        state = states.get(code)
        if state is None or state.is_empty:
            continue
        x0, y0, x1, y1 = state.bounds
        reach = INSET_REACH_DEG
        near = np.flatnonzero((lon >= x0 - reach) & (lon <= x1 + reach) & (lat >= y0 - reach) & (lat <= y1 + reach))
        if near.size:  # the box is a cheap first cut; the outline decides
            near = near[shapely.dwithin(state, shapely.points(lon[near], lat[near]), reach)]
        if not near.size:
            continue
        rows = np.zeros(len(lon), dtype=bool)
        rows[near] = True
        inside |= rows
        insets.append(Inset(name, _inset_extent(state, lon[near], lat[near]), rows))
    if not insets or inside.all():
        return []
    return insets


def _inset_extent(state: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    """The parts of the state near its accounts, and the accounts, in Web Mercator with a margin."""
    parts = shapely.get_parts(state)
    points = shapely.points(lon, lat)
    tree = shapely.STRtree(parts)
    used = np.unique(tree.query(points, predicate="dwithin", distance=INSET_REACH_DEG)[1])
    boxes = [shapely.bounds(parts[used])] if used.size else []
    boxes.append(np.column_stack((lon, lat, lon, lat)))
    box = np.vstack(boxes)
    (x0, x1), (y0, y1) = lonlat_to_mercator(np.array([box[:, 0].min(), box[:, 2].max()]),
                                            np.array([box[:, 1].min(), box[:, 3].max()]))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = max((x1 - x0) * (0.5 + INSET_PAD), INSET_MIN_SPAN_M / 2)
    half_h = max((y1 - y0) * (0.5 + INSET_PAD), INSET_MIN_SPAN_M / 2)
    return float(cx - half_w), float(cy - half_h), float(cx + half_w), float(cy + half_h)
