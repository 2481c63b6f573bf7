"""The registry of indicators and its rules: one test per rule with the smallest definition that breaks it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from presentation import methodology
from indicators.registry import (
    CODES,
    DEFINITIONS,
    FACTEURS,
    REGISTRY,
    REGISTRY_VERSION,
    RULES,
    Indicateur,
    KnownDomaines,
    KnownKinds,
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
)
RATIO = Indicateur(
    "b", Famille.PRODUIT, Nature.RATIO, "B", "Part de B.", "%", Sens.HAUSSE, Niveau.RESULTAT, "Certains", "Tous", 1
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
