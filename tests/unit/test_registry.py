"""The registry of indicators and its rules: one test per rule with the smallest definition that breaks it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indicators.registry import (
    CODES,
    DEFINITIONS,
    FACTEURS,
    REGISTRY,
    REGISTRY_VERSION,
    RULES,
    Indicateur,
    KnownCalculations,
    KnownDomaines,
    KnownKinds,
    KnownMeasures,
    Level,
    RatiosHaveDenominator,
    RegistryError,
    SensibleDecimals,
    SpecCodes,
    TextsFilled,
    UniqueCodes,
    build,
    check,
    get,
)
from indicators.types import Famille, Nature, Niveau, Sens
from mlimpact import vocab
from presentation import methodology

COUNT = Indicateur(
    "a",
    Famille.ACTIVITE,
    Nature.COUNT,
    "A",
    "Ce que compte A.",
    "jeunes",
    Sens.NEUTRE,
    Niveau.REALISATION,
    "Des jeunes",
    mesure_numerateur="jeunes",
)
RATIO = Indicateur(
    "b",
    Famille.PRODUIT,
    Nature.RATIO,
    "B",
    "Part de B.",
    "%",
    Sens.HAUSSE,
    Niveau.RESULTAT,
    "Certains",
    "Tous",
    1,
    mesure_numerateur="jeunes_emploi",
    mesure_denominateur="jeunes",
)
SPEC = {"a": "activite", "b": "produit"}


def errors(rule, definitions):
    return [i for i in rule.check(definitions) if i.level is Level.ERROR]


def test_the_shipped_registry_passes_every_rule():
    assert check(DEFINITIONS) == []


def test_registry_holds_the_spec_codes_in_order_with_their_families():
    assert list(REGISTRY) == list(vocab.INDICATEUR_CODES) == list(CODES)
    assert {c: d.famille.value for c, d in REGISTRY.items()} == vocab.INDICATEUR_CODES
    assert REGISTRY_VERSION == "1.0"


def test_the_smallest_valid_registry_passes():
    rules = [*(r for r in RULES if not isinstance(r, SpecCodes)), SpecCodes(SPEC)]
    assert build([COUNT, RATIO], rules) == {"a": COUNT, "b": RATIO}


def test_unique_codes():
    assert errors(UniqueCodes(), [COUNT, RATIO]) == []
    found = errors(UniqueCodes(), [COUNT, replace(RATIO, code="a")])
    assert [(i.rule, i.code) for i in found] == [("codes_uniques", "a")]


@pytest.mark.parametrize("field", ["famille", "nature", "sens", "niveau"])
def test_known_kinds(field):
    broken = replace(COUNT, **{field: "inconnu"})
    found = errors(KnownKinds(), [broken])
    assert len(found) == 1 and field in found[0].message


def test_ratios_have_a_denominator():
    assert errors(RatiosHaveDenominator(), [replace(RATIO, denominateur=None)])[0].code == "b"
    assert errors(RatiosHaveDenominator(), [replace(RATIO, denominateur="  ")])
    # a count with a denominator is only a warning
    issues = RatiosHaveDenominator().check([replace(COUNT, denominateur="Tous")])
    assert [i.level for i in issues] == [Level.WARNING]


def test_a_ratio_divides_by_a_measure_and_a_count_by_nothing():
    assert errors(RatiosHaveDenominator(), [COUNT, RATIO]) == []
    found = errors(RatiosHaveDenominator(), [replace(RATIO, mesure_denominateur=None)])
    assert [i.message for i in found] == ["un ratio doit nommer la mesure de son dénominateur"]
    found = errors(RatiosHaveDenominator(), [replace(COUNT, mesure_denominateur="jeunes")])
    assert [i.message for i in found] == ["un comptage n'a pas de mesure au dénominateur"]


def test_every_measure_named_exists():
    assert errors(KnownMeasures(), [COUNT, RATIO, replace(COUNT, mesure_numerateur="jalons:aide_faj")]) == []
    assert errors(KnownMeasures(), [replace(COUNT, mesure_numerateur="")])[0].message == "aucune mesure au numérateur"
    assert "mesure inconnue : nope" in errors(KnownMeasures(), [replace(RATIO, mesure_denominateur="nope")])[0].message
    found = errors(KnownMeasures(), [replace(COUNT, mesure_numerateur="jalons:entretien+licorne")])
    assert "type de jalon inconnu : licorne" in found[0].message


def test_a_named_calculation_is_known_and_never_for_a_ratio_or_a_count():
    number = replace(COUNT, nature=Nature.NUMBER, mesure_numerateur="delais_suivis", calcul="mediane")
    assert errors(KnownCalculations(), [number]) == []
    assert "calcul inconnu" in errors(KnownCalculations(), [replace(number, calcul="moyenne")])[0].message
    assert "sans calcul nommé" in errors(KnownCalculations(), [replace(RATIO, calcul="mediane")])[0].message


def test_every_named_calculation_has_its_arithmetic():
    from indicators import formules, measures

    assert set(formules.CALCULS) == set(measures.CALCULS)


@pytest.mark.parametrize("field", ["libelle", "definition", "unite", "numerateur"])
def test_texts_are_filled(field):
    assert errors(TextsFilled(), [replace(COUNT, **{field: " "})])[0].message == f"texte vide : {field}"


def test_codes_equal_the_spec_list():
    rule = SpecCodes(SPEC)
    assert errors(rule, [COUNT, RATIO]) == []
    assert "absent du registre" in errors(rule, [COUNT])[0].message
    assert "absent de la spécification" in errors(rule, [COUNT, RATIO, replace(COUNT, code="c")])[0].message
    assert "famille" in errors(rule, [COUNT, replace(RATIO, famille=Famille.IMPACT)])[0].message
    assert "ordre" in errors(rule, [RATIO, COUNT])[0].message


def test_sensible_decimals():
    assert errors(SensibleDecimals(), [replace(COUNT, decimales=1)])
    assert errors(SensibleDecimals(), [replace(RATIO, decimales=2)])
    assert errors(SensibleDecimals(), [replace(COUNT, decimales=-1)])


def test_known_domaines():
    assert errors(KnownDomaines(), [replace(COUNT, domaines="couleurs")])
    assert errors(KnownDomaines(), [replace(COUNT, domaines="rupture")]) == []


def test_loading_a_broken_registry_raises_with_every_error():
    with pytest.raises(RegistryError) as raised:
        build([COUNT, replace(COUNT, libelle="")])
    rules = {i.rule for i in raised.value.issues}
    assert {"codes_uniques", "textes_remplis", "codes_de_la_spec"} <= rules
    assert "Registre des indicateurs invalide" in str(raised.value)


def test_scaling_factor_belongs_to_the_nature():
    assert FACTEURS[Nature.RATIO] == 100
    assert get("acces_emploi").facteur == 100 and get("entretiens").facteur == 1
    with pytest.raises(KeyError, match="indicateur inconnu"):
        get("nope")


def test_every_definition_is_plain_french_for_a_director():
    for d in DEFINITIONS:
        assert d.definition.endswith("."), d.code
        assert len(d.libelle) <= 40, d.code
        assert d.definition[0].isupper(), d.code
        if d.nature is Nature.COUNT:
            assert d.denominateur is None, d.code
    assert get("ancrage_rsa").sens is Sens.BAISSE  # "lower is better" in the spec


# --- methodology: generated from the registry ---------------------------------------------------------------
def test_methodology_rows_come_from_the_registry():
    rows = methodology.rows()
    assert [r["code"] for r in rows] == list(CODES)
    first = rows[0]
    assert first["libelle"] == REGISTRY["jeunes_suivis"].libelle
    assert first["denominateur"] == "1"  # a count, as DHIS2 writes it
    assert rows[CODES.index("acces_emploi")]["sens"] == "plus haut, c'est mieux"
    frame = methodology.frame()
    assert len(frame) == len(CODES) and "definition" in frame.columns


def test_methodology_markdown_has_every_family_and_indicator():
    text = methodology.markdown()
    for famille in Famille:
        assert methodology.FAMILLES[famille] in text
    for d in DEFINITIONS:
        assert d.libelle in text and d.definition in text
    assert REGISTRY_VERSION in text
    assert "Paramètres du modèle d'impact" in text


# --- what the engine derives from the declarations -----------------------------------------------------------
def test_the_passes_and_the_detail_of_s_p_follow_from_the_measures():
    from indicators.engine import DETAIL_CODES, PASSES, _jalon_types

    assert {p for p, codes in PASSES.items() if "immersions_par_jeune" in codes} == {"suivis", "jalons"}
    assert PASSES["budget"] == {
        "budget_eur", "cout_par_jeune_eur", "euros_evites_par_euro_investi", "budget_cd_eur", "euros_evites_par_euro_cd"
    }
    assert DETAIL_CODES == {"nouveaux_entrants", "jeunes_rsa_suivis", "sorties_positives", "parcours_securises"}
    # the jalons pass counts the types the asked indicators name, a denominator of two types included
    assert _jalon_types(["taux_ruptures_evitees", "immersions_par_jeune"]) == [
        "immersion",
        "rupture_evitee",
        "rupture_survenue",
    ]
