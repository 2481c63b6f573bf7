"""The SQL that differs between SQLite and PostgreSQL, written once for the engine and the analytics table.

SQLite stores a DATE as 'YYYY-MM-DD' text (julianday() reads it); PostgreSQL
subtracts dates into an integer. GREATEST and SQLite's max(a, b) differ too,
so "the later of two dates" is a CASE.
"""

from __future__ import annotations

from sqlalchemy import Integer, case, cast, func, or_
from sqlalchemy.sql.elements import ColumnElement


def days_between(dialect: str, a, b) -> ColumnElement:
    """Calendar days b − a (an integer; NULL when either is NULL)."""
    if dialect == "sqlite":
        return cast(func.julianday(b) - func.julianday(a), Integer)
    return cast(b - a, Integer)


def later(a, b) -> ColumnElement:
    """The later of two dates, b when a is NULL."""
    return case((or_(a.is_(None), a < b), b), else_=a)
