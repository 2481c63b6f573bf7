"""KPI cards: a figure, its change against the previous period, its objective, its definition.

One function draws a card; `key_prefix` lets the same indicator appear in several
places. Every text shown here is ours (labels from the registry), never user text.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from indicators.registry import REGISTRY, SENS
from indicators.types import Nature, Sens, Valeur
from presentation.formats import entier, euros, nombre, pourcent


def valeur_texte(code: str, valeur: Valeur | None, k: int = 11) -> str:
    """A figure in French format, or the masked wording ("< 11", "secret"), or "—"."""
    ind = REGISTRY[code]
    if valeur is None:
        return "—"
    if valeur.masque:
        return f"< {k}" if ind.nature is Nature.COUNT else "secret"
    if valeur.valeur is None:
        return "—"
    if ind.nature is Nature.RATIO:
        return pourcent(valeur.valeur, 1)
    if ind.nature is Nature.EUROS:
        return euros(valeur.valeur, 0)
    if ind.nature is Nature.COUNT:
        return entier(valeur.valeur)
    return nombre(valeur.valeur, ind.decimales)


def variation_texte(code: str, actuel: Valeur | None, precedent: Valeur | None) -> str | None:
    """The change against the previous period, in the indicator's unit (points for a ratio)."""
    if not actuel or not precedent or actuel.valeur is None or precedent.valeur is None:
        return None
    ind = REGISTRY[code]
    diff = actuel.valeur - precedent.valeur
    sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
    if ind.nature is Nature.RATIO:
        return f"{sign}{nombre(abs(diff), 1)} pt"
    if ind.nature is Nature.EUROS:
        return f"{sign}{euros(abs(diff), 0)}"
    return f"{sign}{nombre(abs(diff), ind.decimales)}"


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
    delta = variation_texte(code, valeur, precedent)
    arrow_delta = delta.replace("−", "-", 1) if delta else None  # Streamlit reads the direction from an ASCII minus
    flat = bool(delta) and delta.startswith("±")
    st.metric(
        ind.libelle,
        valeur_texte(code, valeur, k),
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
