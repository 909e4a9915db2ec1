"""The coverage dock: accounts nobody covers, and accounts far outside the area of the territory they are in.

Both lists come from core.coverage for the scenario shown and follow every change while the dock is open.
Clicking an entry centres the map on the account and selects it, so the next click in the panel and a lasso or
a paint stroke can fix it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QTabWidget, QVBoxLayout, QWidget)

from desktop_planner.core.coverage import outliers, unassigned_accounts
from desktop_planner.ui.panel.balance_panel import format_number
from desktop_planner.ui.review.bottom_docks import add_bottom_dock

LISTED = 1000  # rows per list; the count in the tab says how many there are in all
FOCUS_SPAN_M = 25_000.0  # width of the map around an account clicked in a list, unless already closer


def focus_account(window, row: int, span_m: float = FOCUS_SPAN_M) -> None:
    """Centre the map on an account (zooming in to `span_m` across if the view is wider) and select it."""
    x, y = float(window.session.plan.accounts.x[row]), float(window.session.plan.accounts.y[row])
    if not (np.isfinite(x) and np.isfinite(y)):
        window.statusBar().showMessage("That account has no location on the map.", 5000)
        return
    x0, y0, x1, y1 = window.map.view_range_mercator()
    scale = min(1.0, span_m / max(x1 - x0, 1.0))
    half_w, half_h = (x1 - x0) * scale / 2, (y1 - y0) * scale / 2
    window.map.view_box.setRange(xRange=(x - half_w, x + half_w), yRange=(y - half_h, y + half_h), padding=0)
    window.controller.set_selection(np.array([row], dtype=np.int64))


class CoverageDock(QDockWidget):
    def __init__(self, window) -> None:
        super().__init__("Coverage", window)
        self.setObjectName("coverage")
        self.window_ = window
        self.tabs = QTabWidget(self)
        self.unassigned = self._table(("Account", "ID", "Potential", "Segment"))
        self.outliers = self._table(("Account", "ID", "Territory", "Distance km", "Usual km"))
        self.tabs.addTab(self.unassigned, "Unassigned")
        self.tabs.addTab(self.outliers, "Far outside")
        self.note = QLabel("Click an account to show it on the map.", self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #6b6f75;")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.note)
        self.setWidget(body)
        self._timer = QTimer(self, singleShot=True, interval=0)  # one check for a burst of changes
        self._timer.timeout.connect(self.refresh)
        self.visibilityChanged.connect(lambda visible: visible and self._timer.start())
        window.sessionChanged.connect(self.attach)

    def _table(self, headers: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setHorizontalHeaderLabels(list(headers))
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setSelectionMode(QAbstractItemView.SingleSelection)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(22)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        table.cellClicked.connect(lambda r, _c, t=table: focus_account(self.window_, t.item(r, 0).data(Qt.UserRole)))
        return table

    def attach(self) -> None:
        self.window_.controller.changed.connect(lambda: self.isVisible() and self._timer.start())
        self._timer.start()

    def refresh(self) -> None:
        session = self.window_.session
        if session is None or not self.isVisible():
            return
        plan, scenario = session.plan, session.plan.active
        accounts = plan.accounts
        missing = unassigned_accounts(scenario)
        missing = missing[np.argsort(-accounts.potential[missing], kind="stable")]
        self._fill(self.unassigned, [(r, [_name(accounts, r), str(accounts.external_id[r]),
                                          format_number(accounts.potential[r]), accounts.segment[r] or ""])
                                     for r in missing[:LISTED].tolist()])
        far = outliers(scenario, session.engine.measures())
        self._fill(self.outliers, [(o.row, [_name(accounts, o.row), str(accounts.external_id[o.row]),
                                            scenario.territories[o.territory_id].name, f"{o.distance_km:,.0f}",
                                            f"{o.typical_km:,.0f}"]) for o in far[:LISTED]])
        self.tabs.setTabText(0, f"Unassigned ({len(missing):,})")
        self.tabs.setTabText(1, f"Far outside ({len(far):,})")
        more = len(missing) > LISTED or len(far) > LISTED
        self.note.setText(("Only the first 1,000 of a list are shown. " if more else "") +
                          "Far outside: more than three times as far from the territory's home as its accounts "
                          "usually are. Click an account to show it on the map.")

    @staticmethod
    def _fill(table: QTableWidget, rows: list[tuple[int, list[str]]]) -> None:
        table.setUpdatesEnabled(False)
        table.setRowCount(len(rows))
        for i, (row, cells) in enumerate(rows):
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 0:
                    item.setData(Qt.UserRole, row)
                if j >= 2 and text[:1].isdigit():
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                table.setItem(i, j, item)
        table.setUpdatesEnabled(True)


def _name(accounts, row: int) -> str:
    return str(accounts.name[row] or accounts.external_id[row])


def install(window) -> CoverageDock:
    dock = add_bottom_dock(window, CoverageDock(window), beside=window.region_view)
    return dock
