"""Team rules: which accounts a team covers, written as a boolean expression over account columns.

    arr >= 1M and industry in ['Healthcare', 'Pharma']
    segment = 'Enterprise' OR (employees > 5k AND NOT region == 'EMEA')

The text is parsed with `ast` and accepted only if every node is on a short whitelist (comparisons, and/or/not,
column names, number and text values, lists of values); it is never evaluated as Python, so a rule cannot call,
import or reach anything. Column names are normalised like the account table's (`ARR` is `arr`).

Semantics a user may not expect, chosen to be predictable rather than clever:
- Text is compared ignoring case and surrounding spaces: `industry == 'healthcare'` matches " Healthcare".
- A missing value (empty cell) makes every comparison on it False, `!=` and `not in` included. `not` simply
  negates, so `not (arr >= 1M)` is True for an account without an ARR: "not known to be large".
"""

from __future__ import annotations

import ast
import difflib
import operator
import re
from typing import Callable

import numpy as np

from desktop_planner.core.account_table import column_key, columns_text, is_number_column, text_codes, text_key


class RuleError(ValueError):
    """A rule that cannot be read, or that does not fit the accounts' columns."""


MULTIPLIERS = {"k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9}
_MANTISSA = r"(?:(?:\d{1,3}(?:,\d{3})+|\d[\d_]*)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_READ_NUMBER = re.compile(rf"([+-]?{_MANTISSA})\s*(bn|[kmb])?", re.IGNORECASE)


def read_number(text) -> float:
    """A number as a planner types it: "1200000", "1,200,000", "1.2e6", "1.2M", "5k", "1bn" (k = thousand,
    M = million, B or bn = billion; any case). Raises ValueError naming the text otherwise."""
    match = _READ_NUMBER.fullmatch(str(text).strip())
    if match is None:
        raise ValueError(f"{text!r} is not a number (examples: 1200000, 1.2M, 5k, 1bn)")
    mantissa, suffix = match.groups()
    return float(mantissa.replace(",", "").replace("_", "")) * MULTIPLIERS.get((suffix or "").lower(), 1.0)


# --- rewriting the text people type into Python syntax -------------------------------------------------------

_STRING = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
# A suffix only counts when glued to a number literal: `5k` is 5000, `x5k` a name, `5 k` a syntax error.
_SUFFIXED = re.compile(r"(?<![\w.])((?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(bn|[kmb])(?!\w)", re.IGNORECASE)
_KEYWORD = re.compile(r"\b(and|or|not|in)\b", re.IGNORECASE)
_SINGLE_EQUALS = re.compile(r"(?<![<>=!])=(?!=)")


def _number_literal(match: re.Match) -> str:
    value = float(match.group(1).replace("_", "")) * MULTIPLIERS[match.group(2).lower()]
    return str(int(value)) if value.is_integer() and abs(value) < 2 ** 53 else repr(value)


def _rewrite_code(code: str) -> str:
    code = _SUFFIXED.sub(_number_literal, code)
    code = _KEYWORD.sub(lambda m: m.group(1).lower(), code)
    return _SINGLE_EQUALS.sub("==", code)


def _to_python(text: str) -> str:
    """Rewrite suffixes, keyword case and `=` outside quoted strings; quoted text is left exactly as typed."""
    # split() with a capturing group alternates code (even positions) and quoted strings (odd positions).
    return "".join(piece if i % 2 else _rewrite_code(piece) for i, piece in enumerate(_STRING.split(text)))


# --- parsing ---------------------------------------------------------------------------------------------------

Test = Callable[[dict, int], np.ndarray]  # (table, number of accounts) -> bool per account

_FLIPPED = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
_OPERATORS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
              ast.Gt: operator.gt, ast.GtE: operator.ge}
_NOT_ALLOWED = {  # "<what> not allowed in a rule"
    ast.Call: "function calls are", ast.Attribute: "attribute access ('.') is", ast.Lambda: "lambda is",
    ast.Subscript: "indexing with [...] is", ast.IfExp: "'if ... else' is", ast.NamedExpr: "':=' is",
    ast.JoinedStr: "f-strings are", ast.Dict: "'{...}' is", ast.Set: "'{...}' is", ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are", ast.DictComp: "comprehensions are", ast.GeneratorExp: "comprehensions are"}


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source
        self.columns: set[str] = set()

    def fail(self, node: ast.AST, problem: str) -> RuleError:
        piece = ast.get_source_segment(self.source, node) or ""
        if piece.strip() == self.source.strip():
            return RuleError(f"rule {self.text!r}: {problem}")
        return RuleError(f"{piece!r}: {problem} (in rule {self.text!r})")

    def condition(self, node: ast.AST) -> Test:
        if isinstance(node, ast.BoolOp):
            parts = [self.condition(value) for value in node.values]
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            return lambda table, n: combine.reduce([part(table, n) for part in parts])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.condition(node.operand)
            return lambda table, n: ~inner(table, n)
        if isinstance(node, ast.Compare):
            return self.comparison(node)
        if isinstance(node, ast.Name):
            raise self.fail(node, f"a column on its own is not a condition; compare it, e.g. {node.id} >= 1M "
                                  f"or {node.id} == 'text'")
        if isinstance(node, (ast.Constant, ast.List, ast.Tuple, ast.UnaryOp)):
            raise self.fail(node, "a value on its own is not a condition; compare a column with it")
        raise self.not_allowed(node)

    def not_allowed(self, node: ast.AST) -> RuleError:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            return self.fail(node, "write 'and' / 'or' instead of '&' / '|'")
        if isinstance(node, ast.BinOp):
            return self.fail(node, "arithmetic is not allowed in a rule; compare a column with a value, e.g. arr >= 1M")
        if type(node) in _NOT_ALLOWED:
            return self.fail(node, f"{_NOT_ALLOWED[type(node)]} not allowed in a rule")
        return self.fail(node, "this is not allowed in a rule (only comparisons joined by and, or, not)")

    def operand(self, node: ast.AST):
        """("column", key) | ("value", number or str) | ("list", tuple of values)."""
        if isinstance(node, ast.Name):
            key = column_key(node.id)
            if not key:
                raise self.fail(node, "this is not a column name")
            self.columns.add(key)
            return ("column", key)
        if isinstance(node, (ast.List, ast.Tuple)):
            values = tuple(self.value(element) for element in node.elts)
            if len({isinstance(v, str) for v in values}) > 1:
                raise self.fail(node, "the list mixes numbers and text")
            return ("list", values)
        return ("value", self.value(node))

    def value(self, node: ast.AST):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
                and isinstance(node.operand, ast.Constant):
            number = self.value(node.operand)
            if isinstance(number, str):
                raise self.fail(node, "a sign in front of text makes no sense")
            return -number if isinstance(node.op, ast.USub) else number
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or node.value is None:
                raise self.fail(node, "True, False and None are not values a rule can compare with")
            if isinstance(node.value, (int, float)):
                return float(node.value)
            if isinstance(node.value, str):
                return node.value
            raise self.fail(node, "only numbers and quoted text can be compared")
        if isinstance(node, ast.Name):
            raise self.fail(node, "a list holds values only, not columns; put text in quotes")
        raise self.not_allowed(node)

    def comparison(self, node: ast.Compare) -> Test:
        tests = []
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators):
            tests.append(self.pair(node, self.operand(left_node), op, self.operand(right_node)))
            left_node = right_node
        return lambda table, n: np.logical_and.reduce([test(table, n) for test in tests])

    def pair(self, node: ast.Compare, left, op: ast.cmpop, right) -> Test:
        if isinstance(op, (ast.Is, ast.IsNot)):
            raise self.fail(node, "write == or != instead of 'is'")
        if isinstance(op, (ast.In, ast.NotIn)):
            if left[0] != "column":
                raise self.fail(node, "'in' needs a column on its left, e.g. industry in ['Retail', 'Pharma']")
            if right[0] != "list":
                raise self.fail(node, "'in' needs a list after it, e.g. industry in ['Retail', 'Pharma']")
            return _membership(self.text, left[1], right[1], negate=isinstance(op, ast.NotIn))
        if "list" in (left[0], right[0]):
            raise self.fail(node, "a list [...] can only follow 'in' or 'not in'")
        if left[0] == "value" and right[0] == "value":
            raise self.fail(node, "this compares two fixed values; one side should be a column")
        if left[0] == "value":  # 1M <= arr reads as arr >= 1M
            left, right, op = right, left, _FLIPPED[type(op)]()
        return _comparison(self.text, left[1], _OPERATORS[type(op)], right)


def _syntax_problem(error: SyntaxError, source: str) -> str:
    message = error.msg or ""
    if "never closed" in message:
        return "has a bracket that is never closed"
    if "unmatched" in message:
        return f"has a closing bracket without an opening one ({message.split()[-1]})"
    if "too many nested" in message:
        return "is nested too deeply"
    if "unterminated string" in message:
        return "has a quote that is never closed"
    end = len(source.rstrip())
    if not error.offset or error.offset > end or message == "unexpected EOF while parsing":
        return "is incomplete"
    start = error.offset - 1
    stop = error.end_offset - 1 if error.end_offset and error.end_offset > error.offset else start
    word = re.match(r"\s*(\w+|\S)", source[start:])  # the whole token: '5kg' rather than '5'
    near = source[start:stop].strip() or (word.group(1) if word else source[start:].strip())
    return f"is not understood near {near!r}"


class Rule:
    """A parsed rule. `mask(table)` says which accounts it covers; `columns` are the names it uses."""

    __slots__ = ("text", "columns", "_test")

    def __init__(self, text: str, columns: frozenset[str], test: Test | None) -> None:
        self.text, self.columns, self._test = text, columns, test

    def mask(self, table: dict[str, np.ndarray]) -> np.ndarray:
        """Bool per account: True where the rule holds. Raises RuleError for an unknown column or a comparison
        that mixes numbers and text."""
        n = len(next(iter(table.values()))) if table else 0
        if self._test is None:
            return np.ones(n, dtype=bool)
        unknown = sorted(self.columns - table.keys())
        if unknown:
            hints = [close for name in unknown for close in difflib.get_close_matches(name, list(table), n=1)]
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            names = ", ".join(repr(name) for name in unknown)
            raise RuleError(f"rule {self.text!r} names unknown column{'s' if len(unknown) > 1 else ''} {names}"
                            f"{hint}; the columns are: {columns_text(table)}")
        return np.asarray(self._test(table, n), dtype=bool)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"


def parse_rule(text: str) -> Rule:
    """Parse a rule; empty or blank text matches every account. Raises RuleError saying what is wrong."""
    text = "" if text is None else str(text)
    if not text.strip():
        return Rule(text, frozenset(), None)
    source = _to_python(text.strip())
    parser = _Parser(text, source)
    try:
        test = parser.condition(ast.parse(source, mode="eval").body)
    except SyntaxError as error:
        raise RuleError(f"rule {text!r} {_syntax_problem(error, source)}") from None
    except (RecursionError, MemoryError):
        raise RuleError(f"rule {text!r} is nested too deeply") from None
    except ValueError as error:  # RuleError, or a NUL character in the text, which ast refuses
        if isinstance(error, RuleError):
            raise
        raise RuleError(f"rule {text!r} contains a character that cannot be read") from None
    return Rule(text, frozenset(parser.columns), test)


# --- evaluation ------------------------------------------------------------------------------------------------

def _check_kind(rule: str, column: str, is_number: bool, value) -> None:
    if is_number and isinstance(value, str):
        raise RuleError(f"rule {rule!r}: column {column!r} holds numbers but is compared with the text {value!r}; "
                        f"write the number without quotes")
    if not is_number and not isinstance(value, str):
        raise RuleError(f"rule {rule!r}: column {column!r} holds text but is compared with the number {value:g}; "
                        f"put the value in quotes, e.g. {column} == 'text'")


def _per_account(per_key: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """A test of a text column's distinct keys spread to its accounts; missing values (code -1) get False."""
    return np.append(per_key, False)[codes]


def _comparison(rule: str, column: str, compare, right) -> Test:
    def test(table: dict, n: int) -> np.ndarray:
        number = is_number_column(table[column])
        if right[0] == "column":
            if is_number_column(table[right[1]]) != number:
                kinds = ("numbers", "text") if number else ("text", "numbers")
                raise RuleError(f"rule {rule!r} compares column {column!r} ({kinds[0]}) with column {right[1]!r} "
                                f"({kinds[1]})")
            if number:
                left, other = np.asarray(table[column], np.float64), np.asarray(table[right[1]], np.float64)
                return compare(left, other) & ~np.isnan(left) & ~np.isnan(other)
            (left_keys, left), (right_keys, other) = text_codes(table[column]), text_codes(table[right[1]])
            both = (left >= 0) & (other >= 0)
            return compare(np.append(left_keys, "")[left], np.append(right_keys, "")[other]) & both
        _check_kind(rule, column, number, right[1])
        if number:
            values = np.asarray(table[column], dtype=np.float64)
            return compare(values, right[1]) & ~np.isnan(values)
        keys, codes = text_codes(table[column])
        return _per_account(compare(keys, text_key(right[1]) or ""), codes)
    return test


def _membership(rule: str, column: str, items: tuple, negate: bool) -> Test:
    def test(table: dict, n: int) -> np.ndarray:
        number = is_number_column(table[column])
        for item in items:
            _check_kind(rule, column, number, item)
        if number:
            values = np.asarray(table[column], dtype=np.float64)
            found = np.isin(values, np.asarray(items, dtype=np.float64))
            return (~found if negate else found) & ~np.isnan(values)
        keys, codes = text_codes(table[column])
        found = np.isin(keys, [text_key(item) or "" for item in items])
        return _per_account(~found if negate else found, codes)
    return test
