"""The analytics table of the jalons, kept fresh for the engine (migrations 0002, 0004, 0005).

`analytique_jalons` repeats every jalon with values taken from the other
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
  `rsa_sortie`, the earliest `rsa_ouverture` strictly after it (a return to the RSA);
- `jour_suivant`: the earliest date of one of their jalons strictly after this
  one's date (the last gap of `parcours_securises`);
- `<famille>_precedent` (migration 0005), on the jalons of that family only: the
  date of their previous jalon of the same family, in the order of (date,
  id_jalon): a jalon dated in P whose previous one is before P (or none) is
  their first of the family in P, one per young person even on a shared day.
  The families are those of `situations`: emploi, durable, formation, and
  retour (a SITUATION jalon after a break or a gap of more than 90 days);
- `couvert` (migration 0006): 1 when one of the young person's accompagnements
  covers the jalon's date (started on or before it, not ended before it). Such
  a jalon, dated in P, belongs to someone followed in P (that accompagnement is
  active in P): the passes over the whole country count it without a join;
- `premier_du_jour` (migration 0006): 1 on the first of the young person's
  jalons of that day in (date, id_jalon) order, so that a count of the jalons
  that open a window counts young people (`parcours_securises`).

Triggers on `jalons` and `accompagnements` mark the young people whose rows
change; `indicators.facts.refresh` recomputes their rows, in the caller's transaction,
before the engine reads.
Window functions run here, over the marked young people only, instead of over
a whole national scope at every computation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)

from indicators.dialecte import days_between
from mlimpact import vocab
from mlimpact.models import Accompagnement, Jalon

J = Jalon.__table__
AC = Accompagnement.__table__
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
    Column("jour_suivant", Date),
    Column("emploi_precedent", Date),
    Column("durable_precedent", Date),
    Column("formation_precedent", Date),
    Column("retour_precedent", Date),
    Column("couvert", Integer, nullable=False),
    Column("premier_du_jour", Integer, nullable=False),
    Column("record_key", SmallInteger, nullable=False),  # the jalon's (migration 0010)
)
A_RAFRAICHIR = Table(
    "analytique_a_rafraichir",
    METADATA,
    Column("seq", Integer, primary_key=True),
    Column("id_jeune", String(40), nullable=False, unique=True),
)


@dataclass(frozen=True)
class Index:
    """An index of the table, as the migrations create it (a bulk refresh drops and rebuilds them)."""

    name: str
    columns: tuple[str, ...]
    covered: tuple[str, ...] = ()  # INCLUDEd: PostgreSQL only
    where: str = ""  # a partial index
    postgres_only: bool = False  # an index worth having only for what it INCLUDEs

    def applies(self, postgres: bool) -> bool:
        return postgres or not self.postgres_only

    def create(self, postgres: bool) -> str:
        include = f" INCLUDE ({', '.join(self.covered)})" if self.covered and postgres else ""
        where = f" WHERE {self.where}" if self.where else ""
        return f"CREATE INDEX {self.name} ON analytique_jalons ({', '.join(self.columns)}){include}{where}"


# On PostgreSQL the indexes by type and date carry every column their passes read: the table is stored
# young person by young person, so the rows of a few types in a period lie on most of its pages, and
# an index-only scan reads consecutive entries instead (migration 0004). The family columns of the
# situations are in a partial index of their own (migration 0005): in the main one, they would widen
# the entries that the count of every jalon type reads. The jalons no accompagnement covers, the only
# ones a count over the whole country probes the accompagnements for, have a partial index of their
# own (migration 0006; on SQLite too, where it is what finds them), and PostgreSQL statistics on
# (type, couvert) that a refresh keeps (they are no index).
COVERED = ("id_jeune", "domaine", "jour_precedent", "coupure_precedente", "suivant", "couvert", "record_key")
# the families of `situations` whose first jalon in P is marked through `<famille>_precedent`
FAMILLES = {"emploi": vocab.EMPLOI, "durable": vocab.DURABLE, "formation": vocab.FORMATION}
FAMILY_COLUMNS = tuple(f"{name}_precedent" for name in (*FAMILLES, "retour"))
SITUATION_COLUMNS = ("id_jeune", "jour_precedent", "coupure_precedente", *FAMILY_COLUMNS)
INDEXES = (
    Index("ix_analytique_jalons_jeune_type_date", ("id_jeune", "type", "date")),
    Index("ix_analytique_jalons_type_date", ("type", "date"), COVERED),
    Index("ix_analytique_jalons_date", ("date",)),
    Index(
        "ix_analytique_jalons_situations",
        ("date",),  # keyed by date alone: the planner drops a type condition that the WHERE implies
        ("type", *SITUATION_COLUMNS, "couvert", "record_key"),
        "type IN ({})".format(", ".join(f"'{t}'" for t in sorted(vocab.SITUATION))),
        postgres_only=True,
    ),
    Index("ix_analytique_jalons_non_couverts", ("type", "date"), (*SITUATION_COLUMNS, "record_key"), "couvert = 0"),
)
MAX_GAP = 90  # days: a SITUATION jalon after a longer silence is a return (retours_dynamique)
# When more than this share of the young people is to refresh, dropping the indexes and building them
# again after the insert beats maintaining them row by row (a first fill, an import of everybody's month).
BULK_SHARE = 0.2
BREAKS = ("rsa_sanction", "decrochage")
CONTACTS = ("premier_rdv", "entretien")
RESOLUTIONS = ("rupture_evitee", "rupture_survenue")
EPOCH = dt.date(2000, 1, 1)  # origin of the day numbers the windows order by
PG_LOCK = 7_301_552_019  # pg_advisory_xact_lock key: one refresh at a time

def actifs(d1, d2) -> list[ColumnElement]:
    """An accompagnement active in [d1, d2]: started by d2, not ended before d1.

    One rule for `couvert` (active on the jalon's day), S(P) of one period and the annual facts.
    """
    return [AC.c.date_debut <= d2, or_(AC.c.date_fin.is_(None), AC.c.date_fin >= d1)]


def returning(dialect: str, columns) -> ColumnElement:
    """A SITUATION jalon whose previous jalon day held a break or lies more than MAX_GAP days before it."""
    return and_(
        columns.type.in_(sorted(vocab.SITUATION)),
        columns.jour_precedent.is_not(None),
        or_(columns.coupure_precedente == 1, days_between(dialect, columns.jour_precedent, columns.date) > MAX_GAP),
    )


def rows(who, dialect: str):
    """The analytics rows of the jalons of the young people `who` selects: windows, and `couvert`.

    Every value is a window over the young person's jalons ordered by day
    number, with RANGE frames: "strictly before" is up to 1 PRECEDING, "on or
    after" from CURRENT ROW (the jalons of the same day included), "strictly
    after" from 1 FOLLOWING. The previous day held a break when the latest
    break strictly before is on that very day. The previous jalon of a family
    is a ROWS frame in the order of (day, id_jalon); that of the returns needs
    the return flag of every row first, hence a second level of windows.

    On PostgreSQL, windows partition by the bytes of `id_jeune` (COLLATE "C"):
    sorting ten million identifiers through the locale is several times slower.
    """
    postgres = dialect == "postgresql"
    key = J.c.id_jeune.collate("C") if postgres else J.c.id_jeune
    tie = J.c.id_jalon.collate("C") if postgres else J.c.id_jalon  # the order of jalons of one day
    day = days_between(dialect, literal(EPOCH, Date), J.c.date)  # a number both dialects can RANGE over
    by_jeune = {"partition_by": key, "order_by": day}
    before = {**by_jeune, "range_": (None, -1)}

    def first(types, frame, partition=key):
        return func.min(case((J.c.type.in_(types), J.c.date))).over(partition_by=partition, order_by=day, range_=frame)

    def previous_of(types):
        """The date of the previous jalon of `types` in (day, id_jalon) order, on the jalons of `types` only."""
        latest = func.max(case((J.c.type.in_(types), J.c.date))).over(
            partition_by=key, order_by=[day, tie], rows=(None, -1)
        )
        return case((J.c.type.in_(types), latest))

    previous_day = func.max(J.c.date).over(**before)
    previous_break = func.max(case((J.c.type.in_(BREAKS), J.c.date))).over(**before)
    following = case(
        (J.c.type == "orientation_recue", first(CONTACTS, (0, None))),
        (J.c.type == "risque_rupture", first(RESOLUTIONS, (0, None), (key, J.c.domaine))),
        (J.c.type == "rsa_ouverture", first(("rsa_sortie",), (1, None))),
        (J.c.type == "rsa_sortie", first(("rsa_ouverture",), (1, None))),
    )
    neighbours = (
        select(
            J.c.id_jeune,
            key.label("cle"),  # the sort of these windows, kept for those of the next level
            day.label("jour_num"),
            tie.label("rang_jour"),
            J.c.date,
            J.c.type,
            J.c.domaine,
            J.c.record_key,
            previous_day.label("jour_precedent"),
            previous_break.label("coupure"),
            following.label("suivant"),
            func.min(J.c.date).over(**by_jeune, range_=(1, None)).label("jour_suivant"),
            case((func.lag(day).over(partition_by=key, order_by=[day, tie]) == day, 0), else_=1).label(
                "premier_du_jour"
            ),
            *(previous_of(sorted(types)).label(f"{name}_precedent") for name, types in FAMILLES.items()),
        )
        .where(J.c.id_jeune.in_(who))
        .subquery("voisins")
    )
    v = neighbours.c
    breaks = case((and_(v.coupure.is_not(None), v.coupure == v.jour_precedent), 1), else_=0)
    flagged = select(
        *(v[name] for name in ("id_jeune", "cle", "jour_num", "rang_jour", "date", "type", "domaine", "jour_precedent")),
        breaks.label("coupure_precedente"),
        *(v[name] for name in ("suivant", "jour_suivant", "premier_du_jour", "record_key", *(f"{f}_precedent" for f in FAMILLES))),
    ).subquery("marques")
    m = flagged.c
    is_return = returning(dialect, m)
    previous_return = func.max(case((is_return, m.date))).over(
        partition_by=m.cle, order_by=[m.jour_num, m.rang_jour], rows=(None, -1)
    )
    # a semi-join on the young person's accompagnements (hashed in bulk, probed through their id_jeune
    # index for a few young people)
    covering = exists().where(AC.c.id_jeune == m.id_jeune, *actifs(m.date, m.date))
    computed = {"retour_precedent": case((is_return, previous_return)), "couvert": case((covering, 1), else_=0)}
    # in the table's column order, by name: the INSERT lists ANALYTIQUE's columns in that order
    return select(*(computed[c.name].label(c.name) if c.name in computed else m[c.name] for c in ANALYTIQUE.c))
