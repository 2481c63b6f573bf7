"""Home page: what the store holds for the signed-in account (structures, jeunes, jalons, period)."""

import pandas as pd
import streamlit as st

from mlimpact.territoires import nom_departement
from ui import auth, loaders
from ui.formats import date_fr, entier

compte = auth.page_account({"conseiller", "directeur", "departement", "bureau", "admin"})
db = loaders.current_db()
version = loaders.data_version(db)
visibles = loaders.visible_structures(db, version, compte)

st.title("Parcours & Impact")
st.write(
    "Ce que l'accompagnement des Missions Locales produit, prévient et évite — "
    "pas seulement combien de jeunes sont suivis et ce que cela coûte."
)

resume = loaders.store_overview(db, version, visibles)
st.subheader("Ce que contient la base")
if resume.structures == 0:
    st.info("Aucune donnée pour votre périmètre. Chargez des données avec `mlimpact import` ou la page d'import.")
    st.stop()

cols = st.columns(4)
cols[0].metric("Structures", entier(resume.structures), help="Missions Locales de votre périmètre.")
cols[1].metric("Départements", entier(resume.departements))
cols[2].metric("Jeunes", entier(resume.jeunes), help="Jeunes accompagnés (identifiants pseudonymes).")
cols[3].metric("Jalons", entier(resume.jalons), help="Étapes datées des parcours.")
st.write(
    f"Période couverte : du {date_fr(resume.premiere_date)} au {date_fr(resume.derniere_date)} "
    f"({entier(resume.accompagnements)} accompagnements)."
)

st.subheader("Structures")
rows = [r for r in loaders.structures_table(db, version) if visibles is None or r[0] in visibles]
table = pd.DataFrame(
    [(code, nom, f"{dep} — {nom_departement(dep)}", n) for code, nom, dep, n in rows],
    columns=["Code", "Structure", "Département", "Jeunes"],
)
st.dataframe(table, hide_index=True, width="stretch")
