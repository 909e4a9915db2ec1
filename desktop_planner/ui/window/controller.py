"""Glue between the map, the balance panel and the History: the one place that turns gestures into commands.

No view writes to the model: a finished gesture becomes a `Reassign` (or a selection), the History applies and
persists it, the model's events mark what the views must redraw, and the History's change notification
redraws it once per command (a delete, for instance, emits several events but is one redraw).

The preview path runs for every hit set the map reports during a stroke (the map already throttles them);
an unchanged hit set costs nothing.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from desktop_planner.core.commands import (Command, CommandError, EditTerritory, Reassign, SetLock, movable_accounts,
                                           preview_assignment)
from desktop_planner.core.events import (AccountsChanged, AssignmentChanged, Event, LocksChanged, ScenarioSwitched,
                                         TerritoriesChanged)
from desktop_planner.core.geo import mercator_to_lonlat
from desktop_planner.core.history import History
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario, Territory
from desktop_planner.core.palette import territory_palette
from desktop_planner.core.scenario_commands import DeleteScenario
from desktop_planner.store.instance_lock import InstanceLock
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.window.unit_gestures import UnitGestures

EMPTY = np.zeros(0, dtype=np.int64)


class ReadOnlySink:
    """The sink of a project opened read-only (in use elsewhere): every change is refused and rolled back."""

    def __init__(self, path) -> None:
        self.path = path

    def commit(self, plan, effects, action, label) -> None:
        raise ProjectError(f"{self.path}: opened read-only because it is in use elsewhere; changes are not "
                           f"saved. Close it there and open it again to edit.")


class Session:
    """One open project: the plan, its file (the History's persistence sink), the History, the measures.
    `lock` is the instance lock held while the project is open for editing (None when read-only).

    In a project with teams each team's view is a Session of its own (its plan holds that team's accounts and
    scenarios) sharing the file and the lock: `views` maps team id -> Session for every view opened so far, and
    closing any of them closes the project."""

    def __init__(self, plan: Plan, project: ProjectFile | None = None, lock: InstanceLock | None = None,
                 read_only: bool = False, views: dict | None = None) -> None:
        self.plan = plan
        self.project = project
        self.lock = lock
        self.read_only = read_only
        self.history = History(plan, ReadOnlySink(project.path) if read_only and project else project)
        self.engine = MeasureEngine(plan)
        self.views: dict = views if views is not None else {}
        self.views[plan.team_id] = self

    def team_view(self, team_name: str) -> "Session":
        """The view of another team of this project (loaded on first use, then kept with its undo steps)."""
        team = next(t for t in self.plan.teams if t.name == team_name)
        view = self.views.get(team.id)
        if view is None:
            view = Session(self.project.load_plan(team=team_name), self.project, self.lock, self.read_only,
                           self.views)
        return view

    def close_views(self) -> None:
        """Let go of every team's view (their plans are out of date), keeping the file open."""
        for view in list(self.views.values()):
            view.engine.close()
        self.views.clear()

    def close(self) -> None:
        self.close_views()
        self.engine.close()
        if self.project is not None:
            self.project.close()
        if self.lock is not None:
            self.lock.release()


def territory_colors(territories: list[Territory]) -> list[str]:
    """Each territory's own colour, or a palette colour for one that has none."""
    palette = territory_palette(len(territories))
    return [t.color or palette[i] for i, t in enumerate(territories)]


class GestureController(QObject):
    """Drives `map_view` and `panel` for one Session. `report_error(text)` shows a refused command."""

    selectionChanged = Signal(int)  # number of selected accounts
    activeChanged = Signal(object)  # territory id or None
    hovered = Signal(str)  # description of the account under the mouse, "" for none
    message = Signal(str)  # a passing note for the status bar
    changed = Signal()  # after every do/undo/redo, for menus and the title

    def __init__(self, session: Session, map_view, panel, report_error: Callable[[str], None]) -> None:
        super().__init__()
        self.session = session
        self.map = map_view
        self.panel = panel
        self.report_error = report_error
        self.selection = EMPTY
        self.active: int | None = None
        self.picking_home_for: int | None = None
        self.legend_visible = True
        self._territories: list[Territory] = []
        self._colors: list[str] = []
        self._dirty: set[str] = set()
        self._previewed: np.ndarray | None = None  # the hit set on show, None when showing the committed plan
        self._offscreen_change: int | None = None  # a scenario not shown that the current step changed
        # None: territory colours; else scheme(scenario) -> (territory id -> colour, legend entries), e.g. regions
        self.colour_scheme: Callable[[Scenario], tuple[dict[int, str], list[tuple[str, str]]]] | None = None
        # Views drawn from the plan besides the dots and the panel (regions, homes...): called after each redraw
        # with what changed ("accounts", "territories", "assignment", "locks").
        self.redraw_listeners: list[Callable[[set[str]], None]] = []
        self.unit_gestures = UnitGestures(self)
        self._unsubscribe = session.plan.events.subscribe(self._on_event)
        session.history.on_change(self._on_history_change)
        self._connections = [
            (map_view.selectionPreview, self.update_preview),
            (map_view.gestureFinished, self.on_gesture),
            (map_view.hoverChanged, self._on_hover),
            (panel.territoryActivated, self.set_active),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)
        self._show_everything()

    def detach(self) -> None:
        """Stop listening (before the window switches to another project, or closes); safe to call twice."""
        self._stop_home_pick()
        self._unsubscribe()
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []

    @property
    def plan(self) -> Plan:
        return self.session.plan

    @property
    def history(self) -> History:
        return self.session.history

    # -- whole redraws ----------------------------------------------------------------------------------
    def _show_everything(self) -> None:
        plan = self.plan
        self.map.set_accounts(plan.accounts)
        self.map.set_tooltip_provider(self.describe_account)
        self._dirty = {"territories", "assignment", "locks"}
        self._redraw()
        territories = list(plan.active.territories)
        self.set_active(territories[0] if territories else None)
        self.map.fit_to_accounts()

    def _on_event(self, event: Event) -> None:
        scenario_id = getattr(event, "scenario_id", None)
        if scenario_id is not None and scenario_id != self.plan.active_scenario_id:
            # Not on screen. The History is one for the whole project, so an undo can reach a scenario that is
            # not shown: the view then follows it to that scenario once the step is done.
            self._offscreen_change = scenario_id
            return
        if isinstance(event, AssignmentChanged):
            self._dirty.add("assignment")
        elif isinstance(event, LocksChanged):
            self._dirty.add("locks")
        elif isinstance(event, TerritoriesChanged):
            self._dirty.update(("territories", "assignment"))
        elif isinstance(event, ScenarioSwitched):
            self._dirty.update(("territories", "assignment", "locks"))
            self._show_switched()  # a switch is no History step, so no history change will redraw it
        elif isinstance(event, AccountsChanged):
            self._dirty.update(("accounts", "territories", "assignment", "locks"))

    def _on_history_change(self) -> None:
        offscreen, self._offscreen_change = self._offscreen_change, None
        if offscreen in self.plan.scenarios:
            self.switch_scenario(offscreen)
            self.message.emit(f"Now showing scenario {self.plan.active.name}, which that step changed.")
        self._redraw()
        if self.active is not None and self.active not in self.plan.active.territories:
            remaining = list(self.plan.active.territories)
            self.set_active(remaining[0] if remaining else None)
        self.changed.emit()

    def _redraw(self) -> None:
        scenario = self.plan.active
        dirty, self._dirty = self._dirty, set()
        if "accounts" in dirty:  # an import refresh: rows were added, removed or moved
            self.map.set_accounts(self.plan.accounts)
            self.set_selection(EMPTY)
        if "territories" in dirty:
            self._territories = list(scenario.territories.values())
            self._colors = territory_colors(self._territories)
            self.refresh_legend()
        if "assignment" in dirty:
            self.map.set_assignment(scenario.assignment, self.color_map())
        if dirty & {"locks", "territories", "assignment"}:
            self.map.set_locked(self.locked_on_map())
        self._previewed = None
        self.map.set_preview(None)
        self.panel.show_measures(self.session.engine.measures(), self._territories, self._colors)
        for listener in self.redraw_listeners:
            listener(dirty)

    def mark_dirty(self, what: str) -> None:
        """Something the events of core.events do not name changed (the unit territories): the next redraw
        tells the listeners."""
        self._dirty.add(what)

    def color_map(self) -> dict[int, str]:
        """Territory id -> colour of its dots on the map."""
        if self.colour_scheme is not None:
            return self.colour_scheme(self.plan.active)[0]
        return {t.id: c for t, c in zip(self._territories, self._colors)}

    def refresh_legend(self, visible: bool | None = None) -> None:
        if visible is not None:
            self.legend_visible = visible
        if self.colour_scheme is not None:
            entries = self.colour_scheme(self.plan.active)[1]
        else:
            entries = [(t.name, c) for t, c in zip(self._territories, self._colors)]
        self.map.set_legend(entries if self.legend_visible else [])

    def set_colour_scheme(self, scheme) -> None:
        """Colour the map's dots another way (see `colour_scheme`); None returns to territory colours."""
        self.colour_scheme = scheme
        self._dirty.update(("territories", "assignment"))
        self._redraw()

    def locked_on_map(self) -> np.ndarray:
        """Accounts drawn as locked: locked themselves or in a locked territory (no gesture moves either)."""
        scenario = self.plan.active
        closed = [tid for tid, t in scenario.territories.items() if t.locked]
        return scenario.locked | np.isin(scenario.assignment, closed) if closed else scenario.locked

    # -- scenarios --------------------------------------------------------------------------------------
    def switch_scenario(self, scenario_id: int) -> None:
        """Show another scenario. A view choice, not an undo step; the file remembers it for the next opening."""
        plan = self.plan
        if scenario_id == plan.active_scenario_id or scenario_id not in plan.scenarios:
            return
        plan.active_scenario_id = scenario_id
        plan.events.emit(ScenarioSwitched(scenario_id))
        if self.session.project is not None and not self.session.read_only:
            try:
                self.session.project.set_active_scenario(scenario_id)
            except ProjectError as exc:
                self.message.emit(f"The scenario shown will not be remembered: {exc}")

    def _show_switched(self) -> None:
        """Redraw for the newly shown scenario and keep the territory of the same name active, so that
        switching back and forth shows like with like."""
        name = next((t.name for t in self._territories if t.id == self.active), None)
        self._redraw()
        territories = self.plan.active.territories
        same = next((tid for tid, t in territories.items() if t.name == name), None)
        self.set_active(same if same is not None else next(iter(territories), None))
        self.changed.emit()

    def _leave_scenario_the_step_deletes(self, undo: bool) -> None:
        """The scenario shown cannot be deleted (undoing its creation deletes it): show the one it was based
        on, or another, before the step."""
        plan = self.plan
        command = self.history.peek(undo)
        if isinstance(command, DeleteScenario) and command.scenario_id == plan.active_scenario_id:
            others = [sid for sid in plan.scenarios if sid != plan.active_scenario_id]
            if others:
                self.switch_scenario(plan.active.based_on if plan.active.based_on in others else others[0])

    # -- preview during a stroke ------------------------------------------------------------------------
    def update_preview(self, indices) -> None:
        """Show what releasing the stroke now would do (or the committed state for an empty hit set)."""
        indices = np.asarray(indices, dtype=np.int64)
        select_only = bool(QApplication.keyboardModifiers() & Qt.ControlModifier)
        if not indices.size or self.active is None or select_only:
            if self._previewed is not None:
                self._show_committed()
            return
        if self._previewed is not None and np.array_equal(indices, self._previewed):
            return
        self._previewed = indices
        if self.map.tools.picks_units():
            self.unit_gestures.preview(indices)
            return
        scenario = self.plan.active
        preview = preview_assignment(self.plan, scenario, indices, self.active)
        measures = self.session.engine.measures(assignment=preview)
        self.panel.show_measures(measures, self._territories, self._colors, preview=True)
        self.map.set_preview(preview)

    def _show_committed(self) -> None:
        self._previewed = None
        self.map.set_preview(None)
        self.map.units.set_preview(None)
        self.panel.show_measures(self.session.engine.measures(), self._territories, self._colors)

    def show_preview(self, measures, assignment: np.ndarray | None = None) -> None:
        """Show a drag under way that is not a stroke (a border, a home): its figures in the panel and, when it
        moves accounts, its assignment on the map. show_committed() returns to the plan."""
        self.panel.show_measures(measures, self._territories, self._colors, preview=True)
        self.map.set_preview(assignment)

    def show_committed(self) -> None:
        """End a preview (a drag cancelled with Esc, or one that changes nothing): the plan as it is."""
        self._show_committed()

    # -- finished gestures ------------------------------------------------------------------------------
    def on_gesture(self, indices, action: str, select_only: bool) -> None:
        indices = np.unique(np.asarray(indices, dtype=np.int64))
        if self.map.tools.picks_units():
            self.unit_gestures.finish(indices, action, select_only)
            return
        if action == "click" or select_only or self.active is None:
            self.set_selection(indices)  # a Shift-click arrives with the selection it adds to
            if self._previewed is not None:
                self._show_committed()
            if self.active is None and action != "click" and not select_only:
                self.message.emit("Choose a territory in the panel to assign accounts to it.")
            return
        self.assign(indices, self.active, action)

    def assign(self, indices: np.ndarray, territory_id: int, action: str) -> bool:
        """Move the accounts a gesture covered into a territory as one command (locked ones stay)."""
        scenario = self.plan.active
        target = scenario.territories.get(territory_id)
        if target is not None and not target.locked and \
                not movable_accounts(self.plan, scenario, indices, territory_id).size:
            where = target.name
            self.message.emit(f"Nothing to move: those accounts are locked or already in {where}.")
            if self._previewed is not None:
                self._show_committed()
            return False
        if self.plan.units is None:
            command = Reassign(scenario.id, indices, territory_id, action=action)
        else:
            command = self.unit_gestures.account_command(indices, territory_id, action)
        done = self.do(command)
        if done:
            self.message.emit(f"{command.label}. Ctrl+Z undoes it.")  # what happened, beside the hover text
        elif self._previewed is not None:
            self._show_committed()
        return done

    def set_selection(self, indices: np.ndarray) -> None:
        self.selection = np.asarray(indices, dtype=np.int64)
        self.map.set_selection(self.selection)
        self.selectionChanged.emit(len(self.selection))

    def set_active(self, territory_id: int | None) -> None:
        self.active = territory_id
        self.map.set_highlight(territory_id)
        self.panel.set_active(territory_id)
        self.activeChanged.emit(territory_id)

    def active_territory(self) -> Territory | None:
        return None if self.active is None else self.plan.active.territories.get(self.active)

    # -- commands ---------------------------------------------------------------------------------------
    def do(self, command: Command) -> bool:
        """Apply a command through the History; a refusal is reported, never raised into Qt."""
        try:
            self.history.do(command)
        except (CommandError, ProjectError) as exc:
            self._redraw_after_failure()
            self.report_error(str(exc))
            return False
        return True

    def undo(self, steps: int = 1) -> None:
        self._step(self.history.undo, steps, undo=True)

    def redo(self, steps: int = 1) -> None:
        self._step(self.history.redo, steps, undo=False)

    def _step(self, move: Callable[[], bool], steps: int, undo: bool) -> None:
        try:
            for _ in range(steps):
                self._leave_scenario_the_step_deletes(undo)
                labels = self.history.undo_labels() if undo else self.history.redo_labels()
                if not move():
                    break
                self.message.emit(f"{'Undone' if undo else 'Redone'}: {labels[0]}")
        except (CommandError, ProjectError) as exc:
            self._redraw_after_failure()
            self.report_error(str(exc))

    def _redraw_after_failure(self) -> None:
        # A refused or unsaved command was rolled back in memory; redraw from the model to be sure.
        self._dirty = {"territories", "assignment", "locks"}
        self._redraw()

    def lock_selection(self, locked: bool) -> None:
        if not self.selection.size:
            self.message.emit("Select accounts first (Ctrl + drag, or click).")
            return
        self.do(SetLock(self.plan.active.id, self.selection, locked))

    # -- picking a rep's home on the map -----------------------------------------------------------------
    def start_home_pick(self, territory_id: int) -> None:
        """The next left click on the map places the territory's home there (anywhere, not only on an
        account). The click is taken from the map's viewport before the map sees it, so it selects nothing."""
        if self.picking_home_for is None:
            self.map.viewport().installEventFilter(self)
        self.picking_home_for = territory_id
        self.message.emit("Click on the map where the rep's home is (Esc cancels).")

    def cancel(self) -> None:
        """Esc: leave home picking, drop the selection. Nothing in the plan changes."""
        self._stop_home_pick()
        self.set_selection(EMPTY)

    def _stop_home_pick(self) -> None:
        if self.picking_home_for is not None:
            self.map.viewport().removeEventFilter(self)
            self.picking_home_for = None

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if self.picking_home_for is None or kind not in (QEvent.MouseButtonPress, QEvent.MouseButtonRelease):
            return False
        if event.button() != Qt.LeftButton:
            return False
        if kind == QEvent.MouseButtonRelease:
            territory_id = self.picking_home_for
            self._stop_home_pick()
            x, y = self.map.map_from_viewport(event.position().toPoint())
            lon, lat = mercator_to_lonlat(x, y)
            self.do(EditTerritory(self.plan.active.id, territory_id, home_lon=round(float(lon), 6),
                                  home_lat=round(float(lat), 6)))
        return True  # neither the press nor the release reaches the map

    # -- hover ------------------------------------------------------------------------------------------
    def describe_account(self, row: int) -> str:
        accounts = self.plan.accounts
        scenario = self.plan.active
        tid = int(scenario.assignment[row])
        territory = "unassigned" if tid == UNASSIGNED else scenario.territories[tid].name
        visits, service_hours = self.session.engine.visits_and_service_hours()
        lines = [f"{accounts.name[row] or accounts.external_id[row]}  ({accounts.external_id[row]})",
                 f"Territory: {territory}" + ("  · locked" if scenario.locked[row] else ""),
                 f"Potential: {accounts.potential[row]:,.0f}",
                 f"Visits: {visits[row]:g} a year, {service_hours[row]:,.1f} service hours"]
        if accounts.segment[row]:
            lines.append(f"Segment: {accounts.segment[row]}")
        return "\n".join(lines)

    def _on_hover(self, row: int) -> None:
        if row < 0 or row >= len(self.plan.accounts):
            self.hovered.emit("")
            return
        self.hovered.emit(self.describe_account(row).split("\n")[0])
