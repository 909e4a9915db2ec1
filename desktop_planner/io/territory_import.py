"""Reps/territories and an existing alignment from CSV, so a planner starts from today's real plan.

Both produce commands (applied through the History as one step each) plus the rows they had to reject.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np

from desktop_planner.core.commands import AddTerritory, Command, Composite, EditTerritory, SetAssignment
from desktop_planner.core.model import Plan, Scenario, Territory
from desktop_planner.core.palette import territory_palette
from desktop_planner.io.account_import import AccountImportError, ImportIssue, parse_numbers
from desktop_planner.io.geocode import locate_us_postcode
from desktop_planner.io.mapping import column_list, normalise
from desktop_planner.io.table_reader import TableError, open_table

REP_FIELDS = {
    "name": ("territory", "territory name", "name", "territory id"),
    "rep_name": ("rep", "rep name", "representative", "sales rep", "owner"),
    "home_lat": ("home lat", "lat", "latitude", "home latitude"),
    "home_lon": ("home lon", "lon", "lng", "longitude", "home longitude", "home lng"),
    "postcode": ("home postcode", "home zip", "zip", "postcode", "postal code"),
    "capacity_hours": ("capacity", "capacity hours", "hours"),
    "region": ("region", "area", "district"),
    "color": ("color", "colour"),
}
ALIGNMENT_FIELDS = {
    "external_id": ("account id", "id", "account", "external id", "customer id", "account number"),
    "territory": ("territory", "territory name", "territory id"),
}


def _read(path: str | Path, fields: dict[str, tuple[str, ...]], required: tuple[str, ...], unit_layer=None):
    try:
        info, rows = open_table(path)
    except TableError as exc:
        raise AccountImportError(str(exc)) from None
    by_norm = {normalise(h): i for i, h in enumerate(info.header)}
    if unit_layer is not None and not any(s in by_norm for s in fields["external_id"]):
        # No account id column but a unit key column: an alignment keyed by ZIP, FIPS or another unit id.
        from desktop_planner.io.unit_alignment import unit_key_column
        position = unit_key_column([normalise(h) for h in info.header], unit_layer)
        if position is not None:
            fields = {"unit": (normalise(info.header[position]),), "territory": fields["territory"]}
            required = ("unit", "territory")
    columns = {}
    for name, synonyms in fields.items():
        for synonym in synonyms:
            if synonym in by_norm and by_norm[synonym] not in columns.values():
                columns[name] = by_norm[synonym]
                break
    missing = [f for f in required if f not in columns]
    if missing == ["external_id"] and "territory" in fields:
        from desktop_planner.io.unit_alignment import UNIT_KEYS
        keyed_by = next((h for h in info.header if normalise(h) in UNIT_KEYS), None)
        if keyed_by is not None:
            raise AccountImportError(f"{path}: keyed by {keyed_by!r}, a geography unit, but the project has no unit "
                                     f"layer: set one first (desktop-planner units PROJECT --layer us-zip|"
                                     f"us-counties|us-states|FILE)")
    if missing:
        raise AccountImportError(f"{path}: no column for {', '.join(missing)} (columns: {column_list(info.header)})")
    records, issues = [], []
    for number, cells, _ in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(info.header):
            issues.append(ImportIssue(number, ",".join(cells), f"row has {len(cells)} fields, the header has "
                                                               f"{len(info.header)}"))
            continue
        records.append((number, cells, {name: cells[i].strip() for name, i in columns.items()}))
    return info, records, issues


def _number(text: str, what: str, decimal_comma: bool) -> float | None:
    if not text:
        return None
    import pandas as pd
    value, bad = parse_numbers(pd.Series([text]), decimal_comma)
    if bad[0]:
        raise ValueError(f"{what} {text!r} is not a number")
    return float(value[0])


def territories_from_csv(plan: Plan, scenario: Scenario, path: str | Path) -> tuple[Command | None, list[ImportIssue]]:
    """One command adding the new territories and updating those whose name already exists."""
    info, records, issues = _read(path, REP_FIELDS, ("name",))
    decimal_comma = info.delimiter == ";"
    existing = {t.name: t for t in scenario.territories.values()}
    next_id = plan.next_territory_id()
    commands: list[Command] = []
    seen: set[str] = set()
    palette = territory_palette(len(existing) + len(records))
    for number, cells, r in records:
        try:
            if not r["name"]:
                raise ValueError("missing territory name")
            if r["name"] in seen:
                raise ValueError(f"territory {r['name']!r} appears twice")
            lat = _number(r.get("home_lat", ""), "home latitude", decimal_comma)
            lon = _number(r.get("home_lon", ""), "home longitude", decimal_comma)
            if (lat is None) != (lon is None):
                raise ValueError("home needs both latitude and longitude")
            if lat is None and r.get("postcode"):
                found = locate_us_postcode(r["postcode"])
                if found is None:
                    raise ValueError(f"home postcode {r['postcode']!r} is not a known US ZIP code")
                lon, lat = found
            if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"home {lat:g}, {lon:g} is not a valid latitude/longitude")
            capacity = _number(r.get("capacity_hours", ""), "capacity", decimal_comma)
            if capacity is not None and capacity <= 0:
                raise ValueError(f"capacity {capacity:g} must be positive")
        except ValueError as exc:
            issues.append(ImportIssue(number, ",".join(cells), str(exc)))
            continue
        seen.add(r["name"])
        fields = {"rep_name": r.get("rep_name") or None, "home_lon": lon, "home_lat": lat,
                  "capacity_hours": capacity, "region": r.get("region") or None}
        color = r.get("color") or None
        if r["name"] in existing:
            changes = {k: v for k, v in fields.items() if v is not None}
            if color:
                changes["color"] = color
            commands.append(EditTerritory(scenario.id, existing[r["name"]].id, **changes))
        else:
            commands.append(AddTerritory(scenario.id, Territory(next_id, r["name"], color=color or
                                                                palette[(next_id - 1) % len(palette)], **fields)))
            next_id += 1
    if not commands:
        return None, issues
    return Composite(commands, f"Import territories from {Path(path).name}", action="import"), issues


def alignment_from_csv(plan: Plan, scenario: Scenario, path: str | Path) -> tuple[Command | None, list[ImportIssue]]:
    """One command putting each listed account into the named territory (territories missing are created).
    With a unit layer, a file keyed by unit (ZIP, FIPS, unit id) instead gives units to territories and their
    accounts follow (io/unit_alignment.py)."""
    layer = plan.units.layer if getattr(plan, "units", None) is not None else None
    _, records, issues = _read(path, ALIGNMENT_FIELDS, ("external_id", "territory"), unit_layer=layer)
    if records and "unit" in records[0][2]:
        from desktop_planner.io.unit_alignment import unit_alignment
        return unit_alignment(plan, scenario, records, "unit", path, issues)

    # Ids compared in Unicode NFC: "Café" typed composed or decomposed is one account.
    row_of = {unicodedata.normalize("NFC", v): i for i, v in enumerate(plan.accounts.external_id.tolist())}
    by_name = {t.name: t.id for t in scenario.territories.values()}
    next_id = plan.next_territory_id()
    palette = territory_palette(len(by_name) + 64)
    new_territories: list[Command] = []
    rows, targets, seen = [], [], {}
    for number, cells, r in records:
        account, territory = unicodedata.normalize("NFC", r["external_id"]), r["territory"]
        if account not in row_of:
            issues.append(ImportIssue(number, ",".join(cells), f"account id {account!r} is not in the project"))
            continue
        if account in seen:
            issues.append(ImportIssue(number, ",".join(cells), f"account {account!r} listed twice (first on row "
                                                               f"{seen[account]})"))
            continue
        if not territory:
            issues.append(ImportIssue(number, ",".join(cells), "missing territory name"))
            continue
        seen[account] = number
        if territory not in by_name:
            by_name[territory] = next_id
            color = palette[(next_id - 1) % len(palette)]
            new_territories.append(AddTerritory(scenario.id, Territory(next_id, territory, color=color)))
            next_id += 1
        rows.append(row_of[account])
        targets.append(by_name[territory])
    if not rows:
        return None, issues
    assign = SetAssignment(scenario.id, np.array(rows), np.array(targets), label="Import alignment", action="import")
    return Composite(new_territories + [assign], f"Import alignment from {Path(path).name}", action="import"), issues

