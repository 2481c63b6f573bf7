"""Engines for the two supported databases, with the settings each one needs.

SQLite gets foreign keys, WAL and a busy timeout on every connection, so the
same constraints hold on the laptop as on PostgreSQL.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from pathlib import Path

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
        engine = create_engine(resolved)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(resolved, pool_pre_ping=True)


@lru_cache(maxsize=8)
def shared_engine(url: str | None = None) -> Engine:
    """One engine per URL for a process (the app and the CLI reuse it)."""
    return make_engine(url)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
