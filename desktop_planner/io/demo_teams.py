"""A demo with teams: an Enterprise field team, an SMB inside-sales team and a Healthcare overlay, on the accounts of
the ordinary demo given company figures (ARR, employees) and a weighted score.

The SMB rule is written the way planners first write it (`arr < 1M`), so that the large-but-low-revenue accounts
that the Enterprise rule also claims (5,000+ employees) show up as conflicts to settle.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from desktop_planner.core.commands import AddTerritory, Composite, SetAssignment, SetSettings
from desktop_planner.core.geo import lonlat_to_unit_xyz
from desktop_planner.core.history import History
from desktop_planner.core.model import Accounts, Plan
from desktop_planner.core.scoring import Component, ScoreDefinition, Tier
from desktop_planner.core.team_commands import SetScoring, SetTeams
from desktop_planner.core.teams import Team
from desktop_planner.io.demo import SEGMENTS, _all_postcodes, _choose_homes, _make_territories, build_demo_plan, \
    nearest_home

# Per segment: median ARR and employees (lognormal, sigma of the log); Enterprise accounts straddle the thresholds.
SEGMENT_FIGURES = {"Enterprise": ((1_300_000.0, 0.7), (2_500.0, 1.0)),
                   "Mid-market": ((250_000.0, 0.7), (300.0, 0.9)),
                   "SMB": ((40_000.0, 0.8), (25.0, 0.9))}
DEMO_TEAMS = (  # name, kind, rule, territories, name prefix, settings changes
    ("Enterprise field", "exclusive", "arr >= 1M or employees >= 5000", 6, "ENT", {}),
    ("SMB inside sales", "exclusive", "arr < 1M", 5, "ISR",
     {"balance_measure": "potential", "default_visit_minutes": 20.0, "segment_visit_minutes": {}}),
    ("Healthcare specialists", "overlay", "industry == 'Healthcare' and arr >= 250k", 3, "HCS", {}),
)
DEMO_SCORE = ScoreDefinition(
    components=(Component("arr", 0.5, "minmax", cap=5_000_000.0), Component("employees", 0.2, "rank"),
                Component("industry", 0.3, "categories", categories={
                    "Healthcare": 100.0, "Technology": 90.0, "Manufacturing": 70.0, "Financial Services": 70.0,
                    "*": 30.0})),
    tiers=(Tier("A", 55.0), Tier("B", 30.0), Tier("C", 0.0)))
TIER_VISITS = {"A": 12.0, "B": 6.0, "C": 2.0}
TIER_MINUTES = {"A": 90.0, "B": 60.0, "C": 30.0}


def with_company_figures(accounts: Accounts, rng: np.random.Generator) -> Accounts:
    """The accounts with ARR and employees in their attrs, drawn per segment."""
    arr = np.empty(len(accounts))
    employees = np.empty(len(accounts))
    for segment, ((arr_median, arr_sigma), (emp_median, emp_sigma)) in SEGMENT_FIGURES.items():
        rows = np.flatnonzero(accounts.segment == segment)
        arr[rows] = rng.lognormal(np.log(arr_median), arr_sigma, len(rows))
        employees[rows] = rng.lognormal(np.log(emp_median), emp_sigma, len(rows))
    other = ~np.isin(accounts.segment, SEGMENTS)
    arr[other], employees[other] = 50_000.0, 30.0
    attrs = np.array([json.dumps({"ARR": round(float(a), -2), "Employees": int(max(1, round(e)))})
                      for a, e in zip(arr, employees)], dtype=object)
    return Accounts(ids=accounts.ids, external_id=accounts.external_id, name=accounts.name, lon=accounts.lon,
                    lat=accounts.lat, potential=accounts.potential, visits_per_year=accounts.visits_per_year,
                    visit_minutes=accounts.visit_minutes, segment=accounts.segment, industry=accounts.industry,
                    postcode=accounts.postcode, attrs=attrs)


def fresh_territories(view: Plan, k: int, prefix: str, rng: np.random.Generator) -> Composite:
    """One command that gives the team's active scenario k new territories, reps living in real towns near the
    k-means centres of the team's accounts, every account in its nearest rep's territory."""
    scenario = view.active
    accounts = view.accounts
    postcodes = _all_postcodes()
    inside = postcodes["lon"].between(accounts.lon.min() - 1, accounts.lon.max() + 1) & \
        postcodes["lat"].between(accounts.lat.min() - 1, accounts.lat.max() + 1)
    postcodes = postcodes[inside].reset_index(drop=True)
    homes = _choose_homes(accounts.xyz, k, postcodes, rng)
    home_xyz = lonlat_to_unit_xyz(homes["lon"].to_numpy(), homes["lat"].to_numpy())
    nearest = nearest_home(accounts.xyz, home_xyz)
    first = view.next_territory_id()
    made = _make_territories("us", homes, accounts, nearest, home_xyz, view.settings, rng)
    territories = [t.with_changes(id=first + i, name=f"{prefix}-{i + 1:02d} {t.name.split(' ', 1)[1]}")
                   for i, t in enumerate(made)]
    commands = [AddTerritory(scenario.id, t) for t in territories]
    commands.append(SetAssignment(scenario.id, np.arange(len(accounts)), nearest + first, "Assign to nearest rep"))
    return Composite(commands, f"{k} territories for {view.team.name if view.team else 'the plan'}")


def create_team_demo(path: Path, n_accounts: int = 5000, seed: int = 0, region: str = "northeast",
                     overwrite: bool = False) -> list[str]:
    """Write the demo project; returns a line per team saying what it covers."""
    from desktop_planner.store.project import ProjectFile  # io builds on store here, as the demo command does
    rng = np.random.default_rng(np.random.SeedSequence([seed, 16]))
    plan = build_demo_plan(n_accounts, DEMO_TEAMS[0][3], seed=seed, region=region)
    plan.name = plan.name.replace("Demo", "Demo with teams", 1)
    plan.accounts = with_company_figures(plan.accounts, rng)
    ProjectFile.create(path, plan, overwrite=overwrite).close()
    lines = []
    with ProjectFile.open(path) as project:
        whole = project.load_plan(all_accounts=True)
        history = History(whole, project)
        history.do(SetScoring(DEMO_SCORE))
        teams = tuple(Team(id=i + 1, name=name, kind=kind, rule=rule)
                      for i, (name, kind, rule, *_rest) in enumerate(DEMO_TEAMS))
        history.do(SetTeams(teams, "Teams of the demo"))
        for i, (name, kind, rule, k, prefix, changes) in enumerate(DEMO_TEAMS):
            view = project.load_plan(team=name)
            history = History(view, project)
            history.do(SetSettings(tier_visits_per_year=TIER_VISITS, tier_visit_minutes=TIER_MINUTES, **changes))
            if i > 0:  # the first team keeps the demo's alignment; the others start empty
                history.do(fresh_territories(view, min(k, len(view.accounts)), prefix, rng))
            lines.append(f"{name} ({kind}, {rule}): {len(view.accounts):,} accounts, "
                         f"{len(view.active.territories)} territories")
    return lines
