"""Teams: which accounts each sales team covers, by a rule on the accounts' columns.

A team is *exclusive* (field, inside sales: every account has one owner among the exclusive teams) or an
*overlay* (specialists who cover accounts an exclusive team also covers). A team's rule is a filter such as
`arr >= 1M or employees >= 5000` (core.rules); its include and exclude lists name accounts (external ids) that it
covers or does not cover whatever the rule says, which is how a planner settles a conflict.

Conflicts are listed, never settled silently: an account no exclusive team covers, and an account several
exclusive teams' rules claim. The latter is still covered, by the first of them in team order, so that no
account drops out of every plan while the planner decides.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

import numpy as np

from desktop_planner.core.account_table import account_columns
from desktop_planner.core.model import Accounts
from desktop_planner.core.rules import RuleError, parse_rule

KINDS = ("exclusive", "overlay")
NO_TEAM = 0


class TeamError(ValueError):
    """A team definition that cannot be used; the message is meant for the user."""


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    kind: str = "exclusive"
    rule: str = ""  # empty: every account
    include: frozenset = frozenset()  # external ids covered whatever the rule says
    exclude: frozenset = frozenset()  # external ids not covered whatever the rule says
    settings_json: str | None = None  # the team's own measure settings; None: the project's

    @property
    def overlay(self) -> bool:
        return self.kind == "overlay"

    def with_changes(self, **changes) -> "Team":
        return replace(self, **changes)

    def describe(self) -> str:
        rule = self.rule.strip() or "every account"
        extra = "".join(f", {len(ids)} {word}" for ids, word in ((self.include, "included"),
                                                                 (self.exclude, "excluded")) if ids)
        return f"{self.name} ({self.kind}): {rule}{extra}"


def check_teams(teams: tuple[Team, ...], columns: dict[str, np.ndarray] | None = None) -> None:
    """Refuse a team list that cannot be used: names empty or repeated, an unknown kind, a rule that does not
    parse (or, with the accounts' columns, names a column they lack), no exclusive team."""
    seen: set[str] = set()
    for team in teams:
        if not isinstance(team.name, str) or not team.name.strip():
            raise TeamError("a team needs a name")
        if team.name.casefold() in seen:
            raise TeamError(f"there is already a team named {team.name!r}")
        seen.add(team.name.casefold())
        if team.kind not in KINDS:
            raise TeamError(f"team {team.name!r}: kind must be exclusive or overlay, not {team.kind!r}")
        try:
            rule = parse_rule(team.rule)
            if columns is not None:
                rule.mask(columns)
        except RuleError as exc:
            raise TeamError(f"team {team.name!r}: {exc}") from None
        both = team.include & team.exclude
        if both:
            raise TeamError(f"team {team.name!r}: {len(both)} accounts are both included and excluded "
                            f"(first: {sorted(both)[0]})")
    if teams and not any(not t.overlay for t in teams):
        raise TeamError("at least one team must be exclusive (own its accounts); overlays only add specialists")


@dataclass(frozen=True)
class Conflict:
    row: int  # account row
    kind: str  # "none": no exclusive team covers it; "several": more than one exclusive rule claims it
    teams: tuple[int, ...]  # the claiming teams (several), empty for none


@dataclass
class Coverage:
    """Who covers what, for one accounts table and one team list."""
    covered: dict[int, np.ndarray]  # team id -> bool per account
    owner: np.ndarray  # the exclusive team owning each account (NO_TEAM: none)
    conflicts: list[Conflict] = field(default_factory=list)

    def counts(self) -> dict[int, int]:
        return {tid: int(mask.sum()) for tid, mask in self.covered.items()}


def _listed(accounts: Accounts, ids: frozenset) -> np.ndarray:
    if not ids:
        return np.zeros(len(accounts), dtype=bool)
    return np.fromiter((x in ids for x in accounts.external_id.tolist()), dtype=bool, count=len(accounts))


def team_coverage(accounts: Accounts, teams: tuple[Team, ...]) -> Coverage:
    """Evaluate every team's rule and lists on the accounts (see the module docstring for conflicts)."""
    n = len(accounts)
    if not teams:
        return Coverage({}, np.full(n, NO_TEAM, dtype=np.int64))
    columns = account_columns(accounts)
    claims: dict[int, np.ndarray] = {}
    forced: dict[int, np.ndarray] = {}
    for team in teams:
        try:
            mask = parse_rule(team.rule).mask(columns)
        except RuleError as exc:
            raise TeamError(f"team {team.name!r}: {exc}") from None
        include = _listed(accounts, team.include)
        mask = (mask | include) & ~_listed(accounts, team.exclude)
        claims[team.id], forced[team.id] = mask, include
    exclusive = [t.id for t in teams if not t.overlay]
    owner = np.full(n, NO_TEAM, dtype=np.int64)
    claimed_by = np.zeros(n, dtype=np.int64)
    # An include list settles a conflict: an account named by one exclusive team goes there first.
    for tid in exclusive:
        take = forced[tid] & (owner == NO_TEAM)
        owner[take] = tid
    for tid in exclusive:
        claimed_by += claims[tid]
        owner[(owner == NO_TEAM) & claims[tid]] = tid
    conflicts = [Conflict(int(r), "none", ()) for r in np.flatnonzero(owner == NO_TEAM)]
    forced_any = np.zeros(n, dtype=bool)
    for tid in exclusive:
        forced_any |= forced[tid]
    for r in np.flatnonzero((claimed_by > 1) & ~forced_any):
        conflicts.append(Conflict(int(r), "several", tuple(tid for tid in exclusive if claims[tid][r])))
    conflicts.sort(key=lambda c: c.row)
    covered = {t.id: (owner == t.id) if not t.overlay else claims[t.id] for t in teams}
    return Coverage(covered, owner, conflicts)


@dataclass(frozen=True)
class Handover:
    external_id: str
    from_team: str | None  # None: the account was new, or no team covered it
    to_team: str | None  # None: the account left, or no team covers it now
    reason: str


def handovers(before: Accounts, before_teams: tuple[Team, ...], after: Accounts, after_teams: tuple[Team, ...],
              reason: str) -> list[Handover]:
    """Accounts (present both before and after) whose exclusive owner changed, or that joined or left an
    overlay team: what a re-import or a rule change hands over between teams."""
    if not before_teams or not after_teams:
        return []  # teams introduced or all removed: nothing is handed from one team to another
    cov_before, cov_after = team_coverage(before, before_teams), team_coverage(after, after_teams)
    names_before = {t.id: t.name for t in before_teams}
    names_after = {t.id: t.name for t in after_teams}
    position = {x: i for i, x in enumerate(before.external_id.tolist())}
    rows_after = np.array([i for i, x in enumerate(after.external_id.tolist()) if x in position], dtype=np.int64)
    rows_before = np.array([position[x] for x in after.external_id[rows_after].tolist()], dtype=np.int64)
    out: list[Handover] = []
    old_owner = [names_before.get(int(t)) for t in cov_before.owner[rows_before].tolist()]
    new_owner = [names_after.get(int(t)) for t in cov_after.owner[rows_after].tolist()]
    for k, (a, b) in enumerate(zip(old_owner, new_owner)):
        if a != b:
            out.append(Handover(after.external_id[rows_after[k]], a, b, reason))
    for team in after_teams:
        if not team.overlay:
            continue
        now = cov_after.covered[team.id][rows_after]
        was = np.zeros(len(rows_after), dtype=bool)
        old = next((t for t in before_teams if t.name == team.name), None)
        if old is not None:
            was = cov_before.covered[old.id][rows_before]
        for k in np.flatnonzero(now != was):
            joined = bool(now[k])
            out.append(Handover(after.external_id[rows_after[k]], None if joined else team.name,
                                team.name if joined else None, reason))
    return out


ID_SPLIT = re.compile(r"[,;\s]+")


def parse_id_list(text: str) -> frozenset:
    """External ids from "A-1, A-2 A-3" or a JSON list."""
    text = (text or "").strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TeamError(f"account list is not valid JSON: {exc}") from None
        return frozenset(str(v) for v in values)
    return frozenset(v for v in ID_SPLIT.split(text) if v)
