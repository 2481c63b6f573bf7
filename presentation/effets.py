"""The French words of « Ce qui marche »: labels, the reading of a row, the table, the method.

One place for the page, the PDF report and the command line. The words are chosen for a
sceptical reader: an action is « associée à » a difference, never its cause, and an interval
that crosses zero is « non démontré ».
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from indicators.effets_registry import ACTION, ACTIONS, RESULTAT, RESULTATS
from indicators.models.effets import (
    LIBELLES_COVARIABLES,
    MAX_STRUCTURES,
    MIN_LIGNES,
    PROPENSITE_MAX,
    SMD_CIBLE,
    Effet,
    Equilibre,
    Resultats,
)
from presentation.formats import NNBSP, date_fr, entier, nombre
from presentation.theme import DEFAVORABLE, FAVORABLE, NEUTRE

TITRE = "Ce qui marche"
NON_DEMONTRE = "non démontré"
MASQUE = "masqué (secret statistique)"
TRAITEMENTS = {
    "exact": "valeurs exactes",
    "masque": "masqué : moins de 11 jeunes d'un côté",
    "perturbe": "effectifs légèrement perturbés (secret statistique)",
}
COLONNES = {
    "action": "Action",
    "resultat": "Résultat",
    "effet": "Écart ajusté (points)",
    "ic": "Intervalle à 95 %",
    "brute": "Écart brut (points)",
    "traites": "Jeunes ayant reçu l'action",
    "temoins": "Jeunes comparables sans l'action",
    "e_value": "E-value (estimation / borne)",
    "lecture": "Lecture",
}


def points(value: float | None, signe: bool = True) -> str:
    """`+12,5 pts`, `−3,0 pts`, `—`."""
    if value is None:
        return "—"
    text = nombre(abs(value), 1)
    prefix = ("+" if value > 0 else "−" if value < 0 else "") if signe else ("−" if value < 0 else "")
    return f"{prefix}{text}{NNBSP}pts"


def intervalle(e: Effet) -> str:
    if e.ic_bas is None:
        return "—"
    return f"[{points(e.ic_bas)} ; {points(e.ic_haut)}]"


def e_values(e: Effet) -> str:
    if e.e_value is None:
        return "—"
    borne = "—" if e.e_value_ic is None else nombre(e.e_value_ic, 2)
    return f"{nombre(e.e_value, 2)} / {borne}"


def statut(e: Effet) -> str:
    """« associé à plus », « associé à moins », « non démontré » or « masqué »."""
    if e.traitement == "masque":
        return MASQUE
    if not e.demontre:
        return NON_DEMONTRE
    return "associé à plus" if e.effet_points > 0 else "associé à moins"


def lecture(e: Effet) -> str:
    """One sentence a director can read aloud."""
    action, resultat = ACTION[e.action].libelle.lower(), RESULTAT[e.resultat].libelle.lower()
    if e.traitement == "masque":
        return f"{ACTION[e.action].libelle} → {resultat} : masqué, moins de 11 jeunes d'un côté de la comparaison."
    if not e.demontre:
        return (
            f"{ACTION[e.action].libelle} → {resultat} : écart de {points(e.effet_points)}, intervalle "
            f"{intervalle(e)} qui contient zéro : effet non démontré."
        )
    sens = "plus" if e.effet_points > 0 else "moins"
    return (
        f"Une {action} dans le mois est associée à {points(abs(e.effet_points), signe=False)} de {sens} "
        f"pour « {resultat} » que chez des jeunes comparables sans elle ({intervalle(e)} ; écart brut "
        f"{points(e.difference_brute)})."
        if e.action != "entree_cej"
        else f"L'entrée en CEJ est associée à {points(abs(e.effet_points), signe=False)} de {sens} pour "
        f"« {resultat} » que chez des jeunes comparables entrés dans un autre dispositif ({intervalle(e)})."
    )


def favorable(e: Effet) -> bool | None:
    """True when the association goes the good way (more jobs, fewer ruptures); None when not shown."""
    if e.traitement == "masque" or not e.demontre:
        return None
    return (e.effet_points > 0) == RESULTAT[e.resultat].hausse_favorable


def table(resultats: Resultats) -> pd.DataFrame:
    """The table of the page and the report, French headers, figures as text."""
    rows = [
        {
            COLONNES["action"]: ACTION[e.action].libelle,
            COLONNES["resultat"]: RESULTAT[e.resultat].libelle,
            COLONNES["effet"]: points(e.effet_points),
            COLONNES["ic"]: intervalle(e),
            COLONNES["brute"]: points(e.difference_brute),
            COLONNES["traites"]: entier(e.n_traites),
            COLONNES["temoins"]: entier(e.n_temoins),
            COLONNES["e_value"]: e_values(e),
            COLONNES["lecture"]: statut(e),
        }
        for e in resultats.effets
    ]
    return pd.DataFrame(rows, columns=list(COLONNES.values()))


def graphique(resultats: Resultats) -> pd.DataFrame:
    """The forest plot's rows (shown rows only): labels, point, bounds, status."""
    rows = []
    for e in resultats.effets:
        if e.traitement == "masque":
            continue
        rows.append(
            {
                "action": ACTION[e.action].libelle,
                "resultat": RESULTAT[e.resultat].libelle,
                "effet": e.effet_points,
                "ic_bas": e.ic_bas,
                "ic_haut": e.ic_haut,
                "brute": e.difference_brute,
                "statut": "démontré" if e.demontre else NON_DEMONTRE,
                "sens": {True: "favorable", False: "défavorable", None: NON_DEMONTRE}[favorable(e)],
                "texte": f"{points(e.effet_points)} {intervalle(e)}",
            }
        )
    return pd.DataFrame(rows, columns=["action", "resultat", "effet", "ic_bas", "ic_haut", "brute", "statut", "sens", "texte"])


ACTION_LIBELLES = {a.code: a.libelle for a in ACTIONS}
SENS = ["favorable", "défavorable", NON_DEMONTRE]


def foret(resultats: Resultats, largeur: int = 420) -> alt.HConcatChart:
    """The forest plot: one line per (action, outcome), the point and its 95 % interval against zero.

    Colour says whether the association goes the good way (Okabe-Ito blue) or the bad way
    (vermillion), grey when not shown; the shape (filled circle / hollow diamond) and the dashed
    interval and the label « non démontré » carry the same thing without colour.
    """
    data = graphique(resultats)
    data["ligne"] = data["action"] + " → " + data["resultat"].str.replace(" dans les 6 mois", "", regex=False)
    data["etiquette"] = data["texte"] + data["statut"].map({NON_DEMONTRE: "  non démontré", "démontré": ""})
    order = list(dict.fromkeys(data["ligne"]))
    y = alt.Y("ligne:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    couleur = alt.Color("sens:N", title="Sens", scale=alt.Scale(domain=SENS, range=[FAVORABLE, DEFAVORABLE, NEUTRE]))
    forme = alt.Shape("statut:N", title="Intervalle", scale=alt.Scale(domain=["démontré", NON_DEMONTRE], range=["circle", "diamond"]))
    tip = [
        alt.Tooltip("action:N", title="Action"),
        alt.Tooltip("resultat:N", title="Résultat"),
        alt.Tooltip("texte:N", title="Écart ajusté [IC 95 %]"),
        alt.Tooltip("brute:Q", title="Écart brut (points)", format="+.1f"),
        alt.Tooltip("statut:N", title="Lecture"),
    ]
    base = alt.Chart(data)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#333333", strokeWidth=1).encode(x="x:Q")
    barres = base.mark_rule(strokeWidth=2).encode(
        y=y,
        x=alt.X("ic_bas:Q", title="Écart ajusté en points de pourcentage (intervalle à 95 %)"),
        x2="ic_haut:Q",
        color=couleur,
        strokeDash=alt.StrokeDash("statut:N", legend=None, scale=alt.Scale(domain=["démontré", NON_DEMONTRE], range=[[1, 0], [4, 3]])),
        tooltip=tip,
    )
    points_ = base.mark_point(size=80, strokeWidth=2).encode(
        y=y,
        x="effet:Q",
        color=couleur,
        shape=forme,
        fill=alt.condition(alt.datum.statut == "démontré", alt.Color("sens:N", scale=alt.Scale(domain=SENS, range=[FAVORABLE, DEFAVORABLE, NEUTRE]), legend=None), alt.value("white")),
        tooltip=tip,
    )
    plot = alt.layer(zero, barres, points_).properties(width=largeur, height=alt.Step(22))
    figures = (
        base.mark_text(align="left", fontSize=11, color="#333333")
        .encode(y=alt.Y("ligne:N", sort=order, axis=None), text="etiquette:N")
        .properties(width=270, height=alt.Step(22))
    )
    return alt.hconcat(plot, figures, spacing=6)


def equilibre(eq: Equilibre) -> pd.DataFrame:
    """The balance of one action: each covariate level's standardised difference before and after."""
    df = eq.smd.copy()
    variable = df["variable"].str.split("=", n=1, expand=True) if len(df) else pd.DataFrame({0: [], 1: []})
    return pd.DataFrame(
        {
            "Caractéristique": [LIBELLES_COVARIABLES.get(v, v) for v in variable[0]],
            "Modalité": variable[1] if len(df) else [],
            "Écart standardisé avant": [nombre(v, 2) for v in df["smd_avant"]],
            "Écart standardisé après": [nombre(v, 2) for v in df["smd_apres"]],
        }
    )


def resume_equilibre(resultats: Resultats) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Action": ACTION[eq.action].libelle,
                "Mois-jeunes comparés": entier(eq.n_lignes),
                "dont avec l'action": entier(eq.n_lignes_traitees),
                "Laissés de côté (sans comparable)": entier(eq.hors_support),
                "Plus grand écart standardisé avant": nombre(eq.smd_max_avant, 2),
                "après pondération": nombre(eq.smd_max_apres, 2),
                "Équilibre atteint (< 0,1)": "oui" if eq.smd_max_apres < SMD_CIBLE else "non",
            }
            for eq in resultats.equilibres
        ]
    )


def exclusions(resultats: Resultats) -> list[str]:
    return [f"{ACTION[a].libelle} : {motif}." for a, motif in resultats.exclues]


def contexte(resultats: Resultats) -> str:
    territoire = "de la même structure" if resultats.territoire == "structure" else "du même département"
    return (
        f"Comparaisons faites le premier jour de chaque mois de la période ({resultats.mois} mois dont le recul de "
        f"6 mois est atteint au {date_fr(resultats.as_of)}), entre jeunes {territoire}."
    )


METHODE = f"""
## {TITRE} : effets associés aux actions

**La question.** Les jeunes qui reçoivent une action de la Mission Locale (une immersion, un partenaire
mobilisé, un droit ouvert, une aide du FAJ, la reprise d'un contact, l'entrée en CEJ) ont-ils ensuite plus
souvent un emploi, une formation, ou moins souvent une rupture ou une entrée au RSA, **que des jeunes
comparables qui ne l'ont pas reçue au même moment** ?

**Le dispositif de comparaison.** Le premier jour de chaque mois, chaque jeune en accompagnement actif qui
n'a pas encore reçu l'action est « éligible » ; ceux qui la reçoivent dans le mois sont comparés aux autres
(dont certains la recevront plus tard : on compare « l'action ce mois-ci » à « pas ce mois-ci »). Le résultat
est observé dans les 6 mois (183 jours) qui suivent le premier jour du mois, pour les deux groupes ; seuls les
mois dont ces 6 mois sont écoulés à la date des données comptent. Pour la reprise d'un contact, sont éligibles
les jeunes sans entretien, atelier ni contact le mois précédent ; pour l'entrée en CEJ, les jeunes dont
l'accompagnement a commencé le mois précédent (CEJ contre autre dispositif).

**L'ajustement.** Un modèle logistique (statsmodels) estime pour chaque mois-jeune la probabilité de recevoir
l'action (le score de propension) selon ce qui est connu ce jour-là : structure (ou département au-delà de
{MAX_STRUCTURES} structures), dispositif, tranche d'âge, sexe, niveau de formation, QPV, FRR, RQTH, ancienneté dans
l'accompagnement, année, emploi, formation, rupture ou décrochage, risque de rupture et RSA antérieurs, nombre
d'entretiens et de contacts des trois mois précédents. Les jeunes sans l'action sont pondérés par e/(1 − e) :
ils ressemblent alors, en moyenne, à ceux qui l'ont reçue (effet moyen chez les bénéficiaires). L'équilibre est
vérifié : l'écart standardisé de chaque caractéristique entre les deux groupes doit rester sous {nombre(SMD_CIBLE, 1)}
après pondération ; il est affiché.

**Le recouvrement.** Une modalité où personne n'a reçu l'action (ou où tout le monde l'a reçue) n'offre pas de
comparaison : ses mois-jeunes sont laissés de côté, comme ceux dont la propension dépasse
{nombre(PROPENSITE_MAX, 2)} et les jeunes sans l'action dont la propension est inférieure à la plus petite des
bénéficiaires. Une action avec moins de {MIN_LIGNES} mois-jeunes d'un côté n'est pas estimée. Le nombre de lignes laissées
de côté est affiché.

**L'incertitude.** L'écart ajusté (en points de pourcentage) et son intervalle de confiance à 95 % viennent d'une
régression pondérée du résultat sur l'action, avec des erreurs types robustes (sandwich) regroupées par jeune, car
un même jeune compte plusieurs mois. L'écart brut, sans ajustement, est donné à côté : la différence entre les deux
montre ce que l'ajustement corrige. Un intervalle qui contient zéro signifie **effet non démontré**.

**La sensibilité (E-value).** L'E-value (VanderWeele et Ding, 2017) est calculée sur le rapport des risques
(taux chez les bénéficiaires ÷ taux ajusté des comparables) : c'est la force minimale, en rapport de risques,
qu'un facteur de confusion non mesuré devrait avoir à la fois avec l'action et avec le résultat pour expliquer
entièrement l'écart observé. La seconde valeur porte sur la borne de l'intervalle la plus proche de zéro (1 si
l'intervalle contient zéro). Une E-value proche de 1 signifie qu'un facteur modeste suffirait ; elle ne dit pas
qu'un tel facteur existe, ni qu'il n'existe pas.

**Les hypothèses.** Cette estimation n'a un sens causal que si (1) aucun facteur non mesuré n'influence à la fois
le fait de recevoir l'action et le résultat (motivation, réseau, santé, offre d'emploi locale non saisis) ;
(2) chaque jeune avait une chance réelle de recevoir ou non l'action (positivité) ; (3) l'action est la même pour
tous (une immersion d'un jour et d'un mois comptent pareil) et un jeune n'est pas affecté par l'action reçue par
un autre ; (4) les jalons sont saisis de façon complète et datée. Aucune de ces hypothèses ne se vérifie dans
les données : c'est pourquoi l'application dit « associé à », jamais « cause ».

**Les limites.** Les jalons saisis au moment d'une sortie positive (une immersion notée juste avant un emploi déjà
trouvé) peuvent gonfler une association. Plusieurs actions et résultats sont comparés : sur 30 couples, un ou
deux intervalles peuvent exclure zéro par hasard. Un petit périmètre (une structure) donne des intervalles larges.
Hors de la structure, une ligne dont un groupe compte moins de 11 jeunes est masquée.
"""


def methode_markdown() -> str:
    return METHODE.strip()


__all__ = [
    "ACTIONS", "ACTION_LIBELLES", "COLONNES", "METHODE", "RESULTATS", "TITRE", "contexte", "equilibre", "exclusions", "favorable",
    "foret", "graphique", "intervalle", "lecture", "methode_markdown", "points", "resume_equilibre", "statut", "table",
]  # fmt: skip
