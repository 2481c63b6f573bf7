"""Home page: what the store holds for the signed-in account (structures, jeunes, jalons, period)."""

import pandas as pd
import streamlit as st

from indicators.disclosure import service
from indicators.types import Echelon, Perimetre
from mlimpact.access import default_perimetre
from mlimpact.territoires import nom_departement
from presentation.figures import marque
from presentation.formats import date_fr, entier
from ui import auth, cache

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

# Outside the structure that owns them, the counts are perturbed and the small ones masked (docs/disclosure.md).
regle = cache.disclosure_rule(db, version, compte, default_perimetre(compte))


def montre(r, n: int, cle: int) -> str:
    shown, traitement = service.count_as_seen(r, n, cle)
    return f"< {r.k}" if shown is None else marque(traitement, entier(shown))


k_jeunes, k_acc, k_jalons = resume.cles
cols = st.columns(4)
cols[0].metric("Structures", entier(resume.structures), help="Missions Locales de votre périmètre.")
cols[1].metric("Départements", entier(resume.departements))
cols[2].metric("Jeunes", montre(regle, resume.jeunes, k_jeunes), help="Jeunes accompagnés (identifiants pseudonymes).")
cols[3].metric("Jalons", montre(regle, resume.jalons, k_jalons), help="Étapes datées des parcours.")
st.write(
    f"Période couverte : du {date_fr(resume.premiere_date)} au {date_fr(resume.derniere_date)} "
    f"({montre(regle, resume.accompagnements, k_acc)} accompagnements)."
)
if not regle.exact:
    st.caption(f"Secret statistique : chiffres légèrement perturbés (« ≈ »), effectifs de 1 à {regle.k - 1} masqués.")

st.subheader("Structures")
rows = [r for r in cache.structures_table(db, version) if visibles is None or r[0] in visibles]
cles = cache.structure_keys(db, version)
jeunes = [
    montre(cache.disclosure_rule(db, version, compte, Perimetre(Echelon.STRUCTURE, code)), n, cles.get(code, 0))
    for code, _, _, n in rows
]
table = pd.DataFrame({
    "Code": [r[0] for r in rows], "Structure": [r[1] for r in rows],
    "Département": [f"{dep} — {nom_departement(dep)}" for _, _, dep, _ in rows], "Jeunes": jeunes,
})
st.dataframe(table, hide_index=True, width="stretch")
