"""The measures: the named figures indicators are built from, each declared once with the SQL pass computing it.

A measure is what one pass of `indicators.sql` (run by `engine._aggregate`, or
by `naive.aggregates`) leaves in the aggregates of a group (`formules.Agregats`):
a count of young people, of jalons, a sum, a histogram. An indicator names its
numerator and denominator by measure (`registry.Indicateur.mesure_numerateur`),
so that the engine knows which passes to run and the arithmetic is generic.

Jalon counts are one parametric family: `jalons:<type>` counts the jalons of
that type in P, `jalons:<type>+<type>` those of several types; the `jalons`
pass counts whichever types the asked indicators name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from indicators.impact_chain import MOIS_JOURS
from mlimpact import vocab

# The passes of `indicators.sql`, in the order the engine runs them, with what they read.
PASSES: dict[str, str] = {
    "suivis": "les jeunes suivis S(P) et leurs accompagnements (Requetes.summary)",
    "jalons": "les jalons de P des jeunes suivis, par type (Requetes.jalon_counts)",
    "situations": "les premières situations de P des jeunes suivis (Requetes.situations)",
    "parcours": "les fenêtres de suivi de 90 jours ou plus (Requetes.parcours_securises)",
    "risques_ouverts": "les risques non tranchés à la fin de P (Requetes.risques_ouverts)",
    "ancrage": "les périodes de RSA (Requetes.ancrage_rsa)",
    "orientations": "les orientations de P et leur premier rendez-vous (Requetes.delais_entree)",
    "maintien": "les sorties du RSA 183 jours avant P (Requetes.maintien_hors_rsa)",
    "hors_rsa": "les jours hors RSA après les sorties de P (Requetes.jours_hors_rsa)",
    "budget": "les financements au prorata de P (Requetes.financements)",
}
JALONS = "jalons:"  # the prefix of the parametric family of jalon counts


@dataclass(frozen=True)
class Mesure:
    """A named figure of one group: its plain French description, the pass that computes it, how to read it.

    `detail`: the pass needs more of S(P) than who is in it (`Requetes(detail=True)`).
    `types`: the jalon types a `jalons:` measure counts (empty for the others).
    `effectif`: for a measure that is not itself a count of people or events, the
    measure counting those it is built on (statistical confidentiality masks it with them).
    """

    nom: str
    description: str
    passe: str
    lire: Callable[[object], object]  # Agregats -> int, Fraction, Decimal, histogram or None
    detail: bool = False
    types: tuple[str, ...] = ()
    effectif: str | None = None


def _m(nom: str, description: str, passe: str, lire, detail: bool = False, effectif: str | None = None) -> Mesure:
    return Mesure(nom, description, passe, lire, detail, effectif=effectif)


def jalons(*types: str) -> str:
    """The name of the measure counting the jalons of `types` in P (`jalons("entretien")`)."""
    return JALONS + "+".join(types)


MESURES: dict[str, Mesure] = {
    m.nom: m
    for m in (
        _m("jeunes", "Jeunes suivis sur la période", "suivis", lambda a: a.jeunes),
        _m("nouveaux", "Jeunes suivis dont le premier accompagnement débute dans la période", "suivis",
           lambda a: a.nouveaux, detail=True),
        _m("jeunes_rsa", "Jeunes suivis ayant un accompagnement RSA actif", "suivis", lambda a: a.rsa, detail=True),
        _m("jeunes_90j", "Jeunes suivis au moins 90 jours dans la période", "suivis", lambda a: a.longs, detail=True),
        _m("sorties", "Accompagnements terminés dans la période", "suivis", lambda a: a.sorties, detail=True),
        _m("sorties_positives", "Accompagnements terminés dans la période pour un motif positif", "suivis",
           lambda a: a.sorties_positives, detail=True),
        _m("jeunes_emploi", "Jeunes suivis ayant une entrée en emploi", "situations", lambda a: a.emploi),
        _m("jeunes_emploi_durable", "Jeunes suivis ayant une entrée en emploi durable", "situations",
           lambda a: a.durable),
        _m("jeunes_formation", "Jeunes suivis ayant une entrée en formation", "situations", lambda a: a.formation),
        _m("jeunes_retour", "Jeunes revenus en situation après une coupure", "situations", lambda a: a.retours),
        _m("jeunes_securises", "Jeunes suivis 90 jours sans rupture ni interruption", "parcours",
           lambda a: a.securises),
        _m("risques_ouverts", "Risques de rupture non tranchés à la fin de la période", "risques_ouverts",
           lambda a: sum(a.risques_ouverts.values())),
        _m("jeunes_ancres_rsa", "Jeunes au RSA depuis au moins 365 jours", "ancrage", lambda a: a.ancres),
        _m("jeunes_au_rsa", "Jeunes suivis ayant été au RSA pendant la période", "ancrage", lambda a: a.au_rsa),
        _m("delais_suivis", "Délais en jours des orientations suivies d'un rendez-vous (histogramme)",
           "orientations", lambda a: {d: n for d, n in a.delais.items() if d is not None}),
        _m("orientations", "Orientations reçues dans la période", "orientations", lambda a: sum(a.delais.values())),
        _m("orientations_30j", "Orientations suivies d'un rendez-vous dans les 30 jours", "orientations",
           lambda a: sum(n for d, n in a.delais.items() if d is not None and d <= 30)),
        _m("sorties_rsa_maintenues", "Sorties du RSA sans réouverture dans les 183 jours", "maintien",
           lambda a: a.maintenus),
        _m("sorties_rsa_anciennes", "Sorties du RSA datées 183 jours avant la période", "maintien",
           lambda a: a.sorties_anciennes),
        _m("jours_hors_rsa", "Jours hors RSA après les sorties de la période, par montant du RSA (histogramme)",
           "hors_rsa", lambda a: a.jours_hors_rsa, effectif=jalons("rsa_sortie")),
        _m("mois_hors_rsa", "Mois hors RSA après les sorties de la période (jours ÷ 30,4375)", "hors_rsa",
           lambda a: Decimal(sum(a.jours_hors_rsa.values())) / MOIS_JOURS, effectif=jalons("rsa_sortie")),
        _m("budget", "Budget de la période, au centime", "budget", lambda a: a.budget_au_centime),
        _m("budget_cd", "Financements du Département (financeur CD) de la période, au centime", "budget",
           lambda a: a.budget_cd_au_centime),
    )
}

# The named calculations an indicator may declare where the generic formulas do not apply
# (their arithmetic: `formules.CALCULS`).
CALCULS: dict[str, str] = {
    "mediane": "médiane de l'histogramme du numérateur ; dénominateur : sa taille",
    "couts_bruts": "jours hors RSA × montant mensuel du RSA à la date de sortie ÷ 30,4375, au centime",
    "couts_nets": "coûts bruts × (1 − effet d'aubaine) × (1 − part des autres acteurs), avec les cas bas et haut",
    "euros_par_euro": "coûts nets ÷ budget",
}


def _jalon_count(types: tuple[str, ...]) -> Callable[[object], int]:
    return lambda a: sum(a.jalons.get(t, 0) for t in types)


@cache
def get(nom: str) -> Mesure:
    """The measure `nom`, a `jalons:` one built on demand; a French KeyError for an unknown one."""
    if nom in MESURES:
        return MESURES[nom]
    if nom.startswith(JALONS):
        types = tuple(nom.removeprefix(JALONS).split("+"))
        unknown = [t for t in types if t not in vocab.TYPES_JALON]
        if not unknown:
            labels = " ou ".join(vocab.TYPES_JALON[t][1].lower() for t in types)
            return Mesure(nom, f"Jalons {labels} datés dans la période", "jalons", _jalon_count(types), types=types)
        raise KeyError(f"mesure inconnue : {nom} (type de jalon inconnu : {', '.join(unknown)})")
    raise KeyError(f"mesure inconnue : {nom}")
