"""Faint outlines of the other teams' territories, under everything the team shown draws.

One QPainterPath in map coordinates (rings separated by breaks), stroked with a dashed 1.5-pixel cosmetic pen: it
stays thin at every zoom and costs about a millisecond a paint.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainterPath, QPen

from desktop_planner.ui.map.screen_layer import PathLayer

OUTLINE_COLOR = QColor(70, 78, 90, 130)


class TeamOutlines(PathLayer):
    def __init__(self, view_box) -> None:
        # Over the basemap and regions, under travel lines and dots.
        super().__init__(view_box, z=4, pen=QPen(OUTLINE_COLOR, 1.5, Qt.PenStyle.DashLine))

    def set_rings(self, rings: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Each ring as (xs, ys) in map metres; an empty list draws nothing."""
        if rings:
            xs = np.concatenate([np.append(x, np.nan) for x, _ in rings])
            ys = np.concatenate([np.append(y, np.nan) for _, y in rings])
            self._path = pg.arrayToQPath(xs, ys, connect="finite")
        else:
            self._path = QPainterPath()
        self._count = len(rings)
        self.update()

    def ring_count(self) -> int:
        return self._count
