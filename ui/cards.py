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
from ui import lazy

# A FIXED stylesheet (never user text): a card's label, value and change wrap between words instead of being cut
# (« 2,1 par jeu… » in a column of four); print without the sidebar and toolbar nor split cards; on a phone,
# a title that wraps between words and columns stacked one under the other.
STYLES = """
<style>
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] p,
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] div, [data-testid="stMetricLabel"] p,
[data-testid="stMetricValue"], [data-testid="stMetricValue"] div, [data-testid="stMetricValue"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto !important;
}
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"],
  [data-testid="stHeader"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stDownloadButton"], [data-testid="stBaseButton-headerNoPadding"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stAppViewContainer"] { margin-left: 0 !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 1rem !important; }
  [data-testid="stMetric"], [data-testid="stVerticalBlockBorderWrapper"], [data-testid="stVegaLiteChart"],
  [data-testid="stElementContainer"], [data-testid="stColumn"] { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
}
@media (max-width: 640px) {
  h1 { font-size: 1.75rem !important; overflow-wrap: normal !important; word-break: normal !important; hyphens: manual; }
  [data-testid="stHorizontalBlock"] { flex-wrap: wrap !important; }
  [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] { flex: 1 1 100% !important; width: 100% !important; min-width: 100% !important; }
}
</style>
"""


def page_css() -> None:
    """The page's fixed print and phone stylesheet."""
    st.html(STYLES)


def variation_delta(code: str, actuel: Valeur | None, precedent: Valeur | None, comparaison: str = "") -> str | None:
    """The change as `st.metric` takes it, with the period it is against; None when it is not a figure."""
    text = figures.texte_variation_contre(code, actuel, precedent, comparaison)
    return text if figures.est_chiffre(text) else None


def delta_color(code: str) -> str:
    """Streamlit's delta colouring follows the direction of improvement (arrows carry it too)."""
    sens = REGISTRY[code].sens
    return {Sens.HAUSSE: "normal", Sens.BAISSE: "inverse"}.get(sens, "off")


@dataclass(frozen=True)
class Objectif:
    cible: float
    statut: str  # "atteint", "non atteint", "en cours", "sans valeur"
    libelle: str  # the whole sentence (presentation.figures.texte_objectif)


def card(
    code: str,
    valeur: Valeur | None,
    precedent: Valeur | None = None,
    objectif: Objectif | None = None,
    key_prefix: str = "",
    k: int = 11,
    comparaison: str = "",
) -> None:
    """Draw one indicator as a metric with its definition one click away.

    `comparaison` names the period the change is against (« 01/01/2024–31/12/2024 »).
    """
    ind = REGISTRY[code]
    delta = variation_delta(code, valeur, precedent, comparaison)
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
        st.caption(objectif.libelle)
    # Written only when the popover is open (`ui.lazy`): forty cards of six elements each were a third of the
    # server's time per session at a meeting (docs/benchmarks.md); the card's own tooltip gives the definition at once.
    lazy.when_open(st.popover("Définition", width="stretch", key=f"{key_prefix}def_{code}", on_change="rerun"),
                   lambda: definition(code, valeur))


def definition(code: str, valeur: Valeur | None) -> None:
    """A card's definition as one text: the registry's words (never free text), and « Ici : n / d »."""
    ind = REGISTRY[code]
    paragraphes = [f"**{ind.libelle}** — {ind.definition}", f"Numérateur : {ind.numerateur}",
                   f"Dénominateur : {ind.denominateur or '1 (simple décompte)'}"]
    if valeur is not None and not valeur.masque and valeur.numerateur is not None:
        paragraphes.append(f"Ici : {nombre(valeur.numerateur)} / {nombre(valeur.denominateur)}")
    if ind.precision:
        paragraphes.append(f"Règle exacte : {ind.precision}")
    st.markdown("\n\n".join(paragraphes))
    st.caption(f"Unité : {ind.unite}. Sens : {SENS[ind.sens]}.")
