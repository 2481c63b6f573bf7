"""Parcours & Impact — entry point: page set-up, who the user is, the menu of their role.

Run with `make run` (or `streamlit run dashboard.py`). Each page is a short
script in `views/`; this file only builds the chrome and `st.navigation` over
the pages the signed-in role may open. A page left out of the menu cannot be
reached by its URL either (Streamlit falls back to the home page), and each page
checks the role again itself.

The pages live in `views/`, not `pages/`: in Streamlit 1.67 a `pages/` folder
beside this file switches on the legacy multipage mode, which runs page scripts
without this entry point — that is, without sign-in.
"""

import streamlit as st

from ui import auth

st.set_page_config(page_title="Parcours & Impact", page_icon="🧭", layout="wide")

compte = auth.current_account()
auth.remember_for_this_run(compte)

TOUS = {"conseiller", "directeur", "departement", "bureau", "admin"}
PAGES = [
    (st.Page("views/accueil.py", title="Accueil", icon=":material/home:", default=True), TOUS),
    (st.Page("views/admin.py", title="Administration", icon=":material/admin_panel_settings:"), {"admin"}),
]

navigation = st.navigation([page for page, roles in PAGES if compte.role in roles])
auth.sidebar_identity(compte)
navigation.run()
