"""Everything a user sees or a screen reader speaks is French: every page of every role, opened in Chromium.

On each page the test opens a select box (its list and the screen reader's
« N options available »), hovers the charts and tables (their toolbars), and
collects the visible text and the `placeholder`, `aria-label`, `title`
attributes; none may be one of Streamlit's English strings (`ANGLAIS`), and the
document must declare `lang="fr"`. `app/french_page.py` does the translating.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.french_page import MOTIFS, TEXTES
from mlimpact import vocab
from tests.support.browser_helpers import demo_sign_in, wait_for_app
from ui import menu

pytestmark = pytest.mark.browser

# What Streamlit 1.67 writes in English (found by opening every page of every role), and a few patterns.
ANGLAIS = {en for en, fr in TEXTES.items() if en != fr}  # « Format », « mm » are French too
ANGLAIS_MOTIFS = [re.compile(p) for p, _ in MOTIFS] + [
    re.compile(r"\boptions? available\b"), re.compile(r"\bDrag and drop\b"), re.compile(r"\bper file\b"),
    re.compile(r"\bChoose (an option|options|date)\b"), re.compile(r"\bPress (Ctrl|⌘)?\+?Enter\b"),
]

COLLECT = """() => {
  const out = [];
  const keep = (s) => { s = (s || "").trim(); if (s) out.push(s); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const p = n.parentElement;
    if (!p || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(p.nodeName) || p.closest('[translate="no"]')) continue;  // icons
    keep(n.nodeValue);
  }
  for (const e of document.querySelectorAll("[placeholder],[aria-label],[title],[aria-placeholder]")) {
    for (const a of ["placeholder", "aria-label", "title", "aria-placeholder"]) keep(e.getAttribute(a));
  }
  return out;
}"""
ROLES = {
    "conseiller": ("Conseiller·ère", {"structure": "Mission Locale Bouches-du-Rhône Nord (ML13001)"}),
    "directeur": ("Direction de Mission Locale", {"structure": "Mission Locale Bouches-du-Rhône Nord (ML13001)"}),
    "departement": ("Conseil départemental", {"departement": "84 — Vaucluse"}),
    "bureau": ("Bureau national", {}),
    "admin": ("Administration", {}),
}


def english(strings: list[str]) -> list[str]:
    return sorted({s for s in strings if s in ANGLAIS or any(p.search(s) for p in ANGLAIS_MOTIFS)})


def reveal(page: Page) -> list[str]:
    """Open the first select box of the page (its list, its live region) and hover a chart and a table."""
    seen: list[str] = []
    boxes = page.locator('[role="combobox"]:visible:not([disabled])')
    if boxes.count():
        boxes.last.click(timeout=10_000)
        page.wait_for_timeout(300)
        seen += page.evaluate(COLLECT)
        page.keyboard.press("Escape")
    for test_id in ("stVegaLiteChart", "stDataFrame", "stFileUploader"):
        found = page.locator(f'[data-testid="{test_id}"]:visible')
        if found.count():
            found.first.scroll_into_view_if_needed(timeout=10_000)
            found.first.hover(timeout=10_000)
            page.wait_for_timeout(200)
            seen += page.evaluate(COLLECT)
    return seen


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_speaks_french(page: Page, running_app, role):
    label, choice = ROLES[role]
    assert label == vocab.ROLES[role]
    page.set_viewport_size({"width": 1400, "height": 1600})
    demo_sign_in(page, running_app.url, label, **choice)
    found: dict[str, list[str]] = {}
    for entry in menu.pages_for(role):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=entry.titre_pour(role), exact=True).click()
        wait_for_app(page)
        expect(page.get_by_role("heading", level=1).first).to_be_visible(timeout=60_000)
        assert page.evaluate("document.documentElement.lang") == "fr", entry.url
        assert not page.get_by_test_id("stException").count(), f"{entry.url} : {page.get_by_test_id('stException').first.inner_text()}"
        strings = page.evaluate(COLLECT) + reveal(page)
        bad = english(strings)
        if bad:  # the translating script runs on DOM changes: on a loaded machine give it a moment, then look again
            page.wait_for_timeout(1_500)
            bad = english(page.evaluate(COLLECT) + reveal(page))
        if bad:
            found[entry.url] = bad
    assert not found, f"chaînes anglaises ({role}) : {found}"
