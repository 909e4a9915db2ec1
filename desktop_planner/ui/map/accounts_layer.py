"""Every account as a dot, rasterised with numpy into one QImage per paint (DESIGN rule 5).

A graphics item, or a scatter-plot spot, per account is far too slow at 100k accounts. Here each paint maps
the coordinates to pixels with two multiply-adds, culls what lies outside the view and writes each dot as a
small stamp of pixel offsets into a uint32 ARGB buffer, which QPainter blits in one call. Colours come from a
cached per-account array, rebuilt only when the assignment (real or preview), the colours or the highlight
change; the selection and the locks are cached as index arrays. Passes paint, in order: every dot; the dots
of the highlighted territory, larger; the selection, as a dark ring; the locked accounts, as squares with a
dark edge. Within a pass later dots overwrite earlier ones; stamp offsets run from the rim inwards so every
dot keeps its centre when neighbours overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage

from desktop_planner.core.geo import MERCATOR_RADIUS_M
from desktop_planner.core.model import territory_index
from desktop_planner.ui.map.screen_layer import ScreenLayer

UNASSIGNED_COLOR = "#8c8c8c"
SELECTION_RING = 0xFF111111
LOCKED_EDGE = 0xFF262626
DIM_TOWARDS_WHITE = 0.4  # how far accounts outside a highlighted territory fade
SELECTION_RING_WIDTH = 2  # logical pixels
# Above this many dots per pixel of the view, dots that share a centre pixel are thinned before stamping.
DEDUPE_ABOVE_DOTS_PER_PIXEL = 0.125
# Radius factors of the potential classes (area grows with potential), drawn largest first so that the
# small dots stay visible on top of the big ones.
POTENTIAL_CLASS_SCALES = (2.0, 1.5, 1.0, 0.6)
WORLD_WIDTH_M = 2 * math.pi * MERCATOR_RADIUS_M
# A preview that recolours at most this many dots repaints only the rectangle around them: a lasso step then
# rasterises a few hundred pixels square instead of the whole view (~5 ms at 100k accounts).
PARTIAL_REPAINT_MAX_DOTS = 50_000
PATCH_AREA_SHARE = 0.5  # a repaint of more of the view than this rasterises the whole picture again


def argb(color: str) -> int:
    """"#rrggbb" -> opaque 0xAARRGGBB (also valid premultiplied, since alpha is 255)."""
    return 0xFF000000 | int(color.lstrip("#")[:6], 16)


def dot_radius(pixels_per_metre: float) -> int:
    """Base dot radius in logical pixels for a zoom: 2 across a region or a country, growing to 6 on a street."""
    zoom = math.log2(max(pixels_per_metre * WORLD_WIDTH_M / 256.0, 1e-9))
    return int(min(6, max(2, math.floor(zoom / 2) - 1)))


def _stamp_offsets(shape: str, radius: int, stride: int, ring_width: int) -> np.ndarray:
    """Flat buffer offsets of a stamp ("disk", "square" or a "ring" around the disk), from the rim inwards."""
    reach = radius + ring_width if shape == "ring" else radius
    dy, dx = (a.ravel() for a in np.mgrid[-reach:reach + 1, -reach:reach + 1])
    d2 = dx * dx + dy * dy
    if shape == "disk":
        keep = d2 <= radius * radius + radius  # (r + 1/2)^2 rounded: round dots without a lone tip pixel
    elif shape == "ring":
        keep = (d2 > radius * radius + radius) & (d2 <= reach * reach + reach)
    else:  # square
        keep = np.ones_like(d2, dtype=bool)
    order = np.argsort(-d2[keep], kind="stable")
    return (dy[keep] * stride + dx[keep])[order].astype(np.intp)


class AccountsLayer(ScreenLayer):
    """The dots. Feed it coordinates, then assignment/colours, selection, locks, highlight, preview."""

    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=10)
        self._x = self._y = np.empty(0)
        self._potential = np.empty(0)
        self._assignment: np.ndarray | None = None
        self._preview: np.ndarray | None = None
        self._colors: dict[int, str] = {}
        self._highlight: int | None = None
        self._selected_rows = np.empty(0, dtype=np.intp)
        self._locked_rows = np.zeros(0, dtype=bool)
        self._size_by_potential = False
        self._offsets: dict[tuple[str, int, int, int], np.ndarray] = {}
        self._canvas = np.empty(0, dtype=np.uint32)  # the whole picture's pixels
        self._scratch = np.empty(0, dtype=np.uint32)  # a patch's
        self._owner = np.empty(0, dtype=np.intp)
        self._bounds: tuple[float, float, float, float] | None = None
        # The last picture and what it showed: a repaint that changes neither (a stroke outline moving, a
        # tooltip) blits it again instead of rasterising every dot.
        self._version = 0
        self._picture: _Picture | None = None
        self._rebuild_order()

    # ---- inputs -------------------------------------------------------------------------------------------

    def set_positions(self, x: np.ndarray, y: np.ndarray, potential: np.ndarray) -> None:
        self._x, self._y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self._potential = np.nan_to_num(np.asarray(potential, dtype=np.float64), nan=0.0)
        n = len(self._x)
        self._assignment = self._preview = None
        self._selected_rows = np.empty(0, dtype=np.intp)
        self._locked_rows = np.zeros(n, dtype=bool)
        finite = np.isfinite(self._x) & np.isfinite(self._y)
        self._bounds = ((self._x[finite].min(), self._x[finite].max(), self._y[finite].min(), self._y[finite].max())
                        if finite.any() else None)
        self._all_finite = bool(finite.all())  # else the paint must mask: a NaN pixel index is no index
        self._rebuild_order()

    def set_assignment(self, assignment: np.ndarray, colors: dict[int, str]) -> None:
        before = self._shown()
        # A copy: the plan's commands change its assignment in place, which would leave nothing to compare with.
        self._assignment = np.array(self._checked(assignment, "assignment"), dtype=np.int64)
        if dict(colors) != self._colors:
            self._colors = dict(colors)
            self._invalidate_colors()
        else:
            self._recolour(before)

    def set_preview(self, assignment: np.ndarray | None) -> None:
        if assignment is not None:
            assignment = self._checked(assignment, "preview").astype(np.int64, copy=False)
        before = self._shown()
        self._preview = assignment
        self._recolour(before)

    def _shown(self) -> np.ndarray | None:
        """The assignment the dots are coloured by: the preview's while there is one."""
        return self._preview if self._preview is not None else self._assignment

    def _recolour(self, before: np.ndarray | None) -> None:
        """The shown assignment changed from `before`: repaint only around the dots whose territory changed (none
        when a release commits exactly what its preview showed), else everything."""
        after = self._shown()
        if before is None or after is None or len(before) != len(after):
            self._invalidate_colors()
            return
        changed = np.flatnonzero(before != after)
        if changed.size == 0:
            return  # same colours, same picture
        self._fill = None
        self._version += 1
        area = self._area_of(changed) if changed.size <= PARTIAL_REPAINT_MAX_DOTS else None
        if area is None:
            self.update()
        else:
            self.update(area)

    def _area_of(self, rows: np.ndarray) -> QRectF | None:
        """The rectangle (this layer's coordinates) that the dots of `rows` cover at any size they may be drawn
        at, or None when it cannot be told (no finite position)."""
        x, y = self._x[rows], self._y[rows]
        finite = np.isfinite(x) & np.isfinite(y)
        if not finite.all():
            if not finite.any():
                return None
            x, y = x[finite], y[finite]
        child = self._view_box.childTransform()
        corners = child.mapRect(QRectF(float(x.min()), float(y.min()), float(x.max() - x.min()),
                                       float(y.max() - y.min())))
        # The largest stamp: the highlighted size of the largest class, with the selection ring around it.
        margin = self.largest_radius(abs(child.m11())) + 1 + SELECTION_RING_WIDTH + 2
        return corners.adjusted(-margin, -margin, margin, margin)

    # Each setter leaves the picture alone when nothing it shows changes: after every command the window sets
    # the locks (and often the selection) again, and a needless version bump rasterised every dot (~5 ms).
    def set_highlight(self, territory_id: int | None) -> None:
        if territory_id != self._highlight:
            self._highlight = territory_id
            self._invalidate_colors()

    def set_selection(self, rows: np.ndarray) -> None:
        rows = np.unique(np.asarray(rows, dtype=np.intp))
        if len(rows) and (rows[0] < 0 or rows[-1] >= len(self._x)):
            raise ValueError(f"selection holds rows outside 0..{len(self._x) - 1}")
        if np.array_equal(rows, self._selected_rows):
            return
        self._selected_rows = rows
        self._selected_pos = self._positions_of(rows)
        self._changed()

    def set_locked(self, locked: np.ndarray) -> None:
        locked = self._checked(locked, "locked").astype(bool)
        if np.array_equal(locked, self._locked_rows):
            return
        self._locked_rows = locked
        self._locked_pos = np.flatnonzero(self._in_draw_order(self._locked_rows))
        self._changed()

    def set_size_by_potential(self, on: bool) -> None:
        if on != self._size_by_potential:
            self._size_by_potential = on
            self._rebuild_order()

    def size_by_potential(self) -> bool:
        return self._size_by_potential

    def largest_radius(self, pixels_per_metre: float) -> int:
        """The radius in logical pixels of the largest dot at this zoom (hit tests use it as a tolerance)."""
        scale = POTENTIAL_CLASS_SCALES[0] if self._size_by_potential else 1.0
        return max(1, round(dot_radius(pixels_per_metre) * scale))

    def _checked(self, values, what: str) -> np.ndarray:
        values = np.asarray(values)
        if values.shape != self._x.shape:
            raise ValueError(f"{what} has {len(values)} entries for {len(self._x)} accounts")
        return values

    # ---- cached derived arrays ----------------------------------------------------------------------------

    def _rebuild_order(self) -> None:
        """Draw order and potential classes: identity and one class unless dots are sized by potential."""
        n = len(self._x)
        if self._size_by_potential and n:
            reference = np.percentile(self._potential, 95) or self._potential.max() or 1.0
            level = np.sqrt(np.clip(self._potential / reference, 0.0, 1.0))  # dot area grows with potential
            size_class = np.minimum((level * len(POTENTIAL_CLASS_SCALES)).astype(np.intp),
                                    len(POTENTIAL_CLASS_SCALES) - 1)
            rank = len(POTENTIAL_CLASS_SCALES) - 1 - size_class  # largest class first
            self._order = np.argsort(rank, kind="stable")
            self._inverse = np.empty(n, dtype=np.intp)
            self._inverse[self._order] = np.arange(n)
            counts = np.bincount(rank, minlength=len(POTENTIAL_CLASS_SCALES))
            self._class_scales = POTENTIAL_CLASS_SCALES
        else:
            self._order = self._inverse = None
            counts = np.array([n])
            self._class_scales = (1.0,)
        self._class_bounds = np.concatenate(([0], np.cumsum(counts)))
        self._xo, self._yo = self._in_draw_order(self._x), self._in_draw_order(self._y)
        self._selected_pos = self._positions_of(self._selected_rows)
        self._locked_pos = np.flatnonzero(self._in_draw_order(self._locked_rows))
        self._invalidate_colors()

    def _in_draw_order(self, values: np.ndarray) -> np.ndarray:
        return values if self._order is None else values[self._order]

    def _positions_of(self, rows: np.ndarray) -> np.ndarray:
        return rows if self._inverse is None else np.sort(self._inverse[rows])

    def _invalidate_colors(self) -> None:
        self._fill: np.ndarray | None = None
        self._changed()

    def _changed(self) -> None:
        self._version += 1
        self.update()

    def _compute_colors(self) -> None:
        """Fill colour per dot (draw order) and the positions of the highlighted territory's dots."""
        n = len(self._x)
        assignment = self._preview if self._preview is not None else self._assignment
        ids = np.fromiter(self._colors, dtype=np.int64, count=len(self._colors))
        palette = np.array([argb(c) for c in self._colors.values()] + [argb(UNASSIGNED_COLOR)], dtype=np.uint32)
        position = (np.full(n, -1, dtype=np.int64) if assignment is None
                    else territory_index(ids, assignment))  # -1 reads the grey at the end of the palette
        position = self._in_draw_order(position)
        hit = np.flatnonzero(ids == self._highlight) if self._highlight is not None else np.empty(0, dtype=np.intp)
        if len(hit):
            dimmed = _dim(palette)
            dimmed[hit[0]] = palette[hit[0]]
            palette = dimmed
            self._highlight_pos = np.flatnonzero(position == hit[0])
        else:
            self._highlight_pos = np.empty(0, dtype=np.intp)
        self._fill = palette[position]

    def row_colors(self) -> np.ndarray:
        """The territory colour (ARGB) each account's dot is drawn in, in account order, before the highlight's
        dimming: what a user reads the dots' territories from."""
        assignment = self._preview if self._preview is not None else self._assignment
        ids = np.fromiter(self._colors, dtype=np.int64, count=len(self._colors))
        palette = np.array([argb(c) for c in self._colors.values()] + [argb(UNASSIGNED_COLOR)], dtype=np.uint32)
        if assignment is None:
            return np.full(len(self._x), palette[-1], dtype=np.uint32)
        return palette[territory_index(ids, assignment)]

    # ---- painting -----------------------------------------------------------------------------------------

    def paint(self, painter, option, widget=None) -> None:
        left, top, width, height = self.device_rect(painter)  # the whole layer, as far as the view shows it
        if len(self._x) == 0 or self._bounds is None or width <= 0 or height <= 0:
            return
        view = self.view_transform(painter)
        frame = (left, top, width, height, view.sx, view.tx, view.sy, view.ty, view.dpr)
        picture = self._picture
        if picture is None or picture.frame != frame:
            picture = self._picture = self._whole_picture(frame, view)
        elif picture.version != self._version:
            # Only some dots changed (a preview step): Qt repaints the rectangle around them, and only that part
            # of the picture is rasterised again, so the picture stays whole for the next full repaint.
            part = self.device_rect(painter, option)
            if part[2] * part[3] < PATCH_AREA_SHARE * width * height:
                self._patch(picture, part, view)
            else:
                picture = self._picture = self._whole_picture(frame, view)
        painter.save()
        painter.resetTransform()
        painter.drawImage(picture.corner, picture.image)
        painter.restore()

    def _whole_picture(self, frame: tuple, view) -> "_Picture":
        left, top, width, height = frame[:4]
        canvas, stride, rows, pad = self._rasterise(left, top, width, height, view, self._blank_canvas)
        image = QImage(canvas.data, stride, rows, stride * 4, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(view.dpr)
        corner = QPointF((left - pad) / view.dpr, (top - pad) / view.dpr)
        # The image reads `canvas`, which is written again only by the next whole rasterising or a patch.
        return _Picture(frame, self._version, canvas, stride, rows, pad, image, corner)

    def _patch(self, picture: "_Picture", part: tuple[int, int, int, int], view) -> None:
        left, top, width, height = part
        canvas, stride, _rows, pad = self._rasterise(left, top, width, height, view, self._blank_scratch)
        target = picture.canvas.reshape(picture.rows, picture.stride)
        y, x = top - picture.frame[1] + picture.pad, left - picture.frame[0] + picture.pad
        target[y:y + height, x:x + width] = canvas.reshape(-1, stride)[pad:pad + height, pad:pad + width]
        picture.version = self._version

    def _rasterise(self, left: int, top: int, width: int, height: int, view, blank) -> tuple:
        """Every dot reaching into the device rectangle, in a buffer padded by the widest stamp on each side:
        (flat ARGB buffer, stride, rows, pad)."""
        if self._fill is None:
            self._compute_colors()
        base = dot_radius(abs(view.sx) / view.dpr) * view.dpr
        radii = [max(1, round(base * s)) for s in self._class_scales]
        self._ring_width = SELECTION_RING_WIDTH * max(1, round(view.dpr))
        reach = max(radii) + max(1, round(view.dpr)) + self._ring_width  # the widest stamp: ring or highlight
        pad = 2 * reach
        stride, rows = width + 2 * pad, height + 2 * pad
        canvas = blank(stride * rows)
        # Buffer pixel of a data point: bx = x*sx + ox; dots are kept whose centre lies within `reach` of the view.
        ox, oy = view.tx - left + pad, view.ty - top + pad
        self._stride, self._origin = stride, (view.sx, ox, view.sy, oy)
        low, high_x, high_y = reach + 0.5, width + 3 * reach - 0.5, height + 3 * reach - 0.5
        visible = self._visible(low, high_x, high_y)

        dense = DEDUPE_ABOVE_DOTS_PER_PIXEL * width * height
        for radius, pos in self._by_class(visible, radii):
            count = pos.stop - pos.start if isinstance(pos, slice) else len(pos)
            self._draw(canvas, pos, self._fill[pos], "disk", radius, dedupe=count > dense)
        for radius, pos in self._by_class(self._subset_in_view(self._highlight_pos, low, high_x, high_y), radii):
            self._draw(canvas, pos, self._fill[pos], "disk", radius + round(view.dpr))
        selected = self._subset_in_view(self._selected_pos, low, high_x, high_y)
        for radius, pos in self._by_class(selected, radii):
            self._draw(canvas, pos, SELECTION_RING, "ring", radius)
        for radius, pos in self._by_class(selected, radii):
            self._draw(canvas, pos, self._fill[pos], "disk", radius)
        for radius, pos in self._by_class(self._subset_in_view(self._locked_pos, low, high_x, high_y), radii):
            self._draw(canvas, pos, LOCKED_EDGE, "square", radius)
            self._draw(canvas, pos, self._fill[pos], "square", radius - max(1, round(view.dpr)))
        return canvas, stride, rows, pad

    def _blank_canvas(self, size: int) -> np.ndarray:
        # Reused between paints: a fresh 4-8 MB allocation costs page faults on every frame.
        if len(self._canvas) < size:
            self._canvas = np.empty(size, dtype=np.uint32)
        return self._blank(self._canvas, size)

    def _blank_scratch(self, size: int) -> np.ndarray:
        if len(self._scratch) < size:
            self._scratch = np.empty(size, dtype=np.uint32)
        return self._blank(self._scratch, size)

    def _blank(self, buffer: np.ndarray, size: int) -> np.ndarray:
        if len(self._owner) < size:
            self._owner = np.empty(size, dtype=np.intp)
        canvas = buffer[:size]
        canvas.fill(0)
        return canvas

    def _visible(self, low: float, high_x: float, high_y: float) -> np.ndarray | slice:
        """Draw positions of the dots whose buffer pixel lies in [low, high); all of them without a mask if possible."""
        sx, ox, sy, oy = self._origin
        x0, x1 = sorted(((low - ox) / sx, (high_x - ox) / sx))
        y0, y1 = sorted(((low - oy) / sy, (high_y - oy) / sy))
        xmin, xmax, ymin, ymax = self._bounds
        if self._all_finite and x0 < xmin and xmax < x1 and y0 < ymin and ymax < y1:
            return slice(0, len(self._xo))  # a slice reads views below, not gathered copies
        xo, yo = self._xo, self._yo
        return np.flatnonzero((xo > x0) & (xo < x1) & (yo > y0) & (yo < y1))

    def _subset_in_view(self, pos: np.ndarray, low: float, high_x: float, high_y: float) -> np.ndarray:
        if len(pos) == 0:
            return pos
        sx, ox, sy, oy = self._origin
        bx, by = self._xo[pos] * sx + ox, self._yo[pos] * sy + oy
        return pos[(bx >= low) & (bx < high_x) & (by >= low) & (by < high_y)]

    def _by_class(self, pos: np.ndarray | slice, radii: list[int]):
        """(radius, positions) per potential class; `pos` is sorted (or the slice of all), so are the parts."""
        if isinstance(pos, slice):
            for radius, start, stop in zip(radii, self._class_bounds[:-1], self._class_bounds[1:]):
                if stop > start:
                    yield radius, slice(start, stop)
            return
        cuts = np.searchsorted(pos, self._class_bounds)
        for radius, start, stop in zip(radii, cuts[:-1], cuts[1:]):
            if stop > start:
                yield radius, pos[start:stop]

    def _draw(self, canvas: np.ndarray, pos: np.ndarray, colors, shape: str, radius: int, dedupe: bool = False) -> None:
        if radius < 0:
            return
        sx, ox, sy, oy = self._origin
        centres = ((self._yo[pos] * sy + oy).astype(np.intp) * self._stride
                   + (self._xo[pos] * sx + ox).astype(np.intp))
        if dedupe:
            # Dense view: of dots sharing a centre pixel only the last shows, and drawing it alone gives the same
            # picture, so drop the others before the stamp multiplies the work.
            seq = np.arange(len(centres), dtype=np.intp)
            self._owner[centres] = seq
            last = self._owner[centres] == seq
            centres, colors = centres[last], colors[last]
        key = (shape, radius, self._stride, self._ring_width)
        offsets = self._offsets.get(key)
        if offsets is None:
            if len(self._offsets) > 64:  # stale entries pile up as the window is resized (stride changes)
                self._offsets.clear()
            offsets = self._offsets[key] = _stamp_offsets(shape, radius, self._stride, self._ring_width)
        for offset in offsets:
            canvas[centres + offset] = colors


@dataclass
class _Picture:
    """The dots as last rasterised for a view (`frame`: device rectangle and transform) and a `version` of what
    they show; `image` reads `canvas` (rows x stride pixels, `pad` of them around the view on each side)."""
    frame: tuple
    version: int
    canvas: np.ndarray
    stride: int
    rows: int
    pad: int
    image: QImage
    corner: QPointF


def _dim(palette: np.ndarray) -> np.ndarray:
    """Blend opaque ARGB colours towards white."""
    channels = palette.view(np.uint8).reshape(-1, 4).astype(np.float64)
    channels[:, :3] += (255.0 - channels[:, :3]) * DIM_TOWARDS_WHITE
    return np.rint(channels).astype(np.uint8).reshape(-1).view(np.uint32).copy()
