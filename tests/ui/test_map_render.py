"""The map as a picture: what a PNG and a PDF hold, and the options the change report relies on."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.ui.window.controller import territory_colors
from desktop_planner.ui.map.accounts_layer import UNASSIGNED_COLOR
from desktop_planner.ui.map.view import BACKGROUND
from desktop_planner.ui.map.map_render import TITLE_HEIGHT, RenderError, render_map, save_map
from tests.conftest import make_plan


def rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(image.constBits(), dtype=np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    return raw[:, :image.width()] & 0xFFFFFF


def dark(pixels: np.ndarray) -> int:
    return int((((pixels >> 16) & 0xFF) + ((pixels >> 8) & 0xFF) + (pixels & 0xFF) < 200).sum())


def hex_rgb(color: str) -> int:
    return int(color.lstrip("#"), 16)


@pytest.fixture
def plan():
    return make_plan(300, 3, seed=4, unassigned=5)


def test_render_map_draws_basemap_dots_title_and_overlays(qapp, plan):
    image = render_map(plan, plan.active, size=(900, 600), title="Ohio today")
    assert (image.width(), image.height()) == (900, 600)
    pixels = rgb(image)
    assert len(np.unique(pixels)) > 500  # basemap tiles, dots, text: far from a blank or flat picture
    for color in territory_colors(list(plan.active.territories.values())):
        assert (pixels == hex_rgb(color)).sum() > 20, color  # every territory's dots
    assert dark(pixels[:int(TITLE_HEIGHT) - 2]) > 300  # the title and subtitle, dark on white
    assert dark(pixels[-16:, -150:]) > 50  # "© OpenStreetMap contributors", bottom right


def test_legend_and_scale_bar_panels(qapp, plan):
    pixels = rgb(render_map(plan, plan.active, size=(800, 500), basemap=None))
    legend, scale = pixels[int(TITLE_HEIGHT):int(TITLE_HEIGHT) + 110, -260:], pixels[-60:, :140]
    for color in territory_colors(list(plan.active.territories.values())) + [UNASSIGNED_COLOR]:
        assert (legend == hex_rgb(color)).sum() >= 50, color  # a swatch per territory, and one for unassigned
    for panel in (legend, scale):
        assert (panel > 0xF8F8F8).sum() > 1000 and dark(panel) > 50  # a light panel with dark text on the map


def test_without_basemap_the_map_background_shows(qapp, plan):
    pixels = rgb(render_map(plan, plan.active, size=(600, 400), basemap=None, legend=False))
    assert (pixels[int(TITLE_HEIGHT):] == hex_rgb(BACKGROUND)).mean() > 0.5


def test_extent_and_highlight_zoom_on_one_territory(qapp, plan):
    scenario = plan.active
    rows = scenario.assignment == 1
    x, y = plan.accounts.x[rows], plan.accounts.y[rows]
    extent = (x.min(), y.min(), x.max(), y.max())
    color = territory_colors(list(scenario.territories.values()))[0]
    whole = rgb(render_map(plan, scenario, size=(500, 400), basemap=None, legend=False))
    zoomed = rgb(render_map(plan, scenario, size=(500, 400), basemap=None, legend=False, extent=extent,
                            highlight=1))
    # Zoomed in, the territory covers more of the picture; highlighted, its dots are drawn larger.
    assert (zoomed == hex_rgb(color)).sum() > 3 * (whole == hex_rgb(color)).sum()
    with pytest.raises(ValueError, match="territory 99"):
        render_map(plan, scenario, highlight=99)


def test_extent_far_from_the_accounts_shows_none_of_them(qapp, plan):
    (x0, x1), (y0, y1) = lonlat_to_mercator([10.0, 11.0], [50.0, 51.0])  # Germany
    pixels = rgb(render_map(plan, plan.active, size=(400, 300), basemap=None, legend=False,
                            extent=(x0, y0, x1, y1)))
    for color in territory_colors(list(plan.active.territories.values())):
        assert not (pixels == hex_rgb(color)).any()


def test_save_map_writes_png_and_a_vector_text_pdf(qapp, plan, tmp_path):
    png = save_map(tmp_path / "map.png", plan, plan.active, size=(800, 500))
    assert QImage(str(png)).size().toTuple() == (800, 500)
    pdf = save_map(tmp_path / "map.pdf", plan, plan.active, title="Ohio today")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 50_000
    assert b"/FontFile" in data  # title, legend and scale bar are text in the PDF, not pixels
    assert data.count(b"/Subtype /Image") == 1  # the map itself: one raster image


@pytest.mark.parametrize("name", ["map.jpg", "map"])
def test_save_map_refuses_other_formats(qapp, plan, tmp_path, name):
    with pytest.raises(RenderError, match="use .png or .pdf"):
        save_map(tmp_path / name, plan, plan.active)
    assert not (tmp_path / name).exists()


def test_save_map_names_a_missing_folder(qapp, plan, tmp_path):
    with pytest.raises(RenderError, match="does not exist"):
        save_map(tmp_path / "nowhere" / "map.png", plan, plan.active)


@pytest.mark.parametrize("name", ["map.png", "map.pdf"])
def test_a_failed_render_keeps_the_previous_picture(qapp, plan, tmp_path, name):
    out = tmp_path / name
    out.write_bytes(b"the previous picture")
    with pytest.raises(ValueError):
        save_map(out, plan, plan.active, highlight=99)
    assert out.read_bytes() == b"the previous picture"
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no partial file left behind
