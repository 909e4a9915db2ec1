"""Slow-to-derive figures kept in the project file, keyed by a fingerprint of the accounts they came from."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from desktop_planner.core.model import Accounts
from desktop_planner.store.schema import DERIVED_CACHE_DDL

GRAPH_KEY = "account_graph_v2"  # v1 held plain Delaunay edges (long hull edges included)


def accounts_fingerprint(accounts: Accounts) -> str:
    return columns_fingerprint(accounts.ids, accounts.lon, accounts.lat)


def columns_fingerprint(ids: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for column in (ids, lon, lat):
        digest.update(np.ascontiguousarray(column).tobytes())
    return digest.hexdigest()


def account_graph(accounts: Accounts) -> np.ndarray:
    """core.contiguity.account_graph, imported on first use: it loads scipy (~0.2 s), which the region
    builder's process, reading only the study area and the cells through FileCache, does not need."""
    from desktop_planner.core.contiguity import account_graph as compute
    return compute(accounts)


def cached_graph_edges(conn: sqlite3.Connection, accounts: Accounts, store: bool = True) -> tuple[np.ndarray, bool]:
    """The account graph (core.contiguity.account_graph): from the file when it matches, else computed and, with
    `store`, stored. Returns the edges and whether they were written to the file."""
    fingerprint = accounts_fingerprint(accounts)
    try:
        row = conn.execute("SELECT fingerprint, data FROM derived_cache WHERE key = ?", (GRAPH_KEY,)).fetchone()
    except sqlite3.OperationalError:  # a file from before the cache existed
        row = None
    if row is not None and row[0] == fingerprint and row[1] is not None:
        return np.frombuffer(row[1], dtype="<i8").reshape(-1, 2).astype(np.int64), False
    edges = account_graph(accounts)
    if not store:
        return edges, False
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
        return edges, False
    return edges, True


def store_entry(conn: sqlite3.Connection, key: str, fingerprint: str, data: bytes) -> bool:
    """Write one cache entry through `conn` (the window's own connection to its project, so that the write is
    not taken for another program's change). False when the file is busy or read-only: it stays a miss."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(DERIVED_CACHE_DDL)
        conn.execute("INSERT OR REPLACE INTO derived_cache (key, fingerprint, data) VALUES (?, ?, ?)",
                     (key, fingerprint, data))
        conn.execute("COMMIT")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return False
    return True


class FileCache:
    """The derived-figures cache of a project file for a process of its own (the window's region builder). It
    only reads (a read-only connection per call): a write from another process would look to the window like
    another program's change, so what it computed is kept in `pending` as (key, fingerprint, data) for the window
    to store through its own connection (store_entry). Keys each entry by the accounts' fingerprint (and a
    `variant` of the entry's parameters); never fails: a missing table or a busy file only make it a miss."""

    def __init__(self, path: str | Path, ids: np.ndarray | None = None, lon: np.ndarray | None = None,
                 lat: np.ndarray | None = None) -> None:
        self.path = str(path)
        self._columns: tuple | None = (ids, lon, lat)
        self._fingerprint: str | None = None
        self.pending: list[tuple[str, str, bytes]] = []

    def use_columns(self, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
        """The accounts' columns the entries are keyed by (given in the child, not pickled by the window)."""
        self._columns, self._fingerprint = (ids, lon, lat), None

    def fingerprint(self, variant: str = "") -> str:
        if self._fingerprint is None:
            if self._columns is None or any(column is None for column in self._columns):
                raise ValueError("FileCache: the accounts' columns are not known (use_columns)")
            self._fingerprint = columns_fingerprint(*self._columns)
            self._columns = None
        return f"{self._fingerprint}:{variant}" if variant else self._fingerprint

    def get(self, key: str, variant: str = "") -> bytes | None:
        try:
            conn = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
            try:
                row = conn.execute("SELECT fingerprint, data FROM derived_cache WHERE key = ?", (key,)).fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return None
        return row[1] if row is not None and row[0] == self.fingerprint(variant) and row[1] is not None else None

    def put(self, key: str, data: bytes, variant: str = "") -> None:
        self.pending.append((key, self.fingerprint(variant), data))

    def graph_edges(self, accounts: Accounts) -> np.ndarray:
        """The account graph (core.contiguity.account_graph) from the file when it matches, else computed."""
        data = self.get(GRAPH_KEY)
        if data is not None:
            return np.frombuffer(data, dtype="<i8").reshape(-1, 2).astype(np.int64)
        edges = account_graph(accounts)
        self.put(GRAPH_KEY, edges.astype("<i8").tobytes())
        return edges
