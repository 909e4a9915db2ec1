"""The History dock: the project file's audit trail (`changes`), newest first, filtered by account or territory.

It reads the file, not the in-memory undo stack, so it shows what earlier sessions did as well, and an undo or
redo appears as a change of its own (action 'undo'/'redo'). A lasso or an import writes one row per account, so
only the newest rows matching the filter are fetched; the query walks the primary key backwards and stops there.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDockWidget, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QTableView, QVBoxLayout, QWidget)

from desktop_planner.ui.review.coverage_dock import focus_account

LIMIT = 2000
COLUMNS = ("When", "Step", "Action", "Account", "From", "To", "Scenario", "User", "Description")
QUERY = """
    SELECT c.at, c.step, c.action,
           CASE WHEN c.account_id IS NULL THEN '' ELSE COALESCE(a.name || ' (' || a.external_id || ')',
                a.external_id, 'account ' || c.account_id || ' (removed)') END,
           COALESCE(f.name, CASE WHEN c.from_territory_id IS NULL THEN '' ELSE
                    'territory ' || c.from_territory_id || ' (deleted)' END),
           COALESCE(t.name, CASE WHEN c.to_territory_id IS NULL THEN '' ELSE
                    'territory ' || c.to_territory_id || ' (deleted)' END),
           COALESCE(s.name, ''), COALESCE(c.user, ''), COALESCE(c.label, ''), c.account_id
    FROM changes c
    LEFT JOIN scenarios s ON s.id = c.scenario_id
    LEFT JOIN accounts a ON a.id = c.account_id
    LEFT JOIN territories f ON f.id = c.from_territory_id
    LEFT JOIN territories t ON t.id = c.to_territory_id
    WHERE (:scenario IS NULL OR c.scenario_id = :scenario OR c.scenario_id IS NULL)
      AND (:like IS NULL OR a.external_id LIKE :like OR a.name LIKE :like OR f.name LIKE :like OR t.name LIKE :like)
    ORDER BY c.id DESC
    LIMIT :limit
"""
UNDONE = QColor("#6b6f75")


def fetch_changes(conn: sqlite3.Connection, scenario_id: int | None, text: str, limit: int = LIMIT) -> list[tuple]:
    """The newest `limit` changes of a scenario (None: all; changes of the whole project always count) whose
    account id or name, or whose territory, contains `text` (any case)."""
    like = f"%{text.strip()}%" if text.strip() else None
    return conn.execute(QUERY, {"scenario": scenario_id, "like": like, "limit": limit}).fetchall()


def local_time(at: str | None) -> str:
    """The stored UTC ISO time in the local time zone, to the second."""
    try:
        return datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return at or ""


class ChangesModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[tuple] = []
        self._italic = QFont()
        self._italic.setItalic(True)

    def set_rows(self, rows: list[tuple]) -> None:
        self.beginResetModel()
        self.rows = [(local_time(r[0]), *r[1:]) for r in rows]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        row = self.rows[index.row()]
        if role == Qt.DisplayRole:
            value = row[index.column()]
            return "" if value is None else str(value)
        if row[2] in ("undo", "redo"):  # an undo is a change of its own; set it apart from the step it reverts
            if role == Qt.ForegroundRole:
                return UNDONE
            if role == Qt.FontRole:
                return self._italic
        return None

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def account_id(self, row: int) -> int | None:
        return self.rows[row][-1]


class HistoryDock(QDockWidget):
    def __init__(self, window) -> None:
        super().__init__("History", window)
        self.setObjectName("history")
        self.window_ = window
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter by account (id or name) or territory")
        self.filter.setClearButtonEnabled(True)
        self.scope = QComboBox(self)
        self.scope.addItem("This scenario", "active")
        self.scope.addItem("All scenarios", None)
        self.note = QLabel(self)
        self.note.setStyleSheet("color: #6b6f75;")
        self.model = ChangesModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._focus)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.scope)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        self.setWidget(body)
        self._timer = QTimer(self, singleShot=True, interval=200)  # typing in the filter: one query per pause
        self._timer.timeout.connect(self.refresh)
        self.filter.textChanged.connect(lambda _: self._timer.start())
        self.scope.currentIndexChanged.connect(lambda _: self.refresh())
        self.visibilityChanged.connect(lambda visible: visible and self.refresh())
        self._sized = False
        window.sessionChanged.connect(self.attach)

    def attach(self) -> None:
        # A switch changes what "This scenario" means and emits `changed` too.
        self.window_.controller.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Read the newest changes again (only while the dock is shown: each command would query otherwise)."""
        session = self.window_.session
        if not self.isVisible() or session is None:
            return
        if session.project is None:
            self.model.set_rows([])
            self.note.setText("This plan is not saved in a project file, so it has no history.")
            return
        scenario = session.plan.active_scenario_id if self.scope.currentData() == "active" else None
        rows = fetch_changes(session.project.conn, scenario, self.filter.text())
        self.model.set_rows(rows)
        if not self._sized and rows:
            self.table.resizeColumnsToContents()
            self._sized = True
        self.note.setText(f"The newest {LIMIT:,} changes are shown; filter to find older ones." if len(rows) == LIMIT
                          else f"{len(rows):,} changes")

    def _focus(self, index) -> None:
        account_id = self.model.account_id(index.row())
        plan = self.window_.session.plan
        if account_id is None:
            return
        try:
            row = plan.accounts.index_of_id(account_id)
        except KeyError:
            self.window_.statusBar().showMessage("That account is no longer in the project.", 5000)
            return
        focus_account(self.window_, row)


def install(window) -> HistoryDock:
    dock = HistoryDock(window)
    window.addDockWidget(Qt.BottomDockWidgetArea, dock)
    window.tabifyDockWidget(window.compare_view, dock)  # both are wide tables: under the map, as two tabs
    dock.hide()
    action = dock.toggleViewAction()
    action.setShortcut("Ctrl+H")
    # Window-wide: with the default context the shortcut waited until something in the window had been clicked.
    action.setShortcutContext(Qt.ApplicationShortcut)
    window.addAction(action)
    window.menus["view"].addAction(action)
    return dock
