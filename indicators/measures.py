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
    `cle`: how to read a count's cell key, the sum of its contributors' record keys (None for a
    sum of days or of euros): what the disclosure layer perturbs it by (`indicators.disclosure.perturbation`).
    """

    nom: str
    description: str
    passe: str
    lire: Callable[[object], object]  # Agregats -> int, Fraction, Decimal, histogram or None
    detail: bool = False
    types: tuple[str, ...] = ()
    effectif: str | None = None
    cle: Callable[[object], int] | None = None


def _m(nom: str, description: str, passe: str, lire, detail: bool = False, effectif: str | None = None) -> Mesure:
    return Mesure(nom, description, passe, lire, detail, effectif=effectif)


def jalons(*types: str) -> str:
    """The name of the measure counting the jalons of `types` in P (`jalons("entretien")`)."""
    return JALONS + "+".join(types)


def _n(nom: str, description: str, passe: str, champ: str, detail: bool = False) -> Mesure:
    """A count read from the field `champ` of the aggregates, its cell key from `cles[champ]`."""
    return Mesure(nom, description, passe, lambda a: getattr(a, champ), detail=detail, cle=lambda a: a.cles[champ])


def _keys(kind: str, keep=lambda _: True) -> Callable[[object], int]:
    """The sum of the cell keys `(kind, x)` of the aggregates whose x passes `keep`."""
    return lambda a: sum(n for k, n in a.cles.items() if isinstance(k, tuple) and k[0] == kind and keep(k[1]))


MESURES: dict[str, Mesure] = {
    m.nom: m
    for m in (
        _n("jeunes", "Jeunes suivis sur la période", "suivis", "jeunes"),
        _n("nouveaux", "Jeunes suivis dont le premier accompagnement débute dans la période", "suivis", "nouveaux", detail=True),
        _n("jeunes_rsa", "Jeunes suivis ayant un accompagnement RSA actif", "suivis", "rsa", detail=True),
        _n("jeunes_90j", "Jeunes suivis au moins 90 jours dans la période", "suivis", "longs", detail=True),
        _n("sorties", "Accompagnements terminés dans la période", "suivis", "sorties", detail=True),
        _n("sorties_positives", "Accompagnements terminés dans la période pour un motif positif", "suivis", "sorties_positives", detail=True),
        _n("jeunes_emploi", "Jeunes suivis ayant une entrée en emploi", "situations", "emploi"),
        _n("jeunes_emploi_durable", "Jeunes suivis ayant une entrée en emploi durable", "situations", "durable"),
        _n("jeunes_formation", "Jeunes suivis ayant une entrée en formation", "situations", "formation"),
        _n("jeunes_retour", "Jeunes revenus en situation après une coupure", "situations", "retours"),
        _n("jeunes_securises", "Jeunes suivis 90 jours sans rupture ni interruption", "parcours", "securises"),
        Mesure("risques_ouverts", "Risques de rupture non tranchés à la fin de la période", "risques_ouverts",
               lambda a: sum(a.risques_ouverts.values()), cle=_keys("risques_ouverts")),
        _n("jeunes_ancres_rsa", "Jeunes au RSA depuis au moins 365 jours", "ancrage", "ancres"),
        _n("jeunes_au_rsa", "Jeunes suivis ayant été au RSA pendant la période", "ancrage", "au_rsa"),
        Mesure("delais_suivis", "Délais en jours des orientations suivies d'un rendez-vous (histogramme)",
               "orientations", lambda a: {d: n for d, n in a.delais.items() if d is not None},
               cle=_keys("delais", lambda d: d is not None)),
        Mesure("orientations", "Orientations reçues dans la période", "orientations", lambda a: sum(a.delais.values()),
               cle=_keys("delais")),
        Mesure("orientations_30j", "Orientations suivies d'un rendez-vous dans les 30 jours", "orientations",
               lambda a: sum(n for d, n in a.delais.items() if d is not None and d <= 30),
               cle=_keys("delais", lambda d: d is not None and d <= 30)),
        _n("sorties_rsa_maintenues", "Sorties du RSA sans réouverture dans les 183 jours", "maintien", "maintenus"),
        _n("sorties_rsa_anciennes", "Sorties du RSA datées 183 jours avant la période", "maintien", "sorties_anciennes"),
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
            return Mesure(
                nom, f"Jalons {labels} datés dans la période", "jalons", _jalon_count(types), types=types,
                cle=_keys("jalons", lambda t: t in types),
            )
        raise KeyError(f"mesure inconnue : {nom} (type de jalon inconnu : {', '.join(unknown)})")
    raise KeyError(f"mesure inconnue : {nom}")
