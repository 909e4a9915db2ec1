"""Reps' reviews of a realignment and the workshop's decisions on their disputes.

Each rep gets a review sheet of the accounts their territory gains and loses (io.review_sheets); what comes back is
kept in the `reviews` record table (core.records), one row per answered account and change:

- `change` says the move as the rep saw it: "gain from <territory>" or "lose to <territory>" ("(unassigned)" for
  none). With the rep's own `territory` that is the whole move, so a decision never depends on the baseline being
  left as it was, and a move made since the review is recognised.
- `verdict` is "agree", "dispute" or empty (not answered); `comment` the rep's words.
- `decision` is "upheld" or "rejected", followed by ": <the workshop's comment>" when there is one.

`ImportReviews` puts returned answers in place (a rep's sheet returned again replaces that rep's open answers for
the scenario; decided rows keep their decision). `DecideDispute` settles one disputed account as ONE undoable step:
upheld moves the account back to the territory it came from, rejected keeps the change, and both write the decision
on every open dispute of that move (the gaining and the losing rep may both have disputed it). The step's label
carries the reps' and the workshop's comments, so they are in the audit trail with the move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from desktop_planner.core.commands import (Applied, Command, CommandError, Composite, SetAssignment, SetExceptions,
                                           movable_accounts)
from desktop_planner.core.model import UNASSIGNED, Plan, Scenario
from desktop_planner.core.records import TABLES, PutRows

REVIEW_COLUMNS = TABLES["reviews"][0]
GAIN, LOSE = "gain", "lose"
AGREE, DISPUTE = "agree", "dispute"
UPHELD, REJECTED = "upheld", "rejected"
NO_TERRITORY = "(unassigned)"
LABEL_COMMENT_CHARS = 300  # a comment longer than this is shortened in the label (the review row keeps it whole)


def change_text(kind: str, other: str | None) -> str:
    """The `change` of a review row: "gain from NE-01 Boston", "lose to (unassigned)"."""
    return f"{kind} {'from' if kind == GAIN else 'to'} {other or NO_TERRITORY}"


def parse_change(text: str) -> tuple[str, str | None]:
    """(kind, the other territory or None) from a review row's `change`."""
    parts = str(text or "").split(" ", 2)
    kind = parts[0]
    if kind not in (GAIN, LOSE):
        raise CommandError(f"a review's change must be 'gain from …' or 'lose to …', got {text!r}")
    other = parts[2] if len(parts) == 3 else None
    return kind, None if other in (None, "", NO_TERRITORY) else other


def decision_text(uphold: bool, comment: str = "") -> str:
    comment = " ".join(str(comment or "").split())
    return (UPHELD if uphold else REJECTED) + (f": {comment}" if comment else "")


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    text = str(value)
    return text if text else None


@dataclass(frozen=True)
class Review:
    """One row of the `reviews` table, read."""
    id: int
    account_id: int
    external_id: str
    scenario_id: int
    rep: str
    territory: str
    change: str
    verdict: str | None
    comment: str | None
    source: str | None
    imported_at: str | None
    decision: str | None
    decided_at: str | None
    decided_by: str | None

    @property
    def kind(self) -> str:
        return parse_change(self.change)[0]

    @property
    def other(self) -> str | None:
        return parse_change(self.change)[1]

    @property
    def from_territory(self) -> str | None:
        """Where the account was in the baseline (None: unassigned)."""
        return self.other if self.kind == GAIN else self.territory

    @property
    def to_territory(self) -> str | None:
        """Where the scenario put it, as reviewed (None: unassigned)."""
        return self.territory if self.kind == GAIN else self.other

    @property
    def is_dispute(self) -> bool:
        return self.verdict == DISPUTE

    @property
    def is_open(self) -> bool:
        """A dispute still waiting for the workshop."""
        return self.verdict == DISPUTE and not self.decision

    @property
    def upheld(self) -> bool | None:
        """True/False once decided, None while open."""
        if not self.decision:
            return None
        return self.decision.split(":", 1)[0] == UPHELD

    @property
    def decision_comment(self) -> str:
        return self.decision.split(":", 1)[1].strip() if self.decision and ":" in self.decision else ""


def reviews_of(plan: Plan, scenario_id: int | None = None) -> list[Review]:
    """The reviews of a scenario (every scenario's with None), in id order."""
    table = plan.records.table("reviews")
    if scenario_id is not None and len(table):
        table = table[table["scenario_id"] == scenario_id]
    result = []
    for values in table.itertuples(index=False, name=None):
        row = dict(zip(REVIEW_COLUMNS, values))
        result.append(Review(
            int(row["id"]), int(row["account_id"]), str(row["external_id"]), int(row["scenario_id"]),
            _text(row["rep"]) or "", _text(row["territory"]) or "", _text(row["change"]) or "",
            _text(row["verdict"]), _text(row["comment"]), _text(row["source"]), _text(row["imported_at"]),
            _text(row["decision"]), _text(row["decided_at"]), _text(row["decided_by"])))
    return sorted(result, key=lambda r: r.id)


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([[row.get(c) for c in REVIEW_COLUMNS] for row in rows], columns=list(REVIEW_COLUMNS),
                        dtype=object)


class ImportReviews(Command):
    """Put returned answers (rows of the reviews table without `id`, all of one scenario) in place as one step.

    For each rep in `rows`, that rep's open answers of the scenario are replaced: a sheet returned again after a
    correction counts as the rep's answer, not as more answers. Rows already decided in the workshop are kept with
    their decision; an incoming answer for the same account and change updates their verdict and comment only."""

    action = "import"

    def __init__(self, scenario_id: int, rows: pd.DataFrame, label: str | None = None) -> None:
        missing = [c for c in REVIEW_COLUMNS if c != "id" and c not in rows.columns]
        if missing:
            raise CommandError(f"reviews lack the columns {', '.join(missing)}")
        if len(rows) and (rows["scenario_id"] != scenario_id).any():
            raise CommandError("the reviews imported together must all be of the one scenario")
        self.scenario_id = scenario_id
        self.rows = rows.reset_index(drop=True)
        disputes = int((self.rows["verdict"] == DISPUTE).sum()) if len(self.rows) else 0
        reps = self.rows["rep"].nunique() if len(self.rows) else 0
        self.label = label or (f"Import reviews: {len(self.rows):,} answers from {reps:,} "
                               f"rep{'s' if reps != 1 else ''}, {disputes:,} dispute{'s' if disputes != 1 else ''}")

    def apply(self, plan: Plan) -> Applied:
        if self.scenario_id not in plan.scenarios:
            raise CommandError(f"scenario {self.scenario_id} does not exist")
        reps = set(self.rows["rep"].tolist())
        existing = [r for r in reviews_of(plan, self.scenario_id) if r.rep in reps]
        decided = {(r.account_id, r.kind, r.territory): r for r in existing if r.decision}
        next_id = plan.records.next_id("reviews")
        put = []
        for values in self.rows.to_dict("records"):
            row = {c: values.get(c) for c in REVIEW_COLUMNS}
            kept = decided.get((int(row["account_id"]), parse_change(row["change"])[0], row["territory"]))
            if kept is not None:  # the workshop's decision stands; the answer is the rep's latest
                row.update(id=kept.id, decision=kept.decision, decided_at=kept.decided_at, decided_by=kept.decided_by)
            else:
                row["id"] = next_id
                next_id += 1
            put.append(row)
        replaced = [(r.id,) for r in existing if not r.decision]
        return PutRows("reviews", _frame(put), delete=replaced, label=self.label, action=self.action).apply(plan)


class DecideDispute(Command):
    """The workshop's decision on a disputed account: `uphold` moves it back to the territory it came from (in the
    review's scenario), otherwise the change stays. Either way the decision (with `comment`, `by` and the time) is
    written on every open dispute of that move, in the same step. Refused when the account is no longer where the
    review saw it (moved since), or is locked."""

    action = "review"

    def __init__(self, review_id: int, uphold: bool, comment: str = "", by: str | None = None,
                 at: str | None = None) -> None:
        self.review_id = int(review_id)
        self.uphold = bool(uphold)
        self.comment = " ".join(str(comment or "").split())
        self.by = by
        self.at = at or datetime.now(timezone.utc).isoformat(timespec="seconds")  # fixed now: a redo says the same
        self.label = f"Decide dispute {self.review_id}"

    def apply(self, plan: Plan) -> Applied:
        review = next((r for r in reviews_of(plan) if r.id == self.review_id), None)
        if review is None:
            raise CommandError(f"there is no review {self.review_id}")
        if review.verdict != DISPUTE:
            raise CommandError(f"review {review.id} ({review.external_id}, {review.rep}) is not a dispute: the rep "
                               f"answered {review.verdict or 'nothing'}")
        if review.decision:
            raise CommandError(f"the dispute over {review.external_id} ({review.rep}) was already decided "
                               f"({review.decision}); undo that decision to decide it again")
        scenario = plan.scenarios.get(review.scenario_id)
        if scenario is None:
            raise CommandError(f"the scenario of review {review.id} is not in this plan (deleted, or another team's)")
        try:
            row = plan.accounts.index_of_id(review.account_id)
        except KeyError:
            raise CommandError(f"account {review.external_id} is no longer in the project (or not in this team's "
                               "view)") from None
        now = _territory_name(scenario, int(scenario.assignment[row]))
        if now != review.to_territory:
            raise CommandError(
                f"{review.external_id} was moved since {review.rep} reviewed it: it is in {now or 'no territory'} "
                f"now, not in {review.to_territory or 'no territory'}. Decide it on the map, or undo that move first.")
        siblings = [r for r in reviews_of(plan, review.scenario_id) if r.is_open and r.account_id == review.account_id
                    and r.from_territory == review.from_territory and r.to_territory == review.to_territory]
        self.label = self.describe(review, siblings)
        decision = decision_text(self.uphold, self.comment)
        decided = [{**{c: getattr(r, c) for c in REVIEW_COLUMNS}, "decision": decision, "decided_at": self.at,
                    "decided_by": self.by} for r in siblings]
        record = PutRows("reviews", _frame(decided), label=self.label, action=self.action)
        if not self.uphold:
            return record.apply(plan)
        move = self._move_back(plan, scenario, row, review)
        return Composite([*move, record], self.label, self.action).apply(plan)

    def describe(self, review: Review, siblings: list[Review]) -> str:
        if self.uphold:
            head = f"Dispute upheld: {review.external_id} back to {review.from_territory or 'no territory'}"
        else:
            head = f"Dispute rejected: {review.external_id} stays in {review.to_territory or 'no territory'}"
        voices = [f'{r.rep}: "{_short(r.comment)}"' if r.comment else r.rep for r in siblings]
        if self.comment:
            voices.append(f'workshop: "{_short(self.comment)}"')
        return f"{head} ({'; '.join(voices)})" if voices else head

    def _move_back(self, plan: Plan, scenario: Scenario, row: int, review: Review) -> list[Command]:
        if review.from_territory is None:
            target = UNASSIGNED
        else:
            try:
                target = scenario.territory_by_name(review.from_territory).id
            except KeyError:
                raise CommandError(f"{review.external_id} cannot go back: scenario {scenario.name!r} has no territory "
                                   f"{review.from_territory!r} any more") from None
        rows = np.array([row], dtype=np.int64)
        if not movable_accounts(plan, scenario, rows, target).size:
            raise CommandError(f"{review.external_id} is locked, or its territory is, in scenario {scenario.name!r}: "
                               "unlock it to move it back")
        if target != UNASSIGNED and scenario.territories[target].locked:
            raise CommandError(f"territory {review.from_territory!r} is locked: unlock it to move "
                               f"{review.external_id} back")
        commands: list[Command] = [SetAssignment(scenario.id, rows, target, self.label, self.action)]
        state = plan.units
        if state is not None:  # as a hand move does: an account leaving its unit's territory becomes an exception
            from desktop_planner.core.units import NOT_PLACED, unit_targets
            if state.unit_of_rows(plan)[row] != NOT_PLACED:
                flag = bool(unit_targets(state, plan, scenario)[row] != target)
                if flag != bool(state.exception_rows(plan, scenario)[row]):
                    commands.append(SetExceptions(scenario.id, rows, flag))
        return commands


def _territory_name(scenario: Scenario, territory_id: int) -> str | None:
    if territory_id == UNASSIGNED:
        return None
    territory = scenario.territories.get(territory_id)
    return territory.name if territory is not None else None


def _short(text: str | None) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= LABEL_COMMENT_CHARS else text[:LABEL_COMMENT_CHARS - 1] + "…"
