"""The indicator engine: every page, report, export and the CLI get their figures here.

    compute(bind, periode, perimetre, filtres, as_of, codes)   -> {code: Valeur}
    breakdown(bind, periode, perimetre, code, dimension, ...)  -> DataFrame (one row per modality + Total)
    trend(bind, debut, fin, perimetre, codes, ...)             -> DataFrame (one row per month and code)
    compare(bind, periode, perimetre, filtres, ...)            -> {code: (current, previous)}

`bind` is an Engine or a Connection. Figures are computed in the database
(`indicators.sql`), turned into values by the spec's arithmetic
(`indicators.formules`), and cached by data version (`indicators.cache`).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction

import pandas as pd
from sqlalchemy import Connection, Engine

from indicators import cache, measures
from indicators.dimensions import DIMENSIONS, modalities
from indicators.facts import refresh
from indicators.formules import Agregats, prorata, valeurs
from indicators.impact_chain import load_parameters
from indicators.registry import CODES, REGISTRY, get
from indicators.sql import (
    JEUNE_DIMENSIONS,
    Contexte,
    PerimetreInconnu,
    Requetes,
    check_perimetre,
    latest_jalon_date,
    structures_in_scope,
)
from indicators.types import Echelon, Famille, Filtres, Nature, Perimetre, Periode, Valeur
from mlimpact import overview
from mlimpact.db import connected

__all__ = [
    "PerimetreInconnu",
    "breakdown",
    "check_perimetre",
    "compare",
    "compute",
    "resolve_as_of",
    "trend",
]

# Which SQL pass feeds which indicator, and which indicators need the detail of S(P)
# (`Requetes(detail=True)`): derived from the measures each definition names.
PASSES: dict[str, frozenset[str]] = {
    passe: frozenset(c for c, d in REGISTRY.items() if any(measures.get(m).passe == passe for m in d.mesures))
    for passe in measures.PASSES
}
IMPACT_CODES = PASSES["hors_rsa"]
DETAIL_CODES = frozenset(c for c, d in REGISTRY.items() if any(measures.get(m).detail for m in d.mesures))
BREAKDOWN_NATURES = (Nature.COUNT, Nature.RATIO)
# Numbers that break down too: a median of delays is computed per group from the same histogram of delays.
BREAKDOWN_NUMBERS = frozenset({"delai_entree_jours"})
# Dimensions that put each young person (and so each of their jalons) in one group only; not the
# dispositif (one may be followed in two) nor the domaine (one may have jalons in several).
PARTITIONS = frozenset(JEUNE_DIMENSIONS)


def _codes(codes: Iterable[str] | str | None) -> tuple[str, ...]:
    """The asked codes in the registry's order (all when None); KeyError for an unknown one."""
    if codes is None:
        return CODES
    wanted = {codes} if isinstance(codes, str) else set(codes)
    for code in wanted:
        get(code)
    return tuple(c for c in CODES if c in wanted)


# The connections this module opened itself: no caller's transaction rides on them, so their results may be
# shared with concurrent askers and kept in the database (`indicators.cache.cached`).
_OWN: weakref.WeakSet[Connection] = weakref.WeakSet()


@contextmanager
def _connection(bind: Engine | Connection) -> Iterator[Connection]:
    """A connection whose analytics table is up to date (`indicators.facts.analytique`).

    With an Engine, the refresh is committed at once; with a Connection, it
    joins the caller's transaction (which may hold the very writes it reflects).
    """
    if isinstance(bind, Connection):
        refresh.refresh(bind)
        yield bind
    else:
        with bind.connect() as conn:
            done = refresh.refresh(conn)
            if done:
                conn.commit()
            if done.massif:
                refresh.vacuum(bind)
            _OWN.add(conn)
            yield conn


def _cached(conn: Connection, kind: str, parts: tuple, compute):
    """`indicators.cache.cached`, shared and kept on the engine's own connections: every scope, a structure's too
    (under `mlimpact serve`, twenty directors opening their page at once on two processes computed it twice)."""
    own = conn in _OWN
    return cache.cached(conn, kind, parts, compute, shared=own, keep=own)


def resolve_as_of(bind: Engine | Connection, as_of: dt.date | None = None) -> dt.date | None:
    """`as_of` itself, or the latest jalon date of the whole store (None for an empty store)."""
    if as_of is not None:
        return as_of
    with _connection(bind) as conn:
        return cache.cached(conn, "as_of", (), lambda: latest_jalon_date(conn))


def data_through(bind: Engine | Connection, perimetre: Perimetre) -> dt.date | None:
    """« Données au » of a scope: the earliest of its structures' latest jalon dates (None: no jalon). A month of
    the scope is complete only when every structure has reported through its end, so a structure entering a
    jalon today moves neither the others' date nor that of a scope they share (`mlimpact.overview.data_through`)."""
    with connected(bind) as conn:  # the jalons themselves: no refresh of the analytics rows needed
        codes = None if perimetre.echelon is Echelon.NATIONAL else [c for c, _nom, _dep in structures_in_scope(conn, perimetre)]
        return overview.data_through(overview.latest_by_structure(conn, codes))[0] if codes != [] else None


# --- aggregation -------------------------------------------------------------------------------------
def _aggregate(
    conn: Connection, ctx: Contexte, codes: Iterable[str], params=None, by_domaine: bool = False
) -> dict[str, Agregats]:
    """Run the SQL passes `codes` need; the aggregates per group (and per domaine with `by_domaine`)."""
    codes = set(codes)
    needed = {name for name, fed in PASSES.items() if fed & codes}
    groups: dict[str, Agregats] = defaultdict(Agregats)
    q = Requetes(conn, ctx, detail=bool(DETAIL_CODES & codes))
    try:
        # every count comes with its cell key (the sum of its contributors' record keys), kept in `cles`
        if "suivis" in needed:
            names = ("jeunes", "nouveaux", "rsa", "longs", "sorties", "sorties_positives")
            for grp, *figures in q.summary():
                _store(groups[grp], names, figures)
        if "jalons" in needed:
            for grp, type_, n, key in q.jalon_counts(_jalon_types(codes)):
                groups[grp].jalons[type_] += int(n)
                _key(groups[grp], ("jalons", type_), key)
        if "situations" in needed:
            for grp, *figures in q.situations():
                _store(groups[grp], ("emploi", "durable", "formation", "retours"), figures)
        if "parcours" in needed:
            for grp, *figures in q.parcours_securises():
                _store(groups[grp], ("securises",), figures)
        if ctx.dimension is None and by_domaine:
            for grp, type_, domaine, n, key in q.jalons_par_domaine():
                groups[grp].jalons_domaine[(type_, domaine)] += int(n)
                _key(groups[grp], ("jalons_domaine", type_, domaine), key)
        if "risques_ouverts" in needed:
            for grp, domaine, n, key in q.risques_ouverts():
                groups[grp].risques_ouverts[domaine] += int(n)
                _key(groups[grp], ("risques_ouverts", domaine), key)
        if "ancrage" in needed:
            for grp, *figures in q.ancrage_rsa():
                _store(groups[grp], ("ancres", "au_rsa"), figures)
        if "orientations" in needed:
            for grp, delai, n, key in q.delais_entree():
                delai = None if delai is None else int(delai)
                groups[grp].delais[delai] += int(n)
                _key(groups[grp], ("delais", delai), key)
        if "maintien" in needed:
            for grp, *figures in q.maintien_hors_rsa():
                _store(groups[grp], ("maintenus", "sorties_anciennes"), figures)
        if "hors_rsa" in needed:
            bareme = [day for day, _ in params.montants_rsa]
            for grp, step, days, _n in q.jours_hors_rsa(bareme):
                groups[grp].jours_hors_rsa[int(step)] += int(days or 0)
        if "budget" in needed:
            budgets: dict[str, Fraction] = defaultdict(Fraction)
            budgets_cd: dict[str, Fraction] = defaultdict(Fraction)
            for grp, annee, montant, montant_cd in q.financements():
                part = prorata(int(annee), ctx.periode)
                budgets[grp] += Fraction(Decimal(repr(float(montant or 0)))) * part
                budgets_cd[grp] += Fraction(Decimal(repr(float(montant_cd or 0)))) * part
            for grp in set(budgets) | set(groups) | {""}:
                if ctx.dimension in (None, "structure", "departement", "region"):
                    groups[grp].budget = budgets.get(grp, Fraction(0))
                    groups[grp].budget_cd = budgets_cd.get(grp, Fraction(0))
    finally:
        q.drop()
    return groups


def _store(a: Agregats, names: tuple[str, ...], row) -> None:
    """A pass's row (the counts `names`, then their cell keys) into the aggregates."""
    for name, n, key in zip(names, row[: len(names)], row[len(names):], strict=True):
        setattr(a, name, int(n or 0))
        _key(a, name, key)


def _key(a: Agregats, name, key) -> None:
    """Add a cell key (mod 256: a key is only ever read modulo 256, and a difference may be negative)."""
    a.cles[name] = (a.cles[name] + int(key or 0)) % 256


def _jalon_types(codes: Iterable[str]) -> list[str]:
    """The jalon types the `jalons:` measures of `codes` count."""
    return sorted({t for code in codes for m in REGISTRY[code].mesures for t in measures.get(m).types})


def _impact(codes: Iterable[str]):
    """(amounts by step of the RSA scale, parameters) when an impact figure is asked for, else None."""
    if not IMPACT_CODES & set(codes):
        return None
    params = load_parameters()
    return [amount for _, amount in params.montants_rsa], params


def _compute(conn: Connection, periode, perimetre, filtres, as_of, codes) -> dict[str, Valeur]:
    check_perimetre(conn, perimetre)
    impact = _impact(codes)
    as_of = resolve_as_of(conn, as_of) or periode.fin
    ctx = Contexte(periode, perimetre, filtres, as_of)
    groups = _aggregate(conn, ctx, codes, impact and impact[1])
    return valeurs(groups.get("", Agregats()) if groups else Agregats(budget=Fraction(0), budget_cd=Fraction(0)), list(codes), impact)


# --- public API ----------------------------------------------------------------------------------------
def compute(
    bind: Engine | Connection,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    codes: Iterable[str] | None = None,
) -> dict[str, Valeur]:
    """Every indicator of `codes` (all by default) for a scope and a period, in the registry's order.

    `as_of` (the date the data describes) defaults to the latest jalon date of
    the store. Values are unmasked: masking is the caller's (`indicators.disclosure.masking`).
    Raises PerimetreInconnu for an unknown structure, département or région.
    """
    wanted = _codes(codes)
    with _connection(bind) as conn:
        params = load_parameters() if IMPACT_CODES & set(wanted) else None
        key = (periode, perimetre, filtres, as_of, wanted, params)
        return _cached(conn, "compute", key, lambda: _compute(conn, periode, perimetre, filtres, as_of, wanted))


def breakdown(
    bind: Engine | Connection,
    periode: Periode,
    perimetre: Perimetre,
    code: str,
    dimension: str,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """One count or ratio indicator (or a number of BREAKDOWN_NUMBERS) by one dimension: a tidy table and a final `Total` row.

    Columns: modalite (code), libelle (French), valeur, numerateur, denominateur
    (the last two for ratios), and the cell keys `cle`, `cle_denominateur`. The dimension is one of DIMENSIONS; `domaine`
    only for indicators of jalons that carry one. The Total row is the
    unbroken indicator, not the sum of the rows: with `dispositif`, a young
    person followed in two dispositifs counts in both rows but once in the total.
    For the dimensions that split the young people (PARTITIONS) the groups' own
    aggregates add up to it, so it costs no second pass.
    """
    definition = get(code)
    if definition.nature not in BREAKDOWN_NATURES and code not in BREAKDOWN_NUMBERS:
        raise ValueError(
            f"seuls les comptages, les taux et le délai d'entrée se ventilent ; {code} est de nature {definition.nature.value}."
        )
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension inconnue : « {dimension} » (attendu : {', '.join(DIMENSIONS)}).")
    with _connection(bind) as conn:
        key = (periode, perimetre, code, dimension, filtres, as_of)
        return _cached(
            conn, "breakdown", key, lambda: _breakdown(conn, periode, perimetre, code, dimension, filtres, as_of)
        )


def _breakdown(conn, periode, perimetre, code, dimension, filtres, as_of) -> pd.DataFrame:
    check_perimetre(conn, perimetre)
    definition = get(code)
    labels = modalities(conn, dimension, perimetre, definition)
    ctx = Contexte(periode, perimetre, filtres, resolve_as_of(conn, as_of) or periode.fin)
    if dimension == "domaine":
        everything = _aggregate(conn, ctx, [code], by_domaine=True).get("", Agregats())
        groups = {domaine: everything.pour_domaine(domaine) for domaine in labels}
    else:
        groups = _aggregate(conn, Contexte(ctx.periode, ctx.perimetre, ctx.filtres, ctx.as_of, dimension), [code])
    if dimension in PARTITIONS:  # each young person in exactly one group: the groups add up to the total
        total = valeurs(sum(groups.values(), Agregats()), [code], None)[code]
    else:
        total = compute(conn, periode, perimetre, filtres, as_of, [code])[code]
    extra = {grp: grp for grp in groups if grp not in labels and grp != ""}
    rows = []
    for modalite, libelle in {**labels, **extra}.items():
        v = valeurs(groups.get(modalite, Agregats()), [code], None)[code]
        rows.append(_row(modalite, libelle, v))
    rows.append(_row("Total", "Total", total))
    return pd.DataFrame(rows, columns=["modalite", "libelle", *FIGURE_COLUMNS])


# A figure's columns in the engine's tables: the cell keys ride along for the disclosure layer, which drops them.
FIGURE_COLUMNS = ("valeur", "numerateur", "denominateur", "cle", "cle_denominateur")


def _figure(v: Valeur) -> dict:
    return {c: getattr(v, c) for c in FIGURE_COLUMNS}


def _row(modalite: str, libelle: str, v: Valeur) -> dict:
    return {"modalite": modalite, "libelle": libelle, **_figure(v)}


def months(debut: dt.date, fin: dt.date) -> list[Periode]:
    """The calendar months from the month of `debut` to the month of `fin`, whole."""
    out = []
    first = debut.replace(day=1)
    while first <= fin:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        out.append(Periode(first, following - dt.timedelta(days=1)))
        first = following
    return out


def trend(
    bind: Engine | Connection,
    debut: dt.date,
    fin: dt.date,
    perimetre: Perimetre,
    codes: Iterable[str] | str,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Monthly values: each calendar month from `debut` to `fin` taken as the period P.

    Columns: mois (its first day), code, valeur, numerateur, denominateur, the
    cell keys `cle` and `cle_denominateur`, incomplet (True when the month ends after as_of: the month containing
    as_of, unless as_of is its last day, and any month after it).
    """
    wanted = _codes(codes)
    rows = []
    with _connection(bind) as conn:
        known = resolve_as_of(conn, as_of)
        for month in months(debut, fin):
            values = compute(conn, month, perimetre, filtres, as_of, wanted)
            incomplete = known is not None and month.fin > known
            for code, v in values.items():
                rows.append({"mois": month.debut, "code": code, **_figure(v), "incomplet": incomplete})
    return pd.DataFrame(rows, columns=["mois", "code", *FIGURE_COLUMNS, "incomplet"])


def compare(
    bind: Engine | Connection,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    codes: Iterable[str] | None = None,
) -> dict[str, tuple[Valeur, Valeur]]:
    """Each indicator for `periode` and for the period of the same length just before it."""
    with _connection(bind) as conn:
        current = compute(conn, periode, perimetre, filtres, as_of, codes)
        previous = compute(conn, periode.precedente(), perimetre, filtres, as_of, codes)
    return {code: (current[code], previous[code]) for code in current}


def familles() -> dict[Famille, list[str]]:
    """The codes of each family, in the registry's order (for views that group them)."""
    out: dict[Famille, list[str]] = {f: [] for f in Famille}
    for code, d in REGISTRY.items():
        out[d.famille].append(code)
    return out
