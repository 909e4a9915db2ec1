"""Auto-balance in the app: options, a run off the GUI thread with progress and Cancel, the report, and the
result applied as ONE undoable command (or thrown away).

The optimizer (optimize.balance) is pure: it reads the plan and returns a new assignment and a report. While it
runs, the progress dialog is window-modal, so no gesture can change the plan under it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QLabel, QPlainTextEdit, QProgressDialog, QVBoxLayout, QWidget)

from desktop_planner.optimize.balance import BalanceSettings, balance

MEASURE_CHOICES = (("workload_hours", "Workload hours", True), ("potential", "Potential", False),
                   ("accounts", "Account count", False))
OBJECTIVES = (("travel", "Least total travel (workload-weighted distance to home)"),
              ("max_distance", "Least longest distance (no account far from its home)"))
HOMES = (("fixed", "Keep the reps' homes"), ("optimize", "Let the optimizer choose each territory's centre"))
PROGRESS_STEPS = 1000
_running: set = set()  # jobs in flight, kept alive until they report (Qt does not own Python runnables)


def _percent_box(value: float, maximum: float = 100.0) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.5, maximum)
    box.setDecimals(1)
    box.setSuffix(" %")
    box.setValue(value)
    return box


class BalanceOptionsDialog(QDialog):
    """What to balance, what to minimise, and what must not change."""

    def __init__(self, parent, territories: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Auto-balance")
        form = QFormLayout()
        self.measures: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        for key, label, checked in MEASURE_CHOICES:
            box, tolerance = QCheckBox(label), _percent_box(5.0, 50.0)
            box.setChecked(checked)
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            line.addWidget(box)
            line.addWidget(QLabel("within ±"))
            line.addWidget(tolerance)
            self.measures[key] = (box, tolerance)
            form.addRow("Balance" if key == "workload_hours" else "", row)
        self.objective, self.homes = QComboBox(), QComboBox()
        for combo, choices in ((self.objective, OBJECTIVES), (self.homes, HOMES)):
            for key, label in choices:
                combo.addItem(label, key)
        form.addRow("Objective", self.objective)
        form.addRow("Homes", self.homes)
        self.limit_accounts, self.max_accounts = QCheckBox("at most"), _percent_box(15.0)
        self.limit_accounts.setChecked(True)
        self.limit_potential, self.max_potential = QCheckBox("at most"), _percent_box(15.0)
        for label, box, spin in (("Accounts moved", self.limit_accounts, self.max_accounts),
                                 ("Potential moved", self.limit_potential, self.max_potential)):
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            line.addWidget(box)
            line.addWidget(spin)
            box.toggled.connect(spin.setEnabled)
            spin.setEnabled(box.isChecked())
            form.addRow(label, row)
        self.contiguous = QCheckBox("Every territory in one connected piece")
        form.addRow("Contiguity", self.contiguous)
        self.time_limit = QDoubleSpinBox()
        self.time_limit.setRange(1, 3600)
        self.time_limit.setValue(30)
        self.time_limit.setSuffix(" s")
        form.addRow("Time limit", self.time_limit)
        note = QLabel(f"{territories} territories. Locked accounts and locked territories stay as they are. To "
                      "try another headcount, add or delete territories first.")
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Balance")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def settings(self) -> BalanceSettings:
        """The chosen options, validated (ValueError with a message for the user)."""
        measures = {key: tolerance.value() / 100 for key, (box, tolerance) in self.measures.items()
                    if box.isChecked()}
        return BalanceSettings(
            measures=measures, objective=self.objective.currentData(), homes=self.homes.currentData(),
            max_disruption_accounts=self.max_accounts.value() / 100 if self.limit_accounts.isChecked() else None,
            max_disruption_potential=self.max_potential.value() / 100 if self.limit_potential.isChecked() else None,
            require_contiguous=self.contiguous.isChecked(), time_limit_s=self.time_limit.value()).validated()

    def _accept(self) -> None:
        try:
            self.settings()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class _Signals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)


class BalanceJob(QRunnable):
    """Runs the optimizer off the GUI thread. Cancel asks it to stop; it then reports the best plan so far."""

    def __init__(self, plan, scenario, settings: BalanceSettings) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = _Signals()
        self.cancelled = False
        self.args = (plan, scenario, settings)

    def _progress(self, fraction: float, message: str) -> bool:
        self.signals.progress.emit(fraction, message)
        return not self.cancelled

    def run(self) -> None:
        plan, scenario, settings = self.args
        try:
            result = balance(plan, scenario, settings, progress=self._progress)
        except Exception as exc:  # a thread boundary: every failure must reach the user
            self.signals.failed.emit(str(exc))
            return
        self.signals.finished.emit(result)


class BalanceReportDialog(QDialog):
    """The optimizer's report; Apply makes it one undoable step, Discard leaves the plan as it was."""

    def __init__(self, parent, result) -> None:
        super().__init__(parent)
        report = result.report
        self.setWindowTitle("Auto-balance result")
        verdict = QLabel(("<b>Cancelled</b>: the best plan found so far. " if report.cancelled else "")
                         + ("<span style='color:#1b7f3b'><b>Balanced</b>: every measure within its tolerance.</span>"
                            if report.feasible else
                            "<span style='color:#b00020'><b>Not fully balanced</b>: "
                            + "; ".join(report.problems) + "</span>"))
        verdict.setWordWrap(True)
        text = QPlainTextEdit(report.format_text())
        text.setReadOnly(True)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        text.setMinimumSize(760, 260)
        buttons = QDialogButtonBox()
        self.apply_button = buttons.addButton(f"Apply ({report.accounts_moved:,} accounts move)",
                                              QDialogButtonBox.AcceptRole)
        buttons.addButton("Discard", QDialogButtonBox.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(verdict)
        layout.addWidget(text)
        layout.addWidget(buttons)


def run_auto_balance(window) -> None:
    """Plan > Auto-balance…: options, a cancellable run, the report, then one command through the History."""
    session, controller = window.session, window.controller
    if session is None:
        return
    scenario = session.plan.active
    if not scenario.territories:
        window.show_error("Add territories first: there is nothing to balance into.")
        return
    options = BalanceOptionsDialog(window, len(scenario.territories))
    if options.exec() != QDialog.Accepted:
        return
    job = BalanceJob(session.plan, scenario, options.settings())
    progress = QProgressDialog("Preparing…", "Cancel (keep the best so far)", 0, PROGRESS_STEPS, window)
    progress.setWindowTitle("Auto-balance")
    progress.setWindowModality(Qt.WindowModal)
    progress.setMinimumDuration(0)
    progress.setAutoClose(False)
    progress.setAutoReset(False)

    def cancel() -> None:
        job.cancelled = True
        progress.setLabelText("Stopping: keeping the best plan found so far…")

    def report_progress(fraction: float, message: str) -> None:
        if not job.cancelled:
            progress.setLabelText(message)
        progress.setValue(int(fraction * PROGRESS_STEPS))

    def finished(result) -> None:
        _running.discard(job)
        progress.close()
        if session is not window.session or session.plan.active is not scenario:
            return  # the project or the scenario shown changed meanwhile: the result no longer applies
        dialog = BalanceReportDialog(window, result)
        if dialog.exec() == QDialog.Accepted:
            controller.do(result.command(scenario))

    def failed(text: str) -> None:
        _running.discard(job)
        progress.close()
        window.show_error(f"Auto-balance failed: {text}")

    progress.canceled.connect(cancel)
    job.signals.progress.connect(report_progress)
    job.signals.finished.connect(finished)
    job.signals.failed.connect(failed)
    _running.add(job)
    progress.show()
    QThreadPool.globalInstance().start(job)


def install(window) -> None:
    """The menu entry: Scenario menu (where plans are made), Ctrl+B."""
    menu = window.scenario_bar.menu
    menu.addSeparator()
    action = menu.addAction("Auto-&balance…")
    action.setShortcut(QKeySequence("Ctrl+B"))
    action.triggered.connect(lambda: run_auto_balance(window))
    window.addAction(action)
    window.named_actions["auto_balance"] = action
