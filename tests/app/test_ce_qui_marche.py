"""The page « Ce qui marche » in AppTest: the figures are the library's for that account, masked outside the structure."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from indicators.disclosure.rule import Rule
from indicators.engine import data_through
from indicators.models import effets
from indicators.types import Echelon, Perimetre, Periode
from mlimpact.access import Compte
from mlimpact.db import make_engine
from presentation import effets as textes
from tests.app.test_impact_view import app_on  # noqa: F401 - a fixture
from tests.conftest import ROOT

PAGE = "../pages/ce_qui_marche.py"


def effects_table(at: AppTest):
    """The page's table of estimates (the one with the French headers of presentation.effets)."""
    return next(d.value for d in at.dataframe if list(d.value.columns) == list(textes.COLONNES.values()))


@pytest.fixture
def open_page(app_on):  # noqa: F811 - the imported fixture
    """The app in demo mode, signed in with `role`, on this page (the impact view's fixture)."""
    return lambda url, role, **widgets: app_on(url, role, page=PAGE, **widgets)


def test_director_sees_the_forest_plot_and_the_table_of_the_library(open_page, demo_database):
    at = open_page(demo_database, "directeur")
    assert not at.exception, at.exception
    assert at.title[0].value == "Ce qui marche"
    structure = at.selectbox(key="demo_structure").value
    # the page opens on the calendar year before as_of: pick the one the filters chose
    annee = at.selectbox(key="cqm_annee").value
    engine = make_engine(demo_database)
    try:
        attendu = effets.for_account(
            engine, Compte("directeur@demo.invalid", "directeur", structure), Periode(dt.date(annee, 1, 1), dt.date(annee, 12, 31)),
            Perimetre(Echelon.STRUCTURE, structure),
        )
    finally:
        engine.dispose()
    assert attendu.effets
    table = effects_table(at)
    if attendu.effets:
        assert list(table.columns) == list(textes.COLONNES.values())
        assert table.equals(textes.table(attendu))
        assert {"exact"} == {e.traitement for e in attendu.effets}
    assert at.get("page_link"), "the methodology is one click away"
    assert [x for x in at.expander if x.label == "La méthode, ses hypothèses et ses limites"]


def test_an_older_period_gives_estimates_and_a_departement_sees_small_groups_masked(open_page, demo_database, monkeypatch):
    monkeypatch.setenv("MLIMPACT_MIN_CELL", "150")
    at = open_page(demo_database, "departement", demo_dep="09")
    assert not at.exception, at.exception
    at.selectbox(key="cqm_annee").set_value(2024).run()
    assert not at.exception, at.exception
    table = effects_table(at)
    lectures = set(table["Lecture"])
    assert textes.MASQUE in lectures, lectures
    for value in list(table["Jeunes ayant reçu l'action"]) + list(table["Jeunes comparables sans l'action"]):
        assert value == "—" or int(value.replace("\u202f", "")) >= 150
    assert any("masquée" in c.value for c in at.caption)


def test_conseiller_has_no_route_to_the_page(open_page, demo_database):
    page = AppTest.from_file(str(ROOT / "pages" / "ce_qui_marche.py"), default_timeout=60)
    page.session_state["_compte_de_cette_execution"] = Compte("c@demo.invalid", "conseiller", "ML13001")
    page.run()
    assert not page.exception
    assert "n'est pas accessible avec votre rôle" in page.error[0].value
    assert not page.dataframe


def test_bureau_national_view_is_computed_in_the_background_then_kept(open_page, demo_database):
    at = open_page(demo_database, "bureau")
    assert not at.exception, at.exception
    table = effects_table(at)
    assert len(table) > 0
    for value in list(table["Jeunes ayant reçu l'action"]):
        assert value == "—" or int(value.replace("\u202f", "")) >= 11
    assert any("entre jeunes du même département" in c.value for c in at.caption)
    # kept under the data version: the library reads it back without computing
    engine = make_engine(demo_database)
    try:
        annee = at.selectbox(key="cqm_annee").value
        # at the date of France's data: the earliest of the structures' latest dates
        kept = effets.stored(engine, Periode(dt.date(annee, 1, 1), dt.date(annee, 12, 31)), Perimetre(), as_of=data_through(engine, Perimetre()))
    finally:
        engine.dispose()
    assert kept is not None and textes.table(effets.visible(kept, Rule("perturbe", 11))).equals(table)


def test_the_page_opens_again_from_the_cache_without_an_error(open_page, demo_database):
    """The second visit is served from the cache: the progress bar moved during the first must not be replayed
    (Streamlit refused it with CacheReplayClosureError, « Remove the `@st.cache_data` decorator… »)."""
    first = open_page(demo_database, "directeur")
    assert not first.exception, first.exception
    again = open_page(demo_database, "directeur")
    assert not again.exception, again.exception
    assert effects_table(again).equals(effects_table(first))
