"""« Ce qui marche » (indicators/models/effets.py): the estimator finds a planted effect and only that.

The generator's scenario (sample_data.generator.Scenario) gives immersions more often to young
people with a higher niveau, who find jobs more often anyway, and makes an immersion add exactly
X points to the chance of a job within six months. The adjusted interval must cover X while the
raw difference is biased upwards; with no planted effect, the intervals must cover 0 at about
their nominal 95 % rate. Demo-scale data (6,000 jeunes) straight into pandas: no database.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from indicators.effets_registry import ACTIONS, HORIZON_6_MOIS, RESULTAT, RESULTATS, jalon_types
from indicators.models import effets
from indicators.types import Filtres, Periode
from mlimpact import vocab
from sample_data import generator as gen

PERIODE = Periode(dt.date(2023, 1, 1), dt.date(2026, 10, 31))


def planted(seed: int, effet: float) -> effets.Resultats:
    tables: dict[str, list[pd.DataFrame]] = {}
    for table, chunk in gen.generate("demo", seed, scenario=gen.Scenario(effet)):
        tables.setdefault(table, []).append(chunk)
    data = effets.from_tables({t: pd.concat(c, ignore_index=True) for t, c in tables.items()})
    return effets.estimate(data, PERIODE, gen.AS_OF, actions=["immersion"])


def emploi(r: effets.Resultats) -> effets.Effet:
    return next(e for e in r.effets if e.action == "immersion" and e.resultat == "emploi")


def test_registry_is_data_over_the_vocabulary():
    assert {r.code for r in RESULTATS} >= {"emploi", "emploi_durable", "formation", "rupture", "rsa"}
    assert set(RESULTAT["emploi"].types) == vocab.EMPLOI and set(RESULTAT["emploi_durable"].types) == vocab.DURABLE
    assert all(r.horizon_jours == HORIZON_6_MOIS for r in RESULTATS)
    assert {"immersion", "mobilisation_partenaire", "droit_ouvert", "aide_faj"} <= {a.code for a in ACTIONS}
    assert set(jalon_types()) <= set(vocab.TYPES_JALON)
    # the scenario's horizon is the registry's: the planted X is the estimand
    assert gen.Scenario().horizon_jours == RESULTAT["emploi"].horizon_jours


def test_e_value_of_vanderweele_and_ding():
    assert effets.e_value(2.0) == pytest.approx(2 + math.sqrt(2))
    assert effets.e_value(0.5) == pytest.approx(2 + math.sqrt(2))  # a protective ratio: its inverse
    assert effets.e_value(1.0) == 1.0
    assert effets.e_value(None) is None


def test_scenario_is_off_by_default_and_checked():
    with pytest.raises(ValueError):
        gen.Scenario(0.9)


SEEDS_EFFET = range(100, 106)
X = 0.15


@pytest.fixture(scope="module")
def with_effect():
    return [emploi(planted(seed, X)) for seed in SEEDS_EFFET]


def test_planted_effect_is_recovered_and_the_raw_difference_is_biased(with_effect):
    covered = [e.ic_bas <= 100 * X <= e.ic_haut for e in with_effect]
    assert sum(covered) >= len(with_effect) - 1, with_effect
    for e in with_effect:
        assert e.demontre and e.e_value > 1 and 1 <= e.e_value_ic <= e.e_value
        assert e.n_traites > 500 and e.n_temoins > 1000
    # confounding by niveau: the raw difference overstates the effect, the adjusted one does not
    raw_bias = sum(e.difference_brute - 100 * X for e in with_effect) / len(with_effect)
    adjusted_bias = sum(e.effet_points - 100 * X for e in with_effect) / len(with_effect)
    assert raw_bias > 4, raw_bias
    assert abs(adjusted_bias) < 2, adjusted_bias
    assert sum(e.ic_bas <= e.difference_brute <= e.ic_haut for e in with_effect) <= 1


def test_without_effect_intervals_cover_zero_at_the_nominal_rate():
    """30 seeds: at 95 %, 28.5 are expected to cover 0; 25 or more happens with probability 0.98."""
    results = [planted(seed, 0.0) for seed in range(200, 230)]
    rows = [emploi(r) for r in results]
    covered = sum(e.ic_bas <= 0 <= e.ic_haut for e in rows)
    assert covered >= 25, [(e.effet_points, e.ic_bas, e.ic_haut) for e in rows]
    assert sum(e.difference_brute > e.ic_haut for e in rows) >= 25  # the raw difference stays biased
    # balance after weighting meets the target of 0.1
    assert max(eq.smd_max_apres for r in results for eq in r.equilibres) < effets.SMD_CIBLE


def test_mask_hides_small_groups_for_outsiders(with_effect):
    r = effets.Resultats(tuple(with_effect[:2]), (), (), PERIODE, gen.AS_OF, 1, "structure")
    small = r.effets[0].__class__(**{**r.effets[0].as_row(), "n_traites": 4})
    r = effets.Resultats((small, r.effets[1]), (), (), PERIODE, gen.AS_OF, 1, "structure")
    masked = effets.mask(r, 11)
    assert masked.effets[0].traitement == "masque" and masked.effets[0].effet_points is None
    assert masked.effets[0].n_traites is None and masked.effets[0].e_value is None
    assert effets.rows(masked)[1] == effets.rows(r)[1] and masked.effets[1].interne is None
    assert effets.mask(r, 0) is r
    # with cell keys (the store's record keys), outsiders get the counts of the cell-key perturbation
    from dataclasses import replace

    from indicators.disclosure.perturbation import protect_count

    keyed = replace(r.effets[1], cle_traites=17, cle_temoins=230)
    perturbed = effets.mask(effets.Resultats((keyed,), (), (), PERIODE, gen.AS_OF, 1, "structure"), 11).effets[0]
    assert perturbed.traitement == "perturbe" and perturbed.cle_traites is None and perturbed.interne is None
    assert perturbed.n_traites == protect_count(keyed.n_traites, 17, 11).publie
    assert perturbed.n_temoins == protect_count(keyed.n_temoins, 230, 11).publie
    assert perturbed.effet_points == keyed.effet_points and abs(perturbed.n_traites - keyed.n_traites) <= 4
    tiny = replace(keyed, n_traites=12)  # 12 may be perturbed below 11: then masked, else perturbed
    shown = effets.mask(effets.Resultats((tiny,), (), (), PERIODE, gen.AS_OF, 1, "structure"), 11).effets[0]
    assert shown.traitement == ("masque" if protect_count(12, 17, 11).cache else "perturbe")


def test_filters_and_empty_periods_leave_out_without_error():
    tables: dict[str, list[pd.DataFrame]] = {}
    for table, chunk in gen.generate("demo", 1):
        tables.setdefault(table, []).append(chunk)
    data = effets.from_tables({t: pd.concat(c, ignore_index=True) for t, c in tables.items()})
    late = effets.estimate(data, Periode(dt.date(2026, 6, 1), dt.date(2026, 10, 31)), gen.AS_OF)
    assert late.effets == () and {a for a, _ in late.exclues} == {a.code for a in ACTIONS}
    one = effets.estimate(data, PERIODE, gen.AS_OF, Filtres(dispositif="CEJ", sexe="F"), actions=["mobilisation_partenaire"])
    assert all(e.n_traites > 0 for e in one.effets)


def test_departements_combined_by_inverse_variance():
    """A région or the country: each département on its own, then a fixed-effect combination."""
    tables: dict[str, list[pd.DataFrame]] = {}
    for table, chunk in gen.generate("demo", 7, scenario=gen.Scenario(X)):
        tables.setdefault(table, []).append(chunk)
    frames = {t: pd.concat(c, ignore_index=True) for t, c in tables.items()}
    parts = []
    for dep in ("13", "59"):
        codes = set(frames["structures"].loc[frames["structures"]["departement"] == dep, "code_structure"])
        sub = dict(frames)
        sub["jeunes"] = frames["jeunes"][frames["jeunes"]["code_structure"].isin(codes)]
        inside = set(sub["jeunes"]["id_jeune"])
        for t in ("accompagnements", "jalons"):
            sub[t] = frames[t][frames[t]["id_jeune"].isin(inside)]
        parts.append(effets.estimate(effets.from_tables(sub), PERIODE, gen.AS_OF, actions=["immersion"]))
    combined = effets.combine(parts, PERIODE, gen.AS_OF)
    a, b, c = (emploi(r) for r in (*parts, combined))
    assert min(a.effet_points, b.effet_points) <= c.effet_points <= max(a.effet_points, b.effet_points)
    assert c.ic_haut - c.ic_bas < min(a.ic_haut - a.ic_bas, b.ic_haut - b.ic_bas)
    assert c.n_traites == a.n_traites + b.n_traites and c.n_temoins == a.n_temoins + b.n_temoins
    assert c.ic_bas <= 100 * X <= c.ic_haut
    assert combined.territoire == "departement" and combined.equilibres[0].n_lignes == sum(p.equilibres[0].n_lignes for p in parts)
    assert effets._from_json(effets._to_json(combined)) == combined  # what is kept in the store reads back


def test_french_words_and_the_forest_plot(with_effect):
    from presentation import effets as textes

    e = with_effect[0]
    nul = effets.Effet("immersion", "rupture", 183, 0.4, -0.8, 1.7, -0.4, 900, 3000, 1.5, 1.0, "exact")
    cache = effets.mask(effets.Resultats((nul,), (), (), PERIODE, gen.AS_OF, 1, "structure"), 1000).effets[0]
    assert textes.points(-3.0) == "−3,0\u202fpts" and textes.points(12.5) == "+12,5\u202fpts" and textes.points(None) == "—"
    assert textes.statut(e) == "associé à plus" and textes.statut(nul) == "non démontré" and textes.statut(cache) == textes.MASQUE
    assert "associée à" in textes.lecture(e) and "cause" not in textes.lecture(e)
    assert "non démontré" in textes.lecture(nul) and "masqué" in textes.lecture(cache)
    r = effets.Resultats((e, nul, cache), (), (), PERIODE, gen.AS_OF, 12, "structure")
    table = textes.table(r)
    assert list(table.columns) == list(textes.COLONNES.values()) and len(table) == 3
    spec = textes.foret(r).to_dict(validate=False)
    data = textes.graphique(r)
    assert len(data) == 2 and set(data["statut"]) == {"démontré", "non démontré"}  # the masked row is not drawn
    text = repr(spec)
    assert "diamond" in text and "circle" in text and "non démontré" in text  # shape and words, not colour alone
