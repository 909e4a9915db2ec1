"""Actuals and quotas from CSV or Excel, as a CRM or ERP exports them after go-live: rows for core.records.PutRows
and the rows rejected with their reasons, never dropped.

Files are read like a reps or alignment file (io/territory_import.py): the columns are matched by name (case,
accents, punctuation and a unit in brackets ignored), `overrides` (field -> column, None to leave a field out)
correct the guess, and a row with the wrong number of fields is rejected. Numbers are read column by column
(io/numbers.py: each column's own decimal separator, currency signs dropped), periods by core.periods (quarters,
months, or dates mapped to their month, or with `quarterly` to their quarter; a column's dates decide day-first or
month-first together).

Actuals: account id (the CRM's external id, matched to the project's accounts), period (or a date), bookings
and/or visits, rep (who booked or visited; optional) and owner (the account's owner at the time; optional, the
rep by default). Rows of the same account, period and rep are added up (bookings and visits summed, the first
owner kept): an export of single deals or calls becomes one row per account and period, as the table keeps them.
A row is rejected for a missing or unknown account id, a bad period, a number that is not one, negative or beyond
reason, or neither bookings nor visits.

Quotas: rep (id, e-mail or name of a territory's rep, or the territory's name), period, quota; the rep is kept
under its key (core.quotas.rep_key) and the team is the plan's. Rows of the same rep and period are added up.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from desktop_planner.core.commands import Command
from desktop_planner.core.model import Plan
from desktop_planner.core.periods import parse_period_column, sort_periods
from desktop_planner.core.quotas import QUOTA_COLUMNS, all_territories, rep_key, rep_lookup
from desktop_planner.core.records import TABLES, PutRows
from desktop_planner.io.account_import import ImportIssue, raw_line
from desktop_planner.io.header_names import SYNONYMS
from desktop_planner.io.numbers import read_number_column
from desktop_planner.io.territory_import import column_names, read_table, unused_columns_note


def _keys(*groups) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return tuple(seen)


PERIOD_KEYS = ("period", "fiscal period", "reporting period", "quarter", "fiscal quarter", "month", "fiscal month",
               "date", "booking date", "close date", "closed date", "order date", "invoice date", "posting date",
               "activity date", "visit date", "call date", "transaction date", "zeitraum", "periode", "quartal",
               "monat", "datum", "trimestre", "mois", "fecha", "mes", "kwartaal", "maand")
# Field -> header spellings (as header_key writes them), the most specific first; fields are served in this order.
ACTUALS_FIELDS = {
    "external_id": _keys(("account id", "external id", "account external id", "customer id", "account number",
                          "accountid", "crm id"), SYNONYMS["external_id"]),
    "period": PERIOD_KEYS,
    "bookings": ("bookings", "booking", "booked", "booked revenue", "revenue", "net revenue", "sales", "net sales",
                 "amount", "won amount", "closed won amount", "order intake", "orders", "order value", "invoiced",
                 "billings", "umsatz", "auftragseingang", "chiffre d affaires", "ca", "ventas", "ingresos",
                 "facturacion", "omzet"),
    "visits": ("visits", "visit count", "number of visits", "calls", "call count", "calls made", "meetings",
               "activities", "besuche", "anzahl besuche", "visites", "visitas", "bezoeken"),
    "owner": ("owner", "account owner", "owner name", "account owner name", "owner at the time", "owner id",
              "owner email", "account manager", "betreuer", "kundenbetreuer", "propietario", "eigenaar"),
    "rep": ("rep", "rep name", "sales rep", "salesperson", "sales person", "booked by", "visited by", "user",
            "user name", "rep id", "rep email", "created by", "assigned to", "vertreter", "aussendienst",
            "commercial", "vendedor", "verkoper"),
}
ACTUALS_REQUIRED = (("external_id",), ("period",), ("bookings", "visits"))
QUOTA_FIELDS = {
    "rep": ("rep", "rep name", "sales rep", "rep id", "rep email", "salesperson", "sales person", "owner",
            "owner name", "user", "user name", "employee id", "email", "e mail", "name", "vertreter", "commercial",
            "vendedor", "territory", "territory name"),
    "period": PERIOD_KEYS,
    "quota": ("quota", "quota amount", "sales quota", "target", "sales target", "revenue target", "plan", "budget",
              "goal", "soll", "ziel", "umsatzziel", "objectif", "cuota", "objetivo", "doel", "target amount"),
}
QUOTA_REQUIRED = (("rep",), ("period",), ("quota",))
LIMITS = {"bookings": 1e13, "visits": 10_000.0, "quota": 1e13}  # the most one row may hold in a period
SHOWN_ISSUES = 5
KEY_NAMES = {"account_id": "account"}


@dataclass
class RecordsImport:
    """What one actuals or quotas file gives: the rows to put (one per key), the keys to delete first, the rows it
    rejected, and what the user should know."""
    path: Path
    table: str  # "actuals" or "quotas"
    rows: pd.DataFrame
    issues: list[ImportIssue]
    columns: dict[str, str]  # field -> column name as the file spells it
    read: int = 0
    summed: int = 0  # accepted rows added into another of the same key
    replaced: int = 0  # keys the project holds already (their rows are replaced)
    delete: list[tuple] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.read - len(self.issues)

    @property
    def rejected(self) -> int:
        return len(self.issues)

    @property
    def periods(self) -> list[str]:
        return sort_periods(self.rows["period"]) if len(self.rows) else []

    @property
    def command(self) -> Command | None:
        """The one step that puts the rows (None: nothing to put)."""
        if not len(self.rows) and not self.delete:
            return None
        periods = self.periods
        span = periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}" if periods else ""
        return PutRows(self.table, self.rows, delete=self.delete, action=self.table,
                       label=f"Import {self.table} {span} from {self.path.name}".replace("  ", " "))

    def report(self) -> str:
        what = "rows" if self.table == "actuals" else "quotas"
        lines = [f"{self.path.name}: read {self.read:,} rows, accepted {self.accepted:,}, rejected {self.rejected:,}"
                 + (f"; {self.summed:,} accepted rows added into another of the same key" if self.summed else ""),
                 "  columns used: " + ", ".join(f"{f} <- {c!r}" for f, c in self.columns.items())]
        if len(self.rows):
            lines.append(f"  {len(self.rows):,} {what} for {', '.join(self.periods[:8])}"
                         + (f" … ({len(self.periods)} periods)" if len(self.periods) > 8 else "")
                         + f": {len(self.rows) - self.replaced:,} new, {self.replaced:,} replace the project's")
        if self.delete:
            lines.append(f"  {len(self.delete):,} rows of those periods removed first (--replace-periods)")
        lines.extend(f"  note: {note}" for note in self.notes)
        lines.extend(f"  row {i.row_number}: {i.problem}" for i in self.issues[:SHOWN_ISSUES])
        if self.rejected > SHOWN_ISSUES:
            lines.append(f"  … and {self.rejected - SHOWN_ISSUES:,} more (desktop-planner export PROJECT --what "
                         f"issues)")
        return "\n".join(lines)


def _numbers(texts: list[str], name: str, decimal_comma: bool, problems: list[list[str]], required: bool = False
             ) -> np.ndarray:
    """The column's numbers (NaN where missing or rejected), each bad cell's reason added to its row's problems."""
    column = read_number_column(texts, default_decimal="," if decimal_comma else ".")
    values = column.values
    for i in np.flatnonzero(column.bad):
        problems[i].append(f"{name} {texts[i][:40]!r} is not a number")
    for i in np.flatnonzero(values < 0):
        problems[i].append(f"{name} {values[i]:g} is negative")
    for i in np.flatnonzero(values > LIMITS[name]):
        problems[i].append(f"{name} {values[i]:g} is more than {LIMITS[name]:g}")
    if required:
        for i in np.flatnonzero(column.missing):
            problems[i].append(f"missing {name}")
    return np.where(column.bad | (values < 0) | (values > LIMITS[name]), np.nan, values)


def _periods(texts: list[str], quarterly: bool, problems: list[list[str]], notes: list[str]) -> list[str | None]:
    periods, reasons, dayfirst = parse_period_column(texts, quarterly)
    for i, reason in enumerate(reasons):
        if reason is not None:
            problems[i].append(reason)
    if dayfirst is not None:
        notes.append("dates like 03/04/2026 were read " + ("day first (3 April), as no date of the column said "
                                                           "otherwise" if dayfirst else
                                                           "month first (March 4), as the column's other dates are"))
    return periods


def _reject(table, problems: list[list[str]], issues: list[ImportIssue]) -> np.ndarray:
    """Rejected rows into `issues`; the mask of accepted ones."""
    for (number, cells, _), found in zip(table.records, problems):
        if found:
            issues.append(ImportIssue(number, raw_line(cells, table.delimiter), "; ".join(found)))
    issues.sort(key=lambda i: i.row_number)
    return np.array([not found for found in problems], dtype=bool)


def _text(values) -> list[str]:
    return [v.strip() for v in values]


def _summed(frame: pd.DataFrame, key: list[str], numbers: list[str], notes: list[str],
            row_numbers: np.ndarray) -> tuple[pd.DataFrame, int]:
    """Rows of the same key added up (numbers summed, missing counted as nothing; other columns: the first)."""
    repeated = frame.duplicated(key, keep=False).to_numpy()
    if not repeated.any():
        return frame.reset_index(drop=True), 0
    first = {c: "first" for c in frame.columns if c not in key and c not in numbers}
    grouped = frame.groupby(key, sort=False, as_index=False, dropna=False).agg(
        {**{c: lambda s: s.sum(min_count=1) for c in numbers}, **first})
    examples = row_numbers[repeated][:2].tolist()
    folded = len(frame) - len(grouped)
    names = [KEY_NAMES.get(k, k) for k in key if k != "team_id"]
    notes.append(f"{int(repeated.sum()):,} rows share their {', '.join(names[:-1])} and {names[-1]} with another "
                 f"(e.g. rows {' and '.join(map(str, examples))}): added up into {int(repeated.sum()) - folded:,}")
    return grouped[list(frame.columns)], folded


def _mixed(frame: pd.DataFrame, notes: list[str]) -> None:
    quarters = frame["period"].astype(str).str.contains("Q").to_numpy(dtype=bool)
    if quarters.any() and not quarters.all():
        notes.append("the file holds quarters and months: each is kept as given, and the KPIs show a month and its "
                     "quarter as separate periods (--quarterly counts months for their quarter)")


def _known_keys(plan: Plan, table: str, rows: pd.DataFrame) -> int:
    key = list(TABLES[table][1])
    current = plan.records.table(table)
    if not len(current) or not len(rows):
        return 0
    have = set(current[key].astype(str).itertuples(index=False, name=None))
    return sum(k in have for k in rows[key].astype(str).itertuples(index=False, name=None))


def read_actuals(plan: Plan, path: str | Path, overrides: dict[str, str | None] | None = None,
                 quarterly: bool = False, replace_periods: bool = False) -> RecordsImport:
    """Actuals rows for PutRows from a CSV or XLSX file, matched to the plan's accounts (load the plan with every
    account: actuals are the project's, whichever team covers an account). `replace_periods`: the project's rows
    of the periods the file holds are removed first (a corrected export replaces the whole period).
    AccountImportError for a file that cannot be read or lacks a needed column."""
    path = Path(path)
    table = read_table(path, ACTUALS_FIELDS, ACTUALS_REQUIRED, overrides)
    issues = list(table.issues)
    notes = unused_columns_note(table, "an actuals file gives account id, period, bookings, visits, rep and owner")
    n = len(table.records)
    problems: list[list[str]] = [[] for _ in range(n)]
    column = {f: [r.get(f, "") for _, _, r in table.records] for f in ACTUALS_FIELDS}
    row_of = {unicodedata.normalize("NFC", v): i for i, v in enumerate(plan.accounts.external_id.tolist())}
    ids = [unicodedata.normalize("NFC", v) for v in column["external_id"]]
    for i, value in enumerate(ids):
        if not value:
            problems[i].append("missing account id")
        elif value not in row_of:
            problems[i].append(f"account id {value[:40]!r} is not in the project")
    periods = _periods(column["period"], quarterly, problems, notes)
    comma = table.delimiter == ";"
    values = {name: _numbers(column[name], name, comma, problems) if name in table.columns else np.full(n, np.nan)
              for name in ("bookings", "visits")}
    for i in range(n):
        if not problems[i] and np.isnan(values["bookings"][i]) and np.isnan(values["visits"][i]):
            problems[i].append("no bookings and no visits")
    accept = _reject(table, problems, issues)
    reps = np.array(_text(column["rep"]), dtype=object)
    owners = np.array([o or r or None for o, r in zip(_text(column["owner"]), reps.tolist())], dtype=object)
    keep = np.flatnonzero(accept)
    frame = pd.DataFrame({
        "account_id": plan.accounts.ids[[row_of[ids[i]] for i in keep]].astype(np.int64),
        "period": [periods[i] for i in keep], "rep": reps[keep], "owner": owners[keep],
        "bookings": values["bookings"][keep], "visits": values["visits"][keep], "source": path.name},
        columns=list(TABLES["actuals"][0]))
    numbers = np.array([number for number, _, _ in table.records], dtype=np.int64)[keep]
    frame, folded = _summed(frame, ["account_id", "period", "rep"], ["bookings", "visits"], notes, numbers)
    owners_differ = frame.groupby(["account_id", "period"])["owner"].nunique()
    if (owners_differ > 1).any():
        notes.append(f"{int((owners_differ > 1).sum()):,} accounts have rows naming different owners in the same "
                     f"period: the KPIs count each for the owner most of its rows name")
    _mixed(frame, notes)
    frame = frame.astype({"rep": object, "owner": object, "period": object, "source": object})
    frame["owner"] = frame["owner"].where(frame["owner"].notna(), None)
    delete = []
    if replace_periods and len(frame):
        current = plan.records.table("actuals")
        covered = current["period"].astype(str).str.upper().isin(set(frame["period"]))
        new = set(frame[["account_id", "period", "rep"]].itertuples(index=False, name=None))
        delete = [k for k in current.loc[covered, ["account_id", "period", "rep"]].itertuples(index=False, name=None)
                  if k not in new]
    return RecordsImport(path, "actuals", frame, issues, column_names(table), read=n + len(table.issues),
                         summed=folded, replaced=_known_keys(plan, "actuals", frame), delete=delete, notes=notes,
                         unused=table.unused)


def read_quotas(plan: Plan, path: str | Path, overrides: dict[str, str | None] | None = None,
                quarterly: bool = False) -> RecordsImport:
    """Quota rows for PutRows (origin 'imported', the plan's team) from a CSV or XLSX file: each rep matched to a
    territory of the plan's scenarios (the active one first) by id, e-mail, name or territory name."""
    path = Path(path)
    table = read_table(path, QUOTA_FIELDS, QUOTA_REQUIRED, overrides)
    issues, notes = list(table.issues), unused_columns_note(table, "a quotas file gives rep, period and quota")
    n = len(table.records)
    problems: list[list[str]] = [[] for _ in range(n)]
    column = {f: [r.get(f, "") for _, _, r in table.records] for f in QUOTA_FIELDS}
    territories = all_territories(plan)
    lookup = rep_lookup(territories)
    key_of = {t.id: rep_key(t) for t in reversed(territories)}  # the active scenario's territory wins
    reps: list[str | None] = []
    for i, text in enumerate(_text(column["rep"])):
        tid = lookup.get(text.casefold())
        if not text:
            problems[i].append("missing rep")
        elif tid is None:
            problems[i].append(f"rep {text[:40]!r} is not the rep of any territory (match by rep id, e-mail, name "
                               f"or territory name)")
        reps.append(key_of[tid] if tid is not None else None)
    periods = _periods(column["period"], quarterly, problems, notes)
    quota = _numbers(column["quota"], "quota", table.delimiter == ";", problems, required=True)
    accept = _reject(table, problems, issues)
    keep = np.flatnonzero(accept)
    frame = pd.DataFrame({"team_id": int(plan.team_id or 0), "rep": [reps[i] for i in keep],
                          "period": [periods[i] for i in keep], "quota": quota[keep], "origin": "imported"},
                         columns=QUOTA_COLUMNS)
    numbers = np.array([number for number, _, _ in table.records], dtype=np.int64)[keep]
    frame, folded = _summed(frame, ["team_id", "rep", "period"], ["quota"], notes, numbers)
    _mixed(frame, notes)
    frame = frame.astype({"rep": object, "period": object, "origin": object})
    return RecordsImport(path, "quotas", frame, issues, column_names(table), read=n + len(table.issues),
                         summed=folded, replaced=_known_keys(plan, "quotas", frame), notes=notes, unused=table.unused)
