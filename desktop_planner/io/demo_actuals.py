"""A year after go-live, generated: four quarters of actuals for a demo project, with a realignment in the middle and
a holdout kept back from it, so that the KPIs and the cohort comparison (core.cohorts) have something true to find.

What it does to the project, each step a command through the History (so the audit trail tells the story in order):
Q1 and Q2 actuals and quotas under the current plan; a scenario "Realigned" whose borders shift towards balance
(an additively weighted Voronoi of the reps' homes, moving about a fifth of the accounts, contiguous by
construction); a holdout of 15 % of the movers, stratified by their old territory, seed stored, go-live Q3; then
Q3 and Q4 actuals and quotas under the realigned plan. "Realigned" becomes the active scenario.

The numbers: bookings = potential / 4 x the account's own propensity x a seasonal factor x noise; moved accounts
lose MOVE_EFFECT of it after go-live (a new rep learns the account), so the cohort comparison must show moved
below held-out. Visits follow each account's planned visits a quarter, some accounts go unvisited in a quarter,
and some moved accounts are still visited by their former rep in Q3 (the hand-over). Quotas: each owner's share
of potential, origin 'suggested'.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from desktop_planner.core.geo import EARTH_RADIUS_KM
from desktop_planner.core.model import Plan, Scenario

REALIGNED_NAME = "Realigned"
MOVE_TARGET = (0.15, 0.25)  # share of accounts the realignment moves
HOLDOUT_SHARE = 0.15
SEASON = (0.92, 1.00, 0.96, 1.12)  # Q1..Q4
MOVE_EFFECT = {3: 0.88, 4: 0.96}  # bookings of moved accounts after go-live, against what they would have been
MOVE_VISITS = {3: 0.80, 4: 0.95}  # the new rep visits less while learning the territory
PROPENSITY_SIGMA = 0.30  # how far an account's buying sits from its potential, for the whole year
NOISE_SIGMA = 0.10  # quarter to quarter
NO_DEAL_SHARE = 0.02  # account-quarters without bookings (all among the smaller half of accounts)
UNVISITED_SHARE = 0.08  # account-quarters without a visit
OVERLAP_SHARE = 0.25  # moved accounts their former rep still visits in the go-live quarter
QUOTA_STRETCH = 1.05
SOURCE = "demo"


@dataclass(frozen=True)
class DemoActuals:
    scenario: str
    holdout_id: int
    movers: int
    held_out: int
    periods: tuple[str, ...]
    go_live: str
    actuals_rows: int
    quota_rows: int
    csv_path: Path | None

    def describe(self) -> str:
        return (f"scenario {self.scenario!r} ({self.movers:,} accounts move, {self.held_out:,} held out, go-live "
                f"{self.go_live}); {self.actuals_rows:,} actuals rows and {self.quota_rows:,} quotas for "
                f"{self.periods[0]}..{self.periods[-1]}" + (f"; {self.csv_path}" if self.csv_path else ""))


def _homes_xyz(plan: Plan, scenario: Scenario) -> np.ndarray:
    """Unit vectors of each territory's home (its rep's; else the potential-weighted centre of its accounts)."""
    from desktop_planner.core.geo import lonlat_to_unit_xyz
    xyz = plan.accounts.xyz
    out = []
    for tid, t in scenario.territories.items():
        if t.has_home:
            out.append(lonlat_to_unit_xyz(np.array([t.home_lon]), np.array([t.home_lat]))[0])
            continue
        members = scenario.assignment == tid
        w = plan.accounts.potential[members] + 1.0
        centre = (xyz[members] * w[:, None]).sum(axis=0) if members.any() else xyz.mean(axis=0)
        out.append(centre / (np.linalg.norm(centre) or 1.0))
    return np.array(out)


def realign(plan: Plan, baseline: Scenario, rng: np.random.Generator, target=MOVE_TARGET) -> np.ndarray:
    """A new assignment (baseline territory ids) whose borders move towards balance of potential: account i goes
    to the territory k with the least distance(i, home k) - s * w_k, where w_k is larger for territories short of
    potential; s is searched so that a share of accounts within `target` moves. Locked and unassigned accounts
    stay."""
    tids = baseline.territory_ids()
    if len(tids) < 2:
        raise ValueError("the demo needs at least two territories to realign")
    dist = np.arccos(np.clip(plan.accounts.xyz @ _homes_xyz(plan, baseline).T, -1, 1)) * EARTH_RADIUS_KM
    position = baseline.territory_index()
    fixed = baseline.locked | (position < 0)
    potential = np.bincount(position[position >= 0], weights=plan.accounts.potential[position >= 0],
                            minlength=len(tids))
    short = (potential.mean() - potential) / (potential.mean() or 1.0)
    weight = short / (np.abs(short).max() or 1.0) + 0.5 * rng.standard_normal(len(tids))

    def assignment(s: float) -> np.ndarray:
        new = tids[np.argmin(dist - s * weight, axis=1)]
        return np.where(fixed, baseline.assignment, new)

    def moved(s: float) -> float:
        return float((assignment(s) != baseline.assignment).mean())

    low, high = 0.0, float(dist.max()) or 1.0
    goal = sum(target) / 2
    best = (abs(moved(high) - goal), high)
    for _ in range(30):  # the share moved grows with s (not strictly): bisect towards the middle of the target
        mid = (low + high) / 2
        share = moved(mid)
        best = min(best, (abs(share - goal), mid))
        if target[0] <= share <= target[1]:
            break
        low, high = (mid, high) if share < goal else (low, mid)
    return assignment(best[1])


def _rep_names(scenario: Scenario, assignment: np.ndarray) -> np.ndarray:
    names = np.array([""] + [t.rep_name or t.name for t in scenario.territories.values()], dtype=object)
    return names[scenario.territory_index(assignment) + 1]


def _quarter(plan: Plan, q: int, period: str, owner: np.ndarray, former: np.ndarray, moved: np.ndarray,
             propensity: np.ndarray, planned_visits: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    n = len(plan.accounts)
    effect = np.where(moved, MOVE_EFFECT.get(q, 1.0), 1.0)
    bookings = (plan.accounts.potential / 4 * propensity * SEASON[q - 1] * effect
                * rng.lognormal(-NOISE_SIGMA ** 2 / 2, NOISE_SIGMA, n))
    small = plan.accounts.potential < np.median(plan.accounts.potential)  # large accounts always buy something
    bookings = np.where(small & (rng.random(n) < 2 * NO_DEAL_SHARE), 0.0, np.round(bookings, 2))
    visit_rate = planned_visits / 4 * np.where(moved, MOVE_VISITS.get(q, 1.0), 1.0)
    # A visited account has at least one visit (its mean stays the plan's); fewer than one planned a quarter: visited
    # that often.
    visited = (rng.random(n) >= UNVISITED_SHARE) & (rng.random(n) < visit_rate)
    visits = np.where(visited, 1 + rng.poisson(np.maximum(visit_rate - 1, 0)), 0).astype(float)
    rows = owner != ""
    frame = pd.DataFrame({"account_id": plan.accounts.ids[rows], "period": period, "rep": owner[rows],
                          "owner": owner[rows], "bookings": bookings[rows], "visits": visits[rows], "source": SOURCE})
    if q == 3:  # the former rep still calls on some moved accounts while handing them over
        overlap = np.flatnonzero(moved & (rng.random(n) < OVERLAP_SHARE) & (former != "") & (former != owner))
        extra = pd.DataFrame({"account_id": plan.accounts.ids[overlap], "period": period, "rep": former[overlap],
                              "owner": owner[overlap], "bookings": 0.0,
                              "visits": (1 + rng.poisson(0.5, len(overlap))).astype(float), "source": SOURCE})
        frame = pd.concat([frame, extra], ignore_index=True)
    return frame


def _quotas(plan: Plan, period: str, q: int, owner: np.ndarray) -> pd.DataFrame:
    reps, code = np.unique(owner[owner != ""].astype(str), return_inverse=True)
    potential = np.bincount(code, weights=plan.accounts.potential[owner != ""], minlength=len(reps))
    quota = np.round(potential / 4 * SEASON[q - 1] * QUOTA_STRETCH, -2)
    return pd.DataFrame({"team_id": int(plan.team_id or 0), "rep": reps, "period": period, "quota": quota,
                         "origin": "suggested"})


def add_demo_actuals(project_path, seed: int = 0, csv_path=None, year: int = 2026,
                     team: str | None = None) -> DemoActuals:
    """Add the realigned scenario, the holdout and four quarters of actuals and quotas to a demo project (see the
    module's description). `csv_path`: also write the actuals there as CSV (external_id, period, rep, owner,
    bookings, visits), as a CRM export would give them."""
    from desktop_planner.core.history import History
    from desktop_planner.core.holdout_commands import KeepHoldout
    from desktop_planner.core.holdouts import choose_holdout
    from desktop_planner.core.records import PutRows
    from desktop_planner.core.scenario_commands import AddScenario, copy_scenario
    from desktop_planner.core.visit_figures import effective_visits_and_minutes
    from desktop_planner.store.project import ProjectFile

    realign_rng, holdout_rng, account_rng, *quarter_rngs = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7))
    periods = tuple(f"{year}-Q{q}" for q in range(1, 5))
    go_live = periods[2]
    with ProjectFile.open(project_path) as project:
        plan = project.load_plan(team=team)
        if any(s.name == REALIGNED_NAME for s in plan.scenarios.values()):
            raise ValueError(f"{project_path}: there is already a scenario named {REALIGNED_NAME!r}")
        if len(plan.records.table("actuals")):
            raise ValueError(f"{project_path}: the project has actuals already")
        history = History(plan, project)
        baseline = plan.active
        new_assignment = realign(plan, baseline, realign_rng)
        draft = Scenario(baseline.id, baseline.name, baseline.territories, new_assignment, baseline.locked)
        realigned = copy_scenario(plan, draft, REALIGNED_NAME, notes=(
            f"Demo realignment of {baseline.name!r}: borders moved towards balance of potential (seed {seed})"))

        propensity = account_rng.lognormal(-PROPENSITY_SIGMA ** 2 / 2, PROPENSITY_SIGMA, len(plan.accounts))
        planned, _ = effective_visits_and_minutes(plan.accounts, plan.settings)
        before_owner = _rep_names(baseline, baseline.assignment)
        none = np.zeros(len(plan.accounts), dtype=bool)
        frames = []

        def put_quarter(q: int, owner, moved) -> None:
            frame = _quarter(plan, q, periods[q - 1], owner, before_owner, moved, propensity, planned,
                             quarter_rngs[q - 1])
            frames.append(frame)
            history.do(PutRows("actuals", frame, label=f"Import actuals {periods[q - 1]} (demo)", action="actuals"))

        for q in (1, 2):
            put_quarter(q, before_owner, none)
        history.do(PutRows("quotas", pd.concat([_quotas(plan, periods[q - 1], q, before_owner) for q in (1, 2)]),
                           label=f"Quotas {periods[0]}..{periods[1]} (demo)", action="quotas"))
        history.do(AddScenario(realigned))
        choice = choose_holdout(plan, baseline, realigned, share=HOLDOUT_SHARE, strata=("from_territory",),
                                seed=int(holdout_rng.integers(0, 10_000)))
        keep = KeepHoldout(choice, go_live)
        history.do(keep)
        plan.active_scenario_id = realigned.id
        project.set_active_scenario(realigned.id)
        moved = np.zeros(len(plan.accounts), dtype=bool)
        moved[np.setdiff1d(choice.movers, choice.held_out)] = True
        after_owner = _rep_names(realigned, realigned.assignment)
        for q in (3, 4):
            put_quarter(q, after_owner, moved)
        quotas = pd.concat([_quotas(plan, periods[q - 1], q, after_owner) for q in (3, 4)])
        history.do(PutRows("quotas", quotas, label=f"Quotas {periods[2]}..{periods[3]} (demo)", action="quotas"))
        actuals = pd.concat(frames, ignore_index=True)
        if csv_path is not None:
            csv_path = Path(csv_path)
            out = actuals.assign(external_id=plan.accounts.external_id[
                pd.Index(plan.accounts.ids).get_indexer(actuals["account_id"])])
            out[["external_id", "period", "rep", "owner", "bookings", "visits"]].to_csv(csv_path, index=False)
        quota_rows = len(plan.records.table("quotas"))
    return DemoActuals(REALIGNED_NAME, int(keep.holdout_id), len(choice.movers), choice.size, periods, go_live,
                       len(actuals), quota_rows, csv_path)

