"""The first two steps of the account import: which file, read how, and which column feeds which field.

The file step detects the encoding and delimiter (shown in the "Automatic" choices, overridable) and previews the
first rows; the mapping step starts from the reader's own guess, so that what the user sees is what gets read.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWizard, QWizardPage)

from desktop_planner.io.mapping import FIELDS, REQUIRED, MappingError, guess_mapping, resolve_mapping
from desktop_planner.io.table_reader import TableError, TableInfo, sniff_preview

TABLE_FILTER = "Tables (*.csv *.tsv *.txt *.xlsx);;All files (*)"
NOT_IMPORTED = "(not imported)"
PREVIEW_ROWS = 20
FIELD_LABELS = {"external_id": "Account id", "name": "Name", "lat": "Latitude", "lon": "Longitude",
                "potential": "Potential", "visits_per_year": "Visits per year", "visit_minutes": "Minutes per visit",
                "segment": "Segment", "industry": "Industry", "postcode": "Postcode / ZIP"}
ENCODINGS = (("auto", "Automatic"), ("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with byte-order mark"),
             ("cp1252", "Windows-1252 (cp1252)"))
DELIMITERS = ((None, "Automatic"), (",", "Comma ,"), (";", "Semicolon ;"), ("\t", "Tab"), ("|", "Vertical bar |"))
# What "Automatic" found: a byte-order mark, or UTF-8 with any byte that is not UTF-8 read as cp1252.
DETECTED_ENCODING = {"auto": "UTF-8, cp1252 where a byte is not UTF-8", "utf-8-sig": "UTF-8 with byte-order mark"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
ERROR_STYLE = "color: #b00020;"


def gui_text(error: str) -> str:
    """A mapping error without its command-line advice ("map it with --map COLUMN=lon")."""
    return re.sub(r";?\s*\(?(?:name|map) (?:it|them) with --map[^)]*\)?", "", error).strip()


class FilePage(QWizardPage):
    def __init__(self, wizard: QWizard) -> None:
        super().__init__()
        self.setTitle("Choose the accounts file")
        self.setSubTitle("A CSV export (comma, semicolon or tab) or an Excel .xlsx workbook, one account a row.")
        self._wizard = wizard
        self.path = QLineEdit(self)
        self.path.setPlaceholderText("accounts.csv")
        self.path.editingFinished.connect(self.load_preview)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self.browse)
        self.encoding, self.delimiter = QComboBox(self), QComboBox(self)
        for combo, items in ((self.encoding, ENCODINGS), (self.delimiter, DELIMITERS)):
            for value, text in items:
                combo.addItem(text, value)
            combo.currentIndexChanged.connect(self.load_preview)
        self.detected = QLabel(self)
        self.detected.setWordWrap(True)
        self.preview = QTableWidget(self)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Encoding", self.encoding)
        form.addRow("Delimiter", self.delimiter)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.detected)
        layout.addWidget(self.preview, 1)

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Accounts file", self._wizard.folder, TABLE_FILTER)
        if path:
            self.choose(path)

    def choose(self, path: str | Path) -> None:
        """Take a file (as Browse does), detecting its encoding and delimiter afresh."""
        for combo in (self.encoding, self.delimiter):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.path.setText(str(path))
        self.load_preview()

    def load_preview(self) -> None:
        self._wizard.info = None
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)
        text = self.path.text().strip()
        if text:
            try:
                info, rows = sniff_preview(text, self.encoding.currentData(), self.delimiter.currentData(),
                                           PREVIEW_ROWS)
            except TableError as exc:
                self.detected.setStyleSheet(ERROR_STYLE)
                self.detected.setText(str(exc))
            else:
                self._show(info, rows)
        self.completeChanged.emit()

    def _show(self, info: TableInfo, rows: list[list[str]]) -> None:
        self._wizard.info = info
        excel = info.delimiter is None
        self.encoding.setEnabled(not excel)
        self.delimiter.setEnabled(not excel)
        if not excel and self.encoding.currentIndex() == 0:  # "Automatic" says what it found
            self.encoding.setItemText(0, f"Automatic — {DETECTED_ENCODING.get(info.encoding, info.encoding)}")
        if not excel and self.delimiter.currentIndex() == 0:
            self.delimiter.setItemText(0, f"Automatic — {DELIMITER_NAMES[info.delimiter]}")
        kind = "Excel workbook, first sheet" if excel else f"{DELIMITER_NAMES[info.delimiter]}-separated"
        note = "; decimal commas (1.234,5) are read as such" if info.delimiter == ";" else ""
        self.detected.setStyleSheet("")
        self.detected.setText(f"{info.path.name}: {len(info.header)} columns, {kind}{note}. "
                              f"The first {len(rows)} rows:")
        self.preview.setColumnCount(len(info.header))
        self.preview.setHorizontalHeaderLabels(info.header)
        self.preview.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, value in enumerate(cells[:len(info.header)]):
                self.preview.setItem(r, c, QTableWidgetItem(value))
        self.preview.resizeColumnsToContents()

    def isComplete(self) -> bool:
        return self._wizard.info is not None


class MappingPage(QWizardPage):
    def __init__(self, wizard: QWizard) -> None:
        super().__init__()
        self.setTitle("Match the columns to account fields")
        self.setSubTitle("Guessed from the column names; correct any that are wrong. * = required. An account needs "
                         "latitude and longitude, or a US ZIP code (placed at the ZIP's centre, approximately).")
        self._wizard = wizard
        self._header: list[str] | None = None
        self.combos: dict[str, QComboBox] = {}
        grid = QGridLayout()
        for i, field in enumerate(FIELDS):
            combo = QComboBox(self)
            combo.currentIndexChanged.connect(self._changed)
            self.combos[field] = combo
            label = FIELD_LABELS[field] + (" *" if field in REQUIRED else "")
            grid.addWidget(QLabel(label, self), i // 2, (i % 2) * 2)
            grid.addWidget(combo, i // 2, (i % 2) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.extras = QLabel(self)
        self.extras.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.extras)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        header = self._wizard.info.header
        if header == self._header:
            return  # back from a later step with the same file: keep the user's corrections
        self._header = header
        guess = guess_mapping(header)
        for field, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NOT_IMPORTED, None)
            for column in header:
                combo.addItem(column, column)
            combo.setCurrentIndex(combo.findData(guess[field]) if field in guess else 0)
            combo.blockSignals(False)
        self._changed()

    def choose(self, field: str, column: str | None) -> None:
        combo = self.combos[field]
        combo.setCurrentIndex(combo.findData(column) if column is not None else 0)

    def mapping(self) -> dict[str, str]:
        return {f: c.currentData() for f, c in self.combos.items() if c.currentData() is not None}

    def overrides(self) -> dict[str, str | None]:
        """Every field's choice for the reader; None leaves a field out even where the header suggests it."""
        return {f: c.currentData() for f, c in self.combos.items()}

    def problem(self) -> str | None:
        """Why the import cannot run with this mapping, or None."""
        chosen = self.mapping()
        missing = [FIELD_LABELS[f] for f in REQUIRED if f not in chosen]
        if missing:
            return f"Choose the column that holds the {' and the '.join(missing)} (required)."
        fields_of: dict[str, list[str]] = {}
        for field, column in chosen.items():
            fields_of.setdefault(column, []).append(FIELD_LABELS[field])
        for column, fields in fields_of.items():
            if len(fields) > 1:
                return f"Column “{column}” is chosen for both {' and '.join(fields)}; a column feeds one field."
        try:
            resolve_mapping(self._header, self.overrides())
        except MappingError as exc:
            return gui_text(str(exc))
        return None

    def _changed(self) -> None:
        if self._header is None:
            return
        used = set(self.mapping().values())
        extra = [c for c in self._header if c not in used]
        self.extras.setText("Columns not matched to a field are kept with each account as extra attributes: "
                            + ", ".join(f"“{c}”" for c in extra) + "." if extra else
                            "Every column feeds a field.")
        self.error.setText(self.problem() or "")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._header is not None and self.problem() is None
