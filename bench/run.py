"""Every speed benchmark in one go (`make bench`): the figures of docs/benchmarks.md and docs/indicateurs.md.

    .venv/bin/python bench/run.py [--only foundation,engine,national,director,conseiller]

The national benchmarks share one PostgreSQL server started here and loaded
once with the national sample (about 2 minutes, then about 2 minutes for the
analytics table on the first computation); the others prepare their own
stores. Each script runs as its own process and prints its own figures, with
the machine's load; nothing is written to the docs, which are updated by hand.
It takes about 30 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.app import MLIMPACT, run
from tests.support.pgserver import PostgresServer

STANDALONE = {
    "foundation": ["bench/foundation.py"],
    "director": ["bench/director.py"],
    "conseiller": ["bench/conseiller.py"],
}
ON_NATIONAL_STORE = {
    "engine": ["bench/indicateurs.py", "--db"],
    "national": ["bench/national.py", "--db"],
}


def script(args: list[str]) -> None:
    """One benchmark script, its output shown as it comes; a failure stops everything."""
    print(f"\n##### {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [*STANDALONE, *ON_NATIONAL_STORE]
    parser.add_argument("--only", default=",".join(names), help=f"parmi : {', '.join(names)}")
    wanted = parser.parse_args().only.split(",")
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        parser.error(f"benchmark inconnu : {', '.join(unknown)}")
    for name in (n for n in STANDALONE if n in wanted):
        script(STANDALONE[name])
    national = [n for n in ON_NATIONAL_STORE if n in wanted]
    if national:
        server = PostgresServer().start()
        try:
            url = server.url()
            run([*MLIMPACT, "init-db", "--db", url])
            seconds = run([*MLIMPACT, "sample", "--scale", "national", "--db", url])
            print(f"\njeu « national » chargé dans PostgreSQL en {seconds:.0f} s", flush=True)
            for name in national:
                script([*ON_NATIONAL_STORE[name], url])
        finally:
            server.stop()


if __name__ == "__main__":
    main()
