"""The methodology users read (a page, the PDF annex), generated from the registry.

One source for definitions: the registry. This module only arranges its
entries by family, as structured rows (`rows`, `frame`) for tables and as
Markdown text (`markdown`) for the page and the annex, with the common notions
of docs/arithmetic.md and the parameters of the impact model.
"""

from __future__ import annotations

import pandas as pd

from indicators.registry import FAMILLES, NIVEAUX, REGISTRY, REGISTRY_VERSION, SENS
from indicators.types import Famille, Nature
from presentation.effets import methode_markdown as methode_effets

__all__ = ["FAMILLES", "NOTIONS", "frame", "markdown", "rows"]

NOTIONS: tuple[tuple[str, str], ...] = (
    ("Période", "Du premier au dernier jour choisis, tous deux inclus."),
    (
        "Périmètre",
        (
            "Une Mission Locale, un département, une région ou la France entière, avec d'éventuels filtres sur le "
            "jeune (sexe, tranche d'âge, niveau de formation, QPV, zone FRR, RQTH) et sur le dispositif. Avec un "
            "filtre de dispositif, seuls les accompagnements de ce dispositif comptent, partout."
        ),
    ),
    (
        "Jeunes suivis",
        (
            "Les jeunes du périmètre ayant au moins un accompagnement en cours pendant la période (commencé au plus "
            "tard le dernier jour, pas terminé avant le premier). Sauf mention contraire, tous les comptages portent "
            "sur ces jeunes : un numérateur fait toujours partie de son dénominateur."
        ),
    ),
    (
        "Âge",
        "Année de début de la période moins l'année de naissance ; les moins de 16 ans comptent avec les 16-17 ans.",
    ),
    (
        "Date des données",
        "La date la plus récente d'un jalon enregistré : les durées qui courent encore s'arrêtent à cette date.",
    ),
    ("Durées", "En jours calendaires ; 6 mois = 183 jours, 12 mois = 365 jours, 1 mois = 30,4375 jours."),
    (
        "Taux",
        (
            "100 × numérateur ÷ dénominateur, arrondi au dixième ; pas de valeur quand le dénominateur est nul. "
            "Pour plusieurs structures, on additionne les numérateurs et les dénominateurs avant de diviser."
        ),
    ),
    ("Arrondis", "Au plus proche, la moitié vers le haut (1,25 donne 1,3)."),
    (
        "Secret statistique",
        (
            "La structure voit ses propres chiffres exacts. Hors de la structure qui les détient (Département, "
            "bureau national), chaque chiffre est légèrement perturbé (« ≈ », de quelques unités au plus), "
            "toujours de la même façon pour les mêmes jeunes, de sorte qu'aucun petit effectif ne se retrouve par "
            "différence entre deux chiffres (périmètres, filtres, périodes, ventilations) ; les effectifs de 1 à 10 "
            "sont masqués (« < 11 », « secret » pour un taux), jamais remplacés par 0."
        ),
    ),
)


def rows() -> list[dict[str, object]]:
    """One dict per indicator, in the registry's order, with every text a reader needs."""
    out = []
    for d in REGISTRY.values():
        out.append(
            {
                "famille": d.famille.value,
                "famille_libelle": FAMILLES[d.famille],
                "code": d.code,
                "libelle": d.libelle,
                "definition": d.definition,
                "numerateur": d.numerateur,
                # a count has denominator 1, as DHIS2 writes it
                "denominateur": "1" if d.denominateur is None else d.denominateur,
                "facteur": d.facteur,
                "unite": d.unite,
                "sens": SENS[d.sens],
                "niveau": NIVEAUX[d.niveau],
                "decimales": d.decimales,
                "precision": d.precision,
            }
        )
    return out


def frame() -> pd.DataFrame:
    """The same rows as a DataFrame (a page's table, the PDF annex)."""
    return pd.DataFrame(rows())


def _parameters_markdown() -> list[str]:
    from indicators.models.impact import load_parameters, parameters_table

    table = parameters_table(load_parameters())
    lines = [
        "## Paramètres du modèle d'impact",
        "",
        (
            f"Version des paramètres : {table.attrs.get('version', '')}. Coûts évités nets = coûts évités bruts "
            "× (1 − effet d'aubaine) × (1 − part des autres acteurs) ; les cas prudent et favorable sont montrés à côté."
        ),
        "",
        "| Paramètre | Valeur | Cas prudent | Cas favorable | Source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in table.itertuples():
        lines.append(f"| {r.libelle} | {_fr(r.valeur)} | {_fr(r.bas)} | {_fr(r.haut)} | {r.source} |")
    return lines + [""]


def _fr(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def markdown(with_parameters: bool = True) -> str:
    """The whole methodology as Markdown: common notions, each family's indicators, impact parameters."""
    lines = [
        "# Méthodologie des indicateurs",
        "",
        (
            f"Version des définitions : {REGISTRY_VERSION}. Chaque chiffre de l'application, des rapports et des "
            "exports est calculé une seule fois, selon les définitions ci-dessous."
        ),
        "",
        "## Notions communes",
        "",
    ]
    lines += [f"- **{name}** : {text}" for name, text in NOTIONS]
    lines.append("")
    by_family = {f: [r for r in rows() if r["famille"] == f.value] for f in Famille}
    for famille, entries in by_family.items():
        lines += [f"## {FAMILLES[famille]}", ""]
        for r in entries:
            lines += [f"### {r['libelle']} (`{r['code']}`)", "", str(r["definition"]), ""]
            if r["precision"]:
                lines += [f"Règle de calcul : {r['precision']}", ""]
            lines.append(f"- Numérateur : {r['numerateur']}")
            if REGISTRY[str(r["code"])].nature is Nature.RATIO:
                lines.append(f"- Dénominateur : {r['denominateur']} (valeur = 100 × numérateur ÷ dénominateur)")
            elif r["denominateur"] != "1":
                lines.append(f"- Divisé par : {r['denominateur']}")
            lines.append(f"- Unité : {r['unite']} ; sens : {r['sens']} ; niveau : {r['niveau']}")
            lines.append("")
    if with_parameters:
        lines += _parameters_markdown()
    lines += ["", methode_effets()]
    return "\n".join(lines)
