"""`desktop-planner units`, `export --what units` and unit-keyed `import --alignment` on the Northeast demo."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from desktop_planner.cli import main
from desktop_planner.io import zip_cells

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo_northeast.tplan"


@pytest.fixture(scope="module", autouse=True)
def zip_cache(tmp_path_factory):
    """One ZIP cell cache for the module: the Northeast's cells are built once (a few seconds), not per test."""
    folder = tmp_path_factory.mktemp("zip_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(zip_cells, "default_cache_dir", lambda: folder)
        yield folder


def demo_copy(folder: Path, name: str, unassigned: bool = False) -> Path:
    path = folder / name
    shutil.copyfile(DEMO, path)
    if unassigned:  # a fresh start: every account without a territory (the territories stay)
        conn = sqlite3.connect(path)
        conn.execute("UPDATE assignments SET territory_id = NULL")
        conn.commit()
        conn.close()
    return path


def assignments(path: Path) -> dict[str, str | None]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT a.external_id, t.name FROM assignments s JOIN accounts a ON a.id = s.account_id "
                        "LEFT JOIN territories t ON t.id = s.territory_id").fetchall()
    conn.close()
    return dict(rows)


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def round_trip(tmp_path, capsys, *layer) -> tuple[Path, Path, Path, str]:
    """Set the layer with --follow, export the routing list, import it into an unassigned copy."""
    original = demo_copy(tmp_path, "original.tplan")
    code, out, _ = run(capsys, "units", original, "--layer", *layer, "--follow")
    assert code == 0, out
    routing = tmp_path / "units.csv"
    assert run(capsys, "export", original, "--what", "units", "--out", routing)[0] == 0
    fresh = demo_copy(tmp_path, "fresh.tplan", unassigned=True)
    assert run(capsys, "units", fresh, "--layer", *layer)[0] == 0
    code, out, err = run(capsys, "import", fresh, "--alignment", routing)
    assert code == 0, err
    return original, fresh, routing, out


def test_counties_place_every_account_and_keep_the_plan(tmp_path, capsys):
    path = demo_copy(tmp_path, "demo.tplan")
    before = assignments(path)
    code, out, _ = run(capsys, "units", path, "--layer", "us-counties", "--keep-exceptions")
    assert code == 0
    assert "accounts placed: 5,000 of 5,000" in out and "not placed" not in out
    assert "exceptions (named accounts keeping their own territory): 283" in out
    assert assignments(path) == before  # with --keep-exceptions the layer adds meaning and moves nobody
    assert (tmp_path / "demo.tplan.v1.bak").exists()  # migrated (1 -> 3) after a backup copy
    code, out, _ = run(capsys, "units", path)  # read-only: the layer as stored
    assert code == 0 and "us-counties" in out and "5,000 of 5,000" in out


def test_county_routing_list_round_trips(tmp_path, capsys):
    original, fresh, routing, out = round_trip(tmp_path, capsys, "us-counties")
    assert "0 rows rejected" in out
    assert assignments(fresh) == assignments(original)
    with open(routing, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["unit_id", "unit_name", "territory", "rep_name", "accounts", "potential",
                             "workload_hours"]
    # Every county routes somewhere: those without accounts took the territory of a neighbouring county.
    assert all(r["territory"] for r in rows)
    from desktop_planner.core.units import unit_adjacency
    from desktop_planner.store.project import ProjectFile
    project = ProjectFile.open(original, read_only=True)
    layer = project.load_plan().units.layer
    project.close()
    territory = {r["unit_id"]: r["territory"] for r in rows}
    neighbours: dict[str, set[str]] = {}
    for a, b in unit_adjacency(layer).tolist():
        neighbours.setdefault(layer.ids[a], set()).add(territory[layer.ids[b]])
        neighbours.setdefault(layer.ids[b], set()).add(territory[layer.ids[a]])
    empty = [r["unit_id"] for r in rows if r["accounts"] == "0"]
    assert len(empty) > 20 and all(territory[u] in neighbours[u] for u in empty)
    assert sum(int(r["accounts"]) for r in rows) == 5000
    kings = next(r for r in rows if r["unit_id"] == "36047")
    assert kings["unit_name"] == "Kings, NY" and kings["territory"]


def test_zip_routing_list_round_trips_and_says_approximate(tmp_path, capsys):
    original, fresh, routing, out = round_trip(tmp_path, capsys, "us-zip")
    assert "0 rows rejected" in out
    assert assignments(fresh) == assignments(original)
    with open(routing, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[-1] == "approximate" and {r["approximate"] for r in rows} == {"yes"}
    code, shown, _ = run(capsys, "units", original)
    assert "APPROXIMATE" in shown

    # The same list after a spreadsheet dropped the leading zeros: mended, and the plan is the same again.
    stripped = tmp_path / "stripped.csv"
    with open(stripped, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ZIP", "Territory"])
        writer.writerows([r["unit_id"].lstrip("0"), r["territory"]] for r in rows)
    again = demo_copy(tmp_path, "again.tplan", unassigned=True)
    assert run(capsys, "units", again, "--layer", "us-zip")[0] == 0
    code, out, _ = run(capsys, "import", again, "--alignment", stripped)
    assert code == 0 and "unit ids mended (leading zeros a spreadsheet dropped put back): 1001 → 01001" in out
    assert assignments(again) == assignments(original)


def test_geopackage_layer_round_trips(tmp_path, capsys):
    # A 1° grid over the Northeast (with the sea): every demo account lies in one of its cells.
    boxes, codes, names = [], [], []
    for i, lon in enumerate(range(-81, -66)):
        for j, lat in enumerate(range(38, 48)):
            boxes.append(shapely.box(lon, lat, lon + 1, lat + 1))
            codes.append(f"C{i:02d}{j:02d}")
            names.append(f"Cell {lon},{lat}")
    layer = tmp_path / "grid.gpkg"
    gpd.GeoDataFrame({"cell": codes, "title": names}, geometry=boxes, crs="EPSG:4326").to_file(layer, driver="GPKG")
    original, fresh, _, out = round_trip(tmp_path, capsys, layer, "--id-column", "cell", "--name-column", "title")
    assert "0 rows rejected" in out
    assert assignments(fresh) == assignments(original)


def test_bad_layer_file_and_unknown_column_exit_2(tmp_path, capsys):
    path = demo_copy(tmp_path, "demo.tplan")
    code, _, err = run(capsys, "units", path, "--layer", tmp_path / "missing.gpkg")
    assert code == 2 and "missing.gpkg: no such file" in err
    (tmp_path / "junk.geojson").write_text("this is not GeoJSON")
    code, _, err = run(capsys, "units", path, "--layer", tmp_path / "junk.geojson", "--id-column", "id")
    assert code == 2 and "junk.geojson: cannot be read as a map layer" in err
    gpd.GeoDataFrame({"code": ["A"], "label": ["a"]}, geometry=[shapely.box(-80, 40, -79, 41)],
                     crs="EPSG:4326").to_file(tmp_path / "one.gpkg", driver="GPKG")
    code, _, err = run(capsys, "units", path, "--layer", tmp_path / "one.gpkg", "--id-column", "FIPS")
    assert code == 2 and "no column 'FIPS' for the unit id (the layer has: code, label)" in err
    code, _, err = run(capsys, "units", path, "--layer", "us-counties", "--id-column", "GEOID")
    assert code == 2 and "not us-counties" in err
    code, _, err = run(capsys, "export", path, "--what", "units", "--out", tmp_path / "u.csv")
    assert code == 2 and "has no unit layer" in err


def test_unknown_unit_keys_are_rejected_with_reasons_and_kept(tmp_path, capsys):
    path = demo_copy(tmp_path, "demo.tplan")
    assert run(capsys, "units", path, "--layer", "us-counties")[0] == 0
    alignment = tmp_path / "fips.csv"
    alignment.write_text("FIPS,Territory\n36047,NE-07 New York\n99999,NE-07 New York\n36047,NE-01 Pittsburgh\n"
                         "6037,NE-01 Pittsburgh\n", encoding="utf-8")
    code, out, _ = run(capsys, "import", path, "--alignment", alignment)
    assert code == 0 and "3 rows rejected" in out
    assert "'99999' is not a unit of the project's layer (us-counties)" in out
    assert "unit 36047 is listed twice with different territories" in out
    # 6037 (Los Angeles, with its zero lost) is a county, but not of this layer's states.
    assert "'6037' is not a unit" in out
    conn = sqlite3.connect(path)
    problems = [r[0] for r in conn.execute("SELECT problem FROM import_issues WHERE source = 'fips.csv'")]
    conn.close()
    assert len(problems) == 3


def test_a_unit_keyed_alignment_without_a_layer_says_what_to_do(tmp_path, capsys):
    path = demo_copy(tmp_path, "demo.tplan")
    alignment = tmp_path / "zips.csv"
    alignment.write_text("ZIP,Territory\n07201,NE-07 New York\n", encoding="utf-8")
    code, _, err = run(capsys, "import", path, "--alignment", alignment)
    assert code == 2 and "keyed by 'ZIP', a geography unit, but the project has no unit layer" in err
    code, _, err = run(capsys, "import", path)
    assert code == 2 and "needs an accounts file, or --reps or --alignment" in err


def test_by_default_accounts_follow_their_unit(tmp_path, capsys):
    path = demo_copy(tmp_path, "demo.tplan")
    code, out, _ = run(capsys, "units", path, "--layer", "us-counties")
    assert code == 0
    assert "283 accounts moved to follow their unit's territory" in out
    assert "exceptions (named accounts keeping their own territory): 0" in out
