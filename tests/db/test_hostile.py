"""Hostile inputs: script tags, Markdown, formulas, very long strings and Unicode tricks.

They are stored as text, shown as text (never HTML or Markdown), exported with
formulas neutralised, and invisible or direction-reversing characters are refused.
"""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from mlimpact.db import make_engine
from mlimpact.exchange.exporter import export_dir
from mlimpact.exchange.importer import import_paths
from mlimpact.exchange.validation import Context, validate_record
from mlimpact.sample import load_demo
from tests.conftest import ROOT, new_sqlite_database
from tests.support.exchange_files import SMALL, write_tables

TODAY = dt.date(2026, 11, 26)
SCRIPT = "<script>alert('x')</script>"
MARKDOWN_LINK = "[cliquez ici](javascript:alert(1))"
MARKDOWN_IMAGE = "![pixel](http://example.invalid/p.png)"
FORMULAS = ["=HYPERLINK(\"http://x\";\"y\")", "+1+1", "-2+3", "@SUM(A1)", "'=déjà protégé"]
INERT = [SCRIPT, MARKDOWN_LINK, MARKDOWN_IMAGE, "**gras** _it_ `code` # titre", "<img src=x onerror=alert(1)>", *FORMULAS]


def _structures(names: list[str]) -> str:
    rows = [f'ML13{i:03d};"{n.replace(chr(34), chr(34) * 2)}";13' for i, n in enumerate(names, start=100)]
    return SMALL["structures"] + "\n".join(rows) + "\n"


def _jalons(comments: list[str]) -> str:
    rows = [f'H{i};J001;2025-01-{i + 1:02d};entretien;;;"{c.replace(chr(34), chr(34) * 2)}"' for i, c in enumerate(comments)]
    return SMALL["jalons"] + "\n".join(rows) + "\n"


def test_hostile_text_is_stored_as_written_and_exported_neutralised(engine, tmp_path):
    tables = {**SMALL, "structures": _structures(INERT), "jalons": _jalons(INERT)}
    result = import_paths(engine, [write_tables(tmp_path / "in", tables)], today=TODAY)
    assert result.exit_code == 0, [str(p) for p in result.problems]
    with engine.connect() as conn:
        names = set(conn.exec_driver_sql("SELECT nom FROM structures").scalars())
        comments = set(conn.exec_driver_sql("SELECT commentaire FROM jalons WHERE id_jalon LIKE 'H%%'").scalars())
    expected = {t[1:] if t.startswith("'=") else t for t in INERT}  # a guard quote is undone on import
    assert expected <= names and expected <= comments
    export_dir(engine, tmp_path / "out")
    for name in ("structures", "jalons"):
        text = (tmp_path / "out" / f"{name}.csv").read_text(encoding="utf-8-sig")
        for cell in text.replace("\n", ";").split(";"):
            cell = cell.strip('"')
            assert not cell[:1] in ("=", "+", "-", "@"), f"formula not neutralised: {cell!r}"
        assert "'=HYPERLINK" in text and "'+1+1" in text and "'@SUM" in text and "'=déjà" in text


def test_very_long_strings_are_refused_with_a_message(sqlite_engine, tmp_path):
    tables = {**SMALL, "structures": _structures(["x" * 201]), "jalons": _jalons(["é" * 501])}
    result = import_paths(sqlite_engine, [write_tables(tmp_path / "in", tables)], partial=True, today=TODAY)
    assert sorted((p.table, p.column) for p in result.problems) == [("jalons", "commentaire"), ("structures", "nom")]
    assert all("trop long" in p.message for p in result.problems)


@pytest.mark.parametrize(
    "trick",
    ["J\u200b001", "J\u202e100J", "J001\ufeff", "\u2066J001\u2069"],
    ids=["zero-width", "rtl-override", "bom-inside", "isolate"],
)
def test_invisible_and_direction_characters_are_refused(sqlite_engine, tmp_path, trick):
    header = SMALL["jeunes"].splitlines()[0]
    tables = {**SMALL, "jeunes": SMALL["jeunes"] + f"{trick};ML13001;2004;F;;0;0;0;\n"}
    result = import_paths(sqlite_engine, [write_tables(tmp_path / "in", tables)], today=TODAY)
    assert result.exit_code == 1
    assert "invisibles" in result.problems[0].message
    assert header  # the other rows are fine


def test_forms_use_the_same_rules():
    ctx = Context(today=TODAY)
    ok, errors = validate_record("jalons", {"id_jalon": "F1", "id_jeune": "J001", "date": dt.date(2025, 1, 1), "type": "entretien", "commentaire": SCRIPT}, ctx)
    assert errors == {} and ok["commentaire"] == SCRIPT
    _, errors = validate_record("jalons", {"id_jalon": "F1", "id_jeune": "J001", "date": dt.date(2025, 1, 1), "type": "entretien", "commentaire": "a\u202eb"}, ctx)
    assert "invisibles" in errors["commentaire"]


def test_decomposed_accents_are_normalised(sqlite_engine, tmp_path):
    decomposed = "Mission Locale de Sainte-Maxime e\u0301te\u0301"
    result = import_paths(sqlite_engine, [write_tables(tmp_path / "in", {"structures": _structures([decomposed])})], today=TODAY)
    assert result.exit_code == 0
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT nom FROM structures WHERE code_structure = 'ML13100'").scalar_one().endswith("été")


def test_xlsx_formula_cells_are_never_evaluated(sqlite_engine, tmp_path):
    wb = Workbook()
    sheet = wb.active
    sheet.title = "structures"
    sheet.append(["code_structure", "nom", "departement"])
    sheet.append(["ML13100", "=1+1", "13"])
    path = tmp_path / "s.xlsx"
    wb.save(path)
    result = import_paths(sqlite_engine, [path], today=TODAY)
    # Formulas are never evaluated: only a value the spreadsheet saved is read; this one has none, and
    # the cell is refused as such (not read as empty).
    assert result.exit_code == 1
    assert (result.problems[0].column, "formule" in result.problems[0].message) == ("nom", True)


def test_zip_with_hostile_member_names(sqlite_engine, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../etc/structures.csv", SMALL["structures"])
    result = import_paths(sqlite_engine, [archive], today=TODAY)
    assert result.exit_code == 0  # read from the archive in memory; nothing is extracted to disk
    assert not (tmp_path.parent.parent / "etc" / "structures.csv").exists()


def test_home_page_shows_hostile_names_as_text(sqlite_template, tmp_path, monkeypatch):
    url = new_sqlite_database(sqlite_template, tmp_path)
    engine = make_engine(url)
    assert load_demo(engine).exit_code == 0
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE structures SET nom = ? WHERE code_structure = 'ML13001'", (SCRIPT + MARKDOWN_IMAGE,))
    monkeypatch.setenv("MLIMPACT_DATABASE_URL", url)
    monkeypatch.setenv("MLIMPACT_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    at.session_state["demo_role"] = "bureau"
    at.run()
    assert not at.exception
    assert SCRIPT + MARKDOWN_IMAGE in set(at.dataframe[0].value["Structure"])  # data, not markup
    for element in [*at.markdown, *at.caption, *at.title, *at.subheader]:
        assert "<script>" not in element.value
