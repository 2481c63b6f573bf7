"""The analytics table of the jalons, kept fresh for the engine (migration 0002).

`analytique_jalons` repeats every jalon with three values taken from the other
jalons of the same young person, none of which depends on a period:

- `jour_precedent`: the latest date of one of their jalons strictly before this
  one's date, and `coupure_precedente` (1 when a jalon of that day is a
  `rsa_sanction` or a `decrochage`): `retours_dynamique` and the gaps of
  `parcours_securises`;
- `suivant`, for four types only: for an `orientation_recue`, the earliest
  `premier_rdv` or `entretien` on or after its date (`delai_entree_jours`); for
  a `risque_rupture`, the earliest `rupture_evitee` or `rupture_survenue` of the
  same domaine on or after it (`risques_ouverts`); for an `rsa_ouverture`, the
  earliest `rsa_sortie` strictly after it (the end of the spell); for an
  `rsa_sortie`, the earliest `rsa_ouverture` strictly after it (a return to the RSA).

Triggers on `jalons` mark the young people whose jalons change; `rafraichir`
recomputes their rows, in the caller's transaction, before the engine reads.
Window functions run here, over the marked young people only, instead of over
a whole national scope at every computation.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    select,
)

from indicators.dialecte import days_between
from mlimpact.models import Jalon, Jeune

J = Jalon.__table__
METADATA = MetaData()

ANALYTIQUE = Table(
    "analytique_jalons",
    METADATA,
    Column("id_jeune", String(40), nullable=False),
    Column("date", Date, nullable=False),
    Column("type", String(30), nullable=False),
    Column("domaine", String(20)),
    Column("jour_precedent", Date),
    Column("coupure_precedente", Integer, nullable=False),
    Column("suivant", Date),
)
A_RAFRAICHIR = Table(
    "analytique_a_rafraichir",
    METADATA,
    Column("seq", Integer, primary_key=True),
    Column("id_jeune", String(40), nullable=False, unique=True),
)

# (name, columns, columns INCLUDEd on PostgreSQL) of the table's indexes, as migrations 0002 and 0004
# create them. On PostgreSQL the (type, date) index carries every column the passes read, so that a
# pass over a few types in a period is an index-only scan of consecutive entries instead of a visit of
# most pages of the table, which is stored young person by young person (migration 0004).
COVERED = ("id_jeune", "domaine", "jour_precedent", "coupure_precedente", "suivant")
INDEXES = (
    ("ix_analytique_jalons_jeune_type_date", ("id_jeune", "type", "date"), ()),
    ("ix_analytique_jalons_type_date", ("type", "date"), COVERED),
    ("ix_analytique_jalons_date", ("date",), ()),
)
# When more than this share of the young people is to refresh, dropping the indexes and building them
# again after the insert beats maintaining them row by row (a first fill, an import of everybody's month).
BULK_SHARE = 0.2
BREAKS = ("rsa_sanction", "decrochage")
CONTACTS = ("premier_rdv", "entretien")
RESOLUTIONS = ("rupture_evitee", "rupture_survenue")
EPOCH = dt.date(2000, 1, 1)  # origin of the day numbers the windows order by
PG_LOCK = 7_301_552_019  # pg_advisory_xact_lock key: one refresh at a time

_counter = itertools.count()


@dataclass(frozen=True)
class Rafraichissement:
    """What a refresh did: how many young people it recomputed, and whether in bulk (indexes rebuilt)."""

    jeunes: int = 0
    massif: bool = False

    def __bool__(self) -> bool:
        return self.jeunes > 0


def rafraichir(conn: Connection) -> Rafraichissement:
    """Recompute the rows of the young people marked since the last refresh.

    Runs in the caller's transaction (commit it to keep the work). Marks added
    while it runs (a new `seq`) survive for the next refresh.
    """
    if conn.execute(select(func.max(A_RAFRAICHIR.c.seq))).scalar() is None:
        return Rafraichissement()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK})")
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        conn.exec_driver_sql("SET LOCAL jit = off")
    else:
        # Take SQLite's write lock before reading, so that no other writer can slip in between.
        conn.execute(A_RAFRAICHIR.delete().where(A_RAFRAICHIR.c.seq < 0))
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
            marked.insert().from_select(["id_jeune", "seq"], select(A_RAFRAICHIR.c.id_jeune, A_RAFRAICHIR.c.seq))
        )
        count = conn.execute(select(func.count()).select_from(marked)).scalar_one()
        bulk = False
        if count:
            if postgres:
                conn.exec_driver_sql(f"ANALYZE {marked.name}")
            who = select(marked.c.id_jeune)
            everybody = conn.execute(select(func.count()).select_from(Jeune.__table__)).scalar_one()
            bulk = count > BULK_SHARE * everybody
            if bulk:
                for name, _, _ in INDEXES:
                    conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.execute(ANALYTIQUE.delete().where(ANALYTIQUE.c.id_jeune.in_(who)))
            conn.execute(ANALYTIQUE.insert().from_select([c.name for c in ANALYTIQUE.c], _rows(who, conn.dialect.name)))
            if bulk:
                for name, columns, covered in INDEXES:
                    conn.exec_driver_sql(create_index(name, columns, covered if postgres else ()))
            if bulk:
                conn.exec_driver_sql("ANALYZE analytique_jalons")  # the planner's picture of the new rows
            done = exists().where(marked.c.id_jeune == A_RAFRAICHIR.c.id_jeune, marked.c.seq == A_RAFRAICHIR.c.seq)
            conn.execute(A_RAFRAICHIR.delete().where(done))
        return Rafraichissement(count, bulk)
    finally:
        marked.drop(conn)


def create_index(name: str, columns: tuple[str, ...], covered: tuple[str, ...] = ()) -> str:
    """CREATE INDEX of the analytics table (with INCLUDE for `covered`: PostgreSQL only)."""
    include = f" INCLUDE ({', '.join(covered)})" if covered else ""
    return f"CREATE INDEX {name} ON analytique_jalons ({', '.join(columns)}){include}"


def _rows(who, dialect: str):
    """The analytics rows of the jalons of the young people `who` selects: one SELECT, no join.

    Every value is a window over the young person's jalons ordered by day
    number, with RANGE frames: "strictly before" is up to 1 PRECEDING, "on or
    after" from CURRENT ROW (the jalons of the same day included), "strictly
    after" from 1 FOLLOWING. The previous day held a break when the latest
    break strictly before is on that very day.

    On PostgreSQL, windows partition by the bytes of `id_jeune` (COLLATE "C"):
    sorting ten million identifiers through the locale is several times slower.
    """
    key = J.c.id_jeune.collate("C") if dialect == "postgresql" else J.c.id_jeune
    day = days_between(dialect, literal(EPOCH, Date), J.c.date)  # a number both dialects can RANGE over
    by_jeune = {"partition_by": key, "order_by": day}
    before = {**by_jeune, "range_": (None, -1)}

    def first(types, frame, partition=key):
        return func.min(case((J.c.type.in_(types), J.c.date))).over(partition_by=partition, order_by=day, range_=frame)

    previous_day = func.max(J.c.date).over(**before)
    previous_break = func.max(case((J.c.type.in_(BREAKS), J.c.date))).over(**before)
    following = case(
        (J.c.type == "orientation_recue", first(CONTACTS, (0, None))),
        (J.c.type == "risque_rupture", first(RESOLUTIONS, (0, None), (key, J.c.domaine))),
        (J.c.type == "rsa_ouverture", first(("rsa_sortie",), (1, None))),
        (J.c.type == "rsa_sortie", first(("rsa_ouverture",), (1, None))),
    )
    rows = (
        select(
            J.c.id_jeune,
            J.c.date,
            J.c.type,
            J.c.domaine,
            previous_day.label("jour_precedent"),
            previous_break.label("coupure"),
            following.label("suivant"),
        )
        .where(J.c.id_jeune.in_(who))
        .subquery("voisins")
    )
    return select(
        rows.c.id_jeune,
        rows.c.date,
        rows.c.type,
        rows.c.domaine,
        rows.c.jour_precedent,
        case((and_(rows.c.coupure.is_not(None), rows.c.coupure == rows.c.jour_precedent), 1), else_=0),
        rows.c.suivant,
    )


def vacuum(engine: Engine) -> None:
    """After a bulk refresh on PostgreSQL: VACUUM, so that the first computations do not pay for setting
    the hint bits of ten million new rows and may use index-only scans (outside any transaction)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) analytique_jalons")


def est_a_jour(conn: Connection) -> bool:
    """True when no young person waits for a refresh."""
    return conn.execute(select(literal(1)).select_from(A_RAFRAICHIR).limit(1)).first() is None
