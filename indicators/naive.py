"""The naive way: load the tables into pandas and compute the indicators there.

Never used by the application (it reads whole tables, which the engine must
never do). It exists for two jobs: the baseline the benchmark measures the
engine against (`bench/indicateurs.py`), and a second, independent reading of
docs/arithmetic.md that the property tests compare the SQL with, on random
data sets. It is written for clarity, directly from the spec's sentences,
sharing nothing with `indicators.sql` but the final arithmetic (`formules`):
it fills every measure (`indicators.measures`; every jalon type is counted), so
an indicator built on existing measures needs no edit here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from indicators.formules import Agregats, prorata, valeurs
from indicators.impact_chain import load_parameters
from indicators.registry import CODES
from indicators.types import Echelon, Filtres, Perimetre, Periode, Valeur
from mlimpact import territoires, vocab

# The columns the indicators read, table by table (a fair baseline loads no more than it needs).
COLUMNS = {
    "structures": ("code_structure", "departement"),
    "jeunes": ("id_jeune", "code_structure", "annee_naissance", "sexe", "niveau_formation", "qpv", "frr", "rqth"),
    "accompagnements": ("id_jeune", "dispositif", "date_debut", "date_fin", "motif_fin"),
    "jalons": ("id_jeune", "date", "type", "domaine"),
    "financements": ("code_structure", "annee", "financeur", "dispositif", "montant_eur"),
}


def load_tables(engine: Engine) -> dict[str, pd.DataFrame]:
    """Every row of the five tables the indicators read, dates as datetime64."""
    frames = {}
    with engine.connect() as conn:
        for name, columns in COLUMNS.items():
            frame = pd.read_sql_table(name, conn, columns=list(columns))
            for column in ("date", "date_debut", "date_fin"):
                if column in frame:
                    frame[column] = pd.to_datetime(frame[column])
            frames[name] = frame
    return frames


def compute_naive(
    tables: dict[str, pd.DataFrame],
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    params=None,
) -> dict[str, Valeur]:
    """Every indicator of the registry from whole tables in memory (`formules.valeurs` reads their definitions)."""
    if params is None:
        params = load_parameters()
    jalons = tables["jalons"]
    if as_of is None:
        as_of = jalons["date"].max().date() if len(jalons) else periode.fin
    a = aggregates(tables, periode, perimetre, filtres, as_of, [day for day, _ in params.montants_rsa])
    return valeurs(a, list(CODES), ([amount for _, amount in params.montants_rsa], params))


def _ts(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


def aggregates(tables, periode: Periode, perimetre: Perimetre, filtres: Filtres, as_of: dt.date, bareme) -> Agregats:
    d1, d2 = _ts(periode.debut), _ts(periode.fin)
    structures, jeunes, accs, jalons = (tables[t] for t in ("structures", "jeunes", "accompagnements", "jalons"))

    # --- scope: structures, then the young person's filters, then the dispositif
    if perimetre.echelon is Echelon.STRUCTURE:
        structures = structures[structures.code_structure == perimetre.code]
    elif perimetre.echelon is Echelon.DEPARTEMENT:
        structures = structures[structures.departement == perimetre.code]
    elif perimetre.echelon is Echelon.REGION:
        deps = [d.code for d in territoires.departements_de_region(perimetre.code)]
        structures = structures[structures.departement.isin(deps)]
    y = jeunes[jeunes.code_structure.isin(structures.code_structure)]
    if filtres.sexe:
        y = y[y.sexe == filtres.sexe]
    if filtres.niveau_formation:
        y = y[y.niveau_formation == filtres.niveau_formation]
    if filtres.tranche_age:
        ages = periode.debut.year - y.annee_naissance
        bands = np.select([ages <= 17, ages <= 21, ages <= 25], ["16-17", "18-21", "22-25"], "26+")
        y = y[bands == filtres.tranche_age]
    for flag in ("qpv", "frr", "rqth"):
        wanted = getattr(filtres, flag)
        if wanted is not None:
            y = y[y[flag].astype(bool) == wanted]
    acc = accs[accs.id_jeune.isin(y.id_jeune)]
    if filtres.dispositif:
        acc = acc[acc.dispositif == filtres.dispositif]
        y = y[y.id_jeune.isin(acc.id_jeune)]
    in_scope = set(y.id_jeune)

    # --- S(P)
    active = acc[(acc.date_debut <= d2) & (acc.date_fin.isna() | (acc.date_fin >= d1))]
    suivis = set(active.id_jeune)
    out = Agregats(jeunes=len(suivis))
    first_start = acc[acc.id_jeune.isin(suivis)].groupby("id_jeune").date_debut.min()
    out.nouveaux = int(((first_start >= d1) & (first_start <= d2)).sum())
    out.rsa = active[active.dispositif == "RSA"].id_jeune.nunique()
    ended = acc[(acc.date_fin >= d1) & (acc.date_fin <= d2)]
    out.sorties = len(ended)
    out.sorties_positives = int(ended.motif_fin.isin(vocab.POSITIF).sum())

    mine = jalons[jalons.id_jeune.isin(suivis)]
    in_p = mine[(mine.date >= d1) & (mine.date <= d2)]
    out.jalons = Counter(in_p.type.value_counts().to_dict())
    out.emploi = in_p[in_p.type.isin(vocab.EMPLOI)].id_jeune.nunique()
    out.durable = in_p[in_p.type.isin(vocab.DURABLE)].id_jeune.nunique()
    out.formation = in_p[in_p.type.isin(vocab.FORMATION)].id_jeune.nunique()

    # --- parcours sécurisés
    act = active.copy()
    act["fin_p"] = act.date_fin.fillna(d2).clip(upper=d2)
    act["debut_p"] = act.date_debut.clip(lower=d1)
    act["overlap"] = (act.fin_p - act.debut_p).dt.days + 1
    longs = set(act[act.overlap >= 90].id_jeune)
    out.longs = len(longs)
    window = act[act.id_jeune.isin(longs)].groupby("id_jeune").agg(debut=("date_debut", "min"), fin=("fin_p", "max"))
    window["debut"] = window.debut.clip(lower=d1)
    points = pd.concat(
        [
            window.reset_index()[["id_jeune", "debut"]].rename(columns={"debut": "date"}),
            window.reset_index()[["id_jeune", "fin"]].rename(columns={"fin": "date"}),
            mine[mine.id_jeune.isin(longs)]
            .merge(window.reset_index(), on="id_jeune")
            .query("date >= debut and date <= fin")[["id_jeune", "date"]],
        ]
    ).sort_values(["id_jeune", "date"])
    points["ecart"] = points.groupby("id_jeune").date.diff().dt.days
    largest = points.groupby("id_jeune").ecart.max().fillna(0)
    broken = set(in_p[in_p.type == "rupture_survenue"].id_jeune)
    out.securises = sum(1 for who, gap in largest.items() if gap <= 90 and who not in broken)

    # --- retours en dynamique
    upto = mine[mine.date <= d2].copy()
    upto["coupure"] = upto.type.isin(["rsa_sanction", "decrochage"])
    upto["situation"] = upto.type.isin(vocab.SITUATION)
    days = (
        upto.groupby(["id_jeune", "date"]).agg(coupure=("coupure", "any"), situation=("situation", "any")).reset_index()
    )
    days = days.sort_values(["id_jeune", "date"])
    days["veille"] = days.groupby("id_jeune").date.shift()
    days["veille_coupure"] = days.groupby("id_jeune").coupure.shift().astype("boolean").fillna(False)
    back = days[
        days.situation
        & (days.date >= d1)
        & days.veille.notna()
        & (days.veille_coupure.astype(bool) | ((days.date - days.veille).dt.days > 90))
    ]
    out.retours = back.id_jeune.nunique()

    # --- risques ouverts
    risks = mine[(mine.type == "risque_rupture") & (mine.date <= d2)].reset_index(drop=True)
    settles = mine[mine.type.isin(["rupture_evitee", "rupture_survenue"]) & (mine.date <= d2)]
    pairs = risks.reset_index().merge(settles, on=["id_jeune", "domaine"], suffixes=("", "_issue"))
    settled = set(pairs[pairs.date_issue >= pairs.date]["index"])
    out.risques_ouverts = Counter(risks.drop(index=list(settled)).domaine.value_counts().to_dict())

    # --- ancrage au RSA
    sorties_all = jalons[jalons.type == "rsa_sortie"][["id_jeune", "date"]]
    spells = mine[(mine.type == "rsa_ouverture") & (mine.date <= d2)][["id_jeune", "date"]]
    spells = spells.assign(fin=_next(spells, sorties_all, strict=True))
    overlapping = spells[spells.fin.isna() | (spells.fin >= d1)]
    out.au_rsa = overlapping.id_jeune.nunique()
    anchored = spells[(spells.fin.isna() | (spells.fin > d2)) & (spells.date <= d2 - pd.Timedelta(days=365))]
    out.ancres = anchored.id_jeune.nunique()

    # --- orientations (jeunes in scope, not only S(P))
    all_scope = jalons[jalons.id_jeune.isin(in_scope)]
    contacts = jalons[jalons.type.isin(["premier_rdv", "entretien"])][["id_jeune", "date"]]
    orientations = all_scope[(all_scope.type == "orientation_recue") & (all_scope.date >= d1) & (all_scope.date <= d2)]
    delays = (_next(orientations, contacts, strict=False) - orientations.date).dt.days
    out.delais = Counter({None if pd.isna(d) else int(d): n for d, n in delays.value_counts(dropna=False).items()})

    # --- maintien hors RSA (jeunes in scope, not only S(P))
    ouvertures = jalons[jalons.type == "rsa_ouverture"][["id_jeune", "date"]]
    old = all_scope[
        (all_scope.type == "rsa_sortie")
        & (all_scope.date >= d1 - pd.Timedelta(days=183))
        & (all_scope.date <= d2 - pd.Timedelta(days=183))
    ]
    out.sorties_anciennes = len(old)
    reopening = (_next(old, ouvertures, strict=True) - old.date).dt.days
    out.maintenus = int((reopening.isna() | (reopening > 183)).sum())

    # --- months out of the RSA after the sorties of P
    sorties = in_p[in_p.type == "rsa_sortie"]
    to_next = (_next(sorties, ouvertures, strict=True) - sorties.date).dt.days
    to_as_of = (_ts(as_of) - sorties.date).dt.days
    kept = pd.concat([to_next, to_as_of.clip(upper=365)], axis=1).min(axis=1).clip(lower=0)
    steps = sum((sorties.date >= _ts(start)).astype(int) for start in bareme[1:]) if len(bareme) > 1 else 0 * kept
    out.jours_hors_rsa = Counter({int(step): int(n) for step, n in kept.groupby(steps).sum().items()})

    # --- budget
    fin = tables["financements"]
    fin = fin[fin.code_structure.isin(structures.code_structure)]
    if filtres.dispositif:
        fin = fin[fin.dispositif.isin([filtres.dispositif, "TOUS"])]
    out.budget = sum(
        (Fraction(Decimal(repr(float(m)))) * prorata(int(y_), periode) for y_, m in zip(fin.annee, fin.montant_eur)),
        Fraction(0),
    )
    cd = fin[fin.financeur == "CD"]
    out.budget_cd = sum(
        (Fraction(Decimal(repr(float(m)))) * prorata(int(y_), periode) for y_, m in zip(cd.annee, cd.montant_eur)),
        Fraction(0),
    )
    return out


def _next(rows: pd.DataFrame, events: pd.DataFrame, strict: bool) -> pd.Series:
    """For each row, the earliest event date of the same young person after its date
    (strictly, or on or after); NaT if none. Indexed like `rows`."""
    if rows.empty:
        return pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
    left = rows[["id_jeune", "date"]].reset_index().sort_values("date")
    right = events[["id_jeune", "date"]].rename(columns={"date": "suivant"}).sort_values("suivant")
    merged = pd.merge_asof(
        left,
        right,
        left_on="date",
        right_on="suivant",
        by="id_jeune",
        direction="forward",
        allow_exact_matches=not strict,
    )
    return merged.set_index("index").suivant.reindex(rows.index)
