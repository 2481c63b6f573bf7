"""Territorial tables of one indicator: France, régions, départements and structures, each protected.

The national view compares territories. Its figures come from the engine with
ONE breakdown per level (`dimension="departement"`, or `"structure"` within a
département), never one call per territory, after the scope is checked
against the account (`indicators.disclosure.service`). The régions are added
up from their départements, numerators, denominators and cell keys alike (the
key of a union of disjoint cells is the sum of their keys), so a région gets
exactly the figure a computation over the région would give it.

Each cell is then protected on its own under the account's rule
(`indicators.disclosure.rule`): exact for an administrator, perturbed by the
cell-key method for the bureau and the Départements, small counts suppressed.
No cell is hidden to protect another: a région minus its other départements
is the hidden département plus the noise of two perturbed figures, not the
hidden count (docs/disclosure.md). So a Département sees each of its Missions
Locales by name with its figures, and only the small cells are protected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from indicators import engine as moteur
from indicators import formules
from indicators.disclosure import service
from indicators.disclosure.perturbation import cell_key
from indicators.disclosure.rule import DEFAULT_K, K_ENV, Rule
from indicators.disclosure.rule import k_setting as _k_setting
from indicators.registry import REGISTRY
from indicators.types import Echelon, Filtres, Nature, Perimetre, Periode, Sens
from mlimpact import territoires
from mlimpact.access import AccesRefuse, Compte

# The access indicators: where a territory lying far from the others may mean unequal access to rights.
ACCES: tuple[str, ...] = ("delai_entree_jours", "entree_sous_30j", "risques_ouverts", "ancrage_rsa")

NATIONAL, REGION, DEPARTEMENT, STRUCTURE = "national", "region", "departement", "structure"
COLONNES = ["niveau", "code", "libelle", "region", "departement", "valeur", "masque", "petit", "traitement"]
PARTS = ["modalite", "libelle", "valeur", "numerateur", "denominateur", "cle", "cle_denominateur"]
TOTAL = "Total"
__all__ = ["DEFAULT_K", "K_ENV", "Tableau", "k_setting", "structures", "tableau"]


def k_setting(environ: Mapping[str, str] | None = None, bind: Engine | Connection | None = None) -> int:
    """k, the smallest count shown outside a structure (`indicators.disclosure.rule.k_setting`)."""
    return _k_setting(bind, environ)


def ventilable(code: str) -> bool:
    """Whether the engine breaks `code` down by territory: counts and ratios, and the numbers it lists.

    `delai_entree_jours` (a median built on a count of people) joins the map
    as soon as the engine lists it in `BREAKDOWN_NUMBERS`.
    """
    numbers = getattr(moteur, "BREAKDOWN_NUMBERS", frozenset())
    return REGISTRY[code].nature in moteur.BREAKDOWN_NATURES or code in numbers


def indicateurs_carte() -> tuple[str, ...]:
    """The indicators a territory table (and the map) can show, in the registry's order."""
    return tuple(c for c in REGISTRY if ventilable(c))


# --- results ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tableau:
    """One indicator for one period, every level protected under the account's rule.

    `national` is the row of France (None for a département account), then the
    régions and the départements with data (bureau), or the département's
    total and its structures (département account). Columns: COLONNES.
    `k` is the threshold of the account's rule (0: exact figures).
    """

    code: str
    periode: Periode
    k: int
    national: pd.Series | None
    regions: pd.DataFrame
    departements: pd.DataFrame
    structures: pd.DataFrame

    @property
    def nature(self) -> Nature:
        return REGISTRY[self.code].nature


# --- the engine's parts, with their cell keys, kept inside this module -------------------------------------
def _parts(bind, perimetre: Perimetre, periode: Periode, code: str, dimension: str, filtres: Filtres, as_of) -> pd.DataFrame:
    """The engine's breakdown with its cell keys (the scope is checked by the caller).

    Raises ValueError when the engine cannot break `code` down (a number other than a count or a ratio).
    """
    table = moteur.breakdown(bind, periode, perimetre, code, dimension, filtres, as_of)
    for column in ("cle", "cle_denominateur"):
        if column not in table:
            table[column] = None
    return table[PARTS]


def roll_up(deps: pd.DataFrame, code: str) -> pd.DataFrame:
    """The régions of a breakdown by département, added up as the engine would compute them.

    A count is the sum of its départements' counts; a ratio sums numerators
    and denominators, then divides (never an average of rates): every young
    person belongs to one structure, hence one département. The cell keys add
    up too (mod 256): a région's figure is perturbed as a computation over the
    région would perturb it. This saves the engine a second pass over the whole
    country for each indicator.
    """
    parts = deps[deps["modalite"] != TOTAL]
    regions: dict[str, list] = {}
    for r in parts.itertuples():
        acc = regions.setdefault(territoires.DEPARTEMENTS[str(r.modalite)].region, [0, 0, 0, [], []])
        acc[0] += 0 if pd.isna(r.valeur) else r.valeur
        acc[1] += 0 if pd.isna(r.numerateur) else r.numerateur
        acc[2] += 0 if pd.isna(r.denominateur) else r.denominateur
        acc[3].append(r.cle)
        acc[4].append(r.cle_denominateur)
    rows = []
    for region in sorted(regions):
        total, n, d, keys, keys_d = regions[region]
        if REGISTRY[code].nature is Nature.RATIO:
            v = formules.ratio(code, int(n), int(d))
        else:
            v = formules.count(code, int(total))
        rows.append({"modalite": region, "libelle": territoires.nom_region(region), "valeur": v.valeur,
                     "numerateur": v.numerateur, "denominateur": v.denominateur,
                     "cle": _key_sum(keys), "cle_denominateur": _key_sum(keys_d)})
    return pd.DataFrame(rows, columns=PARTS)


def _key_sum(keys: list) -> int | None:
    present = [k for k in keys if k is not None and not pd.isna(k)]
    return cell_key(*present) if len(present) == len(keys) else None


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["niveau", "code", "libelle", "region", "departement", *PARTS[2:]])


def _row(niveau: str, code: str, libelle: str, region: str | None, departement: str | None, r) -> dict:
    return {
        "niveau": niveau, "code": code, "libelle": libelle, "region": region, "departement": departement,
        **{c: getattr(r, c) for c in PARTS[2:]},
    }


def _decimales(code: str) -> int:
    definition = REGISTRY[code]
    return 0 if definition.nature is Nature.COUNT else (1 if definition.nature is Nature.RATIO else definition.decimales)


def _protected(cells: pd.DataFrame, code: str, rule: Rule) -> pd.DataFrame:
    out = service.protect_rows(cells, code, rule, value_columns=("valeur",))
    return out.drop(columns=[c for c in ("numerateur", "denominateur") if c in out])


def _split(masked: pd.DataFrame) -> tuple[pd.Series | None, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    by = {level: masked[masked["niveau"] == level][COLONNES].reset_index(drop=True) for level in (NATIONAL, REGION, DEPARTEMENT, STRUCTURE)}
    national = by[NATIONAL].iloc[0] if len(by[NATIONAL]) else None
    return national, by[REGION], by[DEPARTEMENT], by[STRUCTURE]


# --- the national table (bureau, admin) ---------------------------------------------------------------
def _national_cells(deps: pd.DataFrame, regs: pd.DataFrame) -> pd.DataFrame:
    """France, its régions and départements as one list of cells."""
    rows = [_row(NATIONAL, "FR", "France entière", None, None, next(deps[deps["modalite"] == TOTAL].itertuples()))]
    for r in regs[regs["modalite"] != TOTAL].itertuples():
        rows.append(_row(REGION, str(r.modalite), territoires.nom_region(str(r.modalite)), str(r.modalite), None, r))
    for r in deps[deps["modalite"] != TOTAL].itertuples():
        code = str(r.modalite)
        rows.append(_row(DEPARTEMENT, code, territoires.nom_departement(code), territoires.DEPARTEMENTS[code].region, code, r))
    return _frame(rows)


def _departement_cells(st: pd.DataFrame, departement: str) -> pd.DataFrame:
    """A département's total and its structures."""
    total = next(st[st["modalite"] == TOTAL].itertuples())
    region = territoires.DEPARTEMENTS[departement].region
    rows = [_row(DEPARTEMENT, departement, territoires.nom_departement(departement), region, departement, total)]
    for r in st[st["modalite"] != TOTAL].itertuples():
        rows.append(_row(STRUCTURE, str(r.modalite), str(r.libelle), region, departement, r))
    return _frame(rows)


def tableau(
    bind: Engine | Connection,
    compte: Compte,
    periode: Periode,
    code: str,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
) -> Tableau:
    """`code` for every territory the account may compare, each cell protected (see the module's docstring).

    Bureau and admin: France, the régions and the départements that have
    structures (one engine call, or two for a median). Département account:
    its département and its structures, by name (one call). Other roles are refused.
    """
    if compte.role == "departement":
        perimetre = Perimetre(Echelon.DEPARTEMENT, compte.departement)
        rule = service.checked_rule(bind, compte, perimetre)
        st = _parts(bind, perimetre, periode, code, "structure", filtres, as_of)
        _, _, dep, structures_ = _split(_protected(_departement_cells(st, compte.departement), code, rule))
        return Tableau(code, periode, rule.k, None, pd.DataFrame(columns=COLONNES), dep, structures_)
    if compte.role not in ("bureau", "admin"):
        raise AccesRefuse("La vue nationale est réservée au bureau national, aux départements et aux administrateurs.")
    perimetre = Perimetre()
    rule = service.checked_rule(bind, compte, perimetre)
    deps = _parts(bind, perimetre, periode, code, "departement", filtres, as_of)
    if REGISTRY[code].nature in (Nature.COUNT, Nature.RATIO):
        regs = roll_up(deps, code)
    else:  # a median is not a sum of its parts: the région figures are computed, not added up
        regs = _parts(bind, perimetre, periode, code, "region", filtres, as_of)
    national, regions, departements, _ = _split(_protected(_national_cells(deps, regs), code, rule))
    return Tableau(code, periode, rule.k, national, regions, departements, pd.DataFrame(columns=COLONNES))


def structures(
    bind: Engine | Connection,
    compte: Compte,
    periode: Periode,
    departement: str,
    code: str,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """The structures of one département for `code`, and its total first, each protected.

    The département's row is the same figure as in the national table (same
    contributors, same cell key, same perturbation).
    """
    perimetre = Perimetre(Echelon.DEPARTEMENT, departement)
    rule = service.checked_rule(bind, compte, perimetre)
    st = _parts(bind, perimetre, periode, code, "structure", filtres, as_of)
    return _protected(_departement_cells(st, departement), code, rule)[COLONNES].reset_index(drop=True)


# --- comparisons ------------------------------------------------------------------------------------------
def variation(courant: pd.DataFrame, precedent: pd.DataFrame, code: str) -> pd.DataFrame:
    """Each territory of `courant` with its previous value and the change (empty where either figure is masked).

    Columns added: valeur_prec, masque_prec, petit_prec, traitement_prec, variation (rounded
    half up like the figures). The text is `presentation.figures.avec_variation`.
    """
    columns = [c for c in ("code", "valeur", "masque", "petit", "traitement") if c in precedent]
    prev = precedent[columns].rename(columns={c: f"{c}_prec" for c in columns if c != "code"})
    out = courant.merge(prev, on="code", how="left")
    for col in ("masque_prec", "petit_prec"):
        out[col] = out[col].astype("boolean").fillna(False).astype(bool)
    decimales = REGISTRY[code].decimales
    diffs = [
        None if m or mp or pd.isna(v) or pd.isna(p) else formules.arrondi(float(v) - float(p), decimales)
        for v, p, m, mp in zip(out["valeur"], out["valeur_prec"], out["masque"], out["masque_prec"])
    ]
    out["variation"] = pd.array(diffs, dtype="Float64")
    return out


def classement(table: pd.DataFrame, code: str) -> pd.DataFrame:
    """The territories best first (highest first for a volume); masked or empty ones last, without a rank.

    Ties share the smallest rank ("1, 2, 2, 4").
    """
    sens = REGISTRY[code].sens
    out = table.copy()
    shown = out["valeur"].notna() & ~out["masque"].astype(bool)
    values = pd.to_numeric(out["valeur"], errors="coerce").astype(float)
    ascending = sens is Sens.BAISSE
    ranks = values.where(shown).rank(method="min", ascending=ascending)
    out["rang"] = ranks.astype("Int64")
    out["_key"] = values.where(shown) * (1 if ascending else -1)
    out = out.sort_values(["_key", "code"], na_position="last", kind="stable").drop(columns="_key")
    return out.reset_index(drop=True)


# --- dispersion -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dispersion:
    """How far apart the territories are, on their shown (unmasked) figures, each territory counting once."""

    n: int  # territories with a shown figure
    masques: int  # territories whose figure is masked
    national: float | None
    q1: float | None
    mediane: float | None
    q3: float | None
    p10: float | None
    p90: float | None
    rapport_interdecile: float | None  # P90 / P10 (None when P10 ≤ 0)
    minimum: tuple[str, float] | None  # (code, value)
    maximum: tuple[str, float] | None
    borne_basse: float | None  # Q1 − 1.5 × (Q3 − Q1): below it, a territory is atypical
    borne_haute: float | None
    atypiques: tuple[str, ...]  # codes beyond the bounds (Tukey's rule)


def dispersion(table: pd.DataFrame, national: float | None = None) -> Dispersion:
    """Quartiles, deciles, the interdecile ratio, the extremes and the atypical territories (Tukey's fences).

    Quantiles are interpolated linearly between the sorted figures (pandas'
    default, type 7 of Hyndman and Fan). Masked figures are left out, not taken as 0.
    """
    shown = table[table["valeur"].notna() & ~table["masque"].astype(bool)]
    values = pd.to_numeric(shown["valeur"], errors="coerce").astype(float)
    codes = list(shown["code"])
    masques = int(table["masque"].astype(bool).sum())
    if values.empty:
        return Dispersion(0, masques, national, None, None, None, None, None, None, None, None, None, None, ())
    q = values.quantile([0.1, 0.25, 0.5, 0.75, 0.9])
    p10, q1, med, q3, p90 = (float(q[x]) for x in (0.1, 0.25, 0.5, 0.75, 0.9))
    iqr = q3 - q1
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    atypiques = tuple(c for c, v in zip(codes, values) if v < low or v > high)
    imin, imax = int(np.argmin(values.to_numpy())), int(np.argmax(values.to_numpy()))
    return Dispersion(
        n=len(values), masques=masques, national=national, q1=q1, mediane=med, q3=q3, p10=p10, p90=p90,
        rapport_interdecile=(p90 / p10) if p10 > 0 else None,
        minimum=(codes[imin], float(values.iloc[imin])), maximum=(codes[imax], float(values.iloc[imax])),
        borne_basse=low, borne_haute=high, atypiques=atypiques,
    )


def cote(valeur: float | None, d: Dispersion, code: str) -> str | None:
    """Where a figure lies against the interquartile band: "favorable", "defavorable", "haut"/"bas" for a volume, or None inside it."""
    if valeur is None or pd.isna(valeur) or d.q1 is None:
        return None
    if d.q1 <= valeur <= d.q3:
        return None
    above = valeur > d.q3
    sens = REGISTRY[code].sens
    if sens is Sens.NEUTRE:
        return "haut" if above else "bas"
    return "favorable" if above == (sens is Sens.HAUSSE) else "defavorable"


def hors_bande(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The territories whose access indicators lie outside the interquartile band on the unfavourable side.

    `tables` maps each access indicator to its masked territory table. One row
    per territory flagged at least once; for each indicator its shown figure
    (the table's `affichage`, when the caller wrote it) and a flag: "▲ défavorable" beyond the band, "▲▲ défavorable (atypique)"
    beyond Tukey's fence; a masked figure is never flagged. Most flags first.
    """
    flags: dict[str, dict] = {}
    for code, table in tables.items():
        d = dispersion(table)
        for r in table.itertuples(index=False):
            entry = flags.setdefault(str(r.code), {"code": str(r.code), "libelle": r.libelle, "region": r.region, "signalements": 0})
            entry[f"{code}__affichage"] = getattr(r, "affichage", None)
            side = None if r.masque else cote(r.valeur, d, code)
            if side == "defavorable":
                strong = r.valeur < d.borne_basse or r.valeur > d.borne_haute
                entry[f"{code}__signal"] = "▲▲ défavorable (atypique)" if strong else "▲ défavorable"
                entry["signalements"] += 1
            else:
                entry[f"{code}__signal"] = ""
    out = pd.DataFrame([f for f in flags.values() if f["signalements"] > 0])
    if out.empty:
        return pd.DataFrame(columns=["code", "libelle", "region", "signalements"])
    return out.sort_values(["signalements", "code"], ascending=[False, True], kind="stable").reset_index(drop=True)
