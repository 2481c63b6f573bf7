"""The tables of the exchange format as data: columns, types, keys, references.

One declarative description that the reader, the validator, the writer and the
forms all use, so that a rule of docs/format.md is written down exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from mlimpact import vocab


class Kind(str, Enum):
    TEXT = "text"
    ENUM = "enum"
    INT = "int"
    BOOL = "bool"
    DATE = "date"
    DECIMAL = "decimal"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    label: str = ""  # French wording for messages and forms

    @property
    def is_free_text(self) -> bool:
        return self.kind is Kind.TEXT


@dataclass(frozen=True)
class Reference:
    """A column that must name a row of another table (known or imported)."""

    column: str
    table: str
    message: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default_factory=tuple)
    label: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _choices(d) -> tuple[str, ...]:
    return tuple(d)


def _departement_codes() -> tuple[str, ...]:
    from mlimpact.territoires import DEPARTEMENTS

    return tuple(DEPARTEMENTS)


STRUCTURES = Table(
    "structures",
    (
        Column("code_structure", Kind.TEXT, required=True, max_length=20, label="code de la structure"),
        Column("nom", Kind.TEXT, required=True, max_length=200, label="nom"),
        Column("departement", Kind.ENUM, required=True, choices=_departement_codes(), label="département"),
    ),
    key=("code_structure",),
    label="structures",
)

JEUNES = Table(
    "jeunes",
    (
        Column("id_jeune", Kind.TEXT, required=True, max_length=40, label="identifiant du jeune"),
        Column("code_structure", Kind.TEXT, required=True, max_length=20, label="code de la structure"),
        Column("annee_naissance", Kind.INT, required=True, label="année de naissance"),
        Column("sexe", Kind.ENUM, required=True, choices=_choices(vocab.SEXES), label="sexe"),
        Column("niveau_formation", Kind.ENUM, choices=_choices(vocab.NIVEAUX_FORMATION), label="niveau de formation"),
        Column("qpv", Kind.BOOL, label="QPV"),
        Column("frr", Kind.BOOL, label="FRR"),
        Column("rqth", Kind.BOOL, label="RQTH"),
        Column("date_premier_accueil", Kind.DATE, label="date du premier accueil"),
    ),
    key=("id_jeune",),
    references=(Reference("code_structure", "structures", "structure inconnue"),),
    label="jeunes",
)

ACCOMPAGNEMENTS = Table(
    "accompagnements",
    (
        Column("id_accompagnement", Kind.TEXT, required=True, max_length=40, label="identifiant de l'accompagnement"),
        Column("id_jeune", Kind.TEXT, required=True, max_length=40, label="identifiant du jeune"),
        Column("dispositif", Kind.ENUM, required=True, choices=_choices(vocab.DISPOSITIFS), label="dispositif"),
        Column("date_debut", Kind.DATE, required=True, label="date de début"),
        Column("date_fin", Kind.DATE, label="date de fin"),
        Column("motif_fin", Kind.ENUM, choices=_choices(vocab.MOTIFS_FIN), label="motif de fin"),
        Column("financeur", Kind.ENUM, choices=_choices(vocab.FINANCEURS), label="financeur"),
        # v1.1: the conseiller in charge, as their account's e-mail; an account of the jeune's structure (importer)
        Column("referent", Kind.TEXT, max_length=254, label="référent"),
    ),
    key=("id_accompagnement",),
    references=(Reference("id_jeune", "jeunes", "jeune inconnu"),),
    label="accompagnements",
)

JALONS = Table(
    "jalons",
    (
        Column("id_jalon", Kind.TEXT, required=True, max_length=40, label="identifiant du jalon"),
        Column("id_jeune", Kind.TEXT, required=True, max_length=40, label="identifiant du jeune"),
        Column("date", Kind.DATE, required=True, label="date"),
        Column("type", Kind.ENUM, required=True, choices=_choices(vocab.TYPES_JALON), label="type de jalon"),
        Column("domaine", Kind.ENUM, choices=_choices(vocab.ALL_DOMAINES), label="domaine"),
        Column("montant_eur", Kind.DECIMAL, label="montant (€)"),
        Column("commentaire", Kind.TEXT, max_length=500, label="commentaire"),
    ),
    key=("id_jalon",),
    references=(Reference("id_jeune", "jeunes", "jeune inconnu"),),
    label="jalons",
)

FINANCEMENTS = Table(
    "financements",
    (
        Column("code_structure", Kind.TEXT, required=True, max_length=20, label="code de la structure"),
        Column("annee", Kind.INT, required=True, label="année"),
        Column("financeur", Kind.ENUM, required=True, choices=_choices(vocab.FINANCEURS), label="financeur"),
        Column(
            "dispositif", Kind.ENUM, required=True, choices=_choices(vocab.DISPOSITIFS_FINANCEMENT), label="dispositif"
        ),
        Column("montant_eur", Kind.DECIMAL, required=True, label="montant (€)"),
    ),
    key=("code_structure", "annee", "financeur", "dispositif"),
    references=(Reference("code_structure", "structures", "structure inconnue"),),
    label="financements",
)

OBJECTIFS = Table(
    "objectifs",
    (
        Column("code_structure", Kind.TEXT, required=True, max_length=20, label="code de la structure"),
        Column("annee", Kind.INT, required=True, label="année"),
        Column("indicateur", Kind.ENUM, required=True, choices=_choices(vocab.INDICATEUR_CODES), label="indicateur"),
        Column("cible", Kind.DECIMAL, required=True, label="cible"),
    ),
    key=("code_structure", "annee", "indicateur"),
    references=(Reference("code_structure", "structures", "structure inconnue"),),
    label="objectifs",
)

# Dependency order: a table may only refer to tables before it.
TABLES: dict[str, Table] = {
    t.name: t for t in (STRUCTURES, JEUNES, ACCOMPAGNEMENTS, JALONS, FINANCEMENTS, OBJECTIFS)
}
