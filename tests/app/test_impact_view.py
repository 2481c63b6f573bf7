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

from indicators.models import impact as modele
from indicators.disclosure import service
from indicators.registry import REGISTRY
from indicators.types import Echelon, Filtres, Nature, Perimetre, Periode
from mlimpact import audit
from indicators.models import impact_settings
from mlimpact.access import Compte
from mlimpact.db import make_engine
from tests.conftest import ROOT
from tests.db.test_report import copie_demo
from presentation.figures import texte_valeur as valeur_texte

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
    """Every count a page shows: count cards, and the value cells of its tables."""
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
    expected = service.compute(engine, compte, PERIODE, perimetre, filtres)
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
    assert "données au 31/10/2026" in captions  # as_of and scope on every view
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
    at = app_on(demo_database, "directeur")
    assert at.segmented_control(key="imp_theme").value == "public"
    at.segmented_control(key="imp_theme").set_value("departement").run()
    assert not at.exception
    tables = [frame.value for frame in at.dataframe]
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
    assert any("1\u202f234 en 2025" in c.value for c in at.caption)


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
