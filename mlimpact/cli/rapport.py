"""`mlimpact rapport`: the PDF report for the Conseil départemental (docs/cli.md).

The command only parses arguments and calls `reports.pdf.rapport`, the same
function as the impact page's download button, so both hand over the same
document. It acts as an administrator (the structure's figures unmasked, as
its own people see them) and the report is recorded in the audit trail with
the system user who ran it, or `--auteur`.
"""

from __future__ import annotations

from pathlib import Path

import click

from mlimpact.cli import common
from mlimpact.cli.common import DATE, database_errors, db_option, ensure_schema, fail, open_engine, out


def register(app: click.Group) -> None:
    """Add the report command to the `mlimpact` group (through the group, so its help speaks French)."""
    app.command("rapport")(rapport)


@click.option("--structure", metavar="CODE", required=True, help="La Mission Locale (code_structure).")
@click.option("--debut", type=DATE, required=True, help="Premier jour de la période (AAAA-MM-JJ ou JJ/MM/AAAA).")
@click.option("--fin", type=DATE, required=True, help="Dernier jour de la période, inclus.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Le fichier PDF à écrire.")
@common.auteur_option
@db_option
def rapport(structure: str, debut, fin, out_path: Path, auteur: str | None, db: str | None) -> None:
    """Écrit le rapport PDF pour le Conseil départemental, le même que celui de la page Impact."""
    from indicators.engine import PerimetreInconnu
    from indicators.types import Echelon, Perimetre, Periode
    from mlimpact.access import Compte
    from reports.fonts import PoliceIntrouvable
    from reports.pdf import rapport as build

    if debut > fin:
        raise fail(f"la période commence le {debut:%d/%m/%Y}, après sa fin le {fin:%d/%m/%Y}.")
    if out_path.suffix.lower() != ".pdf":
        raise fail(f"le fichier de sortie doit finir par .pdf (reçu : {out_path.name}).")
    if not out_path.parent.exists():
        raise fail(f"le dossier {out_path.parent} n'existe pas.")
    engine = open_engine(db)
    compte = Compte(common.author(auteur), "admin")
    with database_errors():
        ensure_schema(engine)
        try:
            data = build(engine, compte, Periode(debut, fin), Perimetre(Echelon.STRUCTURE, structure.strip()))
        except PerimetreInconnu as exc:
            raise fail(str(exc)) from None
        except PoliceIntrouvable as exc:
            raise fail(str(exc)) from None
    out_path.write_bytes(data)
    out.print(f"Rapport écrit : {out_path} ({len(data) // 1024} Ko).")
