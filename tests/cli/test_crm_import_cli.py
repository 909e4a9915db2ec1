"""`import --reps/--alignment` as a CRM admin uses it: each file's columns are printed, columns left out are named
with the option that puts them to use, and an alignment exported with codes and locks comes back the same."""

import csv
import hashlib

import numpy as np

from desktop_planner.cli import main
from desktop_planner.core.commands import EditTerritory, SetLock
from desktop_planner.core.history import History
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reps_columns_are_printed_and_a_dropped_one_is_named(tmp_path, capsys):
    project = tmp_path / "p.tplan"
    ProjectFile.create(project, make_plan(n=20, k=3)).close()
    reps = tmp_path / "reps.csv"
    reps.write_text("Territory,Home Zip Code,Capacity (hrs/yr),Annual Hours Budget\nT1,43215,1500,1400\n")
    assert main(["import", str(project), "--reps", str(reps)]) == 0
    out = capsys.readouterr().out
    assert ("columns used: 'Territory' -> name, 'Home Zip Code' -> home_zip, 'Capacity (hrs/yr)' -> "
            "capacity_hours") in out
    assert "1 column not used: 'Annual Hours Budget'" in out
    assert "--reps-map 'COLUMN=FIELD'" in out
    assert main(["import", str(project), "--reps", str(reps), "--reps-map", "Annual Hours Budget=capacity_hours"]) == 0
    assert "'Annual Hours Budget' -> capacity_hours" in capsys.readouterr().out
    with ProjectFile.open(project, read_only=True) as reader:
        assert reader.load_plan().active.territory_by_name("T1").capacity_hours == 1400


def test_bad_map_options_change_nothing(tmp_path, capsys):
    project = tmp_path / "p.tplan"
    ProjectFile.create(project, make_plan(n=20, k=3)).close()
    before = digest(project)
    align = tmp_path / "align.csv"
    align.write_text("Account ID,Territory\nA0000,T2\n")
    for options, message in ((["--alignment-map", "Territory=rep"], "unknown field 'rep'"),
                             (["--alignment-map", "Region=territory"], "no column 'Region'"),
                             (["--alignment-map", "Territory"], "takes COLUMN=FIELD"),
                             (["--reps-map", "Territory=name"], "--reps, which was not given")):
        assert main(["import", str(project), "--alignment", str(align), *options]) == 2
        assert message in capsys.readouterr().err
    assert digest(project) == before


def test_alignment_export_comes_back_with_codes_and_locks(tmp_path, capsys):
    source = tmp_path / "source.tplan"
    ProjectFile.create(source, make_plan(n=30, k=3)).close()
    with ProjectFile.open(source) as project:
        plan = project.load_plan()
        history = History(plan, project)
        history.do(EditTerritory(1, 1, code="OH_CMH", rep_id="0055g0000User01AAA"))
        history.do(SetLock(1, [0, 5, 7], True))
        accounts = tmp_path / "accounts.csv"
        with open(accounts, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "lat", "lon"])
            writer.writerows(zip(plan.accounts.external_id, plan.accounts.lat.tolist(), plan.accounts.lon.tolist()))
    alignment = tmp_path / "alignment.csv"
    assert main(["export", str(source), "--out", str(alignment), "--what", "assignments"]) == 0
    header = alignment.read_text().splitlines()[0]
    assert header == "account_id,name,territory,territory_code,rep,rep_id,rep_email,region,locked"

    copy = tmp_path / "copy.tplan"
    assert main(["import", str(copy), str(accounts), "--alignment", str(alignment)]) == 0
    out = capsys.readouterr().out
    assert ("columns used: 'account_id' -> external_id, 'territory' -> territory, 'territory_code' -> "
            "territory_code, 'locked' -> locked") in out
    assert "locks: 3 accounts locked, 27 not locked" in out
    with ProjectFile.open(copy, read_only=True) as reader:
        copied = reader.load_plan().active
    names = lambda s: [s.territories[t].name for t in s.assignment.tolist()]  # noqa: E731
    assert names(copied) == names(plan.active)
    assert copied.territory_by_name("T1").code == "OH_CMH"
    assert np.flatnonzero(copied.locked).tolist() == [0, 5, 7]


def test_alignment_map_reads_a_crm_file_with_other_names(tmp_path, capsys):
    project = tmp_path / "p.tplan"
    ProjectFile.create(project, make_plan(n=20, k=3)).close()
    align = tmp_path / "align.csv"
    align.write_text("Acct,Sales Territory,Keep\nA0000,T3,yes\n")
    assert main(["import", str(project), "--alignment", str(align), "--alignment-map", "Acct=external_id",
                 "--alignment-map", "Sales Territory=territory", "--alignment-map", "Keep=locked"]) == 0
    assert "'Acct' -> external_id, 'Sales Territory' -> territory, 'Keep' -> locked" in capsys.readouterr().out
    with ProjectFile.open(project, read_only=True) as reader:
        scenario = reader.load_plan().active
    assert scenario.territories[int(scenario.assignment[0])].name == "T3" and scenario.locked[0]
