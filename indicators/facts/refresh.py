"""The refresh of the computation's derived tables: the analytics rows of the jalons, then the annual facts.

Triggers on `jalons` and `accompagnements` mark the young people whose rows
change (`analytique_a_rafraichir`); `refresh` recomputes the analytics rows of
the marked young people (`indicators.facts.analytique`), then their annual facts
(`indicators.facts.annuel`), in the caller's transaction, before the engine reads.
One module calls both, so the two tables' modules never import each other.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, exists, func, literal, select

from indicators.facts import analytique, annuel
from mlimpact.models import Jeune

_counter = itertools.count()


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did: how many young people it recomputed, whether in bulk (indexes rebuilt), and
    how many years of annual facts it added (`indicators.facts.annuel`)."""

    jeunes: int = 0
    massif: bool = False
    annees: int = 0

    def __bool__(self) -> bool:
        return self.jeunes > 0 or self.annees > 0


def refresh(conn: Connection) -> RefreshResult:
    """Recompute the rows of the young people marked since the last refresh.

    Runs in the caller's transaction (commit it to keep the work). Marks added
    while it runs (a new `seq`) survive for the next refresh. The annual facts
    of the same young people follow (`indicators.facts.annuel`); with no mark, they
    are filled if the store has none yet (after the upgrade that creates them).
    """
    marks, years = conn.execute(
        select(
            select(func.max(analytique.A_RAFRAICHIR.c.seq)).scalar_subquery(),
            select(annuel.ANNEES.c.annee).limit(1).scalar_subquery(),
        )
    ).one()
    if marks is None:
        if years is not None:
            return RefreshResult()
        if not annuel.annees_voulues(conn):  # an empty store: nothing to take the write lock for
            return RefreshResult()
        _lock(conn)
        return RefreshResult(annees=annuel.refresh(conn))
    postgres = conn.dialect.name == "postgresql"
    _lock(conn)
    marked = Table(
        f"mli_marques_{next(_counter)}",
        MetaData(),
        Column("id_jeune", String(40), primary_key=True),
        Column("seq", Integer, nullable=False),
        prefixes=["TEMPORARY"],
    )
    marked.create(conn)
    try:
        conn.execute(
            marked.insert().from_select(["id_jeune", "seq"], select(analytique.A_RAFRAICHIR.c.id_jeune, analytique.A_RAFRAICHIR.c.seq))
        )
        count = conn.execute(select(func.count()).select_from(marked)).scalar_one()
        bulk, years = False, 0
        if count:
            if postgres:
                conn.exec_driver_sql(f"ANALYZE {marked.name}")
            who = select(marked.c.id_jeune)
            everybody = conn.execute(select(func.count()).select_from(Jeune.__table__)).scalar_one()
            bulk = count > analytique.BULK_SHARE * everybody
            if bulk:
                for index in analytique.INDEXES:
                    if index.applies(postgres):
                        conn.exec_driver_sql(f"DROP INDEX {index.name}")
            conn.execute(analytique.ANALYTIQUE.delete().where(analytique.ANALYTIQUE.c.id_jeune.in_(who)))
            conn.execute(analytique.ANALYTIQUE.insert().from_select([c.name for c in analytique.ANALYTIQUE.c], analytique.rows(who, conn.dialect.name)))
            if bulk:
                for index in analytique.INDEXES:
                    if index.applies(postgres):
                        conn.exec_driver_sql(index.create(postgres))
            if bulk:
                conn.exec_driver_sql("ANALYZE analytique_jalons")  # the planner's picture of the new rows
            years = annuel.refresh(conn, who, massif=bulk)
            done = exists().where(marked.c.id_jeune == analytique.A_RAFRAICHIR.c.id_jeune, marked.c.seq == analytique.A_RAFRAICHIR.c.seq)
            conn.execute(analytique.A_RAFRAICHIR.delete().where(done))
        return RefreshResult(count, bulk, years)
    finally:
        marked.drop(conn)


def _lock(conn: Connection) -> None:
    """One refresh at a time, with the settings of a large one (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({analytique.PG_LOCK})")
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        conn.exec_driver_sql("SET LOCAL jit = off")
    else:
        # Take SQLite's write lock before reading, so that no other writer can slip in between.
        conn.execute(analytique.A_RAFRAICHIR.delete().where(analytique.A_RAFRAICHIR.c.seq < 0))


def refresh_store(engine: Engine) -> RefreshResult:
    """Refresh and commit now (after loading a data set), so that no visitor's first page pays for it."""
    with engine.connect() as conn:
        done = refresh(conn)
        conn.commit()
    if done.massif:
        vacuum(engine)
    return done


def vacuum(engine: Engine) -> None:
    """After a bulk refresh on PostgreSQL: VACUUM, so that the first computations do not pay for setting
    the hint bits of ten million new rows and may use index-only scans (outside any transaction)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) analytique_jalons")


def is_up_to_date(conn: Connection) -> bool:
    """True when no young person waits for a refresh."""
    return conn.execute(select(literal(1)).select_from(analytique.A_RAFRAICHIR).limit(1)).first() is None
