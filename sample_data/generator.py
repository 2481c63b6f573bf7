"""Deterministic synthetic data in the exchange format (docs/format.md).

`generate(scale, seed)` yields `(table, chunk)` pairs in dependency order:
structures, jeunes, accompagnements, jalons, financements, objectifs. The same
scale and seed give the same rows, bit for bit, on any machine (numpy's
`SeedSequence` + `PCG64`, no hash randomisation, no clock).

How it stays fast and small at the national scale (1,000,000 jeunes,
~10,000,000 jalons):

* everything is vectorised with numpy: there is no Python loop per jeune or
  per jalon, only loops over batches, spell ranks and vocabularies;
* jeunes are generated in batches of `BATCH_JEUNES`; each batch has its own
  random streams derived from (seed, scale, stage, batch). Pass 1 yields the
  jeunes of every batch, pass 2 regenerates each batch's jeunes (cheap) and
  yields its accompagnements, pass 3 regenerates jeunes and accompagnements and
  yields the jalons. Memory is bounded by one batch, whatever the scale;
* tables come in chunks of at most `CHUNK_ROWS` rows.

Every figure of the model and its rationale is in docs/sample_data.md.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from mlimpact import vocab
from mlimpact.accounts import DEMO_DOMAIN

__all__ = [
    "AS_OF",
    "BATCH_JEUNES",
    "CHUNK_ROWS",
    "COLUMNS",
    "PERIODE",
    "SCALES",
    "TABLES",
    "Scale",
    "Scenario",
    "estimated_rows",
    "generate",
    "structures_plan",
]

PERIODE = (date(2023, 1, 1), date(2026, 10, 31))
AS_OF = PERIODE[1]
TABLES = ("structures", "jeunes", "accompagnements", "jalons", "financements", "objectifs")

# The columns of docs/format.md, in its order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "structures": ("code_structure", "nom", "departement"),
    "jeunes": (
        "id_jeune",
        "code_structure",
        "annee_naissance",
        "sexe",
        "niveau_formation",
        "qpv",
        "frr",
        "rqth",
        "date_premier_accueil",
    ),
    "accompagnements": (
        "id_accompagnement",
        "id_jeune",
        "dispositif",
        "date_debut",
        "date_fin",
        "motif_fin",
        "financeur",
        "referent",
    ),
    "jalons": ("id_jalon", "id_jeune", "date", "type", "domaine", "montant_eur", "commentaire"),
    "financements": ("code_structure", "annee", "financeur", "dispositif", "montant_eur"),
    "objectifs": ("code_structure", "annee", "indicateur", "cible"),
}

CHUNK_ROWS = 250_000
BATCH_JEUNES = 50_000
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Scale:
    """A size of the synthetic data set (docs/cli.md, `mlimpact sample --scale`)."""

    name: str
    label: str
    jeunes: int
    departements: tuple[str, ...] | None  # None: all the départements of mlimpact.territoires
    structures: int
    petites: int  # very small structures (20 to 60 jeunes), for the secret statistique
    structures_par_departement: int | None = None  # fixed count per département, else by population
    exposant_population: float = 1.0  # share of the jeunes of a département ∝ population ** this
    intensite_suivi: float = 1.0  # multiplier on entretiens, ateliers and contacts (keeps the demo small)


SCALES: dict[str, Scale] = {
    "demo": Scale(
        name="demo",
        label="Démonstration : 3 régions, 6 départements, 12 Missions Locales",
        jeunes=6_000,
        # Provence-Alpes-Côte d'Azur, Hauts-de-France, Occitanie
        departements=("13", "84", "59", "62", "31", "09"),
        structures=12,
        petites=2,
        structures_par_departement=2,
        exposant_population=0.5,
        intensite_suivi=0.8,
    ),
    "departement": Scale(
        name="departement",
        label="Un département : 4 Missions Locales",
        jeunes=20_000,
        departements=("13",),
        structures=4,
        petites=0,
        structures_par_departement=4,
    ),
    "national": Scale(
        name="national",
        label="National : 101 départements, environ 440 Missions Locales",
        jeunes=1_000_000,
        departements=None,
        structures=440,
        petites=8,
    ),
}

# --------------------------------------------------------------------------------------
# Calendar (days since 1970-01-01, int64; -1 means "no date")

NA = -1
_EPOCH = date(1970, 1, 1)


def _day(d: date) -> int:
    return (d - _EPOCH).days


D0 = _day(PERIODE[0])
D1 = _day(AS_OF)
D2025 = _day(date(2025, 1, 1))
YEARS = (2023, 2024, 2025, 2026)
_YEAR_START = {y: _day(date(y, 1, 1)) for y in (*YEARS, 2027)}

_MONTHS = [(y, m) for y in YEARS for m in range(1, 13) if date(y, m, 1) <= AS_OF]
_MONTH_START = np.array([_day(date(y, m, 1)) for y, m in _MONTHS], dtype=np.int64)
_MONTH_LEN = np.diff(np.append(_MONTH_START, _day(date(2026, 11, 1))))
_MONTH_YEAR = np.array([y for y, _ in _MONTHS], dtype=np.int64)
# Entries: peaks in September-October (after the school year) and January, a dip in August.
SAISONNALITE = (1.35, 1.0, 1.0, 0.95, 0.9, 0.85, 0.75, 0.4, 1.6, 1.45, 1.05, 0.7)
TENDANCE = {2023: 1.0, 2024: 1.0, 2025: 1.05, 2026: 1.05}  # 2025: loi plein emploi
_MONTH_W = np.array([SAISONNALITE[m - 1] * TENDANCE[y] for y, m in _MONTHS])
_MONTH_P = _MONTH_W / _MONTH_W.sum()

# --------------------------------------------------------------------------------------
# Vocabularies as index arrays (names always come from mlimpact.vocab)

DISP = list(vocab.DISPOSITIFS)
RSA, CEJ, PACEA, ASE, OF, DC = (DISP.index(k) for k in ("RSA", "CEJ", "PACEA", "ASE", "OF", "DROIT_COMMUN"))
MOTIFS = list(vocab.MOTIFS_FIN)
_M = {k: i for i, k in enumerate(MOTIFS)}
POSITIFS = np.array([_M[k] for k in vocab.MOTIFS_POSITIFS])
FINANCEURS = list(vocab.FINANCEURS)
_F = {k: i for i, k in enumerate(FINANCEURS)}
TYPES = list(vocab.TYPES_JALON)
_T = {k: i for i, k in enumerate(TYPES)}
DOMAINES = list(vocab.ALL_DOMAINES)
_DOM = {k: i for i, k in enumerate(DOMAINES)}
NIVEAUX = list(vocab.NIVEAUX_FORMATION)

_DISP_OBJ = np.array(DISP, dtype=object)
_MOTIF_OBJ = np.array([*MOTIFS, None], dtype=object)  # index -1 -> None
_FIN_OBJ = np.array([*FINANCEURS, None], dtype=object)
_TYPE_OBJ = np.array(TYPES, dtype=object)
_DOM_OBJ = np.array([*DOMAINES, None], dtype=object)
_NIV_OBJ = np.array([*NIVEAUX, None], dtype=object)
_SEXE_OBJ = np.array(["H", "F"], dtype=object)


def _p(weights: dict[str, float], names: list[str]) -> np.ndarray:
    """A probability vector over `names` from a {name: weight} dict (other names: 0)."""
    unknown = set(weights) - set(names)
    if unknown:
        raise ValueError(f"unknown names {sorted(unknown)}")
    v = np.array([weights.get(n, 0.0) for n in names], dtype=float)
    return v / v.sum()


# Ages at first entry, 16 to 29 (Missions Locales: 16-25, up to 29 for RSA and RQTH).
AGES = np.arange(16, 30)
AGE_P = np.array([5, 6, 9, 10, 10, 10, 9, 9, 8, 8, 5, 4, 4, 3], dtype=float)
AGE_P /= AGE_P.sum()

# Durations by dispositif, in days: (law, a, b) — see _durations.
# Motif of a closed spell, by dispositif: positive (split below), abandon, demenagement,
# limite_age, reorientation, autre.
_MOTIF_BASE = {
    RSA: (0.35, 0.22, 0.08, 0.03, 0.17, 0.15),
    CEJ: (0.55, 0.17, 0.05, 0.02, 0.13, 0.08),
    PACEA: (0.48, 0.19, 0.05, 0.04, 0.16, 0.08),
    ASE: (0.42, 0.20, 0.08, 0.05, 0.15, 0.10),
    OF: (0.57, 0.18, 0.05, 0.00, 0.15, 0.05),
    DC: (0.45, 0.22, 0.05, 0.05, 0.10, 0.13),
}
_POSITIF_SPLIT_GENERAL = {
    "emploi_durable": 0.24,
    "emploi": 0.30,
    "alternance": 0.15,
    "formation_qualifiante": 0.24,
    "reprise_scolarite": 0.04,
    "creation_entreprise": 0.03,
}
_POSITIF_SPLIT = {d: _p(_POSITIF_SPLIT_GENERAL, list(vocab.MOTIFS_POSITIFS)) for d in range(len(DISP))}
_POSITIF_SPLIT[OF] = _p(
    {
        "emploi_durable": 0.02,
        "emploi": 0.08,
        "alternance": 0.25,
        "formation_qualifiante": 0.25,
        "reprise_scolarite": 0.40,
    },
    list(vocab.MOTIFS_POSITIFS),
)
_POSITIF_SPLIT[RSA] = _p(
    {
        "emploi_durable": 0.30,
        "emploi": 0.38,
        "alternance": 0.05,
        "formation_qualifiante": 0.20,
        "reprise_scolarite": 0.01,
        "creation_entreprise": 0.06,
    },
    list(vocab.MOTIFS_POSITIFS),
)

# Financeur of an accompagnement, by dispositif (the rest: not filled in).
_FINANCEUR_P = {
    RSA: {"CD": 0.93, "AUTRE": 0.02},
    CEJ: {"ETAT": 0.90, "FSE": 0.05},
    PACEA: {"ETAT": 0.85, "FSE": 0.08, "AUTRE": 0.02},
    ASE: {"CD": 0.85, "ETAT": 0.10},
    OF: {"ETAT": 0.80, "CD": 0.12},
    DC: {"ETAT": 0.45, "AUTRE": 0.25, "CD": 0.10},
}

# Monthly rates of jalons during an accompaniment, by dispositif (before the
# département, structure and jeune multipliers).
_RATE = {
    #           RSA   CEJ   PACEA ASE   OF    DC
    "entretien": (0.60, 0.95, 0.50, 0.70, 0.45, 0.22),
    "atelier": (0.03, 0.12, 0.03, 0.03, 0.03, 0.01),
    "contact": (0.03, 0.03, 0.03, 0.04, 0.04, 0.02),
    "situation": (0.07, 0.13, 0.11, 0.09, 0.08, 0.07),
    "droit_ouvert": (0.05, 0.04, 0.04, 0.07, 0.02, 0.03),
    "aide_faj": (0.00, 0.03, 0.03, 0.06, 0.01, 0.02),
    "mobilisation_partenaire": (0.07, 0.05, 0.05, 0.09, 0.04, 0.03),
    "risque_rupture": (0.042, 0.030, 0.030, 0.054, 0.024, 0.018),
}
_RATE_A = {k: np.array(v) for k, v in _RATE.items()}

_SITUATIONS_PENDANT = {
    "immersion": 0.22,
    "formation_preparatoire": 0.12,
    "emploi_cdd_court": 0.20,
    "emploi_interim": 0.15,
    "service_civique": 0.04,
    "formation_qualifiante": 0.08,
    "alternance": 0.06,
    "emploi_cdd_long": 0.06,
    "emploi_cdi": 0.04,
    "reprise_scolarite": 0.02,
    "creation_entreprise": 0.01,
}
_SITUATIONS_RETOUR = {
    "immersion": 0.35,
    "emploi_cdd_court": 0.20,
    "emploi_interim": 0.15,
    "formation_preparatoire": 0.15,
    "service_civique": 0.10,
    "alternance": 0.05,
}
# The situation recorded at a positive exit, by motif_fin.
_SITUATION_SORTIE = {
    "emploi_durable": {"emploi_cdi": 0.45, "emploi_cdd_long": 0.55},
    "emploi": {"emploi_cdd_court": 0.55, "emploi_interim": 0.45},
    "alternance": {"alternance": 1.0},
    "formation_qualifiante": {"formation_qualifiante": 1.0},
    "reprise_scolarite": {"reprise_scolarite": 1.0},
    "creation_entreprise": {"creation_entreprise": 1.0},
}
_RISQUE_DOM = {
    "logement": 0.24,
    "ressources": 0.22,
    "sante": 0.18,
    "mobilite": 0.09,
    "famille": 0.08,
    "administratif": 0.07,
    "decrochage": 0.05,
    "justice": 0.04,
    "numerique": 0.03,
}
_DROIT_DOM = {
    "ressources": 0.30,
    "sante": 0.25,
    "logement": 0.18,
    "administratif": 0.12,
    "mobilite": 0.08,
    "numerique": 0.04,
    "famille": 0.03,
}
_PARTENAIRE_DOM = {
    "france_travail": 0.20,
    "formation": 0.13,
    "sante": 0.11,
    "logement": 0.11,
    "employeur": 0.10,
    "association": 0.10,
    "caf": 0.09,
    "departement": 0.07,
    "ase": 0.03,
    "justice": 0.03,
    "autre": 0.03,
}
# The partner mobilised to avert a rupture of a domaine.
_PARTENAIRE_DE_RUPTURE = {
    "logement": "logement",
    "sante": "sante",
    "ressources": "caf",
    "mobilite": "association",
    "justice": "justice",
    "famille": "departement",
    "administratif": "caf",
    "decrochage": "formation",
    "numerique": "association",
}
_PART_OF_RISK = np.full(len(DOMAINES), -1, dtype=np.int64)
for _k, _v in _PARTENAIRE_DE_RUPTURE.items():
    _PART_OF_RISK[_DOM[_k]] = _DOM[_v]

# Order of jalons of the same jeune on the same day (ids follow it).
_JOUR_ORDRE = [
    "rsa_ouverture",
    "orientation_recue",
    "contact",
    "premier_rdv",
    "entretien",
    "atelier",
    "risque_rupture",
    "droit_ouvert",
    "aide_faj",
    "mobilisation_partenaire",
    "rupture_evitee",
    "rupture_survenue",
    "rsa_sanction",
    "immersion",
    "formation_preparatoire",
    "service_civique",
    "emploi_cdd_court",
    "emploi_interim",
    "emploi_cdd_long",
    "emploi_cdi",
    "alternance",
    "formation_qualifiante",
    "reprise_scolarite",
    "creation_entreprise",
    "rsa_remobilisation",
    "rsa_sortie",
    "decrochage",
]
assert sorted(_JOUR_ORDRE) == sorted(TYPES), "every jalon type needs a rank in _JOUR_ORDRE"
_TYPE_RANK = np.array([_JOUR_ORDRE.index(t) for t in TYPES], dtype=np.int64)
# Office appointments move off the week-end (forward).
_EN_SEMAINE = np.zeros(len(TYPES), dtype=bool)
for _k in ("entretien", "atelier", "premier_rdv"):
    _EN_SEMAINE[_T[_k]] = True

# Short neutral comments (never a name, phone or email), by jalon type.
COMMENTAIRES: dict[str, tuple[str, ...]] = {
    "entretien": (
        "Point d'étape sur le projet professionnel.",
        "Entretien de suivi réalisé.",
        "Bilan des démarches du mois.",
        "Préparation d'un entretien d'embauche.",
        "Entretien en visio.",
    ),
    "atelier": (
        "Atelier CV et lettre de motivation.",
        "Atelier collectif : techniques de recherche d'emploi.",
        "Atelier numérique.",
        "Information collective sur l'alternance.",
    ),
    "contact": (
        "Relance par téléphone.",
        "Message laissé, sans réponse.",
        "Échange par SMS.",
        "Contact avec la famille.",
    ),
    "orientation_recue": ("Orientation transmise par le Département.", "Orientation transmise par France Travail."),
    "premier_rdv": ("Premier accueil réalisé.", "Diagnostic initial partagé.", "Premier rendez-vous honoré."),
    "emploi_cdi": ("Contrat signé.", "Embauche après la période d'essai."),
    "emploi_cdd_long": ("Contrat de six mois signé.", "Contrat signé."),
    "emploi_cdd_court": ("Contrat court signé.", "Remplacement de quelques semaines."),
    "emploi_interim": ("Mission d'intérim.", "Inscription en agence d'intérim suivie d'une mission."),
    "alternance": ("Contrat d'apprentissage signé.", "Contrat de professionnalisation signé."),
    "creation_entreprise": ("Micro-entreprise immatriculée.",),
    "formation_qualifiante": (
        "Entrée en formation qualifiante confirmée.",
        "Entrée en formation financée par la Région.",
    ),
    "formation_preparatoire": ("Entrée en formation préparatoire.", "Remise à niveau."),
    "immersion": ("Période d'immersion en entreprise.", "PMSMP d'une semaine."),
    "service_civique": ("Mission de service civique débutée.",),
    "reprise_scolarite": ("Retour en formation initiale.", "Inscription au lycée professionnel."),
    "droit_ouvert": (
        "Ouverture de droits accompagnée.",
        "Complémentaire santé solidaire obtenue.",
        "Dossier d'aide au logement déposé.",
    ),
    "aide_faj": (
        "Aide accordée en commission FAJ.",
        "Aide à la mobilité.",
        "Aide alimentaire d'urgence.",
        "Aide au permis de conduire.",
    ),
    "mobilisation_partenaire": (
        "Mise en relation avec le partenaire.",
        "Orientation vers le partenaire.",
        "Synthèse partagée avec le partenaire.",
    ),
    "risque_rupture": ("Difficulté signalée par le jeune.", "Situation à surveiller.", "Fin d'hébergement annoncée."),
    "rupture_evitee": (
        "Solution trouvée avant la rupture.",
        "Hébergement d'urgence mobilisé.",
        "Droits rétablis à temps.",
    ),
    "rupture_survenue": ("Rupture malgré les démarches.", "Perte du logement."),
    "decrochage": ("Contact perdu malgré les relances.", "Ne se présente plus aux rendez-vous."),
    "rsa_ouverture": ("Droit RSA ouvert.",),
    "rsa_sanction": ("Suspension-remobilisation prononcée.",),
    "rsa_remobilisation": ("Reprise des engagements constatée.", "Suspension levée après reprise de contact."),
    "rsa_sortie": ("Sortie du RSA suite à reprise d'emploi.", "Sortie du RSA."),
}
assert set(COMMENTAIRES) == set(TYPES)
_COM_FLAT = np.array([c for t in TYPES for c in COMMENTAIRES[t]] + [None], dtype=object)
_COM_SIZE = np.array([len(COMMENTAIRES[t]) for t in TYPES], dtype=np.int64)
_COM_OFF = np.concatenate([[0], np.cumsum(_COM_SIZE)[:-1]])
_COM_P = np.full(len(TYPES), 0.04)
for _k, _v in {
    "aide_faj": 0.30,
    "risque_rupture": 0.15,
    "rupture_evitee": 0.15,
    "rupture_survenue": 0.15,
    "decrochage": 0.10,
}.items():
    _COM_P[_T[_k]] = _v

# Approximate population of each département, thousands (INSEE, 2021, rounded):
# sizes the structures and the rurality of the synthetic territories. Any code
# of mlimpact.territoires missing here gets 300.
POPULATION_K: dict[str, int] = {
    "01": 660, "02": 530, "03": 335, "04": 165, "05": 141, "06": 1100, "07": 330, "08": 270,
    "09": 155, "10": 310, "11": 375, "12": 280, "13": 2050, "14": 700, "15": 145, "16": 350,
    "17": 660, "18": 300, "19": 240, "2A": 160, "2B": 185, "21": 535, "22": 600, "23": 115,
    "24": 415, "25": 545, "26": 520, "27": 600, "28": 430, "29": 915, "30": 750, "31": 1430,
    "32": 192, "33": 1650, "34": 1200, "35": 1100, "36": 218, "37": 610, "38": 1280, "39": 258,
    "40": 420, "41": 328, "42": 765, "43": 228, "44": 1450, "45": 680, "46": 175, "47": 330,
    "48": 76, "49": 820, "50": 495, "51": 565, "52": 172, "53": 307, "54": 730, "55": 184,
    "56": 760, "57": 1045, "58": 202, "59": 2610, "60": 830, "61": 280, "62": 1460, "63": 665,
    "64": 685, "65": 230, "66": 480, "67": 1150, "68": 770, "69": 1880, "70": 235, "71": 550,
    "72": 565, "73": 440, "74": 830, "75": 2140, "76": 1255, "77": 1420, "78": 1450, "79": 375,
    "80": 570, "81": 390, "82": 260, "83": 1080, "84": 560, "85": 690, "86": 440, "87": 372,
    "88": 362, "89": 335, "90": 141, "91": 1300, "92": 1620, "93": 1650, "94": 1400, "95": 1250,
    "971": 385, "972": 360, "973": 285, "974": 870, "976": 300,
}  # fmt: skip
_PETITE_COURONNE = {"75", "92", "93", "94"}
_OUTRE_MER = {"971", "972", "973", "974", "976"}

_SUFFIXES = (
    "Nord", "Sud", "Est", "Ouest", "Centre", "Nord-Est", "Nord-Ouest", "Sud-Est", "Sud-Ouest",
    "Agglomération", "Centre-Nord", "Centre-Sud", "Centre-Est", "Centre-Ouest", "Agglomération Est",
    "Agglomération Ouest", "Agglomération Nord", "Agglomération Sud",
)  # fmt: skip
MAX_STRUCTURES_PAR_DEPARTEMENT = 13  # names stay distinct even when the département's name is a direction


def _noms_structures(nom: str, k: int) -> list[str]:
    """Invented names: "Mission Locale <département> <sector>", never a sector already in the name."""
    if k == 1:
        return [f"Mission Locale {nom}"]
    words = set(re.split(r"[-\s'’]+", nom))
    suffixes = [x for x in _SUFFIXES if not set(re.split(r"[-\s]+", x)) & words]
    return [f"Mission Locale {nom} {x}" for x in suffixes[:k]]


# --------------------------------------------------------------------------------------
# Random streams


def _scale_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _rng(*key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(k) for k in key])))


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    return int(seed)


def _scale(scale: str | Scale) -> Scale:
    if isinstance(scale, Scale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}") from None


# --------------------------------------------------------------------------------------
# The territories: départements' profiles and the structures


@dataclass(frozen=True)
class _Plan:
    scale: Scale
    deps: tuple[str, ...]  # départements of the data set
    codes: np.ndarray  # structure codes (object)
    noms: np.ndarray
    struct_dep: np.ndarray  # index into deps, per structure
    sizes: np.ndarray  # jeunes per structure
    offsets: np.ndarray  # first global jeune index of each structure (+ total at the end)
    prof: dict[str, np.ndarray]  # per-département parameters (arrays indexed like deps)
    s_suivi: np.ndarray  # structure multiplier on follow-up rates
    s_insertion: np.ndarray  # structure multiplier on situations

    @property
    def n_jeunes(self) -> int:
        return int(self.offsets[-1])

    @property
    def n_batches(self) -> int:
        return -(-self.n_jeunes // BATCH_JEUNES)


def _departements():
    from mlimpact import territoires  # lazy: written alongside this module

    return territoires.DEPARTEMENTS


def _profile(seed: int, code: str) -> dict[str, float]:
    """The département's own character: a function of (seed, code) only, the same at every scale."""
    r = _rng(seed, 11, zlib.crc32(code.encode("utf-8")))
    pop = POPULATION_K.get(code, 300)
    q = float(np.clip(r.normal(), -2.0, 2.0))  # quality of follow-up
    if code in _PETITE_COURONNE:
        rural = 0.0
    else:
        rural = float(np.clip(1.6 - 0.5 * np.log10(pop) + r.normal(0, 0.08), 0.02, 0.9))
    qpv = float(np.clip(0.26 - 0.30 * rural + r.normal(0, 0.04), 0.03, 0.40))
    if code == "93":
        qpv = 0.45
    frr = 0.0 if code in _PETITE_COURONNE else float(np.clip(0.05 + 0.6 * rural + r.normal(0, 0.03), 0.0, 0.55))
    return {
        "q": q,
        "rural": rural,
        "qpv": qpv,
        "frr": frr,
        "suivi": float(np.exp(0.12 * q + r.normal(0, 0.08))),
        "insertion": float(np.exp(0.10 * q + r.normal(0, 0.10))),
        "pos_bonus": float(0.04 * q + r.normal(0, 0.02)),
        "delai": float(np.clip(20.0 * np.exp(-0.12 * q + r.normal(0, 0.25)), 9, 40)),
        "noshow": float(np.clip(0.09 - 0.015 * q + r.normal(0, 0.02), 0.03, 0.18)),
        "p_evitee": float(np.clip(0.60 + 0.035 * q + r.normal(0, 0.03), 0.45, 0.75)),
        "p_survenue": float(np.clip(0.25 - 0.025 * q + r.normal(0, 0.03), 0.12, 0.35)),
        "irregulier": float(np.clip(0.25 - 0.05 * q + r.normal(0, 0.04), 0.08, 0.45)),
        "rsa": float(np.exp(r.normal(0, 0.3)) * (1.5 if code in _OUTRE_MER else 1.0)),
        "rsa_retour": float(np.clip(0.22 - 0.03 * q + r.normal(0, 0.06), 0.08, 0.40)),
        "sanction": float(np.clip(0.15 + r.normal(0, 0.05), 0.04, 0.30)),
        "risque": float(np.exp(r.normal(0, 0.2))),
        "cout": float(np.exp(r.normal(0, 0.15))),
    }


def _largest_remainder(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
    """Integers ∝ weights, each ≥ minimum, summing exactly to total."""
    w = np.asarray(weights, dtype=float)
    base = np.full(len(w), minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError("total too small for the minimum")
    exact = w / w.sum() * rest
    out = np.floor(exact).astype(np.int64)
    short = rest - out.sum()
    order = np.argsort(-(exact - out), kind="stable")
    out[order[:short]] += 1
    return base + out


@lru_cache(maxsize=8)
def _plan(scale_name: str, seed: int) -> _Plan:
    sc = _scale(scale_name)
    all_deps = _departements()
    deps = tuple(all_deps) if sc.departements is None else sc.departements
    for d in deps:
        if d not in all_deps:
            raise ValueError(f"unknown département {d!r} in scale {sc.name!r}")
    r = _rng(seed, _scale_key(sc.name), 0, 0)
    prof_list = [_profile(seed, d) for d in deps]
    prof = {k: np.array([p[k] for p in prof_list]) for k in prof_list[0]}
    pop = np.array([POPULATION_K.get(d, 300) for d in deps], dtype=float)

    # structures per département
    if sc.structures_par_departement is not None:
        n_struct = np.full(len(deps), sc.structures_par_departement, dtype=np.int64)
    else:
        n_struct = _largest_remainder(pop**0.8, sc.structures, minimum=1)
        # no more than the names we have: move the excess to the next largest
        while (n_struct > MAX_STRUCTURES_PAR_DEPARTEMENT).any():
            i = int(np.argmax(n_struct))
            n_struct[i] -= 1
            j = int(np.argmax(np.where(n_struct < MAX_STRUCTURES_PAR_DEPARTEMENT, pop / n_struct, -1)))
            n_struct[j] += 1
    struct_dep = np.repeat(np.arange(len(deps)), n_struct)
    n_s = len(struct_dep)

    # jeunes per structure: the département's share (population, youth, noise), split unevenly
    youth = np.where([d in _OUTRE_MER for d in deps], 1.3, 1.0) * (1.0 - 0.2 * prof["rural"])
    dep_w = pop**sc.exposant_population * youth * np.exp(r.normal(0, 0.12, len(deps)))
    split = r.gamma(3.0, 1.0, n_s)
    split /= np.bincount(struct_dep, weights=split)[struct_dep]
    w = dep_w[struct_dep] * split
    # the very small structures: last structure of the least populated départements with ≥ 2 (demo,
    # small scales), or drawn among those weighted by rurality (national)
    petites = np.zeros(n_s, dtype=bool)
    if sc.petites:
        last = np.cumsum(n_struct) - 1
        eligible = np.flatnonzero(n_struct >= 2)
        if len(eligible) < sc.petites:
            raise ValueError("not enough départements with two structures for the small ones")
        if sc.structures_par_departement is not None:
            chosen = eligible[np.argsort(pop[eligible], kind="stable")[: sc.petites]]
        else:
            pw = (prof["rural"][eligible] + 0.05) ** 2
            chosen = r.choice(eligible, size=sc.petites, replace=False, p=pw / pw.sum())
        petites[last[chosen]] = True
    sizes = np.zeros(n_s, dtype=np.int64)
    sizes[petites] = r.integers(20, 61, petites.sum())
    sizes[~petites] = _largest_remainder(w[~petites], sc.jeunes - int(sizes[petites].sum()), minimum=61)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    codes, noms = [], []
    for i, d in enumerate(deps):
        nom = all_deps[d].nom
        k = int(n_struct[i])
        codes += [f"ML{d}{j + 1:03d}" for j in range(k)]
        noms += _noms_structures(nom, k)
    return _Plan(
        scale=sc,
        deps=deps,
        codes=np.array(codes, dtype=object),
        noms=np.array(noms, dtype=object),
        struct_dep=struct_dep,
        sizes=sizes,
        offsets=offsets,
        prof=prof,
        s_suivi=np.exp(r.normal(0, 0.08, n_s)),
        s_insertion=np.exp(r.normal(0, 0.08, n_s)),
    )


def structures_plan(scale: str = "demo", seed: int = 42) -> pd.DataFrame:
    """The structures of a scale with their number of jeunes and département profile (for docs and tests)."""
    p = _plan(_scale(scale).name, _check_seed(seed))
    out = pd.DataFrame(
        {
            "code_structure": p.codes,
            "nom": p.noms,
            "departement": np.array(p.deps, dtype=object)[p.struct_dep],
            "jeunes": p.sizes,
        }
    )
    for k in ("q", "rural", "qpv", "frr", "delai", "rsa", "p_evitee"):
        out[f"profil_{k}"] = p.prof[k][p.struct_dep]
    return out


# --------------------------------------------------------------------------------------
# Small vectorised helpers


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a (n, k) probability matrix (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(p), rng.random(n) * p.sum(), side="right"), len(p) - 1)


def _uniform_int(rng: np.random.Generator, lo, hi, n: int) -> np.ndarray:
    """Integers in [lo, hi] (inclusive), lo and hi scalars or arrays."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    return lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)


def _lognormal_days(rng: np.random.Generator, median, sigma: float, n: int) -> np.ndarray:
    return np.ceil(np.asarray(median) * np.exp(rng.normal(0.0, sigma, n))).astype(np.int64)


def _weekday_forward(days: np.ndarray) -> np.ndarray:
    """Saturday -> Monday, Sunday -> Monday (1970-01-01 was a Thursday)."""
    wd = (days + 3) % 7  # Monday = 0
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def _repeat_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts per parent: the parent index of each child and the child's rank within its parent."""
    idx = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return idx, np.arange(len(idx)) - first[idx]


def _ids(prefix: str, first: int, n: int, width: int) -> np.ndarray:
    """`prefix` + zero-padded numbers first..first+n-1, as Python str (object array)."""
    nums = np.arange(first, first + n, dtype=np.int64)
    if n and nums[-1] >= 10**width:
        raise ValueError(f"{prefix} ids overflow {width} digits")
    buf = np.empty((n, width + 1), dtype=np.uint8)
    buf[:, 0] = ord(prefix)
    for k in range(width):
        buf[:, width - k] = (nums // 10**k) % 10 + 48
    return buf.view(f"S{width + 1}").ravel().astype(f"U{width + 1}").astype(object)


def _dates(days: np.ndarray) -> np.ndarray:
    """int days (NA = -1) -> datetime64[s] with NaT."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]")
    out[days < 0] = np.datetime64("NaT")
    return out.astype("datetime64[s]")


def _frame(table: str, data: dict[str, np.ndarray]) -> pd.DataFrame:
    cols = {}
    for c in COLUMNS[table]:
        v = data[c]
        cols[c] = pd.Series(v, dtype=object, copy=False) if v.dtype == object else pd.Series(v, copy=False)
    return pd.DataFrame(cols, columns=list(COLUMNS[table]))


# --------------------------------------------------------------------------------------
# Stage 1: the jeunes of a batch (and how each one first arrives)


@dataclass
class _Jeunes:
    g: np.ndarray  # global index
    s: np.ndarray  # structure index
    d: np.ndarray  # département index (into plan.deps)
    arrival: np.ndarray
    age: np.ndarray  # at arrival
    annee: np.ndarray
    female: np.ndarray
    niveau: np.ndarray  # index into NIVEAUX, -1 missing
    qpv: np.ndarray
    frr: np.ndarray
    rqth: np.ndarray
    engagement: np.ndarray
    irregular: np.ndarray
    disp0: np.ndarray
    oriented0: np.ndarray
    noshow0: np.ndarray
    rdv0: np.ndarray  # premier_rdv date (NA: none)
    start0: np.ndarray  # start of the first accompagnement (may lie after AS_OF: pending)
    premier_accueil: np.ndarray

    def __len__(self) -> int:
        return len(self.g)


_ORIENTE_P = np.zeros(len(DISP))
for _k, _v in {RSA: 0.95, CEJ: 0.55, PACEA: 0.12, ASE: 0.60, OF: 0.0, DC: 0.05}.items():
    _ORIENTE_P[_k] = _v


def _entry_dispositif(rng, age, arrival, rsa_mult, rqth) -> np.ndarray:
    n = len(age)
    p_rsa = np.select([age >= 26, age == 25, age >= 23, age >= 18], [0.50, 0.25, 0.08, 0.02], 0.0)
    p_rsa = np.minimum(p_rsa * rsa_mult * np.where(arrival >= D2025, 1.2, 1.0), 0.9)
    p_ase = np.select([age <= 17, age <= 21, age <= 25], [0.0, 0.08, 0.01], 0.0)
    rest = 1.0 - p_rsa - p_ase
    P = np.zeros((n, len(DISP)))
    P[:, RSA] = p_rsa
    P[:, ASE] = p_ase
    young = age <= 17
    mid = (age >= 18) & (age <= 25)
    old = age >= 26
    for k, v in {OF: 0.45, PACEA: 0.35, CEJ: 0.10, DC: 0.10}.items():
        P[young, k] += rest[young] * v
    for k, v in {CEJ: 0.42, PACEA: 0.36, DC: 0.22}.items():
        P[mid, k] += rest[mid] * v
    cej_old = np.where(rqth, 0.8, 0.2)  # the CEJ goes up to 29 for RQTH
    P[old, CEJ] += rest[old] * cej_old[old]
    P[old, DC] += rest[old] * (1 - cej_old[old])
    return _choice_rows(rng, P)


def _stage_jeunes(plan: _Plan, seed: int, b: int) -> _Jeunes:
    rng = _rng(seed, _scale_key(plan.scale.name), 1, b)
    lo = b * BATCH_JEUNES
    hi = min(plan.n_jeunes, lo + BATCH_JEUNES)
    n = hi - lo
    g = np.arange(lo, hi, dtype=np.int64)
    s = np.searchsorted(plan.offsets, g, side="right") - 1
    d = plan.struct_dep[s]
    P = plan.prof

    m = _choice(rng, _MONTH_P, n)
    arrival = _MONTH_START[m] + np.floor(rng.random(n) * _MONTH_LEN[m]).astype(np.int64)
    age = AGES[_choice(rng, AGE_P, n)]
    year = _MONTH_YEAR[m]
    year_start = np.array([_YEAR_START[int(y)] for y in YEARS])[year - YEARS[0]]
    elapsed = (arrival - year_start) / 365.25
    annee = year - age - (rng.random(n) >= elapsed).astype(np.int64)
    female = rng.random(n) < 0.49
    niv_p = np.where(
        (age <= 17)[:, None],
        _p({"infra3": 0.65, "3": 0.25, "4": 0.10}, NIVEAUX),
        _p({"infra3": 0.32, "3": 0.25, "4": 0.31, "5plus": 0.12}, NIVEAUX),
    )
    niveau = _choice_rows(rng, niv_p)
    niveau[rng.random(n) < 0.02] = NA
    qpv = rng.random(n) < P["qpv"][d]
    frr = ~qpv & (rng.random(n) < np.minimum(0.95, P["frr"][d] / (1 - P["qpv"][d])))
    rqth = rng.random(n) < 0.04
    engagement = rng.gamma(4.0, 0.25, n)
    irregular = rng.random(n) < P["irregulier"][d]

    disp0 = _entry_dispositif(rng, age, arrival, P["rsa"][d], rqth)
    oriented0 = rng.random(n) < _ORIENTE_P[disp0]
    delay = _lognormal_days(rng, P["delai"][d], 0.55, n)
    noshow0 = oriented0 & (rng.random(n) < P["noshow"][d])
    rdv = _weekday_forward(np.where(oriented0, arrival + delay, arrival))
    lag = np.minimum(np.floor(rng.exponential(np.where(oriented0, 4.0, 10.0))), 45).astype(np.int64)
    start0 = _weekday_forward(rdv + lag)
    has_rdv = ~noshow0 & (rdv <= D1)
    rdv0 = np.where(has_rdv, rdv, NA)
    start0 = np.where(noshow0, NA, start0)
    premier_accueil = np.where(has_rdv & (rng.random(n) >= 0.02), rdv, NA)
    return _Jeunes(
        g, s, d, arrival, age, annee, female, niveau, qpv, frr, rqth, engagement, irregular,
        disp0, oriented0, noshow0, rdv0, start0, premier_accueil,
    )  # fmt: skip


def _jeunes_frame(plan: _Plan, J: _Jeunes) -> pd.DataFrame:
    return _frame(
        "jeunes",
        {
            "id_jeune": _ids("J", int(J.g[0]) + 1, len(J), 7) if len(J) else np.array([], dtype=object),
            "code_structure": plan.codes[J.s],
            "annee_naissance": J.annee.astype(np.int64),
            "sexe": _SEXE_OBJ[J.female.astype(np.int64)],
            "niveau_formation": _NIV_OBJ[J.niveau],
            "qpv": J.qpv,
            "frr": J.frr,
            "rqth": J.rqth,
            "date_premier_accueil": _dates(J.premier_accueil),
        },
    )


# --------------------------------------------------------------------------------------
# Stage 2: accompagnements (spells) and the RSA right's openings and exits


@dataclass
class _Spells:
    """Spell candidates, rank 0 to 2 per jeune; `exists` ones are accompagnements, the others are
    orientations not (yet) followed by a start before AS_OF."""

    j: np.ndarray  # local jeune index
    rank: np.ndarray
    disp: np.ndarray
    o: np.ndarray  # orientation_recue date (NA: not oriented)
    ouv: np.ndarray  # rsa_ouverture date (NA)
    rdv: np.ndarray  # premier_rdv date (NA)
    start: np.ndarray
    exists: np.ndarray
    end: np.ndarray  # date_fin (NA: open)
    motif: np.ndarray  # index into MOTIFS (NA)
    sortie: np.ndarray  # rsa_sortie date (NA)
    financeur: np.ndarray  # index into FINANCEURS (NA)

    def __len__(self) -> int:
        return len(self.j)


_FIELDS = ("j", "rank", "disp", "o", "ouv", "rdv", "start", "exists", "end", "motif", "sortie", "financeur")


def _durations(rng, disp) -> np.ndarray:
    n = len(disp)
    u = rng.random(n)
    z = rng.normal(0.0, 1.0, n)
    early = rng.random(n)
    dur = np.empty(n, dtype=np.int64)
    # CEJ: 6 to 12 months, a quarter end early (job found or contact lost)
    m = disp == CEJ
    dur[m] = np.where(early[m] < 0.25, 30 + u[m] * 150, 183 + u[m] * 182).astype(np.int64)
    m = disp == PACEA  # up to 24 months, median 8
    dur[m] = np.minimum(240 * np.exp(0.6 * z[m]), 730).astype(np.int64)
    m = disp == RSA  # long: median 16 months, up to 40
    dur[m] = np.minimum(480 * np.exp(0.5 * z[m]), 1200).astype(np.int64)
    m = disp == ASE  # contrat jeune majeur: 4 to 24 months
    dur[m] = (120 + u[m] * 610).astype(np.int64)
    m = disp == OF  # short: 1 to 6 months
    dur[m] = (30 + u[m] * 150).astype(np.int64)
    m = disp == DC  # median 4 months, up to 18
    dur[m] = np.minimum(120 * np.exp(0.7 * z[m]), 540).astype(np.int64)
    return np.maximum(dur, 1)


def _motifs(rng, disp, pos_bonus, age_end) -> np.ndarray:
    base = np.array([_MOTIF_BASE[k] for k in range(len(DISP))])[disp]  # (n, 6)
    bonus = np.clip(pos_bonus, -0.08, 0.08)
    base[:, 0] += bonus
    base[:, 1] -= bonus
    cat = _choice_rows(rng, base)
    split = np.array([_POSITIF_SPLIT[k] for k in range(len(DISP))])[disp]
    pos = POSITIFS[_choice_rows(rng, split)]
    other = np.array([_M["abandon"], _M["demenagement"], _M["limite_age"], _M["reorientation"], _M["autre"]])
    motif = np.where(cat == 0, pos, other[np.maximum(cat - 1, 0)])
    # limite_age only from 25
    motif = np.where((motif == _M["limite_age"]) & (age_end < 25), _M["autre"], motif)
    return motif.astype(np.int64)


def _financeurs(rng, disp) -> np.ndarray:
    P = np.zeros((len(DISP), len(FINANCEURS) + 1))
    for k, w in _FINANCEUR_P.items():
        for f, v in w.items():
            P[k, _F[f]] = v
        P[k, -1] = 1 - sum(w.values())
    f = _choice_rows(rng, P[disp])
    return np.where(f == len(FINANCEURS), NA, f)


_NEXT_DISP = {
    OF: {PACEA: 0.5, CEJ: 0.4, DC: 0.1},
    PACEA: {CEJ: 0.6, DC: 0.2, PACEA: 0.2},
    CEJ: {PACEA: 0.45, DC: 0.35, CEJ: 0.2},
    ASE: {CEJ: 0.6, PACEA: 0.3, DC: 0.1},
    DC: {CEJ: 0.45, PACEA: 0.35, DC: 0.2},
    RSA: {DC: 0.6, CEJ: 0.4},
}
_NEXT_P = np.zeros((len(DISP), len(DISP)))
for _k, _w in _NEXT_DISP.items():
    for _k2, _v in _w.items():
        _NEXT_P[_k, _k2] = _v


def _stage_spells(plan: _Plan, J: _Jeunes, seed: int, b: int) -> _Spells:
    rng = _rng(seed, _scale_key(plan.scale.name), 2, b)
    P = plan.prof
    n = len(J)
    # rank 0: every jeune (no-shows and pending ones as candidates that do not exist)
    ouv0 = np.where(J.disp0 == RSA, np.maximum(J.arrival - _uniform_int(rng, 5, 45, n), D0), NA)
    cur = {
        "j": np.arange(n, dtype=np.int64),
        "rank": np.zeros(n, dtype=np.int64),
        "disp": J.disp0,
        "o": np.where(J.oriented0, J.arrival, NA),
        "ouv": ouv0,
        "rdv": J.rdv0,
        "start": J.start0,
    }
    parts = []
    for rank in range(3):
        m = len(cur["j"])
        jj = cur["j"]
        d = J.d[jj]
        disp = cur["disp"]
        start = cur["start"]
        exists = (start >= 0) & (start <= D1)
        dur = _durations(rng, disp)
        end_nat = start + dur
        closed = exists & (end_nat <= D1)
        age_end = J.age[jj] + (end_nat - J.arrival[jj]) / 365.25
        motif = _motifs(rng, disp, P["pos_bonus"][d], age_end)
        financeur = _financeurs(rng, disp)
        # RSA exits: most positive exits leave the RSA, some others lose the right
        is_rsa = disp == RSA
        positive = np.isin(motif, POSITIFS)
        p_sortie = np.where(positive, 0.9, np.where(np.isin(motif, [_M["abandon"], _M["autre"]]), 0.3, 0.15))
        u_sortie = rng.random(m)
        gap_sortie = _uniform_int(rng, 0, 20, m)
        has_sortie = closed & is_rsa & (u_sortie < p_sortie)
        sortie = np.where(has_sortie, np.maximum(end_nat - gap_sortie, start), NA)
        # next spell
        cat_next = np.select([motif == _M["reorientation"], motif == _M["abandon"], positive], [0.9, 0.18, 0.10], 0.05)
        u_next = rng.random(m)
        gap = np.select(
            [motif == _M["reorientation"], motif == _M["abandon"], positive],
            [_uniform_int(rng, 0, 30, m), _uniform_int(rng, 60, 420, m), _uniform_int(rng, 90, 540, m)],
            _uniform_int(rng, 30, 365, m),
        )
        rsa_return = has_sortie & (rng.random(m) < P["rsa_retour"][d])
        nxt_disp = _choice_rows(rng, _NEXT_P[disp])
        ouv_ret = sortie + np.maximum(_lognormal_days(rng, 150, 0.6, m), 30)
        o_ret = ouv_ret + _uniform_int(rng, 5, 45, m)
        oriented = rng.random(m) < np.where(nxt_disp == CEJ, 0.3, 0.05)
        delay = _lognormal_days(rng, P["delai"][d], 0.55, m)
        noshow = rng.random(m) < P["noshow"][d]
        lag = np.minimum(np.floor(rng.exponential(4.0, m)), 30).astype(np.int64)

        parts.append(
            {
                **cur,
                "exists": exists,
                "end": np.where(closed, end_nat, NA),
                "motif": np.where(closed, motif, NA),
                "sortie": sortie,
                "financeur": financeur,
            }
        )
        if rank == 2:
            break
        go = closed & np.where(is_rsa & has_sortie, rsa_return | (u_next < cat_next * 0.5), u_next < cat_next)
        go &= ~(is_rsa & ~rsa_return & (nxt_disp == RSA))
        if not go.any():
            break
        idx = np.flatnonzero(go)
        ret = rsa_return[idx]
        ndisp = np.where(ret, RSA, nxt_disp[idx])
        prev_end = end_nat[idx]
        nj = jj[idx]
        age_next = J.age[nj] + (prev_end + gap[idx] - J.arrival[nj]) / 365.25
        ndisp = np.where((ndisp != RSA) & (age_next >= 26) & ~J.rqth[nj], DC, ndisp)
        nor = ret | (oriented[idx] & (ndisp != RSA))
        o = np.where(ret, o_ret[idx], np.where(nor, prev_end + gap[idx], NA))
        ouv = np.where(ret, ouv_ret[idx], NA)
        ns = nor & noshow[idx]
        rdv = np.where(nor & ~ns, _weekday_forward(o + delay[idx]), NA)
        rdv = np.where(rdv > D1, NA, rdv)
        nstart = np.where(nor, _weekday_forward(o + delay[idx] + lag[idx]), _weekday_forward(prev_end + gap[idx] + 1))
        nstart = np.where(ns, NA, nstart)
        cur = {
            "j": nj,
            "rank": np.full(len(idx), rank + 1, dtype=np.int64),
            "disp": ndisp,
            "o": np.where((o >= 0) & (o <= D1), o, NA),
            "ouv": np.where((ouv >= 0) & (ouv <= D1), ouv, NA),
            "rdv": rdv,
            "start": nstart,
        }
    cat = {k: np.concatenate([p[k] for p in parts]) for k in _FIELDS}
    order = np.lexsort((cat["rank"], cat["j"]))
    return _Spells(**{k: v[order] for k, v in cat.items()})


def _accompagnements_frame(plan: _Plan, J: _Jeunes, S: _Spells, first_id: int) -> pd.DataFrame:
    e = S.exists
    jj = S.j[e]
    return _frame(
        "accompagnements",
        {
            "id_accompagnement": _ids("A", first_id, int(e.sum()), 7),
            "id_jeune": _ids("J", int(J.g[0]) + 1, len(J), 7)[jj] if len(J) else np.array([], dtype=object),
            "dispositif": _DISP_OBJ[S.disp[e]],
            "date_debut": _dates(S.start[e]),
            "date_fin": _dates(S.end[e]),
            "motif_fin": _MOTIF_OBJ[S.motif[e]],
            "financeur": _FIN_OBJ[S.financeur[e]],
            "referent": _referents(plan)[J.s[jj], J.g[jj] % REFERENTS_PAR_STRUCTURE],
        },
    )


# Each jeune has one conseiller (all their spells name them): four per structure, chosen by the jeune's index so
# that no random stream moves. Addresses of the reserved demo domain: the first is the demo mode's conseiller
# (`conseiller@demo.invalid`, whatever the structure), so « Mes jeunes » has rows in the demo; the last slot leaves
# the referent empty (not filled in).
REFERENTS_PAR_STRUCTURE = 5


def _referents(plan: _Plan) -> np.ndarray:
    """Per structure, the referent of each slot (structures × REFERENTS_PAR_STRUCTURE, object)."""
    table = np.empty((len(plan.codes), REFERENTS_PAR_STRUCTURE), dtype=object)
    for i, code in enumerate(plan.codes):
        table[i] = [f"conseiller@{DEMO_DOMAIN}"] + [
            f"conseiller{k}.{code.lower()}@{DEMO_DOMAIN}" for k in range(2, REFERENTS_PAR_STRUCTURE)
        ] + [None]
    return table


def _activity_stats(plan: _Plan, J: _Jeunes, S: _Spells, stats: dict[str, np.ndarray]) -> None:
    """Per structure and year: jeunes with an accompagnement active in the year (all, RSA, CEJ)."""
    e = S.exists
    start, end, disp, jj = S.start[e], np.where(S.end[e] < 0, D1, S.end[e]), S.disp[e], S.j[e]
    n_s = len(plan.codes)
    for yi, y in enumerate(YEARS):
        active = (start < _YEAR_START[y + 1]) & (end >= _YEAR_START[y])
        for key, mask in (("suivis", active), ("rsa", active & (disp == RSA)), ("cej", active & (disp == CEJ))):
            u = np.unique(jj[mask])
            stats[key][:, yi] += np.bincount(J.s[u], minlength=n_s)


# --------------------------------------------------------------------------------------
# Stage 3: jalons


class _Acc:
    """Accumulates jalon arrays: jeune, date, type, domaine, montant, spell, background."""

    def __init__(self) -> None:
        self.parts: list[tuple] = []

    def add(self, j, date, typ, dom=None, montant=None, spell=None, background=False) -> None:
        n = len(j)
        if n == 0:
            return
        typ = np.broadcast_to(np.asarray(typ, dtype=np.int64), (n,))
        dom = np.full(n, NA, dtype=np.int64) if dom is None else np.asarray(dom, dtype=np.int64)
        montant = np.full(n, np.nan) if montant is None else np.asarray(montant, dtype=float)
        spell = np.full(n, NA, dtype=np.int64) if spell is None else np.asarray(spell, dtype=np.int64)
        bg = np.full(n, background, dtype=bool)
        self.parts.append(
            (np.asarray(j, dtype=np.int64), np.asarray(date, dtype=np.int64), typ, dom, montant, spell, bg)
        )

    def arrays(self):
        if not self.parts:
            e = np.array([], dtype=np.int64)
            return e, e, e, e, np.array([], dtype=float), e, np.array([], dtype=bool)
        return tuple(np.concatenate(c) for c in zip(*self.parts, strict=True))


def _dom_draw(rng, weights: dict[str, float], n: int) -> np.ndarray:
    return _choice(rng, _p(weights, DOMAINES), n)


def _type_draw(rng, weights: dict[str, float], n: int) -> np.ndarray:
    return _choice(rng, _p(weights, TYPES), n)


def _stage_jalons(plan: _Plan, J: _Jeunes, S: _Spells, seed: int, b: int):
    rng = _rng(seed, _scale_key(plan.scale.name), 3, b)
    P = plan.prof
    acc = _Acc()
    T = _T

    # --- entry events of every candidate (existing or not)
    m = S.o >= 0
    acc.add(S.j[m], S.o[m], T["orientation_recue"])
    m = S.rdv >= 0
    acc.add(S.j[m], S.rdv[m], T["premier_rdv"])
    m = S.ouv >= 0
    acc.add(S.j[m], S.ouv[m], T["rsa_ouverture"])
    m = S.sortie >= 0
    acc.add(S.j[m], S.sortie[m], T["rsa_sortie"])
    # no-shows: a reminder, sometimes
    first = S.rank == 0
    m = first & J.noshow0[S.j] & (rng.random(len(S)) < 0.4)
    acc.add(S.j[m], S.o[m] + _uniform_int(rng, 3, 30, int(m.sum())), T["contact"])
    # obligation de formation: the ML reaches out first
    m = first & (S.disp == OF) & (S.rdv >= 0) & (rng.random(len(S)) < 0.6)
    acc.add(S.j[m], np.maximum(S.rdv[m] - _uniform_int(rng, 3, 20, int(m.sum())), D0), T["contact"])

    # --- the accompaniments themselves
    ex = np.flatnonzero(S.exists)
    ns = len(ex)
    j = S.j[ex]
    d = J.d[j]
    s = J.s[j]
    disp = S.disp[ex]
    start = S.start[ex]
    end = S.end[ex]
    closed = end >= 0
    motif = S.motif[ex]
    abandon = motif == _M["abandon"]
    wend = np.where(closed, end, D1)
    lag = _uniform_int(rng, 30, 120, ns)
    wb = np.where(abandon, np.maximum(start, wend - lag), wend)  # background activity ends here
    length = wb - start + 1
    months = length / 30.4375
    eng = J.engagement[j]
    suivi = P["suivi"][d] * plan.s_suivi[s]
    insertion = P["insertion"][d] * plan.s_insertion[s]
    age = J.age[j] + (start - J.arrival[j]) / 365.25

    # silences: a mid-spell drop-out followed by a return, or an RSA sanction until remobilisation
    sil_a = np.full(ns, NA, dtype=np.int64)
    sil_b = np.full(ns, NA, dtype=np.int64)
    p_dec = np.clip(0.06 * (1.4 - 0.4 * eng), 0.02, 0.15)
    dec = (length > 150) & (rng.random(ns) < p_dec)
    x = start + (length * rng.uniform(0.2, 0.7, ns)).astype(np.int64)
    g = _uniform_int(rng, 60, 200, ns)
    sanction_p = P["sanction"][d] * np.where(start >= D2025, 1.5, 1.0)
    san = (disp == RSA) & (length > 120) & (rng.random(ns) < sanction_p)
    sx = start + (length * rng.uniform(0.15, 0.65, ns)).astype(np.int64)
    sg = _uniform_int(rng, 30, 120, ns)
    remob = rng.random(ns) < 0.75
    san_sit = rng.random(ns) < 0.35
    dec &= ~san
    ret_sit = rng.random(ns) < 0.6
    # decrochage and return
    i = np.flatnonzero(dec)
    sil_a[i], sil_b[i] = x[i], x[i] + g[i]
    acc.add(j[i], x[i], T["decrochage"])
    i2 = i[(x[i] + g[i] <= wb[i]) & ret_sit[i]]
    acc.add(j[i2], x[i2] + g[i2], _type_draw(rng, _SITUATIONS_RETOUR, len(i2)))
    # sanction, remobilisation
    i = np.flatnonzero(san)
    sil_a[i] = sx[i]
    sil_b[i] = np.where(remob[i], sx[i] + sg[i], wb[i] + 1)
    acc.add(j[i], sx[i], T["rsa_sanction"])
    i = i[remob[i] & (sx[i] + sg[i] <= wb[i])]
    situ = san_sit[i]
    acc.add(
        j[i[situ]],
        sx[i[situ]] + sg[i[situ]],
        _type_draw(rng, {"immersion": 0.5, "formation_preparatoire": 0.3, "emploi_cdd_court": 0.2}, int(situ.sum())),
    )
    acc.add(j[i], sx[i] + sg[i] + np.where(situ, _uniform_int(rng, 0, 7, len(i)), 0), T["rsa_remobilisation"])

    # exits
    i = np.flatnonzero(closed & abandon)
    acc.add(j[i], end[i], T["decrochage"])
    i = np.flatnonzero(closed & np.isin(motif, POSITIFS) & (rng.random(ns) < 0.92))
    exit_type = np.full(len(i), NA, dtype=np.int64)
    for mk, w in _SITUATION_SORTIE.items():
        sel = motif[i] == _M[mk]
        exit_type[sel] = _type_draw(rng, w, int(sel.sum()))
    acc.add(j[i], np.maximum(end[i] - _uniform_int(rng, 0, 21, len(i)), start[i]), exit_type)
    i = i[rng.random(len(i)) < 0.3]
    dt = end[i] - _uniform_int(rng, 30, 90, len(i))
    i, dt = i[dt >= start[i]], dt[dt >= start[i]]
    acc.add(j[i], dt, T["immersion"], spell=i, background=True)

    # background: follow-up, situations, securing
    def spread(rate: np.ndarray, typ, regular: np.ndarray | None = None, **kw):
        counts = rng.poisson(np.maximum(rate, 0) * months)
        idx, k = _repeat_index(counts)
        pos = rng.random(len(idx))
        if regular is not None:
            reg = (k + 0.5 + rng.uniform(-0.4, 0.4, len(idx))) / np.maximum(counts[idx], 1)
            pos = np.where(regular[idx], reg, pos)
        dates = start[idx] + np.floor(pos * length[idx]).astype(np.int64)
        t = typ(len(idx)) if callable(typ) else typ
        extra = {k2: (v(idx) if callable(v) else v) for k2, v in kw.items()}
        acc.add(j[idx], dates, t, spell=idx, background=True, **extra)
        return idx, dates

    R = {k: v[disp] for k, v in _RATE_A.items()}
    intensite = suivi * plan.scale.intensite_suivi
    spread(R["entretien"] * eng * intensite, T["entretien"], regular=~J.irregular[j])
    spread(R["atelier"] * eng * intensite, T["atelier"])
    spread(R["contact"] * intensite, T["contact"])
    spread(R["situation"] * insertion, lambda n: _type_draw(rng, _SITUATIONS_PENDANT, n))
    spread(R["droit_ouvert"] * suivi, T["droit_ouvert"], dom=lambda idx: _dom_draw(rng, _DROIT_DOM, len(idx)))
    faj_rate = R["aide_faj"] * suivi * (age < 26)
    spread(
        faj_rate,
        T["aide_faj"],
        montant=lambda idx: np.round(np.clip(150 * np.exp(rng.normal(0, 0.6, len(idx))), 50, 500) / 10) * 10.0,
    )
    part_w = np.tile(_p(_PARTENAIRE_DOM, DOMAINES), (ns, 1))
    part_w[disp == ASE, _DOM["ase"]] += 0.25
    part_w[disp == RSA, _DOM["departement"]] += 0.15
    spread(
        R["mobilisation_partenaire"] * suivi,
        T["mobilisation_partenaire"],
        dom=lambda idx: _choice_rows(rng, part_w[idx]),
    )

    # ruptures: risks, then (often) their resolution
    vuln = (1 + 0.4 * J.qpv[j] + 0.6 * J.rqth[j] + 0.3 * (J.niveau[j] == 0)) * P["risque"][d]
    counts = rng.poisson(R["risque_rupture"] * vuln * months)
    ridx, _ = _repeat_index(counts)
    rdate = start[ridx] + np.floor(rng.random(len(ridx)) * length[ridx]).astype(np.int64)
    keep = ~((sil_a[ridx] >= 0) & (rdate > sil_a[ridx]) & (rdate < sil_b[ridx]))
    ridx, rdate = ridx[keep], rdate[keep]
    rdom = _dom_draw(rng, _RISQUE_DOM, len(ridx))
    acc.add(j[ridx], rdate, T["risque_rupture"], dom=rdom)
    u = rng.random(len(ridx))
    rd = d[ridx]
    p_ev = P["p_evitee"][rd]
    evitee = u < p_ev
    survenue = (u >= p_ev) & (u < p_ev + P["p_survenue"][rd])
    delay = np.where(evitee, _lognormal_days(rng, 25, 0.7, len(ridx)), _lognormal_days(rng, 35, 0.7, len(ridx)))
    res = rdate + np.maximum(delay, 1)
    # past the end of a spell closed normally, the outcome is recorded at the exit
    res = np.where((res > wb[ridx]) & closed[ridx] & ~abandon[ridx], wb[ridx], res)
    in_sil = (sil_a[ridx] >= 0) & (res > sil_a[ridx]) & (res < sil_b[ridx])
    ok = (res <= wb[ridx]) & ~in_sil  # resolved while followed, else left open
    m = evitee & ok
    acc.add(j[ridx[m]], res[m], T["rupture_evitee"], dom=rdom[m])
    m2 = survenue & ok
    acc.add(j[ridx[m2]], res[m2], T["rupture_survenue"], dom=rdom[m2])
    # the partner or the right that averted it
    comp = m & (rng.random(len(ridx)) < 0.5)
    as_right = rng.random(len(ridx)) < 0.5
    cdate = np.maximum(res - _uniform_int(rng, 0, 10, len(ridx)), rdate)
    c1 = comp & as_right
    acc.add(j[ridx[c1]], cdate[c1], T["droit_ouvert"], dom=rdom[c1])
    c2 = comp & ~as_right
    acc.add(j[ridx[c2]], cdate[c2], T["mobilisation_partenaire"], dom=_PART_OF_RISK[rdom[c2]])

    # --- assemble
    jl, dl, tl, doml, mont, spl, bgl = acc.arrays()
    dl = np.where(_EN_SEMAINE[tl], _weekday_forward(dl), dl)
    keep = (dl >= D0) & (dl <= D1)
    sp = np.where(spl >= 0, spl, 0)
    if ns:
        silent = bgl & (sil_a[sp] >= 0) & (dl > sil_a[sp]) & (dl < sil_b[sp])
        keep &= ~silent
    jl, dl, tl, doml, mont = jl[keep], dl[keep], tl[keep], doml[keep], mont[keep]
    order = np.lexsort((_TYPE_RANK[tl], dl, jl))
    jl, dl, tl, doml, mont = jl[order], dl[order], tl[order], doml[order], mont[order]
    n = len(jl)
    has_com = rng.random(n) < _COM_P[tl]
    com = np.where(has_com, _COM_OFF[tl] + np.floor(rng.random(n) * _COM_SIZE[tl]).astype(np.int64), -1)
    return jl, dl, tl, doml, mont, com


def _largeur_id_jalon(sc: Scale) -> int:
    """Digits of the jalon ids: 7, or more when a scale could reach 10 million jalons."""
    return max(7, len(str(sc.jeunes * 15)))


def _jalons_frame(J: _Jeunes, arrays, first_id: int, width: int) -> pd.DataFrame:
    jl, dl, tl, doml, mont, com = arrays
    ids_j = _ids("J", int(J.g[0]) + 1, len(J), 7) if len(J) else np.array([], dtype=object)
    return _frame(
        "jalons",
        {
            "id_jalon": _ids("L", first_id, len(jl), width),
            "id_jeune": ids_j[jl],
            "date": _dates(dl),
            "type": _TYPE_OBJ[tl],
            "domaine": _DOM_OBJ[doml],
            "montant_eur": np.round(mont, 2),
            "commentaire": _COM_FLAT[com],
        },
    )


# --------------------------------------------------------------------------------------
# A planted effect (off by default): proof that the effect estimator (indicators/models/effets.py)
# recovers a known effect under confounding.


@dataclass(frozen=True)
class Scenario:
    """Immersions with a known effect on the chance of a job, given with confounding.

    When a scenario is passed to `generate`, the jalons of each batch are changed after they are
    drawn, with a random stream of their own (stage 11), so the default data never moves:

    * every `immersion` and every job (`vocab.EMPLOI`) of the batch is removed;
    * jobs come back as a Poisson process over each jeune's time from their first accompagnement
      to AS_OF, whose rate depends on the niveau only: the chance of at least one job within
      `horizon_jours` of any date is `P_EMPLOI[niveau]` (higher with a higher niveau);
    * at the first month start after the start of the first accompagnement (while it is still
      open), the jeune gets an immersion during that month with probability `P_IMMERSION[niveau]`
      (also higher with a higher niveau: confounding). Immersions are offered at that month only,
      so no young person of the comparison group gets one later within the horizon;
    * an immersion raises the chance of a job within `horizon_jours` of that month start by exactly
      `effet_immersion` (additive, in every niveau): when no job falls in the window, one is added
      at a random date after the immersion with probability effet / (1 − P_EMPLOI[niveau]).
    """

    effet_immersion: float = 0.0  # points of probability, 0 to 0.45
    horizon_jours: int = 183

    # niveau (NIVEAUX order, then missing) -> probability
    P_EMPLOI = (0.20, 0.30, 0.42, 0.50, 0.30)
    P_IMMERSION = (0.10, 0.20, 0.35, 0.45, 0.20)

    def __post_init__(self) -> None:
        if not 0.0 <= self.effet_immersion <= 1.0 - max(self.P_EMPLOI):
            raise ValueError(f"effet_immersion must lie in [0, {1 - max(self.P_EMPLOI):.2f}]")


_SCENARIO_EMPLOIS = ("emploi_cdd_court", "emploi_interim", "emploi_cdd_long", "emploi_cdi", "alternance")
_SCENARIO_EMPLOIS_P = np.array([0.35, 0.25, 0.15, 0.13, 0.12])
_MONTH_START_EXT = np.append(_MONTH_START, [_day(date(2026, 11, 1)), _day(date(2026, 12, 1))])


def _plant(scenario: Scenario, J: _Jeunes, S: _Spells, arrays, seed: int, scale_name: str, b: int):
    """The batch's jalon arrays with the scenario's immersions and jobs (see `Scenario`)."""
    rng = _rng(seed, _scale_key(scale_name), 11, b)
    jl, dl, tl, doml, mont, com = arrays
    drop = np.isin(tl, [_T[t] for t in (*vocab.EMPLOI, "immersion")])
    parts = [(jl[~drop], dl[~drop], tl[~drop], doml[~drop], mont[~drop], com[~drop])]
    h = scenario.horizon_jours

    first = S.exists & (S.rank == 0)
    j, start, end = S.j[first], S.start[first], S.end[first]
    niv = np.where(J.niveau[j] >= 0, J.niveau[j], len(NIVEAUX))
    p_emploi = np.array(scenario.P_EMPLOI)[niv]
    # jobs: Poisson with rate r per day, P(at least one in h days) = p_emploi
    rate = -np.log1p(-p_emploi) / h
    span = np.maximum(D1 - start + 1, 0)
    k = rng.poisson(rate * span)
    jj, _ = _repeat_index(k)
    job_days = start[jj] + np.floor(rng.random(len(jj)) * span[jj]).astype(np.int64)
    job_j = j[jj]

    # the immersion: the first month start after the start, while the spell is open
    idx = np.searchsorted(_MONTH_START_EXT, start, side="right")
    landmark = _MONTH_START_EXT[idx]
    month_end = _MONTH_START_EXT[np.minimum(idx + 1, len(_MONTH_START_EXT) - 1)]
    eligible = (landmark <= D1) & ((end < 0) | (end >= landmark))
    treated = eligible & (rng.random(len(j)) < np.array(scenario.P_IMMERSION)[niv])
    imm_day = landmark + np.floor(rng.random(len(j)) * (month_end - landmark)).astype(np.int64)
    # the effect: a job in the window when there was none, with probability effet / (1 - p)
    in_window = np.zeros(len(j), dtype=bool)
    hit = (job_days >= landmark[jj]) & (job_days < landmark[jj] + h)
    in_window[np.unique(jj[hit])] = True
    u = rng.random(len(j))
    extra = treated & ~in_window & (u < scenario.effet_immersion / (1.0 - p_emploi))
    extra_day = imm_day + 1 + np.floor(rng.random(len(j)) * np.maximum(landmark + h - imm_day - 1, 1)).astype(np.int64)

    new_j = np.concatenate([job_j, j[extra], j[treated]])
    new_d = np.concatenate([job_days, extra_day[extra], imm_day[treated]])
    kinds = np.array([_T[t] for t in _SCENARIO_EMPLOIS])
    n_jobs = len(job_j) + int(extra.sum())
    new_t = np.concatenate([kinds[_choice(rng, _SCENARIO_EMPLOIS_P, n_jobs)], np.full(int(treated.sum()), _T["immersion"])])
    n = len(new_j)
    parts.append((new_j, new_d, new_t, np.full(n, NA), np.full(n, np.nan), np.full(n, -1)))
    jl, dl, tl, doml, mont, com = (np.concatenate(c) for c in zip(*parts, strict=True))
    keep = (dl >= D0) & (dl <= D1)
    jl, dl, tl, doml, mont, com = jl[keep], dl[keep], tl[keep], doml[keep], mont[keep], com[keep]
    order = np.lexsort((_TYPE_RANK[tl], dl, jl))
    return jl[order], dl[order], tl[order], doml[order], mont[order], com[order]


# --------------------------------------------------------------------------------------
# financements and objectifs (per structure, from the activity actually generated)


def _financements(plan: _Plan, seed: int, stats: dict[str, np.ndarray]) -> pd.DataFrame:
    rng = _rng(seed, _scale_key(plan.scale.name), 9, 0)
    n_s = len(plan.codes)
    P = plan.prof
    cout = rng.uniform(850, 1700, n_s) * P["cout"][plan.struct_dep]  # € per jeune suivi and year
    part_etat_cej = rng.uniform(0.08, 0.14, n_s)
    rsa_par_jeune = rng.uniform(900, 1500, n_s)  # CD convention, per RSA jeune
    has_cd_tous = rng.random(n_s) < 0.8
    has_fse = rng.random(n_s) < 0.35
    has_autre = rng.random(n_s) < 0.75
    growth = np.exp(rng.normal(0.02, 0.03, (n_s, len(YEARS))))
    rows = {c: [] for c in COLUMNS["financements"]}

    def put(mask, yi, financeur, dispositif, amount):
        i = np.flatnonzero(mask & (amount >= 100))
        rows["code_structure"].append(plan.codes[i])
        rows["annee"].append(np.full(len(i), YEARS[yi], dtype=np.int64))
        rows["financeur"].append(np.full(len(i), financeur, dtype=object))
        rows["dispositif"].append(np.full(len(i), dispositif, dtype=object))
        rows["montant_eur"].append(np.round(amount[i], -2).astype(float))

    for yi, _y in enumerate(YEARS):
        # the convention of year Y is sized on the activity of Y (2026: on 2025, the data stops in October)
        ref = stats["suivis"][:, min(yi, 2)].astype(float) * (growth[:, yi] if yi == 3 else 1.0)
        rsa = stats["rsa"][:, min(yi, 2)].astype(float) * (growth[:, yi] if yi == 3 else 1.0)
        total = cout * ref * growth[:, yi]
        yes = np.ones(n_s, dtype=bool)
        put(yes, yi, "ETAT", "TOUS", total * rng.uniform(0.40, 0.50, n_s))
        put(yes, yi, "ETAT", "CEJ", total * part_etat_cej)
        put(yes, yi, "CD", "RSA", rsa * rsa_par_jeune * growth[:, yi])
        put(has_cd_tous, yi, "CD", "TOUS", total * rng.uniform(0.06, 0.14, n_s))
        put(has_fse, yi, "FSE", "TOUS", total * rng.uniform(0.04, 0.10, n_s))
        put(has_autre, yi, "AUTRE", "TOUS", total * rng.uniform(0.15, 0.30, n_s))
    data = {k: np.concatenate(v) for k, v in rows.items()}
    order = np.lexsort(
        (
            data["dispositif"].astype(str),
            data["financeur"].astype(str),
            data["annee"],
            data["code_structure"].astype(str),
        )
    )
    return _frame("financements", {k: v[order] for k, v in data.items()})


# (indicator, low, high, step) of the targets: % for ratios, days for the delay
_CIBLES = {
    "acces_emploi": (32, 45, 1),
    "entree_sous_30j": (60, 80, 5),
    "taux_ruptures_evitees": (55, 70, 5),
    "sorties_positives": (40, 55, 1),
    "delai_entree_jours": (18, 30, 1),
    "parcours_securises": (60, 80, 5),
    "maintien_hors_rsa_6m": (70, 85, 5),
    "acces_emploi_durable": (9, 16, 1),
    "acces_formation": (12, 20, 1),
}
_CIBLES_OPTION = (
    "sorties_positives",
    "delai_entree_jours",
    "parcours_securises",
    "maintien_hors_rsa_6m",
    "acces_emploi_durable",
    "acces_formation",
)
assert set(_CIBLES) | {"jeunes_rsa_suivis", "entretiens_par_jeune"} <= set(vocab.INDICATEUR_CODES)


def _objectifs(plan: _Plan, seed: int, stats: dict[str, np.ndarray]) -> pd.DataFrame:
    rng = _rng(seed, _scale_key(plan.scale.name), 10, 0)
    out: dict[str, list] = {c: [] for c in COLUMNS["objectifs"]}
    n_s = len(plan.codes)

    def put(i, annee, code, cible):
        out["code_structure"].append(plan.codes[i])
        out["annee"].append(annee)
        out["indicateur"].append(str(code))
        out["cible"].append(float(cible))

    for i in range(n_s):  # ~440 structures at most: a loop per structure, not per jeune
        chosen = ["jeunes_rsa_suivis", "acces_emploi", "entree_sous_30j", "taux_ruptures_evitees"]
        k = int(rng.integers(1, 4))
        chosen += list(rng.choice(_CIBLES_OPTION, size=k, replace=False))
        if rng.random() < 0.3:
            chosen.append("entretiens_par_jeune")
        for code in sorted(chosen, key=list(vocab.INDICATEUR_CODES).index):
            if code == "jeunes_rsa_suivis":
                base = stats["rsa"][i, 1]  # 2024
                if base == 0:
                    continue
                c25 = max(1, round(base * rng.uniform(1.0, 1.15)))
                c26 = max(1, round(c25 * rng.uniform(1.0, 1.08)))
            elif code == "entretiens_par_jeune":
                c25 = round(rng.uniform(2.5, 4.5), 1)
                c26 = round(c25 + 0.3, 1)
            else:
                lo, hi, step = _CIBLES[code]
                c25 = lo + step * int(rng.integers(0, (hi - lo) // step + 1))
                c26 = c25 - step if code == "delai_entree_jours" else c25 + step
            put(i, 2025, code, c25)
            put(i, 2026, code, c26)
    return _frame(
        "objectifs",
        {
            "code_structure": np.array(out["code_structure"], dtype=object),
            "annee": np.array(out["annee"], dtype=np.int64),
            "indicateur": np.array(out["indicateur"], dtype=object),
            "cible": np.array(out["cible"], dtype=float),
        },
    )


# --------------------------------------------------------------------------------------
# The public interface


def _chunks(table: str, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    n = len(frame)
    if n <= CHUNK_ROWS:
        yield table, frame
        return
    for lo in range(0, n, CHUNK_ROWS):
        yield table, frame.iloc[lo : lo + CHUNK_ROWS].reset_index(drop=True)


def generate(
    scale: str = "demo", seed: int = 42, progress: Progress | None = None, scenario: Scenario | None = None
) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield (table, chunk) in dependency order (structures, jeunes, accompagnements, jalons,
    financements, objectifs); chunks of at most CHUNK_ROWS rows, all chunks of a table before
    the next table. `progress(table, n_rows)` is called after each chunk with its row count.
    `scenario` (None by default) plants a known effect in the jalons (see `Scenario`)."""
    sc = _scale(scale)
    seed = _check_seed(seed)
    plan = _plan(sc.name, seed)

    def emit(table: str, frame: pd.DataFrame):
        for t, chunk in _chunks(table, frame):
            yield t, chunk
            if progress is not None:
                progress(t, len(chunk))

    yield from emit(
        "structures",
        _frame(
            "structures",
            {
                "code_structure": plan.codes,
                "nom": plan.noms,
                "departement": np.array(plan.deps, dtype=object)[plan.struct_dep],
            },
        ),
    )
    for b in range(plan.n_batches):
        yield from emit("jeunes", _jeunes_frame(plan, _stage_jeunes(plan, seed, b)))

    n_s = len(plan.codes)
    stats = {k: np.zeros((n_s, len(YEARS)), dtype=np.int64) for k in ("suivis", "rsa", "cej")}
    next_id = 1
    for b in range(plan.n_batches):
        J = _stage_jeunes(plan, seed, b)
        S = _stage_spells(plan, J, seed, b)
        _activity_stats(plan, J, S, stats)
        frame = _accompagnements_frame(plan, J, S, next_id)
        next_id += len(frame)
        yield from emit("accompagnements", frame)

    next_id = 1
    for b in range(plan.n_batches):
        J = _stage_jeunes(plan, seed, b)
        S = _stage_spells(plan, J, seed, b)
        arrays = _stage_jalons(plan, J, S, seed, b)
        if scenario is not None:
            arrays = _plant(scenario, J, S, arrays, seed, sc.name, b)
        frame = _jalons_frame(J, arrays, next_id, _largeur_id_jalon(sc))
        next_id += len(frame)
        del arrays
        yield from emit("jalons", frame)

    yield from emit("financements", _financements(plan, seed, stats))
    yield from emit("objectifs", _objectifs(plan, seed, stats))


# Average rows per jeune (measured on the three scales, seed 42), for progress bars: jalons per
# jeune ≈ a + b × intensite_suivi.
_ACC_PAR_JEUNE = 1.115
_JALONS_PAR_JEUNE = (2.6, 7.2)


def estimated_rows(scale: str) -> dict[str, int]:
    """Rough row count per table (for progress bars)."""
    sc = _scale(scale)
    n_s = sc.structures
    return {
        "structures": n_s,
        "jeunes": sc.jeunes,
        "accompagnements": round(sc.jeunes * _ACC_PAR_JEUNE),
        "jalons": round(sc.jeunes * (_JALONS_PAR_JEUNE[0] + _JALONS_PAR_JEUNE[1] * sc.intensite_suivi)),
        "financements": round(n_s * len(YEARS) * 4.9),
        "objectifs": round(n_s * 2 * 6.3),
    }
