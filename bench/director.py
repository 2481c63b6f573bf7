"""Benchmark of the director's view: the impact page in a real browser, and the PDF report.

On the département scale (`mlimpact sample --scale departement`, 4 structures,
about 20,000 jeunes, in a fresh SQLite file), it measures with Playwright
against the running app the time from an action to the last element of the
impact page drawn (every chart painted, no stale element, the page's last
caption shown):

- cold: the first opening of the page after the app started (nothing cached;
  the analytics table the engine fills once after a load is filled before,
  and timed apart);
- a filter change to a selection never computed (the data is computed then);
- a filter change back to a selection already seen (warm cache);

then the PDF report: `mlimpact rapport` as a user runs it (a fresh process),
and the library call `reports.pdf.rapport` in a warm process. Not a test:
these machines are shared and noisy, so the figures are printed with the
load average and written in docs/benchmarks.md by hand.

    .venv/bin/python bench/director.py [--keep DIR] [--reuse DIR] [--runs 2]

The benchmark store is marked as a demo store (the demo sign-in refuses any
other): it is a throwaway copy made for the benchmark, never a real store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import MLIMPACT, choose, run, signed_in, start_app

STRUCTURE = "ML13001"
DRAWN = """(expected) => {
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
  if (charts.length < expected) return false;
  for (const c of charts) { if (!c.querySelector('canvas, svg')) return false; }
  return Array.from(document.querySelectorAll('[data-testid="stCaptionContainer"]'))
    .some(e => e.textContent.includes('Définitions : page Méthodologie'));
}"""


def prepare(folder: Path) -> str:
    url = f"sqlite:///{folder / 'departement.db'}"
    run([*MLIMPACT, "init-db", "--db", url])
    seconds = run([*MLIMPACT, "sample", "--scale", "departement", "--db", url])
    print(f"jeu « departement » chargé en {seconds:.1f} s", flush=True)
    from indicators.engine import resolve_as_of
    from mlimpact import store
    from mlimpact.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        store.set_setting(conn, store.DATASET, "demo")  # a throwaway benchmark copy: lets the demo sign-in start
    # The engine fills its analytics table once after a load (indicators.facts.analytique): timed apart, as the load's cost.
    start = time.perf_counter()
    resolve_as_of(engine)
    print(f"remplissage initial de la table analytique : {time.perf_counter() - start:.1f} s", flush=True)
    engine.dispose()
    return url


def timed(page, action, expect_text: str, charts: int) -> float:
    """Seconds from the action to the page fully drawn with `expect_text` in its header caption."""
    start = time.perf_counter()
    action()
    page.get_by_text(expect_text, exact=False).first.wait_for(timeout=120_000)
    page.wait_for_function(DRAWN, arg=charts, timeout=120_000, polling=50)
    return time.perf_counter() - start


def browser_figures(base: str, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"froid": [], "filtre_nouveau": [], "filtre_deja_vu": [], "dispositif_nouveau": [], "dispositif_deja_vu": []}
    with signed_in(base, "Direction de Mission Locale", f"Mission Locale Bouches-du-Rhône Nord ({STRUCTURE})", height=1000) as page:
        link = page.get_by_test_id("stSidebarNav").get_by_role("link", name="Impact")
        start = time.perf_counter()
        link.click()
        page.get_by_text("année 2025", exact=False).first.wait_for(timeout=180_000)
        page.wait_for_function(DRAWN, arg=5, timeout=180_000, polling=50)
        out["froid"].append(time.perf_counter() - start)
        charts = page.locator('[data-testid="stVegaLiteChart"]').count()
        years = [2024, 2023][:runs]  # the years of the département data set besides 2025
        for year in years:  # a year never computed, then back to 2025 (already computed: warm cache)
            out["filtre_nouveau"].append(timed(page, lambda y=year: choose(page, "Année", str(y)), f"année {year}", charts))
            out["filtre_deja_vu"].append(timed(page, lambda: choose(page, "Année", "2025"), "année 2025", charts))
        dispositifs = [("Accompagnement RSA (organisme référent)", "Dispositif : Accompagnement RSA"), ("Contrat d'engagement jeune", "Dispositif : Contrat")]
        for label, caption in dispositifs[:runs]:
            out["dispositif_nouveau"].append(timed(page, lambda s=label: choose(page, "Dispositif", s), caption, charts))
            out["dispositif_deja_vu"].append(timed(page, lambda: choose(page, "Dispositif", "Tous les dispositifs"), "tous les jeunes", charts))
    return out


def pdf_figures(url: str, folder: Path) -> dict[str, float]:
    out = {}
    out["cli_processus_neuf"] = run([*MLIMPACT, "rapport", "--structure", STRUCTURE, "--debut", "2025-01-01", "--fin", "2025-12-31",
                                     "--out", str(folder / "rapport.pdf"), "--db", url])
    from indicators.types import Echelon, Perimetre, Periode
    from mlimpact.access import Compte
    from mlimpact.db import make_engine
    from reports import contenu, pdf

    engine = make_engine(url)
    compte, periode, perimetre = Compte("bench", "admin"), Periode(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), Perimetre(Echelon.STRUCTURE, STRUCTURE)
    start = time.perf_counter()
    c = contenu.build(engine, compte, periode, perimetre)
    out["bibliotheque_calcul_froid"] = time.perf_counter() - start
    start = time.perf_counter()
    pdf.render(c)
    out["bibliotheque_mise_en_page"] = time.perf_counter() - start
    start = time.perf_counter()
    pdf.rapport(engine, compte, periode, perimetre)
    out["bibliotheque_rapport_chiffres_en_cache"] = time.perf_counter() - start
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Garder la base et les journaux dans ce dossier.")
    parser.add_argument("--reuse", type=Path, help="Reprendre la base departement.db déjà préparée dans ce dossier.")
    parser.add_argument("--runs", type=int, default=2, help="Nombre de changements de filtre mesurés par sorte (1 ou 2).")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-director-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"charge de la machine au départ : {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cœurs", flush=True)
    if args.reuse:
        url = f"sqlite:///{args.reuse / 'departement.db'}"
        print(f"base reprise : {url}")
    else:
        url = prepare(folder)
    process, base = start_app(url, folder / "streamlit.log")
    try:
        figures = browser_figures(base, max(1, min(2, args.runs)))
    finally:
        process.terminate()
        process.wait(timeout=20)
    print("\npage Impact (directeur, ML13001, échelle département) — du geste au dernier élément dessiné :")
    for name, values in figures.items():
        if values:
            print(f"  {name:<18} médiane {statistics.median(values):6.2f} s   max {max(values):6.2f} s   ({', '.join(f'{v:.2f}' for v in values)})")
    print("\nrapport PDF :")
    for name, seconds in pdf_figures(url, folder).items():
        print(f"  {name:<40} {seconds:6.2f} s")
    print(f"\ncharge de la machine à la fin : {os.getloadavg()[0]:.1f} (1 min)")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
