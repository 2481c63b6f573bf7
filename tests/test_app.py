"""The Streamlit app itself (AppTest): each page runs without exception and shows the store's figures."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from mlimpact.db import make_engine
from mlimpact.overview import overview
from tests.conftest import ROOT
from ui.formats import entier


@pytest.fixture
def app_on(monkeypatch):
    def start(url: str) -> AppTest:
        monkeypatch.setenv("MLIMPACT_DATABASE_URL", url)
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        return at.run()

    return start


def test_home_page_shows_what_the_store_holds(app_on, demo_database):
    at = app_on(demo_database)
    assert not at.exception
    with make_engine(demo_database).connect() as conn:
        expected = overview(conn)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Structures"] == entier(expected.structures)
    assert metrics["Jeunes"] == entier(expected.jeunes)
    assert metrics["Jalons"] == entier(expected.jalons)
    text = " ".join(md.value for md in at.markdown)
    assert expected.derniere_date.strftime("%d/%m/%Y") in text
    table = at.dataframe[0].value
    assert len(table) == expected.structures and table["Jeunes"].sum() == expected.jeunes


def test_home_page_on_an_empty_store(app_on, sqlite_template, tmp_path):
    from tests.conftest import new_sqlite_database

    at = app_on(new_sqlite_database(sqlite_template, tmp_path))
    assert not at.exception
    assert "La base est vide" in at.info[0].value
