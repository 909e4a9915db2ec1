"""The map as a picture for people who never open the app: PNG, or a PDF page to print or mail.

The picture is drawn by a `MapView` that is never shown on screen, so it looks exactly like the app's map (same
basemap, dots, colours, highlight); given `contents` (render_contents.plan_contents) it also draws the window's
territory regions or units, names and reps' homes, and insets for Alaska and Hawaii. The legend sits beside the
map (render_legend), never over the data. The page is composed in two passes: the map itself (and each inset) as
a raster image, then the title bar, legend, scale bar and attribution painted straight onto the target. On a PNG
both passes end up as pixels; in a PDF the second pass stays vector text, sharp at any zoom.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import shapely
from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from desktop_planner.core.geo import lonlat_to_mercator
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario
from desktop_planner.ui.window.controller import territory_colors
from desktop_planner.ui.map import MapView
from desktop_planner.ui.map.accounts_layer import UNASSIGNED_COLOR
from desktop_planner.ui.map.overlays import AttributionLabel, ScaleBar
from desktop_planner.ui.map.render_contents import ContentLayers, MapContents
from desktop_planner.ui.map.render_legend import LegendLayout, paint_legend, place_legend
from desktop_planner.ui.map.view import BACKGROUND, DEFAULT_EXTENT_LONLAT, MIN_VIEW_M

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
OVERLAYS = (ScaleBar, AttributionLabel)  # the app's legend is not drawn: the picture's is beside the map
FIT_PADDING = 0.04  # of the accounts' extent on each side, as the app's "Fit to accounts"
INSET_HEIGHT_SHARE, INSET_WIDTH_SHARE = 0.24, 0.22  # of the map, at most
INSET_MARGIN = 10.0
# The scale bar's corner (its panel, ScaleBar.MAX_PIXELS long at most, and its margins): a fitted map keeps its
# accounts out of it.
SCALE_BAR_ROOM = QSizeF(ScaleBar.MAX_PIXELS + 30, 60)
INSET_FRAME, INSET_LABEL_BACKGROUND = QColor("#7d848c"), QColor(255, 255, 255, 225)
FOOTER = 16.0  # the attribution's line at the foot of the legend


class RenderError(Exception):
    """The picture cannot be written; the message names the file and the reason."""


@dataclass
class PageLayout:
    """Where a render put things, in the page's logical pixels (what a test or a caller marking the map needs)."""
    map_rect: QRectF
    view_range: tuple[float, float, float, float]  # Web Mercator (xmin, ymin, xmax, ymax) shown in map_rect
    legend: LegendLayout
    insets: list[tuple[str, QRectF, tuple[float, float, float, float]]] = field(default_factory=list)

    def to_page(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Page pixels of Web Mercator points of the main map."""
        x0, y0, x1, y1 = self.view_range
        rect = self.map_rect
        return (rect.left() + (np.asarray(x) - x0) / (x1 - x0) * rect.width(),
                rect.top() + (y1 - np.asarray(y)) / (y1 - y0) * rect.height())


def render_map(plan: Plan, scenario: Scenario, size: tuple[int, int] = (1600, 1000), title: str | None = None,
               extent: tuple[float, float, float, float] | None = None, basemap=BUNDLED_BASEMAP, legend: bool = True,
               highlight: int | None = None, contents: MapContents | None = None) -> QImage:
    """The map of `scenario` as an image of `size` pixels, a title bar on top.

    `extent` is a Web Mercator (xmin, ymin, xmax, ymax) to show (widened to the map's aspect); by default the
    whole plan. `basemap` is an MBTiles path, None for none, or the bundled one. `highlight` is a territory id whose
    accounts are drawn larger while the others fade. `contents` adds regions or units, names, homes and insets
    (render_contents.plan_contents); without it the map shows the dots alone. Needs a QApplication (an offscreen
    one will do).
    """
    return render_page(plan, scenario, size, title, extent, basemap, legend, highlight, contents)[0]


def render_page(plan: Plan, scenario: Scenario, size: tuple[int, int] = (1600, 1000), title: str | None = None,
                extent: tuple[float, float, float, float] | None = None, basemap=BUNDLED_BASEMAP,
                legend: bool = True, highlight: int | None = None,
                contents: MapContents | None = None) -> tuple[QImage, PageLayout]:
    """render_map, and where the map, the legend and the insets went."""
    width, height = (int(v) for v in size)
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        layout = _paint_page(painter, QRectF(0, 0, width, height), plan, scenario, title, extent, basemap, legend,
                             highlight, contents, pixel_ratio=1.0)
    finally:
        painter.end()
    return image, layout


def save_map(path: str | Path, plan: Plan, scenario: Scenario, size: tuple[int, int] = (1600, 1000),
             title: str | None = None, extent: tuple[float, float, float, float] | None = None,
             basemap=BUNDLED_BASEMAP, legend: bool = True, highlight: int | None = None,
             contents: MapContents | None = None) -> Path:
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
    options = dict(title=title, extent=extent, basemap=basemap, legend=legend, highlight=highlight,
                   contents=contents)
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
                highlight, contents: MapContents | None, pixel_ratio: float) -> PageLayout:
    if highlight is not None and highlight not in scenario.territories:
        raise ValueError(f"territory {highlight!r} is not in scenario {scenario.name!r}")
    bar = QRectF(page.left(), page.top(), page.width(), TITLE_HEIGHT)
    area = QRectF(page.left(), bar.bottom(), page.width(), page.height() - TITLE_HEIGHT)
    _paint_title(painter, bar, title or _default_title(plan, scenario), _subtitle(plan, scenario))
    territories = list(scenario.territories.values())
    colors = {t.id: c for t, c in zip(territories, territory_colors(territories))}
    insets = contents.insets if contents is not None else []
    where = _arrange(area, plan, scenario, colors, extent, legend, contents)
    placed, map_rect, frame = where.legend, where.legend.map_rect, where.frame
    paint_legend(painter, placed)  # first: the attribution may reach into its foot
    view = _offscreen_view(plan, scenario, frame.size(), basemap, highlight, colors)
    try:
        layers = ContentLayers(view, contents, colors, highlight) if contents is not None else None
        view.show_area(*where.view_range)
        if layers is not None:  # no name half hidden under an inset or the scale bar
            layers.covered = where.covered.united(where.scale_bar)
        overlays = [item for item in view.view_box.childItems() if isinstance(item, OVERLAYS)]
        for item in overlays:  # drawn in the second pass, so that a PDF keeps their text as text
            item.setVisible(False)
        painter.drawImage(map_rect, _map_image(view, frame.size(), pixel_ratio))
        bottom_right = area.bottomRight() if not placed.rect.isEmpty() else map_rect.bottomRight()
        _paint_overlays(painter, map_rect, overlays, where.scale_bar.left(), bottom_right)
        layout = PageLayout(map_rect, view.view_range_mercator(), placed)
        if layers is not None:
            layers.marks.setVisible(False)  # an inset is too small for names: they would cover its few accounts
        for inset, rect in zip(insets, where.insets):
            page_rect = rect.translated(map_rect.topLeft())
            layout.insets.append((inset.name, page_rect, _paint_inset(painter, view, inset, page_rect,
                                                                       pixel_ratio)))
    finally:
        view.set_basemap(None)  # closes the tile file now, not whenever the widget is collected
        view.close()
    return layout


@dataclass
class _Arrangement:
    legend: LegendLayout  # with the map's rectangle on the page
    frame: QRectF  # the map's own pixels, (0, 0) at its top-left corner
    view_range: tuple[float, float, float, float]
    insets: list[QRectF]  # in the map's pixels
    covered: QRectF  # the insets and their margins
    scale_bar: QRectF


def _arrange(area: QRectF, plan: Plan, scenario: Scenario, colors: dict[int, str], extent, legend: bool,
             contents: MapContents | None) -> _Arrangement:
    """Where the legend, the map, its insets and its scale bar go in `area`, and what the map shows."""
    insets = contents.insets if contents is not None else []
    main = np.ones(len(plan.accounts), dtype=bool)
    for inset in insets:
        main &= ~inset.rows
    box = _data_box(plan, main, contents) if extent is None else tuple(float(v) for v in extent)
    xy = (plan.accounts.x[main], plan.accounts.y[main])
    count = len(scenario.territories)
    # A part of the country lists the territories seen there; the map's aspect shows more than the box asked
    # for, and how much depends on the legend's size: placed again until the list stands.
    shown = None if extent is None else _territories_in(plan, scenario, contents, box, ~main)
    while True:
        listed = count if shown is None else len(shown - {UNASSIGNED})
        heading = f"Territories ({listed} of {count})" if listed < count else f"Territories ({count})"
        placed = (place_legend(area, _legend_entries(scenario, colors, shown), heading,
                               (box[2] - box[0], box[3] - box[1]), FOOTER) if legend else LegendLayout(QRectF(area)))
        frame = QRectF(0, 0, round(placed.map_rect.width()), round(placed.map_rect.height()))
        inset_rects = _inset_rects(frame, insets)
        covered = QRectF()
        for rect in inset_rects:
            covered = covered.united(rect.adjusted(-INSET_MARGIN, -INSET_MARGIN, INSET_MARGIN, INSET_MARGIN))
        scale_bar = QRectF(QPointF(covered.right() if inset_rects else 0.0, frame.bottom() - SCALE_BAR_ROOM.height()),
                           SCALE_BAR_ROOM)
        obstacles = [rect for rect in (covered,) if not rect.isEmpty()]
        if extent is None:  # a box asked for is shown as asked, with the scale bar where the app has it
            obstacles.append(scale_bar)
        view_range = _fit(frame, box, obstacles, xy)
        seen = None if shown is None else shown | _territories_in(plan, scenario, contents, view_range, ~main)
        if seen == shown:
            return _Arrangement(placed, frame, view_range, inset_rects, covered, scale_bar)
        shown = seen


def _data_box(plan: Plan, rows: np.ndarray, contents: MapContents | None) -> tuple[float, float, float, float]:
    """What the map must show without an extent: its accounts (those of no inset), with the room the regions
    take past the outermost ones and a margin, as the app's "Fit to accounts"."""
    x, y = plan.accounts.x[rows], plan.accounts.y[rows]
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        (x0, x1), (y0, y1) = lonlat_to_mercator(*(np.array(v) for v in zip(*DEFAULT_EXTENT_LONLAT)))
        return float(x0), float(y0), float(x1), float(y1)
    x, y = x[finite], y[finite]
    reach = contents.spacing if contents is not None and contents.units is None else 0.0
    x0, x1, y0, y1 = x.min() - reach, x.max() + reach, y.min() - reach, y.max() + reach
    grow_x = max((x1 - x0) * FIT_PADDING, (MIN_VIEW_M * 5 - (x1 - x0)) / 2)
    grow_y = max((y1 - y0) * FIT_PADDING, (MIN_VIEW_M * 5 - (y1 - y0)) / 2)
    return float(x0 - grow_x), float(y0 - grow_y), float(x1 + grow_x), float(y1 + grow_y)


def _territories_in(plan: Plan, scenario: Scenario, contents: MapContents | None, box, also: np.ndarray) -> set[int]:
    """The territories (UNASSIGNED for unassigned accounts) with accounts or a region in `box`, or with accounts
    in the rows `also` (the insets')."""
    x, y = plan.accounts.x, plan.accounts.y
    rows = also | ((x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3]))
    seen = set(np.unique(scenario.assignment[rows]).tolist())
    if contents is not None and contents.regions and contents.units is None:
        tids = list(contents.regions)
        regions = np.array([contents.regions[tid] for tid in tids], dtype=object)
        seen.update(np.array(tids)[shapely.intersects(regions, shapely.box(*box))].tolist())
    return seen


def _legend_entries(scenario: Scenario, colors: dict[int, str], shown: set[int] | None) -> list[tuple[str, str]]:
    """(name, colour) per territory, "territory · rep" where there is a rep, and unassigned accounts; of a part
    of the country, only those `shown` there, so that the legend is about the map."""
    entries = [(f"{t.name} · {t.rep_name}" if t.rep_name else t.name, colors[t.id])
               for t in scenario.territories.values() if shown is None or t.id in shown]
    if (scenario.assignment == UNASSIGNED).any() if shown is None else UNASSIGNED in shown:
        entries.append(("Unassigned", UNASSIGNED_COLOR))
    return entries


def _inset_rects(frame: QRectF, insets) -> list[QRectF]:
    """The insets' places, side by side in the map's bottom-left corner (where a US map has the Pacific), each
    as tall as INSET_HEIGHT_SHARE of the map unless that makes it wider than INSET_WIDTH_SHARE."""
    rects, left = [], frame.left() + INSET_MARGIN
    for inset in insets:
        x0, y0, x1, y1 = inset.extent
        aspect = (x1 - x0) / (y1 - y0)
        height = min(INSET_HEIGHT_SHARE * frame.height(), INSET_WIDTH_SHARE * frame.width() / aspect)
        width = height * aspect
        rects.append(QRectF(left, frame.bottom() - INSET_MARGIN - height, width, height))
        left += width + INSET_MARGIN
    return rects


def _fit(frame: QRectF, box, obstacles: list[QRectF], xy) -> tuple[float, float, float, float]:
    """The view range showing `box` as large as it fits in `frame` (the map's pixels), with none of the accounts
    `xy` under the `obstacles` (the insets and the scale bar, in the bottom-left corner): where the box centred
    would put some there, it goes above them or to their right, whichever shows it larger."""
    w, h = frame.width(), frame.height()
    targets = [QRectF(0, 0, w, h)]
    corner = QRectF()
    for rect in obstacles:
        corner = corner.united(rect)
    if obstacles:
        targets += [QRectF(0, 0, w, corner.top()), QRectF(corner.right(), 0, w - corner.right(), h)]
    best, fallback = None, None  # a map too small for any target with the box clear: the box centred anyway
    for i, target in enumerate(targets):
        if target.width() <= 0 or target.height() <= 0:
            continue
        scale = min(target.width() / (box[2] - box[0]), target.height() / (box[3] - box[1]))  # pixels a metre
        left = (box[0] + box[2]) / 2 - target.center().x() / scale
        top = (box[1] + box[3]) / 2 + target.center().y() / scale
        view = (left, top - h / scale, left + w / scale, top)
        if i == 0:
            fallback = view
            px, py = (xy[0] - left) * scale, (top - xy[1]) * scale
            if any(((px >= r.left()) & (px <= r.right()) & (py >= r.top()) & (py <= r.bottom())).any()
                   for r in obstacles):
                continue
        if best is None or scale > best[0]:
            best = (scale, view)
    return best[1] if best is not None else fallback


def _paint_overlays(painter: QPainter, map_rect: QRectF, overlays, scale_bar_left: float,
                    bottom_right: QPointF) -> None:
    """The scale bar in the map's bottom-left corner (right of the insets) and the attribution in the bottom-right
    one of the map, or of the legend beside it; both as vectors."""
    painter.save()
    painter.setClipRect(QRectF(map_rect.topLeft(), bottom_right))
    for item in overlays:
        if isinstance(item, ScaleBar):
            painter.save()
            painter.translate(map_rect.topLeft() + QPointF(scale_bar_left, 0))
            item.paint(painter, None)
            painter.restore()
        elif isinstance(item, AttributionLabel):
            painter.save()
            painter.translate(bottom_right - item.boundingRect().bottomRight())
            item.paint(painter, None)
            painter.restore()
    painter.restore()


def _paint_inset(painter: QPainter, view: MapView, inset, rect: QRectF,
                 pixel_ratio: float) -> tuple[float, float, float, float]:
    """The view resized to the inset and showing its state; framed and named. Returns the range it shows."""
    view.resize(round(rect.width()), round(rect.height()))
    view.layout().activate()
    view.show_area(*inset.extent)
    painter.drawImage(rect, _map_image(view, rect.size(), pixel_ratio))
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    font = QFont()
    font.setPointSizeF(8.5)
    font.setBold(True)
    metrics = QFontMetricsF(font)
    tab = QRectF(rect.left(), rect.top(), metrics.horizontalAdvance(inset.name) + 10, metrics.height() + 4)
    painter.fillRect(tab, INSET_LABEL_BACKGROUND)
    painter.setFont(font)
    painter.setPen(QColor(30, 30, 30))
    painter.drawText(QPointF(tab.left() + 5, tab.top() + 2 + metrics.ascent()), inset.name)
    painter.setPen(QPen(INSET_FRAME, 1.2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect)
    painter.restore()
    return view.view_range_mercator()


def _offscreen_view(plan: Plan, scenario: Scenario, size: QSizeF, basemap, highlight,
                    colors: dict[int, str]) -> MapView:
    view = MapView()
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)  # laid out and painted, never a window
    if basemap is not BUNDLED_BASEMAP:
        view.set_basemap(None if basemap is None else str(basemap))
    view.resize(round(size.width()), round(size.height()))
    view.layout().activate()  # sized before its (invisible) window exists; else Qt warns on the offscreen platform
    view.show()  # delivers the resize to the graphics view, which sizes the map to it
    view.set_accounts(plan.accounts)
    view.set_assignment(scenario.assignment, colors)
    view.set_locked(scenario.locked)
    view.set_highlight(highlight)
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
