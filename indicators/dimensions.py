"""The dimensions a breakdown can use, with their modalities and French labels.

Closed vocabularies list every modality (a modality with nobody shows 0);
structures, départements and régions list those of the scope.
"""

from __future__ import annotations

from sqlalchemy import Connection

from indicators.registry import DOMAINE_VOCABULARIES, Indicateur
from indicators.sql import NON_RENSEIGNE, structures_in_scope
from indicators.types import Perimetre
from mlimpact import territoires, vocab

DIMENSIONS: dict[str, str] = {
    "sexe": "Sexe",
    "tranche_age": "Tranche d'âge",
    "dispositif": "Dispositif",
    "niveau_formation": "Niveau de formation",
    "qpv": "Quartier prioritaire (QPV)",
    "frr": "Zone France Ruralités Revitalisation",
    "rqth": "Reconnaissance travailleur handicapé",
    "structure": "Mission Locale",
    "departement": "Département",
    "region": "Région",
    "domaine": "Domaine",
}

_OUI_NON = {
    "qpv": {"oui": "En QPV", "non": "Hors QPV"},
    "frr": {"oui": "En zone FRR", "non": "Hors zone FRR"},
    "rqth": {"oui": "Avec RQTH", "non": "Sans RQTH"},
}


def modalities(conn: Connection, dimension: str, perimetre: Perimetre, definition: Indicateur) -> dict[str, str]:
    """{modality code: French label}, in display order."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension inconnue : « {dimension} » (attendu : {', '.join(DIMENSIONS)}).")
    if dimension == "sexe":
        return dict(vocab.SEXES)
    if dimension == "tranche_age":
        return dict(vocab.TRANCHES_AGE)
    if dimension == "dispositif":
        return dict(vocab.DISPOSITIFS)
    if dimension == "niveau_formation":
        return {**vocab.NIVEAUX_FORMATION, NON_RENSEIGNE: "Non renseigné"}
    if dimension in _OUI_NON:
        return dict(_OUI_NON[dimension])
    if dimension == "domaine":
        if definition.domaines is None:
            raise ValueError(f"l'indicateur {definition.code} ne se ventile pas par domaine.")
        return dict(DOMAINE_VOCABULARIES[definition.domaines])
    structures = structures_in_scope(conn, perimetre)
    if dimension == "structure":
        return {code: nom for code, nom, _ in structures}
    departements = sorted({dep for _, _, dep in structures})
    if dimension == "departement":
        return {code: f"{code} {territoires.nom_departement(code)}" for code in departements}
    regions = sorted({territoires.DEPARTEMENTS[dep].region for dep in departements})
    return {code: territoires.nom_region(code) for code in regions}
