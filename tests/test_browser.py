"""End-to-end journeys in a real Chromium (Playwright) against the running app."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from mlimpact.db import make_engine
from mlimpact.overview import overview
from ui.formats import entier

pytestmark = pytest.mark.browser


def test_home_page_shows_the_figures(page: Page, running_app, artefacts):
    with make_engine(running_app.database_url).connect() as conn:
        expected = overview(conn)
    page.goto(running_app.url)
    expect(page.get_by_role("heading", name="Parcours & Impact")).to_be_visible(timeout=30_000)
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.first).to_be_visible(timeout=30_000)
    jeunes = metrics.filter(has_text="Jeunes")
    expect(jeunes).to_contain_text(entier(expected.jeunes))
    expect(metrics.filter(has_text="Jalons")).to_contain_text(entier(expected.jalons))
    expect(page.get_by_text(re.compile(expected.derniere_date.strftime("%d/%m/%Y")))).to_be_visible()
    page.screenshot(path=str(artefacts / "accueil.png"), full_page=True)


def test_one_menu_only(page: Page, running_app):
    """st.navigation in the entry point: the pages/ folder must not add a second menu."""
    page.goto(running_app.url)
    expect(page.get_by_role("heading", name="Parcours & Impact")).to_be_visible(timeout=30_000)
    assert page.get_by_test_id("stSidebarNav").count() <= 1
    assert page.get_by_test_id("stSidebarNav").get_by_role("link", name="Accueil").count() <= 1
