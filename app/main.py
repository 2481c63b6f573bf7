"""Parcours & Impact — the script Streamlit runs: page set-up, who the user is, the menu of their role.

`dashboard.py` (what `make run` starts) serves this script; it lives one level
down on purpose: a `pages/` folder beside the script Streamlit runs would switch
Streamlit 1.67 into its legacy multipage mode, which runs a page asked for by
URL without this entry point, so without sign-in. Here the pages are listed
explicitly from `ui.menu.PAGES`: a page left out of the role's menu cannot be
reached by its URL (Streamlit falls back to the home page), and each page checks
the role again itself from the same table. Before anything reads the store, its
schema is created or upgraded (`mlimpact.migrate.upgrade`, once per process).
"""

import streamlit as st

from ui import auth, cache, menu

st.set_page_config(page_title="Parcours & Impact", page_icon="🧭", layout="wide")

try:  # a store never initialised, or at an older revision, is brought to the current schema first
    cache.schema(cache.current_db())
    cache.precalcul(cache.current_db())  # France's Impact page kept computed ahead after writes (reports/warmup.py)
except Exception as exc:  # whatever the cause, a French message rather than a traceback on every page
    st.title("Parcours & Impact")
    st.error(
        "La base de données n'a pas pu être créée ou mise à jour au démarrage. Lancez `mlimpact init-db` "
        "(avec la même adresse de base, MLIMPACT_DATABASE_URL) et lisez son message, puis rechargez la page."
    )
    st.caption(f"Détail technique : {type(exc).__name__}")
    st.stop()

compte = auth.current_account()
auth.remember_for_this_run(compte)

navigation = st.navigation(
    [
        st.Page(page.path, title=page.titre_pour(compte.role), icon=page.icone, default=page.default)
        for page in menu.pages_for(compte.role)
    ]
)
auth.sidebar_identity(compte)
navigation.run()
