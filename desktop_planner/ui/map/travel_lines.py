"""Travel lines: a straight line from a territory's home to each of its accounts, under the dots.

They show what the travel figures measure (DESIGN.md: each visit is a round trip from home shared among the
stops of a day), and make a badly placed home obvious. One territory at a time, the active one: fifty
territories' worth would hide the map. The lines are one QPainterPath in map coordinates, rebuilt when the
territory, its accounts or its home change, and stroked with a 1-pixel pen on every paint (~1 ms for 2,000).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPainterPath, QPen

from desktop_planner.ui.map.screen_layer import PathLayer

LINE_ALPHA = 150


class TravelLines(PathLayer):
    def __init__(self, view_box) -> None:
        # Over the regions and the heat raster, under the dots.
        super().__init__(view_box, z=5, pen=QPen(QColor(0, 0, 0, LINE_ALPHA), 1.0))

    def set_lines(self, home: tuple[float, float] | None, x: np.ndarray, y: np.ndarray, color: str = "#000000") -> None:
        """Lines from `home` to the points (x, y); no home or no points: nothing."""
        finite = np.isfinite(x) & np.isfinite(y)
        x, y = np.asarray(x)[finite], np.asarray(y)[finite]
        if home is None or not np.all(np.isfinite(home)) or len(x) == 0:
            self._path, self._count = QPainterPath(), 0
        else:
            # Pairs of points (home, account): pyqtgraph packs them into a path in one call.
            xs = np.column_stack((np.full(len(x), home[0]), x)).ravel()
            ys = np.column_stack((np.full(len(y), home[1]), y)).ravel()
            self._path, self._count = pg.arrayToQPath(xs, ys, connect="pairs", finiteCheck=False), len(x)
        line = QColor(color).darker(160)  # the territory's colour, dark enough to show over its own region
        line.setAlpha(LINE_ALPHA)
        self._pen.setColor(line)
        self.update()

    def line_count(self) -> int:
        return self._count
