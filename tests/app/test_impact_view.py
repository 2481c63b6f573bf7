"""The director's pages in AppTest: impact, objectives and financements, methodology — every role.

The figures a page shows must be the service's for that account and scope;
a filter changes them; a departement or bureau account never sees a count
between 1 and 10; the objectives editor writes and the audit records it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from streamlit.testing.v1 import AppTest

from indicators.disclosure import service
from indicators.engine import data_through
from indicators.models import impact as modele
from indicators.models import impact_settings
from indicators.registry import REGISTRY
from indicators.types import Echelon, Filtres, Nature, Perimetre, Periode
from mlimpact import audit
from mlimpact.access import Compte
from mlimpact.db import make_engine
from presentation.figures import texte_valeur as valeur_texte
from reports import contenu as ct
from tests.conftest import ROOT
from tests.db.test_report import copie_demo
from tests.support.apptest import TABLE_FOLD, THEMES_FOLD, unfold, unfold_tables

ROLES = [
    ("conseiller", {}),
    ("directeur", {}),
    ("departement", {"demo_dep": "13"}),
    ("bureau", {}),
    ("admin", {}),
]
ANNEE = 2025
PERIODE = Periode(dt.date(ANNEE, 1, 1), dt.date(ANNEE, 12, 31))


@pytest.fixture
def app_on(monkeypatch):
    def start(url: str, role: str, page: str = "../pages/impact.py", **widgets) -> AppTest:
        monkeypatch.setenv("MLIMPACT_DATABASE_URL", url)
        monkeypatch.setenv("MLIMPACT_DEMO", "1")
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180)
        at.run()
        at.selectbox(key="demo_role").set_value(role).run()
        for key, value in widgets.items():
            at.selectbox(key=key).set_value(value).run()
        at.switch_page(page).run()
        return at

    return start


def compte_de(at: AppTest, role: str, extra: dict) -> Compte:
    structure = at.selectbox(key="demo_structure").value if role in ("conseiller", "directeur") else None
    return Compte(f"{role}@demo.invalid", role, structure, extra.get("demo_dep"))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def shown_counts(at: AppTest) -> list[int]:
    """Every count a page shows: count cards, and the value cells of its tables (the charts' ones unfolded)."""
    unfold_tables(at)
    out = []
    labels = {d.libelle: d for d in REGISTRY.values()}
    for label, value in metrics(at).items():
        if label in labels and labels[label].nature is Nature.COUNT and re.fullmatch(r"[\d\u202f]+", value):
            out.append(int(value.replace("\u202f", "")))
    for frame in at.dataframe:
        table = frame.value
        for column in ("Valeur", "Ruptures évitées", "Ruptures survenues", "Risques en cours"):
            if column in table:
                out += [int(v.replace("\u202f", "")) for v in table[column].astype(str) if re.fullmatch(r"[\d\u202f]+", v)]
    return out


def assert_cards_are_the_service_ones(at: AppTest, url: str, compte: Compte, perimetre: Perimetre, filtres: Filtres = Filtres()):
    engine = make_engine(url)
    # « données au » of the scope: the earliest of its structures' latest dates (the page's date)
    expected = service.compute(engine, compte, PERIODE, perimetre, filtres, as_of=data_through(engine, perimetre))
    shown = metrics(at)
    for code, valeur in expected.items():
        assert shown[REGISTRY[code].libelle] == valeur_texte(code, valeur), code


# --- every page, every role ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "extra"), ROLES)
def test_impact_page_shows_the_service_figures_for_every_role(app_on, demo_database, role, extra):
    at = app_on(demo_database, role, **extra)
    assert not at.exception
    at.selectbox(key="imp_annee").set_value(ANNEE).run()
    assert not at.exception
    compte = compte_de(at, role, extra)
    if compte.est_structure:
        perimetre = Perimetre(Echelon.STRUCTURE, compte.code_structure)
    elif role == "departement":
        perimetre = Perimetre(Echelon.DEPARTEMENT, "13")
    else:
        perimetre = Perimetre()
    assert_cards_are_the_service_ones(at, demo_database, compte, perimetre)
    captions = " ".join(c.value for c in at.caption)
    # as_of and scope on every view: the scope's own date (the demo's structures stop in late October)
    attendu = data_through(make_engine(demo_database), perimetre)
    assert dt.date(2026, 10, 1) <= attendu <= dt.date(2026, 10, 31)
    assert f"données au {attendu:%d/%m/%Y}" in captions
    assert "année 2025" in captions
    headers = {h.value for h in at.header}
    assert {"Activité : ce qui est fait et ce que cela coûte", "Impact : ce qui est évité, en euros"} <= headers
    assert len(at.get("vega_lite_chart")) >= 5


@pytest.mark.parametrize(("role", "extra"), ROLES)
def test_methodology_page_for_every_role(app_on, demo_database, role, extra):
    at = app_on(demo_database, role, page="../pages/methodologie.py", **extra)
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for d in REGISTRY.values():
        assert f"{d.libelle} (`{d.code}`)" in text
    assert "Paramètres du modèle d'impact" in text
    assert "données au 31/10/2026" in " ".join(c.value for c in at.caption)
    assert len(at.dataframe[0].value) == len(REGISTRY)


@pytest.mark.parametrize(("role", "extra"), [r for r in ROLES if r[0] != "directeur"])
def test_convention_page_is_the_directors_only(app_on, demo_database, role, extra):
    at = app_on(demo_database, role, page="../pages/accueil.py", **extra)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../pages/convention.py")
    page = AppTest.from_file(str(ROOT / "pages" / "convention.py"), default_timeout=60)
    page.session_state["_compte_de_cette_execution"] = Compte(f"{role}@demo.invalid", role, "ML13001" if role == "conseiller" else None, extra.get("demo_dep"))
    page.run()
    assert "n'est pas accessible avec votre rôle" in page.error[0].value
    assert not page.number_input


# --- filters --------------------------------------------------------------------------------------------------
def test_a_filter_changes_the_figures(app_on, demo_database):
    at = app_on(demo_database, "directeur")
    at.selectbox(key="imp_annee").set_value(ANNEE).run()
    compte = compte_de(at, "directeur", {})
    perimetre = Perimetre(Echelon.STRUCTURE, compte.code_structure)
    before = metrics(at)["Jeunes suivis"]
    at.selectbox(key="imp_sexe").set_value("F").run()
    assert not at.exception
    after = metrics(at)["Jeunes suivis"]
    assert after != before
    assert_cards_are_the_service_ones(at, demo_database, compte, perimetre, Filtres(sexe="F"))
    assert at.query_params["sexe"] in ("F", ["F"])  # bookmarkable: the filter is in the URL
    at.selectbox(key="imp_periode").set_value("trimestre").run()
    assert not at.exception
    assert "trimestre" in " ".join(c.value for c in at.caption)


def test_the_theme_selector_draws_the_relation_with_the_departement(app_on, demo_database):
    at = unfold(app_on(demo_database, "directeur"), THEMES_FOLD)
    assert at.segmented_control(key="imp_theme").value == "public"
    at.segmented_control(key="imp_theme").set_value("departement").run()
    assert not at.exception
    tables = [frame.value for frame in unfold_tables(at).dataframe]
    rsa = [t for t in tables if "Indicateur" in t and "Ancrage au RSA" in set(t["Indicateur"])]
    assert rsa and {"Jeunes au RSA accompagnés", "Sanctions RSA", "Sorties du RSA"} <= set(rsa[0]["Indicateur"])
    assert any("Encore au RSA" in t for t in tables)  # the cohort curve's figures


# --- secret statistique ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "extra", "scope"),
    [("departement", {"demo_dep": "13"}, {"imp_structure": "ML13001"}), ("bureau", {}, {"imp_echelon": Echelon.STRUCTURE})],
)
def test_outside_the_structure_no_count_between_1_and_10(app_on, demo_database, role, extra, scope):
    at = app_on(demo_database, role, **extra)
    for key, value in scope.items():
        at.selectbox(key=key).set_value(value).run()
    for month_scope in ("annee", "trimestre"):
        at.selectbox(key="imp_periode").set_value(month_scope).run()
        assert not at.exception
        counts = shown_counts(at)
        assert counts, "the page shows counts"
        assert not [n for n in counts if 1 <= n <= 10]
        assert any(v in ("< 11", "secret") for v in metrics(at).values()) or month_scope == "annee"


# --- the director's editor -------------------------------------------------------------------------------------
def test_the_objectives_editor_saves_audits_and_the_impact_page_shows_it(app_on, demo_database, tmp_path):
    url = copie_demo(demo_database, tmp_path)
    at = app_on(url, "directeur", page="../pages/convention.py")
    assert not at.exception
    code = compte_de(at, "directeur", {}).code_structure
    at.selectbox(key="conv_annee").set_value(ANNEE).run()
    at.selectbox(key="conv_obj_indicateur").set_value("immersions")
    at.number_input(key="conv_obj_cible").set_value(1234)
    next(b for b in at.button if b.label == "Enregistrer l'objectif").click().run()
    assert not at.exception
    assert "Objectif enregistré" in at.success[0].value
    with make_engine(url).connect() as conn:
        rows = impact_settings.objectifs(conn, code, ANNEE)
        entries = audit.entries(conn, table="objectifs")
    assert {"annee": ANNEE, "indicateur": "immersions", "cible": 1234.0} in rows
    assert entries[0]["action"] in ("create", "update") and entries[0]["auteur"] == "directeur@demo.invalid"
    assert entries[0]["apres"]["cible"] == 1234.0
    assert "Immersions en entreprise" in set(at.dataframe[0].value["Indicateur"])
    at.switch_page("../pages/impact.py").run()
    at.selectbox(key="imp_annee").set_value(ANNEE).run()
    assert any("Objectif de la convention 2025 : 1\u202f234, comparé au résultat de la structure" in c.value for c in at.caption)


def test_the_financements_editor_refuses_nothing_valid_and_records_it(app_on, demo_database, tmp_path):
    url = copie_demo(demo_database, tmp_path)
    at = app_on(url, "directeur", page="../pages/convention.py")
    code = compte_de(at, "directeur", {}).code_structure
    at.selectbox(key="conv_annee").set_value(2026).run()
    at.selectbox(key="conv_fin_financeur").set_value("CD")
    at.selectbox(key="conv_fin_dispositif").set_value("RSA")
    at.number_input(key="conv_fin_montant").set_value(55000)
    next(b for b in at.button if b.label == "Enregistrer le financement").click().run()
    assert not at.exception
    with make_engine(url).connect() as conn:
        assert {"annee": 2026, "financeur": "CD", "dispositif": "RSA", "montant_eur": 55000.0} in impact_settings.financements(conn, code, 2026)
        assert audit.entries(conn, table="financements")[0]["auteur"] == "directeur@demo.invalid"


def test_edited_impact_parameters_are_audited_and_change_the_net_card(app_on, demo_database, tmp_path):
    url = copie_demo(demo_database, tmp_path)
    at = app_on(url, "directeur", page="../pages/convention.py")
    code = compte_de(at, "directeur", {}).code_structure
    at.number_input(key="conv_param_effet_aubaine").set_value(60.0)
    next(b for b in at.button if b.label == "Enregistrer les paramètres").click().run()
    assert "Cochez la case de confirmation" in at.error[0].value
    at.checkbox(key="conv_param_confirme").check()
    next(b for b in at.button if b.label == "Enregistrer les paramètres").click().run()
    assert not at.exception
    with make_engine(url).connect() as conn:
        assert impact_settings.overrides(conn, code) == {"effet_aubaine": 0.6}
        assert impact_settings.last_change(conn, code)["auteur"] == "directeur@demo.invalid"
        params = impact_settings.parameters(conn, code)
    at.switch_page("../pages/impact.py").run()
    at.selectbox(key="imp_annee").set_value(ANNEE).run()
    brut = service.compute(make_engine(url), Compte("d", "directeur", code), PERIODE, Perimetre(Echelon.STRUCTURE, code))["couts_evites_bruts_eur"]
    net = modele.net(brut.valeur, params)
    assert metrics(at)["Allocations RSA évitées (net)"] == valeur_texte("couts_evites_nets_eur", brut.__class__("couts_evites_nets_eur", net))
    assert any("Paramètres modifiés par la direction" in w.value for w in at.warning)


# --- ready for a real meeting (issue 18) ---------------------------------------------------------------------
def director_at(app_on, url, **widgets):
    """The impact page of the demo director (year 2025, the default), with the given sidebar widgets set."""
    at = app_on(url, "directeur")
    for key, value in widgets.items():
        at.selectbox(key=key).set_value(value).run()
    assert not at.exception
    return at


def test_the_departement_reads_its_own_return_first_and_every_financeur_has_its_line(app_on, demo_database):
    at = director_at(app_on, demo_database)
    compte = compte_de(at, "directeur", {})
    perimetre = Perimetre(Echelon.STRUCTURE, compte.code_structure)
    expected = service.compute(make_engine(demo_database), compte, PERIODE, perimetre)
    shown = metrics(at)
    assert shown["Euros évités par euro du Département"] == valeur_texte("euros_evites_par_euro_cd", expected["euros_evites_par_euro_cd"])
    assert shown["Euros évités par euro, tous financeurs"] == valeur_texte(
        "euros_evites_par_euro_investi", expected["euros_evites_par_euro_investi"]
    )
    # the Département's ratio divides by its own money, which is less than every financeur's
    assert expected["budget_cd_eur"].valeur < expected["budget_eur"].valeur
    assert expected["euros_evites_par_euro_cd"].valeur > expected["euros_evites_par_euro_investi"].valeur
    text = " ".join(m.value for m in at.markdown)
    assert "financement du Département sur la période" in text  # its break-even names its money
    retours = next(f.value for f in at.dataframe if "Financeur" in f.value)
    assert {"Conseil départemental", "État", "Tous financeurs"} <= set(retours["Financeur"])
    etat = retours[retours["Financeur"] == "État"].iloc[0]
    assert etat["€ de RSA évités par € (hypothèse centrale)"] == "sans objet"


def test_an_objective_says_which_figure_it_is_compared_with(app_on, demo_database):
    at = director_at(app_on, demo_database, imp_dispositif="RSA")
    caption = next(c.value for c in at.caption if c.value.startswith("Objectif de la convention 2025 : ") and "emploi" not in c.value
                   and "%" in c.value)
    assert "comparé au résultat de la structure sur toute l'année 2025, tous publics" in caption
    assert "pas le chiffre de la carte" in caption  # under a filter the card is another figure
    at = director_at(app_on, demo_database)
    assert not any("pas le chiffre de la carte" in c.value for c in at.caption)  # the whole year, every public


def test_a_change_says_against_which_period_and_the_comparison_is_chosen(app_on, demo_database):
    at = director_at(app_on, demo_database)
    deltas = [m.proto.delta for m in at.metric if m.proto.delta]
    assert deltas and all("par rapport au 01/01/2024–31/12/2024" in d for d in deltas)
    at.selectbox(key="imp_comparer").set_value("perso").run()
    at.date_input(key="imp_cdates").set_value((dt.date(2023, 1, 1), dt.date(2023, 12, 31))).run()
    assert not at.exception
    assert at.query_params["comparer"] in ("perso", ["perso"]) and at.query_params["cdebut"] in ("2023-01-01", ["2023-01-01"])
    compte = compte_de(at, "directeur", {})
    before = service.compute(make_engine(demo_database), compte, Periode(dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
                             Perimetre(Echelon.STRUCTURE, compte.code_structure))
    now = service.compute(make_engine(demo_database), compte, PERIODE, Perimetre(Echelon.STRUCTURE, compte.code_structure))
    card = next(m for m in at.metric if m.label == "Jeunes suivis")
    diff = now["jeunes_suivis"].valeur - before["jeunes_suivis"].valeur
    assert card.proto.delta.startswith(("+" if diff > 0 else "-") + f"{abs(diff)} par rapport au 01/01/2023–31/12/2023")


def test_the_default_period_is_the_last_complete_one(app_on, demo_database):
    at = app_on(demo_database, "directeur")  # data up to 31/10/2026: 2026 is not over
    assert at.selectbox(key="imp_annee").value == 2025
    at.selectbox(key="imp_periode").set_value("trimestre").run()
    assert at.selectbox(key="imp_trimestre").value == "2026-T3"  # not the 4th quarter, with one month of data


def test_cards_carry_their_units(app_on, demo_database):
    shown = metrics(director_at(app_on, demo_database))
    assert shown["Délai d'entrée"].endswith("\u00a0jours")
    assert shown["Mois de RSA évités"].endswith("\u00a0mois")


def test_the_trend_is_the_cumulative_figure_the_card_shows_and_says_so(app_on, demo_database):
    at = director_at(app_on, demo_database)
    assert any("Cumul depuis le 01/01/2025" in m.value and "le dernier point est le chiffre des cartes" in m.value
               for m in at.markdown)
    tables = [f.value for f in unfold_tables(at).dataframe if {"Mois", "Indicateur", "Valeur"} <= set(f.value.columns)]
    emploi = next(t for t in tables if "Accès à l'emploi" in set(t["Indicateur"]))
    last = emploi[emploi["Indicateur"] == "Accès à l'emploi"].iloc[-1]
    assert last["Mois"] == "12/2025" and last["Valeur"] == metrics(at)["Accès à l'emploi"]


def test_the_waterfall_names_every_bar_and_no_legend_is_cut(app_on, demo_database):
    import json

    at = director_at(app_on, demo_database)
    charts = at.get("vega_lite_chart")
    specs = [json.loads(c.proto.spec) for c in charts]
    texts = [json.dumps(s, ensure_ascii=False) + " ".join(_dataset_texts(c.proto)) for s, c in zip(specs, charts)]
    labels = next(t for t in texts if "Coûts évités bruts" in t)
    assert "Effet d'aubaine : − " in labels and "Part des autres acteurs : − " in labels  # each deduction named on its bar
    for spec in specs:
        for match in re.finditer(r'"legend": \{[^}]*\}', json.dumps(spec)):
            assert '"labelLimit": 0' in match.group(0)


def _dataset_texts(proto) -> list[str]:
    """The text cells of a chart's datasets (Streamlit ships them as Arrow beside the spec)."""
    import pyarrow as pa

    out = []
    for named in proto.datasets:
        table = pa.ipc.open_stream(named.data.data).read_all()
        out += [str(v) for col in table.columns for v in col.to_pylist() if isinstance(v, str)]
    return out


def test_the_directors_words_are_written_on_the_convention_page_and_refused_when_identifying(app_on, demo_database, tmp_path):
    url = copie_demo(demo_database, tmp_path)
    at = app_on(url, "directeur", page="../pages/convention.py")
    code = compte_de(at, "directeur", {}).code_structure
    at.selectbox(key="conv_annee").set_value(ANNEE).run()
    at.text_area(key=f"conv_notes_recits_{ANNEE}").input("Sa conseillère l'a appelée au 06 12 34 56 78.")
    next(b for b in at.button if b.label == "Enregistrer les textes").click().run()
    assert not at.exception
    assert any("numéro de téléphone" in e.value for e in at.error)
    with make_engine(url).connect() as conn:
        from mlimpact import notes

        assert notes.lire(conn, code, ANNEE)["recits"] == ""
    at.text_area(key=f"conv_notes_faits_{ANNEE}").input("**Ouverture** d'une antenne <b>rurale</b>.")
    at.text_area(key=f"conv_notes_recits_{ANNEE}").input("L., 20 ans, sortie du RSA après une formation.")
    next(b for b in at.button if b.label == "Enregistrer les textes").click().run()
    assert not at.exception
    assert "Textes de 2025 enregistrés" in at.success[0].value
    with make_engine(url).connect() as conn:
        assert notes.lire(conn, code, ANNEE) == {
            "faits": "**Ouverture** d'une antenne <b>rurale</b>.", "recits": "L., 20 ans, sortie du RSA après une formation."
        }
        assert audit.entries(conn, table="notes_annuelles")[0]["auteur"] == "directeur@demo.invalid"
    # the free text is never rendered as Markdown or HTML anywhere on the page
    assert not any("<b>rurale</b>" in m.value or "**Ouverture**" in m.value for m in at.markdown)
    journal = at.dataframe[-1].value
    assert "notes_annuelles" in set(journal["Table"])


def test_donnees_au_is_the_scopes_own_date(app_on, demo_database, tmp_path):
    """A jalon entered today by ML13001 moves its own « données au », not that of another Mission Locale nor of
    France (the earliest of its structures' latest dates); the incomplete-month note follows the scope (issue 18)."""
    from sqlalchemy import select

    from mlimpact import overview, store
    from mlimpact.models import Jalon, Jeune

    url = copie_demo(demo_database, tmp_path / "copie")
    engine = make_engine(url)
    today = dt.date.today()
    try:
        with engine.begin() as conn:
            through, _ = overview.data_through(overview.latest_by_structure(conn))
            other = overview.latest_by_structure(conn, ["ML84001"])["ML84001"]
            jeune = conn.execute(select(Jeune.id_jeune).where(Jeune.code_structure == "ML13001")).scalars().first()
            conn.execute(Jalon.__table__.insert().values(id_jalon="AUJOURDHUI-1", id_jeune=jeune, date=today, type="entretien"))
            store.bump_data_version(conn)
    finally:
        engine.dispose()
    assert through < today and other < today

    def donnees_au(at: AppTest) -> str:
        return next(re.search(r"données au (\d\d/\d\d/\d{4})", c.value).group(1) for c in at.caption if "données au" in c.value)

    own = app_on(url, "directeur", demo_structure="ML13001")
    assert not own.exception, own.exception
    assert donnees_au(own) == today.strftime("%d/%m/%Y")
    autre = app_on(url, "directeur", demo_structure="ML84001")
    assert not autre.exception, autre.exception
    assert donnees_au(autre) == other.strftime("%d/%m/%Y")
    france = app_on(url, "bureau")
    assert not france.exception, france.exception
    assert donnees_au(france) == through.strftime("%d/%m/%Y")


def test_a_second_session_draws_the_kept_charts_without_building_them(app_on, demo_database, monkeypatch):
    """Twenty directors at a meeting ask for the same figures: the charts are built once (`ui.cache.chart`), the
    other sessions send the kept Vega-Lite specs (building Altair charts was most of the page's server time)."""
    from reports import figures as fig

    built = []
    original = fig.tendance

    def counted(*args, **kwargs):
        built.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(fig, "tendance", counted)
    first = app_on(demo_database, "directeur")
    assert not first.exception, first.exception
    charts_first = [c.proto.spec for c in first.get("vega_lite_chart")]
    before = len(built)
    second = app_on(demo_database, "directeur")
    assert not second.exception, second.exception
    assert len(built) == before, "the second session built the trend charts again"
    assert [c.proto.spec for c in second.get("vega_lite_chart")] == charts_first
    assert len(charts_first) >= 5


def test_the_kept_charts_ship_their_tables_as_arrow_converted_once(app_on, demo_database):
    """`ui.charts.vega_spec` converts each chart's table to Arrow when the chart is built: Streamlit passes bytes
    through instead of converting rows on every draw of every session. The tables drawn are the charts' own."""
    import altair as alt
    import pandas as pd
    from streamlit import dataframe_util

    from ui.charts import vega_spec

    rows = pd.DataFrame({"libelle": ["Emploi", "Formation"], "valeur": [12.5, 7.0]})
    spec = vega_spec(alt.Chart(rows).mark_bar().encode(x="valeur", y="libelle"))
    (table,) = spec["datasets"].values()
    assert isinstance(table, bytes)
    pd.testing.assert_frame_equal(dataframe_util.convert_arrow_bytes_to_pandas_df(table)[["libelle", "valeur"]], rows,
                                  check_dtype=False)
    at = app_on(demo_database, "directeur")
    assert not at.exception, at.exception
    for chart in at.get("vega_lite_chart"):
        assert chart.proto.datasets, "a chart was sent without its table"
        for named in chart.proto.datasets:
            assert len(dataframe_util.convert_arrow_bytes_to_pandas_df(named.data.data)) > 0


def test_the_charts_tables_are_built_only_when_unfolded(app_on, demo_database):
    """Every chart keeps its figures one click away (RGAA), built for whoever unfolds them, not on every run."""
    at = director_at(app_on, demo_database)
    folds = [e for e in at.expander if e.label == TABLE_FOLD]
    assert len(folds) >= 6 and not any(f.children for f in folds)
    before = len(at.dataframe)
    unfold_tables(at)
    folds = [e for e in at.expander if e.label == TABLE_FOLD]
    assert all(len(f.children) == 1 for f in folds) and len(at.dataframe) == before + len(folds)


def test_a_cards_definition_is_written_when_its_popover_opens(app_on, demo_database):
    """Numerator, denominator and « Ici : n / d » one click away (the popover reruns the page to write them)."""
    at = director_at(app_on, demo_database)
    assert not any(m.value.startswith("Numérateur") or "Numérateur :" in m.value for m in at.markdown)
    at.session_state["imp_activite_def_jeunes_suivis"] = True
    at.run()
    [texte] = [m.value for m in at.markdown if "Numérateur :" in m.value]
    assert texte.startswith(f"**{REGISTRY['jeunes_suivis'].libelle}**") and "Ici :" not in texte  # a count: no ratio
    at.session_state["imp_activite_def_jeunes_suivis"] = False
    at.session_state["imp_produit_def_acces_emploi"] = True
    at.run()
    [texte] = [m.value for m in at.markdown if "Numérateur :" in m.value]
    assert "Accès à l'emploi" in texte and "Ici :" in texte


def test_the_themes_are_built_only_when_unfolded(app_on, demo_database):
    """The four themes' breakdowns (six charts for the public alone) are one click away: a page opened by twenty
    directors at once no longer builds, sends and draws them for each (docs/benchmarks.md)."""
    at = app_on(demo_database, "directeur")
    assert not at.exception
    assert "Le public accompagné et les quatre thèmes du réseau" in [h.value for h in at.subheader]
    assert not [w for w in at.get("segmented_control") if w.key == "imp_theme"]
    charts_folded = len(at.get("vega_lite_chart"))
    at = unfold(at, THEMES_FOLD)
    assert not at.exception
    assert at.segmented_control(key="imp_theme").value == "public"
    assert len(at.get("vega_lite_chart")) == charts_folded + len(ct.THEMES["public"][1])
