"""Application start-up and where projects come from: the QApplication and its style, the project opened at
start (the last one, else the user's copy of the demo), new empty and demo projects, offscreen screenshots."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication

from desktop_planner.io.demo import build_demo_plan
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile

BUNDLED_DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo_northeast.tplan"
ORGANIZATION = "desktop_planner"
APPLICATION = "Desktop Planner"
# Long enough for the map to draw its points and basemap tiles, short enough for a command-line tool.
SCREENSHOT_SETTLE_SECONDS = 0.5
SCREENSHOT_MAX_WAIT_SECONDS = 60.0
SCREENSHOT_SIZE = (1600, 1000)

STYLE_SHEET = """
QMainWindow, QDialog { background: #f6f7f9; }
QToolBar { background: #eceff3; border: none; border-bottom: 1px solid #d0d5dc; spacing: 2px; padding: 2px; }
QToolBar QToolButton { padding: 3px 7px; border-radius: 3px; }
QToolBar QToolButton:checked { background: #cfe0f5; border: 1px solid #7fa7d9; }
QToolBar QToolButton:hover { background: #dde3ea; }
QTableView { gridline-color: #e3e6ea; selection-background-color: #cfe0f5; selection-color: #111111;
             alternate-background-color: #f7f8fa; background: #ffffff; }
QHeaderView::section { background: #eceff3; padding: 3px 6px; border: none;
                       border-right: 1px solid #d0d5dc; border-bottom: 1px solid #d0d5dc; }
QStatusBar QLabel { padding: 0 8px; color: #333333; }
"""


def data_dir() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation))


def ensure_app():
    """The QApplication, created once with the names QSettings and QStandardPaths use."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setOrganizationName(ORGANIZATION)
        app.setApplicationName(APPLICATION)
        app.setStyle("Fusion")
        app.setStyleSheet(STYLE_SHEET)
    return app


def demo_project() -> Path:
    """The user's own copy of the demo project, made on first use. The app writes every edit to the open
    file, so it never opens the bundled file itself (which may also sit in a read-only install)."""
    target = data_dir() / BUNDLED_DEMO.name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if BUNDLED_DEMO.exists():
        shutil.copyfile(BUNDLED_DEMO, target)
    else:
        ProjectFile.create(target, build_demo_plan()).close()
    return target


def default_project() -> Path:
    """The last project opened, if it still exists, else the demo."""
    last = QSettings().value("last_project")
    if last and Path(last).is_file():
        return Path(last)
    return demo_project()


def render_screenshot(window, out: Path) -> None:
    """Let the window lay out and paint, wait for the territory regions and their contiguity check and for the
    unit layer's shapes, which run in the background (up to SCREENSHOT_MAX_WAIT_SECONDS on a huge project), then save what it shows."""
    window.show()
    start = time.monotonic()
    settled = start + SCREENSHOT_SETTLE_SECONDS
    while True:
        QApplication.processEvents()
        now = time.monotonic()
        regions = window.view_options.regions
        building = (regions.is_building() or regions.is_checking()  # the split territories' outlines come last
                    or window.view_options.units.is_building())
        if now >= settled and not building or now - start > SCREENSHOT_MAX_WAIT_SECONDS:
            break
        time.sleep(0.01)
    QApplication.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        raise OSError(f"{out}: the picture could not be written")


def run_app(project: Path | None = None, screenshot: Path | None = None, size=None) -> int:
    """Start the app (or, with `screenshot`, render the window offscreen to a PNG at exactly `size`, by default
    SCREENSHOT_SIZE); returns an exit code. The window opens as the last run left it, else fitted to the screen;
    `size` opens it at that size instead."""
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the QApplication is created
    app = ensure_app()
    from desktop_planner.ui.window.main_window import MainWindow  # here: the window module imports this one

    window = MainWindow()
    if screenshot is not None:
        window.layout_.remember = False  # a picture is no run of the user's: its size is not the next start's
        window.resize(*(size or SCREENSHOT_SIZE))
    elif size is not None:
        window.resize(*size)
    else:
        window.layout_.restore(QSettings())
    if screenshot is not None:
        try:
            # Read-only: a picture changes nothing, and works while the project is open in another window.
            window.load_project(project or default_project(), read_only=True)
            render_screenshot(window, Path(screenshot))
        except (ProjectError, OSError) as exc:
            print(f"desktop-planner: {exc}", file=sys.stderr)
            return 2
        finally:
            window.close()
        return 0
    if project is None or not window.open_project(project):
        try:
            window.load_project(default_project())
        except (ProjectError, OSError) as exc:
            window.show_error(str(exc))
    window.show()
    return app.exec()
