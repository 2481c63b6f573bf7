"""A small in-process LRU cache of computed figures, keyed by the store's data version.

A key is (database URL, what was asked: scope, period, filters, as_of…, data
version). Every write and every import bumps `store.data_version`, so a figure
computed before a write can never be served after it: the new version makes a
new key, and old entries age out of the LRU. One cheap query reads the version.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import Connection

from mlimpact.store import data_version

T = TypeVar("T")
MAXSIZE = 512


class LRUCache:
    """A thread-safe least-recently-used mapping; values are copied out so callers cannot alter them."""

    def __init__(self, maxsize: int = MAXSIZE):
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return copy.deepcopy(self._data[key])
            self.misses += 1
        value = compute()
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
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


def cached(conn: Connection, kind: str, parts: tuple, compute: Callable[[], T]) -> T:
    """`compute()` once per (database, kind, parts, data version)."""
    key = (database_key(conn), kind, parts, data_version(conn))
    return CACHE.get_or_compute(key, compute)


def clear() -> None:
    """Forget everything (tests, or after changing the impact parameters)."""
    CACHE.clear()
