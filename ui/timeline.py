"""The frise of one jeune's parcours (pure: data in, `alt.Chart` out).

One line per open risk of rupture at the top (a dashed vermillion rule from the
risk's date to today, with its age written on it), one line per dispositif with
the accompagnements as bars, then one line per family of jalons, each jalon a
mark whose shape and colour both say its family. Meaning never rests on colour
alone: every line is labelled, shapes differ, and `table` gives the same content
as rows for `ui.charts.show`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass

import altair as alt
import pandas as pd

from mlimpact import vocab
from presentation.formats import date_fr, entier, euros
from presentation.theme import DEFAVORABLE, SHAPES

FAMILLES = list(vocab.FAMILLES_JALON)  # suivi, entree, situation, securisation, rupture, rsa
LIGNE_FAMILLE = {f: vocab.FAMILLES_JALON[f] for f in FAMILLES}
# Ruptures in vermillion, like the open risks; each family also has its own shape.
COULEUR_FAMILLE = {
    "suivi": "#0072B2", "entree": "#CC79A7", "situation": "#009E73",
    "securisation": "#E69F00", "rupture": DEFAVORABLE, "rsa": "#000000",
}
FORME_FAMILLE = dict(zip(FAMILLES, SHAPES, strict=False))
BARRE = "#56B4E9"  # sky blue (Okabe–Ito), labelled by its line and its text
ROW_HEIGHT = 34
AXIS_AND_LEGEND = 110


def en_jours(n: int) -> str:
    """`0` → « aujourd'hui », `1` → « 1 jour », `257` → « 257 jours »."""
    return "aujourd'hui" if n == 0 else "1 jour" if n == 1 else f"{entier(n)} jours"


def _ligne_risque(domaine: str) -> str:
    return f"Risque ouvert · {vocab.ALL_DOMAINES.get(domaine, domaine)}"


def _ligne_dispositif(dispositif: str) -> str:
    return f"Accompagnement · {vocab.DISPOSITIFS_COURTS.get(dispositif, dispositif)}"


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _risques(risques: pd.DataFrame, today: dt.date, start: dt.date | None = None) -> pd.DataFrame:
    """Open risks as rules to today; a label near the right edge is written leftwards so it is never cut."""
    span = max((today - (start or today)).days, 1)
    rows = [
        {
            "ligne": _ligne_risque(r.domaine),
            "debut": _iso(r.date),
            "fin": _iso(today),
            "etiquette": f"depuis le {date_fr(r.date)} ({en_jours(r.jours)})",
            "domaine": vocab.ALL_DOMAINES.get(r.domaine, r.domaine),
            "date_fr": date_fr(r.date),
            "jours": int(r.jours),
            "vers_la_gauche": (r.date - (start or today)).days / span > 0.7,
        }
        for r in risques.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["ligne", "debut", "fin", "etiquette", "domaine", "date_fr", "jours", "vers_la_gauche"])


def _barres(accompagnements: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    rows = []
    rang: dict[str, int] = {}
    for a in accompagnements.itertuples(index=False):
        rang[a.dispositif] = rang.get(a.dispositif, -1) + 1
        fin = a.date_fin if isinstance(a.date_fin, dt.date) else None
        motif = vocab.MOTIFS_FIN.get(a.motif_fin, "") if fin else ""
        rows.append(
            {
                "ligne": _ligne_dispositif(a.dispositif),
                "debut": _iso(a.date_debut),
                "fin": _iso(fin or today),
                "etiquette": f"fin : {motif}" if fin else "en cours",
                "dy": -14 if rang[a.dispositif] % 2 == 0 else 15,  # successive spells: labels above, below
                "dispositif": vocab.DISPOSITIFS.get(a.dispositif, a.dispositif),
                "periode": f"du {date_fr(a.date_debut)} au {date_fr(fin)}" if fin else f"depuis le {date_fr(a.date_debut)} (en cours)",
                "motif": motif or "—",
            }
        )
    return pd.DataFrame(rows, columns=["ligne", "debut", "fin", "etiquette", "dy", "dispositif", "periode", "motif"])


def _points(jalons: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for j in jalons.itertuples(index=False):
        famille, libelle = vocab.TYPES_JALON[j.type]
        detail = vocab.ALL_DOMAINES.get(j.domaine, "") if isinstance(j.domaine, str) else ""
        if j.montant_eur is not None and not pd.isna(j.montant_eur):
            detail = euros(float(j.montant_eur), 2)
        rows.append(
            {
                "ligne": LIGNE_FAMILLE[famille],
                "famille": LIGNE_FAMILLE[famille],
                "date": _iso(j.date),
                "date_fr": date_fr(j.date),
                "type": libelle,
                "detail": detail or "—",
            }
        )
    return pd.DataFrame(rows, columns=["ligne", "famille", "date", "date_fr", "type", "detail"])


def lignes(accompagnements: pd.DataFrame, jalons: pd.DataFrame, risques: pd.DataFrame) -> list[str]:
    """The frise's lines, top to bottom: open risks, dispositifs, then the families that have jalons."""
    out = list(dict.fromkeys(_ligne_risque(d) for d in risques["domaine"]))
    out += list(dict.fromkeys(_ligne_dispositif(d) for d in accompagnements["dispositif"]))
    present = {vocab.famille_du_type(t) for t in jalons["type"]}
    out += [LIGNE_FAMILLE[f] for f in FAMILLES if f in present]
    return out


@dataclass(frozen=True)
class _Parts:
    """What a frise is drawn from: its lines, its time span, its height and its tables (None: no such layer)."""

    rows: list[str]
    x_domain: list[str]
    height: int
    data: dict[str, pd.DataFrame | None]


def _parts(accompagnements: pd.DataFrame, jalons: pd.DataFrame, risques: pd.DataFrame, today: dt.date) -> _Parts:
    rows = lignes(accompagnements, jalons, risques)
    dates = [*accompagnements["date_debut"], *jalons["date"], *risques["date"], today]
    start = min(dates) - dt.timedelta(days=20)
    tables = {
        "barres": _barres(accompagnements, today),
        "risques": _risques(risques, today, start),
        "jalons": _points(jalons),
        "aujourdhui": pd.DataFrame({"debut": [_iso(today)], "texte": [date_fr(today)]}),
    }
    return _Parts(rows, [_iso(start), _iso(today + dt.timedelta(days=20))], ROW_HEIGHT * max(len(rows), 2) + AXIS_AND_LEGEND,
                  {name: None if t.empty else t for name, t in tables.items()})


def timeline(accompagnements: pd.DataFrame, jalons: pd.DataFrame, risques: pd.DataFrame, today: dt.date) -> alt.LayerChart:
    """The frise: bars for accompagnements, marks for jalons by family, dashed rules for open risks."""
    parts = _parts(accompagnements, jalons, risques, today)
    return _chart(parts.rows, parts.x_domain, parts.height, parts.data)


def _chart(rows: list[str], x_domain: list[str], height: int, data: dict) -> alt.LayerChart:
    """The frise's layers over `data` (tables, or named data sets of a `spec` template)."""
    y = alt.Y("ligne:N", title=None, sort=rows, scale=alt.Scale(domain=rows), axis=alt.Axis(labelLimit=260, labelFontSize=12))
    x_scale = alt.Scale(domain=x_domain)
    x = alt.X("debut:T", title=None, scale=x_scale, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=8))
    layers = []

    if data["barres"] is not None:
        base = alt.Chart(data["barres"])
        layers.append(
            base.mark_bar(height=16, cornerRadius=3, color=BARRE, stroke="#0072B2", strokeWidth=1).encode(
                x=x, x2="fin:T", y=y,
                tooltip=[
                    alt.Tooltip("dispositif:N", title="Dispositif"),
                    alt.Tooltip("periode:N", title="Période"),
                    alt.Tooltip("motif:N", title="Motif de fin"),
                ],
            )
        )
        for dy in (-14, 15):
            layers.append(
                base.transform_filter(alt.datum.dy == dy)
                .mark_text(align="left", dx=2, dy=dy, fontSize=11, color="#333333")
                .encode(x=x, y=y, text="etiquette:N")
            )

    if data["risques"] is not None:
        base = alt.Chart(data["risques"])
        layers.append(
            base.mark_rule(strokeWidth=4, strokeDash=[6, 3], color=DEFAVORABLE).encode(
                x=x, x2="fin:T", y=y,
                tooltip=[
                    alt.Tooltip("domaine:N", title="Risque de rupture ouvert"),
                    alt.Tooltip("date_fr:N", title="Détecté le"),
                    alt.Tooltip("jours:Q", title="Jours ouvert"),
                ],
            )
        )
        layers.append(base.mark_point(shape="triangle-up", size=120, filled=True, color=DEFAVORABLE).encode(x=x, y=y))
        for gauche in (False, True):
            layers.append(
                base.transform_filter(alt.datum.vers_la_gauche == gauche)
                .mark_text(align="right" if gauche else "left", dx=-8 if gauche else 8, dy=-12, fontSize=11, fontWeight="bold", color=DEFAVORABLE)
                .encode(x=x, y=y, text="etiquette:N")
            )

    if data["jalons"] is not None:
        familles = [LIGNE_FAMILLE[f] for f in FAMILLES]
        layers.append(
            alt.Chart(data["jalons"]).mark_point(size=90, filled=True, opacity=0.95, stroke="#222222", strokeWidth=0.7).encode(
                x=alt.X("date:T", title=None, scale=x_scale, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=8)),
                y=y,
                color=alt.Color("famille:N", title="Famille de jalons", scale=alt.Scale(domain=familles, range=[COULEUR_FAMILLE[f] for f in FAMILLES])),
                shape=alt.Shape("famille:N", title="Famille de jalons", scale=alt.Scale(domain=familles, range=[FORME_FAMILLE[f] for f in FAMILLES])),
                tooltip=[
                    alt.Tooltip("date_fr:N", title="Date"),
                    alt.Tooltip("type:N", title="Jalon"),
                    alt.Tooltip("detail:N", title="Domaine ou montant"),
                ],
            )
        )

    layers.append(
        alt.Chart(data["aujourdhui"]).mark_rule(color="#555555", strokeDash=[2, 2]).encode(
            x=x, tooltip=[alt.Tooltip("texte:N", title="Aujourd'hui")]
        )
    )
    return alt.layer(*layers).properties(height=height)


# A frise as the Vega-Lite dict Streamlit draws, without building an Altair chart for each young person: Altair
# copying and converting the layers was two thirds of the server's time of a saved jalon (docs/benchmarks.md).
# The layers are built once per set of layers present, over named data sets and stand-in values, then each
# frise fills in its lines, time span, height and tables (Arrow bytes, as `ui.charts.vega_spec` ships them).
_LIGNES, _DEBUT, _FIN, _HAUTEUR = "§lignes§", "§debut§", "§fin§", 987_654_321


@functools.lru_cache(maxsize=16)
def _template(present: tuple[str, ...]) -> str:
    from ui.charts import vega_spec

    named = {name: alt.NamedData(name=name) if name in present else None for name in ("barres", "risques", "jalons", "aujourdhui")}
    return json.dumps(vega_spec(_chart([_LIGNES], [_DEBUT, _FIN], _HAUTEUR, named)))


def spec(accompagnements: pd.DataFrame, jalons: pd.DataFrame, risques: pd.DataFrame, today: dt.date) -> dict:
    """The frise drawn by `timeline`, as a ready Vega-Lite dict (`ui.charts.show` takes it as a kept spec)."""
    from streamlit import dataframe_util

    parts = _parts(accompagnements, jalons, risques, today)
    present = tuple(name for name, t in parts.data.items() if t is not None)
    out = json.loads(_template(present), object_hook=lambda d: _fill(d, parts))
    out["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(parts.data[name]) for name in present}
    return out


def _fill(node: dict, parts: _Parts) -> dict:
    """The stand-in values of one object of the template replaced by the frise's own."""
    for key, value in node.items():
        if value == [_LIGNES]:
            node[key] = list(parts.rows)
        elif value == [_DEBUT, _FIN]:
            node[key] = list(parts.x_domain)
        elif value == _HAUTEUR:
            node[key] = parts.height
    return node


def table(accompagnements: pd.DataFrame, jalons: pd.DataFrame, risques: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """The frise's content as rows (same lines, newest first within each line)."""
    rows = [
        (_ligne_risque(r.domaine), date_fr(r.date), f"ouvert depuis {en_jours(r.jours)}", "Risque de rupture ouvert")
        for r in risques.itertuples(index=False)
    ]
    for b in _barres(accompagnements, today).itertuples(index=False):
        rows.append((b.ligne, b.periode, b.motif if b.motif != "—" else "en cours", b.dispositif))
    for p in _points(jalons).itertuples(index=False):
        rows.append((p.ligne, p.date_fr, p.detail, p.type))
    return pd.DataFrame(rows, columns=["Ligne", "Date ou période", "Détail", "Élément"])[["Ligne", "Élément", "Date ou période", "Détail"]]


def texte_alternatif(id_jeune: str, accompagnements: pd.DataFrame, jalons: pd.DataFrame, risques: pd.DataFrame) -> str:
    """A sentence that says what the frise shows (the chart's text alternative)."""
    n_risques = len(risques)
    risques_txt = (
        "aucun risque de rupture ouvert"
        if n_risques == 0
        else f"{n_risques} risque(s) de rupture ouvert(s) : "
        + ", ".join(f"{vocab.ALL_DOMAINES.get(r.domaine, r.domaine).lower()} ({en_jours(r.jours)})" for r in risques.itertuples(index=False))
    )
    return (
        f"Frise du parcours du jeune {id_jeune} : {len(accompagnements)} accompagnement(s), "
        f"{len(jalons)} jalon(s), {risques_txt}."
    )
