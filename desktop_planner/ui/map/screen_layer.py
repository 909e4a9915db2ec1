"""Base class of the map layers that paint in screen pixels over the whole ViewBox.

The dots, the tiles, the stroke outline and the overlays all draw in device pixels (a dot is 5 pixels wide at
any zoom; a tile is blitted pixel-exact). Such items are children of the ViewBox itself, not of its child group,
so they never take part in auto-range and their bounding rect is simply the ViewBox's own rect. Each one
repaints when the view's transform changes.

Most layers change far less often than the map repaints: during a lasso only the stroke and the dots change, yet
every paint used to draw the tiles, the house markers, the legend and the names again (~15 ms of a frame at 100k
accounts). Such a layer keeps a `LayerPicture`: its drawing on a transparent pixmap, blitted (~0.3 ms for a
whole 1600x1000 view) until the view, the layer's size, the device or what the layer shows changes.
"""

from __future__ import annotations

import math
from typing import Callable, Hashable

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPaintEngine, QPainter, QPainterPath, QPen, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsItem

MAX_PICTURE_PIXELS = 8192 * 8192  # a larger view (never seen on a screen) is drawn directly, not cached


class ViewTransform:
    """Data (Web Mercator metres) -> device pixels for an axis-aligned view: px = x*sx + tx, py = y*sy + ty.

    `dpr` is the device pixel ratio; the coefficients already include it, so they address physical pixels.
    """

    __slots__ = ("sx", "tx", "sy", "ty", "dpr")

    def __init__(self, transform: QTransform, dpr: float = 1.0) -> None:
        self.sx, self.tx = transform.m11() * dpr, transform.m31() * dpr
        self.sy, self.ty = transform.m22() * dpr, transform.m32() * dpr
        self.dpr = dpr

    def to_pixels(self, x, y):
        return x * self.sx + self.tx, y * self.sy + self.ty

    def to_data(self, px, py):
        return (px - self.tx) / self.sx, (py - self.ty) / self.sy

    @property
    def metres_per_pixel(self) -> float:
        return 1.0 / abs(self.sx)


class ScreenLayer(pg.GraphicsObject):
    """A ViewBox child covering the ViewBox, painting in device pixels; never takes mouse events."""

    def __init__(self, view_box: pg.ViewBox, z: float) -> None:
        super().__init__()
        self._view_box = view_box
        self.setParentItem(view_box)
        self.setZValue(z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        # Qt then tells paint() which part of the layer is being repainted (option.exposedRect), which the
        # widget's own clip (the dirty region) does not reveal to the painter.
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        view_box.sigResized.connect(self._on_resized)
        view_box.sigTransformChanged.connect(lambda _view_box: self.update())

    def boundingRect(self) -> QRectF:
        return self._view_box.rect()

    def _on_resized(self, *_args) -> None:
        self.prepareGeometryChange()
        self.update()

    def view_transform(self, painter=None) -> ViewTransform:
        """Data -> device pixels; with a painter, for that painter's device (and its pixel ratio)."""
        child = self._view_box.childTransform()
        if painter is None:
            return ViewTransform(child)
        return ViewTransform(child * painter.transform(), painter.device().devicePixelRatioF())

    def device_rect(self, painter, option=None) -> tuple[int, int, int, int]:
        """(left, top, width, height) in physical pixels of the part of this layer the painter can reach.

        The ViewBox clips its children, so the clip (when set) bounds the area worth rasterising; so does the part
        of the view this paint repaints (`option.exposedRect`, a small rectangle when only a few dots changed).
        """
        rect = self.boundingRect()
        if painter.hasClipping():
            rect = rect.intersected(painter.clipBoundingRect())
        if option is not None and not option.exposedRect.isEmpty():
            rect = rect.intersected(option.exposedRect)
        rect = painter.transform().mapRect(rect)
        dpr = painter.device().devicePixelRatioF()
        left, top = int(rect.left() * dpr), int(rect.top() * dpr)
        return left, top, max(0, int(rect.right() * dpr) - left), max(0, int(rect.bottom() * dpr) - top)


class PathLayer(ScreenLayer):
    """A layer that strokes one QPainterPath in map coordinates with a cosmetic pen (as thin at every zoom), about
    a millisecond a paint; subclasses set `_path` and `_count` and call update()."""

    def __init__(self, view_box: pg.ViewBox, z: float, pen: QPen) -> None:
        super().__init__(view_box, z)
        self._path = QPainterPath()
        self._count = 0
        self._pen = pen
        self._pen.setCosmetic(True)

    def paint(self, painter, option, widget=None) -> None:
        if not self._count:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setTransform(self._view_box.childTransform(), combine=True)
        painter.setPen(self._pen)
        painter.drawPath(self._path)


class LayerPicture:
    """What a layer's `draw(painter)` draws, kept as a picture of the whole layer and blitted again while its key
    (the view, the layer's size and place, the device, and `inputs`) is the one it was drawn for.

    `draw` paints in the layer's coordinates with the painter it is given, as a plain `paint` would; the picture
    is drawn by the same code with the same transform, shifted to the picture's corner, so a blit shows exactly
    what drawing directly would. The layer calls `invalidate()` whenever what it shows changes.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._pixmap: QPixmap | None = None
        self._corner = QPointF()
        self._to_picture = QTransform()  # layer -> picture pixels, as the picture was drawn
        self._hints = QPainter.RenderHint.Antialiasing
        self.renders = 0  # pictures drawn (not blits): for tests and benchmarks
        self.patches = 0  # parts of a picture drawn again (redraw_area)
        self.scrolls = 0  # pictures shifted by a pan, with only the uncovered strips drawn
        self.scrollable = False  # see _scrolled: only for layers whose draw culls to the painter's clip

    def invalidate(self) -> None:
        self._key = None

    def release(self) -> None:
        """Drop the picture (the layer has nothing to show for now)."""
        self._key = self._pixmap = None

    def held(self) -> bool:
        return self._pixmap is not None

    def redraw_area(self, rect: QRectF, draw: Callable[[QPainter], None]) -> bool:
        """Draw `rect` (layer coordinates) of the picture again, clipped to it, leaving the rest as it is; the
        layer then repaints that rectangle only. `draw` must draw what the whole picture would show there. False
        when no picture is held (the next paint draws a whole one anyway)."""
        if self._pixmap is None or self._key is None:
            return False
        self.patches += 1
        painter = QPainter(self._pixmap)
        painter.setRenderHints(self._hints)
        painter.setTransform(self._to_picture)
        painter.setClipRect(rect)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        painter.fillRect(rect, Qt.GlobalColor.transparent)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        try:
            draw(painter)
        finally:
            painter.end()
        return True

    def paint(self, painter: QPainter, layer: ScreenLayer, draw: Callable[[QPainter], None],
              inputs: Hashable = ()) -> None:
        dpr = painter.device().devicePixelRatioF()
        rect = painter.transform().mapRect(layer.boundingRect())  # the whole layer, whatever this paint's clip
        left, top = math.floor(rect.left() * dpr), math.floor(rect.top() * dpr)
        width, height = math.ceil(rect.right() * dpr) - left, math.ceil(rect.bottom() * dpr) - top
        if width <= 0 or height <= 0:
            return
        engine = painter.paintEngine()
        if width * height > MAX_PICTURE_PIXELS or engine is None or engine.type() != QPaintEngine.Type.Raster:
            # A huge view, or a PDF page, which keeps text and shapes as vectors: drawn directly.
            self._key = self._pixmap = None
            self.renders += 1
            draw(painter)
            return
        to_device, child = painter.transform(), layer._view_box.childTransform()
        key = (left, top, width, height, dpr,
               to_device.m11(), to_device.m12(), to_device.m21(), to_device.m22(), to_device.m31(), to_device.m32(),
               child.m11(), child.m12(), child.m21(), child.m22(), child.m31(), child.m32(), inputs)
        if key != self._key or self._pixmap is None:
            if not self._scrolled(key, layer, draw):
                self._render(to_device, painter.renderHints(), left, top, width, height, dpr, draw)
            self._key = key
        painter.save()
        painter.resetTransform()
        painter.drawPixmap(self._corner, self._pixmap)
        painter.restore()

    def _scrolled(self, key: tuple, layer: ScreenLayer, draw: Callable[[QPainter], None]) -> bool:
        """For a `scrollable` picture whose view only moved by whole device pixels (a pan): shift the picture and
        draw only the strips the move uncovered (`draw` must then draw what lies in its painter's clip), instead
        of the whole view again. False when that does not apply."""
        old = self._key
        if not self.scrollable or old is None or self._pixmap is None or old[:15] != key[:15] or old[17:] != key[17:]:
            return False
        dpr, scale = key[4], key[5]
        dx, dy = (key[15] - old[15]) * scale, (key[16] - old[16]) * scale  # layer pixels
        if key[6] != 0 or key[7] != 0 or key[8] != scale or abs(dx * dpr - round(dx * dpr)) > 1e-3 or \
                abs(dy * dpr - round(dy * dpr)) > 1e-3:
            return False
        area = layer.boundingRect()
        if abs(dx) >= area.width() or abs(dy) >= area.height():
            return False
        self.scrolls += 1
        shifted = QPixmap(self._pixmap.size())
        shifted.setDevicePixelRatio(dpr)
        shifted.fill(Qt.GlobalColor.transparent)
        painter = QPainter(shifted)
        painter.drawPixmap(QPointF(dx, dy), self._pixmap)
        self._pixmap = shifted
        painter.setRenderHints(self._hints)
        painter.setTransform(self._to_picture)
        strips = []  # the uncovered strips, one pixel wider into the old picture (antialiasing at the seam)
        if dx:
            strips.append(QRectF(area.left(), area.top(), dx + 1, area.height()) if dx > 0 else
                          QRectF(area.right() + dx - 1, area.top(), 1 - dx, area.height()))
        if dy:
            strips.append(QRectF(area.left(), area.top(), area.width(), dy + 1) if dy > 0 else
                          QRectF(area.left(), area.bottom() + dy - 1, area.width(), 1 - dy))
        try:
            for strip in strips:
                painter.save()
                painter.setClipRect(strip)
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
                painter.fillRect(strip, Qt.GlobalColor.transparent)
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
                draw(painter)
                painter.restore()
        finally:
            painter.end()
        return True

    def _render(self, to_device: QTransform, hints, left: int, top: int, width: int, height: int, dpr: float,
                draw: Callable[[QPainter], None]) -> None:
        self.renders += 1
        if self._pixmap is None or self._pixmap.width() != width or self._pixmap.height() != height:
            self._pixmap = QPixmap(width, height)
        self._pixmap.setDevicePixelRatio(dpr)
        self._pixmap.fill(Qt.GlobalColor.transparent)
        self._corner = QPointF(left / dpr, top / dpr)
        painter = QPainter(self._pixmap)
        painter.setRenderHints(hints)  # as the painter it stands in for (antialiasing above all)
        self._hints = hints
        self._to_picture = to_device * QTransform.fromTranslate(-self._corner.x(), -self._corner.y())
        painter.setTransform(self._to_picture)
        try:
            draw(painter)
        finally:
            painter.end()
