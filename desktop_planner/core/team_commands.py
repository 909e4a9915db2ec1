"""Project-wide commands of teams and scoring: the team list with their rules, and the score definition.

Both change which accounts a team covers, so they apply to a plan that holds every account (`Plan.all_accounts`,
or a project without teams); a team's view is loaded again afterwards. Each reports the hand-overs between teams
it causes (core.teams.handovers), which the store keeps for the change report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from desktop_planner.core.account_commands import AccountsEffect
from desktop_planner.core.account_table import account_columns
from desktop_planner.core.commands import Applied, Command, CommandError, Composite
from desktop_planner.core.events import AccountsChanged, TeamsChanged
from desktop_planner.core.model import Accounts, Plan
from desktop_planner.core.scoring import ScoreDefinition, ScoringError, compute_scores
from desktop_planner.core.teams import Handover, Team, TeamError, check_teams, handovers

# Where the imported potential waits while the score stands in for it (a key of the account's attrs): turning the
# score's feed off, or removing the definition, brings it back; nothing imported is lost.
IMPORTED_POTENTIAL = "imported_potential"


@dataclass(frozen=True)
class TeamsEffect:
    before: tuple[Team, ...]
    after: tuple[Team, ...]


@dataclass(frozen=True)
class ScoringEffect:
    before: ScoreDefinition | None
    after: ScoreDefinition | None


@dataclass(frozen=True)
class HandoverEffect:
    handovers: tuple[Handover, ...]


def _whole_project(plan: Plan, what: str) -> None:
    if plan.teams and not plan.all_accounts:
        raise CommandError(f"{what} apply to every account; this view holds one team's accounts only")


class SetTeams(Command):
    """Replace the team list (add, edit, reorder, remove teams) as one step. Introducing teams turns the
    project's scenarios into the first team's; removing a team keeps its alignment for an undo.

    A team whose id the plan does not have is new: it is given an id the project never used (whatever id the
    caller chose), unless the command `restores` a list (an undo or redo), whose teams keep their ids and so take
    back the alignment they left."""

    def __init__(self, teams: tuple[Team, ...], label: str = "Change teams", restores: bool = False) -> None:
        self.teams = tuple(teams)
        self.label = label
        self.action = "teams"
        self.restores = restores

    def apply(self, plan: Plan) -> Applied:
        _whole_project(plan, "team rules")
        try:
            check_teams(self.teams, account_columns(plan.accounts))
        except TeamError as exc:
            raise CommandError(str(exc)) from None
        if len({t.id for t in self.teams}) != len(self.teams) or any(t.id <= 0 for t in self.teams):
            raise CommandError("every team needs an id of its own")
        before = plan.teams
        after = self.teams if self.restores else self._with_new_ids(plan)
        moved = handovers(plan.accounts, before, plan.accounts, after, self.label)
        plan.teams = after
        plan.team_ids_used = max([plan.team_ids_used] + [t.id for t in after])
        if plan.team_id not in {t.id for t in after}:
            # This plan holds the first team's scenarios (the store moves them with the first team).
            plan.team_id = after[0].id if after else 0
        plan.events.emit(TeamsChanged())
        effects = [TeamsEffect(before, after)]
        if moved:
            effects.append(HandoverEffect(tuple(moved)))
        return Applied(SetTeams(before, self.label, restores=True), effects)

    def _with_new_ids(self, plan: Plan) -> tuple[Team, ...]:
        known = {t.id for t in plan.teams}
        next_id = max([plan.team_ids_used] + list(known)) + 1
        out = []
        for team in self.teams:
            if team.id not in known:
                team, next_id = team.with_changes(id=next_id), next_id + 1
            out.append(team)
        return tuple(out)


def _attrs_with(attrs: str | None, key: str, value) -> str | None:
    try:
        data = json.loads(attrs) if attrs else {}
    except json.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    return json.dumps(data, ensure_ascii=False) if data else None


def _imported_potential(attrs: str | None) -> float | None:
    try:
        data = json.loads(attrs) if attrs else {}
        value = data.get(IMPORTED_POTENTIAL) if isinstance(data, dict) else None
        return float(value) if value is not None else None
    except (json.JSONDecodeError, TypeError, ValueError):
        return None


def scored_accounts(accounts: Accounts, definition: ScoreDefinition | None) -> Accounts:
    """The accounts with the definition's scores and tiers (none without one). While the score feeds potential,
    the imported potential is kept in attrs and the score stands in; otherwise the imported potential is back."""
    attrs = accounts.attrs.copy()
    kept = [_imported_potential(a) for a in attrs.tolist()]
    imported = np.array([accounts.potential[i] if k is None else k for i, k in enumerate(kept)], dtype=np.float64)
    if definition is None:
        score, tier = np.full(len(accounts), np.nan), np.full(len(accounts), None, dtype=object)
    else:
        try:
            columns = account_columns(accounts)
            # From the imported potential: while a score feeds potential, `potential` is the last score, and a score
            # built on it would drift at every re-application.
            columns["potential"] = imported
            result = compute_scores(definition, columns)
        except ScoringError as exc:
            raise CommandError(str(exc)) from None
        score, tier = result.score, result.tier
    feeds = definition is not None and definition.feeds_potential
    for i, k in enumerate(kept):
        if feeds and k is None:
            attrs[i] = _attrs_with(attrs[i], IMPORTED_POTENTIAL, float(accounts.potential[i]))
        elif not feeds and k is not None:
            attrs[i] = _attrs_with(attrs[i], IMPORTED_POTENTIAL, None)
    potential = score.copy() if feeds else imported
    if feeds:
        potential[np.isnan(potential)] = 0.0
    lazy = {name: getattr(accounts, name) for name in ("name", "industry", "postcode")}
    return Accounts(ids=accounts.ids, external_id=accounts.external_id, lon=accounts.lon, lat=accounts.lat,
                    potential=potential, visits_per_year=accounts.visits_per_year,
                    visit_minutes=accounts.visit_minutes, segment=accounts.segment, attrs=attrs, score=score,
                    tier=tier, **lazy)


class SetScoring(Command):
    """Set (or remove, with None) the score definition and score every account with it, as one step. Rules that
    name the score, tier or potential may hand accounts over between teams: reported with the step."""

    def __init__(self, definition: ScoreDefinition | None, label: str | None = None) -> None:
        self.definition = definition
        self.label = label or ("Remove the score" if definition is None else "Score accounts")
        self.action = "scoring"

    def apply(self, plan: Plan) -> Applied:
        _whole_project(plan, "scores")
        before_accounts, before_definition = plan.accounts, plan.scoring
        after_accounts = scored_accounts(before_accounts, self.definition)
        moved = handovers(before_accounts, plan.teams, after_accounts, plan.teams, self.label)
        plan.accounts = after_accounts
        plan.scoring = self.definition
        plan.events.emit(AccountsChanged(0, len(after_accounts), 0))
        effects = [ScoringEffect(before_definition, self.definition), AccountsEffect(before_accounts, after_accounts)]
        if moved:
            effects.append(HandoverEffect(tuple(moved)))
        return Applied(_RestoreScoring(before_definition, before_accounts, self.label), effects)


class _RestoreScoring(Command):
    """The inverse of SetScoring: the previous definition and the accounts exactly as they were."""

    def __init__(self, definition: ScoreDefinition | None, accounts: Accounts, label: str) -> None:
        self.definition, self.accounts, self.label = definition, accounts, label
        self.action = "scoring"

    def apply(self, plan: Plan) -> Applied:
        before_accounts, before_definition = plan.accounts, plan.scoring
        if len(before_accounts) != len(self.accounts) or not np.array_equal(before_accounts.ids, self.accounts.ids):
            raise CommandError("the accounts changed since the scores were set; this step cannot be undone")
        moved = handovers(before_accounts, plan.teams, self.accounts, plan.teams, self.label)
        plan.accounts, plan.scoring = self.accounts, self.definition
        plan.events.emit(AccountsChanged(0, len(self.accounts), 0))
        effects = [ScoringEffect(before_definition, self.definition), AccountsEffect(before_accounts, self.accounts)]
        if moved:
            effects.append(HandoverEffect(tuple(moved)))
        return Applied(_RestoreScoring(before_definition, before_accounts, self.label), effects)


class RescoreAfter(Command):
    """A command that changes the accounts (a re-import), then the scores of the changed accounts, as one step;
    the hand-overs between teams that the new figures cause are reported with it."""

    def __init__(self, command: Command) -> None:
        self.command = command
        self.label = command.label
        self.action = command.action

    def apply(self, plan: Plan) -> Applied:
        before = plan.accounts
        applied = self.command.apply(plan)
        self.label = self.command.label
        effects, inverse = list(applied.effects), applied.inverse
        if plan.scoring is not None:
            middle = plan.accounts
            plan.accounts = scored_accounts(middle, plan.scoring)
            effects.append(AccountsEffect(middle, plan.accounts))
            inverse = Composite([_RestoreScoring(plan.scoring, middle, self.label), applied.inverse], self.label,
                                self.action)
        moved = handovers(before, plan.teams, plan.accounts, plan.teams, self.label) if plan.teams else []
        if moved:
            effects.append(HandoverEffect(tuple(moved)))
        return Applied(inverse, effects)
