"""The `mlimpact` command, tested thinly and checked through the library (sqlite-utils style)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from mlimpact import store
from mlimpact.cli import main
from mlimpact.db import make_engine
from mlimpact.migrate import current_revision, head_revision
from mlimpact.models import Jalon
from tests.support.exchange_files import ROWS, SMALL, write_file, write_tables


def cli(*args: str) -> int:
    return main(list(args))


def test_console_script_is_installed_and_speaks_french():
    proc = subprocess.run([sys.executable, "-m", "mlimpact.cli", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "Affiche cette aide" in proc.stdout and "import" in proc.stdout


@pytest.mark.parametrize("command", ["init-db", "sample", "import", "export", "demo"])
def test_help_of_every_command(command, capsys):
    assert cli(command, "--help") == 0
    assert "Affiche cette aide et quitte." in capsys.readouterr().out


def test_init_db_creates_then_is_harmless(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert cli("init-db", "--db", url) == 0
    assert "créée" in capsys.readouterr().out
    assert cli("init-db", "--db", url) == 0
    assert "déjà à jour" in capsys.readouterr().out
    assert current_revision(make_engine(url)) == head_revision()


def test_database_url_from_environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("MLIMPACT_DATABASE_URL", url)
    assert cli("init-db") == 0
    assert (tmp_path / "env.db").exists()


def test_import_export_round_trip_through_the_command(db_url, tmp_path, capsys):
    folder = write_tables(tmp_path / "in")
    assert cli("import", str(folder), "--db", db_url) == 0
    assert "Résumé de l'import" in capsys.readouterr().out
    assert cli("export", str(tmp_path / "out"), "--db", db_url) == 0
    with make_engine(db_url).connect() as conn:
        assert {t: store.row_count(conn, t) for t in SMALL} == ROWS
    assert (tmp_path / "out" / "jalons.csv").read_text(encoding="utf-8-sig").count("\n") == ROWS["jalons"] + 1


def test_import_rejects_with_exit_1_and_writes_report(sqlite_template, tmp_path, capsys):
    from tests.conftest import new_sqlite_database

    url = new_sqlite_database(sqlite_template, tmp_path)
    tables = {**SMALL, "jalons": SMALL["jalons"] + "K9;J001;2025-01-01;risque_rupture;;;\n"}
    report = tmp_path / "rejets.csv"
    code = cli("import", str(write_tables(tmp_path / "in", tables)), "--report", str(report), "--db", url)
    captured = capsys.readouterr()
    assert code == 1
    assert "jalons, ligne 10, colonne « domaine »" in captured.err
    assert "rien n'a été importé" in captured.out
    assert "motif_rejet" in report.read_text(encoding="utf-8-sig")
    with make_engine(url).connect() as conn:
        assert store.row_count(conn, "jalons") == 0
    assert cli("import", str(tmp_path / "in"), "--partial", "--db", url) == 1
    with make_engine(url).connect() as conn:
        assert store.row_count(conn, "jalons") == ROWS["jalons"]


def test_unusable_inputs_exit_2(sqlite_template, tmp_path, capsys):
    from tests.conftest import new_sqlite_database

    url = new_sqlite_database(sqlite_template, tmp_path)
    assert cli("import", str(write_file(tmp_path / "jalons.csv", b"\x00\x00")), "--db", url) == 2
    assert "binaire" in capsys.readouterr().err
    assert cli("import", "--db", url) == 2  # no path
    assert "argument manquant" in capsys.readouterr().err
    assert cli("import", "x.csv", "--inconnue", "--db", url) == 2
    assert "option inconnue" in capsys.readouterr().err
    assert cli("export", str(tmp_path / "o"), "--structure", "ML0", "--db", url) == 2
    assert "structure inconnue" in capsys.readouterr().err
    assert cli("sample", "--scale", "galaxie", "--out", str(tmp_path / "s")) == 2


def test_unreachable_database_exit_2(tmp_path, capsys):
    assert cli("init-db", "--db", "postgresql://nobody@127.0.0.1:1/none") == 2
    assert "inaccessible" in capsys.readouterr().err
    assert cli("import", str(tmp_path), "--db", "sqlite:///" + str(tmp_path / "nodb.db")) == 2
    assert "init-db" in capsys.readouterr().err


def test_sample_same_seed_same_files(tmp_path):
    assert cli("sample", "--scale", "demo", "--seed", "7", "--out", str(tmp_path / "a")) == 0
    assert cli("sample", "--scale", "demo", "--seed", "7", "--out", str(tmp_path / "b")) == 0
    for name in SMALL:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (tmp_path / "b" / f"{name}.csv").read_bytes()


def test_sample_into_database_then_refuses_a_second_time(db_url, capsys):
    assert cli("sample", "--scale", "demo", "--seed", "3", "--db", db_url) == 0
    with make_engine(db_url).connect() as conn:
        assert store.row_count(conn, "jeunes") > 1000
        assert store.get_setting(conn, store.DATASET) == "sample:demo:3"
        assert conn.execute(select(Jalon.id_jalon).limit(1)).scalar_one()
    assert cli("sample", "--scale", "demo", "--db", db_url) == 2
    assert "déjà des données" in capsys.readouterr().err


def test_demo_loads_the_committed_data_set_once(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert cli("demo", "--db", url) == 0
    with make_engine(url).connect() as conn:
        jeunes = store.row_count(conn, "jeunes")
        assert jeunes > 1000 and store.get_setting(conn, store.DATASET) == "demo"
    assert cli("demo", "--db", url) == 0
    assert "déjà des données" in capsys.readouterr().out


def test_the_migrated_store_accepts_exactly_the_jalon_types_of_the_vocabulary(engine):
    """`overview.dates` asks the (type, date) index type by type: the store's CHECK must list every type."""
    from sqlalchemy import text

    from mlimpact import vocab

    if engine.dialect.name == "postgresql":
        query = "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ck_jalons_type'"
    else:
        query = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'jalons'"
    with engine.connect() as conn:
        definition = conn.execute(text(query)).scalar_one()
    check = definition[definition.index("ck_jalons_type") :] if "ck_jalons_type" in definition else definition
    check = check[: check.index(")") + 1] if engine.dialect.name == "sqlite" else check
    listed = set(re.findall(r"'([a-z_]+)'", check))
    assert listed == set(vocab.TYPES_JALON)
