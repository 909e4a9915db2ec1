"""The auto-balance result beside the map: a non-modal dock with the verdict, the optimizer's report (or the
trade-off chart and table), and Apply / Discard. The proposal itself is drawn on the map meanwhile (see
auto_balance and map/balance_preview).

The requirement: "a plan that is worse than the current one on the chosen measure is never offered as an
improvement". The chosen measure is the balanced one (workload by default), so the verdict is:

- "Better balanced" when the largest |deviation| of that measure falls by more than 0.1 percentage point, or the
  number of territories in band rises. Apply is enabled; the travel change is reported beside it (a better
  balance usually costs some travel, and that is not a reason to hold the plan back).
- "Same balance, less travel" when the balance is no worse (within 0.1 point, no territory fewer in band) and
  the mean distance to home falls by more than 0.5 %. Apply is enabled.
- "No better plan found" otherwise. Apply stays off unless "Use anyway" is ticked.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QCheckBox, QDockWidget, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter,
                               QVBoxLayout, QWidget)

from desktop_planner.ui.panel.balance_panel import MEASURE_LABELS
from desktop_planner.ui.dialogs.tradeoff_chart import TradeoffChart, tolerance_label

DEVIATION_EPS = 0.001  # 0.1 percentage point: a smaller change of the largest deviation is not an improvement
TRAVEL_EPS = 0.005  # 0.5 % of the mean distance to home


@dataclass
class Verdict:
    """Before and after figures of a proposal. The in-band counts (territories within tolerance on the balanced
    measure) are optional: without them the balance verdict rests on the largest deviation alone."""

    measure: str
    deviation_before: float
    deviation_after: float
    km_before: float  # mean distance to home (compactness), km
    km_after: float
    in_band_before: int | None = None
    in_band_after: int | None = None

    @classmethod
    def of(cls, measure: str, before, after) -> "Verdict":
        """From two Measures (core.measures): the plan as it is and the proposal."""
        return cls(measure, before.max_abs_deviation(measure), after.max_abs_deviation(measure),
                   before.compactness_km, after.compactness_km,
                   int(before.in_band(measure).sum()), int(after.in_band(measure).sum()))

    @property
    def _in_band_known(self) -> bool:
        return self.in_band_before is not None and self.in_band_after is not None

    @property
    def better_balance(self) -> bool:
        """The largest deviation falls by more than 0.1 point, or more territories are in band."""
        return (self.deviation_after < self.deviation_before - DEVIATION_EPS
                or (self._in_band_known and self.in_band_after > self.in_band_before))

    @property
    def worse_balance(self) -> bool:
        return (self.deviation_after > self.deviation_before + DEVIATION_EPS
                or (self._in_band_known and self.in_band_after < self.in_band_before))

    @property
    def less_travel(self) -> bool:
        return self.km_after < self.km_before * (1 - TRAVEL_EPS)

    @property
    def travel_change(self) -> float:
        """Relative change of the mean distance to home: 0.23 = 23 % more."""
        return self.km_after / self.km_before - 1 if self.km_before > 0 else 0.0

    @property
    def kind(self) -> str:
        """"better" (better balanced), "less_travel" (same balance, less travel) or "none" (no better plan)."""
        if self.better_balance:
            return "better"
        if self.less_travel and not self.worse_balance:
            return "less_travel"
        return "none"

    @property
    def improves(self) -> bool:
        return self.kind != "none"

    def figures(self) -> str:
        """"largest deviation 82.8 % → 9.8 %; travel +23 % (mean distance to home 66.0 → 81.2 km)"."""
        label = "" if self.measure == "workload_hours" else MEASURE_LABELS.get(self.measure, self.measure).lower() + " "
        balance = f"largest {label}deviation {self.deviation_before:.1%} → <b>{self.deviation_after:.1%}</b>"
        if self._in_band_known and self.in_band_after != self.in_band_before:
            balance += f", territories in band {self.in_band_before} → <b>{self.in_band_after}</b>"
        change = self.travel_change
        travel = "travel unchanged" if abs(change) < TRAVEL_EPS else f"travel {change:+.0%}".replace("-", "−")
        distance = f"mean distance to home {self.km_before:,.1f} → <b>{self.km_after:,.1f} km</b>"
        return f"{balance}; {travel} ({distance})".replace("%", " %")

    def html(self) -> str:
        kind = self.kind
        if kind == "better":
            return f"<span style='color:#1b7f3b'><b>Better balanced</b></span>: {self.figures()}."
        if kind == "less_travel":
            return f"<span style='color:#1b7f3b'><b>Same balance, less travel</b></span>: {self.figures()}."
        return (f"<span style='color:#b00020'><b>No better plan found</b></span>: {self.figures()}. "
                f"Tick <i>Use anyway</i> to apply it all the same.")


def report_text(report) -> str:
    """The optimizer's report as text; its lower-bound line only when the gap is a meaningful 0–100 %."""
    lines = report.format_text().splitlines()
    gap = report.gap
    if gap is None or not (0.0 <= gap <= 1.0):
        lines = [line for line in lines if not line.startswith("objective")]
    return "\n".join(lines)


def point_text(point) -> str:
    """The point's own tolerance names its band: "in band" alone reads as the project's band, which the verdict
    and the panel count (12 within ±20 % but 2 in the project's ±10 % band, side by side, looked contradictory)."""
    tolerance = tolerance_label(point.tolerance)
    return (f"{tolerance}: largest deviation {point.max_deviation * 100:.1f} %, travel {point.travel_km:,.0f} km a "
            f"year, mean distance {point.mean_distance_km:.1f} km, {point.in_band} territories within {tolerance}, "
            f"{point.pieces} in pieces ({point.seconds:.1f} s)")


class BalancePreviewDock(QDockWidget):
    """Shows one proposal at a time. Signals: applyRequested, discardRequested, tradeoffRequested,
    pointChosen(index) (a point of the trade-off chart was clicked)."""

    applyRequested = Signal()
    discardRequested = Signal()
    tradeoffRequested = Signal()
    pointChosen = Signal(int)

    def __init__(self, window) -> None:
        super().__init__("Auto-balance result", window)
        self.setObjectName("auto_balance_preview")
        self.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)  # closing = Discard
        self.verdict: Verdict | None = None
        self.headline = QLabel(self)
        self.headline.setTextFormat(Qt.RichText)
        self.headline.setWordWrap(True)
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.text.setMinimumHeight(90)
        self.use_anyway = QCheckBox("Use anyway", self)
        self.use_anyway.setToolTip("Apply a plan that is neither better balanced nor less travel than the "
                                   "current one")
        self.use_anyway.toggled.connect(lambda _: self._update_apply())
        self.tradeoff_button = QPushButton("Trade-off…", self)
        self.tradeoff_button.setToolTip("Balance at several tolerances and chart balance against travel")
        self.discard_button = QPushButton("Discard", self)
        self.discard_button.setToolTip("Leave the plan as it is (Esc)")
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.applyRequested)
        self.discard_button.clicked.connect(self.discardRequested)
        self.tradeoff_button.clicked.connect(self.tradeoffRequested)
        self.chart = TradeoffChart(self)
        self.chart.pointClicked.connect(self.pointChosen)
        self.chart.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_anyway)
        buttons.addStretch(1)
        for button in (self.tradeoff_button, self.discard_button, self.apply_button):
            buttons.addWidget(button)
        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.headline)
        column.addWidget(self.state)
        column.addWidget(self.text, 1)
        self.splitter = QSplitter(Qt.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.chart)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._accounts_moving = 0

    # -- what is shown --------------------------------------------------------------------------------------
    def show_result(self, report, verdict: Verdict, accounts_moving: int) -> None:
        """One auto-balance result."""
        self.chart.hide()
        state = []
        if report.cancelled:
            state.append("Cancelled: this is the best plan found so far.")
        state.append("Every balanced measure is within its tolerance." if report.feasible else
                     "Not fully balanced: " + "; ".join(report.problems) + ".")
        self.state.setText(" ".join(state))
        self.state.setStyleSheet("" if report.feasible else "color: #8a5a00")
        self.text.setPlainText(report_text(report))
        self._show_verdict(verdict, accounts_moving)

    def show_tradeoff(self, points, current: tuple[float, float], measure: str) -> None:
        """The trade-off curve; nothing is proposed until a point is clicked."""
        from desktop_planner.optimize.tradeoff import format_table  # the optimizer's own table
        self.chart.set_measure_label(MEASURE_LABELS.get(measure, measure).lower())
        self.chart.set_points(points, current)
        self.chart.show()
        self.state.setText(f"{len(points)} plans, one per tolerance. Click a point to see that plan on the map.")
        self.state.setStyleSheet("")
        self.text.setPlainText(format_table(points))
        self.headline.setText("<b>Trade-off between balance and travel</b>")
        self.verdict = None
        self._accounts_moving = 0
        self.use_anyway.setChecked(False)
        self.use_anyway.setVisible(False)
        self._update_apply()

    def show_point(self, point, verdict: Verdict, accounts_moving: int) -> None:
        """A clicked point of the trade-off chart (the table of every point stays below)."""
        self.state.setText(point_text(point))
        self.state.setStyleSheet("")
        self._show_verdict(verdict, accounts_moving)

    def _show_verdict(self, verdict: Verdict, accounts_moving: int) -> None:
        self.verdict = verdict
        self._accounts_moving = accounts_moving
        self.headline.setText(verdict.html())
        self.use_anyway.setChecked(False)
        self.use_anyway.setVisible(not verdict.improves)
        self._update_apply()

    def _update_apply(self) -> None:
        verdict = self.verdict
        allowed = verdict is not None and (verdict.improves or self.use_anyway.isChecked())
        if self._accounts_moving == 0:
            allowed = False
        self.apply_button.setEnabled(allowed)
        moving = f" ({self._accounts_moving:,} accounts move)" if verdict is not None else ""
        self.apply_button.setText(f"Apply{moving}")
