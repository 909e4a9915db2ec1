"""Base of the map gestures that grab something drawn on the map (a territory border, a rep's home marker).

Such a gesture must see the mouse before the map does: pressing on a border with the select tool would
otherwise pan the map, and pressing on a home with the lasso tool would start a lasso. So the grab filters the
events of the map's viewport: a press on something grabbable (the subclass's `grab`) is taken, and the moves
and the release that follow go to `drag_to` and `drop`; every other event goes on to the map untouched.
A press released before the pointer moved a few pixels is the map's click after all, passed on to its tools
(so an account next to a border can still be clicked). Escape during a drag calls `cancel_drag`. The window
has an Esc shortcut of its own (drop the selection), so the grab claims the key through ShortcutOverride while
it drags: Escape then cancels the drag and nothing else. A press on one of the map's screen overlays (the
legend) belongs to that overlay's grab (`claims_overlays`), never to what is drawn under it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QCursor

Point = tuple[float, float]
HANDLED = (QEvent.Type.MouseMove, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.Leave,
           QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
DRAG_START_PIXELS = 3  # the pointer must move this far (Manhattan) with the button down before a drag starts


class PointerGrab(QObject):
    """Subclasses implement grab(point) -> bool, drag_to(point), drop(point), cancel_drag(), and may implement
    hover(point | None), ungrab() and clicked(point, modifiers)."""

    claims_overlays = False  # True for the grab of an overlay itself: the others leave presses on it alone

    def __init__(self, map_view) -> None:
        super().__init__(map_view)
        self.map = map_view
        self.dragging = False
        self._pressed: tuple[QPoint, Qt.KeyboardModifier] | None = None  # grabbed, not yet moved far enough
        self._swallow_release = False  # the drag was cancelled while the button is still down
        self._hover_cursor: tuple[QCursor, Qt.CursorShape] | None = None  # (the map's cursor, ours)
        # Kept, not asked for on each event: while the window is torn down the map may be gone before they are.
        self._viewport = map_view.viewport()
        self._viewport.installEventFilter(self)
        map_view.focusProxy().installEventFilter(self)

    def show_cursor(self, shape: Qt.CursorShape | None) -> None:
        """Our cursor over something grabbable; None gives the map's own back (unless the map has set another
        since, for another tool)."""
        if shape is not None:
            if self._hover_cursor is None:
                self._hover_cursor = (self._viewport.cursor(), shape)
            self._viewport.setCursor(shape)
        elif self._hover_cursor is not None:
            previous, ours = self._hover_cursor
            self._hover_cursor = None
            if self._viewport.cursor().shape() == ours:
                self._viewport.setCursor(previous)

    def metres_per_pixel(self) -> float:
        return 1.0 / abs(self.map.view_box.childTransform().m11())

    def cancel(self) -> None:
        """End a drag under way without its result (Esc, or the plan changed under it)."""
        if self._pressed is not None:
            self._pressed = None
            self._swallow_release = True
            self.ungrab()
        if self.dragging:
            self.dragging = False
            self._swallow_release = True
            self.cancel_drag()

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind not in HANDLED:
            return False
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            if (self.dragging or self._pressed is not None) and event.key() == Qt.Key.Key_Escape:
                event.accept()
                if kind == QEvent.Type.KeyPress:
                    self.cancel()
                return True
            return False
        if watched is not self._viewport:
            return False
        if kind == QEvent.Type.MouseMove:
            return self._moved(event)
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._swallow_release = False
            if not self.map.space_held and not self._under_overlay(event) and self.grab(self._point(event)):
                self._pressed = (event.position().toPoint(), event.modifiers())
                return True
            return False
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            return self._released(event)
        if kind == QEvent.Type.Leave and not self.dragging:
            self.hover(None)
        return False

    def _moved(self, event) -> bool:
        point = self._point(event)
        if self._pressed is not None:
            if (event.position().toPoint() - self._pressed[0]).manhattanLength() < DRAG_START_PIXELS:
                return True  # a hand's tremor on a click is no drag
            self._pressed = None
            self.dragging = True
        if self.dragging:
            self.drag_to(point)
            return True
        if event.buttons() == Qt.MouseButton.NoButton:
            self.hover(None if self._under_overlay(event) else point)
        return False

    def _released(self, event) -> bool:
        point = self._point(event)
        if self.dragging:
            self.dragging = False
            self.drop(point)
            return True
        if self._pressed is not None:
            # A click on what was grabbable: it is the map's click after all (select an account, dab paint).
            modifiers = self._pressed[1]
            self._pressed = None
            self.ungrab()
            if not self.clicked(point, modifiers):
                self.map.tools.click(point, modifiers)
            return True
        swallow, self._swallow_release = self._swallow_release, False
        return swallow

    def _under_overlay(self, event) -> bool:
        """The pointer is over an overlay that takes presses itself (and this grab is not that overlay's)."""
        over = getattr(self.map, "over_overlay", None)
        return not self.claims_overlays and over is not None and over(event.position().toPoint())

    def _point(self, event) -> Point:
        return self.map.map_from_viewport(event.position().toPoint())

    # -- for subclasses -------------------------------------------------------------------------------------
    def hover(self, point: Point | None) -> None:
        """The pointer moved with no button down (None: it left the map)."""

    def grab(self, point: Point) -> bool:
        """A left press at `point`: True takes it (a drag may follow), False leaves it to the map."""
        raise TypeError(f"{type(self).__name__} must define grab()")  # the border and home drags do

    def ungrab(self) -> None:
        """The press was released (or Esc pressed) before the pointer moved: forget the grab; nothing changed."""

    def clicked(self, point: Point, modifiers) -> bool:
        """A press released before the pointer moved: True when it was handled here, False hands it to the map's
        tools as a click (the default)."""
        return False

    def drag_to(self, point: Point) -> None:
        """The pointer moved with the grab held: preview."""
        raise TypeError(f"{type(self).__name__} must define drag_to()")

    def drop(self, point: Point) -> None:
        """Released after moving: commit one command."""
        raise TypeError(f"{type(self).__name__} must define drop()")

    def cancel_drag(self) -> None:
        """Esc during the drag: back to the committed state."""
        raise TypeError(f"{type(self).__name__} must define cancel_drag()")
