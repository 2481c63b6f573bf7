"""Loading the synthetic data set (sample_data/generator.py) into the store or into files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from mlimpact import store
from mlimpact.config import PROJECT_ROOT
from mlimpact.exchange.schema import TABLES
from mlimpact.exchange.writing import TableWriter, to_text

Progress = Callable[[str, int], None]
DEMO_DIR = PROJECT_ROOT / "sample_data" / "demo"
DEMO_DATASET = "demo"


class StoreNotEmpty(Exception):
    """`sample` writes into an empty store only: it never mixes synthetic and real rows."""


def write_sample_files(out_dir: Path, scale: str, seed: int, progress: Progress | None = None) -> dict[str, int]:
    """The data set in the exchange format, one CSV per table."""
    from sample_data.generator import generate

    writers: dict[str, TableWriter] = {}
    try:
        for table, frame in generate(scale, seed):
            if table not in writers:
                writers[table] = TableWriter(Path(out_dir) / f"{table}.csv", TABLES[table].column_names)
            writers[table].write(to_text(table, frame))
            if progress:
                progress(table, len(frame))
    finally:
        for w in writers.values():
            w.close()
    return {t: w.rows for t, w in writers.items()}


def load_sample(engine: Engine, scale: str, seed: int, progress: Progress | None = None) -> dict[str, int]:
    """Generate and insert the data set in one transaction, by the store's fast path."""
    from sample_data.generator import generate

    counts: dict[str, int] = {}
    with engine.begin() as conn:
        if any(store.row_count(conn, t) for t in ("structures", "jeunes")):
            raise StoreNotEmpty("La base contient déjà des données : `sample` n'écrit que dans une base vide.")
        for table, frame in generate(scale, seed):
            counts[table] = counts.get(table, 0) + store.insert_rows(conn, table, frame)
            if progress:
                progress(table, len(frame))
        store.set_setting(conn, store.DATASET, f"sample:{scale}:{seed}")
        store.bump_data_version(conn)
    return counts


def load_demo(engine: Engine, progress: Progress | None = None):
    """Load the committed demo data set into an empty store and mark the store as demo.

    The mark is what lets the demo mode start; any later import removes it.
    """
    from mlimpact.exchange.importer import import_paths

    with engine.connect() as conn:
        if store.row_count(conn, "structures"):
            raise StoreNotEmpty("La base contient déjà des données : rien n'est chargé.")
    result = import_paths(engine, [DEMO_DIR], progress=progress, author="demo")
    if result.exit_code == 0:
        with engine.begin() as conn:
            store.set_setting(conn, store.DATASET, DEMO_DATASET)
    return result
