"""The exchange-format import on real files and both databases: reading rules, rejections, upsert."""

from __future__ import annotations

import datetime as dt
import zipfile

import pandas as pd
import pytest
from sqlalchemy import select

from mlimpact import store
from mlimpact.exchange.exporter import export_dir
from mlimpact.exchange.importer import import_paths
from mlimpact.models import Accompagnement, Audit, Financement, Jalon, Jeune
from tests.support.exchange_files import ROWS, SMALL, write_file, write_tables

TODAY = dt.date(2026, 11, 26)


def run(engine, *paths, partial=False):
    return import_paths(engine, list(paths), partial=partial, today=TODAY, author="tests")


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: store.row_count(conn, t) for t in SMALL}


def only(table: str, body: str) -> dict[str, str]:
    """The small data set with one table's rows replaced by `body` (header kept)."""
    header = SMALL[table].splitlines()[0]
    return {**SMALL, table: header + "\n" + body}


# --- the happy path and the round trip ---------------------------------------------------------------
def test_import_all_tables_from_folder(engine, tmp_path):
    result = run(engine, write_tables(tmp_path / "in"))
    assert result.exit_code == 0, [str(p) for p in result.problems]
    assert {t: c.inserted for t, c in result.counts.items()} == ROWS
    assert counts(engine) == ROWS
    with engine.connect() as conn:
        j1 = conn.execute(select(Jeune).where(Jeune.id_jeune == "J001")).one()
        assert (j1.annee_naissance, j1.sexe, j1.qpv, j1.frr) == (2004, "F", True, False)
        assert j1.date_premier_accueil == dt.date(2024, 1, 15)
        a2 = conn.execute(select(Accompagnement).where(Accompagnement.id_accompagnement == "A002")).one()
        assert a2.date_fin is None and a2.motif_fin is None
        faj = conn.execute(select(Jalon.montant_eur).where(Jalon.id_jalon == "K005")).scalar_one()
        assert faj == pytest.approx(150.5)
        formula = conn.execute(select(Jalon.commentaire).where(Jalon.id_jalon == "K006")).scalar_one()
        assert formula == "=1+1"  # stored as written, neutralised only on export
        money = conn.execute(select(Financement.montant_eur).where(Financement.financeur == "ETAT")).scalar_one()
        assert money == pytest.approx(350000.75)
        audit = conn.execute(select(Audit).where(Audit.action == "import")).one()
        assert audit.auteur == "tests" and audit.apres["jalons"]["inserted"] == 8
        assert store.data_version(conn) == 1


def test_export_import_export_gives_identical_files(engine, tmp_path):
    run(engine, write_tables(tmp_path / "in"))
    export_dir(engine, tmp_path / "first")
    with engine.begin() as conn:
        store.clear(conn)
    result = run(engine, tmp_path / "first")
    assert result.exit_code == 0, [str(p) for p in result.problems]
    export_dir(engine, tmp_path / "second")
    for name in SMALL:
        first = (tmp_path / "first" / f"{name}.csv").read_bytes()
        assert first == (tmp_path / "second" / f"{name}.csv").read_bytes(), name
    text = (tmp_path / "first" / "jalons.csv").read_text(encoding="utf-8-sig")
    assert "K006;J002;2025-02-01;entretien;;;'=1+1" in text  # formula neutralised
    assert "150,5" in text


def test_export_of_one_structure(engine, tmp_path):
    run(engine, write_tables(tmp_path / "in"))
    exported = export_dir(engine, tmp_path / "out", structures=["ML84001"])
    assert exported == {"structures": 1, "jeunes": 1, "accompagnements": 1, "jalons": 1, "financements": 0, "objectifs": 0}


def test_reimport_changes_nothing_and_update_is_counted(engine, tmp_path):
    folder = write_tables(tmp_path / "in")
    run(engine, folder)
    again = run(engine, folder)
    assert again.exit_code == 0
    assert all(c.inserted == 0 and c.updated == 0 for c in again.counts.values())
    assert {t: c.unchanged for t, c in again.counts.items()} == ROWS
    with engine.connect() as conn:
        version_before = store.data_version(conn)
    changed = write_tables(tmp_path / "changed", {"jalons": SMALL["jalons"].replace("K007;J002;2025-02-15", "K007;J002;2025-02-16")})
    result = run(engine, changed)
    assert (result.counts["jalons"].updated, result.counts["jalons"].unchanged) == (1, 7)
    with engine.connect() as conn:
        row = conn.execute(select(Jalon.date, Jalon.version).where(Jalon.id_jalon == "K007")).one()
        assert row == (dt.date(2025, 2, 16), 2)
        assert store.data_version(conn) == version_before + 1


# --- reading variants --------------------------------------------------------------------------------------
def test_comma_separator_cp1252_french_dates_and_headers(engine, tmp_path):
    tables = {
        "structures": "Code_Structure,NOM,Département\nML13001,Mission Locale Étang de Berre,13\n",
        "jeunes": "ID_JEUNE,code structure,Année naissance,sexe,QPV,FRR,RQTH,Date premier accueil,couleur\n"
        "J1,ML13001,2003,f,oui,N,true,05/09/2024,bleu\nJ2,ML13001,2002,H,Non,o,FALSE,,vert\n",
        "jalons": "id_jalon,id_jeune,date,type,domaine,montant_eur,commentaire\n"
        'X1,J1,03/02/2025,aide_faj,,"1 234,50",Aide « transport »\n',
    }
    # "Année naissance" is not a known header: annee_naissance is required, so rename it properly.
    tables["jeunes"] = tables["jeunes"].replace("Année naissance", "Année_naissance")
    folder = write_tables(tmp_path / "in", tables, encoding="cp1252")
    result = run(engine, folder)
    assert result.exit_code == 0, [str(p) for p in result.problems] + result.notices
    assert any("couleur" in n for n in result.notices)
    assert sum("couleur" in n for n in result.notices) == 1  # reported once, not per chunk or row
    with engine.connect() as conn:
        j1 = conn.execute(select(Jeune).where(Jeune.id_jeune == "J1")).one()
        assert (j1.sexe, j1.qpv, j1.frr, j1.rqth, j1.date_premier_accueil) == ("F", True, False, True, dt.date(2024, 9, 5))
        j2 = conn.execute(select(Jeune).where(Jeune.id_jeune == "J2")).one()
        assert (j2.qpv, j2.frr, j2.rqth) == (False, True, False)
        x1 = conn.execute(select(Jalon).where(Jalon.id_jalon == "X1")).one()
        assert x1.date == dt.date(2025, 2, 3) and x1.montant_eur == pytest.approx(1234.5)
        assert x1.commentaire == "Aide « transport »"


def test_utf8_with_bom_and_single_digit_departement(engine, tmp_path):
    folder = tmp_path / "in"
    write_file(folder / "structures.csv", "\ufeffcode_structure;nom;departement\nML01001;Mission Locale de l'Ain;1\n")
    result = run(engine, folder)
    assert result.exit_code == 0, [str(p) for p in result.problems]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT departement FROM structures").scalar_one() == "01"


def test_xlsx_workbook_and_zip(engine, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name in ("structures", "jeunes"):
        sheet = wb.create_sheet(name)
        for line in SMALL[name].strip().splitlines():
            cells = line.split(";")
            sheet.append([int(c) if c.isdigit() and len(c) == 4 else c for c in cells])
    sheet = wb.create_sheet("Notes")
    sheet.append(["rien à lire ici"])
    wb["jeunes"]["I2"].value = dt.datetime(2024, 1, 15)
    book = tmp_path / "export.xlsx"
    wb.save(book)
    archive = tmp_path / "suite.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("accompagnements", "jalons"):
            zf.writestr(f"mois/{name}.csv", SMALL[name])
    result = run(engine, book, archive)
    assert result.exit_code == 0, [str(p) for p in result.problems]
    assert any("Notes" in n for n in result.notices)
    assert counts(engine) == {**ROWS, "financements": 0, "objectifs": 0}


def test_file_named_otherwise_is_recognised_by_its_header(engine, tmp_path):
    run(engine, write_tables(tmp_path / "base", {k: SMALL[k] for k in ("structures", "jeunes")}))
    monthly = write_file(tmp_path / "export_octobre.csv", SMALL["jalons"])
    result = run(engine, monthly)
    assert result.exit_code == 0 and result.counts["jalons"].inserted == 8


# --- rejections -----------------------------------------------------------------------------------------
BAD_JALONS = [
    ("K9;J001;2025-13-01;entretien;;;", "date", "date invalide"),
    ("K9;J001;31/02/2025;entretien;;;", "date", "date invalide"),
    ("K9;J001;2027-01-01;entretien;;;", "date", "futur"),
    ("K9;J001;2025-01-01;rendez_vous;;;", "type", "valeur inconnue"),
    ("K9;J001;2025-01-01;risque_rupture;;;", "domaine", "obligatoire"),
    ("K9;J001;2025-01-01;entretien;logement;;", "domaine", "ne prend pas de domaine"),
    ("K9;J001;2025-01-01;mobilisation_partenaire;numerique;;", "domaine", "non prévu"),
    ("K9;J001;2025-01-01;entretien;;12;", "montant_eur", "aide FAJ"),
    ("K9;J001;2025-01-01;aide_faj;;douze;", "montant_eur", "nombre décimal"),
    ("K9;J999;2025-01-01;entretien;;;", "id_jeune", "jeune inconnu"),
    (";J001;2025-01-01;entretien;;;", "id_jalon", "obligatoire"),
    ("K9;J001;2025-01-01;entretien;;;" + "x" * 501, "commentaire", "trop long"),
    ("K001;J001;2025-01-01;entretien;;;", "id_jalon", "clé en double"),
]


@pytest.mark.parametrize(("line", "column", "words"), BAD_JALONS, ids=[b[2] + "-" + b[1] for b in BAD_JALONS])
def test_each_bad_jalon_is_rejected_with_its_reason(sqlite_engine, tmp_path, line, column, words):
    tables = {**SMALL, "jalons": SMALL["jalons"] + line + "\n"}
    result = run(sqlite_engine, write_tables(tmp_path / "in", tables))
    assert result.exit_code == 1
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.table, problem.line, problem.column) == ("jalons", 10, column)
    assert words in problem.message
    assert counts(sqlite_engine) == dict.fromkeys(SMALL, 0)  # all or nothing


BAD_OTHERS = [
    ("structures", "ML1;Sans département;99", "departement", "valeur inconnue"),
    ("structures", "ML1;;13", "nom", "obligatoire"),
    ("jeunes", "J9;ML13001;1930;F;;0;0;0;", "annee_naissance", "entre 1950"),
    ("jeunes", "J9;ML13001;2020;F;;0;0;0;", "annee_naissance", "entre 1950"),
    ("jeunes", "J9;ML13001;deux mille;F;;0;0;0;", "annee_naissance", "nombre entier"),
    ("jeunes", "J9;ML13001;2004;X;;0;0;0;", "sexe", "valeur inconnue"),
    ("jeunes", "J9;ML13001;2004;F;bac;0;0;0;", "niveau_formation", "valeur inconnue"),
    ("jeunes", "J9;ML13001;2004;F;;peut-être;0;0;", "qpv", "booléen"),
    ("jeunes", "J9;ML99999;2004;F;;0;0;0;", "code_structure", "structure inconnue"),
    ("jeunes", "jean.dupont@mail.fr;ML13001;2004;F;;0;0;0;", "id_jeune", "e-mail"),
    ("jeunes", "1 04 05 13 055 123 45;ML13001;2004;F;;0;0;0;", "id_jeune", "sécurité sociale"),
    ("accompagnements", "A9;J001;RSA;2025-02-01;2025-01-01;emploi;", "date_fin", "précède"),
    ("accompagnements", "A9;J001;RSA;2025-02-01;2025-03-01;;", "motif_fin", "obligatoire quand"),
    ("accompagnements", "A9;J001;RSA;2025-02-01;;emploi;", "motif_fin", "doit rester vide"),
    ("accompagnements", "A9;J001;GJ;2025-02-01;;;", "dispositif", "valeur inconnue"),
    ("financements", "ML13001;2025;CD;TOUS;-5", "montant_eur", "positif"),
    ("objectifs", "ML13001;2025;taux_de_bonheur;50", "indicateur", "valeur inconnue"),
]


@pytest.mark.parametrize(("table", "line", "column", "words"), BAD_OTHERS, ids=[f"{b[0]}-{b[3]}" for b in BAD_OTHERS])
def test_each_bad_row_of_other_tables(sqlite_engine, tmp_path, table, line, column, words):
    tables = {**SMALL, table: SMALL[table] + line + "\n"}
    result = run(sqlite_engine, write_tables(tmp_path / "in", tables))
    assert result.exit_code == 1, result.errors
    assert [(p.table, p.column) for p in result.problems] == [(table, column)]
    assert words in result.problems[0].message
    assert f"ligne {ROWS[table] + 2}" in str(result.problems[0])


def test_partial_keeps_valid_rows_and_rejects_dependants(engine, tmp_path):
    tables = {
        **SMALL,
        "jeunes": SMALL["jeunes"] + "J9;ML13001;2004;Z;;0;0;0;\n",
        "jalons": SMALL["jalons"] + "K9;J9;2025-01-01;entretien;;;\n",
    }
    result = run(engine, write_tables(tmp_path / "in", tables), partial=True)
    assert result.exit_code == 1 and result.written
    assert [(p.table, p.column) for p in result.problems] == [("jeunes", "sexe"), ("jalons", "id_jeune")]
    assert "rejeté(e) plus haut" in result.problems[1].message
    assert counts(engine) == ROWS


def test_all_or_nothing_leaves_the_store_unchanged(engine, tmp_path):
    run(engine, write_tables(tmp_path / "first"))
    before = counts(engine)
    with engine.connect() as conn:
        version = store.data_version(conn)
    tables = {"jalons": SMALL["jalons"].replace("K008;J003;2025-04-01", "K008;J003;2025-04-02") + "K10;J001;demain;entretien;;;\n"}
    result = run(engine, write_tables(tmp_path / "second", tables))
    assert result.exit_code == 1 and not result.written
    assert all(c.updated == 0 and c.inserted == 0 for c in result.counts.values())
    assert counts(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(Jalon.date).where(Jalon.id_jalon == "K008")).scalar_one() == dt.date(2025, 4, 1)
        assert store.data_version(conn) == version


def test_report_of_rejects_can_be_fixed_and_imported_again(sqlite_engine, tmp_path):
    tables = {**SMALL, "jalons": SMALL["jalons"] + "K9;J001;2025-01-01;risque_rupture;;;\nK10;J002;2025-02-30;entretien;;;\n"}
    result = run(sqlite_engine, write_tables(tmp_path / "in", tables), partial=True)
    [report] = result.write_report(tmp_path / "rejets.csv")
    rejected = pd.read_csv(report, sep=";", dtype=str, keep_default_na=False)
    assert list(rejected["id_jalon"]) == ["K9", "K10"]
    assert list(rejected["ligne"]) == ["10", "11"]
    assert "domaine" in rejected["motif_rejet"][0] and "date invalide" in rejected["motif_rejet"][1]
    rejected.loc[0, "domaine"] = "logement"
    rejected.loc[1, "date"] = "2025-02-28"
    rejected.to_csv(report, sep=";", index=False)
    again = run(sqlite_engine, report)
    assert again.exit_code == 0 and again.counts["jalons"].inserted == 2
    assert any("motif_rejet" in n for n in again.notices)


def test_report_with_several_tables_writes_one_file_each(sqlite_engine, tmp_path):
    tables = {**SMALL, "jeunes": SMALL["jeunes"] + "J9;ML13001;2004;Z;;0;0;0;\n", "jalons": SMALL["jalons"] + ";J001;2025-01-01;entretien;;;\n"}
    result = run(sqlite_engine, write_tables(tmp_path / "in", tables))
    paths = result.write_report(tmp_path / "rejets.csv")
    assert sorted(p.name for p in paths) == ["rejets_jalons.csv", "rejets_jeunes.csv"]


# --- files that cannot be read ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("jalons.csv", b"", "fichier vide"),
        ("jalons.csv", b"\x00\x01\x02binary\x00", "binaire"),
        ("jalons.csv", "id_jalon;id_jeune;date;type\nK1;J1;2025-01-01;entretien\n".encode("utf-16"), "binaire"),
        ("jalons.csv", b"id_jalon;id_jeune;date;type\nK1;J\x81\x8d;2025-01-01;entretien\n\xff\xfe\x81", "encodage"),
        ("jalons.csv", b"id_jalon;date;type\nK1;2025-01-01;entretien\n", "obligatoire(s) absente(s) : id_jeune"),
        ("jalons.csv", b'id_jalon;id_jeune;date;type\nK1;J001;2025-01-01;"entretien\n', "guillemet"),
        ("jalons.txt", b"whatever", "format non reconnu"),
        ("table_inconnue.csv", b"a;b\n1;2\n", "quelle table"),
        ("donnees.zip", b"PK\x03\x04 not really a zip", "archive .zip illisible"),
        ("donnees.xlsx", b"not a workbook", "classeur Excel illisible"),
    ],
    ids=["vide", "binaire", "utf16", "encodage", "colonne-manquante", "tronque-guillemet", "extension", "nom", "zip", "xlsx"],
)
def test_unreadable_files_get_a_message_and_exit_2(sqlite_engine, tmp_path, name, content, words):
    run(sqlite_engine, write_tables(tmp_path / "base", {k: SMALL[k] for k in ("structures", "jeunes")}))
    before = counts(sqlite_engine)
    result = run(sqlite_engine, write_file(tmp_path / "in" / name, content))
    assert result.exit_code == 2
    assert any(words in e for e in result.errors), result.errors
    assert counts(sqlite_engine) == before


def test_missing_path(sqlite_engine, tmp_path):
    result = run(sqlite_engine, tmp_path / "absent.csv")
    assert result.exit_code == 2 and "introuvable" in result.errors[0]


def test_header_only_and_wrong_field_counts(sqlite_engine, tmp_path):
    run(sqlite_engine, write_tables(tmp_path / "base", {k: SMALL[k] for k in ("structures", "jeunes")}))
    header_only = run(sqlite_engine, write_file(tmp_path / "h" / "jalons.csv", "id_jalon;id_jeune;date;type\n"))
    assert header_only.exit_code == 0 and any("que l'en-tête" in n for n in header_only.notices)
    body = "id_jalon;id_jeune;date;type\nK1;J001;2025-01-01;entretien;en trop\nK2;J001\nK3;J001;2025-01-02;entretien\n"
    shaped = run(sqlite_engine, write_file(tmp_path / "s" / "jalons.csv", body), partial=True)
    assert [(p.line, "au lieu de 4" in p.message) for p in shaped.problems] == [(2, True), (3, True)]
    assert "séparateur en trop" in shaped.problems[0].message and "incomplète" in shaped.problems[1].message
    assert shaped.counts["jalons"].inserted == 1


def test_truncated_file_last_line_cut(sqlite_engine, tmp_path):
    run(sqlite_engine, write_tables(tmp_path / "base", {k: SMALL[k] for k in ("structures", "jeunes")}))
    cut = SMALL["jalons"][: SMALL["jalons"].index("K008") + 12]
    result = run(sqlite_engine, write_file(tmp_path / "t" / "jalons.csv", cut))
    assert result.exit_code == 1
    assert result.problems[-1].line == 9 and "incomplète" in result.problems[-1].message


def test_large_chunks_keep_line_numbers(sqlite_engine, tmp_path, monkeypatch):
    from mlimpact.exchange import reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 3)
    run(sqlite_engine, write_tables(tmp_path / "base", {k: SMALL[k] for k in ("structures", "jeunes")}))
    lines = [f"K{i};J001;2025-01-{i:02d};entretien;;;" for i in range(1, 11)]
    lines[7] = "K8;J001;2025-01-08;inconnu;;;"
    lines[8] = "K1;J001;2025-01-09;entretien;;;"  # duplicate of a key from an earlier chunk
    header = SMALL["jalons"].splitlines()[0]
    result = run(sqlite_engine, write_file(tmp_path / "c" / "jalons.csv", header + "\n" + "\n".join(lines) + "\n"), partial=True)
    assert [(p.line, p.column) for p in result.problems] == [(9, "type"), (10, "id_jalon")]
    assert "plus haut" in result.problems[1].message
    assert result.counts["jalons"].inserted == 8


def test_dry_run_previews_without_writing(engine, tmp_path):
    run(engine, write_tables(tmp_path / "first", {k: SMALL[k] for k in ("structures", "jeunes")}))
    tables = {
        "jeunes": SMALL["jeunes"].replace("J002;ML13001;2001;H;4", "J002;ML13001;2001;H;5plus"),
        "jalons": SMALL["jalons"] + "K9;J001;2025-01-01;risque_rupture;;;\n",
    }
    preview = import_paths(engine, [write_tables(tmp_path / "second", tables)], today=TODAY, dry_run=True)
    assert (preview.counts["jeunes"].updated, preview.counts["jeunes"].unchanged) == (1, 2)
    assert (preview.counts["jalons"].inserted, preview.counts["jalons"].rejected) == (8, 1)
    assert not preview.written
    assert counts(engine) == {**dict.fromkeys(SMALL, 0), "structures": 2, "jeunes": 3}
    with engine.connect() as conn:
        assert conn.execute(select(Jeune.niveau_formation).where(Jeune.id_jeune == "J002")).scalar_one() == "4"


def test_a_refusal_of_the_database_mid_import_rolls_everything_back(engine, tmp_path, monkeypatch):
    """On PostgreSQL a chunk's COPY runs in a thread while the next chunk is checked: its error must still
    reach the caller, undo the whole import and leave the connection usable."""
    from sqlalchemy import text

    from mlimpact.exchange import reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 3)
    run(engine, write_tables(tmp_path / "base", {k: SMALL[k] for k in ("structures", "jeunes")}))
    with engine.begin() as conn:  # a rule the importer does not know: only the database refuses K5
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE jalons ADD CONSTRAINT refus_k5 CHECK (id_jalon <> 'K5')"))
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER refus_k5 BEFORE INSERT ON jalons WHEN NEW.id_jalon = 'K5' "
                    "BEGIN SELECT RAISE(ABORT, 'refus K5'); END"
                )
            )
    header = SMALL["jalons"].splitlines()[0]
    body = "\n".join(f"K{i};J001;2025-01-{i:02d};entretien;;;" for i in range(1, 11))
    jalons = write_file(tmp_path / "c" / "jalons.csv", header + "\n" + body + "\n")
    refused = run(engine, jalons)  # the driver's error becomes a French message (exit 2), never a traceback
    assert refused.exit_code == 2 and not refused.written and "rien n'a été importé" in refused.errors[0].lower()
    assert counts(engine)["jalons"] == 0
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM jeunes WHERE id_jeune = 'nobody'"))  # the pool's connection still works
    ok = write_file(tmp_path / "d" / "jalons.csv", header + "\n" + body.replace("K5;", "K50;") + "\n")
    assert run(engine, ok).exit_code == 0
    assert counts(engine)["jalons"] == 10


def test_the_dates_of_the_store_come_without_counting_it(engine, tmp_path):
    from mlimpact.overview import dates, overview

    with engine.connect() as conn:
        assert dates(conn) == (None, None)
    run(engine, write_tables(tmp_path / "in"))
    with engine.connect() as conn:
        assert dates(conn) == (dt.date(2024, 1, 15), dt.date(2025, 4, 1))
        whole = overview(conn)
        assert dates(conn) == (whole.premiere_date, whole.derniere_date)
        assert dates(conn, ["ML84001"]) == (dt.date(2025, 4, 1), dt.date(2025, 4, 1))
        assert dates(conn, ["ML59001"]) == (None, None)


# --- the referent of an accompagnement (format v1.1) ----------------------------------------------------------
REFERENTS = """id_accompagnement;id_jeune;dispositif;date_debut;date_fin;motif_fin;financeur;referent
A001;J001;RSA;2024-01-15;2025-02-28;emploi_durable;CD;Conseillere@ML13.fr
A002;J002;CEJ;2025-01-10;;;ETAT;conseiller@demo.invalid
A003;J003;OF;2025-03-02;2025-06-30;reprise_scolarite;;
"""


@pytest.fixture
def with_accounts(engine, tmp_path):
    """The small data set imported (a v1 file: no referent column), and accounts of ML13001 and ML84001."""
    from mlimpact import accounts

    assert run(engine, write_tables(tmp_path / "in")).exit_code == 0
    with engine.begin() as conn:
        assert {r for (r,) in conn.execute(select(Accompagnement.referent))} == {None}  # a v1 file still imports
        accounts.save_account(conn, "conseillere@ml13.fr", "conseiller", "ML13001")
        accounts.save_account(conn, "conseiller@ml84.fr", "conseiller", "ML84001")
    return engine


def referents(engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Accompagnement.id_accompagnement, Accompagnement.referent)).all())


def test_the_referent_round_trips_through_import_and_export(with_accounts, tmp_path):
    engine = with_accounts
    result = run(engine, write_file(tmp_path / "v11" / "accompagnements.csv", REFERENTS))
    assert result.exit_code == 0, [str(p) for p in result.problems]
    assert result.counts["accompagnements"].updated == 2
    # an account's address, compared without case (stored in lower case); a fictitious demo address; none
    assert referents(engine) == {"A001": "conseillere@ml13.fr", "A002": "conseiller@demo.invalid", "A003": None}
    export_dir(engine, tmp_path / "out")
    text = (tmp_path / "out" / "accompagnements.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].endswith(";financeur;referent")
    assert "A001;J001;RSA;2024-01-15;2025-02-28;emploi_durable;CD;conseillere@ml13.fr" in text
    assert "A003;J003;OF;2025-03-02;2025-06-30;reprise_scolarite;;\n" in text
    again = run(engine, tmp_path / "out")
    assert again.exit_code == 0 and again.counts["accompagnements"].unchanged == 3


def test_a_referent_of_another_structure_is_refused_in_french(with_accounts, tmp_path):
    engine = with_accounts
    body = REFERENTS.replace("Conseillere@ML13.fr", "conseiller@ml84.fr").replace("conseiller@demo.invalid", "inconnu@ml13.fr")
    result = run(engine, write_file(tmp_path / "v11" / "accompagnements.csv", body))
    assert result.exit_code == 1
    refus = ("« {} » n'est pas le compte d'un conseiller ou d'un directeur de la structure ML13001 : le référent doit être "
             "l'adresse e-mail d'un compte de la structure du jeune (créez d'abord le compte, ou laissez le référent vide).")
    assert [(p.line, p.column, p.message) for p in result.problems] == [
        (2, "referent", refus.format("conseiller@ml84.fr")), (3, "referent", refus.format("inconnu@ml13.fr")),
    ]
    assert set(referents(engine).values()) == {None}  # all or nothing
    bad = run(engine, write_file(tmp_path / "bad" / "accompagnements.csv", REFERENTS.replace("Conseillere@ML13.fr", "Mme Dupont")))
    assert [(p.column, p.message) for p in bad.problems] == [
        ("referent", "référent : adresse e-mail invalide « Mme Dupont » ; attendu l'adresse du compte du conseiller, par exemple prenom.nom@ml13.fr."),
    ]


def test_a_referent_whose_account_was_deleted_imports_back_unchanged(with_accounts, tmp_path):
    from mlimpact import accounts

    engine = with_accounts
    assert run(engine, write_file(tmp_path / "v11" / "accompagnements.csv", REFERENTS)).exit_code == 0
    export_dir(engine, tmp_path / "out")
    with engine.begin() as conn:
        accounts.delete_account(conn, "conseillere@ml13.fr")
    again = run(engine, tmp_path / "out")
    assert again.exit_code == 0 and again.counts["accompagnements"].unchanged == 3  # kept as it was
    moved = (tmp_path / "out" / "accompagnements.csv").read_text(encoding="utf-8-sig").replace("A002;J002;CEJ;2025-01-10;;;ETAT;conseiller@demo.invalid",
                                                                                            "A002;J002;CEJ;2025-01-10;;;ETAT;conseillere@ml13.fr")
    refused = run(engine, write_file(tmp_path / "moved" / "accompagnements.csv", moved))  # but no one new gets it
    assert [(p.line, p.column) for p in refused.problems] == [(3, "referent")]
