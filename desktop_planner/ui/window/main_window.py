"""The main window: the map beside the balance panel, menus, tool bar and status bar.

The window owns the open `Session` and swaps it when another project is opened; everything a gesture does
goes through the `GestureController`. A project that cannot be opened leaves the current one in place.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QThreadPool, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow, QMessageBox, QProgressDialog, QSplitter, QToolBar

from desktop_planner.core.commands import EditTerritory
from desktop_planner.io.export import ExportError, export_assignments
from desktop_planner.io.mbtiles import MBTilesError, default_basemap_path
from desktop_planner.store.instance_lock import InstanceLock, ProjectInUse
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile, current_user
from desktop_planner.ui.review import change_report
from desktop_planner.ui.review import compare_view
from desktop_planner.ui.review import coverage_dock
from desktop_planner.ui.window import file_menu
from desktop_planner.ui.review import history_dock
from desktop_planner.ui.review import score_dock
from desktop_planner.ui.review import kpi_dock
from desktop_planner.ui.review import disputes_dock
from desktop_planner.ui.map import region_view
from desktop_planner.ui.window import scenario_bar
from desktop_planner.ui.window import status_bar
from desktop_planner.ui.window import team_views
from desktop_planner.ui.dialogs import territory_dialogs
from desktop_planner.ui.dialogs.about_dialog import show_about
from desktop_planner.ui.workshop import workshop_mode as workshop
from desktop_planner.ui.dialogs.new_project import DemoOptionsDialog, DemoProjectJob, empty_plan
from desktop_planner.ui.panel.balance_panel import BalancePanel
from desktop_planner.ui.window.window_layout import WindowLayout
from desktop_planner.ui.window.controller import GestureController, Session
from desktop_planner.ui.map import MapView
from desktop_planner.ui.window import view_options
from desktop_planner.ui.dialogs import auto_balance
from desktop_planner.ui.dialogs import holdout_dialog

PROJECT_FILTER = "Territory plans (*.tplan);;All files (*)"
MAX_RECENT = 8
DEFAULT_TOOL = "select"  # the safe one: a drag pans and nothing is reassigned; gesture tools are chosen explicitly
EMPTY_MAP_HINT = "No accounts yet.\nImport accounts (File > Import accounts…)\nor open the demo (File > New demo project…)."
UNDO_STARTS_HERE = "Undo history starts here: changes before were saved."
TOOLS = (("select", "Select", "S"), ("rect", "Rectangle", "R"), ("lasso", "Lasso", "L"), ("paint", "Paint", "P"))
BRUSH_RANGE = (4, 200)  # paint brush radius in pixels
ZOOM_STEP = math.sqrt(2.0)  # the map's own +/- step, for the same feel from the menu and the keys
# Actions that need an open project; disabled while there is none (when even the demo could not be opened).
PROJECT_ACTIONS = ("lock", "unlock", "export", "territory_add", "territory_rename", "territory_recolour",
                   "territory_rep", "territory_capacity", "territory_home", "territory_delete", "territory_lock")


class MainWindow(QMainWindow):
    sessionChanged = Signal()  # a project was opened and shown: the scenario, compare, history... views re-attach

    def __init__(self) -> None:
        super().__init__()
        self.settings = QSettings()
        self.map = MapView(self)
        self.panel = BalancePanel(self)
        self.splitter = QSplitter(Qt.Horizontal, self)
        self.splitter.addWidget(self.map)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 1)  # a bigger window grows the map, not the table
        self.splitter.setStretchFactor(1, 0)
        self.setCentralWidget(self.splitter)
        self.map.set_empty_hint(EMPTY_MAP_HINT)
        self.session: Session | None = None
        self.controller: GestureController | None = None
        self.brush_radius = 24
        self._demo_jobs: list[DemoProjectJob] = []
        self.named_actions: dict[str, QAction] = {}
        self._build_menus_and_toolbar()
        self.status_message, self.status_labels = status_bar.install(self)
        self.layout_ = WindowLayout(self)  # the side panel toggle, placing and remembering the window
        self._apply_view_settings()
        self.scenario_bar = scenario_bar.install(self)
        self.compare_view = compare_view.install(self)
        self.change_report = change_report.install(self)
        self.history_dock = history_dock.install(self)
        self.region_view = region_view.install(self)
        self.coverage_dock = coverage_dock.install(self)
        self.workshop = workshop.install(self)
        self.view_options = view_options.install(self)  # regions, homes, heat, travel lines; travel settings
        self.auto_balance = auto_balance.install(self)  # Scenario > Auto-balance…, run in a separate process
        self.team_views = team_views.install(self)  # the team switcher, Teams menu, project-wide changes
        self.score_dock = score_dock.install(self)  # score spread per territory, by tier
        self.kpi_dock = kpi_dock.install(self)  # after go-live: KPIs per territory and period, map by KPI
        holdout_dialog.install(self)  # Scenario > Keep a holdout…
        self.disputes_dock = disputes_dock.install(self)  # reps' review sheets: disputes and the workshop's decisions
        file_menu.install_menus(self, self.menus["file"])  # last: it moves the "export" action others insert before
        self.setWindowTitle("Desktop Planner")
        self._update_undo_actions()

    # -- actions ------------------------------------------------------------------------------------------
    def _action(self, key: str, text: str, slot, shortcut=None, checkable=False, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        action.setCheckable(checkable)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even while the menu bar is hidden or the map has focus
        self.named_actions[key] = action
        return action

    def _build_menus_and_toolbar(self) -> None:
        a, bar = self._action, self.menuBar()
        file = bar.addMenu("&File")
        file.addAction(a("new", "&New project…", self.new_project, QKeySequence.New))
        file.addAction(a("open", "&Open…", self.choose_project, QKeySequence.Open))
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file.addAction(a("demo", "New &demo project…", self.new_demo_project))
        file.addSeparator()
        file.addAction(a("export", "&Export assignments CSV…", self.export_csv, "Ctrl+E"))
        basemap = file.addMenu("&Basemap")
        basemap.addAction(a("basemap_file", "Choose .mbtiles file…", self.choose_basemap))
        basemap.addAction(a("basemap_bundled", "Bundled world map", lambda: self.set_basemap(default_basemap_path())))
        basemap.addAction(a("basemap_none", "None", lambda: self.set_basemap(None)))
        file.addSeparator()
        file.addAction(a("quit", "&Quit", self.close, QKeySequence.Quit))

        edit = bar.addMenu("&Edit")
        edit.addAction(a("undo", "&Undo", lambda: self.undo(), QKeySequence("Ctrl+Z")))
        edit.addAction(a("redo", "&Redo", lambda: self.redo(),
                         [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]))
        self.undo_menu = edit.addMenu("Undo &history")
        self.undo_menu.aboutToShow.connect(lambda: self._fill_history_menu(self.undo_menu, undo=True))
        self.redo_menu = edit.addMenu("Redo h&istory")
        self.redo_menu.aboutToShow.connect(lambda: self._fill_history_menu(self.redo_menu, undo=False))
        edit.addSeparator()
        edit.addAction(a("lock", "&Lock selected accounts", lambda: self.controller.lock_selection(True), "Ctrl+L"))
        edit.addAction(a("unlock", "U&nlock selected accounts", lambda: self.controller.lock_selection(False),
                         "Ctrl+Shift+L"))
        edit.addAction(a("cancel", "&Cancel / select none", self.cancel, "Esc"))

        tools = bar.addMenu("&Tools")
        group = QActionGroup(self)
        for name, text, key in TOOLS:
            action = a(f"tool_{name}", text, lambda _=False, n=name: self.map.set_tool(n), key, checkable=True)
            group.addAction(action)
            tools.addAction(action)
        self.named_actions[f"tool_{DEFAULT_TOOL}"].setChecked(True)
        tools.addSeparator()
        tools.addAction(a("brush_smaller", "Smaller brush", lambda: self.change_brush(1 / 1.25), "["))
        tools.addAction(a("brush_larger", "Larger brush", lambda: self.change_brush(1.25), "]"))

        view = bar.addMenu("&View")
        view.addAction(a("size_by_potential", "Size dots by &potential", self._set_size_by_potential,
                         checkable=True))
        view.addAction(a("legend", "Show &legend", self._set_legend, checkable=True))
        view.addSeparator()
        view.addAction(a("zoom_in", "Zoom &in", lambda: self.map.zoom_by(ZOOM_STEP),
                         [QKeySequence("+"), QKeySequence("="), QKeySequence.ZoomIn]))
        view.addAction(a("zoom_out", "Zoom &out", lambda: self.map.zoom_by(1 / ZOOM_STEP),
                         [QKeySequence("-"), QKeySequence.ZoomOut]))
        view.addAction(a("fit", "&Fit to accounts", lambda: self.map.fit_to_accounts(), "Ctrl+0"))

        territory = bar.addMenu("Te&rritory")
        territory.addAction(a("territory_add", "&Add…", self.add_territory))
        for key, text, dialog in (("rename", "&Rename…", territory_dialogs.rename_territory),
                                  ("recolour", "&Colour…", territory_dialogs.recolour_territory),
                                  ("rep", "Sales r&ep…", territory_dialogs.set_rep_name),
                                  ("capacity", "Ca&pacity…", territory_dialogs.set_capacity),
                                  ("home", "&Home…", territory_dialogs.edit_home),
                                  ("delete", "&Delete…", territory_dialogs.delete_territory)):
            action = a(f"territory_{key}", text, lambda _=False, d=dialog: self.edit_territory(d))
            territory.addAction(action)
            self.panel.table.addAction(action)  # also the table's context menu
        lock = a("territory_lock", "&Locked", self.toggle_territory_lock, checkable=True,
                 tip="No gesture and no auto-balance moves accounts into or out of a locked territory")
        territory.addAction(lock)
        self.panel.table.addAction(lock)
        self.panel.table.setContextMenuPolicy(Qt.ActionsContextMenu)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(a("about", "&About Desktop Planner", lambda: show_about(self)))
        self.menus = {"file": file, "edit": edit, "tools": tools, "view": view, "territory": territory,
                      "help": help_menu}

        toolbar = QToolBar("Tools", self)
        toolbar.setObjectName("tools")
        toolbar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.addToolBar(toolbar)
        for key in ("undo", "redo", None, "tool_select", "tool_rect", "tool_lasso", "tool_paint", None,
                    "brush_smaller", "brush_larger", None, "lock", "unlock", None, "zoom_in", "zoom_out", "fit"):
            toolbar.addSeparator() if key is None else toolbar.addAction(self.named_actions[key])
        self.named_actions["lock"].setIconText("Lock")
        self.named_actions["unlock"].setIconText("Unlock")
        self.named_actions["brush_smaller"].setIconText("Brush −")
        self.named_actions["brush_larger"].setIconText("Brush +")
        self.panel.measureChanged.connect(lambda m: self.settings.setValue("view/measure", m))

    def _apply_view_settings(self) -> None:
        for key, default in (("size_by_potential", False), ("legend", True)):
            checked = self.settings.value(f"view/{key}", default, type=bool)
            self.named_actions[key].setChecked(checked)
        self.map.set_size_by_potential(self.named_actions["size_by_potential"].isChecked())
        self.map.set_tool(DEFAULT_TOOL)
        self.map.set_brush_radius(self.brush_radius)
        stored = self.settings.value("basemap")
        self.set_basemap(default_basemap_path() if stored is None else (Path(stored) if stored else None), quiet=True)

    # -- projects -----------------------------------------------------------------------------------------
    def load_project(self, path: Path, read_only: bool = False) -> None:
        """Open a project file and show it; raises ProjectError (or ProjectInUse when another instance has it
        open for editing) and keeps the current project on failure."""
        path = Path(path)
        lock = None if read_only else InstanceLock.acquire(path, current_user())
        try:
            project = ProjectFile.open(path, read_only=read_only)
            try:
                plan = project.load_plan()
            except ProjectError:
                project.close()
                raise
        except ProjectError:
            if lock is not None:
                lock.release()
            raise
        self._install(Session(plan, project, lock=lock, read_only=read_only))
        self._remember(path)

    def open_project(self, path: Path) -> bool:
        try:
            try:
                self.load_project(path)
            except ProjectInUse as exc:
                answer = QMessageBox.question(self, "Project in use", f"{exc}\n\nOpen it read-only?",
                                              QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
                if answer != QMessageBox.Yes:
                    return False
                self.load_project(path, read_only=True)
        except ProjectError as exc:
            QMessageBox.critical(self, "Cannot open project", str(exc))
            return False
        return True

    def _install(self, session: Session) -> None:
        if self.controller is not None:
            self.controller.detach()
        if self.session is not None and self.session.views is not session.views:  # another team's view keeps the file
            self.session.close()
        self.session = session
        self.controller = GestureController(session, self.map, self.panel, self.show_error)
        self.controller.selectionChanged.connect(self._show_selected)
        self.controller.activeChanged.connect(self._show_active)
        self.status_labels["hover"].setText("")  # the account under the pointer was the last project's
        self.controller.hovered.connect(lambda text: self.status_labels["hover"].setText(text))
        self.controller.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.controller.changed.connect(self._update_undo_actions)
        self.controller.changed.connect(self._show_account_count)  # an import refresh adds or removes accounts
        self.controller.changed.connect(self._show_active)  # a lock or a rename of the active territory
        self.controller.refresh_legend(self.named_actions["legend"].isChecked())
        self.panel.set_measure(self.settings.value("view/measure", session.plan.settings.balance_measure))
        plan = session.plan
        where = session.project.path.name if session.project else "not saved"
        where += " (read-only)" if session.read_only else ""
        self.setWindowTitle(f"{plan.name} — {where} — Desktop Planner")
        self.statusBar().clearMessage()  # what was said of the previous project is not about this one
        self._show_account_count()
        self._show_selected(0)
        self._show_active(self.controller.active)
        self._update_undo_actions()
        self.layout_.fit_panel()
        self.sessionChanged.emit()
        if session.project is not None and not session.read_only and \
                history_dock.fetch_changes(session.project.conn, None, "", limit=1):
            # The History holds this session's steps only: say so, or a user expects to undo last week's work.
            self.statusBar().showMessage(UNDO_STARTS_HERE, 10000)

    def _remember(self, path: Path) -> None:
        path = str(Path(path).resolve())
        recent = [p for p in self.settings.value("recent_projects", [], type=list) if p != path]
        self.settings.setValue("recent_projects", [path] + recent[:MAX_RECENT - 1])
        self.settings.setValue("last_project", path)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = [p for p in self.settings.value("recent_projects", [], type=list) if Path(p).exists()]
        for path in recent:
            self.recent_menu.addAction(path, lambda p=path: self.open_project(Path(p)))
        if not recent:
            self.recent_menu.addAction("No recent projects").setEnabled(False)

    def _project_folder(self) -> str:
        return str(self.session.project.path.parent) if self.session and self.session.project else ""

    def choose_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", self._project_folder(), PROJECT_FILTER)
        if path:
            self.open_project(Path(path))

    def _ask_new_path(self, title: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self, title, self._project_folder(), PROJECT_FILTER)
        if not path:
            return None
        path = Path(path)
        path = path if path.suffix else path.with_suffix(".tplan")
        if self.session and self.session.project and path.resolve() == self.session.project.path.resolve():
            self.show_error(f"{path} is the project that is open now; choose another name.")
            return None
        return path

    def new_project(self) -> None:
        path = self._ask_new_path("New project")
        if path is None:
            return
        try:
            ProjectFile.create(path, empty_plan(path.stem), overwrite=True).close()
        except ProjectError as exc:
            self.show_error(str(exc))
            return
        self.open_project(path)

    def new_demo_project(self) -> None:
        options = DemoOptionsDialog(self)
        if options.exec() != QDialog.Accepted:
            return
        path = self._ask_new_path("Save demo project as")
        if path is None:
            return
        job = DemoProjectJob(path, options.accounts.value(), options.territories.value(),
                             options.region.currentData(), options.seed.value())
        progress = QProgressDialog(f"Building {options.accounts.value():,} demo accounts…", "Cancel", 0, 0, self)
        progress.setWindowTitle("New demo project")
        progress.setWindowModality(Qt.WindowModal)
        progress.setMinimumDuration(0)

        def cancel() -> None:
            job.cancelled = True

        def done() -> None:
            progress.reset()
            progress.deleteLater()
            self._demo_jobs.remove(job)

        def finished(created: Path | None) -> None:
            done()
            if created is not None and not job.cancelled:
                self.open_project(created)

        def failed(text: str) -> None:
            done()
            if not job.cancelled:
                self.show_error(f"The demo project could not be built: {text}")

        progress.canceled.connect(cancel)
        job.signals.finished.connect(finished)
        job.signals.failed.connect(failed)
        self._demo_jobs.append(job)
        progress.show()
        QThreadPool.globalInstance().start(job)

    def export_csv(self) -> None:
        plan = self.session.plan
        stem = re.sub(r"[^\w\- ]+", "", plan.name).strip() or "plan"
        suggested = str(Path(self._project_folder()) / f"{stem} assignments.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export assignments", suggested, "CSV files (*.csv)")
        if not path:
            return
        try:
            count = export_assignments(plan, plan.active, Path(path))
        except ExportError as exc:
            self.show_error(str(exc))
            return
        self.statusBar().showMessage(f"Exported {count:,} assignments to {path}", 8000)

    # -- basemap and view -----------------------------------------------------------------------------------
    def choose_basemap(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Basemap", "", "MBTiles (*.mbtiles *.db);;All files (*)")
        if path:
            self.set_basemap(Path(path))

    def set_basemap(self, path: Path | None, quiet: bool = False) -> None:
        try:
            self.map.set_basemap(None if path is None else str(path))
        except MBTilesError as exc:  # the map keeps the previous basemap
            message = f"{path} cannot be used as a basemap: {exc}"
            self.statusBar().showMessage(message, 8000) if quiet else self.show_error(message)
            return
        self.settings.setValue("basemap", "" if path is None else str(path))

    def _set_size_by_potential(self, checked: bool) -> None:
        self.map.set_size_by_potential(checked)
        self.settings.setValue("view/size_by_potential", checked)

    def _set_legend(self, checked: bool) -> None:
        self.settings.setValue("view/legend", checked)
        if self.controller is not None:
            self.controller.refresh_legend(checked)

    def cancel(self) -> None:
        """Esc: a window shortcut takes the key before the map sees it, so it also ends the map's stroke
        (re-selecting the tool cancels one under way), then leaves home picking and drops the selection."""
        self.map.set_tool(self.map.tool())
        if self.controller is not None:
            self.controller.cancel()

    def change_brush(self, factor: float) -> None:
        self.brush_radius = int(np.clip(round(self.brush_radius * factor), *BRUSH_RANGE))
        self.map.set_brush_radius(self.brush_radius)
        self.statusBar().showMessage(f"Brush radius {self.brush_radius} px", 3000)

    # -- territories, undo, status --------------------------------------------------------------------------
    def add_territory(self) -> None:
        command = territory_dialogs.add_territory(self, self.session.plan)
        if command is not None and self.controller.do(command):
            self.controller.set_active(command.territory.id)  # a new territory is where the next lasso goes

    def edit_territory(self, dialog) -> None:
        """Run one of territory_dialogs' editors on the active territory and apply its command."""
        territory = self.controller.active_territory()
        if territory is None:
            self.show_error("Choose a territory in the panel first.")
            return
        command = dialog(self, self.session.plan, territory)
        if command == territory_dialogs.PICK_ON_MAP:
            self.controller.start_home_pick(territory.id)
        elif command is not None:
            self.controller.do(command)

    def toggle_territory_lock(self) -> None:
        territory = self.controller.active_territory()
        if territory is None:
            self.named_actions["territory_lock"].setChecked(False)
            self.show_error("Choose a territory in the panel first.")
            return
        self.controller.do(EditTerritory(self.session.plan.active.id, territory.id, locked=not territory.locked))
        self._show_active()  # the check mark follows the territory, also when the change was refused

    def install_view(self, session) -> None:
        """Show another team's view of the open project (or the views again after a change of teams)."""
        self._install(session)

    # The map's steps (this view's History) come after the project-wide ones (teams, scores, imports): a change of
    # those reloads every view, which empties their histories. So undo takes the view's steps first, redo the
    # project's first.
    def undo(self, steps: int = 1) -> None:
        for _ in range(steps):
            if self.session is not None and self.session.history.can_undo:
                self.controller.undo()
            elif not (self.team_views.can_undo() and self.team_views.undo()):
                break

    def redo(self, steps: int = 1) -> None:
        for _ in range(steps):
            if self.team_views.labels(undo=False):
                if not self.team_views.redo():
                    break
            elif self.session is not None and self.session.history.can_redo:
                self.controller.redo()
            else:
                break

    def _undo_labels(self, undo: bool) -> list[str]:
        history = self.session.history if self.session else None
        if history is None:
            return []
        if undo:
            return history.undo_labels() + self.team_views.labels(undo=True)
        return self.team_views.labels(undo=False) + history.redo_labels()

    def _fill_history_menu(self, menu, undo: bool) -> None:
        menu.clear()
        labels = self._undo_labels(undo)
        for steps, label in enumerate(labels[:30], start=1):
            menu.addAction(label, lambda n=steps, move=self.undo if undo else self.redo: move(n))
        if not labels:
            menu.addAction("Nothing to undo" if undo else "Nothing to redo").setEnabled(False)

    def _update_undo_actions(self) -> None:
        for key in PROJECT_ACTIONS:
            self.named_actions[key].setEnabled(self.session is not None)
        undo, redo = self._undo_labels(True), self._undo_labels(False)
        for key, labels, verb in (("undo", undo, "Undo"), ("redo", redo, "Redo")):
            self.named_actions[key].setEnabled(bool(labels))
            self.named_actions[key].setText(f"&{verb} {labels[0]}" if labels else f"&{verb}")
            self.named_actions[key].setIconText(verb)
            self.named_actions[key].setToolTip(f"{verb} {labels[0]}" if labels else verb)

    def _show_account_count(self) -> None:
        if self.session is not None:
            self.status_labels["accounts"].setText(f"{len(self.session.plan.accounts):,} accounts")

    def _show_selected(self, count: int) -> None:
        self.status_labels["selected"].setText(f"{count:,} selected")

    def _show_active(self, _territory_id=None) -> None:
        territory = self.controller.active_territory() if self.controller else None
        self.status_labels["active"].setText(f"Active: {territory.name}" if territory else "No active territory")
        self.named_actions["territory_lock"].setChecked(bool(territory and territory.locked))

    def show_error(self, text: str) -> None:
        QMessageBox.warning(self, "Desktop Planner", text)

    def closeEvent(self, event) -> None:
        if not self.workshop.active:  # full screen and large type are not how the user wants the next start
            self.layout_.save(self.settings)
        if self.controller is not None:
            self.controller.detach()
        if self.session is not None:
            self.session.close()
            self.session = None
        super().closeEvent(event)
