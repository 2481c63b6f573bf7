"""The director's journey in a real Chromium: sign in, open Impact, change the period, read a definition,
download the PDF report and the Excel file. Screenshots of each page are kept in artefacts/ for a person.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from mlimpact import audit
from mlimpact.db import make_engine
from tests.support.browser_helpers import choose, demo_sign_in, wait_for_app

pytestmark = pytest.mark.browser

DIRECTION = "Direction de Mission Locale"
STRUCTURE = "Mission Locale Bouches-du-Rhône Nord (ML13001)"


def capture(page: Page, path) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its main block, so the window is grown to fit it."""
    size = page.viewport_size
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); }"
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 20_000)})
    page.wait_for_timeout(800)  # let the charts lay out again
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def open_page(page: Page, title: str, heading: str) -> None:
    """Follow a menu link and wait for the page's own heading (the first run of a page may take a while)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=60_000)
    wait_for_app(page)


def test_a_director_prepares_the_meeting_with_the_departement(page: Page, running_app, artefacts, tmp_path):
    demo_sign_in(page, running_app.url, DIRECTION, structure=STRUCTURE)
    open_page(page, "Impact", "Impact de l'accompagnement")
    expect(page.get_by_text("données au 30/10/2026").first).to_be_visible()  # ML13001's last jalon (the scope's date)
    expect(page.get_by_test_id("stMetric").filter(has_text="Jeunes suivis").first).to_be_visible()
    capture(page, artefacts / "directeur-impact.png")
    # No card value is cut at a director's width (« 2,1 par jeu… »): each fits its card, wrapping if need be.
    cut = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
        .filter(e => e.scrollWidth > e.clientWidth + 1 || getComputedStyle(e.firstElementChild || e).textOverflow === 'ellipsis')
        .map(e => e.innerText)""")
    assert not cut, cut

    # Change the period: the figures follow, and the URL keeps the choice.
    suivis = page.get_by_test_id("stMetric").filter(has_text="Jeunes suivis").first
    before = suivis.inner_text()
    choose(page, "Période", "12 derniers mois")
    expect(page.get_by_text("du 01/11/2025 au 31/10/2026").first).to_be_visible()
    assert suivis.inner_text() != before
    assert "periode=12mois" in page.url
    capture(page, artefacts / "directeur-impact-12-mois.png")

    # Open a definition: numerator and denominator one click away.
    page.get_by_test_id("stPopover").filter(has_text="Définition").first.get_by_role("button").click()
    expect(page.get_by_text("Numérateur : Jeunes ayant un accompagnement actif sur la période")).to_be_visible()
    page.screenshot(path=str(artefacts / "directeur-definition.png"))
    page.keyboard.press("Escape")

    # A chart's figures as a table, built when unfolded (keyboard: the fold is a button).
    fold = page.get_by_test_id("stExpander").filter(has_text="Voir les chiffres en tableau").first
    expect(fold.get_by_test_id("stDataFrame")).to_have_count(0)
    fold.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(fold.get_by_test_id("stDataFrame")).to_be_visible(timeout=60_000)

    # The avoided-cost waterfall with its assumptions.
    expect(page.get_by_text("Les hypothèses et leurs sources")).to_be_visible()
    expect(page.get_by_text("Point mort.", exact=False).first).to_be_visible()

    # Download the PDF report and the Excel file.
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Rapport PDF pour le Département").click()
    pdf_path = tmp_path / info.value.suggested_filename
    info.value.save_as(pdf_path)
    assert pdf_path.name.startswith("rapport_ML13001_2025-11-01_2026-10-31")
    reader = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Rapport d'activité et d'impact" in text and "Bouches-du-Rhône Nord" in text
    (artefacts / "directeur-rapport.pdf").write_bytes(pdf_path.read_bytes())

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Tableaux Excel").click()
    xlsx_path = tmp_path / info.value.suggested_filename
    info.value.save_as(xlsx_path)
    workbook = openpyxl.load_workbook(xlsx_path)
    assert workbook.sheetnames[:2] == ["Lisez-moi", "Indicateurs"]

    with make_engine(running_app.database_url).connect() as conn:
        actions = {(e["action"], e["table"]) for e in audit.entries(conn, auteur="directeur@demo.invalid")}
    assert {("report", "rapport"), ("export", "indicateurs")} <= actions


def test_screenshots_of_the_directors_other_pages(page: Page, running_app, artefacts):
    demo_sign_in(page, running_app.url, DIRECTION, structure=STRUCTURE)
    open_page(page, "Objectifs et financements", "Objectifs et financements")
    expect(page.get_by_role("button", name="Enregistrer l'objectif")).to_be_visible()
    capture(page, artefacts / "directeur-objectifs.png")
    page.get_by_role("tab", name="Paramètres d'impact").click()
    expect(page.get_by_text("À modifier avec prudence")).to_be_visible()
    capture(page, artefacts / "directeur-parametres.png")
    open_page(page, "Méthodologie", "Méthodologie des indicateurs")
    capture(page, artefacts / "directeur-methodologie.png")


def test_the_departement_sees_masked_figures(page: Page, running_app, artefacts):
    demo_sign_in(page, running_app.url, "Conseil départemental", departement="13 — Bouches-du-Rhône")
    open_page(page, "Impact", "Impact de l'accompagnement")
    choose(page, "Périmètre", STRUCTURE)
    choose(page, "Période", "Trimestre")
    expect(page.get_by_text("Secret statistique", exact=False).first).to_be_visible()
    capture(page, artefacts / "departement-impact.png")
    for value in page.get_by_test_id("stMetricValue").all_inner_texts():
        digits = value.replace("\u202f", "")
        assert not (digits.isdigit() and 1 <= int(digits) <= 10), value


# --- a phone, and the browser's print (issue 18) --------------------------------------------------------------
WORDS_BROKEN = """(h) => {
  // the words of a heading laid out on more than one line (« l'accompagnemen / t »)
  const text = h.firstChild && h.textContent;
  const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT);
  const broken = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /\\S+/g; let m;
    while ((m = re.exec(node.data))) {
      const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return broken;
}"""


CUT = (
    "() => [...document.querySelectorAll('[data-testid=\"stMetricDelta\"] *, [data-testid=\"stMetricLabel\"] *')]"
    ".filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent)"
)


def test_the_impact_page_reads_on_a_phone_and_prints_cleanly(page: Page, running_app, artefacts):
    demo_sign_in(page, running_app.url, DIRECTION, structure=STRUCTURE)
    open_page(page, "Impact", "Impact de l'accompagnement")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(1500)  # charts lay out again at the new width
    wait_for_app(page)
    title = page.get_by_role("heading", name="Impact de l'accompagnement")
    assert title.evaluate(WORDS_BROKEN) == []
    # The breakdowns of a theme: one chart per breakdown, each inside the screen (none lost to the right).
    page.get_by_text("Le public accompagné et les quatre thèmes du réseau").scroll_into_view_if_needed()
    charts = page.get_by_test_id("stVegaLiteChart")
    folded = charts.count()
    page.get_by_text("Voir les quatre thèmes").click()  # built only when unfolded
    expect(charts).to_have_count(folded + 6, timeout=30_000)
    wait_for_app(page)
    page.wait_for_timeout(800)
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, (i, box)
        inner = chart.evaluate("(e) => { const c = e.querySelector('canvas, svg'); return c ? c.getBoundingClientRect().right : 0; }")
        assert inner <= 390 + 1, (i, inner)  # the drawing itself is not clipped by its box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
    # No change is cut (« …par rapport au 01/01/2024–31/12/… »), and the cards keep their order when stacked.
    assert page.evaluate(CUT) == []
    labels = page.get_by_test_id("stMetricLabel").all_inner_texts()
    assert labels[:3] == ["Jeunes suivis", "Nouveaux entrants", "Jeunes au RSA accompagnés"]
    capture(page, artefacts / "directeur-impact-telephone.png")

    # Four cards a row on a wide screen: no label nor change cut either (« Financement du Départe… »).
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.wait_for_timeout(800)
    assert page.evaluate(CUT) == []
    # Printing from the browser: no sidebar nor toolbar, cards kept whole.
    page.emulate_media(media="print")
    assert page.get_by_test_id("stSidebar").evaluate("(e) => getComputedStyle(e).display") == "none"
    header = page.get_by_test_id("stHeader")
    assert header.count() == 0 or header.evaluate("(e) => getComputedStyle(e).display") == "none"
    card = page.get_by_test_id("stMetric").first
    assert card.evaluate("(e) => getComputedStyle(e).breakInside") == "avoid"
    (artefacts / "directeur-impact-impression.pdf").write_bytes(page.pdf(format="A4"))
    page.emulate_media(media="screen")
