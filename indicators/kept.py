"""Figures of the scopes above a structure, kept in the database for every process (table `calculs_conserves`).

A national figure set costs seconds of PostgreSQL time; the engine's in-process
cache (`indicators.cache`) loses it when the server restarts, and each process
computes it again. Kept here — keyed by what was asked and the data version — a
set computed once, by `mlimpact precalculer` after a load or by a first
visitor, serves every later page of every process until the data change. It is
never stale: a write moves the data version, a key of an older version is never
asked again, and its rows are deleted when a newer one is kept.

Only the engine's raw figures are kept, below the disclosure rule: each account
still gets them through its own rule. Stored as JSON, not pickle: a row of the
database must never be able to run code in the server.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, fields
from typing import Any

import pandas as pd
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, delete, insert, select

from indicators.types import Valeur

METADATA = MetaData()
CALCULS = Table(
    "calculs_conserves",
    METADATA,
    Column("cle", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("contenu", Text, nullable=False),
)
VALEUR_FIELDS = tuple(f.name for f in fields(Valeur))


def key(kind: str, parts: tuple, version: int) -> str:
    """What was asked, as a digest: the reprs of the scope, period, filters and parameters are plain dataclass reprs,
    the same in every process."""
    return hashlib.sha256(repr((kind, parts, version)).encode()).hexdigest()


def read(conn: Connection, cle: str) -> Any | None:
    """The kept result of `cle` (None when nothing is kept)."""
    contenu = conn.execute(select(CALCULS.c.contenu).where(CALCULS.c.cle == cle)).scalar_one_or_none()
    return None if contenu is None else decode(json.loads(contenu))


def write(conn: Connection, cle: str, version: int, result: Any) -> None:
    """Keep `result` under `cle` and drop the rows of older versions, in one short transaction of `conn` (the
    engine's own connection, never a caller's). Another process keeping the same key first wins."""
    conn.execute(delete(CALCULS).where(CALCULS.c.version < version))
    if conn.execute(select(CALCULS.c.cle).where(CALCULS.c.cle == cle)).first() is None:
        conn.execute(insert(CALCULS).values(cle=cle, version=version, contenu=json.dumps(encode(result))))
    conn.commit()


# --- JSON of the engine's results: a dict of Valeur (compute) or a DataFrame (breakdown) ----------------
def encode(result: Any) -> dict:
    if isinstance(result, pd.DataFrame):
        return {
            "frame": {
                "columns": list(result.columns),
                "dtypes": [str(t) for t in result.dtypes],
                "values": [[_plain(x) for x in result[c].tolist()] for c in result.columns],
            }
        }
    if isinstance(result, dict) and all(isinstance(v, Valeur) for v in result.values()):
        return {"valeurs": [asdict(v) for v in result.values()]}
    raise TypeError(f"résultat non conservable : {type(result).__name__}")


def decode(data: dict) -> Any:
    if "frame" in data:
        frame = data["frame"]
        columns = {
            name: pd.Series(values, dtype=dtype)
            for name, dtype, values in zip(frame["columns"], frame["dtypes"], frame["values"], strict=True)
        }
        return pd.DataFrame(columns, columns=frame["columns"])
    return {v["code"]: Valeur(**{f: v[f] for f in VALEUR_FIELDS if f in v}) for v in data["valeurs"]}


def _plain(x: Any) -> Any:
    """A cell as JSON writes it: None for a missing value (NaN is not JSON)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return x.item() if hasattr(x, "item") else x
