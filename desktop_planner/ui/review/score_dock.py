"""The Scores dock: how the account scores spread over the territories of the scenario shown.

One horizontal box plot per territory (whiskers min to max, box the middle half, a line at the median) in the
territory's colour, its number of scored accounts at the right, and above them a histogram of every account's
score coloured by tier. It answers "did every rep get a fair share of the good accounts?", which a sum of
potential hides. It follows every change (an assignment, a new score) while the dock is open.

`score_histogram` and `tier_bands` are shared with the scoring dialog's preview, so both draw tiers alike.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QDockWidget, QLabel, QStackedWidget, QVBoxLayout, QWidget

from desktop_planner.core.scoring import Tier, score_summary
from desktop_planner.ui.window.controller import territory_colors
from desktop_planner.ui.review.bottom_docks import add_bottom_dock

NO_SCORE = "No score yet: Teams > Score accounts… (or `desktop-planner score`)"
# Higher tiers darker: the eye reads "more ink" as "more valuable". Tiers beyond the ramp share its lightest.
TIER_COLORS = ("#0b5394", "#3d85c6", "#8fbde6", "#c4dcf2", "#e3eef9")
NO_TIER_COLOR = "#bdbdbd"  # scores below the lowest tier
UNASSIGNED_COLOR = "#9e9e9e"
HISTOGRAM_HEIGHT = 110  # pixels: a glance at the spread, leaving the room to the territories
MAX_HEIGHT = 520  # pixels of the dock when first shown, on a large screen
BIN_WIDTH = 1.0  # score points per histogram bar: tier thresholds are usually whole numbers, so bars never straddle
AXIS_PEN, TEXT_PEN = "#888888", "#333333"


def tier_bands(tiers: tuple[Tier, ...]) -> list[tuple[str, float, float, str]]:
    """(name, lowest score, score where the next tier starts, colour) per tier, highest first."""
    ordered = sorted(tiers, key=lambda t: -t.min_score)
    bands, top = [], 100.0
    for i, tier in enumerate(ordered):
        bands.append((tier.name, float(tier.min_score), top, TIER_COLORS[min(i, len(TIER_COLORS) - 1)]))
        top = float(tier.min_score)
    return bands


def tier_legend(scores: np.ndarray, tiers: tuple[Tier, ...]) -> str:
    """Rich text: each tier's colour, range and number (share) of the scored accounts."""
    scores = scores[np.isfinite(scores)]
    n = max(len(scores), 1)
    parts = []
    for name, low, high, color in tier_bands(tiers):
        count = int(((scores >= low) & (scores < high if high < 100 else scores <= high)).sum())
        parts.append(f"<span style='color:{color}'>■</span> <b>{name}</b> {low:g}–{high:g}: "
                     f"{count:,} ({100 * count / n:.0f}%)")
    if tiers:
        below = int((scores < min(t.min_score for t in tiers)).sum())
        if below:
            parts.append(f"<span style='color:{NO_TIER_COLOR}'>■</span> no tier: {below:,}")
    return " &nbsp; ".join(parts)


def score_histogram(plot: pg.PlotItem, scores: np.ndarray, tiers: tuple[Tier, ...]) -> None:
    """Draw the scores (0..100, NaN ignored) as a histogram into `plot`, each bar in its tier's colour and a
    dashed line at every tier threshold."""
    plot.clear()
    scores = scores[np.isfinite(scores)]
    edges = np.arange(0.0, 100.0 + BIN_WIDTH, BIN_WIDTH)
    counts, _ = np.histogram(scores, bins=edges)
    colors = np.full(len(counts), NO_TIER_COLOR, dtype=object)
    for _name, low, _high, color in reversed(tier_bands(tiers)):  # lowest first, higher tiers overwrite
        colors[edges[:-1] >= low] = color
    keep = counts > 0  # an empty bin drawn as a zero-height bar would still show its outline
    if keep.any():
        plot.addItem(pg.BarGraphItem(x0=edges[:-1][keep], x1=edges[1:][keep], y0=np.zeros(keep.sum()),
                                     y1=counts[keep], brushes=[pg.mkBrush(c) for c in colors[keep]], pen=None))
    for tier in tiers:
        if 0 < tier.min_score < 100:
            plot.addItem(pg.InfiniteLine(tier.min_score, angle=90, pen=pg.mkPen("#555555", style=Qt.DashLine)))
    plot.setXRange(0, 100, padding=0.01)
    plot.setYRange(0, max(int(counts.max(initial=0)), 1) * 1.05, padding=0)


def _plain_chart(parent) -> pg.PlotWidget:
    """A white, static chart: it shows figures, so panning or zooming would only lose the 0..100 scale."""
    chart = pg.PlotWidget(parent, background="w")
    chart.setMenuEnabled(False)
    chart.setMouseEnabled(x=False, y=False)
    chart.hideButtons()
    for name in ("left", "bottom", "right"):
        chart.getAxis(name).setPen(AXIS_PEN)
        chart.getAxis(name).setTextPen(TEXT_PEN)
    return chart


class ScoreBoxes(pg.PlotWidget):
    """Horizontal box plots, one row per territory, top to bottom in the panel's order. Rows are at least a
    name's height; when more rows than fit, the mouse wheel scrolls them (the score axis stays in view)."""

    def __init__(self, parent=None) -> None:
        self._rows = 0  # before the base class, whose constructor calls resizeEvent
        self._first = 0
        super().__init__(parent, background="w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        plot = self.getPlotItem()
        plot.invertY(True)
        plot.showGrid(x=True, alpha=0.2)
        plot.showAxis("right")
        for name in ("left", "bottom", "right"):
            self.getAxis(name).setPen(AXIS_PEN)
            self.getAxis(name).setTextPen(TEXT_PEN)
        self.getAxis("bottom").setLabel("score")
        self.box_count = 0  # box plots drawn (rows with at least one scored account)
        self.axis_widths = (0, 0)  # pixels of the name axis (left) and the count axis (right)

    def show_summary(self, summary: list[dict], colors: list[str], tiers: tuple[Tier, ...]) -> None:
        plot = self.getPlotItem()
        plot.clear()
        rows = [(i, s) for i, s in enumerate(summary) if s["count"] > 0]
        self.box_count = len(rows)
        for tier in tiers:  # behind the boxes: which territories hold the top tier at a glance
            if 0 < tier.min_score < 100:
                plot.addItem(pg.InfiniteLine(tier.min_score, angle=90, pen=pg.mkPen("#b0b0b0", style=Qt.DashLine)))
        if rows:
            y = np.array([i for i, _ in rows], dtype=float)
            stat = {key: np.array([s[key] for _, s in rows]) for key in ("min", "q1", "median", "q3", "max")}
            brushes = [pg.mkBrush(_translucent(colors[i])) for i, _ in rows]
            pens = [pg.mkPen(colors[i], width=1.5) for i, _ in rows]
            plot.addItem(pg.BarGraphItem(x0=stat["q1"], x1=stat["q3"], y=y, height=0.56, brushes=brushes, pens=pens))
            # Whiskers and their end caps as one item of line pairs: light to draw for hundreds of territories.
            cap = 0.18
            xs = np.column_stack((stat["min"], stat["q1"], stat["q3"], stat["max"],
                                  stat["min"], stat["min"], stat["max"], stat["max"])).ravel()
            ys = np.column_stack((y, y, y, y, y - cap, y + cap, y - cap, y + cap)).ravel()
            plot.addItem(pg.PlotDataItem(xs, ys, connect="pairs", pen=pg.mkPen("#555555", width=1.2)))
            plot.addItem(pg.PlotDataItem(np.repeat(stat["median"], 2), np.column_stack((y - 0.3, y + 0.3)).ravel(),
                                         connect="pairs", pen=pg.mkPen("#1e1e1e", width=3)))
        labels = [s["label"] for s in summary]
        counts = [f"{s['count']:,} accounts" if s["count"] else "no scores" for s in summary]
        self.getAxis("left").setTicks([list(enumerate(labels)), []])
        self.getAxis("right").setTicks([list(enumerate(counts)), []])
        # Kept: the histogram above takes the same widths, before the layout has applied them here.
        self.axis_widths = (self.text_width(labels), self.text_width(counts))
        self.getAxis("left").setWidth(self.axis_widths[0])
        self.getAxis("right").setWidth(self.axis_widths[1])
        self._rows = len(summary)
        self._show_rows()

    def text_width(self, labels: list[str]) -> int:
        """An axis as wide as its widest label: pyqtgraph drops a label wider than the axis instead."""
        metrics = QFontMetricsF(self.getAxis("left").style.get("tickFont") or self.font())
        widest = max((metrics.horizontalAdvance(label) for label in labels), default=20.0)
        return int(np.ceil(widest + 18))

    def rows_in_view(self) -> int:
        row = QFontMetricsF(self.font()).height() + 4
        height = self.getViewBox().height() or max(self.height() - 45, 0)
        return max(1, min(max(self._rows, 1), int(height // row)))

    def _show_rows(self) -> None:
        self._first = int(min(max(self._first, 0), max(self._rows - self.rows_in_view(), 0)))
        shown = self.rows_in_view()
        self.setRange(xRange=(0, 100), yRange=(self._first - 0.6, self._first + shown - 0.4), padding=0.01)

    def wheelEvent(self, event) -> None:
        steps = round(event.angleDelta().y() / 120 * 3)
        if self._rows > self.rows_in_view() and steps:
            self._first -= steps
            self._show_rows()
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._rows:
            self._show_rows()


def _translucent(color: str):
    qcolor = pg.mkColor(color)
    qcolor.setAlpha(190)  # the median line and the grid stay visible through the box
    return qcolor


class ScoreDock(QDockWidget):
    def __init__(self, window) -> None:
        super().__init__("Scores", window)
        self.setObjectName("scores")
        self.window_ = window
        self.message = QLabel(NO_SCORE, self)
        self.message.setAlignment(Qt.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #555555; font-size: 13px;")
        self.legend = QLabel(self)
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setWordWrap(True)
        self.histogram = _plain_chart(self)
        self.histogram.setFixedHeight(HISTOGRAM_HEIGHT)
        self.histogram.getPlotItem().showAxis("right")
        self.histogram.getAxis("right").setStyle(showValues=False)
        self.histogram.getAxis("bottom").setStyle(showValues=False)  # the boxes' axis below says the scores
        self.boxes = ScoreBoxes(self)
        chart = QWidget(self)
        layout = QVBoxLayout(chart)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(0)
        layout.addWidget(self.legend)
        layout.addWidget(self.histogram)
        layout.addWidget(self.boxes, 1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(chart)
        self.chart = chart
        self.setWidget(self.stack)
        self._timer = QTimer(self, singleShot=True, interval=0)  # one redraw for a burst of changes
        self._timer.timeout.connect(self.refresh)
        self.visibilityChanged.connect(self._shown)
        self._sized = False
        window.sessionChanged.connect(self.attach)

    def _shown(self, visible: bool) -> None:
        if not visible:
            return
        self._timer.start()
        if not self._sized and not self.isFloating():
            # Once, on first showing: room for the histogram and several territories' boxes, while the map keeps
            # most of the window even on a 768-pixel laptop screen.
            self._sized = True
            height = int(min(MAX_HEIGHT, max(HISTOGRAM_HEIGHT + 150, self.window_.height() * 0.38)))
            self.window_.resizeDocks([self], [height], Qt.Vertical)

    def attach(self) -> None:
        self.window_.controller.changed.connect(lambda: self.isVisible() and self._timer.start())
        self._timer.start()

    def showing_scores(self) -> bool:
        return self.stack.currentWidget() is self.chart

    def refresh(self) -> None:
        session = self.window_.session
        if session is None or not self.isVisible():
            return
        plan = session.plan
        scores = plan.accounts.score
        scored = np.isfinite(scores)
        if plan.scoring is None or not scored.any():
            self.stack.setCurrentWidget(self.message)
            self.boxes.box_count = 0
            return
        tiers = plan.scoring.tiers
        scenario = plan.active
        territories = list(scenario.territories.values())
        labels, colors = [t.name for t in territories], territory_colors(territories)
        index = scenario.territory_index()
        if (scored & (index < 0)).any():  # good accounts nobody covers are worth seeing too
            index = np.where(index < 0, len(labels), index)
            labels.append("Unassigned")
            colors.append(UNASSIGNED_COLOR)
        self.stack.setCurrentWidget(self.chart)
        self.boxes.show_summary(score_summary(scores, index, labels), colors, tiers)
        score_histogram(self.histogram.getPlotItem(), scores, tiers)
        # The histogram's axes as wide as the boxes' so that both share one score scale, point for point.
        self.histogram.getAxis("left").setWidth(self.boxes.axis_widths[0])
        self.histogram.getAxis("right").setWidth(self.boxes.axis_widths[1])
        count, n = int(scored.sum()), len(scores)
        head = f"Scores of {count:,} accounts" if count == n else f"Scores of {count:,} of {n:,} accounts"
        legend = tier_legend(scores, tiers)
        self.legend.setText(f"<b>{head}</b>" + (f" &nbsp;·&nbsp; {legend}" if legend else "") +
                            " &nbsp;·&nbsp; <span style='color:#6b6f75'>bars: accounts per score point; box: middle half, line: median"
                            "</span>")


def install(window) -> ScoreDock:
    dock = add_bottom_dock(window, ScoreDock(window), beside=window.coverage_dock)
    window.menus["teams"].addSeparator()
    window.menus["teams"].addAction(dock.toggleViewAction())  # beside "Score accounts…", where it is looked for
    return dock
