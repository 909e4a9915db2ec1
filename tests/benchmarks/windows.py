"""The real main window for UI benchmarks: offscreen, with settings kept out of the user's, on a fresh copy of a
benchmark project (the gestures the benchmarks replay are saved to it)."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_planner.ui.app import ensure_app  # noqa: E402
from desktop_planner.ui.window.main_window import MainWindow  # noqa: E402
from tests.benchmarks.projects import bench_project  # noqa: E402


@contextmanager
def bench_window(accounts: int = 100_000, territories: int = 50, load: bool = True,
                 build: Callable[[Path], None] | None = None) -> Iterator[tuple[MainWindow, Path]]:
    """A shown 1600x1000 window and its project's path; with load=False the project is not opened yet (for
    benchmarks that time the opening itself). `build(path)`: make the project there instead of copying the demo
    of that size."""
    ensure_app()
    with tempfile.TemporaryDirectory() as folder:
        QSettings.setDefaultFormat(QSettings.IniFormat)
        QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, folder)
        if build is not None:
            path = Path(folder) / "bench.tplan"
            build(path)
        else:
            path = bench_project(accounts, territories)
        window = MainWindow()
        window.resize(1600, 1000)
        if load:
            window.load_project(path)
        window.show()
        QApplication.processEvents()
        try:
            yield window, path
        finally:
            window.close()
