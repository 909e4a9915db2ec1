"""Geography units in the window (issue 12): drawn coloured by territory, picked whole by the gestures with a live
preview, committed as one undo step; with unit picking off the gestures pick accounts as before."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from desktop_planner.core.model import UNASSIGNED
from tests.ui.windows import drag, shown_window


@pytest.fixture
def units_window(qtbot, counties_copy, isolated_settings):
    win = shown_window(qtbot, counties_copy, size=(1366, 768))
    qtbot.waitUntil(lambda: win.view_options.units.shapes is not None, timeout=60_000)
    win.map.fit_to_accounts()
    qtbot.wait(50)
    return win


def unit_territories(win) -> np.ndarray:
    plan = win.session.plan
    return plan.units.of(plan, plan.active).territory


def county(win, name: str) -> int:
    layer = win.session.plan.units.layer
    return int(np.flatnonzero(layer.names == name)[0])


def test_units_are_drawn_in_their_territory_colours_and_regions_step_aside(units_window):
    win = units_window
    shown = win.map.units
    assert shown.is_shown() and np.array_equal(shown.committed, unit_territories(win))
    assert not win.view_options.regions.fills.isVisible() and win.view_options.regions.marks.isVisible()
    assert win.named_actions["pick_units"].isEnabled() and win.map.tools.picks_units()
    image = win.map.viewport().grab().toImage()
    # The middle of Suffolk County (Boston) is painted in its territory's colour, faded over the basemap.
    u = county(win, "Suffolk, MA")
    colour = win.controller.color_map()[int(unit_territories(win)[u])]
    pixel = win.map.map_to_viewport(*win.view_options.units.shapes.points[u])
    seen = image.pixelColor(pixel)
    want = QColor(colour)
    assert abs(seen.hue() - want.hue()) < 25 or want.saturation() < 40


def test_a_rectangle_gives_the_units_under_it_to_the_active_territory_as_one_undo_step(units_window, qtbot):
    win = units_window
    plan = win.session.plan
    shapes = win.view_options.units.shapes
    u = county(win, "Albany, NY")
    before_units = unit_territories(win).copy()
    target = next(t for t in plan.active.territory_ids() if t != before_units[u])
    win.controller.set_active(int(target))
    centre = win.map.map_to_viewport(*shapes.points[u])
    start, end = centre - QPoint(4, 4), centre + QPoint(4, 4)
    x0, y0 = win.map.map_from_viewport(start)
    x1, y1 = win.map.map_from_viewport(end)
    picked = np.flatnonzero((shapes.points[:, 0] >= min(x0, x1)) & (shapes.points[:, 0] <= max(x0, x1))
                            & (shapes.points[:, 1] >= min(y0, y1)) & (shapes.points[:, 1] <= max(y0, y1)))
    assert u in picked
    steps = len(win.session.history.undo_labels())
    win.map.set_tool("rect")
    drag(qtbot, win.map.viewport(), start, end, release=False)
    qtbot.waitUntil(lambda: win.map.units.preview is not None, timeout=2000)
    assert (win.map.units.preview[picked] == target).all()  # the preview, before anything is committed
    qtbot.mouseRelease(win.map.viewport(), Qt.MouseButton.LeftButton, pos=end)
    after = unit_territories(win)
    assert (after[picked] == target).all()
    assert np.array_equal(np.delete(after, picked), np.delete(before_units, picked))
    # The accounts of those counties follow, except the named exceptions.
    state = plan.units
    rows = np.flatnonzero(np.isin(state.unit_of_rows(plan), picked) & ~state.exception_rows(plan, plan.active))
    assert len(rows) and (plan.active.assignment[rows] == target).all()
    assert len(win.session.history.undo_labels()) == steps + 1
    assert win.map.units.preview is None and np.array_equal(win.map.units.committed, after)
    win.controller.undo()
    assert np.array_equal(unit_territories(win), before_units)
    assert np.array_equal(win.map.units.committed, before_units)


def test_a_click_selects_the_accounts_of_the_unit_and_names_it(units_window, qtbot):
    win = units_window
    plan = win.session.plan
    u = county(win, "Suffolk, MA")
    said = []
    win.controller.message.connect(said.append)
    win.map.set_tool("select")
    win.map.tools.click(tuple(win.view_options.units.shapes.points[u]))
    expected = np.flatnonzero(plan.units.unit_of_rows(plan) == u)
    assert np.array_equal(win.controller.selection, expected) and len(expected) > 0
    assert said and said[-1].startswith(f"25025 Suffolk, MA: {len(expected):,} accounts")


def test_with_unit_picking_off_the_lasso_moves_accounts_not_units(units_window, qtbot):
    win = units_window
    plan = win.session.plan
    win.view_options.set_pick_units(False)
    assert not win.map.tools.picks_units()
    units_before = unit_territories(win).copy()
    shapes = win.view_options.units.shapes
    u = county(win, "Albany, NY")
    centre = win.map.map_to_viewport(*shapes.points[u])
    target = next(t for t in plan.active.territory_ids() if t != units_before[u])
    win.controller.set_active(int(target))
    start, end = centre - QPoint(6, 6), centre + QPoint(6, 6)
    (x0, y0), (x1, y1) = win.map.map_from_viewport(start), win.map.map_from_viewport(end)
    a = plan.accounts
    under = np.flatnonzero((a.x >= min(x0, x1)) & (a.x <= max(x0, x1)) & (a.y >= min(y0, y1)) & (a.y <= max(y0, y1))
                           & ~plan.active.locked)
    assert len(under)
    win.map.set_tool("rect")
    drag(qtbot, win.map.viewport(), start, end)
    assert np.array_equal(unit_territories(win), units_before)  # no unit changed territory
    assert (plan.active.assignment[under] == target).all()  # the accounts under the rectangle moved, by themselves
    # ...and are named exceptions now, so moving their county later leaves them where they were put, until undone.
    assert plan.units.exception_rows(plan, plan.active)[under].all()
    steps = len(win.session.history.undo_labels())
    win.controller.undo()
    assert len(win.session.history.undo_labels()) == steps - 1
    assert not (plan.active.assignment[under] == target).all()


def test_a_preview_step_redraws_only_the_units_it_changes(units_window, qtbot):
    win = units_window
    fills = win.map.units.fills
    qtbot.wait(50)
    renders, patches = fills.picture.renders, fills.picture.patches
    territory = win.map.units.committed.copy()
    u = county(win, "Albany, NY")
    territory[u] = UNASSIGNED if territory[u] != UNASSIGNED else territory.max()
    win.map.units.set_preview(territory)
    qtbot.wait(50)
    assert fills.picture.patches == patches + 1 and fills.picture.renders == renders
    win.map.units.set_preview(None)
    qtbot.wait(50)
    assert fills.picture.renders == renders


def test_an_auto_balance_on_units_previews_the_proposed_units_and_applies_them(units_window, qtbot, monkeypatch):
    from tests.ui.test_balance_dialog import accept_options, run_to_preview
    win = units_window
    before = unit_territories(win).copy()
    accept_options(monkeypatch, time_limit=4.0)
    run_to_preview(win, qtbot)
    auto = win.auto_balance
    assert auto.proposal is not None
    shown = win.map.units.preview
    assert shown is not None and (shown != before).any()  # the proposed units, in their colours, before Apply
    assert np.array_equal(unit_territories(win), before)
    qtbot.mouseClick(auto.dock.apply_button, Qt.MouseButton.LeftButton)
    after = unit_territories(win)
    assert np.array_equal(after, shown) and win.map.units.preview is None
    assert np.array_equal(win.map.units.committed, after)


def test_the_panel_counts_pieces_on_the_unit_adjacency(units_window, qtbot):
    from desktop_planner.core.units import pieces_per_territory
    win = units_window
    shapes = win.view_options.units.shapes
    qtbot.waitUntil(lambda: not win.view_options.regions.is_checking(), timeout=30_000)
    assert win.panel.model.pieces == pieces_per_territory(unit_territories(win), shapes.edges)
    # A county given to a territory far away makes that territory two pieces in the panel.
    u = county(win, "Albany, NY")
    far = next(t for t in win.session.plan.active.territory_ids()
               if win.panel.model.pieces.get(int(t)) == 1 and not np.isin(
                   unit_territories(win)[shapes.edges[(shapes.edges == u).any(axis=1)].ravel()], [t]).any())
    win.controller.set_active(int(far))
    win.map.set_tool("select")
    win.controller.unit_gestures.finish(np.array([u]), "rect", False)
    qtbot.waitUntil(lambda: win.panel.model.pieces.get(int(far)) == 2, timeout=2000)  # a moment after the repaint
    assert win.panel.model.pieces == pieces_per_territory(unit_territories(win), shapes.edges)


def test_territory_names_sit_on_their_units_and_the_regions_catch_up_when_the_layer_goes(units_window, qtbot):
    from desktop_planner.core.commands import SetUnitLayer
    win = units_window
    regions = win.view_options.regions
    shapes = win.view_options.units.shapes
    labels = win.view_options.units.labels()
    territory = unit_territories(win)
    for tid, (x, y, _) in labels.items():  # each name stands on a unit of its own territory
        assert territory[shapes.unit_at(x, y)] == tid
    u = county(win, "Albany, NY")
    target = next(t for t in win.session.plan.active.territory_ids() if t != territory[u])
    win.controller.set_active(int(target))
    win.controller.unit_gestures.finish(np.array([u]), "rect", False)
    assert win.controller.do(SetUnitLayer(None))
    qtbot.waitUntil(lambda: win.view_options.units.shapes is None and not regions.is_building(), timeout=30_000)
    qtbot.waitUntil(lambda: np.array_equal(regions._assignment, win.session.plan.active.assignment), timeout=30_000)
    assert regions.fills.isVisible() and regions.draggable
