"""View > KPIs after go-live, on the demo with four quarters of actuals, a realignment at Q3 and a holdout: charts
per KPI and territory, the period table with editable quotas, the map coloured by a KPI, the cohort comparison;
and File > Import actuals… bringing a CRM export in as one undoable step."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog

from desktop_planner.core.kpis import KPI_NAMES
from desktop_planner.io.demo import build_demo_plan
from desktop_planner.io.demo_actuals import add_demo_actuals
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.review.kpi_dock import NO_ACTUALS, QUOTA_COLUMN
from tests.ui.windows import shown_window

pytestmark = pytest.mark.usefixtures("messages")


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """A demo without actuals, and a copy of it with them (and their CSV)."""
    folder = tmp_path_factory.mktemp("kpis")
    plain = folder / "plain.tplan"
    ProjectFile.create(plain, build_demo_plan(600, 6, seed=4)).close()
    with_actuals = folder / "actuals.tplan"
    shutil.copyfile(plain, with_actuals)
    add_demo_actuals(with_actuals, seed=1, csv_path=folder / "actuals.csv")
    return plain, with_actuals, folder / "actuals.csv"


def open_copy(qtbot, source, tmp_path):
    path = tmp_path / source.name
    shutil.copyfile(source, path)
    window = shown_window(qtbot, path, size=(1366, 768))
    window.kpi_dock.show()
    return window


def test_without_actuals_the_dock_says_how_to_bring_them_in(qtbot, demo_files, tmp_path):
    window = open_copy(qtbot, demo_files[0], tmp_path)
    qtbot.waitUntil(lambda: window.kpi_dock.message.text() == NO_ACTUALS)
    assert not window.kpi_dock.showing_kpis()


def test_charts_table_map_colours_and_cohorts_follow_the_actuals(qtbot, demo_files, tmp_path):
    window = open_copy(qtbot, demo_files[1], tmp_path)
    dock = window.kpi_dock
    qtbot.waitUntil(dock.showing_kpis)
    assert [dock.period.itemText(i) for i in range(dock.period.count())] == [f"2026-Q{q}" for q in range(1, 5)]
    territories = len(window.session.plan.active.territories)
    for kpi in KPI_NAMES:  # a line per territory and the plan's
        assert len(dock.charts[kpi].getPlotItem().listDataItems()) == territories + 1
    assert dock.table.rowCount() == territories + 1 and dock.table.item(territories, 0).text() == "Whole plan"

    dock.colour_by.setCurrentIndex(dock.colour_by.findData("quota_attainment"))
    dock.colour_by.activated.emit(dock.colour_by.currentIndex())
    colours = window.controller.color_map()
    assert set(colours) == set(window.session.plan.active.territories)
    assert len(set(colours.values())) >= 1 and window.map.legend().entries()[0][0].startswith("Attain. 2026-Q4")

    dock.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "moved accounts" in dock.cohorts.text())
    assert "95 % bootstrap" in dock.cohorts.text()


def test_a_quota_typed_in_the_table_is_one_undoable_change(qtbot, demo_files, tmp_path, monkeypatch):
    window = open_copy(qtbot, demo_files[1], tmp_path)
    dock = window.kpi_dock
    qtbot.waitUntil(dock.showing_kpis)
    dock.period.setCurrentText("2026-Q4")
    dock.period.activated.emit(dock.period.currentIndex())
    item = dock.table.item(0, QUOTA_COLUMN)
    item.setText("1.5M")  # as if typed: the dock records it at once
    quotas = window.session.plan.records.table("quotas")
    q4 = quotas[quotas["period"] == "2026-Q4"]
    assert 1_500_000.0 in q4["quota"].tolist() and "edited" in q4["origin"].tolist()
    qtbot.waitUntil(lambda: dock.table.item(0, QUOTA_COLUMN).text() == "1.5M")
    window.undo()
    quotas = window.session.plan.records.table("quotas")
    assert "edited" not in quotas["origin"].tolist()

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("6M", True))
    dock.suggest_quotas()
    q4 = window.session.plan.records.table("quotas").query("period == '2026-Q4'")
    assert q4["quota"].sum() == pytest.approx(6_000_000) and set(q4["origin"]) == {"suggested"}


def test_import_actuals_from_the_file_menu_is_one_undoable_step(qtbot, demo_files, tmp_path, monkeypatch, messages):
    window = open_copy(qtbot, demo_files[0], tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(demo_files[2]), ""))
    window.named_actions["import_actuals"].trigger()
    assert any("accepted" in text for text in messages)
    actuals = window.session.plan.records.table("actuals")
    assert len(actuals) > 0 and set(actuals["period"]) == {f"2026-Q{q}" for q in range(1, 5)}
    qtbot.waitUntil(window.kpi_dock.showing_kpis)
    window.undo()
    assert len(window.session.plan.records.table("actuals")) == 0
    qtbot.waitUntil(lambda: not window.kpi_dock.showing_kpis())  # back to saying how to bring them in
