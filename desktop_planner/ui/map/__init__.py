"""The map canvas: account dots over an offline basemap, with selection gestures (see view.MapView)."""

from desktop_planner.ui.map.view import MapView

__all__ = ["MapView"]
