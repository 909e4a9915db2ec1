"""Reading accounts from a CRM export: every row is either accepted or rejected with its reason, never dropped.

Rows are streamed in (progress, Cancel), then checked column by column with numpy/pandas, which keeps a million
rows within seconds. Rows without coordinates but with a US postcode are placed at the postcode's centroid and
flagged as approximate (`attrs["location"] = "postcode"`).
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

from desktop_planner.io.geocode import locate_us_postcode, normalise_us_postcode
from desktop_planner.io.mapping import MappingError, resolve_mapping
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

    @property
    def fields(self) -> tuple[str, ...]:
        """The account fields this import carries; a refresh leaves the others of existing accounts alone."""
        carried = {f for f in self.mapping if f in NUMERIC_FIELDS + TEXT_FIELDS}
        if "postcode" in self.mapping:  # positions found from the postcode
            carried |= {"lat", "lon"}
        if len(self.info.header) > len(self.mapping) or self.geocoded:  # extra columns or placement notes
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
                 f"({self.geocoded:,} placed at their postcode, approximate), rejected {self.rejected:,}"]
        if self.blank_lines:
            lines.append(f"  {self.blank_lines:,} blank lines skipped")
        if self.info.fallback_characters:
            lines.append(f"  {self.info.fallback_characters:,} characters were not UTF-8 and were read as cp1252")
        for issue in self.issues[:first]:
            lines.append(f"  row {issue.row_number}: {issue.problem}")
        if self.rejected > first:
            lines.append(f"  ... and {self.rejected - first:,} more (export them with --what issues)")
        return "\n".join(lines)


def _shortened(cells: list[str]) -> list[str]:
    """The row as kept with its issue: overlong fields cut, with their length."""
    return [c if len(c) <= MAX_FIELD_CHARS else f"{c[:KEPT_FIELD_CHARS]}…[{len(c):,} characters]" for c in cells]


def _raw_line(cells: list[str], delimiter: str | None) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter or ",", lineterminator="").writerow(cells)
    return out.getvalue()


_NON_FINITE_WORDS = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"}
_CLUTTER = str.maketrans("", "", " \t\u00a0$€£¥")


def _parse_one(text: str, decimal_comma: bool) -> float:
    """A number as spreadsheets write it: '$1,200.50', '1.200,50' (in ;-separated files), ' 7 '."""
    cleaned = text.translate(_CLUTTER)
    cleaned = cleaned.replace(".", "").replace(",", ".") if decimal_comma else cleaned.replace(",", "")
    if cleaned.lower() in _NON_FINITE_WORDS:
        raise ValueError(text)
    return float(cleaned)


def parse_numbers(values, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from text cells. Returns (values, NaN where empty or bad; mask of non-empty cells that are not
    numbers). Plain numbers go through numpy's parser at C speed; only the rest are cleaned one by one."""
    text = np.array([("" if v is None else str(v)).strip() for v in values], dtype=object)
    empty = text == ""
    numbers = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    if decimal_comma:
        retry = ~empty  # '40,5' parses as nothing and '1.234' as the wrong number: every cell is cleaned
    else:
        retry = ~empty & ~np.isfinite(numbers)
    bad = np.zeros(len(text), dtype=bool)
    for i in np.flatnonzero(retry):
        try:
            numbers[i] = _parse_one(text[i], decimal_comma)
        except ValueError:
            numbers[i] = np.nan
            bad[i] = True
    bad |= ~empty & ~np.isfinite(numbers)  # '1e999' overflows to infinity
    numbers[bad | empty] = np.nan
    return numbers, bad


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
        if not "".join(cells).strip():
            blank += 1
            continue
        read += 1
        if len(cells) != width:
            issues.append(ImportIssue(number, _raw_line(cells, info.delimiter),
                                      f"row has {len(cells)} fields, the header has {width}"))
            continue
        longest = max(map(len, cells))
        if longest > MAX_FIELD_CHARS:
            column = info.header[[len(c) for c in cells].index(longest)]
            issues.append(ImportIssue(number, _raw_line(_shortened(cells), info.delimiter),
                                      f"field {column[:40]!r} is {longest:,} characters long (the most is "
                                      f"{MAX_FIELD_CHARS:,}; an unclosed quote?)"))
            continue
        if any("\x00" in c for c in cells):
            column = info.header[[("\x00" in c) for c in cells].index(True)]
            issues.append(ImportIssue(number, _raw_line([c.replace("\x00", "\\0") for c in cells], info.delimiter),
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
    _check(result, good, decimal_comma=info.delimiter == ";")
    result.issues.sort(key=lambda i: i.row_number)
    return result


def _check(result: AccountsImport, good: list[list[str]], decimal_comma: bool) -> None:
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

    values: dict[str, np.ndarray] = {}
    for name in NUMERIC_FIELDS:
        if name not in column:
            values[name] = np.full(n, np.nan)
            continue
        parsed, bad = parse_numbers(column[name], decimal_comma)
        raw = column[name]
        flag(bad, lambda i, name=name, raw=raw: f"{name} {str(raw[i]).strip()[:40]!r} is not a number")
        low, high = NUMBER_LIMITS.get(name, (-np.inf, np.inf))
        out = ~np.isnan(parsed) & ((parsed < low) | (parsed > high))
        flag(out, lambda i, name=name, parsed=parsed, low=low, high=high:
             f"{name} {parsed[i]:g} is outside {low:g} to {high:g}")
        parsed[out] = np.nan
        values[name] = parsed
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

    texts = {name: _text(column.get(name), n) for name in TEXT_FIELDS}
    approximate = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(~has_position & ~bad_lat & ~bad_lon):
        if i in problems:
            continue
        partial = np.isnan(lat[i]) != np.isnan(lon[i])
        postcode = texts["postcode"][i]
        found = locate_us_postcode(postcode) if postcode else None
        if found is not None:
            lon[i], lat[i] = found
            approximate[i] = True
        elif partial:
            problems[int(i)].append("only one of latitude and longitude is given, and no known US postcode")
        elif postcode:
            problems[int(i)].append(f"no coordinates, and postcode {postcode!r} is not a known US ZIP code")
        else:
            problems[int(i)].append("no coordinates and no postcode")

    for i, found in sorted(problems.items()):
        result.issues.append(ImportIssue(int(result.row_numbers[i]), _raw_line(good[i], info.delimiter),
                                         "; ".join(found)))
    accept = np.ones(n, dtype=bool)
    accept[list(problems)] = False
    keep = np.flatnonzero(accept)
    extra = [c for c in info.header if c not in set(mapping.values())]
    attrs = _attrs_json([by_index[index_of[c]][keep] for c in extra], extra, approximate[keep])
    postcodes = np.array([normalise_us_postcode(p) or p if p else None for p in texts["postcode"][keep]],
                         dtype=object)
    result.columns = {
        "external_id": ids[keep], "name": texts["name"][keep], "lon": lon[keep], "lat": lat[keep],
        "potential": np.nan_to_num(values["potential"][keep]), "visits_per_year": values["visits_per_year"][keep],
        "visit_minutes": values["visit_minutes"][keep], "segment": texts["segment"][keep],
        "industry": texts["industry"][keep], "postcode": postcodes, "attrs": attrs,
    }
    result.row_numbers = result.row_numbers[keep]
    result.geocoded = int(approximate[keep].sum())


def _attrs_json(columns: list[np.ndarray], names: list[str], approximate: np.ndarray) -> np.ndarray:
    """JSON text of the unmapped columns per row (empty cells left out), None when there is nothing to keep."""
    keys = [encode_basestring(name) + ": " for name in names]
    out = np.full(len(approximate), None, dtype=object)
    for i in range(len(approximate)):
        parts = [key + encode_basestring(col[i]) for key, col in zip(keys, columns) if col[i].strip()]
        if approximate[i]:
            parts.append('"location": "postcode"')
        if parts:
            out[i] = "{" + ", ".join(parts) + "}"
    return out


def _text(values: np.ndarray | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, None, dtype=object)
    return np.array([v.strip() or None for v in values], dtype=object)
