"""The Disputes dock: what the reps said about their changes, and the workshop's walk through the disputes.

Review sheets go out with Scenario > Export review sheets… (io.review_sheets: one per rep, the accounts gained and
lost, agree/dispute and a comment) and come back with Scenario > Import returned review sheets…
(ui/review/review_sheet_files.py). The dock lists the disputed accounts of the scenario shown (decided ones in grey),
with the answers per rep and territory; a row shows its account on the map, where every disputed account is ringed
while the dock is open (red: open, grey: decided). The walk-through goes from one open dispute to the next: "Move back (uphold)" returns the
account to the territory it came from, "Keep the change (reject)" leaves it; each is one command through the
controller (Edit > Undo takes it back) whose label, in the History dock and the audit trail, carries the rep's and
the workshop's comments. The balance panel's rows tell a territory's open disputes in their tooltip.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QFrame, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget,
                               QToolTip, QVBoxLayout, QWidget)

from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.review_commands import DecideDispute, Review, reviews_of
from desktop_planner.store.project import current_user
from desktop_planner.ui.map.dispute_marks import DisputeMarks
from desktop_planner.ui.panel.balance_panel import format_number
from desktop_planner.ui.review.coverage_dock import focus_account as coverage_focus
from desktop_planner.ui.review.review_sheet_files import export_sheets, import_sheets
from desktop_planner.ui.review.bottom_docks import add_bottom_dock

COLUMNS = ("Account", "Rep", "Change", "From → To", "Rep's comment", "Decision")
OPEN_TEXT, DECIDED_TEXT = QColor("#b71c1c"), QColor("#7a7f86")
CARD_WIDTH, CARD_SHARE = 400, 0.28  # pixels (at least) and share of the dock's width of the walk-through
MAX_HEIGHT = 420  # pixels of the dock when first shown, on a large screen
# Width of the map around a dispute shown, unless already closer: the account among its neighbours of both
# territories, which is what the room argues about (the coverage dock's 25 km shows the account alone).
FOCUS_SPAN_M = 120_000.0
WORKSHOP_RING_SCALE = 1.5
WORKSHOP_CARD_SHARE = 0.55  # of the dock's width in the workshop: the walk-through, read from the back of the room
WORKSHOP_DOCK_SHARE = 0.42  # of the window's height in the workshop


def _moved_text(r: Review) -> str:
    return f"{r.from_territory or '(unassigned)'} → {r.to_territory or '(unassigned)'}"


def _decision_text(r: Review) -> str:
    if r.upheld is None:
        return "open"
    text = "upheld: moved back" if r.upheld else "rejected: change kept"
    return text + (f" — {r.decision_comment}" if r.decision_comment else "")


class DisputesDock(QDockWidget):
    def __init__(self, window) -> None:
        super().__init__("Disputes", window)
        self.setObjectName("disputes")
        self.window_ = window
        self.disputes: list[Review] = []  # of the scenario shown, in the list's order
        self.answers: list[Review] = []
        self.current_id: int | None = None
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.RichText)
        self.summary.setWordWrap(True)
        self.show_other = QPushButton(self)  # "Show scenario X": where the answers are, when not the one shown
        self.show_other.hide()
        self.show_other.clicked.connect(self._show_reviewed_scenario)
        self.table = self._table(COLUMNS)
        self.table.currentCellChanged.connect(lambda row, *_: self._pick(row))
        self.by_rep = self._table(("Rep", "Territory", "Answers", "Agree", "Disputes", "Open"))
        self.by_rep.cellClicked.connect(self._activate_territory)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.table, "Disputes")
        self.tabs.addTab(self.by_rep, "By rep")
        lists = QWidget(self)
        left = QVBoxLayout(lists)
        left.setContentsMargins(6, 4, 2, 4)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.show_other)
        left.addLayout(top)
        left.addWidget(self.tabs, 1)
        # The list beside the walk-through; in the workshop the walk-through gets most of the width (set_workshop).
        self.split = QSplitter(Qt.Horizontal, self)
        self.split.addWidget(lists)
        self.split.addWidget(self._walk_through())
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 0)
        self.split.setChildrenCollapsible(False)
        self.setWidget(self.split)
        self.marks = DisputeMarks(window.map.view_box)
        self.marks.setVisible(False)
        self._timer = QTimer(self, singleShot=True, interval=0)  # one refresh for a burst of changes
        self._timer.timeout.connect(self.refresh)
        self._sized = False
        self.visibilityChanged.connect(self._shown)
        window.sessionChanged.connect(self.attach)
        self._tips = PanelTips(self)
        window.panel.table.viewport().installEventFilter(self._tips)

    @staticmethod
    def _table(headers: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(list(headers))
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setSelectionMode(QAbstractItemView.SingleSelection)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    def _walk_through(self) -> QFrame:
        frame = QFrame(self)
        frame.setObjectName("walk_through")
        frame.setFrameShape(QFrame.StyledPanel)
        self.position = QLabel(frame)
        self.position.setStyleSheet("font-weight: bold;")
        self.position.setAlignment(Qt.AlignCenter)
        self.card = QLabel()
        self.card.setTextFormat(Qt.RichText)
        self.card.setWordWrap(True)
        self.card.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.card.setTextInteractionFlags(Qt.TextSelectableByMouse)
        scroll = QScrollArea(frame)  # a long comment in a short dock scrolls rather than being cut off
        scroll.setWidget(self.card)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setStyleSheet("QScrollArea, QScrollArea > QWidget > QWidget { background: transparent; }")
        self.previous_button = QPushButton("◀ Previous", frame)
        self.next_button = QPushButton("Next open ▶", frame)
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.comment = QLineEdit(frame)
        self.comment.setPlaceholderText("The workshop's reason (kept in the audit trail)")
        self.comment.setClearButtonEnabled(True)
        self.uphold_button = QPushButton("Move back (uphold)", frame)
        self.uphold_button.setToolTip("The rep is right: the account goes back to the territory it came from")
        self.reject_button = QPushButton("Keep the change (reject)", frame)
        self.reject_button.setToolTip("The change stands; the rep's comment and yours are kept")
        self.uphold_button.clicked.connect(lambda: self.decide(True))
        self.reject_button.clicked.connect(lambda: self.decide(False))
        for button in (self.previous_button, self.next_button, self.uphold_button, self.reject_button):
            button.setMinimumHeight(30)
        self.uphold_button.setStyleSheet("QPushButton:enabled { color: #8e1b1b; font-weight: bold; }")
        self.reject_button.setStyleSheet("QPushButton:enabled { font-weight: bold; }")
        steps = QHBoxLayout()
        steps.addWidget(self.previous_button)
        steps.addWidget(self.position, 1)
        steps.addWidget(self.next_button)
        decide = QHBoxLayout()
        decide.addWidget(self.uphold_button)
        decide.addWidget(self.reject_button)
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(scroll, 1)
        layout.addLayout(steps)
        layout.addWidget(self.comment)
        layout.addLayout(decide)
        return frame

    # -- following the plan ---------------------------------------------------------------------------------------
    def attach(self) -> None:
        self.current_id = None
        self.window_.controller.changed.connect(lambda: self.isVisible() and self._timer.start())
        self._timer.start()

    def _shown(self, visible: bool) -> None:
        self.marks.setVisible(visible)
        if not visible:
            return
        self._timer.start()
        if self._in_workshop():
            QTimer.singleShot(0, self._fit_to_mode)
            return
        if not self._sized and not self.isFloating():
            # Once, on first showing: room for the list and the walk-through, the map keeping most of the window.
            self._sized = True
            height = int(min(MAX_HEIGHT, max(250, self.window_.height() * 0.34)))
            self.window_.resizeDocks([self], [height], Qt.Vertical)
            QTimer.singleShot(0, self._fit_to_mode)

    def refresh(self) -> None:
        session = self.window_.session
        if session is None or not self.isVisible():
            return
        plan = session.plan
        self.answers = reviews_of(plan, plan.active_scenario_id)
        self.disputes = sorted((r for r in self.answers if r.is_dispute),
                               key=lambda r: (r.rep.casefold(), r.territory, r.id))
        self._fill_disputes()
        self._fill_by_rep()
        self._show_summary()
        if self.current_id is None or all(r.id != self.current_id for r in self.disputes):
            first = next((r for r in self.disputes if r.is_open), self.disputes[0] if self.disputes else None)
            self.current_id = first.id if first is not None else None
        self._select_current(focus=False)
        self.marks.set_size_scale(WORKSHOP_RING_SCALE if self._in_workshop() else 1.0)

    # -- the workshop (F11) ---------------------------------------------------------------------------------------
    def _in_workshop(self) -> bool:
        return bool(getattr(getattr(self.window_, "workshop", None), "active", False))

    def set_workshop(self, _on: bool = True) -> None:
        """Entering or leaving the workshop: larger rings; in it the walk-through takes half the dock's width and
        the dock a good part of the screen, so the room reads the card and the buttons from afar."""
        self.marks.set_size_scale(WORKSHOP_RING_SCALE if self._in_workshop() else 1.0)
        QTimer.singleShot(0, self._fit_to_mode)  # after the window has taken its full-screen size

    def _fit_to_mode(self) -> None:
        total = sum(self.split.sizes())
        if not total:
            return
        workshop = self._in_workshop()
        card = round(total * WORKSHOP_CARD_SHARE) if workshop else max(CARD_WIDTH, round(total * CARD_SHARE))
        self.split.setSizes([max(total - card, 1), card])
        if workshop and self.isVisible() and not self.isFloating():
            self.window_.resizeDocks([self], [round(self.window_.height() * WORKSHOP_DOCK_SHARE)], Qt.Vertical)

    def _fill_disputes(self) -> None:
        accounts = self.window_.session.plan.accounts
        table = self.table
        blocked = table.blockSignals(True)
        table.setUpdatesEnabled(False)
        table.setRowCount(len(self.disputes))
        for i, r in enumerate(self.disputes):
            row = self._row(r.account_id)
            name = str(accounts.name[row] or "") if row is not None else ""
            cells = (r.external_id, r.rep, r.kind, _moved_text(r), r.comment or "", _decision_text(r))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, r.id)
                if r.upheld is not None:
                    item.setForeground(DECIDED_TEXT)
                elif j == len(cells) - 1:
                    item.setForeground(OPEN_TEXT)
                item.setToolTip(f"{name} ({r.external_id})" if j == 0 else text)
                table.setItem(i, j, item)
        table.setUpdatesEnabled(True)
        table.blockSignals(blocked)
        self.tabs.setTabText(0, f"Disputes ({sum(r.is_open for r in self.disputes):,} open)")

    def _fill_by_rep(self) -> None:
        groups: dict[tuple[str, str], list[Review]] = {}
        for r in self.answers:
            groups.setdefault((r.rep, r.territory), []).append(r)
        rows = sorted(groups.items(), key=lambda kv: (-sum(r.is_open for r in kv[1]), kv[0][0].casefold()))
        self.by_rep.setRowCount(len(rows))
        for i, ((rep, territory), rs) in enumerate(rows):
            cells = (rep, territory, str(len(rs)), str(sum(r.verdict == "agree" for r in rs)),
                     str(sum(r.is_dispute for r in rs)), str(sum(r.is_open for r in rs)))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, territory)
                if j >= 2:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if j == 5 and text != "0":
                    item.setForeground(OPEN_TEXT)
                self.by_rep.setItem(i, j, item)

    def _show_summary(self) -> None:
        plan = self.window_.session.plan
        self.show_other.hide()
        if not self.answers:
            elsewhere = [plan.scenarios[sid] for sid in dict.fromkeys(r.scenario_id for r in reviews_of(plan))
                         if sid in plan.scenarios and sid != plan.active_scenario_id]
            text = (f"No review answers for <b>{html.escape(plan.active.name)}</b> yet. Scenario &gt; Export review "
                    "sheets… writes one per rep; Scenario &gt; Import returned review sheets… reads them back.")
            if elsewhere:
                self.show_other.setText(f"Show {elsewhere[0].name}")
                self.show_other.setProperty("scenario_id", elsewhere[0].id)
                self.show_other.show()
                text = f"No review answers for <b>{html.escape(plan.active.name)}</b>; there are some for " + \
                    ", ".join(f"<b>{html.escape(s.name)}</b>" for s in elsewhere) + "."
            self.summary.setText(text)
            return
        d = self.disputes
        open_, upheld = sum(r.is_open for r in d), sum(r.upheld is True for r in d)
        reps = len({r.rep for r in self.answers})
        agree = sum(r.verdict == "agree" for r in self.answers)
        silent = sum(r.verdict is None for r in self.answers)
        self.summary.setText(
            f"<b>{len(d):,} disputes</b> in {html.escape(plan.active.name)}: "
            f"<span style='color:{OPEN_TEXT.name()}'><b>{open_:,} open</b></span>, {len(d) - open_:,} decided "
            f"({upheld:,} upheld, {len(d) - open_ - upheld:,} rejected) &nbsp;·&nbsp; {len(self.answers):,} answers "
            f"from {reps:,} rep{'s' if reps != 1 else ''}: {agree:,} agree, {silent:,} not answered")

    # -- the walk-through -----------------------------------------------------------------------------------------
    def current(self) -> Review | None:
        return next((r for r in self.disputes if r.id == self.current_id), None)

    def _row(self, account_id: int) -> int | None:
        try:
            return self.window_.session.plan.accounts.index_of_id(account_id)
        except KeyError:
            return None

    def _pick(self, table_row: int) -> None:
        if 0 <= table_row < len(self.disputes):
            self.current_id = self.disputes[table_row].id
            self._select_current(focus=True)

    def _select_current(self, focus: bool) -> None:
        index = next((i for i, r in enumerate(self.disputes) if r.id == self.current_id), None)
        blocked = self.table.blockSignals(True)
        if index is not None:
            self.table.setCurrentCell(index, 0)
            self.table.scrollToItem(self.table.item(index, 0))
        else:
            self.table.clearSelection()
        self.table.blockSignals(blocked)
        self._show_card(index)
        self._show_marks(index)
        review = self.current()
        if focus and review is not None:
            row = self._row(review.account_id)
            if row is not None:
                focus_account(self.window_, row)

    def _show_card(self, index: int | None) -> None:
        review = self.current()
        open_ = sum(r.is_open for r in self.disputes)
        self.position.setText(f"{index + 1} of {len(self.disputes)} · {open_} open" if review else
                              f"{open_} open")
        movable = False
        if review is None:
            self.card.setText("<span style='color:#6b6f75'>No dispute to decide. Import the reps' returned review "
                              "sheets (Scenario menu) to see what they disagree with.</span>")
        else:
            movable = self._card(review)
        self.uphold_button.setEnabled(movable)
        self.reject_button.setEnabled(movable)
        self.comment.setEnabled(movable)
        has_open = open_ > (1 if review is not None and review.is_open else 0)
        self.next_button.setEnabled(has_open or (review is None and open_ > 0))
        self.previous_button.setEnabled(len(self.disputes) > 1)

    def _card(self, review: Review) -> bool:
        """Fill the card, what the room argues about first; True when the dispute can be decided now."""
        plan = self.window_.session.plan
        e = html.escape
        row = self._row(review.account_id)
        name = str(plan.accounts.name[row] or review.external_id) if row is not None else review.external_id
        voices = [r for r in self.disputes if r.account_id == review.account_id  # the gaining and the losing rep
                  and (r.from_territory, r.to_territory) == (review.from_territory, review.to_territory)]
        lines = [f"<span style='font-size:large'><b>{e(name)}</b></span>",
                 f"<span style='font-size:large'>{e(review.from_territory or '(unassigned)')} → "
                 f"<b>{e(review.to_territory or '(unassigned)')}</b></span>"]
        for r in voices:
            said = f"“{e(r.comment)}”" if r.comment else "<i>no comment</i>"
            lines.append(f"<b>{e(r.rep)}</b> ({'gains' if r.kind == 'gain' else 'loses'} it): {said}")
        movable = review.upheld is None
        if not movable:
            who = f" by {e(review.decided_by)}" if review.decided_by else ""
            lines.append(f"<span style='color:{DECIDED_TEXT.name()}'>Decided{who}: {e(_decision_text(review))}</span>")
        else:
            now = self._where_now(review, row)
            if now != review.to_territory:
                movable = False
                lines.append(f"<span style='color:{OPEN_TEXT.name()}'>Moved since the review: it is in "
                             f"{e(now or 'no territory')} now. Undo that move to decide this dispute.</span>")
        figures = e(review.external_id)
        if row is not None:
            workload = self.window_.session.engine.measures().account_workload_hours[row]
            figures += f" · potential {format_number(plan.accounts.potential[row])} · {workload:,.0f} h a year"
        lines.append(f"<span style='color:#555a60'>{figures}</span>")
        self.card.setText("<br>".join(lines))
        return movable

    def _where_now(self, review: Review, row: int | None) -> str | None:
        scenario = self.window_.session.plan.scenarios.get(review.scenario_id)
        if scenario is None or row is None:
            return None
        tid = int(scenario.assignment[row])
        return None if tid == UNASSIGNED or tid not in scenario.territories else scenario.territories[tid].name

    def _show_marks(self, index: int | None) -> None:
        plan = self.window_.session.plan
        rows, open_, current = [], [], None
        for i, r in enumerate(self.disputes):
            row = self._row(r.account_id)
            if row is None:
                continue
            if i == index:
                current = len(rows)
            rows.append(row)
            open_.append(r.is_open)
        self.marks.set_marks(plan.accounts.x[rows], plan.accounts.y[rows], open_, current)

    def step(self, direction: int) -> None:
        """To the next open dispute (direction 1) or the previous one (-1), round the list; when none is open, to
        the next or previous dispute."""
        n = len(self.disputes)
        if not n:
            return
        start = next((i for i, r in enumerate(self.disputes) if r.id == self.current_id), -1 if direction > 0 else 0)
        order = [(start + direction * k) % n for k in range(1, n + 1)]
        chosen = next((i for i in order if self.disputes[i].is_open), order[0])
        self.current_id = self.disputes[chosen].id
        self._select_current(focus=True)

    def decide(self, uphold: bool) -> bool:
        review = self.current()
        if review is None or not review.is_open:
            return False
        command = DecideDispute(review.id, uphold, self.comment.text(), by=current_user())
        if not self.window_.controller.do(command):
            return False
        self.comment.clear()
        self.window_.statusBar().showMessage(f"{command.label}. Ctrl+Z undoes it.", 8000)
        self.refresh()
        if any(r.is_open for r in self.disputes):
            self.step(1)
        return True

    def _activate_territory(self, row: int, _column: int) -> None:
        name = self.by_rep.item(row, 0).data(Qt.UserRole)
        territories = self.window_.session.plan.active.territories
        tid = next((t for t, territory in territories.items() if territory.name == name), None)
        if tid is not None:
            self.window_.controller.set_active(tid)

    def _show_reviewed_scenario(self) -> None:
        scenario_id = self.show_other.property("scenario_id")
        if scenario_id is not None:
            self.window_.controller.switch_scenario(int(scenario_id))

    def open_in(self, territory_name: str) -> list[Review]:
        """The open disputes of a territory of the scenario shown (either side of the move)."""
        return [r for r in self.disputes if r.is_open and territory_name in (r.from_territory, r.to_territory)]


class PanelTips(QObject):
    """The balance panel's rows tell their territory's open disputes in a tooltip while the dock lists any."""

    def __init__(self, dock: DisputesDock) -> None:
        super().__init__(dock)
        self.dock = dock

    def text(self, territory_id: int) -> str | None:
        dock = self.dock
        session = dock.window_.session
        if session is None or not dock.disputes:
            return None
        territory = session.plan.active.territories.get(territory_id)
        disputes = dock.open_in(territory.name) if territory is not None else []
        if not disputes:
            return None
        shown = ", ".join(r.external_id for r in disputes[:6]) + (", …" if len(disputes) > 6 else "")
        return f"{territory.name}: {len(disputes)} open dispute{'s' if len(disputes) != 1 else ''} ({shown})"

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.ToolTip:
            return False
        table = self.dock.window_.panel.table
        index = table.indexAt(event.pos())
        ids = table.model().territory_ids if index.isValid() else ()
        text = self.text(ids[index.row()]) if index.isValid() and index.row() < len(ids) else None
        if text is None:
            return False
        QToolTip.showText(event.globalPos(), text, table)
        return True


def install(window) -> DisputesDock:
    dock = add_bottom_dock(window, DisputesDock(window), beside=window.coverage_dock)
    menu = window.scenario_bar.menu
    menu.addSeparator()
    for key, text, slot, tip in (
            ("export_review_sheets", "Export &review sheets…", lambda: export_sheets(window),
             "A sheet per rep of the accounts gained and lost, to answer agree or dispute"),
            ("import_review_sheets", "&Import returned review sheets…", lambda: import_sheets(window),
             "The reps' answers: their disputes in the Disputes dock, to decide in the workshop")):
        action = QAction(text, window)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _=False, s=slot: s())
        window.named_actions[key] = action
        menu.addAction(action)
        window.menus["file"].insertAction(window.named_actions["export"], action)
    dock.toggleViewAction().setText("&Disputes")
    window.workshop.action.toggled.connect(dock.set_workshop)
    menu.addAction(dock.toggleViewAction())
    return dock


def focus_account(window, row: int) -> None:
    """Centre the map on the account with its neighbours around it (FOCUS_SPAN_M across), and select it."""
    coverage_focus(window, row, FOCUS_SPAN_M)
