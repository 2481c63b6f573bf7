"""What the store holds, in a few figures: the home page and `mlimpact` both show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, union_all

from mlimpact import vocab
from mlimpact.models import Accompagnement, Jalon, Jeune, Structure


@dataclass(frozen=True)
class Overview:
    structures: int
    departements: int
    jeunes: int
    accompagnements: int
    jalons: int
    premiere_date: dt.date | None
    derniere_date: dt.date | None  # the date the data describes (as_of)
    # cell keys (sums of record keys mod 256, migration 0010) of the jeunes, accompagnements (their jeune's
    # key) and jalons counted: what an outsider's view perturbs them by (indicators.disclosure.perturbation)
    cles: tuple[int, int, int] = (0, 0, 0)


def overview(conn: Connection, structures: list[str] | None = None) -> Overview:
    """Counts of the store, for all structures or the given ones."""
    s_filter = Structure.code_structure.in_(structures) if structures is not None else True
    j_filter = Jeune.code_structure.in_(structures) if structures is not None else True
    n_structures, n_departements = conn.execute(
        select(func.count(), func.count(Structure.departement.distinct())).where(s_filter)
    ).one()
    n_jeunes, k_jeunes = conn.execute(select(func.count(), func.sum(Jeune.record_key)).where(j_filter)).one()
    jeunes = select(Jeune.id_jeune).where(j_filter)
    n_acc, k_acc = conn.execute(
        select(func.count(), func.sum(Jeune.record_key))
        .select_from(Accompagnement.__table__.join(Jeune.__table__, Jeune.id_jeune == Accompagnement.id_jeune))
        .where(j_filter)
    ).one()
    n_jalons, k_jalons = conn.execute(
        select(func.count(), func.sum(Jalon.record_key)).where(True if structures is None else Jalon.id_jeune.in_(jeunes))
    ).one()
    keys = tuple(int(k or 0) % 256 for k in (k_jeunes, k_acc, k_jalons))
    return Overview(n_structures, n_departements, n_jeunes, n_acc, n_jalons, *dates(conn, structures), cles=keys)


def dates(conn: Connection, structures: list[str] | None = None) -> tuple[dt.date | None, dt.date | None]:
    """(first, latest) jalon date: what the period filters need, without reading the big table.

    For the whole store, the earliest and latest date of each jalon type, each
    one lookup in the (type, date) index (the table's CHECK keeps types to the
    vocabulary): milliseconds, where a min and a max over ten million jalons
    scan them all. For some structures, their young people's jalons through
    the (id_jeune, date) index.
    """
    if structures is None:
        # one aggregate per branch: SQLite answers a lone min() or max() from the index, not both at once
        def over_types(agg):
            per_type = union_all(*(select(agg(Jalon.date).label("d")).where(Jalon.type == t) for t in vocab.TYPES_JALON))
            return conn.execute(select(agg(per_type.subquery().c.d))).scalar_one()

        first, last = over_types(func.min), over_types(func.max)
    else:
        jeunes = select(Jeune.id_jeune).where(Jeune.code_structure.in_(structures))
        first, last = conn.execute(
            select(func.min(Jalon.date), func.max(Jalon.date)).where(Jalon.id_jeune.in_(jeunes))
        ).one()
    return _as_date(first), _as_date(last)


# How far back from the latest jalon the first look goes: most structures have reported within two weeks of it.
RECENT_DAYS = 14


def latest_by_structure(conn: Connection, structures: list[str] | None = None) -> dict[str, dt.date]:
    """Each structure's latest jalon date: how far each one has reported (structures without a jalon left out).

    At national scale a max() per structure over every jalon reads ten million rows (2 s on PostgreSQL). So
    first only the jalons of the last `RECENT_DAYS` days before the latest one, read from the (date, id_jeune)
    index alone (migration 0013); then, for the structures not seen there (late or silent ones), all of their own jalons."""
    _, last = dates(conn)  # the store's latest jalon (an index lookup per type): where the recent window ends
    if last is None:
        return {}

    def latest(*conditions) -> dict[str, dt.date]:
        query = select(Jeune.code_structure, func.max(Jalon.date)).join(Jalon, Jalon.id_jeune == Jeune.id_jeune)
        rows = conn.execute(query.where(*conditions).group_by(Jeune.code_structure)).all()
        return {code: _as_date(day) for code, day in rows if day is not None}

    scope = [] if structures is None else [Jeune.code_structure.in_(structures)]
    found = latest(Jalon.date >= last - dt.timedelta(days=RECENT_DAYS), *scope)
    others = select(Structure.code_structure).where(Structure.code_structure.not_in(found))
    if structures is not None:
        others = others.where(Structure.code_structure.in_(structures))
    rest = [code for (code,) in conn.execute(others)]
    if rest:
        found |= latest(Jeune.code_structure.in_(rest))
    return found


def data_through(latest: dict[str, dt.date]) -> tuple[dt.date | None, str | None]:
    """The date a scope's data are complete through: the earliest of its structures' latest dates, and the
    structure that sets it. One structure entering a jalon today does not make a month complete for the
    others: a month of the scope is complete only when every structure has reported through its end."""
    if not latest:
        return None, None
    code = min(latest, key=lambda c: (latest[c], c))
    return latest[code], code


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def jeunes_par_structure(conn: Connection) -> list[tuple[str, str, str, int]]:
    """(code, nom, département, jeunes) for every structure, largest first."""
    query = (
        select(Structure.code_structure, Structure.nom, Structure.departement, func.count(Jeune.id_jeune))
        .join(Jeune, Jeune.code_structure == Structure.code_structure, isouter=True)
        .group_by(Structure.code_structure, Structure.nom, Structure.departement)
        .order_by(func.count(Jeune.id_jeune).desc(), Structure.code_structure)
    )
    return [tuple(r) for r in conn.execute(query).all()]


def cles_par_structure(conn: Connection) -> dict[str, int]:
    """The cell key of each structure's count of jeunes (the sum of their record keys, mod 256)."""
    query = select(Jeune.code_structure, func.sum(Jeune.record_key)).group_by(Jeune.code_structure)
    return {code: int(k or 0) % 256 for code, k in conn.execute(query)}
