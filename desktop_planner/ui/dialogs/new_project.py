"""New projects from the File menu: an empty one, or a demo built off the GUI thread with its options dialog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QSpinBox

from desktop_planner.core.model import Accounts, Plan, Scenario
from desktop_planner.io.demo import MAX_ACCOUNTS, MAX_TERRITORIES, REGION_LABELS, REGIONS, build_demo_plan
from desktop_planner.store.project import ProjectFile


def empty_plan(name: str) -> Plan:
    accounts = Accounts.from_columns(lon=[], lat=[])
    scenario = Scenario(1, "Current plan", {}, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))
    return Plan(accounts, {1: scenario}, 1, name=name)


class _JobSignals(QObject):
    finished = Signal(object)  # the created project's Path, or None when cancelled
    failed = Signal(str)


class DemoProjectJob(QRunnable):
    """Builds and saves a demo project off the GUI thread. build_demo_plan cannot be interrupted, so Cancel
    lets it finish in the background and throws the result away."""

    def __init__(self, path: Path, accounts: int, territories: int, region: str, seed: int) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the window holds it until it reports, so Python never frees it mid-run
        self.signals = _JobSignals()
        self.cancelled = False
        self.args = (path, accounts, territories, region, seed)

    def run(self) -> None:
        path, accounts, territories, region, seed = self.args
        try:
            plan = build_demo_plan(accounts, territories, seed=seed, region=region)
            if not self.cancelled:
                ProjectFile.create(path, plan, overwrite=True).close()
        except Exception as exc:  # a thread boundary: every failure must reach the user, not vanish here
            self.signals.failed.emit(str(exc))
            return
        if self.cancelled:
            path.unlink(missing_ok=True)
        self.signals.finished.emit(None if self.cancelled else path)


class DemoOptionsDialog(QDialog):
    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.setWindowTitle("New demo project")
        self.accounts, self.territories, self.seed = QSpinBox(self), QSpinBox(self), QSpinBox(self)
        for box, top, value in ((self.accounts, MAX_ACCOUNTS, 5000), (self.territories, MAX_TERRITORIES, 12),
                                (self.seed, 1_000_000, 0)):
            box.setRange(0 if box is self.seed else 1, top)
            box.setValue(value)
            box.setGroupSeparatorShown(True)
        self.accounts.setSingleStep(1000)
        self.region = QComboBox(self)
        for key in REGIONS:
            self.region.addItem(REGION_LABELS[key][0], key)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Accounts", self.accounts)
        form.addRow("Territories", self.territories)
        form.addRow("Region", self.region)
        form.addRow("Random seed", self.seed)
        form.addRow(buttons)
