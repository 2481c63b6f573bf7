"""Convention objectives beside the results, on both databases: direction, provisional years, missing values."""

from __future__ import annotations

import datetime as dt

import pytest

from indicators.models.objectifs import STATUTS, atteint, objectifs_vs_resultats
from indicators.types import Valeur
from mlimpact.exchange.importer import import_paths
from tests.support.exchange_files import SMALL, write_tables

TABLES = {
    "structures": SMALL["structures"],
    "jeunes": SMALL["jeunes"],
    "jalons": """id_jalon;id_jeune;date;type;domaine;montant_eur;commentaire
K1;J001;2025-03-01;entretien;;;
K2;J001;2026-01-15;entretien;;;
""",
    "objectifs": """code_structure;annee;indicateur;cible
ML13001;2025;ancrage_rsa;30
ML13001;2025;acces_emploi;40
ML13001;2025;jeunes_suivis;100
ML13001;2025;entree_sous_30j;70,5
ML13001;2025;delai_entree_jours;20
ML13001;2024;acces_emploi;35
ML84001;2025;acces_emploi;50
""",
}
OVER = dt.date(2026, 1, 15)


@pytest.fixture
def store(engine, tmp_path):
    result = import_paths(engine, [write_tables(tmp_path / "in", TABLES)], today=dt.date(2026, 2, 1), author="tests")
    assert result.exit_code == 0, [str(p) for p in result.problems] or result.errors
    return engine


def results(**values) -> dict[str, Valeur]:
    return {code: Valeur(code, v) for code, v in values.items()}


def test_targets_against_results_after_the_year(store):
    res = {
        **results(acces_emploi=42.0, ancrage_rsa=25.0, delai_entree_jours=24.5),
        "entree_sous_30j": Valeur("entree_sous_30j", None, masque=True),
    }
    with store.connect() as conn:
        t = objectifs_vs_resultats(conn, "ML13001", 2025, res, as_of=OVER)
    assert list(t.columns) == [
        "indicateur", "libelle", "unite", "sens", "cible", "resultat", "ecart", "statut", "statut_libelle",
    ]
    # the order of docs/arithmetic.md
    assert list(t["indicateur"]) == [
        "jeunes_suivis", "acces_emploi", "delai_entree_jours", "entree_sous_30j", "ancrage_rsa",
    ]
    rows = {r.indicateur: r for r in t.itertuples()}
    assert (rows["acces_emploi"].cible, rows["acces_emploi"].resultat, rows["acces_emploi"].ecart) == (40.0, 42.0, 2.0)
    assert rows["acces_emploi"].statut == "atteint" and rows["acces_emploi"].sens == "hausse"
    assert rows["ancrage_rsa"].sens == "baisse"
    assert rows["ancrage_rsa"].statut == "atteint" and rows["ancrage_rsa"].ecart == -5.0  # lower is better
    assert rows["jeunes_suivis"].statut == "sans valeur"  # not computed
    assert rows["entree_sous_30j"].statut == "sans valeur" and rows["entree_sous_30j"].cible == 70.5  # masked
    assert rows["delai_entree_jours"].statut == "non atteint"  # a longer delay than the target
    assert rows["acces_emploi"].libelle == "Accès à l'emploi" and rows["acces_emploi"].unite == "%"
    assert set(t["statut_libelle"]) <= set(STATUTS.values())


def test_an_anchoring_above_its_target_is_not_reached(store):
    with store.connect() as conn:
        t = objectifs_vs_resultats(conn, "ML13001", 2025, results(ancrage_rsa=35.0), as_of=OVER)
    assert t.set_index("indicateur").loc["ancrage_rsa", "statut"] == "non atteint"


def test_a_year_not_over_is_in_progress(store):
    with store.connect() as conn:
        res = results(acces_emploi=10.0, ancrage_rsa=50.0)
        t = objectifs_vs_resultats(conn, "ML13001", 2025, res, as_of=dt.date(2025, 6, 30))
    statuts = dict(zip(t["indicateur"], t["statut"]))
    assert statuts["acces_emploi"] == "en cours" and statuts["ancrage_rsa"] == "en cours"
    assert statuts["jeunes_suivis"] == "sans valeur"


def test_the_last_day_of_the_year_closes_it(store):
    with store.connect() as conn:
        t = objectifs_vs_resultats(conn, "ML13001", 2025, results(acces_emploi=10.0), as_of=dt.date(2025, 12, 31))
    assert t.set_index("indicateur").loc["acces_emploi", "statut"] == "non atteint"


def test_as_of_defaults_to_the_latest_jalon(store):
    with store.connect() as conn:
        t = objectifs_vs_resultats(conn, "ML13001", 2025, results(acces_emploi=40.0))
    assert t.set_index("indicateur").loc["acces_emploi", "statut"] == "atteint"  # equal counts as reached


def test_directions_may_be_given(store):
    with store.connect() as conn:
        t = objectifs_vs_resultats(
            conn, "ML13001", 2025, results(acces_emploi=42.0), sens={"acces_emploi": "baisse"}, as_of=OVER
        )
        with pytest.raises(ValueError, match="Sens inconnu"):
            objectifs_vs_resultats(conn, "ML13001", 2025, results(acces_emploi=42.0), sens={"acces_emploi": "haut"})
    assert t.set_index("indicateur").loc["acces_emploi", "statut"] == "non atteint"


def test_only_the_structure_and_year_asked(store):
    with store.connect() as conn:
        other = objectifs_vs_resultats(conn, "ML84001", 2025, results(acces_emploi=42.0), as_of=OVER)
        before = objectifs_vs_resultats(conn, "ML13001", 2024, results(acces_emploi=36.0), as_of=OVER)
        nothing = objectifs_vs_resultats(conn, "ML13001", 2023, {}, as_of=OVER)
    assert other[["indicateur", "cible", "statut"]].values.tolist() == [["acces_emploi", 50.0, "non atteint"]]
    assert before[["indicateur", "cible", "statut"]].values.tolist() == [["acces_emploi", 35.0, "atteint"]]
    assert nothing.empty and "statut" in nothing.columns


@pytest.mark.parametrize(
    "resultat, cible, sens, expected",
    [
        (5, 5, "hausse", True),
        (4.9, 5, "hausse", False),
        (5, 5, "baisse", True),
        (5.1, 5, "baisse", False),
        (6, 5, "neutre", True),
    ],
)
def test_atteint(resultat, cible, sens, expected):
    assert atteint(resultat, cible, sens) is expected


# --- the indicator code of a target: checked by the exchange format, not by a CHECK (migration 0008) -------
def test_an_unknown_indicator_code_is_refused_on_import_in_french(store, tmp_path):
    from sqlalchemy import text

    bad = {**TABLES, "objectifs": TABLES["objectifs"] + "ML13001;2025;taux_de_bonheur;50\n"}
    result = import_paths(store, [write_tables(tmp_path / "bad", bad)], today=dt.date(2026, 2, 1), author="tests")
    assert result.exit_code == 1
    assert [(p.table, p.column) for p in result.problems] == [("objectifs", "indicateur")]
    assert "valeur inconnue" in result.problems[0].message and "taux_de_bonheur" in str(result.problems[0])
    with store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM objectifs WHERE indicateur = 'taux_de_bonheur'")).scalar() == 0


def test_migration_0008_drops_the_check_and_keeps_the_targets(store):
    """Down to 0007 (the CHECK of the 31 codes refuses a new one), up again: the same targets, no CHECK."""
    from alembic import command
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import IntegrityError

    from mlimpact.migrate import current_revision, head_revision
    from tests.db.test_engine import migrate

    def targets():
        with store.connect() as conn:
            return sorted(conn.execute(text("SELECT code_structure, annee, indicateur, cible FROM objectifs")).all())

    def checks():
        """The CHECKs of objectifs on the indicator code (migration 0009 adds others, on the year and the target)."""
        return [c["name"] for c in inspect(store).get_check_constraints("objectifs") if "indicateur" in c["name"]]

    before = targets()
    assert len(before) == 7 and checks() == []
    migrate(store, command.downgrade, "0007")
    assert current_revision(store) == "0007" and checks() == ["ck_objectifs_indicateur"]
    assert targets() == before
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(text("INSERT INTO objectifs VALUES ('ML13001', 2025, 'immersions_par_jeune', 1)"))
    migrate(store, command.upgrade, "head")
    assert current_revision(store) == head_revision() and checks() == []
    assert targets() == before
    with store.begin() as conn:  # a code the registry adds later needs no migration
        conn.execute(text("INSERT INTO objectifs VALUES ('ML13001', 2025, 'immersions_par_jeune', 1)"))
    assert len(targets()) == 8
