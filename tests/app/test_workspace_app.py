"""The conseillers' workspace in the app (AppTest): parcours, worklist and import pages, form by form.

Each test runs the real entry point in demo mode on its own copy of the demo
store, signs in as a conseiller of ML13001, and checks what the forms wrote
through the library (never by trusting the page).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from mlimpact import audit, parcours, store, worklist
from mlimpact.access import Compte
from mlimpact.db import make_engine
from mlimpact.models import Accompagnement, Jalon, Jeune
from tests.conftest import ROOT
from tests.support.apptest import unfold_tables

STRUCTURE = "ML13001"
CONSEILLER = Compte("conseiller@demo.invalid", "conseiller", STRUCTURE)
AUTRE = Compte("collegue@demo.invalid", "conseiller", STRUCTURE)


@pytest.fixture
def demo_url(demo_database, tmp_path) -> str:
    """A private copy of the demo store (the tests write into it)."""
    target = tmp_path / "demo.db"
    with sqlite3.connect(demo_database.removeprefix("sqlite:///")) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(demo_url):
    eng = make_engine(demo_url)
    yield eng
    eng.dispose()


@pytest.fixture
def app(demo_url, monkeypatch):
    """The app signed in as a conseiller of ML13001; `app(page, jeune=…)` opens a page."""
    monkeypatch.setenv("MLIMPACT_DATABASE_URL", demo_url)
    monkeypatch.setenv("MLIMPACT_DEMO", "1")

    def start(page: str, role: str = "conseiller", structure: str = STRUCTURE, **query) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
        at.run()
        at.selectbox(key="demo_role").set_value(role).run()
        at.selectbox(key="demo_structure").set_value(structure).run()
        at.query_params.update(query)
        at.switch_page(page).run()
        assert not at.exception, at.exception
        return at

    return start


TODAY = store.today()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def errors(at: AppTest) -> list[str]:
    return [e.value.replace("\\", "") for e in at.error]


def successes(at: AppTest) -> list[str]:
    return [s.value.replace("\\", "") for s in at.success]


def walk(node):
    """Every element under `node`, in page order."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def after_widget(at: AppTest, key: str):
    """The element drawn right after the widget `key` (where a field's message goes)."""
    elements = [e for e in walk(at.main) if getattr(e, "type", None) not in ("flex_container", "column")]
    position = next(i for i, e in enumerate(elements) if getattr(e, "key", None) == key)
    return elements[position + 1]


def tab(at: AppTest, label: str) -> AppTest:
    """Open a tab of the parcours, as a click on it does (the tabs are lazy: only the open one is drawn)."""
    at.session_state[f"p_onglet_{at.query_params.get('jeune', '')}"] = label
    return at.run()


def unfold(at: AppTest, section: str) -> AppTest:
    """Unfold « Trouver un jeune » (`p_trouver`) or « Créer un jeune » (`p_creer`) over the parcours shown."""
    at.session_state[f"{section}_{at.query_params.get('jeune', '')}"] = True
    return at.run()


def jalons_of(engine, ident: str) -> list[dict]:
    with engine.connect() as conn:
        return list(parcours.lignes(parcours.read_parcours(conn, CONSEILLER, ident, TODAY).jalons))


def a_jeune(engine, **filters) -> str:
    with engine.connect() as conn:
        return parcours.search(conn, CONSEILLER, TODAY, **filters)["id_jeune"].iloc[0]


def a_jeune_with_jalons(engine, n: int = 5) -> str:
    with engine.connect() as conn:
        return conn.execute(
            select(Jalon.id_jeune).join(Jeune, Jeune.id_jeune == Jalon.id_jeune).where(Jeune.code_structure == STRUCTURE)
            .group_by(Jalon.id_jeune).having(func.count() >= n).order_by(Jalon.id_jeune).limit(1)
        ).scalar_one()


# --- parcours: opening ------------------------------------------------------------------------------------------
def test_a_parcours_opens_from_the_url_with_its_risks_and_frise(app, engine):
    ident = a_jeune(engine, risques="avec")
    with engine.connect() as conn:
        p = parcours.read_parcours(conn, CONSEILLER, ident, TODAY)
    at = app("../pages/parcours.py", jeune=ident)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Risques de rupture ouverts"] == str(len(p.risques_ouverts))
    assert metrics["Jalons"] == str(len(p.jalons))
    assert at.subheader[0].value.replace("\\", "") == f"Jeune {ident}"
    warnings = [w.value for w in at.warning]
    assert len(warnings) == len(p.risques_ouverts) and "Risque de rupture ouvert" in warnings[0]
    types = [getattr(e, "type", None) for e in walk(at.main)]
    assert "vega_lite_chart" in types  # the frise, and its figures as a table right under it
    assert any(e.label == "Voir les chiffres en tableau" for e in at.expander)


def test_only_the_open_tab_and_the_unfolded_sections_are_drawn(app, engine):
    """Lazy parts: saving a jalon redraws the form and the frise, not the four other tabs, the search, nor
    the frise's table; each appears when asked for, as a click on it does."""
    ident = a_jeune_with_jalons(engine)
    at = app("../pages/parcours.py", jeune=ident)

    def keys() -> set:
        return {getattr(e, "key", None) for e in walk(at.main)} - {None}

    assert "ajout_0_date" in keys() and not keys() & {"j_choix", "a_disp", f"f_annee_{ident}", "r_ident", "c_id"}
    assert not at.dataframe  # no list, no history, no table of the frise
    tab(at, "Jalons")
    assert "j_choix" in keys() and "ajout_0_date" not in keys()
    assert set(at.dataframe[0].value["Identifiant"]) == {j["id_jalon"] for j in jalons_of(engine, ident)}
    tab(at, "Historique")
    assert "j_choix" not in keys() and not at.dataframe and any("Aucune modification" in i.value for i in at.info)
    unfold(at, "p_trouver")
    assert "r_ident" in keys() and "c_id" not in keys()
    [frise] = unfold_tables(at).dataframe
    assert len(frise.value) >= len(jalons_of(engine, ident))  # the frise's rows
    with engine.connect() as conn:
        autre = next(j for j in parcours.search(conn, CONSEILLER, TODAY)["id_jeune"] if j != ident)
    at.query_params["jeune"] = autre
    at.run()
    assert f"Jeune {autre}" in at.subheader[0].value.replace("\\", "") and "ajout_0_date" in keys()  # another parcours opens on the form


def test_another_structures_jeune_is_introuvable(app, engine):
    with engine.connect() as conn:
        other = conn.execute(select(Jeune.id_jeune).where(Jeune.code_structure == "ML84001").limit(1)).scalar_one()
    at = app("../pages/parcours.py", jeune=other)
    assert errors(at) == [parcours.INTROUVABLE]
    assert not at.metric and not at.tabs
    at = app("../pages/parcours.py", jeune="J-DOES-NOT-EXIST")
    assert errors(at) == [parcours.INTROUVABLE]  # the same words: nothing tells which one exists
    at = app("../pages/parcours.py")
    at.text_input(key="r_ident").set_value(other)
    button(at, "Rechercher").click().run()
    assert "jeune" not in at.query_params and at.dataframe[0].value.empty


def test_searching_opens_by_identifier_and_filters_like_the_library(app, engine):
    ident = a_jeune(engine, risques="avec")
    at = app("../pages/parcours.py")
    at.text_input(key="r_ident").set_value(ident)
    button(at, "Rechercher").click().run()
    assert at.query_params["jeune"] == ident and at.subheader[0].value.replace("\\", "") == f"Jeune {ident}"
    at = app("../pages/parcours.py")
    at.selectbox(key="r_disp").set_value("CEJ")
    at.selectbox(key="r_risques").set_value("sans")
    at.selectbox(key="r_contact").set_value(60)
    button(at, "Rechercher").click().run()
    with engine.connect() as conn:
        expected = parcours.search(conn, CONSEILLER, TODAY, dispositif="CEJ", risques="sans", sans_contact_depuis=60)
    assert list(at.dataframe[0].value["Identifiant"]) == list(expected["id_jeune"]) and len(expected) > 0


# --- parcours: the jalon form ------------------------------------------------------------------------------------
def test_adding_a_valid_jalon(app, engine):
    ident = a_jeune(engine)
    before = len(jalons_of(engine, ident))
    at = app("../pages/parcours.py", jeune=ident)
    assert at.selectbox(key="ajout_0_type").value == "entretien"
    labels = {w.label for w in [*at.text_input, *at.text_area, *at.selectbox, *at.number_input]}
    assert "Domaine" not in labels and "Montant de l'aide (€)" not in labels  # an entretien needs neither
    assert "Date du jalon (JJ/MM/AAAA)" in labels and at.text_input(key="ajout_0_date").value == f"{TODAY:%d/%m/%Y}"
    assert any("N'écrivez ni nom" in c.value for c in at.caption)
    at.text_input(key="ajout_0_date").set_value(f"{TODAY - dt.timedelta(days=2):%d/%m/%Y}")
    at.text_area(key="ajout_0_commentaire").set_value("Point sur la recherche de stage")
    button(at, "Enregistrer le jalon").click().run()
    assert not at.exception and not errors(at)
    assert any(f"Jalon enregistré : Suivi — Entretien du {(TODAY - dt.timedelta(days=2)):%d/%m/%Y}" in s for s in successes(at))
    after = jalons_of(engine, ident)
    assert len(after) == before + 1
    [new] = [j for j in after if j["commentaire"] == "Point sur la recherche de stage"]
    assert (new["type"], new["date"]) == ("entretien", TODAY - dt.timedelta(days=2)) and new["id_jalon"].startswith("L-")
    with engine.connect() as conn:
        [entry] = [e for e in audit.entries(conn, table="jalons", cle=ident) if e["apres"]["id_jalon"] == new["id_jalon"]]
    assert entry["auteur"] == "conseiller@demo.invalid"
    assert at.text_area(key="ajout_1_commentaire").value == ""  # the form starts empty again
    assert {m.label: m.value for m in at.metric}["Jalons"] == str(before + 1)


def test_an_faj_amount_typed_the_french_way_is_saved_as_typed(app, engine):
    """`150,50` was stored as 15 050,00 € by a number field that dropped the comma; now it is read by the validation."""
    ident = a_jeune(engine)
    at = app("../pages/parcours.py", jeune=ident)
    at.selectbox(key="ajout_0_type").set_value("aide_faj").run()
    assert "150,50" in at.text_input(key="ajout_0_montant").help
    at.text_input(key="ajout_0_montant").set_value("20 000")
    button(at, "Enregistrer le jalon").click().run()
    assert errors(at) == ["Montant de l'aide : montant invraisemblable ; attendu entre 0 et 10\u202f000 € (un montant plus élevé est refusé)."]
    assert after_widget(at, "ajout_0_montant").type == "error"
    at.text_input(key="ajout_0_montant").set_value("150,50")
    button(at, "Enregistrer le jalon").click().run()
    assert not errors(at)
    assert [j["montant_eur"] for j in jalons_of(engine, ident) if j["type"] == "aide_faj" and j["date"] == TODAY] == [150.5]


@pytest.mark.parametrize(("typed", "message"), [
    ("31/02/2026", "date invalide « 31/02/2026 » ; attendu AAAA-MM-JJ ou JJ/MM/AAAA."),
    ("32/13", "date invalide « 32/13 » ; attendu AAAA-MM-JJ ou JJ/MM/AAAA."),
    ("01/01/2030", f"date dans le futur ; un jalon ne peut pas être postérieur au {TODAY:%d/%m/%Y}."),
    ("15/06/1999", "date trop ancienne ; un jalon ne peut pas être antérieur au 01/01/2000."),
    ("", "valeur manquante ; ce champ est obligatoire."),
])
def test_a_date_that_cannot_be_read_or_is_out_of_bounds_blocks_the_save(app, engine, typed, message):
    """A date picker stored today's date for 01/01/2030 and turned 32/13 into another day; now nothing is saved."""
    ident = a_jeune(engine)
    before = jalons_of(engine, ident)
    at = app("../pages/parcours.py", jeune=ident)
    at.text_input(key="ajout_0_date").set_value(typed)
    at.text_area(key="ajout_0_commentaire").set_value("date tapée")
    button(at, "Enregistrer le jalon").click().run()
    assert not at.exception
    assert errors(at) == [f"Date du jalon : {message}"]
    assert after_widget(at, "ajout_0_date").type == "error"  # right under its field
    assert jalons_of(engine, ident) == before  # nothing written


def test_the_same_jalon_twice_asks_before_saving_and_the_list_tells_them_apart(app, engine):
    ident = a_jeune(engine)
    at = app("../pages/parcours.py", jeune=ident)
    jour = f"{TODAY - dt.timedelta(days=3):%d/%m/%Y}"
    at.text_input(key="ajout_0_date").set_value(jour)
    button(at, "Enregistrer le jalon").click().run()
    assert any("Jalon enregistré" in s for s in successes(at))
    count = len(jalons_of(engine, ident))

    at.text_input(key="ajout_1_date").set_value(jour)  # the same form, sent again
    button(at, "Enregistrer le jalon").click().run()
    assert not at.exception and not successes(at)
    [warning] = [w.value.replace("\\", "") for w in at.warning if "doublon" in w.value]
    assert f"Ce jeune a déjà un jalon « Entretien » au {jour}" in warning and "rien n'a été enregistré" in warning
    assert len(jalons_of(engine, ident)) == count
    assert at.text_input(key="ajout_1_date").value == jour  # what was typed is kept
    at.checkbox(key="ajout_1_doublon_confirme").check()
    button(at, "Enregistrer le jalon").click().run()
    assert any("Jalon enregistré" in s for s in successes(at))
    twins = [j for j in jalons_of(engine, ident) if j["type"] == "entretien" and f"{j['date']:%d/%m/%Y}" == jour]
    assert len(twins) == 2 and len(jalons_of(engine, ident)) == count + 1
    assert not any("doublon" in w.value for w in at.warning)  # the next jalon starts without the question

    options = tab(at, "Jalons").selectbox(key="j_choix").options
    assert len(options) == len(set(options))  # every entry of the edit list can be told apart
    assert all(any(j["id_jalon"] in o for o in options) for j in twins)


def test_invalid_jalons_are_refused_with_the_message_under_the_field(app, engine):
    ident = a_jeune(engine)
    before = len(jalons_of(engine, ident))
    at = app("../pages/parcours.py", jeune=ident)
    at.selectbox(key="ajout_0_type").set_value("risque_rupture").run()
    assert at.selectbox(key="ajout_0_domaine_risque_rupture").value is None
    button(at, "Enregistrer le jalon").click().run()
    assert errors(at) == ["Domaine : obligatoire pour ce type de jalon."]
    assert after_widget(at, "ajout_0_domaine_risque_rupture").type == "error"  # right under its field
    at.text_area(key="ajout_0_commentaire").set_value("appel\x07")
    at.selectbox(key="ajout_0_domaine_risque_rupture").set_value("logement")
    button(at, "Enregistrer le jalon").click().run()
    assert errors(at) == ["Commentaire : caractères de contrôle interdits dans le texte."]
    assert after_widget(at, "ajout_0_commentaire").type == "caption"  # the warning about names, then the message
    assert len(jalons_of(engine, ident)) == before  # nothing written


def test_a_warning_does_not_block_the_save(app, engine):
    ident = a_jeune(engine, risques="sans")
    at = app("../pages/parcours.py", jeune=ident)
    at.selectbox(key="ajout_0_type").set_value("rupture_evitee").run()
    at.selectbox(key="ajout_0_domaine_rupture_evitee").set_value("famille")
    button(at, "Enregistrer le jalon").click().run()
    assert any("Jalon enregistré : Ruptures — Rupture évitée" in s for s in successes(at))
    assert any("sans risque de rupture ouvert" in w.value.replace("\\", "") for w in at.warning)
    assert any(j["type"] == "rupture_evitee" and j["domaine"] == "famille" for j in jalons_of(engine, ident))


def test_marking_a_risk_from_the_parcours(app, engine):
    ident = a_jeune(engine, risques="avec")
    with engine.connect() as conn:
        risque = next(parcours.lignes(parcours.read_parcours(conn, CONSEILLER, ident, TODAY).risques_ouverts))
    at = app("../pages/parcours.py", jeune=ident)
    at.button(key=f"p_evitee_{risque['id_jalon']}").click().run()
    assert any("Rupture évitée enregistrée" in s for s in successes(at))
    assert any(j["type"] == "rupture_evitee" and j["domaine"] == risque["domaine"] and j["date"] == TODAY for j in jalons_of(engine, ident))


# --- parcours: editing, conflicts, deleting ----------------------------------------------------------------------------
def test_editing_a_jalon_and_a_conflict_with_a_colleague(app, engine):
    ident = a_jeune_with_jalons(engine)
    cible = jalons_of(engine, ident)[0]
    at = tab(app("../pages/parcours.py", jeune=ident), "Jalons")
    at.selectbox(key="j_choix").set_value(cible["id_jalon"]).run()
    prefixe = f"modif_{cible['id_jalon']}_{cible['version']}_0"
    at.text_area(key=f"{prefixe}_commentaire").set_value("Corrigé")
    button(at, "Enregistrer les modifications").click().run()
    assert any("Jalon modifié" in s for s in successes(at))
    saved = next(j for j in jalons_of(engine, ident) if j["id_jalon"] == cible["id_jalon"])
    assert (saved["commentaire"], saved["version"]) == ("Corrigé", cible["version"] + 1)

    # The form is open on version n+1; a colleague saves first.
    prefixe = f"modif_{cible['id_jalon']}_{saved['version']}_0"
    at.text_area(key=f"{prefixe}_commentaire").set_value("Ma version")
    with engine.begin() as conn:
        parcours.update_jalon(conn, AUTRE, saved, {"commentaire": "Version de la collègue"}, TODAY)
    button(at, "Enregistrer les modifications").click().run()
    [message] = errors(at)
    assert "modifié par collegue@demo.invalid" in message and "refusé" in message
    changes = next(d.value for d in at.dataframe if list(d.value.columns) == ["Champ", "Votre version (lue)", "Version enregistrée"])
    assert list(changes.iloc[0]) == ["commentaire", "Corrigé", "Version de la collègue"]
    stored = next(j for j in jalons_of(engine, ident) if j["id_jalon"] == cible["id_jalon"])
    assert stored["commentaire"] == "Version de la collègue"  # nothing overwritten
    at.run()
    assert errors(at) == [message]  # the conflict stays until the user reloads
    button(at, "Repartir de la version enregistrée").click().run()
    assert not errors(at)
    assert at.text_area(key=f"modif_{cible['id_jalon']}_{stored['version']}_0_commentaire").value == "Version de la collègue"


def test_deleting_a_jalon_asks_for_confirmation(app, engine):
    ident = a_jeune_with_jalons(engine)
    cible = jalons_of(engine, ident)[0]
    at = tab(app("../pages/parcours.py", jeune=ident), "Jalons")
    at.selectbox(key="j_choix").set_value(cible["id_jalon"]).run()
    button(at, "Supprimer le jalon").click().run()
    assert any("Cochez la confirmation" in w.value for w in at.warning)
    assert cible["id_jalon"] in {j["id_jalon"] for j in jalons_of(engine, ident)}
    at.checkbox(key=f"j_confirme_{cible['id_jalon']}").check()
    button(at, "Supprimer le jalon").click().run()
    assert not at.exception and any("Jalon supprimé" in s for s in successes(at))
    assert cible["id_jalon"] not in {j["id_jalon"] for j in jalons_of(engine, ident)}
    at.selectbox(key="j_choix")  # still usable after its choice disappeared
    history = tab(at, "Historique").dataframe[-1].value
    assert history.iloc[0]["Action"] == "Suppression" and history.iloc[0]["Qui"] == "conseiller@demo.invalid"


# --- parcours: jeunes and accompagnements --------------------------------------------------------------------------------
def test_creating_a_jeune(app, engine):
    at = unfold(app("../pages/parcours.py"), "p_creer")
    assert any("Identifiant pseudonyme uniquement" in c.value for c in at.caption)
    button(at, "Créer le jeune").click().run()
    assert set(errors(at)) == {"Année de naissance : valeur manquante ; ce champ est obligatoire.", "Sexe : valeur manquante ; ce champ est obligatoire."}
    at.number_input(key="c_annee").set_value(1930)
    at.selectbox(key="c_sexe").set_value("F")
    at.text_input(key="c_accueil").set_value("31/02/2026")
    button(at, "Créer le jeune").click().run()
    assert set(errors(at)) == {
        f"Année de naissance : attendu une année entre 1950 et {TODAY.year - 14}.",
        "Date du premier accueil : date invalide « 31/02/2026 » ; attendu AAAA-MM-JJ ou JJ/MM/AAAA.",
    }
    at.text_input(key="c_accueil").set_value("")
    at.text_input(key="c_id").set_value("prenom.nom@mail.fr")
    at.number_input(key="c_annee").set_value(2006)
    at.selectbox(key="c_sexe").set_value("F")
    button(at, "Créer le jeune").click().run()
    assert errors(at) == ["Identifiant du jeune : ressemble à une adresse e-mail ; l'identifiant doit être pseudonyme."]
    with engine.connect() as conn:
        other = conn.execute(select(Jeune.id_jeune).where(Jeune.code_structure == "ML84001").limit(1)).scalar_one()
    at.text_input(key="c_id").set_value(other)
    button(at, "Créer le jeune").click().run()
    assert "déjà utilisé" in errors(at)[0]
    at.text_input(key="c_id").set_value("IM-2026-0001")
    at.checkbox(key="c_qpv").check()
    button(at, "Créer le jeune").click().run()
    assert at.query_params["jeune"] == "IM-2026-0001" and any("Jeune créé : IM-2026-0001" in s for s in successes(at))
    with engine.connect() as conn:
        row = parcours.jeune(conn, CONSEILLER, "IM-2026-0001")
    assert (row["code_structure"], row["annee_naissance"], row["sexe"], row["qpv"]) == (STRUCTURE, 2006, "F", True)


def test_opening_and_closing_an_accompagnement(app, engine):
    at = unfold(app("../pages/parcours.py"), "p_creer")
    at.text_input(key="c_id").set_value("IM-ACC")
    at.number_input(key="c_annee").set_value(2005)
    at.selectbox(key="c_sexe").set_value("H")
    button(at, "Créer le jeune").click().run()
    tab(at, "Accompagnements")
    button(at, "Ouvrir l'accompagnement").click().run()
    assert errors(at) == ["Dispositif : valeur manquante ; ce champ est obligatoire."]
    at.selectbox(key="a_disp").set_value("CEJ")
    at.text_input(key="a_debut").set_value(f"{TODAY - dt.timedelta(days=30):%d/%m/%Y}")
    button(at, "Ouvrir l'accompagnement").click().run()
    assert any("Accompagnement ouvert : Contrat d'engagement jeune" in s for s in successes(at))
    with engine.connect() as conn:
        [acc] = parcours.lignes(parcours.read_parcours(conn, CONSEILLER, "IM-ACC", TODAY).accompagnements)
    assert (acc["dispositif"], acc["date_debut"], acc["date_fin"]) == ("CEJ", TODAY - dt.timedelta(days=30), None)
    button(at, "Clore l'accompagnement").click().run()
    assert errors(at) == ["Motif de fin : obligatoire pour clore l'accompagnement : choisissez le motif de fin."]
    at.selectbox(key=f"a_motif_{acc['id_accompagnement']}").set_value("emploi_durable")
    button(at, "Clore l'accompagnement").click().run()
    assert any("Accompagnement clos" in s for s in successes(at))
    with engine.connect() as conn:
        [acc] = parcours.lignes(parcours.read_parcours(conn, CONSEILLER, "IM-ACC", TODAY).accompagnements)
    assert (acc["date_fin"], acc["motif_fin"], acc["version"]) == (TODAY, "emploi_durable", 2)


def test_the_referent_is_chosen_among_the_structures_conseillers_the_signed_in_one_by_default(app, engine):
    ident = a_jeune(engine)
    at = tab(app("../pages/parcours.py", jeune=ident), "Accompagnements")
    choix = at.selectbox(key="a_referent")
    # the demo has no account: the demo conseiller and the fictitious referents of ML13001's data, nobody else's
    assert choix.value == "conseiller@demo.invalid" and choix.options[:2] == ["Non renseigné", "Vous (conseiller@demo.invalid)"]
    assert set(choix.options[2:]) == {f"conseiller{k}.ml13001@demo.invalid" for k in (2, 3, 4)}
    at.selectbox(key="a_disp").set_value("OF")
    button(at, "Ouvrir l'accompagnement").click().run()
    with engine.connect() as conn:
        spells = parcours.read_parcours(conn, CONSEILLER, ident, TODAY).accompagnements
    nouveau = next(parcours.lignes(spells[spells["dispositif"] == "OF"]))
    assert nouveau["referent"] == "conseiller@demo.invalid"
    at.selectbox(key="a_choix").set_value(nouveau["id_accompagnement"]).run()
    at.selectbox(key=f"m_ref_{nouveau['id_accompagnement']}").set_value("conseiller3.ml13001@demo.invalid")
    button(at, "Enregistrer les modifications").click().run()
    assert not errors(at)
    with engine.connect() as conn:
        assert parcours._enfant(conn, CONSEILLER, "accompagnements", nouveau["id_accompagnement"])["referent"] == "conseiller3.ml13001@demo.invalid"
    table = next(d.value for d in at.dataframe if "Référent" in d.value.columns)
    assert "conseiller3.ml13001@demo.invalid" in list(table["Référent"])


def test_editing_and_deleting_an_accompagnement(app, engine):
    at = unfold(app("../pages/parcours.py"), "p_creer")
    at.text_input(key="c_id").set_value("IM-MODIF")
    at.number_input(key="c_annee").set_value(2004)
    at.selectbox(key="c_sexe").set_value("F")
    button(at, "Créer le jeune").click().run()
    with engine.begin() as conn:
        opened = parcours.open_accompagnement(conn, CONSEILLER, "IM-MODIF", {"dispositif": "PACEA", "date_debut": TODAY - dt.timedelta(days=90)}, TODAY)
    tab(at, "Accompagnements")
    ident = opened.cle
    at.selectbox(key="a_choix").set_value(ident).run()
    at.text_input(key=f"m_fin_{ident}").set_value(f"{TODAY - dt.timedelta(days=1):%d/%m/%Y}")
    button(at, "Enregistrer les modifications").click().run()
    assert errors(at) == ["Motif de fin : obligatoire quand la date de fin est renseignée."]
    at.text_input(key=f"m_fin_{ident}").set_value(f"{TODAY - dt.timedelta(days=100):%d/%m/%Y}")
    at.selectbox(key=f"m_motif_{ident}").set_value("reorientation")
    button(at, "Enregistrer les modifications").click().run()
    assert errors(at) == ["Date de fin : la date de fin précède la date de début."]
    at.text_input(key=f"m_fin_{ident}").set_value(f"{TODAY - dt.timedelta(days=1):%d/%m/%Y}")
    at.selectbox(key=f"m_disp_{ident}").set_value("CEJ")
    button(at, "Enregistrer les modifications").click().run()
    assert any("Accompagnement modifié : Contrat d'engagement jeune" in s for s in successes(at))
    with engine.connect() as conn:
        [acc] = parcours.lignes(parcours.read_parcours(conn, CONSEILLER, "IM-MODIF", TODAY).accompagnements)
    assert (acc["dispositif"], acc["date_fin"], acc["motif_fin"], acc["version"]) == ("CEJ", TODAY - dt.timedelta(days=1), "reorientation", 2)
    at.selectbox(key="a_choix").set_value(ident).run()
    at.checkbox(key=f"a_confirme_{ident}").check()
    button(at, "Supprimer l'accompagnement").click().run()
    assert any("Accompagnement supprimé" in s for s in successes(at))
    with engine.connect() as conn:
        assert parcours.read_parcours(conn, CONSEILLER, "IM-MODIF", TODAY).accompagnements.empty


def test_editing_and_deleting_the_jeune(app, engine):
    ident = a_jeune(engine)
    at = tab(app("../pages/parcours.py", jeune=ident), "Fiche du jeune")
    with engine.connect() as conn:
        lu = parcours.jeune(conn, CONSEILLER, ident)
    at.checkbox(key=f"f_rqth_{ident}").set_value(not lu["rqth"])
    button(at, "Enregistrer la fiche").click().run()
    assert any("Fiche du jeune enregistrée" in s for s in successes(at))
    button(at, "Supprimer le jeune").click().run()
    assert any("Cochez la confirmation" in w.value for w in at.warning)
    at.checkbox(key=f"f_confirme_{ident}").check()
    button(at, "Supprimer le jeune").click().run()
    assert "jeune" not in at.query_params and any("Jeune supprimé" in s for s in successes(at))
    with engine.connect() as conn, pytest.raises(parcours.Introuvable):
        parcours.jeune(conn, CONSEILLER, ident)


# --- worklist -------------------------------------------------------------------------------------------------------------
def worklists(engine, compte: Compte = CONSEILLER, seulement: bool = False, domaine: str | None = None):
    """The three lists as the page shows them: at the date of the data, the conseiller's jeunes first (or alone)."""
    with engine.connect() as conn:
        au = worklist.date_des_donnees(conn, compte, TODAY)
        return au, [
            worklist.mes_jeunes(frame, compte, seulement)
            for frame in (
                worklist.risques_ouverts(conn, compte, au, domaine=domaine),
                worklist.sans_contact(conn, compte, au),
                worklist.orientations_sans_rdv(conn, compte, au),
            )
        ]


def risk_rows(at: AppTest) -> list[str]:
    """The identifiers of the risk rows on the page (each row's first cell is an `st.text`)."""
    return [t.value for t in at.text if t.value.startswith("J")]


def test_the_worklist_shows_the_librarys_lists(app, engine):
    at = app("../pages/a_traiter.py")
    _, (risques, silences, orientations) = worklists(engine)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Risques ouverts"] == str(len(risques))
    assert metrics["Sans contact > 60 jours"] == str(len(silences))
    assert metrics["dont > 90 jours"] == str(int((silences["jours"] > 90).sum()))
    assert metrics["Orientations > 15 jours"] == str(len(orientations))
    assert metrics["dont > 30 jours"] == str(int((orientations["jours"] > 30).sum()))
    assert risk_rows(at) == list(risques["id_jeune"][:20])
    assert list(at.dataframe[0].value["Identifiant"]) == list(silences["id_jeune"])
    assert list(at.dataframe[1].value["Identifiant"]) == list(orientations["id_jeune"])
    # the threshold passed, in words beside the days (never colour alone)
    assert list(at.dataframe[0].value["Sans contact depuis"]) == [
        "plus de 90 jours" if j > 90 else "plus de 60 jours" for j in silences["jours"]
    ]
    assert list(at.dataframe[1].value["En attente depuis"]) == [
        "plus de 30 jours" if j > 30 else "plus de 15 jours" for j in orientations["jours"]
    ]


def test_the_worklist_counts_at_the_date_of_the_data_and_says_so(app, engine):
    """The demo data stop at the end of October: waits are counted from the structure's latest jalon, not today."""
    au, (_, silences, _) = worklists(engine)
    with engine.connect() as conn:
        latest = conn.execute(
            select(func.max(Jalon.date)).join(Jeune, Jeune.id_jeune == Jalon.id_jeune).where(Jeune.code_structure == STRUCTURE)
        ).scalar_one()
    assert au == latest < TODAY
    at = app("../pages/a_traiter.py")
    assert at.caption[0].value == f"Structure {STRUCTURE} · situation au {au:%d/%m/%Y}"
    [info] = at.info
    assert f"Les délais sont comptés au {au:%d/%m/%Y}, date du jalon le plus récent de votre structure" in info.value
    assert f"nous sommes le {TODAY:%d/%m/%Y}" in info.value
    with engine.connect() as conn:  # counted from today, the same structure would show many more silences
        assert len(worklist.sans_contact(conn, CONSEILLER, TODAY)) > len(silences)


def test_every_risk_listed_is_of_a_jeune_in_an_accompagnement_and_in_urgency_order(app, engine):
    at = app("../pages/a_traiter.py")
    au, (risques, *_) = worklists(engine)
    shown = risk_rows(at)
    assert shown and shown == list(risques["id_jeune"][: len(shown)])
    with engine.connect() as conn:
        for ident in shown:  # each has an accompagnement in progress at the date of the data
            spells = parcours.read_parcours(conn, CONSEILLER, ident, TODAY).accompagnements
            assert ((spells["date_debut"] <= au) & (spells["date_fin"].isna() | (spells["date_fin"] >= au))).any(), ident
    keys = list(zip(-risques["silence"], risques["date"], strict=True))
    assert keys == sorted(keys)  # longest without contact since the risk first, then the oldest
    assert (risques["jours"] < 1000).all()  # no parcours abandoned in 2023 at the top any more


def test_the_domaine_filter_narrows_the_risks(app, engine):
    _, (risques, *_) = worklists(engine)
    domaine = risques["domaine"].value_counts().index[0]
    at = app("../pages/a_traiter.py")
    at.selectbox(key="wl_domaine").set_value(domaine).run()
    _, (filtres, *_) = worklists(engine, domaine=domaine)
    assert 0 < len(filtres) < len(risques) and set(filtres["domaine"]) == {domaine}
    assert {m.label: m.value for m in at.metric}["Risques ouverts"] == str(len(filtres))
    assert risk_rows(at) == list(filtres["id_jeune"][:20])
    assert at.selectbox(key="wl_domaine").options[0] == "Tous les domaines"


def test_mes_jeunes_shows_exactly_the_signed_in_conseillers_jeunes(app, engine):
    """The demo conseiller is referent of a share of every structure's jeunes (fictitious addresses of the demo data)."""
    au, toutes = worklists(engine)
    with engine.connect() as conn:  # my jeunes, read straight from the store: an accompagnement in progress names me
        miens = set(conn.execute(
            select(Accompagnement.id_jeune).where(
                Accompagnement.referent == CONSEILLER.email, Accompagnement.date_debut <= au,
                (Accompagnement.date_fin.is_(None)) | (Accompagnement.date_fin >= au),
            )
        ).scalars())
    at = app("../pages/a_traiter.py")
    for liste in toutes:  # « Mes jeunes d'abord » (the default): mine on top, then the others
        est_mien = [i in miens for i in liste["id_jeune"]]
        assert est_mien == sorted(est_mien, reverse=True)
    assert list(at.dataframe[0].value["Identifiant"]) == list(toutes[1]["id_jeune"])
    at.radio(key="wl_vue").set_value("seulement").run()
    metrics = {m.label: m.value for m in at.metric}
    risques, silences, orientations = (set(liste["id_jeune"]) & miens for liste in toutes)
    assert risques or silences or orientations
    assert set(risk_rows(at)) == risques and metrics["Risques ouverts"] == str(len([i for i in toutes[0]["id_jeune"] if i in miens]))
    shown = {d.value.columns[1]: set(d.value["Identifiant"]) for d in at.dataframe}
    assert shown.get("Sans contact depuis", set()) == silences and shown.get("En attente depuis", set()) == orientations
    assert all(set(d.value["Référent"]) == {"vous"} for d in at.dataframe)


def test_the_worklist_action_writes_the_right_jalon(app, engine):
    _, (risques, *_) = worklists(engine)
    premier = next(parcours.lignes(risques))
    at = app("../pages/a_traiter.py")
    at.text_input(key="wl_date").input((TODAY - dt.timedelta(days=1)).strftime("%d/%m/%Y"))
    at.button(key=f"wl_survenue_{premier['id_jalon']}").click().run()
    assert not at.exception
    assert any(f"Rupture survenue enregistrée pour le jeune {premier['id_jeune']}" in s for s in successes(at))
    issues = [j for j in jalons_of(engine, premier["id_jeune"]) if j["type"] == "rupture_survenue" and j["date"] == TODAY - dt.timedelta(days=1)]
    assert [j["domaine"] for j in issues] == [premier["domaine"]]
    assert {m.label: m.value for m in at.metric}["Risques ouverts"] == str(len(risques) - 1)
    at.button(key=f"wl_ouvrir_{next(parcours.lignes(risques.iloc[1:]))['id_jalon']}").click().run()
    assert at.query_params["jeune"] == risques.iloc[1]["id_jeune"]  # the parcours page opened on that jeune


@pytest.mark.parametrize("typed", ["32/13", "31/02/2026", "01/01/2030", ""])
def test_a_worklist_issue_date_that_cannot_be_read_or_is_in_the_future_saves_nothing(app, engine, typed):
    """What people type in the date of the issue: an unreadable or future date blocks the save with a French message."""
    _, (risques, *_) = worklists(engine)
    premier = next(parcours.lignes(risques))
    avant = jalons_of(engine, premier["id_jeune"])
    at = app("../pages/a_traiter.py")
    at.text_input(key="wl_date").input(typed)
    at.button(key=f"wl_evitee_{premier['id_jalon']}").click().run()
    assert not at.exception
    assert any("Date de l'issue" in e or "date de l'issue" in e for e in (x.value for x in at.error)), [x.value for x in at.error]
    assert jalons_of(engine, premier["id_jeune"]) == avant


# --- no raw value on screen ---------------------------------------------------------------------------------------------
RAW = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\bnan\b|\bNaT\b|DROIT_COMMUN|\(qpv\)|rqth =")


def screen_texts(at: AppTest) -> list[str]:
    """Everything a page shows as text: every element's content (its proto in text form: values, labels, helps,
    options, the frise's specification) and every cell and header of its tables, missing cells as Python's `None`."""
    out = []
    for root in (at.main, at.sidebar):
        for element in walk(root):
            if getattr(element, "type", None) == "arrow_data_frame":
                frame = element.value
                out += [str(c) for c in frame.columns]
                out += ["None" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in frame.to_numpy().ravel()]
            elif getattr(element, "proto", None) is not None:
                out.append(str(element.proto))
    return out


def raw_values(at: AppTest) -> list[str]:
    return [m.group(0) + " in " + text[max(0, m.start() - 60) : m.end() + 40] for text in screen_texts(at) for m in RAW.finditer(text)]


@pytest.fixture
def flagged(engine) -> str:
    """A jeune with every flag set, a closed DROIT_COMMUN spell (with its motif) and one in progress with no financeur,
    jalons with and without domaine or amount, an open risk, and a change of their record in the history."""
    jour = TODAY - dt.timedelta(days=3)
    with engine.begin() as conn:
        ident = parcours.create_jeune(conn, CONSEILLER, {
            "id_jeune": "J-DRAPEAUX", "annee_naissance": 2004, "sexe": "H", "niveau_formation": "3", "qpv": False, "frr": True,
            "rqth": True, "date_premier_accueil": TODAY - dt.timedelta(days=400),
        }, TODAY).cle
        spell = parcours.open_accompagnement(conn, CONSEILLER, ident, {"dispositif": "DROIT_COMMUN", "date_debut": TODAY - dt.timedelta(days=390)}, TODAY).ligne
        parcours.close_accompagnement(conn, CONSEILLER, spell, TODAY - dt.timedelta(days=200), "abandon", TODAY)
        parcours.open_accompagnement(conn, CONSEILLER, ident, {"dispositif": "CEJ", "date_debut": TODAY - dt.timedelta(days=100)}, TODAY)
        for valeurs in ({"type": "risque_rupture", "domaine": "logement"}, {"type": "aide_faj", "montant_eur": "150,50"},
                        {"type": "entretien", "commentaire": "Point d'étape"}, {"type": "mobilisation_partenaire", "domaine": "caf"}):
            parcours.add_jalon(conn, CONSEILLER, ident, {"date": jour, **valeurs}, TODAY)
        parcours.update_jeune(conn, CONSEILLER, parcours.jeune(conn, CONSEILLER, ident), {"qpv": True}, TODAY)
    return ident


def test_the_parcours_of_a_jeune_with_every_flag_shows_no_raw_value(app, engine, flagged):
    at = app("../pages/parcours.py", jeune=flagged)
    assert not raw_values(at), raw_values(at)
    caption = next(c.value for c in at.caption if c.value.startswith("né·e en"))
    assert "réside en quartier prioritaire (QPV)" in caption and "reconnu·e travailleur·se handicapé·e (RQTH)" in caption
    accompagnements = next(d.value for d in tab(at, "Accompagnements").dataframe if "Dispositif" in d.value.columns)
    assert list(accompagnements["Dispositif"]) == ["Droit commun", "Contrat d'engagement jeune"]
    assert list(accompagnements["Fin"])[1] == "en cours" and list(accompagnements["Financeur"]) == ["—", "—"]
    at.selectbox(key="a_choix").select_index(0).run()  # the edit form of the closed spell
    assert not raw_values(at), raw_values(at)
    historique = next(d.value for d in tab(at, "Historique").dataframe if "Ce qui a changé" in d.value.columns)
    assert "QPV : Non → Oui" in list(historique["Ce qui a changé"])
    assert not raw_values(at), raw_values(at)
    unfold(at, "p_trouver")
    at.text_input(key="r_ident").set_value(flagged)
    at.selectbox(key="r_disp").set_value("CEJ")
    button(at, "Rechercher").click().run()  # the search results
    assert not raw_values(at), raw_values(at)


def test_the_worklist_shows_no_raw_value(app, engine, flagged):
    at = app("../pages/a_traiter.py")
    assert flagged in risk_rows(at)
    assert not raw_values(at), raw_values(at)
    assert any("Droit commun" in v or "Contrat d'engagement jeune" in v for d in at.dataframe for v in d.value.get("Dispositifs en cours", []))


def test_the_audit_trail_shows_no_raw_value(app, engine, flagged, demo_url, monkeypatch):
    """The administration's journal: an entry's before and after in words (`QPV : Oui`), not a Python dict."""
    monkeypatch.setenv("MLIMPACT_DATABASE_URL", demo_url)
    monkeypatch.setenv("MLIMPACT_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    at.run()
    at.selectbox(key="demo_role").set_value("admin").run()
    at.switch_page("../pages/admin.py").run()
    at.selectbox(key="audit_table").set_value("jeunes").run()
    assert not at.exception and not raw_values(at), raw_values(at)
    journal = next(d.value for d in at.dataframe if "Après" in d.value.columns)
    assert journal["Action"].iloc[0] == "Modification" and "QPV : Oui" in journal["Après"].iloc[0]
    assert "date du premier accueil : " in journal["Après"].iloc[-1]


# --- import -----------------------------------------------------------------------------------------------------------------
def jalons_csv(ident: str, bad_row: bool = True) -> bytes:
    rows = [
        "id_jalon;id_jeune;date;type;domaine;montant_eur;commentaire",
        f"IMP-1;{ident};2026-10-02;entretien;;;",
        f"IMP-2;{ident};2026-10-03;mobilisation_partenaire;caf;;",
    ]
    if bad_row:
        rows.append(f"IMP-3;{ident};2026-10-04;risque_rupture;;;=HYPERLINK(\"x\")")  # no domaine
    return ("\n".join(rows) + "\n").encode()


def count_imp(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Jalon).where(Jalon.id_jalon.like("IMP-%"))).scalar_one()


def test_import_all_or_nothing_refuses_a_file_with_a_bad_row_and_gives_the_report(app, engine):
    ident = a_jeune(engine)
    at = app("../pages/import_donnees.py")
    assert at.button(key="imp_lancer").disabled
    at.file_uploader(key="imp_fichiers").upload("jalons.csv", jalons_csv(ident), "text/csv").run()
    at.button(key="imp_verifier").click().run()
    assert list(at.dataframe[0].value.iloc[0]) == ["jalons", 2, 0, 0, 1]  # to add, to update, unchanged, refused
    assert any("Aperçu, rien n'a été écrit : 2 ligne(s) à ajouter, 0 à mettre à jour, 0 inchangée(s), 1 refusée(s). En mode « tout ou rien », l'import serait refusé" in i.value for i in at.info)
    assert count_imp(engine) == 0  # a preview writes nothing
    at.button(key="imp_lancer").click().run()
    assert not at.exception
    assert any("Import annulé : 1 ligne(s) refusée(s)" in e for e in errors(at))
    assert at.get("progress")[0].value == 100
    refused = at.dataframe[1].value
    assert list(refused.iloc[0]) == ["jalons", 4, "domaine", "domaine : obligatoire pour ce type de jalon."]
    assert count_imp(engine) == 0
    [download] = at.download_button
    assert download.label == "Télécharger le rapport des lignes refusées (lignes_refusees.csv)"  # its content: browser test


def test_import_keeping_the_valid_rows(app, engine):
    ident = a_jeune(engine)
    at = app("../pages/import_donnees.py")
    at.file_uploader(key="imp_fichiers").upload("jalons.csv", jalons_csv(ident), "text/csv").run()
    at.radio(key="imp_mode").set_value("partiel")
    at.button(key="imp_lancer").click().run()
    assert not at.exception
    assert any("Import terminé : 2 ligne(s) ajoutée(s), 0 mise(s) à jour, 1 ligne(s) refusée(s) écartée(s)" in s for s in successes(at))
    assert list(at.dataframe[0].value.iloc[0]) == ["jalons", 2, 0, 0, 1]
    assert count_imp(engine) == 2
    with engine.connect() as conn:
        entry = audit.entries(conn, table="*")[0]
    assert entry["auteur"] == "conseiller@demo.invalid" and entry["action"] == "import"


def test_import_rights_xlsx_and_zip(app, engine):
    ident = a_jeune(engine)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "jalons"
    sheet.append(["id_jalon", "id_jeune", "date", "type", "domaine", "montant_eur", "commentaire"])
    sheet.append(["IMP-X1", ident, dt.date(2026, 10, 5), "atelier", None, None, None])
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    at = app("../pages/import_donnees.py")
    at.file_uploader(key="imp_fichiers").upload("export.xlsx", xlsx.getvalue()).run()
    at.button(key="imp_verifier").click().run()
    assert list(at.dataframe[0].value.iloc[0]) == ["jalons", 1, 0, 0, 0]

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("structures.csv", "code_structure;nom;departement\nML99001;Pirate;13\n")
    at = app("../pages/import_donnees.py")
    at.file_uploader(key="imp_fichiers").upload("lot.zip", archive.getvalue()).run()
    at.button(key="imp_lancer").click().run()
    assert any("Votre rôle ne permet pas d'importer : structures" in e for e in errors(at))

    with engine.connect() as conn:
        other = conn.execute(select(Jeune.id_jeune).where(Jeune.code_structure == "ML84001").limit(1)).scalar_one()
    at = app("../pages/import_donnees.py")
    at.file_uploader(key="imp_fichiers").upload("jalons.csv", jalons_csv(other, bad_row=False)).run()
    at.button(key="imp_verifier").click().run()  # the preview is the import, rolled back: rights and references too
    assert list(at.dataframe[0].value.iloc[0]) == ["jalons", 0, 0, 0, 2]
    assert all("jeune inconnu" in m for m in at.dataframe[1].value["Motif"])  # another structure's jeune is not named

    at = app("../pages/import_donnees.py")
    at.file_uploader(key="imp_fichiers").upload("jalons.csv", b"\x00\x01pas un csv").run()
    at.button(key="imp_lancer").click().run()
    assert not at.exception and errors(at)


def test_import_of_a_referent_that_is_not_an_account_of_the_structure_is_refused(app, engine):
    ident = a_jeune(engine)
    rows = [
        "id_accompagnement;id_jeune;dispositif;date_debut;date_fin;motif_fin;financeur;referent",
        f"IMP-A1;{ident};OF;2026-10-01;;;;conseiller@demo.invalid",
        f"IMP-A2;{ident};CEJ;2026-10-02;;;;conseiller@ml84.fr",
    ]
    at = app("../pages/import_donnees.py")
    at.file_uploader(key="imp_fichiers").upload("accompagnements.csv", ("\n".join(rows) + "\n").encode(), "text/csv").run()
    at.button(key="imp_lancer").click().run()
    assert not at.exception
    assert any("Import annulé : 1 ligne(s) refusée(s)" in e for e in errors(at))
    refused = at.dataframe[1].value
    assert list(refused.iloc[0])[:3] == ["accompagnements", 3, "referent"]
    assert refused["Motif"].iloc[0].startswith("« conseiller@ml84.fr » n'est pas le compte d'un conseiller ou d'un directeur "
                                               "de la structure ML13001 : le référent doit être l'adresse e-mail d'un compte")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Accompagnement).where(Accompagnement.id_accompagnement.like("IMP-%"))).scalar_one() == 0


# --- roles --------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["pages/parcours.py", "pages/a_traiter.py"])
def test_workspace_pages_refuse_roles_without_rows(page):
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state["_compte_de_cette_execution"] = Compte("cd@demo.invalid", "departement", departement="13")
    at.run()
    assert not at.exception and "n'est pas accessible avec votre rôle" in at.error[0].value
