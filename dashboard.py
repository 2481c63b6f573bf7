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
STRUCTURE = {"conseiller", "directeur"}
PAGES = [
    (st.Page("views/accueil.py", title="Accueil", icon=":material/home:", default=True), TOUS),
    (st.Page("views/impact.py", title="Impact", icon=":material/insights:"), TOUS),
    (st.Page("views/convention.py", title="Objectifs et financements", icon=":material/flag:"), {"directeur"}),
    (st.Page("views/parcours.py", title="Parcours", icon=":material/timeline:"), STRUCTURE),
    (st.Page("views/a_traiter.py", title="À traiter", icon=":material/checklist:"), STRUCTURE),
    (st.Page("views/import_donnees.py", title="Import", icon=":material/upload_file:"), STRUCTURE | {"admin"}),
    (st.Page("views/national.py", title="Vue nationale", icon=":material/map:"), {"bureau", "departement", "admin"}),
    (st.Page("views/methodologie.py", title="Méthodologie", icon=":material/menu_book:"), TOUS),
    (st.Page("views/admin.py", title="Administration", icon=":material/admin_panel_settings:"), {"admin"}),
]

navigation = st.navigation([page for page, roles in PAGES if compte.role in roles])
auth.sidebar_identity(compte)
navigation.run()
