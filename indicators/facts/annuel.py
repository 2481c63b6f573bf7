"""The annual facts of the followed young people (migration 0007): S(P) of every calendar year, kept fresh.

Conventions, reports and the national review are annual: most computations
ask for a calendar year. `suivis_annuels` holds, for each year and each young
person followed in it, what the engine would otherwise build at every
computation by grouping the year's active accompagnements (`indicators.facts.suivi`):
the window W of follow-up, the RSA and long-overlap flags, the exits, plus two
per-person verdicts that need the analytics rows: `nouveau` (a nouvel entrant
of the year) and `securise` (a parcours sécurisé of the year).

They are facts without a dispositif filter: a computation filtered or grouped
by dispositif, or over a period that is not a calendar year, builds S(P) as
before. `suivis_annuels_annees` lists the years computed; a year absent from
it is computed on the fly too, so the facts are an acceleration, never a
different answer.

They are refreshed with the analytics table (`indicators.facts.refresh`), for the
young people marked by the triggers on jalons and accompagnements, and for
everybody when the data reaches a year not computed yet.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    and_,
    case,
    func,
    not_,
    or_,
    select,
    true,
)

from indicators.facts.analytique import AC as A
from indicators.facts.analytique import ANALYTIQUE as D
from indicators.facts.analytique import actifs
from indicators.facts.suivi import Fenetre, colonnes, parcours_anterieur
from indicators.types import Periode
from mlimpact.models import Jeune

Y = Jeune.__table__

METADATA = MetaData()
SUIVIS_ANNUELS = Table(
    "suivis_annuels",
    METADATA,
    Column("annee", Integer, nullable=False),
    Column("id_jeune", String(40), nullable=False),
    Column("premier_debut", Date, nullable=False),
    Column("debut_w", Date, nullable=False),
    Column("fin_w", Date, nullable=False),
    Column("rsa", Integer, nullable=False),
    Column("long_", Integer, nullable=False),
    Column("sorties", Integer, nullable=False),
    Column("sorties_pos", Integer, nullable=False),
    Column("nouveau", Integer, nullable=False),
    Column("securise", Integer, nullable=False),
    Column("record_key", SmallInteger, nullable=False),  # the young person's (migration 0010)
    PrimaryKeyConstraint("annee", "id_jeune"),
)
ANNEES = Table(
    "suivis_annuels_annees",
    METADATA,
    Column("annee", Integer, primary_key=True, autoincrement=False),
    Column("debut", Date, nullable=False),
    Column("fin", Date, nullable=False),
)
FACT_COLUMNS = tuple(c.name for c in SUIVIS_ANNUELS.c)
KEY_COLUMNS = ("annee", "id_jeune")


def annee_civile(periode: Periode) -> int | None:
    """The year of a period that is exactly one calendar year, else None."""
    year = periode.debut.year
    if periode.debut == dt.date(year, 1, 1) and periode.fin == dt.date(year, 12, 31):
        return year
    return None


def calculee(conn: Connection, year: int) -> bool:
    """Whether the facts of `year` are in the store."""
    return conn.execute(select(true()).where(ANNEES.c.annee == year)).first() is not None


def annees_voulues(conn: Connection, who=None) -> list[int]:
    """The years the data reaches: from the earliest accompagnement to the latest date of any kind.

    With `who`, over those young people's rows only: the others did not
    change, so the years they reach are computed already (and a refresh does
    not scan every accompagnement). Never beyond the current year: a planned
    end in 2099 is no reason to compute seventy years of facts (a future year
    is computed on the fly).
    """
    of_a = [] if who is None else [A.c.id_jeune.in_(who)]
    of_d = [] if who is None else [D.c.id_jeune.in_(who)]
    first, last_start, last_end = conn.execute(
        select(func.min(A.c.date_debut), func.max(A.c.date_debut), func.max(A.c.date_fin)).where(*of_a)
    ).one()
    if first is None:
        return []
    last_jalon = conn.execute(select(func.max(D.c.date)).where(*of_d)).scalar()
    latest = max(_as_date(d).year for d in (last_start, last_end, last_jalon) if d is not None)
    return list(range(_as_date(first).year, min(latest, dt.date.today().year) + 1))


def refresh(conn: Connection, who=None, massif: bool = False) -> int:
    """Recompute the facts of the young people `who` selects, after their analytics rows.

    Years the data reaches but the table lacks are computed for everybody
    (`who` None: only those). Returns the number of years added. Runs in the
    caller's transaction, under the refresh's lock.
    """
    stored = set(conn.execute(select(ANNEES.c.annee)).scalars())
    new = [y for y in annees_voulues(conn, who if stored else None) if y not in stored]
    if who is not None and stored:
        conn.execute(SUIVIS_ANNUELS.delete().where(SUIVIS_ANNUELS.c.id_jeune.in_(who)))
        _insert(conn, ANNEES.c.annee.in_(sorted(stored)), A.c.id_jeune.in_(who))
    if new:
        conn.execute(ANNEES.insert(), [{"annee": y, "debut": dt.date(y, 1, 1), "fin": dt.date(y, 12, 31)} for y in new])
        _insert(conn, ANNEES.c.annee.in_(new))
    if new or massif:
        conn.exec_driver_sql("ANALYZE suivis_annuels")  # the planner's picture of the new rows
    return len(new)


def _insert(conn: Connection, *conditions) -> None:
    conn.execute(SUIVIS_ANNUELS.insert().from_select(list(FACT_COLUMNS), _rows(conn.dialect.name, *conditions)))


def _rows(dialect: str, *conditions):
    """The facts of each (year, young person) with an accompagnement active in that year, under `conditions`.

    Secure (`parcours_securises`): at least 90 days of overlap, no rupture
    survenue in the year, and either a short W or a jalon opening W, with no
    jalon of W breaking the 90-day rule.
    """
    y = ANNEES.c
    grouped = (
        select(y.annee, y.debut, y.fin, A.c.id_jeune, *colonnes(dialect, y.debut, y.fin))
        .select_from(A.join(ANNEES, and_(*actifs(y.debut, y.fin))))
        .where(*conditions)
        .group_by(y.annee, y.debut, y.fin, A.c.id_jeune)
        .subquery("suivis")
    )
    s = grouped.c
    rules = Fenetre.de(dialect, grouped)
    in_w = [D.c.id_jeune == s.id_jeune, D.c.date >= s.debut_w, D.c.date <= s.fin_w]
    rupture = select(D.c.id_jeune).where(
        D.c.id_jeune == s.id_jeune, D.c.type == "rupture_survenue", D.c.date.between(s.debut, s.fin)
    )
    opened = select(D.c.id_jeune).where(*in_w, rules.ouvre)
    broken = select(D.c.id_jeune).where(*in_w, rules.rompt)
    secure = and_(s.long_ == 1, not_(rupture.exists()), or_(rules.courte, opened.exists()), not_(broken.exists()))
    new = and_(s.premier_debut >= s.debut, not_(parcours_anterieur(s.id_jeune, s.debut)))
    key = select(Y.c.record_key).where(Y.c.id_jeune == s.id_jeune).scalar_subquery()
    computed = {"nouveau": case((new, 1), else_=0), "securise": case((secure, 1), else_=0), "record_key": key}
    return select(*(computed[name].label(name) if name in computed else s[name] for name in FACT_COLUMNS))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
