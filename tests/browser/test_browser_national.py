"""Browser journey of the national view: the bureau picks an indicator, a région, a département (on the map), exports.

Screenshots go to artefacts/ (national-*.png) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from indicators.disclosure.masking import DEFAULT_K
from indicators.registry import REGISTRY
from tests.support.browser_helpers import choose, demo_sign_in, wait_for_app

pytestmark = pytest.mark.browser

TALL = {"width": 1400, "height": 2400}  # the page scrolls inside its own container: a tall window shows all of it


def open_national_view(page: Page, url: str) -> None:
    demo_sign_in(page, url, "Bureau national")
    page.get_by_role("link", name="Vue nationale").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Carte des départements")).to_be_visible(timeout=60_000)
    wait_for_app(page)


def drawn(page: Page) -> None:
    """The tab is drawn to its end: its export buttons come last."""
    expect(page.get_by_role("button", name=re.compile("Exporter le tableau")).first).to_be_visible(timeout=60_000)
    wait_for_app(page)


def tile(page: Page, code: str):
    """The square of a département on the map (Vega draws one SVG path per tile, labelled with its code)."""
    return page.get_by_test_id("stVegaLiteChart").first.locator(f'path[aria-label*="Code: {code};"]').first


def test_bureau_explores_the_map_and_exports_the_table(page: Page, running_app, artefacts):
    page.set_viewport_size(TALL)
    open_national_view(page, running_app.url)
    expect(tile(page, "13")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="France entière")).to_be_visible()
    drawn(page)
    page.screenshot(path=str(artefacts / "national-1-carte.png"))

    libelle = REGISTRY["risques_ouverts"].libelle
    choose(page, "Indicateur", f"Prévention · {libelle}")
    expect(page.get_by_text(f"{libelle} —", exact=False).first).to_be_visible()
    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart.get_by_text("< 11", exact=True).first).to_be_visible()  # masked tiles say so on the map
    expect(chart.get_by_text(re.compile(r"^≈")).first).to_be_visible()  # perturbed ones too (docs/disclosure.md)
    drawn(page)
    page.screenshot(path=str(artefacts / "national-2-indicateur.png"))

    choose(page, "Région", "Occitanie")
    expect(page.get_by_test_id("stMetric").filter(has_text="Occitanie")).to_be_visible()
    drawn(page)
    page.screenshot(path=str(artefacts / "national-3-region.png"))

    box = tile(page, "31").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Département 31 — Haute-Garonne")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("combobox", name="Département à détailler")).to_have_value(re.compile("31"))
    assert "dep=31" in page.url and "region=76" in page.url
    drawn(page)
    page.screenshot(path=str(artefacts / "national-4-departement.png"))

    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter le tableau (CSV)").click()
    download = info.value
    assert download.suggested_filename == "carte-risques_ouverts.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert {r["Code"] for r in rows} == {"09", "31"}  # the table shown: the départements of the région chosen
    for r in rows:  # masked, or 0, or a perturbed figure of at least k, said so
        text = r[libelle].replace("\u202f", "")
        if text not in ("secret", f"< {DEFAULT_K}") and text != "0":
            assert text.startswith("≈") and int(text.removeprefix("≈").strip()) >= DEFAULT_K, text


def test_bureau_reads_the_other_tabs(page: Page, running_app, artefacts):
    page.set_viewport_size(TALL)
    open_national_view(page, running_app.url)
    for name, shot, expected in (
        ("Régions", "national-5-regions.png", "Régions"),
        ("Écarts entre territoires", "national-6-ecarts.png", "Accès aux droits : départements hors de la bande"),
        ("Évolution et classement", "national-7-evolution.png", "Évolution et classement"),
        ("Tendances mensuelles", "national-8-tendances.png", "Tendances mensuelles — France entière"),
    ):
        page.get_by_role("tab", name=name).click()
        wait_for_app(page)
        expect(page.get_by_role("heading", name=expected)).to_be_visible(timeout=60_000)
        drawn(page)
        page.screenshot(path=str(artefacts / shot))
    assert "onglet=" in page.url  # the open tab is in the link that can be shared


def test_a_departement_account_sees_its_departement_without_the_map(page: Page, running_app, artefacts):
    page.set_viewport_size(TALL)
    demo_sign_in(page, running_app.url, "Conseil départemental", departement="84 — Vaucluse")
    page.get_by_role("link", name="Vue nationale").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile("Vue départementale — 84"))).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name=re.compile("Vos structures"))).to_be_visible(timeout=60_000)
    drawn(page)
    expect(page.locator('path[aria-label*="Code: 13;"]')).to_have_count(0)  # no national map
    page.screenshot(path=str(artefacts / "national-9-departement.png"))
