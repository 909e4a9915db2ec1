"""Scenario > Keep a holdout…: the draw shown as it is chosen, per stratum; OK keeps it as one undoable step."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_planner.core.commands import SetAssignment
from desktop_planner.core.compare import assignment_names
from desktop_planner.io.demo import build_demo_plan
from desktop_planner.ui.dialogs.holdout_dialog import HoldoutDialog, keep_holdout, next_quarter
from tests.ui.windows import shown_window

pytestmark = pytest.mark.usefixtures("messages")


@pytest.fixture
def window(qtbot, tmp_path):
    win = shown_window(qtbot, tmp_path / "p.tplan", build_demo_plan(600, 6, seed=2))
    plan = win.session.plan
    proposal = win.scenario_bar.add_copy("Proposal", switch=True)
    territories = plan.active.territory_ids()
    rows = np.flatnonzero(plan.active.assignment == territories[0])[:40]
    win.controller.do(SetAssignment(proposal, rows, np.full(len(rows), territories[1]), label="Move 40"))
    return win


def test_the_draw_is_shown_per_stratum_and_kept_as_one_undoable_step(window, qtbot, monkeypatch):
    plan = window.session.plan
    dialog = HoldoutDialog(window, plan)
    qtbot.addWidget(dialog)
    assert dialog.baseline.currentText() == "Current plan"  # the scenario the proposal was made from
    assert "<b>40</b> accounts move" in dialog.summary.text() and "<b>4</b> are held out" in dialog.summary.text()
    dialog.share.setValue(25)
    dialog.draw()
    assert "<b>10</b> are held out" in dialog.summary.text()
    assert dialog.table.rowCount() == 1  # one territory the accounts leave: one stratum
    dialog.seed.setValue(7)
    dialog.go_live.setText("2027-Q1")
    dialog.draw()
    chosen = dialog.choice.held_out.copy()

    monkeypatch.setattr(HoldoutDialog, "exec", lambda self: (self.seed.setValue(7), self.share.setValue(25),
                                                              self.go_live.setText("2027-Q1"), self.accept(), 1)[-1])
    keep_holdout(window)
    holdout = plan.records.table("holdouts")
    assert len(holdout) == 1 and int(holdout.iloc[0]["seed"]) == 7 and holdout.iloc[0]["go_live"] == "2027-Q1"
    base = plan.scenario_by_name("Current plan")
    held = assignment_names(plan.active)[chosen]
    assert held.tolist() == assignment_names(base)[chosen].tolist()  # held out: where they were
    again = HoldoutDialog(window, plan)
    qtbot.addWidget(again)
    assert "already has a holdout: 10 accounts, seed 7" in again.summary.text()
    assert not again.buttons.button(again.buttons.StandardButton.Ok).isEnabled()
    window.undo()
    assert len(plan.records.table("holdouts")) == 0


def test_a_bad_go_live_or_no_stratum_disables_ok_with_the_reason(window, qtbot):
    dialog = HoldoutDialog(window, window.session.plan)
    qtbot.addWidget(dialog)
    dialog.go_live.setText("next spring")
    dialog.draw()
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled() and "next spring" in dialog.summary.text()
    dialog.go_live.setText(next_quarter())
    dialog.strata["from_territory"].setChecked(False)
    dialog.draw()
    assert not ok.isEnabled() and "stratum" in dialog.summary.text()
