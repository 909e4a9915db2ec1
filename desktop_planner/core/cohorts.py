"""After go-live: did the accounts that moved do worse than the like accounts held back (core.holdouts)?

Cohorts: 'moved' and 'held_out' as the holdout recorded them, 'unchanged' every other account of the plan. Per
account, the mean per period before go-live and from go-live over the same periods for every cohort (those in
which each cohort has actuals; an account without a row in such a period had none: 0), and its change (after -
before). Per cohort: the mean before and after, the mean change and the growth (sum after / sum before - 1).
Between cohorts, the difference in mean change and in growth with a bootstrap 95 % percentile interval
(accounts resampled within each cohort, seeded, vectorised) and a reading in plain words: an interval that
includes 0 is no clear difference, however large the bare number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from desktop_planner.core.commands import CommandError
from desktop_planner.core.holdout_commands import check_period
from desktop_planner.core.periods import period_start
from desktop_planner.core.model import Plan

COHORTS = ("moved", "held_out", "unchanged")
PAIRS = (("moved", "held_out"), ("moved", "unchanged"), ("held_out", "unchanged"))
METRICS = ("bookings", "visits")
NOUNS = {"moved": ("moved accounts", "moved ones"), "held_out": ("held-out accounts", "held-out ones"),
         "unchanged": ("unchanged accounts", "unchanged ones")}
CONFIDENCE = 0.95
BOOT_CELLS = 2_000_000  # resampled accounts per block of resamples (16 MB of indices): memory stays flat


class CohortError(CommandError):
    """Cohorts that cannot be compared (no holdout, no actuals on one side); the message is meant for the user."""


@dataclass(frozen=True)
class CohortFigures:
    cohort: str
    n: int
    before: float  # mean per account per period before go-live
    after: float  # the same from go-live
    change: float  # after - before
    growth: float  # after / before - 1 (NaN when nothing before)

    def to_dict(self) -> dict:
        return {"cohort": self.cohort, "n": self.n, "before": _num(self.before), "after": _num(self.after),
                "change": _num(self.change), "growth": _num(self.growth)}


@dataclass(frozen=True)
class Difference:
    first: str
    second: str
    measure: str  # 'change' (per account and period, in the metric's unit) or 'growth' (points)
    value: float
    low: float
    high: float
    reading: str

    @property
    def clear(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high)) and (self.low > 0 or self.high < 0)

    def to_dict(self) -> dict:
        return {"first": self.first, "second": self.second, "measure": self.measure, "value": _num(self.value),
                "ci_low": _num(self.low), "ci_high": _num(self.high), "clear": self.clear, "reading": self.reading}


@dataclass
class CohortComparison:
    holdout_id: int
    scenario_id: int
    go_live: str
    metric: str
    periods_before: list[str]
    periods_after: list[str]
    cohorts: list[CohortFigures]
    differences: list[Difference]
    n_boot: int
    seed: int
    not_in_plan: int = 0  # accounts of the holdout the plan no longer holds
    notes: list[str] = field(default_factory=list)

    def difference(self, first: str, second: str, measure: str = "growth") -> Difference | None:
        return next((d for d in self.differences if (d.first, d.second, d.measure) == (first, second, measure)),
                    None)

    def figures(self, cohort: str) -> CohortFigures:
        return next(c for c in self.cohorts if c.cohort == cohort)

    def to_dict(self) -> dict:
        return {"holdout_id": self.holdout_id, "scenario_id": self.scenario_id, "go_live": self.go_live,
                "metric": self.metric, "periods_before": self.periods_before, "periods_after": self.periods_after,
                "confidence": CONFIDENCE, "n_boot": self.n_boot, "seed": self.seed, "not_in_plan": self.not_in_plan,
                "cohorts": [c.to_dict() for c in self.cohorts], "differences": [d.to_dict() for d in self.differences],
                "notes": self.notes}

    def format_text(self) -> str:
        unit = self.metric
        lines = [f"{unit.capitalize()} per account and period, before go-live {self.go_live} "
                 f"({', '.join(self.periods_before)}) and from it ({', '.join(self.periods_after)}):",
                 f"  {'cohort':<10} {'accounts':>9} {'before':>12} {'after':>12} {'change':>12} {'growth':>8}"]
        for c in self.cohorts:
            lines.append(f"  {c.cohort:<10} {c.n:>9,} {_fmt(c.before, unit):>12} {_fmt(c.after, unit):>12} "
                         f"{_fmt(c.change, unit):>12} {_pct(c.growth):>8}")
        lines.append(f"Differences ({CONFIDENCE * 100:.0f} % bootstrap intervals, {self.n_boot:,} resamples, "
                     f"seed {self.seed}):")
        lines += [f"  {d.reading}" for d in self.differences]
        lines += [f"  ({note})" for note in self.notes]
        return "\n".join(lines)


def _num(value: float):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _fmt(value: float, metric: str) -> str:
    if value is None or math.isnan(value):
        return "–"
    text = f"{value:,.0f}" if metric == "bookings" else f"{value:,.2f}"
    return text.replace("-", "−")


def _pct(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value * 100:+.1f} %".replace("-", "−")


def pick_holdout(plan: Plan, holdout_id: int | None = None, scenario_id: int | None = None) -> pd.Series:
    """The holdout to compare: the one given, else the latest of the scenario given, else the latest of the plan's
    team."""
    table = plan.records.table("holdouts")
    if not len(table):
        raise CohortError("the project has no holdout yet (keep one with `desktop-planner holdout`)")
    table = table.sort_values("id")
    if holdout_id is not None:
        rows = table[table["id"].astype(float) == float(holdout_id)]
        if not len(rows):
            raise CohortError(f"no holdout number {holdout_id} (the project has: "
                              f"{', '.join(str(int(i)) for i in table['id'])})")
        return rows.iloc[-1]
    if scenario_id is not None:
        rows = table[table["scenario_id"].astype(float) == float(scenario_id)]
        if not len(rows):
            raise CohortError(f"scenario {plan.scenarios[scenario_id].name!r} has no holdout"
                              if scenario_id in plan.scenarios else f"scenario {scenario_id} has no holdout")
        return rows.iloc[-1]
    team = float(getattr(plan, "team_id", 0) or 0)
    rows = table[table["team_id"].fillna(0).astype(float) == team]
    if not len(rows):
        raise CohortError("this team has no holdout yet (keep one with `desktop-planner holdout`)")
    return rows.iloc[-1]


def _cohort_of_rows(plan: Plan, holdout_id: int) -> tuple[np.ndarray, int]:
    """Cohort code per account row (index into COHORTS) and how many holdout accounts the plan does not hold."""
    members = plan.records.table("holdout_accounts")
    members = members[members["holdout_id"].astype(float) == float(holdout_id)]
    code = np.full(len(plan.accounts), COHORTS.index("unchanged"), dtype=np.int64)
    rows = pd.Index(plan.accounts.ids).get_indexer(members["account_id"].astype(np.int64).to_numpy())
    found = rows >= 0
    cohort = members["cohort"].to_numpy()[found]
    code[rows[found]] = np.where(cohort == "held_out", COHORTS.index("held_out"), COHORTS.index("moved"))
    return code, int((~found).sum())


def _per_account(plan: Plan, metric: str, code: np.ndarray, go_live: str, periods=None):
    """Mean per period before and after go-live per account row, and the periods used on each side."""
    actuals = plan.records.table("actuals")
    rows = pd.Index(plan.accounts.ids).get_indexer(actuals["account_id"].astype(np.int64).to_numpy()) \
        if len(actuals) else np.empty(0, dtype=np.int64)
    frame = pd.DataFrame({"row": rows, "period": actuals["period"].astype(str).str.upper().to_numpy(),
                          "value": pd.to_numeric(actuals[metric], errors="coerce").to_numpy()})
    frame = frame[(frame["row"] >= 0) & frame["value"].notna()]
    if periods is not None:
        frame = frame[frame["period"].isin({str(p).upper() for p in periods})]
    if not len(frame):
        raise CohortError(f"no {metric} in the actuals of these accounts" + (" for those periods" if periods else ""))
    frame = frame.assign(cohort=code[frame["row"].to_numpy()])
    present = [c for c in range(len(COHORTS)) if (code == c).any()]
    have = frame.groupby("period")["cohort"].agg(lambda s: set(s.unique()))
    common = sorted((p for p, cs in have.items() if all(c in cs for c in present)), key=period_start)
    start = period_start(go_live)
    before = [p for p in common if period_start(p) < start]
    after = [p for p in common if period_start(p) >= start]
    if not before or not after:
        side = "before" if not before else "from"
        raise CohortError(f"no period with {metric} for every cohort {side} go-live {go_live} "
                          f"(periods with actuals: {', '.join(sorted(have.index, key=period_start))})")
    frame["side"] = np.where(frame["period"].isin(before), 0, np.where(frame["period"].isin(after), 1, -1))
    frame = frame[frame["side"] >= 0]
    n = len(plan.accounts)
    sums = [np.bincount(frame["row"].to_numpy()[frame["side"].to_numpy() == s],
                        weights=frame["value"].to_numpy()[frame["side"].to_numpy() == s], minlength=n)
            for s in (0, 1)]
    return sums[0] / len(before), sums[1] / len(after), before, after


def bootstrap_sums(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Column sums of `values` (accounts x k) over `n_boot` resamples of its rows with replacement: (n_boot, k).
    Blocks of resamples keep memory flat whatever the number of accounts."""
    n = len(values)
    out = np.zeros((n_boot, values.shape[1]))
    if n == 0:
        return out
    block = max(1, BOOT_CELLS // n)
    for start in range(0, n_boot, block):
        m = min(block, n_boot - start)
        idx = rng.integers(0, n, size=(m, n), dtype=np.int32 if n < 2**31 else np.int64)
        for j in range(values.shape[1]):
            out[start:start + m, j] = values[:, j][idx].sum(axis=1)
    return out


def _reading(first: str, second: str, measure: str, metric: str, value: float, low: float, high: float) -> str:
    subject, other = NOUNS[first][0], NOUNS[second][1]
    if math.isnan(value):
        return f"{subject} against {other}: {measure} undefined (no {metric} before go-live)"
    if measure == "growth":
        amount = f"{abs(value):.1f} points"
        whose = subject if metric == "bookings" else f"{subject}' visits"
        head = f"{whose} grew {amount} {'less' if value < 0 else 'more'} than {other}"
        ci = f"(95 % CI {_signed(low, 1)} to {_signed(high, 1)})"
    else:
        digits = 0 if metric == "bookings" else 2
        unit = "bookings" if metric == "bookings" else "visits"
        head = (f"{subject}' {unit} per period changed {abs(value):,.{digits}f} "
                f"{'less' if value < 0 else 'more'} than {other}'")
        ci = f"(95 % CI {_signed(low, digits)} to {_signed(high, digits)})"
    if math.isnan(low) or math.isnan(high) or low <= 0 <= high:
        return f"{head} {ci}: the interval includes 0: no clear difference"
    worse = value < 0
    if (first, second) == ("moved", "held_out"):
        what = ("the move cost revenue" if worse else "the move paid off") if metric == "bookings" else \
            ("moved accounts lost visits" if worse else "moved accounts got more visits")
    elif second == "unchanged" and first == "moved":
        what = ("moved accounts did worse than the rest" if worse else "moved accounts did better than the rest") + \
            " (the holdout tells the move from the kind of account)"
    else:
        what = "held-out accounts differ from unchanged ones: they are not like the rest"
    return f"{head} {ci}: {what}"


def _signed(value: float, digits: int) -> str:
    return "–" if math.isnan(value) else f"{value:,.{digits}f}".replace("-", "−")


def compare_cohorts(plan: Plan, holdout_id: int | None = None, metric: str = "bookings", n_boot: int = 2000,
                    seed: int = 0, scenario_id: int | None = None, periods=None) -> CohortComparison:
    """Compare moved, held-out and unchanged accounts of a holdout (the latest of the plan's team by default) in
    `metric` ('bookings' or 'visits'), with bootstrap intervals of the differences. `periods`: only these."""
    if metric not in METRICS:
        raise CohortError(f"unknown metric {metric!r}; metrics are: {', '.join(METRICS)}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 100:
        raise CohortError(f"n_boot must be a whole number of at least 100, got {n_boot!r}")
    holdout = pick_holdout(plan, holdout_id, scenario_id)
    go_live = check_period(holdout["go_live"])
    code, missing = _cohort_of_rows(plan, int(holdout["id"]))
    before, after, periods_before, periods_after = _per_account(plan, metric, code, go_live, periods)
    rng = np.random.default_rng(seed)
    figures, boot = [], {}
    for c, name in enumerate(COHORTS):
        rows = code == c
        n = int(rows.sum())
        b, a = before[rows], after[rows]
        sb, sa = float(b.sum()), float(a.sum())
        figures.append(CohortFigures(name, n, sb / n if n else math.nan, sa / n if n else math.nan,
                                     (sa - sb) / n if n else math.nan, sa / sb - 1 if sb > 0 else math.nan))
        if n:
            sums = bootstrap_sums(np.column_stack((b, a)), int(n_boot), rng)
            with np.errstate(divide="ignore", invalid="ignore"):
                boot[name] = {"change": (sums[:, 1] - sums[:, 0]) / n,
                              "growth": np.where(sums[:, 0] > 0, sums[:, 1] / sums[:, 0] - 1, np.nan)}
    by_name = {f.cohort: f for f in figures}
    differences, notes = [], []
    tail = (1 - CONFIDENCE) / 2 * 100
    for first, second in PAIRS:
        if first not in boot or second not in boot:
            notes.append(f"no {NOUNS[first if first not in boot else second][0]}: "
                         f"{first} against {second} not compared")
            continue
        for measure in ("change", "growth"):
            scale = 100.0 if measure == "growth" else 1.0  # growth differences in percentage points
            value = (getattr(by_name[first], measure) - getattr(by_name[second], measure)) * scale
            diff = (boot[first][measure] - boot[second][measure]) * scale
            diff = diff[~np.isnan(diff)]
            low, high = (np.percentile(diff, [tail, 100 - tail]) if len(diff) else (math.nan, math.nan))
            low, high = float(low), float(high)
            differences.append(Difference(first, second, measure, float(value), low, high,
                                          _reading(first, second, measure, metric, float(value), low, high)))
    if missing:
        notes.append(f"{missing:,} accounts of the holdout are not in this plan and are left out")
    return CohortComparison(int(holdout["id"]), int(holdout["scenario_id"]), go_live, metric, periods_before,
                            periods_after, figures, differences, int(n_boot), int(seed), missing, notes)
