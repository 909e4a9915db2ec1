"""Things drawn on top of the map in screen space: the scale bar, the territory legend (which a user can drag
and collapse), the attribution."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen

from desktop_planner.core.geo import mercator_to_lonlat
from desktop_planner.ui.map.pointer_grab import Point, PointerGrab
from desktop_planner.ui.map.screen_layer import LayerPicture, ScreenLayer

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
        self.picture = LayerPicture()  # changes with the view only

    def bars(self) -> list[tuple[float, str]]:
        view = self.view_transform()
        _, (y0, y1) = self._view_box.viewRange()
        _, latitude = mercator_to_lonlat(0.0, (y0 + y1) / 2)
        ground = view.metres_per_pixel * math.cos(math.radians(float(latitude)))
        return scale_bar_lengths(ground, self.MAX_PIXELS)

    def paint(self, painter, option, widget=None) -> None:
        if self._view_box.viewRect().width() > 0:
            self.picture.paint(painter, self, self._draw)

    def _draw(self, painter) -> None:
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
    """Colour swatch and name of each territory, top right at first. The names flow into columns so that the
    legend stays within MAX_HEIGHT_SHARE of the map's height (and MAX_WIDTH_SHARE of its width); what does not fit
    is summed up as "+ N more". A click on the title collapses it to that one line (and back); a drag anywhere on
    it moves it (`LegendDragger`). Layout is computed once per change of entries, size or place, not per frame."""

    MAX_NAME_PIXELS = 150.0
    MAX_HEIGHT_SHARE = 0.4
    MAX_WIDTH_SHARE = 0.7
    AUTO_COLLAPSE_SHARE = 0.12
    SWATCH, PAD, GAP = 11.0, 6.0, 10.0
    POINT_SIZE = 8.5

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=50)
        self._entries: list[tuple[str, str]] = []
        self.text_scale = 1.0
        self._font = QFont()
        self._title_font = QFont()
        self.set_text_scale(1.0)
        self._collapsed_by_user: bool | None = None  # None: collapsed when it would cover too much of the map
        self.interactive = True  # False on a printed map: no collapse arrow, never collapsed by itself
        self._corner = (MARGIN, MARGIN)  # the panel's gap to the view's right and top edges
        self._layout: dict | None = None  # key -> LegendLayout, for the sizes and states last asked
        self.picture = LayerPicture()  # 50 swatches and names: ~2 ms a paint

    def set_text_scale(self, scale: float) -> None:
        """Type (and swatches, and the room a name may take) `scale` times the normal size: the workshop's large
        type, readable from the back of a room."""
        self.text_scale = float(scale)
        self._font = QFont()
        self._font.setPointSizeF(self.POINT_SIZE * self.text_scale)
        self._title_font = QFont(self._font)
        self._title_font.setBold(True)
        self.SWATCH, self.PAD, self.GAP = (v * self.text_scale for v in (Legend.SWATCH, Legend.PAD, Legend.GAP))
        # Larger type takes more room: names are elided sooner and the legend may grow taller, so that
        # two dozen territories still fit in two columns beside a laptop's map.
        self.MAX_NAME_PIXELS = Legend.MAX_NAME_PIXELS
        self.MAX_HEIGHT_SHARE = Legend.MAX_HEIGHT_SHARE if self.text_scale <= 1 else 0.6
        self.MAX_WIDTH_SHARE = Legend.MAX_WIDTH_SHARE if self.text_scale <= 1 else 0.9
        self._layout = None
        self.update()

    def font(self) -> QFont:
        return QFont(self._font)

    def set_entries(self, entries: list[tuple[str, str]]) -> None:
        self._entries = [(str(name), str(color)) for name, color in entries]
        self._layout = None
        self.picture.invalidate()
        self.update()

    def entries(self) -> list[tuple[str, str]]:
        return list(self._entries)

    def set_collapsed(self, on: bool) -> None:
        """The user's choice (a click on the title), which from then on overrides the automatic one."""
        self._collapsed_by_user = bool(on)
        self.update()

    @property
    def collapsed(self) -> bool:
        """Collapsed to its title: as the user last chose, else when expanded it would cover more than
        AUTO_COLLAPSE_SHARE of the map (50 territories on a laptop: a fifth of it). The panel lists the
        territories with their colours anyway."""
        if self._collapsed_by_user is not None:
            return self._collapsed_by_user
        if not self.interactive or not self._entries:
            return False
        rect, panel = self.boundingRect(), self._layout_of(False).panel
        return panel.width() * panel.height() > self.AUTO_COLLAPSE_SHARE * rect.width() * rect.height()

    def title(self, collapsed: bool | None = None) -> str:
        collapsed = self.collapsed if collapsed is None else collapsed
        arrow = ("▸ " if collapsed else "▾ ") if self.interactive else ""
        return f"{arrow}Legend ({len(self._entries)})"

    # -- place -----------------------------------------------------------------------------------------------
    def panel_rect(self) -> QRectF:
        """Where the panel is drawn, in the ViewBox's (and this layer's) coordinates; empty without entries."""
        return QRectF() if not self._entries else QRectF(self.layout().panel)

    def title_rect(self) -> QRectF:
        return QRectF() if not self._entries else QRectF(self.layout().title)

    def move_panel_to(self, top_left: QPointF) -> None:
        """Put the panel's top-left corner here (kept inside the map); it then keeps its gap to the right and top
        edges when the map is resized."""
        rect, size = self.boundingRect(), self.layout().panel.size()
        left = min(max(top_left.x(), rect.left()), rect.right() - size.width())
        top = min(max(top_left.y(), rect.top()), rect.bottom() - size.height())
        self._corner = (rect.right() - left - size.width(), top - rect.top())
        self.update()

    def hit(self, pos: QPointF) -> str | None:
        """"title", "body" or None for a point in this layer's coordinates."""
        if not self._entries or not self.isVisible():
            return None
        layout = self.layout()
        if layout.title.contains(pos):
            return "title"
        return "body" if layout.panel.contains(pos) else None

    def _row_height(self) -> float:
        return QFontMetricsF(self._font).height() + 3

    # -- layout ----------------------------------------------------------------------------------------------
    def layout(self) -> "LegendLayout":
        return self._layout_of(self.collapsed)

    def _layout_of(self, collapsed: bool) -> "LegendLayout":
        rect = self.boundingRect()
        key = (rect.width(), rect.height(), collapsed, self._corner, self.MAX_NAME_PIXELS, self.interactive)
        if self._layout is None or key not in self._layout:
            if self._layout is None or len(self._layout) > 8:
                self._layout = {}
            self._layout[key] = self._compute_layout(rect, collapsed)
        return self._layout[key]

    def _compute_layout(self, rect: QRectF, collapsed: bool) -> "LegendLayout":
        metrics, title_metrics = QFontMetricsF(self._font), QFontMetricsF(self._title_font)
        row, pad, text_x = self._row_height(), self.PAD, self.SWATCH + 5
        title_height = title_metrics.height() + 4
        title_width = title_metrics.horizontalAdvance(self.title(collapsed)) + 2 * pad
        columns: list[list[tuple[str, str]]] = []
        more = ""
        if not collapsed:
            names = [(metrics.elidedText(name, Qt.TextElideMode.ElideRight, self.MAX_NAME_PIXELS), color)
                     for name, color in self._entries]
            max_height = max(self.MAX_HEIGHT_SHARE * rect.height(), title_height + 3 * row + 2 * pad)
            per_column = max(1, int((max_height - title_height - 2 * pad) // row))
            widest = max(metrics.horizontalAdvance(n) for n, _ in names) + text_x
            max_columns = max(1, int((self.MAX_WIDTH_SHARE * rect.width() - 2 * pad + self.GAP)
                                     // (widest + self.GAP)))
            wanted = -(-len(names) // per_column)
            if wanted > max_columns:
                shown = names[:max_columns * per_column - 1]
                more = f"+ {len(names) - len(shown)} more"
            else:
                shown = names
                per_column = -(-len(names) // wanted)  # as few rows as the columns allow: a compact block
            columns = [shown[i:i + per_column] for i in range(0, len(shown), per_column)]
        widths = [max(metrics.horizontalAdvance(n) for n, _ in column) + text_x for column in columns]
        if more:
            widths[-1] = max(widths[-1], metrics.horizontalAdvance(more))
        body_width = sum(widths) + self.GAP * max(0, len(widths) - 1)
        rows = max((len(c) for c in columns), default=0) + (1 if more and len(columns[-1]) == max(
            len(c) for c in columns) else 0)
        width = max(title_width, body_width + 2 * pad)
        height = title_height + (rows * row + pad if rows else 0) + 4
        right_gap, top_gap = self._corner
        left = max(rect.left(), rect.right() - right_gap - width)
        top = min(rect.top() + top_gap, max(rect.top(), rect.bottom() - height))
        panel = QRectF(left, top, width, height)
        title = QRectF(left, top, width, title_height + 2)
        cells = []
        x = left + pad
        for column, column_width in zip(columns, widths):
            for i, (name, color) in enumerate(column):
                cells.append((x, top + title_height + 2 + i * row, name, color))
            x += column_width + self.GAP
        more_at = None
        if more:
            last = columns[-1]
            more_at = (x - widths[-1] - self.GAP, top + title_height + 2 + len(last) * row, more)
        return LegendLayout(panel, title, cells, more_at, row, metrics.ascent(), metrics.height(),
                            title_metrics.ascent())

    def paint(self, painter, option, widget=None) -> None:
        if self._entries:
            # What it shows: the entries (set_entries invalidates), and the layout's inputs set from outside.
            self.picture.paint(painter, self, self._draw, (self.collapsed, self._corner, self.interactive,
                                                           self.text_scale, self.MAX_NAME_PIXELS))

    def _draw(self, painter) -> None:
        layout = self.layout()
        row = layout.row
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(PANEL_EDGE))
        painter.setBrush(PANEL_BACKGROUND)
        painter.drawRoundedRect(layout.panel, 3, 3)
        painter.setFont(self._title_font)
        painter.setPen(QPen(TEXT))
        painter.drawText(QPointF(layout.panel.left() + self.PAD, layout.panel.top() + 3 + layout.title_ascent),
                         self.title())
        painter.setFont(self._font)
        baseline = (row - layout.text_height) / 2 + layout.ascent
        swatch_pen = QPen(QColor(0, 0, 0, 120))
        for x, top, name, color in layout.cells:
            painter.setPen(swatch_pen)
            painter.setBrush(QColor(color))
            painter.drawRoundedRect(QRectF(x, top + (row - self.SWATCH) / 2, self.SWATCH, self.SWATCH), 2, 2)
            painter.setPen(QPen(TEXT))
            painter.drawText(QPointF(x + self.SWATCH + 5, top + baseline), name)
        if layout.more is not None:
            x, top, text = layout.more
            painter.setPen(QPen(TEXT))
            painter.drawText(QPointF(x, top + baseline), text)


class LegendLayout:
    """Where each part of the legend goes, in the layer's coordinates."""

    __slots__ = ("panel", "title", "cells", "more", "row", "ascent", "text_height", "title_ascent")

    def __init__(self, panel, title, cells, more, row, ascent, text_height, title_ascent) -> None:
        self.panel, self.title, self.cells, self.more = panel, title, cells, more
        self.row, self.ascent, self.text_height, self.title_ascent = row, ascent, text_height, title_ascent


class LegendDragger(PointerGrab):
    """Moves the legend with a drag from anywhere on it; a click on its title collapses or expands it. A press
    on the legend is never the map's (no lasso, no pan, no account picked under it)."""

    claims_overlays = True

    def __init__(self, map_view, legend: Legend) -> None:
        super().__init__(map_view)
        self.legend = legend
        self._start: tuple[QPointF, QPointF] | None = None  # (press point, panel's top-left), layer coordinates

    def _local(self, point: Point) -> QPointF:
        return self.map.view_box.mapFromView(QPointF(*point))

    def hover(self, point: Point | None) -> None:
        part = None if point is None else self.legend.hit(self._local(point))
        cursor = {"title": Qt.CursorShape.PointingHandCursor, "body": Qt.CursorShape.OpenHandCursor}.get(part)
        self.show_cursor(cursor)

    def grab(self, point: Point) -> bool:
        local = self._local(point)
        if self.legend.hit(local) is None:
            return False
        self._start = (local, self.legend.panel_rect().topLeft())
        return True

    def clicked(self, point: Point, modifiers) -> bool:
        if self.legend.hit(self._local(point)) == "title":
            self.legend.set_collapsed(not self.legend.collapsed)
        return True  # a click on the legend's body does nothing, and picks nothing under it

    def drag_to(self, point: Point) -> None:
        self.show_cursor(Qt.CursorShape.ClosedHandCursor)
        pressed, corner = self._start
        self.legend.move_panel_to(corner + (self._local(point) - pressed))

    def drop(self, point: Point) -> None:
        self.drag_to(point)
        self.show_cursor(None)

    def cancel_drag(self) -> None:
        self.legend.move_panel_to(self._start[1])
        self.show_cursor(None)


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
