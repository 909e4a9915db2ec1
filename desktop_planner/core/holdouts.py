"""Choosing a holdout: a random, stratified share of the accounts a realignment would move, kept where they were, so
that after go-live the accounts that moved can be compared with like accounts that did not (core.cohorts).

Movers are the accounts whose territory (matched by name, as every comparison of scenarios does) differs between a
baseline and the realigned scenario, assigned or not on either side. A mover can be held out when its baseline
territory exists in the realigned scenario (or it was unassigned there): otherwise there is nowhere to keep it.

The draw is proportional over strata (largest remainder), with at least one account a stratum when the size allows,
and reproducible: the same plan, scenarios, strata, size and seed give the same accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from desktop_planner.core.commands import CommandError
from desktop_planner.core.compare import assignment_names
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario

STRATA = ("from_territory", "to_territory", "segment", "tier", "potential_band")
POTENTIAL_BANDS = 5  # quintiles of the movers' potential
NONE_LABEL = "(none)"
SEPARATOR = " / "


class HoldoutError(CommandError):
    """A holdout that cannot be drawn or kept; the message is meant for the user."""


@dataclass(frozen=True)
class HoldoutChoice:
    """A drawn holdout. Arrays are per mover (row order), except `held_out` (rows, ascending)."""
    baseline_id: int
    scenario_id: int
    strata: tuple[str, ...]
    seed: int
    movers: np.ndarray  # account rows whose territory differs
    from_names: np.ndarray  # baseline territory name per mover (None: unassigned)
    to_names: np.ndarray  # realigned territory name per mover
    stratum: np.ndarray  # stratum label per mover
    eligible: np.ndarray  # bool per mover: its baseline territory exists in the realigned scenario
    held_out: np.ndarray  # rows kept where they were
    keep_territory: np.ndarray  # per held-out row: its territory id in the realigned scenario (baseline's name)
    summary: pd.DataFrame  # stratum, movers, eligible, held_out

    @property
    def size(self) -> int:
        return int(len(self.held_out))

    @property
    def strata_text(self) -> str:
        return ",".join(self.strata)

    def summary_rows(self) -> list[dict]:
        return [{"stratum": r.stratum, "movers": int(r.movers), "eligible": int(r.eligible),
                 "held_out": int(r.held_out)} for r in self.summary.itertuples(index=False)]


def parse_strata(text: str | tuple | list | None) -> tuple[str, ...]:
    """'from_territory,segment' (or a sequence) -> the strata names, checked."""
    if text is None:
        return ("from_territory",)
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else [str(p).strip() for p in text]
    parts = [p for p in parts if p]
    if not parts:
        raise HoldoutError("give at least one stratum, e.g. from_territory")
    unknown = [p for p in parts if p not in STRATA]
    if unknown:
        raise HoldoutError(f"unknown stratum {unknown[0]!r}; strata are: {', '.join(STRATA)}")
    if len(set(parts)) != len(parts):
        raise HoldoutError("a stratum is named twice")
    return tuple(parts)


def movers(baseline: Scenario, scenario: Scenario) -> np.ndarray:
    """Rows whose territory (by name) differs between the two scenarios."""
    return np.flatnonzero(assignment_names(baseline) != assignment_names(scenario))


def potential_bands(potential: np.ndarray) -> np.ndarray:
    """Band 1..5 per value: quintiles by rank (ties split by row order), so the bands are as equal as can be."""
    n = len(potential)
    order = np.argsort(potential, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank * POTENTIAL_BANDS // max(n, 1) + 1


def _labels(plan: Plan, rows: np.ndarray, strata: tuple[str, ...], from_names, to_names) -> np.ndarray:
    def text(values) -> np.ndarray:
        return np.array([NONE_LABEL if v is None or v != v else str(v) for v in values], dtype=object)
    parts = []
    for name in strata:
        if name == "from_territory":
            parts.append(text(from_names))
        elif name == "to_territory":
            parts.append(text(to_names))
        elif name == "segment":
            parts.append(text(plan.accounts.segment[rows]))
        elif name == "tier":
            parts.append(text(plan.accounts.tier[rows]))
        else:
            parts.append(np.array([f"P{b}" for b in potential_bands(plan.accounts.potential[rows])], dtype=object))
    label = parts[0]
    for part in parts[1:]:
        label = label + SEPARATOR + part
    return label


def allocate(counts: np.ndarray, size: int) -> np.ndarray:
    """Proportional allocation of `size` over strata of `counts` by largest remainder (ties: the earlier stratum),
    then at least one in every stratum of two or more movers when `size` allows, taken from the strata most above
    their exact share. A stratum of one mover gets no such minimum: holding out its only account would leave no
    moved account of its kind to compare with."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if size > total:
        raise HoldoutError(f"a holdout of {size:,} is larger than the {total:,} movers that can be held out")
    if total == 0 or size == 0:
        return np.zeros(len(counts), dtype=np.int64)
    exact = counts * size / total
    alloc = np.floor(exact).astype(np.int64)
    remainder = exact - alloc
    short = size - int(alloc.sum())
    order = np.lexsort((np.arange(len(counts)), -remainder))  # largest remainder first, then stratum order
    alloc[order[:short]] += 1
    comparable = counts >= 2
    if size >= int(comparable.sum()):
        for h in np.flatnonzero(comparable & (alloc == 0)):
            donors = np.flatnonzero(alloc >= 2)
            donor = donors[np.argmax((alloc - exact)[donors])]  # the first of the most over-allocated
            alloc[donor] -= 1
            alloc[h] = 1
    return alloc


def choose_holdout(plan: Plan, baseline: Scenario, scenario: Scenario, size: int | None = None,
                   share: float | None = None, strata=("from_territory",), seed: int = 0) -> HoldoutChoice:
    """Draw a holdout among the accounts that move from `baseline` to `scenario`: `size` accounts, or `share` of
    the movers that can be held out (rounded, at least one), stratified by `strata` (any of STRATA)."""
    strata = parse_strata(strata)
    if baseline.id == scenario.id:
        raise HoldoutError("the baseline and the realigned scenario are the same scenario")
    if (size is None) == (share is None):
        raise HoldoutError("give either a size (a number of accounts) or a share of the movers")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise HoldoutError(f"the seed must be a whole number of at least 0, got {seed!r}")
    rows = movers(baseline, scenario)
    if rows.size == 0:
        raise HoldoutError(f"no account moves between {baseline.name!r} and {scenario.name!r}: nothing to hold out")
    from_names = assignment_names(baseline)[rows]
    to_names = assignment_names(scenario)[rows]
    ids_by_name = {t.name: tid for tid, t in scenario.territories.items()}
    keep = np.array([UNASSIGNED if name is None else ids_by_name.get(name, -2) for name in from_names],
                    dtype=np.int64)
    eligible = keep != -2
    n_eligible = int(eligible.sum())
    if n_eligible == 0:
        raise HoldoutError(f"none of the {rows.size:,} movers can be held out: their territories of "
                           f"{baseline.name!r} are not in {scenario.name!r}")
    if share is not None:
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
            raise HoldoutError(f"the share must be more than 0 and less than 1 (0.1 = 10 %), got {share!r}")
        size = max(1, int(round(share * n_eligible)))
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise HoldoutError(f"the size must be a whole number of at least 1, got {size!r}")
    size = int(size)
    if size > n_eligible:
        extra = f" ({rows.size - n_eligible:,} more move to a territory whose old one is gone)" \
            if n_eligible < rows.size else ""
        raise HoldoutError(f"a holdout of {size:,} is larger than the {n_eligible:,} accounts that move{extra}")
    labels = _labels(plan, rows, strata, from_names, to_names)
    names, code = np.unique(labels.astype(str), return_inverse=True)
    alloc = allocate(np.bincount(code[eligible], minlength=len(names)), size)
    # Within each stratum the accounts with the smallest random keys: one draw for all strata, in row order.
    key = np.random.default_rng(int(seed)).random(rows.size)
    key[~eligible] = np.inf
    order = np.lexsort((key, code))
    first = np.searchsorted(code[order], np.arange(len(names)))
    rank = np.empty(rows.size, dtype=np.int64)
    rank[order] = np.arange(rows.size) - first[code[order]]
    chosen = eligible & (rank < alloc[code])
    summary = pd.DataFrame({"stratum": names, "movers": np.bincount(code, minlength=len(names)),
                            "eligible": np.bincount(code[eligible], minlength=len(names)),
                            "held_out": np.bincount(code[chosen], minlength=len(names))})
    return HoldoutChoice(baseline_id=baseline.id, scenario_id=scenario.id, strata=strata, seed=int(seed),
                         movers=rows, from_names=from_names, to_names=to_names, stratum=labels, eligible=eligible,
                         held_out=rows[chosen], keep_territory=keep[chosen], summary=summary)
