"""Loading the synthetic data set (sample_data/generator.py) into the store or into files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, delete

from mlimpact import accounts, audit, store
from mlimpact.config import PROJECT_ROOT
from mlimpact.exchange.schema import TABLES
from mlimpact.exchange.writing import TableWriter, to_text

Progress = Callable[[str, int], None]
DEMO_DIR = PROJECT_ROOT / "sample_data" / "demo"
DEMO_DATASET = "demo"


class StoreNotEmpty(Exception):
    """`sample` writes into an empty store only: it never mixes synthetic and real rows."""


class NotADemoStore(Exception):
    """A reset of the demo asked of a store that holds sign-in accounts: a real store is never emptied."""


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


def is_demo(engine: Engine) -> bool:
    """Whether the store is marked as holding the demo data set (what lets the demo mode start)."""
    with engine.connect() as conn:
        return store.get_setting(conn, store.DATASET) == DEMO_DATASET


def reset_demo(engine: Engine, progress: Progress | None = None, author: str = "demo"):
    """The demo's way back: empty the store's data and load `sample_data/demo` again, marked as demo.

    Visitors of the public demo may write (a conseiller's jalons, a director's
    objectives, an import): this undoes all of it. Refused (NotADemoStore) on a
    store that holds sign-in accounts, the mark of a real store, which the demo
    mode refuses too. The edited impact parameters go as well; the audit trail
    stays, with one entry for the reset.
    """
    from mlimpact.models import Parametre

    with engine.begin() as conn:
        comptes = accounts.count_accounts(conn)
        if comptes:
            raise NotADemoStore(
                f"Cette base contient {comptes} compte(s) de connexion : ce n'est pas une base de démonstration, "
                "rien n'est effacé."
            )
        avant = {t: store.row_count(conn, t) for t in ("structures", "jeunes", "accompagnements", "jalons")}
        store.clear(conn)
        # the structures' own settings (edited impact parameters…): everything but the store's bookkeeping
        conn.execute(delete(Parametre).where(Parametre.cle.not_in([store.DATA_VERSION, store.DATASET])))
        store.set_setting(conn, store.DATASET, DEMO_DATASET)  # the demo stays open while it reloads
        audit.record(conn, author, "reset", "demonstration", avant=avant, detail="réinitialisation de la démonstration")
    return load_demo(engine, progress)
