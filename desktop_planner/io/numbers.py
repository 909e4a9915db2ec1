"""Numbers as spreadsheets and CRMs write them, one column at a time.

The decimal separator is decided per column, from the column's own values: '41.6229' can only be a decimal point
(a thousands group has three digits), '1.234,56' and '1,234.56' say which is which, and a column of such values
tells how to read its ambiguous ones ('1.234'). Only a column with no telling value falls back to the file's habit.
A value that can only be read one way is read that way whatever its column says, so a column pasted together from
two sources loses nothing. Currency symbols and codes are dropped ('$1,200', '1 200 €', 'USD 3400'); cells that
say there is no value ('N/A', '-', 'n.a.') are missing, like blank ones, and counted, never read as 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Written where a value is unknown, in the languages of SYNONYMS (k.A. = keine Angabe, n.d. = non disponible).
PLACEHOLDERS = frozenset({"n/a", "na", "n.a.", "n.a", "#n/a", "#na", "-", "--", "---", "—", "–", "?", "none",
                          "null", "nil", "k.a.", "k.a", "n.v.", "n.d.", "nd", "s.d.", "s/d", "ninguno"})
CURRENCY_SYMBOLS = {"US$": "USD", "CA$": "CAD", "AU$": "AUD", "C$": "CAD", "A$": "AUD", "R$": "BRL", "$": "USD",
                    "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "Fr.": "CHF", "kr": "kr", "zł": "PLN"}
CURRENCY_CODES = ("USD", "EUR", "GBP", "CHF", "CAD", "AUD", "NZD", "JPY", "CNY", "SEK", "NOK", "DKK", "PLN", "CZK",
                  "HUF", "INR", "BRL", "MXN", "ZAR", "SGD", "HKD")
SAMPLED = 5000  # values with a separator that decide a column's separator; more would not change the vote
_NON_FINITE = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"}
_MONEY = "|".join(re.escape(t) for t in sorted([*CURRENCY_SYMBOLS, *CURRENCY_CODES], key=len, reverse=True))
_CURRENCY = re.compile(rf"^(?:({_MONEY})\s*)?(.*?)(?:\s*({_MONEY}))?$", re.IGNORECASE | re.DOTALL)
# Spaces (also no-break and narrow no-break) and apostrophes ('1'234.50') group thousands; U+2212 is a minus.
_GROUPING = str.maketrans({" ": None, "\t": None, "\u00a0": None, "\u202f": None, "'": None, "’": None,
                           "\u2212": "-"})
# A number with the decimal separator D and thousands separator T: groups of three after a first group that does
# not start with 0 ('0.123' is never a thousand and twenty-three).
_SHAPE = r"[+-]?(?:[1-9]\d{{0,2}}(?:{t}\d{{3}})+|\d+)?(?:{d}\d*)?(?:[eE][+-]?\d+)?"
_FORMS = {".": re.compile(_SHAPE.format(d=r"\.", t=",")), ",": re.compile(_SHAPE.format(d=",", t=r"\."))}


@dataclass
class NumberColumn:
    values: np.ndarray  # float64; NaN where the cell is missing or not a number
    bad: np.ndarray  # cells with text that is not a number (a row problem)
    empty: np.ndarray  # blank cells
    placeholder: np.ndarray  # cells that say there is no value (PLACEHOLDERS, or a currency without a figure)
    decimal: str  # the column's decimal separator, "." or ","
    currencies: tuple[str, ...]  # the currencies its cells are written in, as codes ("EUR", "USD")

    @property
    def missing(self) -> np.ndarray:
        return self.empty | self.placeholder


def _unmoneyed(text: str) -> tuple[str, str | None]:
    """The text without a currency before or after it, and that currency's code."""
    match = _CURRENCY.match(text)
    before, body, after = match.groups()
    if before and after:
        return text, None  # 'USD 5 EUR' is no amount
    symbol = before or after
    if symbol is None:
        return text, None
    code = next((c for s, c in CURRENCY_SYMBOLS.items() if s.lower() == symbol.lower()), symbol.upper())
    return body, code


def _readings(text: str) -> list[str]:
    """The decimal separators under which a cleaned text is a number."""
    return [d for d, form in _FORMS.items() if form.fullmatch(text) and any(c.isdigit() for c in text)]


def _value(text: str, decimal: str) -> float:
    thousands = "," if decimal == "." else "."
    return float(text.replace(thousands, "").replace(decimal, "."))


def decimal_separator(texts, default: str = ".") -> str | None:
    """The decimal separator a column's values tell: the one under which most of its telling values read (values
    that one separator only can read), `default` when none tells. None for `default=None` and no telling value."""
    votes = {".": 0, ",": 0}
    seen = 0
    for text in texts:
        text = str(text)
        if "," not in text and "." not in text:
            continue
        cleaned = _unmoneyed(text.strip())[0].translate(_GROUPING)
        readings = _readings(cleaned)
        if len(readings) == 1:
            votes[readings[0]] += 1
        seen += 1
        if seen >= SAMPLED:
            break
    if votes["."] == votes[","]:
        return default
    return "." if votes["."] > votes[","] else ","


def read_number_column(values, decimal: str | None = None, default_decimal: str = ".") -> NumberColumn:
    """Numbers from text cells. `decimal` forces the decimal separator; else the column's values decide
    (decimal_separator), and `default_decimal` where they do not tell. Plain numbers go through pandas' parser at
    C speed; only the rest are cleaned one by one."""
    text = np.array([("" if v is None else str(v)).strip() for v in values], dtype=object)
    series = pd.Series(text, dtype=object)
    empty = text == ""
    decimal = decimal or decimal_separator(text[~empty], default_decimal)
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    retry = ~empty & ~np.isfinite(numbers)
    if decimal == ",":  # pandas reads '1.234' as one point two three four
        retry |= ~empty & series.str.contains(".", regex=False).to_numpy(dtype=bool)
    bad = np.zeros(len(text), dtype=bool)
    placeholder = np.zeros(len(text), dtype=bool)
    currencies: set[str] = set()
    for i in np.flatnonzero(retry):
        numbers[i] = np.nan
        cell = text[i]
        if cell.lower() in PLACEHOLDERS:
            placeholder[i] = True
            continue
        body, currency = _unmoneyed(cell)
        body = body.translate(_GROUPING)
        if currency is not None:
            currencies.add(currency)
            if not body or body.lower() in PLACEHOLDERS:  # '$ -' or '€' alone: an amount left out
                placeholder[i] = True
                continue
        readings = _readings(body)
        if not readings or body.lower() in _NON_FINITE:
            bad[i] = True
            continue
        numbers[i] = _value(body, decimal if decimal in readings else readings[0])
    bad |= ~empty & ~placeholder & ~np.isfinite(numbers)  # '1e999' overflows to infinity
    numbers[bad] = np.nan
    return NumberColumn(numbers, bad, empty, placeholder, decimal, tuple(sorted(currencies)))


def parse_numbers(values, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """(values, NaN where missing; mask of cells that are not numbers), the column's values deciding the decimal
    separator and `decimal_comma` only where they do not tell."""
    column = read_number_column(values, default_decimal="," if decimal_comma else ".")
    return column.values, column.bad
