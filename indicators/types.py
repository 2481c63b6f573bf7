"""The vocabulary shared by the registry, the engine, masking and the views.

Small frozen value types: a period, a scope, filters, and one computed figure.
They are hashable, so they key caches directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from mlimpact.scope import Echelon, Filtres, Perimetre, Periode  # re-exported: the scope of a computation

__all__ = ["Echelon", "Famille", "Filtres", "Nature", "Niveau", "Perimetre", "Periode", "Sens", "Valeur"]


class Famille(str, Enum):
    ACTIVITE = "activite"
    PRODUIT = "produit"
    PREVENTION = "prevention"
    IMPACT = "impact"


class Nature(str, Enum):
    """Kind of indicator: how its value is built and how it may be summed."""

    COUNT = "count"  # a count of jeunes or jalons (additive across structures)
    RATIO = "ratio"  # 100 × n / d, in %
    NUMBER = "number"  # another figure (median, mean, months…)
    EUROS = "euros"


class Sens(str, Enum):
    """Direction of improvement."""

    HAUSSE = "hausse"  # higher is better
    BAISSE = "baisse"  # lower is better
    NEUTRE = "neutre"  # neither (volumes, costs)


class Niveau(str, Enum):
    """Level of the logic model the indicator describes."""

    REALISATION = "realisation"  # output: what is done
    RESULTAT = "resultat"  # outcome: what changes for the young people
    IMPACT = "impact"  # what it avoids for the community


TRAITEMENTS = ("exact", "masque", "perturbe")


@dataclass(frozen=True)
class Valeur:
    """One computed figure. `valeur` is None when there is no value or it is masked.

    `cle` and `cle_denominateur` are the cell keys of the counts the figure is
    made of (a count; a ratio's numerator; the denominator of a ratio or of
    `delai_entree_jours`): the sums of their contributors' record keys, mod
    256. The engine sets them; the disclosure layer reads them to perturb the
    figure and never lets them out. `traitement` says how the figure was
    protected for the account that asked (TRAITEMENTS).
    """

    code: str
    valeur: float | None
    numerateur: float | None = None
    denominateur: float | None = None
    masque: bool = False
    details: dict = field(default_factory=dict, compare=False, hash=False)
    cle: int | None = field(default=None, compare=False)
    cle_denominateur: int | None = field(default=None, compare=False)
    traitement: str = "exact"
