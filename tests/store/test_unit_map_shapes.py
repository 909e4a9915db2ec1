"""The unit layer's map shapes are built once per layer and kept in the cache folder: a reopening memory-maps
them; a damaged entry is built anew; a plan without a file gets them as temporary files."""

from __future__ import annotations

import numpy as np

from desktop_planner.core.unit_shapes import unspill_shapes
from desktop_planner.store.project import ProjectFile
from desktop_planner.store.unit_map_shapes import MANIFEST, map_shapes, portable_layer


def test_shapes_are_kept_per_layer_and_reused(counties_demo, tmp_path):
    cache = tmp_path / "cache"
    first = unspill_shapes(map_shapes(str(counties_demo), None, cache_dir=cache))
    entries = list((cache / "unit_shapes").iterdir())
    assert len(entries) == 1 and (entries[0] / MANIFEST).is_file()
    again = unspill_shapes(map_shapes(str(counties_demo), None, cache_dir=cache))
    assert isinstance(again.points, np.memmap)  # read from the cache, not built
    assert np.array_equal(first.points, again.points, equal_nan=True)
    assert np.array_equal(first.fills[0].xy, again.fills[0].xy) and np.array_equal(first.edges, again.edges)
    assert list(again.ids) == list(first.ids)


def test_a_damaged_entry_is_built_anew(counties_demo, tmp_path):
    cache = tmp_path / "cache"
    map_shapes(str(counties_demo), None, cache_dir=cache)
    entry = next((cache / "unit_shapes").iterdir())
    (entry / MANIFEST).write_bytes(b"not a pickle")
    shapes = unspill_shapes(map_shapes(str(counties_demo), None, cache_dir=cache))
    assert len(shapes) == 360 and shapes.unit_at(*shapes.points[0]) == 0


def test_a_plan_without_a_file_gets_temporary_files(counties_demo, tmp_path):
    project = ProjectFile.open(counties_demo, read_only=True)
    try:
        layer = project.load_plan().units.layer
    finally:
        project.close()
    (tmp_path / "spill").mkdir()
    shapes = map_shapes(portable_layer(layer), str(tmp_path / "spill"), cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists() and any((tmp_path / "spill").iterdir())
    assert len(unspill_shapes(shapes)) == len(layer)
