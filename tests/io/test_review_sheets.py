"""Review sheets: one per rep of the accounts gained and lost (CSV, or XLSX with a header, frozen panes, widths and an
agree/dispute list), and the returned sheets matched back, every row that does not match kept with its reason."""

from __future__ import annotations

import csv

import numpy as np
import openpyxl
import pytest

from desktop_planner.core.compare import account_moves
from desktop_planner.core.review_commands import AGREE, DISPUTE
from desktop_planner.core.scenario_commands import copy_scenario
from desktop_planner.io.review_sheets import (HEADER, ReviewSheetError, read_review_sheets, read_verdict,
                                              review_items, sheet_scenario, write_review_sheets)
from tests.conftest import make_plan


def proposal_plan():
    """"Proposal" made from "Current plan": a dozen accounts handed to T2, and one of T2's to T3."""
    plan = make_plan(n=60, k=3, seed=4)
    proposal = copy_scenario(plan, plan.active, "Proposal")
    by_name = {t.name: tid for tid, t in proposal.territories.items()}
    proposal.assignment[list(range(0, 60, 5))] = by_name["T2"]
    first_of_t2 = int(np.flatnonzero(plan.active.assignment == 2)[0])
    proposal.assignment[first_of_t2] = by_name["T3"]
    plan.scenarios[proposal.id] = proposal
    return plan, plan.scenarios[1], proposal


def read_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def answer_csv(path, answer) -> None:
    """Fill verdict and comment of each data row with answer(i, row) -> (verdict, comment)."""
    rows = read_csv(path)
    v, c = HEADER.index("verdict"), HEADER.index("comment")
    for i, row in enumerate(rows[1:], start=1):
        row[v], row[c] = answer(i, row)
    write_rows(path, rows)


def test_one_sheet_per_rep_with_every_account_gained_and_lost(tmp_path):
    plan, baseline, proposal = proposal_plan()
    written = write_review_sheets(plan, baseline, proposal, tmp_path / "out", "csv")
    moves = account_moves(baseline, proposal)
    assert sum(rows for _, rows in written) == 2 * len(moves)  # every move is a gain for one rep, a loss for another
    by_name = {p.name: p for p, _ in written}
    assert set(by_name) == {"Proposal review - Rep 1.csv", "Proposal review - Rep 2.csv", "Proposal review - Rep 3.csv"}
    rows = read_csv(by_name["Proposal review - Rep 2.csv"])
    assert tuple(rows[0]) == HEADER
    gains = [r for r in rows[1:] if r[5] == "gain"]
    assert len(gains) == sum(m.to_territory == "T2" for m in moves)
    assert all(r[0] == "Proposal · Rep 2" and r[2] == "T2" and r[7] == "T2" and r[10] == r[11] == "" for r in gains)
    losses = [r for r in rows[1:] if r[5] == "lose"]
    assert [(r[6], r[7]) for r in losses] == [("T2", "T3")]
    potentials = [float(r[8]) for r in gains]
    assert potentials == sorted(potentials, reverse=True)  # what matters most first


def test_csv_round_trip(tmp_path):
    plan, baseline, proposal = proposal_plan()
    written = write_review_sheets(plan, baseline, proposal, tmp_path, "csv")
    sheet = next(p for p, _ in written if p.name.endswith("Rep 2.csv"))
    words = ["dispute", "agree", "", "✓", "✗", "No", "OK "]
    answer_csv(sheet, lambda i, row: (words[i % len(words)], f"comment {i}" if i % 2 else ""))
    assert sheet_scenario([sheet]) == "Proposal"
    imported = read_review_sheets(plan, baseline, proposal, [sheet], at="2026-03-01T10:00:00+00:00")
    rows = read_csv(sheet)[1:]
    assert imported.rejected == 0 and imported.read == len(rows) == len(imported.rows)
    expected = [read_verdict(words[i % len(words)]) for i in range(1, len(rows) + 1)]
    assert imported.rows["verdict"].tolist() == expected
    assert DISPUTE in expected and AGREE in expected and None in expected
    first = imported.rows.iloc[0]
    assert first["external_id"] == rows[0][3] and first["rep"] == "Rep 2" and first["territory"] == "T2"
    assert first["change"] == f"{rows[0][5]} from {rows[0][6]}" and first["comment"] == "comment 1"
    assert first["scenario_id"] == proposal.id and first["source"] == sheet.name
    assert first["account_id"] == plan.accounts.ids[plan.accounts.index_of_id(first["account_id"])]
    assert imported.rows.iloc[1]["comment"] is None
    assert "matched" in imported.report() and "rejected 0" in imported.report()


def test_xlsx_round_trip_with_a_verdict_list_frozen_header_and_widths(tmp_path):
    plan, baseline, proposal = proposal_plan()
    plan.accounts.name[0] = "=HYPERLINK(\"http://x\")"  # never run by the spreadsheet
    written = write_review_sheets(plan, baseline, proposal, tmp_path, "xlsx")
    sheet = next(p for p, _ in written if p.name.endswith("Rep 2.xlsx"))
    book = openpyxl.load_workbook(sheet)
    page = book.worksheets[0]
    assert [c.value for c in page[1]] == list(HEADER)
    assert page.freeze_panes == "E2"
    assert page.column_dimensions["L"].width >= 40  # room to write a comment
    rules = page.data_validations.dataValidation
    assert len(rules) == 1 and rules[0].formula1 == '"agree,dispute"' and "K2" in str(rules[0].sqref)
    names = [c.value for c in page["E"][1:]]
    assert not any(str(n).startswith("=") for n in names)
    for i, row in enumerate(page.iter_rows(min_row=2), start=1):
        row[10].value = "dispute" if i == 1 else "agree"
        row[11].value = "my best customer" if i == 1 else None
    book.save(sheet)
    imported = read_review_sheets(plan, baseline, proposal, [sheet])
    assert imported.rejected == 0 and len(imported.rows) == page.max_row - 1
    assert imported.rows["verdict"].tolist()[:2] == [DISPUTE, AGREE]
    assert imported.rows.iloc[0]["comment"] == "my best customer"


def test_rows_that_do_not_match_are_rejected_with_their_reason_and_kept(tmp_path):
    plan, baseline, proposal = proposal_plan()
    written = write_review_sheets(plan, baseline, proposal, tmp_path, "csv")
    sheet = next(p for p, _ in written if p.name.endswith("Rep 2.csv"))
    rows = read_csv(sheet)
    unmoved = next(str(x) for r, x in enumerate(plan.accounts.external_id)
                   if baseline.assignment[r] == 1 and proposal.assignment[r] == proposal.territory_by_name("T1").id)
    good = rows[1]
    bad = [
        [*good[:3], "NOPE-1", *good[4:10], "dispute", "who?"],  # unknown account
        [*good[:3], unmoved, *good[4:10], "agree", ""],  # not among anybody's changes
        [*good[:10], "maybe", ""],  # unreadable verdict
        [*good[:5], "sideways", *good[6:10], "agree", ""],  # unreadable change
        [good[0], "Rep 1", "T1", *good[3:10], "dispute", ""],  # the account is not among T1's changes
        ["Other · Rep 2", *good[1:10], "agree", ""],  # a sheet of another scenario
        [*good[:10], "agree", "again"],  # the same account and change twice
    ]
    write_rows(sheet, [rows[0], [*good[:10], "dispute", "first"], *bad, ["", "", ""]])
    imported = read_review_sheets(plan, baseline, proposal, [sheet])
    assert len(imported.rows) == 1 and imported.rows.iloc[0]["comment"] == "first"
    issues = imported.issues[sheet.name]
    assert [i.row_number for i in issues] == list(range(3, 10))  # the blank line is no row
    problems = [i.problem for i in issues]
    assert "unknown account 'NOPE-1'" in problems[0]
    assert f"{unmoved} is not among the accounts lost in scenario 'Proposal'" in problems[1] or \
        f"{unmoved} is not among the accounts gained" in problems[1]
    assert "'maybe' reads as neither agree nor dispute" in problems[2]
    assert "'sideways' is neither gain nor lose" in problems[3]
    assert f"{good[3]} is not among T1's changes: it goes to T2 (Rep 2)" in problems[4]
    assert "for 'Other', not for scenario 'Proposal'" in problems[5]
    assert "given twice" in problems[6]
    assert all(i.raw for i in issues) and "NOPE-1" in issues[0].raw  # the row as the rep wrote it
    assert "rejected 7" in imported.report()


def test_a_file_that_is_no_review_sheet_is_refused_whole(tmp_path):
    plan, baseline, proposal = proposal_plan()
    other = tmp_path / "accounts.csv"
    write_rows(other, [["id", "name"], ["A0001", "x"]])
    with pytest.raises(ReviewSheetError, match="has no change, verdict column"):
        read_review_sheets(plan, baseline, proposal, [other])
    with pytest.raises(ReviewSheetError, match="no such file"):
        read_review_sheets(plan, baseline, proposal, [tmp_path / "missing.csv"])
    with pytest.raises(ReviewSheetError, match="csv or xlsx"):
        write_review_sheets(plan, baseline, proposal, tmp_path, "pdf")


def test_items_say_where_each_account_goes_and_its_weight():
    plan, baseline, proposal = proposal_plan()
    items = review_items(plan, baseline, proposal)
    loss = next(i for i in items if i.kind == "lose" and i.territory == "T2")
    assert (loss.from_territory, loss.to_territory, loss.change) == ("T2", "T3", "lose to T3")
    assert loss.potential == plan.accounts.potential[loss.row] and loss.workload > 0
