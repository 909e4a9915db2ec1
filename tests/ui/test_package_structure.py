"""ui/ in rooms a newcomer finds (DESIGN.md layout) and no import circles between its modules."""

from pathlib import Path

import grimp

import desktop_planner.ui as ui_package

ROOMS = {"map", "panel", "dialogs", "review", "workshop", "jobs", "window"}


def test_ui_is_in_rooms():
    root = Path(ui_package.__file__).parent
    flat = sorted(p.stem for p in root.glob("*.py") if p.stem != "__init__")
    assert flat == ["app"], f"modules outside a room: {flat}"
    assert ROOMS <= {p.name for p in root.iterdir() if (p / "__init__.py").exists()}


def test_no_import_circles_in_ui():
    graph = grimp.build_graph("desktop_planner")
    ui = [m for m in graph.modules if m.startswith("desktop_planner.ui")]
    circles = sorted({tuple(sorted((m, i))) for m in ui for i in graph.find_modules_directly_imported_by(m)
                      if i.startswith("desktop_planner.ui") and i != m
                      and graph.find_shortest_chain(importer=i, imported=m)})
    assert not circles, f"import circles: {circles}"
