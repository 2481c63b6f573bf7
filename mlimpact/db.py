"""Engines for the two supported databases, with the settings each one needs.

SQLite gets foreign keys, WAL and a busy timeout on every connection, so the
same constraints hold on the laptop as on PostgreSQL.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from mlimpact.config import database_url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def connected(bind: Engine | Connection) -> AbstractContextManager[Connection]:
    """A connection from either: the caller's own (kept open, in its transaction) or a new one of the engine."""
    return nullcontext(bind) if isinstance(bind, Connection) else bind.connect()


def make_engine(url: str | None = None) -> Engine:
    """A new engine for `url` (resolved as docs/cli.md says)."""
    resolved = make_url(database_url(url))
    if resolved.get_backend_name() == "sqlite":
        if resolved.database and resolved.database != ":memory:":
            Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved, **POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
        _queue_writers(engine)
        return engine
    return create_engine(resolved, pool_pre_ping=True, **POOL)


# Twenty people of a meeting each have a page running at the same moment, each run holding a connection:
# SQLAlchemy's default (5, and 10 more when busy) made the others queue for one.
POOL = {"pool_size": 10, "max_overflow": 30}

WRITER_LOCKS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_WRITER = "mlimpact_writer"  # in a connection's info while it holds its engine's writers' lock
LOCK_PATIENCE = 30  # seconds; past it a writer goes on and meets SQLite's own busy timeout, as without the lock


def _queue_writers(engine: Engine) -> None:
    """On SQLite, the writers of this process queue on a lock of their own instead of on SQLite's busy timeout.

    SQLite lets one writer at a time and makes the others sleep and try again with growing pauses (up
    to 100 ms each): twenty jalons saved at once waited seconds for a lock held a few milliseconds. A
    transaction takes this lock at its first write (when SQLite would take its own) and gives it back at
    its commit or rollback, so the work done before (reading, checking the values) runs in parallel
    and the next writer starts as soon as the base is free. Writers of other processes (the command
    line) still meet the busy timeout.
    """
    lock = WRITER_LOCKS.setdefault(engine, threading.Lock())

    def take(conn, _cursor, statement, *_args) -> None:
        first_write = _WRITER not in conn.info and statement.lstrip()[:7].upper().startswith(_WRITE_VERBS)
        if first_write and lock.acquire(timeout=LOCK_PATIENCE):
            conn.info[_WRITER] = lock

    def give(info: dict) -> None:
        held = info.pop(_WRITER, None)
        if held is not None:
            held.release()

    event.listen(engine, "before_cursor_execute", take)
    event.listen(engine, "commit", lambda conn: give(conn.info))
    event.listen(engine, "rollback", lambda conn: give(conn.info))
    # never kept by a connection put back or thrown away
    event.listen(engine.pool, "checkin", lambda _dbapi, record: give(record.info))
    event.listen(engine.pool, "invalidate", lambda _dbapi, record, _exc: give(record.info))


def writer_lock(engine: Engine) -> threading.Lock | None:
    """The lock the SQLite writers of this process queue on (None on PostgreSQL)."""
    return WRITER_LOCKS.get(engine)


@lru_cache(maxsize=8)
def shared_engine(url: str | None = None) -> Engine:
    """One engine per URL for a process (the app and the CLI reuse it)."""
    return make_engine(url)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
