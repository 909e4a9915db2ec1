"""Starting from today's real plan: reps and an alignment from CSV, and the export -> import round trip."""

import numpy as np

from desktop_planner.cli import main
from desktop_planner.core.history import History
from desktop_planner.io.export import export_assignments
from desktop_planner.io.territory_import import alignment_from_csv, territories_from_csv
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
