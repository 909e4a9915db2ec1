"""File > Import accounts…: from a CRM file to ONE undoable refresh of the project's accounts.

Steps: choose the file (encoding and delimiter detected, overridable, with a preview); map its columns to the
account fields; read it off the GUI thread (progress, Cancel); for a project that already has accounts, confirm
what the refresh does; then a report of what was read, accepted and rejected. Nothing touches the project before
the confirmation: cancelling at any step leaves it exactly as it was. The refresh itself goes through the
window's controller like every other edit, so Undo takes it back in one step.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFormLayout, QLabel, QListWidget, QProgressBar, QPushButton,
                               QVBoxLayout, QWizard, QWizardPage)

from desktop_planner.core.account_commands import RefreshAccounts, RefreshSummary, plan_refresh
from desktop_planner.core.team_commands import RescoreAfter
from desktop_planner.core.commands import RecordIssues
from desktop_planner.core.model import Plan
from desktop_planner.io.account_import import AccountImportError, AccountsImport, ImportCancelled, read_accounts
from desktop_planner.io.export import ExportError, export_issues
from desktop_planner.io.table_reader import TableInfo
from desktop_planner.store.opening import ProjectError
from desktop_planner.ui.dialogs.import_pages import ERROR_STYLE, FilePage, MappingPage

LISTED = 200  # problems or missing accounts listed in full; the rest are counted
FILE, MAPPING, READING, CONFIRM, REPORT = range(5)
_running: set = set()  # read jobs still working after their wizard closed: Python must not free them mid-run


def rows_with_ids(plan: Plan, external_ids: np.ndarray) -> np.ndarray:
    """Rows of the plan's accounts whose external id is listed (hashing: np.isin on text is quadratic)."""
    wanted = set(external_ids.tolist())
    return np.flatnonzero([value in wanted for value in plan.accounts.external_id.tolist()])


class _ReadSignals(QObject):
    progress = Signal(float, str)
    finished = Signal(object, object)  # AccountsImport, and the RefreshSummary it would make (None: nothing read)
    failed = Signal(str)
    done = Signal(object)  # the job, last of all, whatever happened


class ReadJob(QRunnable):
    """read_accounts, then what the refresh would do, off the GUI thread (both take long on large files). Cancel
    takes effect at the reader's next progress call; a result that arrives after Cancel is thrown away. The plan
    is only read, and it cannot change meanwhile: the wizard is modal."""

    def __init__(self, plan: Plan, path: Path, overrides: dict[str, str], encoding: str, delimiter: str | None
                 ) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = _ReadSignals()
        self.cancelled = False
        self.plan = plan
        self.args = (path, overrides, encoding, delimiter)

    def _progress(self, fraction: float, message: str) -> bool:
        self.signals.progress.emit(fraction, message)
        return not self.cancelled

    def run(self) -> None:
        try:
            result = read_accounts(*self.args, progress=self._progress)
            if not self._progress(0.9, "Comparing with the project's accounts"):
                return
            change = plan_refresh(self.plan, result.columns, fields=result.fields) if result.accepted else None
            if not self.cancelled:
                self.signals.finished.emit(result, change)
        except ImportCancelled:
            pass  # the page that asked for it has already gone back
        except AccountImportError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # a thread boundary: every failure must reach the user, not vanish here
            self.signals.failed.emit(f"{self.args[0]}: the file could not be read ({exc})")
        finally:
            self.signals.done.emit(self)


class ReadingPage(QWizardPage):
    def __init__(self, wizard: "ImportAccountsWizard") -> None:
        super().__init__()
        self.setTitle("Reading the file")
        self.setSubTitle("Cancel (or Back) stops reading; the project is not changed.")
        self._wizard = wizard
        self.job: ReadJob | None = None
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addStretch(1)

    def initializePage(self) -> None:
        wizard = self._wizard
        wizard.result = wizard.change = None
        info = wizard.info
        self.status.setStyleSheet("")
        self.status.setText(f"Reading {info.path.name}…")
        self.bar.setValue(0)
        file_page = wizard.file_page
        job = ReadJob(wizard.refresh_plan, info.path, wizard.mapping_page.overrides(),
                      file_page.encoding.currentData(), file_page.delimiter.currentData())
        _running.add(job)
        job.signals.done.connect(_running.discard)
        job.signals.progress.connect(self._progress)
        job.signals.finished.connect(self._finished)
        job.signals.failed.connect(self._failed)
        self.job = job
        QThreadPool.globalInstance().start(job)

    def stop(self) -> None:
        """Cancel the read under way (if any) and ignore anything it still reports."""
        if self.job is None:
            return
        self.job.cancelled = True
        for signal, slot in ((self.job.signals.progress, self._progress), (self.job.signals.finished, self._finished),
                             (self.job.signals.failed, self._failed)):
            signal.disconnect(slot)
        self.job = None

    def cleanupPage(self) -> None:  # Back
        self.stop()

    def _progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(round(fraction * 1000))
        self.status.setText(message)

    def _failed(self, text: str) -> None:
        self.job = None
        self.bar.setValue(0)
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(f"{text}\nGo Back to choose another file or mapping.")

    def _finished(self, result: AccountsImport, change: RefreshSummary | None) -> None:
        self.job = None
        self.bar.setValue(1000)
        wizard = self._wizard
        wizard.result, wizard.change = result, change
        # Decided once: after an empty project's import is applied, the project is no longer empty.
        wizard.confirming = len(wizard.session.plan.accounts) > 0 and result.accepted > 0
        self.status.setText(f"Read {result.read:,} rows: {result.accepted:,} accepted, {result.rejected:,} rejected.")
        self.completeChanged.emit()
        wizard.next()

    def isComplete(self) -> bool:
        return self._wizard.result is not None

    def nextId(self) -> int:
        return CONFIRM if self._wizard.confirming else REPORT

    def validatePage(self) -> bool:
        # Without a confirmation step (an empty project, or nothing to import) the import applies right here.
        return self._wizard.confirming or self._wizard.apply(remove_missing=False)


class ConfirmPage(QWizardPage):
    def __init__(self, wizard: "ImportAccountsWizard") -> None:
        super().__init__()
        self.setTitle("Refresh the project's accounts")
        self.setSubTitle("Accounts are matched by their id. The refresh is one step: Edit > Undo takes it back.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Import")
        self._wizard = wizard
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.missing_label = QLabel(self)
        self.missing_label.setWordWrap(True)
        self.missing = QListWidget(self)
        self.remove = QCheckBox(self)
        layout = QVBoxLayout(self)
        for widget in (self.summary, self.missing_label, self.missing, self.remove):
            layout.addWidget(widget)
        layout.addStretch(1)

    def initializePage(self) -> None:
        wizard = self._wizard
        plan = wizard.session.plan
        change = wizard.change
        self.summary.setText(
            f"{wizard.result.info.path.name} against the project's {len(plan.accounts):,} accounts:<ul>"
            f"<li><b>{len(change.added):,}</b> new accounts: they arrive unassigned and are selected on the map "
            f"afterwards</li><li><b>{len(change.updated):,}</b> accounts updated (name, location, figures…), "
            f"keeping their territories</li><li><b>{change.unchanged:,}</b> unchanged</li></ul>")
        missing = change.missing
        for widget in (self.missing_label, self.missing, self.remove):
            widget.setVisible(bool(len(missing)))
        self.missing_label.setText(f"{len(missing):,} accounts of the project are not in the file. They stay, "
                                   "with their territories, unless you tick the box:")
        self.remove.setText(f"&Remove these {len(missing):,} accounts from the project")
        self.remove.setChecked(False)
        self.missing.clear()
        rows = rows_with_ids(plan, missing)
        names = plan.accounts.name
        self.missing.addItems([f"{plan.accounts.external_id[r]}  {names[r] or ''}" for r in rows[:LISTED]])
        if len(rows) > LISTED:
            self.missing.addItem(f"… and {len(rows) - LISTED:,} more")

    def validatePage(self) -> bool:
        return self._wizard.apply(remove_missing=self.remove.isChecked())


class ReportPage(QWizardPage):
    def __init__(self, wizard: "ImportAccountsWizard") -> None:
        super().__init__()
        self.setTitle("Import report")
        self._wizard = wizard
        self.figures: dict[str, QLabel] = {}
        grid = QFormLayout()
        for key, text in (("read", "Rows read"), ("accepted", "Accepted"),
                          ("geocoded", "   of which placed at their postcode (approximate)"),
                          ("rejected", "Rejected"), ("blank", "Blank lines skipped")):
            self.figures[key] = QLabel(self)
            grid.addRow(text, self.figures[key])
        self.outcome = QLabel(self)
        self.outcome.setWordWrap(True)
        self.problems = QListWidget(self)
        self.export = QPushButton("Export rejected rows…", self)
        self.export.clicked.connect(self.export_rejected)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.outcome)
        layout.addWidget(QLabel("The first problems:", self))
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.export)

    def initializePage(self) -> None:
        result = self._wizard.result
        for key, value in (("read", result.read), ("accepted", result.accepted), ("geocoded", result.geocoded),
                           ("rejected", result.rejected), ("blank", result.blank_lines)):
            self.figures[key].setText(f"{value:,}")
        self.figures["rejected"].setStyleSheet(ERROR_STYLE if result.rejected else "")
        self.outcome.setText(self._wizard.outcome)
        self.problems.clear()
        self.problems.addItems([f"row {i.row_number}: {i.problem}" for i in result.issues[:LISTED]])
        if result.rejected > LISTED:
            self.problems.addItem(f"… and {result.rejected - LISTED:,} more (export them to see all)")
        if not result.issues:
            self.problems.addItem("None: every row was accepted.")
        self.export.setEnabled(bool(result.issues) and self._wizard.session.project is not None)

    def export_rejected(self) -> None:
        project = self._wizard.session.project
        suggested = str(Path(self._wizard.folder) / f"{self._wizard.result.info.path.stem} rejected rows.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export rejected rows", suggested, "CSV files (*.csv)")
        if not path:
            return
        try:
            count = export_issues(project.conn, Path(path))
        except ExportError as exc:
            self._wizard.report_error(str(exc))
            return
        self.export.setText(f"Exported {count:,} rejected rows (all imports) to {Path(path).name}")


class ImportAccountsWizard(QWizard):
    """The wizard for one window: `window` gives the session, the controller and the error reporting."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setWindowTitle("Import accounts")
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        self.session = window.session
        self.controller = window.controller
        # With teams or a score, a refresh concerns every team: it is applied to the plan of all accounts, then
        # every team's view is loaded again (ui.window.team_views). Without, to the plan shown, as ever.
        plan = self.session.plan
        self.project_wide = bool(plan.teams or plan.scoring is not None)
        self.team_views = window.team_views
        whole = self.team_views.whole_plan() if self.project_wide else None
        self.project_wide = whole is not None
        self.refresh_plan = whole if whole is not None else plan
        self.report_error = window.show_error
        project = self.session.project
        self.folder = str(project.path.parent) if project is not None else ""
        self.info: TableInfo | None = None
        self.result: AccountsImport | None = None
        self.change: RefreshSummary | None = None  # what refreshing with `result` does, before it is done
        self.confirming = False  # whether the read file goes through the confirmation step
        self.outcome = ""
        self.file_page, self.mapping_page, self.reading_page = FilePage(self), MappingPage(self), ReadingPage(self)
        self.confirm_page, self.report_page = ConfirmPage(self), ReportPage(self)
        for page_id, page in ((FILE, self.file_page), (MAPPING, self.mapping_page), (READING, self.reading_page),
                              (CONFIRM, self.confirm_page), (REPORT, self.report_page)):
            self.setPage(page_id, page)
        self.resize(760, 560)

    def apply(self, remove_missing: bool) -> bool:
        """Refresh the project from the read file (one command), keep its rejected rows, select the new accounts.
        False (and the project unchanged) if the command was refused."""
        result = self.result
        source = result.info.path.name
        change = None if self.change is None else replace(self.change, removed=remove_missing)
        if change is not None:
            # The refresh and its rejected rows in one transaction: a crash never keeps one without the other.
            refresh = RecordIssues(RescoreAfter(RefreshAccounts(result.columns, remove_missing, source=source,
                                                                fields=result.fields)), source, result.issues)
            done = self.team_views.apply(refresh) if self.project_wide else self.controller.do(refresh)
            if not done:
                return False
        elif self.session.project is not None:  # nothing to import: only the rejected rows are kept
            try:
                self.session.project.record_import_issues(source, result.issues)
            except ProjectError as exc:
                self.report_error(str(exc))
        self.outcome = self._describe(change)
        if self.project_wide and change is not None:
            self.outcome += " " + self.team_views.last_handovers_text()
        window = self.parent()
        if change is not None and len(change.added):
            window.controller.set_selection(rows_with_ids(window.session.plan, change.added))
        return True

    @staticmethod
    def _describe(change: RefreshSummary | None) -> str:
        if change is None:
            return "Nothing was imported: no row could be used. The project is unchanged."
        text = (f"The import added {len(change.added):,} accounts (unassigned, selected on the map), updated "
                f"{len(change.updated):,} and left {change.unchanged:,} unchanged.")
        if len(change.missing):
            fate = "removed" if change.removed else "kept"
            text += f" The {len(change.missing):,} accounts not in the file were {fate}."
        return text + " Edit > Undo takes the whole import back."

    def done(self, result: int) -> None:
        self.reading_page.stop()  # Cancel while reading: the project was never touched
        super().done(result)


def import_accounts(window) -> None:
    """File > Import accounts…"""
    if window.session is None:
        window.show_error("Open or create a project first (File > New project).")
        return
    wizard = ImportAccountsWizard(window)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.exec()
