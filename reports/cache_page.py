"""Cached loaders of the director's pages: `reports.contenu` parts keyed by (db, data version, account, request).

A write or an import bumps the data version, so the next rerun reads fresh
figures; the account is part of every key, so one account's masked figures are
never served to another. Each part is cached on its own: a widget that changes
one part (a theme, a case of the waterfall) recomputes only that part.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from indicators import impact as modele
from indicators.types import Perimetre, Valeur
from mlimpact import impact_settings
from mlimpact.access import Compte
from reports import contenu as ct
from ui import loaders

TTL = 600


@st.cache_data(ttl=TTL, show_spinner=False)
def dates(db: str, version: int) -> tuple[dt.date | None, int]:
    """(as_of, first year of data) of the whole store: what the period filter offers."""
    premiere, _ = loaders.store_dates(db, version)
    as_of = ct.date_des_donnees(loaders.engine(db))
    first = premiere.year if premiere else (as_of or dt.date.today()).year
    return as_of, first


@st.cache_data(ttl=TTL, show_spinner=False)
def parametres(db: str, version: int, perimetre: Perimetre) -> modele.ParametresImpact:
    return ct.parametres(loaders.engine(db), perimetre)


@st.cache_data(ttl=TTL, show_spinner=False)
def modification_parametres(db: str, version: int, code_structure: str) -> dict | None:
    with loaders.engine(db).connect() as conn:
        return impact_settings.last_change(conn, code_structure)


@st.cache_data(ttl=TTL, show_spinner="Calcul des indicateurs…")
def figures(db: str, version: int, compte: Compte, demande: ct.Demande) -> dict[str, tuple[Valeur, Valeur]]:
    return ct.figures(loaders.engine(db), compte, demande, parametres(db, version, demande.perimetre))


@st.cache_data(ttl=TTL, show_spinner=False)
def objectifs(db: str, version: int, compte: Compte, demande: ct.Demande) -> pd.DataFrame | None:
    return ct.objectifs(loaders.engine(db), compte, demande, parametres(db, version, demande.perimetre))


@st.cache_data(ttl=TTL, show_spinner="Calcul des évolutions mensuelles…")
def tendances(db: str, version: int, compte: Compte, demande: ct.Demande) -> pd.DataFrame:
    return ct.tendances(loaders.engine(db), compte, demande, parametres(db, version, demande.perimetre))


@st.cache_data(ttl=TTL, show_spinner=False)
def theme(db: str, version: int, compte: Compte, demande: ct.Demande, nom: str) -> list[pd.DataFrame]:
    return ct.theme(loaders.engine(db), compte, demande, nom)


@st.cache_data(ttl=TTL, show_spinner=False)
def risques(db: str, version: int, compte: Compte, demande: ct.Demande) -> pd.DataFrame:
    return ct.risques(loaders.engine(db), compte, demande)


@st.cache_data(ttl=TTL, show_spinner=False)
def courbe(db: str, version: int, compte: Compte, demande: ct.Demande) -> pd.DataFrame:
    return ct.courbe(loaders.engine(db), compte, demande)


@st.cache_data(ttl=TTL, show_spinner=False)
def contexte(db: str, version: int, perimetre: Perimetre) -> tuple[str, str | None]:
    return ct.contexte(loaders.engine(db), perimetre)
