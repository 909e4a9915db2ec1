"""The trade-off chart: one point per tolerance, x = the plan's largest deviation of the balanced measure (%),
y = total travel (thousand km a year), each labelled "±10 %"; the current plan as a grey "now" marker. Clicking a point
emits its index (the preview then shows that plan)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont

POINT_COLOR = QColor("#1565c0")
SELECTED_COLOR = QColor("#e65100")
NOW_COLOR = QColor("#616161")
KM_UNIT = 1000.0  # the y axis in thousands of km: "2,100" reads better than "2.1e+06"


def tolerance_label(tolerance: float) -> str:
    percent = tolerance * 100
    return f"±{percent:.0f} %" if abs(percent - round(percent)) < 1e-6 else f"±{percent:.1f} %"


class TradeoffChart(pg.PlotWidget):
    pointClicked = Signal(int)

    def __init__(self, parent=None, measure_label: str = "workload") -> None:
        super().__init__(parent, background="w")
        self.setMinimumSize(360, 220)
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setMenuEnabled(False)
        item.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self._font = QFont()
        self._font.setPointSizeF(9)
        for side in ("bottom", "left"):
            axis = item.getAxis(side)
            axis.setTextPen(pg.mkPen("#333"))
            axis.setPen(pg.mkPen("#888"))
            axis.setTickFont(self._font)
        self.set_measure_label(measure_label)
        item.getAxis("left").enableAutoSIPrefix(False)
        self._line = pg.PlotDataItem(pen=pg.mkPen(POINT_COLOR, width=1.5, style=Qt.DashLine))
        self._points = pg.ScatterPlotItem(size=11, pen=pg.mkPen("w", width=1.5), brush=pg.mkBrush(POINT_COLOR),
                                          hoverable=True, hoverSize=14, tip=None)
        self._now = pg.ScatterPlotItem(size=12, symbol="d", pen=pg.mkPen("w", width=1.5), brush=pg.mkBrush(NOW_COLOR))
        for graphic in (self._line, self._now, self._points):
            item.addItem(graphic)
        self._labels: list[pg.TextItem] = []
        self._points.sigClicked.connect(self._clicked)
        self._count = 0
        self.selected: int | None = None

    def set_measure_label(self, label: str) -> None:
        item = self.getPlotItem()
        item.setLabel("bottom", f"Largest {label} deviation (%)")
        item.setLabel("left", "Travel (1,000 km a year)")

    def set_points(self, points, current: tuple[float, float] | None = None) -> None:
        """`points`: TradeoffPoint-likes; `current`: (largest deviation, travel km) of the plan as it is."""
        item = self.getPlotItem()
        for label in self._labels:
            item.removeItem(label)
        self._labels = []
        order = sorted(range(len(points)), key=lambda i: points[i].tolerance)
        x = np.array([points[i].max_deviation * 100 for i in order], dtype=float)
        y = np.array([points[i].travel_km / KM_UNIT for i in order], dtype=float)
        self._line.setData(x, y)
        self._points.setData([{"pos": (xi, yi), "data": i} for xi, yi, i in zip(x, y, order)])
        self._count = len(points)
        for xi, yi, i in zip(x, y, order):
            label = pg.TextItem(tolerance_label(points[i].tolerance), color="#222", anchor=(-0.1, 1.1))
            label.setFont(self._font)
            label.setPos(xi, yi)
            item.addItem(label)
            self._labels.append(label)
        if current is not None:
            current = (current[0], current[1] / KM_UNIT)
        if current is not None and np.all(np.isfinite(current)):
            self._now.setData([current[0] * 100], [current[1]])
            label = pg.TextItem("now", color="#444", anchor=(-0.15, 0.5))
            label.setFont(self._font)
            label.setPos(current[0] * 100, current[1])
            item.addItem(label)
            self._labels.append(label)
        else:
            self._now.setData([], [])
        xs = np.concatenate((x, [current[0] * 100] if current is not None else []))
        ys = np.concatenate((y, [current[1]] if current is not None else []))
        if xs.size:
            # room for the labels to the right and above the points
            span_x, span_y = max(float(np.ptp(xs)), 1.0), max(float(np.ptp(ys)), abs(float(ys.max())) * 0.02, 1.0)
            self.setXRange(max(0.0, xs.min() - 0.06 * span_x), xs.max() + 0.22 * span_x, padding=0)
            self.setYRange(ys.min() - 0.1 * span_y, ys.max() + 0.18 * span_y, padding=0)
        self.select(None)

    def select(self, index: int | None) -> None:
        self.selected = index
        brushes = [pg.mkBrush(SELECTED_COLOR if spot.data() == index else POINT_COLOR) for spot in self._points.points()]
        sizes = [15 if spot.data() == index else 11 for spot in self._points.points()]
        if brushes:
            self._points.setBrush(brushes)
            self._points.setSize(sizes)

    def _clicked(self, _item, spots, _event=None) -> None:
        if len(spots):
            index = int(spots[0].data())
            self.select(index)
            self.pointClicked.emit(index)

    def click_point(self, index: int) -> None:
        """As if the point of `points[index]` was clicked (tests, keyboard)."""
        self.select(index)
        self.pointClicked.emit(index)
