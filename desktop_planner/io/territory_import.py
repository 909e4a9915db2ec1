"""Reps/territories and an existing alignment from CSV, so a planner starts from today's real plan.

Each file gives one command (applied through the History as one step) with the rows it had to reject, the column
used for each field and notices about columns it left out: a column the app does not understand is named, never
dropped in silence. Headers are matched ignoring case, accents, punctuation and a unit in brackets ("Capacity
(hrs/yr)" is "capacity", "Kapazität" is "kapazitat"); `overrides` (field -> column, None to leave a field out)
correct the guess. Territories are found by their code first (the CRM's key), then by their name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_planner.core.commands import (AddTerritory, Command, Composite, EditTerritory, SetAssignment, SetLock,
                                           validate_territory)
from desktop_planner.core.model import Plan, Scenario, Territory, territory_codes
from desktop_planner.core.palette import territory_palette
from desktop_planner.io.account_import import AccountImportError, ImportIssue
from desktop_planner.io.header_names import header_key, match_columns
from desktop_planner.io.geocode import locate_us_postcode
from desktop_planner.io.mapping import column_list, map_items
from desktop_planner.io.numbers import parse_numbers
from desktop_planner.io.table_reader import TableError, open_table

# Field -> header spellings (as header_key writes them), the most specific first.
REP_FIELDS = {
    "name": ("territory", "territory name", "territory label", "name", "territory id"),
    "code": ("territory code", "code", "territory developer name", "developer name", "developername",
             "territory key"),
    "rep_name": ("rep", "rep name", "representative", "sales rep", "sales rep name", "rep full name", "owner"),
    "rep_id": ("rep id", "employee id", "user id", "userid", "rep number", "employee number", "sales rep id",
               "owner id"),
    "rep_email": ("email", "e mail", "rep email", "rep e mail", "email address", "e mail address", "user email",
                  "owner email"),
    "home_lat": ("home lat", "home latitude", "lat", "latitude"),
    "home_lon": ("home lon", "home lng", "home longitude", "lon", "lng", "longitude"),
    "home_zip": ("home zip", "home zip code", "home postcode", "home postal code", "zip", "zip code", "zipcode",
                 "postcode", "postal code", "post code", "plz"),
    "capacity_hours": ("capacity", "capacity hours", "annual capacity", "available hours", "hours", "kapazitat",
                       "kapazitaet"),
    "region": ("region", "sales region", "region name", "area", "district"),
    "color": ("color", "colour"),
}
ALIGNMENT_FIELDS = {
    "external_id": ("account id", "id", "account", "external id", "customer id", "account number", "accountid"),
    "territory": ("territory", "territory name", "territory id"),
    "territory_code": ("territory code", "code", "territory developer name", "developer name"),
    "locked": ("locked", "lock", "is locked", "account locked"),
}
# Each tuple: one of these fields must have a column.
REP_REQUIRED = (("name", "code"),)
ALIGNMENT_REQUIRED = (("external_id",), ("territory", "territory_code"))
LOCKED_WORDS = {"yes": True, "y": True, "true": True, "1": True, "x": True, "ja": True, "locked": True,
                "no": False, "n": False, "false": False, "0": False, "": False, "nein": False, "unlocked": False}
NUMBER_FIELDS = {"home_lat": "home latitude", "home_lon": "home longitude", "capacity_hours": "capacity"}
SHOWN_UNUSED = 8  # unused columns named in a notice


@dataclass
class TableImport:
    """What one reps or alignment file gives: the command (None: nothing to apply), the rows it rejected, the
    column used for each field and notices for the user."""
    command: Command | None
    issues: list[ImportIssue]
    columns: dict[str, str]  # field -> column name as the file spells it
    notes: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # columns with values that no field took

    def describe_columns(self) -> str:
        return ", ".join(f"{column!r} -> {name}" for name, column in self.columns.items())


@dataclass
class _Table:
    header: list[str]
    delimiter: str | None
    columns: dict[str, int]  # field -> position
    records: list[tuple[int, list[str], dict[str, str]]]  # (row number, cells, field -> stripped text)
    issues: list[ImportIssue]
    unused: list[str]  # columns with a value somewhere that no field took


def parse_map_items(items: list[str], fields: dict[str, tuple[str, ...]], option: str) -> dict[str, str]:
    """`COLUMN=FIELD` items as field -> column; errors name the bad item and list the fields."""
    return map_items(items, fields, option, AccountImportError)


def _apply_overrides(path, header: list[str], columns: dict[str, int], overrides) -> None:
    """The guess corrected: a column given to a field is taken from the field it was guessed for; a field given
    None is left out."""
    for name, column in (overrides or {}).items():
        if column is None:
            columns.pop(name, None)
            continue
        if column not in header:
            raise AccountImportError(f"{path}: no column {column!r} (columns: {column_list(header)})")
        position = header.index(column)
        for other in [f for f, p in columns.items() if p == position]:
            del columns[other]
        columns[name] = position


def check_overrides(path: str | Path, overrides) -> None:
    """Refuse overrides that name a column the file lacks before anything is imported (AccountImportError)."""
    try:
        info, rows = open_table(path)
    except TableError as exc:
        raise AccountImportError(str(exc)) from None
    rows.close()
    _apply_overrides(path, info.header, {}, overrides)


def read_table(path: str | Path, fields: dict[str, tuple[str, ...]], required, overrides=None,
               unit_layer=None) -> _Table:
    try:
        info, rows = open_table(path)
    except TableError as exc:
        raise AccountImportError(str(exc)) from None
    header = info.header
    columns = match_columns(header, fields)
    _apply_overrides(path, header, columns, overrides)
    if unit_layer is not None and "external_id" not in columns:
        # No account id column but a unit key column: an alignment keyed by ZIP, FIPS or another unit id.
        from desktop_planner.io.unit_alignment import unit_key_column
        position = unit_key_column([header_key(h) for h in header], unit_layer)
        if position is not None:
            columns = {"unit": position, **{f: p for f, p in columns.items() if f == "territory" and p != position}}
            required = (("unit",), ("territory",))
    missing = [" or ".join(group) for group in required if not any(f in columns for f in group)]
    if missing == ["external_id"]:
        from desktop_planner.io.unit_alignment import UNIT_KEYS
        keyed_by = next((h for h in header if header_key(h) in UNIT_KEYS), None)
        if keyed_by is not None:
            rows.close()
            raise AccountImportError(f"{path}: keyed by {keyed_by!r}, a geography unit, but the project has no unit "
                                     f"layer: set one first (desktop-planner units PROJECT --layer us-zip|"
                                     f"us-counties|us-states|FILE)")
    if missing:
        rows.close()
        raise AccountImportError(f"{path}: no column for {', '.join(missing)} (columns: {column_list(header)})")
    table = _Table(header, info.delimiter, columns, [], [], [])
    unused = set(range(len(header))) - set(columns.values())
    filled: set[int] = set()
    for number, cells, _ in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            table.issues.append(ImportIssue(number, ",".join(cells), f"row has {len(cells)} fields, the header has "
                                                                     f"{len(header)}"))
            continue
        filled.update(i for i in unused - filled if cells[i].strip())
        table.records.append((number, cells, {name: cells[i].strip() for name, i in columns.items()}))
    table.unused = [header[i] for i in sorted(filled)]
    return table


def unused_columns_note(table: _Table, why: str) -> list[str]:
    if not table.unused:
        return []
    shown = ", ".join(repr(c) for c in table.unused[:SHOWN_UNUSED])
    more = len(table.unused) - SHOWN_UNUSED
    noun = "column" if len(table.unused) == 1 else "columns"
    return [f"{len(table.unused)} {noun} not used: {shown}{f' and {more} more' if more > 0 else ''} ({why})"]


def _numbers(table: _Table) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Field -> (value per record, NaN where empty; mask of cells that are not numbers), each column read with its
    own decimal separator."""
    result = {}
    for name in NUMBER_FIELDS:
        if name in table.columns:
            texts = [r[name] for _, _, r in table.records]
            # Each column's own values decide its decimal separator; the file's habit only where they do not.
            result[name] = parse_numbers(texts, table.delimiter == ";")
    return result


def _number(numbers, name: str, k: int, text: str) -> float | None:
    if name not in numbers:
        return None
    values, bad = numbers[name]
    if bad[k]:
        raise ValueError(f"{NUMBER_FIELDS[name]} {text!r} is not a number")
    return None if np.isnan(values[k]) else float(values[k])


def _home(numbers, k: int, r: dict[str, str]) -> tuple[float | None, float | None]:
    lat = _number(numbers, "home_lat", k, r.get("home_lat", ""))
    lon = _number(numbers, "home_lon", k, r.get("home_lon", ""))
    if (lat is None) != (lon is None):
        raise ValueError("home needs both latitude and longitude")
    if lat is None and r.get("home_zip"):
        found = locate_us_postcode(r["home_zip"])  # the ZIP's centroid
        if found is None:
            raise ValueError(f"home ZIP code {r['home_zip']!r} is not a known US ZIP code")
        lon, lat = found
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"home {lat:g}, {lon:g} is not a valid latitude/longitude")
    return lon, lat


def column_names(table: _Table) -> dict[str, str]:
    return {name: table.header[i] for name, i in table.columns.items()}


def _working_copy(scenario: Scenario) -> Scenario:
    """The scenario's territories as they will be after the rows accepted so far (each row is checked against it,
    so the command never fails half-way)."""
    return Scenario(scenario.id, scenario.name, dict(scenario.territories), scenario.assignment, scenario.locked)


def import_reps(plan: Plan, scenario: Scenario, path: str | Path, overrides=None) -> TableImport:
    """One command adding the new territories and updating those found by code or name (empty cells leave a
    field as it is)."""
    table = read_table(path, REP_FIELDS, REP_REQUIRED, overrides)
    numbers = _numbers(table)
    work = _working_copy(scenario)
    by_code = {code.casefold(): tid for tid, code in territory_codes(scenario).items()}
    by_name = {t.name: tid for tid, t in scenario.territories.items()}
    next_id = plan.next_territory_id()
    palette = territory_palette(len(by_name) + len(table.records))
    commands: list[Command] = []
    issues = table.issues
    first_row: dict[int, int] = {}
    for k, (number, cells, r) in enumerate(table.records):
        try:
            name, code = r.get("name") or r.get("code"), r.get("code") or None
            if not name:
                raise ValueError("missing territory name")
            tid = by_code.get(code.casefold()) if code else None
            tid = by_name.get(name) if tid is None else tid
            if tid in first_row:
                raise ValueError(f"territory {name!r} appears twice (first on row {first_row[tid]})")
            lon, lat = _home(numbers, k, r)
            capacity = _number(numbers, "capacity_hours", k, r.get("capacity_hours", ""))
            if capacity is not None and capacity <= 0:
                raise ValueError(f"capacity {capacity:g} must be positive")
            fields = {"rep_name": r.get("rep_name") or None, "home_lon": lon, "home_lat": lat,
                      "capacity_hours": capacity, "region": r.get("region") or None, "code": code,
                      "rep_id": r.get("rep_id") or None, "rep_email": r.get("rep_email") or None,
                      "color": r.get("color") or None}
            if tid is None:
                fields["color"] = fields["color"] or palette[(next_id - 1) % len(palette)]
                after = Territory(next_id, name, **fields)
                command: Command = AddTerritory(scenario.id, after)
            else:
                changes = {f: v for f, v in fields.items() if v is not None}
                if r.get("name") and name != work.territories[tid].name:  # found by code: the CRM renamed it
                    changes["name"] = name
                after = work.territories[tid].with_changes(**changes)
                command = EditTerritory(scenario.id, tid, **changes)
            validate_territory(work, after)  # a CommandError is a ValueError: the row is rejected with it
        except ValueError as exc:
            issues.append(ImportIssue(number, ",".join(cells), str(exc)))
            continue
        if after.id == next_id:
            next_id += 1
        first_row[after.id] = number
        by_name[after.name] = after.id
        if code:
            by_code[code.casefold()] = after.id
        if after != work.territories.get(after.id):
            work.territories[after.id] = after
            commands.append(command)
    command = Composite(commands, f"Import territories from {Path(path).name}", action="import") if commands \
        else None
    notes = unused_columns_note(table, "the names match no field of a reps file")
    return TableImport(command, issues, column_names(table), notes, table.unused)


def import_alignment(plan: Plan, scenario: Scenario, path: str | Path, overrides=None) -> TableImport:
    """One command putting each listed account into its territory (found by code, then by name; missing ones are
    created) and, with a Locked column, locking or unlocking it. With a unit layer, a file keyed by unit (ZIP,
    FIPS, unit id) instead gives units to territories and their accounts follow (io/unit_alignment.py)."""
    layer = plan.units.layer if getattr(plan, "units", None) is not None else None
    table = read_table(path, ALIGNMENT_FIELDS, ALIGNMENT_REQUIRED, overrides, unit_layer=layer)
    why = "an alignment sets each account's territory and lock; reps and regions come from the reps file"
    notes = unused_columns_note(table, why)
    if "unit" in table.columns:
        from desktop_planner.io.unit_alignment import unit_alignment
        command, issues = unit_alignment(plan, scenario, table.records, "unit", path, table.issues)
        return TableImport(command, issues, column_names(table), notes + getattr(command, "notes", []),
                           table.unused)

    # Ids compared in Unicode NFC: "Café" typed composed or decomposed is one account.
    row_of = {unicodedata.normalize("NFC", v): i for i, v in enumerate(plan.accounts.external_id.tolist())}
    work = _working_copy(scenario)
    by_code = {code.casefold(): tid for tid, code in territory_codes(scenario).items()}
    by_name = {t.name: t.id for t in scenario.territories.values()}
    next_id = plan.next_territory_id()
    palette = territory_palette(len(by_name) + 64)
    new_territories: list[Command] = []
    rows, targets, locks, seen = [], [], [], {}
    issues = table.issues
    for number, cells, r in table.records:
        account = unicodedata.normalize("NFC", r["external_id"])
        name, code = r.get("territory", ""), r.get("territory_code", "")
        try:
            if account not in row_of:
                raise ValueError(f"account id {account!r} is not in the project")
            if account in seen:
                raise ValueError(f"account {account!r} listed twice (first on row {seen[account]})")
            if not name and not code:
                raise ValueError("missing territory name")
            locked = LOCKED_WORDS.get(r.get("locked", "").lower())
            if locked is None:
                raise ValueError(f"locked must be yes/no, true/false, 1/0 or x, got {r['locked']!r}")
            tid = by_code.get(code.casefold()) if code else None
            tid = by_name.get(name) if tid is None and name else tid
            if tid is None:
                tid = next_id
                territory = Territory(tid, name or code, color=palette[(tid - 1) % len(palette)], code=code or None)
                validate_territory(work, territory)
                work.territories[tid] = territory
                new_territories.append(AddTerritory(scenario.id, territory))
                by_name[territory.name] = tid
                if code:
                    by_code[code.casefold()] = tid
                next_id += 1
        except ValueError as exc:
            issues.append(ImportIssue(number, ",".join(cells), str(exc)))
            continue
        seen[account] = number
        rows.append(row_of[account])
        targets.append(tid)
        locks.append(locked)
    if not rows:
        return TableImport(None, issues, column_names(table), notes, table.unused)
    steps = new_territories + [SetAssignment(scenario.id, np.array(rows), np.array(targets), label="Import alignment",
                                             action="import")]
    if "locked" in table.columns:
        steps.append(SetLock(scenario.id, np.array(rows), np.array(locks)))
        notes.append(f"locks: {sum(locks):,} accounts locked, {len(locks) - sum(locks):,} not locked")
    command = Composite(steps, f"Import alignment from {Path(path).name}", action="import")
    return TableImport(command, issues, column_names(table), notes, table.unused)


def territories_from_csv(plan: Plan, scenario: Scenario, path: str | Path,
                         overrides=None) -> tuple[Command | None, list[ImportIssue]]:
    """import_reps as (command, rejected rows)."""
    result = import_reps(plan, scenario, path, overrides)
    return result.command, result.issues


def alignment_from_csv(plan: Plan, scenario: Scenario, path: str | Path,
                       overrides=None) -> tuple[Command | None, list[ImportIssue]]:
    """import_alignment as (command, rejected rows)."""
    result = import_alignment(plan, scenario, path, overrides)
    return result.command, result.issues
