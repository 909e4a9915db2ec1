"""The offline basemap: raster tiles from an MBTiles file, drawn under the dots.

Only the tiles that cover the view at the zoom level that suits the current scale are read, decoded and
kept in a small LRU cache, so opening a large tile set costs nothing until it is looked at. Tiles are muted
(lightened and partly desaturated) once, on decoding, so that territory colours stand out on them. A tile the
file lacks is drawn from the nearest coarser tile that exists, magnified. With no basemap the layer draws
nothing and the map stays fully usable.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from desktop_planner.core.geo import MERCATOR_RADIUS_M
from desktop_planner.io.mbtiles import MBTiles, MBTilesError
from desktop_planner.ui.map.screen_layer import LayerPicture, ScreenLayer

HALF_WORLD_M = math.pi * MERCATOR_RADIUS_M
TILE_PIXELS = 256
CACHE_TILES = 256  # about 64 MB of decoded tiles: a few screens' worth at any zoom
PARENT_LEVELS = 4  # how many coarser levels to try for a missing tile
LIGHTEN = 0.30
DESATURATE = 0.35
# Zoomed in beyond the file's deepest level, tiles blow up into blurry blocks (magnified labels above all):
# past SHARP_LEVELS extra levels they fade, to FADED_OPACITY, leaving the coastline and land use as context.
SHARP_LEVELS, FADE_LEVELS, FADED_OPACITY = 1.0, 2.0, 0.35


class BasemapLayer(ScreenLayer):
    def __init__(self, view_box) -> None:
        super().__init__(view_box, z=-10)
        self._tiles: MBTiles | None = None
        self._cache: OrderedDict[tuple[int, int, int], QImage | None] = OrderedDict()
        self.picture = LayerPicture()  # the tiles of this view, blended at their opacity: ~4 ms a paint

    def set_basemap(self, path: str | Path | None) -> None:
        """Show the tiles of an MBTiles file, or none. A bad file raises MBTilesError and changes nothing."""
        new = None
        if path is not None:
            new = MBTiles(path)
            if not new.is_raster:
                new.close()
                raise MBTilesError(f"{new.path}: holds {new.format!r} tiles; only raster tiles "
                                   "(png, jpg, webp) can be drawn as a basemap")
        if self._tiles is not None:
            self._tiles.close()
        self._tiles = new
        self._cache.clear()
        self.picture.invalidate()
        self.update()

    def path(self) -> Path | None:
        return None if self._tiles is None else self._tiles.path

    def attribution(self) -> str:
        return "" if self._tiles is None else self._tiles.attribution

    def zoom_for(self, pixels_per_metre: float) -> int:
        """The tile zoom whose tiles appear closest to their native 256 pixels, within what the file holds."""
        return int(min(self._tiles.max_zoom, max(self._tiles.min_zoom, round(_ideal_zoom(pixels_per_metre)))))

    def opacity_for(self, pixels_per_metre: float) -> float:
        beyond = _ideal_zoom(pixels_per_metre) - self._tiles.max_zoom - SHARP_LEVELS
        return max(FADED_OPACITY, 1.0 - max(0.0, beyond) * (1.0 - FADED_OPACITY) / FADE_LEVELS)

    def paint(self, painter, option, widget=None) -> None:
        if self._tiles is not None:
            self.picture.paint(painter, self, self._draw)

    def _draw(self, painter) -> None:
        left, top, width, height = self.device_rect(painter)
        if self._tiles is None or width <= 0 or height <= 0:
            return
        view = self.view_transform(painter)
        z = self.zoom_for(abs(view.sx))
        tile_m = 2 * HALF_WORLD_M / (1 << z)
        (x0, x1), (y0, y1) = (sorted(v) for v in zip(view.to_data(left, top), view.to_data(left + width, top + height)))
        last = (1 << z) - 1
        columns = range(max(0, int((x0 + HALF_WORLD_M) // tile_m)), min(last, int((x1 + HALF_WORLD_M) // tile_m)) + 1)
        rows = range(max(0, int((HALF_WORLD_M - y1) // tile_m)), min(last, int((HALF_WORLD_M - y0) // tile_m)) + 1)

        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.setOpacity(self.opacity_for(abs(view.sx)))
        for row in rows:
            # Edges are rounded once per grid line, so that neighbouring tiles meet without seams.
            top_px = round((HALF_WORLD_M - row * tile_m) * view.sy + view.ty)
            bottom_px = round((HALF_WORLD_M - (row + 1) * tile_m) * view.sy + view.ty)
            for column in columns:
                left_px = round((column * tile_m - HALF_WORLD_M) * view.sx + view.tx)
                right_px = round(((column + 1) * tile_m - HALF_WORLD_M) * view.sx + view.tx)
                found = self._tile_or_parent(z, column, row)
                if found is not None:
                    image, source = found
                    target = QRectF(left_px / view.dpr, top_px / view.dpr,
                                    (right_px - left_px) / view.dpr, (bottom_px - top_px) / view.dpr)
                    painter.drawImage(target, image, source)
        painter.restore()

    def _tile_or_parent(self, z: int, x: int, y: int) -> tuple[QImage, QRectF] | None:
        """The tile's image and the part of it to draw: all of it, or the matching corner of a coarser tile."""
        for up in range(0, min(PARENT_LEVELS, z - self._tiles.min_zoom) + 1):
            image = self._image(z - up, x >> up, y >> up)
            if image is not None:
                part = image.width() / (1 << up)
                mask = (1 << up) - 1
                return image, QRectF((x & mask) * part, (y & mask) * part, part, part)
        return None

    def _image(self, z: int, x: int, y: int) -> QImage | None:
        key = (z, x, y)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        data = self._tiles.tile(z, x, y)
        image = None if data is None else _muted(QImage.fromData(data))
        self._cache[key] = image
        if len(self._cache) > CACHE_TILES:
            self._cache.popitem(last=False)
        return image


def _ideal_zoom(pixels_per_metre: float) -> float:
    """The (fractional) zoom level at which 256-pixel tiles show at their native size."""
    return math.log2(max(pixels_per_metre * 2 * HALF_WORLD_M / TILE_PIXELS, 1e-9))


def _muted(image: QImage) -> QImage | None:
    """A lighter, greyer copy of a decoded tile, in the format QPainter blits fastest (None if undecodable)."""
    if image.isNull():
        return None
    image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    width, height = image.width(), image.height()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(height, image.bytesPerLine())
    pixels = raw[:, :width * 4].reshape(height, width, 4).astype(np.float32)
    colour, alpha = pixels[..., :3], pixels[..., 3:]
    colour += (alpha - colour) * LIGHTEN  # towards white; alpha is white's premultiplied value
    grey = colour @ np.array([0.114, 0.587, 0.299], dtype=np.float32)  # channels are stored B, G, R
    colour += (grey[..., None] - colour) * DESATURATE
    out = np.ascontiguousarray(np.rint(pixels).astype(np.uint8))
    return QImage(out.data, width, height, width * 4, QImage.Format.Format_ARGB32_Premultiplied).copy()
