"""Properties of the engine on random small data sets (hypothesis), on SQLite and PostgreSQL.

- every ratio has 0 ≤ n ≤ d, and a value only when d > 0;
- counts of jeunes or jalons attached to one structure add up, structure by
  structure, to the national count; so do the numerators and denominators of
  the ratios (sum n and d, then divide — never average ratios);
- the SQL engine agrees, figure by figure, with the naive pandas reading of
  the spec (`indicators.naive`), written independently of the SQL.

Dates are drawn from a short window so that boundaries, same-day jalons and
overlapping spells happen often. Half the periods are calendar years: the
engine then reads S(P) from the annual facts (`indicators.facts.annuel`).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.engine import DETAIL_CODES, PARTITIONS, breakdown, compute
from indicators.naive import compute_naive, load_tables
from indicators.registry import REGISTRY
from indicators.types import Echelon, Filtres, Nature, Perimetre, Periode
from mlimpact import store, vocab
from mlimpact.db import make_engine
from mlimpact.models import EXCHANGE_MODELS

START = dt.date(2023, 10, 1)
SPAN = 540  # days of the window dates are drawn from
STRUCTURES = [("S1", "13"), ("S2", "13"), ("S3", "84"), ("S4", "59")]
# counts of jeunes or jalons, each attached to the structure of its young person
ADDITIVE = [code for code, d in REGISTRY.items() if d.nature is Nature.COUNT]
RATIOS = [code for code, d in REGISTRY.items() if d.nature is Nature.RATIO]
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


# A few days that many dates share, so that same-day jalons and period boundaries meet often.
ANCHORS = (0, 31, 92, 121, 183, 213, 274, 305, 365, 366, 400, 456, 500)
offsets = st.one_of(st.sampled_from(ANCHORS), st.integers(0, SPAN))


# Every type, with those of the trickier rules (ruptures, RSA spells, entries) more often.
TYPES = [
    *vocab.TYPES_JALON,
    *["risque_rupture", "rupture_evitee", "rupture_survenue", "decrochage"] * 2,
    *["rsa_ouverture", "rsa_sortie", "orientation_recue", "premier_rdv"] * 2,
]


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


@st.composite
def datasets(draw):
    jeunes, accs, jalons = [], [], []
    for i in range(draw(st.integers(1, 10))):
        who = f"J{i}"
        jeunes.append(
            {
                "id_jeune": who,
                "code_structure": draw(st.sampled_from([s for s, _ in STRUCTURES])),
                "annee_naissance": draw(st.integers(1996, 2010)),
                "sexe": draw(st.sampled_from(["F", "H"])),
                "niveau_formation": draw(st.sampled_from([None, *vocab.NIVEAUX_FORMATION])),
                "qpv": draw(st.booleans()),
                "frr": draw(st.booleans()),
                "rqth": draw(st.booleans()),
            }
        )
        for k in range(draw(st.integers(0, 3))):
            start = draw(offsets)
            length = draw(st.one_of(st.none(), st.integers(0, 300)))
            accs.append(
                {
                    "id_accompagnement": f"{who}A{k}",
                    "id_jeune": who,
                    "dispositif": draw(st.sampled_from(list(vocab.DISPOSITIFS))),
                    "date_debut": day(start),
                    "date_fin": None if length is None else day(start + length),
                    "motif_fin": None if length is None else draw(st.sampled_from(list(vocab.MOTIFS_FIN))),
                }
            )
        own_days = draw(st.lists(offsets, min_size=1, max_size=4))  # this young person's busy days
        for k in range(draw(st.integers(0, 12))):
            type_ = draw(st.sampled_from(TYPES))
            domaines = vocab.DOMAINES_PAR_TYPE.get(type_)
            jalons.append(
                {
                    "id_jalon": f"{who}K{k}",
                    "id_jeune": who,
                    "date": day(draw(st.one_of(st.sampled_from(own_days), offsets))),
                    "type": type_,
                    "domaine": None if domaines is None else draw(st.sampled_from(list(domaines)[:3])),
                }
            )
    financements = [
        {"code_structure": s, "annee": year, "financeur": "CD", "dispositif": disp, "montant_eur": amount}
        for s, year, disp, amount in draw(
            st.lists(
                st.tuples(
                    st.sampled_from([s for s, _ in STRUCTURES]),
                    st.integers(2023, 2025),
                    st.sampled_from(["TOUS", "RSA", "CEJ"]),
                    st.integers(0, 100_000),
                ),
                max_size=4,
                unique_by=lambda t: t[:3],
            )
        )
    ]
    return {"jeunes": jeunes, "accompagnements": accs, "jalons": jalons, "financements": financements}


periods = st.one_of(
    st.builds(
        lambda start, length: Periode(day(start), day(start + length)),
        st.one_of(st.sampled_from(ANCHORS), st.integers(0, SPAN)),
        st.sampled_from([0, 1, 30, 89, 90, 91, 182, 183, 365]),
    ),
    # calendar years, whose followed young people the engine reads from the annual facts
    st.sampled_from([Periode(dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in (2023, 2024, 2025)]),
)
filters = st.sampled_from(
    [
        Filtres(),
        Filtres(sexe="F"),
        Filtres(dispositif="RSA"),
        Filtres(dispositif="CEJ"),
        Filtres(tranche_age="18-21"),
        Filtres(qpv=True),
        Filtres(niveau_formation="3", rqth=False),
    ]
)


class Store:
    """One database reused across examples: emptied and refilled by each one."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        with self.engine.begin() as conn:
            conn.execute(
                EXCHANGE_MODELS["structures"].__table__.insert(),
                [{"code_structure": s, "nom": f"Structure {s}", "departement": d} for s, d in STRUCTURES],
            )

    def load(self, data: dict) -> None:
        with self.engine.begin() as conn:
            for name in ("financements", "jalons", "accompagnements", "jeunes"):
                conn.execute(EXCHANGE_MODELS[name].__table__.delete())
            for name in ("jeunes", "accompagnements", "jalons", "financements"):
                if data[name]:
                    conn.execute(EXCHANGE_MODELS[name].__table__.insert(), data[name])
            store.bump_data_version(conn)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request, tmp_path_factory):
    from tests.conftest import new_postgres_database, new_sqlite_database

    if request.param == "sqlite":
        url = new_sqlite_database(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp("props"))
    else:
        url = new_postgres_database(
            request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_template")
        )
    s = Store(url)
    yield s
    s.engine.dispose()


@SETTINGS
@given(data=datasets(), periode=periods, filtres=filters)
def test_ratios_numerator_within_denominator(db, data, periode, filtres):
    db.load(data)
    values = compute(db.engine, periode, Perimetre(), filtres)
    for code in RATIOS:
        v = values[code]
        assert 0 <= v.numerateur <= v.denominateur, code
        assert (v.valeur is None) == (v.denominateur == 0), code
        assert v.valeur is None or 0 <= v.valeur <= 100, code
    for code in ADDITIVE:
        assert values[code].valeur >= 0


@SETTINGS
@given(data=datasets(), periode=periods, filtres=filters)
def test_structures_add_up_to_the_national_figures(db, data, periode, filtres):
    db.load(data)
    national = compute(db.engine, periode, Perimetre(), filtres)
    parts = [compute(db.engine, periode, Perimetre(Echelon.STRUCTURE, s), filtres) for s, _ in STRUCTURES]
    for code in ADDITIVE:
        assert sum(p[code].valeur for p in parts) == national[code].valeur, code
    for code in RATIOS:
        assert sum(p[code].numerateur for p in parts) == national[code].numerateur, code
        assert sum(p[code].denominateur for p in parts) == national[code].denominateur, code
    by_departement = breakdown(db.engine, periode, Perimetre(), "jeunes_suivis", "departement", filtres)
    assert by_departement.valeur.iloc[:-1].sum() == by_departement.valeur.iloc[-1] == national["jeunes_suivis"].valeur
    by_sexe = breakdown(db.engine, periode, Perimetre(), "parcours_securises", "sexe", filtres)
    assert by_sexe.denominateur.iloc[:-1].sum() == by_sexe.denominateur.iloc[-1]


@SETTINGS
@given(
    data=datasets(),
    periode=periods,
    filtres=filters,
    code=st.sampled_from(ADDITIVE + RATIOS),
    dimension=st.sampled_from(sorted(PARTITIONS)),
)
def test_a_breakdown_total_taken_from_its_groups_is_the_indicator(db, data, periode, filtres, code, dimension):
    """For the dimensions that split the young people, the engine adds the groups up instead of a second pass."""
    db.load(data)
    frame = breakdown(db.engine, periode, Perimetre(), code, dimension, filtres)
    total = frame.astype(object).where(frame.notna(), None).iloc[-1]
    unbroken = compute(db.engine, periode, Perimetre(), filtres, codes=[code])[code]
    assert total.modalite == "Total"
    assert (total.valeur, total.numerateur, total.denominateur) == (
        unbroken.valeur,
        unbroken.numerateur,
        unbroken.denominateur,
    ), code
    shown = frame.iloc[:-1]  # nobody hidden outside the rows (a filter must not put everyone in one group)
    if REGISTRY[code].nature is Nature.COUNT:
        assert shown.valeur.sum() == total.valeur, code
    else:
        assert (shown.numerateur.sum(), shown.denominateur.sum()) == (total.numerateur, total.denominateur), code


@SETTINGS
@given(
    data=datasets(),
    periode=periods,
    filtres=filters,
    code=st.sampled_from(sorted(set(REGISTRY) - DETAIL_CODES)),
    perimetre=st.sampled_from([Perimetre(), Perimetre(Echelon.STRUCTURE, "S1"), Perimetre(Echelon.DEPARTEMENT, "13")]),
)
def test_an_indicator_alone_reads_a_slimmer_followed_set_with_the_same_result(db, data, periode, filtres, code, perimetre):
    """Asked alone, most indicators need only who is followed (`Requetes(detail=False)`): same figures as
    the full computation, which builds S(P) with every column."""
    db.load(data)
    everything = compute(db.engine, periode, perimetre, filtres)
    for asked in (code, "jeunes_suivis"):
        alone = compute(db.engine, periode, perimetre, filtres, codes=[asked])[asked]
        full = everything[asked]
        assert (alone.valeur, alone.numerateur, alone.denominateur) == (full.valeur, full.numerateur, full.denominateur)


@SETTINGS
@given(data=datasets(), periode=periods, filtres=filters)
def test_sql_agrees_with_the_naive_reading_of_the_spec(db, data, periode, filtres):
    db.load(data)
    sql = compute(db.engine, periode, Perimetre(), filtres)
    naive = compute_naive(load_tables(db.engine), periode, Perimetre(), filtres)
    for code in sql:
        got, want = sql[code], naive[code]
        assert (got.valeur, got.numerateur, got.denominateur) == (want.valeur, want.numerateur, want.denominateur), code
