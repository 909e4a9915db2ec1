"""Territory regions in the window: built off the GUI thread, one per territory, rebuilt only where an edit
changed them, split territories flagged in the panel and outlined, the show modes and a study-area layer."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import shapely
from PySide6.QtCore import QPoint

from desktop_planner.core.commands import Reassign
from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.core.model import Scenario
from desktop_planner.core.scenario_commands import AddScenario
from desktop_planner.io.study_area import read_study_area
from desktop_planner.ui.map import regions_controller
from desktop_planner.ui.panel.balance_panel import PIECES_COLUMN
from tests.ui.windows import (settle, EAST, NORTH, WEST, border_plan,  # noqa: F401
                                    open_window, wait_for_regions, window)


def pieces_cell(win, territory_id: int) -> str:
    model = win.panel.model
    return model.data(model.index(model.territory_ids.index(territory_id), PIECES_COLUMN))


def test_regions_are_built_off_the_gui_thread_with_dots_shown_meanwhile(qtbot, tmp_path, isolated_settings,  # noqa: F811
                                                                       messages):  # noqa: F811
    from desktop_planner.store.project import ProjectFile
    from desktop_planner.ui.window.main_window import MainWindow
    path = tmp_path / "plan.tplan"
    ProjectFile.create(path, border_plan()).close()
    win = MainWindow()
    qtbot.addWidget(win)
    win.load_project(path)
    regions = win.view_options.regions
    assert regions.is_building() and regions.region_map is None  # the job reports through the event loop
    assert win.panel.model.rowCount() == 3  # the figures (and the dots) do not wait for it
    wait_for_regions(qtbot, win)
    assert regions.region_map is not None


def test_every_territory_has_a_filled_region_and_a_label(window):
    regions = window.view_options.regions
    paths = regions.fills.paths()
    assert set(paths) == {WEST, EAST, NORTH}
    for tid, path in paths.items():
        area = regions.region_map.regions[tid]
        assert not path.isEmpty()
        rect = path.boundingRect()
        x0, y0, x1, y1 = area.bounds
        assert abs(rect.left() - x0) < 1 and abs(rect.bottom() - y1) < 1
    shown = window.map.grab().toImage()
    window.view_options.show_territories_as("dots")
    assert window.map.grab().toImage() != shown  # the fills and names really are drawn


def test_regions_are_translucent_so_the_map_shows_through(window):
    """A pixel inside a region, away from dots, blends the fill with the basemap instead of hiding it."""
    window.view_options.show_territories_as("regions")
    window.view_options.set_homes(False)
    with_regions = window.map.grab().toImage()
    window.view_options.show_territories_as("dots")
    plain = window.map.grab().toImage()
    window.view_options.show_territories_as("regions")
    x, y = window.view_options.regions.region_map.label_points()[WEST]
    pos = window.map.map_to_viewport(x, y) + QPoint(0, 40)
    tinted, base = with_regions.pixelColor(pos), plain.pixelColor(pos)
    assert tinted != base
    assert abs(tinted.lightness() - base.lightness()) < 60  # a tint, not a cover


def test_after_a_reassign_only_the_changed_territories_are_rebuilt(window, monkeypatch):
    regions = window.view_options.regions
    rebuilt: list[set[int]] = []
    original = regions.fills.set_paths
    monkeypatch.setattr(regions.fills, "set_paths", lambda paths, replace=False: (rebuilt.append(set(paths)),
                                                                                   original(paths, replace)))
    plan = window.session.plan
    rows = np.flatnonzero(plan.active.assignment == WEST)[:20]
    window.controller.do(Reassign(plan.active.id, rows, EAST, action="lasso"))
    settle()
    assert rebuilt == [{WEST, EAST}]
    assert not regions.is_building()
    owner = regions.region_map.regions
    assert owner[EAST].contains(shapely.points(plan.accounts.x[rows], plan.accounts.y[rows])).all()


def test_a_split_territory_is_flagged_in_the_panel_and_its_pieces_outlined(window, qtbot):
    # The pieces are checked in a second process once the regions are drawn.
    qtbot.waitUntil(lambda: not window.view_options.regions.is_checking(), timeout=10_000)
    plan = window.session.plan
    assert pieces_cell(window, EAST) == ""
    # A block deep in East, far from West, given to West: West is now in two pieces.
    x = plan.accounts.x
    east_x, _ = lonlat_to_mercator(-82.3, 40.0)
    block = np.flatnonzero((plan.active.assignment == EAST) & (x > east_x))
    window.controller.do(Reassign(plan.active.id, block, WEST, action="lasso"))
    settle()
    qtbot.waitUntil(lambda: pieces_cell(window, WEST) == "⚠ 2")  # counted a moment after the regions' repaint
    assert pieces_cell(window, EAST) == ""
    outlines = window.view_options.regions.marks.pieces()
    assert set(outlines) == {WEST} and len(outlines[WEST]) == 2
    window.controller.undo()
    settle()
    qtbot.waitUntil(lambda: pieces_cell(window, WEST) == "")
    assert window.view_options.regions.marks.pieces() == {}


def test_show_dots_regions_or_both(window):
    options, regions = window.view_options, window.view_options.regions
    dots = window.map._dots  # noqa: SLF001 -- the one way to see whether the dots are drawn
    for mode, dots_on, regions_on in (("dots", True, False), ("regions", False, True), ("both", True, True)):
        options.show_territories_as(mode)
        assert dots.isVisible() == dots_on
        assert regions.fills.isVisible() == regions_on and regions.marks.isVisible() == regions_on
        assert window.named_actions[f"show_{mode}"].isChecked()


def test_a_scenario_switch_redraws_the_regions_in_the_background(window, qtbot, monkeypatch):
    # Six territories change (three go, three come), which a real plan's 50 would far exceed.
    monkeypatch.setattr(regions_controller, "SYNC_TERRITORIES", 4)
    plan = window.session.plan
    scenario = plan.active
    copies = {tid + 10: replace(t, id=tid + 10) for tid, t in scenario.territories.items()}
    other = Scenario(2, "Everything West", copies, np.full(len(scenario.assignment), WEST + 10),
                     np.zeros(len(scenario.assignment), dtype=bool))
    window.controller.do(AddScenario(other))
    settle()
    window.controller.switch_scenario(2)
    settle()
    regions = window.view_options.regions
    assert regions.is_building()
    assert set(regions.fills.paths()) <= set(copies)  # the other scenario's regions are not left standing
    wait_for_regions(qtbot, window)
    assert set(regions.fills.paths()) == set(copies)
    assert regions.fills.paths()[EAST + 10].isEmpty() and not regions.fills.paths()[WEST + 10].isEmpty()
    assert set(regions.region_map.regions) == set(copies)


def test_a_study_area_layer_clips_the_regions_and_stays_with_the_project(window, qtbot, tmp_path):
    # The southern half of the accounts' area as a GeoJSON layer.
    polygon = {"type": "Polygon", "coordinates": [[[-84.2, 39.3], [-81.8, 39.3], [-81.8, 40.2], [-84.2, 40.2],
                                                   [-84.2, 39.3]]]}
    layer = tmp_path / "south.geojson"
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": polygon}]}))
    area = read_study_area(layer)
    window.view_options.set_study_area(area)
    wait_for_regions(qtbot, window)
    regions = window.view_options.regions.region_map.regions
    assert shapely.union_all(list(regions.values())).difference(area.buffer(1)).is_empty
    path = window.session.project.path
    window.close()
    reopened = open_window(qtbot, path)
    assert reopened.view_options.regions.study_area.equals(area)
