"""Benchmark of « Ce qui marche » (indicators/models/effets.py): figures and ratios, not a timed test.

On the département scale (`mlimpact sample --scale departement`: 4 structures, about 20,000
jeunes, in a fresh SQLite file unless --db is given), for the calendar year 2025 and the
département 13 scope, it measures in a warm process (statsmodels imported first, timed apart):

- cold: `compute` from the store (three queries, the landmark rows, six propensity models, thirty
  weighted regressions), nothing stored;
- the same through `compute_stored` the first time (compute + write the results under the data version);
- the answer when the results are stored (what the page gets once `mlimpact effets` has run after
  an import): target ≤ 3 s;
- a structure scope, cold;

with the load average, since the machine is shared. With --national URL (a store holding the
national sample), it also times the national scope, cold then stored.

    .venv/bin/python bench/effets.py [--db URL] [--keep DIR] [--national URL]
    .venv/bin/python bench/effets.py --national-genere   # the national computation, generated data, no database
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CIBLE_DEPARTEMENT = 10.0
CIBLE_PAGE = 3.0
PERIODE_ANNEE = 2025


def seconds(function, *args, **kwargs) -> tuple[float, object]:
    """Wall seconds; `seconds.last_cpu` holds the processor seconds of the call (threads included): on a
    shared, loaded machine they say better what a quiet one would take."""
    start, cpu = time.perf_counter(), time.process_time()
    value = function(*args, **kwargs)
    wall = time.perf_counter() - start
    seconds.last_cpu = time.process_time() - cpu
    return wall, value


def prepare(folder: Path) -> str:
    from mlimpact.db import make_engine
    from mlimpact.migrate import upgrade
    from mlimpact.sample import load_sample

    url = f"sqlite:///{folder / 'departement.db'}"
    engine = make_engine(url)
    upgrade(engine)
    took, _ = seconds(load_sample, engine, "departement", 42)
    print(f"jeu « departement » chargé en {took:.1f} s", flush=True)
    engine.dispose()
    return url


def forget_stored(engine) -> None:
    from indicators.models.effets import STORED_PREFIX
    from mlimpact.models import Parametre

    table = Parametre.__table__
    with engine.begin() as conn:
        conn.execute(table.delete().where(table.c.cle.like(f"{STORED_PREFIX}%")))


def measure(url: str, perimetre, label: str, detail: bool = True) -> dict[str, float]:
    from indicators.engine import resolve_as_of
    from indicators.models import effets
    from indicators.types import Periode
    from mlimpact.db import make_engine

    engine = make_engine(url)
    periode = Periode(dt.date(PERIODE_ANNEE, 1, 1), dt.date(PERIODE_ANNEE, 12, 31))
    resolve_as_of(engine)  # the analytics refresh after a load belongs to the load, not to this figure
    forget_stored(engine)
    out = {"lecture": float("nan"), "lignes": float("nan")}
    cpu = {}
    if detail:  # one département or structure: where the time goes
        with engine.connect() as conn:
            out["lecture"], data = seconds(effets.load, conn, perimetre)
            cpu["lecture"] = seconds.last_cpu
        as_of = resolve_as_of(engine)
        out["lignes"], panel = seconds(effets.panel, data, periode, as_of)
        cpu["lignes"] = seconds.last_cpu
        print(f"{label}: {len(data.jeunes):,} jeunes, {len(data.jalons):,} jalons lus, {len(panel.rows):,} mois-jeunes", flush=True)

    shown = [0.0]

    def progress(fraction: float, text: str) -> None:
        if fraction - shown[0] >= 0.1:
            shown[0] = fraction
            print(f"    {fraction:4.0%} {text}", flush=True)

    out["froid"], resultats = seconds(effets.compute, engine, periode, perimetre, progress=None if detail else progress)
    cpu["froid"] = seconds.last_cpu
    out["froid_et_stocke"], _ = seconds(effets.compute_stored, engine, periode, perimetre)
    cpu["froid_et_stocke"] = seconds.last_cpu
    out["stocke"], again = seconds(effets.compute_stored, engine, periode, perimetre)
    cpu["stocke"] = seconds.last_cpu
    assert again == resultats
    print(f"{label}: {len(resultats.effets)} lignes (action, résultat), {len(resultats.exclues)} action(s) non estimée(s)", flush=True)
    for key, text in (
        ("lecture", "lecture des trois tables (SQL)"),
        ("lignes", "construction des mois-jeunes"),
        ("froid", "calcul complet à froid"),
        ("froid_et_stocke", "calcul + écriture des résultats"),
        ("stocke", "réponse quand les résultats sont stockés"),
    ):
        print(f"  {text:<45} {out[key]:7.2f} s   (processeur : {cpu.get(key, float('nan')):6.2f} s)", flush=True)
    engine.dispose()
    return out


def national_from_generator(seed: int = 42) -> None:
    """The national computation without the database: the national sample generated straight into pandas
    (only the jalon types the estimator reads), then each département estimated and all combined, as
    `compute` does for the country. Says what the background computation costs, reading apart."""
    import pandas as pd

    from indicators.effets_registry import jalon_types
    from indicators.models import effets
    from indicators.types import Periode
    from sample_data import generator as gen

    types = set(jalon_types())
    parts: dict[str, list] = {}
    took, _ = seconds(lambda: [parts.setdefault(t, []).append(c[c["type"].isin(types)] if t == "jalons" else c) for t, c in gen.generate("national", seed)])
    tables = {t: pd.concat(c, ignore_index=True) for t, c in parts.items()}
    print(f"national généré en {took:.0f} s ({len(tables['jeunes']):,} jeunes, {len(tables['jalons']):,} jalons des types lus)", flush=True)
    data = effets.from_tables(tables)
    periode = Periode(dt.date(PERIODE_ANNEE, 1, 1), dt.date(PERIODE_ANNEE, 12, 31))
    deps = sorted(data.jeunes["departement"].unique())
    by_dep = data.jeunes.groupby("departement")["id_jeune"]
    start, cpu = time.perf_counter(), time.process_time()
    results = []
    for i, dep in enumerate(deps):
        ids = set(by_dep.get_group(dep))
        sub = effets.Donnees(
            data.jeunes[data.jeunes["departement"] == dep],
            data.accompagnements[data.accompagnements["id_jeune"].isin(ids)],
            data.jalons[data.jalons["id_jeune"].isin(ids)],
        )
        results.append(effets.estimate(sub, periode, gen.AS_OF))
        if i % 20 == 0:
            print(f"    {i + 1}/{len(deps)} départements, {time.perf_counter() - start:.0f} s", flush=True)
    combined = effets.combine(results, periode, gen.AS_OF)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"national ({len(deps)} départements estimés puis combinés) : {wall:.0f} s, processeur {cpu:.0f} s ; "
        f"{len(combined.effets)} lignes (action, résultat)",
        flush=True,
    )
    for e in combined.effets[:5]:
        print(f"    {e.action} → {e.resultat} : {e.effet_points:+.1f} [{e.ic_bas:+.1f} ; {e.ic_haut:+.1f}], brut {e.difference_brute:+.1f}, n = {e.n_traites:,} / {e.n_temoins:,}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a store that already holds the département sample")
    parser.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    parser.add_argument("--national", help="a store holding the national sample (optional)")
    parser.add_argument("--national-genere", action="store_true", help="only: the national computation on generated data (no database)")
    args = parser.parse_args()
    if args.national_genere:
        national_from_generator()
        return
    print(f"charge moyenne : {os.getloadavg()[0]:.1f} ; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(défaut)')}", flush=True)
    took, _ = seconds(__import__, "indicators.models.effets")
    print(f"import du module (statsmodels compris) : {took:.1f} s", flush=True)

    from indicators.types import Echelon, Perimetre

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-effets-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = args.db or prepare(folder)
    dep = measure(url, Perimetre(Echelon.DEPARTEMENT, "13"), "département 13")
    structure = measure(url, Perimetre(Echelon.STRUCTURE, "ML13001"), "structure ML13001")
    print(
        f"\nratios : département à froid {dep['froid']:.1f} s / cible {CIBLE_DEPARTEMENT:.0f} s = "
        f"{dep['froid'] / CIBLE_DEPARTEMENT:.2f} ; réponse stockée {dep['stocke'] * 1000:.0f} ms / cible "
        f"{CIBLE_PAGE:.0f} s = {dep['stocke'] / CIBLE_PAGE:.3f} ; structure à froid {structure['froid']:.1f} s",
        flush=True,
    )
    if args.national:
        nat = measure(args.national, Perimetre(), "national", detail=False)
        print(f"national : à froid {nat['froid']:.1f} s, réponse stockée {nat['stocke'] * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    main()
