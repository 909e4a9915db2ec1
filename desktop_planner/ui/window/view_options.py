"""The map's territory layers in the window, and the menu entries that control them.

install(window) is the window's one call. It adds to the map the territory regions (with the border drag), the
reps' homes (with the home drag), the travel lines and the heat overlay, and re-attaches them to each project
opened (window.sessionChanged). View menu: territories as dots, regions or both; the heat overlay (potential,
workload or off); homes; travel lines of the active territory; whether gestures pick geography units (when the
project has a unit layer, drawn by ui/map/units_controller.py); a study-area layer to clip the regions to
(GeoPackage, Shapefile, GeoJSON...). Edit menu: the travel and workload settings.

The view choices are remembered between runs (the window's QSettings). A study-area layer belongs to the
project: it is stored in the project file (key "study_area", as WKB) so that the project opens with it. Like the
scenario shown, it is a view of the plan, not an edit of it, so it is no undo step.
"""

from __future__ import annotations

from pathlib import Path

import shapely
from PySide6.QtCore import QObject, QRectF
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QToolBar

from desktop_planner.io.study_area import StudyAreaError, read_study_area
from desktop_planner.store.opening import ProjectError
from desktop_planner.ui.map.border_drag_controller import BorderDragController
from desktop_planner.ui.map.plan_overlays import PlanOverlays
from desktop_planner.ui.map.regions_controller import RegionsController
from desktop_planner.ui.map.units_controller import UnitsController
from desktop_planner.ui.dialogs.settings_dialog import edit_settings
from desktop_planner.ui.dialogs.unit_layer_dialog import choose_unit_layer

SHOW_MODES = (("dots", "&Dots only"), ("regions", "&Regions only"), ("both", "Dots &and regions"))
HEAT_CHOICES = (("off", "&Off"), ("potential", "&Potential density"), ("workload", "&Workload density"))
STUDY_AREA_KEY = "study_area"
STUDY_AREA_FILTER = "Map layers (*.gpkg *.shp *.geojson *.json *.fgb *.kml *.gml);;All files (*)"


class ViewOptions(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.regions = RegionsController(window.map, window.panel)
        self.border_drag = BorderDragController(window.map, self.regions)
        self.overlays = PlanOverlays(window.map)
        self.units = UnitsController(window.map)
        self.units.shown.connect(self._units_shown)
        self.units.refreshed.connect(lambda: self.regions.set_unit_source(self.units if self.units.shapes is not None
                                                                          else None))
        self.units.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
        homes = self.overlays.homes
        self.regions.marks.avoid(lambda: [(h.x, h.y) for h in homes.homes().values()] if homes.isVisible() else [])
        legend = window.map.legend()
        self.regions.marks.set_covered(lambda: legend.panel_rect() if legend.isVisible() else QRectF())
        self.actions: dict[str, QAction] = {}
        # The window's Esc (a shortcut) ends a drag too, should it reach the window first.
        window.named_actions["cancel"].triggered.connect(self.border_drag.cancel)
        window.named_actions["cancel"].triggered.connect(self.overlays.dragger.cancel)
        self._build_menus()
        self._restore()
        window.sessionChanged.connect(self.attach)

    def attach(self) -> None:
        """A project was opened: draw its layers."""
        controller = self.window.controller
        self.border_drag.attach(controller)
        self.regions.attach(controller, self._stored_study_area())
        self.overlays.attach(controller)
        self.units.attach(controller)

    # -- menus ----------------------------------------------------------------------------------------------
    def _action(self, key: str, text: str, slot, checkable: bool = False, tip: str = "") -> QAction:
        action = QAction(text, self.window)
        action.setCheckable(checkable)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.actions[key] = self.window.named_actions[key] = action
        return action

    def _choice_menu(self, menu, prefix: str, choices, choose) -> None:
        """One checkable action per (key, text) choice, exclusive, named `prefix_key`; picking one calls
        `choose(key)`."""
        group = QActionGroup(self)
        for key, text in choices:
            action = self._action(f"{prefix}_{key}", text, lambda _=False, k=key: choose(k), True)
            group.addAction(action)
            menu.addAction(action)

    def _build_menus(self) -> None:
        view = self.window.menus["view"]
        view.addSeparator()
        self._choice_menu(view.addMenu("&Territories as"), "show", SHOW_MODES, self.show_territories_as)
        self._choice_menu(view.addMenu("&Heat overlay"), "heat", HEAT_CHOICES, self.set_heat)
        view.addAction(self._action("homes", "Rep &homes", self.set_homes, True,
                                    "House markers at the reps' homes (hollow: no home set, the medoid stands in)"))
        view.addAction(self._action("travel_lines", "&Travel lines of the active territory", self.set_travel_lines,
                                    True, "Lines from the active territory's home to each of its accounts"))
        view.addAction(self._action("unit_layer", "U&nit layer…", lambda: choose_unit_layer(self.window),
                                    tip="Align by geography: ZIP areas, counties, states or any polygon layer"))
        pick = self._action("pick_units", "Pick &units", self.set_pick_units, True,
                            "With a unit layer (ZIP areas, counties...): gestures pick whole units; off, accounts")
        pick.setShortcut("U")
        pick.setIconText("Units")
        pick.setEnabled(False)
        view.addAction(pick)
        toolbar = self.window.findChild(QToolBar, "tools")
        if toolbar is not None:
            toolbar.addSeparator()
            toolbar.addAction(pick)
        view.addSeparator()
        view.addAction(self._action("study_area", "&Study area layer…", self.choose_study_area,
                                    tip="Clip the territory regions to the polygons of a map layer"))
        view.addAction(self._action("study_area_default", "Study area: the accounts' &outline",
                                    lambda: self.set_study_area(None)))
        edit = self.window.menus["edit"]
        edit.addSeparator()
        edit.addAction(self._action("settings", "Travel and workload &settings…", self.edit_settings,
                                    tip="Stops a day, circuity, speed, balance tolerance and visit defaults"))

    def _restore(self) -> None:
        stored = self.window.settings
        mode = stored.value("view/territories_as", "both")
        self.show_territories_as(mode if mode in dict(SHOW_MODES) else "both")
        heat = stored.value("view/heat", "off")
        self.set_heat(heat if heat in dict(HEAT_CHOICES) else "off")
        self.set_homes(stored.value("view/homes", True, type=bool))
        self.set_travel_lines(stored.value("view/travel_lines", False, type=bool))
        self.set_pick_units(stored.value("view/pick_units", True, type=bool))

    # -- choices --------------------------------------------------------------------------------------------
    def show_territories_as(self, mode: str) -> None:
        """"dots", "regions" or "both"."""
        self.actions[f"show_{mode}"].setChecked(True)
        self.window.map.set_dots_visible(mode != "regions")
        self.regions.set_visible(mode != "dots")
        self.window.settings.setValue("view/territories_as", mode)

    def set_heat(self, measure: str) -> None:
        """"potential", "workload" or "off"."""
        self.actions[f"heat_{measure}"].setChecked(True)
        self.overlays.set_heat(None if measure == "off" else measure)
        self.regions.fills.set_faded(measure != "off")  # the heat reads clearly over faded fills
        self.window.settings.setValue("view/heat", measure)

    def set_homes(self, on: bool) -> None:
        self.actions["homes"].setChecked(bool(on))
        self.overlays.set_homes_visible(on)
        self.window.settings.setValue("view/homes", bool(on))

    def set_travel_lines(self, on: bool) -> None:
        self.actions["travel_lines"].setChecked(bool(on))
        self.overlays.set_travel_lines(on)
        self.window.settings.setValue("view/travel_lines", bool(on))

    def set_pick_units(self, on: bool) -> None:
        self.actions["pick_units"].setChecked(bool(on))
        self.units.set_pick_units(on)
        self.window.settings.setValue("view/pick_units", bool(on))

    def _units_shown(self, shown: bool) -> None:
        """Units drawn: they are the territories' areas, so the Voronoi fills and their border drag step aside."""
        self.actions["pick_units"].setEnabled(shown)
        self.regions.set_under_units(shown)
        self.regions.set_unit_source(self.units if shown else None)

    def edit_settings(self) -> None:
        if self.window.session is not None:
            edit_settings(self.window)

    # -- study area -----------------------------------------------------------------------------------------
    def choose_study_area(self) -> None:
        if self.window.session is None:
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Study area layer", "", STUDY_AREA_FILTER)
        if not path:
            return
        try:
            area = read_study_area(Path(path))
        except StudyAreaError as exc:
            self.window.show_error(str(exc))
            return
        self.set_study_area(area)

    def set_study_area(self, area: shapely.Geometry | None) -> None:
        """Clip the regions to `area` (None: the accounts' own outline) and remember it in the project."""
        session = self.window.session
        if session is None:
            return
        self.regions.set_study_area(area)
        if session.project is not None and not session.read_only:
            try:
                session.project.set_project_value(STUDY_AREA_KEY, "" if area is None else shapely.to_wkb(area, hex=True))
            except ProjectError as exc:
                self.window.statusBar().showMessage(f"The study area will not be remembered: {exc}", 8000)

    def _stored_study_area(self) -> shapely.Geometry | None:
        project = self.window.session.project
        stored = project.project_value(STUDY_AREA_KEY) if project is not None else None
        if not stored:
            return None
        try:
            return shapely.from_wkb(stored)
        except shapely.errors.GEOSException:  # damaged by hand: the accounts' outline will do
            return None


def install(window) -> ViewOptions:
    return ViewOptions(window)
