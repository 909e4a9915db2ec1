"""Teams in the window, on the demo with an Enterprise field team, an SMB inside-sales team and a Healthcare overlay:
the switcher shows one team at a time with the others as outlines, a change of every team's rules is one undoable
step, and the Scores dock shows how the score spreads over the territories."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_planner.core.commands import Reassign
from desktop_planner.core.scoring import Component, ScoreDefinition, Tier
from desktop_planner.core.team_commands import SetScoring, SetTeams
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.dialogs.import_wizard import CONFIRM, REPORT
from desktop_planner.ui.review.score_dock import NO_SCORE
from tests.team_demo import FIELD, HEALTH, SMB, make_team_demo, raised_revenue_csv
from tests.ui.test_import_wizard import run_wizard
from tests.ui.windows import shown_window

pytestmark = pytest.mark.usefixtures("messages")


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    return make_team_demo(tmp_path_factory.mktemp("teams"), 1200, seed=4)


@pytest.fixture
def window(qtbot, demo_file, tmp_path):
    copy = tmp_path / "teams.tplan"
    copy.write_bytes(demo_file.read_bytes())
    return shown_window(qtbot, copy, size=(1366, 768))


def covered_ids(path, team: str) -> set[str]:
    with ProjectFile.open(path, read_only=True) as project:
        return set(project.load_plan(team=team).accounts.external_id.tolist())


def test_the_switcher_shows_one_team_and_the_others_as_outlines(window):
    views = window.team_views
    assert [views.combo.itemText(i) for i in range(views.combo.count())] == [FIELD, SMB, HEALTH]
    assert views.combo_action.isVisible()
    field = window.session.plan
    assert field.team.name == FIELD
    assert views.outlines.ring_count() > 0  # the other teams' territories, faint

    views.switch(SMB)
    smb = window.session.plan
    assert smb.team.name == SMB and views.combo.currentText() == SMB
    assert set(smb.accounts.external_id.tolist()).isdisjoint(field.accounts.external_id.tolist())
    assert len(window.map._dots._x) == len(smb.accounts)  # the map shows the team's accounts only
    assert smb.active.name == field.active.name  # the same scenario, in the other team

    views.switch(FIELD)
    assert window.session.plan is field  # switching back keeps the team's session and its undo steps


def test_a_map_edit_stays_in_its_team(window):
    plan = window.session.plan
    s = plan.active
    first, second = list(s.territories)[:2]
    moved = np.flatnonzero(s.assignment == first)[:5]
    window.controller.do(Reassign(s.id, moved, second, action="lasso"))
    window.team_views.switch(SMB)
    assert not window.session.history.can_undo  # the other team's edit is not this team's to undo
    window.team_views.switch(FIELD)
    assert window.session.history.can_undo  # the field team's edit is still there to undo


def test_changing_every_team_s_rules_is_one_undoable_step(window, qtbot):
    path = window.session.project.path
    views = window.team_views
    before = covered_ids(path, FIELD)
    teams = views.whole_plan().teams
    wider = tuple(t.with_changes(rule="arr >= 500k or employees >= 5000") if t.name == FIELD else t for t in teams)
    assert views.apply(SetTeams(wider, "Widen the field team"))
    assert window.session.plan.team.name == FIELD
    after = covered_ids(path, FIELD)
    assert after > before
    assert len(window.session.plan.accounts) == len(after)
    assert window._undo_labels(undo=True)[0] == "Widen the field team"

    window.undo()
    assert covered_ids(path, FIELD) == before
    assert len(window.session.plan.accounts) == len(before)
    window.redo()
    assert covered_ids(path, FIELD) == after


def test_a_bad_rule_is_refused_with_the_reason_and_nothing_changes(window, messages):
    path = window.session.project.path
    original = covered_ids(path, SMB)
    teams = window.team_views.whole_plan().teams
    bad = tuple(t.with_changes(rule="revenue > 1") if t.name == SMB else t for t in teams)
    assert not window.team_views.apply(SetTeams(bad))
    assert any("revenue" in text for text in messages)
    assert covered_ids(path, SMB) == original


def test_the_scores_dock_shows_a_box_per_territory_and_follows_a_new_score(window, qtbot):
    dock = window.score_dock
    dock.show()
    qtbot.waitUntil(dock.showing_scores)
    plan = window.session.plan
    with_accounts = len(set(plan.active.assignment[plan.active.assignment > 0].tolist()))
    assert dock.boxes.box_count == with_accounts
    assert "A" in dock.legend.text() and "B" in dock.legend.text()

    employees_only = ScoreDefinition((Component("employees", 1.0, "rank"),), (Tier("Top", 80), Tier("Rest", 0)))
    assert window.team_views.apply(SetScoring(employees_only))
    qtbot.waitUntil(lambda: "Top" in window.score_dock.legend.text())
    assert set(window.session.plan.accounts.tier.tolist()) <= {"Top", "Rest"}

    assert window.team_views.apply(SetScoring(None))
    qtbot.waitUntil(lambda: not window.score_dock.showing_scores())
    assert window.score_dock.message.text() == NO_SCORE


def test_a_reimport_in_the_window_reports_the_hand_overs_and_undoes_as_one_step(window, qtbot, tmp_path):
    path = window.session.project.path
    source = tmp_path / "crm.csv"
    raised = raised_revenue_csv(path, source, most=8)
    before = covered_ids(path, FIELD)
    wizard = run_wizard(window, qtbot, source)
    if wizard.currentId() == CONFIRM:
        wizard.next()
    assert wizard.currentId() == REPORT
    assert f"{len(raised)} from {SMB} to {FIELD}" in wizard.outcome
    assert covered_ids(path, FIELD) == before | set(raised)
    assert window.session.plan.team.name == FIELD and len(window.session.plan.accounts) == len(before | set(raised))

    window.undo()
    assert covered_ids(path, FIELD) == before
