"""Base class of the map layers that paint in screen pixels over the whole ViewBox.

The dots, the tiles, the stroke outline and the overlays all draw in device pixels (a dot is 5 pixels wide at
any zoom; a tile is blitted pixel-exact). Such items are children of the ViewBox itself, not of its child group,
so they never take part in auto-range and their bounding rect is simply the ViewBox's own rect. Each one
repaints when the view's transform changes.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QTransform


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

    def device_rect(self, painter) -> tuple[int, int, int, int]:
        """(left, top, width, height) in physical pixels of the part of this layer the painter can reach.

        The ViewBox clips its children, so the clip (when set) bounds the area worth rasterising.
        """
        rect = self.boundingRect()
        if painter.hasClipping():
            rect = rect.intersected(painter.clipBoundingRect())
        rect = painter.transform().mapRect(rect)
        dpr = painter.device().devicePixelRatioF()
        left, top = int(rect.left() * dpr), int(rect.top() * dpr)
        return left, top, max(0, int(rect.right() * dpr) - left), max(0, int(rect.bottom() * dpr) - top)
