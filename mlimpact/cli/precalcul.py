"""`mlimpact precalculer`: the Impact page of France (and of its régions, départements) computed ahead (docs/cli.md).

Run it after a load or a nightly import: the engine keeps the figures in the
database (`indicators.kept`), so that no visitor of a national page waits for
them, whichever server process serves them, until the data change.
"""

from __future__ import annotations

import click

from mlimpact.cli.common import database_errors, db_option, ensure_schema, open_engine, out


def register(app: click.Group) -> None:
    """Add `precalculer` to the `mlimpact` group."""
    app.command("precalculer")(precalculer)


@click.option("--regions", is_flag=True, help="Aussi chaque région.")
@click.option("--departements", is_flag=True, help="Aussi chaque département.")
@db_option
def precalculer(regions: bool, departements: bool, db: str | None) -> None:
    """Calcule d'avance la page Impact de la France (et des régions, des départements) sur les données actuelles."""
    from indicators.facts.refresh import refresh_store
    from presentation.formats import nombre
    from reports import contenu, warmup

    engine = open_engine(db)
    with database_errors():
        ensure_schema(engine)
        refresh_store(engine)
        if contenu.data_date(engine) is None:
            out.print("La base ne contient aucune donnée : rien à précalculer.")
            return
        done = warmup.warm(engine, warmup.scopes(regions, departements))
    total = sum(d.secondes for d in done)
    out.print(f"Page Impact précalculée pour {len(done)} périmètre(s) en {nombre(total, 1)} s ; "
              "elle reste valable jusqu'à la prochaine modification des données.")
