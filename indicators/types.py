"""The vocabulary shared by the registry, the engine, masking and the views.

Small frozen value types: a period, a scope, filters, and one computed figure.
They are hashable, so they key caches directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import Enum


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


class Echelon(str, Enum):
    """Territorial level of a scope."""

    STRUCTURE = "structure"
    DEPARTEMENT = "departement"
    REGION = "region"
    NATIONAL = "national"


@dataclass(frozen=True)
class Periode:
    """[debut, fin], whole days, both ends included."""

    debut: dt.date
    fin: dt.date

    def __post_init__(self) -> None:
        if self.fin < self.debut:
            raise ValueError(f"Période invalide : le {self.fin:%d/%m/%Y} précède le {self.debut:%d/%m/%Y}.")

    @property
    def jours(self) -> int:
        return (self.fin - self.debut).days + 1

    def precedente(self) -> Periode:
        """The period of the same length that ends the day before this one starts."""
        fin = self.debut - dt.timedelta(days=1)
        return Periode(fin - dt.timedelta(days=self.jours - 1), fin)


@dataclass(frozen=True)
class Perimetre:
    """A set of structures: one, a département's, a région's, or all (code None)."""

    echelon: Echelon = Echelon.NATIONAL
    code: str | None = None

    def __post_init__(self) -> None:
        if (self.echelon is Echelon.NATIONAL) != (self.code is None):
            raise ValueError("Un périmètre national n'a pas de code ; les autres en ont un.")


@dataclass(frozen=True)
class Filtres:
    """Optional filters on the young person and the dispositif (spec/INDICATEURS.md)."""

    dispositif: str | None = None
    sexe: str | None = None
    tranche_age: str | None = None
    niveau_formation: str | None = None
    qpv: bool | None = None
    frr: bool | None = None
    rqth: bool | None = None

    def actifs(self) -> dict[str, object]:
        """The filters that are set, for display and the CLI's `filtres` object."""
        return {k: v for k, v in vars(self).items() if v is not None}

    def avec(self, **changes) -> Filtres:
        return replace(self, **changes)


@dataclass(frozen=True)
class Valeur:
    """One computed figure. `valeur` is None when there is no value or it is masked."""

    code: str
    valeur: float | None
    numerateur: float | None = None
    denominateur: float | None = None
    masque: bool = False
    details: dict = field(default_factory=dict, compare=False, hash=False)
