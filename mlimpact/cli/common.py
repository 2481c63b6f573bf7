"""What every `mlimpact` command shares: consoles, the --db option, errors, progress bars."""

from __future__ import annotations

import datetime as dt
import getpass
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

db_option = click.option(
    "--db",
    "db",
    default=None,
    metavar="URL",
    help="URL SQLAlchemy de la base (sinon MLIMPACT_DATABASE_URL, sinon le fichier SQLite par défaut).",
)


auteur_option = click.option(
    "--auteur",
    "auteur",
    default=None,
    metavar="NOM",
    help="Auteur inscrit au journal d'audit (par défaut : l'utilisateur du système qui lance la commande).",
)


def author(auteur: str | None) -> str:
    """Who a command acts for in the audit trail: `--auteur`, else the system user, never a shared « cli »."""
    if auteur and auteur.strip():
        return auteur.strip()[:254]
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment (a container without one): say where it came from
        user = ""
    return user or "ligne de commande (utilisateur inconnu)"


class FrenchCommand(click.Command):
    """A command whose --help option speaks French (a command made outside the group too)."""

    def get_help_option(self, ctx):
        return french_help(super().get_help_option(ctx))


def french_help(option):
    if option is not None:
        option.help = "Affiche cette aide et quitte."
    return option


class Exit(click.exceptions.Exit):
    """Leave a command with an exit status of docs/cli.md (0, 1 or 2)."""


def fail(message: str, code: int = 2) -> Exit:
    """Print a French error and return the exit to raise (`raise fail(...)`)."""
    err.print(f"Erreur : {message}", markup=False, soft_wrap=True)
    return Exit(code)


@contextmanager
def database_errors():
    """Turn a database that cannot be reached or used into exit status 2 with a French message."""
    try:
        yield
    except OperationalError as exc:
        raise fail(f"base de données inaccessible ou inutilisable ({first_line(exc)}).") from None
    except ProgrammingError as exc:
        raise fail(f"schéma de base absent ou ancien : lancez `mlimpact init-db` ({first_line(exc)}).") from None
    except SQLAlchemyError as exc:
        raise fail(f"erreur de base de données ({first_line(exc)}).") from None


def first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]


def open_engine(db: str | None):
    from sqlalchemy.exc import ArgumentError

    from mlimpact.db import make_engine

    try:
        return make_engine(db)
    except (ArgumentError, ValueError, ImportError) as exc:
        raise fail(f"URL de base invalide : {exc}") from None


@contextmanager
def progress_bar(total_by_table: dict[str, int] | None = None):
    """A progress bar on a terminal; silent otherwise. Yields a `progress(table, n)` callback."""
    if not err.is_terminal:
        yield None
        return
    columns = [TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, int] = {}

        def advance(table: str, n: int) -> None:
            if table not in tasks:
                total = (total_by_table or {}).get(table)
                tasks[table] = bar.add_task(table, total=total)
            bar.advance(tasks[table], n)

        yield advance


def ensure_schema(engine) -> None:
    from mlimpact.migrate import current_revision, head_revision

    if current_revision(engine) != head_revision():
        raise fail("la base n'est pas à jour : lancez d'abord `mlimpact init-db`.")




def parse_date(value: str) -> dt.date:
    """A date as AAAA-MM-JJ or JJ/MM/AAAA, or a French usage error."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise click.BadParameter(f"date invalide « {value} » ; attendu AAAA-MM-JJ ou JJ/MM/AAAA.")


class DateType(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        return value if isinstance(value, dt.date) else parse_date(value)


DATE = DateType()
