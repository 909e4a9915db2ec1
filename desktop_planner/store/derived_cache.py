"""Slow-to-derive figures kept in the project file, keyed by a fingerprint of the accounts they came from."""

from __future__ import annotations

import hashlib
import sqlite3

import numpy as np

from desktop_planner.core.contiguity import account_graph
from desktop_planner.core.model import Accounts
from desktop_planner.store.schema import DERIVED_CACHE_DDL

GRAPH_KEY = "account_graph_v2"  # v1 held plain Delaunay edges (long hull edges included)


def accounts_fingerprint(accounts: Accounts) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for column in (accounts.ids, accounts.lon, accounts.lat):
        digest.update(np.ascontiguousarray(column).tobytes())
    return digest.hexdigest()


def cached_graph_edges(conn: sqlite3.Connection, accounts: Accounts) -> np.ndarray:
    """The account graph (core.contiguity.account_graph): from the file when it matches, else computed and
    stored."""
    fingerprint = accounts_fingerprint(accounts)
    try:
        row = conn.execute("SELECT fingerprint, data FROM derived_cache WHERE key = ?", (GRAPH_KEY,)).fetchone()
    except sqlite3.OperationalError:  # a file from before the cache existed
        row = None
    if row is not None and row[0] == fingerprint and row[1] is not None:
        return np.frombuffer(row[1], dtype="<i8").reshape(-1, 2).astype(np.int64)
    edges = account_graph(accounts)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(DERIVED_CACHE_DDL)
        conn.execute("INSERT OR REPLACE INTO derived_cache (key, fingerprint, data) VALUES (?, ?, ?)",
                     (GRAPH_KEY, fingerprint, edges.astype("<i8").tobytes()))
        conn.execute("COMMIT")
    except sqlite3.Error:
        # Read-only medium or a busy file: the cache is an optimisation, the figures are still right.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    return edges
