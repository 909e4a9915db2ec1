"""Reps' homes, travel lines and the heat overlay in the window, and the home drag turned into a command.

All three are drawn from the committed figures after each redraw of the GestureController (its panel has just
shown them, so they are not computed twice). Dragging a home previews its travel and workload in the panel as
the marker moves (MeasureEngine.measures(homes=...)), with the travel lines following; the drop commits ONE
EditTerritory(home_lon=, home_lat=); Esc puts the marker back.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from desktop_planner.core.commands import EditTerritory
from desktop_planner.core.geo import lonlat_to_mercator, mercator_to_lonlat
from desktop_planner.ui.map.heat_layer import HeatLayer
from desktop_planner.ui.map.homes_layer import Home, HomeDragger, HomesLayer
from desktop_planner.ui.map.travel_lines import TravelLines

HEAT_MEASURES = {"potential": "Potential per km²", "workload": "Workload hours per km²"}
EMPTY = np.empty(0)


class PlanOverlays(QObject):
    def __init__(self, map_view) -> None:
        super().__init__(map_view)
        self.map = map_view
        self.homes = HomesLayer(map_view.view_box)
        self.dragger = HomeDragger(map_view, self.homes)
        self.travel = TravelLines(map_view.view_box)
        self.heat = HeatLayer(map_view)
        self.controller = None
        self.travel_on = False
        self.heat_measure: str | None = None  # a key of HEAT_MEASURES, None for no heat
        self._measures = None  # the committed figures last drawn
        self.dragger.homeDragged.connect(self._home_dragged)
        self.dragger.homeDropped.connect(self._home_dropped)
        self.dragger.dragCancelled.connect(self._drag_cancelled)

    def attach(self, controller) -> None:
        """A project was opened."""
        self.dragger.cancel()
        self.controller = controller
        controller.redraw_listeners.append(self._on_redraw)
        controller.activeChanged.connect(self._on_active)
        self._measures = controller.session.engine.measures()
        self._draw_homes()
        self._draw_travel()
        self._draw_heat()

    # -- options --------------------------------------------------------------------------------------------
    def set_homes_visible(self, on: bool) -> None:
        self.homes.setVisible(bool(on))

    def set_travel_lines(self, on: bool) -> None:
        self.travel_on = bool(on)
        self._draw_travel()

    def set_heat(self, measure: str | None) -> None:
        if measure is not None and measure not in HEAT_MEASURES:
            raise ValueError(f"no heat overlay of {measure!r} (choose from {', '.join(HEAT_MEASURES)})")
        self.heat_measure = measure
        self._draw_heat()

    # -- following the plan ---------------------------------------------------------------------------------
    def _on_redraw(self, dirty: set[str]) -> None:
        self.dragger.cancel()  # e.g. an undo while a home is held: the marker must show the plan again
        self._measures = self.controller.panel.displayed()  # the committed figures the controller just showed
        self._draw_homes()
        self._draw_travel()
        if "accounts" in dirty or self.heat_measure == "workload":
            self._draw_heat()

    def _on_active(self, territory_id) -> None:
        self.homes.set_active(territory_id)
        self._draw_travel()

    def _draw_homes(self) -> None:
        m = self._measures
        colors = self.controller.color_map()
        x, y = lonlat_to_mercator(m.home_lon, m.home_lat)
        self.homes.set_homes([Home(tid, float(x[i]), float(y[i]), colors.get(tid, "#888888"),
                                   bool(m.home_is_medoid[i]))
                              for i, tid in enumerate(m.territory_ids.tolist())
                              if np.isfinite(x[i]) and np.isfinite(y[i])])  # an empty territory has no medoid
        self.homes.set_active(self.controller.active)

    def _draw_travel(self) -> None:
        """Lines from the active territory's home (as drawn: it may be being dragged) to its accounts."""
        controller = self.controller
        active = None if controller is None else controller.active
        home = self.homes.homes().get(active)
        if not self.travel_on or home is None:
            self.travel.set_lines(None, EMPTY, EMPTY)
            return
        plan = controller.plan
        rows = np.flatnonzero(plan.active.assignment == active)
        self.travel.set_lines((home.x, home.y), plan.accounts.x[rows], plan.accounts.y[rows], home.color)

    def _draw_heat(self) -> None:
        if self.heat_measure is None or self.controller is None:
            self.heat.clear()
            return
        accounts = self.controller.plan.accounts
        weights = accounts.potential if self.heat_measure == "potential" else self._measures.account_workload_hours
        self.heat.set_data(accounts.x, accounts.y, weights, HEAT_MEASURES[self.heat_measure])

    # -- the home drag --------------------------------------------------------------------------------------
    def _home_dragged(self, territory_id: int, x: float, y: float) -> None:
        lon, lat = mercator_to_lonlat(x, y)
        engine = self.controller.session.engine
        self.controller.show_preview(engine.measures(homes={territory_id: (float(lon), float(lat))}))
        self._draw_travel()

    def _home_dropped(self, territory_id: int, x: float, y: float) -> None:
        lon, lat = mercator_to_lonlat(x, y)
        scenario = self.controller.plan.active
        # Rounded as a home typed in the dialog would be: 6 decimals is ~0.1 m.
        self.controller.do(EditTerritory(scenario.id, territory_id, home_lon=round(float(lon), 6),
                                         home_lat=round(float(lat), 6)))

    def _drag_cancelled(self) -> None:
        self.controller.show_committed()
        self._draw_travel()
