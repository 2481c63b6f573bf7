"""Speed of the indicator engine: a script that prints figures and ratios (not a timed test).

    .venv/bin/python bench/indicateurs.py --db postgresql+psycopg://…/national [--db sqlite:///…] [--annee 2025]

For each database: the refresh of the analytics table (what the first
computation after a bulk load pays), then every indicator of the national
scope for one year, cold (result cache emptied) and warm (cache hit), one
département, one structure and a breakdown by structure; the same national
computation over twelve months that are not a calendar year (1 July to 30
June: no annual facts, S(P) built on the fly); the peak memory of this
process; and, in a separate process, the naive approach (load the tables into
pandas, compute there: `indicators.naive`) with the ratio to the engine, for
the calendar year and, with `--glissant`, for the twelve months too.
The targets of the brief are printed beside each figure. Results are written
up by hand in docs/indicateurs.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select

from indicators import cache
from indicators.engine import breakdown, compute
from indicators.facts import refresh
from indicators.types import Echelon, Perimetre, Periode
from mlimpact.db import make_engine
from mlimpact.models import Jeune, Structure
from mlimpact.overview import overview


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    """Median wall time of `repeat` runs (the result cache emptied before each) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        cache.clear()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def verdict(seconds: float, target: float | None) -> str:
    if target is None:
        return ""
    return f"(cible ≤ {target:g} s : {'oui' if seconds <= target else 'NON'})"


def biggest(engine, echelon: str) -> str:
    """The structure or département with the most young people."""
    Y, S = Jeune.__table__, Structure.__table__
    key = Y.c.code_structure if echelon == "structure" else S.c.departement
    with engine.connect() as conn:
        return conn.execute(
            select(key)
            .select_from(Y.join(S, S.c.code_structure == Y.c.code_structure))
            .group_by(key)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()


def naive_run(url: str, periode: Periode) -> dict:
    """The naive approach in a child process: its timings, peak memory and values."""
    proc = subprocess.run(
        [sys.executable, __file__, "--naive-only", url, "--debut", str(periode.debut), "--fin", str(periode.fin)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report_naive(label: str, n: dict, engine_seconds: float, values: dict) -> float:
    """Print the naive run beside the engine's; the ratio naive / engine."""
    total = n["chargement"] + n["calcul"]
    ratio = total / engine_seconds
    differ = [c for c, v in n["valeurs"].items() if v != [values[c].valeur, values[c].numerateur, values[c].denominateur]]
    print(
        f"naïf (pandas), {label} : chargement {n['chargement']:.1f} s + calcul {n['calcul']:.1f} s = {total:.1f} s, "
        f"pic {n['memoire_pic_mb']:.0f} Mo"
    )
    print(f"rapport naïf / moteur froid, {label} : {ratio:7.1f} × (cible ≥ 20 ×)")
    print(f"indicateurs différents du moteur, {label} : {differ or 'aucun'}")
    return ratio


def bench(url: str, periode: Periode, repeat: int, naive: bool, rolling_naive: bool = False) -> dict:
    engine = make_engine(url)
    label = engine.dialect.name
    with engine.connect() as conn:
        o = overview(conn)
    print(f"\n=== {label} : {o.structures} structures, {o.jeunes:,} jeunes, {o.jalons:,} jalons".replace(",", " "))
    with engine.connect() as conn:
        start = time.perf_counter()
        refreshed = refresh.refresh(conn)
        conn.commit()
        if refreshed.massif:
            refresh.vacuum(engine)
        refresh_seconds = time.perf_counter() - start
    print(
        f"rafraîchissement de la table analytique : {refresh_seconds:7.2f} s ({refreshed.jeunes:,} jeunes marqués)".replace(
            ",", " "
        )
    )

    results: dict[str, float] = {}
    national = Perimetre()
    results["national_froid"], values = timed(lambda: compute(engine, periode, national), repeat)
    start = time.perf_counter()
    compute(engine, periode, national)
    results["national_chaud"] = time.perf_counter() - start
    departement = Perimetre(Echelon.DEPARTEMENT, biggest(engine, "departement"))
    results["departement_froid"], _ = timed(lambda: compute(engine, periode, departement), repeat)
    structure = Perimetre(Echelon.STRUCTURE, biggest(engine, "structure"))
    results["structure_froid"], _ = timed(lambda: compute(engine, periode, structure), repeat)
    results["ventilation_structures"], _ = timed(
        lambda: breakdown(engine, periode, national, "acces_emploi", "structure"), 1
    )
    rolling = Periode(dt.date(periode.debut.year - 1, 7, 1), dt.date(periode.debut.year, 6, 30))
    results["glissant_froid"], rolling_values = timed(lambda: compute(engine, rolling, national), repeat)
    results["memoire_pic_mb"] = peak_mb()

    print(
        f"national, 31 indicateurs, froid     : {results['national_froid']:7.2f} s {verdict(results['national_froid'], 5)}"
    )
    print(
        f"national, chaud (cache)             : {results['national_chaud']:7.3f} s {verdict(results['national_chaud'], 0.5)}"
    )
    print(f"département {departement.code}, froid          : {results['departement_froid']:7.2f} s")
    print(
        f"structure {structure.code}, froid        : {results['structure_froid']:7.2f} s {verdict(results['structure_froid'], 0.5)}"
    )
    print(f"accès à l'emploi par structure      : {results['ventilation_structures']:7.2f} s")
    print(
        f"national, {rolling.debut:%d/%m/%Y}–{rolling.fin:%d/%m/%Y}, froid : {results['glissant_froid']:7.2f} s "
        f"(sans faits annuels) {verdict(results['glissant_froid'], 5)}"
    )
    print(f"mémoire du processus (pic)          : {results['memoire_pic_mb']:7.0f} Mo (cible < 1 024 Mo)")

    if naive:
        n = naive_run(url, periode)
        results["naif"] = n["chargement"] + n["calcul"]
        results["rapport"] = report_naive("année civile", n, results["national_froid"], values)
    if rolling_naive:
        n = naive_run(url, rolling)
        results["naif_glissant"] = n["chargement"] + n["calcul"]
        results["rapport_glissant"] = report_naive("12 mois glissants", n, results["glissant_froid"], rolling_values)
    engine.dispose()
    return results


def naive_only(url: str, periode: Periode) -> None:
    """Run in a child process: the naive approach, its timings and its values as one JSON line."""
    from indicators.naive import compute_naive, load_tables

    engine = make_engine(url)
    start = time.perf_counter()
    tables = load_tables(engine)
    loaded = time.perf_counter()
    values = compute_naive(tables, periode, Perimetre())
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "chargement": loaded - start,
                "calcul": done - loaded,
                "memoire_pic_mb": peak_mb(),
                "valeurs": {c: [v.valeur, v.numerateur, v.denominateur] for c, v in values.items()},
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", action="append", default=[], help="URL SQLAlchemy (répétable : PostgreSQL, SQLite…)")
    parser.add_argument("--annee", type=int, default=2025, help="année mesurée (période du 1er janvier au 31 décembre)")
    parser.add_argument("--repeat", type=int, default=3, help="mesures à froid par figure (médiane)")
    parser.add_argument("--sans-naif", action="store_true", help="ne pas mesurer l'approche naïve")
    parser.add_argument(
        "--glissant", action="store_true", help="mesurer aussi l'approche naïve sur les 12 mois glissants"
    )
    parser.add_argument("--naive-only", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--debut", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--fin", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_only:
        naive_only(args.naive_only, Periode(args.debut, args.fin))
        return
    periode = Periode(dt.date(args.annee, 1, 1), dt.date(args.annee, 12, 31))
    if not args.db:
        parser.error("au moins une --db est attendue")
    for url in args.db:
        bench(url, periode, args.repeat, not args.sans_naif, args.glissant)


if __name__ == "__main__":
    main()
