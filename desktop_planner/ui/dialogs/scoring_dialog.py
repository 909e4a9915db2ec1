"""Teams > Score accounts…: define the account score (core.scoring) as `desktop-planner score` does (cli/scoring.py),
with a live preview of how the accounts would fall into the tiers.

A score is a weighted sum of components, one per column: numbers scaled by min-max or rank (optionally capped), text
by points per category. Every edit is checked at once with the same rules as the project file (ScoreDefinition);
a problem is named in red and OK stays disabled until it is fixed. The preview is recomputed 150 ms after the last
edit (typing a weight must not recompute a million accounts per keystroke) and drawn with the Scores dock's own
histogram and legend, so the dialog and the dock show tiers alike. "Remove score" asks first and then closes with
`removed` set and `definition()` None; the caller applies SetScoring either way (ui/window/team_views.py).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox, QPushButton, QStackedWidget,
                               QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout)

from desktop_planner.core.account_table import account_columns, column_key, describe_columns, is_number_column, \
    text_codes, text_key
from desktop_planner.core.rules import read_number
from desktop_planner.core.scoring import DEFAULT_CATEGORY, Component, ScoreDefinition, ScoringError, Tier, \
    compute_scores
from desktop_planner.core.team_commands import IMPORTED_POTENTIAL
from desktop_planner.ui.review.score_dock import _plain_chart, score_histogram, tier_legend

TITLE = "Score accounts"
PREVIEW_DELAY_MS = 150
# The CLI's words (minmax, rank, categories) are what is stored; these are only how the box shows them.
METHOD_LABELS = (("minmax", "min-max"), ("rank", "rank"), ("categories", "categories"))
METHOD_TIPS = ("min-max: 0 at the lowest value, 1 at the highest (after the cap)\n"
               "rank: the account's percentile; a few giants do not squash the others\n"
               "categories: points 0–100 per text value")
DEFAULT_TIERS = (Tier("A", 70.0), Tier("B", 40.0), Tier("C", 0.0))
# Never offered: the score's own results (a score of the score), the bookkeeping of the imported potential,
# identifiers and coordinates. A stored definition that names one still shows it, so nothing is silently dropped.
NOT_OFFERED = frozenset({"score", "tier", IMPORTED_POTENTIAL, "name", "external_id", "lon", "lat"})
ERROR_STYLE = "color: #b00020;"
WARNING_STYLE = "color: #8a5a00;"
NOTE_STYLE = "color: #6b6f75;"
PREFERRED_SIZE = (1120, 680)  # within a 1366×768 laptop screen less its task bar and the title bar

COLUMN, WEIGHT, SHARE, METHOD, CAP, POINTS, REMOVE = range(7)


class _Number(QDoubleSpinBox):
    """A spin box that gives back a stored value exactly while the user leaves it alone: the box rounds to its
    decimals, and a definition opened and closed with OK must not change (nor become an undo step)."""

    def set_exact(self, value: float) -> None:
        self.setValue(value)
        self._exact = (self.value(), value)

    def exact(self) -> float:
        shown, value = getattr(self, "_exact", (None, None))
        return value if self.value() == shown else self.value()


class _ComponentRow:
    """The editors of one component; a row is found by its object, not its index, because rows come and go."""

    def __init__(self, dialog: "ScoringDialog", columns: list[tuple[str, str]]) -> None:
        self.column = QComboBox(dialog)
        for name, kind in columns:
            self.column.addItem(f"{name} ({kind})", name)
        self.weight = _Number(dialog)
        self.weight.setRange(0.0, 1000.0)  # any scale works: the share column says what a weight amounts to
        self.weight.setDecimals(2)
        self.weight.setSingleStep(0.05)
        self.share = QTableWidgetItem()
        self.share.setFlags(Qt.ItemIsEnabled)
        self.share.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.method = QComboBox(dialog)
        for value, label in METHOD_LABELS:
            self.method.addItem(label, value)
        self.method.setToolTip(METHOD_TIPS)
        self.cap = QLineEdit(dialog)
        self.cap.setToolTip("Values above the cap count as the cap, e.g. 5M: a few giants then do not squash "
                            "everyone else to 0 in min-max. Blank: no cap.")
        self.points = QLineEdit(dialog)
        self.remove = QToolButton(dialog)
        self.remove.setText("✕")
        self.remove.setToolTip("Remove this component")


class ScoringDialog(QDialog):
    def __init__(self, parent, plan) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.plan = plan
        self.removed = False  # set by "Remove score": definition() is then None
        self.table = account_columns(plan.accounts)  # read once: the accounts do not change while the dialog is open
        self.kinds = dict(describe_columns(self.table))
        self.offered = [(name, kind) for name, kind in describe_columns(self.table) if name not in NOT_OFFERED]
        self.rows: list[_ComponentRow] = []
        self.tier_rows: list[tuple[QLineEdit, _Number, QToolButton]] = []
        self._definition: ScoreDefinition | None = None  # the definition as edited, None while it has a problem
        self._values: dict[str, list[str]] = {}  # text column -> its values, most common first (for hints)
        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.refresh_preview)
        self._build()
        existing = plan.scoring
        self._fill(existing if existing is not None else self._starting_point())
        self._fit_screen()

    # -- building -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        intro = QLabel("Each account scores 0 to 100: the weighted sum of the columns below, each scaled to 0–1. "
                       "A missing value counts 0. Tiers cut the score into groups.", self)
        intro.setWordWrap(True)

        self.components = QTableWidget(0, 7, self)
        self.components.setHorizontalHeaderLabels(["Column", "Weight", "Share", "Method", "Cap",
                                                   "Points per category", ""])
        for index, tip in ((SHARE, "The component's part of the total weight"), (METHOD, METHOD_TIPS),
                           (CAP, "Numbers only: values above it count as the cap (blank: none)"),
                           (POINTS, "Text columns only: Value=points (0–100), separated by commas; * gives "
                                    "every other value its points, and a value not named otherwise gets 0")):
            self.components.horizontalHeaderItem(index).setToolTip(tip)
        self._table_look(self.components, {COLUMN: 180, WEIGHT: 80, SHARE: 52, METHOD: 110, CAP: 90, REMOVE: 30},
                         stretch=POINTS)
        self.add_component_button = add = QPushButton("Add component", self)
        add.clicked.connect(lambda: self._add_component(self._new_component()))
        components = QGroupBox("Components", self)
        box = QVBoxLayout(components)
        box.addWidget(self.components)
        box.addLayout(_left(add))

        self.tiers = QTableWidget(0, 3, self)
        self.tiers.setHorizontalHeaderLabels(["Tier", "Lowest score", ""])
        self._table_look(self.tiers, {1: 100, 2: 30}, stretch=0)
        self.add_tier_button = add_tier = QPushButton("Add tier", self)
        add_tier.clicked.connect(lambda: self._add_tier(*self._new_tier()))
        tiers = QGroupBox("Tiers", self)
        tiers.setToolTip("An account gets the highest tier whose lowest score it reaches; no rows: no tiers")
        box = QVBoxLayout(tiers)
        box.addWidget(self.tiers)
        box.addLayout(_left(add_tier))
        tiers.setFixedWidth(270)

        self.summary = QLabel(self)
        self.legend = QLabel(self)
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setWordWrap(True)
        self.chart = _plain_chart(self)
        self.chart.setMinimumHeight(120)
        self.chart.getAxis("left").setLabel("accounts")
        self.chart.getAxis("bottom").setLabel("score")
        # The score axis ends at 100 and says so: pyqtgraph drops a label reaching past the axis by default.
        self.chart.getAxis("bottom").setStyle(hideOverlappingLabels=False)
        self.chart.getPlotItem().showAxis("right")  # room for that label
        self.chart.getAxis("right").setStyle(showValues=False)
        self.chart.getAxis("right").setWidth(14)
        # While the score has a problem the chart gives way to a note of the same size: an empty chart with a
        # 0..1 scale would look like a result.
        self.no_preview = QLabel("No preview until the problem named below is fixed", self)
        self.no_preview.setAlignment(Qt.AlignCenter)
        self.no_preview.setStyleSheet(NOTE_STYLE)
        self.chart_stack = QStackedWidget(self)
        self.chart_stack.addWidget(self.chart)
        self.chart_stack.addWidget(self.no_preview)
        preview = QGroupBox("Preview", self)
        box = QVBoxLayout(preview)
        box.addWidget(self.summary)
        box.addWidget(self.legend)
        box.addWidget(self.chart_stack, 1)
        middle = QHBoxLayout()
        middle.addWidget(tiers)
        middle.addWidget(preview, 1)

        self.feeds = QCheckBox("Use the score as each account's potential", self)
        self.feeds.toggled.connect(self._edited)
        feeds_note = QLabel("Balancing and the potential figures then follow the score. The imported potential is "
                            "kept: it comes back when this is unticked or the score is removed.", self)
        feeds_note.setWordWrap(True)
        feeds_note.setStyleSheet(NOTE_STYLE)
        feeds_note.setContentsMargins(22, 0, 0, 0)  # under the checkbox's text, not its box

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.remove_button = QPushButton("Remove score…", self)
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self._remove)
        if self.plan.scoring is None:
            self.remove_button.setEnabled(False)
            self.remove_button.setToolTip("There is no score yet")
        else:
            self.remove_button.setToolTip("Clear every account's score and tier")
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        bottom = QHBoxLayout()
        bottom.addWidget(self.remove_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)

        for button in (add, add_tier):
            button.setAutoDefault(False)  # Enter in a field means OK, not "add another row"
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(components)
        layout.addLayout(middle, 1)  # the room left goes to the preview: components scroll past five rows
        layout.addWidget(self.feeds)
        layout.addWidget(feeds_note)
        layout.addWidget(self.status)
        layout.addLayout(bottom)

    @staticmethod
    def _table_look(table: QTableWidget, widths: dict[int, int], stretch: int) -> None:
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(30)
        table.setSelectionMode(QTableWidget.NoSelection)
        header = table.horizontalHeader()
        for index, width in widths.items():
            header.setSectionResizeMode(index, QHeaderView.Fixed if index == table.columnCount() - 1
                                        else QHeaderView.Interactive)
            table.setColumnWidth(index, width)
        header.setSectionResizeMode(stretch, QHeaderView.Stretch)
        table.setMinimumHeight(header.sizeHint().height() + 3 * 30 + 4)

    def _components_height(self) -> None:
        """Rows the components have, up to five, without a gap under them: the preview needs the height more."""
        rows = min(max(len(self.rows), 3), 5)
        self.components.setFixedHeight(self.components.horizontalHeader().sizeHint().height() + rows * 30 + 4)

    def _fit_screen(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        width, height = PREFERRED_SIZE
        if room is not None:
            width, height = min(width, room.width() - 20), min(height, room.height() - 40)  # 40: the title bar
        self.resize(width, height)

    # -- rows ---------------------------------------------------------------------------------------------
    def _fill(self, definition: ScoreDefinition) -> None:
        for component in definition.components:
            self._add_component(component)
        for tier in definition.tiers:
            self._add_tier(tier.name, tier.min_score)
        self.feeds.setChecked(definition.feeds_potential)
        self._edited()

    def _starting_point(self) -> ScoreDefinition:
        """Potential and employees when the accounts have them, else the first number column. By rank: on
        skewed figures min-max would put nearly everyone at the bottom, rank spreads the accounts over the tiers."""
        numbers = [name for name, kind in self.offered if kind == "number"]
        picks = [(name, weight) for name, weight in (("potential", 0.6), ("employees", 0.4)) if name in numbers]
        if not picks and numbers:
            picks = [(numbers[0], 1.0)]
        if not picks:  # no number column at all: a row to edit, named in red until it is
            picks = [(self.offered[0][0] if self.offered else "potential", 1.0)]
        return ScoreDefinition(tuple(Component(name, weight, "rank") for name, weight in picks), DEFAULT_TIERS)

    def _new_component(self) -> Component:
        used = {column_key(row.column.currentData() or "") for row in self.rows}
        free = [name for name, kind in self.offered if name not in used] or [name for name, _ in self.offered]
        name = next((n for n in free if self.kinds[n] == "number"), free[0] if free else "potential")
        weights = [row.weight.value() for row in self.rows]
        weight = round(sum(weights) / len(weights), 2) if weights else 1.0  # as much as the average so far
        if self.kinds.get(name) == "text":
            return Component(name, weight, "categories", categories=self._template(name))
        return Component(name, weight, "rank")

    def _add_component(self, component: Component) -> None:
        row = _ComponentRow(self, self.offered)
        index = row.column.findData(component.column)
        if index < 0:  # spelled otherwise ("ARR" for arr), or not among the offered columns
            index = next((i for i in range(row.column.count())
                          if column_key(row.column.itemData(i)) == column_key(component.column)), -1)
            if index >= 0:
                row.column.setItemData(index, component.column)  # keep the stored spelling
            else:
                kind = self.kinds.get(column_key(component.column))
                row.column.addItem(f"{component.column} ({kind or 'not in the accounts'})", component.column)
                index = row.column.count() - 1
        row.column.setCurrentIndex(index)
        row.weight.set_exact(component.weight)
        row.method.setCurrentIndex(row.method.findData(component.method))
        row.cap.setText("" if component.cap is None else f"{component.cap:,.15g}")
        row.points.setText(_points_text(component.categories))
        row.points.setCursorPosition(0)  # a long list shows its first categories, not its tail
        self.rows.append(row)
        at = self.components.rowCount()
        self.components.insertRow(at)
        for column, widget in ((COLUMN, row.column), (WEIGHT, row.weight), (METHOD, row.method), (CAP, row.cap),
                               (POINTS, row.points), (REMOVE, row.remove)):
            self.components.setCellWidget(at, column, widget)
        self.components.setItem(at, SHARE, row.share)
        # Connected after filling: the stored values are shown as they are, not "corrected" on the way in.
        row.column.currentIndexChanged.connect(lambda _i, row=row: self._column_changed(row))
        row.method.currentIndexChanged.connect(lambda _i, row=row: self._method_changed(row))
        for signal in (row.weight.valueChanged, row.cap.textChanged, row.points.textChanged):
            signal.connect(self._edited)
        row.remove.clicked.connect(lambda _c=False, row=row: self._remove_component(row))
        self._edited()

    def _remove_component(self, row: _ComponentRow) -> None:
        self.components.removeRow(self.rows.index(row))
        self.rows.remove(row)
        self._edited()

    def _column_changed(self, row: _ComponentRow) -> None:
        # Text is scored by categories and numbers are not: switch the method along rather than show an error.
        text = self.kinds.get(column_key(row.column.currentData())) == "text"
        if text and row.method.currentData() != "categories":
            row.method.setCurrentIndex(row.method.findData("categories"))
        elif not text and row.method.currentData() == "categories":
            row.method.setCurrentIndex(row.method.findData("rank"))
        if text and not self._fits(row.points.text(), row.column.currentData()):
            row.points.setText(_points_text(self._template(row.column.currentData())))
        self._edited()

    def _fits(self, text: str, column: str) -> bool:
        """Whether the points name a value of the column: another column's categories are replaced, but going
        back and forth between two spellings of one column keeps what was typed."""
        try:
            named = _parse_points(column, text) or {}
        except ScoringError:
            return False
        known = {text_key(v) for v in self._column_values(column)}
        return any(text_key(name) in known for name in named)

    def _method_changed(self, row: _ComponentRow) -> None:
        if row.method.currentData() == "categories" and not row.points.text().strip():
            row.points.setText(_points_text(self._template(row.column.currentData())))
        self._edited()

    def _new_tier(self) -> tuple[str, float]:
        names = {edit.text().strip().casefold() for edit, _, _ in self.tier_rows}
        name = next((c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c.casefold() not in names), "New")
        lows = [box.value() for _, box, _ in self.tier_rows]
        if 0.0 not in lows:
            return name, 0.0  # the bottom tier, so that every account has one
        positive = [low for low in lows if low > 0]
        return name, float(round(min(positive) / 2)) if positive else 50.0  # halfway under the lowest above 0

    def _add_tier(self, name: str, low: float) -> None:
        edit, box, remove = QLineEdit(name, self), _Number(self), QToolButton(self)
        box.setRange(0.0, 100.0)
        box.setDecimals(1)
        box.set_exact(low)
        remove.setText("✕")
        remove.setToolTip("Remove this tier")
        at = self.tiers.rowCount()
        self.tiers.insertRow(at)
        for column, widget in enumerate((edit, box, remove)):
            self.tiers.setCellWidget(at, column, widget)
        entry = (edit, box, remove)
        self.tier_rows.append(entry)
        edit.textChanged.connect(self._edited)
        box.valueChanged.connect(self._edited)
        remove.clicked.connect(lambda _c=False, entry=entry: self._remove_tier(entry))
        self._edited()

    def _remove_tier(self, entry) -> None:
        self.tiers.removeRow(self.tier_rows.index(entry))
        self.tier_rows.remove(entry)
        self._edited()

    # -- the definition -----------------------------------------------------------------------------------
    def definition(self) -> ScoreDefinition | None:
        """The score as edited; None when the user chose to remove it. Raises ScoringError while it has a problem
        (OK is disabled then)."""
        return None if self.removed else self._read()

    def _read(self) -> ScoreDefinition:
        components = []
        for row in self.rows:
            column, method = row.column.currentData(), row.method.currentData()
            categories = method == "categories"
            cap = None if categories else _parse_cap(column, row.cap.text())  # disabled, and ignored, for text
            points = _parse_points(column, row.points.text()) if categories else None
            components.append(Component(column, row.weight.exact(), method, cap, points))
        tiers = tuple(Tier(edit.text().strip(), box.exact()) for edit, box, _ in self.tier_rows)
        definition = ScoreDefinition(tuple(components), tiers, self.feeds.isChecked())
        for component in definition.components:  # what compute_scores would refuse, said before it runs
            kind = self.kinds.get(column_key(component.column))
            if kind is None:
                raise ScoringError(f"the accounts have no column {component.column!r}: choose another")
            if (kind == "text") != (component.method == "categories"):
                raise ScoringError(f"{component.column} holds {kind}: score it with "
                                   f"{'categories' if kind == 'text' else 'min-max or rank'}")
        return definition

    def _edited(self, *_args) -> None:
        self._components_height()
        total = sum(row.weight.value() for row in self.rows)
        for row in self.rows:
            row.share.setText(f"{100 * row.weight.value() / total:.0f}%" if total > 0 else "–")
            categories = row.method.currentData() == "categories"
            row.cap.setEnabled(not categories)
            row.points.setEnabled(categories)
            # Placeholders only where they apply: greyed example text in a disabled field reads as content.
            row.cap.setPlaceholderText("" if categories else "none")
            row.points.setPlaceholderText("Healthcare=100, Retail=40, *=20" if categories else "")
            row.points.setToolTip(self._values_hint(row.column.currentData()) if categories else
                                  "Points per category go with the method 'categories' (text columns)")
        try:
            self._definition = self._read()
        except ScoringError as exc:
            self._definition = None
            self._say(str(exc), ERROR_STYLE)
        else:
            self._say(self._warnings(self._definition), WARNING_STYLE)
        self.ok.setEnabled(self._definition is not None)
        self._timer.start()

    def _warnings(self, definition: ScoreDefinition) -> str:
        """What is allowed but probably a slip: a category that matches no account (a typo scores 0 silently)."""
        notes = []
        for component in definition.components:
            if component.method == "categories":
                known = {text_key(v) for v in self._column_values(component.column)}
                unknown = [n for n in component.categories if n != DEFAULT_CATEGORY and text_key(n) not in known]
                if unknown:
                    notes.append(f"{component.column}: no account has {', '.join(map(repr, unknown))} (a misspelt "
                                 f"category scores nothing; the field's tooltip lists the values)")
            elif definition.feeds_potential and column_key(component.column) == "potential":
                # While the score feeds potential, the accounts' potential IS the score: scoring again would score
                # the old score. The imported figure is not lost, but this component would not read it.
                notes.append("potential: once the score stands in for potential, scoring again reads the score, "
                             "not the imported potential")
        return "; ".join(notes)

    def _say(self, text: str, style: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(style)
        self.status.setVisible(bool(text))

    # -- the preview --------------------------------------------------------------------------------------
    def refresh_preview(self) -> None:
        self._timer.stop()  # called directly (a test, OK) it makes a pending run needless
        definition, plot = self._definition, self.chart.getPlotItem()
        if definition is None:
            self.chart_stack.setCurrentWidget(self.no_preview)
            self.summary.clear()
            self.legend.clear()
            return
        try:
            result = compute_scores(definition, self.table)
        except ScoringError as exc:  # checked in _read already; kept so that a surprise never slips past OK
            self._definition = None
            self.ok.setEnabled(False)
            self._say(str(exc), ERROR_STYLE)
            return self.refresh_preview()
        scores = result.score
        self.chart_stack.setCurrentWidget(self.chart)
        score_histogram(plot, scores, definition.tiers)
        median = float(np.median(scores)) if len(scores) else float("nan")
        self.summary.setText(f"<b>{len(scores):,} accounts</b> &nbsp;·&nbsp; median score {median:.1f}")
        self.legend.setText(tier_legend(scores, definition.tiers) or
                            f"<span style='{NOTE_STYLE}'>No tiers: the accounts get a score only</span>")

    # -- closing ------------------------------------------------------------------------------------------
    def accept(self) -> None:
        if not self.removed and self._definition is None:
            return  # Enter in a field while there is a problem: OK is disabled, and so is this
        super().accept()

    def _remove(self) -> None:
        feeds = self.plan.scoring is not None and self.plan.scoring.feeds_potential
        answer = QMessageBox.question(
            self, "Remove score",
            "Remove the score? Every account's score and tier are cleared; the columns they came from are not "
            "touched." + (" The imported potential comes back in place of the score." if feeds else "") +
            "\n\nTeam rules that use the score or tier may hand accounts over. Edit ▸ Undo brings the score back.",
            QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
        if answer == QMessageBox.Yes:
            self.removed = True
            super().accept()

    # -- text columns -------------------------------------------------------------------------------------
    def _column_values(self, column: str) -> list[str]:
        """A text column's values, most common first (each spelling once, as the accounts have it)."""
        key = column_key(column or "")
        if key not in self._values:
            values = self.table.get(key)
            if values is None or is_number_column(values):
                self._values[key] = []
            else:
                # By the codes that scoring matches categories with (cached per column), not a pass in Python.
                keys, codes = text_codes(values)
                counts = np.bincount(codes[codes >= 0], minlength=len(keys))
                found, first = np.unique(codes, return_index=True)
                spelling = {int(c): str(values[i]).strip() for c, i in zip(found, first) if c >= 0}
                self._values[key] = [spelling[int(c)] for c in np.argsort(-counts, kind="stable")]
        return self._values[key]

    def _values_hint(self, column: str) -> str:
        values = self._column_values(column)
        shown = ", ".join(values[:15]) + (f", … ({len(values) - 15} more)" if len(values) > 15 else "")
        return (f"The values of {column}: {shown}\n" if values else "") + \
            "Value=points (0–100), separated by commas; * gives every other value its points"

    def _template(self, column: str) -> dict[str, float]:
        """A start for the points of a text column: its two most common values at 100 and 50, the rest 0. It
        shows the syntax with words the column really has; the tooltip lists the others."""
        points = {value: float(p) for value, p in zip(self._column_values(column), (100, 50))}
        points[DEFAULT_CATEGORY] = 0.0
        return points


def _points_text(categories: dict[str, float] | None) -> str:
    return ", ".join(f"{name}={points:.15g}" for name, points in (categories or {}).items())


def _parse_cap(column: str, text: str) -> float | None:
    if not text.strip():
        return None
    try:
        return read_number(text)
    except ValueError:
        raise ScoringError(f"{column}: the cap {text.strip()!r} is not a number (e.g. 5M, 250k, 1,000)") from None


def _parse_points(column: str, text: str) -> dict[str, float] | None:
    """"Healthcare=100, Retail=40, *=20" -> {name: points}: the CLI's syntax (core.scoring.parse_component), but a
    category may contain ':' here since it is not split off a column:weight text."""
    points: dict[str, float] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, number = item.rpartition("=")
        if not sep or not name.strip():
            raise ScoringError(f"{column}: {item.strip()!r} should be Category=points, e.g. Healthcare=100, *=20")
        try:
            points[name.strip()] = read_number(number)
        except ValueError:
            raise ScoringError(f"{column}: the points of {name.strip()!r} should be a number from 0 to 100, "
                               f"not {number.strip()!r}") from None
    return points or None  # none: Component names the missing points in its own words


def _left(button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(button)
    row.addStretch(1)
    return row

