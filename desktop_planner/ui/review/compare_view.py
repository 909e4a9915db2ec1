"""Compare two scenarios: a dock with per-territory figures of both, and the moves drawn on the map.

The scenario compared is always the one shown, so that it can be edited while the disruption and both sets of
balance figures follow; the baseline is any other. Territories are matched by name (core.compare). On the map
each moved account gets a ring in its baseline territory's colour around its dot (whose fill is already the new
territory's colour), and arrows between territory centres, as wide as the potential that moved along them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPointF, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDockWidget, QHBoxLayout, QLabel, QTableView,
                               QVBoxLayout, QWidget)

from desktop_planner.core.compare import TerritoryComparison, assignment_names, compare_scenarios, disruption
from desktop_planner.core.events import ScenariosChanged, ScenarioSwitched
from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.core.measures import MEASURES, Measures
from desktop_planner.core.model import Plan, Scenario
from desktop_planner.ui.panel.balance_panel import COLUMNS, MEASURE_LABELS, format_number
from desktop_planner.ui.window.controller import territory_colors
from desktop_planner.ui.window.scenario_bar import fill_scenario_combo
from desktop_planner.ui.map.accounts_layer import UNASSIGNED_COLOR, dot_radius
from desktop_planner.ui.map.screen_layer import ScreenLayer

LABELS = {**MEASURE_LABELS, "travel_km": "Travel km"}
SHORT_LABELS = {**{c.measure: c.title for c in COLUMNS if c.measure}, "travel_km": "Travel km"}  # column headers
RING_PX = 2.5  # ring width beyond the dot
ARROW_PX = (2.0, 14.0)  # arrow widths of the least and the most potential moved
# Only the largest flows get an arrow: scattered moves between every pair of fifty territories would be 2,000
# arrows, which nobody can read (the rings still show every account).
MAX_ARROWS = 25
ARROW_COLOR = QColor(38, 50, 56, 210)
DELTA_BACKGROUND = QColor("#f1f3f6")


@dataclass
class Comparison:
    baseline: Scenario
    scenario: Scenario
    territories: list[TerritoryComparison]
    reps: dict[str, str]
    accounts_moved: int
    account_share: float
    potential_moved: float
    potential_share: float
    before: Measures
    after: Measures
    rings: dict[str, np.ndarray]  # baseline colour -> rows of the moved accounts that were in it
    arrows: list[tuple[float, float, float, float, float, int]]  # x0, y0, x1, y1 (Web Mercator), potential, count


def compare(plan: Plan, baseline: Scenario, scenario: Scenario, engine) -> Comparison:
    moved = disruption(plan, baseline, scenario)
    rows = np.flatnonzero(moved.moved)
    before, after = assignment_names(baseline)[rows], assignment_names(scenario)[rows]
    colour = dict(zip((t.name for t in baseline.territories.values()),
                      territory_colors(list(baseline.territories.values()))))
    rings: dict[str, list[int]] = defaultdict(list)
    flows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row, a, b in zip(rows.tolist(), before.tolist(), after.tolist()):
        rings[colour.get(a, UNASSIGNED_COLOR)].append(row)
        if a is not None and b is not None:
            flows[(a, b)].append(row)
    m_before, m_after = engine.measures(baseline.id), engine.measures(scenario.id)
    centre = {}
    for m in (m_before, m_after):  # the new plan's centre wins for a territory in both
        x, y = lonlat_to_mercator(m.home_lon, m.home_lat)
        centre.update({name: (float(cx), float(cy)) for name, cx, cy in zip(m.names, x, y)})
    potential = plan.accounts.potential
    arrows = sorted(((*centre[a], *centre[b], float(potential[members].sum()), len(members))
                     for (a, b), members in flows.items() if a in centre and b in centre), key=lambda a: -a[4])
    reps = {t.name: t.rep_name or "" for s in (baseline, scenario) for t in s.territories.values()}
    return Comparison(baseline, scenario, compare_scenarios(plan, baseline, scenario, engine), reps,
                      moved.accounts_moved, moved.account_share, moved.potential_moved, moved.potential_share,
                      m_before, m_after, {c: np.asarray(r, dtype=np.int64) for c, r in rings.items()},
                      arrows[:MAX_ARROWS])


# -- the map overlay ---------------------------------------------------------------------------------------------
class MovedRings(ScreenLayer):
    """A disc in the baseline colour under each moved account's dot: it shows as a ring around the dot."""

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=9)  # just under the dots (z=10)
        self._x = self._y = np.empty(0)
        self._rings: dict[str, np.ndarray] = {}

    def set_positions(self, x: np.ndarray, y: np.ndarray) -> None:
        """Every account's Web Mercator position (the rings address accounts by row)."""
        self._x, self._y = x, y
        self.set_rings({})

    def set_rings(self, rings: dict[str, np.ndarray]) -> None:
        self._rings = rings
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        if not self._rings:
            return
        view = self.view_transform(painter)
        radius = dot_radius(abs(view.sx) / view.dpr) + 1 + RING_PX  # +1: a highlighted dot is one pixel larger
        width, height = painter.device().width() * view.dpr, painter.device().height() * view.dpr
        painter.save()
        painter.resetTransform()
        painter.scale(1 / view.dpr, 1 / view.dpr)
        for color, rows in self._rings.items():
            px, py = view.to_pixels(self._x[rows], self._y[rows])
            inside = (px > -20) & (py > -20) & (px < width + 20) & (py < height + 20)
            if not inside.any():
                continue  # an empty polygon crashes drawPoints (seen zoomed in: segfault in paintEvent)
            pen = QPen(QColor(color), 2 * radius * view.dpr, Qt.SolidLine, Qt.RoundCap)
            painter.setPen(pen)
            painter.drawPoints(pg.functions.arrayToQPolygonF(px[inside], py[inside]))
        painter.restore()


class MoveArrows(ScreenLayer):
    """Arrows from the baseline territory's centre to the new one's, as wide as the potential moved, with the
    number of accounts. Two opposite flows are drawn side by side, not on top of each other."""

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=30)  # over the dots, under the stroke being drawn
        self._arrows: list[tuple[float, float, float, float, float, int]] = []
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self._font.setBold(True)

    def set_arrows(self, arrows) -> None:
        self._arrows = list(arrows)
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        if not self._arrows:
            return
        view = self.view_transform()
        largest = max(a[4] for a in self._arrows) or 1.0
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        painter.setFont(self._font)
        for x0, y0, x1, y1, potential, count in self._arrows:  # largest first, so small ones stay on top
            width = ARROW_PX[0] + (ARROW_PX[1] - ARROW_PX[0]) * np.sqrt(potential / largest)
            (ax, ay), (bx, by) = view.to_pixels(x0, y0), view.to_pixels(x1, y1)
            dx, dy = bx - ax, by - ay
            length = float(np.hypot(dx, dy))
            if length < 3 * width:
                continue
            ux, uy = dx / length, dy / length
            side = width / 2 + 2  # to the right of the direction of travel; 6 px short of both centres
            ax, ay = ax - uy * side + ux * 6, ay + ux * side + uy * 6
            bx, by = bx - uy * side - ux * 6, by + ux * side - uy * 6
            head = min(3 * width, length / 3)
            neck = QPointF(bx - ux * head, by - uy * head)
            shaft = QPainterPath(QPointF(ax, ay))
            shaft.lineTo(neck)
            tip = QPolygonF([QPointF(bx, by), QPointF(neck.x() - uy * width * 1.4, neck.y() + ux * width * 1.4),
                             QPointF(neck.x() + uy * width * 1.4, neck.y() - ux * width * 1.4)])
            painter.setPen(QPen(QColor(255, 255, 255, 200), width + 3, Qt.SolidLine, Qt.FlatCap))
            painter.drawPath(shaft)
            painter.setPen(QPen(ARROW_COLOR, width, Qt.SolidLine, Qt.FlatCap))
            painter.drawPath(shaft)
            painter.setPen(QPen(QColor(255, 255, 255, 200), 1.5))
            painter.setBrush(ARROW_COLOR)
            painter.drawPolygon(tip)
            middle = QPointF((ax + neck.x()) / 2 - uy * (width / 2 + 8), (ay + neck.y()) / 2 + ux * (width / 2 + 8))
            text = f"{count:,}"
            painter.setPen(QPen(QColor("white"), 3))
            path = QPainterPath()
            path.addText(middle, self._font, text)
            painter.drawPath(path)
            painter.fillPath(path, ARROW_COLOR)


# -- the table -------------------------------------------------------------------------------------------------
class CompareModel(QAbstractTableModel):
    """One row per territory name: rep, accounts gained and lost, then before, after and change of every measure."""

    HEAD = ("Territory", "Rep", "Gained", "Lost")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[tuple] = []  # (display values, sort values, tooltips)
        self.headers = list(self.HEAD) + [f"{SHORT_LABELS[m]}\n{part}" for m in MEASURES
                                          for part in ("before", "after", "Δ")]

    def set_comparison(self, c: Comparison) -> None:
        self.beginResetModel()
        self.rows = []
        for t in c.territories:
            raw: list = [t.name, c.reps.get(t.name, ""), t.accounts_gained, t.accounts_lost]
            tips: list = [None] * 4
            for m in MEASURES:
                before, after = t.before[m], t.after[m]
                raw += [before, after, after - before]
                tips += [None, None, f"{(after - before) / before * 100:+.1f} %" if before else "new"]
            shown = raw[:2] + [format_number(v) if i < 4 or (i - 4) % 3 != 2 else _signed(v)
                               for i, v in enumerate(raw[2:], start=2)]
            self.rows.append((shown, raw, tips))
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        shown, raw, tips = self.rows[index.row()]
        column = index.column()
        if role == Qt.DisplayRole:
            return shown[column]
        if role == Qt.UserRole:
            return raw[column]
        if role == Qt.ToolTipRole:
            return tips[column]
        if role == Qt.TextAlignmentRole and column >= 2:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.BackgroundRole and column >= 4 and (column - 4) % 3 == 2:
            return DELTA_BACKGROUND
        return None

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.headers[section]
        return None


def _signed(value: float) -> str:
    return "0" if abs(value) < 0.5 else ("+" if value > 0 else "−") + format_number(abs(value))


def balance_html(c: Comparison, measure: str) -> str:
    def figures(m: Measures) -> tuple[str, str, str]:
        return (f"{m.max_abs_deviation(measure) * 100:.1f} %", f"{m.cv(measure):.3f}",
                f"{int(m.in_band(measure).sum())}/{m.k}")
    (dev_a, cv_a, band_a), (dev_b, cv_b, band_b) = figures(c.before), figures(c.after)
    return (f"<b>{c.baseline.name}</b> → <b>{c.scenario.name}</b>: <b>{c.accounts_moved:,}</b> accounts move "
            f"({c.account_share * 100:.1f} %), potential <b>{format_number(c.potential_moved)}</b> "
            f"({c.potential_share * 100:.1f} %)<br>{LABELS[measure]} balance: largest deviation {dev_a} → "
            f"<b>{dev_b}</b> · CV {cv_a} → <b>{cv_b}</b> · in band {band_a} → <b>{band_b}</b>")


class CompareDock(QDockWidget):
    def __init__(self, window) -> None:
        super().__init__("Compare scenarios", window)
        self.setObjectName("compare")
        self.window_ = window
        self.comparison: Comparison | None = None
        self.on_screen = False  # shown and, among tabbed docks, the tab on top (then the map shows the moves)
        self._sized_for: list[str] = []
        self._unsubscribe = None
        self.baseline = QComboBox(self)
        self.scenario = QComboBox(self)
        self.on_map = QCheckBox("Show moves on the map", self)
        self.on_map.setChecked(True)
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.RichText)
        self.model = CompareModel(self)
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(self.model)
        proxy.setSortRole(Qt.UserRole)
        self.table = QTableView(self)
        self.table.setModel(proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.clicked.connect(lambda index: self._activate(proxy.mapToSource(index).row()))
        top = QHBoxLayout()
        for widget in (QLabel("Baseline", self), self.baseline, QLabel("→ compared with (shown)", self),
                       self.scenario):
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(self.on_map)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.setWidget(body)
        self.rings = MovedRings(window.map.view_box)
        self.arrows = MoveArrows(window.map.view_box)
        self._timer = QTimer(self, singleShot=True, interval=0)  # one recompute for a burst of changes
        self._timer.timeout.connect(self.compare_now)
        self.baseline.activated.connect(lambda _: self.compare_now())
        self.scenario.activated.connect(lambda i: window.controller.switch_scenario(self.scenario.itemData(i)))
        self.on_map.toggled.connect(lambda _: self._show_overlay())
        self.visibilityChanged.connect(self._on_visibility)
        window.panel.measureChanged.connect(lambda _: self._show_summary())
        window.sessionChanged.connect(self.attach)

    def _on_visibility(self, visible: bool) -> None:
        self.on_screen = visible
        self.schedule() if visible else self._show_overlay()

    def attach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        session = self.window_.session
        self._unsubscribe = session.plan.events.subscribe(self._on_event)
        self.window_.controller.changed.connect(self.schedule)
        self.rings.set_positions(session.plan.accounts.x, session.plan.accounts.y)
        self.comparison = None
        self._fill_combos(default_baseline=True)
        self.schedule()

    def _on_event(self, event) -> None:
        if isinstance(event, (ScenarioSwitched, ScenariosChanged)):
            self._fill_combos(default_baseline=False)
            self.schedule()

    def _fill_combos(self, default_baseline: bool) -> None:
        plan = self.window_.session.plan
        chosen = self.baseline.currentData()
        if default_baseline or chosen not in plan.scenarios or (chosen == plan.active_scenario_id
                                                                and len(plan.scenarios) > 1):
            others = [sid for sid in plan.scenarios if sid != plan.active_scenario_id]
            based_on = plan.active.based_on
            chosen = based_on if based_on in others else (others[0] if others else plan.active_scenario_id)
        for combo, current in ((self.baseline, chosen), (self.scenario, plan.active_scenario_id)):
            fill_scenario_combo(combo, plan, current)

    def set_baseline(self, scenario_id: int) -> None:
        self.baseline.setCurrentIndex(self.baseline.findData(scenario_id))
        self.compare_now()

    def schedule(self) -> None:
        if self.on_screen:
            self._timer.start()

    def compare_now(self) -> None:
        session = self.window_.session
        if session is None:
            return
        plan = session.plan
        baseline = plan.scenarios.get(self.baseline.currentData(), plan.active)
        self.comparison = compare(plan, baseline, plan.active, session.engine)
        names = [t.name for t in self.comparison.territories]
        self.model.set_comparison(self.comparison)
        if names != self._sized_for:  # fitting columns reads every cell: once per set of territories
            self._sized_for = names
            self.table.resizeColumnsToContents()
        self._show_summary()
        self._show_overlay()

    def _show_summary(self) -> None:
        if self.comparison is None:
            return
        c = self.comparison
        same = c.baseline.id == c.scenario.id
        self.summary.setText("Choose a baseline other than the scenario shown (make one with Scenario > New)."
                             if same else balance_html(c, self.window_.panel.measure))

    def _show_overlay(self) -> None:
        shown = self.on_screen and self.on_map.isChecked() and self.comparison is not None
        self.rings.set_rings(self.comparison.rings if shown else {})
        self.arrows.set_arrows(self.comparison.arrows if shown else [])

    def _activate(self, row: int) -> None:
        name = self.model.rows[row][1][0]
        territory = next((t for t in self.window_.session.plan.active.territories.values() if t.name == name), None)
        if territory is not None:
            self.window_.controller.set_active(territory.id)


def install(window) -> CompareDock:
    dock = CompareDock(window)
    window.addDockWidget(Qt.BottomDockWidgetArea, dock)
    dock.hide()
    action = QAction("&Compare with…", window)
    action.setShortcut(QKeySequence("Ctrl+Shift+C"))
    action.setStatusTip("Compare the scenario shown with another: what moves, and both balances")
    action.triggered.connect(lambda: (dock.show(), dock.raise_()))
    window.addAction(action)
    window.scenario_bar.menu.addAction(action)
    window.menus["view"].addAction(dock.toggleViewAction())
    return dock
