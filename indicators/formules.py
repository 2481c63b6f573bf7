"""From the aggregates the SQL returns to the figures of docs/arithmetic.md.

Pure Python over a handful of numbers per group: the generic formulas every
definition of the registry follows (count, ratio facteur × n / d, quotient), the
few named calculations (median, the impact chain), prorated budgets, and the
rounding (half up, as a person rounds, not the banker's rounding of `round`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from fractions import Fraction

from indicators import measures
from indicators.impact_chain import MOIS_JOURS, euros_par_euro, net
from indicators.registry import REGISTRY, Indicateur
from indicators.rounding import arrondi
from indicators.types import Nature, Periode, Valeur


def ratio(code: str, n: int, d: int) -> Valeur:
    """facteur × n / d (100 for a ratio) to its decimals; no value when d = 0; n and d always kept."""
    definition = REGISTRY[code]
    value = None if not d else arrondi(Fraction(definition.facteur * n, d), definition.decimales)
    return Valeur(code, value, numerateur=n, denominateur=d)


def quotient(code: str, n: float | None, d: float | None) -> Valeur:
    """facteur × a figure divided by another (not a percentage): no value when either is missing or d = 0."""
    if n is None or not d:
        return Valeur(code, None)
    definition = REGISTRY[code]
    exact = definition.facteur * Decimal(repr(float(n))) / Decimal(repr(float(d)))
    return Valeur(code, arrondi(exact, definition.decimales))


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
    budget_cd: Fraction | None = None  # the part of the budget whose financeur is the Département (`CD`)
    # The cell keys of the counts: the sum of the record keys of each count's contributors (jeunes or
    # jalons, migration 0010), by the count's field ("jeunes"…), ("jalons", type), ("jalons_domaine",
    # type, domaine), ("risques_ouverts", domaine) or ("delais", delay); read modulo 256 (`measures.Mesure.cle`).
    cles: Counter = field(default_factory=Counter)

    @property
    def budget_au_centime(self) -> float | None:
        """The budget as shown (to the cent): what the quotients over a budget divide."""
        return None if self.budget is None else arrondi(self.budget, 2)

    @property
    def budget_cd_au_centime(self) -> float | None:
        """The Département's part of the budget as shown (to the cent)."""
        return None if self.budget_cd is None else arrondi(self.budget_cd, 2)

    def __add__(self, other: Agregats) -> Agregats:
        """The aggregates of two disjoint groups of young people (every field adds up)."""
        out = Agregats()
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name in ("budget", "budget_cd"):
                total = None if mine is None and theirs is None else (mine or 0) + (theirs or 0)
            else:
                total = mine + theirs
            setattr(out, f.name, total)
        return out

    def pour_domaine(self, domaine: str) -> Agregats:
        """The aggregates of the jalons of one domaine (for a breakdown by domaine)."""
        own = ("risques_ouverts", domaine)
        keys = {("jalons", k[1]): n for k, n in self.cles.items() if k[:1] == ("jalons_domaine",) and k[2] == domaine}
        return Agregats(
            jalons=Counter({t: n for (t, d), n in self.jalons_domaine.items() if d == domaine}),
            risques_ouverts=Counter({domaine: self.risques_ouverts.get(domaine, 0)}),
            cles=Counter({**keys, own: self.cles.get(own, 0)}),
        )


def count(code: str, n: int) -> Valeur:
    return Valeur(code, int(n))


def valeurs(a: Agregats, codes: list[str], impact) -> dict[str, Valeur]:
    """Every figure of `codes` for one group, in the order of `codes`, as their definitions declare it.

    `impact` holds the parameters: (montants by step, ParametresImpact) or None
    when no impact code is asked for.
    """
    return {code: valeur(REGISTRY[code], a, impact) for code in codes}


def valeur(d: Indicateur, a: Agregats, impact) -> Valeur:
    """One figure from its measures, with the cell keys of its numerator and denominator (`cles`)."""
    v = _valeur(d, a, impact)
    if d.calcul == "mediane":  # its denominator is the size of the numerator's histogram
        return replace(v, cle_denominateur=cle(d.mesure_numerateur, a))
    return replace(v, cle=cle(d.mesure_numerateur, a), cle_denominateur=cle(d.mesure_denominateur, a))


def cle(nom: str | None, a: Agregats) -> int | None:
    """The cell key of measure `nom` in `a` (None for a measure that counts nobody: sums, budgets)."""
    if nom is None:
        return None
    read = measures.get(nom).cle
    return None if read is None else int(read(a)) % 256


def _valeur(d: Indicateur, a: Agregats, impact) -> Valeur:
    """One figure from its measures: its named calculation, or the generic formula of its nature."""
    lire = lambda nom: measures.get(nom).lire(a)
    if d.calcul is not None:
        return CALCULS[d.calcul](d, lire, impact)
    n = lire(d.mesure_numerateur)
    if d.mesure_denominateur is None:
        if d.nature is Nature.COUNT:
            return count(d.code, n)
        return Valeur(d.code, None if n is None else arrondi(n * d.facteur, d.decimales))
    if d.nature is Nature.RATIO:
        return ratio(d.code, n, lire(d.mesure_denominateur))
    return quotient(d.code, n, lire(d.mesure_denominateur))


# --- the named calculations (measures.CALCULS) ------------------------------------------------------------
def _mediane(d: Indicateur, lire, impact) -> Valeur:
    followed = lire(d.mesure_numerateur)
    m = median(followed)
    return Valeur(d.code, None if m is None else arrondi(m, d.decimales), denominateur=sum(followed.values()))


def _brut(d: Indicateur, lire, impact) -> float:
    """Gross avoided allowances to the cent: the days out of the RSA at the amount in force at each sortie."""
    montants = impact[0]
    exact = sum(
        (Decimal(days) * Decimal(repr(montants[step])) / MOIS_JOURS for step, days in lire(d.mesure_numerateur).items()),
        Decimal(0),
    )
    return arrondi(exact, 2)


def _couts_bruts(d: Indicateur, lire, impact) -> Valeur:
    return Valeur(d.code, _brut(d, lire, impact))


def _couts_nets(d: Indicateur, lire, impact) -> Valeur:
    """Net avoided costs, central case, with the low and high cases beside it (from the shown gross figure)."""
    brut, params = _brut(d, lire, impact), impact[1]
    return Valeur(
        d.code,
        net(brut, params, "central"),
        details={"bas": net(brut, params, "bas"), "haut": net(brut, params, "haut"), "brut": brut},
    )


def _euros_par_euro(d: Indicateur, lire, impact) -> Valeur:
    nets = net(_brut(d, lire, impact), impact[1], "central")
    return Valeur(d.code, euros_par_euro(nets, lire(d.mesure_denominateur)))


CALCULS: dict[str, Callable[[Indicateur, Callable[[str], object], object], Valeur]] = {
    "mediane": _mediane,
    "couts_bruts": _couts_bruts,
    "couts_nets": _couts_nets,
    "euros_par_euro": _euros_par_euro,
}
