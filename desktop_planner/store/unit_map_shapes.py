"""The child-process side of drawing a project's unit layer: read the layer from the project file (read-only, the
window keeps the writer lock) and build its map shapes (core.unit_shapes), handed back as files."""

from __future__ import annotations

from desktop_planner.core.unit_shapes import UnitShapes, build_unit_shapes, spill_shapes
from desktop_planner.core.units import UnitLayer


def map_shapes(source, folder: str | None, progress=None) -> UnitShapes | None:
    """`source`: a project file's path (its active layer) or a UnitLayer (a plan not saved in a file)."""
    if isinstance(source, UnitLayer):
        layer = source
    else:
        from desktop_planner.store.loading import read_unit_layer
        from desktop_planner.store.project import ProjectFile
        project = ProjectFile.open(source, read_only=True)
        try:
            layer = read_unit_layer(project.conn)
        finally:
            project.close()
    if layer is None:
        return None
    return spill_shapes(build_unit_shapes(layer, progress), folder)


def portable_layer(layer: UnitLayer) -> UnitLayer:
    """A copy of the layer that pickles (its polygons as an array, no cached index), for a child process."""
    return UnitLayer(layer.kind, layer.source, layer.ids, layer.names, layer.geometries, layer.area_km2,
                     layer.parents, layer.approximate, layer.id_column, layer.name_column)
