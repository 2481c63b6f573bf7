"""The tile-grid map of the 101 départements, and the other charts of the national view.

Pure builders: a table in, an `alt.Chart` out, tested without a browser.

Every département is one equal square at its `territoires.DEPARTEMENTS[code]`
(col, row) position, so a rate is read by its colour and not by the area of
the territory. A tile says what it holds in words, never by colour alone:

* a figure: coloured on a colour-blind-safe sequential scale (light to dark
  blue), its code, short name and value written on it;
* a masked figure (secret statistique): a grey tile with a dashed outline and
  "< 11" or "secret" written on it — never drawn as 0;
* no structure in the data: an outlined white tile labelled "pas de données".

The legend says which end of the colour scale is better: the scale is turned
around for an indicator where lower is better, so that darker always means
better (and, for a volume, darker means more).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from indicators.types import Sens
from mlimpact import territoires

# Status of a tile.
VALEUR = "valeur"
MASQUE = "masque"
SANS_DONNEES = "sans_donnees"
STATUTS = {MASQUE: "secret statistique (petit effectif)", SANS_DONNEES: "pas de données"}
LIGNE = "|"  # line break inside a tile's text
PAS_DE_DONNEES = f"pas de{LIGNE}données"

SCHEME = "blues"  # one hue, light to dark: readable with every common colour-vision deficiency
SCHEME_EXTENT = (0.15, 1.0)  # skip the near-white end so a figure never looks like "no data"
MASQUE_FILL = "#C9C9C9"
SANS_DONNEES_FILL = "#FFFFFF"
CONTOUR = "#6E6E6E"
SELECTION = "departement"
DARK_TEXT_FROM = 0.55  # position on the scale (0 = lightest) from which tile text turns white
OUTRE_MER_ROW = max(d.row for d in territoires.DEPARTEMENTS.values())


def sens_legende(sens: Sens) -> str:
    """The legend's line saying which end of the scale is better."""
    if sens is Sens.HAUSSE:
        return "plus foncé = mieux (plus haut, c'est mieux)"
    if sens is Sens.BAISSE:
        return "plus foncé = mieux (plus bas, c'est mieux)"
    return "plus foncé = plus élevé (ni mieux ni moins bien)"


def tuiles(valeurs: pd.DataFrame, region: str | None = None) -> pd.DataFrame:
    """One row per département (all 101), with its position, status and the text of its tile.

    `valeurs` has one row per département present in the data: `code`,
    `valeur` (None when masked), `masque` (bool) and `affichage` (the French
    text of the figure, "< 11" or "secret" when masked). A département absent
    from it has no structure in the data: "pas de données". `region` dims the
    tiles outside that région.
    """
    given = {str(r.code): r for r in valeurs.itertuples(index=False)} if len(valeurs) else {}
    rows = []
    for code, dep in territoires.DEPARTEMENTS.items():
        r = given.get(code)
        if r is None:
            statut, valeur, texte = SANS_DONNEES, None, PAS_DE_DONNEES
        elif bool(r.masque):
            statut, valeur, texte = MASQUE, None, str(r.affichage)
        elif r.valeur is None or pd.isna(r.valeur):
            statut, valeur, texte = SANS_DONNEES, None, PAS_DE_DONNEES
        else:
            statut, valeur, texte = VALEUR, float(r.valeur), str(r.affichage)
        rows.append(
            {
                "code": code, "nom": dep.nom, "nom_court": dep.nom_court, "region": dep.region,
                "nom_region": territoires.nom_region(dep.region), "col": dep.col, "row": dep.row,
                "valeur": valeur, "statut": statut, "libelle_statut": STATUTS.get(statut, ""),
                "texte": texte, "dans_filtre": region is None or dep.region == region,
            }
        )
    return pd.DataFrame(rows)


def domaine(data: pd.DataFrame) -> list[float]:
    """The colour scale's domain: the lowest and highest shown figures (widened when they are equal)."""
    shown = data.loc[data["statut"] == VALEUR, "valeur"].astype(float)
    if shown.empty:
        return [0.0, 1.0]
    low, high = float(shown.min()), float(shown.max())
    return [low - 1, high + 1] if low == high else [low, high]


def position(valeur: float, dom: list[float], sens: Sens) -> float:
    """Where a figure sits on the colour ramp, 0 = lightest, 1 = darkest."""
    t = (valeur - dom[0]) / (dom[1] - dom[0])
    t = min(1.0, max(0.0, t))
    return 1 - t if sens is Sens.BAISSE else t


def carte(
    data: pd.DataFrame,
    titre: str,
    sens: Sens,
    format_nombre: str = ",.1f",
    tuile: int = 56,
    selection: bool = True,
    choisi: str | None = None,
) -> alt.LayerChart:
    """The map: tiles (`tuiles(...)` output) coloured by `valeur`, with codes, names and figures written on them.

    `titre` names the indicator and its unit for the legend; `sens` turns the
    scale so the darker end is the better one; `format_nombre` is the d3
    format of the legend. With `selection`, clicking a tile selects its
    département (the point selection is named `departement`, for
    `st.altair_chart(on_select=...)`). `choisi`, a département code, is
    outlined as if clicked (it may have been chosen in a list instead).
    """
    data = data.copy()
    data["choisi"] = data["code"] == choisi
    dom = domaine(data)
    data["fonce"] = [
        s == VALEUR and f and position(v, dom, sens) >= DARK_TEXT_FROM
        for v, s, f in zip(data["valeur"], data["statut"], data["dans_filtre"])
    ]
    data["texte_infobulle"] = data["texte"].str.replace(LIGNE, " ", regex=False)
    n_cols = int(max(d.col for d in territoires.DEPARTEMENTS.values())) + 1
    n_rows = OUTRE_MER_ROW + 1
    x = alt.X("col:O", axis=None, scale=alt.Scale(domain=list(range(n_cols)), paddingInner=0.08, paddingOuter=0))
    y = alt.Y("row:O", axis=None, scale=alt.Scale(domain=list(range(n_rows)), paddingInner=0.08, paddingOuter=0))
    base = alt.Chart(data).encode(x=x, y=y)
    tooltip = [
        alt.Tooltip("nom:N", title="Département"),
        alt.Tooltip("code:N", title="Code"),
        alt.Tooltip("nom_region:N", title="Région"),
        alt.Tooltip("texte_infobulle:N", title=titre),
    ]
    opacity = alt.condition("datum.dans_filtre", alt.value(1.0), alt.value(0.25))
    pick = alt.selection_point(name=SELECTION, fields=["code"], on="click", clear="dblclick", empty=False)
    highlighted = {"or": [{"param": SELECTION, "empty": False}, "datum.choisi"]} if selection else "datum.choisi"

    def when_highlighted(yes, no) -> dict:
        return {"condition": {"test": highlighted, "value": yes}, "value": no}

    stroke_width = when_highlighted(3.5, 0.6)

    stroke = when_highlighted("#000000", CONTOUR)
    figures = base.transform_filter(alt.datum.statut == VALEUR).mark_rect().encode(
        color=alt.Color(
            "valeur:Q",
            title=[titre, sens_legende(sens)],
            scale=alt.Scale(
                scheme=alt.SchemeParams(SCHEME, extent=list(SCHEME_EXTENT)),
                domain=dom,
                reverse=sens is Sens.BAISSE,
                zero=False,
                nice=False,
            ),
            legend=alt.Legend(format=format_nombre, orient="bottom", gradientLength=260, titleLimit=420),
        ),
        strokeWidth=stroke_width,
        stroke=stroke,
        opacity=opacity,
        tooltip=tooltip,
    )
    statuts = base.transform_filter(alt.datum.statut != VALEUR).mark_rect(strokeDash=[3, 2]).encode(
        fill=alt.Fill(
            "libelle_statut:N",
            title="Sans valeur",
            scale=alt.Scale(domain=[STATUTS[MASQUE], STATUTS[SANS_DONNEES]], range=[MASQUE_FILL, SANS_DONNEES_FILL]),
            legend=alt.Legend(orient="bottom", symbolStrokeColor=CONTOUR, symbolType="square", labelLimit=320),
        ),
        strokeWidth=stroke_width,
        stroke=stroke,
        opacity=opacity,
        tooltip=tooltip,
    )
    if selection:
        figures = figures.add_params(pick)
        statuts = statuts.add_params(pick)
    text_colour = alt.condition("datum.fonce", alt.value("#FFFFFF"), alt.value("#1A1A1A"))
    code_text = base.mark_text(dy=-tuile * 0.31, fontSize=11, fontWeight="bold").encode(
        text="code:N", color=text_colour, opacity=opacity, tooltip=tooltip
    )
    name_text = base.mark_text(dy=-tuile * 0.11, fontSize=max(7, tuile // 7), limit=tuile - 2).encode(
        text="nom_court:N", color=text_colour, opacity=opacity, tooltip=tooltip
    )
    size = max(7, tuile // 6)
    value_text = base.mark_text(
        dy=tuile * 0.06, fontSize=size, lineHeight=size + 1, limit=tuile - 2, lineBreak=LIGNE, baseline="top"
    ).encode(
        text="texte:N", color=text_colour, opacity=opacity, tooltip=tooltip
    )
    outre_mer = alt.Chart(pd.DataFrame({"col": [0], "row": [OUTRE_MER_ROW - 1], "t": ["Outre-mer"]})).mark_text(
        align="left", dx=-tuile * 0.45, fontSize=12, fontStyle="italic", color="#444444"
    ).encode(x=x, y=y, text="t:N")
    return alt.layer(figures, statuts, code_text, name_text, value_text, outre_mer).properties(
        width=alt.Step(tuile), height=alt.Step(tuile)
    ).resolve_scale(color="independent")


# --- the other charts of the national view ---------------------------------------------------------------
def _shown(data: pd.DataFrame) -> pd.Series:
    return data["valeur"].notna() & ~data["masque"].astype(bool)


def barres(data: pd.DataFrame, titre: str, format_nombre: str = ",.1f", reference: float | None = None,
           libelle_reference: str = "France") -> alt.LayerChart:
    """Horizontal bars of territories (`libelle`, `valeur`, `masque`, `affichage`), best read with their text.

    A masked territory keeps its row, without a bar, with "secret" or "< 11"
    written where the bar would start: it is never drawn as 0. `reference`
    (e.g. the national value) is a dashed vertical line, named in its label.
    """
    data = data.copy()
    data["barre"] = pd.to_numeric(data["valeur"], errors="coerce").astype(float).where(_shown(data))
    data["zero"] = 0.0
    order = list(data.sort_values("barre", ascending=False, na_position="last")["libelle"])
    y = alt.Y("libelle:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    tooltip = [alt.Tooltip("libelle:N", title="Territoire"), alt.Tooltip("affichage:N", title=titre)]
    bars = alt.Chart(data).transform_filter("isValid(datum.barre)").mark_bar(color=DARK_BAR).encode(
        y=y, x=alt.X("barre:Q", title=titre, axis=alt.Axis(format=format_nombre)), tooltip=tooltip
    )
    labels = alt.Chart(data).mark_text(align="left", dx=4, color="#1A1A1A").encode(
        y=y, x=alt.X("xlabel:Q"), text="affichage:N", tooltip=tooltip
    ).transform_calculate(xlabel="isValid(datum.barre) ? datum.barre : 0")
    layers = [bars, labels]
    if reference is not None:
        ref = pd.DataFrame({"ref": [reference], "nom": [libelle_reference]})
        layers.append(alt.Chart(ref).mark_rule(strokeDash=[6, 3], color="#000000").encode(x="ref:Q"))
        layers.append(
            alt.Chart(ref).mark_text(align="left", dx=4, dy=-6, color="#000000", fontStyle="italic").encode(
                x="ref:Q", y=alt.value(0), text="nom:N"
            )
        )
    return alt.layer(*layers).properties(height=alt.Step(22))


DARK_BAR = "#2C6FAD"
POINT = "#0072B2"
ATYPIQUE = "#D55E00"


def ecarts(data: pd.DataFrame, titre: str, q1: float | None, q3: float | None, national: float | None,
           atypiques: tuple[str, ...] = (), format_nombre: str = ",.1f") -> alt.LayerChart:
    """Every territory as a point on one axis, the interquartile band, the national value, the atypical ones named.

    `data`: `code`, `libelle`, `valeur`, `masque`, `affichage` (masked rows are
    left out: they have no position). Atypical territories are drawn as
    vermillion triangles with their name; the others as blue circles. Points
    are spread vertically by rank so they do not hide each other.
    """
    shown = data[_shown(data)].copy()
    shown["valeur"] = pd.to_numeric(shown["valeur"], errors="coerce").astype(float)
    shown = shown.sort_values("valeur", kind="stable").reset_index(drop=True)
    shown["etage"] = [(i % 5) - 2 for i in range(len(shown))]
    shown["groupe"] = ["atypique" if c in atypiques else "dans la norme" for c in shown["code"]]
    x = alt.X("valeur:Q", title=titre, axis=alt.Axis(format=format_nombre), scale=alt.Scale(zero=False, nice=True))
    y = alt.Y("etage:Q", axis=None, scale=alt.Scale(domain=[-3.2, 3.2]))
    layers = []
    if q1 is not None and q3 is not None:
        band = pd.DataFrame({"q1": [q1], "q3": [q3], "nom": ["moitié centrale des territoires (Q1 à Q3)"]})
        layers.append(alt.Chart(band).mark_rect(color="#BFD7EA", opacity=0.7).encode(
            x="q1:Q", x2="q3:Q", tooltip=[alt.Tooltip("nom:N", title="Bande"),
                                           alt.Tooltip("q1:Q", title="Q1", format=format_nombre),
                                           alt.Tooltip("q3:Q", title="Q3", format=format_nombre)]))
        layers.append(alt.Chart(band).mark_text(align="left", baseline="bottom", dx=3, dy=-3, fontSize=11, color="#22527A").encode(
            x="q1:Q", y=alt.value({"expr": "height"}), text=alt.value("bande interquartile")))
    tooltip = [alt.Tooltip("libelle:N", title="Territoire"), alt.Tooltip("affichage:N", title=titre),
               alt.Tooltip("groupe:N", title="Position")]
    layers.append(alt.Chart(shown).mark_point(filled=True, size=70, opacity=0.85).encode(
        x=x, y=y,
        color=alt.Color("groupe:N", title=None, scale=alt.Scale(domain=["dans la norme", "atypique"], range=[POINT, ATYPIQUE]),
                        legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("groupe:N", title=None, scale=alt.Scale(domain=["dans la norme", "atypique"], range=["circle", "triangle-up"])),
        tooltip=tooltip,
    ))
    named = shown[shown["groupe"] == "atypique"]
    if len(named):
        layers.append(alt.Chart(named).mark_text(dy=-11, fontSize=11, color="#8A3A00").encode(x=x, y=y, text="libelle:N"))
    if national is not None:
        ref = pd.DataFrame({"ref": [national], "nom": ["France"]})
        layers.append(alt.Chart(ref).mark_rule(strokeDash=[6, 3], color="#000000", strokeWidth=1.5).encode(x="ref:Q"))
        layers.append(alt.Chart(ref).mark_text(align="left", baseline="top", dx=4, dy=2, fontStyle="italic").encode(
            x="ref:Q", y=alt.value(0), text="nom:N"))
    return alt.layer(*layers).properties(height=300)


def tendance_annees(data: pd.DataFrame, titre: str, format_nombre: str = ",.1f") -> alt.LayerChart:
    """Monthly values of two periods one year apart on the same months (`rang`, `mois`, `serie`, `valeur`,
    optionally `incomplet`).

    The series are drawn in their order of first appearance in `data` (blue and solid first).
    Series differ by colour, dash and point shape; a masked month has no point
    (its row in the table says "secret"). An incomplete month (not every structure
    of the scope has reported through its end) has a hollow point and the word
    « incomplet » above it: never colour alone.
    """
    data = data if "incomplet" in data else data.assign(incomplet=False)
    data = data.assign(etat=["incomplet" if i else "complet" for i in data["incomplet"]])
    order = list(dict.fromkeys(data.sort_values("rang")["mois"]))
    series = list(dict.fromkeys(data["serie"]))  # in the order given: the later period first
    x = alt.X("mois:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("valeur:Q", title=titre, axis=alt.Axis(format=format_nombre), scale=alt.Scale(zero=False))
    courbes = alt.Chart().mark_line(point=alt.OverlayMarkDef(size=70)).encode(
        x=x, y=y,
        color=alt.Color("serie:N", title=None, sort=series, legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("serie:N", title=None, sort=series, scale=alt.Scale(range=[[1, 0], [6, 3]])),
        shape=alt.Shape("serie:N", title=None, sort=series, scale=alt.Scale(range=["circle", "square"])),
        tooltip=[alt.Tooltip("serie:N", title="Période"), alt.Tooltip("mois:N", title="Mois"),
                 alt.Tooltip("affichage:N", title=titre), alt.Tooltip("etat:N", title="État du mois")],
    )
    incomplets = alt.Chart().transform_filter("datum.incomplet").encode(x=x, y=y)
    creux = incomplets.mark_point(filled=True, size=70, fill="white", stroke="#333333", strokeWidth=2, strokeDash=[2, 2])
    mention = incomplets.mark_text(dy=-15, fontSize=11, color="#333333").encode(text=alt.value("incomplet"))
    return alt.layer(courbes, creux, mention, data=data).properties(height=320)  # the data once, on the layer
