"""The follow-up of a young person in a period P = [d1, d2], written once for two readers.

`indicators.sql` builds S(P) for the one period of a computation (d1 and d2
are literals); `indicators.facts.annuel` builds it for every calendar year at once
(d1 and d2 are columns of the table of years). Both take these expressions,
so that a figure read from the annual facts is the figure computed on the fly
(and which accompagnements are active: `analytique.actifs`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from indicators.dialecte import days_between, later
from indicators.facts.analytique import AC as A
from indicators.facts.analytique import ANALYTIQUE as D
from indicators.facts.analytique import MAX_GAP
from mlimpact import vocab


def colonnes(dialect: str, d1, d2) -> list[ColumnElement]:
    """S(P)'s aggregates over a young person's active accompagnements (to GROUP BY the young person).

    The earliest start; the window W of follow-up in P, from max(d1, that
    start) to min(d2, latest end, an open one counting as d2); flags for an
    active RSA accompagnement and for an overlap with P of at least 90 days;
    the accompagnements ended in P, and those ended for a positive reason.
    """
    fin_in_p = case((or_(A.c.date_fin.is_(None), A.c.date_fin > d2), d2), else_=A.c.date_fin)
    long_overlap = days_between(dialect, later(A.c.date_debut, d1), fin_in_p) >= 89  # fin − debut + 1 ≥ 90
    ended_in_p = A.c.date_fin <= d2  # active and ended by d2: ended in P
    flag = lambda cond: func.max(case((cond, 1), else_=0))
    count = lambda cond: func.sum(case((cond, 1), else_=0))
    return [
        func.min(A.c.date_debut).label("premier_debut"),
        later(func.min(A.c.date_debut), d1).label("debut_w"),
        func.max(fin_in_p).label("fin_w"),
        flag(A.c.dispositif == "RSA").label("rsa"),
        flag(long_overlap).label("long_"),
        count(ended_in_p).label("sorties"),
        count(and_(ended_in_p, A.c.motif_fin.in_(sorted(vocab.POSITIF)))).label("sorties_pos"),
    ]


def parcours_anterieur(id_jeune, d1, *conditions: ColumnElement) -> ColumnElement:
    """The young person had a (counting) accompagnement started and ended before d1.

    A young person of S(P) whose earliest active accompagnement starts in P is
    a nouvel entrant unless such an earlier one exists (it is not active, so
    not in their row of S(P)).
    """
    earlier = [A.c.id_jeune == id_jeune, A.c.date_debut < d1, A.c.date_fin < d1, *conditions]
    return select(literal(1)).where(*earlier).exists()


@dataclass(frozen=True)
class Fenetre:
    """The rules of `parcours_securises` for an analytics row D of W, against a row S of S(P).

    For a jalon of W the gap before it runs from its `jour_precedent` (or from
    the start of W, if that is later); the last gap runs from the latest jalon
    of W to the end of W (`jour_suivant` after W).
    """

    ouvre: ColumnElement  # the first jalon of W's first day: one per young person with a jalon in W
    rompt: ColumnElement  # a gap of more than MAX_GAP days before it, or after it to the end of W
    courte: ColumnElement  # W no longer than the largest gap allowed: secure without any jalon

    @classmethod
    def de(cls, dialect: str, s) -> Fenetre:
        """The rules against `s`, any selectable with the columns debut_w and fin_w."""
        jp, js = D.c.jour_precedent, D.c.jour_suivant
        days = lambda a, b: days_between(dialect, a, b)
        gap_before = days(later(jp, s.c.debut_w), D.c.date)  # from the start of W for the first
        too_long_after = and_(or_(js.is_(None), js > s.c.fin_w), days(D.c.date, s.c.fin_w) > MAX_GAP)
        return cls(
            ouvre=and_(or_(jp.is_(None), jp < s.c.debut_w), D.c.premier_du_jour == 1),
            rompt=or_(gap_before > MAX_GAP, too_long_after),
            courte=days(s.c.debut_w, s.c.fin_w) <= MAX_GAP,
        )
