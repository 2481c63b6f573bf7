"""Every Streamlit cache of the app, in one module: the engine per database and the figures keyed by data version.

Every cached loader takes the database URL and the data version, so a write or
an import (which bumps the version) makes the next rerun read fresh figures; the
account's rights (role and territory, `droits`) are part of every key that holds
figures, so figures masked for one role are never served to another. Each part of a page is cached on its own: a widget
that changes one part recomputes only that part. The `ttl` bounds how long a
version check itself is trusted.
"""


from __future__ import annotations

import contextvars
import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from indicators.disclosure import service, territorial
from indicators.engine import months
from indicators.models import impact as modele
from indicators.models import impact_settings
from indicators.types import Famille, Filtres, Perimetre, Periode, Valeur
from mlimpact import accounts, store
from mlimpact import overview as ov
from mlimpact.access import AccesRefuse, Compte
from mlimpact.config import database_url
from mlimpact.db import make_engine
from mlimpact.migrate import upgrade
from presentation.figures import avec_affichage, tableau_affiche
from reports import contenu as ct
from reports import figures as fig
from ui import partage

TTL = 600


def droits(compte: Compte) -> tuple[str, str | None, str | None]:
    """What an account's figures depend on: its role and its territory, not its e-mail address. Two people with
    the same rights (ten bureau agents at a meeting, two directors of one Mission Locale) share every cached
    figure, so the second waits for the first's computation instead of doing it again."""
    return (compte.role, compte.code_structure, compte.departement)


# The cache key of each argument type of the loaders (their `hash_funcs`). An account: its rights. What is asked
# (a period, a scope, filters, a Demande): the repr of the frozen dataclass, which names every field — Streamlit
# hashes a dataclass by deep-copying it into a dict and walking it, 0.5 ms per argument, about 28 loader calls per
# run of the Impact page: a third of a session's server time at a meeting (docs/benchmarks.md).
CLES = {Compte: droits, Periode: repr, Perimetre: repr, Filtres: repr, ct.Demande: repr}


def cached(**options):
    """`st.cache_data`, its arguments keyed by `CLES` unless `options` say otherwise."""
    return st.cache_data(**{"hash_funcs": CLES, **options})


def loader(key_of=None, **options):
    """`cached(**options)`, its result also computed once for all the processes of one server (`ui.partage`;
    `key_of`: how the loader names its data version and key, `shared_key` for a loader called (db, version, …))."""
    return lambda func: cached(**options)(partage.between_processes(key_of or shared_key)(func))


def shared_key(args: tuple, kwargs: dict) -> tuple[object, bytes]:
    """A loader called as (db, version, …): its data version, and its arguments as bytes, keyed as `CLES` keys
    them for Streamlit, so that the processes of one server share its result (`ui.partage`)."""
    return args[1], _key_bytes((*args, *sorted(kwargs.items())))


def _key_bytes(value: object) -> bytes:
    if type(value) in CLES:
        return repr(CLES[type(value)](value)).encode()
    if isinstance(value, pd.DataFrame):
        return _table_bytes(value)
    if isinstance(value, (tuple, list)):
        return b"(" + b",".join(_key_bytes(v) for v in value) + b")"
    return repr(value).encode()


def current_db() -> str:
    """The URL of the store this app serves (MLIMPACT_DATABASE_URL or the default SQLite file)."""
    return database_url()


@st.cache_resource(show_spinner=False)
def engine(db: str) -> Engine:
    return make_engine(db)


@st.cache_resource(show_spinner="Création ou mise à jour du schéma de la base…")
def schema(db: str) -> tuple[str | None, str]:
    """Create or upgrade the store's schema, once per process and database (a failure is tried again next run)."""
    return upgrade(engine(db))


@st.cache_resource(show_spinner=False)
def precalcul(db: str):
    """The server's thread that computes France's Impact page again after writes, once `mlimpact precalculer` has
    computed it (`reports.warmup.follow`): one per process and database."""
    from reports import warmup

    return warmup.follow(engine(db))


@cached(ttl=5, show_spinner=False)
def data_version(db: str) -> int:
    return store.current_data_version(engine(db))


@cached(ttl=600, show_spinner=False)
def store_overview(db: str, version: int, structures: tuple[str, ...] | None = None) -> ov.Overview:
    with engine(db).connect() as conn:
        return ov.overview(conn, list(structures) if structures is not None else None)


@cached(ttl=600, show_spinner=False)
def store_dates(db: str, version: int, structures: tuple[str, ...] | None = None) -> tuple:
    """(first, latest) jalon date of the store or of the given structures."""
    with engine(db).connect() as conn:
        return ov.dates(conn, list(structures) if structures is not None else None)


@cached(ttl=600, show_spinner=False)
def latest_by_structure(db: str, version: int, structures: tuple[str, ...] | None = None) -> dict[str, dt.date]:
    """Each structure's latest jalon date (`mlimpact.overview.latest_by_structure`), of all or of the given ones."""
    with engine(db).connect() as conn:
        return ov.latest_by_structure(conn, list(structures) if structures is not None else None)


@cached(ttl=600, show_spinner=False)
def data_through(db: str, version: int, perimetre: Perimetre) -> dt.date | None:
    """« Données au » of a scope (`indicators.engine.data_through`)."""
    from indicators.engine import data_through as scope_data_through

    return scope_data_through(engine(db), perimetre)


@cached(ttl=600, show_spinner=False)
def structures_table(db: str, version: int) -> list[tuple[str, str, str, int]]:
    with engine(db).connect() as conn:
        return ov.jeunes_par_structure(conn)


@cached(ttl=600, show_spinner=False)
def structure_keys(db: str, version: int) -> dict[str, int]:
    """The cell key of each structure's count of jeunes (an outsider's view perturbs it by it)."""
    with engine(db).connect() as conn:
        return ov.cles_par_structure(conn)


@cached(ttl=600, show_spinner=False)
def visible_structures(db: str, version: int, compte) -> tuple[str, ...] | None:
    """The structures the account may see (None: all), from the access rules of the data layer."""
    from mlimpact.access import visible_structures_of

    with engine(db).connect() as conn:
        codes = visible_structures_of(conn, compte)
    return None if codes is None else tuple(codes)


def structures_offered(db: str, version: int, compte) -> list[tuple[str, str, str]]:
    """(code, nom, département) of the structures the account may see: what the scope filter offers."""
    visibles = visible_structures(db, version, compte)
    return [(c, n, d) for c, n, d, _ in structures_table(db, version) if visibles is None or c in visibles]


def by_month(debut, fin, load_month, progress=None) -> pd.DataFrame:
    """A monthly series loaded one month at a time (`load_month(Periode)`), so that each month is cached on
    its own and `progress(done, total)` can move a bar; the same rows as one call over the whole range."""
    periods = months(debut, fin)
    parts = []
    for done, month in enumerate(periods, start=1):
        parts.append(load_month(month))
        if progress is not None:
            progress(done, len(periods))
    return pd.concat(parts, ignore_index=True).infer_objects() if parts else pd.DataFrame()


# --- who signs in (ui.auth) -----------------------------------------------------------------------------------
@cached(ttl=30, show_spinner=False)
def account(db: str, email: str) -> Compte | None:
    with engine(db).connect() as conn:
        return accounts.get_account(conn, email)


@cached(ttl=30, show_spinner=False)
def dataset(db: str, version: int) -> str | None:
    with engine(db).connect() as conn:
        return store.get_setting(conn, store.DATASET)


# --- the director's pages (reports.contenu parts) --------------------------------------------------------------

@cached(ttl=TTL, show_spinner=False)
def dates(db: str, version: int) -> tuple[dt.date | None, int]:
    """(as_of, first year of data) of the whole store: what the period filter offers."""
    return ct.dates(engine(db))


@cached(ttl=TTL, show_spinner=False)
def parametres(db: str, version: int, perimetre: Perimetre) -> modele.ParametresImpact:
    return ct.parametres(engine(db), perimetre)


@cached(ttl=TTL, show_spinner=False)
def modification_parametres(db: str, version: int, code_structure: str) -> dict | None:
    with engine(db).connect() as conn:
        return impact_settings.last_change(conn, code_structure)


@loader(ttl=TTL, show_spinner="Calcul des indicateurs…")
def figures(db: str, version: int, compte: Compte, demande: ct.Demande) -> dict[str, tuple[Valeur, Valeur]]:
    return ct.figures(engine(db), compte, demande, parametres(db, version, demande.perimetre))


@loader(ttl=TTL, show_spinner=False)
def objectifs(db: str, version: int, compte: Compte, demande: ct.Demande) -> pd.DataFrame | None:
    return ct.objectifs(engine(db), compte, demande, parametres(db, version, demande.perimetre))


@loader(ttl=TTL, show_spinner="Calcul des évolutions mensuelles…")
def tendances(db: str, version: int, compte: Compte, demande: ct.Demande) -> pd.DataFrame:
    return ct.tendances(engine(db), compte, demande, parametres(db, version, demande.perimetre))


@loader(ttl=TTL, show_spinner=False)
def theme(db: str, version: int, compte: Compte, demande: ct.Demande, nom: str) -> list[pd.DataFrame]:
    return ct.theme(engine(db), compte, demande, nom)


@loader(ttl=TTL, show_spinner=False)
def risques(db: str, version: int, compte: Compte, demande: ct.Demande) -> pd.DataFrame:
    return ct.risques(engine(db), compte, demande)


@loader(ttl=TTL, show_spinner=False)
def courbe(db: str, version: int, compte: Compte, demande: ct.Demande) -> pd.DataFrame:
    return ct.courbe(engine(db), compte, demande)


@loader(ttl=TTL, show_spinner=False)
def financeurs(db: str, version: int, compte: Compte, demande: ct.Demande) -> dict[str, float]:
    return ct.financeurs(engine(db), compte, demande)


@loader(ttl=TTL, show_spinner=False)
def cout_evite(db: str, version: int, compte: Compte, demande: ct.Demande) -> tuple[ct.Impact, dict[str, pd.DataFrame]]:
    """The avoided cost (`reports.contenu.impact`) and the tables shown beside it, from the figures above: the
    same for every session of the same request, so computed once (a sixth of a session's server time at a
    meeting, docs/benchmarks.md)."""
    figs = figures(db, version, compte, demande)
    imp = ct.impact({c: v[0] for c, v in figs.items()}, parametres(db, version, demande.perimetre),
                    financeurs(db, version, compte, demande))
    if imp.masque:
        return imp, {}
    tables = {"cas": fig.table_cas(imp.cas), "hypotheses": fig.table_hypotheses(imp.hypotheses, compact=True)}
    if imp.retours is not None and len(imp.retours):
        tables["retours"] = fig.table_retours(imp.retours)
    return imp, tables


@cached(ttl=TTL, show_spinner=False)
def contexte(db: str, version: int, perimetre: Perimetre) -> tuple[str, str | None]:
    return ct.contexte(engine(db), perimetre)


# --- the national view (indicators.disclosure.territorial) -----------------------------------------------------
@loader(ttl=TTL, show_spinner="Calcul des chiffres par territoire…")
def territorial_table(db: str, version: int, compte: Compte, periode: Periode, code: str, filtres: Filtres):
    return tableau_affiche(territorial.tableau(engine(db), compte, periode, code, filtres))


@loader(ttl=TTL, show_spinner="Calcul des chiffres des structures…")
def territorial_structures(db, version, compte, periode, departement, code, filtres) -> pd.DataFrame:
    table = territorial.structures(engine(db), compte, periode, departement, code, filtres)
    return avec_affichage(table, secret_threshold(db, version), code)


@loader(ttl=TTL, show_spinner=False)
def month_figures(db, version, compte, mois: Periode, perimetre, code, filtres) -> pd.DataFrame:
    return service.trend(engine(db), compte, mois.debut, mois.fin, perimetre, [code], filtres)


@cached(ttl=TTL, show_spinner=False)
def disclosure_rule(db: str, version: int, compte: Compte, perimetre: Perimetre):
    """How the account sees the scope's figures: exact, or perturbed with k (`indicators.disclosure.rule`)."""
    from indicators.disclosure.rule import rule_for

    return rule_for(engine(db), compte, perimetre)


@cached(ttl=TTL, show_spinner=False)
def secret_threshold(db: str, version: int) -> int:
    """k of the store's settings (`indicators.disclosure.rule.k_setting`), for the texts that name it."""
    return territorial.k_setting(bind=engine(db))


@loader(ttl=TTL, show_spinner="Calcul de la valeur nationale…")
def national_reference(db, version, compte, periode, code, filtres) -> Valeur | None:
    """The national figure for a territorial account (None when its role has none)."""
    try:
        return service.national_figures(engine(db), compte, periode, filtres, codes=[code])[code]
    except AccesRefuse:
        return None


# --- charts ---------------------------------------------------------------------------------------------------
# The Impact page's charts drawn from a table of one of the functions above are kept under the same key as that
# table: a session that finds them neither reads the table back (Streamlit unpickles it) nor hashes it to look the
# chart up — a quarter of a session's server time at a meeting (docs/benchmarks.md). Their tables are built only
# when a user unfolds them.
@loader(ttl=TTL, max_entries=500, show_spinner=False)
def tendance_chart(db: str, version: int, compte: Compte, demande: ct.Demande, famille: Famille) -> tuple[dict | None, str]:
    """A family's trend chart and the names of its lines (None, "" when it has none)."""
    from ui.charts import vega_spec

    table = ct.tendance(tendances(db, version, compte, demande), famille)
    if table.empty:
        return None, ""
    return vega_spec(fig.tendance(table, famille)), ", ".join(dict.fromkeys(table["libelle"]))


@loader(ttl=TTL, max_entries=500, show_spinner=False)
def theme_charts(db: str, version: int, compte: Compte, demande: ct.Demande, nom: str) -> tuple[list[dict], list[str]]:
    """A theme's breakdowns as bar charts, with their titles."""
    from ui.charts import vega_spec

    tables = theme(db, version, compte, demande, nom)
    titres = [fig.titre_ventilation(t) for t in tables]
    return [vega_spec(fig.barres(t, titre)) for t, titre in zip(tables, titres, strict=True)], titres


def chart(build, *args, **kwargs):
    """`build(*args, **kwargs)` (an Altair chart, or a list of them) as Vega-Lite specs (`ui.charts.vega_spec`),
    built once per input and kept: the twenty directors of a meeting asking for the same figures draw the same
    charts. The key is the builder's name and its arguments (tables hashed by content): the tables are the
    figures the account may see, already masked, so an account only ever gets the chart of its own figures."""
    return _chart(f"{build.__module__}.{build.__qualname__}", args, tuple(sorted(kwargs.items())), build)


def _table_bytes(table: pd.DataFrame) -> bytes:
    """A chart's table as its key: its values as JSON (15 significant digits, far below what a chart shows) and
    its column types, 13 times quicker than Streamlit's hashing of a frame of Arrow strings (1.3 ms → 0.1 ms,
    twenty charts per page and session). Not its pickle: equal tables may pickle differently (Arrow buffers)."""
    return (table.to_json(orient="split", date_format="iso", double_precision=15) + repr(list(table.dtypes))).encode()


def _chart_key(args: tuple, kwargs: dict) -> tuple[object, bytes]:
    """`_chart(name, args, kwargs, _build)`: the builder's name and its arguments (not the builder, which `name`
    names); the store's data version, read on a miss only, dates the shared file."""
    return data_version(current_db()), _key_bytes(args[:3])


@loader(_chart_key, ttl=TTL, max_entries=2000, show_spinner=False, hash_funcs={**CLES, pd.DataFrame: _table_bytes})
def _chart(name: str, args: tuple, kwargs: tuple, _build) -> dict | list[dict]:
    from ui.charts import vega_spec

    built = _build(*args, **dict(kwargs))
    return [vega_spec(c) for c in built] if isinstance(built, list) else vega_spec(built)


# --- « Ce qui marche » ------------------------------------------------------------------------------------------
def effets(db: str, version: int, compte: Compte, demande: ct.Demande, progress=None):
    """The effect estimates the account may see (indicators.models.effets); `progress(fraction, text)` moves
    the page's bar while they compute.

    The bar is moved from the page's own context, not the cached function's: Streamlit records every
    element call made inside a cached function to replay it on the next hit, and refuses to replay one
    on a bar the page drew outside it (CacheReplayClosureError on the second visit)."""
    page = contextvars.copy_context()
    relay = None if progress is None else (lambda fraction, texte: page.run(progress, fraction, texte))
    return _effets(db, version, compte, demande, _progress=relay)


@cached(ttl=TTL, show_spinner=False)
def _effets(db: str, version: int, compte: Compte, demande: ct.Demande, _progress=None):
    from indicators.models import effets as modele_effets

    return modele_effets.for_account(
        engine(db), compte, demande.periode, demande.perimetre, demande.filtres, demande.as_of, progress=_progress
    )


@st.cache_resource(show_spinner=False)
def jobs() -> dict:
    """The computations running in the background of this server process (ui.background), by request."""
    return {}
