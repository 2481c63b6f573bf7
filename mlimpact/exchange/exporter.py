"""Export of the store in the exchange format, one CSV per table, sorted by key.

Sorting by key makes the files a pure function of the stored data, so that
export → import into an empty store → export gives identical files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, Select, select

from mlimpact import audit
from mlimpact.exchange.schema import TABLES
from mlimpact.exchange.writing import TableWriter, to_text
from mlimpact.models import Jeune
from mlimpact.store import sql_table

CHUNK = 50_000


def _query(table_name: str, structures: list[str] | None) -> Select:
    table = sql_table(table_name)
    spec = TABLES[table_name]
    query = select(*[table.c[c] for c in spec.column_names]).order_by(*[table.c[k] for k in spec.key])
    if structures is None:
        return query
    if "code_structure" in table.c:
        return query.where(table.c.code_structure.in_(structures))
    jeunes = select(Jeune.id_jeune).where(Jeune.code_structure.in_(structures))
    return query.where(table.c.id_jeune.in_(jeunes))


def stream_table(conn: Connection, table_name: str, structures: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """Stored rows of a table in key order, chunk by chunk."""
    columns = TABLES[table_name].column_names
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(_query(table_name, structures))
    for rows in result.partitions(CHUNK):
        yield pd.DataFrame(rows, columns=columns, dtype=object)


def export_dir(
    engine: Engine,
    out_dir: Path,
    structures: list[str] | None = None,
    progress: Callable[[str, int], None] | None = None,
    auteur: str = "cli",
) -> dict[str, int]:
    """Write every table (of the given structures, or all) to `out_dir`; rows written per table. Audited."""
    out_dir = Path(out_dir)
    counts = {}
    with engine.connect() as conn:
        for name in TABLES:
            with TableWriter(out_dir / f"{name}.csv", TABLES[name].column_names) as writer:
                for frame in stream_table(conn, name, structures):
                    writer.write(to_text(name, frame))
                    if progress:
                        progress(name, len(frame))
                counts[name] = writer.rows
    with engine.begin() as conn:
        audit.record(conn, auteur, "export", "*", cle=", ".join(structures) if structures else "toutes les structures",
                     apres=counts, detail=str(out_dir))
    return counts
