"""The boundary drag (DESIGN.md, "Map gestures"): grab the border between two territories and bend it.

It belongs to the select tool, where a plain drag pans the map: with the pointer within a few pixels of a border
(drawn highlighted, with a move cursor) the drag bends the border instead. The other tools keep every drag for
their strokes, which often start on a border. It needs the regions on screen: a border nobody sees is not
grabbed.

While the pointer moves, core.border_drag.drag_preview says which accounts the bent border passes over; the
panel shows the figures as if they had moved, the dots take their new colours and the two regions their new
shapes, at most once a frame. Release commits ONE Reassign(action="drag") through the GestureController; Esc
cancels and shows the plan as it is. Locked accounts and locked territories never move (drag_preview leaves
them out, and Reassign would too).
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop_planner.core.border_drag import DragPreview, drag_preview
from desktop_planner.core.commands import Reassign, preview_assignment
from desktop_planner.ui.map.frame_throttle import FrameThrottle
from desktop_planner.ui.map.pointer_grab import Point, PointerGrab
from desktop_planner.ui.map.regions_layer import geometry_path

GRAB_PIXELS = 6.0  # how close to a border the pointer must be to grab it
GRAB_CURSOR = Qt.CursorShape.SizeAllCursor


class BorderDragController(PointerGrab):
    def __init__(self, map_view, regions) -> None:
        super().__init__(map_view)
        self.regions = regions
        self.controller = None  # the window's GestureController, set by attach()
        self.preview: DragPreview | None = None  # of the drag under way
        self._hovered = None  # the Border under the pointer
        self._border = None
        self._grab_xy: Point | None = None
        self._target: Point | None = None
        self._throttle = FrameThrottle(self._step, self)  # one preview a frame, however fast the mouse reports
        regions.changed.connect(self._regions_changed)

    def attach(self, controller) -> None:
        self.cancel()
        self.controller = controller

    def _enabled(self) -> bool:
        return (self.controller is not None and self.regions.draggable and self.regions.region_map is not None
                and self.map.tool() == "select")

    def _border_at(self, point: Point):
        """(Border, the point on it nearest `point`) within GRAB_PIXELS, or None."""
        if not self._enabled():
            return None
        return self.regions.region_map.nearest_border(point[0], point[1], GRAB_PIXELS * self.metres_per_pixel())

    # -- hover ----------------------------------------------------------------------------------------------
    def hover(self, point: Point | None) -> None:
        hit = None if point is None else self._border_at(point)
        border = None if hit is None else hit[0]
        if border is self._hovered:
            return
        self._hovered = border
        self.regions.marks.set_hover(None if border is None else geometry_path(border.line))
        self.show_cursor(None if border is None else GRAB_CURSOR)

    def _regions_changed(self) -> None:
        self.cancel()  # e.g. an undo (Ctrl+Z) while the button is down: the border grabbed may be gone
        self.hover(None)

    # -- the drag -------------------------------------------------------------------------------------------
    def grab(self, point: Point) -> bool:
        hit = self._border_at(point)
        if hit is None:
            return False
        self._border, self._grab_xy = hit
        self._target = None
        self.preview = None
        self.hover(None)  # the tent's edge shows the border from now on
        return True

    def ungrab(self) -> None:
        self._end()

    def drag_to(self, point: Point) -> None:
        self._target = point
        self._throttle.request()

    def _step(self) -> None:
        if self.dragging and self._target is not None:
            self.preview_to(self._target)

    def preview_to(self, point: Point) -> DragPreview:
        """One step of the drag: what releasing at `point` would do, shown in the panel and on the map."""
        preview = self._compute(point)
        self._show(preview)
        return preview

    def drop(self, point: Point) -> None:
        self._throttle.cancel()
        preview = self._compute(point)
        self._end()
        controller = self.controller
        if not preview.accounts.size:
            controller.show_committed()
            controller.message.emit(self._why_nothing_moved(preview))
            return
        controller.do(Reassign(controller.plan.active.id, preview.accounts, preview.into, action="drag"))

    def cancel_drag(self) -> None:
        self._throttle.cancel()
        self._end()
        self.controller.show_committed()
        self.controller.message.emit("Border drag cancelled.")

    def _end(self) -> None:
        self.regions.show_drag(None)
        self.preview = self._border = self._grab_xy = self._target = None

    def _compute(self, point: Point) -> DragPreview:
        scenario = self.controller.plan.active
        locked_territories = [tid for tid, t in scenario.territories.items() if t.locked]
        self.preview = drag_preview(self.regions.region_map, self._border, self._grab_xy, point, scenario.assignment,
                                    scenario.locked, locked_territories)
        return self.preview

    def _show(self, preview: DragPreview) -> None:
        controller = self.controller
        plan = controller.plan
        if preview.accounts.size:
            assignment = preview_assignment(plan, plan.active, preview.accounts, preview.into)
            controller.show_preview(controller.session.engine.measures(assignment=assignment), assignment)
        else:
            controller.show_committed()
        self.regions.show_drag(preview)
        names = plan.active.territories
        count = len(preview.accounts)
        controller.message.emit(f"Moving {count:,} account{'' if count == 1 else 's'} from "
                                f"{names[preview.from_territory].name} to {names[preview.into].name}: "
                                f"release to apply, Esc to cancel.")

    def _why_nothing_moved(self, preview: DragPreview) -> str:
        territories = self.controller.plan.active.territories
        locked = [territories[t].name for t in (preview.into, preview.from_territory) if territories[t].locked]
        if locked:
            return f"Nothing moved: territory {locked[0]} is locked."
        return "Nothing moved: the border passed over no account that can move."
