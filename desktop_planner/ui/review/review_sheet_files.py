"""Review sheets from the window: Scenario > Export review sheets… writes one per rep of the scenario
shown (io.review_sheets), Scenario > Import returned review sheets… reads the reps' answers back as one undoable step
(their rejected rows kept, like any import) and opens the Disputes dock (ui/review/disputes_dock.py) on them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QLabel, QMessageBox

from desktop_planner.core.commands import RecordIssues
from desktop_planner.core.review_commands import ImportReviews
from desktop_planner.io.review_sheets import (ReviewSheetError, read_review_sheets, sheet_scenario,
                                              write_review_sheets)
from desktop_planner.ui.dialogs.import_pages import TABLE_FILTER

SHOWN_PROBLEMS = 8  # rejected rows listed in the message after an import


class SheetsDialog(QDialog):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.setWindowTitle("Export review sheets")
        plan = window.session.plan
        self.baseline = QComboBox(self)
        for s in plan.scenarios.values():
            if s.id != plan.active_scenario_id:
                self.baseline.addItem(s.name, s.id)
        self.baseline.setCurrentIndex(max(0, self.baseline.findData(plan.active.based_on)))
        self.format = QComboBox(self)
        self.format.addItem("Excel (.xlsx), with an agree/dispute list", "xlsx")
        self.format.addItem("CSV", "csv")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.button(QDialogButtonBox.Ok).setText("Choose folder…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QFormLayout(self)
        layout.addRow("Changes from", self.baseline)
        layout.addRow("to", QLabel(f"{plan.active.name} (the scenario shown)", self))
        layout.addRow("Format", self.format)
        layout.addRow(QLabel("One sheet per rep: the accounts their territory gains and loses.", self))
        layout.addRow(buttons)


def export_sheets(window, folder: Path | None = None, baseline_id: int | None = None, fmt: str | None = None) -> list:
    """Write a review sheet per rep of the scenario shown (asking for what is not given); returns the files."""
    session = window.session
    if session is None:
        return []
    plan = session.plan
    if len(plan.scenarios) < 2:
        window.show_error("Review sheets tell each rep what changes between two scenarios; make another with "
                          "Scenario > New first.")
        return []
    if baseline_id is None or fmt is None:
        dialog = SheetsDialog(window)
        if dialog.exec() != QDialog.Accepted:
            return []
        baseline_id, fmt = dialog.baseline.currentData(), dialog.format.currentData()
    if folder is None:
        start = session.project.path.parent if session.project else Path.home()
        chosen = QFileDialog.getExistingDirectory(window, "Folder for the review sheets", str(start))
        if not chosen:
            return []
        folder = Path(chosen)
    try:
        written = write_review_sheets(plan, plan.scenarios[baseline_id], plan.active, folder, fmt,
                                      engine=session.engine)
    except ReviewSheetError as exc:
        window.show_error(str(exc))
        return []
    text = (f"Wrote {len(written)} review sheets to {folder}." if written else
            f"{plan.active.name} changes no account against {plan.scenarios[baseline_id].name}: no sheets written.")
    window.statusBar().showMessage(text, 10000)
    return [path for path, _ in written]


def import_sheets(window, paths: list[Path] | None = None) -> bool:
    """Read returned review sheets into the scenario they name (else the one shown), as one undoable step, and
    show the dock."""
    session = window.session
    if session is None:
        return False
    if paths is None:
        start = session.project.path.parent if session.project else Path.home()
        chosen, _ = QFileDialog.getOpenFileNames(window, "Import returned review sheets", str(start), TABLE_FILTER)
        if not chosen:
            return False
        paths = [Path(p) for p in chosen]
    plan = session.plan
    named = sheet_scenario(paths)
    scenario = next((s for s in plan.scenarios.values() if s.name == named), plan.active)
    baseline = plan.scenarios.get(scenario.based_on) if scenario.based_on is not None else None
    if baseline is None:
        window.show_error(f"Scenario {scenario.name} was not made from another scenario, so the sheets' changes "
                          "cannot be matched; import them with `desktop-planner import PROJECT --reviews … "
                          "--baseline NAME`.")
        return False
    try:
        imported = read_review_sheets(plan, baseline, scenario, paths, engine=session.engine)
    except ReviewSheetError as exc:
        window.show_error(str(exc))
        return False
    if len(imported.rows):
        command = ImportReviews(scenario.id, imported.rows)
        for source, issues in imported.issues.items():
            if issues:
                command = RecordIssues(command, source, issues)
        if not window.controller.do(command):
            return False
    elif session.project is not None and not session.read_only:
        for source, issues in imported.issues.items():
            if issues:
                session.project.record_import_issues(source, issues)
    if scenario.id != plan.active_scenario_id:
        window.controller.switch_scenario(scenario.id)
    dock = window.disputes_dock
    dock.show()
    dock.raise_()
    dock.refresh()
    lines = [imported.report(first=SHOWN_PROBLEMS)]
    if imported.rejected:
        lines.append("File > Export > Rejected import rows writes them all out.")
    if len(imported.rows):
        lines.append("Edit > Undo takes the import back.")
    QMessageBox.information(window, "Import returned review sheets", "\n".join(lines))
    return bool(len(imported.rows))
