"""The public demo's own controls: a visitor's import keeps the demo open, and « Réinitialiser la démonstration ».

In the demo (`make run`, no ProConnect), every visitor picks a role on the same
fictitious data. Visitors may write: a conseiller's jalons, a director's
objectives, an import — that is what the demo shows. Two rules keep it usable
for the next visitor:

- an import made in the demo keeps the store's demo mark (`import_paths(...,
  keep_dataset=True)`); an import from the command line clears it, so that the
  demo mode never starts on a store that may hold real data
  (`ui.auth.check_demo_store`). One visitor's import used to lock every visitor out;
- the sidebar offers « Réinitialiser la démonstration », which reloads
  `sample_data/demo` (`mlimpact.sample.reset_demo`, the same as
  `mlimpact demo --reinitialiser`) and so undoes every visitor's changes.
"""

from __future__ import annotations

import streamlit as st

from indicators.facts.refresh import refresh_store
from mlimpact.sample import NotADemoStore, reset_demo
from ui import cache

IMPORT_EN_DEMO = (
    "Démonstration : un import est visible de tous les visiteurs. « Réinitialiser la démonstration », dans le "
    "panneau latéral, recharge les données fictives d'origine."
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
