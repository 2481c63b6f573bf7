"""A director opens « Ce qui marche » in a real Chromium (demo mode): the forest plot, its table, the method.

A screenshot is kept in artefacts/ for a person to look at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_browser_director import DIRECTION, STRUCTURE, capture, open_page
from tests.support.browser_helpers import demo_sign_in

pytestmark = pytest.mark.browser


def test_a_director_reads_what_works(page: Page, running_app, artefacts):
    demo_sign_in(page, running_app.url, DIRECTION, structure=STRUCTURE)
    open_page(page, "Ce qui marche", "Ce qui marche")
    expect(page.get_by_text("données au 30/10/2026").first).to_be_visible()  # ML13001's last jalon (the scope's date)
    # the forest plot and its table (French headers), once computed
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible(timeout=120_000)
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    # the words of caution and the method one click away
    expect(page.get_by_text("non démontré").first).to_be_visible()
    page.get_by_text("La méthode, ses hypothèses et ses limites").click()
    expect(page.get_by_text("VanderWeele et Ding").first).to_be_visible()
    expect(page.get_by_role("link", name="Méthodologie complète")).to_be_visible()
    capture(page, artefacts / "directeur-ce-qui-marche.png")
    page.get_by_role("link", name="Méthodologie complète").click()
    expect(page.get_by_role("heading", name="Ce qui marche : effets associés aux actions")).to_be_visible(timeout=60_000)
