"""The text of every figure and of every change against a previous period, in French: one rule for all.

The impact page's cards, the national page, the PDF, the workbook and the CLI
table all write a figure through `texte_valeur` (or `texte_nombre` for a plain
number of an indicator) and a change through `texte_variation`/`texte_ecart`;
masked tables get their `affichage` column from `avec_affichage`. The rules:

- a figure by the registry's nature and decimals: a count `1 234`, a ratio
  `45,3 %`, euros `1 234,50 €`, a number `2,4 par jeune` (its short unit);
- a masked figure: « < 11 » for a count hidden because it is small, « secret »
  for anything else (a count hidden only to protect another cell may be large);
- a perturbed figure (an outsider's view, `indicators.disclosure.perturbation`):
  the figure after « ≈ » (`MARQUE_PERTURBE`), so that nobody takes it for exact;
- no value: « — »;
- a change: signed (`+`, `−`, `±` for none), rounded half up like the figures,
  in points for a ratio (`+2,5 pt`, a no-break space before `pt`), else in the
  figure's unit; « secret » when either figure is masked, « — » when one is missing.

Thousands are grouped with the narrow no-break space (`presentation.formats`).
The CLI's JSON and CSV keep raw numbers: only human text comes through here.
"""

from __future__ import annotations

import math

import pandas as pd

from indicators.disclosure.masking import DEFAULT_K, nature_de
from indicators.registry import REGISTRY
from indicators.rounding import arrondi
from indicators.types import Nature, Valeur
from presentation.formats import NBSP, entier, euros, nombre, pourcent

SECRET = "secret"
VIDE = "—"
MARQUE_PERTURBE = "≈\u00a0"  # before a perturbed figure: « ≈ 1 234 »

# Units written after a number (the registry's unit is for sentences: « entretiens par jeune »).
UNITES_COURTES = {"entretiens par jeune": "par jeune", "immersions par jeune": "par jeune", "€ par € investi": "€", "€ par € du Département": "€"}


def manquant(value) -> bool:
    """No value: None, NA or NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def texte(value, nature: Nature, decimales: int = 0, unite: str = "") -> str:
    """A number of a given nature in French: `1 234`, `45,3 %`, `12 345,00 €`, `2,4 par jeune`; « — » without value."""
    if manquant(value):
        return VIDE
    value = float(value)
    if nature is Nature.RATIO:
        return pourcent(value, decimales)
    if nature is Nature.EUROS:
        return euros(value, decimales)
    if nature is Nature.COUNT:
        return entier(value)
    return f"{nombre(value, decimales)}{NBSP}{unite}" if unite else nombre(value, decimales)


def unite_courte(code: str) -> str:
    unite = REGISTRY[code].unite
    return UNITES_COURTES.get(unite, unite)


def texte_nombre(code: str, value: float | None) -> str:
    """A plain number of indicator `code` (an objective, a result) by its registry nature, decimals and unit."""
    ind = REGISTRY[code]
    return texte(value, ind.nature, ind.decimales, unite_courte(code))


def libelle_masque(nature: Nature, k: int = DEFAULT_K, petit: bool = True) -> str:
    """What a masked figure says: « < 11 » for a count hidden because it is small, « secret » otherwise."""
    return f"< {k}" if nature is Nature.COUNT and petit else SECRET


def texte_valeur(code: str, valeur: Valeur | None, k: int = DEFAULT_K) -> str:
    """A figure as every output shows it: French format and unit, its masked wording, or « — »."""
    if valeur is None:
        return VIDE
    if valeur.masque:
        return libelle_masque(nature_de(code, valeur), k)
    return marque(valeur.traitement, texte_nombre(code, valeur.valeur))


def marque(traitement: str | None, text: str) -> str:
    """The text of a figure with the mark of a perturbed one (« ≈ 1 234 »); a missing figure stays « — »."""
    return MARQUE_PERTURBE + text if traitement == "perturbe" and text != VIDE else text


def texte_ecart(code: str, diff: float | None) -> str:
    """A change of indicator `code`: `+2,5 pt` for a ratio, `−3` for a count, `+1 200,00 €`; « — » without value."""
    if manquant(diff):
        return VIDE
    ind = REGISTRY[code]
    d = arrondi(float(diff), ind.decimales)
    sign = "+" if d > 0 else ("−" if d < 0 else "±")
    if ind.nature is Nature.RATIO:
        return f"{sign}{nombre(abs(d), ind.decimales)}{NBSP}pt"
    return f"{sign}{texte(abs(d), ind.nature, ind.decimales, unite_courte(code))}"


def texte_variation(code: str, actuel: Valeur | None, precedent: Valeur | None) -> str:
    """The change against the previous period: « secret » when either figure is masked, « — » when one is missing."""
    if (actuel is not None and actuel.masque) or (precedent is not None and precedent.masque):
        return SECRET
    if actuel is None or precedent is None or manquant(actuel.valeur) or manquant(precedent.valeur):
        return VIDE
    return texte_ecart(code, actuel.valeur - precedent.valeur)


def texte_variation_contre(code: str, actuel: Valeur | None, precedent: Valeur | None, libelle_comparaison: str) -> str:
    """The change with the period it is against: « +90 par rapport au 01/01/2024–31/12/2024 » (a figure only)."""
    text = texte_variation(code, actuel, precedent)
    return f"{text} par rapport au {libelle_comparaison}" if est_chiffre(text) and libelle_comparaison else text


def texte_objectif(code: str, cible: float, resultat: float | None, annee: int, statut: str, meme_chiffre: bool) -> str:
    """An objective of the convention with the very figure it is compared with, and whether it is the card's.

    An objective belongs to the structure's whole year, every public: under a
    filter or another period, the card shows another figure, and the text says so.
    """
    text = (
        f"Objectif de la convention {annee} : {texte_nombre(code, cible)}, comparé au résultat de la structure "
        f"sur toute l'année {annee}, tous publics : {texte_nombre(code, resultat)} — {statut}"
    )
    if not meme_chiffre:
        text += " (pas le chiffre de la carte, qui porte sur la période ou le public choisis)"
    return text


def est_chiffre(text: str | None) -> bool:
    """True when a text is a figure or a change, not « — » nor a masked wording."""
    return bool(text) and text != VIDE and text != SECRET and not text.startswith("< ")


# --- masked tables -------------------------------------------------------------------------------------------
def textes(values, masques, petits, nature: Nature, decimales: int, k: int, unite: str = "", traitements=None) -> list[str]:
    """The text of each cell of a masked (or perturbed) column."""
    traitements = [None] * len(values) if traitements is None else traitements
    return [
        libelle_masque(nature, k, bool(p)) if m else marque(t, texte(v, nature, decimales, unite))
        for v, m, p, t in zip(values, masques, petits, traitements)
    ]


def avec_affichage(
    table: pd.DataFrame, k: int, code: str | None = None, *, nature: Nature = Nature.COUNT, decimales: int = 0,
    suffix: str = "", column: str = "affichage",
) -> pd.DataFrame:
    """A masked table (`valeur`, `masque`, `petit`, `traitement`; each with `suffix`) with its text column added,
    by `code` or by nature (« ≈ » before a perturbed figure)."""
    out = table.copy()
    unite = ""
    if code is not None:
        ind = REGISTRY[code]
        nature, decimales, unite = ind.nature, ind.decimales, unite_courte(code)
    masques = out[f"masque{suffix}"] if f"masque{suffix}" in out else [False] * len(out)
    petits = out[f"petit{suffix}"] if f"petit{suffix}" in out else [True] * len(out)
    traitements = list(out[f"traitement{suffix}"]) if f"traitement{suffix}" in out else None
    out[column] = textes(out[f"valeur{suffix}"], masques, petits, nature, decimales, k, unite, traitements)
    return out


def avec_variation(table: pd.DataFrame, code: str, k: int) -> pd.DataFrame:
    """A territorial comparison (`territorial.variation`) with `affichage_prec` and `affichage_variation` added."""
    out = avec_affichage(table, k, code, suffix="_prec", column="affichage_prec")
    out["affichage_variation"] = [
        SECRET if m or mp else texte_ecart(code, None if pd.isna(d) else float(d))
        for d, m, mp in zip(out["variation"], out["masque"], out["masque_prec"])
    ]
    return out


def tableau_affiche(t):
    """A territorial table (`territorial.Tableau`) with the `affichage` of every level."""
    from dataclasses import replace

    frames = {name: avec_affichage(getattr(t, name), t.k, t.code) for name in ("regions", "departements", "structures")}
    national = None if t.national is None else avec_affichage(t.national.to_frame().T, t.k, t.code).iloc[0]
    return replace(t, national=national, **frames)
