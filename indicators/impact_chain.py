"""The impact chain's parameters and arithmetic: what the engine needs to turn RSA months into euros.

SROI practice (CONTEXT.md): value = quantity × proxy × (1 − deadweight) ×
(1 − attribution). The proxy (the RSA amount by date), the deadweight
(`effet_aubaine`) and the attribution (`part_autres_acteurs`) live in ONE
versioned file, `parametres_impact.toml` beside this module, each with its
source. Computation layer: the engine (`indicators.formules`), the naive second
opinion and the model of the pages (`indicators.models.impact`) all read them here.
"""

from __future__ import annotations

import bisect
import datetime as dt
import tomllib
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from indicators.rounding import arrondi

MOIS_JOURS = Decimal("30.4375")  # 1 month in days (spec)
PARAMETRES_PATH = Path(__file__).with_name("parametres_impact.toml")

# "bas" is the cautious case (more deadweight, more attribution to others), "haut" the favourable one.
CAS: dict[str, str] = {
    "bas": "Hypothèse prudente",
    "central": "Hypothèse centrale",
    "haut": "Hypothèse favorable",
}
TAUX = ("effet_aubaine", "part_autres_acteurs")  # the two editable shares


@dataclass(frozen=True)
class Parametre:
    """A share of the model with its range: `bas` is the value of the cautious case, `haut` of the favourable one.

    For a deduction such as the deadweight, the cautious case uses the larger
    share: `bas` ≥ `valeur` ≥ `haut`.
    """

    code: str
    libelle: str
    valeur: float
    bas: float
    haut: float
    source: str
    unite: str
    justification: str = ""

    def pour(self, case: str) -> float:
        """The value used in `case` ("bas", "central" or "haut")."""
        _check_case(case)
        return self.valeur if case == "central" else getattr(self, case)


@dataclass(frozen=True)
class ParametresImpact:
    """All the parameters of one version of the model (hashable: it may key a cache)."""

    montants_rsa: tuple[tuple[dt.date, float], ...]  # sorted (in force from, monthly amount)
    effet_aubaine: Parametre
    part_autres_acteurs: Parametre
    version: str
    libelle_rsa: str = "Montant forfaitaire mensuel du RSA, personne seule"
    unite_rsa: str = "€ par mois"
    source_rsa: str = ""
    annee_prix: str = ""
    references_rsa: tuple[str, ...] = ()  # one per amount, in the order of `montants_rsa`
    modifie: bool = False  # True when a director's values replace those of the file


# --- loading ------------------------------------------------------------------------------------------
def load_parameters(path: Path | None = None, overrides: dict[str, float] | None = None) -> ParametresImpact:
    """The parameters of the settings file, with a director's edited values applied.

    `overrides` keys: `effet_aubaine`, `part_autres_acteurs` (central values) and
    `<code>_bas`, `<code>_haut` (the cases). Every share must satisfy 0 ≤ x < 1.
    A central value edited outside its range widens the range to include it, so
    the cautious case stays the most cautious. Raises a French ValueError.
    """
    with open(path or PARAMETRES_PATH, "rb") as handle:
        raw = tomllib.load(handle)
    try:
        rsa = raw["montant_rsa_mensuel"]
        bareme = [(_as_date(step["depuis"]), float(step["montant"])) for step in rsa["bareme"]]
        references = tuple(str(step.get("reference", "")) for step in rsa["bareme"])
        taux = {code: _parametre(code, raw[code]) for code in TAUX}
        version = str(raw["version"])
    except KeyError as exc:
        raise ValueError(f"Fichier de paramètres d'impact incomplet : « {exc.args[0]} » manque.") from None
    _check_bareme(bareme)
    params = ParametresImpact(
        montants_rsa=tuple(bareme),
        effet_aubaine=taux["effet_aubaine"],
        part_autres_acteurs=taux["part_autres_acteurs"],
        version=version,
        libelle_rsa=str(rsa.get("libelle", ParametresImpact.libelle_rsa)),
        unite_rsa=str(rsa.get("unite", ParametresImpact.unite_rsa)),
        source_rsa=str(rsa.get("source", "")),
        annee_prix=str(rsa.get("annee_prix", "")),
        references_rsa=references,
    )
    return apply_overrides(params, overrides) if overrides else params


def apply_overrides(params: ParametresImpact, overrides: dict[str, float]) -> ParametresImpact:
    """`params` with edited shares (see `load_parameters`); the version says they were edited."""
    known = {f"{code}{suffix}" for code in TAUX for suffix in ("", "_bas", "_haut")}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(
            f"Paramètre d'impact inconnu : {', '.join(unknown)} (attendus : {', '.join(sorted(known))})."
        )
    changed: dict[str, Parametre] = {}
    for code in TAUX:
        p: Parametre = getattr(params, code)
        valeur = _share(overrides.get(code, p.valeur), p.libelle)
        bas = _share(overrides.get(f"{code}_bas", max(p.bas, valeur)), f"{p.libelle} (cas prudent)")
        haut = _share(overrides.get(f"{code}_haut", min(p.haut, valeur)), f"{p.libelle} (cas favorable)")
        new = replace(p, valeur=valeur, bas=bas, haut=haut)
        _check_order(new)
        changed[code] = new
    edits = ", ".join(f"{k} = {_fr(float(overrides[k]))}" for k in sorted(overrides))
    return replace(params, **changed, version=f"{params.version} modifiée ({edits})", modifie=True)


def _parametre(code: str, raw: dict) -> Parametre:
    p = Parametre(
        code=code,
        libelle=str(raw["libelle"]),
        valeur=_share(raw["valeur"], raw["libelle"]),
        bas=_share(raw["bas"], raw["libelle"]),
        haut=_share(raw["haut"], raw["libelle"]),
        source=str(raw["source"]),
        unite=str(raw["unite"]),
        justification=str(raw.get("justification", "")),
    )
    _check_order(p)
    return p


def _share(value, libelle: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{libelle} : une part entre 0 et 1 est attendue, pas « {value} ».")  # noqa: TRY004 (a settings value, reported as such)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{libelle} : une part entre 0 et 1 est attendue, pas « {value} ».") from None
    if not 0 <= x < 1:  # also refuses NaN
        raise ValueError(f"{libelle} : la valeur doit être comprise entre 0 (inclus) et 1 (exclu), pas {_fr(x)}.")
    return x


def _check_order(p: Parametre) -> None:
    if not p.haut <= p.valeur <= p.bas:
        raise ValueError(
            f"{p.libelle} : le cas prudent ({_fr(p.bas)}) doit être au moins égal à la valeur centrale "
            f"({_fr(p.valeur)}), elle-même au moins égale au cas favorable ({_fr(p.haut)})."
        )


def _check_bareme(bareme: list[tuple[dt.date, float]]) -> None:
    if not bareme:
        raise ValueError("Barème du RSA vide : au moins un montant est attendu.")
    days = [d for d, _ in bareme]
    if days != sorted(set(days)):
        raise ValueError("Barème du RSA : les dates d'entrée en vigueur doivent être croissantes et distinctes.")
    for day, amount in bareme:
        if not amount > 0:
            raise ValueError(f"Barème du RSA : le montant au {day:%d/%m/%Y} doit être positif.")


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _check_case(case: str) -> None:
    if case not in CAS:
        raise ValueError(f"Cas inconnu : « {case} » (attendus : bas, central, haut).")


# --- the arithmetic -----------------------------------------------------------------------------------
def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def montant_rsa(params: ParametresImpact, day: dt.date) -> float:
    """The monthly amount in force on `day`; before the first date, the first amount."""
    days = [d for d, _ in params.montants_rsa]
    i = bisect.bisect_right(days, day) - 1
    return params.montants_rsa[max(i, 0)][1]


def _net_exact(brut: float, params: ParametresImpact, case: str) -> Decimal:
    a = _dec(params.effet_aubaine.pour(case))
    b = _dec(params.part_autres_acteurs.pour(case))
    return _dec(brut) * (1 - a) * (1 - b)


def net(brut: float, params: ParametresImpact, case: str = "central") -> float:
    """brut × (1 − effet d'aubaine) × (1 − part des autres acteurs), to the cent."""
    return arrondi(_net_exact(brut, params, case), 2)


def euros_par_euro(net_eur: float, budget: float | None) -> float | None:
    """Net avoided euros per euro of budget, 2 decimals; None without a budget."""
    if budget is None or not budget:
        return None
    return arrondi(_dec(net_eur) / _dec(budget), 2)


# --- French wording -----------------------------------------------------------------------------------
def _fr(x: float) -> str:
    return f"{x:g}".replace(".", ",")

