"""CSV exports for the CRM and for people: assignments, territory summary, audit log, rejected import rows.

Every file is spreadsheet-safe: a text cell that Excel or LibreOffice would run as a formula is prefixed with
an apostrophe. Files are written to a temporary name and renamed, so a failed export never leaves half a file
where a good one was.
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from desktop_planner.core.compare import account_moves, assignment_names
from desktop_planner.core.contiguity import ContiguityChecker
from desktop_planner.core.measures import MEASURES
from desktop_planner.core.model import Plan, Scenario, territory_codes
from desktop_planner.core.summary import SUMMARY_DEVIATIONS, scenario_summary

FORMULA_TRIGGERS = ("=", "@", "\t", "\r")  # always run (or shown as a formula) by a spreadsheet
SIGNS = ("+", "-")  # run only when what follows is not a number: -123 is a CRM id a re-import must match
SIGNED_NUMBER = re.compile(r"[+-](\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class ExportError(Exception):
    """The export could not be written; the message names the file and the reason."""


def spreadsheet_safe(value):
    """Neutralise a text cell a spreadsheet would evaluate (=HYPERLINK(...), +cmd, -2+3, @SUM...), and only such
    a cell: numbers, and text such as -123 that is a number, pass unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_TRIGGERS) or (
            value.startswith(SIGNS) and len(value) > 1 and not SIGNED_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence], bom: bool = False) -> int:
    """Write rows under a header; returns the number of data rows. `bom` helps Excel detect UTF-8."""
    path = Path(path)
    # Written beside the target and renamed over it, so a failure never leaves half a file; but a device or a
    # pipe (/dev/stdout, /dev/null) is written in place: renaming over it would replace it with a plain file.
    direct = path.exists() and not path.is_file()
    tmp = path if direct else path.with_name(f".{path.name}.partial")
    count = 0
    try:
        with open(tmp, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for row in rows:
                writer.writerow([spreadsheet_safe(v) for v in row])
                count += 1
        if not direct:
            os.replace(tmp, path)
    except OSError as exc:
        if not direct:
            tmp.unlink(missing_ok=True)
        raise ExportError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return count


def export_assignments(plan: Plan, scenario: Scenario, path: str | Path, baseline: Scenario | None = None,
                       bom: bool = False) -> int:
    """One row per account: its id, name, territory with its code, the rep (name, user id, e-mail), region, lock
    (1/0), and (with a baseline) where it was. Read back by `import --alignment` (io/territory_import.py)."""
    a = plan.accounts
    tidx = scenario.territory_index().tolist()
    territories = list(scenario.territories.values())
    codes = territory_codes(scenario)

    def per_account(value) -> list:
        values = [value(t) or "" for t in territories] + [""]  # the last entry: unassigned
        return [values[i] for i in tidx]
    header = ["account_id", "name", "territory", "territory_code", "rep", "rep_id", "rep_email", "region", "locked"]
    columns = [a.external_id.tolist(), [n or "" for n in a.name.tolist()], per_account(lambda t: t.name),
               per_account(lambda t: codes[t.id]), per_account(lambda t: t.rep_name),
               per_account(lambda t: t.rep_id), per_account(lambda t: t.rep_email),
               per_account(lambda t: t.region), scenario.locked.astype(int).tolist()]
    if baseline is not None:
        before = assignment_names(baseline)
        after = assignment_names(scenario)
        header.append("moved_from")
        columns.append(["" if b == n else (b or "(unassigned)") for b, n in zip(before.tolist(), after.tolist())])
    if plan.team is not None:  # the CRM loads one team's territories at a time: say whose they are
        header.append("team")
        columns.append([plan.team.name] * len(a))
    if plan.scoring is not None:
        header += ["score", "tier"]
        columns += [[None if v != v else round(float(v), 1) for v in a.score.tolist()],
                    [t or "" for t in a.tier.tolist()]]
    return write_csv(path, header, zip(*columns), bom=bom)


def export_summary(plan: Plan, scenario: Scenario, path: str | Path, bom: bool = False,
                   contiguity: ContiguityChecker | None = None) -> int:
    """One row per territory with every measure, its deviations from target and contiguity."""
    summary = scenario_summary(plan, scenario, contiguity=contiguity)
    header = (["territory", "rep", "region", *MEASURES, "contiguous", "pieces"]
              + [f"deviation_{k}" for k in SUMMARY_DEVIATIONS])
    rows = ([t["name"], t["rep_name"] or "", t["region"] or "", *(t[m] for m in MEASURES),
             int(t["contiguous"]), t["pieces"], *(t["deviation"][k] for k in SUMMARY_DEVIATIONS)]
            for t in summary["territories"])
    return write_csv(path, header, rows, bom=bom)


def export_change_report(plan: Plan, baseline: Scenario, scenario: Scenario, path: str | Path, engine=None,
                         bom: bool = False) -> int:
    """For communicating a realignment: one row per account that changes territory, with both reps and what it
    weighs (potential, and its workload in the new plan)."""
    from desktop_planner.core.measures import MeasureEngine
    engine = engine or MeasureEngine(plan)
    workload = engine.measures(scenario.id).account_workload_hours
    reps = {t.name: t.rep_name or "" for s in (baseline, scenario) for t in s.territories.values()}
    a = plan.accounts
    rows = ((a.external_id[m.row], a.name[m.row] or "", m.from_territory or "(unassigned)",
             reps.get(m.from_territory, ""), m.to_territory or "(unassigned)", reps.get(m.to_territory, ""),
             round(float(a.potential[m.row]), 2), round(float(workload[m.row]), 2))
            for m in account_moves(baseline, scenario))
    header = ["account_id", "name", "from_territory", "from_rep", "to_territory", "to_rep", "potential",
              "workload_hours"]
    return write_csv(path, header, rows, bom=bom)


def export_changes(conn: sqlite3.Connection, path: str | Path, scenario_id: int | None = None,
                   bom: bool = False) -> int:
    """The audit log: every recorded change with time, user, action and the territories' names."""
    query = """
        SELECT c.id, c.at, s.name, a.external_id, a.name,
               COALESCE(f.name, CASE WHEN c.from_territory_id IS NULL THEN '' ELSE
                        'territory ' || c.from_territory_id || ' (deleted)' END),
               COALESCE(t.name, CASE WHEN c.to_territory_id IS NULL THEN '' ELSE
                        'territory ' || c.to_territory_id || ' (deleted)' END),
               c.action, c.user, c.step, c.label
        FROM changes c
        LEFT JOIN scenarios s ON s.id = c.scenario_id
        LEFT JOIN accounts a ON a.id = c.account_id
        LEFT JOIN territories f ON f.id = c.from_territory_id
        LEFT JOIN territories t ON t.id = c.to_territory_id
        WHERE (? IS NULL OR c.scenario_id = ?)
        ORDER BY c.id"""
    rows = conn.execute(query, (scenario_id, scenario_id))
    header = ["change_id", "at", "scenario", "account_id", "account_name", "from_territory", "to_territory",
              "action", "user", "step", "description"]
    return write_csv(path, header, rows, bom=bom)


def export_issues(conn: sqlite3.Connection, path: str | Path, bom: bool = False) -> int:
    """Rows an import rejected, with the reason, so they can be fixed and imported again."""
    rows = conn.execute("SELECT at, source, row_number, problem, raw FROM import_issues ORDER BY id")
    return write_csv(path, ["at", "source", "row_number", "problem", "raw"], rows, bom=bom)


def export_units(plan: Plan, scenario: Scenario, path: str | Path, bom: bool = False) -> int:
    """The CRM routing list: one row per unit of the active layer (unassigned units too, territory empty) with
    its territory, rep, and the accounts, potential and workload of the accounts placed in it. An approximate
    layer (ZIP areas built from centroids) gets a last column saying so on every row."""
    from desktop_planner.core.measures import MeasureEngine
    from desktop_planner.core.model import UNASSIGNED
    from desktop_planner.core.units import NOT_PLACED, unit_totals
    state = plan.units
    layer = state.layer
    territory = state.of(plan, scenario).territory
    workload = MeasureEngine(plan).measures(scenario.id).account_workload_hours
    unit_of = state.unit_of_rows(plan)
    accounts = np.bincount(unit_of[unit_of != NOT_PLACED], minlength=len(layer))
    potential = unit_totals(state, plan, plan.accounts.potential)
    hours = unit_totals(state, plan, workload)
    header = ["unit_id", "unit_name", "territory", "rep_name", "accounts", "potential", "workload_hours"]
    if layer.approximate:
        header.append("approximate")

    def rows():
        for u in range(len(layer)):
            t = scenario.territories.get(int(territory[u])) if territory[u] != UNASSIGNED else None
            row = [layer.ids[u], layer.names[u] or "", t.name if t else "", (t.rep_name or "") if t else "",
                   int(accounts[u]), round(float(potential[u]), 2), round(float(hours[u]), 2)]
            if layer.approximate:
                row.append("yes")
            yield row
    return write_csv(path, header, rows(), bom=bom)
