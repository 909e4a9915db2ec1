"""Start-up: which project opens, and the offscreen screenshot the command line and the docs rely on."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from desktop_planner.io.demo import build_demo_plan
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui import app as app_module
from desktop_planner.ui.app import default_project, run_app


@pytest.fixture(autouse=True)
def data_dir(monkeypatch, tmp_path):
    """The demo copy goes to a temporary folder (run_app's screenshot tests open it too)."""
    folder = tmp_path / "data"
    monkeypatch.setattr(app_module, "data_dir", lambda: folder)
    return folder


def distinct_colours(path) -> int:
    image = QImage(str(path)).convertToFormat(QImage.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), dtype=np.uint32, count=image.width() * image.height())
    return len(np.unique(pixels))


def test_screenshot_of_a_project_is_a_full_picture(tmp_path):
    project = tmp_path / "demo.tplan"
    ProjectFile.create(project, build_demo_plan(3000, 8, seed=2)).close()
    out = tmp_path / "window.png"
    assert run_app(project, screenshot=out, size=(1400, 900)) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)
    assert distinct_colours(out) > 200  # map dots in every territory colour, basemap, text, chart


def test_screenshot_of_a_bad_file_fails_with_the_reason(tmp_path, capsys):
    bad = tmp_path / "bad.tplan"
    bad.write_text("hello")
    assert run_app(bad, screenshot=tmp_path / "x.png") == 2
    assert "not an SQLite database" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_without_a_project_the_demo_copy_opens(data_dir, monkeypatch, tmp_path):
    bundled = tmp_path / "bundled.tplan"
    ProjectFile.create(bundled, build_demo_plan(200, 3)).close()
    monkeypatch.setattr(app_module, "BUNDLED_DEMO", bundled)
    chosen = default_project()
    assert chosen.parent == data_dir and chosen.read_bytes() == bundled.read_bytes()


def test_missing_bundled_demo_is_built(data_dir, monkeypatch, tmp_path):
    monkeypatch.setattr(app_module, "BUNDLED_DEMO", tmp_path / "missing.tplan")
    monkeypatch.setattr(app_module, "build_demo_plan", lambda: build_demo_plan(150, 3))
    with ProjectFile.open(default_project()) as project:
        assert len(project.load_plan().accounts) == 150


def test_last_project_wins_while_it_exists(data_dir, tmp_path):
    last = tmp_path / "last.tplan"
    ProjectFile.create(last, build_demo_plan(100, 2)).close()
    QSettings().setValue("last_project", str(last))
    assert default_project() == last
    last.unlink()
    assert default_project().parent == data_dir
