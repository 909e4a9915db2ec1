"""Reps' homes (drawn, dragged as one command with live travel figures), travel lines and the heat overlay."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from desktop_planner.core.geo import mercator_to_lonlat
from tests.ui.windows import (EAST, NORTH, WEST, drag,  # noqa: F401
                                    window)


def travel(win, territory_id: int, shown=None) -> float:
    measures = shown or win.session.engine.measures()
    return float(measures.values["travel_hours"][list(measures.territory_ids).index(territory_id)])


def test_homes_are_drawn_filled_and_medoids_hollow(window):
    homes = window.view_options.overlays.homes.homes()
    assert set(homes) == {WEST, EAST, NORTH}
    assert not homes[WEST].is_medoid and not homes[EAST].is_medoid
    assert homes[NORTH].is_medoid  # North has no home set: its medoid stands in
    lon, lat = mercator_to_lonlat(homes[WEST].x, homes[WEST].y)
    assert (float(lon), float(lat)) == pytest.approx((-83.5, 40.1))


@pytest.mark.parametrize("tool", ["lasso", "select"])
def test_dragging_a_home_previews_travel_then_commits_one_edit(window, qtbot, tool):
    window.map.set_tool(tool)
    plan, panel = window.session.plan, window.panel
    home = window.view_options.overlays.homes.homes()[WEST]
    start = window.map.map_to_viewport(home.x, home.y)
    end = start + QPoint(-120, 60)
    before = travel(window, WEST)
    steps = len(window.session.history.undo_labels())

    drag(qtbot, window.map.viewport(), start, end, release=False)
    qtbot.waitUntil(lambda: panel.preview_label.isVisible())
    assert travel(window, WEST, panel.displayed()) != pytest.approx(before)  # live, before the drop
    assert plan.active.territories[WEST].home_lon == -83.5
    qtbot.mouseRelease(window.map.viewport(), Qt.MouseButton.LeftButton, pos=end)

    lon, lat = mercator_to_lonlat(*window.map.map_from_viewport(end))
    territory = plan.active.territories[WEST]
    assert (territory.home_lon, territory.home_lat) == pytest.approx((float(lon), float(lat)), abs=1e-6)
    assert len(window.session.history.undo_labels()) == steps + 1
    assert travel(window, WEST) != pytest.approx(before)
    assert travel(window, WEST, panel.displayed()) == pytest.approx(travel(window, WEST))
    assert not window.controller.selection.size  # no lasso, no selection: the press was the home's
    window.controller.undo()
    assert plan.active.territories[WEST].home_lon == -83.5
    assert travel(window, WEST) == pytest.approx(before)


def test_dragging_a_medoid_marker_sets_a_real_home(window, qtbot):
    homes = window.view_options.overlays.homes
    home = homes.homes()[NORTH]
    start = window.map.map_to_viewport(home.x, home.y)
    drag(qtbot, window.map.viewport(), start, start + QPoint(50, 0))
    assert window.session.plan.active.territories[NORTH].has_home
    assert not homes.homes()[NORTH].is_medoid


def test_escape_puts_a_dragged_home_back(window, qtbot):
    homes = window.view_options.overlays.homes
    home = homes.homes()[EAST]
    start = window.map.map_to_viewport(home.x, home.y)
    drag(qtbot, window.map.viewport(), start, start + QPoint(100, 0), release=False)
    qtbot.waitUntil(lambda: window.panel.preview_label.isVisible())
    qtbot.keyClick(window.map.focusProxy(), Qt.Key.Key_Escape)
    qtbot.mouseRelease(window.map.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(100, 0))
    assert homes.homes()[EAST] == home
    assert not window.panel.preview_label.isVisible()
    assert window.session.plan.active.territories[EAST].home_lon == -82.5


def test_travel_lines_join_the_active_territorys_home_to_its_accounts(window, qtbot):
    lines = window.view_options.overlays.travel
    assert lines.line_count() == 0
    window.view_options.set_travel_lines(True)
    window.controller.set_active(EAST)
    assert lines.line_count() == int((window.session.plan.active.assignment == EAST).sum())
    window.controller.set_active(NORTH)
    assert lines.line_count() == int((window.session.plan.active.assignment == NORTH).sum())
    window.view_options.set_travel_lines(False)
    assert lines.line_count() == 0


@pytest.mark.parametrize("measure, title", [("potential", "Potential per km²"),
                                            ("workload", "Workload hours per km²")])
def test_heat_overlay_shows_a_raster_with_its_colour_bar(window, qtbot, measure, title):
    heat = window.view_options.overlays.heat
    assert not heat.image.isVisible() and not heat.bar.isVisible()
    window.view_options.set_heat(measure)
    assert heat.image.isVisible() and heat.image.image is not None
    assert heat.image.image.max() > 0
    assert heat.bar.isVisible() and heat.bar.scale()[0] == title
    shown = heat.image.image.copy()
    window.map.zoom_by(2.0)
    qtbot.waitUntil(lambda: heat.image.image.shape != shown.shape or not np.array_equal(heat.image.image, shown))
    window.view_options.set_heat("off")
    assert not heat.image.isVisible() and not heat.bar.isVisible()
