"""The impact model: its parameters file, the arithmetic from gross to net, the range, the break-even."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.models import impact
from indicators.models.impact import (
    PARAMETRES_PATH,
    break_even_deadweight,
    cases,
    load_parameters,
    montant_rsa,
    net,
    parameters_table,
    phrase_point_mort,
    waterfall,
)

ROOT = Path(__file__).resolve().parents[2]
P = load_parameters()


# --- the settings file ----------------------------------------------------------------------------------
def test_defaults_are_the_contract_of_the_spec():
    assert P.montants_rsa == (
        (dt.date(2023, 4, 1), 607.75),
        (dt.date(2024, 4, 1), 635.71),
        (dt.date(2025, 4, 1), 646.52),
    )
    a, b = P.effet_aubaine, P.part_autres_acteurs
    assert (a.code, a.valeur, a.bas, a.haut) == ("effet_aubaine", 0.70, 0.80, 0.60)
    assert (b.code, b.valeur, b.bas, b.haut) == ("part_autres_acteurs", 0.20, 0.30, 0.10)
    assert "DARES" in a.source and "2018" in a.source and "Garantie jeunes" in a.source
    assert a.justification.count(".") >= 1 and "36,3" in a.justification
    assert "Département" in b.source
    assert "personne seule" in P.source_rsa
    assert len(P.references_rsa) == 3 and all("avril" in r for r in P.references_rsa)
    assert P.version and not P.modifie
    assert all(p.libelle and p.unite for p in (a, b))


def test_parameters_are_hashable_so_they_can_key_a_cache():
    assert hash(P) == hash(load_parameters())
    assert P == load_parameters()


def test_montant_rsa_by_date():
    assert montant_rsa(P, dt.date(2020, 1, 1)) == 607.75  # before the first date: the first amount
    assert montant_rsa(P, dt.date(2023, 4, 1)) == 607.75
    assert montant_rsa(P, dt.date(2024, 3, 31)) == 607.75
    assert montant_rsa(P, dt.date(2024, 4, 1)) == 635.71
    assert montant_rsa(P, dt.date(2025, 3, 31)) == 635.71
    assert montant_rsa(P, dt.date(2025, 4, 1)) == 646.52
    assert montant_rsa(P, dt.date(2030, 1, 1)) == 646.52


def test_overrides_replace_central_values_and_say_so_in_the_version():
    q = load_parameters(overrides={"effet_aubaine": 0.75, "part_autres_acteurs": 0.0})
    assert q.effet_aubaine.valeur == 0.75 and q.part_autres_acteurs.valeur == 0.0
    assert (q.effet_aubaine.bas, q.effet_aubaine.haut) == (0.80, 0.60)
    assert (q.part_autres_acteurs.bas, q.part_autres_acteurs.haut) == (0.30, 0.0)  # range widened
    assert q.modifie and q.version != P.version and "0,75" in q.version
    assert q.montants_rsa == P.montants_rsa


def test_a_central_value_outside_its_range_widens_it():
    q = load_parameters(overrides={"effet_aubaine": 0.90})
    assert (q.effet_aubaine.bas, q.effet_aubaine.valeur, q.effet_aubaine.haut) == (0.90, 0.90, 0.60)
    assert net(1000, q, "bas") <= net(1000, q) <= net(1000, q, "haut")


def test_overrides_of_the_cases():
    q = load_parameters(overrides={"effet_aubaine_bas": 0.85, "effet_aubaine_haut": 0.5})
    assert (q.effet_aubaine.bas, q.effet_aubaine.haut) == (0.85, 0.5)


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"effet_aubaine": 1.0}, "comprise entre 0"),
        ({"effet_aubaine": -0.1}, "comprise entre 0"),
        ({"part_autres_acteurs": float("nan")}, "comprise entre 0"),
        ({"effet_aubaine": "beaucoup"}, "une part entre 0 et 1"),
        ({"effet_aubaine": True}, "une part entre 0 et 1"),
        ({"aubaine": 0.5}, "inconnu"),
        ({"effet_aubaine_bas": 0.5}, "cas prudent"),
    ],
)
def test_bad_overrides_are_refused_in_french(overrides, words):
    with pytest.raises(ValueError, match=words):
        load_parameters(overrides=overrides)


def _file(tmp_path: Path, old: str, new: str) -> Path:
    text = PARAMETRES_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "p.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("depuis = 2024-04-01", "depuis = 2022-04-01", "croissantes"),
        ("montant = 635.71", "montant = 0", "positif"),
        ("valeur = 0.70", "valeur = 1.5", "comprise entre 0"),
        ("valeur = 0.70", "valeur = 0.90", "cas prudent"),
        ('version = "', 'versio = "', "incomplet"),
    ],
)
def test_a_bad_settings_file_is_refused_in_french(tmp_path, old, new, words):
    with pytest.raises(ValueError, match=words):
        load_parameters(_file(tmp_path, old, new))


def test_another_file_may_be_loaded(tmp_path):
    q = load_parameters(_file(tmp_path, "valeur = 0.70", "valeur = 0.65"))
    assert q.effet_aubaine.valeur == 0.65


# --- gross to net -------------------------------------------------------------------------------------
def test_net_in_the_three_cases():
    assert net(10_000, P) == 2400.0  # × 0.30 × 0.80
    assert net(10_000, P, "bas") == 1400.0  # × 0.20 × 0.70
    assert net(10_000, P, "haut") == 3600.0  # × 0.40 × 0.90
    assert net(0, P) == 0.0


def test_net_rounds_half_up_to_the_cent():
    assert net(4.6875, P) == 1.13  # exactly 1.125: half up, not to even


def test_unknown_case_is_refused():
    with pytest.raises(ValueError, match="Cas inconnu"):
        net(100, P, "moyen")


def test_waterfall_steps():
    w = waterfall(12_345.67, P)
    assert list(w.columns) == ["ordre", "etape", "montant", "cumul_debut", "cumul_fin", "type", "taux"]
    assert list(w["etape"]) == [
        "Coûts évités bruts",
        "− effet d'aubaine",
        "− part des autres acteurs",
        "Coûts évités nets",
    ]
    assert list(w["type"]) == ["total", "deduction", "deduction", "total"]
    assert list(w["montant"]) == [12_345.67, -8641.97, -740.74, 2962.96]
    assert list(w["cumul_debut"]) == [0.0, 12_345.67, 3703.70, 0.0]
    assert list(w["cumul_fin"]) == [12_345.67, 3703.70, 2962.96, 2962.96]
    assert w["montant"].iloc[-1] == net(12_345.67, P)
    assert w["taux"].iloc[1] == 0.70 and w["taux"].iloc[2] == 0.20


@given(st.decimals(min_value=0, max_value=10_000_000, places=2), st.sampled_from(["bas", "central", "haut"]))
def test_waterfall_adds_up_exactly_to_the_net_figure(brut, case):
    w = waterfall(float(brut), P, case)
    steps = [round(x * 100) for x in w["montant"]]
    assert steps[0] + steps[1] + steps[2] == steps[3] == round(net(float(brut), P, case) * 100)
    assert w["cumul_fin"].iloc[1] == w["cumul_debut"].iloc[2]
    assert all(x <= 0 for x in w["montant"].iloc[1:3])


@given(st.floats(min_value=0, max_value=1e8, allow_nan=False))
def test_the_cautious_case_is_never_above_the_favourable_one(brut):
    assert net(brut, P, "bas") <= net(brut, P, "central") <= net(brut, P, "haut") <= round(brut, 2) + 0.01


def test_cases_table():
    c = cases(10_000, 1000, P)
    assert list(c["cas"]) == ["bas", "central", "haut"]
    assert list(c["libelle"]) == ["Hypothèse prudente", "Hypothèse centrale", "Hypothèse favorable"]
    assert list(c["couts_evites_nets_eur"]) == [1400.0, 2400.0, 3600.0]
    assert list(c["euros_par_euro_investi"]) == [1.4, 2.4, 3.6]
    assert list(c["effet_aubaine"]) == [0.8, 0.7, 0.6]
    assert list(c["part_autres_acteurs"]) == [0.3, 0.2, 0.1]
    assert set(c["couts_evites_bruts_eur"]) == {10_000.0}


@pytest.mark.parametrize("budget", [0, None])
def test_cases_without_budget_have_no_ratio(budget):
    c = cases(10_000, budget, P)
    assert list(c["euros_par_euro_investi"]) == [None, None, None]


# --- break-even -----------------------------------------------------------------------------------------
def test_break_even_deadweight():
    a = break_even_deadweight(10_000, 1000, P)
    assert a == pytest.approx(1 - 1000 / (10_000 * 0.8))
    assert break_even_deadweight(10_000, 0, P) == pytest.approx(1.0)
    assert break_even_deadweight(0, 1000, P) is None
    assert break_even_deadweight(1000, 10_000, P) < 0  # not covered even without deadweight


def test_break_even_without_attribution_factor_is_none():
    everything_to_others = dataclasses.replace(
        P, part_autres_acteurs=dataclasses.replace(P.part_autres_acteurs, valeur=1.0)
    )
    assert break_even_deadweight(10_000, 1000, everything_to_others) is None


@given(
    st.floats(min_value=1, max_value=1e7, allow_nan=False),
    st.floats(min_value=0, max_value=1e7, allow_nan=False),
)
def test_at_the_break_even_deadweight_net_equals_budget(brut, budget):
    a = break_even_deadweight(brut, budget, P)
    assert math.isclose(brut * (1 - a) * (1 - P.part_autres_acteurs.valeur), budget, rel_tol=1e-9, abs_tol=1e-6)


def test_break_even_wording():
    assert "tant que l'effet d'aubaine reste inférieur à 87,5" in phrase_point_mort(10_000, 1000, P)
    assert "ne couvriraient le budget de la période (tous financeurs) que si" in phrase_point_mort(10_000, 4000, P)
    assert "Même sans aucun effet d'aubaine" in phrase_point_mort(1000, 10_000, P)
    assert "Pas de point mort" in phrase_point_mort(0, 1000, P)


def test_the_departement_return_names_its_own_money():
    """The RSA is the Département's: its break-even compares the avoided RSA with ITS money, and says so."""
    sentence = phrase_point_mort(10_000, 1000, P, impact.BUDGET_CD)
    assert "couvrent le financement du Département sur la période tant que" in sentence
    c = cases(10_000, 8000, P, budget_cd=1000)
    assert list(c["euros_par_euro_investi"]) == [0.18, 0.3, 0.45]  # 1 400 / 8 000, 2 400 / 8 000, 3 600 / 8 000
    assert list(c["euros_par_euro_cd"]) == [1.4, 2.4, 3.6]
    assert list(cases(10_000, 8000, P)["euros_par_euro_cd"]) == [None, None, None]


def test_every_financeur_has_its_line_and_only_the_departement_a_return():
    t = impact.retours_financeurs(10_000, {"CD": 1000.0, "ETAT": 7000.0, "FSE": 0.0, "AUTRE": 0.0}, P)
    assert list(t["libelle"]) == ["Conseil départemental", "État", "Tous financeurs"]  # no line for a zero
    assert list(t["montant"]) == [1000.0, 7000.0, 8000.0]
    cd, etat, tous = (t.iloc[i] for i in range(3))
    assert (cd["bas"], cd["central"], cd["haut"]) == (1.4, 2.4, 3.6)
    assert cd["point_mort"] == pytest.approx(1 - 1000 / 8000)
    assert (etat["central"], etat["point_mort"]) == (None, None)  # the RSA avoided is not the State's money
    assert "CEJ" in etat["role"]
    assert tous["central"] == 0.3


# --- the assumptions in plain sight -----------------------------------------------------------------------
def test_parameters_table():
    t = parameters_table(P)
    assert list(t.columns) == ["code", "libelle", "depuis", "valeur", "bas", "haut", "unite", "source", "justification"]
    assert list(t["code"]) == ["montant_rsa_mensuel"] * 3 + ["effet_aubaine", "part_autres_acteurs"]
    assert list(t["valeur"]) == [607.75, 635.71, 646.52, 0.7, 0.2]
    assert "à partir du 01/04/2024" in t["libelle"].iloc[1]
    assert t["source"].str.len().min() > 10
    assert t.attrs["version"] == P.version


def test_the_documentation_names_every_parameter_and_the_file():
    doc = (ROOT / "docs" / "impact.md").read_text(encoding="utf-8")
    for word in ("montant_rsa_mensuel", *impact.TAUX, "parametres_impact.toml", "0,70", "0,20", "DARES"):
        assert word in doc, word
    for code in impact.TAUX:
        for suffix in ("_bas", "_haut"):
            assert f"{code}{suffix}" in doc
