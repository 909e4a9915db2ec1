"""Scenario > Auto-balance… (Ctrl+B): options, a run in a SEPARATE PROCESS (DESIGN rule 6) with progress and
Cancel, then the proposal previewed on the map beside its report, and Apply as ONE undoable command or Discard.

The process gets the project file's path, the scenario id and the BalanceSettings (see jobs/balance_tasks): it
opens the file read-only and never sees a Qt object. While it runs the progress dialog is window-modal, so no
gesture changes the plan under it; while a proposal is shown, any change of the plan discards it (the proposal
was made for the plan as it was). Discard (or Esc) leaves the map exactly as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QMessageBox, QProgressDialog

from desktop_planner.core.commands import Command, SetAssignment
from desktop_planner.core.model import Scenario, Territory
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.dialogs.balance_options import BalanceOptionsDialog
from desktop_planner.ui.dialogs.balance_preview import BalancePreviewDock, Verdict
from desktop_planner.ui.dialogs.tradeoff_chart import tolerance_label
from desktop_planner.ui.jobs import balance_tasks
from desktop_planner.ui.jobs.process_job import ProcessJob
from desktop_planner.ui.map.balance_preview import PlanPreviewOverlay

# What the child runs: module-level functions, looked up when a job starts (tests substitute their own).
BALANCE_TASK = balance_tasks.balance_task
TRADEOFF_TASK = balance_tasks.tradeoff_task
PROGRESS_STEPS = 1000
DOCK_HEIGHT = (220, 300)  # pixels: the report's ten lines, or the chart, without crowding out the map
PREVIEW_LABEL = "Auto-balance proposal: not applied yet"
TITLES = {"balance": "Auto-balance", "tradeoff": "Auto-balance trade-off"}


@dataclass
class Proposal:
    scenario: Scenario
    assignment: np.ndarray
    homes: dict[int, Territory]  # territories whose home the proposal moves
    command: Callable[[], Command]
    verdict: Verdict


@dataclass
class _Run:
    kind: str  # "balance" or "tradeoff"
    session: object
    scenario: Scenario
    fingerprint: str
    settings: object
    snapshot: Path | None  # a temporary copy of a plan that has no project file
# Auto-balance answers Cancel with its best plan in 0.02 s at 10k accounts and about 1.1 s at 100k (the report
# takes the time); wait that long before ending the child, so the plan found so far is not lost.
CANCEL_GRACE_S = 2.5


class AutoBalance(QObject):
    """One per window (window.auto_balance)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.dock = BalancePreviewDock(window)
        window.addDockWidget(Qt.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        view_options = getattr(window, "view_options", None)
        self.overlay = PlanPreviewOverlay(window.map, getattr(view_options, "regions", None))
        self.job: ProcessJob | None = None
        self.progress: QProgressDialog | None = None
        self.proposal: Proposal | None = None
        self.points: list | None = None
        self.last_settings = None
        self._run: _Run | None = None
        self._preview_run: _Run | None = None
        self._watched = None  # the controller whose changes end the preview
        self._relabelled = None  # (the panel's preview label, its own text) while a proposal is shown
        self.dock.applyRequested.connect(self.apply)
        self.dock.discardRequested.connect(self.discard)
        self.dock.tradeoffRequested.connect(self._tradeoff_again)
        self.dock.pointChosen.connect(self.preview_point)
        window.named_actions["cancel"].triggered.connect(self._escape)
        window.sessionChanged.connect(lambda: self._close_preview(redraw=False))
        window.installEventFilter(self)  # the window closing ends a run still under way

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window and event.type() == QEvent.Close and self.job is not None:
            self.job.kill()
            self._end_run()
        return False

    # -- starting -------------------------------------------------------------------------------------------
    def run(self) -> None:
        """The menu entry: options, then the run."""
        session = self.window.session
        if session is None or self.is_running():
            return
        scenario = session.plan.active
        if not scenario.territories:
            self.window.show_error("Add territories first: there is nothing to balance into.")
            return
        units = session.plan.units
        options = BalanceOptionsDialog(self.window, len(scenario.territories), session.plan.settings.tolerance,
                                       unit_layer=None if units is None else units.layer.label)
        if options.exec() != QDialog.Accepted:
            return
        self.start(options.choice, options.settings())

    def is_running(self) -> bool:
        return self.job is not None

    def start(self, kind: str, settings) -> ProcessJob | None:
        """Run auto-balance ("balance") or the trade-off curve ("tradeoff") of the scenario shown."""
        window, session = self.window, self.window.session
        if session is None or self.is_running():
            return None
        self._close_preview()
        plan, scenario = session.plan, session.plan.active
        try:
            path, snapshot = self._project_path(session)
        except ProjectError as exc:
            window.show_error(f"Auto-balance needs the plan in a file and could not write one: {exc}")
            return None
        fingerprint = balance_tasks.scenario_fingerprint(plan, scenario)
        self.last_settings = settings
        self._run = _Run(kind, session, scenario, fingerprint, settings, snapshot)
        if kind == "balance":
            job = ProcessJob(BALANCE_TASK, (str(path), scenario.id, settings, fingerprint), name="auto-balance",
                             cancel_grace_s=CANCEL_GRACE_S, parent=self)
        else:
            job = ProcessJob(TRADEOFF_TASK, (str(path), scenario.id, settings, None, fingerprint),
                             name="trade-off", cancel_grace_s=CANCEL_GRACE_S, parent=self)
        self.job = job
        self.progress = self._progress_dialog(kind)
        job.progress.connect(self._progressed)
        job.finished.connect(self._finished)
        job.failed.connect(self._failed)
        job.cancelled.connect(self._cancelled)
        self.progress.canceled.connect(self.cancel)
        self.progress.show()
        job.start()
        return job

    def cancel(self) -> None:
        if self.job is None:
            return
        self.job.cancel()
        if self.progress is not None:
            self.progress.setLabelText("Stopping: keeping the best plan found so far…")
        self.window.statusBar().showMessage("Stopping auto-balance: keeping the best plan found so far…", 4000)

    def _progress_dialog(self, kind: str) -> QProgressDialog:
        progress = QProgressDialog("Starting…", "Cancel (keep the best so far)", 0, PROGRESS_STEPS, self.window)
        progress.setWindowTitle(TITLES[kind])
        progress.setWindowModality(Qt.WindowModal)
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setMinimumWidth(420)
        progress.setValue(0)
        return progress

    @staticmethod
    def _project_path(session) -> tuple[Path, Path | None]:
        """The file the child reads: the project's own (every committed edit is in it), or for a plan without a
        file a temporary copy (removed when the run ends)."""
        if session.project is not None:
            return Path(session.project.path), None
        folder = Path(tempfile.mkdtemp(prefix="desktop_planner_balance_"))
        path = folder / "snapshot.tplan"
        ProjectFile.create(path, session.plan).close()
        return path, folder

    # -- the job's reports ----------------------------------------------------------------------------------
    def _progressed(self, fraction: float, message: str) -> None:
        if self.progress is None:
            return
        if not self.job.cancel_requested:
            self.progress.setLabelText(message)
        self.progress.setValue(int(min(max(fraction, 0.0), 1.0) * PROGRESS_STEPS))

    def _end_run(self) -> _Run | None:
        run, self._run, self.job = self._run, None, None
        if self.progress is not None:
            self.progress.canceled.disconnect(self.cancel)
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        if run is not None and run.snapshot is not None:
            shutil.rmtree(run.snapshot, ignore_errors=True)
        return run

    def _still_applies(self, run: _Run) -> bool:
        session = self.window.session
        return (session is run.session and session.plan.active is run.scenario
                and balance_tasks.scenario_fingerprint(session.plan, run.scenario) == run.fingerprint)

    def _finished(self, value) -> None:
        run = self._end_run()
        if run is None:
            return
        if not self._still_applies(run):
            self.window.statusBar().showMessage("The plan changed while auto-balance ran; its result was dropped.",
                                                8000)
            return
        if run.kind == "balance":
            self.preview_result(value, run)
        else:
            self.show_tradeoff(value, run)

    def _failed(self, text: str) -> None:
        run = self._end_run()
        title = TITLES[run.kind] if run else "Auto-balance"
        QMessageBox.critical(self.window, title, f"{title} failed: {text}\n\nNothing in your plan changed.")

    def _cancelled(self, text: str) -> None:
        run = self._end_run()
        title = TITLES[run.kind] if run else "Auto-balance"
        QMessageBox.information(self.window, title, f"{title} cancelled: {text}.\n\nNothing in your plan changed.")

    # -- the preview ----------------------------------------------------------------------------------------
    def preview_result(self, result, run: _Run) -> None:
        """An auto-balance result on the map, its report in the dock."""
        scenario = run.scenario
        homes = result.changed_homes(scenario)
        measure = next(iter(run.settings.measures))
        self._preview_run = run
        self.points = None
        proposal = self._propose(scenario, result.assignment, homes, lambda: result.command(scenario), measure)
        if result.unit_territory is not None:  # balanced on units: the proposed units show in their colours
            self.window.map.units.set_preview(result.unit_territory)
        self.dock.show_result(result.report, proposal.verdict, int(result.changed_accounts(scenario).size))
        self._show_dock(TITLES["balance"] + " result")

    def show_tradeoff(self, points: list, run: _Run) -> None:
        if not points:
            QMessageBox.information(self.window, TITLES["tradeoff"], "No tolerance was finished before the run "
                                    "stopped, so there is nothing to chart. Nothing in your plan changed.")
            return
        measure = next(iter(run.settings.measures))
        now = self.window.session.engine.measures()
        self._preview_run = run
        self.points = list(points)
        self.proposal = None
        self.dock.show_tradeoff(self.points, (now.max_abs_deviation(measure), float(now.values["travel_km"].sum())),
                                measure)
        self._show_dock(TITLES["tradeoff"])

    def preview_point(self, index: int) -> None:
        """A point of the trade-off chart was clicked: preview that plan like an auto-balance result."""
        run = self._preview_run
        if self.points is None or run is None or not self._still_applies(run):
            return
        point = self.points[index]
        scenario = run.scenario
        assignment = np.asarray(point.assignment, dtype=np.int64)
        label = f"Auto-balance ({tolerance_label(point.tolerance)})"

        def command() -> Command:
            changed = np.flatnonzero(assignment != scenario.assignment)
            return SetAssignment(scenario.id, changed, assignment[changed], label=label, action="balance")
        proposal = self._propose(scenario, assignment, {}, command, next(iter(run.settings.measures)))
        self.dock.show_point(point, proposal.verdict, int((assignment != scenario.assignment).sum()))

    def _propose(self, scenario: Scenario, assignment: np.ndarray, homes: dict[int, Territory], command,
                 measure: str) -> Proposal:
        session, controller = self.window.session, self.window.controller
        before = session.engine.measures()
        moved_homes = {tid: (t.home_lon, t.home_lat) for tid, t in homes.items()
                       if t.home_lon is not None and t.home_lat is not None}
        after = session.engine.measures(assignment=assignment, homes=moved_homes or None)
        verdict = Verdict.of(measure, before, after)
        self.proposal = Proposal(scenario, assignment, homes, command, verdict)
        controller.show_preview(after, assignment)
        self._label_preview(controller)
        self.overlay.show(session.plan.accounts, scenario.assignment, assignment, controller.color_map(), before,
                          after)
        return self.proposal

    def _label_preview(self, controller) -> None:
        """The panel marks its figures "Preview: release to apply", words for a drag; a proposal is applied with
        the dock's Apply."""
        label = getattr(getattr(controller, "panel", None), "preview_label", None)
        if label is None:
            return
        if self._relabelled is None:
            self._relabelled = (label, label.text())
        label.setText(PREVIEW_LABEL)

    def _show_dock(self, title: str) -> None:
        self.dock.setWindowTitle(title)
        self.dock.show()
        self.dock.raise_()
        if not self.dock.isFloating():  # the map keeps most of the height, even on a 768-pixel laptop screen
            height = int(min(DOCK_HEIGHT[1], max(DOCK_HEIGHT[0], self.window.height() * 0.3)))
            self.window.resizeDocks([self.dock], [height], Qt.Vertical)
        if self._watched is None:
            self._watched = self.window.controller
            self._watched.changed.connect(self._plan_changed)

    def _plan_changed(self) -> None:
        if not self.dock.isHidden():
            self._close_preview()
            self.window.statusBar().showMessage("The plan changed, so the auto-balance proposal was discarded.", 8000)

    # -- apply, discard -------------------------------------------------------------------------------------
    def apply(self) -> bool:
        """The proposal as ONE command through the History (Ctrl+Z undoes all of it)."""
        proposal = self.proposal
        if proposal is None or not self.dock.apply_button.isEnabled():
            return False
        controller = self.window.controller
        self._close_preview()  # first: the committed figures and map, which the command then changes
        return controller.do(proposal.command())

    def discard(self) -> None:
        """Leave the plan as it is and the map as it was."""
        if not self.dock.isHidden() or self.proposal is not None:
            self._close_preview()
            self.window.statusBar().showMessage("Auto-balance result discarded; the plan is unchanged.", 5000)

    def _escape(self) -> None:
        if not self.dock.isHidden():
            self.discard()

    def _close_preview(self, redraw: bool = True) -> None:
        if self._watched is not None:
            try:
                self._watched.changed.disconnect(self._plan_changed)
            except (RuntimeError, TypeError):
                pass
            self._watched = None
        shown = self.proposal is not None
        self.proposal, self.points, self._preview_run = None, None, None
        self.overlay.clear()
        if self._relabelled is not None:  # the panel's own words for a drag again
            label, text = self._relabelled
            self._relabelled = None
            try:
                label.setText(text)
            except RuntimeError:  # the panel went with its session
                pass
        if shown and redraw and self.window.controller is not None:
            self.window.controller.show_committed()
        self.dock.hide()

    def _tradeoff_again(self) -> None:
        settings = self.last_settings
        if settings is not None and not self.is_running():
            self.start("tradeoff", settings)


def install(window) -> AutoBalance:
    """The menu entry: Scenario menu (where plans are made), Ctrl+B."""
    auto = AutoBalance(window)
    menu = window.scenario_bar.menu
    menu.addSeparator()
    action = menu.addAction("Auto-&balance…")
    action.setShortcut(QKeySequence("Ctrl+B"))
    action.triggered.connect(auto.run)
    window.addAction(action)
    window.named_actions["auto_balance"] = action
    return auto
