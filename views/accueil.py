"""Home page: what the store holds (structures, jeunes, jalons, period covered)."""

import pandas as pd
import streamlit as st

from mlimpact.territoires import nom_departement
from ui import loaders
from ui.formats import date_fr, entier

st.title("Parcours & Impact")
st.write(
    "Ce que l'accompagnement des Missions Locales produit, prévient et évite — "
    "pas seulement combien de jeunes sont suivis et ce que cela coûte."
)

db = loaders.current_db()
version = loaders.data_version(db)
resume = loaders.store_overview(db, version)

st.subheader("Ce que contient la base")
if resume.structures == 0:
    st.info("La base est vide. Chargez des données avec `mlimpact import` ou `make run` (jeu de démonstration).")
    st.stop()

cols = st.columns(4)
cols[0].metric("Structures", entier(resume.structures), help="Missions Locales présentes dans la base.")
cols[1].metric("Départements", entier(resume.departements))
cols[2].metric("Jeunes", entier(resume.jeunes), help="Jeunes accompagnés (identifiants pseudonymes).")
cols[3].metric("Jalons", entier(resume.jalons), help="Étapes datées des parcours.")
st.write(
    f"Période couverte : du **{date_fr(resume.premiere_date)}** au **{date_fr(resume.derniere_date)}** "
    f"({entier(resume.accompagnements)} accompagnements)."
)

st.subheader("Structures")
rows = loaders.structures_table(db, version)
table = pd.DataFrame(
    [(code, nom, f"{dep} — {nom_departement(dep)}", n) for code, nom, dep, n in rows],
    columns=["Code", "Structure", "Département", "Jeunes"],
)
st.dataframe(table, hide_index=True, width="stretch")
