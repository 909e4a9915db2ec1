"""Baselines the auto-balance is benchmarked against: plain k-means (scipy) and PySAL spopt's SKATER (optional:
imported only when asked for). Each returns a scenario copy with the baseline's assignment."""

from __future__ import annotations

import numpy as np
from scipy.cluster.vq import kmeans2

from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.geo import EARTH_RADIUS_KM
from desktop_planner.core.model import Plan, Scenario


def kmeans_plan(plan: Plan, scenario: Scenario, seed: int = 0) -> Scenario:
    """k-means on equal-area km coordinates; each cluster becomes a territory with its home at the centre."""
    tids = scenario.territory_ids()
    points = plan.accounts.ea_km
    centres, labels = kmeans2(points, len(tids), minit="++", seed=seed, iter=20)
    # the centre's lon/lat (inverse of the cylindrical equal-area projection)
    lon = np.degrees(centres[:, 0] / EARTH_RADIUS_KM)
    lat = np.degrees(np.arcsin(np.clip(centres[:, 1] / EARTH_RADIUS_KM, -1, 1)))
    territories = {int(t): scenario.territories[int(t)].with_changes(home_lon=float(lon[i]), home_lat=float(lat[i]))
                   for i, t in enumerate(tids)}
    return Scenario(scenario.id, scenario.name, territories, tids[labels], scenario.locked.copy())


def skater_plan(plan: Plan, scenario: Scenario, floor_share: float = 0.6) -> Scenario:
    """SKATER (Assunção et al. 2006) as in spopt: a minimum spanning tree of the accounts' Delaunay graph,
    with location as the attribute, cut into K regions of at least `floor_share` of the mean number of accounts
    (spopt's floor counts observations). Territories keep no home (the measures use their medoid). Raises
    ImportError without spopt."""
    import geopandas as gpd
    import libpysal
    from spopt.region import Skater

    tids = scenario.territory_ids()
    xy = plan.accounts.ea_km
    gdf = gpd.GeoDataFrame({"x": xy[:, 0], "y": xy[:, 1]}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]))
    edges = ContiguityChecker(plan.accounts).edges  # Delaunay: connected, so no islands below the floor
    neighbours: dict[int, list[int]] = {i: [] for i in range(len(xy))}
    for a, b in edges.tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
    w = libpysal.weights.W(neighbours, silence_warnings=True)
    model_sk = Skater(gdf, w, ["x", "y"], n_clusters=len(tids), floor=int(floor_share * len(xy) / len(tids)),
                      islands="increase")
    model_sk.solve()
    labels = np.asarray(model_sk.labels_)
    _, labels = np.unique(labels, return_inverse=True)
    labels = np.minimum(labels, len(tids) - 1)
    territories = {int(t): scenario.territories[int(t)].with_changes(home_lon=None, home_lat=None) for t in tids}
    return Scenario(scenario.id, scenario.name, territories, tids[labels], scenario.locked.copy())
