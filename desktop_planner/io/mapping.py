"""Which file column feeds which account field: guessed from the header, corrected by the user."""

from __future__ import annotations


from desktop_planner.io.header_names import SYNONYMS, match_columns

SHOWN_COLUMNS = 20  # column names listed in a message; a header of 100,000 columns must not make a 1 MB message


def column_list(header, shown: int = SHOWN_COLUMNS) -> str:
    """Column names for a message: the first `shown`, each cut to 40 characters, then how many more."""
    names = [h if len(h) <= 40 else h[:40] + "…" for h in list(header)[:shown]]
    more = len(header) - len(names)
    return ", ".join(names) + (f", … and {more:,} more" if more > 0 else "")


# The account fields a column can feed; their header spellings are io/header_names.py's SYNONYMS.
FIELDS = ("external_id", "name", "lat", "lon", "potential", "visits_per_year", "visit_minutes", "segment", "industry",
          "postcode")
# Columns read only to check the postcode against (a ZIP code in another state is a wrong ZIP or a wrong state);
# they are also kept with the account as extra attributes, as the account table has no place for them.
CHECK_FIELDS = ("state", "country")
MAPPABLE = FIELDS + CHECK_FIELDS
REQUIRED = ("external_id",)
# Fields a balanced plan rests on: left without a column while one looks like it, the import says so.
CORE_FIELDS = ("potential", "segment")


class MappingError(ValueError):
    pass


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Field -> column name for every field (account and check fields) whose synonyms a column answers to."""
    positions = match_columns(header, {f: SYNONYMS[f] for f in MAPPABLE})
    return {field: header[positions[field]] for field in MAPPABLE if field in positions}


def map_items(items: list[str], fields, option: str, error=MappingError) -> dict[str, str]:
    """`COLUMN=FIELD` options as field -> column; errors (of type `error`) name the bad item and list the fields."""
    result: dict[str, str] = {}
    for item in items:
        column, sep, field = item.rpartition("=")
        if not sep or not column or not field:
            raise error(f"{option} takes COLUMN=FIELD, got {item!r}")
        if field not in fields:
            raise error(f"{option} {item}: unknown field {field!r} (fields: {', '.join(fields)})")
        result[field] = column
    return result


def parse_overrides(items: list[str], header: list[str]) -> dict[str, str]:
    """`--map COLUMN=FIELD` options as field -> column; errors name the bad item."""
    result = map_items(items, MAPPABLE, "--map")
    for field, column in result.items():
        if column not in header:
            raise MappingError(f"--map {column}={field}: the file has no column {column!r} (columns: "
                               f"{column_list(header)})")
    return result


def resolve_mapping(header: list[str], overrides: dict[str, str | None] | None = None) -> dict[str, str]:
    """The guess, corrected by the overrides (a column taken by an override is freed from its guessed field;
    an override of None leaves that field out of the import)."""
    mapping = guess_mapping(header)
    for field, column in (overrides or {}).items():
        if field not in MAPPABLE:
            raise MappingError(f"unknown field {field!r} (fields: {', '.join(MAPPABLE)})")
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
    return {field: mapping[field] for field in MAPPABLE if field in mapping}
