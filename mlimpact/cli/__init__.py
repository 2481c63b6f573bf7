"""The `mlimpact` command line (docs/cli.md): parse arguments, call the library, speak French.

Exit status: 0 success, 1 done but with rejected rows or failed checks, 2 unusable
arguments, file or database.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table as RichTable

from mlimpact import __version__
from mlimpact.cli.common import (
    Exit,
    FrenchCommand,
    auteur_option,
    author,
    database_errors,
    db_option,
    ensure_schema,
    err,
    fail,
    french_help,
    open_engine,
    out,
    progress_bar,
)
from presentation.formats import entier

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class FrenchGroup(click.Group):
    """A group whose help speaks French."""

    def get_help_option(self, ctx):
        return french_help(super().get_help_option(ctx))


click.Group.command_class = FrenchCommand


@click.group(cls=FrenchGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", message="mlimpact %(version)s", help="Affiche la version.")
def app() -> None:
    """Parcours & Impact : base des parcours, import et export au format d'échange, indicateurs."""


@app.command("init-db")
@db_option
def init_db(db: str | None) -> None:
    """Crée le schéma de la base ou le met à jour (migrations) ; sans risque si relancé."""
    from mlimpact.migrate import upgrade

    engine = open_engine(db)
    with database_errors():
        before, after = upgrade(engine)
    if before == after:
        out.print(f"Base déjà à jour (révision {after}).")
    else:
        out.print(f"Base {'créée' if before is None else 'mise à jour'} : révision {after}.")


@app.command("sample")
@click.option("--scale", default="demo", show_default=True, help="Taille : demo, departement ou national.")
@click.option("--seed", default=42, show_default=True, type=int, help="Graine : même graine, mêmes données.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Dossier où écrire les fichiers (sinon : dans la base).")
@db_option
def sample(scale: str, seed: int, out_dir: Path | None, db: str | None) -> None:
    """Génère le jeu de données synthétique, dans des fichiers (--out) ou directement dans la base."""
    from mlimpact.sample import StoreNotEmpty, load_sample, write_sample_files
    from sample_data.generator import SCALES, estimated_rows

    if scale not in SCALES:
        raise fail(f"échelle inconnue « {scale} » ; attendu : {', '.join(SCALES)}.")
    with progress_bar(estimated_rows(scale)) as progress:
        if out_dir is not None:
            counts = write_sample_files(out_dir, scale, seed, progress)
            where = str(out_dir)
        else:
            engine = open_engine(db)
            with database_errors():
                ensure_schema(engine)
                try:
                    counts = load_sample(engine, scale, seed, progress)
                except StoreNotEmpty as exc:
                    raise fail(str(exc)) from None
            where = "la base"
    out.print(f"Jeu « {scale} » (graine {seed}) écrit dans {where} :")
    for table, n in counts.items():
        out.print(f"  {table:<16} {entier(n):>12}")


@app.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--partial", is_flag=True, help="Garder les lignes valides et rejeter les autres.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Écrire les lignes rejetées (avec motif_rejet) dans ce fichier CSV.")
@auteur_option
@db_option
def import_(paths: tuple[Path, ...], partial: bool, report: Path | None, auteur: str | None, db: str | None) -> None:
    """Importe des fichiers CSV, un classeur .xlsx, un dossier ou une archive .zip au format d'échange.

    Sans --partial, une seule ligne rejetée annule tout l'import.
    """
    from mlimpact.exchange.importer import import_paths

    engine = open_engine(db)
    with database_errors():
        ensure_schema(engine)
        with progress_bar() as progress:
            result = import_paths(engine, list(paths), partial=partial, progress=progress, author=author(auteur))
    for message in result.errors:
        err.print(f"Erreur : {message}", markup=False, soft_wrap=True)
    for message in dict.fromkeys(result.notices):
        err.print(f"Remarque : {message}", markup=False, soft_wrap=True)
    shown = result.problems[:50]
    for problem in shown:
        err.print(f"Rejet : {problem}", markup=False, soft_wrap=True)
    if len(result.problems) > len(shown):
        err.print(f"… et {len(result.problems) - len(shown)} autres lignes rejetées (voir --report).", markup=False)
    print_counts(result)
    if report is not None and result.problems:
        for path in result.write_report(report):
            out.print(f"Rapport des rejets : {path}")
    if result.errors:
        out.print("Rien n'a été importé.")
    elif result.problems and not partial:
        out.print(f"{result.rejected} ligne(s) rejetée(s) : rien n'a été importé (relancez avec --partial pour garder les lignes valides).")
    raise Exit(result.exit_code)


def print_counts(result) -> None:
    if not result.counts:
        return
    table = RichTable(title="Résumé de l'import")
    for col in ("table", "insérées", "mises à jour", "inchangées", "rejetées"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for name, *figures in result.summary_rows():
        table.add_row(name, *[entier(n) for n in figures])
    out.print(table)


@app.command("export")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--structure", "structures", multiple=True, metavar="CODE", help="N'exporter que cette structure (répétable).")
@auteur_option
@db_option
def export(out_dir: Path, structures: tuple[str, ...], auteur: str | None, db: str | None) -> None:
    """Écrit les données de la base au format d'échange (un CSV par table)."""
    from mlimpact import store
    from mlimpact.exchange.exporter import export_dir

    engine = open_engine(db)
    with database_errors():
        ensure_schema(engine)
        if structures:
            with engine.connect() as conn:
                unknown = set(structures) - store.existing_keys(conn, "structures", "code_structure", structures)
            if unknown:
                raise fail(f"structure inconnue : {', '.join(sorted(unknown))}.")
        with progress_bar() as progress:
            counts = export_dir(engine, out_dir, structures=list(structures) or None, progress=progress, auteur=author(auteur))
    out.print(f"Export écrit dans {out_dir} :")
    for table, n in counts.items():
        out.print(f"  {table:<16} {entier(n):>12}")


@app.command("demo")
@click.option(
    "--reinitialiser", is_flag=True,
    help="Efface les données de la base (pas les comptes : une base qui en a est refusée) et recharge le jeu de "
    "démonstration : ce que les visiteurs de la démonstration ont écrit disparaît.",
)
@db_option
def demo(reinitialiser: bool, db: str | None) -> None:
    """Crée ou met à jour la base, puis y charge le jeu de démonstration si elle est vide (ou la réinitialise)."""
    from indicators.facts.refresh import refresh_store
    from mlimpact.migrate import upgrade
    from mlimpact.sample import NotADemoStore, StoreNotEmpty, load_demo, reset_demo

    engine = open_engine(db)
    with database_errors():
        upgrade(engine)
        try:
            with progress_bar() as progress:
                result = reset_demo(engine, progress, author="cli") if reinitialiser else load_demo(engine, progress)
        except StoreNotEmpty as exc:
            out.print(str(exc))
            return
        except NotADemoStore as exc:
            err.print(str(exc), markup=False)
            raise fail("la démonstration n'a pas été réinitialisée.") from None
        if not result.exit_code:
            refresh_store(engine)  # the derived tables now, not during the first visitor's page
    if result.exit_code:
        for message in result.errors + [str(p) for p in result.problems[:10]]:
            err.print(message, markup=False)
        raise fail("le jeu de démonstration n'a pas pu être chargé.")
    print_counts(result)
    if reinitialiser:
        out.print("Démonstration réinitialisée : le jeu de démonstration est rechargé.")


def _register_commands() -> None:
    """Commands that live in their own modules (one job each) join the same group."""
    from mlimpact.cli import admin as cli_admin
    from mlimpact.cli import effets as cli_effets
    from mlimpact.cli import indicateurs as cli_indicateurs
    from mlimpact.cli import precalcul as cli_precalcul
    from mlimpact.cli import rapport as cli_rapport
    from mlimpact.cli import serve as cli_serve

    cli_indicateurs.register(app)
    cli_rapport.register(app)
    cli_precalcul.register(app)
    cli_admin.register(app)
    cli_effets.register(app)
    cli_serve.register(app)


_register_commands()

_CLICK_FR = {
    "No such option": "option inconnue",
    "Missing argument": "argument manquant",
    "Missing option": "option manquante",
    "Invalid value for": "valeur invalide pour",
    "Invalid value": "valeur invalide",
    "Got unexpected extra argument": "argument en trop",
    "Got unexpected extra arguments": "arguments en trop",
    "No such command": "commande inconnue",
    "requires an argument": "attend une valeur",
    "is not a valid integer": "n'est pas un nombre entier",
    "is not one of": "n'est pas l'un de",
    "does not exist": "n'existe pas",
    "Did you mean": "Vouliez-vous dire",
}


def french(message: str) -> str:
    for en, fr in _CLICK_FR.items():
        message = message.replace(en, fr)
    return message


def main(argv: list[str] | None = None) -> int:
    """Console script entry point: French usage errors, exit statuses of docs/cli.md."""
    try:
        code = app.main(args=argv, prog_name="mlimpact", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        path = exc.ctx.command_path if exc.ctx else "mlimpact"
        err.print(f"Erreur d'utilisation : {french(exc.format_message())}\nAide : {path} --help", markup=False)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        err.print("Interrompu.", markup=False)
        return 2
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
