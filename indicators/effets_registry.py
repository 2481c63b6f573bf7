"""What « Ce qui marche » compares: the actions of the Mission Locale and the outcomes that follow.

Declared as data, like the indicators: an action is a jalon (or the dispositif a young
person enters), an outcome is a jalon family within a horizon after the month of the
action. The estimator (`indicators.models.effets`) reads only these definitions, so adding
an action or an outcome is one line here; docs/effets.md explains the method.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlimpact import vocab

HORIZON_6_MOIS = 183  # days: six months after the first day of the month of the action


@dataclass(frozen=True)
class Action:
    """Something the Mission Locale does for a young person in a given month.

    * `types`: the jalon types that are the action (any of them during the month);
    * `avec_montant`: only jalons with a positive `montant_eur` count (an aid actually paid);
    * `repetee`: the action recurs (a contact); a young person is eligible in a month when
      they had none the month before, instead of « never before »;
    * `dispositif`: the action is entering this dispositif rather than another one; eligible
      are the young people whose accompagnement started the month before.
    """

    code: str
    libelle: str
    description: str
    types: tuple[str, ...] = ()
    avec_montant: bool = False
    repetee: bool = False
    dispositif: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.types) - set(vocab.TYPES_JALON)
        if unknown or (self.dispositif is not None and self.dispositif not in vocab.DISPOSITIFS):
            raise ValueError(f"action {self.code}: unknown type or dispositif {sorted(unknown)}")
        if bool(self.types) == (self.dispositif is not None):
            raise ValueError(f"action {self.code}: give either jalon types or a dispositif")


@dataclass(frozen=True)
class Resultat:
    """An outcome: at least one jalon of `types` within `horizon_jours` of the month of the action."""

    code: str
    libelle: str
    types: tuple[str, ...]
    horizon_jours: int = HORIZON_6_MOIS
    hausse_favorable: bool = True  # a job is good news; a rupture is not

    def __post_init__(self) -> None:
        unknown = set(self.types) - set(vocab.TYPES_JALON)
        if unknown:
            raise ValueError(f"outcome {self.code}: unknown types {sorted(unknown)}")


ACTIONS: tuple[Action, ...] = (
    Action(
        "immersion",
        "Immersion en entreprise",
        "Une immersion (PMSMP) commence dans le mois.",
        types=("immersion",),
    ),
    Action(
        "mobilisation_partenaire",
        "Partenaire mobilisé",
        "Un partenaire (santé, logement, CAF, employeur…) est mobilisé dans le mois.",
        types=("mobilisation_partenaire",),
    ),
    Action(
        "droit_ouvert",
        "Droit ouvert",
        "Un droit (ressources, santé, logement…) est ouvert dans le mois.",
        types=("droit_ouvert",),
    ),
    Action(
        "aide_faj",
        "Aide du FAJ versée",
        "Une aide du Fonds d'aide aux jeunes avec un montant renseigné est accordée dans le mois.",
        types=("aide_faj",),
        avec_montant=True,
    ),
    Action(
        "reprise_contact",
        "Reprise d'un contact mensuel",
        "Un entretien, un atelier ou un contact dans le mois, après un mois sans aucun.",
        types=("entretien", "atelier", "contact"),
        repetee=True,
    ),
    Action(
        "entree_cej",
        "Entrée en CEJ",
        "L'accompagnement commencé le mois précédent est un Contrat d'engagement jeune plutôt qu'un autre "
        "dispositif.",
        dispositif="CEJ",
    ),
)

RESULTATS: tuple[Resultat, ...] = (
    Resultat("emploi", "Emploi dans les 6 mois", tuple(sorted(vocab.EMPLOI))),
    Resultat("emploi_durable", "Emploi durable dans les 6 mois", tuple(sorted(vocab.DURABLE))),
    Resultat("formation", "Formation dans les 6 mois", tuple(sorted(vocab.FORMATION))),
    Resultat("rupture", "Rupture survenue dans les 6 mois", ("rupture_survenue",), hausse_favorable=False),
    Resultat("rsa", "Entrée ou retour au RSA dans les 6 mois", ("rsa_ouverture",), hausse_favorable=False),
)

ACTION = {a.code: a for a in ACTIONS}
RESULTAT = {r.code: r for r in RESULTATS}

# What the young person had been through before the month: the situations and ruptures the
# comparison adjusts for (besides who they are, where, in which dispositif and for how long).
ANTECEDENTS: dict[str, tuple[str, ...]] = {
    "emploi_avant": tuple(sorted(vocab.EMPLOI)),
    "formation_avant": tuple(sorted(vocab.FORMATION)),
    "rupture_avant": ("rupture_survenue", "decrochage"),
    "risque_avant": ("risque_rupture",),
    "rsa_avant": ("rsa_ouverture",),
}
SUIVI = ("entretien", "atelier", "contact")  # the follow-up intensity over the previous three months


def jalon_types() -> tuple[str, ...]:
    """Every jalon type the estimator reads (what the database query selects)."""
    types = {t for a in ACTIONS for t in a.types} | {t for r in RESULTATS for t in r.types}
    types |= {t for ts in ANTECEDENTS.values() for t in ts} | set(SUIVI)
    return tuple(sorted(types))
