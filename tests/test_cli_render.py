"""`desktop-planner render`: pictures from the command line, and exit status 2 with a reason for bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from desktop_planner.cli import main
from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan
from tests.ui.test_map_render_regions import ANCHORAGE, colors_of, with_accounts


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
    (["--out", "{tmp}/map.png", "--extent", "nowhere"], "neither a box nor a region; give LON0,LAT0,LON1,LAT1"),
    (["--out", "{tmp}/map.png", "--extent", "-80,38,-70"], "neither a box nor a region"),
    (["--out", "{tmp}/map.png", "--extent", "-70,38,-80,45"], "longitudes must run west to east"),
    (["--out", "{tmp}/map.png", "--extent", "-80,38,-70,91"], "latitudes must run south to north"),
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


def exact(path, color: str) -> np.ndarray:
    """Where the picture at `path` has exactly this colour (a dot's or a home's middle, a legend swatch)."""
    from PySide6.QtGui import QColor, QImage
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    raw = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = raw[:, :3 * image.width()].reshape(image.height(), image.width(), 3)
    c = QColor(color)
    return (pixels == [c.red(), c.green(), c.blue()]).all(axis=2)


@pytest.fixture(scope="module")
def country(tmp_path_factory):
    path = tmp_path_factory.mktemp("country") / "us50.tplan"
    assert main(["demo", str(path), "--accounts", "3000", "--territories", "50", "--region", "us"]) == 0
    return path


def spread(where: np.ndarray) -> float:
    """How far a territory's dots reach across the picture, in pixels. Its legend swatch and home marker, solid
    blocks wider than a dot, are left out."""
    from scipy import ndimage
    blocks = ndimage.binary_dilation(ndimage.binary_opening(where, np.ones((6, 6), dtype=bool)), iterations=2)
    rows, columns = np.nonzero(where & ~blocks)
    if not len(rows):
        return 0.0
    return max(float(np.subtract(*np.percentile(v, [90, 10]))) for v in (rows, columns))


def territory_near(plan, lon, lat) -> int:
    x, y = lonlat_to_mercator(lon, lat)
    return int(plan.active.assignment[np.argmin(np.hypot(plan.accounts.x - x, plan.accounts.y - y))])


def test_extent_by_region_and_by_box_changes_the_view(qapp, country, tmp_path):
    with ProjectFile.open(country, read_only=True) as project:
        plan = project.load_plan()
    colors = colors_of(plan.active)
    boston, new_york, los_angeles = (colors[territory_near(plan, *place)] for place in
                                     ((-71.06, 42.36), (-74.0, 40.71), (-118.24, 34.05)))
    seen = {}
    for name, extent in (("whole", []), ("northeast", ["--extent", "northeast"]),
                         ("box", ["--extent", "-75.5,40,-73,41.5"])):
        out = tmp_path / f"{name}.png"
        assert main(["render", str(country), "--out", str(out), "--size", "1200x800", *extent]) == 0
        seen[name] = {city: exact(out, color) for city, color in
                      (("Boston", boston), ("New York", new_york), ("Los Angeles", los_angeles))}
    assert min(int(where.sum()) for where in seen["whole"].values()) > 20  # the whole country, and its legend
    # Zoomed on the Northeast its territories spread over the picture, and Los Angeles' is nowhere: neither its
    # accounts nor its legend entry.
    assert spread(seen["northeast"]["Boston"]) > 2.5 * spread(seen["whole"]["Boston"])
    assert spread(seen["box"]["New York"]) > 3 * spread(seen["northeast"]["New York"])
    assert seen["northeast"]["Los Angeles"].sum() <= 3 and seen["box"]["Los Angeles"].sum() <= 3
    pdf = tmp_path / "northeast.pdf"
    assert main(["render", str(country), "--out", str(pdf), "--extent", "northeast"]) == 0
    data = pdf.read_bytes()
    assert b"/FontFile" in data and data.count(b"/Subtype /Image") == 1  # vector legend, one raster map


def test_alaska_accounts_are_drawn_in_an_inset(qapp, tmp_path):
    ohio = make_plan(300, 3, seed=4)
    rng = np.random.default_rng(1)
    paths = {}
    for name, plan in (("ohio", ohio), ("with_alaska", with_accounts(ohio, ANCHORAGE[0] + rng.normal(0, 0.6, 12),
                                                                     ANCHORAGE[1] + rng.normal(0, 0.3, 12), 2))):
        ProjectFile.create(tmp_path / f"{name}.tplan", plan).close()
        paths[name] = tmp_path / f"{name}.png"
        assert main(["render", str(tmp_path / f"{name}.tplan"), "--out", str(paths[name]), "--size", "900x600"]) == 0
    colors = colors_of(ohio.active)
    # Ohio is drawn as large as without Alaska (its dots cover as much of the picture) ...
    assert exact(paths["with_alaska"], colors[1]).sum() > 0.8 * exact(paths["ohio"], colors[1]).sum()
    # ... and territory 2's Alaska accounts show in the bottom-left corner, far from its Ohio ones (top right).
    corner = (slice(400, 600), slice(0, 250))
    assert exact(paths["ohio"], colors[2])[corner].sum() == 0
    assert exact(paths["with_alaska"], colors[2])[corner].sum() >= 5
