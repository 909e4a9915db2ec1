"""Reps' answers and the workshop's decisions: an import puts a rep's answers in place (again: replaces them), and a
decision is one undoable step that moves the account back (upheld) or keeps it (rejected), with the comments in its
label and so in the audit trail; refused when the account was moved since."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desktop_planner.core.commands import CommandError, Reassign, SetLock
from desktop_planner.core.history import History
from desktop_planner.core.review_commands import (DecideDispute, ImportReviews, change_text, parse_change,
                                                  reviews_of)
from desktop_planner.io.review_sheets import review_items
from desktop_planner.store.project import ProjectFile
from tests.io.test_review_sheets import proposal_plan

AT = "2026-03-01T10:00:00+00:00"


def answers(plan, baseline, proposal, verdicts: dict[tuple[str, int], tuple[str | None, str | None]],
            source: str = "sheet.csv") -> pd.DataFrame:
    """Review rows for the items (territory, n-th item of that territory) given, as an import makes them."""
    items = review_items(plan, baseline, proposal)
    rows = []
    for (territory, n), (verdict, comment) in verdicts.items():
        item = [i for i in items if i.territory == territory][n]
        rows.append({"account_id": int(plan.accounts.ids[item.row]), "external_id": plan.accounts.external_id[item.row],
                     "scenario_id": proposal.id, "rep": item.rep, "territory": item.territory, "change": item.change,
                     "verdict": verdict, "comment": comment, "source": source, "imported_at": AT, "decision": None,
                     "decided_at": None, "decided_by": None})
    return pd.DataFrame(rows, dtype=object)


@pytest.fixture
def setup():
    plan, baseline, proposal = proposal_plan()
    history = History(plan)
    rows = answers(plan, baseline, proposal, {("T2", 0): ("dispute", "key relationship"), ("T2", 1): ("agree", None),
                                             ("T2", 2): (None, None)})
    history.do(ImportReviews(proposal.id, rows))
    return plan, baseline, proposal, history


def test_change_texts_read_back():
    assert parse_change(change_text("gain", "NE-01 Boston")) == ("gain", "NE-01 Boston")
    assert parse_change(change_text("lose", None)) == ("lose", None)
    with pytest.raises(CommandError):
        parse_change("sideways")


def test_an_import_is_one_step_and_a_rep_returning_the_sheet_replaces_the_answers(setup):
    plan, baseline, proposal, history = setup
    reviews = reviews_of(plan, proposal.id)
    assert [r.verdict for r in reviews] == ["dispute", "agree", None]
    assert history.undo_labels()[0] == "Import reviews: 3 answers from 1 rep, 1 dispute"
    again = answers(plan, baseline, proposal, {("T2", 0): ("agree", "on reflection fine")}, source="sheet v2.csv")
    history.do(ImportReviews(proposal.id, again))
    reviews = reviews_of(plan, proposal.id)
    assert [(r.verdict, r.comment, r.source) for r in reviews] == [("agree", "on reflection fine", "sheet v2.csv")]
    history.undo()
    assert [r.verdict for r in reviews_of(plan, proposal.id)] == ["dispute", "agree", None]
    history.undo()
    assert reviews_of(plan) == []


def test_upheld_moves_the_account_back_in_one_undoable_step_with_the_comments_in_its_label(setup):
    plan, baseline, proposal, history = setup
    dispute = next(r for r in reviews_of(plan) if r.is_dispute)
    row = plan.accounts.index_of_id(dispute.account_id)
    before = proposal.assignment.copy()
    assert dispute.kind == "gain" and proposal.territories[proposal.assignment[row]].name == "T2"
    history.do(DecideDispute(dispute.id, uphold=True, comment="agreed, keep for Q3", by="Karen", at=AT))
    back = proposal.territory_by_name(dispute.from_territory).id
    assert proposal.assignment[row] == back
    changed = np.flatnonzero(before != proposal.assignment)
    assert changed.tolist() == [row]  # nothing else moves
    label = history.undo_labels()[0]
    assert label == (f'Dispute upheld: {dispute.external_id} back to {dispute.from_territory} '
                     f'(Rep 2: "key relationship"; workshop: "agreed, keep for Q3")')
    decided = next(r for r in reviews_of(plan) if r.id == dispute.id)
    assert decided.upheld is True and decided.decision_comment == "agreed, keep for Q3"
    assert (decided.decided_by, decided.decided_at) == ("Karen", AT) and not decided.is_open
    history.undo()  # one step takes back both the move and the decision
    assert np.array_equal(proposal.assignment, before)
    assert next(r for r in reviews_of(plan) if r.id == dispute.id).is_open
    history.redo()
    assert proposal.assignment[row] == back and next(r for r in reviews_of(plan) if r.id == dispute.id).upheld


def test_rejected_keeps_the_change_and_is_undoable(setup):
    plan, baseline, proposal, history = setup
    dispute = next(r for r in reviews_of(plan) if r.is_dispute)
    before = proposal.assignment.copy()
    history.do(DecideDispute(dispute.id, uphold=False, comment="balance first"))
    assert np.array_equal(proposal.assignment, before)
    assert history.undo_labels()[0] == (f'Dispute rejected: {dispute.external_id} stays in T2 '
                                        f'(Rep 2: "key relationship"; workshop: "balance first")')
    assert next(r for r in reviews_of(plan) if r.id == dispute.id).upheld is False
    with pytest.raises(CommandError, match="already decided"):
        history.do(DecideDispute(dispute.id, uphold=True))
    history.undo()
    assert next(r for r in reviews_of(plan) if r.id == dispute.id).is_open


def test_both_reps_disputing_one_move_are_decided_together(setup):
    plan, baseline, proposal, history = setup
    dispute = next(r for r in reviews_of(plan) if r.is_dispute)
    losing = next(i for i in review_items(plan, baseline, proposal)
                  if i.kind == "lose" and plan.accounts.ids[i.row] == dispute.account_id)
    rows = answers(plan, baseline, proposal, {(losing.territory, [i.row for i in review_items(
        plan, baseline, proposal) if i.territory == losing.territory].index(losing.row)): ("dispute", "mine")})
    history.do(ImportReviews(proposal.id, rows))
    history.do(DecideDispute(dispute.id, uphold=True))
    both = [r for r in reviews_of(plan) if r.account_id == dispute.account_id]
    assert len(both) == 2 and all(r.upheld for r in both)
    assert f'{losing.rep}: "mine"' in history.undo_labels()[0]


def test_refused_when_the_account_was_moved_since_or_is_locked_or_no_dispute(setup):
    plan, baseline, proposal, history = setup
    reviews = reviews_of(plan)
    dispute = next(r for r in reviews if r.is_dispute)
    row = plan.accounts.index_of_id(dispute.account_id)
    t3 = proposal.territory_by_name("T3").id
    history.do(Reassign(proposal.id, [row], t3))
    before = proposal.assignment.copy()
    with pytest.raises(CommandError, match=f"{dispute.external_id} was moved since Rep 2 reviewed it: it is in T3"):
        history.do(DecideDispute(dispute.id, uphold=True))
    with pytest.raises(CommandError, match="moved since"):
        history.do(DecideDispute(dispute.id, uphold=False))
    assert np.array_equal(proposal.assignment, before) and reviews_of(plan) == reviews
    history.undo()  # the move undone: the dispute can be decided again
    history.do(SetLock(proposal.id, [row], True))
    with pytest.raises(CommandError, match="locked"):
        history.do(DecideDispute(dispute.id, uphold=True))
    agreed = next(r for r in reviews if r.verdict == "agree")
    with pytest.raises(CommandError, match="is not a dispute"):
        history.do(DecideDispute(agreed.id, uphold=True))
    with pytest.raises(CommandError, match="no review 999"):
        history.do(DecideDispute(999, uphold=True))


def test_decisions_and_their_comments_are_saved_and_in_the_audit_trail(tmp_path):
    plan, baseline, proposal = proposal_plan()
    path = tmp_path / "p.tplan"
    ProjectFile.create(path, plan).close()
    with ProjectFile.open(path) as project:
        plan = project.load_plan()
        baseline, proposal = plan.scenarios[baseline.id], plan.scenarios[proposal.id]
        history = History(plan, project)
        history.do(ImportReviews(proposal.id, answers(plan, baseline, proposal,
                                                      {("T2", 0): ("dispute", "key relationship")})))
        dispute = reviews_of(plan)[0]
        history.do(DecideDispute(dispute.id, uphold=True, comment="agreed", by="workshop"))
        rows = project.conn.execute("SELECT action, label, account_external_id FROM changes WHERE step = "
                                    "(SELECT MAX(step) FROM changes) ORDER BY id").fetchall()
    assert {r[1] for r in rows} == {f'Dispute upheld: {dispute.external_id} back to {dispute.from_territory} '
                                    '(Rep 2: "key relationship"; workshop: "agreed")'}
    assert ("review", dispute.external_id) in {(r[0], r[2]) for r in rows}  # the move itself
    with ProjectFile.open(path, read_only=True) as project:
        again = project.load_plan()
        saved = reviews_of(again)[0]
        assert saved.upheld and saved.decided_by == "workshop" and saved.comment == "key relationship"
        row = again.accounts.index_of_id(dispute.account_id)
        assert again.scenarios[proposal.id].territories[again.scenarios[proposal.id].assignment[row]].name == \
            dispute.from_territory
