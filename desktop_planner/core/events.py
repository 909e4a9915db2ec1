"""A tiny synchronous publish/subscribe bus so that views can follow the model without core knowing Qt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class AssignmentChanged:
    scenario_id: int
    accounts: np.ndarray  # row indices whose territory changed
    territories: frozenset[int]  # territory ids that gained or lost accounts


@dataclass(frozen=True)
class LocksChanged:
    scenario_id: int
    accounts: np.ndarray


@dataclass(frozen=True)
class TerritoriesChanged:
    scenario_id: int
    territories: frozenset[int]  # ids added, edited or removed


@dataclass(frozen=True)
class ScenarioSwitched:
    scenario_id: int


@dataclass(frozen=True)
class ScenariosChanged:
    """Scenarios added, deleted, renamed or their notes edited."""
    scenarios: frozenset[int]


@dataclass(frozen=True)
class SettingsChanged:
    pass


@dataclass(frozen=True)
class TeamsChanged:
    """The teams or their rules changed: which accounts each team covers may have changed."""


@dataclass(frozen=True)
class RecordsChanged:
    """A record table (core.records: actuals, quotas, holdouts, reviews) changed."""
    table: str


@dataclass(frozen=True)
class UnitLayerChanged:
    """The active geography unit layer was set, replaced or removed (core.units)."""


@dataclass(frozen=True)
class UnitsChanged:
    """Units of a scenario changed territory, or its named exception accounts changed."""
    scenario_id: int
    units: np.ndarray  # unit indices whose territory changed (empty for an exceptions change)




class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Callable[[Event], None]] = []

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Register a callback; returns a function that unsubscribes it."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def emit(self, event: Event) -> None:
        for callback in list(self._subscribers):
            callback(event)


@dataclass(frozen=True)
class AccountsChanged:
    """The accounts themselves changed (an import): row indices shifted, every per-account cache is stale."""
    added: int
    updated: int
    removed: int


Event = (AssignmentChanged | LocksChanged | TerritoriesChanged | ScenarioSwitched | ScenariosChanged
         | UnitLayerChanged | UnitsChanged | TeamsChanged | RecordsChanged
         | SettingsChanged | AccountsChanged)
