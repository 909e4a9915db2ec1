"""Quotas per rep and period: who a rep is, a suggested split of a total, and edits (rows for core.records.PutRows).

Reps are named three ways in the files a planner gets: by the CRM's user id, by e-mail and by name. A territory's
rep answers to all of them, case ignored, and to the territory's own name (a plan whose territories have no rep
yet); a text that is one territory's id and another's name goes to the first, as ids are the surer key. Quotas are
kept under one key per rep, `rep_key`: the rep's id, else name, else the territory's name, so that a quota given by
e-mail and one given by name replace each other instead of adding up.

The suggestion for a period splits a total in proportion to each territory's potential, each share held between a
floor and a cap given as fractions of the equal share (total / number of territories), water-filled: the shares
that hit a bound stay there and the rest is split again in proportion, so the total is kept exactly (to the cent).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from desktop_planner.core.commands import CommandError
from desktop_planner.core.model import Plan, Scenario, Territory
from desktop_planner.core.periods import PeriodError, check_period
from desktop_planner.core.records import TABLES, PutRows

DEFAULT_FLOOR = 0.5
DEFAULT_CAP = 2.0
QUOTA_COLUMNS = list(TABLES["quotas"][0])


class QuotaError(ValueError):
    """A quota request that cannot be met (bad total, floor or cap, unknown rep); the message says why."""


def rep_key(territory: Territory) -> str:
    """The key a territory's rep's quotas are kept under: the rep's id, else name, else the territory's name."""
    for value in (territory.rep_id, territory.rep_name, territory.name):
        if value is not None and str(value).strip():
            return str(value).strip()
    return str(territory.id)


def rep_label(territory: Territory) -> str:
    """The rep as people read it: the name, else the id or e-mail, else empty."""
    for value in (territory.rep_name, territory.rep_id, territory.rep_email):
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def rep_lookup(territories: Iterable[Territory]) -> dict[str, int]:
    """Rep text (casefolded) -> territory id: each territory's rep id, then e-mail, then name, then the territory's
    name; an id is never shadowed by another territory's name, and the first territory wins among equals."""
    territories = list(territories)
    lookup: dict[str, int] = {}
    for field in ("rep_id", "rep_email", "rep_name", "name"):
        for t in territories:
            value = getattr(t, field)
            if value is not None and str(value).strip():
                lookup.setdefault(str(value).strip().casefold(), t.id)
    return lookup


def match_reps(texts, lookup: dict[str, int]) -> np.ndarray:
    """Territory id per text (-1 where no territory's rep answers to it)."""
    found = {t: lookup.get(str(t).strip().casefold(), -1) if t is not None and t == t else -1
             for t in set(texts)}
    return np.fromiter((found[t] for t in texts), dtype=np.int64, count=len(texts))


def water_fill(total: float, weights: np.ndarray, low: float, high: float) -> np.ndarray:
    """Shares of `total` in proportion to `weights`, each held within [low, high], summing to `total`: the shares
    are clip(s * weight, low, high) for the s that makes them add up (found exactly: the sum is piecewise linear
    in s). Zero weights get `low`; when the others all reach `high` and still fall short, the rest is split evenly
    among the zero weights. Requires n * low <= total <= n * high."""
    w = np.asarray(weights, dtype=float)
    n = len(w)
    if n == 0:
        return np.zeros(0)
    if total < n * low - 1e-9 * max(1.0, abs(total)) or total > n * high + 1e-9 * max(1.0, abs(total)):
        raise QuotaError(f"a total of {total:,.2f} cannot be split among {n} shares of {low:,.2f} to {high:,.2f}")
    positive = w > 0
    if not positive.any():
        return np.full(n, total / n)
    zero_count = int((~positive).sum())
    most = positive.sum() * high + zero_count * low
    if total >= most:  # only when some weights are zero: they take the rest, evenly
        out = np.where(positive, high, (total - positive.sum() * high) / max(zero_count, 1))
        return out
    # Breakpoints of s: where each positive share leaves its floor (low / w) and reaches its cap (high / w).
    wp = w[positive]
    points = np.unique(np.concatenate([low / wp, high / wp]))

    def filled(s: float) -> float:
        return float(np.clip(s * wp, low, high).sum() + zero_count * low)
    sums = np.array([filled(s) for s in points])
    k = int(np.searchsorted(sums, total))  # total lies between points k-1 and k
    if k == 0:
        s = points[0]
    elif k >= len(points):
        s = points[-1]
    else:
        s0, s1, f0, f1 = points[k - 1], points[k], sums[k - 1], sums[k]
        s = s0 if f1 == f0 else s0 + (total - f0) * (s1 - s0) / (f1 - f0)
    out = np.full(n, low)
    out[positive] = np.clip(s * wp, low, high)
    return out


def round_keeping_total(values: np.ndarray, total: float, decimals: int = 2) -> np.ndarray:
    """Values rounded to `decimals`, the last units going to the largest remainders so that they add up to `total`
    rounded alike (the largest remainder method)."""
    scale = 10.0 ** decimals
    exact = np.asarray(values, dtype=float) * scale
    units = np.floor(exact + 1e-9)
    short = int(round(round(total * scale) - units.sum()))
    if short > 0:
        units[np.argsort(-(exact - units), kind="stable")[:short]] += 1
    elif short < 0:
        units[np.argsort(exact - units, kind="stable")[:-short]] -= 1
    return units / scale


def territory_potential(plan: Plan, scenario: Scenario) -> np.ndarray:
    """Potential per territory of the scenario, in its territories' order."""
    position = scenario.territory_index()
    inside = position >= 0
    return np.bincount(position[inside], weights=plan.accounts.potential[inside],
                       minlength=len(scenario.territories))


def _check_period(period) -> str:
    try:
        return check_period(period)
    except PeriodError as exc:
        raise QuotaError(str(exc)) from None


def suggest_quotas(plan: Plan, period: str, total: float, floor: float = DEFAULT_FLOOR, cap: float = DEFAULT_CAP,
                   scenario: Scenario | None = None, decimals: int = 2) -> pd.DataFrame:
    """Quota rows (team_id, rep, period, quota, origin 'suggested') for each rep of the scenario's territories
    (default: the active one): `total` split by each territory's share of potential, each within floor x and
    cap x the equal share, water-filled so that the total is kept (to `decimals`). Territories without potential
    get the floor; without any potential, the split is even. A rep with two territories gets both shares."""
    scenario = scenario or plan.active
    period = _check_period(period)
    if not np.isfinite(total) or total <= 0:
        raise QuotaError(f"the total quota must be a positive number, not {total:g}")
    if not 0 <= floor <= 1:
        raise QuotaError(f"the floor is a fraction of the equal share from 0 to 1, not {floor:g}")
    if not cap >= 1:
        raise QuotaError(f"the cap is a multiple of the equal share of at least 1, not {cap:g}")
    territories = list(scenario.territories.values())
    if not territories:
        raise QuotaError(f"scenario {scenario.name!r} has no territories to give quotas to")
    equal = total / len(territories)
    shares = water_fill(total, territory_potential(plan, scenario), floor * equal, cap * equal)
    shares = round_keeping_total(shares, total, decimals)
    frame = pd.DataFrame({"rep": [rep_key(t) for t in territories], "quota": shares})
    frame = frame.groupby("rep", sort=False, as_index=False)["quota"].sum()
    return _rows(plan, frame["rep"].tolist(), period, frame["quota"].to_numpy(), "suggested")


def _rows(plan: Plan, reps: list[str], period: str, quotas, origin: str) -> pd.DataFrame:
    return pd.DataFrame({"team_id": int(plan.team_id or 0), "rep": reps, "period": period,
                         "quota": np.asarray(quotas, dtype=float), "origin": origin}, columns=QUOTA_COLUMNS)


def all_territories(plan: Plan, scenario: Scenario | None = None) -> list[Territory]:
    """The territories a rep text is looked up in: the scenario's (default: the active one) first, then those of
    the plan's other scenarios (a rep of an earlier plan can still have a quota)."""
    scenario = scenario or plan.active
    others = [t for s in plan.scenarios.values() if s.id != scenario.id for t in s.territories.values()]
    return list(scenario.territories.values()) + others


def resolve_rep(plan: Plan, text: str, scenario: Scenario | None = None) -> str:
    """The key a rep given by id, e-mail or name (or territory name) is kept under; QuotaError when no territory of
    the plan has that rep."""
    territories = all_territories(plan, scenario)
    tid = rep_lookup(territories).get(str(text).strip().casefold())
    if tid is None:
        known = sorted({rep_label(t) or t.name for t in territories})
        shown = ", ".join(known[:12]) + (f", … and {len(known) - 12} more" if len(known) > 12 else "")
        raise QuotaError(f"no territory has the rep {text!r} (reps: {shown or 'none'})")
    return rep_key(next(t for t in territories if t.id == tid))


def edited_quotas(plan: Plan, period: str, amounts: dict[str, float], scenario: Scenario | None = None
                  ) -> pd.DataFrame:
    """Quota rows with origin 'edited' for reps given by id, e-mail or name: rep -> amount (not negative)."""
    period = _check_period(period)
    reps, values = [], []
    for text, amount in amounts.items():
        if not np.isfinite(amount) or amount < 0:
            raise QuotaError(f"the quota of {text!r} must be a number of at least 0, not {amount:g}")
        key = resolve_rep(plan, text, scenario)
        if key in reps:
            values[reps.index(key)] = float(amount)
        else:
            reps.append(key)
            values.append(float(amount))
    return _rows(plan, reps, period, values, "edited")


def quotas_of(plan: Plan, period: str | None = None) -> pd.DataFrame:
    """The plan's team's quota rows (of one period, or all)."""
    table = plan.records.table("quotas")
    if not len(table):
        return table
    mine = table[pd.to_numeric(table["team_id"], errors="coerce").fillna(0).astype(int) == int(plan.team_id or 0)]
    if period is not None:
        mine = mine[mine["period"].astype(str).str.upper() == _check_period(period)]
    return mine.reset_index(drop=True)


def put_quotas(plan: Plan, rows: pd.DataFrame, replace_period: str | None = None, label: str | None = None
               ) -> PutRows:
    """The command putting `rows` in place; with `replace_period`, the team's other quotas of that period go (a
    suggestion is the whole split of the period's total, so an old rep's quota must not stay on top of it)."""
    if not len(rows):
        raise CommandError("no quotas to put")
    delete = []
    if replace_period is not None:
        new = set(zip(rows["team_id"].astype(int), rows["rep"].astype(str), rows["period"].astype(str)))
        old = quotas_of(plan, replace_period)
        delete = [k for k in old[["team_id", "rep", "period"]].itertuples(index=False, name=None)
                  if (int(k[0]), str(k[1]), str(k[2])) not in new]
    periods = sorted(set(rows["period"].astype(str)))
    origin = set(rows["origin"].astype(str))
    what = "Suggest quotas" if origin == {"suggested"} else "Set quotas" if origin == {"edited"} else "Quotas"
    return PutRows("quotas", rows, delete=delete, label=label or f"{what} {', '.join(periods)}", action="quotas")
