"""Map canvas speed: repaints at 100k and 1M accounts, a preview update, and the lasso and brush hit tests.

Accounts are synthesised with numpy, clustered in "cities" the way customer lists are, so that dots overlap
as they do on a real map. The widget is 1280x800 with the default OpenStreetMap basemap, a selection and some
locked accounts, i.e. every drawing pass at work. A repaint is `viewport().repaint()`, which paints
synchronously. Repaint figures pan or zoom the view first, so that the dots layer cannot blit its last
picture; the last figure measures exactly that case, a frame in which only the lasso outline moved.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_planner.core.model import Accounts  # noqa: E402
from desktop_planner.core.palette import territory_palette  # noqa: E402
from desktop_planner.ui.map import MapView  # noqa: E402
from desktop_planner.ui.map.tools import PointIndex, points_in_polygon  # noqa: E402

NORTHEAST = ((-80.5, 39.7), (-67.0, 47.5))
CONTIGUOUS_US = ((-124.5, 25.0), (-67.0, 49.0))


def synthetic_accounts(n: int, extent, seed: int = 0) -> Accounts:
    """85 % of the accounts around 300 cities of lognormal size, the rest spread evenly."""
    rng = np.random.default_rng(seed)
    (west, south), (east, north) = extent
    cities = np.column_stack((rng.uniform(west, east, 300), rng.uniform(south, north, 300)))
    weight = rng.lognormal(0, 1.2, 300)
    urban = int(n * 0.85)
    city = rng.choice(300, urban, p=weight / weight.sum())
    spread = rng.uniform(0.05, 0.4, 300)[city]
    lon = np.concatenate((cities[city, 0] + rng.normal(0, 1, urban) * spread, rng.uniform(west, east, n - urban)))
    lat = np.concatenate((cities[city, 1] + rng.normal(0, 0.75, urban) * spread, rng.uniform(south, north, n - urban)))
    return Accounts.from_columns(lon=lon, lat=lat, potential=rng.lognormal(10, 1, n),
                                 external_id=np.arange(n).astype(str))


def map_with(accounts: Accounts, territories: int = 40, seed: int = 0) -> MapView:
    rng = np.random.default_rng(seed)
    n = len(accounts)
    view = MapView()
    view.resize(1280, 800)
    view.show()
    view.set_accounts(accounts)
    # Territories as vertical bands, so that colours form regions as in a real alignment.
    band = np.argsort(np.argsort(accounts.x)) * territories // n + 1
    band[rng.random(n) < 0.03] = -1
    view.set_assignment(band, dict(zip(range(1, territories + 1), territory_palette(territories))))
    view.set_selection(rng.choice(n, n // 50, replace=False))
    locked = np.zeros(n, dtype=bool)
    locked[rng.choice(n, n // 100, replace=False)] = True
    view.set_locked(locked)
    view.set_legend([(f"T{i}", c) for i, c in enumerate(territory_palette(territories))])
    QApplication.processEvents()
    view.viewport().repaint()  # first paint decodes the visible tiles; the figures below are steady-state
    return view


def lasso_around(x: float, y: float, radius: float, vertices: int = 200) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    wobble = 1 + 0.25 * np.sin(5 * angle)  # a hand-drawn outline is not a circle
    return np.column_stack((x + radius * wobble * np.cos(angle), y + radius * wobble * np.sin(angle)))


def pan_and_repaint(view: MapView):
    """A step of a drag: one pixel sideways, alternating, so that every layer paints afresh."""
    step = iter(np.tile([1.0, -1.0], 1000))

    def repaint():
        view.view_box.translateBy(x=next(step) * view.tools.metres_per_pixel())
        view.viewport().repaint()
    return repaint


def run(bench) -> None:
    app = QApplication.instance() or QApplication([])

    accounts = synthetic_accounts(100_000, NORTHEAST)
    view = map_with(accounts)
    bench.record("map repaint after a pan step, 100k accounts (1280x800, all layers)",
                 bench.median_ms(pan_and_repaint(view), 15), "ms", 16)

    zoom = iter(np.tile([1.02, 1 / 1.02], 100))
    bench.record("map repaint after a zoom step, 100k accounts",
                 bench.median_ms(lambda: (view.zoom_by(next(zoom)), view.viewport().repaint()), 15), "ms", 16)

    x0, y0, x1, y1 = view.view_range_mercator()
    centre, radius = ((x0 + x1) / 2, (y0 + y1) / 2), (x1 - x0) / 6
    polygon = lasso_around(*centre, radius)
    inside = points_in_polygon(accounts.x, accounts.y, polygon)
    bench.record(f"lasso hit-test, 100k accounts, 200 vertices ({len(inside):,} inside)",
                 bench.median_ms(lambda: points_in_polygon(accounts.x, accounts.y, polygon), 15), "ms", 16)

    index = PointIndex(accounts.x, accounts.y)
    brush = 25 * view.tools.metres_per_pixel()
    start = np.array(centre)
    bench.record("paint-stroke hit-test step, 100k accounts (25 px brush, 10 px move)",
                 bench.median_ms(lambda: index.near_segment(start, start + (10 * brush / 25, 0), brush), 15), "ms", 16)

    # The window's answer to selectionPreview: recolour with the hypothetical assignment and repaint.
    hypothetical = np.where(np.isin(np.arange(len(accounts)), inside), 1, -1)

    def preview_update():
        view.set_preview(hypothetical)
        view.viewport().repaint()
    bench.record("preview update during a stroke, 100k accounts (set_preview + repaint)",
                 bench.median_ms(preview_update, 15), "ms", 16)
    view.close()

    accounts = synthetic_accounts(1_000_000, CONTIGUOUS_US, seed=1)
    view = map_with(accounts, territories=200)
    bench.record("map repaint after a pan step, 1M accounts (1280x800, all layers)",
                 bench.median_ms(pan_and_repaint(view), 9), "ms", 60)
    view.set_tool("lasso")
    x0, y0, x1, y1 = view.view_range_mercator()
    outline = iter(lasso_around((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 8, vertices=400))
    view.tools.begin(next(outline))

    def stroke_frame():  # only the outline changes: the dots layer blits its last picture
        view.tools.move(next(outline))
        view.viewport().repaint()
    bench.record("lasso outline frame, 1M accounts (dots from the cached picture)",
                 bench.median_ms(stroke_frame, 15), "ms", 16)
    view.tools.cancel()
    view.close()
    app.processEvents()
