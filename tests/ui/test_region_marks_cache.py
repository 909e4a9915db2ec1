"""The region marks (names, pieces, the hovered border) are drawn once into a picture and blitted on every other
paint: a lasso outline or the dots' preview colours repaint the map without drawing them again."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from desktop_planner.ui.map.regions_layer import RegionMarks, geometry_path
from tests.ui.windows import EAST, WEST, settle, window  # noqa: F401


def repaint(win) -> None:
    settle()
    win.map.viewport().repaint()


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return buffer.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 4].reshape(
        image.height(), image.width(), 4).astype(np.int16)


def test_unrelated_paints_blit_the_marks_and_view_or_region_changes_redraw_them(window):
    marks = window.view_options.regions.marks
    assert marks.placed_labels()  # there is something to draw
    repaint(window)
    drawn = marks.renders
    assert drawn >= 1
    # The dots' preview colours change (a lasso or brush step): the map repaints, the marks are only blitted.
    n = len(window.controller.plan.accounts)
    window.map.set_preview(np.full(n, EAST, dtype=np.int64))
    repaint(window)
    window.map.set_preview(np.full(n, WEST, dtype=np.int64))
    repaint(window)
    window.map.set_preview(None)
    repaint(window)
    window.map.viewport().update()
    repaint(window)
    assert marks.renders == drawn
    # Nor does a border hovered or a drag's tent: they are drawn over the pictures, not into them.
    region_map = window.view_options.regions.region_map
    border = region_map.nearest_border(*region_map.label_points()[WEST], 1e9)[0]
    marks.set_hover(geometry_path(border.line))
    repaint(window)
    marks.set_tent(geometry_path(border.line.buffer(3000)), "#ff0000")
    repaint(window)
    marks.set_tent(None)
    marks.set_hover(None)
    repaint(window)
    assert marks.renders == drawn

    def redrawn_once(change) -> None:
        before = marks.renders
        change()
        repaint(window)
        assert marks.renders > before
        after = marks.renders
        repaint(window)
        assert marks.renders == after  # and only blitted again on the next paint

    redrawn_once(lambda: window.map.zoom_by(1.5))  # a zoom
    redrawn_once(lambda: window.map.view_box.translateBy(x=1000.0))  # a pan
    # A regions update: new names, new pieces.
    redrawn_once(lambda: marks.set_labels([(x, y, name + " renamed") for x, y, name in marks._labels]))
    redrawn_once(lambda: marks.set_pieces({WEST: [geometry_path(border.line.buffer(5000).exterior)]}))
    marks.set_pieces({})  # no picture left to draw: the pieces are simply gone
    repaint(window)
    assert not marks._pictures["pieces"].held()
    redrawn_once(lambda: marks.set_text_scale(1.5))  # the workshop's large type
    redrawn_once(lambda: window.resize(1100, 760))  # the window's size


def marks_on(marks: RegionMarks, dpr: float, cached: bool) -> QImage:
    """The marks layer painted over a grey ground, as the view paints it (cached) or drawn directly."""
    size = marks.boundingRect().size().toSize()
    image = QImage(round(size.width() * dpr), round(size.height() * dpr), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(dpr)
    image.fill(QColor(200, 210, 190))
    painter = QPainter(image)
    painter.translate(0.5, 0.25)  # a layer need not sit on whole pixels
    if cached:
        marks.paint(painter, None)
    else:
        marks._draw(painter)
    painter.end()
    return image


@pytest.mark.parametrize("dpr", [1.0, 2.0])
def test_the_cached_marks_look_exactly_like_marks_drawn_directly(window, dpr):
    marks = window.view_options.regions.marks
    region_map = window.view_options.regions.region_map
    border = region_map.nearest_border(*region_map.label_points()[WEST], 1e9)[0]
    marks.set_hover(geometry_path(border.line))  # a hovered border and a split territory's pieces drawn too
    marks.set_pieces({WEST: [geometry_path(border.line.buffer(5000).exterior)]})
    before = marks.renders
    cached = pixels(marks_on(marks, dpr, cached=True))
    assert marks.renders == before + 2  # the pieces and the names
    again = pixels(marks_on(marks, dpr, cached=True))
    assert marks.renders == before + 2  # the second paint only blits
    direct = pixels(marks_on(marks, dpr, cached=False))
    ground = pixels(marks_on(RegionMarks(window.map.view_box), dpr, cached=True))
    assert np.count_nonzero(np.any(direct != ground, axis=2)) > 1000  # the marks do show
    assert np.array_equal(cached, again)
    difference = np.abs(cached - direct)
    assert difference.max() <= 2  # at most rounding of antialiased edges composited twice
    assert np.count_nonzero(np.any(difference > 0, axis=2)) < 0.01 * direct.shape[0] * direct.shape[1]
