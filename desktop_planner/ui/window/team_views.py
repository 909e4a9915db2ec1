"""Teams in the window: the team switcher, the Teams menu, and the changes that concern every team.

The map shows one team at a time: its accounts, territories and balance (a Session per team, kept while the
project is open so that switching back is instant and keeps that team's undo steps). The other teams' territories
are drawn as faint outlines.

Team rules, the score and account imports change which accounts each team covers, so they are applied to a plan of
all accounts (`Plan.all_accounts`) through a History of their own, and every team's view is then loaded again.
Edit > Undo reaches them too: they come before every map edit still in a view's history (a reload empties those),
so the window undoes the view's steps first, then these.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QLabel, QMenu

from desktop_planner.core.commands import Command, CommandError
from desktop_planner.core.events import ScenarioSwitched
from desktop_planner.core.history import History
from desktop_planner.core.team_commands import SetScoring, SetTeams
from desktop_planner.core.territory_outlines import territory_hulls
from desktop_planner.ui.map.team_outlines import TeamOutlines
from desktop_planner.store.opening import ProjectError


class TeamViews(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window_ = window
        self.whole: History | None = None  # the History of project-wide changes, on a plan of all accounts
        bar = window.scenario_bar
        self.label = QLabel("  Team ", bar)
        self.combo = QComboBox(bar)
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.combo.setToolTip("The team shown: its accounts, territories and balance. The other teams' territories "
                              "are the faint outlines.")
        self.combo.activated.connect(lambda index: self.switch(self.combo.itemText(index)))
        # First in the scenario bar: which team is shown matters more than which scenario, and the bar's end is cut
        # off on a laptop screen.
        first = bar.actions()[0]
        self.label_action = bar.insertWidget(first, self.label)
        self.combo_action = bar.insertWidget(first, self.combo)
        self.separator = bar.insertSeparator(first)
        self.menu = QMenu("Tea&ms", window)
        self.menu.addAction("&Teams and rules…", self.edit_teams)
        self.menu.addAction("&Score accounts…", self.edit_scoring)
        window.menuBar().insertMenu(window.menus["help"].menuAction(), self.menu)
        window.menus["teams"] = self.menu
        self.outlines = TeamOutlines(window.map.view_box)
        self._read_for, self._read = None, {}
        self._unsubscribe = lambda: None
        self._listening: weakref.WeakSet = weakref.WeakSet()
        window.sessionChanged.connect(self.refresh)

    # -- the switcher -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        session = self.window_.session
        teams = session.plan.teams if session is not None else ()
        blocked = self.combo.blockSignals(True)
        self.combo.clear()
        for team in teams:
            self.combo.addItem(team.name)
            self.combo.setItemData(self.combo.count() - 1, team.describe(), 3)  # Qt.ToolTipRole
        if session is not None and session.plan.team is not None:
            self.combo.setCurrentText(session.plan.team.name)
        self.combo.blockSignals(blocked)
        for action in (self.label_action, self.combo_action, self.separator):
            action.setVisible(bool(teams))
        self._unsubscribe()
        self._unsubscribe = lambda: None
        if session is not None:
            if session.history not in self._listening:
                session.history.on_change(self._view_changed)
                self._listening.add(session.history)
            self._unsubscribe = session.plan.events.subscribe(
                lambda event: isinstance(event, ScenarioSwitched) and self.show_other_teams())
        self.show_other_teams()

    def show_other_teams(self) -> None:
        """The faint outlines of the other teams' territories, in the scenario of the name shown."""
        session = self.window_.session
        rings = []
        if session is not None and session.plan.team is not None and session.project is not None:
            name = session.plan.active.name
            for team in session.plan.teams:
                if team.id == session.plan.team_id:
                    continue
                view = session.views.get(team.id)
                try:
                    plan = view.plan if view is not None else self._other_plans(session, team.name)
                except ProjectError:
                    continue
                scenario = next((s for s in plan.scenarios.values() if s.name == name), None)
                if scenario is not None:
                    rings += [(xs, ys) for _tid, xs, ys in territory_hulls(plan.accounts, scenario)]
        self.outlines.set_rings(rings)

    def _other_plans(self, session, team_name: str):
        # A team not opened in the window is read once per loading of the views (its plan cannot change
        # meanwhile: only its own view edits it, and then the view's plan is used).
        if self._read_for is not session.views:
            self._read_for, self._read = session.views, {}
        if team_name not in self._read:
            self._read[team_name] = session.project.load_plan(team=team_name)
        return self._read[team_name]

    def switch(self, team_name: str) -> None:
        """Show another team, on the scenario of the same name as the one shown."""
        session = self.window_.session
        if session is None or session.plan.team is None or session.plan.team.name == team_name:
            return
        scenario_name = session.plan.active.name
        try:
            view = session.team_view(team_name)
        except ProjectError as exc:
            self.window_.show_error(str(exc))
            self.refresh()
            return
        same = next((sid for sid, s in view.plan.scenarios.items() if s.name == scenario_name), None)
        if same is not None:
            view.plan.active_scenario_id = same
        self.window_.install_view(view)

    def _view_changed(self) -> None:
        # A map edit after undoing a team change: that change can no longer be redone (one line of history).
        session = self.window_.session
        if self.whole is not None and session is not None and session.history.can_undo:
            self.whole.forget_redo()

    # -- changes for every team -----------------------------------------------------------------------------
    def _whole_history(self) -> History | None:
        session = self.window_.session
        if session is None or session.project is None or session.read_only:
            self.window_.show_error("Teams and scores are saved in the project file: open a project for editing.")
            return None
        if self.whole is None or self.whole.sink is not session.project:
            self.whole = History(session.project.load_plan(all_accounts=True), session.project)
        return self.whole

    def whole_plan(self):
        """The plan of all accounts that project-wide changes apply to (None, reported, when read-only)."""
        history = self._whole_history()
        return None if history is None else history.plan

    def last_handovers_text(self) -> str:
        """What the last project-wide change handed over between teams, in a sentence."""
        session = self.window_.session
        if session is None or session.project is None or not session.plan.teams:
            return ""
        rows = session.project.conn.execute(
            "SELECT from_team, to_team, COUNT(*) FROM handovers WHERE step = (SELECT MAX(step) FROM changes) "
            "GROUP BY from_team, to_team ORDER BY COUNT(*) DESC").fetchall()
        if not rows:
            return "No account changed team."
        parts = [f"{n:,} from {a or 'no team'} to {b or 'no team'}" for a, b, n in rows[:4]]
        return f"Handed over between teams: {'; '.join(parts)}" + ("; …" if len(rows) > 4 else "") + "."

    def apply(self, command: Command) -> bool:
        """Apply a project-wide change and show every team again; a refusal is reported."""
        history = self._whole_history()
        if history is None:
            return False
        return self._move(lambda: history.do(command) or True)

    def _move(self, step) -> bool:
        try:
            done = step()
        except (CommandError, ProjectError) as exc:
            self.window_.show_error(str(exc))
            return False
        self._reload()
        return bool(done)

    def _reload(self) -> None:
        session = self.window_.session
        team = session.plan.team.name if session.plan.team is not None else None
        scenario_name = session.plan.active.name
        whole = self.whole.plan
        if team not in {t.name for t in whole.teams}:
            team = None  # the team shown was removed: the first team
        session.close_views()
        try:
            plan = session.project.load_plan(team=team)
        except ProjectError as exc:
            self.window_.show_error(str(exc))
            return
        same = next((sid for sid, s in plan.scenarios.items() if s.name == scenario_name), None)
        if same is not None:
            plan.active_scenario_id = same
        from desktop_planner.ui.window.controller import Session
        # The emptied views dict, so that the window keeps the file open (it closes a session of another file).
        self.window_.install_view(Session(plan, session.project, session.lock, session.read_only, session.views))

    def can_undo(self) -> bool:
        return bool(self.labels(undo=True))

    def labels(self, undo: bool) -> list[str]:
        if self.whole is None or (self.window_.session and self.whole.sink is not self.window_.session.project):
            return []
        return self.whole.undo_labels() if undo else self.whole.redo_labels()

    def undo(self) -> bool:
        return self.whole is not None and self._move(self.whole.undo)

    def redo(self) -> bool:
        return self.whole is not None and self._move(self.whole.redo)

    # -- dialogs --------------------------------------------------------------------------------------------
    def edit_teams(self) -> None:
        from desktop_planner.ui.dialogs.teams_dialog import TeamsDialog
        history = self._whole_history()
        if history is None:
            return
        dialog = TeamsDialog(self.window_, history.plan)
        if not dialog.exec():
            return
        teams = dialog.teams()
        if teams == history.plan.teams:
            return
        if self.apply(SetTeams(teams, "Change teams")):
            self.window_.statusBar().showMessage(
                f"Teams changed. {self.last_handovers_text()} Edit > Undo takes it back.", 15000)

    def edit_scoring(self) -> None:
        from desktop_planner.ui.dialogs.scoring_dialog import ScoringDialog
        history = self._whole_history()
        if history is None:
            return
        dialog = ScoringDialog(self.window_, history.plan)
        if not dialog.exec():
            return
        definition = dialog.definition()
        if self.apply(SetScoring(definition)):
            if definition is not None:  # what the new score did to each territory, in front
                self.window_.score_dock.show()
                self.window_.score_dock.raise_()
            self.window_.statusBar().showMessage(
                ("Score removed. " if definition is None else f"{len(history.plan.accounts):,} accounts scored. ")
                + f"{self.last_handovers_text()} Edit > Undo takes it back.", 15000)


def install(window) -> TeamViews:
    return TeamViews(window)
