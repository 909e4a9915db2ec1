"""The owner of every account in every team, one row per account: what the CRM admin loads when accounts have
one owner per team (account teams, opportunity splits), and what a planner checks for gaps."""

from __future__ import annotations

from pathlib import Path

from desktop_planner.core.model import Plan
from desktop_planner.core.teams import team_coverage
from desktop_planner.io.export import write_csv


def export_owners(whole: Plan, views: dict[int, Plan], scenario_name: str, path: str | Path, bom: bool = False) -> int:
    """`whole`: the plan of all accounts (its teams); `views`: each team's view (team id -> plan). Columns: the
    account, its exclusive team (the one owning it), a conflict note, then per team its territory, rep, rep id and
    e-mail (empty where the team does not cover the account)."""
    a = whole.accounts
    coverage = team_coverage(a, whole.teams)
    names = {t.id: t.name for t in whole.teams}
    notes = [""] * len(a)
    for c in coverage.conflicts:
        notes[c.row] = ("no exclusive team covers it" if c.kind == "none"
                        else "claimed by " + " and ".join(names[t] for t in c.teams))
    header = ["account_id", "name", "owner_team", "conflict"]
    columns = [a.external_id.tolist(), [n or "" for n in a.name.tolist()],
               [names.get(int(t), "") for t in coverage.owner.tolist()], notes]
    position = {x: i for i, x in enumerate(a.external_id.tolist())}
    for team in whole.teams:
        view = views[team.id]
        scenario = next((s for s in view.scenarios.values() if s.name == scenario_name), None)
        cells = [[""] * len(a) for _ in range(4)]
        if scenario is not None:
            territories = list(scenario.territories.values())
            for row, t in zip(view.accounts.external_id.tolist(), scenario.territory_index().tolist()):
                if t < 0:
                    continue
                territory, at = territories[t], position[row]
                for k, value in enumerate((territory.name, territory.rep_name, territory.rep_id,
                                           territory.rep_email)):
                    cells[k][at] = value or ""
        header += [f"{team.name}: {what}" for what in ("territory", "rep", "rep_id", "rep_email")]
        columns += cells
    return write_csv(path, header, zip(*columns), bom=bom)
