"""The registry: one declarative definition per indicator of docs/arithmetic.md.

Every page, report, export and the CLI read labels, units and directions here;
the engine computes exactly these codes. Each definition also
declares its arithmetic: its numerator and denominator as named measures
(`indicators.measures`), the factor of its nature (`FACTEURS`), and, for the few
figures no generic formula gives, a named calculation (`measures.CALCULS`).
The engine derives from these which SQL passes to run. The registry is checked when this
module loads, by small rule objects (as dbt MetricFlow validates its semantic
manifest): each rule returns issues with a level, and any error stops the load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from indicators import measures
from indicators.measures import jalons
from indicators.types import Famille, Nature, Niveau, Sens
from mlimpact import vocab

REGISTRY_VERSION = "1.0"

# The scaling factor belongs to the kind of indicator, not to each formula (as in DHIS2).
FACTEURS: dict[Nature, int] = {Nature.COUNT: 1, Nature.RATIO: 100, Nature.NUMBER: 1, Nature.EUROS: 1}

FAMILLES: dict[Famille, str] = {
    Famille.ACTIVITE: "Activité : ce qui est fait et ce que cela coûte",
    Famille.PRODUIT: "Produits : ce que l'accompagnement produit",
    Famille.PREVENTION: "Prévention : ce que l'accompagnement prévient",
    Famille.IMPACT: "Impact : ce qui est évité, en euros",
}
FAMILLES_COURTES: dict[Famille, str] = {
    Famille.ACTIVITE: "Activité",
    Famille.PRODUIT: "Produits",
    Famille.PREVENTION: "Prévention",
    Famille.IMPACT: "Impact",
}
SENS: dict[Sens, str] = {
    Sens.HAUSSE: "plus haut, c'est mieux",
    Sens.BAISSE: "plus bas, c'est mieux",
    Sens.NEUTRE: "ni mieux ni moins bien (volume)",
}
NIVEAUX: dict[Niveau, str] = {
    Niveau.REALISATION: "réalisation",
    Niveau.RESULTAT: "résultat",
    Niveau.IMPACT: "impact",
}


@dataclass(frozen=True)
class Indicateur:
    """One indicator: what it measures, in words a director understands, and how to read it.

    `numerateur` and `denominateur` say in words what `mesure_numerateur` and
    `mesure_denominateur` compute (the names of measures, `indicators.measures`);
    `denominateur` is None for a count (its denominator is 1, as in DHIS2). With
    no `calcul`, the value follows from the nature: a count is its numerator, a
    ratio facteur × n / d with n and d kept, any other nature facteur × n / d
    (or facteur × n without a denominator), rounded to `decimales`.
    `domaines` names the vocabulary of a breakdown by domaine ("rupture" or
    "partenaire") when the indicator counts jalons that carry one; `precision`
    states the exact rule of docs/arithmetic.md where the definition simplifies.
    """

    code: str
    famille: Famille
    nature: Nature
    libelle: str
    definition: str
    unite: str
    sens: Sens
    niveau: Niveau
    numerateur: str
    denominateur: str | None = None
    decimales: int = 0
    domaines: str | None = None
    precision: str = ""  # the exact rule, for the methodology annex, where the plain definition is not enough
    mesure_numerateur: str = ""
    mesure_denominateur: str | None = None
    calcul: str | None = None  # a named calculation of measures.CALCULS, for what no generic formula gives

    @property
    def facteur(self) -> int:
        return FACTEURS[self.nature]

    @property
    def mesures(self) -> tuple[str, ...]:
        """The names of the measures this indicator reads (numerator first)."""
        return tuple(m for m in (self.mesure_numerateur, self.mesure_denominateur) if m)


_C, _R, _N, _E = Nature.COUNT, Nature.RATIO, Nature.NUMBER, Nature.EUROS
_A, _P, _V, _I = Famille.ACTIVITE, Famille.PRODUIT, Famille.PREVENTION, Famille.IMPACT
_UP, _DOWN, _FLAT = Sens.HAUSSE, Sens.BAISSE, Sens.NEUTRE
_REA, _RES, _IMP = Niveau.REALISATION, Niveau.RESULTAT, Niveau.IMPACT
_SUIVIS = "Jeunes suivis sur la période"

DEFINITIONS: tuple[Indicateur, ...] = (
    # --- activite ---------------------------------------------------------------------------------
    Indicateur(
        "jeunes_suivis",
        _A,
        _C,
        "Jeunes suivis",
        "Nombre de jeunes ayant au moins un accompagnement en cours pendant la période.",
        "jeunes",
        _FLAT,
        _REA,
        "Jeunes ayant un accompagnement actif sur la période",
        mesure_numerateur="jeunes",
    ),
    Indicateur(
        "nouveaux_entrants",
        _A,
        _C,
        "Nouveaux entrants",
        "Jeunes suivis dont le tout premier accompagnement a commencé pendant la période.",
        "jeunes",
        _FLAT,
        _REA,
        "Jeunes suivis dont le premier accompagnement débute dans la période",
        precision=(
            "Premier accompagnement : la date de début la plus ancienne parmi tous les accompagnements du "
            "jeune (du dispositif filtré, s'il y en a un)."
        ),
        mesure_numerateur="nouveaux",
    ),
    Indicateur(
        "jeunes_rsa_suivis",
        _A,
        _C,
        "Jeunes au RSA accompagnés",
        "Jeunes suivis ayant un accompagnement RSA en cours pendant la période, "
        "la Mission Locale étant leur organisme référent.",
        "jeunes",
        _FLAT,
        _REA,
        "Jeunes suivis ayant un accompagnement RSA actif sur la période",
        mesure_numerateur="jeunes_rsa",
    ),
    Indicateur(
        "entretiens",
        _A,
        _C,
        "Entretiens",
        "Nombre d'entretiens individuels tenus pendant la période avec les jeunes suivis.",
        "entretiens",
        _FLAT,
        _REA,
        "Entretiens datés dans la période",
        mesure_numerateur=jalons("entretien"),
    ),
    Indicateur(
        "entretiens_par_jeune",
        _A,
        _N,
        "Entretiens par jeune",
        "Nombre moyen d'entretiens par jeune suivi pendant la période : l'intensité du suivi.",
        "entretiens par jeune",
        _UP,
        _REA,
        "Entretiens datés dans la période",
        _SUIVIS,
        decimales=1,
        mesure_numerateur=jalons("entretien"),
        mesure_denominateur="jeunes",
    ),
    Indicateur(
        "sanctions_rsa",
        _A,
        _C,
        "Sanctions RSA",
        "Nombre de suspensions-remobilisations du RSA prononcées pendant la période.",
        "sanctions",
        _DOWN,
        _REA,
        "Suspensions-remobilisations RSA datées dans la période",
        mesure_numerateur=jalons("rsa_sanction"),
    ),
    Indicateur(
        "budget_eur",
        _A,
        _E,
        "Budget",
        "Financements des Missions Locales du périmètre, au prorata des jours de chaque année compris dans la période.",
        "€",
        _FLAT,
        _REA,
        "Montants des financements, au prorata des jours de la période",
        decimales=2,
        precision=(
            "Chaque financement annuel compte pour la part de son année comprise dans la période (jours de "
            "l'année dans la période ÷ jours de l'année) ; avec un filtre de dispositif, les financements de "
            "ce dispositif et ceux de « tous dispositifs »."
        ),
        mesure_numerateur="budget",
    ),
    Indicateur(
        "cout_par_jeune_eur",
        _A,
        _E,
        "Coût par jeune",
        "Budget de la période divisé par le nombre de jeunes suivis.",
        "€",
        _FLAT,
        _REA,
        "Budget de la période",
        _SUIVIS,
        decimales=2,
        mesure_numerateur="budget",
        mesure_denominateur="jeunes",
    ),
    # --- produit ----------------------------------------------------------------------------------
    Indicateur(
        "acces_emploi",
        _P,
        _R,
        "Accès à l'emploi",
        "Part des jeunes suivis qui ont accédé à un emploi (CDI, CDD, intérim, alternance ou "
        "création d'entreprise) pendant la période.",
        "%",
        _UP,
        _RES,
        "Jeunes suivis ayant une entrée en emploi dans la période",
        _SUIVIS,
        decimales=1,
        mesure_numerateur="jeunes_emploi",
        mesure_denominateur="jeunes",
    ),
    Indicateur(
        "acces_emploi_durable",
        _P,
        _R,
        "Accès à l'emploi durable",
        "Part des jeunes suivis qui ont accédé à un emploi durable (CDI, CDD de 6 mois ou plus, "
        "création d'entreprise) pendant la période.",
        "%",
        _UP,
        _RES,
        "Jeunes suivis ayant une entrée en emploi durable dans la période",
        _SUIVIS,
        decimales=1,
        mesure_numerateur="jeunes_emploi_durable",
        mesure_denominateur="jeunes",
    ),
    Indicateur(
        "acces_formation",
        _P,
        _R,
        "Accès à la formation",
        "Part des jeunes suivis qui sont entrés en formation (qualifiante ou préparatoire) pendant la période.",
        "%",
        _UP,
        _RES,
        "Jeunes suivis ayant une entrée en formation dans la période",
        _SUIVIS,
        decimales=1,
        mesure_numerateur="jeunes_formation",
        mesure_denominateur="jeunes",
    ),
    Indicateur(
        "immersions",
        _P,
        _C,
        "Immersions en entreprise",
        "Nombre d'immersions en milieu professionnel (PMSMP) commencées pendant la période.",
        "immersions",
        _UP,
        _REA,
        "Immersions datées dans la période",
        mesure_numerateur=jalons("immersion"),
    ),
    Indicateur(
        "immersions_par_jeune",
        _P,
        _N,
        "Immersions par jeune",
        "Nombre moyen d'immersions en entreprise (PMSMP) commencées pendant la période par jeune suivi.",
        "immersions par jeune",
        _UP,
        _REA,
        "Immersions datées dans la période",
        _SUIVIS,
        decimales=2,
        mesure_numerateur=jalons("immersion"),
        mesure_denominateur="jeunes",
    ),
    Indicateur(
        "sorties_positives",
        _P,
        _R,
        "Sorties positives",
        "Part des accompagnements terminés pendant la période qui se sont terminés par un emploi, "
        "une alternance, une formation qualifiante, un retour à l'école ou une création d'entreprise.",
        "%",
        _UP,
        _RES,
        "Accompagnements terminés dans la période pour un motif positif",
        "Accompagnements terminés dans la période",
        decimales=1,
        precision=(
            "Motifs positifs : emploi durable, emploi, alternance, formation qualifiante, reprise de "
            "scolarité, création d'entreprise."
        ),
        mesure_numerateur="sorties_positives",
        mesure_denominateur="sorties",
    ),
    Indicateur(
        "droits_ouverts",
        _P,
        _C,
        "Droits ouverts",
        "Nombre de droits ouverts avec l'aide de la Mission Locale (logement, santé, ressources…) pendant la période.",
        "droits",
        _UP,
        _REA,
        "Ouvertures de droits datées dans la période",
        domaines="rupture",
        mesure_numerateur=jalons("droit_ouvert"),
    ),
    Indicateur(
        "partenaires_mobilises",
        _P,
        _C,
        "Partenaires mobilisés",
        "Nombre de fois où un partenaire (santé, logement, France Travail, CAF…) a été mobilisé "
        "pour un jeune pendant la période.",
        "mobilisations",
        _UP,
        _REA,
        "Mobilisations de partenaires datées dans la période",
        domaines="partenaire",
        mesure_numerateur=jalons("mobilisation_partenaire"),
    ),
    Indicateur(
        "delai_entree_jours",
        _P,
        _N,
        "Délai d'entrée",
        "Délai médian, en jours, entre l'orientation d'un jeune vers la Mission Locale et son premier "
        "rendez-vous ; les orientations jamais suivies d'un rendez-vous ne comptent pas.",
        "jours",
        _DOWN,
        _REA,
        "Médiane des délais entre orientation et premier rendez-vous",
        "Orientations de la période suivies d'un rendez-vous",
        decimales=1,
        precision=(
            "Pour chaque orientation reçue dans la période par un jeune du périmètre (suivi ou non) : jours "
            "jusqu'au premier rendez-vous ou entretien daté du même jour ou après."
        ),
        mesure_numerateur="delais_suivis",
        calcul="mediane",
    ),
    Indicateur(
        "entree_sous_30j",
        _P,
        _R,
        "Entrées en moins de 30 jours",
        "Part des orientations reçues pendant la période suivies d'un premier rendez-vous dans les 30 jours.",
        "%",
        _UP,
        _REA,
        "Orientations suivies d'un rendez-vous dans les 30 jours",
        "Orientations reçues dans la période",
        decimales=1,
        precision="Les orientations jamais suivies d'un rendez-vous comptent au dénominateur.",
        mesure_numerateur="orientations_30j",
        mesure_denominateur="orientations",
    ),
    # --- prevention -------------------------------------------------------------------------------
    Indicateur(
        "risques_detectes",
        _V,
        _C,
        "Risques de rupture détectés",
        "Nombre de risques de rupture (logement, santé, ressources…) repérés pendant la période.",
        "risques",
        _FLAT,
        _REA,
        "Risques de rupture datés dans la période",
        domaines="rupture",
        mesure_numerateur=jalons("risque_rupture"),
    ),
    Indicateur(
        "ruptures_evitees",
        _V,
        _C,
        "Ruptures évitées",
        "Nombre de risques de rupture écartés grâce à l'accompagnement pendant la période.",
        "ruptures",
        _UP,
        _RES,
        "Ruptures évitées datées dans la période",
        domaines="rupture",
        mesure_numerateur=jalons("rupture_evitee"),
    ),
    Indicateur(
        "ruptures_survenues",
        _V,
        _C,
        "Ruptures survenues",
        "Nombre de ruptures (perte de logement, de ressources, de soins…) survenues pendant la période.",
        "ruptures",
        _DOWN,
        _RES,
        "Ruptures survenues datées dans la période",
        domaines="rupture",
        mesure_numerateur=jalons("rupture_survenue"),
    ),
    Indicateur(
        "taux_ruptures_evitees",
        _V,
        _R,
        "Taux de ruptures évitées",
        "Part des risques tranchés pendant la période qui ont été évités plutôt que subis.",
        "%",
        _UP,
        _RES,
        "Ruptures évitées dans la période",
        "Ruptures évitées et ruptures survenues dans la période",
        decimales=1,
        domaines="rupture",
        mesure_numerateur=jalons("rupture_evitee"),
        mesure_denominateur=jalons("rupture_evitee", "rupture_survenue"),
    ),
    Indicateur(
        "risques_ouverts",
        _V,
        _C,
        "Risques en cours",
        "Risques de rupture des jeunes suivis encore ni évités ni survenus à la fin de la période.",
        "risques",
        _DOWN,
        _RES,
        "Risques repérés jusqu'à la fin de la période et non tranchés à cette date",
        domaines="rupture",
        precision=(
            "Risques datés au plus tard le dernier jour de la période, sans rupture évitée ni survenue du "
            "même jeune et du même domaine datée entre le risque et le dernier jour."
        ),
        mesure_numerateur="risques_ouverts",
    ),
    Indicateur(
        "parcours_securises",
        _V,
        _R,
        "Parcours sécurisés",
        "Part des jeunes suivis au moins 90 jours dans la période qui n'ont connu ni rupture "
        "ni période de plus de 90 jours sans aucun contact ni événement.",
        "%",
        _UP,
        _RES,
        "Jeunes sans rupture survenue ni interruption de plus de 90 jours",
        "Jeunes suivis au moins 90 jours dans la période",
        decimales=1,
        precision=(
            "Dénominateur : accompagnement chevauchant la période d'au moins 90 jours. Interruption : plus de"
            " 90 jours entre deux dates successives parmi le début de la fenêtre de suivi, les jalons de "
            "cette fenêtre et sa fin."
        ),
        mesure_numerateur="jeunes_securises",
        mesure_denominateur="jeunes_90j",
    ),
    Indicateur(
        "retours_dynamique",
        _V,
        _C,
        "Retours en dynamique",
        "Jeunes suivis qui ont retrouvé une situation (emploi, formation, immersion, service civique, "
        "école) après un décrochage, une sanction RSA ou plus de 90 jours sans événement.",
        "jeunes",
        _UP,
        _RES,
        "Jeunes dont une situation de la période suit un décrochage, une sanction ou 90 jours sans événement",
        precision=(
            "Le jalon précédent est le dernier jalon du jeune daté strictement avant la situation ; il s'agit"
            " d'un décrochage, d'une sanction RSA, ou il date de plus de 90 jours."
        ),
        mesure_numerateur="jeunes_retour",
    ),
    Indicateur(
        "ancrage_rsa",
        _V,
        _R,
        "Ancrage au RSA",
        "Part des jeunes au RSA pendant la période qui y sont sans interruption depuis au moins un an "
        "à la fin de la période.",
        "%",
        _DOWN,
        _RES,
        "Jeunes au RSA depuis au moins 365 jours à la fin de la période",
        "Jeunes suivis ayant été au RSA pendant la période",
        decimales=1,
        precision=(
            "Une période de RSA va d'une ouverture du droit à la première sortie qui la suit ; « depuis au "
            "moins un an » : ouverte le dernier jour de la période et commencée au moins 365 jours avant."
        ),
        mesure_numerateur="jeunes_ancres_rsa",
        mesure_denominateur="jeunes_au_rsa",
    ),
    Indicateur(
        "sorties_rsa",
        _V,
        _C,
        "Sorties du RSA",
        "Nombre de sorties du RSA des jeunes suivis pendant la période.",
        "sorties",
        _UP,
        _RES,
        "Sorties du RSA datées dans la période",
        mesure_numerateur=jalons("rsa_sortie"),
    ),
    Indicateur(
        "maintien_hors_rsa_6m",
        _V,
        _R,
        "Maintien hors RSA à 6 mois",
        "Part des sorties du RSA qui n'ont pas été suivies d'un retour au RSA dans les 6 mois.",
        "%",
        _UP,
        _RES,
        "Sorties du RSA sans réouverture dans les 183 jours",
        "Sorties du RSA datées 183 jours avant la période",
        decimales=1,
        precision=(
            "Sorties du RSA des jeunes du périmètre (suivis ou non) datées entre le premier et le dernier "
            "jour de la période reculés de 183 jours ; maintien : aucune réouverture dans les 183 jours qui "
            "suivent."
        ),
        mesure_numerateur="sorties_rsa_maintenues",
        mesure_denominateur="sorties_rsa_anciennes",
    ),
    # --- impact -----------------------------------------------------------------------------------
    Indicateur(
        "mois_rsa_evites",
        _I,
        _N,
        "Mois de RSA évités",
        "Mois passés hors du RSA après les sorties de la période, jusqu'à un retour au RSA, "
        "un an au plus, ou la date des données.",
        "mois",
        _UP,
        _IMP,
        "Somme des mois hors RSA après chaque sortie de la période",
        decimales=1,
        precision=(
            "Pour chaque sortie : jours jusqu'à la première réouverture, plafonnés à 365 jours et à la date "
            "des données, divisés par 30,4375."
        ),
        mesure_numerateur="mois_hors_rsa",
    ),
    Indicateur(
        "couts_evites_bruts_eur",
        _I,
        _E,
        "Allocations RSA évitées (brut)",
        "Montant des allocations RSA non versées pendant ces mois, au montant en vigueur à la date de sortie.",
        "€",
        _UP,
        _IMP,
        "Mois de RSA évités × montant mensuel du RSA",
        decimales=2,
        precision=(
            "Montant forfaitaire mensuel du RSA pour une personne seule, en vigueur à la date de chaque sortie."
        ),
        mesure_numerateur="jours_hors_rsa",
        calcul="couts_bruts",
    ),
    Indicateur(
        "couts_evites_nets_eur",
        _I,
        _E,
        "Allocations RSA évitées (net)",
        "Allocations évitées attribuables à l'accompagnement : le montant brut sans les sorties qui "
        "auraient eu lieu de toute façon ni la part des autres acteurs.",
        "€",
        _UP,
        _IMP,
        "Montant brut × (1 − effet d'aubaine) × (1 − part des autres acteurs)",
        decimales=2,
        mesure_numerateur="jours_hors_rsa",
        calcul="couts_nets",
    ),
    Indicateur(
        "euros_evites_par_euro_investi",
        _I,
        _N,
        "Euros évités par euro, tous financeurs",
        "Allocations nettes évitées pour chaque euro de budget de la période, tous financeurs confondus "
        "(État, Département, Région, communes…).",
        "€ par € investi",
        _UP,
        _IMP,
        "Allocations RSA évitées (net)",
        "Budget de la période, tous financeurs",
        decimales=2,
        mesure_numerateur="jours_hors_rsa",
        mesure_denominateur="budget",
        calcul="euros_par_euro",
    ),
    Indicateur(
        "budget_cd_eur",
        _I,
        _E,
        "Financement du Département",
        "Financements versés par le Conseil départemental (financeur CD), au prorata des jours de chaque année "
        "compris dans la période.",
        "€",
        _FLAT,
        _REA,
        "Montants des financements du Département, au prorata des jours de la période",
        decimales=2,
        precision=(
            "Comme le budget, sur les seuls financements dont le financeur est le Conseil départemental (CD) ; "
            "avec un filtre de dispositif, ceux de ce dispositif et ceux de « tous dispositifs »."
        ),
        mesure_numerateur="budget_cd",
    ),
    Indicateur(
        "euros_evites_par_euro_cd",
        _I,
        _N,
        "Euros évités par euro du Département",
        "Allocations RSA nettes que le Département n'a pas versées, pour chaque euro qu'il a mis dans "
        "l'accompagnement de la période : le retour sur son propre financement.",
        "€ par € du Département",
        _UP,
        _IMP,
        "Allocations RSA évitées (net)",
        "Financement du Département sur la période",
        decimales=2,
        mesure_numerateur="jours_hors_rsa",
        mesure_denominateur="budget_cd",
        calcul="euros_par_euro",
    ),
)


# --- checking the registry (MetricFlow-style rules) ------------------------------------------------
class Level(str, Enum):
    ERROR = "erreur"
    WARNING = "avertissement"


@dataclass(frozen=True)
class Issue:
    level: Level
    rule: str
    code: str | None
    message: str

    def __str__(self) -> str:
        where = f" [{self.code}]" if self.code else ""
        return f"{self.level.value} {self.rule}{where} : {self.message}"


class RegistryError(ValueError):
    """The registry breaks a rule: the application must not start with it."""

    def __init__(self, issues: Sequence[Issue]):
        self.issues = list(issues)
        super().__init__("Registre des indicateurs invalide :\n" + "\n".join(str(i) for i in self.issues))


class Rule:
    """A check of the whole list of definitions; returns the issues it finds."""

    name = "rule"

    def check(self, definitions: Sequence[Indicateur]) -> list[Issue]:  # pragma: no cover - interface
        raise NotImplementedError

    def issue(self, code: str | None, message: str, level: Level = Level.ERROR) -> Issue:
        return Issue(level, self.name, code, message)


class UniqueCodes(Rule):
    name = "codes_uniques"

    def check(self, definitions):
        seen: set[str] = set()
        issues = []
        for d in definitions:
            if d.code in seen:
                issues.append(self.issue(d.code, "code défini plusieurs fois"))
            seen.add(d.code)
        return issues


class KnownKinds(Rule):
    """famille, nature, sens and niveau are members of their enums (not look-alike strings)."""

    name = "types_connus"
    FIELDS = (("famille", Famille), ("nature", Nature), ("sens", Sens), ("niveau", Niveau))

    def check(self, definitions):
        return [
            self.issue(d.code, f"{field} inconnu(e) : {getattr(d, field)!r}")
            for d in definitions
            for field, enum in self.FIELDS
            if not isinstance(getattr(d, field), enum)
        ]


class RatiosHaveDenominator(Rule):
    """A ratio says what it divides by, in words and as a measure; a count does not (its denominator is 1)."""

    name = "ratio_denominateur"

    def check(self, definitions):
        issues = []
        for d in definitions:
            if d.nature is Nature.RATIO and not (d.denominateur or "").strip():
                issues.append(self.issue(d.code, "un ratio doit décrire son dénominateur"))
            if d.nature is Nature.RATIO and not d.mesure_denominateur:
                issues.append(self.issue(d.code, "un ratio doit nommer la mesure de son dénominateur"))
            if d.nature is Nature.COUNT and d.denominateur is not None:
                issues.append(self.issue(d.code, "un comptage n'a pas de dénominateur", Level.WARNING))
            if d.nature is Nature.COUNT and d.mesure_denominateur is not None:
                issues.append(self.issue(d.code, "un comptage n'a pas de mesure au dénominateur"))
        return issues


class KnownMeasures(Rule):
    """Every measure an indicator names exists (`indicators.measures`), and it names a numerator."""

    name = "mesures_connues"

    def check(self, definitions):
        issues = []
        for d in definitions:
            if not d.mesure_numerateur:
                issues.append(self.issue(d.code, "aucune mesure au numérateur"))
            for nom in d.mesures:
                try:
                    measures.get(nom)
                except KeyError as exc:
                    issues.append(self.issue(d.code, exc.args[0]))
        return issues


class KnownCalculations(Rule):
    """A named calculation is one of `measures.CALCULS`; ratios and counts never need one (generic formulas)."""

    name = "calculs_connus"

    def check(self, definitions):
        issues = []
        for d in definitions:
            if d.calcul is None:
                continue
            if d.calcul not in measures.CALCULS:
                issues.append(self.issue(d.code, f"calcul inconnu : {d.calcul!r}"))
            if d.nature in (Nature.RATIO, Nature.COUNT):
                issues.append(self.issue(d.code, "un ratio ou un comptage se calcule sans calcul nommé"))
        return issues


class TextsFilled(Rule):
    name = "textes_remplis"
    FIELDS = ("libelle", "definition", "unite", "numerateur")

    def check(self, definitions):
        return [
            self.issue(d.code, f"texte vide : {field}")
            for d in definitions
            for field in self.FIELDS
            if not isinstance(getattr(d, field), str) or not getattr(d, field).strip()
        ]


class SpecCodes(Rule):
    """The codes, their order and their families are those of docs/arithmetic.md (vocab.INDICATEUR_CODES)."""

    name = "codes_de_la_spec"

    def __init__(self, expected: dict[str, str] | None = None):
        self.expected = vocab.INDICATEUR_CODES if expected is None else expected

    def check(self, definitions):
        issues = []
        codes = [d.code for d in definitions]
        for code in self.expected.keys() - set(codes):
            issues.append(self.issue(code, "indicateur de la spécification absent du registre"))
        for code in set(codes) - self.expected.keys():
            issues.append(self.issue(code, "indicateur absent de la spécification"))
        for d in definitions:
            famille = getattr(d.famille, "value", d.famille)
            if d.code in self.expected and famille != self.expected[d.code]:
                issues.append(self.issue(d.code, f"famille {famille} au lieu de {self.expected[d.code]}"))
        if not issues and codes != list(self.expected):
            issues.append(self.issue(None, "ordre différent de celui de la spécification"))
        return issues


class SensibleDecimals(Rule):
    """Counts are whole numbers; ratios are shown to one decimal (spec)."""

    name = "decimales"

    def check(self, definitions):
        issues = []
        for d in definitions:
            if not isinstance(d.decimales, int) or d.decimales < 0:
                issues.append(self.issue(d.code, f"nombre de décimales invalide : {d.decimales!r}"))
            elif d.nature is Nature.COUNT and d.decimales != 0:
                issues.append(self.issue(d.code, "un comptage n'a pas de décimales"))
            elif d.nature is Nature.RATIO and d.decimales != 1:
                issues.append(self.issue(d.code, "un ratio s'arrondit à une décimale"))
        return issues


class KnownDomaines(Rule):
    name = "domaines_connus"
    VOCABULARIES = ("rupture", "partenaire")

    def check(self, definitions):
        return [
            self.issue(d.code, f"vocabulaire de domaines inconnu : {d.domaines!r}")
            for d in definitions
            if d.domaines is not None and d.domaines not in self.VOCABULARIES
        ]


RULES: tuple[Rule, ...] = (
    UniqueCodes(),
    KnownKinds(),
    RatiosHaveDenominator(),
    KnownMeasures(),
    KnownCalculations(),
    TextsFilled(),
    SpecCodes(),
    SensibleDecimals(),
    KnownDomaines(),
)


def check(definitions: Iterable[Indicateur], rules: Sequence[Rule] = RULES) -> list[Issue]:
    """Every issue every rule finds (errors and warnings)."""
    definitions = list(definitions)
    return [issue for rule in rules for issue in rule.check(definitions)]


def build(definitions: Iterable[Indicateur], rules: Sequence[Rule] = RULES) -> dict[str, Indicateur]:
    """The registry keyed by code, in the given order; raises RegistryError on any error."""
    definitions = list(definitions)
    errors = [i for i in check(definitions, rules) if i.level is Level.ERROR]
    if errors:
        raise RegistryError(errors)
    return {d.code: d for d in definitions}


REGISTRY: dict[str, Indicateur] = build(DEFINITIONS)
CODES: tuple[str, ...] = tuple(REGISTRY)


def get(code: str) -> Indicateur:
    """The definition of `code`; a French KeyError for an unknown code."""
    try:
        return REGISTRY[code]
    except KeyError:
        raise KeyError(f"indicateur inconnu : {code}") from None


def by_famille(famille: Famille) -> list[Indicateur]:
    return [d for d in REGISTRY.values() if d.famille is famille]


def _derives(definitions: dict[str, Indicateur]) -> dict[str, tuple[str, ...]]:
    """The counts each number or amount is built on: the counts of its measures (or of what they are built on).

    Statistical confidentiality masks such a figure when one of those counts is
    small (`indicators.disclosure.masking`): entretiens_par_jeune with entretiens
    and jeunes_suivis, the impact chain with the RSA exits.
    """
    counts = {d.mesure_numerateur: d.code for d in definitions.values() if d.nature is Nature.COUNT}
    out = {}
    for d in definitions.values():
        if d.nature in (Nature.NUMBER, Nature.EUROS):
            bases = [measures.get(m).effectif or m for m in d.mesures]
            found = tuple(dict.fromkeys(counts[m] for m in bases if m in counts))
            if found:
                out[d.code] = found
    return out


# Figures computed from other counts, and those counts (derived from the declarations).
DERIVES: dict[str, tuple[str, ...]] = _derives(REGISTRY)

DOMAINE_VOCABULARIES: dict[str, dict[str, str]] = {
    "rupture": vocab.DOMAINES_RUPTURE,
    "partenaire": vocab.DOMAINES_PARTENAIRE,
}
