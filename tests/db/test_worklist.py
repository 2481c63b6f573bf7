"""The worklist (`mlimpact.worklist`): open risks, jeunes without contact, orientations waiting; marking a risk."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from indicators.disclosure import service
from indicators.types import Echelon, Perimetre, Periode
from mlimpact import parcours, worklist
from mlimpact.exchange.importer import import_paths
from mlimpact.models import Jalon
from tests.db.test_parcours import ML13, ML13_BIS, ML84, TODAY
from tests.support.exchange_files import write_tables

D = dt.date
A = parcours.A


@pytest.fixture
def work(engine, tmp_path):
    """SMALL, plus: J004 (PACEA since 01/05) and J005 (RSA since 01/01) of ML13001, and dated events around TODAY."""
    assert import_paths(engine, [write_tables(tmp_path / "in")]).exit_code == 0
    with engine.begin() as conn:
        for ident in ("J004", "J005"):
            parcours.create_jeune(conn, ML13, {"id_jeune": ident, "annee_naissance": 2003, "sexe": "F"}, TODAY)
        parcours.open_accompagnement(conn, ML13, "J004", {"dispositif": "PACEA", "date_debut": D(2025, 5, 1)}, TODAY)
        parcours.open_accompagnement(conn, ML13, "J005", {"dispositif": "RSA", "date_debut": D(2025, 1, 1)}, TODAY)
        add = lambda j, day, t, dom=None: parcours.add_jalon(conn, ML13, j, {"date": day, "type": t, "domaine": dom}, TODAY)
        add("J005", D(2025, 3, 20), "entretien")
        add("J004", D(2025, 5, 10), "orientation_recue")  # 22 days, no first appointment
        add("J005", D(2025, 3, 1), "orientation_recue")  # followed 4 days later
        add("J005", D(2025, 3, 5), "premier_rdv")
        add("J002", D(2025, 4, 20), "orientation_recue")  # 42 days; J002's entretien is before it
        add("J002", D(2025, 5, 25), "orientation_recue")  # 7 days: not yet late
        add("J002", D(2024, 1, 2), "orientation_recue")  # older than a year: history
        add("J002", D(2025, 4, 1), "risque_rupture", "ressources")
        add("J004", D(2025, 5, 20), "risque_rupture", "logement")
    with engine.begin() as conn:
        parcours.add_jalon(conn, ML84, "J003", {"date": D(2025, 5, 2), "type": "risque_rupture", "domaine": "sante"}, TODAY)
    return engine


def test_open_risks_of_my_structure_oldest_first(work):
    with work.connect() as conn:
        risques = worklist.risques_ouverts(conn, ML13, TODAY)
        assert list(worklist.risques_ouverts(conn, ML84, TODAY)["id_jeune"]) == ["J003"]
    assert list(zip(risques["id_jeune"], risques["domaine"], risques["jours"], strict=True)) == [
        ("J002", "ressources", 61), ("J004", "logement", 12),
    ]  # J001's risk (K003) was averted; J003's belongs to ML84001


def test_jeunes_without_contact(work):
    with work.connect() as conn:
        sixty = worklist.sans_contact(conn, ML13, TODAY, seuil=60)
        ninety = worklist.sans_contact(conn, ML13, TODAY, seuil=90)
    # J002: last entretien 01/02 (120 days); J005: entretien 20/03 (73 days); J004: started 01/05 (31 days);
    # J001: accompagnement closed. J003: another structure.
    assert list(zip(sixty["id_jeune"], sixty["jours"], sixty["dispositifs"], strict=True)) == [("J002", 120, "CEJ"), ("J005", 73, "RSA")]
    assert list(ninety["id_jeune"]) == ["J002"]
    assert sixty.iloc[0]["dernier_contact"] == D(2025, 2, 1)


def test_a_new_accompagnement_counts_as_a_contact(work):
    with work.begin() as conn:
        parcours.open_accompagnement(conn, ML13, "J002", {"dispositif": "PACEA", "date_debut": D(2025, 5, 15)}, TODAY)
    with work.connect() as conn:
        assert list(worklist.sans_contact(conn, ML13, TODAY)["id_jeune"]) == ["J005"]


def test_orientations_without_a_first_appointment(work):
    with work.connect() as conn:
        late = worklist.orientations_sans_rdv(conn, ML13, TODAY, seuil=15)
        later = worklist.orientations_sans_rdv(conn, ML13, TODAY, seuil=30)
    assert list(zip(late["id_jeune"], late["jours"], strict=True)) == [("J002", 42), ("J004", 22)]
    assert list(later["id_jeune"]) == ["J002"]


def test_the_date_of_the_data_is_the_structures_latest_jalon(work):
    with work.connect() as conn:
        assert worklist.date_des_donnees(conn, ML13, TODAY) == D(2025, 5, 25)  # J002's last orientation
        assert worklist.date_des_donnees(conn, ML84, TODAY) == D(2025, 5, 2)
        assert worklist.date_des_donnees(conn, ML13, D(2025, 5, 21)) == D(2025, 5, 20)  # never after today
    with work.begin() as conn:
        parcours.create_jeune(conn, ML13, {"id_jeune": "J-SEUL", "annee_naissance": 2003, "sexe": "F"}, TODAY)
    with work.connect() as conn:  # a structure without any jalon: today
        assert worklist.date_des_donnees(conn, ML84, D(2025, 4, 1)) == D(2025, 4, 1)


def test_only_jeunes_whose_parcours_goes_on_are_listed(work):
    """A risk or an orientation of a jeune whose accompagnements are all over is history, not work."""
    with work.begin() as conn:
        parcours.create_jeune(conn, ML13, {"id_jeune": "J006", "annee_naissance": 2003, "sexe": "H"}, TODAY)
        spell = parcours.open_accompagnement(conn, ML13, "J006", {"dispositif": "CEJ", "date_debut": D(2025, 1, 2)}, TODAY).ligne
        parcours.close_accompagnement(conn, ML13, spell, D(2025, 5, 1), "abandon", TODAY)
        add = lambda day, t, dom=None: parcours.add_jalon(conn, ML13, "J006", {"date": day, "type": t, "domaine": dom}, TODAY)
        add(D(2025, 1, 20), "risque_rupture", "sante")  # open, but the accompagnement ended on 01/05 (« abandon »)
        add(D(2025, 2, 1), "orientation_recue")  # followed by a spell that ended since
        parcours.create_jeune(conn, ML13, {"id_jeune": "J007", "annee_naissance": 2004, "sexe": "F"}, TODAY)
        parcours.add_jalon(conn, ML13, "J007", {"date": D(2025, 4, 2), "type": "orientation_recue"}, TODAY)  # no spell yet: waiting
    with work.connect() as conn:
        risques = worklist.risques_ouverts(conn, ML13, TODAY)
        silences = worklist.sans_contact(conn, ML13, TODAY)
        orientations = worklist.orientations_sans_rdv(conn, ML13, TODAY)
        # on 15/04, J006's accompagnement was in progress: the same risk and orientation are work on that day
        avant = worklist.risques_ouverts(conn, ML13, D(2025, 4, 15))
        orientations_avant = worklist.orientations_sans_rdv(conn, ML13, D(2025, 4, 15))
    assert "J006" not in set(risques["id_jeune"]) | set(silences["id_jeune"]) | set(orientations["id_jeune"])
    assert "J007" in set(orientations["id_jeune"])
    assert "J006" in set(avant["id_jeune"]) and "J006" in set(orientations_avant["id_jeune"])
    assert list(avant.loc[avant["id_jeune"] == "J006", "dispositifs"]) == ["CEJ"]


def test_risks_come_by_urgency_and_filter_by_domaine(work):
    """Urgency: the jeune left longest without contact since the risk first (days from the later of the risk and
    the last contact), then the oldest risk."""
    with work.begin() as conn:
        add = lambda j, day, t, dom=None: parcours.add_jalon(conn, ML13, j, {"date": day, "type": t, "domaine": dom}, TODAY)
        add("J005", D(2025, 2, 1), "risque_rupture", "logement")  # J005 seen on 20/03 since: silent 73 days
        add("J002", D(2025, 5, 28), "entretien")  # J002 seen since its risk of 01/04: silent 4 days
    with work.connect() as conn:
        risques = worklist.risques_ouverts(conn, ML13, TODAY)
        logement = worklist.risques_ouverts(conn, ML13, TODAY, domaine="logement")
    assert list(zip(risques["id_jeune"], risques["silence"], risques["jours"], strict=True)) == [
        ("J005", 73, 120), ("J004", 12, 12), ("J002", 4, 61),
    ]
    assert list(risques["dernier_contact"]) == [D(2025, 3, 20), None, D(2025, 5, 28)]
    assert list(logement["id_jeune"]) == ["J005", "J004"] and set(logement["domaine"]) == {"logement"}


def test_mes_jeunes_first_or_alone(work):
    """The referent of an accompagnement in progress makes the jeune « mine »; a closed spell's referent does not."""
    from mlimpact import accounts

    with work.begin() as conn:
        for compte in (ML13, ML13_BIS):
            accounts.save_account(conn, compte.email, "conseiller", "ML13001")
        ids = dict(conn.execute(select(A.c.id_jeune, A.c.id_accompagnement).where(A.c.id_jeune.in_(["J001", "J002", "J005"]))).all())
        spells = {j: parcours._enfant(conn, ML13, "accompagnements", a) for j, a in ids.items()}
        parcours.update_accompagnement(conn, ML13, spells["J005"], {"referent": ML13.email}, TODAY)
        parcours.update_accompagnement(conn, ML13, spells["J002"], {"referent": ML13_BIS.email}, TODAY)
        parcours.update_accompagnement(conn, ML13, spells["J001"], {"referent": ML13.email}, TODAY)  # closed in 2025-02
    with work.connect() as conn:
        silences = worklist.sans_contact(conn, ML13, TODAY)
        risques = worklist.risques_ouverts(conn, ML13, TODAY)
    assert list(zip(silences["id_jeune"], silences["referents"], strict=True)) == [("J002", ML13_BIS.email), ("J005", ML13.email)]
    assert list(worklist.mes_jeunes(silences, ML13)["id_jeune"]) == ["J005", "J002"]  # mine first, then the others
    assert list(worklist.mes_jeunes(silences, ML13, seulement=True)["id_jeune"]) == ["J005"]
    assert list(worklist.mes_jeunes(silences, ML13_BIS, seulement=True)["id_jeune"]) == ["J002"]
    assert worklist.mes_jeunes(risques, ML13, seulement=True).empty  # J004 has no referent, J002 is my colleague's


def ruptures_evitees(engine) -> float:
    periode = Periode(D(2025, 1, 1), D(2025, 12, 31))
    values = service.compute(engine, ML13, periode, Perimetre(Echelon.STRUCTURE, "ML13001"), codes=["ruptures_evitees", "risques_ouverts"])
    return values["ruptures_evitees"].valeur, values["risques_ouverts"].valeur


def test_marking_a_risk_averted_writes_the_jalon_and_moves_the_figures(work):
    with work.connect() as conn:
        risque = next(parcours.lignes(worklist.risques_ouverts(conn, ML13, TODAY)))
    evitees, ouverts = ruptures_evitees(work)
    with work.begin() as conn:
        saved = worklist.mark_risque(conn, ML13, risque, "evitee", TODAY, D(2025, 5, 30))
    assert {k: saved.ligne[k] for k in ("id_jeune", "type", "domaine", "date")} == {
        "id_jeune": "J002", "type": "rupture_evitee", "domaine": "ressources", "date": D(2025, 5, 30),
    }
    assert saved.avertissements == []
    with work.connect() as conn:
        assert list(worklist.risques_ouverts(conn, ML13, TODAY)["id_jeune"]) == ["J004"]
    assert ruptures_evitees(work) == (evitees + 1, ouverts - 1)


def test_marking_a_risk_occurred(work):
    with work.connect() as conn:
        risque = next(parcours.lignes(worklist.risques_ouverts(conn, ML13, TODAY)))
    with work.begin() as conn:
        saved = worklist.mark_risque(conn, ML13, risque, "survenue", TODAY)
    assert (saved.ligne["type"], saved.ligne["date"]) == ("rupture_survenue", TODAY)


def test_a_risk_is_marked_once(work):
    with work.connect() as conn:
        risque = next(parcours.lignes(worklist.risques_ouverts(conn, ML13, TODAY)))
    with work.begin() as conn:
        worklist.mark_risque(conn, ML13_BIS, risque, "evitee", TODAY)
    with work.begin() as conn, pytest.raises(parcours.Conflit) as twice:
        worklist.mark_risque(conn, ML13, risque, "survenue", TODAY)
    assert "déjà été traité (rupture évitée le 01/06/2025 par collegue@ml13.fr)" in str(twice.value)
    with work.connect() as conn:
        issues = conn.execute(select(Jalon.type).where(Jalon.id_jeune == "J002", Jalon.type.in_(parcours.RESOLUTIONS))).scalars().all()
    assert issues == ["rupture_evitee"]


def test_a_risk_changed_since_the_list_was_read_is_not_marked(work):
    with work.connect() as conn:
        risque = next(parcours.lignes(worklist.risques_ouverts(conn, ML13, TODAY)))
    with work.begin() as conn:
        parcours.update_jalon(conn, ML13_BIS, risque, {"domaine": "mobilite"}, TODAY)
    with work.begin() as conn, pytest.raises(parcours.Conflit) as stale:
        worklist.mark_risque(conn, ML13, risque, "evitee", TODAY)
    assert [(c.champ, c.lu, c.enregistre) for c in stale.value.changements] == [("domaine", "Ressources", "Mobilité")]


def test_refused_markings(work):
    with work.connect() as conn:
        risque = next(parcours.lignes(worklist.risques_ouverts(conn, ML13, TODAY)))
        autre = next(parcours.lignes(worklist.risques_ouverts(conn, ML84, TODAY)))
        entretien = parcours._enfant(conn, ML13, "jalons", "K006")
    with work.begin() as conn, pytest.raises(parcours.Invalide) as early:
        worklist.mark_risque(conn, ML13, risque, "evitee", TODAY, D(2025, 3, 1))
    assert "précède celle du risque (01/04/2025)" in early.value.messages["date"]
    with work.begin() as conn, pytest.raises(parcours.Introuvable):
        worklist.mark_risque(conn, ML13, autre, "evitee", TODAY)
    with work.begin() as conn, pytest.raises(parcours.Invalide):
        worklist.mark_risque(conn, ML13, entretien, "evitee", TODAY)


def test_one_rule_for_open_risks_in_sql_and_over_a_jeunes_rows(demo_database):
    """The worklist's query and the parcours' computation over one jeune's jalons find the same open risks."""
    import pandas as pd

    from mlimpact.db import make_engine
    from mlimpact.models import Jeune
    from mlimpact.store import today

    engine = make_engine(demo_database)
    with engine.connect() as conn:
        structures = conn.execute(select(Jeune.code_structure).distinct()).scalars().all()
        jalons = pd.DataFrame(
            [tuple(r) for r in conn.execute(select(*[Jalon.__table__.c[c] for c in parcours.RISQUES_COLONNES], Jalon.type))],
            columns=[*parcours.RISQUES_COLONNES, "type"],
        )
        structure_of = dict(conn.execute(select(Jeune.id_jeune, Jeune.code_structure)).all())
        for au in (today(), D(2025, 6, 30)):
            par_sql = {s: {r.id_jalon for r in conn.execute(parcours.requete_risques_ouverts(au, s))} for s in structures}
            # One call over every jeune's rows: the rule matches a risk with the issues of its own jeune only.
            par_jeune: dict[str, set[str]] = {s: set() for s in structures}
            for row in parcours.risques_ouverts_parmi(jalons, au).itertuples(index=False):
                par_jeune[structure_of[row.id_jeune]].add(row.id_jalon)
            assert par_sql == par_jeune
            assert sum(map(len, par_sql.values())) > 0
    engine.dispose()
