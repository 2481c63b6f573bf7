"""Page under construction (replaced by its issue)."""

import streamlit as st

from ui import auth

auth.page_account({"conseiller", "directeur", "departement", "bureau", "admin"})
st.info("Page en construction.")
