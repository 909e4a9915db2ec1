"""The heat overlay: account potential (or workload) per km² as a smooth raster over the dots, with a colour bar.

The raster covers the visible part of the map at three screen pixels a cell and is recomputed (core.heat, ~5 ms
for 100k accounts) shortly after the view stops changing, so zooming in sharpens it. Colours run from
transparent through yellow to dark red, so that where there is little the basemap shows as it is; the top of
the scale is the 99th percentile of the view, so a single dense block does not wash out the rest. The scale is
in the colour bar, bottom right.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QLinearGradient, QPen

from desktop_planner.core.heat import density_grid
from desktop_planner.ui.map.overlays import MARGIN, PANEL_BACKGROUND, PANEL_EDGE, TEXT
from desktop_planner.ui.map.screen_layer import ScreenLayer

SCREEN_PIXELS_PER_CELL = 3
Z = 12  # over the dots (10) and the region fills (-5), under the homes (20)
BANDWIDTH_CELLS = 6  # the kernel's standard deviation: ~18 screen pixels, a smooth surface at any zoom
REDRAW_DELAY_MS = 120  # after the last pan or zoom step
TOP_PERCENTILE = 99.0
# (position, RGBA) stops of the colour scale: transparent at zero, then yellow, orange, red.
STOPS = ((0.0, (255, 255, 178, 0)), (0.1, (254, 217, 118, 50)), (0.35, (253, 141, 60, 110)),
         (0.7, (240, 59, 32, 150)), (1.0, (160, 0, 38, 185)))


def heat_lookup_table() -> np.ndarray:
    """(256, 4) uint8 RGBA, interpolated between STOPS."""
    at = np.linspace(0.0, 1.0, 256)
    positions = [p for p, _ in STOPS]
    return np.column_stack([np.interp(at, positions, [c[i] for _, c in STOPS]) for i in range(4)]).astype(np.uint8)


def compact(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:,.1f}M"
    if value >= 1e3:
        return f"{value / 1e3:,.1f}k"
    return f"{value:.3g}"


class HeatLayer(QObject):
    """Feed it points and weights (set_data) or turn it off (clear); it follows the view by itself."""

    def __init__(self, map_view) -> None:
        super().__init__(map_view)
        self.map = map_view
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(heat_lookup_table())
        # In map coordinates, but stacked among the screen layers: over the region fills (-5) and the dots (10),
        # under the homes (20) and the names (30); at 100k accounts the dots cover the map, and a raster under
        # them was all but invisible. The group follows the view's transform.
        view_box = map_view.view_box
        self.group = pg.ItemGroup()
        self.group.setParentItem(view_box)
        self.group.setZValue(Z)
        self.group.setTransform(view_box.childGroup.transform())
        view_box.sigTransformChanged.connect(lambda vb: self.group.setTransform(vb.childGroup.transform()))
        self.image.setParentItem(self.group)
        self.bar = HeatColourBar(map_view.view_box)
        self._data: tuple[np.ndarray, np.ndarray, np.ndarray, str] | None = None
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_DELAY_MS)
        self._timer.timeout.connect(self.redraw)
        map_view.view_box.sigRangeChanged.connect(self._view_changed)
        map_view.view_box.sigResized.connect(self._view_changed)
        self.clear()

    def set_data(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray, title: str) -> None:
        """Show the density of `weights` at (x, y); `title` names the unit ("Potential per km²")."""
        finite = np.isfinite(x) & np.isfinite(y)
        self._data = (x[finite], y[finite], weights[finite], title)
        self.redraw()

    def clear(self) -> None:
        self._data = None
        self._timer.stop()
        self.image.setVisible(False)
        self.bar.set_scale(None, 0.0)

    def is_on(self) -> bool:
        return self._data is not None

    def _view_changed(self, *_args) -> None:
        if self._data is not None:
            self._timer.start()

    def redraw(self) -> None:
        if self._data is None:
            return
        x, y, weights, title = self._data
        x0, y0, x1, y1 = self.map.view_range_mercator()
        cells = max(self.map.view_box.width() / SCREEN_PIXELS_PER_CELL, 1.0)
        cell = (x1 - x0) / cells
        grid = density_grid(x, y, weights, (x0, y0, x1, y1), cell, bandwidth=BANDWIDTH_CELLS * cell)
        positive = grid.values[grid.values > 0]
        top = float(np.percentile(positive, TOP_PERCENTILE)) if positive.size else 0.0
        top = top if top > 0 else 1.0
        # Row 0 of the grid is the north edge; the image's row 0 is drawn at the rectangle's lower y.
        self.image.setImage(grid.values[::-1], levels=(0.0, top), autoLevels=False)
        gx0, gy0, gx1, gy1 = grid.extent
        self.image.setRect(QRectF(gx0, gy0, gx1 - gx0, gy1 - gy0))
        self.image.setVisible(True)
        self.bar.set_scale(title, top)


class HeatColourBar(ScreenLayer):
    """The colour scale with its unit and range, bottom right above the attribution."""

    WIDTH, HEIGHT = 150.0, 10.0

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=50)
        self._title: str | None = None
        self._top = 0.0
        self._font = QFont()
        self.set_text_scale(1.0)

    def set_text_scale(self, scale: float) -> None:
        self._font = QFont()
        self._font.setPointSizeF(8.5 * float(scale))
        self.update()

    def set_scale(self, title: str | None, top: float) -> None:
        """None hides the bar."""
        self._title, self._top = title, top
        self.setVisible(title is not None)
        self.update()

    def scale(self) -> tuple[str | None, float]:
        return self._title, self._top

    def paint(self, painter, option, widget=None) -> None:
        if self._title is None:
            return
        metrics = QFontMetricsF(self._font)
        line = metrics.height()
        width = max(self.WIDTH, metrics.horizontalAdvance(self._title)) + 16
        rect = self.boundingRect()
        panel = QRectF(rect.right() - MARGIN - width, rect.bottom() - 28 - (2 * line + self.HEIGHT + 14),
                       width, 2 * line + self.HEIGHT + 14)
        painter.setPen(QPen(PANEL_EDGE))
        painter.setBrush(PANEL_BACKGROUND)
        painter.drawRoundedRect(panel, 3, 3)
        painter.setFont(self._font)
        painter.setPen(QPen(TEXT))
        painter.drawText(QPointF(panel.left() + 8, panel.top() + 4 + metrics.ascent()), self._title)
        bar = QRectF(panel.left() + 8, panel.top() + 6 + line, width - 16, self.HEIGHT)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for position, (r, g, b, a) in STOPS:
            gradient.setColorAt(position, QColor(r, g, b, a))
        painter.setBrush(gradient)
        painter.setPen(QPen(PANEL_EDGE))
        painter.drawRect(bar)
        baseline = bar.bottom() + 2 + metrics.ascent()
        painter.setPen(QPen(TEXT))
        painter.drawText(QPointF(bar.left(), baseline), "0")
        top = f"≥ {compact(self._top)}"
        painter.drawText(QPointF(bar.right() - metrics.horizontalAdvance(top), baseline), top)
