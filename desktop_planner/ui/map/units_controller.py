"""The project's geography unit layer in the window: its shapes built in a child process when a project with a
layer opens (or a layer is set), then the units kept coloured by the shown scenario's unit territories.

While the units are drawn the Voronoi regions' fills step aside (the units are the territories' areas now) and
so does the border drag, which reshapes account cells, not units; the territory names stay. The gesture tools
pick units while "Pick units" is on (View menu and toolbar, key U); off, they pick accounts as without a layer.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from desktop_planner.core.events import UnitLayerChanged, UnitsChanged
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.unit_shapes import UnitShapes, unspill_shapes
from desktop_planner.core.units import pieces_per_territory
from desktop_planner.store.unit_map_shapes import map_shapes, portable_layer
from desktop_planner.ui.jobs.process_job import ProcessJob


PIECES_DELAY_MS = 30


class UnitsController(QObject):
    shown = Signal(bool)  # units are drawn (True) or not any more (False)
    refreshed = Signal()  # the units show the plan's unit territories anew
    message = Signal(str)

    def __init__(self, map_view) -> None:
        super().__init__(map_view)
        self.map = map_view
        self.shapes: UnitShapes | None = None
        self.pick_units = True
        self._controller = None
        self._unsubscribe = None
        self._job: ProcessJob | None = None
        self._folder: str | None = None
        self._generation = 0
        self._pieces_due = False
        self._counted: tuple | None = None  # (unit territories, pieces per territory) last counted

    def attach(self, controller) -> None:
        """A project was opened: draw its unit layer, if it has one."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._controller = controller
        controller.redraw_listeners.append(self.on_redraw)
        self._unsubscribe = controller.plan.events.subscribe(self._on_event)
        self._rebuild()

    def is_building(self) -> bool:
        return self._job is not None

    def set_pick_units(self, on: bool) -> None:
        changed = bool(on) != self.pick_units
        self.pick_units = bool(on)
        self.map.tools.set_pick_units(self.pick_units)
        if changed and self.shapes is not None:
            self.message.emit(self._picking())

    def _picking(self) -> str:
        return ("Gestures pick whole units (U: accounts)." if self.pick_units else
                "Gestures pick accounts (U: whole units).")

    def _on_event(self, event) -> None:
        if isinstance(event, UnitLayerChanged):
            self._rebuild()
        elif isinstance(event, UnitsChanged):
            self._controller.mark_dirty("units")

    def on_redraw(self, dirty: set[str]) -> None:
        if self.shapes is not None and dirty & {"units", "territories", "assignment"}:
            self.refresh()

    def refresh(self) -> None:
        """Colour the units by the shown scenario's unit territories."""
        plan = self._controller.plan
        if self.shapes is None or plan.units is None:
            return
        territory = plan.units.of(plan, plan.active).territory
        self.map.units.set_territories(territory, self._controller.color_map())
        # The pieces follow a moment later, so that a released gesture repaints first (like the regions' check).
        if not self._pieces_due:
            self._pieces_due = True
            QTimer.singleShot(PIECES_DELAY_MS, self, self._pieces_now)

    def _pieces_now(self) -> None:
        self._pieces_due = False
        self.refreshed.emit()

    def labels(self) -> dict[int, tuple[float, float, float]]:
        """Per territory, where its name goes and how large it is (for which name wins where two collide): the
        middle of its unit nearest the middle of all its units (weighted by their room), so the name sits on
        the territory even when it curves."""
        if self.shapes is None:
            return {}
        territory = self.map.units.committed
        owned = np.flatnonzero((territory != UNASSIGNED) & np.isfinite(self.shapes.points[:, 0]))
        if not len(owned):
            return {}
        tids, which = np.unique(territory[owned], return_inverse=True)
        weight = self.shapes.radius[owned] ** 2 + 1.0
        xy = self.shapes.points[owned]
        total = np.bincount(which, weights=weight)
        mx = np.bincount(which, weights=weight * xy[:, 0]) / total
        my = np.bincount(which, weights=weight * xy[:, 1]) / total
        gap = np.hypot(xy[:, 0] - mx[which], xy[:, 1] - my[which])
        order = np.lexsort((gap, which))
        first = order[np.r_[True, which[order[1:]] != which[order[:-1]]]]
        return {int(tids[which[k]]): (float(xy[k, 0]), float(xy[k, 1]), float(total[which[k]])) for k in first}

    def pieces(self) -> dict[int, int]:
        """Per territory, the connected pieces its units form on the unit adjacency (islands are linked to their
        nearest unit, so an island county is no piece of its own). Only the territories whose units changed
        since the last count are counted again (~1 ms rather than ~8 ms for the US ZIP areas)."""
        if self.shapes is None:
            return {}
        territory = self.map.units.committed
        counted = self._counted
        if counted is None or len(counted[0]) != len(territory):
            self._counted = (territory.copy(), pieces_per_territory(territory, self.shapes.edges))
            return dict(self._counted[1])
        before, pieces = counted
        moved = before != territory
        if moved.any():
            changed = np.union1d(before[moved], territory[moved])
            pieces = {t: n for t, n in pieces.items() if t not in changed}
            pieces.update(pieces_per_territory(np.where(np.isin(territory, changed), territory, UNASSIGNED),
                                               self.shapes.edges))
            self._counted = (territory.copy(), pieces)
        return dict(self._counted[1])

    # -- building -------------------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        plan = self._controller.plan
        self._generation += 1
        if self._job is not None:
            self._job.kill()
            self._job = None
        self._show(None)
        if plan.units is None:
            return
        project = self._controller.session.project
        source = str(project.path) if project is not None else portable_layer(plan.units.layer)
        job = ProcessJob(map_shapes, (source, self._new_folder()), name="unit shapes", parent=self)
        generation = self._generation
        job.progress.connect(lambda fraction, text: self.message.emit(f"{text}… {fraction:.0%}"))
        job.finished.connect(lambda result: self._built(generation, result))
        job.failed.connect(lambda reason: self._failed(generation, reason))
        for signal in (job.finished, job.failed):
            signal.connect(job.deleteLater)
        self._job = job
        self.message.emit(f"Preparing the {plan.units.layer.label} for the map…")
        job.start()

    def _built(self, generation: int, result) -> None:
        if generation != self._generation:
            return
        self._job = None
        self._show(None if result is None else unspill_shapes(result))
        if self.shapes is not None:
            layer = self._controller.plan.units.layer
            self.message.emit(f"{len(self.shapes):,} {layer.kind} units on the map"
                              + (" (approximate)" if layer.approximate else "") + ". " + self._picking())

    def _failed(self, generation: int, reason: str) -> None:
        if generation != self._generation:
            return
        self._job = None
        self.message.emit(f"The unit layer cannot be drawn ({reason}); the accounts and regions show as before.")

    def _show(self, shapes: UnitShapes | None) -> None:
        self.shapes = shapes
        self._counted = None
        units = self._controller.plan.units
        self.map.set_units(shapes, f"Units: {units.layer.label}" if shapes is not None and units is not None else "")
        self.map.tools.set_pick_units(self.pick_units)
        self.refresh()
        self.shown.emit(shapes is not None)

    def _new_folder(self) -> str:
        """A folder for the arrays the child hands over (memory-mapped while the units are drawn)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = tempfile.mkdtemp(prefix="desktop_planner_units_")
        atexit.register(shutil.rmtree, self._folder, True)
        return self._folder
