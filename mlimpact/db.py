"""Engines for the two supported databases, with the settings each one needs.

SQLite gets foreign keys, WAL and a busy timeout on every connection, so the
same constraints hold on the laptop as on PostgreSQL.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
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
        descriptor = _writers_file(resolved.database)
        if descriptor is not None:
            weakref.finalize(engine, os.close, descriptor)  # tests make many engines: no descriptor left open
        _queue_writers(engine, descriptor)
        return engine
    return create_engine(resolved, pool_pre_ping=True, **POOL)


# Twenty people of a meeting each have a page running at the same moment, each run holding a connection:
# SQLAlchemy's default (5, and 10 more when busy) made the others queue for one.
POOL = {"pool_size": 10, "max_overflow": 30}

WRITER_LOCKS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_WRITER = "mlimpact_writer"  # in a connection's info while it holds its engine's writers' lock
LOCK_PATIENCE = 30  # seconds; past it a writer goes on and meets SQLite's own busy timeout, as without the lock


def _queue_writers(engine: Engine, across_processes: int | None = None) -> None:
    """On SQLite, writers queue on a lock of their own instead of on SQLite's busy timeout.

    SQLite lets one writer at a time and makes the others sleep and try again with growing pauses (up
    to 100 ms each): twenty jalons saved at once waited seconds for a lock held a few milliseconds. A
    transaction takes this lock at its first write (when SQLite would take its own) and gives it back at
    its commit or rollback, so the work done before (reading, checking the values) runs in parallel
    and the next writer starts as soon as the base is free. The lock is a thread lock for the writers of
    this process, then a lock on a file beside the database (`across_processes`, an open descriptor) for
    those of the other processes (`mlimpact serve`'s, the command line's): the kernel gives it back if a
    process dies holding it.
    """
    lock = WRITER_LOCKS.setdefault(engine, threading.Lock())

    def take(conn, _cursor, statement, *_args) -> None:
        first_write = _WRITER not in conn.info and statement.lstrip()[:7].upper().startswith(_WRITE_VERBS)
        if not first_write:
            return
        deadline = time.monotonic() + LOCK_PATIENCE
        if lock.acquire(timeout=LOCK_PATIENCE):
            conn.info[_WRITER] = lock
            if across_processes is not None and _flock(across_processes, deadline):
                conn.info[_WRITER_FILE] = across_processes

    def give(info: dict) -> None:
        held_file = info.pop(_WRITER_FILE, None)
        if held_file is not None:
            fcntl.flock(held_file, fcntl.LOCK_UN)
        held = info.pop(_WRITER, None)
        if held is not None:
            held.release()

    event.listen(engine, "before_cursor_execute", take)
    event.listen(engine, "commit", lambda conn: give(conn.info))
    event.listen(engine, "rollback", lambda conn: give(conn.info))
    # never kept by a connection put back or thrown away
    event.listen(engine.pool, "checkin", lambda _dbapi, record: give(record.info))
    event.listen(engine.pool, "invalidate", lambda _dbapi, record, _exc: give(record.info))


_WRITER_FILE = "mlimpact_writer_file"


def writers_file_path(database: str) -> Path:
    """The file the SQLite writers of every process lock: beside the database, never the database itself."""
    return Path(database).with_name(Path(database).name + ".writers.lock")


def _writers_file(database: str | None) -> int | None:
    """An open descriptor of the writers' lock file, or None (in memory, or a folder where it cannot be made:
    the writers of other processes then meet SQLite's busy timeout, as before)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    try:
        return os.open(writers_file_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None


def _flock(descriptor: int, deadline: float) -> bool:
    """The file lock, waited for in short steps (a flock cannot time out) until `deadline`."""
    pause = 0.0005
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.005)


def writer_lock(engine: Engine) -> threading.Lock | None:
    """The lock the SQLite writers of this process queue on (None on PostgreSQL)."""
    return WRITER_LOCKS.get(engine)


@lru_cache(maxsize=8)
def shared_engine(url: str | None = None) -> Engine:
    """One engine per URL for a process (the app and the CLI reuse it)."""
    return make_engine(url)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
