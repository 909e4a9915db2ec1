"""What an accounts import tells the planner without rejecting a row: values read as missing, a column that came
out empty, a column that looks like potential or segment but feeds nothing, mixed currencies.

Each notice names the field and the column, so that the planner can check the file or correct the mapping; none of
them stops the import, because every row behind them is still a usable account.
"""

from __future__ import annotations

import numpy as np

from desktop_planner.io.header_names import bracket_note, header_key
from desktop_planner.io.numbers import CURRENCY_CODES, NumberColumn, read_number_column

# What a field's missing value becomes, said after the count. Longitude has none: a row without a longitude has
# none of either in practice, and one without only the other is rejected with its own reason.
MISSING_MEANS = {
    "lat": "such rows are placed by their postcode where they have one",
    "potential": "read as 0",
    "visits_per_year": "the segment's default (else the project's) applies",
    "visit_minutes": "the segment's default (else the project's) applies",
}
# Words in a header that suggest a field, for columns the synonyms did not match ('Revenue 2023', 'Kundentyp').
# A word of five letters or more also counts inside a longer one (German and Dutch join words: 'Jahresumsatz').
HINTS = {
    "potential": ("revenue", "revenues", "umsatz", "turnover", "arr", "mrr", "acv", "sales", "omzet", "ventas",
                  "ingresos", "chiffre", "potential", "potenzial", "potentiel", "potencial", "potentieel", "spend",
                  "wallet", "value", "amount", "volume", "facturacion"),
    "segment": ("segment", "tier", "type", "typ", "class", "klasse", "category", "kategorie", "categorie",
                "categoria", "tipo", "size", "grade", "abc", "kundentyp", "klanttype"),
}
SHOWN_PLACEHOLDERS = 3  # distinct 'N/A'-like spellings named in a notice
SHOWN_LIKELY = 3  # candidate columns named in a notice


def _shown(column: str) -> str:
    return repr(column if len(column) <= 40 else column[:40] + "…")


def number_notices(field: str, column: str, parsed: NumberColumn, raw: np.ndarray) -> list[str]:
    """Notices about one numeric column over the rows read: values missing (counted), the whole column 0 or empty,
    several currencies."""
    notices = []
    n = len(parsed.values)
    if n and np.all(np.nan_to_num(parsed.values) == 0) and not parsed.bad.all():
        notices.append(f"{field}: every value in {_shown(column)} is 0 or empty; is it the right column?")
    elif parsed.missing.any() and field in MISSING_MEANS:
        spellings = list(dict.fromkeys(str(raw[i]).strip() for i in np.flatnonzero(parsed.placeholder)))
        parts = [f"{int(parsed.empty.sum()):,} empty"] if parsed.empty.any() else []
        if spellings:
            written = ", ".join(repr(s) for s in spellings[:SHOWN_PLACEHOLDERS])
            parts.append(f"{int(parsed.placeholder.sum()):,} written as {written}"
                         + (" …" if len(spellings) > SHOWN_PLACEHOLDERS else ""))
        notices.append(f"{field}: {int(parsed.missing.sum()):,} of {n:,} values in {_shown(column)} are missing "
                       f"({', '.join(parts)}); {MISSING_MEANS[field]}")
    currencies = set(parsed.currencies)
    note = bracket_note(column)
    if note and note.upper() in CURRENCY_CODES:
        currencies.add(note.upper())
    if len(currencies) > 1:
        notices.append(f"{field}: {_shown(column)} mixes currencies ({', '.join(sorted(currencies))}); the values are "
                       f"read as written, not converted")
    return notices


def _hinted(column: str, hints: tuple[str, ...]) -> bool:
    words = header_key(column).split()
    return any(word == hint or (len(hint) >= 5 and hint in word) for word in words for hint in hints)


def likely_column_notices(header: list[str], mapping: dict[str, str], cells: dict[str, np.ndarray]) -> list[str]:
    """For potential and segment left without a column: the unused columns that look like one, by their name and
    their values (a potential column mostly numbers, a segment column a few distinct values)."""
    used = set(mapping.values())
    notices = []
    for field, hints in HINTS.items():
        if field in mapping:
            continue
        likely = []
        for column in header:
            if column in used or not _hinted(column, hints):
                continue
            values = np.array([v.strip() for v in cells[column]], dtype=object)
            filled = values[values != ""]
            if not len(filled):
                continue
            if field == "potential":
                parsed = read_number_column(filled)
                fits = np.isfinite(parsed.values).sum() * 2 >= len(filled)
            else:
                fits = len(set(filled.tolist())) <= max(20, len(values) // 10)
            if fits:
                likely.append(column)
        if likely:
            names = ", ".join(_shown(c) for c in likely[:SHOWN_LIKELY])
            notices.append(f"{field}: no column feeds it, but {names} looks like one; map it to {field} if it is")
    return notices
