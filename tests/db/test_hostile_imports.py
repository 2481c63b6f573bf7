"""Hostile imports (issue 15): nothing wrong gets in, nothing crashes, nothing is lost.

Every hostile file is built here by the test, small on disk: a "1 GiB line" is a zip
bomb of about a megabyte, and the import must refuse it before it reads it whole.
Each case ends in a French report (exit 1 or 2) or in stored rows that respect the
bounds of the format, never in a traceback nor a partial write.
"""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from mlimpact import audit, retention, store
from mlimpact.access import DroitsImport
from mlimpact.cli import main
from mlimpact.exchange import importer
from mlimpact.exchange.exporter import export_dir
from mlimpact.exchange.importer import import_paths
from mlimpact.exchange.schema import TABLES
from mlimpact.models import Audit
from tests.support.exchange_files import SMALL, write_file, write_tables
from tests.support.hostile_files import bomb_zip

TODAY = dt.date(2026, 11, 26)
JEUNES_HEADER = SMALL["jeunes"].splitlines()[0]
JALONS_HEADER = SMALL["jalons"].splitlines()[0]
FIN_HEADER = SMALL["financements"].splitlines()[0]


def cli(*args: str) -> int:
    return main(list(args))


def _with(table: str, *rows: str) -> dict[str, str]:
    return {**SMALL, table: SMALL[table] + "".join(r + "\n" for r in rows)}


def _import(engine, folder: Path, **kw):
    return import_paths(engine, [folder], today=TODAY, **kw)


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar_one()


# --- lines and fields beyond every limit -----------------------------------------------------------------
def test_a_header_longer_than_the_csv_field_limit_is_a_french_error(sqlite_engine, tmp_path):
    path = write_file(tmp_path / "jalons.csv", JALONS_HEADER + ";" + "x" * (1 << 20) + 100 * "y" + "\n")
    result = _import(sqlite_engine, path)
    assert result.exit_code == 2 and "ligne" in result.errors[0] and "trop longue" in result.errors[0]


def test_a_field_longer_than_the_csv_field_limit_is_a_french_error(sqlite_engine, tmp_path):
    big = '"' + ("a" * 70 + "\n") * 20_000 + '"'  # short lines, one huge quoted field
    path = write_file(tmp_path / "jalons.csv", f"{JALONS_HEADER}\nK1;J001;2025-01-01;entretien;;;{big}\n")
    result = _import(sqlite_engine, path)
    assert result.exit_code == 2 and "trop long" in result.errors[0]


def test_an_unnamed_file_with_a_huge_quoted_header_is_a_french_error(sqlite_engine, tmp_path):
    path = write_file(tmp_path / "donnees.csv", '"' + "x" * (1 << 20) + "z" * 100 + '";id_jalon\n')
    result = _import(sqlite_engine, path)
    assert result.exit_code == 2 and result.errors


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """A 1 GiB header line, about a megabyte on disk."""
    path = tmp_path_factory.mktemp("bomb") / "bombe.zip"
    return bomb_zip(path, [("jalons.csv", (JALONS_HEADER + ";").encode(), b"x" * (1 << 20), 1024, b"\n")])


def _measured(engine, path: Path):
    """The import's result, its time in seconds and its peak of Python memory in bytes."""
    tracemalloc.start()
    start = time.perf_counter()
    result = import_paths(engine, [path], today=TODAY)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def test_a_zip_bomb_with_a_1_gib_line_is_refused_early_with_bounded_memory(sqlite_engine, bomb):
    assert bomb.stat().st_size < 3 << 20
    result, elapsed, peak = _measured(sqlite_engine, bomb)
    assert result.exit_code == 2 and "archive" in result.errors[0]
    assert elapsed < 5, elapsed
    assert peak < 64 << 20, peak


def test_without_the_ratio_check_the_1_gib_line_is_still_refused_at_its_first_mebibyte(sqlite_engine, bomb, monkeypatch):
    from mlimpact.exchange import reading

    monkeypatch.setattr(reading, "MAX_RATIO", 10**9)
    result, elapsed, peak = _measured(sqlite_engine, bomb)
    assert result.exit_code == 2 and "ligne 1 : ligne trop longue" in result.errors[0], result.errors
    assert peak < 64 << 20, peak
    assert elapsed < 5, elapsed  # refused in the first block, no pass over the archive before


def test_a_csv_with_one_line_over_the_line_limit_inside_a_plausible_zip_is_refused(sqlite_engine, tmp_path):
    from mlimpact.exchange import reading

    path = tmp_path / "long.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        line = JALONS_HEADER + "\n" + "K1;J001;2025-01-01;entretien;;;" + "".join(f"{i:08x}" for i in range(reading.MAX_LINE // 8 + 10))
        zf.writestr("jalons.csv", line + "\n")
    result = import_paths(sqlite_engine, [path], today=TODAY)
    assert result.exit_code == 2 and "trop longue" in result.errors[0]


def test_a_zip_of_thousands_of_members_is_refused_at_once(sqlite_engine, tmp_path):
    path = tmp_path / "membres.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(3_001):
            zf.writestr(f"jalons_{i}.csv", JALONS_HEADER + "\n")
    start = time.perf_counter()
    result = import_paths(sqlite_engine, [path], today=TODAY)
    assert time.perf_counter() - start < 5
    assert result.exit_code == 2 and "fichiers" in result.errors[0]


def test_an_xlsx_bomb_is_refused_before_parsing(sqlite_engine, tmp_path):
    path = bomb_zip(tmp_path / "classeur.xlsx", [
        ("[Content_Types].xml", b"<Types/>", b"", 0, b""),
        ("xl/sharedStrings.xml", b"<sst>", b"<si><t>x</t></si>" * 65536, 1000, b"</sst>"),
    ])
    start = time.perf_counter()
    result = import_paths(sqlite_engine, [path], today=TODAY)
    assert time.perf_counter() - start < 5
    assert result.exit_code == 2 and result.errors


# --- values the database would refuse, or store absurd --------------------------------------------------
def test_birth_year_zero_is_refused_by_validation(engine, tmp_path):
    tables = _with("jeunes", "J010;ML13001;0;F;;0;0;0;")
    result = _import(engine, write_tables(tmp_path / "in", tables))
    assert result.exit_code == 1 and not result.written
    assert [(p.table, p.column) for p in result.problems] == [("jeunes", "annee_naissance")]
    assert "1950" in result.problems[0].message


def test_birth_year_zero_with_partial_keeps_the_valid_rows(engine, tmp_path):
    tables = _with("jeunes", "J010;ML13001;0;F;;0;0;0;")
    result = _import(engine, write_tables(tmp_path / "in", tables), partial=True)
    assert result.exit_code == 1 and result.written
    assert _count(engine, "SELECT count(*) FROM jeunes") == 3


@pytest.mark.parametrize("amount", ["99999999999", "1" + "0" * 400, "1e11", "10000,01", "-1", "1" + "0" * 20 + ",5", "١٢٣", "１２"])
def test_implausible_jalon_amounts_are_refused(engine, tmp_path, amount):
    tables = _with("jalons", f"K100;J001;2024-04-03;aide_faj;;{amount};")
    result = _import(engine, write_tables(tmp_path / "in", tables))
    assert result.exit_code == 1 and not result.written, result.errors
    assert [(p.table, p.column) for p in result.problems] == [("jalons", "montant_eur")]


def test_jalon_amount_at_the_bound_is_stored(engine, tmp_path):
    tables = _with("jalons", "K100;J001;2024-04-03;aide_faj;;10000;")
    assert _import(engine, write_tables(tmp_path / "in", tables)).exit_code == 0


@pytest.mark.parametrize(
    "row",
    [
        "ML13001;2026;CD;CEJ;1" + "0" * 400,
        "ML13001;2026;CD;CEJ;100000000,01",
        "ML13001;0;CD;CEJ;10",
        "ML13001;1999;CD;CEJ;10",
        f"ML13001;{TODAY.year + 6};CD;CEJ;10",
        "ML13001;2026;CD;CEJ;inf",
        "ML13001;2026;CD;CEJ;NaN",
    ],
)
def test_absurd_financements_are_refused(engine, tmp_path, row):
    result = _import(engine, write_tables(tmp_path / "in", _with("financements", row)))
    assert result.exit_code == 1 and not result.written and len(result.problems) == 1


def test_financement_at_the_bounds_is_stored(engine, tmp_path):
    tables = _with("financements", f"ML13001;{TODAY.year + 5};CD;CEJ;100000000", "ML13001;2000;CD;OF;0")
    assert _import(engine, write_tables(tmp_path / "in", tables)).exit_code == 0


@pytest.mark.parametrize("year", ["0", "1949", str(TODAY.year - 13), "3000"])
def test_birth_years_out_of_bounds_are_refused(sqlite_engine, tmp_path, year):
    result = _import(sqlite_engine, write_tables(tmp_path / "in", _with("jeunes", f"J010;ML13001;{year};F;;0;0;0;")))
    assert result.exit_code == 1 and result.problems[0].column == "annee_naissance"


# --- identifiers that identify, invisible characters ------------------------------------------------------
IDENTIFYING = ["185052A00608436", "1.85.05.78.006.084.36", "1-85-05-78-006-084-36", "0612345678", "+33 6 12 34 56 78",
               "jean.dupont(at)gmail.com", "jean.dupont@gmail.com", "jean [at] exemple [point] fr"]


@pytest.mark.parametrize("ident", IDENTIFYING)
def test_identifying_id_jeune_is_refused(sqlite_engine, tmp_path, ident):
    result = _import(sqlite_engine, write_tables(tmp_path / "in", _with("jeunes", f"{ident};ML13001;2004;F;;0;0;0;")))
    assert result.exit_code == 1 and result.problems[0].column == "id_jeune"
    assert "pseudonyme" in result.problems[0].message


@pytest.mark.parametrize("ident", ["jean.dupont@gmail.com", "0612345678", "185052A00608436"])
@pytest.mark.parametrize("column", ["id_jalon", "id_accompagnement"])
def test_identifying_keys_of_other_tables_are_refused(sqlite_engine, tmp_path, ident, column):
    if column == "id_jalon":
        tables = _with("jalons", f"{ident};J001;2024-04-03;entretien;;;")
    else:
        tables = _with("accompagnements", f"{ident};J001;CEJ;2025-01-10;;;ETAT")
    result = _import(sqlite_engine, write_tables(tmp_path / "in", tables))
    assert result.exit_code == 1 and result.problems[0].column == column


TRICKS = ["\u061c", "\u00ad", "\U000e0041", "\u2028", "\u3164", "\u034f", "\u180e", "\ufe0f", "\u2029", "\ue000"]


@pytest.mark.parametrize("trick", TRICKS, ids=[f"U+{ord(t):04X}" for t in TRICKS])
def test_invisible_characters_in_keys_and_comments_are_refused(sqlite_engine, tmp_path, trick):
    tables = _with("jalons", f"K1{trick}00;J001;2024-04-03;entretien;;;", f"K101;J001;2024-04-03;entretien;;;ok{trick}ok")
    result = _import(sqlite_engine, write_tables(tmp_path / "in", tables))
    assert result.exit_code == 1
    assert sorted(p.column for p in result.problems) == ["commentaire", "id_jalon"]
    assert all("invisibles" in p.message for p in result.problems)


@pytest.mark.parametrize("comment", ["Tél 06 12 34 56 78", "NIR 1 85 05 78 006 084 36", "écrire à jean.dupont(at)gmail.com"])
def test_identifying_text_in_a_comment_is_warned_on_import(sqlite_engine, tmp_path, comment):
    tables = _with("jalons", f"K100;J001;2024-04-03;entretien;;;{comment}")
    result = _import(sqlite_engine, write_tables(tmp_path / "in", tables))
    assert result.exit_code == 0
    assert any("ligne 10" in n and "identifier le jeune" in n for n in result.notices), result.notices


def test_the_forms_and_the_import_share_one_identifying_check():
    from mlimpact import parcours
    from mlimpact.exchange.validation import identifying_text

    assert identifying_text("rappeler au 06 12 34 56 78") and identifying_text("RAS") is None
    assert not hasattr(parcours, "_PHONE") and not hasattr(parcours, "_EMAIL")


# --- xlsx formulas without a cached value ---------------------------------------------------------------------
def test_xlsx_formula_cells_without_cached_value_are_refused(sqlite_engine, tmp_path):
    write_tables(tmp_path / "base", {k: v for k, v in SMALL.items() if k != "jalons"})
    assert _import(sqlite_engine, tmp_path / "base").exit_code == 0
    wb = Workbook()
    ws = wb.active
    ws.title = "jalons"
    ws.append(JALONS_HEADER.split(";"))
    ws.append(["K100", "J001", "2024-04-03", "aide_faj", None, "=100+50", None])
    ws.append(["K101", "J001", "2024-04-03", "entretien", None, None, '="a"&"b"'])
    ws.append(["K102", "J001", "2024-04-03", "entretien", None, None, "sans formule"])
    path = tmp_path / "jalons.xlsx"
    wb.save(path)
    result = import_paths(sqlite_engine, [path], today=TODAY, partial=True)
    assert result.exit_code == 1
    assert sorted((p.line, p.column) for p in result.problems) == [(2, "montant_eur"), (3, "commentaire")]
    assert all("formule" in p.message for p in result.problems)
    assert _count(sqlite_engine, "SELECT count(*) FROM jalons") == 1


# --- driver errors that escape validation ------------------------------------------------------------------------
@pytest.fixture
def lax_validation(monkeypatch):
    """Validation that lets a birth year of 0 through, as an older or buggy rule would: the database refuses it."""
    real = importer.validate

    def lax(table, raw, lines, ctx):
        checked = real(table, raw, lines, ctx)
        if table == "jeunes":
            checked.rows.loc[checked.rows["id_jeune"] == "J002", "annee_naissance"] = 0
        return checked

    monkeypatch.setattr(importer, "validate", lax)


def test_a_driver_error_is_a_french_error_and_nothing_is_written(engine, tmp_path, lax_validation):
    result = _import(engine, write_tables(tmp_path / "in"))
    assert result.exit_code == 2 and not result.written
    assert "base de données" in result.errors[0] and "Traceback" not in result.errors[0]
    assert _count(engine, "SELECT count(*) FROM jeunes") == 0


def test_a_driver_error_with_partial_rejects_the_row_and_keeps_the_others(engine, tmp_path, lax_validation):
    result = _import(engine, write_tables(tmp_path / "in"), partial=True)
    assert result.exit_code == 1 and result.written, result.errors
    assert [(p.table, p.values.get("id_jeune")) for p in result.problems if p.table == "jeunes"] == [("jeunes", "J002")]
    assert _count(engine, "SELECT count(*) FROM jeunes") == 2
    assert _count(engine, "SELECT count(*) FROM jalons") == 6  # J002's jalons refer to a refused jeune


def test_a_driver_error_through_the_cli_exits_2_in_french(db_url, tmp_path, capsys, lax_validation):
    assert cli("import", str(write_tables(tmp_path / "in")), "--db", db_url) == 2
    captured = capsys.readouterr()
    assert "Erreur" in captured.err and "Traceback" not in captured.err + captured.out


# --- header-only tables, export then import ---------------------------------------------------------------------
def test_a_header_only_file_is_an_empty_table_exit_0(sqlite_engine, tmp_path):
    tables = {**SMALL, "objectifs": SMALL["objectifs"].splitlines()[0] + "\n"}
    result = _import(sqlite_engine, write_tables(tmp_path / "in", tables))
    assert result.exit_code == 0 and result.written
    assert any("que l'en-tête" in n for n in result.notices)


def test_the_export_of_a_store_without_objectifs_imports_again(sqlite_engine, tmp_path, db_url):
    tables = {k: v for k, v in SMALL.items() if k != "objectifs"}
    assert _import(sqlite_engine, write_tables(tmp_path / "in", tables)).exit_code == 0
    export_dir(sqlite_engine, tmp_path / "out")
    assert cli("init-db", "--db", db_url) == 0
    assert cli("import", str(tmp_path / "out"), "--db", db_url) == 0


# --- rights: a refused key reveals nothing --------------------------------------------------------------------------
def test_a_key_of_another_structure_gets_the_same_message_as_any_refused_key(sqlite_engine, tmp_path):
    assert _import(sqlite_engine, write_tables(tmp_path / "in")).exit_code == 0
    droits = DroitsImport(tables=frozenset(TABLES), structures=frozenset({"ML13001"}))
    tables = {"jeunes": JEUNES_HEADER + "\nJ003;ML13001;2004;F;;0;0;0;\n"}  # J003 belongs to ML84001
    result = import_paths(sqlite_engine, [write_tables(tmp_path / "in2", tables)], today=TODAY, droits=droits)
    assert result.exit_code == 1
    message = result.problems[0].message
    assert "autre structure" not in message and "déjà utilisé" not in message


# --- audit of the rows an import changes --------------------------------------------------------------------------
def test_an_import_that_overwrites_a_row_leaves_its_before_and_after_in_the_jeunes_history(engine, tmp_path):
    assert _import(engine, write_tables(tmp_path / "in")).exit_code == 0
    changed = SMALL["jalons"].replace("K006;J002;2025-02-01;entretien;;;=1+1", "K006;J002;2025-02-01;entretien;;;revu")
    result = import_paths(engine, [write_tables(tmp_path / "in2", {"jalons": changed})], today=TODAY, author="alice")
    assert result.exit_code == 0 and result.counts["jalons"].updated == 1
    with engine.connect() as conn:
        entries = [e for e in audit.entries(conn, cle="J002") if e["table"] == "jalons"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["auteur"] == "alice" and entry["action"] == "update"
    assert entry["avant"] == {"id_jalon": "K006", "commentaire": "=1+1"}
    assert entry["apres"] == {"id_jalon": "K006", "commentaire": "revu"}


def test_cli_actions_record_the_system_user_or_the_given_author(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "operateur")
    assert cli("init-db", "--db", db_url) == 0
    assert cli("import", str(write_tables(tmp_path / "in")), "--db", db_url) == 0
    assert cli("import", str(write_tables(tmp_path / "in2", _with("jalons", "K100;J001;2024-04-03;entretien;;;"))),
               "--db", db_url, "--auteur", "Alice Martin") == 0
    assert cli("utilisateur", "a@exemple.fr", "--role", "admin", "--db", db_url) == 0
    engine = store_engine(db_url)
    with engine.connect() as conn:
        authors = [(e["action"], e["auteur"]) for e in audit.entries(conn) if e["action"] in ("import", "create")]
    engine.dispose()
    assert ("import", "operateur") in authors and ("import", "Alice Martin") in authors
    assert ("create", "operateur") in authors
    assert all(a != "cli" for _, a in authors)


def store_engine(url):
    from mlimpact.db import make_engine

    return make_engine(url)


def test_the_rejects_report_download_is_audited(sqlite_engine, tmp_path):
    result = _import(sqlite_engine, write_tables(tmp_path / "in", _with("jeunes", "J010;ML13001;0;F;;0;0;0;")))
    with sqlite_engine.begin() as conn:
        importer.record_report_download(conn, "alice@exemple.fr", result.problems)
    with sqlite_engine.connect() as conn:
        entry = audit.entries(conn, auteur="alice@exemple.fr")[0]
    assert entry["action"] == "export" and "1" in entry["detail"]


# --- purge leaves nothing of the young person ---------------------------------------------------------------------
def test_purge_leaves_nothing_of_the_young_person(engine, tmp_path):
    from indicators.facts.refresh import refresh  # the analytics tables are filled by the engine's refresh

    assert _import(engine, write_tables(tmp_path / "in")).exit_code == 0
    changed = SMALL["jalons"].replace(";;;=1+1", ";;;revu").replace("K002;J001;2024-01-29;premier_rdv;;;", "K002;J001;2024-01-29;premier_rdv;;;vu")
    assert _import(engine, write_tables(tmp_path / "in2", {"jalons": changed})).exit_code == 0
    with engine.begin() as conn:
        refresh(conn)
        assert {e["cle"] for e in audit.entries(conn, table="jalons")} == {"J001", "J002"}
    with engine.begin() as conn:
        counts = retention.purge(conn, dt.date(2026, 1, 1), auteur="alice")
    assert counts["jeunes"] == 2  # J002's CEJ is still open: J001 and J003 go
    purged = ("J001", "J003")
    with engine.connect() as conn:
        rows = conn.execute(select(Audit.cle, Audit.avant, Audit.apres, Audit.detail, Audit.action)).all()
        for cle, avant, apres, detail, action in rows:
            text = f"{cle} {avant} {apres} {detail}"
            assert not any(i in text for i in purged), (action, text)
        assert any(cle == "J002" for cle, *_ in rows)  # the others' history stays
        for table in ("analytique_jalons", "suivis_annuels", "analytique_a_rafraichir"):
            left = set(conn.exec_driver_sql(f"SELECT id_jeune FROM {table}").scalars())
            assert not left & set(purged), table
        entry = audit.entries(conn, table="jeunes")[0]
    assert entry["action"] == "purge" and entry["apres"]["jeunes"] == 2 and entry["detail"] is None


# --- the command line speaks French everywhere ---------------------------------------------------------------------
def _commands():
    from mlimpact.cli import app

    return sorted(app.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_help_is_french(command, capsys):
    assert cli(command, "--help") == 0
    out = capsys.readouterr().out
    assert "Show this message" not in out and "Affiche cette aide et quitte." in out
    assert "Options:" not in out or command  # click's headings are tolerated; the sentences are not


def test_store_bounds_match_validation(engine):
    """The database CHECKs refuse what validation refuses (a path that skips validation cannot store it)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO structures VALUES ('X1', 'x', '13')")
        conn.exec_driver_sql("INSERT INTO jeunes (id_jeune, code_structure, annee_naissance, sexe, qpv, frr, rqth, version) "
                             "VALUES ('Z', 'X1', 2004, 'F', false, false, false, 1)")
        conn.exec_driver_sql("INSERT INTO jalons (id_jalon, id_jeune, date, type, montant_eur, version) "
                             "VALUES ('Z1', 'Z', '2025-01-01', 'aide_faj', 10000, 1)")
        bad = [
            "INSERT INTO jeunes (id_jeune, code_structure, annee_naissance, sexe, qpv, frr, rqth, version) VALUES ('Z', 'X1', 0, 'F', false, false, false, 1)",
            "INSERT INTO financements VALUES ('X1', 0, 'CD', 'CEJ', 10)",
            "INSERT INTO financements VALUES ('X1', 2026, 'CD', 'CEJ', 100000000.01)",
            "INSERT INTO financements VALUES ('X1', 2026, 'CD', 'CEJ', 1e400)",
            "INSERT INTO objectifs VALUES ('X1', 0, 'acces_emploi', 10)",
            "UPDATE jalons SET montant_eur = 10000.01",
        ]
        for sql in bad:
            nested = conn.begin_nested()
            with pytest.raises(Exception):  # noqa: B017 - the driver's own kind
                conn.exec_driver_sql(sql)
            nested.rollback()
    assert store.today()


def test_migration_0009_goes_down_and_up_again(engine, tmp_path):
    from alembic import command

    from mlimpact.migrate import alembic_config, current_revision

    assert _import(engine, write_tables(tmp_path / "in")).exit_code == 0
    for step, revision in ((command.downgrade, "0008"), (command.upgrade, "0009")):
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            step(cfg, revision)
        assert current_revision(engine) == revision
        with engine.begin() as conn:  # the bounds are gone after the downgrade, back after the upgrade
            nested = conn.begin_nested()
            try:
                conn.exec_driver_sql("UPDATE financements SET annee = 0 WHERE dispositif = 'RSA'")
                refused = False
            except Exception:  # the driver's own kind
                refused = True
            nested.rollback()
        assert refused == (revision == "0009")
