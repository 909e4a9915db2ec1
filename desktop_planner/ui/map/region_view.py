"""The territory hierarchy in the window: a Regions dock that rolls the measures up to regions, and View > Colour
map by region.

A region's deviation compares it with as many average territories as it has (core.rollup), so a region of three
territories is in balance when it carries three territories' share. Colouring by region goes through the
controller's colour scheme, so the preview of a stroke and the legend follow it too.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from desktop_planner.core.model import Scenario
from desktop_planner.core.palette import territory_palette
from desktop_planner.core.rollup import NO_REGION, region_colors, region_rollup
from desktop_planner.ui.panel.balance_panel import (IN_BAND_BACKGROUND, MEASURE_LABELS, OUT_OF_BAND_BACKGROUND,
                                              OUT_OF_BAND_TEXT, format_number, format_percent)

ROLLED_UP = ("accounts", "potential", "service_hours", "travel_hours", "workload_hours")


def region_scheme(scenario: Scenario) -> tuple[dict[int, str], list[tuple[str, str]]]:
    """The controller's colour scheme for colouring by region: territory id -> its region's colour, and the
    legend (one entry per region, in the order regions first appear)."""
    regions = list(dict.fromkeys(t.region or NO_REGION for t in scenario.territories.values()))
    palette = territory_palette(len(regions))
    colours = region_colors(scenario, palette)
    return colours, list(zip(regions, palette))


class RegionDock(QDockWidget):
    def __init__(self, window) -> None:
        super().__init__("Regions", window)
        self.setObjectName("regions")
        self.window_ = window
        self.table = QTableWidget(0, 3 + len(ROLLED_UP), self)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.RichText)
        self.summary.setWordWrap(True)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.setWidget(body)
        self._timer = QTimer(self, singleShot=True, interval=0)  # one roll-up for a burst of changes
        self._timer.timeout.connect(self.refresh)
        self.visibilityChanged.connect(lambda visible: visible and self._timer.start())
        window.panel.measureChanged.connect(lambda _: self._timer.start())

        self.colour_action = QAction("Colour map by &region", window)
        self.colour_action.setCheckable(True)
        self.colour_action.setChecked(window.settings.value("view/colour_by_region", False, type=bool))
        self.colour_action.setStatusTip("Dots in their region's colour instead of their territory's")
        self.colour_action.toggled.connect(self._colour_by_region)
        window.sessionChanged.connect(self.attach)

    def attach(self) -> None:
        controller = self.window_.controller
        controller.changed.connect(lambda: self.isVisible() and self._timer.start())
        if self.colour_action.isChecked():
            controller.set_colour_scheme(region_scheme)
        self._timer.start()

    def _colour_by_region(self, on: bool) -> None:
        self.window_.settings.setValue("view/colour_by_region", on)
        if self.window_.controller is not None:
            self.window_.controller.set_colour_scheme(region_scheme if on else None)

    def refresh(self) -> None:
        session = self.window_.session
        if session is None or not self.isVisible():
            return
        measure = self.window_.panel.measure
        measures = session.engine.measures()
        regions = region_rollup(session.plan.active, measures)
        headers = ["Region", "Territories"] + [MEASURE_LABELS[m] for m in ROLLED_UP] + ["Dev %"]
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(regions))
        tolerance = measures.tolerance
        for i, region in enumerate(regions):
            cells = [region.region, str(len(region.territories))] + [format_number(region.values[m]) for m in ROLLED_UP]
            cells.append(format_percent(region.deviation[measure]))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j >= 1:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(i, j, item)
            ok = abs(region.deviation[measure]) <= tolerance + 1e-12
            last = self.table.item(i, len(cells) - 1)
            last.setBackground(IN_BAND_BACKGROUND if ok else OUT_OF_BAND_BACKGROUND)
            if not ok:
                last.setForeground(OUT_OF_BAND_TEXT)
        deviations = np.array([r.deviation[measure] for r in regions]) if regions else np.zeros(0)
        largest = float(np.abs(deviations).max(initial=0.0))
        in_band = int((np.abs(deviations) <= tolerance + 1e-12).sum())
        self.summary.setText(
            f"<b>{MEASURE_LABELS[measure]}</b> across {len(regions)} regions: largest deviation "
            f"<b>{largest * 100:.1f} %</b>, in band <b>{in_band}/{len(regions)}</b> (±{tolerance * 100:.0f} %). "
            f"A region's target is the mean territory times its number of territories.")


def install(window) -> RegionDock:
    dock = RegionDock(window)
    window.addDockWidget(Qt.BottomDockWidgetArea, dock)
    window.tabifyDockWidget(window.history_dock, dock)  # the docks share the room under the map, as tabs
    dock.hide()
    view = window.menus["view"]
    view.addSeparator()
    view.addAction(dock.toggleViewAction())
    view.addAction(dock.colour_action)
    return dock
