"""An alignment keyed by geography unit (`ZIP,Territory`, `FIPS,Territory`, `unit_id,territory`), the format
sales operations keeps most often, read into one command: every unit listed goes to its territory and its
accounts follow (named exceptions and locked accounts keep theirs). An empty territory unassigns the unit, as
`export --what units` writes unassigned units.

Keys are matched to the active layer's unit ids. A spreadsheet that dropped a ZIP's or FIPS code's leading zero
(7201 for 07201) is mended when exactly one unit fits with the zeros put back, and the row is refused, with the
reason, when several do or none does. ZIP+4 (02139-4307) and numbers read as decimals (7201.0) are understood,
and a unit's full name (New York) works where it names one unit only.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from desktop_planner.core.commands import AddTerritory, AssignUnits, Command, Composite
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario, Territory
from desktop_planner.core.palette import territory_palette
from desktop_planner.io.account_import import ImportIssue

# Header words (normalised: lower case, words split by one space) that name a unit key column.
UNIT_KEYS = ("unit id", "unit", "zip", "zip code", "zipcode", "zip5", "postcode", "postal code", "fips",
             "county fips", "fips code", "geoid", "state", "state code", "county", "brick", "unit code")
ZIP_PLUS_FOUR = re.compile(r"^(\d{5})-?\d{4}$")


def unit_key_column(header_norm: list[str], layer) -> int | None:
    """Position of the column holding unit keys, or None (then the file is keyed by account)."""
    own = layer.id_column.lower() if layer.id_column else None
    for position, name in enumerate(header_norm):
        if name in UNIT_KEYS or (own is not None and name == own.replace("_", " ")):
            return position
    return None


class UnitKeys:
    """Matches the keys of a file to the layer's units, mending lost leading zeros where that is unambiguous."""

    def __init__(self, layer) -> None:
        self.layer = layer
        ids = [str(u) for u in layer.ids.tolist()]
        self.widths = sorted({len(u) for u in ids if u.isdigit()})
        by_name: dict[str, list[int]] = {}
        for i, name in enumerate(layer.names.tolist()):
            if name:
                by_name.setdefault(str(name).strip().lower(), []).append(i)
        self.by_name = {k: v[0] for k, v in by_name.items() if len(v) == 1}

    def match(self, key: str) -> tuple[int | None, str | None, str | None]:
        """(unit index, the id it was mended to or None, the problem or None)."""
        text = key.strip()
        if not text:
            return None, None, "missing unit id"
        if self.layer.has(text):
            return self.layer.index_of(text), None, None
        if re.fullmatch(r"\d+\.0+", text):  # a spreadsheet's number: 7201.0
            text = text.split(".")[0]
        plus_four = ZIP_PLUS_FOUR.match(text)
        if plus_four and self.layer.has(plus_four.group(1)):
            return self.layer.index_of(plus_four.group(1)), None, None
        if self.layer.has(text):
            return self.layer.index_of(text), None, None
        if text.isdigit():
            candidates = [text.zfill(w) for w in self.widths if w > len(text) and self.layer.has(text.zfill(w))]
            if len(candidates) == 1:
                return self.layer.index_of(candidates[0]), candidates[0], None
            if len(candidates) > 1:
                return None, None, (f"{key!r} lost its leading zeros and could be any of {', '.join(candidates)}; "
                                    f"write it in full")
        by_name = self.by_name.get(text.lower())
        if by_name is not None:
            return by_name, None, None
        return None, None, self._unknown(key, text)

    def _unknown(self, key: str, text: str) -> str:
        what = "a ZIP area" if self.layer.kind == "us-zip" else "a unit"
        if self.layer.kind == "us-zip" and text.isdigit() and len(text) <= 5:
            from desktop_planner.io.geocode import locate_us_postcode
            if locate_us_postcode(text.zfill(5)) is not None:
                return (f"ZIP {text.zfill(5)} has no area in the layer (a PO box, single-organisation or "
                        f"military ZIP, or outside the layer's states)")
        return f"{key!r} is not {what} of the project's layer ({self.layer.kind})"


def unit_alignment(plan: Plan, scenario: Scenario, records, key_column: str, path: str | Path,
                   issues: list[ImportIssue]) -> tuple[Command | None, list[ImportIssue]]:
    """records: (row number, cells, {key_column: key, "territory": name}) as territory_import reads them."""
    keys = UnitKeys(plan.units.layer)
    by_name = {t.name: t.id for t in scenario.territories.values()}
    next_id = plan.next_territory_id()
    palette = territory_palette(len(by_name) + 64)
    new_territories: list[Command] = []
    units, targets, seen, mended = [], [], {}, []
    for number, cells, r in records:
        raw = ",".join(cells)
        unit, mended_to, problem = keys.match(r[key_column])
        territory = r["territory"]  # empty: the unit is unassigned (as `export --what units` writes it)
        if problem is None and unit in seen:
            first_row, first_territory = seen[unit]
            if first_territory == territory:
                continue  # the same line twice: nothing to refuse
            problem = (f"unit {plan.units.layer.ids[unit]} is listed twice with different territories (row "
                       f"{first_row}: {first_territory!r})")
        if problem is not None:
            issues.append(ImportIssue(number, raw, problem))
            continue
        seen[unit] = (number, territory)
        if mended_to is not None:
            mended.append((r[key_column], mended_to))
        if territory and territory not in by_name:
            by_name[territory] = next_id
            new_territories.append(AddTerritory(scenario.id, Territory(next_id, territory,
                                                                       color=palette[(next_id - 1) % len(palette)])))
            next_id += 1
        units.append(unit)
        targets.append(by_name[territory] if territory else UNASSIGNED)
    if not units:
        return None, issues
    assign = AssignUnits(scenario.id, np.array(units), np.array(targets), label="Import unit alignment",
                         action="import")
    command = Composite(new_territories + [assign], f"Import unit alignment from {Path(path).name} "
                        f"({len(units):,} units)", action="import")
    command.notes = _notes(mended, assign)
    command.assign = assign
    return command, issues


def _notes(mended: list[tuple[str, str]], assign: AssignUnits) -> list[str]:
    notes = []
    if mended:
        shown = ", ".join(f"{a} → {b}" for a, b in mended[:5])
        notes.append(f"{len(mended):,} unit ids mended (leading zeros a spreadsheet dropped put back): {shown}"
                     + (" …" if len(mended) > 5 else ""))
    return notes
