"""The child-process side of drawing a project's unit layer: read the layer from the project file (read-only, the
window keeps the writer lock) and build its map shapes (core.unit_shapes), handed back as files.

Building takes seconds (~11 s for the ~30k US ZIP areas), so the shapes of a layer are kept in the user's cache
folder, named by a digest of the layer's ids and polygons: reopening a project, or another project with the same
layer, memory-maps them at once. The newest KEEP_LAYERS layers are kept (~40-140 MB each).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path

from desktop_planner.core.region_cells import Spilled
from desktop_planner.core.unit_shapes import SHAPES_VERSION, UnitShapes, build_unit_shapes, spill_shapes
from desktop_planner.core.units import UnitLayer

KEEP_LAYERS = 6
MANIFEST = "shapes.pickle"


def map_shapes(source, folder: str | None, progress=None, cache_dir: Path | None = None) -> UnitShapes | None:
    """`source`: a project file's path (its active layer, cached) or a UnitLayer (a plan not saved in a file;
    spilled to `folder`)."""
    if isinstance(source, UnitLayer):
        return spill_shapes(build_unit_shapes(source, progress), folder)
    from desktop_planner.store.loading import read_unit_layer
    from desktop_planner.store.project import ProjectFile
    project = ProjectFile.open(source, read_only=True)
    try:
        layer = read_unit_layer(project.conn)
        digest = _digest(project.conn) if layer is not None else None
    finally:
        project.close()
    if layer is None:
        return None
    if cache_dir is None:
        from desktop_planner.io.zip_cells import default_cache_dir
        cache_dir = default_cache_dir()
    entry = Path(cache_dir) / "unit_shapes" / digest
    kept = _read(entry)
    if kept is not None:
        os.utime(entry)  # most recently used: pruned last
        return kept
    shapes = build_unit_shapes(layer, progress)
    try:
        return _write(entry, shapes)
    except OSError:  # no cache folder to write in (read-only home, full disk): handed over as temporary files
        return spill_shapes(shapes, folder)


def _digest(conn) -> str:
    """The layer's identity: its kind, ids and polygons as stored, and how shapes are built."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"v{SHAPES_VERSION}".encode())
    for (kind, source) in conn.execute("SELECT kind, source FROM unit_layers"):
        h.update(f"{kind}\0{source}\0".encode())
    for unit_id, name, geometry in conn.execute("SELECT id, name, geometry FROM units ORDER BY position"):
        h.update(f"{unit_id}\0{name}\0".encode())
        h.update(geometry or b"")
    return h.hexdigest()


def _read(entry: Path) -> UnitShapes | None:
    """The shapes kept in `entry`, their files named where they are now (the folder was renamed into place)."""
    try:
        with open(entry / MANIFEST, "rb") as fh:
            shapes = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None
    if not isinstance(shapes, UnitShapes):
        return None
    for owner, name in _spilled_fields(shapes):
        value = getattr(owner, name)
        if not isinstance(value, Spilled) or not (entry / Path(value.path).name).is_file():
            return None
        value.path = str(entry / Path(value.path).name)
    return shapes


def _spilled_fields(shapes: UnitShapes):
    for ragged in (*shapes.fills, *shapes.lines):
        for name in ("xy", "connect", "start"):
            yield ragged, name
    for name in ("edges", "points", "radius", "bounds"):
        yield shapes, name


def _write(entry: Path, shapes: UnitShapes) -> UnitShapes:
    """Spill into a fresh folder beside the entry, then rename it into place (a reader never sees half of it)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        with open(building / MANIFEST, "wb") as fh:
            pickle.dump(spill_shapes(shapes, str(building)), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(building, entry)
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
        if _read(entry) is None:  # unless another window wrote the same entry meanwhile: that one will do
            raise
    _prune(entry.parent)
    kept = _read(entry)
    if kept is None:
        raise OSError(f"{entry}: the kept unit shapes cannot be read back")
    return kept


def _prune(folder: Path) -> None:
    entries = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_LAYERS:]:
        shutil.rmtree(old, ignore_errors=True)


def portable_layer(layer: UnitLayer) -> UnitLayer:
    """A copy of the layer that pickles (its polygons as an array, no cached index), for a child process."""
    return UnitLayer(layer.kind, layer.source, layer.ids, layer.names, layer.geometries, layer.area_km2,
                     layer.parents, layer.approximate, layer.id_column, layer.name_column)
