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

import pandas as pd

from indicators.rounding import arrondi
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


def cases(brut: float, budget: float | None, params: ParametresImpact) -> pd.DataFrame:
    """The cautious, central and favourable cases side by side: parameters used, net, euros per euro invested."""
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
            }
        )
    frame = pd.DataFrame(rows)
    frame["euros_par_euro_investi"] = frame["euros_par_euro_investi"].astype("object")
    frame.loc[frame["euros_par_euro_investi"].isna(), "euros_par_euro_investi"] = None
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


def phrase_point_mort(brut: float, budget: float, params: ParametresImpact) -> str:
    """The break-even deadweight in one French sentence, honest about the negative case."""
    a = break_even_deadweight(brut, budget, params)
    if a is None:
        return "Pas de point mort calculable : aucun coût évité brut sur la période."
    if a < 0:
        return (
            "Même sans aucun effet d'aubaine, les allocations évitées ne couvriraient pas le budget "
            "de la période."
        )
    seuil = _pourcent(a)
    centrale = _pourcent(params.effet_aubaine.valeur)
    if a >= params.effet_aubaine.valeur:
        return (
            f"Les allocations évitées couvrent le budget tant que l'effet d'aubaine reste inférieur à {seuil} "
            f"(hypothèse centrale : {centrale})."
        )
    return (
        f"Les allocations évitées ne couvriraient le budget que si l'effet d'aubaine était inférieur à {seuil} "
        f"(hypothèse centrale : {centrale})."
    )


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
