"""The public demo's own controls: imports only checked, never written, and « Réinitialiser la démonstration ».

In the demo (`make run`, no ProConnect), every visitor picks a role on the same
fictitious data. Visitors may write through the forms (a conseiller's jalons, a
director's objectives): that is what the demo shows. Two rules keep it usable
for the next visitor:

- an import is only checked (« Vérifier sans importer »), never written: an
  import would replace the demo data set, and the demo mode refuses to start on
  a store that holds anything else (`ui.auth.check_demo_store`);
- the sidebar offers « Réinitialiser la démonstration », which reloads
  `sample_data/demo` (`mlimpact.sample.reset_demo`, the same as
  `mlimpact demo --reinitialiser`) and so undoes every visitor's changes.
"""

from __future__ import annotations

import streamlit as st

from indicators.facts.refresh import refresh_store
from mlimpact.sample import NotADemoStore, reset_demo
from ui import cache

IMPORT_REFUSE = (
    "Démonstration : les imports ne sont pas enregistrés, pour que la démonstration reste la même pour tous les "
    "visiteurs. « Vérifier sans importer » fait tout le contrôle d'un fichier et montre ce qui serait ajouté, mis à "
    "jour ou refusé."
)


def _reset(db: str) -> None:
    try:
        result = reset_demo(cache.engine(db), author="visiteur de la démonstration")
    except NotADemoStore as exc:
        st.session_state["_demo_reset"] = ("error", str(exc))
        return
    if result.exit_code:
        st.session_state["_demo_reset"] = ("error", "Le jeu de démonstration n'a pas pu être rechargé : " + "; ".join(result.errors[:3]))
        return
    refresh_store(cache.engine(db))
    cache.data_version.clear()  # every session reads the reloaded data at its next run
    st.session_state["_demo_reset"] = ("success", "Démonstration réinitialisée : les données fictives d'origine sont rechargées.")


def sidebar_reset(db: str) -> None:
    """The button that brings the demo back to its data set, with a confirmation."""
    with st.sidebar.popover("Réinitialiser la démonstration", icon=":material/restart_alt:", width="stretch"):
        st.write("Efface tout ce que les visiteurs ont saisi (jalons, objectifs, paramètres) et recharge les données "
                 "fictives d'origine, pour tous les visiteurs. Cela prend quelques secondes.")
        st.button("Confirmer la réinitialisation", on_click=_reset, args=(db,), type="primary", key="demo_reset")
    message = st.session_state.pop("_demo_reset", None)
    if message:
        (st.sidebar.success if message[0] == "success" else st.sidebar.error)(message[1])
