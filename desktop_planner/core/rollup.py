"""The territory hierarchy: territories carry a region; measures roll up to regions and balance across them.

The same roll-up groups territories by rep (`summary --by rep`): a rep holding two territories is compared with
two average territories, as a region is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from desktop_planner.core.measures import DEVIATION_MEASURES, MEASURES, Measures
from desktop_planner.core.model import Scenario, Territory

NO_REGION = "(no region)"


@dataclass(frozen=True)
class RegionFigures:
    region: str  # the group's name: a region, or a rep for the roll-up by rep
    territories: list[int]
    values: dict[str, float]
    deviation: dict[str, float]  # from the mean region total per territory, scaled by the region's size
    # The signed deviation of the group's territory furthest from its own target: a region in balance as a
    # whole can still hold one territory far over and one far under.
    largest_deviation: dict[str, float]


def region_rollup(scenario: Scenario, measures: Measures) -> list[RegionFigures]:
    """Sum every measure per region. A region's target is the plan's mean per territory times the number of
    its territories, so a region of 3 territories is compared with 3 average territories."""
    return group_rollup(scenario, measures, lambda t: t.region or NO_REGION)


def group_rollup(scenario: Scenario, measures: Measures, group: Callable[[Territory], str]) -> list[RegionFigures]:
    """region_rollup for any grouping of the territories (`group(territory)` names its group), in the order the
    groups first appear."""
    groups: dict[str, list[int]] = {}
    for i, tid in enumerate(measures.territory_ids.tolist()):
        groups.setdefault(group(scenario.territories[tid]), []).append(i)
    k = max(measures.k, 1)
    result = []
    for name, positions in groups.items():
        values = {m: float(measures.values[m][positions].sum()) for m in MEASURES}
        deviation, largest = {}, {}
        for m in DEVIATION_MEASURES:
            target = float(measures.values[m].sum()) / k * len(positions)
            deviation[m] = (values[m] - target) / target if target > 0 else 0.0
            own = measures.deviations[m][positions]
            largest[m] = float(own[abs(own).argmax()])
        result.append(RegionFigures(name, [int(measures.territory_ids[p]) for p in positions], values, deviation,
                                    largest))
    return result


def region_colors(scenario: Scenario, palette: list[str]) -> dict[int, str]:
    """Territory id -> its region's colour, for colouring the map by region."""
    names = list(dict.fromkeys(t.region or NO_REGION for t in scenario.territories.values()))
    colour = {name: palette[i % len(palette)] for i, name in enumerate(names)}
    return {tid: colour[t.region or NO_REGION] for tid, t in scenario.territories.items()}
