"""The import wizard and the File menu's imports and exports, driven page by page as a user would."""

from __future__ import annotations

import csv
import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from desktop_planner.io import account_import
from desktop_planner.io.account_import import read_accounts
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.dialogs import import_wizard
from desktop_planner.ui.dialogs.new_project import empty_plan
from desktop_planner.ui.dialogs.import_wizard import CONFIRM, MAPPING, READING, REPORT, ImportAccountsWizard
from desktop_planner.ui.window.main_window import MainWindow
from tests.conftest import make_plan

# Semicolons and decimal commas; row 4 has no id, row 6 an impossible latitude, row 7 a bad potential, and A4 has
# only a ZIP code (placed at its centre). "Owner note" maps to no field.
ACCOUNTS_CSV = """Account ID;Company;Latitude;Longitude;Revenue;ZIP;Owner note
A1;Alpha Hardware;40,10;-83,00;1.200,50;;key account
A2;Beta Foods;41,50;-81,70;800;;
;No Id Inc;40,0;-82,0;5;;
A4;Zip Only Ltd;;;300;43215;new
A5;Bad Lat;95;-82;100;;
A6;Gamma;39,10;-84,50;abc;;
A7;Delta;39,20;-84,40;2.500;;
"""


def open_window(qtbot, path, plan):
    ProjectFile.create(path, plan).close()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.load_project(path)
    return win


@pytest.fixture
def empty_window(qtbot, tmp_path, messages):
    return open_window(qtbot, tmp_path / "empty.tplan", empty_plan("Empty"))


@pytest.fixture
def window(qtbot, tmp_path, messages):
    return open_window(qtbot, tmp_path / "plan.tplan", make_plan(60, 3, seed=2))


@pytest.fixture
def accounts_csv(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_CSV, encoding="utf-8")
    return path


def refresh_csv(window, path, drop: int = 1, new: int = 2):
    """The project's own accounts minus the first `drop`, one with a new potential, plus `new` new ones."""
    a = window.session.plan.accounts
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["account_id", "name", "lat", "lon", "potential", "segment", "industry", "zip"])
        for i in range(drop, len(a)):
            potential = a.potential[i] * (3 if i == drop else 1)
            out.writerow([a.external_id[i], a.name[i], a.lat[i], a.lon[i], potential, a.segment[i] or "",
                          a.industry[i] or "", a.postcode[i] or ""])
        for i in range(new):
            out.writerow([f"NEW-{i}", f"Newco {i}", 40.5 + i / 10, -82.5, 1000, "", "", ""])
    return path


def start_wizard(window, qtbot, path, mapping=None) -> ImportAccountsWizard:
    """File and mapping pages filled in, the read started."""
    wizard = ImportAccountsWizard(window)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.choose(path)
    assert wizard.file_page.isComplete()
    wizard.next()
    assert wizard.currentId() == MAPPING
    for field, column in (mapping or {}).items():
        wizard.mapping_page.choose(field, column)
    assert wizard.mapping_page.isComplete(), wizard.mapping_page.error.text()
    wizard.next()
    return wizard


def run_wizard(window, qtbot, path, mapping=None) -> ImportAccountsWizard:
    wizard = start_wizard(window, qtbot, path, mapping)
    qtbot.waitUntil(lambda: wizard.currentId() in (CONFIRM, REPORT), timeout=20_000)
    return wizard


def stored(window, table: str) -> int:
    return window.session.project.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_wizard_imports_a_csv_into_an_empty_project(empty_window, qtbot, accounts_csv, tmp_path, monkeypatch):
    expected = read_accounts(accounts_csv)
    wizard = run_wizard(empty_window, qtbot, accounts_csv)
    assert wizard.currentId() == REPORT  # an empty project needs no confirmation
    plan = empty_window.session.plan
    assert sorted(plan.accounts.external_id.tolist()) == ["A1", "A2", "A4", "A7"]
    assert (plan.active.assignment == -1).all()
    assert plan.accounts.potential[plan.accounts.external_id.tolist().index("A1")] == pytest.approx(1200.5)
    assert '"Owner note": "key account"' in plan.accounts.attrs[0]  # an unmapped column kept as an attribute
    figures = {key: label.text() for key, label in wizard.report_page.figures.items()}
    assert figures == {"read": f"{expected.read}", "accepted": f"{expected.accepted}",
                       "geocoded": f"{expected.geocoded}", "rejected": f"{expected.rejected}", "blank": "0"}
    assert (expected.read, expected.accepted, expected.geocoded, expected.rejected) == (7, 4, 1, 3)
    problems = [wizard.report_page.problems.item(i).text() for i in range(wizard.report_page.problems.count())]
    assert problems == [f"row {i.row_number}: {i.problem}" for i in expected.issues]
    assert len(empty_window.controller.selection) == 4  # the new accounts are selected on the map
    assert stored(empty_window, "import_issues") == 3

    out = tmp_path / "rejected.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    wizard.report_page.export.click()
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert [r[2] for r in rows[1:]] == ["4", "6", "7"] and rows[1][3] == "missing account id"

    empty_window.controller.undo()
    assert len(empty_window.session.plan.accounts) == 0


@pytest.mark.parametrize("remove", [False, True])
def test_refresh_keeps_missing_accounts_unless_ticked_and_undo_restores(window, qtbot, tmp_path, remove):
    plan = window.session.plan
    before_ids = plan.accounts.external_id.copy()
    before_assignment = plan.active.assignment.copy()
    wizard = run_wizard(window, qtbot, refresh_csv(window, tmp_path / "refresh.csv"), {"postcode": "zip"})
    assert wizard.currentId() == CONFIRM
    page = wizard.confirm_page
    assert "<b>2</b> new accounts" in page.summary.text() and "<b>1</b> accounts updated" in page.summary.text()
    assert page.missing.count() == 1 and page.missing.item(0).text().startswith(before_ids[0])
    assert not page.remove.isChecked() and page.remove.text() == "&Remove these 1 accounts from the project"
    page.remove.setChecked(remove)
    wizard.next()
    assert wizard.currentId() == REPORT

    ids = window.session.plan.accounts.external_id.tolist()
    assert (before_ids[0] in ids) is not remove
    assert ids[-2:] == ["NEW-0", "NEW-1"]
    assert (window.session.plan.active.assignment[-2:] == -1).all()
    assert window.controller.selection.tolist() == [len(ids) - 2, len(ids) - 1]
    kept = slice(1, None) if remove else slice(None)
    assert np.array_equal(window.session.plan.active.assignment[:-2], before_assignment[kept])
    assert window.session.history.undo_labels()[0] == "Refresh accounts from refresh.csv"

    window.controller.undo()
    assert np.array_equal(window.session.plan.accounts.external_id, before_ids)
    assert np.array_equal(window.session.plan.active.assignment, before_assignment)


def test_cancel_while_reading_leaves_the_project_as_it_was(window, qtbot, tmp_path, monkeypatch):
    reading = threading.Event()

    def slow_read(path, overrides=None, encoding="auto", delimiter=None, progress=None):
        reading.set()
        for _ in range(100_000):  # as a long file does: progress until told to stop
            if progress(0.5, "Reading row 20,000") is False:
                raise account_import.ImportCancelled()
            threading.Event().wait(0.001)
        raise AssertionError("the read was never cancelled")

    monkeypatch.setattr(import_wizard, "read_accounts", slow_read)
    counts = {table: stored(window, table) for table in ("accounts", "changes", "import_issues")}
    ids = window.session.plan.accounts.external_id.copy()
    wizard = start_wizard(window, qtbot, refresh_csv(window, tmp_path / "refresh.csv"))
    assert wizard.currentId() == READING
    qtbot.waitUntil(lambda: reading.is_set() and wizard.reading_page.bar.value() == 500)
    wizard.reject()  # the wizard's Cancel
    qtbot.waitUntil(lambda: not import_wizard._running)
    assert np.array_equal(window.session.plan.accounts.external_id, ids)
    assert window.session.history.undo_labels() == []
    assert {table: stored(window, table) for table in counts} == counts


def test_cancel_at_the_confirmation_changes_nothing(window, qtbot, tmp_path):
    ids = window.session.plan.accounts.external_id.copy()
    wizard = run_wizard(window, qtbot, refresh_csv(window, tmp_path / "refresh.csv"))
    assert wizard.currentId() == CONFIRM
    wizard.reject()
    assert np.array_equal(window.session.plan.accounts.external_id, ids)
    assert window.session.history.undo_labels() == [] and stored(window, "import_issues") == 0


def test_back_during_the_read_cancels_it_and_keeps_the_mapping(window, qtbot, tmp_path):
    wizard = start_wizard(window, qtbot, refresh_csv(window, tmp_path / "refresh.csv"), {"postcode": "zip"})
    wizard.back()
    assert wizard.currentId() == MAPPING and wizard.mapping_page.mapping()["postcode"] == "zip"
    qtbot.waitUntil(lambda: not import_wizard._running)
    assert window.session.history.undo_labels() == []


def test_file_page_shows_what_it_detected_and_takes_overrides(empty_window, qtbot, accounts_csv, tmp_path):
    wizard = ImportAccountsWizard(empty_window)
    qtbot.addWidget(wizard)
    page = wizard.file_page
    page.choose(accounts_csv)
    assert page.delimiter.itemText(0) == "Automatic — semicolon"
    assert "7 columns, semicolon-separated; decimal commas" in page.detected.text()
    assert page.preview.rowCount() == 7 and page.preview.horizontalHeaderItem(1).text() == "Company"
    page.delimiter.setCurrentIndex(page.delimiter.findData(","))  # wrong on purpose: one column
    assert wizard.info.header == [ACCOUNTS_CSV.splitlines()[0]]
    page.choose(tmp_path / "missing.csv")
    assert not page.isComplete() and "no such file" in page.detected.text()


def test_mapping_page_explains_an_unusable_mapping(empty_window, qtbot, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("code,title,latitude,lng_wgs84,size\nX1,One,40,-83,big\n", encoding="utf-8")
    wizard = ImportAccountsWizard(empty_window)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.choose(path)
    wizard.next()
    page = wizard.mapping_page
    assert not page.isComplete()
    assert page.error.text() == "Choose the column that holds the Account id (required)."
    page.choose("external_id", "code")
    assert page.error.text() == "a column for lat but none for lon"  # the reader's reason, without its --map advice
    page.choose("lon", "lng_wgs84")
    assert page.isComplete() and page.error.text() == ""
    assert "“title”" in page.extras.text()  # kept as an attribute, and said so
    page.choose("name", "code")
    assert "chosen for both Account id and Name" in page.error.text()
    page.choose("name", None)
    page.choose("segment", None)  # "size" was guessed as the segment: leaving it out keeps it as an attribute
    assert page.isComplete() and "“size”" in page.extras.text()
    page.choose("industry", "size")
    assert page.isComplete()


def test_territory_and_alignment_imports_from_the_menu(window, tmp_path, monkeypatch, messages):
    reps = tmp_path / "reps.csv"
    reps.write_text("territory,rep,home lat,home lon\nNorth,Ann,41.5,-81.7\nSouth,Bob,999,-84\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(reps), ""))
    window.named_actions["import_territories"].trigger()
    names = [t.name for t in window.session.plan.active.territories.values()]
    assert "North" in names and "South" not in names
    assert "1 rows were rejected" in messages[-1] and "row 3:" in messages[-1]

    account = window.session.plan.accounts.external_id[0]
    alignment = tmp_path / "alignment.csv"
    alignment.write_text(f"account id,territory\n{account},North\nNOPE,North\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(alignment), ""))
    window.named_actions["import_alignment"].trigger()
    north = window.session.plan.active.territory_by_name("North").id
    assert window.session.plan.active.assignment[0] == north
    assert "'NOPE' is not in the project" in messages[-1]
    assert stored(window, "import_issues") == 2
    window.controller.undo()
    assert window.session.plan.active.assignment[0] != north


def test_export_submenu_writes_every_file(window, tmp_path, monkeypatch):
    file_menu = window.menuBar().actions()[0].menu()
    export_menu = next(a.menu() for a in file_menu.actions() if a.menu() and a.text() == "&Export")
    texts = [a.text() for a in export_menu.actions() if not a.isSeparator()]
    assert texts[0] == "&Assignments CSV…" and len(texts) == 6
    for key, name in (("export_summary", "summary.csv"), ("export_changes", "changes.csv"),
                      ("export_issues", "issues.csv"), ("export_map_view", "view.png"),
                      ("export_map_plan", "plan.pdf")):
        out = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, out=out, **k: (str(out), ""))
        window.named_actions[key].trigger()
        assert out.stat().st_size > 0, key
    assert (tmp_path / "plan.pdf").read_bytes().startswith(b"%PDF")
    assert len((tmp_path / "summary.csv").read_text(encoding="utf-8").splitlines()) == 4  # header + 3 territories


def test_an_excel_workbook_previews_without_encoding_or_delimiter(empty_window, qtbot, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["id", "name", "lat", "lon"])
    book.active.append(["X1", "One", 40.0, -83.0])
    path = tmp_path / "accounts.xlsx"
    book.save(path)
    wizard = run_wizard(empty_window, qtbot, path)
    assert not wizard.file_page.encoding.isEnabled() and not wizard.file_page.delimiter.isEnabled()
    assert "Excel workbook, first sheet" in wizard.file_page.detected.text()
    assert empty_window.session.plan.accounts.external_id.tolist() == ["X1"]


def test_imports_need_an_open_project(qtbot, messages):
    win = MainWindow()
    qtbot.addWidget(win)
    win.menuBar().actions()[0].menu().aboutToShow.emit()
    assert not any(win.named_actions[k].isEnabled() for k in ("import_accounts", "import_alignment", "export_map_view"))
