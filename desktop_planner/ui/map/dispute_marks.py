"""Rings around the accounts reps disputed (the Disputes dock): red while the workshop has not decided,
grey once it has, and a larger ring around the one being discussed.

A few dozen to a few hundred rings, painted directly in screen pixels (a ring is the same size at every zoom) over
the dots and homes, under the region names and a stroke being drawn.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from desktop_planner.ui.map.screen_layer import ScreenLayer

OPEN_COLOR = QColor("#d32f2f")
DECIDED_COLOR = QColor(120, 126, 134, 200)
HALO = QColor(255, 255, 255, 220)  # under each ring: readable on any territory colour and on the basemap
RADIUS = 8.0  # pixels
CURRENT_RADIUS = 14.0


class DisputeMarks(ScreenLayer):
    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=25)  # over the dots (10) and homes (20), under the region names (30)
        self._x = self._y = np.zeros(0)
        self._open = np.zeros(0, dtype=bool)
        self._current: int | None = None
        self._scale = 1.0

    def set_marks(self, x: np.ndarray, y: np.ndarray, open_: np.ndarray, current: int | None = None) -> None:
        """Ring accounts at (x, y) map metres; `open_` per mark (False: decided); `current`: the index of the mark
        being discussed, or None."""
        ok = np.isfinite(x) & np.isfinite(y)
        self._x, self._y, self._open = np.asarray(x)[ok], np.asarray(y)[ok], np.asarray(open_, dtype=bool)[ok]
        self._current = None if current is None or not ok[current] else int(np.count_nonzero(ok[:current]))
        self.update()

    def set_size_scale(self, scale: float) -> None:
        """Larger rings in the workshop, seen from the back of the room."""
        self._scale = scale
        self.update()

    def count(self) -> tuple[int, int]:
        """(open, decided) marks drawn."""
        return int(self._open.sum()), int((~self._open).sum())

    def paint(self, painter, option, widget=None) -> None:
        if not len(self._x):
            return
        view = self.view_transform()
        px, py = view.to_pixels(self._x, self._y)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        s = self._scale
        for open_ in (False, True):  # decided first, the open ones over them
            for i in np.flatnonzero(self._open == open_).tolist():
                if i != self._current:
                    self._ring(painter, px[i], py[i], RADIUS * s, OPEN_COLOR if open_ else DECIDED_COLOR,
                               (2.4 if open_ else 1.6) * s)
        if self._current is not None:
            i = self._current
            color = OPEN_COLOR if self._open[i] else DECIDED_COLOR
            self._ring(painter, px[i], py[i], RADIUS * s, color, 2.4 * s)
            self._ring(painter, px[i], py[i], CURRENT_RADIUS * s, color, 3.0 * s)

    @staticmethod
    def _ring(painter, x: float, y: float, radius: float, color: QColor, width: float) -> None:
        centre = QPointF(float(x), float(y))
        painter.setPen(QPen(HALO, width + 2.2))
        painter.drawEllipse(centre, radius, radius)
        painter.setPen(QPen(color, width))
        painter.drawEllipse(centre, radius, radius)
