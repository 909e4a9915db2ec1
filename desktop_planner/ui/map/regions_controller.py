"""Territory regions in the window: built off the GUI thread when a project opens (the dots show meanwhile), then
kept in step with the plan after every committed command by recomputing only the territories that changed.

It also keeps the contiguity flags: after each committed command the changed territories are checked for pieces
with the project file's cached account graph; the panel flags the split ones and the map outlines their pieces.
Not during previews: a growing stroke would make the flags flicker, and the check is for the plan, not a gesture.

Threading: a RegionsJob owns the RegionMap while it runs, and `region_map` is None on the GUI side meanwhile (no
border hover, no drag). The job hands the map back, with the paths to draw, through a queued signal; a result
of a job started for an earlier project or study area is dropped (the generation number). shapely releases the
GIL for the heavy geometry, so the GUI stays responsive while the job runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from desktop_planner.core.border_drag import DragPreview
from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.regions import RegionMap
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.map.regions_layer import RegionFills, RegionMarks, geometry_path

# An edit changing at most this many territories is redrawn at once (a two-territory edit takes ~20 ms at 100k
# accounts); a bigger one (auto-balance, a scenario switch) goes to a worker, like the first build.
SYNC_TERRITORIES = 6
# Some numpy and shapely steps of a build hold the GIL for up to ~100 ms at a time; started a moment later, the
# build leaves the first picture of a project just opened (~100 ms at 100k accounts) to the GUI thread alone.
START_DELAY_MS = 100
MAX_OUTLINED_PIECES = 12


def file_checker(path, plan) -> ContiguityChecker:
    """A contiguity checker whose account graph comes from the project file's cache, read through a connection
    of the calling thread (SQLite connections stay in their thread; computing the graph takes ~1.5 s at 100k)."""
    try:
        project = ProjectFile.open(path)
    except ProjectError:
        return ContiguityChecker(plan.accounts)
    try:
        return project.contiguity_checker(plan)
    finally:
        project.close()


def contiguity(region_map: RegionMap, checker: ContiguityChecker, territory_ids: np.ndarray,
               assignment: np.ndarray) -> tuple[dict[int, int], dict[int, list]]:
    """Pieces per territory of `territory_ids`, and the outline paths of the pieces of the split ones (not of
    those in more than MAX_OUTLINED_PIECES: a scatter is flagged in the panel, and outlining it only hides the map)."""
    counts, labels = checker.pieces(territory_ids, assignment)
    scattered = territory_ids[counts > MAX_OUTLINED_PIECES]
    if scattered.size:
        labels = np.where(np.isin(assignment, scattered), -1, labels)
    outlines = {tid: [geometry_path(shape) for shape in shapes]
                for tid, shapes in region_map.piece_outlines(labels).items()}
    return dict(zip(territory_ids.tolist(), counts.tolist())), outlines


@dataclass
class JobResult:
    generation: int
    region_map: RegionMap
    checker: ContiguityChecker
    territory_ids: np.ndarray
    assignment: np.ndarray
    paths: dict
    pieces: dict[int, int]
    outlines: dict[int, list]


class _JobSignals(QObject):
    finished = Signal(object)  # JobResult
    failed = Signal(int, str)  # generation, reason


class RegionsJob(QRunnable):
    """Builds (or, for many changed territories, updates) the regions, their borders and labels, and checks every
    territory's contiguity, off the GUI thread."""

    def __init__(self, generation: int, region_map: Callable[[], RegionMap], territory_ids: np.ndarray,
                 assignment: np.ndarray, rebuild: bool, checker: Callable[[], ContiguityChecker]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the controller holds it until it reports, so Python never frees it mid-run
        self.signals = _JobSignals()
        self.generation = generation
        self.args = (generation, region_map, territory_ids, assignment, rebuild, checker)

    def run(self) -> None:
        generation, region_map, tids, assignment, rebuild, checker = self.args
        try:
            region_map = region_map()  # a new one is made here: finding the shared spots takes ~50 ms at 100k
            regions = region_map.build(tids, assignment) if rebuild else region_map.update(tids, assignment)
            paths = {tid: geometry_path(region) for tid, region in regions.items()}
            region_map.borders()  # cached for the first hover
            region_map.label_points()
            checker = checker()
            pieces, outlines = contiguity(region_map, checker, tids, assignment)
        except Exception as exc:  # a thread boundary: every failure must reach the user, not vanish here
            self._report(self.signals.failed, generation, str(exc))
            return
        self._report(self.signals.finished, JobResult(generation, region_map, checker, tids, assignment, paths,
                                                      pieces, outlines))

    @staticmethod
    def _report(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:
            pass  # the window closed (or the app quit) while the job ran: nobody is left to tell


class RegionsController(QObject):
    """Feeds the region layers of `map_view` and the panel's Pieces column for the window's GestureController."""

    changed = Signal()  # the regions changed or became unavailable: a drag or a hover on the old ones must end

    def __init__(self, map_view, panel) -> None:
        super().__init__(map_view)
        self.map = map_view
        self.panel = panel
        self.fills = RegionFills(map_view.view_box)
        self.marks = RegionMarks(map_view.view_box)
        self.region_map: RegionMap | None = None  # None while a job owns it
        self.study_area: shapely.Geometry | None = None  # None: the accounts' own outline
        self.visible = True
        self._refresh_pending = False
        self._controller = None
        self._generation = 0
        self._job: RegionsJob | None = None  # the one whose result will be drawn
        self._running: list[RegionsJob] = []  # kept until they report, so Python never frees one mid-run
        self._checker: ContiguityChecker | None = None
        self._territory_ids = np.empty(0, dtype=np.int64)  # what the drawn regions show
        self._assignment = np.empty(0, dtype=np.int64)
        self._labels: dict[int, tuple[float, float]] = {}
        self._pieces: dict[int, int] = {}
        self._outlines: dict[int, list] = {}

    # -- lifecycle ------------------------------------------------------------------------------------------
    def attach(self, controller, study_area: shapely.Geometry | None = None) -> None:
        """A project was opened: draw its regions (clipped to `study_area` when given)."""
        self._controller = controller
        controller.redraw_listeners.append(self.on_redraw)
        self.set_study_area(study_area)

    def set_study_area(self, area: shapely.Geometry | None) -> None:
        """Clip the regions to another area (None: the accounts' own outline); rebuilds them all."""
        self.study_area = area
        self._rebuild()

    def is_building(self) -> bool:
        return self._job is not None

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        self.fills.setVisible(self.visible)
        self.marks.setVisible(self.visible)
        self.changed.emit()

    def on_redraw(self, dirty: set[str]) -> None:
        """The controller redrew after a command (or a scenario switch): follow it. The regions follow one event
        loop turn later, so the panel and the dots of a released gesture show first (within the frame budget)
        and the outlines a moment after."""
        if "accounts" in dirty:
            self._rebuild()
        elif dirty & {"assignment", "territories"}:
            if self._goes_to_worker():
                self.fills.set_stale(True)  # the dots and the panel show the plan now; the regions follow later
            if not self._refresh_pending:
                self._refresh_pending = True
                QTimer.singleShot(0, self._deferred_refresh)

    def _goes_to_worker(self) -> bool:
        """Whether bringing the regions in step with the plan waits for a job (one running, or many changes)."""
        if self.region_map is None:
            return True
        scenario = self._controller.plan.active
        return len(self._changed_territories(scenario.territory_ids(), scenario.assignment)) > SYNC_TERRITORIES

    def _deferred_refresh(self) -> None:
        self._refresh_pending = False
        self.refresh()

    # -- building -------------------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        plan = self._controller.plan
        self._generation += 1
        self._job = None  # a job still running for the old regions reports to nobody
        self._checker = None  # another project, or the accounts changed: the account graph is another one
        self._labels, self._pieces, self._outlines = {}, {}, {}
        self.fills.set_stale(False)  # nothing drawn is left to be out of date
        self.fills.set_paths({}, replace=True)
        accounts, area = plan.accounts, self.study_area
        self._start(lambda: RegionMap(accounts, area), rebuild=True)

    def _start(self, region_map: Callable[[], RegionMap], rebuild: bool) -> None:
        session = self._controller.session
        scenario = session.plan.active
        tids, assignment = scenario.territory_ids(), scenario.assignment.copy()
        # Regions of territories that are gone (another scenario's) must not linger while the job runs.
        self.fills.remove(set(self._territory_ids.tolist()) - set(tids.tolist()))
        if self._checker is not None:
            checker = self._checker
            open_checker = lambda: checker  # noqa: E731
        elif session.project is not None:
            path, plan = session.project.path, session.plan
            open_checker = lambda: file_checker(path, plan)  # noqa: E731
        else:
            accounts = session.plan.accounts
            open_checker = lambda: ContiguityChecker(accounts)  # noqa: E731
        self.region_map = None
        job = RegionsJob(self._generation, region_map, tids, assignment, rebuild, open_checker)
        job.signals.finished.connect(self._finished)
        job.signals.failed.connect(self._failed)
        self._job = job
        self._running.append(job)
        self._show()
        self.changed.emit()
        QTimer.singleShot(START_DELAY_MS, lambda: QThreadPool.globalInstance().start(job))

    def _finished(self, result: JobResult) -> None:
        self._reported(result.generation)
        if result.generation != self._generation:
            return
        self._job = None
        self.region_map, self._checker = result.region_map, result.checker
        self._territory_ids, self._assignment = result.territory_ids, result.assignment
        self.fills.set_paths(result.paths)
        self.fills.remove(set(self.fills.paths()) - set(result.territory_ids.tolist()))
        self._pieces, self._outlines = result.pieces, result.outlines
        self.refresh()  # catch up with the edits made while the job ran; draws the rest
        if self._job is None:
            self.fills.set_stale(False)  # in step with the plan (else a further job is on its way)

    def _failed(self, generation: int, reason: str) -> None:
        self._reported(generation)
        if generation == self._generation:
            self._job = None
            self._controller.message.emit(f"The territory regions could not be drawn: {reason}")

    def _reported(self, generation: int) -> None:
        self._running = [job for job in self._running if job.generation != generation]

    def refresh(self) -> None:
        """Bring the drawn regions in step with the scenario shown, at once or (many changes) in a worker."""
        if self._controller is None or self.region_map is None:
            return  # a job is running; it refreshes when it reports
        scenario = self._controller.plan.active
        tids, assignment = scenario.territory_ids(), scenario.assignment
        changed = self._changed_territories(tids, assignment)
        if len(changed) > SYNC_TERRITORIES:
            region_map = self.region_map
            self._start(lambda: region_map, rebuild=False)
            return
        self.fills.set_stale(False)
        if changed:
            self.changed.emit()
            regions = self.region_map.update(tids, assignment, changed)
            self.fills.set_paths({tid: geometry_path(region) for tid, region in regions.items()})
            self.fills.remove(set(self._territory_ids.tolist()) - set(tids.tolist()))
            self._update_contiguity(changed, tids, assignment)
        self._territory_ids, self._assignment = tids, assignment.copy()
        self._show()  # colours and names may have changed too

    def _changed_territories(self, tids: np.ndarray, assignment: np.ndarray) -> set[int]:
        old, new = set(self._territory_ids.tolist()), set(tids.tolist())
        rows = np.flatnonzero(self._assignment != assignment)
        moved = np.unique(np.concatenate((self._assignment[rows], assignment[rows]))).tolist()
        return (set(moved) | (old ^ new)) - {UNASSIGNED}

    def _update_contiguity(self, changed: set[int], tids: np.ndarray, assignment: np.ndarray) -> None:
        for tid in changed:
            self._pieces.pop(tid, None)
            self._outlines.pop(tid, None)
        checked = np.array(sorted(changed & set(tids.tolist())), dtype=np.int64)
        if self._checker is not None and checked.size:
            pieces, outlines = contiguity(self.region_map, self._checker, checked, assignment)
            self._pieces.update(pieces)
            self._outlines.update(outlines)

    # -- drawing --------------------------------------------------------------------------------------------
    def _show(self) -> None:
        controller = self._controller
        self.fills.set_colors(controller.color_map())
        names = {t.id: t.name for t in controller.plan.active.territories.values()}
        if self.region_map is not None:
            self._labels = self.region_map.label_points()
        areas = self._areas(self._labels)
        self.marks.set_labels([(x, y, names[tid], areas.get(tid, 0.0)) for tid, (x, y) in self._labels.items()
                               if tid in names])
        self.marks.set_pieces({tid: paths for tid, paths in self._outlines.items()
                               if tid in names and self._pieces.get(tid, 1) > 1})
        self.panel.set_pieces({tid: count for tid, count in self._pieces.items() if tid in names})

    def _areas(self, territory_ids) -> dict[int, float]:
        """Area of each territory's region: where names collide on the map, the larger territory's is shown."""
        if self.region_map is None:
            return {}
        tids = [tid for tid in territory_ids if tid in self.region_map.regions]
        if not tids:
            return {}
        areas = shapely.area(np.array([self.region_map.regions[tid] for tid in tids], dtype=object))
        return dict(zip(tids, np.nan_to_num(areas).tolist()))

    def show_drag(self, preview: DragPreview | None) -> None:
        """The two regions as a border drag would leave them, and the area it sweeps; None ends the show."""
        if preview is None:
            self.fills.set_preview(None)
            self.marks.set_tent(None)
            return
        self.fills.set_preview({tid: geometry_path(region) for tid, region in preview.regions.items()})
        color = self._controller.color_map().get(preview.into, "#000000")
        self.marks.set_tent(geometry_path(preview.tent) if not preview.tent.is_empty else None, color)
