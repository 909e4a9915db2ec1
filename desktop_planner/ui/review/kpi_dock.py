"""The KPIs dock: how the plan does after go-live, per territory and period (core.kpis).

Small multiples: one chart per KPI, a line per territory in its colour across the periods and the whole plan as a
thick black line, so a territory that falls behind stands out in every KPI at once. A table gives the figures of
one period. "Colour map by" paints the map's territories by a KPI of that period (the controller's colour
scheme, so the legend follows), which answers "where" as the charts answer "when".

It follows imports of actuals and quotas and every change of the plan while it is open. The figures come from
the actuals of the accounts shown (a team's, with teams).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDockWidget, QGridLayout, QHBoxLayout, QHeaderView,
                               QInputDialog, QLabel, QPushButton, QStackedWidget, QTableWidget, QTableWidgetItem,
                               QTabWidget, QVBoxLayout, QWidget)

from desktop_planner.core.cohorts import compare_cohorts
from desktop_planner.core.commands import CommandError
from desktop_planner.core.kpis import KPI_FORMATS, KPI_LABELS, KPI_NAMES, compute_kpis
from desktop_planner.core.quotas import (DEFAULT_CAP, DEFAULT_FLOOR, QuotaError, edited_quotas, put_quotas, quotas_of,
                                         rep_key, suggest_quotas)
from desktop_planner.core.rules import read_number
from desktop_planner.ui.panel.balance_panel import format_number
from desktop_planner.ui.window.controller import territory_colors
from desktop_planner.ui.review.bottom_docks import add_bottom_dock

NO_ACTUALS = ("No actuals yet: File > Import actuals… (or `desktop-planner import PROJECT --actuals FILE`). "
              "The KPIs follow each territory over the periods imported.")
COLUMNS = 4  # charts per row
NO_DATA_COLOR = "#d9d9d9"
# Attainment-like figures on a fixed scale (a target is 100 %), red to green.
ATTAINMENT_BINS = ((0.7, "#d7301f", "< 70 %"), (0.9, "#fc8d59", "70–90 %"), (1.1, "#fee08b", "90–110 %"),
                   (1.3, "#91cf60", "110–130 %"), (math.inf, "#1a9850", "≥ 130 %"))
SEQUENTIAL = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")  # more is better (the lightest still a fill)
WARNING = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")  # more is worse
WORSE_WHEN_HIGH = {"overlap_rate", "unattended_high_score"}
QUOTA_COLUMN = 3  # of the period table
PLAN_LINE = "plan"  # the key of the whole plan's line among a chart's lines
SHORT_LABELS = {"quota_attainment": "Attain.", "coverage_accounts": "Cov.", "coverage_potential": "Cov. pot.",
                "unattended_high_score": "Unvisited top", "overlap_rate": "Overlap"}


def _scale(kpi: str, values: np.ndarray) -> tuple[float, str]:
    """Divisor and unit that keep a chart's axis readable: percent for shares, k or M for large sums."""
    kind = KPI_FORMATS.get(kpi, "count")
    if kind == "percent":
        return 0.01, "%"
    top = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
    return (1e6, "M") if top >= 1e6 else (1e3, "k") if top >= 1e4 else (1.0, "")


def _short_period(period: str) -> str:
    """'2026-Q3' -> 'Q3 26', '2026-07' -> '07/26': short enough for every tick of a small chart."""
    year, _, part = period.partition("-")
    return f"{part} {year[2:]}" if part.startswith("Q") else f"{part}/{year[2:]}"


def format_kpi(kpi: str, value: float, precise: bool = False) -> str:
    """A KPI as the dock shows it; `precise` for class bounds, which may lie closer than a whole percent."""
    if value is None or not np.isfinite(value):
        return "–"
    kind = KPI_FORMATS.get(kpi, "count")
    if kind == "percent":
        return f"{value * 100:.1f} %" if precise else f"{value * 100:.0f} %"
    if kind == "money":
        return format_number(value)
    return f"{value:,.0f}"


def kpi_colours(kpi: str, values: dict[int, float]) -> tuple[dict[int, str], list[tuple[str, str]]]:
    """Territory id -> colour by its KPI value, and the legend. Quota attainment on a fixed scale around 100 %;
    the others in five classes of the territories' own values (quantiles), darker for more (red where more is
    worse, as overlap and unattended accounts)."""
    finite = {tid: v for tid, v in values.items() if v is not None and np.isfinite(v)}
    colours = {tid: NO_DATA_COLOR for tid in values}
    legend: list[tuple[str, str]] = []
    if kpi == "quota_attainment":
        for tid, v in finite.items():
            colours[tid] = next(c for top, c, _ in ATTAINMENT_BINS if v < top)
        legend = [(label, c) for _, c, label in ATTAINMENT_BINS]
    elif finite:
        ramp = WARNING if kpi in WORSE_WHEN_HIGH else SEQUENTIAL
        data = np.array(list(finite.values()), dtype=float)
        edges = np.unique(np.quantile(data, [0.2, 0.4, 0.6, 0.8]))
        for tid, v in finite.items():
            colours[tid] = ramp[min(int(np.searchsorted(edges, v, side="right")), len(ramp) - 1)]
        bounds = [data.min(), *edges, data.max()]
        for i in range(len(bounds) - 1):
            legend.append((f"{format_kpi(kpi, bounds[i], True)} – {format_kpi(kpi, bounds[i + 1], True)}",
                           ramp[min(i, len(ramp) - 1)]))
    if len(finite) < len(values):
        legend.append(("no data", NO_DATA_COLOR))
    return colours, legend


class KpiDock(QDockWidget):
    def __init__(self, window) -> None:
        super().__init__("KPIs", window)
        self.setObjectName("kpis")
        self.window_ = window
        self.result = None  # the last core.kpis.KpiResult shown
        self.message = QLabel(NO_ACTUALS, self)
        self.message.setAlignment(Qt.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #555555; font-size: 13px;")

        self.period = QComboBox(self)
        self.period.setToolTip("The period of the table and of the map's colours")
        self.colour_by = QComboBox(self)
        self.colour_by.addItem("Territories (no KPI)", None)
        for kpi in KPI_NAMES:
            self.colour_by.addItem(KPI_LABELS[kpi], kpi)
        self.colour_by.setToolTip("Paint the map's territories by a KPI of the period chosen")
        self.headline = QLabel(self)
        self.headline.setTextFormat(Qt.RichText)
        self.headline.setWordWrap(True)
        controls = QHBoxLayout()
        controls.addWidget(self.headline, 1)
        controls.addWidget(QLabel("Period", self))
        controls.addWidget(self.period)
        controls.addWidget(QLabel("Colour map by", self))
        controls.addWidget(self.colour_by)

        self.charts: dict[str, pg.PlotWidget] = {}
        self._lines: dict[str, dict] = {}  # per KPI: territory id (or PLAN_LINE) -> its line in the chart
        grid_host = QWidget(self)
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for i, kpi in enumerate(KPI_NAMES):
            chart = pg.PlotWidget(grid_host, background="w")
            chart.setMenuEnabled(False)
            chart.setMouseEnabled(x=False, y=False)
            chart.hideButtons()
            chart.setTitle(KPI_LABELS[kpi], color="#333333", size="9pt")
            for axis in ("left", "bottom"):
                chart.getAxis(axis).setPen("#999999")
                chart.getAxis(axis).setTextPen("#444444")
            chart.setMinimumHeight(110)
            self.charts[kpi] = chart
            grid.addWidget(chart, i // COLUMNS, i % COLUMNS)
        self.table = QTableWidget(0, 0, self)
        # Only the quota cells are editable (their flags): double-click one, type 4.2M, Enter.
        self.table.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.itemChanged.connect(self._quota_edited)
        suggest = QPushButton("Suggest quotas…", self)
        suggest.setToolTip("Split a total quota for the period by each territory's share of potential, within a "
                           "floor and a cap of the equal share; every quota stays editable in the table")
        suggest.clicked.connect(self.suggest_quotas)
        table_host = QWidget(self)
        table_layout = QVBoxLayout(table_host)
        table_layout.setContentsMargins(0, 0, 0, 0)
        hint = QLabel("Double-click a quota to change it (e.g. 4.2M).", self)
        hint.setStyleSheet("color: #6b6f75;")
        row = QHBoxLayout()
        row.addWidget(hint, 1)
        row.addWidget(suggest)
        table_layout.addLayout(row)
        table_layout.addWidget(self.table, 1)
        self.cohorts = QLabel(self)
        self.cohorts.setTextFormat(Qt.RichText)
        self.cohorts.setWordWrap(True)
        self.cohorts.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.cohorts.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(grid_host, "Over time")
        self.tabs.addTab(table_host, "Period table")
        self.tabs.addTab(self.cohorts, "Holdout cohorts")
        self._cohorts_for = None  # the KpiResult the cohort tab was computed for
        self.tabs.currentChanged.connect(lambda _i: self._show_cohorts())

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addLayout(controls)
        layout.addWidget(self.tabs, 1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(body)
        self.body = body
        self.setWidget(self.stack)

        self._timer = QTimer(self, singleShot=True, interval=150)  # one computation for a burst of changes
        self._timer.timeout.connect(self.refresh)
        self.visibilityChanged.connect(lambda visible: visible and self._timer.start())
        self.period.activated.connect(lambda _i: self._show_period())
        self.colour_by.activated.connect(lambda _i: self._apply_colours())
        window.sessionChanged.connect(self.attach)

    def attach(self) -> None:
        self.result = None
        self.window_.controller.changed.connect(lambda: self.isVisible() and self._timer.start())
        if self.colour_by.currentData() is not None:
            self._apply_colours()
        self._timer.start()

    def showing_kpis(self) -> bool:
        return self.stack.currentWidget() is self.body

    def refresh(self) -> None:
        session = self.window_.session
        if session is None or not self.isVisible() and self.colour_by.currentData() is None:
            return
        plan = session.plan
        actuals = plan.records.table("actuals")
        if not len(actuals):
            self.result = None
            self.stack.setCurrentWidget(self.message)
            self._apply_colours()
            return
        self.result = compute_kpis(plan)
        self.stack.setCurrentWidget(self.body)
        chosen = self.period.currentText()
        self.period.blockSignals(True)
        self.period.clear()
        self.period.addItems(self.result.periods)
        self.period.setCurrentText(chosen if chosen in self.result.periods else self.result.periods[-1])
        self.period.blockSignals(False)
        self._draw_charts()
        self._show_period()
        self._show_cohorts()

    def _territory_colours(self) -> dict[int, str]:
        territories = list(self.window_.session.plan.active.territories.values())
        return {t.id: c for t, c in zip(territories, territory_colors(territories))}

    def _draw_charts(self) -> None:
        """A line per territory; the black line is the whole plan, or for sums (revenue, counts) the average
        territory, so that it stays on the territories' scale."""
        result = self.result
        periods = result.periods
        x = np.arange(len(periods), dtype=float)
        ticks = [[(i, _short_period(p)) for i, p in enumerate(periods)]]
        n_territories = max(len(result.territories), 1)
        colours = self._territory_colours()
        active = self.window_.controller.active if self.window_.controller is not None else None
        by = {tid: frame.set_index("period") for tid, frame in result.by_territory.groupby("territory_id")}
        plan_rows = result.plan.set_index("period")
        for kpi, chart in self.charts.items():
            plot = chart.getPlotItem()
            items = self._lines.setdefault(kpi, {})
            lines = {tid: frame[kpi].reindex(periods).to_numpy(dtype=float) for tid, frame in by.items()}
            whole = plan_rows[kpi].reindex(periods).to_numpy(dtype=float)
            if KPI_FORMATS.get(kpi) != "percent":
                whole = whole / n_territories
            divisor, unit = _scale(kpi, np.concatenate([*lines.values(), whole]) if lines else whole)
            shown = [tid for tid, _name in result.territories if tid in lines and np.isfinite(lines[tid]).any()]
            for gone in set(items) - set(shown) - {PLAN_LINE}:
                plot.removeItem(items.pop(gone))
            # Lines are kept and given new data rather than made again: a chart of 25 territories is redrawn in
            # milliseconds, where making its items anew took tens (a redraw follows every edit).
            for tid in shown:
                colour = colours.get(tid, "#888888")
                pen = pg.mkPen(colour, width=3 if tid == active else 1.2)
                if tid not in items:
                    items[tid] = plot.plot(connect="finite")
                items[tid].setData(x, lines[tid] / divisor, pen=pen, connect="finite")
            if PLAN_LINE not in items:
                items[PLAN_LINE] = plot.plot(connect="finite", symbol="o", symbolSize=5, symbolBrush="#111111",
                                             symbolPen=None)
                if kpi == "quota_attainment":
                    plot.addLine(y=100, pen=pg.mkPen("#777777", style=Qt.DashLine))
            items[PLAN_LINE].setData(x, whole / divisor, pen=pg.mkPen("#111111", width=2.5), connect="finite")
            items[PLAN_LINE].setZValue(10)  # over the territories' lines
            chart.getAxis("bottom").setTicks(ticks)
            chart.getAxis("left").setLabel(unit)
            plot.setXRange(-0.5, len(periods) - 0.5, padding=0)

    def _show_period(self) -> None:
        result = self.result
        if result is None:
            return
        period = self.period.currentText()
        rows = result.by_territory[result.by_territory["period"] == period]
        whole = result.plan[result.plan["period"] == period]
        headers = ["Territory", "Rep", "Accounts", "Quota"] + [KPI_LABELS[k] for k in KPI_NAMES]
        self.table.blockSignals(True)  # filling is not editing
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows) + len(whole))
        for i, (_, row) in enumerate(list(rows.iterrows()) + list(whole.iterrows())):
            is_plan = i >= len(rows)
            cells = ["Whole plan" if is_plan else str(row["territory"]), "" if is_plan else str(row.get("rep") or ""),
                     format_kpi("count", row.get("accounts", np.nan)),
                     format_kpi("revenue", row.get("quota"))] + [format_kpi(k, row[k]) for k in KPI_NAMES]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                editable = j == QUOTA_COLUMN and not is_plan and int(row["territory_id"]) >= 0
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | (Qt.ItemIsEditable if editable else
                                                                         Qt.NoItemFlags))
                if editable:
                    item.setData(Qt.UserRole, int(row["territory_id"]))
                    item.setToolTip("Double-click to change this rep's quota for the period")
                if j >= 2:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if is_plan:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, j, item)
        self.table.blockSignals(False)
        line = whole.iloc[0] if len(whole) else None
        if line is not None:
            self.headline.setText(
                f"<b>{period}</b>: revenue <b>{format_kpi('revenue', line['revenue'])}</b>, quota attainment "
                f"<b>{format_kpi('quota_attainment', line['quota_attainment'])}</b>, growth "
                f"<b>{format_kpi('growth', line['growth'])}</b>, accounts covered at plan "
                f"<b>{format_kpi('coverage_accounts', line['coverage_accounts'])}</b> &nbsp;"
                "<span style='color:#6b6f75'>black line: whole plan (sums: the average territory)</span>")
        self._apply_colours()

    def _quota_edited(self, item: QTableWidgetItem) -> None:
        """A quota typed into the table: one undoable change (origin 'edited'); a bad number is refused."""
        tid = item.data(Qt.UserRole)
        if item.column() != QUOTA_COLUMN or tid is None:
            return
        plan = self.window_.session.plan
        period = self.period.currentText()
        territory = plan.active.territories[int(tid)]
        try:
            amount = read_number(item.text())
            rows = edited_quotas(plan, period, {rep_key(territory): amount})
        except (ValueError, QuotaError) as exc:
            self.window_.show_error(f"Quota of {territory.name}: {exc}")
            self._show_period()
            return
        label = f"Quota of {territory.rep_name or territory.name}, {period}: {format_number(amount)}"
        if not self.window_.controller.do(put_quotas(plan, rows, label=label)):
            self._show_period()

    def suggest_quotas(self) -> None:
        """A total for the period, split by potential share within the floor and cap (core.quotas)."""
        session = self.window_.session
        period = self.period.currentText()
        if session is None or not period:
            return
        plan = session.plan
        current = quotas_of(plan, period)
        start = float(current["quota"].sum()) if len(current) else 0.0
        text, ok = QInputDialog.getText(
            self, "Suggest quotas", f"Total quota for {period} (e.g. 40M). It is split by each territory's share of "
            f"potential, each between {DEFAULT_FLOOR:g}× and {DEFAULT_CAP:g}× the equal share:",
            text=format_number(start) if start else "")
        if not ok or not text.strip():
            return
        try:
            rows = suggest_quotas(plan, period, read_number(text))
        except (ValueError, QuotaError) as exc:
            self.window_.show_error(str(exc))
            return
        label = f"Suggested quotas for {period}: {format_number(rows['quota'].sum())}"
        self.window_.controller.do(put_quotas(plan, rows, replace_period=period, label=label))

    def _show_cohorts(self) -> None:
        """Moved, held-out and unchanged accounts compared (core.cohorts), computed when the tab is looked at: a
        bootstrap of every account is not worth doing for a tab nobody opens."""
        if self.tabs.currentWidget() is not self.cohorts or self.result is None or self._cohorts_for is self.result:
            return
        self._cohorts_for = self.result
        plan = self.window_.session.plan
        try:
            comparison = compare_cohorts(plan, n_boot=1000)
        except CommandError as exc:
            self.cohorts.setText(f"<p>{html.escape(str(exc))}</p><p style='color:#555555'>Keep a holdout when a "
                                 "realignment goes live (Scenario > Keep a holdout…): after go-live this tab "
                                 "compares "
                                 "the accounts that moved with like ones that stayed.</p>")
            return
        rows = "".join(
            f"<tr><td>{html.escape(c.cohort.replace('_', '-'))}</td><td align='right'>{c.n:,}</td>"
            f"<td align='right'>{format_number(c.before)}</td><td align='right'>{format_number(c.after)}</td>"
            f"<td align='right'>{format_kpi('growth', c.growth)}</td></tr>" for c in comparison.cohorts)
        readings = "".join(f"<li>{'<b>' if d.clear else ''}{html.escape(d.reading)}{'</b>' if d.clear else ''}</li>"
                           for d in comparison.differences if d.measure == "growth")
        self.cohorts.setText(
            f"<p>Bookings per account and period before go-live <b>{comparison.go_live}</b> "
            f"({', '.join(comparison.periods_before)}) and from it ({', '.join(comparison.periods_after)}):</p>"
            "<table cellspacing='0' cellpadding='3'><tr><th align='left'>Cohort</th><th>Accounts</th><th>Before</th>"
            f"<th>After</th><th>Growth</th></tr>{rows}</table>"
            f"<p>Differences in growth, 95 % bootstrap intervals ({comparison.n_boot:,} resamples):</p>"
            f"<ul>{readings}</ul>")

    def _apply_colours(self) -> None:
        controller = self.window_.controller
        if controller is None:
            return
        kpi = self.colour_by.currentData()
        if kpi is None or self.result is None:
            if controller.colour_scheme is not None and getattr(controller.colour_scheme, "kpi", None):
                controller.set_colour_scheme(None)
            return
        period = self.period.currentText()
        rows = self.result.by_territory[self.result.by_territory["period"] == period]
        values = dict(zip(rows["territory_id"].astype(int), rows[kpi].astype(float)))

        def scheme(scenario):
            colours, legend = kpi_colours(kpi, {tid: values.get(tid, np.nan) for tid in scenario.territories})
            if legend:  # what the colours say, on the first entry (the legend has no title of its own)
                legend[0] = (f"{SHORT_LABELS.get(kpi, KPI_LABELS[kpi])} {period}: {legend[0][0]}", legend[0][1])
            return colours, legend
        scheme.kpi = kpi  # marks the scheme as this dock's, so that only this dock takes it back
        controller.set_colour_scheme(scheme)


def install(window) -> KpiDock:
    dock = add_bottom_dock(window, KpiDock(window), beside=window.coverage_dock)
    return dock
