"""Teams > Score accounts…: the stored score shown as it is and given back unchanged, a live preview that follows
every edit, problems named with OK disabled, Remove score after a question, and the dialog within a laptop screen."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from desktop_planner.core.account_table import account_columns
from desktop_planner.core.scoring import Component, ScoreDefinition, Tier, compute_scores
from desktop_planner.io.demo_teams import DEMO_SCORE
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.dialogs import scoring_dialog
from desktop_planner.ui.dialogs.scoring_dialog import ScoringDialog
from tests.team_demo import make_team_demo
from tests.ui.windows import shown_window

ERROR_COLOR = "#b00020"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    return make_team_demo(tmp_path_factory.mktemp("scoring"), 600)


@pytest.fixture
def plan(demo_file):
    """The plan of all accounts with the demo's score, as team_views hands it to the dialog."""
    with ProjectFile.open(demo_file, read_only=True) as project:
        yield project.load_plan(all_accounts=True)


def shown(qtbot, plan) -> ScoringDialog:
    dialog = ScoringDialog(None, plan)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.refresh_preview()  # at once, rather than after the debounce
    return dialog


def row_of(dialog: ScoringDialog, column: str):
    return next(row for row in dialog.rows if row.column.currentData() == column)


def tier_counts(dialog: ScoringDialog) -> dict[str, int]:
    """{tier: accounts} as the preview's legend says them."""
    return {name: int(count.replace(",", "")) for name, count in
            re.findall(r"<b>(\w+)</b> [\d.]+–[\d.]+: ([\d,]+)", dialog.legend.text())}


def expected_counts(definition: ScoreDefinition, plan) -> dict[str, int]:
    tiers = compute_scores(definition, account_columns(plan.accounts)).tier
    return {t.name: int((tiers == t.name).sum()) for t in definition.tiers}


def test_the_stored_score_is_shown_as_it_is_and_comes_back_unchanged(qtbot, plan):
    assert plan.scoring == DEMO_SCORE
    dialog = shown(qtbot, plan)
    assert dialog.windowTitle() == "Score accounts"
    arr, employees, industry = dialog.rows
    assert (arr.column.currentData(), arr.method.currentData(), arr.cap.text()) == ("arr", "minmax", "5,000,000")
    assert (employees.method.currentText(), industry.method.currentData()) == ("rank", "categories")
    assert industry.points.text().startswith("Healthcare=100, Technology=90")
    assert not industry.cap.isEnabled() and not arr.points.isEnabled()  # each field only where it applies
    assert [row.share.text() for row in dialog.rows] == ["50%", "20%", "30%"]
    assert [(e.text(), b.value()) for e, b, _ in dialog.tier_rows] == [("A", 55.0), ("B", 30.0), ("C", 0.0)]
    assert not dialog.feeds.isChecked()
    assert dialog.ok.isEnabled() and dialog.status.isHidden() and dialog.remove_button.isEnabled()
    assert dialog.definition() == plan.scoring  # opened and closed with OK: nothing changes
    assert tier_counts(dialog) == expected_counts(plan.scoring, plan)
    assert "600 accounts" in dialog.summary.text()


def test_weights_and_scores_the_boxes_round_are_given_back_exactly(qtbot, plan):
    plan.scoring = ScoreDefinition((Component("arr", 0.125, "rank"), Component("employees", 1 / 3)),
                                   (Tier("Top", 66.66), Tier("Rest", 0.0)))
    dialog = shown(qtbot, plan)
    assert dialog.definition() == plan.scoring
    row_of(dialog, "arr").weight.setValue(0.5)  # an edit gives the edited value
    assert dialog.definition().components[0].weight == 0.5


def test_a_new_score_starts_from_potential_and_employees_with_three_tiers(qtbot, plan):
    plan.scoring = None
    dialog = shown(qtbot, plan)
    definition = dialog.definition()
    assert [(c.column, c.method) for c in definition.components] == [("potential", "rank"), ("employees", "rank")]
    assert [row.share.text() for row in dialog.rows] == ["60%", "40%"]
    assert [(t.name, t.min_score) for t in definition.tiers] == [("A", 70.0), ("B", 40.0), ("C", 0.0)]
    assert not dialog.remove_button.isEnabled()  # nothing to remove yet
    assert set(tier_counts(dialog)) == {"A", "B", "C"} and sum(tier_counts(dialog).values()) == 600
    offered = {dialog.rows[0].column.itemData(i) for i in range(dialog.rows[0].column.count())}
    assert {"arr", "employees", "industry", "segment"} <= offered
    assert not offered & {"score", "tier", "lon", "lat", "external_id"}  # never a score of the score


def test_changing_a_weight_updates_the_preview_after_a_pause(qtbot, plan):
    dialog = shown(qtbot, plan)
    before = tier_counts(dialog)
    industry = row_of(dialog, "industry")
    industry.weight.setValue(0.0)
    assert tier_counts(dialog) == before  # debounced: not one recomputation per keystroke
    assert row_of(dialog, "arr").share.text() == "71%" and industry.share.text() == "0%"  # the shares at once
    edited = dialog.definition()
    qtbot.waitUntil(lambda: tier_counts(dialog) != before, timeout=2000)
    assert tier_counts(dialog) == expected_counts(edited, plan)
    # A tier edit moves the counts too, and a tier added shows in the legend.
    dialog.tier_rows[0][1].setValue(20.0)
    qtbot.waitUntil(lambda: tier_counts(dialog) == expected_counts(dialog.definition(), plan), timeout=2000)
    dialog.add_tier_button.click()
    assert dialog.tier_rows[-1][0].text() == "D" and dialog.tier_rows[-1][1].value() == 10.0  # under A's 20
    dialog.refresh_preview()
    assert "D" in tier_counts(dialog)


def assert_refused(dialog: ScoringDialog, *words: str) -> None:
    assert not dialog.ok.isEnabled()
    assert dialog.status.isVisible() and ERROR_COLOR in dialog.status.styleSheet()
    for word in words:
        assert word in dialog.status.text()


def test_invalid_setups_disable_ok_and_say_why(qtbot, plan):
    dialog = shown(qtbot, plan)
    for row in dialog.rows:
        row.weight.setValue(0.0)
    assert_refused(dialog, "weight above 0")
    assert all(row.share.text() == "–" for row in dialog.rows)
    dialog.refresh_preview()
    assert dialog.chart_stack.currentWidget() is dialog.no_preview and tier_counts(dialog) == {}
    row_of(dialog, "arr").weight.setValue(1.0)
    assert dialog.ok.isEnabled() and dialog.status.isHidden()
    dialog.refresh_preview()
    assert dialog.chart_stack.currentWidget() is dialog.chart and tier_counts(dialog)

    industry = row_of(dialog, "industry").points
    industry.setText("Healthcare 100, *=20")
    assert_refused(dialog, "industry", "'Healthcare 100' should be Category=points")
    industry.setText("Healthcare=lots")
    assert_refused(dialog, "'Healthcare'", "'lots'")
    industry.setText("Healthcare=150")
    assert_refused(dialog, "0 to 100")
    industry.setText("")
    assert_refused(dialog, "points per category")
    industry.setText("Helthcare=100, *=20")  # allowed, but a typo scores 0 silently: said, not refused
    assert dialog.ok.isEnabled() and "no account has 'Helthcare'" in dialog.status.text()
    industry.setText("healthcare=100, *=20")  # categories match ignoring case
    assert dialog.ok.isEnabled() and dialog.status.isHidden()

    arr = row_of(dialog, "arr")
    arr.cap.setText("big")
    assert_refused(dialog, "the cap 'big' is not a number")
    arr.cap.setText("2.5M")
    assert dialog.ok.isEnabled() and dialog.definition().components[0].cap == 2_500_000
    arr.method.setCurrentIndex(arr.method.findData("categories"))
    assert_refused(dialog, "arr holds number")
    arr.method.setCurrentIndex(arr.method.findData("minmax"))
    employees = row_of(dialog, "employees")
    employees.column.setCurrentIndex(employees.column.findData("arr"))
    assert_refused(dialog, "more than once")
    dialog.tier_rows[1][0].setText("a")
    employees.column.setCurrentIndex(employees.column.findData("employees"))
    assert_refused(dialog, "more than once")  # the tiers' names now: A and a
    dialog.tier_rows[1][0].setText("B")
    assert dialog.ok.isEnabled()
    dialog.accept()  # OK works again once all is fixed
    assert dialog.result() == QDialog.Accepted


def test_a_text_column_is_scored_by_categories_of_its_own_values(qtbot, plan):
    dialog = shown(qtbot, plan)
    employees = row_of(dialog, "employees")
    employees.column.setCurrentIndex(employees.column.findData("segment"))
    assert employees.method.currentData() == "categories" and employees.points.isEnabled()
    segments = {s for s in plan.accounts.segment.tolist() if s}
    named = [item.split("=")[0] for item in employees.points.text().split(", ")]
    assert named[-1] == "*" and set(named[:-1]) <= segments and named[:-1]
    assert dialog.ok.isEnabled() and "segment" in [c.column for c in dialog.definition().components]
    employees.column.setCurrentIndex(employees.column.findData("employees"))
    assert employees.method.currentData() == "rank" and dialog.ok.isEnabled()
    dialog.rows[0].remove.click()
    assert [row.column.currentData() for row in dialog.rows] == ["employees", "industry"]
    for row in list(dialog.rows):
        row.remove.click()
    assert_refused(dialog, "at least one component")


def test_remove_score_asks_first_then_gives_none(qtbot, plan, monkeypatch):
    plan.scoring = replace(DEMO_SCORE, feeds_potential=True)
    asked = []
    answer = QMessageBox.Cancel
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or answer)
    dialog = shown(qtbot, plan)
    dialog.remove_button.click()
    assert not dialog.removed and dialog.isVisible() and dialog.definition() == plan.scoring
    assert "imported potential comes back" in asked[0]
    answer = QMessageBox.Yes
    dialog.remove_button.click()
    assert dialog.removed and dialog.result() == QDialog.Accepted
    assert dialog.definition() is None


def test_feeds_potential_is_carried_both_ways(qtbot, plan):
    dialog = shown(qtbot, plan)
    assert not dialog.definition().feeds_potential
    dialog.feeds.setChecked(True)
    assert dialog.definition().feeds_potential and dialog.ok.isEnabled()
    plan.scoring = replace(DEMO_SCORE, feeds_potential=True)
    again = shown(qtbot, plan)
    assert again.feeds.isChecked() and again.definition() == plan.scoring
    # Scoring potential while the score stands in for it would read the score next time: said, not refused.
    row = again.rows[0]
    row.column.setCurrentIndex(row.column.findData("potential"))
    assert again.ok.isEnabled() and "scoring again reads the score" in again.status.text()


def test_the_dialog_fits_a_laptop_screen(qtbot, plan):
    dialog = shown(qtbot, plan)
    width, height = scoring_dialog.PREFERRED_SIZE
    assert width <= 1366 - 20 and height <= 768 - 40 - 40  # less a task bar and the title bar
    hint = dialog.minimumSizeHint()
    assert hint.width() <= width and hint.height() <= height
    for _ in range(6):  # many components scroll inside their table instead of growing the dialog
        dialog.add_component_button.click()
    assert len(dialog.rows) == 9
    assert dialog.minimumSizeHint().height() <= height


def test_ok_in_the_window_scores_every_account_as_one_undo_step(qtbot, demo_file, tmp_path, monkeypatch, messages):
    path = tmp_path / "teams.tplan"
    path.write_bytes(demo_file.read_bytes())
    win = shown_window(qtbot, path)

    def edit_and_accept(dialog):
        row_of(dialog, "industry").weight.setValue(0.0)
        dialog.feeds.setChecked(True)
        return QDialog.Accepted

    monkeypatch.setattr(ScoringDialog, "exec", edit_and_accept)
    win.team_views.edit_scoring()
    whole = win.team_views.whole_plan()
    assert whole.scoring.feeds_potential and whole.scoring.components[2].weight == 0.0
    assert not messages
    with ProjectFile.open(path, read_only=True) as saved:
        assert saved.load_plan(all_accounts=True).scoring == whole.scoring
