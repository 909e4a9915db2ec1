"""MapView: the map canvas of the main window, a self-contained widget.

Layers, bottom to top: the basemap tiles, whatever the window adds to `view_box` (data coordinates), the account
dots, the stroke under way, then the scale bar, legend and attribution. The view is a pyqtgraph ViewBox in Web
Mercator metres with the aspect ratio locked 1:1 and no axes. The ViewBox pans on drags and zooms on the wheel;
a subclass hands left-button drags and clicks to the gesture tools instead, except with the select tool or while
Space is held. The widget never changes the plan: it reports gestures and draws what it is told.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

from desktop_planner.core.geo import MERCATOR_RADIUS_M, lonlat_to_mercator
from desktop_planner.io.mbtiles import MBTilesError, default_basemap_path
from desktop_planner.ui.map.accounts_layer import AccountsLayer
from desktop_planner.ui.map.basemap_layer import BasemapLayer
from desktop_planner.ui.map.overlays import AttributionLabel, Legend, LegendDragger, ScaleBar
from desktop_planner.ui.map.tools import GestureTools
from desktop_planner.ui.map.units_layer import UnitsView

BACKGROUND = "#eef0f2"
HALF_WORLD_M = math.pi * MERCATOR_RADIUS_M
KEY_ZOOM = math.sqrt(2.0)
MIN_VIEW_M = 200.0  # narrowest view: a few blocks
DOTS_OVER_UNITS_DARKER = 135  # percent: QColor.darker, for dots drawn over unit fills of their own colour
# An account's tooltip stays this long while the pointer rests on the account (Qt's default is ~10 s); moving off
# the account hides it at once.
TOOLTIP_MS = 120_000
EMPTY_HINT_STYLE = ("QLabel { background: rgba(255, 255, 255, 225); border: 1px solid #c5cbd3; border-radius: 6px;"
                    " padding: 14px 20px; color: #333333; font-size: 15px; }")
# Shown before any accounts arrive: the contiguous United States.
DEFAULT_EXTENT_LONLAT = ((-125.0, 24.0), (-66.0, 50.0))
TOOL_CURSORS = {"select": Qt.CursorShape.OpenHandCursor, "rect": Qt.CursorShape.CrossCursor,
                "lasso": Qt.CursorShape.CrossCursor, "paint": Qt.CursorShape.CrossCursor}


class _MapViewBox(pg.ViewBox):
    """A ViewBox that gives left-button drags and clicks to the gesture tools and reports hover."""

    def __init__(self, owner: "MapView") -> None:
        super().__init__(lockAspect=1.0, enableMenu=False, invertY=False)
        self._owner = owner

    def mouseDragEvent(self, ev, axis=None) -> None:
        tools = self._owner.tools
        if ev.button() != Qt.MouseButton.LeftButton or tools.tool() == "select" or self._owner.space_held:
            super().mouseDragEvent(ev, axis)  # pan (left or middle button), zoom (right button)
            return
        ev.accept()
        pos = self.mapToView(ev.pos())
        if ev.isStart():
            tools.begin(self.mapToView(ev.buttonDownPos()), ev.modifiers())
            tools.move(pos, ev.modifiers())
        elif ev.isFinish():
            tools.finish(pos, ev.modifiers())
        else:
            tools.move(pos, ev.modifiers())

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner.tools.click(self.mapToView(ev.pos()), ev.modifiers())
        else:
            super().mouseClickEvent(ev)

    def hoverEvent(self, ev) -> None:
        if ev.isExit() or ev.buttons() or self._owner.legend().hit(ev.pos()) is not None:
            # no tooltips flickering past while the map is dragged, nor for accounts under the legend
            self._owner.hover_at(None)
        else:
            self._owner.hover_at(self.mapToView(ev.pos()), ev.screenPos().toPoint())

    def keyPressEvent(self, ev) -> None:
        ev.ignore()  # +/- zoom is MapView's; the ViewBox's own zoom history is not used


class MapView(QWidget):
    """The map. Gestures come out as signals; everything drawn comes in through the setters."""

    selectionPreview = Signal(object)  # int64 rows under the stroke under way; empty when it ends or is cancelled
    gestureFinished = Signal(object, str, bool)  # (rows, "click"|"rect"|"lasso"|"paint", select_only: Ctrl held)
    hoverChanged = Signal(int)  # row under the pointer, -1 for none

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._graphics = pg.GraphicsView(background=BACKGROUND)
        self._graphics.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._graphics)
        self.setFocusProxy(self._graphics)

        self.view_box = _MapViewBox(self)
        self._graphics.setCentralItem(self.view_box)
        self.view_box.setBackgroundColor(BACKGROUND)
        self.view_box.disableAutoRange()
        slack = 1.2 * HALF_WORLD_M  # a little room beyond the world's edge, so that it can be centred
        self.view_box.setLimits(xMin=-slack, xMax=slack, yMin=-slack, yMax=slack, minXRange=MIN_VIEW_M,
                                minYRange=MIN_VIEW_M, maxXRange=2 * slack, maxYRange=2 * slack)

        self._basemap = BasemapLayer(self.view_box)
        self._dots = AccountsLayer(self.view_box)
        self.units = UnitsView(self.view_box)
        self.tools = GestureTools(self.view_box, self._dot_radius_px, parent=self)
        self.tools.selectionPreview.connect(self.selectionPreview)
        self.tools.gestureFinished.connect(self.gestureFinished)
        self._scale_bar = ScaleBar(self.view_box)
        self._legend = Legend(self.view_box)
        self._attribution = AttributionLabel(self.view_box)
        self._units_note = ""
        self.legend_dragger = LegendDragger(self, self._legend)

        self._accounts = None
        self._assignment: np.ndarray | None = None
        self._colors: dict[int, str] = {}
        self._fitted = False
        self._hover_row = -1
        self.space_held = False
        self._tooltip_provider: Callable[[int], str] | None = None
        self._empty_hint = QLabel(self)  # shown over the map while there are no accounts: what to do first
        self._empty_hint.setObjectName("empty_map_hint")
        self._empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_hint.setStyleSheet(EMPTY_HINT_STYLE)
        self._empty_hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._empty_hint.hide()
        self._graphics.installEventFilter(self)
        self._graphics.viewport().installEventFilter(self)
        self._graphics.viewport().grabGesture(Qt.GestureType.PinchGesture)
        self._update_cursor()
        self._show_extent(*DEFAULT_EXTENT_LONLAT)
        default = default_basemap_path()
        if default is not None:
            try:
                self.set_basemap(str(default))
            except MBTilesError:
                pass  # a damaged installation: the map works without a basemap

    # ---- data in ------------------------------------------------------------------------------------------

    def set_accounts(self, accounts) -> None:
        """New accounts (core Accounts): rebuilds the KD-tree; clears assignment, selection, locks, preview."""
        self._accounts = accounts
        self._assignment = None
        self._dots.set_positions(accounts.x, accounts.y, accounts.potential)
        self.tools.set_points(accounts.x, accounts.y)
        self._set_hover_row(-1)
        self._show_empty_hint()
        if not self._fitted and len(accounts):
            self.fit_to_accounts()
            self._fitted = True

    def set_assignment(self, assignment: np.ndarray, colors: dict[int, str]) -> None:
        """Territory id per account (UNASSIGNED = -1, grey) and territory id -> "#rrggbb"."""
        self._colors = dict(colors)
        if self.units.shapes is not None:  # over units filled in the same colour, a dot shows a shade darker
            colors = {tid: QColor(c).darker(DOTS_OVER_UNITS_DARKER).name() for tid, c in colors.items()}
        self._dots.set_assignment(assignment, colors)
        self._assignment = np.asarray(assignment)

    def set_locked(self, locked: np.ndarray) -> None:
        self._dots.set_locked(locked)

    def set_selection(self, indices: np.ndarray) -> None:
        self._dots.set_selection(indices)
        self.tools.set_selection(indices)

    def set_highlight(self, territory_id: int | None) -> None:
        self._dots.set_highlight(territory_id)

    def set_preview(self, assignment: np.ndarray | None) -> None:
        """Draw a hypothetical assignment (while a stroke is under way); None returns to the real one."""
        self._dots.set_preview(assignment)

    def set_units(self, shapes, note: str = "") -> None:
        """The geography units to draw and pick (a core.unit_shapes.UnitShapes), or None; `note` names them in
        the map's corner (an approximate layer must say so wherever it is shown)."""
        shown_before = self.units.shapes is not None
        self.units.set_shapes(shapes)
        self.tools.set_units(shapes)
        if self._assignment is not None and shown_before != (shapes is not None):
            self.set_assignment(self._assignment, self._colors)
        self._units_note = note if shapes is not None else ""
        self._show_attribution()

    def _show_attribution(self) -> None:
        self._attribution.set_text(" · ".join(t for t in (self._units_note, self._basemap.attribution()) if t))

    def set_size_by_potential(self, on: bool) -> None:
        self._dots.set_size_by_potential(bool(on))

    def set_dots_visible(self, on: bool) -> None:
        """Hide the dots (the "regions only" view); clicks and strokes still pick the accounts under them."""
        self._dots.setVisible(bool(on))

    def set_legend(self, entries: list[tuple[str, str]]) -> None:
        """(name, "#rrggbb") per territory, in display order."""
        self._legend.set_entries(entries)

    def set_legend_visible(self, on: bool) -> None:
        self._legend.setVisible(bool(on))

    def legend(self) -> Legend:
        return self._legend

    def over_overlay(self, pos: QPoint) -> bool:
        """Whether a viewport pixel is on the legend (whose presses move or collapse it, whatever the tool)."""
        local = self.view_box.mapFromScene(self._graphics.mapToScene(pos))
        return self._legend.hit(local) is not None

    def set_basemap(self, path: str | None) -> None:
        """Show the tiles of an MBTiles file (None: no basemap). A bad file raises MBTilesError naming it,
        and the previous basemap stays."""
        self._basemap.set_basemap(path)
        self._show_attribution()

    def basemap_path(self) -> str | None:
        path = self._basemap.path()
        return None if path is None else str(path)

    def set_tooltip_provider(self, fn: Callable[[int], str]) -> None:
        self._tooltip_provider = fn

    def set_empty_hint(self, text: str) -> None:
        """What to say over the map while it has no accounts ("" for nothing)."""
        self._empty_hint.setText(text)
        self._show_empty_hint()

    def empty_hint(self) -> QLabel:
        return self._empty_hint

    def _show_empty_hint(self) -> None:
        empty = self._accounts is not None and len(self._accounts) == 0
        self._empty_hint.setVisible(bool(empty and self._empty_hint.text()))
        self._place_empty_hint()

    def _place_empty_hint(self) -> None:
        hint = self._empty_hint
        hint.adjustSize()
        hint.move(max(0, (self.width() - hint.width()) // 2), max(0, (self.height() - hint.height()) // 2))
        hint.raise_()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_empty_hint()

    # ---- tools --------------------------------------------------------------------------------------------

    def set_tool(self, name: str) -> None:
        """"select", "rect", "lasso" or "paint"; a stroke under way is cancelled."""
        self.tools.set_tool(name)
        self._update_cursor()

    def tool(self) -> str:
        return self.tools.tool()

    def set_brush_radius(self, pixels: float) -> None:
        self.tools.set_brush_radius(pixels)

    # ---- the view -----------------------------------------------------------------------------------------

    def fit_to_accounts(self) -> None:
        if self._accounts is None or len(self._accounts) == 0:
            return
        x, y = self._accounts.x, self._accounts.y
        finite = np.isfinite(x) & np.isfinite(y)
        if not finite.any():
            return
        x0, x1, y0, y1 = x[finite].min(), x[finite].max(), y[finite].min(), y[finite].max()
        grow_x, grow_y = max(0.0, MIN_VIEW_M * 5 - (x1 - x0)) / 2, max(0.0, MIN_VIEW_M * 5 - (y1 - y0)) / 2
        self.view_box.setRange(xRange=(x0 - grow_x, x1 + grow_x), yRange=(y0 - grow_y, y1 + grow_y), padding=0.04)

    def zoom_by(self, factor: float, around: tuple[float, float] | None = None) -> None:
        """Magnify by `factor` (> 1 zooms in) about a data point, by default the view's centre."""
        if factor <= 0:
            raise ValueError(f"zoom factor must be positive, got {factor!r}")
        self.view_box.scaleBy((1.0 / factor, 1.0 / factor), center=None if around is None else QPointF(*around))

    def show_area(self, x_min: float, y_min: float, x_max: float, y_max: float) -> None:
        """Fit this area (Web Mercator metres) into the map, whatever its size: after the map was resized, the
        same part of the world stays in view instead of the same scale."""
        self.view_box.setRange(xRange=(x_min, x_max), yRange=(y_min, y_max), padding=0)

    def view_range_mercator(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the visible area in Web Mercator metres."""
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        return float(x0), float(y0), float(x1), float(y1)

    def viewport(self) -> QWidget:
        """The widget that receives the mouse (for tests and for the window's drop targets)."""
        return self._graphics.viewport()

    def map_to_viewport(self, x: float, y: float) -> QPoint:
        """Viewport pixel of a data point."""
        scene = self.view_box.mapViewToScene(QPointF(x, y))
        return self._graphics.mapFromScene(scene)

    def map_from_viewport(self, pos: QPoint) -> tuple[float, float]:
        point = self.view_box.mapSceneToView(self._graphics.mapToScene(pos))
        return point.x(), point.y()

    # ---- hover --------------------------------------------------------------------------------------------

    def hover_at(self, pos, screen_pos: QPoint | None = None) -> None:
        """The pointer is at data point `pos` (None: it left the map): update hover, tooltip, brush cursor."""
        self.tools.set_hover(pos)
        row = -1 if pos is None or self.tools.is_active() else self.tools.pick(pos)
        if self._set_hover_row(row) and row >= 0 and screen_pos is not None:
            self._show_tooltip(screen_pos)

    def _show_tooltip(self, screen_pos: QPoint) -> None:
        """The hovered account's tooltip, kept while the pointer stays within the account's dot."""
        row = self._hover_row
        viewport = self._graphics.viewport()
        centre = self.map_to_viewport(float(self._accounts.x[row]), float(self._accounts.y[row]))
        reach = int(math.ceil(self._dot_radius_px() + 4))
        area = QRect(centre.x() - reach, centre.y() - reach, 2 * reach + 1, 2 * reach + 1)
        QToolTip.showText(screen_pos, self.tooltip_text(row), viewport, area, TOOLTIP_MS)

    def tooltip_text(self, row: int) -> str:
        if self._tooltip_provider is not None:
            return self._tooltip_provider(row)
        a = self._accounts
        visits = a.visits_per_year[row]
        lines = [str(a.name[row] or a.external_id[row])]
        if self._assignment is not None:
            lines.append(f"Territory: {self._assignment[row] if self._assignment[row] >= 0 else 'unassigned'}")
        lines.append(f"Potential: {a.potential[row]:,.0f}")
        lines.append(f"Visits per year: {'default' if np.isnan(visits) else f'{visits:g}'}")
        return "\n".join(lines)

    def _set_hover_row(self, row: int) -> bool:
        if row == self._hover_row:
            return False
        self._hover_row = row
        if row < 0:
            QToolTip.hideText()
        self.hoverChanged.emit(row)
        return True

    # ---- keys, gestures and helpers -----------------------------------------------------------------------

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress:
            return self._key_pressed(event)
        if kind == QEvent.Type.KeyRelease:
            return self._key_released(event)
        if kind == QEvent.Type.NativeGesture and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
            point = self.view_box.mapSceneToView(self._graphics.mapToScene(event.position().toPoint()))
            self.zoom_by(1.0 + event.value(), (point.x(), point.y()))  # touchpad pinch
            event.accept()  # else Qt offers it to the parent widgets too, and it would zoom twice
            return True
        if kind == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:  # touch-screen pinch
                self.zoom_by(pinch.scaleFactor())
                event.accept(pinch)
                return True
        if kind == QEvent.Type.Leave and watched is self._graphics.viewport():
            self.hover_at(None)
        if kind == QEvent.Type.ToolTip and watched is self._graphics.viewport():
            # Qt asks for a tooltip after the pointer rests ~0.7 s; the scene has none of its own and would hide
            # the account's. Keep (or bring back) the account's instead.
            if self._hover_row >= 0 and self._accounts is not None and self._hover_row < len(self._accounts):
                self._show_tooltip(event.globalPos())
            return True
        return False

    def keyPressEvent(self, event) -> None:
        if not self._key_pressed(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if not self._key_released(event):
            super().keyReleaseEvent(event)

    def _key_released(self, event) -> bool:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.space_held = False
            self._update_cursor()
            return True
        return False

    def _key_pressed(self, event) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape and self.tools.is_active():
            self.tools.cancel()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(KEY_ZOOM)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_by(1.0 / KEY_ZOOM)
        elif key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self.space_held = True
                self._update_cursor()
        else:
            return False
        return True

    def _update_cursor(self) -> None:
        shape = Qt.CursorShape.OpenHandCursor if self.space_held else TOOL_CURSORS[self.tools.tool()]
        self._graphics.viewport().setCursor(shape)

    def _dot_radius_px(self) -> float:
        return self._dots.largest_radius(abs(self.view_box.childTransform().m11()))

    def _show_extent(self, lower_left, upper_right) -> None:
        (x0, x1), (y0, y1) = lonlat_to_mercator([lower_left[0], upper_right[0]], [lower_left[1], upper_right[1]])
        self.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
