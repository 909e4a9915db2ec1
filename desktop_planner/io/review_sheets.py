"""Review sheets: each rep's part of a realignment sent out as a sheet to answer, and the answers read back.

A sheet (CSV, or XLSX with a frozen header, sized columns and an agree/dispute list on the verdict column) lists
the accounts the rep's territory gains and loses between a baseline and a scenario, with an empty verdict and
comment for the rep to fill in. Returned sheets, one or many files in one go, are matched row by row on the account
id and the change (gain or lose): a row that does not match one of the scenario's changes (an unknown account, an
account that is not among that rep's changes, a verdict that reads as neither agree nor dispute) is rejected with
its reason and kept, like any import (core.commands.RecordIssues): nothing the reps wrote is lost.

A rep is the territory's rep name, or the territory's name when it has none; a rep with several territories gets
one sheet for them all.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from desktop_planner.core.compare import account_moves
from desktop_planner.core.model import Plan, Scenario
from desktop_planner.core.review_commands import (AGREE, DISPUTE, GAIN, LOSE, REVIEW_COLUMNS, change_text,
                                                  reviews_of)
from desktop_planner.io.account_import import ImportIssue
from desktop_planner.io.export import ExportError, spreadsheet_safe, write_csv
from desktop_planner.io.header_names import SYNONYMS, match_columns
from desktop_planner.io.table_reader import TableError, open_table

FORMATS = ("csv", "xlsx")
HEADER = ("sheet_id", "rep", "territory", "account_id", "account_name", "change", "from_territory", "to_territory",
          "potential", "workload_h", "verdict", "comment")
SHEET_SEPARATOR = " · "  # sheet_id = scenario name, separator, rep
# Column widths of the XLSX sheet, in characters; the verdict and comment columns wide enough to write in.
WIDTHS = {"sheet_id": 26, "rep": 20, "territory": 22, "account_id": 14, "account_name": 30, "change": 8,
          "from_territory": 22, "to_territory": 22, "potential": 12, "workload_h": 11, "verdict": 11, "comment": 48}
# What a rep may write for a verdict (compared case-folded, spaces trimmed); empty is "not answered".
AGREE_WORDS = frozenset({"agree", "agreed", "ok", "okay", "yes", "y", "fine", "accept", "accepted", "✓", "✔",
                         "☑", "+", "👍"})
DISPUTE_WORDS = frozenset({"dispute", "disputed", "no", "n", "disagree", "disagreed", "object", "reject",
                           "rejected", "✗", "✘", "×", "☒", "👎"})
GAIN_WORDS = frozenset({"gain", "gains", "gained", "in", "+", "new", "win", "won"})
LOSE_WORDS = frozenset({"lose", "loses", "lost", "loss", "out", "-", "give", "gives", "given"})
# Returned sheets' columns: found by name, so a rep who re-typed or translated a header still matches.
FIELDS = {
    "account_id": ("account id",) + SYNONYMS["external_id"],
    "change": ("change", "gain lose", "gain or lose", "move", "direction"),
    "verdict": ("verdict", "agree dispute", "agree or dispute", "answer", "response", "your answer", "review"),
    "comment": ("comment", "comments", "note", "notes", "remark", "remarks", "reason", "why"),
    "territory": ("territory",) + SYNONYMS["territory"],
    "rep": ("rep", "sales rep", "rep name"),
    "sheet_id": ("sheet id", "sheet"),
}
REQUIRED = ("account_id", "change", "verdict")
RAW_CHARS = 2000  # of a rejected row kept with its reason


class ReviewSheetError(Exception):
    """Sheets that cannot be written or read at all; the message names the file and the reason."""


@dataclass(frozen=True)
class ReviewItem:
    """One account a rep gains or loses."""
    rep: str
    territory: str
    row: int
    kind: str  # GAIN or LOSE
    from_territory: str | None  # None: unassigned
    to_territory: str | None
    potential: float
    workload: float  # a gained account's workload hours in the scenario, a lost one's in the baseline

    @property
    def other(self) -> str | None:
        return self.from_territory if self.kind == GAIN else self.to_territory

    @property
    def change(self) -> str:
        return change_text(self.kind, self.other)


def rep_names(baseline: Scenario, scenario: Scenario) -> dict[str, str]:
    """Territory name -> the rep a sheet goes to (the scenario's rep wins over the baseline's)."""
    reps = {}
    for s in (baseline, scenario):
        for t in s.territories.values():
            reps[t.name] = (t.rep_name or "").strip() or t.name
    return reps


def review_items(plan: Plan, baseline: Scenario, scenario: Scenario, engine=None) -> list[ReviewItem]:
    """Every account each territory gains or loses, by rep, gains first, larger potential first."""
    from desktop_planner.core.measures import MeasureEngine
    engine = engine or MeasureEngine(plan)
    work_new = engine.measures(scenario.id).account_workload_hours
    work_old = engine.measures(baseline.id).account_workload_hours
    reps = rep_names(baseline, scenario)
    potential = plan.accounts.potential
    items = []
    for m in account_moves(baseline, scenario):
        p = float(potential[m.row])
        if m.to_territory is not None:
            items.append(ReviewItem(reps[m.to_territory], m.to_territory, m.row, GAIN, m.from_territory,
                                    m.to_territory, p, float(work_new[m.row])))
        if m.from_territory is not None:
            items.append(ReviewItem(reps[m.from_territory], m.from_territory, m.row, LOSE, m.from_territory,
                                    m.to_territory, p, float(work_old[m.row])))
    return sorted(items, key=lambda i: (i.rep.casefold(), i.territory, i.kind != GAIN, -i.potential, i.row))


def sheet_id(scenario: Scenario, rep: str) -> str:
    return f"{scenario.name}{SHEET_SEPARATOR}{rep}"


def _rows(plan: Plan, scenario: Scenario, items: list[ReviewItem]) -> list[list]:
    a = plan.accounts
    return [[sheet_id(scenario, i.rep), i.rep, i.territory, str(a.external_id[i.row]), str(a.name[i.row] or ""),
             i.kind, i.from_territory or "(unassigned)", i.to_territory or "(unassigned)", round(i.potential, 2),
             round(i.workload, 1), "", ""] for i in items]


def _file_stem(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\- .,()&]+", "_", text)).strip(" .") or "sheet"


def write_review_sheets(plan: Plan, baseline: Scenario, scenario: Scenario, folder: str | Path, fmt: str = "csv",
                        engine=None, bom: bool = False) -> list[tuple[Path, int]]:
    """One sheet per rep whose territory gains or loses accounts, in `folder` (made if need be); returns each
    file with its number of rows."""
    if fmt not in FORMATS:
        raise ReviewSheetError(f"review sheets are written as {' or '.join(FORMATS)}, not {fmt!r}")
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReviewSheetError(f"{folder}: cannot make the folder ({exc.strerror or exc})") from None
    by_rep: dict[str, list[ReviewItem]] = {}
    for item in review_items(plan, baseline, scenario, engine):
        by_rep.setdefault(item.rep, []).append(item)
    written, used = [], set()
    for rep, items in by_rep.items():
        stem = _file_stem(f"{scenario.name} review - {rep}")
        while stem.casefold() in used:  # two reps whose names differ only in characters a file name cannot hold
            stem += "_"
        used.add(stem.casefold())
        path = folder / f"{stem}.{fmt}"
        rows = _rows(plan, scenario, items)
        try:
            if fmt == "csv":
                write_csv(path, HEADER, rows, bom=bom)
            else:
                _write_xlsx(path, rows, f"{rep}: your changes in {scenario.name} (against {baseline.name})")
        except ExportError as exc:
            raise ReviewSheetError(str(exc)) from None
        written.append((path, len(rows)))
    return written


def _write_xlsx(path: Path, rows: list[list], title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "Review"
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append([spreadsheet_safe(v) for v in row])  # openpyxl writes a text starting with = as a formula
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EBEF")
    answer = PatternFill("solid", fgColor="FFF8DC")  # where the rep writes
    for column, name in enumerate(HEADER, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[get_column_letter(column)].width = WIDTHS[name]
    verdict, comment = get_column_letter(HEADER.index("verdict") + 1), get_column_letter(HEADER.index("comment") + 1)
    last = len(rows) + 1
    for r in range(2, last + 1):
        sheet[f"{verdict}{r}"].fill = sheet[f"{comment}{r}"].fill = answer
        sheet[f"{comment}{r}"].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=r, column=HEADER.index("potential") + 1).number_format = "#,##0"
        sheet.cell(row=r, column=HEADER.index("workload_h") + 1).number_format = "0.0"
    choice = DataValidation(type="list", formula1='"agree,dispute"', allow_blank=True, showDropDown=False)
    choice.error, choice.errorTitle = "Choose agree or dispute (or leave it empty).", "Verdict"
    choice.prompt, choice.promptTitle = "agree or dispute; say why in the comment", "Verdict"
    choice.showErrorMessage = choice.showInputMessage = True
    sheet.add_data_validation(choice)
    if rows:
        choice.add(f"{verdict}2:{verdict}{last}")
    sheet.freeze_panes = "E2"  # the header and the account stay in view
    sheet.auto_filter.ref = f"A1:{comment}{last}"
    notes = book.create_sheet("How to answer")
    for line in (title, "", "For each account, choose agree or dispute in the verdict column.",
                 "Say why in the comment column, above all when you dispute a change.",
                 "Leave the other columns as they are, and send the file back as it is (.xlsx or .csv)."):
        notes.append([line])
    notes["A1"].font = Font(bold=True, size=12)
    notes.column_dimensions["A"].width = 90
    tmp = path.with_name(f".{path.name}.partial")
    try:
        book.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{path}: cannot be written ({exc.strerror or exc})") from None


# -- reading returned sheets ----------------------------------------------------------------------------------------

def read_verdict(text: str) -> str | None:
    """AGREE, DISPUTE, or None for an empty cell; raises ValueError for anything else."""
    key = " ".join(str(text or "").split()).casefold()
    if not key:
        return None
    if key in AGREE_WORDS:
        return AGREE
    if key in DISPUTE_WORDS:
        return DISPUTE
    raise ValueError(key)


def read_change(text: str) -> str | None:
    """GAIN or LOSE ("gain", "lost", "gain from NE-01 ..." all read); None when neither."""
    words = str(text or "").casefold().split()
    if not words:
        return None
    return GAIN if words[0] in GAIN_WORDS else LOSE if words[0] in LOSE_WORDS else None


@dataclass
class ReviewSheetsImport:
    scenario: Scenario
    rows: pd.DataFrame  # the reviews table's columns but `id`: one row per matched answer
    issues: dict[str, list[ImportIssue]] = field(default_factory=dict)  # per file name, rejected rows
    read: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(len(v) for v in self.issues.values())

    def count(self, verdict: str | None) -> int:
        if not len(self.rows):
            return 0
        column = self.rows["verdict"]
        return int(column.isna().sum() if verdict is None else (column == verdict).sum())

    def report(self, first: int = 5) -> str:
        lines = [f"{len(self.files)} sheet{'s' if len(self.files) != 1 else ''} for scenario "
                 f"{self.scenario.name!r}: read {self.read:,} rows, matched {len(self.rows):,} "
                 f"({self.count(AGREE):,} agree, {self.count(DISPUTE):,} dispute, {self.count(None):,} not "
                 f"answered), rejected {self.rejected:,}"]
        shown = 0
        for source, issues in self.issues.items():
            for issue in issues:
                if shown < first:
                    lines.append(f"  {source} row {issue.row_number}: {issue.problem}")
                shown += 1
        if shown > first:
            lines.append(f"  … and {shown - first:,} more (export them with --what issues)")
        return "\n".join(lines)


def _raw(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()[:RAW_CHARS]


def read_review_sheets(plan: Plan, baseline: Scenario, scenario: Scenario, paths: Sequence[str | Path],
                       at: str | None = None, engine=None) -> ReviewSheetsImport:
    """Match the rows of returned sheets against the scenario's changes (against `baseline`). Raises
    ReviewSheetError for a file that cannot be read or lacks the account id, change or verdict column (then
    nothing of any file is taken)."""
    at = at or datetime.now(timezone.utc).isoformat(timespec="seconds")
    items = {(i.row, i.kind): i for i in review_items(plan, baseline, scenario, engine)}
    row_of = {str(x): r for r, x in enumerate(plan.accounts.external_id.tolist())}
    decided = {(r.account_id, r.kind, r.territory): r for r in reviews_of(plan, scenario.id) if r.decision}
    ids = plan.accounts.ids
    result = ReviewSheetsImport(scenario, pd.DataFrame(columns=[c for c in REVIEW_COLUMNS if c != "id"]))
    seen: dict[tuple[int, str], str] = {}
    out: list[dict] = []
    for path in paths:
        path = Path(path)
        source = path.name
        result.files.append(source)
        issues = result.issues.setdefault(source, [])
        try:
            info, rows = open_table(path)
        except TableError as exc:
            raise ReviewSheetError(str(exc)) from None
        columns = match_columns(info.header, FIELDS)
        missing = [f for f in REQUIRED if f not in columns]
        if missing:
            rows.close()
            raise ReviewSheetError(f"{path}: has no {', '.join(missing)} column (the header reads: "
                                   f"{', '.join(info.header)[:300]}); is it a review sheet?")
        for number, cells, _ in rows:
            if not any(c.strip() for c in cells):
                continue
            result.read += 1

            def cell(name: str) -> str:
                position = columns.get(name)
                return cells[position].strip() if position is not None and position < len(cells) else ""

            def reject(problem: str) -> None:
                issues.append(ImportIssue(number, _raw(cells), problem))
            answer = _match(cell, scenario, row_of, items, decided, ids, reject)
            if answer is None:
                continue
            item, verdict = answer
            key = (item.row, item.kind)
            if key in seen:
                reject(f"{cell('account_id')} ({item.kind}) is given twice: first in {seen[key]}")
                continue
            seen[key] = f"{source} row {number}"
            comment = " ".join(cell("comment").split())
            out.append({"account_id": int(ids[item.row]), "external_id": str(plan.accounts.external_id[item.row]),
                        "scenario_id": scenario.id, "rep": item.rep, "territory": item.territory,
                        "change": item.change, "verdict": verdict, "comment": comment or None, "source": source,
                        "imported_at": at, "decision": None, "decided_at": None, "decided_by": None})
    if out:
        result.rows = pd.DataFrame(out, columns=[c for c in REVIEW_COLUMNS if c != "id"], dtype=object)
    return result


def _match(cell, scenario: Scenario, row_of: dict, items: dict, decided: dict, ids: np.ndarray, reject):
    """(the change a returned row answers, its verdict), or None after rejecting the row with its reason."""
    sheet = cell("sheet_id")
    if sheet and not sheet.startswith(scenario.name + SHEET_SEPARATOR):
        reject(f"the sheet is for {sheet.split(SHEET_SEPARATOR)[0]!r}, not for scenario {scenario.name!r}")
        return None
    external = cell("account_id")
    if not external:
        reject("no account id")
        return None
    row = row_of.get(external)
    if row is None and external.startswith("'"):  # neutralised on export so that a spreadsheet would not run it
        external = external[1:]
        row = row_of.get(external)
    if row is None:
        reject(f"unknown account {external!r}: not in this project")
        return None
    kind = read_change(cell("change"))
    if kind is None:
        reject(f"change {cell('change')!r} is neither gain nor lose")
        return None
    item = items.get((row, kind))
    named = cell("territory") or cell("rep")
    if item is None:
        done = next((d for (a, k, _t), d in decided.items() if a == int(ids[row]) and k == kind), None)
        if done is not None:
            reject(f"{external} ({kind}) was already decided in the workshop ({done.decision}); the decision stands")
        else:
            reject(f"{external} is not among the accounts {'gained' if kind == GAIN else 'lost'} in scenario "
                   f"{scenario.name!r}" + (f" by {named}" if named else ""))
        return None
    if cell("territory") and cell("territory") != item.territory or \
            not cell("territory") and cell("rep") and cell("rep") != item.rep:
        verb = "goes to" if kind == GAIN else "leaves"
        reject(f"{external} is not among {named}'s changes: it {verb} {item.territory} ({item.rep})")
        return None
    try:
        verdict = read_verdict(cell("verdict"))
    except ValueError:
        reject(f"verdict {cell('verdict')!r} reads as neither agree nor dispute")
        return None
    return item, verdict



def sheet_scenario(paths: Sequence[str | Path]) -> str | None:
    """The scenario the first returned sheet names in its sheet_id (None: no sheet_id, or unreadable): where the
    answers belong when nobody said."""
    for path in paths:
        try:
            info, rows = open_table(path)
        except TableError:
            continue
        position = match_columns(info.header, {"sheet_id": FIELDS["sheet_id"]}).get("sheet_id")
        try:
            for _, cells, _ in rows:
                sheet = cells[position].strip() if position is not None and position < len(cells) else ""
                if SHEET_SEPARATOR in sheet:
                    return sheet.rsplit(SHEET_SEPARATOR, 1)[0]
        finally:
            rows.close()
    return None
