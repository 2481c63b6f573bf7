"""Data retention: delete the young people inactive since a date, with all their rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, column, exists, or_, select, table

from mlimpact import audit, store
from mlimpact.models import Accompagnement, Audit, Jalon, Jeune

# What the analytics keep of each young person (derived tables, refreshed by the engine): a purge
# removes them at once instead of leaving them until the next computation.
DERIVED = ("analytique_jalons", "suivis_annuels", "analytique_a_rafraichir")
# The audit entries about a jeune's rows are keyed by the jeune's id (mlimpact.parcours, the import).
AUDITED = ("jeunes", "accompagnements", "jalons")


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
    """Delete those jeunes and everything about them; counts per table. Audited with counts only.

    Nothing of a purged young person is left anywhere: their accompagnements and jalons, their rows
    in the analytics tables, and the audit entries that hold copies of their rows (before/after) are
    deleted with them; the purge's own entry lists no identifier.
    """
    ids = inactive_jeunes(conn, since)
    counts = {"jeunes": len(ids), "accompagnements": 0, "jalons": 0}
    removed_entries = 0
    for start in range(0, len(ids), store.KEY_BATCH):
        batch = ids[start : start + store.KEY_BATCH]
        for model, name in ((Jalon, "jalons"), (Accompagnement, "accompagnements")):
            sql = model.__table__
            if dry_run:
                counts[name] += len(conn.execute(select(sql.c.id_jeune).where(sql.c.id_jeune.in_(batch))).all())
            else:
                counts[name] += conn.execute(sql.delete().where(sql.c.id_jeune.in_(batch))).rowcount
        about = Audit.__table__.c.table_name.in_(AUDITED) & Audit.__table__.c.cle.in_(batch)
        if dry_run:
            continue
        for name in DERIVED:  # after the deletes above: their triggers mark the young people to refresh
            derived = table(name, column("id_jeune"))
            conn.execute(derived.delete().where(derived.c.id_jeune.in_(batch)))
        removed_entries += conn.execute(Audit.__table__.delete().where(about)).rowcount
        conn.execute(Jeune.__table__.delete().where(Jeune.id_jeune.in_(batch)))
    if not dry_run and ids:
        # Purges recorded before this rule listed identifiers in their detail: none is kept.
        sql = Audit.__table__
        conn.execute(sql.update().where(sql.c.action == "purge", sql.c.detail.is_not(None)).values(detail=None))
        store.bump_data_version(conn)
        audit.record(conn, auteur, "purge", "jeunes", f"inactifs depuis le {since:%d/%m/%Y}", None,
                     {**counts, "entrees_audit": removed_entries})
    return counts
