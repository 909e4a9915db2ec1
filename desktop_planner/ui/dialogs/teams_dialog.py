"""Teams > Teams and rules…: the team list, each team's rule, kind and named accounts, and the conflicts the rules
leave, as `desktop-planner teams` edits them (cli/teams.py).

Everything is checked as the user types (after a short pause, so that a keystroke on 20,000 accounts never waits
for the rules): the accounts the selected team's rule matches, or the rule's error; ids in its lists that no
account has; each team's accounts in the list; and the conflicts of the whole set (core.teams.team_coverage), the
same the command line lists. OK stays disabled, with the reason shown, while core.teams.check_teams refuses the
teams, which is what SetTeams would refuse too. The dialog only edits copies: the window applies `teams()` as ONE
SetTeams step.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QListWidget, QPlainTextEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from desktop_planner.core.account_table import account_columns, columns_text
from desktop_planner.core.rules import RuleError, parse_rule
from desktop_planner.core.teams import ID_SPLIT, Team, TeamError, check_teams, parse_id_list, team_coverage

TITLE = "Teams and rules"
KIND_LABELS = (("exclusive", "Exclusive — owns its accounts"), ("overlay", "Overlay — specialists alongside"))
EXAMPLE = "arr >= 1M or employees >= 5000"
ERROR_STYLE = "color: #a01c1c;"
WARNING_STYLE = "color: #8a5a00;"
HINT_STYLE = "color: palette(placeholder-text);"
DEBOUNCE_MS = 150
CONFLICT_ROWS = 500  # a table of more rows costs more to fill on every keystroke than anyone reads
HINT_COLUMNS = 24  # columns named in the hint; all of them are in its tooltip
UNKNOWN_SHOWN = 5


@dataclass
class _Draft:
    """One team as edited. The Team holds id, name, kind, rule, settings and the lists as last read; the lists'
    text is kept as typed, so that a half-typed JSON list is neither lost nor taken for an empty one."""
    team: Team
    include: str
    exclude: str
    errors: dict = field(default_factory=dict)  # "include" / "exclude" -> why its text does not read


def _ids_text(ids: frozenset) -> str:
    # Ids with a space or comma in them only survive the round trip as a JSON list (parse_id_list reads both).
    if any(ID_SPLIT.search(x) or x.startswith("[") for x in ids):
        return json.dumps(sorted(ids), ensure_ascii=False)
    return ", ".join(sorted(ids))


def _one_line(text: str) -> str:
    # A rule is one expression; a line break typed in the box is a space to the parser.
    return re.sub(r"\s*\n\s*", " ", text).strip()


class TeamsDialog(QDialog):
    def __init__(self, parent, plan) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.plan = plan
        self.accounts = plan.accounts
        self.columns = account_columns(self.accounts)
        self.known_ids = frozenset(self.accounts.external_id.tolist())
        self.drafts = [_Draft(t, _ids_text(t.include), _ids_text(t.exclude)) for t in plan.teams]
        # New ids above every id this dialog has seen, so that a team added after one was removed is not taken
        # for it (SetTeams would keep the removed team's territories for it).
        self._next_id = max([t.id for t in plan.teams] + [0]) + 1
        self.counts: dict[int, int] = {}
        self.rule_errors: dict[int, str] = {}
        self._conflicts_shown = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.check_now)
        self._build()
        self._fill_list(0)
        self.check_now()

    # -- building -------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.list = QListWidget(self)
        self.list.setWordWrap(True)  # a long team name wraps rather than hiding its count
        self.list.currentRowChanged.connect(self._show_team)
        self.add_button, self.remove_button = QPushButton("Add", self), QPushButton("Remove", self)
        self.up_button, self.down_button = QPushButton("Move up", self), QPushButton("Move down", self)
        self.add_button.clicked.connect(self.add_team)
        self.remove_button.clicked.connect(self.remove_team)
        self.up_button.clicked.connect(lambda: self.move_team(-1))
        self.down_button.clicked.connect(lambda: self.move_team(1))
        order = QLabel("In order: an account that several exclusive rules claim goes to the first of them.", self)
        order.setWordWrap(True)
        order.setStyleSheet(HINT_STYLE)
        left = QVBoxLayout()
        left.addWidget(QLabel("Teams", self))
        left.addWidget(self.list, 1)
        for pair in ((self.add_button, self.remove_button), (self.up_button, self.down_button)):
            row = QHBoxLayout()
            for button in pair:
                row.addWidget(button)
            left.addLayout(row)
        left.addWidget(order)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._team_page(), "Team")
        self.tabs.addTab(self._conflicts_page(), "Conflicts")
        top = QHBoxLayout()
        top.addLayout(left, 3)
        top.addWidget(self.tabs, 7)

        self.summary = QLabel(self)  # the conflicts, visible from either tab
        self.summary.setWordWrap(True)
        self.problem = QLabel(self)  # why OK is disabled, or what OK with no teams means
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(1000, 620)  # fits a 1366 x 768 laptop screen with room for the taskbar

    def _team_page(self) -> QWidget:
        page = QWidget(self)
        self.name_edit = QLineEdit(page)
        self.name_edit.textChanged.connect(lambda text: self._edit(name=text.strip()))
        self.kind_box = QComboBox(page)
        for kind, label in KIND_LABELS:
            self.kind_box.addItem(label, kind)
        self.kind_box.currentIndexChanged.connect(lambda _: self._edit(kind=self.kind_box.currentData()))
        self.rule_edit = self._text_box(page, 3, EXAMPLE)
        self.rule_edit.textChanged.connect(lambda: self._edit(rule=_one_line(self.rule_edit.toPlainText())))
        names = sorted(self.columns)
        shown = ", ".join(names[:HINT_COLUMNS]) + (f", … ({len(names) - HINT_COLUMNS} more)"
                                                   if len(names) > HINT_COLUMNS else "")
        self.hint = hint = QLabel(f"Columns: {shown}.\nExample: {EXAMPLE}  (1M, 250k; text in quotes: "
                                  f"industry == 'Healthcare'). Empty: every account.", page)
        hint.setToolTip(columns_text(self.columns))
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT_STYLE)
        hint.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.match = QLabel(page)
        self.match.setWordWrap(True)
        self.include_edit = self._text_box(page, 2, "account ids the team covers whatever the rule, e.g. "
                                                    "ACC-000012, ACC-000345; settles a conflict")
        self.exclude_edit = self._text_box(page, 2, "account ids the team never covers, whatever the rule")
        self.include_edit.textChanged.connect(lambda: self._edit_list("include", self.include_edit))
        self.exclude_edit.textChanged.connect(lambda: self._edit_list("exclude", self.exclude_edit))
        self.include_note, self.exclude_note = QLabel(page), QLabel(page)
        for note in (self.include_note, self.exclude_note):
            note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Kind", self.kind_box)
        # A box and the lines about it in one cell: separate form rows would spread apart as the notes come and go.
        form.addRow("Rule", self._stacked(self.rule_edit, self.match, hint))
        form.addRow("Include", self._stacked(self.include_edit, self.include_note))
        form.addRow("Exclude", self._stacked(self.exclude_edit, self.exclude_note))
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addStretch(1)
        self.editors = (self.name_edit, self.kind_box, self.rule_edit, self.include_edit, self.exclude_edit)
        return page

    def _stacked(self, *widgets) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(3)
        for widget in widgets:
            column.addWidget(widget)
        return column

    def _text_box(self, parent, lines: int, placeholder: str) -> QPlainTextEdit:
        box = QPlainTextEdit(parent)
        box.setPlaceholderText(placeholder)
        box.setTabChangesFocus(True)
        box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
        return box

    def _conflicts_page(self) -> QWidget:
        page = QWidget(self)
        self.table = QTableWidget(0, 4, page)
        self.table.setHorizontalHeaderLabels(["Account", "Name", "Problem", "Goes to"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setWordWrap(False)  # one line a conflict; the whole text is in the cell's tooltip
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        for column, width in ((0, 90), (1, 140), (3, 115)):
            self.table.setColumnWidth(column, width)
        # Settling a conflict is naming the account in one team's list, as the command line's --include does.
        self.settle_team = QComboBox(page)
        self.settle_team.setToolTip("Settle the selected conflicts: the accounts go into this team's include list, "
                                    "which comes before every rule")
        self.settle_button = QPushButton("Include", page)
        self.settle_button.clicked.connect(self.settle_selected)
        self.settle_button.setEnabled(False)
        self.table.itemSelectionChanged.connect(
            lambda: self.settle_button.setEnabled(bool(self.table.selectionModel().selectedRows())
                                                  and self.settle_team.count() > 0))
        row = QHBoxLayout()
        row.addWidget(QLabel("Include the selected accounts in", page))
        row.addWidget(self.settle_team, 1)
        row.addWidget(self.settle_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        return page

    # -- the team list --------------------------------------------------------------------------------------
    def _fill_list(self, select: int) -> None:
        blocked = self.list.blockSignals(True)
        self.list.clear()
        for draft in self.drafts:
            self.list.addItem(self._item_text(draft))
        self.list.blockSignals(blocked)
        self.list.setCurrentRow(min(select, len(self.drafts) - 1))
        self._show_team(self.list.currentRow())

    def _item_text(self, draft: _Draft) -> str:
        team = draft.team
        text = (team.name or "(no name)") + (" (overlay)" if team.overlay else "")
        if team.id in self.rule_errors:
            return f"{text} — rule has an error"
        if team.id in self.counts:
            return f"{text} — {self.counts[team.id]:,} accounts"
        return text

    def _relabel(self) -> None:
        for row, draft in enumerate(self.drafts):
            self.list.item(row).setText(self._item_text(draft))
            self.list.item(row).setToolTip(draft.team.describe())

    def current(self) -> _Draft | None:
        row = self.list.currentRow()
        return self.drafts[row] if 0 <= row < len(self.drafts) else None

    def _show_team(self, row: int) -> None:
        draft = self.current()
        for widget in self.editors:  # filling the editors is not an edit
            widget.setEnabled(draft is not None)
            widget.blockSignals(True)
        self.name_edit.setText(draft.team.name if draft else "")
        self.kind_box.setCurrentIndex(1 if draft and draft.team.overlay else 0)
        self.rule_edit.setPlainText(draft.team.rule if draft else "")
        self.include_edit.setPlainText(draft.include if draft else "")
        self.exclude_edit.setPlainText(draft.exclude if draft else "")
        for widget in self.editors:
            widget.blockSignals(False)
        self.remove_button.setEnabled(draft is not None)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < len(self.drafts) - 1)
        self._show_current()

    def add_team(self) -> None:
        names = {d.team.name.casefold() for d in self.drafts}
        name = next(n for n in (f"New team {i}" if i > 1 else "New team" for i in range(1, len(names) + 3))
                    if n.casefold() not in names)
        # An overlay covering every account conflicts with nobody until its rule is written; the first team
        # must own accounts.
        kind = "overlay" if any(not d.team.overlay for d in self.drafts) else "exclusive"
        self.drafts.append(_Draft(Team(self._next_id, name, kind), "", ""))
        self._next_id += 1
        self._fill_list(len(self.drafts) - 1)
        self.tabs.setCurrentIndex(0)
        self.name_edit.setFocus()
        self.name_edit.selectAll()
        self.check_now()

    def remove_team(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.drafts):
            del self.drafts[row]
            self._fill_list(row)
            self.check_now()

    def move_team(self, step: int) -> None:
        row = self.list.currentRow()
        other = row + step
        if 0 <= row < len(self.drafts) and 0 <= other < len(self.drafts):
            self.drafts[row], self.drafts[other] = self.drafts[other], self.drafts[row]
            self._fill_list(other)
            self.check_now()

    # -- edits ----------------------------------------------------------------------------------------------
    def _edit(self, **changes) -> None:
        draft = self.current()
        if draft is None:
            return
        draft.team = draft.team.with_changes(**changes)
        self.list.currentItem().setText(self._item_text(draft))
        self.timer.start()

    def _edit_list(self, which: str, box: QPlainTextEdit) -> None:
        draft = self.current()
        if draft is None:
            return
        text = box.toPlainText()
        setattr(draft, which, text)
        try:
            draft.team = draft.team.with_changes(**{which: parse_id_list(text)})
            draft.errors.pop(which, None)
        except TeamError as exc:
            draft.errors[which] = str(exc)
        self.timer.start()

    def settle_selected(self) -> None:
        """Name the selected conflicts in the chosen team's include list (and take them off its exclude list)."""
        draft = next((d for d in self.drafts if d.team.id == self.settle_team.currentData()), None)
        ids = frozenset(self.table.item(index.row(), 0).text() for index in self.table.selectionModel().selectedRows()
                        if self.table.columnSpan(index.row(), 0) == 1)
        if draft is None or not ids or draft.errors:
            return  # a list whose text does not read is the user's to fix, not to overwrite
        team = draft.team.with_changes(include=draft.team.include | ids, exclude=draft.team.exclude - ids)
        draft.team, draft.include, draft.exclude = team, _ids_text(team.include), _ids_text(team.exclude)
        self._show_team(self.list.currentRow())
        self.check_now()

    # -- checking -------------------------------------------------------------------------------------------
    def accept(self) -> None:
        # Enter right after a keystroke would otherwise accept teams the pending check has not seen yet.
        self.check_now()
        if self.buttons.button(QDialogButtonBox.Ok).isEnabled():
            super().accept()

    def teams(self) -> tuple[Team, ...]:
        """The teams as edited, in order; existing teams keep their ids and settings. Raises TeamError for a list
        of ids that does not read (OK is disabled then)."""
        for draft in self.drafts:
            for which, error in draft.errors.items():
                raise TeamError(f"team {draft.team.name!r}: {which} list: {error}")
        return tuple(d.team for d in self.drafts)

    def check_now(self) -> None:
        """Check every team and show the counts, conflicts and problems (the timer calls this after a pause)."""
        self.timer.stop()
        self.rule_errors = {}
        for draft in self.drafts:
            try:
                parse_rule(draft.team.rule).mask(self.columns)
            except RuleError as exc:
                self.rule_errors[draft.team.id] = str(exc)
        problem = None
        try:
            teams = self.teams()
            check_teams(teams, self.columns)
        except TeamError as exc:
            problem = str(exc)
        # Names and kinds do not matter to who covers what: the counts and conflicts stay on screen while a name
        # is fixed. A list that does not read counts as last read.
        self.coverage = None if self.rule_errors else team_coverage(self.accounts, tuple(d.team for d in self.drafts))
        self.counts = self.coverage.counts() if self.coverage is not None else {}
        self._relabel()
        self._show_current()
        self._show_conflicts()
        self._show_problem(problem)

    def _show_current(self) -> None:
        """The selected team's match count or rule error, and what its lists name that no account has."""
        draft = self.current()
        self.match.clear()
        self.include_note.clear()
        self.exclude_note.clear()
        if draft is None:
            return
        team = draft.team
        try:  # read here, not from the last check: the user may be between a keystroke and the check
            mask = parse_rule(team.rule).mask(self.columns)
            self.match.setStyleSheet("")
        except RuleError as exc:
            mask = None
            self.match.setStyleSheet(ERROR_STYLE)
            self.match.setText(str(exc))
        for which, note in (("include", self.include_note), ("exclude", self.exclude_note)):
            if which in draft.errors:
                note.setStyleSheet(ERROR_STYLE)
                note.setText(draft.errors[which])
                continue
            # Not blocking: an account may be named before it is imported, and a typo is easy to see here.
            note.setStyleSheet(WARNING_STYLE)
            unknown = sorted(getattr(team, which) - self.known_ids)
            if unknown:
                listed = ", ".join(unknown[:UNKNOWN_SHOWN]) + (", …" if len(unknown) > UNKNOWN_SHOWN else "")
                note.setText(f"{len(unknown):,} id{'s' if len(unknown) > 1 else ''} not found: {listed}")
        if mask is None or draft.errors:
            return
        if team.include or team.exclude:
            ids = self.accounts.external_id.tolist()
            mask = (mask | np.fromiter((x in team.include for x in ids), bool, len(ids))) \
                & ~np.fromiter((x in team.exclude for x in ids), bool, len(ids))
        matched, n = int(mask.sum()), len(self.accounts)
        text = ("Empty rule: every account. " if not team.rule.strip() else "") + f"Matches {matched:,} of {n:,} accounts"
        owned = self.counts.get(team.id)
        if not team.overlay and owned is not None and owned < matched:
            text += f"; owns {owned:,} (the other {matched - owned:,} go to another exclusive team first)"
        self.match.setText(text + ".")

    def _show_conflicts(self) -> None:
        coverage = self.coverage
        names = {d.team.id: d.team.name for d in self.drafts}
        conflicts = coverage.conflicts if coverage is not None else []
        counted = coverage is not None and bool(self.drafts)
        self.tabs.setTabText(1, f"Conflicts ({len(conflicts):,})" if counted else "Conflicts")
        if not self.drafts:
            self.summary.setText("")
        elif coverage is None:
            self.summary.setText("Conflicts are counted once every rule reads.")
        elif not conflicts:
            self.summary.setText("No conflicts: every account has exactly one exclusive team.")
        else:
            none = sum(c.kind == "none" for c in conflicts)
            several = len(conflicts) - none
            parts = ([f"{none:,} account{'s' if none != 1 else ''} no exclusive team covers"] if none else []) + \
                ([f"{several:,} account{'s' if several != 1 else ''} claimed by several exclusive teams (each goes "
                  "to the first of them)"] if several else [])
            self.summary.setText(f"Conflicts: {'; '.join(parts)}. See the Conflicts tab.")
        self.summary.setVisible(bool(self.summary.text()))
        blocked = self.settle_team.blockSignals(True)
        chosen = self.settle_team.currentData()
        self.settle_team.clear()
        for draft in self.drafts:
            if not draft.team.overlay:
                self.settle_team.addItem(draft.team.name or "(no name)", draft.team.id)
        if self.settle_team.findData(chosen) >= 0:
            self.settle_team.setCurrentIndex(self.settle_team.findData(chosen))
        self.settle_team.blockSignals(blocked)
        shown = (tuple(conflicts[:CONFLICT_ROWS]), tuple(names.items()))
        if shown == self._conflicts_shown:
            return  # refilling the same rows on every keystroke would also lose the user's selection
        self._conflicts_shown = shown
        owner = coverage.owner if coverage is not None else None
        more = len(conflicts) - CONFLICT_ROWS
        self.table.setUpdatesEnabled(False)
        self.table.clearSpans()
        self.table.setRowCount(min(len(conflicts), CONFLICT_ROWS) + (1 if more > 0 else 0))
        account_names = self.accounts.name
        for r, conflict in enumerate(conflicts[:CONFLICT_ROWS]):
            problem = ("no exclusive team covers it" if conflict.kind == "none"
                       else "claimed by " + " and ".join(names.get(t, "?") for t in conflict.teams))
            values = (self.accounts.external_id[conflict.row], account_names[conflict.row] or "", problem,
                      names.get(int(owner[conflict.row]), ""))
            for c, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                item.setToolTip(str(value))
                self.table.setItem(r, c, item)
        if more > 0:
            self.table.setSpan(CONFLICT_ROWS, 0, 1, 4)
            item = QTableWidgetItem(f"… and {more:,} more")
            item.setFlags(Qt.ItemIsEnabled)
            self.table.setItem(CONFLICT_ROWS, 0, item)
        self.table.setUpdatesEnabled(True)

    def _show_problem(self, problem: str | None) -> None:
        ok = self.buttons.button(QDialogButtonBox.Ok)
        ok.setEnabled(problem is None)
        if problem is not None:
            self.problem.setStyleSheet(ERROR_STYLE)
            for error in self.rule_errors.values():  # long (it lists the columns), and shown under the rule
                problem = problem.replace(error, "its rule does not read; the error is shown under the rule")
            problem = problem.rstrip(".")
            self.problem.setText(f"OK is disabled until this is fixed: {problem[0].upper()}{problem[1:]}.")
        elif not self.drafts:
            self.problem.setStyleSheet("")
            n = len(self.accounts)
            if self.plan.teams:
                self.problem.setText(
                    f"No teams: OK makes the project one alignment of all {n:,} accounts again, with the territories "
                    f"of {self.plan.teams[0].name}; the other teams' territories are kept for Edit > Undo.")
            else:
                self.problem.setText(f"No teams: one alignment of all {n:,} accounts. Add a team to split them by "
                                     "rules; the first team takes over the current territories.")
        else:
            self.problem.clear()
        self.problem.setVisible(bool(self.problem.text()))
