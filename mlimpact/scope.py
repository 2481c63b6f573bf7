"""What a question is asked about: a period, a scope of structures, filters on the young people.

These small frozen types belong to the data layer because the access rules
(`mlimpact.access`) decide which scopes an account may read; the computation
(`indicators.types`) re-exports them. They are hashable, so they key caches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import Enum


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
    """Optional filters on the young person and the dispositif (docs/arithmetic.md)."""

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
