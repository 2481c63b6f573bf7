"""Access rules in the data layer, accounts, audit and retention, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from indicators.types import Echelon, Perimetre
from mlimpact import access, accounts, audit, retention, store
from mlimpact.access import AccesRefuse, Compte, DroitsImport
from mlimpact.cli import main as cli
from mlimpact.db import make_engine
from mlimpact.exchange.importer import import_paths
from mlimpact.models import Jalon, Jeune
from tests.support.exchange_files import SMALL, write_tables

TODAY = dt.date(2026, 11, 26)
CONSEILLER_13 = Compte("c13@ml.fr", "conseiller", "ML13001")
DIRECTEUR_84 = Compte("d84@ml.fr", "directeur", "ML84001")
CD_13 = Compte("cd13@departement13.fr", "departement", departement="13")
BUREAU = Compte("b@unml.fr", "bureau")
ADMIN = Compte("a@unml.fr", "admin")
STRUCTURE_13 = Perimetre(Echelon.STRUCTURE, "ML13001")
STRUCTURE_84 = Perimetre(Echelon.STRUCTURE, "ML84001")


@pytest.fixture
def loaded(engine, tmp_path):
    result = import_paths(engine, [write_tables(tmp_path / "base")], today=TODAY)
    assert result.exit_code == 0
    return engine


def test_visible_structures_by_role(loaded):
    with loaded.connect() as conn:
        assert access.visible_structures_of(conn, CONSEILLER_13) == ["ML13001"]
        assert access.visible_structures_of(conn, DIRECTEUR_84) == ["ML84001"]
        assert access.visible_structures_of(conn, CD_13) == ["ML13001"]
        assert access.visible_structures_of(conn, BUREAU) is None
        assert access.visible_structures_of(conn, ADMIN) is None


@pytest.mark.parametrize(
    ("compte", "perimetre", "allowed"),
    [
        (CONSEILLER_13, STRUCTURE_13, True),
        (CONSEILLER_13, STRUCTURE_84, False),
        (CONSEILLER_13, Perimetre(Echelon.DEPARTEMENT, "13"), False),
        (CONSEILLER_13, Perimetre(), False),
        (DIRECTEUR_84, STRUCTURE_84, True),
        (DIRECTEUR_84, STRUCTURE_13, False),
        (CD_13, Perimetre(Echelon.DEPARTEMENT, "13"), True),
        (CD_13, STRUCTURE_13, True),
        (CD_13, STRUCTURE_84, False),
        (CD_13, Perimetre(Echelon.DEPARTEMENT, "84"), False),
        (CD_13, Perimetre(Echelon.REGION, "93"), False),
        (CD_13, Perimetre(), False),
        (BUREAU, Perimetre(), True),
        (BUREAU, STRUCTURE_84, True),
        (ADMIN, Perimetre(Echelon.REGION, "93"), True),
    ],
)
def test_scope_check(loaded, compte, perimetre, allowed):
    with loaded.connect() as conn:
        if allowed:
            assert access.check_scope(conn, compte, perimetre) == perimetre
        else:
            with pytest.raises(AccesRefuse):
                access.check_scope(conn, compte, perimetre)


def test_disclosure_rule_by_role_and_k_from_the_settings(loaded):
    """Own structure and admin: exact; anyone else: perturbed with k of `parametres` (never a caller's choice)."""
    from indicators.disclosure.rule import K_SETTING, rule_for

    with loaded.begin() as conn:
        assert rule_for(conn, CONSEILLER_13, STRUCTURE_13).exact
        assert rule_for(conn, ADMIN, Perimetre()).exact
        assert not rule_for(conn, CONSEILLER_13, STRUCTURE_84).exact  # not its structure (the scope check refuses it)
        assert rule_for(conn, CD_13, STRUCTURE_13) == rule_for(conn, BUREAU, Perimetre())
        assert rule_for(conn, CD_13, Perimetre(Echelon.DEPARTEMENT, "13")).k == 11
        store.set_setting(conn, K_SETTING, "5")
        assert rule_for(conn, BUREAU, Perimetre()).k == 5
        assert rule_for(conn, DIRECTEUR_84, STRUCTURE_84).k == 0
        store.set_setting(conn, K_SETTING, "1")  # below 2 is no threshold: the default holds
        assert rule_for(conn, BUREAU, Perimetre()).k == 11


def test_rows_and_writes_by_role():
    assert access.can_read_rows(CONSEILLER_13, "ML13001")
    assert not access.can_read_rows(CONSEILLER_13, "ML84001")
    assert not access.can_read_rows(CD_13, "ML13001")
    assert not access.can_read_rows(BUREAU, "ML13001")
    assert access.can_read_rows(ADMIN, "ML84001")
    access.check_write(CONSEILLER_13, "jalons", "ML13001")
    for compte, table, structure in [
        (CONSEILLER_13, "jalons", "ML84001"),
        (CONSEILLER_13, "objectifs", "ML13001"),
        (DIRECTEUR_84, "jalons", "ML13001"),
        (CD_13, "jalons", "ML13001"),
        (BUREAU, "objectifs", "ML13001"),
    ]:
        with pytest.raises(AccesRefuse):
            access.check_write(compte, table, structure)
    access.check_write(DIRECTEUR_84, "objectifs", "ML84001")
    access.check_write(ADMIN, "structures", None)


def test_import_limited_to_the_own_structure(loaded, tmp_path):
    tables = {
        "jeunes": SMALL["jeunes"].splitlines()[0] + "\nJ100;ML13001;2005;F;;0;0;0;\nJ101;ML84001;2005;H;;0;0;0;\n",
        "jalons": SMALL["jalons"].splitlines()[0]
        + "\nK100;J100;2025-05-01;entretien;;;\nK101;J003;2025-05-01;entretien;;;\nK102;J001;2025-05-02;entretien;;;\n",
    }
    result = import_paths(loaded, [write_tables(tmp_path / "c13", tables)], partial=True, today=TODAY, droits=DroitsImport.pour(CONSEILLER_13))
    assert [(p.table, p.line, p.column) for p in result.problems] == [
        ("jeunes", 3, "code_structure"),
        ("jalons", 3, "id_jeune"),  # J003 belongs to ML84001: as if unknown, nothing leaks
    ]
    assert result.counts["jalons"].inserted == 2
    with loaded.connect() as conn:
        assert conn.execute(select(Jeune.code_structure).where(Jeune.id_jeune == "J100")).scalar_one() == "ML13001"


def test_import_cannot_take_over_another_structures_keys(loaded, tmp_path):
    header = SMALL["jeunes"].splitlines()[0]
    takeover = {"jeunes": header + "\nJ003;ML13001;2007;F;;0;1;0;\n"}  # J003 is ML84001's
    result = import_paths(loaded, [write_tables(tmp_path / "t", takeover)], today=TODAY, droits=DroitsImport.pour(CONSEILLER_13))
    assert result.exit_code == 1 and "identifiant refusé" in result.problems[0].message
    jalons = {"jalons": SMALL["jalons"].splitlines()[0] + "\nK008;J001;2025-04-01;entretien;;;\n"}  # K008 is J003's
    result = import_paths(loaded, [write_tables(tmp_path / "k", jalons)], today=TODAY, droits=DroitsImport.pour(CONSEILLER_13))
    assert result.exit_code == 1 and "identifiant refusé" in result.problems[0].message
    with loaded.connect() as conn:
        assert conn.execute(select(Jeune.code_structure).where(Jeune.id_jeune == "J003")).scalar_one() == "ML84001"
        assert conn.execute(select(Jalon.id_jeune).where(Jalon.id_jalon == "K008")).scalar_one() == "J003"


def test_import_of_tables_outside_the_role(loaded, tmp_path):
    objectifs = {"objectifs": SMALL["objectifs"]}
    refused = import_paths(loaded, [write_tables(tmp_path / "o", objectifs)], today=TODAY, droits=DroitsImport.pour(CONSEILLER_13))
    assert refused.exit_code == 2 and "objectifs" in refused.errors[0]
    for compte in (CD_13, BUREAU):
        nothing = import_paths(loaded, [write_tables(tmp_path / "j", {"jalons": SMALL["jalons"]})], today=TODAY, droits=DroitsImport.pour(compte))
        assert nothing.exit_code == 2
    ok = import_paths(loaded, [write_tables(tmp_path / "d", {"objectifs": SMALL["objectifs"].replace("ML13001", "ML84001")})], today=TODAY, droits=DroitsImport.pour(DIRECTEUR_84))
    assert ok.exit_code == 0 and ok.counts["objectifs"].inserted == 2


def test_accounts_are_validated_saved_and_audited(loaded):
    with loaded.begin() as conn:
        compte, created = accounts.save_account(conn, "  Marie.Curie@ML13.fr ", "conseiller", "ML13001", auteur="admin@x.fr")
        assert created and compte.email == "marie.curie@ml13.fr"
        _, created = accounts.save_account(conn, "marie.curie@ml13.fr", "directeur", "ML13001", auteur="admin@x.fr")
        assert not created
        accounts.save_account(conn, "cd@d13.fr", "departement", departement="13")
        for bad in [
            ("pas-un-email", "bureau", None, None),
            ("x@y.fr", "roi", None, None),
            ("x@y.fr", "conseiller", None, None),
            ("x@y.fr", "conseiller", "ML99999", None),
            ("x@y.fr", "departement", None, "99"),
            ("x@y.fr", "bureau", "ML13001", None),
        ]:
            with pytest.raises(accounts.CompteInvalide):
                accounts.save_account(conn, *bad)
    with loaded.begin() as conn:
        assert accounts.get_account(conn, "MARIE.CURIE@ml13.fr").role == "directeur"
        assert accounts.delete_account(conn, "marie.curie@ml13.fr", auteur="admin@x.fr")
        assert not accounts.delete_account(conn, "marie.curie@ml13.fr")
        trail = audit.entries(conn, table="comptes", cle="marie.curie@ml13.fr")
    assert [e["action"] for e in trail] == ["delete", "update", "create"]
    assert trail[1]["avant"]["role"] == "conseiller" and trail[1]["apres"]["role"] == "directeur"
    assert trail[0]["auteur"] == "admin@x.fr" and trail[0]["apres"] is None


def test_utilisateur_command(db_url, tmp_path, capsys):
    import_paths(make_engine(db_url), [write_tables(tmp_path / "base")], today=TODAY)
    assert cli(["utilisateur", "dir@ml13.fr", "--role", "directeur", "--structure", "ML13001", "--db", db_url]) == 0
    assert "créé" in capsys.readouterr().out
    assert cli(["utilisateur", "cd@d84.fr", "--role", "departement", "--departement", "84", "--db", db_url]) == 0
    assert cli(["utilisateur", "x@ml.fr", "--role", "conseiller", "--structure", "ML00000", "--db", db_url]) == 2
    assert "Structure inconnue" in capsys.readouterr().err
    assert cli(["utilisateur", "x@ml.fr", "--role", "empereur", "--db", db_url]) == 2
    assert cli(["utilisateur", "dir@ml13.fr", "--supprimer", "--db", db_url]) == 0
    assert cli(["utilisateur", "dir@ml13.fr", "--supprimer", "--db", db_url]) == 1
    with make_engine(db_url).connect() as conn:
        assert [c.email for c in accounts.list_accounts(conn)] == ["cd@d84.fr"]


def test_purge_deletes_inactive_jeunes_with_their_rows(loaded):
    # J001: last jalon 2024-04-02, spell closed 2025-02-28; J002: open spell; J003: spell closed 2025-06-30, jalon 2025-04-01.
    with loaded.begin() as conn:
        assert retention.inactive_jeunes(conn, dt.date(2025, 3, 1)) == ["J001"]
        dry = retention.purge(conn, dt.date(2025, 7, 1), auteur="cli", dry_run=True)
        assert dry == {"jeunes": 2, "accompagnements": 2, "jalons": 6}
        assert store.row_count(conn, "jeunes") == 3
        version = store.data_version(conn)
        done = retention.purge(conn, dt.date(2025, 7, 1), auteur="cli")
    assert done == dry
    with loaded.connect() as conn:
        assert [r for r in conn.execute(select(Jeune.id_jeune)).scalars()] == ["J002"]
        assert store.row_count(conn, "jalons") == 2 and store.row_count(conn, "accompagnements") == 1
        assert store.data_version(conn) == version + 1
        [entry] = audit.entries(conn, table="jeunes")
        # counts only: the purge leaves no identifier of the young people it deleted (issue 15)
        assert entry["action"] == "purge" and entry["apres"]["jalons"] == 6 and entry["detail"] is None
        assert "J001" not in str(entry)


def test_purge_command(db_url, tmp_path, capsys):
    import_paths(make_engine(db_url), [write_tables(tmp_path / "base")], today=TODAY)
    assert cli(["purge", "--inactif-depuis", "01/07/2025", "--dry-run", "--db", db_url]) == 0
    assert "seraient supprimés : 2 jeunes" in capsys.readouterr().out
    assert cli(["purge", "--inactif-depuis", "2025-07-01", "--db", db_url]) == 0
    with make_engine(db_url).connect() as conn:
        assert store.row_count(conn, "jeunes") == 1
    assert cli(["purge", "--inactif-depuis", "hier", "--db", db_url]) == 2


def test_exports_are_audited(loaded, tmp_path):
    from mlimpact.exchange.exporter import export_dir

    export_dir(loaded, tmp_path / "out", structures=["ML13001"], auteur="dir@ml13.fr")
    with loaded.connect() as conn:
        [entry] = [e for e in audit.entries(conn) if e["action"] == "export"]
    assert entry["auteur"] == "dir@ml13.fr" and entry["cle"] == "ML13001" and entry["apres"]["jeunes"] == 2


def test_only_an_admin_manages_accounts(loaded):
    with loaded.begin() as conn:
        with pytest.raises(AccesRefuse):
            accounts.save_account(conn, "x@ml.fr", "admin", par=DIRECTEUR_84)
        accounts.save_account(conn, "x@ml.fr", "bureau", par=ADMIN)
        with pytest.raises(AccesRefuse):
            accounts.delete_account(conn, "x@ml.fr", par=CONSEILLER_13)
        assert accounts.delete_account(conn, "x@ml.fr", par=ADMIN)
