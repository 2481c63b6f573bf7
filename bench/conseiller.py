"""Benchmark of the conseillers' workspace: server time to open a parcours, save a jalon, show the worklist.

Builds a store at the `departement` scale (20,000 jeunes in 4 structures; ML13001
has 5,116 jeunes, ML13004 9,756) on SQLite and on PostgreSQL, adds an audit trail
of realistic size (`--audit` entries, one per form write, spread over the jeunes),
then times, for conseillers of ML13001 (and ML13004 for the worklist):

- open a parcours, library: `read_parcours` + `historique` + the frise as the page
  draws it (`ui.timeline.spec`, the Vega-Lite dict; its table is built when unfolded);
- open a parcours, page: the whole `pages/parcours.py` script run by Streamlit's
  AppTest (Streamlit's own work and AppTest's parsing included: an upper bound);
- save a jalon (`ajouter_jalon`: access check, validation, insert, audit, data
  version, commit), edit a jalon (`modifier_jalon`, optimistic lock);
- the worklist, library (the three lists) and page (`pages/a_traiter.py`);
- the search with filters;
the audit trail is looked up through the index of migration 0003 on `audit.cle`. On
PostgreSQL the tables are analysed after loading, as autovacuum does.

Prints the minimum (the cost without contention), the median and the 95th
percentile in milliseconds. Not a test: these machines are shared and noisy;
figures are read and written in docs/benchmarks.md by hand.

    .venv/bin/python bench/conseiller.py [--skip-pg] [--audit 400000] [--repeat 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # AppTest's bare-mode warnings, once per run
sys.path.insert(0, str(ROOT))

import pandas as pd
import sqlalchemy as sa

from mlimpact import parcours, store, worklist
from mlimpact.access import Compte
from mlimpact.db import make_engine
from mlimpact.migrate import upgrade
from mlimpact.sample import load_sample
from tests.support.pgserver import PostgresServer
from ui import timeline

STRUCTURE, GRANDE = "ML13001", "ML13004"


def ms(samples: list[float]) -> str:
    values = sorted(s * 1000 for s in samples)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"min {values[0]:7.1f}   median {statistics.median(values):7.1f}   p95 {p95:7.1f} ms   (n={len(values)})"


def timed(action, repeat: int) -> list[float]:
    out = []
    for i in range(repeat):
        start = time.perf_counter()
        action(i)
        out.append(time.perf_counter() - start)
    return out


def report(label: str, samples: list[float]) -> None:
    print(f"  {label:<58} {ms(samples)}", flush=True)


def add_audit_trail(engine: sa.Engine, entries: int) -> None:
    """`entries` audit rows of form writes (creations of jalons), spread over every jeune of the store."""
    with engine.connect() as conn:
        jeunes = [r[0] for r in conn.execute(sa.text("SELECT id_jeune FROM jeunes"))]
    rng = random.Random(7)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(entries):
        ident = rng.choice(jeunes)
        apres = {"id_jalon": f"L-BENCH{n:010d}", "id_jeune": ident, "date": "2026-10-01", "type": "entretien",
                 "domaine": None, "montant_eur": None, "commentaire": None, "version": 1}
        rows.append((now.isoformat(), "conseiller@bench.invalid", "create", "jalons", ident, None, json.dumps(apres), None))
    columns = "horodatage, auteur, action, table_name, cle, avant, apres, detail"
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            buffer = io.StringIO()
            pd.DataFrame(rows).to_csv(buffer, header=False, index=False, na_rep="")
            cursor = raw.cursor()
            with cursor.copy(f"COPY audit ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
            cursor.close()
        else:
            raw.executemany(f"INSERT INTO audit ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def open_parcours(engine, compte, ident: str, today: dt.date) -> None:
    """What the parcours page computes: the reads, the history, the frise (spec included) and its table."""
    with engine.connect() as conn:
        p = parcours.read_parcours(conn, compte, ident, today)
        parcours.historique(conn, compte, ident)
    if not (p.accompagnements.empty and p.jalons.empty):
        timeline.spec(p.accompagnements, p.jalons, p.risques_ouverts, today)  # as the page draws it


def page_runs(url: str, page: str, compte: Compte, repeat: int, params: list[dict]) -> list[float]:
    """The page script as the server runs it (AppTest), one warm-up run left out."""
    from streamlit.testing.v1 import AppTest

    os.environ["MLIMPACT_DATABASE_URL"] = url
    samples = []
    for i in range(repeat + 1):
        at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120)
        at.session_state["_compte_de_cette_execution"] = compte
        at.query_params.update(params[i % len(params)])
        start = time.perf_counter()
        at.run()
        if at.exception:
            raise SystemExit(f"{page}: {at.exception[0].value}")
        if i:
            samples.append(time.perf_counter() - start)
    return samples


def writes(engine, compte: Compte, sample: list[str], today: dt.date, repeat: int) -> None:
    """Save then edit one jalon per sampled jeune, each in its own committed transaction; then remove them."""
    saved: list[parcours.Enregistrement] = []

    def save(i: int) -> None:
        with engine.begin() as conn:
            saved.append(parcours.add_jalon(conn, compte, sample[i], {"date": today, "type": "entretien", "commentaire": "bench"}, today))

    def edit(i: int) -> None:
        with engine.begin() as conn:
            parcours.update_jalon(conn, compte, saved[i].ligne, {"commentaire": "bench, modifié"}, today)

    report("save a jalon (ajouter_jalon, committed)", timed(save, repeat))
    report("edit a jalon (modifier_jalon, committed)", timed(edit, repeat))
    with engine.begin() as conn:
        for s in saved:
            conn.execute(sa.text("DELETE FROM jalons WHERE id_jalon = :k"), {"k": s.cle})


def bench(label: str, url: str, audit_entries: int, repeat: int) -> None:
    print(f"\n{label}", flush=True)
    engine = make_engine(url)
    start = time.perf_counter()
    upgrade(engine)
    counts = load_sample(engine, "departement", 42)
    print(f"  store: {', '.join(f'{t} {n:,}' for t, n in counts.items())} ({time.perf_counter() - start:.0f} s)")
    start = time.perf_counter()
    add_audit_trail(engine, audit_entries)
    print(f"  audit trail: {audit_entries:,} entries ({time.perf_counter() - start:.0f} s)")
    if engine.dialect.name == "postgresql":  # the statistics autovacuum computes a minute after a load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    today = store.today()
    compte = Compte("conseiller@bench.invalid", "conseiller", STRUCTURE)
    grande = Compte("conseiller@bench.invalid", "conseiller", GRANDE)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT id_jeune FROM jeunes WHERE code_structure = :s ORDER BY id_jeune"), {"s": STRUCTURE})]
        sizes = conn.execute(
            sa.text("SELECT count(*) FROM jalons k JOIN jeunes j ON j.id_jeune = k.id_jeune WHERE j.code_structure = :s"), {"s": STRUCTURE}
        ).scalar_one()
    print(f"  {STRUCTURE}: {len(ids):,} jeunes, {sizes:,} jalons")
    sample = random.Random(3).sample(ids, repeat)

    report("open a parcours (library + frise)", timed(lambda i: open_parcours(engine, compte, sample[i], today), repeat))
    report("open a parcours (page script, AppTest)", page_runs(url, "parcours.py", compte, max(5, repeat // 2), [{"jeune": j} for j in sample]))
    writes(engine, compte, sample, today, repeat)

    for who, c in ((STRUCTURE, compte), (GRANDE, grande)):
        def lists(_: int, c=c) -> None:
            with engine.connect() as conn:  # as the page: at the date of the structure's data
                au = worklist.date_des_donnees(conn, c, today)
                worklist.risques_ouverts(conn, c, au)
                worklist.sans_contact(conn, c, au)
                worklist.orientations_sans_rdv(conn, c, au)

        report(f"worklist, three lists (library), {who}", timed(lists, max(5, repeat // 4)))
        report(f"worklist (page script, AppTest), {who}", page_runs(url, "a_traiter.py", c, 5, [{}]))

    def search(i: int) -> None:
        with engine.connect() as conn:
            if i % 2:
                parcours.search(conn, compte, today, risques="avec")
            else:
                parcours.search(conn, compte, today, dispositif="CEJ", sans_contact_depuis=90)

    report("search with filters (library)", timed(search, max(6, repeat // 4)))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--audit", type=int, default=400_000, help="audit entries added to the store (default 400,000)")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlimpact-bench-conseiller-", dir=os.environ.get("BENCH_DIR")))
    print(f"machine: {os.cpu_count()} cores; work folder {work}; today {store.today():%d/%m/%Y}")
    server = None
    try:
        bench("SQLite", f"sqlite:///{work / 'store.db'}", args.audit, args.repeat)
        if not args.skip_pg:
            server = PostgresServer().start()
            admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text("CREATE DATABASE bench"))
            admin.dispose()
            bench("PostgreSQL", server.url("bench"), args.audit, args.repeat)
    finally:
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
