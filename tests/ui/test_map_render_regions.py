"""The printed map draws what the app's map draws (issue 14): territory regions or units, names, homes, insets
for Alaska and Hawaii, and a legend beside the map that never covers the accounts."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from PySide6.QtGui import QColor, QImage

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.core.model import Accounts, Plan, Scenario
from desktop_planner.io.demo import build_demo_plan
from desktop_planner.ui.map.map_render import render_page, save_map
from desktop_planner.ui.map.regions_layer import FILL_ALPHA
from desktop_planner.ui.map.render_contents import plan_contents
from desktop_planner.ui.map.units_layer import FILL_OPACITY
from desktop_planner.ui.map.view import BACKGROUND
from desktop_planner.ui.window.controller import territory_colors
from tests.conftest import make_plan

CITIES = {"New York": (-74.006, 40.713), "Philadelphia": (-75.165, 39.953), "Boston": (-71.059, 42.360)}
ANCHORAGE = (-149.90, 61.22)


def rgb(image: QImage) -> np.ndarray:
    """(height, width, 3) channels."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    raw = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return raw[:, :3 * image.width()].reshape(image.height(), image.width(), 3).astype(int)


def blend(color: str, opacity: float) -> np.ndarray:
    """A territory's colour laid over the map's plain background at `opacity`."""
    over, under = QColor(color), QColor(BACKGROUND)
    return np.array([opacity * a + (1 - opacity) * b for a, b in
                     zip((over.red(), over.green(), over.blue()), (under.red(), under.green(), under.blue()))])


def colors_of(scenario) -> dict[int, str]:
    territories = list(scenario.territories.values())
    return dict(zip((t.id for t in territories), territory_colors(territories)))


def clear_points(plan, contents, layout, region, step_px=6.0):
    """Page pixels inside `region` that no dot, home, name or map edge is near: where only the fill shows."""
    x0, y0, x1, y1 = region.bounds
    metres = step_px * (layout.view_range[2] - layout.view_range[0]) / layout.map_rect.width()
    gx, gy = np.meshgrid(np.arange(x0, x1, metres), np.arange(y0, y1, metres))
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(region.buffer(-3 * metres / step_px), gx, gy)  # not on its outline
    px, py = layout.to_page(gx[inside], gy[inside])
    ax, ay = layout.to_page(plan.accounts.x, plan.accounts.y)
    keep = np.ones(len(px), dtype=bool)
    for x, y, reach in [*zip(ax, ay, np.full(len(ax), 8.0)),
                        *[(*layout.to_page(h.x, h.y), 30.0) for h in contents.homes],
                        *[(*layout.to_page(x, y), 40.0) for _, x, y, _, _ in contents.labels]]:
        keep &= np.hypot(px - x, py - y) > reach
    rect = layout.map_rect.adjusted(4, 4, -4, -4)
    keep &= (px > rect.left()) & (px < rect.right()) & (py > rect.top()) & (py < rect.bottom())
    return px[keep].astype(int), py[keep].astype(int)


def test_each_territory_is_tinted_with_its_colour_inside_its_region(qapp, tmp_path):
    plan = make_plan(300, 3, seed=4)
    scenario = plan.active
    contents = plan_contents(plan, scenario)
    _, layout = render_page(plan, scenario, (900, 600), basemap=None, contents=contents)
    png = save_map(tmp_path / "map.png", plan, scenario, (900, 600), basemap=None, contents=contents)
    pixels = rgb(QImage(str(png)))
    plain = rgb(render_page(plan, scenario, (900, 600), basemap=None)[0])
    for tid, color in colors_of(scenario).items():
        px, py = clear_points(plan, contents, layout, contents.regions[tid])
        assert len(px) >= 20, tid
        tinted = np.abs(pixels[py, px] - blend(color, FILL_ALPHA / 255)).max(axis=1) <= 3
        assert tinted.mean() > 0.9, (tid, color)
        assert not (np.abs(plain[py, px] - blend(color, FILL_ALPHA / 255)).max(axis=1) <= 3).any()  # dots alone


def test_homes_and_names_are_drawn(qapp):
    plan = make_plan(300, 3, seed=4)
    scenario = plan.active
    contents = plan_contents(plan, scenario)
    image, layout = render_page(plan, scenario, (900, 600), basemap=None, contents=contents)
    pixels, plain = rgb(image), rgb(render_page(plan, scenario, (900, 600), basemap=None)[0])

    def darkest(image, x, y, reach):  # near-black pixels: a house's outline, a name's letters
        x, y = int(x), int(y)
        return int((image[y - reach:y + reach, x - reach:x + reach].sum(axis=2) < 150).sum())

    assert len(contents.homes) == 3 and len(contents.labels) == 3
    for home in contents.homes:
        x, y = layout.to_page(home.x, home.y)
        assert darkest(pixels, x, y, 12) > 20 and darkest(plain, x, y, 12) == 0, home.territory_id
    for _, x, y, name, _ in contents.labels:
        x, y = layout.to_page(x, y)
        assert darkest(pixels, x, y, 10) > 20, name


@pytest.fixture(scope="module")
def country():
    return build_demo_plan(3000, 50, seed=2, region="us")


@pytest.mark.parametrize("size, side", [((1600, 1000), "below"), ((1123, 794), "below"), ((700, 1100), "below"),
                                        ((1600, 700), "right")])
def test_the_legend_of_50_territories_never_covers_the_accounts(qapp, country, size, side):
    """At 50 territories the legend sits beside or below the map, whole, and New York, Philadelphia, Boston and
    every account are drawn on the map, not under it. (1123x794: an A4 page.)"""
    scenario = country.active
    _, layout = render_page(country, scenario, size, contents=plan_contents(country, scenario))
    legend = layout.legend
    assert legend.side == side
    assert len(legend.cells) == 50 and legend.more is None
    assert not legend.rect.intersected(layout.map_rect).adjusted(0.5, 0.5, -0.5, -0.5).isValid()
    x, y = layout.to_page(country.accounts.x, country.accounts.y)
    map_rect = layout.map_rect
    assert ((x >= map_rect.left()) & (x <= map_rect.right()) & (y >= map_rect.top()) & (y <= map_rect.bottom())).all()
    for name, (lon, lat) in CITIES.items():
        cx, cy = layout.to_page(*lonlat_to_mercator(lon, lat))
        assert map_rect.contains(float(cx), float(cy)), name


def test_a_part_of_the_country_lists_the_territories_seen_there(qapp, country):
    scenario = country.active
    (x0, x1), (y0, y1) = lonlat_to_mercator(np.array([-75.5, -73.0]), np.array([40.0, 41.5]))
    _, layout = render_page(country, scenario, (1200, 900), extent=(x0, y0, x1, y1),
                            contents=plan_contents(country, scenario))
    shown = layout.view_range
    assert shown[0] <= x0 and shown[2] >= x1 and shown[1] <= y0 and shown[3] >= y1
    assert (shown[2] - shown[0]) < 2 * (x1 - x0) or (shown[3] - shown[1]) < 2 * (y1 - y0)  # fitted, not the US
    assert layout.legend.side == "right" and 1 <= len(layout.legend.cells) < 12
    assert layout.legend.title.startswith(f"Territories ({len(layout.legend.cells)} of 50)")


def with_accounts(plan: Plan, lon, lat, territory: int) -> Plan:
    a, n = plan.accounts, len(lon)
    accounts = Accounts.from_columns(lon=np.append(a.lon, lon), lat=np.append(a.lat, lat),
                                     potential=np.append(a.potential, np.full(n, 1000.0)),
                                     external_id=[*a.external_id, *(f"AK{i}" for i in range(n))],
                                     name=[*a.name, *(f"Anchorage Supply {i}" for i in range(n))])
    s = plan.active
    scenario = Scenario(s.id, s.name, s.territories, np.append(s.assignment, np.full(n, territory)),
                        np.append(s.locked, np.zeros(n, dtype=bool)))
    return Plan(accounts, {s.id: scenario}, s.id, plan.settings, name=plan.name)


def test_alaska_accounts_get_an_inset_and_ohio_keeps_its_size(qapp):
    ohio = make_plan(300, 3, seed=4)
    rng = np.random.default_rng(1)
    plan = with_accounts(ohio, ANCHORAGE[0] + rng.normal(0, 0.6, 12), ANCHORAGE[1] + rng.normal(0, 0.3, 12), 2)
    scenario = plan.active
    contents = plan_contents(plan, scenario, insets=True)
    assert [inset.name for inset in contents.insets] == ["Alaska"]
    image, layout = render_page(plan, scenario, (900, 600), basemap=None, contents=contents)
    _, alone = render_page(ohio, ohio.active, (900, 600), basemap=None, contents=plan_contents(ohio, ohio.active))
    # The main map shows Ohio as it does without Alaska, not a continent with Ohio a speck in it.
    assert layout.view_range[2] - layout.view_range[0] < 1.3 * (alone.view_range[2] - alone.view_range[0])
    (name, rect, (x0, y0, x1, y1)), = layout.insets
    assert name == "Alaska"
    map_rect = layout.map_rect
    assert rect.left() < map_rect.center().x() and rect.top() > map_rect.center().y()  # the bottom-left corner
    x, y = lonlat_to_mercator(*ANCHORAGE)
    px, py = rect.left() + (x - x0) / (x1 - x0) * rect.width(), rect.top() + (y1 - y) / (y1 - y0) * rect.height()
    assert rect.contains(float(px), float(py))
    near = rgb(image)[int(py) - 15:int(py) + 16, int(px) - 15:int(px) + 16]
    dot = QColor(colors_of(scenario)[2])
    assert (np.abs(near - [dot.red(), dot.green(), dot.blue()]).max(axis=2) <= 2).sum() >= 5  # its dots, there
    ax, ay = layout.to_page(plan.accounts.x[:300], plan.accounts.y[:300])
    assert not ((ax <= rect.right() + 5) & (ay >= rect.top() - 5)).any()  # no Ohio account under the inset


def test_without_accounts_elsewhere_alaska_is_the_map_itself(qapp):
    ohio = make_plan(5, 1)
    plan = Plan(Accounts.from_columns(lon=ANCHORAGE[0] + np.arange(5) * 0.1, lat=np.full(5, ANCHORAGE[1])),
                ohio.scenarios, ohio.active.id, ohio.settings, name="Alaska")
    assert plan_contents(plan, plan.active, insets=True).insets == []


def test_units_are_drawn_instead_of_the_regions(qapp, counties_demo, tmp_path):
    from desktop_planner.core.unit_shapes import unspill_shapes
    from desktop_planner.store.project import ProjectFile
    from desktop_planner.store.unit_map_shapes import map_shapes
    with ProjectFile.open(counties_demo, read_only=True) as project:
        plan = project.load_plan()
    scenario = plan.active
    shapes = unspill_shapes(map_shapes(str(counties_demo), str(tmp_path)))
    with_units = plan_contents(plan, scenario, units=shapes)
    pixels = {kind: rgb(render_page(plan, scenario, (1000, 700), basemap=None, legend=False, contents=contents)[0])
              for kind, contents in (("units", with_units), ("regions", plan_contents(plan, scenario)))}
    for tid, color in list(colors_of(scenario).items())[:4]:
        as_unit, as_region = blend(color, FILL_OPACITY), blend(color, FILL_ALPHA / 255)
        counts = {kind: {tint: int((np.abs(p - value).max(axis=2) <= 2).sum())
                         for tint, value in (("unit", as_unit), ("region", as_region))}
                  for kind, p in pixels.items()}
        assert counts["units"]["unit"] > 1000 and counts["units"]["region"] < counts["units"]["unit"] / 20, tid
        assert counts["regions"]["region"] > 1000, tid
