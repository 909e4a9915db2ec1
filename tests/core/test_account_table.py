"""The accounts as named columns: what a rule or a score may name, and how imported columns are typed."""

import json

import numpy as np
import pytest

from desktop_planner.core.account_table import account_columns, column_key, describe_columns
from desktop_planner.core.model import Accounts


def make_accounts(attrs, **columns):
    n = len(attrs)
    return Accounts.from_columns(lon=[0.0] * n, lat=[0.0] * n, potential=columns.pop("potential", [1.0] * n),
                                 attrs=[a if a is None or isinstance(a, str) else json.dumps(a) for a in attrs],
                                 **columns)


@pytest.mark.parametrize("name, key", [
    ("Annual Revenue (USD)", "annual_revenue_usd"),
    ("ARR", "arr"),
    ("  # of employees ", "of_employees"),
    ("visits/year", "visits_year"),
    ("Größe", "grösse"),
])
def test_column_key_normalises_headings(name, key):
    assert column_key(name) == key


def test_numbers_as_spreadsheets_write_them_become_a_number_column():
    accounts = make_accounts([{"ARR": "1,200,000"}, {"ARR": "1.2e6"}, {"ARR": " 42 "}, {"ARR": 7}, {"ARR": 2.5},
                              {}])
    arr = account_columns(accounts)["arr"]
    assert arr.dtype == np.float64
    np.testing.assert_array_equal(arr[:5], [1_200_000, 1_200_000, 42, 7, 2.5])
    assert np.isnan(arr[5])


def test_one_word_among_numbers_makes_a_text_column():
    accounts = make_accounts([{"Employees": 5400}, {"Employees": "n/a"}, {"Employees": ""}, None])
    employees = account_columns(accounts)["employees"]
    assert employees.dtype == object
    assert list(employees) == ["5400", "n/a", None, None]


def test_a_bad_json_row_is_an_empty_row_not_an_error():
    accounts = make_accounts([{"ARR": 5}, "{not json", "[1, 2]", None])
    arr = account_columns(accounts)["arr"]
    assert arr[0] == 5 and np.isnan(arr[1:]).all()


def test_headings_are_normalised_and_cannot_override_standard_fields():
    accounts = make_accounts([{"Annual Revenue (USD)": 10, "Industry": "Imported", "Potential": 999}],
                             industry=["Healthcare"], potential=[3.0])
    table = account_columns(accounts)
    assert table["annual_revenue_usd"][0] == 10
    assert table["industry"][0] == "Healthcare"
    assert table["potential"][0] == 3.0


def test_standard_fields_are_columns_with_their_own_names():
    accounts = make_accounts([None, None], segment=["Key", None], industry=["Retail", "Pharma"],
                             potential=[1.0, 2.0])
    table = account_columns(accounts)
    for name in ("potential", "segment", "industry", "postcode", "name", "external_id", "visits_per_year",
                 "visit_minutes", "lon", "lat"):
        assert len(table[name]) == 2, name
    assert list(table["segment"]) == ["Key", None]


def test_scores_replaced_on_the_same_accounts_show_in_the_next_table():
    accounts = make_accounts([{"ARR": 1}, {"ARR": 2}])
    first = account_columns(accounts)
    accounts.score = np.array([10.0, 90.0])
    accounts.tier = np.array(["B", "A"], dtype=object)
    second = account_columns(accounts)
    np.testing.assert_array_equal(second["score"], [10.0, 90.0])
    assert list(second["tier"]) == ["B", "A"]
    assert second["arr"] is first["arr"]  # the parsed imported columns are not parsed again


def test_accounts_without_score_attributes_have_no_score_column():
    class Bare:  # an accounts-like object from before scores existed
        attrs = np.array(['{"ARR": 3}'], dtype=object)
        potential = np.array([1.0])
        lon = lat = visits_per_year = visit_minutes = np.array([0.0])
        name = external_id = segment = industry = postcode = np.array([None], dtype=object)

    table = account_columns(Bare())
    assert "score" not in table and "tier" not in table
    assert table["arr"][0] == 3


def test_describe_columns_sorted_with_kinds():
    accounts = make_accounts([{"Zeta": 1, "Alpha": "x"}])
    described = describe_columns(account_columns(accounts))
    assert described == sorted(described)
    assert ("zeta", "number") in described and ("alpha", "text") in described
    assert ("potential", "number") in described and ("industry", "text") in described
