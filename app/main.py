"""Parcours & Impact — the script Streamlit runs: page set-up, who the user is, the menu of their role.

`dashboard.py` (what `make run` starts) serves this script; it lives one level
down on purpose: a `pages/` folder beside the script Streamlit runs would switch
Streamlit 1.67 into its legacy multipage mode, which runs a page asked for by
URL without this entry point, so without sign-in. Here the pages are listed
explicitly from `ui.menu.PAGES`: a page left out of the role's menu cannot be
reached by its URL (Streamlit falls back to the home page), and each page checks
the role again itself from the same table.
"""

import streamlit as st

from ui import auth, menu

st.set_page_config(page_title="Parcours & Impact", page_icon="🧭", layout="wide")

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
