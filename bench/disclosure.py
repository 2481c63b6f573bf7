"""Benchmark of disclosure control: what the cell keys and the perturbation cost, at département scale.

On the département sample (`mlimpact sample --scale departement`, seed 42: 4
structures, about 20,000 jeunes) in a PostgreSQL server started here (or `--db`),
it times, cold (the engine's cache cleared before each run; the analytics
table and the annual facts filled once before):

- the impact page's content (`reports.contenu.build`: cards and their previous
  period, objectives, monthly trends, breakdowns, risks, cohort curve) for the
  structure's director (exact) and for the Département (perturbed);
- the Département's view of its Missions Locales: one territorial table per
  indicator of the map (`territorial.tableau`), the Département's account;
- the engine alone on the département, calendar year and a rolling 12 months.

The same script runs on the code before the change (a tree of commit 0cbe046
with `PYTHONPATH` on it): it only calls what both versions have. Not a test:
the machine is shared; the figures are printed with the load average.

    PYTHONPATH=. .venv/bin/python bench/disclosure.py [--db URL] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(os.environ.get("PYTHONPATH", "").split(":")[0] or Path(__file__).parent.parent)))

YEAR = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
ROLLING = dt.date(2025, 3, 1), dt.date(2026, 2, 28)


def timed(label: str, runs: int, action) -> float:
    from indicators import cache

    seconds = []
    for _ in range(runs):
        cache.clear()
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    best, median = min(seconds), statistics.median(seconds)
    print(f"{label:<62} min {best:6.2f} s   médiane {median:6.2f} s", flush=True)
    return median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="a PostgreSQL URL holding the département sample (else a server started here)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from mlimpact.db import make_engine
    from mlimpact.migrate import upgrade

    server = None
    url = args.db
    if url is None:
        from tests.support.pgserver import PostgresServer

        server = PostgresServer().start()
        url = server.url()
    engine = make_engine(url)
    try:
        upgrade(engine)
        from mlimpact import store

        with engine.connect() as conn:
            empty = store.row_count(conn, "jeunes") == 0
        if empty:
            from mlimpact.sample import load_sample

            start = time.perf_counter()
            load_sample(engine, "departement", 42)
            print(f"échantillon « departement » chargé en {time.perf_counter() - start:.1f} s", flush=True)
        run(engine, args.runs)
    finally:
        engine.dispose()
        if server is not None:
            server.stop()


def run(engine, runs: int) -> None:
    from indicators import engine as moteur
    from indicators.disclosure import territorial
    from indicators.types import Echelon, Perimetre, Periode
    from mlimpact.access import Compte
    from reports import contenu

    year, rolling = Periode(*YEAR), Periode(*ROLLING)
    departement = Perimetre(Echelon.DEPARTEMENT, "13")
    structure = Perimetre(Echelon.STRUCTURE, "ML13001")
    directeur = Compte("d@ml.fr", "directeur", "ML13001")
    cd = Compte("cd@departement13.fr", "departement", departement="13")
    start = time.perf_counter()
    moteur.compute(engine, year, departement)  # fills the analytics table and the annual facts once
    print(f"première computation (tables dérivées) : {time.perf_counter() - start:.1f} s", flush=True)
    print(f"charge : {os.getloadavg()[0]:.2f}", flush=True)
    timed("moteur, département, année civile", runs, lambda: moteur.compute(engine, year, departement))
    timed("moteur, département, 12 mois glissants", runs, lambda: moteur.compute(engine, rolling, departement))
    timed("page impact (contenu), directeur, sa structure", runs,
          lambda: contenu.build(engine, directeur, year, structure))
    timed("page impact (contenu), Département, une structure", runs,
          lambda: contenu.build(engine, cd, year, structure))
    codes = territorial.indicateurs_carte()
    timed(f"vue départementale : {len(codes)} tableaux territoriaux", runs,
          lambda: [territorial.tableau(engine, cd, year, c) for c in codes])
    print(f"charge : {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
