"""Reporting periods as the record tables keep them (actuals, quotas): a quarter 'YYYY-Qn' or a month 'YYYY-MM'.

CRM and ERP exports write periods many ways; `parse_period` reads the usual ones and gives the kept form:
  quarters  '2026-Q1', '2026Q1', '2026 q1', '2026/Q1', 'Q1 2026', 'Q1-2026', 'Q1/2026'
  months    '2026-03', '2026-3', '2026/03', '202603', '03/2026', '3.2026', 'Mar 2026', 'March 2026', '2026 Mar'
  dates     '2026-03-15', '2026/03/15', '20260315', '15/03/2026', '15.03.2026', '03/15/2026', with or without a
            time ('2026-03-15 00:00:00', as an Excel date cell reads) -> their month
With `quarterly=True` a month or a date gives its quarter instead ('2026-03-15' -> '2026-Q1'), so that rows of a
monthly or transaction-level export add up per quarter.

A date written day and month both below 13 ('03/04/2026') can be read either way. `parse_period_column` decides
per column, like the decimal separator of a number column (io/numbers.py): a date whose first part is above 12
tells day-first, one whose second part is above 12 tells month-first; a column where none tells is read day-first
(with '.' always day-first, as Germans and others write it), and the caller can say so to the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

YEARS = (1900, 2199)  # outside: a typo ('20026-Q1') or a number that is no period
MONTHS = {name: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
EXAMPLES = "2026-Q1, 2026-03 or a date such as 2026-03-15"

_KEPT = re.compile(r"^(\d{4})-(?:Q([1-4])|(0[1-9]|1[0-2]))$")
_QUARTER = re.compile(r"^(?:(\d{4})\s*[-/ ]?\s*Q([1-4])|Q([1-4])\s*[-/ ]?\s*(\d{4}))$", re.IGNORECASE)
_ODD_QUARTER = re.compile(r"^\d{4}\s*[-/ ]?\s*Q(\d+)$|^Q(\d+)\s*[-/ ]?\s*\d{4}$", re.IGNORECASE)
_YEAR_MONTH = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$|^(\d{4})(\d{2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{4})$")
_NAMED_MONTH = re.compile(r"^([A-Za-z]+)\.?[\s\-/]*(\d{4})$|^(\d{4})[\s\-/]*([A-Za-z]+)\.?$")
_ISO_DATE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$|"
                       r"^(\d{4})(\d{2})(\d{2})$")
_OTHER_DATE = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


class PeriodError(ValueError):
    """Text that is not a period; the message names the text."""


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None  # 1..4 for a quarter
    month: int | None  # 1..12 for a month

    @property
    def text(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else f"{self.year}-{self.month:02d}"


def _bad(text, why: str = "") -> PeriodError:
    shown = str(text) if len(str(text)) <= 40 else str(text)[:40] + "…"
    return PeriodError(f"{shown!r} is not a period{f' ({why})' if why else ''}: write {EXAMPLES}")


def _year(text, value: str) -> int:
    year = int(value)
    if not YEARS[0] <= year <= YEARS[1]:
        raise _bad(text, f"year {year} is outside {YEARS[0]} to {YEARS[1]}")
    return year


def _month(text, year: int, month: int, quarterly: bool) -> str:
    if not 1 <= month <= 12:
        raise _bad(text, f"month {month} is not 1 to 12")
    return f"{year}-Q{(month - 1) // 3 + 1}" if quarterly else f"{year}-{month:02d}"


def _date(text, year: int, month: int, day: int, quarterly: bool) -> str:
    if not 1 <= month <= 12:
        raise _bad(text, f"month {month} is not 1 to 12")
    days = (31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30,
            31, 30, 31)[month - 1]
    if not 1 <= day <= days:
        raise _bad(text, f"day {day} is not in month {month}")
    return _month(text, year, month, quarterly)


def date_order(text) -> str | None:
    """What a date like 'dd/mm/yyyy' tells about its column: 'day' (day first), 'month' (month first), or None
    (not such a date, or both parts below 13)."""
    match = _OTHER_DATE.match(str(text).strip())
    if match is None:
        return None
    first, separator, second = int(match.group(1)), match.group(2), int(match.group(3))
    if separator == "." or (first > 12 >= second):
        return "day"
    if second > 12 >= first:
        return "month"
    return None


def parse_period(text, quarterly: bool = False, dayfirst: bool = True) -> str:
    """The period `text` names, as kept: 'YYYY-Qn', or 'YYYY-MM' (with `quarterly`, a month or a date gives its
    quarter). `dayfirst`: how to read a date whose day and month are both below 13. PeriodError names bad text."""
    value = str(text if text is not None else "").strip()
    if not value:
        raise PeriodError(f"no period given: write {EXAMPLES}")
    kept = _KEPT.match(value.upper())
    if kept:
        year = _year(text, kept.group(1))
        if kept.group(2):
            return f"{year}-Q{kept.group(2)}"
        return _month(text, year, int(kept.group(3)), quarterly)
    match = _QUARTER.match(value)
    if match:
        year, quarter = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        return f"{_year(text, year)}-Q{quarter}"
    match = _YEAR_MONTH.match(value)
    if match:
        year, month = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        return _month(text, _year(text, year), int(month), quarterly)
    match = _MONTH_YEAR.match(value)
    if match:
        return _month(text, _year(text, match.group(2)), int(match.group(1)), quarterly)
    match = _NAMED_MONTH.match(value)
    if match:
        name, year = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        if name.casefold() not in MONTHS:
            raise _bad(text, f"{name!r} is not a month")
        return _month(text, _year(text, year), MONTHS[name.casefold()], quarterly)
    match = _ISO_DATE.match(value)
    if match:
        year, month, day = (match.group(1), match.group(3), match.group(4)) if match.group(1) else \
            (match.group(5), match.group(6), match.group(7))
        return _date(text, _year(text, year), int(month), int(day), quarterly)
    match = _OTHER_DATE.match(value)
    if match:
        first, second = int(match.group(1)), int(match.group(3))
        order = date_order(value)
        day_first = order == "day" or (order is None and dayfirst)
        day, month = (first, second) if day_first else (second, first)
        return _date(text, _year(text, match.group(4)), month, day, quarterly)
    odd = _ODD_QUARTER.match(value)
    raise _bad(text, f"quarter {odd.group(1) or odd.group(2)} is not 1 to 4" if odd else "")


def parse_period_column(values, quarterly: bool = False) -> tuple[list[str | None], list[str | None], bool | None]:
    """Each value's period (None where it is not one), each bad value's reason (None where fine), and how the
    column's dates were read: True day-first, False month-first, None when no date had to be decided. A column's
    dates that tell their order decide it for the others; where none tells, day-first."""
    texts = [str(v if v is not None else "").strip() for v in values]
    votes = {"day": 0, "month": 0}
    ambiguous = False
    for text in texts:
        if _OTHER_DATE.match(text):
            order = date_order(text)
            if order is None:
                ambiguous = True
            else:
                votes[order] += 1
    dayfirst = votes["day"] >= votes["month"]
    periods: list[str | None] = []
    problems: list[str | None] = []
    for text in texts:
        try:
            periods.append(parse_period(text, quarterly, dayfirst))
            problems.append(None)
        except PeriodError as exc:
            periods.append(None)
            problems.append(str(exc))
    return periods, problems, (dayfirst if ambiguous else None)


def _split(period: str) -> Period:
    match = _KEPT.match(str(period).strip().upper())
    if match is None:
        raise _bad(period)
    year = int(match.group(1))
    return Period(year, int(match.group(2)), None) if match.group(2) else Period(year, None, int(match.group(3)))


def check_period(period) -> str:
    """A period in the kept form ('2026-q1' -> '2026-Q1'); PeriodError for anything else."""
    return _split(period).text


def is_quarter(period: str) -> bool:
    return _split(period).quarter is not None


def period_fraction(period: str) -> float:
    """The share of a year a period is: a quarter 0.25, a month 1/12."""
    return 0.25 if is_quarter(period) else 1.0 / 12.0


def period_start(period: str) -> int:
    """The month the period starts in, counted from year 0 (2026-Q2 and 2026-04 both start in 2026*12 + 3)."""
    p = _split(period)
    return p.year * 12 + ((p.quarter - 1) * 3 if p.quarter else p.month - 1)


def period_sort_key(period: str) -> tuple[int, int]:
    """Orders periods by their start, a month before the quarter that starts with it."""
    return period_start(period), 3 if is_quarter(period) else 1


def sort_periods(periods) -> list[str]:
    return sorted({check_period(p) for p in periods}, key=period_sort_key)


def previous_period(period: str) -> str:
    """The period just before, of the same length: 2026-Q1 -> 2025-Q4, 2026-01 -> 2025-12."""
    p = _split(period)
    if p.quarter:
        return f"{p.year - 1}-Q4" if p.quarter == 1 else f"{p.year}-Q{p.quarter - 1}"
    return f"{p.year - 1}-12" if p.month == 1 else f"{p.year}-{p.month - 1:02d}"


def year_before(period: str) -> str:
    """The same period a year earlier: 2026-Q3 -> 2025-Q3, 2026-07 -> 2025-07."""
    p = _split(period)
    return Period(p.year - 1, p.quarter, p.month).text


def quarter_of(period: str) -> str:
    """The quarter a period lies in (a quarter is its own)."""
    p = _split(period)
    return p.text if p.quarter else f"{p.year}-Q{(p.month - 1) // 3 + 1}"


def select_periods(text: str | None, known: list[str]) -> list[str] | None:
    """A selection as typed (`--period`): one period, a comma-separated list, or a range FROM..TO of the `known`
    periods (either end may be left open); None (every period) for no text."""
    if not text or not str(text).strip():
        return None
    if ".." in text:
        low, high = (period_start(parse_period(p)) if p.strip() else None for p in text.split("..", 1))
        chosen = [p for p in sort_periods(known) if (low is None or period_start(p) >= low)
                  and (high is None or period_start(p) <= high)]
        if not chosen:
            raise PeriodError(f"{text}: no period with actuals in that range (periods: {', '.join(known) or 'none'})")
        return chosen
    return [parse_period(p) for p in text.split(",") if p.strip()] or None
