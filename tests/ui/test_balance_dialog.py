"""Auto-balance from the app: options from the project's tolerance, the run in another process with Cancel, the
proposal previewed on the map with Apply (one undo step) and Discard (the map as it was), failures, a worse
plan never offered as an improvement, and the trade-off chart."""

import hashlib
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QPushButton

from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.dialogs import auto_balance
from desktop_planner.ui.dialogs.balance_options import BalanceOptionsDialog
from desktop_planner.ui.dialogs.balance_preview import Verdict, report_text
from desktop_planner.ui.window.main_window import MainWindow
from tests.conftest import make_plan
from tests.ui import balance_job_targets as targets
from tests.ui.windows import shown_window

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo_northeast.tplan"


@pytest.fixture
def window(qtbot, tmp_path, isolated_settings):
    path = tmp_path / "p.tplan"
    return shown_window(qtbot, path, make_plan(n=300, k=3, seed=4))


def accept_options(monkeypatch, time_limit=5.0, choice="balance"):
    def options(self):
        self.limit_accounts.setChecked(False)
        self.time_limit.setValue(time_limit)
        self.choice = choice
        return QDialog.Accepted
    monkeypatch.setattr(BalanceOptionsDialog, "exec", options)


def run_to_preview(window, qtbot):
    auto = window.auto_balance
    auto.run()
    job = auto.job
    assert job is not None
    qtbot.waitUntil(lambda: auto.job is None, timeout=60000)
    return job


def test_options_start_from_the_project_tolerance(window, monkeypatch):
    seen = []
    monkeypatch.setattr(BalanceOptionsDialog, "exec", lambda self: seen.append(self) or QDialog.Rejected)
    window.auto_balance.run()
    assert [spin.value() for _, spin in seen[0].measures.values()] == [10.0, 10.0, 10.0]  # the default ±10 %
    window.session.plan.settings.tolerance = 0.07
    window.auto_balance.run()
    assert seen[1].measures["workload_hours"][1].value() == pytest.approx(7.0)
    assert seen[1].settings().measures == {"workload_hours": pytest.approx(0.07)}


def test_options_are_validated(window, qtbot):
    dialog = BalanceOptionsDialog(window, 3)
    qtbot.addWidget(dialog)
    for box, _ in dialog.measures.values():
        box.setChecked(False)
    dialog._accept()
    assert "at least one measure" in dialog.error.text() and dialog.result() != QDialog.Accepted


def test_with_a_unit_layer_whole_units_are_balanced_optionally_within_state_or_region(window, qtbot):
    plain = BalanceOptionsDialog(window, 3)
    qtbot.addWidget(plain)
    assert plain.settings().within is None  # no layer: no unit rows, nothing to keep within
    dialog = BalanceOptionsDialog(window, 3, unit_layer="us-counties (Census)")
    qtbot.addWidget(dialog)
    assert dialog.use_units.currentText() == "Whole units of us-counties (Census)"
    dialog.within.setCurrentIndex(dialog.within.findData("region"))
    settings = dialog.settings()
    assert settings.use_units and settings.within == "region"
    dialog.use_units.setCurrentIndex(1)  # single accounts: there is no unit to keep within a state
    assert not dialog.within.isEnabled()
    settings = dialog.settings()
    assert not settings.use_units and settings.within is None


def _file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_balance_runs_in_another_process_previews_and_applies_as_one_undo_step(window, qtbot, monkeypatch):
    plan, auto = window.session.plan, window.auto_balance
    path = window.session.project.path
    regions = window.view_options.regions  # the GUI's own region build writes the graph cache: let it finish
    qtbot.waitUntil(lambda: not regions.is_building() and regions.region_map is not None, timeout=30000)
    before, digest = plan.active.assignment.copy(), _file_digest(path)
    accept_options(monkeypatch)
    job = run_to_preview(window, qtbot)
    assert job.child_pid is not None and job.child_pid != os.getpid()
    assert _file_digest(path) == digest  # the child opened the file read-only
    assert auto.dock.isVisible() and auto.proposal is not None
    assert plan.active.assignment.tolist() == before.tolist()  # a preview, not a change
    proposed = auto.proposal.assignment
    moved = np.flatnonzero(proposed != before)
    assert moved.size
    rings = auto.overlay.rings._rings
    assert sorted(np.concatenate(list(rings.values())).tolist()) == moved.tolist()  # every move is marked
    assert window.map._dots._preview is not None
    verdict = auto.proposal.verdict
    # Better balanced (on this plan at some cost in travel, which does not hold the plan back): Apply is on.
    assert verdict.better_balance and verdict.kind == "better"
    assert "Better balanced" in auto.dock.headline.text() and "travel" in auto.dock.headline.text()
    assert not auto.dock.use_anyway.isVisible()
    assert auto.dock.apply_button.isEnabled()
    assert auto.dock.apply_button.text() == f"Apply ({moved.size:,} accounts move)"
    qtbot.mouseClick(auto.dock.apply_button, Qt.LeftButton)
    assert plan.active.assignment.tolist() == proposed.tolist()
    assert window.session.history.undo_labels() == ["Auto-balance"]
    assert not auto.dock.isVisible() and not auto.overlay.rings._rings
    undo = window.named_actions["undo"]
    assert undo.shortcut().toString() == "Ctrl+Z"
    undo.trigger()  # Ctrl+Z (offscreen windows get no shortcuts): one step restores the whole balance
    assert plan.active.assignment.tolist() == before.tolist()
    reopened = ProjectFile.open(path)
    assert reopened.load_plan().active.assignment.tolist() == before.tolist()
    reopened.close()


def test_discard_restores_the_map_exactly(window, qtbot, monkeypatch):
    regions = window.view_options.regions
    qtbot.waitUntil(lambda: not regions.is_building() and regions.region_map is not None, timeout=30000)
    qtbot.wait(50)
    picture = window.map.grab().toImage()
    plan = window.session.plan
    before = plan.active.assignment.copy()
    accept_options(monkeypatch)
    run_to_preview(window, qtbot)
    auto = window.auto_balance
    qtbot.waitUntil(lambda: bool(regions.fills._preview), timeout=10000)  # the proposed regions are drawn
    assert window.map.grab().toImage() != picture
    window.named_actions["cancel"].trigger()  # Esc
    assert not auto.dock.isVisible() and auto.proposal is None
    assert not auto.overlay.rings._rings and not auto.overlay.arrows._arrows and not regions.fills._preview
    assert window.map._dots._preview is None
    assert plan.active.assignment.tolist() == before.tolist() and not window.session.history.can_undo
    qtbot.wait(50)
    assert window.map.grab().toImage() == picture


def test_a_child_deaf_to_cancel_is_ended_after_the_grace_and_the_plan_is_unchanged(window, qtbot, monkeypatch):
    plan, auto = window.session.plan, window.auto_balance
    before = plan.active.assignment.copy()
    monkeypatch.setattr(auto_balance, "BALANCE_TASK", targets.deaf)
    accept_options(monkeypatch)
    messages = []
    monkeypatch.setattr(auto_balance.QMessageBox, "information", lambda *a: messages.append(a[2]))
    auto.run()
    job = auto.job
    qtbot.waitUntil(lambda: job.child_pid is not None, timeout=30000)
    asked = time.monotonic()
    qtbot.mouseClick(auto.progress.findChild(QPushButton), Qt.LeftButton)  # the progress dialog's Cancel
    qtbot.waitUntil(lambda: auto.job is None, timeout=5000)
    # The grace (a real balance needs about 1.1 s at 100k accounts to hand over its best plan), then the
    # process is ended; the margin is for a loaded machine.
    assert time.monotonic() - asked < auto_balance.CANCEL_GRACE_S + 0.5
    assert f"did not stop within {auto_balance.CANCEL_GRACE_S:g} s" in messages[0]
    assert "Nothing in your plan changed" in messages[0]
    assert plan.active.assignment.tolist() == before.tolist() and not window.session.history.can_undo


def test_cancel_of_a_real_balance_offers_the_best_so_far(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "demo.tplan"
    shutil.copy(DEMO, path)
    window = MainWindow()
    qtbot.addWidget(window)
    window.load_project(path)
    auto = window.auto_balance
    accept_options(monkeypatch, time_limit=60)
    auto.run()
    job = auto.job
    progressed = []
    job.progress.connect(lambda f, m: progressed.append(m))
    qtbot.waitUntil(lambda: "Improving the plan" in progressed, timeout=30000)
    qtbot.mouseClick(auto.progress.findChild(QPushButton), Qt.LeftButton)
    qtbot.waitUntil(lambda: auto.job is None, timeout=5000)
    assert job.cancel_answered_s < 1.5
    if not auto.dock.isHidden():  # it stopped in time: its best plan so far, flagged
        assert "best plan found so far" in auto.dock.state.text()
        auto.discard()
    assert not window.session.history.can_undo


@pytest.mark.parametrize("task, expected", [(targets.crash, "ended unexpectedly: it was killed by SIGKILL"),
                                            (targets.raises, "ValueError: bad data in row 7")])
def test_a_failing_child_gives_a_clear_error_and_changes_nothing(window, qtbot, monkeypatch, messages, task,
                                                                 expected):
    plan = window.session.plan
    before = plan.active.assignment.copy()
    monkeypatch.setattr(auto_balance, "BALANCE_TASK", task)
    accept_options(monkeypatch)
    run_to_preview(window, qtbot)
    assert len(messages) == 1 and expected in messages[0] and "Auto-balance failed" in messages[0]
    assert "Nothing in your plan changed" in messages[0]
    assert plan.active.assignment.tolist() == before.tolist() and not window.session.history.can_undo
    assert not window.auto_balance.dock.isVisible()


def test_a_worse_plan_is_not_offered_as_an_improvement(window, qtbot, monkeypatch):
    plan, auto = window.session.plan, window.auto_balance
    before = plan.active.assignment.copy()
    monkeypatch.setattr(auto_balance, "BALANCE_TASK", targets.worse_balance)
    accept_options(monkeypatch)
    run_to_preview(window, qtbot)
    assert auto.dock.isVisible()
    assert auto.proposal.verdict.kind == "none"
    assert "No better plan found" in auto.dock.headline.text()
    assert not auto.dock.apply_button.isEnabled()
    assert "lower bound" not in auto.dock.text.toPlainText()  # its gap is over 100 %: the line is left out
    assert auto.apply() is False
    assert plan.active.assignment.tolist() == before.tolist()
    assert auto.dock.use_anyway.isVisible()  # the user may still take it, knowingly
    auto.dock.use_anyway.setChecked(True)
    assert auto.dock.apply_button.isEnabled()
    auto.dock.use_anyway.setChecked(False)
    assert not auto.dock.apply_button.isEnabled()


def test_better_balance_is_offered_even_with_more_travel():
    # The typical result: balance 82.8 % -> 9.8 %, travel up. Better on the chosen measure: offered, no tick needed.
    verdict = Verdict("workload_hours", 0.828, 0.098, 66.0, 81.2)
    assert verdict.kind == "better" and verdict.improves
    text = verdict.html()
    assert "Better balanced" in text and "Use anyway" not in text
    plain = text.replace("<b>", "").replace("</b>", "")
    assert "largest deviation 82.8 % → 9.8 %; travel +23 % (mean distance to home 66.0 → 81.2 km)" in plain
    # Another measure is named.
    assert "largest potential deviation" in Verdict("potential", 0.3, 0.1, 10.0, 10.0).html()


def test_the_balance_must_improve_by_more_than_a_tenth_of_a_point():
    assert Verdict("workload_hours", 0.300, 0.2985, 20.0, 20.0).kind == "better"
    assert Verdict("workload_hours", 0.300, 0.2995, 20.0, 20.0).kind == "none"  # 0.05 point: noise
    assert Verdict("workload_hours", 0.05, 0.05, 20.0, 20.0).kind == "none"
    assert Verdict("workload_hours", 0.05, 0.08, 20.0, 21.0).kind == "none"  # worse on both


def test_more_territories_in_band_is_better_balanced():
    verdict = Verdict("workload_hours", 0.30, 0.30, 20.0, 22.0, in_band_before=3, in_band_after=5)
    assert verdict.kind == "better" and "territories in band 3 → <b>5</b>" in verdict.html()
    assert Verdict("workload_hours", 0.30, 0.30, 20.0, 20.0, 3, 3).kind == "none"


def test_same_balance_with_less_travel_is_offered():
    verdict = Verdict("workload_hours", 0.10, 0.1005, 20.0, 19.0)
    assert verdict.kind == "less_travel" and verdict.improves
    assert "Same balance, less travel" in verdict.html() and "travel −5 %" in verdict.html()
    assert Verdict("workload_hours", 0.10, 0.10, 20.0, 19.95).kind == "none"  # 0.25 % less: noise
    # Less travel but a worse balance is not "the same balance": not offered.
    assert Verdict("workload_hours", 0.10, 0.15, 20.0, 15.0).kind == "none"
    assert Verdict("workload_hours", 0.10, 0.10, 20.0, 15.0, in_band_before=4, in_band_after=3).kind == "none"


def test_the_dock_enables_apply_by_the_verdict(window, qtbot):
    dock = window.auto_balance.dock
    report = SimpleNamespace(cancelled=False, feasible=True, problems=[], gap=None, format_text=lambda: "report")
    dock.show()
    for verdict, enabled in ((Verdict("workload_hours", 0.828, 0.098, 66.0, 81.2), True),
                             (Verdict("workload_hours", 0.10, 0.10, 66.0, 60.0), True),
                             (Verdict("workload_hours", 0.10, 0.20, 66.0, 70.0), False)):
        dock.show_result(report, verdict, 12)
        assert dock.apply_button.isEnabled() is enabled
        assert dock.use_anyway.isVisible() is not enabled
        assert dock.apply_button.text() == "Apply (12 accounts move)"
    assert "No better plan found" in dock.headline.text()
    dock.use_anyway.setChecked(True)
    assert dock.apply_button.isEnabled()
    dock.show_result(report, Verdict("workload_hours", 0.828, 0.098, 66.0, 81.2), 0)  # nothing moves
    assert not dock.apply_button.isEnabled()


def test_the_gap_line_shows_only_between_0_and_100_percent():
    def report(gap):
        text = "measure ...\nobjective        x 1.000, lower bound 0.9, gap at most 10.00%\ntime  1 s"
        return SimpleNamespace(format_text=lambda: text, gap=gap)
    assert "lower bound" in report_text(report(0.1))
    assert "lower bound" not in report_text(report(None))
    assert "lower bound" not in report_text(report(3.5))


def test_the_trade_off_chart_previews_a_point_and_applies_it(window, qtbot, monkeypatch):
    plan, auto = window.session.plan, window.auto_balance
    before = plan.active.assignment.copy()
    accept_options(monkeypatch, time_limit=6, choice="tradeoff")
    run_to_preview(window, qtbot)
    assert auto.dock.isVisible() and auto.dock.chart.isVisible()
    points = auto.points
    assert len(points) == 6 and auto.proposal is None and not auto.dock.apply_button.isEnabled()
    labels = [label.toPlainText() for label in auto.dock.chart._labels]
    assert "±10 %" in labels and "now" in labels
    loosest = max(range(len(points)), key=lambda i: points[i].tolerance)
    auto.dock.chart.click_point(loosest)
    assert auto.proposal is not None and auto.proposal.assignment.tolist() == points[loosest].assignment.tolist()
    assert window.map._dots._preview is not None and auto.overlay.shown
    assert plan.active.assignment.tolist() == before.tolist()
    if not auto.dock.apply_button.isEnabled():
        auto.dock.use_anyway.setChecked(True)
    if auto.dock.apply_button.isEnabled():
        assert auto.apply()
        assert plan.active.assignment.tolist() == points[loosest].assignment.tolist()
        assert window.session.history.undo_labels() == ["Auto-balance (±50 %)"]
        window.controller.undo()
    assert plan.active.assignment.tolist() == before.tolist()


def test_an_edit_while_the_proposal_is_shown_discards_it(window, qtbot, monkeypatch):
    auto = window.auto_balance
    accept_options(monkeypatch)
    run_to_preview(window, qtbot)
    assert auto.dock.isVisible()
    window.controller.set_selection(np.array([0, 1, 2]))
    window.controller.lock_selection(True)  # any committed change of the plan
    assert not auto.dock.isVisible() and auto.proposal is None and not auto.overlay.rings._rings


def test_a_verdict_from_measures_counts_territories_in_band():
    from desktop_planner.core.measures import MeasureEngine
    plan = make_plan(n=300, k=3, seed=4)
    engine = MeasureEngine(plan)
    before = engine.measures()
    assignment = plan.active.assignment.copy()
    assignment[assignment == 1] = 3  # the first territory emptied into the last: worse balance
    after = engine.measures(assignment=assignment)
    verdict = Verdict.of("workload_hours", before, after)
    assert verdict.in_band_before == int(before.in_band("workload_hours").sum())
    assert verdict.in_band_after == int(after.in_band("workload_hours").sum())
    assert verdict.deviation_after == pytest.approx(after.max_abs_deviation("workload_hours"))
    assert verdict.km_before == pytest.approx(before.compactness_km)
    assert verdict.kind == "none"
    assert Verdict.of("workload_hours", after, before).kind == "better"
