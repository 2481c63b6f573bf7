"""Méthodologie: every definition, generated from the registry (`presentation.methodology`), and the impact parameters.

The text is ours (the registry), never user input, so it is rendered as
Markdown. A director also sees the impact parameters that apply to their
structure when they edited them.
"""

import streamlit as st

from indicators.models.impact import parameters_table
from indicators.registry import REGISTRY_VERSION
from mlimpact.access import default_perimetre
from presentation.formats import date_fr
from presentation.methodology import frame, markdown
from presentation.textes import echapper
from reports import figures as fig
from ui import auth, cache

compte = auth.page_account(__file__)
db = cache.current_db()
version = cache.data_version(db)
as_of, _ = cache.dates(db, version)
perimetre = default_perimetre(compte)
libelle, _dep = cache.contexte(db, version, perimetre)

st.caption(
    f"**{echapper(libelle)}** · données au {date_fr(as_of)} · définitions version {REGISTRY_VERSION}"
)
vue_texte, vue_tableau = st.tabs(["Les définitions", "Tableau de toutes les définitions"])
with vue_texte:
    st.markdown(markdown(with_parameters=True))
    if compte.code_structure:
        params = cache.parametres(db, version, perimetre)
        if params.modifie:
            st.subheader("Les paramètres de votre structure")
            st.write(f"Votre direction a modifié les hypothèses du modèle d'impact : version « {echapper(params.version)} ».")
            st.dataframe(fig.table_hypotheses(parameters_table(params)), hide_index=True, width="stretch")
with vue_tableau:
    table = frame()[["famille_libelle", "libelle", "code", "definition", "numerateur", "denominateur", "unite", "sens", "niveau", "precision"]]
    table.columns = ["Famille", "Indicateur", "Code", "Définition", "Numérateur", "Dénominateur", "Unité", "Sens", "Niveau", "Règle de calcul"]
    st.dataframe(table, hide_index=True, width="stretch")
