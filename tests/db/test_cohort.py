"""The RSA cohort curve: the Kaplan–Meier estimator against statsmodels, the spells on both databases."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.duration.survfunc import SurvfuncRight

from indicators.models.cohort import MOIS_JOURS, Z_95, courbe_rsa, kaplan_meier, rsa_spells
from mlimpact.exchange.importer import import_paths
from tests.support.exchange_files import write_tables


# --- the estimator -------------------------------------------------------------------------------------------
def _loglog(s: float, se: float) -> tuple[float, float]:
    """The 95 % log-log interval from a survival and its standard error (as R's survfit, conf.type="log-log")."""
    sigma = se / (s * abs(math.log(s)))
    return s ** math.exp(Z_95 * sigma), s ** math.exp(-Z_95 * sigma)


def _compare_with_statsmodels(durations, observed) -> None:
    km = kaplan_meier(durations, observed)
    assert km["jours"].iloc[0] == 0.0 and km["a_risque"].iloc[0] == len(durations)
    if km["evenements"].iloc[0] == 0:  # the start row, unless exits happen on day 0 (then that row is theirs)
        assert km.iloc[0][["survie", "ic_bas", "ic_haut"]].tolist() == [1.0, 1.0, 1.0]
    events = km.iloc[1:] if km["evenements"].iloc[0] == 0 else km
    if not np.any(observed):
        assert len(km) == 1
        return
    sf = SurvfuncRight(np.asarray(durations, float), np.asarray(observed, int))
    np.testing.assert_allclose(events["jours"], sf.surv_times, atol=0)
    np.testing.assert_allclose(events["survie"], sf.surv_prob, atol=1e-6)
    np.testing.assert_array_equal(events["a_risque"], sf.n_risk)
    np.testing.assert_array_equal(events["evenements"], sf.n_events)
    for (_, row), s, se in zip(events.iterrows(), sf.surv_prob, sf.surv_prob_se):
        if 0 < s < 1:
            assert row["erreur_type"] == pytest.approx(se, abs=1e-6)
            lo, hi = _loglog(s, se)
            assert row["ic_bas"] == pytest.approx(lo, abs=1e-6)
            assert row["ic_haut"] == pytest.approx(hi, abs=1e-6)
            assert row["ic_bas"] <= row["survie"] <= row["ic_haut"]
        elif s == 0:
            assert (row["ic_bas"], row["ic_haut"]) == (0.0, 0.0)


@pytest.mark.parametrize("seed", range(5))
def test_kaplan_meier_agrees_with_statsmodels_on_simulated_spells(seed):
    rng = np.random.default_rng(seed)
    n = 400
    exit_day = rng.exponential(300, n).round() + 1  # time to leave the RSA
    follow_up = rng.uniform(30, 900, n).round()  # time observed until as_of
    durations = np.minimum(exit_day, follow_up)
    observed = exit_day <= follow_up
    _compare_with_statsmodels(durations, observed)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=40))
def test_kaplan_meier_agrees_with_statsmodels_with_ties_and_censoring(spells):
    durations = [d for d, _ in spells]
    observed = [e for _, e in spells]
    _compare_with_statsmodels(durations, observed)


def test_kaplan_meier_by_hand():
    km = kaplan_meier([60, 90, 92, 272, 516], [True, True, True, False, False])
    assert km["jours"].tolist() == [0, 60, 90, 92]
    assert km["survie"].tolist() == pytest.approx([1, 0.8, 0.6, 0.4])
    assert km["a_risque"].tolist() == [5, 5, 4, 3]
    assert km["evenements"].tolist() == [0, 1, 1, 1]
    assert km["erreur_type"].iloc[1] == pytest.approx(0.8 * math.sqrt(1 / 20))
    assert km["t"].iloc[1] == pytest.approx(60 / 30.4375)


def test_kaplan_meier_by_month():
    km = kaplan_meier([60, 90, 92, 272, 516], [True, True, True, False, False], mois=4)
    assert km["t"].tolist() == [0, 1, 2, 3, 4]
    assert km["jours"].tolist() == pytest.approx([0, MOIS_JOURS, 2 * MOIS_JOURS, 3 * MOIS_JOURS, 4 * MOIS_JOURS])
    assert km["survie"].tolist() == pytest.approx([1, 1, 0.8, 0.6, 0.4])
    assert km["a_risque"].tolist() == [5, 5, 4, 3, 2]
    assert km["evenements"].tolist() == [0, 0, 1, 1, 1]


def test_kaplan_meier_when_everyone_leaves():
    km = kaplan_meier([10, 10, 20], [True, True, True])
    assert km["survie"].tolist() == pytest.approx([1, 1 / 3, 0])
    assert (km["ic_bas"].iloc[-1], km["ic_haut"].iloc[-1]) == (0.0, 0.0)
    assert math.isnan(km["erreur_type"].iloc[-1])


def test_kaplan_meier_without_spells():
    km = kaplan_meier([], [])
    assert km["survie"].tolist() == [1.0] and km["a_risque"].tolist() == [0]


def test_kaplan_meier_refuses_mismatched_inputs():
    with pytest.raises(ValueError, match="même longueur"):
        kaplan_meier([1, 2], [True])


# --- the spells on both databases ------------------------------------------------------------------------------
AS_OF = dt.date(2025, 6, 30)
TABLES = {
    "structures": """code_structure;nom;departement
ML13001;Mission Locale Marseille Nord;13
ML84001;Mission Locale du Grand Avignon;84
""",
    "jeunes": """id_jeune;code_structure;annee_naissance;sexe;niveau_formation;qpv;frr;rqth;date_premier_accueil
J1;ML13001;2003;F;;0;0;0;
J2;ML13001;2000;H;;0;0;0;
J3;ML84001;2005;F;;0;0;0;
J4;ML13001;2001;H;;0;0;0;
J5;ML13001;2006;H;;0;0;0;
""",
    "jalons": """id_jalon;id_jeune;date;type;domaine;montant_eur;commentaire
O1;J1;2024-01-10;rsa_ouverture;;;
S1;J1;2024-03-10;rsa_sortie;;;
O2;J2;2024-02-01;rsa_ouverture;;;
E2;J2;2024-02-15;entretien;;;
S3a;J3;2024-04-01;rsa_sortie;;;
O3a;J3;2024-05-01;rsa_ouverture;;;
S3b;J3;2024-07-30;rsa_sortie;;;
S3c;J3;2024-09-01;rsa_sortie;;;
O3b;J3;2024-10-01;rsa_ouverture;;;
S3d;J3;2025-08-01;rsa_sortie;;;
O4;J4;2023-12-15;rsa_ouverture;;;
S4;J4;2024-01-20;rsa_sortie;;;
O5;J5;2024-03-01;rsa_ouverture;;;
S5a;J5;2024-03-01;rsa_sortie;;;
S5b;J5;2024-06-01;rsa_sortie;;;
""",
}
D1, D2 = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
J2_DAYS = (AS_OF - dt.date(2024, 2, 1)).days  # 515, still open
J3B_DAYS = (AS_OF - dt.date(2024, 10, 1)).days  # 272: its exit comes after as_of


@pytest.fixture
def store(engine, tmp_path):
    result = import_paths(engine, [write_tables(tmp_path / "in", TABLES)], today=dt.date(2026, 1, 1), author="tests")
    assert result.exit_code == 0, [str(p) for p in result.problems] or result.errors
    return engine


def test_rsa_spells_one_row_per_spell(store):
    with store.connect() as conn:
        spells = rsa_spells(conn, None, D1, D2, AS_OF)
    got = {
        r.id_jalon: (r.debut, r.fin, r.duree_jours, r.sortie, r.code_structure, r.sexe, r.cohorte, r.tranche_age)
        for r in spells.itertuples()
    }
    assert got == {
        "O1": (dt.date(2024, 1, 10), dt.date(2024, 3, 10), 60, True, "ML13001", "F", 2024, "18-21"),
        "O2": (dt.date(2024, 2, 1), None, J2_DAYS, False, "ML13001", "H", 2024, "22-25"),
        "O5": (dt.date(2024, 3, 1), dt.date(2024, 6, 1), 92, True, "ML13001", "H", 2024, "18-21"),
        "O3a": (dt.date(2024, 5, 1), dt.date(2024, 7, 30), 90, True, "ML84001", "F", 2024, "18-21"),
        "O3b": (dt.date(2024, 10, 1), None, J3B_DAYS, False, "ML84001", "F", 2024, "18-21"),
    }
    assert list(spells["id_jalon"]) == ["O1", "O2", "O5", "O3a", "O3b"]  # by start


def test_rsa_spells_of_some_structures_and_an_earlier_as_of(store):
    with store.connect() as conn:
        avignon = rsa_spells(conn, ["ML84001"], D1, D2, AS_OF)
        early = rsa_spells(conn, None, D1, D2, dt.date(2024, 5, 31))
        none = rsa_spells(conn, [], D1, D2, AS_OF)
    assert list(avignon["id_jalon"]) == ["O3a", "O3b"]
    # as_of before the exits of O5 and O3a, and before O3b starts
    assert {r.id_jalon: (r.fin, r.duree_jours) for r in early.itertuples()} == {
        "O1": (dt.date(2024, 3, 10), 60),
        "O2": (None, (dt.date(2024, 5, 31) - dt.date(2024, 2, 1)).days),
        "O5": (None, (dt.date(2024, 5, 31) - dt.date(2024, 3, 1)).days),
        "O3a": (None, 30),
    }
    assert none.empty


def test_courbe_rsa_overall(store):
    with store.connect() as conn:
        curve = courbe_rsa(conn, None, D1, D2, AS_OF)
    assert set(curve["groupe"]) == {"ensemble"} and set(curve["libelle"]) == {"Ensemble"}
    assert curve["episodes"].iloc[0] == 5
    assert curve["t"].tolist() == list(range(int(J2_DAYS // MOIS_JOURS) + 1))
    assert curve["survie"].tolist()[:5] == pytest.approx([1, 1, 0.8, 0.6, 0.4])
    assert curve["a_risque"].tolist()[:5] == [5, 5, 4, 3, 2]
    assert curve["evenements"].tolist()[:5] == [0, 0, 1, 1, 1]
    assert curve["survie"].iloc[-1] == pytest.approx(0.4)


def test_courbe_rsa_by_sexe_and_structure(store):
    with store.connect() as conn:
        by_sexe = courbe_rsa(conn, None, D1, D2, AS_OF, par="sexe", mois=4)
        by_ml = courbe_rsa(conn, None, D1, D2, AS_OF, par="structure", mois=3)
        by_year = courbe_rsa(conn, None, D1, D2, AS_OF, par="cohorte", mois=1)
        by_age = courbe_rsa(conn, None, D1, D2, AS_OF, par="tranche_age", mois=1)
    femmes = by_sexe[by_sexe["groupe"] == "F"]
    hommes = by_sexe[by_sexe["groupe"] == "H"]
    assert set(femmes["libelle"]) == {"Femme"} and set(hommes["libelle"]) == {"Homme"}
    assert femmes["survie"].tolist() == pytest.approx([1, 1, 2 / 3, 1 / 3, 1 / 3])
    assert hommes["survie"].tolist() == pytest.approx([1, 1, 1, 1, 0.5])
    assert set(by_ml["libelle"]) == {"Mission Locale Marseille Nord", "Mission Locale du Grand Avignon"}
    assert set(by_year["libelle"]) == {"Entrés au RSA en 2024"}
    assert set(by_age["groupe"]) == {"18-21", "22-25"} and "22-25 ans" in set(by_age["libelle"])


def test_courbe_rsa_masks_months_with_few_spells_at_risk(store):
    with store.connect() as conn:
        curve = courbe_rsa(conn, None, D1, D2, AS_OF, mois=4, k=4)
    assert curve["masque"].tolist() == [False, False, False, True, True]
    assert curve["survie"].isna().tolist() == [False, False, False, True, True]
    assert curve["evenements"].isna().tolist() == [False, False, True, True, True]  # 1 exit: small


def test_courbe_rsa_refuses_an_unknown_breakdown(store):
    with store.connect() as conn, pytest.raises(ValueError, match="Découpage inconnu"):
        courbe_rsa(conn, None, D1, D2, AS_OF, par="couleur")


def test_courbe_rsa_without_spells(store):
    with store.connect() as conn:
        curve = courbe_rsa(conn, None, dt.date(2020, 1, 1), dt.date(2020, 12, 31), AS_OF)
    assert curve["survie"].tolist() == [1.0] and curve["episodes"].tolist() == [0]


def test_courbe_rsa_breakdown_without_spells(store):
    with store.connect() as conn:
        curve = courbe_rsa(conn, None, dt.date(2020, 1, 1), dt.date(2020, 12, 31), AS_OF, par="sexe")
    assert curve.empty and {"groupe", "survie", "masque"} <= set(curve.columns)
