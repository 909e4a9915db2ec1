"""Reading accounts from a CRM export: every row is either accepted or rejected with its reason, never dropped.

Rows are streamed in (progress, Cancel), then checked column by column with numpy/pandas, which keeps a million
rows within seconds. Rows without coordinates but with a US postcode are placed at the postcode's centroid and
flagged as approximate (`attrs["location"] = "postcode"`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from desktop_planner.io.geocode import locate_us_postcode, normalise_us_postcode
from desktop_planner.io.mapping import MappingError, resolve_mapping
from desktop_planner.io.table_reader import TableError, TableInfo, open_table

MAX_FIELD_CHARS = 5000  # longer is almost always an unclosed quote that swallowed the following lines
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
        if self.info.fallback_lines:
            lines.append(f"  {len(self.info.fallback_lines):,} lines were not UTF-8 and were read as cp1252 "
                         f"(first: line {self.info.fallback_lines[0]})")
        for issue in self.issues[:first]:
            lines.append(f"  row {issue.row_number}: {issue.problem}")
        if self.rejected > first:
            lines.append(f"  ... and {self.rejected - first:,} more (export them with --what issues)")
        return "\n".join(lines)


def _raw_line(cells: list[str], delimiter: str | None) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter or ",", lineterminator="").writerow(cells)
    return out.getvalue()


def parse_numbers(values: pd.Series, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from text as spreadsheets write them ('$1,200.50', '1.200,50' in ;-files, ' 7 ').
    Returns (values with NaN for empty or bad, bool mask of non-empty cells that are not numbers)."""
    text = values.fillna("").astype(str).str.strip()
    empty = (text == "").to_numpy()
    cleaned = text.str.replace(r"[\s$€£¥]", "", regex=True)
    if decimal_comma:
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    words = cleaned.str.lower().isin(["nan", "inf", "-inf", "+inf", "infinity", "-infinity"]).to_numpy()
    bad = ~empty & (np.isnan(numbers) | words)
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
        if not any(c.strip() for c in cells):
            blank += 1
            continue
        read += 1
        if len(cells) != width:
            issues.append(ImportIssue(number, _raw_line(cells, info.delimiter),
                                      f"row has {len(cells)} fields, the header has {width}"))
            continue
        longest = max(len(c) for c in cells)
        if longest > MAX_FIELD_CHARS:
            column = info.header[[len(c) for c in cells].index(longest)]
            issues.append(ImportIssue(number, _raw_line(cells, info.delimiter)[:2000] + "…",
                                      f"field {column!r} is {longest:,} characters long (an unclosed quote?)"))
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
    frame = pd.DataFrame(good, columns=range(len(info.header)), dtype=object) if n else \
        pd.DataFrame(columns=range(len(info.header)), dtype=object)
    index_of = {name: i for i, name in enumerate(info.header)}
    column = {f: frame[index_of[c]] for f, c in mapping.items()}
    problems: list[list[str]] = [[] for _ in range(n)]

    def flag(mask: np.ndarray, message: Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask):
            problems[i].append(message(i))

    ids = column["external_id"].astype(str).str.strip().to_numpy(dtype=object, copy=True)
    flag(ids == "", lambda i: "missing account id")
    duplicated = pd.Series(ids).duplicated(keep="first").to_numpy() & (ids != "")
    first_row = {}
    for i, value in enumerate(ids):
        first_row.setdefault(value, result.row_numbers[i] if n else 0)
    flag(duplicated, lambda i: f"duplicate account id {ids[i]!r} (first on row {first_row[ids[i]]})")

    values: dict[str, np.ndarray] = {}
    for name in NUMERIC_FIELDS:
        if name not in column:
            values[name] = np.full(n, np.nan)
            continue
        parsed, bad = parse_numbers(column[name], decimal_comma)
        raw = column[name].to_numpy(dtype=object, copy=True)
        flag(bad, lambda i, name=name, raw=raw: f"{name} {str(raw[i])[:40]!r} is not a number")
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
    has_position = ~np.isnan(lat) & ~np.isnan(lon) & ~bad_lat & ~bad_lon & ~((lat == 0) & (lon == 0))

    texts = {name: _text(column.get(name), n) for name in TEXT_FIELDS}
    approximate = np.zeros(n, dtype=bool)
    rejected_so_far = np.array([bool(p) for p in problems], dtype=bool)
    for i in np.flatnonzero(~has_position & ~rejected_so_far & ~bad_lat & ~bad_lon):
        partial = np.isnan(lat[i]) != np.isnan(lon[i])
        found = locate_us_postcode(texts["postcode"][i]) if texts["postcode"][i] else None
        if found is not None:
            lon[i], lat[i] = found
            approximate[i] = True
        elif partial:
            problems[i].append("only one of latitude and longitude is given, and no known US postcode")
        elif texts["postcode"][i]:
            problems[i].append(f"no coordinates, and postcode {texts['postcode'][i]!r} is not a known US ZIP code")
        else:
            problems[i].append("no coordinates and no postcode")
    extra = [c for c in info.header if c not in set(mapping.values())]
    extra_columns = [frame[index_of[c]].to_numpy(dtype=object, copy=True) for c in extra]

    accept = np.array([not p for p in problems], dtype=bool)
    for i in np.flatnonzero(~accept):
        result.issues.append(ImportIssue(int(result.row_numbers[i]), _raw_line(good[i], info.delimiter),
                                         "; ".join(problems[i])))
    keep = np.flatnonzero(accept)
    attrs = np.full(len(keep), None, dtype=object)
    for j, i in enumerate(keep):
        record = {c: col[i] for c, col in zip(extra, extra_columns) if col[i] not in (None, "")}
        if approximate[i]:
            record["location"] = "postcode"
        attrs[j] = json.dumps(record, ensure_ascii=False) if record else None
    postcodes = np.array([normalise_us_postcode(p) or p if p else None for p in texts["postcode"][keep]],
                         dtype=object)
    result.columns = {
        "external_id": ids[keep], "name": texts["name"][keep], "lon": lon[keep], "lat": lat[keep],
        "potential": np.nan_to_num(values["potential"][keep]), "visits_per_year": values["visits_per_year"][keep],
        "visit_minutes": values["visit_minutes"][keep], "segment": texts["segment"][keep],
        "industry": texts["industry"][keep], "postcode": postcodes, "attrs": attrs,
    }
    result.row_numbers = result.row_numbers[keep] if n else result.row_numbers
    result.geocoded = int(approximate[keep].sum())


def _text(series: pd.Series | None, n: int) -> np.ndarray:
    if series is None:
        return np.full(n, None, dtype=object)
    text = series.astype(str).str.strip().to_numpy(dtype=object, copy=True)
    text[text == ""] = None
    return text
