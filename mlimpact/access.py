"""Who may see and write what: the access rules, applied where the data is read.

Every page, report, export and command asks these functions before it reads or
writes, with the signed-in account; a hidden page reached by its URL, forged
session state or a query parameter meets the same refusal here.

| role          | sees                                                     | writes                                    |
| ------------- | -------------------------------------------------------- | ----------------------------------------- |
| conseiller    | jeunes and figures of their structure                    | jeunes, accompagnements, jalons; imports  |
| directeur     | figures of their structure, its reports                  | objectifs, financements, impact settings; imports |
| departement   | figures of the structures of their département, perturbed | nothing                                 |
| bureau        | figures of every territory, perturbed                    | nothing                                   |
| admin         | everything                                               | accounts, settings (and imports)          |
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from mlimpact.models import Structure
from mlimpact.scope import Echelon, Perimetre

PARCOURS_TABLES = frozenset({"jeunes", "accompagnements", "jalons"})
CONVENTION_TABLES = frozenset({"objectifs", "financements"})


class AccesRefuse(Exception):
    """A read or write outside the account's rights (French message for the user)."""


@dataclass(frozen=True)
class Compte:
    """A signed-in account: an identity (email), a role and its territory."""

    email: str
    role: str
    code_structure: str | None = None
    departement: str | None = None

    @property
    def est_structure(self) -> bool:
        """Conseillers and directeurs belong to one structure."""
        return self.role in ("conseiller", "directeur")


def visible_structures_of(conn: Connection, compte: Compte) -> list[str] | None:
    """The structures whose figures the account may see; None means all."""
    if compte.role in ("bureau", "admin"):
        return None
    if compte.est_structure:
        return [compte.code_structure] if compte.code_structure else []
    if compte.role == "departement":
        query = select(Structure.code_structure).where(Structure.departement == compte.departement)
        return sorted(conn.execute(query).scalars())
    return []


def default_perimetre(compte: Compte) -> Perimetre:
    """The scope a view opens on for this account."""
    if compte.est_structure:
        return Perimetre(Echelon.STRUCTURE, compte.code_structure)
    if compte.role == "departement":
        return Perimetre(Echelon.DEPARTEMENT, compte.departement)
    return Perimetre()


def check_scope(conn: Connection, compte: Compte, perimetre: Perimetre) -> Perimetre:
    """Return the scope if the account may see its figures; refuse it otherwise."""
    if compte.role in ("bureau", "admin"):
        return perimetre
    if compte.est_structure:
        if perimetre == Perimetre(Echelon.STRUCTURE, compte.code_structure):
            return perimetre
        raise AccesRefuse("Vous ne pouvez consulter que les chiffres de votre structure.")
    if compte.role == "departement":
        if perimetre == Perimetre(Echelon.DEPARTEMENT, compte.departement):
            return perimetre
        if perimetre.echelon is Echelon.STRUCTURE and perimetre.code in (visible_structures_of(conn, compte) or []):
            return perimetre
        raise AccesRefuse("Vous ne pouvez consulter que les chiffres de votre département.")
    raise AccesRefuse("Votre rôle ne donne accès à aucun chiffre.")


def can_read_rows(compte: Compte, code_structure: str) -> bool:
    """Individual rows (a jeune's parcours) are for their structure's people and admins."""
    return compte.role == "admin" or (compte.est_structure and compte.code_structure == code_structure)


def check_row_read(compte: Compte, code_structure: str) -> None:
    if not can_read_rows(compte, code_structure):
        raise AccesRefuse("Ces données individuelles appartiennent à une autre structure.")


def writable_tables(compte: Compte) -> frozenset[str]:
    """The exchange tables an account may write (forms and imports)."""
    if compte.role == "conseiller":
        return PARCOURS_TABLES
    if compte.role == "directeur":
        return PARCOURS_TABLES | CONVENTION_TABLES
    if compte.role == "admin":
        return PARCOURS_TABLES | CONVENTION_TABLES | {"structures"}
    return frozenset()


def check_write(compte: Compte, table: str, code_structure: str | None) -> None:
    """Refuse a write of `table` for `code_structure` outside the account's rights."""
    if table not in writable_tables(compte):
        raise AccesRefuse(f"Votre rôle ne permet pas de modifier la table {table}.")
    if compte.role != "admin" and code_structure != compte.code_structure:
        raise AccesRefuse("Vous ne pouvez modifier que les données de votre structure.")


@dataclass(frozen=True)
class DroitsImport:
    """What an import may touch: tables, and structures (None = all)."""

    tables: frozenset[str]
    structures: frozenset[str] | None

    @classmethod
    def pour(cls, compte: Compte) -> DroitsImport:
        structures = None if compte.role == "admin" else frozenset(filter(None, [compte.code_structure]))
        return cls(writable_tables(compte), structures)


TOUT = DroitsImport(frozenset({"structures"}) | PARCOURS_TABLES | CONVENTION_TABLES, None)

