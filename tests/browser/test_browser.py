"""End-to-end journeys in a real Chromium (Playwright) against the running app (demo mode)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mlimpact import vocab
from mlimpact.db import make_engine
from mlimpact.overview import overview
from presentation.formats import entier
from tests.support.browser_helpers import demo_sign_in
from ui import menu

pytestmark = pytest.mark.browser


def test_home_page_shows_the_figures(page: Page, running_app, artefacts):
    from indicators.disclosure.rule import Rule
    from indicators.disclosure.service import count_as_seen

    with make_engine(running_app.database_url).connect() as conn:
        expected = overview(conn)
    demo_sign_in(page, running_app.url, "Bureau national")
    metrics = page.get_by_test_id("stMetric")
    bureau = Rule("perturbe", 11)  # the bureau's counts are perturbed by their cell keys (docs/disclosure.md)
    k_jeunes, _, k_jalons = expected.cles
    expect(metrics.filter(has_text="Jeunes")).to_contain_text(entier(count_as_seen(bureau, expected.jeunes, k_jeunes)[0]))
    expect(metrics.filter(has_text="Jalons")).to_contain_text(entier(count_as_seen(bureau, expected.jalons, k_jalons)[0]))
    expect(metrics.filter(has_text="Structures")).to_contain_text(entier(expected.structures))
    expect(page.get_by_text(expected.derniere_date.strftime("%d/%m/%Y"), exact=False)).to_be_visible()
    page.screenshot(path=str(artefacts / "accueil-bureau.png"), full_page=True)


def test_a_conseiller_sees_one_structure(page: Page, running_app, artefacts):
    demo_sign_in(page, running_app.url, "Conseiller·ère")
    expect(page.get_by_test_id("stMetric").filter(has_text="Structures")).to_contain_text("1")
    page.screenshot(path=str(artefacts / "accueil-conseiller.png"), full_page=True)


@pytest.mark.parametrize("role", list(vocab.ROLES))
def test_one_menu_only(page: Page, running_app, role):
    """st.navigation in the entry point is the only menu, with exactly the role's pages, each once."""
    demo_sign_in(page, running_app.url, vocab.ROLES[role])
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_have_count(1)
    expect(page.locator("nav")).to_have_count(1)
    links = nav.get_by_test_id("stSidebarNavLink")
    expect(links).to_have_count(len(menu.pages_for(role)))
    titles = [text.splitlines()[-1].strip() for text in links.all_inner_texts()]  # after the icon's ligature
    assert titles == [p.titre_pour(role) for p in menu.pages_for(role)]
