"""The boundary drag with the real mouse: it moves exactly the accounts core.border_drag says, as ONE undo step;
Esc restores the committed panel and map; locks, corners and tiny plans behave."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QPoint, Qt

from desktop_planner.core.border_drag import drag_preview
from desktop_planner.core.model import Accounts, Plan, Scenario, Territory
from desktop_planner.core.settings import Settings
from desktop_planner.ui.map.border_drag_controller import GRAB_PIXELS
from tests.ui.windows import (settle, EAST, WEST, drag, open_window,  # noqa: F401
                                    window)


def shared_border(win, a: int, b: int):
    return next(x for x in win.view_options.regions.region_map.borders() if (x.a, x.b) == (a, b))


def point_on(border, fraction: float) -> tuple[float, float]:
    p = border.line.interpolate(fraction, normalized=True)
    return p.x, p.y


def expected_drag(win, start: QPoint, end: QPoint):
    """What the drag from viewport pixel `start` to `end` must do, by core.border_drag on the same points."""
    rm = win.view_options.regions.region_map
    mpp = win.view_options.border_drag.metres_per_pixel()
    border, grab = rm.nearest_border(*win.map.map_from_viewport(start), GRAB_PIXELS * mpp)
    scenario = win.session.plan.active
    locked = [t for t, territory in scenario.territories.items() if territory.locked]
    return drag_preview(rm, border, grab, win.map.map_from_viewport(end), scenario.assignment, scenario.locked, locked)


def test_dragging_a_border_moves_exactly_the_swept_accounts_as_one_undo_step(window, qtbot):
    window.map.set_tool("select")
    plan = window.session.plan
    border = shared_border(window, WEST, EAST)
    start = window.map.map_to_viewport(*point_on(border, 0.5))
    end = start + QPoint(-90, 0)  # into West: the border bulges west, West's accounts there go East
    expected = expected_drag(window, start, end)
    settle()
    assert expected.accounts.size > 10 and expected.into == EAST and expected.from_territory == WEST
    before = plan.active.assignment.copy()
    steps = len(window.session.history.undo_labels())

    drag(qtbot, window.map.viewport(), start, end)
    settle()

    after = plan.active.assignment
    assert np.array_equal(np.flatnonzero(after != before), expected.accounts)
    assert (after[expected.accounts] == EAST).all() and (before[expected.accounts] == WEST).all()
    assert len(window.session.history.undo_labels()) == steps + 1
    assert window.session.history.undo_labels()[0].startswith("Drag")
    regions = window.view_options.regions.region_map.regions
    # The preview showed the shape the committed plan has.
    assert regions[EAST].symmetric_difference(expected.regions[EAST]).area < 1e-6 * regions[EAST].area
    window.controller.undo()
    settle()
    assert np.array_equal(plan.active.assignment, before)


def test_the_panel_and_the_map_follow_the_drag_and_escape_restores_them(window, qtbot):
    window.map.set_tool("select")
    plan, panel = window.session.plan, window.panel
    border = shared_border(window, WEST, EAST)
    start = window.map.map_to_viewport(*point_on(border, 0.4))
    end = start + QPoint(80, 10)  # into East
    committed_map = window.map.grab().toImage()
    committed = panel.displayed().values["accounts"].copy()
    before = plan.active.assignment.copy()
    steps = len(window.session.history.undo_labels())

    drag(qtbot, window.map.viewport(), start, end, release=False)
    settle()
    qtbot.waitUntil(lambda: panel.preview_label.isVisible())
    moved = len(window.view_options.border_drag.preview.accounts)
    assert moved > 0
    shown = panel.displayed().values["accounts"]
    assert shown[list(panel.model.territory_ids).index(WEST)] == committed[0] + moved
    assert window.map.grab().toImage() != committed_map

    qtbot.keyClick(window.map.focusProxy(), Qt.Key.Key_Escape)
    assert not panel.preview_label.isVisible()
    assert np.array_equal(panel.displayed().values["accounts"], committed)
    qtbot.mouseRelease(window.map.viewport(), Qt.MouseButton.LeftButton, pos=end)
    qtbot.wait(30)
    assert np.array_equal(plan.active.assignment, before)
    assert len(window.session.history.undo_labels()) == steps
    assert window.map.grab().toImage() == committed_map


def test_hovering_a_border_highlights_it_only_with_the_select_tool(window, qtbot):
    border = shared_border(window, WEST, EAST)
    on_border = window.map.map_to_viewport(*point_on(border, 0.5))
    marks = window.view_options.regions.marks
    window.map.set_tool("lasso")
    qtbot.mouseMove(window.map.viewport(), pos=on_border)
    assert marks.hovered() is None
    window.map.set_tool("select")
    qtbot.mouseMove(window.map.viewport(), pos=on_border + QPoint(1, 0))
    assert marks.hovered() is not None
    qtbot.mouseMove(window.map.viewport(), pos=on_border + QPoint(0, -300))
    assert marks.hovered() is None


def test_a_click_on_a_border_is_still_a_click(window, qtbot):
    """Pressing on a border and releasing without moving selects the account there, as the select tool does."""
    window.map.set_tool("select")
    rm = window.view_options.regions.region_map
    accounts = window.session.plan.accounts
    border = shared_border(window, WEST, EAST)
    row = int(np.argmin(shapely.distance(border.line, shapely.points(accounts.x, accounts.y))))
    pos = window.map.map_to_viewport(accounts.x[row], accounts.y[row])
    assert rm.nearest_border(*window.map.map_from_viewport(pos), 6 * window.view_options.border_drag.metres_per_pixel())
    qtbot.mouseClick(window.map.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert window.controller.selection.tolist() == [row]


def test_a_locked_territory_keeps_its_accounts(window, qtbot, messages):
    window.map.set_tool("select")
    plan = window.session.plan
    window.controller.set_active(WEST)
    window.toggle_territory_lock()
    border = shared_border(window, WEST, EAST)
    start = window.map.map_to_viewport(*point_on(border, 0.5))
    before = plan.active.assignment.copy()
    drag(qtbot, window.map.viewport(), start, start + QPoint(-90, 0))
    settle()
    assert np.array_equal(plan.active.assignment, before)
    assert "locked" in window.statusBar().currentMessage()


@pytest.mark.parametrize("end, outwards", [("north", QPoint(-60, -40)), ("south", QPoint(-60, 60))],
                         ids=["where three territories meet", "at the study-area edge"])
def test_dragging_an_end_of_a_border_moves_each_account_once(window, qtbot, end, outwards):
    """North: the corner where North meets West and East. South: where the border meets the study area's edge,
    dragged out beyond it."""
    window.map.set_tool("select")
    plan = window.session.plan
    border = shared_border(window, WEST, EAST)
    ends = sorted([point_on(border, 0.0), point_on(border, 1.0)], key=lambda p: p[1])
    tip = window.map.map_to_viewport(*(ends[1] if end == "north" else ends[0]))
    start = tip + QPoint(0, 4 if end == "north" else -4)  # just inside the border's end
    before = plan.active.assignment.copy()
    expected = expected_drag(window, start, start + outwards)
    settle()
    assert expected.accounts.size > 0
    drag(qtbot, window.map.viewport(), start, start + outwards)
    settle()
    after = plan.active.assignment
    moved = np.flatnonzero(after != before)
    assert np.array_equal(moved, expected.accounts)
    assert set(before[moved].tolist()) == {expected.from_territory}
    assert set(after[moved].tolist()) == {expected.into}
    assert np.bincount(after, minlength=4).sum() == len(after) and (after >= 1).all()  # nobody lost


def test_a_plan_of_four_accounts_can_be_dragged(qtbot, tmp_path):  # noqa: F811
    lon, lat = np.array([-83.2, -83.1, -82.9, -82.8]), np.array([40.0, 40.1, 40.0, 40.1])
    accounts = Accounts.from_columns(lon=lon, lat=lat, potential=np.ones(4), external_id=list("abcd"),
                                     name=list("abcd"), segment=[None] * 4, industry=[None] * 4,
                                     postcode=[None] * 4)
    territories = {1: Territory(1, "A", color="#1f77b4"), 2: Territory(2, "B", color="#ff7f0e")}
    scenario = Scenario(1, "Current plan", territories, np.array([1, 1, 2, 2]), np.zeros(4, dtype=bool))
    win = open_window(qtbot, tmp_path / "tiny.tplan", Plan(accounts, {1: scenario}, 1, Settings(), name="Tiny"))
    win.map.set_tool("select")
    border = shared_border(win, 1, 2)
    start = win.map.map_to_viewport(*point_on(border, 0.5))
    end = win.map.map_to_viewport(accounts.x[1], accounts.y[1])
    end += end - start  # well past A's nearest account
    expected = expected_drag(win, start, end)
    settle()
    assert expected.into == 2 and expected.accounts.size >= 1
    drag(qtbot, win.map.viewport(), start, end)
    settle()
    after = win.session.plan.active.assignment
    assert np.array_equal(np.flatnonzero(after != [1, 1, 2, 2]), expected.accounts)
    assert (after[2:] == 2).all()  # B's accounts never leave when the border moves into A
