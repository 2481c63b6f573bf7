"""French wording shared by the impact page, the PDF and the Excel file: scope, filters, data date (figures: `presentation.figures`).

Structure names come from imported files: they are free text. The page shows
them through `echapper` (Markdown neutralised), the PDF and the workbook as
plain text; nothing here produces HTML.
"""

from __future__ import annotations

import datetime as dt
import re

from indicators.types import Echelon, Filtres, Perimetre, Periode
from mlimpact import territoires, vocab
from presentation.formats import date_fr, mois_annee

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


# The director's words of a year (`notes` table), each field with its French title, in the order they are printed.
NOTES: dict[str, str] = {
    "faits": "Les faits marquants de l'année",
    "recits": "Des parcours, racontés",
}
