"""Administration commands: `mlimpact utilisateur` (accounts) and `mlimpact purge` (retention)."""

from __future__ import annotations

import datetime as dt

import click

from mlimpact import vocab
from mlimpact.cli import common
from mlimpact.cli.common import DATE, database_errors, db_option, ensure_schema, fail, open_engine, out
from presentation.formats import entier


def register(app: click.Group) -> None:
    app.add_command(utilisateur)
    app.add_command(purge)


@click.command("utilisateur", cls=common.FrenchCommand)
@click.argument("email")
@click.option("--role", type=click.Choice(list(vocab.ROLES)), help="Rôle du compte.")
@click.option("--structure", metavar="CODE", help="Structure (conseiller, directeur).")
@click.option("--departement", metavar="CODE", help="Département (rôle departement).")
@click.option("--supprimer", is_flag=True, help="Supprime le compte.")
@common.auteur_option
@db_option
def utilisateur(
    email: str, role: str | None, structure: str | None, departement: str | None, supprimer: bool, auteur: str | None, db: str | None
) -> None:
    """Crée ou met à jour le compte auquel se connecte l'identité OIDC de cet e-mail (ou le supprime)."""
    from mlimpact.accounts import CompteInvalide, delete_account, save_account

    engine = open_engine(db)
    with database_errors():
        ensure_schema(engine)
        with engine.begin() as conn:
            if supprimer:
                if not delete_account(conn, email, auteur=common.author(auteur)):
                    raise fail(f"aucun compte pour « {email} ».", 1)
                out.print(f"Compte supprimé : {email}")
                return
            if role is None:
                raise fail("indiquez --role (ou --supprimer).")
            try:
                compte, created = save_account(conn, email, role, structure, departement, auteur=common.author(auteur))
            except CompteInvalide as exc:
                raise fail(str(exc)) from None
    territoire = compte.code_structure or compte.departement or "tout le territoire"
    out.print(f"Compte {'créé' if created else 'mis à jour'} : {compte.email} — {vocab.ROLES[compte.role]} ({territoire})")


@click.command("purge", cls=common.FrenchCommand)
@click.option("--inactif-depuis", "since", type=DATE, required=True, help="Supprimer les jeunes sans jalon ni accompagnement ouvert depuis cette date.")
@click.option("--dry-run", is_flag=True, help="Compter sans rien supprimer.")
@common.auteur_option
@db_option
def purge(since: dt.date, dry_run: bool, auteur: str | None, db: str | None) -> None:
    """Supprime les jeunes inactifs depuis une date, avec toutes leurs données (durée de conservation)."""
    from mlimpact.retention import purge as run_purge

    engine = open_engine(db)
    with database_errors():
        ensure_schema(engine)
        with engine.begin() as conn:
            counts = run_purge(conn, since, auteur=common.author(auteur), dry_run=dry_run)
    verb = "seraient supprimés" if dry_run else "supprimés"
    out.print(
        f"Jeunes inactifs depuis le {since:%d/%m/%Y} {verb} : {entier(counts['jeunes'])} jeunes, "
        f"{entier(counts['accompagnements'])} accompagnements, {entier(counts['jalons'])} jalons."
    )
