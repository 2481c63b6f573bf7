"""What the impact page, the PDF report and the Excel export show, computed once for an account.

Every figure comes through `indicators.disclosure.service` (access check, then masking
for the account), so the page, the report and the export cannot differ nor
forget a rule. The RSA cohort curve, which the service does not serve, checks
the scope and masks the same way here. A director's edited impact parameters
(`indicators.models.impact_settings`) replace the file's in the net figures: only the
deadweight and the attribution are editable, so the gross figure computed by
the engine stays right and the net one is recomputed from it.

`construire` gathers everything for a report; the page calls the parts one by
one (each cached), so a widget that changes one part recomputes only it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd
from sqlalchemy import Connection, Engine

from indicators.disclosure import service
from indicators.disclosure.rule import rule_for
from indicators.engine import resolve_as_of
from indicators.models import cohort, impact_settings
from indicators.models import impact as modele
from indicators.models.objectifs import objectifs_vs_resultats
from indicators.registry import REGISTRY, REGISTRY_VERSION
from indicators.sql import structures_in_scope
from indicators.types import Echelon, Famille, Filtres, Perimetre, Periode, Valeur
from mlimpact import audit, notes, overview
from mlimpact.access import Compte, check_scope
from mlimpact.db import connected
from presentation.figures import avec_affichage
from presentation.textes import libelle_perimetre, libelle_periode

# The figures each family's monthly trend draws (few, so the trend stays quick to compute).
TENDANCES: dict[Famille, tuple[str, ...]] = {
    Famille.ACTIVITE: ("jeunes_suivis", "nouveaux_entrants", "jeunes_rsa_suivis"),
    Famille.PRODUIT: ("acces_emploi", "acces_emploi_durable", "acces_formation"),
    Famille.PREVENTION: ("risques_detectes", "ruptures_evitees", "ruptures_survenues"),
    Famille.IMPACT: ("couts_evites_bruts_eur", "couts_evites_nets_eur"),
}
# The four themes of the network's working group, each as breakdowns (indicator, dimension).
THEMES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "public": (
        "Le public accompagné",
        (
            ("jeunes_suivis", "sexe"),
            ("jeunes_suivis", "tranche_age"),
            ("jeunes_suivis", "niveau_formation"),
            ("jeunes_suivis", "qpv"),
            ("jeunes_suivis", "frr"),
            ("jeunes_suivis", "rqth"),
        ),
    ),
    "parcours": (
        "Les parcours",
        (
            ("jeunes_suivis", "dispositif"),
            ("sorties_positives", "dispositif"),
            ("parcours_securises", "tranche_age"),
        ),
    ),
    "etayage": (
        "L'étayage des partenaires",
        (
            ("partenaires_mobilises", "domaine"),
            ("droits_ouverts", "domaine"),
        ),
    ),
    "departement": (
        "La relation avec le Département",
        (
            ("jeunes_rsa_suivis", "tranche_age"),
            ("ancrage_rsa", "tranche_age"),
        ),
    ),
}
# The RSA figures the Département looks at first (theme « relation avec le Département »).
CHIFFRES_RSA = (
    "jeunes_rsa_suivis", "sanctions_rsa", "sorties_rsa", "ancrage_rsa", "maintien_hors_rsa_6m", "entree_sous_30j",
    "delai_entree_jours",
)
ISSUES_RISQUES: dict[str, str] = {
    "ruptures_evitees": "Évitées",
    "ruptures_survenues": "Survenues",
    "risques_ouverts": "En cours",
}
NETS = ("couts_evites_nets_eur", "euros_evites_par_euro_investi", "euros_evites_par_euro_cd")
# The quotients over money that edited parameters recompute, and the budget each divides by.
QUOTIENTS_BUDGET = {"euros_evites_par_euro_investi": "budget_eur", "euros_evites_par_euro_cd": "budget_cd_eur"}
HORIZON_COURBE_MOIS = 24
TENDANCE_MIN_MOIS = 12
TENDANCE_MAX_MOIS = 24


@dataclass(frozen=True)
class Demande:
    """What is asked: a period, a scope, filters and the date the data describes (hashable: a cache key)."""

    periode: Periode
    perimetre: Perimetre
    filtres: Filtres = field(default_factory=Filtres)
    as_of: dt.date | None = None
    comparaison: Periode | None = None  # the period the changes are against (None: the previous one)

    @property
    def periode_comparaison(self) -> Periode:
        return self.comparaison or periode_precedente(self.periode)


def derniere_annee_complete(as_of: dt.date, first_year: int) -> int:
    """The year a page opens on: the last calendar year whose data are complete at `as_of` (the year of the
    first data when there is none yet). The pages' sidebar and `reports.warmup` share it, so that the figures
    computed ahead are the very ones a visitor asks for."""
    if (as_of.month, as_of.day) == (12, 31):
        return as_of.year
    return max(as_of.year - 1, min(first_year, as_of.year))


def periode_precedente(periode: Periode) -> Periode:
    """The period just before: as many whole calendar months when the period is whole months (2025 → 2024,
    a quarter → the quarter before), else as many days."""
    fin_de_mois = (periode.fin + dt.timedelta(days=1)).day == 1
    if periode.debut.day != 1 or not fin_de_mois:
        return periode.precedente()
    mois = (periode.fin.year - periode.debut.year) * 12 + periode.fin.month - periode.debut.month + 1
    return Periode(_months_before(periode.debut, mois), periode.debut - dt.timedelta(days=1))


@dataclass
class Impact:
    """The avoided-cost figure with everything that must stand beside it."""

    brut: float | None
    budget: float | None
    params: modele.ParametresImpact
    masque: bool
    cascade: pd.DataFrame | None = None  # central case
    cas: pd.DataFrame | None = None
    hypotheses: pd.DataFrame | None = None
    point_mort: float | None = None
    phrase_point_mort: str = ""
    budget_cd: float | None = None  # the Département's money (financeur CD) over the period
    point_mort_cd: float | None = None
    phrase_point_mort_cd: str = ""
    retours: pd.DataFrame | None = None  # one row per financeur (modele.retours_financeurs)


@dataclass
class Contenu:
    """Everything a report shows for one account and one request."""

    compte: Compte
    demande: Demande
    libelle_perimetre: str
    departement: str | None
    k: int
    params: modele.ParametresImpact
    modification_params: dict | None
    figures: dict[str, tuple[Valeur, Valeur]]
    objectifs: pd.DataFrame | None
    annee_objectifs: int
    tendances: pd.DataFrame
    ventilations: dict[str, list[pd.DataFrame]]
    risques: pd.DataFrame
    courbe: pd.DataFrame
    impact: Impact
    notes: dict[str, str] = field(default_factory=dict)  # the director's words of the year (faits, recits)
    effets: object | None = None  # indicators.models.effets.Resultats: « Ce qui marche »
    version_registre: str = REGISTRY_VERSION
    genere_le: dt.datetime = field(default_factory=lambda: dt.datetime.now())


# --- small helpers ---------------------------------------------------------------------------------------
def data_date(bind: Engine | Connection) -> dt.date | None:
    """as_of: the latest jalon date of the store."""
    return resolve_as_of(bind)


def dates(bind: Engine | Connection) -> tuple[dt.date | None, int]:
    """(as_of, first year of data) of the whole store: what the period filter offers, and so the default year."""
    as_of = data_date(bind)
    with connected(bind) as conn:
        premiere, _ = overview.dates(conn)
    return as_of, premiere.year if premiere else (as_of or dt.date.today()).year


def structure_de(perimetre: Perimetre) -> str | None:
    return perimetre.code if perimetre.echelon is Echelon.STRUCTURE else None


def parametres(bind: Engine | Connection, perimetre: Perimetre) -> modele.ParametresImpact:
    """The impact parameters of the scope: a structure's edited ones, or the file's."""
    with connected(bind) as conn:
        return impact_settings.parameters(conn, structure_de(perimetre))


def fenetre_tendance(periode: Periode, as_of: dt.date | None, mois: int | None = None) -> tuple[dt.date, dt.date]:
    """The months a trend draws, ending with the period's last month (not after the data).

    Those of the period, at least 12 and at most 24; exactly `mois` months when given (the national view: 12).
    """
    fin = min(periode.fin, as_of) if as_of else periode.fin
    fin = max(fin, periode.debut)
    last = fin.replace(day=1)
    first = periode.debut.replace(day=1)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if mois is not None:
        first = _months_before(last, mois - 1)
    elif months < TENDANCE_MIN_MOIS:
        first = _months_before(last, TENDANCE_MIN_MOIS - 1)
    elif months > TENDANCE_MAX_MOIS:
        first = _months_before(last, TENDANCE_MAX_MOIS - 1)
    return first, fin


def _months_before(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def _avec_params(values: dict[str, Valeur], params: modele.ParametresImpact) -> dict[str, Valeur]:
    """Net figures recomputed with edited parameters (the gross one does not depend on them)."""
    if not params.modifie:
        return values
    out = dict(values)
    brut = values.get("couts_evites_bruts_eur")
    if brut is None or brut.masque or brut.valeur is None:
        return out
    net = modele.net(brut.valeur, params)
    if "couts_evites_nets_eur" in out:
        out["couts_evites_nets_eur"] = replace(out["couts_evites_nets_eur"], valeur=net)
    for code, budget_code in QUOTIENTS_BUDGET.items():
        ratio, budget = out.get(code), values.get(budget_code)
        if ratio is not None and not ratio.masque:
            b = budget.valeur if budget is not None else None
            out[code] = replace(ratio, valeur=modele.euros_par_euro(net, b))
    return out


# --- the parts ------------------------------------------------------------------------------------------
def figures(bind, compte: Compte, demande: Demande, params: modele.ParametresImpact) -> dict[str, tuple[Valeur, Valeur]]:
    """Each indicator for the period and the comparison period (the previous one unless chosen), masked for the account."""
    d = demande
    current = _avec_params(service.compute(bind, compte, d.periode, d.perimetre, d.filtres, d.as_of), params)
    previous = _avec_params(service.compute(bind, compte, d.periode_comparaison, d.perimetre, d.filtres, d.as_of), params)
    return {code: (current[code], previous[code]) for code in current}


def financeurs(bind, compte: Compte, demande: Demande) -> dict[str, float]:
    """Each financeur's money for the scope over the period (a budget is never masked), after the access check."""
    with connected(bind) as conn:
        check_scope(conn, compte, demande.perimetre)
        return modele.financements_par_financeur(conn, demande.perimetre, demande.periode, demande.filtres.dispositif)


def annee_objectifs(demande: Demande) -> int:
    """Convention targets are yearly: those of the year the period ends in."""
    fin = min(demande.periode.fin, demande.as_of) if demande.as_of else demande.periode.fin
    return max(fin, demande.periode.debut).year


def objectifs(bind, compte: Compte, demande: Demande, params: modele.ParametresImpact) -> pd.DataFrame | None:
    """The structure's targets for the year against its results over that whole year (no filter): None above a structure."""
    code = structure_de(demande.perimetre)
    if code is None:
        return None
    annee = annee_objectifs(demande)
    year = Periode(dt.date(annee, 1, 1), dt.date(annee, 12, 31))
    resultats = _avec_params(service.compute(bind, compte, year, demande.perimetre, Filtres(), demande.as_of), params)
    with connected(bind) as conn:
        return objectifs_vs_resultats(conn, code, annee, resultats, as_of=demande.as_of)


def fenetre_cumul(periode: Periode, as_of: dt.date | None) -> list[Periode]:
    """The periods a cumulative trend draws: from the period's first day to the end of each of its months
    (the last one ends with the period, and no month after the data's is drawn)."""
    fin = min(periode.fin, as_of) if as_of else periode.fin
    fin = max(fin, periode.debut)
    out, month = [], periode.debut.replace(day=1)
    while month <= fin:
        end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        out.append(Periode(periode.debut, min(end, periode.fin)))
        month = end + dt.timedelta(days=1)
    return out


def tendances(bind, compte: Compte, demande: Demande, params: modele.ParametresImpact) -> pd.DataFrame:
    """Every family's trend figures cumulated since the start of the period, month end after month end.

    The point of a month is the figure over [start of the period, end of that
    month]: the last point is the card's figure, so a reader can follow the
    card being built (a ratio of one month alone, 6 % of the jeunes, cannot be
    read against a card of 35 %). Columns: mois (first day of the month), code,
    valeur, numerateur, denominateur, incomplet (the data stop before the end
    of that month), masque, famille, libelle.
    """
    codes = [c for f in Famille for c in TENDANCES[f]]
    rows = []
    for cumul in fenetre_cumul(demande.periode, demande.as_of):
        values = _avec_params(
            service.compute(bind, compte, cumul, demande.perimetre, demande.filtres, demande.as_of, codes), params
        )
        incomplet = demande.as_of is not None and cumul.fin > demande.as_of
        for code in codes:
            v = values[code]
            rows.append(
                {
                    "mois": cumul.fin.replace(day=1), "code": code, "valeur": v.valeur, "numerateur": v.numerateur,
                    "denominateur": v.denominateur, "incomplet": incomplet, "masque": v.masque,
                }
            )
    table = pd.DataFrame(rows, columns=["mois", "code", "valeur", "numerateur", "denominateur", "incomplet", "masque"])
    famille_de = {c: f.value for f in Famille for c in TENDANCES[f]}
    table["famille"] = [famille_de[c] for c in table["code"]]
    table["libelle"] = [REGISTRY[c].libelle for c in table["code"]]
    table["mois"] = pd.to_datetime(table["mois"])
    return table


def titre_tendance(demande: Demande) -> str:
    """What a trend draws, in words: the cumulative series since the start of the period."""
    return (
        f"Cumul depuis le {demande.periode.debut:%d/%m/%Y}, fin de mois après fin de mois : le dernier point est le "
        "chiffre des cartes"
    )


def tendance(table: pd.DataFrame, famille: Famille) -> pd.DataFrame:
    """The rows of one family in the trend table."""
    return table[table["famille"] == famille.value].reset_index(drop=True)


def ventilation(bind, compte: Compte, demande: Demande, code: str, dimension: str) -> pd.DataFrame:
    """One breakdown, masked (primary and secondary) for the account, with its code, dimension and `affichage`."""
    table = service.breakdown(bind, compte, demande.periode, demande.perimetre, code, dimension, demande.filtres, demande.as_of)
    table = avec_affichage(table, rule_for(bind, compte, demande.perimetre).k, code)
    table.insert(0, "dimension", dimension)
    table.insert(0, "code", code)
    return table


def theme(bind, compte: Compte, demande: Demande, nom: str) -> list[pd.DataFrame]:
    """The breakdowns of one of the four themes."""
    return [ventilation(bind, compte, demande, code, dim) for code, dim in THEMES[nom][1]]


def risques(bind, compte: Compte, demande: Demande) -> pd.DataFrame:
    """Risks of rupture by domaine and how they ended: averted, occurred, still open (one row per domaine × issue)."""
    frames = []
    for code, issue in ISSUES_RISQUES.items():
        table = ventilation(bind, compte, demande, code, "domaine")
        table = table[table["modalite"] != "Total"].assign(issue=issue)
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    return out[["modalite", "libelle", "issue", "valeur", "masque", "affichage"]]


def courbe(bind, compte: Compte, demande: Demande) -> pd.DataFrame:
    """The share still on the RSA month by month after entry, by year of entry (cohorts of the last 3 years).

    The curve covers every young person of the scope who entered the RSA (the
    public filters do not apply to it). It is the structure's own: its exact
    counts month by month (spells at risk, exits) would let an outside account
    derive small numbers by difference, so for anyone else it comes back empty,
    marked `attrs["reservee"]` (docs/disclosure.md).
    """
    fin = min(demande.periode.fin, demande.as_of) if demande.as_of else demande.periode.fin
    fin = max(fin, demande.periode.debut)
    debut = dt.date(fin.year - 2, 1, 1)
    with connected(bind) as conn:
        rule = service.checked_rule(conn, compte, demande.perimetre)
        structures = [code for code, _, _ in structures_in_scope(conn, demande.perimetre)]
        as_of = demande.as_of or resolve_as_of(conn) or fin
        table = cohort.courbe_rsa(conn, structures, debut, fin, as_of, par="cohorte", mois=HORIZON_COURBE_MOIS, k=rule.k or None)
    if not rule.exact:
        reservee = table.iloc[0:0].copy()
        reservee.attrs["reservee"] = True
        return reservee
    # Past the last spell still followed, the curve is unknown: it stops there.
    followed = pd.to_numeric(table["a_risque"], errors="coerce")
    return table[~(followed == 0)].reset_index(drop=True)


def _montant(values: dict[str, Valeur], code: str) -> float | None:
    v = values.get(code)
    return None if v is None or v.masque else v.valeur


def impact(values: dict[str, Valeur], params: modele.ParametresImpact, financements: dict[str, float] | None = None) -> Impact:
    """The waterfall from gross to net (central case), the three cases, the parameters and the break-even,
    against every financeur's budget and against the Département's own money; one line per financeur."""
    brut_v = values.get("couts_evites_bruts_eur")
    budget, budget_cd = _montant(values, "budget_eur"), _montant(values, "budget_cd_eur")
    if brut_v is None or brut_v.masque or brut_v.valeur is None:
        return Impact(None, budget, params, True, hypotheses=modele.parameters_table(params),
                      phrase_point_mort="Le montant brut est couvert par le secret statistique : pas de cascade.",
                      budget_cd=budget_cd)
    brut = float(brut_v.valeur)
    out = Impact(brut, budget, params, False, budget_cd=budget_cd)
    out.cascade = modele.waterfall(brut, params)
    out.cas = modele.cases(brut, budget, params, budget_cd)
    out.hypotheses = modele.parameters_table(params)
    if budget:
        out.point_mort = modele.break_even_deadweight(brut, budget, params)
        out.phrase_point_mort = modele.phrase_point_mort(brut, budget, params, modele.BUDGET_TOUS)
    else:
        out.phrase_point_mort = "Pas de budget renseigné pour la période : pas de point mort calculable."
    if budget_cd:
        out.point_mort_cd = modele.break_even_deadweight(brut, budget_cd, params)
        out.phrase_point_mort_cd = modele.phrase_point_mort(brut, budget_cd, params, modele.BUDGET_CD)
    else:
        out.phrase_point_mort_cd = "Aucun financement du Département renseigné pour la période : pas de retour calculable."
    if financements is not None:
        out.retours = modele.retours_financeurs(brut, financements, params)
    return out


def contexte(bind, perimetre: Perimetre) -> tuple[str, str | None]:
    """The scope in words, and its département (for a structure: its own)."""
    with connected(bind) as conn:
        structures = structures_in_scope(conn, perimetre)
    noms = {code: nom for code, nom, _ in structures}
    departement = perimetre.code if perimetre.echelon is Echelon.DEPARTEMENT else None
    if perimetre.echelon is Echelon.STRUCTURE and structures:
        departement = structures[0][2]
    return libelle_perimetre(perimetre, noms), departement


# --- everything, for a report ----------------------------------------------------------------------------
def effets(bind: Engine | Connection, compte: Compte, demande: Demande):
    """« Ce qui marche » for the report: the estimates the account may see (indicators.models.effets)."""
    from indicators.models import effets as modele_effets

    return modele_effets.for_account(bind, compte, demande.periode, demande.perimetre, demande.filtres, demande.as_of)


def build(
    bind: Engine,
    compte: Compte,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    comparaison: Periode | None = None,
) -> Contenu:
    """All the parts of the report for this account (the access check happens in every part)."""
    as_of = as_of or data_date(bind)
    demande = Demande(periode, perimetre, filtres, as_of, comparaison)
    with connected(bind) as conn:
        check_scope(conn, compte, perimetre)
    params = parametres(bind, perimetre)
    code = structure_de(perimetre)
    modification = None
    if params.modifie and code:
        with connected(bind) as conn:
            modification = impact_settings.last_change(conn, code)
    results = {
        "figures": figures(bind, compte, demande, params),
        "objectifs": objectifs(bind, compte, demande, params),
        "tendances": tendances(bind, compte, demande, params),
        "risques": risques(bind, compte, demande),
        "courbe": courbe(bind, compte, demande),
        "contexte": contexte(bind, perimetre),
        "financeurs": financeurs(bind, compte, demande),
        **{f"theme:{t}": theme(bind, compte, demande, t) for t in THEMES},
    }
    figs = results["figures"]
    libelle, departement = results["contexte"]
    mots = {}
    if code:
        with connected(bind) as conn:
            mots = notes.lire(conn, code, annee_objectifs(demande))
    return Contenu(
        compte=compte,
        demande=demande,
        libelle_perimetre=libelle,
        departement=departement,
        k=rule_for(bind, compte, perimetre).k,
        params=params,
        modification_params=modification,
        figures=figs,
        objectifs=results["objectifs"],
        annee_objectifs=annee_objectifs(demande),
        tendances=results["tendances"],
        ventilations={t: results[f"theme:{t}"] for t in THEMES},
        risques=results["risques"],
        courbe=results["courbe"],
        impact=impact({c: v[0] for c, v in figs.items()}, params, results["financeurs"]),
        notes=mots,
        effets=effets(bind, compte, demande),
    )


def document(
    engine: Engine,
    compte: Compte,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres,
    as_of: dt.date | None,
    render: Callable[[Contenu], bytes],
    *,
    action: str,
    objet: str,
    nom: str,
    details: Callable[[Contenu, bytes], dict],
    comparaison: Periode | None = None,
) -> bytes:
    """Build the content, render it (`rendre(contenu) -> bytes`) and record the handing over in the audit trail.

    The PDF report and the workbook both leave the application this way: what was
    handed, to whom, for which scope, period and filters.
    """
    contenu = build(engine, compte, periode, perimetre, filtres, as_of, comparaison)
    data = render(contenu)
    with engine.begin() as conn:
        audit.record(
            conn, compte.email, action, objet, cle=perimetre.code or "national",
            apres={"debut": periode.debut, "fin": periode.fin, "filtres": filtres.actifs(), **details(contenu, data)},
            detail=f"{nom} {libelle_periode(periode)} — {contenu.libelle_perimetre}",
        )
    return data
