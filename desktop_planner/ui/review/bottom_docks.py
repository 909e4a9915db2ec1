"""The room under the map: the review docks (coverage, scores, KPIs, disputes) share it as tabs, start hidden, and
are shown from the View menu."""

from __future__ import annotations

from PySide6.QtCore import Qt


def add_bottom_dock(window, dock, beside):
    """Put `dock` under the map as a tab beside `beside`, hidden, with its toggle in View; returns the dock."""
    window.addDockWidget(Qt.BottomDockWidgetArea, dock)
    window.tabifyDockWidget(beside, dock)
    dock.hide()
    window.menus["view"].addAction(dock.toggleViewAction())
    return dock
