"""Auto-balance options: what to balance (within the PROJECT's tolerance by default), what to minimise, what
must not change. "Balance" runs one auto-balance; "Trade-off…" runs it at several tolerances for the chart."""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QLabel, QVBoxLayout, QWidget)

from desktop_planner.optimize.balance import BalanceSettings

MEASURE_CHOICES = (("workload_hours", "Workload hours", True), ("potential", "Potential", False),
                   ("accounts", "Account count", False))
OBJECTIVES = (("travel", "Least total travel (workload-weighted distance to home)"),
              ("max_distance", "Least longest distance (no account far from its home)"))
HOMES = (("fixed", "Keep the reps' homes"), ("optimize", "Let the optimizer choose each territory's centre"))
WITHIN = ((None, "Anywhere"), ("state", "Its state (the state of its rep's home)"),
          ("region", "Its sales region (the units its region holds now)"))
TOLERANCE_RANGE = (0.5, 99.0)  # percent; BalanceSettings wants a fraction strictly between 0 and 1
DEFAULT_TOLERANCE = 0.10  # DESIGN: a territory is in balance within ±10 % unless the project says otherwise


def _percent_box(value: float, maximum: float = 100.0) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.5, maximum)
    box.setDecimals(1)
    box.setSuffix(" %")
    box.setValue(value)
    return box


def _row(*widgets) -> QWidget:
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        line.addWidget(widget)
    line.addStretch(1)
    return row


class BalanceOptionsDialog(QDialog):
    """`choice` is "balance" or "tradeoff" once accepted. `tolerance`: the project's (plan.settings.tolerance).
    `unit_layer`: the label of the project's unit layer, if it has one: then whole units are balanced (or single
    accounts), optionally each territory within its state or sales region."""

    def __init__(self, parent, territories: int, tolerance: float = DEFAULT_TOLERANCE,
                 unit_layer: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Auto-balance")
        self.choice = "balance"
        percent = min(max(float(tolerance) * 100, TOLERANCE_RANGE[0]), TOLERANCE_RANGE[1])
        form = QFormLayout()
        self.measures: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        for key, label, checked in MEASURE_CHOICES:
            box, spin = QCheckBox(label), _percent_box(percent, TOLERANCE_RANGE[1])
            box.setChecked(checked)
            self.measures[key] = (box, spin)
            form.addRow("Balance" if key == "workload_hours" else "", _row(box, QLabel("within ±"), spin))
        self.objective, self.homes = QComboBox(), QComboBox()
        for combo, choices in ((self.objective, OBJECTIVES), (self.homes, HOMES)):
            for key, label in choices:
                combo.addItem(label, key)
        form.addRow("Objective", self.objective)
        form.addRow("Homes", self.homes)
        self.limit_accounts, self.max_accounts = QCheckBox("at most"), _percent_box(15.0)
        # No budget by default: a first balance of a lopsided plan has to move many accounts; a planner who
        # re-balances a working plan ticks it.
        self.limit_accounts.setChecked(False)
        self.limit_potential, self.max_potential = QCheckBox("at most"), _percent_box(15.0)
        for label, box, spin in (("Accounts moved", self.limit_accounts, self.max_accounts),
                                 ("Potential moved", self.limit_potential, self.max_potential)):
            box.toggled.connect(spin.setEnabled)
            spin.setEnabled(box.isChecked())
            form.addRow(label, _row(box, spin))
        self.contiguous = QCheckBox("Every territory in one connected piece")
        self.contiguous.setChecked(True)
        form.addRow("Contiguity", self.contiguous)
        self.use_units, self.within = QComboBox(), QComboBox()
        self.use_units.addItem(f"Whole units of {unit_layer}" if unit_layer else "Single accounts", bool(unit_layer))
        self.use_units.addItem("Single accounts", False)
        for key, label in WITHIN:
            self.within.addItem(label, key)
        self.use_units.currentIndexChanged.connect(lambda _i: self.within.setEnabled(self.use_units.currentData()))
        if unit_layer:
            form.addRow("Move", self.use_units)
            form.addRow("Keep each territory within", self.within)
        self.time_limit = QDoubleSpinBox()
        self.time_limit.setRange(1, 3600)
        self.time_limit.setValue(30)
        self.time_limit.setSuffix(" s")
        form.addRow("Time limit", self.time_limit)
        note = QLabel(f"{territories} territories. Locked accounts and locked territories stay as they are. To "
                      "try another headcount, add or delete territories first. Trade-off… balances at several "
                      "tolerances (the time limit is shared) and charts balance against travel.")
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Balance")
        self.tradeoff_button = buttons.addButton("Trade-off…", QDialogButtonBox.ActionRole)
        self.tradeoff_button.setToolTip("Balance at ±5, 10, 15, 20, 30 and 50 % and chart each plan's largest "
                                        "deviation against its travel")
        buttons.accepted.connect(lambda: self._accept("balance"))
        self.tradeoff_button.clicked.connect(lambda: self._accept("tradeoff"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def settings(self) -> BalanceSettings:
        """The chosen options, validated (ValueError with a message for the user)."""
        measures = {key: spin.value() / 100 for key, (box, spin) in self.measures.items() if box.isChecked()}
        return BalanceSettings(
            measures=measures, objective=self.objective.currentData(), homes=self.homes.currentData(),
            max_disruption_accounts=self.max_accounts.value() / 100 if self.limit_accounts.isChecked() else None,
            max_disruption_potential=self.max_potential.value() / 100 if self.limit_potential.isChecked() else None,
            require_contiguous=self.contiguous.isChecked(), time_limit_s=self.time_limit.value(),
            use_units=bool(self.use_units.currentData()),
            within=self.within.currentData() if self.use_units.currentData() else None).validated()

    def _accept(self, choice: str = "balance") -> None:
        try:
            self.settings()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.choice = choice
        self.accept()
