"""Data retention: delete the young people inactive since a date, with all their rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, exists, or_, select

from mlimpact import audit, store
from mlimpact.models import Accompagnement, Jalon, Jeune


def inactive_jeunes(conn: Connection, since: dt.date) -> list[str]:
    """Jeunes with no jalon dated on or after `since` and no accompagnement open on or after it."""
    recent_jalon = exists().where(Jalon.id_jeune == Jeune.id_jeune, Jalon.date >= since)
    open_spell = exists().where(
        Accompagnement.id_jeune == Jeune.id_jeune,
        or_(Accompagnement.date_fin.is_(None), Accompagnement.date_fin >= since),
    )
    query = select(Jeune.id_jeune).where(~recent_jalon, ~open_spell).order_by(Jeune.id_jeune)
    return list(conn.execute(query).scalars())


def purge(conn: Connection, since: dt.date, auteur: str = "cli", dry_run: bool = False) -> dict[str, int]:
    """Delete those jeunes and their accompagnements and jalons; counts per table. Audited."""
    ids = inactive_jeunes(conn, since)
    counts = {"jeunes": len(ids), "accompagnements": 0, "jalons": 0}
    for start in range(0, len(ids), store.KEY_BATCH):
        batch = ids[start : start + store.KEY_BATCH]
        for model, name in ((Jalon, "jalons"), (Accompagnement, "accompagnements")):
            table = model.__table__
            if dry_run:
                counts[name] += len(conn.execute(select(table.c.id_jeune).where(table.c.id_jeune.in_(batch))).all())
            else:
                counts[name] += conn.execute(table.delete().where(table.c.id_jeune.in_(batch))).rowcount
        if not dry_run:
            conn.execute(Jeune.__table__.delete().where(Jeune.id_jeune.in_(batch)))
    if not dry_run and ids:
        store.bump_data_version(conn)
        audit.record(conn, auteur, "purge", "jeunes", f"inactifs depuis le {since:%d/%m/%Y}", None, counts,
                     detail=" ".join(ids[:1000]))
    return counts
