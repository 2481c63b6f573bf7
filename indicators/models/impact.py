"""The impact model: from RSA months avoided to avoided costs, gross then net, as a range.

SROI practice (CONTEXT.md): value = quantity × proxy × (1 − deadweight) ×
(1 − attribution). The proxy (the RSA amount by date), the deadweight
(`effet_aubaine`) and the attribution (`part_autres_acteurs`) live in ONE
versioned file, `parametres_impact.toml`, each with its source, so that a net
figure is never shown without the assumptions that make it. The low, central
and high cases are computed together: a range, never a single number.

The parameters and the net arithmetic belong to the computation layer
(`indicators.impact_chain`, which the engine reads); this module adds what the
pages and the PDF show of them: the waterfall, the cases, the break-even.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pandas as pd
from sqlalchemy import Connection, func, select

from indicators.formules import prorata
from indicators.impact_chain import (  # noqa: F401 (the model's public names, read by the pages and the PDF)
    CAS,
    PARAMETRES_PATH,
    TAUX,
    Parametre,
    ParametresImpact,
    _dec,
    apply_overrides,
    euros_par_euro,
    load_parameters,
    montant_rsa,
    net,
)
from indicators.rounding import arrondi
from indicators.types import Perimetre, Periode
from mlimpact import vocab
from mlimpact.models import Financement


def waterfall(brut: float, params: ParametresImpact, case: str = "central") -> pd.DataFrame:
    """The steps from gross to net, one row each, ready for an Altair waterfall (y=cumul_debut, y2=cumul_fin).

    Each deduction is rounded to the cent and the last one absorbs the
    rounding, so that the steps add up exactly to the net figure `net` gives.
    """
    a = params.effet_aubaine.pour(case)
    b = params.part_autres_acteurs.pour(case)
    brut_d = Decimal(str(arrondi(_dec(brut), 2)))
    aubaine = Decimal(str(arrondi(brut_d * _dec(a), 2)))
    net_d = Decimal(str(net(brut, params, case)))
    apres_aubaine = brut_d - aubaine
    autres = apres_aubaine - net_d
    rows = [
        ("Coûts évités bruts", brut_d, Decimal(0), brut_d, "total", None),
        ("− effet d'aubaine", -aubaine, brut_d, apres_aubaine, "deduction", a),
        ("− part des autres acteurs", -autres, apres_aubaine, net_d, "deduction", b),
        ("Coûts évités nets", net_d, Decimal(0), net_d, "total", None),
    ]
    return pd.DataFrame(
        {
            "ordre": range(1, 5),
            "etape": [r[0] for r in rows],
            "montant": [float(r[1]) for r in rows],
            "cumul_debut": [float(r[2]) for r in rows],
            "cumul_fin": [float(r[3]) for r in rows],
            "type": [r[4] for r in rows],
            "taux": pd.Series([r[5] for r in rows], dtype="Float64"),
        }
    )


def cases(brut: float, budget: float | None, params: ParametresImpact, budget_cd: float | None = None) -> pd.DataFrame:
    """The cautious, central and favourable cases side by side: parameters used, net, euros per euro invested
    (every financeur: `euros_par_euro_investi`; the Département's own money: `euros_par_euro_cd`)."""
    rows = []
    for case, libelle in CAS.items():
        n = net(brut, params, case)
        rows.append(
            {
                "cas": case,
                "libelle": libelle,
                "effet_aubaine": params.effet_aubaine.pour(case),
                "part_autres_acteurs": params.part_autres_acteurs.pour(case),
                "couts_evites_bruts_eur": arrondi(_dec(brut), 2),
                "couts_evites_nets_eur": n,
                "euros_par_euro_investi": euros_par_euro(n, budget),
                "euros_par_euro_cd": euros_par_euro(n, budget_cd),
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("euros_par_euro_investi", "euros_par_euro_cd"):
        frame[column] = frame[column].astype("object")
        frame.loc[frame[column].isna(), column] = None
    return frame


def break_even_deadweight(
    brut: float, budget: float, params: ParametresImpact, case: str = "central"
) -> float | None:
    """The deadweight a* at which net avoided costs equal the budget.

    It solves brut × (1 − a*) × (1 − attribution) = budget.

    None when brut or the attribution factor (1 − attribution) is 0. a* may be
    negative: even with no deadweight at all, the avoided costs do not cover
    the budget. See `phrase_point_mort` for the wording the pages use.
    """
    facteur = 1 - _dec(params.part_autres_acteurs.pour(case))
    if brut is None or budget is None or not brut or not facteur:
        return None
    return float(1 - _dec(budget) / (_dec(brut) * facteur))


BUDGET_TOUS = "le budget de la période (tous financeurs)"
BUDGET_CD = "le financement du Département sur la période"


def phrase_point_mort(brut: float, budget: float, params: ParametresImpact, objet: str = BUDGET_TOUS) -> str:
    """The break-even deadweight in one French sentence, honest about the negative case.

    `objet` names the money compared: every financeur's budget (`BUDGET_TOUS`) or the Département's (`BUDGET_CD`).
    """
    a = break_even_deadweight(brut, budget, params)
    if a is None:
        return "Pas de point mort calculable : aucun coût évité brut sur la période."
    if a < 0:
        return f"Même sans aucun effet d'aubaine, les allocations évitées ne couvriraient pas {objet}."
    seuil = _pourcent(a)
    centrale = _pourcent(params.effet_aubaine.valeur)
    if a >= params.effet_aubaine.valeur:
        return (
            f"Les allocations évitées couvrent {objet} tant que l'effet d'aubaine reste inférieur à {seuil} "
            f"(hypothèse centrale : {centrale})."
        )
    return (
        f"Les allocations évitées ne couvriraient {objet} que si l'effet d'aubaine était inférieur à {seuil} "
        f"(hypothèse centrale : {centrale})."
    )


def financements_par_financeur(
    conn: Connection, perimetre: Perimetre, periode: Periode, dispositif: str | None = None
) -> dict[str, float]:
    """Each financeur's money for the scope's structures over the period, prorated as `budget_eur` (to the cent).

    With a dispositif: that dispositif or TOUS, as the budget. Every financeur of
    the vocabulary is a key (0 when it gave nothing), in the vocabulary's order.
    """
    from indicators.sql import structures_in_scope

    codes = [code for code, _, _ in structures_in_scope(conn, perimetre)]
    query = (
        select(Financement.financeur, Financement.annee, func.sum(Financement.montant_eur))
        .where(
            Financement.code_structure.in_(codes),
            Financement.annee.between(periode.debut.year, periode.fin.year),
        )
        .group_by(Financement.financeur, Financement.annee)
    )
    if dispositif is not None:
        query = query.where(Financement.dispositif.in_((dispositif, "TOUS")))
    sums: dict[str, Fraction] = {f: Fraction(0) for f in vocab.FINANCEURS}
    for financeur, annee, montant in conn.execute(query) if codes else ():
        sums[financeur] += Fraction(Decimal(repr(float(montant or 0)))) * prorata(int(annee), periode)
    return {f: arrondi(v, 2) for f, v in sums.items()}


# What the avoided RSA means for each financeur: only the Département pays the RSA.
ROLE_FINANCEUR: dict[str, str] = {
    "CD": "verse le RSA : les allocations évitées sont les siennes",
    "ETAT": "finance surtout le CEJ et le PACEA ; le RSA évité ne lui revient pas",
    "FSE": "cofinance l'accompagnement ; le RSA évité ne lui revient pas",
    "AUTRE": "le RSA évité ne lui revient pas",
}


def retours_financeurs(
    brut: float | None, financements: dict[str, float], params: ParametresImpact
) -> pd.DataFrame:
    """One row per financeur that gave money, then every financeur together.

    Columns: financeur, libelle, montant, role, and — where the avoided RSA is
    that financeur's money (the Département) or for every financeur together —
    the euros avoided per euro in the three cases (`bas`, `central`, `haut`) and
    the break-even deadweight (`point_mort`); None elsewhere.
    """
    rows = []
    total = arrondi(sum((_dec(v) for v in financements.values()), Decimal(0)), 2)
    lignes = [(f, v) for f, v in financements.items() if v] + [("TOUS", total)]
    for financeur, montant in lignes:
        chiffre = financeur in ("CD", "TOUS") and brut is not None
        row = {
            "financeur": financeur,
            "libelle": "Tous financeurs" if financeur == "TOUS" else vocab.FINANCEURS.get(financeur, financeur),
            "montant": float(montant),
            "role": "ensemble des financements" if financeur == "TOUS" else ROLE_FINANCEUR.get(financeur, ""),
        }
        for case in CAS:
            row[case] = euros_par_euro(net(brut, params, case), montant) if chiffre else None
        row["point_mort"] = break_even_deadweight(brut, montant, params) if chiffre and montant else None
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["financeur", "libelle", "montant", "role", *CAS, "point_mort"])
    for column in (*CAS, "point_mort"):
        frame[column] = pd.Series([r[column] for r in rows], dtype="object", index=frame.index)
    return frame


def parameters_table(params: ParametresImpact) -> pd.DataFrame:
    """Every parameter with its value, cases, unit and source: the « hypothèses » panel and the PDF annex."""
    rows = []
    for i, (depuis, montant) in enumerate(params.montants_rsa):
        reference = params.references_rsa[i] if i < len(params.references_rsa) else ""
        rows.append(
            {
                "code": "montant_rsa_mensuel",
                "libelle": f"{params.libelle_rsa}, à partir du {depuis:%d/%m/%Y}",
                "depuis": depuis,
                "valeur": montant,
                "bas": montant,
                "haut": montant,
                "unite": params.unite_rsa,
                "source": params.source_rsa,
                "justification": "; ".join(t for t in (reference, params.annee_prix) if t),
            }
        )
    for p in (params.effet_aubaine, params.part_autres_acteurs):
        rows.append(
            {
                "code": p.code,
                "libelle": p.libelle,
                "depuis": None,
                "valeur": p.valeur,
                "bas": p.bas,
                "haut": p.haut,
                "unite": p.unite,
                "source": p.source,
                "justification": p.justification,
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["version"] = params.version
    return frame


# --- French wording -----------------------------------------------------------------------------------
def _pourcent(x: float) -> str:
    return f"{x * 100:.1f}\u00a0%".replace(".", ",")
