"""The only door to figures for pages, reports and exports: access check, computation, masking.

Every function takes the signed-in account. It refuses a scope outside the
account's rights (`mlimpact.access`), computes with the engine, and masks what
the account may not see unmasked (a structure's own people see its figures
plainly; everyone else sees small numbers as "< 11" or "secret"). No view can
forget a rule, because no view calls the engine directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Connection, Engine

from indicators import engine as moteur
from indicators.disclosure.masking import DEFAULT_K, DERIVES, mask_table, mask_values
from indicators.registry import REGISTRY
from indicators.types import Filtres, Perimetre, Periode, Valeur
from mlimpact.access import AccesRefuse, Compte, masking_threshold, check_scope

# Roles that compare their territory with the whole country (a national aggregate discloses no territory).
ROLES_REFERENCE_NATIONALE = frozenset({"departement", "bureau", "admin"})


def _checked(bind: Engine | Connection, compte: Compte, perimetre: Perimetre) -> None:
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            check_scope(conn, compte, perimetre)
    else:
        check_scope(bind, compte, perimetre)


def compute(
    bind: Engine | Connection,
    compte: Compte,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    codes: Iterable[str] | None = None,
    k: int = DEFAULT_K,
) -> dict[str, Valeur]:
    """Every indicator (or `codes`) for the account, masked as its role requires.

    Masking needs the base counts of derived figures, so all indicators are
    computed and the requested ones returned.
    """
    _checked(bind, compte, perimetre)
    return _masked(bind, compte, periode, perimetre, filtres, as_of, codes, k)


def _masked(bind, compte, periode, perimetre, filtres, as_of, codes, k) -> dict[str, Valeur]:
    """All indicators computed (derived figures are masked on their base counts), masked, then selected."""
    values = mask_values(moteur.compute(bind, periode, perimetre, filtres, as_of), masking_threshold(compte, perimetre, k))
    return values if codes is None else {c: values[c] for c in codes}


def national_figures(
    bind: Engine | Connection,
    compte: Compte,
    periode: Periode,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    codes: Iterable[str] | None = None,
    k: int = DEFAULT_K,
) -> dict[str, Valeur]:
    """The national figures, masked, for a territorial account to compare its territory with.

    Only the aggregate of France, no breakdown: a département account gets the
    national reference without the other départements.
    """
    if compte.role not in ROLES_REFERENCE_NATIONALE:
        raise AccesRefuse("Votre rôle ne donne pas accès aux chiffres nationaux.")
    return _masked(bind, compte, periode, Perimetre(), filtres, as_of, codes, k)


def compare(
    bind: Engine | Connection,
    compte: Compte,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    k: int = DEFAULT_K,
) -> dict[str, tuple[Valeur, Valeur]]:
    """Each indicator for the period and the previous one of the same length, both masked."""
    current = compute(bind, compte, periode, perimetre, filtres, as_of, k=k)
    previous = compute(bind, compte, periode.precedente(), perimetre, filtres, as_of, k=k)
    return {code: (current[code], previous[code]) for code in current}


def breakdown(
    bind: Engine | Connection,
    compte: Compte,
    periode: Periode,
    perimetre: Perimetre,
    code: str,
    dimension: str,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    k: int = DEFAULT_K,
) -> pd.DataFrame:
    """A breakdown table with primary and secondary masking (columns `masque`, `petit` added; text: `presentation.figures`)."""
    _checked(bind, compte, perimetre)
    table = moteur.breakdown(bind, periode, perimetre, code, dimension, filtres, as_of)
    definition = REGISTRY[code]
    return mask_table(table, masking_threshold(compte, perimetre, k), nature=definition.nature)


def trend(
    bind: Engine | Connection,
    compte: Compte,
    debut: dt.date,
    fin: dt.date,
    perimetre: Perimetre,
    codes: Iterable[str],
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    k: int = DEFAULT_K,
) -> pd.DataFrame:
    """Monthly values, each month's figures masked like a card (column `masque` added)."""
    _checked(bind, compte, perimetre)
    wanted = list(codes)
    # Derived figures are masked on their base counts: compute those too, return only what was asked.
    needed = list(dict.fromkeys([*wanted, *(b for c in wanted for b in DERIVES.get(c, ()))]))
    table = moteur.trend(bind, debut, fin, perimetre, needed, filtres, as_of)
    seuil = masking_threshold(compte, perimetre, k)
    if table.empty or seuil <= 1:
        return table[table["code"].isin(wanted)].assign(masque=False).reset_index(drop=True)
    masked_rows = []
    for _, month in table.groupby("mois", sort=True):
        values = {
            r.code: Valeur(r.code, r.valeur, r.numerateur, r.denominateur) for r in month.itertuples(index=False)
        }
        hidden = mask_values(values, seuil)
        for r in month.itertuples(index=False):
            v = hidden[r.code]
            masked_rows.append({**r._asdict(), "valeur": v.valeur, "numerateur": v.numerateur, "denominateur": v.denominateur, "masque": v.masque})
    out = pd.DataFrame(masked_rows, columns=[*table.columns, "masque"])
    return out[out["code"].isin(wanted)].reset_index(drop=True)
