"""Account scores and tiers: hand-computed figures for a small case, validation, text and JSON forms."""

import json
import math

import numpy as np
import pytest

from desktop_planner.core.account_table import account_columns
from desktop_planner.core.model import Accounts
from desktop_planner.core.scoring import (Component, ScoreDefinition, ScoringError, Tier, compute_scores,
                                          definition_from_json, parse_component, parse_tiers, score_summary)


@pytest.fixture
def table():
    attrs = [{"Revenue": 100, "Employees": 10}, {"Revenue": "200", "Employees": 20},
             {"Revenue": 300, "Employees": 20}, {"Revenue": 500, "Employees": 40}]
    accounts = Accounts.from_columns(lon=[0.0] * 4, lat=[0.0] * 4, potential=[5.0] * 4,
                                     industry=["Healthcare", " technology", "Retail", None],
                                     attrs=[json.dumps(a) for a in attrs])
    return account_columns(accounts)


def scores(components, table, tiers=()):
    return compute_scores(ScoreDefinition(tuple(components), tuple(tiers)), table)


def test_minmax_rank_with_ties_and_categories_with_default(table):
    result = scores([Component("Revenue", 2), Component("employees", 1, "rank"),
                     Component("industry", 1, "categories", categories={"Healthcare": 100, "Technology": 80,
                                                                         "*": 20})], table)
    np.testing.assert_allclose(result.parts["Revenue"], [0, 0.25, 0.5, 1])
    np.testing.assert_allclose(result.parts["employees"], [0, 0.5, 0.5, 1])  # ranks 1, 2.5, 2.5, 4
    np.testing.assert_allclose(result.parts["industry"], [1, 0.8, 0.2, 0])  # missing industry: 0, not default
    # 100 * (2 * minmax + rank + categories) / 4
    np.testing.assert_allclose(result.score, [25.0, 45.0, 42.5, 75.0])


def test_cap_flattens_the_top(table):
    result = scores([Component("revenue", 2, cap=300), Component("employees", 1, "rank"),
                     Component("industry", 1, "categories", categories={"healthcare": 100, "technology": 80,
                                                                         "*": 20})], table)
    np.testing.assert_allclose(result.parts["revenue"], [0, 0.5, 1, 1])
    np.testing.assert_allclose(result.score, [25.0, 57.5, 67.5, 75.0])


def test_tiers_cut_from_the_score(table):
    result = scores([Component("revenue", 1)], table, parse_tiers("A=70,B=40,C=0"))
    assert list(result.tier) == ["C", "C", "B", "A"]  # scores 0, 25, 50, 100
    no_floor = scores([Component("revenue", 1)], table, parse_tiers("A=70"))
    assert list(no_floor.tier) == [None, None, None, "A"]
    assert list(scores([Component("revenue", 1)], table).tier) == [None] * 4


def test_missing_values_count_zero_and_constant_columns_give_half():
    accounts = Accounts.from_columns(lon=[0.0] * 3, lat=[0.0] * 3, potential=[7.0, 7.0, 7.0],
                                     attrs=['{"ARR": 10}', '{"ARR": 30}', None])
    result = scores([Component("arr", 1), Component("potential", 1)], account_columns(accounts))
    np.testing.assert_allclose(result.parts["arr"], [0, 1, 0])
    np.testing.assert_allclose(result.parts["potential"], [0.5, 0.5, 0.5])  # nothing to tell apart
    np.testing.assert_allclose(result.score, [25.0, 75.0, 25.0])


def test_scores_are_rounded_to_a_tenth():
    accounts = Accounts.from_columns(lon=[0.0] * 3, lat=[0.0] * 3, potential=[0.0, 1.0, 3.0])
    result = scores([Component("potential", 1)], account_columns(accounts))
    np.testing.assert_array_equal(result.score, [0.0, 33.3, 100.0])


def test_unknown_column_is_named_with_the_available_columns(table):
    with pytest.raises(ScoringError) as error:
        scores([Component("arr", 1)], table)
    assert "'arr'" in str(error.value) and "revenue (number)" in str(error.value)


def test_text_column_with_minmax_points_to_categories(table):
    with pytest.raises(ScoringError, match="categories"):
        scores([Component("industry", 1)], table)


@pytest.mark.parametrize("make, words", [
    (lambda: Component("revenue", -1), "weight"),
    (lambda: Component("revenue", math.nan), "weight"),
    (lambda: Component("revenue", 1, "log"), "unknown method"),
    (lambda: Component("revenue", 1, cap=0), "cap"),
    (lambda: Component("industry", 1, "categories"), "needs points"),
    (lambda: Component("industry", 1, categories={"a": 50}), "only go with method 'categories'"),
    (lambda: Component("industry", 1, "categories", categories={"a": 150}), "0 to 100"),
    (lambda: Tier("", 10), "name"),
    (lambda: Tier("A", 120), "0 to 100"),
    (lambda: ScoreDefinition((Component("revenue", 0),)), "weight above 0"),
    (lambda: ScoreDefinition(()), "at least one component"),
    (lambda: ScoreDefinition((Component("ARR", 1), Component("arr", 1))), "more than once"),
    (lambda: ScoreDefinition((Component("arr", 1),), (Tier("A", 50), Tier("a", 10))), "more than once"),
])
def test_invalid_definitions_are_refused(make, words):
    with pytest.raises(ScoringError, match=words):
        make()


def test_tiers_are_kept_highest_first():
    definition = ScoreDefinition((Component("arr", 1),), (Tier("C", 0), Tier("A", 70), Tier("B", 40)))
    assert [t.name for t in definition.tiers] == ["A", "B", "C"]


def test_json_round_trip_and_unknown_keys():
    definition = ScoreDefinition(
        (Component("revenue", 0.5, cap=5e6), Component("employees", 0.2, "rank"),
         Component("industry", 0.3, "categories", categories={"Healthcare": 100, "*": 20})),
        (Tier("A", 70), Tier("B", 40)), feeds_potential=True)
    assert definition_from_json(definition.to_json()) == definition
    data = json.loads(definition.to_json())
    data["future"] = 1
    data["components"][0]["colour"] = "red"
    assert ScoreDefinition.from_json(json.dumps(data)) == definition
    assert definition_from_json(None) is None and definition_from_json("") is None


@pytest.mark.parametrize("text", ["{not json", "[]", '{"components": [{"weight": 1}]}'])
def test_bad_json_is_a_scoring_error(text):
    with pytest.raises(ScoringError):
        definition_from_json(text)


@pytest.mark.parametrize("text, expected", [
    ("revenue:0.5", Component("revenue", 0.5)),
    ("employees:0.2:rank", Component("employees", 0.2, "rank")),
    ("revenue:0.4:cap=5M", Component("revenue", 0.4, cap=5e6)),
    ("industry:0.2:Healthcare=100,Technology=80,*=20",
     Component("industry", 0.2, "categories", categories={"Healthcare": 100, "Technology": 80, "*": 20})),
])
def test_parse_component(text, expected):
    assert parse_component(text) == expected


@pytest.mark.parametrize("text", ["revenue", "revenue:abc", "revenue:0.5:bogus", "revenue:0.4:cap=x",
                                  "industry:0.2:Healthcare", ":1", "industry:0.2:Healthcare=300"])
def test_parse_component_errors_quote_the_text(text):
    with pytest.raises(ScoringError) as error:
        parse_component(text)
    assert repr(text) in str(error.value)


def test_parse_tiers():
    assert parse_tiers("A=70,B=40,C=0") == (Tier("A", 70), Tier("B", 40), Tier("C", 0))
    assert parse_tiers("C=0, A=70") == (Tier("A", 70), Tier("C", 0))
    assert parse_tiers("") == ()


@pytest.mark.parametrize("text", ["A70", "A=abc", "A=1,a=2", "A=150", "=5"])
def test_parse_tiers_errors(text):
    with pytest.raises(ScoringError):
        parse_tiers(text)


def test_score_summary_per_group():
    score = np.array([10.0, 20.0, 30.0, 40.0, np.nan, 99.0])
    groups = np.array([0, 0, 0, 0, 0, -1])
    summary = score_summary(score, groups, ["North", "South"])
    north, south = summary
    assert north["label"] == "North" and north["count"] == 4
    assert (north["min"], north["q1"], north["median"], north["q3"], north["max"]) == (10, 17.5, 25, 32.5, 40)
    assert north["mean"] == 25
    assert south["count"] == 0 and math.isnan(south["median"])
