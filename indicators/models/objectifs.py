"""Convention objectives: each target of the `objectifs` table beside the figure reached.

A target is reached when the result is on the right side of it, and the right
side depends on the indicator: lower is better for `ancrage_rsa`. Directions
come from the registry; without one, a target is read as a minimum to reach
(the usual meaning of a convention target for volumes too). While the year is
not over at as_of, a result is provisional: "en cours", never "non atteint".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, func, select

from indicators.rounding import arrondi
from indicators.types import Sens, Valeur
from mlimpact import vocab
from mlimpact.models import Jalon, Objectif

STATUTS: dict[str, str] = {
    "atteint": "Objectif atteint",
    "non atteint": "Objectif non atteint",
    "en cours": "Année en cours : résultat provisoire",
    "sans valeur": "Pas de résultat pour cet indicateur",
}
SENS_PAR_DEFAUT: dict[str, str] = {"ancrage_rsa": Sens.BAISSE.value}  # when the registry is not available

COLONNES = ["indicateur", "libelle", "unite", "sens", "cible", "resultat", "ecart", "statut", "statut_libelle"]


def objectifs_vs_resultats(
    conn: Connection,
    code_structure: str,
    annee: int,
    resultats: dict[str, Valeur],
    sens: dict[str, str] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """One row per target of the structure for the year, in the order of docs/arithmetic.md.

    `resultats`: the figures of that structure for the calendar year (the
    engine's output). `sens` overrides directions ("hausse", "baisse",
    "neutre"). `as_of`: the date the data describes (default: the latest jalon
    in the store). ecart = resultat − cible, in the indicator's unit.
    """
    rows = conn.execute(
        select(Objectif.indicateur, Objectif.cible).where(
            Objectif.code_structure == code_structure, Objectif.annee == annee
        )
    ).all()
    as_of = as_of or _latest(conn) or dt.date.today()
    termine = as_of >= dt.date(annee, 12, 31)
    order = list(vocab.INDICATEUR_CODES)
    out = []
    for code, cible in sorted(rows, key=lambda r: order.index(r[0]) if r[0] in order else len(order)):
        direction = _sens(code, sens)
        v = resultats.get(code)
        resultat = None if v is None or v.masque else v.valeur
        statut = _statut(resultat, float(cible), direction, termine)
        out.append(
            {
                "indicateur": code,
                "libelle": _libelle(code),
                "unite": _unite(code),
                "sens": direction,
                "cible": float(cible),
                "resultat": resultat,
                "ecart": None if resultat is None else arrondi(_dec(resultat) - _dec(cible), 2),
                "statut": statut,
                "statut_libelle": STATUTS[statut],
            }
        )
    frame = pd.DataFrame(out, columns=COLONNES)
    for col in ("resultat", "ecart"):
        frame[col] = frame[col].astype("Float64")
    return frame


def atteint(resultat: float, cible: float, sens: str) -> bool:
    """On the right side of the target (equal counts as reached)."""
    return resultat <= cible if sens == Sens.BAISSE.value else resultat >= cible


def _statut(resultat: float | None, cible: float, sens: str, termine: bool) -> str:
    if resultat is None:
        return "sans valeur"
    if not termine:
        return "en cours"
    return "atteint" if atteint(resultat, cible, sens) else "non atteint"


def _sens(code: str, sens: dict[str, str] | None) -> str:
    if sens and code in sens:
        value = sens[code]
        value = value.value if isinstance(value, Sens) else str(value)
        if value not in {s.value for s in Sens}:
            raise ValueError(f"Sens inconnu pour {code} : « {value} » (attendus : hausse, baisse, neutre).")
        return value
    definition = _definition(code)
    if definition is not None:
        return definition.sens.value
    return SENS_PAR_DEFAUT.get(code, Sens.HAUSSE.value)


def _definition(code: str):
    try:
        from indicators.registry import REGISTRY
    except ImportError:
        return None
    return REGISTRY.get(code)


def _libelle(code: str) -> str:
    definition = _definition(code)
    return definition.libelle if definition is not None else code


def _unite(code: str) -> str:
    definition = _definition(code)
    return definition.unite if definition is not None else ""


def _latest(conn: Connection) -> dt.date | None:
    value = conn.execute(select(func.max(Jalon.date))).scalar()
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))
