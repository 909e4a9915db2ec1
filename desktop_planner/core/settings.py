"""Workload, travel and balance parameters of a project (stored as JSON under project.settings)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields

BALANCE_MEASURES = ("accounts", "potential", "service_hours", "travel_hours", "workload_hours")


def _default_segment_visits() -> dict[str, float]:
    return {"Enterprise": 24.0, "Mid-market": 12.0, "SMB": 6.0}


def _default_segment_minutes() -> dict[str, float]:
    return {"Enterprise": 90.0, "Mid-market": 60.0, "SMB": 30.0}


@dataclass
class Settings:
    default_visits_per_year: float = 12.0
    default_visit_minutes: float = 45.0
    segment_visits_per_year: dict[str, float] = field(default_factory=_default_segment_visits)
    segment_visit_minutes: dict[str, float] = field(default_factory=_default_segment_minutes)
    # Visits by score tier (core.scoring): before the segment's, after the account's own figure. Empty: tiers set
    # no visits.
    tier_visits_per_year: dict[str, float] = field(default_factory=dict)
    tier_visit_minutes: dict[str, float] = field(default_factory=dict)
    stops_per_day: float = 5.0
    circuity: float = 1.3
    speed_kmh: float = 60.0
    tolerance: float = 0.10
    balance_measure: str = "workload_hours"
    # The overnight rule and flights (core/travel.py). overnight_km is ONE-WAY ROAD km (great-circle km ×
    # circuity): the limit is on how far a rep drives, so a curvier road network reaches it sooner.
    overnight_km: float = 250.0
    night_hours: float = 0.0  # working hours charged per night away; 0: nights are counted, not charged
    # flight_km is STRAIGHT-LINE km: beyond it a visit is flown, whatever the roads.
    flight_km: float = 1000.0
    flight_hours: float = 8.0  # travel hours of one flown visit (to the airport, the flight, a hire car)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def number(name, zero_allowed):
            value = getattr(self, name)
            usable = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                      and (value >= 0 if zero_allowed else value > 0))
            if not usable:
                wording = "non-negative" if zero_allowed else "positive"
                raise ValueError(f"setting {name} must be a {wording} number, got {value!r}")
        for name in ("default_visits_per_year", "default_visit_minutes", "stops_per_day", "circuity", "speed_kmh",
                     "overnight_km", "flight_km"):
            number(name, zero_allowed=False)
        for name in ("night_hours", "flight_hours"):
            number(name, zero_allowed=True)
        if not (isinstance(self.tolerance, (int, float)) and 0 <= self.tolerance < 10):
            raise ValueError(f"setting tolerance must be a fraction such as 0.1, got {self.tolerance!r}")
        if self.balance_measure not in BALANCE_MEASURES:
            raise ValueError(f"setting balance_measure must be one of {', '.join(BALANCE_MEASURES)}, "
                             f"got {self.balance_measure!r}")
        for name in ("segment_visits_per_year", "segment_visit_minutes", "tier_visits_per_year", "tier_visit_minutes"):
            for seg, value in getattr(self, name).items():
                if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                    raise ValueError(f"setting {name}[{seg!r}] must be a non-negative number, got {value!r}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "Settings":
        """Read stored settings; unknown keys (from a newer version) are ignored, missing ones take defaults."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"project settings are not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError("project settings must be a JSON object")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
