"""The Disputes dock: returned review sheets imported in the window show their disputes in a list, ringed on the map
and in the panel's tooltips; the walk-through decides them one by one, each an ordinary undoable step whose label
(with the comments) is in the History dock."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from desktop_planner.core.review_commands import reviews_of
from desktop_planner.io.review_sheets import HEADER
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.review.review_sheet_files import export_sheets, import_sheets
from desktop_planner.ui.review.history_dock import fetch_changes
from tests.io.test_review_sheets import proposal_plan
from tests.ui.windows import shown_window

pytestmark = pytest.mark.usefixtures("messages")  # every message box is captured


@pytest.fixture
def window(qtbot, tmp_path):
    plan, _, _ = proposal_plan()
    path = tmp_path / "plan.tplan"
    ProjectFile.create(path, plan).close()
    return shown_window(qtbot, path)


def returned_sheets(window, folder) -> list:
    """Sheets written from the window (Proposal against Current plan), two of them answered with disputes."""
    plan = window.session.plan
    window.controller.switch_scenario(plan.scenario_by_name("Proposal").id)
    written = export_sheets(window, folder, plan.scenario_by_name("Current plan").id, "csv")
    assert len(written) == 3
    v, c = HEADER.index("verdict"), HEADER.index("comment")
    for path, comment in zip(written[:2], ("key relationship", "too far from my other accounts")):
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        for i, row in enumerate(rows[1:], start=1):
            row[v], row[c] = ("dispute", comment) if i == 1 else ("agree", "")
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return written[:2]


def test_a_returned_sheet_with_disputes_shows_and_is_decided_in_the_walk_through(window, qtbot, tmp_path, messages):
    plan = window.session.plan
    paths = returned_sheets(window, tmp_path / "sheets")
    window.controller.switch_scenario(plan.scenario_by_name("Current plan").id)  # the sheets say where they belong
    assert import_sheets(window, paths)
    proposal = plan.scenario_by_name("Proposal")
    assert plan.active_scenario_id == proposal.id
    assert "matched" in messages[-1] and "2 dispute" in messages[-1]
    dock = window.disputes_dock
    assert dock.isVisible()
    qtbot.waitUntil(lambda: dock.table.rowCount() == 2)
    assert "2 disputes" in dock.summary.text() and "2 open" in dock.summary.text()
    assert dock.tabs.tabText(0) == "Disputes (2 open)"
    assert {dock.table.item(r, 5).text() for r in range(2)} == {"open"}
    assert dock.marks.isVisible() and dock.marks.count() == (2, 0)
    assert window.named_actions["import_review_sheets"] in window.scenario_bar.menu.actions()

    first = dock.current()
    assert first is not None and first.is_open and first.comment in dock.card.text()
    dock.step(1)  # to the other open dispute, shown and selected on the map
    second = dock.current()
    assert second.id != first.id
    row = plan.accounts.index_of_id(second.account_id)
    assert window.controller.selection.tolist() == [row]
    x0, y0, x1, y1 = window.map.view_range_mercator()
    assert x0 <= plan.accounts.x[row] <= x1 and y0 <= plan.accounts.y[row] <= y1

    tid = int(proposal.assignment[row])
    assert window.disputes_dock._tips.text(tid) is not None  # the panel's row of its territory tells it

    before = proposal.assignment.copy()
    dock.comment.setText("agreed in the room")
    assert dock.uphold_button.isEnabled()
    dock.uphold_button.click()
    back = proposal.territory_by_name(second.from_territory).id
    assert proposal.assignment[row] == back
    assert np.flatnonzero(before != proposal.assignment).tolist() == [row]
    assert dock.comment.text() == ""
    label = window.session.history.undo_labels()[0]
    assert label.startswith(f"Dispute upheld: {second.external_id} back to {second.from_territory}")
    assert 'workshop: "agreed in the room"' in label and second.comment in label
    assert label in window.named_actions["undo"].text()
    trail = fetch_changes(window.session.project.conn, proposal.id, second.external_id)  # the History dock's rows
    assert [(r[2], r[4], r[5], r[8]) for r in trail] == [("review", second.to_territory, second.from_territory, label)]
    qtbot.waitUntil(lambda: "1 open" in dock.summary.text())
    assert dock.current().id == first.id  # on to the next open dispute
    assert dock.marks.count() == (1, 1)

    dock.reject_button.click()  # the other one: the change stays
    assert all(not r.is_open for r in reviews_of(plan, proposal.id) if r.is_dispute)
    qtbot.waitUntil(lambda: "0 open" in dock.summary.text())
    assert not dock.uphold_button.isEnabled()

    window.named_actions["undo"].trigger()  # the rejection
    window.named_actions["undo"].trigger()  # the uphold: the account is where the proposal put it again
    assert np.array_equal(proposal.assignment, before)
    qtbot.waitUntil(lambda: "2 open" in dock.summary.text())
    assert {dock.table.item(r, 5).text() for r in range(2)} == {"open"}


def test_an_account_moved_since_cannot_be_decided_until_the_move_is_undone(window, qtbot, tmp_path):
    plan = window.session.plan
    import_sheets(window, returned_sheets(window, tmp_path / "sheets"))
    dock = window.disputes_dock
    qtbot.waitUntil(lambda: dock.table.rowCount() == 2)
    review = dock.current()
    scenario = plan.active
    row = plan.accounts.index_of_id(review.account_id)
    elsewhere = next(tid for tid, t in scenario.territories.items()
                     if t.name not in (review.from_territory, review.to_territory))
    window.controller.assign(np.array([row]), elsewhere, "click")
    qtbot.waitUntil(lambda: "Moved since the review" in dock.card.text())
    assert not dock.uphold_button.isEnabled() and not dock.reject_button.isEnabled()
    window.named_actions["undo"].trigger()
    qtbot.waitUntil(lambda: dock.uphold_button.isEnabled())


def test_without_answers_the_dock_says_how_to_get_them(window, qtbot):
    dock = window.disputes_dock
    window.named_actions["export_review_sheets"]  # in the menus
    dock.show()
    qtbot.waitUntil(lambda: "No review answers" in dock.summary.text())
    assert dock.table.rowCount() == 0 and not dock.uphold_button.isEnabled() and dock.marks.count() == (0, 0)
