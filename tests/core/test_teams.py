"""Teams: which accounts each covers, the conflicts of their rules, overlays, hand-overs; scoring that feeds
potential and gives it back."""

import json

import numpy as np
import pytest

from desktop_planner.core.commands import CommandError
from desktop_planner.core.history import History
from desktop_planner.core.model import ACCOUNT_COLUMNS, Accounts, Plan, Scenario
from desktop_planner.core.scoring import Component, ScoreDefinition, Tier
from desktop_planner.core.team_commands import IMPORTED_POTENTIAL, RescoreAfter, SetScoring, SetTeams
from desktop_planner.core.account_commands import RefreshAccounts
from desktop_planner.core.teams import Team, TeamError, check_teams, handovers, team_coverage

# ARR, employees, industry of six accounts: two clear Enterprise, two clear SMB, one both rules claim (5,000
# employees but ARR under 1M), one healthcare SMB.
FIGURES = [(2_000_000, 8000, "Retail"), (1_500_000, 300, "Healthcare"), (40_000, 20, "Retail"),
           (90_000, 45, "Healthcare"), (500_000, 6000, "Retail"), (300_000, 80, "Healthcare")]
ENTERPRISE = Team(1, "Enterprise", rule="arr >= 1M or employees >= 5000")
SMB = Team(2, "SMB", rule="arr < 1M")
HEALTH = Team(3, "Health", kind="overlay", rule="industry == 'healthcare' and arr >= 250k")


def accounts(figures=FIGURES) -> Accounts:
    n = len(figures)
    return Accounts.from_columns(
        external_id=[f"A{i}" for i in range(n)], lon=np.linspace(-80, -79, n), lat=np.full(n, 40.0),
        potential=[1000.0 * (i + 1) for i in range(n)], industry=[f[2] for f in figures],
        attrs=[json.dumps({"ARR": f[0], "Employees": f[1]}) for f in figures])


def whole_plan(figures=FIGURES) -> Plan:
    a = accounts(figures)
    scenario = Scenario(1, "Current", {}, np.full(len(a), -1, dtype=np.int64), np.zeros(len(a), bool))
    plan = Plan(a, {1: scenario}, 1)
    plan.all_accounts = True
    return plan


def test_exclusive_teams_split_the_accounts_and_list_conflicts():
    coverage = team_coverage(accounts(), (ENTERPRISE, SMB))
    assert coverage.owner.tolist() == [1, 1, 2, 2, 1, 2]  # the claimed-by-both account goes to the first team
    assert [(c.row, c.kind, c.teams) for c in coverage.conflicts] == [(4, "several", (1, 2))]
    assert coverage.counts() == {1: 3, 2: 3}


def test_an_account_no_exclusive_team_covers_is_a_conflict():
    coverage = team_coverage(accounts(), (Team(1, "Enterprise", rule="arr >= 1M"),))
    assert [(c.row, c.kind) for c in coverage.conflicts] == [(2, "none"), (3, "none"), (4, "none"), (5, "none")]
    assert coverage.owner[2] == 0


def test_include_settles_a_conflict_and_exclude_takes_an_account_out():
    smb = SMB.with_changes(include=frozenset({"A4"}))
    coverage = team_coverage(accounts(), (ENTERPRISE, smb))
    assert coverage.owner[4] == 2 and coverage.conflicts == []
    coverage = team_coverage(accounts(), (ENTERPRISE.with_changes(exclude=frozenset({"A4"})), SMB))
    assert coverage.owner[4] == 2 and coverage.conflicts == []


def test_an_overlay_covers_accounts_an_exclusive_team_owns_too():
    coverage = team_coverage(accounts(), (ENTERPRISE, SMB, HEALTH))
    assert np.flatnonzero(coverage.covered[3]).tolist() == [1, 5]  # one Enterprise, one SMB account
    assert coverage.owner.tolist() == [1, 1, 2, 2, 1, 2]  # an overlay owns nothing


@pytest.mark.parametrize("teams, message", [
    ((Team(1, "A"), Team(2, "a")), "already a team named"),
    ((Team(1, "A", rule="arr >="),), "team 'A'"),
    ((Team(1, "A", kind="overlay"),), "at least one team must be exclusive"),
    ((Team(1, "A", kind="field"),), "kind must be exclusive or overlay"),
    ((Team(1, "A", include=frozenset({"x"}), exclude=frozenset({"x"})),), "both included and excluded"),
])
def test_bad_team_lists_are_refused_with_the_reason(teams, message):
    with pytest.raises(TeamError, match=message):
        check_teams(teams)


def test_a_rule_on_a_column_the_accounts_lack_is_refused_before_anything_changes():
    plan = whole_plan()
    with pytest.raises(CommandError, match="revenue"):
        SetTeams((Team(1, "A", rule="revenue > 5"),)).apply(plan)
    assert plan.teams == ()


def test_set_teams_reports_hand_overs_and_undo_brings_the_old_rules_back():
    plan = whole_plan()
    history = History(plan)
    history.do(SetTeams((ENTERPRISE, SMB)))
    stricter = ENTERPRISE.with_changes(rule="arr >= 1M")
    applied = SetTeams((stricter, SMB.with_changes(rule="arr < 1M")), "Stricter").apply(plan)
    moved = [h for e in applied.effects for h in getattr(e, "handovers", ())]
    assert [(h.external_id, h.from_team, h.to_team) for h in moved] == [("A4", "Enterprise", "SMB")]
    applied.inverse.apply(plan)
    assert plan.teams == (ENTERPRISE, SMB)


def test_a_team_view_cannot_change_the_rules_of_every_team():
    plan = whole_plan()
    plan.teams, plan.team_id, plan.all_accounts = (ENTERPRISE, SMB), 1, False
    with pytest.raises(CommandError, match="one team's accounts"):
        SetTeams((ENTERPRISE,)).apply(plan)


SCORE = ScoreDefinition(components=(Component("arr", 1.0),), tiers=(Tier("A", 50.0), Tier("B", 0.0)),
                        feeds_potential=True)


def test_a_score_that_feeds_potential_keeps_the_imported_one_and_gives_it_back():
    plan = whole_plan()
    imported = plan.accounts.potential.copy()
    history = History(plan)
    history.do(SetScoring(SCORE))
    # ARR min 40k, max 2M: (arr - 40k) / 1.96M * 100
    assert plan.accounts.score[0] == 100.0 and plan.accounts.score[2] == 0.0
    assert plan.accounts.potential.tolist() == plan.accounts.score.tolist()
    assert plan.accounts.tier.tolist() == ["A", "A", "B", "B", "B", "B"]
    assert json.loads(plan.accounts.attrs[0])[IMPORTED_POTENTIAL] == imported[0]
    history.do(SetScoring(ScoreDefinition(components=SCORE.components)))  # no longer feeding potential
    assert plan.accounts.potential.tolist() == imported.tolist()
    assert IMPORTED_POTENTIAL not in json.loads(plan.accounts.attrs[0])
    history.undo()
    history.undo()
    assert plan.scoring is None and np.isnan(plan.accounts.score).all()
    assert plan.accounts.potential.tolist() == imported.tolist()


def test_a_score_built_on_potential_that_feeds_potential_does_not_drift_when_applied_again():
    plan = whole_plan()
    on_potential = ScoreDefinition((Component("potential", 1.0), Component("arr", 1.0)), feeds_potential=True)
    history = History(plan)
    history.do(SetScoring(on_potential))
    first = plan.accounts.score.copy()
    history.do(SetScoring(on_potential))
    assert plan.accounts.score.tolist() == first.tolist()


def test_a_refresh_that_raises_revenue_hands_accounts_over_and_rescores():
    plan = whole_plan()
    history = History(plan)
    history.do(SetScoring(ScoreDefinition(components=(Component("arr", 1.0),))))
    history.do(SetTeams((ENTERPRISE, SMB, HEALTH)))
    raised = list(FIGURES)
    raised[3] = (1_200_000, 45, "Healthcare")  # an SMB account crosses 1M
    new = accounts(raised)
    columns = {name: getattr(new, name) for name in ACCOUNT_COLUMNS if name != "ids"}
    command = RescoreAfter(RefreshAccounts(columns, fields=("lon", "lat", "potential", "industry", "attrs")))
    applied = command.apply(plan)
    moved = {(h.external_id, h.from_team, h.to_team) for e in applied.effects for h in getattr(e, "handovers", ())}
    assert moved == {("A3", "SMB", "Enterprise"), ("A3", None, "Health")}  # and it joins the overlay
    assert plan.accounts.score[3] > 50  # rescored with the new ARR
    applied.inverse.apply(plan)
    assert json.loads(plan.accounts.attrs[3])["ARR"] == 90_000 and plan.accounts.score[3] < 5


def test_hand_overs_ignore_accounts_that_are_new_or_gone():
    before, after = accounts(), accounts(FIGURES[:4])
    assert handovers(before, (ENTERPRISE, SMB), after, (ENTERPRISE, SMB), "x") == []
