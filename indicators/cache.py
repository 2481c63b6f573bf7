"""A small in-process LRU cache of computed figures, keyed by the store's data version.

A key is (database URL, what was asked: scope, period, filters, as_of…, data
version). Every write and every import bumps `store.data_version`, so a figure
computed before a write can never be served after it: the new version makes a
new key, and old entries age out of the LRU. One cheap query reads the version.

On the engine's own connections (`shared`), a key asked again while it is being
computed waits for that computation instead of running it a second time (twenty
sessions opening the same page, or a visitor arriving during `mlimpact
precalculer`), and the results are also kept in the database for every process
(`indicators.kept`): a key another process is computing is waited for too (its
claim row), so `mlimpact serve`'s processes compute a page once between them.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import Connection

from indicators import kept
from mlimpact import once as computed_once
from mlimpact.store import data_version

T = TypeVar("T")
MAXSIZE = 512


class LRUCache:
    """A thread-safe least-recently-used mapping; values are copied out so callers cannot alter them."""

    def __init__(self, maxsize: int = MAXSIZE):
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, object] = OrderedDict()
        self._pending: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T], wait: bool = False) -> T:
        """The value of `key`, computed now if absent. With `wait`, a key another thread is computing is waited
        for, not computed twice (only on connections without a caller's transaction: see `cached`)."""
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    self.hits += 1
                    return copy.deepcopy(self._data[key])
                pending = self._pending.get(key) if wait else None
                if pending is None:
                    self.misses += 1
                    if wait:
                        self._pending[key] = threading.Event()
                    break
            pending.wait()  # then read it, or compute it if that computation failed
        try:
            value = compute()
            with self._lock:
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.maxsize:
                    self._data.popitem(last=False)
        finally:
            if wait:
                with self._lock:
                    self._pending.pop(key).set()
        return copy.deepcopy(value)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


CACHE = LRUCache()


def database_key(conn: Connection) -> str:
    """Which database: its URL without the password."""
    return conn.engine.url.render_as_string(hide_password=True)


def cached(conn: Connection, kind: str, parts: tuple, compute: Callable[[], T], shared: bool = False, keep: bool = False) -> T:
    """`compute()` once per (database, kind, parts, data version).

    `shared`: `conn` is the engine's own (no caller's transaction whose writes the result could reflect), so
    concurrent askers of the key wait for one computation; with `keep` as well, the result is read from, or
    written to, the database's kept results (`indicators.kept`).
    """
    version = data_version(conn)
    key = (database_key(conn), kind, parts, version)
    if not (shared and keep):
        return CACHE.get_or_compute(key, compute, wait=shared)
    cle = kept.key(kept.ENGINE, version, (kept.ENGINE_FORMAT, kind, parts))

    def decoded(text: str | None) -> tuple | None:
        return None if text is None else (kept.decode(text),)

    def read_or_compute() -> T:  # read, or computed by one process (`mlimpact.once`: the claim row)
        return computed_once.once(
            read=lambda: decoded(kept.read(conn, cle)),
            claim=lambda: kept.claim(conn.engine, cle),
            wait=lambda: decoded(kept.wait_for(conn.engine, cle)),
            compute=compute,
            keep=lambda result: kept.keep(conn.engine, kept.ENGINE, version, cle, kept.encode(result)),
            release=lambda: kept.release(conn.engine, cle),
        )

    return CACHE.get_or_compute(key, read_or_compute, wait=True)


def clear() -> None:
    """Forget everything (tests, or after changing the impact parameters)."""
    CACHE.clear()
