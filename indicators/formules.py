"""From the aggregates the SQL returns to the figures of spec/INDICATEURS.md.

Pure Python over a handful of numbers per group: the spec's arithmetic
(ratios 100 × n / d, medians, prorated budgets, the impact chain) and its
rounding (half up, as a person rounds, not the banker's rounding of `round`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from indicators.registry import REGISTRY
from indicators.types import Nature, Periode, Valeur

MOIS_JOURS = Decimal("30.4375")  # 1 month in days (spec)


def arrondi(value: float | Fraction | Decimal, decimals: int) -> float:
    """Round half up to `decimals` digits (1.25 → 1.3), from the exact value when it is a Fraction."""
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    elif isinstance(value, Decimal):
        exact = value
    else:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def ratio(code: str, n: int, d: int) -> Valeur:
    """100 × n / d to 1 decimal; no value when d = 0; n and d always kept."""
    value = None if not d else arrondi(Fraction(100 * n, d), REGISTRY[code].decimales)
    return Valeur(code, value, numerateur=n, denominateur=d)


def quotient(code: str, n: float | None, d: float | None) -> Valeur:
    """A figure divided by another (not a percentage): no value when either is missing or d = 0."""
    if n is None or not d:
        return Valeur(code, None)
    return Valeur(code, arrondi(Decimal(repr(float(n))) / Decimal(repr(float(d))), REGISTRY[code].decimales))


def median(histogram: dict[int, int]) -> Fraction | None:
    """Median of values given as {value: how many}; the mean of the two middle ones for an even count."""
    total = sum(histogram.values())
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        for rank in wanted:
            if seen <= rank < seen + count:
                found.append(value)
        seen += count
    return Fraction(sum(found), len(found))


def prorata(annee: int, periode: Periode) -> Fraction:
    """Share of the year `annee` that lies in P (days in P / days in the year)."""
    start, end = dt.date(annee, 1, 1), dt.date(annee, 12, 31)
    first, last = max(start, periode.debut), min(end, periode.fin)
    days = max(0, (last - first).days + 1)
    return Fraction(days, (end - start).days + 1)


@dataclass
class Agregats:
    """What the SQL passes return for one group (zeros when a pass found nothing)."""

    jeunes: int = 0
    nouveaux: int = 0
    rsa: int = 0
    longs: int = 0  # with ≥ 90 days of an accompagnement in P
    sorties: int = 0
    sorties_positives: int = 0
    jalons: Counter = field(default_factory=Counter)  # type -> count of jalons in P
    jalons_domaine: Counter = field(default_factory=Counter)  # (type, domaine) -> count (breakdowns)
    emploi: int = 0
    durable: int = 0
    formation: int = 0
    securises: int = 0
    retours: int = 0
    risques_ouverts: Counter = field(default_factory=Counter)  # domaine -> count
    ancres: int = 0
    au_rsa: int = 0
    delais: Counter = field(default_factory=Counter)  # delay in days (None: never followed) -> count
    maintenus: int = 0
    sorties_anciennes: int = 0
    jours_hors_rsa: Counter = field(default_factory=Counter)  # step of the RSA scale -> days
    budget: Fraction | None = None

    def n_jalons(self, type_: str) -> int:
        return self.jalons.get(type_, 0)

    def __add__(self, other: Agregats) -> Agregats:
        """The aggregates of two disjoint groups of young people (every field adds up)."""
        out = Agregats()
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "budget":
                total = None if mine is None and theirs is None else (mine or 0) + (theirs or 0)
            else:
                total = mine + theirs
            setattr(out, f.name, total)
        return out

    def pour_domaine(self, domaine: str) -> Agregats:
        """The aggregates of the jalons of one domaine (for a breakdown by domaine)."""
        return Agregats(
            jalons=Counter({t: n for (t, d), n in self.jalons_domaine.items() if d == domaine}),
            risques_ouverts=Counter({domaine: self.risques_ouverts.get(domaine, 0)}),
        )


def count(code: str, n: int) -> Valeur:
    return Valeur(code, int(n))


def valeurs(a: Agregats, codes: list[str], impact) -> dict[str, Valeur]:
    """Every figure of `codes` for one group, in the order of `codes`.

    `impact` holds the parameters: (montants by step, ParametresImpact) or None
    when no impact code is asked for.
    """
    jalons = a.n_jalons
    out: dict[str, Valeur] = {}
    budget = None if a.budget is None else arrondi(a.budget, 2)
    brut = None
    if impact is not None:
        montants = impact[0]
        brut_exact = sum(
            (Decimal(days) * Decimal(repr(montants[step])) / MOIS_JOURS for step, days in a.jours_hors_rsa.items()),
            Decimal(0),
        )
        brut = arrondi(brut_exact, 2)
    for code in codes:
        match code:
            case "jeunes_suivis":
                v = count(code, a.jeunes)
            case "nouveaux_entrants":
                v = count(code, a.nouveaux)
            case "jeunes_rsa_suivis":
                v = count(code, a.rsa)
            case "entretiens":
                v = count(code, jalons("entretien"))
            case "entretiens_par_jeune":
                v = quotient(code, jalons("entretien"), a.jeunes)
            case "sanctions_rsa":
                v = count(code, jalons("rsa_sanction"))
            case "budget_eur":
                v = Valeur(code, budget)
            case "cout_par_jeune_eur":
                v = quotient(code, budget, a.jeunes)
            case "acces_emploi":
                v = ratio(code, a.emploi, a.jeunes)
            case "acces_emploi_durable":
                v = ratio(code, a.durable, a.jeunes)
            case "acces_formation":
                v = ratio(code, a.formation, a.jeunes)
            case "immersions":
                v = count(code, jalons("immersion"))
            case "sorties_positives":
                v = ratio(code, a.sorties_positives, a.sorties)
            case "droits_ouverts":
                v = count(code, jalons("droit_ouvert"))
            case "partenaires_mobilises":
                v = count(code, jalons("mobilisation_partenaire"))
            case "delai_entree_jours":
                followed = {d: n for d, n in a.delais.items() if d is not None}
                m = median(followed)
                v = Valeur(
                    code,
                    None if m is None else arrondi(m, REGISTRY[code].decimales),
                    denominateur=sum(followed.values()),
                )
            case "entree_sous_30j":
                within = sum(n for d, n in a.delais.items() if d is not None and d <= 30)
                v = ratio(code, within, sum(a.delais.values()))
            case "risques_detectes":
                v = count(code, jalons("risque_rupture"))
            case "ruptures_evitees":
                v = count(code, jalons("rupture_evitee"))
            case "ruptures_survenues":
                v = count(code, jalons("rupture_survenue"))
            case "taux_ruptures_evitees":
                evitees = jalons("rupture_evitee")
                v = ratio(code, evitees, evitees + jalons("rupture_survenue"))
            case "risques_ouverts":
                v = count(code, sum(a.risques_ouverts.values()))
            case "parcours_securises":
                v = ratio(code, a.securises, a.longs)
            case "retours_dynamique":
                v = count(code, a.retours)
            case "ancrage_rsa":
                v = ratio(code, a.ancres, a.au_rsa)
            case "sorties_rsa":
                v = count(code, jalons("rsa_sortie"))
            case "maintien_hors_rsa_6m":
                v = ratio(code, a.maintenus, a.sorties_anciennes)
            case "mois_rsa_evites":
                days = sum(a.jours_hors_rsa.values())
                v = Valeur(code, arrondi(Decimal(days) / MOIS_JOURS, REGISTRY[code].decimales))
            case "couts_evites_bruts_eur":
                v = Valeur(code, brut)
            case "couts_evites_nets_eur":
                v = _nets(code, brut, impact[1])
            case "euros_evites_par_euro_investi":
                from indicators.impact_chain import euros_par_euro

                v = Valeur(code, euros_par_euro(_nets(code, brut, impact[1]).valeur, budget))
            case _:
                raise KeyError(f"indicateur inconnu : {code}")
        out[code] = v
    return out


def _nets(code: str, brut: float, params) -> Valeur:
    """Net avoided costs, central case, with the low and high cases beside it (from the shown gross figure)."""
    from indicators.impact_chain import net

    return Valeur(
        code,
        net(brut, params, "central"),
        details={"bas": net(brut, params, "bas"), "haut": net(brut, params, "haut"), "brut": brut},
    )


def nature(code: str) -> Nature:
    return REGISTRY[code].nature
