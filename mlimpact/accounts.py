"""Accounts: the mapping from a signed-in identity (its email) to a role and a territory."""

from __future__ import annotations

import re

from sqlalchemy import Connection, func, select

from mlimpact import audit, territoires, vocab
from mlimpact.access import AccesRefuse, Compte
from mlimpact.models import Compte as CompteRow
from mlimpact.models import Structure

_COLUMNS = select(CompteRow.email, CompteRow.role, CompteRow.code_structure, CompteRow.departement)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # the shape of an account's address
# The fictitious addresses of the demo data set and of the demo mode's accounts. `.invalid` is reserved
# (RFC 2606, 6761): no mailbox can ever exist there, so such an address names nobody.
DEMO_DOMAIN = "demo.invalid"


class CompteInvalide(ValueError):
    """An account that cannot be saved (French message)."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _check_admin(par: Compte | None) -> None:
    if par is not None and par.role != "admin":
        raise AccesRefuse("Seule l'administration de la plateforme gère les comptes.")


def get_account(conn: Connection, email: str) -> Compte | None:
    row = conn.execute(_COLUMNS.where(CompteRow.email == normalise_email(email))).one_or_none()
    return None if row is None else Compte(*row)


def est_fictive(email: str) -> bool:
    """An address of the reserved demo domain: it names nobody."""
    return normalise_email(email).endswith("@" + DEMO_DOMAIN)


def referents(conn: Connection, code_structure: str) -> list[str]:
    """The addresses that may be the referent of an accompagnement of the structure: its conseillers' and
    directeurs' accounts, conseillers first."""
    rows = conn.execute(
        select(CompteRow.email)
        .where(CompteRow.code_structure == code_structure, CompteRow.role.in_(("conseiller", "directeur")))
        .order_by(CompteRow.role, CompteRow.email)
    )
    return list(rows.scalars())


def referent_refuse(conn: Connection, email: str | None, code_structure: str, cache: dict | None = None) -> str | None:
    """Why `email` cannot be the referent of an accompagnement of the structure (French), or None when it can:
    empty, an account of that structure, or a fictitious address of the demo domain. `cache` (a dict the caller
    keeps) spares a query per row in an import."""
    if not email:
        return None
    if est_fictive(email):
        return None
    cache = {} if cache is None else cache
    if code_structure not in cache:
        cache[code_structure] = set(referents(conn, code_structure))
    if normalise_email(email) in cache[code_structure]:
        return None
    return (f"« {email} » n'est pas le compte d'un conseiller ou d'un directeur de la structure {code_structure} : "
            "le référent doit être l'adresse e-mail d'un compte de la structure du jeune (créez d'abord le compte, "
            "ou laissez le référent vide).")


def count_accounts(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(CompteRow)).scalar_one()


def list_accounts(conn: Connection) -> list[Compte]:
    return [Compte(*row) for row in conn.execute(_COLUMNS.order_by(CompteRow.role, CompteRow.email))]


def _check(conn: Connection, compte: Compte) -> Compte:
    if not EMAIL.match(compte.email):
        raise CompteInvalide(f"Adresse e-mail invalide : « {compte.email} ».")
    if compte.role not in vocab.ROLES:
        raise CompteInvalide(f"Rôle inconnu « {compte.role} » ; attendu : {', '.join(vocab.ROLES)}.")
    if compte.est_structure:
        if not compte.code_structure or compte.departement:
            raise CompteInvalide(f"Le rôle {compte.role} demande une structure (--structure), et elle seule.")
        known = conn.execute(select(Structure.code_structure).where(Structure.code_structure == compte.code_structure))
        if known.scalar_one_or_none() is None:
            raise CompteInvalide(f"Structure inconnue : « {compte.code_structure} ».")
    elif compte.role == "departement":
        if not compte.departement or compte.code_structure:
            raise CompteInvalide("Le rôle departement demande un département (--departement), et lui seul.")
        if compte.departement not in territoires.DEPARTEMENTS:
            raise CompteInvalide(f"Département inconnu : « {compte.departement} ».")
    elif compte.code_structure or compte.departement:
        raise CompteInvalide(f"Le rôle {compte.role} ne se rattache ni à une structure ni à un département.")
    return compte


def save_account(
    conn: Connection,
    email: str,
    role: str,
    code_structure: str | None = None,
    departement: str | None = None,
    auteur: str = "cli",
    par: Compte | None = None,
) -> tuple[Compte, bool]:
    """Create or update an account; returns it and whether it was created. Audited.

    `par` is the signed-in account doing it (None: the command line); only an admin may.
    """
    _check_admin(par)
    if departement and departement.isdigit() and len(departement) == 1:
        departement = departement.zfill(2)
    compte = _check(conn, Compte(normalise_email(email), role, code_structure or None, departement or None))
    before = get_account(conn, compte.email)
    values = {"role": compte.role, "code_structure": compte.code_structure, "departement": compte.departement}
    table = CompteRow.__table__
    if before is None:
        conn.execute(table.insert().values(email=compte.email, **values))
    else:
        conn.execute(table.update().where(table.c.email == compte.email).values(**values))
    audit.record(conn, auteur, "create" if before is None else "update", "comptes", compte.email,
                 None if before is None else vars(before), vars(compte))
    return compte, before is None


def delete_account(conn: Connection, email: str, auteur: str = "cli", par: Compte | None = None) -> bool:
    """Remove an account; False when there was none. Audited. Only an admin may (see save_account)."""
    _check_admin(par)
    before = get_account(conn, email)
    if before is None:
        return False
    conn.execute(CompteRow.__table__.delete().where(CompteRow.email == before.email))
    audit.record(conn, auteur, "delete", "comptes", before.email, vars(before), None)
    return True
