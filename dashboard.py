"""Parcours & Impact — entry point: page set-up, then the navigation over the pages.

Run with `make run` (or `streamlit run dashboard.py`). Each page is a short
script in `pages/`; this file only builds the chrome and the menu.
"""

import streamlit as st

st.set_page_config(page_title="Parcours & Impact", page_icon="🧭", layout="wide")

pages = [
    st.Page("pages/accueil.py", title="Accueil", icon=":material/home:", default=True),
]

navigation = st.navigation(pages)
st.sidebar.caption("Parcours & Impact — Missions Locales")
navigation.run()
