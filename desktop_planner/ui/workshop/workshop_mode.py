"""Workshop mode (F11): the window set up for a room of managers deciding together in front of one screen.

Full screen, everything larger, the balance chart given most of the panel, the docks put away, and a bar with
the two scenarios being weighed (T switches between them) and a Snapshot button that keeps the state on screen
as a named scenario while work goes on. Leaving the mode puts the window back exactly as it was.

Readable from the back of the room (3 m from a laptop or a projected screen): the panel's table and the window's
text at WORKSHOP_POINTS or more, the map's territory names, legend and heat scale MAP_TEXT_SCALE times their size,
the Dev % column kept in view beside the territory's name, and a large badge, "A: <name>" on blue or
"B: <name>" on orange, saying which of the two scenarios is on screen.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import QComboBox, QInputDialog, QLabel, QToolBar

from desktop_planner.core.events import ScenariosChanged, ScenarioSwitched
from desktop_planner.ui.panel.balance_panel import COLUMNS, DEVIATION_COLUMN, PIECES_COLUMN, REP_COLUMN
from desktop_planner.ui.window.scenario_bar import fill_scenario_combo, unique_name

FONT_SCALE = 1.5  # of the window's normal type, and at least:
WORKSHOP_POINTS = 15.0  # points: the table, the bar, the chart's axes
MAP_TEXT_SCALE = 1.7  # the map's names, legend and heat scale
BADGE_POINTS = 26.0
BADGE_COLOURS = {"A": "#1565c0", "B": "#e65100", "": "#555555"}  # "": a third scenario is on screen
CHART_SHARE = 0.65  # of the panel's height
PANEL_SHARE = (0.45, 0.6)  # of the window's width: at least, and at most to fit the table's columns
# Panel columns put away in the workshop, so that the large type fits: the room talks workload and potential (and
# the territory's name says whose it is). Dev % is never among them.
HIDDEN_COLUMNS = [i for i, c in enumerate(COLUMNS) if c.measure in ("service_hours", "travel_hours")] + [REP_COLUMN]
assert DEVIATION_COLUMN not in HIDDEN_COLUMNS


class WorkshopMode(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window_ = window
        self._saved: dict | None = None
        self._area: tuple[float, float, float, float] | None = None  # the map's view to show after a relayout
        self._unsubscribe = None
        self.action = QAction("&Workshop mode", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("F11"))
        self.action.setStatusTip("Full screen, large type, the balance chart up front, one key between two scenarios")
        self.action.toggled.connect(self.set_active)
        window.addAction(self.action)

        self.bar = QToolBar("Workshop", window)
        self.bar.setObjectName("workshop")
        self.bar.setMovable(False)
        self.bar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.combo_a, self.combo_b = QComboBox(self.bar), QComboBox(self.bar)
        self.swap_action = QAction("⇄ Switch A / B  (T)", window)
        self.swap_action.setShortcut(QKeySequence("T"))
        self.swap_action.setEnabled(False)  # T is an ordinary key outside the workshop
        self.swap_action.triggered.connect(self.swap)
        window.addAction(self.swap_action)
        self.snapshot_action = QAction("Snapshot…", window)
        self.snapshot_action.setStatusTip("Keep what is on screen as a named scenario; work goes on in this one")
        self.snapshot_action.triggered.connect(self.snapshot)
        # The way out comes first: at 1366 px in large type the bar's end is cut off.
        self.bar.addAction(self.action)
        self.action.setIconText("Leave workshop (F11)")
        self.bar.addSeparator()
        self.badge = QLabel(self.bar)  # which of A and B is on screen, large
        self.badge.setObjectName("workshop_badge")
        self.badge.setToolTip("The scenario on screen: T switches between A and B")
        self.bar.addWidget(self.badge)
        self.bar.addSeparator()
        self.bar.addWidget(QLabel("  A ", self.bar))
        self.bar.addWidget(self.combo_a)
        self.bar.addWidget(QLabel("  B ", self.bar))
        self.bar.addWidget(self.combo_b)
        self.bar.addAction(self.swap_action)
        self.bar.addSeparator()
        self.bar.addAction(self.snapshot_action)
        for combo in (self.combo_a, self.combo_b):
            combo.activated.connect(lambda index, c=combo: self._switch(c.itemData(index)))
        window.addToolBarBreak(Qt.TopToolBarArea)  # a row of its own, so that it is never cut off
        window.addToolBar(Qt.TopToolBarArea, self.bar)
        self.bar.hide()
        window.sessionChanged.connect(self.attach)
        window.panel.model.dataChanged.connect(self._pieces_column)
        window.panel.model.modelReset.connect(self._pieces_column)

    @property
    def active(self) -> bool:
        return self._saved is not None

    def attach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._unsubscribe = self.window_.session.plan.events.subscribe(self._on_event)
        self._fill_pair(reset=True)

    def _on_event(self, event) -> None:
        if isinstance(event, ScenariosChanged):
            self._fill_pair()
            self._show_badge()  # a rename
        elif isinstance(event, ScenarioSwitched) and self.active:
            self._show_badge()
            QTimer.singleShot(0, self._share_space)  # the panel re-fits its table to new territories: chart first

    def _fill_pair(self, reset: bool = False) -> None:
        """A and B: kept while they exist; else A is the scenario shown and B the one before it (or another)."""
        session = self.window_.session
        if session is None:
            return
        plan = session.plan
        a, b = self.combo_a.currentData(), self.combo_b.currentData()
        if reset or a not in plan.scenarios:
            a = plan.active_scenario_id
        if reset or b not in plan.scenarios or b == a:
            others = [sid for sid in plan.scenarios if sid != a]
            candidates = [self.window_.scenario_bar.previous_id, plan.scenarios[a].based_on] + others[::-1]
            b = next((sid for sid in candidates if sid in others), a)  # a alone: nothing to switch to yet
        for combo, chosen in ((self.combo_a, a), (self.combo_b, b)):
            fill_scenario_combo(combo, plan, chosen)
        self.swap_action.setEnabled(self.active and a != b)
        self._show_badge()

    def shown_letter(self) -> str:
        """"A" or "B" for the scenario on screen, "" when it is neither."""
        shown = self.window_.session.plan.active_scenario_id if self.window_.session is not None else None
        if shown == self.combo_a.currentData():
            return "A"
        return "B" if shown == self.combo_b.currentData() else ""

    def _show_badge(self) -> None:
        session = self.window_.session
        if session is None:
            self.badge.setText("")
            return
        letter = self.shown_letter()
        name = session.plan.active.name
        self.badge.setText(f" {letter}: {name} " if letter else f" Shown: {name} ")
        self.badge.setStyleSheet(f"QLabel#workshop_badge {{ font-size: {BADGE_POINTS:.0f}pt; font-weight: bold; "
                                 f"color: white; background: {BADGE_COLOURS[letter]}; border-radius: 6px; "
                                 "padding: 2px 10px; margin: 2px 8px; }")

    def _switch(self, scenario_id) -> None:
        if scenario_id is not None and self.window_.controller is not None:
            self.window_.controller.switch_scenario(int(scenario_id))

    def swap(self) -> None:
        """Show B if A is shown, else A."""
        shown = self.window_.session.plan.active_scenario_id
        a, b = self.combo_a.currentData(), self.combo_b.currentData()
        self._switch(b if shown == a else a)

    def snapshot(self) -> None:
        plan = self.window_.session.plan
        stamp = datetime.now().strftime("%H:%M")
        name, ok = QInputDialog.getText(self.window_, "Snapshot", "Keep the plan on screen as scenario",
                                        text=unique_name(plan, f"Workshop {stamp}"))
        if ok and name.strip():
            notes = f"Snapshot of “{plan.active.name}” taken in the workshop at {stamp}."
            if self.window_.scenario_bar.add_copy(name.strip(), notes) is not None:
                self.window_.statusBar().showMessage(f"Saved as scenario “{name.strip()}”.", 6000)

    # -- entering and leaving ----------------------------------------------------------------------------------
    def set_active(self, on: bool) -> None:
        if on and not self.active:
            self._enter()
        elif not on and self.active:
            self._leave()

    def _enter(self) -> None:
        w = self.window_
        panel = w.panel
        self._saved = {"state": w.saveState(), "geometry": w.saveGeometry(), "style": w.styleSheet(),
                       "was_maximized": w.isMaximized(), "splitter": w.splitter.sizes(), "split": panel.split.sizes(),
                       "row": panel.table.verticalHeader().defaultSectionSize()}
        self._area = w.map.view_range_mercator()  # shown again once the full-screen layout has settled
        for dock in (w.compare_view, w.history_dock, w.region_view, w.coverage_dock):  # room for map and chart
            dock.hide()
        font = QFont(w.font())
        font.setPointSizeF(max(font.pointSizeF() * FONT_SCALE, WORKSHOP_POINTS))
        scale = font.pointSizeF() / w.font().pointSizeF()
        # A style sheet, not setFont: under the application's style sheet fonts set on a widget do not propagate.
        w.setStyleSheet(f"QWidget {{ font-size: {font.pointSizeF():.1f}pt; }}")
        panel.table.verticalHeader().setDefaultSectionSize(round(self._saved["row"] * scale))
        for axis in ("left", "bottom"):
            panel.chart.getAxis(axis).setTickFont(font)
            panel.chart.getAxis(axis).label.setFont(font)
        self._set_map_text_scale(MAP_TEXT_SCALE)
        self._fill_pair(reset=True)
        for column in HIDDEN_COLUMNS:
            panel.table.setColumnHidden(column, True)
        panel.table.setColumnHidden(DEVIATION_COLUMN, False)
        self._pieces_column()
        self.bar.show()
        self.swap_action.setEnabled(self.combo_a.currentData() != self.combo_b.currentData())
        w.installEventFilter(self)  # the full-screen size arrives later, as a resize
        w.showFullScreen()
        QTimer.singleShot(0, self._share_space)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Resize and self.active:
            QTimer.singleShot(0, self._share_space)  # after the splitter has had its share of the new size
        return False

    def _share_space(self) -> None:
        if not self.active:
            return
        w = self.window_
        self._fit_columns()
        total = sum(w.splitter.sizes())
        least, most = PANEL_SHARE
        panel = round(min(max(least * total, w.panel.preferred_width()), most * total))
        w.splitter.setSizes([total - panel, panel])
        height = sum(w.panel.split.sizes())
        w.panel.split.setSizes([round(height * (1 - CHART_SHARE)), round(height * CHART_SHARE)])
        self._show_area_again()

    def _show_area_again(self) -> None:
        """The map's size changed with the mode: keep the same territories in view (a smaller map at the same
        scale showed them in a corner, cut off)."""
        if self._area is not None:
            self.window_.map.show_area(*self._area)
            self._area = None

    def _set_map_text_scale(self, scale: float) -> None:
        w = self.window_
        w.map.legend().set_text_scale(scale)
        w.view_options.regions.marks.set_text_scale(scale)
        w.view_options.overlays.heat.bar.set_text_scale(scale)

    def _pieces_column(self, *_args) -> None:
        """In the workshop the Pieces column shows only while a territory is split: its room goes to the figures."""
        if self.active:
            split = any(count > 1 for count in self.window_.panel.model.pieces.values())
            self.window_.panel.table.setColumnHidden(PIECES_COLUMN, not split)

    def _fit_columns(self) -> None:
        """Columns as wide as their contents and their header in bold (the balanced measure's header is bold,
        which the table's own fitting leaves out)."""
        table = self.window_.panel.table
        table.resizeColumnsToContents()
        bold = QFont(table.horizontalHeader().font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        for column, spec in enumerate(COLUMNS):
            table.setColumnWidth(column, max(table.columnWidth(column), metrics.horizontalAdvance(spec.title) + 24))
        table.horizontalScrollBar().setValue(0)  # Dev % is second, beside the names: keep the start in view

    def _leave(self) -> None:
        w, saved = self.window_, self._saved
        self._saved = None
        self._area = w.map.view_range_mercator()
        panel = w.panel
        w.removeEventFilter(self)
        self.bar.hide()
        self.swap_action.setEnabled(False)
        for column in HIDDEN_COLUMNS + [PIECES_COLUMN]:
            panel.table.setColumnHidden(column, False)
        w.setStyleSheet(saved["style"])
        panel.table.verticalHeader().setDefaultSectionSize(saved["row"])
        for axis in ("left", "bottom"):
            panel.chart.getAxis(axis).setTickFont(None)
            panel.chart.getAxis(axis).label.setFont(w.font())
        self._set_map_text_scale(1.0)
        panel.table.resizeColumnsToContents()
        if saved["was_maximized"]:
            w.showMaximized()
        else:
            w.showNormal()
        w.restoreGeometry(saved["geometry"])
        w.restoreState(saved["state"])
        w.splitter.setSizes(saved["splitter"])
        panel.split.setSizes(saved["split"])
        QTimer.singleShot(0, self._show_area_again)


def install(window) -> WorkshopMode:
    mode = WorkshopMode(window)
    view = window.menus["view"]
    view.addSeparator()
    view.addAction(mode.action)
    return mode
