"""« Ce qui marche »: what the actions are associated with, against comparable young people.

The design is a sequence of monthly "trials" (landmarks). On the first day L of each month of
the period, every young person in an active accompagnement who has not yet received the action
is eligible; those who receive it during the month are the treated, the others the comparison
group (some of whom may receive it later: the contrast is « l'action ce mois-ci » against
« pas ce mois-ci »). The outcome is a jalon within the horizon after L, for both groups, so
only months whose horizon has fully passed by the data date count.

Comparable young people: a logistic propensity model (statsmodels GLM, binomial) of the
action on what is known at L — structure (or département at a larger scale), dispositif, age
band, sexe, niveau, QPV, FRR, RQTH, time since entry, calendar year, earlier jobs, trainings,
ruptures, risks, RSA, and the follow-up of the three previous months. The effect is the
average effect on the treated (ATT): treated rows weigh 1, comparison rows e/(1 − e). Rows
outside the common support are left out (propensity above 0.95, or comparison rows below the
smallest propensity of a treated row). The effect and its 95 % interval come from a weighted
least squares regression of the outcome on the action with standard errors clustered by
young person (a young person appears in several months). Balance after weighting is reported
as standardised mean differences; the E-value (VanderWeele & Ding, 2017) says how strong an
unmeasured confounder would have to be to explain the association away.

Everything here computes; `for_account` adds who sees what (scope check and masking of small
groups for anyone outside the structure). docs/effets.md is the method for an evaluator.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import WLS

from indicators import kept
from indicators.disclosure.rule import Rule
from indicators.disclosure.service import checked_rule
from indicators.effets_registry import ACTIONS, ANTECEDENTS, RESULTATS, SUIVI, Action, Resultat, jalon_types
from indicators.sql import PerimetreInconnu, departements_of
from indicators.types import Echelon, Filtres, Perimetre, Periode
from mlimpact.access import Compte
from mlimpact.db import connected
from mlimpact.models import Accompagnement, Jalon, Jeune, Structure

PROPENSITE_MAX = 0.95  # above: no comparable young person who did not receive the action
SMD_CIBLE = 0.1  # balance target after weighting
MIN_LIGNES = 20  # an action with fewer treated (or comparison) rows than this is left out
MAX_STRUCTURES = 40  # above this many structures, the territory adjusted for is the département
Z95 = 1.959963984540054

Progress = Callable[[float, str], None]

_B = 1 << 17  # key = jeune × _B + day (days since 1970 stay below 2**17 until 2328)


# --- one BLAS thread while estimating ------------------------------------------------------------------------
# numpy's OpenBLAS starts one thread per core for every product and least-squares step. On a server that
# serves several people on two cores, those threads wait for each other: measured on the shared 2-core
# machine at load 18, the département computation took 81 s with them and 18 s with one thread (a
# 31,000 × 41 product: 1.96 s against 0.06 s). threadpoolctl does this in general; the few lines below do
# it for the OpenBLAS numpy ships (or a system one), and do nothing when there is none.
_BLAS = threading.Lock()
_BLAS_STATE = {"users": 0, "before": None}


@functools.lru_cache(maxsize=1)
def _openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    import ctypes
    import glob
    import os

    folder = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    libraries = [ctypes.CDLL(p) for p in sorted(glob.glob(os.path.join(folder, "lib*openblas*")))]
    libraries.append(ctypes.CDLL(None))  # a system OpenBLAS already loaded by numpy
    for lib in libraries:
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"), ("openblas", "")):
            get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                return get, put
    return None


@contextlib.contextmanager
def one_blas_thread():
    """Run the block with one OpenBLAS thread, then give back the previous number (nested and concurrent uses count)."""
    try:
        blas = _openblas()
    except OSError:
        blas = None
    if blas is None:
        yield
        return
    get, put = blas
    with _BLAS:
        if _BLAS_STATE["users"] == 0:
            _BLAS_STATE["before"] = get()
            put(1)
        _BLAS_STATE["users"] += 1
    try:
        yield
    finally:
        with _BLAS:
            _BLAS_STATE["users"] -= 1
            if _BLAS_STATE["users"] == 0:
                put(_BLAS_STATE["before"])


# --- results ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Effet:
    """One (action, outcome) row: the adjusted difference in points, its interval, the raw one, the sizes."""

    action: str
    resultat: str
    horizon_jours: int
    effet_points: float | None
    ic_bas: float | None
    ic_haut: float | None
    difference_brute: float | None
    n_traites: int | None
    n_temoins: int | None
    e_value: float | None
    e_value_ic: float | None
    traitement: str  # exact, masque or perturbe
    taux_traites: float | None = None  # % of the treated with the outcome
    taux_temoins_ajuste: float | None = None  # % of the weighted comparison group
    # for combining estimates across départements: unrounded effect and standard error (0-1 scale),
    # and (treated rows, treated with the outcome, comparison rows, comparison rows with the outcome)
    interne: tuple[float, float, float, float, float, float] | None = field(default=None, repr=False)
    # cell keys of the two groups (sum of the young people's record keys mod 256), for the cell-key
    # perturbation of what outsiders see (indicators.disclosure.perturbation); None when unknown
    cle_traites: int | None = field(default=None, repr=False)
    cle_temoins: int | None = field(default=None, repr=False)

    @property
    def demontre(self) -> bool:
        """The interval leaves zero out (an association, not a cause)."""
        return self.ic_bas is not None and (self.ic_bas > 0 or self.ic_haut < 0)

    def as_row(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Equilibre:
    """Balance and overlap of one action's comparison."""

    action: str
    n_lignes: int  # eligible landmark rows
    n_lignes_traitees: int
    hors_support: int  # rows left out: no comparable group
    smd_max_avant: float
    smd_max_apres: float
    smd: pd.DataFrame = field(compare=False)  # variable, smd_avant, smd_apres


@dataclass(frozen=True)
class Resultats:
    effets: tuple[Effet, ...]
    equilibres: tuple[Equilibre, ...]
    exclues: tuple[tuple[str, str], ...]  # (action, French reason) left out before any estimate
    periode: Periode
    as_of: dt.date | None
    mois: int  # landmark months used
    territoire: str  # "structure" or "departement": what the comparison is made within

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.as_row() for e in self.effets], columns=list(Effet.__dataclass_fields__))


# --- the data -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Donnees:
    """What the estimator reads: three frames (one row per jeune, accompagnement, jalon of the types read)."""

    jeunes: pd.DataFrame  # id_jeune, code_structure, departement, annee_naissance, sexe, niveau_formation, qpv, frr, rqth
    accompagnements: pd.DataFrame  # id_jeune, dispositif, date_debut, date_fin
    jalons: pd.DataFrame  # id_jeune, date, type, montant_eur


def structures_of(conn: Connection, perimetre: Perimetre) -> list[str] | None:
    """The structure codes of a scope (None: all); PerimetreInconnu for an unknown one."""
    if perimetre.echelon is Echelon.NATIONAL:
        return None
    if perimetre.echelon is Echelon.STRUCTURE:
        found = conn.execute(select(Structure.code_structure).where(Structure.code_structure == perimetre.code)).first()
        if found is None:
            raise PerimetreInconnu(f"structure inconnue : « {perimetre.code} ».")
        return [perimetre.code]
    deps = departements_of(perimetre)
    return sorted(conn.execute(select(Structure.code_structure).where(Structure.departement.in_(deps))).scalars())


def load(conn: Connection, perimetre: Perimetre) -> Donnees:
    """The rows of the scope, read with three SQLAlchemy Core queries (only the jalon types used)."""
    structures = structures_of(conn, perimetre)
    jq = select(
        Jeune.id_jeune, Jeune.code_structure, Structure.departement, Jeune.annee_naissance, Jeune.sexe,
        Jeune.niveau_formation, Jeune.qpv, Jeune.frr, Jeune.rqth, Jeune.record_key,
    ).join(Structure, Structure.code_structure == Jeune.code_structure)  # fmt: skip
    aq = select(Accompagnement.id_jeune, Accompagnement.dispositif, Accompagnement.date_debut, Accompagnement.date_fin)
    lq = select(Jalon.id_jeune, Jalon.date, Jalon.type, Jalon.montant_eur).where(Jalon.type.in_(jalon_types()))
    if structures is not None:
        jq = jq.where(Jeune.code_structure.in_(structures))
        inside = select(Jeune.id_jeune).where(Jeune.code_structure.in_(structures))
        aq = aq.where(Accompagnement.id_jeune.in_(inside))
        lq = lq.where(Jalon.id_jeune.in_(inside))
    return Donnees(_frame(conn, jq), _frame(conn, aq), _frame(conn, lq))


def _frame(conn: Connection, query) -> pd.DataFrame:
    """A query's rows as columns (building the frame from Row objects is several times slower)."""
    names = [c.name for c in query.selected_columns]
    rows = conn.execute(query).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pd.DataFrame({n: pd.Series(list(v), dtype=object) for n, v in zip(names, columns, strict=True)})


def from_tables(tables: dict[str, pd.DataFrame]) -> Donnees:
    """Frames of the exchange format (the generator's tables) as the estimator reads them."""
    jeunes = tables["jeunes"].merge(tables["structures"][["code_structure", "departement"]], on="code_structure")
    types = set(jalon_types())
    jalons = tables["jalons"]
    return Donnees(
        jeunes[["id_jeune", "code_structure", "departement", "annee_naissance", "sexe", "niveau_formation", "qpv", "frr", "rqth"]],
        tables["accompagnements"][["id_jeune", "dispositif", "date_debut", "date_fin"]],
        jalons.loc[jalons["type"].isin(types), ["id_jeune", "date", "type", "montant_eur"]],
    )


# --- the landmark rows -------------------------------------------------------------------------------------
def _days(values) -> np.ndarray:
    """Dates (date objects, datetime64, NaT/None) as days since 1970; missing is -1."""
    s = pd.to_datetime(pd.Series(values), errors="coerce")
    out = s.values.astype("datetime64[D]").astype(np.int64)
    return np.where(s.isna().to_numpy(), -1, out)


def _month(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start(months: np.ndarray) -> np.ndarray:
    return np.asarray(months).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _keys(j: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.sort(j.astype(np.int64) * _B + day)


def _count(keys: np.ndarray, j: np.ndarray, a, b) -> np.ndarray:
    """Jalons of a group in [a, b) for each row's jeune."""
    base = j.astype(np.int64) * _B
    return np.searchsorted(keys, base + b) - np.searchsorted(keys, base + np.maximum(a, 0))


@dataclass
class _Panel:
    rows: pd.DataFrame  # one row per (jeune, landmark month): j, L, next, prev, covariates
    keys: dict[str, np.ndarray]  # jalon group -> sorted keys
    horizon: int
    record_keys: np.ndarray | None = None  # each jeune's record key (by jeune index), for the cell keys


def _anciennete(months: np.ndarray) -> np.ndarray:
    return np.select(
        [months < 1, months < 2, months < 3, months < 6, months < 12],
        ["0 mois", "1 mois", "2 mois", "3-5 mois", "6-11 mois"],
        "12 mois et plus",
    )


def _suivi(n: np.ndarray) -> np.ndarray:
    return np.select([n == 0, n <= 2], ["aucun", "1-2"], "3 et plus")


def panel(data: Donnees, periode: Periode, as_of: dt.date, filtres: Filtres = Filtres(), horizon: int | None = None) -> _Panel:
    """One row per young person and month start L of the period at which they are in an active accompagnement."""
    horizon = horizon or max(r.horizon_jours for r in RESULTATS)
    jeunes = data.jeunes.reset_index(drop=True)
    code = pd.Index(jeunes["id_jeune"])
    acc = data.accompagnements
    aj = code.get_indexer(acc["id_jeune"])
    start, end = _days(acc["date_debut"]), _days(acc["date_fin"])
    last_day = _day(as_of)
    end = np.where((end < 0) | (end > last_day), last_day, end)
    ok = (aj >= 0) & (start >= 0)
    # the landmark grid: month starts in the period whose horizon has passed by as_of
    m_first = int(_month(np.array([_day(periode.debut) - 1]))[0]) + 1
    m_last = min(int(_month(np.array([_day(periode.fin)]))[0]), int(_month(np.array([last_day - horizon + 1]))[0]))
    if m_last >= 1 and _month_start(np.array([m_last]))[0] + horizon - 1 > last_day:
        m_last -= 1
    lo = np.maximum(_month(start) + 1, m_first)
    hi = np.minimum(_month(end), m_last)
    n = np.where(ok, np.maximum(hi - lo + 1, 0), 0)
    spell = np.repeat(np.arange(len(acc)), n)
    first = np.cumsum(n) - n
    m = lo[spell] + (np.arange(len(spell)) - first[spell])
    first_start = pd.Series(start[ok]).groupby(aj[ok]).min()
    entry = np.full(len(jeunes), -1, dtype=np.int64)
    entry[first_start.index.to_numpy()] = first_start.to_numpy()

    rows = pd.DataFrame({"j": aj[spell], "m": m, "spell_start": start[spell], "dispositif": acc["dispositif"].to_numpy()[spell]})
    rows = rows.drop_duplicates(["j", "m"], keep="last").reset_index(drop=True)
    j = rows["j"].to_numpy()
    L = _month_start(rows["m"].to_numpy())
    rows["L"] = L
    rows["next"] = _month_start(rows["m"].to_numpy() + 1)
    rows["prev"] = _month_start(rows["m"].to_numpy() - 1)
    year = rows["m"].to_numpy() // 12 + 1970
    jv = {c: jeunes[c].to_numpy()[j] for c in jeunes.columns}
    age = year - jv["annee_naissance"].astype(np.int64)
    rows["tranche_age"] = np.select([age <= 17, age <= 21, age <= 25], ["16-17", "18-21", "22-25"], "26+")
    rows["sexe"] = jv["sexe"]
    rows["niveau"] = pd.Series(jv["niveau_formation"]).fillna("non renseigné").to_numpy()
    for c in ("qpv", "frr", "rqth"):
        rows[c] = jv[c].astype(bool)
    rows["structure"] = jv["code_structure"]
    rows["departement"] = jv["departement"]
    rows["annee"] = year.astype(str)
    rows["anciennete"] = _anciennete(rows["m"].to_numpy() - _month(entry[j]) - 1)

    # jalon groups as sorted keys
    jal = data.jalons
    lj = code.get_indexer(jal["id_jeune"])
    ld = _days(jal["date"])
    lt = jal["type"].to_numpy()
    keep = (lj >= 0) & (ld >= 0)
    lj, ld, lt = lj[keep], ld[keep], lt[keep]
    montant = pd.to_numeric(jal["montant_eur"], errors="coerce").fillna(0).to_numpy()[keep]
    groups: dict[str, tuple[tuple[str, ...], bool]] = {}
    for a in ACTIONS:
        if a.types:
            groups["action:" + a.code] = (a.types, a.avec_montant)
    for r in RESULTATS:
        groups["resultat:" + r.code] = (r.types, False)
    for name, types in ANTECEDENTS.items():
        groups[name] = (types, False)
    groups["suivi"] = (SUIVI, False)
    keys = {}
    for name, (types, avec_montant) in groups.items():
        mask = np.isin(lt, types) & ((montant > 0) if avec_montant else True)
        keys[name] = _keys(lj[mask], ld[mask])
    for name in ANTECEDENTS:
        rows[name] = _count(keys[name], j, 0, L) > 0
    rows["suivi_3_mois"] = _suivi(_count(keys["suivi"], j, L - 91, L))
    rows = _filtered(rows, filtres).reset_index(drop=True)
    known = "record_key" in jeunes.columns and jeunes["record_key"].notna().all()
    return _Panel(rows, keys, horizon, jeunes["record_key"].to_numpy(dtype=np.int64) if known else None)


def _filtered(rows: pd.DataFrame, f: Filtres) -> pd.DataFrame:
    mask = np.ones(len(rows), dtype=bool)
    for column, value in (("dispositif", f.dispositif), ("sexe", f.sexe), ("tranche_age", f.tranche_age), ("niveau", f.niveau_formation)):
        if value is not None:
            mask &= rows[column].to_numpy() == value
    for column in ("qpv", "frr", "rqth"):
        value = getattr(f, column)
        if value is not None:
            mask &= rows[column].to_numpy() == bool(value)
    return rows[mask]


COVARIABLES = (
    "dispositif", "tranche_age", "sexe", "niveau", "qpv", "frr", "rqth", "anciennete", "annee",
    *ANTECEDENTS, "suivi_3_mois",
)  # fmt: skip
LIBELLES_COVARIABLES = {
    "territoire": "Structure ou département",
    "dispositif": "Dispositif",
    "tranche_age": "Tranche d'âge",
    "sexe": "Sexe",
    "niveau": "Niveau de formation",
    "qpv": "QPV",
    "frr": "FRR",
    "rqth": "RQTH",
    "anciennete": "Ancienneté dans l'accompagnement",
    "annee": "Année",
    "emploi_avant": "Emploi avant le mois",
    "formation_avant": "Formation avant le mois",
    "rupture_avant": "Rupture ou décrochage avant le mois",
    "risque_avant": "Risque de rupture repéré avant le mois",
    "rsa_avant": "RSA avant le mois",
    "suivi_3_mois": "Entretiens et contacts des 3 mois précédents",
}


# --- one action ---------------------------------------------------------------------------------------------
def _eligible_and_treated(p: _Panel, action: Action) -> tuple[np.ndarray, np.ndarray]:
    r = p.rows
    j, L = r["j"].to_numpy(), r["L"].to_numpy()
    if action.dispositif is not None:
        eligible = (r["spell_start"].to_numpy() >= r["prev"].to_numpy()) & (r["spell_start"].to_numpy() < L)
        return eligible, r["dispositif"].to_numpy() == action.dispositif
    keys = p.keys["action:" + action.code]
    before = _count(keys, j, r["prev"].to_numpy(), L) if action.repetee else _count(keys, j, 0, L)
    return before == 0, _count(keys, j, L, r["next"].to_numpy()) > 0


def _patterns(rows: pd.DataFrame, codes: dict[str, np.ndarray]) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's covariate pattern (an index) and one row per pattern: the propensity model is fitted
    on patterns with their counts, which gives the same estimates as on rows, much faster."""
    if not codes:
        return np.zeros(len(rows), dtype=np.int64), rows.iloc[:1][[]]
    _, first, pid = np.unique(np.column_stack(list(codes.values())), axis=0, return_index=True, return_inverse=True)
    return pid.ravel(), rows.iloc[first][list(codes)].reset_index(drop=True)


def _design(patterns: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """One-hot design of the patterns (first level dropped), intercept first."""
    if patterns.shape[1] == 0:
        return np.ones((max(len(patterns), 1), 1)), []
    dummies = pd.get_dummies(patterns.astype(str), drop_first=True, dtype=float, prefix_sep="=")
    x = np.column_stack([np.ones(len(patterns)), dummies.to_numpy()])
    # columns that repeat earlier ones (the RSA dispositif and an RSA opening before, say) are dropped
    r = np.abs(np.diag(np.linalg.qr(x, mode="r")))
    independent = r > 1e-8 * max(r.max(), 1.0)
    independent[0] = True
    return x[:, independent], [n for n, keep in zip(dummies.columns, independent[1:], strict=True) if keep]


def _common_levels(codes: dict[str, np.ndarray], a: np.ndarray) -> np.ndarray:
    """Rows whose every covariate level holds both treated and comparison rows (others have no
    comparable group: their propensity would be 0 or 1). `codes`: each covariate's level codes."""
    keep = np.ones(len(a), dtype=bool)
    for _ in range(3):
        before = int(keep.sum())
        for k in codes.values():
            n = np.bincount(k, weights=keep)
            t = np.bincount(k, weights=a * keep)
            bad = (n > 0) & ((t == 0) | (t == n))
            keep &= ~bad[k]
        if int(keep.sum()) == before:
            break
    return keep


def _smd(x: np.ndarray, t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Standardised mean differences of 0/1 columns from per-pattern treated (t) and comparison (c) weights."""
    m1 = t @ x / t.sum()
    m0 = c @ x / c.sum()
    sd = np.sqrt((m1 * (1 - m1) + m0 * (1 - m0)) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, (m1 - m0) / sd, 0.0)


def e_value(rr: float | None) -> float | None:
    """VanderWeele & Ding (2017): the E-value of a risk ratio (its inverse when below 1)."""
    if rr is None or not math.isfinite(rr) or rr <= 0:
        return None
    rr = 1 / rr if rr < 1 else rr
    return rr + math.sqrt(rr * (rr - 1))


def _e_values(p1: float, effet: float, bas: float, haut: float) -> tuple[float | None, float | None]:
    """E-values of the estimate and of the interval bound closest to no effect (1 when it crosses 0)."""
    p0 = p1 - effet
    if p0 <= 0 or p1 <= 0:
        return None, None
    point = e_value(p1 / p0)
    if bas <= 0 <= haut:
        return point, 1.0
    nearest = bas if effet > 0 else haut
    return point, e_value(p1 / (p1 - nearest)) if p1 - nearest > 0 else None


def _action(p: _Panel, action: Action, territoire: str) -> tuple[list[Effet], Equilibre | None, str | None]:
    eligible, treated = _eligible_and_treated(p, action)
    rows = p.rows[eligible]
    a = treated[eligible].astype(float)
    if a.sum() < MIN_LIGNES or (1 - a).sum() < MIN_LIGNES:
        return [], None, "trop peu de jeunes ayant reçu l'action (ou n'en ayant pas reçu) pour comparer"
    covariables = [territoire, *(c for c in COVARIABLES if not (action.dispositif and c == "dispositif"))]
    codes = {c: pd.factorize(rows[c])[0] for c in covariables}
    codes = {c: k for c, k in codes.items() if k.max(initial=0) > 0}
    levels = _common_levels(codes, a)
    pid, patterns = _patterns(rows[levels], {c: k[levels] for c, k in codes.items()})
    x, names = _design(patterns)
    n_pat = np.bincount(pid, minlength=len(x)).astype(float)
    t_pat = np.bincount(pid, weights=a[levels], minlength=len(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = GLM(np.column_stack([t_pat, n_pat - t_pat]), x, family=families.Binomial()).fit()
    if not fit.converged:
        return [], None, "le modèle de propension ne converge pas"
    e_pat = np.clip(fit.predict(x), 1e-9, 1 - 1e-9)
    e = np.zeros(len(a))
    e[levels] = e_pat[pid]
    lowest_treated = e[(a == 1) & levels].min()
    support = levels & (e <= PROPENSITE_MAX) & ((a == 1) | (e >= lowest_treated))
    if a[support].sum() < MIN_LIGNES or (1 - a[support]).sum() < MIN_LIGNES:
        return [], None, "pas de groupe de comparaison : les propensions ne se recouvrent pas"
    w_all = np.where(a == 1, 1.0, e / (1 - e))
    # balance, per pattern: before (rows with comparable levels, unweighted) and after (support, weighted)
    in_support = support[levels]
    smd_before = _smd(x[:, 1:], t_pat, n_pat - t_pat)
    sw = np.where(in_support, 1.0, 0.0)
    t_after = np.bincount(pid, weights=a[levels] * sw, minlength=len(x))
    c_after = np.bincount(pid, weights=(1 - a[levels]) * w_all[levels] * sw, minlength=len(x))
    smd_after = _smd(x[:, 1:], t_after, c_after)
    a_s, w = a[support], w_all[support]
    jall, Lall = rows["j"].to_numpy(), rows["L"].to_numpy()
    j = jall[support]
    treated_j, control_j = np.unique(j[a_s == 1]), np.unique(j[a_s == 0])
    n_t, n_c = int(treated_j.size), int(control_j.size)
    keys = p.record_keys
    cle_t = None if keys is None else int(keys[treated_j].sum() % 256)
    cle_c = None if keys is None else int(keys[control_j].sum() % 256)
    design = np.column_stack([np.ones(len(a_s)), a_s])
    effets = []
    for r in RESULTATS:
        keys = p.keys["resultat:" + r.code]
        y_all = (_count(keys, jall, Lall, Lall + r.horizon_jours) > 0).astype(float)
        y = y_all[support]
        if y.min() == y.max():  # nobody (or everybody) had the outcome: nothing to compare
            continue
        brute = y_all[a == 1].mean() - y_all[a == 0].mean()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a negative variance estimate: left out below
            res = WLS(y, design, weights=w).fit(cov_type="cluster", cov_kwds={"groups": j})
        effet = float(res.params[1])
        bas, haut = (float(v) for v in res.conf_int(alpha=0.05)[1])
        if not (math.isfinite(bas) and math.isfinite(haut) and haut > bas):  # too few events for a variance
            continue
        p1 = float(y[a_s == 1].mean())
        ev, ev_ic = _e_values(p1, effet, bas, haut)
        sommes = (float(a.sum()), float(y_all[a == 1].sum()), float((1 - a).sum()), float(y_all[a == 0].sum()))
        effets.append(
            Effet(
                action.code, r.code, r.horizon_jours,
                round(100 * effet, 1), round(100 * bas, 1), round(100 * haut, 1), round(100 * brute, 1),
                n_t, n_c,
                None if ev is None else round(ev, 2), None if ev_ic is None else round(ev_ic, 2),
                "exact", round(100 * p1, 1), round(100 * (p1 - effet), 1),
                (effet, float(res.bse[1]), *sommes), cle_t, cle_c,
            )
        )  # fmt: skip
    smd = pd.DataFrame({"variable": names, "smd_avant": smd_before, "smd_apres": smd_after})
    eq = Equilibre(
        action.code, len(a), int(a.sum()), int((~support).sum()),
        float(np.abs(smd_before).max(initial=0)), float(np.abs(smd_after).max(initial=0)), smd,
    )  # fmt: skip
    return effets, eq, None


def estimate(
    data: Donnees,
    periode: Periode,
    as_of: dt.date,
    filtres: Filtres = Filtres(),
    actions: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> Resultats:
    """Every (action, outcome) of the registry (or of `actions`) for the landmarks of the period."""
    with one_blas_thread():
        return _estimate(data, periode, as_of, filtres, actions, progress)


def _estimate(data: Donnees, periode: Periode, as_of: dt.date, filtres: Filtres, actions, progress) -> Resultats:
    wanted = [a for a in ACTIONS if actions is None or a.code in set(actions)]
    if progress:
        progress(0.0, "Préparation des mois de comparaison…")
    p = panel(data, periode, as_of, filtres)
    territoire = "structure" if p.rows["structure"].nunique() <= MAX_STRUCTURES else "departement"
    p.rows["territoire"] = p.rows[territoire]
    effets, equilibres, exclues = [], [], []
    for i, action in enumerate(wanted):
        if progress:
            progress((i + 0.5) / (len(wanted) + 0.5), f"Comparaison : {action.libelle.lower()}…")
        if p.rows.empty:
            exclues.append((action.code, "aucun mois de la période n'a un recul suffisant"))
            continue
        rows, eq, motif = _action(p, action, "territoire")
        effets += rows
        if eq is not None:
            equilibres.append(eq)
        if motif:
            exclues.append((action.code, motif))
    if progress:
        progress(1.0, "Terminé.")
    return Resultats(tuple(effets), tuple(equilibres), tuple(exclues), periode, as_of, int(p.rows["m"].nunique()), territoire)


# --- from the store, for an account --------------------------------------------------------------------
def compute(
    bind: Engine | Connection,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Resultats:
    """The estimates for a scope, unmasked (callers that show them go through `for_account`)."""
    from indicators.engine import resolve_as_of

    as_of = resolve_as_of(bind, as_of)
    if as_of is None:
        return Resultats((), (), (), periode, None, 0, "structure")
    with connected(bind) as conn:
        deps = departements_in(conn, perimetre)
    if len(deps) > 1:
        return _by_departement(bind, deps, periode, filtres, as_of, progress)
    with connected(bind) as conn:
        data = load(conn, perimetre)
    return estimate(data, periode, as_of, filtres, progress=progress)


def departements_in(conn: Connection, perimetre: Perimetre) -> list[str]:
    """The départements that hold structures of the scope."""
    if perimetre.echelon is Echelon.STRUCTURE:
        return [perimetre.code]  # one structure: one département (its code is not needed)
    query = select(Structure.departement).distinct()
    if perimetre.echelon is not Echelon.NATIONAL:
        query = query.where(Structure.departement.in_(departements_of(perimetre)))
    return sorted(conn.execute(query).scalars())


def _by_departement(bind, deps: list[str], periode, filtres, as_of, progress) -> Resultats:
    """A région or the country: each département is estimated on its own (comparisons within the
    département, memory bounded by one département), then each (action, outcome) is combined by
    inverse-variance weighting (fixed-effect meta-analysis): effect = Σ wᵢ θᵢ / Σ wᵢ with wᵢ = 1/seᵢ²,
    standard error 1/√Σ wᵢ. Sizes add up (a young person belongs to one département); the raw
    difference is that of all eligible rows together."""
    parts: list[Resultats] = []
    for i, dep in enumerate(deps):
        def step(fraction: float, text: str, i=i, dep=dep) -> None:
            if progress:
                progress((i + fraction) / len(deps), f"Département {dep} ({i + 1}/{len(deps)}) : {text}")

        with connected(bind) as conn:
            data = load(conn, Perimetre(Echelon.DEPARTEMENT, dep))
        parts.append(estimate(data, periode, as_of, filtres, progress=step))
    return combine(parts, periode, as_of)


def _sum_keys(keys) -> int | None:
    """The cell key of disjoint groups: their keys summed mod 256 (None when one is unknown)."""
    keys = list(keys)
    return None if any(k is None for k in keys) else sum(keys) % 256


def combine(parts: list[Resultats], periode: Periode, as_of: dt.date) -> Resultats:
    """Inverse-variance combination of estimates made on disjoint sets of young people (see `_by_departement`)."""
    effets = []
    for action in ACTIONS:
        for r in RESULTATS:
            rows = [e for p in parts for e in p.effets if e.action == action.code and e.resultat == r.code and e.interne]
            usable = [e for e in rows if e.interne[1] > 0]
            if not usable:
                continue
            w = np.array([1 / e.interne[1] ** 2 for e in usable])
            theta = np.array([e.interne[0] for e in usable])
            effet = float((w * theta).sum() / w.sum())
            se = float(1 / math.sqrt(w.sum()))
            bas, haut = effet - Z95 * se, effet + Z95 * se
            nt, yt, nc, yc = (sum(e.interne[k] for e in rows) for k in (2, 3, 4, 5))
            p1 = yt / nt
            ev, ev_ic = _e_values(p1, effet, bas, haut)
            effets.append(
                Effet(
                    action.code, r.code, r.horizon_jours,
                    round(100 * effet, 1), round(100 * bas, 1), round(100 * haut, 1), round(100 * (p1 - yc / nc), 1),
                    sum(e.n_traites for e in rows), sum(e.n_temoins for e in rows),
                    None if ev is None else round(ev, 2), None if ev_ic is None else round(ev_ic, 2),
                    "exact", round(100 * p1, 1), round(100 * (p1 - effet), 1), (effet, se, nt, yt, nc, yc),
                    _sum_keys(e.cle_traites for e in rows), _sum_keys(e.cle_temoins for e in rows),
                )
            )  # fmt: skip
    equilibres = []
    for action in ACTIONS:
        eqs = [eq for p in parts for eq in p.equilibres if eq.action == action.code]
        if eqs:
            def largest(v: pd.Series) -> float:  # the largest in absolute value, with its sign
                values = v.to_numpy(dtype=float)
                return float(values[np.argmax(np.abs(values))])

            smd = pd.concat([eq.smd for eq in eqs], ignore_index=True).groupby("variable", as_index=False, sort=False).agg(
                smd_avant=("smd_avant", largest), smd_apres=("smd_apres", largest)
            )
            equilibres.append(Equilibre(
                action.code, sum(eq.n_lignes for eq in eqs), sum(eq.n_lignes_traitees for eq in eqs),
                sum(eq.hors_support for eq in eqs), max(eq.smd_max_avant for eq in eqs),
                max(eq.smd_max_apres for eq in eqs), smd,
            ))  # fmt: skip
    estimated = {e.action for e in effets}
    exclues = tuple((a.code, "aucun département n'a assez de jeunes de chaque côté") for a in ACTIONS if a.code not in estimated)
    mois = max((p.mois for p in parts), default=0)
    return Resultats(tuple(effets), tuple(equilibres), exclues, periode, as_of, mois, "departement")


def mask(resultats: Resultats, k: int, perturb: bool = True) -> Resultats:
    """What someone outside the structure sees (k > 1).

    The numbers of young people on each side go through the cell-key perturbation of the other views
    (`indicators.disclosure.perturbation.protect_count`: the same young people always get the same
    noise); a row whose treated or comparison group is small (1..k−1, true or perturbed) is `masque`
    with every value null; the others are `perturbe` (their counts perturbed, the estimates as they
    are: they are rates, not counts). Without cell keys (frames that carry no record key), or with
    `perturb=False`, the counts stay exact and only the masking applies."""
    from indicators.disclosure.perturbation import protect_count, small

    if k <= 1:
        return resultats
    out = []
    for e in resultats.effets:
        keyed = perturb and e.cle_traites is not None and e.cle_temoins is not None
        if keyed:
            t, c = protect_count(e.n_traites, e.cle_traites, k), protect_count(e.n_temoins, e.cle_temoins, k)
            hidden, shown = t.cache or c.cache, replace(e, n_traites=t.publie, n_temoins=c.publie, traitement="perturbe")
        else:
            hidden, shown = small(e.n_traites, k) or small(e.n_temoins, k), e
        if hidden:
            shown = replace(
                e, effet_points=None, ic_bas=None, ic_haut=None, difference_brute=None, n_traites=None,
                n_temoins=None, e_value=None, e_value_ic=None, taux_traites=None, taux_temoins_ajuste=None,
                traitement="masque",
            )  # fmt: skip
        out.append(replace(shown, interne=None, cle_traites=None, cle_temoins=None))  # keys and row counts stay inside
    return replace(resultats, effets=tuple(out))


def for_account(
    bind: Engine | Connection,
    compte: Compte,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Resultats:
    """The estimates an account may see: its scope is checked, outsiders get the disclosure rule of the
    other views (`indicators.disclosure.rule`: counts perturbed, small groups masked)."""
    rule = checked_rule(bind, compte, perimetre)
    if isinstance(bind, Engine):
        resultats = compute_stored(bind, periode, perimetre, filtres, as_of, progress)
    else:
        resultats = compute(bind, periode, perimetre, filtres, as_of, progress)
    return visible(resultats, rule)


def visible(resultats: Resultats, rule: Rule) -> Resultats:
    """Results computed for a scope, as an account with this disclosure rule may see them."""
    return resultats if rule.exact else mask(resultats, rule.k)


def stored(engine: Engine, periode: Periode, perimetre: Perimetre, filtres: Filtres = Filtres(), as_of: dt.date | None = None) -> Resultats | None:
    """The results kept for this request and the current data version, or None (nothing computed)."""
    from mlimpact import store

    with engine.connect() as conn:
        text = kept.read(conn, _stored_key(store.data_version(conn), periode, perimetre, filtres, as_of))
    try:
        return None if text is None else _from_json(text)
    except (ValueError, KeyError, TypeError):  # written by another version of this module
        return None


# --- results kept in the store, by data version (national scale) -------------------------------------------
STORED_PREFIX = "effets:"
STORED_FORMAT = 3  # bump when Resultats or the method changes: entries of another format are never read


def _stored_key(version: int, periode: Periode, perimetre: Perimetre, filtres: Filtres, as_of: dt.date | None) -> str:
    signature = (STORED_FORMAT, periode, perimetre, filtres, as_of, ACTIONS, RESULTATS, COVARIABLES, PROPENSITE_MAX, MIN_LIGNES)
    return kept.key(STORED_PREFIX, version, signature)


_EQUILIBRE_CHAMPS = ("action", "n_lignes", "n_lignes_traitees", "hors_support", "smd_max_avant", "smd_max_apres")


def _to_json(r: Resultats) -> str:
    import json

    return json.dumps(
        {
            "effets": [e.as_row() for e in r.effets],
            "equilibres": [
                {**{k: getattr(eq, k) for k in _EQUILIBRE_CHAMPS}, "smd": eq.smd.to_dict(orient="list")}
                for eq in r.equilibres
            ],
            "exclues": [list(x) for x in r.exclues],
            "periode": [r.periode.debut.isoformat(), r.periode.fin.isoformat()],
            "as_of": None if r.as_of is None else r.as_of.isoformat(),
            "mois": r.mois,
            "territoire": r.territoire,
        }
    )


def _from_json(text: str) -> Resultats:
    import json

    d = json.loads(text)
    return Resultats(
        tuple(Effet(**{**e, "interne": None if e.get("interne") is None else tuple(e["interne"])}) for e in d["effets"]),
        tuple(Equilibre(**{**eq, "smd": pd.DataFrame(eq["smd"])}) for eq in d["equilibres"]),
        tuple(tuple(x) for x in d["exclues"]),
        Periode(dt.date.fromisoformat(d["periode"][0]), dt.date.fromisoformat(d["periode"][1])),
        None if d["as_of"] is None else dt.date.fromisoformat(d["as_of"]),
        d["mois"],
        d["territoire"],
    )


def compute_stored(
    engine: Engine,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Resultats:
    """`compute`, kept in the store under the data version (`indicators.kept`): any reader (page, report,
    command, other server process) gets it at once until the next write bumps the version. The results kept
    are unmasked aggregates; `for_account` masks them for each account. Entries of older versions are deleted
    when a new one is written. `mlimpact effets` run after an import (a nightly job) precomputes the national
    figures this way, so the page answers without computing."""
    from mlimpact import store

    with engine.connect() as conn:
        version = store.data_version(conn)
        key = _stored_key(version, periode, perimetre, filtres, as_of)
    found = stored(engine, periode, perimetre, filtres, as_of)
    if found is not None:
        return found
    resultats = compute(engine, periode, perimetre, filtres, as_of, progress)
    kept.keep(engine, STORED_PREFIX, version, key, _to_json(resultats))
    return resultats


# --- output rows -----------------------------------------------------------------------------------------------
CLES = (
    "action", "resultat", "horizon_jours", "effet_points", "ic_bas", "ic_haut", "difference_brute",
    "n_traites", "n_temoins", "e_value", "e_value_ic", "traitement",
)  # fmt: skip


def rows(resultats: Resultats) -> list[dict]:
    """The rows of the CLI's contract, one per (action, outcome)."""
    return [{c: getattr(e, c) for c in CLES} for e in resultats.effets]


def action_of(code: str) -> Action:
    return next(a for a in ACTIONS if a.code == code)


def resultat_of(code: str) -> Resultat:
    return next(r for r in RESULTATS if r.code == code)


__all__ = [
    "CLES", "Donnees", "Effet", "Equilibre", "Resultats", "compute", "e_value", "estimate", "for_account",
    "from_tables", "load", "mask", "panel", "rows",
]  # fmt: skip
