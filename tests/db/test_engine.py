"""The indicator engine against a small data set whose every figure was computed by hand.

The data set below is written for docs/arithmetic.md: each young person is a
scenario (boundary dates, leap day, same-day jalons, RSA spells reopened,
orientations never followed…). The expected values are literals worked out by
hand from the spec, with the arithmetic in a comment; they are never produced
by the engine. Everything runs on SQLite and on PostgreSQL.

Main period P = 2024-01-01 .. 2024-12-31 (a leap year, 366 days).
as_of = 2025-03-31, the latest jalon of the store (J17).
d2 − 365 days = 2024-01-01; [d1 − 183, d2 − 183] = [2023-07-02, 2024-07-01].

Jeunes suivis S(P) (an accompagnement active in P): J01 J03 J04 J05 J06 J07 J08
J09 J10 J12 J13 J14 J16 J18 J19 J20 J21 = 17. Not in S(P): J02 (ended
2023-12-31, the day before d1), J11 (ended 2023), J15 (no accompagnement),
J17 (starts 2025-01-01, the day after d2).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from indicators import cache
from indicators.engine import breakdown, compare, compute, months, resolve_as_of, trend
from indicators.formules import arrondi, median, prorata
from indicators.registry import CODES
from indicators.sql import PerimetreInconnu
from indicators.types import Echelon, Filtres, Perimetre, Periode
from mlimpact.db import make_engine
from mlimpact.exchange.importer import import_paths
from tests.support.exchange_files import write_tables

TODAY = dt.date(2026, 1, 1)
P = Periode(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
NATIONAL = Perimetre()


def structure(code: str) -> Perimetre:
    return Perimetre(Echelon.STRUCTURE, code)


DATA = {
    "structures": """code_structure;nom;departement
ML13001;Mission Locale de Marseille;13
ML13002;Mission Locale du Pays d'Aix;13
ML84001;Mission Locale du Grand Avignon;84
ML59001;Mission Locale de Lille;59
ML75001;Mission Locale de Paris;75
""",
    # age in 2024 = 2024 − annee_naissance
    "jeunes": """id_jeune;code_structure;annee_naissance;sexe;niveau_formation;qpv;frr;rqth;date_premier_accueil
J01;ML13001;2000;F;4;1;0;0;
J02;ML13001;2005;H;infra3;0;0;0;
J03;ML13002;2009;F;3;0;1;0;
J04;ML84001;1996;H;5plus;0;0;1;
J05;ML59001;2006;F;;0;0;0;
J06;ML13001;2003;H;3;0;0;0;
J07;ML13002;1998;F;4;0;0;0;
J08;ML13001;2004;F;3;1;0;0;
J09;ML13001;2002;H;4;0;0;0;
J10;ML84001;2001;F;infra3;0;1;0;
J11;ML59001;1990;H;;0;0;0;
J12;ML13001;2005;F;4;0;0;1;
J13;ML13002;2004;H;infra3;0;0;0;
J14;ML59001;2006;F;3;0;0;0;
J15;ML13001;2000;H;;0;0;0;
J16;ML13002;2003;F;5plus;0;0;0;
J17;ML13001;2006;H;4;0;0;0;
J18;ML84001;2005;H;3;1;0;0;
J19;ML59001;2004;H;infra3;0;1;0;
J20;ML13002;2007;F;infra3;1;0;0;
J21;ML59001;2003;F;3;0;0;0;
""",
    "accompagnements": """id_accompagnement;id_jeune;dispositif;date_debut;date_fin;motif_fin;financeur
A01;J01;CEJ;2023-11-01;;;ETAT
A02;J02;PACEA;2023-03-01;2023-12-31;abandon;ETAT
A03;J03;OF;2024-12-31;;;
A04;J04;DROIT_COMMUN;2022-01-01;2024-01-01;emploi_durable;
A05;J04;CEJ;2024-06-01;2024-11-30;abandon;ETAT
A06;J05;RSA;2023-01-01;;;CD
A07;J06;RSA;2023-06-01;2024-09-30;emploi;CD
A08;J07;RSA;2023-01-15;;;CD
A09;J08;PACEA;2024-03-01;2024-05-30;formation_qualifiante;ETAT
A10;J09;CEJ;2024-10-04;;;ETAT
A11;J10;ASE;2023-09-01;;;CD
A12;J11;RSA;2022-01-01;2023-08-01;abandon;CD
A13;J12;RSA;2023-01-01;2024-07-01;emploi_durable;CD
A14;J13;RSA;2024-02-01;;;CD
A15;J14;CEJ;2024-05-01;2024-12-31;alternance;ETAT
A16;J16;CEJ;2023-02-01;2023-12-31;reorientation;ETAT
A17;J16;RSA;2024-04-01;;;CD
A18;J17;CEJ;2025-01-01;;;ETAT
A19;J18;DROIT_COMMUN;2024-01-15;;;
A20;J19;CEJ;2023-06-01;;;ETAT
A21;J20;OF;2024-09-01;;;
A22;J21;CEJ;2024-10-03;;;ETAT
""",
    "jalons": """id_jalon;id_jeune;date;type;domaine;montant_eur;commentaire
K0101;J01;2023-12-31;entretien;;;
K0102;J01;2024-01-01;entretien;;;
K0103;J01;2024-02-29;entretien;;;
K0104;J01;2024-04-15;entretien;;;
K0105;J01;2024-07-01;entretien;;;
K0106;J01;2024-09-15;entretien;;;
K0107;J01;2024-10-01;emploi_cdi;;;
K0108;J01;2024-11-15;entretien;;;
K0109;J01;2024-11-20;emploi_cdd_court;;;
K0110;J01;2024-12-31;entretien;;;
K0201;J02;2023-07-01;rsa_sortie;;;
K0202;J02;2023-07-02;rsa_sortie;;;
K0203;J02;2024-02-10;orientation_recue;;;
K0204;J02;2024-02-20;premier_rdv;;;
K0205;J02;2024-03-01;entretien;;;
K0206;J02;2024-05-01;risque_rupture;famille;;
K0301;J03;2024-12-20;orientation_recue;;;
K0302;J03;2024-12-20;premier_rdv;;;
K0401;J04;2023-12-31;emploi_cdi;;;
K0402;J04;2024-01-10;entretien;;;
K0403;J04;2024-06-15;emploi_interim;;;
K0500;J05;2023-01-01;rsa_sortie;;;
K0501;J05;2023-01-01;rsa_ouverture;;;
K0502;J05;2024-03-10;entretien;;;
K0503;J05;2024-03-10;rsa_sanction;;;
K0504;J05;2024-05-01;formation_qualifiante;;;
K0601;J06;2023-06-01;rsa_ouverture;;;
K0602;J06;2023-09-01;rsa_ouverture;;;
K0603;J06;2024-02-15;rsa_sortie;;;
K0604;J06;2024-05-26;rsa_ouverture;;;
K0605;J06;2024-09-30;rsa_sortie;;;
K0701;J07;2023-01-15;rsa_ouverture;;;
K0702;J07;2023-12-01;rsa_sortie;;;
K0703;J07;2024-01-02;rsa_ouverture;;;
K0704;J07;2024-03-15;entretien;;;
K0705;J07;2024-06-10;entretien;;;
K0706;J07;2024-06-10;risque_rupture;logement;;
K0707;J07;2024-09-05;entretien;;;
K0708;J07;2024-12-01;entretien;;;
K0709;J07;2025-01-15;rupture_evitee;logement;;
K0901;J09;2024-08-31;premier_rdv;;;
K0902;J09;2024-09-01;orientation_recue;;;
K0903;J09;2024-10-01;entretien;;;
K0904;J09;2024-11-01;orientation_recue;;;
K0905;J09;2024-12-02;premier_rdv;;;
K0906;J09;2024-12-15;alternance;;;
K1001;J10;2023-10-01;risque_rupture;justice;;
K1002;J10;2023-11-10;risque_rupture;sante;;
K1003;J10;2023-12-20;risque_rupture;logement;;
K1004;J10;2024-02-01;rupture_evitee;sante;;
K1005;J10;2024-02-01;droit_ouvert;sante;;
K1006;J10;2024-02-01;mobilisation_partenaire;caf;;
K1007;J10;2024-03-05;risque_rupture;ressources;;
K1008;J10;2024-03-05;rupture_survenue;ressources;;
K1009;J10;2024-04-01;risque_rupture;mobilite;;
K1010;J10;2024-05-01;rupture_evitee;logement;;
K1011;J10;2024-06-01;droit_ouvert;logement;;
K1012;J10;2024-12-31;mobilisation_partenaire;sante;;
K1101;J11;2022-01-01;rsa_ouverture;;;
K1102;J11;2023-08-01;rsa_sortie;;;
K1103;J11;2024-01-31;rsa_ouverture;;;
K1104;J11;2024-07-02;rsa_sortie;;;
K1201;J12;2023-01-01;rsa_ouverture;;;
K1202;J12;2024-07-01;rsa_sortie;;;
K1203;J12;2024-07-02;emploi_cdd_long;;;
K1204;J12;2025-01-01;rsa_ouverture;;;
K1301;J13;2024-02-01;rsa_ouverture;;;
K1302;J13;2024-12-01;rsa_sortie;;;
K1303;J13;2024-12-01;rsa_ouverture;;;
K1401;J14;2024-04-20;orientation_recue;;;
K1501;J15;2023-12-31;orientation_recue;;;
K1502;J15;2024-06-01;orientation_recue;;;
K1503;J15;2024-06-04;entretien;;;
K1504;J15;2024-07-01;emploi_cdi;;;
K1601;J16;2024-04-10;entretien;;;
K1602;J16;2024-06-20;entretien;;;
K1603;J16;2024-08-30;entretien;;;
K1604;J16;2024-11-10;entretien;;;
K1701;J17;2025-01-01;orientation_recue;;;
K1702;J17;2025-01-01;entretien;;;
K1703;J17;2025-03-31;entretien;;;
K1801;J18;2024-02-01;immersion;;;
K1802;J18;2024-02-01;entretien;;;
K1901;J19;2024-01-01;rsa_ouverture;;;
K1902;J19;2024-01-20;entretien;;;
K1903;J19;2024-04-19;formation_preparatoire;;;
K1904;J19;2024-04-19;immersion;;;
K1905;J19;2024-07-15;entretien;;;
K1906;J19;2024-10-14;entretien;;;
K1907;J19;2024-12-31;entretien;;;
K2001;J20;2024-09-20;decrochage;;;
K2002;J20;2024-10-15;reprise_scolarite;;;
""",
    "financements": """code_structure;annee;financeur;dispositif;montant_eur
ML13001;2023;CD;TOUS;50000
ML13001;2024;CD;RSA;100000
ML13001;2024;ETAT;TOUS;200000
ML84001;2024;CD;CEJ;36600
ML59001;2025;ETAT;TOUS;73000
""",
}

# Every indicator, national scope, P = 2024: (valeur, numerateur, denominateur).
EXPECTED_2024 = {
    # --- activite
    "jeunes_suivis": (17, None, None),  # see the module docstring
    # earliest date_debut in P: J03 (2024-12-31 = d2), J08, J09, J13, J14, J18, J20, J21;
    # not J16 (CEJ of 2023 before her RSA of 2024), not J01 (2023-11-01)
    "nouveaux_entrants": (8, None, None),
    # RSA accompagnement active in P: J05 J06 J07 J12 J13 J16 (J11's ended in 2023)
    "jeunes_rsa_suivis": (6, None, None),
    # J01 7 (01-01, 02-29, 04-15, 07-01, 09-15, 11-15, 12-31; not 2023-12-31) + J04 1 + J05 1 + J07 4
    # + J09 1 + J16 4 + J18 1 + J19 4 = 23 (J02's and J15's are not of S(P), J17's are in 2025)
    "entretiens": (23, None, None),
    "entretiens_par_jeune": (1.4, None, None),  # 23 / 17 = 1.35…
    "sanctions_rsa": (1, None, None),  # J05 2024-03-10
    # 2024 only (366/366): 100 000 + 200 000 (ML13001) + 36 600 (ML84001); 2023 and 2025 weigh 0
    "budget_eur": (336600.0, None, None),
    "cout_par_jeune_eur": (19800.0, None, None),  # 336 600 / 17
    # --- produit
    # EMPLOI in P: J01 (cdi and cdd_court, once), J04 (interim; his cdi is of 2023-12-31), J09 (alternance),
    # J12 (cdd_long); J15 is not of S(P). 100 × 4 / 17 = 23.53
    "acces_emploi": (23.5, 4, 17),
    "acces_emploi_durable": (11.8, 2, 17),  # J01 cdi, J12 cdd_long: 100 × 2 / 17 = 11.76
    "acces_formation": (11.8, 2, 17),  # J05 qualifiante, J19 préparatoire
    "immersions": (2, None, None),  # J18 02-01, J19 04-19
    "immersions_par_jeune": (0.12, None, None),  # immersions / jeunes suivis = 2 / 17 = 0.1176… (2 decimals)
    # ended in P: A04 (2024-01-01 = d1, emploi_durable +), A05 (abandon), A07 (emploi +), A09 (formation
    # qualifiante +), A13 (emploi_durable +), A15 (2024-12-31 = d2, alternance +): 100 × 5 / 6 = 83.33
    "sorties_positives": (83.3, 5, 6),
    "droits_ouverts": (2, None, None),  # J10 santé, logement
    "partenaires_mobilises": (2, None, None),  # J10 caf, santé (2024-12-31)
    # orientations in P of jeunes in scope: J02 10 days (not of S(P), still counts), J03 0 (same day),
    # J09 30 (entretien 10-01; his premier_rdv of 08-31 is before), J09 31, J14 never, J15 3
    # (her orientation of 2023-12-31 is outside P); delays 0 3 10 30 31 → median 10
    "delai_entree_jours": (10.0, None, 5),
    "entree_sous_30j": (66.7, 4, 6),  # ≤ 30 days: 0 3 10 30 → 100 × 4 / 6 = 66.67
    # --- prevention
    "risques_detectes": (3, None, None),  # J10 ressources, mobilité; J07 logement (J02 is not of S(P))
    "ruptures_evitees": (2, None, None),  # J10 santé 02-01, logement 05-01 (J07's is in 2025)
    "ruptures_survenues": (1, None, None),  # J10 ressources
    "taux_ruptures_evitees": (66.7, 2, 3),
    # open at d2: J10 justice (2023, never settled), J10 mobilité (the évitée of 05-01 is logement),
    # J07 logement (settled 2025-01-15, after d2). Settled: J10 santé, logement (2023-12-20 → 05-01),
    # ressources (same day)
    "risques_ouverts": (3, None, None),
    # d: ≥ 90 days of an accompagnement in P: all of S(P) but J03 (1 day) and J09 (89 days) = 15
    # (J21: 2024-10-03 .. 12-31 = 90 days, counted). n: J01 (largest gap 77), J07 (87), J08 (W 03-01 ..
    # 05-30, a gap of exactly 90), J16 (72), J20 (77), J21 (89) = 6. Not: J04 (W starts at d1: gap 157),
    # J05, J06, J10 (rupture survenue), J12, J13, J14, J18, J19 (a gap of 91: 07-15 → 10-14).
    "parcours_securises": (40.0, 6, 15),
    # J04 (interim 157 days after his last jalon), J05 (formation after a sanction that shares its date
    # with an entretien), J20 (reprise de scolarité after a décrochage). Not: J19 (exactly 90 days),
    # J18 (first ever jalon; the entretien is on the same day), J01, J09, J12
    "retours_dynamique": (3, None, None),
    # d: spells overlapping P: J05 (her sortie of 2023-01-01 is not after her ouverture of that day: the spell
    # stays open), J06 (three spells, two ouvertures end at the same sortie), J07, J12,
    # J13, J19 = 6 (J11 is not of S(P)). n: open at d2 and started ≤ 2024-01-01: J05 (2023-01-01),
    # J19 (2024-01-01 exactly); not J07 (2024-01-02), J13 (2024-12-01). 100 × 2 / 6 = 33.33
    "ancrage_rsa": (33.3, 2, 6),
    "sorties_rsa": (4, None, None),  # J06 02-15 and 09-30, J12 07-01, J13 12-01 (J11 is not of S(P))
    # sorties in [2023-07-02, 2024-07-01] of jeunes in scope: J02 2023-07-02 (maintained; his 07-01 is
    # outside), J07 2023-12-01 (reopened after 32 days), J11 2023-08-01 (reopened after exactly 183 days),
    # J06 2024-02-15 (after 101), J12 2024-07-01 (next ouverture after 184 days: maintained). 2 / 5
    "maintien_hors_rsa_6m": (40.0, 2, 5),
    # --- impact: days out of the RSA after the sorties of P (as_of 2025-03-31)
    # J06 02-15 → next ouverture 05-26: 101 days (at 607.75 €, before 2024-04-01)
    # J06 09-30 → as_of: 182 days; J12 07-01 → 2025-01-01: 184; J13 12-01 → as_of: 120 (the ouverture of
    # the same day is not after it); all three at 635.71 €. 587 days / 30.4375 = 19.29 months
    "mois_rsa_evites": (19.3, None, None),
    # (101 × 607.75 + 486 × 635.71) / 30.4375 = 370 337.81 / 30.4375 = 12 167.156
    "couts_evites_bruts_eur": (12167.16, None, None),
    "couts_evites_nets_eur": (2920.12, None, None),  # 12 167.16 × 0.30 × 0.80 = 2 920.118
    "euros_evites_par_euro_investi": (0.01, None, None),  # 2 920.12 / 336 600 = 0.0087
    # financeur CD, 2024 only (366/366): ML13001 RSA 100 000 + ML84001 CEJ 36 600 (the 2023 TOUS weighs 0;
    # without a dispositif filter every dispositif counts)
    "budget_cd_eur": (136600.0, None, None),
    "euros_evites_par_euro_cd": (0.02, None, None),  # 2 920.12 / 136 600 = 0.0214
}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path_factory):
    """The hand-computed data set in a store of each database, shared by the read-only tests."""
    from tests.conftest import new_postgres_database, new_sqlite_database

    folder = tmp_path_factory.mktemp("engine")
    if request.param == "sqlite":
        url = new_sqlite_database(request.getfixturevalue("sqlite_template"), folder)
    else:
        url = new_postgres_database(
            request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_template")
        )
    engine = make_engine(url)
    result = import_paths(engine, [write_tables(folder / "data", DATA)], today=TODAY, author="tests")
    assert result.exit_code == 0, [str(p) for p in result.problems[:5]]
    yield engine
    engine.dispose()


def triples(values) -> dict:
    return {code: (v.valeur, v.numerateur, v.denominateur) for code, v in values.items()}


def figure(store, code, periode=P, perimetre=NATIONAL, filtres=Filtres(), as_of=None):
    return compute(store, periode, perimetre, filtres, as_of, [code])[code]


# --- every indicator ---------------------------------------------------------------------------------
def test_every_indicator_national_2024(store):
    values = compute(store, P, NATIONAL)
    assert list(values) == list(CODES)
    assert triples(values) == EXPECTED_2024
    assert not any(v.masque for v in values.values())


def test_a_large_followed_set_without_its_index_gives_the_same_figures(store, monkeypatch):
    """On PostgreSQL a large S(P) is not indexed (it is hashed for every join): same figures, by structure too."""
    import indicators.sql

    monkeypatch.setattr(indicators.sql, "HASH_JOIN_ROWS", 0)
    cache.clear()
    assert triples(compute(store, P, NATIONAL)) == EXPECTED_2024
    by_structure = breakdown(store, P, NATIONAL, "parcours_securises", "structure")
    assert by_structure.numerateur.tolist() == [2, 3, 1, 0, 0, 6]
    cache.clear()


def test_as_of_is_the_latest_jalon(store):
    assert resolve_as_of(store) == dt.date(2025, 3, 31)
    assert triples(compute(store, P, NATIONAL, as_of=dt.date(2025, 3, 31))) == EXPECTED_2024


def test_net_avoided_costs_carry_the_low_and_high_cases(store):
    nets = figure(store, "couts_evites_nets_eur")
    # 12 167.16 × (1 − 0.80) × (1 − 0.30) = 1 703.40; × (1 − 0.60) × (1 − 0.10) = 4 380.18
    assert nets.details["bas"] == 1703.40
    assert nets.details["haut"] == 4380.18


def test_months_out_of_rsa_floored_at_zero_before_as_of(store):
    values = compute(
        store, P, NATIONAL, as_of=dt.date(2024, 10, 31), codes=["mois_rsa_evites", "couts_evites_bruts_eur"]
    )
    # J06 02-15: 101 (reopened before as_of); J06 09-30: 31 (to as_of); J12 07-01: 122 (to as_of, before
    # the 2025 ouverture); J13 12-01: as_of is 31 days before it → 0. 254 / 30.4375 = 8.34
    assert values["mois_rsa_evites"].valeur == 8.3
    # (101 × 607.75 + 153 × 635.71) / 30.4375 = (61 382.75 + 97 263.63) / 30.4375 = 5 212.20
    assert values["couts_evites_bruts_eur"].valeur == 5212.20


def test_codes_selects_and_keeps_the_registry_order(store):
    values = compute(store, P, NATIONAL, codes=["acces_emploi", "jeunes_suivis"])
    assert list(values) == ["jeunes_suivis", "acces_emploi"]
    with pytest.raises(KeyError, match="inconnu"):
        compute(store, P, NATIONAL, codes=["nimporte_quoi"])


# --- scopes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "perimetre, expected",
    [
        (structure("ML13001"), 5),  # J01 J06 J08 J09 J12
        (structure("ML13002"), 5),  # J03 J07 J13 J16 J20
        (structure("ML84001"), 3),  # J04 J10 J18
        (structure("ML59001"), 4),  # J05 J14 J19 J21
        (Perimetre(Echelon.DEPARTEMENT, "13"), 10),
        (Perimetre(Echelon.DEPARTEMENT, "84"), 3),
        (Perimetre(Echelon.REGION, "93"), 13),  # Provence-Alpes-Côte d'Azur: 13 and 84
        (Perimetre(Echelon.REGION, "32"), 4),  # Hauts-de-France: 59
    ],
)
def test_jeunes_suivis_by_scope(store, perimetre, expected):
    assert figure(store, "jeunes_suivis", perimetre=perimetre).valeur == expected


@pytest.mark.parametrize(
    "perimetre", [structure("ML75001"), Perimetre(Echelon.REGION, "11"), Perimetre(Echelon.DEPARTEMENT, "2A")]
)
def test_empty_scope_gives_zero_counts_and_no_ratios(store, perimetre):
    values = compute(store, P, perimetre)
    for code, v in values.items():
        if v.numerateur is not None:  # ratios: d = 0, no value
            assert (v.valeur, v.numerateur, v.denominateur) == (None, 0, 0), code
    assert values["jeunes_suivis"].valeur == 0
    assert values["entretiens"].valeur == 0
    assert values["entretiens_par_jeune"].valeur is None
    assert values["cout_par_jeune_eur"].valeur is None
    assert values["delai_entree_jours"].valeur is None and values["delai_entree_jours"].denominateur == 0
    assert values["mois_rsa_evites"].valeur == 0.0
    assert values["budget_eur"].valeur == 0.0
    assert values["euros_evites_par_euro_investi"].valeur is None


@pytest.mark.parametrize(
    "perimetre, message",
    [
        (structure("ML00000"), "structure inconnue"),
        (Perimetre(Echelon.DEPARTEMENT, "00"), "département inconnu"),
        (Perimetre(Echelon.REGION, "99"), "région inconnue"),
    ],
)
def test_unknown_scope_is_refused(store, perimetre, message):
    with pytest.raises(PerimetreInconnu, match=message):
        compute(store, P, perimetre)


def test_structure_ml13002_without_budget(store):
    values = compute(store, P, structure("ML13002"))
    assert values["budget_eur"].valeur == 0.0
    assert values["cout_par_jeune_eur"].valeur == 0.0  # 0 / 5
    # J13 2024-12-01 → as_of: 120 days at 635.71 € = 120 × 635.71 / 30.4375 = 2 506.29; 120 / 30.4375 = 3.94
    assert values["mois_rsa_evites"].valeur == 3.9
    assert values["couts_evites_bruts_eur"].valeur == 2506.29
    assert values["couts_evites_nets_eur"].valeur == 601.51  # 2 506.29 × 0.24 = 601.51
    assert values["euros_evites_par_euro_investi"].valeur is None  # budget 0


def test_structure_ml84001(store):
    values = compute(store, P, structure("ML84001"))
    assert values["budget_eur"].valeur == 36600.0
    assert values["cout_par_jeune_eur"].valeur == 12200.0  # 36 600 / 3
    assert triples({k: values[k] for k in ("sorties_positives", "parcours_securises", "retours_dynamique")}) == {
        "sorties_positives": (50.0, 1, 2),  # A04 emploi_durable, A05 abandon
        "parcours_securises": (0.0, 0, 3),  # J04 (gap 157), J10 (rupture survenue), J18 (gap 334)
        "retours_dynamique": (1, None, None),  # J04
    }


def test_median_of_an_even_number_of_delays(store):
    values = compute(store, P, structure("ML13001"), codes=["delai_entree_jours", "entree_sous_30j"])
    # J02 10, J09 30 and 31, J15 3 → 3 10 30 31: median (10 + 30) / 2 = 20
    assert triples(values) == {"delai_entree_jours": (20.0, None, 4), "entree_sous_30j": (75.0, 3, 4)}


def test_region_hauts_de_france(store):
    values = compute(
        store, P, Perimetre(Echelon.REGION, "32"), codes=["ancrage_rsa", "maintien_hors_rsa_6m", "budget_eur"]
    )
    assert triples(values) == {
        "budget_eur": (0.0, None, None),  # only 2025 money
        "ancrage_rsa": (100.0, 2, 2),  # J05, J19
        "maintien_hors_rsa_6m": (0.0, 0, 1),  # J11 2023-08-01, reopened after 183 days (J11 is in scope)
    }


# --- filters ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "filtres, expected",
    [
        (Filtres(sexe="F"), 11),  # J01 J03 J05 J07 J08 J10 J12 J14 J16 J20 J21
        (Filtres(sexe="H"), 6),
        (Filtres(tranche_age="16-17"), 2),  # J20 (17) and J03 (15: younger counts in 16-17)
        (Filtres(tranche_age="18-21"), 10),
        (Filtres(tranche_age="22-25"), 3),  # J01 J09 (22) J10
        (Filtres(tranche_age="26+"), 2),  # J04 (28), J07 (26)
        (Filtres(niveau_formation="3"), 6),  # J03 J06 J08 J14 J18 J21
        (Filtres(niveau_formation="5plus"), 2),
        (Filtres(qpv=True), 4),  # J01 J08 J18 J20
        (Filtres(frr=True), 3),  # J03 J10 J19
        (Filtres(rqth=True), 2),  # J04 J12
        (Filtres(dispositif="RSA"), 6),
        (Filtres(dispositif="CEJ"), 6),  # J01 J04 J09 J14 J19 J21
        (Filtres(sexe="F", qpv=True, tranche_age="22-25"), 1),  # J01
    ],
)
def test_jeunes_suivis_by_filter(store, filtres, expected):
    assert figure(store, "jeunes_suivis", filtres=filtres).valeur == expected


def test_filters_apply_to_every_count(store):
    values = compute(store, P, NATIONAL, Filtres(sexe="F"), codes=["acces_emploi", "entretiens"])
    # women with an emploi: J01, J12 → 100 × 2 / 11 = 18.18; entretiens: J01 7 + J05 1 + J07 4 + J16 4 = 16
    assert triples(values) == {"entretiens": (16, None, None), "acces_emploi": (18.2, 2, 11)}
    values = compute(store, P, NATIONAL, Filtres(qpv=True), codes=["entretiens"])
    assert values["entretiens"].valeur == 8  # J01 7 + J18 1
    values = compute(store, P, NATIONAL, Filtres(frr=True), codes=["risques_detectes"])
    assert values["risques_detectes"].valeur == 2  # J10
    values = compute(store, P, NATIONAL, Filtres(rqth=True), codes=["sorties_positives"])
    assert triples(values) == {"sorties_positives": (66.7, 2, 3)}  # A04 +, A05 −, A13 +
    values = compute(
        store, P, NATIONAL, Filtres(tranche_age="16-17"), codes=["retours_dynamique", "parcours_securises"]
    )
    assert triples(values) == {"parcours_securises": (100.0, 1, 1), "retours_dynamique": (1, None, None)}  # J20


def test_dispositif_filter_applies_everywhere(store):
    values = compute(store, P, NATIONAL, Filtres(dispositif="RSA"))
    assert values["jeunes_suivis"].valeur == 6  # J05 J06 J07 J12 J13 J16
    # earliest RSA start in P: J13 (2024-02-01), J16 (2024-04-01: her CEJ of 2023 no longer counts)
    assert values["nouveaux_entrants"].valeur == 2
    assert values["budget_eur"].valeur == 300000.0  # RSA 100 000 + TOUS 200 000
    assert triples({"s": values["sorties_positives"]}) == {"s": (100.0, 2, 2)}  # A07, A13
    # d: RSA accompagnement ≥ 90 days in P: all six; n: J07, J16
    assert (values["parcours_securises"].numerateur, values["parcours_securises"].denominateur) == (2, 6)
    # jeunes in scope through an RSA accompagnement at any date: J05 J06 J07 J11 J12 J13 J16, none oriented in P
    assert (values["delai_entree_jours"].valeur, values["delai_entree_jours"].denominateur) == (None, 0)
    assert (values["entree_sous_30j"].numerateur, values["entree_sous_30j"].denominateur) == (0, 0)
    # sorties in [2023-07-02, 2024-07-01]: J07, J11, J06 reopened; J12 maintained (J02 has no RSA accompagnement)
    assert triples({"m": values["maintien_hors_rsa_6m"]}) == {"m": (25.0, 1, 4)}
    assert figure(store, "budget_eur", filtres=Filtres(dispositif="CEJ")).valeur == 236600.0  # TOUS 200 000 + 36 600


def test_budget_of_the_departement_follows_the_dispositif_filter(store):
    """budget_cd_eur: as budget_eur over the financeur CD only (with a dispositif: that one or TOUS)."""
    rsa = compute(store, P, NATIONAL, Filtres(dispositif="RSA"), codes=["budget_cd_eur", "budget_eur"])
    # CD RSA 100 000 (2024); ETAT TOUS 200 000 is not the Département's; CD CEJ 36 600 is another dispositif
    assert (rsa["budget_cd_eur"].valeur, rsa["budget_eur"].valeur) == (100000.0, 300000.0)
    assert figure(store, "budget_cd_eur", filtres=Filtres(dispositif="CEJ")).valeur == 36600.0
    assert figure(store, "budget_cd_eur", perimetre=structure("ML13002")).valeur == 0.0
    # no CD money: no ratio (never a division by zero)
    assert figure(store, "euros_evites_par_euro_cd", perimetre=structure("ML13002")).valeur is None
    # RSA filter: net 2 920.12 (J06, J12, J13 all have an RSA accompagnement) / 100 000 = 0.029 → 0.03
    values = compute(store, P, NATIONAL, Filtres(dispositif="RSA"), codes=["couts_evites_nets_eur", "euros_evites_par_euro_cd"])
    assert (values["couts_evites_nets_eur"].valeur, values["euros_evites_par_euro_cd"].valeur) == (2920.12, 0.03)
    # prorated like the budget: 2023-07-01 .. 2024-06-30 holds 184 days of 2023 and 182 of 2024 (leap year)
    periode = Periode(dt.date(2023, 7, 1), dt.date(2024, 6, 30))
    # ML13001 TOUS 50 000 × 184/365 = 25 205.479… + ML13001 RSA 100 000 × 182/366 = 49 726.775…
    # + ML84001 CEJ 36 600 × 182/366 = 18 200 → 93 132.2554…
    assert figure(store, "budget_cd_eur", periode=periode).valeur == 93132.26


# --- periods ------------------------------------------------------------------------------------------
def test_budget_prorated_over_two_years(store):
    periode = Periode(dt.date(2024, 7, 1), dt.date(2025, 6, 30))
    # 336 600 × 184 / 366 (2024, leap) + 73 000 × 181 / 365 (2025) = 169 219.67 + 36 200 = 205 419.67
    assert figure(store, "budget_eur", periode=periode).valeur == 205419.67


@pytest.mark.parametrize(
    "debut, fin, suivis, entretiens",
    [
        ("2024-01-01", "2024-01-31", 9, 3),  # J01 J04 (ends 01-01) J05 J06 J07 J10 J12 J18 J19; 01-01, 01-10, 01-20
        ("2024-02-01", "2024-02-29", 9, 2),  # J04 out, J13 in; 02-29 (leap day) and J18's 02-01
        ("2024-02-29", "2024-02-29", 9, 1),  # the February set; J01's entretien of the leap day
        # J01 J02 (his last day) J04 J05 J06 J07 J10 J12 J16 (her CEJ's last day) J19; J01's entretien
        ("2023-12-31", "2023-12-31", 10, 1),
        # J01 J03 J05 J07 J09 J10 J13 J16 J17 (his first day) J18 J19 J20 J21; J17's entretien
        ("2025-01-01", "2025-01-01", 13, 1),
    ],
)
def test_period_boundaries(store, debut, fin, suivis, entretiens):
    periode = Periode(dt.date.fromisoformat(debut), dt.date.fromisoformat(fin))
    values = compute(store, periode, NATIONAL, codes=["jeunes_suivis", "entretiens"])
    assert (values["jeunes_suivis"].valeur, values["entretiens"].valeur) == (suivis, entretiens)


# --- breakdowns ---------------------------------------------------------------------------------------
def rows(frame: pd.DataFrame) -> dict:
    """{modalite: (valeur, numerateur, denominateur)} with None for missing numbers."""
    clean = frame.astype(object).where(frame.notna(), None)
    return {r.modalite: (r.valeur, r.numerateur, r.denominateur) for r in clean.itertuples()}


def test_breakdown_by_structure_adds_up_to_the_total(store):
    frame = breakdown(store, P, NATIONAL, "jeunes_suivis", "structure")
    assert list(frame.columns) == ["modalite", "libelle", "valeur", "numerateur", "denominateur", "cle", "cle_denominateur"]
    # the cell keys of disjoint groups add up (mod 256) to the key of their union: the Total (issue 16)
    parts = frame[frame["modalite"] != "Total"]
    assert int(parts["cle"].sum()) % 256 == int(frame.loc[frame["modalite"] == "Total", "cle"].iloc[0])
    assert rows(frame) == {
        "ML13001": (5, None, None),
        "ML13002": (5, None, None),
        "ML59001": (4, None, None),
        "ML75001": (0, None, None),
        "ML84001": (3, None, None),
        "Total": (17, None, None),
    }
    assert frame.libelle.tolist()[0] == "Mission Locale de Marseille"
    assert frame.libelle.tolist()[-1] == "Total"


def test_breakdown_of_a_ratio_sums_numerators_and_denominators(store):
    frame = breakdown(store, P, NATIONAL, "parcours_securises", "structure")
    assert rows(frame) == {
        "ML13001": (50.0, 2, 4),  # d: J01 J06 J08 J12 (J09: 89 days); n: J01 J08
        "ML13002": (75.0, 3, 4),  # d: J07 J13 J16 J20; n: J07 J16 J20
        "ML59001": (25.0, 1, 4),  # d: J05 J14 J19 J21; n: J21
        "ML75001": (None, 0, 0),
        "ML84001": (0.0, 0, 3),
        "Total": (40.0, 6, 15),
    }


@pytest.mark.parametrize(
    "code, dimension, expected",
    [
        ("acces_emploi", "sexe", {"F": (18.2, 2, 11), "H": (33.3, 2, 6), "Total": (23.5, 4, 17)}),
        ("jeunes_suivis", "tranche_age", {"16-17": 2, "18-21": 10, "22-25": 3, "26+": 2, "Total": 17}),
        (
            "jeunes_suivis",
            "niveau_formation",
            {"infra3": 4, "3": 6, "4": 4, "5plus": 2, "non_renseigne": 1, "Total": 17},
        ),
        ("jeunes_suivis", "qpv", {"oui": 4, "non": 13, "Total": 17}),
        ("jeunes_suivis", "frr", {"oui": 3, "non": 14, "Total": 17}),
        ("jeunes_suivis", "rqth", {"oui": 2, "non": 15, "Total": 17}),
        ("jeunes_suivis", "departement", {"13": 10, "59": 4, "75": 0, "84": 3, "Total": 17}),
        ("jeunes_suivis", "region", {"11": 0, "32": 4, "93": 13, "Total": 17}),
        # J04 is followed in CEJ and in DROIT_COMMUN: the rows add up to 18, the total stays 17
        (
            "jeunes_suivis",
            "dispositif",
            {"RSA": 6, "CEJ": 6, "PACEA": 1, "ASE": 1, "OF": 2, "DROIT_COMMUN": 2, "Total": 17},
        ),
        # new in a dispositif: its earliest accompagnement of that dispositif starts in 2024. J16 is new in RSA
        # though not overall (his CEJ ended in 2023); J04 is new in CEJ, not in DROIT_COMMUN (since 2022)
        (
            "nouveaux_entrants",
            "dispositif",
            {"RSA": 2, "CEJ": 4, "PACEA": 1, "ASE": 0, "OF": 2, "DROIT_COMMUN": 1, "Total": 8},
        ),
        # orientations by the dispositif of the jeune at any date: CEJ J09 30 ✓ 31 ✗, J14 never; PACEA J02;
        # OF J03; J15 has no accompagnement: in the total only
        (
            "entree_sous_30j",
            "dispositif",
            {
                "RSA": (None, 0, 0),
                "CEJ": (33.3, 1, 3),
                "PACEA": (100.0, 1, 1),
                "ASE": (None, 0, 0),
                "OF": (100.0, 1, 1),
                "DROIT_COMMUN": (None, 0, 0),
                "Total": (66.7, 4, 6),
            },
        ),
        (
            "risques_detectes",
            "domaine",
            {
                "logement": 1,
                "sante": 0,
                "ressources": 1,
                "mobilite": 1,
                "justice": 0,
                "famille": 0,
                "administratif": 0,
                "decrochage": 0,
                "numerique": 0,
                "Total": 3,
            },
        ),
        (
            "taux_ruptures_evitees",
            "domaine",
            {
                "logement": (100.0, 1, 1),
                "sante": (100.0, 1, 1),
                "ressources": (0.0, 0, 1),
                "mobilite": (None, 0, 0),
                "justice": (None, 0, 0),
                "famille": (None, 0, 0),
                "administratif": (None, 0, 0),
                "decrochage": (None, 0, 0),
                "numerique": (None, 0, 0),
                "Total": (66.7, 2, 3),
            },
        ),
        ("risques_ouverts", "domaine", {"logement": 1, "mobilite": 1, "justice": 1}),
        ("partenaires_mobilises", "domaine", {"caf": 1, "sante": 1, "logement": 0, "Total": 2}),
    ],
)
def test_breakdowns(store, code, dimension, expected):
    got = rows(breakdown(store, P, NATIONAL, code, dimension))
    expected = {k: v if isinstance(v, tuple) else (v, None, None) for k, v in expected.items()}
    assert {k: got[k] for k in expected} == expected
    assert got["Total"] == (
        figure(store, code).valeur,
        figure(store, code).numerateur,
        figure(store, code).denominateur,
    )


def test_breakdown_within_filters(store):
    frame = breakdown(store, P, NATIONAL, "jeunes_suivis", "sexe", Filtres(dispositif="RSA"))
    assert rows(frame) == {
        "F": (4, None, None),
        "H": (2, None, None),
        "Total": (6, None, None),
    }  # J05 J07 J12 J16 / J06 J13
    # a dispositif filter with a breakdown on the young person: the orientations of CEJ jeunes by sexe
    frame = breakdown(store, P, NATIONAL, "entree_sous_30j", "sexe", Filtres(dispositif="CEJ"))
    assert rows(frame) == {
        "F": (0.0, 0, 1),  # J14: never seen
        "H": (50.0, 1, 2),  # J09: 30 days ✓, 31 days ✗
        "Total": (33.3, 1, 3),
    }


def test_the_median_delay_breaks_down_each_group_as_its_own_filter(store):
    """`delai_entree_jours` by sexe: each group's median is the figure computed with that filter (not a sum)."""
    frame = breakdown(store, P, NATIONAL, "delai_entree_jours", "sexe")
    by = {r.modalite: r for r in frame.itertuples()}
    for sexe in ("F", "H"):
        expected = compute(store, P, NATIONAL, Filtres(sexe=sexe), codes=["delai_entree_jours"])["delai_entree_jours"]
        assert (by[sexe].valeur, by[sexe].denominateur) == (expected.valeur, expected.denominateur), sexe
    total = compute(store, P, NATIONAL, codes=["delai_entree_jours"])["delai_entree_jours"]
    assert (by["Total"].valeur, by["Total"].denominateur) == (total.valeur, total.denominateur)


def test_breakdown_refuses_what_it_cannot_do(store):
    with pytest.raises(ValueError, match="comptages, les taux et le délai"):
        breakdown(store, P, NATIONAL, "entretiens_par_jeune", "sexe")
    with pytest.raises(ValueError, match="domaine"):
        breakdown(store, P, NATIONAL, "acces_emploi", "domaine")
    with pytest.raises(ValueError, match="dimension inconnue"):
        breakdown(store, P, NATIONAL, "acces_emploi", "couleur")


# --- trends and comparison -------------------------------------------------------------------------------
def test_monthly_trend(store):
    frame = trend(store, dt.date(2024, 1, 1), dt.date(2024, 3, 31), NATIONAL, ["entretiens", "jeunes_suivis"])
    assert list(frame.columns) == ["mois", "code", "valeur", "numerateur", "denominateur", "cle", "cle_denominateur", "incomplet"]
    got = {(r.mois, r.code): r.valeur for r in frame.itertuples()}
    assert got == {
        (dt.date(2024, 1, 1), "jeunes_suivis"): 9,
        (dt.date(2024, 1, 1), "entretiens"): 3,  # 01-01 01-10 01-20
        (dt.date(2024, 2, 1), "jeunes_suivis"): 9,
        (dt.date(2024, 2, 1), "entretiens"): 2,  # 02-01 and 02-29
        (dt.date(2024, 3, 1), "jeunes_suivis"): 10,
        (dt.date(2024, 3, 1), "entretiens"): 2,  # J08 joins
    }
    assert not frame.incomplet.any()


def test_trend_marks_the_incomplete_month(store):
    frame = trend(store, dt.date(2025, 2, 10), dt.date(2025, 4, 2), NATIONAL, "entretiens")
    # as_of 2025-03-31 is the last day of March: only April (after as_of) is incomplete
    assert frame.mois.tolist() == [dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1)]
    assert frame.valeur.tolist() == [0, 1, 0]  # J17's entretien of 03-31
    assert frame.incomplet.tolist() == [False, False, True]
    frame = trend(store, dt.date(2025, 2, 1), dt.date(2025, 3, 31), NATIONAL, "entretiens", as_of=dt.date(2025, 3, 15))
    assert frame.incomplet.tolist() == [False, True]


def test_compare_with_the_previous_period(store):
    result = compare(store, P, NATIONAL, codes=["jeunes_suivis", "acces_emploi"])
    assert list(result) == ["jeunes_suivis", "acces_emploi"]
    current, previous = result["jeunes_suivis"]
    # P has 366 days: the previous period is 2022-12-31 .. 2023-12-31, where J01 J02 J04 J05 J06 J07 J10 J11
    # J12 J16 J19 are followed; only J04 reaches an emploi in it (his cdi of 2023-12-31)
    assert P.precedente() == Periode(dt.date(2022, 12, 31), dt.date(2023, 12, 31))
    assert (current.valeur, previous.valeur) == (17, 11)
    assert result["acces_emploi"][1].numerateur == 1 and result["acces_emploi"][1].valeur == 9.1  # 100 × 1 / 11


# --- cache ------------------------------------------------------------------------------------------------
def test_cache_serves_repeats_and_an_import_invalidates_it(engine, tmp_path):
    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    first = compute(engine, P, NATIONAL, codes=["jeunes_suivis"])
    hits = cache.CACHE.hits
    assert compute(engine, P, NATIONAL, codes=["jeunes_suivis"]) == first
    assert cache.CACHE.hits == hits + 1
    more = {
        "jeunes": "id_jeune;code_structure;annee_naissance;sexe\nJ22;ML75001;2004;F\n",
        "accompagnements": "id_accompagnement;id_jeune;dispositif;date_debut\nA23;J22;CEJ;2024-06-01\n",
    }
    assert import_paths(engine, [write_tables(tmp_path / "b", more)], today=TODAY).exit_code == 0
    assert compute(engine, P, NATIONAL, codes=["jeunes_suivis"])["jeunes_suivis"].valeur == 18
    assert compute(engine, P, structure("ML75001"), codes=["jeunes_suivis"])["jeunes_suivis"].valeur == 1


def test_cached_values_cannot_be_altered_by_a_caller(store):
    values = compute(store, P, NATIONAL, codes=["couts_evites_nets_eur"])
    values["couts_evites_nets_eur"].details["bas"] = -1
    values.clear()
    again = compute(store, P, NATIONAL, codes=["couts_evites_nets_eur"])
    assert again["couts_evites_nets_eur"].details["bas"] == 1703.40


def test_empty_store(engine):
    values = compute(engine, P, NATIONAL)
    assert values["jeunes_suivis"].valeur == 0 and values["acces_emploi"].valeur is None
    assert resolve_as_of(engine) is None


# --- the arithmetic helpers -------------------------------------------------------------------------------
def test_rounding_is_half_up():
    assert arrondi(1.25, 1) == 1.3  # round() would give 1.2
    assert arrondi(2.675, 2) == 2.68  # the float 2.675 is 2.67499…: rounded as written
    assert arrondi(-0.0, 1) == 0.0


def test_median_and_prorata():
    assert median({}) is None
    assert median({5: 1}) == 5
    assert median({1: 1, 4: 1}) == 2.5
    assert median({0: 2, 10: 1, 30: 1}) == 5  # 0 0 10 30
    assert prorata(2024, P) == 1
    assert prorata(2023, P) == 0
    assert prorata(2024, Periode(dt.date(2024, 2, 1), dt.date(2024, 2, 29))) * 366 == 29


def test_months_are_whole_calendar_months():
    assert months(dt.date(2024, 1, 15), dt.date(2024, 3, 1)) == [
        Periode(dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
        Periode(dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        Periode(dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
    ]


# --- the analytics table (migration 0002) ------------------------------------------------------------------
def analytics(engine, names=("jour_precedent", "coupure_precedente", "suivant")) -> dict:
    """{(id_jeune, date, type, domaine): (values of the columns `names`)} of the whole analytics table."""
    from sqlalchemy import Date, select

    from indicators.facts.analytique import ANALYTIQUE as D
    from indicators.sql import as_date

    columns = [D.c[n] for n in names]
    read = [as_date if isinstance(c.type, Date) else (lambda x: x) for c in columns]
    with engine.connect() as conn:
        rows = conn.execute(select(D.c.id_jeune, D.c.date, D.c.type, D.c.domaine, *columns)).all()
    return {(r[0], as_date(r[1]), r[2], r[3]): tuple(f(x) for f, x in zip(read, r[4:])) for r in rows}


def write_sql(engine, *statements: str) -> None:
    """Write straight to the store in one transaction, as a script would, and bump the data version."""
    from sqlalchemy import text

    with engine.begin() as conn:
        for statement in (*statements, "UPDATE parametres SET valeur = valeur || '0' WHERE cle = 'data_version'"):
            conn.execute(text(statement))


def test_analytics_rows_carry_their_neighbours(store):
    compute(store, P, NATIONAL, codes=["jeunes_suivis"])  # refreshes the table
    rows = analytics(store)
    d = dt.date.fromisoformat
    # the previous day with a jalon, and whether it held a break (the sanction shares its day with an entretien)
    assert rows[("J05", d("2024-05-01"), "formation_qualifiante", None)] == (d("2024-03-10"), 1, None)
    assert rows[("J19", d("2024-04-19"), "immersion", None)][:2] == (d("2024-01-20"), 0)
    assert rows[("J18", d("2024-02-01"), "immersion", None)][0] is None  # first day of his jalons
    # next answers: contact on or after, settlement on or after (same domaine), RSA strictly after
    assert rows[("J09", d("2024-09-01"), "orientation_recue", None)][2] == d("2024-10-01")
    assert rows[("J03", d("2024-12-20"), "orientation_recue", None)][2] == d("2024-12-20")
    assert rows[("J14", d("2024-04-20"), "orientation_recue", None)][2] is None
    assert rows[("J10", d("2024-03-05"), "risque_rupture", "ressources")][2] == d("2024-03-05")
    assert rows[("J10", d("2024-04-01"), "risque_rupture", "mobilite")][2] is None
    assert rows[("J07", d("2024-06-10"), "risque_rupture", "logement")][2] == d("2025-01-15")
    assert rows[("J05", d("2023-01-01"), "rsa_ouverture", None)][2] is None  # the sortie of that day is not after
    assert rows[("J06", d("2023-06-01"), "rsa_ouverture", None)][2] == d("2024-02-15")
    assert rows[("J06", d("2023-09-01"), "rsa_ouverture", None)][2] == d("2024-02-15")
    assert rows[("J13", d("2024-12-01"), "rsa_sortie", None)][2] is None
    assert rows[("J06", d("2024-02-15"), "rsa_sortie", None)][2] == d("2024-05-26")
    assert len(rows) == DATA["jalons"].count("\n") - 1
    # the first jalon of each day in id_jalon order (migration 0006)
    first = {key: values[0] for key, values in analytics(store, ("premier_du_jour",)).items()}
    assert first[("J05", d("2024-03-10"), "entretien", None)] == 1  # K0502
    assert first[("J05", d("2024-03-10"), "rsa_sanction", None)] == 0  # K0503, same day
    assert first[("J05", d("2023-01-01"), "rsa_sortie", None)] == 1  # K0500 before K0501
    assert first[("J05", d("2023-01-01"), "rsa_ouverture", None)] == 0
    assert first[("J10", d("2024-02-01"), "rupture_evitee", "sante")] == 1  # K1004, then K1005 and K1006
    assert first[("J10", d("2024-02-01"), "droit_ouvert", "sante")] == 0
    assert first[("J10", d("2024-02-01"), "mobilisation_partenaire", "caf")] == 0
    assert sum(first.values()) == len({(key[0], key[1]) for key in first})  # one per young person and day


def family_columns(engine) -> dict:
    """{(id_jeune, date, type): (jour_suivant, emploi_, durable_, formation_, retour_precedent)} (migration 0005)."""
    names = ("jour_suivant", "emploi_precedent", "durable_precedent", "formation_precedent", "retour_precedent")
    return {key[:3]: values for key, values in analytics(engine, names).items()}


def test_analytics_rows_mark_the_first_jalon_of_each_family(engine, tmp_path):
    """Previous jalon of the same family in (date, id_jalon) order, on that family's jalons only; next day."""
    d = dt.date.fromisoformat
    extra = (
        "K0111;J01;2024-10-01;alternance;;;\n"  # an emploi on the day of J01's CDI, after it in id order
        "K1908;J19;2024-08-01;immersion;;;\n"  # after 2024-07-15: no return (17 days)
        "K2003;J20;2025-03-01;service_civique;;;\n"  # 137 days after 2024-10-15: a second return
    )
    data = {**DATA, "jalons": DATA["jalons"] + extra}
    assert import_paths(engine, [write_tables(tmp_path / "a", data)], today=TODAY).exit_code == 0
    before = figure(engine, "acces_emploi")
    rows = family_columns(engine)
    # J01: CDI (emploi and durable, first of both), alternance the same day (emploi: the CDI's day), CDD court
    assert rows[("J01", d("2024-10-01"), "emploi_cdi")] == (d("2024-11-15"), None, None, None, None)
    assert rows[("J01", d("2024-10-01"), "alternance")] == (d("2024-11-15"), d("2024-10-01"), None, None, None)
    assert rows[("J01", d("2024-11-20"), "emploi_cdd_court")][1:3] == (d("2024-10-01"), None)
    assert rows[("J01", d("2024-12-31"), "entretien")] == (None, None, None, None, None)  # last jalon, no family
    # J04: the CDI of 2023 precedes the intérim of 2024 (its first emploi in 2024 all the same)
    assert rows[("J04", d("2024-06-15"), "emploi_interim")][1] == d("2023-12-31")
    # returns: J05 after the sanction, J20 after the décrochage then after a gap; J19's formation is no return
    assert rows[("J05", d("2024-05-01"), "formation_qualifiante")] == (None, None, None, None, None)
    assert rows[("J20", d("2024-10-15"), "reprise_scolarite")][4] is None
    assert rows[("J20", d("2025-03-01"), "service_civique")] == (None, None, None, None, d("2024-10-15"))
    assert rows[("J19", d("2024-04-19"), "formation_preparatoire")][3:] == (None, None)
    assert rows[("J19", d("2024-08-01"), "immersion")] == (d("2024-10-14"), None, None, None, None)
    # same figures as the hand-computed ones: J01 counts once although two emplois share a day
    assert (before.numerateur, before.denominateur) == (4, 17)


def test_analytics_rows_know_whether_an_accompagnement_covers_them(engine, tmp_path):
    """`couvert` (migration 0006): an accompagnement started on or before the jalon's date, not ended before it;
    kept fresh when the accompagnements change."""
    d = dt.date.fromisoformat
    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    assert figure(engine, "entretiens").valeur == 23

    def couvert() -> dict:
        return {key[:3]: values[0] for key, values in analytics(engine, ("couvert",)).items()}

    rows = couvert()
    assert rows[("J01", d("2023-12-31"), "entretien")] == 1  # A01, open since 2023-11-01
    assert rows[("J02", d("2023-07-01"), "rsa_sortie")] == 1  # A02, 2023-03-01 .. 2023-12-31
    assert rows[("J02", d("2024-03-01"), "entretien")] == 0  # after A02's end
    assert rows[("J03", d("2024-12-20"), "orientation_recue")] == 0  # before A03's start
    assert rows[("J04", d("2023-12-31"), "emploi_cdi")] == 1  # A04, ended 2024-01-01
    assert rows[("J04", d("2024-01-10"), "entretien")] == 0  # between A04 and A05
    assert rows[("J04", d("2024-06-15"), "emploi_interim")] == 1  # A05
    assert rows[("J06", d("2023-06-01"), "rsa_ouverture")] == 1  # A07's first day
    assert rows[("J06", d("2024-09-30"), "rsa_sortie")] == 1  # A07's last day
    assert rows[("J09", d("2024-10-01"), "entretien")] == 0  # A10 starts on 10-04
    assert rows[("J15", d("2024-06-04"), "entretien")] == 0  # no accompagnement
    # J04's entretien of 2024-01-10 and J09's of 10-01 count, uncovered, through the followed young people
    assert figure(engine, "entretiens").valeur == 23
    # the accompagnements change: J02's A02 runs on through 2024 (J02 followed, his entretien covered);
    # J04's A05 goes (his intérim is no longer covered)
    write_sql(
        engine,
        "UPDATE accompagnements SET date_fin = '2024-12-31' WHERE id_accompagnement = 'A02'",
        "DELETE FROM accompagnements WHERE id_accompagnement = 'A05'",
    )
    assert figure(engine, "entretiens").valeur == 24
    rows = couvert()
    assert rows[("J02", d("2024-03-01"), "entretien")] == 1
    assert rows[("J02", d("2024-02-10"), "orientation_recue")] == 1
    assert rows[("J04", d("2024-06-15"), "emploi_interim")] == 0
    assert rows[("J06", d("2024-09-30"), "rsa_sortie")] == 1  # untouched
    # an insert: J15 gets an accompagnement covering his entretien
    write_sql(
        engine,
        "INSERT INTO accompagnements (id_accompagnement, id_jeune, dispositif, date_debut, version) "
        "VALUES ('A99', 'J15', 'CEJ', '2024-06-04', 1)",
    )
    assert figure(engine, "entretiens").valeur == 25
    assert couvert()[("J15", d("2024-06-04"), "entretien")] == 1


def migrate(engine, step, revision: str) -> None:
    """Run an alembic command (`command.upgrade`, `command.downgrade`) to `revision` in one transaction."""
    from mlimpact.migrate import alembic_config

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, revision)


def test_migration_0006_goes_down_and_up_again(engine, tmp_path):
    """Downgrade to 0005 (no `couvert`, no triggers on accompagnements), upgrade again: the same figures."""
    from alembic import command
    from sqlalchemy import inspect, text

    from mlimpact.migrate import current_revision

    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    before = {code: (v.valeur, v.numerateur) for code, v in compute(engine, P, NATIONAL).items()}
    migrate(engine, command.downgrade, "0005")
    assert current_revision(engine) == "0005"
    assert "couvert" not in {c["name"] for c in inspect(engine).get_columns("analytique_jalons")}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM analytique_a_rafraichir"))
        conn.execute(text("UPDATE accompagnements SET date_fin = NULL WHERE id_accompagnement = 'A01'"))
        assert conn.execute(text("SELECT count(*) FROM analytique_a_rafraichir")).scalar_one() == 0
    migrate(engine, command.upgrade, "head")
    cache.clear()
    after = {code: (v.valeur, v.numerateur) for code, v in compute(engine, P, NATIONAL).items()}
    assert after == before and after["entretiens"] == (23, None)
    assert set(analytics(engine, ("couvert",)).values()) == {(0,), (1,)}


def test_a_bulk_import_marks_its_young_people_and_keeps_the_trigger(engine, tmp_path, monkeypatch):
    """SQLite's import marks a chunk's young people at once, its row triggers set aside: they must come back."""
    from sqlalchemy import text

    from mlimpact.exchange import reading

    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    with engine.connect() as conn:
        marked = set(conn.execute(text("SELECT id_jeune FROM analytique_a_rafraichir")).scalars())
        expected = set(
            conn.execute(
                text("SELECT id_jeune FROM jalons UNION SELECT id_jeune FROM accompagnements")  # migration 0006
            ).scalars()
        )
    assert marked == expected and len(expected) > 10
    # an import refused as a whole (one unknown young person, in its second chunk) writes its first
    # chunk (trigger set aside, then created again), then rolls everything back
    monkeypatch.setattr(reading, "CHUNK_ROWS", 1)
    bad = {"jalons": "id_jalon;id_jeune;date;type\nX1;J01;2024-01-31;entretien\nX2;PERSONNE;2024-01-31;entretien\n"}
    assert import_paths(engine, [write_tables(tmp_path / "b", bad)], today=TODAY).exit_code != 0
    with engine.begin() as conn:  # the trigger is still there: a plain insert marks its young person
        conn.execute(text("DELETE FROM analytique_a_rafraichir"))
        conn.execute(
            text("INSERT INTO jalons (id_jalon, id_jeune, date, type) VALUES ('X3', 'J01', '2024-02-01', 'entretien')")
        )
        assert list(conn.execute(text("SELECT id_jeune FROM analytique_a_rafraichir")).scalars()) == ["J01"]
        assert conn.execute(text("SELECT count(*) FROM jalons WHERE id_jalon = 'X1'")).scalar_one() == 0
    # the same for the accompagnements
    bad = {
        "accompagnements": "id_accompagnement;id_jeune;dispositif;date_debut\n"
        "XA1;J02;CEJ;2024-01-01\nXA2;PERSONNE;CEJ;2024-01-01\n"
    }
    assert import_paths(engine, [write_tables(tmp_path / "c", bad)], today=TODAY).exit_code != 0
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM analytique_a_rafraichir"))
        conn.execute(
            text(
                "INSERT INTO accompagnements (id_accompagnement, id_jeune, dispositif, date_debut, version) "
                "VALUES ('XA3', 'J03', 'CEJ', '2024-02-01', 1)"
            )
        )
        assert list(conn.execute(text("SELECT id_jeune FROM analytique_a_rafraichir")).scalars()) == ["J03"]
        assert (
            conn.execute(text("SELECT count(*) FROM accompagnements WHERE id_accompagnement = 'XA1'")).scalar_one() == 0
        )


def test_every_write_to_jalons_refreshes_the_analytics(engine, tmp_path):
    from sqlalchemy import text

    from indicators.facts import refresh

    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    assert figure(engine, "retours_dynamique").valeur == 3
    full = analytics(engine)
    with engine.begin() as conn:  # one young person marked: the incremental refresh gives the same rows
        conn.execute(text("INSERT INTO analytique_a_rafraichir (id_jeune) VALUES ('J05')"))
    with engine.begin() as conn:
        assert refresh.refresh(conn).jeunes == 1
        assert refresh.is_up_to_date(conn)
    assert analytics(engine) == full
    # an update through the import: J18's entretien becomes a décrochage the day before his immersion
    moved = {"jalons": "id_jalon;id_jeune;date;type\nK1802;J18;2024-01-31;decrochage\n"}
    assert import_paths(engine, [write_tables(tmp_path / "b", moved)], today=TODAY).exit_code == 0
    assert figure(engine, "retours_dynamique").valeur == 4
    # a delete (J04's rows go with him, by cascade)
    write_sql(engine, "DELETE FROM accompagnements WHERE id_jeune = 'J04'", "DELETE FROM jalons WHERE id_jeune = 'J04'")
    assert figure(engine, "retours_dynamique").valeur == 3
    assert not any(key[0] == "J04" for key in analytics(engine))


def test_the_indexes_cover_the_passes_on_postgresql(engine, tmp_path):
    """Migrations 0004 to 0006, and every bulk refresh that rebuilds the indexes: the (type, date) indexes
    INCLUDE what their passes read on PostgreSQL, the one of the situations is partial and PostgreSQL only,
    the one of the jalons no accompagnement covers is partial on both databases."""
    from sqlalchemy import text

    from indicators.facts import analytique, refresh

    postgres = engine.dialect.name == "postgresql"

    def definitions() -> dict[str, str]:
        with engine.connect() as conn:
            if postgres:
                sql = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'analytique_jalons'"
            else:
                sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'analytique_jalons'"
            return dict(conn.execute(text(sql)).all())

    def check() -> None:
        found = definitions()
        assert set(found) == {i.name for i in analytique.INDEXES if i.applies(postgres)}
        covering = found["ix_analytique_jalons_type_date"]
        assert (f"INCLUDE ({', '.join(analytique.COVERED)})" in covering) == postgres
        if postgres:
            situations = found["ix_analytique_jalons_situations"]
            assert "(date) INCLUDE (type, id_jeune, jour_precedent, coupure_precedente, emploi_precedent" in situations
            assert "WHERE" in situations and "'service_civique'" in situations and "'entretien'" not in situations
            assert "retour_precedent, couvert, record_key) WHERE" in situations  # the jalon's key: migration 0010
        # migration 0006: the jalons no accompagnement covers, on both databases
        assert "WHERE couvert = 0" in found["ix_analytique_jalons_non_couverts"].replace("(couvert = 0)", "couvert = 0")

    check()
    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    with engine.begin() as conn:
        assert refresh.refresh(conn).massif  # everybody is new: the indexes were dropped and rebuilt
    check()
    assert figure(engine, "acces_emploi").numerateur == 4


# --- the annual facts (migration 0007) ---------------------------------------------------------------------
def annual_facts(engine, year: int) -> dict:
    """{id_jeune: (long_, nouveau, securise)} of the year's rows of `suivis_annuels`."""
    from sqlalchemy import select

    from indicators.facts.annuel import SUIVIS_ANNUELS as SA

    with engine.connect() as conn:
        rows = conn.execute(select(SA.c.id_jeune, SA.c.long_, SA.c.nouveau, SA.c.securise).where(SA.c.annee == year))
        return {r[0]: tuple(r[1:]) for r in rows}


S_2024 = [
    "J01",
    "J03",
    "J04",
    "J05",
    "J06",
    "J07",
    "J08",
    "J09",
    "J10",
    "J12",
    "J13",
    "J14",
    "J16",
    "J18",
    "J19",
    "J20",
    "J21",
]


def test_annual_facts_hold_the_hand_computed_verdicts(store):
    """The rows of 2024 are S(P) of the module docstring, with the verdicts of EXPECTED_2024 worked out by hand."""
    from indicators.facts.annuel import ANNEES

    compute(store, P, NATIONAL, codes=["jeunes_suivis"])  # refreshes the facts
    facts = annual_facts(store, 2024)
    assert sorted(facts) == S_2024
    assert sorted(j for j, (long_, _, _) in facts.items() if not long_) == ["J03", "J09"]
    assert sorted(j for j, (_, new, _) in facts.items() if new) == [
        "J03",
        "J08",
        "J09",
        "J13",
        "J14",
        "J18",
        "J20",
        "J21",
    ]
    assert sorted(j for j, (_, _, secure) in facts.items() if secure) == ["J01", "J07", "J08", "J16", "J20", "J21"]
    with store.connect() as conn:  # every year from the first accompagnement to the latest jalon (2025-03-31)
        years = sorted(conn.execute(ANNEES.select()).all())
    first = min(dt.date.fromisoformat(line.split(";")[3]) for line in DATA["accompagnements"].splitlines()[1:])
    assert [y for y, _, _ in years] == list(range(first.year, 2026))
    assert years[-1][1:] in ((dt.date(2025, 1, 1), dt.date(2025, 12, 31)), ("2025-01-01", "2025-12-31"))


def test_figures_are_the_same_when_s_p_is_built_on_the_fly(store, monkeypatch):
    """Without the annual facts (a year not computed) the engine builds S(P) from the accompagnements."""
    import indicators.facts.annuel

    cache.clear()
    with_facts = compute(store, P, NATIONAL)
    by_structure = breakdown(store, P, NATIONAL, "parcours_securises", "structure")
    monkeypatch.setattr(indicators.facts.annuel, "calculee", lambda conn, year: False)
    cache.clear()
    assert triples(compute(store, P, NATIONAL)) == triples(with_facts) == EXPECTED_2024
    assert breakdown(store, P, NATIONAL, "parcours_securises", "structure").equals(by_structure)
    cache.clear()


@pytest.mark.parametrize(
    ("periode", "filtres", "dimension", "reads_facts"),
    [
        (P, Filtres(), None, True),
        (P, Filtres(sexe="F", qpv=True), "departement", True),
        (P, Filtres(dispositif="RSA"), None, False),  # the facts know no dispositif
        (P, Filtres(), "dispositif", False),
        (Periode(dt.date(2024, 1, 1), dt.date(2024, 12, 30)), Filtres(), None, False),
        (Periode(dt.date(2030, 1, 1), dt.date(2030, 12, 31)), Filtres(), None, False),  # a year not computed
    ],
)
def test_the_engine_reads_the_annual_facts_only_where_they_hold(store, periode, filtres, dimension, reads_facts):
    from indicators.sql import Contexte, Requetes

    compute(store, P, NATIONAL, codes=["jeunes_suivis"])
    with store.connect() as conn:
        q = Requetes(conn, Contexte(periode, NATIONAL, filtres, dt.date(2025, 3, 31), dimension))
        try:
            q.summary()
            assert q._annuel is reads_facts
        finally:
            q.drop()
            conn.rollback()


def test_annual_facts_follow_the_writes_and_reach_new_years(engine, tmp_path):
    """Facts are refreshed with the analytics rows of the marked young people, and a year the data newly
    reaches is computed for everybody: the figures read from them match those built on the fly."""
    import indicators.facts.annuel
    from indicators.facts.annuel import ANNEES

    def both(periode: Periode, code: str = "parcours_securises") -> tuple:
        cache.clear()
        read = figure(engine, code, periode)
        original, indicators.facts.annuel.calculee = indicators.facts.annuel.calculee, lambda conn, year: False
        try:
            cache.clear()
            built = figure(engine, code, periode)
        finally:
            indicators.facts.annuel.calculee = original
        assert (read.valeur, read.numerateur, read.denominateur) == (built.valeur, built.numerateur, built.denominateur)
        return read.numerateur, read.denominateur

    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    assert both(P) == (6, 15)
    # J01's rupture survenue in 2024 takes him off; J21's accompagnement shortened to 89 days takes her out
    write_sql(
        engine,
        "INSERT INTO jalons (id_jalon, id_jeune, date, type, domaine, version) "
        "VALUES ('X1', 'J01', '2024-06-01', 'rupture_survenue', 'logement', 1)",
        "UPDATE accompagnements SET date_fin = '2024-12-30' WHERE id_jeune = 'J21'",
    )
    assert both(P) == (4, 14)
    assert annual_facts(engine, 2024)["J01"] == (1, 0, 0)
    # a jalon in 2026: the year 2026 is computed for everybody (J01's accompagnement is open); a planned
    # end in 2099 adds no year after the current one
    write_sql(
        engine,
        "INSERT INTO jalons (id_jalon, id_jeune, date, type, version) VALUES ('X2', 'J19', '2026-03-01', 'entretien', 1)",
        "UPDATE accompagnements SET date_fin = '2099-12-31' WHERE id_jeune = 'J20'",
    )
    year_2026 = Periode(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    both(year_2026)
    assert "J01" in annual_facts(engine, 2026) and "J20" in annual_facts(engine, 2026)
    both(year_2026, "nouveaux_entrants")
    with engine.connect() as conn:
        assert max(conn.execute(ANNEES.select()).scalars()) == max(2026, dt.date.today().year)
    # deleting a young person's accompagnements takes him out of every year (J01, already off for his rupture)
    write_sql(engine, "DELETE FROM accompagnements WHERE id_jeune = 'J01'")
    assert both(P) == (4, 13)
    assert "J01" not in annual_facts(engine, 2024) and "J01" not in annual_facts(engine, 2026)


def test_migration_0007_goes_down_and_up_again(engine, tmp_path):
    """Downgrade to 0006 (no facts), upgrade again: the first computation fills every year, same figures."""
    from alembic import command
    from sqlalchemy import inspect

    from mlimpact.migrate import current_revision

    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    before = triples(compute(engine, P, NATIONAL))
    migrate(engine, command.downgrade, "0006")
    assert current_revision(engine) == "0006"
    assert "suivis_annuels" not in inspect(engine).get_table_names()
    migrate(engine, command.upgrade, "head")
    assert annual_facts(engine, 2024) == {}
    cache.clear()
    assert triples(compute(engine, P, NATIONAL)) == before == EXPECTED_2024
    assert sorted(annual_facts(engine, 2024)) == S_2024


def test_a_second_computation_compiles_no_statement_again(store):
    """SQLite's work tables reuse their names and Table objects per connection, so the statements of a
    computation are compiled once per process, not once per computation (PostgreSQL's have names of their
    own per transaction, and compile again)."""
    from sqlalchemy import event
    from sqlalchemy.engine.default import CACHE_MISS

    misses: list[str] = []

    def count(_conn, _cursor, statement, _params, context, _many):
        if context is not None and getattr(context, "compiled", None) is not None and context.cache_hit is CACHE_MISS:
            misses.append(statement)

    cache.clear()
    compute(store, Periode(dt.date(2024, 1, 1), dt.date(2024, 6, 30)), NATIONAL)
    event.listen(store, "after_cursor_execute", count)
    try:
        compute(store, Periode(dt.date(2024, 7, 1), dt.date(2024, 12, 31)), NATIONAL)  # the same statements, other dates
    finally:
        event.remove(store, "after_cursor_execute", count)
    if store.dialect.name == "sqlite":
        assert misses == []
    else:
        assert misses  # the check sees a miss when there is one
