"""An attack on the disclosure rule: hidden small counts derived by subtracting figures the same account can obtain.

Issue 16: with a `departement` and a `bureau` account on the demo data, 5,124
hidden figures were recovered exactly as differences of figures the same
account could obtain. Here, on seeded synthetic data (the demo scale of
`sample_data/generator.py`), every outside account asks the service for
figures along four routes and the attacker subtracts:

- hierarchy: a département minus its other structures; France minus the other
  départements; a région minus its other départements;
- filter complements: a scope minus the other values of a filter (sexe, QPV,
  FRR, RQTH, age band);
- periods: a year minus one half gives the other, for counts of events (jalons),
  which add up over periods;
- breakdowns: the Total row of a breakdown minus its other rows.

Every count a figure publishes is attacked: a count's value, a ratio's
numerator and denominator. For each equation X = Y − ΣZ (true figures) where
X is hidden with a true value in 1..10 and Y, Z are published:

- from figures published as exact, X would be determined: never allowed;
- from perturbed figures, the difference is X plus two noises: counted, and the
  rate of exact hits bounded; "certain" hits (the noise bounds leave a single
  value in 1..10) bounded much lower.

The same attack on the old rule (each figure masked on its own,
`masking.mask_values`, what the service did before) recovers small counts
exactly: checked too, so the test can fail. The structure's own people see
their figures exact and unchanged.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest

from indicators import engine as moteur
from indicators.disclosure import service
from indicators.disclosure.masking import mask_values
from indicators.disclosure.perturbation import D
from indicators.registry import REGISTRY
from indicators.types import Echelon, Filtres, Nature, Perimetre, Periode
from mlimpact import territoires
from mlimpact.access import Compte
from mlimpact.sample import load_sample
from mlimpact.scope import Filtres as F

K = 11
YEAR = Periode(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
H1 = Periode(dt.date(2025, 1, 1), dt.date(2025, 6, 30))
H2 = Periode(dt.date(2025, 7, 1), dt.date(2025, 12, 31))
# filters and the values that partition the young people (a route: total − the other values)
PARTITIONS = {
    "sexe": ("F", "H"),
    "qpv": (True, False),
    "frr": (True, False),
    "rqth": (True, False),
    "tranche_age": ("16-17", "18-21", "22-25", "26+"),
}
BREAKDOWNS = (("sanctions_rsa", "sexe"), ("jeunes_rsa_suivis", "tranche_age"), ("entretiens", "qpv"))
COUNTS = [c for c, d in REGISTRY.items() if d.nature is Nature.COUNT]
RATIOS = [c for c, d in REGISTRY.items() if d.nature is Nature.RATIO]
# counts of jalons dated in P: they add up over periods
EVENTS = [c for c in COUNTS if c not in ("jeunes_suivis", "nouveaux_entrants", "jeunes_rsa_suivis", "risques_ouverts", "retours_dynamique")]


def filtres_of(name: str | None = None, value=None) -> Filtres:
    return F() if name is None else F(**{name: value})


@dataclass
class Tally:
    """What the attacker got: equations tried, exact recoveries of a small count, perturbed hits."""

    tried: int = 0
    exact: list = field(default_factory=list)  # (route, cell, true value): determined from exact figures
    perturbed: int = 0  # routes through perturbed figures to a hidden small count
    hits: int = 0  # … whose naive difference equals the hidden count
    certain: int = 0  # … whose noise bounds leave a single value in 1..k−1


class Attacker:
    """An outside account asking for figures, and the truth beside them (the engine, unprotected)."""

    def __init__(self, engine, compte: Compte, published):
        self.engine, self.compte, self.published = engine, compte, published
        self._seen: dict = {}

    def figures(self, perimetre, periode, filtres) -> tuple[dict, dict]:
        key = (perimetre, periode, filtres)
        if key not in self._seen:
            truth = moteur.compute(self.engine, periode, perimetre, filtres)
            self._seen[key] = (self.published(self.engine, self.compte, periode, perimetre, filtres), truth)
        return self._seen[key]

    def parts(self, perimetre, periode, filtres):
        """{(code, part): (published value or None if hidden, traitement, true value)} of every count disclosed."""
        shown, truth = self.figures(perimetre, periode, filtres)
        out = {}
        for code in COUNTS:
            s, t = shown[code], truth[code]
            out[(code, "valeur")] = (None if s.masque else s.valeur, s.traitement, t.valeur)
        for code in RATIOS:
            s, t = shown[code], truth[code]
            out[(code, "n")] = (None if s.masque else s.numerateur, s.traitement, t.numerateur)
            out[(code, "d")] = (None if s.masque else s.denominateur, s.traitement, t.denominateur)
        return out


def attack(tally: Tally, route: str, x: dict, y: dict, zs: list[dict]) -> None:
    """X = Y − ΣZ for every count: try it where X is hidden and small and Y, Z are published."""
    for cell, (xv, _, xt) in x.items():
        if xv is not None or xt is None or not 1 <= xt <= K - 1:
            continue
        others = [y[cell], *(z[cell] for z in zs)]
        if any(v is None for v, _, _ in others):
            continue
        tally.tried += 1
        truth = y[cell][2] - sum(z[cell][2] for z in zs)
        assert truth == xt, (route, cell)  # the equation holds on the true figures
        estimate = y[cell][0] - sum(z[cell][0] for z in zs)
        if all(t == "exact" for _, t, _ in others):
            tally.exact.append((route, cell, xt))
            continue
        tally.perturbed += 1
        tally.hits += estimate == xt
        slack = D * sum(t == "perturbe" for _, t, _ in others)
        possible = [v for v in range(1, K) if abs(v - estimate) <= slack]
        tally.certain += len(possible) == 1


def run_departement(engine, compte: Compte, published, tally: Tally) -> None:
    a = Attacker(engine, compte, published)
    dep = Perimetre(Echelon.DEPARTEMENT, compte.departement)
    structures = structures_of(engine, compte.departement)
    scopes = [dep, *structures]
    filters = [filtres_of(), *(filtres_of(n, v) for n, vs in PARTITIONS.items() for v in vs)]
    for periode, filtres in itertools.product((YEAR, H1, H2), filters):
        parts = {s: a.parts(s, periode, filtres) for s in scopes}
        for s in structures:  # hierarchy: the département minus its other structures
            attack(tally, "hiérarchie", parts[s], parts[dep], [parts[o] for o in structures if o != s])
    for periode, scope in itertools.product((YEAR, H1, H2), scopes):
        total = a.parts(scope, periode, filtres_of())
        for name, values in PARTITIONS.items():  # filter complements
            groups = {v: a.parts(scope, periode, filtres_of(name, v)) for v in values}
            for v in values:
                attack(tally, f"complément {name}", groups[v], total, [groups[o] for o in values if o != v])
    for scope, filtres in itertools.product(scopes, filters):  # periods: the year minus one half
        year, first, second = (a.parts(scope, p, filtres) for p in (YEAR, H1, H2))
        events = {c: v for c, v in year.items() if c[0] in EVENTS}
        attack(tally, "période", {c: second[c] for c in events}, events, [first])
        attack(tally, "période", {c: first[c] for c in events}, events, [second])
    for scope, (code, dimension) in itertools.product(scopes, BREAKDOWNS):  # breakdowns against their total
        table = published_breakdown(engine, compte, published, scope, code, dimension)
        rows = {r["modalite"]: {(code, "valeur"): (r["shown"], r["traitement"], r["true"])} for r in table}
        total = rows.pop("Total")
        for m, row in rows.items():
            attack(tally, f"ventilation {dimension}", row, total, [rows[o] for o in rows if o != m])


def run_bureau(engine, compte: Compte, published, tally: Tally) -> None:
    a = Attacker(engine, compte, published)
    with engine.connect() as conn:
        deps = sorted({d for (d,) in conn.exec_driver_sql("SELECT DISTINCT departement FROM structures")})
    regions = sorted({territoires.DEPARTEMENTS[d].region for d in deps})
    for filtres in (filtres_of(), filtres_of("sexe", "F"), filtres_of("sexe", "H")):
        france = a.parts(Perimetre(), YEAR, filtres)
        by_dep = {d: a.parts(Perimetre(Echelon.DEPARTEMENT, d), YEAR, filtres) for d in deps}
        for d in deps:
            attack(tally, "hiérarchie France", by_dep[d], france, [by_dep[o] for o in deps if o != d])
            structures = structures_of(engine, d)
            by_st = {s: a.parts(s, YEAR, filtres) for s in structures}
            for s in structures:
                attack(tally, "hiérarchie département", by_st[s], by_dep[d], [by_st[o] for o in structures if o != s])
        for r in regions:
            in_r = [d for d in deps if territoires.DEPARTEMENTS[d].region == r]
            region = a.parts(Perimetre(Echelon.REGION, r), YEAR, filtres)
            for d in in_r:
                attack(tally, "hiérarchie région", by_dep[d], region, [by_dep[o] for o in in_r if o != d])


def structures_of(engine, departement: str) -> list[Perimetre]:
    with engine.connect() as conn:
        codes = conn.exec_driver_sql(
            "SELECT code_structure FROM structures WHERE departement = ? ORDER BY code_structure"
            if engine.dialect.name == "sqlite" else
            "SELECT code_structure FROM structures WHERE departement = %s ORDER BY code_structure",
            (departement,),
        ).scalars().all()
    return [Perimetre(Echelon.STRUCTURE, c) for c in codes]


# --- the two rules -------------------------------------------------------------------------------------
def new_rule(engine, compte, periode, perimetre, filtres):
    return service.compute(engine, compte, periode, perimetre, filtres)


def old_rule(engine, compte, periode, perimetre, filtres):
    """What the service did before issue 16: each figure masked on its own (k for outsiders), exact otherwise."""
    owner = compte.est_structure and perimetre == Perimetre(Echelon.STRUCTURE, compte.code_structure)
    return mask_values(moteur.compute(engine, periode, perimetre, filtres), 0 if owner else K)


def published_breakdown(engine, compte, published, scope, code, dimension) -> list[dict]:
    truth = moteur.breakdown(engine, YEAR, scope, code, dimension)
    if published is new_rule:
        shown = service.breakdown(engine, compte, YEAR, scope, code, dimension)
        traitements = list(shown["traitement"])
    else:  # the old service masked each table on its own (primary and secondary)
        from indicators.disclosure.masking import mask_table

        shown = mask_table(truth.drop(columns=[c for c in ("cle", "cle_denominateur") if c in truth]), K)
        traitements = ["masque" if m else "exact" for m in shown["masque"]]
    return [
        {"modalite": m, "shown": None if h else v, "traitement": t, "true": tv}
        for m, v, h, t, tv in zip(shown["modalite"], shown["valeur"], shown["masque"], traitements, truth["valeur"])
    ]


# --- the tests -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=[42, 7])
def store(request, sqlite_template, tmp_path_factory):
    from mlimpact.db import make_engine
    from tests.conftest import new_sqlite_database

    engine = make_engine(new_sqlite_database(sqlite_template, tmp_path_factory.mktemp(f"attack{request.param}")))
    load_sample(engine, "demo", request.param)
    yield engine
    engine.dispose()


CD_84 = Compte("cd84@departement84.fr", "departement", departement="84")
BUREAU = Compte("bureau@unml.fr", "bureau")


def test_no_small_count_is_recovered_from_exact_figures_and_perturbed_differences_rarely_hit(store):
    tally = Tally()
    run_departement(store, CD_84, new_rule, tally)
    run_bureau(store, BUREAU, new_rule, tally)
    assert tally.tried > 300, tally.tried  # the routes reach many hidden small counts
    assert tally.exact == [], tally.exact[:10]
    rate = tally.hits / tally.perturbed
    print(f"routes {tally.tried}, hits {tally.hits} ({rate:.1%}), certain {tally.certain}")
    assert rate < 0.25, rate  # Σ p² of the noise is 13.7 %; the hits are not recognisable as such
    assert tally.certain / tally.perturbed < 0.02, tally.certain


def test_the_same_attack_recovers_small_counts_under_the_old_rule(store):
    """Figure-by-figure masking (the rule before issue 16) leaves exact small counts to subtraction."""
    tally = Tally()
    run_departement(store, CD_84, old_rule, tally)
    run_bureau(store, BUREAU, old_rule, tally)
    print(f"old rule: {len(tally.exact)} small counts recovered exactly out of {tally.tried} routes")
    assert len(tally.exact) > 50


def test_owners_see_their_figures_exact_and_unchanged(store):
    directeur = Compte("d84@ml.fr", "directeur", "ML84001")
    scope = Perimetre(Echelon.STRUCTURE, "ML84001")
    for filtres in (filtres_of(), filtres_of("sexe", "H")):
        shown = service.compute(store, directeur, YEAR, scope, filtres)
        truth = moteur.compute(store, YEAR, scope, filtres)
        assert {c: (v.valeur, v.numerateur, v.denominateur) for c, v in shown.items()} == {
            c: (v.valeur, v.numerateur, v.denominateur) for c, v in truth.items()
        }
        assert {v.traitement for v in shown.values()} == {"exact"}
        assert not any(v.masque for v in shown.values())


def test_a_departement_sees_each_of_its_structures_by_name(store):
    """No structure of its own département hidden as a whole: perturbed figures, small cells alone protected."""
    from indicators.disclosure import territorial

    for code in ("jeunes_suivis", "acces_emploi", "sanctions_rsa"):
        t = territorial.tableau(store, CD_84, YEAR, code)
        assert len(t.structures) == 2
        for r in t.structures.itertuples():  # perturbed or masked; exact only where nothing moved it: a zero
            assert r.traitement in ("perturbe", "masque") or float(r.valeur) == 0, (code, r.code)
        truth = moteur.breakdown(store, YEAR, Perimetre(Echelon.DEPARTEMENT, "84"), code, "structure")
        for r in t.structures.itertuples():
            true = truth.loc[truth["modalite"] == r.code].iloc[0]
            counts = [true["valeur"]] if REGISTRY[code].nature is Nature.COUNT else [
                true["numerateur"], true["denominateur"], true["denominateur"] - true["numerateur"]]
            if all(c == 0 or c >= K + D for c in counts):  # nothing small, even after perturbation
                assert not r.masque, (code, r.code)


@pytest.mark.parametrize("compte", [CD_84, BUREAU, Compte("d84@ml.fr", "directeur", "ML84001")], ids=lambda c: c.role)
def test_asking_for_a_few_codes_gives_the_same_figures_as_asking_for_all(store, compte):
    """`service.compute(codes=…)` computes only those codes and what their protection is built on: each figure,
    its treatment and its mask are those of the full computation (the trends ask for a few codes, month by month)."""
    from reports.contenu import TENDANCES

    codes = [c for f in TENDANCES for c in TENDANCES[f]] + ["euros_evites_par_euro_cd", "taux_acces_droits"]
    codes = [c for c in codes if c in moteur.CODES]
    for scope in (Perimetre(Echelon.STRUCTURE, "ML84001"), Perimetre(Echelon.DEPARTEMENT, "84")):
        if compte.role == "directeur" and scope.echelon is not Echelon.STRUCTURE:
            continue
        for periode in (YEAR, Periode(dt.date(2025, 1, 1), dt.date(2025, 3, 31))):
            few = service.compute(store, compte, periode, scope, filtres_of(), codes=codes)
            everything = service.compute(store, compte, periode, scope, filtres_of())
            assert list(few) == codes
            for code in codes:
                a, b = few[code], everything[code]
                assert (a.valeur, a.numerateur, a.denominateur, a.masque, a.traitement) == (
                    b.valeur, b.numerateur, b.denominateur, b.masque, b.traitement), code
