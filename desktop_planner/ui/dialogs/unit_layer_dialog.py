"""View > Unit layer…: set the project's geography unit layer (US states, counties, approximate ZIP areas or any
polygon file) and place every account in its unit, as `desktop-planner units` does (cli/units.py), or remove it.

Loading the layer and placing the accounts run in a child process (store.unit_layer_job; the ZIP layer takes
seconds the first time) with a progress bar and Cancel. The layer is then set through the window's controller as
ONE undo step (core.units.layer_command) and a summary says what was placed and what not, and why. A layer
file's layers and columns fill the combo boxes as soon as the file is chosen, with the CLI's guesses selected.
An error (a file that cannot be read, a column that cannot hold the unit ids) is shown in the dialog, naming the
file and the reason, and nothing changes. Cancel leaves everything as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressBar,
                               QPushButton, QRadioButton, QVBoxLayout)

from desktop_planner.cli.units import SHOWN, unit_report
from desktop_planner.core.commands import SetUnitLayer
from desktop_planner.core.region_cells import spill
from desktop_planner.core.units import layer_command
from desktop_planner.io.unit_layers import UnitLayerError
from desktop_planner.store import unit_layer_job
from desktop_planner.store.unit_layer_job import file_columns, guess_column, summary_text, task_result
from desktop_planner.ui.jobs.process_job import ProcessJob

SOURCES = (("us-states", "US states"), ("us-counties", "US counties"),
           ("us-zip", "US ZIP areas (approximate: the area nearest each ZIP code's centre)"),
           ("file", "A map layer file:"))
FILE_FILTER = "Map layers (*.gpkg *.shp *.geojson *.json);;All files (*)"
ERROR_STYLE = "color: #b00020;"
PROGRESS_STEPS = 1000
TITLE = "Unit layer"


class UnitLayerDialog(QDialog):
    # What the child runs: a module-level function, looked up when a run starts (tests may substitute their own).
    task = staticmethod(unit_layer_job.unit_layer_task)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.main_window = window
        self.session = window.session
        self.setWindowTitle(TITLE)
        self.setMinimumWidth(560)
        self.summary = ""  # what the last layer set placed, as shown
        self.job: ProcessJob | None = None
        self._folder: str | None = None
        self._listed: str | None = None  # the file whose columns the boxes show
        self._build()
        self._source_changed()

    def _build(self) -> None:
        units = self.session.plan.units
        now = QLabel(f"Now: {units.layer.label}, {len(units.layer):,} units." if units is not None
                     else "The project has no unit layer.", self)
        source = QGroupBox("Units", self)
        column = QVBoxLayout(source)
        self.sources = QButtonGroup(self)
        self.radios = {key: QRadioButton(text, source) for key, text in SOURCES}
        for radio in self.radios.values():
            self.sources.addButton(radio)
            column.addWidget(radio)
        self.radios["us-counties"].setChecked(True)
        self.path = QLineEdit(source)
        self.path.setPlaceholderText("GeoPackage, Shapefile or GeoJSON of polygons")
        self.path.editingFinished.connect(lambda: self._read_columns())
        self.browse = QPushButton("Browse…", source)
        self.browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        column.addLayout(row)
        self.layer_box, self.id_box, self.name_box = QComboBox(source), QComboBox(source), QComboBox(source)
        self.file_widgets = (self.path, self.browse, self.layer_box, self.id_box, self.name_box)
        self.layer_box.activated.connect(lambda _: self._read_columns(self.layer_box.currentText()))
        self.id_box.setPlaceholderText("choose the column holding the unit ids")
        self.columns = QFormLayout()
        for label, box in (("Layer", self.layer_box), ("Id column", self.id_box), ("Name column", self.name_box)):
            self.columns.addRow(label, box)
        self.columns.setRowVisible(self.layer_box, False)  # shown for a file of several layers
        column.addLayout(self.columns)
        options = QGroupBox("Options", self)
        checks = QVBoxLayout(options)
        self.follow = QCheckBox("Accounts follow their unit (else they stay, as named exceptions)", options)
        self.fill = QCheckBox("Units without accounts take the territory around them", options)
        self.all_states = QCheckBox("Every US state, not only those with accounts", options)
        for box, on in ((self.follow, True), (self.fill, True), (self.all_states, False)):
            box.setChecked(on)
            checks.addWidget(box)
        self.error, self.status, self.bar = QLabel(self), QLabel(self), QProgressBar(self)
        self.error.setStyleSheet(ERROR_STYLE)
        for label in (self.error, self.status):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.bar.setRange(0, PROGRESS_STEPS)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("Set layer")
        self.remove = None
        if units is not None:
            self.remove = self.buttons.addButton("Remove the unit layer", QDialogButtonBox.ResetRole)
            self.remove.clicked.connect(self.remove_layer)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (now, source, options, self.error, self.status, self.bar, self.buttons):
            layout.addWidget(widget)
        for widget in (self.error, self.status, self.bar):
            widget.hide()
        self.sources.buttonToggled.connect(self._source_changed)

    # -- choices ----------------------------------------------------------------------------------------------
    def choice(self) -> str:
        return next(key for key, radio in self.radios.items() if radio.isChecked())

    def _source_changed(self, *_) -> None:
        is_file = self.choice() == "file"
        for widget in self.file_widgets:
            widget.setEnabled(is_file)
        self.all_states.setEnabled(not is_file)
        self._show_error("")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Unit layer file", self.path.text(), FILE_FILTER)
        if path:
            self.set_file(path)

    def set_file(self, path: str | Path) -> bool:
        """Choose a layer file: its layers and columns fill the boxes, the likely id and name selected."""
        self.radios["file"].setChecked(True)
        self.path.setText(str(path))
        return self._read_columns()

    def _read_columns(self, layer_name: str | None = None) -> bool:
        for box in (self.layer_box, self.id_box, self.name_box):
            box.clear()
        self.columns.setRowVisible(self.layer_box, False)
        text, self._listed = self.path.text().strip(), None
        if not text:
            return False
        try:
            layers, chosen, fields = file_columns(Path(text), layer_name)
        except UnitLayerError as exc:
            self._show_error(str(exc))
            return False
        self._show_error("")
        self._listed = text
        self.layer_box.addItems(layers)
        self.layer_box.setCurrentText(chosen)
        self.columns.setRowVisible(self.layer_box, len(layers) > 1)
        self.id_box.addItems(fields)
        self.name_box.addItems(fields)
        id_guess = guess_column(fields, "id")
        self.id_box.setCurrentIndex(fields.index(id_guess) if id_guess else -1)
        name_guess = guess_column(fields, "name") or id_guess
        self.name_box.setCurrentIndex(fields.index(name_guess) if name_guess else -1)
        return True

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    # -- the run ----------------------------------------------------------------------------------------------
    def start(self) -> ProcessJob | None:
        """OK: load the layer and place the accounts in a child process."""
        if self.job is not None:
            return None
        spec, kwargs = self.choice(), {"all_states": self.all_states.isChecked()}
        if spec == "file":
            spec = self.path.text().strip()
            if not spec:
                self._show_error("Choose the layer file (GeoPackage, Shapefile or GeoJSON) first.")
                return None
            if self._listed != spec and not self._read_columns():  # typed, not yet read: read it (or say why not)
                return None
            if self.id_box.currentIndex() < 0:
                self._show_error(f"{spec}: choose the column holding the unit ids.")
                return None
            kwargs = {"id_column": self.id_box.currentText(), "name_column": self.name_box.currentText() or None,
                      "layer_name": self.layer_box.currentText() or None}
        self._show_error("")
        accounts = self.session.plan.accounts
        self._accounts_ids = accounts.ids.copy()
        self._folder = folder = tempfile.mkdtemp(prefix="desktop_planner_unit_layer_")
        postcodes = spill(np.asarray(accounts.postcode, dtype=object), folder) if spec == "us-zip" else None
        args = (spec, spill(np.asarray(accounts.lon), folder), spill(np.asarray(accounts.lat), folder), postcodes,
                folder)
        self.job = job = ProcessJob(type(self).task, args, kwargs, name="unit layer", parent=self)
        job.progress.connect(self._progressed)
        job.finished.connect(self._finished)
        job.failed.connect(self._failed)
        job.cancelled.connect(lambda _text: self._stopped())
        self._set_running(True, "Starting…")
        job.start()
        return job

    def _set_running(self, running: bool, text: str = "") -> None:
        for widget in (*self.radios.values(), *self.file_widgets, self.follow, self.fill, self.all_states, self.ok,
                       *([self.remove] if self.remove else [])):
            widget.setEnabled(not running)
        if not running:
            self._source_changed()
        self.bar.setValue(0)
        self.status.setText(text)
        for widget in (self.bar, self.status):
            widget.setVisible(running)

    def _progressed(self, fraction: float, text: str) -> None:
        if self.job is not None and not self.job.cancel_requested:
            self.status.setText(f"{text}…")
        self.bar.setValue(int(min(max(fraction, 0.0), 1.0) * PROGRESS_STEPS))

    def reject(self) -> None:
        """Cancel (or Esc): stop a run under way, then close; nothing changes either way."""
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Stopping…")
            return
        super().reject()

    def done(self, result: int) -> None:
        if self.job is not None:  # closed some other way while running: end the child at once
            self.job.kill()
            self._end_run()
        super().done(result)

    def _end_run(self) -> bool:
        """Forget the job; whether Cancel was asked for."""
        job, self.job = self.job, None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        if job is not None:
            job.deleteLater()
        return job is not None and job.cancel_requested

    def _finished(self, value) -> None:
        try:  # read before the end of the run removes its files
            found = None if self.job.cancel_requested else task_result(value)
        except Exception as exc:
            self._end_run()
            return self._failed_with(f"The unit layer could not be read back ({exc}).")
        self._end_run()
        return self._stopped() if found is None else self._apply(*found)

    def _failed(self, text: str) -> None:
        if self._end_run():
            return self._stopped()
        self._failed_with(text.removeprefix(f"{UnitLayerError.__name__}: "))

    def _failed_with(self, text: str) -> None:
        self._set_running(False)
        self._show_error(f"{text}\n\nNothing in your plan changed.")

    def _stopped(self) -> None:
        self._end_run()
        self.main_window.statusBar().showMessage("Unit layer not set (cancelled); nothing in your plan changed.", 8000)
        super().reject()

    # -- applying ---------------------------------------------------------------------------------------------
    def _apply(self, layer, placement, edges) -> None:
        window = self.main_window
        plan = self.session.plan
        if window.session is not self.session or not np.array_equal(plan.accounts.ids, self._accounts_ids):
            return self._failed_with("The accounts changed while the layer was loading; set the layer again.")
        scenario, follow = plan.active, self.follow.isChecked()
        command, moved = layer_command(plan, layer, placement, scenario, follow, self.fill.isChecked(), edges)
        if not window.controller.do(command):  # refused: the controller said why, and nothing changed
            return self._failed_with("The unit layer could not be set.")
        self.summary = summary_text(unit_report(plan, scenario, moved=moved if follow else None), SHOWN)
        super().accept()
        QMessageBox.information(window, TITLE, self.summary)

    def remove_layer(self) -> None:
        if self.job is not None or self.session.plan.units is None:
            return
        if self.main_window.controller.do(SetUnitLayer(None)):
            self.main_window.statusBar().showMessage("Unit layer removed (accounts keep their territories).", 8000)
            super().accept()


def choose_unit_layer(window) -> UnitLayerDialog | None:
    """Open the dialog (window-modal; it returns at once). A project opened read-only is refused, saying why."""
    session = window.session
    if session is None:
        return None
    if session.read_only:
        window.show_error("This project is open read-only (it is in use elsewhere), so its unit layer cannot be "
                          "set or removed. Close it there and open it again to edit.")
        return None
    dialog = UnitLayerDialog(window)
    dialog.setAttribute(Qt.WA_DeleteOnClose)
    dialog.open()
    return dialog
