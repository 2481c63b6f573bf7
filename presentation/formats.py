"""French number and date formats: `1 234,5 €`, `26/11/2026`.

The thousands separator is the narrow no-break space (U+202F) of French
typography, so a figure never breaks across lines.
"""

from __future__ import annotations

import datetime as dt

NNBSP = "\u202f"
NBSP = "\u00a0"


def nombre(value: float | None, decimals: int = 0, vide: str = "—") -> str:
    """`1234.5` → `1 234,5` (with `decimals` digits after the comma)."""
    if value is None:
        return vide
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NNBSP).replace(".", ",")


def entier(value: int | None, vide: str = "—") -> str:
    return nombre(value, 0, vide)


def euros(value: float | None, decimals: int = 0, vide: str = "—") -> str:
    """`1234.5` → `1 234,5 €` (`decimals` digits)."""
    return vide if value is None else f"{nombre(value, decimals)}{NBSP}€"


def pourcent(value: float | None, decimals: int = 1, vide: str = "—") -> str:
    """`45.25` (already in %) → `45,3 %`."""
    return vide if value is None else f"{nombre(value, decimals)}{NBSP}%"


def date_fr(value: dt.date | None, vide: str = "—") -> str:
    """`2026-11-26` → `26/11/2026`."""
    return vide if value is None else value.strftime("%d/%m/%Y")


MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")


def mois_annee(value: dt.date) -> str:
    """`2026-11-01` → `novembre 2026`."""
    return f"{MOIS[value.month - 1]} {value.year}"
