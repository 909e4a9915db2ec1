"""The map canvas as a user meets it: gestures pick the right accounts, the picture shows what it should."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.core.model import UNASSIGNED, Accounts
from desktop_planner.core.palette import territory_palette
from desktop_planner.io.mbtiles import MBTilesError, default_basemap_path
from desktop_planner.ui.map import MapView
from desktop_planner.ui.map.accounts_layer import LOCKED_EDGE, SELECTION_RING, UNASSIGNED_COLOR
from desktop_planner.ui.map.frame_throttle import FRAME_MS
from desktop_planner.ui.map.overlays import scale_bar_lengths
from desktop_planner.ui.map.view import BACKGROUND

CENTRES = [(-75.0, 40.0), (-73.0, 41.5), (-71.0, 42.5), (-77.0, 42.0)]  # four towns, 100 accounts each
PER_TOWN = 100
LONE = len(CENTRES) * PER_TOWN  # row of an account far from every town


def town_accounts(seed: int = 7) -> Accounts:
    rng = np.random.default_rng(seed)
    lon = np.concatenate([c[0] + rng.normal(0, 0.08, PER_TOWN) for c in CENTRES] + [[-72.0]])
    lat = np.concatenate([c[1] + rng.normal(0, 0.06, PER_TOWN) for c in CENTRES] + [[40.5]])
    n = len(lon)
    potential = rng.lognormal(10, 1, n)
    potential[LONE] = potential.max() * 10  # the biggest account of all
    return Accounts.from_columns(lon=lon, lat=lat, potential=potential,
                                 name=[f"Account {i}" for i in range(n)])


def argb_hex(color: str) -> int:
    return int(color.lstrip("#"), 16)


def rgb_values(image: QImage) -> np.ndarray:
    """The grabbed picture as 0xRRGGBB integers, shape (height, width)."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(image.constBits(), dtype=np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    return raw[:, :image.width()] & 0xFFFFFF


@pytest.fixture
def view(qtbot):
    widget = MapView()
    qtbot.addWidget(widget)
    widget.resize(900, 650)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def towns(view):
    accounts = town_accounts()
    view.set_accounts(accounts)
    assignment = np.repeat(np.arange(1, len(CENTRES) + 1), PER_TOWN).tolist() + [UNASSIGNED]
    colors = dict(zip(range(1, len(CENTRES) + 1), territory_palette(len(CENTRES))))
    view.set_assignment(np.array(assignment), colors)
    return accounts


def circle_lasso(lon: float, lat: float, radius_deg: float, vertices: int = 60) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    x, y = lonlat_to_mercator(lon + radius_deg * np.cos(angle), lat + radius_deg * np.sin(angle))
    return np.column_stack((x, y))


def stroke(view, action_points, modifiers=Qt.KeyboardModifier.NoModifier):
    view.tools.begin(action_points[0], modifiers)
    for point in action_points[1:]:
        view.tools.move(point)
    view.tools.finish()


def test_lasso_around_a_town_yields_exactly_its_accounts(view, towns, qtbot):
    view.set_tool("lasso")
    with qtbot.waitSignal(view.gestureFinished) as finished:
        stroke(view, circle_lasso(*CENTRES[1], radius_deg=0.6))
    rows, action, select_only = finished.args
    assert action == "lasso" and select_only is False
    assert rows.dtype == np.int64
    np.testing.assert_array_equal(rows, np.arange(PER_TOWN, 2 * PER_TOWN))


def test_lasso_cutting_through_a_town_agrees_with_shapely(view, towns, qtbot):
    view.set_tool("lasso")
    polygon = circle_lasso(CENTRES[0][0] + 0.1, CENTRES[0][1], radius_deg=0.12, vertices=17)
    with qtbot.waitSignal(view.gestureFinished) as finished:
        stroke(view, polygon)
    expected = np.flatnonzero(shapely.contains_xy(shapely.Polygon(polygon), towns.x, towns.y))
    assert 5 < len(expected) < PER_TOWN
    np.testing.assert_array_equal(finished.args[0], expected)


def test_ctrl_held_at_release_means_select_only(view, towns, qtbot):
    view.set_tool("lasso")
    with qtbot.waitSignal(view.gestureFinished) as finished:
        stroke(view, circle_lasso(*CENTRES[2], radius_deg=0.6), Qt.KeyboardModifier.ControlModifier)
    assert finished.args[2] is True


def test_rectangle_dragged_with_the_real_mouse(view, towns, qtbot):
    view.set_tool("rect")
    viewport = view.viewport()
    start = view.map_to_viewport(*lonlat_to_mercator(CENTRES[3][0] - 0.02, CENTRES[3][1] + 0.4))
    end = view.map_to_viewport(*lonlat_to_mercator(CENTRES[3][0] + 0.5, CENTRES[3][1] - 0.4))
    with qtbot.waitSignal(view.gestureFinished) as finished:
        qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
        for t in np.linspace(0.1, 1.0, 10):
            qtbot.mouseMove(viewport, pos=start + (end - start) * float(t))
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    rows, action, _ = finished.args
    (x0, y0), (x1, y1) = view.map_from_viewport(start), view.map_from_viewport(end)
    inside = (towns.x >= min(x0, x1)) & (towns.x <= max(x0, x1)) & (towns.y >= min(y0, y1)) & (towns.y <= max(y0, y1))
    assert action == "rect"
    assert PER_TOWN // 4 < len(rows) < PER_TOWN  # the rectangle takes the eastern part of the town
    np.testing.assert_array_equal(rows, np.flatnonzero(inside))


def test_lasso_drawn_with_the_real_mouse_previews_then_finishes(view, towns, qtbot):
    view.set_tool("lasso")
    viewport = view.viewport()
    ring = [view.map_to_viewport(x, y) for x, y in circle_lasso(*CENTRES[0], radius_deg=0.6, vertices=24)]
    previews = []
    view.selectionPreview.connect(lambda rows: previews.append(rows))
    with qtbot.waitSignal(view.gestureFinished) as finished:
        qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=ring[0])
        for point in ring[1:] + [ring[0]]:
            qtbot.mouseMove(viewport, pos=point)
            qtbot.wait(5)
        qtbot.wait(40)  # let the throttled preview fire while the button is still down
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=ring[0])
    np.testing.assert_array_equal(finished.args[0], np.arange(PER_TOWN))
    assert any(len(p) for p in previews[:-1])
    assert len(previews[-1]) == 0  # the stroke ended: the preview is cleared


def test_previews_are_throttled_to_frames(view, towns, qtbot):
    view.set_tool("lasso")
    previews = []
    view.selectionPreview.connect(lambda rows: previews.append(rows))
    polygon = circle_lasso(*CENTRES[0], radius_deg=0.6, vertices=400)
    start = time.perf_counter()
    view.tools.begin(polygon[0])
    assert len(previews) == 1  # the first preview comes at once, in the same paint as the stroke
    for point in polygon[1:]:
        view.tools.move(point)
    frames = (time.perf_counter() - start) * 1000 / FRAME_MS
    assert len(previews) <= 1 + frames  # 400 moves: at most one preview a frame...
    qtbot.waitUntil(lambda: view.tools._preview.pending() is False, timeout=500)
    np.testing.assert_array_equal(previews[-1], np.arange(PER_TOWN))  # ...the last one of the latest stroke
    count = len(previews)
    qtbot.wait(50)
    assert len(previews) == count  # nothing more while the pointer rests
    view.tools.finish()
    assert len(previews) == count + 1 and len(previews[-1]) == 0


def test_paint_stroke_collects_accounts_within_the_brush_radius(view, towns, qtbot):
    view.set_tool("paint")
    view.set_brush_radius(25)
    radius_m = 25 * view.tools.metres_per_pixel()
    a = np.array(lonlat_to_mercator(CENTRES[0][0] - 0.2, CENTRES[0][1]))
    b = np.array(lonlat_to_mercator(CENTRES[0][0] + 0.2, CENTRES[0][1] + 0.05))
    path = [a + (b - a) * t for t in np.linspace(0, 1, 7)]
    with qtbot.waitSignal(view.gestureFinished) as finished:
        stroke(view, path)
    rows, action, _ = finished.args
    points = np.column_stack((towns.x, towns.y))
    t = np.clip((points - a) @ (b - a) / ((b - a) @ (b - a)), 0, 1)
    distance = np.hypot(*(points - (a + t[:, None] * (b - a))).T)
    assert action == "paint"
    assert set(np.flatnonzero(distance < 0.99 * radius_m)) <= set(rows)
    assert not set(rows) & set(np.flatnonzero(distance > 1.01 * radius_m))
    assert 10 < len(rows) < PER_TOWN


def test_click_picks_the_nearest_account_within_a_few_pixels_and_nothing_on_empty_space(view, towns, qtbot):
    viewport = view.viewport()
    near_lone = view.map_to_viewport(towns.x[LONE], towns.y[LONE]) + QPoint(3, -2)
    with qtbot.waitSignal(view.gestureFinished) as finished:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=near_lone)
    np.testing.assert_array_equal(finished.args[0], [LONE])
    assert finished.args[1] == "click"

    empty = view.map_to_viewport(towns.x[LONE], towns.y[LONE]) + QPoint(40, 40)
    with qtbot.waitSignal(view.gestureFinished) as finished:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=empty)
    assert len(finished.args[0]) == 0 and finished.args[1] == "click"


def test_shift_click_adds_to_the_selection(view, towns, qtbot):
    view.set_selection(np.array([3, 5]))
    with qtbot.waitSignal(view.gestureFinished) as finished:
        view.tools.click((towns.x[LONE], towns.y[LONE]), Qt.KeyboardModifier.ShiftModifier)
    np.testing.assert_array_equal(finished.args[0], [3, 5, LONE])


def test_escape_cancels_the_stroke_under_way(view, towns, qtbot):
    view.set_tool("lasso")
    viewport = view.viewport()
    ring = [view.map_to_viewport(x, y) for x, y in circle_lasso(*CENTRES[0], radius_deg=0.6, vertices=12)]
    finished, previews = [], []
    view.gestureFinished.connect(lambda *args: finished.append(args))
    view.selectionPreview.connect(lambda rows: previews.append(rows))
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=ring[0])
    for point in ring[1:]:
        qtbot.mouseMove(viewport, pos=point)
    assert view.tools.is_active()
    qtbot.keyClick(viewport, Qt.Key.Key_Escape)
    assert not view.tools.is_active()
    assert len(previews[-1]) == 0
    qtbot.mouseMove(viewport, pos=ring[0])
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=ring[0])
    qtbot.wait(30)
    assert finished == []


def test_dragging_with_the_select_tool_pans_without_a_gesture(view, towns, qtbot):
    viewport = view.viewport()
    before = view.view_range_mercator()
    finished = []
    view.gestureFinished.connect(lambda *args: finished.append(args))
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
    for step in range(1, 6):
        qtbot.mouseMove(viewport, pos=QPoint(400 + 20 * step, 300))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(500, 300))
    after = view.view_range_mercator()
    assert after[0] < before[0] and after[2] < before[2]  # dragged right: the map moved right
    assert after[1] == pytest.approx(before[1])
    assert finished == []


def test_plus_and_minus_keys_zoom_about_the_centre(view, towns, qtbot):
    x0, y0, x1, y1 = view.view_range_mercator()
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Plus)
    z0, _, z1, _ = view.view_range_mercator()
    assert (z1 - z0) == pytest.approx((x1 - x0) / np.sqrt(2), rel=1e-3)
    assert (z0 + z1) / 2 == pytest.approx((x0 + x1) / 2)
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Minus)
    assert view.view_range_mercator()[2] - view.view_range_mercator()[0] == pytest.approx(x1 - x0, rel=1e-3)


def test_aspect_is_locked_one_to_one(view, towns):
    view.zoom_by(3.0)
    x0, y0, x1, y1 = view.view_range_mercator()
    rect = view.view_box.rect()
    assert (x1 - x0) / rect.width() == pytest.approx((y1 - y0) / rect.height(), rel=1e-3)


def test_fit_to_accounts_shows_every_account(view, towns):
    view.zoom_by(20.0)
    view.fit_to_accounts()
    x0, y0, x1, y1 = view.view_range_mercator()
    assert x0 < towns.x.min() and towns.x.max() < x1 and y0 < towns.y.min() and towns.y.max() < y1


def test_hover_reports_the_account_and_shows_its_tooltip(view, towns, qtbot):
    view.set_tooltip_provider(lambda row: f"Row {row}")
    with qtbot.waitSignal(view.hoverChanged) as hovered:
        qtbot.mouseMove(view.viewport(), pos=view.map_to_viewport(towns.x[LONE], towns.y[LONE]) + QPoint(1, 1))
    assert hovered.args == [LONE]
    assert view.tooltip_text(LONE) == "Row " + str(LONE)
    qtbot.wait(20)  # pyqtgraph drops mouse moves that come faster than 100 a second
    with qtbot.waitSignal(view.hoverChanged) as hovered:
        qtbot.mouseMove(view.viewport(), pos=view.map_to_viewport(towns.x[LONE], towns.y[LONE]) + QPoint(60, 60))
    assert hovered.args == [-1]


def test_default_tooltip_names_the_account(view, towns):
    text = view.tooltip_text(7)
    assert "Account 7" in text and "Potential" in text and "Territory: 1" in text


def test_picture_shows_territory_colours_and_grey_for_unassigned(view, qtbot):
    accounts = town_accounts()
    view.set_accounts(accounts)
    palette = territory_palette(8)
    assignment = np.arange(len(accounts)) % 9 + 1  # eight territories, every ninth account unassigned
    assignment[assignment == 9] = UNASSIGNED
    view.set_assignment(assignment, dict(zip(range(1, 9), palette)))
    pixels = set(np.unique(rgb_values(view.grab().toImage())).tolist())
    for color in palette:
        assert argb_hex(color) in pixels, color
    assert argb_hex(UNASSIGNED_COLOR) in pixels
    assert len(pixels) > 50  # the muted basemap beneath


def test_preview_paints_the_hypothetical_assignment_and_none_restores(view, towns):
    palette = territory_palette(len(CENTRES))
    view.set_preview(np.full(len(towns), 2))
    shown = set(np.unique(rgb_values(view.grab().toImage())).tolist())
    assert argb_hex(palette[1]) in shown and argb_hex(palette[0]) not in shown
    view.set_preview(None)
    assert argb_hex(palette[0]) in set(np.unique(rgb_values(view.grab().toImage())).tolist())


def test_highlight_fades_the_other_territories(view, towns):
    palette = territory_palette(len(CENTRES))
    view.set_highlight(3)
    shown = set(np.unique(rgb_values(view.grab().toImage())).tolist())
    assert argb_hex(palette[2]) in shown
    assert not {argb_hex(c) for i, c in enumerate(palette) if i != 2} & shown
    view.set_highlight(None)
    assert argb_hex(palette[0]) in set(np.unique(rgb_values(view.grab().toImage())).tolist())


def test_selected_accounts_are_ringed_and_locked_ones_drawn_as_edged_squares(view, towns):
    centre = view.map_to_viewport(towns.x[LONE], towns.y[LONE])
    def around_lone():
        pixels = rgb_values(view.grab().toImage())
        return set(pixels[centre.y() - 8:centre.y() + 9, centre.x() - 8:centre.x() + 9].ravel().tolist())
    assert SELECTION_RING & 0xFFFFFF not in around_lone()
    view.set_selection(np.array([LONE]))
    assert SELECTION_RING & 0xFFFFFF in around_lone()
    view.set_selection(np.array([], dtype=np.int64))
    locked = np.zeros(len(towns), dtype=bool)
    locked[LONE] = True
    view.set_locked(locked)
    assert LOCKED_EDGE & 0xFFFFFF in around_lone()


def test_size_by_potential_draws_big_accounts_bigger(view, towns):
    def grey_pixels():
        return int((rgb_values(view.grab().toImage()) == argb_hex(UNASSIGNED_COLOR)).sum())
    view.set_basemap(None)  # the basemap has greys of its own
    normal = grey_pixels()  # the lone account is the only grey one, and the biggest
    view.set_size_by_potential(True)
    assert grey_pixels() > 2 * normal
    view.set_size_by_potential(False)
    assert grey_pixels() == normal


def test_basemap_default_is_the_openstreetmap_tiles_with_attribution(view):
    assert view.basemap_path() == str(default_basemap_path())
    assert "OpenStreetMap" in view._attribution.text()
    def background_share():
        return (rgb_values(view.grab().toImage()) == argb_hex(BACKGROUND)).mean()
    assert background_share() < 0.01  # tiles cover the map
    view.set_basemap(None)
    assert view._attribution.text() == ""
    assert background_share() > 0.9  # the map still draws, on a plain background


def test_bad_basemap_file_raises_a_clear_error_and_keeps_the_previous_one(view, tmp_path):
    bad = tmp_path / "holiday photos.mbtiles"
    bad.write_text("not a database")
    with pytest.raises(MBTilesError, match="holiday photos.mbtiles"):
        view.set_basemap(str(bad))
    assert view.basemap_path() == str(default_basemap_path())
    assert "OpenStreetMap" in view._attribution.text()


def test_legend_lists_territories_and_can_be_hidden(view, towns):
    view.set_basemap(None)
    corner = lambda: rgb_values(view.grab().toImage())[:120, -220:]  # noqa: E731 - top right
    plain = corner()
    view.set_legend([("North", "#e69f00"), ("South", "#56b4e9")])
    with_legend = corner()
    assert argb_hex("#e69f00") in set(with_legend.ravel().tolist())
    view.set_legend_visible(False)
    np.testing.assert_array_equal(corner(), plain)


def test_scale_bar_adapts_to_zoom_and_latitude(view, towns):
    labels = [label for _, label in view._scale_bar.bars()]
    assert labels[0].endswith("km") and labels[1].endswith("mi")
    view.zoom_by(200.0)
    labels = [label for _, label in view._scale_bar.bars()]
    assert labels[0].endswith(" m") and labels[1].endswith("ft")
    # The same Mercator scale covers less ground further north.
    equator, north = scale_bar_lengths(1000.0, 120), scale_bar_lengths(1000.0 * np.cos(np.radians(60)), 120)
    assert equator[0][1] == "100 km" and north[0][1] == "50 km"


def test_unknown_tool_is_refused(view):
    with pytest.raises(ValueError, match="unknown map tool"):
        view.set_tool("spray")
    view.set_tool("paint")
    assert view.tool() == "paint"


def test_picture_without_accounts_is_the_background(view):
    view.set_basemap(None)
    pixels = rgb_values(view.grab().toImage())
    assert (pixels[300:350, 300:350] == argb_hex(BACKGROUND)).all()


def test_thinning_dense_dots_does_not_change_the_picture(view, monkeypatch):
    from desktop_planner.ui.map import accounts_layer
    rng = np.random.default_rng(3)
    n = 60_000  # dense: a third of the dots share their centre pixel with another
    accounts = Accounts.from_columns(lon=rng.normal(-74, 1.0, n), lat=rng.normal(41, 0.7, n))
    view.set_basemap(None)
    view.set_accounts(accounts)
    view.set_assignment(rng.integers(1, 9, n), dict(zip(range(1, 9), territory_palette(8))))
    monkeypatch.setattr(accounts_layer, "DEDUPE_ABOVE_DOTS_PER_PIXEL", 0.0)
    view.set_highlight(None)  # any change makes the layer rasterise afresh
    thinned = rgb_values(view.grab().toImage())
    monkeypatch.setattr(accounts_layer, "DEDUPE_ABOVE_DOTS_PER_PIXEL", float("inf"))
    view.set_highlight(None)
    np.testing.assert_array_equal(rgb_values(view.grab().toImage()), thinned)


def test_accounts_without_coordinates_are_left_off_the_map(view, qtbot):
    lon = np.array([-75.0, np.nan, -74.0, -73.5])
    lat = np.array([40.0, 41.0, np.nan, 41.0])
    view.set_accounts(Accounts.from_columns(lon=lon, lat=lat))
    view.set_assignment(np.array([1, 1, 1, 1]), {1: "#e69f00"})
    pixels = rgb_values(view.grab().toImage())
    assert (pixels == argb_hex("#e69f00")).sum() > 0
    view.set_tool("rect")
    with qtbot.waitSignal(view.gestureFinished) as finished:
        stroke(view, [lonlat_to_mercator(-80, 35), lonlat_to_mercator(-70, 45)])
    np.testing.assert_array_equal(finished.args[0], [0, 3])


def test_touchpad_pinch_zooms_about_the_fingers(view, towns):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QNativeGestureEvent, QPointingDevice
    from PySide6.QtWidgets import QApplication
    x0, y0, x1, y1 = view.view_range_mercator()
    fingers = QPointF(200, 150)
    anchor = view.map_from_viewport(fingers.toPoint())
    pinch = QNativeGestureEvent(Qt.NativeGestureType.ZoomNativeGesture, QPointingDevice.primaryPointingDevice(), 2,
                                fingers, fingers, view.viewport().mapToGlobal(fingers), 0.5, QPointF())
    QApplication.sendEvent(view.viewport(), pinch)
    z0, _, z1, _ = view.view_range_mercator()
    assert (x1 - x0) / (z1 - z0) == pytest.approx(1.5, rel=1e-3)
    assert view.map_from_viewport(fingers.toPoint()) == pytest.approx(anchor, abs=(z1 - z0) / 500)


def test_the_dots_follow_the_view(view, towns):
    view.set_basemap(None)
    def lone_dot_drawn():
        centre = view.map_to_viewport(towns.x[LONE], towns.y[LONE])
        return rgb_values(view.grab().toImage())[centre.y(), centre.x()] == argb_hex(UNASSIGNED_COLOR)
    assert lone_dot_drawn()
    view.view_box.translateBy(x=30 * view.tools.metres_per_pixel())
    assert lone_dot_drawn()
    view.zoom_by(1.7)
    assert lone_dot_drawn()


def test_a_preview_repaints_only_around_the_dots_it_recolours_and_that_looks_like_a_full_repaint(view, towns, qtbot,
                                                                                                  monkeypatch):
    """A lasso step recolours a few dots: the map repaints their rectangle, not the whole view (which costs ~5 ms a
    step at 100k accounts), and the picture is the one a full repaint gives."""
    graphics, layer = view._graphics, view._dots
    view.set_highlight(2)  # the active territory's dots are drawn larger: the rectangle must cover them too
    qtbot.waitUntil(lambda: layer._picture is not None and layer._picture.version == layer._version, timeout=2000)
    before = graphics.grab().toImage()
    dirty = []
    monkeypatch.setattr(layer, "update", lambda *args: dirty.append(args))
    preview = np.array(view._assignment)
    preview[:PER_TOWN // 2] = 2  # half of the first town's accounts, as a lasso would give them to territory 2
    view.set_preview(preview)
    assert len(dirty) == 1 and len(dirty[0]) == 1, "the whole layer was repainted"
    area = layer.mapRectToScene(dirty[0][0])
    assert area.width() * area.height() < 0.25 * layer.sceneBoundingRect().width() * layer.sceneBoundingRect().height()
    viewport_area = graphics.mapFromScene(area).boundingRect()
    for row in range(PER_TOWN // 2):  # every recoloured dot is inside it
        assert viewport_area.contains(view.map_to_viewport(towns.x[row], towns.y[row]))

    monkeypatch.undo()  # let the update through: Qt repaints that rectangle only (the dots patch their picture)
    patches = []
    patch = layer._patch
    monkeypatch.setattr(layer, "_patch", lambda *args: patches.append(args[1]) or patch(*args))
    layer.update(dirty[0][0])
    qtbot.waitUntil(lambda: layer._picture.version == layer._version, timeout=2000)
    assert len(patches) == 1  # the picture was patched, not rasterised whole
    patched = layer._picture.image.copy()
    layer._picture = None  # rasterised whole on the next paint
    full = graphics.grab().toImage()
    assert np.count_nonzero(rgb_values(full) != rgb_values(before)) > 50  # the preview shows
    assert layer._picture.image == patched  # the patched picture is the one a whole rasterising gives


def test_a_release_that_commits_what_its_preview_showed_repaints_no_dot(view, towns, monkeypatch):
    layer = view._dots
    preview = np.array(view._assignment)
    preview[:10] = 3
    view.set_preview(preview)
    dirty = []
    monkeypatch.setattr(layer, "update", lambda *args: dirty.append(args))
    view.set_preview(None)
    view.set_assignment(preview, dict(layer._colors))  # the command committed exactly the preview
    assert len(dirty) == 2  # back to the plan (the old colours), then forward to the new plan
    dirty.clear()
    view.set_assignment(preview, dict(layer._colors))  # the same plan again: nothing to redraw
    assert dirty == []


def test_an_assignment_changed_in_place_is_redrawn(view, towns, qtbot):
    """The plan's commands (and undo) change the scenario's assignment array in place; the map must still see
    what changed (it once compared the array with itself and kept the old colours after an undo)."""
    qtbot.waitUntil(lambda: view._dots._picture is not None and view._dots._picture.version == view._dots._version)
    assignment = np.array(view._assignment)
    colors = dict(view._dots._colors)
    view.set_assignment(assignment, colors)
    before = rgb_values(view._graphics.grab().toImage())
    assignment[:PER_TOWN] = 2  # in place, as an undo does
    view.set_assignment(assignment, colors)
    after = rgb_values(view._graphics.grab().toImage())
    assert np.count_nonzero(after != before) > 50
    np.testing.assert_array_equal(view._dots.row_colors()[:PER_TOWN], argb_hex(colors[2]) | 0xFF000000)
