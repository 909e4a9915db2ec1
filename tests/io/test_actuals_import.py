"""Actuals and quotas from CSV and Excel (io/actuals_import.py): columns matched by name or --map, numbers and periods
read per column, every row accepted or rejected with its reason (kept with the import), rows of one key added up,
a re-import replacing the same keys, one undoable step each."""

import numpy as np
import pytest

from desktop_planner.core.commands import RecordIssues
from desktop_planner.core.history import History
from desktop_planner.io.account_import import AccountImportError
from desktop_planner.io.actuals_import import read_actuals, read_quotas
from desktop_planner.store.project import ProjectFile
from tests.conftest import make_plan


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, make_plan(n=20, k=2)).close()  # accounts A0000..A0019, reps 'Rep 1' and 'Rep 2'
    return path


def write(path, text: str, encoding: str = "utf-8"):
    path.write_text(text, encoding=encoding)
    return path


def test_bad_rows_are_kept_with_their_reasons_and_the_rest_is_one_undoable_step(project, tmp_path):
    source = write(tmp_path / "q1.csv", "Account ID,Period,Bookings,Visits,Rep\n"
                   "A0000,2026-Q1,1200.50,3,Rep 1\n"
                   "A0001,2026-Q1,800,2,Rep 2\n"
                   "NOPE,2026-Q1,5,1,Rep 1\n"
                   "A0002,next year,5,1,Rep 1\n"
                   "A0003,2026-Q1,-40,1,Rep 1\n"
                   "A0004,2026-Q1,lots,1,Rep 1\n"
                   "A0005,2026-Q1,10,two,Rep 1\n"
                   "A0006,2026-Q1,,,Rep 1\n"
                   ",2026-Q1,1,1,Rep 1\n"
                   "A0007,2026-Q1,1\n")
    with ProjectFile.open(project) as file:
        plan = file.load_plan(all_accounts=True)
        result = read_actuals(plan, source)
        assert (result.read, result.accepted, result.rejected) == (10, 2, 8)
        problems = {i.row_number: i.problem for i in result.issues}
        assert problems == {
            4: "account id 'NOPE' is not in the project",
            5: "'next year' is not a period: write 2026-Q1, 2026-03 or a date such as 2026-03-15",
            6: "bookings -40 is negative",
            7: "bookings 'lots' is not a number",
            8: "visits 'two' is not a number",
            9: "no bookings and no visits",
            10: "missing account id",
            11: "row has 3 fields, the header has 5"}
        assert next(i.raw for i in result.issues if i.row_number == 4) == "NOPE,2026-Q1,5,1,Rep 1"
        ids = plan.accounts.ids
        assert result.rows.values.tolist() == [[ids[0], "2026-Q1", "Rep 1", "Rep 1", 1200.5, 3.0, "q1.csv"],
                                               [ids[1], "2026-Q1", "Rep 2", "Rep 2", 800.0, 2.0, "q1.csv"]]
        history = History(plan, file)
        history.do(RecordIssues(result.command, source.name, result.issues))
        assert len(plan.records.table("actuals")) == 2
        with ProjectFile.open(project, read_only=True) as reader:  # as another session reads it
            assert len(reader.load_plan().records.table("actuals")) == 2
            kept = reader.conn.execute("SELECT row_number FROM import_issues WHERE source = 'q1.csv' "
                                       "ORDER BY row_number").fetchall()
            assert [r[0] for r in kept] == [4, 5, 6, 7, 8, 9, 10, 11]
            label = reader.conn.execute("SELECT label FROM changes ORDER BY id DESC LIMIT 1").fetchone()[0]
            assert label == "Import actuals 2026-Q1 from q1.csv"
        history.undo()
        assert len(plan.records.table("actuals")) == 0
    with ProjectFile.open(project, read_only=True) as file:
        assert len(file.load_plan().records.table("actuals")) == 0
        assert file.conn.execute("SELECT COUNT(*) FROM import_issues").fetchone()[0] == 8  # stay on record


def test_a_reimport_replaces_the_same_keys_and_keeps_the_others(project, tmp_path):
    first = write(tmp_path / "first.csv", "account,period,bookings,visits,rep\n"
                  "A0000,2026-Q1,100,1,Rep 1\nA0001,2026-Q1,200,1,Rep 2\nA0002,2026-Q1,300,1,Rep 1\n")
    fix = write(tmp_path / "fix.csv", "account,period,bookings,visits,rep\n"
                "A0000,2026-Q1,150,2,Rep 1\nA0003,2026-Q1,50,1,Rep 2\n")
    with ProjectFile.open(project) as file:
        plan = file.load_plan(all_accounts=True)
        history = History(plan, file)
        history.do(read_actuals(plan, first).command)
        result = read_actuals(plan, fix)
        assert result.replaced == 1 and "1 new, 1 replace the project's" in result.report()
        history.do(result.command)
        table = plan.records.table("actuals").sort_values("account_id")
        ids = plan.accounts.ids
        assert table[["account_id", "bookings", "source"]].values.tolist() == [
            [ids[0], 150.0, "fix.csv"], [ids[1], 200.0, "first.csv"], [ids[2], 300.0, "first.csv"],
            [ids[3], 50.0, "fix.csv"]]
        # --replace-periods: the periods the file holds are replaced whole.
        result = read_actuals(plan, fix, replace_periods=True)
        assert sorted(k[0] for k in result.delete) == [ids[1], ids[2]]
        history.do(result.command)
        assert sorted(plan.records.table("actuals")["account_id"]) == [ids[0], ids[3]]
        history.undo()
        history.undo()
        assert plan.records.table("actuals").sort_values("account_id")["bookings"].tolist() == [100.0, 200.0, 300.0]
    with ProjectFile.open(project, read_only=True) as file:
        assert sorted(file.load_plan().records.table("actuals")["bookings"]) == [100.0, 200.0, 300.0]


def test_deals_of_one_account_period_and_rep_are_added_up(project, tmp_path):
    # Single deals with their dates, German headers and decimal commas; --quarterly folds months into quarters.
    source = write(tmp_path / "deals.csv", "Kundennummer;Datum;Umsatz;Besuche;Vertreter;Betreuer\n"
                   "A0000;15.01.2026;1.000,50;1;Rep 1;Rep 1\n"
                   "A0000;20.03.2026;499,50;;Rep 1;Rep 1\n"
                   "A0000;02.04.2026;10;1;Rep 1;Rep 1\n"
                   "A0000;03.02.2026;;2;Rep 2;Rep 1\n", encoding="cp1252")
    with ProjectFile.open(project, read_only=True) as file:
        plan = file.load_plan()
        result = read_actuals(plan, source, quarterly=True)
        assert result.columns == {"external_id": "Kundennummer", "period": "Datum", "bookings": "Umsatz",
                                  "visits": "Besuche", "owner": "Betreuer", "rep": "Vertreter"}
        assert result.rejected == 0 and result.summed == 1
        rows = result.rows.sort_values(["period", "rep"])
        # 1.000,50 + 499,50 in Q1 (one visit: a missing figure adds nothing); Rep 2's visits have no bookings.
        assert rows[["period", "rep", "owner", "visits"]].values.tolist() == [
            ["2026-Q1", "Rep 1", "Rep 1", 1.0], ["2026-Q1", "Rep 2", "Rep 1", 2.0], ["2026-Q2", "Rep 1", "Rep 1", 1.0]]
        assert rows["bookings"].iloc[0] == 1500.0 and np.isnan(rows["bookings"].iloc[1])
        assert rows["bookings"].iloc[2] == 10.0
        assert any("added up" in note for note in result.notes)
        monthly = read_actuals(plan, source)
        assert sorted(monthly.rows["period"]) == ["2026-01", "2026-02", "2026-03", "2026-04"]


def test_the_owner_defaults_to_the_rep_and_columns_can_be_mapped(project, tmp_path):
    source = write(tmp_path / "odd.csv", "Cust,When,Amt,Who\nA0000,2026-03,70,Rep 2\nA0001,2026-03,30,\n")
    with ProjectFile.open(project, read_only=True) as file:
        plan = file.load_plan()
        with pytest.raises(AccountImportError, match="no column for external_id"):
            read_actuals(plan, source)
        result = read_actuals(plan, source, {"external_id": "Cust", "period": "When", "bookings": "Amt",
                                             "rep": "Who"})
        assert result.rows[["rep", "owner"]].values.tolist() == [["Rep 2", "Rep 2"], ["", None]]
        with pytest.raises(AccountImportError, match="no column 'Nope'"):
            read_actuals(plan, source, {"external_id": "Nope"})


def test_excel_files_and_their_dates(project, tmp_path):
    import datetime

    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Account Number", "Close Date", "Amount", "Owner"])
    sheet.append(["A0000", datetime.datetime(2026, 5, 14), 1234.5, "Rep 1"])
    sheet.append(["A0001", datetime.datetime(2026, 6, 30), 100, "Rep 2"])
    path = tmp_path / "deals.xlsx"
    book.save(path)
    with ProjectFile.open(project, read_only=True) as file:
        result = read_actuals(file.load_plan(), path, quarterly=True)
    assert result.rejected == 0
    assert result.rows[["period", "bookings", "rep", "owner"]].values.tolist() == [
        ["2026-Q2", 1234.5, "", "Rep 1"], ["2026-Q2", 100.0, "", "Rep 2"]]


def test_quotas_by_rep_id_email_name_or_territory(project, tmp_path):
    with ProjectFile.open(project) as file:
        plan = file.load_plan()
        territories = plan.active.territories
        first, second = list(territories)
        source = write(tmp_path / "quotas.csv", "Sales Rep,Quarter,Quota (USD)\n"
                       "Rep 1,2026-Q1,\"$1,000\"\n"
                       "T2,Q1 2026,2000\n"
                       "rep 2,2026-Q2,50\n"
                       "rep 2,2026-Q2,25\n"
                       "Nobody,2026-Q1,5\n"
                       "Rep 1,2026-Q1,-5\n"
                       "Rep 1,2026-Q3,\n")
        result = read_quotas(plan, source)
        assert {i.row_number: i.problem for i in result.issues} == {
            6: "rep 'Nobody' is not the rep of any territory (match by rep id, e-mail, name or territory name)",
            7: "quota -5 is negative", 8: "missing quota"}
        assert result.rows.values.tolist() == [[0, "Rep 1", "2026-Q1", 1000.0, "imported"],
                                               [0, "Rep 2", "2026-Q1", 2000.0, "imported"],
                                               [0, "Rep 2", "2026-Q2", 75.0, "imported"]]
        History(plan, file).do(RecordIssues(result.command, source.name, result.issues))
        assert territories[first].rep_name == "Rep 1" and territories[second].rep_name == "Rep 2"
    with ProjectFile.open(project, read_only=True) as file:
        assert len(file.load_plan().records.table("quotas")) == 3
