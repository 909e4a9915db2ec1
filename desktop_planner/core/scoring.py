"""Account scores: a weighted sum of normalised columns, 0..100 per account, and tiers cut from the score.

Each component turns one column into 0..1 per account:
- "minmax": (value - min) / (max - min) over the accounts that have a value, after capping at `cap`, so that a
  few giants do not squash everyone else to zero. A column with one value throughout gives 0.5 to all: it tells
  no account apart from another, so it should neither reward nor punish anybody.
- "rank": the percentile rank, (rank - 1) / (n - 1) with tied values sharing their average rank; robust to
  outliers without choosing a cap.
- "categories": points (0..100) per text value, matched ignoring case and surrounding spaces; "*" gives the
  points of every other value.
A missing value counts 0 in every method: an account is not rewarded for what nobody knows about it.
score = 100 * sum(weight * part) / sum(weight), rounded to 0.1.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from desktop_planner.core.account_table import column_key, columns_text, is_number_column, text_codes, text_key
from desktop_planner.core.rules import read_number


class ScoringError(ValueError):
    """A score definition that is invalid, or that does not fit the accounts' columns."""


METHODS = ("minmax", "rank", "categories")
DEFAULT_CATEGORY = "*"


@dataclass(frozen=True)
class Component:
    column: str
    weight: float
    method: str = "minmax"
    cap: float | None = None
    categories: dict[str, float] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        where = f"score component {self.column!r}"
        if not column_key(self.column):
            raise ScoringError(f"score component {self.column!r} needs a column name")
        if isinstance(self.weight, bool) or not isinstance(self.weight, (int, float)) \
                or not math.isfinite(self.weight) or self.weight < 0:
            raise ScoringError(f"{where}: the weight must be a number of 0 or more, not {self.weight!r}")
        if self.method not in METHODS:
            raise ScoringError(f"{where}: unknown method {self.method!r} (use {', '.join(METHODS)})")
        if self.cap is not None and (not isinstance(self.cap, (int, float)) or not math.isfinite(self.cap)
                                     or self.cap <= 0):
            raise ScoringError(f"{where}: the cap must be a positive number, not {self.cap!r}")
        if self.method == "categories":
            if self.cap is not None:
                raise ScoringError(f"{where}: a cap applies to numbers, not to categories")
            if not self.categories:
                raise ScoringError(f"{where}: method 'categories' needs points per category, "
                                   f"e.g. Healthcare=100,*=20")
            seen: set[str] = set()
            for name, points in self.categories.items():
                key = text_key(name)
                if not key:
                    raise ScoringError(f"{where}: a category needs a name")
                if key in seen:
                    raise ScoringError(f"{where}: category {name!r} is given twice")
                seen.add(key)
                if not isinstance(points, (int, float)) or not 0 <= points <= 100:
                    raise ScoringError(f"{where}: category {name!r} has {points!r} points; use 0 to 100")
        elif self.categories is not None:
            raise ScoringError(f"{where}: categories only go with method 'categories', not {self.method!r}")


@dataclass(frozen=True)
class Tier:
    name: str
    min_score: float

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScoringError("a tier needs a name")
        if not isinstance(self.min_score, (int, float)) or not 0 <= self.min_score <= 100:
            raise ScoringError(f"tier {self.name!r}: the lowest score must be 0 to 100, not {self.min_score!r}")


@dataclass(frozen=True)
class ScoreDefinition:
    components: tuple[Component, ...]
    tiers: tuple[Tier, ...] = ()
    feeds_potential: bool = False  # the score replaces each account's potential (read by the caller)

    def __post_init__(self) -> None:
        components, tiers = tuple(self.components), tuple(self.tiers)
        if not all(isinstance(c, Component) for c in components) or not all(isinstance(t, Tier) for t in tiers):
            raise ScoringError("a score definition takes Component and Tier objects")
        if not components:
            raise ScoringError("a score needs at least one component")
        if not any(c.weight > 0 for c in components):
            raise ScoringError("a score needs at least one component with a weight above 0")
        keys = [column_key(c.column) for c in components]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ScoringError(f"the score uses column {', '.join(map(repr, repeated))} more than once; "
                               f"give each column one component")
        names = [t.name.strip().casefold() for t in tiers]
        repeated = sorted({t.name for t in tiers if names.count(t.name.strip().casefold()) > 1})
        if repeated:
            raise ScoringError(f"tier {', '.join(map(repr, repeated))} is given more than once")
        object.__setattr__(self, "components", components)
        # Highest first: an account gets the first tier whose lowest score it reaches.
        object.__setattr__(self, "tiers", tuple(sorted(tiers, key=lambda t: -t.min_score)))

    def to_json(self) -> str:
        components = [{k: v for k, v in asdict(c).items() if v is not None} for c in self.components]
        return json.dumps({"components": components, "tiers": [asdict(t) for t in self.tiers],
                           "feeds_potential": self.feeds_potential})

    @classmethod
    def from_json(cls, text: str) -> "ScoreDefinition":
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ScoringError(f"the score definition is not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("components"), list):
            raise ScoringError("the score definition has no list of components")
        try:
            components = tuple(Component(column=c["column"], weight=c["weight"], method=c.get("method", "minmax"),
                                         cap=c.get("cap"), categories=c.get("categories"))
                               for c in data["components"])
            tiers = tuple(Tier(name=t["name"], min_score=t["min_score"]) for t in data.get("tiers") or ())
        except (KeyError, TypeError, AttributeError) as exc:
            raise ScoringError(f"the score definition is incomplete or malformed ({exc!r})") from None
        return cls(components, tiers, bool(data.get("feeds_potential", False)))


def definition_from_json(text: str | None) -> ScoreDefinition | None:
    """The stored definition, or None when there is none (None or empty text)."""
    if text is None or not str(text).strip():
        return None
    return ScoreDefinition.from_json(text)


@dataclass
class ScoreResult:
    score: np.ndarray  # float64 0..100 per account, rounded to 0.1
    tier: np.ndarray  # object: tier name, or None without tiers or below the lowest tier
    parts: dict[str, np.ndarray]  # component column -> its 0..1 value per account, before weighting


def _numbers(component: Component, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(values, dtype=np.float64)
    present = ~np.isnan(values)
    if component.cap is not None:
        values = np.minimum(values, component.cap)  # NaN stays NaN
    return values, present


def _minmax(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    part = np.zeros(len(values))
    if not present.any():
        return part
    low, high = values[present].min(), values[present].max()
    part[present] = 0.5 if high == low else (values[present] - low) / (high - low)
    return part


def _rank(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    part = np.zeros(len(values))
    known = values[present]
    if len(known) == 0:
        return part
    if len(known) == 1:
        part[present] = 0.5  # as for a constant column: one value tells nothing apart
        return part
    _, inverse, counts = np.unique(known, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts + 1  # the 1-based rank where each distinct value starts
    average = first + (counts - 1) / 2.0  # ties share the mean of the ranks they span
    part[present] = (average[inverse] - 1) / (len(known) - 1)
    return part


def _categories(component: Component, values: np.ndarray) -> np.ndarray:
    keys, codes = text_codes(values)
    points = {text_key(name): p / 100.0 for name, p in component.categories.items()}
    default = points.pop(DEFAULT_CATEGORY, 0.0)
    per_key = np.array([points.get(key, default) for key in keys.tolist()], dtype=np.float64)
    return np.append(per_key, 0.0)[codes]  # code -1, a missing value, reads the 0 appended


def component_part(component: Component, table: dict[str, np.ndarray]) -> np.ndarray:
    """One component's 0..1 value per account. Raises ScoringError for an unknown or unsuitable column."""
    key = column_key(component.column)
    if key not in table:
        raise ScoringError(f"the score uses unknown column {component.column!r}; the columns are: "
                           f"{columns_text(table)}")
    values = table[key]
    if component.method == "categories":
        if is_number_column(values):
            raise ScoringError(f"column {component.column!r} holds numbers; score it with minmax or rank, "
                               f"not categories")
        return _categories(component, values)
    if not is_number_column(values):
        raise ScoringError(f"column {component.column!r} holds text; score it with categories, e.g. "
                           f"{key}:{component.weight:g}:ValueA=100,ValueB=50,*=0")
    values, present = _numbers(component, values)
    return _minmax(values, present) if component.method == "minmax" else _rank(values, present)


def compute_scores(definition: ScoreDefinition, table: dict[str, np.ndarray]) -> ScoreResult:
    n = len(next(iter(table.values()))) if table else 0
    total = sum(c.weight for c in definition.components)
    parts: dict[str, np.ndarray] = {}
    weighted = np.zeros(n)
    for component in definition.components:
        part = component_part(component, table)
        parts[component.column] = part
        weighted += component.weight * part
    score = np.round(100.0 * weighted / total, 1)
    tier = np.full(n, None, dtype=object)
    for t in reversed(definition.tiers):  # lowest first, so that each higher tier overwrites the ones below
        tier[score >= t.min_score] = t.name
    return ScoreResult(score=score, tier=tier, parts=parts)


# --- text forms for the command line ---------------------------------------------------------------------------

def _number(text: str, what: str, where: str) -> float:
    try:
        return read_number(text)
    except ValueError:
        raise ScoringError(f"{where}: {what} {text.strip()!r} is not a number") from None


def parse_component(text: str) -> Component:
    """"column:weight[:method][:cap=N][:Name=points,...,*=points]", e.g. "revenue:0.5", "employees:0.2:rank",
    "revenue:0.4:cap=5M", "industry:0.2:Healthcare=100,Technology=80,*=20" (points make it "categories")."""
    where = f"score component {text!r}"
    pieces = [p.strip() for p in str(text).split(":")]
    if len(pieces) < 2 or not pieces[0]:
        raise ScoringError(f"{where}: write column:weight, e.g. revenue:0.5")
    column, weight = pieces[0], _number(pieces[1], "the weight", where)
    method, cap, categories = None, None, None
    for piece in pieces[2:]:
        if piece.casefold() in METHODS:
            method = piece.casefold()
        elif piece.casefold().startswith("cap=") and "," not in piece:
            cap = _number(piece[4:], "the cap", where)
        elif "=" in piece:
            categories = {}
            for item in piece.split(","):
                name, sep, points = item.rpartition("=")
                if not sep or not name.strip():
                    raise ScoringError(f"{where}: {item.strip()!r} should be Category=points")
                categories[name.strip()] = _number(points, "the points", where)
        else:
            raise ScoringError(f"{where}: {piece!r} is not a method ({', '.join(METHODS)}), cap=N or "
                               f"Category=points,...")
    if method is None:
        method = "categories" if categories is not None else "minmax"
    try:
        return Component(column, weight, method, cap, categories)
    except ScoringError as exc:
        raise ScoringError(f"{where}: {exc}") from None


def parse_tiers(text: str) -> tuple[Tier, ...]:
    """"A=70,B=40,C=0" -> tiers, highest first; empty text -> no tiers."""
    tiers = []
    for item in str(text or "").split(","):
        if not item.strip():
            continue
        name, sep, low = item.rpartition("=")
        if not sep or not name.strip():
            raise ScoringError(f"tiers {text!r}: {item.strip()!r} should be Name=lowest score, e.g. A=70")
        tiers.append(Tier(name.strip(), _number(low, "the lowest score", f"tiers {text!r}")))
    names = [t.name.casefold() for t in tiers]
    if len(set(names)) != len(names):
        raise ScoringError(f"tiers {text!r}: a tier name is given more than once")
    return tuple(sorted(tiers, key=lambda t: -t.min_score))


def score_summary(score: np.ndarray, groups: np.ndarray, labels: list[str]) -> list[dict]:
    """Per group (index into labels; -1 ignored): label, count, min, q1, median, q3, max, mean of the scores,
    ignoring NaN. A group without scores has count 0 and NaN figures."""
    score, groups = np.asarray(score, dtype=np.float64), np.asarray(groups)
    keep = (groups >= 0) & ~np.isnan(score)
    order = np.argsort(groups[keep], kind="stable")
    by_group, values = groups[keep][order], score[keep][order]
    bounds = np.searchsorted(by_group, np.arange(len(labels) + 1))
    summary = []
    for g, label in enumerate(labels):
        v = values[bounds[g]:bounds[g + 1]]
        if len(v):
            q = np.percentile(v, [0, 25, 50, 75, 100])
            stats = dict(zip(("min", "q1", "median", "q3", "max"), map(float, q)), mean=float(v.mean()))
        else:
            stats = dict.fromkeys(("min", "q1", "median", "q3", "max", "mean"), math.nan)
        summary.append({"label": label, "count": int(len(v)), **stats})
    return summary
