"""The legend of a printed map, beside the map instead of over it: the app's legend floats over the data (the user
moves it aside), a picture cannot be moved, and 50 territories in a corner covered New York and Boston.

`place_legend` tries a column (or a few) on the right and a block of columns below, and keeps the one that leaves
the data drawn largest: a wide country keeps its legend below on an A4 page, a tall state has it on the right.
The bottom of the legend's block keeps a line free for the basemap's attribution (`footer`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

POINT_SIZE = 8.5  # as the app's legend
SWATCH, PAD, GAP, ROW_GAP = 11.0, 10.0, 16.0, 3.0  # pixels
NAME_PIXELS = 270.0  # "territory · rep" longer than this is elided
MAX_RIGHT_COLUMNS = 3
MAX_BELOW_SHARE = 0.45  # of the height: what does not fit below the map is summed up as "+ N more"
RULE, TEXT, SWATCH_EDGE = QColor("#d0d5dc"), QColor(30, 30, 30), QColor(0, 0, 0, 120)


@dataclass
class LegendLayout:
    map_rect: QRectF  # what is left for the map
    rect: QRectF = field(default_factory=QRectF)  # the legend's block; empty without a legend
    side: str = ""  # "right" or "below"
    title: str = ""
    cells: list[tuple[float, float, str, str]] = field(default_factory=list)  # left, top, name, colour
    more: tuple[float, float, str] | None = None


def _fonts() -> tuple[QFont, QFont]:
    font = QFont()
    font.setPointSizeF(POINT_SIZE)
    title = QFont(font)
    title.setBold(True)
    return font, title


def place_legend(area: QRectF, entries: list[tuple[str, str]], title: str, data_size: tuple[float, float] | None,
                 footer: float) -> LegendLayout:
    """Where the legend of `entries` ((name, "#rrggbb")) goes in `area`, and what is left for the map;
    `data_size` is the width and height (any unit) of what the map must show, None for no preference."""
    if not entries:
        return LegendLayout(QRectF(area))
    font, title_font = _fonts()
    metrics = QFontMetricsF(font)
    names = [(metrics.elidedText(name, Qt.TextElideMode.ElideRight, NAME_PIXELS), color) for name, color in entries]
    column = max(metrics.horizontalAdvance(name) for name, _ in names) + SWATCH + 5
    column = max(column, QFontMetricsF(title_font).horizontalAdvance(title))
    row, head = metrics.height() + ROW_GAP, QFontMetricsF(title_font).height() + 6
    n = len(names)
    candidates = []
    for columns in range(1, MAX_RIGHT_COLUMNS + 1):  # the fewest columns whose rows fit the height
        rows = -(-n // columns)
        width = 2 * PAD + columns * column + (columns - 1) * GAP
        if 2 * PAD + head + rows * row + footer <= area.height() and width <= area.width() / 2:
            map_rect = QRectF(area.left(), area.top(), area.width() - width, area.height())
            candidates.append((map_rect, "right", columns, rows))
            break
    columns = max(1, min(n, int((area.width() - 2 * PAD + GAP) // (column + GAP))))
    rows = -(-n // columns)
    rows = max(1, min(rows, int((MAX_BELOW_SHARE * area.height() - 2 * PAD - head - footer) // row)))
    columns = min(columns, -(-n // rows))  # as few columns as the rows allow: a compact block, left-aligned
    height = 2 * PAD + head + rows * row + footer
    candidates.append((QRectF(area.left(), area.top(), area.width(), area.height() - height), "below", columns, rows))
    map_rect, side, columns, rows = max(candidates, key=lambda c: _scale(c[0], data_size))  # ties: the right
    rect = (QRectF(map_rect.right(), area.top(), area.right() - map_rect.right(), area.height()) if side == "right"
            else QRectF(area.left(), map_rect.bottom(), area.width(), area.bottom() - map_rect.bottom()))
    shown = names if columns * rows >= n else names[:columns * rows - 1]
    cells = [(rect.left() + PAD + (i // rows) * (column + GAP), rect.top() + PAD + head + (i % rows) * row, name,
              color) for i, (name, color) in enumerate(shown)]
    more = None
    if len(shown) < n:
        i = len(shown)
        more = (rect.left() + PAD + (i // rows) * (column + GAP), rect.top() + PAD + head + (i % rows) * row,
                f"+ {n - len(shown)} more")
    return LegendLayout(map_rect, rect, side, title, cells, more)


def _scale(map_rect: QRectF, data_size: tuple[float, float] | None) -> float:
    """Pixels per unit of the data fitted into `map_rect` (the area left, without a preference)."""
    if data_size is None or min(data_size) <= 0 or not all(map(math.isfinite, data_size)):
        return map_rect.width() * map_rect.height()
    return min(map_rect.width() / data_size[0], map_rect.height() / data_size[1])


def paint_legend(painter: QPainter, layout: LegendLayout) -> None:
    """The rule between map and legend, the title, a swatch and a name per entry: text stays text in a PDF."""
    if layout.rect.isEmpty():
        return
    font, title_font = _fonts()
    metrics, title_metrics = QFontMetricsF(font), QFontMetricsF(title_font)
    row = metrics.height() + ROW_GAP
    rect = layout.rect
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.fillRect(rect, QColor("white"))
    painter.setPen(QPen(RULE, 1))
    painter.drawLine(rect.topLeft(), rect.bottomLeft() if layout.side == "right" else rect.topRight())
    painter.setFont(title_font)
    painter.setPen(TEXT)
    painter.drawText(QPointF(rect.left() + PAD, rect.top() + PAD + title_metrics.ascent()), layout.title)
    painter.setFont(font)
    baseline = (row - metrics.height()) / 2 + metrics.ascent()
    for left, top, name, color in layout.cells:
        painter.setPen(SWATCH_EDGE)
        painter.setBrush(QColor(color))
        painter.drawRoundedRect(QRectF(left, top + (row - SWATCH) / 2, SWATCH, SWATCH), 2, 2)
        painter.setPen(TEXT)
        painter.drawText(QPointF(left + SWATCH + 5, top + baseline), name)
    if layout.more is not None:
        left, top, text = layout.more
        painter.drawText(QPointF(left, top + baseline), text)
    painter.restore()
