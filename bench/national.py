"""Benchmark of the national view at national scale on PostgreSQL: the page in a real browser, and where the time goes.

The store is the national sample (`mlimpact sample --scale national`: 440
structures, 1,000,000 jeunes, about 10,000,000 jalons) in a PostgreSQL server
started here (`tests.support.pgserver.PostgresServer`; loading takes about 4 minutes),
or an already loaded one given with `--db`. It measures:

1. the library, in this process: `indicators.disclosure.territorial.tableau` for a few
   indicators (one breakdown by département each), cold then warm, with the
   time spent in each SQL pass of the engine (its `Requetes` methods, timed
   from outside) — that is where the time goes;
2. the page, with Playwright against the running app, from a gesture to the
   view fully drawn (no script running, no stale element, the map's SVG
   painted): cold (first opening after the app started), a change of
   indicator to one never computed, a change back to one already computed
   (warm), and each other tab opened for the first time;
3. the Impact page of the bureau for France entière on a second fresh server:
   until its first cards are drawn, and until the whole page is.

The derived tables are refreshed before any page is timed (an import and
`mlimpact demo` refresh them: no visitor's page pays for it).

Not a test: these machines are shared and noisy; the figures are printed
with the load average and written in docs/benchmarks.md by hand.

    .venv/bin/python bench/national.py [--db URL] [--runs 2] [--pages national,impact] [--skip-library] [--sans-precalcul]

The benchmark store is marked as a demo store (the demo sign-in refuses any
other): it is a throwaway database made for the benchmark, never a real store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy.engine import Result

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import MLIMPACT, choose, run, signed_in, start_app

LIBRARY_CODES = ("acces_emploi", "risques_ouverts", "entree_sous_30j", "ancrage_rsa", "jeunes_suivis")
PAGE_CODES = ("Prévention · Risques en cours", "Produits · Sorties positives", "Prévention · Ancrage au RSA")
DRAWN = """() => {
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (document.querySelector('[data-testid="stSpinner"]')) return false;
  const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
  for (const c of charts) { if (!c.querySelector('canvas, svg')) return false; }
  return true;
}"""


# --- the store -------------------------------------------------------------------------------------------
def prepare(db: str | None, folder: Path, precompute: bool = True):
    """A loaded national store (started and loaded here unless `db` is given), marked demo for the sign-in, its
    derived tables refreshed and, with `precompute`, France's Impact page computed ahead (`mlimpact precalculer`)."""
    server = None
    if db is None:
        import sqlalchemy as sa

        from tests.support.pgserver import PostgresServer

        server = PostgresServer().start()
        admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE national"))
        admin.dispose()
        db = server.url("national")
        run([*MLIMPACT, "init-db", "--db", db])
        seconds = run([*MLIMPACT, "sample", "--scale", "national", "--db", db])
        print(f"jeu « national » chargé en {seconds:.0f} s", flush=True)
    from mlimpact import store
    from mlimpact.db import make_engine

    engine = make_engine(db)
    with engine.begin() as conn:
        store.set_setting(conn, store.DATASET, "demo")  # a throwaway benchmark store: lets the demo sign-in start
    from indicators.facts.refresh import refresh_store

    # A real store's derived tables are refreshed by each import (and `mlimpact demo`): not by the first page.
    start = time.perf_counter()
    refresh_store(engine)
    print(f"tables dérivées rafraîchies en {time.perf_counter() - start:.0f} s (avant toute mesure de page)", flush=True)
    if precompute:  # what an operator runs after a load (docs/cli.md#precalculer)
        seconds = run([*MLIMPACT, "precalculer", "--db", db])
        print(f"page Impact de la France précalculée en {seconds:.1f} s (`mlimpact precalculer`)", flush=True)
    else:
        from indicators import kept

        with engine.begin() as conn:  # nothing kept from an earlier run: the page computes everything
            kept.forget(conn, kept.ENGINE)
    return db, server, engine


# --- 1. the library ------------------------------------------------------------------------------------------
class PassTimer:
    """Wall time of each SQL pass of the engine (`indicators.sql.Requetes` methods) and of the analytics refresh."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        from indicators import sql
        from indicators.facts import refresh

        for name in dir(sql.Requetes):
            if not name.startswith("_") and callable(getattr(sql.Requetes, name)):
                setattr(sql.Requetes, name, self._wrap(getattr(sql.Requetes, name), name))
        refresh.refresh = self._wrap(refresh.refresh, "refresh.refresh")

    def _wrap(self, fn, name):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
                return result.all() if isinstance(result, Result) else result  # the rows fetched, inside the timing
            finally:
                self.seconds[name] += time.perf_counter() - start

        return timed

    def take(self) -> dict[str, float]:
        out = dict(self.seconds)
        self.seconds.clear()
        return out


def library_figures(engine, year: int) -> None:

    from indicators.disclosure import territorial
    from indicators.types import Periode
    from mlimpact.access import Compte

    timer = PassTimer()
    bureau = Compte("bench@demo.invalid", "bureau")
    periode = Periode(dt.date(year, 1, 1), dt.date(year, 12, 31))
    print(f"\n1. bibliothèque — territorial.tableau (bureau, année {year}), un appel de ventilation par indicateur :")
    for code in LIBRARY_CODES:
        start = time.perf_counter()
        t = territorial.tableau(engine, bureau, periode, code)
        cold = time.perf_counter() - start
        passes = timer.take()
        start = time.perf_counter()
        territorial.tableau(engine, bureau, periode, code)
        warm = time.perf_counter() - start
        hidden = int(t.departements["masque"].sum())
        print(f"  {code:<18} froid {cold:6.2f} s   chaud {warm * 1000:6.1f} ms   "
              f"({len(t.departements)} départements, {hidden} masqués)")
        top = sorted(passes.items(), key=lambda kv: -kv[1])[:5]
        print("      dont SQL : " + ", ".join(f"{name} {s:.2f} s" for name, s in top))
    start = time.perf_counter()
    territorial.structures(engine, bureau, periode, "13", "acces_emploi")
    print(f"  structures d'un département (13, acces_emploi) : {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    territorial.tableau(engine, bureau, Periode(dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31)), "acces_emploi")
    print(f"  période précédente (acces_emploi, {year - 1}) : {time.perf_counter() - start:.2f} s")


# --- 2. the page -----------------------------------------------------------------------------------------------
def drawn(page, timeout: int = 600_000) -> None:
    page.wait_for_timeout(250)
    page.wait_for_function(DRAWN, timeout=timeout, polling=50)


def timed(page, action, heading: str) -> float:
    start = time.perf_counter()
    action()
    page.get_by_role("heading", name=heading).first.wait_for(timeout=600_000)
    drawn(page)
    return time.perf_counter() - start


def page_figures(base: str, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    with signed_in(base, "Bureau national") as page:
        drawn(page)
        link = page.get_by_test_id("stSidebarNav").get_by_role("link", name="Vue nationale")
        out["ouverture à froid (carte)"].append(timed(page, link.click, "Carte des départements"))
        seen = "Produits · Accès à l'emploi"
        for option in PAGE_CODES[:runs]:
            out["changement d'indicateur jamais calculé"].append(
                timed(page, lambda o=option: choose(page, "Indicateur", o), "Carte des départements"))
            out["retour à un indicateur déjà calculé"].append(
                timed(page, lambda: choose(page, "Indicateur", seen), "Carte des départements"))
        for tab, heading in (("Régions", "Régions"), ("Écarts entre territoires", "Accès aux droits : départements hors de la bande"),
                             ("Évolution et classement", "Évolution et classement"),
                             ("Tendances mensuelles", "Tendances mensuelles — France entière")):
            out[f"onglet « {tab} », première ouverture"].append(
                timed(page, lambda t=tab: page.get_by_role("tab", name=t).click(), heading))
        out["retour à l'onglet Carte (déjà calculé)"].append(
            timed(page, lambda: page.get_by_role("tab", name="Carte").click(), "Carte des départements"))
    return out


def impact_figures(base: str) -> dict[str, list[float]]:
    """The Impact page of the bureau (France entière), opened cold on a server that has computed nothing yet."""
    out: dict[str, list[float]] = defaultdict(list)
    with signed_in(base, "Bureau national") as page:
        drawn(page)
        link = page.get_by_test_id("stSidebarNav").get_by_role("link", name="Impact")
        start = time.perf_counter()
        link.click()
        page.get_by_test_id("stMetric").first.wait_for(timeout=600_000)  # the first band's cards are drawn
        out["page Impact, France entière : premières cartes"].append(time.perf_counter() - start)
        page.get_by_text("Du montant brut au montant net").first.wait_for(timeout=600_000)  # the last band
        drawn(page)
        out["page Impact, France entière : page entière"].append(time.perf_counter() - start)
    return out


def show_figures(figures: dict[str, list[float]]) -> None:
    for name, values in figures.items():
        print(f"  {name:<48} médiane {statistics.median(values):7.2f} s   max {max(values):7.2f} s   "
              f"({', '.join(f'{v:.2f}' for v in values)})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Une base PostgreSQL déjà chargée avec le jeu national (sinon : serveur et chargement ici).")
    parser.add_argument("--runs", type=int, default=2, help="Nombre de changements d'indicateur mesurés (1 à 3).")
    parser.add_argument("--skip-library", action="store_true", help="Ne mesurer que la page.")
    parser.add_argument("--pages", default="national,impact", help="Pages mesurées, parmi : national, impact.")
    parser.add_argument("--sans-precalcul", action="store_true",
                        help="Ne pas lancer `mlimpact precalculer` (et oublier ce qui était conservé) : la page calcule tout.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-national-"))
    print(f"charge de la machine au départ : {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cœurs", flush=True)
    db, server, engine = prepare(args.db, folder, precompute=not args.sans_precalcul)
    try:
        pages = args.pages.split(",")
        print("\n2. pages « Vue nationale » et « Impact » (bureau, échelle nationale, PostgreSQL) — du geste à la vue dessinée :")
        for name, measure in (("national", lambda b: page_figures(b, max(1, min(3, args.runs)))), ("impact", impact_figures)):
            if name not in pages:
                continue
            process, base = start_app(db, folder / f"streamlit-{name}.log")  # a fresh server each: nothing computed yet
            try:
                show_figures(measure(base))
            finally:
                process.terminate()
                process.wait(timeout=20)
        if not args.skip_library:
            library_figures(engine, 2025)
    finally:
        engine.dispose()
        if server:
            server.stop()
    print(f"\ncharge de la machine à la fin : {os.getloadavg()[0]:.1f} (1 min)")
    subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()
