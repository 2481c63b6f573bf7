"""`mlimpact effets`: what the actions are associated with, against comparable young people (docs/effets.md).

The command parses arguments, asks `indicators.models.effets.for_account` (scope check and masking
for the account given with --compte, or for an administrator) and prints: JSON and CSV for machines,
a French table for people.
"""

from __future__ import annotations

import csv
import io
import json

import click

from mlimpact.cli.common import database_errors, db_option, ensure_schema, fail, open_engine, out
from mlimpact.cli.indicateurs import format_option, perimetre_from, period_and_scope

AUTEUR_CLI = "cli"


def register(app: click.Group) -> None:
    """Add `effets` to the `mlimpact` group."""
    app.command("effets")(effets)


@period_and_scope("celui du compte (--compte), sinon national")
@click.option(
    "--compte",
    metavar="EMAIL",
    help="Calculer ce que ce compte verrait (son périmètre, le secret statistique hors de sa structure). "
    "Sans --compte : tout, sans masque (administration).",
)
@format_option
@db_option
def effets(debut, fin, structure, departement, region, compte, fmt, db) -> None:
    """Écarts associés aux actions (immersion, partenaire, droit, FAJ…) contre des jeunes comparables."""
    from indicators.engine import PerimetreInconnu
    from indicators.models import effets as modele
    from indicators.types import Periode
    from mlimpact.access import AccesRefuse, Compte, default_perimetre
    from mlimpact.accounts import get_account, normalise_email

    for name, value in (("--debut", debut), ("--fin", fin)):
        if value is None:
            raise click.UsageError(f"option manquante : {name} DATE.")
    if debut > fin:
        raise fail(f"la période commence le {debut:%d/%m/%Y}, après sa fin le {fin:%d/%m/%Y}.")
    perimetre = perimetre_from(structure, departement, region)
    engine = open_engine(db)
    with database_errors():
        ensure_schema(engine)
        if compte:
            with engine.connect() as conn:
                account = get_account(conn, normalise_email(compte))
            if account is None:
                raise fail(f"aucun compte pour « {compte} » (voir `mlimpact utilisateur`).")
            if not (structure or departement or region):
                perimetre = default_perimetre(account)
        else:
            account = Compte(AUTEUR_CLI, "admin")
        try:
            resultats = modele.for_account(engine, account, Periode(debut, fin), perimetre)
        except PerimetreInconnu as exc:
            raise fail(str(exc)) from None
        except AccesRefuse as exc:
            raise fail(str(exc), code=1) from None
    if fmt == "json":
        document = {
            "periode": {"debut": debut.isoformat(), "fin": fin.isoformat()},
            "perimetre": {"niveau": perimetre.echelon.value, "code": perimetre.code},
            "as_of": None if resultats.as_of is None else resultats.as_of.isoformat(),
            "effets": modele.rows(resultats),
            "exclues": [{"action": a, "motif": m} for a, m in resultats.exclues],
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(as_csv(modele.rows(resultats)), nl=False)
    else:
        print_table(resultats, perimetre)


def as_csv(rows: list[dict]) -> str:
    """`;`, decimal comma, empty for null (as the exports write them)."""
    from indicators.models.effets import CLES

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(CLES)
    for row in rows:
        writer.writerow(["" if row[c] is None else str(row[c]).replace(".", ",") if isinstance(row[c], float) else row[c] for c in CLES])
    return buffer.getvalue()


def print_table(resultats, perimetre) -> None:
    from rich.table import Table

    from presentation import effets as textes
    from presentation.formats import date_fr

    where = "France entière" if perimetre.code is None else f"{perimetre.echelon.value} {perimetre.code}"
    p = resultats.periode
    table = Table(title=f"{textes.TITRE} du {date_fr(p.debut)} au {date_fr(p.fin)} — {where}", title_justify="left")
    frame = textes.table(resultats)
    for column in frame.columns:
        table.add_column(column, justify="left" if column in ("Action", "Résultat", "Lecture") else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*map(str, row))
    out.print(table)
    if resultats.as_of is not None:
        out.print(textes.contexte(resultats), markup=False)
    for line in textes.exclusions(resultats):
        out.print(f"Non estimé — {line}", markup=False)
    out.print("« Associé à » : une comparaison ajustée, pas la preuve d'une cause (méthode : docs/effets.md).", markup=False)
