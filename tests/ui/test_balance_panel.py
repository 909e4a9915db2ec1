"""The balance panel shows exactly the engine's figures, updates in place, and reports the chosen row."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop_planner.core.measures import MeasureEngine
from desktop_planner.core.model import Territory
from desktop_planner.ui.panel.balance_panel import (COLUMNS, DEVIATION_COLUMN, IN_BAND_BACKGROUND, NAME_COLUMN,
                                              OUT_OF_BAND_BACKGROUND, UTIL_COLUMN, BalancePanel, format_number,
                                              format_percent)
from desktop_planner.ui.window.controller import territory_colors
from tests.conftest import make_plan


@pytest.fixture
def shown(qtbot):
    plan = make_plan(120, 4, seed=3, unassigned=5)
    panel = BalancePanel()
    qtbot.addWidget(panel)
    panel.resize(700, 600)
    territories = list(plan.active.territories.values())
    measures = MeasureEngine(plan).measures()
    panel.show_measures(measures, territories, territory_colors(territories))
    return plan, panel, measures


def cell(panel, row, column, role=Qt.DisplayRole):
    return panel.model.data(panel.model.index(row, column), role)


def test_rows_show_the_engine_figures(shown):
    plan, panel, measures = shown
    assert panel.model.rowCount() == 4 and panel.model.columnCount() == len(COLUMNS)
    for row, territory in enumerate(plan.active.territories.values()):
        assert cell(panel, row, NAME_COLUMN) == territory.name
        swatch = cell(panel, row, NAME_COLUMN, Qt.DecorationRole).pixmap(12, 12).toImage()
        assert swatch.pixelColor(6, 6).name() == territory.color
        for column, spec in enumerate(COLUMNS):
            if spec.measure:
                assert cell(panel, row, column) == format_number(measures.values[spec.measure][row])
        assert cell(panel, row, DEVIATION_COLUMN) == format_percent(measures.deviations["workload_hours"][row])


def test_deviation_cells_are_coloured_by_the_tolerance_band(shown):
    _, panel, measures = shown
    in_band = measures.in_band("workload_hours")
    assert not in_band.all(), "the fixture should have an unbalanced territory"
    for row, ok in enumerate(in_band):
        expected = IN_BAND_BACKGROUND if ok else OUT_OF_BAND_BACKGROUND
        assert cell(panel, row, DEVIATION_COLUMN, Qt.BackgroundRole) == expected


def test_totals_name_largest_deviation_cv_and_unassigned(shown):
    _, panel, measures = shown
    text = panel.totals.text()
    assert f"{measures.max_abs_deviation('workload_hours') * 100:.1f} %" in text
    assert f"{measures.cv('workload_hours'):.3f}" in text
    assert "Unassigned <b>5</b>" in text


def test_chart_has_one_bar_per_territory_with_target_and_band(shown):
    _, panel, measures = shown
    bars = panel.chart.bars.opts
    np.testing.assert_allclose(bars["width"], measures.values["workload_hours"])
    target = measures.targets["workload_hours"]
    np.testing.assert_allclose(panel.chart.band.opts["x0"], target * 0.9)
    np.testing.assert_allclose(panel.chart.band.opts["width"], target * 0.2)
    x, _ = panel.chart.target.getData()
    np.testing.assert_allclose(x, np.repeat(target, 2))


def test_same_territories_update_in_place_without_reset(shown, qtbot):
    plan, panel, _ = shown
    resets, changes = [], []
    panel.model.modelReset.connect(lambda: resets.append(1))
    panel.model.dataChanged.connect(lambda *a: changes.append(1))
    engine = MeasureEngine(plan)
    preview = plan.active.assignment.copy()
    preview[:30] = 1
    measures = engine.measures(assignment=preview)
    territories = list(plan.active.territories.values())
    panel.show_measures(measures, territories, territory_colors(territories), preview=True)
    assert not resets and len(changes) == 1
    assert panel.preview_label.isVisibleTo(panel)
    # The new figure, with its change from the committed plan beside it (the row is a preview's change).
    assert cell(panel, 0, 2).startswith(format_number(measures.values["accounts"][0]) + " (")


def test_new_territory_resets_rows(shown):
    plan, panel, _ = shown
    plan.active.territories[9] = Territory(9, "New one", "#123456")
    territories = list(plan.active.territories.values())
    panel.show_measures(MeasureEngine(plan).measures(), territories, territory_colors(territories))
    assert panel.model.rowCount() == 5 and cell(panel, 4, NAME_COLUMN) == "New one"


def test_measure_chooser_switches_deviation_and_chart(shown, qtbot):
    _, panel, measures = shown
    with qtbot.waitSignal(panel.measureChanged):
        panel.set_measure("potential")
    assert cell(panel, 0, DEVIATION_COLUMN) == format_percent(measures.deviations["potential"][0])
    np.testing.assert_allclose(panel.chart.bars.opts["width"], measures.values["potential"])
    header_font = panel.model.headerData(3, Qt.Horizontal, Qt.FontRole)
    assert header_font is not None and header_font.bold()


def test_clicking_a_row_activates_its_territory(shown, qtbot):
    plan, panel, _ = shown
    with qtbot.waitSignal(panel.territoryActivated) as signal:
        panel.table.selectRow(2)
    assert signal.args == [list(plan.active.territories)[2]]


def test_set_active_selects_the_row_silently(shown, qtbot):
    plan, panel, _ = shown
    with qtbot.assertNotEmitted(panel.territoryActivated):
        panel.set_active(list(plan.active.territories)[3])
    assert [i.row() for i in panel.table.selectionModel().selectedRows()] == [3]


def test_util_column_appears_only_with_capacities(shown):
    plan, panel, measures = shown
    assert panel.table.isColumnHidden(UTIL_COLUMN)  # no capacities in the fixture
    assert COLUMNS[UTIL_COLUMN].title == "Util %"
    first = next(iter(plan.active.territories.values()))
    plan.active.territories[first.id] = first.with_changes(capacity_hours=800.0)
    territories = list(plan.active.territories.values())
    m = MeasureEngine(plan).measures()
    panel.show_measures(m, territories, territory_colors(territories))
    assert not panel.table.isColumnHidden(UTIL_COLUMN)
    assert cell(panel, 0, UTIL_COLUMN) == f"{m.values['workload_hours'][0] / 800 * 100:.0f} %"
    assert cell(panel, 1, UTIL_COLUMN) == ""  # no capacity of its own


def test_totals_show_visit_weighted_distance_p95_and_headcount(shown):
    plan, panel, measures = shown
    text = panel.totals.text()
    assert f"visit-weighted mean distance to home <b>{measures.compactness_km:,.1f} km</b>" in text
    assert f"p95 <b>{measures.distance_p95_km:,.1f} km</b>" in text
    assert "reps at capacity" not in text
    territories = [t.with_changes(capacity_hours=100.0) for t in plan.active.territories.values()]
    plan.active.territories.update({t.id: t for t in territories})
    m = MeasureEngine(plan).measures()
    panel.show_measures(m, territories, territory_colors(territories))
    needed = m.values["workload_hours"].sum() / 100.0
    assert f"Work for {needed:.1f} reps at capacity; you have 4." in panel.totals.text()
