"""Teams > Teams and rules…, on the demo with an Enterprise field team, an SMB inside-sales team whose rule forgets
large low-revenue accounts (the conflicts) and a Healthcare overlay: counts and conflicts follow every edit, a
team that cannot be used disables OK and says why, and `teams()` keeps the ids and settings of existing teams."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidgetSelectionRange

from desktop_planner.core.team_commands import SetTeams
from desktop_planner.core.teams import team_coverage
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.dialogs.teams_dialog import CONFLICT_ROWS, TITLE, TeamsDialog
from tests.team_demo import FIELD as ENTERPRISE, HEALTH as HEALTHCARE, SMB, make_team_demo
from tests.ui.windows import shown_window

ACCOUNTS = 1500


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    return make_team_demo(tmp_path_factory.mktemp("teams_dialog"), ACCOUNTS)


@pytest.fixture
def plan(demo_file):
    with ProjectFile.open(demo_file, read_only=True) as project:
        return project.load_plan(all_accounts=True)


@pytest.fixture
def dialog(qtbot, plan):
    dialog = TeamsDialog(None, plan)
    qtbot.addWidget(dialog)
    return dialog


def ok(dialog) -> bool:
    return dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()


def rows(dialog) -> list[str]:
    return [dialog.list.item(r).text() for r in range(dialog.list.count())]


def select(dialog, name: str) -> None:
    dialog.list.setCurrentRow(next(r for r, d in enumerate(dialog.drafts) if d.team.name == name))


def test_opening_lists_the_teams_in_order_with_their_accounts(dialog, plan):
    counts = team_coverage(plan.accounts, plan.teams).counts()
    assert dialog.windowTitle() == TITLE
    assert rows(dialog) == [f"{t.name}{' (overlay)' if t.overlay else ''} — {counts[t.id]:,} accounts"
                            for t in plan.teams]
    assert [t.name for t in plan.teams] == [ENTERPRISE, SMB, HEALTHCARE]
    assert dialog.name_edit.text() == ENTERPRISE and dialog.kind_box.currentData() == "exclusive"
    assert dialog.rule_edit.toPlainText() == "arr >= 1M or employees >= 5000"
    assert f"Matches {counts[1]:,} of {ACCOUNTS:,} accounts" in dialog.match.text()
    assert "Columns: arr, employees, " in dialog.hint.text() and "arr >= 1M or employees >= 5000" in dialog.hint.text()
    assert ok(dialog)
    assert dialog.teams() == plan.teams  # nothing edited: the very same teams, so nothing to apply


def test_editing_a_rule_updates_the_match_count_after_a_pause(qtbot, dialog):
    select(dialog, SMB)
    before = dialog.match.text()
    dialog.rule_edit.setPlainText("arr < 1M and employees < 5000")
    assert dialog.timer.isActive() and dialog.match.text() == before  # debounced: no work on every keystroke
    qtbot.waitUntil(lambda: dialog.match.text() != before, timeout=2000)
    smb = dialog.teams()[1]
    assert smb.rule == "arr < 1M and employees < 5000"
    owned = dialog.counts[smb.id]
    assert f"Matches {owned:,} of" in dialog.match.text()
    assert dialog.list.item(1).text() == f"{SMB} — {owned:,} accounts"
    # The settled rule leaves no conflicts: every account has exactly one exclusive team.
    assert dialog.coverage.conflicts == [] and "No conflicts" in dialog.summary.text()
    assert dialog.counts[1] + owned == ACCOUNTS


def test_a_bad_rule_shows_its_error_and_disables_ok_until_fixed(dialog):
    select(dialog, SMB)
    dialog.rule_edit.setPlainText("arr < 1M and emploees < 5000")
    dialog.check_now()
    assert "emploees" in dialog.match.text() and "did you mean employees" in dialog.match.text()
    assert "#a01c1c" in dialog.match.styleSheet()
    assert not ok(dialog) and "SMB inside sales" in dialog.problem.text() and dialog.problem.isVisibleTo(dialog)
    assert dialog.list.item(1).text() == f"{SMB} — rule has an error"
    dialog.rule_edit.setPlainText("arr < 1M and (")
    dialog.check_now()
    assert dialog.match.text() == "rule 'arr < 1M and (' has a bracket that is never closed"
    assert not ok(dialog)
    dialog.rule_edit.setPlainText("arr < 1M")
    dialog.check_now()
    assert ok(dialog) and dialog.match.text().startswith("Matches") and dialog.problem.isHidden()


def test_the_conflicts_are_listed_and_an_include_list_settles_them(dialog, plan):
    coverage = team_coverage(plan.accounts, plan.teams)
    assert 0 < len(coverage.conflicts) < CONFLICT_ROWS
    assert dialog.table.rowCount() == len(coverage.conflicts)
    assert dialog.tabs.tabText(1) == f"Conflicts ({len(coverage.conflicts):,})"
    assert f"{len(coverage.conflicts):,} accounts claimed by several exclusive teams" in dialog.summary.text()
    first = coverage.conflicts[0]
    assert dialog.table.item(0, 0).text() == plan.accounts.external_id[first.row]
    assert dialog.table.item(0, 1).text() == plan.accounts.name[first.row]
    assert dialog.table.item(0, 2).text() == f"claimed by {ENTERPRISE} and {SMB}"
    assert dialog.table.item(0, 3).text() == ENTERPRISE  # the first claiming team, in the list's order
    assert ok(dialog)  # conflicts are listed, not refused

    # Give the first two to the SMB team: they go there and are no longer conflicts.
    dialog.settle_team.setCurrentIndex(dialog.settle_team.findData(2))
    dialog.table.setRangeSelected(QTableWidgetSelectionRange(0, 0, 1, 3), True)
    assert dialog.settle_button.isEnabled()
    settled = {dialog.table.item(r, 0).text() for r in (0, 1)}
    dialog.settle_selected()
    smb = dialog.teams()[1]
    assert smb.include == settled and smb.id == 2
    assert dialog.table.rowCount() == len(coverage.conflicts) - 2
    owner = dialog.coverage.owner
    assert all(owner[list(plan.accounts.external_id).index(x)] == 2 for x in settled)


def test_adding_an_overlay_team_keeps_the_existing_teams_and_ids(dialog, plan):
    dialog.add_team()
    assert dialog.list.count() == 4 and dialog.list.currentRow() == 3
    dialog.name_edit.setText("Cyber security overlay")
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("overlay"))
    dialog.rule_edit.setPlainText("industry in ['Technology', 'Financial Services'] and arr >= 500k")
    dialog.check_now()
    assert ok(dialog)
    teams = dialog.teams()
    assert teams[:3] == plan.teams  # ids, rules and each team's own settings untouched
    new = teams[3]
    assert new.name == "Cyber security overlay" and new.kind == "overlay" and new.settings_json is None
    assert new.id not in {t.id for t in plan.teams} and new.id > 0
    assert dialog.list.item(3).text() == f"Cyber security overlay (overlay) — {dialog.counts[new.id]:,} accounts"
    assert 0 < dialog.counts[new.id] < ACCOUNTS
    SetTeams(teams).apply(plan)  # what the window does with it: accepted
    assert plan.teams == teams


def test_a_new_team_never_takes_the_id_of_one_removed_in_the_dialog(dialog, plan):
    select(dialog, HEALTHCARE)
    dialog.remove_team()
    dialog.add_team()
    assert dialog.teams()[-1].id not in {t.id for t in plan.teams}


def test_editing_a_team_keeps_its_id_and_settings(dialog, plan):
    select(dialog, HEALTHCARE)
    dialog.name_edit.setText("Healthcare overlay")
    dialog.check_now()
    edited = dialog.teams()[2]
    assert edited.id == plan.teams[2].id and edited.settings_json == plan.teams[2].settings_json
    assert edited.name == "Healthcare overlay" and dialog.list.item(2).text().startswith("Healthcare overlay (overlay)")


def test_removing_a_team_and_removing_them_all(dialog, plan):
    select(dialog, HEALTHCARE)
    dialog.remove_team()
    assert [t.name for t in dialog.teams()] == [ENTERPRISE, SMB] and ok(dialog)
    assert dialog.list.currentRow() == 1  # the next one up is selected
    dialog.remove_team()
    assert [t.id for t in dialog.teams()] == [1]
    # Enterprise alone leaves most accounts to nobody: the table shows the first ones and says how many more.
    none = len(dialog.coverage.conflicts)
    assert none == ACCOUNTS - dialog.counts[1] > CONFLICT_ROWS
    assert dialog.table.rowCount() == CONFLICT_ROWS + 1
    assert dialog.table.item(CONFLICT_ROWS, 0).text() == f"… and {none - CONFLICT_ROWS:,} more"
    assert dialog.table.item(0, 2).text() == "no exclusive team covers it" and dialog.table.item(0, 3).text() == ""
    assert f"{none:,} accounts no exclusive team covers" in dialog.summary.text()
    dialog.remove_team()
    assert dialog.teams() == () and ok(dialog)  # a project without teams
    assert "one alignment of all" in dialog.problem.text() and ENTERPRISE in dialog.problem.text()
    assert not dialog.name_edit.isEnabled() and not dialog.remove_button.isEnabled()
    assert dialog.summary.text() == ""


def test_a_duplicate_or_empty_name_disables_ok(dialog):
    select(dialog, SMB)
    dialog.name_edit.setText("enterprise FIELD")
    dialog.check_now()
    assert not ok(dialog) and "already a team named" in dialog.problem.text()
    assert dialog.coverage is not None  # names do not change who covers what: counts stay on screen
    dialog.name_edit.setText("   ")
    dialog.check_now()
    assert not ok(dialog) and "needs a name" in dialog.problem.text()
    assert dialog.list.item(1).text().startswith("(no name)")
    dialog.name_edit.setText(SMB)
    dialog.check_now()
    assert ok(dialog)


def test_overlays_only_is_refused(dialog):
    for name in (ENTERPRISE, SMB):
        select(dialog, name)
        dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("overlay"))
    dialog.check_now()
    assert not ok(dialog) and "at least one team must be exclusive" in dialog.problem.text().lower()
    assert "no exclusive team covers" in dialog.summary.text()


def test_unknown_ids_warn_and_an_id_both_included_and_excluded_blocks(dialog, plan):
    known = plan.accounts.external_id[0]
    select(dialog, ENTERPRISE)
    dialog.include_edit.setPlainText(f"{known}, X-1 X-2; X-3")
    dialog.check_now()
    assert dialog.include_note.text() == "3 ids not found: X-1, X-2, X-3"
    assert ok(dialog)  # a warning: an account may be named before it is imported
    assert dialog.teams()[0].include == {known, "X-1", "X-2", "X-3"}
    dialog.exclude_edit.setPlainText(known)
    dialog.check_now()
    assert not ok(dialog) and "both included and excluded" in dialog.problem.text()
    dialog.exclude_edit.setPlainText("[not json")
    dialog.check_now()
    assert not ok(dialog) and "not valid JSON" in dialog.exclude_note.text()


def test_ids_with_spaces_survive_the_round_trip(qtbot, plan):
    team = plan.teams[0].with_changes(include=frozenset({"ACME 1", "B,2"}))
    plan.teams = (team,) + plan.teams[1:]
    dialog = TeamsDialog(None, plan)
    qtbot.addWidget(dialog)
    assert dialog.teams() == plan.teams


def test_moving_a_team_changes_who_gets_the_conflicts(dialog):
    select(dialog, SMB)
    dialog.move_team(-1)
    assert [t.name for t in dialog.teams()] == [SMB, ENTERPRISE, HEALTHCARE]
    assert dialog.list.currentRow() == 0 and not dialog.up_button.isEnabled()
    assert dialog.table.item(0, 3).text() == SMB


def test_a_project_without_teams_gets_its_first_team(qtbot, plan):
    plan.teams = ()
    dialog = TeamsDialog(None, plan)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 0 and "Add a team" in dialog.problem.text() and ok(dialog)
    dialog.add_team()
    team = dialog.teams()[0]
    assert team.kind == "exclusive" and team.id == 1 and team.rule == ""
    assert "Empty rule: every account" in dialog.match.text() and dialog.counts == {1: ACCOUNTS}


def test_the_dialog_fits_a_laptop_screen_and_renders(dialog, tmp_path):
    dialog.show()
    assert dialog.width() <= 1366 and dialog.height() <= 700
    assert dialog.minimumSizeHint().width() <= dialog.width()
    assert dialog.grab().save(str(tmp_path / "teams_dialog.png"))


def test_ok_in_the_window_changes_every_team_as_one_undo_step(qtbot, demo_file, tmp_path, monkeypatch, messages):
    path = tmp_path / "teams.tplan"
    path.write_bytes(demo_file.read_bytes())
    win = shown_window(qtbot, path)

    def edit_and_accept(dialog):
        select(dialog, SMB)
        dialog.rule_edit.setPlainText("arr < 1M and employees < 5000")
        dialog.add_team()
        dialog.name_edit.setText("Cyber security")
        dialog.rule_edit.setPlainText("industry == 'Technology'")
        dialog.check_now()
        assert ok(dialog)
        return QDialog.Accepted

    monkeypatch.setattr(TeamsDialog, "exec", edit_and_accept)
    before = win.team_views.whole_plan().teams
    win.team_views.edit_teams()
    assert not messages
    with ProjectFile.open(path, read_only=True) as saved:
        teams = saved.load_plan(all_accounts=True).teams
    assert [t.name for t in teams] == [ENTERPRISE, SMB, HEALTHCARE, "Cyber security"]
    assert teams[0] == before[0] and teams[2] == before[2] and teams[1].id == before[1].id
    assert teams[1].settings_json == before[1].settings_json and teams[3].kind == "overlay"
    assert [win.team_views.combo.itemText(i) for i in range(win.team_views.combo.count())][-1] == "Cyber security"
    assert win.team_views.undo()
    with ProjectFile.open(path, read_only=True) as saved:
        assert saved.load_plan(all_accounts=True).teams == before


def test_enter_before_the_check_does_not_accept_a_bad_rule(dialog):
    dialog.rule_edit.setPlainText("arr >= ")
    assert dialog.timer.isActive() and ok(dialog)  # the check has not run yet
    dialog.accept()
    assert dialog.result() != QDialog.Accepted and not ok(dialog)
    dialog.list.setCurrentRow(1)  # moving away and back before any check shows the error too
    dialog.list.setCurrentRow(0)
    assert dialog.match.text() == "rule 'arr >=' is incomplete"
    dialog.rule_edit.setPlainText("arr >= 1M")
    dialog.accept()
    assert dialog.result() == QDialog.Accepted
