"""KPI cards: a figure, its change against the previous period, its objective, its definition.

One function draws a card; `key_prefix` lets the same indicator appear in several
places. Every text shown here is ours (labels from the registry), never user text.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from indicators.registry import REGISTRY, SENS
from indicators.types import Sens, Valeur
from presentation import figures
from presentation.formats import nombre


def variation_delta(code: str, actuel: Valeur | None, precedent: Valeur | None) -> str | None:
    """The change as `st.metric` takes it: the text of `presentation.figures`, None when it is not a figure."""
    text = figures.texte_variation(code, actuel, precedent)
    return text if figures.est_chiffre(text) else None


def delta_color(code: str) -> str:
    """Streamlit's delta colouring follows the direction of improvement (arrows carry it too)."""
    sens = REGISTRY[code].sens
    return {Sens.HAUSSE: "normal", Sens.BAISSE: "inverse"}.get(sens, "off")


@dataclass(frozen=True)
class Objectif:
    cible: float
    statut: str  # "atteint", "non atteint", "en cours", "sans valeur"
    libelle: str


def card(
    code: str,
    valeur: Valeur | None,
    precedent: Valeur | None = None,
    objectif: Objectif | None = None,
    key_prefix: str = "",
    k: int = 11,
) -> None:
    """Draw one indicator as a metric with its definition one click away."""
    ind = REGISTRY[code]
    delta = variation_delta(code, valeur, precedent)
    arrow_delta = delta.replace("−", "-", 1) if delta else None  # Streamlit reads the direction from an ASCII minus
    flat = bool(delta) and delta.startswith("±")
    st.metric(
        ind.libelle,
        figures.texte_valeur(code, valeur, k),
        delta=arrow_delta,
        delta_color=delta_color(code) if delta and not flat else "off",
        delta_arrow="off" if flat else "auto",
        help=ind.definition,
        border=True,
    )
    if objectif is not None:
        st.caption(f"Objectif de la convention : {objectif.libelle} — {objectif.statut}")
    with st.popover("Définition", width="stretch", key=f"{key_prefix}def_{code}"):
        st.markdown(f"**{ind.libelle}** — {ind.definition}")
        st.write(f"Numérateur : {ind.numerateur}")
        st.write(f"Dénominateur : {ind.denominateur or '1 (simple décompte)'}")
        if valeur is not None and not valeur.masque and valeur.numerateur is not None:
            st.write(f"Ici : {nombre(valeur.numerateur)} / {nombre(valeur.denominateur)}")
        if ind.precision:
            st.write(f"Règle exacte : {ind.precision}")
        st.caption(f"Unité : {ind.unite}. Sens : {SENS[ind.sens]}.")
