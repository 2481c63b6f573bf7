"""End-to-end journeys in a real Chromium (Playwright) against the running app (demo mode)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mlimpact.db import make_engine
from mlimpact.overview import overview
from tests.support.browser_helpers import demo_sign_in, wait_for_app
from presentation.formats import entier

pytestmark = pytest.mark.browser


def test_home_page_shows_the_figures(page: Page, running_app, artefacts):
    with make_engine(running_app.database_url).connect() as conn:
        expected = overview(conn)
    demo_sign_in(page, running_app.url, "Bureau national")
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.filter(has_text="Jeunes")).to_contain_text(entier(expected.jeunes))
    expect(metrics.filter(has_text="Jalons")).to_contain_text(entier(expected.jalons))
    expect(metrics.filter(has_text="Structures")).to_contain_text(entier(expected.structures))
    expect(page.get_by_text(expected.derniere_date.strftime("%d/%m/%Y"), exact=False)).to_be_visible()
    page.screenshot(path=str(artefacts / "accueil-bureau.png"), full_page=True)


def test_a_conseiller_sees_one_structure(page: Page, running_app, artefacts):
    demo_sign_in(page, running_app.url, "Conseiller·ère")
    expect(page.get_by_test_id("stMetric").filter(has_text="Structures")).to_contain_text("1")
    page.screenshot(path=str(artefacts / "accueil-conseiller.png"), full_page=True)


def test_one_menu_only(page: Page, running_app):
    """st.navigation in the entry point is the only menu: no page folder adds a second one."""
    page.goto(running_app.url)
    wait_for_app(page)
    assert page.get_by_test_id("stSidebarNav").count() <= 1
    assert page.get_by_role("link", name="Accueil").count() <= 1
