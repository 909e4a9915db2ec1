"""Geography units on the map (issue 12): each unit filled with its territory's colour, thin unit outlines and
unit names once zoomed in, and the territory borders along unit borders.

`UnitFills` (under the dots) keeps a picture of the fills drawn opaque, without antialiasing (neighbours then tile
with no seam), and blits it translucent. `UnitBorders` (over the fills, under the dots) draws the borders, with
antialiasing, and the unit names. Both draw from `core.unit_shapes.UnitShapes`: the level of detail whose
simplification stays under a pixel, and only the units near the view once zoomed in.

A gesture's preview repaints only the units it changes: their bounding rectangle of each picture is drawn again
(LayerPicture.redraw_area) and only that part of the map is repainted, so a lasso step over a country of ZIP
areas costs what the handful of units under the pointer cost. A committed plan equal to the preview shown
changes nothing on screen.
"""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen

from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.unit_shapes import UnitShapes
from desktop_planner.ui.map.screen_layer import LayerPicture, ScreenLayer

FILL_OPACITY = 0.42  # the basemap's roads and names still read through the fills
OUTLINE = QColor(60, 60, 60)  # drawn inside the opaque picture, so faded with the fills
BORDER, BORDER_HALO = QColor(25, 25, 25, 235), QColor(255, 255, 255, 170)
BORDER_TO_NONE = QColor(90, 90, 90, 150)
LABEL_TEXT, LABEL_HALO = QColor(40, 40, 40), QColor(255, 255, 255, 200)
OUTLINE_MIN_PIXELS = 10.0  # unit outlines show once the typical visible unit is this wide on screen
LABEL_POINTS = 8.0
# A unit is named when its inscribed circle is this many text lines across: names stay readable, and as the
# circles of two units never overlap, a view holds at most a few hundred of them, on any screen.
LABEL_ROOM_LINES = 1.5
# Units are gathered for the view and this share of it around: a zoom in within a level gathers nothing anew, yet
# the paths stroked stay close to the view (a pan draws only the strip it uncovers).
CULL_MARGIN = 0.25
PATCH_SHARE = 0.5  # a change covering more of the view than this draws the whole picture again
STROKE_CHUNK = 1000
# More border than this (a whole country of ZIP areas) is drawn without its white halo, and as many lines between
# a territory and unassigned units are left out (the fills tell them apart at that scale).
HALO_MAX_VERTICES = 20_000


def _path(x: np.ndarray, y: np.ndarray, connect: np.ndarray) -> QPainterPath:
    if not len(x):
        return QPainterPath()
    path = pg.arrayToQPath(x, y, connect=connect, finiteCheck=False)
    path.setFillRule(Qt.FillRule.WindingFill)  # oriented rings: holes stay open, a neighbour's fill stays whole
    return path


def _stroke_paths(x: np.ndarray, y: np.ndarray, connect: np.ndarray) -> list[QPainterPath]:
    """Lines as several paths of about STROKE_CHUNK vertices each, cut where a line ends: Qt's stroker slows down
    more than linearly with a path's size (12k border vertices of the ZIP areas: 25 ms as one path, 9 ms in
    pieces of 1,000)."""
    ends = np.flatnonzero(connect == 0) + 1
    cuts = np.unique(ends[np.minimum(np.searchsorted(ends, np.arange(STROKE_CHUNK, len(x), STROKE_CHUNK)),
                                     len(ends) - 1)]) if len(ends) else np.empty(0, dtype=np.int64)
    bounds = [0, *[int(c) for c in cuts if 0 < c < len(x)], len(x)]
    return [pg.arrayToQPath(x[a:b], y[a:b], connect=connect[a:b], finiteCheck=False)
            for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def _cosmetic(color: QColor, width: float) -> QPen:
    pen = QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    pen.setCosmetic(True)
    return pen


class UnitsView:
    """The two unit layers of a map and what they show: the shapes, the committed unit territories with their
    colours, and a preview (a gesture under way)."""

    def __init__(self, view_box) -> None:
        self.shapes: UnitShapes | None = None
        self.committed = np.empty(0, dtype=np.int64)
        self.preview: np.ndarray | None = None
        self.colors: dict[int, QColor] = {}
        self.fills = UnitFills(view_box, self)
        self.borders = UnitBorders(view_box, self)
        self._visible = True

    def set_shapes(self, shapes: UnitShapes | None) -> None:
        self.shapes = shapes
        self.preview = None
        if shapes is None or len(self.committed) != len(shapes):
            self.committed = np.full(0 if shapes is None else len(shapes), UNASSIGNED, dtype=np.int64)
        self._redraw_all()

    def set_visible(self, on: bool) -> None:
        self._visible = bool(on)
        self.fills.setVisible(self._visible)
        self.borders.setVisible(self._visible)

    def is_shown(self) -> bool:
        return self.shapes is not None and self._visible

    def set_territories(self, territory: np.ndarray, colors: dict[int, str]) -> None:
        """The committed unit territories and the territory colours. Equal to the preview shown (a gesture just
        committed): nothing is drawn again."""
        territory = np.asarray(territory, dtype=np.int64)
        qcolors = {tid: QColor(name) for tid, name in colors.items()}
        recolored = {t: c.rgb() for t, c in qcolors.items()} != {t: c.rgb() for t, c in self.colors.items()}
        self.colors = qcolors
        shown = self.shown()
        self.committed = territory.copy()
        self.preview = None
        if recolored or self.shapes is None or len(shown) != len(territory):
            self._redraw_all()
        else:
            changed = np.flatnonzero(shown != territory)
            self._redraw_units(changed, shown[changed])

    def set_preview(self, territory: np.ndarray | None) -> None:
        """Show these unit territories instead of the committed ones (None: the committed ones again)."""
        shown = self.shown()
        self.preview = None if territory is None else np.asarray(territory, dtype=np.int64).copy()
        if self.shapes is not None and len(shown) == len(self.shown()):
            changed = np.flatnonzero(shown != self.shown())
            self._redraw_units(changed, shown[changed])

    def shown(self) -> np.ndarray:
        return self.committed if self.preview is None else self.preview

    def _redraw_all(self) -> None:
        for layer in (self.fills, self.borders):
            layer.forget()
            layer.redraw_all()

    def _redraw_units(self, units: np.ndarray, before: np.ndarray) -> None:
        """Units whose territory was `before` and is now as shown: drawn again where they are."""
        if not len(units) or self.shapes is None:
            return
        self.fills.forget(set(before.tolist()) | set(self.shown()[units].tolist()))
        self.borders.forget()
        b = self.shapes.bounds[units]
        box = QRectF()
        finite = np.isfinite(b).all(axis=1)
        if finite.any():
            x0, y0 = b[finite, 0].min(), b[finite, 1].min()
            x1, y1 = b[finite, 2].max(), b[finite, 3].max()
            box = self.fills.view_box_transform().mapRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        view = self.fills.boundingRect()
        box = box.adjusted(-3, -3, 3, 3).intersected(view)  # the border pen and antialiasing reach past the shapes
        if box.isEmpty():
            return
        if box.width() * box.height() > PATCH_SHARE * view.width() * view.height():
            self._redraw_all()
            return
        self.fills.redraw_area(box)
        self.borders.redraw_area(box)


class _UnitLayer(ScreenLayer):
    """What the two unit layers share: the picture, the units in view, the paths kept. A subclass draws with
    `_draw_units(painter, shapes, level, units, metres_per_pixel, whole)`."""
    def __init__(self, view_box, units: UnitsView, z: float) -> None:
        super().__init__(view_box, z)
        self.units = units
        self.picture = LayerPicture()
        self.picture.scrollable = True  # a pan draws only the strip it uncovers (_in_view culls to the clip)
        self._version = 0
        self._cull: tuple | None = None  # (level, box) the cached gathering is for
        self._gathered = np.empty(0, dtype=np.int64)
        # Paths of the whole gathering (by territory for the fills), kept while it stands: a zoom within a level
        # and a redraw after an edit build only what changed (building the paths of a country of ZIP areas takes
        # longer than filling them).
        self._paths: dict = {}

    def forget(self, keys=None) -> None:
        """Drop the kept paths of these keys (territory ids), or all of them."""
        if keys is None:
            self._paths.clear()
        else:
            for key in keys:
                self._paths.pop(key, None)

    def view_box_transform(self):
        return self._view_box.childTransform()

    def redraw_all(self) -> None:
        self._version += 1
        self.update()

    def redraw_area(self, rect: QRectF) -> None:
        if not self.picture.redraw_area(rect, self._draw):
            self._version += 1
        self.update(rect)

    def paint(self, painter, option, widget=None) -> None:
        if self.units.shapes is None:
            return
        self._blit(painter)

    def _blit(self, painter) -> None:
        self.picture.paint(painter, self, self._draw, self._version)

    def _draw(self, painter: QPainter) -> None:
        shapes = self.units.shapes
        painter.save()
        painter.setTransform(self._view_box.childTransform(), combine=True)
        try:
            level, units, metres_per_pixel, whole = self._in_view(painter, shapes)
            self._draw_units(painter, shapes, level, units, metres_per_pixel, whole)
        finally:
            painter.restore()

    def _in_view(self, painter: QPainter, shapes: UnitShapes) -> tuple[int, np.ndarray, float, bool]:
        """The level of detail for this zoom and the units worth drawing: those near the view (whole=True), or,
        for a partial redraw, those meeting the clip."""
        transform = painter.combinedTransform()
        metres_per_pixel = 1.0 / max(abs(transform.m11()), 1e-12)
        level = shapes.level_for(metres_per_pixel)
        inverse, _ = transform.inverted()
        device = painter.device()
        reach = inverse.mapRect(QRectF(0, 0, device.width(), device.height()))
        if painter.hasClipping():
            clip = painter.clipBoundingRect()  # in the painter's (map) coordinates
            return (level, shapes.units_in(clip.left(), clip.top(), clip.right(), clip.bottom()), metres_per_pixel,
                    False)
        # The gathering for the whole picture is kept while the view stays inside the box it was made for.
        box = self._cull[1] if self._cull is not None and self._cull[0] == (level, len(shapes)) else None
        if box is None or not box.contains(reach):
            grown = reach.adjusted(-CULL_MARGIN * reach.width(), -CULL_MARGIN * reach.height(),
                                   CULL_MARGIN * reach.width(), CULL_MARGIN * reach.height())
            self._cull = ((level, len(shapes)), grown)
            self._gathered = shapes.units_in(grown.left(), grown.top(), grown.right(), grown.bottom())
            self._paths.clear()
        return level, self._gathered, metres_per_pixel, True

    def _kept(self, key, whole: bool, build):
        """build(), kept under `key` when drawing the whole gathering."""
        if not whole:
            return build()
        if key not in self._paths:
            self._paths[key] = build()
        return self._paths[key]


class UnitFills(_UnitLayer):
    """Units filled with their territory's colour (none for unassigned ones), outlined once zoomed in."""

    def __init__(self, view_box, units: UnitsView) -> None:
        super().__init__(view_box, units, z=-6)  # above the basemap (-10), under the Voronoi regions (-5)

    def _blit(self, painter) -> None:
        painter.save()
        painter.setOpacity(painter.opacity() * FILL_OPACITY)
        super()._blit(painter)
        painter.restore()

    def _draw_units(self, painter, shapes, level, units, metres_per_pixel, whole: bool) -> None:
        territory = self.units.shown()[units]
        ragged = shapes.fills[level]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        order = np.argsort(territory, kind="stable")
        cuts = np.flatnonzero(np.diff(territory[order])) + 1
        for group in np.split(order, cuts):
            if not len(group):
                continue
            color = self.units.colors.get(int(territory[group[0]]))
            if color is None:
                continue  # unassigned, or a territory without a colour yet: the basemap shows
            painter.setBrush(color)
            members = units[group]
            painter.drawPath(self._kept(int(territory[group[0]]), whole, lambda: _path(*ragged.gather(members))))
        if _typical_pixels(shapes, units, metres_per_pixel) >= OUTLINE_MIN_PIXELS:
            painter.setPen(_cosmetic(OUTLINE, 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for path in self._kept("outlines", whole, lambda: _stroke_paths(*ragged.gather(units))):
                painter.drawPath(path)


class UnitBorders(_UnitLayer):
    """Territory borders along the unit borders, and the units' names when they fit."""

    def __init__(self, view_box, units: UnitsView) -> None:
        super().__init__(view_box, units, z=-4)  # over the fills and the regions, under the dots (10)
        self._font = QFont()
        self._font.setPointSizeF(LABEL_POINTS)
        self._label_by_id = False

    def _draw_units(self, painter, shapes, level, units, metres_per_pixel, whole: bool) -> None:
        lines = self._kept("borders", whole, lambda: self._border_paths(shapes, level, units))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for pen, paths in lines:
            painter.setPen(pen)
            for path in paths:
                painter.drawPath(path)
        self._draw_names(painter, shapes, units, metres_per_pixel)

    def _border_paths(self, shapes, level, units) -> list[tuple[QPen, list[QPainterPath]]]:
        """(pen, paths) to stroke in order: lines between a territory and unassigned units, then the borders."""
        territory = self.units.shown()
        near = np.zeros(len(shapes), dtype=bool)
        near[units] = True
        a, b = territory[shapes.edges[:, 0]], territory[shapes.edges[:, 1]]
        shown = near[shapes.edges[:, 0]] | near[shapes.edges[:, 1]]
        strokes = []
        # Where a territory meets units of none (a layer just set leaves the units without accounts unassigned)
        # a thin line: the strong borders are those between two territories.
        x, y, connect = shapes.lines[level].gather(
            np.flatnonzero(shown & (a != b) & ((a == UNASSIGNED) | (b == UNASSIGNED))))
        if len(x) <= HALO_MAX_VERTICES:  # zoomed out, the fills alone tell assigned from unassigned
            strokes.append((_cosmetic(BORDER_TO_NONE, 1.0), _stroke_paths(x, y, connect)))
        x, y, connect = shapes.lines[level].gather(
            np.flatnonzero(shown & (a != b) & (a != UNASSIGNED) & (b != UNASSIGNED)))
        paths = _stroke_paths(x, y, connect)
        if len(x) <= HALO_MAX_VERTICES:
            strokes.append((_cosmetic(BORDER_HALO, 3.2), paths))
        strokes.append((_cosmetic(BORDER, 1.6), paths))
        return strokes

    def forget(self, keys=None) -> None:
        super().forget(keys)
        if keys is None and self.units.shapes is not None:
            self._label_by_id = not names_tell_apart(self.units.shapes)

    def _draw_names(self, painter, shapes, units, metres_per_pixel) -> None:
        """A unit's name (its id for ZIP areas) in the middle of its largest inscribed circle, when it fits there:
        a rule of the unit alone, so names never collide and a partial redraw draws exactly what a whole one
        would."""
        metrics = QFontMetricsF(self._font)
        line = metrics.height()
        room = shapes.radius[units] / metres_per_pixel  # pixels
        roomy = units[room > line * LABEL_ROOM_LINES]
        if not len(roomy):
            return
        to_screen = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font)
        for u in roomy.tolist():
            text = _label(shapes, u, self._label_by_id)
            width = metrics.horizontalAdvance(text)
            if width > 2.4 * shapes.radius[u] / metres_per_pixel:  # a little past the circle, into its corners
                continue
            centre = to_screen.map(QPointF(*shapes.points[u]))
            rect = QRectF(centre.x() - width / 2, centre.y() - line / 2, width, line)
            painter.setPen(LABEL_HALO)
            for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                painter.drawText(rect.translated(dx, dy), Qt.AlignmentFlag.AlignCenter, text)
            painter.setPen(LABEL_TEXT)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


def _label(shapes: UnitShapes, unit: int, by_id: bool) -> str:
    """The unit's name, without a trailing state code ("Kent, RI" -> "Kent": the map shows the state), or its id
    when names do not tell units apart (ZIP areas are named by their town: a dozen say "Brooklyn")."""
    name, uid = shapes.names[unit], shapes.ids[unit]
    if by_id or not name:
        return str(uid)
    return re.sub(r", [A-Z]{2}$", "", str(name))


def names_tell_apart(shapes: UnitShapes) -> bool:
    return len(set(shapes.names.tolist())) >= 0.9 * len(shapes)


def _typical_pixels(shapes: UnitShapes, units: np.ndarray, metres_per_pixel: float) -> float:
    """The median width on screen of the units given."""
    if not len(units):
        return 0.0
    b = shapes.bounds[units]
    return float(np.nanmedian(np.sqrt((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])))) / metres_per_pixel
