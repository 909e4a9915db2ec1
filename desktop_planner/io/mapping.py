"""Which file column feeds which account field: guessed from the header, corrected by the user."""

from __future__ import annotations

import re

SHOWN_COLUMNS = 20  # column names listed in a message; a header of 100,000 columns must not make a 1 MB message


def column_list(header, shown: int = SHOWN_COLUMNS) -> str:
    """Column names for a message: the first `shown`, each cut to 40 characters, then how many more."""
    names = [h if len(h) <= 40 else h[:40] + "…" for h in list(header)[:shown]]
    more = len(header) - len(names)
    return ", ".join(names) + (f", … and {more:,} more" if more > 0 else "")

# Field -> header spellings seen in CRM exports (compared after lower-casing and dropping punctuation).
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "account id", "accountid", "account number", "account no", "customer id", "customer number",
                    "crm id", "external id", "record id", "account"),
    "name": ("name", "account name", "company", "company name", "customer", "customer name", "business name"),
    "lat": ("lat", "latitude", "y", "geo lat", "lat dd"),
    "lon": ("lon", "lng", "long", "longitude", "x", "geo lon", "geo lng", "lon dd"),
    "potential": ("potential", "revenue", "arr", "annual revenue", "sales potential", "value", "sales", "opportunity",
                  "market potential"),
    "visits_per_year": ("visits", "visits per year", "visit frequency", "call frequency", "calls per year",
                        "frequency"),
    "visit_minutes": ("minutes", "visit minutes", "visit duration", "call duration", "duration", "minutes per visit"),
    "segment": ("segment", "tier", "class", "customer segment", "size"),
    "industry": ("industry", "sector", "vertical", "sic description", "naics description"),
    "postcode": ("zip", "zipcode", "zip code", "postcode", "postal code", "post code", "plz", "zip5"),
}
FIELDS = tuple(FIELD_SYNONYMS)
REQUIRED = ("external_id",)


class MappingError(ValueError):
    pass


def normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Field -> column name for every field whose synonym matches a column (first match wins)."""
    by_norm: dict[str, str] = {}
    for column in header:
        by_norm.setdefault(normalise(column), column)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field, synonyms in FIELD_SYNONYMS.items():
        for synonym in synonyms:
            column = by_norm.get(synonym)
            if column is not None and column not in used:
                mapping[field] = column
                used.add(column)
                break
    return mapping


def parse_overrides(items: list[str], header: list[str]) -> dict[str, str]:
    """`--map COLUMN=FIELD` options as field -> column; errors name the bad item."""
    result: dict[str, str] = {}
    for item in items:
        column, sep, field = item.rpartition("=")
        if not sep or not column or not field:
            raise MappingError(f"--map takes COLUMN=FIELD, got {item!r}")
        if field not in FIELDS:
            raise MappingError(f"--map {item}: unknown field {field!r} (fields: {', '.join(FIELDS)})")
        if column not in header:
            raise MappingError(f"--map {item}: the file has no column {column!r} (columns: {column_list(header)})")
        result[field] = column
    return result


def resolve_mapping(header: list[str], overrides: dict[str, str | None] | None = None) -> dict[str, str]:
    """The guess, corrected by the overrides (a column taken by an override is freed from its guessed field;
    an override of None leaves that field out of the import)."""
    mapping = guess_mapping(header)
    for field, column in (overrides or {}).items():
        if field not in FIELDS:
            raise MappingError(f"unknown field {field!r} (fields: {', '.join(FIELDS)})")
        if column is None:
            mapping.pop(field, None)
            continue
        if column not in header:
            raise MappingError(f"the file has no column {column!r} (columns: {column_list(header)})")
        for other, col in list(mapping.items()):
            if col == column and other != field:
                del mapping[other]
        mapping[field] = column
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise MappingError(f"no column for the account id (columns: {column_list(header)}); "
                           f"name it with --map COLUMN=external_id")
    if ("lat" in mapping) != ("lon" in mapping):
        have, lack = ("lat", "lon") if "lat" in mapping else ("lon", "lat")
        raise MappingError(f"a column for {have} but none for {lack}; map it with --map COLUMN={lack}")
    if "lat" not in mapping and "postcode" not in mapping:
        raise MappingError("no coordinate columns and no postcode column: accounts cannot be placed "
                           "(map them with --map COLUMN=lat --map COLUMN=lon or --map COLUMN=postcode)")
    return mapping
