"""Auto-balance from the app: a cancellable run off the GUI thread, the report, one undoable step."""

import pytest
from PySide6.QtWidgets import QDialog

from desktop_planner.core.measures import MeasureEngine
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui import balance_dialog
from desktop_planner.ui.main_window import MainWindow
from tests.conftest import make_plan


@pytest.fixture
def window(qtbot, tmp_path, isolated_settings):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=300, k=3, seed=4)).close()
    w = MainWindow()
    qtbot.addWidget(w)
    w.load_project(path)
    return w


def test_options_are_validated(window, qtbot):
    dialog = balance_dialog.BalanceOptionsDialog(window, 3)
    qtbot.addWidget(dialog)
    for box, _ in dialog.measures.values():
        box.setChecked(False)
    dialog._accept()
    assert "at least one measure" in dialog.error.text() and dialog.result() != QDialog.Accepted


def test_balance_applies_as_one_undoable_step(window, qtbot, monkeypatch):
    plan = window.session.plan
    before = plan.active.assignment.copy()
    before_dev = MeasureEngine(plan).measures().max_abs_deviation("workload_hours")

    def options(self):
        self.limit_accounts.setChecked(False)
        self.time_limit.setValue(10)
        return QDialog.Accepted
    monkeypatch.setattr(balance_dialog.BalanceOptionsDialog, "exec", options)
    reports = []
    monkeypatch.setattr(balance_dialog.BalanceReportDialog, "exec",
                        lambda self: reports.append(self) or QDialog.Accepted)
    balance_dialog.run_auto_balance(window)
    qtbot.waitUntil(lambda: bool(reports), timeout=60000)
    after = plan.active.assignment
    assert (after != before).any()
    after_dev = MeasureEngine(plan).measures().max_abs_deviation("workload_hours")
    assert after_dev < before_dev
    assert window.session.history.undo_labels()[0] == "Auto-balance"
    window.controller.undo()
    assert plan.active.assignment.tolist() == before.tolist()
    reopened = ProjectFile.open(window.session.project.path).load_plan()
    assert reopened.active.assignment.tolist() == before.tolist()


def test_discard_changes_nothing(window, qtbot, monkeypatch):
    plan = window.session.plan
    before = plan.active.assignment.copy()
    monkeypatch.setattr(balance_dialog.BalanceOptionsDialog, "exec", lambda self: QDialog.Accepted)
    shown = []
    monkeypatch.setattr(balance_dialog.BalanceReportDialog, "exec", lambda self: shown.append(1) or QDialog.Rejected)
    balance_dialog.run_auto_balance(window)
    qtbot.waitUntil(lambda: bool(shown), timeout=60000)
    assert plan.active.assignment.tolist() == before.tolist()
    assert not window.session.history.can_undo


def test_cancel_keeps_the_best_so_far_and_says_so(window, qtbot, monkeypatch):
    monkeypatch.setattr(balance_dialog.BalanceOptionsDialog, "exec", lambda self: QDialog.Accepted)
    job_started = []
    original = balance_dialog.BalanceJob.__init__

    def spy(self, *args):
        original(self, *args)
        self.cancelled = True  # as if Cancel was pressed at once
        job_started.append(self)
    monkeypatch.setattr(balance_dialog.BalanceJob, "__init__", spy)
    reports = []
    monkeypatch.setattr(balance_dialog.BalanceReportDialog, "exec",
                        lambda self: reports.append(self) or QDialog.Rejected)
    balance_dialog.run_auto_balance(window)
    qtbot.waitUntil(lambda: bool(reports), timeout=60000)
    assert reports[0].findChildren(type(reports[0].children()[0]))  # the dialog was built
    assert job_started[0].cancelled
