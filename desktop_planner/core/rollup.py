"""The territory hierarchy: territories carry a region; measures roll up to regions and balance across them."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_planner.core.measures import DEVIATION_MEASURES, MEASURES, Measures
from desktop_planner.core.model import Scenario

NO_REGION = "(no region)"


@dataclass(frozen=True)
class RegionFigures:
    region: str
    territories: list[int]
    values: dict[str, float]
    deviation: dict[str, float]  # from the mean region total per territory, scaled by the region's size


def region_rollup(scenario: Scenario, measures: Measures) -> list[RegionFigures]:
    """Sum every measure per region. A region's target is the plan's mean per territory times the number of
    its territories, so a region of 3 territories is compared with 3 average territories."""
    regions: dict[str, list[int]] = {}
    for i, tid in enumerate(measures.territory_ids.tolist()):
        regions.setdefault(scenario.territories[tid].region or NO_REGION, []).append(i)
    k = max(measures.k, 1)
    result = []
    for region, positions in regions.items():
        values = {m: float(measures.values[m][positions].sum()) for m in MEASURES}
        deviation = {}
        for m in DEVIATION_MEASURES:
            target = float(measures.values[m].sum()) / k * len(positions)
            deviation[m] = (values[m] - target) / target if target > 0 else 0.0
        result.append(RegionFigures(region, [int(measures.territory_ids[p]) for p in positions], values, deviation))
    return result


def region_colors(scenario: Scenario, palette: list[str]) -> dict[int, str]:
    """Territory id -> its region's colour, for colouring the map by region."""
    names = list(dict.fromkeys(t.region or NO_REGION for t in scenario.territories.values()))
    colour = {name: palette[i % len(palette)] for i, name in enumerate(names)}
    return {tid: colour[t.region or NO_REGION] for tid, t in scenario.territories.items()}
