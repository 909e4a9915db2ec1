"""Reps' homes on the map: a house marker per territory in its colour, which can be dragged to move the home.

A territory without a home set is measured from the medoid of its accounts; its marker is drawn hollow there,
so that a planner sees at a glance which homes are real. Dragging a hollow marker sets a real home.

The markers are drawn above the dots in screen pixels (a house is 20 pixels tall at any zoom). The drag is a
PointerGrab, so it works with every tool: pressing on a marker moves the home instead of starting a lasso or a
pan. The layer only reports the drag (`homeDragged` while it moves, `homeDropped` on release,
`dragCancelled` on Esc); the window turns the drop into a command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QTransform

from desktop_planner.ui.map.frame_throttle import FrameThrottle
from desktop_planner.ui.map.pointer_grab import Point, PointerGrab
from desktop_planner.ui.map.screen_layer import LayerPicture, ScreenLayer

HIT_PIXELS = 11.0  # a press this close to a marker's centre grabs it
ACTIVE_SCALE = 1.3  # the active territory's home is drawn larger
EDGE, HALO = QColor(25, 25, 25), QColor(255, 255, 255, 230)
SPRITE_HALF = 16  # logical pixels from a marker's centre to its sprite's edge: the active house and its halo fit
MAX_SPRITES = 512


def house_path() -> QPainterPath:
    """A house outline centred on (0, 0), 20 pixels tall, with a door."""
    path = QPainterPath()
    path.moveTo(0, -10)
    for x, y in ((10, -1), (7, -1), (7, 9), (-7, 9), (-7, -1), (-10, -1)):
        path.lineTo(x, y)
    path.closeSubpath()
    path.addRect(-2, 3, 4, 6)  # the door: a hole, by the odd-even rule
    return path


def _pen(color: QColor, width: float) -> QPen:
    return QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)


@dataclass(frozen=True)
class Home:
    territory_id: int
    x: float  # map metres
    y: float
    color: str
    is_medoid: bool  # no home set: the medoid stands in, drawn hollow


class HomesLayer(ScreenLayer):
    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=20)  # over the dots, under the region names and a stroke
        self._homes: dict[int, Home] = {}
        self._active: int | None = None
        self._house = house_path()
        self.picture = LayerPicture()
        self._sprites: dict[tuple, QImage] = {}

    def _changed(self) -> None:
        self.picture.invalidate()
        self.update()

    def set_homes(self, homes: list[Home]) -> None:
        homes = {h.territory_id: h for h in homes}
        if homes != self._homes:
            self._homes = homes
            self._changed()

    def homes(self) -> dict[int, Home]:
        return dict(self._homes)

    def set_active(self, territory_id: int | None) -> None:
        if territory_id != self._active:
            self._active = territory_id
            self._changed()

    def move_home(self, territory_id: int, x: float, y: float) -> None:
        """Draw a home elsewhere while it is dragged (drawn filled: it becomes a real home when dropped)."""
        home = self._homes[territory_id]
        self._homes[territory_id] = Home(territory_id, x, y, home.color, False)
        self._changed()

    def home_at(self, point: Point, metres_per_pixel: float) -> int | None:
        """The territory whose marker is under `point` (the nearest, with the active one's on top), or None."""
        near = {}
        for home in self._homes.values():
            distance = math.hypot(home.x - point[0], home.y - point[1]) / metres_per_pixel
            if distance <= HIT_PIXELS:
                near[home.territory_id] = distance
        if self._active in near:
            return self._active
        return min(near, key=near.get) if near else None

    def paint(self, painter, option, widget=None) -> None:
        if self._homes:
            self.picture.paint(painter, self, self._draw)

    def _draw(self, painter) -> None:
        view = self.view_transform()
        rect = self.boundingRect().adjusted(-20, -20, 20, 20)
        dpr = painter.device().devicePixelRatioF()
        ordered = sorted(self._homes.values(), key=lambda h: h.territory_id == self._active)  # active on top
        for home in ordered:
            px, py = view.to_pixels(home.x, home.y)
            if not rect.contains(QPointF(px, py)):
                continue
            scale = ACTIVE_SCALE if home.territory_id == self._active else 1.0
            painter.drawImage(QPointF(px - SPRITE_HALF, py - SPRITE_HALF),
                              self._sprite(home.color, home.is_medoid, scale, dpr))

    def _sprite(self, color: str, hollow: bool, scale: float, dpr: float) -> QImage:
        """One marker, drawn once per look: stroking 50 antialiased houses took ~9 ms, and a release redraws
        them all whenever a medoid home moves."""
        key = (color, hollow, scale, dpr)
        sprite = self._sprites.get(key)
        if sprite is None:
            side = math.ceil(2 * SPRITE_HALF * dpr)
            sprite = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
            sprite.setDevicePixelRatio(dpr)
            sprite.fill(0)
            painter = QPainter(sprite)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            place = QTransform.fromTranslate(SPRITE_HALF, SPRITE_HALF)
            place.scale(scale, scale)  # in place: scale() returns a reference, which a temporary would not outlive
            shape = place.map(self._house)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(_pen(HALO, 4.0))
            painter.drawPath(shape)
            if hollow:
                painter.setBrush(QColor(255, 255, 255, 235))
                painter.setPen(_pen(QColor(color).darker(130), 2.4))
            else:
                painter.setBrush(QColor(color))
                painter.setPen(_pen(EDGE, 1.4))
            painter.drawPath(shape)
            painter.end()
            if len(self._sprites) > MAX_SPRITES:  # recoloured territories leave old looks behind
                self._sprites.clear()
            self._sprites[key] = sprite
        return sprite


class HomeDragger(PointerGrab):
    """Drags a home marker; the window decides what a drop means."""

    homeDragged = Signal(int, float, float)  # territory id, x, y in map metres, at most once a frame
    homeDropped = Signal(int, float, float)
    dragCancelled = Signal()

    def __init__(self, map_view, layer: HomesLayer) -> None:
        super().__init__(map_view)
        self.layer = layer
        self.territory_id: int | None = None
        self._origin: Home | None = None
        self._target: Point | None = None
        self._throttle = FrameThrottle(self._step, self)

    def _home_at(self, point: Point) -> int | None:
        return self.layer.home_at(point, self.metres_per_pixel()) if self.layer.isVisible() else None

    def hover(self, point: Point | None) -> None:
        over = point is not None and self._home_at(point) is not None
        self.show_cursor(Qt.CursorShape.PointingHandCursor if over else None)

    def grab(self, point: Point) -> bool:
        self.territory_id = self._home_at(point)
        if self.territory_id is None:
            return False
        self._origin = self.layer.homes()[self.territory_id]
        return True

    def drag_to(self, point: Point) -> None:
        self._target = point
        self.layer.move_home(self.territory_id, *point)
        self._throttle.request()

    def _step(self) -> None:
        if self.dragging and self._target is not None:
            self.homeDragged.emit(self.territory_id, *self._target)

    def drop(self, point: Point) -> None:
        self._throttle.cancel()
        self.layer.move_home(self.territory_id, *point)
        self.homeDropped.emit(self.territory_id, *point)

    def cancel_drag(self) -> None:
        self._throttle.cancel()
        homes = self.layer.homes()
        homes[self._origin.territory_id] = self._origin
        self.layer.set_homes(list(homes.values()))
        self.dragCancelled.emit()
