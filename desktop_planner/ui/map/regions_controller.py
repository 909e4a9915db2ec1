"""Territory regions in the window: built in a child process when a project opens (the dots show meanwhile), then
kept in step with the plan after every committed command by recomputing only the territories that changed.

It also keeps the contiguity flags: after each committed command the changed territories are checked for pieces
with the project file's cached account graph; the panel flags the split ones and the map outlines their pieces.
Not during previews: a growing stroke would make the flags flicker, and the check is for the plan, not a gesture.

Opening, in two child processes one after the other (ProcessJob: a worker thread would share the GIL with the
window, and numpy and shapely hold it for up to ~150 ms at a time): first the regions (core.region_cells.
build_region_map: study area and Voronoi cells at the same time, both from the project file's cache when it has
them, then the merge per territory, borders and label points), drawn as soon as they arrive; then the account
graph and every territory's pieces (core.region_cells.account_pieces), which flag the split ones a moment later.
`region_map` is None on the GUI side until the regions arrive (no border hover, no drag). Arrays travel as files
(region_cells.Spilled), not through the pipe; what the processes derived for the cache (study area, cells, graph)
is written by a StoreJob thread of this process, counted as its own commit.

An edit of many territories (auto-balance, a scenario switch) is redrawn by a RegionsJob in a worker thread, which
owns the RegionMap while it runs. A result of a job started for an earlier project or study area is dropped
(the generation number).
"""

from __future__ import annotations

import atexit
import math
import shutil
import tempfile
from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from desktop_planner.core.border_drag import DragPreview
from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.core.region_cells import account_pieces, build_region_map, spill, unspill
from desktop_planner.core.regions import RegionMap
from desktop_planner.store.derived_cache import FileCache
from desktop_planner.store.opening import ProjectError
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.jobs.process_job import ProcessJob
from desktop_planner.ui.map.regions_layer import RegionFills, RegionMarks, geometry_path

# An edit changing at most this many territories is redrawn at once (a two-territory edit takes ~20 ms at 100k
# accounts); a bigger one (auto-balance, a scenario switch) goes to a worker, like the first build.
SYNC_TERRITORIES = 6
# Some numpy and shapely steps of a build hold the GIL for up to ~100 ms at a time; started a moment later, the
# build leaves the first picture of a project just opened (~100 ms at 100k accounts) to the GUI thread alone.
START_DELAY_MS = 100
MAX_OUTLINED_PIECES = 12
# After a build, the names (and the cache writes, and the pieces process) wait this long, so that their first
# paint (~50-80 ms for 50 names at 100k accounts) is not in the same event-loop turn as the regions' own.
MARKS_DELAY_MS = 40
# After a committed edit, the changed territories' pieces are counted this long after their regions were redrawn
# (~5 ms at 100k accounts, ~50 ms at 1M), so that the release of a gesture repaints first.
CONTIGUITY_DELAY_MS = 30


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


class StoreJob(QRunnable):
    """Writes derived-cache entries (key, fingerprint, data or a Spilled file of it) to a project file through a
    connection of its own, as the account-graph cache always was (file_checker): in a worker thread, since the
    graph is 43 MB at 1M accounts (~0.2 s of writing), and counted as this process's own commit, so that the
    window does not take it for another program's change."""

    def __init__(self, path, entries) -> None:
        super().__init__()
        self.path, self.entries = path, list(entries)

    def run(self) -> None:
        try:
            project = ProjectFile.open(self.path)
        except (ProjectError, OSError):
            return  # the cache is an optimisation: a busy or vanished file only leaves it a miss
        try:
            for key, fingerprint, data in self.entries:
                project.store_derived(key, fingerprint, bytes(unspill(data)))
        except Exception:  # noqa: BLE001 -- a thread boundary; nothing is lost but a cache entry
            pass
        finally:
            project.close()


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
        self.under_units = False
        self._unit_source = None  # the UnitsController while units are drawn
        self._refresh_pending = False
        self._controller = None
        self._generation = 0
        self._job: RegionsJob | ProcessJob | None = None  # the one whose result will be drawn
        self._running: list[RegionsJob] = []  # kept until they report, so Python never frees one mid-run
        self._pieces_job: ProcessJob | None = None  # the account graph and the pieces, after the regions
        self._folder: str | None = None  # the arrays handed between the window and its processes
        self._marks_later = False
        self._checking = False  # from the regions of a build until its pieces process reports
        self._naming = False  # from the regions of a build until their names are shown
        self._contiguity_due: set[int] = set()  # territories edited since their pieces were last counted
        self._contiguity_pending = False
        self._pieces_shown: dict[int, int] | None = None  # what the panel and the marks were last given
        self._outlines_shown: dict | None = None
        self._colors_shown: dict | None = None
        self._columns: tuple = ()
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
        controller.activeChanged.connect(self._on_active)
        self.set_study_area(study_area)

    def _on_active(self, _territory_id) -> None:
        if self._labels and not self.is_building():
            self._show()  # the active territory's name is placed first

    def set_study_area(self, area: shapely.Geometry | None) -> None:
        """Clip the regions to another area (None: the accounts' own outline); rebuilds them all."""
        self.study_area = area
        self._rebuild()

    def is_building(self) -> bool:
        """Whether the regions are being made, until they are drawn with their names (not the pieces: see
        is_checking)."""
        return self._job is not None or self._naming

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        self.fills.setVisible(self.visible and not self.under_units)
        self.marks.setVisible(self.visible)
        self.changed.emit()

    def set_under_units(self, on: bool) -> None:
        """Geography units are drawn: they show the territories' areas, so the fills step aside (the names stay)
        and the border drag, which moves account cells, is off (`draggable`)."""
        self.under_units = bool(on)
        self.set_visible(self.visible)

    @property
    def draggable(self) -> bool:
        return self.visible and not self.under_units

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
        self._end_processes()  # a process still running for the old regions is ended
        self._naming = False
        self._pieces_shown = self._outlines_shown = self._colors_shown = None
        self._job = None  # a thread job still running for the old regions reports to nobody
        self._checker = None  # another project, or the accounts changed: the account graph is another one
        self._labels, self._pieces, self._outlines = {}, {}, {}
        self.fills.set_stale(False)  # nothing drawn is left to be out of date
        self.fills.set_paths({}, replace=True)
        session, scenario = self._controller.session, plan.active
        tids, assignment = scenario.territory_ids(), scenario.assignment.copy()
        self.fills.remove(set(self._territory_ids.tolist()) - set(tids.tolist()))
        accounts = plan.accounts
        cache = FileCache(session.project.path) if session.project is not None else None
        folder = self._new_folder()
        # Arrays go to the child as files (a pipe would block the window until the child has started).
        x, y, ids, lon, lat, handed = (spill(a, folder) for a in (accounts.x, accounts.y, accounts.ids,
                                                                    accounts.lon, accounts.lat, assignment))
        area = spill(self.study_area, folder) if self.study_area is not None else None
        job = ProcessJob(build_region_map, (x, y, area, tids, handed, cache, folder, (ids, lon, lat)),
                         name="regions build", parent=self)
        self._columns = ids, lon, lat, folder
        generation = self._generation
        job.finished.connect(lambda result: self._built(generation, result, tids, assignment, cache))
        job.failed.connect(lambda reason: self._build_failed(generation, reason, accounts))
        for signal in (job.finished, job.failed):
            signal.connect(job.deleteLater)
        self.region_map = None
        self._job = job
        self._show()
        self.changed.emit()
        # A moment later: the process's start (Python, numpy, shapely) would take a core from the window's first
        # paint of the project just opened (~100 ms at 100k accounts); the build itself runs at a lower priority.
        QTimer.singleShot(START_DELAY_MS, self, lambda: self._job is job and job.start())

    def _built(self, generation: int, result, tids: np.ndarray, assignment: np.ndarray,
               cache: FileCache | None) -> None:
        """The regions of a build in the child process: fill them now; their names, the cache entries and the
        search for split territories (in another process) follow a moment later, so that the first paint of the
        regions and that of the names fall in separate turns of the event loop."""
        if generation != self._generation:
            return
        region_map, pending = result
        self._job = None
        self.region_map = region_map
        self._territory_ids, self._assignment = tids, assignment
        self.fills.set_paths({tid: geometry_path(region) for tid, region in region_map.regions.items()})
        self.fills.remove(set(self.fills.paths()) - set(tids.tolist()))
        self._checking = True  # until the pieces process reports
        self._naming = True  # until _after_built shows the names
        self._marks_later = True
        try:
            self.refresh()  # catch up with the edits made while the job ran; draws the rest
        finally:
            self._marks_later = False
        if self._job is None:
            self.fills.set_stale(False)
        QTimer.singleShot(MARKS_DELAY_MS, self, lambda: self._after_built(generation, pending, tids, assignment, cache))

    def _after_built(self, generation: int, pending, tids: np.ndarray, assignment: np.ndarray,
                     cache: FileCache | None) -> None:
        if generation != self._generation:
            return
        self._naming = False
        self._show()
        QTimer.singleShot(MARKS_DELAY_MS, self,
                          lambda: self._check_pieces(generation, pending, tids, assignment, cache))

    def _check_pieces(self, generation: int, pending, tids: np.ndarray, assignment: np.ndarray,
                      cache: FileCache | None) -> None:
        if generation != self._generation:
            return
        self._store(pending)
        region_map = self.region_map
        if region_map is None:
            self._checking = False
            return  # an update job owns the map: it checks the pieces itself (file_checker) when it reports
        ids, lon, lat, folder = self._columns
        region_map.spill_to = folder  # its arrays as files: the cells and spots as the ones the build wrote
        try:
            handed = spill(region_map, folder)
        finally:
            region_map.spill_to = None
        job = ProcessJob(account_pieces, (ids, lon, lat, tids, spill(assignment, folder), cache, folder, handed,
                                          MAX_OUTLINED_PIECES), name="contiguity check", parent=self)
        job.finished.connect(lambda result: self._pieces_found(generation, result, tids, assignment))
        job.failed.connect(lambda reason: self._pieces_failed(generation, reason))
        for signal in (job.finished, job.failed):
            signal.connect(job.deleteLater)
        self._pieces_job = job
        job.start()

    def _pieces_found(self, generation: int, result, tids: np.ndarray, assignment: np.ndarray) -> None:
        if generation != self._generation:
            return
        self._pieces_job, self._checking = None, False
        edges, counts, outlines, pending, tile_pieces = result
        QTimer.singleShot(MARKS_DELAY_MS, self, lambda: generation == self._generation and self._store(pending))
        edges = np.asarray(unspill(edges))
        self._checker = ContiguityChecker(self._controller.plan.accounts, edges)
        if self.region_map is None:
            return  # an update job owns the regions; it checks the pieces with this checker when it reports
        if (np.array_equal(self._territory_ids, tids) and np.array_equal(self._assignment, assignment)):
            if tile_pieces is not None:
                self.region_map.use_tile_pieces(tile_pieces)  # a file, read on the first edit
            self._pieces = dict(zip(tids.tolist(), counts.tolist()))
            self._outlines = {tid: [geometry_path(shape) for shape in shapes] for tid, shapes in outlines.items()}
        else:  # edits since the check began: check the plan shown
            self._pieces, self._outlines = contiguity(self.region_map, self._checker, self._territory_ids,
                                                      self._assignment)
        self._show()

    def _store(self, entries) -> None:
        """Keep what a child process derived in the project file, from a worker thread of this process (a
        write of another process would read as another program's change and stop the saving of edits)."""
        project = self._controller.session.project
        if not entries or project is None or getattr(project, "read_only", False) or project.conn is None:
            return  # nothing to keep, no file, a read-only one, or the window closed meanwhile
        QThreadPool.globalInstance().start(StoreJob(project.path, entries))

    def is_checking(self) -> bool:
        """Whether the split territories are still being looked for (after the regions are drawn)."""
        return self._checking

    def _new_folder(self) -> str:
        """A folder for the arrays a build hands to and gets from its processes; the previous build's goes."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)  # a file still mapped (Windows) stays till exit
        self._folder = tempfile.mkdtemp(prefix="desktop_planner_regions_")
        atexit.register(shutil.rmtree, self._folder, True)
        return self._folder

    def _end_processes(self) -> None:
        for job in (self._job, self._pieces_job):
            if isinstance(job, ProcessJob):
                job.kill()
        self._pieces_job, self._checking = None, False

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

    def _build_failed(self, generation: int, reason: str, accounts) -> None:
        """The build process could not run (or died): build in a worker thread instead, as before processes."""
        if generation != self._generation:
            return
        area = self.study_area
        self._job = None
        self._start(lambda: RegionMap(accounts, area), rebuild=True)

    def _pieces_failed(self, generation: int, reason: str) -> None:
        if generation == self._generation:
            self._pieces_job, self._checking = None, False
            self._controller.message.emit(f"Split territories could not be checked: {reason}")

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
        if self._unit_source is not None:
            self._show()  # the units show the areas: only the names and the pieces follow
            return
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
            self._contiguity_due |= changed
            if not self._contiguity_pending:  # the flags follow in a later turn, after the regions' repaint
                self._contiguity_pending = True
                QTimer.singleShot(CONTIGUITY_DELAY_MS, self, self._deferred_contiguity)
        self._territory_ids, self._assignment = tids, assignment.copy()
        self._show()  # colours and names may have changed too

    def _deferred_contiguity(self) -> None:
        self._contiguity_pending = False
        changed, self._contiguity_due = self._contiguity_due, set()
        if self.region_map is None or not changed:
            return  # an update job owns the map: its result brings the flags of every territory
        self._update_contiguity(changed, self._territory_ids, self._assignment)
        self._show_pieces()

    def _changed_territories(self, tids: np.ndarray, assignment: np.ndarray) -> set[int]:
        old, new = set(self._territory_ids.tolist()), set(tids.tolist())
        rows = np.flatnonzero(self._assignment != assignment)
        moved = np.unique(np.concatenate((self._assignment[rows], assignment[rows]))).tolist()
        return (set(moved) | (old ^ new)) - {UNASSIGNED}

    def set_unit_source(self, source) -> None:
        """While units are drawn (`source`: the UnitsController, else None) they are the territories' areas: a
        territory's pieces are those of its units on the unit adjacency (`source.pieces()`), its name goes where
        `source.labels()` says, no cell outlines are drawn, and the account cells are not kept in step with each
        edit (they catch up when the units go)."""
        self._unit_source = source
        self._outlines_shown = self._pieces_shown = None
        if source is None and self.region_map is not None:
            self.refresh()
        else:
            self._show()

    def _show_pieces(self) -> None:
        if self._controller is None:
            return
        names = {t.id for t in self._controller.plan.active.territories.values()}
        if self._unit_source is not None:
            if self._outlines_shown != {}:
                self._outlines_shown = {}
                self.marks.set_pieces({})
            pieces = {tid: count for tid, count in self._unit_source.pieces().items() if tid in names}
            if pieces != self._pieces_shown:
                self._pieces_shown = pieces
                self.panel.set_pieces(pieces)
            return
        outlines = {tid: paths for tid, paths in self._outlines.items()
                    if tid in names and self._pieces.get(tid, 1) > 1}
        key = {tid: tuple(map(id, paths)) for tid, paths in outlines.items()}
        if key != self._outlines_shown:  # the marks redraw their picture of the pieces: only when they changed
            self._outlines_shown = key
            self.marks.set_pieces(outlines)
        pieces = {tid: count for tid, count in self._pieces.items() if tid in names}
        if pieces != self._pieces_shown:  # the panel re-renders its table: only when a flag changed
            self._pieces_shown = pieces
            self.panel.set_pieces(pieces)

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
        colors = controller.color_map()
        if colors != self._colors_shown:
            self._colors_shown = dict(colors)  # a copy: the controller may hand out one dict it changes
            self.fills.set_colors(colors)
        if self._marks_later:
            return  # _after_built shows the names and the pieces
        names = {t.id: t.name for t in controller.plan.active.territories.values()}
        if self._unit_source is not None:
            placed = self._unit_source.labels()
            self._labels = {tid: (x, y) for tid, (x, y, _) in placed.items()}
            areas = {tid: area for tid, (_, _, area) in placed.items()}
        else:
            if self.region_map is not None:
                self._labels = self.region_map.label_points()
            areas = self._areas(self._labels)
        # Where names collide the larger territory's is shown, but the active one's always: it is the one being
        # edited, and its name vanishing after a lasso looked like a fault.
        active = controller.active
        self.marks.set_labels([(x, y, names[tid], math.inf if tid == active else areas.get(tid, 0.0))
                               for tid, (x, y) in self._labels.items() if tid in names])
        self._show_pieces()

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
