"""The main window of the UI tests, opened one way everywhere (`shown_window`); for the territory-layer tests
(regions, border drag, homes, heat, settings) a plan made for dragging borders and helpers to script the
mouse. Import the fixtures into a test module."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from desktop_planner.core.model import Accounts, Plan, Scenario, Territory
from desktop_planner.core.settings import Settings
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.window.main_window import MainWindow

WEST, EAST, NORTH = 1, 2, 3


def border_plan(n: int = 900, seed: int = 3) -> Plan:
    """Accounts spread evenly over a piece of Ohio: West and East split it down the middle below 40.7°N, North
    has the strip above. So West|East is a long straight border with accounts on both sides, and the three meet
    in a corner. North has no home (its medoid stands in)."""
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-84.0, -82.0, n), rng.uniform(39.5, 41.0, n)
    accounts = Accounts.from_columns(
        lon=lon, lat=lat, potential=rng.lognormal(10, 0.5, n).round(2),
        external_id=[f"B{i:04d}" for i in range(n)], name=[f"Account {i}" for i in range(n)],
        segment=rng.choice(["Enterprise", "SMB", None], n).tolist(), industry=["Retail"] * n, postcode=["43215"] * n)
    territories = {
        WEST: Territory(WEST, "West", color="#1f77b4", rep_name="Wes", home_lon=-83.5, home_lat=40.1),
        EAST: Territory(EAST, "East", color="#ff7f0e", rep_name="Eve", home_lon=-82.5, home_lat=40.1),
        NORTH: Territory(NORTH, "North", color="#2ca02c", rep_name="Nor"),
    }
    assignment = np.where(lat >= 40.7, NORTH, np.where(lon < -83.0, WEST, EAST)).astype(np.int64)
    scenario = Scenario(1, "Current plan", territories, assignment, np.zeros(n, dtype=bool))
    return Plan(accounts, {1: scenario}, 1, Settings(), name="Border plan")


def shown_window(qtbot, path=None, plan: Plan | None = None, size: tuple[int, int] = (1200, 800)) -> MainWindow:
    """A shown main window of `size` with the project at `path` open (written from `plan` first when given; no
    project when `path` is None)."""
    if plan is not None:
        ProjectFile.create(path, plan, overwrite=True).close()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(*size)
    if path is not None:
        win.load_project(path)
    win.show()
    qtbot.waitExposed(win)
    return win


def open_window(qtbot, path, plan: Plan | None = None) -> MainWindow:
    """`shown_window` with the territory regions built and the map fitted to the accounts."""
    win = shown_window(qtbot, path, plan)
    wait_for_regions(qtbot, win)
    win.map.fit_to_accounts()
    return win


@pytest.fixture
def window(qtbot, tmp_path, isolated_settings, messages):
    return open_window(qtbot, tmp_path / "border.tplan", border_plan())


def wait_for_regions(qtbot, win) -> None:
    qtbot.waitUntil(lambda: not win.view_options.regions.is_building(), timeout=10_000)


def drag(qtbot, widget, start: QPoint, end: QPoint, steps: int = 8, release: bool = True) -> None:
    """Press at `start`, move to `end` in steps (letting the frame timer run), release there."""
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for t in np.linspace(0.0, 1.0, steps + 1)[1:]:
        qtbot.mouseMove(widget, pos=start + QPoint(round((end - start).x() * t), round((end - start).y() * t)))
        qtbot.wait(20)
    if release:
        qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def settle() -> None:
    """Let the regions follow a command: they are refreshed one event loop turn after it."""
    QApplication.processEvents()
