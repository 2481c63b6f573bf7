"""The sidebar filters shared by the views: period, scope, dispositif, public.

Their values live in the URL's query parameters, so a view can be bookmarked
and shared. Values read from the URL are checked like any input: an unknown
value falls back to the default, and a scope outside the account's rights is
refused later by the data layer (`indicators.disclosure.service`), never trusted here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from indicators.types import Echelon, Filtres, Perimetre, Periode
from mlimpact import territoires, vocab
from mlimpact.access import Compte, default_perimetre
from reports.contenu import derniere_annee_complete, periode_precedente

PERIODES = {
    "annee": "Année civile",
    "12mois": "12 derniers mois",
    "trimestre": "Trimestre",
    "perso": "Personnalisée",
}
ECHELONS = {
    Echelon.NATIONAL: "France entière",
    Echelon.REGION: "Région",
    Echelon.DEPARTEMENT: "Département",
    Echelon.STRUCTURE: "Structure",
}
COMPARAISONS = {
    "precedente": "Période précédente de même durée",
    "an": "Même période un an plus tôt",
    "perso": "Période de mon choix",
}
TOUS = ""
OUI_NON = {TOUS: "Tous", "1": "Oui", "0": "Non"}


@dataclass(frozen=True)
class Selection:
    periode: Periode
    perimetre: Perimetre
    filtres: Filtres
    libelle_periode: str
    comparaison: Periode | None = None
    libelle_comparaison: str = ""


def _param(name: str, allowed, default):
    """A query parameter if it is one of `allowed`, else the default."""
    value = st.query_params.get(name)
    return value if value in allowed else default


def _set_params(**values) -> None:
    for name, value in values.items():
        if value in (None, ""):
            st.query_params.pop(name, None)
        else:
            st.query_params[name] = str(value)


def _date_param(name: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return default


def periode_12_mois(as_of: dt.date) -> Periode:
    """The last 12 whole months: the incomplete month of as_of is left out (as rdv-insertion does)."""
    last_day = as_of if (as_of + dt.timedelta(days=1)).day == 1 else as_of.replace(day=1) - dt.timedelta(days=1)
    first_day = dt.date(last_day.year - 1, last_day.month, 1) + dt.timedelta(days=32)
    return Periode(first_day.replace(day=1), last_day)


def choose_period(as_of: dt.date, first_year: int, key: str = "f") -> tuple[Periode, str]:
    """Calendar year, last 12 whole months, a quarter, or a custom range (clamped to the data)."""
    kind = st.sidebar.selectbox(
        "Période", list(PERIODES), format_func=PERIODES.get, key=f"{key}_periode",
        index=list(PERIODES).index(_param("periode", PERIODES, "annee")),
    )
    years = list(range(as_of.year, first_year - 1, -1))
    if kind == "annee":
        complete = years.index(derniere_annee_complete(as_of, first_year))
        year = st.sidebar.selectbox("Année", years, key=f"{key}_annee", index=_index(years, st.query_params.get("annee"), int, complete))
        _set_params(periode=kind, annee=year, debut=None, fin=None, trimestre=None)
        return Periode(dt.date(year, 1, 1), dt.date(year, 12, 31)), f"année {year}"
    if kind == "12mois":
        periode = periode_12_mois(as_of)
        _set_params(periode=kind, annee=None, debut=None, fin=None, trimestre=None)
        return periode, f"du {periode.debut:%d/%m/%Y} au {periode.fin:%d/%m/%Y}"
    if kind == "trimestre":
        quarters = [(y, q) for y in years for q in (4, 3, 2, 1) if dt.date(y, 3 * q - 2, 1) <= as_of]
        labels = {f"{y}-T{q}": f"{q}{'er' if q == 1 else 'e'} trimestre {y}" for y, q in quarters}
        complete = next((i for i, (y, q) in enumerate(quarters) if _fin_trimestre(y, q) <= as_of), len(quarters) - 1)
        chosen = st.sidebar.selectbox("Trimestre", list(labels), format_func=labels.get, key=f"{key}_trimestre",
                                      index=_index(list(labels), st.query_params.get("trimestre"), str, complete))
        _set_params(periode=kind, trimestre=chosen, annee=None, debut=None, fin=None)
        y, q = int(chosen[:4]), int(chosen[-1])
        return Periode(dt.date(y, 3 * q - 2, 1), _fin_trimestre(y, q)), labels[chosen]
    start_default = _date_param("debut", dt.date(as_of.year, 1, 1))
    end_default = _date_param("fin", as_of)
    dates = st.sidebar.date_input(
        "Du … au …", value=(start_default, end_default), min_value=dt.date(first_year, 1, 1), max_value=dt.date(as_of.year, 12, 31),
        format="DD/MM/YYYY", key=f"{key}_dates",
    )
    start, end = (dates + (dates[-1],))[:2] if isinstance(dates, tuple) and dates else (start_default, end_default)
    if end < start:
        start, end = end, start
    _set_params(periode=kind, debut=start.isoformat(), fin=end.isoformat(), annee=None, trimestre=None)
    return Periode(start, end), f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"


def _fin_trimestre(y: int, q: int) -> dt.date:
    return dt.date(y + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)


def un_an_plus_tot(periode: Periode) -> Periode:
    """The same days one year earlier (29 February becomes 28 February)."""

    def shift(day: dt.date) -> dt.date:
        return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else day.day))

    return Periode(shift(periode.debut), shift(periode.fin))


def choose_comparison(periode: Periode, first_year: int, as_of: dt.date, key: str = "f") -> tuple[Periode, str]:
    """The period the changes are against: the previous one of the same length (default), one year earlier, or any."""
    kind = st.sidebar.selectbox(
        "Comparer avec", list(COMPARAISONS), format_func=COMPARAISONS.get, key=f"{key}_comparer",
        index=list(COMPARAISONS).index(_param("comparer", COMPARAISONS, "precedente")),
        help="Les évolutions des cartes sont calculées par rapport à cette période.",
    )
    if kind == "precedente":
        _set_params(comparer=None, cdebut=None, cfin=None)
        comparaison = periode_precedente(periode)
    elif kind == "an":
        _set_params(comparer=kind, cdebut=None, cfin=None)
        comparaison = un_an_plus_tot(periode)
    else:
        before = periode_precedente(periode)
        start_default, end_default = _date_param("cdebut", before.debut), _date_param("cfin", before.fin)
        dates = st.sidebar.date_input(
            "Comparer avec : du … au …", value=(start_default, end_default), min_value=dt.date(first_year - 1, 1, 1),
            max_value=dt.date(as_of.year, 12, 31), format="DD/MM/YYYY", key=f"{key}_cdates",
        )
        start, end = (dates + (dates[-1],))[:2] if isinstance(dates, tuple) and dates else (start_default, end_default)
        if end < start:
            start, end = end, start
        _set_params(comparer=kind, cdebut=start.isoformat(), cfin=end.isoformat())
        comparaison = Periode(start, end)
    return comparaison, f"{comparaison.debut:%d/%m/%Y}–{comparaison.fin:%d/%m/%Y}"


def _index(options: list, raw, cast, default: int) -> int:
    try:
        return options.index(cast(raw))
    except (TypeError, ValueError):
        return default


def choose_scope(compte: Compte, structures: list[tuple[str, str, str]], key: str = "f") -> Perimetre:
    """The scopes the role may look at (the data layer checks again)."""
    if compte.est_structure:
        return default_perimetre(compte)
    names = {code: nom for code, nom, _ in structures}
    if compte.role == "departement":
        own = [code for code, _, dep in structures if dep == compte.departement]
        options = [TOUS, *own]
        chosen = st.sidebar.selectbox(
            "Périmètre", options, key=f"{key}_structure",
            format_func=lambda c: f"Département {compte.departement} (toutes ses structures)" if c == TOUS else f"{names[c]} ({c})",
            index=_index(options, st.query_params.get("structure"), str, 0),
        )
        _set_params(structure=chosen or None)
        return Perimetre(Echelon.STRUCTURE, chosen) if chosen else default_perimetre(compte)
    echelons = list(ECHELONS)
    echelon = st.sidebar.selectbox(
        "Échelon", echelons, format_func=ECHELONS.get, key=f"{key}_echelon",
        index=_index([e.value for e in echelons], st.query_params.get("echelon"), str, 0),
    )
    if echelon is Echelon.NATIONAL:
        _set_params(echelon=None, code=None)
        return Perimetre()
    if echelon is Echelon.REGION:
        options, label = list(territoires.REGIONS), lambda c: territoires.nom_region(c)
    elif echelon is Echelon.DEPARTEMENT:
        options, label = list(territoires.DEPARTEMENTS), lambda c: f"{c} — {territoires.nom_departement(c)}"
    else:
        options, label = [code for code, _, _ in structures], lambda c: f"{names[c]} ({c})"
    code = st.sidebar.selectbox(ECHELONS[echelon], options, format_func=label, key=f"{key}_code_{echelon.value}",
                                index=_index(options, st.query_params.get("code"), str, 0))
    _set_params(echelon=echelon.value, code=code)
    return Perimetre(echelon, code)


def choose_filters(key: str = "f") -> Filtres:
    """Dispositif (RSA first) and the public."""
    dispositifs = [TOUS, "RSA", *[d for d in vocab.DISPOSITIFS if d != "RSA"]]
    values = {}
    values["dispositif"] = st.sidebar.selectbox(
        "Dispositif", dispositifs, format_func=lambda d: "Tous les dispositifs" if d == TOUS else vocab.DISPOSITIFS[d],
        key=f"{key}_dispositif", index=_index(dispositifs, st.query_params.get("dispositif"), str, 0),
    )
    with st.sidebar.expander("Public", expanded=any(p in st.query_params for p in ("sexe", "age", "niveau", "qpv", "frr", "rqth"))):
        for name, label, choices in (
            ("sexe", "Sexe", {TOUS: "Tous", **vocab.SEXES}),
            ("age", "Tranche d'âge", {TOUS: "Toutes", **vocab.TRANCHES_AGE}),
            ("niveau", "Niveau de formation", {TOUS: "Tous", **vocab.NIVEAUX_FORMATION}),
            ("qpv", "Quartier prioritaire (QPV)", OUI_NON),
            ("frr", "Zone France Ruralités Revitalisation", OUI_NON),
            ("rqth", "Reconnaissance de handicap (RQTH)", OUI_NON),
        ):
            options = list(choices)
            values[name] = st.selectbox(label, options, format_func=choices.get, key=f"{key}_{name}",
                                        index=_index(options, st.query_params.get(name), str, 0))
    _set_params(**values)
    as_bool = {TOUS: None, "1": True, "0": False}
    return Filtres(
        dispositif=values["dispositif"] or None,
        sexe=values["sexe"] or None,
        tranche_age=values["age"] or None,
        niveau_formation=values["niveau"] or None,
        qpv=as_bool[values["qpv"]],
        frr=as_bool[values["frr"]],
        rqth=as_bool[values["rqth"]],
    )


def sidebar(compte: Compte, structures: list[tuple[str, str, str]], as_of: dt.date, first_year: int, key: str = "f") -> Selection:
    """All the filters of a view, in the sidebar, from and to the URL."""
    st.sidebar.header("Filtres")
    periode, libelle = choose_period(as_of, first_year, key)
    comparaison, libelle_comparaison = choose_comparison(periode, first_year, as_of, key)
    perimetre = choose_scope(compte, structures, key)
    filtres = choose_filters(key)
    return Selection(periode, perimetre, filtres, libelle, comparaison, libelle_comparaison)


def scoped_page(compte: Compte, db: str, version: int, titre: str, vide: str, key: str) -> tuple[Selection, dt.date]:
    """A page that reads one scope (Impact, « Ce qui marche »): its title, the filters of the sidebar, and the
    scope's own « données au » (`indicators.engine.data_through`), which the page's figures are computed at.
    An empty store stops the page with `vide`."""
    from ui import cache

    as_of, first_year = cache.dates(db, version)
    st.title(titre)
    if as_of is None:
        st.info(vide)
        st.stop()
    selection = sidebar(compte, cache.structures_offered(db, version, compte), as_of, first_year, key=key)
    return selection, cache.data_through(db, version, selection.perimetre) or as_of
