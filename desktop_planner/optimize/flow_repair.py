"""Balance contiguous territories by moving load along the territory adjacency graph.

Single account moves cannot balance a plan whose overloaded territories are surrounded by full ones: the load
has to travel through several territories. So: (1) a min-cost flow on the graph of touching territories says
how much workload each territory should hand to each neighbour (overloaded ones are sources, underloaded ones
sinks, the cost of an edge the distance between the two homes); (2) each flow is carried out by handing over
border accounts that still touch the receiving territory, cheapest first (least change of the objective per
hour taken off the giving territory), never one whose removal would split its territory and never a
territory's seed (the account at its home). Repeated with fresh loads until every territory is in its band or
nothing improves; a pass that made the plan worse is undone.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

PASSES = 40  # flow solves at most; each hands over accounts along every edge with flow
DAMPING = 0.7  # share of each flow carried out a pass: loads are re-measured before the rest goes
MIN_DAMPING = 0.05  # a pass that made the plan worse is undone and the share halved, down to this


class Adjacency:
    """Neighbour lists of the accounts (the growth graph: free accounts only)."""

    def __init__(self, n: int, rows: np.ndarray, cols: np.ndarray) -> None:
        order = np.argsort(rows, kind="stable")
        self.cols = cols[order]
        self.first = np.searchsorted(rows[order], np.arange(n + 1))
        self.rows, self.all_cols = rows, cols

    def of(self, i: int) -> np.ndarray:
        return self.cols[self.first[i]:self.first[i + 1]]


def _stays_connected(adj: Adjacency, terr: np.ndarray, i: int) -> bool:
    """Whether territory terr[i] is still one piece without account i (ignoring pieces it already had)."""
    k = terr[i]
    nb = adj.of(i)
    same = nb[terr[nb] == k]
    if same.size == 0:
        return False  # its last account (or an isolated one): never empty a territory this way
    if same.size == 1:
        return True
    if _linked_around(adj, same):
        return True
    # Search from one same-territory neighbour, without i, until every other one is found.
    goal = set(same.tolist())
    start = int(same[0])
    seen = {start, i}
    queue = deque([start])
    goal.discard(start)
    while queue and goal:
        u = queue.popleft()
        for v in adj.of(u).tolist():
            if v not in seen and terr[v] == k:
                seen.add(v)
                goal.discard(v)
                queue.append(v)
    return not goal


def territory_flows(excess: np.ndarray, pairs: np.ndarray, cost: np.ndarray, movable: np.ndarray) -> np.ndarray:
    """Least-cost flow on the directed territory pairs that removes the excess (load - target) of every
    movable territory; where the graph cannot carry it all, as much as it can (slack at a high price)."""
    k = len(excess)
    m = len(pairs)
    if m == 0:
        return np.zeros(0)
    big = 1e3 * (float(cost.max()) + 1.0)
    # Variables: flow per pair, then slack up / down per territory.
    rows = np.concatenate((pairs[:, 0], pairs[:, 1], np.arange(k), np.arange(k)))
    cols = np.concatenate((np.arange(m), np.arange(m), m + np.arange(k), m + k + np.arange(k)))
    vals = np.concatenate((np.ones(m), -np.ones(m), np.ones(k), -np.ones(k)))
    a_eq = coo_matrix((vals, (rows, cols)), shape=(k, m + 2 * k)).tocsr()
    b_eq = np.where(movable, excess, 0.0)
    c = np.concatenate((cost, np.full(2 * k, big)))
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        return np.zeros(m)
    return res.x[:m]


def repair(terr: np.ndarray, adj: Adjacency, seeds: np.ndarray, free: np.ndarray, open_: np.ndarray,
           loads_of, targets_of, tolerance: float, move_cost, home_km_between: np.ndarray, work_in,
           should_stop, passes: int = PASSES, may_move=None) -> tuple[np.ndarray, int]:
    """Hand accounts over along the flows until every open territory is within `tolerance` of its target.

    `loads_of(terr) -> (K,)`, `targets_of(load) -> (K,)`; `move_cost(rows, from, to) -> added cost`;
    `work_in(rows, to) -> workload of the rows in that territory`; `home_km_between` (K, K) km between homes;
    `may_move(row, from, to) -> bool` (a disruption budget) is asked before each move and told it happened.
    Returns the new assignment and the number of accounts moved."""
    terr = terr.copy()
    protected = np.zeros(len(terr), dtype=bool)
    protected[seeds[seeds >= 0]] = True
    moved_total = 0
    damping = DAMPING
    last_moved = 0
    best_terr, best_violation = terr.copy(), np.inf
    for _ in range(passes):
        load = loads_of(terr)
        target = targets_of(load)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = np.where(target > 0, load / target - 1.0, 0.0)
        outside = _outside(dev[open_], tolerance)
        if outside >= best_violation - 1e-9:
            # The last pass made things worse (flows through territories that could not pass them on):
            # undo it and carry out less of each flow.
            terr[:] = best_terr
            moved_total -= last_moved
            damping *= 0.5
            if damping < MIN_DAMPING:
                break
            load = loads_of(terr)
            target = targets_of(load)
            with np.errstate(divide="ignore", invalid="ignore"):
                dev = np.where(target > 0, load / target - 1.0, 0.0)
        else:
            best_terr, best_violation = terr.copy(), outside
        if best_violation <= 1e-12 or should_stop():
            break
        # Only what lies outside the band is moved: a territory inside it keeps its accounts, though load
        # may flow through it (what it receives from one side it hands on to the other).
        excess = load - np.clip(load, (1 - tolerance) * target, (1 + tolerance) * target)
        balance_gap = excess.sum()
        # The flows must net to zero: spread any surplus over the territories with room in their band.
        if abs(balance_gap) > 1e-9:
            room = np.where(balance_gap > 0, (1 + tolerance) * target - load, load - (1 - tolerance) * target)
            room = np.where(open_ & (excess == 0), np.maximum(room, 0.0), 0.0)
            if room.sum() > 0:
                excess -= balance_gap * room / room.sum()
        a, b = adj.rows, adj.all_cols
        ta, tb = terr[a], terr[b]
        cross = (ta != tb) & (ta >= 0) & (tb >= 0) & free[a] & free[b]
        cross &= open_[np.maximum(ta, 0)] & open_[np.maximum(tb, 0)]
        # Boundary accounts per (giving, receiving) pair: one sort of the crossing edges a pass.
        k = len(open_)
        key = ta[cross] * k + tb[cross]
        order = np.argsort(key, kind="stable")
        key, giver = key[order], a[cross][order]
        pair_keys, first = np.unique(key, return_index=True)
        bounds = np.append(first, len(key))
        pairs = np.column_stack((pair_keys // k, pair_keys % k)).astype(np.int64)
        flow = territory_flows(excess, pairs, home_km_between[pairs[:, 0], pairs[:, 1]] + 1.0, open_)
        last_moved = 0
        for e in np.argsort(-flow):
            amount = damping * float(flow[e])
            if amount <= 1e-9:
                break
            src, dst = int(pairs[e, 0]), int(pairs[e, 1])
            boundary = np.unique(giver[bounds[e]:bounds[e + 1]])
            last_moved += _hand_over(terr, adj, src, dst, amount, protected, free, move_cost, work_in, boundary,
                                     may_move)
            if should_stop():
                break
        moved_total += last_moved
        if last_moved == 0:
            break
    if best_violation < np.inf:
        final = loads_of(terr)
        target = targets_of(final)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = np.where(target > 0, final / target - 1.0, 0.0)
        if _outside(dev[open_], tolerance) > best_violation:
            terr = best_terr
    return terr, moved_total


def _linked_around(adj: Adjacency, same: np.ndarray) -> bool:
    """Whether the neighbours are joined to each other directly (around the account, as the triangles of
    a triangulation join them): then taking the account out cannot split them. Cheap, and true for most
    boundary accounts; the full search is needed only when it is false."""
    members = set(same.tolist())
    start = next(iter(members))
    seen = {start}
    stack = [start]
    while stack:
        u = stack.pop()
        for v in adj.of(u).tolist():
            if v in members and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(members)


def _outside(dev: np.ndarray, tolerance: float) -> float:
    """How far the territories lie outside the band, squared: one territory far out weighs more than many a
    little out, so a pass that fixes many at the price of one is not taken for progress."""
    return float((np.maximum(np.abs(dev) - tolerance, 0.0) ** 2).sum())


def _hand_over(terr, adj, src, dst, amount, protected, free, move_cost, work_in, rows, may_move) -> int:
    """Move boundary accounts of `src` that touch `dst` (`rows`, found once a pass) to `dst`, cheapest per
    hour first, until `amount` hours of workload have gone (or no boundary account can go without splitting
    `src`). Accounts of `src` behind a moved one become boundary accounts and are tried next."""
    moved = 0
    handed = 0.0
    for _ in range(4):  # new boundary accounts appear as the border moves
        rows = rows[(terr[rows] == src) & free[rows] & ~protected[rows]]
        if rows.size == 0:
            return moved
        # Cheapest per hour taken off the giving territory: accounts nearer the other home go first.
        relief = work_in(rows, src)
        key = move_cost(rows, src, dst) / np.maximum(relief, 1e-9)
        gone = []
        for idx in np.argsort(key, kind="stable").tolist():
            if handed >= amount:
                return moved
            r = int(rows[idx])
            # Still on the border (an earlier hand-over of this pass may have moved its neighbour in `dst`
            # away) and not holding `src` together.
            if terr[r] != src or not (terr[adj.of(r)] == dst).any() or not _stays_connected(adj, terr, r):
                continue
            if may_move is not None and not may_move(r, src, dst):
                continue
            terr[r] = dst
            handed += float(relief[idx])
            moved += 1
            gone.append(r)
        if not gone or handed >= amount:
            return moved
        behind = np.concatenate([adj.of(r) for r in gone])
        rows = np.unique(behind[terr[behind] == src])
    return moved
