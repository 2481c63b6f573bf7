"""The RSA cohort curve: the share of young people still on the RSA t months after their spell began.

`ancrage_rsa` says how many are anchored at one date; the curve says how fast
young people leave, and it must not count a spell still open at as_of as a
failure to leave: those spells are censored, and the Kaplan–Meier estimator
uses them for as long as they were observed.

Spells follow docs/arithmetic.md (`ancrage_rsa`): each `rsa_ouverture` opens a
spell, ended by the earliest `rsa_sortie` of the same jeune dated after it;
without one (or with one after as_of) the spell is censored at as_of.

The estimator is written here (a few lines of numpy) rather than imported:
statsmodels is a test-only dependency, used to check it.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, case, func, literal, select

from indicators.dialecte import days_between
from mlimpact import vocab
from mlimpact.models import Jalon, Jeune, Structure

MOIS_JOURS = 30.4375  # 1 month in days (spec)
Z_95 = 1.959963984540054  # the 97.5 % quantile of the normal law

COLONNES_KM = ("jours", "t", "survie", "erreur_type", "ic_bas", "ic_haut", "a_risque", "evenements")
PAR: dict[str | None, str] = {
    None: "ensemble",
    "cohorte": "année d'entrée au RSA",
    "sexe": "sexe",
    "tranche_age": "tranche d'âge à l'entrée au RSA",
    "structure": "Mission Locale",
}


# --- the estimator ----------------------------------------------------------------------------------------
def kaplan_meier(durations_days, observed, mois: int | None = None) -> pd.DataFrame:
    """Kaplan–Meier survival with Greenwood's variance and a 95 % log-log confidence interval.

    One row at t = 0, then one per distinct event time (`mois` None), or one per
    whole month 0..`mois` (the curve read at 30.4375 × m days). Columns: jours,
    t (months), survie, erreur_type (Greenwood), ic_bas, ic_haut, a_risque (still
    followed at that time), evenements (exits at that time, or during the month
    ending then). The log-log interval, exp(−exp(log(−log S) ± z·σ)), stays
    within [0, 1], unlike the plain one; it is [1, 1] before any exit and
    [0, 0] once S reaches 0 (where the standard error is undefined: NaN).
    """
    d = np.asarray(durations_days, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if d.shape != e.shape:
        raise ValueError("Durées et indicateurs de sortie doivent avoir la même longueur.")
    ordered = np.sort(d)
    times, events = np.unique(d[e], return_counts=True)
    at_risk = len(d) - np.searchsorted(ordered, times, side="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        survie = np.cumprod(1.0 - events / at_risk)
        greenwood = np.cumsum(np.where(at_risk > events, events / (at_risk * (at_risk - events)), np.inf))
    table = pd.DataFrame(
        {"jours": times, "survie": survie, "greenwood": greenwood, "a_risque": at_risk, "evenements": events}
    )
    if not len(times) or times[0] > 0:
        first = pd.DataFrame(
            {"jours": [0.0], "survie": [1.0], "greenwood": [0.0], "a_risque": [int((d >= 0).sum())], "evenements": [0]}
        )
        table = pd.concat([first, table], ignore_index=True) if len(times) else first
    if mois is not None:
        table = _au_mois(table, d, e, mois)
    return _finish(table)


def _au_mois(table: pd.DataFrame, d: np.ndarray, e: np.ndarray, mois: int) -> pd.DataFrame:
    """The step curve read at whole months, with the spells at risk then and the exits during each month."""
    grid = np.arange(mois + 1) * MOIS_JOURS
    idx = np.searchsorted(table["jours"].to_numpy(), grid, side="right") - 1
    exits = np.sort(d[e])
    cum = np.searchsorted(exits, grid, side="right")
    return pd.DataFrame(
        {
            "jours": grid,
            "survie": table["survie"].to_numpy()[idx],
            "greenwood": table["greenwood"].to_numpy()[idx],
            "a_risque": len(d) - np.searchsorted(np.sort(d), grid, side="left"),
            "evenements": np.diff(cum, prepend=0),
        }
    )


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    s = table["survie"].to_numpy(dtype=float)
    gw = table["greenwood"].to_numpy(dtype=float)
    lo, hi, se = np.ones_like(s), np.ones_like(s), np.zeros_like(s)
    for i, (si, gi) in enumerate(zip(s, gw)):
        if si <= 0 or not math.isfinite(gi):  # everyone left: S = 0, its variance undefined
            lo[i], hi[i], se[i] = 0.0, 0.0, math.nan
        elif si < 1:
            se[i] = si * math.sqrt(gi)
            sigma = math.sqrt(gi) / abs(math.log(si))
            lo[i], hi[i] = si ** math.exp(Z_95 * sigma), si ** math.exp(-Z_95 * sigma)
    return pd.DataFrame(
        {
            "jours": table["jours"].to_numpy(dtype=float),
            "t": table["jours"].to_numpy(dtype=float) / MOIS_JOURS,
            "survie": s,
            "erreur_type": se,
            "ic_bas": lo,
            "ic_haut": hi,
            "a_risque": table["a_risque"].to_numpy(dtype=int),
            "evenements": table["evenements"].to_numpy(dtype=int),
        }
    )


# --- the spells, from the store ------------------------------------------------------------------------------
def rsa_spells(
    conn: Connection, structures: list[str] | None, debut: dt.date, fin: dt.date, as_of: dt.date
) -> pd.DataFrame:
    """One row per RSA spell that started in [debut, fin] (and by as_of), computed in SQL.

    Columns: id_jalon (the opening), id_jeune, code_structure, sexe, debut,
    fin (the exit, None when still open at as_of), duree_jours (to the exit, or
    to as_of when censored), sortie (True when the exit is observed), cohorte
    (year of the start), tranche_age (age in the year of the start). Every
    jeune of the structures counts, not only those followed in a period: a
    cohort is defined by its start on the RSA.
    """
    o = Jalon.__table__.alias("o")
    s = Jalon.__table__.alias("s")
    y = Jeune.__table__
    as_of_sql = literal(as_of, Date)
    sortie = (
        select(func.min(s.c.date))
        .where(s.c.id_jeune == o.c.id_jeune, s.c.type == "rsa_sortie", s.c.date > o.c.date, s.c.date <= as_of_sql)
        .scalar_subquery()
    )
    spells = (
        select(
            o.c.id_jalon,
            o.c.id_jeune,
            y.c.code_structure,
            y.c.sexe,
            y.c.annee_naissance,
            o.c.date.label("debut"),
            sortie.label("fin"),
        )
        .join(y, y.c.id_jeune == o.c.id_jeune)
        .where(o.c.type == "rsa_ouverture", o.c.date >= debut, o.c.date <= fin, o.c.date <= as_of_sql)
    )
    if structures is not None:
        spells = spells.where(y.c.code_structure.in_(structures))
    sp = spells.subquery("spells")
    dialect = conn.dialect.name
    query = select(
        *sp.c,
        days_between(dialect, sp.c.debut, func.coalesce(sp.c.fin, as_of_sql)).label("duree_jours"),
        case((sp.c.fin.is_(None), False), else_=True).label("sortie"),
    ).order_by(sp.c.debut, sp.c.id_jalon)
    result = conn.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    frame["debut"] = [_as_date(v) for v in frame["debut"]]
    frame["fin"] = pd.Series([_as_date(v) for v in frame["fin"]], dtype="object")
    frame["duree_jours"] = frame["duree_jours"].astype(int)
    frame["sortie"] = frame["sortie"].astype(bool)
    frame["cohorte"] = [d.year for d in frame["debut"]]
    frame["tranche_age"] = [vocab.tranche_age(d.year - n) for d, n in zip(frame["debut"], frame["annee_naissance"])]
    return frame.drop(columns="annee_naissance")


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# --- the curves ---------------------------------------------------------------------------------------------
def courbe_rsa(
    conn: Connection,
    structures: list[str] | None,
    debut: dt.date,
    fin: dt.date,
    as_of: dt.date,
    par: str | None = None,
    *,
    mois: int | None = None,
    k: int | None = None,
) -> pd.DataFrame:
    """The share still on the RSA month by month, one curve per group of `par`.

    `par`: None (one curve), "cohorte" (year of start), "sexe", "tranche_age" or
    "structure". `mois`: the horizon in months (default: the longest follow-up
    of the group). Columns: groupe, libelle, episodes, then those of
    `kaplan_meier`. With `k` (views outside the structure), a month with
    fewer than k spells at risk has no value (`masque` True), and counts of
    exits between 1 and k − 1 are left empty.
    """
    if par not in PAR:
        raise ValueError(f"Découpage inconnu : « {par} » (attendus : cohorte, sexe, tranche_age, structure).")
    spells = rsa_spells(conn, structures, debut, fin, as_of)
    column = "code_structure" if par == "structure" else par
    labels = _libelles(conn, par, spells)
    curves = []
    keys = ["ensemble"] if column is None else sorted(spells[column].unique().tolist())
    for key in keys:
        group = spells if column is None else spells[spells[column] == key]
        horizon = mois
        if horizon is None:
            horizon = int(group["duree_jours"].max() // MOIS_JOURS) if len(group) else 0
        km = kaplan_meier(group["duree_jours"], group["sortie"], mois=horizon)
        km.insert(0, "episodes", len(group))
        km.insert(0, "libelle", labels.get(key, str(key)))
        km.insert(0, "groupe", str(key))
        curves.append(km)
    if not curves:  # a breakdown of no spell at all
        return pd.DataFrame(columns=["groupe", "libelle", "episodes", *COLONNES_KM, "masque"])
    out = pd.concat(curves, ignore_index=True)
    out["masque"] = False
    if k is not None and k > 1:
        out = _mask(out, k)
    return out


def _mask(out: pd.DataFrame, k: int) -> pd.DataFrame:
    small = out["a_risque"] < k
    for col in ("survie", "erreur_type", "ic_bas", "ic_haut"):
        out[col] = out[col].astype("Float64").mask(small)
    for col in ("a_risque", "evenements"):
        out[col] = out[col].astype("Int64").mask(out[col].between(1, k - 1))
    out["masque"] = small.to_numpy()
    return out


def _libelles(conn: Connection, par: str | None, spells: pd.DataFrame) -> dict:
    if par is None:
        return {"ensemble": "Ensemble"}
    if par == "cohorte":
        return {y: f"Entrés au RSA en {y}" for y in spells["cohorte"].unique()}
    if par == "sexe":
        return dict(vocab.SEXES)
    if par == "tranche_age":
        return dict(vocab.TRANCHES_AGE)
    codes = spells["code_structure"].unique().tolist()
    rows = conn.execute(
        select(Structure.code_structure, Structure.nom).where(Structure.code_structure.in_(codes))
    ).all()
    return {code: nom for code, nom in rows}
