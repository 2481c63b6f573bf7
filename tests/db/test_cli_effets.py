"""`mlimpact effets` on both databases, checked against the library (indicators.models.effets).

The demo sample (6,000 jeunes) is loaded once per database. The command's JSON must be the
library's rows for the same scope and account; an account outside the structure gets small
groups masked; a scope out of the account's reach is refused (exit 1), an unknown account,
scope or date is an error (exit 2), never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest

from indicators.effets_registry import ACTIONS, RESULTATS
from indicators.models import effets
from indicators.types import Echelon, Perimetre, Periode
from mlimpact.access import Compte
from mlimpact.accounts import save_account
from mlimpact.cli import main
from mlimpact.db import make_engine
from mlimpact.sample import load_sample
from sample_data import generator as gen
from tests.support.cli import command_runner

DATES = ["--debut", "2024-01-01", "--fin", "2025-12-31"]
P = Periode(dt.date(2024, 1, 1), dt.date(2025, 12, 31))
GRANDE, PETITE = "ML13001", "ML09002"  # the demo's very small structures are the second of 09 and 84


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path_factory):
    from tests.conftest import new_postgres_database, new_sqlite_database

    if request.param == "sqlite":
        url = new_sqlite_database(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp("effets"))
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_template"))
    engine = make_engine(url)
    load_sample(engine, "demo", 42)
    with engine.begin() as conn:
        save_account(conn, "dir@ml13.invalid", "directeur", code_structure=GRANDE)
        save_account(conn, "cd09@dep.invalid", "departement", departement="09")
    engine.dispose()
    return url


run, as_json = command_runner("effets")


def test_json_rows_are_the_library_ones_and_the_generator_ones(capsys, url):
    doc = as_json(capsys, url, *DATES, "--structure", GRANDE)
    assert doc["perimetre"] == {"niveau": "structure", "code": GRANDE} and doc["as_of"] == "2026-10-31"
    for row in doc["effets"]:
        assert list(row) == list(effets.CLES)
        assert row["traitement"] == "exact" and row["horizon_jours"] == 183
        assert row["ic_bas"] <= row["effet_points"] <= row["ic_haut"]
    engine = make_engine(url)
    try:
        library = effets.rows(effets.compute(engine, P, Perimetre(Echelon.STRUCTURE, GRANDE)))
    finally:
        engine.dispose()
    assert doc["effets"] == library
    # the database read gives what the generator's frames give: load() loses nothing
    tables: dict[str, list[pd.DataFrame]] = {}
    for table, chunk in gen.generate("demo", 42):
        tables.setdefault(table, []).append(chunk)
    frames = {t: pd.concat(c, ignore_index=True) for t, c in tables.items()}
    frames["jeunes"] = frames["jeunes"][frames["jeunes"]["code_structure"] == GRANDE]
    inside = set(frames["jeunes"]["id_jeune"])
    for t in ("accompagnements", "jalons"):
        frames[t] = frames[t][frames[t]["id_jeune"].isin(inside)]
    assert effets.rows(effets.estimate(effets.from_tables(frames), P, gen.AS_OF)) == library
    pairs = {(r["action"], r["resultat"]) for r in doc["effets"]}
    assert len(pairs) == len(doc["effets"]) and pairs <= {(a.code, r.code) for a in ACTIONS for r in RESULTATS}


def test_account_sees_its_scope_masked_outside_its_structure(capsys, url, monkeypatch):
    own = as_json(capsys, url, *DATES, "--compte", "dir@ml13.invalid")
    assert own["perimetre"]["code"] == GRANDE and {r["traitement"] for r in own["effets"]} == {"exact"}
    # the tiny structure compares fewer than 20 young people on each side: k = 20 (the setting) masks them
    monkeypatch.setenv("MLIMPACT_MIN_CELL", "20")
    k = 20
    outside = as_json(capsys, url, *DATES, "--compte", "cd09@dep.invalid", "--structure", PETITE)
    masked = [r for r in outside["effets"] if r["traitement"] == "masque"]
    assert masked, outside
    for r in masked:
        assert all(r[k] is None for k in ("effet_points", "ic_bas", "ic_haut", "difference_brute", "n_traites", "n_temoins", "e_value"))
    for r in outside["effets"]:  # outsiders: cell-key perturbed counts, small ones masked
        assert r["traitement"] == "masque" or (r["traitement"] == "perturbe" and r["n_traites"] >= k and r["n_temoins"] >= k)
    unmasked = as_json(capsys, url, *DATES, "--structure", PETITE)  # an administrator: exact values
    assert len(unmasked["effets"]) == len(outside["effets"]) and {r["traitement"] for r in unmasked["effets"]} == {"exact"}


def test_refusals_and_errors_are_french_with_their_exit_status(capsys, url):
    code, out, err = run(capsys, url, *DATES, "--compte", "dir@ml13.invalid", "--structure", PETITE)
    assert code == 1 and "votre structure" in err and "Traceback" not in out + err
    code, _, err = run(capsys, url, *DATES, "--compte", "cd09@dep.invalid", "--departement", "13")
    assert code == 1 and "département" in err
    code, _, err = run(capsys, url, *DATES, "--compte", "personne@nulle.part")
    assert code == 2 and "aucun compte" in err
    code, _, err = run(capsys, url, *DATES, "--structure", "ML99999")
    assert code == 2 and "structure inconnue" in err
    code, _, err = run(capsys, url, "--debut", "2025-12-31", "--fin", "2025-01-01")
    assert code == 2 and "après sa fin" in err
    code, _, err = run(capsys, url, "--debut", "31/13/2025", "--fin", "2025-12-31")
    assert code == 2 and "Erreur d'utilisation" in err
    code, _, err = run(capsys, url, "--fin", "2025-12-31")
    assert code == 2 and "--debut" in err


def test_csv_and_table(capsys, url):
    code, out, err = run(capsys, url, *DATES, "--structure", GRANDE, "--format", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out), delimiter=";"))
    assert rows[0] == list(effets.CLES) and len(rows) > 1
    assert all("." not in cell for row in rows[1:] for cell in row)  # decimal comma
    code, out, err = run(capsys, url, *DATES, "--structure", GRANDE)
    assert code == 0, err
    assert "Ce qui marche" in out and "Associé à" in out


def test_library_refuses_through_the_access_rules(url):
    engine = make_engine(url)
    try:
        from mlimpact.access import AccesRefuse

        with pytest.raises(AccesRefuse):
            effets.for_account(engine, Compte("d@x", "directeur", GRANDE), P, Perimetre(Echelon.STRUCTURE, PETITE))
    finally:
        engine.dispose()


def test_results_are_kept_by_data_version_and_dropped_after_a_write(url):
    from mlimpact import store
    from mlimpact.models import Parametre

    engine = make_engine(url)
    try:
        perimetre = Perimetre(Echelon.STRUCTURE, PETITE)
        first = effets.compute_stored(engine, P, perimetre)
        assert effets._from_json(effets._to_json(first)) == first
        with engine.connect() as conn:
            keys = [k for k in conn.execute(Parametre.__table__.select()).scalars() if k.startswith(effets.STORED_PREFIX)]
            version = store.data_version(conn)
        assert keys and all(k.startswith(f"{effets.STORED_PREFIX}{version}:") for k in keys)
        assert effets.compute_stored(engine, P, perimetre) == first  # read back, not recomputed
        with engine.begin() as conn:
            store.bump_data_version(conn)
        effets.compute_stored(engine, P, perimetre)
        with engine.connect() as conn:
            keys = [k for k in conn.execute(Parametre.__table__.select()).scalars() if k.startswith(effets.STORED_PREFIX)]
        assert keys and all(k.startswith(f"{effets.STORED_PREFIX}{version + 1}:") for k in keys)
    finally:
        engine.dispose()


def test_the_pdf_report_has_its_section(capsys, url, tmp_path):
    from pypdf import PdfReader

    target = tmp_path / "rapport.pdf"
    code = main(["rapport", "--structure", GRANDE, "--debut", "2025-01-01", "--fin", "2025-12-31", "--out", str(target), "--db", url])
    assert code == 0, capsys.readouterr().err
    text = " ".join(page.extract_text() for page in PdfReader(target).pages)
    assert "Ce qui marche" in text and "non démontré" in text
    assert "Équilibre des groupes" in text
