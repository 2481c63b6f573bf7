"""Benchmark of the foundation: generation, loading and import at national scale.

Prints wall time, rows per second and peak memory (max RSS) of each step, each
step run as its own process so its memory is its own. Not a test: these
machines are shared and noisy, so figures are read, compared and written in
docs/benchmarks.md by hand.

    .venv/bin/python bench/foundation.py [--scale national] [--import-rows 1000000] [--skip-pg]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.pgserver import PostgresServer

MLIMPACT = [sys.executable, "-m", "mlimpact.cli"]


def step(label: str, cmd: list[str], rows: int | None = None) -> dict:
    """Run one command as a child process; wall time and its own peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0,):
        print(output)
        raise SystemExit(f"{label}: exit {code}")
    peak_mb = usage.ru_maxrss / 1024
    rate = f"{rows / seconds:>12,.0f} rows/s" if rows else " " * 19
    print(f"{label:<48} {seconds:>8.1f} s {rate} {peak_mb:>8,.0f} MB peak", flush=True)
    return {"label": label, "seconds": seconds, "rows": rows, "peak_mb": peak_mb}


def count_rows(folder: Path) -> dict[str, int]:
    return {p.stem: sum(1 for _ in open(p, "rb")) - 1 for p in sorted(folder.glob("*.csv"))}


def head(src: Path, dst: Path, rows: int) -> int:
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for i, line in enumerate(fin):
            if i > rows:
                break
            fout.write(line)
    return min(rows, sum(1 for _ in open(dst, "rb")) - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="national")
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-load", action="store_true", help="only the import steps (no full load with `sample`)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlimpact-bench-", dir=os.environ.get("BENCH_DIR")))
    server = None if args.skip_pg else PostgresServer().start()
    try:
        print(f"scale={args.scale}, machine: {os.cpu_count()} cores; work folder {work}\n")
        files = work / "files"
        step(f"generate {args.scale} → CSV files", [*MLIMPACT, "sample", "--scale", args.scale, "--out", str(files)])
        sizes = count_rows(files)
        total = sum(sizes.values())
        print("   rows:", ", ".join(f"{k} {v:,}" for k, v in sizes.items()), f"(total {total:,})")
        print(f"   size: {sum(p.stat().st_size for p in files.glob('*.csv')) / 1e6:,.0f} MB\n")

        targets = [("SQLite", f"sqlite:///{work / 'store.db'}")]
        if server:
            admin = server.url()
            import sqlalchemy as sa

            eng = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
            with eng.connect() as conn:
                for name in ("store", "imp"):
                    conn.execute(sa.text(f"CREATE DATABASE {name}"))
            eng.dispose()
            targets.append(("PostgreSQL", server.url("store")))

        jalons_1m = work / "jalons_1m.csv"
        n_import = head(files / "jalons.csv", jalons_1m, args.import_rows)
        for label, url in targets:
            step(f"{label}: init-db", [*MLIMPACT, "init-db", "--db", url])
            if not args.skip_load:
                step(f"{label}: generate + load {args.scale} (sample)", [*MLIMPACT, "sample", "--scale", args.scale, "--db", url], total)
            imp = f"sqlite:///{work / 'imp.db'}" if label == "SQLite" else server.url("imp")
            step(f"{label}: init-db (import store)", [*MLIMPACT, "init-db", "--db", imp])
            step(f"{label}: import structures + jeunes", [*MLIMPACT, "import", str(files / "structures.csv"), str(files / "jeunes.csv"), "--db", imp], sizes["jeunes"])
            step(f"{label}: import {n_import:,} jalons (new rows)", [*MLIMPACT, "import", str(jalons_1m), "--db", imp], n_import)
            step(f"{label}: re-import the same jalons (unchanged)", [*MLIMPACT, "import", str(jalons_1m), "--db", imp], n_import)
            print()
    finally:
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
