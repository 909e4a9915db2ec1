"""The Salesforce Enterprise Territory Management export on the bundled demo: every column of every file, the
second pass that fills in the territories' Ids, and the input it refuses."""

import csv
import shutil

import pytest

from desktop_planner.core.commands import EditTerritory
from desktop_planner.core.history import History
from desktop_planner.core.model import UNASSIGNED
from desktop_planner.io.crm_export import export_crm
from desktop_planner.io.export import ExportError
from desktop_planner.store.project import ProjectFile
from tests.conftest import DEMO_PROJECT, make_plan

MODEL_ID, TYPE_ID = "0MA5g000000XyZaGAK", "0M55g000000AbCdCAK"


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "demo.tplan"
    shutil.copyfile(DEMO_PROJECT, path)
    return path


def demo_plan(path):
    with ProjectFile.open(path, read_only=True) as project:
        return project.load_plan()


def test_every_file_and_column_on_the_demo(demo, tmp_path):
    plan = demo_plan(demo)
    scenario = plan.active
    out = tmp_path / "crm"
    paths = export_crm(plan, scenario, out, "salesforce-etm")
    assert [p.name for p in paths] == ["Territory2.csv", "ObjectTerritory2Association.csv",
                                       "UserTerritory2Association.csv", "README.txt"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # nothing half-written left

    header, rows = read(out / "Territory2.csv")
    assert header == ["DeveloperName", "Name", "Territory2ModelId", "Territory2TypeId"]
    names = [t.name for t in scenario.territories.values()]
    assert [r[1] for r in rows] == names
    assert rows[6] == ["NE_07_New_York", "NE-07 New York", "FILL_IN_Territory2ModelId", "FILL_IN_Territory2TypeId"]
    assert [r[0] for r in rows] == [n.replace("-", "_").replace(" ", "_") for n in names]
    code_of = {t.id: r[0] for t, r in zip(scenario.territories.values(), rows)}

    header, rows = read(out / "ObjectTerritory2Association.csv")
    assert header == ["ObjectId", "Territory2Id", "AssociationCause"]
    assert [r[0] for r in rows] == plan.accounts.external_id.tolist()  # every account is assigned in the demo
    assert [r[1] for r in rows] == [f"FILL_IN_Territory2Id_{code_of[t]}" for t in scenario.assignment.tolist()]
    assert {r[2] for r in rows} == {"Territory2Manual"}

    header, rows = read(out / "UserTerritory2Association.csv")
    assert header == ["UserId", "Territory2Id"]
    assert rows == [[f"FILL_IN_UserId_{t.rep_name}", f"FILL_IN_Territory2Id_{code_of[t.id]}"]
                    for t in scenario.territories.values()]

    readme = (out / "README.txt").read_text(encoding="utf-8")
    order = ["Insert Territory2.csv", "--territory-ids", "Insert ObjectTerritory2Association.csv",
             "Insert UserTerritory2Association.csv", "then activate it"]
    assert [readme.index(step) for step in order] == sorted(readme.index(step) for step in order)
    assert "Territory2ModelId is a FILL_IN_Territory2ModelId placeholder" in readme
    assert "5,000 of 5,000 account ids do not look like Salesforce Account Ids" in readme
    assert "12 territories have a rep but no rep id" in readme


def test_second_pass_fills_every_id(demo, tmp_path):
    """After Territory2.csv is loaded, Data Loader's success file gives each territory its Id: the export run again
    with it leaves no placeholder in the association files."""
    with ProjectFile.open(demo) as project:  # a writer: the demo is migrated to the current schema
        plan = project.load_plan()
        history = History(plan, project)
        for n, tid in enumerate(plan.active.territories, start=1):
            history.do(EditTerritory(plan.active.id, tid, rep_id=f"0055g0000User{n:02d}AAA"))
    plan = demo_plan(demo)
    scenario = plan.active
    first = tmp_path / "first"
    export_crm(plan, scenario, first, "salesforce-etm", model_id=MODEL_ID, type_id=TYPE_ID)
    _, territories = read(first / "Territory2.csv")
    assert {(r[2], r[3]) for r in territories} == {(MODEL_ID, TYPE_ID)}
    success = tmp_path / "success.csv"  # as Data Loader writes it: the new Id first, the loaded columns, a status
    with open(success, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ID", "DEVELOPERNAME", "NAME", "TERRITORY2MODELID", "TERRITORY2TYPEID", "STATUS"])
        for n, row in enumerate(territories, start=1):
            writer.writerow([f"0MI5g0000Terr{n:02d}AAA", *row, "Item Created"])
    territory_sf_id = {tid: f"0MI5g0000Terr{n:02d}AAA" for n, tid in enumerate(scenario.territories, start=1)}

    second = tmp_path / "second"
    export_crm(plan, scenario, second, "salesforce-etm", model_id=MODEL_ID, type_id=TYPE_ID, territory_ids=success)
    _, accounts = read(second / "ObjectTerritory2Association.csv")
    assert [r[1] for r in accounts] == [territory_sf_id[t] for t in scenario.assignment.tolist()]
    _, users = read(second / "UserTerritory2Association.csv")
    assert users == [[t.rep_id, territory_sf_id[t.id]] for t in scenario.territories.values()]
    readme = (second / "README.txt").read_text(encoding="utf-8")
    assert "FILL_IN" not in "".join(p.read_text() for p in second.glob("*.csv"))
    assert "Done: Territory2Id was filled from success.csv" in readme
    assert "rep id" not in readme.split("Check before loading:")[1]


def test_unassigned_accounts_and_territories_without_rep_are_left_out(tmp_path):
    plan = make_plan(n=10, k=3, unassigned=2)
    scenario = plan.active
    scenario.territories[3] = scenario.territories[3].with_changes(rep_name=None)
    out = tmp_path / "crm"
    export_crm(plan, scenario, out, "salesforce-etm")
    _, accounts = read(out / "ObjectTerritory2Association.csv")
    assert [r[0] for r in accounts] == plan.accounts.external_id[scenario.assignment != UNASSIGNED].tolist()
    _, users = read(out / "UserTerritory2Association.csv")
    assert [r[1] for r in users] == ["FILL_IN_Territory2Id_T1", "FILL_IN_Territory2Id_T2"]
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "2 accounts have no territory" in readme and "1 territories have no rep" in readme


def test_refused_input(tmp_path, plan):
    scenario = plan.active
    with pytest.raises(ExportError, match="unknown CRM format 'hubspot'"):
        export_crm(plan, scenario, tmp_path / "a", "hubspot")
    a_file = tmp_path / "taken.csv"
    a_file.write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        export_crm(plan, scenario, a_file, "salesforce-etm")
    with pytest.raises(ExportError, match="not a Salesforce Id"):
        export_crm(plan, scenario, tmp_path / "b", "salesforce-etm", model_id="my model")
    ids = tmp_path / "ids.csv"
    ids.write_text("Territory,Id\nT1,0MI5g0000Terr01AAA\n")
    with pytest.raises(ExportError, match="needs the columns Id and DeveloperName"):
        export_crm(plan, scenario, tmp_path / "c", "salesforce-etm", territory_ids=ids)
    scenario.territories[1] = scenario.territories[1].with_changes(code="9_Lives")
    with pytest.raises(ExportError, match="'9_Lives' must begin with a letter"):
        export_crm(plan, scenario, tmp_path / "d", "salesforce-etm")
    scenario.territories.clear()
    scenario.assignment[:] = UNASSIGNED
    with pytest.raises(ExportError, match="has no territories"):
        export_crm(plan, scenario, tmp_path / "e", "salesforce-etm")
    assert not any((tmp_path / d).exists() for d in "abcde")  # nothing created for refused input
