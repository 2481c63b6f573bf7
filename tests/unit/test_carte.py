"""The tile-grid map and the charts of the national view (pure builders, no browser), and the export bytes."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pandas as pd
import pytest
import vl_convert as vlc

from indicators.types import Sens
from mlimpact import territoires
from presentation.theme import french
from reports.excel import sheet_name
from ui import carte, exports


def valeurs(pairs: dict[str, float | None], masques: tuple[str, ...] = ()) -> pd.DataFrame:
    rows = []
    for code, v in pairs.items():
        hidden = code in masques
        rows.append({"code": code, "valeur": None if hidden else v, "masque": hidden,
                     "affichage": "< 11" if hidden else f"{v:.1f}".replace(".", ",")})
    return pd.DataFrame(rows, columns=["code", "valeur", "masque", "affichage"])


def fills(chart) -> dict[str, tuple[int, int, int]]:
    """The fill of each coloured tile, read from the SVG Vega draws (code → RGB)."""
    svg = vlc.vegalite_to_svg(french(chart).to_json())
    group = re.search(r'<g class="mark-rect role-mark [^"]*_0_marks".*?</g>', svg, re.DOTALL).group(0)
    out = {}
    for label, fill in re.findall(r'<path aria-label="([^"]*)"[^>]*fill="rgb\((\d+, \d+, \d+)\)"', group):
        code = re.search(r"Code: (\w+)", label).group(1)
        out[code] = tuple(int(x) for x in fill.split(", "))
    return out


def luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = rgb
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# --- the grid ---------------------------------------------------------------------------------------------
def test_the_grid_has_every_departement_once_and_no_two_on_one_tile():
    tiles = carte.tuiles(valeurs({}))
    assert len(tiles) == 101
    assert tiles["code"].is_unique and set(tiles["code"]) == set(territoires.DEPARTEMENTS)
    positions = list(zip(tiles["col"], tiles["row"]))
    assert len(set(positions)) == 101
    for r in tiles.itertuples():
        d = territoires.DEPARTEMENTS[r.code]
        assert (r.col, r.row) == (d.col, d.row) and r.nom_court == d.nom_court and len(r.nom_court) <= 10


def test_overseas_departements_sit_in_their_own_row_below_the_mainland():
    tiles = carte.tuiles(valeurs({})).set_index("code")
    overseas = tiles.loc[["971", "972", "973", "974", "976"]]
    assert overseas["row"].nunique() == 1
    assert overseas["row"].iloc[0] == carte.OUTRE_MER_ROW
    assert tiles.drop(overseas.index)["row"].max() < carte.OUTRE_MER_ROW - 1  # an empty row between


def test_every_tile_says_what_it_holds_never_zero_for_a_masked_figure():
    tiles = carte.tuiles(valeurs({"13": 38.6, "84": 12.0, "09": 3.0}, masques=("09",))).set_index("code")
    assert tiles.loc["13", "statut"] == carte.VALEUR and tiles.loc["13", "texte"] == "38,6"
    assert tiles.loc["09", "statut"] == carte.MASQUE and tiles.loc["09", "texte"] == "< 11"
    assert pd.isna(tiles.loc["09", "valeur"])  # no figure to colour: drawn grey with its mark, not as 0
    assert tiles.loc["75", "statut"] == carte.SANS_DONNEES
    assert tiles.loc["75", "texte"].replace(carte.LIGNE, " ") == "pas de données"


def test_a_region_filter_dims_the_tiles_outside_it():
    tiles = carte.tuiles(valeurs({"13": 1.0}), region="93").set_index("code")
    assert tiles.loc["13", "dans_filtre"] and tiles.loc["84", "dans_filtre"]
    assert not tiles.loc["59", "dans_filtre"]


# --- the colours ------------------------------------------------------------------------------------------
def colour_encoding(chart) -> dict:
    spec = chart.to_dict()
    [layer] = [lyr for lyr in spec["layer"] if "color" in lyr.get("encoding", {}) and "field" in lyr["encoding"]["color"]]
    return layer


def test_the_colour_scale_spans_the_shown_figures_and_ignores_masked_tiles():
    chart = carte.carte(carte.tuiles(valeurs({"13": 20.0, "59": 60.0, "62": 45.0, "84": 99.0}, masques=("84",))), "Taux (%)", Sens.HAUSSE)
    layer = colour_encoding(chart)
    color = layer["encoding"]["color"]
    assert color["field"] == "valeur" and color["type"] == "quantitative"
    assert color["scale"]["domain"] == [20.0, 60.0]  # the masked 99 plays no part
    assert color["scale"]["scheme"]["name"] == carte.SCHEME
    assert color["scale"]["reverse"] is False
    assert layer["transform"] == [{"filter": "(datum.statut === 'valeur')"}]
    assert "plus foncé = mieux" in color["title"][1]


@pytest.mark.parametrize(("sens", "darker"), [(Sens.HAUSSE, "59"), (Sens.NEUTRE, "59"), (Sens.BAISSE, "13")])
def test_the_better_end_is_the_darker_one(sens, darker):
    """Rendered by Vega itself: the tile of the better figure is the darker one (the higher for a volume)."""
    chart = carte.carte(carte.tuiles(valeurs({"13": 20.0, "59": 60.0, "62": 40.0})), "Indicateur", sens)
    assert colour_encoding(chart)["encoding"]["color"]["scale"]["reverse"] is (sens is Sens.BAISSE)
    colours = fills(chart)
    assert set(colours) == {"13", "59", "62"}  # only figures are coloured on the scale
    lighter = "13" if darker == "59" else "59"
    assert luminance(colours[darker]) < luminance(colours["62"]) < luminance(colours[lighter])


def test_the_legend_says_which_end_is_better():
    assert carte.sens_legende(Sens.HAUSSE).startswith("plus foncé = mieux")
    assert carte.sens_legende(Sens.BAISSE).startswith("plus foncé = mieux")
    assert "plus élevé" in carte.sens_legende(Sens.NEUTRE)


def test_text_turns_white_on_dark_tiles():
    spec = carte.carte(carte.tuiles(valeurs({"13": 0.0, "59": 100.0})), "x", Sens.HAUSSE).to_dict()
    data = {r["code"]: r for r in spec["datasets"][next(iter(spec["datasets"]))] if "code" in r}
    assert data["59"]["fonce"] and not data["13"]["fonce"]


def test_masked_and_empty_tiles_have_their_own_legend_and_marks():
    chart = carte.carte(carte.tuiles(valeurs({"13": 1.0, "09": 2.0}, masques=("09",))), "x", Sens.HAUSSE)
    spec = chart.to_dict()
    fill_layer = next(lyr for lyr in spec["layer"] if "fill" in lyr.get("encoding", {}))
    assert fill_layer["encoding"]["fill"]["scale"]["domain"] == [carte.STATUTS[carte.MASQUE], carte.STATUTS[carte.SANS_DONNEES]]
    texts = [lyr["encoding"]["text"]["field"] for lyr in spec["layer"] if lyr.get("mark", {}).get("type") == "text" and "field" in lyr["encoding"].get("text", {})]
    assert {"code", "nom_court", "texte"} <= set(texts)


def test_a_click_selects_a_departement_and_the_chosen_one_is_outlined():
    chart = carte.carte(carte.tuiles(valeurs({"13": 1.0})), "x", Sens.HAUSSE, choisi="13")
    spec = chart.to_dict()
    params = [p for p in spec.get("params", []) if p["name"] == carte.SELECTION]
    params += [p for lyr in spec["layer"] for p in lyr.get("params", []) if p["name"] == carte.SELECTION]
    assert params and params[0]["select"]["fields"] == ["code"]
    data = spec["datasets"][next(iter(spec["datasets"]))]
    assert [r["code"] for r in data if r.get("choisi")] == ["13"]


# --- the other charts -------------------------------------------------------------------------------------
def territories(values: list[float | None], masks: list[bool]) -> pd.DataFrame:
    codes = [f"{i:02d}" for i in range(1, len(values) + 1)]
    return pd.DataFrame({"code": codes, "libelle": [f"Territoire {c}" for c in codes],
                         "valeur": pd.array(values, dtype="Float64"), "masque": masks,
                         "affichage": ["secret" if m else str(v) for v, m in zip(values, masks)]})


def test_bars_keep_masked_rows_without_a_bar_and_say_secret():
    data = territories([10.0, None, 30.0], [False, True, False])
    spec = carte.barres(data, "x", reference=20.0).to_dict()
    rows = spec["datasets"][next(iter(spec["datasets"]))]
    masked = next(r for r in rows if r["masque"])
    assert masked["barre"] is None and masked["affichage"] == "secret"
    assert {"filter": "isValid(datum.barre)"} in spec["layer"][0]["transform"]


def test_spread_chart_places_every_shown_territory_and_names_the_atypical_ones():
    data = territories([10.0, 11.0, 12.0, 13.0, 50.0, None], [False] * 5 + [True])
    chart = carte.ecarts(data, "x", 11.0, 13.0, 12.5, atypiques=("05",))
    spec = chart.to_dict()
    points = next(lyr for lyr in spec["layer"] if lyr.get("mark", {}).get("type") == "point")
    rows = spec["datasets"][points["data"]["name"]]
    assert sorted(r["code"] for r in rows) == ["01", "02", "03", "04", "05"]  # the masked one has no position
    assert [r["code"] for r in rows if r["groupe"] == "atypique"] == ["05"]
    assert any(lyr.get("mark", {}).get("type") == "rule" for lyr in spec["layer"])  # the national value
    vlc.vegalite_to_svg(french(chart).to_json())  # Vega accepts it


def test_trend_of_two_years_draws_the_later_period_first():
    data = pd.DataFrame({"rang": [0, 1, 0, 1], "mois": ["janv.", "févr.", "janv.", "févr."],
                         "serie": ["2025", "2025", "2024", "2024"], "valeur": [1.0, 2.0, 3.0, None],
                         "affichage": ["1", "2", "3", "secret"]})
    spec = carte.tendance_annees(data, "x").to_dict()["layer"][0]
    assert spec["encoding"]["color"]["sort"] == ["2025", "2024"]
    assert spec["encoding"]["x"]["sort"] == ["janv.", "févr."]


def test_an_incomplete_month_is_hollow_and_says_so_in_words():
    """Not colour alone: a hollow, dashed point and the word « incomplet » on the chart (issue 18)."""
    data = pd.DataFrame({"rang": [0, 1], "mois": ["oct.", "nov."], "serie": ["2026", "2026"], "valeur": [1548.0, 1392.0],
                         "affichage": ["1 548", "1 392 (incomplet)"], "incomplet": [False, True]})
    chart = carte.tendance_annees(data, "Jeunes suivis")
    _, creux, mention = chart.to_dict()["layer"]
    assert creux["mark"]["fill"] == "white" and creux["mark"]["strokeDash"]
    assert mention["encoding"]["text"] == {"value": "incomplet"}
    svg = vlc.vegalite_to_svg(french(chart).to_dict())
    assert svg.count(">incomplet<") == 1


# --- exports ----------------------------------------------------------------------------------------------
def test_csv_is_french_and_neutralises_formulas():
    table = pd.DataFrame({"Structure": ["=HYPERLINK(\"x\")", "Mission Locale"], "Jeunes": ["< 11", "1 234"],
                          "Taux": [12.5, None]})
    data = exports.csv_bytes(table)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["Structure", "Jeunes", "Taux"], ["'=HYPERLINK(\"x\")", "< 11", "12,5"], ["Mission Locale", "1 234", ""]]


def test_xlsx_has_one_valid_sheet_per_table_and_the_notes():
    tables = {"Départements": pd.DataFrame({"Code": ["09"], "Valeur": ["< 11"]}),
              "Structures 13/14 [x]": pd.DataFrame({"Nom": ["+cmd"]})}
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(tables, {"Période": "année 2025"})))
    assert book.sheetnames == ["Notes", "Départements", "Structures 13 14 x"]
    assert book["Départements"]["B2"].value == "< 11"
    assert book["Structures 13 14 x"]["A2"].value == "'+cmd"


def test_xlsx_keeps_numbers_as_numbers_and_percentages_as_percentages():
    """A rank is a whole number, a count a number, a « (%) » column a share with a percent format; the CSV keeps points."""
    table = pd.DataFrame({
        "Rang": pd.array([1, None], dtype="Int64"), "Code": ["13", "84"],
        "Taux d'accès à l'emploi (%)": pd.array([35.5, None], dtype="Float64"), "Secret statistique": ["", "< 11"],
        "Jeunes suivis (jeunes)": [1234, 5],
    })
    sheet = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes({"Départements": table})))["Départements"]
    assert [c.value for c in sheet[1]] == list(table.columns)
    rang, code, taux, _secret, jeunes = sheet[2]
    assert rang.value == 1 and isinstance(rang.value, int)
    assert code.value == "13" and code.data_type == "s"
    assert taux.value == pytest.approx(0.355) and taux.number_format == "0.0%"
    assert jeunes.value == 1234 and jeunes.data_type == "n"
    assert sheet["A3"].value is None and sheet["C3"].value is None and sheet["D3"].value == "< 11"
    rows = list(csv.reader(io.StringIO(exports.csv_bytes(table).decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["1", "13", "35,5", "", "1234"] and rows[2] == ["", "84", "", "< 11", "5"]


def test_sheet_names_are_readable_unique_and_short():
    taken: set[str] = set()
    names = [sheet_name("Un nom de feuille beaucoup trop long pour Excel", taken) for _ in range(3)]
    assert len(set(names)) == 3 and all(len(n) <= 31 for n in names)
    assert names[0] == "Un nom de feuille beaucoup…"  # cut at a word, and says so
    assert names[1].endswith("… (2)") and sheet_name("UN NOM", {"un nom"}) == "UN NOM (2)"  # Excel ignores case