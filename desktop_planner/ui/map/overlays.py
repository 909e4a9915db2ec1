"""Things drawn on top of the map in screen space: the scale bar, the territory legend, the attribution."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen

from desktop_planner.core.geo import mercator_to_lonlat
from desktop_planner.ui.map.screen_layer import ScreenLayer

MARGIN = 10.0
PANEL_BACKGROUND = QColor(255, 255, 255, 215)
PANEL_EDGE = QColor(0, 0, 0, 60)
TEXT = QColor(30, 30, 30)
METRES_PER_MILE = 1609.344
METRES_PER_FOOT = 0.3048


def nice_length(limit: float) -> float:
    """The largest 1, 2 or 5 times a power of ten that is at most `limit` (limit > 0)."""
    power = 10.0 ** math.floor(math.log10(limit))
    return next(m * power for m in (5, 2, 1) if m * power <= limit * (1 + 1e-9))


def scale_bar_lengths(ground_metres_per_pixel: float, max_pixels: float) -> list[tuple[float, str]]:
    """[(length in pixels, label)] of a metric and an imperial bar, each as long as possible up to max_pixels."""
    limit_m = ground_metres_per_pixel * max_pixels
    if limit_m >= 1000:
        km = nice_length(limit_m / 1000)
        metric = (km * 1000, f"{km:g} km")
    else:
        metres = nice_length(limit_m)
        metric = (metres, f"{metres:g} m")
    if limit_m >= METRES_PER_MILE:
        miles = nice_length(limit_m / METRES_PER_MILE)
        imperial = (miles * METRES_PER_MILE, f"{miles:g} mi")
    else:
        feet = nice_length(limit_m / METRES_PER_FOOT)
        imperial = (feet * METRES_PER_FOOT, f"{feet:g} ft")
    return [(length / ground_metres_per_pixel, label) for length, label in (metric, imperial)]


class ScaleBar(ScreenLayer):
    """Kilometres above, miles below, in the bottom-left corner. Web Mercator stretches distances by
    1/cos(latitude), so the bar is measured at the latitude of the view's centre."""

    MAX_PIXELS = 120.0

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=50)
        self._font = QFont()
        self._font.setPointSizeF(8.5)

    def bars(self) -> list[tuple[float, str]]:
        view = self.view_transform()
        _, (y0, y1) = self._view_box.viewRange()
        _, latitude = mercator_to_lonlat(0.0, (y0 + y1) / 2)
        ground = view.metres_per_pixel * math.cos(math.radians(float(latitude)))
        return scale_bar_lengths(ground, self.MAX_PIXELS)

    def paint(self, painter, option, widget=None) -> None:
        if self._view_box.viewRect().width() <= 0:
            return
        bars = self.bars()
        metrics = QFontMetricsF(self._font)
        line = metrics.height()
        width = max(max(px for px, _ in bars), max(metrics.horizontalAdvance(t) for _, t in bars)) + 12
        rect = self.boundingRect()
        panel = QRectF(rect.left() + MARGIN, rect.bottom() - MARGIN - 2 * line - 14, width, 2 * line + 14)
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(PANEL_EDGE))
        painter.setBrush(PANEL_BACKGROUND)
        painter.drawRoundedRect(panel, 3, 3)
        painter.setFont(self._font)
        x = panel.left() + 6
        axis = panel.top() + line + 5  # the metric bar hangs above this line, the imperial one below
        painter.setPen(QPen(TEXT, 1.5))
        painter.drawLine(QPointF(x, axis), QPointF(x + max(px for px, _ in bars), axis))
        for (px, label), direction in zip(bars, (-1, 1)):
            painter.drawLine(QPointF(x, axis), QPointF(x, axis + 5 * direction))
            painter.drawLine(QPointF(x + px, axis), QPointF(x + px, axis + 5 * direction))
            baseline = axis - 4 if direction < 0 else axis + 3 + metrics.ascent()
            painter.drawText(QPointF(x + 3, baseline), label)


class Legend(ScreenLayer):
    """Colour swatch and name of each territory, top right; as many rows as fit, then "+ N more"."""

    MAX_NAME_PIXELS = 170.0

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=50)
        self._entries: list[tuple[str, str]] = []
        self._font = QFont()
        self._font.setPointSizeF(9)

    def set_entries(self, entries: list[tuple[str, str]]) -> None:
        self._entries = [(str(name), str(color)) for name, color in entries]
        self.update()

    def entries(self) -> list[tuple[str, str]]:
        return list(self._entries)

    def paint(self, painter, option, widget=None) -> None:
        if not self._entries:
            return
        metrics = QFontMetricsF(self._font)
        row = metrics.height() + 4
        rect = self.boundingRect()
        fits = max(1, int((rect.height() - 2 * MARGIN - 12) // row))
        shown = self._entries if len(self._entries) <= fits else self._entries[:fits - 1]
        names = [metrics.elidedText(name, Qt.TextElideMode.ElideRight, self.MAX_NAME_PIXELS) for name, _ in shown]
        more = len(self._entries) - len(shown)
        if more:
            names.append(f"+ {more} more")
        width = max(metrics.horizontalAdvance(n) for n in names) + 34
        panel = QRectF(rect.right() - MARGIN - width, rect.top() + MARGIN, width, len(names) * row + 8)
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(PANEL_EDGE))
        painter.setBrush(PANEL_BACKGROUND)
        painter.drawRoundedRect(panel, 3, 3)
        painter.setFont(self._font)
        for i, name in enumerate(names):
            top = panel.top() + 4 + i * row
            if i < len(shown):
                painter.setPen(QPen(QColor(0, 0, 0, 120)))
                painter.setBrush(QColor(shown[i][1]))
                painter.drawRoundedRect(QRectF(panel.left() + 8, top + (row - 12) / 2, 12, 12), 2, 2)
            painter.setPen(QPen(TEXT))
            painter.drawText(QPointF(panel.left() + 26, top + (row - metrics.height()) / 2 + metrics.ascent()), name)


class AttributionLabel(ScreenLayer):
    """The basemap's attribution (the OpenStreetMap licence requires it on the map), bottom right."""

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=50)
        self._text = ""
        self._font = QFont()
        self._font.setPointSizeF(7.5)

    def set_text(self, text: str) -> None:
        self._text = text
        self.update()

    def text(self) -> str:
        return self._text

    def paint(self, painter, option, widget=None) -> None:
        if not self._text:
            return
        metrics = QFontMetricsF(self._font)
        rect = self.boundingRect()
        box = QRectF(0, 0, metrics.horizontalAdvance(self._text) + 8, metrics.height() + 2)
        box.moveBottomRight(rect.bottomRight())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PANEL_BACKGROUND)
        painter.drawRect(box)
        painter.setFont(self._font)
        painter.setPen(QPen(TEXT))
        painter.drawText(QPointF(box.left() + 4, box.top() + 1 + metrics.ascent()), self._text)
