"""The only route from the indicator engine to SQL: one class, `Requetes`, one method per pass.

Every method returns small aggregates (a few rows per group), never raw rows of
a scope. The same SQLAlchemy Core statements run on SQLite and PostgreSQL; what
differs between them (days between two dates) lives in `indicators.dialecte`.

Design for speed:
- the jalons are read from the analytics table (`indicators.facts.analytique`),
  where each one already carries what depends on its neighbours (previous
  jalon, next answer), so no query needs a window function;
- the followed young people S(P) are materialised once per computation in a
  work table, with what later passes need from their accompagnements (window
  of follow-up, RSA, long overlap, exits), or only who they are when no asked
  indicator needs more; for a calendar year they are copied from the annual
  facts (`indicators.facts.annuel`), verdicts included;
- the passes join the analytics rows of P to S(P) and add them up per group,
  without grouping jalons by young person: the first jalon of each family, and
  of each day, is marked in the analytics table; the passes over a few jalon
  types read the (type, date) index.

A computation may be grouped: `grp` is then a dimension of the young person
(sexe, structure…) or the dispositif, and every aggregate comes per group; the
ungrouped computation is the single group "".
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    Date,
    Table,
    and_,
    case,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.schema import CreateTableAs
from sqlalchemy.sql.elements import ColumnElement

from indicators.dialecte import days_between
from indicators.facts import annuel
from indicators.facts.analytique import ANALYTIQUE as D
from indicators.facts.analytique import FAMILLES, actifs, returning
from indicators.facts.suivi import Fenetre, colonnes, parcours_anterieur
from indicators.types import Echelon, Filtres, Perimetre, Periode
from mlimpact import territoires, vocab
from mlimpact.models import Accompagnement, Financement, Jalon, Jeune, Structure

A = Accompagnement.__table__
J = Jalon.__table__
Y = Jeune.__table__
ST = Structure.__table__
F = Financement.__table__
SA = annuel.SUIVIS_ANNUELS

DOMAINE_TYPES = tuple(vocab.DOMAINES_PAR_TYPE)

WORK_MEM = "256MB"  # PostgreSQL, for the duration of one computation (a setting of the transaction)
SIX_MONTHS = 183
TWELVE_MONTHS = 365
FOLLOW_UP_DAYS = 30
# Above this many rows in S(P), PostgreSQL hashes it for every join: no index on it is worth building.
HASH_JOIN_ROWS = 100_000

# Dimensions of the young person a computation can be grouped by (plus "dispositif").
JEUNE_DIMENSIONS = (
    "sexe",
    "tranche_age",
    "niveau_formation",
    "qpv",
    "frr",
    "rqth",
    "structure",
    "departement",
    "region",
)
NON_RENSEIGNE = "non_renseigne"


# --- the scope --------------------------------------------------------------------------------------
class PerimetreInconnu(ValueError):
    """A structure, département or région that does not exist (French message)."""


def departements_of(perimetre: Perimetre) -> list[str] | None:
    """The département codes of a département or région scope (None for the others)."""
    if perimetre.echelon is Echelon.DEPARTEMENT:
        if perimetre.code not in territoires.DEPARTEMENTS:
            raise PerimetreInconnu(f"département inconnu : « {perimetre.code} ».")
        return [perimetre.code]
    if perimetre.echelon is Echelon.REGION:
        if perimetre.code not in territoires.REGIONS:
            raise PerimetreInconnu(f"région inconnue : « {perimetre.code} ».")
        return [d.code for d in territoires.departements_de_region(perimetre.code)]
    return None


def tranche_bounds(tranche: str, year: int) -> tuple[int | None, int | None]:
    """Birth years (min, max) of an age band for age = year − annee_naissance."""
    bounds = {
        "16-17": (year - 17, None),
        "18-21": (year - 21, year - 18),
        "22-25": (year - 25, year - 22),
        "26+": (None, year - 26),
    }
    if tranche not in bounds:
        raise ValueError(f"tranche d'âge inconnue : « {tranche} » (attendu : {', '.join(bounds)}).")
    return bounds[tranche]


def region_case(column) -> ColumnElement:
    """The région code of a département code column."""
    return case({d.code: d.region for d in territoires.DEPARTEMENTS.values()}, value=column, else_="")


def oui_non(column) -> ColumnElement:
    return case((column, "oui"), else_="non")


@dataclass(frozen=True)
class Contexte:
    """What one computation is about: period, scope, filters, the data's date and the grouping."""

    periode: Periode
    perimetre: Perimetre
    filtres: Filtres
    as_of: dt.date
    dimension: str | None = None  # None, a JEUNE_DIMENSIONS entry or "dispositif"

    @property
    def d1(self) -> dt.date:
        return self.periode.debut

    @property
    def d2(self) -> dt.date:
        return self.periode.fin


# SQLite's work tables are temporary, so private to their connection: each connection reuses the names it has
# freed, and each (name, columns) is one Table object for the process. SQLAlchemy keys its compiled statements by
# the Table object: with a new name and object per computation, every statement of every computation was compiled
# again (a third of a structure's cold Impact page in the demo, docs/benchmarks.md).
_SQLITE_TABLES: dict[tuple, Table] = {}
_TAKEN = "mli_work_tables"  # in a connection's info: the names of its work tables in use


class Requetes:
    """The SQL of every pass for one computation, on one connection."""

    def __init__(self, conn: Connection, ctx: Contexte, detail: bool = True):
        """`detail=False`: S(P) holds only who is followed (see `suivis`), for computations that need no more."""
        self.conn = conn
        self.ctx = ctx
        self.detail = detail
        self.dialect = conn.dialect.name
        self.d1 = literal(ctx.d1, Date)
        self.d2 = literal(ctx.d2, Date)
        self._suivis: Table | None = None
        self._hashed = False  # S(P) beyond HASH_JOIN_ROWS on PostgreSQL: joined by hashing, no index
        self._annuel = False  # S(P) read from the annual facts: it holds the verdicts `nouveau` and `securise`
        if self.dialect == "postgresql":
            # A national scope hashes millions of rows: in memory, not on disk; and these one-second
            # queries would spend a third of their time compiling themselves (JIT).
            conn.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
            conn.exec_driver_sql("SET LOCAL jit = off")

    # -- helpers ---------------------------------------------------------------------------------------
    def days(self, a, b) -> ColumnElement:
        return days_between(self.dialect, a, b)

    def in_period(self, column) -> ColumnElement:
        return column.between(self.d1, self.d2)

    def _needs_structures(self) -> bool:
        return self.ctx.perimetre.echelon in (Echelon.DEPARTEMENT, Echelon.REGION) or self.ctx.dimension in (
            "departement",
            "region",
        )

    def _needs_jeunes(self) -> bool:
        """Whether S(P) needs the jeunes table (a scope, a filter or a group on the young person)."""
        f = self.ctx.filtres
        on_jeune = (f.sexe, f.tranche_age, f.niveau_formation, f.qpv, f.frr, f.rqth)
        return (
            self.ctx.perimetre.echelon is not Echelon.NATIONAL
            or any(x is not None for x in on_jeune)
            or self.ctx.dimension not in (None, "dispositif")
        )

    def jeune_conditions(self) -> list[ColumnElement]:
        """The scope's structures and the filters on the young person (not the dispositif)."""
        ctx, f = self.ctx, self.ctx.filtres
        conds: list[ColumnElement] = []
        if ctx.perimetre.echelon is Echelon.STRUCTURE:
            conds.append(Y.c.code_structure == ctx.perimetre.code)
        deps = departements_of(ctx.perimetre)
        if deps is not None:
            conds.append(ST.c.departement.in_(deps))
        if f.sexe is not None:
            conds.append(Y.c.sexe == f.sexe)
        if f.niveau_formation is not None:
            if f.niveau_formation == NON_RENSEIGNE:
                conds.append(Y.c.niveau_formation.is_(None))
            else:
                conds.append(Y.c.niveau_formation == f.niveau_formation)
        if f.tranche_age is not None:
            low, high = tranche_bounds(f.tranche_age, ctx.d1.year)
            if low is not None:
                conds.append(Y.c.annee_naissance >= low)
            if high is not None:
                conds.append(Y.c.annee_naissance <= high)
        for name in ("qpv", "frr", "rqth"):
            wanted = getattr(f, name)
            if wanted is not None:
                conds.append(Y.c[name] if wanted else not_(Y.c[name]))
        return conds

    def jeune_group(self) -> ColumnElement:
        """The group of a young person for the computation's dimension ("" when ungrouped)."""
        dim, year = self.ctx.dimension, self.ctx.d1.year
        if dim is None or dim == "dispositif":
            return literal("")
        if dim == "sexe":
            return Y.c.sexe
        if dim == "tranche_age":
            a = Y.c.annee_naissance
            return case((a >= year - 17, "16-17"), (a >= year - 21, "18-21"), (a >= year - 25, "22-25"), else_="26+")
        if dim == "niveau_formation":
            return func.coalesce(Y.c.niveau_formation, NON_RENSEIGNE)
        if dim in ("qpv", "frr", "rqth"):
            return oui_non(Y.c[dim])
        if dim == "structure":
            return Y.c.code_structure
        if dim == "departement":
            return ST.c.departement
        if dim == "region":
            return region_case(ST.c.departement)
        raise ValueError(f"dimension inconnue : {dim}")

    def _jeunes_from(self):
        if self._needs_structures():
            return Y.join(ST, ST.c.code_structure == Y.c.code_structure)
        return Y

    def counting_accompagnements(self) -> list[ColumnElement]:
        """With a dispositif filter, only accompagnements of that dispositif count (everywhere)."""
        d = self.ctx.filtres.dispositif
        return [] if d is None else [A.c.dispositif == d]

    def scope_jeunes(self):
        """Young people in scope, not only followed ones: (id_jeune, grp).

        With a dispositif filter (or grouped by dispositif), a young person is in
        scope through an accompagnement of that dispositif, at any date.
        """
        if self.ctx.dimension == "dispositif" or self.ctx.filtres.dispositif is not None:
            grp = A.c.dispositif if self.ctx.dimension == "dispositif" else self.jeune_group()
            return (
                select(Y.c.id_jeune, grp.label("grp"))
                .distinct()
                .select_from(self._jeunes_from().join(A, A.c.id_jeune == Y.c.id_jeune))
                .where(*self.jeune_conditions(), *self.counting_accompagnements())
                .subquery("scope_jeunes")
            )
        return (
            select(Y.c.id_jeune, self.jeune_group().label("grp"))
            .select_from(self._jeunes_from())
            .where(*self.jeune_conditions())
            .subquery("scope_jeunes")
        )

    # -- S(P), materialised ----------------------------------------------------------------------------
    @property
    def suivis(self) -> Table:
        """S(P) in a work table: with every column of `_create_suivis` (and the verdicts, from the annual facts),
        or only (id_jeune, grp) without `detail`."""
        if self._suivis is None:
            year = self._annee_calculee()
            if year is not None:
                self._suivis, self._annuel = self._from_annual_facts(year), True
            else:
                self._suivis = self._create_suivis() if self.detail else self._create_membres()
        return self._suivis

    def _annee_calculee(self) -> int | None:
        """P's year when P is a calendar year whose annual facts serve this computation (`indicators.facts.annuel`).

        They know nothing of the dispositifs: a computation filtered or grouped
        by dispositif builds S(P) from the accompagnements of that dispositif.
        """
        ctx = self.ctx
        year = annuel.annee_civile(ctx.periode)
        if year is None or ctx.filtres.dispositif is not None or ctx.dimension == "dispositif":
            return None
        return year if annuel.calculee(self.conn, year) else None

    def _from_annual_facts(self, year: int) -> Table:
        """S(P) copied from the year's facts, for the young people in scope (national sample: 0.6 → 0.26 s)."""
        source = self._jeunes_from().join(SA, SA.c.id_jeune == Y.c.id_jeune) if self._needs_jeunes() else SA
        facts = [c for c in SA.c if c.name not in annuel.KEY_COLUMNS] if self.detail else [SA.c.record_key]
        query = select(SA.c.id_jeune, self.jeune_group().label("grp"), *facts).select_from(source)
        return self._work_table("annuels", query.where(SA.c.annee == year, *self.jeune_conditions()))

    def _active(self) -> list[ColumnElement]:
        """The counting accompagnements active in P: started by d2, not ended before d1."""
        return [*actifs(self.d1, self.d2), *self.counting_accompagnements()]

    def _accompagnements(self):
        """(young person, rows, group) for reading the accompagnements of the scope, per accompagnement.

        Joined to the jeunes when the scope, a filter or the group needs them;
        national with no filter on the young person, the accompagnements and the key of their young
        person (`record_key`, the cell keys of the counts of young people).
        """
        if self._needs_jeunes():
            who, source = Y.c.id_jeune, self._jeunes_from().join(A, A.c.id_jeune == Y.c.id_jeune)
        else:
            who, source = A.c.id_jeune, A.join(Y, Y.c.id_jeune == A.c.id_jeune)
        grp = A.c.dispositif if self.ctx.dimension == "dispositif" else self.jeune_group()
        return who, source, grp

    def _create_membres(self) -> Table:
        """Fill a work table with the (young person, group) pairs of S(P), and nothing else.

        Being followed needs one counting accompagnement started by d2 and not
        ended before d1: a filter on the accompagnements and a semi-join, with
        no aggregate per young person (national sample, grouped by département:
        0.6 s instead of 1.4 s for the whole of `_create_suivis`).
        """
        followed = self._active()
        if self.ctx.dimension == "dispositif" or not self._needs_jeunes():
            who, source, grp = self._accompagnements()
            query = (
                select(who.label("id_jeune"), grp.label("grp"), Y.c.record_key)
                .distinct()
                .select_from(source)
                .where(*followed, *self.jeune_conditions())
            )
        else:
            one_followed = select(literal(1)).where(A.c.id_jeune == Y.c.id_jeune, *followed).exists()
            query = (
                select(Y.c.id_jeune, self.jeune_group().label("grp"), Y.c.record_key)
                .select_from(self._jeunes_from())
                .where(*self.jeune_conditions(), one_followed)
            )
        return self._work_table("membres", query)

    def _create_suivis(self) -> Table:
        """Fill a work table with one row per (young person, group) of S(P), and S(P)'s columns (`suivi.colonnes`).

        Only the active accompagnements (started by d2, not ended before d1)
        are read: they alone make someone followed, and the others only matter
        for the nouveaux entrants, whose correction `summary` makes (grouping
        740,000 young people with every accompagnement ever, to keep 477,000,
        cost 0.4 s more at national scale).
        """
        ungrouped = self.ctx.dimension is None
        who, source, grp = self._accompagnements()
        query = (
            select(
                who.label("id_jeune"), grp.label("grp"), func.max(Y.c.record_key).label("record_key"),
                *colonnes(self.dialect, self.d1, self.d2),
            )
            .select_from(source)
            .where(*self._active(), *self.jeune_conditions())
            .group_by(who, *([] if ungrouped else [grp]))  # PostgreSQL refuses a constant in GROUP BY
        )
        return self._work_table("suivis", query)

    def _work_table(self, name: str, query) -> Table:
        """A table filled with `query` for the duration of this computation (CREATE TABLE … AS).

        SQLite: a temporary table. PostgreSQL: an unlogged table of this
        transaction, so that the query filling it and those reading it may run
        in parallel (temporary tables forbid parallel plans); its random name
        keeps concurrent computations apart, and a rollback removes it even if
        `drop` is never reached. Indexed by young person (not on PostgreSQL
        beyond HASH_JOIN_ROWS rows: it then joins by hashing, and building the
        index cost a third of a second at national scale) and analysed at once.
        """
        postgres = self.dialect == "postgresql"
        table_name = f"mli_{name}_{uuid.uuid4().hex[:16]}" if postgres else self._free_name(name)
        create = CreateTableAs(query, table_name, temporary=not postgres)
        sql = str(create.compile(dialect=self.conn.dialect))
        if postgres:
            sql = sql.replace("CREATE TABLE", "CREATE UNLOGGED TABLE", 1)
        rows = self.conn.exec_driver_sql(sql).rowcount
        self._hashed = postgres and rows > HASH_JOIN_ROWS
        if not self._hashed:
            self.conn.exec_driver_sql(f"CREATE INDEX ix_{table_name} ON {table_name} (id_jeune)")
        # statistics now (PostgreSQL's autovacuum would come too late; SQLite has none without it): with
        # them, a small S(P) drives the joins through the (id_jeune, type, date) index. On PostgreSQL a
        # sample of 3,000 rows is enough to plan with (the default 30,000 took 0.08 s at national scale).
        with self._setting("default_statistics_target", "10") if postgres else nullcontext():
            self.conn.exec_driver_sql(f"ANALYZE {table_name}")
        if postgres:
            return create.table
        return _SQLITE_TABLES.setdefault((table_name, tuple((c.name, repr(c.type)) for c in create.table.c)), create.table)

    def _free_name(self, name: str) -> str:
        """The first `mli_<name>_<k>` this connection is not using (one a rolled-back DROP left behind removed)."""
        taken = self.conn.info.setdefault(_TAKEN, set())
        table_name = next(f"mli_{name}_{k}" for k in itertools.count() if f"mli_{name}_{k}" not in taken)
        taken.add(table_name)
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table_name}")
        return table_name

    @contextmanager
    def _setting(self, name: str, value: str):
        """A PostgreSQL setting changed for the statements inside, then put back (within the transaction)."""
        before = self.conn.exec_driver_sql(f"SHOW {name}").scalar_one()
        self.conn.exec_driver_sql(f"SET LOCAL {name} = {value}")
        try:
            yield
        finally:
            self.conn.exec_driver_sql(f"SET LOCAL {name} = {before}")

    def drop(self) -> None:
        if self._suivis is not None:
            self.conn.exec_driver_sql(f"DROP TABLE {self._suivis.name}")
            self.conn.info.get(_TAKEN, set()).discard(self._suivis.name)
            self._suivis = None

    # -- passes ------------------------------------------------------------------------------------------
    def summary(self):
        """Per group: jeunes, nouveaux entrants, RSA, ≥ 90 days in P, accompagnements ended in P (positive).

        A nouvel entrant's earliest counting accompagnement starts in P: their
        active ones all start on or after d1 and none ended before d1 (such an
        earlier one is not in S(P); `_earlier_spells` counts them apart, unless
        S(P) comes from the annual facts, which hold the verdict).
        Without `detail`, every figure after the number of jeunes is 0 (S(P) holds no more).
        Each figure comes with its cell key, the sum of the record keys of the young people it
        counts (an ended accompagnement counts with its young person's key): (grp, figures…, keys…).
        """
        S = self.suivis
        key = S.c.record_key
        if not self.detail:
            zeros = (literal(0),) * 5
            return self.conn.execute(select(S.c.grp, func.count(), *zeros, func.sum(key), *zeros).group_by(S.c.grp)).all()
        nouveaux = S.c.nouveau if self._annuel else case((S.c.premier_debut >= self.d1, 1), else_=0)
        flags = (nouveaux, S.c.rsa, S.c.long_, S.c.sorties, S.c.sorties_pos)
        rows = self.conn.execute(
            select(
                S.c.grp, func.count(), *(func.sum(f) for f in flags), func.sum(key), *(func.sum(f * key) for f in flags)
            ).group_by(S.c.grp)
        ).all()
        earlier = {} if self._annuel else self._earlier_spells()
        out = []
        for grp, n, nouveaux, rsa, longs, sorties, positives, k, k_nouveaux, *keys in rows:
            less, less_key = earlier.get(grp, (0, 0))
            out.append((grp, n, nouveaux - less, rsa, longs, sorties, positives, k, k_nouveaux - less_key, *keys))
        return out

    def _earlier_spells(self) -> dict[str, tuple[int, int]]:
        """Per group: jeunes of S(P) whose active accompagnements all start in P, with a counting one ended before
        d1, and the sum of their keys."""
        S = self.suivis
        conditions = self.counting_accompagnements()
        if self.ctx.dimension == "dispositif":
            conditions.append(A.c.dispositif == S.c.grp)
        query = (
            select(S.c.grp, func.count(), func.sum(S.c.record_key))
            .where(S.c.premier_debut >= self.d1, parcours_anterieur(S.c.id_jeune, self.d1, *conditions))
            .group_by(S.c.grp)
        )
        return {grp: (int(n), int(k or 0)) for grp, n, k in self.conn.execute(query)}

    def _followed(self, columns: dict[str, ColumnElement], *conditions: ColumnElement):
        """The analytics rows meeting `conditions` whose young person is in S(P): a subquery of (grp, *columns).

        The join of the rows to S(P), except when the scope is everybody: a row
        of P that an accompagnement covers (`couvert`) is then followed without
        a join (that accompagnement is active in P); the others, a few per cent,
        are followed when their young person has an active accompagnement,
        probed through its id_jeune index (hashing the half million rows of S(P)
        for them cost more than the rest). National sample, counts of the jalons of
        P: 0.70 → 0.3 s.
        """
        named = [column.label(name) for name, column in columns.items()]
        if not self._everybody():
            S = self.suivis
            joined = select(S.c.grp, *named).select_from(D.join(S, S.c.id_jeune == D.c.id_jeune))
            return joined.where(*conditions).subquery("suivies")
        followed = select(literal(1)).where(A.c.id_jeune == D.c.id_jeune, *self._active()).exists()
        covered = select(literal("").label("grp"), *named).where(*conditions, D.c.couvert == 1)
        uncovered = select(literal("").label("grp"), *named).where(*conditions, D.c.couvert == 0, followed)
        return union_all(covered, uncovered).subquery("suivies")

    def jalon_counts(self, types: list[str]):
        """Per (group, type): jalons of S(P) dated in P, of `types` (those the asked indicators count)."""
        rows = self._followed({"type": D.c.type, "cle": D.c.record_key}, D.c.type.in_(types), self.in_period(D.c.date))
        query = select(rows.c.grp, rows.c.type, func.count(), func.sum(rows.c.cle)).group_by(rows.c.grp, rows.c.type)
        return self.conn.execute(query).all()

    def situations(self):
        """Per group: jeunes of S(P) with a jalon of EMPLOI, DURABLE, FORMATION in P, and those returning.

        Returning (retours_dynamique): a SITUATION jalon in P whose previous
        jalon day had a break or lies more than 90 days before it. A jalon is
        the first of its family in P when the previous jalon of that family
        (`<famille>_precedent`, in (date, id_jalon) order) is before P or
        absent: one per young person, so plain sums count young people, without
        grouping the jalons of P by young person (national sample: 0.67 → 0.24 s).
        """
        before_p = lambda column: or_(column.is_(None), column < self.d1)
        firsts = [
            and_(D.c.type.in_(sorted(types)), before_p(D.c[f"{name}_precedent"])) for name, types in FAMILLES.items()
        ]
        firsts.append(and_(returning(self.dialect, D.c), before_p(D.c.retour_precedent)))
        rows = self._followed(
            {**{f"premier_{i}": case((first, 1), else_=0) for i, first in enumerate(firsts)}, "cle": D.c.record_key},
            # the types and dates as the (type, date) index reads them; then the firsts alone
            D.c.type.in_(sorted(vocab.SITUATION)),
            self.in_period(D.c.date),
            or_(*firsts),
        )
        sums = [func.sum(rows.c[f"premier_{i}"]) for i in range(len(firsts))]
        keys = [func.sum(rows.c[f"premier_{i}"] * rows.c.cle) for i in range(len(firsts))]  # the first jalons' keys
        return self.conn.execute(select(rows.c.grp, *sums, *keys).group_by(rows.c.grp)).all()

    def parcours_securises(self):
        """Per group: jeunes with ≥ 90 days in P, no rupture_survenue in P and no gap > 90 days in W.

        From the annual facts, the sum of their verdicts. Otherwise no window
        function: the rules of `suivi.Fenetre` on the jalons of W; and no
        grouping by young person either (it cost a third of the pass at
        national scale). Among the long young people without a rupture:
        - those with a jalon in W count once each through the first jalon of
          its first day (previous day before W, `premier_du_jour`), unless W
          is short (no longer than the largest gap allowed);
        - those whose W is short are counted over S(P) (a filter and a sum): with
          no jalon in W they are secure, and otherwise they are judged below;
        - those with a jalon that breaks the rule are taken off, counted once
          each among those rows alone (a few per cent of the jalons of W).
        """
        S = self.suivis
        if self._annuel:  # the verdict of each young person is in the annual facts
            query = select(S.c.grp, func.sum(S.c.securise), func.sum(S.c.securise * S.c.record_key)).group_by(S.c.grp)
            return self.conn.execute(query).all()
        rules = Fenetre.de(self.dialect, S)
        first, breaks_rule = rules.ouvre, rules.rompt
        broken = (
            select(D.c.id_jeune)
            .where(D.c.type == "rupture_survenue", self.in_period(D.c.date))
            .distinct()
            .subquery("ruptures")
        )
        intact = broken.c.id_jeune.is_(None)
        rows_w = (
            select(
                S.c.grp,
                S.c.id_jeune,
                S.c.record_key,
                case((and_(first, not_(rules.courte)), 1), else_=0).label("premier"),
                case((breaks_rule, 1), else_=0).label("rompu"),
            )
            .select_from(D.join(S, S.c.id_jeune == D.c.id_jeune).outerjoin(broken, broken.c.id_jeune == D.c.id_jeune))
            .where(
                self.in_period(D.c.date),  # W lies in P: this condition lets the date index work
                S.c.long_ == 1,
                D.c.date >= S.c.debut_w,
                D.c.date <= S.c.fin_w,
                intact,
                or_(first, breaks_rule),
            )
            .cte("jalons_w")
            .prefix_with("MATERIALIZED", dialect="postgresql")  # read twice, computed once
        )
        opening = select(
            rows_w.c.grp, func.sum(rows_w.c.premier), func.sum(rows_w.c.premier * rows_w.c.record_key)
        ).group_by(rows_w.c.grp)
        # PostgreSQL sorts them to find each young person once: by bytes, faster than through the locale
        who = rows_w.c.id_jeune.collate("C") if self.dialect == "postgresql" else rows_w.c.id_jeune
        breaking = (
            select(rows_w.c.grp, who, rows_w.c.record_key).where(rows_w.c.rompu == 1).distinct().subquery("rompus")
        )
        taken_off = select(breaking.c.grp, -func.count(), -func.sum(breaking.c.record_key)).group_by(breaking.c.grp)
        is_short = and_(intact, rules.courte)
        short = (
            select(
                S.c.grp,
                func.sum(case((is_short, 1), else_=0)),
                func.sum(case((is_short, S.c.record_key), else_=0)),
            )
            .select_from(S.outerjoin(broken, broken.c.id_jeune == S.c.id_jeune))
            .where(S.c.long_ == 1)
            .group_by(S.c.grp)
        )
        both = union_all(opening, taken_off, short).subquery("parts")
        query = select(both.c.grp, func.sum(both.c[1]), func.sum(both.c[2])).group_by(both.c.grp)
        if not self._hashed:
            return self.conn.execute(query).all()
        # Every jalon of P of a large S(P) is read. They lie on every page of the table (stored young
        # person by young person): a bitmap of their dates reads all the pages anyway, after an index
        # scan that one process runs alone; PostgreSQL's costs miss it and prefer it to a parallel
        # sequential scan that is faster (national sample: 0.50 → 0.30 s for the read, 1.25 → 1.0 s).
        with self._setting("enable_bitmapscan", "off"):
            return self.conn.execute(query).all()

    def jalons_par_domaine(self):
        """Per (group, type, domaine): jalons of S(P) in P of the types that name a domaine (breakdowns)."""
        S = self.suivis
        return self.conn.execute(
            select(S.c.grp, D.c.type, D.c.domaine, func.count(), func.sum(D.c.record_key))
            .select_from(D.join(S, S.c.id_jeune == D.c.id_jeune))
            .where(D.c.type.in_(DOMAINE_TYPES), self.in_period(D.c.date))
            .group_by(S.c.grp, D.c.type, D.c.domaine)
        ).all()

    def risques_ouverts(self):
        """Per (group, domaine): risks of S(P) dated ≤ d2 not settled (évitée or survenue) in [risk date, d2]."""
        S = self.suivis
        return self.conn.execute(
            select(S.c.grp, D.c.domaine, func.count(), func.sum(D.c.record_key))
            .select_from(D.join(S, S.c.id_jeune == D.c.id_jeune))
            .where(D.c.type == "risque_rupture", D.c.date <= self.d2, or_(D.c.suivant.is_(None), D.c.suivant > self.d2))
            .group_by(S.c.grp, D.c.domaine)
        ).all()

    def ancrage_rsa(self):
        """Per group: (jeunes with an RSA spell open at d2 for ≥ 365 days, jeunes with a spell overlapping P).

        A spell starts at an rsa_ouverture and ends at the earliest rsa_sortie
        of the same young person dated after it (`suivant`; none: still open).
        """
        S = self.suivis
        end = D.c.suivant
        overlaps = or_(end.is_(None), end >= self.d1)
        anchored = and_(
            or_(end.is_(None), end > self.d2),
            D.c.date <= literal(self.ctx.d2 - dt.timedelta(days=TWELVE_MONTHS), Date),
        )
        # one row per young person (with their key), then sums: the keys of the young people counted
        per_jeune = (
            select(
                S.c.grp,
                S.c.record_key,
                func.max(case((anchored, 1), else_=0)).label("ancre"),
                func.max(case((overlaps, 1), else_=0)).label("au_rsa"),
            )
            .select_from(D.join(S, S.c.id_jeune == D.c.id_jeune))
            .where(D.c.type == "rsa_ouverture", D.c.date <= self.d2)
            .group_by(S.c.grp, S.c.id_jeune, S.c.record_key)
            .subquery("au_rsa")
        )
        j = per_jeune.c
        return self.conn.execute(
            select(j.grp, func.sum(j.ancre), func.sum(j.au_rsa), func.sum(j.ancre * j.record_key),
                   func.sum(j.au_rsa * j.record_key))
            .group_by(j.grp)
        ).all()

    def _everybody(self) -> bool:
        """Whether the scope is everybody: national, no filter, ungrouped."""
        return not self._needs_jeunes() and self.ctx.dimension is None and self.ctx.filtres.dispositif is None

    def _scoped(self):
        """(the analytics rows joined to the young people in scope, their group, the GROUP BY keys for it).

        When the scope is everybody, the rows alone: each jalon's young person
        is in the store (a foreign key), so the join with a million jeunes would
        keep every row (national: 0.1 s saved).
        """
        if self._everybody():
            return D, literal(""), []  # PostgreSQL refuses a constant in GROUP BY
        scope = self.scope_jeunes()
        return D.join(scope, scope.c.id_jeune == D.c.id_jeune), scope.c.grp, [scope.c.grp]

    def delais_entree(self):
        """Per (group, delay in days or None): orientations in P of jeunes in scope (not only S(P)).

        The delay runs to the earliest premier_rdv or entretien dated on or after
        the orientation (`suivant`); None when there is none.
        """
        source, grp, keys = self._scoped()
        delay = self.days(D.c.date, D.c.suivant)
        return self.conn.execute(
            select(grp, delay, func.count(), func.sum(D.c.record_key))
            .select_from(source)
            .where(D.c.type == "orientation_recue", self.in_period(D.c.date))
            .group_by(*keys, delay)
        ).all()

    def maintien_hors_rsa(self):
        """Per group: sorties of jeunes in scope dated in [d1 − 183, d2 − 183]: (not reopened within 183 days, all)."""
        source, grp, keys = self._scoped()
        reopened = and_(D.c.suivant.is_not(None), self.days(D.c.date, D.c.suivant) <= SIX_MONTHS)
        shift = dt.timedelta(days=SIX_MONTHS)
        return self.conn.execute(
            select(
                grp, func.sum(case((reopened, 0), else_=1)), func.count(),
                func.sum(case((reopened, 0), else_=D.c.record_key)), func.sum(D.c.record_key),
            )
            .select_from(source)
            .where(
                D.c.type == "rsa_sortie",
                D.c.date.between(literal(self.ctx.d1 - shift, Date), literal(self.ctx.d2 - shift, Date)),
            )
            .group_by(*keys)
            .having(func.count() > 0)  # no sortie: no row, grouped or not
        ).all()

    def jours_hors_rsa(self, bareme: list[dt.date]):
        """Per (group, step of the RSA scale): days out of the RSA after each sortie of S(P) in P.

        Days = min(next rsa_ouverture after it, sortie + 365, as_of) − sortie,
        floored at 0. The step is the index in `bareme` (dates from which an
        amount is in force, sorted) of the amount in force on the sortie date.
        """
        S = self.suivis
        later_steps = [(D.c.date >= literal(d, Date), i) for i, d in reversed(list(enumerate(bareme))) if i > 0]
        step = case(*later_steps, else_=0) if later_steps else literal(0)
        to_reopening = self.days(D.c.date, D.c.suivant)
        to_as_of = self.days(D.c.date, literal(self.ctx.as_of, Date))
        cap = case((to_as_of < TWELVE_MONTHS, to_as_of), else_=TWELVE_MONTHS)
        kept = case((and_(to_reopening.is_not(None), to_reopening < cap), to_reopening), else_=cap)
        floored = case((kept < 0, 0), else_=kept)
        return self.conn.execute(
            select(S.c.grp, step, func.sum(floored), func.count())
            .select_from(D.join(S, S.c.id_jeune == D.c.id_jeune))
            .where(D.c.type == "rsa_sortie", self.in_period(D.c.date))
            .group_by(S.c.grp, step)
        ).all()

    def financements(self):
        """Per (group, année): sums of financements of the scope's structures for the years P touches,
        all financeurs and those of the Département (financeur `CD`).

        Grouped only by a dimension of structures; otherwise one group "".
        With a dispositif filter: that dispositif or TOUS.
        """
        ctx = self.ctx
        grp = {
            "structure": F.c.code_structure,
            "departement": ST.c.departement,
            "region": region_case(ST.c.departement),
        }.get(ctx.dimension, literal(""))
        conds: list[ColumnElement] = [F.c.annee.between(ctx.d1.year, ctx.d2.year)]
        if ctx.perimetre.echelon is Echelon.STRUCTURE:
            conds.append(F.c.code_structure == ctx.perimetre.code)
        deps = departements_of(ctx.perimetre)
        if deps is not None:
            conds.append(ST.c.departement.in_(deps))
        if ctx.filtres.dispositif is not None:
            conds.append(F.c.dispositif.in_((ctx.filtres.dispositif, "TOUS")))
        return self.conn.execute(
            select(
                grp.label("grp"),
                F.c.annee,
                func.sum(F.c.montant_eur),
                func.sum(case((F.c.financeur == "CD", F.c.montant_eur), else_=0)),
            )
            .select_from(F.join(ST, ST.c.code_structure == F.c.code_structure))
            .where(*conds)
            .group_by(grp, F.c.annee)
        ).all()


# --- small reads outside a computation --------------------------------------------------------------
def latest_jalon_date(conn: Connection) -> dt.date | None:
    """as_of: the latest date of any jalon in the store (read through the analytics table's date index)."""
    return as_date(conn.execute(select(func.max(D.c.date))).scalar())


def structures_in_scope(conn: Connection, perimetre: Perimetre) -> list[tuple[str, str, str]]:
    """(code_structure, nom, departement) of the scope's structures, by code."""
    query = select(ST.c.code_structure, ST.c.nom, ST.c.departement).order_by(ST.c.code_structure)
    if perimetre.echelon is Echelon.STRUCTURE:
        query = query.where(ST.c.code_structure == perimetre.code)
    deps = departements_of(perimetre)
    if deps is not None:
        query = query.where(ST.c.departement.in_(deps))
    return [tuple(r) for r in conn.execute(query)]


def check_perimetre(conn: Connection, perimetre: Perimetre) -> None:
    """Raise PerimetreInconnu for a structure absent from the store or an unknown département/région."""
    departements_of(perimetre)
    if perimetre.echelon is Echelon.STRUCTURE:
        found = conn.execute(select(true()).where(ST.c.code_structure == perimetre.code)).first()
        if found is None:
            raise PerimetreInconnu(f"structure inconnue : « {perimetre.code} ».")


def as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
