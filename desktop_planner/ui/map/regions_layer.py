"""Territory regions on the map (DESIGN.md, "Map gestures"): two screen layers fed with QPainterPaths in map
coordinates, one path per territory, converted once per region change (`geometry_path`).

`RegionFills`, under the dots: each territory's area, translucent so that the basemap and the dots stay
readable, with a thin dark outline. Stroking every outline costs ~20 ms a frame for 50 territories at 100k
accounts, so the layer keeps its last picture and only blits it while nothing but other layers changes (a
hovered border, a drag's tent, the dots' preview). During a border drag the two territories being reshaped are
left out of that picture and drawn from their preview paths on top of it, so a drag step repaints two paths.

`RegionMarks`, over the dots: territory names, the border under the pointer, the area a border drag sweeps
and the pieces of split territories. Drawing the names and the pieces costs ~10 ms a paint at 100k accounts
(~250 ms at 1M), yet they change only with the regions or the view, so the layer keeps a picture of each (a
QPixmap at the device's pixel ratio) and only blits them while other layers change (a lasso outline, the dots'
preview colours); the hovered border and a drag's tent, which change on their own, are drawn directly between
the two, in their usual order (pieces, tent, hovered border, names). Names are decluttered: the larger
territories' first, and a name that would overlap another or a home marker is left out; placed once per zoom
level (label rectangles only), not per frame.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pyqtgraph as pg
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

from desktop_planner.ui.map.screen_layer import LayerPicture, ScreenLayer

FILL_ALPHA = 70  # of 255: the basemap's roads and names still show through
STALE_OPACITY = 0.35  # regions older than the plan (a large undo being redrawn) are dimmed until they catch up
FADED_OPACITY = 0.3  # the fills under the heat overlay
OUTLINE = QColor(30, 30, 30, 200)
HOVER_HALO, HOVER_LINE = QColor(255, 255, 255, 230), QColor(20, 20, 20, 255)
TENT_EDGE = QColor(20, 20, 20, 230)
PIECE_HALO, PIECE_LINE = QColor(255, 255, 255, 200), QColor(160, 20, 20, 230)
LABEL_HALO, LABEL_TEXT = QColor(255, 255, 255, 220), QColor(25, 25, 25)
LABEL_PAD = 3  # room for the halo around a name
LABEL_POINTS = 9.5
MAX_STAMPS = 1000
MARKER_PIXELS = 28  # the size of a home marker, which a territory's name must not cover
LABEL_CELL = 64.0  # pixels: the grid that finds the names (and markers) a name would collide with
POLYGON_TYPE, LINE_TYPES = 3, (1, 2)  # shapely type ids: Polygon; LineString, LinearRing


def geometry_path(geometry: shapely.Geometry | None) -> QPainterPath:
    """A (multi)polygon or (multi)line as one path in map coordinates; a polygon's holes stay holes (odd-even
    fill). Other parts of a collection (points where shapes touch) are left out."""
    path = QPainterPath()
    if geometry is None or geometry.is_empty:
        return path
    parts = shapely.get_parts(shapely.get_parts(geometry))  # a collection may hold multi-parts
    kinds = shapely.get_type_id(parts)
    pieces = np.concatenate((shapely.get_rings(parts[kinds == POLYGON_TYPE]), parts[np.isin(kinds, LINE_TYPES)]))
    if len(pieces) == 0:
        return path
    coords, index = shapely.get_coordinates(pieces, return_index=True)
    connect = np.ones(len(coords), dtype=np.int32)  # connect[i] = 1 joins vertex i to vertex i + 1
    connect[np.flatnonzero(np.diff(index))] = 0
    path = pg.arrayToQPath(coords[:, 0], coords[:, 1], connect=connect, finiteCheck=False)
    path.setFillRule(Qt.FillRule.OddEvenFill)
    return path


def _cosmetic(color: QColor, width: float, style=Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    pen.setCosmetic(True)  # width in pixels, whatever the map transform
    return pen


class RegionFills(ScreenLayer):
    """The territories' areas. Feed paths (territory id -> path), colours and, during a drag, preview paths."""

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=-5)  # above the basemap (-10), under the heat raster and the dots
        self._paths: dict[int, QPainterPath] = {}
        self._fills: dict[int, QColor] = {}
        self._preview: dict[int, QPainterPath] = {}
        self._outline = _cosmetic(OUTLINE, 1.0)  # 1 px: Qt strokes it 3x faster than any wider pen
        self._version = 0
        self._picture = LayerPicture()
        self._stale = False  # drawn regions older than the plan: a refresh is on its way
        self._faded = False  # under the heat overlay

    def set_stale(self, on: bool) -> None:
        """Mark the regions drawn as out of date (dimmed, STALE_OPACITY) until the refresh arrives."""
        if bool(on) != self._stale:
            self._stale = bool(on)
            self._apply_opacity()

    def is_stale(self) -> bool:
        return self._stale

    def set_faded(self, on: bool) -> None:
        """Fade the fills (FADED_OPACITY) so that the heat overlay drawn over them reads clearly."""
        if bool(on) != self._faded:
            self._faded = bool(on)
            self._apply_opacity()

    def _apply_opacity(self) -> None:
        self.setOpacity(min(STALE_OPACITY if self._stale else 1.0, FADED_OPACITY if self._faded else 1.0))

    def paths(self) -> dict[int, QPainterPath]:
        return dict(self._paths)

    def set_paths(self, paths: dict[int, QPainterPath], replace: bool = False) -> None:
        """New paths for these territories (`replace`: for all of them)."""
        self._paths = dict(paths) if replace else {**self._paths, **paths}
        self._changed()

    def remove(self, territory_ids) -> None:
        for tid in territory_ids:
            self._paths.pop(tid, None)
        self._changed()

    def set_colors(self, colors: dict[int, str]) -> None:
        fills = {}
        for tid, name in colors.items():
            fills[tid] = QColor(name)
            fills[tid].setAlpha(FILL_ALPHA)
        if {t: c.rgba() for t, c in fills.items()} != {t: c.rgba() for t, c in self._fills.items()}:
            self._fills = fills
            self._changed()

    def set_preview(self, paths: dict[int, QPainterPath] | None) -> None:
        """Draw these territories from these paths instead (a drag under way); None: the committed ones."""
        self._preview = dict(paths or {})
        self.update()

    def _changed(self) -> None:
        self._version += 1
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        if not self._paths:
            return
        self._picture.paint(painter, self, self._draw_committed, (self._version, frozenset(self._preview)))
        if self._preview:
            painter.save()
            painter.setTransform(self._view_box.childTransform(), combine=True)
            self._draw(painter, self._preview)
            painter.restore()

    def _draw_committed(self, painter: QPainter) -> None:
        """The territories not being reshaped by a drag, in map coordinates."""
        painter.save()
        painter.setTransform(self._view_box.childTransform(), combine=True)
        self._draw(painter, {tid: p for tid, p in self._paths.items() if tid not in self._preview})
        painter.restore()

    def _draw(self, painter: QPainter, paths: dict[int, QPainterPath]) -> None:
        # Fills without antialiasing: neighbours then tile exactly, with no seam where both half-cover a pixel.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        for tid, path in paths.items():
            fill = self._fills.get(tid)
            if fill is not None:
                painter.setBrush(fill)
                painter.drawPath(path)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(self._outline)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for path in paths.values():
            painter.drawPath(path)


class RegionMarks(ScreenLayer):
    """Names, the hovered border, a drag's tent and split territories' pieces, over the dots."""

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=30)  # over the dots and the homes, under a stroke being drawn (40)
        self._labels: list[tuple[float, float, str]] = []
        self._by_priority: list[tuple[float, float, str, float]] = []
        self._labels_version = 0
        self._placement: tuple[tuple, list] | None = None  # (key, names placed) for the last scale and markers
        self._hover: QPainterPath | None = None
        self._tent: tuple[QPainterPath, QColor] | None = None
        self._pieces: dict[int, list[QPainterPath]] = {}
        self._avoid: Callable[[], list[tuple[float, float]]] = list
        self._covered: Callable[[], QRectF] = QRectF  # what is drawn over the names (the legend)
        self._stamps: dict[tuple[str, float], QImage] = {}
        # The pictures of the pieces and of the names: (key, picture, its corner), drawn anew when their version
        # (bumped by every change of what they show) or the view, the layer's size or the device changed.
        self._versions = {"pieces": 0, "names": 0}
        self._pictures = {"pieces": LayerPicture(), "names": LayerPicture()}
        self._font = QFont()
        self.set_text_scale(1.0)

    def _changed(self, picture: str | None = None) -> None:
        if picture is not None:
            self._versions[picture] += 1
        self.update()

    def set_text_scale(self, scale: float) -> None:
        """Names `scale` times their normal size (the workshop's large type); placed and stamped anew."""
        self._font = QFont()
        self._font.setPointSizeF(LABEL_POINTS * float(scale))
        self._font.setBold(True)
        self._stamps.clear()
        self._placement = None
        self._changed("names")

    def font(self) -> QFont:
        return QFont(self._font)

    def set_labels(self, labels: list[tuple]) -> None:
        """(x, y, name) or (x, y, name, priority) per territory, at a point inside its region. Where names would
        collide the higher priority (the larger territory) is shown; a name of infinite priority always is (its
        first word at least, over home markers if nothing else is free)."""
        self._labels = [tuple(label[:3]) for label in labels]
        prioritised = [(x, y, name, float(rest[0]) if rest else 0.0) for x, y, name, *rest in labels]
        self._by_priority = sorted(prioritised, key=lambda label: -label[3])  # stable: ties keep their order
        self._labels_version += 1
        self._changed("names")

    def avoid(self, points: Callable[[], list[tuple[float, float]]]) -> None:
        """Where markers are drawn (map coordinates, asked on each paint): a name over one moves below (or above)
        it, or is left out."""
        self._avoid = points
        self._changed("names")

    def set_covered(self, rect: Callable[[], QRectF]) -> None:
        """A rectangle of this layer drawn over the names (the legend, asked on each paint): a name under it is
        left out rather than shown half hidden. It is checked when drawing, not when placing: the legend stays
        put on screen while the map pans, and placing is done once per zoom."""
        self._covered = rect
        self._changed("names")

    def set_hover(self, path: QPainterPath | None) -> None:
        self._hover = path
        self._changed()

    def hovered(self) -> QPainterPath | None:
        return self._hover

    def set_tent(self, path: QPainterPath | None, color: str = "#000000") -> None:
        """The area a border drag sweeps, tinted with the colour of the territory it goes to."""
        if path is None:
            self._tent = None
        else:
            tint = QColor(color)
            tint.setAlpha(110)
            self._tent = (path, tint)
        self._changed()

    def set_pieces(self, pieces: dict[int, list[QPainterPath]]) -> None:
        """Territory id -> the outline path of each of its pieces, for the territories in several pieces."""
        self._pieces = dict(pieces)
        self._changed("pieces")

    def pieces(self) -> dict[int, list[QPainterPath]]:
        return dict(self._pieces)

    def paint(self, painter, option, widget=None) -> None:
        """Blit the pictures of the pieces and of the names, each drawn anew when what it shows, the view, the
        layer's size or the device changed; the tent and the hovered border are drawn between them."""
        if not self._pieces:
            self._pictures["pieces"].release()  # nothing to keep a picture of
        if not self._labels:
            self._pictures["names"].release()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self._pieces:
            self._pictures["pieces"].paint(painter, self, self._draw_pieces, self._versions["pieces"])
        if self._tent is not None or self._hover is not None:
            self._draw_tent_and_hover(painter)
        if self._labels:
            cover = self._covered()
            self._pictures["names"].paint(painter, self, self._paint_labels,
                                          (self._versions["names"], tuple(self._avoid()),
                                           (cover.x(), cover.y(), cover.width(), cover.height())))

    @property
    def renders(self) -> int:
        """Pictures drawn (not blits): for tests and benchmarks."""
        return sum(picture.renders for picture in self._pictures.values())

    def _draw(self, painter: QPainter) -> None:
        """Everything, straight onto `painter` (whose transform maps this layer's coordinates), uncached."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._draw_pieces(painter)
        self._draw_tent_and_hover(painter)
        self._paint_labels(painter)

    def _draw_pieces(self, painter: QPainter) -> None:
        painter.save()
        painter.setTransform(self._view_box.childTransform(), combine=True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for paths in self._pieces.values():
            for path in paths:
                painter.setPen(_cosmetic(PIECE_HALO, 4.0))
                painter.drawPath(path)
                painter.setPen(_cosmetic(PIECE_LINE, 2.0, Qt.PenStyle.DashLine))
                painter.drawPath(path)
        painter.restore()

    def _draw_tent_and_hover(self, painter: QPainter) -> None:
        painter.save()
        painter.setTransform(self._view_box.childTransform(), combine=True)
        if self._tent is not None:
            painter.setPen(_cosmetic(HOVER_HALO, 4.0))
            painter.setBrush(self._tent[1])
            painter.drawPath(self._tent[0])
            painter.setPen(_cosmetic(TENT_EDGE, 2.0, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._tent[0])
        if self._hover is not None:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(_cosmetic(HOVER_HALO, 6.0))
            painter.drawPath(self._hover)
            painter.setPen(_cosmetic(HOVER_LINE, 3.0))
            painter.drawPath(self._hover)
        painter.restore()

    def _paint_labels(self, painter: QPainter) -> None:
        if not self._labels:
            return
        dpr = painter.device().devicePixelRatioF()
        for name, box in self.drawn_labels():
            painter.drawImage(QPointF(box.left() - LABEL_PAD, box.top() - LABEL_PAD), self._stamp(name, dpr))

    def drawn_labels(self) -> list[tuple[str, QRectF]]:
        """The placed names that show: within the layer and not under what covers them (the legend)."""
        rect, cover = self.boundingRect(), self._covered()
        return [(name, box) for name, box in self.placed_labels()
                if rect.intersects(box) and (cover.isEmpty() or not cover.intersects(box))]

    def placed_labels(self, view=None) -> list[tuple[str, QRectF]]:
        """The names drawn, with their rectangles in this layer's coordinates. Larger territories are placed
        first; a name that would overlap one already placed or a home marker (after trying just below and just
        above the marker, and then its first word alone, "NE-19" for "NE-19 Binghamton") is left out. The placement depends only on the scale, the names and the markers, so it
        is computed once per zoom (a pan only shifts it) and the names do not flicker while the map moves."""
        view = view or self.view_transform()
        markers = tuple(self._avoid())
        # Rounded: a pan recomputes the transform, whose scale then differs in the last bits.
        key = (float(f"{view.sx:.9g}"), float(f"{view.sy:.9g}"), self._labels_version, markers)
        if self._placement is None or self._placement[0] != key:
            self._placement = (key, self._place(view.sx, view.sy, markers))
        return [(name, QRectF(left + view.tx, top + view.ty, width, height))
                for name, left, top, width, height in self._placement[1]]

    def _place(self, sx: float, sy: float, markers) -> list[tuple[str, float, float, float, float]]:
        metrics = QFontMetricsF(self._font)
        height = metrics.height()
        grid: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}

        def cells(l, t, r, b):
            return [(i, j) for i in range(int(l // LABEL_CELL), int(r // LABEL_CELL) + 1)
                    for j in range(int(t // LABEL_CELL), int(b // LABEL_CELL) + 1)]

        def hits(box):
            l, t, r, b = box
            for cell in cells(l, t, r, b):
                for ol, ot, orr, ob in grid.get(cell, ()):
                    if l < orr and ol < r and t < ob and ot < b:
                        return (ol, ot, orr, ob)
            return None

        def add(box):
            for cell in cells(*box):
                grid.setdefault(cell, []).append(box)

        half = MARKER_PIXELS / 2
        marker_boxes = []
        for mx, my in markers:
            px, py = mx * sx, my * sy
            marker_boxes.append((px - half, py - half, px + half, py + half))
        for box in marker_boxes:
            add(box)
        marker_set = set(marker_boxes)
        placed = []
        for x, y, full_name, priority in self._by_priority:
            px, py = x * sx, y * sy
            short = full_name.split(" ", 1)[0]
            for name in (full_name, short) if short != full_name else (full_name,):  # "NE-19 Binghamton", "NE-19"
                width = metrics.horizontalAdvance(name)
                box = (px - width / 2 - LABEL_PAD, py - height / 2 - LABEL_PAD,
                       px + width / 2 + LABEL_PAD, py + height / 2 + LABEL_PAD)
                if priority == math.inf and name == short:
                    blocker = None  # a name that must show (the active territory's): over the houses if need be
                else:
                    blocker = hits(box)
                if blocker is not None and blocker in marker_set:  # over a home: try below it, then above it
                    below = (box[0], blocker[3] + 1, box[2], blocker[3] + 1 + box[3] - box[1])
                    above = (box[0], blocker[1] - 1 - (box[3] - box[1]), box[2], blocker[1] - 1)
                    box = next((b for b in (below, above) if hits(b) is None), None)
                elif blocker is not None:
                    box = None
                if box is not None:
                    add(box)
                    placed.append((name, box[0] + LABEL_PAD, box[1] + LABEL_PAD, width, height))
                    break
        return placed

    def _stamp(self, name: str, dpr: float) -> QImage:
        """A name with its white halo (which keeps it readable over dots and borders), rendered once: stroking
        the outline of a text costs ~1 ms a name, too much for every frame of a drag."""
        stamp = self._stamps.get((name, dpr))
        if stamp is None:
            metrics = QFontMetricsF(self._font)
            width, height = metrics.horizontalAdvance(name) + 2 * LABEL_PAD, metrics.height() + 2 * LABEL_PAD
            stamp = QImage(math.ceil(width * dpr), math.ceil(height * dpr), QImage.Format.Format_ARGB32_Premultiplied)
            stamp.setDevicePixelRatio(dpr)
            stamp.fill(0)
            text = QPainterPath()
            text.addText(QPointF(LABEL_PAD, LABEL_PAD + metrics.ascent()), self._font, name)
            painter = QPainter(stamp)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.strokePath(text, _cosmetic(LABEL_HALO, 3.5))
            painter.fillPath(text, LABEL_TEXT)
            painter.end()
            if len(self._stamps) > MAX_STAMPS:  # renamed territories leave old names behind
                self._stamps.clear()
            self._stamps[(name, dpr)] = stamp
        return stamp
