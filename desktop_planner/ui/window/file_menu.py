"""The File menu's imports and exports: accounts (the wizard), territories/reps, today's alignment; and an Export
submenu with every CSV of io/export (spreadsheet-safe) and the map as a PNG or PDF picture.

Every import is one command through the window's controller, so it is undoable and saved like a gesture; its
rejected rows are kept in the project (File > Export > Rejected import rows) and summarised in a message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox

from desktop_planner.core.commands import RecordIssues
from desktop_planner.io.account_import import AccountImportError
from desktop_planner.io.actuals_import import read_actuals, read_quotas
from desktop_planner.io.export import ExportError, export_changes, export_issues, export_summary
from desktop_planner.io.mbtiles import MBTilesError
from desktop_planner.io.territory_import import alignment_from_csv, territories_from_csv
from desktop_planner.store.opening import ProjectError
from desktop_planner.ui.dialogs.import_pages import TABLE_FILTER
from desktop_planner.ui.dialogs.import_wizard import import_accounts
from desktop_planner.ui.map.map_render import RenderError, save_map

SHOWN_PROBLEMS = 8  # rejected rows listed in the message after a territory or alignment import
MAP_FILTER = "PNG picture (*.png);;PDF document, A4 (*.pdf)"


def install_menus(window, file_menu: QMenu) -> None:
    """Put the imports (after the project commands) and the Export submenu (where the window's own "export"
    action is; that action moves into it) into `file_menu`. Each new action is also in `window.named_actions`."""
    export_action = window.named_actions["export"]
    actions = file_menu.actions()
    projects_end = actions[actions.index(window.named_actions["demo"]) + 1]  # the separator after New/Open/Demo
    file_menu.insertSeparator(projects_end)
    added: list[QAction] = []

    def action(key: str, text: str, slot: Callable[[], None], menu: QMenu | None = None) -> None:
        item = QAction(text, window)
        item.triggered.connect(lambda _=False: slot())
        window.named_actions[key] = item
        added.append(item)
        if menu is None:
            file_menu.insertAction(projects_end, item)
        else:
            menu.addAction(item)

    action("import_accounts", "&Import accounts…", lambda: import_accounts(window))
    action("import_territories", "Import &territories/reps…",
           lambda: import_commands(window, "Import territories and reps", territories_from_csv))
    action("import_alignment", "Import a&lignment…",
           lambda: import_commands(window, "Import alignment", alignment_from_csv))
    action("import_actuals", "Import a&ctuals…", lambda: import_records(window, "Import actuals", read_actuals,
                                                                       every_account=True))
    action("import_quotas", "Import &quotas…", lambda: import_records(window, "Import quotas", read_quotas))
    export_menu = QMenu("&Export", file_menu)
    file_menu.insertMenu(export_action, export_menu)
    file_menu.removeAction(export_action)
    export_action.setText("&Assignments CSV…")
    export_menu.addAction(export_action)
    action("export_summary", "Territory &summary CSV…", lambda: export_summary_csv(window), export_menu)
    action("export_changes", "&Change log CSV…", lambda: export_project_csv(window, "change log", export_changes),
           export_menu)
    action("export_issues", "&Rejected import rows CSV…",
           lambda: export_project_csv(window, "rejected import rows", export_issues), export_menu)
    export_menu.addSeparator()
    action("export_map_view", "&Map of the current view (PNG/PDF)…", lambda: export_map(window, whole_plan=False),
           export_menu)
    action("export_map_plan", "Map of the &whole plan (PNG/PDF)…", lambda: export_map(window, whole_plan=True),
           export_menu)
    # The window enables only its own actions when a project opens; these follow it whenever the menu opens.
    file_menu.aboutToShow.connect(lambda: [a.setEnabled(window.session is not None) for a in added])


def _folder(window) -> Path:
    project = window.session.project
    return project.path.parent if project is not None else Path.home()


def _suggested(window, what: str, suffix: str) -> str:
    stem = re.sub(r"[^\w\- ]+", "", window.session.plan.name).strip() or "plan"
    return str(_folder(window) / f"{stem} {what}{suffix}")


def import_commands(window, title: str, reader) -> None:
    """A territories/reps or alignment CSV: one command through the controller, then what was rejected."""
    path, _ = QFileDialog.getOpenFileName(window, title, str(_folder(window)), TABLE_FILTER)
    if not path:
        return
    session = window.session
    try:
        command, issues = reader(session.plan, session.plan.active, path)
    except AccountImportError as exc:
        window.show_error(str(exc))
        return
    if command is not None:
        # The import and the rows it rejected are saved in one transaction (a crash keeps both or neither).
        if not window.controller.do(RecordIssues(command, Path(path).name, issues)):
            return  # refused: the controller has said why, and nothing was recorded
    elif issues and session.project is not None and not session.read_only:
        try:
            session.project.record_import_issues(Path(path).name, issues)
        except ProjectError as exc:
            window.show_error(str(exc))
    lines = [f"{command.label}: done (Edit > Undo takes it back)." if command else
             f"{Path(path).name}: nothing to apply."]
    if issues:
        lines.append(f"{len(issues):,} rows were rejected:")
        lines += [f"  row {i.row_number}: {i.problem}" for i in issues[:SHOWN_PROBLEMS]]
        if len(issues) > SHOWN_PROBLEMS:
            lines.append(f"  … and {len(issues) - SHOWN_PROBLEMS:,} more")
        lines.append("File > Export > Rejected import rows writes them all out.")
    QMessageBox.information(window, title, "\n".join(lines))


def import_records(window, title: str, read, every_account: bool = False) -> None:
    """Actuals or quotas from a CSV or Excel file (io.actuals_import): one undoable command with its rejected rows,
    then the reader's report. Actuals concern every account, so with teams they are matched against all accounts
    and every team's view is loaded again (ui.window.team_views); quotas are the team's shown."""
    path, _ = QFileDialog.getOpenFileName(window, title, str(_folder(window)), TABLE_FILTER)
    if not path:
        return
    session = window.session
    whole = every_account and bool(session.plan.teams)
    plan = window.team_views.whole_plan() if whole else session.plan
    if plan is None:
        return  # read-only: team_views has said why
    try:
        result = read(plan, path)
    except (AccountImportError, ValueError) as exc:
        window.show_error(f"{Path(path).name}: {exc}")
        return
    command = result.command
    if command is None:
        window.show_error(f"{Path(path).name}: no row could be used.\n\n{result.report()}")
        return
    step = RecordIssues(command, Path(path).name, result.issues)
    if not (window.team_views.apply(step) if whole else window.controller.do(step)):
        return  # refused: the reason has been shown, and nothing was recorded
    QMessageBox.information(window, title, result.report() + "\n\nEdit > Undo takes it back. View > KPIs shows "
                            "what the actuals say.")


def _save_path(window, title: str, suggested: str, filters: str) -> tuple[Path | None, str]:
    path, chosen = QFileDialog.getSaveFileName(window, title, suggested, filters)
    return (Path(path) if path else None), chosen


def _write(window, path: Path, write: Callable[[], object], what: str) -> None:
    """Run an export with a busy cursor, then say what it wrote (a CSV's row count) or why it failed."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        written, error = write(), None
    except (ExportError, RenderError, MBTilesError, ProjectError) as exc:
        written, error = None, str(exc)
    finally:
        QApplication.restoreOverrideCursor()
    if error is not None:
        window.show_error(error)
        return
    rows = f" ({written:,} rows)" if isinstance(written, int) else ""
    window.statusBar().showMessage(f"Exported {what}{rows} to {path}", 8000)


def export_summary_csv(window) -> None:
    path, _ = _save_path(window, "Export territory summary", _suggested(window, "territory summary", ".csv"),
                         "CSV files (*.csv)")
    if path is not None:
        session = window.session
        plan = session.plan
        contiguity = session.project.contiguity_checker(plan) if session.project else None
        _write(window, path, lambda: export_summary(plan, plan.active, path, contiguity=contiguity),
               "territory summary")


def export_project_csv(window, what: str, export) -> None:
    """The change log or the rejected import rows: both live in the project file, not in the plan."""
    if window.session.project is None:
        window.show_error(f"This plan is not saved in a project file, so it has no {what}.")
        return
    path, _ = _save_path(window, f"Export {what}", _suggested(window, what, ".csv"), "CSV files (*.csv)")
    if path is not None:
        _write(window, path, lambda: export(window.session.project.conn, path), what)


def export_map(window, whole_plan: bool) -> None:
    """The map as the window shows it (basemap, legend on or off), of the visible area or of the whole plan."""
    path, chosen = _save_path(window, "Export map", _suggested(window, "map", ".png"), MAP_FILTER)
    if path is None:
        return
    if not path.suffix:
        path = path.with_suffix(".pdf" if "pdf" in chosen.lower() else ".png")
    plan = window.session.plan
    extent = None if whole_plan else window.map.view_range_mercator()
    basemap = window.map.basemap_path()
    legend = window.named_actions["legend"].isChecked()
    _write(window, path, lambda: save_map(path, plan, plan.active, extent=extent, basemap=basemap, legend=legend),
           "the map")
