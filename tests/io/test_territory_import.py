"""Starting from today's real plan: reps and an alignment from CSV, and the export -> import round trip."""

import numpy as np
import pytest

from desktop_planner.cli import main
from desktop_planner.core.history import History
from desktop_planner.io.export import export_assignments
from desktop_planner.io.territory_import import (alignment_from_csv, import_alignment, import_reps,
                                                 territories_from_csv)
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


def test_reps_csv_adds_and_updates_territories(tmp_path, plan):
    path = tmp_path / "reps.csv"
    path.write_text("Territory,Rep,Home ZIP,Capacity,Region,Home Lat,Home Lon\n"
                    "T1,Ann Lee,,1500,North,,\n"
                    "Columbus East,Bo Chan,43215,1600,South,,\n"
                    "Bad,Cy,,-3,South,,\n"
                    "Typed,Di,,,,40.1,-82.9\n")
    command, issues = territories_from_csv(plan, plan.active, path)
    History(plan).do(command)
    by_name = {t.name: t for t in plan.active.territories.values()}
    assert by_name["T1"].rep_name == "Ann Lee" and by_name["T1"].capacity_hours == 1500
    assert by_name["Columbus East"].home_lat is not None and abs(by_name["Columbus East"].home_lat - 39.96) < 0.1
    assert by_name["Typed"].home_lon == -82.9
    assert [i.row_number for i in issues] == [4] and "capacity" in issues[0].problem


def test_alignment_csv_assigns_and_creates_territories(tmp_path, plan):
    path = tmp_path / "align.csv"
    path.write_text("Account ID,Territory\nA0000,T2\nA0001,Brand New\nZZZ,T1\nA0000,T3\n")
    command, issues = alignment_from_csv(plan, plan.active, path)
    History(plan).do(command)
    names = {t.id: t.name for t in plan.active.territories.values()}
    assert names[int(plan.active.assignment[0])] == "T2"
    assert names[int(plan.active.assignment[1])] == "Brand New"
    assert sorted(i.row_number for i in issues) == [4, 5]


def test_export_then_import_gives_the_same_plan(tmp_path, capsys):
    plan = make_plan(n=60, k=3)
    source = tmp_path / "source.tplan"
    ProjectFile.create(source, plan).close()
    accounts_csv = tmp_path / "accounts.csv"
    # The accounts as a CRM would have them, then today's alignment as exported for the CRM.
    a = plan.accounts
    lines = ["id,name,lat,lon,potential,segment"] + [
        f"{a.external_id[i]},{a.name[i]},{float(a.lat[i])!r},{float(a.lon[i])!r},{float(a.potential[i])!r},"
        f"{a.segment[i] or ''}" for i in range(len(a))]
    accounts_csv.write_text("\n".join(lines) + "\n")
    alignment_csv = tmp_path / "alignment.csv"
    export_assignments(plan, plan.active, alignment_csv)
    target = tmp_path / "copy.tplan"
    assert main(["import", str(target), str(accounts_csv), "--alignment", str(alignment_csv)]) == 0
    copy = ProjectFile.open(target).load_plan()
    np.testing.assert_array_equal(copy.accounts.lat, a.lat)
    np.testing.assert_array_equal(copy.accounts.potential, a.potential)
    names = lambda p: [p.active.territories[t].name for t in p.active.assignment.tolist()]  # noqa: E731
    assert names(copy) == names(plan)


def test_cli_refresh_reports_missing_accounts(tmp_path, capsys):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=10)).close()
    csv_path = tmp_path / "new.csv"
    csv_path.write_text("id,lat,lon\nA0000,40,-83\nNEW,41,-83\n")
    assert main(["import", str(path), str(csv_path)]) == 0
    out = capsys.readouterr().out
    assert "1 new accounts" in out and "9 accounts are not in the file: kept" in out
    assert len(ProjectFile.open(path).load_plan().accounts) == 11
    assert main(["import", str(path), str(csv_path), "--remove-missing"]) == 0
    assert len(ProjectFile.open(path).load_plan().accounts) == 2


def test_cli_import_bad_inputs(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["import", str(tmp_path / "p.tplan"), str(empty)]) == 2
    assert "empty" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lat,lon\n1,95,0\n")
    assert main(["import", str(tmp_path / "p.tplan"), str(bad)]) == 2
    assert "no account could be imported" in capsys.readouterr().err
    assert not (tmp_path / "p.tplan").exists()
    assert main(["import", str(tmp_path / "p.tplan"), str(bad), "--map", "nope=lat"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err


CRM_REPS = ("Territory,Territory Code,Rep,Rep ID,E-mail,Home Zip Code,Capacity (hrs/yr),Region,Quota\n"
            "Columbus East,COL_E,Ann Lee,0051x000001AbCdAAA,ann.lee@example.com,43215,\"1,600\",Central,9\n"
            "T2,,Bo Chan,E-1002,bo@example.com,,1500,North,\n")


def test_reps_from_a_crm_export_keep_home_zip_capacity_and_crm_keys(tmp_path, plan):
    """The columns a CRM writes ("Home Zip Code", "Capacity (hrs/yr)", "Rep ID", "E-mail", "Territory Code") all
    land; the one nothing matches is named in a notice instead of vanishing."""
    path = tmp_path / "reps.csv"
    path.write_text(CRM_REPS)
    result = import_reps(plan, plan.active, path)
    assert result.columns == {"name": "Territory", "code": "Territory Code", "rep_name": "Rep", "rep_id": "Rep ID",
                              "rep_email": "E-mail", "home_zip": "Home Zip Code",
                              "capacity_hours": "Capacity (hrs/yr)", "region": "Region"}
    assert result.issues == [] and result.unused == ["Quota"]
    assert result.notes == ["1 column not used: 'Quota' (the names match no field of a reps file)"]
    History(plan).do(result.command)
    east = plan.active.territory_by_name("Columbus East")
    assert (east.code, east.rep_id, east.rep_email) == ("COL_E", "0051x000001AbCdAAA", "ann.lee@example.com")
    assert east.capacity_hours == 1600 and east.region == "Central"
    assert abs(east.home_lat - 39.96) < 0.05 and abs(east.home_lon + 83.0) < 0.05  # the ZIP's centroid
    t2 = plan.active.territory_by_name("T2")
    assert (t2.rep_name, t2.rep_id, t2.capacity_hours, t2.code) == ("Bo Chan", "E-1002", 1500, None)
    assert t2.home_lon is not None  # a row without a ZIP keeps the home it had


@pytest.mark.parametrize("header", [
    "Territory;Home ZIP;Kapazität;Employee ID;Email;Region",
    "territory;postal_code;CAPACITY HOURS;user id;e-mail;REGION",
    "Territory;Postal code;Capacity hours;User Id;E-Mail;region",
])
def test_reps_header_spellings_and_decimal_commas(tmp_path, plan, header):
    path = tmp_path / "reps.csv"
    path.write_text(f"{header}\nNorth;10027;1.600,5;4711;n@example.com;East\n", encoding="utf-8")
    result = import_reps(plan, plan.active, path)
    assert set(result.columns) == {"name", "home_zip", "capacity_hours", "rep_id", "rep_email", "region"}
    History(plan).do(result.command)
    north = plan.active.territory_by_name("North")
    assert (north.capacity_hours, north.rep_id, north.rep_email) == (1600.5, "4711", "n@example.com")
    assert abs(north.home_lat - 40.81) < 0.05  # New York 10027


def test_each_column_reads_decimals_its_own_way(tmp_path, plan):
    """A tab-separated file with German capacities and English coordinates: each column is read as written."""
    path = tmp_path / "reps.tsv"
    path.write_text("Territory\tCapacity\tHome Lat\tHome Lon\nWest\t1.250,5\t40.25\t-83.5\n")
    result = import_reps(plan, plan.active, path)
    History(plan).do(result.command)
    west = plan.active.territory_by_name("West")
    assert (west.capacity_hours, west.home_lat, west.home_lon) == (1250.5, 40.25, -83.5)


def test_reps_map_puts_a_column_the_guess_missed_to_use(tmp_path, plan):
    path = tmp_path / "reps.csv"
    path.write_text(CRM_REPS)
    result = import_reps(plan, plan.active, path, overrides={"capacity_hours": "Quota"})
    assert result.columns["capacity_hours"] == "Quota" and result.unused == ["Capacity (hrs/yr)"]
    History(plan).do(result.command)
    assert plan.active.territory_by_name("Columbus East").capacity_hours == 9


def test_reps_found_by_code_are_renamed_and_bad_keys_rejected(tmp_path, plan):
    """The CRM's code is the key: a row with a known code updates that territory even under a new name; a code or
    e-mail the CRM would not take rejects the row with the reason."""
    path = tmp_path / "reps.csv"
    path.write_text("Territory Code,Territory,Email\n"
                    "T1,Columbus North,\n"  # T1's code, made from its name
                    "T 3,Bad Code,\n"
                    "NEW_1,Brand New,not-an-address\n"
                    "T2,Twice,\n"
                    "T2,Twice again,\n")
    result = import_reps(plan, plan.active, path)
    problems = {i.row_number: i.problem for i in result.issues}
    assert set(problems) == {3, 4, 6}
    assert "letters A-Z, digits and underscores" in problems[3]
    assert "does not look like an e-mail address" in problems[4]
    assert "appears twice (first on row 5)" in problems[6]
    History(plan).do(result.command)
    assert plan.active.territories[1].name == "Columbus North" and plan.active.territories[1].code == "T1"
    assert plan.active.territories[2].name == "Twice"


def test_alignment_locked_column_locks_in_the_same_undo_step(tmp_path, plan):
    path = tmp_path / "align.csv"
    path.write_text("Account ID,Territory,Locked\nA0000,T2,yes\nA0001,T3,x\nA0002,T1,No\nA0003,T1,\n"
                    "A0004,T1,maybe\n")
    result = import_alignment(plan, plan.active, path)
    assert [(i.row_number, i.problem) for i in result.issues] == [
        (6, "locked must be yes/no, true/false, 1/0 or x, got 'maybe'")]
    assert "locks: 2 accounts locked, 2 not locked" in result.notes
    plan.active.locked[2] = True  # unlocked by the file's "No"
    assignment, locked = plan.active.assignment.copy(), plan.active.locked.copy()
    history = History(plan)
    history.do(result.command)
    assert plan.active.locked[:4].tolist() == [True, True, False, False]
    assert [plan.active.territories[t].name for t in plan.active.assignment[:4]] == ["T2", "T3", "T1", "T1"]
    history.undo()  # one step takes back territories and locks together
    assert np.array_equal(plan.active.assignment, assignment) and np.array_equal(plan.active.locked, locked)


def test_alignment_by_territory_code_only(tmp_path, plan):
    path = tmp_path / "align.csv"
    path.write_text("Account ID,Territory Code\nA0000,T3\nA0001,NE_99\n")
    result = import_alignment(plan, plan.active, path)
    History(plan).do(result.command)
    assert plan.active.territories[int(plan.active.assignment[0])].name == "T3"
    created = plan.active.territories[int(plan.active.assignment[1])]
    assert (created.name, created.code) == ("NE_99", "NE_99")


def test_alignment_notes_columns_it_leaves_out(tmp_path, plan):
    path = tmp_path / "align.csv"
    path.write_text("Account ID,Territory,Owner Email\nA0000,T2,x@example.com\n")
    result = import_alignment(plan, plan.active, path)
    assert result.unused == ["Owner Email"]
    assert "1 column not used: 'Owner Email'" in result.notes[0]
