"""The charts of the impact view, shared by the page and the PDF: pure builders (data in, chart out).

Each chart carries its meaning in more than colour (labels written on the
bars, dashes and point shapes for series, facets named in words), and each has
`table_*` beside it: the same figures as a table for the page's « voir les
chiffres » and the PDF. `png` renders a chart for the PDF with the same French
locale as the page.
"""

from __future__ import annotations

from functools import lru_cache

import altair as alt
import numpy as np
import pandas as pd

from indicators.dimensions import DIMENSIONS
from indicators.registry import REGISTRY
from indicators.types import Famille, Nature
from presentation.formats import euros, nombre, pourcent
from presentation.theme import DASHES, DEFAVORABLE, FAVORABLE, NEUTRE, PALETTE, SHAPES, french

LARGEUR = 560
ISSUE_ORDRE = ["Évitées", "Survenues", "En cours"]
ISSUE_COULEURS = [FAVORABLE, DEFAVORABLE, NEUTRE]


def _unite_famille(data: pd.DataFrame) -> Nature:
    natures = {REGISTRY[c].nature for c in data["code"].unique()} if len(data) else {Nature.COUNT}
    return natures.pop() if len(natures) == 1 else Nature.NUMBER


def _axe(nature: Nature) -> tuple[str, str]:
    """(d3 format, axis title) for a nature of figure."""
    if nature is Nature.RATIO:
        return ".0f", "%"
    if nature is Nature.EUROS:
        return ",.0f", "€"
    return ",.0f", ""


def texte_valeur(code: str, valeur) -> str:
    """A figure in French with its unit, for labels and tables."""
    if valeur is None or (isinstance(valeur, float) and np.isnan(valeur)) or valeur is pd.NA:
        return "—"
    ind = REGISTRY[code]
    if ind.nature is Nature.RATIO:
        return pourcent(float(valeur), ind.decimales)
    if ind.nature is Nature.EUROS:
        return euros(float(valeur), 0)
    return nombre(float(valeur), ind.decimales)


# A legend whose labels are never cut (Vega's default cuts at 160 px: « Allocations RSA évitées … »), one per line.
LEGENDE = alt.Legend(labelLimit=0, orient="bottom", direction="vertical", columns=1, symbolLimit=0)


def _couleurs(order: list[str]) -> alt.Color:
    """Series colours; with shapes and dashes on the same explicit domain, Vega-Lite draws ONE legend."""
    return alt.Color("libelle:N", title=None, scale=alt.Scale(domain=order, range=PALETTE[: len(order)]), legend=LEGENDE)


def _formes(order: list[str]) -> alt.Shape:
    return alt.Shape("libelle:N", title=None, scale=alt.Scale(domain=order, range=SHAPES[: len(order)]), legend=LEGENDE)


def _dashes(order: list[str]) -> alt.StrokeDash:
    return alt.StrokeDash("libelle:N", title=None, scale=alt.Scale(domain=order, range=(DASHES * 3)[: len(order)]), legend=LEGENDE)


# --- monthly trends -------------------------------------------------------------------------------------
def tendance(data: pd.DataFrame, famille: Famille) -> alt.LayerChart:
    """Monthly lines of a family; series told apart by colour, dash and point shape; the incomplete month marked."""
    d = data[data["famille"] == famille.value].copy() if "famille" in data else data.copy()
    d["valeur"] = pd.to_numeric(d["valeur"], errors="coerce").astype(float)
    d["etat"] = np.where(d["incomplet"].astype(bool), "mois incomplet", "mois complet")
    d["texte"] = [texte_valeur(c, v) for c, v in zip(d["code"], d["valeur"])]
    fmt, titre = _axe(_unite_famille(d))
    order = list(dict.fromkeys(d["libelle"]))
    base = alt.Chart().encode(
        x=alt.X("mois:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount="month", labelOverlap=True)),
        y=alt.Y("valeur:Q", title=titre, axis=alt.Axis(format=fmt)),
    )
    lines = base.mark_line().encode(color=_couleurs(order), strokeDash=_dashes(order))
    points = base.mark_point(size=70, filled=True).encode(
        color=_couleurs(order),
        shape=_formes(order),
        tooltip=[
            alt.Tooltip("libelle:N", title="Indicateur"),
            alt.Tooltip("mois:T", title="Mois", format="%B %Y"),
            alt.Tooltip("texte:N", title="Valeur"),
            alt.Tooltip("etat:N", title="État"),
        ],
    )
    layers = [lines, points]
    incomplete = d[d["incomplet"].astype(bool)].drop_duplicates("mois")
    if len(incomplete):
        marks = alt.Chart(incomplete).encode(x="mois:T")
        layers.append(marks.mark_rule(strokeDash=[3, 3], color=NEUTRE))
        layers.append(
            marks.mark_text(align="right", baseline="top", dx=-4, dy=2, color="#333333", fontSize=11).encode(
                y=alt.value(0), text=alt.value("mois incomplet")
            )
        )
    return alt.layer(*layers, data=d, width=LARGEUR, height=260)  # the data once, on the layer (see `barres`)


def table_tendance(data: pd.DataFrame, famille: Famille | None = None) -> pd.DataFrame:
    """The trend as a table: month, indicator, value (French), masked or incomplete months said in words."""
    d = data if famille is None else data[data["famille"] == famille.value]
    rows = []
    for r in d.itertuples(index=False):
        shown = "secret" if getattr(r, "masque", False) else texte_valeur(r.code, r.valeur)
        rows.append(
            {
                "Mois": pd.Timestamp(r.mois).strftime("%m/%Y"),
                "Indicateur": r.libelle,
                "Valeur": shown,
                "Remarque": "mois incomplet" if r.incomplet else "",
            }
        )
    return pd.DataFrame(rows, columns=["Mois", "Indicateur", "Valeur", "Remarque"])


# --- breakdowns ---------------------------------------------------------------------------------------------
def titre_ventilation(table: pd.DataFrame) -> str:
    """« Accès à l'emploi, par quartier prioritaire (QPV) »: the title of one breakdown (page and PDF)."""
    nom = DIMENSIONS[table["dimension"].iloc[0]]
    return f"{REGISTRY[table['code'].iloc[0]].libelle}, par {nom[0].lower()}{nom[1:]}"


def barres(table: pd.DataFrame, titre: str = "", largeur: int = LARGEUR - 140) -> alt.LayerChart:
    """Horizontal bars of a breakdown (Total row left out), each with its value written (masked: « < 11 »)."""
    d = table[table["modalite"] != "Total"].copy()
    d["valeur"] = pd.to_numeric(d["valeur"], errors="coerce").astype(float)
    d["valeur_barre"] = d["valeur"].fillna(0.0)
    code = str(d["code"].iloc[0]) if "code" in d and len(d) else "jeunes_suivis"
    fmt, unite = _axe(REGISTRY[code].nature)
    order = list(d["libelle"])
    y = alt.Y("libelle:N", title=None, sort=order, axis=alt.Axis(labelLimit=220, labelOverlap=False))
    x = alt.X("valeur_barre:Q", title=unite or None, axis=alt.Axis(format=fmt))
    bars = alt.Chart().mark_bar(color=PALETTE[0]).encode(
        y=y, x=x, tooltip=[alt.Tooltip("libelle:N", title="Modalité"), alt.Tooltip("affichage:N", title="Valeur")]
    )
    labels = alt.Chart().mark_text(align="left", dx=4, color="#222222").encode(y=y, x=x, text="affichage:N")
    # A height per bar (not a total): the page's "fit" sizing cannot squeeze the bars under the title and axis.
    # Data and sizes given to the layer itself: no copy of the parts (`.properties`), no hash of their data.
    return alt.layer(bars, labels, data=d, width=largeur, height=alt.Step(24), title=titre)


def barres_groupees(tables: list[pd.DataFrame], titres: list[str], colonnes: int = 2) -> alt.VConcatChart:
    """Several breakdowns side by side in one picture (the PDF: one image per theme)."""
    charts = [barres(t, titre, largeur=230) for t, titre in zip(tables, titres, strict=True)]
    rows = [alt.hconcat(*charts[i : i + colonnes], spacing=90) for i in range(0, len(charts), colonnes)]
    return alt.vconcat(*rows, spacing=25)


def table_ventilation(table: pd.DataFrame) -> pd.DataFrame:
    """A breakdown as a table: modality and the value as shown (masked cells said so)."""
    return pd.DataFrame({"Modalité": table["libelle"].astype(str), "Valeur": table["affichage"].astype(str)})


def risques(data: pd.DataFrame) -> alt.FacetChart:
    """Risks of rupture by domaine, one panel per outcome (averted, occurred, still open), values written."""
    d = data.copy()
    d["valeur"] = pd.to_numeric(d["valeur"], errors="coerce").astype(float)
    d["valeur_barre"] = d["valeur"].fillna(0.0)
    order = list(dict.fromkeys(d["libelle"]))
    y = alt.Y("libelle:N", title=None, sort=order, axis=alt.Axis(labelLimit=140, labelOverlap=False))
    x = alt.X("valeur_barre:Q", title=None, axis=alt.Axis(format=",.0f", tickMinStep=1))
    color = alt.Color("issue:N", title=None, sort=ISSUE_ORDRE, scale=alt.Scale(domain=ISSUE_ORDRE, range=ISSUE_COULEURS), legend=None)
    bars = alt.Chart().mark_bar().encode(
        y=y, x=x, color=color,
        tooltip=[alt.Tooltip("libelle:N", title="Domaine"), alt.Tooltip("issue:N", title="Issue"), alt.Tooltip("affichage:N", title="Nombre")],
    )
    labels = alt.Chart().mark_text(align="left", dx=3, color="#222222").encode(y=y, x=x, text="affichage:N")
    return (
        alt.layer(bars, labels, data=d)
        .properties(width=150, height=alt.Step(22))
        .facet(column=alt.Column("issue:N", title=None, sort=ISSUE_ORDRE, header=alt.Header(labelFontSize=13, labelFontWeight="bold")))
        .resolve_scale(x="shared")
    )


def risques_panneaux(data: pd.DataFrame) -> list[alt.LayerChart]:
    """The same as `risques`, one chart per outcome (titled in words), for a page whose columns stack on a phone."""
    d = data.copy()
    d["valeur"] = pd.to_numeric(d["valeur"], errors="coerce").astype(float)
    d["valeur_barre"] = d["valeur"].fillna(0.0)
    order = list(dict.fromkeys(d["libelle"]))
    top = max(1.0, float(d["valeur_barre"].max() or 0))
    out = []
    for issue, couleur in zip(ISSUE_ORDRE, ISSUE_COULEURS, strict=True):
        part = d[d["issue"] == issue]
        y = alt.Y("libelle:N", title=None, sort=order, axis=alt.Axis(labelLimit=140, labelOverlap=False))
        x = alt.X("valeur_barre:Q", title=None, scale=alt.Scale(domain=[0, top * 1.15]), axis=alt.Axis(format=",.0f", tickMinStep=1))
        bars = alt.Chart(part).mark_bar(color=couleur).encode(
            y=y, x=x, tooltip=[alt.Tooltip("libelle:N", title="Domaine"), alt.Tooltip("affichage:N", title="Nombre")]
        )
        labels = alt.Chart(part).mark_text(align="left", dx=3, color="#222222").encode(y=y, x=x, text="affichage:N")
        out.append(alt.layer(bars, labels).properties(height=alt.Step(22), title=issue))
    return out


def table_risques(data: pd.DataFrame) -> pd.DataFrame:
    """Domaines in rows, outcomes in columns, values as shown."""
    wide = data.pivot_table(index="libelle", columns="issue", values="affichage", aggfunc="first", sort=False)
    wide = wide.reindex(columns=[c for c in ISSUE_ORDRE if c in wide.columns])
    return wide.reset_index().rename(columns={"libelle": "Domaine", "Évitées": "Ruptures évitées", "Survenues": "Ruptures survenues", "En cours": "Risques en cours"})


# --- RSA cohort curve ------------------------------------------------------------------------------------
def courbe_rsa(data: pd.DataFrame) -> alt.LayerChart:
    """Share still on the RSA t months after entering it, a step line per year of entry."""
    d = data.copy()
    d["part"] = pd.to_numeric(d["survie"], errors="coerce").astype(float) * 100
    d["mois"] = d["t"].round().astype(int)
    d["texte"] = [pourcent(v, 1) if not np.isnan(v) else "secret" for v in d["part"]]
    order = list(dict.fromkeys(d["libelle"]))
    base = alt.Chart(d).encode(
        x=alt.X("mois:Q", title="Mois après l'entrée au RSA", axis=alt.Axis(tickMinStep=3, values=list(range(0, 25, 3)))),
        y=alt.Y("part:Q", title="% encore au RSA", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(format=".0f")),
    )
    lines = base.mark_line(interpolate="step-after").encode(color=_couleurs(order), strokeDash=_dashes(order))
    points = base.transform_filter("datum.mois % 3 == 0").mark_point(size=50, filled=True).encode(
        color=_couleurs(order),
        shape=_formes(order),
        tooltip=[alt.Tooltip("libelle:N", title="Cohorte"), alt.Tooltip("mois:Q", title="Mois"), alt.Tooltip("texte:N", title="Encore au RSA")],
    )
    return alt.layer(lines, points).properties(width=LARGEUR, height=280)


def table_courbe(data: pd.DataFrame) -> pd.DataFrame:
    """The curve every 3 months: cohort, months, share still on the RSA, spells followed then."""
    d = data[data["t"].round().astype(int) % 3 == 0]
    rows = []
    for r in d.itertuples(index=False):
        part = r.survie
        shown = "secret" if part is pd.NA or part is None or np.isnan(float(part)) else pourcent(float(part) * 100, 1)
        suivis = r.a_risque
        rows.append(
            {
                "Cohorte": r.libelle,
                "Mois après l'entrée": round(float(r.t)),
                "Encore au RSA": shown,
                "Épisodes encore suivis": "< 11" if suivis is pd.NA or suivis is None else nombre(float(suivis)),
            }
        )
    return pd.DataFrame(rows, columns=["Cohorte", "Mois après l'entrée", "Encore au RSA", "Épisodes encore suivis"])


# --- avoided costs ------------------------------------------------------------------------------------------
def cascade(data: pd.DataFrame) -> alt.LayerChart:
    """The waterfall from gross to net avoided costs, one horizontal bar per step.

    Each step is named on its own bar's label (« Effet d'aubaine : − 94 881 € »)
    as well as on the axis, so no bar is ever left without its name even when a
    narrow screen drops axis labels; totals in blue, deductions in vermillion.
    """
    d = data.copy()
    d["texte"] = [texte_etape(e, m, t) for e, m, t in zip(d["etape"], d["montant"], d["type"])]
    d["nature"] = np.where(d["type"] == "total", "Montant", "Déduction")
    d["droite"] = d[["cumul_debut", "cumul_fin"]].max(axis=1)
    order = list(d["etape"])
    y = alt.Y("etape:N", title=None, sort=order, axis=alt.Axis(labelLimit=0, labelOverlap=False))
    bars = alt.Chart(d).mark_bar(size=26).encode(
        y=y,
        # room on the right for the labels written after the bars
        x=alt.X("cumul_debut:Q", title="€", axis=alt.Axis(format=",.0f"),
                scale=alt.Scale(domain=[0, max(1.0, float(d["droite"].max())) * 1.8], nice=False)),
        x2="cumul_fin:Q",
        color=alt.Color("nature:N", title=None, scale=alt.Scale(domain=["Montant", "Déduction"], range=[FAVORABLE, DEFAVORABLE])),
        tooltip=[alt.Tooltip("etape:N", title="Étape"), alt.Tooltip("texte:N", title="Montant")],
    )
    labels = alt.Chart(d).mark_text(align="left", dx=4, color="#222222", fontWeight="bold").encode(
        y=y, x="droite:Q", text="texte:N"
    )
    return alt.layer(bars, labels).properties(width=LARGEUR - 200, height=alt.Step(44))


def texte_etape(etape: str, montant: float, type_: str) -> str:
    """The label of one step of the waterfall: its name and its amount (« Effet d'aubaine : − 94 881 € »)."""
    nom = etape.removeprefix("− ").strip()
    nom = nom[0].upper() + nom[1:]
    return f"{nom} : {euros(abs(montant), 0)}" if type_ == "total" else f"{nom} : − {euros(abs(montant), 0)}"


def table_cascade(data: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in data.itertuples(index=False):
        taux = "" if r.taux is pd.NA or r.taux is None or pd.isna(r.taux) else pourcent(float(r.taux) * 100, 0)
        montant = euros(abs(float(r.montant)), 0)
        rows.append({"Étape": r.etape, "Taux appliqué": taux, "Montant": f"− {montant}" if r.montant < 0 else montant,
                     "Après l'étape": euros(float(r.cumul_fin), 0)})
    return pd.DataFrame(rows, columns=["Étape", "Taux appliqué", "Montant", "Après l'étape"])


def fourchette(data: pd.DataFrame) -> alt.LayerChart:
    """Net avoided costs in the cautious, central and favourable cases: a range, not one number."""
    d = data.copy()
    d["texte"] = [euros(v, 0) for v in d["couts_evites_nets_eur"]]
    order = list(d["libelle"])
    y = alt.Y("libelle:N", title=None, sort=order, axis=alt.Axis(labelLimit=200, labelOverlap=False))
    x = alt.X("couts_evites_nets_eur:Q", title="Allocations RSA évitées (net), €", axis=alt.Axis(format=",.0f"))
    bars = alt.Chart(d).mark_bar(color=FAVORABLE, size=22).encode(
        y=y, x=x, opacity=alt.condition("datum.cas == 'central'", alt.value(1.0), alt.value(0.55)),
        tooltip=[alt.Tooltip("libelle:N", title="Hypothèse"), alt.Tooltip("texte:N", title="Net")],
    )
    labels = alt.Chart(d).mark_text(align="left", dx=4, color="#222222").encode(y=y, x=x, text="texte:N")
    return alt.layer(bars, labels).properties(width=LARGEUR - 160, height=alt.Step(34))


def table_cas(data: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in data.itertuples(index=False):
        ratio = r.euros_par_euro_investi
        ratio_cd = getattr(r, "euros_par_euro_cd", None)
        rows.append(
            {
                "Hypothèse": r.libelle,
                "Effet d'aubaine": pourcent(r.effet_aubaine * 100, 0),
                "Part des autres acteurs": pourcent(r.part_autres_acteurs * 100, 0),
                "Brut": euros(r.couts_evites_bruts_eur, 0),
                "Net": euros(r.couts_evites_nets_eur, 0),
                "€ évités par € du Département": texte_ratio(ratio_cd),
                "€ évités par €, tous financeurs": texte_ratio(ratio),
            }
        )
    return pd.DataFrame(rows)


def texte_ratio(x) -> str:
    return "—" if x is None or pd.isna(x) else f"{nombre(float(x), 2)} €"


def texte_point_mort(a: float | None) -> str:
    """A break-even deadweight in words: a share, or « non couvert » when even no deadweight would not cover."""
    if a is None or pd.isna(a):
        return "—"
    if a < 0:
        return "non couvert, même sans effet d'aubaine"
    return f"effet d'aubaine < {pourcent(a * 100, 1)}"


def table_retours(data: pd.DataFrame) -> pd.DataFrame:
    """Each financeur's money over the period and, where the avoided RSA is its money, what it gets back."""
    rows = []
    for r in data.itertuples(index=False):
        chiffre = r.central is not None and not pd.isna(r.central)
        rows.append(
            {
                "Financeur": r.libelle,
                "Financement sur la période": euros(r.montant, 0),
                "€ de RSA évités par € (hypothèse centrale)": texte_ratio(r.central) if chiffre else "sans objet",
                "Fourchette (prudente – favorable)": f"{texte_ratio(r.bas)} – {texte_ratio(r.haut)}" if chiffre else "",
                "Point mort": texte_point_mort(r.point_mort) if chiffre else "",
                "Lecture": r.role,
            }
        )
    return pd.DataFrame(rows, columns=["Financeur", "Financement sur la période", "€ de RSA évités par € (hypothèse centrale)",
                                       "Fourchette (prudente – favorable)", "Point mort", "Lecture"])


def table_hypotheses(data: pd.DataFrame, compact: bool = False) -> pd.DataFrame:
    """The parameters with their cases, unit and source (the « hypothèses » panel and the PDF).

    `compact`: the RSA amounts in one row (dates and amounts), sources without their justification.
    """
    rows = []
    rsa = data[data["code"] == "montant_rsa_mensuel"]
    if compact and len(rsa):
        montants = " ; ".join(
            f"{euros(float(r.valeur), 2)} au {pd.Timestamp(r.depuis):%d/%m/%Y}" for r in rsa.itertuples(index=False)
        )
        first = rsa.iloc[0]
        rows.append({"Paramètre": "Montant mensuel du RSA (personne seule)", "Valeur centrale": montants,
                     "Cas prudent": "—", "Cas favorable": "—", "Source": str(first["source"])})
        data = data[data["code"] != "montant_rsa_mensuel"]
    for r in data.itertuples(index=False):
        part = r.code != "montant_rsa_mensuel"
        fmt = (lambda v: pourcent(v * 100, 0)) if part else (lambda v: euros(v, 2))
        source = r.source if compact or not r.justification else f"{r.source} — {r.justification}"
        rows.append(
            {
                "Paramètre": r.libelle,
                "Valeur centrale": fmt(r.valeur),
                "Cas prudent": fmt(r.bas) if part else "—",
                "Cas favorable": fmt(r.haut) if part else "—",
                "Source": source,
            }
        )
    return pd.DataFrame(rows, columns=["Paramètre", "Valeur centrale", "Cas prudent", "Cas favorable", "Source"])


# --- rendering for the PDF ----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _config() -> dict:
    """The page's French locale and house style as a Vega-Lite `config` (computed once)."""
    return french(alt.Chart(pd.DataFrame({"x": [0]})).mark_point().encode(x="x:Q")).to_dict(validate=False)["config"]


def png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as a PNG, with the page's French locale and style (vl-convert, no browser).

    The config is added to the spec as a dict: `french(chart)` would deep-copy the
    whole chart with its data first, which costs more than the drawing.
    """
    import vl_convert as vlc

    spec = chart.to_dict(validate=False)
    spec["config"] = {**_config(), **spec.get("config", {})}
    return vlc.vegalite_to_png(spec, scale=scale)
