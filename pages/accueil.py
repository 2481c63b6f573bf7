"""Home page: what the store holds for the signed-in account (structures, jeunes, jalons, period)."""

import pandas as pd
import streamlit as st

from indicators.disclosure.masking import DEFAULT_K, mask_table
from mlimpact.territoires import nom_departement
from ui import auth
from ui import cache
from presentation.figures import avec_affichage
from presentation.formats import date_fr, entier

compte = auth.page_account(__file__)
db = cache.current_db()
version = cache.data_version(db)
visibles = cache.visible_structures(db, version, compte)

st.title("Parcours & Impact")
st.write(
    "Ce que l'accompagnement des Missions Locales produit, prévient et évite — "
    "pas seulement combien de jeunes sont suivis et ce que cela coûte."
)

resume = cache.store_overview(db, version, visibles)
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
rows = [r for r in cache.structures_table(db, version) if visibles is None or r[0] in visibles]
seuil = 0 if compte.est_structure or compte.role == "admin" else DEFAULT_K
parts = pd.DataFrame(
    [(code, nom, n, None, None) for code, nom, _, n in rows]
    + [("Total", "Total", sum(r[3] for r in rows), None, None)],
    columns=["modalite", "libelle", "valeur", "numerateur", "denominateur"],
)
# Counts of young people per structure outside its own people: small ones masked, with secondary masking.
shown = avec_affichage(mask_table(parts, seuil) if seuil else parts, seuil)
departements = [f"{dep} — {nom_departement(dep)}" for _, _, dep, _ in rows] + [""]
table = pd.DataFrame(
    {"Code": shown["modalite"], "Structure": shown["libelle"], "Département": departements, "Jeunes": shown["affichage"]}
)
st.dataframe(table.iloc[:-1], hide_index=True, width="stretch")
