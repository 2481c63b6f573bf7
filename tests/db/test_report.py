"""The report for the Conseil départemental (PDF), the Excel export, and the director's settings library.

The library is tested thoroughly, the command thinly (sqlite-utils style).
Expected figures come from `indicators.disclosure.service` for the same account and scope.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from mlimpact.cli.common import author
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.engine import make_url

from indicators.models import impact as modele
from indicators.disclosure import service
from indicators.registry import REGISTRY, REGISTRY_VERSION
from indicators.types import Echelon, Famille, Filtres, Perimetre, Periode
from mlimpact import audit, notes, store
from indicators.models import impact_settings
from mlimpact.access import AccesRefuse, Compte
from mlimpact.cli import main
from mlimpact.db import make_engine
from mlimpact.exchange.importer import import_paths
from mlimpact.models import Objectif
from reports import contenu as ct
from reports import excel, fonts, pdf
from presentation.figures import texte_ecart
from presentation.figures import texte_valeur as texte_figure
from presentation.textes import echapper, libelle_perimetre, mois_incomplet
from tests.support.exchange_files import write_tables

STRUCTURE = "ML13001"
PERIMETRE = Perimetre(Echelon.STRUCTURE, STRUCTURE)
PERIODE = Periode(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
DIRECTEUR = Compte("directrice@ml13001.fr", "directeur", STRUCTURE)


def copie_demo(demo_database: str, folder: Path) -> str:
    """A private copy of the demo store (tests that write must not touch the shared one)."""
    engine = make_engine(demo_database)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "demo-copie.db"
    shutil.copyfile(make_url(demo_database).database, target)
    return f"sqlite:///{target}"


def plat(text: str) -> str:
    """Whitespace (narrow and no-break spaces included) folded to single spaces."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def pdf_text(data: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(data))
    return plat(" ".join(page.extract_text() for page in reader.pages)), reader


@pytest.fixture(scope="module")
def demo_copy(demo_database, tmp_path_factory) -> str:
    return copie_demo(demo_database, tmp_path_factory.mktemp("rapport"))


@pytest.fixture(scope="module")
def rapport_directeur(demo_copy):
    engine = make_engine(demo_copy)
    data = pdf.rapport(engine, DIRECTEUR, PERIODE, PERIMETRE)
    return engine, data


# --- the PDF --------------------------------------------------------------------------------------------
def test_the_pdf_holds_the_engine_figures_labels_and_charts(rapport_directeur):
    engine, data = rapport_directeur
    assert data.startswith(b"%PDF")
    text, reader = pdf_text(data)
    expected = service.compute(engine, DIRECTEUR, PERIODE, PERIMETRE)
    for code, valeur in expected.items():
        assert plat(f"{REGISTRY[code].libelle} ({code})") in text, code  # the annex: every definition
        assert plat(texte_figure(code, valeur)) in text, (code, texte_figure(code, valeur))
    assert "Rapport d'activité et d'impact" in text and "Conseil départemental" in text
    assert "01/01/2025 au 31/12/2025" in text
    assert "Données au 31/10/2026" in text
    assert f"version {REGISTRY_VERSION}" in text
    assert "Effet d'aubaine" in text and "DARES (2018)" in text
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 10  # a trend per family, the themes, risks, cohort curve, waterfall, range
    assert len(reader.pages) >= 10


def test_the_pdf_prints_french_number_formats_with_the_embedded_font(rapport_directeur):
    _, data = rapport_directeur
    reader = PdfReader(io.BytesIO(data))
    raw = " ".join(page.extract_text() for page in reader.pages)
    assert "\u202f" in raw and "€" in raw  # narrow no-break space and euro sign survive
    fonts_used = {str(f) for page in reader.pages for f in page.get("/Resources", {}).get("/Font", {}).values()}
    assert fonts_used
    assert b"DejaVu" in data


def test_the_pdf_shows_objectives_against_results_and_the_avoided_cost_range(rapport_directeur):
    engine, data = rapport_directeur
    text, _ = pdf_text(data)
    contenu = ct.build(engine, DIRECTEUR, PERIODE, PERIMETRE)
    assert contenu.objectifs is not None and len(contenu.objectifs)
    assert "Objectifs de la convention 2025 et résultats" in text
    for row in contenu.objectifs.itertuples():
        assert row.statut_libelle in text
    cas = contenu.impact.cas.set_index("cas")["couts_evites_nets_eur"]
    for case in ("bas", "central", "haut"):
        assert plat(f"{cas[case]:,.0f}".replace(",", " ")) in text
    assert "Point mort" in text and "Précautions de lecture" in text


def test_a_report_is_audited(rapport_directeur):
    engine, _ = rapport_directeur
    with engine.connect() as conn:
        entries = [e for e in audit.entries(conn, table="rapport") if e["auteur"] == DIRECTEUR.email]
    assert entries and entries[0]["action"] == "report" and entries[0]["cle"] == STRUCTURE
    assert entries[0]["apres"]["debut"] == "2025-01-01"


def test_the_report_refuses_another_structure(demo_copy):
    with pytest.raises(AccesRefuse):
        pdf.rapport(make_engine(demo_copy), DIRECTEUR, PERIODE, Perimetre(Echelon.STRUCTURE, "ML84001"))


def test_a_missing_font_fails_with_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "DOSSIERS", ())
    monkeypatch.setenv(fonts.FONT_ENV, str(tmp_path))
    with pytest.raises(fonts.PoliceIntrouvable, match="fonts-dejavu-core"):
        fonts.police()


# --- content ---------------------------------------------------------------------------------------------
def test_content_figures_are_the_service_ones_and_masked_for_the_departement(demo_database):
    engine = make_engine(demo_database)
    contenu = ct.build(engine, DIRECTEUR, PERIODE, PERIMETRE)
    expected = service.compare(engine, DIRECTEUR, PERIODE, PERIMETRE, as_of=contenu.demande.as_of)
    assert {c: v[0].valeur for c, v in contenu.figures.items()} == {c: v[0].valeur for c, v in expected.items()}
    assert contenu.k == 0 and contenu.departement == "13"
    departement = Compte("cd13@demo.invalid", "departement", departement="13")
    masked = ct.build(engine, departement, PERIODE, PERIMETRE)
    assert masked.k == 11
    for code, (valeur, _) in masked.figures.items():
        if REGISTRY[code].nature.value == "count" and valeur.valeur is not None:
            assert not 1 <= valeur.valeur <= 10, code
    shown = masked.risques["affichage"].tolist()
    assert not any(s.isdigit() and 1 <= int(s) <= 10 for s in shown)


def test_the_cohort_curve_is_the_structures_own(demo_database):
    """Its month-by-month counts (spells at risk, exits) are exact; outside the structure it is not published."""
    engine = make_engine(demo_database)
    own = ct.courbe(engine, DIRECTEUR, ct.Demande(PERIODE, PERIMETRE))
    assert len(own) and not own.attrs.get("reservee") and (own["a_risque"].astype(float) > 0).all()
    for compte in (Compte("cd13@demo.invalid", "departement", departement="13"), Compte("bn@demo.invalid", "bureau")):
        outside = ct.courbe(engine, compte, ct.Demande(PERIODE, PERIMETRE))
        assert outside.empty and outside.attrs["reservee"], compte.role


def test_trend_window_and_incomplete_month():
    as_of = dt.date(2026, 10, 15)
    assert ct.fenetre_tendance(Periode(dt.date(2026, 7, 1), dt.date(2026, 9, 30)), as_of) == (dt.date(2025, 10, 1), dt.date(2026, 9, 30))
    assert ct.fenetre_tendance(Periode(dt.date(2020, 1, 1), dt.date(2026, 12, 31)), as_of) == (dt.date(2024, 11, 1), as_of)
    assert ct.fenetre_tendance(Periode(dt.date(2025, 1, 1), dt.date(2025, 12, 31)), as_of) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert "Mois incomplet" in mois_incomplet(Periode(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), as_of)
    assert mois_incomplet(PERIODE, as_of) is None


def test_free_text_is_made_inert_for_markdown():
    assert echapper("**gras** [lien](http://x) <b>") == r"\*\*gras\*\* \[lien\]\(http\://x\) \<b\>"
    assert libelle_perimetre(PERIMETRE, {STRUCTURE: "ML Nord"}) == "ML Nord (ML13001)"
    assert libelle_perimetre(Perimetre()) == "France entière"


# --- the Excel export ------------------------------------------------------------------------------------
def test_the_excel_export_has_every_table_and_the_service_figures(demo_copy):
    engine = make_engine(demo_copy)
    data = excel.export(engine, DIRECTEUR, PERIODE, PERIMETRE, Filtres(dispositif="RSA"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    names = wb.sheetnames
    assert names[:2] == ["Lisez-moi", "Indicateurs"]
    assert "Objectifs 2025" in names and "Risques par domaine" in names and "Courbe RSA" in names
    assert sum(n.startswith("Tendance") for n in names) == len(Famille)
    assert sum(len(t) for _, t in ct.THEMES.values()) <= sum(" - " in n for n in names)
    sheet = wb["Indicateurs"]
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("code")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    expected = service.compute(engine, DIRECTEUR, PERIODE, PERIMETRE, Filtres(dispositif="RSA"))
    assert set(rows) == set(REGISTRY)
    for code, valeur in expected.items():
        assert rows[code][header.index("valeur")] == pytest.approx(valeur.valeur), code
    with engine.connect() as conn:
        [entry] = [e for e in audit.entries(conn, table="indicateurs") if e["auteur"] == DIRECTEUR.email]
    assert entry["action"] == "export" and entry["apres"]["format"] == "xlsx"


def test_excel_text_cells_cannot_run_as_formulas(demo_database):
    contenu = ct.build(make_engine(demo_database), DIRECTEUR, PERIODE, PERIMETRE)
    hostile = replace(contenu, libelle_perimetre="=HYPERLINK(\"http://x\",\"clic\")")
    wb = openpyxl.load_workbook(io.BytesIO(excel.classeur(hostile)))
    cells = {r[0]: r[1] for r in wb["Lisez-moi"].iter_rows(min_row=2, values_only=True)}
    assert cells["Périmètre"].startswith("'=")
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value[:1] in "=+@"), (sheet.title, value)


# --- the command (thin) -----------------------------------------------------------------------------------
def test_the_command_writes_the_same_report(demo_copy, tmp_path, capsys):
    out = tmp_path / "rapport.pdf"
    assert main(["rapport", "--structure", STRUCTURE, "--debut", "2025-01-01", "--fin", "31/12/2025", "--out", str(out), "--db", demo_copy]) == 0
    assert "Rapport écrit" in capsys.readouterr().out
    text, _ = pdf_text(out.read_bytes())
    library, _ = pdf_text(pdf.render(ct.build(make_engine(demo_copy), Compte("cli", "admin"), PERIODE, PERIMETRE)))
    strip = lambda t: re.sub(r"Édité le \S+ à \S+", "", t)
    assert strip(text) == strip(library)
    with make_engine(demo_copy).connect() as conn:
        # the command acts for the system user (or --auteur), never a shared « cli »
        assert any(e["auteur"] == author(None) and e["action"] == "report" for e in audit.entries(conn, table="rapport"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--structure", "INCONNUE", "--debut", "2025-01-01", "--fin", "2025-12-31"], "structure inconnue"),
        (["--structure", STRUCTURE, "--debut", "2025-12-31", "--fin", "2025-01-01"], "après sa fin"),
    ],
)
def test_the_command_refuses_bad_arguments(demo_copy, tmp_path, capsys, args, message):
    assert main(["rapport", *args, "--out", str(tmp_path / "r.pdf"), "--db", demo_copy]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()


def test_the_command_help_speaks_french(capsys):
    assert main(["rapport", "--help"]) == 0
    assert "Conseil départemental" in capsys.readouterr().out


# --- the director's settings (SQLite and PostgreSQL) ---------------------------------------------------------
@pytest.fixture
def small_store(engine, tmp_path):
    result = import_paths(engine, [write_tables(tmp_path / "in")])
    assert result.exit_code == 0
    return engine


def test_objectives_are_validated_written_audited_and_bump_the_data_version(small_store):
    engine = small_store
    with engine.connect() as conn:
        before = store.data_version(conn)
    with engine.begin() as conn:
        assert impact_settings.save(conn, DIRECTEUR, "objectifs", STRUCTURE, {"annee": 2026, "indicateur": "acces_emploi", "cible": 42.5}) == "create"
        assert impact_settings.save(conn, DIRECTEUR, "objectifs", STRUCTURE, {"annee": 2026, "indicateur": "acces_emploi", "cible": "45,0"}) == "update"
        assert impact_settings.save(conn, DIRECTEUR, "objectifs", STRUCTURE, {"annee": 2026, "indicateur": "acces_emploi", "cible": 45}) == "unchanged"
    with engine.connect() as conn:
        assert impact_settings.objectifs(conn, STRUCTURE, 2026) == [{"annee": 2026, "indicateur": "acces_emploi", "cible": 45.0}]
        assert store.data_version(conn) == before + 2
        entries = audit.entries(conn, table="objectifs")
    assert [e["action"] for e in entries[:2]] == ["update", "create"]
    assert entries[0]["avant"]["cible"] == 42.5 and entries[0]["apres"]["cible"] == 45.0
    assert entries[0]["auteur"] == DIRECTEUR.email and entries[0]["cle"] == "ML13001|2026|acces_emploi"
    with engine.begin() as conn:
        assert impact_settings.delete_row(conn, DIRECTEUR, "objectifs", STRUCTURE, (2026, "acces_emploi"))
        assert not impact_settings.delete_row(conn, DIRECTEUR, "objectifs", STRUCTURE, (2026, "acces_emploi"))
    with engine.connect() as conn:
        assert conn.execute(select(Objectif).where(Objectif.annee == 2026)).first() is None
        assert audit.entries(conn, table="objectifs")[0]["action"] == "delete"


def test_financements_and_objectives_refuse_bad_rows_and_other_accounts(small_store):
    engine = small_store
    with engine.begin() as conn, pytest.raises(impact_settings.SaisieInvalide) as exc:
        impact_settings.save(conn, DIRECTEUR, "financements", STRUCTURE, {"annee": 1990, "financeur": "CD", "dispositif": "RSA", "montant_eur": "beaucoup"})
    assert any(f"2000 et {dt.date.today().year + 5}" in m for m in exc.value.messages)
    assert any("nombre décimal" in m for m in exc.value.messages)
    for compte, code in (
        (Compte("c@ml13001.fr", "conseiller", STRUCTURE), STRUCTURE),
        (DIRECTEUR, "ML84001"),
        (Compte("cd@13.fr", "departement", departement="13"), STRUCTURE),
    ):
        with engine.begin() as conn, pytest.raises(AccesRefuse):
            impact_settings.save(conn, compte, "objectifs", code, {"annee": 2025, "indicateur": "acces_emploi", "cible": 1})
    with engine.begin() as conn:
        assert impact_settings.save(conn, DIRECTEUR, "financements", STRUCTURE, {"annee": 2026, "financeur": "CD", "dispositif": "TOUS", "montant_eur": 1000.5}) == "create"
    with engine.connect() as conn:
        assert impact_settings.financements(conn, STRUCTURE, 2026) == [{"annee": 2026, "financeur": "CD", "dispositif": "TOUS", "montant_eur": 1000.5}]


def test_impact_parameters_are_checked_audited_and_change_the_net_figure(small_store):
    engine = small_store
    with engine.begin() as conn, pytest.raises(impact_settings.SaisieInvalide, match="cas prudent"):
        impact_settings.save_overrides(conn, DIRECTEUR, STRUCTURE, {"effet_aubaine": 0.7, "effet_aubaine_bas": 0.5})
    with engine.begin() as conn, pytest.raises(AccesRefuse):
        impact_settings.save_overrides(conn, Compte("c@x.fr", "conseiller", STRUCTURE), STRUCTURE, {"effet_aubaine": 0.5})
    with engine.begin() as conn:
        assert impact_settings.save_overrides(conn, DIRECTEUR, STRUCTURE, {"effet_aubaine": 0.5, "effet_aubaine_bas": 0.8, "part_autres_acteurs": 0.2})
        assert not impact_settings.save_overrides(conn, DIRECTEUR, STRUCTURE, {"effet_aubaine": 0.5})
    with engine.connect() as conn:
        assert impact_settings.overrides(conn, STRUCTURE) == {"effet_aubaine": 0.5}  # defaults are not stored
        params = impact_settings.parameters(conn, STRUCTURE)
        change = impact_settings.last_change(conn, STRUCTURE)
        assert impact_settings.overrides(conn, "ML84001") == {}
    assert params.modifie and "effet_aubaine = 0,5" in params.version
    assert change["auteur"] == DIRECTEUR.email and change["apres"] == {"effet_aubaine": 0.5}
    periode = Periode(dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    values = ct.figures(engine, DIRECTEUR, ct.Demande(periode, PERIMETRE, Filtres(), dt.date(2025, 4, 1)), params)
    brut = values["couts_evites_bruts_eur"][0].valeur
    assert values["couts_evites_nets_eur"][0].valeur == modele.net(brut, params)
    with engine.begin() as conn:
        assert impact_settings.save_overrides(conn, DIRECTEUR, STRUCTURE, {})
    with engine.connect() as conn:
        assert not impact_settings.parameters(conn, STRUCTURE).modifie


def test_a_report_with_edited_parameters_says_so(demo_database, tmp_path):
    url = copie_demo(demo_database, tmp_path)
    engine = make_engine(url)
    with engine.begin() as conn:
        impact_settings.save_overrides(conn, DIRECTEUR, STRUCTURE, {"effet_aubaine": 0.75})
    contenu = ct.build(engine, DIRECTEUR, PERIODE, PERIMETRE)
    brut = contenu.figures["couts_evites_bruts_eur"][0].valeur
    assert contenu.figures["couts_evites_nets_eur"][0].valeur == modele.net(brut, contenu.params)
    text, _ = pdf_text(pdf.render(contenu))
    assert "modifiée (effet_aubaine = 0,75)" in text
    assert "Paramètres modifiés par la direction de la structure" in text and DIRECTEUR.email in text


# --- ready for a real meeting (issue 18) ---------------------------------------------------------------------
def pages_text(data: bytes) -> list[str]:
    return [plat(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def test_the_pdf_puts_objectives_right_after_the_summary_with_changes_in_points(rapport_directeur):
    engine, data = rapport_directeur
    pages = pages_text(data)
    objectifs = next(i for i, t in enumerate(pages) if "Objectifs de la convention 2025 et résultats" in t)
    premiere_famille = next(i for i, t in enumerate(pages) if t.startswith("Activité : ce qui est fait"))
    assert objectifs <= 2 < premiere_famille  # cover, « L'essentiel », then the objectives: what a CD reads first
    contenu = ct.build(engine, DIRECTEUR, PERIODE, PERIMETRE)
    ratios = [r for r in contenu.objectifs.itertuples() if REGISTRY[r.indicateur].nature.value == "ratio"]
    assert ratios
    for r in ratios:
        assert plat(texte_ecart(r.indicateur, float(r.ecart))).endswith(" pt")
        assert plat(texte_ecart(r.indicateur, float(r.ecart))) in pages[objectifs]
    assert not re.search(r"[+−]\d+,\d %", pages[objectifs])  # a change of a rate is never written in %


def test_the_pdf_gives_the_departement_its_own_return_and_every_financeur_its_line(rapport_directeur):
    engine, data = rapport_directeur
    text, _ = pdf_text(data)
    figures = service.compute(engine, DIRECTEUR, PERIODE, PERIMETRE)
    assert figures["budget_cd_eur"].valeur < figures["budget_eur"].valeur
    assert plat(f"Euros évités par euro du Département {texte_figure('euros_evites_par_euro_cd', figures['euros_evites_par_euro_cd'])}") in text
    assert plat(f"Euros évités par euro, tous financeurs {texte_figure('euros_evites_par_euro_investi', figures['euros_evites_par_euro_investi'])}") in text
    assert "Pour le Département, qui verse le RSA" in text
    assert "le financement du Département sur la période" in text  # its break-even names its own money
    assert "Ce que le RSA évité représente pour chaque financeur" in text
    assert "Conseil départemental" in text and "État" in text and "sans objet" in text and "Tous financeurs" in text


def test_the_pdf_writes_sentences_not_fragments(rapport_directeur):
    _, data = rapport_directeur
    text, _ = pdf_text(data)
    assert "Montants en euros courants" in text
    assert ". euros courants" not in text
    assert "Entre parenthèses : la période de comparaison, du 01/01/2024 au 31/12/2024" in text
    assert "Cumul depuis le 01/01/2025" in text


def test_the_pdf_prints_the_directors_words_in_their_own_section(demo_database, tmp_path):
    engine = make_engine(copie_demo(demo_database, tmp_path))
    with engine.begin() as conn:
        notes.enregistrer(conn, DIRECTEUR, STRUCTURE, 2025, "Ouverture d'une antenne à la gare.", "A., 19 ans, a repris une formation.")
    pages = pages_text(pdf.rapport(engine, DIRECTEUR, PERIODE, PERIMETRE))
    section = next(i for i, t in enumerate(pages) if t.startswith("L'année 2025 en mots"))
    assert "Ouverture d'une antenne à la gare." in pages[section] and "A., 19 ans, a repris une formation." in pages[section]
    assert section < next(i for i, t in enumerate(pages) if t.startswith("Activité : ce qui est fait"))
    other = pdf.render(ct.build(engine, DIRECTEUR, Periode(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), PERIMETRE))
    assert not any(t.startswith("L'année 2024 en mots") for t in pages_text(other))  # nothing written: no section


def test_under_a_filter_the_report_says_objectives_are_not_the_value_column(demo_copy):
    engine = make_engine(demo_copy)
    filtered = pdf_text(pdf.render(ct.build(engine, DIRECTEUR, PERIODE, PERIMETRE, Filtres(dispositif="RSA"))))[0]
    assert "pas sur la colonne « Valeur »" in filtered
    assert "pas sur la colonne « Valeur »" not in pdf_text(pdf.render(ct.build(engine, DIRECTEUR, PERIODE, PERIMETRE)))[0]


def test_a_chosen_comparison_period_reaches_the_report(demo_copy):
    engine = make_engine(demo_copy)
    comparaison = Periode(dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    contenu = ct.build(engine, DIRECTEUR, PERIODE, PERIMETRE, comparaison=comparaison)
    expected = service.compute(engine, DIRECTEUR, comparaison, PERIMETRE)
    assert {c: v[1].valeur for c, v in contenu.figures.items()} == {c: v.valeur for c, v in expected.items()}
    assert "la période de comparaison, du 01/01/2023 au 31/12/2023" in pdf_text(pdf.render(contenu))[0]
    data = pdf.rapport(engine, DIRECTEUR, PERIODE, PERIMETRE, comparaison=comparaison)  # the page's button
    assert "la période de comparaison, du 01/01/2023 au 31/12/2023" in pdf_text(data)[0]
    assert ct.periode_precedente(PERIODE) == Periode(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert ct.periode_precedente(Periode(dt.date(2025, 4, 1), dt.date(2025, 6, 30))) == Periode(dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert ct.periode_precedente(Periode(dt.date(2025, 1, 10), dt.date(2025, 1, 19))) == Periode(dt.date(2024, 12, 31), dt.date(2025, 1, 9))


def test_the_cumulative_trend_ends_on_the_card(demo_copy):
    engine = make_engine(demo_copy)
    contenu = ct.build(engine, DIRECTEUR, PERIODE, PERIMETRE)
    t = contenu.tendances
    for code in ("acces_emploi", "jeunes_suivis", "couts_evites_nets_eur"):
        serie = t[t["code"] == code].sort_values("mois")
        assert len(serie) == 12 and serie["valeur"].iloc[-1] == contenu.figures[code][0].valeur, code
    jeunes = t[t["code"] == "jeunes_suivis"].sort_values("mois")["valeur"].tolist()
    assert jeunes == sorted(jeunes)  # a cumulated count never goes down


def test_the_directors_words_are_checked_audited_and_bump_the_data_version(small_store):
    engine = small_store
    for texte, message in (
        ("Appelez-la au 06 12 34 56 78.", "téléphone"),
        ("Son adresse : jeune@exemple.fr", "e-mail"),
        ("NIR 1 85 05 78 006 084 36 relevé", "sécurité sociale"),
        ("Texte\u202eà l'envers", "invisibles"),
    ):
        with engine.begin() as conn, pytest.raises(notes.NoteInvalide, match=message):
            notes.enregistrer(conn, DIRECTEUR, STRUCTURE, 2025, "", texte)
    for compte, code in ((Compte("c@ml13001.fr", "conseiller", STRUCTURE), STRUCTURE), (DIRECTEUR, "ML84001"),
                         (Compte("cd@13.fr", "departement", departement="13"), STRUCTURE)):
        with engine.begin() as conn, pytest.raises(AccesRefuse):
            notes.enregistrer(conn, compte, code, 2025, "Des faits.", "")
    with engine.connect() as conn:
        before = store.data_version(conn)
        assert notes.lire(conn, STRUCTURE, 2025) == {"faits": "", "recits": ""}
    with engine.begin() as conn:
        assert notes.enregistrer(conn, DIRECTEUR, STRUCTURE, 2025, " Nouvelle antenne. ", "<b>**A.**</b> a trouvé un CDI.")
        assert not notes.enregistrer(conn, DIRECTEUR, STRUCTURE, 2025, "Nouvelle antenne.", "<b>**A.**</b> a trouvé un CDI.")
        assert notes.enregistrer(conn, DIRECTEUR, STRUCTURE, 2025, "Deux antennes.", "<b>**A.**</b> a trouvé un CDI.")
    with engine.connect() as conn:
        assert notes.lire(conn, STRUCTURE, 2025) == {"faits": "Deux antennes.", "recits": "<b>**A.**</b> a trouvé un CDI."}
        assert notes.lire(conn, STRUCTURE, 2024) == {"faits": "", "recits": ""}
        assert store.data_version(conn) == before + 2
        entries = audit.entries(conn, table=notes.TABLE)
    assert [e["action"] for e in entries[:2]] == ["update", "create"]
    assert entries[0]["avant"]["faits"] == "Nouvelle antenne." and entries[0]["apres"]["faits"] == "Deux antennes."
    assert entries[0]["cle"] == f"{STRUCTURE}:2025" and entries[0]["auteur"] == DIRECTEUR.email


def test_migration_0012_goes_down_and_up_again(small_store):
    from alembic import command
    from sqlalchemy import inspect

    from mlimpact.migrate import current_revision
    from tests.db.test_engine import migrate

    engine = small_store
    with engine.begin() as conn:
        notes.enregistrer(conn, DIRECTEUR, STRUCTURE, 2025, "Des faits.", "")
    migrate(engine, command.downgrade, "0011")
    assert current_revision(engine) == "0011" and "notes_annuelles" not in inspect(engine).get_table_names()
    migrate(engine, command.upgrade, "0012")
    assert current_revision(engine) == "0012"
    with engine.begin() as conn:  # the table is back, empty, and takes the words again
        assert notes.lire(conn, STRUCTURE, 2025) == {"faits": "", "recits": ""}
        assert notes.enregistrer(conn, DIRECTEUR, STRUCTURE, 2025, "Des faits.", "")
