"""The parcours library (`mlimpact.parcours`): reads, writes, validation, locking, audit — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from mlimpact import accounts, audit, parcours, store
from mlimpact.access import AccesRefuse, Compte
from mlimpact.exchange.importer import import_paths
from mlimpact.exchange.validation import Context, validate_record
from mlimpact.models import Accompagnement, Audit, Jalon, Jeune
from tests.support.exchange_files import write_tables

TODAY = dt.date(2025, 6, 1)
ML13 = Compte("conseillere@ml13.fr", "conseiller", "ML13001")
ML13_BIS = Compte("collegue@ml13.fr", "conseiller", "ML13001")
ML84 = Compte("conseiller@ml84.fr", "conseiller", "ML84001")
DIRECTION13 = Compte("direction@ml13.fr", "directeur", "ML13001")
ADMIN = Compte("admin@plateforme.fr", "admin")
DEPARTEMENT13 = Compte("cd13@departement.fr", "departement", departement="13")
BUREAU = Compte("bureau@unml.fr", "bureau")


@pytest.fixture
def small(engine, tmp_path):
    """The small exchange data set: J001, J002 of ML13001, J003 of ML84001."""
    result = import_paths(engine, [write_tables(tmp_path / "in")])
    assert result.exit_code == 0, result.problems
    return engine


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def version(engine) -> int:
    return store.current_data_version(engine)


def read(engine, compte=ML13, ident="J001", today=TODAY) -> parcours.Parcours:
    with engine.connect() as conn:
        return parcours.read_parcours(conn, compte, ident, today)


def jalon(engine, id_jalon: str) -> dict:
    with engine.connect() as conn:
        return parcours._enfant(conn, ADMIN, "jalons", id_jalon)


# --- reading and access ------------------------------------------------------------------------------------
def test_a_parcours_is_read_in_order(small):
    p = read(small)
    assert p.jeune["id_jeune"] == "J001" and p.jeune["code_structure"] == "ML13001" and p.jeune["version"] == 1
    assert list(p.accompagnements["id_accompagnement"]) == ["A001"]
    assert list(p.jalons["id_jalon"]) == ["K005", "K004", "K003", "K002", "K001"]  # newest first
    assert p.risques_ouverts.empty  # K003 (logement) was averted by K004
    assert p.dernier_contact == dt.date(2024, 1, 29)  # the premier_rdv; an orientation is not a contact


@pytest.mark.parametrize("compte", [ML84, DEPARTEMENT13, BUREAU])
def test_another_structures_jeune_is_introuvable_like_a_missing_one(small, compte):
    with pytest.raises(parcours.Introuvable) as other:
        read(small, compte, "J001")
    with pytest.raises(parcours.Introuvable) as missing:
        read(small, compte, "J999")
    assert str(other.value) == str(missing.value) == parcours.INTROUVABLE  # nothing tells that J001 exists


def test_admin_and_direction_read_rows(small):
    assert read(small, ADMIN).jeune["id_jeune"] == "J001"
    assert read(small, DIRECTION13).jeune["id_jeune"] == "J001"


@pytest.mark.parametrize("compte", [ML84, DEPARTEMENT13, BUREAU])
def test_no_write_outside_the_structure(small, compte):
    before = version(small)
    lu = jalon(small, "K002")
    with small.begin() as conn, pytest.raises(parcours.Introuvable):
        parcours.add_jalon(conn, compte, "J001", {"date": TODAY, "type": "entretien"}, TODAY)
    with small.begin() as conn, pytest.raises(parcours.Introuvable):
        parcours.update_jalon(conn, compte, lu, {"commentaire": "écrasé"}, TODAY)
    with small.begin() as conn, pytest.raises(parcours.Introuvable):
        parcours.delete_jalon(conn, compte, lu)
    assert jalon(small, "K002")["commentaire"] == lu["commentaire"]
    assert count(small, Jalon) == 8 and version(small) == before


def test_a_role_that_reads_rows_but_may_not_write_them_is_refused(small):
    with small.begin() as conn, pytest.raises(AccesRefuse):
        parcours.create_jeune(conn, DEPARTEMENT13, {"annee_naissance": 2004, "sexe": "F"}, TODAY)


# --- jalons ----------------------------------------------------------------------------------------------------
def test_adding_a_jalon_generates_its_id_audits_and_bumps_the_data_version(small):
    before = version(small)
    with small.begin() as conn:
        saved = parcours.add_jalon(conn, ML13, "J001", {"date": dt.date(2025, 5, 20), "type": "entretien", "commentaire": "Point sur le CV"}, TODAY)
    assert re.fullmatch(r"L-[0-9A-F]{16}", saved.cle)
    assert saved.ligne == {
        "id_jalon": saved.cle, "id_jeune": "J001", "date": dt.date(2025, 5, 20), "type": "entretien",
        "domaine": None, "montant_eur": None, "commentaire": "Point sur le CV", "version": 1,
    }
    assert saved.avertissements == []
    assert jalon(small, saved.cle)["commentaire"] == "Point sur le CV"
    assert version(small) == before + 1
    with small.connect() as conn:
        [entry] = audit.entries(conn, table="jalons")
    assert (entry["auteur"], entry["action"], entry["cle"], entry["apres"]["id_jalon"]) == (ML13.email, "create", "J001", saved.cle)
    assert entry["apres"]["date"] == "2025-05-20"


def test_fields_the_type_does_not_take_are_dropped(small):
    with small.begin() as conn:
        saved = parcours.add_jalon(
            conn, ML13, "J001", {"date": TODAY, "type": "entretien", "domaine": "logement", "montant_eur": 12.0}, TODAY
        )
    assert saved.ligne["domaine"] is None and saved.ligne["montant_eur"] is None


def test_an_faj_aid_keeps_its_amount(small):
    with small.begin() as conn:
        saved = parcours.add_jalon(conn, ML13, "J002", {"date": TODAY, "type": "aide_faj", "montant_eur": 150.5}, TODAY)
    assert jalon(small, saved.cle)["montant_eur"] == 150.5


INVALID = [
    ({"date": TODAY, "type": "risque_rupture"}, "domaine", "obligatoire pour ce type de jalon"),
    ({"date": TODAY, "type": "mobilisation_partenaire", "domaine": "numerique"}, "domaine", "non prévu pour ce type"),
    ({"date": TODAY + dt.timedelta(days=1), "type": "entretien"}, "date", "date dans le futur"),
    ({"date": None, "type": "entretien"}, "date", "ce champ est obligatoire"),
    ({"date": TODAY, "type": "aide_faj", "montant_eur": -3}, "montant_eur", "positif ou nul"),
    ({"date": TODAY, "type": "entretien", "commentaire": "x" * 501}, "commentaire", "500 caractères au plus"),
    ({"date": TODAY, "type": "entretien", "commentaire": "bip\x07"}, "commentaire", "caractères de contrôle"),
    ({"date": TODAY, "type": "entretien", "commentaire": "a\u202eb"}, "commentaire", "invisibles"),
    ({"date": TODAY, "type": "visite_a_domicile"}, "type", "valeur inconnue"),
]


@pytest.mark.parametrize(("valeurs", "champ", "texte"), INVALID)
def test_invalid_jalons_are_refused_with_the_imports_message(small, valeurs, champ, texte):
    before = (count(small, Jalon), count(small, Audit), version(small))
    with small.begin() as conn, pytest.raises(parcours.Invalide) as refused:
        parcours.add_jalon(conn, ML13, "J001", valeurs, TODAY)
    assert texte in refused.value.messages[champ]
    # One code path: the same values through the import's validation give the same messages.
    expected = validate_record(
        "jalons", {**parcours._valeurs_jalon(valeurs), "id_jalon": "X", "id_jeune": "J001"}, Context(TODAY)
    )[1]
    assert refused.value.messages == expected
    assert (count(small, Jalon), count(small, Audit), version(small)) == before


def test_warnings_do_not_block(small):
    with small.begin() as conn:
        old = parcours.add_jalon(conn, ML13, "J001", {"date": TODAY - dt.timedelta(days=400), "type": "atelier"}, TODAY)
        lone = parcours.add_jalon(conn, ML13, "J002", {"date": TODAY, "type": "rupture_survenue", "domaine": "sante"}, TODAY)
        phone = parcours.add_jalon(conn, ML13, "J002", {"date": TODAY, "type": "contact", "commentaire": "rappeler au 06 12 34 56 78"}, TODAY)
    assert "plus d'un an" in old.avertissements[0]
    assert "sans risque de rupture ouvert" in lone.avertissements[0] and "Santé" in lone.avertissements[0]
    assert "numéro de téléphone" in phone.avertissements[0]
    assert all(jalon(small, s.cle) for s in (old, lone, phone))  # all three saved


def test_an_issue_with_an_open_risk_has_no_warning(small):
    with small.begin() as conn:
        parcours.add_jalon(conn, ML13, "J002", {"date": dt.date(2025, 5, 1), "type": "risque_rupture", "domaine": "logement"}, TODAY)
    p = read(small, ident="J002")
    assert list(p.risques_ouverts["domaine"]) == ["logement"] and list(p.risques_ouverts["jours"]) == [31]
    with small.begin() as conn:
        issue = parcours.add_jalon(conn, ML13, "J002", {"date": TODAY, "type": "rupture_evitee", "domaine": "logement"}, TODAY)
        other = parcours.add_jalon(conn, ML13, "J002", {"date": TODAY, "type": "rupture_evitee", "domaine": "sante"}, TODAY)
    assert issue.avertissements == []
    assert len(other.avertissements) == 1
    assert read(small, ident="J002").risques_ouverts.empty
    # Editing the issue itself does not make it warn about the risk it settles.
    with small.begin() as conn:
        edited = parcours.update_jalon(conn, ML13, issue.ligne, {"commentaire": "logement trouvé"}, TODAY)
    assert edited.avertissements == []


def test_editing_a_jalon_bumps_its_version_and_audits_before_and_after(small):
    lu = jalon(small, "K002")
    with small.begin() as conn:
        saved = parcours.update_jalon(conn, ML13, lu, {"date": dt.date(2024, 1, 30), "commentaire": "Projet précisé"}, TODAY)
    stored = jalon(small, "K002")
    assert (stored["date"], stored["commentaire"], stored["version"]) == (dt.date(2024, 1, 30), "Projet précisé", 2)
    assert saved.ligne["version"] == 2 and saved.ligne["type"] == "premier_rdv"
    with small.connect() as conn:
        [entry] = audit.entries(conn, table="jalons", cle="J001")
    assert entry["action"] == "update" and entry["avant"]["date"] == "2024-01-29" and entry["apres"]["date"] == "2024-01-30"
    assert "code_structure" not in entry["avant"]


def test_a_stale_edit_is_refused_with_what_changed(small):
    lu = jalon(small, "K006")
    with small.begin() as conn:
        parcours.update_jalon(conn, ML13_BIS, lu, {"date": dt.date(2025, 2, 3), "commentaire": "Par la collègue"}, TODAY)
    with small.begin() as conn, pytest.raises(parcours.Conflit) as conflict:
        parcours.update_jalon(conn, ML13, lu, {"commentaire": "Le mien"}, TODAY)
    c = conflict.value
    assert c.auteur == ML13_BIS.email and not c.supprime
    assert {(x.champ, x.lu, x.enregistre) for x in c.changements} == {
        ("date", "01/02/2025", "03/02/2025"), ("commentaire", "=1+1", "Par la collègue"),
    }
    assert "modifié par collegue@ml13.fr" in str(c) and "refusé" in str(c)
    stored = jalon(small, "K006")
    assert (stored["commentaire"], stored["version"]) == ("Par la collègue", 2)  # nothing overwritten


def test_deleting_a_jalon_and_a_stale_delete(small):
    lu = jalon(small, "K007")
    with small.begin() as conn:
        parcours.update_jalon(conn, ML13_BIS, lu, {"domaine": "sante"}, TODAY)
    with small.begin() as conn, pytest.raises(parcours.Conflit):
        parcours.delete_jalon(conn, ML13, lu)  # changed since read: not deleted blindly
    assert jalon(small, "K007")["domaine"] == "sante"
    fresh = jalon(small, "K007")
    with small.begin() as conn:
        parcours.delete_jalon(conn, ML13, fresh)
    with pytest.raises(parcours.Introuvable):
        jalon(small, "K007")
    with small.begin() as conn, pytest.raises(parcours.Conflit) as gone:
        parcours.update_jalon(conn, ML13_BIS, fresh, {"commentaire": "trop tard"}, TODAY)
    assert gone.value.supprime and "supprimé par conseillere@ml13.fr" in str(gone.value)


# --- jeunes ---------------------------------------------------------------------------------------------------------
def test_creating_a_jeune(small):
    with small.begin() as conn:
        typed = parcours.create_jeune(conn, ML13, {"id_jeune": " IM-2025-0042 ", "annee_naissance": 2005, "sexe": "H", "qpv": True}, TODAY)
        generated = parcours.create_jeune(conn, ML13, {"id_jeune": "", "annee_naissance": 2006, "sexe": "F"}, TODAY, code_structure="ML84001")
    assert typed.ligne["id_jeune"] == "IM-2025-0042" and typed.ligne["qpv"] is True and typed.ligne["code_structure"] == "ML13001"
    assert re.fullmatch(r"J-[0-9A-F]{16}", generated.cle)
    assert generated.ligne["code_structure"] == "ML13001"  # a conseiller creates in their structure, whatever is asked
    assert read(small, ident=generated.cle).jeune["sexe"] == "F"


@pytest.mark.parametrize(
    ("valeurs", "champ", "texte"),
    [
        ({"id_jeune": "J003", "annee_naissance": 2004, "sexe": "F"}, "id_jeune", "déjà utilisé"),  # ML84001's
        ({"id_jeune": "J001", "annee_naissance": 2004, "sexe": "F"}, "id_jeune", "déjà utilisé"),
        ({"id_jeune": "marie.dupont@mail.fr", "annee_naissance": 2004, "sexe": "F"}, "id_jeune", "adresse e-mail"),
        ({"id_jeune": "2 04 05 13 055 123", "annee_naissance": 2004, "sexe": "F"}, "id_jeune", "sécurité sociale"),
        ({"annee_naissance": 2020, "sexe": "F"}, "annee_naissance", "entre 1950 et 2011"),
        ({"annee_naissance": 2004}, "sexe", "obligatoire"),
        ({"sexe": "F"}, "annee_naissance", "obligatoire"),
    ],
)
def test_invalid_jeunes_are_refused(small, valeurs, champ, texte):
    with small.begin() as conn, pytest.raises(parcours.Invalide) as refused:
        parcours.create_jeune(conn, ML13, valeurs, TODAY)
    assert texte in refused.value.messages[champ]
    assert count(small, Jeune) == 3


def test_editing_and_deleting_a_jeune(small):
    lu = read(small).jeune
    with small.begin() as conn:
        parcours.update_jeune(conn, ML13, lu, {"niveau_formation": "4", "rqth": True}, TODAY)
    p = read(small)
    assert (p.jeune["niveau_formation"], p.jeune["rqth"], p.jeune["version"]) == ("4", True, 2)
    with small.begin() as conn, pytest.raises(parcours.Conflit) as stale:
        parcours.delete_jeune(conn, ML13_BIS, lu)
    assert [c.champ for c in stale.value.changements] == ["niveau_formation", "rqth"]
    with small.begin() as conn:
        parcours.delete_jeune(conn, ML13, p.jeune)
    with pytest.raises(parcours.Introuvable):
        read(small)
    assert count(small, Jalon) == 3 and count(small, Accompagnement) == 2  # J001's 5 jalons and 1 spell went with it
    with small.connect() as conn:
        entry, update = audit.entries(conn, table="jeunes", cle="J001")
    assert update["action"] == "update" and entry["action"] == "delete" and len(entry["avant"]["jalons"]) == 5 and "5 jalon(s)" in entry["detail"]


# --- accompagnements -----------------------------------------------------------------------------------------------------
def test_opening_and_closing_an_accompagnement(small):
    with small.begin() as conn, pytest.raises(parcours.Invalide) as missing:
        parcours.open_accompagnement(conn, ML13, "J001", {"date_debut": TODAY}, TODAY)
    assert "obligatoire" in missing.value.messages["dispositif"]
    with small.begin() as conn:
        opened = parcours.open_accompagnement(conn, ML13, "J001", {"dispositif": "CEJ", "date_debut": dt.date(2025, 3, 1), "financeur": "ETAT"}, TODAY)
    assert re.fullmatch(r"A-[0-9A-F]{16}", opened.cle) and opened.ligne["date_fin"] is None
    with small.begin() as conn, pytest.raises(parcours.Invalide) as no_motif:
        parcours.close_accompagnement(conn, ML13, opened.ligne, TODAY, None, TODAY)
    assert "motif de fin" in no_motif.value.messages["motif_fin"]
    with small.begin() as conn, pytest.raises(parcours.Invalide) as early:
        parcours.close_accompagnement(conn, ML13, opened.ligne, dt.date(2025, 2, 1), "emploi", TODAY)
    assert "précède la date de début" in early.value.messages["date_fin"]
    with small.begin() as conn:
        closed = parcours.close_accompagnement(conn, ML13, opened.ligne, dt.date(2025, 5, 31), "emploi_durable", TODAY)
    assert (closed.ligne["date_fin"], closed.ligne["motif_fin"], closed.ligne["version"]) == (dt.date(2025, 5, 31), "emploi_durable", 2)
    with small.begin() as conn, pytest.raises(parcours.Conflit):
        parcours.delete_accompagnement(conn, ML13, opened.ligne)  # version 1 is stale
    with small.begin() as conn:
        parcours.delete_accompagnement(conn, ML13, closed.ligne)
    assert count(small, Accompagnement) == 3


def test_a_motif_on_an_open_accompagnement_is_refused(small):
    lu = read(small, ident="J002").accompagnements.iloc[0].to_dict()
    with small.begin() as conn, pytest.raises(parcours.Invalide) as refused:
        parcours.update_accompagnement(conn, ML13, lu, {"motif_fin": "emploi"}, TODAY)
    assert "doit rester vide" in refused.value.messages["motif_fin"]


# --- history and search ------------------------------------------------------------------------------------------------------
def test_the_history_of_one_jeune_and_only_theirs(small):
    with small.begin() as conn:
        for ident in ("J_01", "JX01", "J0"):
            parcours.create_jeune(conn, ML13, {"id_jeune": ident, "annee_naissance": 2004, "sexe": "F"}, TODAY)
        a = parcours.add_jalon(conn, ML13, "J_01", {"date": TODAY, "type": "entretien"}, TODAY)
        parcours.add_jalon(conn, ML13, "JX01", {"date": TODAY, "type": "atelier"}, TODAY)
    with small.begin() as conn:
        edited = parcours.update_jalon(conn, ML13_BIS, a.ligne, {"type": "contact"}, TODAY)
        parcours.delete_jalon(conn, ML13, edited.ligne)
    with small.connect() as conn:
        history = parcours.historique(conn, ML13, "J_01")
        assert parcours.historique(conn, ML13, "J0").shape[0] == 1  # its creation only
    assert list(history["Action"]) == ["Suppression", "Modification", "Création", "Création"]
    assert list(history["Objet"]) == ["Jalon", "Jalon", "Jalon", "Fiche du jeune"]
    assert history.iloc[1]["Ce qui a changé"] == "type de jalon : Entretien → Contact"
    assert history.iloc[1]["Qui"] == ML13_BIS.email
    assert "Atelier" not in " ".join(history["Ce qui a changé"])  # JX01's jalon: `_` is no wildcard
    assert history.iloc[0]["Identifiant"] == a.cle and history.iloc[3]["Identifiant"] == "J_01"
    with small.connect() as conn, pytest.raises(parcours.Introuvable):
        parcours.historique(conn, ML84, "J_01")


def test_search_by_identifier_and_filters(small):
    with small.begin() as conn:
        parcours.add_jalon(conn, ML13, "J002", {"date": dt.date(2025, 5, 1), "type": "risque_rupture", "domaine": "ressources"}, TODAY)
    with small.connect() as conn:
        def ids(**filters):
            return list(parcours.search(conn, ML13, TODAY, **filters)["id_jeune"])

        assert ids() == ["J001", "J002"]  # never J003 (ML84001)
        assert ids(identifiant="J00") == ["J001", "J002"] and ids(identifiant="J003") == []
        assert ids(identifiant="%") == []  # no wildcard
        assert ids(dispositif="CEJ") == ["J002"] and ids(dispositif="RSA") == []  # A001 (RSA) is closed
        assert ids(risques="avec") == ["J002"] and ids(risques="sans") == ["J001"]
        assert ids(sans_contact_depuis=90) == ["J001", "J002"]  # J002's last contact is an entretien of 2025-02-01
        found = parcours.search(conn, ML13, TODAY)
    row = found.set_index("id_jeune").loc["J002"]
    assert (row["dispositifs"], row["risques_ouverts"], row["dernier_contact"], row["jours_sans_contact"]) == ("CEJ", 1, dt.date(2025, 2, 1), 120)


def test_wording_of_values():
    assert parcours.valeur_lisible("date", dt.date(2026, 11, 26)) == "26/11/2026"
    assert parcours.valeur_lisible("type", "rupture_evitee") == "Rupture évitée"
    assert parcours.valeur_lisible("montant_eur", 1234.5) == "1\u202f234,50\u00a0€"
    assert parcours.valeur_lisible("qpv", True) == "Oui" and parcours.valeur_lisible("commentaire", None) == "—"
    assert parcours.valeur_lisible("qpv", 0) == "Non" and parcours.valeur_lisible("rqth", 1) == "Oui"  # as SQLite hands them back
    assert parcours.liste_lisible("dispositif", "DROIT_COMMUN, CEJ") == "Droit commun, Contrat d'engagement jeune"
    assert parcours.liste_lisible("dispositif", "") == "—"
    assert parcours.ligne_lisible({"qpv": True, "date_fin": None, "fichiers": ["a.csv", "b.csv"], "lignes": {"jalons": 3}}) == (
        "QPV : Oui ; date de fin : — ; fichiers : a.csv, b.csv ; lignes : jalons : 3"
    )
    assert parcours.ligne_lisible(None) == "—"


# --- the referent of an accompagnement ----------------------------------------------------------------------
@pytest.fixture
def with_accounts(small):
    with small.begin() as conn:
        accounts.save_account(conn, ML13.email, "conseiller", "ML13001")
        accounts.save_account(conn, ML13_BIS.email, "conseiller", "ML13001")
        accounts.save_account(conn, ML84.email, "conseiller", "ML84001")
    return small


def test_the_referent_is_an_account_of_the_jeunes_structure(with_accounts):
    engine = with_accounts
    with engine.begin() as conn:
        saved = parcours.open_accompagnement(conn, ML13, "J002", {"dispositif": "PACEA", "date_debut": TODAY, "referent": ML13_BIS.email}, TODAY)
        assert saved.ligne["referent"] == "collegue@ml13.fr"
        assert parcours.referents_proposes(conn, ML13, "ML13001") == ["conseillere@ml13.fr", "collegue@ml13.fr"]
    for refuse in (ML84.email, "inconnu@ml13.fr"):  # another structure's conseiller, an address with no account
        with engine.begin() as conn, pytest.raises(parcours.Invalide) as exc:
            parcours.open_accompagnement(conn, ML13, "J002", {"dispositif": "CEJ", "date_debut": TODAY, "referent": refuse}, TODAY)
        assert exc.value.messages == {"referent": (
            f"« {refuse} » n'est pas le compte d'un conseiller ou d'un directeur de la structure ML13001 : le référent doit être "
            "l'adresse e-mail d'un compte de la structure du jeune (créez d'abord le compte, ou laissez le référent vide)."
        )}
    with engine.begin() as conn:  # the demo data set's fictitious referents name nobody: accepted
        parcours.open_accompagnement(conn, ML13, "J002", {"dispositif": "OF", "date_debut": TODAY, "referent": "conseiller@demo.invalid"}, TODAY)
        accounts.delete_account(conn, ML13_BIS.email)
    with engine.begin() as conn:  # its account deleted since, the referent stays and the spell can still be edited
        lu = parcours._enfant(conn, ML13, "accompagnements", saved.cle)
        edited = parcours.update_accompagnement(conn, ML13, lu, {"financeur": "CD"}, TODAY)
        assert (edited.ligne["referent"], edited.ligne["financeur"]) == ("collegue@ml13.fr", "CD")
    with engine.begin() as conn:  # cleared, it cannot be set again: the account is gone
        parcours.update_accompagnement(conn, ML13, parcours._enfant(conn, ML13, "accompagnements", saved.cle), {"referent": None}, TODAY)
    with engine.begin() as conn, pytest.raises(parcours.Invalide):
        parcours.update_accompagnement(conn, ML13, parcours._enfant(conn, ML13, "accompagnements", saved.cle), {"referent": "collegue@ml13.fr"}, TODAY)


def test_migration_0011_adds_the_referent_and_keeps_the_analytics_triggers(small):
    """Down to 0009 (no referent column) and up again; on SQLite the table is altered in place, not rebuilt, so the
    triggers that keep the analytics table in step (migration 0006) survive both ways."""
    from alembic import command
    from sqlalchemy import inspect

    from mlimpact.migrate import current_revision, head_revision
    from tests.db.test_engine import migrate

    def state():
        columns = [c["name"] for c in inspect(small).get_columns("accompagnements")]
        with small.connect() as conn:
            if small.dialect.name == "sqlite":
                triggers = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'accompagnements'").scalar()
            else:
                triggers = conn.exec_driver_sql("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'accompagnements'::regclass AND NOT tgisinternal").scalar()
        return "referent" in columns, triggers

    assert state() == (True, 3)
    migrate(small, command.downgrade, "0009")
    assert current_revision(small) == "0009" and state() == (False, 3)
    migrate(small, command.upgrade, "head")
    assert current_revision(small) == head_revision() and state() == (True, 3)
    with small.begin() as conn:
        parcours.open_accompagnement(conn, ML13, "J002", {"dispositif": "OF", "date_debut": TODAY, "referent": "conseiller@demo.invalid"}, TODAY)
