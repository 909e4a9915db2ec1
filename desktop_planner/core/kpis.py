"""How each territory and the whole plan do after go-live, period by period, from the actuals and quotas
(core.records) — what the KPI dock draws and `desktop-planner kpis` prints.

Who an account's figures count for. In a period, an account belongs to the territory whose rep was the account's
owner at the time: the `owner` of its actuals rows in that period, matched to the territories of the scenario
(default: the active one) by the rep's id, e-mail or name, case ignored, or failing those by the territory's name
(core.quotas.rep_lookup). Rows naming different owners: the territory most of them answer to (ties: a territory
before an owner no territory answers to, then the lower territory id). An account without actuals in the period,
or whose owner matches no territory, belongs to its territory in the scenario; an unassigned one to "No owner"
(id -1), listed only when some account falls there. Only the plan's accounts count (with teams, the team's).

Per territory and period (NaN where a figure has nothing to stand on: no quota, no accounts, no potential):
- accounts: the accounts that belong to it; bookings, visits: the sums of their actuals rows, whoever booked or
  visited (a missing figure counts as 0); quota: its rep's quota for the period (the plan's team; the quota rows
  whose rep answers to the territory's rep, as above).
- quota_attainment = bookings / quota.
- revenue = the sum of bookings.
- growth = revenue / revenue in the same period a year before - 1 when the plan has actuals in that period, else
  against the period just before (2026-Q1 -> 2025-Q4) when it has actuals then; NaN when neither has, or the
  base revenue is 0. growth_base names the period compared with (missing when neither). The base is the territory's
  revenue in that period as it was then (the accounts that belonged to it then).
- penetration = bookings / (potential x the period's share of a year: a quarter 0.25, a month 1/12), the
  potential of its accounts.
- coverage_accounts = the share of its accounts visited at least at their planned frequency in the period: visits
  >= max(1, floor(planned visits a year x the period's share of a year)), planned visits as the measures read them
  (core.visit_figures: the account's own, else its tier's, segment's or the project default).
- coverage_potential = the same share weighted by potential.
- overlap_rate = the share of its accounts visited (visits > 0) by more than one distinct rep of the scenario's
  territories in the period (a visiting rep matched like owners; reps matching no territory are not counted).
- unattended_high_score = the number of its accounts in the top score tier (the first of plan.scoring.tiers; with a
  score but no tiers: the top fifth by score; without a score: the top fifth by potential — the accounts at or
  above the value of the ceil(n/5)-th highest) with no visit in the period.
The plan row: the same over all the plan's accounts, with quota = the sum of the team's quotas for the period
(quota_attainment = total bookings / total quota) and growth from the plan's revenue.

Periods: those in which the plan's accounts have actuals (or the ones asked for), ordered by start. Actuals rows
whose period is not a period (written by hand into the file) are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from desktop_planner.core.model import Plan, Scenario
from desktop_planner.core.periods import PeriodError, check_period, period_fraction, period_sort_key, \
    previous_period, year_before
from desktop_planner.core.quotas import match_reps, quotas_of, rep_label, rep_lookup
from desktop_planner.core.visit_figures import effective_visits_and_minutes

KPI_NAMES = ("quota_attainment", "revenue", "growth", "penetration", "coverage_accounts", "coverage_potential",
             "overlap_rate", "unattended_high_score")
KPI_LABELS = {
    "quota_attainment": "Quota attainment",
    "revenue": "Revenue",
    "growth": "Growth",
    "penetration": "Penetration",
    "coverage_accounts": "Coverage (accounts)",
    "coverage_potential": "Coverage (potential)",
    "overlap_rate": "Overlap",
    "unattended_high_score": "Unvisited top accounts",
}
KPI_FORMATS = {
    "quota_attainment": "percent", "revenue": "money", "growth": "percent", "penetration": "percent",
    "coverage_accounts": "percent", "coverage_potential": "percent", "overlap_rate": "percent",
    "unattended_high_score": "count",
}
NO_OWNER = (-1, "No owner")
TOP_SHARE = 0.2  # without score tiers, the top fifth counts as high score
COLUMNS = ["period", "territory_id", "territory", "rep", "accounts", "bookings", "quota", "visits", *KPI_NAMES,
           "growth_base"]
PLAN_COLUMNS = ["period", "accounts", "bookings", "quota", "visits", *KPI_NAMES, "growth_base"]


@dataclass
class KpiResult:
    periods: list[str]  # ordered by start
    territories: list[tuple[int, str]]  # (id, name) in the panel's order, then NO_OWNER when needed
    by_territory: pd.DataFrame  # COLUMNS: a row per period and territory
    plan: pd.DataFrame  # PLAN_COLUMNS: a row per period, the whole plan


def high_score_accounts(plan: Plan) -> np.ndarray:
    """Mask of the plan's high-score accounts: the top tier; with a score but no tiers the top fifth by score;
    without a score the top fifth by potential (ties at the border are in)."""
    accounts = plan.accounts
    n = len(accounts)
    scoring = plan.scoring
    if scoring is not None and scoring.tiers:
        return np.array([t == scoring.tiers[0].name for t in accounts.tier.tolist()], dtype=bool)
    values = np.asarray(accounts.score if scoring is not None else accounts.potential, dtype=float)
    present = ~np.isnan(values)
    if n == 0 or not present.any():
        return np.zeros(n, dtype=bool)
    k = max(1, math.ceil(TOP_SHARE * int(present.sum())))
    border = np.sort(values[present])[::-1][k - 1]
    return present & (values >= border)


def _normalised(periods) -> np.ndarray:
    """Each period in the kept form, None where it is not a period (each distinct text checked once)."""
    codes, uniques = pd.factorize(pd.Series(periods, dtype=object), use_na_sentinel=True)
    kept = []
    for p in uniques.tolist():
        try:
            kept.append(check_period(p))
        except PeriodError:
            kept.append(None)
    out = np.array(kept + [None], dtype=object)  # code -1 (missing) -> None
    return out[codes]


def _rep_codes(values: np.ndarray, lookup: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(a code per distinct non-empty text, -1 for empty; the territory id each code's text answers to, -1: none)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    texts = [str(u).strip() for u in uniques.tolist()]
    empty = np.array([not t for t in texts] + [True], dtype=bool)
    codes = np.where(empty[codes], -1, codes)
    return codes, match_reps(texts, lookup) if texts else np.zeros(0, dtype=np.int64)


def _unique_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(keys, return_counts=True) by sorting (numpy's hashing unique is several times slower here)."""
    ordered = np.sort(keys)
    if not len(ordered):
        return ordered, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


@dataclass
class _PeriodFigures:
    """Per account of the plan, for one period."""
    territory: np.ndarray  # territory id the account belongs to (-1: no owner)
    bookings: np.ndarray
    visits: np.ndarray
    reps: np.ndarray  # distinct territories' reps that visited it


def _figures(plan: Plan, scenario: Scenario, actuals: pd.DataFrame, periods: list[str]) -> dict[str, _PeriodFigures]:
    """Per period, each account's territory (by its owner at the time), bookings, visits and visiting reps. Done on
    integer codes of (period, account): a million rows of actuals take well under a second."""
    n = len(plan.accounts)
    lookup = rep_lookup(scenario.territories.values())
    base = np.where(scenario.territory_index() >= 0, scenario.assignment, -1).astype(np.int64)
    slot = {p: k for k, p in enumerate(periods)}
    codes, uniques = pd.factorize(actuals["period"])
    period_code = np.array([slot.get(p, np.nan) for p in uniques.tolist()] + [np.nan])[codes]
    rows = actuals[~np.isnan(period_code)]
    cell = (period_code[~np.isnan(period_code)].astype(np.int64) * n + rows["row"].to_numpy(dtype=np.int64))
    size = len(periods) * n
    bookings = np.bincount(cell, weights=np.nan_to_num(rows["bookings"].to_numpy(dtype=float)), minlength=size)
    visit_counts = np.nan_to_num(rows["visits"].to_numpy(dtype=float))
    visits = np.bincount(cell, weights=visit_counts, minlength=size)
    territory = np.tile(base, len(periods))
    # The owner most of a cell's rows name, counted per territory the owner answers to (by id, e-mail or name
    # alike); an owner no territory answers to is a candidate of its own and, when it wins, leaves the account
    # in its scenario territory. Ties: a territory before an unknown owner, then the territory of lower id.
    owner, owner_tid = _rep_codes(rows["owner"].to_numpy(dtype=object), lookup)
    named = owner >= 0
    if named.any():
        top = max(int(owner_tid.max()), 0) + 1
        candidate = np.where(owner_tid >= 0, owner_tid, top + np.arange(len(owner_tid)))
        span = top + len(owner_tid)
        unique, counts = _unique_counts(cell[named] * span + candidate[owner[named]])
        where, who = unique // span, unique % span
        order = np.lexsort((who, -counts, where))
        first = np.ones(len(order), dtype=bool)
        first[1:] = where[order][1:] != where[order][:-1]
        cells, winner = where[order][first], who[order][first]
        known = winner < top
        territory[cells[known]] = winner[known]
    # Distinct reps of the scenario's territories that visited each cell.
    rep, rep_tid = _rep_codes(rows["rep"].to_numpy(dtype=object), lookup)
    visiting = (visit_counts > 0) & (rep >= 0)
    visiting[visiting] = rep_tid[rep[visiting]] >= 0
    reps = np.zeros(size, dtype=np.int64)
    if visiting.any():
        tids = rep_tid[rep[visiting]]
        pairs = _unique_counts(cell[visiting] * (int(tids.max()) + 1) + tids)[0]  # one per cell and territory
        cells, counts = _unique_counts(pairs // (int(tids.max()) + 1))
        reps[cells] = counts
    return {p: _PeriodFigures(territory[k * n:(k + 1) * n], bookings[k * n:(k + 1) * n], visits[k * n:(k + 1) * n],
                              reps[k * n:(k + 1) * n]) for k, p in enumerate(periods)}


def _share(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, NaN where b is 0 or not a number."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    out = np.full(np.broadcast(a, b).shape, np.nan)
    np.divide(a, b, out=out, where=np.isfinite(b) & (b != 0))
    return out


def _group_kpis(period: str, code: np.ndarray, groups: int, f: _PeriodFigures, potential: np.ndarray,
                planned: np.ndarray, high: np.ndarray, quota: np.ndarray) -> dict[str, np.ndarray]:
    """The figures and KPIs of each group of accounts (code: the group of each account, -1 in none); growth is
    filled in later."""
    inside = code >= 0
    code = code[inside]

    def total(values) -> np.ndarray:
        return np.bincount(code, weights=np.asarray(values, dtype=float)[inside], minlength=groups)
    fraction = period_fraction(period)
    # The tolerance keeps 12 visits a year x 1/12 at one visit, where floating point gives 0.9999999999999999.
    required = np.maximum(1.0, np.floor(np.nan_to_num(planned) * fraction + 1e-9))
    covered = f.visits >= required
    count = np.bincount(code, minlength=groups).astype(float)
    bookings, pot = total(f.bookings), total(potential)
    return {
        "accounts": count, "bookings": bookings, "quota": quota, "visits": total(f.visits),
        "quota_attainment": _share(bookings, quota),
        "revenue": bookings,
        "growth": np.full(groups, np.nan),
        "penetration": _share(bookings, pot * fraction),
        "coverage_accounts": _share(total(covered), count),
        "coverage_potential": _share(total(potential * covered), pot),
        "overlap_rate": _share(total(f.reps > 1), count),
        "unattended_high_score": total(high & (f.visits <= 0)),
    }


def _quota_per_territory(plan: Plan, scenario: Scenario, period: str) -> dict[int, float]:
    table = quotas_of(plan)
    if not len(table):
        return {}
    table = table[_normalised(table["period"].tolist()) == period]
    tids = match_reps(table["rep"].tolist(), rep_lookup(scenario.territories.values()))
    values = pd.to_numeric(table["quota"], errors="coerce").to_numpy(dtype=float)
    out: dict[int, float] = {}
    for tid, value in zip(tids.tolist(), values.tolist()):
        if tid >= 0 and not math.isnan(value):
            out[tid] = out.get(tid, 0.0) + value
    return out


def _plan_quota(plan: Plan, period: str) -> float:
    table = quotas_of(plan)
    if not len(table):
        return float("nan")
    values = pd.to_numeric(table["quota"], errors="coerce")[_normalised(table["period"].tolist()) == period]
    values = values.dropna()
    return float(values.sum()) if len(values) else float("nan")


def _actuals(plan: Plan) -> pd.DataFrame:
    """The plan's accounts' actuals rows with the account's row in the plan and the period in the kept form."""
    table = plan.records.table("actuals")
    if not len(table):
        return pd.DataFrame({"row": pd.Series(dtype=np.int64), "period": pd.Series(dtype=object),
                             "rep": pd.Series(dtype=object), "owner": pd.Series(dtype=object),
                             "bookings": pd.Series(dtype=float), "visits": pd.Series(dtype=float)})
    ids = pd.to_numeric(table["account_id"], errors="coerce").to_numpy(dtype=float)
    rows = pd.Index(plan.accounts.ids.astype(float)).get_indexer(ids)
    frame = pd.DataFrame({"row": rows, "period": _normalised(table["period"].tolist()), "rep": table["rep"].to_numpy(),
                          "owner": table["owner"].to_numpy(),
                          "bookings": pd.to_numeric(table["bookings"], errors="coerce").to_numpy(dtype=float),
                          "visits": pd.to_numeric(table["visits"], errors="coerce").to_numpy(dtype=float)})
    return frame[(frame["row"] >= 0) & frame["period"].notna()].reset_index(drop=True)


def actual_periods(plan: Plan) -> list[str]:
    """The periods in which the plan's accounts have actuals, ordered by start."""
    return sorted(set(_actuals(plan)["period"].tolist()), key=period_sort_key)


def _growth(frame: pd.DataFrame, keys: list[str], present: set[str]) -> None:
    """Fill growth and growth_base of each row from the revenue of its base period (rows of the same keys)."""
    revenue = {tuple(r[k] for k in keys) + (r["period"],): r["revenue"] for _, r in frame.iterrows()}
    growth, bases = [], []
    for _, r in frame.iterrows():
        base = next((b for b in (year_before(r["period"]), previous_period(r["period"])) if b in present), None)
        bases.append(base)
        if base is None:
            growth.append(float("nan"))
            continue
        then = revenue.get(tuple(r[k] for k in keys) + (base,), 0.0)
        growth.append(r["revenue"] / then - 1.0 if then else float("nan"))
    frame["growth"] = growth
    frame["growth_base"] = bases


def compute_kpis(plan: Plan, periods: list[str] | None = None, *, scenario: Scenario | None = None) -> KpiResult:
    """The KPIs per territory of `scenario` (default: the active one) and of the whole plan, for `periods`
    (default: every period with actuals of the plan's accounts). See the module's description."""
    scenario = scenario or plan.active
    actuals = _actuals(plan)
    present = set(actuals["period"].unique().tolist())
    if periods is None:
        wanted = sorted(present, key=period_sort_key)
    else:
        wanted = sorted({check_period(p) for p in periods}, key=period_sort_key)
    # The base periods of growth are computed too, then dropped.
    bases = {b for p in wanted for b in (year_before(p), previous_period(p)) if b in present}
    computed = sorted(set(wanted) | bases, key=period_sort_key)
    figures = _figures(plan, scenario, actuals, computed)
    potential = plan.accounts.potential.astype(float)
    planned, _ = effective_visits_and_minutes(plan.accounts, plan.settings)
    high = high_score_accounts(plan)
    territories = [(t.id, t.name) for t in scenario.territories.values()]
    reps = {t.id: rep_label(t) for t in scenario.territories.values()}
    if any((figures[p].territory < 0).any() for p in wanted):
        territories.append(NO_OWNER)
    position = {tid: k for k, (tid, _) in enumerate(territories)}
    lut = np.full(max([tid for tid, _ in territories] + [0]) + 2, -1, dtype=np.int64)  # id -> position; -1 last
    for tid, k in position.items():
        lut[tid] = k
    frames, plan_rows = [], []
    for p in computed:
        f = figures[p]
        quotas = _quota_per_territory(plan, scenario, p)
        quota = np.array([quotas.get(tid, np.nan) for tid, _ in territories], dtype=float)
        group = _group_kpis(p, lut[f.territory], len(territories), f, potential, planned, high, quota)
        frames.append(pd.DataFrame({"period": p, "territory_id": [tid for tid, _ in territories],
                                    "territory": [name for _, name in territories],
                                    "rep": [reps.get(tid, "") for tid, _ in territories], **group}))
        whole = _group_kpis(p, np.zeros(len(potential), dtype=np.int64), 1, f, potential, planned, high,
                            np.array([_plan_quota(plan, p)]))
        plan_rows.append({"period": p, **{k: v[0] for k, v in whole.items()}})
    by_territory = pd.concat(frames, ignore_index=True) if frames else \
        pd.DataFrame(columns=[c for c in COLUMNS if c != "growth_base"])
    whole = pd.DataFrame(plan_rows, columns=[c for c in PLAN_COLUMNS if c != "growth_base"])
    _growth(by_territory, ["territory_id"], present)
    _growth(whole, [], present)
    by_territory = by_territory[by_territory["period"].isin(wanted)].reset_index(drop=True)[COLUMNS]
    whole = whole[whole["period"].isin(wanted)].reset_index(drop=True)[PLAN_COLUMNS]
    for frame in (by_territory, whole):
        frame["accounts"] = frame["accounts"].astype(np.int64)
        frame["unattended_high_score"] = frame["unattended_high_score"].astype(np.int64)
    return KpiResult(wanted, territories, by_territory, whole)
