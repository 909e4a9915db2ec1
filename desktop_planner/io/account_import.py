"""Reading accounts from a CRM export: every row is either accepted or rejected with its reason, never dropped.

Rows are streamed in (progress, Cancel), then checked column by column with numpy/pandas, which keeps a million
rows within seconds. Numbers are read column by column (io/numbers.py: each column's own decimal separator).
Rows without coordinates but with a US postcode are placed at the postcode's centroid and flagged as approximate
(`attrs["location"] = "postcode"`). A postcode is checked against the row's state: a ZIP code in another state is
not used (the row is placed by its coordinates, or rejected), and only a state that agrees mends a lost leading
zero. What is worth knowing but rejects no row (values read as missing, a column that looks unused) is a notice.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from desktop_planner.io.geocode import check_us_postcode, is_us_country, locate_us_postcode, us_state_code
from desktop_planner.io.header_names import describe_mapping
from desktop_planner.io.import_notices import likely_column_notices, number_notices
from desktop_planner.io.mapping import CHECK_FIELDS, FIELDS, MappingError, resolve_mapping
from desktop_planner.io.numbers import decimal_separator, read_number_column
from desktop_planner.io.table_reader import TableError, TableInfo, open_table

MAX_FIELD_CHARS = 5000  # longer is almost always an unclosed quote that swallowed the following lines
KEPT_FIELD_CHARS = 200  # of a field that long, the part kept with the rejected row
ANTARCTICA_LAT = -60.0  # south of this, a CRM account is a latitude and longitude swapped, not a research station
NUMBER_LIMITS = {  # field -> (smallest, largest) accepted
    "potential": (0.0, 1e13),
    "visits_per_year": (0.0, 5000.0),
    "visit_minutes": (0.0, 1440.0),
}
NUMERIC_FIELDS = ("lat", "lon", "potential", "visits_per_year", "visit_minutes")
TEXT_FIELDS = ("name", "segment", "industry", "postcode")
SHOWN_NOTICES = 12  # notices listed in a report; each names a column or a kind of row, so few are ever more
Progress = Callable[[float, str], bool]  # (fraction done, message) -> False to cancel


class AccountImportError(Exception):
    """An import that cannot start (bad file, unusable mapping); the message names the file and the reason."""


class ImportCancelled(Exception):
    pass


@dataclass
class ImportIssue:
    row_number: int
    raw: str
    problem: str


@dataclass
class AccountsImport:
    info: TableInfo
    mapping: dict[str, str]
    columns: dict[str, np.ndarray]  # accepted rows only, fields of the accounts table (+ "attrs" JSON text)
    row_numbers: np.ndarray  # file row number of each accepted row
    issues: list[ImportIssue] = field(default_factory=list)
    read: int = 0
    blank_lines: int = 0
    geocoded: int = 0
    notices: list[str] = field(default_factory=list)  # worth knowing, rejects no row

    @property
    def fields(self) -> tuple[str, ...]:
        """The account fields this import carries; a refresh leaves the others of existing accounts alone."""
        carried = {f for f in self.mapping if f in NUMERIC_FIELDS + TEXT_FIELDS}
        if "postcode" in self.mapping:  # positions found from the postcode
            carried |= {"lat", "lon"}
        account_columns = {c for f, c in self.mapping.items() if f in FIELDS}
        if set(self.info.header) - account_columns or self.geocoded:  # extra columns or placement notes
            carried.add("attrs")
        return tuple(sorted(carried))

    @property
    def accepted(self) -> int:
        return len(self.row_numbers)

    @property
    def rejected(self) -> int:
        return len(self.issues)

    def report(self, first: int = 5) -> str:
        lines = [f"{self.info.path.name}: read {self.read:,} rows, accepted {self.accepted:,} "
                 f"({self.geocoded:,} placed at their postcode, approximate), rejected {self.rejected:,}",
                 f"  columns used: {describe_mapping(self.mapping)}"]
        if self.blank_lines:
            lines.append(f"  {self.blank_lines:,} blank lines skipped")
        if self.info.fallback_characters:
            lines.append(f"  {self.info.fallback_characters:,} characters were not UTF-8 and were read as cp1252")
        lines.extend(f"  note: {notice}" for notice in self.notices[:SHOWN_NOTICES])
        for issue in self.issues[:first]:
            lines.append(f"  row {issue.row_number}: {issue.problem}")
        if self.rejected > first:
            lines.append(f"  ... and {self.rejected - first:,} more (export them with --what issues)")
        return "\n".join(lines)


def _shortened(cells: list[str]) -> list[str]:
    """The row as kept with its issue: overlong fields cut, with their length."""
    return [c if len(c) <= MAX_FIELD_CHARS else f"{c[:KEPT_FIELD_CHARS]}…[{len(c):,} characters]" for c in cells]


def raw_line(cells: list[str], delimiter: str | None) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter or ",", lineterminator="").writerow(cells)
    return out.getvalue()


def read_accounts(path: str | Path, overrides: dict[str, str] | None = None, encoding: str = "auto",
                  delimiter: str | None = None, progress: Progress | None = None) -> AccountsImport:
    try:
        info, rows = open_table(path, encoding, delimiter)
        mapping = resolve_mapping(info.header, overrides)
    except (TableError, MappingError) as exc:
        raise AccountImportError(str(exc) if str(path) in str(exc) else f"{path}: {exc}") from None
    width = len(info.header)
    issues: list[ImportIssue] = []
    good: list[list[str]] = []
    numbers: list[int] = []
    read = blank = 0
    for number, cells, fraction in rows:
        joined = "".join(cells)  # one string to search: a test per cell costs seconds over a million rows
        if not joined.strip():
            blank += 1
            continue
        read += 1
        if len(cells) != width:
            issues.append(ImportIssue(number, raw_line(cells, info.delimiter),
                                      f"row has {len(cells)} fields, the header has {width}"))
            continue
        longest = max(map(len, cells))
        if longest > MAX_FIELD_CHARS:
            column = info.header[[len(c) for c in cells].index(longest)]
            issues.append(ImportIssue(number, raw_line(_shortened(cells), info.delimiter),
                                      f"field {column[:40]!r} is {longest:,} characters long (the most is "
                                      f"{MAX_FIELD_CHARS:,}; an unclosed quote?)"))
            continue
        if "\x00" in joined:
            column = info.header[[("\x00" in c) for c in cells].index(True)]
            issues.append(ImportIssue(number, raw_line([c.replace("\x00", "\\0") for c in cells], info.delimiter),
                                      f"field {column[:40]!r} holds a NUL byte (binary data, not text)"))
            continue
        good.append(cells)
        numbers.append(number)
        if progress is not None and read % 20000 == 0 and progress(0.8 * fraction, f"Reading row {read:,}") is False:
            rows.close()
            raise ImportCancelled()
    if progress is not None and progress(0.85, "Checking values") is False:
        raise ImportCancelled()
    result = AccountsImport(info, mapping, {}, np.array(numbers, dtype=np.int64), issues, read, blank)
    # A semicolon-separated file comes from a decimal-comma locale: its habit, where no column of it tells.
    _check(result, good, habit="," if info.delimiter == ";" else ".")
    result.issues.sort(key=lambda i: i.row_number)
    return result


def _check(result: AccountsImport, good: list[list[str]], habit: str) -> None:
    info, mapping = result.info, result.mapping
    n = len(good)
    index_of = {name: i for i, name in enumerate(info.header)}
    table = np.empty((n, len(info.header)), dtype=object)
    if n:
        table[:] = good  # one C-level copy; zip(*rows) over a million rows is several times slower
    by_index = [table[:, i] for i in range(len(info.header))]
    column = {f: by_index[index_of[c]] for f, c in mapping.items()}
    problems: dict[int, list[str]] = defaultdict(list)

    def flag(mask: np.ndarray, message: Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask):
            problems[int(i)].append(message(i))

    # Unicode NFC: an id typed with a composed or a decomposed accent is one account, not two.
    ids = np.array([unicodedata.normalize("NFC", v.strip()) for v in column["external_id"]], dtype=object)
    flag(ids == "", lambda i: "missing account id")
    duplicated = pd.Series(ids, dtype=object).duplicated(keep="first").to_numpy() & (ids != "")
    if duplicated.any():
        first_row = {}
        for i, value in enumerate(ids.tolist()):
            first_row.setdefault(value, int(result.row_numbers[i]))
        flag(duplicated, lambda i: f"duplicate account id {ids[i]!r} (first on row {first_row[ids[i]]})")

    values = _numbers(result, column, habit, flag)
    lat, lon = values["lat"], values["lon"]
    bad_lat = ~np.isnan(lat) & (np.abs(lat) > 90)
    bad_lon = ~np.isnan(lon) & (np.abs(lon) > 180)
    flag(bad_lat, lambda i: f"latitude {lat[i]:g} is outside -90 to 90")
    flag(bad_lon, lambda i: f"longitude {lon[i]:g} is outside -180 to 180")
    flag((lat == 0) & (lon == 0), lambda i: "coordinates 0, 0 (a placeholder, not a location)")
    swapped = ~np.isnan(lat) & ~np.isnan(lon) & (lat < ANTARCTICA_LAT) & (np.abs(lon) <= 90)
    flag(swapped, lambda i: f"latitude {lat[i]:g} is in Antarctica: latitude and longitude look swapped (swap the "
                            f"columns, or map them with --map)")
    has_position = ~np.isnan(lat) & ~np.isnan(lon) & ~bad_lat & ~bad_lon & ~((lat == 0) & (lon == 0)) & ~swapped

    texts = {name: _text(column.get(name), n) for name in TEXT_FIELDS + CHECK_FIELDS}
    postcodes, approximate, dropped = _place_by_postcode(result, texts, lat, lon, has_position, problems)
    result.notices.extend(likely_column_notices(info.header, mapping, {c: by_index[i] for c, i in index_of.items()}))

    for i, found in sorted(problems.items()):
        result.issues.append(ImportIssue(int(result.row_numbers[i]), raw_line(good[i], info.delimiter),
                                         "; ".join(found)))
    accept = np.ones(n, dtype=bool)
    accept[list(problems)] = False
    keep = np.flatnonzero(accept)
    account_columns = {c for f, c in mapping.items() if f in FIELDS}
    extra = [c for c in info.header if c not in account_columns]
    attrs = _attrs_json([by_index[index_of[c]][keep] for c in extra], extra, approximate[keep],
                        dropped[keep], mapping.get("postcode"))
    result.columns = {
        "external_id": ids[keep], "name": texts["name"][keep], "lon": lon[keep], "lat": lat[keep],
        "potential": np.nan_to_num(values["potential"][keep]), "visits_per_year": values["visits_per_year"][keep],
        "visit_minutes": values["visit_minutes"][keep], "segment": texts["segment"][keep],
        "industry": texts["industry"][keep], "postcode": postcodes[keep], "attrs": attrs,
    }
    result.row_numbers = result.row_numbers[keep]
    result.geocoded = int(approximate[keep].sum())


def _numbers(result: AccountsImport, column: dict[str, np.ndarray], habit: str, flag) -> dict[str, np.ndarray]:
    """Each numeric field's values (NaN where missing or rejected), its bad cells flagged, notices added."""
    n = len(result.row_numbers)
    told = {name: decimal_separator(column[name], default=None) for name in NUMERIC_FIELDS if name in column}
    agreed = set(told.values()) - {None}
    # A column with no telling value ('1.234' alone) reads like the file's other columns, else as its habit.
    fallback = agreed.pop() if len(agreed) == 1 else habit
    values: dict[str, np.ndarray] = {}
    for name in NUMERIC_FIELDS:
        if name not in column:
            values[name] = np.full(n, np.nan)
            continue
        raw = column[name]
        parsed = read_number_column(raw, decimal=told[name] or fallback)
        result.notices.extend(number_notices(name, result.mapping[name], parsed, raw))
        flag(parsed.bad, lambda i, name=name, raw=raw: f"{name} {str(raw[i]).strip()[:40]!r} is not a number")
        numbers = parsed.values
        low, high = NUMBER_LIMITS.get(name, (-np.inf, np.inf))
        out = ~np.isnan(numbers) & ((numbers < low) | (numbers > high))
        flag(out, lambda i, name=name, numbers=numbers, low=low, high=high:
             f"{name} {numbers[i]:g} is outside {low:g} to {high:g}")
        numbers[out] = np.nan
        values[name] = numbers
    return values


def _postcode_verdict(postcode: str | None, state: str | None, country: str | None) -> tuple:
    """(the code to keep, the conflict with the state or None, whether the row is in the US as far as its country
    says, whether a lost leading zero was mended, whether the row's state confirmed it)."""
    if postcode is None:
        return None, None, True, False, False
    if is_us_country(country) is False:  # a German PLZ is no US ZIP code, however alike they look
        return postcode, None, False, False, False
    check = check_us_postcode(postcode, state)
    padded = check.code is not None and len(postcode) < 5
    return check.code or (None if check.conflict else postcode), check.conflict, True, padded, \
        padded and us_state_code(state) is not None


def _per_distinct(fn: Callable, *columns: np.ndarray) -> tuple[list, np.ndarray]:
    """(fn(*cells) per distinct combination of cells, the index of each row's combination): a million accounts
    hold a few thousand postcodes, and a check per row would cost seconds."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        combined = pd.factorize(combined * len(uniques) + codes)[0]  # renumbered: below the row count, no overflow
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    return [fn(*(column[i] for column in columns)) for i in first.tolist()], inverse


def _place_by_postcode(result: AccountsImport, texts: dict[str, np.ndarray], lat: np.ndarray, lon: np.ndarray,
                       has_position: np.ndarray, problems: dict[int, list[str]]
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's postcode as kept, checked against its state and country, and rows without coordinates placed
    at their ZIP code's centre (lat, lon filled in). Returns (postcodes, approximate: placed so, dropped: the
    written postcode of a row whose ZIP code is in another state than the row, which keeps it only as written)."""
    n = len(lat)
    approximate = np.zeros(n, dtype=bool)
    if n == 0:
        return np.full(0, None, dtype=object), approximate, np.full(0, None, dtype=object)
    answers, inverse = _per_distinct(_postcode_verdict, texts["postcode"], texts["state"], texts["country"])

    def part(k: int, dtype) -> np.ndarray:
        values = np.empty(len(answers), dtype=dtype)
        values[:] = [a[k] for a in answers]
        return values[inverse]
    postcodes, conflict, in_us, mended, agreed = (part(k, t) for k, t in enumerate((object, object, bool, bool, bool)))
    clean = np.ones(n, dtype=bool)
    clean[list(problems)] = False
    conflicting = clean & has_position & pd.notna(conflict)
    dropped = np.where(conflicting, texts["postcode"], None)
    for i in np.flatnonzero(clean & ~has_position).tolist():
        postcode = texts["postcode"][i]
        found = locate_us_postcode(postcodes[i]) if postcodes[i] and in_us[i] and conflict[i] is None else None
        if found is not None:
            lon[i], lat[i] = found
            approximate[i] = True
        elif conflict[i] is not None:
            problems[i].append(f"no coordinates, and {conflict[i]}")
        elif not in_us[i]:
            problems[i].append(f"no coordinates, and postcode {postcode!r} is in {texts['country'][i]!r}: only US "
                               f"ZIP codes are placed")
        elif np.isnan(lat[i]) != np.isnan(lon[i]):
            problems[i].append("only one of latitude and longitude is given, and no known US postcode")
        elif postcode:
            problems[i].append(f"no coordinates, and postcode {postcode!r} is not a known US ZIP code")
        else:
            problems[i].append("no coordinates and no postcode")
    padded, confirmed = int((mended & clean).sum()), int((agreed & clean).sum())
    if padded:
        codes = ("1 ZIP code had lost its leading zeros and was" if padded == 1 else
                 f"{padded:,} ZIP codes had lost their leading zeros and were")
        result.notices.append(f"postcode: {codes} padded to five digits ({confirmed:,} confirmed by the row's state)")
    if conflicting.any():
        count, i = int(conflicting.sum()), int(np.flatnonzero(conflicting)[0])
        codes = "1 ZIP code is" if count == 1 else f"{count:,} ZIP codes are"
        result.notices.append(f"postcode: {codes} in another state than the row's (row {int(result.row_numbers[i])}: "
                              f"{conflict[i]}); placed by the row's coordinates instead, the ZIP code kept only as "
                              f"written, with the extra attributes")
    return postcodes, approximate, dropped


def _attrs_json(columns: list[np.ndarray], names: list[str], approximate: np.ndarray, dropped: np.ndarray,
                postcode_column: str | None) -> np.ndarray:
    """JSON text of the unmapped columns per row (empty cells left out), None when there is nothing to keep.
    A postcode not kept as the account's (`dropped`) is kept here under its column's name."""
    keys = [encode_basestring(name) + ": " for name in names]
    postcode_key = encode_basestring(postcode_column or "postcode") + ": "
    out = np.full(len(approximate), None, dtype=object)
    for i in range(len(approximate)):
        parts = [key + encode_basestring(col[i]) for key, col in zip(keys, columns) if col[i].strip()]
        if dropped[i] is not None:
            parts.append(postcode_key + encode_basestring(dropped[i]))
        if approximate[i]:
            parts.append('"location": "postcode"')
        if parts:
            out[i] = "{" + ", ".join(parts) + "}"
    return out


def _text(values: np.ndarray | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, None, dtype=object)
    return np.array([v.strip() or None for v in values], dtype=object)
