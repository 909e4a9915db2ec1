"""Periods as the record tables keep them (core.periods): the usual ways exports write them, their lengths, the one
before and the one a year before, their order, and clear errors naming the bad text."""

import pytest

from desktop_planner.core.periods import (PeriodError, check_period, is_quarter, parse_period, parse_period_column,
                                          period_fraction, period_sort_key, period_start, previous_period,
                                          quarter_of, sort_periods, year_before)


@pytest.mark.parametrize("text", ["2026-Q1", "2026-q1", "2026Q1", "2026 Q1", "2026/Q1", "Q1 2026", "q1-2026",
                                  "Q1/2026", " 2026-Q1 "])
def test_quarters(text):
    assert parse_period(text) == "2026-Q1"
    assert parse_period(text, quarterly=True) == "2026-Q1"


@pytest.mark.parametrize("text", ["2026-03", "2026-3", "2026/03", "2026.03", "202603", "03/2026", "3-2026",
                                  "Mar 2026", "March 2026", "mar. 2026", "2026 Mar", "2026-03-15", "2026/03/15",
                                  "20260315", "2026-03-15 00:00:00", "2026-03-15T13:45", "15/03/2026", "15.03.2026",
                                  "15-03-2026", "03/15/2026"])
def test_months_and_dates(text):
    assert parse_period(text) == "2026-03"
    assert parse_period(text, quarterly=True) == "2026-Q1"


def test_a_date_of_the_last_quarter_and_a_leap_day():
    assert parse_period("2024-12-31", quarterly=True) == "2024-Q4"
    assert parse_period("29/02/2024") == "2024-02"


def test_ambiguous_dates_are_read_day_first_unless_told_otherwise():
    assert parse_period("03/04/2026") == "2026-04"  # 3 April
    assert parse_period("03/04/2026", dayfirst=False) == "2026-03"
    assert parse_period("03.04.2026", dayfirst=False) == "2026-04"  # with dots always day first
    # A column decides together: one date that can only be month-first makes the others month-first too.
    periods, problems, dayfirst = parse_period_column(["03/04/2026", "04/15/2026", "2026-Q2", "junk"])
    assert periods[:3] == ["2026-03", "2026-04", "2026-Q2"] and dayfirst is False
    assert periods[3] is None and "'junk' is not a period" in problems[3] and problems[:3] == [None] * 3
    periods, _, dayfirst = parse_period_column(["03/04/2026", "25/04/2026"])
    assert periods == ["2026-04", "2026-04"] and dayfirst is True
    assert parse_period_column(["15/04/2026"])[2] is None  # nothing had to be decided


@pytest.mark.parametrize("text, reason", [
    ("", "no period given"), ("2026-13", "month 13 is not 1 to 12"), ("2026-Q5", "quarter 5 is not 1 to 4"),
    ("31/02/2026", "day 31 is not in month 2"), ("29/02/2025", "day 29 is not in month 2"),
    ("1850-Q1", "year 1850 is outside"), ("Foo 2026", "'Foo' is not a month"), ("next quarter", "is not a period"),
    ("12345", "is not a period")])
def test_bad_text_is_named_in_the_error(text, reason):
    with pytest.raises(PeriodError, match=reason) as error:
        parse_period(text)
    assert "2026-Q1, 2026-03" in str(error.value)  # says how to write one
    if text:
        assert repr(text) in str(error.value)


def test_fractions_neighbours_and_order():
    assert period_fraction("2026-Q3") == 0.25 and period_fraction("2026-07") == pytest.approx(1 / 12)
    assert is_quarter("2026-Q3") and not is_quarter("2026-07")
    assert previous_period("2026-Q1") == "2025-Q4" and previous_period("2026-Q3") == "2026-Q2"
    assert previous_period("2026-01") == "2025-12" and previous_period("2026-10") == "2026-09"
    assert year_before("2026-Q3") == "2025-Q3" and year_before("2026-07") == "2025-07"
    assert quarter_of("2026-08") == "2026-Q3" and quarter_of("2026-Q1") == "2026-Q1"
    assert period_start("2026-Q2") == period_start("2026-04") == 2026 * 12 + 3
    assert sort_periods(["2026-Q2", "2026-01", "2026-q1", "2025-12", "2026-Q1"]) == \
        ["2025-12", "2026-01", "2026-Q1", "2026-Q2"]
    assert period_sort_key("2026-01") < period_sort_key("2026-Q1") < period_sort_key("2026-02")
    assert check_period(" 2026-q4 ") == "2026-Q4"
    with pytest.raises(PeriodError, match="'2026-1'"):
        check_period("2026-1")  # the kept form only; parse_period reads the loose ones
