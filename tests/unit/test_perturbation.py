"""Cell-key perturbation (indicators.disclosure.perturbation): the table, its error, the rule of one scope."""

from __future__ import annotations

import random
import statistics
from collections import Counter

import pytest

from indicators.disclosure import perturbation as pt
from indicators.types import Valeur


def test_the_table_is_fixed_centred_and_bounded():
    """256 slots per row; the full row symmetric (mean 0), noises within ±D; a count never reaches 0."""
    full = pt.TABLE[pt.D + 1]
    assert len(full) == pt.KEY_SPACE and sum(full) == 0
    counts = Counter(full)
    assert all(counts[e] == counts[-e] for e in range(1, pt.D + 1))
    assert max(map(abs, full)) == pt.D
    for n in range(1, pt.D + 1):
        assert len(pt.TABLE[n]) == pt.KEY_SPACE and min(pt.TABLE[n]) == 1 - n
    for n in range(1, 40):
        for key in range(pt.KEY_SPACE):
            assert pt.perturb(n, key) >= 1
    assert pt.perturb(0, None) == 0 and pt.perturb(None, 3) is None
    # a new version of the code must not move a published figure: the first slots are pinned
    assert full[:8] == pt._row(-pt.D, pt.SEED + pt.D + 1)[:8]


def test_same_contributors_same_figure_whatever_the_route():
    """The cell key of a union is the sum of its parts' keys: two routes to the same set, one figure."""
    keys = [random.Random(1).randrange(256) for _ in range(40)]
    direct = pt.perturb(40, pt.cell_key(*keys))
    by_halves = pt.perturb(40, pt.cell_key(pt.cell_key(*keys[:13]), pt.cell_key(*keys[13:])))
    assert direct == by_halves


def test_expected_error_of_large_counts():
    """Median relative deviation below 2 % for counts ≥ 100 (measured: about 0.5 %), bias about 0."""
    rng = random.Random(20261205)
    deviations, noises = [], []
    for _ in range(50_000):
        n = rng.randrange(100, 20_000)
        e = pt.perturb(n, rng.randrange(256)) - n
        deviations.append(abs(e) / n)
        noises.append(e)
    assert statistics.median(deviations) < 0.02
    assert statistics.median(deviations) <= pt.expected_error(100)
    assert abs(statistics.mean(noises)) < 0.05
    assert 3.5 < statistics.pvariance(noises) < 4.5  # standard deviation 2


def test_a_difference_of_two_perturbed_figures_is_rarely_the_hidden_count():
    """T − A with independent keys equals the true T − A only when both noises agree: Σ p² ≈ 13.7 %."""
    rng = random.Random(7)
    hits = 0
    trials = 20_000
    for _ in range(trials):
        hidden, other = rng.randrange(1, 11), rng.randrange(11, 500)
        total = pt.perturb(hidden + other, rng.randrange(256))
        hits += (total - pt.perturb(other, rng.randrange(256))) == hidden
    assert 0.11 < hits / trials < 0.16


def test_protect_counts_ratios_quotients_and_impact():
    k = 11
    v = {
        "jeunes_suivis": Valeur("jeunes_suivis", 200, cle=17),
        "entretiens": Valeur("entretiens", 5, cle=3),  # small: suppressed
        "entretiens_par_jeune": Valeur("entretiens_par_jeune", 0.0),
        "acces_emploi": Valeur("acces_emploi", 25.0, 50, 200, cle=40, cle_denominateur=17),
        "sorties_positives": Valeur("sorties_positives", 95.0, 19, 20, cle=1, cle_denominateur=2),  # d − n = 1
        "budget_eur": Valeur("budget_eur", 1000.0),
        "sorties_rsa": Valeur("sorties_rsa", 0, cle=0),
        "mois_rsa_evites": Valeur("mois_rsa_evites", 0.0),
    }
    out = pt.protect(v, k)
    assert out["jeunes_suivis"].traitement == "perturbe" and abs(out["jeunes_suivis"].valeur - 200) <= pt.D
    assert out["entretiens"].masque and out["entretiens"].valeur is None and out["entretiens"].traitement == "masque"
    assert out["entretiens_par_jeune"].masque  # built on a suppressed count
    r = out["acces_emploi"]
    assert r.denominateur == out["jeunes_suivis"].valeur  # same contributors, same key: the same perturbed figure
    assert r.valeur == pytest.approx(round(100 * r.numerateur / r.denominateur, 1), abs=0.05)
    assert out["sorties_positives"].masque  # d − n = 1 would tell who did not exit positively
    assert out["budget_eur"] == v["budget_eur"] and out["budget_eur"].traitement == "exact"
    assert out["sorties_rsa"].valeur == 0 and out["mois_rsa_evites"].valeur == 0.0  # zero stays zero
    assert out["sorties_rsa"].traitement == "exact"  # and says so: nothing moved it
    assert all(x.cle is None and x.cle_denominateur is None for x in out.values())  # keys never leave


def test_a_count_without_key_is_refused():
    with pytest.raises(ValueError):
        pt.protect({"entretiens": Valeur("entretiens", 50)}, 11)
