"""The map as a picture for people who never open the app: PNG, or a PDF page to print or mail.

The picture is drawn by a `MapView` that is never shown on screen, so it looks exactly like the app's map (same
basemap, dots, colours, highlight). It is composed in two passes: the map itself (basemap and dots) as one raster
image, then the title bar and the map's overlays (legend, scale bar, attribution) painted straight onto the
target. On a PNG both passes end up as pixels; in a PDF the second pass stays vector text, sharp at any zoom.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from desktop_planner.core.model import UNASSIGNED, Plan, Scenario
from desktop_planner.ui.window.controller import territory_colors
from desktop_planner.ui.map import MapView
from desktop_planner.ui.map.accounts_layer import UNASSIGNED_COLOR
from desktop_planner.ui.map.overlays import AttributionLabel, Legend, ScaleBar
from desktop_planner.ui.map.view import BACKGROUND

BUNDLED_BASEMAP = object()  # `basemap=` default: the basemap the app shows when nothing else is chosen
FORMATS = (".png", ".pdf")
TITLE_HEIGHT = 58.0  # logical pixels
TITLE_MARGIN = 14.0
TITLE_RULE = QColor("#d0d5dc")
SUBTITLE = QColor("#555a60")
# A PDF page is laid out in the same logical pixels as a PNG (96 per inch, the unit the map's fonts, dots and
# scale bar are sized in), and its raster part is drawn at twice that density to print sharply.
PDF_DPI = 96
PDF_PIXEL_RATIO = 2.0
OVERLAYS = (Legend, ScaleBar, AttributionLabel)
LEGEND_NAME_PIXELS = 300.0  # wider than in the app: a picture has room for "territory · rep" in full


class RenderError(Exception):
    """The picture cannot be written; the message names the file and the reason."""


def render_map(plan: Plan, scenario: Scenario, size: tuple[int, int] = (1600, 1000), title: str | None = None,
               extent: tuple[float, float, float, float] | None = None, basemap=BUNDLED_BASEMAP, legend: bool = True,
               highlight: int | None = None) -> QImage:
    """The map of `scenario` as an image of `size` pixels, a title bar on top.

    `extent` is a Web Mercator (xmin, ymin, xmax, ymax) to show (widened to the picture's aspect); by default the
    whole plan. `basemap` is an MBTiles path, None for none, or the bundled one. `highlight` is a territory id whose
    accounts are drawn larger while the others fade. Needs a QApplication (an offscreen one will do).
    """
    width, height = (int(v) for v in size)
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        _paint_page(painter, QRectF(0, 0, width, height), plan, scenario, title, extent, basemap, legend, highlight,
                    pixel_ratio=1.0)
    finally:
        painter.end()
    return image


def save_map(path: str | Path, plan: Plan, scenario: Scenario, size: tuple[int, int] = (1600, 1000),
             title: str | None = None, extent: tuple[float, float, float, float] | None = None,
             basemap=BUNDLED_BASEMAP, legend: bool = True, highlight: int | None = None) -> Path:
    """Write the map as PNG (`size` pixels) or PDF (one A4 page, landscape unless `size` is taller than wide),
    chosen by the file's extension. Raises RenderError for another extension or a file that cannot be written.

    The picture is written to a temporary name and renamed, so a failure never leaves half a file where a good
    one was."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise RenderError(f"{path}: unsupported picture type {path.suffix or '(none)'!r}; use .png or .pdf")
    if not path.parent.is_dir():
        raise RenderError(f"{path}: the folder {path.parent} does not exist")
    options = dict(title=title, extent=extent, basemap=basemap, legend=legend, highlight=highlight)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if suffix == ".png":
            written = render_map(plan, scenario, size, **options).save(str(partial), "PNG")
        else:
            written = _write_pdf(partial, plan, scenario, portrait=size[1] > size[0], **options)
        if not written:
            raise RenderError(f"{path}: the picture could not be written")
        os.replace(partial, path)
    except OSError as exc:
        raise RenderError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        partial.unlink(missing_ok=True)
    return path


def _write_pdf(path: Path, plan: Plan, scenario: Scenario, portrait: bool, **options) -> bool:
    writer = QPdfWriter(str(path))
    writer.setResolution(PDF_DPI)
    orientation = QPageLayout.Orientation.Portrait if portrait else QPageLayout.Orientation.Landscape
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), orientation, QMarginsF(0, 0, 0, 0)))
    writer.setTitle(options["title"] or _default_title(plan, scenario))
    writer.setCreator("Desktop Planner")
    painter = QPainter()
    if not painter.begin(writer):
        return False
    try:
        page = QRectF(writer.pageLayout().fullRectPixels(PDF_DPI))
        _paint_page(painter, page, plan, scenario, pixel_ratio=PDF_PIXEL_RATIO, **options)
    finally:
        painter.end()
    return True


def _default_title(plan: Plan, scenario: Scenario) -> str:
    return plan.name or scenario.name


def _paint_page(painter: QPainter, page: QRectF, plan: Plan, scenario: Scenario, title, extent, basemap, legend,
                highlight, pixel_ratio: float) -> None:
    bar = QRectF(page.left(), page.top(), page.width(), TITLE_HEIGHT)
    area = QRectF(page.left(), bar.bottom(), page.width(), page.height() - TITLE_HEIGHT)
    _paint_title(painter, bar, title or _default_title(plan, scenario), _subtitle(plan, scenario))
    view = _offscreen_view(plan, scenario, area.size(), extent, basemap, legend, highlight)
    try:
        overlays = [item for item in view.view_box.childItems() if isinstance(item, OVERLAYS)]
        for item in overlays:  # drawn in the second pass, so that a PDF keeps their text as text
            item.setVisible(False)
            if isinstance(item, Legend):
                item.MAX_NAME_PIXELS = LEGEND_NAME_PIXELS
                item.interactive = False  # paper: no collapse arrow
        painter.drawImage(area, _map_image(view, area.size(), pixel_ratio))
        painter.save()
        painter.translate(area.topLeft())
        painter.setClipRect(QRectF(QPointF(0, 0), area.size()))
        for item in sorted(overlays, key=lambda i: i.zValue()):
            item.paint(painter, None)
        painter.restore()
    finally:
        view.set_basemap(None)  # closes the tile file now, not whenever the widget is collected
        view.close()


def _offscreen_view(plan: Plan, scenario: Scenario, size: QSizeF, extent, basemap, legend, highlight) -> MapView:
    if highlight is not None and highlight not in scenario.territories:
        raise ValueError(f"territory {highlight!r} is not in scenario {scenario.name!r}")
    view = MapView()
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)  # laid out and painted, never a window
    if basemap is not BUNDLED_BASEMAP:
        view.set_basemap(None if basemap is None else str(basemap))
    view.resize(round(size.width()), round(size.height()))
    view.layout().activate()  # sized before its (invisible) window exists; else Qt warns on the offscreen platform
    view.show()  # delivers the resize to the graphics view, which sizes the map to it
    territories = list(scenario.territories.values())
    colors = territory_colors(territories)
    view.set_accounts(plan.accounts)
    view.set_assignment(scenario.assignment, {t.id: c for t, c in zip(territories, colors)})
    view.set_locked(scenario.locked)
    view.set_highlight(highlight)
    if legend:
        entries = [(f"{t.name} · {t.rep_name}" if t.rep_name else t.name, c) for t, c in zip(territories, colors)]
        if (scenario.assignment == UNASSIGNED).any():
            entries.append(("Unassigned", UNASSIGNED_COLOR))
        view.set_legend(entries)
    if extent is not None:
        x0, y0, x1, y1 = (float(v) for v in extent)
        view.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
    else:
        view.fit_to_accounts()
    return view


def _map_image(view: MapView, size: QSizeF, pixel_ratio: float) -> QImage:
    """The map's scene (basemap, dots, whatever is visible) at `pixel_ratio` device pixels per logical pixel."""
    image = QImage(round(size.width() * pixel_ratio), round(size.height() * pixel_ratio),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(pixel_ratio)
    image.fill(QColor(BACKGROUND))
    painter = QPainter(image)
    try:
        view.view_box.scene().render(painter, QRectF(QPointF(0, 0), size), view.view_box.sceneBoundingRect())
    finally:
        painter.end()
    return image


def _subtitle(plan: Plan, scenario: Scenario) -> str:
    n = len(plan.accounts)
    unassigned = int(np.count_nonzero(scenario.assignment == UNASSIGNED))
    parts = [f"Scenario “{scenario.name}”", f"{n:,} accounts", f"{len(scenario.territories)} territories"]
    if unassigned:
        parts.append(f"{unassigned:,} unassigned")
    parts.append(date.today().isoformat())
    return "  ·  ".join(parts)


def _paint_title(painter: QPainter, bar: QRectF, title: str, subtitle: str) -> None:
    painter.save()
    painter.fillRect(bar, QColor("white"))
    painter.setPen(QPen(TITLE_RULE, 1))
    painter.drawLine(bar.bottomLeft(), bar.bottomRight())
    heading = QFont()
    heading.setPointSizeF(15)
    heading.setBold(True)
    small = QFont()
    small.setPointSizeF(9.5)
    width = bar.width() - 2 * TITLE_MARGIN
    top = bar.top() + 8
    for font, text, color in ((heading, title, QColor("#1e1e1e")), (small, subtitle, SUBTITLE)):
        metrics = QFontMetricsF(font)
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(QPointF(bar.left() + TITLE_MARGIN, top + metrics.ascent()),
                         metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))
        top += metrics.height() + 2
    painter.restore()
