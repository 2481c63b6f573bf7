"""`mlimpact indicateurs`, tested thinly and checked through the library (sqlite-utils style)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from indicators.disclosure.masking import mask_values
from indicators.engine import compute
from indicators.registry import CODES, REGISTRY
from indicators.types import Echelon, Filtres, Perimetre, Periode
from mlimpact.cli import main
from mlimpact.db import make_engine
from mlimpact.exchange.importer import import_paths
from tests.db.test_engine import DATA, TODAY
from tests.support.cli import command_runner
from tests.support.exchange_files import write_tables

P = Periode(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
DATES = ["--debut", "2024-01-01", "--fin", "2024-12-31"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path_factory):
    from tests.conftest import new_postgres_database, new_sqlite_database

    folder = tmp_path_factory.mktemp("cli")
    if request.param == "sqlite":
        url = new_sqlite_database(request.getfixturevalue("sqlite_template"), folder)
    else:
        url = new_postgres_database(
            request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_template")
        )
    engine = make_engine(url)
    assert import_paths(engine, [write_tables(folder / "data", DATA)], today=TODAY).exit_code == 0
    engine.dispose()
    return url


run, as_json = command_runner("indicateurs")


def library(url, perimetre=Perimetre(), filtres=Filtres(), k=0):
    engine = make_engine(url)
    try:
        return mask_values(compute(engine, P, perimetre, filtres), k)
    finally:
        engine.dispose()


def test_json_follows_the_output_contract(capsys, url):
    doc = as_json(capsys, url, *DATES, "--min-cell", "0")
    assert list(doc) == ["periode", "perimetre", "filtres", "as_of", "indicateurs"]
    assert doc["periode"] == {"debut": "2024-01-01", "fin": "2024-12-31"}
    assert doc["perimetre"] == {"niveau": "national", "code": None}
    assert doc["filtres"] == {}
    assert doc["as_of"] == "2025-03-31"
    assert [r["code"] for r in doc["indicateurs"]] == list(CODES)
    expected = library(url)
    for row in doc["indicateurs"]:
        v = expected[row["code"]]
        assert list(row) == ["code", "famille", "valeur", "numerateur", "denominateur", "unite", "masque", "traitement"]
        assert (row["valeur"], row["numerateur"], row["denominateur"], row["masque"], row["traitement"]) == (
            v.valeur,
            v.numerateur,
            v.denominateur,
            False,
            "exact",
        )
        assert row["famille"] == REGISTRY[row["code"]].famille.value
        assert row["unite"] == REGISTRY[row["code"]].unite
    by_code = {r["code"]: r for r in doc["indicateurs"]}
    assert by_code["jeunes_suivis"]["valeur"] == 17 and isinstance(by_code["jeunes_suivis"]["valeur"], int)
    assert (by_code["acces_emploi"]["valeur"], by_code["acces_emploi"]["numerateur"]) == (23.5, 4)
    assert by_code["delai_entree_jours"]["denominateur"] == 5


def test_masking_by_default_above_the_structure_level(capsys, url):
    doc = as_json(capsys, url, *DATES)
    by_code = {r["code"]: r for r in doc["indicateurs"]}
    assert by_code["jeunes_suivis"] == {**by_code["jeunes_suivis"], "valeur": 17, "masque": False}
    # one sanction: masked, and said so (null, never 0)
    assert (by_code["sanctions_rsa"]["valeur"], by_code["sanctions_rsa"]["masque"]) == (None, True)
    expected = library(url, k=11)
    assert {r["code"]: r["masque"] for r in doc["indicateurs"]} == {c: v.masque for c, v in expected.items()}


def test_no_masking_by_default_for_a_structure(capsys, url):
    doc = as_json(capsys, url, *DATES, "--structure", "ML13001")
    assert doc["perimetre"] == {"niveau": "structure", "code": "ML13001"}
    assert not any(r["masque"] for r in doc["indicateurs"])
    expected = library(url, Perimetre(Echelon.STRUCTURE, "ML13001"))
    assert {r["code"]: r["valeur"] for r in doc["indicateurs"]} == {c: v.valeur for c, v in expected.items()}
    doc = as_json(capsys, url, *DATES, "--structure", "ML13001", "--min-cell", "11")
    assert any(r["masque"] for r in doc["indicateurs"])


def test_scope_and_filters(capsys, url):
    doc = as_json(
        capsys,
        url,
        "--debut",
        "01/01/2024",
        "--fin",
        "31/12/2024",
        "--region",
        "93",
        "--sexe",
        "F",
        "--qpv",
        "--dispositif",
        "CEJ",
        "--tranche-age",
        "22-25",
        "--niveau",
        "4",
        "--min-cell",
        "0",
    )
    assert doc["perimetre"] == {"niveau": "region", "code": "93"}
    assert doc["filtres"] == {
        "dispositif": "CEJ",
        "sexe": "F",
        "tranche_age": "22-25",
        "niveau_formation": "4",
        "qpv": True,
    }
    expected = library(
        url,
        Perimetre(Echelon.REGION, "93"),
        Filtres(dispositif="CEJ", sexe="F", tranche_age="22-25", niveau_formation="4", qpv=True),
    )
    assert {r["code"]: r["valeur"] for r in doc["indicateurs"]} == {c: v.valeur for c, v in expected.items()}
    assert doc["indicateurs"][0]["valeur"] == 1  # J01
    doc = as_json(capsys, url, *DATES, "--departement", "84", "--frr", "--rqth", "--min-cell", "0")
    assert doc["filtres"] == {"frr": True, "rqth": True}
    assert doc["indicateurs"][0]["valeur"] == 0  # nobody in 84 has both


def test_as_of_option(capsys, url):
    doc = as_json(capsys, url, *DATES, "--as-of", "2024-10-31", "--min-cell", "0")
    assert doc["as_of"] == "2024-10-31"
    assert {r["code"]: r["valeur"] for r in doc["indicateurs"]}["mois_rsa_evites"] == 8.3


def test_csv_has_the_same_rows_with_a_header(capsys, url):
    code, out, _ = run(capsys, url, *DATES, "--format", "csv", "--min-cell", "0")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out), delimiter=";"))
    assert list(rows[0]) == ["code", "famille", "valeur", "numerateur", "denominateur", "unite", "masque", "traitement"]
    assert [r["code"] for r in rows] == list(CODES)
    by_code = {r["code"]: r for r in rows}
    assert by_code["acces_emploi"] == {
        "code": "acces_emploi",
        "famille": "produit",
        "valeur": "23,5",
        "numerateur": "4",
        "denominateur": "17",
        "unite": "%",
        "masque": "0",
        "traitement": "exact",
    }
    assert by_code["jeunes_suivis"]["valeur"] == "17" and by_code["jeunes_suivis"]["numerateur"] == ""


def test_table_is_french(capsys, url):
    code, out, _ = run(capsys, url, *DATES, "--format", "table", "--min-cell", "0")
    assert code == 0
    assert "Indicateurs du 01/01/2024 au 31/12/2024 — France entière" in out
    assert "23,5\u00a0%" in out  # accès à l'emploi
    assert "336\u202f600,00\u00a0€" in out  # budget
    assert "Données au 31/03/2025. Sans secret statistique." in out
    code, out, _ = run(capsys, url, *DATES, "--format", "table")
    assert "< 11" in out and "secret" in out  # a masked count, a masked ratio
    assert "effectifs de 1 à 10 masqués" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--debut", "2024-12-31", "--fin", "2024-01-01"], "après sa fin"),
        (["--debut", "2024-02-30", "--fin", "2024-12-31"], "n'est pas une date"),
        (["--debut", "31-12-2024", "--fin", "2024-12-31"], "n'est pas une date"),
        ([*DATES, "--structure", "ML99999"], "structure inconnue"),
        ([*DATES, "--departement", "00"], "département inconnu"),
        ([*DATES, "--region", "99"], "région inconnue"),
        ([*DATES, "--structure", "ML13001", "--region", "93"], "un seul périmètre"),
        ([*DATES, "--min-cell", "-1"], "--min-cell"),
        (["--fin", "2024-12-31"], "option manquante"),
        ([*DATES, "--sexe", "X"], "valeur invalide"),
    ],
)
def test_unusable_arguments_exit_2_in_french(capsys, url, args, message):
    code, _, err = run(capsys, url, *args)
    assert code == 2
    assert message in " ".join(err.split())  # the console wraps long lines


def test_help_is_french(capsys):
    assert main(["indicateurs", "--help"]) == 0
    text = capsys.readouterr().out
    assert "Affiche cette aide et quitte." in text
    assert "Premier jour de la période" in text and "--min-cell" in text


# --- --compte: what that account would see (issue 16) ------------------------------------------------------
def _account(url, email, role, structure=None, departement=None):
    from mlimpact import accounts

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            accounts.save_account(conn, email, role, structure, departement)
    finally:
        engine.dispose()


def test_compte_speaks_as_the_account(capsys, url):
    """The director sees its structure exact; the Département perturbed; out of reach: exit 2 in French."""
    from indicators.disclosure import service
    from indicators.disclosure.perturbation import PUBLIC
    from mlimpact.access import Compte

    _account(url, "d13@ml.fr", "directeur", structure="ML13001")
    _account(url, "cd13@dep13.fr", "departement", departement="13")
    own = as_json(capsys, url, *DATES, "--compte", "d13@ml.fr")
    assert own["perimetre"] == {"niveau": "structure", "code": "ML13001"}  # its own scope when none is given
    exact = library(url, Perimetre(Echelon.STRUCTURE, "ML13001"))
    assert {r["code"]: (r["valeur"], r["traitement"]) for r in own["indicateurs"]} == {
        c: (v.valeur, "exact") for c, v in exact.items()
    }
    doc = as_json(capsys, url, *DATES, "--structure", "ML13001", "--compte", "cd13@dep13.fr")
    engine = make_engine(url)
    try:
        seen = service.compute(engine, Compte("cd13@dep13.fr", "departement", departement="13"), P,
                               Perimetre(Echelon.STRUCTURE, "ML13001"))
    finally:
        engine.dispose()
    for row in doc["indicateurs"]:
        v = seen[row["code"]]
        assert (row["valeur"], row["masque"], row["traitement"]) == (v.valeur, v.masque, v.traitement)
        # perturbed or masked; exact only for the public budget and what nothing moves (a zero, no value)
        assert row["traitement"] in ("perturbe", "masque") or row["code"] in PUBLIC or not row["valeur"]
        if row["traitement"] == "masque":
            assert row["valeur"] is None and row["numerateur"] is None
    code, _, err = run(capsys, url, *DATES, "--structure", "ML59001", "--compte", "cd13@dep13.fr")
    assert code == 2 and "département" in err
    code, _, err = run(capsys, url, *DATES, "--compte", "inconnu@nulle.part")
    assert code == 2 and "aucun compte" in err
    code, _, err = run(capsys, url, *DATES, "--compte", "cd13@dep13.fr", "--min-cell", "0")
    assert code == 2 and "--min-cell" in err
