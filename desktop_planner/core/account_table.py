"""The accounts as a table of named columns, for team rules and account scores to name.

`account_columns(accounts)` gives one numpy array per column: the standard account fields under their own names
and every imported column kept in `accounts.attrs` (JSON text per account) under a normalised name
("Annual Revenue (USD)" -> "annual_revenue_usd"), so that a rule can say `annual_revenue_usd >= 1M` whatever
the spreadsheet heading looked like. Number columns are float64 with NaN for a missing value; text columns are
object arrays of str with None for a missing value.

The arrays are shared with the accounts and between calls: read them, never write to them.
"""

from __future__ import annotations

import json
import math
import re
import weakref

import numpy as np

# The standard fields, by kind. They keep their names, and an imported column whose name normalises to one of
# them is dropped: the planner's own field is the one every other part of the application shows and edits.
NUMBER_FIELDS = ("potential", "visits_per_year", "visit_minutes", "score", "lon", "lat")
TEXT_FIELDS = ("name", "external_id", "segment", "industry", "postcode", "tier")
STANDARD_FIELDS = frozenset(NUMBER_FIELDS + TEXT_FIELDS)

# Where the parsed attrs part is kept on the Accounts object. Accounts are replaced rather than mutated when
# the data change, so the cache lives exactly as long as the data it was made from.
_CACHE_ATTRIBUTE = "_column_table"
_SHARED_CACHE: dict[int, tuple[weakref.ref, dict[str, np.ndarray]]] = {}  # id(attrs) -> (attrs, columns)
_TEXT_CACHE: dict[int, tuple[weakref.ref, np.ndarray, np.ndarray]] = {}  # id(column) -> (column, keys, codes)
_CACHE_SIZE = 32

_NON_ALNUM = re.compile(r"[\W_]+")
# A number as people write it in a spreadsheet export: optional sign, digits with or without thousands commas,
# decimals, exponent, surrounding spaces. Deliberately not "nan"/"inf", which float() would also accept but
# which are words in a text column rather than measurements.
_NUMBER_TEXT = re.compile(r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def column_key(name: str) -> str:
    """The normalised column name: casefolded, every run of non-alphanumeric characters replaced by "_",
    no leading or trailing "_" ("Annual Revenue (USD)" -> "annual_revenue_usd")."""
    return _NON_ALNUM.sub("_", str(name).casefold()).strip("_")


def is_number_column(values: np.ndarray) -> bool:
    """True for a number column (a float or integer array), False for a text column (an object array)."""
    return np.asarray(values).dtype.kind in "fiu"


def describe_columns(table: dict[str, np.ndarray]) -> list[tuple[str, str]]:
    """(name, "number" | "text") for every column, sorted by name: for error messages and column pickers."""
    return [(name, "number" if is_number_column(values) else "text") for name, values in sorted(table.items())]


def columns_text(table: dict[str, np.ndarray]) -> str:
    """The columns as one line for an error message: "arr (number), industry (text), ..."."""
    return ", ".join(f"{name} ({kind})" for name, kind in describe_columns(table)) or "none"


def text_key(value) -> str | None:
    """A text value as rules and categories compare it: stripped and casefolded; None when missing or blank."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value).strip().casefold() or None


def text_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A text column as (keys, codes): keys a numpy str array of its distinct text_key values, codes an int32
    index into keys per account, -1 where missing; so `np.append(test(keys), False)[codes]` tests every account
    while touching each distinct value once. Cached per array, as long as the array lives: a rule is
    re-evaluated on the same columns every time the user edits it, and folding a million texts takes a moment."""
    hit = _TEXT_CACHE.get(id(values))
    if hit is not None and hit[0]() is values:
        return hit[1], hit[2]
    index: dict[str, int] = {}
    codes = np.fromiter((-1 if k is None else index.setdefault(k, len(index)) for k in map(text_key, values)),
                        dtype=np.int32, count=len(values))
    keys = np.array(list(index), dtype=str)
    _remember(_TEXT_CACHE, values, (keys, codes))
    return keys, codes


def _remember(cache: dict, key_array, value: tuple) -> None:
    """Keep value for key_array until the array is garbage-collected (or pushed out by newer entries)."""
    key = id(key_array)
    try:
        reference = weakref.ref(key_array, lambda _, key=key: cache.pop(key, None))
    except TypeError:
        return  # not weakly referable (not an ndarray): nothing safe to key a cache entry on
    while len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = (reference, *value)


def account_columns(accounts) -> dict[str, np.ndarray]:
    """Every column a rule or a score may name, one array of len(accounts) each (see the module docstring)."""
    table = dict(_attrs_columns(accounts))
    # The standard part is rebuilt on every call because it only refers to the accounts' arrays, and because
    # score and tier may be replaced on the same Accounts object after a scoring run.
    for name in NUMBER_FIELDS + TEXT_FIELDS:
        values = getattr(accounts, name, None)
        if values is None:
            continue  # score/tier on accounts that were never scored
        if name in NUMBER_FIELDS:
            values = np.asarray(values, dtype=np.float64)
        table[name] = values
    return table


def _attrs_columns(accounts) -> dict[str, np.ndarray]:
    attrs = accounts.attrs
    cached = getattr(accounts, _CACHE_ATTRIBUTE, None)
    # Compared by identity: a new attrs array (a re-import) invalidates the cache even on the same object.
    if cached is not None and cached[0] is attrs:
        return cached[1]
    # Re-scoring makes a new Accounts object sharing the same attrs array: find its columns by the array too.
    shared = _SHARED_CACHE.get(id(attrs))
    columns = shared[1] if shared is not None and shared[0]() is attrs else _parse_attrs(attrs)
    try:
        setattr(accounts, _CACHE_ATTRIBUTE, (attrs, columns))
    except AttributeError:
        pass  # an object that takes no new attributes is parsed on every call instead
    _remember(_SHARED_CACHE, attrs, (columns,))
    return columns


def _parse_attrs(attrs: np.ndarray) -> dict[str, np.ndarray]:
    n = len(attrs)
    raw: dict[str, list] = {}  # column key -> value per row (None where the row has none)
    for row, text in enumerate(attrs):
        for key, value in _read_row(text).items():
            name = column_key(key)
            if not name or name in STANDARD_FIELDS or _is_empty(value):
                continue
            column = raw.get(name)
            if column is None:
                column = raw[name] = [None] * n
            if column[row] is None:  # two headings that normalise alike ("ARR", "arr"): the first one wins
                column[row] = value
    return {name: _typed_column(values) for name, values in raw.items()}


def _read_row(text) -> dict:
    """One row's attrs as a dict; anything unreadable counts as an empty row so that one bad row never stops
    the rules and scores of all the others."""
    if text is None:
        return {}
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return not math.isfinite(value)  # json reads NaN and Infinity; neither is a usable value
    return False


def _as_number(value) -> float | None:
    """The value as a float if it reads as a number, else None."""
    if isinstance(value, bool):
        return None  # true/false are categories, not 1 and 0
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an integer beyond float range is an identifier, not an amount
            return None
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER_TEXT.fullmatch(text):
            number = float(text.replace(",", ""))
            return number if math.isfinite(number) else None
    return None


def _as_text(value) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 5400.0 from a spreadsheet reads as "5400", as the user typed it
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _typed_column(values: list) -> np.ndarray:
    numbers = np.full(len(values), np.nan)
    for row, value in enumerate(values):
        if value is None:
            continue
        number = _as_number(value)
        if number is None:
            # One value that is not a number makes it a text column: a rule on it then compares text, and the
            # error for `column >= 5` says so instead of silently ignoring the rows that are not numbers.
            text = np.full(len(values), None, dtype=object)
            text[:] = [None if v is None else _as_text(v) for v in values]
            return text
        numbers[row] = number
    return numbers
