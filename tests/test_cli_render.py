"""`desktop-planner render`: pictures from the command line, and exit status 2 with a reason for bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from desktop_planner.cli import main
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "plan.tplan"
    ProjectFile.create(path, make_plan(200, 3)).close()
    return path


def test_render_png_and_pdf(qapp, project, tmp_path, capsys):
    png = tmp_path / "map.png"
    assert main(["render", str(project), "--out", str(png), "--size", "800x500", "--title", "Ohio"]) == 0
    from PySide6.QtGui import QImage
    assert QImage(str(png)).size().toTuple() == (800, 500)
    assert "map of scenario 'Current plan'" in capsys.readouterr().out
    pdf = tmp_path / "map.pdf"
    assert main(["render", str(project), "--out", str(pdf), "--scenario", "Current plan"]) == 0
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000


@pytest.mark.parametrize("args, reason", [
    (["--out", "{tmp}/map.gif"], "unsupported picture type '.gif'"),
    (["--out", "{tmp}/map.png", "--scenario", "Nope"], "no scenario named 'Nope'"),
    (["--out", "{tmp}/nowhere/map.png"], "does not exist"),
    (["--out", "{tmp}/map.png", "--size", "10x10"], "out of range"),
    (["--size", "800x500"], "--out"),
])
def test_bad_input_exits_2_with_a_reason(qapp, project, tmp_path, capsys, args, reason):
    argv = ["render", str(project)] + [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(argv) == 2
    assert reason in capsys.readouterr().err
    assert not (tmp_path / "map.png").exists()


def test_a_file_that_is_not_a_project_exits_2(qapp, tmp_path, capsys):
    bad = tmp_path / "notes.tplan"
    bad.write_text("not a project")
    assert main(["render", str(bad), "--out", str(tmp_path / "map.png")]) == 2
    assert "notes.tplan" in capsys.readouterr().err
    assert bad.read_text() == "not a project"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display variables are X11/Wayland's")
def test_renders_without_a_display(project, tmp_path):
    """A headless server: no DISPLAY and no QT_QPA_PLATFORM; the command picks the offscreen platform itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "map.png"
    done = subprocess.run([sys.executable, "-m", "desktop_planner", "render", str(project), "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 10_000


def _folder_state(folder):
    import hashlib
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_render_and_screenshot_change_no_byte_of_the_project(qapp, tmp_path):
    """Issue 13 defect: render and --screenshot wrote into the project (a geometry cache)."""
    folder = tmp_path / "project"
    folder.mkdir()
    project = folder / "plan.tplan"
    ProjectFile.create(project, make_plan(200, 3)).close()
    before = _folder_state(folder)
    assert main(["render", str(project), "--out", str(tmp_path / "map.png"), "--size", "400x300"]) == 0
    assert main([str(project), "--screenshot", str(tmp_path / "window.png"), "--size", "900x600"]) == 0
    assert (tmp_path / "window.png").stat().st_size > 10_000
    assert _folder_state(folder) == before
