"""Territorial tables of one indicator: régions, départements and structures, masked together.

The national view compares territories. Its figures come from the service
(`indicators.disclosure.service`: the scope is checked against the account) with ONE
breakdown call per level (`dimension="departement"`, then `"region"`), never
one call per territory. What makes this module more than a loop over the
service is the masking: the view shows the national value, the régions and
the départements together, so the equations "région = Σ its départements" and
"France = Σ régions" are published as well, and masking each table on its own
would let a masked département be recovered as région − its other
départements. Here every level is masked in one suppression problem
(`indicators.disclosure.masking.suppress`, primary then secondary, with the exact
linear-algebra check), with the threshold of the account
(`access.seuil_masquage`, k from the settings).

To do that, the parts are asked of the service *unmasked* (`k=0`: the scope
check still applies) and masked here before anything leaves this module: no
public function returns an unmasked figure of a scope the account does not
own. A département's structures are masked in a second step with the
département's total forced hidden when the first step hid it, so that the two
tables cannot be combined either.

A `departement` account sees its own département and its structures (never
the other départements): `tableau` then holds the département's total and its
structures, masked together.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from indicators import formules
from indicators.disclosure import service
from indicators.disclosure.masking import DEFAULT_K, Relation, mask_rows
from indicators.registry import REGISTRY
from indicators.types import Echelon, Filtres, Nature, Perimetre, Periode, Sens, Valeur
from mlimpact import territoires
from mlimpact.access import AccesRefuse, Compte, masking_threshold

K_ENV = "MLIMPACT_MIN_CELL"
# The access indicators: where a territory lying far from the others may mean unequal access to rights.
ACCES: tuple[str, ...] = ("delai_entree_jours", "entree_sous_30j", "risques_ouverts", "ancrage_rsa")

NATIONAL, REGION, DEPARTEMENT, STRUCTURE = "national", "region", "departement", "structure"
COLONNES = ["niveau", "code", "libelle", "region", "departement", "valeur", "masque", "petit"]
TOTAL = "Total"


def k_setting(environ: Mapping[str, str] | None = None) -> int:
    """k, the smallest count shown outside a structure: `MLIMPACT_MIN_CELL` when it is a whole number ≥ 2, else 11."""
    raw = (os.environ if environ is None else environ).get(K_ENV, "").strip()
    try:
        k = int(raw)
    except ValueError:
        return DEFAULT_K
    return k if k >= 2 else DEFAULT_K


def ventilable(code: str) -> bool:
    """Whether the engine breaks `code` down by territory: counts and ratios, and the numbers it lists.

    `delai_entree_jours` (a median built on a count of people) joins the map
    as soon as the engine lists it in `BREAKDOWN_NUMBERS`.
    """
    from indicators import engine

    numbers = getattr(engine, "BREAKDOWN_NUMBERS", frozenset())
    return REGISTRY[code].nature in engine.BREAKDOWN_NATURES or code in numbers


def indicateurs_carte() -> tuple[str, ...]:
    """The indicators a territory table (and the map) can show, in the registry's order."""
    return tuple(c for c in REGISTRY if ventilable(c))


# --- results ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tableau:
    """One indicator for one period, every level masked together.

    `national` is the row of France (None for a département account), then the
    régions and the départements with data (bureau), or the département's
    total and its structures (département account). Columns: COLONNES.
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


# --- unmasked parts, kept inside this module --------------------------------------------------------
def _parts(
    bind, compte: Compte, periode: Periode, perimetre: Perimetre, code: str, dimension: str, filtres: Filtres, as_of
) -> pd.DataFrame:
    """The breakdown of the service before masking (k=0), to be masked with the other levels here.

    Raises ValueError when the engine cannot break `code` down (a number other than a count or a ratio).
    """
    table = service.breakdown(bind, compte, periode, perimetre, code, dimension, filtres, as_of, k=0)
    return table[["modalite", "libelle", "valeur", "numerateur", "denominateur"]]


def roll_up(deps: pd.DataFrame, code: str) -> pd.DataFrame:
    """The régions of a breakdown by département, added up as the engine would compute them.

    A count is the sum of its départements' counts; a ratio sums numerators
    and denominators, then divides (never an average of rates): every young
    person belongs to one structure, hence one département. This saves the
    engine a second pass over the whole country for each indicator.
    """
    parts = deps[deps["modalite"] != TOTAL]
    regions: dict[str, list[float]] = {}
    for r in parts.itertuples():
        acc = regions.setdefault(territoires.DEPARTEMENTS[str(r.modalite)].region, [0, 0, 0])
        acc[0] += 0 if pd.isna(r.valeur) else r.valeur
        acc[1] += 0 if pd.isna(r.numerateur) else r.numerateur
        acc[2] += 0 if pd.isna(r.denominateur) else r.denominateur
    rows = []
    for region in sorted(regions):
        total, n, d = regions[region]
        if REGISTRY[code].nature is Nature.RATIO:
            v = formules.ratio(code, int(n), int(d))
        else:
            v = Valeur(code, int(total))
        rows.append({"modalite": region, "libelle": territoires.nom_region(region), "valeur": v.valeur,
                     "numerateur": v.numerateur, "denominateur": v.denominateur})
    return pd.DataFrame(rows, columns=["modalite", "libelle", "valeur", "numerateur", "denominateur"])


def sensibles(table: pd.DataFrame, nature: Nature) -> np.ndarray:
    """The additive counts each row discloses: a count; n and d − n of a ratio; the people a number is built on."""
    def col(name: str) -> np.ndarray:
        return pd.to_numeric(table[name], errors="coerce").astype(float).to_numpy()

    if nature is Nature.COUNT:
        return col("valeur").reshape(-1, 1)
    if nature is Nature.RATIO:
        n, d = col("numerateur"), col("denominateur")
        return np.column_stack([n, d - n])
    return col("denominateur").reshape(-1, 1)


def mask(cells: pd.DataFrame, relations: list[Relation], k: int, nature: Nature, caches: Iterable[int] = ()) -> pd.DataFrame:
    """Mask rows of `cells` (valeur, numerateur, denominateur) jointly under `relations` (k ≤ 1: nothing).

    `caches` are rows hidden already by another table that publishes them
    (`masking.mask_rows`). Returns the rows with `valeur` emptied where
    hidden, `masque` and `petit`; numerator and denominator are dropped. The
    text (« < 11 », « secret », the figure) is written by `presentation.figures.avec_affichage`.
    """
    out = mask_rows(cells, sensibles(cells.reset_index(drop=True), nature), relations, k, ("valeur",), caches)
    out["valeur"] = pd.to_numeric(out["valeur"], errors="coerce").astype("Float64")
    return out.drop(columns=[c for c in ("numerateur", "denominateur") if c in out])


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["niveau", "code", "libelle", "region", "departement", "valeur", "numerateur", "denominateur"])


def _row(niveau: str, code: str, libelle: str, region: str | None, departement: str | None, r) -> dict:
    return {
        "niveau": niveau, "code": code, "libelle": libelle, "region": region, "departement": departement,
        "valeur": r.valeur, "numerateur": r.numerateur, "denominateur": r.denominateur,
    }


def _split(masked: pd.DataFrame) -> tuple[pd.Series | None, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    by = {level: masked[masked["niveau"] == level][COLONNES].reset_index(drop=True) for level in (NATIONAL, REGION, DEPARTEMENT, STRUCTURE)}
    national = by[NATIONAL].iloc[0] if len(by[NATIONAL]) else None
    return national, by[REGION], by[DEPARTEMENT], by[STRUCTURE]


# --- the national table (bureau, admin) ---------------------------------------------------------------
def _national_cells(deps: pd.DataFrame, regs: pd.DataFrame) -> tuple[pd.DataFrame, list[Relation]]:
    """France, its régions and départements as one list of cells, and the equations the view publishes."""
    rows = [_row(NATIONAL, "FR", "France entière", None, None, next(deps[deps["modalite"] == TOTAL].itertuples()))]
    reg_index: dict[str, int] = {}
    for r in regs[regs["modalite"] != TOTAL].itertuples():
        reg_index[str(r.modalite)] = len(rows)
        rows.append(_row(REGION, str(r.modalite), territoires.nom_region(str(r.modalite)), str(r.modalite), None, r))
    dep_by_region: dict[str, list[int]] = {}
    dep_cells: list[int] = []
    for r in deps[deps["modalite"] != TOTAL].itertuples():
        code = str(r.modalite)
        region = territoires.DEPARTEMENTS[code].region
        dep_by_region.setdefault(region, []).append(len(rows))
        dep_cells.append(len(rows))
        rows.append(_row(DEPARTEMENT, code, territoires.nom_departement(code), region, code, r))
    relations = [Relation(0, tuple(reg_index.values())), Relation(0, tuple(dep_cells))]
    relations += [Relation(reg_index[reg], tuple(cells)) for reg, cells in dep_by_region.items() if reg in reg_index]
    return _frame(rows), relations


def _departement_cells(st: pd.DataFrame, departement: str) -> tuple[pd.DataFrame, list[Relation]]:
    """A département's total and its structures, and the equation between them."""
    total = next(st[st["modalite"] == TOTAL].itertuples())
    region = territoires.DEPARTEMENTS[departement].region
    rows = [_row(DEPARTEMENT, departement, territoires.nom_departement(departement), region, departement, total)]
    for r in st[st["modalite"] != TOTAL].itertuples():
        rows.append(_row(STRUCTURE, str(r.modalite), str(r.libelle), region, departement, r))
    return _frame(rows), [Relation(0, tuple(range(1, len(rows))))]


def tableau(
    bind: Engine | Connection,
    compte: Compte,
    periode: Periode,
    code: str,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    k: int = DEFAULT_K,
) -> Tableau:
    """`code` for every territory the account may compare, masked together (see the module's docstring).

    Bureau and admin: France, the régions and the départements that have
    structures (two service calls). Département account: its département and
    its structures (one call). Other roles are refused by the service.
    """
    if compte.role == "departement":
        return _tableau_departement(bind, compte, periode, code, filtres, as_of, k)
    if compte.role not in ("bureau", "admin"):
        raise AccesRefuse("La vue nationale est réservée au bureau national, aux départements et aux administrateurs.")
    perimetre = Perimetre()
    seuil = masking_threshold(compte, perimetre, k)
    nature = REGISTRY[code].nature
    deps = _parts(bind, compte, periode, perimetre, code, "departement", filtres, as_of)
    if nature in (Nature.COUNT, Nature.RATIO):
        regs = roll_up(deps, code)
    else:  # a median is not a sum of its parts: the région figures are computed, not added up
        regs = _parts(bind, compte, periode, perimetre, code, "region", filtres, as_of)
    cells, relations = _national_cells(deps, regs)
    national, regions, departements, _ = _split(mask(cells, relations, seuil, nature))
    return Tableau(code, periode, seuil, national, regions, departements, pd.DataFrame(columns=COLONNES))


def _tableau_departement(bind, compte: Compte, periode, code, filtres, as_of, k) -> Tableau:
    departement = compte.departement
    perimetre = Perimetre(Echelon.DEPARTEMENT, departement)
    seuil = masking_threshold(compte, perimetre, k)
    nature = REGISTRY[code].nature
    st = _parts(bind, compte, periode, perimetre, code, "structure", filtres, as_of)
    cells, relations = _departement_cells(st, departement)
    _, _, dep, structures = _split(mask(cells, relations, seuil, nature))
    return Tableau(code, periode, seuil, None, pd.DataFrame(columns=COLONNES), dep, structures)


def structures(
    bind: Engine | Connection,
    compte: Compte,
    periode: Periode,
    departement: str,
    code: str,
    total_masque: bool,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    k: int = DEFAULT_K,
) -> pd.DataFrame:
    """The structures of one département for `code`, and its total first, masked together.

    `total_masque`: the département's figure is hidden in the national table
    (`Tableau.departements`), so it is hidden here too, and at least one
    structure with it, so that it cannot be added back up.
    """
    perimetre = Perimetre(Echelon.DEPARTEMENT, departement)
    seuil = masking_threshold(compte, perimetre, k)
    nature = REGISTRY[code].nature
    st = _parts(bind, compte, periode, perimetre, code, "structure", filtres, as_of)
    cells, relations = _departement_cells(st, departement)
    masked = mask(cells, relations, seuil, nature, caches=[0] if total_masque else [])
    return masked[COLONNES].reset_index(drop=True)


# --- comparisons ------------------------------------------------------------------------------------------
def variation(courant: pd.DataFrame, precedent: pd.DataFrame, code: str) -> pd.DataFrame:
    """Each territory of `courant` with its previous value and the change (empty where either figure is masked).

    Columns added: valeur_prec, masque_prec, petit_prec, variation (rounded
    half up like the figures). The text is `presentation.figures.avec_variation`.
    """
    prev = precedent[["code", "valeur", "masque", "petit"]].rename(
        columns={"valeur": "valeur_prec", "masque": "masque_prec", "petit": "petit_prec"}
    )
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
