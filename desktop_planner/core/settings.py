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
    stops_per_day: float = 5.0
    circuity: float = 1.3
    speed_kmh: float = 60.0
    tolerance: float = 0.10
    balance_measure: str = "workload_hours"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def positive(name):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"setting {name} must be a positive number, got {value!r}")
        for name in ("default_visits_per_year", "default_visit_minutes", "stops_per_day", "circuity", "speed_kmh"):
            positive(name)
        if not (isinstance(self.tolerance, (int, float)) and 0 <= self.tolerance < 10):
            raise ValueError(f"setting tolerance must be a fraction such as 0.1, got {self.tolerance!r}")
        if self.balance_measure not in BALANCE_MEASURES:
            raise ValueError(f"setting balance_measure must be one of {', '.join(BALANCE_MEASURES)}, "
                             f"got {self.balance_measure!r}")
        for name in ("segment_visits_per_year", "segment_visit_minutes"):
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
