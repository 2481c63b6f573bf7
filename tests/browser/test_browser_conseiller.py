"""A conseiller's journey in a real Chromium: a risk of rupture recorded, later averted, seen in the figures;
a file with one bad row imported and its report downloaded.

The journey runs its own app on its own copy of the demo store (it writes), served as `make run` serves it:
`mlimpact serve` with two Streamlit processes behind one port. The upload and the report's download reach the
session's own process (the `mli_processus` cookie); a second browser served by the other process sees what the
first one wrote.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess

import pytest
from playwright.sync_api import Page, expect

from indicators.disclosure import service
from indicators.registry import REGISTRY
from indicators.types import Echelon, Perimetre, Periode
from mlimpact import parcours, store, worklist
from mlimpact.access import Compte
from mlimpact.db import make_engine
from presentation.formats import entier
from tests.conftest import start_app
from tests.support.browser_helpers import choose, demo_sign_in, wait_for_app

pytestmark = pytest.mark.browser

STRUCTURE = "ML13001"
STRUCTURE_LABEL = "Mission Locale Bouches-du-Rhône Nord (ML13001)"
CONSEILLER = Compte("conseiller@demo.invalid", "conseiller", STRUCTURE)


@pytest.fixture(scope="module")
def app(demo_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("conseiller")
    target = folder / "demo.db"
    with sqlite3.connect(demo_database.removeprefix("sqlite:///")) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    running = start_app(f"sqlite:///{target}", folder, {"MLIMPACT_DEMO": "1"}, processes=2)
    yield running
    running.process.terminate()
    try:
        running.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        running.process.kill()


def figures(url: str) -> tuple[float, float]:
    """ruptures_evitees and risques_ouverts of this year for the structure, from the service (as the impact page)."""
    today = store.today()
    engine = make_engine(url)
    values = service.compute(
        engine, CONSEILLER, Periode(dt.date(today.year, 1, 1), today), Perimetre(Echelon.STRUCTURE, STRUCTURE),
        codes=["ruptures_evitees", "risques_ouverts"],
    )
    engine.dispose()
    return values["ruptures_evitees"].valeur, values["risques_ouverts"].valeur


def followed_jeune_without_risk(url: str) -> str:
    """A jeune followed this year (an open accompagnement), with no open risk: their jalons count in the figures."""
    engine = make_engine(url)
    with engine.connect() as conn:
        found = parcours.search(conn, CONSEILLER, store.today(), dispositif="CEJ", risques="sans")
    engine.dispose()
    return found["id_jeune"].iloc[0]


def open_page(page: Page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    wait_for_app(page)


def open_parcours(page: Page, ident: str) -> None:
    """The jeune's parcours, found by identifier (the session keeps the demo role: no reload)."""
    open_page(page, "Parcours")
    page.get_by_label("Identifiant (ou une partie)").fill(ident)
    page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Rechercher").click()  # not the table toolbar's search
    wait_for_app(page)
    expect(page.get_by_role("heading", name=f"Jeune {ident}")).to_be_visible()


def test_a_risk_recorded_then_averted_moves_ruptures_evitees(page: Page, app, artefacts):
    ident = followed_jeune_without_risk(app.database_url)
    evitees_before, ouverts_before = figures(app.database_url)
    demo_sign_in(page, app.url, "Conseiller·ère", structure=STRUCTURE_LABEL)

    # Find the jeune by identifier.
    open_parcours(page, ident)

    # Record a risk of rupture (logement), with the keyboard: type, domaine, then Enter on the submit button.
    type_box = page.get_by_role("combobox", name="Type de jalon")
    type_box.click()
    type_box.fill("Risque de rupture")
    page.keyboard.press("Enter")
    wait_for_app(page)
    domaine = page.get_by_role("combobox", name="Domaine")
    expect(domaine).to_be_visible()
    expect(page.get_by_label("Montant de l'aide (€)")).to_have_count(0)  # only the fields this type needs
    domaine.click()
    domaine.fill("Logement")
    page.keyboard.press("Enter")
    page.get_by_label("Commentaire (facultatif)").fill("Fin de bail annoncée")
    for _ in range(4):  # Tab from the comment reaches the submit button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.innerText") == "Enregistrer le jalon":
            break
    expect(page.get_by_role("button", name="Enregistrer le jalon")).to_be_focused()
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("Jalon enregistré : Ruptures — Risque de rupture")).to_be_visible()
    expect(page.get_by_text("Risque de rupture ouvert — Logement — depuis le")).to_be_visible()
    page.screenshot(path=str(artefacts / "conseiller-1-risque-enregistre.png"), full_page=True)
    assert figures(app.database_url) == (evitees_before, ouverts_before + 1)

    # Later, from the worklist: mark it averted.
    engine = make_engine(app.database_url)
    with engine.connect() as conn:  # the list as the page draws it: at the date of the data, my jeunes first
        au = worklist.date_des_donnees(conn, CONSEILLER, store.today())
        risques = worklist.mes_jeunes(worklist.risques_ouverts(conn, CONSEILLER, au), CONSEILLER)
    engine.dispose()
    risque = risques[risques["id_jeune"] == ident].iloc[0]
    open_page(page, "À traiter")
    expect(page.get_by_text("Risques ouverts")).to_be_visible()
    position = int(risques.index[risques["id_jalon"] == risque["id_jalon"]][0])
    pages = (len(risques) + 19) // 20
    if position >= 20:  # by urgency: the new risk (seen today) may be on a later page of the list
        page.get_by_role("combobox", name="Page (20 risques par page)").click()
        page.get_by_role("option", name=f"{position // 20 + 1} sur {pages}").click()
        wait_for_app(page)
    page.locator(f".st-key-wl_evitee_{risque['id_jalon']}").get_by_role("button", name="Évitée").first.click()
    wait_for_app(page)
    # the message stays on the page (a toast repeats it for a few seconds)
    expect(page.get_by_test_id("stAlertContentSuccess").get_by_text(f"Rupture évitée enregistrée pour le jeune {ident} (logement)")).to_be_visible()
    page.screenshot(path=str(artefacts / "conseiller-2-a-traiter.png"), full_page=True)

    # The figure moved: ruptures_evitees + 1, and the risk is no longer open.
    assert figures(app.database_url) == (evitees_before + 1, ouverts_before)
    open_page(page, "Impact")
    choose(page, "Année", str(store.today().year))
    carte = page.get_by_test_id("stMetric").filter(has=page.get_by_text(REGISTRY["ruptures_evitees"].libelle, exact=True))
    expect(carte).to_contain_text(entier(evitees_before + 1))
    carte.scroll_into_view_if_needed()
    page.screenshot(path=str(artefacts / "conseiller-3-impact.png"), full_page=True)

    # The parcours shows the issue on its frise and in its history.
    open_page(page, "Parcours")
    page.get_by_label("Identifiant (ou une partie)").fill(ident)
    page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Rechercher").click()  # not the table toolbar's search
    wait_for_app(page)
    expect(page.get_by_text("Risque de rupture ouvert — Logement")).to_have_count(0)
    page.get_by_role("tab", name="Historique").click()
    expect(page.get_by_test_id("stDataFrame").last).to_be_visible()
    page.screenshot(path=str(artefacts / "conseiller-4-parcours-apres.png"), full_page=True)


def test_importing_a_file_with_one_bad_row_and_downloading_the_report(page: Page, app, artefacts, tmp_path):
    ident = followed_jeune_without_risk(app.database_url)
    upload = tmp_path / "jalons.csv"
    upload.write_text(
        "id_jalon;id_jeune;date;type;domaine;montant_eur;commentaire\n"
        f"IMP-B1;{ident};2026-10-02;entretien;;;\n"
        f"IMP-B2;{ident};2026-10-03;risque_rupture;;;=HYPERLINK(\"http://exemple.invalid\")\n",
        encoding="utf-8",
    )
    demo_sign_in(page, app.url, "Conseiller·ère", structure=STRUCTURE_LABEL)
    open_page(page, "Import")
    page.locator("input[type=file]").set_input_files(str(upload))
    wait_for_app(page)
    page.get_by_role("button", name="Vérifier sans importer").click()
    wait_for_app(page)
    expect(page.get_by_text("Aperçu, rien n'a été écrit : 1 ligne(s) à ajouter, 0 à mettre à jour, 0 inchangée(s), 1 refusée(s).")).to_be_visible()
    page.get_by_role("button", name="Importer", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Import annulé : 1 ligne(s) refusée(s), rien n'a été écrit")).to_be_visible()
    expect(page.get_by_role("heading", name="Lignes refusées")).to_be_visible()
    page.screenshot(path=str(artefacts / "conseiller-5-import-refuse.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger le rapport des lignes refusées (lignes_refusees.csv)").click()
    report = info.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert report[0] == "id_jalon;id_jeune;date;type;domaine;montant_eur;commentaire;ligne;motif_rejet"
    assert report[1].startswith(f"IMP-B2;{ident};2026-10-03;risque_rupture;;;")
    assert "'=HYPERLINK" in report[1]  # a formula in a cell comes back neutralised
    assert report[1].endswith(";3;domaine : obligatoire pour ce type de jalon.")
    assert len(report) == 2
    engine = make_engine(app.database_url)
    with engine.connect() as conn:
        assert not parcours.search(conn, CONSEILLER, store.today(), identifiant="IMP-B").shape[0]
        assert "IMP-B1" not in {j for j in parcours.read_parcours(conn, CONSEILLER, ident, store.today()).jalons["id_jalon"]}
    engine.dispose()


def test_two_browsers_on_two_processes_see_the_same_parcours(page: Page, browser, app):
    """`make run` serves with several processes: each browser keeps its own (cookie), and reads what the other wrote."""
    ident = followed_jeune_without_risk(app.database_url)
    demo_sign_in(page, app.url, "Conseiller·ère", structure=STRUCTURE_LABEL)
    mine = {c["name"]: c for c in page.context.cookies()}["mli_processus"]
    assert mine["httpOnly"] and mine["value"] in ("0", "1")
    other = "1" if mine["value"] == "0" else "0"
    second = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    second.add_cookies([{"name": "mli_processus", "value": other, "url": app.url}])
    colleague = second.new_page()
    try:
        demo_sign_in(colleague, app.url, "Conseiller·ère", structure=STRUCTURE_LABEL)
        assert {c["name"]: c["value"] for c in second.cookies()}["mli_processus"] == other  # kept, not reassigned

        open_parcours(page, ident)
        page.get_by_label("Commentaire (facultatif)").fill("Vu par deux processus")
        page.get_by_role("button", name="Enregistrer le jalon").click()
        wait_for_app(page)
        expect(page.get_by_text("Jalon enregistré : ")).to_be_visible()

        open_parcours(colleague, ident)
        colleague.get_by_role("tab", name="Jalons").click()
        wait_for_app(colleague)
        expect(colleague.locator("[role=gridcell]", has_text="Vu par deux processus")).to_have_count(1)  # the table is a canvas
    finally:
        second.close()
