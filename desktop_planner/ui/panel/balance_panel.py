"""The balance side panel: one table row per territory, a bar chart of the chosen measure, the plan totals.

The panel is redrawn on every preview step of a lasso or paint stroke, so updates must stay in the low
milliseconds: the table model formats its cells once per update and announces them with one dataChanged
(no model reset unless the territories themselves changed), and the chart changes the options of its items
instead of rebuilding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QScrollBar, QSplitter, QTableView, QVBoxLayout, QWidget)

from desktop_planner.core.measures import DEVIATION_MEASURES, Measures, headcount_gap_text
from desktop_planner.core.model import Territory
from desktop_planner.ui.panel.balance_chart import BalanceChart, short_label

MEASURE_LABELS = {"accounts": "Accounts", "potential": "Potential", "service_hours": "Service hours",
                  "travel_hours": "Travel hours", "workload_hours": "Workload hours"}
IN_BAND_BACKGROUND = QColor("#d9f2dc")
OUT_OF_BAND_BACKGROUND = QColor("#f9d6d5")
OUT_OF_BAND_TEXT = QColor("#a01c1c")
PREVIEW_CHANGE_BACKGROUND = QColor("#ffe9a8")  # a row a stroke or drag under way changes


@lru_cache(maxsize=1024)
def swatch(color: str, locked: bool = False) -> QIcon:
    """A colour square that looks the same in a selected row (a bare QColor decoration gets tinted there,
    and the active territory's row is always selected); a locked territory's carries a padlock."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(color))
    if locked:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor("#1e1e1e"), 1.6))
        painter.drawArc(3, 1, 6, 7, 0, 180 * 16)  # the shackle
        painter.drawLine(3, 4, 3, 6)
        painter.drawLine(9, 4, 9, 6)
        painter.setPen(QPen(QColor("white"), 1))
        painter.setBrush(QColor("#1e1e1e"))
        painter.drawRect(1, 5, 10, 6)  # the body, white-edged to stand out on any colour
        painter.end()
    icon = QIcon()
    for mode in (QIcon.Normal, QIcon.Selected):
        icon.addPixmap(pixmap, mode)
    return icon


def format_number(value: float) -> str:
    """Compact figures for a narrow column: 1,234 up to 100k, then 123k, 12.3M."""
    magnitude = abs(value)
    if magnitude >= 10_000_000:
        return f"{value / 1e6:,.0f}M"
    if magnitude >= 1_000_000:
        return f"{value / 1e6:.1f}M"
    if magnitude >= 100_000:
        return f"{value / 1e3:,.0f}k"
    return f"{value:,.0f}"


def format_percent(fraction: float) -> str:
    return f"{fraction * 100:+.1f} %"


def format_delta(value: float) -> str:
    """A change, signed: "+107", "−1.2M"."""
    return ("+" if value >= 0 else "−") + format_number(abs(value))


def format_utilisation(fraction: float) -> str:
    """Workload over capacity, e.g. "104 %"; blank for NaN (no capacity)."""
    return "" if fraction != fraction else f"{fraction * 100:.0f} %"


@dataclass(frozen=True)
class _Column:
    title: str
    measure: str | None  # the Measures value shown, None for the text and deviation columns
    tooltip: str


COLUMNS = (
    _Column("Territory", None, "Territory name and colour"),
    _Column("Rep", None, "Sales rep"),
    _Column("Accounts", "accounts", "Number of accounts"),
    _Column("Potential", "potential", "Sum of account potential"),
    _Column("Service h", "service_hours", "Visit hours a year"),
    _Column("Travel h", "travel_hours", "Estimated travel hours a year"),
    _Column("Workload h", "workload_hours", "Service plus travel hours a year"),
    _Column("Util %", None, "Utilisation: workload as a share of the rep's capacity; shown when capacities are "
                            "set, blank for a territory without one"),
    _Column("Pieces", None, "A territory split into separate pieces (its accounts are not one connected area) "
                            "shows how many; blank when it is in one piece"),
    _Column("Dev %", None, "Deviation of the chosen measure from its target; green within the tolerance"),
)
NAME_COLUMN, REP_COLUMN, PIECES_COLUMN, DEVIATION_COLUMN = 0, 1, len(COLUMNS) - 2, len(COLUMNS) - 1
UTIL_COLUMN = next(i for i, c in enumerate(COLUMNS) if c.title == "Util %")
_NUMERIC_ALIGNMENT = int(Qt.AlignRight | Qt.AlignVCenter)
_DISPLAY, _DECORATION, _ALIGNMENT, _BACKGROUND, _FOREGROUND, _TOOLTIP = (
    int(role) for role in (Qt.DisplayRole, Qt.DecorationRole, Qt.TextAlignmentRole, Qt.BackgroundRole,
                           Qt.ForegroundRole, Qt.ToolTipRole))


class BalanceTableModel(QAbstractTableModel):
    """Read-only figures per territory. Cells are formatted in `update`, so `data` is a plain lookup."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.territory_ids: tuple[int, ...] = ()
        self.measure = "workload_hours"
        self._cells: dict[int, list] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self.pieces: dict[int, int] = {}  # territory id -> pieces, from the last committed plan (not previews)
        self.changed_rows: list[int] = []  # rows a preview changes (compared with the baseline), tinted

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.territory_ids)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def update(self, measures: Measures, territories: list[Territory], colors: list[str], measure: str,
               baseline: Measures | None = None) -> None:
        """`baseline`: the committed figures while `measures` are a preview's; the rows whose figures differ are
        tinted and show the change of the accounts, of the chosen measure and of the deviation."""
        ids = tuple(int(t) for t in measures.territory_ids)
        values = measures.values
        columns = [[format_number(v) for v in values[c.measure].tolist()] if c.measure else None for c in COLUMNS]
        columns[NAME_COLUMN] = [t.name for t in territories]
        columns[REP_COLUMN] = [t.rep_name or "" for t in territories]
        columns[DEVIATION_COLUMN] = [format_percent(d) for d in measures.deviations[measure].tolist()]
        columns[PIECES_COLUMN] = [f"⚠ {self.pieces[t]}" if self.pieces.get(t, 1) > 1 else "" for t in ids]
        columns[UTIL_COLUMN] = [format_utilisation(u) for u in measures.utilisation.tolist()]
        in_band = measures.in_band(measure).tolist()
        self.changed_rows, tips = self._mark_changes(measures, baseline, ids, measure, columns)
        reset = ids != self.territory_ids
        measure_changed = measure != self.measure
        if reset:
            self.beginResetModel()
        self.territory_ids, self.measure = ids, measure
        before = self._cells
        self._cells = self._role_tables(columns, [swatch(c, t.locked) for c, t in zip(colors, territories)], in_band)
        for row in self.changed_rows:
            self._cells[_BACKGROUND][row] = [PREVIEW_CHANGE_BACKGROUND] * DEVIATION_COLUMN + \
                                            self._cells[_BACKGROUND][row][DEVIATION_COLUMN:]
            self._cells[_TOOLTIP][row] = [tips[row]] * len(COLUMNS)
        if reset:
            self.endResetModel()
        else:
            # Only the rows whose cells changed repaint: a stroke's step changes two or three territories' rows
            # (and the deviations of the others only when the total moves); repainting all 50 cost ~5 ms a step.
            for first, last in _runs(self._changed_rows(before)):
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        if measure_changed and not reset:
            self.headerDataChanged.emit(Qt.Horizontal, 0, len(COLUMNS) - 1)

    def _changed_rows(self, before: dict[int, list]) -> list[int]:
        rows = range(len(self.territory_ids))
        if set(before) != set(self._cells):
            return list(rows)
        return [row for row in rows if any(table[row] != before[role][row] for role, table in self._cells.items())]

    @staticmethod
    def _mark_changes(measures: Measures, baseline: Measures | None, ids: tuple[int, ...], measure: str,
                      columns: list[list[str]]) -> tuple[list[int], dict[int, str]]:
        """Rows whose shown figures a preview changes; their cells get the change appended, "4,912 (+107)"."""
        if baseline is None or tuple(int(t) for t in baseline.territory_ids) != ids:
            return [], {}
        shown = [c.measure for c in COLUMNS if c.measure]
        differs = np.zeros(len(ids), dtype=bool)
        for name in shown:
            differs |= np.round(measures.values[name]) != np.round(baseline.values[name])
        rows = np.flatnonzero(differs).tolist()
        with_delta = [(i, c.measure) for i, c in enumerate(COLUMNS) if c.measure in ("accounts", measure)]
        tips = {}
        for row in rows:
            lines = ["Preview: release to apply"]
            for column, name in with_delta:
                new, old = float(measures.values[name][row]), float(baseline.values[name][row])
                if round(new) != round(old):
                    columns[column][row] = f"{format_number(new)} ({format_delta(new - old)})"
                    lines.append(f"{MEASURE_LABELS[name]}: {format_number(old)} → {format_number(new)} "
                                 f"({format_delta(new - old)})")
            new_dev, old_dev = measures.deviations[measure][row], baseline.deviations[measure][row]
            columns[DEVIATION_COLUMN][row] = f"{format_percent(new_dev)} (Δ {(new_dev - old_dev) * 100:+.1f})"
            lines.append(f"Deviation: {format_percent(old_dev)} → {format_percent(new_dev)}")
            tips[row] = "\n".join(lines)
        return rows, tips

    @staticmethod
    def _role_tables(columns: list[list[str]], swatches: list[QIcon], in_band: list[bool]) -> dict[int, list]:
        """Every cell's value for every role the table shows, so that `data` is two list lookups: the view
        asks for a dozen roles per visible cell on each repaint, which is most of a preview frame otherwise."""
        rows = len(swatches)
        last = len(COLUMNS) - 1
        plain = [None] * len(COLUMNS)
        alignment = [None, None] + [_NUMERIC_ALIGNMENT] * (len(COLUMNS) - 2)
        return {
            _DISPLAY: [list(row) for row in zip(*columns)],
            _DECORATION: [[icon] + plain[1:] for icon in swatches],
            _ALIGNMENT: [alignment] * rows,
            _BACKGROUND: [plain[:last] + [IN_BAND_BACKGROUND if ok else OUT_OF_BAND_BACKGROUND] for ok in in_band],
            _FOREGROUND: [plain[:last] + [None if ok else OUT_OF_BAND_TEXT] for ok in in_band],
            _TOOLTIP: [plain] * rows,
        }

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        table = self._cells.get(role)
        return None if table is None else table[index.row()][index.column()]

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):
        if orientation != Qt.Horizontal:
            return None
        column = COLUMNS[section]
        if role == Qt.DisplayRole:
            return column.title
        if role == Qt.ToolTipRole:
            return column.tooltip
        if role == Qt.FontRole and column.measure == self.measure:
            return self._bold  # the measure the deviation column refers to
        return None


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive ones: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class BalancePanel(QWidget):
    """Table, measure chooser, chart and totals. Emits `territoryActivated(id)` when the user picks a row."""

    territoryActivated = Signal(int)
    measureChanged = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.model = BalanceTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(False)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)

        self.chooser = QComboBox(self)
        for measure in DEVIATION_MEASURES:
            self.chooser.addItem(MEASURE_LABELS[measure], measure)
        self.chooser.setCurrentIndex(self.chooser.findData("workload_hours"))  # the design's default measure
        self.chooser.currentIndexChanged.connect(self._on_measure)
        self.preview_label = QLabel("Preview: release to apply", self)
        self.preview_label.setStyleSheet("color: #8a5a00; font-style: italic;")
        self.preview_label.setVisible(False)
        self.totals = QLabel(self)
        self.totals.setTextFormat(Qt.RichText)
        self.totals.setWordWrap(True)
        self.chart = BalanceChart(self)
        self.chart_scroll = QScrollBar(Qt.Vertical, self)
        self.chart_scroll.valueChanged.connect(self.chart.scroll_to)
        self.chart.rowsChanged.connect(self._follow_chart_rows)
        self.sort_by_deviation = QCheckBox("Sort by deviation", self)
        self.sort_by_deviation.setToolTip("Bars from the most over target to the most under it")
        self.sort_by_deviation.toggled.connect(lambda _on: self._render())
        chart_box = QWidget(self)
        chart_rows = QHBoxLayout()
        chart_rows.setContentsMargins(0, 0, 0, 0)
        chart_rows.setSpacing(0)
        chart_rows.addWidget(self.chart, 1)
        chart_rows.addWidget(self.chart_scroll)
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.setSpacing(2)
        chart_layout.addWidget(self.sort_by_deviation, 0, Qt.AlignRight)
        chart_layout.addLayout(chart_rows, 1)

        top = QHBoxLayout()
        top.addWidget(QLabel("Balance by", self))
        top.addWidget(self.chooser)
        top.addStretch(1)
        top.addWidget(self.preview_label)
        self.split = QSplitter(Qt.Vertical, self)
        self.split.addWidget(self.table)
        self.split.addWidget(chart_box)
        self.split.setChildrenCollapsible(False)
        chart_box.setMinimumHeight(160)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.totals)
        layout.addWidget(self.split, 1)

        self._measures: Measures | None = None
        self._committed: Measures | None = None
        self._preview = False
        self._territories: list[Territory] = []
        self._colors: list[str] = []
        self._active: int | None = None
        self._sized_for: tuple[int, ...] | None = None
        self._widened: dict[int, int] = {}  # column -> width before a preview widened it

    # -- state from the controller ----------------------------------------------------------------------
    @property
    def measure(self) -> str:
        return self.chooser.currentData()

    def set_measure(self, measure: str) -> None:
        self.chooser.setCurrentIndex(max(0, self.chooser.findData(measure)))

    def show_measures(self, measures: Measures, territories: list[Territory], colors: list[str],
                      preview: bool = False) -> None:
        """Show figures; `territories` and `colors` follow `measures.territory_ids`."""
        self._measures, self._territories, self._colors = measures, territories, colors
        self._preview = preview
        if not preview:
            self._committed = measures  # what a preview's changes are measured against
        self.preview_label.setVisible(preview)
        self._render()

    def set_active(self, territory_id: int | None) -> None:
        """Select the active territory's row without echoing it back as a user choice."""
        self._active = territory_id
        self._select_active_row()

    def set_pieces(self, pieces: dict[int, int]) -> None:
        """Pieces per territory (contiguity); a territory in more than one is flagged in the Pieces column."""
        if pieces != self.model.pieces:
            self.model.pieces = dict(pieces)
            self._render()

    def displayed(self) -> Measures | None:
        """The figures on screen (a preview during a stroke)."""
        return self._measures

    # -- drawing --------------------------------------------------------------------------------------------
    def _render(self) -> None:
        m = self._measures
        if m is None:
            return
        measure = self.measure
        reset = tuple(int(t) for t in m.territory_ids) != self.model.territory_ids
        self.model.update(m, self._territories, self._colors, measure, self._committed if self._preview else None)
        if reset:
            self._select_active_row()
        has_capacity = bool(np.isfinite(m.capacity_hours).any())
        if self.table.isColumnHidden(UTIL_COLUMN) == has_capacity:  # utilisation only means something then
            self.table.setColumnHidden(UTIL_COLUMN, not has_capacity)
        if self._sized_for != self.model.territory_ids:
            # Fit the columns to their contents once per set of territories, not on every preview step.
            self._sized_for = self.model.territory_ids
            self._widened = {}
            self.table.resizeColumnsToContents()
            self._leave_room_to_grow()
            self._share_height()
        if self.model.changed_rows:
            self._fit_changes()
        elif not self._preview and self._widened:
            for column, width in self._widened.items():  # the preview is over: the columns go back
                self.table.setColumnWidth(column, width)
            self._widened = {}
        self._describe_preview()
        self.chart.update_bars(m.values[measure], m.targets[measure], m.tolerance, m.in_band(measure),
                               self._colors, [short_label(t.name) for t in self._territories],
                               MEASURE_LABELS[measure], self._chart_order(m, measure))
        totals = self._totals_html(m, measure)
        if totals != self.totals.text():  # a rich-text label lays itself out again on every setText
            self.totals.setText(totals)

    def _chart_order(self, m: Measures, measure: str) -> np.ndarray | None:
        """Rows of the chart: table order, or from the most over target to the most under it. During a preview
        the bars keep their places (they would jump about on every step of a stroke otherwise)."""
        if not self.sort_by_deviation.isChecked():
            return None
        previous = np.asarray(self.chart.row_order(), dtype=np.int64)
        if self._preview and len(previous) == m.k:
            return previous
        return np.argsort(-m.deviations[measure], kind="stable")

    def _follow_chart_rows(self) -> None:
        """The scroll bar beside the chart covers the rows not in view."""
        shown, rows = self.chart.rows_in_view(), len(self.chart.row_labels())
        blocked = self.chart_scroll.blockSignals(True)
        self.chart_scroll.setRange(0, max(rows - shown, 0))
        self.chart_scroll.setPageStep(shown)
        self.chart_scroll.setValue(self.chart.first_row())
        self.chart_scroll.blockSignals(blocked)
        self.chart_scroll.setVisible(rows > shown)

    def _describe_preview(self) -> None:
        """"Preview: 2 territories change: release to apply", the changes themselves in its tooltip."""
        rows = self.model.changed_rows
        if not self._preview:
            return
        count = len(rows)
        what = f"{count} territor{'y' if count == 1 else 'ies'} change" if count else "no change"
        self.preview_label.setText(f"Preview: {what}: release to apply")
        names = [self.model.data(self.model.index(row, NAME_COLUMN)) for row in rows]
        self.preview_label.setToolTip("\n".join(names))

    def changed_rows(self) -> list[int]:
        """Table rows a preview under way changes (tinted, with their change); empty when none is shown."""
        return list(self.model.changed_rows)

    def _fit_changes(self) -> None:
        """Widen (never narrow) the columns that show a preview's changes, so that "4,912 (+107)" is not cut; they
        go back to their width when the preview ends."""
        metrics = self.table.fontMetrics()
        for column, spec in enumerate(COLUMNS):
            if column != DEVIATION_COLUMN and spec.measure not in ("accounts", self.measure):
                continue
            texts = [self.model.data(self.model.index(row, column)) or "" for row in self.model.changed_rows]
            wanted = max(metrics.horizontalAdvance(t) for t in texts) + 2 * metrics.horizontalAdvance("8") + 8
            if wanted > self.table.columnWidth(column):
                self._widened.setdefault(column, self.table.columnWidth(column))
                self.table.setColumnWidth(column, wanted)

    def _leave_room_to_grow(self) -> None:
        """Columns are fitted once, to today's figures; an edit can push a deviation past 100 %, so the deviation
        column gets the width of its widest text."""
        metrics = self.table.fontMetrics()
        last = self.model.columnCount() - 1
        wanted = metrics.horizontalAdvance("+888.8 %") + 2 * metrics.horizontalAdvance("8")
        self.table.setColumnWidth(last, max(self.table.columnWidth(last), wanted))

    def preferred_width(self) -> int:
        """Width that shows every column without a horizontal scroll bar."""
        columns = sum(self.table.columnWidth(c) for c in range(self.model.columnCount()))
        chrome = 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width()
        margins = self.layout().contentsMargins()
        return columns + chrome + margins.left() + margins.right()

    def _share_height(self) -> None:
        """Give the table the height of its rows (up to 60 %), the chart the rest."""
        total = sum(self.split.sizes()) or self.split.height()
        rows = self.model.rowCount() * self.table.verticalHeader().defaultSectionSize()
        wanted = rows + self.table.horizontalHeader().sizeHint().height() + 2 * self.table.frameWidth() + 4
        table = min(wanted, int(total * 0.6))
        self.split.setSizes([table, total - table])

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._share_height()  # the first real size is known only now

    @staticmethod
    def _totals_html(m: Measures, measure: str) -> str:
        largest = m.max_abs_deviation(measure)
        colour = "#a01c1c" if largest > m.tolerance + 1e-12 else "#1b6e2a"
        in_band = int(m.in_band(measure).sum())
        unassigned = f"<b>{m.unassigned:,}</b>" if m.unassigned else "0"
        nights, flights = float(m.values["nights"].sum()), float(m.values["flights"].sum())
        away = (f" &nbsp;·&nbsp; <b>{nights:,.0f}</b> nights away, <b>{flights:,.0f}</b> flown visits a year"
                if nights >= 0.5 or flights >= 0.5 else "")
        gap = headcount_gap_text(m)
        return (f"Largest deviation <b style='color:{colour}'>{largest * 100:.1f} %</b> &nbsp;·&nbsp; "
                f"CV <b>{m.cv(measure):.3f}</b> &nbsp;·&nbsp; in band <b>{in_band}/{m.k}</b> "
                f"(±{m.tolerance * 100:.0f} %)<br>Unassigned {unassigned} &nbsp;·&nbsp; "
                f"visit-weighted mean distance to home <b>{m.compactness_km:,.1f} km</b>, "
                f"p95 <b>{m.distance_p95_km:,.1f} km</b>{away}"
                + (f"<br><b style='color:#a01c1c'>{gap}</b>" if gap else ""))

    def _select_active_row(self) -> None:
        ids = self.model.territory_ids
        selection = self.table.selectionModel()
        blocked = selection.blockSignals(True)
        try:
            if self._active in ids:
                row = ids.index(self._active)
                selection.select(self.model.index(row, 0),
                                 QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
                selection.setCurrentIndex(self.model.index(row, 0), QItemSelectionModel.NoUpdate)
                self.table.scrollTo(self.model.index(row, 0))
            else:
                selection.clearSelection()
        finally:
            selection.blockSignals(blocked)
        self.table.viewport().update()

    # -- user input -------------------------------------------------------------------------------------
    def _on_selection(self, *_):
        rows = self.table.selectionModel().selectedRows()
        if rows:
            territory_id = self.model.territory_ids[rows[0].row()]
            self._active = territory_id
            self.territoryActivated.emit(territory_id)

    def _on_measure(self, _index: int) -> None:
        self._render()
        self.measureChanged.emit(self.measure)
