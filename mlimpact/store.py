"""Writing and reading whole chunks of the store, fast, on SQLite and PostgreSQL.

The import and the sample loader both end here. Inserts take each driver's
fastest road (COPY on PostgreSQL, `executemany` on SQLite); the data version is
bumped after every write so that cached figures are recomputed.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Integer, String, bindparam, cast, func, select, tuple_

from mlimpact.exchange.schema import TABLES, Kind
from mlimpact.models import EXCHANGE_MODELS, Base, Parametre

KEY_BATCH = 5_000
# the row triggers that mark young people for the analytics table (migrations 0002 and 0006), by table
INSERT_TRIGGERS = {"jalons": "analytique_jalons_insert", "accompagnements": "analytique_accompagnements_insert"}
DATA_VERSION = "data_version"
DATASET = "jeu_de_donnees"


def sql_table(name: str):
    return EXCHANGE_MODELS[name].__table__


def iso_dates_of(series: pd.Series) -> pd.Series:
    """Dates as 'YYYY-MM-DD' text (None for missing), vectorised in numpy: much faster than strftime."""
    days = pd.to_datetime(series).to_numpy(dtype="datetime64[D]")
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[np.isnat(days)] = None
    return pd.Series(text, index=series.index)


def _driver_values(table_name: str, frame: pd.DataFrame, iso_dates: bool) -> list[pd.Series]:
    """Columns as Python values a DB driver takes (None for missing)."""
    out = []
    for column in TABLES[table_name].columns:
        s = frame[column.name]
        if column.kind is Kind.DATE:
            s = iso_dates_of(s) if iso_dates else pd.to_datetime(s).dt.date.astype(object).where(s.notna(), None)
        elif column.kind is Kind.BOOL:
            s = s.astype(bool).astype(int if iso_dates else object)
            s = s.astype(object)
        elif column.kind is Kind.INT:
            s = s.astype("int64").astype(object)
        elif column.kind is Kind.DECIMAL:
            s = s.astype("float64")
            s = s.astype(object).where(s.notna(), None)
        else:
            s = s.astype(object).where(s.notna(), None)
        out.append(s)
    return out


def _copy(driver, statement: str, text: str) -> None:
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(text)


class CopyPipeline:
    """One COPY at a time in a helper thread: the import checks its next chunk while PostgreSQL writes this one.

    About half of a PostgreSQL import is the server inserting a chunk (indexes,
    foreign keys, triggers) while Python waits; the other half is Python reading
    and checking the next chunk. The caller calls `wait()` before any other use
    of the connection (the checks of the next chunk must see the rows copied,
    and one connection runs one statement at a time) and before ending the
    transaction; `wait()` raises the COPY's error, if any, in the caller's thread.
    """

    def __init__(self, conn: Connection):
        self.driver = conn.connection.driver_connection
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def submit(self, statement: str, text: str) -> None:
        self.wait()

        def run() -> None:
            try:
                _copy(self.driver, statement, text)
            except BaseException as exc:  # handed to the main thread by wait()
                self._error = exc

        self._thread = threading.Thread(target=run, name="mlimpact-copy", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def insert_rows(conn: Connection, table_name: str, frame: pd.DataFrame, pipeline: CopyPipeline | None = None) -> int:
    """Insert new rows (keys known to be absent) by the fastest road of the driver.

    On PostgreSQL with a `pipeline`, the COPY runs in its thread and this returns at once.
    """
    if frame.empty:
        return 0
    columns = TABLES[table_name].column_names
    if conn.dialect.name == "postgresql":
        buffer = io.StringIO()
        text_frame = pd.DataFrame(dict(zip(columns, _driver_values(table_name, frame, iso_dates=True), strict=True)))
        text_frame.to_csv(buffer, header=False, index=False, na_rep="")
        statement = f"COPY {table_name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        if pipeline is None:
            _copy(conn.connection.driver_connection, statement, buffer.getvalue())
        else:
            pipeline.submit(statement, buffer.getvalue())
    else:
        values = _driver_values(table_name, frame, iso_dates=True)
        rows = list(zip(*(v.tolist() for v in values), strict=True))
        placeholders = ", ".join("?" for _ in columns)
        driver = conn.connection.driver_connection
        sql = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({placeholders})"
        if table_name in INSERT_TRIGGERS:
            _insert_marking_sqlite(driver, sql, rows, frame["id_jeune"], INSERT_TRIGGERS[table_name])
        else:
            driver.executemany(sql, rows)
    return len(frame)


def _insert_marking_sqlite(driver, sql: str, rows: list[tuple], ids: pd.Series, name: str) -> None:
    """Insert jalons or accompagnements on SQLite marking each young person once per chunk, not once per row.

    The row trigger `name` marks the young person of every inserted row for
    the analytics table: a delete and an insert in its queue per row, about
    half of a bulk import's time. Here the chunk's young people are marked in
    one statement, then the trigger is dropped for the insert and created again
    from its own stored SQL, all inside the caller's transaction: SQLite has one
    writer at a time, so no other write can slip by unmarked, and a rollback
    restores everything.
    """
    trigger = driver.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,))
    definition = trigger.fetchone()
    if definition is None:  # a store from before the migration that created it
        driver.executemany(sql, rows)
        return
    # A DML statement first: it opens the transaction, so the DROP below belongs to it.
    driver.executemany(
        "INSERT OR REPLACE INTO analytique_a_rafraichir (id_jeune) VALUES (?)", ((i,) for i in ids.unique())
    )
    if not driver.in_transaction:  # autocommit: never leave the store without its trigger
        driver.executemany(sql, rows)
        return
    driver.execute(f"DROP TRIGGER {name}")
    try:
        driver.executemany(sql, rows)
    finally:
        # IF NOT EXISTS: an error that made SQLite roll the whole transaction back (disk full…) has
        # already restored the trigger; the original error must surface, not "trigger already exists".
        driver.execute(definition[0].replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))


def update_rows(conn: Connection, table_name: str, frame: pd.DataFrame) -> int:
    """Replace rows whose keys exist (upsert's update half); bumps their version where they have one."""
    if frame.empty:
        return 0
    table = sql_table(table_name)
    spec = TABLES[table_name]
    values = _driver_values(table_name, frame, iso_dates=False)
    records = [dict(zip([f"v_{c}" for c in spec.column_names], row, strict=True)) for row in zip(*(v.tolist() for v in values), strict=True)]
    stmt = table.update().where(*[table.c[k] == bindparam(f"v_{k}") for k in spec.key])
    assignments = {c: bindparam(f"v_{c}") for c in spec.column_names if c not in spec.key}
    if "version" in table.c:
        assignments["version"] = table.c.version + 1
    conn.execute(stmt.values(assignments), records)
    return len(frame)


def existing_rows(conn: Connection, table_name: str, keys: pd.DataFrame) -> pd.DataFrame:
    """The stored rows whose keys appear in `keys` (one column per key column)."""
    spec = TABLES[table_name]
    table = sql_table(table_name)
    columns = [table.c[c] for c in spec.column_names]
    frames = []
    unique = keys.drop_duplicates()
    for start in range(0, len(unique), KEY_BATCH):
        batch = unique.iloc[start : start + KEY_BATCH]
        if len(spec.key) == 1:
            cond = table.c[spec.key[0]].in_(batch[spec.key[0]].tolist())
        else:
            cond = tuple_(*[table.c[k] for k in spec.key]).in_(list(batch.itertuples(index=False, name=None)))
        rows = conn.execute(select(*columns).where(cond)).all()
        if rows:
            frames.append(pd.DataFrame(rows, columns=spec.column_names, dtype=object))
    if not frames:
        return pd.DataFrame(columns=spec.column_names, dtype=object)
    return pd.concat(frames, ignore_index=True)


def existing_keys(
    conn: Connection, table_name: str, column: str, values: Iterable[str], structures: Iterable[str] | None = None
) -> set[str]:
    """Which of `values` are stored keys of a single-key table (of those structures, if given)."""
    table = sql_table(table_name)
    wanted = list(dict.fromkeys(values))
    found: set[str] = set()
    for start in range(0, len(wanted), KEY_BATCH):
        query = select(table.c[column]).where(table.c[column].in_(wanted[start : start + KEY_BATCH]))
        if structures is not None:
            query = query.where(table.c.code_structure.in_(list(structures)))
        found.update(conn.execute(query).scalars())
    return found


def jeunes_structures(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """The structure of each stored jeune among `ids`."""
    table = sql_table("jeunes")
    wanted = list(dict.fromkeys(ids))
    out: dict[str, str] = {}
    for start in range(0, len(wanted), KEY_BATCH):
        query = select(table.c.id_jeune, table.c.code_structure).where(
            table.c.id_jeune.in_(wanted[start : start + KEY_BATCH])
        )
        out.update(dict(conn.execute(query).all()))
    return out


def row_count(conn: Connection, table_name: str) -> int:
    return conn.execute(select(func.count()).select_from(sql_table(table_name))).scalar_one()


# --- settings of the store ------------------------------------------------------------------------
def get_setting(conn: Connection, key: str) -> str | None:
    return conn.execute(select(Parametre.valeur).where(Parametre.cle == key)).scalar_one_or_none()


def set_setting(conn: Connection, key: str, value: str) -> None:
    table = Parametre.__table__
    if get_setting(conn, key) is None:
        conn.execute(table.insert().values(cle=key, valeur=value))
    else:
        conn.execute(table.update().where(table.c.cle == key).values(valeur=value))


def data_version(conn: Connection) -> int:
    """A counter bumped by every write: the cache key that makes stale figures impossible."""
    return int(get_setting(conn, DATA_VERSION) or 0)


def bump_data_version(conn: Connection) -> int:
    """One atomic UPDATE: two writers committing at the same moment both move the version (no lost bump)."""
    table = Parametre.__table__
    bumped = conn.execute(
        table.update().where(table.c.cle == DATA_VERSION).values(valeur=cast(cast(table.c.valeur, Integer) + 1, String))
    )
    if bumped.rowcount == 0:
        set_setting(conn, DATA_VERSION, "1")
    return data_version(conn)


def open_write_transaction(conn: Connection) -> None:
    """SQLite: a write that changes nothing, so that the driver opens its transaction now.

    The sqlite3 module begins a transaction at the first write only; a SAVEPOINT issued before
    would open one of its own, and releasing it would commit.
    """
    table = Parametre.__table__
    conn.execute(table.update().where(table.c.cle == DATA_VERSION).values(valeur=table.c.valeur))


def current_data_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return data_version(conn)


def clear(conn: Connection) -> None:
    """Delete every row of the exchange tables (tests and `sample` into a fresh store)."""
    for name in reversed(list(TABLES)):
        conn.execute(sql_table(name).delete())
    bump_data_version(conn)


def today() -> dt.date:
    return dt.date.today()


__all__ = ["Base", "CopyPipeline", "data_version", "existing_keys", "existing_rows", "insert_rows", "update_rows"]
