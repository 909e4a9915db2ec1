"""Scenarios in the window: switching, the scenario commands, comparing, the change report and workshop mode."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from desktop_planner.core.commands import Reassign
from desktop_planner.core.history import History
from desktop_planner.core.measures import MeasureEngine
from desktop_planner.store.project import ProjectFile
from desktop_planner.ui.review.change_report import report_html, territory_changes, write_all
from desktop_planner.ui.window.main_window import MainWindow
from tests.conftest import make_plan
from tests.core.test_unit_changes import OHIO_23, propose


def open_window(qtbot, path) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.load_project(path)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "plan.tplan"
    ProjectFile.create(path, make_plan(200, 4, seed=5)).close()
    return path


@pytest.fixture
def window(qtbot, path, messages):
    return open_window(qtbot, path)


def with_proposal(win) -> tuple[int, int, np.ndarray]:
    """A copy of the first scenario, shown, in which 15 accounts of the first territory moved to the second."""
    plan = win.session.plan
    base = plan.active_scenario_id
    proposal = win.scenario_bar.add_copy("Proposal", switch=True)
    s = plan.active
    first, second = list(s.territories)[:2]
    moved = np.flatnonzero(s.assignment == first)[:15]
    assert win.controller.do(Reassign(s.id, moved, second, action="lasso"))
    return base, proposal, moved


def test_switching_shows_each_scenario_and_is_remembered(window, qtbot, path):
    plan = window.session.plan
    base, proposal, moved = with_proposal(window)
    assert plan.active_scenario_id == proposal
    assert window.scenario_bar.combo.currentData() == proposal
    assert (window.map._dots._assignment == plan.active.assignment).all()
    assert window.panel.model.territory_ids == tuple(plan.active.territories)

    window.scenario_bar.combo.activated.emit(window.scenario_bar.combo.findData(base))
    assert plan.active_scenario_id == base
    assert (window.map._dots._assignment == plan.scenarios[base].assignment).all()
    assert window.panel.model.territory_ids == tuple(plan.scenarios[base].territories)
    # Like with like: the territory of the same name stays active.
    assert plan.active.territories[window.controller.active].name == "T1"
    assert not any("switch" in label.lower() for label in window.session.history.undo_labels())

    window.scenario_bar.actions_by_key["previous"].trigger()
    assert plan.active_scenario_id == proposal
    window.close()
    with ProjectFile.open(path) as stored:  # each scenario keeps its own assignment, and the one shown
        again = stored.load_plan()
    assert again.active_scenario_id == proposal
    assert (again.scenarios[proposal].assignment == plan.scenarios[proposal].assignment).all()
    assert (again.scenarios[base].assignment == plan.scenarios[base].assignment).all()
    assert (again.scenarios[proposal].assignment[moved] != again.scenarios[base].assignment[moved]).all()


def test_undoing_the_new_scenario_shown_goes_back_to_its_base(window, messages):
    plan = window.session.plan
    base = plan.active_scenario_id
    proposal = window.scenario_bar.add_copy("Proposal", switch=True)
    window.named_actions["undo"].trigger()
    assert proposal not in plan.scenarios
    assert plan.active_scenario_id == base
    assert messages == []
    window.named_actions["redo"].trigger()
    assert proposal in plan.scenarios


def test_undo_of_a_step_in_another_scenario_shows_that_scenario(window):
    plan = window.session.plan
    base, proposal, moved = with_proposal(window)
    first = list(plan.scenarios[proposal].territories)[0]
    window.scenario_bar.switch_to(base)
    window.named_actions["undo"].trigger()  # the lasso made in the proposal
    assert plan.active_scenario_id == proposal
    assert (plan.scenarios[proposal].assignment[moved] == first).all()
    assert (window.map._dots._assignment == plan.active.assignment).all()


def test_rename_notes_duplicate_and_delete(window, monkeypatch):
    plan = window.session.plan
    bar = window.scenario_bar
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Status quo", True))
    bar.rename()
    assert plan.active.name == "Status quo"
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: ("As agreed in March", True))
    bar.edit_notes()
    assert plan.active.notes == "As agreed in March"
    assert bar.combo.itemText(0) == "Status quo"
    bar.duplicate()
    assert len(plan.scenarios) == 2 and plan.active.name == "Status quo"
    copy = max(plan.scenarios)
    bar.switch_to(copy)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    bar.delete()
    assert copy not in plan.scenarios and plan.active.name == "Status quo"
    window.named_actions["undo"].trigger()
    assert copy in plan.scenarios


def test_compare_shows_both_sides_and_the_moves(window, qtbot):
    plan = window.session.plan
    base, proposal, moved = with_proposal(window)
    dock = window.compare_view
    dock.show()
    qtbot.waitUntil(lambda: dock.comparison is not None)
    assert dock.baseline.currentData() == base and dock.scenario.currentData() == proposal
    rows = {r[1][0]: r[1] for r in dock.model.rows}
    assert rows["T1"][3] == 15 and rows["T2"][2] == 15  # lost, gained
    engine = MeasureEngine(plan)
    t1_before = engine.measures(base).values["potential"][0]
    assert rows["T1"][4 + 3] == pytest.approx(t1_before)  # potential before
    assert "15</b> accounts move" in dock.summary.text()
    assert sorted(np.concatenate(list(dock.rings._rings.values())).tolist()) == sorted(moved.tolist())
    assert len(dock.arrows._arrows) == 1 and dock.arrows._arrows[0][5] == 15

    more = np.flatnonzero(plan.active.assignment == list(plan.active.territories)[2])[:5]
    window.controller.do(Reassign(proposal, more, list(plan.active.territories)[3], action="lasso"))
    qtbot.waitUntil(lambda: dock.comparison.accounts_moved == 20)  # follows edits of the scenario shown

    dock.hide()
    assert dock.rings._rings == {} and dock.arrows._arrows == []


def test_change_report_files(window, tmp_path):
    plan = window.session.plan
    base, proposal, moved = with_proposal(window)
    changes = {c.name: c for c in territory_changes(plan, plan.scenarios[base], plan.active, window.session.engine)}
    assert [m.row for m in changes["T1"].lost] == sorted(moved.tolist(), key=lambda r: -plan.accounts.potential[r])
    assert len(changes["T2"].gained) == 15 and not changes["T3"].gained
    written = write_all(window, tmp_path / "report", plan.scenarios[base], plan.active, [".pdf", ".html", ".csv"])
    assert [p.suffix for p in written] == [".pdf", ".html", ".csv"]
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2  # a map for each of the two territories that change
    assert plan.accounts.external_id[moved[0]] in html
    assert len((tmp_path / "report.csv").read_text().splitlines()) == 16


def test_change_report_lists_units_gained_and_lost(counties_demo):
    with ProjectFile.open(counties_demo, read_only=True) as project:
        plan = project.load_plan()
    baseline = plan.active
    proposal = propose(plan, History(plan))
    changes = territory_changes(plan, baseline, proposal, MeasureEngine(plan))
    html = report_html(plan, baseline, proposal, changes, lambda name: None, page_breaks=False)
    assert ("24 of 360 units of us-counties (US Census cartographic boundaries 2016, 1:500k) change territory"
            in html)
    sections = {part.split(" · ")[0]: part for part in html.split("<h2>")[1:]}
    assert list(sections) == ["NE-07 New York", "NE-09 Worcester", "NE-12 New Limerick"]
    new_york = sections["NE-07 New York"]
    assert "units: <b class='gain'>0</b> gained, <b class='loss'>1</b> lost" in new_york
    assert ("<b>Units lost</b>" in new_york and "<b>Units gained</b>" not in new_york and
            "<tr><td>36061 New York, NY</td><td>NE-09 Worcester</td></tr>" in new_york)
    worcester = sections["NE-09 Worcester"]
    assert "Gains <b class='gain'>71</b> accounts" in worcester
    assert "<tr><td>36061 New York, NY</td><td>NE-07 New York</td></tr>" in worcester
    # NE-12 gains counties without accounts: a section all the same, the first 20 of 23 listed.
    limerick = sections["NE-12 New Limerick"]
    assert "Gains none · loses none" in limerick
    assert "<tr><td>39001 Adams, OH</td><td>unassigned</td></tr>" in limerick
    listed = [u for u in OHIO_23 if f"<td>{u} " in limerick]
    assert listed == OHIO_23[:20] and "… and 3 more." in limerick


def test_workshop_mode(window, qtbot, monkeypatch):
    plan = window.session.plan
    base, proposal, _ = with_proposal(window)
    window.compare_view.show()
    style = window.styleSheet()
    mode = window.workshop
    mode.action.trigger()  # F11
    assert window.isFullScreen() and mode.active
    assert mode.bar.isVisibleTo(window) and not window.compare_view.isVisibleTo(window)
    assert "font-size" in window.styleSheet()
    assert {mode.combo_a.currentData(), mode.combo_b.currentData()} == {base, proposal}

    mode.swap_action.trigger()  # T
    assert plan.active_scenario_id == base
    mode.swap_action.trigger()
    assert plan.active_scenario_id == proposal

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Agreed 10:30", True))
    mode.snapshot_action.trigger()
    snapshot = plan.scenario_by_name("Agreed 10:30")
    assert plan.active_scenario_id == proposal, "a snapshot keeps the work going in the scenario shown"
    assert (snapshot.assignment != -1).all()
    assert mode.combo_a.findData(snapshot.id) >= 0

    mode.action.trigger()
    assert not window.isFullScreen() and not mode.active
    assert not mode.bar.isVisibleTo(window) and window.compare_view.isVisibleTo(window)
    assert window.styleSheet() == style
    assert not mode.swap_action.isEnabled()
