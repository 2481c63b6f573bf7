"""Cached access to the store for the pages: one engine per database, figures keyed by data version.

Every cached loader takes the database URL and the data version, so a write or
an import (which bumps the version) makes the next rerun read fresh figures; the
`ttl` bounds how long a version check itself is trusted.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from indicators.engine import months
from mlimpact import overview as ov
from mlimpact import store
from mlimpact.config import database_url
from mlimpact.db import make_engine


def current_db() -> str:
    """The URL of the store this app serves (MLIMPACT_DATABASE_URL or the default SQLite file)."""
    return database_url()


@st.cache_resource(show_spinner=False)
def engine(db: str) -> Engine:
    return make_engine(db)


@st.cache_data(ttl=5, show_spinner=False)
def data_version(db: str) -> int:
    return store.current_data_version(engine(db))


@st.cache_data(ttl=600, show_spinner=False)
def store_overview(db: str, version: int, structures: tuple[str, ...] | None = None) -> ov.Overview:
    with engine(db).connect() as conn:
        return ov.overview(conn, list(structures) if structures is not None else None)


@st.cache_data(ttl=600, show_spinner=False)
def store_dates(db: str, version: int, structures: tuple[str, ...] | None = None) -> tuple:
    """(first, latest) jalon date of the store or of the given structures."""
    with engine(db).connect() as conn:
        return ov.dates(conn, list(structures) if structures is not None else None)


@st.cache_data(ttl=600, show_spinner=False)
def structures_table(db: str, version: int) -> list[tuple[str, str, str, int]]:
    with engine(db).connect() as conn:
        return ov.jeunes_par_structure(conn)


@st.cache_data(ttl=600, show_spinner=False)
def visible_structures(db: str, version: int, compte) -> tuple[str, ...] | None:
    """The structures the account may see (None: all), from the access rules of the data layer."""
    from mlimpact.access import structures_visibles

    with engine(db).connect() as conn:
        codes = structures_visibles(conn, compte)
    return None if codes is None else tuple(codes)


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
