"""The audit trail: every write, export and report records who, when, what, before and after.

One function writes it, so no path (form, import, CLI, purge) can forget a field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Connection, select

from mlimpact.models import Audit


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def record(
    conn: Connection,
    auteur: str,
    action: str,
    table: str,
    cle: str | None = None,
    avant: dict | None = None,
    apres: dict | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry; `action` is create, update, delete, import, export, report, purge, login…"""
    conn.execute(
        Audit.__table__.insert().values(
            horodatage=dt.datetime.now(dt.UTC),
            auteur=auteur,
            action=action,
            table_name=table,
            cle=None if cle is None else str(cle)[:200],
            avant=_json_safe(avant),
            apres=_json_safe(apres),
            detail=detail,
        )
    )


def record_many(
    conn: Connection, auteur: str, action: str, table: str, rows: list[dict], detail: str | None = None
) -> None:
    """Append one entry per row (`cle`, `avant`, `apres`) in one statement: the rows an import changed."""
    if not rows:
        return
    now = dt.datetime.now(dt.UTC)
    conn.execute(
        Audit.__table__.insert(),
        [
            {
                "horodatage": now,
                "auteur": auteur,
                "action": action,
                "table_name": table,
                "cle": None if r.get("cle") is None else str(r["cle"])[:200],
                "avant": _json_safe(r.get("avant")),
                "apres": _json_safe(r.get("apres")),
                "detail": detail,
            }
            for r in rows
        ],
    )


def entries(conn: Connection, limit: int = 500, table: str | None = None, cle: str | None = None, auteur: str | None = None) -> list[dict]:
    """The latest entries, newest first, optionally for one table, key or author."""
    columns = (Audit.horodatage, Audit.auteur, Audit.action, Audit.table_name.label("table"), Audit.cle, Audit.avant, Audit.apres, Audit.detail)
    query = select(*columns).order_by(Audit.id.desc()).limit(limit)
    if table:
        query = query.where(Audit.table_name == table)
    if cle:
        query = query.where(Audit.cle == cle)
    if auteur:
        query = query.where(Audit.auteur == auteur)
    return [dict(row) for row in conn.execute(query).mappings()]
