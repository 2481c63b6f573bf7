"""The parcours store: the six tables of the exchange format, accounts and audit.

Constraints mirror docs/format.md so that the database refuses what the import
refuses, whichever path a row takes (import, form, script); the bounds that move with
the current year are validation's (migration 0008; on SQLite its bounds are triggers).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mlimpact import vocab

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# `record_key`: a fixed random integer in [0, 255] that the database draws for every jeune and jalon
# (DEFAULT, migration 0010). The cell-key perturbation of figures shown outside a structure reads it
# (indicators.disclosure.perturbation); it is never exported nor shown.
RECORD_KEY = "record_key"


def _in(column: str, values) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def _departement_codes() -> list[str]:
    from mlimpact.territoires import DEPARTEMENTS

    return list(DEPARTEMENTS)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Structure(Base):
    """A Mission Locale."""

    __tablename__ = "structures"
    code_structure: Mapped[str] = mapped_column(String(20), primary_key=True)
    nom: Mapped[str] = mapped_column(String(200))
    departement: Mapped[str] = mapped_column(String(3), index=True)
    __table_args__ = (CheckConstraint(_in("departement", _departement_codes()), name="departement"),)


class Jeune(Base):
    """A young person, pseudonymous: no name, NIR, address, phone or email is ever stored."""

    __tablename__ = "jeunes"
    id_jeune: Mapped[str] = mapped_column(String(40), primary_key=True)
    code_structure: Mapped[str] = mapped_column(ForeignKey("structures.code_structure"), index=True)
    annee_naissance: Mapped[int] = mapped_column(Integer)
    sexe: Mapped[str] = mapped_column(String(1))
    niveau_formation: Mapped[str | None] = mapped_column(String(6))
    qpv: Mapped[bool] = mapped_column(Boolean, default=False)
    frr: Mapped[bool] = mapped_column(Boolean, default=False)
    rqth: Mapped[bool] = mapped_column(Boolean, default=False)
    date_premier_accueil: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    record_key: Mapped[int] = mapped_column(SmallInteger, server_default=FetchedValue())  # see RECORD_KEY
    __table_args__ = (
        CheckConstraint(_in("sexe", vocab.SEXES), name="sexe"),
        CheckConstraint(
            "niveau_formation IS NULL OR " + _in("niveau_formation", vocab.NIVEAUX_FORMATION), name="niveau"
        ),
        CheckConstraint("annee_naissance >= 1950 AND annee_naissance <= 2100", name="annee_naissance"),
    )


class Accompagnement(Base):
    """A spell in one dispositif."""

    __tablename__ = "accompagnements"
    id_accompagnement: Mapped[str] = mapped_column(String(40), primary_key=True)
    id_jeune: Mapped[str] = mapped_column(ForeignKey("jeunes.id_jeune", ondelete="CASCADE"), index=True)
    dispositif: Mapped[str] = mapped_column(String(12))
    date_debut: Mapped[dt.date] = mapped_column(Date)
    date_fin: Mapped[dt.date | None] = mapped_column(Date)
    motif_fin: Mapped[str | None] = mapped_column(String(30))
    financeur: Mapped[str | None] = mapped_column(String(5))
    # The conseiller in charge: the e-mail of an account of the jeune's structure (checked where rows enter).
    referent: Mapped[str | None] = mapped_column(String(254), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __table_args__ = (
        CheckConstraint(_in("dispositif", vocab.DISPOSITIFS), name="dispositif"),
        CheckConstraint("date_fin IS NULL OR date_fin >= date_debut", name="dates"),
        CheckConstraint(
            "(date_fin IS NULL AND motif_fin IS NULL) OR "
            f"(date_fin IS NOT NULL AND {_in('motif_fin', vocab.MOTIFS_FIN)})",
            name="motif_fin",
        ),
        CheckConstraint("financeur IS NULL OR " + _in("financeur", vocab.FINANCEURS), name="financeur"),
    )


class Jalon(Base):
    """A dated milestone of a parcours."""

    __tablename__ = "jalons"
    id_jalon: Mapped[str] = mapped_column(String(40), primary_key=True)
    id_jeune: Mapped[str] = mapped_column(ForeignKey("jeunes.id_jeune", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(30))
    domaine: Mapped[str | None] = mapped_column(String(20))
    montant_eur: Mapped[Decimal | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    commentaire: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    record_key: Mapped[int] = mapped_column(SmallInteger, server_default=FetchedValue())  # see RECORD_KEY
    __table_args__ = (
        CheckConstraint(_in("type", vocab.TYPES_JALON), name="type"),
        CheckConstraint(
            "(domaine IS NULL AND type NOT IN ({t})) OR (domaine IS NOT NULL AND type IN ({t}))".format(
                t=", ".join(f"'{t}'" for t in vocab.DOMAINES_PAR_TYPE)
            ),
            name="domaine",
        ),
        CheckConstraint("montant_eur IS NULL OR (montant_eur >= 0 AND montant_eur <= 10000)", name="montant"),
        Index("ix_jalons_jeune_date", "id_jeune", "date"),
        Index("ix_jalons_type_date", "type", "date"),
        Index("ix_jalons_date_jeune", "date", "id_jeune"),  # the recent jalons (migration 0013)
    )


class Financement(Base):
    """A year of funding of a structure by one funder for one dispositif (or all)."""

    __tablename__ = "financements"
    code_structure: Mapped[str] = mapped_column(ForeignKey("structures.code_structure"), primary_key=True)
    annee: Mapped[int] = mapped_column(Integer, primary_key=True)
    financeur: Mapped[str] = mapped_column(String(5), primary_key=True)
    dispositif: Mapped[str] = mapped_column(String(12), primary_key=True)
    montant_eur: Mapped[float] = mapped_column(Numeric(14, 2, asdecimal=False))
    __table_args__ = (
        CheckConstraint(_in("financeur", vocab.FINANCEURS), name="financeur"),
        CheckConstraint(_in("dispositif", vocab.DISPOSITIFS_FINANCEMENT), name="dispositif"),
        CheckConstraint("montant_eur >= 0 AND montant_eur <= 100000000", name="montant"),
        CheckConstraint("annee >= 2000 AND annee <= 2100", name="annee"),
    )


class Objectif(Base):
    """A target of the convention with the Conseil départemental.

    No CHECK on `indicateur` (migration 0008): the exchange format refuses an
    unknown code (`vocab.INDICATEUR_CODES`), so a new indicator needs no migration.
    """

    __tablename__ = "objectifs"
    code_structure: Mapped[str] = mapped_column(ForeignKey("structures.code_structure"), primary_key=True)
    annee: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicateur: Mapped[str] = mapped_column(String(40), primary_key=True)
    cible: Mapped[float] = mapped_column(Numeric(14, 2, asdecimal=False))
    __table_args__ = (
        CheckConstraint("annee >= 2000 AND annee <= 2100", name="annee"),
        CheckConstraint("cible >= -1000000000 AND cible <= 1000000000", name="cible"),
    )


class NoteAnnuelle(Base):
    """A director's words of a year (migration 0012): the year's facts and anonymised parcours stories.

    Free text, checked for identifying details when written (`mlimpact.notes`), shown as text only.
    """

    __tablename__ = "notes_annuelles"
    code_structure: Mapped[str] = mapped_column(ForeignKey("structures.code_structure"), primary_key=True)
    annee: Mapped[int] = mapped_column(Integer, primary_key=True)
    faits: Mapped[str] = mapped_column(Text, default="")
    recits: Mapped[str] = mapped_column(Text, default="")


class Compte(Base):
    """The account an OIDC identity (its email) signs in to: a role and its territory."""

    __tablename__ = "comptes"
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))
    code_structure: Mapped[str | None] = mapped_column(ForeignKey("structures.code_structure"))
    departement: Mapped[str | None] = mapped_column(String(3))
    cree_le: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (CheckConstraint(_in("role", vocab.ROLES), name="role"),)


class Audit(Base):
    """One write, export or report: who, when, what, and the values before and after."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    horodatage: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    auteur: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(40))
    cle: Mapped[str | None] = mapped_column(String(200), index=True)
    avant: Mapped[dict | None] = mapped_column(JSON)
    apres: Mapped[dict | None] = mapped_column(JSON)
    detail: Mapped[str | None] = mapped_column(Text)


class Parametre(Base):
    """Key/value settings of the store: the data version (cache key), the data set's origin."""

    __tablename__ = "parametres"
    cle: Mapped[str] = mapped_column(String(60), primary_key=True)
    valeur: Mapped[str] = mapped_column(Text)


EXCHANGE_MODELS = {
    "structures": Structure,
    "jeunes": Jeune,
    "accompagnements": Accompagnement,
    "jalons": Jalon,
    "financements": Financement,
    "objectifs": Objectif,
}
