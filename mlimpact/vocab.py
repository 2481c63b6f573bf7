"""The closed vocabularies of the exchange format (docs/format.md), defined once.

Every enumeration the store, the import, the forms and the engine check against
lives here, with its French wording for the interface.
"""

from __future__ import annotations

# --- accompagnements -------------------------------------------------------
DISPOSITIFS: dict[str, str] = {
    "RSA": "Accompagnement RSA (organisme référent)",
    "CEJ": "Contrat d'engagement jeune",
    "PACEA": "PACEA",
    "ASE": "Sortants de l'aide sociale à l'enfance",
    "OF": "Obligation de formation 16-18 ans",
    "DROIT_COMMUN": "Droit commun",
}
# Short names, where a line or a cell is narrow (the frise): the acronyms French readers know, words otherwise.
DISPOSITIFS_COURTS: dict[str, str] = {
    "RSA": "RSA", "CEJ": "CEJ", "PACEA": "PACEA", "ASE": "Sortants de l'ASE", "OF": "Obligation de formation",
    "DROIT_COMMUN": "Droit commun",
}

FINANCEURS: dict[str, str] = {
    "CD": "Conseil départemental",
    "ETAT": "État",
    "FSE": "Fonds social européen",
    "AUTRE": "Autre financeur",
}

MOTIFS_POSITIFS: dict[str, str] = {
    "emploi_durable": "Emploi durable",
    "emploi": "Emploi",
    "alternance": "Alternance",
    "formation_qualifiante": "Formation qualifiante",
    "reprise_scolarite": "Reprise de scolarité",
    "creation_entreprise": "Création d'entreprise",
}
MOTIFS_AUTRES: dict[str, str] = {
    "abandon": "Abandon (contact perdu)",
    "demenagement": "Déménagement",
    "limite_age": "Limite d'âge",
    "reorientation": "Réorientation",
    "autre": "Autre motif",
}
MOTIFS_FIN: dict[str, str] = {**MOTIFS_POSITIFS, **MOTIFS_AUTRES}

# --- jalons ----------------------------------------------------------------
FAMILLES_JALON: dict[str, str] = {
    "suivi": "Suivi",
    "entree": "Entrée",
    "situation": "Situations",
    "securisation": "Sécurisation",
    "rupture": "Ruptures",
    "rsa": "RSA",
}

# type -> (family, French label)
TYPES_JALON: dict[str, tuple[str, str]] = {
    "entretien": ("suivi", "Entretien"),
    "atelier": ("suivi", "Atelier"),
    "contact": ("suivi", "Contact"),
    "orientation_recue": ("entree", "Orientation reçue"),
    "premier_rdv": ("entree", "Premier rendez-vous"),
    "emploi_cdi": ("situation", "Emploi en CDI"),
    "emploi_cdd_long": ("situation", "Emploi en CDD de 6 mois ou plus"),
    "emploi_cdd_court": ("situation", "Emploi en CDD court"),
    "emploi_interim": ("situation", "Intérim"),
    "alternance": ("situation", "Alternance"),
    "creation_entreprise": ("situation", "Création d'entreprise"),
    "formation_qualifiante": ("situation", "Formation qualifiante"),
    "formation_preparatoire": ("situation", "Formation préparatoire"),
    "immersion": ("situation", "Immersion en entreprise (PMSMP)"),
    "service_civique": ("situation", "Service civique"),
    "reprise_scolarite": ("situation", "Reprise de scolarité"),
    "droit_ouvert": ("securisation", "Droit ouvert"),
    "aide_faj": ("securisation", "Aide du Fonds d'aide aux jeunes"),
    "mobilisation_partenaire": ("securisation", "Partenaire mobilisé"),
    "risque_rupture": ("rupture", "Risque de rupture"),
    "rupture_evitee": ("rupture", "Rupture évitée"),
    "rupture_survenue": ("rupture", "Rupture survenue"),
    "decrochage": ("rupture", "Décrochage"),
    "rsa_ouverture": ("rsa", "Ouverture du droit RSA"),
    "rsa_sanction": ("rsa", "Suspension-remobilisation RSA"),
    "rsa_remobilisation": ("rsa", "Levée de la suspension RSA"),
    "rsa_sortie": ("rsa", "Sortie du RSA"),
}

DOMAINES_RUPTURE: dict[str, str] = {
    "logement": "Logement",
    "sante": "Santé",
    "ressources": "Ressources",
    "mobilite": "Mobilité",
    "justice": "Justice",
    "famille": "Famille",
    "administratif": "Administratif",
    "decrochage": "Décrochage",
    "numerique": "Numérique",
}
DOMAINES_PARTENAIRE: dict[str, str] = {
    "sante": "Santé",
    "logement": "Logement",
    "france_travail": "France Travail",
    "departement": "Département",
    "caf": "CAF",
    "justice": "Justice",
    "ase": "Aide sociale à l'enfance",
    "formation": "Formation",
    "employeur": "Employeur",
    "association": "Association",
    "autre": "Autre partenaire",
}
ALL_DOMAINES: dict[str, str] = {**DOMAINES_RUPTURE, **DOMAINES_PARTENAIRE}

# The types that name a domaine, and which list of domaines applies.
DOMAINES_PAR_TYPE: dict[str, dict[str, str]] = {
    "risque_rupture": DOMAINES_RUPTURE,
    "rupture_evitee": DOMAINES_RUPTURE,
    "rupture_survenue": DOMAINES_RUPTURE,
    "droit_ouvert": DOMAINES_RUPTURE,
    "mobilisation_partenaire": DOMAINES_PARTENAIRE,
}

# Types that may carry an amount (montant_eur).
TYPES_AVEC_MONTANT: frozenset[str] = frozenset({"aide_faj"})

# --- type sets of docs/arithmetic.md ----------------------------------------
EMPLOI = frozenset(
    {"emploi_cdi", "emploi_cdd_long", "emploi_cdd_court", "emploi_interim", "alternance", "creation_entreprise"}
)
DURABLE = frozenset({"emploi_cdi", "emploi_cdd_long", "creation_entreprise"})
FORMATION = frozenset({"formation_qualifiante", "formation_preparatoire"})
SITUATION = EMPLOI | FORMATION | {"immersion", "service_civique", "reprise_scolarite"}
POSITIF = frozenset(MOTIFS_POSITIFS)

# --- jeunes ----------------------------------------------------------------
SEXES: dict[str, str] = {"F": "Femme", "H": "Homme"}
NIVEAUX_FORMATION: dict[str, str] = {
    "infra3": "Infra 3 (sans diplôme)",
    "3": "Niveau 3 (CAP, BEP)",
    "4": "Niveau 4 (baccalauréat)",
    "5plus": "Niveau 5 et plus",
}
TRANCHES_AGE: dict[str, str] = {
    "16-17": "16-17 ans",
    "18-21": "18-21 ans",
    "22-25": "22-25 ans",
    "26+": "26 ans et plus",
}

# --- objectifs / financements -------------------------------------------------
DISPOSITIFS_FINANCEMENT: dict[str, str] = {**DISPOSITIFS, "TOUS": "Tous dispositifs"}

# --- comptes -----------------------------------------------------------------
ROLES: dict[str, str] = {
    "conseiller": "Conseiller·ère",
    "directeur": "Direction de Mission Locale",
    "departement": "Conseil départemental",
    "bureau": "Bureau national",
    "admin": "Administration",
}


def famille_du_type(type_jalon: str) -> str:
    """The family of a jalon type (suivi, entree, situation, …)."""
    return TYPES_JALON[type_jalon][0]


def tranche_age(age: int) -> str:
    """The age band of docs/arithmetic.md (younger than 16 counts in 16-17)."""
    if age <= 17:
        return "16-17"
    if age <= 21:
        return "18-21"
    if age <= 25:
        return "22-25"
    return "26+"

# --- indicator codes -----------------------------------------------------------
# The public names of docs/arithmetic.md in the spec's order, with their family.
# `objectifs` refer to them; the registry in `indicators/` must define exactly these.
INDICATEUR_CODES: dict[str, str] = {
    "jeunes_suivis": "activite",
    "nouveaux_entrants": "activite",
    "jeunes_rsa_suivis": "activite",
    "entretiens": "activite",
    "entretiens_par_jeune": "activite",
    "sanctions_rsa": "activite",
    "budget_eur": "activite",
    "cout_par_jeune_eur": "activite",
    "acces_emploi": "produit",
    "acces_emploi_durable": "produit",
    "acces_formation": "produit",
    "immersions": "produit",
    "immersions_par_jeune": "produit",
    "sorties_positives": "produit",
    "droits_ouverts": "produit",
    "partenaires_mobilises": "produit",
    "delai_entree_jours": "produit",
    "entree_sous_30j": "produit",
    "risques_detectes": "prevention",
    "ruptures_evitees": "prevention",
    "ruptures_survenues": "prevention",
    "taux_ruptures_evitees": "prevention",
    "risques_ouverts": "prevention",
    "parcours_securises": "prevention",
    "retours_dynamique": "prevention",
    "ancrage_rsa": "prevention",
    "sorties_rsa": "prevention",
    "maintien_hors_rsa_6m": "prevention",
    "mois_rsa_evites": "impact",
    "couts_evites_bruts_eur": "impact",
    "couts_evites_nets_eur": "impact",
    "euros_evites_par_euro_investi": "impact",
    "budget_cd_eur": "impact",
    "euros_evites_par_euro_cd": "impact",
}
