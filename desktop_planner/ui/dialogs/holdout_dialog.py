"""Scenario > Keep a holdout…: before a realignment goes live, keep a random, stratified sample of the accounts it
would move where they are, so that after go-live the moved accounts can be compared with like ones that stayed
(KPIs dock, Cohorts tab; `desktop-planner kpis --cohorts`).

The draw is shown as it is chosen (how many move and how many are held out, per stratum); OK keeps it as one
undoable step (core.holdout_commands.KeepHoldout) with its seed, strata and go-live period stored.
"""

from __future__ import annotations

import datetime as dt
import secrets

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop_planner.core.holdout_commands import KeepHoldout, check_period, holdout_of_scenario
from desktop_planner.core.holdouts import STRATA, HoldoutError, choose_holdout

STRATUM_LABELS = {"from_territory": "territory today", "to_territory": "new territory", "segment": "segment",
                  "tier": "score tier", "potential_band": "potential fifth"}
ERROR_STYLE = "color: #b00020;"


def next_quarter(today: dt.date | None = None) -> str:
    """The quarter after today's: the usual go-live of a realignment decided now."""
    today = today or dt.date.today()
    quarter = (today.month - 1) // 3 + 1
    year, quarter = (today.year + 1, 1) if quarter == 4 else (today.year, quarter + 1)
    return f"{year}-Q{quarter}"


class HoldoutDialog(QDialog):
    def __init__(self, parent, plan) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keep a holdout")
        self.plan = plan
        self.scenario = plan.active
        self.choice = None
        intro = QLabel(f"Accounts that <b>{self.scenario.name}</b> moves, kept where they are today, picked at "
                       "random within each stratum. After go-live, the KPIs compare moved, held-out and unchanged "
                       "accounts over the same periods.", self)
        intro.setWordWrap(True)
        self.baseline = QComboBox(self)
        others = [s for s in plan.scenarios.values() if s.id != self.scenario.id]
        for s in others:
            self.baseline.addItem(s.name, s.id)
        if self.scenario.based_on is not None:
            self.baseline.setCurrentIndex(max(self.baseline.findData(self.scenario.based_on), 0))
        self.share = QDoubleSpinBox(self, decimals=0, minimum=1, maximum=90, value=10, suffix=" % of the movers")
        self.strata = {name: QCheckBox(STRATUM_LABELS[name], self) for name in STRATA}
        self.strata["from_territory"].setChecked(True)
        strata_row = QWidget(self)
        row = QHBoxLayout(strata_row)
        row.setContentsMargins(0, 0, 0, 0)
        for box in self.strata.values():
            row.addWidget(box)
        row.addStretch(1)
        self.seed = QSpinBox(self, minimum=0, maximum=2**31 - 1, value=secrets.randbelow(10**6))
        reseed = QPushButton("New seed", self)
        reseed.clicked.connect(lambda: self.seed.setValue(secrets.randbelow(10**6)))
        seed_row = QWidget(self)
        row = QHBoxLayout(seed_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.seed)
        row.addWidget(reseed)
        row.addStretch(1)
        self.go_live = QLineEdit(next_quarter(), self)
        self.go_live.setToolTip("The first period under the new plan: YYYY-Qn or YYYY-MM")
        form = QFormLayout()
        form.addRow("Compared with", self.baseline)
        form.addRow("Hold out", self.share)
        form.addRow("Stratified by", strata_row)
        form.addRow("Seed", seed_row)
        form.addRow("Go-live period", self.go_live)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Stratum", "Move", "Can be held", "Held out"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.button(QDialogButtonBox.Ok).setText("Keep the holdout")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(640, 520)

        self._timer = QTimer(self, singleShot=True, interval=120)  # one draw for a burst of edits
        self._timer.timeout.connect(self.draw)
        for signal in (self.baseline.currentIndexChanged, self.share.valueChanged, self.seed.valueChanged,
                       self.go_live.textChanged, *(box.toggled for box in self.strata.values())):
            signal.connect(lambda *_: self._timer.start())
        self.draw()

    def _fail(self, text: str) -> None:
        self.choice = None
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setText(text)
        self.table.setRowCount(0)
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(False)

    def draw(self) -> None:
        kept = holdout_of_scenario(self.plan, self.scenario.id)
        if kept is not None:
            self._fail(f"{self.scenario.name} already has a holdout: {int(kept['size']):,} accounts, seed "
                       f"{int(kept['seed'])}, go-live {kept['go_live']}. Undo it (Edit > Undo) to draw another.")
            return
        baseline = self.plan.scenarios.get(self.baseline.currentData())
        if baseline is None:
            self._fail("A holdout needs a scenario to compare with: make the realignment as a new scenario first.")
            return
        strata = tuple(name for name, box in self.strata.items() if box.isChecked())
        try:
            check_period(self.go_live.text().strip())
            choice = choose_holdout(self.plan, baseline, self.scenario, share=self.share.value() / 100,
                                    strata=strata, seed=self.seed.value())
        except (HoldoutError, ValueError) as exc:
            self._fail(str(exc))
            return
        self.choice = choice
        self.summary.setStyleSheet("")
        self.summary.setText(f"<b>{len(choice.movers):,}</b> accounts move from <b>{baseline.name}</b>; "
                             f"<b>{choice.size:,}</b> are held out (seed {choice.seed}), "
                             f"<b>{len(choice.movers) - choice.size:,}</b> move.")
        rows = choice.summary_rows()
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, value in enumerate((r["stratum"], f"{r['movers']:,}", f"{r['eligible']:,}",
                                       f"{r['held_out']:,}")):
                item = QTableWidgetItem(value)
                if j:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(i, j, item)
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(True)

    def command(self) -> KeepHoldout:
        return KeepHoldout(self.choice, self.go_live.text().strip())

    def accept(self) -> None:
        self._timer.stop()
        self.draw()  # what OK keeps is what the fields say now, even within the redraw delay
        if self.choice is not None:
            super().accept()


def keep_holdout(window) -> None:
    session = window.session
    if session is None:
        return
    dialog = HoldoutDialog(window, session.plan)
    if dialog.exec() and window.controller.do(dialog.command()):
        window.statusBar().showMessage(f"{dialog.choice.size:,} accounts held out (seed {dialog.choice.seed}). "
                                       "Edit > Undo takes it back.", 15000)


def install(window) -> None:
    menu = window.scenario_bar.menu
    menu.addSeparator()
    menu.addAction("Keep a &holdout…", lambda: keep_holdout(window))
