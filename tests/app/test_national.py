"""The national view: territory tables protected cell by cell (library), and the page as bureau and as département (AppTest).

Expected figures come from the engine for the same scope (the truth an
outsider would like to know) or are computed by hand. Confidentiality
(docs/disclosure.md): an outsider's figures are perturbed by the cell-key
method (« ≈ »), the small ones suppressed; the same territory is the same
figure in every table; no figure of a count of people is published exact, so
no equation "total = Σ parts" can be solved for a hidden cell. The attack
along every route is `tests/db/test_disclosure_attack.py`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from indicators import engine as moteur
from indicators.disclosure import service, territorial
from indicators.disclosure.masking import DEFAULT_K, Relation, petit, recoverable
from indicators.disclosure.perturbation import D
from indicators.registry import FAMILLES_COURTES, REGISTRY
from indicators.types import Echelon, Filtres, Nature, Perimetre, Periode
from mlimpact import territoires
from mlimpact.access import AccesRefuse, Compte
from mlimpact.db import make_engine
from mlimpact.migrate import upgrade
from mlimpact.models import Jalon, Jeune
from mlimpact.sample import load_demo
from presentation import figures
from tests.conftest import ROOT, new_postgres_database, new_sqlite_database
from tests.support.apptest import unfold_tables

K = DEFAULT_K
ANNEE = Periode(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
BUREAU = Compte("bureau@demo.invalid", "bureau")
DEP84 = Compte("dep@demo.invalid", "departement", departement="84")
MASQUES = {"secret", f"< {K}"}


# --- a store holding the demo data, on SQLite and on PostgreSQL ---------------------------------------------
@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo(request, tmp_path_factory):
    if request.param == "sqlite":
        url = new_sqlite_database(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp("nat"))
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_template"))
    engine = make_engine(url)
    upgrade(engine)
    assert load_demo(engine).exit_code == 0
    yield engine
    engine.dispose()


def raw(engine, compte, perimetre, code, dimension, periode=ANNEE) -> pd.DataFrame:
    """What the engine computes for the scope, unprotected: the truth an attacker would like to know."""
    table = moteur.breakdown(engine, periode, perimetre, code, dimension)
    return table.set_index(table["modalite"].astype(str))


def close(shown, truth, nature: Nature, row=None) -> bool:
    """A published figure is the true one moved by the perturbation: ±D for a count; for a ratio, the ratio
    of a numerator and a denominator each within ±D."""
    if nature is Nature.COUNT:
        return abs(float(shown) - float(truth)) <= D
    n, d = float(row["numerateur"]), float(row["denominateur"])
    low = 100 * max(n - D, 0) / (d + D)
    high = 100 * (n + D) / max(d - D, 1)
    return low - 0.05 <= float(shown) <= min(high, 100) + 0.05


def counts(row, nature: Nature) -> list[float]:
    if nature is Nature.COUNT:
        return [float(row["valeur"])]
    n, d = float(row["numerateur"]), float(row["denominateur"])
    return [n, d - n]


# --- the library -----------------------------------------------------------------------------------------------
def test_k_comes_from_the_setting(demo):
    from indicators.disclosure.rule import K_SETTING
    from mlimpact import store

    assert territorial.k_setting({}) == DEFAULT_K
    assert territorial.k_setting({territorial.K_ENV: "15"}) == 15
    assert territorial.k_setting({territorial.K_ENV: "1"}) == DEFAULT_K  # never switched off by a setting
    assert territorial.k_setting({territorial.K_ENV: "onze"}) == DEFAULT_K
    with demo.begin() as conn:  # the store's setting comes first
        store.set_setting(conn, K_SETTING, "13")
    try:
        assert territorial.k_setting({territorial.K_ENV: "15"}, bind=demo) == 13
        assert territorial.tableau(demo, BUREAU, ANNEE, "jeunes_suivis").k == 13
    finally:
        with demo.begin() as conn:
            store.set_setting(conn, K_SETTING, "")


def test_the_map_offers_the_indicators_the_engine_breaks_down():
    codes = territorial.indicateurs_carte()
    assert "acces_emploi" in codes and "risques_ouverts" in codes and "jeunes_suivis" in codes
    assert "budget_eur" not in codes  # euros are not compared between territories here
    assert all(REGISTRY[c].nature in (Nature.COUNT, Nature.RATIO) or territorial.ventilable(c) for c in codes)


def test_regions_added_up_equal_the_engines_regions(demo):
    for code in territorial.indicateurs_carte():
        if REGISTRY[code].nature not in (Nature.COUNT, Nature.RATIO):
            continue
        deps = raw(demo, BUREAU, Perimetre(), code, "departement").reset_index(drop=True)
        regions = raw(demo, BUREAU, Perimetre(), code, "region").drop(index="Total")
        rolled = territorial.roll_up(deps, code).set_index("modalite")
        assert list(rolled.index) == list(regions.index), code
        for col in ("valeur", "numerateur", "denominateur", "cle", "cle_denominateur"):  # the cell keys too
            assert rolled[col].astype(float).fillna(-1).tolist() == regions[col].astype(float).fillna(-1).tolist(), (code, col)


@pytest.mark.parametrize("code", ["jeunes_suivis", "risques_ouverts", "sanctions_rsa", "ancrage_rsa", "entree_sous_30j"])
def test_the_table_shows_perturbed_figures_and_hides_every_small_one(demo, code):
    t = figures.tableau_affiche(territorial.tableau(demo, BUREAU, ANNEE, code))
    nature = REGISTRY[code].nature
    deps = raw(demo, BUREAU, Perimetre(), code, "departement")
    national = service.compute(demo, BUREAU, ANNEE, Perimetre(), codes=[code])[code]
    assert t.national["valeur"] == pytest.approx(national.valeur) or t.national["masque"]  # one figure, two doors
    assert close(t.national["valeur"], deps.loc["Total", "valeur"], nature, deps.loc["Total"]) or t.national["masque"]
    assert list(t.departements["code"]) == [c for c in deps.index if c != "Total"]
    for r in t.departements.itertuples():
        truth = deps.loc[r.code]
        if any(petit(x, K) for x in counts(truth, nature)):
            assert r.masque and r.affichage == ("< 11" if nature is Nature.COUNT else "secret")
        if r.masque:
            assert pd.isna(r.valeur) and r.affichage in MASQUES and r.traitement == "masque"
        elif float(r.valeur) == 0 and float(truth["valeur"]) == 0:
            assert r.affichage == "0"  # zero stays zero
        else:
            assert close(r.valeur, truth["valeur"], nature, truth), (r.code, r.valeur, truth["valeur"])
            assert r.traitement == "perturbe" and r.affichage.startswith("≈")


def published(t: territorial.Tableau) -> tuple[pd.DataFrame, list[Relation]]:
    """France, régions and départements as one list of published cells, with the equations between them."""
    cells = pd.concat([t.national.to_frame().T, t.regions, t.departements], ignore_index=True)
    index = {(r.niveau, r.code): i for i, r in enumerate(cells.itertuples())}
    regions = [index[("region", c)] for c in t.regions["code"]]
    deps = [index[("departement", c)] for c in t.departements["code"]]
    relations = [Relation(0, tuple(regions)), Relation(0, tuple(deps))]
    for c in t.regions["code"]:
        parts = tuple(index[("departement", d)] for d in t.departements.loc[t.departements["region"] == c, "code"])
        relations.append(Relation(index[("region", c)], parts))
    return cells, relations


@pytest.mark.parametrize("code", territorial.ACCES[1:] + ("sanctions_rsa", "ruptures_survenues", "sorties_rsa", "taux_ruptures_evitees"))
def test_no_departement_or_region_can_be_solved_for_from_exact_figures(demo, code):
    """Only zeros are published exact: the equations between France, régions and départements determine no
    cell that is not itself exact (a masked or perturbed one stays unknown)."""
    t = territorial.tableau(demo, BUREAU, ANNEE, code)
    cells, relations = published(t)
    assert cells["masque"].any(), "the demo data should exercise masking for this indicator"
    exact = (cells["traitement"] == "exact").to_numpy()
    assert all(float(v) == 0 for v in cells.loc[exact, "valeur"])
    assert recoverable(~exact, relations) == []


@pytest.mark.parametrize("code", ["risques_ouverts", "sanctions_rsa", "ancrage_rsa"])
def test_a_departement_is_the_same_figure_in_every_table_and_its_structures_are_shown(demo, code):
    """The département's row of its structures' table is its figure of the national table (same contributors,
    same perturbation); no structure is hidden unless it is small itself (no secondary suppression)."""
    t = territorial.tableau(demo, BUREAU, ANNEE, code)
    nature = REGISTRY[code].nature
    for r in t.departements.itertuples():
        s = territorial.structures(demo, BUREAU, ANNEE, r.code, code)
        assert s.iloc[0]["code"] == r.code and (s["niveau"].iloc[1:] == territorial.STRUCTURE).all()
        assert bool(s.iloc[0]["masque"]) == bool(r.masque)
        assert r.masque or float(s.iloc[0]["valeur"]) == float(r.valeur)
        truth = raw(demo, BUREAU, Perimetre(Echelon.DEPARTEMENT, r.code), code, "structure")
        for row in s.iloc[1:].itertuples():
            true = truth.loc[row.code]
            if not row.masque:
                assert close(row.valeur, true["valeur"], nature, true)
            elif all(x == 0 or x >= K + D for x in counts(true, nature)):
                pytest.fail(f"{row.code} hidden though nothing in it is small ({code})")


def test_a_departement_account_sees_its_departement_and_its_structures_only(demo):
    t = territorial.tableau(demo, DEP84, ANNEE, "jeunes_suivis")
    assert t.national is None and t.regions.empty
    assert list(t.departements["code"]) == ["84"]
    assert set(t.structures["departement"]) == {"84"} and len(t.structures) == 2
    assert not t.structures["masque"].any()  # its Missions Locales by name, with their figures
    truth = raw(demo, BUREAU, Perimetre(Echelon.DEPARTEMENT, "84"), "jeunes_suivis", "structure")
    assert abs(t.departements.iloc[0]["valeur"] - truth.loc["Total", "valeur"]) <= D
    assert set(t.structures["traitement"]) == {"perturbe"}
    with pytest.raises(AccesRefuse):
        territorial.structures(demo, DEP84, ANNEE, "13", "jeunes_suivis")


@pytest.mark.parametrize("role", ["conseiller", "directeur"])
def test_structure_roles_are_refused(demo, role):
    with pytest.raises(AccesRefuse):
        territorial.tableau(demo, Compte("x@demo.invalid", role, code_structure="ML84001"), ANNEE, "jeunes_suivis")


def test_admin_sees_plain_figures(demo):
    t = territorial.tableau(demo, Compte("a@demo.invalid", "admin"), ANNEE, "risques_ouverts")
    assert t.k == 0 and not t.departements["masque"].any() and set(t.departements["traitement"]) == {"exact"}
    truth = raw(demo, BUREAU, Perimetre(), "risques_ouverts", "departement")
    assert [float(v) for v in t.departements["valeur"]] == [float(truth.loc[c, "valeur"]) for c in t.departements["code"]]


# --- protection of any table (property) ---------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(cells=st_.lists(st_.tuples(st_.integers(0, 60), st_.integers(0, 255)), min_size=1, max_size=30))
def test_protected_cells_never_show_a_small_count(cells):
    """Random counts with random cell keys, protected for an outsider: a shown figure is 0 or ≥ k, never 0 for
    a non-zero count, within ±D of the truth; every true small count is hidden, said « < 11 »."""
    from indicators.disclosure.rule import Rule

    table = pd.DataFrame({"modalite": [str(i) for i in range(len(cells))], "valeur": [n for n, _ in cells],
                          "numerateur": None, "denominateur": None, "cle": [k for _, k in cells], "cle_denominateur": None})
    out = figures.avec_affichage(service.protect_rows(table, "jeunes_suivis", Rule("perturbe", K)), K, "jeunes_suivis")
    assert "cle" not in out and "cle_denominateur" not in out  # keys never leave
    for (n, _), v, h, text, t in zip(cells, out["valeur"], out["masque"], out["affichage"], out["traitement"]):
        if petit(n, K):
            assert h and text == f"< {K}"
        if h:
            assert pd.isna(v) and t == "masque"
        else:
            assert v == 0 if n == 0 else (v >= K and abs(v - n) <= D and text.startswith("≈"))


# --- comparisons ----------------------------------------------------------------------------------------------------
def frame(values: dict[str, float | None], masked: tuple[str, ...] = ()) -> pd.DataFrame:
    return pd.DataFrame({
        "code": list(values), "libelle": [f"D{c}" for c in values], "region": ["93"] * len(values),
        "valeur": pd.array([None if c in masked else v for c, v in values.items()], dtype="Float64"),
        "masque": [c in masked for c in values], "petit": False,
        "affichage": ["secret" if c in masked else str(v) for c, v in values.items()],
    })


def test_dispersion_by_hand():
    t = frame({f"{i:02d}": float(i) for i in range(1, 11)} | {"99": 100.0, "98": 5.0}, masked=("98",))
    d = territorial.dispersion(t, national=7.0)
    # 11 shown figures: 1..10 and 100 (the masked one is left out, not counted as 0).
    assert d.n == 11 and d.masques == 1 and d.national == 7.0
    assert d.q1 == pytest.approx(3.5) and d.mediane == pytest.approx(6.0) and d.q3 == pytest.approx(8.5)
    assert d.p10 == pytest.approx(2.0) and d.p90 == pytest.approx(10.0)
    assert d.rapport_interdecile == pytest.approx(5.0)
    assert d.minimum == ("01", 1.0) and d.maximum == ("99", 100.0)
    assert d.borne_haute == pytest.approx(16.0) and d.atypiques == ("99",)


def test_ranking_follows_the_direction_of_improvement_and_leaves_masked_ones_out():
    t = frame({"01": 30.0, "02": 10.0, "03": 20.0, "04": 20.0, "05": None}, masked=("05",))
    up = territorial.classement(t, "acces_emploi")  # higher is better
    assert list(up["code"]) == ["01", "03", "04", "02", "05"]
    assert list(up["rang"].astype("object").fillna("—")) == [1, 2, 2, 4, "—"]
    down = territorial.classement(t, "ancrage_rsa")  # lower is better
    assert list(down["code"])[:4] == ["02", "03", "04", "01"]


def test_variation_is_masked_when_either_figure_is():
    now = frame({"01": 30.0, "02": 10.0, "03": 12.0}, masked=("02",))
    before = frame({"01": 27.5, "02": 12.0, "03": 13.0}, masked=("03",))
    v = figures.avec_variation(territorial.variation(now, before, "acces_emploi"), "acces_emploi", K).set_index("code")
    # one rule for a change (presentation.figures): a no-break space before « pt », as the PDF writes it
    assert v.loc["01", "affichage_variation"] == "+2,5\u00a0pt" and v.loc["01", "variation"] == pytest.approx(2.5)
    assert v.loc["02", "affichage_variation"] == "secret" and pd.isna(v.loc["02", "variation"])
    assert v.loc["03", "affichage_variation"] == "secret"
    assert figures.texte_ecart("jeunes_suivis", -3.0) == "−3"


def test_access_flags_only_the_unfavourable_side():
    # entree_sous_30j: higher is better; risques_ouverts: lower is better.
    entree = frame({"01": 10.0, "02": 50.0, "03": 55.0, "04": 60.0, "05": 90.0})
    risques = frame({"01": 0.0, "02": 20.0, "03": 25.0, "04": 30.0, "05": 200.0, "06": 40.0}, masked=("06",))
    flags = territorial.hors_bande({"entree_sous_30j": entree, "risques_ouverts": risques}).set_index("code")
    assert set(flags.index) == {"01", "05"}
    assert flags.loc["01", "entree_sous_30j__signal"].startswith("▲▲")  # far below the band, on the wrong side
    assert flags.loc["05", "risques_ouverts__signal"].startswith("▲▲")
    assert flags.loc["05", "entree_sous_30j__signal"] == ""  # above the band is the good side
    assert "06" not in flags.index  # a masked figure is never flagged


# --- the page (AppTest) ----------------------------------------------------------------------------------------------
NUMBER = re.compile(r"^-?[\d\u202f\u00a0 ]*\d(?:,\d+)?")


def number_in(text: str) -> float | None:
    """The figure a cell starts with ("1 234", "≈ 1 234", "45,8 % ▲"), or None for "secret", "< 11", "—"."""
    text = str(text).strip().removeprefix("≈").strip()
    if text.startswith("<") or not text:
        return None
    m = NUMBER.match(text)
    return float(re.sub(r"[\u202f\u00a0 ]", "", m.group(0)).replace(",", ".")) if m else None


class Spy:
    """Records the bytes the page offers for download: the deferred builders it registers are run as a click would."""

    def __init__(self, monkeypatch):
        from streamlit.runtime.media_file_manager import MediaFileManager

        from ui import exports

        self.csv: list[bytes] = []
        self.xlsx: list[bytes] = []
        self.deferred: list = []
        real_csv, real_xlsx = exports.csv_bytes, exports.xlsx_bytes
        real_add = MediaFileManager.add_deferred

        def add_deferred(manager, data_callable, *args, **kwargs):
            self.deferred.append(data_callable)
            return real_add(manager, data_callable, *args, **kwargs)

        monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)

        def csv_bytes(table):
            self.csv.append(real_csv(table))
            return self.csv[-1]

        def xlsx_bytes(tables, notes=None):
            self.xlsx.append(real_xlsx(tables, notes))
            return self.xlsx[-1]

        monkeypatch.setattr(exports, "csv_bytes", csv_bytes)
        monkeypatch.setattr(exports, "xlsx_bytes", xlsx_bytes)

    def tables(self) -> list[pd.DataFrame]:
        for build in self.deferred:  # what the downloads would hold, had every button been clicked
            build()
        self.deferred.clear()
        out = [pd.DataFrame(list(csv.reader(io.StringIO(b.decode("utf-8-sig")), delimiter=";"))[1:],
                            columns=next(csv.reader(io.StringIO(b.decode("utf-8-sig")), delimiter=";"))) for b in self.csv]
        for b in self.xlsx:
            book = openpyxl.load_workbook(io.BytesIO(b))
            for ws in book.worksheets[1:]:
                rows = list(ws.values)
                out.append(pd.DataFrame(rows[1:], columns=rows[0]).fillna(""))
        return out


def open_page(monkeypatch, url: str, role: str, **widgets) -> AppTest:
    monkeypatch.setenv("MLIMPACT_DATABASE_URL", url)
    monkeypatch.setenv("MLIMPACT_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    at.selectbox(key="demo_role").set_value(role).run()
    if role == "departement":
        at.selectbox(key="demo_dep").set_value("84").run()
    at.switch_page("../pages/national.py").run()
    assert not at.exception
    for key, value in widgets.items():
        at.selectbox(key=key).set_value(value).run()
        assert not at.exception
    return at


def charts(at: AppTest) -> list[tuple[dict, list[pd.DataFrame]]]:
    from streamlit import dataframe_util

    found = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if getattr(node, "type", None) == "vega_lite_chart" or type(proto).__name__ == "VegaLiteChart":
            data = [dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in proto.datasets]
            found.append((json.loads(proto.spec), data))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def shown_tables(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


NOT_COUNTS = {"Rang", "Code", "Département", "Structure", "Région", "Signalements", "Mois", "Mesure", "Valeur"}


def assert_no_small_count(tables: list[pd.DataFrame], libelle: str, metrics: dict[str, str]) -> None:
    """Every figure of the count indicator shown is 0 or at least k (masked ones say so in words)."""
    checked = 0
    for table in tables:
        for col in table.columns:
            if str(col) in NOT_COUNTS or "Évolution" in str(col) or not str(col).startswith(libelle):
                continue
            for cell in table[col]:
                v = number_in(cell)
                checked += 1
                assert v is None or v == 0 or v >= K, (col, cell)
    for label, value in metrics.items():
        if label.startswith(("Rang", "Structures", "Rapport", "Région", "Minimum", "Maximum")):
            continue
        v = number_in(value)
        assert v is None or v == 0 or v >= K, (label, value)
    assert checked, "no figure of the indicator was found on the page"


def assert_charts_hold_no_small_count(at: AppTest) -> None:
    for spec, datasets in charts(at):
        for data in datasets:
            for col in ("valeur", "barre"):
                if col in data:
                    for v in pd.to_numeric(data[col], errors="coerce").dropna():
                        assert v == 0 or v >= K, (col, v)


def table_by_code(table: pd.DataFrame, value_col: str) -> dict[str, str]:
    return dict(zip(table["Code"].astype(str), table[value_col].astype(str)))


def assert_shown_tables_do_not_add_up(national: str, regions: dict[str, str], deps: dict[str, str]) -> None:
    """From the published France, régions and départements, no hidden one can be solved for: every figure shown
    is marked perturbed (« ≈ ») or is 0, so the only exact cells are zeros and they determine no other cell."""
    texts = [national, *regions.values(), *deps.values()]
    codes = [("FR", None), *((c, None) for c in regions), *((c, territoires.DEPARTEMENTS[c].region) for c in deps)]
    exact = np.array([t not in MASQUES and not t.startswith("≈") for t in texts])
    assert all(number_in(t) == 0 for t, e in zip(texts, exact) if e), texts
    index = {c: i for i, (c, _) in enumerate(codes)}
    relations = [Relation(0, tuple(index[c] for c in regions)), Relation(0, tuple(index[c] for c in deps))]
    for reg in regions:
        relations.append(Relation(index[reg], tuple(index[d] for d in deps if territoires.DEPARTEMENTS[d].region == reg)))
    assert recoverable(~exact, relations) == []


BUREAU_TABS = ["Carte", "Régions", "Écarts entre territoires", "Évolution et classement", "Tendances mensuelles"]


def visit_every_tab(at: AppTest, tabs: list[str], count_code: str) -> tuple[list[pd.DataFrame], dict[str, str]]:
    """Open every tab (and every family of the trends, the count's trend included); what they show.

    The tables are returned with the trend of `count_code` renamed after it, so
    that `assert_no_small_count` reads its months too.
    """
    tables, metrics = [], {}
    libelle = REGISTRY[count_code].libelle
    for tab in tabs:
        at.session_state["onglet"] = tab
        at.run()
        assert not at.exception, tab
        if tab == "Tendances mensuelles":
            for famille in ("Activité", "Produits", "Prévention", "Impact"):
                at.session_state["famille"] = famille
                at.run()
                assert not at.exception, famille
            famille = REGISTRY[count_code].famille
            at.session_state["famille"] = FAMILLES_COURTES[famille]
            at.run()
            at.selectbox(key=f"nat_tendance_{famille.value}").set_value(count_code).run()
            assert not at.exception
            for table in shown_tables(at):
                tables.append(table.rename(columns={c: f"{libelle} {c}" for c in table.columns if c != "Mois"}))
            assert_charts_hold_no_small_count(at)
            continue
        tables += shown_tables(at)
        metrics |= {m.label: m.value for m in at.metric}
        assert_charts_hold_no_small_count(at)
    return tables, metrics


@pytest.mark.parametrize("code", ["risques_ouverts", "sanctions_rsa"])
def test_bureau_page_shows_no_small_count_anywhere_nor_in_its_exports(monkeypatch, demo_database, code):
    spy = Spy(monkeypatch)
    at = open_page(monkeypatch, demo_database, "bureau", nat_indicateur=code, nat_dep="84")
    libelle = REGISTRY[code].libelle
    tables, metrics = visit_every_tab(at, BUREAU_TABS, code)
    assert_no_small_count(tables, libelle, metrics)
    exported = spy.tables()
    assert spy.csv and spy.xlsx
    assert_no_small_count(exported, libelle, {})
    # The tables of the same page, put together, cannot be solved for a hidden cell either.
    at.session_state["onglet"] = "Carte"
    at.run()
    deps = table_by_code(at.dataframe[0].value, libelle)
    structures = at.dataframe[1].value
    national = next(m.value for m in at.metric if m.label == "France entière")
    at.session_state["onglet"] = "Régions"
    at.run()
    regions = table_by_code(at.dataframe[0].value, libelle)
    assert any(t in MASQUES for t in deps.values())
    assert_shown_tables_do_not_add_up(national, regions, deps)
    dep_value = deps["84"]
    unknown = np.array([dep_value != "0", *(t != "0" for t in structures[libelle])])  # all but zeros
    assert recoverable(unknown, [Relation(0, tuple(range(1, len(unknown))))]) == []


def test_departement_page_shows_its_departement_only_and_no_small_count(monkeypatch, demo_database):
    spy = Spy(monkeypatch)
    at = open_page(monkeypatch, demo_database, "departement", nat_indicateur="risques_ouverts")
    assert "84" in at.title[0].value and "Vaucluse" in at.title[0].value
    tabs = [t.label for t in at.tabs][:3]
    assert tabs == ["Mon département", "Évolution et classement", "Tendances mensuelles"]
    assert not any(spec.get("params") for spec, _ in charts(at))  # no national map
    tables, metrics = visit_every_tab(at, tabs, "risques_ouverts")
    assert_no_small_count(tables, REGISTRY["risques_ouverts"].libelle, metrics)
    assert_no_small_count(spy.tables(), REGISTRY["risques_ouverts"].libelle, {})
    codes = {str(c) for t in tables if "Code" in t for c in t["Code"]}
    assert codes and all(c.startswith("ML84") for c in codes)
    assert not any(k in at.query_params for k in ("dep", "region"))


def test_no_individual_row_reaches_the_page_or_its_exports(monkeypatch, demo_database):
    spy = Spy(monkeypatch)
    at = open_page(monkeypatch, demo_database, "bureau", nat_dep="13")
    tables, _ = visit_every_tab(at, BUREAU_TABS[:4], "risques_ouverts")
    with make_engine(demo_database).connect() as conn:
        ids = set(conn.execute(select(Jeune.id_jeune)).scalars())
    shown = {str(v) for t in [*tables, *spy.tables()] for col in t for v in t[col]}
    assert not shown & ids
    assert all(re.fullmatch(r"[\w\-]+", str(v)) for v in at.query_params.values())
    assert set(at.query_params) <= {"indicateur", "region", "dep", "onglet", "famille", "periode", "annee",
                                    "dispositif", "sexe", "age", "niveau", "qpv", "frr", "rqth"}


def test_choosing_a_region_and_a_departement(monkeypatch, demo_database):
    at = open_page(monkeypatch, demo_database, "bureau", nat_region="76")
    options = at.selectbox(key="nat_dep").options
    assert options[0] == "Aucun" and {o[:2] for o in options[1:]} == {"09", "31"}
    at.selectbox(key="nat_dep").set_value("31").run()
    assert not at.exception
    assert "Département 31 — Haute-Garonne" in [s.value for s in at.subheader]
    assert {m.label for m in at.metric} >= {"France entière", "Occitanie", "Rang", "Structures"}
    structures = at.dataframe[1].value
    assert set(structures["Code"]) == {"ML31001", "ML31002"}
    assert at.query_params["region"] == "76" and at.query_params["dep"] == "31"


def test_other_roles_cannot_open_the_page(monkeypatch, demo_database):
    page = AppTest.from_file(str(ROOT / "pages" / "national.py"), default_timeout=60)
    page.session_state["_compte_de_cette_execution"] = Compte("c@demo.invalid", "conseiller", "ML13001")
    monkeypatch.setenv("MLIMPACT_DATABASE_URL", demo_database)
    page.run()
    assert not page.exception
    assert "n'est pas accessible avec votre rôle" in page.error[0].value
    assert not page.dataframe and not page.metric


def test_admin_page_runs_with_plain_figures(monkeypatch, demo_database):
    at = open_page(monkeypatch, demo_database, "admin", nat_indicateur="risques_ouverts")
    table = at.dataframe[0].value
    shown = table[REGISTRY["risques_ouverts"].libelle]
    assert not any(t in MASQUES or str(t).startswith("≈") for t in shown)  # exact: neither masked nor perturbed


def test_filters_reach_the_figures(monkeypatch, demo_database):
    at = open_page(monkeypatch, demo_database, "bureau", nat_indicateur="jeunes_suivis")
    at.selectbox(key="nat_dispositif").set_value("RSA").run()
    assert not at.exception
    shown = table_by_code(at.dataframe[0].value, REGISTRY["jeunes_suivis"].libelle)
    engine = make_engine(demo_database)
    expected = figures.tableau_affiche(territorial.tableau(engine, BUREAU, ANNEE, "jeunes_suivis", Filtres(dispositif="RSA"))).departements
    assert shown == dict(zip(expected["code"], expected["affichage"]))


def test_a_median_joins_the_map_once_the_engine_breaks_it_down(demo, monkeypatch):
    """`delai_entree_jours` (a median): masked on the people it is built on, its régions computed, not added up."""
    from indicators import engine

    code = "delai_entree_jours"
    if not territorial.ventilable(code):  # what the proposed engine change does
        monkeypatch.setattr(engine, "BREAKDOWN_NATURES", (*engine.BREAKDOWN_NATURES, Nature.NUMBER))
    assert code in territorial.indicateurs_carte()
    t = figures.tableau_affiche(territorial.tableau(demo, BUREAU, ANNEE, code))
    deps = raw(demo, BUREAU, Perimetre(), code, "departement")
    regions = raw(demo, BUREAU, Perimetre(), code, "region")
    for r in t.departements.itertuples():
        if petit(deps.loc[r.code, "denominateur"], K):
            assert r.masque and r.affichage == "secret"
        if not r.masque:
            assert float(r.valeur) == pytest.approx(float(deps.loc[r.code, "valeur"]))
    for r in t.regions.itertuples():
        if not r.masque:
            assert float(r.valeur) == pytest.approx(float(regions.loc[r.code, "valeur"]))


def test_a_trend_loaded_month_by_month_is_the_trend_of_the_whole_range(demo_database):
    """The national view loads its trends one cached month at a time (with a progress bar): same rows, masked
    the same way, as one call over the whole range."""
    from indicators.disclosure import service
    from mlimpact.db import make_engine
    from ui.cache import by_month

    engine = make_engine(demo_database)
    bureau = Compte("bureau@demo.invalid", "bureau")
    debut, fin = dt.date(2024, 11, 1), dt.date(2025, 10, 31)
    whole = service.trend(engine, bureau, debut, fin, Perimetre(), ["sanctions_rsa"])
    steps = []
    parts = by_month(
        debut, fin,
        lambda mois: service.trend(engine, bureau, mois.debut, mois.fin, Perimetre(), ["sanctions_rsa"]),
        lambda done, total: steps.append((done, total)),
    )
    pd.testing.assert_frame_equal(parts, whole)
    assert steps == [(i, 12) for i in range(1, 13)]
    assert parts["masque"].any() or parts["valeur"].min() >= 11  # masked like the whole: small counts hidden
    engine.dispose()


def test_exports_hold_numbers_ranks_and_percentages(monkeypatch, demo_database):
    """Every download of the page: a figure is a number (empty when masked, the reason beside it), a rank a whole
    number, a percentage a share with a percent format in the workbook (issue 18)."""
    spy = Spy(monkeypatch)
    at = open_page(monkeypatch, demo_database, "bureau", nat_indicateur="acces_emploi", nat_dep="13")
    visit_every_tab(at, BUREAU_TABS[:4], "jeunes_suivis")
    for build in spy.deferred:
        build()
    colonne = f"{REGISTRY['acces_emploi'].libelle} (%)"
    books = [openpyxl.load_workbook(io.BytesIO(b)) for b in spy.xlsx]
    sheets = {ws.title: ws for book in books for ws in book.worksheets}
    assert {"Départements", "Structures du 13", "Régions", "Dispersion", "Évolution et classement"} <= set(sheets)
    seen = 0
    for title, ws in sheets.items():
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            for name, cell in zip(header, row):
                if name == "Rang":
                    assert cell.value is None or isinstance(cell.value, int), (title, cell.value)
                elif str(name).endswith("(%)") and cell.value is not None:
                    assert isinstance(cell.value, float) and 0 <= cell.value <= 1 and cell.number_format == "0.0%"
                    seen += 1
                elif isinstance(cell.value, str) and name not in ("Code", "Valeur"):
                    assert not re.fullmatch(r"-?[\d\u202f ]+(,\d+)?( %)?", cell.value), (title, name, cell.value)
    assert seen
    first = list(csv.reader(io.StringIO(spy.csv[0].decode("utf-8-sig")), delimiter=";"))
    header = first[0]
    assert header[:4] == ["Rang", "Code", "Département", "Région"] and colonne in header
    values = [r[header.index(colonne)] for r in first[1:]]
    assert all(v == "" or re.fullmatch(r"\d+(,\d)?", v) for v in values) and any(values)


def test_the_median_delay_is_compared_between_territories(monkeypatch, demo_database):
    """The access table holds the entry delay by territory; no developer's note is left on the page."""
    at = open_page(monkeypatch, demo_database, "bureau")
    at.session_state["onglet"] = "Écarts entre territoires"
    at.run()
    assert not at.exception
    assert not any("Pas encore ventilé" in c.value for c in at.caption)
    assert any(o.endswith(REGISTRY["delai_entree_jours"].libelle) for o in at.selectbox(key="nat_indicateur").options)
    at = open_page(monkeypatch, demo_database, "departement")
    acces = at.dataframe[-1].value
    assert REGISTRY["delai_entree_jours"].libelle in acces.columns
    assert not any("Pas encore ventilé" in c.value for c in at.caption)


def test_the_menu_and_the_page_say_the_same_title(monkeypatch, demo_database):
    from ui import menu

    page = menu.page_of("national.py")
    for role, expected in (("bureau", "Vue nationale"), ("admin", "Vue nationale"), ("departement", "Vue départementale")):
        assert page.titre_pour(role) == expected
        at = open_page(monkeypatch, demo_database, role)
        assert at.title[0].value.startswith(expected), role


def test_one_jalon_today_does_not_complete_a_month_for_everyone(monkeypatch, demo_database, tmp_path):
    """« Données au » is the scope's: the earliest of its structures' latest dates. A jalon entered today in one
    structure moves nothing for France; the month the others have not finished is marked « incomplet » in the
    table (kept, not dropped, never a silent fall), with a hollow point and a word on the chart (issue 18)."""
    from mlimpact import overview, store
    from tests.db.test_report import copie_demo

    url = copie_demo(demo_database, tmp_path / "copie")
    engine = make_engine(url)
    with engine.begin() as conn:
        latest = overview.latest_by_structure(conn)
        through, late = overview.data_through(latest)
        jeune = conn.execute(select(Jeune.id_jeune).where(Jeune.code_structure == "ML13001")).scalars().first()
        conn.execute(Jalon.__table__.insert().values(id_jalon="AUJOURDHUI-1", id_jeune=jeune, date=dt.date.today(),
                                                     type="entretien"))
        store.bump_data_version(conn)
        assert overview.data_through(overview.latest_by_structure(conn)) == (through, late)  # unchanged for France
        assert overview.latest_by_structure(conn, ["ML13001"])["ML13001"] == dt.date.today()
    at = open_page(monkeypatch, url, "bureau", nat_annee=through.year, nat_indicateur="jeunes_suivis")
    assert any(f"données au {through.strftime('%d/%m/%Y')}, la plus ancienne" in c.value for c in at.caption)
    at.session_state["onglet"] = "Tendances mensuelles"
    at.run()
    assert not at.exception
    table = unfold_tables(at).dataframe[0].value
    mois_en_cours = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")[through.month - 1]
    row = table[table["Mois"] == mois_en_cours].iloc[0]
    incomplete_month_ends_after = (through + dt.timedelta(days=1)).day != 1
    assert ("(incomplet)" in str(row.iloc[1])) == incomplete_month_ends_after
    assert not any("(incomplet)" in str(v) for v in table.iloc[:, 2])  # the year before is complete
    spec, _ = charts(at)[0]
    layers = spec.get("layer", [])
    assert any(layer.get("mark", {}).get("fill") == "white" for layer in layers)
    assert any(layer.get("encoding", {}).get("text") == {"value": "incomplet"} for layer in layers)
