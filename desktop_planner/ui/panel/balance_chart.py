"""The panel's bar chart: one horizontal bar per territory with its target and tolerance band, every bar named,
scrolling through what does not fit (50-200 territories stay readable)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem


class BalanceChart(pg.PlotWidget):
    """Horizontal bars of one measure per territory (top to bottom in table order, or by deviation), each with
    its target line and tolerance band. Horizontal, so that territory names fit on the axis of a narrow panel.

    Every bar carries its name: the chart shows as many rows as fit at `row_height()` pixels each and scrolls
    through the rest (`scroll_bar`, or the mouse wheel over the chart), so the axis of values stays in view."""

    rowsChanged = Signal()  # the number of rows or of rows in view changed: the scroll bar follows

    def __init__(self, parent=None) -> None:
        self._labels: tuple[str, ...] = ()  # before the base class, whose constructor calls resizeEvent
        self._unit = ""
        self._scale = 0.0  # the value axis's extent
        self._rows = 0
        self._first = 0  # the top row in view
        self._order = np.zeros(0, dtype=np.int64)  # row -> territory index (position in the caller's lists)
        super().__init__(parent, background="w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().invertY(True)
        self.getPlotItem().showGrid(x=True, alpha=0.25)
        for axis in ("left", "bottom"):
            self.getAxis(axis).setTextPen("#333333")
            self.getAxis(axis).setPen("#888888")
            # The bottom axis draws the grid over the whole plot, so every change of a bar repainted both axes
            # (~2.5 ms of a preview step); cached as pixmaps, they are redrawn only when the range changes.
            self.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._in_band_pen = pg.mkPen("#555555", width=1)
        self._out_of_band_pen = pg.mkPen("#c62828", width=1.5)
        empty = np.zeros(0)
        self.band = pg.BarGraphItem(x0=empty, y=empty, width=empty, height=0.9, brush=(40, 40, 40, 45), pen=None)
        self.bars = pg.BarGraphItem(x0=empty, y=empty, width=empty, height=0.62)
        self.target = pg.PlotDataItem(pen=pg.mkPen("#222222", width=2), connect="pairs")
        # The band is drawn over the bars, translucent, so that it stays visible where a bar is longer.
        for item in (self.bars, self.band, self.target):
            self.addItem(item)
        # The rows in view follow the plot area's height (which the layout settles after the widget's own).
        self.getViewBox().sigResized.connect(self._on_view_resized)

    def update_bars(self, values: np.ndarray, targets: np.ndarray, tolerance: float, in_band: np.ndarray,
                    colors: list[str], labels: list[str], unit: str, order: np.ndarray | None = None) -> None:
        """One bar per territory; `order` (row -> index into the other arguments) sorts them, None keeps them
        in the order given."""
        k = len(values)
        order = np.arange(k) if order is None or len(order) != k else np.asarray(order, dtype=np.int64)
        self._order = order
        values, targets, in_band = values[order], targets[order], np.asarray(in_band)[order]
        colors = [_brush(colors[i]) for i in order.tolist()] if colors else colors
        labels = [labels[i] for i in order.tolist()]
        rows = np.arange(k, dtype=float)
        self.band.setOpts(x0=targets * (1 - tolerance), y=rows, width=2 * tolerance * targets)
        pens = [self._in_band_pen if ok else self._out_of_band_pen for ok in in_band.tolist()]
        # Empty lists mean "no bars", but BarGraphItem needs None for that (it fails on an empty pens list).
        self.bars.setOpts(x0=np.zeros(k), y=rows, width=values, brushes=colors or None, pens=pens or None)
        self.target.setData(np.repeat(targets, 2), np.column_stack((rows - 0.45, rows + 0.45)).ravel())
        if tuple(labels) != self._labels:
            self._labels = tuple(labels)
            self.getAxis("left").setTicks([list(enumerate(labels)), []])  # every bar named
            self._fit_axis()
        if unit != self._unit:
            self._unit = unit
            self.getAxis("bottom").setLabel(unit)
        # The scale moves in nice steps, up when a bar outgrows it and down only when everything fits in 60 %
        # of it: during a stroke the range (and the axis, whose redraw is the chart's dearest part) then
        # stays put instead of changing on every preview step.
        needed = 1.02 * float(max(values.max(initial=0.0), (targets * (1 + tolerance)).max(initial=0.0)))
        if needed > self._scale or needed < 0.6 * self._scale or self._rows != k:
            self._scale = nice_ceiling(needed)
            rows_changed = self._rows != k
            self._rows = k
            self._show_rows()
            if rows_changed:
                self.rowsChanged.emit()

    # -- rows in view ---------------------------------------------------------------------------------------
    def row_order(self) -> list[int]:
        """Territory index (position in the lists last given) of each row, top to bottom."""
        return self._order.tolist()

    def row_labels(self) -> list[str]:
        return list(self._labels)

    def row_height(self) -> float:
        """Pixels a row needs for its name on the axis (with the axis's font, which the workshop enlarges)."""
        font = self.getAxis("left").style.get("tickFont") or self.font()
        return QFontMetricsF(font).height() + 3

    def _fit_axis(self) -> None:
        """The names' axis as wide as the widest name: pyqtgraph leaves out a name wider than the axis (and only
        widens it after drawing), so names scrolled into view would be missing for a frame, and the axis would
        change width as the chart scrolls."""
        axis = self.getAxis("left")
        metrics = QFontMetricsF(axis.style.get("tickFont") or self.font())
        widest = max((metrics.horizontalAdvance(label) for label in self._labels), default=0.0)
        axis.setWidth(int(np.ceil(widest + max(0, axis.style["tickLength"]) + axis.style["tickTextOffset"][0] + 16)))

    def rows_in_view(self) -> int:
        height = self.getViewBox().height() or max(self.height() - 45, 0)
        return max(1, min(max(self._rows, 1), int(height // self.row_height())))

    def first_row(self) -> int:
        return self._first

    def scroll_to(self, first: int) -> None:
        first = int(min(max(first, 0), max(self._rows - self.rows_in_view(), 0)))
        if first != self._first:
            self._first = first
            self._show_rows()

    def _show_rows(self) -> None:
        self._first = int(min(self._first, max(self._rows - self.rows_in_view(), 0)))
        shown = self.rows_in_view()
        self.setRange(xRange=(0, self._scale or 1.0), yRange=(self._first - 0.6, self._first + shown - 0.4),
                      padding=0)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if self._rows > self.rows_in_view() and steps:
            self.scroll_to(self._first - round(steps * 3))
            self.rowsChanged.emit()
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._labels:  # the base constructor resizes before the plot exists
            self._fit_axis()  # the workshop enlarges the font, and the layout follows with a resize

    def _on_view_resized(self, *_args) -> None:
        if self._labels:
            self._show_rows()
            self.rowsChanged.emit()


@lru_cache(maxsize=1024)
def _brush(color: str) -> QBrush:
    """One brush per colour, made once: pyqtgraph otherwise parses every bar's colour string on every update
    (~2.5 ms a preview step at 200 territories)."""
    return QBrush(QColor(color))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is >= value (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(step * power for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if step * power >= value))


def short_label(name: str, limit: int = 16) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"
