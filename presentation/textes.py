"""French wording shared by the impact page, the PDF and the Excel file: scope, filters, data date.

Structure names come from imported files: they are free text. The page shows
them through `echapper` (Markdown neutralised), the PDF and the workbook as
plain text; nothing here produces HTML.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from indicators.disclosure.masking import DEFAULT_K, libelle_masque
from indicators.registry import REGISTRY
from indicators.types import Echelon, Filtres, Nature, Perimetre, Periode, Valeur
from mlimpact import territoires, vocab
from presentation.formats import NBSP, date_fr, entier, euros, mois_annee, nombre, pourcent

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")

FILTRES_LIBELLES = {
    "dispositif": ("Dispositif", vocab.DISPOSITIFS),
    "sexe": ("Sexe", vocab.SEXES),
    "tranche_age": ("Tranche d'âge", vocab.TRANCHES_AGE),
    "niveau_formation": ("Niveau de formation", vocab.NIVEAUX_FORMATION),
    "qpv": ("Quartier prioritaire (QPV)", None),
    "frr": ("Zone France Ruralités Revitalisation", None),
    "rqth": ("RQTH", None),
}


# Units written after a number (the registry's unit is for sentences: « entretiens par jeune »).
UNITES_COURTES = {"entretiens par jeune": "par jeune", "€ par € investi": "€"}


def echapper(text: str) -> str:
    """Free text made inert for Markdown (st.caption, st.markdown): every special character escaped."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", " ")


def libelle_perimetre(perimetre: Perimetre, noms: dict[str, str] | None = None) -> str:
    """`Mission Locale de Marseille (ML13001)`, `Département 13 — Bouches-du-Rhône`, `France entière`."""
    if perimetre.echelon is Echelon.NATIONAL:
        return "France entière"
    if perimetre.echelon is Echelon.STRUCTURE:
        nom = (noms or {}).get(perimetre.code)
        return f"{nom} ({perimetre.code})" if nom else f"Structure {perimetre.code}"
    if perimetre.echelon is Echelon.DEPARTEMENT:
        return f"Département {perimetre.code} — {territoires.nom_departement(perimetre.code)}"
    return f"Région {territoires.nom_region(perimetre.code)}"


def libelle_filtres(filtres: Filtres) -> str:
    """The filters that are set, in words; « tous les jeunes » when none."""
    parts = []
    for name, value in filtres.actifs().items():
        label, choices = FILTRES_LIBELLES[name]
        if isinstance(value, bool):
            shown = "oui" if value else "non"
        else:
            shown = (choices or {}).get(value, str(value))
        parts.append(f"{label} : {shown}")
    return " ; ".join(parts) if parts else "tous les jeunes, tous les dispositifs"


def libelle_periode(periode: Periode) -> str:
    return f"du {date_fr(periode.debut)} au {date_fr(periode.fin)}"


def mois_incomplet(periode: Periode, as_of: dt.date | None) -> str | None:
    """A warning when the period reaches past the data: the month of as_of is incomplete, later ones empty."""
    if as_of is None or periode.fin <= as_of:
        return None
    last_day = (as_of.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    if as_of == last_day:
        return (
            f"La période va au-delà des données : elles s'arrêtent au {date_fr(as_of)}. "
            "Les chiffres portent sur la partie écoulée de la période."
        )
    return (
        f"Mois incomplet : les données de {mois_annee(as_of)} s'arrêtent au {date_fr(as_of)}. "
        "Les chiffres de la période ne sont pas encore définitifs."
    )


def texte_figure(code: str, valeur: Valeur | None, k: int = DEFAULT_K) -> str:
    """A figure as the page shows it: French format, unit, or its masked wording (« < 11 », « secret »)."""
    ind = REGISTRY[code]
    if valeur is None:
        return "—"
    if valeur.masque:
        return libelle_masque(valeur, k, ind.nature)
    return texte_nombre(code, valeur.valeur)


def texte_nombre(code: str, value: float | None) -> str:
    """A plain number of indicator `code` in French with its unit."""
    ind = REGISTRY[code]
    if value is None or math.isnan(value):
        return "—"
    if ind.nature is Nature.RATIO:
        return pourcent(value, ind.decimales)
    if ind.nature is Nature.EUROS:
        return euros(value, 0)
    if ind.nature is Nature.COUNT:
        return entier(value)
    return f"{nombre(value, ind.decimales)}{NBSP}{UNITES_COURTES.get(ind.unite, ind.unite)}"


def texte_variation(code: str, actuel: Valeur | None, precedent: Valeur | None) -> str:
    """The change against the previous period in the indicator's unit (points for a ratio); « — » when unknown."""
    if not actuel or not precedent or actuel.valeur is None or precedent.valeur is None:
        return "—"
    ind = REGISTRY[code]
    diff = actuel.valeur - precedent.valeur
    sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
    if ind.nature is Nature.RATIO:
        return f"{sign}{nombre(abs(diff), 1)}{NBSP}pt"
    if ind.nature is Nature.EUROS:
        return f"{sign}{euros(abs(diff), 0)}"
    return f"{sign}{nombre(abs(diff), ind.decimales)}"
